//! DID documents: the compact form kept on chain ([`DidState`]), the update operations that
//! change it ([`UpdateOp`]), and the W3C DID Core JSON rendering ([`render`]).
//!
//! Verification methods are Ed25519 `Multikey`s with fragments `#key-<n>`; `n` never repeats
//! within a DID, so a rotated key's id is never reused for another key.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use weft_chain::{Address, ModuleError, PublicKey};

use crate::did::Did;
use crate::multikey;

/// Most verification methods in one document.
pub const MAX_KEYS: usize = 16;
/// Most services in one document.
pub const MAX_SERVICES: usize = 16;
/// Most controllers of one DID.
pub const MAX_CONTROLLERS: usize = 8;
/// Most operations in one update.
pub const MAX_OPS: usize = 32;
/// Longest service id fragment and type.
pub const MAX_SERVICE_NAME: usize = 64;
/// Longest service endpoint.
pub const MAX_ENDPOINT: usize = 512;

/// Verification relationships of a key, as bits.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
pub struct Relationships(pub u8);

impl Relationships {
    /// `authentication`.
    pub const AUTHENTICATION: u8 = 1;
    /// `assertionMethod` (signing credentials).
    pub const ASSERTION_METHOD: u8 = 2;
    /// `capabilityInvocation` (updating this DID document).
    pub const CAPABILITY_INVOCATION: u8 = 4;
    /// Every relationship (what the creating key gets).
    pub const ALL: Relationships = Relationships(7);

    /// Whether the bit `flag` is set.
    pub fn has(self, flag: u8) -> bool {
        self.0 & flag != 0
    }

    /// Parses relationship names (`authentication`, `assertionMethod`, `capabilityInvocation`).
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Relationships, String> {
        let mut bits = 0;
        for name in names {
            bits |= match name.as_ref() {
                "authentication" => Self::AUTHENTICATION,
                "assertionMethod" => Self::ASSERTION_METHOD,
                "capabilityInvocation" => Self::CAPABILITY_INVOCATION,
                other => return Err(format!("unknown verification relationship {other:?}")),
            };
        }
        Ok(Relationships(bits))
    }
}

/// A verification method.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct VerificationKey {
    /// Fragment, `key-<n>`.
    pub fragment: String,
    /// The Ed25519 public key.
    pub public_key: PublicKey,
    /// What the key may be used for.
    pub relationships: Relationships,
}

/// A service endpoint.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Service {
    /// Fragment (`[A-Za-z0-9._-]`, 1..=64 bytes).
    pub id: String,
    /// Service type (printable ASCII, 1..=64 bytes).
    #[serde(rename = "type")]
    pub kind: String,
    /// Endpoint URI (printable ASCII, 1..=512 bytes).
    pub endpoint: String,
}

/// One version of a DID document as stored on chain.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct DidState {
    /// Verification methods.
    pub keys: Vec<VerificationKey>,
    /// Services.
    pub services: Vec<Service>,
    /// Controller DIDs (same chain), by address; empty means the DID controls itself.
    pub controllers: Vec<Address>,
    /// Number of the next key fragment.
    pub next_key: u32,
}

/// A change to a DID document.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum UpdateOp {
    /// Adds a key with the given relationships (fragment assigned by the chain).
    AddKey {
        /// The key.
        public_key: PublicKey,
        /// Its relationships.
        relationships: Relationships,
    },
    /// Removes a key.
    RemoveKey {
        /// Its fragment.
        fragment: String,
    },
    /// Replaces a key by a new one with the same relationships (new fragment).
    RotateKey {
        /// Fragment of the key to retire.
        fragment: String,
        /// The new key.
        public_key: PublicKey,
    },
    /// Adds a service.
    AddService(Service),
    /// Removes a service.
    RemoveService {
        /// Its fragment.
        id: String,
    },
    /// Replaces the controller list (same-chain DIDs, by address).
    SetControllers(Vec<Address>),
}

fn invalid(msg: impl Into<String>) -> ModuleError {
    ModuleError::InvalidArgs(msg.into())
}

fn check_key(state: &DidState, key: &PublicKey) -> Result<(), ModuleError> {
    if key.to_verifying_key().is_none() {
        return Err(invalid(format!("{key} is not a valid Ed25519 key")));
    }
    if state.keys.iter().any(|k| k.public_key == *key) {
        return Err(ModuleError::Rejected(format!(
            "{key} is already in the document"
        )));
    }
    Ok(())
}

fn printable(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| (0x21..0x7f).contains(&b))
}

fn check_service(state: &DidState, s: &Service) -> Result<(), ModuleError> {
    let id_ok = !s.id.is_empty()
        && s.id.len() <= MAX_SERVICE_NAME
        && s.id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !id_ok {
        return Err(invalid(
            "service id must be 1..=64 characters of A-Z a-z 0-9 . _ -",
        ));
    }
    if s.id.starts_with("key-") {
        return Err(invalid("service ids starting with \"key-\" are reserved"));
    }
    if !printable(&s.kind, MAX_SERVICE_NAME) {
        return Err(invalid("service type must be 1..=64 printable ASCII bytes"));
    }
    if !printable(&s.endpoint, MAX_ENDPOINT) || !s.endpoint.contains(':') {
        return Err(invalid(
            "service endpoint must be a URI of 1..=512 printable ASCII bytes",
        ));
    }
    if state.services.iter().any(|x| x.id == s.id) {
        return Err(ModuleError::Rejected(format!(
            "service {:?} already exists",
            s.id
        )));
    }
    Ok(())
}

impl DidState {
    /// The first version of a DID created by `key`: one key with every relationship.
    pub fn genesis(key: PublicKey, services: Vec<Service>) -> Result<DidState, ModuleError> {
        let mut state = DidState::default();
        check_key(&state, &key)?;
        state.push_key(key, Relationships::ALL);
        if services.len() > MAX_SERVICES {
            return Err(invalid(format!("at most {MAX_SERVICES} services")));
        }
        for s in services {
            check_service(&state, &s)?;
            state.services.push(s);
        }
        Ok(state)
    }

    fn push_key(&mut self, public_key: PublicKey, relationships: Relationships) {
        self.next_key += 1;
        self.keys.push(VerificationKey {
            fragment: format!("key-{}", self.next_key),
            public_key,
            relationships,
        });
    }

    /// Whether `signer` is the address of one of this document's `capabilityInvocation` keys.
    pub fn invokable_by(&self, signer: &Address) -> bool {
        self.keys.iter().any(|k| {
            k.relationships.has(Relationships::CAPABILITY_INVOCATION)
                && k.public_key.address() == *signer
        })
    }

    /// Applies `ops` in order (all or nothing). `me` is the DID's own address (it may not control
    /// itself through the controller list). The result must stay controllable: at least one
    /// `capabilityInvocation` key or one controller.
    pub fn apply(&self, me: &Address, ops: &[UpdateOp]) -> Result<DidState, ModuleError> {
        if ops.is_empty() || ops.len() > MAX_OPS {
            return Err(invalid(format!("an update has 1..={MAX_OPS} operations")));
        }
        let mut next = self.clone();
        for op in ops {
            match op {
                UpdateOp::AddKey {
                    public_key,
                    relationships,
                } => {
                    check_key(&next, public_key)?;
                    if relationships.0 == 0 || relationships.0 & !Relationships::ALL.0 != 0 {
                        return Err(invalid("a key needs at least one known relationship"));
                    }
                    next.push_key(*public_key, *relationships);
                }
                UpdateOp::RemoveKey { fragment } => {
                    let before = next.keys.len();
                    next.keys.retain(|k| k.fragment != *fragment);
                    if next.keys.len() == before {
                        return Err(ModuleError::NotFound(format!("key #{fragment}")));
                    }
                }
                UpdateOp::RotateKey {
                    fragment,
                    public_key,
                } => {
                    let pos = next
                        .keys
                        .iter()
                        .position(|k| k.fragment == *fragment)
                        .ok_or_else(|| ModuleError::NotFound(format!("key #{fragment}")))?;
                    check_key(&next, public_key)?;
                    let old = next.keys.remove(pos);
                    next.push_key(*public_key, old.relationships);
                }
                UpdateOp::AddService(s) => {
                    check_service(&next, s)?;
                    next.services.push(s.clone());
                }
                UpdateOp::RemoveService { id } => {
                    let before = next.services.len();
                    next.services.retain(|s| s.id != *id);
                    if next.services.len() == before {
                        return Err(ModuleError::NotFound(format!("service #{id}")));
                    }
                }
                UpdateOp::SetControllers(list) => {
                    let mut list = list.clone();
                    list.sort();
                    list.dedup();
                    if list.len() > MAX_CONTROLLERS {
                        return Err(invalid(format!("at most {MAX_CONTROLLERS} controllers")));
                    }
                    if list.contains(me) {
                        return Err(invalid("a DID is not listed as its own controller"));
                    }
                    next.controllers = list;
                }
            }
        }
        if next.keys.len() > MAX_KEYS {
            return Err(invalid(format!("at most {MAX_KEYS} keys")));
        }
        if next.services.len() > MAX_SERVICES {
            return Err(invalid(format!("at most {MAX_SERVICES} services")));
        }
        let controllable = next
            .keys
            .iter()
            .any(|k| k.relationships.has(Relationships::CAPABILITY_INVOCATION))
            || !next.controllers.is_empty();
        if !controllable {
            return Err(ModuleError::Rejected(
                "the update would leave no capabilityInvocation key and no controller \
                 (deactivate the DID instead)"
                    .into(),
            ));
        }
        Ok(next)
    }
}

/// The JSON-LD contexts of every document.
pub const CONTEXTS: [&str; 2] = [
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/multikey/v1",
];

/// Renders a `did:weft` document in W3C DID Core JSON(-LD).
pub fn render(chain_id: &str, address: Address, state: &DidState) -> Value {
    let did = Did::weft(chain_id, address).to_string();
    let controllers: Vec<String> = if state.controllers.is_empty() {
        vec![did.clone()]
    } else {
        state
            .controllers
            .iter()
            .map(|a| Did::weft(chain_id, *a).to_string())
            .collect()
    };
    let methods: Vec<Value> = state
        .keys
        .iter()
        .map(|k| {
            json!({
                "id": format!("{did}#{}", k.fragment),
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": multikey::encode(&k.public_key),
            })
        })
        .collect();
    let with = |flag: u8| -> Vec<String> {
        state
            .keys
            .iter()
            .filter(|k| k.relationships.has(flag))
            .map(|k| format!("{did}#{}", k.fragment))
            .collect()
    };
    let services: Vec<Value> = state
        .services
        .iter()
        .map(|s| {
            json!({
                "id": format!("{did}#{}", s.id),
                "type": s.kind,
                "serviceEndpoint": s.endpoint,
            })
        })
        .collect();
    json!({
        "@context": CONTEXTS,
        "id": did,
        "controller": controllers,
        "verificationMethod": methods,
        "authentication": with(Relationships::AUTHENTICATION),
        "assertionMethod": with(Relationships::ASSERTION_METHOD),
        "capabilityInvocation": with(Relationships::CAPABILITY_INVOCATION),
        "service": services,
    })
}

/// The document of a `did:key` (Ed25519): one key for authentication, assertion and invocation.
pub fn render_did_key(key: &PublicKey) -> Value {
    let mb = multikey::encode(key);
    let did = format!("did:key:{mb}");
    let vm = format!("{did}#{mb}");
    json!({
        "@context": CONTEXTS,
        "id": did,
        "verificationMethod": [{
            "id": vm,
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": mb,
        }],
        "authentication": [vm],
        "assertionMethod": [vm],
        "capabilityInvocation": [vm],
        "capabilityDelegation": [vm],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_chain::Keypair;

    fn key(i: u8) -> PublicKey {
        Keypair::from_seed(&[i; 32]).public_key()
    }

    #[test]
    fn rotation_keeps_relationships_and_never_reuses_fragments() {
        let me = key(1).address();
        let s = DidState::genesis(key(1), vec![]).unwrap();
        let s = s
            .apply(
                &me,
                &[UpdateOp::RotateKey {
                    fragment: "key-1".into(),
                    public_key: key(2),
                }],
            )
            .unwrap();
        assert_eq!(s.keys.len(), 1);
        assert_eq!(s.keys[0].fragment, "key-2");
        assert_eq!(s.keys[0].relationships, Relationships::ALL);
        assert!(s.invokable_by(&key(2).address()));
        assert!(!s.invokable_by(&me));
    }

    #[test]
    fn refuses_bad_updates() {
        let me = key(1).address();
        let s = DidState::genesis(key(1), vec![]).unwrap();
        // Removing the only invocation key bricks the DID.
        assert!(matches!(
            s.apply(
                &me,
                &[UpdateOp::RemoveKey {
                    fragment: "key-1".into()
                }]
            ),
            Err(ModuleError::Rejected(_))
        ));
        // Duplicate key, unknown fragment, self-control, empty update, bad point.
        assert!(s
            .apply(
                &me,
                &[UpdateOp::AddKey {
                    public_key: key(1),
                    relationships: Relationships(1)
                }]
            )
            .is_err());
        assert!(s
            .apply(
                &me,
                &[UpdateOp::RemoveKey {
                    fragment: "key-9".into()
                }]
            )
            .is_err());
        assert!(s.apply(&me, &[UpdateOp::SetControllers(vec![me])]).is_err());
        assert!(s.apply(&me, &[]).is_err());
        let mut not_a_point = [0u8; 32];
        not_a_point[0] = 2; // y = 2 has no x on the curve
        assert!(s
            .apply(
                &me,
                &[UpdateOp::AddKey {
                    public_key: PublicKey(not_a_point),
                    relationships: Relationships(1),
                }]
            )
            .is_err());
        // Bad services.
        for (id, kind, endpoint) in [
            ("", "T", "https://x"),
            ("a b", "T", "https://x"),
            ("key-1", "T", "https://x"),
            ("s", "", "https://x"),
            ("s", "T", "no-scheme"),
        ] {
            let svc = Service {
                id: id.into(),
                kind: kind.into(),
                endpoint: endpoint.into(),
            };
            assert!(
                s.apply(&me, &[UpdateOp::AddService(svc)]).is_err(),
                "{id} {kind} {endpoint}"
            );
        }
        // Too many keys.
        let ops: Vec<UpdateOp> = (2..=MAX_KEYS as u8 + 1)
            .map(|i| UpdateOp::AddKey {
                public_key: key(i),
                relationships: Relationships(1),
            })
            .collect();
        assert!(s.apply(&me, &ops).is_err());
    }

    #[test]
    fn renders_did_core() {
        let me = key(1).address();
        let s = DidState::genesis(
            key(1),
            vec![Service {
                id: "hub".into(),
                kind: "LinkedDomains".into(),
                endpoint: "https://a.example".into(),
            }],
        )
        .unwrap();
        let doc = render("weft-local", me, &s);
        let did = format!("did:weft:weft-local:{me}");
        assert_eq!(doc["id"], did);
        assert_eq!(doc["controller"][0], did);
        assert_eq!(doc["verificationMethod"][0]["type"], "Multikey");
        assert_eq!(
            doc["verificationMethod"][0]["publicKeyMultibase"],
            multikey::encode(&key(1))
        );
        assert_eq!(doc["capabilityInvocation"][0], format!("{did}#key-1"));
        assert_eq!(doc["service"][0]["serviceEndpoint"], "https://a.example");
    }
}
