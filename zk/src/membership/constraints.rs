//! R1CS gadgets for the hashes in [`super::poseidon`], built on ark-crypto-primitives'
//! `PoseidonSpongeVar` with the same parameters, tags and absorb order as the native code.
//!
//! Tests below check gadget == native on random inputs and that the constraint system is
//! satisfied; constant inputs (the domain tag) cost no constraints.

use ark_bn254::Fr;
use ark_crypto_primitives::sponge::{
    constraints::CryptographicSpongeVar, poseidon::constraints::PoseidonSpongeVar,
};
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use super::poseidon::{config, Domain};

/// `Poseidon(domain.tag(), inputs...)` in R1CS.
pub(crate) fn hash_var(
    cs: ConstraintSystemRef<Fr>,
    domain: Domain,
    inputs: &[&FpVar<Fr>],
) -> Result<FpVar<Fr>, SynthesisError> {
    let mut sponge = PoseidonSpongeVar::new(cs, config());
    sponge.absorb(&FpVar::Constant(domain.tag()))?;
    for input in inputs {
        sponge.absorb(*input)?;
    }
    let mut out = sponge.squeeze_field_elements(1)?;
    out.pop().ok_or(SynthesisError::Unsatisfiable)
}

/// Gadget for [`super::poseidon::leaf`].
pub(crate) fn leaf_var(
    cs: ConstraintSystemRef<Fr>,
    secret: &FpVar<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    hash_var(cs, Domain::Leaf, &[secret])
}

/// Gadget for [`super::poseidon::node`].
pub(crate) fn node_var(
    cs: ConstraintSystemRef<Fr>,
    left: &FpVar<Fr>,
    right: &FpVar<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    hash_var(cs, Domain::Node, &[left, right])
}

/// Gadget for [`super::poseidon::nullifier`].
pub(crate) fn nullifier_var(
    cs: ConstraintSystemRef<Fr>,
    secret: &FpVar<Fr>,
    scope: &FpVar<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    hash_var(cs, Domain::Nullifier, &[secret, scope])
}

#[cfg(test)]
mod tests {
    use super::super::poseidon;
    use super::*;
    use ark_ff::UniformRand;
    use ark_r1cs_std::{alloc::AllocVar, GR1CSVar};
    use ark_relations::gr1cs::ConstraintSystem;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn witness(cs: &ConstraintSystemRef<Fr>, x: Fr) -> FpVar<Fr> {
        FpVar::new_witness(cs.clone(), || Ok(x)).expect("allocation of a known value")
    }

    #[test]
    fn gadgets_match_native_and_are_satisfied() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        for _ in 0..4 {
            let (a, b) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
            let cs = ConstraintSystem::<Fr>::new_ref();
            let (va, vb) = (witness(&cs, a), witness(&cs, b));

            let leaf = leaf_var(cs.clone(), &va).unwrap();
            let node = node_var(cs.clone(), &va, &vb).unwrap();
            let nul = nullifier_var(cs.clone(), &va, &vb).unwrap();

            assert_eq!(leaf.value().unwrap(), poseidon::leaf(&a));
            assert_eq!(node.value().unwrap(), poseidon::node(&a, &b));
            assert_eq!(nul.value().unwrap(), poseidon::nullifier(&a, &b));
            assert!(cs.is_satisfied().unwrap());
        }
    }

    #[test]
    fn a_forged_hash_output_is_unsatisfied() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let (x, y) = (Fr::from(3u64), Fr::from(4u64));
        let (a, b) = (witness(&cs, x), witness(&cs, y));
        let node = node_var(cs.clone(), &a, &b).unwrap();
        let claimed = FpVar::new_input(cs.clone(), || Ok(poseidon::node(&y, &x))).unwrap();
        ark_r1cs_std::eq::EqGadget::enforce_equal(&node, &claimed).unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }

    #[test]
    fn constant_inputs_cost_nothing_and_one_hash_is_cheap() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let a = witness(&cs, Fr::from(3u64));
        let b = witness(&cs, Fr::from(4u64));
        let before = cs.num_constraints();
        let _ = node_var(cs.clone(), &a, &b).unwrap();
        let per_hash = cs.num_constraints() - before;
        // 8 full rounds x 4 S-boxes + 56 partial rounds x 1 S-box, 3 constraints per x^5.
        assert!(per_hash <= (8 * 4 + 56) * 3, "{per_hash}");

        let cs = ConstraintSystem::<Fr>::new_ref();
        let c = FpVar::Constant(Fr::from(5u64));
        let _ = leaf_var(cs.clone(), &c).unwrap();
        assert_eq!(cs.num_constraints(), 0);
    }
}
