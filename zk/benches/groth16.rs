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
use weft_zk::membership::{
    batch_verify_with_rng, constraint_count, prove_with_rng, verify, MembershipParams,
    MembershipSecret, MembershipStatement, MembershipWitness, MerkleTree, Scope, Signal,
    DEFAULT_DEPTH,
};

fn membership(c: &mut Criterion) {
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
