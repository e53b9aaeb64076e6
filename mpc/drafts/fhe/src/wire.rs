//! Bounded (de)serialisation of tfhe objects with tfhe's `safe_serialization`.
//!
//! tfhe's integer-level types carry no serialisation name, so each is wrapped in [`Wire`], a
//! transparent newtype with a Weft name: the header `safe_serialize` writes names the Weft type,
//! so a signed input sent where an unsigned one is expected (or a key where a ciphertext is) fails
//! the header check. Every read is bounded twice: the byte string's length against a per-type
//! limit before parsing, and the deserialised size by tfhe's own limit. Ciphertexts and keys are
//! then checked against the parameter set and block count (conformance), and a read must consume
//! every byte (one encoding per value, since digests cover the bytes).

use serde::{Deserialize, Serialize};
use tfhe::conformance::ParameterSetConformant;
use tfhe::integer::ciphertext::{CompressedRadixCiphertext, CompressedSignedRadixCiphertext};
use tfhe::integer::{
    ClientKey, CompressedServerKey, RadixCiphertext, ServerKey, SignedRadixCiphertext,
};
use tfhe::named::Named;
use tfhe::safe_serialization::{DeserializationConfig, SerializationConfig};
use tfhe_versionable::Versionize;

use super::error::FheError;

/// Largest compressed evaluation key accepted (bytes). An estimate from the parameter set
/// (a seeded bootstrapping key of 918 GGSW ciphertexts plus a seeded key-switching key: tens of
/// MiB); to be checked against the measured size (`DataOwnerKey::sizes`).
pub const MAX_EVAL_KEY_BYTES: u64 = 128 << 20;
/// Largest decompressed evaluation key serialisation (bytes), for sizes and caches.
pub const MAX_EXPANDED_EVAL_KEY_BYTES: u64 = 1 << 30;
/// Largest serialised client key accepted (bytes).
pub const MAX_CLIENT_KEY_BYTES: u64 = 1 << 20;
/// Largest input ciphertext (a seeded, compressed radix of at most 16 blocks), in bytes.
pub const MAX_INPUT_CT_BYTES: u64 = 64 << 10;
/// Largest output ciphertext (a full radix of at most 16 blocks), in bytes.
pub const MAX_OUTPUT_CT_BYTES: u64 = 1 << 20;

/// Transparent wrapper giving a tfhe integer-level type a Weft serialisation name.
#[derive(Serialize, Deserialize, Versionize)]
#[versionize(transparent)]
pub(crate) struct Wire<T>(pub T);

macro_rules! named {
    ($t:ty, $name:literal) => {
        impl Named for Wire<$t> {
            const NAME: &'static str = $name;
        }
    };
}

named!(ClientKey, "weft_mpc::fhe::ClientKey");
named!(CompressedServerKey, "weft_mpc::fhe::CompressedEvalKey");
named!(ServerKey, "weft_mpc::fhe::EvalKey");
named!(CompressedRadixCiphertext, "weft_mpc::fhe::InputUnsigned");
named!(
    CompressedSignedRadixCiphertext,
    "weft_mpc::fhe::InputSigned"
);
named!(RadixCiphertext, "weft_mpc::fhe::OutputUnsigned");
named!(SignedRadixCiphertext, "weft_mpc::fhe::OutputSigned");

impl<T: ParameterSetConformant> ParameterSetConformant for Wire<T> {
    type ParameterSet = T::ParameterSet;

    fn is_conformant(&self, parameter_set: &Self::ParameterSet) -> bool {
        self.0.is_conformant(parameter_set)
    }
}

/// Serialises `value` under its Weft name, at most `limit` bytes. The buffer is sized first so
/// it never reallocates (no stray partial copies of a key in freed memory).
pub(crate) fn to_bytes<T>(value: &Wire<T>, limit: u64) -> Result<Vec<u8>, FheError>
where
    Wire<T>: Serialize + Versionize + Named,
{
    let size = size_of(value)?;
    if size > limit {
        return Err(FheError::Internal(format!(
            "{} of {size} bytes exceeds {limit}",
            <Wire<T> as Named>::NAME
        )));
    }
    let mut out = Vec::with_capacity(size as usize);
    SerializationConfig::new(limit)
        .serialize_into(value, &mut out)
        .map_err(|e| FheError::Internal(e.to_string()))?;
    Ok(out)
}

/// [`to_bytes`] into a buffer zeroized on drop (for secret keys).
pub(crate) fn to_bytes_zeroizing<T>(
    value: &Wire<T>,
    limit: u64,
) -> Result<zeroize::Zeroizing<Vec<u8>>, FheError>
where
    Wire<T>: Serialize + Versionize + Named,
{
    to_bytes(value, limit).map(zeroize::Zeroizing::new)
}

/// Serialised size of `value`.
pub(crate) fn size_of<T>(value: &Wire<T>) -> Result<u64, FheError>
where
    Wire<T>: Serialize + Versionize + Named,
{
    tfhe::safe_serialization::safe_serialized_size(value)
        .map_err(|e| FheError::Internal(e.to_string()))
}

fn check_len(what: &'static str, bytes: &[u8], limit: u64) -> Result<(), FheError> {
    if bytes.len() as u64 > limit {
        return Err(FheError::TooLarge {
            what,
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(())
}

/// Reads a value under its Weft name, bounded by `limit`, checked for conformance with
/// `params`, consuming all of `bytes`. `Err(())` on any failure; callers map it to a typed
/// error that names what failed (tfhe's message is not echoed to peers).
pub(crate) fn from_bytes_conformant<T>(
    what: &'static str,
    bytes: &[u8],
    limit: u64,
    params: &T::ParameterSet,
) -> Result<Result<T, ()>, FheError>
where
    T: ParameterSetConformant,
    Wire<T>: serde::de::DeserializeOwned + tfhe_versionable::Unversionize + Named,
{
    check_len(what, bytes, limit)?;
    let mut reader = bytes;
    let parsed: Result<Wire<T>, String> =
        DeserializationConfig::new(limit).deserialize_from(&mut reader, params);
    Ok(match parsed {
        Ok(w) if reader.is_empty() => Ok(w.0),
        _ => Err(()),
    })
}

/// Reads a value without a conformance check (the client key, checked by the caller).
pub(crate) fn from_bytes<T>(
    what: &'static str,
    bytes: &[u8],
    limit: u64,
) -> Result<Result<T, ()>, FheError>
where
    Wire<T>: serde::de::DeserializeOwned + tfhe_versionable::Unversionize + Named,
{
    check_len(what, bytes, limit)?;
    let mut reader = bytes;
    let parsed: Result<Wire<T>, String> = DeserializationConfig::new(limit)
        .disable_conformance()
        .deserialize_from(&mut reader);
    Ok(match parsed {
        Ok(w) if reader.is_empty() => Ok(w.0),
        _ => Err(()),
    })
}
