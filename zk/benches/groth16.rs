//! Groth16 membership circuit at the default depth (20): prove, verify with a prepared key,
//! batch-verify 64 proofs. Reference figures (DESIGN.md): Semaphore proof 0.3-0.8 s, verify
//! 10-20 ms. Goals (weft-zk issue): prove <= 1 s, verify <= 3 ms on the development machine.
//!
//! Setup runs once, outside the measurements. The 64 batch proofs are rerandomisations of 4
//! independent proofs (rerandomised Groth16 proofs are distributed as fresh proofs of the same
//! statement), which keeps the bench's own setup short without changing what is measured.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::hint::black_box;
use std::time::Instant;
use weft_zk::membership::{
    batch_verify_with_rng, constraint_count, prove_with_rng, verify, MembershipParams,
    MembershipSecret, MembershipStatement, MembershipWitness, MerkleTree, Phase2, PowersOfTau,
    Scope, Signal, DEFAULT_DEPTH,
};

/// One-shot timings of the multi-party setup at depth 20 (seconds each, so not sampled).
/// Runs only with `WEFT_BENCH_CEREMONY=1`.
fn ceremony_timings() {
    if std::env::var_os("WEFT_BENCH_CEREMONY").is_none() {
        return;
    }
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let start = PowersOfTau::new(DEFAULT_DEPTH).expect("depth");
    let t = Instant::now();
    let (acc, proof) = start.contribute_with_rng(&mut rng).expect("contribute");
    println!("ceremony depth 20: phase-1 contribution {:?}", t.elapsed());
    let t = Instant::now();
    start
        .verify_contribution_with_rng(&acc, &proof, &mut rng)
        .expect("valid");
    println!("ceremony depth 20: phase-1 verification {:?}", t.elapsed());
    let t = Instant::now();
    let phase2 = Phase2::from_powers_with_rng(&acc, &mut rng).expect("derive");
    println!("ceremony depth 20: phase-2 derivation {:?}", t.elapsed());
    let t = Instant::now();
    let (next, proof) = phase2.contribute_with_rng(&mut rng);
    println!("ceremony depth 20: phase-2 contribution {:?}", t.elapsed());
    let t = Instant::now();
    phase2
        .verify_contribution_with_rng(&next, &proof, &mut rng)
        .expect("valid");
    println!("ceremony depth 20: phase-2 verification {:?}", t.elapsed());
}

fn membership(c: &mut Criterion) {
    ceremony_timings();
    let depth = DEFAULT_DEPTH;
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    println!(
        "membership circuit, depth {depth}: {} constraints",
        constraint_count(depth).expect("supported depth")
    );

    let params = MembershipParams::setup_with_rng(depth, &mut rng).expect("setup");
    let pk = params.proving_key();
    let vk = params.verifying_key();
    let pvk = vk.prepare();

    let secrets: Vec<_> = (0..256)
        .map(|_| MembershipSecret::random_with_rng(&mut rng))
        .collect();
    let tree = MerkleTree::from_leaves(depth, secrets.iter().map(MembershipSecret::commitment))
        .expect("tree");
    let witness_of = |i: usize| {
        MembershipWitness::new(
            secrets[i].clone(),
            tree.path(i as u64).expect("leaf exists"),
        )
    };
    let scope = Scope::from_context(b"bench poll");

    let witness = witness_of(17);
    let statement = witness.statement(scope, Signal::from_message(b"ballot"));

    let mut group = c.benchmark_group("groth16_membership_depth20");
    group.sample_size(10);

    group.bench_function("prove", |b| {
        b.iter(|| prove_with_rng(pk, &witness, &statement, &mut rng).expect("prove"))
    });

    let proof = prove_with_rng(pk, &witness, &statement, &mut rng).expect("prove");
    group.bench_function("verify_prepared", |b| {
        b.iter(|| verify(&pvk, black_box(&statement), black_box(&proof)).expect("valid"))
    });

    let mut batch: Vec<(MembershipStatement, _)> = Vec::with_capacity(64);
    for i in 0..4 {
        let w = witness_of(40 + i);
        let s = w.statement(scope, Signal::from_message(&[i as u8]));
        let p = prove_with_rng(pk, &w, &s, &mut rng).expect("prove");
        for _ in 0..16 {
            batch.push((s, p.rerandomize_with_rng(&vk, &mut rng)));
        }
    }
    group.bench_function("batch_verify_64", |b| {
        b.iter_batched(
            || ChaCha20Rng::seed_from_u64(7),
            |mut r| {
                batch_verify_with_rng(&pvk, batch.iter().map(|(s, p)| (s, p)), &mut r)
                    .expect("valid batch")
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("verify_64_one_by_one", |b| {
        b.iter(|| {
            for (s, p) in &batch {
                verify(&pvk, s, p).expect("valid");
            }
        })
    });
    group.finish();
}

criterion_group!(benches, membership);
criterion_main!(benches);
