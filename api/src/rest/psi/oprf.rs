//! Unbalanced PSI and keyword lookup over HTTP (the DH-OPRF of [`weft_mpc::psi::oprf`]).
//!
//! Data holder (operator, bearer token, role partner or admin):
//! - `POST /api/v1/psi/filters`: preprocesses a (large) set once into a compact filter for one
//!   named peer; the filter is fetched once by the peer and reused for all its queries.
//! - `POST /api/v1/psi/keyword-tables`: encrypts a CSV (a key column, the other columns as
//!   payload) into a keyword table for one named peer.
//!
//! Client (operator):
//! - `POST /api/v1/psi/filters/query`: intersects a (small) set with a peer's filter (the filter
//!   is fetched on first use and cached per peer URL and filter id).
//! - `POST /api/v1/psi/lookup`: fetches the payload for one key from a peer's keyword table.
//!
//! Each client query (a filter query or a lookup) is its own session, recorded on chain
//! (module `psi`) like an ECDH session:
//! 1. the client records `psi.create` (protocol `unbalanced-oprf` or `keyword-lookup`, mode
//!    `one-side`: only the client learns anything) naming the data holder's DID and account,
//!    with a commitment to the number of points it will send;
//! 2. it sends one signed envelope on the session's channel (the envelope's session id is the
//!    new session id, sequence 0) carrying the filter or table id and the blinded points;
//! 3. the holder checks the record names it (its account and DID), the sender's key and DID
//!    as initiator, the protocol of what was published, and that the session is still only
//!    `created` and unseen here; it records `psi.join` (committing to its set size), evaluates,
//!    and answers with the evaluations and its signature over the result digest;
//! 4. the client checks that signature, finishes, and records `psi.complete` with both
//!    signatures — or `psi.fail` with the reason if anything went wrong (the holder records
//!    `psi.fail` for a refusal after it has claimed the session, e.g. an exhausted budget).
//!
//! The holder never learns the client's result, so the **result digest** of these sessions is
//! the digest of the transcript both parties saw ([`ledger::oprf_query_digest`]: session id,
//! filter/table id, the blinded points, the evaluations).
//!
//! Replays: an envelope is evaluated at most once. The holder refuses (409, `replayed: …`) an
//! envelope whose session it has already seen (evaluated, failed, or in progress), or whose
//! on-chain record is no longer `created`; it refuses (403, `unknown session: …`) one whose
//! session is not on chain, and (403, `… recorded for another peer`) one whose record names
//! another holder, client or protocol. Fetching the filter or table (`Filter`/`Table` on the
//! filter/table id's channel) is not a session: it gives the replayer only what the holder
//! publishes to its peer anyway, and evaluation is never possible on that channel.
//!
//! Each query runs in its own request (evaluation on the blocking pool, no lock held across IO
//! or computation), so one stuck query blocks no other. A holder session whose client never
//! records completion is settled by the PSI idle timer: after the idle timeout it takes the
//! chain's final state if there is one, otherwise marks the session failed and records
//! `psi.fail` ("timeout: …"); a client whose request is dropped midway records `psi.fail`
//! ("cancelled: …"). The total the holder evaluates for a filter or table stays capped
//! by its budget.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use weft_chain::{Address, Keypair, PublicKey, Signature};
use weft_mpc::psi::input::{csv_field, split_csv_line, CsvRows};
use weft_mpc::psi::ledger::{self, Protocol, PsiCall};
use weft_mpc::psi::oprf::{
    CompactFilter, KeywordTable, OprfServer, UnbalancedClient, UnbalancedServer,
};
use weft_mpc::psi::session::Progress;
use weft_mpc::psi::wire::{Envelope, SecureChannel};
use weft_mpc::psi::{InputSet, Mode};

use super::{
    chain_record, chain_record_synced, copy_key, lock, own_did, parse_peer, peer_key, peer_keys,
    record_completion, record_failure, service, sid_of, size_commitment, Entry, InputSpec,
    LedgerTx, PeerId, PsiService, SessionState, SessionStatus, PSI_ROLES,
};
use crate::auth::Principal;
use crate::problem::{ApiError, ApiJson};
use crate::rest::ApiState;

/// Largest OPRF envelope (a filter of the largest set, or a table).
const MAX_OPRF_ENVELOPE: usize = 256 << 20;
/// Most points evaluated per request.
const MAX_POINTS_PER_REQUEST: usize = 1 << 20;

#[derive(Debug, BorshSerialize, BorshDeserialize)]
enum OprfRequest {
    /// The compact filter.
    Filter,
    /// The keyword table.
    Table,
    /// Evaluate `k·P` on the blinded points of one recorded query session (the envelope's
    /// session id), against the filter or table `published`.
    Query {
        /// The filter or table id.
        published: [u8; 32],
        /// Blinded points.
        points: Vec<[u8; 32]>,
    },
}

#[derive(Debug, BorshSerialize, BorshDeserialize)]
enum OprfResponse {
    Filter(CompactFilter),
    Table {
        key_column: String,
        payload_columns: Vec<String>,
        table: KeywordTable,
    },
    /// The evaluations, and the holder's signature over the session's result digest.
    Evaluated {
        answers: Vec<[u8; 32]>,
        signature: Signature,
    },
}

pub(super) enum Kind {
    Filter(UnbalancedServer),
    Table {
        oprf: OprfServer,
        table: KeywordTable,
        key_column: String,
        payload_columns: Vec<String>,
    },
}

/// A published filter or table.
pub(super) struct Published {
    kind: Arc<Kind>,
    own: Keypair,
    own_did: String,
    peer: PeerId,
    peer_did: String,
    /// The publishing tenant.
    tenant: String,
    /// Distinct items (filter) or rows (table): what the holder commits to on chain.
    size: u64,
    /// Points the peer may still have evaluated.
    budget: u64,
}

/// The client's cache of fetched filters and tables, by peer URL and id.
pub(super) enum Fetched {
    Filter(Arc<CompactFilter>),
    Table(Arc<(String, Vec<String>, KeywordTable)>),
}

pub(super) type PublishedMap = BTreeMap<String, Published>;
pub(super) type FetchedMap = BTreeMap<(String, String), Fetched>;

fn rng() -> rand::rngs::OsRng {
    rand::rngs::OsRng
}

fn parse_id(text: &str) -> Result<[u8; 32], ApiError> {
    hex::decode(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| ApiError::InvalidRequest("an id is 64 hex digits".into()))
}

/// `POST /api/v1/psi/filters`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishFilter {
    /// The tenant's custodied key that speaks for this organisation.
    pub key_id: String,
    /// This organisation's `did:weft` (default: the key's own `did:weft` if on chain, else its `did:key`).
    #[serde(default)]
    pub did: Option<String>,
    /// The only peer allowed to fetch and query the filter (`did:key` or `did:weft`).
    pub peer_did: String,
    /// Most client items ever evaluated against this filter (sizes the tags so that expected
    /// false matches stay below 2^-40); default 2^20.
    #[serde(default)]
    pub max_client_items: Option<u64>,
    /// The (large) set.
    pub input: InputSpec,
}

/// A published filter or table.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishedInfo {
    /// Its id (64 hex), to give to the peer.
    pub id: String,
    /// This organisation's DID.
    pub did: String,
    /// Distinct items (filter) or rows (table).
    pub size: u64,
    /// Bytes the peer downloads once.
    pub bytes: u64,
}

/// Publishes a compact filter of a set for one peer (unbalanced PSI, data holder side).
#[utoipa::path(post, path = "/api/v1/psi/filters", tag = "psi", security(("bearer" = [])),
    request_body = PublishFilter,
    responses((status = 200, body = PublishedInfo),
        (status = 400, description = "Invalid request", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn publish_filter(
    req: HttpRequest,
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<PublishFilter>,
) -> Result<web::Json<PublishedInfo>, ApiError> {
    principal.require_any(&PSI_ROLES)?;
    let svc = service(&req)?;
    let body = body.0;
    let (peer_did, peer) = parse_peer(&state, &body.peer_did)?;
    peer_keys(&state, &peer)?;
    let own = state.principal_key(&principal, &body.key_id).await?;
    let did = own_did(&state, &own, body.did.as_deref())?;
    let budget = body.max_client_items.unwrap_or(1 << 20).max(1);
    let max = svc.config.limits.max_items;
    let input = body.input;
    let context: [u8; 32] = rand::random();
    let server = web::block(move || -> Result<UnbalancedServer, ApiError> {
        let set = input.into_set(max)?;
        Ok(UnbalancedServer::preprocess_with_rng(
            context,
            &set,
            budget,
            &mut rng(),
        ))
    })
    .await
    .map_err(ApiError::internal)??;
    let info = PublishedInfo {
        id: hex::encode(context),
        did,
        size: server.filter().len() as u64,
        bytes: server.filter().tags.len() as u64 + 33,
    };
    lock(&svc.published).insert(
        info.id.clone(),
        Published {
            kind: Arc::new(Kind::Filter(server)),
            own,
            own_did: info.did.clone(),
            peer,
            peer_did,
            tenant: principal.tenant.clone(),
            size: info.size,
            budget,
        },
    );
    Ok(web::Json(info))
}

/// `POST /api/v1/psi/keyword-tables`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishTable {
    /// The tenant's custodied key that speaks for this organisation.
    pub key_id: String,
    /// This organisation's `did:weft` (default: the key's own `did:weft` if on chain, else its `did:key`).
    #[serde(default)]
    pub did: Option<String>,
    /// The only peer allowed to fetch the table and look keys up.
    pub peer_did: String,
    /// CSV text with a header row.
    pub csv: String,
    /// The key column; every other column is payload.
    pub key_column: String,
    /// Normalisation of the key (as for sets).
    #[serde(default)]
    pub normalise: Option<String>,
    /// Most lookups the peer may make; default 1,000,000.
    #[serde(default)]
    pub max_lookups: Option<u64>,
}

/// The payload header, and `(normalised key, payload CSV record)` rows.
type TableRows = (Vec<String>, Vec<(Vec<u8>, Vec<u8>)>);

/// Reads a CSV into `(normalised key, payload CSV record)` rows and the payload header.
fn table_rows(body: &PublishTable) -> Result<TableRows, ApiError> {
    let rule = InputSpec {
        items: None,
        csv: None,
        column: None,
        normalise: body.normalise.clone(),
        country: None,
    }
    .rule()?;
    let table = CsvRows::new(body.csv.as_bytes()).map_err(super::csv_error)?;
    let key_at = table.column(&body.key_column).map_err(super::csv_error)?;
    let payload_columns: Vec<String> = table
        .header()
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != key_at)
        .map(|(_, h)| h.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for row in table {
        let (_, fields) = row.map_err(super::csv_error)?;
        let Some(key) = rule.apply(&fields[key_at]) else {
            continue;
        };
        let payload: Vec<String> = fields
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != key_at)
            .map(|(_, f)| csv_field(f))
            .collect();
        rows.push((key.into_bytes(), payload.join(",").into_bytes()));
    }
    Ok((payload_columns, rows))
}

/// Publishes an encrypted keyword table for one peer (keyword lookup, data holder side).
#[utoipa::path(post, path = "/api/v1/psi/keyword-tables", tag = "psi", security(("bearer" = [])),
    request_body = PublishTable,
    responses((status = 200, body = PublishedInfo),
        (status = 400, description = "Invalid request or duplicate key", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn publish_table(
    req: HttpRequest,
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<PublishTable>,
) -> Result<web::Json<PublishedInfo>, ApiError> {
    principal.require_any(&PSI_ROLES)?;
    let svc = service(&req)?;
    let body = body.0;
    let (peer_did, peer) = parse_peer(&state, &body.peer_did)?;
    peer_keys(&state, &peer)?;
    let own = state.principal_key(&principal, &body.key_id).await?;
    let did = own_did(&state, &own, body.did.as_deref())?;
    let budget = body.max_lookups.unwrap_or(1_000_000).max(1);
    let max = svc.config.limits.max_items;
    let context: [u8; 32] = rand::random();
    let kind = web::block(move || -> Result<Kind, ApiError> {
        let (payload_columns, rows) = table_rows(&body)?;
        if rows.len() as u64 > max {
            return Err(ApiError::InvalidRequest(format!(
                "{} rows exceed the limit of {max}",
                rows.len()
            )));
        }
        let oprf = OprfServer::new_with_rng(context, &mut rng());
        let table = KeywordTable::build(&oprf, &rows)
            .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
        Ok(Kind::Table {
            oprf,
            table,
            key_column: body.key_column,
            payload_columns,
        })
    })
    .await
    .map_err(ApiError::internal)??;
    let Kind::Table { table, .. } = &kind else {
        return Err(ApiError::internal("table expected"));
    };
    let info = PublishedInfo {
        id: hex::encode(context),
        did,
        size: table.rows.len() as u64,
        bytes: table
            .rows
            .iter()
            .map(|r| 20 + r.ciphertext.len() as u64)
            .sum(),
    };
    lock(&svc.published).insert(
        info.id.clone(),
        Published {
            kind: Arc::new(kind),
            own,
            own_did: info.did.clone(),
            peer,
            peer_did,
            tenant: principal.tenant.clone(),
            size: info.size,
            budget,
        },
    );
    Ok(web::Json(info))
}

/// `POST /psi/oprf`: one signed request from the peer a filter or table was published for:
/// a fetch of the filter or table (on its id's channel), or one query session's evaluation.
pub async fn oprf_peer(
    req: HttpRequest,
    state: web::Data<ApiState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let svc = service(&req)?;
    PsiService::start_timer(&svc, &state);
    if body.len() > MAX_OPRF_ENVELOPE {
        return Err(ApiError::InvalidRequest("envelope too large".into()));
    }
    let env: Envelope =
        borsh::from_slice(&body).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let key = hex::encode(env.session_id);
    let published = lock(&svc.published)
        .get(&key)
        .map(|p| (p.kind.clone(), copy_key(&p.own), p.peer.clone()));
    let Some((kind, own, peer)) = published else {
        return query_session(&svc, &state, env, body).await;
    };
    if !peer_keys(&state, &peer)?.contains(&env.sender) {
        return Err(ApiError::Forbidden(
            "the sender's key is not a key of the peer this was published for".into(),
        ));
    }
    let mut chan = SecureChannel::new(env.session_id, own, env.sender, MAX_OPRF_ENVELOPE);
    let payload = chan
        .open(&body)
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let request: OprfRequest =
        borsh::from_slice(&payload).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let response = match (request, kind.as_ref()) {
        (OprfRequest::Filter, Kind::Filter(server)) => {
            OprfResponse::Filter(server.filter().clone())
        }
        (
            OprfRequest::Table,
            Kind::Table {
                table,
                key_column,
                payload_columns,
                ..
            },
        ) => OprfResponse::Table {
            key_column: key_column.clone(),
            payload_columns: payload_columns.clone(),
            table: table.clone(),
        },
        (OprfRequest::Query { .. }, _) => {
            return Err(ApiError::Forbidden(
                "unknown session: an evaluation runs in its own session recorded on chain \
                 (psi.create), not on the filter or table id"
                    .into(),
            ))
        }
        _ => {
            return Err(ApiError::InvalidRequest(
                "request does not match what was published (filter or table)".into(),
            ))
        }
    };
    let out = chan.seal(borsh::to_vec(&response).map_err(ApiError::internal)?);
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .body(out))
}

/// Marks a session failed here and records the failure on chain (if this party still holds
/// its ledger key); returns `err`.
async fn fail_session(
    svc: &PsiService,
    state: &ApiState,
    id: &str,
    reason: &str,
    err: ApiError,
) -> ApiError {
    if let Some(key) = svc.fail(id, reason) {
        record_failure(svc, state, id, &key, reason.to_string()).await;
    }
    err
}

/// The data holder's side of one query session (see the module doc).
async fn query_session(
    svc: &web::Data<PsiService>,
    state: &web::Data<ApiState>,
    env: Envelope,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let sid = env.session_id;
    let id = hex::encode(sid);
    // Before anything else: a session seen here is never evaluated again.
    if let Some(e) = lock(&svc.sessions).get(&id) {
        return Err(ApiError::Conflict(format!(
            "replayed: session {id} was already received here (it is {:?})",
            e.status.state
        )));
    }
    // The filter or table it names (read unverified, only to find the keys to verify with).
    let OprfRequest::Query { published, .. } =
        borsh::from_slice(&env.payload).map_err(|e| ApiError::InvalidRequest(e.to_string()))?
    else {
        return Err(ApiError::NotFound(format!(
            "unknown session: no filter or table {id}"
        )));
    };
    let pkey = hex::encode(published);
    let (kind, own, own_did, peer, peer_did, tenant, size) = {
        let p = lock(&svc.published);
        let p = p.get(&pkey).ok_or_else(|| {
            ApiError::NotFound(format!("unknown session: no filter or table {pkey}"))
        })?;
        (
            p.kind.clone(),
            copy_key(&p.own),
            p.own_did.clone(),
            p.peer.clone(),
            p.peer_did.clone(),
            p.tenant.clone(),
            p.size,
        )
    };
    if !peer_keys(state, &peer)?.contains(&env.sender) {
        return Err(ApiError::Forbidden(
            "the sender's key is not a key of the peer this was published for".into(),
        ));
    }
    let sender = env.sender;
    let mut chan = SecureChannel::new(sid, copy_key(&own), sender, MAX_OPRF_ENVELOPE);
    let payload = chan
        .open(&body)
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let OprfRequest::Query { points, .. } =
        borsh::from_slice(&payload).map_err(|e| ApiError::InvalidRequest(e.to_string()))?
    else {
        return Err(ApiError::InvalidRequest("expected a query".into()));
    };
    let protocol = match kind.as_ref() {
        Kind::Filter(_) => Protocol::UnbalancedOprf,
        Kind::Table { .. } => Protocol::KeywordLookup,
    };
    // The client's record on chain must name exactly this holder, this client and protocol.
    let rec = chain_record_synced(state, &sid).await?.ok_or_else(|| {
        ApiError::Forbidden(format!(
            "unknown session: {id} is not recorded on chain (psi.create)"
        ))
    })?;
    if rec.status != ledger::SessionStatus::Created {
        return Err(ApiError::Conflict(format!(
            "replayed: session {id} is {:?} on chain",
            rec.status
        )));
    }
    if rec.responder != own.address() || rec.responder_did != own_did {
        return Err(ApiError::Forbidden(
            "the session on chain is recorded for another peer (responder)".into(),
        ));
    }
    if rec.initiator_key != sender || rec.initiator_did != peer_did {
        return Err(ApiError::Forbidden(
            "the session on chain was created by another initiator".into(),
        ));
    }
    if rec.protocol != protocol || rec.mode != Mode::OneSide {
        return Err(ApiError::Forbidden(
            "the session on chain has another protocol or mode".into(),
        ));
    }
    let n = points.len() as u64;
    let status = SessionStatus {
        id: id.clone(),
        role: "responder".into(),
        state: SessionState::Running,
        mode: Mode::OneSide,
        own_did,
        peer_did,
        own_size: size,
        peer_size: Some(n),
        progress: Progress::default(),
        intersection_size: None,
        digest: None,
        peer_signature: None,
        error: None,
        ledger: Vec::new(),
        protocol,
        size_opening: None,
    };
    // Claim the session: of two concurrent copies of one envelope, one gets here.
    {
        let mut sessions = lock(&svc.sessions);
        if sessions.contains_key(&id) {
            return Err(ApiError::Conflict(format!(
                "replayed: session {id} was already received here"
            )));
        }
        sessions.insert(
            id.clone(),
            Entry {
                status,
                last_activity: std::time::Instant::now(),
                responder: None,
                result: None,
                cancel: None,
                ledger_key: Some(copy_key(&own)),
                tenant,
                opening: None,
                awaiting_client: false,
            },
        );
    }
    // The budget cap: the total evaluated for a filter or table.
    let over = {
        let mut p = lock(&svc.published);
        match p.get_mut(&pkey) {
            Some(p) if n <= p.budget => {
                p.budget -= n;
                None
            }
            Some(p) => Some(format!(
                "{n} points exceed the remaining budget of {}",
                p.budget
            )),
            None => Some("the filter or table was withdrawn".into()),
        }
    };
    if let Some(why) = over {
        let reason = format!("refused by the data holder: {why}");
        return Err(fail_session(svc, state, &id, &reason, ApiError::Forbidden(why)).await);
    }
    let (commitment, opening) = size_commitment(&sid, size);
    let join = ledger::call(PsiCall::Join {
        session_id: sid,
        responder_key: own.public_key(),
        size_commitment: commitment,
    });
    let joined = state.chain.sign_submit_and_wait(&own, join).await;
    let refused = match &joined {
        Ok(o) if o.is_success() => None,
        Ok(o) => Some(
            o.error
                .as_ref()
                .map_or_else(|| "join refused".into(), |e| e.message.clone()),
        ),
        Err(e) => Some(e.to_string()),
    };
    svc.push_ledger(&id, LedgerTx::from_result("join", joined));
    if let Some(detail) = refused {
        let reason = format!("the data holder could not join: {detail}");
        let err = ApiError::TxRejected {
            reason: "module_rejected".into(),
            detail,
        };
        return Err(fail_session(svc, state, &id, &reason, err).await);
    }
    if let Some(e) = lock(&svc.sessions).get_mut(&id) {
        e.opening = Some(opening);
    }
    let kind2 = kind.clone();
    let evaluated = web::block(move || {
        let answers = match kind2.as_ref() {
            Kind::Filter(server) => server.answer(&points, MAX_POINTS_PER_REQUEST),
            Kind::Table { oprf, .. } => oprf.evaluate(&points, MAX_POINTS_PER_REQUEST),
        };
        (points, answers)
    })
    .await
    .map_err(ApiError::internal)?;
    let (points, answers) = match evaluated {
        (p, Ok(a)) => (p, a),
        (_, Err(e)) => {
            let reason = format!("peer error: {e}");
            let err = ApiError::InvalidRequest(e.to_string());
            return Err(fail_session(svc, state, &id, &reason, err).await);
        }
    };
    let digest = ledger::oprf_query_digest(&sid, &published, &points, &answers);
    let signature = own.sign(&ledger::result_signing_bytes(&sid, &digest));
    if let Some(e) = lock(&svc.sessions).get_mut(&id) {
        e.status.digest = Some(hex::encode(digest));
        e.awaiting_client = true;
        e.last_activity = std::time::Instant::now();
    }
    let response = OprfResponse::Evaluated { answers, signature };
    let out = chan.seal(borsh::to_vec(&response).map_err(ApiError::internal)?);
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .body(out))
}

/// Settles a data-holder query session whose client did not record completion within the
/// idle timeout: the chain's final state if it has one, else a failure (recorded on chain).
pub(super) async fn settle_holder(
    svc: &PsiService,
    state: &ApiState,
    id: &str,
    key: Option<Keypair>,
) {
    let rec = sid_of(id).and_then(|sid| chain_record(state, &sid).ok().flatten());
    let final_state = match &rec {
        Some(r) if r.status == ledger::SessionStatus::Completed => Some(SessionState::Completed),
        Some(r) if r.status == ledger::SessionStatus::Failed => Some(SessionState::Failed),
        _ => None,
    };
    if let Some(st) = final_state {
        if let Some(e) = lock(&svc.sessions).get_mut(id) {
            e.status.state = st;
            if let Some((_, reason)) = rec.as_ref().and_then(|r| r.failure.as_ref()) {
                e.status.error = Some(reason.clone());
            }
        }
        return;
    }
    let reason = format!(
        "timeout: the client did not record completion within {} ms",
        svc.config.idle_timeout.as_millis()
    );
    tracing::warn!(session = %id, "PSI query session not completed by the client");
    svc.fail(id, &reason);
    if let Some(key) = key {
        record_failure(svc, state, id, &key, reason).await;
    }
}

/// One signed request to a peer's `/psi/oprf`, and its verified answer.
async fn call_peer(
    own: &Keypair,
    peer: PublicKey,
    url: &str,
    id: [u8; 32],
    request: &OprfRequest,
    timeout: std::time::Duration,
) -> Result<OprfResponse, ApiError> {
    let mut chan = SecureChannel::new(id, copy_key(own), peer, MAX_OPRF_ENVELOPE);
    let envelope = chan.seal(borsh::to_vec(request).map_err(ApiError::internal)?);
    let client = awc::Client::builder()
        .timeout(timeout)
        .disable_redirects()
        .finish();
    let mut resp = client
        .post(format!("{url}/psi/oprf"))
        .insert_header(("content-type", "application/octet-stream"))
        .send_body(envelope)
        .await
        .map_err(|e| ApiError::Unavailable(format!("peer unreachable: {e}")))?;
    let status = resp.status().as_u16();
    let body = resp
        .body()
        .limit(MAX_OPRF_ENVELOPE)
        .await
        .map_err(|e| ApiError::Unavailable(format!("peer: {e}")))?;
    if status != 200 {
        let text: String = String::from_utf8_lossy(&body).chars().take(300).collect();
        return Err(ApiError::Unavailable(format!(
            "peer refused: HTTP {status}: {text}"
        )));
    }
    let payload = chan
        .open(&body)
        .map_err(|e| ApiError::Unavailable(format!("peer's answer refused: {e}")))?;
    borsh::from_slice(&payload)
        .map_err(|e| ApiError::Unavailable(format!("peer's answer malformed: {e}")))
}

/// Who takes part in a client query (unbalanced PSI or keyword lookup), resolved from the
/// request: the holder's URL and published id, its DID and key, and this organisation's key and DID.
struct QueryParties {
    url: String,
    published: [u8; 32],
    peer_did: String,
    peer: PublicKey,
    own: Keypair,
    own_did: String,
}

impl QueryParties {
    #[allow(clippy::too_many_arguments)]
    async fn resolve(
        state: &ApiState,
        principal: &Principal,
        key_id: &str,
        did: Option<&str>,
        peer_url: &str,
        peer_did: &str,
        published_id: &str,
    ) -> Result<Self, ApiError> {
        let url = check_url(peer_url)?;
        let published = parse_id(published_id)?;
        let (peer_did, peer_id) = parse_peer(state, peer_did)?;
        let peer = peer_key(state, &peer_id)?;
        let own = state.principal_key(principal, key_id).await?;
        let own_did = own_did(state, &own, did)?;
        Ok(Self {
            url,
            published,
            peer_did,
            peer,
            own,
            own_did,
        })
    }

    fn spec<'a>(
        &'a self,
        tenant: &'a str,
        published_size: u64,
        protocol: Protocol,
        timeout: std::time::Duration,
    ) -> QuerySpec<'a> {
        QuerySpec {
            own: &self.own,
            own_did: &self.own_did,
            tenant,
            peer: self.peer,
            peer_did: &self.peer_did,
            url: &self.url,
            published: self.published,
            published_size,
            protocol,
            timeout,
        }
    }
}

/// What a client query session needs.
struct QuerySpec<'a> {
    own: &'a Keypair,
    own_did: &'a str,
    tenant: &'a str,
    peer: PublicKey,
    peer_did: &'a str,
    url: &'a str,
    published: [u8; 32],
    published_size: u64,
    protocol: Protocol,
    timeout: std::time::Duration,
}

/// Fails a client query session (here and on chain) if its request handler is dropped before
/// the session finished (the operator's HTTP client went away), so it never stays running.
/// Harmless once the session completed or failed: [`PsiService::fail`] then does nothing.
struct QueryGuard {
    svc: web::Data<PsiService>,
    state: web::Data<ApiState>,
    id: String,
}

impl Drop for QueryGuard {
    fn drop(&mut self) {
        let reason = "cancelled: the client's request was dropped".to_string();
        if let Some(key) = self.svc.fail(&self.id, &reason) {
            let (svc, state, id) = (
                self.svc.clone(),
                self.state.clone(),
                std::mem::take(&mut self.id),
            );
            actix_web::rt::spawn(async move {
                record_failure(&svc, &state, &id, &key, reason).await;
            });
        }
    }
}

/// The client's side of one query session: records `psi.create`, sends the points, checks the
/// holder's answer and signature. Returns the session id (hex), the evaluations, the result
/// digest and the holder's signature; on failure the session is failed (on chain too).
async fn run_query(
    svc: &web::Data<PsiService>,
    state: &web::Data<ApiState>,
    q: QuerySpec<'_>,
    points: Vec<[u8; 32]>,
) -> Result<(QueryGuard, Vec<[u8; 32]>, [u8; 32], Signature), ApiError> {
    svc.room()?;
    let sid: [u8; 32] = rand::random();
    let id = hex::encode(sid);
    let n = points.len() as u64;
    let (commitment, opening) = size_commitment(&sid, n);
    let create = ledger::call(PsiCall::Create {
        session_id: sid,
        initiator_did: q.own_did.to_string(),
        initiator_key: q.own.public_key(),
        responder_did: q.peer_did.to_string(),
        responder: Address::from_public_key(&q.peer),
        protocol: q.protocol,
        mode: Mode::OneSide,
        size_commitment: commitment,
    });
    let created = state
        .chain
        .sign_submit_and_wait(q.own, create)
        .await?
        .refused_is_rejected()?;
    lock(&svc.sessions).insert(
        id.clone(),
        Entry {
            status: SessionStatus {
                id: id.clone(),
                role: "initiator".into(),
                state: SessionState::Running,
                mode: Mode::OneSide,
                own_did: q.own_did.to_string(),
                peer_did: q.peer_did.to_string(),
                own_size: n,
                peer_size: Some(q.published_size),
                progress: Progress::default(),
                intersection_size: None,
                digest: None,
                peer_signature: None,
                error: None,
                ledger: vec![LedgerTx::from_result("create", Ok::<_, ApiError>(created))],
                protocol: q.protocol,
                size_opening: None,
            },
            last_activity: std::time::Instant::now(),
            responder: None,
            result: None,
            cancel: None,
            ledger_key: Some(copy_key(q.own)),
            tenant: q.tenant.to_string(),
            opening: Some(opening),
            awaiting_client: false,
        },
    );
    let guard = QueryGuard {
        svc: svc.clone(),
        state: state.clone(),
        id: id.clone(),
    };
    let request = OprfRequest::Query {
        published: q.published,
        points: points.clone(),
    };
    let answered = call_peer(q.own, q.peer, q.url, sid, &request, q.timeout).await;
    let checked = match answered {
        Ok(OprfResponse::Evaluated { answers, signature }) if answers.len() == points.len() => {
            let digest = ledger::oprf_query_digest(&sid, &q.published, &points, &answers);
            if q.peer
                .verify(&ledger::result_signing_bytes(&sid, &digest), &signature)
            {
                Ok((answers, digest, signature))
            } else {
                Err(ApiError::Unavailable(
                    "peer's signature over the result digest is invalid".into(),
                ))
            }
        }
        Ok(_) => Err(ApiError::Unavailable(
            "peer answered with no (or a wrong number of) evaluations".into(),
        )),
        Err(e) => Err(e),
    };
    match checked {
        Ok((answers, digest, signature)) => Ok((guard, answers, digest, signature)),
        Err(e) => {
            let reason = format!("peer error: {e}");
            Err(fail_session(svc, state, &id, &reason, e).await)
        }
    }
}

/// Records the client's completion and marks its session completed.
async fn complete_query(
    svc: &PsiService,
    state: &ApiState,
    id: &str,
    digest: [u8; 32],
    peer_signature: Signature,
    found: u64,
) {
    let key = lock(&svc.sessions)
        .get_mut(id)
        .and_then(|e| e.ledger_key.take());
    if let Some(key) = key {
        record_completion(svc, state, id, &key, true, digest, peer_signature).await;
    }
    if let Some(e) = lock(&svc.sessions).get_mut(id) {
        e.status.state = SessionState::Completed;
        e.status.digest = Some(hex::encode(digest));
        e.status.peer_signature = Some(hex::encode(peer_signature.0));
        e.status.intersection_size = Some(found);
    }
}

fn check_url(url: &str) -> Result<String, ApiError> {
    let url = url.trim_end_matches('/').to_string();
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url)
    } else {
        Err(ApiError::InvalidRequest(
            "peer_url must be http(s)://".into(),
        ))
    }
}

/// `POST /api/v1/psi/filters/query`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryFilter {
    /// The tenant's custodied key that speaks for this organisation.
    pub key_id: String,
    /// This organisation's `did:weft` (default: the key's own `did:weft` if on chain, else its `did:key`).
    #[serde(default)]
    pub did: Option<String>,
    /// The data holder's server base URL.
    pub peer_url: String,
    /// The data holder's DID.
    pub peer_did: String,
    /// The filter id it gave.
    pub filter_id: String,
    /// The (small) set.
    pub input: InputSpec,
}

/// The client's result of unbalanced PSI.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueryResult {
    /// The query's session id (its record: `GET /api/v1/psi/sessions/{id}/record`).
    pub session_id: String,
    /// Items in the peer's filter.
    pub filter_size: u64,
    /// Own distinct items.
    pub own_size: u64,
    /// Own items found in the filter, sorted.
    pub intersection: Vec<String>,
}

/// Intersects a set with a peer's compact filter (fetched once, then cached).
#[utoipa::path(post, path = "/api/v1/psi/filters/query", tag = "psi", security(("bearer" = [])),
    request_body = QueryFilter,
    responses((status = 200, body = QueryResult),
        (status = 400, description = "Invalid request", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Peer unreachable or refused", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn query_filter(
    req: HttpRequest,
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<QueryFilter>,
) -> Result<web::Json<QueryResult>, ApiError> {
    principal.require_any(&PSI_ROLES)?;
    let svc = service(&req)?;
    let body = body.0;
    let parties = QueryParties::resolve(
        &state,
        &principal,
        &body.key_id,
        body.did.as_deref(),
        &body.peer_url,
        &body.peer_did,
        &body.filter_id,
    )
    .await?;
    let (url, id, peer, own) = (&parties.url, parties.published, parties.peer, &parties.own);
    let timeout = svc.config.request_timeout;
    let cache_key = (url.clone(), body.filter_id.clone());
    let cached = match lock(&svc.fetched).get(&cache_key) {
        Some(Fetched::Filter(f)) => Some(f.clone()),
        _ => None,
    };
    let filter = match cached {
        Some(f) => f,
        None => {
            let OprfResponse::Filter(f) =
                call_peer(own, peer, url, id, &OprfRequest::Filter, timeout).await?
            else {
                return Err(ApiError::Unavailable("peer answered with no filter".into()));
            };
            if f.context != id {
                return Err(ApiError::Unavailable(
                    "peer sent a filter for another id".into(),
                ));
            }
            let f = Arc::new(f);
            lock(&svc.fetched).insert(cache_key, Fetched::Filter(f.clone()));
            f
        }
    };
    let max = svc.config.limits.max_items;
    let input = body.input;
    let f2 = filter.clone();
    let (client, own_size) = web::block(move || -> Result<(UnbalancedClient, u64), ApiError> {
        let set: InputSet = input.into_set(max)?;
        let n = set.len();
        let c = UnbalancedClient::query_with_rng(&f2, set, &mut rng())
            .map_err(|e| ApiError::Unavailable(format!("peer's filter: {e}")))?;
        Ok((c, n))
    })
    .await
    .map_err(ApiError::internal)??;
    let spec = parties.spec(
        &principal.tenant,
        filter.len() as u64,
        Protocol::UnbalancedOprf,
        timeout,
    );
    let (guard, answers, digest, peer_sig) =
        run_query(&svc, &state, spec, client.points().to_vec()).await?;
    let sid = guard.id.clone();
    let f3 = filter.clone();
    let finished = web::block(move || client.finish(&f3, &answers))
        .await
        .map_err(ApiError::internal)?;
    let items = match finished {
        Ok(items) => items,
        Err(e) => {
            let err = ApiError::Unavailable(format!("peer's answer: {e}"));
            let reason = format!("peer error: {err}");
            return Err(fail_session(&svc, &state, &sid, &reason, err).await);
        }
    };
    complete_query(&svc, &state, &sid, digest, peer_sig, items.len() as u64).await;
    let mut intersection: Vec<String> = items
        .into_iter()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    intersection.sort();
    Ok(web::Json(QueryResult {
        session_id: sid,
        filter_size: filter.len() as u64,
        own_size,
        intersection,
    }))
}

/// `POST /api/v1/psi/lookup`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupRequest {
    /// The tenant's custodied key that speaks for this organisation.
    pub key_id: String,
    /// This organisation's `did:weft` (default: the key's own `did:weft` if on chain, else its `did:key`).
    #[serde(default)]
    pub did: Option<String>,
    /// The data holder's server base URL.
    pub peer_url: String,
    /// The data holder's DID.
    pub peer_did: String,
    /// The table id it gave.
    pub table_id: String,
    /// The key to look up (normalised like the table's key column).
    pub key: String,
    /// Normalisation of the key.
    #[serde(default)]
    pub normalise: Option<String>,
}

/// The payload found for a key.
#[derive(Debug, Serialize, ToSchema)]
pub struct LookupResult {
    /// The lookup's session id (its record: `GET /api/v1/psi/sessions/{id}/record`).
    pub session_id: String,
    /// Whether the key is in the table.
    pub found: bool,
    /// The table's key column.
    pub key_column: String,
    /// The payload columns, in order.
    pub columns: Vec<String>,
    /// The payload values (empty when not found).
    pub values: Vec<String>,
}

/// Looks one key up in a peer's keyword table; the peer learns nothing about the key.
#[utoipa::path(post, path = "/api/v1/psi/lookup", tag = "psi", security(("bearer" = [])),
    request_body = LookupRequest,
    responses((status = 200, body = LookupResult),
        (status = 400, description = "Invalid request", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Peer unreachable or refused", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn lookup(
    req: HttpRequest,
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<LookupRequest>,
) -> Result<web::Json<LookupResult>, ApiError> {
    principal.require_any(&PSI_ROLES)?;
    let svc = service(&req)?;
    let body = body.0;
    let parties = QueryParties::resolve(
        &state,
        &principal,
        &body.key_id,
        body.did.as_deref(),
        &body.peer_url,
        &body.peer_did,
        &body.table_id,
    )
    .await?;
    let (url, id, peer, own) = (&parties.url, parties.published, parties.peer, &parties.own);
    let rule = InputSpec {
        items: None,
        csv: None,
        column: None,
        normalise: body.normalise.clone(),
        country: None,
    }
    .rule()?;
    let key = rule.apply(&body.key).ok_or_else(|| {
        ApiError::InvalidRequest("the key is invalid under the normalisation".into())
    })?;
    let timeout = svc.config.request_timeout;
    let cache_key = (url.clone(), body.table_id.clone());
    let cached = match lock(&svc.fetched).get(&cache_key) {
        Some(Fetched::Table(t)) => Some(t.clone()),
        _ => None,
    };
    let table = match cached {
        Some(t) => t,
        None => {
            let OprfResponse::Table {
                key_column,
                payload_columns,
                table,
            } = call_peer(own, peer, url, id, &OprfRequest::Table, timeout).await?
            else {
                return Err(ApiError::Unavailable("peer answered with no table".into()));
            };
            if table.context != id {
                return Err(ApiError::Unavailable(
                    "peer sent a table for another id".into(),
                ));
            }
            let t = Arc::new((key_column, payload_columns, table));
            lock(&svc.fetched).insert(cache_key, Fetched::Table(t.clone()));
            t
        }
    };
    let query = table.2.query_with_rng(key.as_bytes(), &mut rng());
    let spec = parties.spec(
        &principal.tenant,
        table.2.rows.len() as u64,
        Protocol::KeywordLookup,
        timeout,
    );
    let (guard, answers, digest, peer_sig) =
        run_query(&svc, &state, spec, query.points.clone()).await?;
    let sid = guard.id.clone();
    let opened = table
        .2
        .lookup(query, &answers)
        .map_err(|e| ApiError::Unavailable(format!("peer's answer: {e}")))
        .and_then(|payload| {
            let values = match &payload {
                Some(p) => split_csv_line(&String::from_utf8_lossy(p))
                    .map_err(|e| ApiError::Unavailable(format!("peer's payload: {e}")))?,
                None => Vec::new(),
            };
            Ok((payload, values))
        });
    let (payload, values) = match opened {
        Ok(x) => x,
        Err(err) => {
            let reason = format!("peer error: {err}");
            return Err(fail_session(&svc, &state, &sid, &reason, err).await);
        }
    };
    let found = u64::from(payload.is_some());
    complete_query(&svc, &state, &sid, digest, peer_sig, found).await;
    Ok(web::Json(LookupResult {
        session_id: sid,
        found: payload.is_some(),
        key_column: table.0.clone(),
        columns: table.1.clone(),
        values,
    }))
}

/// Routes under `/api/v1`.
pub fn configure_v1(cfg: &mut web::ServiceConfig) {
    cfg.service(super::input_resource("/psi/filters").route(web::post().to(publish_filter)))
        .service(super::input_resource("/psi/filters/query").route(web::post().to(query_filter)))
        .service(super::input_resource("/psi/keyword-tables").route(web::post().to(publish_table)))
        .service(crate::rest::resource("/psi/lookup").route(web::post().to(lookup)));
}

/// Routes outside `/api/v1`.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/psi/oprf")
            .app_data(web::PayloadConfig::new(MAX_OPRF_ENVELOPE))
            .route(web::post().to(oprf_peer)),
    );
}

/// This part's OpenAPI paths.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(publish_filter, publish_table, query_filter, lookup),
    components(schemas(
        PublishFilter,
        PublishTable,
        PublishedInfo,
        QueryFilter,
        QueryResult,
        LookupRequest,
        LookupResult
    ))
)]
pub struct Doc;
