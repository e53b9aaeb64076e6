//! Errors of the DID library (parsing, documents, proofs). On-chain failures are
//! [`weft_chain::ModuleError`]s.

/// Why a DID, key or resolution input was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DidError {
    /// Not a syntactically valid DID (W3C `invalidDid`).
    #[error("invalid DID: {0}")]
    InvalidDid(String),
    /// A valid DID of a method this library does not resolve (W3C `methodNotSupported`).
    #[error("DID method not supported: {0}")]
    MethodNotSupported(String),
    /// A public key that is not a usable Ed25519 key.
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// A state proof of a DID document did not verify, or does not match the claimed DID.
    #[error("DID document proof does not verify")]
    ProofFailed,
}
