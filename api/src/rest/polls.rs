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
//! - `POST /api/v1/polls/{id}/steps`: one setup or tally step signed with a custodied key of
//!   the caller's tenant (roles admin or organiser): the counters' DKG posts, the organiser's
//!   `finalize_key`, `add_leaves` (register eligibility commitments) and `seal`, and the
//!   counters' `decrypt` shares. The module checks who may do what (the organiser account, a
//!   counter account at its index).
//! - `POST /api/v1/polls/{id}/register-credential`: `{key_id, credential, commitment}`: a
//!   credential holder registers their own eligibility commitment (polls with a credential
//!   rule), signed with a custodied key of the caller's tenant that is an `authentication` key
//!   of the credential subject's DID. The chain checks the credential at block time; a refusal
//!   is a 422 `tx_rejected` whose `reason` is the refusal code (`bad_signature`,
//!   `issuer_not_recognised`, `issuer_key`, `wrong_cpt`, `cpt_digest`, `unknown_cpt`,
//!   `claims_invalid`, `expired`, `not_yet_valid`, `status_unsupported`, `malformed`,
//!   `not_vc2`, `proof_invalid`, `schema_invalid`, `subject_invalid`, `subject_not_signer`,
//!   `already_registered`, `weight_claim`, ...), or `sealed` / `setup_closed` /
//!   `no_credential_rule`.
//! - `GET /api/v1/polls/{id}/dkg`: the public DKG transcript (counters read it between steps).
//! - `GET /api/v1/polls/{id}/leaves?class=N`: the eligibility leaves of a class (voters build
//!   their Merkle path from them).
//!
//!
//! Voting booth (a wallet flow on the voter's own node; see "Trust model of the booth" below):
//! - `GET /api/v1/vote-commitments/{key_id}`: the eligibility commitment of the membership
//!   secret this node derives from one of the caller's tenant's custodied keys (give it to the
//!   organiser to register).
//! - `PUT /api/v1/polls/{id}/proving-key`: install the poll's Groth16 proving key on this node
//!   (raw bytes, as `weft vote params` writes it; refused unless it matches the poll's
//!   verifying key). Stored under the node's data directory.
//! - `POST /api/v1/polls/{id}/booth`: `{key_id, choices, class?}`: this node builds the ballot
//!   from the caller's secret and submits it from a fresh one-time account.
//!
//! ## Trust model of the booth
//!
//! There is no wasm target here, so the Groth16 proof cannot be made in the browser. The booth
//! is a wallet on the voter's own Weft node: the node holds the voter's membership secret
//! (derived from a custodied key, sealed under the node's master key), sees the choice, makes
//! the ballot and relays it from a one-time account. So **the voter's own node (its operator)
//! sees the vote**; the organiser, the counters and the validators do not: the transaction
//! carries a one-time sender, the encrypted choices and proofs, and the per-poll nullifier.
//! Use a node you run or trust, or `weft vote cast` on your own machine.
//!
//! A refused ballot is a 422 `tx_rejected` whose `reason` is typed: `window_not_open`,
//! `window_closed`, `nullifier_used`, `not_ready` (key or eligibility not recorded) or
//! `ballot_invalid` (a proof fails, wrong shape); a ballot that is not even well-formed JSON
//! for a `Ballot` is a 400.

use actix_web::web;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};
use weft_chain::{CallError, Keypair, ModuleError};
use weft_mpc::vote::{
    self, Ballot, Bytes, DkgBroadcastPost, DkgRecord, EncryptedShare, PollId, PollRecord, PollSpec,
    PollState, VoteCall, VoteQuery,
};

use weft_zk::membership::{MembershipSecret, ProvingKeyDigest};

use super::ApiState;
use crate::auth::{validate_id, Principal, Role};
use crate::problem::{ApiError, ApiJson, Problem};
use weft_service::chain_client::TxOutcome;

/// Routes under `/api/v1`.
pub fn configure_v1(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/polls")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(web::resource("/polls/{id}").route(web::get().to(show)))
    .service(web::resource("/polls/{id}/audit").route(web::get().to(audit)))
    .service(web::resource("/polls/{id}/dkg").route(web::get().to(dkg)))
    .service(web::resource("/polls/{id}/leaves").route(web::get().to(leaves)))
    .service(web::resource("/polls/{id}/steps").route(web::post().to(step)))
    .service(web::resource("/polls/{id}/booth").route(web::post().to(booth)))
    .service(
        web::resource("/polls/{id}/register-credential").route(web::post().to(register_credential)),
    )
    .service(
        web::resource("/polls/{id}/proving-key")
            .app_data(web::PayloadConfig::new(MAX_PROVING_KEY_BYTES))
            .route(web::put().to(put_proving_key)),
    )
    .service(web::resource("/vote-commitments/{key_id}").route(web::get().to(commitment)))
    .service(web::resource("/polls/{id}/ballots").route(web::post().to(cast)));
}

/// Routes outside `/api/v1` (none).
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    let _ = cfg;
}

/// This part's OpenAPI paths, merged into [`super::openapi`].
#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        list,
        show,
        audit,
        dkg,
        leaves,
        create,
        step,
        cast,
        commitment,
        put_proving_key,
        booth,
        register_credential
    ),
    components(schemas(PollSummary, CreatePoll, StepRequest, BoothVote, RegisterCredential))
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

/// `POST /api/v1/polls/{id}/steps`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    /// The id of one of the caller's tenant's custodied keys (the organiser's or a counter's
    /// account).
    pub key_id: String,
    /// The step, tagged by `kind`: `dkg_broadcast {post}`, `dkg_shares {shares}`,
    /// `dkg_complaints {accused}`, `dkg_responses {responses}`, `finalize_key`,
    /// `add_leaves {class, leaves}`, `seal`, `decrypt {shares}` (byte strings in hex).
    #[schema(value_type = Object)]
    pub step: PollStep,
}

/// A setup or tally step of a poll (the poll id comes from the path).
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PollStep {
    /// Counter: round-1 broadcast and share key.
    DkgBroadcast {
        /// The post (`weft_mpc::vote::counter::start_with_rng`).
        post: DkgBroadcastPost,
    },
    /// Counter: encrypted shares for the other counters.
    DkgShares {
        /// The shares.
        shares: Vec<EncryptedShare>,
    },
    /// Counter: complaints (possibly none).
    DkgComplaints {
        /// Accused dealer indices.
        accused: Vec<u32>,
    },
    /// Counter: answers to complaints.
    DkgResponses {
        /// Complaint responses.
        responses: Vec<Bytes>,
    },
    /// Organiser: record the joint key (computed by the module).
    FinalizeKey,
    /// Organiser: register eligibility commitments.
    AddLeaves {
        /// Eligibility class.
        #[serde(default)]
        class: u32,
        /// Leaf commitments, 64 hex digits each.
        leaves: Vec<Hex32>,
    },
    /// Organiser: close eligibility (the module computes the roots).
    Seal,
    /// Counter: decryption shares of the aggregate, one per choice.
    Decrypt {
        /// The shares.
        shares: Vec<Bytes>,
    },
}

/// 32 bytes as 64 hex digits.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Hex32(#[serde(with = "hex::serde")] pub [u8; 32]);

impl PollStep {
    fn into_call(self, poll: PollId) -> VoteCall {
        match self {
            PollStep::DkgBroadcast { post } => VoteCall::DkgBroadcast { poll, post },
            PollStep::DkgShares { shares } => VoteCall::DkgShares { poll, shares },
            PollStep::DkgComplaints { accused } => VoteCall::DkgComplaints { poll, accused },
            PollStep::DkgResponses { responses } => VoteCall::DkgResponses { poll, responses },
            PollStep::FinalizeKey => VoteCall::FinalizeKey { poll },
            PollStep::AddLeaves { class, leaves } => VoteCall::AddLeaves {
                poll,
                class,
                leaves: leaves.into_iter().map(|l| l.0).collect(),
            },
            PollStep::Seal => VoteCall::Seal { poll },
            PollStep::Decrypt { shares } => VoteCall::Decrypt { poll, shares },
        }
    }
}

/// `?class=N` of `GET /api/v1/polls/{id}/leaves`.
#[derive(Debug, Deserialize)]
pub struct LeavesQuery {
    /// Eligibility class (default 0).
    #[serde(default)]
    pub class: u32,
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
    let key = state.principal_key(&principal, &body.key_id).await?;
    let call = vote::call(&VoteCall::CreatePoll(body.spec));
    let outcome = state
        .chain
        .sign_submit_and_wait(&key, call)
        .await?
        .refused_is_rejected()?;
    let receipt_poll = poll_from_outcome(&state, &outcome)?;
    Ok(web::Json(serde_json::json!({
        "tx_hash": outcome.tx_hash,
        "height": outcome.height,
        "poll": receipt_poll,
    })))
}

/// The public DKG transcript of a poll (`weft_mpc::vote::DkgRecord`).
#[utoipa::path(get, path = "/api/v1/polls/{id}/dkg", tag = "polls",
    params(("id" = String, Path, description = "Poll id (64 hex digits)")),
    responses(
        (status = 200, description = "The DKG record", body = Object),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such poll", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn dkg(
    state: web::Data<ApiState>,
    id: web::Path<String>,
) -> Result<web::Json<DkgRecord>, ApiError> {
    let id = poll_id(&id)?;
    let _: PollState = query(&state, &VoteQuery::Poll(id))?;
    Ok(web::Json(query(&state, &VoteQuery::Dkg(id))?))
}

/// The eligibility leaves of one class, in tree order (hex).
#[utoipa::path(get, path = "/api/v1/polls/{id}/leaves", tag = "polls",
    params(
        ("id" = String, Path, description = "Poll id (64 hex digits)"),
        ("class" = Option<u32>, Query, description = "Eligibility class (default 0)"),
    ),
    responses(
        (status = 200, description = "Leaf commitments", body = Vec<String>),
        (status = 400, description = "Malformed id or unknown class", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such poll", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn leaves(
    state: web::Data<ApiState>,
    id: web::Path<String>,
    q: web::Query<LeavesQuery>,
) -> Result<web::Json<Vec<String>>, ApiError> {
    let poll = poll_id(&id)?;
    let leaves: Vec<[u8; 32]> = query(
        &state,
        &VoteQuery::Leaves {
            poll,
            class: q.class,
        },
    )?;
    Ok(web::Json(leaves.iter().map(hex::encode).collect()))
}

/// One setup or tally step of a poll, signed with a custodied key of the caller's tenant.
/// Roles: admin, organiser. The module decides whether that account may take the step (the
/// poll's organiser for `finalize_key`, `add_leaves`, `seal`; a counter at its own index for
/// the DKG posts and `decrypt`).
#[utoipa::path(post, path = "/api/v1/polls/{id}/steps", tag = "polls", security(("bearer" = [])),
    params(("id" = String, Path, description = "Poll id (64 hex digits)")),
    request_body = StepRequest,
    responses(
        (status = 200, description = "Committed", body = crate::schema::TxOutcome),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role may not sign poll steps", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key for this tenant", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused by the chain (wrong signer, wrong phase, bad proof)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn step(
    state: web::Data<ApiState>,
    principal: Principal,
    id: web::Path<String>,
    body: ApiJson<StepRequest>,
) -> Result<web::Json<TxOutcome>, ApiError> {
    principal.require_any(&[Role::Admin, Role::Organiser])?;
    let poll = poll_id(&id)?;
    let body = body.0;
    validate_id("key_id", &body.key_id)?;
    let key = state.principal_key(&principal, &body.key_id).await?;
    let call = vote::call(&body.step.into_call(poll));
    let outcome = state.chain.sign_submit_and_wait(&key, call).await?;
    Ok(web::Json(outcome.refused_is_rejected()?))
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

/// Relays a ballot from a fresh one-time account. No token: nothing ties the ballot to an API
/// identity. The chain verifies every proof; a refused ballot (out of range, rule broken,
/// membership proof invalid, nullifier reused, outside the window) is a 422 with the reason.
#[utoipa::path(post, path = "/api/v1/polls/{id}/ballots", tag = "polls",
    params(("id" = String, Path, description = "Poll id (64 hex digits)")),
    request_body(content = Object, description = "A `weft_mpc::vote::Ballot` as JSON"),
    responses(
        (status = 200, description = "Counted", body = crate::schema::TxOutcome),
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
    Ok(web::Json(outcome.refused_is_rejected()?))
}

/// `POST /api/v1/polls/{id}/register-credential`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterCredential {
    /// A custodied key of the caller's tenant: an `authentication` key of the credential
    /// subject's DID.
    pub key_id: String,
    /// The secured credential: VC 2.0 JSON with its `eddsa-jcs-2022` proof, as a JSON object
    /// or as its text.
    #[schema(value_type = Object)]
    pub credential: Value,
    /// The voter's eligibility commitment (64 hex digits; `weft vote secret` or
    /// `GET /api/v1/vote-commitments/{key_id}`).
    #[schema(value_type = String)]
    pub commitment: Hex32,
}

/// A credential holder registers their own eligibility commitment with a credential, signed
/// with a custodied key of the caller's tenant (an `authentication` key of the subject DID).
/// Any role. The chain checks the credential deterministically at block time; the
/// registration links the subject DID to the commitment in public (ballots stay unlinkable).
#[utoipa::path(post, path = "/api/v1/polls/{id}/register-credential", tag = "polls", security(("bearer" = [])),
    params(("id" = String, Path, description = "Poll id (64 hex digits)")),
    request_body = RegisterCredential,
    responses(
        (status = 200, description = "Registered", body = crate::schema::TxOutcome),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such poll or key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused by the chain; `reason` is the refusal code (bad_signature, issuer_not_recognised, issuer_key, wrong_cpt, cpt_digest, expired, not_yet_valid, status_unsupported, subject_not_signer, already_registered, sealed, ...)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn register_credential(
    state: web::Data<ApiState>,
    principal: Principal,
    id: web::Path<String>,
    body: ApiJson<RegisterCredential>,
) -> Result<web::Json<TxOutcome>, ApiError> {
    let poll = poll_id(&id)?;
    let body = body.0;
    validate_id("key_id", &body.key_id)?;
    let credential = match body.credential {
        Value::String(text) => text,
        obj @ Value::Object(_) => obj.to_string(),
        _ => {
            return Err(ApiError::InvalidRequest(
                "credential must be a JSON object or its text".into(),
            ))
        }
    };
    if credential.len() > weft_did::credential::onchain::MAX_CREDENTIAL_LEN {
        return Err(ApiError::InvalidRequest(
            "the credential is too large".into(),
        ));
    }
    let _: PollState = query(&state, &VoteQuery::Poll(poll))?;
    let key = state.principal_key(&principal, &body.key_id).await?;
    let call = vote::call(&VoteCall::RegisterWithCredential {
        poll,
        credential,
        commitment: body.commitment.0,
    });
    let outcome = state.chain.sign_submit_and_wait(&key, call).await?;
    Ok(web::Json(outcome.refused_is_rejected()?))
}

/// Largest proving key accepted by `PUT /api/v1/polls/{id}/proving-key`.
const MAX_PROVING_KEY_BYTES: usize = 256 << 20;

/// `POST /api/v1/polls/{id}/booth`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoothVote {
    /// The custodied key of the caller's tenant the membership secret is derived from.
    pub key_id: String,
    /// The chosen choices (indices from 0).
    pub choices: Vec<usize>,
    /// Eligibility class (weighted polls; default 0).
    #[serde(default)]
    pub class: u32,
}

/// The membership secret this node derives from a custodied key: SHA-256 of a domain label and
/// the key's seed, reduced below 2^253 (so it is a canonical BN254 scalar). One custodied key
/// gives one secret for every poll; the nullifier differs per poll.
fn booth_secret(key: &Keypair) -> Result<MembershipSecret, ApiError> {
    use sha2::{Digest, Sha256};
    let seed = key.to_seed();
    let mut bytes: zeroize::Zeroizing<[u8; 32]> = zeroize::Zeroizing::new(
        Sha256::new()
            .chain_update(b"weft/vote/booth-secret/v1")
            .chain_update(seed.as_slice())
            .finalize()
            .into(),
    );
    bytes[31] &= 0x1f;
    MembershipSecret::from_bytes(&bytes).map_err(ApiError::internal)
}

fn proving_key_path(state: &ApiState, poll: &PollId) -> std::path::PathBuf {
    state
        .node
        .config()
        .data_dir
        .join("vote-proving-keys")
        .join(format!("{poll}.pk"))
}

/// The eligibility commitment of the caller's booth secret for custodied key `key_id`. Any role.
#[utoipa::path(get, path = "/api/v1/vote-commitments/{key_id}", tag = "polls", security(("bearer" = [])),
    params(("key_id" = String, Path, description = "A custodied key of the caller's tenant")),
    responses(
        (status = 200, description = "`{commitment}` (64 hex digits)", body = Object),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key for this tenant", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn commitment(
    state: web::Data<ApiState>,
    principal: Principal,
    key_id: web::Path<String>,
) -> Result<web::Json<Value>, ApiError> {
    let key = state.principal_key(&principal, &key_id).await?;
    let secret = booth_secret(&key)?;
    Ok(web::Json(serde_json::json!({
        "commitment": hex::encode(secret.commitment().to_bytes()),
    })))
}

/// Installs the poll's Groth16 proving key on this node for its booth. Any authenticated caller:
/// the key is refused unless its verifying key is the poll's.
#[utoipa::path(put, path = "/api/v1/polls/{id}/proving-key", tag = "polls", security(("bearer" = [])),
    params(("id" = String, Path, description = "Poll id (64 hex digits)")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The proving key (weft-zk encoding)"),
    responses(
        (status = 204, description = "Installed"),
        (status = 400, description = "Not a proving key, or not this poll's", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such poll", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_proving_key(
    state: web::Data<ApiState>,
    _principal: Principal,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<actix_web::HttpResponse, ApiError> {
    let poll = poll_id(&id)?;
    let p: PollState = query(&state, &VoteQuery::Poll(poll))?;
    let bytes = body.to_vec();
    // Every point is checked once, here; the booth reloads the key by its digest.
    let vk = p.spec.verifying_key.clone();
    let (bytes, digest) = web::block(move || {
        vote::load_proving_key(&bytes, Some(&vk)).map(|(_, digest)| (bytes, digest))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(booth_refusal)?;
    let path = proving_key_path(&state, &poll);
    web::block(move || -> std::io::Result<()> {
        let dir = path.parent().expect("a file in a directory");
        std::fs::create_dir_all(dir)?;
        write_durably(&path.with_extension("digest"), digest.to_hex().as_bytes())?;
        write_durably(&path, &bytes)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(actix_web::HttpResponse::NoContent().finish())
}

/// Votes through this node's booth: builds the ballot from the caller's membership secret
/// (derived from custodied key `key_id`) and submits it from a fresh one-time account. Roles:
/// holder, admin. This node sees the choice; see the module docs' trust model.
#[utoipa::path(post, path = "/api/v1/polls/{id}/booth", tag = "polls", security(("bearer" = [])),
    params(("id" = String, Path, description = "Poll id (64 hex digits)")),
    request_body = BoothVote,
    responses(
        (status = 200, description = "Counted", body = crate::schema::TxOutcome),
        (status = 400, description = "Malformed request, choice out of range or breaking the rule, secret not registered", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role may not vote here", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such poll or key, or no proving key installed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused by the chain (typed `reason`)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn booth(
    state: web::Data<ApiState>,
    principal: Principal,
    id: web::Path<String>,
    body: ApiJson<BoothVote>,
) -> Result<web::Json<TxOutcome>, ApiError> {
    principal.require_any(&[Role::Holder, Role::Admin])?;
    let poll = poll_id(&id)?;
    let body = body.0;
    validate_id("key_id", &body.key_id)?;
    let key = state.principal_key(&principal, &body.key_id).await?;
    let secret = booth_secret(&key)?;
    drop(key);
    let p: PollState = query(&state, &VoteQuery::Poll(poll))?;
    let leaves: Vec<[u8; 32]> = query(
        &state,
        &VoteQuery::Leaves {
            poll,
            class: body.class,
        },
    )?;
    let path = proving_key_path(&state, &poll);
    if !path.exists() {
        return Err(ApiError::NotFound(format!(
            "no proving key for poll {poll} on this node: install it with PUT /api/v1/polls/{poll}/proving-key"
        )));
    }
    let ballot = web::block(move || -> Result<Ballot, ApiError> {
        let bytes = std::fs::read(&path).map_err(ApiError::internal)?;
        let digest = std::fs::read_to_string(path.with_extension("digest"))
            .ok()
            .and_then(|hex| ProvingKeyDigest::from_hex(hex.trim()).ok());
        // A key installed by this node was checked on upload: reload it by its digest.
        // A crash between writing the digest and the key leaves them apart: then the full
        // check decides, as for a key installed before digests were kept.
        let pk = match digest.map(|d| vote::load_by_digest(&bytes, &d)) {
            Some(Ok(pk)) => pk,
            _ => vote::load_proving_key(&bytes, Some(&p.spec.verifying_key))
                .map(|(k, _)| k)
                .map_err(booth_refusal)?,
        };
        let tree = vote::EligibilityTree::from_leaves(p.spec.tree_depth, &leaves)
            .map_err(booth_refusal)?;
        vote::build_ballot(&p, &tree, &secret, body.class, &body.choices, &pk)
            .map_err(booth_refusal)
    })
    .await
    .map_err(ApiError::internal)??;
    let one_time = Keypair::generate();
    let outcome = state
        .chain
        .sign_submit_and_wait(&one_time, vote::call(&VoteCall::Cast(ballot)))
        .await?;
    Ok(web::Json(outcome.refused_is_rejected()?))
}

/// A booth refusal as a problem: the caller's input (choices, class, key) is a 400, a key
/// that does not belong to the poll a 400, a poll not ready a 409; the rest is internal.
fn booth_refusal(e: vote::BoothError) -> ApiError {
    use vote::BoothError as B;
    match e {
        B::ChoiceOutOfRange { .. }
        | B::NotRegistered { .. }
        | B::Ballot(_)
        | B::Key(_)
        | B::KeyMismatch
        | B::UnsupportedDepth { .. } => ApiError::InvalidRequest(e.to_string()),
        B::NotReady => ApiError::Conflict(e.to_string()),
        B::Setup(_) | B::Record(_) | B::Tree(_) => ApiError::internal(e),
    }
}

/// Writes `bytes` to `path` through a synced temporary file and a rename.
fn write_durably(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, path)
}
