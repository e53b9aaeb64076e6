//! The credential verifier's view of the chain: [`ChainLedger`] implements
//! [`CredentialLedger`] over module queries of the local node, and [`CredentialService`] holds it
//! behind a [`CachedLedger`] together with the server-issued presentation challenges.
//!
//! - DID keys at a time: the `did` module's `resolve` by time (version index) and by version.
//! - Issuer standing at issuance time: the `issuer` module queried *at the block height in force
//!   at that time* (the chain keeps versioned state; the height is found by binary search over
//!   block timestamps), so recognition granted or revoked later does not change the answer.
//! - CPTs: the `cpt` module by id and version (compiled once, cached forever).
//! - Status: the `status` module's bits of the list named by the entry (lists of this chain);
//!   with `statusProof`, the same bit through a state proof verified against the block's commit
//!   certificate and the validator set that committed it ([`super::status::status_proven_on`]).
//! - Evidence: the inclusion proof is in this server's store, so the verify handler looks it up
//!   (async) and passes the outcome in through [`WithEvidence`].
//!
//! One [`CredentialService`] exists per node (a process-wide registry keyed by the node), so
//! every actix worker shares the cache and the challenge store.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rand::rngs::OsRng;
use rand::RngCore;
use serde_json::Value;
use weft_chain::{Address, Node};
use weft_did::cpt::{self, Cpt, CptQuery};
use weft_did::credential::vc::{CptRef, CptSchema};
use weft_did::credential::verify::{
    CachedLedger, CredentialLedger, DidVersion, EvidenceOutcome, LedgerError, ProvenStatus,
    StatusOutcome,
};
use weft_did::issuer::{self, IssuerInfo, IssuerQuery};
use weft_did::registry::{self, DidQuery, Resolution, Selector};

/// How long a server-issued challenge stays usable.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(300);
/// Most outstanding challenges (the oldest expired ones are purged first; then refused).
pub const MAX_CHALLENGES: usize = 100_000;

/// [`CredentialLedger`] over the local node's module queries.
#[derive(Debug, Clone)]
pub struct ChainLedger {
    node: Arc<Node>,
}

impl ChainLedger {
    /// A ledger reading `node`.
    pub fn new(node: Arc<Node>) -> Self {
        ChainLedger { node }
    }

    fn query<T: borsh::BorshDeserialize>(
        &self,
        module: &str,
        (method, args): (&str, Vec<u8>),
        height: Option<u64>,
    ) -> Result<T, LedgerError> {
        let bytes = self
            .node
            .call(module, method, &args, height)
            .map_err(|e| LedgerError::Unavailable(e.to_string()))?;
        borsh::from_slice(&bytes).map_err(|e| LedgerError::Unavailable(e.to_string()))
    }

    fn timestamp(&self, height: u64) -> Result<u64, LedgerError> {
        self.node
            .block_by_number(height)
            .map_err(|e| LedgerError::Unavailable(e.to_string()))?
            .map(|b| b.header.timestamp_ms)
            .ok_or_else(|| LedgerError::Unavailable(format!("no block {height}")))
    }

    /// The last height whose block timestamp is `<= at_ms` (`None`: before the chain began).
    pub fn height_at(&self, at_ms: u64) -> Result<Option<u64>, LedgerError> {
        let head = self.node.height();
        if self.timestamp(head)? <= at_ms {
            return Ok(Some(head));
        }
        if self.timestamp(0)? > at_ms {
            return Ok(None);
        }
        // Invariant: ts(lo) <= at_ms < ts(hi).
        let (mut lo, mut hi) = (0u64, head);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.timestamp(mid)? <= at_ms {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(Some(lo))
    }

    fn resolve(
        &self,
        did: &Address,
        selector: Selector,
    ) -> Result<Option<Resolution>, LedgerError> {
        self.query(
            registry::NAME,
            DidQuery::Resolve {
                did: *did,
                selector,
            }
            .args(),
            None,
        )
    }
}

impl CredentialLedger for ChainLedger {
    fn height(&self) -> u64 {
        self.node.height()
    }

    fn chain_id(&self) -> &str {
        self.node.chain_id()
    }

    fn did_version_at(&self, did: &Address, at_ms: u64) -> Result<Option<u32>, LedgerError> {
        Ok(self.resolve(did, Selector::Time(at_ms))?.map(|r| r.version))
    }

    fn did_version(
        &self,
        did: &Address,
        version: u32,
    ) -> Result<Option<Arc<DidVersion>>, LedgerError> {
        Ok(self.resolve(did, Selector::Version(version))?.map(|r| {
            Arc::new(DidVersion {
                state: r.record.state,
                deactivated: r.record.deactivated,
            })
        }))
    }

    fn is_authority_issuer(&self, issuer: &Address, at_ms: u64) -> Result<bool, LedgerError> {
        let Some(height) = self.height_at(at_ms)? else {
            return Ok(false);
        };
        let info: Option<IssuerInfo> = self.query(
            issuer::NAME,
            IssuerQuery::Issuer { account: *issuer }.args(),
            Some(height),
        )?;
        Ok(info.is_some_and(|i| i.recognised))
    }

    fn is_type_member(
        &self,
        type_name: &str,
        issuer: &Address,
        at_ms: u64,
    ) -> Result<bool, LedgerError> {
        let Some(height) = self.height_at(at_ms)? else {
            return Ok(false);
        };
        self.query(
            issuer::NAME,
            IssuerQuery::IsMember {
                type_name: type_name.to_string(),
                account: *issuer,
            }
            .args(),
            Some(height),
        )
    }

    fn cpt(&self, r: CptRef) -> Result<Option<Arc<CptSchema>>, LedgerError> {
        let c: Option<Cpt> = self.query(
            cpt::NAME,
            CptQuery::Get {
                id: r.id,
                version: Some(r.version),
            }
            .args(),
            None,
        )?;
        let Some(c) = c else { return Ok(None) };
        let schema: Value = serde_json::from_str(&c.schema)
            .map_err(|e| LedgerError::Unavailable(format!("stored CPT schema: {e}")))?;
        Ok(Some(Arc::new(CptSchema::new(r, c.digest.0, schema))))
    }

    fn status(&self, entry: &Value) -> Result<StatusOutcome, LedgerError> {
        use super::status::StatusCheckError as E;
        match super::status::status_check_on(&self.node, entry) {
            Ok((outcome, _owner)) => Ok(outcome),
            Err(E::Unavailable(e)) => Err(LedgerError::Unavailable(e)),
            Err(e) => Err(LedgerError::Invalid(e.to_string())),
        }
    }

    fn status_proven(&self, entry: &Value) -> Result<ProvenStatus, LedgerError> {
        use super::status::StatusCheckError as E;
        match super::status::status_proven_on(&self.node, entry) {
            Ok(p) => Ok(p),
            Err(E::Unavailable(e)) => Err(LedgerError::Unavailable(e)),
            Err(E::Proof(e)) => Err(LedgerError::ProofRefused(e.to_string())),
            Err(e) => Err(LedgerError::Invalid(e.to_string())),
        }
    }

    /// Inclusion proofs live in this server's store (async), not on chain: the verify handler
    /// looks the hash up first and answers through [`WithEvidence`]; asked directly, the chain
    /// alone cannot say.
    fn evidence(&self, _hash: &[u8; 32]) -> Result<EvidenceOutcome, LedgerError> {
        Err(LedgerError::NotConfigured("evidence anchoring"))
    }
}

/// A ledger whose evidence answer was looked up beforehand (the stored inclusion proof checked
/// against the batch root on chain, see [`super::evidence::hash_outcome`]); everything else is
/// the inner ledger's.
#[derive(Debug)]
pub struct WithEvidence<'a, L> {
    /// The ledger answering everything but evidence.
    pub inner: &'a L,
    /// The evidence outcome of the credential being verified (`None`: not looked up).
    pub evidence: Option<EvidenceOutcome>,
}

impl<L: CredentialLedger> CredentialLedger for WithEvidence<'_, L> {
    fn height(&self) -> u64 {
        self.inner.height()
    }
    fn chain_id(&self) -> &str {
        self.inner.chain_id()
    }
    fn did_version_at(&self, did: &Address, at_ms: u64) -> Result<Option<u32>, LedgerError> {
        self.inner.did_version_at(did, at_ms)
    }
    fn did_version(
        &self,
        did: &Address,
        version: u32,
    ) -> Result<Option<Arc<DidVersion>>, LedgerError> {
        self.inner.did_version(did, version)
    }
    fn is_authority_issuer(&self, issuer: &Address, at_ms: u64) -> Result<bool, LedgerError> {
        self.inner.is_authority_issuer(issuer, at_ms)
    }
    fn is_type_member(
        &self,
        type_name: &str,
        issuer: &Address,
        at_ms: u64,
    ) -> Result<bool, LedgerError> {
        self.inner.is_type_member(type_name, issuer, at_ms)
    }
    fn cpt(&self, cpt: CptRef) -> Result<Option<Arc<CptSchema>>, LedgerError> {
        self.inner.cpt(cpt)
    }
    fn status(&self, entry: &Value) -> Result<StatusOutcome, LedgerError> {
        self.inner.status(entry)
    }
    fn status_proven(&self, entry: &Value) -> Result<ProvenStatus, LedgerError> {
        self.inner.status_proven(entry)
    }
    fn evidence(&self, hash: &[u8; 32]) -> Result<EvidenceOutcome, LedgerError> {
        match self.evidence {
            Some(outcome) => Ok(outcome),
            None => self.inner.evidence(hash),
        }
    }
}

/// What happened to a presented challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeUse {
    /// Issued here, unexpired and unused: now consumed.
    Fresh,
    /// Issued here and already used.
    Replayed,
    /// Never issued here, or expired.
    Unknown,
}

#[derive(Debug)]
struct Challenges {
    /// challenge → (expiry, used).
    entries: HashMap<String, (Instant, bool)>,
}

/// The credential verifier of one node: cached ledger + challenge store.
pub struct CredentialService {
    /// The cached ledger.
    pub ledger: CachedLedger<ChainLedger>,
    challenges: Mutex<Challenges>,
    /// Wallets' answers to presentation requests: challenge → (kept until, answer).
    answers: Mutex<HashMap<String, (Instant, Value)>>,
}

impl std::fmt::Debug for CredentialService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialService")
            .field("ledger", &self.ledger)
            .field("challenges", &self.challenges.lock().entries.len())
            .finish()
    }
}

impl CredentialService {
    /// A service over `node`.
    pub fn new(node: Arc<Node>) -> Self {
        CredentialService {
            ledger: CachedLedger::new(ChainLedger::new(node)),
            challenges: Mutex::new(Challenges {
                entries: HashMap::new(),
            }),
            answers: Mutex::new(HashMap::new()),
        }
    }

    /// Keeps a wallet's answer to the request with `challenge` for [`CHALLENGE_TTL`], for the
    /// verifier page to collect. `false` when the store is full.
    pub fn record_answer(&self, challenge: &str, answer: Value) -> bool {
        let now = Instant::now();
        let mut a = self.answers.lock();
        a.retain(|_, (until, _)| *until > now);
        if a.len() >= MAX_CHALLENGES {
            return false;
        }
        a.insert(challenge.to_string(), (now + CHALLENGE_TTL, answer));
        true
    }

    /// The answer recorded for `challenge`, if any (and not expired).
    pub fn answer(&self, challenge: &str) -> Option<Value> {
        let now = Instant::now();
        let a = self.answers.lock();
        a.get(challenge)
            .filter(|(until, _)| *until > now)
            .map(|(_, v)| v.clone())
    }

    /// Issues a fresh one-time challenge (128 random bits, hex) and its lifetime.
    pub fn new_challenge(&self) -> Option<(String, Duration)> {
        let mut bytes = [0u8; 16];
        OsRng.fill_bytes(&mut bytes);
        let challenge = hex::encode(bytes);
        let now = Instant::now();
        let mut c = self.challenges.lock();
        if c.entries.len() >= MAX_CHALLENGES {
            c.entries.retain(|_, (exp, _)| *exp > now);
            if c.entries.len() >= MAX_CHALLENGES {
                return None;
            }
        }
        c.entries
            .insert(challenge.clone(), (now + CHALLENGE_TTL, false));
        Some((challenge, CHALLENGE_TTL))
    }

    /// Consumes `challenge` (whatever the presentation's outcome, so it can be tried once).
    pub fn use_challenge(&self, challenge: &str) -> ChallengeUse {
        let now = Instant::now();
        let mut c = self.challenges.lock();
        match c.entries.get(challenge).copied() {
            None => ChallengeUse::Unknown,
            Some((exp, _)) if exp <= now => {
                c.entries.remove(challenge);
                ChallengeUse::Unknown
            }
            Some((_, true)) => ChallengeUse::Replayed,
            Some((exp, false)) => {
                c.entries.insert(challenge.to_string(), (exp, true));
                ChallengeUse::Fresh
            }
        }
    }
}

type Registry = Mutex<Vec<(Weak<Node>, Arc<CredentialService>)>>;

static SERVICES: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();

/// The service of `node` (created on first use; shared by every worker serving that node).
pub fn service(node: &Arc<Node>) -> Arc<CredentialService> {
    let mut services = SERVICES.get_or_init(|| Mutex::new(Vec::new())).lock();
    services.retain(|(n, _)| n.strong_count() > 0);
    if let Some((_, s)) = services
        .iter()
        .find(|(n, _)| n.upgrade().is_some_and(|n| Arc::ptr_eq(&n, node)))
    {
        return s.clone();
    }
    let s = Arc::new(CredentialService::new(node.clone()));
    services.push((Arc::downgrade(node), s.clone()));
    s
}
