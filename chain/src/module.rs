//! The module interface: how other crates add on-chain logic.
//!
//! A [`Module`] owns one state namespace (its name), decodes its own call arguments, authorises
//! the signer, executes deterministically and emits events. It sees only the transaction's
//! signer, the block height and timestamp, and state through [`TxContext`] — no clock, RNG or
//! IO. Read-only queries go through [`ReadContext`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::block::Event;
use crate::crypto::Address;
use crate::error::StorageError;
use crate::genesis::Genesis;

/// Namespace reserved for the ledger itself (nonces, validator set).
pub const SYS_NAMESPACE: &str = "sys";

/// The full state key of `key` in `namespace`: `namespace || 0x00 || key`.
pub fn state_key(namespace: &str, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(namespace.len() + 1 + key.len());
    out.extend_from_slice(namespace.as_bytes());
    out.push(0);
    out.extend_from_slice(key);
    out
}

/// Why a module call or query failed. Its kind, [`ModuleError::code`] and message end up in the
/// failed receipt ([`crate::block::TxError`]), so no caller has to read the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModuleError {
    /// The method name is unknown to the module.
    #[error("unknown method {0:?}")]
    UnknownMethod(String),
    /// The arguments could not be decoded or are invalid.
    #[error("invalid arguments: {0}")]
    InvalidArgs(String),
    /// The signer may not perform this call.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// A referenced object does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The call is well-formed and authorised but violates a module rule.
    #[error("{0}")]
    Rejected(String),
    /// Reading state failed (not the module's fault).
    #[error("state unavailable: {0}")]
    Storage(String),
    /// The call is well-formed and authorised but violates a module rule that callers tell
    /// apart: `code` is a stable snake_case name (e.g. `window_closed`, `nullifier_used`).
    #[error("{message}")]
    Refused {
        /// The stable code.
        code: &'static str,
        /// Human-readable detail.
        message: String,
    },
}

impl ModuleError {
    /// A [`ModuleError::Refused`] with `code` and `message`.
    pub fn refused(code: &'static str, message: impl Into<String>) -> Self {
        ModuleError::Refused {
            code,
            message: message.into(),
        }
    }

    /// The stable code: the variant's name in snake_case, or a refusal's own code.
    pub fn code(&self) -> &'static str {
        match self {
            ModuleError::UnknownMethod(_) => "unknown_method",
            ModuleError::InvalidArgs(_) => "invalid_args",
            ModuleError::Unauthorized(_) => "unauthorized",
            ModuleError::NotFound(_) => "not_found",
            ModuleError::Rejected(_) => "rejected",
            ModuleError::Storage(_) => "storage",
            ModuleError::Refused { code, .. } => code,
        }
    }

    /// The kind of failure a receipt records (a storage failure is never recorded: it aborts
    /// the block).
    pub fn kind(&self) -> crate::block::TxErrorKind {
        use crate::block::TxErrorKind;
        match self {
            ModuleError::UnknownMethod(_) | ModuleError::InvalidArgs(_) => TxErrorKind::InvalidArgs,
            ModuleError::Unauthorized(_) => TxErrorKind::Unauthorized,
            ModuleError::NotFound(_) => TxErrorKind::NotFound,
            ModuleError::Rejected(_) | ModuleError::Refused { .. } | ModuleError::Storage(_) => {
                TxErrorKind::Rejected
            }
        }
    }

    /// The receipt's record of this failure.
    pub fn to_tx_error(&self) -> crate::block::TxError {
        crate::block::TxError {
            kind: self.kind(),
            code: self.code().to_string(),
            message: self.to_string(),
        }
    }
}

impl From<StorageError> for ModuleError {
    fn from(e: StorageError) -> Self {
        ModuleError::Storage(e.0)
    }
}

/// Read access to state by full key (see [`state_key`]).
pub trait StateRead: Send + Sync {
    /// The value at `full_key`, if any.
    fn get(&self, full_key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;
}

/// Pending writes by full key; `None` deletes.
pub type WriteSet = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// A view of `base` with `overlay` applied on top.
pub(crate) struct Layered<'a> {
    pub base: &'a dyn StateRead,
    pub overlay: &'a WriteSet,
}

impl StateRead for Layered<'_> {
    fn get(&self, full_key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        match self.overlay.get(full_key) {
            Some(v) => Ok(v.clone()),
            None => self.base.get(full_key),
        }
    }
}

/// What a module sees while executing a transaction (or applying genesis).
pub struct TxContext<'a> {
    namespace: &'static str,
    signer: Address,
    height: u64,
    timestamp_ms: u64,
    view: &'a dyn StateRead,
    writes: WriteSet,
    events: Vec<crate::block::Event>,
}

impl fmt::Debug for TxContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TxContext")
            .field("namespace", &self.namespace)
            .field("signer", &self.signer)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

impl<'a> TxContext<'a> {
    pub(crate) fn new(
        namespace: &'static str,
        signer: Address,
        height: u64,
        timestamp_ms: u64,
        view: &'a dyn StateRead,
    ) -> Self {
        TxContext {
            namespace,
            signer,
            height,
            timestamp_ms,
            view,
            writes: WriteSet::new(),
            events: Vec::new(),
        }
    }

    pub(crate) fn into_parts(self) -> (WriteSet, Vec<Event>) {
        (self.writes, self.events)
    }

    /// The address that signed the transaction (the zero address at genesis).
    pub fn signer(&self) -> Address {
        self.signer
    }

    /// Height of the block being executed.
    pub fn height(&self) -> u64 {
        self.height
    }

    /// Timestamp of the block being executed (ms since the Unix epoch).
    pub fn timestamp_ms(&self) -> u64 {
        self.timestamp_ms
    }

    /// Reads `key` in the module's own namespace, seeing this transaction's writes.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ModuleError> {
        let full = state_key(self.namespace, key);
        if let Some(v) = self.writes.get(&full) {
            return Ok(v.clone());
        }
        Ok(self.view.get(&full)?)
    }

    /// Writes `key` in the module's own namespace.
    pub fn set(&mut self, key: &[u8], value: Vec<u8>) {
        self.writes
            .insert(state_key(self.namespace, key), Some(value));
    }

    /// Deletes `key` in the module's own namespace.
    pub fn delete(&mut self, key: &[u8]) {
        self.writes.insert(state_key(self.namespace, key), None);
    }

    /// Reads another module's state (read only).
    pub fn read(&self, namespace: &str, key: &[u8]) -> Result<Option<Vec<u8>>, ModuleError> {
        if namespace == self.namespace {
            return self.get(key);
        }
        Ok(self.view.get(&state_key(namespace, key))?)
    }

    /// Emits an event, kept only if the call succeeds.
    pub fn emit(&mut self, kind: &str, attributes: Vec<(String, String)>) {
        self.events.push(Event {
            module: self.namespace.to_string(),
            kind: kind.to_string(),
            attributes,
        });
    }

    /// Whether governance granted `permission` to `account`.
    pub fn has_permission(&self, account: &Address, permission: &str) -> Result<bool, ModuleError> {
        let key = crate::governance::permission_key(account, permission);
        Ok(self.read(crate::governance::NAME, &key)?.is_some())
    }
}

/// What a module sees while answering a read-only query.
pub struct ReadContext<'a> {
    namespace: &'static str,
    height: u64,
    view: &'a dyn StateRead,
}

impl fmt::Debug for ReadContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadContext")
            .field("namespace", &self.namespace)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

impl<'a> ReadContext<'a> {
    pub(crate) fn new(namespace: &'static str, height: u64, view: &'a dyn StateRead) -> Self {
        ReadContext {
            namespace,
            height,
            view,
        }
    }

    /// Height of the state being read.
    pub fn height(&self) -> u64 {
        self.height
    }

    /// Reads `key` in the module's own namespace.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ModuleError> {
        Ok(self.view.get(&state_key(self.namespace, key))?)
    }

    /// Reads another module's state.
    pub fn read(&self, namespace: &str, key: &[u8]) -> Result<Option<Vec<u8>>, ModuleError> {
        Ok(self.view.get(&state_key(namespace, key))?)
    }

    /// Whether governance granted `permission` to `account`.
    pub fn has_permission(&self, account: &Address, permission: &str) -> Result<bool, ModuleError> {
        let key = crate::governance::permission_key(account, permission);
        Ok(self.read(crate::governance::NAME, &key)?.is_some())
    }
}

/// On-chain logic plugged into the ledger.
pub trait Module: Send + Sync + 'static {
    /// The module name, which is also its state namespace.
    fn name(&self) -> &'static str;

    /// Writes the module's genesis state.
    fn init_genesis(&self, ctx: &mut TxContext<'_>, genesis: &Genesis) -> Result<(), ModuleError> {
        let _ = (ctx, genesis);
        Ok(())
    }

    /// Executes `method` with borsh-encoded `args`. On error every write of the call is discarded.
    fn execute(
        &self,
        ctx: &mut TxContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<(), ModuleError>;

    /// Answers a read-only query.
    fn query(
        &self,
        ctx: &ReadContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<Vec<u8>, ModuleError>;

    /// A JSON description of a call, for explorers.
    fn describe_call(&self, method: &str, args: &[u8]) -> Option<serde_json::Value> {
        let _ = (method, args);
        None
    }
}

/// The set of modules a node runs, by name.
#[derive(Clone, Default)]
pub struct ModuleRegistry {
    modules: BTreeMap<&'static str, Arc<dyn Module>>,
}

impl fmt::Debug for ModuleRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.modules.keys()).finish()
    }
}

impl ModuleRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The registry with the built-in modules (governance).
    pub fn with_defaults() -> Self {
        Self::new().with(Arc::new(crate::governance::Governance))
    }

    /// Adds a module.
    ///
    /// # Panics
    /// If the name is empty, reserved (`sys`), contains a NUL byte, or is already registered:
    /// these are programming errors in node assembly.
    pub fn with(mut self, module: Arc<dyn Module>) -> Self {
        let name = module.name();
        assert!(
            !name.is_empty() && name != SYS_NAMESPACE && !name.contains('\0'),
            "invalid module name {name:?}"
        );
        assert!(
            self.modules.insert(name, module).is_none(),
            "module {name:?} registered twice"
        );
        self
    }

    /// The module called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Module>> {
        self.modules.get(name)
    }

    /// Whether a module called `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.modules.contains_key(name)
    }

    /// All modules, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Module>> {
        self.modules.values()
    }
}
