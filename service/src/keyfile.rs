//! The CLI keystore: an account key in a passphrase-encrypted file, for signing locally.
//!
//! ```text
//! key  = PBKDF2-HMAC-SHA256(passphrase, salt: 16 random bytes, iterations)   (32 bytes)
//! file = JSON { weft_key_file: 1, address, public_key, kdf { name, iterations, salt },
//!               cipher: "aes-256-gcm", nonce, ciphertext }
//! aad  = "weft/key-file/v1" || public_key
//! ```
//!
//! The public parts are readable without the passphrase (`weft key show`); the seed needs it.
//! Files are created with mode 0600 and never overwritten. Older plain key files (64 hex digits,
//! as in the data directory's `keys/`) are still read by [`load_key`].

use std::num::NonZeroU32;
use std::path::Path;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::pbkdf2;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use weft_chain::Keypair;
use zeroize::Zeroizing;

use crate::node_home::read_key_file;

/// PBKDF2 iterations of new files (OWASP's 2023 figure for PBKDF2-HMAC-SHA256).
pub const DEFAULT_ITERATIONS: u32 = 600_000;
/// Environment variable with the passphrase (otherwise the CLI prompts on the terminal).
pub const PASSPHRASE_ENV: &str = "WEFT_KEY_PASSPHRASE";

const AAD_DOMAIN: &[u8] = b"weft/key-file/v1";
const KDF_NAME: &str = "pbkdf2-hmac-sha256";
const CIPHER: &str = "aes-256-gcm";

/// Key file failures. None carries key material or the passphrase.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The file is neither an encrypted key file nor a plain one.
    #[error("{0}: not a key file")]
    Format(String),
    /// Wrong passphrase, or the file was altered.
    #[error("wrong passphrase or corrupted key file")]
    Decrypt,
    /// The OS random generator failed.
    #[error("system randomness unavailable")]
    Random,
    /// No passphrase could be obtained.
    #[error("passphrase: {0}")]
    Passphrase(String),
    /// A plain key file could not be read.
    #[error(transparent)]
    Plain(#[from] crate::node_home::HomeError),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Kdf {
    name: String,
    iterations: u32,
    salt: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EncryptedFile {
    weft_key_file: u32,
    address: String,
    public_key: String,
    kdf: Kdf,
    cipher: String,
    nonce: String,
    ciphertext: String,
}

/// The public parts of a key file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicParts {
    /// Account address.
    pub address: String,
    /// Public key.
    pub public_key: String,
    /// Whether the file is encrypted.
    pub encrypted: bool,
}

fn derive(passphrase: &str, salt: &[u8], iterations: NonZeroU32) -> LessSafeKey {
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        salt,
        passphrase.as_bytes(),
        key.as_mut_slice(),
    );
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key.as_slice()).expect("32-byte key"))
}

fn aad(public_key: &str) -> Vec<u8> {
    [AAD_DOMAIN, public_key.as_bytes()].concat()
}

/// Encrypts `key` under `passphrase` with `iterations` PBKDF2 rounds; returns the file text.
pub fn encrypt(key: &Keypair, passphrase: &str, iterations: u32) -> Result<String, KeyFileError> {
    let iterations =
        NonZeroU32::new(iterations).ok_or(KeyFileError::Format("iterations".into()))?;
    let rng = SystemRandom::new();
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill(&mut salt).map_err(|_| KeyFileError::Random)?;
    rng.fill(&mut nonce).map_err(|_| KeyFileError::Random)?;
    let public_key = key.public_key().to_string();
    let mut buffer = Zeroizing::new(key.to_seed().to_vec());
    derive(passphrase, &salt, iterations)
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad(&public_key)),
            &mut *buffer,
        )
        .map_err(|_| KeyFileError::Decrypt)?;
    let file = EncryptedFile {
        weft_key_file: 1,
        address: key.address().to_string(),
        public_key,
        kdf: Kdf {
            name: KDF_NAME.into(),
            iterations: iterations.get(),
            salt: hex::encode(salt),
        },
        cipher: CIPHER.into(),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(&*buffer),
    };
    let mut text = serde_json::to_string_pretty(&file).expect("serialisable");
    text.push('\n');
    Ok(text)
}

fn parse(text: &str, path: &str) -> Result<EncryptedFile, KeyFileError> {
    let file: EncryptedFile =
        serde_json::from_str(text).map_err(|_| KeyFileError::Format(path.into()))?;
    if file.weft_key_file != 1 || file.kdf.name != KDF_NAME || file.cipher != CIPHER {
        return Err(KeyFileError::Format(path.into()));
    }
    Ok(file)
}

/// Decrypts file text.
pub fn decrypt(text: &str, passphrase: &str) -> Result<Keypair, KeyFileError> {
    let file = parse(text, "key file")?;
    let salt = hex::decode(&file.kdf.salt).map_err(|_| KeyFileError::Format("salt".into()))?;
    let nonce: [u8; NONCE_LEN] = hex::decode(&file.nonce)
        .ok()
        .and_then(|n| n.try_into().ok())
        .ok_or(KeyFileError::Format("nonce".into()))?;
    let iterations =
        NonZeroU32::new(file.kdf.iterations).ok_or(KeyFileError::Format("iterations".into()))?;
    let mut buffer = Zeroizing::new(
        hex::decode(&file.ciphertext).map_err(|_| KeyFileError::Format("ciphertext".into()))?,
    );
    let plain = derive(passphrase, &salt, iterations)
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad(&file.public_key)),
            &mut buffer,
        )
        .map_err(|_| KeyFileError::Decrypt)?;
    let seed: Zeroizing<[u8; 32]> =
        Zeroizing::new((&*plain).try_into().map_err(|_| KeyFileError::Decrypt)?);
    let key = Keypair::from_seed(&seed);
    if key.public_key().to_string() != file.public_key {
        return Err(KeyFileError::Decrypt);
    }
    Ok(key)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes a new encrypted key file (mode 0600; refuses to overwrite).
pub fn write_encrypted(
    path: &Path,
    key: &Keypair,
    passphrase: &str,
    iterations: u32,
) -> Result<(), KeyFileError> {
    let text = encrypt(key, passphrase, iterations)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io(path))?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

/// The public parts of a key file (encrypted or plain), without the passphrase.
pub fn public_parts(path: &Path) -> Result<PublicParts, KeyFileError> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io(path))?);
    if text.trim_start().starts_with('{') {
        let file = parse(&text, &path.display().to_string())?;
        return Ok(PublicParts {
            address: file.address,
            public_key: file.public_key,
            encrypted: true,
        });
    }
    let key = read_key_file(path)?;
    Ok(PublicParts {
        address: key.address().to_string(),
        public_key: key.public_key().to_string(),
        encrypted: false,
    })
}

/// Loads a key file: an encrypted one with the passphrase `passphrase()` supplies (called only
/// for encrypted files), or a plain one.
pub fn load_key(
    path: &Path,
    passphrase: impl FnOnce() -> Result<Zeroizing<String>, KeyFileError>,
) -> Result<Keypair, KeyFileError> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io(path))?);
    if text.trim_start().starts_with('{') {
        parse(&text, &path.display().to_string())?;
        let passphrase = passphrase()?;
        return decrypt(&text, &passphrase);
    }
    Ok(read_key_file(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let key = Keypair::generate();
        let text = encrypt(&key, "correct horse", 1_000).unwrap();
        assert!(!text.contains(&hex::encode(key.to_seed().as_slice())));
        assert!(!text.contains("correct horse"));
        assert_eq!(
            decrypt(&text, "correct horse").unwrap().public_key(),
            key.public_key()
        );
        assert!(matches!(
            decrypt(&text, "wrong"),
            Err(KeyFileError::Decrypt)
        ));
        // A swapped public key (the AAD) is refused.
        let other = Keypair::generate().public_key().to_string();
        let swapped = text.replace(&key.public_key().to_string(), &other);
        assert!(matches!(
            decrypt(&swapped, "correct horse"),
            Err(KeyFileError::Decrypt)
        ));
        assert!(matches!(decrypt("{}", "x"), Err(KeyFileError::Format(_))));
    }

    #[test]
    fn files_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        let key = Keypair::generate();
        write_encrypted(&path, &key, "pw", 1_000).unwrap();
        assert!(write_encrypted(&path, &key, "pw", 1_000).is_err());
        let parts = public_parts(&path).unwrap();
        assert!(parts.encrypted);
        assert_eq!(parts.address, key.address().to_string());
        let loaded = load_key(&path, || Ok(Zeroizing::new("pw".to_string()))).unwrap();
        assert_eq!(loaded.address(), key.address());
        assert!(load_key(&path, || Ok(Zeroizing::new("no".to_string()))).is_err());
    }
}
