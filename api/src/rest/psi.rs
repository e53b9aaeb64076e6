//! Private set intersection between two Weft servers.
//!
//! - Operator REST under `/api/v1/psi` (bearer token, role partner or admin; the organisation
//!   key is one of the tenant's custodied keys, `key_id`, and its DID is the key's `did:key` or
//!   a `did:weft` of this chain whose authentication keys include it):
//!   `POST /psi/offers` (responder: accept one session from a named peer over a set),
//!   `POST /psi/sessions` (initiator: record the session on chain, then run it with a peer
//!   server), `GET /psi/sessions/{id}` (state, progress, result summary, this party's `psi`
//!   transactions), `GET /psi/sessions/{id}/result.csv`, `GET /psi/sessions/{id}/record` (the
//!   on-chain record, public), `DELETE /psi/sessions/{id}` (cancel). Unbalanced PSI and keyword
//!   lookup: see [`oprf`].
//! - Peer-to-peer: `POST /psi/peer` (outside `/api/v1`, no token): one signed
//!   [`weft_mpc::psi::wire::Envelope`] in, one out (`application/octet-stream`). Authentication
//!   is the envelope signature against the peer's DID: a `did:key` names its key; a `did:weft`
//!   is resolved on chain (the latest document's `authentication` keys) when the session starts.
//!
//! On chain (module `psi`): the initiator records `create` (naming the responder's DID and
//! account, protocol, mode, a commitment to its set size) before its Hello; the responder
//! checks that record against its offer and records `join` (its own size commitment) before
//! answering; on completion the initiator records `complete` with both signatures over the
//! result digest (the responder does if the initiator has not within a grace period); a failure
//! (timeout, cancel, peer error) is recorded as `fail` with the reason by the party that saw it.
//!
//! Sessions are independent: each initiator session is its own task; CPU work runs on the
//! blocking pool; every HTTP request to the peer has a timeout; a background timer fails a
//! responder session idle longer than its timeout, frees its state and records the failure,
//! without any request arriving; a session can be cancelled at any time. No lock is held
//! across network IO or protocol work.
//!
//! The service ([`PsiService`]) lives in [`super::ApiState`] (`psi`) and [`super::configure`]
//! registers it as app data (a later `cfg.app_data(web::Data<PsiService>)` replaces it, as the
//! tests do to shorten timeouts); without it these routes answer 503.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use weft_chain::{Address, Keypair, PublicKey};
use weft_did::registry::{self as did_registry, DidQuery, Resolution, Selector};
use weft_did::{Did, Relationships};
use weft_mpc::psi::input::{read_csv_column, write_csv_column, Normalise};
use weft_mpc::psi::ledger::{self, Protocol, PsiCall, SessionRecord};
use weft_mpc::psi::session::{
    max_envelope_len, peek_envelope, InitiatorSession, Offer, Progress, ResponderSession,
};
use weft_mpc::psi::wire::{did_key, resolve_did_key};
use weft_mpc::psi::{InputSet, Limits, Mode, Outcome, PsiError, Revealed, SessionParams};

use super::ApiState;
use crate::auth::{Principal, Role};

pub mod oprf;
use crate::problem::{ApiError, ApiJson};

/// Tunables of the PSI service.
#[derive(Debug, Clone, Copy)]
pub struct PsiConfig {
    /// Timeout of each request to the peer (initiator side).
    pub request_timeout: Duration,
    /// A responder session with no request for this long fails and is dropped.
    pub idle_timeout: Duration,
    /// Limits on sets and batches.
    pub limits: Limits,
    /// Items per batch the initiator proposes.
    pub batch_size: u32,
    /// Most sessions (and offers) kept at once.
    pub max_sessions: usize,
}

impl Default for PsiConfig {
    fn default() -> Self {
        PsiConfig {
            request_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            limits: Limits::default(),
            batch_size: 4096,
            max_sessions: 64,
        }
    }
}

/// Session lifecycle as reported by the REST API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SessionState {
    /// Responder offer waiting for the initiator.
    Offered,
    /// Exchanging.
    Running,
    /// Finished; the result is available.
    Completed,
    /// Failed (see `error`).
    Failed,
    /// Cancelled by the operator.
    Cancelled,
}

/// What the REST API reports about a session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionStatus {
    /// Session id (hex); for an offer not yet used, the offer id.
    pub id: String,
    /// `initiator` or `responder`.
    pub role: String,
    /// State.
    pub state: SessionState,
    /// Mode.
    #[schema(value_type = String)]
    pub mode: Mode,
    /// This organisation's DID in the session.
    pub own_did: String,
    /// The peer's DID.
    pub peer_did: String,
    /// Own distinct items.
    pub own_size: u64,
    /// Peer's declared distinct items, once known.
    pub peer_size: Option<u64>,
    /// Items blinded / exchanged / compared, and the total work.
    #[schema(value_type = Object)]
    pub progress: Progress,
    /// Intersection size, if this party learnt it.
    pub intersection_size: Option<u64>,
    /// Result digest (hex), once completed.
    pub digest: Option<String>,
    /// The peer's signature over the digest (hex), once completed.
    pub peer_signature: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// This party's `psi` transactions for the session, oldest first.
    pub ledger: Vec<LedgerTx>,
    /// Protocol of the session.
    #[schema(value_type = String)]
    pub protocol: Protocol,
    /// The opening of this party's on-chain size commitment (`size`, `blinding`), shown only
    /// to the tenant that ran the session (never sent to the peer, never logged), so it can
    /// later prove the size it committed to (`weft_mpc::psi::ledger::verify_size_opening`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub size_opening: Option<SizeOpening>,
}

/// The opening of a size commitment: the committed size and the blinding.
#[derive(Clone, Serialize)]
pub struct SizeOpening {
    /// The committed set size.
    pub size: u64,
    /// The 32-byte blinding (hex).
    #[serde(serialize_with = "hex_bytes")]
    pub blinding: [u8; 32],
}

fn hex_bytes<S: serde::Serializer>(b: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(b))
}

impl std::fmt::Debug for SizeOpening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SizeOpening")
            .field("size", &self.size)
            .field("blinding", &"<redacted>")
            .finish()
    }
}

impl Drop for SizeOpening {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.blinding);
    }
}

/// One of this party's `psi` transactions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerTx {
    /// `create`, `join`, `complete` or `fail`.
    pub method: String,
    /// Transaction hash, once submitted.
    pub tx_hash: Option<String>,
    /// `success`, `failed` (refused by the module), or `error` (not submitted).
    pub status: String,
    /// Why it was refused or not submitted.
    pub error: Option<String>,
}

impl LedgerTx {
    fn from_result(
        method: &str,
        r: Result<weft_service::chain_client::TxOutcome, impl std::fmt::Display>,
    ) -> LedgerTx {
        match r {
            Ok(o) => LedgerTx {
                method: method.into(),
                status: if o.is_success() { "success" } else { "failed" }.into(),
                tx_hash: Some(o.tx_hash),
                error: o.error.map(|e| e.message),
            },
            Err(e) => LedgerTx {
                method: method.into(),
                tx_hash: None,
                status: "error".into(),
                error: Some(e.to_string()),
            },
        }
    }
}

struct Entry {
    status: SessionStatus,
    last_activity: Instant,
    /// The responder's state machine; `None` while a request is being processed.
    responder: Option<ResponderSession>,
    /// The intersection (when this party learnt identities).
    result: Option<Vec<Vec<u8>>>,
    cancel: Option<tokio::sync::watch::Sender<bool>>,
    /// Signs this party's `psi` transactions (a copy of the organisation key); taken when the
    /// final transaction (complete or fail) is sent, and zeroized on drop.
    ledger_key: Option<Keypair>,
    /// The tenant that runs the session (the only one shown `opening`).
    tenant: String,
    /// The opening of this party's size commitment.
    opening: Option<SizeOpening>,
    /// Data holder of an OPRF query session: evaluated, waiting for the client's
    /// `psi.complete` (the idle timer fails the session if it never comes).
    awaiting_client: bool,
}

/// How a peer is named: a `did:key` (the key itself) or a `did:weft` of this chain, whose
/// authentication keys are resolved on chain at each use.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PeerId {
    Key(PublicKey),
    Weft {
        address: Address,
        fragment: Option<String>,
    },
}

struct PendingOffer {
    offer_id: String,
    tenant: String,
    own: Keypair,
    own_did: String,
    set: InputSet,
    mode: Mode,
    peer: PeerId,
    peer_did: String,
}

/// The PSI service of one server: offers, sessions, and the initiator tasks.
pub struct PsiService {
    config: PsiConfig,
    offers: Mutex<Vec<PendingOffer>>,
    sessions: Mutex<BTreeMap<String, Entry>>,
    timer_started: AtomicBool,
    /// Filters and keyword tables this server published (unbalanced PSI, keyword lookup).
    published: Mutex<oprf::PublishedMap>,
    /// Filters and tables fetched from peers.
    fetched: Mutex<oprf::FetchedMap>,
}

impl std::fmt::Debug for PsiService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PsiService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep serving.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl PsiService {
    /// A service with `config`, as app data.
    pub fn new(config: PsiConfig) -> web::Data<PsiService> {
        web::Data::new(PsiService {
            config,
            offers: Mutex::new(Vec::new()),
            sessions: Mutex::new(BTreeMap::new()),
            timer_started: AtomicBool::new(false),
            published: Mutex::new(BTreeMap::new()),
            fetched: Mutex::new(BTreeMap::new()),
        })
    }

    /// Starts (once) the background timer that fails responder sessions idle for longer than
    /// the idle timeout — without any request arriving — frees their state and records the
    /// failure on chain. It holds only weak references and stops when the service is dropped.
    fn start_timer(svc: &web::Data<Self>, state: &web::Data<ApiState>) {
        if svc.timer_started.swap(true, Ordering::SeqCst) {
            return;
        }
        let period =
            (svc.config.idle_timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
        let svc = Arc::downgrade(&svc.clone().into_inner());
        let st = Arc::downgrade(&state.clone().into_inner());
        actix_web::rt::spawn(async move {
            loop {
                actix_web::rt::time::sleep(period).await;
                let (Some(svc), Some(state)) = (svc.upgrade(), st.upgrade()) else {
                    break;
                };
                for (id, key, reason) in svc.sweep() {
                    tracing::warn!(session = %id, "PSI responder session timed out");
                    if let Some(key) = key {
                        record_failure(&svc, &state, &id, &key, reason).await;
                    }
                }
                for (id, key) in svc.sweep_awaiting() {
                    oprf::settle_holder(&svc, &state, &id, key).await;
                }
            }
        });
    }

    /// Fails and drops responder sessions idle for longer than the idle timeout (finished ones
    /// stay, so results remain downloadable). Returns the sessions it failed, with their
    /// ledger keys and the reason.
    fn sweep(&self) -> Vec<(String, Option<Keypair>, String)> {
        let now = Instant::now();
        let idle = self.config.idle_timeout;
        let mut failed = Vec::new();
        let mut sessions = lock(&self.sessions);
        for (id, e) in sessions.iter_mut() {
            if e.status.state == SessionState::Running
                && e.status.role == "responder"
                && e.responder.is_some()
                && now.duration_since(e.last_activity) > idle
            {
                let reason = format!(
                    "timeout: the initiator sent nothing for {} ms",
                    idle.as_millis()
                );
                e.status.state = SessionState::Failed;
                e.status.error = Some(reason.clone());
                e.responder = None; // frees the set and all per-session state
                failed.push((id.clone(), e.ledger_key.take(), reason));
            }
        }
        failed
    }

    /// Data-holder OPRF sessions evaluated longer ago than the idle timeout and still waiting
    /// for the client's `psi.complete`: takes them out of waiting (with their ledger keys) for
    /// the timer to settle against the chain.
    fn sweep_awaiting(&self) -> Vec<(String, Option<Keypair>)> {
        let now = Instant::now();
        let idle = self.config.idle_timeout;
        let mut out = Vec::new();
        for (id, e) in lock(&self.sessions).iter_mut() {
            if e.awaiting_client
                && e.status.state == SessionState::Running
                && now.duration_since(e.last_activity) > idle
            {
                e.awaiting_client = false;
                out.push((id.clone(), e.ledger_key.take()));
            }
        }
        out
    }

    /// Marks a running session failed; returns its ledger key (to record the failure) if it
    /// was running.
    fn fail(&self, id: &str, err: impl std::fmt::Display) -> Option<Keypair> {
        let mut sessions = lock(&self.sessions);
        let e = sessions.get_mut(id)?;
        e.responder = None;
        if e.status.state == SessionState::Running {
            e.status.state = SessionState::Failed;
            e.status.error = Some(err.to_string());
            return e.ledger_key.take();
        }
        None
    }

    fn push_ledger(&self, id: &str, tx: LedgerTx) {
        if let Some(e) = lock(&self.sessions).get_mut(id) {
            e.status.ledger.push(tx);
        }
    }

    fn finish(&self, id: &str, outcome: Outcome, peer_signature: weft_chain::Signature) {
        if let Some(e) = lock(&self.sessions).get_mut(id) {
            if e.status.state != SessionState::Running {
                return;
            }
            e.status.state = SessionState::Completed;
            e.status.digest = Some(hex::encode(outcome.digest));
            e.status.peer_signature = Some(hex::encode(peer_signature.0));
            match outcome.revealed {
                Revealed::Intersection(items) => {
                    e.status.intersection_size = Some(items.len() as u64);
                    e.result = Some(items);
                }
                Revealed::Cardinality(n) => e.status.intersection_size = Some(n),
                Revealed::Nothing => {}
            }
            e.responder = None;
        }
    }

    fn room(&self) -> Result<(), ApiError> {
        let live = lock(&self.sessions)
            .values()
            .filter(|e| e.status.state == SessionState::Running)
            .count()
            + lock(&self.offers).len();
        if live >= self.config.max_sessions {
            return Err(ApiError::Unavailable(format!(
                "{live} PSI sessions and offers are open; try again later"
            )));
        }
        Ok(())
    }
}

/// The input set of a request: inline items, or CSV text with a column.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// Inline identifiers.
    #[serde(default)]
    pub items: Option<Vec<String>>,
    /// CSV text (with a header row).
    #[serde(default)]
    pub csv: Option<String>,
    /// The CSV column.
    #[serde(default)]
    pub column: Option<String>,
    /// Normalisation: `none` (default), `trim`, `lowercase`, `email`, or `phone` (with
    /// `country`).
    #[serde(default)]
    pub normalise: Option<String>,
    /// Default country calling code for `phone`.
    #[serde(default)]
    pub country: Option<String>,
}

impl InputSpec {
    fn rule(&self) -> Result<Normalise, ApiError> {
        Ok(match self.normalise.as_deref().unwrap_or("none") {
            "none" => Normalise::None,
            "trim" => Normalise::Trim,
            "lowercase" => Normalise::Lowercase,
            "email" => Normalise::Email,
            "phone" => Normalise::Phone {
                default_country: self.country.clone(),
            },
            other => {
                return Err(ApiError::InvalidRequest(format!(
                    "normalise: unknown rule {other:?}"
                )))
            }
        })
    }

    fn into_set(self, max: u64) -> Result<InputSet, ApiError> {
        let rule = self.rule()?;
        let values: Vec<Vec<u8>> = match (self.items, self.csv, self.column) {
            (Some(items), None, None) => items
                .iter()
                .filter_map(|v| rule.apply(v))
                .map(String::into_bytes)
                .collect(),
            (None, Some(csv), Some(column)) => {
                read_csv_column(csv.as_bytes(), &column, &rule)
                    .map_err(csv_error)?
                    .values
            }
            _ => {
                return Err(ApiError::InvalidRequest(
                    "give either `items`, or `csv` with `column`".into(),
                ))
            }
        };
        let set = InputSet::new(values);
        if set.len() > max {
            return Err(ApiError::InvalidRequest(format!(
                "{} items exceed the limit of {max}",
                set.len()
            )));
        }
        Ok(set)
    }
}

/// A refused CSV input: 400 `invalid_request` whose detail names the line; the problem's
/// `reason` member is the PSI input code (`psi.ragged_row`, `psi.no_column`, `psi.input`) and,
/// for a ragged row or a missing column, a `line` member gives the 1-based line (header = 1).
pub(crate) fn csv_error(e: PsiError) -> ApiError {
    let mut extra = serde_json::Map::new();
    extra.insert("reason".into(), e.code().into());
    match &e {
        PsiError::RaggedRow { line, .. } => {
            extra.insert("line".into(), (*line).into());
        }
        PsiError::NoColumn(_) => {
            extra.insert("line".into(), 1.into());
        }
        _ => {}
    }
    ApiError::typed("invalid_request", e).with_extra(extra)
}

fn parse_mode(mode: &str) -> Result<Mode, ApiError> {
    match mode {
        "one-side" => Ok(Mode::OneSide),
        "both-sides" => Ok(Mode::BothSides),
        "cardinality" => Ok(Mode::Cardinality),
        other => Err(ApiError::InvalidRequest(format!(
            "mode must be one-side, both-sides or cardinality, not {other:?}"
        ))),
    }
}

/// Parses a peer's DID (optionally with `#key-n` naming one of a `did:weft`'s keys); returns
/// the DID without the fragment and how to find its keys.
fn parse_peer(state: &ApiState, text: &str) -> Result<(String, PeerId), ApiError> {
    let (did, fragment) = match text.split_once('#') {
        Some((d, f)) => (d, Some(f.to_string())),
        None => (text, None),
    };
    if did.starts_with("did:key:") {
        if fragment.is_some() {
            return Err(ApiError::InvalidRequest(
                "a did:key names one key; drop the #fragment".into(),
            ));
        }
        let key = resolve_did_key(did).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
        return Ok((did.to_string(), PeerId::Key(key)));
    }
    match Did::parse(did) {
        Ok(Did::Weft { chain_id, address }) if chain_id == state.node.chain_id() => {
            Ok((did.to_string(), PeerId::Weft { address, fragment }))
        }
        Ok(Did::Weft { chain_id, .. }) => Err(ApiError::InvalidRequest(format!(
            "{did} belongs to chain {chain_id:?}, not {:?}",
            state.node.chain_id()
        ))),
        Ok(Did::Key(_)) => Err(ApiError::InvalidRequest(format!("malformed DID {did:?}"))),
        Err(e) => Err(ApiError::InvalidRequest(e.to_string())),
    }
}

/// The keys that may speak for `peer` now: the `did:key` itself, or the `authentication` keys
/// of the latest version of the `did:weft` document on chain (one key if a fragment is named).
fn peer_keys(state: &ApiState, peer: &PeerId) -> Result<Vec<PublicKey>, ApiError> {
    let (address, fragment) = match peer {
        PeerId::Key(k) => return Ok(vec![*k]),
        PeerId::Weft { address, fragment } => (address, fragment),
    };
    let (method, args) = DidQuery::Resolve {
        did: *address,
        selector: Selector::Latest,
    }
    .args();
    let bytes = state
        .node
        .call(did_registry::NAME, method, &args, None)
        .map_err(ApiError::internal)?;
    let res: Option<Resolution> = borsh::from_slice(&bytes).map_err(ApiError::internal)?;
    let res =
        res.ok_or_else(|| ApiError::InvalidRequest(format!("DID {address} is not on chain")))?;
    if res.head.deactivated {
        return Err(ApiError::InvalidRequest(format!(
            "DID {address} is deactivated"
        )));
    }
    let keys: Vec<PublicKey> = res
        .record
        .state
        .keys
        .iter()
        .filter(|k| k.relationships.has(Relationships::AUTHENTICATION))
        .filter(|k| fragment.as_ref().is_none_or(|f| &k.fragment == f))
        .map(|k| k.public_key)
        .collect();
    if keys.is_empty() {
        return Err(ApiError::InvalidRequest(
            "the DID has no (such) authentication key".into(),
        ));
    }
    Ok(keys)
}

/// The one key the initiator pins for its peer.
fn peer_key(state: &ApiState, peer: &PeerId) -> Result<PublicKey, ApiError> {
    match peer_keys(state, peer)?.as_slice() {
        [one] => Ok(*one),
        many => Err(ApiError::InvalidRequest(format!(
            "the peer's DID has {} authentication keys; name one as <did>#key-<n>",
            many.len()
        ))),
    }
}

/// This organisation's DID in a session: `did` if given (a `did:weft` of this chain whose
/// authentication keys include `key`), else the `did:key` of `key`.
/// This organisation's DID for a session: the one named (whose authentication keys must
/// include `key`), else the key's own `did:weft` if it is on chain and active with `key` as an
/// authentication key (an organisation node's operator key has one), else the key's `did:key`.
fn own_did(state: &ApiState, key: &Keypair, did: Option<&str>) -> Result<String, ApiError> {
    let Some(did) = did else {
        let own = PeerId::Weft {
            address: key.address(),
            fragment: None,
        };
        return Ok(match peer_keys(state, &own) {
            Ok(keys) if keys.contains(&key.public_key()) => {
                Did::weft(state.node.chain_id(), key.address()).to_string()
            }
            _ => did_key(&key.public_key()),
        });
    };
    let (did, id) = parse_peer(state, did)?;
    if !peer_keys(state, &id)?.contains(&key.public_key()) {
        return Err(ApiError::InvalidRequest(format!(
            "key_id is not an authentication key of {did}"
        )));
    }
    Ok(did)
}

/// The on-chain record of a session, if any.
fn chain_record(state: &ApiState, sid: &[u8; 32]) -> Result<Option<SessionRecord>, ApiError> {
    let (method, args) = ledger::session_query(sid);
    let bytes = state
        .node
        .call(ledger::NAME, method, &args, None)
        .map_err(ApiError::internal)?;
    borsh::from_slice(&bytes).map_err(ApiError::internal)
}

/// How long a peer's request waits for the session's `create` record to reach this node.
const RECORD_WAIT: Duration = Duration::from_secs(3);
/// At most this many new blocks are waited for.
const RECORD_WAIT_BLOCKS: u32 = 2;

/// The on-chain record of a session the peer says it has just created: on a network of several
/// nodes this node may be a block behind the initiator's, so a missing record is waited for (at
/// most [`RECORD_WAIT_BLOCKS`] new blocks and [`RECORD_WAIT`]) before the caller refuses. Only
/// an authenticated peer with an offer (or filter) here gets this far, so the wait is not a
/// free lever.
async fn chain_record_synced(
    state: &ApiState,
    sid: &[u8; 32],
) -> Result<Option<SessionRecord>, ApiError> {
    let mut blocks = state.node.subscribe();
    let deadline = tokio::time::Instant::now() + RECORD_WAIT;
    let mut seen = 0;
    loop {
        if let Some(rec) = chain_record(state, sid)? {
            return Ok(Some(rec));
        }
        if seen == RECORD_WAIT_BLOCKS {
            return Ok(None);
        }
        match tokio::time::timeout_at(deadline, blocks.recv()).await {
            Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => seen += 1,
            Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) | Err(_) => {
                return chain_record(state, sid);
            }
        }
    }
}

fn copy_key(key: &Keypair) -> Keypair {
    Keypair::from_seed(&key.to_seed())
}

/// A commitment to `size` for the chain, and its opening (kept by the committing party only).
fn size_commitment(sid: &[u8; 32], size: u64) -> ([u8; 32], SizeOpening) {
    // The blinding makes the commitment hiding.
    let blinding: [u8; 32] = rand::random();
    (
        ledger::size_commitment(sid, size, &blinding),
        SizeOpening { size, blinding },
    )
}

fn sid_of(id: &str) -> Option<[u8; 32]> {
    hex::decode(id).ok()?.try_into().ok()
}

/// Records a failure on chain (best effort: a refusal, e.g. because the peer recorded it
/// first, is kept in the session's ledger list).
async fn record_failure(
    svc: &PsiService,
    state: &ApiState,
    id: &str,
    key: &Keypair,
    reason: String,
) {
    let Some(session_id) = sid_of(id) else { return };
    let reason: String = reason.chars().take(200).collect();
    let r = state
        .chain
        .sign_submit_and_wait(key, ledger::call(PsiCall::Fail { session_id, reason }))
        .await;
    svc.push_ledger(id, LedgerTx::from_result("fail", r));
}

/// Records completion on chain with both signatures over the digest.
async fn record_completion(
    svc: &PsiService,
    state: &ApiState,
    id: &str,
    key: &Keypair,
    role_initiator: bool,
    digest: [u8; 32],
    peer_sig: weft_chain::Signature,
) {
    let Some(session_id) = sid_of(id) else { return };
    let own_sig = key.sign(&ledger::result_signing_bytes(&session_id, &digest));
    let (initiator_signature, responder_signature) = if role_initiator {
        (own_sig, peer_sig)
    } else {
        (peer_sig, own_sig)
    };
    let r = state
        .chain
        .sign_submit_and_wait(
            key,
            ledger::call(PsiCall::Complete {
                session_id,
                result_digest: digest,
                initiator_signature,
                responder_signature,
            }),
        )
        .await;
    svc.push_ledger(id, LedgerTx::from_result("complete", r));
}

const PSI_ROLES: [Role; 2] = [Role::Partner, Role::Admin];

fn service(req: &HttpRequest) -> Result<web::Data<PsiService>, ApiError> {
    req.app_data::<web::Data<PsiService>>()
        .cloned()
        .ok_or_else(|| ApiError::Unavailable("PSI is not enabled on this server".into()))
}

/// `POST /api/v1/psi/offers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferRequest {
    /// The tenant's custodied key that speaks for this organisation.
    pub key_id: String,
    /// This organisation's `did:weft` (its authentication keys must include `key_id`'s key);
    /// default: the key's own `did:weft` if it is on chain, else its `did:key`.
    #[serde(default)]
    pub did: Option<String>,
    /// The initiator's DID: a `did:key`, or a `did:weft` of this chain (any of its
    /// authentication keys, resolved on chain when the session starts; `#key-n` to name one).
    pub peer_did: String,
    /// `one-side`, `both-sides` or `cardinality`.
    pub mode: String,
    /// This side's set.
    pub input: InputSpec,
}

/// Answer to an offer.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferCreated {
    /// The offer id; the session takes the initiator's session id once it starts.
    pub offer_id: String,
    /// This organisation's DID, to give to the initiator.
    pub did: String,
    /// Distinct items in the set.
    pub size: u64,
}

/// Accepts one session from `peer_did` over the given set (responder side).
#[utoipa::path(post, path = "/api/v1/psi/offers", tag = "psi", security(("bearer" = [])),
    request_body = OfferRequest,
    responses((status = 200, body = OfferCreated),
        (status = 400, description = "Invalid request", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role may not run PSI", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "PSI disabled or too many sessions", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn create_offer(
    req: HttpRequest,
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<OfferRequest>,
) -> Result<web::Json<OfferCreated>, ApiError> {
    principal.require_any(&PSI_ROLES)?;
    let svc = service(&req)?;
    PsiService::start_timer(&svc, &state);
    svc.room()?;
    let body = body.0;
    let mode = parse_mode(&body.mode)?;
    let (peer_did, peer) = parse_peer(&state, &body.peer_did)?;
    // The DID must resolve now (it is resolved again when the session starts).
    peer_keys(&state, &peer)?;
    let own = state.principal_key(&principal, &body.key_id).await?;
    let own_did = own_did(&state, &own, body.did.as_deref())?;
    let max = svc.config.limits.max_items;
    let set = web::block(move || body.input.into_set(max))
        .await
        .map_err(ApiError::internal)??;
    let offer_id = hex::encode(rand::random::<[u8; 16]>());
    let created = OfferCreated {
        offer_id: offer_id.clone(),
        did: own_did.clone(),
        size: set.len(),
    };
    lock(&svc.offers).push(PendingOffer {
        offer_id,
        tenant: principal.tenant.clone(),
        own,
        own_did,
        set,
        mode,
        peer,
        peer_did,
    });
    Ok(web::Json(created))
}

/// `POST /api/v1/psi/sessions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// The tenant's custodied key that speaks for this organisation.
    pub key_id: String,
    /// This organisation's `did:weft` (its authentication keys must include `key_id`'s key);
    /// default: the key's own `did:weft` if it is on chain, else its `did:key`.
    #[serde(default)]
    pub did: Option<String>,
    /// The peer server's base URL (`https://…`). Default: the `WeftNode` service endpoint of
    /// the peer's `did:weft` document on chain (partners are chosen by DID).
    #[serde(default)]
    pub peer_url: Option<String>,
    /// The peer's DID: a `did:key`, or a `did:weft` of this chain (resolved on chain; if it
    /// has several authentication keys, name one as `#key-n`).
    pub peer_did: String,
    /// The peer's declared set size (from its offer).
    pub peer_size: u64,
    /// `one-side`, `both-sides` or `cardinality`.
    pub mode: String,
    /// This side's set.
    pub input: InputSpec,
}

/// Starts a session as initiator: records it on chain (`psi.create`, naming the responder),
/// then runs it in the background (poll its status).
#[utoipa::path(post, path = "/api/v1/psi/sessions", tag = "psi", security(("bearer" = [])),
    request_body = StartRequest,
    responses((status = 200, body = SessionStatus),
        (status = 400, description = "Invalid request", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role may not run PSI", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The chain refused the session record", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "PSI disabled or too many sessions", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn start_session(
    req: HttpRequest,
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<StartRequest>,
) -> Result<web::Json<SessionStatus>, ApiError> {
    principal.require_any(&PSI_ROLES)?;
    let svc = service(&req)?;
    PsiService::start_timer(&svc, &state);
    svc.room()?;
    let body = body.0;
    let mode = parse_mode(&body.mode)?;
    let (peer_did, peer_id) = parse_peer(&state, &body.peer_did)?;
    let url = match (&body.peer_url, &peer_id) {
        (Some(url), _) => url.trim_end_matches('/').to_string(),
        (None, PeerId::Weft { address, .. }) => weft_service::org::node_endpoint(&state, *address)?,
        (None, PeerId::Key(_)) => {
            return Err(ApiError::InvalidRequest(
                "a did:key publishes no endpoint: give peer_url".into(),
            ))
        }
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ApiError::InvalidRequest(
            "peer_url must be http(s)://".into(),
        ));
    }
    let peer = peer_key(&state, &peer_id)?;
    let own = state.principal_key(&principal, &body.key_id).await?;
    let own_did = own_did(&state, &own, body.did.as_deref())?;
    if peer == own.public_key() {
        return Err(ApiError::InvalidRequest(
            "a party cannot compute with itself".into(),
        ));
    }
    let max = svc.config.limits.max_items;
    let set = web::block(move || body.input.into_set(max))
        .await
        .map_err(ApiError::internal)??;
    let session_id: [u8; 32] = rand::random();
    let id = hex::encode(session_id);
    let params = SessionParams {
        session_id,
        mode,
        initiator_size: set.len(),
        responder_size: body.peer_size,
        batch_size: svc.config.batch_size,
    };
    params
        .validate(&svc.config.limits)
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let own_size = set.len();
    let limits = svc.config.limits;
    let ledger_key = copy_key(&own);
    let (commitment, opening) = size_commitment(&session_id, own_size);
    let create = ledger::call(PsiCall::Create {
        session_id,
        initiator_did: own_did.clone(),
        initiator_key: own.public_key(),
        responder_did: peer_did.clone(),
        responder: Address::from_public_key(&peer),
        protocol: Protocol::EcdhRistretto255,
        mode,
        size_commitment: commitment,
    });
    let session = web::block(move || InitiatorSession::new(params, limits, set, own, peer))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    // The record exists before the peer hears of the session: the peer checks it.
    let created = state
        .chain
        .sign_submit_and_wait(&ledger_key, create)
        .await?
        .refused_is_rejected()?;
    let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
    let status = SessionStatus {
        id: id.clone(),
        role: "initiator".into(),
        state: SessionState::Running,
        mode,
        own_did,
        peer_did,
        own_size,
        peer_size: Some(body.peer_size),
        progress: session.progress(),
        intersection_size: None,
        digest: None,
        peer_signature: None,
        error: None,
        ledger: vec![LedgerTx::from_result("create", Ok::<_, ApiError>(created))],
        protocol: Protocol::EcdhRistretto255,
        size_opening: None,
    };
    lock(&svc.sessions).insert(
        id.clone(),
        Entry {
            status: status.clone(),
            last_activity: Instant::now(),
            responder: None,
            result: None,
            cancel: Some(cancel_tx),
            ledger_key: Some(ledger_key),
            tenant: principal.tenant.clone(),
            opening: Some(opening),
            awaiting_client: false,
        },
    );
    actix_web::rt::spawn(drive(
        svc.clone(),
        state.clone(),
        id,
        session,
        format!("{url}/psi/peer"),
        cancel_rx,
    ));
    Ok(web::Json(status))
}

/// Why an initiator session stopped early.
#[derive(Debug, thiserror::Error)]
enum DriveError {
    #[error("{0}")]
    Protocol(#[from] PsiError),
    #[error("peer did not answer within {0} s")]
    Timeout(u64),
    #[error("peer unreachable: {0}")]
    Transport(String),
    #[error("peer refused: HTTP {0}: {1}")]
    Refused(u16, String),
    #[error("cancelled")]
    Cancelled,
}

impl DriveError {
    /// The failure reason recorded on chain (no data, no keys).
    fn chain_reason(&self) -> String {
        match self {
            DriveError::Timeout(_) => format!("timeout: {self}"),
            DriveError::Cancelled => "cancelled by the initiator".into(),
            other => format!("peer error: {other}"),
        }
    }
}

async fn drive(
    svc: web::Data<PsiService>,
    state: web::Data<ApiState>,
    id: String,
    session: InitiatorSession,
    url: String,
    mut cancel: tokio::sync::watch::Receiver<bool>,
) {
    let result = tokio::select! {
        r = exchange(&svc, &id, session, &url) => r,
        _ = cancel.wait_for(|c| *c) => Err(DriveError::Cancelled),
    };
    match result {
        Ok((outcome, sig)) => {
            // Completion goes on chain first, so a session reported completed is on record.
            let key = lock(&svc.sessions)
                .get_mut(&id)
                .and_then(|e| e.ledger_key.take());
            if let Some(key) = key {
                record_completion(&svc, &state, &id, &key, true, outcome.digest, sig).await;
            }
            svc.finish(&id, outcome, sig);
        }
        Err(e) => {
            let key = match &e {
                // `cancel_session` already set the state and handed over the key.
                DriveError::Cancelled => lock(&svc.sessions)
                    .get_mut(&id)
                    .and_then(|e| e.ledger_key.take()),
                _ => {
                    tracing::warn!(session = %id, error = %e, "PSI session failed");
                    svc.fail(&id, &e)
                }
            };
            if let Some(key) = key {
                record_failure(&svc, &state, &id, &key, e.chain_reason()).await;
            }
        }
    }
}

async fn exchange(
    svc: &PsiService,
    id: &str,
    mut session: InitiatorSession,
    url: &str,
) -> Result<(Outcome, weft_chain::Signature), DriveError> {
    let timeout = svc.config.request_timeout;
    let max_len = max_envelope_len(&svc.config.limits);
    let client = awc::Client::builder()
        .timeout(timeout)
        .disable_redirects()
        .finish();
    loop {
        // Blinding a batch is CPU work: off the async threads.
        let (s, next) = web::block(move || {
            let r = session.next_request();
            (session, r)
        })
        .await
        .map_err(|e| DriveError::Transport(e.to_string()))?;
        session = s;
        let Some(request) = next? else { break };
        let mut resp = client
            .post(url)
            .insert_header(("content-type", "application/octet-stream"))
            .send_body(request)
            .await
            .map_err(|e| match e {
                awc::error::SendRequestError::Timeout => DriveError::Timeout(timeout.as_secs()),
                other => DriveError::Transport(other.to_string()),
            })?;
        let status = resp.status().as_u16();
        let body = tokio::time::timeout(timeout, resp.body().limit(max_len))
            .await
            .map_err(|_| DriveError::Timeout(timeout.as_secs()))?
            .map_err(|e| DriveError::Transport(e.to_string()))?;
        if status != 200 {
            let text: String = String::from_utf8_lossy(&body).chars().take(300).collect();
            return Err(DriveError::Refused(status, text));
        }
        let (s, r) = web::block(move || {
            let r = session.on_response(&body);
            (session, r)
        })
        .await
        .map_err(|e| DriveError::Transport(e.to_string()))?;
        session = s;
        r?;
        if let Some(e) = lock(&svc.sessions).get_mut(id) {
            e.status.progress = session.progress();
            e.last_activity = Instant::now();
        }
    }
    session
        .into_outcome()
        .ok_or_else(|| DriveError::Protocol(PsiError::InvalidParams("session ended early".into())))
}

/// Checks the initiator's on-chain `create` record before joining: it must name this server's
/// key as responder, the sender's key and DID as initiator, and the offered mode.
fn check_created(
    record: Option<SessionRecord>,
    own: &Keypair,
    sender: &PublicKey,
    offer: &PendingOffer,
) -> Result<(), ApiError> {
    let rec = record.ok_or_else(|| {
        ApiError::Forbidden("the session is not recorded on chain (psi.create)".into())
    })?;
    let why = if rec.status != ledger::SessionStatus::Created {
        Some(format!("the session is {:?} on chain", rec.status))
    } else if rec.responder != own.address() {
        Some("the session on chain names another responder".into())
    } else if &rec.initiator_key != sender || rec.initiator_did != offer.peer_did {
        Some("the session on chain was created by another initiator".into())
    } else if rec.mode != offer.mode || rec.protocol != Protocol::EcdhRistretto255 {
        Some("the session on chain has another protocol or mode".into())
    } else if rec.responder_did != offer.own_did {
        Some("the session on chain names another responder DID".into())
    } else {
        None
    };
    match why {
        Some(w) => Err(ApiError::Forbidden(w)),
        None => Ok(()),
    }
}

/// `POST /psi/peer`: one signed envelope from the initiator's server.
pub async fn peer(
    req: HttpRequest,
    state: web::Data<ApiState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let svc = service(&req)?;
    PsiService::start_timer(&svc, &state);
    let (sid, sender) =
        peek_envelope(&body).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let id = hex::encode(sid);
    // Take the session's state machine out (so no lock is held while computing).
    let taken = {
        let mut sessions = lock(&svc.sessions);
        match sessions.get_mut(&id) {
            Some(e) if e.status.state != SessionState::Running => {
                return Err(ApiError::Conflict(format!(
                    "session is {:?}",
                    e.status.state
                )))
            }
            Some(e) => match e.responder.take() {
                Some(r) => Some(r),
                None => return Err(ApiError::Conflict("session is busy".into())),
            },
            None => None,
        }
    };
    let out = match taken {
        Some(mut responder) => {
            let (responder, r) = web::block(move || {
                let r = responder.handle(&body);
                (responder, r)
            })
            .await
            .map_err(ApiError::internal)?;
            let done = responder.outcome().map(|(o, s)| (o.clone(), *s));
            {
                let mut sessions = lock(&svc.sessions);
                if let Some(e) = sessions.get_mut(&id) {
                    e.last_activity = Instant::now();
                    e.status.progress = responder.progress();
                    if e.status.state == SessionState::Running && r.is_ok() && done.is_none() {
                        e.responder = Some(responder);
                    }
                }
            }
            match r {
                Ok(bytes) => {
                    if let Some((outcome, sig)) = done {
                        let digest = outcome.digest;
                        svc.finish(&id, outcome, sig);
                        // The initiator records completion; if it has not after a grace
                        // period (it may have vanished), the responder does.
                        let (svc2, state2, id2) = (svc.clone(), state.clone(), id.clone());
                        let grace = svc.config.request_timeout.min(Duration::from_secs(5));
                        actix_web::rt::spawn(async move {
                            actix_web::rt::time::sleep(grace).await;
                            let joined = matches!(
                                chain_record(&state2, &sid),
                                Ok(Some(r)) if r.status == ledger::SessionStatus::Joined
                            );
                            let key = lock(&svc2.sessions)
                                .get_mut(&id2)
                                .and_then(|e| e.ledger_key.take());
                            if let (true, Some(key)) = (joined, key) {
                                record_completion(&svc2, &state2, &id2, &key, false, digest, sig)
                                    .await;
                            }
                        });
                    }
                    bytes
                }
                Err(e) => {
                    if let Some(key) = svc.fail(&id, &e) {
                        let reason = format!("peer error: {e}");
                        record_failure(&svc, &state, &id, &key, reason).await;
                    }
                    return Err(ApiError::InvalidRequest(e.to_string()));
                }
            }
        }
        None => accept(&svc, &state, sid, sender, body).await?,
    };
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .body(out))
}

/// A new session: finds the offer for this sender (its key, or one of the authentication keys
/// of the offer's `did:weft`, resolved on chain now), checks the on-chain `create` record,
/// accepts the Hello, and joins on chain.
async fn accept(
    svc: &web::Data<PsiService>,
    state: &web::Data<ApiState>,
    sid: [u8; 32],
    sender: PublicKey,
    body: web::Bytes,
) -> Result<Vec<u8>, ApiError> {
    let id = hex::encode(sid);
    let candidates: Vec<(String, PeerId)> = lock(&svc.offers)
        .iter()
        .map(|o| (o.offer_id.clone(), o.peer.clone()))
        .collect();
    let offer_id = candidates
        .into_iter()
        .find(|(_, peer)| match peer {
            PeerId::Key(k) => *k == sender,
            weft => peer_keys(state, weft).is_ok_and(|keys| keys.contains(&sender)),
        })
        .map(|(offer_id, _)| offer_id)
        .ok_or_else(|| ApiError::Forbidden("no offer for this peer key".into()))?;
    let record = chain_record_synced(state, &sid).await?;
    let pending = {
        let mut offers = lock(&svc.offers);
        let i = offers
            .iter()
            .position(|o| o.offer_id == offer_id)
            .ok_or_else(|| ApiError::Conflict("the offer was just taken".into()))?;
        // The offer stays available if the chain does not show this session for it.
        check_created(record, &offers[i].own, &sender, &offers[i])?;
        offers.remove(i)
    };
    let PendingOffer {
        offer_id,
        tenant,
        own,
        own_did,
        set,
        mode,
        peer_did,
        ..
    } = pending;
    let own_size = set.len();
    let ledger_key = copy_key(&own);
    let offer = Offer {
        own,
        peer: sender,
        set,
        mode,
        limits: svc.config.limits,
    };
    let accepted = web::block(move || ResponderSession::accept(&body, offer))
        .await
        .map_err(ApiError::internal)?;
    let (responder, resp) = match accepted {
        Ok(x) => x,
        // The offer is spent either way: a failed Hello is not retried against it.
        Err(e) => {
            tracing::warn!(offer = %offer_id, error = %e, "PSI hello refused");
            return Err(ApiError::InvalidRequest(e.to_string()));
        }
    };
    let params = *responder.params();
    let (commitment, opening) = size_commitment(&sid, own_size);
    let join = ledger::call(PsiCall::Join {
        session_id: sid,
        responder_key: ledger_key.public_key(),
        size_commitment: commitment,
    });
    let joined = state.chain.sign_submit_and_wait(&ledger_key, join).await;
    let joined = joined?.refused_is_rejected()?;
    lock(&svc.sessions).insert(
        id.clone(),
        Entry {
            status: SessionStatus {
                id: id.clone(),
                role: "responder".into(),
                state: SessionState::Running,
                mode,
                own_did,
                peer_did,
                own_size,
                peer_size: Some(params.initiator_size),
                progress: responder.progress(),
                intersection_size: None,
                digest: None,
                peer_signature: None,
                error: None,
                ledger: vec![LedgerTx::from_result("join", Ok::<_, ApiError>(joined))],
                protocol: Protocol::EcdhRistretto255,
                size_opening: None,
            },
            last_activity: Instant::now(),
            responder: Some(responder),
            result: None,
            cancel: None,
            ledger_key: Some(ledger_key),
            tenant,
            opening: Some(opening),
            awaiting_client: false,
        },
    );
    tracing::info!(session = %id, offer = %offer_id, "PSI session accepted");
    Ok(resp)
}

fn check_id(id: &str) -> Result<(), ApiError> {
    if id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(ApiError::InvalidRequest(
            "session id must be 64 hex digits".into(),
        ))
    }
}

/// A session's state, progress and result summary.
#[utoipa::path(get, path = "/api/v1/psi/sessions/{id}", tag = "psi", security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id (64 hex)")),
    responses((status = 200, body = SessionStatus),
        (status = 404, description = "No such session", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn get_session(
    req: HttpRequest,
    principal: Principal,
    id: web::Path<String>,
) -> Result<web::Json<SessionStatus>, ApiError> {
    principal.require_any(&PSI_ROLES)?;
    check_id(&id)?;
    let svc = service(&req)?;
    let sessions = lock(&svc.sessions);
    // Tenancy: a session is visible only to the tenant that runs it (ids are public on chain).
    let e = sessions
        .get(id.as_str())
        .filter(|e| e.tenant == principal.tenant)
        .ok_or_else(|| ApiError::NotFound(format!("no PSI session {id}")))?;
    let mut status = e.status.clone();
    status.size_opening = e.opening.clone();
    Ok(web::Json(status))
}

/// The intersection as CSV (only when this party learnt identities).
#[utoipa::path(get, path = "/api/v1/psi/sessions/{id}/result.csv", tag = "psi", security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id (64 hex)")),
    responses((status = 200, description = "CSV with one column `item`", content_type = "text/csv"),
        (status = 404, description = "No such session or no identities learnt", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn get_result(
    req: HttpRequest,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require_any(&PSI_ROLES)?;
    check_id(&id)?;
    let svc = service(&req)?;
    let items = lock(&svc.sessions)
        .get(id.as_str())
        .filter(|e| e.tenant == principal.tenant)
        .and_then(|e| e.result.clone())
        .ok_or_else(|| ApiError::NotFound("no intersection available for this session".into()))?;
    let mut out = Vec::new();
    write_csv_column(&mut out, "item", &items).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().content_type("text/csv").body(out))
}

/// Cancels a running session (its task stops and its state is dropped).
#[utoipa::path(delete, path = "/api/v1/psi/sessions/{id}", tag = "psi", security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id (64 hex)")),
    responses((status = 200, body = SessionStatus),
        (status = 404, description = "No such session", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn cancel_session(
    req: HttpRequest,
    state: web::Data<ApiState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<web::Json<SessionStatus>, ApiError> {
    principal.require_any(&PSI_ROLES)?;
    check_id(&id)?;
    let svc = service(&req)?;
    let (status, responder_key) = {
        let mut sessions = lock(&svc.sessions);
        let e = sessions
            .get_mut(id.as_str())
            .filter(|e| e.tenant == principal.tenant)
            .ok_or_else(|| ApiError::NotFound(format!("no PSI session {id}")))?;
        let mut key = None;
        if e.status.state == SessionState::Running {
            e.status.state = SessionState::Cancelled;
            e.status.error = Some("cancelled by the operator".into());
            e.responder = None;
            match &e.cancel {
                // The initiator's task stops and records the failure itself.
                Some(c) => {
                    let _ = c.send(true);
                }
                None => key = e.ledger_key.take(),
            }
        }
        (e.status.clone(), key)
    };
    if let Some(key) = responder_key {
        record_failure(&svc, &state, &id, &key, "cancelled by the responder".into()).await;
    }
    Ok(web::Json(status))
}

/// The session's public record on chain (module `psi`).
#[utoipa::path(get, path = "/api/v1/psi/sessions/{id}/record", tag = "psi",
    params(("id" = String, Path, description = "Session id (64 hex)")),
    responses((status = 200, description = "The on-chain record", body = Object),
        (status = 404, description = "Not on chain", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn get_record(
    state: web::Data<ApiState>,
    id: web::Path<String>,
) -> Result<web::Json<serde_json::Value>, ApiError> {
    check_id(&id)?;
    let sid = sid_of(&id).ok_or_else(|| ApiError::InvalidRequest("bad session id".into()))?;
    let rec = chain_record(&state, &sid)?
        .ok_or_else(|| ApiError::NotFound(format!("no PSI session {id} on chain")))?;
    Ok(web::Json(record_json(&rec)))
}

/// A session record as JSON (hex ids and digests, `0x` addresses).
pub fn record_json(rec: &SessionRecord) -> serde_json::Value {
    serde_json::json!({
        "session_id": hex::encode(rec.session_id),
        "protocol": rec.protocol,
        "mode": rec.mode,
        "status": rec.status,
        "initiator": rec.initiator.to_string(),
        "initiator_did": rec.initiator_did,
        "initiator_commitment": hex::encode(rec.initiator_commitment),
        "responder": rec.responder.to_string(),
        "responder_did": rec.responder_did,
        "responder_commitment": rec.responder_commitment.map(hex::encode),
        "result_digest": rec.result_digest.map(hex::encode),
        "failure": rec.failure.as_ref().map(|(by, reason)| serde_json::json!({
            "by": by.to_string(), "reason": reason,
        })),
        "created_height": rec.created_height,
        "updated_height": rec.updated_height,
    })
}

/// Largest JSON body of the requests that carry a set (inline items or CSV text).
pub const INPUT_BODY_LIMIT: usize = 64 << 20;

/// A resource whose JSON body may carry a whole set.
fn input_resource(path: &str) -> actix_web::Resource {
    super::resource(path).app_data(web::Data::new(crate::problem::BodyLimit(INPUT_BODY_LIMIT)))
}

/// Routes under `/api/v1`.
pub fn configure_v1(cfg: &mut web::ServiceConfig) {
    cfg.service(input_resource("/psi/offers").route(web::post().to(create_offer)))
        .service(input_resource("/psi/sessions").route(web::post().to(start_session)))
        .service(
            super::resource("/psi/sessions/{id}")
                .route(web::get().to(get_session))
                .route(web::delete().to(cancel_session)),
        )
        .service(super::resource("/psi/sessions/{id}/result.csv").route(web::get().to(get_result)))
        .service(super::resource("/psi/sessions/{id}/record").route(web::get().to(get_record)));
    oprf::configure_v1(cfg);
}

/// Routes outside `/api/v1`: the peer-to-peer endpoint.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    let max = max_envelope_len(&PsiConfig::default().limits);
    cfg.service(
        web::resource("/psi/peer")
            .app_data(web::PayloadConfig::new(max))
            .route(web::post().to(peer)),
    );
    oprf::configure_root(cfg);
}

/// This part's OpenAPI paths, merged into [`super::openapi`].
#[derive(Debug, OpenApi)]
#[openapi(
    paths(create_offer, start_session, get_session, get_result, cancel_session, get_record),
    components(schemas(OfferRequest, OfferCreated, StartRequest, InputSpec, SessionStatus, SessionState, LedgerTx)),
    tags((name = "psi", description = "Private set intersection between partner servers"))
)]
pub struct Doc;
