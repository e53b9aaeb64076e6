//! The `did`, `issuer` and `cpt` modules on a real node (single validator, blocks produced by
//! hand with chosen timestamps). Every rule is exercised from its negative side too.

use weft_chain::governance::{self, permissions, Action, GovernanceCall};
use weft_chain::{Address, Call, Keypair};
use weft_did::cpt::{self, Cpt, CptCall, CptQuery};
use weft_did::issuer::{IssuerCall, IssuerInfo, IssuerQuery, IssuerType};
use weft_did::registry::{self, DidCall, DidQuery, Resolution, Selector};
use weft_did::{proof, DidState, Relationships, Service, UpdateOp};

mod common;
use common::{Env, CHAIN};

impl Env {
    fn create_did(&self, key: &Keypair) {
        self.exec(key, create(key)).unwrap();
    }

    fn resolve(&self, did: Address, selector: Selector) -> Option<Resolution> {
        let (m, a) = DidQuery::Resolve { did, selector }.args();
        borsh::from_slice(&self.node.call(registry::NAME, m, &a, None).unwrap()).unwrap()
    }

    fn issuer(&self, account: Address) -> Option<IssuerInfo> {
        let (m, a) = IssuerQuery::Issuer { account }.args();
        borsh::from_slice(&self.node.call("issuer", m, &a, None).unwrap()).unwrap()
    }

    fn cpt(&self, id: u64, version: Option<u32>) -> Option<Cpt> {
        let (m, a) = CptQuery::Get { id, version }.args();
        borsh::from_slice(&self.node.call(cpt::NAME, m, &a, None).unwrap()).unwrap()
    }

    /// The committee grants (or revokes) the authority-issuer permission (one-member committee:
    /// the proposal passes at once).
    fn recognise(&self, account: Address, grant: bool) {
        let permission = permissions::AUTHORITY_ISSUER.to_string();
        let action = if grant {
            Action::Grant {
                account,
                permission,
            }
        } else {
            Action::Revoke {
                account,
                permission,
            }
        };
        self.exec(
            &self.committee,
            governance::call(GovernanceCall::Propose { action }),
        )
        .unwrap();
    }
}

fn key(i: u8) -> Keypair {
    Keypair::from_seed(&[i; 32])
}

fn create(key: &Keypair) -> Call {
    DidCall::Create {
        public_key: key.public_key(),
        services: vec![],
    }
    .call()
}

fn update(did: Address, ops: Vec<UpdateOp>) -> Call {
    DidCall::Update { did, ops }.call()
}

const SCHEMA: &str = r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
  "properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0}},"required":["name"]}"#;

fn register(id: Option<u64>, schema: &str) -> Call {
    CptCall::Register {
        id,
        schema: schema.into(),
    }
    .call()
}

#[test]
fn create_requires_the_creating_keys_signature() {
    let env = Env::governed();
    let (alice, mallory) = (key(1), key(2));
    // Mallory signs a creation for Alice's key: refused, nothing stored.
    let err = env.exec(&mallory, create(&alice)).unwrap_err();
    assert!(err.contains("unauthorized"), "{err}");
    assert!(env.resolve(alice.address(), Selector::Latest).is_none());
    // Alice creates her own; creating twice is refused.
    env.create_did(&alice);
    let r = env.resolve(alice.address(), Selector::Latest).unwrap();
    assert_eq!(r.version, 1);
    assert_eq!(r.record.state.keys[0].public_key, alice.public_key());
    assert_eq!(r.record.state.keys[0].relationships, Relationships::ALL);
    assert!(env
        .exec(&alice, create(&alice))
        .unwrap_err()
        .contains("already exists"));
}

#[test]
fn update_by_a_non_controller_is_refused() {
    let env = Env::governed();
    let (alice, mallory) = (key(1), key(2));
    env.create_did(&alice);
    env.create_did(&mallory);
    let op = UpdateOp::AddKey {
        public_key: mallory.public_key(),
        relationships: Relationships::ALL,
    };
    let err = env
        .exec(&mallory, update(alice.address(), vec![op.clone()]))
        .unwrap_err();
    assert!(err.contains("unauthorized"), "{err}");
    assert!(env
        .exec(
            &mallory,
            DidCall::Deactivate {
                did: alice.address()
            }
            .call()
        )
        .unwrap_err()
        .contains("unauthorized"));
    // A key with only `authentication` cannot update either.
    let auth_only = key(3);
    env.exec(
        &alice,
        update(
            alice.address(),
            vec![UpdateOp::AddKey {
                public_key: auth_only.public_key(),
                relationships: Relationships(Relationships::AUTHENTICATION),
            }],
        ),
    )
    .unwrap();
    assert!(env
        .exec(&auth_only, update(alice.address(), vec![op]))
        .unwrap_err()
        .contains("unauthorized"));
    assert_eq!(
        env.resolve(alice.address(), Selector::Latest)
            .unwrap()
            .version,
        2
    );
}

#[test]
fn a_controller_did_may_update() {
    let env = Env::governed();
    let (subject, guardian, other) = (key(1), key(2), key(3));
    env.create_did(&subject);
    env.create_did(&guardian);
    // The controller must be an existing DID.
    assert!(env
        .exec(
            &subject,
            update(
                subject.address(),
                vec![UpdateOp::SetControllers(vec![other.address()])]
            )
        )
        .is_err());
    env.exec(
        &subject,
        update(
            subject.address(),
            vec![UpdateOp::SetControllers(vec![guardian.address()])],
        ),
    )
    .unwrap();
    // The guardian's own key updates the subject.
    env.exec(
        &guardian,
        update(
            subject.address(),
            vec![UpdateOp::AddService(Service {
                id: "hub".into(),
                kind: "LinkedDomains".into(),
                endpoint: "https://hub.example".into(),
            })],
        ),
    )
    .unwrap();
    let r = env.resolve(subject.address(), Selector::Latest).unwrap();
    assert_eq!(r.record.state.services.len(), 1);
    // Once the guardian is deactivated it controls nothing.
    env.exec(
        &guardian,
        DidCall::Deactivate {
            did: guardian.address(),
        }
        .call(),
    )
    .unwrap();
    assert!(env
        .exec(
            &guardian,
            update(
                subject.address(),
                vec![UpdateOp::RemoveService { id: "hub".into() }]
            )
        )
        .is_err());
}

#[test]
fn rotation_keeps_old_versions_resolvable_by_version_and_time() {
    let env = Env::governed();
    let (k1, k2, k3) = (key(1), key(2), key(3));
    let did = k1.address();
    env.create_did(&k1); // t = 1_001_000
    let t1 = env.clock.get();
    env.exec(
        &k1,
        update(
            did,
            vec![UpdateOp::RotateKey {
                fragment: "key-1".into(),
                public_key: k2.public_key(),
            }],
        ),
    )
    .unwrap(); // t = 1_002_000
    let t2 = env.clock.get();
    // The old key lost control; the new one has it.
    assert!(env
        .exec(
            &k1,
            update(
                did,
                vec![UpdateOp::RotateKey {
                    fragment: "key-2".into(),
                    public_key: k3.public_key()
                }]
            )
        )
        .unwrap_err()
        .contains("unauthorized"));
    env.exec(
        &k2,
        update(
            did,
            vec![UpdateOp::RotateKey {
                fragment: "key-2".into(),
                public_key: k3.public_key(),
            }],
        ),
    )
    .unwrap();
    let t3 = env.clock.get();

    let latest = env.resolve(did, Selector::Latest).unwrap();
    assert_eq!(latest.version, 3);
    assert_eq!(latest.record.state.keys[0].public_key, k3.public_key());
    assert_eq!(latest.head.created_ms, t1);
    assert_eq!(latest.next_update_ms, None);

    let v1 = env.resolve(did, Selector::Version(1)).unwrap();
    assert_eq!(v1.record.state.keys[0].public_key, k1.public_key());
    assert_eq!(v1.next_update_ms, Some(t2));
    assert_eq!(
        env.resolve(did, Selector::Version(2))
            .unwrap()
            .record
            .state
            .keys[0]
            .public_key,
        k2.public_key()
    );
    assert!(env.resolve(did, Selector::Version(0)).is_none());
    assert!(env.resolve(did, Selector::Version(4)).is_none());

    // versionTime: the version valid then (a credential signed by k1 at t1 + 500 verifies).
    let at = |t| env.resolve(did, Selector::Time(t)).map(|r| r.version);
    assert_eq!(at(t1 - 1), None);
    assert_eq!(at(t1), Some(1));
    assert_eq!(at(t1 + 500), Some(1));
    assert_eq!(at(t2), Some(2));
    assert_eq!(at(t3 - 1), Some(2));
    assert_eq!(at(t3), Some(3));
    assert_eq!(at(u64::MAX), Some(3));
}

#[test]
fn version_time_search_is_correct_over_many_versions() {
    let env = Env::governed();
    let k = key(1);
    let did = k.address();
    env.create_did(&k);
    let mut times = vec![(env.clock.get(), 0usize)];
    for i in 0..20u8 {
        // Toggle one service so every version differs.
        let op = if i % 2 == 0 {
            UpdateOp::AddService(Service {
                id: "s".into(),
                kind: "T".into(),
                endpoint: "https://x.example".into(),
            })
        } else {
            UpdateOp::RemoveService { id: "s".into() }
        };
        env.exec(&k, update(did, vec![op])).unwrap();
        times.push((env.clock.get(), usize::from(i % 2 == 0)));
    }
    for (i, (t, services)) in times.iter().enumerate() {
        let r = env.resolve(did, Selector::Time(t + 999)).unwrap();
        assert_eq!(r.version as usize, i + 1);
        assert_eq!(r.record.state.services.len(), *services);
        assert_eq!(
            env.resolve(did, Selector::Time(*t)).unwrap().version as usize,
            i + 1
        );
    }
}

#[test]
fn deactivated_dids_cannot_be_updated_and_keep_their_history() {
    let env = Env::governed();
    let k = key(1);
    let did = k.address();
    env.create_did(&k);
    env.exec(&k, DidCall::Deactivate { did }.call()).unwrap();
    let r = env.resolve(did, Selector::Latest).unwrap();
    assert!(r.head.deactivated && r.record.deactivated);
    assert!(r.record.state.keys.is_empty());
    let err = env
        .exec(
            &k,
            update(did, vec![UpdateOp::RemoveService { id: "x".into() }]),
        )
        .unwrap_err();
    assert!(err.contains("deactivated"), "{err}");
    assert!(env
        .exec(&k, DidCall::Deactivate { did }.call())
        .unwrap_err()
        .contains("deactivated"));
    assert!(env.exec(&k, create(&k)).is_err());
    // Version 1 still shows the key that signed before deactivation.
    assert_eq!(
        env.resolve(did, Selector::Version(1))
            .unwrap()
            .record
            .state
            .keys[0]
            .public_key,
        k.public_key()
    );
}

#[test]
fn state_proofs_verify_and_tampering_fails() {
    let env = Env::governed();
    let k = key(1);
    let did = k.address();
    env.create_did(&k);
    env.exec(
        &k,
        update(
            did,
            vec![UpdateOp::RotateKey {
                fragment: "key-1".into(),
                public_key: key(2).public_key(),
            }],
        ),
    )
    .unwrap();
    let h = env.node.height();
    let p = proof::DocumentProof {
        head: env
            .node
            .state_proof(registry::NAME, &registry::head_key(&did), Some(h))
            .unwrap(),
        version: env
            .node
            .state_proof(registry::NAME, &registry::version_key(&did, 1), Some(h))
            .unwrap(),
    };
    let v = proof::verify(&p, &did).unwrap();
    assert_eq!(v.version, 1);
    assert_eq!(v.head.version, 2);
    assert_eq!(v.record.state.keys[0].public_key, k.public_key());

    // Tampered document: a different key in the record.
    let mut bad = p.clone();
    let mut rec = v.record.clone();
    rec.state.keys[0].public_key = key(9).public_key();
    bad.version.value = Some(borsh::to_vec(&rec).unwrap());
    assert!(proof::verify(&bad, &did).is_err());
    // Tampered head (hiding a deactivation or a later version).
    let mut bad = p.clone();
    let mut head = v.head.clone();
    head.deactivated = true;
    bad.head.value = Some(borsh::to_vec(&head).unwrap());
    assert!(proof::verify(&bad, &did).is_err());
    // Another DID's proof presented for this DID.
    assert!(proof::verify(&p, &key(2).address()).is_err());
    // Tampered header state root.
    let mut bad = p.clone();
    bad.head.header.state_root.0[0] ^= 1;
    bad.version.header = bad.head.header.clone();
    assert!(proof::verify(&bad, &did).is_err());
}

#[test]
fn bad_update_arguments_are_refused_clearly() {
    let env = Env::governed();
    let k = key(1);
    env.create_did(&k);
    let err = env
        .exec(
            &k,
            update(
                k.address(),
                vec![UpdateOp::RemoveKey {
                    fragment: "key-1".into(),
                }],
            ),
        )
        .unwrap_err();
    assert!(err.contains("no capabilityInvocation key"), "{err}");
    let err = env
        .exec(
            &k,
            update(
                key(5).address(),
                vec![UpdateOp::RemoveKey {
                    fragment: "key-1".into(),
                }],
            ),
        )
        .unwrap_err();
    assert!(err.contains("not found"), "{err}");
    let garbage = Call {
        module: "did".into(),
        method: "update".into(),
        args: vec![1, 2, 3],
    };
    assert!(env
        .exec(&k, garbage)
        .unwrap_err()
        .contains("invalid arguments"));
    // Method name must match the arguments.
    let mut c = create(&k);
    c.method = "update".into();
    assert!(env.exec(&k, c).is_err());
}

#[test]
fn issuers_apply_and_only_the_committee_recognises() {
    let env = Env::governed();
    let (bank, mallory, nodid) = (key(1), key(2), key(3));
    env.create_did(&bank);
    env.create_did(&mallory);
    // Without a DID no one applies.
    assert!(env
        .exec(
            &nodid,
            IssuerCall::Apply {
                name: "X".into(),
                description: "".into()
            }
            .call()
        )
        .unwrap_err()
        .contains("no active DID"));
    env.exec(
        &bank,
        IssuerCall::Apply {
            name: "Bank".into(),
            description: "A bank".into(),
        }
        .call(),
    )
    .unwrap();
    // Applying again (same or new text) does not count twice.
    env.exec(
        &bank,
        IssuerCall::Apply {
            name: "Bank".into(),
            description: "A bank".into(),
        }
        .call(),
    )
    .unwrap();
    env.exec(
        &bank,
        IssuerCall::Apply {
            name: "Bank plc".into(),
            description: "A bank".into(),
        }
        .call(),
    )
    .unwrap();
    let (m, a) = IssuerQuery::List {
        offset: 0,
        limit: 10,
    }
    .args();
    let (count, list): (u64, Vec<IssuerInfo>) =
        borsh::from_slice(&env.node.call("issuer", m, &a, None).unwrap()).unwrap();
    assert_eq!(count, 1);
    assert_eq!(list[0].application.name, "Bank plc");
    assert!(!list[0].recognised);

    // A non-committee account cannot recognise: its governance proposal is refused.
    let grant = Action::Grant {
        account: bank.address(),
        permission: permissions::AUTHORITY_ISSUER.into(),
    };
    let err = env
        .exec(
            &mallory,
            governance::call(GovernanceCall::Propose { action: grant }),
        )
        .unwrap_err();
    assert!(err.contains("unauthorized"), "{err}");
    assert!(!env.issuer(bank.address()).unwrap().recognised);

    // The committee recognises, then de-recognises.
    env.recognise(bank.address(), true);
    assert!(env.issuer(bank.address()).unwrap().recognised);
    env.recognise(bank.address(), false);
    assert!(!env.issuer(bank.address()).unwrap().recognised);

    // A grant to an account that never applied recognises nothing.
    env.recognise(mallory.address(), true);
    assert!(env.issuer(mallory.address()).is_none());
}

#[test]
fn issuer_types_are_managed_by_their_authority_owner() {
    let env = Env::governed();
    let (gov, univ, student, mallory) = (key(1), key(2), key(3), key(4));
    for k in [&gov, &univ, &student, &mallory] {
        env.create_did(k);
    }
    let create_type = IssuerCall::CreateType {
        name: "university".into(),
    }
    .call();
    assert!(env
        .exec(&gov, create_type.clone())
        .unwrap_err()
        .contains("unauthorized"));
    env.exec(
        &gov,
        IssuerCall::Apply {
            name: "Ministry".into(),
            description: "".into(),
        }
        .call(),
    )
    .unwrap();
    env.recognise(gov.address(), true);
    env.exec(&gov, create_type.clone()).unwrap();
    assert!(env.exec(&gov, create_type).unwrap_err().contains("exists"));
    let add = |who: Address| {
        IssuerCall::AddMember {
            type_name: "university".into(),
            member: who,
        }
        .call()
    };
    let remove = |who: Address| {
        IssuerCall::RemoveMember {
            type_name: "university".into(),
            member: who,
        }
        .call()
    };
    assert!(env
        .exec(&mallory, add(mallory.address()))
        .unwrap_err()
        .contains("unauthorized"));
    env.exec(&gov, add(univ.address())).unwrap();
    env.exec(&gov, add(univ.address())).unwrap(); // idempotent
    env.exec(&gov, add(student.address())).unwrap();
    env.exec(&gov, remove(student.address())).unwrap();
    env.exec(&gov, remove(student.address())).unwrap(); // idempotent
    env.exec(&gov, add(student.address())).unwrap(); // re-added: listed once
    assert!(env
        .exec(&gov, add(key(9).address()))
        .unwrap_err()
        .contains("not an active DID"));
    let (m, a) = IssuerQuery::Type {
        name: "university".into(),
        offset: 0,
        limit: 10,
    }
    .args();
    let (t, members): (IssuerType, Vec<Address>) =
        borsh::from_slice::<Option<(IssuerType, Vec<Address>)>>(
            &env.node.call("issuer", m, &a, None).unwrap(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(t.member_count, 2);
    assert_eq!(t.index_len, 2);
    assert_eq!(members, vec![univ.address(), student.address()]);
    // An owner that loses recognition can no longer manage its type.
    env.recognise(gov.address(), false);
    assert!(env
        .exec(&gov, remove(univ.address()))
        .unwrap_err()
        .contains("unauthorized"));
}

#[test]
fn cpt_ranges_versions_and_publisher_checks() {
    let env = Env::governed();
    let (auth, anyone, mallory) = (key(1), key(2), key(3));
    for k in [&auth, &anyone, &mallory, &env.committee] {
        env.create_did(k);
    }
    // No DID, no CPT.
    assert!(env
        .exec(&key(50), register(None, SCHEMA))
        .unwrap_err()
        .contains("no active DID"));
    // Open range: anyone with a DID; auto ids from 2,000,000.
    env.exec(&anyone, register(None, SCHEMA)).unwrap();
    let c = env.cpt(cpt::ANYONE_MIN, None).unwrap();
    assert_eq!((c.version, c.publisher), (1, anyone.address()));
    let canonical = weft_did::canonical::to_string(&serde_json::from_str(SCHEMA).unwrap());
    assert_eq!(c.schema, canonical);
    assert_eq!(c.digest, weft_chain::Hash::sha256(canonical.as_bytes()));
    env.exec(&anyone, register(Some(5_000_000), SCHEMA))
        .unwrap();

    // Authority range: only recognised authority issuers.
    assert!(env
        .exec(&anyone, register(Some(1500), SCHEMA))
        .unwrap_err()
        .contains("unauthorized"));
    env.exec(
        &auth,
        IssuerCall::Apply {
            name: "Auth".into(),
            description: "".into(),
        }
        .call(),
    )
    .unwrap();
    env.recognise(auth.address(), true);
    env.exec(&auth, register(Some(1500), SCHEMA)).unwrap();

    // System range: the committee (or a CPT admin grant).
    assert!(env
        .exec(&auth, register(Some(7), SCHEMA))
        .unwrap_err()
        .contains("unauthorized"));
    env.exec(&env.committee, register(Some(7), SCHEMA)).unwrap();

    // New versions: only the publisher; old versions stay resolvable.
    let v2 = SCHEMA.replace("\"minimum\":0", "\"minimum\":18");
    let err = env.exec(&mallory, register(Some(1500), &v2)).unwrap_err();
    assert!(err.contains("only the publisher"), "{err}");
    env.exec(&auth, register(Some(1500), &v2)).unwrap();
    let latest = env.cpt(1500, None).unwrap();
    assert_eq!((latest.version, latest.latest), (2, 2));
    let first = env.cpt(1500, Some(1)).unwrap();
    assert_eq!((first.version, first.latest), (1, 2));
    assert_ne!(first.digest, latest.digest);
    assert!(env.cpt(1500, Some(3)).is_none());
    assert!(env.cpt(1500, Some(0)).is_none());
}

#[test]
fn invalid_schemas_are_refused() {
    let env = Env::governed();
    let k = key(1);
    env.create_did(&k);
    let big = format!(
        r#"{{"description":"{}"}}"#,
        "x".repeat(cpt::MAX_SCHEMA_BYTES)
    );
    let cases = [
        ("not json", "{"),
        ("not an object", "[1,2]"),
        (
            "wrong draft",
            r#"{"$schema":"http://json-schema.org/draft-07/schema#","type":"string"}"#,
        ),
        ("bad type", r#"{"type":"strin"}"#),
        ("bad minimum", r#"{"minimum":"ten"}"#),
        ("bad required", r#"{"required":"name"}"#),
        ("bad regex", r#"{"pattern":"(unclosed"}"#),
        (
            "external ref",
            r#"{"$ref":"https://example.com/other.json"}"#,
        ),
        ("too large", big.as_str()),
    ];
    for (what, schema) in cases {
        let err = env.exec(&k, register(None, schema)).unwrap_err();
        assert!(err.contains("invalid arguments"), "{what}: {err}");
    }
    assert!(env.cpt(cpt::ANYONE_MIN, None).is_none());
    // A minimal valid schema is accepted.
    env.exec(&k, register(None, r#"{"type":"object"}"#))
        .unwrap();
}

#[test]
fn documents_render_as_did_core() {
    let env = Env::governed();
    let k = key(1);
    env.create_did(&k);
    let r = env.resolve(k.address(), Selector::Latest).unwrap();
    let doc = weft_did::document::render(CHAIN, k.address(), &r.record.state);
    let did = format!("did:weft:{CHAIN}:{}", k.address());
    assert_eq!(doc["id"], did);
    assert_eq!(doc["authentication"][0], format!("{did}#key-1"));
    let meta = weft_did::resolution::document_metadata(&r);
    assert_eq!(meta["versionId"], "1");
    assert!(meta.get("deactivated").is_none());
    let _: DidState = r.record.state;
}
