//! Secure aggregation benches: local aggregation of 10^6 rows (what every party does on its
//! own data), CSV reading of 10^6 rows, and the share/reconstruct protocol for 3, 10 and 50
//! parties (every party in one process, messages encoded and decoded). Reference in the same
//! run: a plain `i128` sum of the same 10^6 values. Figures in docs/BENCHMARKS.md.

use std::hint::black_box;
use std::io::Cursor;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use weft_mpc::compute::driver::{run_with_rng, Faults};
use weft_mpc::compute::{Job, LocalData};

const ROWS: usize = 1_000_000;

fn job(n: usize, computations: serde_json::Value) -> Arc<Job> {
    let parties: Vec<_> = (0..n)
        .map(|i| {
            serde_json::json!({"did": format!("did:weft:1:0x{i:040x}"), "input": {
                "column": "lab", "type": "fixed", "scale": 2, "min": "-10000.00",
                "max": "10000.00", "max_rows": ROWS, "category_column": "ward"}})
        })
        .collect();
    let v = serde_json::json!({"version": 1, "name": format!("bench-{n}"), "parties": parties,
        "computations": computations, "receivers": [format!("did:weft:1:0x{:040x}", 0)]});
    Arc::new(Job::from_json(v.to_string().as_bytes()).expect("valid job"))
}

fn stats() -> serde_json::Value {
    serde_json::json!([{"op": "count"}, {"op": "sum"}, {"op": "mean"}, {"op": "variance"}])
}

fn hist16() -> serde_json::Value {
    let edges: Vec<String> = (0..=16).map(|i| format!("{}", -8000 + i * 1000)).collect();
    serde_json::json!([{"op": "histogram", "edges": edges}])
}

fn values(seed: u64) -> Vec<i128> {
    let mut r = ChaCha20Rng::seed_from_u64(seed);
    (0..ROWS)
        .map(|_| r.gen_range(-1_000_000i128..=1_000_000))
        .collect()
}

fn local(c: &mut Criterion) {
    let mut g = c.benchmark_group("compute_local_1e6");
    g.sample_size(10);
    let vals = values(1);
    g.bench_function("plain_i128_sum_reference", |b| {
        b.iter(|| black_box(&vals).iter().sum::<i128>())
    });
    let js = job(3, stats());
    let data = LocalData::from_values(&js, 0, &vals, None).expect("in range");
    g.bench_function("aggregate_stats", |b| b.iter(|| data.aggregate(&js)));
    let jh = job(3, hist16());
    let data_h = LocalData::from_values(&jh, 0, &vals, None).expect("in range");
    g.bench_function("aggregate_histogram16", |b| {
        b.iter(|| data_h.aggregate(&jh))
    });
    let mut csv = String::from("id,lab,ward\n");
    for (i, v) in vals.iter().enumerate() {
        let (sign, a) = (if *v < 0 { "-" } else { "" }, v.abs());
        csv.push_str(&format!("{i},{sign}{}.{:02},a\n", a / 100, a % 100));
    }
    let csv = csv.into_bytes();
    g.bench_function("read_csv_and_check", |b| {
        b.iter(|| {
            LocalData::from_csv(&js, 0, Cursor::new(&csv[..]))
                .expect("valid")
                .rows()
        })
    });
    g.finish();
}

fn protocol(c: &mut Criterion) {
    let mut g = c.benchmark_group("compute_protocol");
    g.sample_size(10);
    let vals: Vec<i128> = values(2).into_iter().take(1000).collect();
    for n in [3usize, 10, 50] {
        for (name, comps) in [("stats", stats()), ("histogram16", hist16())] {
            let j = job(n, comps);
            let locals: Vec<_> = (0..n)
                .map(|i| {
                    LocalData::from_values(&j, i, &vals, None)
                        .expect("in range")
                        .aggregate(&j)
                })
                .collect();
            let mut rng = ChaCha20Rng::seed_from_u64(3);
            g.bench_function(format!("{name}_{n}_parties"), |b| {
                b.iter(|| run_with_rng(j.clone(), &locals, &Faults::default(), &mut rng))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, local, protocol);
criterion_main!(benches);
