//! Benchmarks of the ristretto255 side. Reference figure (DESIGN.md): Bulletproofs 64-bit
//! range proof verify about 1.2 ms (AVX2); goal here: verify at most 1.5 ms.
//!
//! `cargo bench -p weft-zk --bench ristretto`

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion};
use curve25519_dalek::{RistrettoPoint, Scalar};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use weft_zk::dkg::{DkgOutput, DkgRound1};
use weft_zk::sigma::dleq::{DleqProof, DleqStatement};
use weft_zk::sigma::or_proof::{OneOfProof, OneOfStatement};
use weft_zk::{
    AggregatedRangeProof, AggregatedRangeStatement, BitSize, Context, DkgParameters, DlogTable,
    IntervalProof, Opening, RangeProof, RangeStatement, SecretKey,
};

const CTX: Context<'static> = Context::new(b"bench");

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(42)
}

fn quick(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
}

fn range_proofs(c: &mut Criterion) {
    let mut rng = rng();
    let mut g = c.benchmark_group("range_proof_64bit");
    quick(&mut g);
    let opening = Opening::random_with_rng(u64::MAX / 3, &mut rng);
    let (proof, commitment) =
        RangeProof::prove_with_rng(&CTX, BitSize::Bits64, &opening, &mut rng).unwrap();
    let st = RangeStatement {
        context: CTX,
        bits: BitSize::Bits64,
        commitment,
    };
    g.bench_function("prove", |b| {
        b.iter(|| {
            RangeProof::prove_with_rng(&CTX, BitSize::Bits64, black_box(&opening), &mut rng)
                .unwrap()
        })
    });
    g.sample_size(50);
    g.bench_function("verify", |b| {
        b.iter(|| proof.verify(black_box(&st)).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("range_proof_64bit_aggregated");
    quick(&mut g);
    for m in [1usize, 2, 4, 8, 16] {
        let openings: Vec<_> = (0..m)
            .map(|i| Opening::random_with_rng(i as u64, &mut rng))
            .collect();
        let (proof, commitments) =
            AggregatedRangeProof::prove_with_rng(&CTX, BitSize::Bits64, &openings, &mut rng)
                .unwrap();
        let st = AggregatedRangeStatement {
            context: CTX,
            bits: BitSize::Bits64,
            commitments,
        };
        g.bench_with_input(BenchmarkId::new("prove", m), &openings, |b, o| {
            b.iter(|| {
                AggregatedRangeProof::prove_with_rng(&CTX, BitSize::Bits64, o, &mut rng).unwrap()
            })
        });
        g.bench_with_input(BenchmarkId::new("verify", m), &st, |b, st| {
            b.iter(|| proof.verify(st).unwrap())
        });
    }
    g.finish();

    let mut g = c.benchmark_group("range_proof_64bit_batch");
    quick(&mut g);
    let batch: Vec<_> = (0..64u64)
        .map(|v| {
            let o = Opening::random_with_rng(v, &mut rng);
            let (p, c) = RangeProof::prove_with_rng(&CTX, BitSize::Bits64, &o, &mut rng).unwrap();
            (
                p,
                RangeStatement {
                    context: CTX,
                    bits: BitSize::Bits64,
                    commitment: c,
                },
            )
        })
        .collect();
    g.bench_function("verify_parallel_64", |b| {
        b.iter(|| RangeProof::verify_parallel(black_box(&batch)).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("interval_proof_18_to_150");
    quick(&mut g);
    let o = Opening::random_with_rng(42, &mut rng);
    let (proof, st) = IntervalProof::prove_with_rng(&CTX, 18, 150, &o, &mut rng).unwrap();
    g.bench_function("prove", |b| {
        b.iter(|| IntervalProof::prove_with_rng(&CTX, 18, 150, &o, &mut rng).unwrap())
    });
    g.bench_function("verify", |b| b.iter(|| proof.verify(&st).unwrap()));
    g.finish();
}

fn sigma(c: &mut Criterion) {
    let mut rng = rng();
    let mut g = c.benchmark_group("dleq");
    quick(&mut g);
    let make = |rng: &mut ChaCha20Rng| {
        let x = SecretKey::random_with_rng(rng);
        let h = RistrettoPoint::random(rng);
        let b = -x.decrypt_to_point(&weft_zk::Ciphertext::from_points(
            h,
            RistrettoPoint::default(),
        ));
        let st = DleqStatement {
            g: curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT,
            h,
            a: *x.public_key().as_point(),
            b,
        };
        let p = DleqProof::prove_with_rng(&CTX, &st, &x, rng).unwrap();
        (x, st, p)
    };
    let (x, st, proof) = make(&mut rng);
    g.bench_function("prove", |b| {
        b.iter(|| DleqProof::prove_with_rng(&CTX, &st, &x, &mut rng).unwrap())
    });
    g.bench_function("verify", |b| b.iter(|| proof.verify(&CTX, &st).unwrap()));
    let items: Vec<_> = (0..64)
        .map(|_| {
            let (_, st, p) = make(&mut rng);
            (CTX, st, p)
        })
        .collect();
    g.bench_function("verify_batch_64", |b| {
        b.iter(|| DleqProof::verify_batch_with_rng(&items, &mut rng).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("bit_proof");
    quick(&mut g);
    let pk = SecretKey::random_with_rng(&mut rng).public_key();
    let (ct, r) = pk.encrypt_with_rng(1, &mut rng);
    let st = OneOfStatement::bit(CTX, pk, ct);
    let proof = OneOfProof::prove_with_rng(&st, 1, &r, &mut rng).unwrap();
    g.bench_function("prove", |b| {
        b.iter(|| OneOfProof::prove_with_rng(&st, 1, &r, &mut rng).unwrap())
    });
    g.bench_function("verify", |b| {
        b.iter(|| proof.verify_with_rng(&st, &mut rng).unwrap())
    });
    let items: Vec<_> = (0..64u64)
        .map(|i| {
            let (ct, r) = pk.encrypt_with_rng(i % 2, &mut rng);
            let st = OneOfStatement::bit(CTX, pk, ct);
            let p = OneOfProof::prove_with_rng(&st, i % 2, &r, &mut rng).unwrap();
            (st, p)
        })
        .collect();
    g.bench_function("verify_batch_64", |b| {
        b.iter(|| OneOfProof::verify_batch_with_rng(&items, &mut rng).unwrap())
    });
    g.finish();
}

/// One complete honest run of the DKG for all `n` participants, in one process.
fn run_dkg(t: u32, n: u32, rng: &mut ChaCha20Rng) -> Vec<DkgOutput> {
    let params = DkgParameters::new(t, n).unwrap();
    let (r1, broadcasts): (Vec<_>, Vec<_>) = (1..=n)
        .map(|i| DkgRound1::new_with_rng(params, i, &CTX, rng).unwrap())
        .unzip();
    let (r2, msgs): (Vec<_>, Vec<_>) = r1
        .into_iter()
        .map(|p| p.receive_broadcasts(&broadcasts).unwrap())
        .unzip();
    let msgs: Vec<_> = msgs.into_iter().flatten().collect();
    r2.into_iter()
        .enumerate()
        .map(|(i, p)| {
            let mine: Vec<_> = msgs
                .iter()
                .filter(|m| m.to() == i as u32 + 1)
                .cloned()
                .collect();
            let (r3, _) = p.receive_shares(&mine).unwrap();
            r3.finish(&[], &[]).unwrap()
        })
        .collect()
}

fn threshold(c: &mut Criterion) {
    let mut rng = rng();
    let mut g = c.benchmark_group("dkg");
    quick(&mut g);
    g.bench_function("complete_run_n5_t3", |b| b.iter(|| run_dkg(3, 5, &mut rng)));
    g.finish();

    let outputs = run_dkg(3, 5, &mut rng);
    let group = outputs[0].group.clone();
    let (ct, _) = group.public_key().encrypt_with_rng(1234, &mut rng);
    let shares: Vec<_> = outputs[..3]
        .iter()
        .map(|o| o.share.decryption_share_with_rng(&CTX, &ct, &mut rng))
        .collect();
    let mut g = c.benchmark_group("threshold_decryption_t3");
    quick(&mut g);
    g.bench_function("share", |b| {
        b.iter(|| {
            outputs[0]
                .share
                .decryption_share_with_rng(&CTX, &ct, &mut rng)
        })
    });
    g.bench_function("verify_share", |b| {
        b.iter(|| group.verify_share(&CTX, &ct, &shares[0]).unwrap())
    });
    g.bench_function("combine_3_verified", |b| {
        b.iter(|| group.combine(&CTX, &ct, &shares).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("bsgs_1e7");
    quick(&mut g);
    g.bench_function("table_build", |b| {
        b.iter(|| DlogTable::new(black_box(10_000_000)).unwrap())
    });
    let table = DlogTable::new(10_000_000).unwrap();
    let worst = RistrettoPoint::mul_base(&Scalar::from(10_000_000u64));
    g.bench_function("solve_at_bound", |b| {
        b.iter(|| table.solve(black_box(&worst)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, range_proofs, sigma, threshold);
criterion_main!(benches);
