//! PSI benches: the per-item floor (hash-to-group, blinding, strict decoding) and an
//! end-to-end in-process session. The large runs (2^16, 2^20, 10^7 per side over loopback TCP)
//! are in `examples/psi_loopback.rs`; see docs/BENCHMARKS.md.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use weft_mpc::psi::ecdh::run_local_with_rng;
use weft_mpc::psi::group::{hash_to_group, BlindingKey};
use weft_mpc::psi::{InputSet, Limits, Mode, SessionParams};

fn items(n: u64, offset: u64) -> Vec<Vec<u8>> {
    (offset..offset + n)
        .map(|i| format!("customer-{i:010}").into_bytes())
        .collect()
}

fn floor(c: &mut Criterion) {
    let mut g = c.benchmark_group("psi_floor");
    let xs = items(4096, 0);
    let key = BlindingKey::random_with_rng(&mut ChaCha20Rng::seed_from_u64(1));
    g.throughput(Throughput::Elements(xs.len() as u64));
    g.bench_function("hash_to_group_4096_single_thread", |b| {
        b.iter(|| {
            xs.iter()
                .map(|x| hash_to_group(b"bench", &[0; 32], x))
                .collect::<Vec<_>>()
        })
    });
    g.bench_function("hash_and_blind_4096_rayon", |b| {
        b.iter(|| key.hash_and_blind(b"bench", &[0; 32], &xs))
    });
    let pts: Vec<[u8; 32]> = key
        .hash_and_blind(b"bench", &[0; 32], &xs)
        .iter()
        .map(|c| c.0)
        .collect();
    g.bench_function("decode_and_blind_4096_rayon", |b| {
        b.iter(|| key.decode_and_blind(0, &pts).unwrap())
    });
    g.finish();
}

fn session(c: &mut Criterion) {
    let mut g = c.benchmark_group("psi_ecdh_local");
    g.sample_size(10);
    for n in [1u64 << 12] {
        let a = InputSet::new(items(n, 0));
        let b = InputSet::new(items(n, n / 2));
        g.throughput(Throughput::Elements(2 * n));
        for mode in [Mode::OneSide, Mode::Cardinality] {
            let p = SessionParams {
                session_id: [1; 32],
                mode,
                initiator_size: n,
                responder_size: n,
                batch_size: 1024,
            };
            g.bench_with_input(BenchmarkId::new(format!("{mode:?}"), n), &n, |bch, _| {
                bch.iter(|| {
                    run_local_with_rng(
                        p,
                        Limits::default(),
                        a.clone(),
                        b.clone(),
                        &mut ChaCha20Rng::seed_from_u64(2),
                    )
                    .unwrap()
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, floor, session);
criterion_main!(benches);
