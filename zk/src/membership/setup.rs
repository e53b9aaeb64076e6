//! Multi-party generation of the membership circuit's Groth16 keys.
//!
//! Two phases, each a chain of sequential contributions in which every contributor
//! re-randomises the previous state with fresh secrets and proves knowledge of them:
//!
//! 1. [`PowersOfTau`] (circuit-independent up to its size): `[τ^i]_1` for `i < 2n - 1`,
//!    `[τ^i]_2`, `[ατ^i]_1`, `[βτ^i]_1` for `i < n`, and `[β]_2`, where `n` is the QAP domain
//!    size of the circuit. A contributor multiplies `τ, α, β` by fresh `τ', α', β'`.
//! 2. [`Phase2`]: the circuit's keys, derived deterministically from the final powers of tau in
//!    the Lagrange basis (with `γ = δ = 1`), then re-randomised by contributors who each
//!    multiply `δ` by a fresh `s` (dividing the `H` and `L` queries by `s`).
//!
//! If at least one contributor in each phase is honest (samples its secrets uniformly and
//! erases them), nobody knows `τ, α, β, δ`, and the keys cannot be used to forge. Every step is
//! publicly verifiable: `verify_contribution_with_rng` checks the proofs of knowledge and, with
//! random linear combinations of pairings, that the new state is a consistent update of the
//! previous one. See `docs/notes-membership.md`.
//!
//! The derived keys are byte-for-byte what arkworks' prover expects (libsnark QAP reduction),
//! which the tests confirm by proving and verifying with them.

use std::ops::{Add, Mul, Sub};

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{pairing::Pairing, AffineRepr, CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::{FftField, Field, One, PrimeField, UniformRand, Zero};
use ark_groth16::{ProvingKey, VerifyingKey};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode, R1CS_PREDICATE_LABEL,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;
use sha2::{Digest, Sha512};
use zeroize::Zeroize;

use super::{
    circuit::{key_shape, MembershipCircuit},
    encoding::{self, serde_via_bytes, Kind},
    error::{DecodeError, SetupError},
    groth16::{MembershipParams, MembershipProvingKey},
};

/// Errors from the multi-party setup.
#[derive(Debug, thiserror::Error)]
pub enum CeremonyError {
    /// The depth is unsupported, or the circuit could not be synthesised.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// The state's sizes or depth do not match the circuit, or the previous state.
    #[error("ceremony state has the wrong size or depth")]
    WrongSize,
    /// A contributor's proof of knowledge of its secret does not verify.
    #[error("invalid proof of knowledge in a contribution")]
    InvalidProofOfKnowledge,
    /// The new state is not a consistent re-randomisation of the previous one.
    #[error("contribution is not a consistent update")]
    InconsistentUpdate,
    /// A contribution produced the identity element where a generator multiple is required.
    #[error("degenerate contribution")]
    Degenerate,
}

/// A Schnorr proof of knowledge of `x` with `Q = x P` in `G1`, Fiat-Shamir over SHA-512.
#[derive(Clone, Debug, PartialEq, CanonicalSerialize, CanonicalDeserialize)]
pub struct KnowledgeProof {
    t: G1Affine,
    z: Fr,
}

fn challenge(label: &[u8], points: &[&G1Affine]) -> Fr {
    let mut h = Sha512::new();
    h.update(b"weft-zk/membership/ceremony/pok/v1");
    h.update((label.len() as u64).to_be_bytes());
    h.update(label);
    let mut buf = Vec::with_capacity(32);
    for p in points {
        buf.clear();
        p.serialize_compressed(&mut buf)
            .expect("serialising into a Vec cannot fail");
        h.update(&buf);
    }
    Fr::from_le_bytes_mod_order(&h.finalize())
}

fn random_nonzero(rng: &mut (impl RngCore + CryptoRng)) -> Fr {
    loop {
        let x = Fr::rand(rng);
        if !x.is_zero() {
            return x;
        }
    }
}

impl KnowledgeProof {
    fn prove(label: &[u8], base: &G1Affine, x: &Fr, rng: &mut (impl RngCore + CryptoRng)) -> Self {
        let mut k = random_nonzero(rng);
        let t = (*base * k).into_affine();
        let q = (*base * x).into_affine();
        let c = challenge(label, &[base, &q, &t]);
        let z = k + c * x;
        k.zeroize();
        Self { t, z }
    }

    fn verify(&self, label: &[u8], base: &G1Affine, q: &G1Affine) -> Result<(), CeremonyError> {
        if base.is_zero() || q.is_zero() {
            return Err(CeremonyError::Degenerate);
        }
        let c = challenge(label, &[base, q, &self.t]);
        if *base * self.z == self.t.into_group() + *q * c {
            Ok(())
        } else {
            Err(CeremonyError::InvalidProofOfKnowledge)
        }
    }
}

/// `values[i] -> (1/n) sum_j values[j] w^{-ij}` over the radix-2 domain of size `n`, the same
/// domain (generator `Fr::get_root_of_unity(n)`) arkworks' QAP reduction uses. Applied to
/// `[τ^j]` it yields the Lagrange basis `[L_i(τ)]`.
fn ifft<T>(values: &[T]) -> Result<Vec<T>, CeremonyError>
where
    T: Copy + Send + Sync + Add<Output = T> + Sub<Output = T> + Mul<Fr, Output = T>,
{
    let n = values.len();
    if !n.is_power_of_two() {
        return Err(CeremonyError::WrongSize);
    }
    let omega = Fr::get_root_of_unity(n as u64).ok_or(CeremonyError::WrongSize)?;
    let omega_inv = omega.inverse().ok_or(CeremonyError::WrongSize)?;
    let bits = n.trailing_zeros();
    let mut a: Vec<T> = (0..n)
        .map(|i| {
            values[if bits == 0 {
                0
            } else {
                i.reverse_bits() >> (usize::BITS - bits)
            }]
        })
        .collect();
    let mut len = 2;
    while len <= n {
        let w_len = omega_inv.pow([(n / len) as u64]);
        let twiddles: Vec<Fr> = std::iter::successors(Some(Fr::one()), |w| Some(*w * w_len))
            .take(len / 2)
            .collect();
        a.par_chunks_mut(len).for_each(|chunk| {
            let (lo, hi) = chunk.split_at_mut(len / 2);
            for ((u, v), w) in lo.iter_mut().zip(hi.iter_mut()).zip(&twiddles) {
                let t = if w.is_one() { *v } else { *v * *w };
                let x = *u;
                *u = x + t;
                *v = x - t;
            }
        });
        len <<= 1;
    }
    let n_inv = Fr::from(n as u64)
        .inverse()
        .ok_or(CeremonyError::WrongSize)?;
    Ok(a.into_par_iter().map(|x| x * n_inv).collect())
}

/// `e(sum rho_i ys_i, h) == e(sum rho_i xs_i, h_r)`: all `ys_i = r xs_i` where `h_r = r h`.
fn same_ratio_g1(
    xs: &[G1Affine],
    ys: &[G1Affine],
    h: G2Affine,
    h_r: G2Affine,
    rng: &mut (impl RngCore + CryptoRng),
) -> bool {
    let rho: Vec<Fr> = (0..xs.len()).map(|_| Fr::rand(rng)).collect();
    let (Ok(x), Ok(y)) = (G1Projective::msm(xs, &rho), G1Projective::msm(ys, &rho)) else {
        return false;
    };
    Bn254::pairing(y, h) == Bn254::pairing(x, h_r)
}

/// `e(g, sum rho_i ys_i) == e(g_r, sum rho_i xs_i)`: all `ys_i = r xs_i` where `g_r = r g`.
fn same_ratio_g2(
    g: G1Affine,
    g_r: G1Affine,
    xs: &[G2Affine],
    ys: &[G2Affine],
    rng: &mut (impl RngCore + CryptoRng),
) -> bool {
    let rho: Vec<Fr> = (0..xs.len()).map(|_| Fr::rand(rng)).collect();
    let (Ok(x), Ok(y)) = (G2Projective::msm(xs, &rho), G2Projective::msm(ys, &rho)) else {
        return false;
    };
    Bn254::pairing(g, y) == Bn254::pairing(g_r, x)
}

fn scale_g1(points: &[G1Affine], scalars: impl Fn(usize) -> Fr + Sync) -> Vec<G1Affine> {
    let proj: Vec<G1Projective> = points
        .par_iter()
        .enumerate()
        .map(|(i, p)| *p * scalars(i))
        .collect();
    G1Projective::normalize_batch(&proj)
}

fn scale_g2(points: &[G2Affine], scalars: impl Fn(usize) -> Fr + Sync) -> Vec<G2Affine> {
    let proj: Vec<G2Projective> = points
        .par_iter()
        .enumerate()
        .map(|(i, p)| *p * scalars(i))
        .collect();
    G2Projective::normalize_batch(&proj)
}

/// Phase-1 state for the membership circuit at one depth.
#[derive(Clone, Debug, PartialEq, CanonicalSerialize, CanonicalDeserialize)]
pub struct PowersOfTau {
    depth: u8,
    tau_g1: Vec<G1Affine>,
    tau_g2: Vec<G2Affine>,
    alpha_tau_g1: Vec<G1Affine>,
    beta_tau_g1: Vec<G1Affine>,
    beta_g2: G2Affine,
}

/// A phase-1 contributor's proofs of knowledge of `τ', α', β'`.
#[derive(Clone, Debug, PartialEq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Phase1Contribution {
    tau: KnowledgeProof,
    alpha: KnowledgeProof,
    beta: KnowledgeProof,
}

impl PowersOfTau {
    /// The public starting point (`τ = α = β = 1`), sized for the circuit at `depth`. It has
    /// no secrets: security comes entirely from the contributions that follow.
    pub fn new(depth: usize) -> Result<Self, CeremonyError> {
        let n = key_shape(depth)?.domain;
        let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
        Ok(Self {
            depth: u8::try_from(depth).map_err(|_| CeremonyError::WrongSize)?,
            tau_g1: vec![g1; 2 * n - 1],
            tau_g2: vec![g2; n],
            alpha_tau_g1: vec![g1; n],
            beta_tau_g1: vec![g1; n],
            beta_g2: g2,
        })
    }

    /// The domain size `n`.
    fn n(&self) -> usize {
        self.tau_g2.len()
    }

    /// Re-randomises the state with fresh `τ', α', β'` and proves knowledge of them. The
    /// secrets are erased before returning.
    pub fn contribute_with_rng(
        &self,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(Self, Phase1Contribution), CeremonyError> {
        self.check_sizes()?;
        let mut tau = random_nonzero(rng);
        let mut alpha = random_nonzero(rng);
        let mut beta = random_nonzero(rng);
        let mut powers: Vec<Fr> = std::iter::successors(Some(Fr::one()), |p| Some(*p * tau))
            .take(self.tau_g1.len())
            .collect();
        let next = Self {
            depth: self.depth,
            tau_g1: scale_g1(&self.tau_g1, |i| powers[i]),
            tau_g2: scale_g2(&self.tau_g2, |i| powers[i]),
            alpha_tau_g1: scale_g1(&self.alpha_tau_g1, |i| alpha * powers[i]),
            beta_tau_g1: scale_g1(&self.beta_tau_g1, |i| beta * powers[i]),
            beta_g2: (self.beta_g2 * beta).into_affine(),
        };
        let proof = Phase1Contribution {
            tau: KnowledgeProof::prove(b"phase1/tau", &self.tau_g1[1], &tau, rng),
            alpha: KnowledgeProof::prove(b"phase1/alpha", &self.alpha_tau_g1[0], &alpha, rng),
            beta: KnowledgeProof::prove(b"phase1/beta", &self.beta_tau_g1[0], &beta, rng),
        };
        tau.zeroize();
        alpha.zeroize();
        beta.zeroize();
        powers.zeroize();
        Ok((next, proof))
    }

    /// [`Self::contribute_with_rng`] with the operating system's RNG.
    pub fn contribute(&self) -> Result<(Self, Phase1Contribution), CeremonyError> {
        self.contribute_with_rng(&mut rand::rngs::OsRng)
    }

    /// Checks that `next` is `self` re-randomised by a contributor who knows its secrets, and
    /// that `next` is well formed.
    pub fn verify_contribution_with_rng(
        &self,
        next: &Self,
        proof: &Phase1Contribution,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(), CeremonyError> {
        self.check_sizes()?;
        next.check_sizes()?;
        if next.depth != self.depth {
            return Err(CeremonyError::WrongSize);
        }
        proof
            .tau
            .verify(b"phase1/tau", &self.tau_g1[1], &next.tau_g1[1])?;
        proof.alpha.verify(
            b"phase1/alpha",
            &self.alpha_tau_g1[0],
            &next.alpha_tau_g1[0],
        )?;
        proof
            .beta
            .verify(b"phase1/beta", &self.beta_tau_g1[0], &next.beta_tau_g1[0])?;
        next.check_well_formed(rng)
    }

    /// [`Self::verify_contribution_with_rng`] with the operating system's RNG.
    pub fn verify_contribution(
        &self,
        next: &Self,
        proof: &Phase1Contribution,
    ) -> Result<(), CeremonyError> {
        self.verify_contribution_with_rng(next, proof, &mut rand::rngs::OsRng)
    }

    /// The vectors have the sizes the circuit at `self.depth` needs (so indexing is safe).
    fn check_sizes(&self) -> Result<usize, CeremonyError> {
        let n = key_shape(usize::from(self.depth))?.domain;
        if n < 2
            || self.tau_g2.len() != n
            || self.tau_g1.len() != 2 * n - 1
            || self.alpha_tau_g1.len() != n
            || self.beta_tau_g1.len() != n
        {
            return Err(CeremonyError::WrongSize);
        }
        Ok(n)
    }

    /// Sizes match the circuit, and every vector holds consecutive powers of one `τ`.
    fn check_well_formed(&self, rng: &mut (impl RngCore + CryptoRng)) -> Result<(), CeremonyError> {
        let n = self.check_sizes()?;
        let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
        if self.tau_g1[0] != g1 || self.tau_g2[0] != g2 {
            return Err(CeremonyError::InconsistentUpdate);
        }
        if self.tau_g1[1].is_zero()
            || self.tau_g2[1].is_zero()
            || self.alpha_tau_g1[0].is_zero()
            || self.beta_tau_g1[0].is_zero()
        {
            return Err(CeremonyError::Degenerate);
        }
        let tau2 = self.tau_g2[1];
        let ok = same_ratio_g1(&self.tau_g1[..2 * n - 2], &self.tau_g1[1..], g2, tau2, rng)
            && same_ratio_g2(
                g1,
                self.tau_g1[1],
                &self.tau_g2[..n - 1],
                &self.tau_g2[1..],
                rng,
            )
            && same_ratio_g1(
                &self.alpha_tau_g1[..n - 1],
                &self.alpha_tau_g1[1..],
                g2,
                tau2,
                rng,
            )
            && same_ratio_g1(
                &self.beta_tau_g1[..n - 1],
                &self.beta_tau_g1[1..],
                g2,
                tau2,
                rng,
            )
            && Bn254::pairing(self.beta_tau_g1[0], g2) == Bn254::pairing(g1, self.beta_g2);
        if ok {
            Ok(())
        } else {
            Err(CeremonyError::InconsistentUpdate)
        }
    }
}

/// Phase-2 state: a full proving key whose `δ` contributors re-randomise.
#[derive(Clone, Debug, PartialEq)]
pub struct Phase2 {
    pk: MembershipProvingKey,
}

/// A phase-2 contributor's proof of knowledge of its `s` (`δ_new = s δ_old`).
#[derive(Clone, Debug, PartialEq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Phase2Contribution {
    delta: KnowledgeProof,
}

impl Phase2 {
    /// Derives the circuit's keys from the final powers of tau, with `γ = δ = 1`.
    ///
    /// Deterministic: anyone can recompute it from the same [`PowersOfTau`] to check a
    /// transcript. The powers must be well formed (checked here).
    pub fn from_powers_with_rng(
        powers: &PowersOfTau,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Self, CeremonyError> {
        powers.check_well_formed(rng)?;
        let depth = usize::from(powers.depth);
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        MembershipCircuit::blank(depth)?
            .generate_constraints(cs.clone())
            .map_err(SetupError::from)?;
        cs.finalize();
        let matrices = cs.to_matrices().map_err(SetupError::from)?;
        let [a_m, b_m, c_m] = match matrices.get(R1CS_PREDICATE_LABEL).map(Vec::as_slice) {
            Some([a, b, c]) => [a, b, c],
            _ => return Err(CeremonyError::WrongSize),
        };
        let num_instance = cs.num_instance_variables();
        let num_vars = num_instance + cs.num_witness_variables();
        let num_constraints = cs.num_constraints();
        let n = powers.n();
        if (num_constraints + num_instance).next_power_of_two() != n {
            return Err(CeremonyError::WrongSize);
        }

        let to_proj1 = |v: &[G1Affine]| v.iter().map(|p| p.into_group()).collect::<Vec<_>>();
        let lag = ifft(&to_proj1(&powers.tau_g1[..n]))?;
        let lag_alpha = ifft(&to_proj1(&powers.alpha_tau_g1))?;
        let lag_beta = ifft(&to_proj1(&powers.beta_tau_g1))?;
        let lag_g2 = ifft(
            &powers
                .tau_g2
                .iter()
                .map(|p| p.into_group())
                .collect::<Vec<_>>(),
        )?;

        // Column k of each matrix: the (constraint j, coefficient) pairs of variable k.
        let transpose = |m: &[Vec<(Fr, usize)>]| -> Result<Vec<Vec<(usize, Fr)>>, CeremonyError> {
            let mut cols = vec![Vec::new(); num_vars];
            for (j, row) in m.iter().enumerate() {
                for (coeff, k) in row {
                    cols.get_mut(*k)
                        .ok_or(CeremonyError::WrongSize)?
                        .push((j, *coeff));
                }
            }
            Ok(cols)
        };
        let (ca, cb, cc) = (transpose(a_m)?, transpose(b_m)?, transpose(c_m)?);
        fn fold<G: PrimeGroup<ScalarField = Fr>>(col: &[(usize, Fr)], lag: &[G]) -> G {
            col.iter().fold(G::zero(), |acc, (j, coeff)| {
                if coeff.is_one() {
                    acc + lag[*j]
                } else {
                    acc + lag[*j] * coeff
                }
            })
        }
        let mut a: Vec<G1Projective> = ca.par_iter().map(|c| fold(c, &lag)).collect();
        let b1: Vec<G1Projective> = cb.par_iter().map(|c| fold(c, &lag)).collect();
        let b2: Vec<G2Projective> = cb.par_iter().map(|c| fold(c, &lag_g2)).collect();
        // beta * u_k(τ) + alpha * v_k(τ) + w_k(τ), in G1.
        let mut abc: Vec<G1Projective> = (0..num_vars)
            .into_par_iter()
            .map(|k| fold(&ca[k], &lag_beta) + fold(&cb[k], &lag_alpha) + fold(&cc[k], &lag))
            .collect();
        // The reduction gives instance variable k the extra term L_{m + k} in A.
        for k in 0..num_instance {
            a[k] += lag[num_constraints + k];
            abc[k] += lag_beta[num_constraints + k];
        }
        // H: τ^i Z(τ) = τ^{i + n} - τ^i, for i < n - 1.
        let h: Vec<G1Projective> = (0..n - 1)
            .map(|i| powers.tau_g1[i + n].into_group() - powers.tau_g1[i])
            .collect();

        let abc = G1Projective::normalize_batch(&abc);
        let vk = VerifyingKey::<Bn254> {
            alpha_g1: powers.alpha_tau_g1[0],
            beta_g2: powers.beta_g2,
            gamma_g2: G2Affine::generator(),
            delta_g2: G2Affine::generator(),
            gamma_abc_g1: abc[..num_instance].to_vec(),
        };
        let pk = ProvingKey::<Bn254> {
            vk,
            beta_g1: powers.beta_tau_g1[0],
            delta_g1: G1Affine::generator(),
            a_query: G1Projective::normalize_batch(&a),
            b_g1_query: G1Projective::normalize_batch(&b1),
            b_g2_query: G2Projective::normalize_batch(&b2),
            h_query: G1Projective::normalize_batch(&h),
            l_query: abc[num_instance..].to_vec(),
        };
        Ok(Self {
            pk: MembershipProvingKey::from_parts(powers.depth, pk),
        })
    }

    /// Re-randomises `δ` with a fresh `s` and proves knowledge of it; `s` is erased.
    pub fn contribute_with_rng(
        &self,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> (Self, Phase2Contribution) {
        let mut s = random_nonzero(rng);
        let mut s_inv = s.inverse().expect("s is nonzero");
        let old = self.pk.inner();
        let mut pk = old.clone();
        pk.delta_g1 = (old.delta_g1 * s).into_affine();
        pk.vk.delta_g2 = (old.vk.delta_g2 * s).into_affine();
        pk.h_query = scale_g1(&old.h_query, |_| s_inv);
        pk.l_query = scale_g1(&old.l_query, |_| s_inv);
        let proof = Phase2Contribution {
            delta: KnowledgeProof::prove(b"phase2/delta", &old.delta_g1, &s, rng),
        };
        s.zeroize();
        s_inv.zeroize();
        (
            Self {
                pk: MembershipProvingKey::from_parts(self.pk.depth() as u8, pk),
            },
            proof,
        )
    }

    /// [`Self::contribute_with_rng`] with the operating system's RNG.
    pub fn contribute(&self) -> (Self, Phase2Contribution) {
        self.contribute_with_rng(&mut rand::rngs::OsRng)
    }

    /// Checks that `next` is `self` with `δ` multiplied by a secret its contributor knows, and
    /// nothing else changed.
    pub fn verify_contribution_with_rng(
        &self,
        next: &Self,
        proof: &Phase2Contribution,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(), CeremonyError> {
        let (old, new) = (self.pk.inner(), next.pk.inner());
        if self.pk.depth() != next.pk.depth()
            || old.h_query.len() != new.h_query.len()
            || old.l_query.len() != new.l_query.len()
        {
            return Err(CeremonyError::WrongSize);
        }
        let unchanged = old.vk.alpha_g1 == new.vk.alpha_g1
            && old.vk.beta_g2 == new.vk.beta_g2
            && old.vk.gamma_g2 == new.vk.gamma_g2
            && old.vk.gamma_abc_g1 == new.vk.gamma_abc_g1
            && old.beta_g1 == new.beta_g1
            && old.a_query == new.a_query
            && old.b_g1_query == new.b_g1_query
            && old.b_g2_query == new.b_g2_query;
        if !unchanged {
            return Err(CeremonyError::InconsistentUpdate);
        }
        proof
            .delta
            .verify(b"phase2/delta", &old.delta_g1, &new.delta_g1)?;
        let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
        let ok = Bn254::pairing(new.delta_g1, g2) == Bn254::pairing(g1, new.vk.delta_g2)
            // h_new = h_old / s and l_new = l_old / s, where δ_new = s δ_old.
            && same_ratio_g1(&new.h_query, &old.h_query, old.vk.delta_g2, new.vk.delta_g2, rng)
            && same_ratio_g1(&new.l_query, &old.l_query, old.vk.delta_g2, new.vk.delta_g2, rng);
        if ok {
            Ok(())
        } else {
            Err(CeremonyError::InconsistentUpdate)
        }
    }

    /// [`Self::verify_contribution_with_rng`] with the operating system's RNG.
    pub fn verify_contribution(
        &self,
        next: &Self,
        proof: &Phase2Contribution,
    ) -> Result<(), CeremonyError> {
        self.verify_contribution_with_rng(next, proof, &mut rand::rngs::OsRng)
    }

    /// The parameters at this point of the ceremony.
    pub fn params(&self) -> MembershipParams {
        MembershipParams::from_proving_key(self.pk.clone())
    }
}

/// Canonical versioned encodings (see `encoding.rs`); decoding validates every point but not
/// the ceremony relations, which `verify_contribution_with_rng` checks.
macro_rules! ceremony_encoding {
    ($ty:ty, $kind:expr, $what:literal) => {
        impl $ty {
            /// Canonical encoding: version, kind, compressed arkworks payload.
            pub fn to_bytes(&self) -> Vec<u8> {
                encoding::encode($kind, None, self)
            }

            /// Decodes [`Self::to_bytes`], strictly.
            pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
                encoding::decode($kind, false, bytes).map(|(_, v)| v)
            }

            fn try_from_slice(bytes: &[u8]) -> Result<Self, DecodeError> {
                Self::from_bytes(bytes)
            }
        }

        serde_via_bytes!($ty, $what);
    };
}

ceremony_encoding!(
    PowersOfTau,
    Kind::PowersOfTau,
    "a versioned powers-of-tau encoding"
);
ceremony_encoding!(
    Phase1Contribution,
    Kind::Phase1Contribution,
    "a versioned phase-1 contribution encoding"
);
ceremony_encoding!(
    Phase2Contribution,
    Kind::Phase2Contribution,
    "a versioned phase-2 contribution encoding"
);

impl Phase2 {
    /// Canonical encoding: that of the proving key ([`MembershipProvingKey::to_bytes`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.pk.to_bytes()
    }

    /// Decodes [`Self::to_bytes`], strictly (including the key's shape).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        MembershipProvingKey::from_bytes(bytes).map(|pk| Self { pk })
    }
}

/// Verifies a whole ceremony transcript and returns the resulting parameters: the phase-1
/// chain from [`PowersOfTau::new`], the phase-2 start recomputed from its end, and the phase-2
/// chain. Rejects a transcript with no contribution in either phase.
pub fn verify_ceremony_with_rng(
    depth: usize,
    phase1: &[(PowersOfTau, Phase1Contribution)],
    phase2: &[(Phase2, Phase2Contribution)],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<MembershipParams, CeremonyError> {
    if phase1.is_empty() || phase2.is_empty() {
        return Err(CeremonyError::WrongSize);
    }
    let mut prev = PowersOfTau::new(depth)?;
    for (next, proof) in phase1 {
        prev.verify_contribution_with_rng(next, proof, rng)?;
        prev = next.clone();
    }
    let mut state = Phase2::from_powers_with_rng(&prev, rng)?;
    for (next, proof) in phase2 {
        state.verify_contribution_with_rng(next, proof, rng)?;
        state = next.clone();
    }
    Ok(state.params())
}

#[cfg(test)]
mod tests {
    use super::super::{
        prove_with_rng, verify, MembershipSecret, MembershipWitness, MerkleTree, Scope, Signal,
        VerificationError,
    };
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    const DEPTH: usize = 1;

    fn rng(seed: u64) -> ChaCha20Rng {
        ChaCha20Rng::seed_from_u64(seed)
    }

    #[test]
    fn ifft_gives_the_lagrange_basis() {
        let n = 8usize;
        let tau = Fr::from(123_456u64);
        let powers: Vec<Fr> = std::iter::successors(Some(Fr::one()), |p| Some(*p * tau))
            .take(n)
            .collect();
        let lag = ifft(&powers).unwrap();
        let omega = Fr::get_root_of_unity(n as u64).unwrap();
        let z = tau.pow([n as u64]) - Fr::one();
        for (j, l) in lag.iter().enumerate() {
            // L_j(τ) = ω^j (τ^n - 1) / (n (τ - ω^j))
            let wj = omega.pow([j as u64]);
            let expected = wj * z / (Fr::from(n as u64) * (tau - wj));
            assert_eq!(*l, expected, "j = {j}");
        }
    }

    type Transcript = (
        Vec<(PowersOfTau, Phase1Contribution)>,
        Vec<(Phase2, Phase2Contribution)>,
    );

    /// A ceremony with two contributors per phase (run once, shared by the tests).
    fn ceremony() -> &'static Transcript {
        static T: std::sync::OnceLock<Transcript> = std::sync::OnceLock::new();
        T.get_or_init(run_ceremony)
    }

    fn run_ceremony() -> Transcript {
        let mut r = rng(1);
        let mut p1 = Vec::new();
        let mut acc = PowersOfTau::new(DEPTH).unwrap();
        for _ in 0..2 {
            let (next, proof) = acc.contribute_with_rng(&mut r).unwrap();
            acc = next.clone();
            p1.push((next, proof));
        }
        let mut state = Phase2::from_powers_with_rng(&acc, &mut r).unwrap();
        let mut p2 = Vec::new();
        for _ in 0..2 {
            let (next, proof) = state.contribute_with_rng(&mut r);
            state = next.clone();
            p2.push((next, proof));
        }
        (p1, p2)
    }

    #[test]
    fn ceremony_keys_prove_and_verify() {
        let (p1, p2) = ceremony();
        let mut r = rng(2);
        let params = verify_ceremony_with_rng(DEPTH, p1, p2, &mut r).unwrap();
        assert_eq!(params.proving_key(), p2[1].0.params().proving_key());

        let secrets: Vec<_> = (0..2)
            .map(|_| MembershipSecret::random_with_rng(&mut r))
            .collect();
        let tree = MerkleTree::from_leaves(DEPTH, secrets.iter().map(MembershipSecret::commitment))
            .unwrap();
        let w = MembershipWitness::new(secrets[1].clone(), tree.path(1).unwrap());
        let s = w.statement(Scope::from_context(b"p"), Signal::from_message(b"m"));
        let proof = prove_with_rng(params.proving_key(), &w, &s, &mut r).unwrap();
        let pvk = params.verifying_key().prepare();
        assert_eq!(verify(&pvk, &s, &proof), Ok(()));
        let bad = super::super::MembershipStatement {
            signal: Signal::from_message(b"n"),
            ..s
        };
        assert_eq!(
            verify(&pvk, &bad, &proof),
            Err(VerificationError::InvalidProof)
        );
    }

    #[test]
    fn ceremony_objects_round_trip_through_bytes() {
        let (p1, p2) = ceremony();
        let (acc, c1) = &p1[0];
        assert_eq!(&PowersOfTau::from_bytes(&acc.to_bytes()).unwrap(), acc);
        assert_eq!(&Phase1Contribution::from_bytes(&c1.to_bytes()).unwrap(), c1);
        let (st, c2) = &p2[0];
        assert_eq!(&Phase2::from_bytes(&st.to_bytes()).unwrap(), st);
        assert_eq!(&Phase2Contribution::from_bytes(&c2.to_bytes()).unwrap(), c2);
        assert!(matches!(
            Phase1Contribution::from_bytes(&c2.to_bytes()),
            Err(DecodeError::WrongKind { .. })
        ));
        let mut bytes = c1.to_bytes();
        bytes.push(0);
        assert!(matches!(
            Phase1Contribution::from_bytes(&bytes),
            Err(DecodeError::TrailingBytes { count: 1 })
        ));
    }

    #[test]
    fn malformed_states_are_errors_not_panics() {
        let (p1, _) = ceremony();
        let mut short = p1[0].0.clone();
        short.tau_g1.truncate(1);
        assert!(matches!(
            short.contribute_with_rng(&mut rng(5)),
            Err(CeremonyError::WrongSize)
        ));
        assert!(matches!(
            short.verify_contribution_with_rng(&p1[1].0, &p1[1].1, &mut rng(5)),
            Err(CeremonyError::WrongSize)
        ));
        assert!(matches!(
            p1[0]
                .0
                .verify_contribution_with_rng(&short, &p1[1].1, &mut rng(5)),
            Err(CeremonyError::WrongSize)
        ));
        let mut deep = p1[0].0.clone();
        deep.depth = 200;
        assert!(deep.contribute_with_rng(&mut rng(5)).is_err());
    }

    #[test]
    fn tampered_contributions_are_detected() {
        let (p1, p2) = ceremony();
        let mut r = rng(4);
        let start = PowersOfTau::new(DEPTH).unwrap();

        // A phase-1 state with one power replaced.
        let mut bad = p1[0].0.clone();
        bad.tau_g1[5] = (bad.tau_g1[5] * Fr::from(2u64)).into_affine();
        assert!(matches!(
            start.verify_contribution_with_rng(&bad, &p1[0].1, &mut r),
            Err(CeremonyError::InconsistentUpdate)
        ));
        // The right state with another contributor's proof.
        assert!(matches!(
            start.verify_contribution_with_rng(&p1[0].0, &p1[1].1, &mut r),
            Err(CeremonyError::InvalidProofOfKnowledge)
        ));
        // Skipping the first contribution: the second's proofs are relative to the first.
        assert!(verify_ceremony_with_rng(DEPTH, &p1[1..], p2, &mut r).is_err());

        // Phase 2: a changed L entry, a changed A entry, a wrong proof.
        let base = Phase2::from_powers_with_rng(&p1[1].0, &mut r).unwrap();
        let mut bad = p2[0].0.clone();
        let l0 = bad.pk.inner().l_query[0];
        bad.pk.inner_mut().l_query[0] = (l0 * Fr::from(3u64)).into_affine();
        assert!(matches!(
            base.verify_contribution_with_rng(&bad, &p2[0].1, &mut r),
            Err(CeremonyError::InconsistentUpdate)
        ));
        let mut bad = p2[0].0.clone();
        bad.pk.inner_mut().a_query.swap(1, 2);
        assert!(matches!(
            base.verify_contribution_with_rng(&bad, &p2[0].1, &mut r),
            Err(CeremonyError::InconsistentUpdate)
        ));
        assert!(matches!(
            base.verify_contribution_with_rng(&p2[0].0, &p2[1].1, &mut r),
            Err(CeremonyError::InvalidProofOfKnowledge)
        ));
        // A phase-2 start not derived from the phase-1 result.
        let other = Phase2::from_powers_with_rng(&p1[0].0, &mut r).unwrap();
        assert!(other
            .verify_contribution_with_rng(&p2[0].0, &p2[0].1, &mut r)
            .is_err());
        // Empty phases are refused.
        assert!(verify_ceremony_with_rng(DEPTH, &[], p2, &mut r).is_err());
        assert!(verify_ceremony_with_rng(DEPTH, p1, &[], &mut r).is_err());
    }
}
