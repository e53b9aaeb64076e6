//! The `psi` on-chain module on a real single-validator node: lifecycle, authorisation against
//! the transaction signer, `did:key` and `did:weft` parties checked against the DID registry,
//! and signature checks on the result digest.

use std::sync::Arc;

use weft_chain::{
    Address, Call, Genesis, Keypair, ModuleRegistry, Node, NodeConfig, ReceiptStatus,
    SignedTransaction, Transaction,
};
use weft_did::registry::{DidCall, DidRegistry};
use weft_did::{Did, Relationships, UpdateOp};
use weft_mpc::psi::ledger::{
    self, result_signing_bytes, session_query, size_commitment, Protocol, PsiCall, SessionRecord,
    SessionStatus,
};
use weft_mpc::psi::wire::did_key;
use weft_mpc::psi::Mode;

const CHAIN: &str = "weft-psi-test";

struct Env {
    _dir: tempfile::TempDir,
    validator: Keypair,
    node: Arc<Node>,
    nonces: std::collections::HashMap<[u8; 32], u64>,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let validator = Keypair::from_seed(&[200; 32]);
        let genesis = Genesis::single_validator(CHAIN, &validator, vec![validator.address()]);
        let modules = weft_mpc::modules()
            .into_iter()
            .fold(ModuleRegistry::with_defaults(), |r, m| r.with(m))
            .with(Arc::new(DidRegistry));
        let config = NodeConfig {
            data_dir: dir.path().to_path_buf(),
            ..NodeConfig::default()
        };
        let node = Node::open(config, genesis, modules).unwrap();
        Env {
            _dir: dir,
            validator,
            node,
            nonces: Default::default(),
        }
    }

    /// Submits one call signed by `kp`, commits a block, returns (status, error).
    fn exec(&mut self, kp: &Keypair, call: Call) -> (ReceiptStatus, Option<String>) {
        let nonce = self.nonces.entry(kp.public_key().0).or_default();
        let tx: SignedTransaction = Transaction {
            chain_id: CHAIN.into(),
            sender: kp.public_key(),
            nonce: *nonce,
            call,
        }
        .sign(kp);
        *nonce += 1;
        self.node.submit(tx).unwrap();
        let block = self
            .node
            .produce_block(&self.validator, 1_000, true)
            .unwrap()
            .unwrap();
        let r = block.receipts.last().unwrap();
        (r.status, r.error.clone().map(|e| e.message))
    }

    fn ok(&mut self, kp: &Keypair, c: PsiCall) {
        let (status, err) = self.exec(kp, ledger::call(c));
        assert_eq!(status, ReceiptStatus::Success, "{err:?}");
    }

    fn fails(&mut self, kp: &Keypair, c: PsiCall, needle: &str) {
        let (status, err) = self.exec(kp, ledger::call(c));
        assert_eq!(status, ReceiptStatus::Failed);
        let err = err.unwrap_or_default();
        assert!(err.contains(needle), "{err:?} does not contain {needle:?}");
    }

    fn did(&mut self, kp: &Keypair, c: DidCall) {
        let (status, err) = self.exec(kp, c.call());
        assert_eq!(status, ReceiptStatus::Success, "{err:?}");
    }

    /// Registers a `did:weft` whose first key is `kp`'s; returns it.
    fn register(&mut self, kp: &Keypair) -> String {
        self.did(
            kp,
            DidCall::Create {
                public_key: kp.public_key(),
                services: vec![],
            },
        );
        weft_did_of(kp.address())
    }

    fn session(&self, id: &[u8; 32]) -> Option<SessionRecord> {
        let (m, a) = session_query(id);
        borsh::from_slice(&self.node.call(ledger::NAME, m, &a, None).unwrap()).unwrap()
    }
}

fn create(sid: [u8; 32], bank: &Keypair, insurer: &Keypair) -> PsiCall {
    PsiCall::Create {
        session_id: sid,
        initiator_did: did_key(&bank.public_key()),
        initiator_key: bank.public_key(),
        responder_did: did_key(&insurer.public_key()),
        responder: insurer.address(),
        protocol: Protocol::EcdhRistretto255,
        mode: Mode::BothSides,
        size_commitment: size_commitment(&sid, 100_000, &[1; 32]),
    }
}

#[test]
fn session_lifecycle_is_authorised_by_the_signer() {
    let mut env = Env::new();
    let bank = Keypair::from_seed(&[1; 32]);
    let insurer = Keypair::from_seed(&[2; 32]);
    let mallory = Keypair::from_seed(&[3; 32]);
    let sid = [0x42; 32];

    // Creating in someone else's name (key of the bank, signed by mallory) is refused.
    env.fails(&mallory, create(sid, &bank, &insurer), "unauthorized");
    // A did:key that names another key is refused.
    let mut c = create(sid, &bank, &insurer);
    if let PsiCall::Create { initiator_did, .. } = &mut c {
        *initiator_did = did_key(&mallory.public_key());
    }
    env.fails(&bank, c, "did:key");
    env.ok(&bank, create(sid, &bank, &insurer));
    env.fails(&bank, create(sid, &bank, &insurer), "already exists");
    let rec = env.session(&sid).unwrap();
    assert_eq!(rec.status, SessionStatus::Created);
    assert_eq!(rec.initiator, bank.address());
    assert_eq!(rec.responder, insurer.address());

    // Only the named responder joins, with its own key.
    let join = |kp: &Keypair| PsiCall::Join {
        session_id: sid,
        responder_key: kp.public_key(),
        size_commitment: size_commitment(&sid, 80_000, &[2; 32]),
    };
    env.fails(&mallory, join(&mallory), "unauthorized");
    env.fails(&insurer, join(&mallory), "unauthorized");
    env.ok(&insurer, join(&insurer));
    assert_eq!(env.session(&sid).unwrap().status, SessionStatus::Joined);

    // Completion needs both parties' signatures over the digest.
    let digest = [0xd1; 32];
    let msg = result_signing_bytes(&sid, &digest);
    let complete = |a: &Keypair, b: &Keypair| PsiCall::Complete {
        session_id: sid,
        result_digest: digest,
        initiator_signature: a.sign(&msg),
        responder_signature: b.sign(&msg),
    };
    env.fails(&bank, complete(&bank, &mallory), "signed by both");
    env.fails(&bank, complete(&insurer, &bank), "signed by both");
    env.fails(&mallory, complete(&bank, &insurer), "unauthorized");
    // A signature over another digest does not count.
    let mut c = complete(&bank, &insurer);
    if let PsiCall::Complete { result_digest, .. } = &mut c {
        *result_digest = [0xd2; 32];
    }
    env.fails(&insurer, c, "signed by both");
    env.ok(&insurer, complete(&bank, &insurer));
    let rec = env.session(&sid).unwrap();
    assert_eq!(rec.status, SessionStatus::Completed);
    assert_eq!(rec.result_digest, Some(digest));
    assert_eq!(
        rec.responder_commitment,
        Some(size_commitment(&sid, 80_000, &[2; 32]))
    );
    // Final: no failure after completion.
    let fail = PsiCall::Fail {
        session_id: sid,
        reason: "peer timed out".into(),
    };
    env.fails(&bank, fail, "Completed");
}

#[test]
fn either_party_records_a_failure_others_cannot() {
    let mut env = Env::new();
    let bank = Keypair::from_seed(&[1; 32]);
    let insurer = Keypair::from_seed(&[2; 32]);
    let mallory = Keypair::from_seed(&[3; 32]);
    let sid = [0x43; 32];
    env.ok(&bank, create(sid, &bank, &insurer));
    let fail = |reason: &str| PsiCall::Fail {
        session_id: sid,
        reason: reason.into(),
    };
    env.fails(&mallory, fail("x"), "unauthorized");
    env.fails(&insurer, fail(""), "reason");
    env.ok(
        &insurer,
        fail("initiator stopped answering: timeout after 30 s"),
    );
    let rec = env.session(&sid).unwrap();
    assert_eq!(rec.status, SessionStatus::Failed);
    assert_eq!(rec.failure.unwrap().0, insurer.address());
    // No join after failure; unknown sessions are reported as such.
    env.fails(
        &insurer,
        PsiCall::Join {
            session_id: sid,
            responder_key: insurer.public_key(),
            size_commitment: [0; 32],
        },
        "Failed",
    );
    env.fails(
        &bank,
        PsiCall::Fail {
            session_id: [9; 32],
            reason: "x".into(),
        },
        "not found",
    );
    // Mismatched method name and arguments are refused.
    let mut c = ledger::call(fail("y"));
    c.method = "join".into();
    let (status, _) = env.exec(&bank, c);
    assert_eq!(status, ReceiptStatus::Failed);
    assert!(env.session(&[7; 32]).is_none());
}

fn weft_did_of(address: Address) -> String {
    Did::weft(CHAIN, address).to_string()
}

fn create_weft(
    sid: [u8; 32],
    signer: &Keypair,
    initiator_did: &str,
    responder_did: &str,
    responder: Address,
) -> PsiCall {
    PsiCall::Create {
        session_id: sid,
        initiator_did: initiator_did.into(),
        initiator_key: signer.public_key(),
        responder_did: responder_did.into(),
        responder,
        protocol: Protocol::UnbalancedOprf,
        mode: Mode::OneSide,
        size_commitment: size_commitment(&sid, 10, &[1; 32]),
    }
}

fn join(sid: [u8; 32], kp: &Keypair) -> PsiCall {
    PsiCall::Join {
        session_id: sid,
        responder_key: kp.public_key(),
        size_commitment: size_commitment(&sid, 1_000, &[2; 32]),
    }
}

#[test]
fn did_weft_initiator_is_checked_against_the_registry() {
    let mut env = Env::new();
    let bank = Keypair::from_seed(&[1; 32]);
    let insurer = Keypair::from_seed(&[2; 32]);
    let mallory = Keypair::from_seed(&[3; 32]);
    let insurer_did = env.register(&insurer);
    let bank_did = weft_did_of(bank.address());

    // Unregistered.
    env.fails(
        &bank,
        create_weft([1; 32], &bank, &bank_did, &insurer_did, insurer.address()),
        "initiator DID did:weft:weft-psi-test:",
    );
    let (_, err) = env.exec(
        &bank,
        ledger::call(create_weft(
            [1; 32],
            &bank,
            &bank_did,
            &insurer_did,
            insurer.address(),
        )),
    );
    assert!(err.unwrap().contains("is not registered on chain"));
    // Another chain's DID.
    let foreign = Did::weft("other-chain", bank.address()).to_string();
    env.fails(
        &bank,
        create_weft([1; 32], &bank, &foreign, &insurer_did, insurer.address()),
        "not a DID of this chain",
    );
    // Another method.
    env.fails(
        &bank,
        create_weft(
            [1; 32],
            &bank,
            "did:web:bank.example",
            &insurer_did,
            insurer.address(),
        ),
        "initiator DID",
    );
    assert_eq!(env.register(&bank), bank_did);

    // Another party's DID: mallory claims the bank's DID, or the insurer's.
    env.fails(
        &mallory,
        create_weft(
            [1; 32],
            &mallory,
            &bank_did,
            &insurer_did,
            insurer.address(),
        ),
        "is not an authentication or capabilityInvocation key",
    );
    // A key of the DID only for assertionMethod is not enough.
    let assertion_only = Keypair::from_seed(&[4; 32]);
    env.did(
        &bank,
        DidCall::Update {
            did: bank.address(),
            ops: vec![UpdateOp::AddKey {
                public_key: assertion_only.public_key(),
                relationships: Relationships(Relationships::ASSERTION_METHOD),
            }],
        },
    );
    env.fails(
        &assertion_only,
        create_weft(
            [1; 32],
            &assertion_only,
            &bank_did,
            &insurer_did,
            insurer.address(),
        ),
        "unauthorized",
    );
    // A capabilityInvocation key of the DID speaks for it, as does the original key.
    let invoker = Keypair::from_seed(&[5; 32]);
    env.did(
        &bank,
        DidCall::Update {
            did: bank.address(),
            ops: vec![UpdateOp::AddKey {
                public_key: invoker.public_key(),
                relationships: Relationships(Relationships::CAPABILITY_INVOCATION),
            }],
        },
    );
    env.ok(
        &invoker,
        create_weft(
            [1; 32],
            &invoker,
            &bank_did,
            &insurer_did,
            insurer.address(),
        ),
    );
    env.ok(
        &bank,
        create_weft([2; 32], &bank, &bank_did, &insurer_did, insurer.address()),
    );
    let rec = env.session(&[2; 32]).unwrap();
    assert_eq!(rec.initiator_did, bank_did);
    assert_eq!(rec.protocol, Protocol::UnbalancedOprf);

    // Deactivated: no new session in its name.
    env.did(
        &bank,
        DidCall::Deactivate {
            did: bank.address(),
        },
    );
    env.fails(
        &bank,
        create_weft([3; 32], &bank, &bank_did, &insurer_did, insurer.address()),
        "is deactivated",
    );
}

#[test]
fn did_weft_responder_is_checked_on_create_and_join() {
    let mut env = Env::new();
    let bank = Keypair::from_seed(&[1; 32]);
    let insurer = Keypair::from_seed(&[2; 32]);
    let mallory = Keypair::from_seed(&[3; 32]);
    let bank_did = env.register(&bank);
    let insurer_did = weft_did_of(insurer.address());

    // The responder's DID must exist when the session is created.
    env.fails(
        &bank,
        create_weft([1; 32], &bank, &bank_did, &insurer_did, insurer.address()),
        "responder DID did:weft:weft-psi-test:",
    );
    env.register(&insurer);
    let mallory_did = env.register(&mallory);

    // Named account whose key is not in the responder's DID: the join is refused.
    env.ok(
        &bank,
        create_weft([1; 32], &bank, &bank_did, &insurer_did, mallory.address()),
    );
    env.fails(
        &mallory,
        join([1; 32], &mallory),
        "is not an authentication or capabilityInvocation key",
    );
    assert_eq!(
        env.session(&[1; 32]).unwrap().status,
        SessionStatus::Created
    );

    // Accepted: the insurer joins with its DID's key.
    env.ok(
        &bank,
        create_weft([2; 32], &bank, &bank_did, &insurer_did, insurer.address()),
    );
    env.ok(&insurer, join([2; 32], &insurer));
    let rec = env.session(&[2; 32]).unwrap();
    assert_eq!(rec.status, SessionStatus::Joined);
    assert_eq!(rec.responder_key, Some(insurer.public_key()));

    // A responder DID deactivated between create and join cannot join.
    env.ok(
        &bank,
        create_weft([3; 32], &bank, &bank_did, &mallory_did, mallory.address()),
    );
    env.did(
        &mallory,
        DidCall::Deactivate {
            did: mallory.address(),
        },
    );
    env.fails(&mallory, join([3; 32], &mallory), "is deactivated");
    // ... nor be named in a new session.
    env.fails(
        &bank,
        create_weft([4; 32], &bank, &bank_did, &mallory_did, mallory.address()),
        "is deactivated",
    );
}

#[test]
fn did_key_responder_must_name_the_responder_account() {
    let mut env = Env::new();
    let bank = Keypair::from_seed(&[1; 32]);
    let insurer = Keypair::from_seed(&[2; 32]);
    let mallory = Keypair::from_seed(&[3; 32]);
    let mut c = create([5; 32], &bank, &insurer);
    if let PsiCall::Create { responder, .. } = &mut c {
        *responder = mallory.address();
    }
    env.fails(&bank, c, "does not name the responder's account");
    // Mixed: a did:key initiator with a did:weft responder is fine.
    let insurer_did = env.register(&insurer);
    env.ok(
        &bank,
        create_weft(
            [6; 32],
            &bank,
            &did_key(&bank.public_key()),
            &insurer_did,
            insurer.address(),
        ),
    );
    env.ok(&insurer, join([6; 32], &insurer));
}

#[test]
fn size_openings_verify_only_with_the_committed_size_and_blinding() {
    use weft_mpc::psi::ledger::verify_size_opening;
    let sid = [0x51; 32];
    let c = size_commitment(&sid, 80_000, &[7; 32]);
    assert!(verify_size_opening(&sid, &c, 80_000, &[7; 32]));
    assert!(!verify_size_opening(&sid, &c, 80_001, &[7; 32]));
    assert!(!verify_size_opening(&sid, &c, 80_000, &[8; 32]));
    assert!(!verify_size_opening(&[0x52; 32], &c, 80_000, &[7; 32]));
}

#[test]
fn oprf_query_digest_binds_the_whole_transcript() {
    use weft_mpc::psi::ledger::oprf_query_digest;
    let (sid, fid) = ([1; 32], [2; 32]);
    let d = oprf_query_digest(&sid, &fid, &[[3; 32], [4; 32]], &[[5; 32], [6; 32]]);
    assert_ne!(
        d,
        oprf_query_digest(&[9; 32], &fid, &[[3; 32], [4; 32]], &[[5; 32], [6; 32]])
    );
    assert_ne!(
        d,
        oprf_query_digest(&sid, &[9; 32], &[[3; 32], [4; 32]], &[[5; 32], [6; 32]])
    );
    assert_ne!(
        d,
        oprf_query_digest(&sid, &fid, &[[4; 32], [3; 32]], &[[5; 32], [6; 32]])
    );
    assert_ne!(
        d,
        oprf_query_digest(&sid, &fid, &[[3; 32], [4; 32], [5; 32]], &[[6; 32]])
    );
}
