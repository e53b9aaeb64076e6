//! Typed Groth16 API for the membership circuit: parameters, proving, prepared and batch
//! verification.

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective};
use ark_ec::{pairing::Pairing, AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{Field, PrimeField, Zero};
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof, ProvingKey, VerifyingKey};
use ark_serialize::{Compress, Valid};
use ark_snark::SNARK;
use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::{
    circuit::{key_shape, MembershipCircuit},
    encoding::{self, serde_via_bytes, Kind},
    error::{DecodeError, ProveError, SetupError, VerificationError},
    tree::MAX_DEPTH,
    MembershipStatement, MembershipWitness,
};

/// Number of public inputs: root, nullifier, scope, signal.
const NUM_INPUTS: usize = 4;

/// Parameters for one tree depth: a proving key, which contains the verifying key.
///
/// Whoever generates these with [`MembershipParams::setup_with_rng`] and keeps the randomness
/// can forge proofs; see `docs/notes-membership.md` for the trust model.
#[derive(Clone, Debug)]
pub struct MembershipParams {
    pk: MembershipProvingKey,
}

impl MembershipParams {
    /// Generates parameters for trees of `depth` (`1..=MAX_DEPTH`), single-party.
    pub fn setup_with_rng(
        depth: usize,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Self, SetupError> {
        let circuit = MembershipCircuit::blank(depth)?;
        let (pk, _vk) = Groth16::<Bn254>::circuit_specific_setup(circuit, rng)?;
        let depth = u8::try_from(depth).map_err(|_| SetupError::UnsupportedDepth {
            depth,
            max: MAX_DEPTH,
        })?;
        Ok(Self {
            pk: MembershipProvingKey { depth, pk },
        })
    }

    pub(crate) fn from_proving_key(pk: MembershipProvingKey) -> Self {
        Self { pk }
    }

    /// [`Self::setup_with_rng`] with the operating system's RNG.
    pub fn setup(depth: usize) -> Result<Self, SetupError> {
        Self::setup_with_rng(depth, &mut rand::rngs::OsRng)
    }

    /// The proving key.
    pub fn proving_key(&self) -> &MembershipProvingKey {
        &self.pk
    }

    /// The verifying key.
    pub fn verifying_key(&self) -> MembershipVerifyingKey {
        self.pk.verifying_key()
    }

    /// The tree depth these parameters are for.
    pub fn depth(&self) -> usize {
        self.pk.depth()
    }
}

/// A Groth16 proving key for the membership circuit at one depth.
#[derive(Clone, PartialEq)]
pub struct MembershipProvingKey {
    depth: u8,
    pk: ProvingKey<Bn254>,
}

impl core::fmt::Debug for MembershipProvingKey {
    /// Prints the depth and query sizes, not the tens of thousands of points.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MembershipProvingKey")
            .field("depth", &self.depth)
            .field("a_query", &self.pk.a_query.len())
            .field("h_query", &self.pk.h_query.len())
            .field("l_query", &self.pk.l_query.len())
            .finish_non_exhaustive()
    }
}

impl MembershipProvingKey {
    /// The tree depth.
    pub fn depth(&self) -> usize {
        usize::from(self.depth)
    }

    /// The matching verifying key.
    pub fn verifying_key(&self) -> MembershipVerifyingKey {
        MembershipVerifyingKey {
            depth: self.depth,
            vk: self.pk.vk.clone(),
        }
    }

    /// Canonical encoding: version, kind (`0x08`), depth, then arkworks' *uncompressed*
    /// serialisation of the key. Uncompressed points decode without square roots, which makes
    /// [`Self::from_bytes`] several times faster for about twice the bytes (2.3 MB at depth 20).
    pub fn to_bytes(&self) -> Vec<u8> {
        encoding::encode_uncompressed(Kind::ProvingKeyUncompressed, Some(self.depth), &self.pk)
    }

    /// The SHA-256 digest of [`Self::to_bytes`] (domain-separated, see [`ProvingKeyDigest`]).
    pub fn digest(&self) -> ProvingKeyDigest {
        ProvingKeyDigest::of_bytes(&self.to_bytes())
    }

    /// Decodes [`Self::to_bytes`] (or the older compressed encoding, kind `0x03`) from an
    /// untrusted source, validating everything: header, depth, canonical encoding, every
    /// point on the curve and in the prime-order subgroup (checked in parallel), and the
    /// query sizes against the circuit at the claimed depth.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let key = Self::decode_structure(bytes)?;
        check_points(&key.pk)?;
        check_randomisers(&key.pk)?;
        Ok(key)
    }

    /// Decodes bytes that hash to `expected`: the fast path for reloading a key that was fully
    /// validated before (by [`Self::from_bytes`]) and whose digest was kept since then, e.g.
    /// a server reloading an uploaded key from its own disk, or a voter's cache.
    ///
    /// Only the points' curve and subgroup checks are skipped; the header, depth, lengths,
    /// canonical encoding and query sizes are still checked, so truncated or garbled bytes are
    /// an error, never a panic. Soundness rests on the digest: SHA-256 collision resistance
    /// means the bytes are exactly the ones that passed [`Self::from_bytes`] when `expected`
    /// was recorded, so the skipped checks would give the same answer again. `expected` must
    /// therefore come from that validation (or from a record the caller trusts as much, such
    /// as the digest next to the key in the server's own store), never from the same untrusted
    /// party as the bytes. See `docs/notes-membership.md`, "Loading proving keys".
    pub fn from_bytes_checked_by_digest(
        bytes: &[u8],
        expected: &ProvingKeyDigest,
    ) -> Result<Self, DecodeError> {
        if ProvingKeyDigest::of_bytes(bytes) != *expected {
            return Err(DecodeError::DigestMismatch);
        }
        Self::decode_structure(bytes)
    }

    /// Everything in [`Self::from_bytes`] except the point checks.
    fn decode_structure(bytes: &[u8]) -> Result<Self, DecodeError> {
        let compress = match encoding::peek_kind(bytes)? {
            k if k == Kind::ProvingKeyUncompressed as u8 => Compress::No,
            k if k == Kind::ProvingKey as u8 => Compress::Yes,
            found => {
                return Err(DecodeError::WrongKind {
                    expected: Kind::ProvingKeyUncompressed as u8,
                    found,
                })
            }
        };
        let kind = if compress == Compress::No {
            Kind::ProvingKeyUncompressed
        } else {
            Kind::ProvingKey
        };
        // The depth byte first, so a bad depth is reported as such before any decoding.
        let depth = check_key_depth(bytes.get(2).copied())?;
        let shape = key_shape(usize::from(depth))
            .map_err(|_| DecodeError::UnsupportedDepth { found: depth })?;
        let (_, pk) = encoding::decode_unchecked::<ProvingKey<Bn254>>(kind, compress, bytes)?;
        check_vk_shape(&pk.vk)?;
        // The prover indexes the queries by circuit variable; sizes that do not match the
        // circuit would make it fail (or panic inside arkworks), so reject them here.
        let vars = shape.instance + shape.witness;
        let ok = pk.a_query.len() == vars
            && pk.b_g1_query.len() == vars
            && pk.b_g2_query.len() == vars
            && pk.l_query.len() == shape.witness
            && pk.h_query.len() + 1 == shape.domain
            && pk.vk.gamma_abc_g1.len() == shape.instance;
        if !ok {
            return Err(DecodeError::ShapeMismatch);
        }
        Ok(Self { depth, pk })
    }

    fn try_from_slice(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::from_bytes(bytes)
    }

    pub(crate) fn from_parts(depth: u8, pk: ProvingKey<Bn254>) -> Self {
        Self { depth, pk }
    }

    pub(crate) fn inner(&self) -> &ProvingKey<Bn254> {
        &self.pk
    }

    #[cfg(test)]
    pub(crate) fn inner_mut(&mut self) -> &mut ProvingKey<Bn254> {
        &mut self.pk
    }
}

/// A Groth16 verifying key for the membership circuit at one depth.
#[derive(Clone, Debug, PartialEq)]
pub struct MembershipVerifyingKey {
    depth: u8,
    vk: VerifyingKey<Bn254>,
}

impl MembershipVerifyingKey {
    /// The tree depth.
    pub fn depth(&self) -> usize {
        usize::from(self.depth)
    }

    /// Precomputes `e(alpha, beta)` and the prepared `-gamma`, `-delta` for fast verification.
    pub fn prepare(&self) -> PreparedMembershipVerifyingKey {
        PreparedMembershipVerifyingKey {
            depth: self.depth,
            pvk: ark_groth16::prepare_verifying_key(&self.vk),
        }
    }

    /// Canonical encoding: version, kind, depth, compressed arkworks key.
    pub fn to_bytes(&self) -> Vec<u8> {
        encoding::encode(Kind::VerifyingKey, Some(self.depth), &self.vk)
    }

    /// Decodes [`Self::to_bytes`], validating every point.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (depth, vk) = encoding::decode::<VerifyingKey<Bn254>>(Kind::VerifyingKey, true, bytes)?;
        let depth = check_key_depth(depth)?;
        check_vk_shape(&vk)?;
        Ok(Self { depth, vk })
    }

    fn try_from_slice(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::from_bytes(bytes)
    }
}

pub(crate) fn check_key_depth(depth: Option<u8>) -> Result<u8, DecodeError> {
    match depth {
        Some(d) if (1..=MAX_DEPTH).contains(&usize::from(d)) => Ok(d),
        Some(d) => Err(DecodeError::UnsupportedDepth { found: d }),
        None => Err(DecodeError::Truncated),
    }
}

fn check_vk_shape(vk: &VerifyingKey<Bn254>) -> Result<(), DecodeError> {
    if vk.gamma_abc_g1.len() == NUM_INPUTS + 1 {
        Ok(())
    } else {
        Err(DecodeError::ShapeMismatch)
    }
}

/// Checks every point of a proving key: on the curve and in the prime-order subgroup. The
/// long vectors are checked in parallel (rayon); the G2 subgroup checks dominate.
fn check_points(pk: &ProvingKey<Bn254>) -> Result<(), DecodeError> {
    fn all<T: Valid + Sync>(points: &[T]) -> Result<(), DecodeError> {
        points
            .par_chunks(256)
            .try_for_each(|chunk| chunk.iter().try_for_each(Valid::check))
            .map_err(|_| DecodeError::Malformed)
    }
    let singles = [pk.beta_g1, pk.delta_g1, pk.vk.alpha_g1];
    all(&singles)?;
    all(&[pk.vk.beta_g2, pk.vk.gamma_g2, pk.vk.delta_g2])?;
    all(&pk.vk.gamma_abc_g1)?;
    all(&pk.a_query)?;
    all(&pk.b_g1_query)?;
    all(&pk.b_g2_query)?;
    all(&pk.h_query)?;
    all(&pk.l_query)
}

/// Checks the points the prover randomises with, `delta_g1` and `delta_g2`, are not the
/// identity. Then `A` and `B` of every proof carry `r delta_g1` and `s delta_g2` with fresh
/// uniform `r`, `s`, so they are uniform and independent of the witness, and in a proof that
/// verifies under the poll's verifying key `C` is fixed by `A`, `B` and the statement: such a
/// proof reveals nothing beyond its statement, however the rest of the key was made (see
/// `docs/notes-membership.md`, "Loading proving keys").
fn check_randomisers(pk: &ProvingKey<Bn254>) -> Result<(), DecodeError> {
    if pk.delta_g1.is_zero() || pk.vk.delta_g2.is_zero() {
        Err(DecodeError::Malformed)
    } else {
        Ok(())
    }
}

/// The SHA-256 digest of a proving key's encoding:
/// `SHA-256(len(DST) as u64 BE || DST || bytes)` with [`ProvingKeyDigest::DST`].
///
/// Record it when a key has been validated ([`MembershipProvingKey::from_bytes`]) and reload
/// the key later with [`MembershipProvingKey::from_bytes_checked_by_digest`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProvingKeyDigest(pub [u8; 32]);

impl ProvingKeyDigest {
    /// Domain separation tag of the digest.
    pub const DST: &'static [u8] = b"weft-zk/membership/proving-key-digest/v1";

    /// The digest of an encoded key (whatever the bytes are; nothing is decoded).
    pub fn of_bytes(bytes: &[u8]) -> Self {
        let digest = Sha256::new()
            .chain_update((Self::DST.len() as u64).to_be_bytes())
            .chain_update(Self::DST)
            .chain_update(bytes)
            .finalize();
        Self(digest.into())
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, DecodeError> {
        let text = text.as_bytes();
        if text.len() != 64 {
            return Err(DecodeError::Malformed);
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
            let digit = |c: u8| (c as char).to_digit(16).ok_or(DecodeError::Malformed);
            *byte = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
        }
        Ok(Self(out))
    }
}

impl core::fmt::Debug for ProvingKeyDigest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ProvingKeyDigest({})", self.to_hex())
    }
}

impl core::fmt::Display for ProvingKeyDigest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A verifying key with its pairing precomputations, for [`verify`] and [`batch_verify`].
#[derive(Clone, Debug)]
pub struct PreparedMembershipVerifyingKey {
    depth: u8,
    pvk: PreparedVerifyingKey<Bn254>,
}

impl PreparedMembershipVerifyingKey {
    /// The tree depth.
    pub fn depth(&self) -> usize {
        usize::from(self.depth)
    }
}

/// A Groth16 membership proof: 2 G1 points and 1 G2 point, 128 bytes compressed.
#[derive(Clone, Debug, PartialEq)]
pub struct MembershipProof {
    proof: Proof<Bn254>,
}

impl MembershipProof {
    /// Length of [`Self::to_bytes`].
    pub const ENCODED_LEN: usize = 2 + 32 + 64 + 32;

    /// Canonical encoding: version, kind, compressed `A`, `B`, `C`.
    pub fn to_bytes(&self) -> Vec<u8> {
        encoding::encode(Kind::Proof, None, &self.proof)
    }

    /// Decodes [`Self::to_bytes`]: points must be canonical, on the curve and in the subgroup.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (_, proof) = encoding::decode(Kind::Proof, false, bytes)?;
        Ok(Self { proof })
    }

    fn try_from_slice(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::from_bytes(bytes)
    }

    #[cfg(test)]
    pub(crate) fn proof_b(&self) -> ark_bn254::G2Affine {
        self.proof.b
    }

    /// A fresh proof of the same statement (same distribution as a new proof); used by tests
    /// and benches to get many distinct proofs cheaply.
    pub fn rerandomize_with_rng(
        &self,
        vk: &MembershipVerifyingKey,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Self {
        Self {
            proof: Groth16::<Bn254>::rerandomize_proof(&vk.vk, &self.proof, rng),
        }
    }
}

serde_via_bytes!(MembershipProof, "a versioned membership proof encoding");
serde_via_bytes!(
    MembershipVerifyingKey,
    "a versioned membership verifying key encoding"
);
serde_via_bytes!(
    MembershipProvingKey,
    "a versioned membership proving key encoding"
);

/// Proves `statement` with `witness`.
///
/// The witness is checked natively first: a wrong depth, secret or path is an error, not a
/// proof that fails later.
pub fn prove_with_rng(
    pk: &MembershipProvingKey,
    witness: &MembershipWitness,
    statement: &MembershipStatement,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<MembershipProof, ProveError> {
    if witness.depth() != pk.depth() {
        return Err(ProveError::DepthMismatch {
            expected: pk.depth(),
            found: witness.depth(),
        });
    }
    let expected = witness.statement(statement.scope, statement.signal);
    if expected.root != statement.root {
        return Err(ProveError::RootMismatch);
    }
    if expected.nullifier != statement.nullifier {
        return Err(ProveError::NullifierMismatch);
    }
    let circuit =
        MembershipCircuit::new(statement, witness).map_err(|_| ProveError::DepthMismatch {
            expected: pk.depth(),
            found: witness.depth(),
        })?;
    let proof = Groth16::<Bn254>::prove(&pk.pk, circuit, rng)?;
    Ok(MembershipProof { proof })
}

/// [`prove_with_rng`] with the operating system's RNG.
pub fn prove(
    pk: &MembershipProvingKey,
    witness: &MembershipWitness,
    statement: &MembershipStatement,
) -> Result<MembershipProof, ProveError> {
    prove_with_rng(pk, witness, statement, &mut rand::rngs::OsRng)
}

/// Verifies one proof: `e(A, B) = e(alpha, beta) e(IC(x), gamma) e(C, delta)`.
pub fn verify(
    pvk: &PreparedMembershipVerifyingKey,
    statement: &MembershipStatement,
    proof: &MembershipProof,
) -> Result<(), VerificationError> {
    match Groth16::<Bn254>::verify_with_processed_vk(
        &pvk.pvk,
        &statement.public_inputs(),
        &proof.proof,
    ) {
        Ok(true) => Ok(()),
        _ => Err(VerificationError::InvalidProof),
    }
}

/// Verifies many proofs at once with a random linear combination.
///
/// With independent uniform 128-bit weights `r_i`, checks
///
/// ```text
/// prod_i e(r_i A_i, B_i) * e(sum_i r_i IC(x_i), -gamma) * e(sum_i r_i C_i, -delta)
///     = e(alpha, beta)^(sum_i r_i)
/// ```
///
/// with one multi-Miller loop of `n + 2` pairs and one final exponentiation. If any proof is
/// invalid, the check passes with probability at most `2^-128` over the weights (see
/// `docs/notes-membership.md`). An error says only that some proof is invalid; verify
/// individually to find which. An empty batch verifies.
pub fn batch_verify_with_rng<'a>(
    pvk: &PreparedMembershipVerifyingKey,
    items: impl IntoIterator<Item = (&'a MembershipStatement, &'a MembershipProof)>,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(), VerificationError> {
    let items: Vec<_> = items.into_iter().collect();
    if items.is_empty() {
        return Ok(());
    }
    let weights: Vec<Fr> = items
        .iter()
        .map(|_| loop {
            let r = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
            if r != 0 {
                break Fr::from(r);
            }
        })
        .collect();

    // sum_i r_i IC(x_i) = (sum_i r_i) gamma_abc_0 + sum_j (sum_i r_i x_ij) gamma_abc_j
    let mut ic_scalars = [Fr::zero(); NUM_INPUTS + 1];
    for ((statement, _), r) in items.iter().zip(&weights) {
        ic_scalars[0] += r;
        for (acc, x) in ic_scalars[1..].iter_mut().zip(statement.public_inputs()) {
            *acc += *r * x;
        }
    }
    let sum_r = ic_scalars[0];
    let ic = G1Projective::msm(&pvk.pvk.vk.gamma_abc_g1, &ic_scalars)
        .map_err(|_| VerificationError::InvalidProof)?;

    let cs: Vec<G1Affine> = items.iter().map(|(_, p)| p.proof.c).collect();
    let c = G1Projective::msm(&cs, &weights).map_err(|_| VerificationError::InvalidProof)?;

    let scaled_a: Vec<G1Projective> = items
        .iter()
        .zip(&weights)
        .map(|((_, p), r)| p.proof.a * r)
        .collect();
    let mut g1 = G1Projective::normalize_batch(&scaled_a);
    g1.extend(G1Projective::normalize_batch(&[ic, c]));

    let g1_prepared = g1.into_iter().map(<Bn254 as Pairing>::G1Prepared::from);
    let g2_prepared = items
        .iter()
        .map(|(_, p)| <Bn254 as Pairing>::G2Prepared::from(p.proof.b))
        .chain([
            pvk.pvk.gamma_g2_neg_pc.clone(),
            pvk.pvk.delta_g2_neg_pc.clone(),
        ]);

    let ml = Bn254::multi_miller_loop(g1_prepared, g2_prepared);
    let lhs = Bn254::final_exponentiation(ml).ok_or(VerificationError::InvalidProof)?;
    let rhs = pvk.pvk.alpha_g1_beta_g2.pow(sum_r.into_bigint());
    if lhs.0 == rhs {
        Ok(())
    } else {
        Err(VerificationError::InvalidProof)
    }
}

/// [`batch_verify_with_rng`] with the operating system's RNG (the weights must be
/// unpredictable to whoever made the proofs).
pub fn batch_verify<'a>(
    pvk: &PreparedMembershipVerifyingKey,
    items: impl IntoIterator<Item = (&'a MembershipStatement, &'a MembershipProof)>,
) -> Result<(), VerificationError> {
    batch_verify_with_rng(pvk, items, &mut rand::rngs::OsRng)
}
