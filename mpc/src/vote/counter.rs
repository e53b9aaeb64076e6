//! The counters' side of a poll: the DKG run through the chain, and decryption.
//!
//! Every DKG message is posted on chain, so the whole run is public and any observer
//! recomputes the joint key ([`group_key_from_record`]). The private shares travel on chain
//! too, each encrypted to its recipient's *share key*: a ristretto255 key pair the counter
//! makes for this poll alone and posts with its round-1 broadcast, with a Schnorr proof of
//! knowledge bound to the poll and its index. Encryption is hashed ElGamal:
//! `E = e*G`, `K = e*P_to`, `sealed = share XOR SHA-512(pad label, poll, from, to, E, K)[..40]`.
//! There is no MAC: a recipient who gets a wrong share (tampered or not) finds it fails the
//! Feldman check and complains in public, and the dealer must reveal the share or be
//! disqualified. Posts are authenticated by the chain (the transaction signer is the counter).
//!
//! Flow for counter `i` (1-based position in `spec.counters`):
//! [`start_with_rng`] → post `DkgBroadcast`; once the broadcasts are in, [`deal_with_rng`] →
//! post `DkgShares`; once every dealer has posted, [`receive`] → post `DkgComplaints`
//! (possibly empty); if accused, [`respond`] → post `DkgResponses`; after the organiser's
//! `FinalizeKey`, [`finish`] gives the key share. After the window, [`decryption_shares`] →
//! post `Decrypt`.

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha512};
use weft_zk::dkg::{
    Complaint, ComplaintResponse, DkgOutput, DkgRound1, DkgRound2, DkgRound3, Round1Broadcast,
    SecretShareMessage,
};
use weft_zk::sigma::schnorr::SchnorrProof;
use weft_zk::{Ciphertext, Context, DkgParameters, GroupKey, KeyShare, PublicKey, SecretKey};
use zeroize::Zeroizing;

use super::errors::CounterError;
use super::transcript;
use super::types::{Bytes, DkgBroadcastPost, DkgRecord, EncryptedShare, PollId, PollSpec};

const SEALED_LEN: usize = 40;

/// The DKG parameters of a poll: `t` of `n = spec.counters.len()`.
pub fn dkg_params(spec: &PollSpec) -> Result<DkgParameters, weft_zk::DkgError> {
    DkgParameters::new(spec.threshold, spec.counters.len() as u32)
}

/// The context of the poll's DKG proofs of possession.
pub fn dkg_context(poll: &PollId) -> Vec<u8> {
    transcript::context(transcript::DKG, poll, &[])
}

/// The context of the poll's decryption shares.
pub fn tally_context(poll: &PollId) -> Vec<u8> {
    transcript::context(transcript::TALLY, poll, &[])
}

/// The context of counter `index`'s share-key proof.
pub fn share_key_context(poll: &PollId, index: u32) -> Vec<u8> {
    transcript::context(transcript::SHARE_KEY, poll, &index.to_be_bytes())
}

fn pad(poll: &PollId, from: u32, to: u32, e: &RistrettoPoint, k: &RistrettoPoint) -> [u8; 64] {
    Sha512::new()
        .chain_update(transcript::SHARE_PAD)
        .chain_update(poll.0)
        .chain_update(from.to_be_bytes())
        .chain_update(to.to_be_bytes())
        .chain_update(e.compress().as_bytes())
        .chain_update(k.compress().as_bytes())
        .finalize()
        .into()
}

/// Round 1: a fresh polynomial and share key; returns the state to keep and the post.
pub fn start_with_rng(
    poll: &PollId,
    spec: &PollSpec,
    index: u32,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(DkgRound1, SecretKey, DkgBroadcastPost), CounterError> {
    let params = dkg_params(spec)?;
    let ctx = dkg_context(poll);
    let (round1, broadcast) = DkgRound1::new_with_rng(params, index, &Context::new(&ctx), rng)?;
    let share_key = SecretKey::random_with_rng(rng);
    let kctx = share_key_context(poll, index);
    let proof = SchnorrProof::prove_with_rng(&Context::new(&kctx), &share_key, rng);
    let post = DkgBroadcastPost {
        broadcast: Bytes(broadcast.to_bytes()),
        share_key: Bytes(share_key.public_key().to_bytes()),
        share_key_proof: Bytes(proof.to_bytes()),
    };
    Ok((round1, share_key, post))
}

/// The decoded round-1 broadcasts of a record.
pub fn broadcasts(record: &DkgRecord) -> Result<Vec<Round1Broadcast>, CounterError> {
    record
        .broadcasts
        .iter()
        .map(|(_, p)| Round1Broadcast::from_bytes(&p.broadcast.0))
        .collect::<Result<_, _>>()
        .map_err(|e| CounterError::Malformed(e.to_string()))
}

fn share_key_of(record: &DkgRecord, index: u32) -> Result<PublicKey, CounterError> {
    let (_, post) = record
        .broadcasts
        .iter()
        .find(|(i, _)| *i == index)
        .ok_or_else(|| CounterError::Malformed(format!("no share key for counter {index}")))?;
    PublicKey::from_bytes(&post.share_key.0).map_err(|e| CounterError::Malformed(e.to_string()))
}

/// Round 2: checks the recorded broadcasts and encrypts a share for every other accepted
/// counter.
pub fn deal_with_rng(
    poll: &PollId,
    round1: DkgRound1,
    record: &DkgRecord,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(DkgRound2, Vec<EncryptedShare>), CounterError> {
    let (round2, messages) = round1.receive_broadcasts(&broadcasts(record)?)?;
    let mut out = Vec::new();
    for m in messages.iter().filter(|m| m.from() != m.to()) {
        let to_key = share_key_of(record, m.to())?;
        let e = Zeroizing::new(Scalar::random(rng));
        let big_e = RistrettoPoint::mul_base(&e);
        let k = *e * to_key.as_point();
        let pad = Zeroizing::new(pad(poll, m.from(), m.to(), &big_e, &k));
        let plain = m.to_secret_bytes();
        let sealed = plain.iter().zip(pad.iter()).map(|(a, b)| a ^ b).collect();
        out.push(EncryptedShare {
            to: m.to(),
            ephemeral: big_e.compress().to_bytes(),
            sealed,
        });
    }
    Ok((round2, out))
}

/// Round 3: decrypts the shares addressed to `index` and checks them; returns the state and
/// the dealers to accuse (post them, even if none).
pub fn receive(
    poll: &PollId,
    index: u32,
    round2: DkgRound2,
    share_key: &SecretKey,
    record: &DkgRecord,
) -> Result<(DkgRound3, Vec<u32>), CounterError> {
    let mut messages = Vec::new();
    for (from, shares) in &record.shares {
        for s in shares.iter().filter(|s| s.to == index) {
            let Some(big_e) = CompressedRistretto(s.ephemeral).decompress() else {
                continue;
            };
            if s.sealed.len() != SEALED_LEN {
                continue;
            }
            // K = x*E, computed as -(0 - x*E) through the ElGamal decryption of (E, 0).
            let k = -share_key
                .decrypt_to_point(&Ciphertext::from_points(big_e, RistrettoPoint::identity()));
            let pad = Zeroizing::new(pad(poll, *from, index, &big_e, &k));
            let plain: Zeroizing<Vec<u8>> = Zeroizing::new(
                s.sealed
                    .iter()
                    .zip(pad.iter())
                    .map(|(a, b)| a ^ b)
                    .collect(),
            );
            if let Ok(m) = SecretShareMessage::from_secret_bytes(&plain) {
                if m.from() == *from && m.to() == index {
                    messages.push(m);
                }
            }
        }
    }
    let (round3, complaints) = round2.receive_shares(&messages)?;
    Ok((round3, complaints.iter().map(|c| c.accused).collect()))
}

/// The public complaints of a record.
pub fn complaints(record: &DkgRecord) -> Vec<Complaint> {
    record
        .complaints
        .iter()
        .flat_map(|(accuser, accused)| {
            accused.iter().map(move |a| Complaint {
                accuser: *accuser,
                accused: *a,
            })
        })
        .collect()
}

/// The public complaint responses of a record (undecodable entries are skipped; the module
/// never records one).
pub fn responses(record: &DkgRecord) -> Vec<ComplaintResponse> {
    record
        .responses
        .iter()
        .flat_map(|(_, rs)| rs.iter())
        .filter_map(|b| ComplaintResponse::from_bytes(&b.0).ok())
        .collect()
}

/// Answers the recorded complaints against us (empty if none).
pub fn respond(round3: &DkgRound3, record: &DkgRecord) -> Vec<Bytes> {
    round3
        .respond_to_complaints(&complaints(record))
        .iter()
        .map(|r| Bytes(r.to_bytes()))
        .collect()
}

/// After the joint key is recorded: this counter's key share and the group key.
pub fn finish(round3: DkgRound3, record: &DkgRecord) -> Result<DkgOutput, CounterError> {
    Ok(round3.finish(&complaints(record), &responses(record))?)
}

/// Recomputes the joint key from the public DKG record, as the module and any auditor do.
pub fn group_key_from_record(
    poll: &PollId,
    spec: &PollSpec,
    record: &DkgRecord,
) -> Result<GroupKey, CounterError> {
    let ctx = dkg_context(poll);
    Ok(GroupKey::from_public_transcript(
        dkg_params(spec)?,
        &Context::new(&ctx),
        &broadcasts(record)?,
        &complaints(record),
        &responses(record),
    )?)
}

/// This counter's decryption shares of the recorded aggregate (one per choice).
///
/// Counters must only ever decrypt the aggregate they recompute from the verified ballots on
/// chain (the module's recorded aggregate, which the audit re-derives): a share decrypts
/// whatever ciphertext it is asked about.
pub fn decryption_shares_with_rng(
    poll: &PollId,
    key_share: &KeyShare,
    aggregate: &[Ciphertext],
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<Bytes> {
    let ctx = tally_context(poll);
    aggregate
        .iter()
        .map(|ct| {
            Bytes(
                key_share
                    .decryption_share_with_rng(&Context::new(&ctx), ct, rng)
                    .to_bytes(),
            )
        })
        .collect()
}
