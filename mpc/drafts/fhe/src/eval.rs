//! Encrypted evaluation of the three model kinds on tfhe's integer API, with progress,
//! cancellation and a deadline checked between homomorphic operations.
//!
//! All work uses the integer `ServerKey` directly (no thread-local key as in tfhe's high-level
//! API), so any number of jobs with different keys can share one rayon pool. Rows of a batch run
//! in parallel; inside a row, independent operations (the products of a linear model, the
//! comparisons and the two subtrees of a tree) run in parallel too.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tfhe::integer::prelude::ServerKeyDefaultCMux;
use tfhe::integer::server_key::MatchValues;
use tfhe::integer::{
    BooleanBlock, IntegerCiphertext, IntegerRadixCiphertext, RadixCiphertext, ServerKey,
    SignedRadixCiphertext,
};

use super::error::FheError;
use super::model::{
    IntType, LinearModel, LinearOutput, LookupModel, Model, ModelKind, TreeModel, TreeNode,
};

/// An encrypted value inside an evaluation.
#[derive(Clone)]
pub(crate) enum Ct {
    U(RadixCiphertext),
    S(SignedRadixCiphertext),
}

/// Progress of an evaluation: homomorphic operations done out of the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Operations done.
    pub done: u64,
    /// Operations in the whole job (0 until the evaluation starts).
    pub total: u64,
}

#[derive(Debug, Default)]
struct ControlInner {
    done: AtomicU64,
    total: AtomicU64,
    cancelled: AtomicBool,
    deadline: Option<Instant>,
}

/// Shared handle on a running evaluation: the service keeps a clone to report progress and to
/// cancel; the evaluation counts operations and checks cancellation and the deadline between
/// operations (one operation is at most a few hundred milliseconds on two cores).
#[derive(Debug, Clone, Default)]
pub struct EvalControl(Arc<ControlInner>);

impl EvalControl {
    /// A control without deadline.
    pub fn new() -> Self {
        Self::default()
    }

    /// A control whose evaluation fails with [`FheError::DeadlineExceeded`] after `deadline`.
    pub fn with_deadline(deadline: Instant) -> Self {
        EvalControl(Arc::new(ControlInner {
            deadline: Some(deadline),
            ..ControlInner::default()
        }))
    }

    /// Operations done and total.
    pub fn progress(&self) -> Progress {
        Progress {
            done: self.0.done.load(Ordering::Relaxed),
            total: self.0.total.load(Ordering::Relaxed),
        }
    }

    /// Asks the evaluation to stop; it returns [`FheError::Cancelled`] at its next check.
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether [`Self::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::Relaxed)
    }

    pub(crate) fn start(&self, total: u64) {
        self.0.done.store(0, Ordering::Relaxed);
        self.0.total.store(total, Ordering::Relaxed);
    }

    /// Checks cancellation and the deadline.
    pub(crate) fn check(&self) -> Result<(), FheError> {
        if self.is_cancelled() {
            return Err(FheError::Cancelled);
        }
        if let Some(d) = self.0.deadline {
            if Instant::now() >= d {
                return Err(FheError::DeadlineExceeded);
            }
        }
        Ok(())
    }

    /// Runs one operation: check, run, count.
    fn op<T>(&self, f: impl FnOnce() -> T) -> Result<T, FheError> {
        self.check()?;
        let out = f();
        self.0.done.fetch_add(1, Ordering::Relaxed);
        Ok(out)
    }
}

/// The arithmetic domain of a result: unsigned or signed radix of a given width.
trait Domain: IntegerRadixCiphertext + Send + Sync {
    /// `x` cast (zero- or sign-extended, or truncated) to `blocks` blocks of this domain.
    fn cast(sks: &ServerKey, x: &Ct, blocks: usize) -> Self;
    /// Encrypted `self >= t` (`t` a value of the domain's type).
    fn ge(&self, sks: &ServerKey, t: i64) -> BooleanBlock;
    fn wrap(self) -> Ct;
}

impl Domain for RadixCiphertext {
    fn cast(sks: &ServerKey, x: &Ct, blocks: usize) -> Self {
        match x {
            Ct::U(c) => sks.cast_to_unsigned(c.clone(), blocks),
            Ct::S(c) => sks.cast_to_unsigned(c.clone(), blocks),
        }
    }
    fn ge(&self, sks: &ServerKey, t: i64) -> BooleanBlock {
        // validation: t is a value of an unsigned type, so t >= 0
        sks.scalar_ge_parallelized(self, t as u64)
    }
    fn wrap(self) -> Ct {
        Ct::U(self)
    }
}

impl Domain for SignedRadixCiphertext {
    fn cast(sks: &ServerKey, x: &Ct, blocks: usize) -> Self {
        match x {
            Ct::U(c) => sks.cast_to_signed(c.clone(), blocks),
            Ct::S(c) => sks.cast_to_signed(c.clone(), blocks),
        }
    }
    fn ge(&self, sks: &ServerKey, t: i64) -> BooleanBlock {
        sks.scalar_ge_parallelized(self, t)
    }
    fn wrap(self) -> Ct {
        Ct::S(self)
    }
}

/// Encrypted `x <= t` for a feature (`t` a value of the feature's type).
fn le(sks: &ServerKey, x: &Ct, t: i64) -> BooleanBlock {
    match x {
        Ct::U(c) => sks.scalar_le_parallelized(c, t as u64),
        Ct::S(c) => sks.scalar_le_parallelized(c, t),
    }
}

fn mask(ty: IntType, v: i64) -> u64 {
    ty.encode(v)
}

/// Evaluates one row; returns the outputs in [`Model::outputs`] order, refreshed (one PBS per
/// block) so that each block has the canonical degree and nominal noise.
pub(crate) fn eval_row(
    sks: &ServerKey,
    model: &Model,
    row: &[Ct],
    ctl: &EvalControl,
) -> Result<Vec<Ct>, FheError> {
    let outs = match &model.model {
        ModelKind::Linear(m) => {
            if m.score.signed() {
                linear::<SignedRadixCiphertext>(sks, m, row, ctl)?
            } else {
                linear::<RadixCiphertext>(sks, m, row, ctl)?
            }
        }
        ModelKind::Tree(m) => vec![if m.output.signed() {
            tree::<SignedRadixCiphertext>(sks, m, row, ctl)?.wrap()
        } else {
            tree::<RadixCiphertext>(sks, m, row, ctl)?.wrap()
        }],
        ModelKind::Lookup(m) => vec![lookup(sks, m, row, ctl)?],
    };
    outs.into_iter()
        .map(|mut ct| {
            ctl.op(|| {
                let shortint: &tfhe::shortint::ServerKey = sks.as_ref();
                let blocks = match &mut ct {
                    Ct::U(c) => c.blocks_mut(),
                    Ct::S(c) => c.blocks_mut(),
                };
                blocks
                    .par_iter_mut()
                    .for_each(|b| shortint.message_extract_assign(b));
                ct
            })
        })
        .collect()
}

fn linear<T: Domain>(
    sks: &ServerKey,
    m: &LinearModel,
    row: &[Ct],
    ctl: &EvalControl,
) -> Result<Vec<Ct>, FheError> {
    let n = m.score.blocks();
    let terms = m
        .weights
        .par_iter()
        .zip(row.par_iter())
        .filter(|(w, _)| **w != 0)
        .map(|(w, x)| {
            ctl.op(|| {
                let x = T::cast(sks, x, n);
                // Products mod 2^bits are the same for signed and unsigned readings.
                sks.scalar_mul_parallelized(&x, mask(m.score, *w))
            })
        })
        .collect::<Result<Vec<T>, FheError>>()?;
    let sum = ctl.op(|| {
        sks.sum_ciphertexts_parallelized(&terms)
            .unwrap_or_else(|| sks.create_trivial_zero_radix(n))
    })?;
    let score = ctl.op(|| sks.scalar_add_parallelized(&sum, mask(m.score, m.bias)))?;
    let decision = |score: &T| -> Result<Ct, FheError> {
        ctl.op(|| Ct::U(score.ge(sks, m.threshold).into_radix(1, sks)))
    };
    Ok(match m.output {
        LinearOutput::Decision => vec![decision(&score)?],
        LinearOutput::Score => vec![score.wrap()],
        LinearOutput::ScoreAndDecision => {
            let d = decision(&score)?;
            vec![score.wrap(), d]
        }
    })
}

/// A subtree's value: a leaf constant or an encrypted selection.
enum Val<T> {
    Const(i64),
    Enc(T),
}

fn tree<T: Domain>(
    sks: &ServerKey,
    m: &TreeModel,
    row: &[Ct],
    ctl: &EvalControl,
) -> Result<T, FheError> {
    let ty = m.output;
    let n = ty.blocks();
    // Every split's comparison, obliviously (all of them, whatever the input).
    let conds = m
        .nodes
        .par_iter()
        .map(|node| match node {
            TreeNode::Split {
                feature, threshold, ..
            } => ctl
                .op(|| le(sks, &row[*feature as usize], *threshold))
                .map(Some),
            TreeNode::Leaf { .. } => Ok(None),
        })
        .collect::<Result<Vec<Option<BooleanBlock>>, FheError>>()?;

    fn value<T: Domain>(
        i: usize,
        sks: &ServerKey,
        m: &TreeModel,
        conds: &[Option<BooleanBlock>],
        ctl: &EvalControl,
    ) -> Result<Val<T>, FheError> {
        let ty = m.output;
        let n = ty.blocks();
        match &m.nodes[i] {
            TreeNode::Leaf { value } => Ok(Val::Const(*value)),
            TreeNode::Split { left, right, .. } => {
                let (l, r) = rayon::join(
                    || value::<T>(*left as usize, sks, m, conds, ctl),
                    || value::<T>(*right as usize, sks, m, conds, ctl),
                );
                let (l, r) = (l?, r?);
                // Validation makes every split node have its condition.
                let c = conds[i].as_ref().expect("condition of a split");
                let trivial = |v: i64| -> T { sks.create_trivial_radix(mask(ty, v), n) };
                ctl.op(|| {
                    Val::Enc(match (l, r) {
                        (Val::Const(a), Val::Const(b)) => {
                            sks.scalar_if_then_else_parallelized(c, mask(ty, a), mask(ty, b), n)
                        }
                        (Val::Enc(a), Val::Const(b)) => {
                            sks.if_then_else_parallelized(c, &a, &trivial(b))
                        }
                        (Val::Const(a), Val::Enc(b)) => {
                            sks.if_then_else_parallelized(c, &trivial(a), &b)
                        }
                        (Val::Enc(a), Val::Enc(b)) => sks.if_then_else_parallelized(c, &a, &b),
                    })
                })
            }
        }
    }

    Ok(match value::<T>(0, sks, m, &conds, ctl)? {
        Val::Enc(t) => t,
        Val::Const(v) => sks.create_trivial_radix(mask(ty, v), n),
    })
}

fn lookup(sks: &ServerKey, m: &LookupModel, row: &[Ct], ctl: &EvalControl) -> Result<Ct, FheError> {
    let x = &row[m.feature as usize];
    let (x, fty_blocks) = match x {
        Ct::U(c) => (c.clone(), c.blocks().len()),
        // two's complement bits read as unsigned; keys are encoded the same way
        Ct::S(c) => (
            sks.cast_to_unsigned(c.clone(), c.blocks().len()),
            c.blocks().len(),
        ),
    };
    let kbits = 2 * fty_blocks as u32;
    let key = |k: i64| (k as u64) & ((1u64 << kbits) - 1);
    let out = m.output;
    let n = out.blocks();
    let matches = MatchValues::new(
        m.entries
            .iter()
            .map(|(k, v)| (key(*k), mask(out, *v)))
            .collect(),
    )
    .map_err(|e| FheError::Internal(e.to_string()))?;
    let r = ctl.op(|| sks.match_value_or_parallelized(&x, &matches, mask(out, m.default)))?;
    let r = sks.cast_to_unsigned(r, n);
    Ok(if out.signed() {
        Ct::S(sks.cast_to_signed(r, n))
    } else {
        Ct::U(r)
    })
}

/// Evaluates every row (in parallel); outputs per row in [`Model::outputs`] order.
pub(crate) fn eval_rows(
    sks: &ServerKey,
    model: &Model,
    rows: &[Vec<Ct>],
    ctl: &EvalControl,
) -> Result<Vec<Vec<Ct>>, FheError> {
    ctl.start(rows.len() as u64 * model.ops_per_row());
    ctl.check()?;
    rows.par_iter()
        .map(|row| eval_row(sks, model, row, ctl))
        .collect()
}
