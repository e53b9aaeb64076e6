//! Multikey encoding of Ed25519 public keys: `publicKeyMultibase` = `z` + base58btc(0xed 0x01 || key).
//!
//! `0xed01` is the unsigned-varint multicodec prefix of `ed25519-pub`; `z` names base58btc.

use weft_chain::PublicKey;

use crate::error::DidError;

/// Multicodec prefix of an Ed25519 public key (varint of 0xed).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];

/// Encodes `key` as a `publicKeyMultibase` value (`z6Mk...`).
pub fn encode(key: &PublicKey) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&ED25519_PUB);
    bytes.extend_from_slice(key.as_bytes());
    format!("z{}", bs58::encode(bytes).into_string())
}

/// Decodes a `publicKeyMultibase` value holding an Ed25519 key that is a valid curve point.
pub fn decode(text: &str) -> Result<PublicKey, DidError> {
    let bad = |why: &str| DidError::InvalidKey(format!("{text:?}: {why}"));
    let body = text
        .strip_prefix('z')
        .ok_or_else(|| bad("multibase must be base58btc ('z')"))?;
    let bytes = bs58::decode(body)
        .into_vec()
        .map_err(|_| bad("not base58btc"))?;
    if bytes.len() != 34 || bytes[..2] != ED25519_PUB {
        return Err(bad("not an Ed25519 multikey (0xed01 + 32 bytes)"));
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(&bytes[2..]);
    let key = PublicKey(key);
    if key.to_verifying_key().is_none() {
        return Err(bad("not a valid Ed25519 point"));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_chain::Keypair;

    #[test]
    fn round_trip_and_known_prefix() {
        let key = Keypair::from_seed(&[7; 32]).public_key();
        let text = encode(&key);
        assert!(text.starts_with("z6Mk"), "{text}");
        assert_eq!(decode(&text).unwrap(), key);
    }

    #[test]
    fn rejects_malformed() {
        let key = Keypair::from_seed(&[7; 32]).public_key();
        let text = encode(&key);
        assert!(decode(&text[1..]).is_err()); // no multibase prefix
        assert!(decode("z0OIl").is_err()); // not base58
        assert!(decode(&text[..text.len() - 2]).is_err()); // truncated
        let mut wrong_codec = vec![0xec, 0x01];
        wrong_codec.extend_from_slice(key.as_bytes());
        assert!(decode(&format!("z{}", bs58::encode(wrong_codec).into_string())).is_err());
    }
}
