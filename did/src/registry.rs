//! The `did` module: creates, updates and deactivates `did:weft` documents, keeping every version.
//!
//! # State (namespace `did`)
//!
//! - `chain_id` → the chain id (written at genesis, used to render DIDs).
//! - `h/<address>` → [`Head`]: latest version, created/updated times, deactivated flag.
//! - `v/<address>/<version u32 BE>` → [`VersionRecord`]: the document at that version.
//! - `t/<address>/<version u32 BE>` → the version's block timestamp (u64 BE), the time index.
//!
//! Resolving the latest version or a `versionId` reads two keys; resolving a `versionTime`
//! binary-searches the time index: `2 + ceil(log2(n + 1))` reads for `n` versions. No read
//! walks the history, so resolution cost does not grow (beyond that logarithm) with updates.
//!
//! # Authorisation (always on the transaction signer)
//!
//! - `create`: the signer's address must equal the address of the creating key (so only the
//!   holder of that key, who signed the transaction, can create the DID).
//! - `update` / `deactivate`: the signer must be the address of a `capabilityInvocation` key of
//!   the current document, or of a current `capabilityInvocation` key of one of its controllers
//!   (one level; a deactivated controller controls nothing).
//! - A deactivated DID can never change again.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use weft_chain::{Address, Call, Genesis, Module, ModuleError, PublicKey, ReadContext, TxContext};

use crate::document::{DidState, Service, UpdateOp};

/// Module name and state namespace.
pub const NAME: &str = "did";

const CHAIN_ID_KEY: &[u8] = b"chain_id";

/// A `did` transaction.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub enum DidCall {
    /// Creates the DID of `public_key` (whose address must be the signer).
    Create {
        /// The creating key; becomes `#key-1` with every relationship.
        public_key: PublicKey,
        /// Initial services.
        services: Vec<Service>,
    },
    /// Applies operations to a DID document (a new version).
    Update {
        /// The DID's address.
        did: Address,
        /// What to change, in order.
        ops: Vec<UpdateOp>,
    },
    /// Deactivates a DID, permanently.
    Deactivate {
        /// The DID's address.
        did: Address,
    },
}

impl DidCall {
    /// The method name used in [`Call::method`].
    pub fn method(&self) -> &'static str {
        match self {
            DidCall::Create { .. } => "create",
            DidCall::Update { .. } => "update",
            DidCall::Deactivate { .. } => "deactivate",
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

/// Which version to resolve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Selector {
    /// The latest version.
    Latest,
    /// A given `versionId` (1-based).
    Version(u32),
    /// The version valid at this time (ms since the epoch): the last one with timestamp <= it.
    Time(u64),
}

/// A `did` query; the method name is [`DidQuery::method`], args its borsh.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum DidQuery {
    /// Returns borsh `String`: the chain id.
    ChainId,
    /// Returns borsh `Option<Resolution>`.
    Resolve {
        /// The DID's address.
        did: Address,
        /// Which version.
        selector: Selector,
    },
}

impl DidQuery {
    /// The method name used with `Node::call`.
    pub fn method(&self) -> &'static str {
        match self {
            DidQuery::ChainId => "chain_id",
            DidQuery::Resolve { .. } => "resolve",
        }
    }

    /// `(method, args)` for `Node::call`.
    pub fn args(&self) -> (&'static str, Vec<u8>) {
        (self.method(), borsh::to_vec(self).expect("write to Vec"))
    }
}

/// Summary of a DID's history.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Head {
    /// Latest version (versions are 1, 2, ...).
    pub version: u32,
    /// Timestamp of version 1 (ms).
    pub created_ms: u64,
    /// Timestamp of the latest version (ms).
    pub updated_ms: u64,
    /// Whether the DID is deactivated (the latest version is the deactivation).
    pub deactivated: bool,
}

/// One stored version.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct VersionRecord {
    /// The document.
    pub state: DidState,
    /// Block timestamp of the version (ms).
    pub timestamp_ms: u64,
    /// Block height of the version.
    pub height: u64,
    /// Whether this version is the deactivation.
    pub deactivated: bool,
}

/// A resolved version and its metadata.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Resolution {
    /// The DID's head (latest state of its history).
    pub head: Head,
    /// The version resolved.
    pub version: u32,
    /// Its record.
    pub record: VersionRecord,
    /// The following version's timestamp (ms), if this is not the latest.
    pub next_update_ms: Option<u64>,
}

/// State key (in namespace `did`) of a DID's head.
pub fn head_key(did: &Address) -> Vec<u8> {
    let mut k = b"h/".to_vec();
    k.extend_from_slice(&did.0);
    k
}

/// State key (in namespace `did`) of a DID's version record.
pub fn version_key(did: &Address, version: u32) -> Vec<u8> {
    let mut k = b"v/".to_vec();
    k.extend_from_slice(&did.0);
    k.push(b'/');
    k.extend_from_slice(&version.to_be_bytes());
    k
}

fn time_key(did: &Address, version: u32) -> Vec<u8> {
    let mut k = b"t/".to_vec();
    k.extend_from_slice(&did.0);
    k.push(b'/');
    k.extend_from_slice(&version.to_be_bytes());
    k
}

fn decode<T: BorshDeserialize>(bytes: &[u8]) -> Result<T, ModuleError> {
    borsh::from_slice(bytes).map_err(|e| ModuleError::InvalidArgs(e.to_string()))
}

fn stored<T: BorshDeserialize>(bytes: &[u8]) -> Result<T, ModuleError> {
    borsh::from_slice(bytes).map_err(|e| ModuleError::Storage(format!("corrupt did state: {e}")))
}

/// Reads from the `did` namespace, from any module's context.
pub trait DidReader {
    /// The value at `key` of namespace `did`.
    fn did_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ModuleError>;
}

impl DidReader for TxContext<'_> {
    fn did_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ModuleError> {
        self.read(NAME, key)
    }
}

impl DidReader for ReadContext<'_> {
    fn did_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ModuleError> {
        self.read(NAME, key)
    }
}

/// The head of `did`, if it exists.
pub fn read_head(r: &impl DidReader, did: &Address) -> Result<Option<Head>, ModuleError> {
    r.did_get(&head_key(did))?.map(|b| stored(&b)).transpose()
}

fn read_version(
    r: &impl DidReader,
    did: &Address,
    version: u32,
) -> Result<VersionRecord, ModuleError> {
    match r.did_get(&version_key(did, version))? {
        Some(b) => stored(&b),
        None => Err(ModuleError::Storage(format!(
            "missing version {version} of {did}"
        ))),
    }
}

fn read_time(r: &impl DidReader, did: &Address, version: u32) -> Result<u64, ModuleError> {
    match r.did_get(&time_key(did, version))? {
        Some(b) if b.len() == 8 => {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b);
            Ok(u64::from_be_bytes(a))
        }
        _ => Err(ModuleError::Storage(format!(
            "missing time of version {version} of {did}"
        ))),
    }
}

/// Whether `did` exists and is not deactivated.
pub fn is_active(r: &impl DidReader, did: &Address) -> Result<bool, ModuleError> {
    Ok(read_head(r, did)?.is_some_and(|h| !h.deactivated))
}

/// Resolves `did` at `selector`; `None` if the DID does not exist or has no such version
/// (a time before its creation, or a version id beyond the latest).
pub fn resolve(
    r: &impl DidReader,
    did: &Address,
    selector: Selector,
) -> Result<Option<Resolution>, ModuleError> {
    let Some(head) = read_head(r, did)? else {
        return Ok(None);
    };
    let version = match selector {
        Selector::Latest => head.version,
        Selector::Version(v) if v >= 1 && v <= head.version => v,
        Selector::Version(_) => return Ok(None),
        Selector::Time(t) => {
            if t >= head.updated_ms {
                head.version
            } else {
                // Last version with timestamp <= t: invariant ts(lo) <= t < ts(hi).
                if read_time(r, did, 1)? > t {
                    return Ok(None);
                }
                let (mut lo, mut hi) = (1u32, head.version);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if read_time(r, did, mid)? <= t {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                lo
            }
        }
    };
    let record = read_version(r, did, version)?;
    let next_update_ms = if version < head.version {
        Some(read_time(r, did, version + 1)?)
    } else {
        None
    };
    Ok(Some(Resolution {
        head,
        version,
        record,
        next_update_ms,
    }))
}

/// The `did` module.
#[derive(Debug, Clone, Copy, Default)]
pub struct DidRegistry;

impl DidRegistry {
    fn write_version(ctx: &mut TxContext<'_>, did: &Address, head: &Head, record: &VersionRecord) {
        ctx.set(&head_key(did), borsh::to_vec(head).expect("write to Vec"));
        ctx.set(
            &version_key(did, head.version),
            borsh::to_vec(record).expect("write to Vec"),
        );
        ctx.set(
            &time_key(did, head.version),
            record.timestamp_ms.to_be_bytes().to_vec(),
        );
    }

    fn create(
        ctx: &mut TxContext<'_>,
        public_key: PublicKey,
        services: Vec<Service>,
    ) -> Result<(), ModuleError> {
        let did = public_key.address();
        if did != ctx.signer() {
            return Err(ModuleError::Unauthorized(format!(
                "a DID is created by a transaction signed with its own key: signer {} is not \
                 the address {did} of the creating key",
                ctx.signer()
            )));
        }
        if read_head(ctx, &did)?.is_some() {
            return Err(ModuleError::Rejected(format!("DID {did} already exists")));
        }
        let state = DidState::genesis(public_key, services)?;
        let now = ctx.timestamp_ms();
        let head = Head {
            version: 1,
            created_ms: now,
            updated_ms: now,
            deactivated: false,
        };
        let record = VersionRecord {
            state,
            timestamp_ms: now,
            height: ctx.height(),
            deactivated: false,
        };
        Self::write_version(ctx, &did, &head, &record);
        ctx.emit("created", vec![("did".into(), did.to_string())]);
        Ok(())
    }

    /// Loads the current head and document of `did`, checking that the signer controls it.
    fn authorise(ctx: &TxContext<'_>, did: &Address) -> Result<(Head, DidState), ModuleError> {
        let head =
            read_head(ctx, did)?.ok_or_else(|| ModuleError::NotFound(format!("DID {did}")))?;
        if head.deactivated {
            return Err(ModuleError::Rejected(format!(
                "DID {did} is deactivated and can no longer change"
            )));
        }
        let state = read_version(ctx, did, head.version)?.state;
        let signer = ctx.signer();
        if state.invokable_by(&signer) {
            return Ok((head, state));
        }
        for controller in &state.controllers {
            if let Some(ch) = read_head(ctx, controller)? {
                if !ch.deactivated
                    && read_version(ctx, controller, ch.version)?
                        .state
                        .invokable_by(&signer)
                {
                    return Ok((head, state));
                }
            }
        }
        Err(ModuleError::Unauthorized(format!(
            "{signer} holds no capabilityInvocation key of {did} or of its controllers"
        )))
    }

    fn update(
        ctx: &mut TxContext<'_>,
        did: Address,
        ops: Vec<UpdateOp>,
    ) -> Result<(), ModuleError> {
        let (mut head, state) = Self::authorise(ctx, &did)?;
        let next = state.apply(&did, &ops)?;
        for c in &next.controllers {
            if !state.controllers.contains(c) && !is_active(ctx, c)? {
                return Err(ModuleError::NotFound(format!(
                    "controller {c} is not an active DID"
                )));
            }
        }
        head.version = head
            .version
            .checked_add(1)
            .ok_or_else(|| ModuleError::Rejected("version limit reached".into()))?;
        head.updated_ms = ctx.timestamp_ms();
        let record = VersionRecord {
            state: next,
            timestamp_ms: head.updated_ms,
            height: ctx.height(),
            deactivated: false,
        };
        Self::write_version(ctx, &did, &head, &record);
        ctx.emit(
            "updated",
            vec![
                ("did".into(), did.to_string()),
                ("version".into(), head.version.to_string()),
            ],
        );
        Ok(())
    }

    fn deactivate(ctx: &mut TxContext<'_>, did: Address) -> Result<(), ModuleError> {
        let (mut head, _) = Self::authorise(ctx, &did)?;
        head.version = head
            .version
            .checked_add(1)
            .ok_or_else(|| ModuleError::Rejected("version limit reached".into()))?;
        head.updated_ms = ctx.timestamp_ms();
        head.deactivated = true;
        // The deactivated version carries no keys or services; earlier versions keep theirs,
        // so what was signed before deactivation still verifies at its time.
        let record = VersionRecord {
            state: DidState::default(),
            timestamp_ms: head.updated_ms,
            height: ctx.height(),
            deactivated: true,
        };
        Self::write_version(ctx, &did, &head, &record);
        ctx.emit("deactivated", vec![("did".into(), did.to_string())]);
        Ok(())
    }
}

impl Module for DidRegistry {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init_genesis(&self, ctx: &mut TxContext<'_>, genesis: &Genesis) -> Result<(), ModuleError> {
        ctx.set(CHAIN_ID_KEY, genesis.chain_id.as_bytes().to_vec());
        Ok(())
    }

    fn execute(
        &self,
        ctx: &mut TxContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<(), ModuleError> {
        let c: DidCall = decode(args)?;
        if c.method() != method {
            return Err(ModuleError::InvalidArgs(format!(
                "method {method:?} does not match arguments ({})",
                c.method()
            )));
        }
        match c {
            DidCall::Create {
                public_key,
                services,
            } => Self::create(ctx, public_key, services),
            DidCall::Update { did, ops } => Self::update(ctx, did, ops),
            DidCall::Deactivate { did } => Self::deactivate(ctx, did),
        }
    }

    fn query(
        &self,
        ctx: &ReadContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<Vec<u8>, ModuleError> {
        let q: DidQuery = decode(args)?;
        if q.method() != method {
            return Err(ModuleError::UnknownMethod(method.to_string()));
        }
        let out = match q {
            DidQuery::ChainId => {
                let id = ctx
                    .get(CHAIN_ID_KEY)?
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                borsh::to_vec(&id)
            }
            DidQuery::Resolve { did, selector } => borsh::to_vec(&resolve(ctx, &did, selector)?),
        };
        Ok(out.expect("write to Vec"))
    }

    fn describe_call(&self, _method: &str, args: &[u8]) -> Option<serde_json::Value> {
        let c: DidCall = borsh::from_slice(args).ok()?;
        serde_json::to_value(c).ok()
    }
}
