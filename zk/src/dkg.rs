//! t-of-n distributed key generation for threshold ElGamal: Pedersen's protocol with Feldman
//! verifiable secret sharing, proofs of possession and public complaint resolution.
//!
//! Each round is a type; each transition consumes the previous state.
//!
//! 1. [`DkgRound1::new_with_rng`]: participant `i` samples `f_i(z) = a_i0 + ... + a_i(t-1)
//!    z^(t-1)` and broadcasts [`Round1Broadcast`]: the Feldman commitments `C_ik = a_ik * G`
//!    and a Schnorr proof of possession of `a_i0`, whose transcript binds the session context,
//!    `(t, n)`, the index `i` and all of `i`'s commitments. A broadcast with a bad proof, the
//!    wrong shape or a sender with two different broadcasts is excluded. This blocks rogue keys: a participant
//!    who picks `C_i0 = target - sum(others)` does not know its discrete log and cannot prove
//!    possession.
//! 2. [`DkgRound1::receive_broadcasts`]: send `s_ij = f_i(j)` privately to every accepted `j`
//!    ([`SecretShareMessage`]).
//! 3. [`DkgRound2::receive_shares`]: check `s_ji * G = sum_k C_jk * i^k` for every dealer `j`;
//!    a missing or wrong share gives a public [`Complaint`] naming the dealer.
//! 4. [`DkgRound3::respond_to_complaints`]: an accused dealer may reveal the disputed share
//!    ([`ComplaintResponse`]). A dealer with an unanswered complaint or a revealed share that
//!    fails the check is disqualified. [`DkgRound3::finish`] yields the qualified set `Q`,
//!    the joint key `Y = sum_{j in Q} C_j0`, and the share `x_i = sum_{j in Q} s_ji`.
//!
//! Everything that decides `Q` and `Y` is public, so any observer can recompute the
//! [`GroupKey`] with [`GroupKey::from_public_transcript`], including each participant's
//! verification share `Y_i = x_i * G = sum_k (sum_{j in Q} C_jk) * i^k`.
//!
//! Transport is the caller's: broadcasts must go over an authenticated broadcast channel,
//! shares over authenticated private channels.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use merlin::Transcript;
use rand_core::{CryptoRng, OsRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::elgamal::{PublicKey, SecretKey};
use crate::encoding::{serde_via_bytes, tag, Reader, Writer};
use crate::errors::{DkgError, EncodingError};
use crate::sigma::schnorr::SchnorrProof;
use crate::transcript::{ds, label, new_transcript, Context, TranscriptExt};

/// The largest number of participants.
pub const MAX_PARTICIPANTS: u32 = 1024;

/// Threshold `t` and number of participants `n`, with `1 <= t <= n <= MAX_PARTICIPANTS`.
/// Participants are numbered `1..=n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DkgParameters {
    threshold: u32,
    participants: u32,
}

impl DkgParameters {
    /// Validates `t` and `n`.
    pub fn new(threshold: u32, participants: u32) -> Result<Self, DkgError> {
        if threshold == 0 || threshold > participants || participants > MAX_PARTICIPANTS {
            return Err(DkgError::InvalidParameters {
                threshold,
                participants,
            });
        }
        Ok(Self {
            threshold,
            participants,
        })
    }

    /// `t`: how many shares decrypt.
    pub fn threshold(&self) -> u32 {
        self.threshold
    }

    /// `n`.
    pub fn participants(&self) -> u32 {
        self.participants
    }

    fn check_index(&self, index: u32) -> Result<(), DkgError> {
        if index == 0 || index > self.participants {
            return Err(DkgError::UnknownParticipant { index });
        }
        Ok(())
    }
}

/// Evaluates `sum_k C_k * x^k` (the Feldman commitment to `f(x)`).
fn eval_commitments(commitments: &[RistrettoPoint], x: u32) -> RistrettoPoint {
    let x = Scalar::from(x);
    let mut powers = Vec::with_capacity(commitments.len());
    let mut p = Scalar::ONE;
    for _ in commitments {
        powers.push(p);
        p *= x;
    }
    RistrettoPoint::vartime_multiscalar_mul(&powers, commitments)
}

/// `s * G == sum_k C_k * x^k`; `s` is secret, so it is multiplied in constant time.
fn share_matches(commitments: &[RistrettoPoint], x: u32, s: &Scalar) -> bool {
    RistrettoPoint::mul_base(s) == eval_commitments(commitments, x)
}

fn pop_transcript(
    context: &[u8],
    params: &DkgParameters,
    index: u32,
    commitments: &[RistrettoPoint],
) -> Transcript {
    let mut t = new_transcript(ds::DKG_POP, &Context::new(context));
    t.append_u64(label::THRESHOLD, u64::from(params.threshold));
    t.append_u64(label::PARTICIPANTS, u64::from(params.participants));
    t.append_u64(label::INDEX, u64::from(index));
    for c in commitments {
        t.append_point(label::COMMITMENT, c);
    }
    t
}

/// A secret polynomial's coefficients; zeroized on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
struct Polynomial(Vec<Scalar>);

impl Polynomial {
    fn eval(&self, x: u32) -> Scalar {
        let x = Scalar::from(x);
        self.0.iter().rev().fold(Scalar::ZERO, |acc, a| acc * x + a)
    }
}

/// A participant's round-1 broadcast: Feldman commitments and proof of possession.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Round1Broadcast {
    sender: u32,
    commitments: Vec<RistrettoPoint>,
    pop: SchnorrProof,
}

impl Round1Broadcast {
    /// The sender's index.
    pub fn sender(&self) -> u32 {
        self.sender
    }

    /// The Feldman commitments `C_i0, ..., C_i(t-1)`.
    pub fn commitments(&self) -> &[RistrettoPoint] {
        &self.commitments
    }

    /// Whether this broadcast is acceptable for `params` and `context`: index in range, `t`
    /// commitments, constant term not the identity, valid proof of possession.
    pub fn is_valid(&self, params: &DkgParameters, context: &Context<'_>) -> bool {
        if params.check_index(self.sender).is_err()
            || self.commitments.len() != params.threshold as usize
            || self.commitments[0].is_identity()
        {
            return false;
        }
        let mut t = pop_transcript(context.as_bytes(), params, self.sender, &self.commitments);
        self.pop
            .verify_in(&mut t, &PublicKey(self.commitments[0]))
            .is_ok()
    }

    /// Canonical encoding: header, sender (u32), count (u32), commitments, proof.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(tag::DKG_BROADCAST, 8 + 32 * self.commitments.len() + 64);
        w.u32(self.sender).u32(self.commitments.len() as u32);
        for c in &self.commitments {
            w.point(c);
        }
        self.pop.write(&mut w);
        w.finish()
    }

    /// Decodes [`Round1Broadcast::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes, tag::DKG_BROADCAST)?;
        let sender = r.u32()?;
        let count = r.u32()?;
        if count == 0 || count > MAX_PARTICIPANTS {
            return Err(EncodingError::InvalidLength);
        }
        let mut commitments = Vec::with_capacity(count as usize);
        commitments.push(r.nonidentity_point()?);
        for _ in 1..count {
            commitments.push(r.point()?);
        }
        let pop = SchnorrProof::read(&mut r)?;
        r.finish()?;
        Ok(Self {
            sender,
            commitments,
            pop,
        })
    }
}

serde_via_bytes!(Round1Broadcast);

/// The private share `f_from(to)` sent from one participant to another. Must travel over an
/// authenticated, confidential channel. Zeroized on drop; `Debug` hides the share.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretShareMessage {
    from: u32,
    to: u32,
    share: Scalar,
}

impl fmt::Debug for SecretShareMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretShareMessage")
            .field("from", &self.from)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

impl SecretShareMessage {
    /// The dealer.
    pub fn from(&self) -> u32 {
        self.from
    }

    /// The recipient.
    pub fn to(&self) -> u32 {
        self.to
    }

    /// Canonical encoding: `from || to || share`, zeroized when dropped. No serde: this is
    /// a secret and must be encrypted by the transport.
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Vec::with_capacity(40);
        out.extend_from_slice(&self.from.to_be_bytes());
        out.extend_from_slice(&self.to.to_be_bytes());
        out.extend_from_slice(self.share.as_bytes());
        Zeroizing::new(out)
    }

    /// Decodes [`SecretShareMessage::to_secret_bytes`].
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        if bytes.len() != 40 {
            return Err(EncodingError::InvalidLength);
        }
        let mut from = [0u8; 4];
        let mut to = [0u8; 4];
        let mut share = [0u8; 32];
        from.copy_from_slice(&bytes[..4]);
        to.copy_from_slice(&bytes[4..8]);
        share.copy_from_slice(&bytes[8..]);
        let share = crate::encoding::decode_scalar(share)?;
        Ok(Self {
            from: u32::from_be_bytes(from),
            to: u32::from_be_bytes(to),
            share,
        })
    }
}

/// A public complaint: `accuser` received no share, or a share that does not match the
/// commitments of `accused`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Complaint {
    /// The participant complaining.
    pub accuser: u32,
    /// The dealer named as the cheater.
    pub accused: u32,
}

/// An accused dealer's public answer: the disputed share `f_accused(accuser)`, revealed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ComplaintResponse {
    accused: u32,
    accuser: u32,
    share: Scalar,
}

impl ComplaintResponse {
    /// Canonical encoding: header, accused, accuser, revealed share.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(tag::COMPLAINT_RESPONSE, 40);
        w.u32(self.accused).u32(self.accuser).scalar(&self.share);
        w.finish()
    }

    /// Decodes [`ComplaintResponse::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes, tag::COMPLAINT_RESPONSE)?;
        let out = Self {
            accused: r.u32()?,
            accuser: r.u32()?,
            share: r.scalar()?,
        };
        r.finish()?;
        Ok(out)
    }
}

serde_via_bytes!(ComplaintResponse);

/// The accepted broadcasts: exactly one well-formed broadcast with a valid proof of
/// possession per sender. A sender with two different broadcasts (equivocation) is excluded;
/// byte-identical copies of one broadcast (a retransmission, or a replay by anyone else) count
/// once, so replaying an honest participant's broadcast cannot get it excluded.
pub fn accepted_broadcasts(
    params: &DkgParameters,
    context: &Context<'_>,
    broadcasts: &[Round1Broadcast],
) -> BTreeMap<u32, Vec<RistrettoPoint>> {
    // `None` marks a sender seen with two different broadcasts.
    let mut by_sender: BTreeMap<u32, Option<&Round1Broadcast>> = BTreeMap::new();
    for b in broadcasts {
        by_sender
            .entry(b.sender)
            .and_modify(|seen| {
                if *seen != Some(b) {
                    *seen = None;
                }
            })
            .or_insert(Some(b));
    }
    by_sender
        .into_values()
        .flatten()
        .filter(|b| b.is_valid(params, context))
        .map(|b| (b.sender, b.commitments.clone()))
        .collect()
}

fn qualified_set(
    candidates: &BTreeMap<u32, Vec<RistrettoPoint>>,
    complaints: &[Complaint],
    responses: &[ComplaintResponse],
) -> BTreeSet<u32> {
    let mut qualified: BTreeSet<u32> = candidates.keys().copied().collect();
    for c in complaints {
        let Some(commitments) = candidates.get(&c.accused) else {
            continue;
        };
        if c.accuser == c.accused || !candidates.contains_key(&c.accuser) {
            continue;
        }
        let answered = responses.iter().any(|r| {
            r.accused == c.accused
                && r.accuser == c.accuser
                && share_matches(commitments, c.accuser, &r.share)
        });
        if !answered {
            qualified.remove(&c.accused);
        }
    }
    qualified
}

/// The public outcome of a DKG: parameters, qualified set, and the sum of the qualified
/// dealers' commitment vectors (which gives the joint key and every verification share).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupKey {
    params: DkgParameters,
    qualified: Vec<u32>,
    coefficients: Vec<RistrettoPoint>,
}

impl GroupKey {
    fn from_candidates(
        params: DkgParameters,
        candidates: &BTreeMap<u32, Vec<RistrettoPoint>>,
        complaints: &[Complaint],
        responses: &[ComplaintResponse],
    ) -> Result<Self, DkgError> {
        let qualified = qualified_set(candidates, complaints, responses);
        if qualified.len() < params.threshold as usize {
            return Err(DkgError::NotEnoughQualified {
                qualified: qualified.len(),
                threshold: params.threshold,
            });
        }
        let mut coefficients = vec![RistrettoPoint::default(); params.threshold as usize];
        for j in &qualified {
            for (acc, c) in coefficients.iter_mut().zip(&candidates[j]) {
                *acc += c;
            }
        }
        if coefficients[0].is_identity() {
            return Err(DkgError::DegenerateKey);
        }
        Ok(Self {
            params,
            qualified: qualified.into_iter().collect(),
            coefficients,
        })
    }

    /// Recomputes the group key from the public record of a run: every broadcast, complaint
    /// and complaint response. Gives every observer the same result as the participants.
    pub fn from_public_transcript(
        params: DkgParameters,
        context: &Context<'_>,
        broadcasts: &[Round1Broadcast],
        complaints: &[Complaint],
        responses: &[ComplaintResponse],
    ) -> Result<Self, DkgError> {
        let candidates = accepted_broadcasts(&params, context, broadcasts);
        Self::from_candidates(params, &candidates, complaints, responses)
    }

    /// The joint public key `Y = sum_{j in Q} C_j0`.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.coefficients[0])
    }

    /// The parameters of the run.
    pub fn params(&self) -> DkgParameters {
        self.params
    }

    /// The qualified participants, ascending.
    pub fn qualified(&self) -> &[u32] {
        &self.qualified
    }

    /// Whether `index` is in the qualified set.
    pub fn is_qualified(&self, index: u32) -> bool {
        self.qualified.binary_search(&index).is_ok()
    }

    /// The public verification share `Y_i = x_i * G` of a qualified participant.
    pub fn verification_share(&self, index: u32) -> Option<RistrettoPoint> {
        self.is_qualified(index)
            .then(|| eval_commitments(&self.coefficients, index))
    }

    /// Canonical encoding: header, t, n, |Q|, Q ascending, t coefficient points.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(
            tag::GROUP_KEY,
            12 + 4 * self.qualified.len() + 32 * self.coefficients.len(),
        );
        w.u32(self.params.threshold)
            .u32(self.params.participants)
            .u32(self.qualified.len() as u32);
        for q in &self.qualified {
            w.u32(*q);
        }
        for c in &self.coefficients {
            w.point(c);
        }
        w.finish()
    }

    /// Decodes [`GroupKey::to_bytes`]; checks parameters, a strictly ascending in-range
    /// qualified set of at least `t` members, and a non-identity joint key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes, tag::GROUP_KEY)?;
        let params =
            DkgParameters::new(r.u32()?, r.u32()?).map_err(|_| EncodingError::InvalidParameter)?;
        let q = r.u32()?;
        if q < params.threshold || q > params.participants {
            return Err(EncodingError::InvalidLength);
        }
        let mut qualified = Vec::with_capacity(q as usize);
        for _ in 0..q {
            let i = r.u32()?;
            if params.check_index(i).is_err() || qualified.last().is_some_and(|&last| last >= i) {
                return Err(EncodingError::InvalidParameter);
            }
            qualified.push(i);
        }
        let mut coefficients = Vec::with_capacity(params.threshold as usize);
        coefficients.push(r.nonidentity_point()?);
        for _ in 1..params.threshold {
            coefficients.push(r.point()?);
        }
        r.finish()?;
        Ok(Self {
            params,
            qualified,
            coefficients,
        })
    }
}

serde_via_bytes!(GroupKey);

/// A participant's secret key share `x_i = f(i)` of the joint key. Zeroized on drop; `Debug`
/// shows the index only.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct KeyShare {
    index: u32,
    pub(crate) secret: Scalar,
}

impl fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyShare")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl KeyShare {
    /// The participant index `i`.
    pub fn index(&self) -> u32 {
        self.index
    }

    pub(crate) fn as_secret_key(&self) -> SecretKey {
        SecretKey(self.secret)
    }

    /// Canonical encoding for the holder's own storage: header, index, share. Zeroized when
    /// dropped; no serde, so it cannot end up in a log by accident.
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut w = Writer::new(tag::KEY_SHARE, 36);
        w.u32(self.index).scalar(&self.secret);
        Zeroizing::new(w.finish())
    }

    /// Decodes [`KeyShare::to_secret_bytes`].
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes, tag::KEY_SHARE)?;
        let out = Self {
            index: r.u32()?,
            secret: r.scalar()?,
        };
        r.finish()?;
        Ok(out)
    }
}

/// The result of a successful run for one participant.
#[derive(Debug)]
pub struct DkgOutput {
    /// This participant's secret share.
    pub share: KeyShare,
    /// The public group key.
    pub group: GroupKey,
}

/// Round 1: the polynomial is chosen and the broadcast is out.
#[derive(Debug)]
pub struct DkgRound1 {
    params: DkgParameters,
    index: u32,
    context: Vec<u8>,
    polynomial: Polynomial,
}

impl fmt::Debug for Polynomial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Polynomial(..)")
    }
}

impl DkgRound1 {
    /// Starts participant `index` of a run bound to `context` (for a poll: the poll id).
    pub fn new_with_rng(
        params: DkgParameters,
        index: u32,
        context: &Context<'_>,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(Self, Round1Broadcast), DkgError> {
        params.check_index(index)?;
        let mut coefficients: Vec<Scalar> =
            (0..params.threshold).map(|_| Scalar::random(rng)).collect();
        while coefficients[0] == Scalar::ZERO {
            coefficients[0] = Scalar::random(rng);
        }
        let polynomial = Polynomial(coefficients);
        let commitments: Vec<RistrettoPoint> =
            polynomial.0.iter().map(RistrettoPoint::mul_base).collect();
        let mut t = pop_transcript(context.as_bytes(), &params, index, &commitments);
        let a0 = SecretKey(polynomial.0[0]);
        let pop = SchnorrProof::prove_in(&mut t, &a0, &PublicKey(commitments[0]), rng);
        let broadcast = Round1Broadcast {
            sender: index,
            commitments,
            pop,
        };
        let state = Self {
            params,
            index,
            context: context.as_bytes().to_vec(),
            polynomial,
        };
        Ok((state, broadcast))
    }

    /// [`DkgRound1::new_with_rng`] with the OS RNG.
    pub fn new(
        params: DkgParameters,
        index: u32,
        context: &Context<'_>,
    ) -> Result<(Self, Round1Broadcast), DkgError> {
        Self::new_with_rng(params, index, context, &mut OsRng)
    }

    /// Takes every broadcast of the run (including our own), excludes invalid ones, and
    /// returns the private shares to send to each accepted participant (including the one
    /// addressed to ourselves, which may simply be passed back in round 2).
    pub fn receive_broadcasts(
        self,
        broadcasts: &[Round1Broadcast],
    ) -> Result<(DkgRound2, Vec<SecretShareMessage>), DkgError> {
        let candidates =
            accepted_broadcasts(&self.params, &Context::new(&self.context), broadcasts);
        if !candidates.contains_key(&self.index) {
            return Err(DkgError::SelfDisqualified);
        }
        if candidates.len() < self.params.threshold as usize {
            return Err(DkgError::NotEnoughQualified {
                qualified: candidates.len(),
                threshold: self.params.threshold,
            });
        }
        let messages = candidates
            .keys()
            .map(|&to| SecretShareMessage {
                from: self.index,
                to,
                share: self.polynomial.eval(to),
            })
            .collect();
        let excluded = broadcasts
            .iter()
            .map(|b| b.sender)
            .filter(|s| !candidates.contains_key(s))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        Ok((
            DkgRound2 {
                round1: self,
                candidates,
                excluded,
            },
            messages,
        ))
    }
}

/// Round 2: broadcasts checked, shares sent; waiting for the shares addressed to us.
#[derive(Debug)]
pub struct DkgRound2 {
    round1: DkgRound1,
    candidates: BTreeMap<u32, Vec<RistrettoPoint>>,
    excluded: Vec<u32>,
}

impl DkgRound2 {
    /// Senders whose broadcast was rejected (bad proof of possession, wrong shape, bad index,
    /// duplicate).
    pub fn excluded(&self) -> &[u32] {
        &self.excluded
    }

    /// The accepted participants.
    pub fn accepted(&self) -> Vec<u32> {
        self.candidates.keys().copied().collect()
    }

    /// Checks the shares addressed to us against their dealers' commitments. Returns the
    /// next state and one complaint per accepted dealer without a share that matches.
    ///
    /// Messages are attacker-controlled input: one addressed to someone else, or a wrong
    /// share, counts as no share from that dealer (a complaint), never as an error, so a
    /// malicious dealer cannot make an honest participant abort the DKG. A matching share
    /// is used even if the same dealer also sent a wrong one.
    pub fn receive_shares(
        self,
        shares: &[SecretShareMessage],
    ) -> Result<(DkgRound3, Vec<Complaint>), DkgError> {
        let me = self.round1.index;
        let mut received = BTreeMap::new();
        let mut complaints = Vec::new();
        for (&dealer, commitments) in &self.candidates {
            let share = if dealer == me {
                Some(self.round1.polynomial.eval(me))
            } else {
                shares
                    .iter()
                    .filter(|m| m.from == dealer && m.to == me)
                    .map(|m| m.share)
                    .find(|s| share_matches(commitments, me, s))
            };
            match share {
                Some(s) if share_matches(commitments, me, &s) => {
                    received.insert(dealer, SecretScalar(s));
                }
                _ => complaints.push(Complaint {
                    accuser: me,
                    accused: dealer,
                }),
            }
        }
        let own_complaints = complaints.clone();
        Ok((
            DkgRound3 {
                round2: self,
                received,
                own_complaints,
            },
            complaints,
        ))
    }
}

#[derive(Zeroize, ZeroizeOnDrop)]
struct SecretScalar(Scalar);

impl fmt::Debug for SecretScalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretScalar(..)")
    }
}

/// Round 3: complaints are public; waiting for the responses, then finishing.
#[derive(Debug)]
pub struct DkgRound3 {
    round2: DkgRound2,
    received: BTreeMap<u32, SecretScalar>,
    own_complaints: Vec<Complaint>,
}

impl DkgRound3 {
    /// Our public answers to complaints against us: each reveals the disputed share.
    ///
    /// Only complaints from another accepted participant are answered, once each. A response
    /// reveals `f(accuser)`, so answering an arbitrary index would leak the polynomial: a
    /// complaint "from" index 0 would reveal our constant term `f(0)`, and `t` complaints
    /// from made-up indices would reveal all of `f`. Complaints from anyone else cannot
    /// disqualify us ([`GroupKey::from_public_transcript`] ignores them), so nothing is lost.
    pub fn respond_to_complaints(&self, complaints: &[Complaint]) -> Vec<ComplaintResponse> {
        let me = self.round2.round1.index;
        let accusers: BTreeSet<u32> = complaints
            .iter()
            .filter(|c| {
                c.accused == me
                    && c.accuser != me
                    && self.round2.candidates.contains_key(&c.accuser)
            })
            .map(|c| c.accuser)
            .collect();
        accusers
            .into_iter()
            .map(|accuser| ComplaintResponse {
                accused: me,
                accuser,
                share: self.round2.round1.polynomial.eval(accuser),
            })
            .collect()
    }

    /// Decides the qualified set from all public complaints and responses and returns our
    /// key share and the group key. Where a dealer answered our complaint with a valid
    /// revealed share, that share is used. Every complaint in `complaints` counts, as it does
    /// for observers; our own complaints count even if `complaints` omits them.
    pub fn finish(
        self,
        complaints: &[Complaint],
        responses: &[ComplaintResponse],
    ) -> Result<DkgOutput, DkgError> {
        let me = self.round2.round1.index;
        // Every public complaint counts, including one that names us as accuser although we
        // did not make it: observers count it, and the qualified set must be the same for
        // everyone. (If its dealer answers it, we keep the share we already hold.)
        let mut all_complaints = self.own_complaints.clone();
        all_complaints.extend_from_slice(complaints);
        let group = GroupKey::from_candidates(
            self.round2.round1.params,
            &self.round2.candidates,
            &all_complaints,
            responses,
        )?;
        if !group.is_qualified(me) {
            return Err(DkgError::SelfDisqualified);
        }
        let mut secret = Scalar::ZERO;
        for dealer in group.qualified() {
            let share = match self.received.get(dealer) {
                Some(s) => s.0,
                None => responses
                    .iter()
                    .find(|r| {
                        r.accused == *dealer
                            && r.accuser == me
                            && share_matches(&self.round2.candidates[dealer], me, &r.share)
                    })
                    .map(|r| r.share)
                    .ok_or(DkgError::MissingShare { dealer: *dealer })?,
            };
            secret += share;
        }
        Ok(DkgOutput {
            share: KeyShare { index: me, secret },
            group,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: Context<'static> = Context::new(b"poll-77/counters");

    fn broadcasts(params: DkgParameters) -> (Vec<DkgRound1>, Vec<Round1Broadcast>) {
        (1..=params.participants)
            .map(|i| DkgRound1::new(params, i, &CTX).unwrap())
            .unzip()
    }

    /// Runs rounds 1 and 2 honestly for everyone.
    fn to_round3(params: DkgParameters) -> (Vec<DkgRound3>, Vec<Round1Broadcast>) {
        let (rounds, bs) = broadcasts(params);
        let (r2, msgs): (Vec<_>, Vec<_>) = rounds
            .into_iter()
            .map(|r| r.receive_broadcasts(&bs).unwrap())
            .unzip();
        let msgs: Vec<SecretShareMessage> = msgs.into_iter().flatten().collect();
        let r3 = r2
            .into_iter()
            .map(|r| {
                let me = r.round1.index;
                let mine: Vec<_> = msgs.iter().filter(|m| m.to == me).cloned().collect();
                let (r3, complaints) = r.receive_shares(&mine).unwrap();
                assert!(complaints.is_empty());
                r3
            })
            .collect();
        (r3, bs)
    }

    #[test]
    fn complaints_from_non_participants_reveal_nothing() {
        let params = DkgParameters::new(2, 3).unwrap();
        let (r3, bs) = to_round3(params);
        let dealer = &r3[0];
        let against = |accuser| Complaint {
            accuser,
            accused: 1,
        };
        // A "complaint from index 0" asks for f(0), the dealer's secret constant term; made-up
        // indices would reveal further points of f. None of them is answered.
        let forged = [against(0), against(1), against(4), against(u32::MAX)];
        assert!(dealer.respond_to_complaints(&forged).is_empty());
        // An accepted participant's complaint is answered, once, with a share matching the
        // commitments at its index.
        let responses = dealer.respond_to_complaints(&[against(2), against(0), against(2)]);
        assert_eq!(responses.len(), 1);
        assert_eq!(responses[0].accuser, 2);
        assert!(share_matches(&bs[0].commitments, 2, &responses[0].share));
        assert_ne!(
            RistrettoPoint::mul_base(&responses[0].share),
            bs[0].commitments[0]
        );
    }

    #[test]
    fn replayed_broadcast_is_not_equivocation() {
        let params = DkgParameters::new(2, 3).unwrap();
        let (_, bs) = broadcasts(params);
        // Participant 2's broadcast arrives twice (retransmitted, or replayed by someone
        // else): it still counts, once.
        let replayed = [bs.clone(), vec![bs[1].clone()]].concat();
        let group = GroupKey::from_public_transcript(params, &CTX, &replayed, &[], &[]).unwrap();
        assert_eq!(group.qualified(), &[1, 2, 3]);
        // Two different valid broadcasts from participant 2 are equivocation: excluded.
        let (_, other) = DkgRound1::new(params, 2, &CTX).unwrap();
        assert!(other.is_valid(&params, &CTX));
        let equivocating = [bs.clone(), vec![other]].concat();
        let group =
            GroupKey::from_public_transcript(params, &CTX, &equivocating, &[], &[]).unwrap();
        assert_eq!(group.qualified(), &[1, 3]);
    }

    #[test]
    fn bad_share_messages_give_complaints_not_errors() {
        let params = DkgParameters::new(2, 3).unwrap();
        let (rounds, bs) = broadcasts(params);
        let (r2, msgs): (Vec<_>, Vec<_>) = rounds
            .into_iter()
            .map(|r| r.receive_broadcasts(&bs).unwrap())
            .unzip();
        let msgs: Vec<SecretShareMessage> = msgs.into_iter().flatten().collect();
        let find = |from, to| msgs.iter().find(|m| m.from == from && m.to == to).unwrap();
        let mut wrong = find(2, 1).clone();
        wrong.share += Scalar::ONE;
        // Dealer 2 sends a wrong share before the right one; dealer 3 sends us a message
        // addressed to participant 2.
        let inbox = vec![wrong, find(2, 1).clone(), find(3, 2).clone()];
        let (_, complaints) = r2
            .into_iter()
            .next()
            .unwrap()
            .receive_shares(&inbox)
            .unwrap();
        assert_eq!(
            complaints,
            vec![Complaint {
                accuser: 1,
                accused: 3
            }]
        );
    }

    #[test]
    fn participants_and_observers_agree_on_the_qualified_set() {
        let params = DkgParameters::new(2, 3).unwrap();
        let (r3, bs) = to_round3(params);
        // A public complaint names participant 1 as accuser of dealer 3 (1 did not make it,
        // say the channel let someone else post it), and dealer 3 does not answer.
        let complaints = [Complaint {
            accuser: 1,
            accused: 3,
        }];
        let observed =
            GroupKey::from_public_transcript(params, &CTX, &bs, &complaints, &[]).unwrap();
        assert_eq!(observed.qualified(), &[1, 2]);
        for p in r3.into_iter().take(2) {
            assert_eq!(p.finish(&complaints, &[]).unwrap().group, observed);
        }
    }

    #[test]
    fn parameters_are_checked() {
        assert!(DkgParameters::new(0, 3).is_err());
        assert!(DkgParameters::new(4, 3).is_err());
        assert!(DkgParameters::new(3, 3).is_ok());
        let p = DkgParameters::new(2, 3).unwrap();
        assert_eq!(
            DkgRound1::new(p, 4, &CTX).err(),
            Some(DkgError::UnknownParticipant { index: 4 })
        );
    }

    #[test]
    fn pop_bound_to_index_and_context() {
        let params = DkgParameters::new(2, 3).unwrap();
        let (_, bs) = broadcasts(params);
        assert!(bs.iter().all(|b| b.is_valid(&params, &CTX)));
        // Same commitments and proof, claimed by another index.
        let relabelled = Round1Broadcast {
            sender: 3,
            ..bs[1].clone()
        };
        assert!(!relabelled.is_valid(&params, &CTX));
        // Another session context.
        assert!(!bs[1].is_valid(&params, &Context::new(b"poll-78/counters")));
        // Other parameters.
        assert!(!bs[1].is_valid(&DkgParameters::new(2, 4).unwrap(), &CTX));
    }

    #[test]
    fn rogue_key_is_excluded() {
        let params = DkgParameters::new(2, 3).unwrap();
        let (rounds, mut bs) = broadcasts(params);
        let target = RistrettoPoint::mul_base(&Scalar::from(42u64));
        let others: RistrettoPoint = bs[..2].iter().map(|b| b.commitments[0]).sum();
        let rogue = target - others;
        // The attacker reuses a valid-looking proof from its own honest broadcast.
        bs[2] = Round1Broadcast {
            commitments: vec![rogue, bs[2].commitments[1]],
            ..bs[2].clone()
        };
        assert!(!bs[2].is_valid(&params, &CTX));
        let group = GroupKey::from_public_transcript(params, &CTX, &bs, &[], &[]).unwrap();
        assert_eq!(group.qualified(), &[1, 2]);
        assert_ne!(*group.public_key().as_point(), target);
        assert_eq!(*group.public_key().as_point(), others);
        let (r2, _) = rounds
            .into_iter()
            .next()
            .unwrap()
            .receive_broadcasts(&bs)
            .unwrap();
        assert_eq!(r2.excluded(), &[3]);
    }
}
