//! The `psi` on-chain module: the public record of a PSI session. The chain never sees data —
//! only who computed with whom, how, commitments to the set sizes, and the result digest both
//! parties signed (or why the session failed).
//!
//! Lifecycle: `Created` (by the initiator, naming the responder) → `Joined` (by the responder)
//! → `Completed` (by either party, carrying both parties' signatures over the result digest)
//! or `Failed` (by either party, with a reason, from `Created` or `Joined`). Final states never
//! change.
//!
//! Authorisation is always against the transaction signer: the creator's key must hash to the
//! signer's address; only the named responder may join (with a key that hashes to its address);
//! only the two parties may complete or fail a session.
//!
//! Parties are named by DIDs, checked against the signer's key (read from the `did` namespace
//! with `weft_did::registry`): a `did:key` must name exactly that key; a `did:weft` must be of
//! this chain, registered, not deactivated, and hold the key as an `authentication` or
//! `capabilityInvocation` key of its current document. `Create` checks the initiator's DID and
//! key and that the responder's DID exists (a `did:key` responder must name the responder's
//! account); `Join` checks the responder's DID against the joining key. Other DID methods are
//! refused.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use weft_chain::tx::Call;
use weft_chain::{Address, Module, ModuleError, PublicKey, ReadContext, Signature, TxContext};

use super::ecdh::Mode;
use super::transcript;
use weft_did::registry;
use weft_did::{Did, Relationships};

use super::wire::resolve_did_key;

/// Module name and state namespace.
pub const NAME: &str = "psi";

const MAX_DID_LEN: usize = 256;
const MAX_REASON_LEN: usize = 256;

/// Which protocol a session runs.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// ECDH-PSI on ristretto255 (this crate's [`super::ecdh`]).
    EcdhRistretto255,
    /// Unbalanced PSI with a DH-OPRF and a compact filter.
    UnbalancedOprf,
    /// Keyword lookup with a DH-OPRF.
    KeywordLookup,
}

/// A `psi` transaction.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub enum PsiCall {
    /// Open a session naming the responder. Signed by the initiator.
    Create {
        /// Session id (the protocol's session id).
        session_id: [u8; 32],
        /// Initiator's DID.
        initiator_did: String,
        /// Initiator's organisation key; must hash to the signer's address.
        initiator_key: PublicKey,
        /// Responder's DID.
        responder_did: String,
        /// Responder's account address.
        responder: Address,
        /// Protocol.
        protocol: Protocol,
        /// Mode.
        mode: Mode,
        /// Commitment to the initiator's set size ([`size_commitment`]).
        size_commitment: [u8; 32],
    },
    /// Join a session. Signed by the named responder.
    Join {
        /// Session id.
        session_id: [u8; 32],
        /// Responder's organisation key; must hash to the signer's address.
        responder_key: PublicKey,
        /// Commitment to the responder's set size.
        size_commitment: [u8; 32],
    },
    /// Record completion. Signed by either party; carries both parties' signatures.
    Complete {
        /// Session id.
        session_id: [u8; 32],
        /// The result digest both computed.
        result_digest: [u8; 32],
        /// Initiator's signature over [`result_signing_bytes`].
        initiator_signature: Signature,
        /// Responder's signature over [`result_signing_bytes`].
        responder_signature: Signature,
    },
    /// Record failure. Signed by either party.
    Fail {
        /// Session id.
        session_id: [u8; 32],
        /// Why (no data, no keys).
        reason: String,
    },
}

impl PsiCall {
    /// The method name used in [`Call::method`].
    pub fn method(&self) -> &'static str {
        match self {
            PsiCall::Create { .. } => "create",
            PsiCall::Join { .. } => "join",
            PsiCall::Complete { .. } => "complete",
            PsiCall::Fail { .. } => "fail",
        }
    }
}

/// Builds the [`Call`] for a `psi` transaction.
pub fn call(c: PsiCall) -> Call {
    Call {
        module: NAME.to_string(),
        method: c.method().to_string(),
        args: borsh::to_vec(&c).expect("write to Vec"),
    }
}

/// The arguments of the `session` query: borsh of the session id; returns borsh
/// `Option<SessionRecord>`.
pub fn session_query(session_id: &[u8; 32]) -> (&'static str, Vec<u8>) {
    ("session", borsh::to_vec(session_id).expect("write to Vec"))
}

/// A hiding commitment to a set size: `H(label, session id, size, blinding)`, with 32 random
/// bytes of blinding kept by the party (opened to an auditor if ever needed).
pub fn size_commitment(session_id: &[u8; 32], size: u64, blinding: &[u8; 32]) -> [u8; 32] {
    transcript::hash_parts(
        transcript::SIZE_COMMITMENT,
        &[session_id, &size.to_le_bytes(), blinding],
    )
}

/// Whether `(size, blinding)` opens `commitment` for `session_id` (see [`size_commitment`]):
/// how a party later proves the set size it committed to.
pub fn verify_size_opening(
    session_id: &[u8; 32],
    commitment: &[u8; 32],
    size: u64,
    blinding: &[u8; 32],
) -> bool {
    use subtle::ConstantTimeEq;
    size_commitment(session_id, size, blinding)
        .ct_eq(commitment)
        .into()
}

/// The result digest of an OPRF query session ([`Protocol::UnbalancedOprf`] or
/// [`Protocol::KeywordLookup`]). The data holder never learns the client's result, so the
/// digest is of the transcript both parties saw: the session id, the filter or table id, the
/// blinded points the client sent and the evaluations the holder returned, in order.
pub fn oprf_query_digest(
    session_id: &[u8; 32],
    published_id: &[u8; 32],
    points: &[[u8; 32]],
    answers: &[[u8; 32]],
) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let list = |v: &[[u8; 32]]| -> [u8; 32] {
        let mut h = Sha256::new();
        h.update((v.len() as u64).to_le_bytes());
        for p in v {
            h.update(p);
        }
        h.finalize().into()
    };
    transcript::hash_parts(
        transcript::OPRF_QUERY_DIGEST,
        &[session_id, published_id, &list(points), &list(answers)],
    )
}

/// What each party signs to complete a session.
pub fn result_signing_bytes(session_id: &[u8; 32], result_digest: &[u8; 32]) -> Vec<u8> {
    transcript::hash_parts(transcript::RESULT_SIGNATURE, &[session_id, result_digest]).to_vec()
}

/// Session status.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum SessionStatus {
    /// Waiting for the responder.
    Created,
    /// Both parties are in; the exchange runs off chain.
    Joined,
    /// Completed with a result digest signed by both.
    Completed,
    /// Failed.
    Failed,
}

/// The on-chain record of a session.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct SessionRecord {
    /// Session id.
    pub session_id: [u8; 32],
    /// Protocol.
    pub protocol: Protocol,
    /// Mode.
    pub mode: Mode,
    /// Initiator's account.
    pub initiator: Address,
    /// Initiator's DID.
    pub initiator_did: String,
    /// Initiator's key.
    pub initiator_key: PublicKey,
    /// Initiator's size commitment.
    pub initiator_commitment: [u8; 32],
    /// Responder's account.
    pub responder: Address,
    /// Responder's DID.
    pub responder_did: String,
    /// Responder's key, once joined.
    pub responder_key: Option<PublicKey>,
    /// Responder's size commitment, once joined.
    pub responder_commitment: Option<[u8; 32]>,
    /// Status.
    pub status: SessionStatus,
    /// Result digest, once completed.
    pub result_digest: Option<[u8; 32]>,
    /// Failure reason and who reported it.
    pub failure: Option<(Address, String)>,
    /// Height of creation.
    pub created_height: u64,
    /// Height of the last change.
    pub updated_height: u64,
}

fn key(session_id: &[u8; 32]) -> Vec<u8> {
    let mut k = b"session/".to_vec();
    k.extend_from_slice(session_id);
    k
}

fn load(ctx: &TxContext<'_>, session_id: &[u8; 32]) -> Result<SessionRecord, ModuleError> {
    let bytes = ctx
        .get(&key(session_id))?
        .ok_or_else(|| ModuleError::NotFound(format!("session 0x{}", hex_id(session_id))))?;
    borsh::from_slice(&bytes)
        .map_err(|e| ModuleError::Storage(format!("corrupt session record: {e}")))
}

fn store(ctx: &mut TxContext<'_>, rec: &SessionRecord) {
    ctx.set(
        &key(&rec.session_id),
        borsh::to_vec(rec).expect("write to Vec"),
    );
}

fn hex_id(id: &[u8; 32]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the `did` module records the chain id (in its namespace); a `did:weft` must name it.
const DID_CHAIN_ID_KEY: &[u8] = b"chain_id";

/// Checks a party's DID against the chain, and — when the party's key is known (`key`) — that
/// the key speaks for the DID:
///
/// - `did:key`: the key must be the one the DID names;
/// - `did:weft`: the DID must be of this chain, registered and not deactivated, and the key
///   must be an `authentication` or `capabilityInvocation` key of its current document.
///
/// Any other DID method is refused: the module could not check it.
fn check_did(
    ctx: &TxContext<'_>,
    role: &str,
    did: &str,
    key: Option<&PublicKey>,
) -> Result<(), ModuleError> {
    if did.is_empty() || did.len() > MAX_DID_LEN || !did.starts_with("did:") {
        return Err(ModuleError::InvalidArgs(format!(
            "malformed {role} DID {did:?}"
        )));
    }
    if did.starts_with("did:key:") {
        // A did:key names its key: it must be the key that signs for this party.
        let resolved = resolve_did_key(did).map_err(|e| ModuleError::InvalidArgs(e.to_string()))?;
        if key.is_some_and(|k| &resolved != k) {
            return Err(ModuleError::Unauthorized(format!(
                "the {role}'s did:key does not name the signing key"
            )));
        }
        return Ok(());
    }
    let (chain_id, address) = match Did::parse(did) {
        Ok(Did::Weft { chain_id, address }) => (chain_id, address),
        Ok(Did::Key(_)) => {
            return Err(ModuleError::InvalidArgs(format!(
                "malformed {role} DID {did:?}"
            )))
        }
        Err(e) => {
            return Err(ModuleError::InvalidArgs(format!(
                "{role} DID {did:?}: {e} (a party is named by a did:key or a did:weft)"
            )))
        }
    };
    let ours = ctx
        .read(registry::NAME, DID_CHAIN_ID_KEY)?
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    if ours.as_deref() != Some(chain_id.as_str()) {
        return Err(ModuleError::Rejected(format!(
            "{role} DID {did} is not a DID of this chain"
        )));
    }
    let Some(res) = registry::resolve(ctx, &address, registry::Selector::Latest)? else {
        return Err(ModuleError::Rejected(format!(
            "{role} DID {did} is not registered on chain"
        )));
    };
    if res.head.deactivated || res.record.deactivated {
        return Err(ModuleError::Rejected(format!(
            "{role} DID {did} is deactivated"
        )));
    }
    if let Some(k) = key {
        let speaks = res.record.state.keys.iter().any(|vk| {
            (vk.relationships.has(Relationships::AUTHENTICATION)
                || vk.relationships.has(Relationships::CAPABILITY_INVOCATION))
                && vk.public_key == *k
        });
        if !speaks {
            return Err(ModuleError::Unauthorized(format!(
                "the {role}'s key is not an authentication or capabilityInvocation key of \
                 {did}"
            )));
        }
    }
    Ok(())
}

/// The `psi` module.
#[derive(Debug, Clone, Copy, Default)]
pub struct PsiModule;

impl Module for PsiModule {
    fn name(&self) -> &'static str {
        NAME
    }

    fn execute(
        &self,
        ctx: &mut TxContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<(), ModuleError> {
        let c: PsiCall =
            borsh::from_slice(args).map_err(|e| ModuleError::InvalidArgs(e.to_string()))?;
        if c.method() != method {
            return Err(ModuleError::InvalidArgs(format!(
                "method {method:?} does not match the arguments ({})",
                c.method()
            )));
        }
        let signer = ctx.signer();
        let height = ctx.height();
        match c {
            PsiCall::Create {
                session_id,
                initiator_did,
                initiator_key,
                responder_did,
                responder,
                protocol,
                mode,
                size_commitment,
            } => {
                if Address::from_public_key(&initiator_key) != signer {
                    return Err(ModuleError::Unauthorized(
                        "initiator key is not the signer's".into(),
                    ));
                }
                if responder == signer {
                    return Err(ModuleError::Rejected(
                        "a party cannot compute with itself".into(),
                    ));
                }
                check_did(ctx, "initiator", &initiator_did, Some(&initiator_key))?;
                check_did(ctx, "responder", &responder_did, None)?;
                // A did:key responder can only ever join with its own key: name its account.
                if let Ok(k) = resolve_did_key(&responder_did) {
                    if Address::from_public_key(&k) != responder {
                        return Err(ModuleError::InvalidArgs(
                            "the responder's did:key does not name the responder's account".into(),
                        ));
                    }
                }
                if ctx.get(&key(&session_id))?.is_some() {
                    return Err(ModuleError::Rejected(format!(
                        "session 0x{} already exists",
                        hex_id(&session_id)
                    )));
                }
                let rec = SessionRecord {
                    session_id,
                    protocol,
                    mode,
                    initiator: signer,
                    initiator_did,
                    initiator_key,
                    initiator_commitment: size_commitment,
                    responder,
                    responder_did,
                    responder_key: None,
                    responder_commitment: None,
                    status: SessionStatus::Created,
                    result_digest: None,
                    failure: None,
                    created_height: height,
                    updated_height: height,
                };
                store(ctx, &rec);
                ctx.emit(
                    "created",
                    vec![
                        ("session".into(), hex_id(&session_id)),
                        ("initiator".into(), signer.to_string()),
                        ("responder".into(), responder.to_string()),
                    ],
                );
            }
            PsiCall::Join {
                session_id,
                responder_key,
                size_commitment,
            } => {
                let mut rec = load(ctx, &session_id)?;
                if signer != rec.responder || Address::from_public_key(&responder_key) != signer {
                    return Err(ModuleError::Unauthorized(
                        "only the named responder may join, with its own key".into(),
                    ));
                }
                if rec.status != SessionStatus::Created {
                    return Err(ModuleError::Rejected(format!(
                        "session is {:?}",
                        rec.status
                    )));
                }
                check_did(ctx, "responder", &rec.responder_did, Some(&responder_key))?;
                rec.responder_key = Some(responder_key);
                rec.responder_commitment = Some(size_commitment);
                rec.status = SessionStatus::Joined;
                rec.updated_height = height;
                store(ctx, &rec);
                ctx.emit("joined", vec![("session".into(), hex_id(&session_id))]);
            }
            PsiCall::Complete {
                session_id,
                result_digest,
                initiator_signature,
                responder_signature,
            } => {
                let mut rec = load(ctx, &session_id)?;
                if signer != rec.initiator && signer != rec.responder {
                    return Err(ModuleError::Unauthorized(
                        "not a party of the session".into(),
                    ));
                }
                if rec.status != SessionStatus::Joined {
                    return Err(ModuleError::Rejected(format!(
                        "session is {:?}",
                        rec.status
                    )));
                }
                let responder_key = rec
                    .responder_key
                    .ok_or_else(|| ModuleError::Storage("joined session without key".into()))?;
                let msg = result_signing_bytes(&session_id, &result_digest);
                if !rec.initiator_key.verify(&msg, &initiator_signature)
                    || !responder_key.verify(&msg, &responder_signature)
                {
                    return Err(ModuleError::Rejected(
                        "result digest is not signed by both parties".into(),
                    ));
                }
                rec.result_digest = Some(result_digest);
                rec.status = SessionStatus::Completed;
                rec.updated_height = height;
                store(ctx, &rec);
                ctx.emit(
                    "completed",
                    vec![
                        ("session".into(), hex_id(&session_id)),
                        ("digest".into(), hex_id(&result_digest)),
                    ],
                );
            }
            PsiCall::Fail { session_id, reason } => {
                let mut rec = load(ctx, &session_id)?;
                if signer != rec.initiator && signer != rec.responder {
                    return Err(ModuleError::Unauthorized(
                        "not a party of the session".into(),
                    ));
                }
                if !matches!(rec.status, SessionStatus::Created | SessionStatus::Joined) {
                    return Err(ModuleError::Rejected(format!(
                        "session is {:?}",
                        rec.status
                    )));
                }
                if reason.is_empty() || reason.len() > MAX_REASON_LEN {
                    return Err(ModuleError::InvalidArgs(format!(
                        "reason must be 1..={MAX_REASON_LEN} bytes"
                    )));
                }
                rec.failure = Some((signer, reason.clone()));
                rec.status = SessionStatus::Failed;
                rec.updated_height = height;
                store(ctx, &rec);
                ctx.emit(
                    "failed",
                    vec![
                        ("session".into(), hex_id(&session_id)),
                        ("reason".into(), reason),
                    ],
                );
            }
        }
        Ok(())
    }

    fn query(
        &self,
        ctx: &ReadContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<Vec<u8>, ModuleError> {
        match method {
            "session" => {
                let id: [u8; 32] =
                    borsh::from_slice(args).map_err(|e| ModuleError::InvalidArgs(e.to_string()))?;
                let rec: Option<SessionRecord> = match ctx.get(&key(&id))? {
                    Some(b) => Some(
                        borsh::from_slice(&b).map_err(|e| ModuleError::Storage(e.to_string()))?,
                    ),
                    None => None,
                };
                Ok(borsh::to_vec(&rec).expect("write to Vec"))
            }
            other => Err(ModuleError::UnknownMethod(other.into())),
        }
    }

    fn describe_call(&self, method: &str, args: &[u8]) -> Option<serde_json::Value> {
        let c: PsiCall = borsh::from_slice(args).ok()?;
        (c.method() == method)
            .then(|| serde_json::to_value(&c).ok())
            .flatten()
    }
}
