//! Verifiable credentials (W3C VC Data Model 2.0).
//!
//! - [`data_integrity`]: Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite (W3C
//!   vc-di-eddsa): creating and verifying the proof of a credential or presentation.
//!
//! - [`sd_jwt`]: selective disclosure with SD-JWT (RFC 9901, EdDSA, key binding).
//! - [`predicate`]: predicate (range) proofs over issuer-signed Pedersen commitments.
//!
//! Issuance, presentations, status lists, evidence and QR envelopes build on this.

pub mod data_integrity;
pub mod predicate;
pub mod sd_jwt;

pub use data_integrity::{DataIntegrityError, ProofOptions, VerifiedProof};

use weft_chain::PublicKey;

use crate::did::Did;

/// The key of a `did:key` verification method (`did:key:z6Mk…#z6Mk…`): the fragment, if present,
/// must name the same key, as the did:key method specifies. Any other method is an error naming
/// it, so a resolver can fall through to the chain for `did:weft`.
pub fn did_key_verification_method(method: &str) -> Result<PublicKey, String> {
    let (did, fragment) = match method.split_once('#') {
        Some((did, fragment)) => (did, Some(fragment)),
        None => (method, None),
    };
    match Did::parse(did).map_err(|e| e.to_string())? {
        Did::Key(key) => {
            let expected = crate::multikey::encode(&key);
            match fragment {
                Some(f) if f != expected => {
                    Err(format!("fragment #{f} is not the did:key's own key"))
                }
                _ => Ok(key),
            }
        }
        other => Err(format!("{other} is not a did:key")),
    }
}
