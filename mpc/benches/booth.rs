//! Booth benchmarks (issue 20): parameter generation, proving-key loading (fully checked and
//! by digest) and building a ballot (5 choices, with its Groth16 membership proof and its own
//! verification), at tree depths 4 and 16.
//!
//! `cargo bench -p weft-mpc --bench booth`
//!
//! Reference (DESIGN.md): Semaphore proof 0.3-0.8 s; the demo's setup at depth 4, 0.45 s.
//! Peak memory is not measured here; see `zk/examples/membership_keys.rs` with
//! `/usr/bin/time -v` (docs/BENCHMARKS.md).

use std::time::Duration;

use criterion::Criterion;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use weft_chain::Keypair;
use weft_mpc::vote::{
    build_ballot_with_rng, generate_params_with_rng, load_by_digest, load_proving_key,
    EligibilityTree, PollId, PollSpec, PollState, Rule, Window, WindowUnit,
};
use weft_zk::dkg::DkgRound1;
use weft_zk::membership::MembershipSecret;
use weft_zk::{Context, DkgParameters, GroupKey};

const CHOICES: usize = 5;

/// The joint key of an in-memory 2-of-3 DKG (the module only relays these messages).
fn group_key(rng: &mut ChaCha20Rng) -> GroupKey {
    let dkg = DkgParameters::new(2, 3).unwrap();
    let (r1, bs): (Vec<_>, Vec<_>) = (1..=3)
        .map(|i| DkgRound1::new_with_rng(dkg, i, &Context::new(b"bench"), rng).unwrap())
        .unzip();
    let (r2, msgs): (Vec<_>, Vec<_>) = r1
        .into_iter()
        .map(|r| r.receive_broadcasts(&bs).unwrap())
        .unzip();
    let all: Vec<_> = msgs.into_iter().flatten().collect();
    let r2 = r2.into_iter().next().unwrap();
    let (r3, _) = r2.receive_shares(&all).unwrap();
    r3.finish(&[], &[]).unwrap().group
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .configure_from_args();
    let mut rng = ChaCha20Rng::seed_from_u64(20);
    let group = group_key(&mut rng);
    for depth in [4usize, 16] {
        let generated = generate_params_with_rng(depth, &mut rng).unwrap();
        println!(
            "depth {depth}: proving key {} bytes, digest {}",
            generated.proving_key_bytes.len(),
            generated.digest
        );
        let counters: Vec<Keypair> = (0..3).map(|i| Keypair::from_seed(&[i + 10; 32])).collect();
        let spec = PollSpec {
            title: "bench".into(),
            choices: (0..CHOICES).map(|i| format!("c{i}")).collect(),
            rule: Rule::Single,
            window: Window {
                unit: WindowUnit::Height,
                start: 10,
                end: 20,
            },
            counters: counters
                .iter()
                .map(|k| weft_did::Did::weft("weft-bench", k.address()).to_string())
                .collect(),
            threshold: 2,
            allow_revote: false,
            tree_depth: depth as u8,
            verifying_key: generated.verifying_key.clone(),
            credential: None,
        };
        let organiser = Keypair::from_seed(&[1; 32]).address();
        let id = PollId::derive(&organiser, 0, &spec);
        let secrets: Vec<_> = (0..16)
            .map(|_| MembershipSecret::random_with_rng(&mut rng))
            .collect();
        let leaves: Vec<[u8; 32]> = secrets.iter().map(|s| s.commitment().to_bytes()).collect();
        let tree = EligibilityTree::from_leaves(depth as u8, &leaves).unwrap();
        let state = PollState {
            id,
            organiser,
            seq: 0,
            spec,
            created_height: 1,
            group_key: Some(weft_mpc::vote::Bytes(group.to_bytes())),
            leaf_counts: vec![leaves.len() as u64],
            roots: Some(vec![tree.tree().root().to_bytes()]),
            ballots: 0,
            aggregate: Vec::new(),
            decrypted_by: Vec::new(),
            result: None,
        };

        let mut g = c.benchmark_group(format!("booth_depth{depth}"));
        g.bench_function("params_generate", |b| {
            b.iter(|| generate_params_with_rng(depth, &mut rng).unwrap())
        });
        g.bench_function("key_load_checked", |b| {
            b.iter(|| {
                load_proving_key(
                    &generated.proving_key_bytes,
                    Some(generated.verifying_key.as_slice()),
                )
                .unwrap()
            })
        });
        g.bench_function("key_load_by_digest", |b| {
            b.iter(|| load_by_digest(&generated.proving_key_bytes, &generated.digest).unwrap())
        });
        let mut i = 0;
        g.bench_function("ballot_build_5_choices", |b| {
            b.iter(|| {
                i = (i + 1) % secrets.len();
                build_ballot_with_rng(
                    &state,
                    &tree,
                    &secrets[i],
                    0,
                    &[i % CHOICES],
                    &generated.proving_key,
                    &mut rng,
                )
                .unwrap()
            })
        });
        g.finish();
    }
    c.final_summary();
}
