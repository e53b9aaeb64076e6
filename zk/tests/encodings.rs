//! Property tests of the canonical encodings: round trips, serde, rejection of
//! non-canonical scalars and invalid points, and no panics on arbitrary input.

use curve25519_dalek::{RistrettoPoint, Scalar};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use weft_zk::dkg::{Complaint, ComplaintResponse, DkgRound1, Round1Broadcast, SecretShareMessage};
use weft_zk::sigma::dleq::{DleqProof, DleqStatement};
use weft_zk::sigma::or_proof::{OneOfProof, OneOfStatement};
use weft_zk::sigma::schnorr::SchnorrProof;
use weft_zk::sigma::sum::{AllowedTotal, SumProof, SumStatement};
use weft_zk::{
    AggregatedRangeProof, BitSize, Ciphertext, Commitment, Context, DecryptionShare, DkgParameters,
    EncodingError, GroupKey, IntervalProof, KeyShare, Opening, PublicKey, RangeProof, SecretKey,
    ENCODING_VERSION,
};

const CTX: Context<'static> = Context::new(b"encodings");

/// The group order l, little-endian.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// `a + b` on 256-bit little-endian integers (no overflow for the inputs used here).
fn add_le(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    out
}

fn header(tag: u8) -> Vec<u8> {
    vec![ENCODING_VERSION, tag]
}

fn schnorr_bytes(point: &[u8; 32], scalar: &[u8; 32]) -> Vec<u8> {
    let mut b = header(0x10);
    b.extend_from_slice(point);
    b.extend_from_slice(scalar);
    b
}

fn serde_roundtrip<T>(value: &T) -> T
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
}

#[test]
fn group_order_constant_is_l() {
    assert_eq!(Scalar::from_bytes_mod_order(L), Scalar::ZERO);
    assert_ne!(L, [0u8; 32]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn commitment_roundtrip(v in any::<u64>(), seed in any::<u64>()) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let c = Opening::random_with_rng(v, &mut rng).commit();
        prop_assert_eq!(Commitment::from_bytes(&c.to_bytes()).unwrap(), c);
        prop_assert_eq!(serde_roundtrip(&c), c);
    }

    #[test]
    fn key_and_ciphertext_roundtrip(m in any::<u64>(), seed in any::<u64>()) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let pk = SecretKey::random_with_rng(&mut rng).public_key();
        prop_assert_eq!(PublicKey::from_bytes(&pk.to_bytes()).unwrap(), pk);
        prop_assert_eq!(serde_roundtrip(&pk), pk);
        let (ct, _) = pk.encrypt_with_rng(m, &mut rng);
        prop_assert_eq!(Ciphertext::from_bytes(&ct.to_bytes()).unwrap(), ct);
        prop_assert_eq!(serde_roundtrip(&ct), ct);
    }

    /// Any 32 bytes either decode to a point whose encoding is exactly those bytes, or are
    /// rejected as an invalid point.
    #[test]
    fn points_decode_only_canonically(bytes in any::<[u8; 32]>()) {
        let mut enc = header(0x01);
        enc.extend_from_slice(&bytes);
        match Commitment::from_bytes(&enc) {
            Ok(c) => prop_assert_eq!(c.to_bytes(), enc),
            Err(e) => prop_assert_eq!(e, EncodingError::InvalidPoint),
        }
    }

    /// Any 32 bytes decode as a scalar iff they are the canonical encoding of one.
    #[test]
    fn scalars_decode_only_canonically(bytes in any::<[u8; 32]>()) {
        let g = curve25519_dalek::constants::RISTRETTO_BASEPOINT_COMPRESSED.to_bytes();
        let canonical = bool::from(Scalar::from_canonical_bytes(bytes).is_some());
        match SchnorrProof::from_bytes(&schnorr_bytes(&g, &bytes)) {
            Ok(p) => {
                prop_assert!(canonical);
                prop_assert_eq!(p.to_bytes(), schnorr_bytes(&g, &bytes));
            }
            Err(e) => {
                prop_assert!(!canonical);
                prop_assert_eq!(e, EncodingError::NonCanonicalScalar);
            }
        }
    }

    /// `s + l` encodes the same residue as `s` but is not canonical, so it is rejected.
    #[test]
    fn scalar_plus_l_is_rejected(seed in any::<u64>()) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let s = Scalar::random(&mut rng).to_bytes();
        let g = curve25519_dalek::constants::RISTRETTO_BASEPOINT_COMPRESSED.to_bytes();
        prop_assert!(SchnorrProof::from_bytes(&schnorr_bytes(&g, &s)).is_ok());
        let lifted = add_le(&s, &L);
        prop_assert_eq!(Scalar::from_bytes_mod_order(lifted).to_bytes(), s);
        prop_assert_eq!(
            SchnorrProof::from_bytes(&schnorr_bytes(&g, &lifted)).err(),
            Some(EncodingError::NonCanonicalScalar)
        );
    }

    /// Arbitrary input never panics any decoder.
    #[test]
    fn decoders_never_panic(tag in 0u8..0x40, body in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut b = header(tag);
        b.extend_from_slice(&body);
        let _ = Commitment::from_bytes(&b);
        let _ = PublicKey::from_bytes(&b);
        let _ = Ciphertext::from_bytes(&b);
        let _ = RangeProof::from_bytes(&b);
        let _ = AggregatedRangeProof::from_bytes(&b);
        let _ = IntervalProof::from_bytes(&b);
        let _ = SchnorrProof::from_bytes(&b);
        let _ = DleqProof::from_bytes(&b);
        let _ = OneOfProof::from_bytes(&b);
        let _ = SumProof::from_bytes(&b);
        let _ = Round1Broadcast::from_bytes(&b);
        let _ = DecryptionShare::from_bytes(&b);
        let _ = ComplaintResponse::from_bytes(&b);
        let _ = GroupKey::from_bytes(&b);
        let _ = KeyShare::from_secret_bytes(&b);
        let _ = weft_zk::SecretKey::from_secret_bytes(&b);
        let _ = Opening::from_secret_bytes(&b);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn proof_roundtrips(seed in any::<u64>(), v in 0u64..1000, bit in 0u64..2) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let sk = SecretKey::random_with_rng(&mut rng);
        let pk = sk.public_key();

        let o = Opening::random_with_rng(v, &mut rng);
        let (rp, _) = RangeProof::prove_with_rng(&CTX, BitSize::Bits16, &o, &mut rng).unwrap();
        prop_assert_eq!(RangeProof::from_bytes(&rp.to_bytes()).unwrap().to_bytes(), rp.to_bytes());
        prop_assert_eq!(serde_roundtrip(&rp).to_bytes(), rp.to_bytes());
        let (ap, _) = AggregatedRangeProof::prove_with_rng(&CTX, BitSize::Bits8, &[Opening::new(v % 256, Scalar::ONE), Opening::new(3, Scalar::ZERO), Opening::new(255, Scalar::from(seed))], &mut rng).unwrap();
        prop_assert_eq!(AggregatedRangeProof::from_bytes(&ap.to_bytes()).unwrap().to_bytes(), ap.to_bytes());
        let (ip, _) = IntervalProof::prove_with_rng(&CTX, 0, 1000, &o, &mut rng).unwrap();
        prop_assert_eq!(IntervalProof::from_bytes(&ip.to_bytes()).unwrap().to_bytes(), ip.to_bytes());

        let sp = SchnorrProof::prove_with_rng(&CTX, &sk, &mut rng);
        prop_assert_eq!(SchnorrProof::from_bytes(&sp.to_bytes()).unwrap(), sp);
        prop_assert_eq!(serde_roundtrip(&sp), sp);

        let h = RistrettoPoint::mul_base(&Scalar::from(seed | 1));
        let st = DleqStatement {
            g: curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT,
            h,
            a: *pk.as_point(),
            b: -sk.decrypt_to_point(&Ciphertext::from_points(h, RistrettoPoint::default())),
        };
        let dp = DleqProof::prove_with_rng(&CTX, &st, &sk, &mut rng).unwrap();
        prop_assert_eq!(DleqProof::from_bytes(&dp.to_bytes()).unwrap(), dp);
        prop_assert_eq!(serde_roundtrip(&dp), dp);

        let (ct, r) = pk.encrypt_with_rng(bit, &mut rng);
        let op = OneOfProof::prove_with_rng(&OneOfStatement::bit(CTX, pk, ct), bit, &r, &mut rng).unwrap();
        prop_assert_eq!(OneOfProof::from_bytes(&op.to_bytes()).unwrap(), op.clone());
        prop_assert_eq!(serde_roundtrip(&op), op);

        let cts = [ct];
        let sum_st = SumStatement { context: CTX, public_key: pk, ciphertexts: &cts, total: AllowedTotal::Exactly(bit) };
        let sum = SumProof::prove_with_rng(&sum_st, &[bit], &[r], &mut rng).unwrap();
        prop_assert_eq!(SumProof::from_bytes(&sum.to_bytes()).unwrap(), sum.clone());
        prop_assert_eq!(serde_roundtrip(&sum), sum);
    }

    #[test]
    fn dkg_roundtrips(seed in any::<u64>()) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let params = DkgParameters::new(2, 3).unwrap();
        let (r1, bs): (Vec<_>, Vec<_>) =
            (1..=3).map(|i| DkgRound1::new_with_rng(params, i, &CTX, &mut rng).unwrap()).unzip();
        for b in &bs {
            prop_assert_eq!(&Round1Broadcast::from_bytes(&b.to_bytes()).unwrap(), b);
            prop_assert_eq!(&serde_roundtrip(b), b);
        }
        let group = GroupKey::from_public_transcript(params, &CTX, &bs, &[], &[]).unwrap();
        prop_assert_eq!(&GroupKey::from_bytes(&group.to_bytes()).unwrap(), &group);
        prop_assert_eq!(&serde_roundtrip(&group), &group);

        // Run the remaining rounds for the secret-side encodings.
        let (r2, msgs): (Vec<_>, Vec<_>) =
            r1.into_iter().map(|p| p.receive_broadcasts(&bs).unwrap()).unzip();
        let msgs: Vec<SecretShareMessage> = msgs.into_iter().flatten().collect();
        for m in &msgs {
            let back = SecretShareMessage::from_secret_bytes(&m.to_secret_bytes()).unwrap();
            prop_assert_eq!(back.to_secret_bytes(), m.to_secret_bytes());
        }
        let mut r2 = r2.into_iter();
        let first = r2.next().unwrap();
        let mine: Vec<_> = msgs.iter().filter(|m| m.to() == 1).cloned().collect();
        let (r3, _) = first.receive_shares(&mine).unwrap();
        let complaint = Complaint { accuser: 2, accused: 1 };
        for resp in r3.respond_to_complaints(&[complaint]) {
            prop_assert_eq!(ComplaintResponse::from_bytes(&resp.to_bytes()).unwrap(), resp);
            prop_assert_eq!(serde_roundtrip(&resp), resp);
        }
        let out = r3.finish(&[], &[]).unwrap();
        let ks = KeyShare::from_secret_bytes(&out.share.to_secret_bytes()).unwrap();
        prop_assert_eq!(ks.to_secret_bytes(), out.share.to_secret_bytes());
        let (ct, _) = out.group.public_key().encrypt_with_rng(3, &mut rng);
        let ds = out.share.decryption_share_with_rng(&CTX, &ct, &mut rng);
        prop_assert_eq!(DecryptionShare::from_bytes(&ds.to_bytes()).unwrap(), ds);
        prop_assert_eq!(serde_roundtrip(&ds), ds);
        prop_assert!(out.group.verify_share(&CTX, &ct, &ds).is_ok());
    }
}

#[test]
fn identity_public_key_is_rejected() {
    let mut b = header(0x20);
    b.extend_from_slice(&[0u8; 32]);
    assert_eq!(
        PublicKey::from_bytes(&b).err(),
        Some(EncodingError::IdentityPoint)
    );
}

#[test]
fn wrong_version_and_tag_are_rejected() {
    let pk = SecretKey::random().public_key();
    let mut b = pk.to_bytes();
    b[0] = 2;
    assert_eq!(
        PublicKey::from_bytes(&b).err(),
        Some(EncodingError::UnsupportedVersion { found: 2 })
    );
    // A ciphertext's bytes are not a commitment even when the lengths would fit.
    let c = Opening::random(3).commit().to_bytes();
    assert_eq!(
        PublicKey::from_bytes(&c).err(),
        Some(EncodingError::WrongType {
            expected: 0x20,
            found: 0x01
        })
    );
}
