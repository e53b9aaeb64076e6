//! Mutually authenticated peer messages: each payload travels in an [`Envelope`] signed by the
//! sender's organisation key over domain-separated, session-bound bytes, and is verified
//! against the peer's pinned public key with a strict per-direction sequence number (no replay,
//! no reordering, no cross-session reuse).
//!
//! Organisations are named by DIDs. `did:key` (Ed25519) resolves locally ([`resolve_did_key`]);
//! `did:weft` resolution through the chain is left to the integration with `weft-did`.

use borsh::{BorshDeserialize, BorshSerialize};
use sha2::{Digest, Sha256};
use weft_chain::{Keypair, PublicKey, Signature};

use super::error::{hex32, PsiError};
use super::transcript;

/// Multicodec prefix of an Ed25519 public key in `did:key`.
const ED25519_MULTICODEC: [u8; 2] = [0xed, 0x01];

/// The `did:key` identifier of an Ed25519 public key.
pub fn did_key(pk: &PublicKey) -> String {
    let mut bytes = ED25519_MULTICODEC.to_vec();
    bytes.extend_from_slice(&pk.0);
    format!("did:key:z{}", bs58::encode(bytes).into_string())
}

/// Resolves a `did:key` (Ed25519) identifier to its public key, locally.
pub fn resolve_did_key(did: &str) -> Result<PublicKey, PsiError> {
    let bad = || PsiError::BadDid(did.to_string());
    let rest = did.strip_prefix("did:key:z").ok_or_else(bad)?;
    let bytes = bs58::decode(rest).into_vec().map_err(|_| bad())?;
    if bytes.len() != 34 || bytes[..2] != ED25519_MULTICODEC {
        return Err(bad());
    }
    let mut pk = [0u8; 32];
    pk.copy_from_slice(&bytes[2..]);
    let pk = PublicKey(pk);
    pk.to_verifying_key().ok_or_else(bad)?;
    Ok(pk)
}

/// A signed message between the two parties of a session.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Envelope {
    /// Session id.
    pub session_id: [u8; 32],
    /// Sender's public key.
    pub sender: PublicKey,
    /// Per-direction sequence number, from 0.
    pub seq: u64,
    /// The payload (an encoded [`super::Message`] or a control message).
    pub payload: Vec<u8>,
    /// Signature over [`Envelope::signing_bytes`].
    pub signature: Signature,
}

impl Envelope {
    fn signing_bytes(
        session_id: &[u8; 32],
        sender: &PublicKey,
        seq: u64,
        payload: &[u8],
    ) -> Vec<u8> {
        let payload_hash: [u8; 32] = Sha256::digest(payload).into();
        transcript::hash_parts(
            transcript::WIRE,
            &[session_id, &sender.0, &seq.to_le_bytes(), &payload_hash],
        )
        .to_vec()
    }

    /// Encodes the envelope.
    pub fn encode(&self) -> Vec<u8> {
        borsh::to_vec(self).expect("write to Vec")
    }
}

/// One party's end of an authenticated session channel.
pub struct SecureChannel {
    session_id: [u8; 32],
    own: Keypair,
    peer: PublicKey,
    send_seq: u64,
    recv_seq: u64,
    max_len: usize,
}

impl std::fmt::Debug for SecureChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecureChannel")
            .field("session_id", &hex32(&self.session_id))
            .field("peer", &self.peer)
            .field("send_seq", &self.send_seq)
            .field("recv_seq", &self.recv_seq)
            .finish_non_exhaustive()
    }
}

impl SecureChannel {
    /// A channel for `session_id`, signing with `own` and accepting only `peer`'s signatures.
    /// Envelopes larger than `max_len` bytes are refused before parsing.
    pub fn new(
        session_id: [u8; 32],
        own: Keypair,
        peer: PublicKey,
        max_len: usize,
    ) -> SecureChannel {
        SecureChannel {
            session_id,
            own,
            peer,
            send_seq: 0,
            recv_seq: 0,
            max_len,
        }
    }

    /// Signs and encodes the next outgoing payload.
    pub fn seal(&mut self, payload: Vec<u8>) -> Vec<u8> {
        let sender = self.own.public_key();
        let signature = self.own.sign(&Envelope::signing_bytes(
            &self.session_id,
            &sender,
            self.send_seq,
            &payload,
        ));
        let env = Envelope {
            session_id: self.session_id,
            sender,
            seq: self.send_seq,
            payload,
            signature,
        };
        self.send_seq += 1;
        env.encode()
    }

    /// Decodes and verifies the next incoming envelope; returns its payload.
    pub fn open(&mut self, bytes: &[u8]) -> Result<Vec<u8>, PsiError> {
        if bytes.len() > self.max_len {
            return Err(PsiError::Malformed(format!(
                "envelope of {} bytes exceeds {}",
                bytes.len(),
                self.max_len
            )));
        }
        let env: Envelope =
            borsh::from_slice(bytes).map_err(|e| PsiError::Malformed(e.to_string()))?;
        if env.session_id != self.session_id {
            return Err(PsiError::WrongSession {
                expected: hex32(&self.session_id),
                found: hex32(&env.session_id),
            });
        }
        if env.sender != self.peer {
            return Err(PsiError::BadSignature);
        }
        let msg = Envelope::signing_bytes(&env.session_id, &env.sender, env.seq, &env.payload);
        if !self.peer.verify(&msg, &env.signature) {
            return Err(PsiError::BadSignature);
        }
        if env.seq != self.recv_seq {
            return Err(PsiError::BadSequence {
                expected: self.recv_seq,
                found: env.seq,
            });
        }
        self.recv_seq += 1;
        Ok(env.payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(sid: [u8; 32]) -> (SecureChannel, SecureChannel) {
        let a = Keypair::from_seed(&[1; 32]);
        let b = Keypair::from_seed(&[2; 32]);
        let (pa, pb) = (a.public_key(), b.public_key());
        (
            SecureChannel::new(sid, a, pb, 1 << 20),
            SecureChannel::new(sid, b, pa, 1 << 20),
        )
    }

    #[test]
    fn did_key_round_trip_and_rejects_garbage() {
        let pk = Keypair::from_seed(&[9; 32]).public_key();
        let did = did_key(&pk);
        assert!(did.starts_with("did:key:z6Mk"), "{did}");
        assert_eq!(resolve_did_key(&did).unwrap(), pk);
        for bad in [
            "did:weft:x:0x00",
            "did:key:zzzz",
            "did:key:",
            &did[..did.len() - 2],
        ] {
            assert!(
                matches!(resolve_did_key(bad), Err(PsiError::BadDid(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn envelopes_authenticate_and_refuse_replay_tamper_and_other_sessions() {
        let (mut a, mut b) = pair([5; 32]);
        let m0 = a.seal(b"hello".to_vec());
        let m1 = a.seal(b"world".to_vec());
        assert_eq!(b.open(&m0).unwrap(), b"hello");
        // Replay of an earlier message.
        assert_eq!(
            b.open(&m0).unwrap_err(),
            PsiError::BadSequence {
                expected: 1,
                found: 0
            }
        );
        // Tampered payload.
        let mut t = m1.clone();
        let last = t.len() - 70;
        t[last] ^= 1;
        assert!(b.open(&t).is_err());
        assert_eq!(b.open(&m1).unwrap(), b"world");
        // A message from the same peer in another session.
        let (mut other, _) = pair([6; 32]);
        let foreign = other.seal(b"x".to_vec());
        assert!(matches!(
            b.open(&foreign),
            Err(PsiError::WrongSession { .. })
        ));
        // A third party's key is refused even when well-formed.
        let mut mallory = SecureChannel::new(
            [5; 32],
            Keypair::from_seed(&[3; 32]),
            b.own.public_key(),
            1 << 20,
        );
        assert_eq!(
            b.open(&mallory.seal(b"x".to_vec())).unwrap_err(),
            PsiError::BadSignature
        );
        // Our own messages reflected back are refused (sender is not the peer).
        assert_eq!(a.open(&m0).unwrap_err(), PsiError::BadSignature);
        // Oversized input is refused before parsing.
        assert!(matches!(
            b.open(&vec![0; (1 << 20) + 1]),
            Err(PsiError::Malformed(_))
        ));
    }
}
