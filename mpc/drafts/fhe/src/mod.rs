//! Encrypted computation jobs on tfhe (feature `fhe`): a data owner encrypts rows under its own
//! key, a model provider evaluates a committed model on the ciphertexts with the data owner's
//! evaluation key, and only the data owner decrypts.
//!
//! - [`model`]: the models a provider registers (linear score with threshold, decision tree of
//!   depth <= 4, lookup table), their public input schema, validation, plaintext reference
//!   evaluation, and the hiding commitment recorded on chain.
//! - [`keys`]: the data owner's client key (never leaves it; sealed-bytes form for the keystore;
//!   zeroized on drop), the compressed evaluation key uploaded once per provider and referenced
//!   by digest, and the provider's expanded key.
//! - [`job`]: the public protocol messages and the typestate of both sides, from `CreateJob` to
//!   the decrypted result and the [`JobRecord`] both parties sign.
//! - [`EvalControl`]: progress (operations done / total), cancellation and deadline of an
//!   evaluation that runs off the request path.
//!
//! Parameters, security level, failure probability and what each party learns:
//! `mpc/docs/notes-fhe.md`.
//!
//! **Status (2026-12-06): draft, not yet compiled.** Written against tfhe 1.8.2's integer API;
//! the first `--features fhe` build (tfhe from scratch on the shared two-core machine) had not
//! finished by the session deadline, so neither this module nor its tests have been compiled
//! or run. The default build does not include it. Done when
//! `cargo test -p weft-mpc --features fhe --lib fhe::` passes.
//!
//! ```no_run
//! # use weft_mpc::fhe::*;
//! # fn run(model: Model, rows: Vec<Vec<i64>>) -> Result<(), FheError> {
//! // provider: register a model (commitment goes on chain)
//! let registered = std::sync::Arc::new(RegisteredModel::register(model)?);
//! // data owner: one key per provider; upload the evaluation key once
//! let (key, eval_key) = DataOwnerKey::generate()?;
//! let server_key = std::sync::Arc::new(ServerEvalKey::from_eval_key(&eval_key)?);
//! // a job
//! let (client, create) = ClientJob::create(registered.info(), &key, rows.len() as u32)?;
//! let provider = ProviderJob::accept(&create, registered.clone(), server_key)?;
//! let (client, upload) = client.upload(&key, &rows)?;
//! let ready = provider.receive_inputs(upload)?;
//! let (result, _record) = ready.evaluate(&EvalControl::new())?;
//! let (outputs, _record) = client.finish(&key, &result)?;
//! # Ok(()) }
//! ```

mod error;
mod eval;
pub mod job;
pub mod keys;
pub mod model;
mod transcript;
mod wire;

#[cfg(test)]
mod tests;

pub use error::{FheError, ModelError};
pub use eval::{EvalControl, Progress};
pub use job::{
    ClientAwaitingResult, ClientJob, CreateJob, CtDigest, JobId, JobMessage, JobRecord,
    ProviderJob, ReadyJob, ResultMsg, UploadInputs,
};
pub use keys::{DataOwnerKey, EvalKey, EvalKeyDigest, KeySizes, ServerEvalKey, PARAMETER_SET};
pub use model::{
    FeatureSpec, InputSchema, IntType, LinearModel, LinearOutput, LookupModel, Model,
    ModelCommitment, ModelId, ModelInfo, ModelKind, ModelOpening, RegisteredModel, TreeModel,
    TreeNode,
};
