//! FHE job benches (feature `fhe`): key generation and expansion, encryption, per-row
//! evaluation of each model kind through the Weft job (`ReadyJob::evaluate`: evaluation, output
//! serialisation, digests, progress), decryption, and the same homomorphic operations on raw
//! tfhe as the reference. Sizes are printed to stderr. See docs/BENCHMARKS.md.
//!
//! `cargo bench -p weft-mpc --features fhe --bench fhe`

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rayon::prelude::*;
use tfhe::integer::prelude::*;
use tfhe::integer::{BooleanBlock, ClientKey, RadixCiphertext, ServerKey, SignedRadixCiphertext};
use tfhe::shortint::parameters::v1_8::V1_8_PARAM_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128 as PARAMS;
use weft_mpc::fhe::*;

const FEATURES: usize = 8;
const WEIGHTS: [i64; FEATURES] = [3, -2, 5, 1, -7, 2, 4, -1];

fn schema() -> InputSchema {
    InputSchema::new(
        (0..FEATURES)
            .map(|i| FeatureSpec {
                name: format!("f{i}"),
                ty: IntType::U16,
            })
            .collect(),
    )
    .unwrap()
}

fn linear() -> Model {
    Model::new(
        ModelId::new("linear8x16").unwrap(),
        schema(),
        ModelKind::Linear(LinearModel {
            weights: WEIGHTS.to_vec(),
            bias: -1000,
            threshold: 50_000,
            score: IntType::I32,
            output: LinearOutput::ScoreAndDecision,
        }),
    )
    .unwrap()
}

/// Full depth-4 tree (15 splits, 16 leaves) over the 8 features.
fn tree() -> Model {
    let mut nodes = Vec::new();
    for i in 0..15u16 {
        nodes.push(TreeNode::Split {
            feature: i % FEATURES as u16,
            threshold: 1000 * (i as i64 + 1),
            left: 2 * i + 1,
            right: 2 * i + 2,
        });
    }
    for j in 0..16 {
        nodes.push(TreeNode::Leaf { value: j * 7 - 50 });
    }
    Model::new(
        ModelId::new("tree-d4").unwrap(),
        schema(),
        ModelKind::Tree(TreeModel {
            nodes,
            output: IntType::I8,
        }),
    )
    .unwrap()
}

fn lookup() -> Model {
    Model::new(
        ModelId::new("lookup16").unwrap(),
        InputSchema::new(vec![FeatureSpec {
            name: "region".into(),
            ty: IntType::U8,
        }])
        .unwrap(),
        ModelKind::Lookup(LookupModel {
            feature: 0,
            entries: (0..16).map(|k| (k * 3, (k * 11) % 256)).collect(),
            default: 0,
            output: IntType::U8,
        }),
    )
    .unwrap()
}

fn row(n: usize, seed: i64) -> Vec<i64> {
    (0..n as i64)
        .map(|i| (seed * 7919 + i * 104_729) % 65_536)
        .collect()
}

struct Env {
    owner: DataOwnerKey,
    server: Arc<ServerEvalKey>,
}

fn ready(
    env: &Env,
    model: &Arc<RegisteredModel>,
    rows: &[Vec<i64>],
) -> (ClientAwaitingResult, ReadyJob) {
    let (client, create) = ClientJob::create(model.info(), &env.owner, rows.len() as u32).unwrap();
    let provider = ProviderJob::accept(&create, model.clone(), env.server.clone()).unwrap();
    let (client, upload) = client.upload(&env.owner, rows).unwrap();
    (client, provider.receive_inputs(upload).unwrap())
}

fn keys(c: &mut Criterion) -> Env {
    let mut g = c.benchmark_group("fhe_keys");
    g.sample_size(10);
    g.bench_function("keygen_client_and_compressed_eval_key", |b| {
        b.iter(|| DataOwnerKey::generate().unwrap())
    });
    let (owner, eval) = DataOwnerKey::generate().unwrap();
    g.bench_function("expand_eval_key", |b| {
        b.iter(|| ServerEvalKey::from_eval_key(&eval).unwrap())
    });
    let sizes = owner.sizes(&eval).unwrap();
    eprintln!("fhe sizes: {sizes:?} ({PARAMETER_SET})");
    for ty in [IntType::Bool, IntType::U8, IntType::U16, IntType::I32] {
        eprintln!(
            "fhe sizes: input ciphertext {ty}: {} bytes",
            owner.encrypt_value(ty, 1).unwrap().len()
        );
    }
    g.finish();
    let server = Arc::new(ServerEvalKey::from_eval_key(&eval).unwrap());
    Env { owner, server }
}

fn client_side(c: &mut Criterion, env: &Env) {
    let mut g = c.benchmark_group("fhe_client");
    g.sample_size(10);
    g.bench_function("encrypt_u16", |b| {
        b.iter(|| env.owner.encrypt_value(IntType::U16, 12345).unwrap())
    });
    let reg = Arc::new(RegisteredModel::register(linear()).unwrap());
    g.bench_function("encrypt_row_8xu16", |b| {
        b.iter(|| {
            env.owner
                .encrypt_row(&reg.model().schema, &row(FEATURES, 1))
                .unwrap()
        })
    });
    let (client, ready) = ready(env, &reg, &[row(FEATURES, 1)]);
    let (result, _) = ready.evaluate(&EvalControl::new()).unwrap();
    eprintln!(
        "fhe sizes: linear result (i32 score + decision) {} bytes",
        result.rows[0].iter().map(Vec::len).sum::<usize>()
    );
    let _ = client;
    g.bench_function("decrypt_linear_row_i32_score_and_decision", |b| {
        b.iter(|| {
            (
                env.owner
                    .decrypt_value(IntType::I32, &result.rows[0][0], 0, 0)
                    .unwrap(),
                env.owner
                    .decrypt_value(IntType::Bool, &result.rows[0][1], 0, 1)
                    .unwrap(),
            )
        })
    });
    g.finish();
}

fn evaluate(c: &mut Criterion, env: &Env) {
    let mut g = c.benchmark_group("fhe_eval");
    g.sample_size(10);
    for (name, model) in [
        ("linear_8x16", linear()),
        ("tree_depth4_16bit", tree()),
        ("lookup_16_u8", lookup()),
    ] {
        let n = model.schema.len();
        let max = model.schema.features[0].ty.max();
        let r: Vec<i64> = row(n, 3).iter().map(|v| v % (max + 1)).collect();
        let reg = Arc::new(RegisteredModel::register(model).unwrap());
        g.bench_function(format!("weft_row_{name}"), |b| {
            b.iter_batched(
                || ready(env, &reg, &[r.clone()]).1,
                |r| r.evaluate(&EvalControl::new()).unwrap(),
                BatchSize::PerIteration,
            )
        });
    }
    let reg = Arc::new(RegisteredModel::register(linear()).unwrap());
    let rows: Vec<_> = (0..4).map(|i| row(FEATURES, i)).collect();
    g.bench_function("weft_batch4_linear_8x16", |b| {
        b.iter_batched(
            || ready(env, &reg, &rows).1,
            |r| r.evaluate(&EvalControl::new()).unwrap(),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

// ----- raw tfhe reference: the same homomorphic operations, no job around them -------------

fn refresh<T: tfhe::integer::IntegerRadixCiphertext>(sks: &ServerKey, mut ct: T) -> T {
    let s: &tfhe::shortint::ServerKey = sks.as_ref();
    ct.blocks_mut()
        .par_iter_mut()
        .for_each(|b| s.message_extract_assign(b));
    ct
}

fn raw_linear(sks: &ServerKey, xs: &[RadixCiphertext]) -> (SignedRadixCiphertext, RadixCiphertext) {
    let n = 16;
    let terms: Vec<SignedRadixCiphertext> = xs
        .par_iter()
        .zip(WEIGHTS.par_iter())
        .map(|(x, w)| {
            let x: SignedRadixCiphertext = sks.cast_to_signed(x.clone(), n);
            sks.scalar_mul_parallelized(&x, (*w as u64) & 0xffff_ffff)
        })
        .collect();
    let sum = sks.sum_ciphertexts_parallelized(&terms).unwrap();
    let score = sks.scalar_add_parallelized(&sum, (-1000i64 as u64) & 0xffff_ffff);
    let d: RadixCiphertext = sks
        .scalar_ge_parallelized(&score, 50_000i64)
        .into_radix(1, sks);
    (refresh(sks, score), refresh(sks, d))
}

fn raw_tree(sks: &ServerKey, xs: &[RadixCiphertext]) -> SignedRadixCiphertext {
    let n = 4;
    let conds: Vec<BooleanBlock> = (0..15u64)
        .into_par_iter()
        .map(|i| sks.scalar_le_parallelized(&xs[i as usize % FEATURES], 1000 * (i + 1)))
        .collect();
    let leaf = |j: i64| ((j * 7 - 50) as u64) & 0xff;
    // bottom level: nodes 7..15 choose between two leaves
    let mut level: Vec<SignedRadixCiphertext> = (7..15)
        .into_par_iter()
        .map(|i| {
            let j = 2 * i as i64 + 1 - 15;
            sks.scalar_if_then_else_parallelized(&conds[i], leaf(j), leaf(j + 1), n)
        })
        .collect();
    for start in [3usize, 1, 0] {
        level = (0..level.len() / 2)
            .into_par_iter()
            .map(|k| {
                sks.if_then_else_parallelized(&conds[start + k], &level[2 * k], &level[2 * k + 1])
            })
            .collect();
    }
    refresh(sks, level.pop().unwrap())
}

fn raw(c: &mut Criterion) {
    let mut g = c.benchmark_group("fhe_raw_tfhe");
    g.sample_size(10);
    let ck = ClientKey::new(PARAMS);
    let sks = ServerKey::new_radix_server_key(&ck);
    let xs: Vec<RadixCiphertext> = row(FEATURES, 3)
        .iter()
        .map(|v| ck.encrypt_radix(*v as u64, 8))
        .collect();
    g.bench_function("raw_row_linear_8x16", |b| b.iter(|| raw_linear(&sks, &xs)));
    g.bench_function("raw_row_tree_depth4_16bit", |b| {
        b.iter(|| raw_tree(&sks, &xs))
    });
    let (score, d) = raw_linear(&sks, &xs);
    let expect = linear().evaluate_plain(&row(FEATURES, 3)).unwrap();
    assert_eq!(ck.decrypt_signed_radix::<i64>(&score), expect[0]);
    assert_eq!(ck.decrypt_radix::<u64>(&d) as i64, expect[1]);
    let t = raw_tree(&sks, &xs);
    assert_eq!(
        ck.decrypt_signed_radix::<i64>(&t),
        tree().evaluate_plain(&row(FEATURES, 3)).unwrap()[0]
    );
    g.finish();
}

fn all(c: &mut Criterion) {
    let env = keys(c);
    client_side(c, &env);
    evaluate(c, &env);
    raw(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
