//! The `status` module on a real node (single validator, blocks produced by hand) and the pure
//! Bitstring Status List functions: encoding round trip, decompression-bomb guard, entry
//! parsing and status checks. Every rule is exercised from its negative side too.

use proptest::prelude::*;
use serde_json::json;
use weft_chain::Address;
use weft_chain::{Hash, Keypair};
use weft_did::status::{
    self, bit_at, check_entry, decode_list, decode_list_capped, encode_list, ListMeta, StatusCall,
    StatusEntry, StatusError, StatusOutcome, StatusPurpose, StatusQuery,
};

mod common;
use common::Env;

impl Env {
    fn create(&self, key: &Keypair, purpose: StatusPurpose) -> Hash {
        let attrs = self
            .exec_events(
                key,
                StatusCall::CreateList {
                    purpose,
                    length: status::MIN_LENGTH,
                }
                .call(),
            )
            .unwrap();
        let id = attrs.iter().find(|(k, _)| k == "list").unwrap().1.clone();
        id.parse().unwrap()
    }

    fn update(
        &self,
        key: &Keypair,
        list: Hash,
        set: Vec<u64>,
        clear: Vec<u64>,
    ) -> Result<(), String> {
        self.exec_events(key, StatusCall::Update { list, set, clear }.call())
            .map(|_| ())
    }

    fn query<T: borsh::BorshDeserialize>(&self, q: StatusQuery) -> T {
        let (m, a) = q.args();
        borsh::from_slice(&self.node.call(status::NAME, m, &a, None).unwrap()).unwrap()
    }

    fn bit(&self, list: Hash, index: u64) -> bool {
        self.query::<Option<bool>>(StatusQuery::Bit { list, index })
            .unwrap()
    }
}

#[test]
fn owner_creates_and_updates_others_refused() {
    let env = Env::new();
    let owner = Keypair::from_seed(&[1; 32]);
    let other = Keypair::from_seed(&[2; 32]);
    let list = env.create(&owner, StatusPurpose::Revocation);
    assert_eq!(list, status::list_id(&owner.address(), 0));
    // A second list of the same owner gets a fresh id.
    let list2 = env.create(&owner, StatusPurpose::Suspension);
    assert_eq!(list2, status::list_id(&owner.address(), 1));

    let meta: ListMeta = env
        .query::<Option<ListMeta>>(StatusQuery::Meta { list })
        .unwrap();
    assert_eq!(meta.owner, owner.address());
    assert_eq!(meta.purpose, StatusPurpose::Revocation);
    assert_eq!(meta.length, status::MIN_LENGTH);

    env.update(&owner, list, vec![0, 7, 4096, 131_071], vec![])
        .unwrap();
    for i in [0, 7, 4096, 131_071] {
        assert!(env.bit(list, i), "bit {i}");
    }
    assert!(!env.bit(list, 1));
    let (meta, bits): (ListMeta, Vec<u8>) = env
        .query::<Option<(ListMeta, Vec<u8>)>>(StatusQuery::Bits { list })
        .unwrap();
    assert_eq!(meta.set_count, 4);
    assert_eq!(bits.len(), 16 * 1024);
    assert_eq!(bits[0], 0b1000_0001);
    assert_eq!(bits[512], 0x80);
    assert_eq!(bits[16 * 1024 - 1], 0x01);

    // Another account may not write, even a bit that is already set.
    let err = env.update(&other, list, vec![5], vec![]).unwrap_err();
    assert!(err.starts_with("unauthorized"), "{err}");
    assert!(!env.bit(list, 5));

    // Out of range.
    let err = env.update(&owner, list, vec![131_072], vec![]).unwrap_err();
    assert!(err.contains("out of range"), "{err}");
    // Set and clear of one index.
    let err = env.update(&owner, list2, vec![3], vec![3]).unwrap_err();
    assert!(err.contains("both set and cleared"), "{err}");
    // Unknown list.
    let err = env
        .update(&owner, Hash([9; 32]), vec![1], vec![])
        .unwrap_err();
    assert!(err.starts_with("not found"), "{err}");
    // Query out of range is an error; unknown list is None.
    let (m, a) = StatusQuery::Bit {
        list,
        index: 131_072,
    }
    .args();
    assert!(env.node.call(status::NAME, m, &a, None).is_err());
    assert_eq!(
        env.query::<Option<bool>>(StatusQuery::Bit {
            list: Hash([9; 32]),
            index: 0
        }),
        None
    );
}

#[test]
fn length_rules() {
    let env = Env::new();
    let owner = Keypair::from_seed(&[1; 32]);
    for length in [
        0,
        8,
        status::MIN_LENGTH - 8,
        status::MIN_LENGTH + 4,
        status::MAX_LENGTH + 8,
    ] {
        let err = env
            .exec_events(
                &owner,
                StatusCall::CreateList {
                    purpose: StatusPurpose::Revocation,
                    length,
                }
                .call(),
            )
            .unwrap_err();
        assert!(err.starts_with("invalid arguments"), "{length}: {err}");
    }
    // An odd-sized last chunk works.
    env.exec_events(
        &owner,
        StatusCall::CreateList {
            purpose: StatusPurpose::Suspension,
            length: status::MIN_LENGTH + 8,
        }
        .call(),
    )
    .unwrap();
    let list = status::list_id(&owner.address(), 0);
    env.update(&owner, list, vec![status::MIN_LENGTH + 7], vec![])
        .unwrap();
    assert!(env.bit(list, status::MIN_LENGTH + 7));
}

#[test]
fn revocation_is_final_suspension_round_trips() {
    let env = Env::new();
    let owner = Keypair::from_seed(&[1; 32]);
    let rev = env.create(&owner, StatusPurpose::Revocation);
    let sus = env.create(&owner, StatusPurpose::Suspension);

    env.update(&owner, rev, vec![42], vec![]).unwrap();
    let err = env.update(&owner, rev, vec![], vec![42]).unwrap_err();
    assert!(err.contains("revocation is final"), "{err}");
    assert!(env.bit(rev, 42));
    // Clearing a clear bit of a revocation list changes nothing and is accepted.
    env.update(&owner, rev, vec![], vec![43]).unwrap();

    env.update(&owner, sus, vec![42], vec![]).unwrap();
    assert!(env.bit(sus, 42));
    env.update(&owner, sus, vec![], vec![42]).unwrap();
    assert!(!env.bit(sus, 42));
    let meta = env
        .query::<Option<ListMeta>>(StatusQuery::Meta { list: sus })
        .unwrap();
    assert_eq!(meta.set_count, 0);
}

#[test]
fn update_size_is_capped() {
    let env = Env::new();
    let owner = Keypair::from_seed(&[1; 32]);
    let list = env.create(&owner, StatusPurpose::Suspension);
    let set: Vec<u64> = (0..status::MAX_UPDATE as u64 + 1).collect();
    let err = env.update(&owner, list, set, vec![]).unwrap_err();
    assert!(err.contains("at most"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Pure functions

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn encode_decode_round_trip(bits in proptest::collection::vec(any::<u8>(), 0..20_000)) {
        let encoded = encode_list(&bits);
        prop_assert!(encoded.starts_with('u'));
        prop_assert_eq!(decode_list(&encoded).unwrap(), bits);
    }

    #[test]
    fn bit_at_matches_msb_first(bytes in proptest::collection::vec(any::<u8>(), 1..64), i in 0u64..512) {
        let expected = bytes.get((i / 8) as usize).map(|b| (b >> (7 - i % 8)) & 1 == 1);
        prop_assert_eq!(bit_at(&bytes, i), expected);
    }
}

#[test]
fn decompression_bomb_refused() {
    // 64 MiB of zeros compress to a few dozen KiB.
    let bomb = encode_list(&vec![0u8; 64 * 1024 * 1024]);
    assert!(bomb.len() < 200_000);
    assert_eq!(decode_list(&bomb), Err(StatusError::TooLarge));
    let small = encode_list(&[0u8; 1025]);
    assert_eq!(decode_list_capped(&small, 1024), Err(StatusError::TooLarge));
    assert_eq!(decode_list_capped(&small, 1025).unwrap().len(), 1025);
}

#[test]
fn decode_errors() {
    assert_eq!(decode_list("zabc"), Err(StatusError::NotMultibase));
    assert!(matches!(decode_list("u!!!"), Err(StatusError::Base64(_))));
    assert!(matches!(decode_list("uAAAA"), Err(StatusError::Gzip(_))));
}

#[test]
fn spec_example_list_decodes() {
    // The empty 16 KiB list of the Bitstring Status List examples: all zero.
    let encoded = encode_list(&[0u8; 16 * 1024]);
    let bits = decode_list(&encoded).unwrap();
    assert_eq!(bits.len(), 16 * 1024);
    assert!(bits.iter().all(|b| *b == 0));
}

fn entry_json() -> serde_json::Value {
    json!({
        "id": "https://example.org/status-lists/1#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://example.org/status-lists/1"
    })
}

#[test]
fn entry_parses_and_round_trips() {
    let e = StatusEntry::parse(&entry_json()).unwrap();
    assert_eq!(e.index, 94567);
    assert_eq!(e.purpose, StatusPurpose::Revocation);
    assert_eq!(StatusEntry::parse(&e.to_json()).unwrap(), e);
    let mut v = entry_json();
    v["statusSize"] = json!(1);
    assert!(StatusEntry::parse(&v).is_ok());
}

#[test]
fn entry_parsing_errors() {
    type Case = (&'static str, serde_json::Value, fn(&StatusError) -> bool);
    let cases: Vec<Case> = vec![
        ("type", json!("StatusList2021Entry"), |e| {
            matches!(e, StatusError::Malformed(_))
        }),
        ("statusPurpose", json!("refresh"), |e| {
            matches!(e, StatusError::UnsupportedPurpose(_))
        }),
        ("statusListIndex", json!(94567), |e| {
            matches!(e, StatusError::Malformed(_))
        }),
        ("statusListIndex", json!("-1"), |e| {
            matches!(e, StatusError::Malformed(_))
        }),
        ("statusListIndex", json!("0x10"), |e| {
            matches!(e, StatusError::Malformed(_))
        }),
        ("statusListIndex", json!("007"), |e| {
            matches!(e, StatusError::Malformed(_))
        }),
        ("statusListIndex", json!("99999999999999999999999"), |e| {
            matches!(e, StatusError::Malformed(_))
        }),
        ("statusListCredential", json!("nourl"), |e| {
            matches!(e, StatusError::Malformed(_))
        }),
        ("statusSize", json!(2), |e| {
            matches!(e, StatusError::UnsupportedSize(_))
        }),
        ("id", json!(5), |e| matches!(e, StatusError::Malformed(_))),
    ];
    for (field, value, check) in cases {
        let mut v = entry_json();
        v[field] = value.clone();
        let err = StatusEntry::parse(&v).unwrap_err();
        assert!(check(&err), "{field}={value}: {err:?}");
    }
    let mut v = entry_json();
    v.as_object_mut().unwrap().remove("statusListCredential");
    assert!(matches!(
        StatusEntry::parse(&v),
        Err(StatusError::Malformed(_))
    ));
    assert!(matches!(
        StatusEntry::parse(&json!([])),
        Err(StatusError::Malformed(_))
    ));
}

#[test]
fn check_entry_outcomes() {
    let mut bits = vec![0u8; 16 * 1024];
    bits[94567 / 8] |= 0x80 >> (94567 % 8);
    let rev = StatusEntry::parse(&entry_json()).unwrap();
    assert_eq!(
        check_entry(&rev, StatusPurpose::Revocation, &bits),
        Ok(StatusOutcome::Revoked)
    );
    let mut sus = rev.clone();
    sus.purpose = StatusPurpose::Suspension;
    assert_eq!(
        check_entry(&sus, StatusPurpose::Suspension, &bits),
        Ok(StatusOutcome::Suspended)
    );
    let mut valid = rev.clone();
    valid.index = 94566;
    assert_eq!(
        check_entry(&valid, StatusPurpose::Revocation, &bits),
        Ok(StatusOutcome::Valid)
    );
    assert!(matches!(
        check_entry(&rev, StatusPurpose::Suspension, &bits),
        Err(StatusError::PurposeMismatch { .. })
    ));
    let mut far = rev.clone();
    far.index = 16 * 1024 * 8;
    assert_eq!(
        check_entry(&far, StatusPurpose::Revocation, &bits),
        Err(StatusError::OutOfRange {
            index: 131_072,
            length: 131_072
        })
    );
}

#[test]
fn status_list_credential_shape() {
    let bits = vec![0u8; 16 * 1024];
    let vc = status::status_list_credential(
        "https://example.org/status-lists/1",
        "did:weft:weft-test:0x0000000000000000000000000000000000000001",
        StatusPurpose::Suspension,
        &bits,
        "2026-11-21T00:00:00Z",
    );
    assert_eq!(vc["type"][1], "BitstringStatusListCredential");
    assert_eq!(vc["credentialSubject"]["type"], "BitstringStatusList");
    assert_eq!(vc["credentialSubject"]["statusPurpose"], "suspension");
    let decoded = decode_list(vc["credentialSubject"]["encodedList"].as_str().unwrap()).unwrap();
    assert_eq!(decoded, bits);
    let _ = Address::default();
}
