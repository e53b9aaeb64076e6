//! Start-up of the platform side of `weft up`: master key, store, bootstrap, [`Context`].
//!
//! - The master secret comes from `--master-key-file`, else `WEFT_MASTER_KEY` (64 hex digits),
//!   else a per-user file (`~/.config/weft/master.key`). A missing file is created (mode 0600,
//!   fresh randomness). A file inside the data directory is refused.
//! - The store is the SQLite file `<data-dir>/api.db` unless a PostgreSQL URL is given.
//! - On first start (no tokens at all) an `admin` token of the operator tenant is created and
//!   returned once for printing; the operator tenant gets the data directory's admin account
//!   (`keys/admin.key`, the genesis committee member) as custodied key `admin`, so the REST API
//!   can sign governance transactions for it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::time::Duration;
use weft_chain::{Keypair, Node};
use zeroize::Zeroizing;

use crate::auth::{self, Role, OPERATOR_TENANT};
use crate::keystore::{self, KeystoreError, MasterKey, MASTER_KEY_ENV};
use crate::store::{self, Store, StoreError};
use crate::Context;

/// The operator's custodied key id.
pub const OPERATOR_KEY_ID: &str = "admin";

/// Start-up failures.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// The master key could not be obtained.
    #[error("master key: {0}")]
    MasterKey(#[from] KeystoreError),
    /// No master key given and no per-user location known.
    #[error(
        "no master key: pass --master-key-file or set WEFT_MASTER_KEY (no HOME to create one)"
    )]
    NoMasterKeyLocation,
    /// The store failed.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// The bootstrap token could not be created.
    #[error("creating the admin token: {0}")]
    Token(#[from] auth::TokenError),
    /// The operator's custodied key does not open under this master key.
    #[error(
        "the custodied keys in this database were sealed under another master key \
         (use the master key this data directory was created with)"
    )]
    WrongMasterKey,
    /// The database has no operator key: `weft up` never started on it.
    #[error("this database has no operator key: start `weft up` on this data directory first")]
    NotInitialised,
}

/// Where the master key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterKeyOrigin {
    /// A file: `--master-key-file`, or the per-user default.
    File {
        /// The file.
        path: PathBuf,
        /// Whether it was created on this start.
        created: bool,
        /// Whether it is the per-user default location.
        default: bool,
    },
    /// The `WEFT_MASTER_KEY` environment variable.
    Env,
}

/// Resolves the master key (see the module docs) and checks it is outside `data_dir`.
pub fn master_key(
    file: Option<&Path>,
    data_dir: &Path,
) -> Result<(MasterKey, MasterKeyOrigin), PlatformError> {
    if let Some(path) = file {
        keystore::ensure_outside(path, data_dir)?;
        let (key, created) = MasterKey::load_or_create(path)?;
        return Ok((
            key,
            MasterKeyOrigin::File {
                path: path.to_path_buf(),
                created,
                default: false,
            },
        ));
    }
    if let Ok(text) = std::env::var(MASTER_KEY_ENV) {
        let text = Zeroizing::new(text);
        return Ok((MasterKey::from_hex(&text)?, MasterKeyOrigin::Env));
    }
    let path = keystore::default_master_key_path().ok_or(PlatformError::NoMasterKeyLocation)?;
    keystore::ensure_outside(&path, data_dir)?;
    let (key, created) = MasterKey::load_or_create(&path)?;
    Ok((
        key,
        MasterKeyOrigin::File {
            path,
            created,
            default: true,
        },
    ))
}

/// The default database URL for a data directory.
pub fn default_database_url(data_dir: &Path) -> String {
    let dir = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    store::sqlite_url(&dir.join("api.db"))
}

/// What start-up did.
pub struct Bootstrap {
    /// The admin token created on first start (print once, then drop).
    pub admin_token: Option<Zeroizing<String>>,
    /// The operator's custodied key address.
    pub operator_key_address: String,
}

impl std::fmt::Debug for Bootstrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bootstrap")
            .field("admin_token_created", &self.admin_token.is_some())
            .field("operator_key_address", &self.operator_key_address)
            .finish()
    }
}

/// Connects the store, bootstraps it and builds the service [`Context`] (transactions wait at
/// most `receipt_timeout` for their receipt).
pub async fn start(
    node: Arc<Node>,
    database_url: &str,
    master: &MasterKey,
    operator_key: &Keypair,
    receipt_timeout: Duration,
) -> Result<(Context, Bootstrap), PlatformError> {
    let store = Store::connect(database_url).await?;
    let keystore = keystore::Keystore::new(master);

    let operator_key_address = match store.key(OPERATOR_TENANT, OPERATOR_KEY_ID).await? {
        Some(sealed) => {
            keystore
                .open(&sealed)
                .map_err(|_| PlatformError::WrongMasterKey)?;
            sealed.address
        }
        None => {
            let sealed = keystore.seal(
                OPERATOR_TENANT,
                OPERATOR_KEY_ID,
                "genesis admin",
                operator_key,
            )?;
            match store.insert_key(&sealed).await {
                Ok(()) | Err(StoreError::Conflict) => {}
                Err(other) => return Err(other.into()),
            }
            sealed.address
        }
    };

    let admin_token = if store.list_tokens(None).await?.is_empty() {
        let created =
            auth::create_token(&store, OPERATOR_TENANT, &[Role::Admin], "bootstrap admin").await?;
        tracing::info!(token_id = %created.record.token_id, "bootstrap admin token created");
        Some(created.token)
    } else {
        None
    };

    Ok((
        Context::new(node, store, keystore, receipt_timeout),
        Bootstrap {
            admin_token,
            operator_key_address,
        },
    ))
}

/// Recovery of a node whose operator lost every admin token: creates a new `admin` token of the
/// operator tenant directly in the store at `database_url` (`weft token create --admin`). The
/// proof of authority is access to the store and the master key: the operator's custodied key
/// must open under `master`, else [`PlatformError::WrongMasterKey`]. Works while the server runs
/// (it reads tokens from the store on every request).
pub async fn recovery_admin_token(
    database_url: &str,
    master: &MasterKey,
    label: &str,
) -> Result<auth::NewToken, PlatformError> {
    let store = Store::connect(database_url).await?;
    let keystore = keystore::Keystore::new(master);
    let sealed = store
        .key(OPERATOR_TENANT, OPERATOR_KEY_ID)
        .await?
        .ok_or(PlatformError::NotInitialised)?;
    keystore
        .open(&sealed)
        .map_err(|_| PlatformError::WrongMasterKey)?;
    let created = auth::create_token(&store, OPERATOR_TENANT, &[Role::Admin], label).await?;
    tracing::warn!(token_id = %created.record.token_id, "recovery admin token created");
    store.close().await;
    Ok(created)
}
