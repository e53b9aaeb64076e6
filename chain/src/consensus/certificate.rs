//! Conversion between Malachite's commit certificate (addresses and precommit signatures) and
//! Weft's [`CommitCertificate`] stored in each block (public keys and the same signatures).
//!
//! A precommit is signed over [`CommitCertificate::signing_bytes`] (see [`super::signing`]),
//! so no signature is re-made: the 2f+1 precommits *are* the block's certificate.

use crate::{CommitCertificate, ValidatorSignature};
use informalsystems_malachitebft_core_types as mc;

use super::context::{Height, ValidatorAddress, ValidatorSet, WeftContext};

/// A certificate could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// A signer is not in the validator set of the height.
    #[error("certificate signer {0} is not a validator")]
    UnknownSigner(String),
    /// The round is nil.
    #[error("certificate has no round")]
    NilRound,
}

/// Weft's certificate from Malachite's, resolving signer addresses in `validators`.
pub fn to_weft(
    cert: &mc::CommitCertificate<WeftContext>,
    validators: &ValidatorSet,
) -> Result<CommitCertificate, CertificateError> {
    let round = cert.round.as_u32().ok_or(CertificateError::NilRound)?;
    let mut signatures = Vec::with_capacity(cert.commit_signatures.len());
    for s in &cert.commit_signatures {
        let v = validators
            .validators
            .iter()
            .find(|v| v.address == s.address)
            .ok_or_else(|| CertificateError::UnknownSigner(s.address.to_string()))?;
        signatures.push(ValidatorSignature {
            validator: v.public_key,
            signature: s.signature,
        });
    }
    Ok(CommitCertificate {
        height: cert.height.0,
        round,
        block_hash: cert.value_id,
        signatures,
    })
}

/// Malachite's certificate from a stored Weft one (for answering sync requests).
pub fn from_weft(cert: &CommitCertificate) -> mc::CommitCertificate<WeftContext> {
    mc::CommitCertificate {
        height: Height(cert.height),
        round: mc::Round::new(cert.round),
        value_id: cert.block_hash,
        commit_signatures: cert
            .signatures
            .iter()
            .map(|s| mc::CommitSignature::new(ValidatorAddress(s.validator.address()), s.signature))
            .collect(),
    }
}
