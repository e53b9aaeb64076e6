//! Frozen v1 encodings: proofs made once with a seeded RNG and pasted here must keep
//! decoding and verifying. A change to a transcript label, domain separator or encoding
//! breaks this test on purpose: such a change needs a new version, not an edit.
//!
//! To regenerate after a deliberate version bump: `FREEZE=1 cargo test -p weft-zk --test
//! frozen -- --nocapture` prints fresh hex.

use curve25519_dalek::{RistrettoPoint, Scalar};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use weft_zk::sigma::dleq::{DleqProof, DleqStatement};
use weft_zk::sigma::or_proof::{OneOfProof, OneOfStatement};
use weft_zk::sigma::schnorr::SchnorrProof;
use weft_zk::sigma::sum::{AllowedTotal, SumProof, SumStatement};
use weft_zk::{
    BitSize, Context, IntervalProof, IntervalStatement, Opening, RangeProof, RangeStatement,
    SecretKey,
};

const CTX: Context<'static> = Context::new(b"weft-zk frozen vectors v1");

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The deterministic statements the frozen proofs are about.
struct Fixture {
    sk: SecretKey,
    dleq: DleqStatement,
    ct: weft_zk::Ciphertext,
    r: weft_zk::EncryptionRandomness,
    opening: Opening,
}

fn fixture() -> Fixture {
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let sk = SecretKey::random_with_rng(&mut rng);
    let h = RistrettoPoint::mul_base(&Scalar::from(7u64));
    let b = -sk.decrypt_to_point(&weft_zk::Ciphertext::from_points(
        h,
        RistrettoPoint::default(),
    ));
    let dleq = DleqStatement {
        g: curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT,
        h,
        a: *sk.public_key().as_point(),
        b,
    };
    let (ct, r) = sk.public_key().encrypt_with_rng(1, &mut rng);
    let opening = Opening::random_with_rng(42, &mut rng);
    Fixture {
        sk,
        dleq,
        ct,
        r,
        opening,
    }
}

const SCHNORR: &str = concat!(
    "01104cdc1fce23f26bc17c719eec8399fb8935299bc11c1c82a34a82e5b76a342307fac8acf94ebb936c3d21",
    "e78088e1da4795496417c1d37ca76f848bc36fb3ac0c",
);
const DLEQ: &str = concat!(
    "011100cd75892d8d6fede8b5079959b4c6f27119f55e62231c39b6350848624ef529566851ec1594896a4ec0",
    "ccfbf81b3a483f6630ae41f3970985f6d988f5aef775afd43a0929c816937b0e4e5a15d758f4b14f033adfe3",
    "f86ecab49ee557ca7f08",
);
const BIT: &str = concat!(
    "011200000002568983573a849e5e96b463eb4a2f42883803284bd569d12768804aa12c4fdd381453471f34ad",
    "832875be82063e746b0faab2618fba988933d2c4260dbb945364fb0b136b239b23a9fc2896ff33601022c502",
    "47a14ffb99190cc76a349ca8f604649631d280f971760df77f4c0635f392b7ac3b5509cc6acf7c6962cc206d",
    "ec04961dc65498f413f3d5e0dfcf0b12eac0c1d55f54aa7fa05bc1d6f7d3efbd3056101d2fe1c7d67fe4e793",
    "454ec8bf9d5486228a134d0fb5b68cd476ff4224794e64f920f020e33554619ae8b35eb29456b068691ad404",
    "9c4df86a32887134ab0c249ba04545f7848d394793d9a1dfbec2de94eba647335bd3e73fcc2f8548de00",
);
const SUM: &str = concat!(
    "0113006e52a2f2898b9fc3763e0d47f1f0ef753c22e0c6501f28905d1eb1862bfd5d4ba0e490d8c2c382fa0a",
    "d23f13cfb92d36c684e8ec64538730892a8e404fa2a9318cfc9759cc0283c50c30e9dd61c0af038b4df87d44",
    "257b58cd8b47e83444880e",
);
const RANGE8: &str = concat!(
    "010208b4a90d05e364c7249e709fc83bed37fade2706e0b0dc9c9191525d62ba09d47d6eae370bbc2ec418a7",
    "f9ac38a5fec2daef876df1ae1911bd0596aa3a5885a545e600b9f54df3e2da48b975547fffdfb910e2a6cb5d",
    "a8319f73faeafd441a4021447aba26a7e6ef8606751655df9602a579b454f3229deee8da95c04e3dbe456dff",
    "9e08b700bc4c6f46404ed4fe4267189a72471038df27f4f6062aee7e35620d49a159fa9f6195b1847f427c6f",
    "efb95b438cf0b557b866d3fabd6871df9c190cc28f39a12062096e7faae0d09693b80941f57757b9610f6cba",
    "07f30aadfd3a0c64566972ba37a68a1d7f81078877cc2fad55402a285bbe3e15729d52120ddb3cfad9a8c148",
    "3f3786f0ccaa3e6a78d23842d355d5194333b1ec5219e1f01b1d7fe2481c108331a361b4eec592aa2e779906",
    "1d857d2c890874f8fec3115f59b02b9cbccee5f3f9fdbff439e7a69ef015bc721c1abb79291500ee2a861f3c",
    "0872617e868a444fd0774f67225b4412fc0c1ee2dba3e11036e22c9ae3b446d6e2250396c00977de52208895",
    "d03583d1289b568343be7d80c8b40912abca0650b0a81e81bc572e7748b33e18048f9898ba9480a798100ea6",
    "44899fd81778ad8c723001dffed2f32cecbbb2c8c24b1d9562c427fe759e0c61a84a4a2372525ade55f80e",
);
const INTERVAL: &str = concat!(
    "010490eeffcd777e3920ccd3002b94f26272c5d4fbd4c75afc8b13521d5926f92d3df2666dc2026b7ef260b9",
    "93f703529d7542e5c6b88ee5db76efa7f83907716d21d4aa1dc5d945355189a8cf33407dd85c643853edd121",
    "431fb4f869f25198cc5ccc71ff6db18d99f89f22aef62f8256502c6353e8a805b96b79d16b5f1a91406875d0",
    "4f409648ba66c0ea77013e4348f4802046d608b7aee50fd589a92fa4090b4089aa2dac02491e7339f923a97c",
    "8c1365a3d5d5d06040fa5e7f79da4d02840f4e1f87d1de3afb33630cd4c05aaaeb0febd99353dac030da3d7e",
    "5740b30cfe03de747eae1485c9b4014e8991742b4d19400044cb304999d410ce7b346c26f42cb2b6b6b3c08b",
    "25f03439c15e113beab476f8499f5fed18fa2ded3020547f70281c0523c3ae8c0879fbc288caadf917d10025",
    "7970bbb84512af09d31deeaadd68922873b4af0463df502c127fb22425c1399f7efba0d9520bc709cfcf086b",
    "bb2dfc76f03be02de3e94769ef14407a8f897747846afa672cb0c422edc3ad5c7115f81f8f0327b26784fe93",
    "c149dbb229d1846dbe3701615c1e98e92b149ac4405b4057d724fab35dbd6b65e8137e4303a8d46710d87129",
    "864906d47f2960db35095ebd714b893825e77df7e735c8011bec472f36099c301f62a43a99b692c8f944a7e1",
    "f2f06c2bf01f420ae5d50a3b4c1b50d9d2a4dd0764802740d9d8d178140102442927bf1b9de9db63db143e44",
    "e4f02d8d0d6b3efdc737ae0694568e7a2d02",
);

#[test]
fn frozen_v1_proofs_still_verify() {
    let f = fixture();
    let pk = f.sk.public_key();
    let cts = [f.ct];
    let bit_st = OneOfStatement::bit(CTX, pk, f.ct);
    let sum_st = SumStatement {
        context: CTX,
        public_key: pk,
        ciphertexts: &cts,
        total: AllowedTotal::Exactly(1),
    };
    let range_st = RangeStatement {
        context: CTX,
        bits: BitSize::Bits8,
        commitment: f.opening.commit(),
    };
    let interval_st = IntervalStatement {
        context: CTX,
        lower: 18,
        upper: 150,
        commitment: f.opening.commit(),
    };

    if std::env::var_os("FREEZE").is_some() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        println!(
            "SCHNORR {}",
            hex(&SchnorrProof::prove_with_rng(&CTX, &f.sk, &mut rng).to_bytes())
        );
        println!(
            "DLEQ {}",
            hex(&DleqProof::prove_with_rng(&CTX, &f.dleq, &f.sk, &mut rng)
                .unwrap()
                .to_bytes())
        );
        println!(
            "BIT {}",
            hex(&OneOfProof::prove_with_rng(&bit_st, 1, &f.r, &mut rng)
                .unwrap()
                .to_bytes())
        );
        let sum =
            SumProof::prove_with_rng(&sum_st, &[1], std::slice::from_ref(&f.r), &mut rng).unwrap();
        println!("SUM {}", hex(&sum.to_bytes()));
        let (rp, _) =
            RangeProof::prove_with_rng(&CTX, BitSize::Bits8, &f.opening, &mut rng).unwrap();
        println!("RANGE8 {}", hex(&rp.to_bytes()));
        let (ip, _) = IntervalProof::prove_with_rng(&CTX, 18, 150, &f.opening, &mut rng).unwrap();
        println!("INTERVAL {}", hex(&ip.to_bytes()));
        return;
    }

    SchnorrProof::from_bytes(&unhex(SCHNORR))
        .unwrap()
        .verify(&CTX, &pk)
        .unwrap();
    DleqProof::from_bytes(&unhex(DLEQ))
        .unwrap()
        .verify(&CTX, &f.dleq)
        .unwrap();
    OneOfProof::from_bytes(&unhex(BIT))
        .unwrap()
        .verify(&bit_st)
        .unwrap();
    SumProof::from_bytes(&unhex(SUM))
        .unwrap()
        .verify(&sum_st)
        .unwrap();
    RangeProof::from_bytes(&unhex(RANGE8))
        .unwrap()
        .verify(&range_st)
        .unwrap();
    IntervalProof::from_bytes(&unhex(INTERVAL))
        .unwrap()
        .verify(&interval_st)
        .unwrap();
}
