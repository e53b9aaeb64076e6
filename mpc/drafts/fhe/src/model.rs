//! Models a provider registers, their input schema, validation, plaintext reference evaluation
//! and the hiding commitment the chain records.
//!
//! Nothing here touches tfhe: these types compile (and are tested) on their own terms, and the
//! encrypted evaluation in [`super::eval`] must agree with [`Model::evaluate_plain`] on every
//! admissible row.

use borsh::{BorshDeserialize, BorshSerialize};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::error::ModelError;
use super::transcript;

/// Most features an input schema may declare.
pub const MAX_FEATURES: usize = 64;
/// Longest model id or feature name, in bytes.
pub const MAX_NAME_LEN: usize = 64;
/// Deepest decision tree (splits on the longest root-to-leaf path).
pub const MAX_TREE_DEPTH: usize = 4;
/// Most nodes of a decision tree (a full tree of depth 4 has 31).
pub const MAX_TREE_NODES: usize = 31;
/// Most entries of a lookup table.
pub const MAX_TABLE_ENTRIES: usize = 256;
/// Largest weight magnitude of a linear model (2^32).
pub const MAX_WEIGHT: i64 = 1 << 32;
/// Version byte of the canonical model encoding (part of what is committed).
pub const MODEL_ENCODING_VERSION: u8 = 1;

/// Declared type of an encrypted value: a boolean or an integer of 8, 16 or 32 bits.
///
/// Each is a radix ciphertext of 2-bit blocks (`message_modulus = 4`): a boolean is one block,
/// an n-bit integer n/2 blocks. Signed types use two's complement.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    BorshSerialize,
    BorshDeserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum IntType {
    /// 0 or 1.
    Bool,
    /// 0 ..= 255.
    U8,
    /// 0 ..= 65,535.
    U16,
    /// 0 ..= 4,294,967,295.
    U32,
    /// -128 ..= 127.
    I8,
    /// -32,768 ..= 32,767.
    I16,
    /// -2,147,483,648 ..= 2,147,483,647.
    I32,
}

impl IntType {
    /// Bits of the radix representation (2 for a boolean: one block).
    pub fn bits(self) -> u32 {
        match self {
            IntType::Bool => 2,
            IntType::U8 | IntType::I8 => 8,
            IntType::U16 | IntType::I16 => 16,
            IntType::U32 | IntType::I32 => 32,
        }
    }

    /// Number of 2-bit radix blocks.
    pub fn blocks(self) -> usize {
        (self.bits() / 2) as usize
    }

    /// Whether the type is signed (two's complement).
    pub fn signed(self) -> bool {
        matches!(self, IntType::I8 | IntType::I16 | IntType::I32)
    }

    /// Smallest value.
    pub fn min(self) -> i64 {
        if self.signed() {
            -(1i64 << (self.bits() - 1))
        } else {
            0
        }
    }

    /// Largest value.
    pub fn max(self) -> i64 {
        match self {
            IntType::Bool => 1,
            t if t.signed() => (1i64 << (t.bits() - 1)) - 1,
            t => (1i64 << t.bits()) - 1,
        }
    }

    /// Whether `v` is a value of this type.
    pub fn contains(self, v: i64) -> bool {
        (self.min()..=self.max()).contains(&v)
    }

    /// `v` reduced modulo 2^bits (two's complement for negative values): the radix plaintext.
    pub fn encode(self, v: i64) -> u64 {
        (v as u64) & ((1u64 << self.bits()) - 1)
    }

    /// Name as in the schema (`u16`, `i8`, `bool`, ...).
    pub fn name(self) -> &'static str {
        match self {
            IntType::Bool => "bool",
            IntType::U8 => "u8",
            IntType::U16 => "u16",
            IntType::U32 => "u32",
            IntType::I8 => "i8",
            IntType::I16 => "i16",
            IntType::I32 => "i32",
        }
    }

    fn check(self, what: &'static str, v: i64) -> Result<(), ModelError> {
        if self.contains(v) {
            Ok(())
        } else {
            Err(ModelError::ConstantOutOfRange {
                what,
                value: v,
                ty: self.name().into(),
            })
        }
    }
}

impl std::fmt::Display for IntType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn check_name(what: &str, s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > MAX_NAME_LEN {
        return Err(format!("{what} must be 1..={MAX_NAME_LEN} bytes"));
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(format!("{what} may only use [A-Za-z0-9._-]"));
    }
    Ok(())
}

/// A model's id, unique per provider: 1 to 64 bytes of `[A-Za-z0-9._-]`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
#[serde(transparent)]
pub struct ModelId(String);

impl ModelId {
    /// Validates and wraps an id.
    pub fn new(id: impl Into<String>) -> Result<Self, ModelError> {
        let id = ModelId(id.into());
        id.validate()?;
        Ok(id)
    }

    /// Checks the id (ids from the wire are deserialised unchecked).
    pub fn validate(&self) -> Result<(), ModelError> {
        check_name("model id", &self.0).map_err(ModelError::InvalidId)
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ModelId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One input feature: its name and declared type.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
pub struct FeatureSpec {
    /// Column name (matched against the data owner's CSV header by the service layer).
    pub name: String,
    /// Declared type: the data owner encrypts at this width and in this range.
    #[serde(rename = "type")]
    pub ty: IntType,
}

/// The public input schema of a model: what the data owner must encrypt, in order.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
pub struct InputSchema {
    /// Features in column order.
    pub features: Vec<FeatureSpec>,
}

impl InputSchema {
    /// Validates and wraps a feature list.
    pub fn new(features: Vec<FeatureSpec>) -> Result<Self, ModelError> {
        let s = InputSchema { features };
        s.validate()?;
        Ok(s)
    }

    /// Checks the schema: 1..=64 features, valid and distinct names.
    pub fn validate(&self) -> Result<(), ModelError> {
        let n = self.features.len();
        if n == 0 || n > MAX_FEATURES {
            return Err(ModelError::InvalidSchema(format!(
                "{n} features; 1..={MAX_FEATURES} allowed"
            )));
        }
        let mut seen = std::collections::HashSet::new();
        for f in &self.features {
            check_name("feature name", &f.name).map_err(ModelError::InvalidSchema)?;
            if !seen.insert(f.name.as_str()) {
                return Err(ModelError::InvalidSchema(format!(
                    "feature {} declared twice",
                    f.name
                )));
            }
        }
        Ok(())
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether the schema has no feature (never true for a validated schema).
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// Checks a plaintext row against the schema (width and each value's range).
    pub fn check_row(&self, row: &[i64]) -> Result<(), ModelError> {
        if row.len() != self.features.len() {
            return Err(ModelError::RowWidth {
                expected: self.features.len(),
                found: row.len(),
            });
        }
        for (index, (v, f)) in row.iter().zip(&self.features).enumerate() {
            if !f.ty.contains(*v) {
                return Err(ModelError::InputOutOfRange {
                    index,
                    ty: f.ty.name().into(),
                });
            }
        }
        Ok(())
    }

    fn feature(&self, index: u16) -> Result<&FeatureSpec, ModelError> {
        self.features
            .get(index as usize)
            .ok_or(ModelError::FeatureOutOfRange {
                index: index as usize,
                features: self.features.len(),
            })
    }
}

/// What a linear model returns.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    BorshSerialize,
    BorshDeserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum LinearOutput {
    /// Only the decision `score >= threshold` (a boolean): the least the data owner learns.
    Decision,
    /// Only the score.
    Score,
    /// The score, then the decision.
    ScoreAndDecision,
}

/// `score = bias + Σ weight_i · x_i`; `decision = score >= threshold`.
///
/// The score is computed modulo 2^bits of `score` (that is what the encrypted evaluation does);
/// validation proves the exact score of every admissible row lies inside the score type, so the
/// modular result equals the integer one.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
pub struct LinearModel {
    /// One weight per feature, |w| <= 2^32.
    pub weights: Vec<i64>,
    /// Constant term.
    pub bias: i64,
    /// Decision threshold (a value of the score type).
    pub threshold: i64,
    /// Type the score is computed in (not `bool`).
    pub score: IntType,
    /// What is returned.
    pub output: LinearOutput,
}

/// A node of a decision tree; node 0 is the root.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TreeNode {
    /// Go to `left` if `x[feature] <= threshold`, else to `right`.
    Split {
        /// Feature index.
        feature: u16,
        /// Split point (a value of the feature's type).
        threshold: i64,
        /// Node index taken when `x[feature] <= threshold`.
        left: u16,
        /// Node index taken otherwise.
        right: u16,
    },
    /// Output `value`.
    Leaf {
        /// A value of the tree's output type.
        value: i64,
    },
}

/// A decision tree of depth <= 4 over integer features.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
pub struct TreeModel {
    /// Nodes; index 0 is the root; every node is reachable exactly once.
    pub nodes: Vec<TreeNode>,
    /// Output type of the leaves.
    pub output: IntType,
}

/// A lookup table on one feature: `table[x[feature]]`, or `default` for keys not listed.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
pub struct LookupModel {
    /// Feature index.
    pub feature: u16,
    /// `(key, value)` pairs, keys strictly ascending (one canonical form per table).
    pub entries: Vec<(i64, i64)>,
    /// Value for a key not in the table.
    pub default: i64,
    /// Output type of the values.
    pub output: IntType,
}

/// The three model kinds.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelKind {
    /// Linear score with a threshold decision.
    Linear(LinearModel),
    /// Decision tree.
    Tree(TreeModel),
    /// Lookup table on one feature.
    Lookup(LookupModel),
}

/// A provider's model: id, public input schema and the (private) model itself.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
pub struct Model {
    /// Id, unique per provider.
    pub id: ModelId,
    /// Input schema (public).
    pub schema: InputSchema,
    /// The model (private to the provider).
    pub model: ModelKind,
}

impl Model {
    /// Validates and builds a model.
    pub fn new(id: ModelId, schema: InputSchema, model: ModelKind) -> Result<Self, ModelError> {
        let m = Model { id, schema, model };
        m.validate()?;
        Ok(m)
    }

    /// Checks everything: id, schema, and that the model is well formed for the schema and
    /// that every constant fits the type it meets (so encrypted and plaintext evaluation agree).
    pub fn validate(&self) -> Result<(), ModelError> {
        self.id.validate()?;
        self.schema.validate()?;
        match &self.model {
            ModelKind::Linear(m) => validate_linear(&self.schema, m),
            ModelKind::Tree(m) => validate_tree(&self.schema, m),
            ModelKind::Lookup(m) => validate_lookup(&self.schema, m),
        }
    }

    /// Types of the outputs, in order.
    pub fn outputs(&self) -> Vec<IntType> {
        match &self.model {
            ModelKind::Linear(m) => match m.output {
                LinearOutput::Decision => vec![IntType::Bool],
                LinearOutput::Score => vec![m.score],
                LinearOutput::ScoreAndDecision => vec![m.score, IntType::Bool],
            },
            ModelKind::Tree(m) => vec![m.output],
            ModelKind::Lookup(m) => vec![m.output],
        }
    }

    /// Plaintext reference evaluation of one row (values checked against the schema).
    pub fn evaluate_plain(&self, row: &[i64]) -> Result<Vec<i64>, ModelError> {
        self.schema.check_row(row)?;
        Ok(match &self.model {
            ModelKind::Linear(m) => {
                let score = m.bias as i128
                    + m.weights
                        .iter()
                        .zip(row)
                        .map(|(w, x)| *w as i128 * *x as i128)
                        .sum::<i128>();
                // Validation guarantees the score fits its type (hence i64).
                let score = score as i64;
                let decision = (score >= m.threshold) as i64;
                match m.output {
                    LinearOutput::Decision => vec![decision],
                    LinearOutput::Score => vec![score],
                    LinearOutput::ScoreAndDecision => vec![score, decision],
                }
            }
            ModelKind::Tree(m) => {
                let mut i = 0usize;
                // Validation guarantees termination within MAX_TREE_DEPTH steps.
                loop {
                    match &m.nodes[i] {
                        TreeNode::Leaf { value } => break vec![*value],
                        TreeNode::Split {
                            feature,
                            threshold,
                            left,
                            right,
                        } => {
                            i = if row[*feature as usize] <= *threshold {
                                *left as usize
                            } else {
                                *right as usize
                            }
                        }
                    }
                }
            }
            ModelKind::Lookup(m) => {
                let x = row[m.feature as usize];
                let v = m
                    .entries
                    .binary_search_by_key(&x, |(k, _)| *k)
                    .map(|i| m.entries[i].1)
                    .unwrap_or(m.default);
                vec![v]
            }
        })
    }

    /// Canonical bytes: version byte, then the borsh encoding (deterministic; table keys are
    /// sorted and tree nodes ordered by index, so one model has one encoding).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = vec![MODEL_ENCODING_VERSION];
        // Writing into a Vec cannot fail.
        BorshSerialize::serialize(self, &mut out).expect("borsh into a Vec");
        out
    }

    /// Number of homomorphic operations one row costs (the unit of job progress).
    pub fn ops_per_row(&self) -> u64 {
        let body = match &self.model {
            // one cast-and-multiply per non-zero weight, the sum, the bias, and the comparison
            // when the decision is returned
            ModelKind::Linear(m) => {
                m.weights.iter().filter(|w| **w != 0).count() as u64
                    + 2
                    + u64::from(m.output != LinearOutput::Score)
            }
            // one comparison and one select per split
            ModelKind::Tree(m) => {
                2 * m
                    .nodes
                    .iter()
                    .filter(|n| matches!(n, TreeNode::Split { .. }))
                    .count() as u64
            }
            ModelKind::Lookup(_) => 1,
        };
        // plus one output refresh per output
        body + self.outputs().len() as u64
    }
}

fn validate_linear(schema: &InputSchema, m: &LinearModel) -> Result<(), ModelError> {
    if m.weights.len() != schema.len() {
        return Err(ModelError::WeightCount {
            expected: schema.len(),
            found: m.weights.len(),
        });
    }
    if m.score == IntType::Bool {
        return Err(ModelError::TypeNotAllowed {
            what: "a linear score",
            ty: m.score.name().into(),
        });
    }
    let mut lo = m.bias as i128;
    let mut hi = m.bias as i128;
    for (w, f) in m.weights.iter().zip(&schema.features) {
        if w.unsigned_abs() > MAX_WEIGHT as u64 {
            return Err(ModelError::ConstantOutOfRange {
                what: "weight",
                value: *w,
                ty: "[-2^32, 2^32]".into(),
            });
        }
        let a = *w as i128 * f.ty.min() as i128;
        let b = *w as i128 * f.ty.max() as i128;
        lo += a.min(b);
        hi += a.max(b);
    }
    if lo < m.score.min() as i128 || hi > m.score.max() as i128 {
        return Err(ModelError::ScoreOverflow {
            min: lo,
            max: hi,
            ty: m.score.name().into(),
        });
    }
    m.score.check("threshold", m.threshold)
}

fn validate_tree(schema: &InputSchema, m: &TreeModel) -> Result<(), ModelError> {
    let n = m.nodes.len();
    if n == 0 || n > MAX_TREE_NODES {
        return Err(ModelError::MalformedTree(format!(
            "{n} nodes; 1..={MAX_TREE_NODES} allowed"
        )));
    }
    let mut seen = vec![false; n];
    // (node, depth in splits above it)
    let mut stack = vec![(0usize, 0usize)];
    seen[0] = true;
    while let Some((i, depth)) = stack.pop() {
        match &m.nodes[i] {
            TreeNode::Leaf { value } => m.output.check("leaf value", *value)?,
            TreeNode::Split {
                feature,
                threshold,
                left,
                right,
            } => {
                if depth + 1 > MAX_TREE_DEPTH {
                    return Err(ModelError::TreeTooDeep {
                        depth: depth + 1,
                        limit: MAX_TREE_DEPTH,
                    });
                }
                schema
                    .feature(*feature)?
                    .ty
                    .check("split threshold", *threshold)?;
                for c in [*left as usize, *right as usize] {
                    if c >= n {
                        return Err(ModelError::MalformedTree(format!(
                            "node {i} points to node {c} of {n}"
                        )));
                    }
                    if std::mem::replace(&mut seen[c], true) {
                        return Err(ModelError::MalformedTree(format!(
                            "node {c} is reached twice"
                        )));
                    }
                    stack.push((c, depth + 1));
                }
            }
        }
    }
    if let Some(i) = seen.iter().position(|s| !s) {
        return Err(ModelError::MalformedTree(format!(
            "node {i} is unreachable"
        )));
    }
    Ok(())
}

fn validate_lookup(schema: &InputSchema, m: &LookupModel) -> Result<(), ModelError> {
    let fty = schema.feature(m.feature)?.ty;
    if m.entries.len() > MAX_TABLE_ENTRIES {
        return Err(ModelError::MalformedTable(format!(
            "{} entries; at most {MAX_TABLE_ENTRIES}",
            m.entries.len()
        )));
    }
    if m.entries.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(ModelError::MalformedTable(
            "keys must be strictly ascending".into(),
        ));
    }
    for (k, v) in &m.entries {
        fty.check("table key", *k)?;
        m.output.check("table value", *v)?;
    }
    m.output.check("default value", m.default)
}

/// Hiding, binding commitment to a model: `SHA-256(label, canonical bytes, r)` with 256-bit `r`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    BorshSerialize,
    BorshDeserialize,
)]
#[serde(transparent)]
pub struct ModelCommitment(#[serde(with = "hex::serde")] pub [u8; 32]);

/// The commitment's randomness, kept by the provider (to open the commitment to an auditor).
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct ModelOpening(#[serde(with = "hex::serde")] [u8; 32]);

impl std::fmt::Debug for ModelOpening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ModelOpening(<redacted>)")
    }
}

impl ModelOpening {
    /// Wraps stored randomness.
    pub fn from_bytes(r: [u8; 32]) -> Self {
        ModelOpening(r)
    }

    /// The randomness (to store or to hand to an auditor).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl ModelCommitment {
    /// Commits to `model` with fresh randomness from `rng`.
    pub fn commit_with_rng<R: RngCore + CryptoRng>(
        model: &Model,
        rng: &mut R,
    ) -> (ModelCommitment, ModelOpening) {
        let mut r = [0u8; 32];
        rng.fill_bytes(&mut r);
        let opening = ModelOpening(r);
        r.zeroize();
        (Self::compute(model, &opening), opening)
    }

    /// Commits with randomness from the OS.
    pub fn commit(model: &Model) -> (ModelCommitment, ModelOpening) {
        Self::commit_with_rng(model, &mut rand_core::OsRng)
    }

    fn compute(model: &Model, opening: &ModelOpening) -> ModelCommitment {
        ModelCommitment(transcript::hash_parts(
            transcript::MODEL_COMMITMENT,
            &[&model.canonical_bytes(), &opening.0],
        ))
    }

    /// Checks that `(model, opening)` opens this commitment (constant-time comparison).
    pub fn verify(&self, model: &Model, opening: &ModelOpening) -> Result<(), ModelError> {
        let c = Self::compute(model, opening);
        if bool::from(c.0.ct_eq(&self.0)) {
            Ok(())
        } else {
            Err(ModelError::BadOpening)
        }
    }
}

/// What a provider publishes about a model (and a data owner names in a job): everything but
/// the model itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize)]
pub struct ModelInfo {
    /// Model id.
    pub id: ModelId,
    /// Commitment recorded on chain.
    pub commitment: ModelCommitment,
    /// Input schema.
    pub schema: InputSchema,
    /// Output types, in order.
    pub outputs: Vec<IntType>,
}

impl ModelInfo {
    /// Checks the id and schema (for an info received from a peer) and bounds the outputs.
    pub fn validate(&self) -> Result<(), ModelError> {
        self.id.validate()?;
        self.schema.validate()?;
        if self.outputs.is_empty() || self.outputs.len() > 2 {
            return Err(ModelError::InvalidSchema(format!(
                "{} outputs; 1 or 2 allowed",
                self.outputs.len()
            )));
        }
        Ok(())
    }
}

/// A model as the provider keeps it: the validated model and its commitment opening.
#[derive(Debug, Clone)]
pub struct RegisteredModel {
    model: Model,
    commitment: ModelCommitment,
    opening: ModelOpening,
}

impl RegisteredModel {
    /// Validates the model and commits to it with fresh randomness from `rng`.
    pub fn register_with_rng<R: RngCore + CryptoRng>(
        model: Model,
        rng: &mut R,
    ) -> Result<Self, ModelError> {
        model.validate()?;
        let (commitment, opening) = ModelCommitment::commit_with_rng(&model, rng);
        Ok(RegisteredModel {
            model,
            commitment,
            opening,
        })
    }

    /// [`Self::register_with_rng`] with the OS RNG.
    pub fn register(model: Model) -> Result<Self, ModelError> {
        Self::register_with_rng(model, &mut rand_core::OsRng)
    }

    /// Rebuilds a stored registration, checking the model and the opening.
    pub fn from_parts(
        model: Model,
        commitment: ModelCommitment,
        opening: ModelOpening,
    ) -> Result<Self, ModelError> {
        model.validate()?;
        commitment.verify(&model, &opening)?;
        Ok(RegisteredModel {
            model,
            commitment,
            opening,
        })
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The commitment (what goes on chain).
    pub fn commitment(&self) -> ModelCommitment {
        self.commitment
    }

    /// The opening (kept by the provider).
    pub fn opening(&self) -> &ModelOpening {
        &self.opening
    }

    /// The public description.
    pub fn info(&self) -> ModelInfo {
        ModelInfo {
            id: self.model.id.clone(),
            commitment: self.commitment,
            schema: self.model.schema.clone(),
            outputs: self.model.outputs(),
        }
    }
}
