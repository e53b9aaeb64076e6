//! The membership relation in R1CS.
//!
//! Public inputs (in this order): `root, nullifier, scope, signal`.
//! Witness: `secret`, the siblings `s_0..s_{d-1}` and direction bits `b_0..b_{d-1}`.
//!
//! Constraints:
//!
//! 1. `cur_0 = Poseidon(DOMAIN_LEAF, secret)`.
//! 2. For each level `i`: `b_i` is boolean; `left = cur_i + b_i (s_i - cur_i)` (one
//!    multiplication), `right = cur_i + s_i - left` (linear), `cur_{i+1} = Poseidon(DOMAIN_NODE,
//!    left, right)`. So `b_i = 1` means the running node is the right child.
//! 3. `cur_d == root`.
//! 4. `Poseidon(DOMAIN_NULLIFIER, secret, scope) == nullifier`.
//! 5. `signal * signal = signal_sq` for a fresh witness `signal_sq`.
//!
//! Constraint 5 is the customary "dummy" use of the signal. Groth16 already binds every
//! public input through the verifier's `IC(x) = gamma_abc_0 + sum x_j gamma_abc_j`, and
//! arkworks' libsnark QAP reduction gives every instance variable its own Lagrange term, so
//! `gamma_abc_signal` is not the identity and the signal would be bound even without it. The
//! explicit multiplication keeps the binding independent of the reduction's details (and of any
//! optimiser that drops unused inputs), for one constraint.

use std::sync::{Mutex, OnceLock};

use ark_bn254::Fr;
use ark_ff::Zero;
use ark_r1cs_std::{
    alloc::AllocVar, boolean::Boolean, eq::EqGadget, fields::fp::FpVar, fields::FieldVar,
};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, OptimizationGoal, SynthesisError,
    SynthesisMode,
};

use super::{
    constraints::{leaf_var, node_var, nullifier_var},
    tree::{check_depth, MAX_DEPTH},
    MembershipStatement, MembershipWitness, SetupError, TreeError,
};

/// The membership circuit for one tree depth, carrying a statement and a witness.
///
/// The constraint system's shape depends only on the depth, so [`MembershipCircuit::blank`]
/// (all zeros) is what parameter generation synthesises.
#[derive(Clone)]
pub struct MembershipCircuit {
    depth: usize,
    public: [Fr; 4],
    secret: Fr,
    index: u64,
    siblings: Vec<Fr>,
}

impl core::fmt::Debug for MembershipCircuit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MembershipCircuit")
            .field("depth", &self.depth)
            .finish_non_exhaustive()
    }
}

impl Drop for MembershipCircuit {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.secret.zeroize();
        self.index.zeroize();
        self.siblings.zeroize();
    }
}

impl MembershipCircuit {
    /// The all-zero assignment for `depth`: the right shape, not a satisfying assignment.
    pub fn blank(depth: usize) -> Result<Self, SetupError> {
        check_depth(depth).map_err(|_| SetupError::UnsupportedDepth {
            depth,
            max: MAX_DEPTH,
        })?;
        Ok(Self {
            depth,
            public: [Fr::zero(); 4],
            secret: Fr::zero(),
            index: 0,
            siblings: vec![Fr::zero(); depth],
        })
    }

    /// The circuit for proving `statement` with `witness` (which may be wrong: tests use this
    /// to show a bad witness leaves the system unsatisfied).
    pub fn new(
        statement: &MembershipStatement,
        witness: &MembershipWitness,
    ) -> Result<Self, TreeError> {
        check_depth(witness.path.depth())?;
        Ok(Self {
            depth: witness.path.depth(),
            public: statement.public_inputs(),
            secret: witness.secret.0,
            index: witness.path.index,
            siblings: witness.path.siblings.clone(),
        })
    }

    /// Synthesises into a fresh constraint system and reports whether it is satisfied.
    pub fn is_satisfied(&self) -> Result<bool, SynthesisError> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        self.clone().generate_constraints(cs.clone())?;
        cs.is_satisfied()
    }
}

impl ConstraintSynthesizer<Fr> for MembershipCircuit {
    /// Synthesises with tracing switched off on this thread (see [`without_tracing`]).
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        without_tracing(|| self.synthesize(cs))
    }
}

/// Runs `f` with a no-op tracing subscriber as this thread's default.
///
/// arkworks' gadgets (`ark-r1cs-std`, the Poseidon sponge gadget) carry
/// `#[tracing::instrument(target = "gr1cs")]` spans at level INFO that record their arguments
/// with `Debug`. An `FpVar`'s `Debug` prints its `ConstraintSystemRef`, i.e. the *whole*
/// constraint system so far, so under an application subscriber that enables INFO (the `weft`
/// binary's default filter) every gadget call formats and stores a copy of the growing system:
/// quadratic time and memory (73 s and 4.96 GB for the depth-4 setup, against 0.47 s without
/// a subscriber; see docs/BENCHMARKS.md). Synthesis never logs anything useful, so it runs
/// with tracing off whatever the caller's filter says. The spans are thread-local and
/// arkworks synthesises on the calling thread (rayon only runs the FFTs and MSMs afterwards).
pub(crate) fn without_tracing<T>(f: impl FnOnce() -> T) -> T {
    tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), f)
}

impl MembershipCircuit {
    fn synthesize(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let [root, nullifier, scope, signal] = self.public;
        let root = FpVar::new_input(cs.clone(), || Ok(root))?;
        let nullifier = FpVar::new_input(cs.clone(), || Ok(nullifier))?;
        let scope = FpVar::new_input(cs.clone(), || Ok(scope))?;
        let signal = FpVar::new_input(cs.clone(), || Ok(signal))?;

        let secret = FpVar::new_witness(cs.clone(), || Ok(self.secret))?;

        let mut cur = leaf_var(cs.clone(), &secret)?;
        for (level, sibling) in self.siblings.iter().enumerate() {
            let is_right = (self.index >> level) & 1 == 1;
            let bit = Boolean::new_witness(cs.clone(), || Ok(is_right))?;
            let sibling = FpVar::new_witness(cs.clone(), || Ok(*sibling))?;
            let left = &cur + FpVar::from(bit) * (&sibling - &cur);
            let right = &cur + &sibling - &left;
            cur = node_var(cs.clone(), &left, &right)?;
        }
        cur.enforce_equal(&root)?;

        nullifier_var(cs.clone(), &secret, &scope)?.enforce_equal(&nullifier)?;

        // Constraint 5: allocates `signal_sq` and enforces `signal * signal = signal_sq`.
        let _signal_sq = signal.square()?;
        Ok(())
    }
}

/// The number of R1CS constraints of the circuit at `depth`.
pub fn constraint_count(depth: usize) -> Result<usize, SetupError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    MembershipCircuit::blank(depth)?.generate_constraints(cs.clone())?;
    cs.finalize();
    Ok(cs.num_constraints())
}

/// The sizes of a Groth16 key for the circuit at one depth (arkworks' libsnark reduction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyShape {
    /// Instance variables, including the constant `1`: `gamma_abc_g1.len()`.
    pub(crate) instance: usize,
    /// Witness variables: `l_query.len()`.
    pub(crate) witness: usize,
    /// QAP evaluation domain size: `h_query.len() + 1`.
    pub(crate) domain: usize,
}

/// The key sizes at `depth`, synthesised once per depth and cached for the process (every
/// proving-key load checks them).
pub(crate) fn key_shape(depth: usize) -> Result<KeyShape, SetupError> {
    static CACHE: OnceLock<Mutex<[Option<KeyShape>; MAX_DEPTH + 1]>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new([None; MAX_DEPTH + 1]));
    check_depth(depth).map_err(|_| SetupError::UnsupportedDepth {
        depth,
        max: MAX_DEPTH,
    })?;
    // A poisoned lock only means another thread panicked mid-synthesis; the array is still
    // consistent (entries are written whole), so keep using it.
    if let Some(shape) = cache.lock().unwrap_or_else(|e| e.into_inner())[depth] {
        return Ok(shape);
    }
    let shape = synthesise_key_shape(depth)?;
    cache.lock().unwrap_or_else(|e| e.into_inner())[depth] = Some(shape);
    Ok(shape)
}

/// Synthesises the blank circuit exactly as arkworks' generator does and reads off the sizes.
fn synthesise_key_shape(depth: usize) -> Result<KeyShape, SetupError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    MembershipCircuit::blank(depth)?.generate_constraints(cs.clone())?;
    cs.finalize();
    let instance = cs.num_instance_variables();
    Ok(KeyShape {
        instance,
        witness: cs.num_witness_variables(),
        // BN254's scalar field has 2-adicity 28, so the domain is the radix-2 one.
        domain: (cs.num_constraints() + instance).next_power_of_two(),
    })
}
