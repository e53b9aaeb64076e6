//! The node's data directory: where `weft up` keeps its genesis, keys and ledger.
//!
//! ```text
//! <data-dir>/
//!   genesis.json          chain id, validators, committee, config
//!   keys/validator.key    the validator's Ed25519 seed, hex, mode 0600
//!   keys/admin.key        the admin (sole committee member) account seed, hex, mode 0600
//!   chain/                the ledger store (owned by weft-chain)
//!   api.db                the platform API's off-chain store (SQLite, unless a PostgreSQL URL is given)
//! ```
//!
//! Key files hold the 32-byte seed as hex in a file only the owner can read. Seeds are zeroized
//! after use and never printed or logged. The platform API keeps its own copy of the admin key,
//! sealed under the master key (`crate::platform`); `weft key new` writes encrypted key files
//! (`crate::keyfile`). The store of the platform API is `api.db` here (SQLite) by default.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rand::{CryptoRng, RngCore};
use weft_chain::{Address, Genesis, Keypair, NodeConfig};
use zeroize::Zeroizing;

/// The chain id `weft up` gives a fresh local chain.
pub const LOCAL_CHAIN_ID: &str = "weft-local";

/// Failures reading or creating the data directory and key files.
#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A key file does not hold exactly 32 bytes of hex.
    #[error("{0}: not a key file (expected 64 hex digits)")]
    BadKeyFile(PathBuf),
    /// `genesis.json` is not a valid genesis document.
    #[error("{path}: invalid genesis: {source}")]
    BadGenesis {
        /// The genesis path.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// The data directory is partly initialised (some of genesis and keys are missing).
    #[error("{0}: incomplete data directory (genesis.json and keys/ must all exist, or none)")]
    Incomplete(PathBuf),
    /// The validator key in `keys/` is not a validator in `genesis.json`.
    #[error("{0}: keys/validator.key is not a validator of genesis.json")]
    ValidatorMismatch(PathBuf),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> HomeError + '_ {
    move |source| HomeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A data directory layout (paths only; nothing is touched until [`NodeHome::init_or_load`]).
#[derive(Debug, Clone)]
pub struct NodeHome {
    root: PathBuf,
}

/// What a data directory holds once initialised.
#[derive(Debug)]
pub struct HomeContents {
    /// The genesis document.
    pub genesis: Genesis,
    /// The validator key.
    pub validator: Keypair,
    /// The admin account's address (its key stays on disk; the node does not need it).
    pub admin: Address,
    /// Whether this call created the directory's contents.
    pub created: bool,
}

impl NodeHome {
    /// The layout rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The data directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `genesis.json`.
    pub fn genesis_path(&self) -> PathBuf {
        self.root.join("genesis.json")
    }

    /// `keys/validator.key`.
    pub fn validator_key_path(&self) -> PathBuf {
        self.root.join("keys").join("validator.key")
    }

    /// `keys/admin.key`.
    pub fn admin_key_path(&self) -> PathBuf {
        self.root.join("keys").join("admin.key")
    }

    /// The ledger store directory.
    pub fn chain_dir(&self) -> PathBuf {
        self.root.join("chain")
    }

    /// The node configuration for this directory (defaults otherwise).
    pub fn node_config(&self) -> NodeConfig {
        NodeConfig {
            data_dir: self.chain_dir(),
            ..NodeConfig::default()
        }
    }

    /// Loads the directory, creating genesis and keys on first use (OS randomness).
    pub fn init_or_load(&self) -> Result<HomeContents, HomeError> {
        self.init_or_load_with_rng(&mut rand::rngs::OsRng)
    }

    /// [`NodeHome::init_or_load`] with the caller's randomness for new keys.
    pub fn init_or_load_with_rng(
        &self,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<HomeContents, HomeError> {
        let files = [
            self.genesis_path(),
            self.validator_key_path(),
            self.admin_key_path(),
        ];
        let present = files.iter().filter(|path| path.exists()).count();
        if present == files.len() {
            return self.load();
        }
        if present != 0 {
            return Err(HomeError::Incomplete(self.root.clone()));
        }
        let validator = Keypair::generate_with_rng(rng);
        let admin = Keypair::generate_with_rng(rng);
        let genesis = Genesis::single_validator(LOCAL_CHAIN_ID, &validator, vec![admin.address()]);
        fs::create_dir_all(self.root.join("keys")).map_err(io_error(&self.root))?;
        write_key_file(&self.validator_key_path(), &validator)?;
        write_key_file(&self.admin_key_path(), &admin)?;
        // Genesis last: its presence marks a complete directory.
        let json = serde_json::to_vec_pretty(&genesis).map_err(|source| HomeError::BadGenesis {
            path: self.genesis_path(),
            source,
        })?;
        write_atomically(&self.genesis_path(), &json)?;
        Ok(HomeContents {
            genesis,
            admin: admin.address(),
            validator,
            created: true,
        })
    }

    fn load(&self) -> Result<HomeContents, HomeError> {
        let path = self.genesis_path();
        let bytes = fs::read(&path).map_err(io_error(&path))?;
        let genesis: Genesis =
            serde_json::from_slice(&bytes).map_err(|source| HomeError::BadGenesis {
                path: path.clone(),
                source,
            })?;
        let validator = read_key_file(&self.validator_key_path())?;
        let admin = read_key_file(&self.admin_key_path())?.address();
        if !genesis
            .validators
            .iter()
            .any(|v| v.public_key == validator.public_key())
        {
            return Err(HomeError::ValidatorMismatch(self.root.clone()));
        }
        Ok(HomeContents {
            genesis,
            validator,
            admin,
            created: false,
        })
    }
}

/// Writes a new key file (the seed as hex, mode 0600). Refuses to overwrite an existing file.
pub fn write_key_file(path: &Path, key: &Keypair) -> Result<(), HomeError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(io_error(parent))?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io_error(path))?;
    let mut text = Zeroizing::new(hex::encode(key.to_seed().as_slice()));
    text.push('\n');
    file.write_all(text.as_bytes()).map_err(io_error(path))?;
    file.sync_all().map_err(io_error(path))
}

/// Reads a key file written by [`write_key_file`]. Warns if others may read it.
pub fn read_key_file(path: &Path) -> Result<Keypair, HomeError> {
    let text = Zeroizing::new(fs::read_to_string(path).map_err(io_error(path))?);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "key file is readable by other users; chmod 600 it");
            }
        }
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(text.trim(), seed.as_mut_slice())
        .map_err(|_| HomeError::BadKeyFile(path.to_path_buf()))?;
    Ok(Keypair::from_seed(&seed))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), HomeError> {
    let tmp = path.with_extension("tmp");
    let mut file = fs::File::create(&tmp).map_err(io_error(&tmp))?;
    file.write_all(bytes).map_err(io_error(&tmp))?;
    file.sync_all().map_err(io_error(&tmp))?;
    fs::rename(&tmp, path).map_err(io_error(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn first_run_creates_then_reuses() {
        let dir = tempfile::tempdir().unwrap();
        let home = NodeHome::new(dir.path().join("data"));
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let first = home.init_or_load_with_rng(&mut rng).unwrap();
        assert!(first.created);
        assert_eq!(first.genesis.chain_id, LOCAL_CHAIN_ID);
        assert_eq!(first.genesis.committee, vec![first.admin]);
        let again = home.init_or_load_with_rng(&mut rng).unwrap();
        assert!(!again.created);
        assert_eq!(again.validator.public_key(), first.validator.public_key());
        assert_eq!(again.admin, first.admin);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for path in [home.validator_key_path(), home.admin_key_path()] {
                assert_eq!(
                    fs::metadata(path).unwrap().permissions().mode() & 0o777,
                    0o600
                );
            }
        }
    }

    #[test]
    fn partial_directory_and_bad_key_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let home = NodeHome::new(dir.path());
        home.init_or_load().unwrap();
        fs::write(home.admin_key_path(), "not hex").unwrap();
        assert!(matches!(home.init_or_load(), Err(HomeError::BadKeyFile(_))));
        fs::remove_file(home.admin_key_path()).unwrap();
        assert!(matches!(home.init_or_load(), Err(HomeError::Incomplete(_))));
    }

    #[test]
    fn key_file_round_trips_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.key");
        let key = Keypair::generate();
        write_key_file(&path, &key).unwrap();
        assert_eq!(read_key_file(&path).unwrap().public_key(), key.public_key());
        assert!(write_key_file(&path, &Keypair::generate()).is_err());
        assert_eq!(read_key_file(&path).unwrap().public_key(), key.public_key());
    }
}
