//! Status read through a state proof ([`weft_did::status_proof`]) against a real node: an
//! honest bundle verifies (bit clear, bit set, absent chunk), and a flipped bit, a proof of
//! another key, a forged or under-powered certificate, another chain's policy and a stale
//! header are each refused with their typed error.

use weft_chain::{Call, CommitCertificate, Hash, Keypair, PublicKey};
use weft_did::status::{self, StatusCall, StatusEntry, StatusOutcome, StatusPurpose};
use weft_did::status_proof::{self, ProofPolicy, StatusProof, StatusProofError};

mod common;
use common::{Env, CHAIN};

impl Env {
    /// Runs `call`, which must succeed; its event attributes.
    fn run(&self, key: &Keypair, call: Call) -> Vec<(String, String)> {
        self.exec_events(key, call).unwrap()
    }

    fn create(&self, key: &Keypair, purpose: StatusPurpose) -> Hash {
        let attrs = self.run(
            key,
            StatusCall::CreateList {
                purpose,
                length: status::MIN_LENGTH,
            }
            .call(),
        );
        attrs
            .iter()
            .find(|(k, _)| k == "list")
            .unwrap()
            .1
            .parse()
            .unwrap()
    }

    /// The bundle a node serves (what `GET /status-lists/{id}/proof` builds).
    fn bundle(&self, list: Hash, index: u64) -> StatusProof {
        let (chunk_number, _) = status::chunk_of(index);
        let meta = self
            .node
            .state_proof(status::NAME, &status::meta_key(&list), None)
            .unwrap();
        let h = meta.height;
        let chunk = self
            .node
            .state_proof(
                status::NAME,
                &status::chunk_key(&list, chunk_number),
                Some(h),
            )
            .unwrap();
        let block = self.node.block_by_number(h).unwrap().unwrap();
        StatusProof {
            list,
            index,
            chunk_number,
            header: block.header,
            certificate: block.certificate,
            meta,
            chunk,
        }
    }

    fn policy(&self) -> ProofPolicy {
        let h = self.node.height();
        ProofPolicy {
            chain_id: CHAIN.into(),
            validators: self
                .node
                .validators(Some(h - 1))
                .unwrap()
                .into_iter()
                .map(|v| (v.public_key, v.power))
                .collect(),
            now_ms: self.clock.get(),
            max_age_ms: None,
        }
    }
}

fn entry(purpose: StatusPurpose, index: u64) -> StatusEntry {
    StatusEntry {
        id: None,
        purpose,
        index,
        list_credential: "https://issuer.example/status-lists/x".into(),
    }
}

#[test]
fn honest_proofs_verify_revoked_and_not() {
    let env = Env::new();
    let owner = Keypair::from_seed(&[1; 32]);
    let list = env.create(&owner, StatusPurpose::Revocation);
    // Index 5000 sits in chunk 1 (4096 bits per chunk); 3 is in chunk 0, 100_000 in an
    // untouched chunk (absent from state: proof of absence, all zero).
    env.run(
        &owner,
        StatusCall::Update {
            list,
            set: vec![5000],
            clear: vec![],
        }
        .call(),
    );
    let policy = env.policy();
    let revoked = status_proof::verify(
        &entry(StatusPurpose::Revocation, 5000),
        &list,
        &env.bundle(list, 5000),
        &policy,
    )
    .unwrap();
    assert_eq!(revoked.outcome, StatusOutcome::Revoked);
    assert_eq!(revoked.height, env.node.height());
    assert_eq!(revoked.owner, owner.address());

    for index in [5001, 4999, 100_000] {
        let p = status_proof::verify(
            &entry(StatusPurpose::Revocation, index),
            &list,
            &env.bundle(list, index),
            &policy,
        )
        .unwrap();
        assert_eq!(p.outcome, StatusOutcome::Valid, "index {index}");
    }
    // The absent chunk really was a proof of absence.
    assert!(env.bundle(list, 100_000).chunk.value.is_none());

    // Suspension lists read as suspended.
    let susp = env.create(&owner, StatusPurpose::Suspension);
    env.run(
        &owner,
        StatusCall::Update {
            list: susp,
            set: vec![7],
            clear: vec![],
        }
        .call(),
    );
    let p = status_proof::verify(
        &entry(StatusPurpose::Suspension, 7),
        &susp,
        &env.bundle(susp, 7),
        &env.policy(),
    )
    .unwrap();
    assert_eq!(p.outcome, StatusOutcome::Suspended);
}

#[test]
fn tampered_bundles_are_refused() {
    let env = Env::new();
    let owner = Keypair::from_seed(&[1; 32]);
    let list = env.create(&owner, StatusPurpose::Revocation);
    let other = env.create(&owner, StatusPurpose::Revocation);
    env.run(
        &owner,
        StatusCall::Update {
            list,
            set: vec![10],
            clear: vec![],
        }
        .call(),
    );
    let policy = env.policy();
    let e = entry(StatusPurpose::Revocation, 10);
    let honest = env.bundle(list, 10);
    assert_eq!(
        status_proof::verify(&e, &list, &honest, &policy)
            .unwrap()
            .outcome,
        StatusOutcome::Revoked
    );

    // A flipped bit in the chunk: the value no longer matches the state root.
    let mut flipped = honest.clone();
    let value = flipped.chunk.value.as_mut().unwrap();
    value[1] ^= 0x20; // bit 10
    assert_eq!(
        status_proof::verify(&e, &list, &flipped, &policy),
        Err(StatusProofError::ProofMismatch)
    );

    // A proof for another key: the chunk of another list (clear), or another chunk.
    let mut wrong = honest.clone();
    wrong.chunk = env.bundle(other, 10).chunk;
    assert!(matches!(
        status_proof::verify(&e, &list, &wrong, &policy),
        Err(StatusProofError::WrongKey { .. })
    ));
    let mut wrong_chunk = honest.clone();
    wrong_chunk.chunk = env.bundle(list, 50_000).chunk;
    assert!(matches!(
        status_proof::verify(&e, &list, &wrong_chunk, &policy),
        Err(StatusProofError::WrongKey { .. })
    ));
    // The whole bundle of another list, presented for this entry.
    assert!(matches!(
        status_proof::verify(&e, &list, &env.bundle(other, 10), &policy),
        Err(StatusProofError::WrongList { .. })
    ));

    // A forged certificate: signed by a key outside the trusted set.
    let forger = Keypair::from_seed(&[66; 32]);
    let mut forged = honest.clone();
    forged.certificate = CommitCertificate::sign_single(CHAIN, &honest.header, 0, &forger);
    assert_eq!(
        status_proof::verify(&e, &list, &forged, &policy),
        Err(StatusProofError::BadCertificate)
    );
    // A header with a forged state root (flipped bit "re-proved" by the prover) under the
    // honest certificate: the certificate no longer covers the header.
    let mut reheaded = honest.clone();
    reheaded.header.state_root = Hash([7; 32]);
    reheaded.meta.header = reheaded.header.clone();
    reheaded.chunk.header = reheaded.header.clone();
    assert_eq!(
        status_proof::verify(&e, &list, &reheaded, &policy),
        Err(StatusProofError::BadCertificate)
    );
    // Insufficient power: the honest signer holds 1 of 3 of a larger trusted set.
    let mut big = policy.clone();
    big.validators
        .push((Keypair::from_seed(&[9; 32]).public_key(), 1));
    big.validators
        .push((Keypair::from_seed(&[8; 32]).public_key(), 1));
    assert_eq!(
        status_proof::verify(&e, &list, &honest, &big),
        Err(StatusProofError::BadCertificate)
    );
    // No trusted validators at all.
    let empty = ProofPolicy {
        validators: Vec::<(PublicKey, u64)>::new(),
        ..policy.clone()
    };
    assert_eq!(
        status_proof::verify(&e, &list, &honest, &empty),
        Err(StatusProofError::BadCertificate)
    );

    // A state proof of another height's header under this certificate.
    let mut old = honest.clone();
    old.chunk = env
        .node
        .state_proof(
            status::NAME,
            &status::chunk_key(&list, 0),
            Some(honest.header.height - 1),
        )
        .unwrap();
    assert_eq!(
        status_proof::verify(&e, &list, &old, &policy),
        Err(StatusProofError::HeaderMismatch)
    );

    // Another chain id.
    let other_chain = ProofPolicy {
        chain_id: "weft-other".into(),
        ..policy.clone()
    };
    assert!(matches!(
        status_proof::verify(&e, &list, &honest, &other_chain),
        Err(StatusProofError::WrongChain { .. })
    ));

    // Stale: the header is 10 s old, the limit 5 s; 20 s passes.
    let stale = ProofPolicy {
        now_ms: honest.header.timestamp_ms + 10_000,
        max_age_ms: Some(5_000),
        ..policy.clone()
    };
    assert!(matches!(
        status_proof::verify(&e, &list, &honest, &stale),
        Err(StatusProofError::Stale { age_ms: 10_000, .. })
    ));
    let fresh = ProofPolicy {
        max_age_ms: Some(20_000),
        ..stale
    };
    assert!(status_proof::verify(&e, &list, &honest, &fresh).is_ok());

    // Entry problems: wrong purpose, out of range.
    assert!(matches!(
        status_proof::verify(
            &entry(StatusPurpose::Suspension, 10),
            &list,
            &honest,
            &policy
        ),
        Err(StatusProofError::Entry(_))
    ));
    let far = status::MIN_LENGTH + 1;
    assert!(matches!(
        status_proof::verify(
            &entry(StatusPurpose::Revocation, far),
            &list,
            &env.bundle(list, far),
            &policy
        ),
        Err(StatusProofError::Entry(_))
    ));
}
