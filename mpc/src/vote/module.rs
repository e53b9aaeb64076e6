//! The on-chain voting module (`vote`).
//!
//! Calls are `Call { module: "vote", method: VoteCall::method(), args: borsh(VoteCall) }`
//! (build them with [`call`]); queries are `borsh(VoteQuery)` with [`VoteQuery::method`].
//!
//! Rules enforced here (every one on the transaction signer, never on an argument):
//!
//! - `CreatePoll`: signer holds the governance permission [`ORGANISER_PERMISSION`]; the spec is
//!   well formed and the window has not started.
//! - Counters are DIDs: a counter transaction is accepted only if its signer's key is an
//!   `authentication` or `capabilityInvocation` key of that counter's current, active DID
//!   document (read from the `did` namespace with `weft_did::registry`). `CreatePoll` refuses
//!   a counter DID of another chain, or one that does not exist or is deactivated.
//! - DKG posts: only the poll's counters, each at its own index, only before the joint key is
//!   recorded. A round-1 broadcast whose proof of possession fails is refused (no rogue key);
//!   each counter broadcasts once (no equivocation on chain); broadcasts close when the first
//!   shares are posted; each dealer's shares must go to exactly the other broadcasting
//!   counters.
//! - `FinalizeKey`: organiser, before the window, once every broadcasting counter has posted
//!   its complaints (possibly none) and every accused counter has answered; the module
//!   recomputes the group key from the public transcript and records it.
//! - `AddLeaves` / `Seal`: organiser, before the window; `Seal` computes each class's Poseidon
//!   root from the recorded leaves (the tree is public data) and records it.
//! - `RegisterWithCredential`: only for a poll with a [`PollSpec::credential`] rule, before the
//!   window and before sealing; the credential passes every check of
//!   [`weft_did::credential::onchain::check_credential`] at block time (issuer key at the
//!   proof's `created` time, issuer recognised now or listed, CPT id/version/digest pinned,
//!   validity period, no `credentialStatus` — status lists are not supported yet); the signer is
//!   an `authentication` or `capabilityInvocation` key of the subject DID; one registration per
//!   subject DID (stored by subject, a second is refused even with another commitment). The
//!   leaf goes to class 0, or for a weighted poll to the class whose weight the credential's
//!   `class_claim` states. Like organiser enrolment this links the subject DID to its
//!   commitment in public; ballots stay unlinkable thanks to the membership proof.
//!   Refusals are [`ModuleError::Refused`] with the [`CredentialRefusal::code`] as their code.
//! - `Cast`: anyone (a fresh one-time account or a relayer); only inside the window, only once
//!   the key and roots are recorded; every proof is verified, deterministically; a reused
//!   nullifier is refused unless the poll allows re-voting, in which case the new ballot
//!   replaces the old one in the running homomorphic sum.
//! - `Decrypt`: a qualified counter, after the window, once; every share's DLEQ proof is
//!   checked against the recorded aggregate. When `t` counters have posted, the module
//!   combines their shares, solves the bounded discrete logs and records the result.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use weft_chain::{Address, Call, Module, ModuleError, ReadContext, TxContext};
use weft_zk::dkg::{ComplaintResponse, Round1Broadcast};
use weft_zk::membership::{
    LeafCommitment, MembershipVerifyingKey, MerkleTree, PreparedMembershipVerifyingKey, MAX_DEPTH,
};
use weft_zk::sigma::schnorr::SchnorrProof;
use weft_zk::{Ciphertext, Context, DecryptionShare, DlogTable, GroupKey, PublicKey};

use weft_did::credential::onchain::{self, CredentialRefusal};
use weft_did::registry;
use weft_did::{Did, Relationships};

use super::ballot::BallotVerifier;
use super::counter;
use super::types::*;

/// Module name and state namespace.
pub const NAME: &str = "vote";

/// The governance permission that lets an account create polls
/// (granted with `Action::Grant { permission: "vote.organiser", .. }`).
pub const ORGANISER_PERMISSION: &str = "vote.organiser";

/// Where the `did` module records the chain id (in its namespace); a counter DID must name it.
const DID_CHAIN_ID_KEY: &[u8] = b"chain_id";

/// Builds the [`Call`] for a voting transaction.
pub fn call(c: &VoteCall) -> Call {
    Call {
        module: NAME.to_string(),
        method: c.method().to_string(),
        args: borsh::to_vec(c).expect("write to Vec"),
    }
}

/// `(method, args)` of a query.
pub fn query_args(q: &VoteQuery) -> (&'static str, Vec<u8>) {
    (q.method(), borsh::to_vec(q).expect("write to Vec"))
}

/// The voting module. Holds only a cache of prepared verifying keys (a pure function of
/// state), so execution stays deterministic.
#[derive(Debug, Default)]
pub struct VoteModule {
    prepared: Mutex<BTreeMap<PollId, Arc<PreparedMembershipVerifyingKey>>>,
}

impl VoteModule {
    /// A module with an empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    fn prepared_key(
        &self,
        id: &PollId,
        spec: &PollSpec,
    ) -> Result<Arc<PreparedMembershipVerifyingKey>, ModuleError> {
        if let Some(p) = self.prepared.lock().ok().and_then(|m| m.get(id).cloned()) {
            return Ok(p);
        }
        let vk = MembershipVerifyingKey::from_bytes(&spec.verifying_key).map_err(|e| {
            // Decoding is deterministic: a bad key is the poll's fault, never a node fault.
            ModuleError::refused("poll_spec_invalid", format!("recorded verifying key: {e}"))
        })?;
        let p = Arc::new(vk.prepare());
        if let Ok(mut m) = self.prepared.lock() {
            if m.len() > 256 {
                m.clear();
            }
            m.insert(*id, p.clone());
        }
        Ok(p)
    }
}

// -- state keys --

const POLLS_KEY: &[u8] = b"polls";

fn seq_key(a: &Address) -> Vec<u8> {
    [b"seq/".as_slice(), a.as_bytes()].concat()
}
fn poll_key(id: &PollId) -> Vec<u8> {
    [b"p/".as_slice(), &id.0].concat()
}
fn sub_key(id: &PollId, part: &[u8]) -> Vec<u8> {
    [b"p/".as_slice(), &id.0, b"/", part].concat()
}
fn leaf_key(id: &PollId, class: u32, i: u64) -> Vec<u8> {
    sub_key(
        id,
        &[b"leaf/".as_slice(), &class.to_be_bytes(), &i.to_be_bytes()].concat(),
    )
}
fn nullifier_key(id: &PollId, nf: &[u8; 32]) -> Vec<u8> {
    sub_key(id, &[b"nf/".as_slice(), nf].concat())
}
fn registration_key(id: &PollId, subject: &Address) -> Vec<u8> {
    sub_key(id, &[b"reg/".as_slice(), subject.as_bytes()].concat())
}
fn ballot_key(id: &PollId, slot: u64) -> Vec<u8> {
    sub_key(id, &[b"b/".as_slice(), &slot.to_be_bytes()].concat())
}

/// Reads the module's own namespace (a transaction or a query context).
trait Reads {
    fn read_own(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ModuleError>;

    fn load<T: borsh::BorshDeserialize>(&self, key: &[u8]) -> Result<Option<T>, ModuleError> {
        match self.read_own(key)? {
            None => Ok(None),
            Some(bytes) => borsh::from_slice(&bytes)
                .map(Some)
                .map_err(|e| ModuleError::Storage(format!("corrupt vote state: {e}"))),
        }
    }

    fn poll(&self, id: &PollId) -> Result<PollState, ModuleError> {
        self.load(&poll_key(id))?
            .ok_or_else(|| ModuleError::NotFound(format!("poll {id}")))
    }

    fn dkg(&self, id: &PollId) -> Result<DkgRecord, ModuleError> {
        Ok(self.load(&sub_key(id, b"dkg"))?.unwrap_or_default())
    }

    fn decryptions(&self, id: &PollId) -> Result<Vec<(u32, Vec<Bytes>)>, ModuleError> {
        Ok(self.load(&sub_key(id, b"dec"))?.unwrap_or_default())
    }
}

impl Reads for TxContext<'_> {
    fn read_own(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ModuleError> {
        self.get(key)
    }
}

impl Reads for ReadContext<'_> {
    fn read_own(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ModuleError> {
        self.get(key)
    }
}

fn store<T: borsh::BorshSerialize>(ctx: &mut TxContext<'_>, key: &[u8], value: &T) {
    ctx.set(key, borsh::to_vec(value).expect("write to Vec"));
}

fn invalid(msg: impl Into<String>) -> ModuleError {
    ModuleError::InvalidArgs(msg.into())
}

fn rejected(msg: impl Into<String>) -> ModuleError {
    ModuleError::Rejected(msg.into())
}

fn phase(ctx: &TxContext<'_>, spec: &PollSpec) -> Phase {
    spec.window.phase(ctx.height(), ctx.timestamp_ms())
}

/// The address of a counter DID (`did:weft:...` only).
pub fn counter_did_address(did: &str) -> Result<(String, Address), String> {
    match Did::parse(did) {
        Ok(Did::Weft { chain_id, address }) => Ok((chain_id, address)),
        Ok(Did::Key(_)) => Err(format!(
            "counter {did:?}: a counter is a did:weft DID registered on chain"
        )),
        Err(e) => Err(format!("counter {did:?}: {e}")),
    }
}

/// Whether `signer` is the address of an `authentication` or `capabilityInvocation` key of the
/// current document of the active DID at `did`.
fn did_key_signs(
    r: &impl registry::DidReader,
    did: &Address,
    signer: &Address,
) -> Result<bool, ModuleError> {
    let Some(res) = registry::resolve(r, did, registry::Selector::Latest)? else {
        return Ok(false);
    };
    if res.head.deactivated || res.record.deactivated {
        return Ok(false);
    }
    Ok(res.record.state.keys.iter().any(|k| {
        (k.relationships.has(Relationships::AUTHENTICATION)
            || k.relationships.has(Relationships::CAPABILITY_INVOCATION))
            && k.public_key.address() == *signer
    }))
}

/// The index (from 1) of the counter whose DID document holds the signer's key.
fn counter_index(
    r: &impl registry::DidReader,
    spec: &PollSpec,
    signer: &Address,
) -> Result<u32, ModuleError> {
    for (i, did) in spec.counters.iter().enumerate() {
        let (_, address) =
            counter_did_address(did).map_err(|e| ModuleError::refused("poll_spec_invalid", e))?;
        if did_key_signs(r, &address, signer)? {
            return Ok(i as u32 + 1);
        }
    }
    Err(ModuleError::Unauthorized(
        "the signer is not a counter of this poll: its key is not an authentication or \
         capabilityInvocation key of any counter DID"
            .into(),
    ))
}

fn require_organiser(state: &PollState, signer: &Address) -> Result<(), ModuleError> {
    if &state.organiser != signer {
        return Err(ModuleError::Unauthorized(
            "only the poll's organiser may do this".into(),
        ));
    }
    Ok(())
}

fn require_setup(ctx: &TxContext<'_>, state: &PollState) -> Result<(), ModuleError> {
    if phase(ctx, &state.spec) != Phase::Before {
        return Err(ModuleError::refused(
            "setup_closed",
            "the voting window has started: setup is closed",
        ));
    }
    Ok(())
}

/// The common checks of a counter's DKG step after round 1: the signer is a counter of the
/// poll, setup is open and the joint key is not yet recorded. Returns the signer's index and
/// the DKG record.
fn counter_dkg_step(ctx: &TxContext<'_>, poll: &PollId) -> Result<(u32, DkgRecord), ModuleError> {
    let state = ctx.poll(poll)?;
    let index = counter_index(ctx, &state.spec, &ctx.signer())?;
    require_setup(ctx, &state)?;
    let dkg = ctx.dkg(poll)?;
    if state.group_key.is_some() {
        return Err(rejected("the joint key is already recorded"));
    }
    Ok((index, dkg))
}

/// Emits a counter's DKG event (`kind`, with the poll and the counter index).
fn emit_counter_event(ctx: &mut TxContext<'_>, kind: &str, poll: &PollId, index: u32) {
    ctx.emit(
        kind,
        vec![
            ("poll".into(), poll.to_hex()),
            ("counter".into(), index.to_string()),
        ],
    );
}

/// Validates a poll spec (all checks that do not depend on the block).
pub fn validate_spec(spec: &PollSpec) -> Result<(), String> {
    if spec.title.is_empty() || spec.title.len() > MAX_LABEL_LEN {
        return Err(format!("title must be 1..={MAX_LABEL_LEN} bytes"));
    }
    if spec.choices.is_empty() || spec.choices.len() > MAX_CHOICES {
        return Err(format!("a poll has 1..={MAX_CHOICES} choices"));
    }
    if spec
        .choices
        .iter()
        .any(|c| c.is_empty() || c.len() > MAX_LABEL_LEN)
    {
        return Err(format!("choice labels must be 1..={MAX_LABEL_LEN} bytes"));
    }
    match &spec.rule {
        Rule::Single | Rule::Approval => {}
        Rule::KOfN { min, max } => {
            if min > max || *max as usize > spec.choices.len() {
                return Err("k-of-n needs min <= max <= number of choices".into());
            }
        }
        Rule::Weighted { weights } => {
            if weights.is_empty() || weights.len() > MAX_CLASSES {
                return Err(format!("a weighted poll has 1..={MAX_CLASSES} classes"));
            }
            if weights.iter().any(|w| *w == 0 || *w > MAX_WEIGHT) {
                return Err(format!("weights must be 1..={MAX_WEIGHT}"));
            }
        }
    }
    if spec.window.start > spec.window.end {
        return Err("the window must have start <= end".into());
    }
    let n = spec.counters.len();
    if n == 0 || n > MAX_COUNTERS {
        return Err(format!("a poll has 1..={MAX_COUNTERS} counters"));
    }
    let mut sorted = spec
        .counters
        .iter()
        .map(|d| counter_did_address(d).map(|(_, a)| a))
        .collect::<Result<Vec<_>, _>>()?;
    sorted.sort();
    sorted.dedup();
    if sorted.len() != n {
        return Err("counters must be distinct DIDs".into());
    }
    if spec.threshold == 0 || spec.threshold as usize > n {
        return Err("the threshold must be 1..=number of counters".into());
    }
    let depth = usize::from(spec.tree_depth);
    if depth == 0 || depth > MAX_DEPTH {
        return Err(format!("tree depth must be 1..={MAX_DEPTH}"));
    }
    if let Some(rule) = &spec.credential {
        validate_eligibility(spec, rule)?;
    }
    let vk = MembershipVerifyingKey::from_bytes(&spec.verifying_key)
        .map_err(|e| format!("verifying key: {e}"))?;
    if vk.depth() != depth {
        return Err(format!(
            "the verifying key is for depth {}, the poll says {depth}",
            vk.depth()
        ));
    }
    Ok(())
}

/// The block-independent checks of a credential eligibility rule: issuer DIDs are well-formed
/// `did:weft` DIDs, distinct and few; a class claim only on weighted polls.
fn validate_eligibility(spec: &PollSpec, rule: &CredentialEligibility) -> Result<(), String> {
    if rule.issuers.len() > MAX_ELIGIBILITY_ISSUERS {
        return Err(format!(
            "a credential rule lists at most {MAX_ELIGIBILITY_ISSUERS} issuers"
        ));
    }
    let mut seen = Vec::with_capacity(rule.issuers.len());
    for did in &rule.issuers {
        match Did::parse(did) {
            Ok(Did::Weft { address, .. }) => seen.push(address),
            Ok(Did::Key(_)) => return Err(format!("issuer {did:?}: an issuer is a did:weft DID")),
            Err(e) => return Err(format!("issuer {did:?}: {e}")),
        }
    }
    seen.sort();
    seen.dedup();
    if seen.len() != rule.issuers.len() {
        return Err("credential issuers must be distinct DIDs".into());
    }
    if rule.cpt_version == Some(0) {
        return Err("CPT versions start at 1".into());
    }
    if let Some(claim) = &rule.class_claim {
        if !matches!(spec.rule, Rule::Weighted { .. }) {
            return Err("class_claim needs a weighted poll".into());
        }
        if claim.is_empty() || claim.len() > MAX_CLAIM_NAME_LEN || claim == "id" {
            return Err(format!(
                "class_claim must be a claim name of 1..={MAX_CLAIM_NAME_LEN} bytes (not id)"
            ));
        }
    }
    Ok(())
}

/// A refused credential as a module error: `credential refused (<code>): <why>`.
fn credential_refused(e: CredentialRefusal) -> ModuleError {
    match e {
        CredentialRefusal::Storage(s) => ModuleError::Storage(s),
        other => ModuleError::refused(
            other.code(),
            format!("credential refused ({}): {other}", other.code()),
        ),
    }
}

fn decode_aggregate(state: &PollState) -> Result<Vec<Ciphertext>, ModuleError> {
    state
        .aggregate
        .iter()
        .map(|b| Ciphertext::from_bytes(&b.0))
        .collect::<Result<_, _>>()
        .map_err(|e| ModuleError::Storage(format!("corrupt aggregate: {e}")))
}

fn decode_group(state: &PollState) -> Result<Option<GroupKey>, ModuleError> {
    state
        .group_key
        .as_ref()
        .map(|b| GroupKey::from_bytes(&b.0))
        .transpose()
        .map_err(|e| ModuleError::Storage(format!("corrupt group key: {e}")))
}

fn sub(a: &Ciphertext, b: &Ciphertext) -> Ciphertext {
    Ciphertext::from_points(a.c1() - b.c1(), a.c2() - b.c2())
}

/// Decrypts the aggregate with the shares of the first `t` posting counters.
pub fn combine_tally(
    poll: &PollId,
    group: &GroupKey,
    aggregate: &[Ciphertext],
    decryptions: &[(u32, Vec<DecryptionShare>)],
    bound: u64,
) -> Result<(Vec<u64>, Vec<u32>), String> {
    let t = group.params().threshold() as usize;
    let mut chosen: Vec<&(u32, Vec<DecryptionShare>)> = decryptions.iter().collect();
    chosen.sort_by_key(|(i, _)| *i);
    chosen.dedup_by_key(|(i, _)| *i);
    chosen.truncate(t);
    if chosen.len() < t {
        return Err(format!(
            "{} of {t} decryption shares: nothing decrypts yet",
            chosen.len()
        ));
    }
    let table = DlogTable::new(bound).map_err(|e| e.to_string())?;
    let ctx = counter::tally_context(poll);
    let mut counts = Vec::with_capacity(aggregate.len());
    for (i, ct) in aggregate.iter().enumerate() {
        let shares: Vec<DecryptionShare> = chosen
            .iter()
            .map(|(_, s)| s.get(i).copied().ok_or("missing share"))
            .collect::<Result<_, _>>()?;
        counts.push(
            group
                .decrypt(&Context::new(&ctx), ct, &shares, &table)
                .map_err(|e| e.to_string())?,
        );
    }
    Ok((counts, chosen.iter().map(|(i, _)| *i).collect()))
}

/// The largest possible count of one choice: every counted ballot at the largest weight.
pub fn count_bound(state: &PollState) -> u64 {
    state
        .ballots
        .saturating_mul(state.spec.rule.max_weight())
        .max(1)
}

impl VoteModule {
    fn create_poll(&self, ctx: &mut TxContext<'_>, spec: PollSpec) -> Result<(), ModuleError> {
        let signer = ctx.signer();
        if !ctx.has_permission(&signer, ORGANISER_PERMISSION)? {
            return Err(ModuleError::Unauthorized(format!(
                "creating a poll needs the {ORGANISER_PERMISSION:?} permission"
            )));
        }
        validate_spec(&spec).map_err(invalid)?;
        if phase(ctx, &spec) != Phase::Before {
            return Err(rejected("the voting window must start after this block"));
        }
        let chain_id = ctx
            .read(weft_did::registry::NAME, DID_CHAIN_ID_KEY)?
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        for did in &spec.counters {
            let (did_chain, address) = counter_did_address(did).map_err(invalid)?;
            if chain_id.as_deref() != Some(did_chain.as_str()) {
                return Err(rejected(format!(
                    "counter {did} is not a DID of this chain"
                )));
            }
            if !registry::is_active(&*ctx, &address)? {
                return Err(rejected(format!(
                    "counter {did} is not registered on chain or is deactivated"
                )));
            }
        }
        if let Some(rule) = &spec.credential {
            for did in &rule.issuers {
                let (did_chain, _) = counter_did_address(did).map_err(invalid)?;
                if chain_id.as_deref() != Some(did_chain.as_str()) {
                    return Err(rejected(format!("issuer {did} is not a DID of this chain")));
                }
            }
            if onchain::read_cpt(&*ctx, rule.cpt_id, rule.cpt_version)?.is_none() {
                return Err(rejected(format!(
                    "CPT {}{} is not registered on chain",
                    rule.cpt_id,
                    rule.cpt_version
                        .map(|v| format!(":{v}"))
                        .unwrap_or_default()
                )));
            }
        }
        let seq: u64 = ctx.load(&seq_key(&signer))?.unwrap_or(0);
        let id = PollId::derive(&signer, seq, &spec);
        let classes = spec.rule.class_weights().len();
        let state = PollState {
            id,
            organiser: signer,
            seq,
            created_height: ctx.height(),
            group_key: None,
            leaf_counts: vec![0; classes],
            roots: None,
            ballots: 0,
            aggregate: vec![Bytes(Ciphertext::zero().to_bytes()); spec.choices.len()],
            decrypted_by: Vec::new(),
            result: None,
            spec,
        };
        store(ctx, &seq_key(&signer), &(seq + 1));
        let mut polls: Vec<PollId> = ctx.load(POLLS_KEY)?.unwrap_or_default();
        polls.push(id);
        store(ctx, POLLS_KEY, &polls);
        store(ctx, &poll_key(&id), &state);
        ctx.emit("poll_created", vec![("poll".into(), id.to_hex())]);
        Ok(())
    }

    fn dkg_broadcast(
        &self,
        ctx: &mut TxContext<'_>,
        poll: PollId,
        post: DkgBroadcastPost,
    ) -> Result<(), ModuleError> {
        let state = ctx.poll(&poll)?;
        let index = counter_index(&*ctx, &state.spec, &ctx.signer())?;
        require_setup(ctx, &state)?;
        let mut dkg = ctx.dkg(&poll)?;
        // The more specific refusal first: a counter re-running its DKG learns why.
        if dkg.broadcasts.iter().any(|(i, _)| *i == index) {
            return Err(rejected("this counter has already broadcast"));
        }
        if state.group_key.is_some() || !dkg.shares.is_empty() {
            return Err(rejected("round-1 broadcasts are closed"));
        }
        let b = Round1Broadcast::from_bytes(&post.broadcast.0)
            .map_err(|e| invalid(format!("broadcast: {e}")))?;
        let params = counter::dkg_params(&state.spec).map_err(|e| invalid(e.to_string()))?;
        let dctx = counter::dkg_context(&poll);
        if b.sender() != index {
            return Err(invalid(format!(
                "broadcast is for index {}, the signer is counter {index}",
                b.sender()
            )));
        }
        if !b.is_valid(&params, &Context::new(&dctx)) {
            return Err(rejected(
                "the broadcast's proof of possession does not verify (no rogue keys)",
            ));
        }
        let share_key = PublicKey::from_bytes(&post.share_key.0)
            .map_err(|e| invalid(format!("share key: {e}")))?;
        let proof = SchnorrProof::from_bytes(&post.share_key_proof.0)
            .map_err(|e| invalid(format!("share key proof: {e}")))?;
        let kctx = counter::share_key_context(&poll, index);
        proof
            .verify(&Context::new(&kctx), &share_key)
            .map_err(|_| rejected("the share key's proof of knowledge does not verify"))?;
        dkg.broadcasts.push((index, post));
        dkg.broadcasts.sort_by_key(|(i, _)| *i);
        store(ctx, &sub_key(&poll, b"dkg"), &dkg);
        emit_counter_event(ctx, "dkg_broadcast", &poll, index);
        Ok(())
    }

    fn dkg_shares(
        &self,
        ctx: &mut TxContext<'_>,
        poll: PollId,
        shares: Vec<EncryptedShare>,
    ) -> Result<(), ModuleError> {
        let (index, mut dkg) = counter_dkg_step(ctx, &poll)?;
        if !dkg.broadcasts.iter().any(|(i, _)| *i == index) {
            return Err(rejected("broadcast before dealing"));
        }
        if dkg.shares.iter().any(|(i, _)| *i == index) {
            return Err(rejected("this counter has already dealt"));
        }
        let mut expected: Vec<u32> = dkg
            .broadcasts
            .iter()
            .map(|(i, _)| *i)
            .filter(|i| *i != index)
            .collect();
        expected.sort_unstable();
        let mut got: Vec<u32> = shares.iter().map(|s| s.to).collect();
        got.sort_unstable();
        if got != expected {
            return Err(invalid(format!(
                "shares must go to exactly the other broadcasting counters {expected:?}"
            )));
        }
        if shares.iter().any(|s| s.sealed.len() != 40) {
            return Err(invalid("a sealed share is 40 bytes"));
        }
        dkg.shares.push((index, shares));
        dkg.shares.sort_by_key(|(i, _)| *i);
        store(ctx, &sub_key(&poll, b"dkg"), &dkg);
        emit_counter_event(ctx, "dkg_shares", &poll, index);
        Ok(())
    }

    fn dkg_complaints(
        &self,
        ctx: &mut TxContext<'_>,
        poll: PollId,
        accused: Vec<u32>,
    ) -> Result<(), ModuleError> {
        let (index, mut dkg) = counter_dkg_step(ctx, &poll)?;
        if !dkg.broadcasts.iter().any(|(i, _)| *i == index) {
            return Err(rejected("only a broadcasting counter may complain"));
        }
        if dkg.complaints.iter().any(|(i, _)| *i == index) {
            return Err(rejected("this counter has already posted its complaints"));
        }
        let mut accused = accused;
        accused.sort_unstable();
        accused.dedup();
        if accused
            .iter()
            .any(|a| *a == index || !dkg.broadcasts.iter().any(|(i, _)| i == a))
        {
            return Err(invalid("complaints name other broadcasting counters only"));
        }
        dkg.complaints.push((index, accused));
        dkg.complaints.sort_by_key(|(i, _)| *i);
        store(ctx, &sub_key(&poll, b"dkg"), &dkg);
        Ok(())
    }

    fn dkg_responses(
        &self,
        ctx: &mut TxContext<'_>,
        poll: PollId,
        responses: Vec<Bytes>,
    ) -> Result<(), ModuleError> {
        let (index, mut dkg) = counter_dkg_step(ctx, &poll)?;
        if responses.len() > MAX_COUNTERS {
            return Err(invalid("too many responses"));
        }
        for r in &responses {
            ComplaintResponse::from_bytes(&r.0)
                .map_err(|e| invalid(format!("complaint response: {e}")))?;
        }
        match dkg.responses.iter_mut().find(|(i, _)| *i == index) {
            Some((_, rs)) => rs.extend(responses),
            None => dkg.responses.push((index, responses)),
        }
        dkg.responses.sort_by_key(|(i, _)| *i);
        store(ctx, &sub_key(&poll, b"dkg"), &dkg);
        Ok(())
    }

    fn finalize_key(&self, ctx: &mut TxContext<'_>, poll: PollId) -> Result<(), ModuleError> {
        let mut state = ctx.poll(&poll)?;
        require_organiser(&state, &ctx.signer())?;
        require_setup(ctx, &state)?;
        if state.group_key.is_some() {
            return Err(rejected("the joint key is already recorded"));
        }
        let dkg = ctx.dkg(&poll)?;
        for (i, _) in &dkg.broadcasts {
            if !dkg.complaints.iter().any(|(a, _)| a == i) {
                return Err(rejected(format!(
                    "counter {i} has not finished checking its shares"
                )));
            }
        }
        for (_, accused) in &dkg.complaints {
            for a in accused {
                if !dkg.responses.iter().any(|(r, _)| r == a) {
                    return Err(rejected(format!(
                        "counter {a} has not answered the complaints against it"
                    )));
                }
            }
        }
        let group = counter::group_key_from_record(&poll, &state.spec, &dkg)
            .map_err(|e| rejected(format!("the DKG did not produce a key: {e}")))?;
        let pk = group.public_key();
        state.group_key = Some(Bytes(group.to_bytes()));
        store(ctx, &poll_key(&poll), &state);
        ctx.emit(
            "key_recorded",
            vec![
                ("poll".into(), poll.to_hex()),
                ("public_key".into(), hex::encode(pk.to_bytes())),
                ("qualified".into(), format!("{:?}", group.qualified())),
            ],
        );
        Ok(())
    }

    fn add_leaves(
        &self,
        ctx: &mut TxContext<'_>,
        poll: PollId,
        class: u32,
        leaves: Vec<[u8; 32]>,
    ) -> Result<(), ModuleError> {
        let mut state = ctx.poll(&poll)?;
        require_organiser(&state, &ctx.signer())?;
        require_setup(ctx, &state)?;
        if state.roots.is_some() {
            return Err(ModuleError::refused("sealed", "eligibility is sealed"));
        }
        if leaves.is_empty() || leaves.len() > MAX_LEAVES_PER_CALL {
            return Err(invalid(format!(
                "1..={MAX_LEAVES_PER_CALL} leaves per call"
            )));
        }
        append_leaves(ctx, &mut state, class, &leaves)?;
        store(ctx, &poll_key(&poll), &state);
        Ok(())
    }

    fn register_with_credential(
        &self,
        ctx: &mut TxContext<'_>,
        poll: PollId,
        credential: String,
        commitment: [u8; 32],
    ) -> Result<(), ModuleError> {
        let mut state = ctx.poll(&poll)?;
        let Some(rule) = state.spec.credential.clone() else {
            return Err(ModuleError::refused(
                "no_credential_rule",
                "this poll has no credential eligibility rule: the organiser enrols voters",
            ));
        };
        require_setup(ctx, &state)?;
        if state.roots.is_some() {
            return Err(ModuleError::refused("sealed", "eligibility is sealed"));
        }
        LeafCommitment::from_bytes(&commitment).map_err(|e| invalid(format!("commitment: {e}")))?;
        let chain = onchain::chain_id(&*ctx)?.unwrap_or_default();
        let issuers = rule
            .issuers
            .iter()
            .map(|d| onchain::weft_address(d, &chain))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ModuleError::refused("poll_spec_invalid", e))?;
        let accepted = onchain::check_credential(
            &*ctx,
            &credential,
            &onchain::Expectations {
                cpt_id: rule.cpt_id,
                cpt_version: rule.cpt_version,
                issuers: &issuers,
                now_ms: ctx.timestamp_ms(),
            },
        )
        .map_err(credential_refused)?;
        if !onchain::subject_signs(&*ctx, &accepted.subject, &ctx.signer())? {
            return Err(ModuleError::refused(
                "subject_not_signer",
                format!(
                "credential refused (subject_not_signer): the signer is not an authentication or \
                 capabilityInvocation key of the credential subject {}",
                accepted.subject_did
            ),
            ));
        }
        let reg_key = registration_key(&poll, &accepted.subject);
        if ctx.read_own(&reg_key)?.is_some() {
            return Err(ModuleError::refused(
                "already_registered",
                format!(
                "credential refused (already_registered): {} has already registered for this poll",
                accepted.subject_did
            ),
            ));
        }
        let class = match &rule.class_claim {
            None => 0,
            Some(claim) => {
                let weight = accepted
                    .claims
                    .get(claim)
                    .and_then(serde_json::Value::as_u64)
                    .ok_or_else(|| {
                        ModuleError::refused(
                            "weight_claim",
                            format!(
                            "credential refused (weight_claim): credentialSubject.{claim} must be \
                             a non-negative integer"
                        ),
                        )
                    })?;
                let class = state
                    .spec
                    .rule
                    .class_weights()
                    .iter()
                    .position(|w| *w == weight)
                    .ok_or_else(|| {
                        ModuleError::refused(
                            "weight_claim",
                            format!(
                            "credential refused (weight_claim): no class of this poll has weight \
                             {weight}"
                        ),
                        )
                    })?;
                class as u32
            }
        };
        let index = append_leaves(ctx, &mut state, class, &[commitment])?;
        let height = ctx.height();
        store(
            ctx,
            &reg_key,
            &CredentialRegistration {
                class,
                index,
                commitment,
                issuer: accepted.issuer,
                height,
            },
        );
        store(ctx, &poll_key(&poll), &state);
        ctx.emit(
            "credential_registered",
            vec![
                ("poll".into(), poll.to_hex()),
                ("subject".into(), accepted.subject_did),
                ("class".into(), class.to_string()),
                ("index".into(), index.to_string()),
                ("commitment".into(), hex::encode(commitment)),
            ],
        );
        Ok(())
    }

    fn seal(&self, ctx: &mut TxContext<'_>, poll: PollId) -> Result<(), ModuleError> {
        let mut state = ctx.poll(&poll)?;
        require_organiser(&state, &ctx.signer())?;
        require_setup(ctx, &state)?;
        if state.roots.is_some() {
            return Err(rejected("eligibility is already sealed"));
        }
        let mut roots = Vec::with_capacity(state.leaf_counts.len());
        for (class, count) in state.leaf_counts.iter().enumerate() {
            let leaves = load_leaves(ctx, &poll, class as u32, *count)?;
            let tree = MerkleTree::from_leaves(usize::from(state.spec.tree_depth), leaves)
                .map_err(|e| rejected(e.to_string()))?;
            roots.push(tree.root().to_bytes());
        }
        ctx.emit(
            "eligibility_sealed",
            vec![
                ("poll".into(), poll.to_hex()),
                (
                    "roots".into(),
                    roots.iter().map(hex::encode).collect::<Vec<_>>().join(","),
                ),
            ],
        );
        state.roots = Some(roots);
        store(ctx, &poll_key(&poll), &state);
        Ok(())
    }

    fn cast(&self, ctx: &mut TxContext<'_>, ballot: Ballot) -> Result<(), ModuleError> {
        let poll = ballot.poll;
        let mut state = ctx.poll(&poll)?;
        match phase(ctx, &state.spec) {
            Phase::Open => {}
            Phase::Before => {
                return Err(ModuleError::refused(
                    "window_not_open",
                    "the voting window has not opened",
                ))
            }
            Phase::After => {
                return Err(ModuleError::refused(
                    "window_closed",
                    "the voting window has closed",
                ))
            }
        }
        let (Some(group), Some(roots)) = (decode_group(&state)?, state.roots.as_ref()) else {
            return Err(ModuleError::refused(
                "not_ready",
                "the poll's key or eligibility is not recorded",
            ));
        };
        let pvk = self.prepared_key(&poll, &state.spec)?;
        let verifier =
            BallotVerifier::with_prepared(poll, &state.spec, group.public_key(), roots, pvk)
                .map_err(|e| ModuleError::refused("ballot_invalid", e.to_string()))?;
        let (cts, _) = verifier
            .verify(&ballot)
            .map_err(|e| ModuleError::refused("ballot_invalid", e.to_string()))?;
        let mut aggregate = decode_aggregate(&state)?;
        let nf_key = nullifier_key(&poll, &ballot.nullifier);
        let (slot, revote) = match ctx.load::<u64>(&nf_key)? {
            Some(slot) => {
                if !state.spec.allow_revote {
                    return Err(ModuleError::refused(
                        "nullifier_used",
                        "this nullifier has already voted",
                    ));
                }
                let old: Ballot = ctx
                    .load(&ballot_key(&poll, slot))?
                    .ok_or_else(|| ModuleError::Storage("missing replaced ballot".into()))?;
                for (acc, b) in aggregate.iter_mut().zip(&old.ciphertexts) {
                    let ct = Ciphertext::from_bytes(&b.0)
                        .map_err(|e| ModuleError::Storage(e.to_string()))?;
                    *acc = sub(acc, &ct);
                }
                (slot, true)
            }
            None => {
                let slot = state.ballots;
                state.ballots += 1;
                store(ctx, &nf_key, &slot);
                (slot, false)
            }
        };
        for (acc, ct) in aggregate.iter_mut().zip(&cts) {
            *acc += *ct;
        }
        state.aggregate = aggregate.iter().map(|c| Bytes(c.to_bytes())).collect();
        store(ctx, &ballot_key(&poll, slot), &ballot);
        store(ctx, &poll_key(&poll), &state);
        ctx.emit(
            "ballot_cast",
            vec![
                ("poll".into(), poll.to_hex()),
                ("nullifier".into(), hex::encode(ballot.nullifier)),
                ("revote".into(), revote.to_string()),
                ("turnout".into(), state.ballots.to_string()),
            ],
        );
        Ok(())
    }

    fn decrypt(
        &self,
        ctx: &mut TxContext<'_>,
        poll: PollId,
        shares: Vec<Bytes>,
    ) -> Result<(), ModuleError> {
        let mut state = ctx.poll(&poll)?;
        let index = counter_index(&*ctx, &state.spec, &ctx.signer())?;
        if phase(ctx, &state.spec) != Phase::After {
            return Err(rejected("decryption opens after the voting window"));
        }
        if state.result.is_some() {
            return Err(rejected("the result is already recorded"));
        }
        let Some(group) = decode_group(&state)? else {
            return Err(rejected("the poll has no joint key"));
        };
        if !group.is_qualified(index) {
            return Err(ModuleError::Unauthorized(format!(
                "counter {index} is not in the qualified set"
            )));
        }
        if state.decrypted_by.contains(&index) {
            return Err(rejected("this counter has already posted its shares"));
        }
        let aggregate = decode_aggregate(&state)?;
        if shares.len() != aggregate.len() {
            return Err(invalid(format!(
                "one share per choice: expected {}, found {}",
                aggregate.len(),
                shares.len()
            )));
        }
        let tctx = counter::tally_context(&poll);
        for (i, (b, ct)) in shares.iter().zip(&aggregate).enumerate() {
            let share = DecryptionShare::from_bytes(&b.0)
                .map_err(|e| invalid(format!("share {i}: {e}")))?;
            if share.index() != index {
                return Err(invalid(format!(
                    "share {i} is for counter {}, the signer is counter {index}",
                    share.index()
                )));
            }
            group
                .verify_share(&Context::new(&tctx), ct, &share)
                .map_err(|_| rejected(format!("decryption share {i} has an invalid proof")))?;
        }
        let mut decs = ctx.decryptions(&poll)?;
        decs.push((index, shares));
        decs.sort_by_key(|(i, _)| *i);
        state.decrypted_by.push(index);
        state.decrypted_by.sort_unstable();
        ctx.emit(
            "decryption_shares",
            vec![
                ("poll".into(), poll.to_hex()),
                ("counter".into(), index.to_string()),
            ],
        );
        if state.decrypted_by.len() >= group.params().threshold() as usize {
            let decoded = decode_decryptions(&decs)?;
            let (counts, combined) =
                combine_tally(&poll, &group, &aggregate, &decoded, count_bound(&state))
                    .map_err(|e| rejected(format!("the tally does not decrypt: {e}")))?;
            ctx.emit(
                "tally",
                vec![
                    ("poll".into(), poll.to_hex()),
                    (
                        "counts".into(),
                        counts
                            .iter()
                            .map(u64::to_string)
                            .collect::<Vec<_>>()
                            .join(","),
                    ),
                ],
            );
            state.result = Some(TallyResult {
                counts,
                combined,
                height: ctx.height(),
            });
        }
        store(ctx, &sub_key(&poll, b"dec"), &decs);
        store(ctx, &poll_key(&poll), &state);
        Ok(())
    }
}

/// Appends `leaves` to `class`'s tree (checking each leaf and the capacity); returns the index
/// of the first. The caller stores `state`.
fn append_leaves(
    ctx: &mut TxContext<'_>,
    state: &mut PollState,
    class: u32,
    leaves: &[[u8; 32]],
) -> Result<u64, ModuleError> {
    let count = *state
        .leaf_counts
        .get(class as usize)
        .ok_or_else(|| invalid(format!("unknown class {class}")))?;
    let capacity = 1u64 << state.spec.tree_depth.min(63);
    if count + leaves.len() as u64 > capacity {
        return Err(rejected("the eligibility tree is full"));
    }
    for (k, leaf) in leaves.iter().enumerate() {
        LeafCommitment::from_bytes(leaf).map_err(|e| invalid(format!("leaf {k}: {e}")))?;
        ctx.set(&leaf_key(&state.id, class, count + k as u64), leaf.to_vec());
    }
    state.leaf_counts[class as usize] = count + leaves.len() as u64;
    Ok(count)
}

/// Decodes recorded decryption shares.
pub fn decode_decryptions(
    decs: &[(u32, Vec<Bytes>)],
) -> Result<Vec<(u32, Vec<DecryptionShare>)>, ModuleError> {
    decs.iter()
        .map(|(i, bs)| {
            bs.iter()
                .map(|b| DecryptionShare::from_bytes(&b.0))
                .collect::<Result<Vec<_>, _>>()
                .map(|v| (*i, v))
                .map_err(|e| ModuleError::Storage(format!("corrupt decryption share: {e}")))
        })
        .collect()
}

fn load_leaves(
    r: &impl Reads,
    poll: &PollId,
    class: u32,
    count: u64,
) -> Result<Vec<LeafCommitment>, ModuleError> {
    (0..count)
        .map(|i| {
            let bytes: [u8; 32] = r
                .read_own(&leaf_key(poll, class, i))?
                .and_then(|v| v.try_into().ok())
                .ok_or_else(|| ModuleError::Storage("missing leaf".into()))?;
            LeafCommitment::from_bytes(&bytes).map_err(|e| ModuleError::Storage(e.to_string()))
        })
        .collect()
}

fn load_ballots(
    r: &impl Reads,
    poll: &PollId,
    from: u64,
    limit: u64,
) -> Result<Vec<Ballot>, ModuleError> {
    let state = r.poll(poll)?;
    let end = from.saturating_add(limit).min(state.ballots);
    (from..end)
        .map(|slot| {
            r.load(&ballot_key(poll, slot))?
                .ok_or_else(|| ModuleError::Storage("missing ballot".into()))
        })
        .collect()
}

fn ok<T: borsh::BorshSerialize>(v: &T) -> Result<Vec<u8>, ModuleError> {
    Ok(borsh::to_vec(v).expect("write to Vec"))
}

impl Module for VoteModule {
    fn name(&self) -> &'static str {
        NAME
    }

    fn execute(
        &self,
        ctx: &mut TxContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<(), ModuleError> {
        let c: VoteCall =
            borsh::from_slice(args).map_err(|e| invalid(format!("undecodable call: {e}")))?;
        if c.method() != method {
            return Err(ModuleError::UnknownMethod(method.to_string()));
        }
        match c {
            VoteCall::CreatePoll(spec) => self.create_poll(ctx, spec),
            VoteCall::DkgBroadcast { poll, post } => self.dkg_broadcast(ctx, poll, post),
            VoteCall::DkgShares { poll, shares } => self.dkg_shares(ctx, poll, shares),
            VoteCall::DkgComplaints { poll, accused } => self.dkg_complaints(ctx, poll, accused),
            VoteCall::DkgResponses { poll, responses } => self.dkg_responses(ctx, poll, responses),
            VoteCall::FinalizeKey { poll } => self.finalize_key(ctx, poll),
            VoteCall::AddLeaves {
                poll,
                class,
                leaves,
            } => self.add_leaves(ctx, poll, class, leaves),
            VoteCall::Seal { poll } => self.seal(ctx, poll),
            VoteCall::RegisterWithCredential {
                poll,
                credential,
                commitment,
            } => self.register_with_credential(ctx, poll, credential, commitment),
            VoteCall::Cast(ballot) => self.cast(ctx, ballot),
            VoteCall::Decrypt { poll, shares } => self.decrypt(ctx, poll, shares),
        }
    }

    fn query(
        &self,
        ctx: &ReadContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<Vec<u8>, ModuleError> {
        let q: VoteQuery =
            borsh::from_slice(args).map_err(|e| invalid(format!("undecodable query: {e}")))?;
        if q.method() != method {
            return Err(ModuleError::UnknownMethod(method.to_string()));
        }
        match q {
            VoteQuery::Poll(id) => ok(&ctx.poll(&id)?),
            VoteQuery::Polls => ok(&ctx.load::<Vec<PollId>>(POLLS_KEY)?.unwrap_or_default()),
            VoteQuery::Dkg(id) => ok(&ctx.dkg(&id)?),
            VoteQuery::Leaves { poll, class } => {
                let state = ctx.poll(&poll)?;
                let count = *state
                    .leaf_counts
                    .get(class as usize)
                    .ok_or_else(|| invalid(format!("unknown class {class}")))?;
                let leaves: Vec<[u8; 32]> = load_leaves(ctx, &poll, class, count)?
                    .iter()
                    .map(LeafCommitment::to_bytes)
                    .collect();
                ok(&leaves)
            }
            VoteQuery::Ballots { poll, from, limit } => ok(&load_ballots(ctx, &poll, from, limit)?),
            VoteQuery::Record(poll) => {
                let state = ctx.poll(&poll)?;
                let leaves = (0..state.leaf_counts.len())
                    .map(|c| {
                        load_leaves(ctx, &poll, c as u32, state.leaf_counts[c])
                            .map(|ls| ls.iter().map(LeafCommitment::to_bytes).collect())
                    })
                    .collect::<Result<Vec<Vec<[u8; 32]>>, _>>()?;
                let record = PollRecord {
                    dkg: ctx.dkg(&poll)?,
                    leaves,
                    ballots: load_ballots(ctx, &poll, 0, u64::MAX)?,
                    decryptions: ctx.decryptions(&poll)?,
                    state,
                };
                ok(&record)
            }
            VoteQuery::Registration { poll, subject } => {
                let _ = ctx.poll(&poll)?;
                ok(&ctx.load::<CredentialRegistration>(&registration_key(&poll, &subject))?)
            }
            VoteQuery::NullifierUsed { poll, nullifier } => {
                ok(&ctx.read_own(&nullifier_key(&poll, &nullifier))?.is_some())
            }
        }
    }

    fn describe_call(&self, method: &str, args: &[u8]) -> Option<serde_json::Value> {
        let c: VoteCall = borsh::from_slice(args).ok()?;
        if c.method() != method {
            return None;
        }
        serde_json::to_value(&c).ok()
    }
}
