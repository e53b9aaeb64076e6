//! Tests of the voting module through a real single-validator node: every rejection case of
//! the issue, the DKG through the chain, t-1 versus t decryption shares, and the audit.

use std::sync::{Arc, OnceLock};

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use weft_chain::governance::{self, Action, GovernanceCall};
use weft_chain::{
    Address, Genesis, Keypair, ModuleRegistry, Node, NodeConfig, ReceiptStatus, Transaction,
};
use weft_zk::dkg::DkgRound3;
use weft_zk::membership::{MembershipParams, MembershipSecret, MerkleTree};
use weft_zk::sigma::or_proof::{OneOfProof, OneOfStatement};
use weft_zk::sigma::sum::{AllowedTotal, SumProof, SumStatement};
use weft_zk::{Ciphertext, Context, GroupKey, KeyShare, SecretKey};

use weft_did::registry::DidCall;
use weft_did::{Did, Relationships, UpdateOp};

use super::*;

mod booth;
mod credential;

const CHAIN: &str = "weft-vote-test";
const DEPTH: usize = 4;
const START: u64 = 10_000;
const END: u64 = 20_000;

fn params() -> &'static MembershipParams {
    static P: OnceLock<MembershipParams> = OnceLock::new();
    P.get_or_init(|| {
        MembershipParams::setup_with_rng(DEPTH, &mut ChaCha20Rng::seed_from_u64(7)).unwrap()
    })
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

struct Env {
    _dir: tempfile::TempDir,
    validator: Keypair,
    node: Arc<Node>,
    now: std::cell::Cell<u64>,
}

impl Env {
    fn new() -> Env {
        let validator = Keypair::from_seed(&[200; 32]);
        let admin = Keypair::from_seed(&[1; 32]);
        let mut genesis = Genesis::single_validator(CHAIN, &validator, vec![admin.address()]);
        genesis.config.insert("fee".into(), "0".into());
        let dir = tempfile::tempdir().unwrap();
        let registry = ModuleRegistry::with_defaults()
            .with(Arc::new(weft_did::registry::DidRegistry))
            .with(Arc::new(weft_did::issuer::IssuerRegistry))
            .with(Arc::new(weft_did::cpt::CptRegistry))
            .with(Arc::new(VoteModule::new()));
        let node = Node::open(
            NodeConfig {
                data_dir: dir.path().to_path_buf(),
                ..NodeConfig::default()
            },
            genesis,
            registry,
        )
        .unwrap();
        let env = Env {
            _dir: dir,
            validator,
            node,
            now: std::cell::Cell::new(1_000),
        };
        let organiser = Keypair::from_seed(&[2; 32]);
        env.tx(
            &admin,
            governance::call(GovernanceCall::Propose {
                action: Action::Grant {
                    account: organiser.address(),
                    permission: ORGANISER_PERMISSION.into(),
                },
            }),
        )
        .unwrap();
        // The counters are DIDs: each counter key registers its own.
        for kp in counter_keys(3) {
            env.did(
                &kp,
                DidCall::Create {
                    public_key: kp.public_key(),
                    services: vec![],
                },
            )
            .unwrap();
        }
        env
    }

    fn did(&self, kp: &Keypair, c: DidCall) -> Result<(), String> {
        self.tx(kp, c.call())
    }

    /// Submits one transaction and commits a block with it; the receipt's error if it failed.
    fn tx(&self, kp: &Keypair, c: weft_chain::Call) -> Result<(), String> {
        let nonce = self.node.next_nonce(&kp.address()).unwrap();
        let tx = Transaction {
            chain_id: CHAIN.into(),
            sender: kp.public_key(),
            nonce,
            call: c,
        }
        .sign(kp);
        let hash = self.node.submit(tx).map_err(|e| format!("{e:?}"))?;
        self.node
            .produce_block(&self.validator, self.now.get(), true)
            .unwrap()
            .unwrap();
        let r = self.node.receipt(&hash).unwrap().unwrap();
        match r.status {
            ReceiptStatus::Success => Ok(()),
            _ => Err(r.error.map(|e| e.message).unwrap_or_default()),
        }
    }

    fn vote(&self, kp: &Keypair, c: &VoteCall) -> Result<(), String> {
        self.tx(kp, call(c))
    }

    fn query<T: borsh::BorshDeserialize>(&self, q: &VoteQuery) -> T {
        let (m, a) = query_args(q);
        borsh::from_slice(&self.node.call(NAME, m, &a, None).unwrap()).unwrap()
    }
}

fn organiser() -> Keypair {
    Keypair::from_seed(&[2; 32])
}

/// The DID of a counter key (registered by [`Env::new`] for `counter_keys(3)`).
fn counter_did(kp: &Keypair) -> String {
    Did::weft(CHAIN, kp.address()).to_string()
}

fn counter_keys(n: u8) -> Vec<Keypair> {
    (0..n).map(|i| Keypair::from_seed(&[50 + i; 32])).collect()
}

fn spec(rule: Rule, choices: usize, counters: &[Keypair], t: u32, revote: bool) -> PollSpec {
    PollSpec {
        title: "Board election".into(),
        choices: (0..choices).map(|i| format!("choice {i}")).collect(),
        rule,
        window: Window {
            unit: WindowUnit::TimestampMs,
            start: START,
            end: END,
        },
        counters: counters.iter().map(counter_did).collect(),
        threshold: t,
        allow_revote: revote,
        tree_depth: DEPTH as u8,
        verifying_key: params().proving_key().verifying_key().to_bytes(),
        credential: None,
    }
}

/// A poll set up through the chain: DKG done, key recorded, eligibility sealed.
struct Poll {
    id: PollId,
    spec: PollSpec,
    counters: Vec<Keypair>,
    shares: Vec<KeyShare>,
    group: GroupKey,
    voters: Vec<(u32, MembershipSecret)>,
    trees: Vec<MerkleTree>,
    verifier: BallotVerifier,
}

impl Poll {
    fn voter(&self, i: usize) -> Voter<'_> {
        let (class, secret) = &self.voters[i];
        let tree = &self.trees[*class as usize];
        let index = (0..tree.len())
            .find(|k| {
                tree.path(*k)
                    .unwrap()
                    .verify(&secret.commitment(), &tree.root())
            })
            .unwrap();
        Voter {
            secret,
            path: tree.path(index).unwrap(),
            class: *class,
        }
    }

    fn ballot(&self, i: usize, selection: &[bool], seed: u64) -> Ballot {
        self.verifier
            .create_ballot_with_rng(
                &self.voter(i),
                selection,
                params().proving_key(),
                &mut rng(seed),
            )
            .unwrap()
    }

    fn state(&self, env: &Env) -> PollState {
        env.query(&VoteQuery::Poll(self.id))
    }

    fn aggregate(&self, env: &Env) -> Vec<Ciphertext> {
        self.state(env)
            .aggregate
            .iter()
            .map(|b| Ciphertext::from_bytes(&b.0).unwrap())
            .collect()
    }

    fn decrypt(&self, env: &Env, counter: usize) -> Result<(), String> {
        let shares = counter::decryption_shares_with_rng(
            &self.id,
            &self.shares[counter],
            &self.aggregate(env),
            &mut rng(900 + counter as u64),
        );
        env.vote(
            &self.counters[counter],
            &VoteCall::Decrypt {
                poll: self.id,
                shares,
            },
        )
    }
}

/// Runs the DKG of `counters` through the chain for `id`; returns everyone's round-3 state.
fn run_dkg(env: &Env, id: PollId, spec: &PollSpec, counters: &[Keypair]) -> Vec<DkgRound3> {
    let mut round1 = Vec::new();
    for (i, kp) in counters.iter().enumerate() {
        let (r1, sk, post) =
            counter::start_with_rng(&id, spec, i as u32 + 1, &mut rng(100 + i as u64)).unwrap();
        env.vote(kp, &VoteCall::DkgBroadcast { poll: id, post })
            .unwrap();
        round1.push((r1, sk));
    }
    let record: DkgRecord = env.query(&VoteQuery::Dkg(id));
    let mut round2 = Vec::new();
    for (i, ((r1, sk), kp)) in round1.into_iter().zip(counters).enumerate() {
        let (r2, shares) =
            counter::deal_with_rng(&id, r1, &record, &mut rng(200 + i as u64)).unwrap();
        env.vote(kp, &VoteCall::DkgShares { poll: id, shares })
            .unwrap();
        round2.push((r2, sk));
    }
    let record: DkgRecord = env.query(&VoteQuery::Dkg(id));
    let mut round3 = Vec::new();
    for (i, ((r2, sk), kp)) in round2.into_iter().zip(counters).enumerate() {
        let (r3, accused) = counter::receive(&id, i as u32 + 1, r2, &sk, &record).unwrap();
        assert!(accused.is_empty(), "honest dealers draw no complaints");
        env.vote(kp, &VoteCall::DkgComplaints { poll: id, accused })
            .unwrap();
        round3.push(r3);
    }
    round3
}

fn setup(env: &Env, rule: Rule, choices: usize, voters: usize, revote: bool) -> Poll {
    let vk = params().proving_key().verifying_key().to_bytes();
    setup_with_key(env, rule, choices, voters, revote, vk)
}

/// [`setup`] for a poll whose spec carries `verifying_key`.
fn setup_with_key(
    env: &Env,
    rule: Rule,
    choices: usize,
    voters: usize,
    revote: bool,
    verifying_key: Vec<u8>,
) -> Poll {
    let counters = counter_keys(3);
    let mut spec = spec(rule, choices, &counters, 2, revote);
    spec.verifying_key = verifying_key;
    let org = organiser();
    env.vote(&org, &VoteCall::CreatePoll(spec.clone())).unwrap();
    let id = PollId::derive(&org.address(), 0, &spec);
    let polls: Vec<PollId> = env.query(&VoteQuery::Polls);
    assert_eq!(polls, vec![id]);

    let round3 = run_dkg(env, id, &spec, &counters);
    env.vote(&org, &VoteCall::FinalizeKey { poll: id }).unwrap();
    let record: DkgRecord = env.query(&VoteQuery::Dkg(id));
    let outputs: Vec<_> = round3
        .into_iter()
        .map(|r3| counter::finish(r3, &record).unwrap())
        .collect();
    let group = outputs[0].group.clone();
    let state: PollState = env.query(&VoteQuery::Poll(id));
    assert_eq!(
        GroupKey::from_bytes(&state.group_key.unwrap().0).unwrap(),
        group
    );

    let classes = spec.rule.class_weights().len();
    let mut r = rng(300);
    let voters: Vec<(u32, MembershipSecret)> = (0..voters)
        .map(|i| {
            (
                (i % classes) as u32,
                MembershipSecret::random_with_rng(&mut r),
            )
        })
        .collect();
    let mut trees = Vec::new();
    for class in 0..classes as u32 {
        let leaves: Vec<_> = voters
            .iter()
            .filter(|(c, _)| *c == class)
            .map(|(_, s)| s.commitment())
            .collect();
        if !leaves.is_empty() {
            env.vote(
                &org,
                &VoteCall::AddLeaves {
                    poll: id,
                    class,
                    leaves: leaves.iter().map(|l| l.to_bytes()).collect(),
                },
            )
            .unwrap();
        }
        trees.push(MerkleTree::from_leaves(DEPTH, leaves).unwrap());
    }
    env.vote(&org, &VoteCall::Seal { poll: id }).unwrap();
    let state: PollState = env.query(&VoteQuery::Poll(id));
    let roots = state.roots.unwrap();
    assert_eq!(
        roots,
        trees
            .iter()
            .map(|t| t.root().to_bytes())
            .collect::<Vec<_>>()
    );
    let verifier = BallotVerifier::new(id, &spec, group.public_key(), &roots).unwrap();
    Poll {
        id,
        spec,
        counters,
        shares: outputs.into_iter().map(|o| o.share).collect(),
        group,
        voters,
        trees,
        verifier,
    }
}

fn one_time() -> Keypair {
    Keypair::generate()
}

fn open(env: &Env) {
    env.now.set(START);
}

fn close(env: &Env) {
    env.now.set(END + 1);
}

fn record(env: &Env, poll: &Poll) -> PollRecord {
    env.query(&VoteQuery::Record(poll.id))
}

#[test]
fn a_poll_runs_end_to_end_and_its_audit_passes() {
    let env = Env::new();
    let poll = setup(&env, Rule::Single, 3, 5, false);
    open(&env);
    let picks = [0usize, 2, 2, 1, 2];
    for (i, pick) in picks.iter().enumerate() {
        let mut sel = vec![false; 3];
        sel[*pick] = true;
        let b = poll.ballot(i, &sel, 400 + i as u64);
        env.vote(&one_time(), &VoteCall::Cast(b)).unwrap();
    }
    assert_eq!(poll.state(&env).ballots, 5);
    close(&env);

    // One counter of three posts: t - 1 = 1 share set, nothing decrypts.
    poll.decrypt(&env, 0).unwrap();
    let state = poll.state(&env);
    assert_eq!(state.decrypted_by, vec![1]);
    assert!(state.result.is_none());
    let rec = record(&env, &poll);
    let report = audit(&rec, 2);
    assert!(!report.passed(), "no result yet");

    // Counter 3 posts (counter 2 stays offline): t = 2 shares finish the tally.
    poll.decrypt(&env, 2).unwrap();
    let result = poll.state(&env).result.unwrap();
    assert_eq!(result.counts, vec![1, 1, 3]);
    assert_eq!(result.combined, vec![1, 3]);

    let report = audit(&record(&env, &poll), 2);
    for c in &report.checks {
        assert!(c.ok, "{}: {}", c.name, c.detail);
    }
    assert!(report.passed());
    // A late share after the result is refused.
    assert!(poll
        .decrypt(&env, 1)
        .unwrap_err()
        .contains("already recorded"));
}

#[test]
fn t_minus_one_shares_decrypt_nothing_and_any_t_do() {
    let env = Env::new();
    let poll = setup(&env, Rule::Approval, 2, 3, false);
    open(&env);
    for (i, sel) in [[true, true], [false, true], [false, false]]
        .iter()
        .enumerate()
    {
        let b = poll.ballot(i, sel, 500 + i as u64);
        env.vote(&one_time(), &VoteCall::Cast(b)).unwrap();
    }
    close(&env);
    let aggregate = poll.aggregate(&env);
    let shares: Vec<(u32, Vec<weft_zk::DecryptionShare>)> = (0..3)
        .map(|c| {
            let ctx = counter::tally_context(&poll.id);
            let s = aggregate
                .iter()
                .map(|ct| poll.shares[c].decryption_share(&Context::new(&ctx), ct))
                .collect();
            (c as u32 + 1, s)
        })
        .collect();
    let bound = 3;
    for one in &shares {
        let err = combine_tally(
            &poll.id,
            &poll.group,
            &aggregate,
            std::slice::from_ref(one),
            bound,
        )
        .unwrap_err();
        assert!(err.contains("nothing decrypts"), "{err}");
    }
    for pair in [[0, 1], [0, 2], [1, 2]] {
        let chosen = vec![shares[pair[0]].clone(), shares[pair[1]].clone()];
        let (counts, used) =
            combine_tally(&poll.id, &poll.group, &aggregate, &chosen, bound).unwrap();
        assert_eq!(counts, vec![1, 2]);
        assert_eq!(used, vec![pair[0] as u32 + 1, pair[1] as u32 + 1]);
    }
}

/// Encrypts `values` under the poll key with proofs for the given per-choice set and total,
/// bound to `voter`'s nullifier, and signs membership: a voter crafting a dishonest ballot.
fn crafted(
    poll: &Poll,
    voter: usize,
    values: &[u64],
    per_choice: &[u64],
    total: Option<AllowedTotal<'_>>,
) -> Ballot {
    let mut r = rng(777);
    let v = poll.voter(voter);
    let nf = nullifier(v.secret, &poll.id).to_bytes();
    let ctx_bytes = transcript::context(transcript::BALLOT, &poll.id, &nf);
    let ctx = Context::new(&ctx_bytes);
    let pk = poll.group.public_key();
    let (cts, rs): (Vec<_>, Vec<_>) = values
        .iter()
        .map(|m| pk.encrypt_with_rng(*m, &mut r))
        .unzip();
    let proofs = cts
        .iter()
        .zip(values)
        .zip(&rs)
        .map(|((ct, m), rand)| {
            let st = OneOfStatement {
                context: ctx,
                public_key: pk,
                ciphertext: *ct,
                allowed: per_choice,
            };
            Bytes(
                OneOfProof::prove_with_rng(&st, *m, rand, &mut r)
                    .unwrap()
                    .to_bytes(),
            )
        })
        .collect();
    let total_proof = total.map(|total| {
        let st = SumStatement {
            context: ctx,
            public_key: pk,
            ciphertexts: &cts,
            total,
        };
        Bytes(
            SumProof::prove_with_rng(&st, values, &rs, &mut r)
                .unwrap()
                .to_bytes(),
        )
    });
    let mut ballot = Ballot {
        poll: poll.id,
        class: v.class,
        nullifier: nf,
        ciphertexts: cts.iter().map(|c| Bytes(c.to_bytes())).collect(),
        choice_proofs: proofs,
        total_proof,
        membership_proof: Bytes::default(),
    };
    poll.verifier
        .attach_membership_proof(&mut ballot, &v, params().proving_key(), &mut r)
        .unwrap();
    ballot
}

#[test]
fn dishonest_ballots_are_rejected() {
    let env = Env::new();
    let poll = setup(&env, Rule::Single, 2, 4, false);
    open(&env);

    // A choice out of range: Enc(2) with a proof over {0, 1, 2}.
    let b = crafted(
        &poll,
        0,
        &[2, 0],
        &[0, 1, 2],
        Some(AllowedTotal::Exactly(2)),
    );
    let err = env.vote(&one_time(), &VoteCall::Cast(b)).unwrap_err();
    assert!(err.contains("out of range"), "{err}");

    // A total that breaks the rule: both choices of a single-choice poll.
    let b = crafted(&poll, 0, &[1, 1], &[0, 1], Some(AllowedTotal::Exactly(2)));
    let err = env.vote(&one_time(), &VoteCall::Cast(b)).unwrap_err();
    assert!(err.contains("breaks the poll's rule"), "{err}");
    // ... or one without a total proof at all.
    let b = crafted(&poll, 0, &[1, 1], &[0, 1], None);
    let err = env.vote(&one_time(), &VoteCall::Cast(b)).unwrap_err();
    assert!(err.contains("breaks the poll's rule"), "{err}");

    // Wrong choice count.
    let mut b = poll.ballot(0, &[true, false], 1);
    b.ciphertexts.pop();
    let err = env.vote(&one_time(), &VoteCall::Cast(b)).unwrap_err();
    assert!(err.contains("expected 2 choices"), "{err}");

    // Garbage bytes get a clear error, not a panic.
    let mut b = poll.ballot(0, &[true, false], 2);
    b.membership_proof = Bytes(vec![1, 2, 3]);
    let err = env.vote(&one_time(), &VoteCall::Cast(b)).unwrap_err();
    assert!(err.contains("malformed ballot"), "{err}");

    // Nothing was counted.
    assert_eq!(poll.state(&env).ballots, 0);
}

#[test]
fn wrong_moved_or_replayed_membership_proofs_are_rejected() {
    let env = Env::new();
    let poll = setup(&env, Rule::Single, 2, 4, false);
    // Another poll of the same organiser (no key, no eligibility).
    let mut other_spec = poll.spec.clone();
    other_spec.title = "Another poll".into();
    env.vote(&organiser(), &VoteCall::CreatePoll(other_spec.clone()))
        .unwrap();
    let other = PollId::derive(&organiser().address(), 1, &other_spec);
    open(&env);

    // A voter outside the eligibility tree proves against a tree of its own.
    let outsider = MembershipSecret::random_with_rng(&mut rng(1));
    let mut own_tree = MerkleTree::new(DEPTH).unwrap();
    own_tree.insert(outsider.commitment()).unwrap();
    let fake = BallotVerifier::new(
        poll.id,
        &poll.spec,
        poll.group.public_key(),
        &[own_tree.root().to_bytes()],
    )
    .unwrap();
    let b = fake
        .create_ballot_with_rng(
            &Voter {
                secret: &outsider,
                path: own_tree.path(0).unwrap(),
                class: 0,
            },
            &[true, false],
            params().proving_key(),
            &mut rng(2),
        )
        .unwrap();
    let err = env.vote(&one_time(), &VoteCall::Cast(b)).unwrap_err();
    assert!(err.contains("membership proof does not verify"), "{err}");

    // A membership proof moved onto another ballot (same voter, other choice).
    let honest = poll.ballot(0, &[true, false], 3);
    let mut moved = poll.ballot(0, &[false, true], 4);
    moved.membership_proof = honest.membership_proof.clone();
    let err = env.vote(&one_time(), &VoteCall::Cast(moved)).unwrap_err();
    assert!(err.contains("membership proof does not verify"), "{err}");

    // Another voter copies voter 0's ciphertexts and proofs under its own nullifier.
    let mut copied = honest.clone();
    copied.nullifier = nullifier(poll.voter(1).secret, &poll.id).to_bytes();
    poll.verifier
        .attach_membership_proof(
            &mut copied,
            &poll.voter(1),
            params().proving_key(),
            &mut rng(5),
        )
        .unwrap();
    let err = env.vote(&one_time(), &VoteCall::Cast(copied)).unwrap_err();
    assert!(err.contains("out of range"), "{err}");

    // A ballot of this poll replayed into another poll of the same organiser.
    let mut replayed = honest.clone();
    replayed.poll = other;
    let err = env
        .vote(&one_time(), &VoteCall::Cast(replayed))
        .unwrap_err();
    assert!(err.contains("not recorded"), "{err}");

    // The honest ballot is accepted once; replaying it exactly is a reused nullifier.
    env.vote(&one_time(), &VoteCall::Cast(honest.clone()))
        .unwrap();
    let err = env.vote(&one_time(), &VoteCall::Cast(honest)).unwrap_err();
    assert!(err.contains("already voted"), "{err}");
    // So is a fresh ballot by the same voter.
    let again = poll.ballot(0, &[false, true], 6);
    let err = env.vote(&one_time(), &VoteCall::Cast(again)).unwrap_err();
    assert!(err.contains("already voted"), "{err}");
    assert_eq!(poll.state(&env).ballots, 1);
}

#[test]
fn revote_replaces_the_earlier_ballot_when_allowed() {
    let env = Env::new();
    let poll = setup(&env, Rule::KOfN { min: 1, max: 2 }, 3, 2, true);
    open(&env);
    let b = poll.ballot(0, &[true, true, false], 1);
    env.vote(&one_time(), &VoteCall::Cast(b)).unwrap();
    let b = poll.ballot(1, &[false, true, false], 2);
    env.vote(&one_time(), &VoteCall::Cast(b)).unwrap();
    // Voter 0 changes its mind.
    let b = poll.ballot(0, &[false, false, true], 3);
    env.vote(&one_time(), &VoteCall::Cast(b)).unwrap();
    // k-of-n bounds hold: three choices is too many.
    let b = crafted(
        &poll,
        1,
        &[1, 1, 1],
        &[0, 1],
        Some(AllowedTotal::OneOf(&[3])),
    );
    let err = env.vote(&one_time(), &VoteCall::Cast(b)).unwrap_err();
    assert!(err.contains("breaks the poll's rule"), "{err}");
    assert_eq!(poll.state(&env).ballots, 2);
    close(&env);
    poll.decrypt(&env, 1).unwrap();
    poll.decrypt(&env, 2).unwrap();
    assert_eq!(poll.state(&env).result.unwrap().counts, vec![0, 1, 1]);
    assert!(audit(&record(&env, &poll), 1).passed());
}

#[test]
fn weighted_poll_counts_weights() {
    let env = Env::new();
    let poll = setup(
        &env,
        Rule::Weighted {
            weights: vec![1, 5],
        },
        2,
        4,
        false,
    );
    open(&env);
    // Voters alternate classes: 0 (weight 1), 1 (weight 5), 0, 1.
    for (i, sel) in [[true, false], [true, false], [false, true], [false, true]]
        .iter()
        .enumerate()
    {
        let b = poll.ballot(i, sel, 10 + i as u64);
        env.vote(&one_time(), &VoteCall::Cast(b)).unwrap();
    }
    // A class-0 voter claiming weight 5 on one choice.
    let b = crafted(&poll, 0, &[5, 0], &[0, 5], Some(AllowedTotal::Exactly(5)));
    let err = env.vote(&one_time(), &VoteCall::Cast(b)).unwrap_err();
    assert!(err.contains("out of range"), "{err}");
    close(&env);
    poll.decrypt(&env, 0).unwrap();
    poll.decrypt(&env, 1).unwrap();
    assert_eq!(poll.state(&env).result.unwrap().counts, vec![6, 6]);
    assert!(audit(&record(&env, &poll), 2).passed());
}

#[test]
fn ballots_outside_the_window_are_rejected() {
    let env = Env::new();
    let poll = setup(&env, Rule::Single, 2, 2, false);
    let b = poll.ballot(0, &[true, false], 1);
    env.now.set(START - 1);
    let err = env
        .vote(&one_time(), &VoteCall::Cast(b.clone()))
        .unwrap_err();
    assert!(err.contains("has not opened"), "{err}");
    // Decryption is not possible during the window either.
    open(&env);
    let err = poll.decrypt(&env, 0).unwrap_err();
    assert!(err.contains("after the voting window"), "{err}");
    close(&env);
    let err = env.vote(&one_time(), &VoteCall::Cast(b)).unwrap_err();
    assert!(err.contains("has closed"), "{err}");
    // Setup is closed once the window has started.
    let err = env
        .vote(
            &organiser(),
            &VoteCall::AddLeaves {
                poll: poll.id,
                class: 0,
                leaves: vec![[0; 32]],
            },
        )
        .unwrap_err();
    assert!(err.contains("setup is closed"), "{err}");
}

#[test]
fn decryption_shares_with_a_wrong_proof_are_rejected() {
    let env = Env::new();
    let poll = setup(&env, Rule::Single, 2, 2, false);
    open(&env);
    let b = poll.ballot(0, &[true, false], 1);
    env.vote(&one_time(), &VoteCall::Cast(b)).unwrap();
    close(&env);
    let aggregate = poll.aggregate(&env);
    let ctx = counter::tally_context(&poll.id);
    let share = |c: usize, ct: &Ciphertext, ctx: &[u8]| {
        Bytes(
            poll.shares[c]
                .decryption_share(&Context::new(ctx), ct)
                .to_bytes(),
        )
    };
    // Choice 0's share computed for choice 1's ciphertext.
    let swapped = vec![share(0, &aggregate[1], &ctx), share(0, &aggregate[1], &ctx)];
    let err = env
        .vote(
            &poll.counters[0],
            &VoteCall::Decrypt {
                poll: poll.id,
                shares: swapped,
            },
        )
        .unwrap_err();
    assert!(err.contains("invalid proof"), "{err}");
    // A share under another context (not bound to this poll's tally).
    let foreign: Vec<Bytes> = aggregate.iter().map(|ct| share(0, ct, b"other")).collect();
    let err = env
        .vote(
            &poll.counters[0],
            &VoteCall::Decrypt {
                poll: poll.id,
                shares: foreign,
            },
        )
        .unwrap_err();
    assert!(err.contains("invalid proof"), "{err}");
    // Counter 1's valid shares posted by counter 2.
    let stolen: Vec<Bytes> = aggregate.iter().map(|ct| share(0, ct, &ctx)).collect();
    let err = env
        .vote(
            &poll.counters[1],
            &VoteCall::Decrypt {
                poll: poll.id,
                shares: stolen,
            },
        )
        .unwrap_err();
    assert!(err.contains("the signer is counter 2"), "{err}");
    // Someone who is not a counter.
    let err = env
        .vote(
            &one_time(),
            &VoteCall::Decrypt {
                poll: poll.id,
                shares: vec![],
            },
        )
        .unwrap_err();
    assert!(err.contains("not a counter"), "{err}");
    assert!(poll.state(&env).decrypted_by.is_empty());
    // Honest shares still go through.
    poll.decrypt(&env, 0).unwrap();
    poll.decrypt(&env, 1).unwrap();
    assert_eq!(poll.state(&env).result.unwrap().counts, vec![1, 0]);
}

#[test]
fn a_counter_cannot_choose_the_joint_key() {
    let env = Env::new();
    let counters = counter_keys(3);
    let spec = spec(Rule::Single, 2, &counters, 2, false);
    let org = organiser();
    env.vote(&org, &VoteCall::CreatePoll(spec.clone())).unwrap();
    let id = PollId::derive(&org.address(), 0, &spec);
    let mut c1 = Vec::new();
    for (i, kp) in counters.iter().take(2).enumerate() {
        let (_, _, post) =
            counter::start_with_rng(&id, &spec, i as u32 + 1, &mut rng(i as u64)).unwrap();
        c1.push(
            weft_zk::dkg::Round1Broadcast::from_bytes(&post.broadcast.0)
                .unwrap()
                .commitments()[0],
        );
        env.vote(kp, &VoteCall::DkgBroadcast { poll: id, post })
            .unwrap();
    }
    // Counter 3 wants the joint key to be `target`, whose secret it knows: it publishes
    // C_30 = target - C_10 - C_20, but cannot prove possession of its discrete log. It
    // reuses the proof of its honest broadcast.
    let target = SecretKey::random_with_rng(&mut rng(9)).public_key();
    let (_, _, mut post) = counter::start_with_rng(&id, &spec, 3, &mut rng(3)).unwrap();
    let rogue = target.as_point() - c1[0] - c1[1];
    let mut bytes = post.broadcast.0.clone();
    bytes[10..42].copy_from_slice(rogue.compress().as_bytes());
    post.broadcast = Bytes(bytes);
    let err = env
        .vote(&counters[2], &VoteCall::DkgBroadcast { poll: id, post })
        .unwrap_err();
    assert!(err.contains("proof of possession"), "{err}");

    // Replaying counter 1's broadcast as counter 3's is refused too (the index is bound).
    let record: DkgRecord = env.query(&VoteQuery::Dkg(id));
    let replay = record.broadcasts[0].1.clone();
    let err = env
        .vote(
            &counters[2],
            &VoteCall::DkgBroadcast {
                poll: id,
                post: replay,
            },
        )
        .unwrap_err();
    assert!(err.contains("index 1"), "{err}");
    // A counter cannot broadcast twice, and outsiders cannot broadcast.
    let (_, _, post) = counter::start_with_rng(&id, &spec, 1, &mut rng(11)).unwrap();
    let err = env
        .vote(
            &counters[0],
            &VoteCall::DkgBroadcast {
                poll: id,
                post: post.clone(),
            },
        )
        .unwrap_err();
    assert!(err.contains("already broadcast"), "{err}");
    let err = env
        .vote(&one_time(), &VoteCall::DkgBroadcast { poll: id, post })
        .unwrap_err();
    assert!(err.contains("not a counter"), "{err}");
}

#[test]
fn a_bad_dealer_is_answered_or_disqualified_in_public() {
    let env = Env::new();
    let counters = counter_keys(3);
    let spec = spec(Rule::Single, 2, &counters, 2, false);
    let org = organiser();
    env.vote(&org, &VoteCall::CreatePoll(spec.clone())).unwrap();
    let id = PollId::derive(&org.address(), 0, &spec);
    let mut round1 = Vec::new();
    for (i, kp) in counters.iter().enumerate() {
        let (r1, sk, post) =
            counter::start_with_rng(&id, &spec, i as u32 + 1, &mut rng(40 + i as u64)).unwrap();
        env.vote(kp, &VoteCall::DkgBroadcast { poll: id, post })
            .unwrap();
        round1.push((r1, sk));
    }
    let record: DkgRecord = env.query(&VoteQuery::Dkg(id));
    let mut round2 = Vec::new();
    for (i, ((r1, sk), kp)) in round1.into_iter().zip(&counters).enumerate() {
        let (r2, mut shares) =
            counter::deal_with_rng(&id, r1, &record, &mut rng(60 + i as u64)).unwrap();
        if i == 0 {
            // Dealer 1 corrupts its share to counter 2.
            shares.iter_mut().find(|s| s.to == 2).unwrap().sealed[20] ^= 1;
        }
        env.vote(kp, &VoteCall::DkgShares { poll: id, shares })
            .unwrap();
        round2.push((r2, sk));
    }
    let record: DkgRecord = env.query(&VoteQuery::Dkg(id));
    let mut round3 = Vec::new();
    for (i, ((r2, sk), kp)) in round2.into_iter().zip(&counters).enumerate() {
        let (r3, accused) = counter::receive(&id, i as u32 + 1, r2, &sk, &record).unwrap();
        assert_eq!(accused, if i == 1 { vec![1] } else { vec![] });
        env.vote(kp, &VoteCall::DkgComplaints { poll: id, accused })
            .unwrap();
        round3.push(r3);
    }
    // The organiser cannot finalise while the complaint is unanswered.
    let err = env
        .vote(&org, &VoteCall::FinalizeKey { poll: id })
        .unwrap_err();
    assert!(err.contains("has not answered"), "{err}");
    let record: DkgRecord = env.query(&VoteQuery::Dkg(id));
    let responses = counter::respond(&round3[0], &record);
    assert_eq!(responses.len(), 1);
    env.vote(
        &counters[0],
        &VoteCall::DkgResponses {
            poll: id,
            responses,
        },
    )
    .unwrap();
    // Only the organiser finalises.
    let err = env
        .vote(&counters[0], &VoteCall::FinalizeKey { poll: id })
        .unwrap_err();
    assert!(err.contains("organiser"), "{err}");
    env.vote(&org, &VoteCall::FinalizeKey { poll: id }).unwrap();
    let record: DkgRecord = env.query(&VoteQuery::Dkg(id));
    let outs: Vec<_> = round3
        .into_iter()
        .map(|r3| counter::finish(r3, &record).unwrap())
        .collect();
    // The revealed share rescued dealer 1: everyone qualified, everyone agrees on the key.
    assert_eq!(outs[0].group.qualified(), &[1, 2, 3]);
    assert!(outs.iter().all(|o| o.group == outs[0].group));
    let group = counter::group_key_from_record(&id, &spec, &record).unwrap();
    assert_eq!(group, outs[0].group);
}

#[test]
fn only_organisers_create_polls_and_specs_are_checked() {
    let env = Env::new();
    let counters = counter_keys(3);
    let good = spec(Rule::Single, 2, &counters, 2, false);
    let err = env
        .vote(&one_time(), &VoteCall::CreatePoll(good.clone()))
        .unwrap_err();
    assert!(err.contains("vote.organiser"), "{err}");
    let org = organiser();
    let mut bad = good.clone();
    bad.threshold = 4;
    let err = env.vote(&org, &VoteCall::CreatePoll(bad)).unwrap_err();
    assert!(err.contains("threshold"), "{err}");
    let mut bad = good.clone();
    bad.rule = Rule::KOfN { min: 2, max: 3 };
    let err = env.vote(&org, &VoteCall::CreatePoll(bad)).unwrap_err();
    assert!(err.contains("k-of-n"), "{err}");
    let mut bad = good.clone();
    bad.verifying_key = vec![1, 2, 3];
    let err = env.vote(&org, &VoteCall::CreatePoll(bad)).unwrap_err();
    assert!(err.contains("verifying key"), "{err}");
    let mut bad = good.clone();
    bad.counters.push(bad.counters[0].clone());
    let err = env.vote(&org, &VoteCall::CreatePoll(bad)).unwrap_err();
    assert!(err.contains("distinct"), "{err}");
    env.vote(&org, &VoteCall::CreatePoll(good.clone())).unwrap();
    env.now.set(START);
    let err = env.vote(&org, &VoteCall::CreatePoll(good)).unwrap_err();
    assert!(err.contains("must start after"), "{err}");
    // Garbage call bytes: a clear error.
    let err = env
        .tx(
            &org,
            weft_chain::Call {
                module: NAME.into(),
                method: "cast".into(),
                args: vec![9, 9, 9],
            },
        )
        .unwrap_err();
    assert!(err.contains("undecodable call"), "{err}");
}

#[test]
fn ballot_hash_covers_everything_but_the_membership_proof() {
    let b = Ballot {
        poll: PollId([1; 32]),
        class: 0,
        nullifier: [2; 32],
        ciphertexts: vec![Bytes(vec![3])],
        choice_proofs: vec![Bytes(vec![4])],
        total_proof: None,
        membership_proof: Bytes(vec![5]),
    };
    let h = b.hash();
    let mut c = b.clone();
    c.membership_proof = Bytes(vec![6]);
    assert_eq!(c.hash(), h);
    for edit in [
        |b: &mut Ballot| b.class = 1,
        |b: &mut Ballot| b.nullifier[0] = 0,
        |b: &mut Ballot| b.ciphertexts[0].0[0] = 0,
        |b: &mut Ballot| b.choice_proofs[0].0[0] = 0,
        |b: &mut Ballot| b.total_proof = Some(Bytes(vec![])),
        |b: &mut Ballot| b.poll = PollId([0; 32]),
    ] {
        let mut d = b.clone();
        edit(&mut d);
        assert_ne!(d.hash(), h);
    }
    assert_eq!(PollId::from_hex(&b.poll.to_hex()), Some(b.poll));
    let _: Address = Address([0; 20]);
}

#[test]
fn counters_are_dids_and_only_their_keys_may_act() {
    let env = Env::new();
    let counters = counter_keys(3);
    let org = organiser();

    // A counter DID that is not registered, or of another chain, or not a DID: refused.
    let stranger = Keypair::from_seed(&[77; 32]);
    let mut bad = spec(Rule::Single, 2, &counters, 2, false);
    bad.counters[2] = counter_did(&stranger);
    let err = env.vote(&org, &VoteCall::CreatePoll(bad)).unwrap_err();
    assert!(err.contains("not registered"), "{err}");
    let mut bad = spec(Rule::Single, 2, &counters, 2, false);
    bad.counters[2] = Did::weft("other-chain", counters[2].address()).to_string();
    let err = env.vote(&org, &VoteCall::CreatePoll(bad)).unwrap_err();
    assert!(err.contains("not a DID of this chain"), "{err}");
    let mut bad = spec(Rule::Single, 2, &counters, 2, false);
    bad.counters[2] = counters[2].address().to_string();
    assert!(env.vote(&org, &VoteCall::CreatePoll(bad)).is_err());

    let spec = spec(Rule::Single, 2, &counters, 2, false);
    env.vote(&org, &VoteCall::CreatePoll(spec.clone())).unwrap();
    let id = PollId::derive(&org.address(), 0, &spec);

    // A key that is not in counter 1's DID document cannot post as counter 1.
    let (_, _, post) = counter::start_with_rng(&id, &spec, 1, &mut rng(1)).unwrap();
    let err = env
        .vote(
            &stranger,
            &VoteCall::DkgBroadcast {
                poll: id,
                post: post.clone(),
            },
        )
        .unwrap_err();
    assert!(err.contains("not a counter"), "{err}");
    // A key only for assertionMethod (signing credentials) is not enough either.
    let assertion_only = Keypair::from_seed(&[78; 32]);
    env.did(
        &counters[0],
        DidCall::Update {
            did: counters[0].address(),
            ops: vec![UpdateOp::AddKey {
                public_key: assertion_only.public_key(),
                relationships: Relationships(Relationships::ASSERTION_METHOD),
            }],
        },
    )
    .unwrap();
    let err = env
        .vote(
            &assertion_only,
            &VoteCall::DkgBroadcast {
                poll: id,
                post: post.clone(),
            },
        )
        .unwrap_err();
    assert!(err.contains("not a counter"), "{err}");

    // Once counter 1's DID adds an authentication key, that key acts as counter 1.
    let new_key = Keypair::from_seed(&[79; 32]);
    env.did(
        &counters[0],
        DidCall::Update {
            did: counters[0].address(),
            ops: vec![UpdateOp::AddKey {
                public_key: new_key.public_key(),
                relationships: Relationships(Relationships::AUTHENTICATION),
            }],
        },
    )
    .unwrap();
    env.vote(&new_key, &VoteCall::DkgBroadcast { poll: id, post })
        .unwrap();
    let record: DkgRecord = env.query(&VoteQuery::Dkg(id));
    assert_eq!(record.broadcasts.len(), 1);
    assert_eq!(record.broadcasts[0].0, 1);

    // A deactivated counter DID no longer signs anything.
    env.did(
        &counters[1],
        DidCall::Deactivate {
            did: counters[1].address(),
        },
    )
    .unwrap();
    let (_, _, post) = counter::start_with_rng(&id, &spec, 2, &mut rng(2)).unwrap();
    let err = env
        .vote(&counters[1], &VoteCall::DkgBroadcast { poll: id, post })
        .unwrap_err();
    assert!(err.contains("not a counter"), "{err}");
}
