//! Node behaviour through the public API.

use std::sync::Arc;
use std::time::Duration;

use weft_chain::governance::{self, Action, GovernanceCall, GovernanceQuery};
use weft_chain::{
    verify_state_proof, Address, Call, ChainError, Genesis, Keypair, Module, ModuleError,
    ModuleRegistry, Node, NodeConfig, PoolConfig, ProofError, ReadContext, ReceiptStatus,
    SignedTransaction, SingleValidator, Transaction, TxContext, TxRejection, TxStatus,
};

const CHAIN: &str = "weft-test";

/// A test module that writes a key and then fails when asked to.
struct Scratch;

impl Module for Scratch {
    fn name(&self) -> &'static str {
        "scratch"
    }

    fn execute(
        &self,
        ctx: &mut TxContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<(), ModuleError> {
        ctx.set(b"k", args.to_vec());
        ctx.emit("wrote", vec![]);
        match method {
            "write" => Ok(()),
            "write_then_fail" => Err(ModuleError::Rejected("asked to fail".into())),
            "storage_fault" => Err(ModuleError::Storage("disk read failed".into())),
            other => Err(ModuleError::UnknownMethod(other.into())),
        }
    }

    fn query(
        &self,
        ctx: &ReadContext<'_>,
        _method: &str,
        _args: &[u8],
    ) -> Result<Vec<u8>, ModuleError> {
        Ok(ctx.get(b"k")?.unwrap_or_default())
    }
}

struct Env {
    dir: tempfile::TempDir,
    validator: Keypair,
    members: Vec<Keypair>,
    genesis: Genesis,
}

impl Env {
    fn new(committee_size: u8) -> Env {
        let validator = Keypair::from_seed(&[200; 32]);
        let members: Vec<Keypair> = (0..committee_size)
            .map(|i| Keypair::from_seed(&[i + 1; 32]))
            .collect();
        let mut genesis = Genesis::single_validator(
            CHAIN,
            &validator,
            members.iter().map(Keypair::address).collect(),
        );
        genesis.config.insert("fee".into(), "0".into());
        Env {
            dir: tempfile::tempdir().unwrap(),
            validator,
            members,
            genesis,
        }
    }

    fn config(&self) -> NodeConfig {
        NodeConfig {
            data_dir: self.dir.path().to_path_buf(),
            ..NodeConfig::default()
        }
    }

    fn open_with(&self, config: NodeConfig) -> Arc<Node> {
        let modules = ModuleRegistry::with_defaults().with(Arc::new(Scratch));
        Node::open(config, self.genesis.clone(), modules).unwrap()
    }

    fn open(&self) -> Arc<Node> {
        self.open_with(self.config())
    }

    fn block(&self, node: &Node) -> Arc<weft_chain::CommittedBlock> {
        node.produce_block(&self.validator, 1_000, true)
            .unwrap()
            .unwrap()
    }
}

fn signed(kp: &Keypair, nonce: u64, call: Call) -> SignedTransaction {
    Transaction {
        chain_id: CHAIN.into(),
        sender: kp.public_key(),
        nonce,
        call,
    }
    .sign(kp)
}

fn gov(kp: &Keypair, nonce: u64, c: GovernanceCall) -> SignedTransaction {
    signed(kp, nonce, governance::call(c))
}

fn committee(node: &Node) -> Vec<Address> {
    let (m, a) = governance::query_args(&GovernanceQuery::Committee);
    borsh::from_slice(&node.call(governance::NAME, m, &a, None).unwrap()).unwrap()
}

fn config_value(node: &Node, key: &str) -> Option<String> {
    let (m, a) = governance::query_args(&GovernanceQuery::Config { key: key.into() });
    borsh::from_slice(&node.call(governance::NAME, m, &a, None).unwrap()).unwrap()
}

#[test]
fn genesis_then_blocks_and_restart_keeps_height_and_root() {
    let env = Env::new(1);
    let node = env.open();
    assert_eq!(node.height(), 0);
    let g = node.block_by_number(0).unwrap().unwrap();
    assert_eq!(g.header.parent_hash, weft_chain::Hash::ZERO);
    assert_eq!(committee(&node), vec![env.members[0].address()]);
    assert_eq!(config_value(&node, "fee").as_deref(), Some("0"));

    let kp = &env.members[0];
    for n in 0..3 {
        node.submit(gov(kp, n, GovernanceCall::Noop)).unwrap();
    }
    let b1 = env.block(&node);
    assert_eq!(b1.block.transactions.len(), 3);
    assert!(b1
        .receipts
        .iter()
        .all(|r| r.status == ReceiptStatus::Success));
    assert_eq!(b1.block.header.parent_hash, g.header.hash());
    let vals: Vec<_> = node
        .validators(None)
        .unwrap()
        .iter()
        .map(|v| (v.public_key, v.power))
        .collect();
    assert!(b1.block.certificate.verify(&b1.block.header, &vals));
    assert!(node.verify_certificate(&b1.block).unwrap());
    assert!(node.verify_certificate(&g).unwrap());
    let mut forged = b1.block.clone();
    forged.header.state_root = weft_chain::Hash::ZERO;
    assert!(!node.verify_certificate(&forged).unwrap());
    // The same validator key certifying a block of another chain: not a block of ours.
    let mut foreign = b1.block.clone();
    foreign.header.chain_id = "other-chain".into();
    foreign.certificate = weft_chain::CommitCertificate::sign_single(
        "other-chain",
        &foreign.header,
        0,
        &env.validator,
    );
    assert!(foreign.certificate.verify(&foreign.header, &vals));
    assert!(!node.verify_certificate(&foreign).unwrap());
    env.block(&node); // empty heartbeat block
    let head = node.head();
    assert_eq!(head.height, 2);
    assert_eq!(node.next_nonce(&kp.address()).unwrap(), 3);
    let by_hash = node.block_by_hash(&b1.block.hash()).unwrap().unwrap();
    assert_eq!(by_hash, b1.block);
    drop(node);

    let node = env.open();
    assert_eq!(node.height(), 2);
    assert_eq!(node.head().state_root, head.state_root);
    assert_eq!(node.head(), head);
    let tx_hash = b1.block.transactions[1].hash();
    let rec = node.transaction(&tx_hash).unwrap().unwrap();
    assert_eq!(
        (rec.height, rec.index, rec.block_hash),
        (1, 1, b1.block.hash())
    );
    assert_eq!(node.receipt(&tx_hash).unwrap().unwrap(), b1.receipts[1]);
    assert_eq!(
        node.tx_status(&tx_hash).unwrap(),
        TxStatus::Committed { height: 1 }
    );
}

#[test]
fn reopening_with_another_genesis_is_refused() {
    let env = Env::new(1);
    drop(env.open());
    let mut other = env.genesis.clone();
    other.config.insert("x".into(), "y".into());
    let err = Node::open(
        env.config(),
        other,
        ModuleRegistry::with_defaults().with(Arc::new(Scratch)),
    )
    .unwrap_err();
    assert!(matches!(err, ChainError::GenesisMismatch { .. }), "{err}");
}

#[test]
fn every_pool_rejection_reason() {
    let env = Env::new(1);
    let node = env.open_with(NodeConfig {
        pool: PoolConfig {
            capacity: 6,
            max_nonce_gap: 2,
            per_sender_quota: 3,
            max_tx_bytes: 512,
            ..PoolConfig::default()
        },
        ..env.config()
    });
    let kp = &env.members[0];

    // Malformed / unsupported version, as seen by a server decoding raw bytes.
    let raw = gov(kp, 0, GovernanceCall::Noop).encode();
    let r: TxRejection = SignedTransaction::decode(&raw[..raw.len() - 1])
        .unwrap_err()
        .into();
    assert_eq!(r.code(), TxRejection::Malformed(String::new()).code());
    let mut v2 = raw.clone();
    v2[0] = 2;
    let r: TxRejection = SignedTransaction::decode(&v2).unwrap_err().into();
    assert_eq!(r, TxRejection::UnsupportedVersion(2));

    let mut tampered = gov(kp, 0, GovernanceCall::Noop);
    tampered.signature.0[10] ^= 0x40;
    assert_eq!(node.submit(tampered), Err(TxRejection::BadSignature));

    let mut wrong = Transaction {
        chain_id: "other-chain".into(),
        sender: kp.public_key(),
        nonce: 0,
        call: governance::call(GovernanceCall::Noop),
    };
    let r = node.submit(wrong.clone().sign(kp));
    assert_eq!(
        r,
        Err(TxRejection::WrongChainId {
            expected: CHAIN.into(),
            got: "other-chain".into()
        })
    );
    wrong.chain_id = CHAIN.into();
    wrong.call.module = "nope".into();
    assert_eq!(
        node.submit(wrong.sign(kp)),
        Err(TxRejection::UnknownModule("nope".into()))
    );

    let big = signed(
        kp,
        0,
        Call {
            module: "scratch".into(),
            method: "write".into(),
            args: vec![0; 600],
        },
    );
    assert!(matches!(
        node.submit(big),
        Err(TxRejection::Oversized { max: 512, .. })
    ));

    let t0 = gov(kp, 0, GovernanceCall::Noop);
    let h0 = node.submit(t0.clone()).unwrap();
    assert_eq!(h0, t0.hash());
    assert_eq!(node.tx_status(&h0).unwrap(), TxStatus::Pending);
    assert_eq!(node.submit(t0.clone()), Err(TxRejection::Duplicate));
    // Same nonce, different transaction while pooled.
    assert!(matches!(
        node.submit(gov(
            kp,
            0,
            GovernanceCall::SetConfig {
                key: "a".into(),
                value: "b".into()
            }
        )),
        Err(TxRejection::NonceAlreadyUsed { got: 0, .. })
    ));
    assert_eq!(
        node.submit(gov(kp, 4, GovernanceCall::Noop)),
        Err(TxRejection::NonceGapTooLarge {
            next: 1,
            got: 4,
            max_gap: 2
        })
    );
    node.submit(gov(kp, 1, GovernanceCall::Noop)).unwrap();
    node.submit(gov(kp, 3, GovernanceCall::Noop)).unwrap(); // gap of one, waits
    assert_eq!(
        node.submit(gov(kp, 2, GovernanceCall::Noop)),
        Err(TxRejection::SenderQuotaExceeded)
    );
    assert_eq!(node.next_nonce(&kp.address()).unwrap(), 2);

    // Fill the pool with other senders.
    for i in 0..3u8 {
        node.submit(gov(
            &Keypair::from_seed(&[50 + i; 32]),
            0,
            GovernanceCall::Noop,
        ))
        .unwrap();
    }
    assert_eq!(
        node.submit(gov(&Keypair::from_seed(&[99; 32]), 0, GovernanceCall::Noop)),
        Err(TxRejection::PoolFull { capacity: 6 })
    );

    // Replay of a committed nonce.
    let b = env.block(&node);
    assert_eq!(b.block.transactions.len(), 5);
    assert_eq!(
        node.tx_status(&h0).unwrap(),
        TxStatus::Committed { height: 1 }
    );
    assert_eq!(
        node.submit(t0),
        Err(TxRejection::NonceAlreadyUsed {
            expected_at_least: 2,
            got: 0
        })
    );
    assert_eq!(
        node.tx_status(&weft_chain::Hash::sha256(b"?")).unwrap(),
        TxStatus::Unknown
    );

    // Codes are distinct.
    let codes = [
        TxRejection::Malformed(String::new()).code(),
        TxRejection::UnsupportedVersion(0).code(),
        TxRejection::BadSignature.code(),
        TxRejection::Duplicate.code(),
        TxRejection::SenderQuotaExceeded.code(),
        TxRejection::PoolFull { capacity: 0 }.code(),
    ];
    let mut sorted = codes.to_vec();
    sorted.dedup();
    assert_eq!(sorted.len(), codes.len());
}

#[test]
fn failed_call_reverts_its_writes_but_advances_the_nonce() {
    let env = Env::new(1);
    let node = env.open();
    let kp = &env.members[0];
    let call = |m: &str, v: u8| Call {
        module: "scratch".into(),
        method: m.into(),
        args: vec![v],
    };
    node.submit(signed(kp, 0, call("write", 1))).unwrap();
    node.submit(signed(kp, 1, call("write_then_fail", 2)))
        .unwrap();
    let b = env.block(&node);
    assert_eq!(b.receipts[0].status, ReceiptStatus::Success);
    assert_eq!(b.receipts[0].events.len(), 1);
    assert_eq!(b.receipts[1].status, ReceiptStatus::Failed);
    assert_eq!(
        b.receipts[1].error.as_ref().map(|e| e.message.as_str()),
        Some("asked to fail")
    );
    assert!(b.receipts[1].events.is_empty());
    assert_eq!(node.call("scratch", "get", &[], None).unwrap(), vec![1]);
    assert_eq!(node.next_nonce(&kp.address()).unwrap(), 2);
}

#[test]
fn a_storage_fault_during_execution_aborts_the_block_instead_of_failing_the_tx() {
    let env = Env::new(1);
    let node = env.open();
    let kp = &env.members[0];
    let call = Call {
        module: "scratch".into(),
        method: "storage_fault".into(),
        args: vec![1],
    };
    let h = node.submit(signed(kp, 0, call)).unwrap();
    let err = node.produce_block(&env.validator, 1_000, true);
    assert!(matches!(err, Err(ChainError::Storage(_))), "{err:?}");
    // Nothing was committed: the transaction is still pending, its nonce unused.
    assert_eq!(node.height(), 0);
    assert_eq!(node.tx_status(&h).unwrap(), TxStatus::Pending);
    assert_eq!(node.next_nonce(&kp.address()).unwrap(), 1);
    assert!(node.receipt(&h).unwrap().is_none());
}

#[test]
fn blocks_are_bounded_in_bytes_and_big_transactions_still_get_in() {
    let env = Env::new(1);
    let node = env.open_with(NodeConfig {
        block: weft_chain::BlockConfig {
            max_block_bytes: 40_000,
            ..weft_chain::BlockConfig::default()
        },
        ..env.config()
    });
    let kp = &env.members[0];
    let big = |nonce: u64| {
        signed(
            kp,
            nonce,
            Call {
                module: "scratch".into(),
                method: "write".into(),
                args: vec![7; 15_000],
            },
        )
    };
    for n in 0..5 {
        node.submit(big(n)).unwrap();
    }
    let mut included = 0;
    while included < 5 {
        let b = env.block(&node);
        let bytes: usize = b.block.transactions.iter().map(|t| t.encode().len()).sum();
        assert!(bytes <= 40_000, "block of {bytes} bytes");
        assert!(!b.block.transactions.is_empty());
        included += b.block.transactions.len();
    }
    assert_eq!(node.height(), 3, "2 + 2 + 1 transactions");
}

#[test]
fn unauthorised_governance_call_fails_in_its_receipt() {
    let env = Env::new(1);
    let node = env.open();
    let outsider = Keypair::from_seed(&[77; 32]);
    node.submit(gov(
        &outsider,
        0,
        GovernanceCall::Propose {
            action: Action::AddMember(outsider.address()),
        },
    ))
    .unwrap();
    node.submit(gov(
        &outsider,
        1,
        GovernanceCall::SetConfig {
            key: "fee".into(),
            value: "9".into(),
        },
    ))
    .unwrap();
    let b = env.block(&node);
    for r in &b.receipts {
        assert_eq!(r.status, ReceiptStatus::Failed);
        assert!(
            r.error.as_ref().unwrap().kind == weft_chain::TxErrorKind::Unauthorized,
            "{:?}",
            r.error
        );
    }
    assert_eq!(committee(&node), vec![env.members[0].address()]);
    assert_eq!(config_value(&node, "fee").as_deref(), Some("0"));
}

#[test]
fn committee_vote_flow() {
    let env = Env::new(3);
    let node = env.open();
    let [a, b, c] = [&env.members[0], &env.members[1], &env.members[2]];
    let newcomer = Keypair::from_seed(&[42; 32]);

    // With one member, SetConfig passes at once; with three, it needs a second vote.
    node.submit(gov(
        a,
        0,
        GovernanceCall::Propose {
            action: Action::AddMember(newcomer.address()),
        },
    ))
    .unwrap();
    env.block(&node);
    assert_eq!(committee(&node).len(), 3, "1 of 3 is not a majority");
    // Idempotent repeat by the proposer changes nothing.
    node.submit(gov(
        a,
        1,
        GovernanceCall::Vote {
            proposal_id: 0,
            approve: true,
        },
    ))
    .unwrap();
    env.block(&node);
    assert_eq!(committee(&node).len(), 3);
    // An outsider's vote fails.
    node.submit(gov(
        &newcomer,
        0,
        GovernanceCall::Vote {
            proposal_id: 0,
            approve: true,
        },
    ))
    .unwrap();
    let blk = env.block(&node);
    assert_eq!(blk.receipts[0].status, ReceiptStatus::Failed);
    node.submit(gov(
        b,
        0,
        GovernanceCall::Vote {
            proposal_id: 0,
            approve: true,
        },
    ))
    .unwrap();
    let blk = env.block(&node);
    assert_eq!(
        blk.receipts[0].status,
        ReceiptStatus::Success,
        "{:?}",
        blk.receipts[0].error
    );
    assert!(committee(&node).contains(&newcomer.address()));
    // Voting on a closed proposal fails.
    node.submit(gov(
        c,
        0,
        GovernanceCall::Vote {
            proposal_id: 0,
            approve: false,
        },
    ))
    .unwrap();
    assert_eq!(env.block(&node).receipts[0].status, ReceiptStatus::Failed);

    // Grant a permission (4 members now: needs 3 approvals), then see it from a query.
    let perm = governance::permissions::AUTHORITY_ISSUER;
    node.submit(gov(
        a,
        2,
        GovernanceCall::Propose {
            action: Action::Grant {
                account: newcomer.address(),
                permission: perm.into(),
            },
        },
    ))
    .unwrap();
    node.submit(gov(
        b,
        1,
        GovernanceCall::Vote {
            proposal_id: 1,
            approve: true,
        },
    ))
    .unwrap();
    env.block(&node);
    let (m, q) = governance::query_args(&GovernanceQuery::HasPermission {
        account: newcomer.address(),
        permission: perm.into(),
    });
    let has = |node: &Node| -> bool {
        borsh::from_slice(&node.call(governance::NAME, m, &q, None).unwrap()).unwrap()
    };
    assert!(!has(&node), "2 of 4 is not a strict majority");
    node.submit(gov(
        c,
        1,
        GovernanceCall::Vote {
            proposal_id: 1,
            approve: true,
        },
    ))
    .unwrap();
    env.block(&node);
    assert!(has(&node));

    // Rejection: two of four reject, so a majority is impossible.
    node.submit(gov(
        a,
        3,
        GovernanceCall::Propose {
            action: Action::RemoveMember(b.address()),
        },
    ))
    .unwrap();
    node.submit(gov(
        b,
        2,
        GovernanceCall::Vote {
            proposal_id: 2,
            approve: false,
        },
    ))
    .unwrap();
    node.submit(gov(
        c,
        2,
        GovernanceCall::Vote {
            proposal_id: 2,
            approve: false,
        },
    ))
    .unwrap();
    env.block(&node);
    let (m2, q2) = governance::query_args(&GovernanceQuery::Proposal { id: 2 });
    let p: Option<governance::Proposal> =
        borsh::from_slice(&node.call(governance::NAME, m2, &q2, None).unwrap()).unwrap();
    assert_eq!(p.unwrap().status, governance::ProposalStatus::Rejected);
    assert_eq!(committee(&node).len(), 4);
}

#[test]
fn a_removed_member_cannot_vote_on_proposals_opened_before_its_removal() {
    let env = Env::new(3);
    let node = env.open();
    let [a, b, c] = [&env.members[0], &env.members[1], &env.members[2]];
    let outsider = Keypair::from_seed(&[43; 32]);
    let perm = governance::permissions::EVIDENCE_WRITER;
    // Proposal 0: a grant, open with a's approval only.
    node.submit(gov(
        a,
        0,
        GovernanceCall::Propose {
            action: Action::Grant {
                account: outsider.address(),
                permission: perm.into(),
            },
        },
    ))
    .unwrap();
    // Proposal 1: remove c, passed by a and b.
    node.submit(gov(
        a,
        1,
        GovernanceCall::Propose {
            action: Action::RemoveMember(c.address()),
        },
    ))
    .unwrap();
    node.submit(gov(
        b,
        0,
        GovernanceCall::Vote {
            proposal_id: 1,
            approve: true,
        },
    ))
    .unwrap();
    env.block(&node);
    assert!(!committee(&node).contains(&c.address()));
    // c, no longer a member, tries to supply the second approval of proposal 0.
    node.submit(gov(
        c,
        0,
        GovernanceCall::Vote {
            proposal_id: 0,
            approve: true,
        },
    ))
    .unwrap();
    let blk = env.block(&node);
    assert_eq!(blk.receipts[0].status, ReceiptStatus::Failed);
    assert!(
        blk.receipts[0]
            .error
            .as_ref()
            .is_some_and(|e| e.kind == weft_chain::TxErrorKind::Unauthorized),
        "{:?}",
        blk.receipts[0].error
    );
    let (m, q) = governance::query_args(&GovernanceQuery::HasPermission {
        account: outsider.address(),
        permission: perm.into(),
    });
    let granted: bool =
        borsh::from_slice(&node.call(governance::NAME, m, &q, None).unwrap()).unwrap();
    assert!(!granted);
    // A current member can still pass it.
    node.submit(gov(
        b,
        1,
        GovernanceCall::Vote {
            proposal_id: 0,
            approve: true,
        },
    ))
    .unwrap();
    assert_eq!(env.block(&node).receipts[0].status, ReceiptStatus::Success);
    let granted: bool =
        borsh::from_slice(&node.call(governance::NAME, m, &q, None).unwrap()).unwrap();
    assert!(granted);
}

#[test]
fn committee_is_never_emptied() {
    let env = Env::new(1);
    let node = env.open();
    let a = &env.members[0];
    node.submit(gov(
        a,
        0,
        GovernanceCall::Propose {
            action: Action::RemoveMember(a.address()),
        },
    ))
    .unwrap();
    let b = env.block(&node);
    assert_eq!(b.receipts[0].status, ReceiptStatus::Failed);
    assert_eq!(committee(&node), vec![a.address()]);
}

#[test]
fn a_state_proof_cannot_be_passed_off_under_another_namespace_split() {
    let env = Env::new(1);
    let node = env.open();
    let a = &env.members[0];
    // A config key with a NUL: its full state key is "governance\0config/x\0y".
    node.submit(gov(
        a,
        0,
        GovernanceCall::SetConfig {
            key: "x\0y".into(),
            value: "v".into(),
        },
    ))
    .unwrap();
    env.block(&node);
    let p = node
        .state_proof(governance::NAME, &governance::config_key("x\0y"), None)
        .unwrap();
    assert_eq!(p.value.as_deref(), Some(b"v".as_slice()));
    p.verify().unwrap();
    // The same bytes split differently: module "governance\0config/x", key "y".
    assert_eq!(
        verify_state_proof(
            &p.header,
            "governance\0config/x",
            b"y",
            Some(b"v"),
            &p.proof
        ),
        Err(ProofError::Malformed)
    );
    let mut forged = p.clone();
    forged.module = "governance\0config/x".into();
    forged.key = b"y".to_vec();
    assert_eq!(forged.verify(), Err(ProofError::Malformed));
}

#[test]
fn state_proofs_of_inclusion_and_absence() {
    let env = Env::new(1);
    let node = env.open();
    let a = &env.members[0];
    node.submit(gov(
        a,
        0,
        GovernanceCall::SetConfig {
            key: "fee".into(),
            value: "5".into(),
        },
    ))
    .unwrap();
    env.block(&node);

    let key = governance::config_key("fee");
    let p = node.state_proof(governance::NAME, &key, None).unwrap();
    assert_eq!(p.value.as_deref(), Some(b"5".as_slice()));
    p.verify().unwrap();
    // Round trip through JSON (what the RPC sends).
    let json = serde_json::to_string(&p).unwrap();
    let back: weft_chain::StateProof = serde_json::from_str(&json).unwrap();
    back.verify().unwrap();

    // Historical proof at genesis shows the old value.
    let old = node.state_proof(governance::NAME, &key, Some(0)).unwrap();
    assert_eq!(old.value.as_deref(), Some(b"0".as_slice()));
    old.verify().unwrap();

    // Absence.
    let absent = node
        .state_proof(governance::NAME, &governance::config_key("missing"), None)
        .unwrap();
    assert_eq!(absent.value, None);
    absent.verify().unwrap();

    // Tampering fails: value, absence claim, root, proof bytes, key, module.
    let mut t = p.clone();
    t.value = Some(b"6".to_vec());
    assert_eq!(t.verify(), Err(ProofError::VerificationFailed));
    let mut t = p.clone();
    t.value = None;
    assert_eq!(t.verify(), Err(ProofError::VerificationFailed));
    let mut t = absent.clone();
    t.value = Some(b"x".to_vec());
    assert_eq!(t.verify(), Err(ProofError::VerificationFailed));
    let mut t = p.clone();
    t.header.state_root.0[0] ^= 1;
    assert_eq!(t.verify(), Err(ProofError::VerificationFailed));
    let mut t = p.clone();
    let last = t.proof.len() - 1;
    t.proof[last] ^= 1;
    assert!(t.verify().is_err());
    let mut t = p.clone();
    t.proof.truncate(3);
    assert_eq!(t.verify(), Err(ProofError::Malformed));
    assert!(
        verify_state_proof(&p.header, governance::NAME, b"other", Some(b"5"), &p.proof).is_err()
    );
    assert!(verify_state_proof(&p.header, "scratch", &key, Some(b"5"), &p.proof).is_err());
    // A proof from another height does not verify against this header.
    assert!(verify_state_proof(&p.header, governance::NAME, &key, Some(b"0"), &old.proof).is_err());
    assert!(matches!(
        node.state_proof(governance::NAME, &key, Some(99)),
        Err(ChainError::HeightUnavailable { .. })
    ));
}

#[test]
fn pool_journal_survives_restart() {
    let env = Env::new(1);
    let kp = &env.members[0];
    let node = env.open();
    let hashes: Vec<_> = node
        .submit_batch((0..5).map(|n| gov(kp, n, GovernanceCall::Noop)).collect())
        .into_iter()
        .map(Result::unwrap)
        .collect();
    drop(node); // crash before any block
    let node = env.open();
    for h in &hashes {
        assert_eq!(node.tx_status(h).unwrap(), TxStatus::Pending);
    }
    let b = env.block(&node);
    assert_eq!(b.block.transactions.len(), 5);
    drop(node);
    // Committed transactions are not replayed again.
    let node = env.open();
    assert_eq!(node.sync_status().pool_size, 0);
    assert_eq!(node.height(), 1);
}

#[test]
fn stale_gapped_transactions_are_dropped_with_a_reason() {
    let env = Env::new(1);
    let kp = &env.members[0];
    let node = env.open_with(NodeConfig {
        pool: PoolConfig {
            gap_timeout: Duration::from_millis(0),
            ..PoolConfig::default()
        },
        ..env.config()
    });
    let h = node.submit(gov(kp, 1, GovernanceCall::Noop)).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    env.block(&node);
    assert!(matches!(
        node.tx_status(&h).unwrap(),
        TxStatus::Dropped { .. }
    ));
    drop(node);
    let node = env.open();
    assert!(
        matches!(node.tx_status(&h).unwrap(), TxStatus::Dropped { .. }),
        "drops survive restart"
    );
}

#[test]
fn a_dropped_transaction_resubmitted_survives_restart() {
    let env = Env::new(1);
    let kp = &env.members[0];
    let node = env.open_with(NodeConfig {
        pool: PoolConfig {
            gap_timeout: Duration::from_millis(0),
            ..PoolConfig::default()
        },
        ..env.config()
    });
    let tx = gov(kp, 1, GovernanceCall::Noop);
    let h = node.submit(tx.clone()).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    env.block(&node);
    assert!(matches!(
        node.tx_status(&h).unwrap(),
        TxStatus::Dropped { .. }
    ));
    // The client resubmits the same transaction; it is accepted (durably) again.
    assert_eq!(node.submit(tx).unwrap(), h);
    assert_eq!(node.tx_status(&h).unwrap(), TxStatus::Pending);
    drop(node); // crash before it is committed
    for _ in 0..2 {
        let node = env.open();
        assert_eq!(
            node.tx_status(&h).unwrap(),
            TxStatus::Pending,
            "an acknowledged resubmission must not vanish on restart"
        );
    }
    let node = env.open();
    node.submit(gov(kp, 0, GovernanceCall::Noop)).unwrap();
    let b = env.block(&node);
    assert_eq!(b.block.transactions.len(), 2);
    assert_eq!(
        node.tx_status(&h).unwrap(),
        TxStatus::Committed { height: 2 }
    );
}

#[test]
fn single_validator_commits_and_publishes() {
    let env = Env::new(1);
    let node = env.open();
    let mut blocks = node.subscribe();
    let handle = SingleValidator::spawn(Arc::clone(&node), env.validator.clone());
    let kp = &env.members[0];
    let hashes: Vec<_> = node
        .submit_batch((0..50).map(|n| gov(kp, n, GovernanceCall::Noop)).collect())
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let mut seen = 0;
    while seen < 50 {
        let b = rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(10), blocks.recv()).await })
            .expect("block within 10 s")
            .unwrap();
        seen += b.block.transactions.len();
    }
    handle.shutdown();
    for h in &hashes {
        assert!(matches!(
            node.tx_status(h).unwrap(),
            TxStatus::Committed { .. }
        ));
    }
    assert_eq!(node.sync_status().pool_size, 0);
}

#[test]
fn a_non_validator_cannot_produce_blocks() {
    let env = Env::new(1);
    let node = env.open();
    let err = node
        .produce_block(&Keypair::from_seed(&[5; 32]), 0, true)
        .unwrap_err();
    assert!(matches!(err, ChainError::NotValidator(_)));
    assert_eq!(node.height(), 0);
}

#[test]
fn a_passed_proposal_whose_action_no_longer_applies_is_marked_failed() {
    let env = Env::new(3);
    let node = env.open();
    let [a, b] = [&env.members[0], &env.members[1]];
    let x = Keypair::from_seed(&[61; 32]).address();
    node.submit(gov(
        a,
        0,
        GovernanceCall::Propose {
            action: Action::AddMember(x),
        },
    ))
    .unwrap();
    node.submit(gov(
        a,
        1,
        GovernanceCall::Propose {
            action: Action::AddMember(x),
        },
    ))
    .unwrap();
    node.submit(gov(
        b,
        0,
        GovernanceCall::Vote {
            proposal_id: 0,
            approve: true,
        },
    ))
    .unwrap();
    node.submit(gov(
        b,
        1,
        GovernanceCall::Vote {
            proposal_id: 1,
            approve: true,
        },
    ))
    .unwrap();
    let blk = env.block(&node);
    assert!(blk
        .receipts
        .iter()
        .all(|r| r.status == ReceiptStatus::Success));
    let status = |id| {
        let (m, q) = governance::query_args(&GovernanceQuery::Proposal { id });
        let p: Option<governance::Proposal> =
            borsh::from_slice(&node.call(governance::NAME, m, &q, None).unwrap()).unwrap();
        p.unwrap().status
    };
    assert_eq!(status(0), governance::ProposalStatus::Passed);
    assert_eq!(status(1), governance::ProposalStatus::Failed);
    assert_eq!(committee(&node).len(), 4);
}

#[test]
fn journal_entries_that_cannot_be_readmitted_are_recorded_as_dropped() {
    let env = Env::new(1);
    let node = env.open();
    let hashes: Vec<_> = (0..3u8)
        .map(|i| {
            node.submit(gov(
                &Keypair::from_seed(&[80 + i; 32]),
                0,
                GovernanceCall::Noop,
            ))
            .unwrap()
        })
        .collect();
    drop(node);
    // Restart with a smaller pool: one transaction no longer fits.
    let node = env.open_with(NodeConfig {
        pool: PoolConfig {
            capacity: 2,
            ..PoolConfig::default()
        },
        ..env.config()
    });
    let statuses: Vec<_> = hashes.iter().map(|h| node.tx_status(h).unwrap()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == TxStatus::Pending).count(),
        2
    );
    assert!(statuses
        .iter()
        .any(|s| matches!(s, TxStatus::Dropped { reason } if reason.contains("pool full"))));
}

#[test]
fn open_refuses_when_stored_state_differs_from_the_head_header() {
    let env = Env::new(1);
    let node = env.open();
    node.submit(gov(&env.members[0], 0, GovernanceCall::Noop))
        .unwrap();
    env.block(&node);
    drop(node);
    {
        // Corrupt the head header's state root behind the node's back.
        use redb::{ReadableDatabase, TableDefinition};
        const HEADERS: TableDefinition<u64, &[u8]> = TableDefinition::new("headers");
        let db = redb::Database::open(env.dir.path().join("ledger.redb")).unwrap();
        let stored: (weft_chain::BlockHeader, weft_chain::CommitCertificate) = {
            let r = db.begin_read().unwrap();
            let t = r.open_table(HEADERS).unwrap();
            borsh::from_slice(t.get(1).unwrap().unwrap().value()).unwrap()
        };
        let (mut header, cert) = stored;
        header.state_root = weft_chain::Hash::sha256(b"not the root");
        let w = db.begin_write().unwrap();
        w.open_table(HEADERS)
            .unwrap()
            .insert(1, borsh::to_vec(&(header, cert)).unwrap().as_slice())
            .unwrap();
        w.commit().unwrap();
    }
    let modules = ModuleRegistry::with_defaults().with(Arc::new(Scratch));
    let err = Node::open(env.config(), env.genesis.clone(), modules).unwrap_err();
    assert!(
        matches!(err, ChainError::StateRootMismatch { height: 1, .. }),
        "{err}"
    );
}

/// Regression: a sender whose pool queue was emptied by a block committed while its next
/// transaction was being admitted must not see a stale committed nonce (which made a valid next
/// nonce look like a gap). Senders submit one transaction at a time while blocks commit as fast
/// as possible, so queues are emptied and re-created continuously.
#[test]
fn sequential_submits_racing_block_commits_are_never_rejected() {
    let env = Env::new(1);
    let mut config = env.config();
    config.block.batch_delay = Duration::ZERO;
    let node = env.open_with(config);
    let handle = SingleValidator::spawn(Arc::clone(&node), env.validator.clone());
    let senders: Vec<Keypair> = (0..4u8)
        .map(|i| Keypair::from_seed(&[100 + i; 32]))
        .collect();
    std::thread::scope(|s| {
        for kp in &senders {
            let node = &node;
            s.spawn(move || {
                for nonce in 0..600 {
                    let tx = gov(kp, nonce, GovernanceCall::Noop);
                    if let Err(e) = node.submit(tx) {
                        panic!("nonce {nonce} of {} rejected: {e}", kp.address());
                    }
                }
            });
        }
    });
    handle.shutdown();
    for kp in &senders {
        assert_eq!(node.next_nonce(&kp.address()).unwrap(), 600);
    }
}
