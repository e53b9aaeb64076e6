//! Eligibility from a credential: real `eddsa-jcs-2022` credentials over DIDs registered on the
//! test chain, an issuer recognised through governance and a CPT; every refusal with its code,
//! then ballots by the registered holders and the tally.

use serde_json::{json, Value};
use weft_chain::governance::permissions;
use weft_did::cpt::{self, Cpt, CptCall, CptQuery};
use weft_did::credential::data_integrity::{self, ProofOptions};
use weft_did::credential::onchain::CptPin;
use weft_did::issuer::IssuerCall;
use weft_did::resolution::format_time;

use super::*;

const SCHEMA: &str = r#"{"type":"object","properties":{"member":{"const":true},"level":{"type":"string"},"weight":{"type":"integer"}},"required":["member"]}"#;

fn key(i: u8) -> Keypair {
    Keypair::from_seed(&[i; 32])
}

fn did_of(kp: &Keypair) -> String {
    Did::weft(CHAIN, kp.address()).to_string()
}

impl Env {
    fn create_did(&self, kp: &Keypair) {
        self.did(
            kp,
            DidCall::Create {
                public_key: kp.public_key(),
                services: vec![],
            },
        )
        .unwrap();
    }

    /// `kp` gets a DID, applies, and the committee (admin, a one-member committee) recognises it.
    fn authority_issuer(&self, kp: &Keypair, recognise: bool) {
        self.create_did(kp);
        self.tx(
            kp,
            IssuerCall::Apply {
                name: "Issuer".into(),
                description: "Issues membership credentials".into(),
            }
            .call(),
        )
        .unwrap();
        if recognise {
            self.tx(
                &key(1),
                governance::call(GovernanceCall::Propose {
                    action: Action::Grant {
                        account: kp.address(),
                        permission: permissions::AUTHORITY_ISSUER.into(),
                    },
                }),
            )
            .unwrap();
        }
    }

    fn register_cpt(&self, kp: &Keypair, id: Option<u64>, schema: &str) {
        self.tx(
            kp,
            CptCall::Register {
                id,
                schema: schema.into(),
            }
            .call(),
        )
        .unwrap();
    }

    fn cpt(&self, id: u64, version: u32) -> Cpt {
        let (m, a) = CptQuery::Get {
            id,
            version: Some(version),
        }
        .args();
        let c: Option<Cpt> =
            borsh::from_slice(&self.node.call(cpt::NAME, m, &a, None).unwrap()).unwrap();
        c.unwrap()
    }
}

/// A secured membership credential for `subject`, signed by `issuer_key` as `issuer#fragment`
/// at `created_ms`; `edit` changes the unsecured document before signing.
fn credential(
    issuer: &str,
    fragment: &str,
    issuer_key: &Keypair,
    subject: &str,
    pin: &CptPin,
    created_ms: u64,
    edit: impl FnOnce(&mut Value),
) -> String {
    let mut vc = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "MembershipCredential"],
        "issuer": issuer,
        "validFrom": format_time(created_ms),
        "credentialSchema": pin.to_json(),
        "credentialSubject": {"id": subject, "member": true, "level": "gold", "weight": 3},
    });
    edit(&mut vc);
    let options = ProofOptions::assertion(format!("{issuer}#{fragment}"), format_time(created_ms));
    data_integrity::sign(&vc, &options, issuer_key)
        .unwrap()
        .to_string()
}

fn register(
    env: &Env,
    signer: &Keypair,
    poll: PollId,
    credential: &str,
    commitment: [u8; 32],
) -> Result<(), String> {
    env.vote(
        signer,
        &VoteCall::RegisterWithCredential {
            poll,
            credential: credential.into(),
            commitment,
        },
    )
}

fn expect_refused(r: Result<(), String>, code: &str) {
    let err = r.expect_err("refused");
    assert!(
        err.contains(&format!("credential refused ({code})")),
        "expected {code}, got {err}"
    );
}

fn secret(seed: u64) -> MembershipSecret {
    MembershipSecret::random_with_rng(&mut rng(seed))
}

fn cred_spec(rule: Rule, eligibility: CredentialEligibility) -> PollSpec {
    let mut s = spec(rule, 3, &counter_keys(3), 2, false);
    s.credential = Some(eligibility);
    s
}

const CPT_ID: u64 = cpt::ANYONE_MIN;

/// Issuer `key(60)` recognised, CPT `CPT_ID` v1 and v2 and CPT `CPT_ID + 1` registered.
fn world(env: &Env) -> Keypair {
    let issuer = key(60);
    env.authority_issuer(&issuer, true);
    env.register_cpt(&issuer, None, SCHEMA);
    env.register_cpt(&issuer, Some(CPT_ID), r#"{"type":"object"}"#);
    env.register_cpt(&issuer, None, SCHEMA);
    issuer
}

#[test]
fn credential_holders_register_themselves_and_vote() {
    let env = Env::new();
    let issuer = world(&env);
    let issuer_did = did_of(&issuer);
    let pin = CptPin::of(&env.cpt(CPT_ID, 1));
    let stranger = key(65);
    env.authority_issuer(&stranger, false);
    let (h1, h2, h3, other) = (key(61), key(62), key(63), key(64));
    for h in [&h1, &h2, &h3, &other] {
        env.create_did(h);
    }
    // A second key of h1 that is only an assertionMethod key.
    let h1_assert_only = key(66);
    env.did(
        &h1,
        DidCall::Update {
            did: h1.address(),
            ops: vec![UpdateOp::AddKey {
                public_key: h1_assert_only.public_key(),
                relationships: Relationships(Relationships::ASSERTION_METHOD),
            }],
        },
    )
    .unwrap();
    // Issuer r: recognised; its key-1 is rotated away at t = 3 s.
    let r_old = key(67);
    let r_new = key(68);
    env.authority_issuer(&r_old, true);
    let r_did = did_of(&r_old);

    let spec = cred_spec(
        Rule::Single,
        CredentialEligibility {
            cpt_id: CPT_ID,
            cpt_version: Some(1),
            issuers: vec![],
            class_claim: None,
        },
    );
    let org = organiser();
    env.vote(&org, &VoteCall::CreatePoll(spec.clone())).unwrap();
    let id = PollId::derive(&org.address(), 0, &spec);
    let counters = counter_keys(3);
    let round3 = run_dkg(&env, id, &spec, &counters);
    env.vote(&org, &VoteCall::FinalizeKey { poll: id }).unwrap();

    // Credentials made at t = 2 s; r rotates at t = 3 s; registration happens at t = 5 s.
    env.now.set(2_000);
    let r_before = credential(&r_did, "key-1", &r_old, &did_of(&h3), &pin, 2_000, |_| {});
    env.now.set(3_000);
    env.did(
        &r_old,
        DidCall::Update {
            did: r_old.address(),
            ops: vec![UpdateOp::RotateKey {
                fragment: "key-1".into(),
                public_key: r_new.public_key(),
            }],
        },
    )
    .unwrap();
    env.now.set(5_000);
    let r_after = credential(&r_did, "key-1", &r_old, &did_of(&h2), &pin, 4_000, |_| {});

    let good = |subject: &Keypair| {
        credential(
            &issuer_did,
            "key-1",
            &issuer,
            &did_of(subject),
            &pin,
            2_000,
            |_| {},
        )
    };
    let (s1, s2, s3) = (secret(1), secret(2), secret(3));
    let c1 = s1.commitment().to_bytes();

    // Refusals, each with its code.
    expect_refused(register(&env, &h1, id, "{not json", c1), "malformed");
    let tampered = good(&h1).replace("\"gold\"", "\"platinum\"");
    expect_refused(register(&env, &h1, id, &tampered, c1), "bad_signature");
    let by_stranger = credential(
        &did_of(&stranger),
        "key-1",
        &stranger,
        &did_of(&h1),
        &pin,
        2_000,
        |_| {},
    );
    expect_refused(
        register(&env, &h1, id, &by_stranger, c1),
        "issuer_not_recognised",
    );
    let other_cpt = CptPin::of(&env.cpt(CPT_ID + 1, 1));
    let wrong_id = credential(
        &issuer_did,
        "key-1",
        &issuer,
        &did_of(&h1),
        &other_cpt,
        2_000,
        |_| {},
    );
    expect_refused(register(&env, &h1, id, &wrong_id, c1), "wrong_cpt");
    let v2 = CptPin::of(&env.cpt(CPT_ID, 2));
    let wrong_version = credential(
        &issuer_did,
        "key-1",
        &issuer,
        &did_of(&h1),
        &v2,
        2_000,
        |_| {},
    );
    expect_refused(register(&env, &h1, id, &wrong_version, c1), "wrong_cpt");
    let bad_digest = CptPin {
        digest: [0; 32],
        ..pin
    };
    let wrong_digest = credential(
        &issuer_did,
        "key-1",
        &issuer,
        &did_of(&h1),
        &bad_digest,
        2_000,
        |_| {},
    );
    expect_refused(register(&env, &h1, id, &wrong_digest, c1), "cpt_digest");
    let expired = credential(
        &issuer_did,
        "key-1",
        &issuer,
        &did_of(&h1),
        &pin,
        2_000,
        |vc| {
            vc["validUntil"] = format_time(4_000).into();
        },
    );
    expect_refused(register(&env, &h1, id, &expired, c1), "expired");
    let early = credential(
        &issuer_did,
        "key-1",
        &issuer,
        &did_of(&h1),
        &pin,
        2_000,
        |vc| {
            vc["validFrom"] = format_time(9_000).into();
        },
    );
    expect_refused(register(&env, &h1, id, &early, c1), "not_yet_valid");
    let with_status = credential(
        &issuer_did,
        "key-1",
        &issuer,
        &did_of(&h1),
        &pin,
        2_000,
        |vc| {
            vc["credentialStatus"] = json!({"type": "BitstringStatusListEntry"});
        },
    );
    expect_refused(
        register(&env, &h1, id, &with_status, c1),
        "status_unsupported",
    );
    let bad_claims = credential(
        &issuer_did,
        "key-1",
        &issuer,
        &did_of(&h1),
        &pin,
        2_000,
        |vc| {
            vc["credentialSubject"]["member"] = false.into();
        },
    );
    expect_refused(register(&env, &h1, id, &bad_claims, c1), "claims_invalid");
    // The subject's credential, but another DID's key signs; or a key of the subject that is
    // not an authentication / capabilityInvocation key.
    expect_refused(
        register(&env, &other, id, &good(&h1), c1),
        "subject_not_signer",
    );
    expect_refused(
        register(&env, &h1_assert_only, id, &good(&h1), c1),
        "subject_not_signer",
    );
    // The rotated issuer key: accepted for a proof made before the rotation, refused after.
    expect_refused(register(&env, &h2, id, &r_after, c1), "issuer_key");
    assert_eq!(
        env.query::<PollState>(&VoteQuery::Poll(id)).leaf_counts,
        vec![0]
    );

    // Accepted: h1 and h3 (the latter with the since-rotated issuer key).
    register(&env, &h1, id, &good(&h1), c1).unwrap();
    register(&env, &h3, id, &r_before, s3.commitment().to_bytes()).unwrap();
    let reg: Option<CredentialRegistration> = env.query(&VoteQuery::Registration {
        poll: id,
        subject: h1.address(),
    });
    let reg = reg.unwrap();
    assert_eq!((reg.class, reg.index, reg.commitment), (0, 0, c1));
    assert_eq!(reg.issuer, issuer.address());
    // Once per subject, even with a new commitment.
    expect_refused(
        register(&env, &h1, id, &good(&h1), s2.commitment().to_bytes()),
        "already_registered",
    );
    let leaves: Vec<[u8; 32]> = env.query(&VoteQuery::Leaves { poll: id, class: 0 });
    assert_eq!(leaves, vec![c1, s3.commitment().to_bytes()]);

    // Sealed: no more registrations.
    env.vote(&org, &VoteCall::Seal { poll: id }).unwrap();
    let err = register(&env, &h2, id, &good(&h2), s2.commitment().to_bytes()).unwrap_err();
    assert!(err.contains("sealed"), "{err}");

    // Ballots from the registered secrets count; the tally comes out.
    let record: DkgRecord = env.query(&VoteQuery::Dkg(id));
    let outputs: Vec<_> = round3
        .into_iter()
        .map(|r3| counter::finish(r3, &record).unwrap())
        .collect();
    let group = outputs[0].group.clone();
    let roots = env.query::<PollState>(&VoteQuery::Poll(id)).roots.unwrap();
    let tree = MerkleTree::from_leaves(DEPTH, vec![s1.commitment(), s3.commitment()]).unwrap();
    assert_eq!(roots, vec![tree.root().to_bytes()]);
    let poll = Poll {
        id,
        verifier: BallotVerifier::new(id, &spec, group.public_key(), &roots).unwrap(),
        spec,
        counters,
        shares: outputs.into_iter().map(|o| o.share).collect(),
        group,
        voters: vec![(0, s1), (0, s3)],
        trees: vec![tree],
    };
    open(&env);
    env.vote(
        &one_time(),
        &VoteCall::Cast(poll.ballot(0, &[false, true, false], 1)),
    )
    .unwrap();
    env.vote(
        &one_time(),
        &VoteCall::Cast(poll.ballot(1, &[false, true, false], 2)),
    )
    .unwrap();
    close(&env);
    poll.decrypt(&env, 0).unwrap();
    poll.decrypt(&env, 1).unwrap();
    assert_eq!(poll.state(&env).result.unwrap().counts, vec![0, 2, 0]);
    assert!(audit(&record_of(&env, &poll), 2).passed());
}

fn record_of(env: &Env, poll: &Poll) -> PollRecord {
    record(env, poll)
}

#[test]
fn listed_issuers_and_weight_claims() {
    let env = Env::new();
    let issuer = world(&env);
    let pin = CptPin::of(&env.cpt(CPT_ID, 1));
    let listed = key(65);
    env.authority_issuer(&listed, false);
    let (h1, h2) = (key(61), key(62));
    env.create_did(&h1);
    env.create_did(&h2);
    let org = organiser();

    // Spec checks at creation: a class claim needs a weighted poll; a CPT must exist; issuers
    // must be well-formed DIDs of this chain.
    let mut bad = cred_spec(
        Rule::Single,
        CredentialEligibility {
            cpt_id: CPT_ID,
            cpt_version: None,
            issuers: vec![],
            class_claim: Some("weight".into()),
        },
    );
    assert!(validate_spec(&bad).unwrap_err().contains("weighted"));
    bad.credential.as_mut().unwrap().class_claim = None;
    bad.credential.as_mut().unwrap().cpt_id = 999_999_999;
    let err = env
        .vote(&org, &VoteCall::CreatePoll(bad.clone()))
        .unwrap_err();
    assert!(err.contains("not registered"), "{err}");
    bad.credential.as_mut().unwrap().cpt_id = CPT_ID;
    bad.credential.as_mut().unwrap().issuers = vec!["did:weft:x".into()];
    assert!(validate_spec(&bad).is_err());
    bad.credential.as_mut().unwrap().issuers =
        vec![Did::weft("other-chain", listed.address()).to_string()];
    let err = env.vote(&org, &VoteCall::CreatePoll(bad)).unwrap_err();
    assert!(err.contains("not a DID of this chain"), "{err}");

    // Weighted poll: weight 3 maps to class 1; an unrecognised issuer is accepted when listed.
    let spec = cred_spec(
        Rule::Weighted {
            weights: vec![1, 3],
        },
        CredentialEligibility {
            cpt_id: CPT_ID,
            cpt_version: None,
            issuers: vec![did_of(&listed)],
            class_claim: Some("weight".into()),
        },
    );
    env.vote(&org, &VoteCall::CreatePoll(spec.clone())).unwrap();
    let id = PollId::derive(&org.address(), 0, &spec);
    let c = credential(
        &did_of(&listed),
        "key-1",
        &listed,
        &did_of(&h1),
        &pin,
        1_000,
        |_| {},
    );
    register(&env, &h1, id, &c, secret(1).commitment().to_bytes()).unwrap();
    let reg: Option<CredentialRegistration> = env.query(&VoteQuery::Registration {
        poll: id,
        subject: h1.address(),
    });
    assert_eq!(reg.unwrap().class, 1);
    assert_eq!(
        env.query::<PollState>(&VoteQuery::Poll(id)).leaf_counts,
        vec![0, 1]
    );
    // A weight no class has is refused.
    let c = credential(
        &did_of(&issuer),
        "key-1",
        &issuer,
        &did_of(&h2),
        &pin,
        1_000,
        |vc| {
            vc["credentialSubject"]["weight"] = 7.into();
        },
    );
    expect_refused(
        register(&env, &h2, id, &c, secret(2).commitment().to_bytes()),
        "weight_claim",
    );
    // A poll without a credential rule takes no credential registrations.
    let plain = spec_plain();
    env.vote(&org, &VoteCall::CreatePoll(plain.clone()))
        .unwrap();
    let plain_id = PollId::derive(&org.address(), 1, &plain);
    let c = credential(
        &did_of(&issuer),
        "key-1",
        &issuer,
        &did_of(&h2),
        &pin,
        1_000,
        |_| {},
    );
    let err = register(&env, &h2, plain_id, &c, secret(2).commitment().to_bytes()).unwrap_err();
    assert!(err.contains("no credential eligibility rule"), "{err}");
}

fn spec_plain() -> PollSpec {
    spec(Rule::Single, 2, &counter_keys(3), 2, false)
}
