//! Canonical, versioned byte encodings.
//!
//! Every encodable object is `version (1 byte) || type tag (1 byte) || body`, where the body is
//! a fixed sequence of
//! - compressed ristretto255 points (32 bytes, decoded with `CompressedRistretto::decompress`,
//!   which rejects every non-canonical encoding; identity rejected where it matters),
//! - canonical scalars (32 bytes little-endian, rejected unless fully reduced mod l),
//! - big-endian `u8`/`u32` fields and length prefixes.
//!
//! Decoding consumes the whole input: trailing bytes are an error, so each object has exactly
//! one encoding. Serde impls go through the same bytes.

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;

use crate::errors::EncodingError;

/// The only encoding version this build writes and reads.
pub const ENCODING_VERSION: u8 = 1;

/// Type tags, one per encodable type.
pub(crate) mod tag {
    pub const COMMITMENT: u8 = 0x01;
    pub const OPENING: u8 = 0x05;
    pub const RANGE_PROOF: u8 = 0x02;
    pub const AGGREGATED_RANGE_PROOF: u8 = 0x03;
    pub const INTERVAL_PROOF: u8 = 0x04;
    pub const SCHNORR_PROOF: u8 = 0x10;
    pub const DLEQ_PROOF: u8 = 0x11;
    pub const ONE_OF_PROOF: u8 = 0x12;
    pub const SUM_PROOF: u8 = 0x13;
    pub const PUBLIC_KEY: u8 = 0x20;
    pub const CIPHERTEXT: u8 = 0x21;
    pub const DKG_BROADCAST: u8 = 0x30;
    pub const DECRYPTION_SHARE: u8 = 0x31;
    pub const COMPLAINT_RESPONSE: u8 = 0x32;
    pub const GROUP_KEY: u8 = 0x34;
    pub const KEY_SHARE: u8 = 0x35;
    pub const SECRET_KEY: u8 = 0x22;
}

/// Writes the header and body of an encoding.
#[derive(Debug)]
pub(crate) struct Writer(Vec<u8>);

impl Writer {
    pub fn new(tag: u8, body_capacity: usize) -> Self {
        let mut bytes = Vec::with_capacity(2 + body_capacity);
        bytes.push(ENCODING_VERSION);
        bytes.push(tag);
        Self(bytes)
    }
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn point(&mut self, p: &RistrettoPoint) -> &mut Self {
        self.0.extend_from_slice(p.compress().as_bytes());
        self
    }
    pub fn compressed(&mut self, p: &CompressedRistretto) -> &mut Self {
        self.0.extend_from_slice(p.as_bytes());
        self
    }
    pub fn scalar(&mut self, s: &Scalar) -> &mut Self {
        self.0.extend_from_slice(s.as_bytes());
        self
    }
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }
    pub fn finish(self) -> Vec<u8> {
        self.0
    }
}

/// Reads an encoding, checking version and tag first.
#[derive(Debug)]
pub(crate) struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8], tag: u8) -> Result<Self, EncodingError> {
        let mut r = Self(bytes);
        let version = r.u8()?;
        if version != ENCODING_VERSION {
            return Err(EncodingError::UnsupportedVersion { found: version });
        }
        let found = r.u8()?;
        if found != tag {
            return Err(EncodingError::WrongType {
                expected: tag,
                found,
            });
        }
        Ok(r)
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], EncodingError> {
        if self.0.len() < n {
            return Err(EncodingError::Truncated);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn array32(&mut self) -> Result<[u8; 32], EncodingError> {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.take(32)?);
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, EncodingError> {
        Ok(self.take(1)?[0])
    }

    pub fn u32(&mut self) -> Result<u32, EncodingError> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        Ok(u32::from_be_bytes(b))
    }

    /// A point in canonical encoding; the identity is allowed.
    pub fn point(&mut self) -> Result<RistrettoPoint, EncodingError> {
        decode_point(&self.array32()?)
    }

    /// A point in canonical encoding that must not be the identity.
    pub fn nonidentity_point(&mut self) -> Result<RistrettoPoint, EncodingError> {
        let p = self.point()?;
        if p.is_identity() {
            return Err(EncodingError::IdentityPoint);
        }
        Ok(p)
    }

    /// A canonical scalar.
    pub fn scalar(&mut self) -> Result<Scalar, EncodingError> {
        decode_scalar(self.array32()?)
    }

    /// The rest of the input.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.0)
    }

    /// Succeeds only if the whole input was consumed.
    pub fn finish(self) -> Result<(), EncodingError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(EncodingError::TrailingBytes)
        }
    }
}

/// Decodes a canonical point encoding (identity allowed).
pub(crate) fn decode_point(bytes: &[u8; 32]) -> Result<RistrettoPoint, EncodingError> {
    CompressedRistretto(*bytes)
        .decompress()
        .ok_or(EncodingError::InvalidPoint)
}

/// Decodes a canonical scalar encoding.
pub(crate) fn decode_scalar(bytes: [u8; 32]) -> Result<Scalar, EncodingError> {
    Option::from(Scalar::from_canonical_bytes(bytes)).ok_or(EncodingError::NonCanonicalScalar)
}

/// Implements `serde::{Serialize, Deserialize}` through `to_bytes` / `from_bytes`.
macro_rules! serde_via_bytes {
    ($ty:ty) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.to_bytes())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let bytes = <$crate::encoding::serde_bytes_compat::ByteBuf as serde::Deserialize>::deserialize(d)?;
                <$ty>::from_bytes(&bytes.0).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use serde_via_bytes;

/// Accepts bytes either as a serde byte string (binary formats) or as a sequence of `u8`
/// (JSON and other self-describing formats).
pub(crate) mod serde_bytes_compat {
    use serde::de::{Deserializer, SeqAccess, Visitor};
    use std::fmt;

    #[derive(Debug)]
    pub struct ByteBuf(pub Vec<u8>);

    struct BytesVisitor;

    impl<'de> Visitor<'de> for BytesVisitor {
        type Value = ByteBuf;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a byte string")
        }

        fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<ByteBuf, E> {
            Ok(ByteBuf(v.to_vec()))
        }

        fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<ByteBuf, E> {
            Ok(ByteBuf(v))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ByteBuf, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
            while let Some(b) = seq.next_element::<u8>()? {
                out.push(b);
            }
            Ok(ByteBuf(out))
        }
    }

    impl<'de> serde::Deserialize<'de> for ByteBuf {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_byte_buf(BytesVisitor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_checked() {
        let bytes = Writer::new(tag::COMMITMENT, 0).finish();
        assert!(Reader::new(&bytes, tag::COMMITMENT).is_ok());
        assert_eq!(
            Reader::new(&bytes, tag::CIPHERTEXT).err(),
            Some(EncodingError::WrongType {
                expected: tag::CIPHERTEXT,
                found: tag::COMMITMENT
            })
        );
        assert_eq!(
            Reader::new(&[2, tag::COMMITMENT], tag::COMMITMENT).err(),
            Some(EncodingError::UnsupportedVersion { found: 2 })
        );
        assert_eq!(
            Reader::new(&[1], tag::COMMITMENT).err(),
            Some(EncodingError::Truncated)
        );
    }

    #[test]
    fn non_canonical_scalar_is_rejected() {
        // l itself and 2^256 - 1 are not reduced.
        let l = Scalar::ZERO - Scalar::ONE;
        let mut bytes = l.to_bytes();
        bytes[0] = bytes[0].wrapping_add(1);
        assert_eq!(decode_scalar(bytes), Err(EncodingError::NonCanonicalScalar));
        assert_eq!(
            decode_scalar([0xff; 32]),
            Err(EncodingError::NonCanonicalScalar)
        );
    }

    #[test]
    fn non_canonical_point_is_rejected() {
        // All-ones is not a canonical field element, so not a canonical ristretto encoding.
        assert_eq!(decode_point(&[0xff; 32]), Err(EncodingError::InvalidPoint));
        let mut r = Reader(&[0u8; 32]);
        assert_eq!(
            r.nonidentity_point().err(),
            Some(EncodingError::IdentityPoint)
        );
    }
}
