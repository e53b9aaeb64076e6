//! Key custody: tenants' Ed25519 signing keys sealed with AES-256-GCM (ring) in the store.
//!
//! The sealing key is derived with HKDF-SHA256 from a 32-byte master secret that is given by file
//! (`--master-key-file`) or environment (`WEFT_MASTER_KEY`) and is never stored in the data
//! directory. Each ciphertext is bound to its tenant and key id by the AEAD's associated data, so
//! a row copied to another tenant (or renamed) fails to decrypt.
//!
//! ```text
//! sealing key = HKDF-SHA256(salt = "weft/keystore/v1", ikm = master, info = "weft/keystore/aes-256-gcm")
//! aad         = "weft/custody-key/v1" || u32be(len tenant) || tenant || u32be(len key_id) || key_id
//! row         = (nonce: 12 random bytes, AES-256-GCM(seed) with tag)
//! ```
//!
//! **Invariants:** plaintext seeds live only in `Zeroizing` buffers and `Keypair`s; no type here
//! prints key material in `Debug`; errors never carry key material.

use std::path::{Path, PathBuf};

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};
use weft_chain::Keypair;
use zeroize::Zeroizing;

use crate::store::{now_ms, SealedKey};

/// Environment variable holding the master secret (64 hex digits).
pub const MASTER_KEY_ENV: &str = "WEFT_MASTER_KEY";

const HKDF_SALT: &[u8] = b"weft/keystore/v1";
const HKDF_INFO: &[u8] = b"weft/keystore/aes-256-gcm";
const AAD_DOMAIN: &[u8] = b"weft/custody-key/v1";

/// Keystore failures. None carries key material.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// The master secret is not 64 hex digits.
    #[error("master key must be 64 hex digits (32 bytes)")]
    BadMasterKey,
    /// The master key file could not be read or written.
    #[error("master key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The master key file lies inside the data directory.
    #[error("the master key file {0} must not be inside the data directory")]
    InsideDataDir(PathBuf),
    /// A sealed key did not decrypt: wrong master key, wrong tenant or key id, or tampering.
    #[error("sealed key does not decrypt (wrong master key, wrong owner or tampered)")]
    Decrypt,
    /// The OS random generator failed.
    #[error("system randomness unavailable")]
    Random,
}

/// The 32-byte master secret. Zeroized on drop; never printed.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// Parses 64 hex digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<MasterKey, KeystoreError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), bytes.as_mut_slice())
            .map_err(|_| KeystoreError::BadMasterKey)?;
        Ok(MasterKey(bytes))
    }

    /// Reads a master key file.
    pub fn from_file(path: &Path) -> Result<MasterKey, KeystoreError> {
        let text =
            Zeroizing::new(
                std::fs::read_to_string(path).map_err(|source| KeystoreError::Io {
                    path: path.to_path_buf(),
                    source,
                })?,
            );
        MasterKey::from_hex(&text)
    }

    /// Reads `path`, or creates it (mode 0600, fresh OS randomness) if it does not exist.
    /// Returns the key and whether it was created.
    pub fn load_or_create(path: &Path) -> Result<(MasterKey, bool), KeystoreError> {
        if path.exists() {
            return Ok((MasterKey::from_file(path)?, false));
        }
        let io = |source| KeystoreError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        SystemRandom::new()
            .fill(bytes.as_mut_slice())
            .map_err(|_| KeystoreError::Random)?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(io)?;
        let text = Zeroizing::new(format!("{}\n", hex::encode(bytes.as_slice())));
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok((MasterKey(bytes), true))
    }

    /// A random master key (tests).
    pub fn random() -> Result<MasterKey, KeystoreError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        SystemRandom::new()
            .fill(bytes.as_mut_slice())
            .map_err(|_| KeystoreError::Random)?;
        Ok(MasterKey(bytes))
    }
}

/// The per-user default master key file: `$XDG_CONFIG_HOME/weft/master.key`, else
/// `$HOME/.config/weft/master.key`.
pub fn default_master_key_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(base.join("weft").join("master.key"))
}

/// Refuses a master key file inside `data_dir` (compared after resolving both paths).
pub fn ensure_outside(master: &Path, data_dir: &Path) -> Result<(), KeystoreError> {
    let resolve = |p: &Path| {
        let absolute = if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir().unwrap_or_default().join(p)
        };
        // Resolve the deepest existing ancestor (the file itself may not exist yet).
        let mut existing = absolute.clone();
        let mut rest = Vec::new();
        while !existing.exists() {
            match (existing.file_name(), existing.parent()) {
                (Some(name), Some(parent)) => {
                    rest.push(name.to_os_string());
                    existing = parent.to_path_buf();
                }
                _ => break,
            }
        }
        let mut resolved = existing.canonicalize().unwrap_or(existing);
        for part in rest.into_iter().rev() {
            resolved.push(part);
        }
        resolved
    };
    if resolve(master).starts_with(resolve(data_dir)) {
        return Err(KeystoreError::InsideDataDir(master.to_path_buf()));
    }
    Ok(())
}

/// Seals and opens custodied keys under the key derived from the master secret.
pub struct Keystore {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl std::fmt::Debug for Keystore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keystore(..)")
    }
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn aad(tenant: &str, key_id: &str) -> Vec<u8> {
    let mut out = AAD_DOMAIN.to_vec();
    for part in [tenant, key_id] {
        // Ids are short (validated by the API); saturate rather than panic on absurd input.
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

impl Keystore {
    /// The keystore for `master`.
    pub fn new(master: &MasterKey) -> Keystore {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, HKDF_SALT).extract(master.0.as_slice());
        let mut derived = Zeroizing::new([0u8; 32]);
        prk.expand(&[HKDF_INFO], Len(32))
            .and_then(|okm| okm.fill(derived.as_mut_slice()))
            .expect("HKDF-SHA256 can produce 32 bytes");
        let unbound =
            UnboundKey::new(&AES_256_GCM, derived.as_slice()).expect("AES-256 takes 32 bytes");
        Keystore {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        }
    }

    /// Seals `key` for (`tenant`, `key_id`).
    pub fn seal(
        &self,
        tenant: &str,
        key_id: &str,
        label: &str,
        key: &Keypair,
    ) -> Result<SealedKey, KeystoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| KeystoreError::Random)?;
        let seed = key.to_seed();
        let mut buffer = Zeroizing::new(seed.to_vec());
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(tenant, key_id)),
                &mut *buffer,
            )
            .map_err(|_| KeystoreError::Decrypt)?;
        Ok(SealedKey {
            tenant: tenant.to_string(),
            key_id: key_id.to_string(),
            label: label.to_string(),
            public_key: key.public_key().to_string(),
            address: key.address().to_string(),
            nonce: nonce.to_vec(),
            ciphertext: buffer.to_vec(),
            created_ms: now_ms(),
        })
    }

    /// Opens a sealed key. Fails unless the row was sealed for exactly its (tenant, key_id) under
    /// this master key, and the public key matches.
    pub fn open(&self, sealed: &SealedKey) -> Result<Keypair, KeystoreError> {
        let nonce: [u8; NONCE_LEN] = sealed
            .nonce
            .as_slice()
            .try_into()
            .map_err(|_| KeystoreError::Decrypt)?;
        let mut buffer = Zeroizing::new(sealed.ciphertext.clone());
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(&sealed.tenant, &sealed.key_id)),
                &mut buffer,
            )
            .map_err(|_| KeystoreError::Decrypt)?;
        let seed: Zeroizing<[u8; 32]> =
            Zeroizing::new((&*plain).try_into().map_err(|_| KeystoreError::Decrypt)?);
        let key = Keypair::from_seed(&seed);
        if key.public_key().to_string() != sealed.public_key {
            return Err(KeystoreError::Decrypt);
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_binding() {
        let store = Keystore::new(&MasterKey::random().unwrap());
        let key = Keypair::generate();
        let sealed = store.seal("acme", "k1", "main", &key).unwrap();
        assert_eq!(store.open(&sealed).unwrap().public_key(), key.public_key());
        // The ciphertext does not contain the seed.
        let seed = key.to_seed();
        assert!(!sealed.ciphertext.windows(32).any(|w| w == seed.as_slice()));

        // Copied to another tenant or renamed: refused.
        let mut moved = sealed.clone();
        moved.tenant = "globex".into();
        assert!(matches!(store.open(&moved), Err(KeystoreError::Decrypt)));
        let mut renamed = sealed.clone();
        renamed.key_id = "k2".into();
        assert!(matches!(store.open(&renamed), Err(KeystoreError::Decrypt)));
        // Tampered: refused.
        let mut tampered = sealed.clone();
        tampered.ciphertext[0] ^= 1;
        assert!(matches!(store.open(&tampered), Err(KeystoreError::Decrypt)));
        // Another master key: refused.
        let other = Keystore::new(&MasterKey::random().unwrap());
        assert!(matches!(other.open(&sealed), Err(KeystoreError::Decrypt)));
        // Debug output shows no secret.
        let debug = format!("{sealed:?} {store:?} {:?}", MasterKey::random().unwrap());
        assert!(!debug.contains(&hex::encode(seed.as_slice())));
        assert!(!debug.contains(&hex::encode(&sealed.ciphertext)));
    }

    #[test]
    fn aad_is_unambiguous() {
        assert_ne!(aad("ab", "c"), aad("a", "bc"));
    }

    #[test]
    fn master_key_parsing_and_location() {
        assert!(MasterKey::from_hex("00").is_err());
        assert!(MasterKey::from_hex(&"zz".repeat(32)).is_err());
        assert!(MasterKey::from_hex(&format!(" {}\n", "ab".repeat(32))).is_ok());
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        assert!(ensure_outside(&data.join("keys/master.key"), &data).is_err());
        assert!(ensure_outside(&dir.path().join("master.key"), &data).is_ok());
        let path = dir.path().join("cfg/master.key");
        let (_, created) = MasterKey::load_or_create(&path).unwrap();
        assert!(created);
        let (_, created) = MasterKey::load_or_create(&path).unwrap();
        assert!(!created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
