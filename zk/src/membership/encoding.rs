//! Canonical, versioned byte encodings for proofs, keys, statements and field elements.
//!
//! Layout of every object except bare field elements:
//!
//! ```text
//! version (1 byte, = 1) || kind (1 byte) || [depth (1 byte), keys only] || payload
//! ```
//!
//! The payload is arkworks' `CanonicalSerialize` with `Compress::Yes`. Decoding uses
//! `Validate::Yes` (points must be on the curve and in the prime-order subgroup, field elements
//! below the modulus), rejects trailing bytes, and finally re-encodes the value and requires the
//! result to equal the input, so every value has exactly one accepted encoding (this also
//! rejects, e.g., a point-at-infinity flag carrying stray coordinate bits).
//!
//! Bare field elements (roots, nullifiers, scopes, signals) are 32 bytes, little-endian, and
//! must be below the BN254 scalar modulus.
//!
//! Serde goes through these bytes (`serialize_bytes`), so serde can never accept what
//! `from_bytes` rejects.

use ark_bn254::Fr;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};

use super::error::DecodeError;

/// The only encoding version this build writes and reads.
pub const VERSION: u8 = 1;

/// Which object an encoding holds, so one kind can never be decoded as another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    Proof = 0x01,
    VerifyingKey = 0x02,
    ProvingKey = 0x03,
    Statement = 0x04,
    PowersOfTau = 0x05,
    Phase1Contribution = 0x06,
    Phase2Contribution = 0x07,
    /// A proving key with uncompressed points (what [`MembershipProvingKey::to_bytes`] writes
    /// since the fast-load change; [`Kind::ProvingKey`] is still read).
    ///
    /// [`MembershipProvingKey::to_bytes`]: super::MembershipProvingKey::to_bytes
    ProvingKeyUncompressed = 0x08,
}

/// Encodes `value` with the header for `kind` (and `depth`, for keys).
pub(crate) fn encode<T: CanonicalSerialize>(kind: Kind, depth: Option<u8>, value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(3 + value.compressed_size());
    out.push(VERSION);
    out.push(kind as u8);
    out.extend(depth);
    value
        .serialize_compressed(&mut out)
        .expect("serialising into a Vec cannot fail");
    out
}

/// Encodes `value` with uncompressed points (no square roots to decode).
pub(crate) fn encode_uncompressed<T: CanonicalSerialize>(
    kind: Kind,
    depth: Option<u8>,
    value: &T,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(3 + value.uncompressed_size());
    out.push(VERSION);
    out.push(kind as u8);
    out.extend(depth);
    value
        .serialize_uncompressed(&mut out)
        .expect("serialising into a Vec cannot fail");
    out
}

/// The kind byte of an encoding, after checking the version (for objects with two kinds).
pub(crate) fn peek_kind(bytes: &[u8]) -> Result<u8, DecodeError> {
    match bytes {
        [] | [_] => Err(DecodeError::Truncated),
        [v, ..] if *v != VERSION => Err(DecodeError::UnknownVersion { found: *v }),
        [_, kind, ..] => Ok(*kind),
    }
}

/// Decodes the payload of `kind` (with a depth byte) in `compress` mode **without** curve or
/// subgroup checks, then requires it to re-encode to the input (canonical, no trailing bytes).
/// The caller either checks the points itself ([`Valid::check`]) or knows the bytes are ones it
/// validated before (a digest match).
///
/// [`Valid::check`]: ark_serialize::Valid::check
pub(crate) fn decode_unchecked<T: CanonicalSerialize + CanonicalDeserialize>(
    kind: Kind,
    compress: Compress,
    bytes: &[u8],
) -> Result<(Option<u8>, T), DecodeError> {
    let (depth, payload) = split_header(kind, true, bytes)?;
    let mut reader = payload;
    let value = T::deserialize_with_mode(&mut reader, compress, Validate::No)
        .map_err(|_| DecodeError::Malformed)?;
    if !reader.is_empty() {
        return Err(DecodeError::TrailingBytes {
            count: reader.len(),
        });
    }
    let mut again = Vec::with_capacity(payload.len());
    value
        .serialize_with_mode(&mut again, compress)
        .map_err(|_| DecodeError::Malformed)?;
    if again != payload {
        return Err(DecodeError::NonCanonical);
    }
    Ok((depth, value))
}

/// Decodes the header for `kind` and returns the depth byte (if `with_depth`) and the payload.
fn split_header(
    kind: Kind,
    with_depth: bool,
    bytes: &[u8],
) -> Result<(Option<u8>, &[u8]), DecodeError> {
    let header = if with_depth { 3 } else { 2 };
    if bytes.len() < header {
        return Err(DecodeError::Truncated);
    }
    if bytes[0] != VERSION {
        return Err(DecodeError::UnknownVersion { found: bytes[0] });
    }
    if bytes[1] != kind as u8 {
        return Err(DecodeError::WrongKind {
            expected: kind as u8,
            found: bytes[1],
        });
    }
    let depth = with_depth.then(|| bytes[2]);
    Ok((depth, &bytes[header..]))
}

/// Decodes an object written by [`encode`], strictly.
pub(crate) fn decode<T: CanonicalSerialize + CanonicalDeserialize>(
    kind: Kind,
    with_depth: bool,
    bytes: &[u8],
) -> Result<(Option<u8>, T), DecodeError> {
    let (depth, payload) = split_header(kind, with_depth, bytes)?;
    let value = decode_payload(payload)?;
    Ok((depth, value))
}

/// Strict arkworks decoding of a whole payload.
pub(crate) fn decode_payload<T: CanonicalSerialize + CanonicalDeserialize>(
    payload: &[u8],
) -> Result<T, DecodeError> {
    let mut reader = payload;
    let value = T::deserialize_with_mode(&mut reader, Compress::Yes, Validate::Yes)
        .map_err(|_| DecodeError::Malformed)?;
    if !reader.is_empty() {
        return Err(DecodeError::TrailingBytes {
            count: reader.len(),
        });
    }
    let mut again = Vec::with_capacity(payload.len());
    value
        .serialize_compressed(&mut again)
        .map_err(|_| DecodeError::Malformed)?;
    if again != payload {
        return Err(DecodeError::NonCanonical);
    }
    Ok(value)
}

/// A field element as 32 little-endian bytes.
pub(crate) fn fr_to_bytes(x: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    x.serialize_compressed(&mut out[..])
        .expect("a BN254 scalar is 32 bytes");
    out
}

/// The field element whose canonical encoding is `bytes`.
pub(crate) fn fr_from_bytes(bytes: &[u8; 32]) -> Result<Fr, DecodeError> {
    decode_payload(bytes)
}

/// Implements `Serialize`/`Deserialize` through `to_bytes`/`from_bytes`.
macro_rules! serde_via_bytes {
    ($ty:ty, $expecting:literal) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.to_bytes()[..])
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<$ty, E> {
                        <$ty>::try_from_slice(v).map_err(E::custom)
                    }
                    fn visit_seq<A: serde::de::SeqAccess<'de>>(
                        self,
                        mut seq: A,
                    ) -> Result<$ty, A::Error> {
                        let mut buf = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
                        while let Some(b) = seq.next_element::<u8>()? {
                            buf.push(b);
                        }
                        self.visit_bytes(&buf)
                    }
                }
                d.deserialize_bytes(V)
            }
        }
    };
}
pub(crate) use serde_via_bytes;

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{BigInteger, PrimeField};

    #[test]
    fn field_elements_reject_the_modulus_and_above() {
        let mut p = [0u8; 32];
        p.copy_from_slice(&Fr::MODULUS.to_bytes_le());
        assert_eq!(fr_from_bytes(&p), Err(DecodeError::Malformed));
        assert_eq!(fr_from_bytes(&[0xff; 32]), Err(DecodeError::Malformed));
        let minus_one = -Fr::from(1u64);
        assert_eq!(fr_from_bytes(&fr_to_bytes(&minus_one)), Ok(minus_one));
    }

    #[test]
    fn header_checks() {
        let bytes = encode(Kind::Statement, None, &Fr::from(9u64));
        assert_eq!(
            decode::<Fr>(Kind::Statement, false, &bytes).unwrap().1,
            Fr::from(9u64)
        );
        assert_eq!(
            decode::<Fr>(Kind::Proof, false, &bytes).unwrap_err(),
            DecodeError::WrongKind {
                expected: 1,
                found: 4
            }
        );
        let mut v2 = bytes.clone();
        v2[0] = 2;
        assert_eq!(
            decode::<Fr>(Kind::Statement, false, &v2).unwrap_err(),
            DecodeError::UnknownVersion { found: 2 }
        );
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            decode::<Fr>(Kind::Statement, false, &long).unwrap_err(),
            DecodeError::TrailingBytes { count: 1 }
        );
        assert_eq!(
            decode::<Fr>(Kind::Statement, false, &bytes[..1]).unwrap_err(),
            DecodeError::Truncated
        );
    }
}
