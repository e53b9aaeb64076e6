//! Errors of the joint-computation layer (job specs, inputs and the aggregation protocol).

/// Why a job spec, an input or a protocol step was refused. Every variant is final for the
/// object that returned it: a refused spec is not registered, a refused input is not shared, a
/// protocol state that returned an error must be dropped (the job fails, never a wrong result).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComputeError {
    /// The job spec JSON could not be parsed (syntax, unknown field, wrong type, too large).
    #[error("job spec is not valid JSON for this schema: {0}")]
    SpecSyntax(String),
    /// The job spec parsed but breaks a rule (field named in the message).
    #[error("invalid job spec: {field}: {reason}")]
    InvalidSpec {
        /// Path of the offending field, e.g. `parties[2].input.min`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The declared ranges, row counts and party count could overflow the largest ring
    /// (Z_{2^128}): the job is refused before anyone computes.
    #[error("job could overflow: {what} needs {bits_needed} bits, at most 127 are available")]
    Overflow {
        /// Which aggregate slot (e.g. `sum of squares`).
        what: String,
        /// Bits needed for its worst-case magnitude, plus the sign bit.
        bits_needed: u64,
    },
    /// An input file could not be read or has no usable header.
    #[error("input: {0}")]
    Input(String),
    /// A data row is malformed (ragged row, bad number, too many fractional digits, unknown
    /// category). The value itself is never echoed.
    #[error("input row {row}: {reason}")]
    BadRow {
        /// 1-based line number in the file (the header is line 1).
        row: u64,
        /// What is wrong with the row.
        reason: String,
    },
    /// A value lies outside the party's declared range: refused, never clamped.
    #[error("input row {row}: value outside the declared range [{min}, {max}]")]
    OutOfRange {
        /// 1-based line number (or 0-based index for in-memory inputs).
        row: u64,
        /// Declared minimum, as written in the spec.
        min: String,
        /// Declared maximum, as written in the spec.
        max: String,
    },
    /// The input has more rows than the party declared (`max_rows`).
    #[error("input has more than the declared {max_rows} rows")]
    TooManyRows {
        /// Declared bound.
        max_rows: u64,
    },
    /// A party index or DID is not part of this job.
    #[error("not a party of this job: {0}")]
    UnknownParty(String),
    /// A message carried another job's hash (replayed or misrouted).
    #[error("message belongs to job {found}, expected {expected}")]
    WrongJob {
        /// This job's hash (hex).
        expected: String,
        /// Hash in the message (hex).
        found: String,
    },
    /// A message is for another round than the one this state accepts (replayed from an
    /// earlier round, or sent too early).
    #[error("message for round {found}, this state accepts round {expected}")]
    WrongRound {
        /// Round this state accepts.
        expected: String,
        /// Round in the message.
        found: String,
    },
    /// A message is addressed to another party, or claims an impossible sender.
    #[error("message from party {from} to party {to} is misaddressed (this is party {me})")]
    Misaddressed {
        /// Sender index in the message.
        from: u64,
        /// Receiver index in the message.
        to: u64,
        /// This party's index.
        me: u64,
    },
    /// A second message from the same sender in the same round (replay or equivocation).
    #[error("duplicate round-{round} message from party {from}")]
    Duplicate {
        /// Sender index.
        from: u64,
        /// Round name.
        round: String,
    },
    /// A message could not be decoded or has the wrong length or element width.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// A party did not deliver its message for a round: the job fails, naming it.
    #[error("party {index} ({did}) did not deliver its round-{round} message")]
    MissingParty {
        /// Index of the missing party in the job spec.
        index: u64,
        /// Its DID.
        did: String,
        /// Round name.
        round: String,
    },
    /// A reconstructed aggregate exceeds the bound implied by the declared ranges: some party
    /// contributed a value it could not honestly hold. No result is returned.
    #[error("reconstructed {what} is outside its declared bound: a party misbehaved")]
    AggregateOutOfBound {
        /// Which aggregate slot.
        what: String,
    },
    /// A local aggregate does not have the job's layout (wrong party, slot count or bound).
    #[error("local aggregate does not match the job: {0}")]
    BadAggregate(String),
}

impl ComputeError {
    /// Stable machine code for this error (for the HTTP problem type and the chain's failure
    /// reason).
    pub fn code(&self) -> &'static str {
        match self {
            ComputeError::SpecSyntax(_) => "compute.spec_syntax",
            ComputeError::InvalidSpec { .. } => "compute.invalid_spec",
            ComputeError::Overflow { .. } => "compute.overflow",
            ComputeError::Input(_) => "compute.input",
            ComputeError::BadRow { .. } => "compute.bad_row",
            ComputeError::OutOfRange { .. } => "compute.out_of_range",
            ComputeError::TooManyRows { .. } => "compute.too_many_rows",
            ComputeError::UnknownParty(_) => "compute.unknown_party",
            ComputeError::WrongJob { .. } => "compute.wrong_job",
            ComputeError::WrongRound { .. } => "compute.wrong_round",
            ComputeError::Misaddressed { .. } => "compute.misaddressed",
            ComputeError::Duplicate { .. } => "compute.duplicate",
            ComputeError::Malformed(_) => "compute.malformed",
            ComputeError::MissingParty { .. } => "compute.missing_party",
            ComputeError::AggregateOutOfBound { .. } => "compute.aggregate_out_of_bound",
            ComputeError::BadAggregate(_) => "compute.bad_aggregate",
        }
    }

    pub(crate) fn spec(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ComputeError::InvalidSpec {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
