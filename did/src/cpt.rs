//! The `cpt` module: claim protocol types — JSON Schemas (draft 2020-12) registered on chain with
//! an id, a version, the publisher's DID and a digest.
//!
//! # Rules (checked on the transaction signer)
//!
//! - The publisher must have an active DID.
//! - Id ranges: below [`AUTHORITY_MIN`] (system) only a committee member or an account holding
//!   the committee-granted [`permissions::CPT_ADMIN`]; [`AUTHORITY_MIN`]..[`ANYONE_MIN`] only a
//!   recognised authority issuer; from [`ANYONE_MIN`] anyone with a DID. Registering without an
//!   id takes the next free id from [`ANYONE_MIN`].
//! - The first registration of an id makes the signer its publisher; only the publisher may
//!   publish later versions. Every version stays resolvable by `(id, version)`.
//! - The schema must be a JSON object of at most [`MAX_SCHEMA_BYTES`], valid against the draft
//!   2020-12 meta-schema, that compiles as a draft 2020-12 validator with no external
//!   references (nothing is fetched: execution stays deterministic and offline).
//! - Digest: SHA-256 of the canonical form ([`crate::canonical`]), which is also what is stored.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use weft_chain::governance::{self, permissions};
use weft_chain::{Address, Call, Hash, Module, ModuleError, ReadContext, TxContext};

use crate::{canonical, issuer, registry};

/// Module name and state namespace.
pub const NAME: &str = "cpt";
/// First id of the authority-issuer range (below: system CPTs).
pub const AUTHORITY_MIN: u64 = 1000;
/// First id of the open range.
pub const ANYONE_MIN: u64 = 2_000_000;
/// Largest schema accepted (bytes of the submitted JSON text).
pub const MAX_SCHEMA_BYTES: usize = 32 * 1024;
/// The only `$schema` accepted (when present).
pub const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";
/// How many taken ids an automatic assignment skips before giving up.
const MAX_AUTO_SKIP: u64 = 64;

/// A `cpt` transaction.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub enum CptCall {
    /// Registers a new CPT, or a new version of one the signer published.
    Register {
        /// The id; `None` takes the next free id of the open range.
        id: Option<u64>,
        /// The JSON Schema text.
        schema: String,
    },
}

impl CptCall {
    /// The method name used in [`Call::method`].
    pub fn method(&self) -> &'static str {
        match self {
            CptCall::Register { .. } => "register",
        }
    }

    /// The chain [`Call`] of this transaction.
    pub fn call(&self) -> Call {
        Call {
            module: NAME.to_string(),
            method: self.method().to_string(),
            args: borsh::to_vec(self).expect("write to Vec"),
        }
    }
}

/// A `cpt` query.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum CptQuery {
    /// Returns borsh `Option<Cpt>`: the given version, or the latest.
    Get {
        /// The CPT id.
        id: u64,
        /// The version (latest if `None`).
        version: Option<u32>,
    },
}

impl CptQuery {
    /// The method name used with `Node::call`.
    pub fn method(&self) -> &'static str {
        match self {
            CptQuery::Get { .. } => "get",
        }
    }

    /// `(method, args)` for `Node::call`.
    pub fn args(&self) -> (&'static str, Vec<u8>) {
        (self.method(), borsh::to_vec(self).expect("write to Vec"))
    }
}

/// Per-id record: who publishes it and its latest version.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct CptHead {
    /// The publisher's address (its DID).
    pub publisher: Address,
    /// Latest version (1-based).
    pub latest: u32,
}

/// One version of a CPT.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Cpt {
    /// The id.
    pub id: u64,
    /// The version.
    pub version: u32,
    /// Latest version of this id (when read).
    pub latest: u32,
    /// The publisher's address (its DID).
    pub publisher: Address,
    /// SHA-256 of `schema`.
    pub digest: Hash,
    /// The schema, in canonical JSON.
    pub schema: String,
    /// Block height of registration.
    pub height: u64,
    /// Block timestamp of registration (ms).
    pub timestamp_ms: u64,
}

fn head_key(id: u64) -> Vec<u8> {
    [b"h/".as_slice(), &id.to_be_bytes()].concat()
}
fn version_key(id: u64, version: u32) -> Vec<u8> {
    [b"v/".as_slice(), &id.to_be_bytes(), &version.to_be_bytes()].concat()
}
const NEXT_KEY: &[u8] = b"next";

fn stored<T: BorshDeserialize>(bytes: &[u8]) -> Result<T, ModuleError> {
    borsh::from_slice(bytes).map_err(|e| ModuleError::Storage(format!("corrupt cpt state: {e}")))
}

/// Why a schema was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// Larger than [`MAX_SCHEMA_BYTES`].
    #[error("schema larger than {MAX_SCHEMA_BYTES} bytes")]
    TooLarge,
    /// Not JSON.
    #[error("schema is not JSON: {0}")]
    NotJson(String),
    /// Not a JSON object.
    #[error("schema must be a JSON object")]
    NotObject,
    /// `$schema` names another draft.
    #[error("$schema must be {DRAFT_2020_12:?}")]
    WrongDraft,
    /// Invalid against the draft 2020-12 meta-schema, or does not compile.
    #[error("invalid JSON Schema: {0}")]
    Invalid(String),
}

/// Validates a schema; returns its canonical text and digest.
pub fn validate_schema(text: &str) -> Result<(String, Hash), SchemaError> {
    if text.len() > MAX_SCHEMA_BYTES {
        return Err(SchemaError::TooLarge);
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| SchemaError::NotJson(e.to_string()))?;
    let obj = value.as_object().ok_or(SchemaError::NotObject)?;
    if let Some(s) = obj.get("$schema") {
        if s.as_str() != Some(DRAFT_2020_12) {
            return Err(SchemaError::WrongDraft);
        }
    }
    jsonschema::draft202012::meta::validate(&value)
        .map_err(|e| SchemaError::Invalid(e.to_string()))?;
    jsonschema::draft202012::new(&value).map_err(|e| SchemaError::Invalid(e.to_string()))?;
    let canonical = canonical::to_string(&value);
    let digest = Hash::sha256(canonical.as_bytes());
    Ok((canonical, digest))
}

/// Reads a CPT version (latest if `version` is `None`).
pub fn get(
    get: impl Fn(&[u8]) -> Result<Option<Vec<u8>>, ModuleError>,
    id: u64,
    version: Option<u32>,
) -> Result<Option<Cpt>, ModuleError> {
    let Some(head) = get(&head_key(id))?
        .map(|b| stored::<CptHead>(&b))
        .transpose()?
    else {
        return Ok(None);
    };
    let v = version.unwrap_or(head.latest);
    if v == 0 || v > head.latest {
        return Ok(None);
    }
    let mut cpt: Cpt = match get(&version_key(id, v))? {
        Some(b) => stored(&b)?,
        None => return Err(ModuleError::Storage(format!("missing cpt {id} v{v}"))),
    };
    cpt.latest = head.latest;
    Ok(Some(cpt))
}

fn is_committee_member(ctx: &TxContext<'_>, who: &Address) -> Result<bool, ModuleError> {
    // The committee as the governance module stores it (its query `committee` reads this key).
    let committee: Vec<Address> = match ctx.read(governance::NAME, b"committee")? {
        Some(b) => borsh::from_slice(&b)
            .map_err(|e| ModuleError::Storage(format!("corrupt committee: {e}")))?,
        None => Vec::new(),
    };
    Ok(committee.contains(who))
}

/// The `cpt` module.
#[derive(Debug, Clone, Copy, Default)]
pub struct CptRegistry;

impl CptRegistry {
    fn check_range(ctx: &TxContext<'_>, id: u64) -> Result<(), ModuleError> {
        let signer = ctx.signer();
        let allowed = if id < AUTHORITY_MIN {
            is_committee_member(ctx, &signer)?
                || ctx.has_permission(&signer, permissions::CPT_ADMIN)?
        } else if id < ANYONE_MIN {
            issuer::is_authority_issuer(ctx, &signer)?
        } else {
            true
        };
        if allowed {
            Ok(())
        } else if id < AUTHORITY_MIN {
            Err(ModuleError::Unauthorized(format!(
                "CPT ids below {AUTHORITY_MIN} are for the committee"
            )))
        } else {
            Err(ModuleError::Unauthorized(format!(
                "CPT ids {AUTHORITY_MIN}..{ANYONE_MIN} are for recognised authority issuers"
            )))
        }
    }

    fn register(
        ctx: &mut TxContext<'_>,
        id: Option<u64>,
        schema: String,
    ) -> Result<(), ModuleError> {
        let signer = ctx.signer();
        if !registry::is_active(ctx, &signer)? {
            return Err(ModuleError::Unauthorized(format!(
                "{signer} has no active DID: a CPT publisher needs one"
            )));
        }
        let (canonical, digest) =
            validate_schema(&schema).map_err(|e| ModuleError::InvalidArgs(e.to_string()))?;
        let id = match id {
            Some(id) => id,
            None => {
                let mut next = match ctx.get(NEXT_KEY)? {
                    Some(b) => stored::<u64>(&b)?,
                    None => ANYONE_MIN,
                };
                let mut skipped = 0;
                while ctx.get(&head_key(next))?.is_some() {
                    skipped += 1;
                    if skipped > MAX_AUTO_SKIP {
                        return Err(ModuleError::Rejected(
                            "no free CPT id near the counter; register with an explicit id".into(),
                        ));
                    }
                    next = next
                        .checked_add(1)
                        .ok_or_else(|| ModuleError::Rejected("CPT ids exhausted".into()))?;
                }
                ctx.set(NEXT_KEY, borsh::to_vec(&(next + 1)).expect("write to Vec"));
                next
            }
        };
        let head = match ctx.get(&head_key(id))? {
            Some(b) => {
                let mut head: CptHead = stored(&b)?;
                if head.publisher != signer {
                    return Err(ModuleError::Unauthorized(format!(
                        "only the publisher {} may publish versions of CPT {id}",
                        head.publisher
                    )));
                }
                head.latest = head
                    .latest
                    .checked_add(1)
                    .ok_or_else(|| ModuleError::Rejected("version limit reached".into()))?;
                head
            }
            None => {
                Self::check_range(ctx, id)?;
                CptHead {
                    publisher: signer,
                    latest: 1,
                }
            }
        };
        let cpt = Cpt {
            id,
            version: head.latest,
            latest: head.latest,
            publisher: signer,
            digest,
            schema: canonical,
            height: ctx.height(),
            timestamp_ms: ctx.timestamp_ms(),
        };
        ctx.set(&head_key(id), borsh::to_vec(&head).expect("write to Vec"));
        ctx.set(
            &version_key(id, head.latest),
            borsh::to_vec(&cpt).expect("write to Vec"),
        );
        ctx.emit(
            "registered",
            vec![
                ("id".into(), id.to_string()),
                ("version".into(), head.latest.to_string()),
                ("digest".into(), digest.to_string()),
            ],
        );
        Ok(())
    }
}

impl Module for CptRegistry {
    fn name(&self) -> &'static str {
        NAME
    }

    fn execute(
        &self,
        ctx: &mut TxContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<(), ModuleError> {
        let c: CptCall =
            borsh::from_slice(args).map_err(|e| ModuleError::InvalidArgs(e.to_string()))?;
        if c.method() != method {
            return Err(ModuleError::InvalidArgs(format!(
                "method {method:?} does not match arguments ({})",
                c.method()
            )));
        }
        match c {
            CptCall::Register { id, schema } => Self::register(ctx, id, schema),
        }
    }

    fn query(
        &self,
        ctx: &ReadContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<Vec<u8>, ModuleError> {
        let q: CptQuery =
            borsh::from_slice(args).map_err(|e| ModuleError::InvalidArgs(e.to_string()))?;
        if q.method() != method {
            return Err(ModuleError::UnknownMethod(method.to_string()));
        }
        let out = match q {
            CptQuery::Get { id, version } => borsh::to_vec(&get(|k| ctx.get(k), id, version)?),
        };
        Ok(out.expect("write to Vec"))
    }

    fn describe_call(&self, _method: &str, args: &[u8]) -> Option<serde_json::Value> {
        let c: CptCall = borsh::from_slice(args).ok()?;
        match c {
            CptCall::Register { id, schema } => Some(serde_json::json!({
                "Register": { "id": id, "schema_bytes": schema.len() }
            })),
        }
    }
}
