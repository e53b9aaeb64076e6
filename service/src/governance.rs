//! The organisation's voice in the consortium's governance: read the committee, the validator
//! set and the proposals; propose and vote with the organisation's operator account.
//!
//! **Authorisation:** only an admin of the operator tenant speaks for the organisation
//! ([`require_operator_admin`]); the chain then decides whether the operator account is a
//! committee member (`governance` module: proposers and voters must be members of the
//! electorate and of the current committee).

use weft_chain::governance::{self, Action, GovernanceCall, GovernanceQuery, Proposal};
use weft_chain::{Address, GenesisValidator};

use crate::auth::{Principal, Role, OPERATOR_TENANT};
use crate::chain_client::TxOutcome;
use crate::error::ServiceError;
use crate::Context;

/// Most proposals [`overview`] returns.
pub const MAX_LISTED: usize = 100;

/// The consortium's governance as this node sees it at its head.
#[derive(Debug, Clone)]
pub struct Overview {
    /// Committee members (accounts).
    pub committee: Vec<Address>,
    /// The validator set.
    pub validators: Vec<GenesisValidator>,
    /// The newest proposals, newest first (at most the requested number).
    pub proposals: Vec<Proposal>,
    /// Number of proposals ever made.
    pub proposal_count: u64,
}

/// Refuses anyone but an admin of the operator tenant.
pub fn require_operator_admin(principal: &Principal) -> Result<(), ServiceError> {
    principal.require_any(&[Role::Admin])?;
    if principal.tenant != OPERATOR_TENANT {
        return Err(ServiceError::Forbidden(
            "only the operator tenant's admin speaks for the organisation in governance".into(),
        ));
    }
    Ok(())
}

fn query<T: borsh::BorshDeserialize>(
    ctx: &Context,
    q: &GovernanceQuery,
) -> Result<T, ServiceError> {
    let (method, args) = governance::query_args(q);
    let bytes = ctx
        .node
        .call(governance::NAME, method, &args, None)
        .map_err(ServiceError::internal)?;
    borsh::from_slice(&bytes).map_err(ServiceError::internal)
}

/// Proposal `id`, if it exists.
pub fn proposal(ctx: &Context, id: u64) -> Result<Option<Proposal>, ServiceError> {
    query(ctx, &GovernanceQuery::Proposal { id })
}

/// The chain configuration value `key`, if set (by a passed `SetConfig` proposal).
pub fn config(ctx: &Context, key: &str) -> Result<Option<String>, ServiceError> {
    if key.is_empty() || key.len() > 64 {
        return Err(ServiceError::InvalidRequest(
            "a configuration key is 1..=64 bytes".into(),
        ));
    }
    query(
        ctx,
        &GovernanceQuery::Config {
            key: key.to_string(),
        },
    )
}

/// Number of proposals ever made. Ids are sequential from 0 and never deleted, so the count is
/// found by galloping then bisecting on existence: O(log n) queries.
pub fn proposal_count(ctx: &Context) -> Result<u64, ServiceError> {
    if proposal(ctx, 0)?.is_none() {
        return Ok(0);
    }
    // Invariant: id `lo` exists; id `hi` does not.
    let mut lo = 0u64;
    let mut hi = 1u64;
    while proposal(ctx, hi)?.is_some() {
        lo = hi;
        hi = hi.saturating_mul(2);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if proposal(ctx, mid)?.is_some() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(hi)
}

/// Committee, validators and the newest `limit` proposals (capped at [`MAX_LISTED`]).
pub fn overview(ctx: &Context, limit: usize) -> Result<Overview, ServiceError> {
    let committee = query(ctx, &GovernanceQuery::Committee)?;
    let validators = ctx
        .node
        .validators(None)
        .map_err(ServiceError::internal)?
        .into_iter()
        .map(|v| GenesisValidator {
            name: v.name,
            public_key: v.public_key,
            power: v.power,
        })
        .collect();
    let count = proposal_count(ctx)?;
    let mut proposals = Vec::new();
    for id in (0..count).rev().take(limit.min(MAX_LISTED)) {
        if let Some(p) = proposal(ctx, id)? {
            proposals.push(p);
        }
    }
    Ok(Overview {
        committee,
        validators,
        proposals,
        proposal_count: count,
    })
}

/// Proposes `action` with the organisation's operator account; returns the receipt and the new
/// proposal (its id from the receipt's `proposal` event).
pub async fn propose(
    ctx: &Context,
    action: Action,
) -> Result<(TxOutcome, Option<Proposal>), ServiceError> {
    let key = crate::org::operator_key(ctx).await?;
    let outcome = ctx
        .chain
        .sign_submit_and_wait(&key, governance::call(GovernanceCall::Propose { action }))
        .await?
        .refused_is_rejected()?;
    let id = proposal_id_of(ctx, &outcome)?;
    let proposal = match id {
        Some(id) => proposal(ctx, id)?,
        None => None,
    };
    Ok((outcome, proposal))
}

/// Votes on proposal `id` with the organisation's operator account; returns the receipt and the
/// proposal after the vote.
pub async fn vote(
    ctx: &Context,
    id: u64,
    approve: bool,
) -> Result<(TxOutcome, Proposal), ServiceError> {
    if proposal(ctx, id)?.is_none() {
        return Err(ServiceError::NotFound(format!("no proposal {id}")));
    }
    let key = crate::org::operator_key(ctx).await?;
    let outcome = ctx
        .chain
        .sign_submit_and_wait(
            &key,
            governance::call(GovernanceCall::Vote {
                proposal_id: id,
                approve,
            }),
        )
        .await?
        .refused_is_rejected()?;
    let after = proposal(ctx, id)?.ok_or_else(|| ServiceError::internal("proposal vanished"))?;
    Ok((outcome, after))
}

/// The proposal id a committed `propose` emitted.
fn proposal_id_of(ctx: &Context, outcome: &TxOutcome) -> Result<Option<u64>, ServiceError> {
    let hash = outcome.tx_hash.parse().map_err(ServiceError::internal)?;
    let Some(receipt) = ctx.node.receipt(&hash).map_err(ServiceError::internal)? else {
        return Ok(None);
    };
    Ok(receipt
        .events
        .iter()
        .filter(|e| e.module == governance::NAME && e.kind == "proposal")
        .flat_map(|e| e.attributes.iter())
        .find(|(k, _)| k == "id")
        .and_then(|(_, v)| v.parse().ok()))
}
