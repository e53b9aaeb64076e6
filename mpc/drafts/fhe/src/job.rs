//! The job protocol between a data owner (client) and a model provider, as typestate on both
//! sides. Each transition consumes its state; every error is final for the job.
//!
//! ```text
//! data owner                                             provider
//! ClientJob::create ── CreateJob{job, model info, key digest, rows} ──▶ ProviderJob::accept
//! ClientJob::upload ── UploadInputs{job, key digest, cts, digest} ───▶ ProviderJob::receive_inputs
//!                                                                       ReadyJob::evaluate (off the
//!                                                                       request path; EvalControl)
//! AwaitingResult::finish ◀── ResultMsg{job, commitment, key digest, input/output digests, cts}
//! both: JobRecord (what both sign and the chain records)
//! ```
//!
//! Signing messages with each party's DID key, transport, timeouts and storage belong to the
//! service layer; [`message_digest`] gives the bytes to sign.

use std::sync::Arc;

use borsh::{BorshDeserialize, BorshSerialize};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use super::error::FheError;
use super::eval::{eval_rows, Ct, EvalControl};
use super::keys::{DataOwnerKey, EvalKeyDigest, ServerEvalKey};
use super::model::{IntType, ModelCommitment, ModelId, ModelInfo, RegisteredModel};
use super::transcript::{self, Hasher};

/// Most rows one job may carry.
pub const MAX_JOB_ROWS: u32 = 4096;
/// Largest encoded protocol message accepted by [`decode_message`] (bytes).
pub const MAX_MESSAGE_BYTES: u64 = 512 << 20;

/// A job's id: 32 random bytes chosen by the data owner.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
#[serde(transparent)]
pub struct JobId(#[serde(with = "hex::serde")] pub [u8; 32]);

impl JobId {
    /// A fresh id from `rng`.
    pub fn random_with_rng<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut b = [0u8; 32];
        rng.fill_bytes(&mut b);
        JobId(b)
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Debug for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JobId({})", self.to_hex())
    }
}

/// A 32-byte digest of ciphertexts (hex in JSON).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
#[serde(transparent)]
pub struct CtDigest(#[serde(with = "hex::serde")] pub [u8; 32]);

impl std::fmt::Debug for CtDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CtDigest({})", hex::encode(self.0))
    }
}

/// Data owner → provider: open a job on a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize)]
pub struct CreateJob {
    /// Fresh job id.
    pub job_id: JobId,
    /// The model as the data owner knows it (id, commitment from the chain, schema, outputs).
    pub model: ModelInfo,
    /// Digest of the evaluation key the provider must use (uploaded earlier).
    pub eval_key_digest: EvalKeyDigest,
    /// Number of rows that will be uploaded.
    pub rows: u32,
}

/// Data owner → provider: the encrypted rows.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize)]
pub struct UploadInputs {
    /// Job id.
    pub job_id: JobId,
    /// Digest of the evaluation key they are encrypted for.
    pub eval_key_digest: EvalKeyDigest,
    /// `rows[r][f]`: serialised compressed ciphertext of feature `f` of row `r`.
    pub rows: Vec<Vec<Vec<u8>>>,
    /// [`inputs_digest`] of the rows.
    pub inputs_digest: CtDigest,
}

/// Provider → data owner: the encrypted results.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize)]
pub struct ResultMsg {
    /// Job id.
    pub job_id: JobId,
    /// Commitment of the model that was evaluated.
    pub model_commitment: ModelCommitment,
    /// Evaluation key used.
    pub eval_key_digest: EvalKeyDigest,
    /// Digest of the inputs evaluated.
    pub inputs_digest: CtDigest,
    /// [`outputs_digest`] of the rows.
    pub outputs_digest: CtDigest,
    /// `rows[r][o]`: serialised ciphertext of output `o` of row `r`.
    pub rows: Vec<Vec<Vec<u8>>>,
}

fn ct_rows_debug(rows: &[Vec<Vec<u8>>]) -> String {
    let bytes: usize = rows.iter().flatten().map(Vec::len).sum();
    format!("{} rows, {bytes} bytes", rows.len())
}

impl std::fmt::Debug for UploadInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadInputs")
            .field("job_id", &self.job_id)
            .field("eval_key_digest", &self.eval_key_digest)
            .field("rows", &ct_rows_debug(&self.rows))
            .field("inputs_digest", &self.inputs_digest)
            .finish()
    }
}

impl std::fmt::Debug for ResultMsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultMsg")
            .field("job_id", &self.job_id)
            .field("model_commitment", &self.model_commitment)
            .field("eval_key_digest", &self.eval_key_digest)
            .field("inputs_digest", &self.inputs_digest)
            .field("outputs_digest", &self.outputs_digest)
            .field("rows", &ct_rows_debug(&self.rows))
            .finish()
    }
}

/// What both parties sign when a job completes and the chain records (with the parties' DIDs,
/// added by the service layer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize)]
pub struct JobRecord {
    /// Job id.
    pub job_id: JobId,
    /// Model id.
    pub model_id: ModelId,
    /// Model commitment.
    pub model_commitment: ModelCommitment,
    /// Evaluation key digest.
    pub eval_key_digest: EvalKeyDigest,
    /// Rows scored.
    pub rows: u32,
    /// Digest of the input ciphertexts.
    pub inputs_digest: CtDigest,
    /// Digest of the output ciphertexts.
    pub outputs_digest: CtDigest,
}

impl JobRecord {
    /// Domain-separated digest of the record (what each party signs).
    pub fn digest(&self) -> [u8; 32] {
        transcript::hash_parts(
            transcript::JOB_RECORD,
            &[&borsh::to_vec(self).expect("vec")],
        )
    }
}

/// Digest of the inputs: job id, evaluation-key digest, shape, then every ciphertext in row
/// order, all length-prefixed.
pub fn inputs_digest(job: &JobId, key: &EvalKeyDigest, rows: &[Vec<Vec<u8>>]) -> CtDigest {
    ct_digest(transcript::INPUTS_DIGEST, &[&job.0, &key.0], rows)
}

/// Digest of the outputs: job id, inputs digest, shape, then every ciphertext in row order.
pub fn outputs_digest(job: &JobId, inputs: &CtDigest, rows: &[Vec<Vec<u8>>]) -> CtDigest {
    ct_digest(transcript::OUTPUTS_DIGEST, &[&job.0, &inputs.0], rows)
}

fn ct_digest(label: &[u8], head: &[&[u8]], rows: &[Vec<Vec<u8>>]) -> CtDigest {
    let mut h = Hasher::new(label);
    for p in head {
        h.part(p);
    }
    h.part(&(rows.len() as u64).to_le_bytes());
    for r in rows {
        h.part(&(r.len() as u64).to_le_bytes());
        for c in r {
            h.part(c);
        }
    }
    CtDigest(h.finish())
}

/// A protocol message, for encoding and signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize)]
pub enum JobMessage {
    /// [`CreateJob`].
    Create(CreateJob),
    /// [`UploadInputs`].
    Upload(UploadInputs),
    /// [`ResultMsg`].
    Result(ResultMsg),
}

/// Binary encoding of a message (borsh).
pub fn encode_message(msg: &JobMessage) -> Vec<u8> {
    borsh::to_vec(msg).expect("borsh into a Vec")
}

/// Decodes a message, refusing more than [`MAX_MESSAGE_BYTES`] and trailing bytes. Allocation
/// is bounded by the input: borsh grows vectors as elements actually arrive.
pub fn decode_message(bytes: &[u8]) -> Result<JobMessage, FheError> {
    if bytes.len() as u64 > MAX_MESSAGE_BYTES {
        return Err(FheError::TooLarge {
            what: "message",
            size: bytes.len() as u64,
            limit: MAX_MESSAGE_BYTES,
        });
    }
    borsh::from_slice(bytes).map_err(|e| FheError::Malformed(e.to_string()))
}

/// Domain-separated digest of a message: what the sender signs with its DID key.
pub fn message_digest(msg: &JobMessage) -> [u8; 32] {
    transcript::hash_parts(transcript::MESSAGE, &[&encode_message(msg)])
}

fn check_job(expected: &JobId, found: &JobId) -> Result<(), FheError> {
    if expected != found {
        return Err(FheError::WrongJob {
            expected: expected.to_hex(),
            found: found.to_hex(),
        });
    }
    Ok(())
}

fn check_key(expected: &EvalKeyDigest, found: &EvalKeyDigest) -> Result<(), FheError> {
    if expected != found {
        return Err(FheError::WrongEvalKey {
            expected: expected.to_hex(),
            found: found.to_hex(),
        });
    }
    Ok(())
}

fn check_shape(rows: &[Vec<Vec<u8>>], expected_rows: usize, cols: usize) -> Result<(), FheError> {
    let bad_row = rows.iter().position(|r| r.len() != cols);
    if rows.len() != expected_rows || bad_row.is_some() {
        let row = bad_row.unwrap_or(0);
        return Err(FheError::WrongShape {
            expected_rows,
            expected_cols: cols,
            found_rows: rows.len(),
            row,
            found_cols: rows.get(row).map_or(0, Vec::len),
        });
    }
    Ok(())
}

fn check_rows(rows: u32) -> Result<(), FheError> {
    if rows == 0 || rows > MAX_JOB_ROWS {
        return Err(FheError::InvalidParams(format!(
            "{rows} rows; 1..={MAX_JOB_ROWS} allowed"
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Data owner side

/// Data owner, job created: waiting to upload.
#[derive(Debug)]
pub struct ClientJob {
    job_id: JobId,
    model: ModelInfo,
    eval_key_digest: EvalKeyDigest,
    rows: u32,
}

/// Data owner, inputs uploaded: waiting for the result.
#[derive(Debug)]
#[cfg_attr(test, derive(Clone))]
pub struct ClientAwaitingResult {
    job_id: JobId,
    model: ModelInfo,
    eval_key_digest: EvalKeyDigest,
    rows: u32,
    inputs_digest: CtDigest,
}

impl ClientJob {
    /// Opens a job of `rows` rows on `model` (its commitment as read from the chain) with the
    /// evaluation key of `key`.
    pub fn create_with_rng<R: RngCore + CryptoRng>(
        model: ModelInfo,
        key: &DataOwnerKey,
        rows: u32,
        rng: &mut R,
    ) -> Result<(Self, CreateJob), FheError> {
        model.validate()?;
        check_rows(rows)?;
        let job = ClientJob {
            job_id: JobId::random_with_rng(rng),
            model,
            eval_key_digest: key.eval_key_digest(),
            rows,
        };
        let msg = CreateJob {
            job_id: job.job_id,
            model: job.model.clone(),
            eval_key_digest: job.eval_key_digest,
            rows,
        };
        Ok((job, msg))
    }

    /// [`Self::create_with_rng`] with the OS RNG.
    pub fn create(
        model: ModelInfo,
        key: &DataOwnerKey,
        rows: u32,
    ) -> Result<(Self, CreateJob), FheError> {
        Self::create_with_rng(model, key, rows, &mut rand_core::OsRng)
    }

    /// The job id.
    pub fn job_id(&self) -> JobId {
        self.job_id
    }

    /// Encrypts the rows (checked against the schema; rows encrypted in parallel).
    pub fn upload(
        self,
        key: &DataOwnerKey,
        data: &[Vec<i64>],
    ) -> Result<(ClientAwaitingResult, UploadInputs), FheError> {
        use rayon::prelude::*;
        check_key(&self.eval_key_digest, &key.eval_key_digest())?;
        if data.len() != self.rows as usize {
            return Err(FheError::InvalidParams(format!(
                "{} rows given, {} declared",
                data.len(),
                self.rows
            )));
        }
        let rows = data
            .par_iter()
            .map(|r| key.encrypt_row(&self.model.schema, r))
            .collect::<Result<Vec<_>, FheError>>()?;
        let digest = inputs_digest(&self.job_id, &self.eval_key_digest, &rows);
        let msg = UploadInputs {
            job_id: self.job_id,
            eval_key_digest: self.eval_key_digest,
            rows,
            inputs_digest: digest,
        };
        Ok((
            ClientAwaitingResult {
                job_id: self.job_id,
                model: self.model,
                eval_key_digest: self.eval_key_digest,
                rows: self.rows,
                inputs_digest: digest,
            },
            msg,
        ))
    }
}

impl ClientAwaitingResult {
    /// The job id.
    pub fn job_id(&self) -> JobId {
        self.job_id
    }

    /// Digest of the uploaded inputs.
    pub fn inputs_digest(&self) -> CtDigest {
        self.inputs_digest
    }

    /// Checks the result against this job (id, model commitment, key, input and output digests,
    /// shape) and decrypts it: one row of outputs per input row, in [`ModelInfo::outputs`] order.
    pub fn finish(
        self,
        key: &DataOwnerKey,
        msg: &ResultMsg,
    ) -> Result<(Vec<Vec<i64>>, JobRecord), FheError> {
        use rayon::prelude::*;
        check_job(&self.job_id, &msg.job_id)?;
        check_key(&self.eval_key_digest, &msg.eval_key_digest)?;
        check_key(&self.eval_key_digest, &key.eval_key_digest())?;
        if msg.model_commitment != self.model.commitment {
            return Err(FheError::ModelMismatch("commitment"));
        }
        if msg.inputs_digest != self.inputs_digest {
            return Err(FheError::DigestMismatch { what: "inputs" });
        }
        let outs: &[IntType] = &self.model.outputs;
        check_shape(&msg.rows, self.rows as usize, outs.len())?;
        if outputs_digest(&self.job_id, &self.inputs_digest, &msg.rows) != msg.outputs_digest {
            return Err(FheError::DigestMismatch { what: "outputs" });
        }
        let values = msg
            .rows
            .par_iter()
            .enumerate()
            .map(|(r, row)| {
                row.iter()
                    .zip(outs)
                    .enumerate()
                    .map(|(c, (bytes, ty))| key.decrypt_value(*ty, bytes, r, c))
                    .collect::<Result<Vec<i64>, FheError>>()
            })
            .collect::<Result<Vec<_>, FheError>>()?;
        let record = JobRecord {
            job_id: self.job_id,
            model_id: self.model.id,
            model_commitment: self.model.commitment,
            eval_key_digest: self.eval_key_digest,
            rows: self.rows,
            inputs_digest: self.inputs_digest,
            outputs_digest: msg.outputs_digest,
        };
        Ok((values, record))
    }
}

// ---------------------------------------------------------------------------------------------
// Provider side

/// Provider, job accepted: waiting for the inputs.
#[derive(Debug)]
#[cfg_attr(test, derive(Clone))]
pub struct ProviderJob {
    job_id: JobId,
    model: Arc<RegisteredModel>,
    key: Arc<ServerEvalKey>,
    rows: u32,
}

/// Provider, inputs received and checked: ready to evaluate (send it to a worker thread).
pub struct ReadyJob {
    job_id: JobId,
    model: Arc<RegisteredModel>,
    key: Arc<ServerEvalKey>,
    inputs: Vec<Vec<Ct>>,
    inputs_digest: CtDigest,
}

impl std::fmt::Debug for ReadyJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadyJob")
            .field("job_id", &self.job_id)
            .field("model", &self.model.model().id)
            .field("key", &self.key.digest())
            .field("rows", &self.inputs.len())
            .field("inputs_digest", &self.inputs_digest)
            .finish()
    }
}

impl ProviderJob {
    /// Accepts a job on `model` with the data owner's evaluation key `key` (looked up by the
    /// service from `msg.eval_key_digest` among that data owner's keys): the job must name
    /// exactly this model (id, commitment, schema, outputs) and key.
    pub fn accept(
        msg: &CreateJob,
        model: Arc<RegisteredModel>,
        key: Arc<ServerEvalKey>,
    ) -> Result<Self, FheError> {
        msg.model.validate()?;
        check_rows(msg.rows)?;
        let info = model.info();
        if msg.model.id != info.id {
            return Err(FheError::ModelMismatch("id"));
        }
        if msg.model.commitment != info.commitment {
            return Err(FheError::ModelMismatch("commitment"));
        }
        if msg.model.schema != info.schema {
            return Err(FheError::ModelMismatch("input schema"));
        }
        if msg.model.outputs != info.outputs {
            return Err(FheError::ModelMismatch("outputs"));
        }
        check_key(&key.digest(), &msg.eval_key_digest)?;
        Ok(ProviderJob {
            job_id: msg.job_id,
            model,
            key,
            rows: msg.rows,
        })
    }

    /// The job id.
    pub fn job_id(&self) -> JobId {
        self.job_id
    }

    /// Checks the upload (job, key, shape, digest) and decodes every ciphertext (size-bounded,
    /// typed by the schema, conformance-checked).
    pub fn receive_inputs(self, msg: UploadInputs) -> Result<ReadyJob, FheError> {
        use rayon::prelude::*;
        check_job(&self.job_id, &msg.job_id)?;
        check_key(&self.key.digest(), &msg.eval_key_digest)?;
        let schema = &self.model.model().schema;
        check_shape(&msg.rows, self.rows as usize, schema.len())?;
        if inputs_digest(&self.job_id, &msg.eval_key_digest, &msg.rows) != msg.inputs_digest {
            return Err(FheError::DigestMismatch { what: "inputs" });
        }
        let inputs = msg
            .rows
            .par_iter()
            .enumerate()
            .map(|(r, row)| {
                row.iter()
                    .zip(&schema.features)
                    .enumerate()
                    .map(|(c, (bytes, f))| ServerEvalKey::decode_input(f.ty, bytes, r, c))
                    .collect::<Result<Vec<Ct>, FheError>>()
            })
            .collect::<Result<Vec<_>, FheError>>()?;
        Ok(ReadyJob {
            job_id: self.job_id,
            model: self.model,
            key: self.key,
            inputs,
            inputs_digest: msg.inputs_digest,
        })
    }
}

impl ReadyJob {
    /// The job id.
    pub fn job_id(&self) -> JobId {
        self.job_id
    }

    /// Homomorphic operations the evaluation will count (the progress total).
    pub fn total_ops(&self) -> u64 {
        self.inputs.len() as u64 * self.model.model().ops_per_row()
    }

    /// Evaluates every row (blocking, CPU-bound: run it on a worker thread). `ctl` reports
    /// progress and carries cancellation and the deadline.
    pub fn evaluate(self, ctl: &EvalControl) -> Result<(ResultMsg, JobRecord), FheError> {
        use rayon::prelude::*;
        let model = self.model.model();
        let outs = eval_rows(self.key.sks(), model, &self.inputs, ctl)?;
        let rows = outs
            .into_par_iter()
            .map(|row| {
                row.into_iter()
                    .map(ServerEvalKey::encode_output)
                    .collect::<Result<Vec<_>, FheError>>()
            })
            .collect::<Result<Vec<_>, FheError>>()?;
        let outputs_digest = outputs_digest(&self.job_id, &self.inputs_digest, &rows);
        let record = JobRecord {
            job_id: self.job_id,
            model_id: model.id.clone(),
            model_commitment: self.model.commitment(),
            eval_key_digest: self.key.digest(),
            rows: rows.len() as u32,
            inputs_digest: self.inputs_digest,
            outputs_digest,
        };
        let msg = ResultMsg {
            job_id: self.job_id,
            model_commitment: self.model.commitment(),
            eval_key_digest: self.key.digest(),
            inputs_digest: self.inputs_digest,
            outputs_digest,
            rows,
        };
        Ok((msg, record))
    }
}
