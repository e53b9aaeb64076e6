//! Fixed-size byte types (hashes, addresses, keys, signatures) and the validator/account keypair.
//!
//! Every byte type prints, parses and serialises (serde) as `0x` + lowercase hex, and encodes
//! canonically with borsh as its raw bytes.

use std::fmt;
use std::str::FromStr;

use borsh::{BorshDeserialize, BorshSerialize};
use ed25519_dalek::{Signer, SigningKey};
use rand_core::{CryptoRng, OsRng, RngCore};
use ring::digest;
use zeroize::Zeroizing;

use crate::error::DecodeError;

/// Parses `0x`-prefixed (or bare) hex into exactly `N` bytes.
pub(crate) fn parse_hex<const N: usize>(s: &str) -> Result<[u8; N], DecodeError> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).map_err(|e| DecodeError::Hex(e.to_string()))?;
    Ok(out)
}

macro_rules! byte_type {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;

            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl From<[u8; $len]> for $name {
            fn from(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "0x{}", hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl FromStr for $name {
            type Err = DecodeError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_hex::<$len>(s).map(Self)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

byte_type!(
    /// A SHA-256 digest.
    #[derive(Default)]
    Hash, 32
);
byte_type!(
    /// An account address: the first 20 bytes of SHA-256(public key).
    #[derive(Default)]
    Address, 20
);
byte_type!(
    /// An Ed25519 public key (compressed Edwards point).
    PublicKey, 32
);
byte_type!(
    /// An Ed25519 signature.
    Signature, 64
);

impl Hash {
    /// The all-zero hash (parent of the genesis block).
    pub const ZERO: Hash = Hash([0u8; 32]);

    /// SHA-256 of `data`.
    pub fn sha256(data: &[u8]) -> Hash {
        Self::sha256_parts(&[data])
    }

    /// SHA-256 of the concatenation of `parts`.
    pub fn sha256_parts(parts: &[&[u8]]) -> Hash {
        let mut ctx = digest::Context::new(&digest::SHA256);
        for p in parts {
            ctx.update(p);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        Hash(out)
    }
}

impl Address {
    /// The address of a public key: the first 20 bytes of its SHA-256.
    pub fn from_public_key(pk: &PublicKey) -> Address {
        let h = Hash::sha256(&pk.0);
        let mut out = [0u8; 20];
        out.copy_from_slice(&h.0[..20]);
        Address(out)
    }
}

impl PublicKey {
    /// The address of this key.
    pub fn address(&self) -> Address {
        Address::from_public_key(self)
    }

    /// Decompresses into a dalek verifying key; fails for bytes that are not a curve point.
    pub fn to_verifying_key(&self) -> Option<ed25519_dalek::VerifyingKey> {
        ed25519_dalek::VerifyingKey::from_bytes(&self.0).ok()
    }

    /// Verifies a single Ed25519 signature (strict: rejects small-order keys and malleable `s`).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        match self.to_verifying_key() {
            Some(vk) => vk
                .verify_strict(message, &ed25519_dalek::Signature::from_bytes(&signature.0))
                .is_ok(),
            None => false,
        }
    }
}

/// An Ed25519 signing keypair. The secret is zeroized on drop and never printed.
pub struct Keypair {
    signing: SigningKey,
}

impl Keypair {
    /// A fresh keypair from the OS random number generator.
    pub fn generate() -> Keypair {
        Self::generate_with_rng(&mut OsRng)
    }

    /// A fresh keypair from `rng`.
    pub fn generate_with_rng(rng: &mut (impl RngCore + CryptoRng)) -> Keypair {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Self::from_seed(&seed)
    }

    /// The keypair whose secret seed is `seed`.
    pub fn from_seed(seed: &[u8; 32]) -> Keypair {
        Keypair {
            signing: SigningKey::from_bytes(seed),
        }
    }

    /// The secret seed (handle with care).
    pub fn to_seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key().to_bytes())
    }

    /// The address of the public key.
    pub fn address(&self) -> Address {
        Address::from_public_key(&self.public_key())
    }

    /// Signs `message` (Ed25519, deterministic).
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.signing.sign(message).to_bytes())
    }
}

impl Clone for Keypair {
    fn clone(&self) -> Self {
        Keypair::from_seed(&self.to_seed())
    }
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keypair")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

/// Serde helper: `Vec<u8>` as `0x`-hex.
pub(crate) mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(bytes)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        let s = s.strip_prefix("0x").unwrap_or(&s);
        hex::decode(s).map_err(serde::de::Error::custom)
    }
}

/// Serde helper: `Option<Vec<u8>>` as `0x`-hex or null.
pub(crate) mod hex_opt_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => super::hex_bytes::serialize(b, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let s = Option::<String>::deserialize(d)?;
        match s {
            None => Ok(None),
            Some(s) => {
                let s = s.strip_prefix("0x").unwrap_or(&s);
                hex::decode(s).map(Some).map_err(serde::de::Error::custom)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_rejects_bad_length() {
        let h = Hash::sha256(b"abc");
        let s = h.to_string();
        assert!(s.starts_with("0xba7816bf"));
        assert_eq!(s.parse::<Hash>().unwrap(), h);
        assert!("0x1234".parse::<Hash>().is_err());
        assert!("0xzz".parse::<Address>().is_err());
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<Hash>(&json).unwrap(), h);
    }

    #[test]
    fn keypair_debug_hides_secret_and_signatures_verify() {
        let kp = Keypair::from_seed(&[7u8; 32]);
        let dbg = format!("{kp:?}");
        assert!(!dbg.contains(&hex::encode([7u8; 32])));
        let sig = kp.sign(b"msg");
        assert!(kp.public_key().verify(b"msg", &sig));
        assert!(!kp.public_key().verify(b"msh", &sig));
        assert_eq!(
            Keypair::from_seed(&kp.to_seed()).public_key(),
            kp.public_key()
        );
        assert_eq!(kp.address().to_string().len(), 42);
    }
}
