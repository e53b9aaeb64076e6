//! The governance module: committee, proposals and votes, permission grants, chain configuration.
//!
//! Calls are `Call { module: "governance", method: <variant name>, args: borsh(GovernanceCall) }`
//! (build them with [`call`]); queries likewise with [`GovernanceQuery`] (see [`query_args`]).
//!
//! Rules:
//! - Only committee members propose and vote. A proposal passes once a strict majority of the
//!   committee *as it was at proposal time* approves; the proposer's own vote counts, so with a
//!   one-member committee a proposal passes at once. It is rejected once a majority is impossible.
//!   Only members of both that electorate and the current committee may vote: a member removed
//!   while a proposal is open loses its vote on it (its earlier vote still counts).
//! - Votes are idempotent (voting the same way twice changes nothing); a member may change its
//!   vote while the proposal is open.
//! - `SetConfig` as a call is shorthand for proposing `Action::SetConfig`.
//! - The committee is never left empty.
//! - Other modules check grants with [`crate::TxContext::has_permission`].

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::Address;
use crate::genesis::{Genesis, GenesisValidator};
use crate::module::{Module, ModuleError, ReadContext, TxContext};
use crate::tx::Call;

/// Module name and state namespace.
pub const NAME: &str = "governance";

/// Well-known permission names checked by other modules.
pub mod permissions {
    /// May be recognised as an authority issuer of credentials (DID module).
    pub const AUTHORITY_ISSUER: &str = "did.authority-issuer";
    /// May register system claim protocol types (DID module).
    pub const CPT_ADMIN: &str = "did.cpt-admin";
    /// May anchor evidence batches.
    pub const EVIDENCE_WRITER: &str = "evidence.writer";
}

const MAX_NAME_LEN: usize = 64;
const MAX_VALUE_LEN: usize = 4096;

/// A governance transaction.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub enum GovernanceCall {
    /// Does nothing (benchmarks, liveness probes). Anyone may send it.
    Noop,
    /// Propose setting a configuration value (passes at once with a one-member committee).
    SetConfig {
        /// Configuration key.
        key: String,
        /// New value.
        value: String,
    },
    /// Propose an action; the proposer's approval is recorded.
    Propose {
        /// What to do if the proposal passes.
        action: Action,
    },
    /// Vote on an open proposal.
    Vote {
        /// Proposal id.
        proposal_id: u64,
        /// Approve or reject.
        approve: bool,
    },
}

impl GovernanceCall {
    /// The method name used in [`Call::method`].
    pub fn method(&self) -> &'static str {
        match self {
            GovernanceCall::Noop => "noop",
            GovernanceCall::SetConfig { .. } => "set_config",
            GovernanceCall::Propose { .. } => "propose",
            GovernanceCall::Vote { .. } => "vote",
        }
    }
}

/// Builds the [`Call`] for a governance transaction.
pub fn call(c: GovernanceCall) -> Call {
    Call {
        module: NAME.to_string(),
        method: c.method().to_string(),
        args: borsh::to_vec(&c).expect("write to Vec"),
    }
}

/// A committee decision.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub enum Action {
    /// Add a committee member.
    AddMember(Address),
    /// Remove a committee member (never the last one).
    RemoveMember(Address),
    /// Grant a permission to an account.
    Grant {
        /// The account.
        account: Address,
        /// Permission name.
        permission: String,
    },
    /// Revoke a permission.
    Revoke {
        /// The account.
        account: Address,
        /// Permission name.
        permission: String,
    },
    /// Set a chain configuration value.
    SetConfig {
        /// Configuration key.
        key: String,
        /// New value.
        value: String,
    },
    /// Replace the validator set. Takes effect for the block *after* the one that executes the
    /// decision: if block `h` passes it, the state at `h` holds the new set, which commits
    /// block `h + 1` (the set committing a block is always the one in its parent's state).
    SetValidators(Vec<GenesisValidator>),
}

/// Most validators in a set.
pub const MAX_VALIDATORS: usize = 100;

/// Governance-namespace key where a passed [`Action::SetValidators`] leaves the new set; the
/// executor moves a set written here during a block into the validator-set state at the end
/// of that block.
pub const NEXT_VALIDATORS_KEY: &[u8] = b"next_validators";

/// Lifecycle of a proposal.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub enum ProposalStatus {
    /// Collecting votes.
    Open,
    /// Passed and executed.
    Passed,
    /// A majority can no longer be reached.
    Rejected,
    /// It reached a majority but its action no longer applies (for example the member was
    /// already added by another proposal); nothing was changed.
    Failed,
}

/// A proposal and its votes.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Proposal {
    /// Sequential id, from 0.
    pub id: u64,
    /// Who proposed it.
    pub proposer: Address,
    /// What it does.
    pub action: Action,
    /// Committee at proposal time (the electorate).
    pub electorate: Vec<Address>,
    /// Members who approved.
    pub approvals: Vec<Address>,
    /// Members who rejected.
    pub rejections: Vec<Address>,
    /// Status.
    pub status: ProposalStatus,
    /// Height at which it was created.
    pub created_height: u64,
}

/// A governance query; the method name is [`GovernanceQuery::method`], args its borsh.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub enum GovernanceQuery {
    /// Returns borsh `Vec<Address>`.
    Committee,
    /// Returns borsh `Option<Proposal>`.
    Proposal {
        /// Proposal id.
        id: u64,
    },
    /// Returns borsh `Option<String>`.
    Config {
        /// Configuration key.
        key: String,
    },
    /// Returns borsh `bool`.
    HasPermission {
        /// The account.
        account: Address,
        /// Permission name.
        permission: String,
    },
}

impl GovernanceQuery {
    /// The method name used with `Node::call`.
    pub fn method(&self) -> &'static str {
        match self {
            GovernanceQuery::Committee => "committee",
            GovernanceQuery::Proposal { .. } => "proposal",
            GovernanceQuery::Config { .. } => "config",
            GovernanceQuery::HasPermission { .. } => "has_permission",
        }
    }
}

/// `(method, args)` for a query.
pub fn query_args(q: &GovernanceQuery) -> (&'static str, Vec<u8>) {
    (q.method(), borsh::to_vec(q).expect("write to Vec"))
}

const COMMITTEE_KEY: &[u8] = b"committee";
const NEXT_PROPOSAL_KEY: &[u8] = b"next_proposal";

/// State key of a permission grant (within the governance namespace).
pub fn permission_key(account: &Address, permission: &str) -> Vec<u8> {
    let mut k = b"perm/".to_vec();
    k.extend_from_slice(&account.0);
    k.push(b'/');
    k.extend_from_slice(permission.as_bytes());
    k
}

/// State key of a configuration value (within the governance namespace).
pub fn config_key(key: &str) -> Vec<u8> {
    let mut k = b"config/".to_vec();
    k.extend_from_slice(key.as_bytes());
    k
}

fn proposal_key(id: u64) -> Vec<u8> {
    let mut k = b"proposal/".to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

fn decode<T: BorshDeserialize>(bytes: &[u8]) -> Result<T, ModuleError> {
    borsh::from_slice(bytes).map_err(|e| ModuleError::InvalidArgs(e.to_string()))
}

fn stored<T: BorshDeserialize>(bytes: &[u8]) -> Result<T, ModuleError> {
    borsh::from_slice(bytes)
        .map_err(|e| ModuleError::Storage(format!("corrupt governance state: {e}")))
}

fn check_name(what: &str, s: &str) -> Result<(), ModuleError> {
    if s.is_empty() || s.len() > MAX_NAME_LEN {
        return Err(ModuleError::InvalidArgs(format!(
            "{what} must be 1..={MAX_NAME_LEN} bytes"
        )));
    }
    Ok(())
}

/// A validator set must be non-empty, at most [`MAX_VALIDATORS`], with positive powers,
/// valid and distinct keys and short names.
fn validate_validator_set(set: &[GenesisValidator]) -> Result<(), ModuleError> {
    if set.is_empty() || set.len() > MAX_VALIDATORS {
        return Err(ModuleError::InvalidArgs(format!(
            "a validator set has 1..={MAX_VALIDATORS} members"
        )));
    }
    let mut keys = std::collections::BTreeSet::new();
    for v in set {
        check_name("validator name", &v.name)?;
        if v.power == 0 {
            return Err(ModuleError::InvalidArgs(
                "validator power must be positive".into(),
            ));
        }
        if v.public_key.to_verifying_key().is_none() {
            return Err(ModuleError::InvalidArgs(format!(
                "{} is not a valid Ed25519 key",
                v.public_key
            )));
        }
        if !keys.insert(v.public_key) {
            return Err(ModuleError::InvalidArgs(format!(
                "duplicate validator key {}",
                v.public_key
            )));
        }
    }
    Ok(())
}

/// The governance module.
#[derive(Debug, Clone, Copy, Default)]
pub struct Governance;

impl Governance {
    fn committee(
        get: impl Fn(&[u8]) -> Result<Option<Vec<u8>>, ModuleError>,
    ) -> Result<Vec<Address>, ModuleError> {
        match get(COMMITTEE_KEY)? {
            Some(b) => stored(&b),
            None => Ok(Vec::new()),
        }
    }

    fn validate_action(
        ctx: &TxContext<'_>,
        committee: &[Address],
        action: &Action,
    ) -> Result<(), ModuleError> {
        match action {
            Action::AddMember(a) => {
                if committee.contains(a) {
                    return Err(ModuleError::Rejected(format!(
                        "{a} is already a committee member"
                    )));
                }
            }
            Action::RemoveMember(a) => {
                if !committee.contains(a) {
                    return Err(ModuleError::NotFound(format!(
                        "{a} is not a committee member"
                    )));
                }
                if committee.len() == 1 {
                    return Err(ModuleError::Rejected(
                        "the committee must not become empty".into(),
                    ));
                }
            }
            Action::Grant { permission, .. } => check_name("permission", permission)?,
            Action::Revoke {
                account,
                permission,
            } => {
                check_name("permission", permission)?;
                if !ctx.has_permission(account, permission)? {
                    return Err(ModuleError::NotFound(format!(
                        "{account} lacks {permission:?}"
                    )));
                }
            }
            Action::SetConfig { key, value } => {
                check_name("config key", key)?;
                if value.len() > MAX_VALUE_LEN {
                    return Err(ModuleError::InvalidArgs(format!(
                        "config value longer than {MAX_VALUE_LEN} bytes"
                    )));
                }
            }
            Action::SetValidators(set) => validate_validator_set(set)?,
        }
        Ok(())
    }

    fn apply(ctx: &mut TxContext<'_>, action: &Action) -> Result<(), ModuleError> {
        let mut committee = Self::committee(|k| ctx.get(k))?;
        Self::validate_action(ctx, &committee, action)?;
        match action {
            Action::AddMember(a) => {
                committee.push(*a);
                committee.sort();
                ctx.set(
                    COMMITTEE_KEY,
                    borsh::to_vec(&committee).expect("write to Vec"),
                );
                ctx.emit("member_added", vec![("account".into(), a.to_string())]);
            }
            Action::RemoveMember(a) => {
                committee.retain(|m| m != a);
                ctx.set(
                    COMMITTEE_KEY,
                    borsh::to_vec(&committee).expect("write to Vec"),
                );
                ctx.emit("member_removed", vec![("account".into(), a.to_string())]);
            }
            Action::Grant {
                account,
                permission,
            } => {
                ctx.set(&permission_key(account, permission), vec![1]);
                ctx.emit(
                    "permission_granted",
                    vec![
                        ("account".into(), account.to_string()),
                        ("permission".into(), permission.clone()),
                    ],
                );
            }
            Action::Revoke {
                account,
                permission,
            } => {
                ctx.delete(&permission_key(account, permission));
                ctx.emit(
                    "permission_revoked",
                    vec![
                        ("account".into(), account.to_string()),
                        ("permission".into(), permission.clone()),
                    ],
                );
            }
            Action::SetValidators(set) => {
                ctx.set(
                    NEXT_VALIDATORS_KEY,
                    borsh::to_vec(set).expect("write to Vec"),
                );
                ctx.emit(
                    "validators_scheduled",
                    vec![
                        ("effective_height".into(), (ctx.height() + 1).to_string()),
                        ("count".into(), set.len().to_string()),
                    ],
                );
            }
            Action::SetConfig { key, value } => {
                ctx.set(&config_key(key), value.as_bytes().to_vec());
                ctx.emit(
                    "config_set",
                    vec![("key".into(), key.clone()), ("value".into(), value.clone())],
                );
            }
        }
        Ok(())
    }

    /// Records `proposal` after a vote; executes the action if it now has a majority.
    fn settle(ctx: &mut TxContext<'_>, mut proposal: Proposal) -> Result<(), ModuleError> {
        let n = proposal.electorate.len();
        let mut attributes = vec![("id".to_string(), proposal.id.to_string())];
        if proposal.approvals.len() * 2 > n {
            // `apply` validates before writing, so an error leaves no partial writes.
            match Self::apply(ctx, &proposal.action) {
                Ok(()) => proposal.status = ProposalStatus::Passed,
                Err(ModuleError::Storage(e)) => return Err(ModuleError::Storage(e)),
                Err(e) => {
                    proposal.status = ProposalStatus::Failed;
                    attributes.push(("reason".into(), e.to_string()));
                }
            }
        } else if proposal.rejections.len() * 2 >= n {
            proposal.status = ProposalStatus::Rejected;
        }
        let status = match proposal.status {
            ProposalStatus::Open => "open",
            ProposalStatus::Passed => "passed",
            ProposalStatus::Rejected => "rejected",
            ProposalStatus::Failed => "failed",
        };
        attributes.push(("status".into(), status.into()));
        ctx.emit("proposal", attributes);
        ctx.set(
            &proposal_key(proposal.id),
            borsh::to_vec(&proposal).expect("write to Vec"),
        );
        Ok(())
    }

    fn propose(ctx: &mut TxContext<'_>, action: Action) -> Result<(), ModuleError> {
        let signer = ctx.signer();
        let committee = Self::committee(|k| ctx.get(k))?;
        if !committee.contains(&signer) {
            return Err(ModuleError::Unauthorized(format!(
                "{signer} is not a committee member"
            )));
        }
        Self::validate_action(ctx, &committee, &action)?;
        let id = match ctx.get(NEXT_PROPOSAL_KEY)? {
            Some(b) => stored::<u64>(&b)?,
            None => 0,
        };
        ctx.set(
            NEXT_PROPOSAL_KEY,
            borsh::to_vec(&(id + 1)).expect("write to Vec"),
        );
        let proposal = Proposal {
            id,
            proposer: signer,
            action,
            electorate: committee,
            approvals: vec![signer],
            rejections: Vec::new(),
            status: ProposalStatus::Open,
            created_height: ctx.height(),
        };
        Self::settle(ctx, proposal)
    }

    fn vote(ctx: &mut TxContext<'_>, id: u64, approve: bool) -> Result<(), ModuleError> {
        let signer = ctx.signer();
        let mut proposal: Proposal = match ctx.get(&proposal_key(id))? {
            Some(b) => stored(&b)?,
            None => return Err(ModuleError::NotFound(format!("proposal {id}"))),
        };
        // The electorate is fixed at proposal time, but a member removed since then has lost
        // its vote: otherwise a removed (say, compromised) member could still pass proposals.
        if !proposal.electorate.contains(&signer)
            || !Self::committee(|k| ctx.get(k))?.contains(&signer)
        {
            return Err(ModuleError::Unauthorized(format!(
                "{signer} may not vote on proposal {id}"
            )));
        }
        if proposal.status != ProposalStatus::Open {
            return Err(ModuleError::Rejected(format!("proposal {id} is closed")));
        }
        let (add, remove) = if approve {
            (&mut proposal.approvals, &mut proposal.rejections)
        } else {
            (&mut proposal.rejections, &mut proposal.approvals)
        };
        if add.contains(&signer) {
            return Ok(()); // idempotent
        }
        remove.retain(|a| *a != signer);
        add.push(signer);
        Self::settle(ctx, proposal)
    }
}

impl Module for Governance {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init_genesis(&self, ctx: &mut TxContext<'_>, genesis: &Genesis) -> Result<(), ModuleError> {
        let mut committee = genesis.committee.clone();
        committee.sort();
        committee.dedup();
        if committee.is_empty() {
            return Err(ModuleError::InvalidArgs("empty committee".into()));
        }
        ctx.set(
            COMMITTEE_KEY,
            borsh::to_vec(&committee).expect("write to Vec"),
        );
        for (k, v) in &genesis.config {
            check_name("config key", k)?;
            ctx.set(&config_key(k), v.as_bytes().to_vec());
        }
        Ok(())
    }

    fn execute(
        &self,
        ctx: &mut TxContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<(), ModuleError> {
        let c: GovernanceCall = decode(args)?;
        if c.method() != method {
            return Err(ModuleError::InvalidArgs(format!(
                "method {method:?} does not match arguments ({})",
                c.method()
            )));
        }
        match c {
            GovernanceCall::Noop => Ok(()),
            GovernanceCall::SetConfig { key, value } => {
                Self::propose(ctx, Action::SetConfig { key, value })
            }
            GovernanceCall::Propose { action } => Self::propose(ctx, action),
            GovernanceCall::Vote {
                proposal_id,
                approve,
            } => Self::vote(ctx, proposal_id, approve),
        }
    }

    fn query(
        &self,
        ctx: &ReadContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<Vec<u8>, ModuleError> {
        let q: GovernanceQuery = decode(args)?;
        if q.method() != method {
            return Err(ModuleError::UnknownMethod(method.to_string()));
        }
        let out = match q {
            GovernanceQuery::Committee => borsh::to_vec(&Self::committee(|k| ctx.get(k))?),
            GovernanceQuery::Proposal { id } => {
                let p: Option<Proposal> = match ctx.get(&proposal_key(id))? {
                    Some(b) => Some(stored(&b)?),
                    None => None,
                };
                borsh::to_vec(&p)
            }
            GovernanceQuery::Config { key } => {
                let v = ctx
                    .get(&config_key(&key))?
                    .map(|b| String::from_utf8_lossy(&b).into_owned());
                borsh::to_vec(&v)
            }
            GovernanceQuery::HasPermission {
                account,
                permission,
            } => borsh::to_vec(&ctx.has_permission(&account, &permission)?),
        };
        Ok(out.expect("write to Vec"))
    }

    fn describe_call(&self, _method: &str, args: &[u8]) -> Option<serde_json::Value> {
        let c: GovernanceCall = borsh::from_slice(args).ok()?;
        serde_json::to_value(c).ok()
    }
}
