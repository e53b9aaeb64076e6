//! Keys: the data owner's client key (never leaves it), the compressed evaluation key it
//! uploads once per provider, and the provider's expanded evaluation key.
//!
//! Parameter set: tfhe's `V1_8_PARAM_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128` (2-bit message and
//! 2-bit carry per block, 128-bit security, PBS failure probability 2^-129.6), pinned by version
//! so a tfhe upgrade cannot silently change what stored keys mean.

use serde::{Deserialize, Serialize};
use tfhe::integer::ciphertext::{CompressedRadixCiphertext, CompressedSignedRadixCiphertext};
use tfhe::integer::parameters::RadixCiphertextConformanceParams;
use tfhe::integer::{
    ClientKey, CompressedServerKey, RadixCiphertext, ServerKey, SignedRadixCiphertext,
};
use tfhe::shortint::client_key::atomic_pattern::AtomicPatternClientKey;
use tfhe::shortint::parameters::v1_8::V1_8_PARAM_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128 as PARAMS;
use tfhe::shortint::{AtomicPatternParameters, ClassicPBSParameters};
use zeroize::{Zeroize, Zeroizing};

use super::error::{FheError, ModelError};
use super::eval::Ct;
use super::model::{InputSchema, IntType};
use super::transcript;
use super::wire::{self, Wire};

/// Name of the tfhe parameter set every key and ciphertext uses.
pub const PARAMETER_SET: &str =
    "tfhe::shortint::parameters::v1_8::V1_8_PARAM_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128";

/// Version byte of a sealed data-owner key.
const SEALED_KEY_VERSION: u8 = 1;

pub(crate) fn params() -> ClassicPBSParameters {
    PARAMS
}

/// Conformance parameters of a radix ciphertext of `blocks` blocks (fresh or refreshed: every
/// block of degree `message_modulus - 1` at nominal noise).
pub(crate) fn ct_params(blocks: usize) -> RadixCiphertextConformanceParams {
    RadixCiphertextConformanceParams::from_pbs_parameters(PARAMS, blocks)
}

/// SHA-256 digest of a compressed evaluation key's bytes (domain separated): how jobs, the
/// provider's store and the chain refer to the key.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    borsh::BorshSerialize,
    borsh::BorshDeserialize,
)]
#[serde(transparent)]
pub struct EvalKeyDigest(#[serde(with = "hex::serde")] pub [u8; 32]);

impl EvalKeyDigest {
    /// Digest of compressed evaluation-key bytes.
    pub fn of(bytes: &[u8]) -> Self {
        EvalKeyDigest(transcript::hash_parts(
            transcript::EVAL_KEY_DIGEST,
            &[bytes],
        ))
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Debug for EvalKeyDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EvalKeyDigest({})", self.to_hex())
    }
}

/// The compressed evaluation key as uploaded: serialised bytes and their digest.
#[derive(Clone)]
pub struct EvalKey {
    bytes: Vec<u8>,
    digest: EvalKeyDigest,
}

impl std::fmt::Debug for EvalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvalKey")
            .field("digest", &self.digest)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl EvalKey {
    /// Wraps bytes received from a data owner (checked when expanded by [`ServerEvalKey`]).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, FheError> {
        if bytes.len() as u64 > wire::MAX_EVAL_KEY_BYTES {
            return Err(FheError::TooLarge {
                what: "evaluation key",
                size: bytes.len() as u64,
                limit: wire::MAX_EVAL_KEY_BYTES,
            });
        }
        let digest = EvalKeyDigest::of(&bytes);
        Ok(EvalKey { bytes, digest })
    }

    /// The serialised compressed key (what is uploaded and stored).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Its digest.
    pub fn digest(&self) -> EvalKeyDigest {
        self.digest
    }
}

/// Sizes of a data owner's keys, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySizes {
    /// Serialised client key (what the keystore seals).
    pub client_key: u64,
    /// Serialised compressed evaluation key (what is uploaded and stored).
    pub eval_key_compressed: u64,
    /// Serialised expanded evaluation key (what the provider holds in memory, roughly).
    pub eval_key_expanded: u64,
}

/// The data owner's secret key for one provider. It never leaves the data owner: it encrypts
/// inputs and decrypts results; [`Self::to_sealed_bytes`] gives the bytes the keystore seals.
/// Its secret-key buffers are zeroized on drop.
pub struct DataOwnerKey {
    ck: Option<Wire<ClientKey>>,
    eval_key_digest: EvalKeyDigest,
}

impl std::fmt::Debug for DataOwnerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataOwnerKey")
            .field("eval_key_digest", &self.eval_key_digest)
            .finish_non_exhaustive()
    }
}

impl Drop for DataOwnerKey {
    fn drop(&mut self) {
        if let Some(Wire(ck)) = self.ck.take() {
            zeroize_client_key(ck);
        }
    }
}

/// Takes a tfhe client key apart and zeroizes its secret-key buffers.
fn zeroize_client_key(ck: ClientKey) {
    match ck.into_raw_parts().atomic_pattern {
        AtomicPatternClientKey::Standard(ap) => {
            let (glwe, lwe, _, _) = ap.into_raw_parts();
            glwe.into_container().zeroize();
            lwe.into_container().zeroize();
        }
        AtomicPatternClientKey::KeySwitch32(ap) => {
            let (glwe, lwe, _) = ap.into_raw_parts();
            glwe.into_container().zeroize();
            lwe.into_container().zeroize();
        }
    }
}

impl DataOwnerKey {
    /// Generates a client key and its compressed evaluation key (seconds: the evaluation key is
    /// the expensive part). Call once per provider; keep the key, upload the evaluation key.
    ///
    /// Randomness comes from tfhe's own CSPRNG seeded by the OS (tfhe takes no caller RNG).
    pub fn generate() -> Result<(Self, EvalKey), FheError> {
        let ck = ClientKey::new(PARAMS);
        let csk = Wire(CompressedServerKey::new_radix_compressed_server_key(&ck));
        let bytes = wire::to_bytes(&csk, wire::MAX_EVAL_KEY_BYTES)?;
        let eval = EvalKey::from_bytes(bytes)?;
        Ok((
            DataOwnerKey {
                ck: Some(Wire(ck)),
                eval_key_digest: eval.digest(),
            },
            eval,
        ))
    }

    fn ck(&self) -> &ClientKey {
        // Only `drop` takes the key out.
        &self.ck.as_ref().expect("client key present until drop").0
    }

    /// Digest of the evaluation key generated with this key.
    pub fn eval_key_digest(&self) -> EvalKeyDigest {
        self.eval_key_digest
    }

    /// Bytes for the keystore to seal: version, evaluation-key digest, serialised client key.
    /// The buffer is zeroized when dropped.
    pub fn to_sealed_bytes(&self) -> Result<Zeroizing<Vec<u8>>, FheError> {
        let key = wire::to_bytes_zeroizing(
            self.ck.as_ref().expect("present"),
            wire::MAX_CLIENT_KEY_BYTES,
        )?;
        let mut out = Zeroizing::new(Vec::with_capacity(1 + 32 + key.len()));
        out.push(SEALED_KEY_VERSION);
        out.extend_from_slice(&self.eval_key_digest.0);
        out.extend_from_slice(&key);
        Ok(out)
    }

    /// Reopens bytes from [`Self::to_sealed_bytes`] (after the keystore unsealed them).
    pub fn from_sealed_bytes(bytes: &[u8]) -> Result<Self, FheError> {
        let (version, rest) = bytes
            .split_first()
            .ok_or(FheError::MalformedKey("client key"))?;
        if *version != SEALED_KEY_VERSION || rest.len() < 32 {
            return Err(FheError::MalformedKey("client key"));
        }
        let (digest, key) = rest.split_at(32);
        let ck: ClientKey = wire::from_bytes("client key", key, wire::MAX_CLIENT_KEY_BYTES)?
            .map_err(|()| FheError::MalformedKey("client key"))?;
        let key = DataOwnerKey {
            ck: Some(Wire(ck)),
            eval_key_digest: EvalKeyDigest(digest.try_into().expect("32 bytes")),
        };
        if key.ck().parameters() != AtomicPatternParameters::from(PARAMS) {
            return Err(FheError::MalformedKey("client key"));
        }
        Ok(key)
    }

    /// Encrypts one value of type `ty` (seeded, compressed ciphertext; serialised).
    pub fn encrypt_value(&self, ty: IntType, v: i64) -> Result<Vec<u8>, FheError> {
        if !ty.contains(v) {
            return Err(ModelError::InputOutOfRange {
                index: 0,
                ty: ty.name().into(),
            }
            .into());
        }
        if ty.signed() {
            let ct: CompressedSignedRadixCiphertext =
                self.ck().encrypt_signed_radix_compressed(v, ty.blocks());
            wire::to_bytes(&Wire(ct), wire::MAX_INPUT_CT_BYTES)
        } else {
            let ct: CompressedRadixCiphertext = self
                .ck()
                .encrypt_radix_compressed(ty.encode(v), ty.blocks());
            wire::to_bytes(&Wire(ct), wire::MAX_INPUT_CT_BYTES)
        }
    }

    /// Encrypts one row of the schema (each value checked against its feature's type).
    pub fn encrypt_row(&self, schema: &InputSchema, row: &[i64]) -> Result<Vec<Vec<u8>>, FheError> {
        schema.check_row(row)?;
        schema
            .features
            .iter()
            .zip(row)
            .map(|(f, v)| self.encrypt_value(f.ty, *v))
            .collect()
    }

    /// Decrypts one serialised output of type `ty` (`row`, `column` only name it in errors).
    pub fn decrypt_value(
        &self,
        ty: IntType,
        bytes: &[u8],
        row: usize,
        column: usize,
    ) -> Result<i64, FheError> {
        let bad = || FheError::MalformedCiphertext { row, column };
        let p = ct_params(ty.blocks());
        if ty.signed() {
            let ct: SignedRadixCiphertext = wire::from_bytes_conformant(
                "output ciphertext",
                bytes,
                wire::MAX_OUTPUT_CT_BYTES,
                &p,
            )?
            .map_err(|()| bad())?;
            Ok(self.ck().decrypt_signed_radix::<i64>(&ct))
        } else {
            let ct: RadixCiphertext = wire::from_bytes_conformant(
                "output ciphertext",
                bytes,
                wire::MAX_OUTPUT_CT_BYTES,
                &p,
            )?
            .map_err(|()| bad())?;
            let v: u64 = self.ck().decrypt_radix(&ct);
            if v > ty.max() as u64 {
                return Err(FheError::BadPlaintext { row, column });
            }
            Ok(v as i64)
        }
    }

    /// Sizes of this key, of a compressed evaluation key and of its expansion (expands it: about
    /// as long as generating it).
    pub fn sizes(&self, eval: &EvalKey) -> Result<KeySizes, FheError> {
        let client_key = wire::size_of(self.ck.as_ref().expect("present"))?;
        let expanded = ServerEvalKey::from_eval_key(eval)?.expanded_size()?;
        Ok(KeySizes {
            client_key,
            eval_key_compressed: eval.bytes().len() as u64,
            eval_key_expanded: expanded,
        })
    }
}

/// The provider's evaluation key for one data owner: expanded from the uploaded compressed key
/// (after size and conformance checks), identified by the compressed bytes' digest. It can
/// evaluate but never decrypt.
pub struct ServerEvalKey {
    sks: Wire<ServerKey>,
    digest: EvalKeyDigest,
}

impl std::fmt::Debug for ServerEvalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerEvalKey")
            .field("digest", &self.digest)
            .finish_non_exhaustive()
    }
}

impl ServerEvalKey {
    /// Checks and expands an uploaded compressed key (about a second).
    pub fn from_eval_key(eval: &EvalKey) -> Result<Self, FheError> {
        let ap: AtomicPatternParameters = PARAMS.into();
        let csk: CompressedServerKey = wire::from_bytes_conformant(
            "evaluation key",
            eval.bytes(),
            wire::MAX_EVAL_KEY_BYTES,
            &ap,
        )?
        .map_err(|()| FheError::MalformedKey("evaluation key"))?;
        Ok(ServerEvalKey {
            sks: Wire(csk.decompress()),
            digest: eval.digest(),
        })
    }

    /// Checks and expands compressed bytes that must have digest `expected`.
    pub fn from_bytes_expecting(bytes: Vec<u8>, expected: EvalKeyDigest) -> Result<Self, FheError> {
        let eval = EvalKey::from_bytes(bytes)?;
        if eval.digest() != expected {
            return Err(FheError::WrongEvalKey {
                expected: expected.to_hex(),
                found: eval.digest().to_hex(),
            });
        }
        Self::from_eval_key(&eval)
    }

    /// Digest of the compressed key this was expanded from.
    pub fn digest(&self) -> EvalKeyDigest {
        self.digest
    }

    /// Serialised size of the expanded key.
    pub fn expanded_size(&self) -> Result<u64, FheError> {
        wire::size_of(&self.sks)
    }

    pub(crate) fn sks(&self) -> &ServerKey {
        &self.sks.0
    }

    /// Reads one input ciphertext of type `ty` (bounded, conformance-checked) and expands it.
    pub(crate) fn decode_input(
        ty: IntType,
        bytes: &[u8],
        row: usize,
        column: usize,
    ) -> Result<Ct, FheError> {
        let bad = || FheError::MalformedCiphertext { row, column };
        let p = ct_params(ty.blocks());
        Ok(if ty.signed() {
            let ct: CompressedSignedRadixCiphertext = wire::from_bytes_conformant(
                "input ciphertext",
                bytes,
                wire::MAX_INPUT_CT_BYTES,
                &p,
            )?
            .map_err(|()| bad())?;
            Ct::S(ct.decompress())
        } else {
            let ct: CompressedRadixCiphertext = wire::from_bytes_conformant(
                "input ciphertext",
                bytes,
                wire::MAX_INPUT_CT_BYTES,
                &p,
            )?
            .map_err(|()| bad())?;
            Ct::U(ct.decompress())
        })
    }

    /// Serialises one output ciphertext.
    pub(crate) fn encode_output(ct: Ct) -> Result<Vec<u8>, FheError> {
        match ct {
            Ct::U(c) => wire::to_bytes(&Wire(c), wire::MAX_OUTPUT_CT_BYTES),
            Ct::S(c) => wire::to_bytes(&Wire(c), wire::MAX_OUTPUT_CT_BYTES),
        }
    }
}
