//! The BFT consensus boundary of the node: building proposals, checking other validators'
//! proposals before voting, committing decided blocks only with a valid 2f+1 certificate, and
//! validator-set changes by governance taking effect at the next height.

use std::sync::Arc;

use weft_chain::governance::{self, Action, GovernanceCall};
use weft_chain::{
    Block, BlockHeader, BlockRejection, ChainError, CommitCertificate, Genesis, GenesisValidator,
    Hash, Keypair, ModuleRegistry, Node, NodeConfig, SignedTransaction, Transaction,
    ValidatorSignature,
};

const CHAIN: &str = "weft-bft";
const NOW: u64 = 1_700_000_000_000;

struct Net {
    validators: Vec<Keypair>,
    admin: Keypair,
    genesis: Genesis,
    dirs: Vec<tempfile::TempDir>,
}

impl Net {
    fn new(n: u8) -> Net {
        let validators: Vec<Keypair> = (0..n).map(|i| Keypair::from_seed(&[i + 10; 32])).collect();
        let admin = Keypair::from_seed(&[99; 32]);
        let genesis = Genesis {
            chain_id: CHAIN.into(),
            timestamp_ms: 0,
            validators: validators
                .iter()
                .enumerate()
                .map(|(i, k)| GenesisValidator {
                    name: format!("v{i}"),
                    public_key: k.public_key(),
                    power: 1,
                })
                .collect(),
            committee: vec![admin.address()],
            config: Default::default(),
        };
        Net {
            validators,
            admin,
            genesis,
            dirs: Vec::new(),
        }
    }

    fn node(&mut self) -> Arc<Node> {
        let dir = tempfile::tempdir().unwrap();
        let config = NodeConfig {
            data_dir: dir.path().to_path_buf(),
            ..NodeConfig::default()
        };
        self.dirs.push(dir);
        Node::open(
            config,
            self.genesis.clone(),
            ModuleRegistry::with_defaults(),
        )
        .unwrap()
    }
}

fn tx(key: &Keypair, nonce: u64, call: GovernanceCall) -> SignedTransaction {
    Transaction {
        chain_id: CHAIN.into(),
        sender: key.public_key(),
        nonce,
        call: governance::call(call),
    }
    .sign(key)
}

fn certify(header: &BlockHeader, signers: &[&Keypair]) -> CommitCertificate {
    let hash = header.hash();
    let msg = CommitCertificate::signing_bytes(CHAIN, header.height, 0, &hash);
    CommitCertificate {
        height: header.height,
        round: 0,
        block_hash: hash,
        signatures: signers
            .iter()
            .map(|k| ValidatorSignature {
                validator: k.public_key(),
                signature: k.sign(&msg),
            })
            .collect(),
    }
}

fn rejection(r: Result<impl std::fmt::Debug, ChainError>) -> BlockRejection {
    match r {
        Err(ChainError::InvalidBlock(b)) => b,
        other => panic!("expected a block rejection, got {other:?}"),
    }
}

#[test]
fn proposal_is_checked_by_re_execution_and_committed_with_a_quorum_certificate() {
    let mut net = Net::new(4);
    let proposer_node = net.node();
    let voter = net.node();
    let user = Keypair::from_seed(&[5; 32]);
    let t0 = tx(&user, 0, GovernanceCall::Noop);
    proposer_node.submit(t0.clone()).unwrap();

    let proposer = net.validators[1].address();
    let (header, txs) = proposer_node.build_proposal(proposer, NOW).unwrap();
    assert_eq!(header.height, 1);
    assert_eq!(txs, vec![t0.clone()]);

    // The honest proposal passes the voter's checks (the voter never saw the transaction).
    voter.check_proposal(&header, &txs, NOW).unwrap();

    // Tampered header fields are caught by re-execution.
    let mut bad = header.clone();
    bad.state_root = Hash::sha256(b"forged");
    assert!(matches!(
        rejection(voter.check_proposal(&bad, &txs, NOW)),
        BlockRejection::HeaderMismatch(f) if f.contains("state_root")
    ));
    // Transactions not matching the header.
    assert!(matches!(
        rejection(voter.check_proposal(&header, &[], NOW)),
        BlockRejection::HeaderMismatch(_)
    ));
    // A transaction with a bad signature (strict per-signature check).
    let mut forged = t0.clone();
    forged.signature.0[5] ^= 1;
    assert_eq!(
        rejection(voter.check_proposal(&header, &[forged], NOW)),
        BlockRejection::BadTransactionSignature(0)
    );
    // A timestamp far in the future, or a proposer outside the validator set.
    let mut future = header.clone();
    future.timestamp_ms = NOW + 3_600_000;
    assert!(matches!(
        rejection(voter.check_proposal(&future, &txs, NOW)),
        BlockRejection::BadTimestamp { .. }
    ));
    let mut stranger = header.clone();
    stranger.proposer = user.address();
    assert!(matches!(
        rejection(voter.check_proposal(&stranger, &txs, NOW)),
        BlockRejection::NotAValidator(_)
    ));
    // Wrong height / parent.
    let mut skip = header.clone();
    skip.height = 2;
    assert!(matches!(
        rejection(voter.check_proposal(&skip, &txs, NOW)),
        BlockRejection::WrongHeight {
            expected: 1,
            got: 2
        }
    ));
    let mut orphan = header.clone();
    orphan.parent_hash = Hash::sha256(b"elsewhere");
    assert_eq!(
        rejection(voter.check_proposal(&orphan, &txs, NOW)),
        BlockRejection::WrongParent
    );
    // A nonce the chain has not reached is not executable.
    let gap = tx(&user, 7, GovernanceCall::Noop);
    assert!(matches!(
        rejection(voter.check_proposal(&header, &[gap], NOW)),
        BlockRejection::NotExecutable { index: 0, .. }
    ));

    // Commit needs > 2/3 of the voting power: 2 of 4 is refused, 3 of 4 commits.
    let v = &net.validators;
    let weak = Block {
        header: header.clone(),
        transactions: txs.clone(),
        certificate: certify(&header, &[&v[0], &v[1]]),
    };
    assert_eq!(
        rejection(voter.commit_block(weak)),
        BlockRejection::BadCertificate
    );
    // A signature from outside the set invalidates the certificate.
    let outsider = Block {
        header: header.clone(),
        transactions: txs.clone(),
        certificate: certify(&header, &[&v[0], &v[1], &v[2], &user]),
    };
    assert_eq!(
        rejection(voter.commit_block(outsider)),
        BlockRejection::BadCertificate
    );
    let block = Block {
        header: header.clone(),
        transactions: txs.clone(),
        certificate: certify(&header, &[&v[0], &v[1], &v[2]]),
    };
    let committed = voter.commit_block(block.clone()).unwrap();
    assert_eq!(committed.block.header, header);
    assert!(voter.verify_certificate(&committed.block).unwrap());
    // The proposer commits the same block from its cached execution.
    proposer_node.commit_block(block.clone()).unwrap();
    assert_eq!(proposer_node.head(), voter.head());
    assert_eq!(proposer_node.ready_transactions(), 0);
    // Committing it twice is refused (no longer the next height).
    assert!(matches!(
        rejection(voter.commit_block(block)),
        BlockRejection::WrongHeight { .. }
    ));
}

#[test]
fn a_block_never_checked_locally_is_re_executed_before_commit() {
    let mut net = Net::new(1);
    let a = net.node();
    let b = net.node();
    let user = Keypair::from_seed(&[6; 32]);
    a.submit(tx(&user, 0, GovernanceCall::Noop)).unwrap();
    let (header, txs) = a.build_proposal(net.validators[0].address(), NOW).unwrap();
    // A forged header with a valid certificate over it is still refused by re-execution.
    let mut forged = header.clone();
    forged.receipts_root = Hash::sha256(b"forged");
    let bad = Block {
        header: forged.clone(),
        transactions: txs.clone(),
        certificate: certify(&forged, &[&net.validators[0]]),
    };
    assert!(matches!(
        rejection(b.commit_block(bad)),
        BlockRejection::HeaderMismatch(_)
    ));
    let good = Block {
        header: header.clone(),
        transactions: txs,
        certificate: certify(&header, &[&net.validators[0]]),
    };
    b.commit_block(good).unwrap();
    assert_eq!(b.height(), 1);
}

#[test]
fn validator_set_change_by_governance_takes_effect_at_the_next_height() {
    let mut net = Net::new(1);
    let node = net.node();
    let v0 = net.validators[0].clone();
    let newcomer = Keypair::from_seed(&[77; 32]);
    let new_set = vec![
        GenesisValidator {
            name: "v0".into(),
            public_key: v0.public_key(),
            power: 1,
        },
        GenesisValidator {
            name: "new".into(),
            public_key: newcomer.public_key(),
            power: 1,
        },
    ];
    // An invalid set (duplicate key) fails in its receipt and changes nothing.
    let dup = vec![new_set[0].clone(), new_set[0].clone()];
    node.submit(tx(
        &net.admin,
        0,
        GovernanceCall::Propose {
            action: Action::SetValidators(dup),
        },
    ))
    .unwrap();
    let b1 = node.produce_block(&v0, NOW, false).unwrap().unwrap();
    assert_eq!(b1.receipts[0].status, weft_chain::ReceiptStatus::Failed);
    assert_eq!(node.validators(None).unwrap().len(), 1);

    node.submit(tx(
        &net.admin,
        1,
        GovernanceCall::Propose {
            action: Action::SetValidators(new_set),
        },
    ))
    .unwrap();
    let b2 = node.produce_block(&v0, NOW, false).unwrap().unwrap();
    assert_eq!(b2.receipts[0].status, weft_chain::ReceiptStatus::Success);
    let h = b2.block.header.height;
    // Block h was committed by the old set; the state at h holds the new set (it commits h+1).
    assert_eq!(node.validators(Some(h - 1)).unwrap().len(), 1);
    assert_eq!(node.validators(Some(h)).unwrap().len(), 2);
    // Now one signature of two is not a quorum: the single validator can no longer commit alone.
    let (header, txs) = node.build_proposal(v0.address(), NOW).unwrap();
    assert_ne!(header.validators_hash, b2.block.header.validators_hash);
    let alone = Block {
        header: header.clone(),
        transactions: txs.clone(),
        certificate: certify(&header, &[&v0]),
    };
    assert_eq!(
        rejection(node.commit_block(alone)),
        BlockRejection::BadCertificate
    );
    let both = Block {
        header: header.clone(),
        transactions: txs,
        certificate: certify(&header, &[&v0, &newcomer]),
    };
    node.commit_block(both).unwrap();
}
