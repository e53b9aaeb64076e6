//! Anonymous voting (`/api/v1/polls`).
//!
//! - `GET /api/v1/polls`: every poll with its turnout and whether a result is recorded (public).
//! - `GET /api/v1/polls/{id}`: the poll's recorded state (public).
//! - `GET /api/v1/polls/{id}/audit`: the full audit from chain data (public; CPU-heavy, runs on
//!   the blocking pool).
//! - `POST /api/v1/polls`: create a poll, signed with one of the tenant's custodied keys (roles
//!   admin or organiser; the key's account needs the `vote.organiser` permission on chain).
//! - `POST /api/v1/polls/{id}/ballots`: relay a ballot. Public on purpose: no token, so nothing
//!   ties the ballot to an API identity; the server signs it with a fresh one-time account key
//!   it forgets at once. The chain verifies every proof; a refused ballot is a 422.
//!
//! Registering eligibility commitments and the counters' DKG and decryption posts are module
//! calls: send them through `POST /api/v1/transactions` (custodial) or
//! `/api/v1/transactions/signed` with `weft_mpc::vote::call`.

use actix_web::web;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};
use weft_chain::{CallError, Keypair, ModuleError};
use weft_mpc::vote::{self, Ballot, PollId, PollRecord, PollSpec, PollState, VoteCall, VoteQuery};

use super::ApiState;
use crate::auth::{validate_id, Principal, Role};
use crate::chain_client::TxOutcome;
use crate::problem::{ApiError, ApiJson, Problem};

/// Routes under `/api/v1`.
pub fn configure_v1(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/polls")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(web::resource("/polls/{id}").route(web::get().to(show)))
    .service(web::resource("/polls/{id}/audit").route(web::get().to(audit)))
    .service(web::resource("/polls/{id}/ballots").route(web::post().to(cast)));
}

/// Routes outside `/api/v1` (none).
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    let _ = cfg;
}

/// This part's OpenAPI paths, merged into [`super::openapi`].
#[derive(Debug, OpenApi)]
#[openapi(
    paths(list, show, audit, create, cast),
    components(schemas(PollSummary, CreatePoll))
)]
pub struct Doc;

/// A poll in the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PollSummary {
    /// Poll id (64 hex digits).
    pub id: String,
    /// Title.
    pub title: String,
    /// Choice labels.
    pub choices: Vec<String>,
    /// Ballots counted so far (distinct nullifiers).
    pub turnout: u64,
    /// Whether the joint key is recorded.
    pub key_recorded: bool,
    /// Whether eligibility is sealed.
    pub sealed: bool,
    /// The counts, once recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Vec<u64>>,
}

/// `POST /api/v1/polls`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePoll {
    /// The id of one of the caller's tenant's custodied keys (the organiser account).
    pub key_id: String,
    /// The poll specification (see `weft_mpc::vote::PollSpec`).
    #[schema(value_type = Object)]
    pub spec: PollSpec,
}

fn query<T: borsh::BorshDeserialize>(state: &ApiState, q: &VoteQuery) -> Result<T, ApiError> {
    let (method, args) = vote::query_args(q);
    let bytes = state
        .node
        .call(vote::NAME, method, &args, None)
        .map_err(|err| match err {
            CallError::Module(ModuleError::NotFound(what)) => {
                ApiError::NotFound(format!("no {what}"))
            }
            CallError::Module(ModuleError::InvalidArgs(detail)) => ApiError::InvalidRequest(detail),
            other => ApiError::internal(other),
        })?;
    borsh::from_slice(&bytes).map_err(ApiError::internal)
}

fn poll_id(text: &str) -> Result<PollId, ApiError> {
    PollId::from_hex(text)
        .ok_or_else(|| ApiError::InvalidRequest("a poll id is 64 hex digits".into()))
}

/// Every poll, oldest first.
#[utoipa::path(get, path = "/api/v1/polls", tag = "polls",
    responses((status = 200, description = "Polls", body = Vec<PollSummary>)))]
pub async fn list(state: web::Data<ApiState>) -> Result<web::Json<Vec<PollSummary>>, ApiError> {
    let ids: Vec<PollId> = query(&state, &VoteQuery::Polls)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let p: PollState = query(&state, &VoteQuery::Poll(id))?;
        out.push(PollSummary {
            id: id.to_hex(),
            title: p.spec.title,
            choices: p.spec.choices,
            turnout: p.ballots,
            key_recorded: p.group_key.is_some(),
            sealed: p.roots.is_some(),
            result: p.result.map(|r| r.counts),
        });
    }
    Ok(web::Json(out))
}

/// One poll's recorded state: spec, key, roots, turnout, aggregate, decryption progress and
/// result.
#[utoipa::path(get, path = "/api/v1/polls/{id}", tag = "polls",
    params(("id" = String, Path, description = "Poll id (64 hex digits)")),
    responses(
        (status = 200, description = "The poll state (`weft_mpc::vote::PollState`)", body = Object),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such poll", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn show(
    state: web::Data<ApiState>,
    id: web::Path<String>,
) -> Result<web::Json<Value>, ApiError> {
    let p: PollState = query(&state, &VoteQuery::Poll(poll_id(&id)?))?;
    Ok(web::Json(
        serde_json::to_value(p).map_err(ApiError::internal)?,
    ))
}

/// The audit report of a poll, recomputed from chain data: every check with its outcome.
#[utoipa::path(get, path = "/api/v1/polls/{id}/audit", tag = "polls",
    params(("id" = String, Path, description = "Poll id (64 hex digits)")),
    responses(
        (status = 200, description = "The report (`weft_mpc::vote::AuditReport`) and `passed`", body = Object),
        (status = 404, description = "No such poll", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn audit(
    state: web::Data<ApiState>,
    id: web::Path<String>,
) -> Result<web::Json<Value>, ApiError> {
    let record: PollRecord = query(&state, &VoteQuery::Record(poll_id(&id)?))?;
    let report = web::block(move || {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        vote::audit(&record, threads)
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(web::Json(serde_json::json!({
        "passed": report.passed(),
        "checks": report.checks,
    })))
}

/// Creates a poll signed with a custodied key of the caller's tenant. Roles: admin, organiser.
#[utoipa::path(post, path = "/api/v1/polls", tag = "polls", security(("bearer" = [])),
    request_body = CreatePoll,
    responses(
        (status = 200, description = "Committed; `poll` is the new id", body = Object),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role may not create polls", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key for this tenant", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused by the chain", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<CreatePoll>,
) -> Result<web::Json<Value>, ApiError> {
    principal.require_any(&[Role::Admin, Role::Organiser])?;
    let body = body.0;
    validate_id("key_id", &body.key_id)?;
    vote::validate_spec(&body.spec).map_err(ApiError::InvalidRequest)?;
    let sealed = state
        .store
        .key(&principal.tenant, &body.key_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no key {:?} for this tenant", body.key_id)))?;
    let key = state.keystore.open(&sealed).map_err(ApiError::internal)?;
    let call = vote::call(&VoteCall::CreatePoll(body.spec));
    let outcome = refused_is_422(state.chain.sign_submit_and_wait(&key, call).await?)?;
    let receipt_poll = poll_from_outcome(&state, &outcome)?;
    Ok(web::Json(serde_json::json!({
        "tx_hash": outcome.tx_hash,
        "height": outcome.height,
        "poll": receipt_poll,
    })))
}

/// Reads the `poll_created` event of a committed transaction.
fn poll_from_outcome(state: &ApiState, outcome: &TxOutcome) -> Result<Option<String>, ApiError> {
    let hash = outcome
        .tx_hash
        .parse()
        .map_err(|_| ApiError::internal("unparsable tx hash"))?;
    let receipt = state.node.receipt(&hash).map_err(ApiError::internal)?;
    Ok(receipt.and_then(|r| {
        r.events
            .iter()
            .find(|e| e.module == vote::NAME && e.kind == "poll_created")
            .and_then(|e| e.attributes.iter().find(|(k, _)| k == "poll"))
            .map(|(_, v)| v.clone())
    }))
}

fn refused_is_422(outcome: TxOutcome) -> Result<TxOutcome, ApiError> {
    if outcome.status == "success" {
        Ok(outcome)
    } else {
        Err(ApiError::TxRejected {
            reason: "module_rejected".into(),
            detail: outcome.error.unwrap_or_else(|| "refused".into()),
        })
    }
}

/// Relays a ballot from a fresh one-time account. No token: nothing ties the ballot to an API
/// identity. The chain verifies every proof; a refused ballot (out of range, rule broken,
/// membership proof invalid, nullifier reused, outside the window) is a 422 with the reason.
#[utoipa::path(post, path = "/api/v1/polls/{id}/ballots", tag = "polls",
    params(("id" = String, Path, description = "Poll id (64 hex digits)")),
    request_body(content = Object, description = "A `weft_mpc::vote::Ballot` as JSON"),
    responses(
        (status = 200, description = "Counted", body = TxOutcome),
        (status = 400, description = "Malformed ballot or id mismatch", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused by the chain", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn cast(
    state: web::Data<ApiState>,
    id: web::Path<String>,
    body: ApiJson<Ballot>,
) -> Result<web::Json<TxOutcome>, ApiError> {
    let poll = poll_id(&id)?;
    let ballot = body.0;
    if ballot.poll != poll {
        return Err(ApiError::InvalidRequest(
            "the ballot is for another poll than the path names".into(),
        ));
    }
    let one_time = Keypair::generate();
    let outcome = state
        .chain
        .sign_submit_and_wait(&one_time, vote::call(&VoteCall::Cast(ballot)))
        .await?;
    Ok(web::Json(refused_is_422(outcome)?))
}
