//! Voting benchmarks (DESIGN.md reference figures: ElectionGuard 0.7 s to encrypt a
//! 6-selection ballot; Semaphore proofs 0.3-0.8 s, verification 10-20 ms).
//!
//! `cargo bench -p weft-mpc --bench vote`
//!
//! - `ballot/create_5_choices_depth20`: encryption, five 0/1 proofs, the total proof and the
//!   Groth16 membership proof (tree depth 20).
//! - `ballot/verify_5_choices_depth20`: what the module runs on `Cast` (deterministic
//!   batch of the sigma proofs, then Groth16).
//! - `tally/sum_and_decrypt_10000x5`: homomorphic sum of 10,000 five-choice ballots, two
//!   counters' decryption shares, their verification, Lagrange combination and the bounded
//!   discrete logs.
//! - Printed once: bytes per ballot, and the full audit of 10,000 ballots (every proof
//!   re-verified on all cores). The audit's ballots are 100 distinct real ballots, each
//!   repeated 100 times: verification work per ballot is the same as for 10,000 distinct ones,
//!   and only the nullifier-uniqueness check (expectedly) fails.

use std::time::Instant;

use criterion::Criterion;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use weft_chain::Keypair;
use weft_mpc::vote::{
    audit, combine_tally, counter, Ballot, BallotVerifier, Bytes, DkgBroadcastPost, DkgRecord,
    PollId, PollRecord, PollSpec, PollState, Rule, Voter, Window, WindowUnit,
};
use weft_zk::dkg::DkgRound1;
use weft_zk::membership::{MembershipParams, MembershipSecret, MerkleTree};
use weft_zk::{Ciphertext, Context, DkgParameters, GroupKey, KeyShare};

const DEPTH: usize = 20;
const CHOICES: usize = 5;

struct Fixture {
    poll: PollId,
    spec: PollSpec,
    params: MembershipParams,
    shares: Vec<KeyShare>,
    group: GroupKey,
    secrets: Vec<MembershipSecret>,
    tree: MerkleTree,
    verifier: BallotVerifier,
    dkg: DkgRecord,
}

fn fixture() -> Fixture {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let params = MembershipParams::setup_with_rng(DEPTH, &mut rng).unwrap();
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
        tree_depth: DEPTH as u8,
        verifying_key: params.proving_key().verifying_key().to_bytes(),
        credential: None,
    };
    let poll = PollId::derive(&Keypair::from_seed(&[1; 32]).address(), 0, &spec);
    // The DKG in memory (the module only relays these messages).
    let ctx = counter::dkg_context(&poll);
    let dkg = DkgParameters::new(2, 3).unwrap();
    let (r1, bs): (Vec<_>, Vec<_>) = (1..=3)
        .map(|i| DkgRound1::new_with_rng(dkg, i, &Context::new(&ctx), &mut rng).unwrap())
        .unzip();
    let (r2, msgs): (Vec<_>, Vec<_>) = r1
        .into_iter()
        .map(|r| r.receive_broadcasts(&bs).unwrap())
        .unzip();
    let all: Vec<_> = msgs.into_iter().flatten().collect();
    let dkg_record = DkgRecord {
        broadcasts: bs
            .iter()
            .map(|b| {
                (
                    b.sender(),
                    DkgBroadcastPost {
                        broadcast: Bytes(b.to_bytes()),
                        share_key: Bytes::default(),
                        share_key_proof: Bytes::default(),
                    },
                )
            })
            .collect(),
        complaints: (1..=3).map(|i| (i, Vec::new())).collect(),
        ..Default::default()
    };
    let outs: Vec<_> = r2
        .into_iter()
        .map(|r| {
            let (r3, _) = r.receive_shares(&all).unwrap();
            r3.finish(&[], &[]).unwrap()
        })
        .collect();
    let group = outs[0].group.clone();
    let secrets: Vec<_> = (0..100)
        .map(|_| MembershipSecret::random_with_rng(&mut rng))
        .collect();
    let tree = MerkleTree::from_leaves(DEPTH, secrets.iter().map(|s| s.commitment())).unwrap();
    let verifier =
        BallotVerifier::new(poll, &spec, group.public_key(), &[tree.root().to_bytes()]).unwrap();
    Fixture {
        poll,
        spec,
        params,
        shares: outs.into_iter().map(|o| o.share).collect(),
        group,
        secrets,
        tree,
        verifier,
        dkg: dkg_record,
    }
}

fn ballot(f: &Fixture, i: usize, rng: &mut ChaCha20Rng) -> Ballot {
    let mut sel = vec![false; CHOICES];
    sel[i % CHOICES] = true;
    f.verifier
        .create_ballot_with_rng(
            &Voter {
                secret: &f.secrets[i],
                path: f.tree.path(i as u64).unwrap(),
                class: 0,
            },
            &sel,
            f.params.proving_key(),
            rng,
        )
        .unwrap()
}

fn benches(c: &mut Criterion, f: &Fixture) {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let mut g = c.benchmark_group("ballot");
    g.sample_size(10);
    g.bench_function("create_5_choices_depth20", |b| {
        b.iter(|| ballot(f, 0, &mut rng))
    });
    let one = ballot(f, 0, &mut rng);
    g.bench_function("verify_5_choices_depth20", |b| {
        b.iter(|| f.verifier.verify(&one).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("tally");
    g.sample_size(10);
    let pk = f.group.public_key();
    let cts: Vec<Vec<Ciphertext>> = (0..10_000)
        .map(|i| {
            (0..CHOICES)
                .map(|c| pk.encrypt_with_rng(u64::from(i % CHOICES == c), &mut rng).0)
                .collect()
        })
        .collect();
    g.bench_function("sum_and_decrypt_10000x5", |b| {
        b.iter(|| {
            let mut sum = vec![Ciphertext::zero(); CHOICES];
            for ballot in &cts {
                for (acc, ct) in sum.iter_mut().zip(ballot) {
                    *acc += *ct;
                }
            }
            let tctx = counter::tally_context(&f.poll);
            let decs: Vec<_> = f.shares[..2]
                .iter()
                .map(|s| {
                    (
                        s.index(),
                        sum.iter()
                            .map(|ct| s.decryption_share(&Context::new(&tctx), ct))
                            .collect(),
                    )
                })
                .collect();
            let (counts, _) = combine_tally(&f.poll, &f.group, &sum, &decs, 10_000).unwrap();
            assert_eq!(counts, vec![2_000; CHOICES]);
        })
    });
    g.finish();
}

fn once(f: &Fixture) {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let distinct: Vec<Ballot> = (0..100).map(|i| ballot(f, i, &mut rng)).collect();
    println!(
        "bytes per ballot (5 choices, single choice, borsh): {}",
        distinct[0].encoded_len()
    );
    let ballots: Vec<Ballot> = (0..10_000).map(|i| distinct[i % 100].clone()).collect();
    let mut aggregate = vec![Ciphertext::zero(); CHOICES];
    for b in &ballots {
        for (acc, ct) in aggregate.iter_mut().zip(&b.ciphertexts) {
            *acc += Ciphertext::from_bytes(&ct.0).unwrap();
        }
    }
    let tctx = counter::tally_context(&f.poll);
    let decryptions: Vec<(u32, Vec<Bytes>)> = f.shares[..2]
        .iter()
        .map(|s| {
            (
                s.index(),
                aggregate
                    .iter()
                    .map(|ct| Bytes(s.decryption_share(&Context::new(&tctx), ct).to_bytes()))
                    .collect(),
            )
        })
        .collect();
    let record = PollRecord {
        state: PollState {
            id: f.poll,
            organiser: Keypair::from_seed(&[1; 32]).address(),
            seq: 0,
            spec: f.spec.clone(),
            created_height: 1,
            group_key: Some(Bytes(f.group.to_bytes())),
            leaf_counts: vec![f.tree.len()],
            roots: Some(vec![f.tree.root().to_bytes()]),
            ballots: ballots.len() as u64,
            aggregate: aggregate.iter().map(|c| Bytes(c.to_bytes())).collect(),
            decrypted_by: vec![1, 2],
            result: Some(weft_mpc::vote::TallyResult {
                counts: vec![2_000; CHOICES],
                combined: vec![1, 2],
                height: 30,
            }),
        },
        dkg: f.dkg.clone(),
        leaves: vec![f
            .secrets
            .iter()
            .map(|s| s.commitment().to_bytes())
            .collect()],
        ballots,
        decryptions,
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let t = Instant::now();
    let report = audit(&record, threads);
    let elapsed = t.elapsed();
    println!("audit of 10,000 ballots x 5 choices on {threads} threads: {elapsed:.2?}");
    for c in &report.checks {
        println!(
            "  [{}] {}: {}",
            if c.ok { "ok" } else { "--" },
            c.name,
            c.detail
        );
    }
}

fn main() {
    let f = fixture();
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c, &f);
    c.final_summary();
    if std::env::var_os("WEFT_BENCH_VOTE_AUDIT").is_some() {
        once(&f);
    }
}
