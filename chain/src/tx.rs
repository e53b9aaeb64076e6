//! Transactions and their canonical, versioned, signed encoding.
//!
//! Wire format (borsh): `{ version: u8 = 1, tx: Transaction, signature: Signature }`.
//! The signature covers `b"weft/tx/v1" || borsh(tx)`; the transaction hash is SHA-256 of the full
//! wire encoding (so it commits to the signature too).

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::{hex_bytes, Address, Hash, Keypair, PublicKey, Signature};
use crate::error::{DecodeError, TxRejection};

/// The only wire version understood today.
pub const TX_VERSION: u8 = 1;
/// Domain separator of transaction signatures.
pub const TX_SIGNING_DOMAIN: &[u8] = b"weft/tx/v1";

/// A call of a module method; `args` is the borsh encoding of the module's call type.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Call {
    /// Module name (its state namespace).
    pub module: String,
    /// Method name.
    pub method: String,
    /// Borsh-encoded arguments.
    #[serde(with = "hex_bytes")]
    pub args: Vec<u8>,
}

/// An unsigned transaction.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Transaction {
    /// Chain the transaction is valid on.
    pub chain_id: String,
    /// Sender's Ed25519 public key.
    pub sender: PublicKey,
    /// Per-sender sequence number, starting at 0.
    pub nonce: u64,
    /// What to execute.
    pub call: Call,
}

impl Transaction {
    /// The bytes the sender signs: `b"weft/tx/v1" || borsh(self)`.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = TX_SIGNING_DOMAIN.to_vec();
        // Writing into a Vec cannot fail.
        BorshSerialize::serialize(self, &mut out).expect("write to Vec");
        out
    }

    /// Signs the transaction with `key` (which should match `sender`).
    pub fn sign(self, key: &Keypair) -> SignedTransaction {
        let signature = key.sign(&self.signing_bytes());
        SignedTransaction {
            tx: self,
            signature,
        }
    }
}

/// A transaction with its signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTransaction {
    /// The signed transaction.
    pub tx: Transaction,
    /// Ed25519 signature by `tx.sender` over [`Transaction::signing_bytes`].
    pub signature: Signature,
}

#[derive(BorshSerialize)]
struct WireRef<'a> {
    version: u8,
    tx: &'a Transaction,
    signature: &'a Signature,
}

#[derive(BorshDeserialize)]
struct Wire {
    version: u8,
    tx: Transaction,
    signature: Signature,
}

impl BorshSerialize for SignedTransaction {
    fn serialize<W: std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
        WireRef {
            version: TX_VERSION,
            tx: &self.tx,
            signature: &self.signature,
        }
        .serialize(writer)
    }
}

impl BorshDeserialize for SignedTransaction {
    fn deserialize_reader<R: std::io::Read>(reader: &mut R) -> std::io::Result<Self> {
        let wire = Wire::deserialize_reader(reader)?;
        if wire.version != TX_VERSION {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("unsupported transaction version {}", wire.version),
            ));
        }
        Ok(SignedTransaction {
            tx: wire.tx,
            signature: wire.signature,
        })
    }
}

impl SignedTransaction {
    /// The canonical wire encoding.
    pub fn encode(&self) -> Vec<u8> {
        borsh::to_vec(self).expect("write to Vec")
    }

    /// Decodes the wire encoding, rejecting unknown versions and trailing bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        match bytes.first() {
            None => return Err(DecodeError::Malformed("empty".into())),
            Some(&v) if v != TX_VERSION => return Err(DecodeError::UnsupportedVersion(v)),
            Some(_) => {}
        }
        borsh::from_slice(bytes).map_err(|e| DecodeError::Malformed(e.to_string()))
    }

    /// SHA-256 of the wire encoding.
    pub fn hash(&self) -> Hash {
        Hash::sha256(&self.encode())
    }

    /// Checks the signature against the sender key (strict Ed25519).
    pub fn verify_signature(&self) -> Result<(), TxRejection> {
        if self
            .tx
            .sender
            .verify(&self.tx.signing_bytes(), &self.signature)
        {
            Ok(())
        } else {
            Err(TxRejection::BadSignature)
        }
    }

    /// The sender's address.
    pub fn sender_address(&self) -> Address {
        self.tx.sender.address()
    }
}

/// Verifies many transaction signatures at once, in parallel.
///
/// Every signature is checked on its own with [`SignedTransaction::verify_signature`] (strict,
/// cofactorless Ed25519), so a verdict never depends on which other transactions share the call.
/// Ed25519 batch verification is deliberately not used: it checks the cofactored equation, which
/// accepts signatures whose `R` (or key) carries a small-order component that the strict check
/// rejects, so a crafted transaction would be valid in a batch and invalid alone — a split
/// between nodes that batch differently. Returns one verdict per transaction, in order.
pub fn verify_signatures(txs: &[&SignedTransaction]) -> Vec<bool> {
    use rayon::prelude::*;
    txs.par_iter()
        .map(|t| t.verify_signature().is_ok())
        .collect()
}

#[derive(Serialize)]
struct SignedTxView<'a> {
    hash: Hash,
    chain_id: &'a str,
    sender: PublicKey,
    from: Address,
    nonce: u64,
    call: &'a Call,
    signature: Signature,
    #[serde(with = "hex_bytes")]
    raw: Vec<u8>,
}

impl Serialize for SignedTransaction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = self.encode();
        SignedTxView {
            hash: Hash::sha256(&raw),
            chain_id: &self.tx.chain_id,
            sender: self.tx.sender,
            from: self.sender_address(),
            nonce: self.tx.nonce,
            call: &self.tx.call,
            signature: self.signature,
            raw,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for SignedTransaction {
    /// Accepts either the JSON view (its `raw` field is authoritative) or the plain fields
    /// `{ tx, signature }`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct In {
            #[serde(default, with = "crate::crypto::hex_opt_bytes")]
            raw: Option<Vec<u8>>,
            tx: Option<Transaction>,
            signature: Option<Signature>,
        }
        let input = In::deserialize(d)?;
        match (input.raw, input.tx, input.signature) {
            (Some(raw), _, _) => SignedTransaction::decode(&raw).map_err(serde::de::Error::custom),
            (None, Some(tx), Some(signature)) => Ok(SignedTransaction { tx, signature }),
            _ => Err(serde::de::Error::custom(
                "expected `raw` or `tx` and `signature`",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(nonce: u64, args: Vec<u8>, module: String) -> SignedTransaction {
        let kp = Keypair::from_seed(&[1u8; 32]);
        Transaction {
            chain_id: "weft-test".into(),
            sender: kp.public_key(),
            nonce,
            call: Call {
                module,
                method: "m".into(),
                args,
            },
        }
        .sign(&kp)
    }

    proptest! {
        #[test]
        fn encoding_round_trips_and_is_deterministic(
            nonce in any::<u64>(),
            args in proptest::collection::vec(any::<u8>(), 0..256),
            module in "[a-z]{1,16}",
        ) {
            let t = sample(nonce, args, module);
            let bytes = t.encode();
            prop_assert_eq!(bytes[0], TX_VERSION);
            let back = SignedTransaction::decode(&bytes).unwrap();
            prop_assert_eq!(&back, &t);
            prop_assert_eq!(back.encode(), bytes);
            prop_assert_eq!(back.hash(), t.hash());
            prop_assert!(back.verify_signature().is_ok());
            let json = serde_json::to_string(&t).unwrap();
            let from_json: SignedTransaction = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(from_json, t);
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = SignedTransaction::decode(&bytes);
        }
    }

    #[test]
    fn rejects_versions_trailing_bytes_and_tampering() {
        let t = sample(3, vec![1, 2, 3], "governance".into());
        let mut bytes = t.encode();
        bytes.push(0);
        assert!(matches!(
            SignedTransaction::decode(&bytes),
            Err(DecodeError::Malformed(_))
        ));
        let mut bytes = t.encode();
        bytes[0] = 2;
        assert_eq!(
            SignedTransaction::decode(&bytes),
            Err(DecodeError::UnsupportedVersion(2))
        );
        let mut bad = t.clone();
        bad.tx.nonce += 1;
        assert_eq!(bad.verify_signature(), Err(TxRejection::BadSignature));
        let mut bad = t.clone();
        bad.signature.0[5] ^= 1;
        assert_eq!(bad.verify_signature(), Err(TxRejection::BadSignature));
        let results = verify_signatures(&[&t, &bad, &t]);
        assert_eq!(results, vec![true, false, true]);
    }

    /// Re-signs `t` with a nonce point `R = r·B + T` where `T` has order 8: the cofactored
    /// (batch) equation holds, the strict cofactorless one does not.
    fn with_mixed_order_r(t: &SignedTransaction, seed: &[u8; 32]) -> SignedTransaction {
        use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
        use curve25519_dalek::Scalar;
        use sha2::{Digest, Sha512};

        let h = Sha512::digest(seed);
        let mut a_bytes = [0u8; 32];
        a_bytes.copy_from_slice(&h[..32]);
        a_bytes[0] &= 248;
        a_bytes[31] &= 127;
        a_bytes[31] |= 64;
        let a = Scalar::from_bytes_mod_order(a_bytes);
        let public = (ED25519_BASEPOINT_POINT * a).compress();
        assert_eq!(public.to_bytes(), t.tx.sender.0);

        let r = Scalar::from_bytes_mod_order_wide(&Sha512::digest(b"nonce").into());
        let big_r = (ED25519_BASEPOINT_POINT * r + EIGHT_TORSION[1]).compress();
        let msg = t.tx.signing_bytes();
        let k = Scalar::from_bytes_mod_order_wide(
            &Sha512::new()
                .chain_update(big_r.as_bytes())
                .chain_update(public.as_bytes())
                .chain_update(&msg)
                .finalize()
                .into(),
        );
        let s = r + k * a;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(big_r.as_bytes());
        sig[32..].copy_from_slice(s.as_bytes());
        SignedTransaction {
            tx: t.tx.clone(),
            signature: Signature(sig),
        }
    }

    #[test]
    fn small_order_keys_cannot_forge_in_either_path() {
        // A = identity, R = identity, s = 0 satisfies sB = R + kA for every message.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&identity);
        let forged = SignedTransaction {
            tx: Transaction {
                chain_id: "weft-test".into(),
                sender: PublicKey(identity),
                nonce: 0,
                call: Call {
                    module: "governance".into(),
                    method: "m".into(),
                    args: vec![],
                },
            },
            signature: Signature(sig),
        };
        assert_eq!(forged.verify_signature(), Err(TxRejection::BadSignature));
        let t = sample(0, vec![], "governance".into());
        assert_eq!(
            verify_signatures(&[&t, &forged, &t]),
            vec![true, false, true]
        );
    }

    #[test]
    fn batch_and_single_verdicts_agree_on_mixed_order_nonce_points() {
        let t = sample(1, vec![1], "governance".into());
        let crafted = with_mixed_order_r(&t, &[1u8; 32]);
        assert_eq!(crafted.verify_signature(), Err(TxRejection::BadSignature));
        // The verdict must not depend on the company a transaction keeps.
        assert_eq!(verify_signatures(&[&crafted]), vec![false]);
        assert_eq!(verify_signatures(&[&t, &crafted]), vec![true, false]);
        let mut many: Vec<&SignedTransaction> = vec![&t; 7];
        many.push(&crafted);
        let mut expected = vec![true; 7];
        expected.push(false);
        assert_eq!(verify_signatures(&many), expected);
    }
}
