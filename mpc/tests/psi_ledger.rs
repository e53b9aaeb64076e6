//! The `psi` on-chain module on a real single-validator node: lifecycle, authorisation against
//! the transaction signer, and signature checks on the result digest.

use std::sync::Arc;

use weft_chain::{
    Call, Genesis, Keypair, ModuleRegistry, Node, NodeConfig, ReceiptStatus, SignedTransaction,
    Transaction,
};
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
            .fold(ModuleRegistry::with_defaults(), |r, m| r.with(m));
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
        (r.status, r.error.clone())
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
