//! Governance of the consortium over REST: read the committee, validator set and proposals
//! (public: all of it is on chain), propose and vote as this organisation (the operator
//! tenant's admin; the operator account signs). Logic: [`weft_service::governance`].

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use weft_chain::governance::{Action, Proposal, ProposalStatus};
use weft_chain::{Address, GenesisValidator, PublicKey};
use weft_service::governance as service;

use super::ApiState;
use crate::auth::Principal;
use crate::problem::{ApiError, ApiJson, Problem};
use weft_service::chain_client::TxOutcome;

/// A validator.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidatorEntry {
    /// Name.
    pub name: String,
    /// Node public key (hex).
    pub public_key: String,
    /// Voting power.
    pub power: u64,
}

/// A proposal and its votes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalView {
    /// Sequential id.
    pub id: u64,
    /// Proposing account.
    pub proposer: String,
    /// What it does: `kind` plus the action's fields.
    #[schema(value_type = Object)]
    pub action: serde_json::Value,
    /// `open`, `passed`, `rejected` or `failed`.
    pub status: String,
    /// The committee when it was proposed.
    pub electorate: Vec<String>,
    /// Members who approved.
    pub approvals: Vec<String>,
    /// Members who rejected.
    pub rejections: Vec<String>,
    /// Approvals needed to pass (a strict majority of the electorate).
    pub needed: usize,
    /// Height it was proposed at.
    pub created_height: u64,
}

/// The consortium's governance.
#[derive(Debug, Serialize, ToSchema)]
pub struct GovernanceView {
    /// Committee members' accounts.
    pub committee: Vec<String>,
    /// The validator set.
    pub validators: Vec<ValidatorEntry>,
    /// Newest proposals first.
    pub proposals: Vec<ProposalView>,
    /// Proposals ever made.
    pub proposal_count: u64,
}

fn action_json(action: &Action) -> serde_json::Value {
    use serde_json::json;
    match action {
        Action::AddMember(a) => json!({"kind": "add_member", "address": a.to_string()}),
        Action::RemoveMember(a) => json!({"kind": "remove_member", "address": a.to_string()}),
        Action::Grant {
            account,
            permission,
        } => json!({"kind": "grant", "account": account.to_string(), "permission": permission}),
        Action::Revoke {
            account,
            permission,
        } => json!({"kind": "revoke", "account": account.to_string(), "permission": permission}),
        Action::SetConfig { key, value } => {
            json!({"kind": "set_config", "key": key, "value": value})
        }
        Action::SetValidators(set) => json!({
            "kind": "set_validators",
            "validators": set.iter().map(|v| json!({
                "name": v.name, "public_key": v.public_key.to_string(), "power": v.power,
            })).collect::<Vec<_>>(),
        }),
    }
}

fn proposal_view(p: &Proposal) -> ProposalView {
    let strings = |v: &[Address]| v.iter().map(ToString::to_string).collect();
    ProposalView {
        id: p.id,
        proposer: p.proposer.to_string(),
        action: action_json(&p.action),
        status: match p.status {
            ProposalStatus::Open => "open",
            ProposalStatus::Passed => "passed",
            ProposalStatus::Rejected => "rejected",
            ProposalStatus::Failed => "failed",
        }
        .into(),
        electorate: strings(&p.electorate),
        approvals: strings(&p.approvals),
        rejections: strings(&p.rejections),
        needed: p.electorate.len() / 2 + 1,
        created_height: p.created_height,
    }
}

/// `GET /api/v1/governance` query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OverviewQuery {
    /// Most proposals to list (newest first; at most 100, default 20).
    pub limit: Option<usize>,
}

/// Committee, validator set and the newest proposals.
#[utoipa::path(get, path = "/api/v1/governance", tag = "governance", params(OverviewQuery),
    responses((status = 200, body = GovernanceView)))]
pub async fn overview(
    state: web::Data<ApiState>,
    query: web::Query<OverviewQuery>,
) -> Result<web::Json<GovernanceView>, ApiError> {
    let o = service::overview(&state, query.limit.unwrap_or(20))?;
    Ok(web::Json(GovernanceView {
        committee: o.committee.iter().map(ToString::to_string).collect(),
        validators: o
            .validators
            .into_iter()
            .map(|v| ValidatorEntry {
                name: v.name,
                public_key: v.public_key.to_string(),
                power: v.power,
            })
            .collect(),
        proposals: o.proposals.iter().map(proposal_view).collect(),
        proposal_count: o.proposal_count,
    }))
}

/// One proposal.
#[utoipa::path(get, path = "/api/v1/governance/proposals/{id}", tag = "governance",
    params(("id" = u64, Path, description = "Proposal id")),
    responses((status = 200, body = ProposalView),
        (status = 404, description = "No such proposal", body = Problem, content_type = "application/problem+json")))]
pub async fn get_proposal(
    state: web::Data<ApiState>,
    id: web::Path<u64>,
) -> Result<web::Json<ProposalView>, ApiError> {
    let p = service::proposal(&state, *id)?
        .ok_or_else(|| ApiError::NotFound(format!("no proposal {id}")))?;
    Ok(web::Json(proposal_view(&p)))
}

/// A chain configuration value.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigEntry {
    /// The key.
    pub key: String,
    /// Its value (`null` if never set).
    pub value: Option<String>,
}

/// A chain configuration value (set by passed `set_config` proposals).
#[utoipa::path(get, path = "/api/v1/governance/config/{key}", tag = "governance",
    params(("key" = String, Path, description = "Configuration key (1..=64 bytes)")),
    responses((status = 200, body = ConfigEntry),
        (status = 400, description = "Bad key", body = Problem, content_type = "application/problem+json")))]
pub async fn get_config(
    state: web::Data<ApiState>,
    key: web::Path<String>,
) -> Result<web::Json<ConfigEntry>, ApiError> {
    let value = service::config(&state, &key)?;
    Ok(web::Json(ConfigEntry {
        key: key.into_inner(),
        value,
    }))
}

/// `POST /api/v1/governance/proposals`: what to propose.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProposeRequest {
    /// Add a committee member.
    AddMember {
        /// The account.
        #[schema(value_type = String)]
        address: Address,
    },
    /// Remove a committee member.
    RemoveMember {
        /// The account.
        #[schema(value_type = String)]
        address: Address,
    },
    /// Grant a permission (e.g. `did.authority-issuer`).
    Grant {
        /// The account.
        #[schema(value_type = String)]
        account: Address,
        /// Permission name.
        permission: String,
    },
    /// Revoke a permission.
    Revoke {
        /// The account.
        #[schema(value_type = String)]
        account: Address,
        /// Permission name.
        permission: String,
    },
    /// Set a chain configuration value.
    SetConfig {
        /// Key.
        key: String,
        /// Value.
        value: String,
    },
    /// Add a validator to the current set.
    AddValidator {
        /// The node's public key (hex).
        #[schema(value_type = String)]
        public_key: PublicKey,
        /// Its name.
        name: String,
        /// Voting power (default 1).
        #[serde(default)]
        power: Option<u64>,
    },
    /// Remove a validator from the current set.
    RemoveValidator {
        /// The node's public key (hex).
        #[schema(value_type = String)]
        public_key: PublicKey,
    },
}

impl ProposeRequest {
    fn into_action(self, state: &ApiState) -> Result<Action, ApiError> {
        let current = || -> Result<Vec<GenesisValidator>, ApiError> {
            Ok(service::overview(state, 0)?.validators)
        };
        Ok(match self {
            ProposeRequest::AddMember { address } => Action::AddMember(address),
            ProposeRequest::RemoveMember { address } => Action::RemoveMember(address),
            ProposeRequest::Grant {
                account,
                permission,
            } => Action::Grant {
                account,
                permission,
            },
            ProposeRequest::Revoke {
                account,
                permission,
            } => Action::Revoke {
                account,
                permission,
            },
            ProposeRequest::SetConfig { key, value } => Action::SetConfig { key, value },
            ProposeRequest::AddValidator {
                public_key,
                name,
                power,
            } => {
                let mut set = current()?;
                if set.iter().any(|v| v.public_key == public_key) {
                    return Err(ApiError::Conflict(format!(
                        "{public_key} is already a validator"
                    )));
                }
                set.push(GenesisValidator {
                    name,
                    public_key,
                    power: power.unwrap_or(1),
                });
                Action::SetValidators(set)
            }
            ProposeRequest::RemoveValidator { public_key } => {
                let set = current()?;
                let before = set.len();
                let set: Vec<_> = set
                    .into_iter()
                    .filter(|v| v.public_key != public_key)
                    .collect();
                if set.len() == before {
                    return Err(ApiError::NotFound(format!(
                        "{public_key} is not a validator"
                    )));
                }
                Action::SetValidators(set)
            }
        })
    }
}

/// A governance transaction's outcome and the proposal after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct GovernanceReceipt {
    /// The committed transaction.
    #[schema(value_type = crate::schema::TxOutcome)]
    pub tx: TxOutcome,
    /// The proposal.
    pub proposal: Option<ProposalView>,
}

/// Proposes a decision as this organisation (its operator account must be a committee member).
#[utoipa::path(post, path = "/api/v1/governance/proposals", tag = "governance", security(("bearer" = [])),
    request_body = ProposeRequest,
    responses((status = 200, body = GovernanceReceipt),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the operator tenant's admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already a validator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The chain refused (e.g. not a committee member)", body = Problem, content_type = "application/problem+json")))]
pub async fn propose(
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<ProposeRequest>,
) -> Result<web::Json<GovernanceReceipt>, ApiError> {
    service::require_operator_admin(&principal)?;
    let action = body.0.into_action(&state)?;
    let (tx, proposal) = service::propose(&state, action).await?;
    tracing::info!(tx = %tx.tx_hash, "governance proposal");
    Ok(web::Json(GovernanceReceipt {
        tx,
        proposal: proposal.as_ref().map(proposal_view),
    }))
}

/// `POST /api/v1/governance/proposals/{id}/votes`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    /// Approve (true) or reject (false).
    pub approve: bool,
}

/// Votes on a proposal as this organisation.
#[utoipa::path(post, path = "/api/v1/governance/proposals/{id}/votes", tag = "governance", security(("bearer" = [])),
    params(("id" = u64, Path, description = "Proposal id")),
    request_body = VoteRequest,
    responses((status = 200, body = GovernanceReceipt),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the operator tenant's admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such proposal", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The chain refused (closed, not in the electorate)", body = Problem, content_type = "application/problem+json")))]
pub async fn vote(
    state: web::Data<ApiState>,
    principal: Principal,
    id: web::Path<u64>,
    body: ApiJson<VoteRequest>,
) -> Result<web::Json<GovernanceReceipt>, ApiError> {
    service::require_operator_admin(&principal)?;
    let (tx, proposal) = service::vote(&state, *id, body.0.approve).await?;
    Ok(web::Json(GovernanceReceipt {
        tx,
        proposal: Some(proposal_view(&proposal)),
    }))
}

/// This part's OpenAPI paths, merged into [`super::openapi`].
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(overview, get_proposal, get_config, propose, vote),
    components(schemas(GovernanceView, ValidatorEntry, ProposalView, ProposeRequest, VoteRequest, GovernanceReceipt, ConfigEntry)),
    tags((name = "governance", description = "The consortium's committee, validators and proposals"))
)]
pub struct Doc;

/// Routes under `/api/v1`.
pub fn configure_v1(cfg: &mut web::ServiceConfig) {
    cfg.service(super::resource("/governance").route(web::get().to(overview)))
        .service(super::resource("/governance/proposals").route(web::post().to(propose)))
        .service(super::resource("/governance/proposals/{id}").route(web::get().to(get_proposal)))
        .service(super::resource("/governance/config/{key}").route(web::get().to(get_config)))
        .service(super::resource("/governance/proposals/{id}/votes").route(web::post().to(vote)));
}
