//! Tests of the compute module through its public interface.

use std::io::Cursor;
use std::sync::Arc;

use num_bigint::BigInt;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::json;

use super::driver::{run_with_rng, Faults};
use super::protocol::{Body, Header};
use super::*;

fn did(i: usize) -> String {
    format!("did:weft:1:0x{i:040x}")
}

/// A job with `n` parties; party i has scale `scales[i % len]`, range [-1000, 1000] (in units)
/// and at most `max_rows` rows.
fn job_json(
    n: usize,
    scales: &[u32],
    max_rows: u64,
    computations: serde_json::Value,
) -> serde_json::Value {
    let parties: Vec<_> = (0..n)
        .map(|i| {
            let s = scales[i % scales.len()];
            let (kind, min, max) = if s == 0 {
                ("int", "-1000".to_string(), "1000".to_string())
            } else {
                (
                    "fixed",
                    format!("-1000.{}", "0".repeat(s as usize)),
                    "1000".to_string(),
                )
            };
            json!({"did": did(i), "input": {
                "column": "value", "type": kind, "scale": s, "min": min, "max": max,
                "max_rows": max_rows, "category_column": "ward"}})
        })
        .collect();
    json!({
        "version": 1,
        "name": "test-job",
        "parties": parties,
        "computations": computations,
        "receivers": [did(0), did(n - 1)],
    })
}

fn all_computations() -> serde_json::Value {
    json!([
        {"op": "sum"}, {"op": "count"}, {"op": "mean"}, {"op": "variance"},
        {"op": "histogram", "edges": ["-500", "0", "250.5", "900"]},
        {"op": "group-by", "categories": ["a", "b", "c"], "stat": "variance"},
    ])
}

fn job(v: serde_json::Value) -> Arc<Job> {
    Arc::new(Job::from_json(v.to_string().as_bytes()).expect("valid job"))
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

const CATS: [&str; 3] = ["a", "b", "c"];

/// Party rows: values at the party's own scale, categories by index.
type Rows = Vec<(i128, usize)>;

fn locals(job: &Job, rows: &[Rows]) -> Vec<LocalAggregate> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let vals: Vec<i128> = r.iter().map(|x| x.0).collect();
            let cats: Vec<&str> = r.iter().map(|x| CATS[x.1]).collect();
            LocalData::from_values(job, i, &vals, Some(&cats))
                .expect("in range")
                .aggregate(job)
        })
        .collect()
}

fn outcome(f: &Result<Finished, ComputeError>) -> &Outcome {
    match f {
        Ok(Finished::Receiver(o)) => o,
        other => panic!("expected a result, got {other:?}"),
    }
}

fn rat(r: &Rational) -> (BigInt, BigInt) {
    (r.numer(), r.denom())
}

/// Exact plaintext reference at the common scale `s`: (n, S1, S2) over the given x values.
fn plain_moments(xs: &[i128]) -> (i128, i128, i128) {
    (
        xs.len() as i128,
        xs.iter().sum(),
        xs.iter().map(|x| x * x).sum(),
    )
}

fn same_rational(r: &Rational, num: BigInt, den: BigInt) -> bool {
    let (a, b) = rat(r);
    a * den == num * b
}

fn check_against_plaintext(job: &Job, rows: &[Rows], scales: &[u32], res: &JobResult) {
    let s = job.scale();
    let common: Vec<(i128, usize)> = rows
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            let f = 10i128.pow(s - scales[i % scales.len()]);
            r.iter().map(move |(v, c)| (v * f, *c))
        })
        .collect();
    let xs: Vec<i128> = common.iter().map(|x| x.0).collect();
    let (n, s1, s2) = plain_moments(&xs);
    let p10 = |e: u32| BigInt::from(10).pow(e);
    for r in &res.results {
        match r {
            ComputationResult::Sum { value } => {
                assert!(same_rational(value, s1.into(), p10(s)))
            }
            ComputationResult::Count { value } => assert_eq!(*value as i128, n),
            ComputationResult::Mean { value } => match value {
                None => assert_eq!(n, 0),
                Some(m) => assert!(same_rational(m, s1.into(), BigInt::from(n) * p10(s))),
            },
            ComputationResult::Variance { population, sample } => {
                let num = BigInt::from(n) * BigInt::from(s2) - BigInt::from(s1) * BigInt::from(s1);
                match population {
                    None => assert_eq!(n, 0),
                    Some(p) => assert!(same_rational(
                        p,
                        num.clone(),
                        BigInt::from(n) * BigInt::from(n) * p10(2 * s)
                    )),
                }
                match sample {
                    None => assert!(n < 2),
                    Some(q) => assert!(same_rational(
                        q,
                        num,
                        BigInt::from(n) * BigInt::from(n - 1) * p10(2 * s)
                    )),
                }
            }
            ComputationResult::Histogram { below, bins, above } => {
                let edges: Vec<i128> = ["-500", "0", "250.5", "900"]
                    .iter()
                    .map(|e| {
                        spec::parse_decimal(e, s).unwrap_or_else(|| {
                            // "250.5" needs scale >= 1; with scale 0 the spec is refused earlier.
                            panic!("edge at scale {s}")
                        })
                    })
                    .collect();
                assert_eq!(
                    *below as usize,
                    xs.iter().filter(|x| **x < edges[0]).count()
                );
                assert_eq!(
                    *above as usize,
                    xs.iter().filter(|x| **x >= edges[3]).count()
                );
                for (j, b) in bins.iter().enumerate() {
                    let want = xs
                        .iter()
                        .filter(|x| **x >= edges[j] && **x < edges[j + 1])
                        .count();
                    assert_eq!(*b as usize, want);
                }
            }
            ComputationResult::GroupBy { groups, .. } => {
                for (ci, g) in groups.iter().enumerate() {
                    let gx: Vec<i128> = common.iter().filter(|x| x.1 == ci).map(|x| x.0).collect();
                    let (gn, gs1, gs2) = plain_moments(&gx);
                    assert_eq!(g.category, CATS[ci]);
                    assert_eq!(g.count as i128, gn);
                    let sum = g.sum.as_ref().expect("sum");
                    assert!(same_rational(sum, gs1.into(), p10(s)));
                    match &g.variance {
                        None => assert_eq!(gn, 0),
                        Some(v) => assert!(same_rational(
                            v,
                            BigInt::from(gn) * BigInt::from(gs2)
                                - BigInt::from(gs1) * BigInt::from(gs1),
                            BigInt::from(gn) * BigInt::from(gn) * p10(2 * s)
                        )),
                    }
                }
            }
        }
    }
}

fn rows_strategy(scale: u32, max: usize) -> impl Strategy<Value = Rows> {
    let lim = 1000 * 10i128.pow(scale);
    prop::collection::vec((-lim..=lim, 0usize..3), 0..max)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Results equal the plaintext computation, for 3 to 10 parties with mixed scales,
    /// negative values, empty parties and one party holding every row.
    #[test]
    fn results_equal_plaintext(
        n in 3usize..=10,
        seed in any::<u64>(),
        rows in prop::collection::vec(rows_strategy(2, 40), 10),
        all_in_one in any::<bool>(),
    ) {
        let scales = [2u32, 1, 0];
        let job = job(job_json(n, &[2], 1000, all_computations()));
        // Rescale the generated scale-2 values to each party's scale, for a mixed-scale job.
        let job_mixed = self::job(job_json(n, &scales, 1000, all_computations()));
        let mut rows: Vec<Rows> = rows.into_iter().take(n).collect();
        if all_in_one {
            let all: Rows = rows.iter().flatten().copied().collect();
            for r in rows.iter_mut() { r.clear(); }
            rows[n / 2] = all;
        }
        let res = run_with_rng(job.clone(), &locals(&job, &rows), &Faults::default(), &mut rng(seed)).0;
        let digest = outcome(&res[0]).digest;
        for i in job.receivers() {
            let o = outcome(&res[*i]);
            prop_assert_eq!(o.digest, digest);
            check_against_plaintext(&job, &rows, &[2], &o.result);
        }
        let mixed: Vec<Rows> = rows.iter().enumerate().map(|(i, r)| {
            let d = 10i128.pow(2 - scales[i % 3]);
            r.iter().map(|(v, c)| (v / d, *c)).collect()
        }).collect();
        let res = run_with_rng(job_mixed.clone(), &locals(&job_mixed, &mixed), &Faults::default(), &mut rng(seed)).0;
        check_against_plaintext(&job_mixed, &mixed, &scales, &outcome(&res[n - 1]).result);
    }

    /// Decimal parsing round-trips every integer at every scale.
    #[test]
    fn decimal_parsing(v in -10i128.pow(20)..10i128.pow(20), scale in 0u32..=18) {
        let p = 10i128.pow(scale);
        let s = if scale == 0 { v.to_string() } else {
            format!("{}{}.{:0w$}", if v < 0 { "-" } else { "" }, v.abs() / p, v.abs() % p, w = scale as usize)
        };
        prop_assert_eq!(spec::parse_decimal(&s, scale), Some(v));
    }
}

#[test]
fn job_hash_is_canonical() {
    let a = job_json(3, &[2], 100, json!([{"op": "sum"}]));
    let ja = job(a.clone());
    // Same spec with keys reordered and extra whitespace: same hash.
    let text = serde_json::to_string_pretty(&a).expect("json");
    let jb = Job::from_json(text.as_bytes()).expect("valid");
    assert_eq!(ja.hash(), jb.hash());
    // Equal numbers written differently hash the same; anything else changes the hash.
    let mut c = a.clone();
    c["parties"][0]["input"]["max"] = json!("1000.0");
    assert_eq!(job(c).hash(), ja.hash());
    let mut d = a.clone();
    d["name"] = json!("other");
    assert_ne!(job(d).hash(), ja.hash());
    let mut e = a.clone();
    e["parties"][1]["input"]["max_rows"] = json!(101);
    assert_ne!(job(e).hash(), ja.hash());
    let mut f = a;
    f["join_key"] = json!({"column": "customer"});
    assert_ne!(job(f).hash(), ja.hash());
}

fn spec_err(v: serde_json::Value) -> ComputeError {
    Job::from_json(v.to_string().as_bytes()).expect_err("must be refused")
}

#[test]
fn invalid_specs_are_refused() {
    let base = || job_json(3, &[2], 100, json!([{"op": "mean"}]));
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Edit)> = vec![
        ("version", Box::new(|v| v["version"] = json!(2))),
        (
            "two parties",
            Box::new(|v| {
                if let Some(a) = v["parties"].as_array_mut() {
                    a.truncate(2);
                }
                v["receivers"] = json!([did(0)]);
            }),
        ),
        (
            "duplicate did",
            Box::new(|v| v["parties"][1]["did"] = json!(did(0))),
        ),
        (
            "not a did",
            Box::new(|v| v["parties"][1]["did"] = json!("alice")),
        ),
        (
            "int with scale",
            Box::new(|v| v["parties"][0]["input"]["type"] = json!("int")),
        ),
        (
            "scale 19",
            Box::new(|v| v["parties"][0]["input"]["scale"] = json!(19)),
        ),
        (
            "min > max",
            Box::new(|v| v["parties"][0]["input"]["min"] = json!("2000")),
        ),
        (
            "bad decimal",
            Box::new(|v| v["parties"][0]["input"]["min"] = json!("1e3")),
        ),
        (
            "too precise",
            Box::new(|v| v["parties"][0]["input"]["min"] = json!("0.001")),
        ),
        (
            "zero rows",
            Box::new(|v| v["parties"][0]["input"]["max_rows"] = json!(0)),
        ),
        (
            "receiver outsider",
            Box::new(|v| v["receivers"] = json!(["did:weft:1:0xdead"])),
        ),
        ("no receivers", Box::new(|v| v["receivers"] = json!([]))),
        (
            "no computations",
            Box::new(|v| v["computations"] = json!([])),
        ),
        (
            "edges not increasing",
            Box::new(|v| v["computations"] = json!([{"op": "histogram", "edges": ["1", "1"]}])),
        ),
        (
            "one edge",
            Box::new(|v| v["computations"] = json!([{"op": "histogram", "edges": ["1"]}])),
        ),
        (
            "group-by without category column",
            Box::new(|v| {
                v["parties"][2]["input"]
                    .as_object_mut()
                    .map(|o| o.remove("category_column"));
                v["computations"] = json!([{"op": "group-by", "categories": ["a"], "stat": "sum"}]);
            }),
        ),
        (
            "duplicate category",
            Box::new(|v| {
                v["computations"] =
                    json!([{"op": "group-by", "categories": ["a", "a"], "stat": "sum"}])
            }),
        ),
    ];
    for (name, edit) in cases {
        let mut v = base();
        edit(&mut v);
        let e = spec_err(v);
        assert_eq!(e.code(), "compute.invalid_spec", "{name}: {e}");
    }
    let mut v = base();
    v["surprise"] = json!(1);
    assert_eq!(spec_err(v).code(), "compute.spec_syntax");
    assert_eq!(
        Job::from_json(&vec![b' '; spec::MAX_SPEC_BYTES + 1])
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("compute.spec_syntax")
    );
}

#[test]
fn ring_is_chosen_from_the_bounds_and_overflowing_specs_are_refused() {
    // Small: 3 * 100 * (10^5)^2 < 2^63.
    assert_eq!(
        job(job_json(3, &[2], 100, all_computations())).ring(),
        Ring::R64
    );
    let big = |n: usize, rows: u64, max: &str, comps: serde_json::Value| {
        let mut v = job_json(n, &[0], rows, comps);
        for i in 0..n {
            v["parties"][i]["input"]["min"] = json!(format!("-{max}"));
            v["parties"][i]["input"]["max"] = json!(max);
        }
        v
    };
    // 50 parties x 2^40 rows x (10^18)^2 ~ 2^165: refused when variance is asked.
    let e = spec_err(big(
        50,
        1 << 40,
        "1000000000000000000",
        json!([{"op": "variance"}]),
    ));
    assert_eq!(e.code(), "compute.overflow");
    assert!(matches!(e, ComputeError::Overflow { bits_needed, .. } if bits_needed > 127));
    // The same job with sums only needs ~ 2^(5.6 + 40 + 59.8) < 2^127: accepted, 128-bit ring.
    let j = job(big(
        50,
        1 << 40,
        "1000000000000000000",
        json!([{"op": "sum"}, {"op": "count"}]),
    ));
    assert_eq!(j.ring(), Ring::R128);
    // Just over the edge: 3 * 2^40 * A with A = 2^86 > 2^127 / (3 * 2^40).
    let a = (1u128 << 86).to_string();
    assert_eq!(
        spec_err(big(3, 1 << 40, &a, json!([{"op": "sum"}]))).code(),
        "compute.overflow"
    );
    // A fixed-point scale raises the bound: party 0's 10^-18 scale lifts others' values by 10^18.
    let mut v = big(3, 1 << 40, "100000000000", json!([{"op": "variance"}]));
    v["parties"][0]["input"]["type"] = json!("fixed");
    v["parties"][0]["input"]["scale"] = json!(18);
    assert_eq!(spec_err(v).code(), "compute.overflow");
}

fn csv_job() -> Arc<Job> {
    let mut v = job_json(
        3,
        &[2],
        5,
        json!([{"op": "mean"}, {"op": "group-by", "categories": ["a", "b", "c"], "stat": "sum"}]),
    );
    v["parties"][0]["input"]["column"] = json!("lab");
    job(v)
}

fn csv(job: &Job, text: &str) -> Result<LocalData, ComputeError> {
    LocalData::from_csv(job, 0, Cursor::new(text.as_bytes().to_vec()))
}

#[test]
fn csv_reader_accepts_good_files_and_refuses_bad_ones() {
    let j = csv_job();
    let ok = csv(&j, "id,lab,ward\r\n1, 12.5 ,a\n2,-3,b\n\n3,1000.00,c\n").expect("valid");
    assert_eq!(ok.rows(), 3);
    let agg = ok.aggregate(&j);
    assert_eq!(agg.party(), 0);

    let code = |t: &str| csv(&j, t).map(|_| ()).map_err(|e| e.code());
    assert_eq!(code(""), Err("compute.input"));
    assert_eq!(code("id,other,ward\n1,2,a\n"), Err("compute.input"));
    assert_eq!(code("id,lab,ward\n1,2\n"), Err("compute.bad_row"));
    assert_eq!(code("id,lab,ward\n1,2,a,extra\n"), Err("compute.bad_row"));
    assert_eq!(code("id,lab,ward\n1,abc,a\n"), Err("compute.bad_row"));
    assert_eq!(code("id,lab,ward\n1,1.234,a\n"), Err("compute.bad_row"));
    assert_eq!(code("id,lab,ward\n1,,a\n"), Err("compute.bad_row"));
    assert_eq!(code("id,lab,ward\n1,\"2\",a\n"), Err("compute.bad_row"));
    assert_eq!(code("id,lab,ward\n1,2,z\n"), Err("compute.bad_row"));
    assert_eq!(
        code("id,lab,ward\n1,1000.01,a\n"),
        Err("compute.out_of_range")
    );
    assert_eq!(
        code("id,lab,ward\n1,-1000.01,a\n"),
        Err("compute.out_of_range")
    );
    assert_eq!(
        code("id,lab,ward\n1,1,a\n2,1,a\n3,1,a\n4,1,a\n5,1,a\n6,1,a\n"),
        Err("compute.too_many_rows")
    );
    let long = format!("id,lab,ward\n1,{},a\n", "1".repeat(input::MAX_LINE));
    assert_eq!(code(&long), Err("compute.input"));
    // The error names the line, never the value.
    let e = csv(&j, "id,lab,ward\n1,2,a\n1,7777.77,a\n").expect_err("out of range");
    assert_eq!(
        e.to_string(),
        "input row 3: value outside the declared range [-1000.00, 1000]"
    );
    assert!(!format!("{e:?}").contains("7777"));
}

#[test]
fn in_memory_inputs_are_checked_before_sharing() {
    let j = csv_job();
    let code = |v: &[i128], c: Option<&[&str]>| {
        LocalData::from_values(&j, 1, v, c)
            .map(|_| ())
            .map_err(|e| e.code())
    };
    assert_eq!(code(&[100_001], Some(&["a"])), Err("compute.out_of_range"));
    assert_eq!(code(&[1; 6], Some(&["a"; 6])), Err("compute.too_many_rows"));
    assert_eq!(code(&[1], None), Err("compute.input"));
    assert_eq!(code(&[1], Some(&["q"])), Err("compute.bad_row"));
    assert_eq!(code(&[1, 2], Some(&["a"])), Err("compute.input"));
    assert_eq!(
        LocalData::from_values(&j, 3, &[], Some(&[]))
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("compute.unknown_party")
    );
}

/// A 4-party job with parties 0 and 3 receiving; drives the states by hand.
struct Hand {
    job: Arc<Job>,
    locals: Vec<LocalAggregate>,
}

fn hand() -> Hand {
    let job = job(job_json(4, &[2], 100, all_computations()));
    let rows: Vec<Rows> = (0..4)
        .map(|i| {
            (0..5)
                .map(|k| ((i * 1000 + k * 77) as i128 - 2000, k as usize % 3))
                .collect()
        })
        .collect();
    let locals = locals(&job, &rows);
    Hand { job, locals }
}

fn commit_all(h: &Hand, seed: u64) -> Vec<Committed> {
    let mut r = rng(seed);
    let mut cs: Vec<Committed> = h
        .locals
        .iter()
        .map(|l| Committed::new_with_rng(h.job.clone(), l, &mut r).expect("commit"))
        .collect();
    let msgs: Vec<Message> = cs.iter().flat_map(|c| c.messages()).collect();
    for m in msgs {
        cs[m.header.to as usize].receive(&m).expect("commitment");
    }
    cs
}

fn share_all(cs: Vec<Committed>, seed: u64) -> (Vec<Shared>, Vec<Message>) {
    let mut r = rng(seed);
    let mut out = Vec::new();
    let ss = cs
        .into_iter()
        .map(|c| {
            let (s, m) = c.share_with_rng(&mut r).expect("share");
            out.extend(m);
            s
        })
        .collect();
    (ss, out)
}

fn values(m: &Message) -> Vec<u128> {
    match Message::from_bytes(&m.to_bytes()).expect("decode").body {
        Body::Elements(_) => {
            let b = m.to_bytes();
            let w = b[41] as usize;
            b[46..]
                .chunks(w)
                .map(|c| {
                    let mut x = [0u8; 16];
                    x[..w].copy_from_slice(c);
                    u128::from_le_bytes(x)
                })
                .collect()
        }
        Body::Commitment(_) => Vec::new(),
    }
}

#[test]
fn shares_are_fresh_each_run_and_sum_to_the_aggregate() {
    let h = hand();
    let ring = h.job.ring();
    let run = |seed| {
        let (_, msgs) = share_all(commit_all(&h, seed), seed + 100);
        msgs
    };
    let a = run(1);
    let b = run(2);
    // Party 0's view: the shares it received differ between runs with the same inputs.
    let to0 = |ms: &[Message]| -> Vec<Vec<u128>> {
        ms.iter().filter(|m| m.header.to == 0).map(values).collect()
    };
    assert_eq!(to0(&a).len(), 3);
    for (x, y) in to0(&a).iter().zip(&to0(&b)) {
        assert_ne!(x, y);
    }
    // Over many fresh sharings, the low bit of a received share is balanced (a coarse
    // uniformity check of one party's view, whatever the sender's input).
    let mut ones = 0;
    let trials = 200;
    for t in 0..trials {
        let ms = run(1000 + t);
        ones += to0(&ms).iter().flatten().filter(|v| *v & 1 == 1).count();
    }
    let total = trials as usize * 3 * h.job.slots().len();
    assert!(
        ones * 10 > total * 4 && ones * 10 < total * 6,
        "{ones} of {total}"
    );
    // Shares from party 1 (sent to 0, 2, 3, plus the one it keeps) sum to its vector: checked
    // through the protocol: every partial summed equals the sum of the aggregates.
    let cs = commit_all(&h, 5);
    let openings: Vec<Opening> = cs.iter().map(|c| c.opening().clone()).collect();
    let (res, _) = run_with_rng(h.job.clone(), &h.locals, &Faults::default(), &mut rng(5));
    let o = outcome(&res[0]);
    for (i, op) in openings.iter().enumerate() {
        for (k, slot) in h.job.slots().iter().enumerate() {
            if slot.kind == spec::SlotKind::Salt {
                continue;
            }
            assert_eq!(ring.decode(op.vector[k]), h.locals[i].slots[k]);
        }
    }
    // Same seed, same commitments (the driver is deterministic given its RNG).
    for (i, c) in cs.iter().enumerate() {
        assert_eq!(o.commitments[i], c.commitment());
        assert!(verify_opening(&h.job, &o.commitments[i], &openings[i]));
    }
    let mut bad = openings[1].clone();
    bad.vector[0] = ring.add(bad.vector[0], 1);
    assert!(!verify_opening(&h.job, &o.commitments[1], &bad));
    assert!(!verify_opening(&h.job, &o.commitments[2], &openings[1]));
}

#[test]
fn messages_from_another_job_round_or_party_are_refused() {
    let h = hand();
    let other = {
        let mut v = job_json(4, &[2], 100, all_computations());
        v["name"] = json!("another-job");
        job(v)
    };
    let other_locals: Vec<LocalAggregate> = h
        .locals
        .iter()
        .map(|l| LocalAggregate {
            party: l.party,
            slots: l.slots.clone(),
        })
        .collect();
    let other_h = Hand {
        job: other,
        locals: other_locals,
    };
    let (_, other_msgs) = share_all(commit_all(&other_h, 9), 10);

    let cs = commit_all(&h, 1);
    let commit_msgs: Vec<Message> = cs.iter().flat_map(|c| c.messages()).collect();
    let (mut ss, msgs) = share_all(cs, 2);
    let to0: Vec<&Message> = msgs.iter().filter(|m| m.header.to == 0).collect();

    // A same-shaped share from another job.
    let foreign = other_msgs.iter().find(|m| m.header.to == 0).expect("msg");
    assert_eq!(
        ss[0].receive(foreign).map_err(|e| e.code()),
        Err("compute.wrong_job")
    );
    // A commitment replayed into the share round.
    let c = commit_msgs.iter().find(|m| m.header.to == 0).expect("msg");
    assert_eq!(
        ss[0].receive(c).map_err(|e| e.code()),
        Err("compute.wrong_round")
    );
    // A share for party 1 delivered to party 0, and a share claiming to be from party 0 itself.
    let for1 = msgs.iter().find(|m| m.header.to == 1).expect("msg");
    assert_eq!(
        ss[0].receive(for1).map_err(|e| e.code()),
        Err("compute.misaddressed")
    );
    let mut selfish = to0[0].clone();
    selfish.header.from = 0;
    assert_eq!(
        ss[0].receive(&selfish).map_err(|e| e.code()),
        Err("compute.misaddressed")
    );
    let mut outsider = to0[0].clone();
    outsider.header.from = 9;
    assert_eq!(
        ss[0].receive(&outsider).map_err(|e| e.code()),
        Err("compute.misaddressed")
    );
    // Honest delivery, then a replay of the same share.
    ss[0].receive(to0[0]).expect("share");
    assert_eq!(
        ss[0].receive(to0[0]).map_err(|e| e.code()),
        Err("compute.duplicate")
    );
    for m in &to0[1..] {
        ss[0].receive(m).expect("share");
    }
    let (p0, _) = ss.remove(0).partial().expect("partial");
    // A share replayed into the partial round.
    let mut p0 = p0;
    assert_eq!(
        p0.receive(to0[1]).map_err(|e| e.code()),
        Err("compute.wrong_round")
    );
}

#[test]
fn malformed_messages_are_refused() {
    let h = hand();
    let cs = commit_all(&h, 1);
    let (mut ss, msgs) = share_all(cs, 2);
    let m = msgs.iter().find(|m| m.header.to == 0).expect("msg");
    let good = m.to_bytes();
    let dec = |b: &[u8]| Message::from_bytes(b).map(|_| ()).map_err(|e| e.code());
    assert_eq!(dec(&good), Ok(()));
    assert_eq!(dec(&good[..good.len() - 1]), Err("compute.malformed"));
    assert_eq!(dec(&good[..20]), Err("compute.malformed"));
    assert_eq!(
        dec(&[good.clone(), vec![0]].concat()),
        Err("compute.malformed")
    );
    let mut bad_magic = good.clone();
    bad_magic[0] ^= 1;
    assert_eq!(dec(&bad_magic), Err("compute.malformed"));
    let mut bad_round = good.clone();
    bad_round[4] = 9;
    assert_eq!(dec(&bad_round), Err("compute.malformed"));
    let mut bad_width = good.clone();
    bad_width[41] = 3;
    assert_eq!(dec(&bad_width), Err("compute.malformed"));
    // A huge declared count with a short body is refused without allocating.
    let mut huge = good[..46].to_vec();
    huge[42..46].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(dec(&huge), Err("compute.malformed"));
    // Well-formed but the wrong shape for this job: one element short, or 16-byte elements
    // in a 64-bit job.
    let short = Message {
        header: m.header,
        body: Message::from_bytes(&{
            let mut b = good[..41].to_vec();
            b.push(8);
            let n = (h.job.slots().len() - 1) as u32;
            b.extend_from_slice(&n.to_le_bytes());
            b.extend(vec![0u8; 8 * n as usize]);
            b
        })
        .expect("decodes")
        .body,
    };
    assert_eq!(
        ss[0].receive(&short).map_err(|e| e.code()),
        Err("compute.malformed")
    );
    let mut wide = good[..41].to_vec();
    wide.push(16);
    let n = h.job.slots().len() as u32;
    wide.extend_from_slice(&n.to_le_bytes());
    wide.extend(vec![0u8; 16 * n as usize]);
    let wide = Message::from_bytes(&wide).expect("decodes");
    assert_eq!(
        ss[0].receive(&wide).map_err(|e| e.code()),
        Err("compute.malformed")
    );
    // A commitment body in a share-round header.
    let mut cbody = good[..41].to_vec();
    cbody[4] = 1;
    cbody.extend([0u8; 32]);
    let c = Message::from_bytes(&cbody).expect("decodes");
    assert_eq!(
        ss[0].receive(&c).map_err(|e| e.code()),
        Err("compute.wrong_round")
    );
    let mixed = Message {
        header: Header {
            round: Round::Share,
            ..c.header
        },
        body: c.body.clone(),
    };
    assert_eq!(
        ss[0].receive(&mixed).map_err(|e| e.code()),
        Err("compute.malformed")
    );
}

#[test]
fn a_silent_party_fails_the_job_naming_it() {
    let h = hand();
    for round in [Round::Commit, Round::Share, Round::Partial] {
        let faults = Faults {
            silent: Some((2, round)),
        };
        let (res, _) = run_with_rng(h.job.clone(), &h.locals, &faults, &mut rng(3));
        for (p, r) in res.iter().enumerate() {
            match (round, p, r) {
                // Before partials, every other party notices; in the partial round only the
                // receivers (0 and 3) wait for party 2.
                (Round::Partial, 1 | 2, Ok(Finished::Contributor { .. })) => {}
                (Round::Partial, 2, _) => panic!("party 2 should finish as a contributor"),
                (_, 2, _) if round != Round::Partial => {}
                (
                    _,
                    _,
                    Err(ComputeError::MissingParty {
                        index,
                        did: d,
                        round: rn,
                    }),
                ) => {
                    assert_eq!(*index, 2);
                    assert_eq!(d, &did(2));
                    let want = match round {
                        Round::Commit => "commit",
                        Round::Share => "share",
                        Round::Partial => "partial",
                    };
                    assert_eq!(rn, want);
                }
                other => panic!("round {round:?}, party {p}: {other:?}"),
            }
        }
    }
}

#[test]
fn a_party_inflating_its_share_is_caught_by_the_bound_or_changes_the_digest() {
    let h = hand();
    let ring = h.job.ring();
    let cs = commit_all(&h, 1);
    let (mut ss, mut msgs) = share_all(cs, 2);
    // Party 1 adds 2^62 to the count slot of the share it sends to party 0.
    let i = msgs
        .iter()
        .position(|m| m.header.from == 1 && m.header.to == 0)
        .expect("msg");
    let mut v = values(&msgs[i]);
    v[0] = ring.add(v[0], 1 << 62);
    let mut b = msgs[i].to_bytes()[..46].to_vec();
    for x in &v {
        ring.write(*x, &mut b);
    }
    msgs[i] = Message::from_bytes(&b).expect("decodes");
    for m in &msgs {
        ss[m.header.to as usize].receive(m).expect("share");
    }
    let mut ps = Vec::new();
    let mut pm = Vec::new();
    for s in ss {
        let (p, m) = s.partial().expect("partial");
        ps.push(p);
        pm.extend(m);
    }
    for m in &pm {
        ps[m.header.to as usize].receive(m).expect("partial");
    }
    let r = ps.remove(0).finish();
    assert!(
        matches!(r, Err(ComputeError::AggregateOutOfBound { ref what }) if what == "count"),
        "{r:?}"
    );
}

#[test]
fn an_equivocating_party_makes_receivers_digests_differ() {
    let h = hand();
    let (ss, msgs) = share_all(commit_all(&h, 1), 2);
    let mut ss = ss;
    for m in &msgs {
        ss[m.header.to as usize].receive(m).expect("share");
    }
    let mut ps = Vec::new();
    let mut pm = Vec::new();
    for s in ss {
        let (p, m) = s.partial().expect("partial");
        ps.push(p);
        pm.extend(m);
    }
    // Party 1 sends receiver 3 a partial that differs by one in the salt slot.
    let ring = h.job.ring();
    let i = pm
        .iter()
        .position(|m| m.header.from == 1 && m.header.to == 3)
        .expect("msg");
    let mut v = values(&pm[i]);
    let last = v.len() - 1;
    v[last] = ring.add(v[last], 1);
    let mut b = pm[i].to_bytes()[..46].to_vec();
    for x in &v {
        ring.write(*x, &mut b);
    }
    pm[i] = Message::from_bytes(&b).expect("decodes");
    for m in &pm {
        ps[m.header.to as usize].receive(m).expect("partial");
    }
    let d3 = match ps.remove(3).finish().expect("finish") {
        Finished::Receiver(o) => o.digest,
        _ => panic!("receiver"),
    };
    let d0 = match ps.remove(0).finish().expect("finish") {
        Finished::Receiver(o) => o.digest,
        _ => panic!("receiver"),
    };
    assert_ne!(d0, d3, "receivers must not agree on a digest");
}

#[test]
fn local_aggregates_over_their_bound_are_refused() {
    let h = hand();
    let mut bad = h.locals[0].clone();
    bad.slots[0] = -1;
    assert_eq!(
        Committed::new(h.job.clone(), &bad)
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("compute.bad_aggregate")
    );
    bad.slots[0] = 401;
    assert_eq!(
        Committed::new(h.job.clone(), &bad)
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("compute.bad_aggregate")
    );
    bad.slots.pop();
    assert_eq!(
        Committed::new(h.job.clone(), &bad)
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("compute.bad_aggregate")
    );
    // A non-receiver refuses partials.
    let (res, _) = run_with_rng(h.job.clone(), &h.locals, &Faults::default(), &mut rng(1));
    assert!(matches!(res[1], Ok(Finished::Contributor { .. })));
}

#[test]
fn error_codes_are_unique() {
    let all = [
        ComputeError::SpecSyntax(String::new()),
        ComputeError::spec("", ""),
        ComputeError::Overflow {
            what: String::new(),
            bits_needed: 0,
        },
        ComputeError::Input(String::new()),
        ComputeError::BadRow {
            row: 0,
            reason: String::new(),
        },
        ComputeError::OutOfRange {
            row: 0,
            min: String::new(),
            max: String::new(),
        },
        ComputeError::TooManyRows { max_rows: 0 },
        ComputeError::UnknownParty(String::new()),
        ComputeError::WrongJob {
            expected: String::new(),
            found: String::new(),
        },
        ComputeError::WrongRound {
            expected: String::new(),
            found: String::new(),
        },
        ComputeError::Misaddressed {
            from: 0,
            to: 0,
            me: 0,
        },
        ComputeError::Duplicate {
            from: 0,
            round: String::new(),
        },
        ComputeError::Malformed(String::new()),
        ComputeError::MissingParty {
            index: 0,
            did: String::new(),
            round: String::new(),
        },
        ComputeError::AggregateOutOfBound {
            what: String::new(),
        },
        ComputeError::BadAggregate(String::new()),
    ];
    let codes: std::collections::BTreeSet<_> = all.iter().map(|e| e.code()).collect();
    assert_eq!(codes.len(), all.len());
}

#[test]
fn zero_rows_everywhere_gives_empty_statistics() {
    let job = job(job_json(5, &[2, 0], 10, all_computations()));
    let rows: Vec<Rows> = vec![Vec::new(); 5];
    let (res, traffic) = run_with_rng(
        job.clone(),
        &locals(&job, &rows),
        &Faults::default(),
        &mut rng(7),
    );
    let o = outcome(&res[4]);
    check_against_plaintext(&job, &rows, &[2, 0], &o.result);
    assert!(o
        .result
        .results
        .contains(&ComputationResult::Mean { value: None }));
    assert!(o
        .result
        .results
        .contains(&ComputationResult::Count { value: 0 }));
    // n(n-1) commitments and shares, (n-1) partials to each of the 2 receivers.
    assert_eq!(traffic.messages, 20 + 20 + 4 + 4);
}
