//! Private set intersection between two Weft servers.
//!
//! - Operator REST under `/api/v1/psi` (bearer token, role partner or admin; the organisation
//!   key is one of the tenant's custodied keys, `key_id`):
//!   `POST /psi/offers` (responder: accept one session from a named peer over a set),
//!   `POST /psi/sessions` (initiator: start a session with a peer server),
//!   `GET /psi/sessions/{id}` (state, progress, result summary), `GET /psi/sessions/{id}/result.csv`,
//!   `DELETE /psi/sessions/{id}` (cancel).
//! - Peer-to-peer: `POST /psi/peer` (outside `/api/v1`, no token): one signed
//!   [`weft_mpc::psi::wire::Envelope`] in, one out (`application/octet-stream`). Authentication
//!   is the envelope signature against the key the operator pinned in its offer.
//!
//! Sessions are independent: each initiator session is its own task; CPU work runs on the
//! blocking pool; every HTTP request to the peer has a timeout; a responder session idle longer
//! than its timeout is failed and dropped by a sweeper; a session can be cancelled at any time.
//! No lock is held across network IO or protocol work.
//!
//! The service ([`PsiService`]) lives in [`super::ApiState`] (`psi`) and [`super::configure`]
//! registers it as app data (a later `cfg.app_data(web::Data<PsiService>)` replaces it, as the
//! tests do to shorten timeouts); without it these routes answer 503.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use weft_chain::{Keypair, PublicKey};
use weft_mpc::psi::input::{read_csv_column, write_csv_column, Normalise};
use weft_mpc::psi::session::{
    max_envelope_len, peek_envelope, InitiatorSession, Offer, Progress, ResponderSession,
};
use weft_mpc::psi::wire::{did_key, resolve_did_key};
use weft_mpc::psi::{InputSet, Limits, Mode, Outcome, PsiError, Revealed, SessionParams};

use super::ApiState;
use crate::auth::{validate_id, Principal, Role};
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
}

struct Entry {
    status: SessionStatus,
    last_activity: Instant,
    /// The responder's state machine; `None` while a request is being processed.
    responder: Option<ResponderSession>,
    /// The intersection (when this party learnt identities).
    result: Option<Vec<Vec<u8>>>,
    cancel: Option<tokio::sync::watch::Sender<bool>>,
}

struct PendingOffer {
    offer_id: String,
    offer: Offer,
    peer_did: String,
}

/// The PSI service of one server: offers, sessions, and the initiator tasks.
pub struct PsiService {
    config: PsiConfig,
    offers: Mutex<Vec<PendingOffer>>,
    sessions: Mutex<BTreeMap<String, Entry>>,
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
        })
    }

    /// Fails and drops responder sessions idle for longer than the idle timeout, and keeps
    /// finished ones (results stay downloadable).
    fn sweep(&self) {
        let now = Instant::now();
        let idle = self.config.idle_timeout;
        let mut sessions = lock(&self.sessions);
        for e in sessions.values_mut() {
            if e.status.state == SessionState::Running
                && e.status.role == "responder"
                && now.duration_since(e.last_activity) > idle
            {
                e.status.state = SessionState::Failed;
                e.status.error = Some(format!(
                    "peer sent nothing for {} s: session timed out",
                    idle.as_secs()
                ));
                e.responder = None; // frees the set and all per-session state
            }
        }
    }

    fn status(&self, id: &str) -> Option<SessionStatus> {
        self.sweep();
        lock(&self.sessions).get(id).map(|e| e.status.clone())
    }

    fn fail(&self, id: &str, err: impl std::fmt::Display) {
        if let Some(e) = lock(&self.sessions).get_mut(id) {
            if e.status.state == SessionState::Running {
                e.status.state = SessionState::Failed;
                e.status.error = Some(err.to_string());
            }
            e.responder = None;
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
        self.sweep();
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
                    .map_err(|e| ApiError::InvalidRequest(e.to_string()))?
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

fn peer_key(did: &str) -> Result<PublicKey, ApiError> {
    if did.starts_with("did:weft:") {
        return Err(ApiError::InvalidRequest(
            "did:weft peers are not resolvable here yet; use the peer's did:key".into(),
        ));
    }
    resolve_did_key(did).map_err(|e| ApiError::InvalidRequest(e.to_string()))
}

const PSI_ROLES: [Role; 2] = [Role::Partner, Role::Admin];

async fn org_key(
    state: &ApiState,
    principal: &Principal,
    key_id: &str,
) -> Result<Keypair, ApiError> {
    validate_id("key_id", key_id)?;
    let sealed = state
        .store
        .key(&principal.tenant, key_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no key {key_id:?} for this tenant")))?;
    state.keystore.open(&sealed).map_err(ApiError::internal)
}

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
    /// The initiator's DID (`did:key`).
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
    /// This organisation's `did:key`, to give to the initiator.
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
    svc.room()?;
    let body = body.0;
    let mode = parse_mode(&body.mode)?;
    let peer = peer_key(&body.peer_did)?;
    let own = org_key(&state, &principal, &body.key_id).await?;
    let max = svc.config.limits.max_items;
    let set = web::block(move || body.input.into_set(max))
        .await
        .map_err(ApiError::internal)??;
    let offer_id = hex::encode(rand::random::<[u8; 16]>());
    let created = OfferCreated {
        offer_id: offer_id.clone(),
        did: did_key(&own.public_key()),
        size: set.len(),
    };
    lock(&svc.offers).push(PendingOffer {
        offer_id,
        offer: Offer {
            own,
            peer,
            set,
            mode,
            limits: svc.config.limits,
        },
        peer_did: body.peer_did,
    });
    Ok(web::Json(created))
}

/// `POST /api/v1/psi/sessions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// The tenant's custodied key that speaks for this organisation.
    pub key_id: String,
    /// The peer server's base URL (`https://…`).
    pub peer_url: String,
    /// The peer's DID (`did:key`).
    pub peer_did: String,
    /// The peer's declared set size (from its offer).
    pub peer_size: u64,
    /// `one-side`, `both-sides` or `cardinality`.
    pub mode: String,
    /// This side's set.
    pub input: InputSpec,
}

/// Starts a session as initiator; it runs in the background (poll its status).
#[utoipa::path(post, path = "/api/v1/psi/sessions", tag = "psi", security(("bearer" = [])),
    request_body = StartRequest,
    responses((status = 200, body = SessionStatus),
        (status = 400, description = "Invalid request", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role may not run PSI", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "PSI disabled or too many sessions", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn start_session(
    req: HttpRequest,
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<StartRequest>,
) -> Result<web::Json<SessionStatus>, ApiError> {
    principal.require_any(&PSI_ROLES)?;
    let svc = service(&req)?;
    svc.room()?;
    let body = body.0;
    let mode = parse_mode(&body.mode)?;
    let peer = peer_key(&body.peer_did)?;
    let url = body.peer_url.trim_end_matches('/').to_string();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ApiError::InvalidRequest(
            "peer_url must be http(s)://".into(),
        ));
    }
    let own = org_key(&state, &principal, &body.key_id).await?;
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
    let session = web::block(move || InitiatorSession::new(params, limits, set, own, peer))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
    let status = SessionStatus {
        id: id.clone(),
        role: "initiator".into(),
        state: SessionState::Running,
        mode,
        peer_did: body.peer_did,
        own_size,
        peer_size: Some(body.peer_size),
        progress: session.progress(),
        intersection_size: None,
        digest: None,
        peer_signature: None,
        error: None,
    };
    lock(&svc.sessions).insert(
        id.clone(),
        Entry {
            status: status.clone(),
            last_activity: Instant::now(),
            responder: None,
            result: None,
            cancel: Some(cancel_tx),
        },
    );
    actix_web::rt::spawn(drive(
        svc.clone(),
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

async fn drive(
    svc: web::Data<PsiService>,
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
        Ok((outcome, sig)) => svc.finish(&id, outcome, sig),
        Err(DriveError::Cancelled) => {}
        Err(e) => {
            tracing::warn!(session = %id, error = %e, "PSI session failed");
            svc.fail(&id, e);
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

/// `POST /psi/peer`: one signed envelope from the initiator's server.
pub async fn peer(req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let svc = service(&req)?;
    svc.sweep();
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
                        svc.finish(&id, outcome, sig);
                    }
                    bytes
                }
                Err(e) => {
                    svc.fail(&id, &e);
                    return Err(ApiError::InvalidRequest(e.to_string()));
                }
            }
        }
        None => {
            // A new session: find the offer pinned to this sender's key.
            let pending = {
                let mut offers = lock(&svc.offers);
                let i = offers
                    .iter()
                    .position(|o| o.offer.peer == sender)
                    .ok_or_else(|| ApiError::Forbidden("no offer for this peer".into()))?;
                offers.remove(i)
            };
            let (mode, peer_did, offer_id, own_size) = (
                pending.offer.mode,
                pending.peer_did.clone(),
                pending.offer_id.clone(),
                pending.offer.set.len(),
            );
            let bytes = body.clone();
            let accepted = web::block(move || ResponderSession::accept(&bytes, pending.offer))
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
            lock(&svc.sessions).insert(
                id.clone(),
                Entry {
                    status: SessionStatus {
                        id: id.clone(),
                        role: "responder".into(),
                        state: SessionState::Running,
                        mode,
                        peer_did,
                        own_size,
                        peer_size: Some(params.initiator_size),
                        progress: responder.progress(),
                        intersection_size: None,
                        digest: None,
                        peer_signature: None,
                        error: None,
                    },
                    last_activity: Instant::now(),
                    responder: Some(responder),
                    result: None,
                    cancel: None,
                },
            );
            tracing::info!(session = %id, offer = %offer_id, "PSI session accepted");
            resp
        }
    };
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .body(out))
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
    svc.status(&id)
        .map(web::Json)
        .ok_or_else(|| ApiError::NotFound(format!("no PSI session {id}")))
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
    principal: Principal,
    id: web::Path<String>,
) -> Result<web::Json<SessionStatus>, ApiError> {
    principal.require_any(&PSI_ROLES)?;
    check_id(&id)?;
    let svc = service(&req)?;
    let mut sessions = lock(&svc.sessions);
    let e = sessions
        .get_mut(id.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("no PSI session {id}")))?;
    if e.status.state == SessionState::Running {
        e.status.state = SessionState::Cancelled;
        e.status.error = Some("cancelled by the operator".into());
        e.responder = None;
        if let Some(c) = &e.cancel {
            let _ = c.send(true);
        }
    }
    Ok(web::Json(e.status.clone()))
}

/// Routes under `/api/v1`.
pub fn configure_v1(cfg: &mut web::ServiceConfig) {
    cfg.service(super::resource("/psi/offers").route(web::post().to(create_offer)))
        .service(super::resource("/psi/sessions").route(web::post().to(start_session)))
        .service(
            super::resource("/psi/sessions/{id}")
                .route(web::get().to(get_session))
                .route(web::delete().to(cancel_session)),
        )
        .service(super::resource("/psi/sessions/{id}/result.csv").route(web::get().to(get_result)));
}

/// Routes outside `/api/v1`: the peer-to-peer endpoint.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    let max = max_envelope_len(&PsiConfig::default().limits);
    cfg.service(
        web::resource("/psi/peer")
            .app_data(web::PayloadConfig::new(max))
            .route(web::post().to(peer)),
    );
}

/// This part's OpenAPI paths, merged into [`super::openapi`].
#[derive(Debug, OpenApi)]
#[openapi(
    paths(create_offer, start_session, get_session, get_result, cancel_session),
    components(schemas(OfferRequest, OfferCreated, StartRequest, InputSpec, SessionStatus, SessionState)),
    tags((name = "psi", description = "Private set intersection between partner servers"))
)]
pub struct Doc;
