//! KKRT-PSI (the default fast protocol) against ECDH-PSI, both roles in one process with every
//! message through its byte encoding. `2^k × 2^k` items with half of them shared.
//!
//! ```text
//! cargo bench -p weft-mpc --bench psi_fast
//! cargo bench -p weft-mpc --bench psi_fast -- kkrt/1048576   # one size
//! ```
//! Before timing each size, one run checks the intersection and prints the bytes each side sent.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use weft_mpc::psi::ecdh::run_local_with_rng as ecdh_local;
use weft_mpc::psi::kkrt::{
    run_local_with_rng, KkrtLimits, KkrtMode, KkrtParams, KkrtRevealed, SenderInput,
};
use weft_mpc::psi::{InputSet, Limits, Mode, Revealed, SessionParams};

fn items(n: u64, offset: u64) -> Vec<Vec<u8>> {
    (offset..offset + n)
        .map(|i| format!("customer-{i:010}").into_bytes())
        .collect()
}

fn kkrt(c: &mut Criterion) {
    let mut g = c.benchmark_group("psi_fast");
    g.sample_size(10);
    for log in [16u32, 18, 20] {
        let n = 1u64 << log;
        let x = InputSet::new(items(n, 0));
        let y = SenderInput::new(InputSet::new(items(n, n / 2)));
        let p = KkrtParams {
            session_id: [1; 32],
            mode: KkrtMode::OneSide,
            receiver_size: n,
            sender_size: n,
            payload_len: 0,
        };
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let run = run_local_with_rng(p, KkrtLimits::default(), x.clone(), y.clone(), &mut rng)
            .expect("session");
        let KkrtRevealed::Intersection(found) = &run.receiver.revealed else {
            panic!("no intersection")
        };
        assert_eq!(found.len() as u64, n / 2, "intersection size");
        eprintln!(
            "kkrt 2^{log}: receiver sent {} bytes, sender sent {} bytes",
            run.receiver_bytes, run.sender_bytes
        );
        g.throughput(Throughput::Elements(2 * n));
        g.bench_with_input(BenchmarkId::new("kkrt", n), &n, |b, _| {
            b.iter(|| {
                run_local_with_rng(p, KkrtLimits::default(), x.clone(), y.clone(), &mut rng)
                    .expect("session")
            })
        });
    }
    // The in-run reference: ECDH-PSI at 2^16.
    let n = 1u64 << 16;
    let a = InputSet::new(items(n, 0));
    let b_set = InputSet::new(items(n, n / 2));
    let p = SessionParams {
        session_id: [1; 32],
        mode: Mode::OneSide,
        initiator_size: n,
        responder_size: n,
        batch_size: 1 << 14,
    };
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let run = ecdh_local(p, Limits::default(), a.clone(), b_set.clone(), &mut rng).unwrap();
    let Revealed::Intersection(found) = &run.initiator.revealed else {
        panic!("no intersection")
    };
    assert_eq!(found.len() as u64, n / 2);
    eprintln!(
        "ecdh 2^16: initiator sent {} bytes, responder sent {} bytes",
        run.initiator_bytes, run.responder_bytes
    );
    g.throughput(Throughput::Elements(2 * n));
    g.bench_with_input(BenchmarkId::new("ecdh", n), &n, |bch, _| {
        bch.iter(|| ecdh_local(p, Limits::default(), a.clone(), b_set.clone(), &mut rng).unwrap())
    });
    g.finish();
}

criterion_group!(benches, kkrt);
criterion_main!(benches);
