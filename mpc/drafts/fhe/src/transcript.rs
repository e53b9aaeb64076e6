//! Every domain-separation label of the FHE jobs, in one place.
//!
//! Each label is versioned. Digests of ciphertexts also absorb the job id (and the inputs digest,
//! for outputs), so a digest from one job is useless in any other.

/// Commitment to a registered model: `H(label, canonical model bytes, 256-bit randomness)`.
pub const MODEL_COMMITMENT: &[u8] = b"weft/fhe/model-commitment/v1";
/// Digest of a compressed evaluation key (the bytes uploaded once per data owner and provider).
pub const EVAL_KEY_DIGEST: &[u8] = b"weft/fhe/eval-key/v1";
/// Digest of a job's input ciphertexts (bound to job id and evaluation-key digest).
pub const INPUTS_DIGEST: &[u8] = b"weft/fhe/inputs/v1";
/// Digest of a job's output ciphertexts (bound to job id and inputs digest).
pub const OUTPUTS_DIGEST: &[u8] = b"weft/fhe/outputs/v1";
/// Digest of the completed-job record both parties sign and the chain records.
pub const JOB_RECORD: &[u8] = b"weft/fhe/job-record/v1";
/// Digest of a protocol message (what the service layer signs with the sender's DID key).
pub const MESSAGE: &[u8] = b"weft/fhe/message/v1";

/// SHA-256 over length-prefixed parts: `len(label) || label || (len(part) || part)*`,
/// unambiguous for any split of the input into parts.
pub fn hash_parts(label: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Hasher::new(label);
    for p in parts {
        h.part(p);
    }
    h.finish()
}

/// Incremental form of [`hash_parts`], for digests over many ciphertexts.
pub struct Hasher(sha2::Sha256);

impl Hasher {
    /// Starts a hash under `label`.
    pub fn new(label: &[u8]) -> Self {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update((label.len() as u64).to_le_bytes());
        h.update(label);
        Hasher(h)
    }

    /// Absorbs one length-prefixed part.
    pub fn part(&mut self, p: &[u8]) -> &mut Self {
        use sha2::Digest;
        self.0.update((p.len() as u64).to_le_bytes());
        self.0.update(p);
        self
    }

    /// The digest.
    pub fn finish(self) -> [u8; 32] {
        use sha2::Digest;
        self.0.finalize().into()
    }
}
