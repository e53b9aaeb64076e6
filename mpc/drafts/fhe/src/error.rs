//! Errors of the FHE layer: [`ModelError`] for models and plaintext values (no tfhe involved),
//! [`FheError`] for keys, ciphertexts, the job protocol and encrypted evaluation.

/// Why a model, a schema or a plaintext value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The model id is empty, too long or uses characters outside `[A-Za-z0-9._-]`.
    #[error("invalid model id: {0}")]
    InvalidId(String),
    /// The input schema is empty, too wide, or a feature name is empty, too long or repeated.
    #[error("invalid input schema: {0}")]
    InvalidSchema(String),
    /// A feature index points outside the input schema.
    #[error("feature index {index} outside the schema of {features} features")]
    FeatureOutOfRange {
        /// Index used by the model.
        index: usize,
        /// Number of features in the schema.
        features: usize,
    },
    /// The linear model has not one weight per feature.
    #[error("linear model has {found} weights for {expected} features")]
    WeightCount {
        /// Number of features.
        expected: usize,
        /// Number of weights.
        found: usize,
    },
    /// The score can leave the range of its declared type for some admissible input, so the
    /// encrypted (modular) result could differ from the plaintext one. Widen the score type.
    #[error("score range [{min}, {max}] does not fit the declared score type {ty}")]
    ScoreOverflow {
        /// Smallest reachable score.
        min: i128,
        /// Largest reachable score.
        max: i128,
        /// Declared type.
        ty: String,
    },
    /// A constant of the model (threshold, split point, table key, leaf or table value) lies
    /// outside the range of the type it is compared with or stored in.
    #[error("{what} {value} outside the range of {ty}")]
    ConstantOutOfRange {
        /// Which constant.
        what: &'static str,
        /// Its value.
        value: i64,
        /// The type it must fit.
        ty: String,
    },
    /// The decision tree is malformed: a child index out of bounds, a node reached twice, an
    /// unreachable node, or too many nodes.
    #[error("malformed tree: {0}")]
    MalformedTree(String),
    /// The decision tree is deeper than allowed.
    #[error("tree depth {depth} exceeds the limit of {limit}")]
    TreeTooDeep {
        /// Depth found (splits on the longest root-to-leaf path).
        depth: usize,
        /// Limit.
        limit: usize,
    },
    /// The lookup table has too many entries or a repeated key.
    #[error("malformed lookup table: {0}")]
    MalformedTable(String),
    /// The type is not allowed where it is used (a boolean score type, for instance).
    #[error("type {ty} not allowed for {what}")]
    TypeNotAllowed {
        /// Where.
        what: &'static str,
        /// Type found.
        ty: String,
    },
    /// A row has not one value per feature.
    #[error("row has {found} values for {expected} features")]
    RowWidth {
        /// Features in the schema.
        expected: usize,
        /// Values in the row.
        found: usize,
    },
    /// An input value lies outside the range of its feature's declared type.
    #[error("value of feature {index} outside the range of {ty}")]
    InputOutOfRange {
        /// Feature index (the value itself is not echoed: it is private data).
        index: usize,
        /// Declared type.
        ty: String,
    },
    /// The commitment opening does not match the model.
    #[error("model does not match its commitment")]
    BadOpening,
}

impl ModelError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            ModelError::InvalidId(_) => "fhe_model_invalid_id",
            ModelError::InvalidSchema(_) => "fhe_model_invalid_schema",
            ModelError::FeatureOutOfRange { .. } => "fhe_model_feature_out_of_range",
            ModelError::WeightCount { .. } => "fhe_model_weight_count",
            ModelError::ScoreOverflow { .. } => "fhe_model_score_overflow",
            ModelError::ConstantOutOfRange { .. } => "fhe_model_constant_out_of_range",
            ModelError::MalformedTree(_) => "fhe_model_malformed_tree",
            ModelError::TreeTooDeep { .. } => "fhe_model_tree_too_deep",
            ModelError::MalformedTable(_) => "fhe_model_malformed_table",
            ModelError::TypeNotAllowed { .. } => "fhe_model_type_not_allowed",
            ModelError::RowWidth { .. } => "fhe_row_width",
            ModelError::InputOutOfRange { .. } => "fhe_input_out_of_range",
            ModelError::BadOpening => "fhe_model_bad_opening",
        }
    }
}

/// Why a key, a ciphertext, a job message or an evaluation was refused. Every variant is a final
/// verdict on the job: the state that returned it has been consumed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FheError {
    /// The model, schema or a plaintext value was refused.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A message carried another job's id (replayed or misrouted).
    #[error("message belongs to job {found}, expected {expected}")]
    WrongJob {
        /// This job's id (hex).
        expected: String,
        /// Id in the message (hex).
        found: String,
    },
    /// A message or key referred to another evaluation key than the one of this job.
    #[error("evaluation key {found} does not match the job's key {expected}")]
    WrongEvalKey {
        /// Digest this job uses (hex).
        expected: String,
        /// Digest found (hex).
        found: String,
    },
    /// The job names a model (id, commitment, schema or outputs) that is not the registered one.
    #[error("job does not match the registered model: {0}")]
    ModelMismatch(&'static str),
    /// A digest carried in a message does not match the content it covers (tampered or
    /// corrupted ciphertexts, or a result for other inputs).
    #[error("{what} digest does not match")]
    DigestMismatch {
        /// Which digest: `inputs`, `outputs`, `eval key` or `model commitment`.
        what: &'static str,
    },
    /// The number of rows or of ciphertexts per row differs from what the job declared.
    #[error("wrong shape: expected {expected_rows} rows of {expected_cols}, found {found_rows} rows (row {row} has {found_cols})")]
    WrongShape {
        /// Rows declared.
        expected_rows: usize,
        /// Ciphertexts per row expected.
        expected_cols: usize,
        /// Rows received.
        found_rows: usize,
        /// First offending row (or 0).
        row: usize,
        /// Ciphertexts in that row.
        found_cols: usize,
    },
    /// A ciphertext could not be decoded, has the wrong type or number of blocks, or does not
    /// conform to the parameter set.
    #[error("ciphertext at row {row}, column {column} is malformed")]
    MalformedCiphertext {
        /// Row.
        row: usize,
        /// Column (feature or output index).
        column: usize,
    },
    /// A decrypted output is not a value of its declared type (a boolean other than 0/1).
    #[error("decrypted output at row {row}, column {column} is not a value of its type")]
    BadPlaintext {
        /// Row.
        row: usize,
        /// Output index.
        column: usize,
    },
    /// Something to decode exceeds its size limit.
    #[error("{what} of {size} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// What.
        what: &'static str,
        /// Size found.
        size: u64,
        /// Limit.
        limit: u64,
    },
    /// A key could not be decoded or does not conform to the parameter set.
    #[error("malformed {0}")]
    MalformedKey(&'static str),
    /// A message could not be decoded.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// Job parameters are out of bounds (zero rows, too many rows).
    #[error("invalid job parameters: {0}")]
    InvalidParams(String),
    /// The evaluation was cancelled.
    #[error("evaluation cancelled")]
    Cancelled,
    /// The evaluation passed its deadline.
    #[error("evaluation exceeded its deadline")]
    DeadlineExceeded,
    /// Serialising our own value failed (a bug or a limit set too low).
    #[error("internal serialisation failure: {0}")]
    Internal(String),
}

impl FheError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            FheError::Model(e) => e.code(),
            FheError::WrongJob { .. } => "fhe_wrong_job",
            FheError::WrongEvalKey { .. } => "fhe_wrong_eval_key",
            FheError::ModelMismatch(_) => "fhe_model_mismatch",
            FheError::DigestMismatch { .. } => "fhe_digest_mismatch",
            FheError::WrongShape { .. } => "fhe_wrong_shape",
            FheError::MalformedCiphertext { .. } => "fhe_malformed_ciphertext",
            FheError::BadPlaintext { .. } => "fhe_bad_plaintext",
            FheError::TooLarge { .. } => "fhe_too_large",
            FheError::MalformedKey(_) => "fhe_malformed_key",
            FheError::Malformed(_) => "fhe_malformed_message",
            FheError::InvalidParams(_) => "fhe_invalid_params",
            FheError::Cancelled => "fhe_cancelled",
            FheError::DeadlineExceeded => "fhe_deadline_exceeded",
            FheError::Internal(_) => "fhe_internal",
        }
    }
}
