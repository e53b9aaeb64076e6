//! Verifiable credentials (W3C VC Data Model 2.0).
//!
//! # Map
//!
//! - [`data_integrity`]: Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite (W3C
//!   vc-di-eddsa): creating and verifying the proof of a credential or presentation.
//! - [`onchain`]: deterministic credential checks for on-chain modules (issuer key at the proof's
//!   time, issuer standing, CPT pin `urn:weft:cpt:<id>:<version>` + `digestSRI`, validity period,
//!   subject) returning a typed [`onchain::CredentialRefusal`].
//! - [`vc`]: building ([`vc::build`]) and issuing ([`vc::issue`]) credentials pinned to a CPT
//!   version (`credentialSchema` = `urn:weft:cpt:<id>:<version>` + `digestSRI` of the on-chain
//!   digest; claims validated against the CPT schema), and strict parsing ([`vc::parse`]).
//! - [`presentation`]: holder-signed presentations (`authentication` proof binding the
//!   verifier's `challenge`, `domain` and an `expires`).
//! - [`verify`]: the verifier. [`verify::CredentialLedger`] is everything it reads from the chain
//!   (DID versions at a time, issuer standing, CPTs, status, evidence);
//!   [`verify::verify_credential`] / [`verify::verify_presentation`] return a
//!   [`verify::VerificationReport`] listing every check with a stable reason string;
//!   [`verify::CachedLedger`] caches lookups (immutable facts forever, mutable ones per height).
//!
//! - [`model`]: the VC Data Model 2.0 (and 1.1) well-formedness rules for documents Weft did not
//!   make ([`model::validate_credential`], [`model::validate_presentation`]), run over every
//!   input of the W3C suite in `tests/data_model_conformance.rs`.
//! - [`policy`]: which checks run ([`policy::Checks`] = VC API `options.checks`, the default
//!   policy for standard and Weft credentials, URL issuers bound to keys).
//! - [`request`]: typed VC API request bodies (`IssueCredentialRequest`,
//!   `VerifyCredentialRequest`) with their validation; issuance of standard credentials
//!   (did:key or did:weft issuer, CPT pin optional, VC 1.1 input mapped to 2.0).
//! - [`status_list`]: verifying a `BitstringStatusListCredential` and applying it to a status
//!   entry; the node's public base URL for status list URLs.
//! - [`compact`]: a lossless compact form (`WEFTC1:` + base45(deflate(CBOR with a dictionary and
//!   short forms))) so that a typical credential fits inline in a QR code.
//! - [`sd_jwt`]: selective disclosure with SD-JWT (RFC 9901, EdDSA, key binding).
//! - [`predicate`]: predicate (range) proofs over issuer-signed Pedersen commitments.
//!
//! Status lists answer [`verify::CredentialLedger::status`] and evidence anchoring answers
//! [`verify::CredentialLedger::evidence`] (hash: [`vc::credential_hash`]); a ledger that cannot
//! answer returns [`verify::LedgerError::NotConfigured`], which fails the check closed.
//! Everything here is deterministic given its inputs (the clock is an option), except fresh
//! `urn:uuid` ids, SD-JWT salts and commitment blindings.

pub mod compact;
pub mod data_integrity;
pub mod model;
pub mod onchain;
pub mod policy;
pub mod predicate;
pub mod presentation;
pub mod request;
pub mod sd_jwt;
pub mod status_list;
pub mod vc;
pub mod verify;

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
