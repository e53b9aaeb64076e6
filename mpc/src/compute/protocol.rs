//! N-party secure aggregation by additive secret sharing over Z_{2^k}, as a typestate machine
//! per party: [`Committed`] -> [`Shared`] -> [`Partial`] -> [`Finished`].
//!
//! 1. **Commit.** Party i encodes its local aggregate vector a_i (plus random salt slots) in
//!    Z_{2^k}^L and publishes c_i = H(job, i, a_i, rho_i) with 256-bit randomness rho_i, one
//!    [`Message`] per other party (and the chain records c_i).
//! 2. **Share.** Once it holds every commitment, party i draws s_{i->j} uniform for j != i,
//!    sets s_{i->i} = a_i - sum_{j != i} s_{i->j}, and sends s_{i->j} to party j.
//! 3. **Partial.** Once it holds a share from every party, party j publishes its partial
//!    p_j = sum_i s_{i->j} to every result receiver.
//! 4. **Result.** A receiver with every partial reconstructs T = sum_j p_j = sum_i a_i,
//!    decodes it (exact by the job's overflow bound), checks every slot against its bound, and
//!    computes the [`JobResult`] and the result digest.
//!
//! Every message names the job hash, its round, its sender and its receiver; each state
//! refuses another job's, another round's, a misaddressed, a duplicate or a malformed message.
//! A party that never delivers makes [`Committed::share`], [`Shared::partial`] or
//! [`Partial::finish`] fail with [`ComputeError::MissingParty`]: the job fails, it never
//! returns a result missing someone's contribution. Signing and transport are the caller's:
//! the transport authenticates each [`Message::to_bytes`] between the named sender and receiver
//! and buffers messages for a later round until the state gets there.

use std::sync::Arc;

use rand_core::{CryptoRng, OsRng, RngCore};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::error::ComputeError;
use super::input::LocalAggregate;
use super::result::JobResult;
use super::ring::Ring;
use super::spec::{Job, SlotKind};
use super::transcript;

/// Protocol round of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Round {
    /// Commitment to the local aggregate.
    Commit,
    /// Additive share of the local aggregate.
    Share,
    /// Sum of the shares a party received.
    Partial,
}

impl Round {
    fn byte(self) -> u8 {
        match self {
            Round::Commit => 1,
            Round::Share => 2,
            Round::Partial => 3,
        }
    }
    fn from_byte(b: u8) -> Option<Round> {
        match b {
            1 => Some(Round::Commit),
            2 => Some(Round::Share),
            3 => Some(Round::Partial),
            _ => None,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Round::Commit => "commit",
            Round::Share => "share",
            Round::Partial => "partial",
        }
    }
}

/// Routing and binding fields of every message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Job hash.
    pub job: [u8; 32],
    /// Round.
    pub round: Round,
    /// Sender's party index.
    pub from: u16,
    /// Receiver's party index.
    pub to: u16,
}

/// What a message carries.
#[derive(Clone, PartialEq, Eq)]
pub enum Body {
    /// A commitment (round `Commit`).
    Commitment([u8; 32]),
    /// Ring elements (rounds `Share` and `Partial`), each below 2^k.
    Elements(Elements),
}

/// A vector of ring elements of one width (shares or partials). Zeroized on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Elements {
    width: u8,
    values: Vec<u128>,
}

impl std::fmt::Debug for Elements {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Elements({} x {} bytes)", self.values.len(), self.width)
    }
}

impl Elements {
    /// Bytes per element (8 or 16).
    pub fn width(&self) -> u8 {
        self.width
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.values.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Commitment(c) => write!(f, "Commitment({})", hex::encode(c)),
            Body::Elements(e) => e.fmt(f),
        }
    }
}

/// A protocol message between two parties.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Binding and routing.
    pub header: Header,
    /// Payload.
    pub body: Body,
}

const HEADER_LEN: usize = 4 + 1 + 32 + 2 + 2;

impl Message {
    /// Canonical encoding: `"WFC1" | round u8 | job 32 | from u16le | to u16le | body`, where
    /// the body is a 32-byte commitment or `width u8 | count u32le | count*width bytes`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + 37);
        out.extend_from_slice(transcript::WIRE_MAGIC);
        out.push(self.header.round.byte());
        out.extend_from_slice(&self.header.job);
        out.extend_from_slice(&self.header.from.to_le_bytes());
        out.extend_from_slice(&self.header.to.to_le_bytes());
        match &self.body {
            Body::Commitment(c) => out.extend_from_slice(c),
            Body::Elements(e) => {
                out.push(e.width);
                out.extend_from_slice(&(e.values.len() as u32).to_le_bytes());
                for v in &e.values {
                    out.extend_from_slice(&v.to_le_bytes()[..e.width as usize]);
                }
            }
        }
        out
    }

    /// Strict decoding: exact lengths, known round, width 8 or 16, at most
    /// [`super::spec::MAX_SLOTS`] elements. Never allocates more than the input's length.
    pub fn from_bytes(b: &[u8]) -> Result<Message, ComputeError> {
        let bad = |s: &str| ComputeError::Malformed(s.into());
        if b.len() < HEADER_LEN {
            return Err(bad("shorter than a header"));
        }
        if &b[..4] != transcript::WIRE_MAGIC {
            return Err(bad("unknown magic or version"));
        }
        let round = Round::from_byte(b[4]).ok_or_else(|| bad("unknown round"))?;
        let mut job = [0u8; 32];
        job.copy_from_slice(&b[5..37]);
        let from = u16::from_le_bytes([b[37], b[38]]);
        let to = u16::from_le_bytes([b[39], b[40]]);
        let rest = &b[HEADER_LEN..];
        let body = match round {
            Round::Commit => {
                let c: [u8; 32] = rest
                    .try_into()
                    .map_err(|_| bad("commitment must be exactly 32 bytes"))?;
                Body::Commitment(c)
            }
            Round::Share | Round::Partial => {
                if rest.len() < 5 {
                    return Err(bad("missing element header"));
                }
                let width = rest[0];
                if width != 8 && width != 16 {
                    return Err(bad("element width must be 8 or 16"));
                }
                let count = u32::from_le_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
                if count > super::spec::MAX_SLOTS {
                    return Err(bad("too many elements"));
                }
                let data = &rest[5..];
                if data.len() != count * width as usize {
                    return Err(bad("element count does not match the length"));
                }
                let values = data
                    .chunks_exact(width as usize)
                    .map(|c| {
                        let mut buf = [0u8; 16];
                        buf[..c.len()].copy_from_slice(c);
                        u128::from_le_bytes(buf)
                    })
                    .collect();
                Body::Elements(Elements { width, values })
            }
        };
        Ok(Message {
            header: Header {
                job,
                round,
                from,
                to,
            },
            body,
        })
    }
}

/// What a party keeps to open its commitment later (for an audit). Secret: zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Opening {
    /// Party index.
    pub party: usize,
    /// The committed vector (ring elements, salt slots included).
    pub vector: Vec<u128>,
    /// The 256-bit commitment randomness.
    pub randomness: [u8; 32],
}

impl std::fmt::Debug for Opening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opening")
            .field("party", &self.party)
            .finish_non_exhaustive()
    }
}

fn commit(job: &Job, party: usize, vector: &[u128], randomness: &[u8; 32]) -> [u8; 32] {
    let ring = job.ring();
    let mut enc = Zeroizing::new(Vec::with_capacity(vector.len() * ring.width()));
    for v in vector {
        ring.write(*v, &mut enc);
    }
    transcript::hash_parts(
        transcript::INPUT_COMMITMENT,
        &[&job.hash(), &(party as u64).to_le_bytes(), &enc, randomness],
    )
}

/// Checks an opening against a commitment (constant time in the digest comparison).
pub fn verify_opening(job: &Job, commitment: &[u8; 32], opening: &Opening) -> bool {
    if opening.vector.len() != job.slots().len() || opening.party >= job.n_parties() {
        return false;
    }
    let c = commit(job, opening.party, &opening.vector, &opening.randomness);
    c.ct_eq(commitment).into()
}

/// The result digest: H(job hash, every commitment in party order, every reconstructed slot
/// including the jointly random salt). All parties sign it; the chain records it.
pub fn result_digest(job: &Job, commitments: &[[u8; 32]], totals: &[u128]) -> [u8; 32] {
    let ring = job.ring();
    let comms: Vec<u8> = commitments.iter().flatten().copied().collect();
    let mut t = Vec::with_capacity(totals.len() * ring.width());
    for v in totals {
        ring.write(*v, &mut t);
    }
    transcript::hash_parts(transcript::RESULT_DIGEST, &[&job.hash(), &comms, &t])
}

/// Shared checks of an incoming message; returns the sender index.
fn check_header(
    job: &Job,
    me: usize,
    round: Round,
    msg: &Message,
    have: &[bool],
) -> Result<usize, ComputeError> {
    let h = &msg.header;
    if h.job != job.hash() {
        return Err(ComputeError::WrongJob {
            expected: hex::encode(job.hash()),
            found: hex::encode(h.job),
        });
    }
    if h.round != round {
        return Err(ComputeError::WrongRound {
            expected: round.name().into(),
            found: h.round.name().into(),
        });
    }
    let from = h.from as usize;
    if h.to as usize != me || from >= job.n_parties() || from == me {
        return Err(ComputeError::Misaddressed {
            from: h.from as u64,
            to: h.to as u64,
            me: me as u64,
        });
    }
    if have[from] {
        return Err(ComputeError::Duplicate {
            from: from as u64,
            round: round.name().into(),
        });
    }
    match (&msg.body, round) {
        (Body::Commitment(_), Round::Commit) => Ok(from),
        (Body::Elements(e), Round::Share | Round::Partial) => {
            let ring = job.ring();
            if e.width as usize != ring.width() {
                return Err(ComputeError::Malformed(format!(
                    "element width {} bytes, the job's ring uses {}",
                    e.width,
                    ring.width()
                )));
            }
            if e.values.len() != job.slots().len() {
                return Err(ComputeError::Malformed(format!(
                    "{} elements, the job has {} slots",
                    e.values.len(),
                    job.slots().len()
                )));
            }
            Ok(from)
        }
        _ => Err(ComputeError::Malformed(
            "body does not match the round".into(),
        )),
    }
}

fn first_missing(job: &Job, have: &[bool], round: Round) -> Result<(), ComputeError> {
    match have.iter().position(|h| !h) {
        None => Ok(()),
        Some(i) => Err(ComputeError::MissingParty {
            index: i as u64,
            did: job.did(i).unwrap_or_default().to_string(),
            round: round.name().into(),
        }),
    }
}

fn missing_list(have: &[bool]) -> Vec<usize> {
    have.iter()
        .enumerate()
        .filter(|(_, h)| !**h)
        .map(|(i, _)| i)
        .collect()
}

fn header(job: &Job, round: Round, from: usize, to: usize) -> Header {
    Header {
        job: job.hash(),
        round,
        from: from as u16,
        to: to as u16,
    }
}

/// Round 1: the party has committed to its aggregate and collects the others' commitments.
pub struct Committed {
    job: Arc<Job>,
    me: usize,
    opening: Opening,
    commitments: Vec<[u8; 32]>,
    have: Vec<bool>,
}

impl std::fmt::Debug for Committed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Committed")
            .field("me", &self.me)
            .field("missing", &missing_list(&self.have))
            .finish_non_exhaustive()
    }
}

impl Committed {
    /// Encodes and commits to `local` with the OS RNG.
    pub fn new(job: Arc<Job>, local: &LocalAggregate) -> Result<Committed, ComputeError> {
        Committed::new_with_rng(job, local, &mut OsRng)
    }

    /// Encodes and commits to `local` (adding this party's random salt slots).
    pub fn new_with_rng<R: RngCore + CryptoRng>(
        job: Arc<Job>,
        local: &LocalAggregate,
        rng: &mut R,
    ) -> Result<Committed, ComputeError> {
        let me = local.party;
        if me >= job.n_parties() {
            return Err(ComputeError::UnknownParty(format!("index {me}")));
        }
        let salt = job.salt_slots();
        if local.slots.len() != salt.start {
            return Err(ComputeError::BadAggregate(format!(
                "{} slots, the job has {}",
                local.slots.len(),
                salt.start
            )));
        }
        let ring = job.ring();
        let mut vector = Vec::with_capacity(job.slots().len());
        for (v, slot) in local.slots.iter().zip(job.slots()) {
            if v.unsigned_abs() > slot.bound || (slot.kind == SlotKind::Count && *v < 0) {
                return Err(ComputeError::BadAggregate(format!(
                    "{} exceeds its bound",
                    slot.what
                )));
            }
            vector.push(ring.encode(*v));
        }
        for _ in salt {
            vector.push(ring.random(rng));
        }
        let mut randomness = [0u8; 32];
        rng.fill_bytes(&mut randomness);
        let c = commit(&job, me, &vector, &randomness);
        let n = job.n_parties();
        let mut commitments = vec![[0u8; 32]; n];
        let mut have = vec![false; n];
        commitments[me] = c;
        have[me] = true;
        Ok(Committed {
            job,
            me,
            opening: Opening {
                party: me,
                vector,
                randomness,
            },
            commitments,
            have,
        })
    }

    /// This party's commitment (what the chain records for it).
    pub fn commitment(&self) -> [u8; 32] {
        self.commitments[self.me]
    }

    /// The opening of this party's commitment (keep it for an audit; never send it).
    pub fn opening(&self) -> &Opening {
        &self.opening
    }

    /// The commitment messages, one to every other party.
    pub fn messages(&self) -> Vec<Message> {
        (0..self.job.n_parties())
            .filter(|&j| j != self.me)
            .map(|j| Message {
                header: header(&self.job, Round::Commit, self.me, j),
                body: Body::Commitment(self.commitment()),
            })
            .collect()
    }

    /// Accepts another party's commitment.
    pub fn receive(&mut self, msg: &Message) -> Result<(), ComputeError> {
        let from = check_header(&self.job, self.me, Round::Commit, msg, &self.have)?;
        if let Body::Commitment(c) = &msg.body {
            self.commitments[from] = *c;
            self.have[from] = true;
        }
        Ok(())
    }

    /// Parties whose commitment has not arrived.
    pub fn missing(&self) -> Vec<usize> {
        missing_list(&self.have)
    }

    /// Splits the aggregate into shares (OS RNG); fails naming a party whose commitment is
    /// missing.
    pub fn share(self) -> Result<(Shared, Vec<Message>), ComputeError> {
        self.share_with_rng(&mut OsRng)
    }

    /// Splits the aggregate into shares, one message per other party.
    pub fn share_with_rng<R: RngCore + CryptoRng>(
        self,
        rng: &mut R,
    ) -> Result<(Shared, Vec<Message>), ComputeError> {
        first_missing(&self.job, &self.have, Round::Commit)?;
        let job = self.job.clone();
        let ring = job.ring();
        let n = job.n_parties();
        let mut own = self.opening.vector.clone();
        let mut out = Vec::with_capacity(n - 1);
        for j in (0..n).filter(|&j| j != self.me) {
            let values: Vec<u128> = (0..own.len()).map(|_| ring.random(rng)).collect();
            for (o, s) in own.iter_mut().zip(&values) {
                *o = ring.sub(*o, *s);
            }
            out.push(Message {
                header: header(&job, Round::Share, self.me, j),
                body: Body::Elements(Elements {
                    width: ring.width() as u8,
                    values,
                }),
            });
        }
        let mut have = vec![false; n];
        have[self.me] = true;
        Ok((
            Shared {
                job,
                me: self.me,
                commitments: self.commitments.clone(),
                acc: own,
                have,
            },
            out,
        ))
    }
}

/// Round 2: the party has sent its shares and sums the shares it receives.
pub struct Shared {
    job: Arc<Job>,
    me: usize,
    commitments: Vec<[u8; 32]>,
    acc: Vec<u128>,
    have: Vec<bool>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.acc.zeroize();
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("me", &self.me)
            .field("missing", &missing_list(&self.have))
            .finish_non_exhaustive()
    }
}

fn add_into(ring: Ring, acc: &mut [u128], values: &[u128]) -> Result<(), ComputeError> {
    let top = if ring.bits() == 128 {
        u128::MAX
    } else {
        (1u128 << ring.bits()) - 1
    };
    if values.iter().any(|v| *v > top) {
        return Err(ComputeError::Malformed("element outside the ring".into()));
    }
    for (a, v) in acc.iter_mut().zip(values) {
        *a = ring.add(*a, *v);
    }
    Ok(())
}

impl Shared {
    /// Accepts another party's share.
    pub fn receive(&mut self, msg: &Message) -> Result<(), ComputeError> {
        let from = check_header(&self.job, self.me, Round::Share, msg, &self.have)?;
        if let Body::Elements(e) = &msg.body {
            add_into(self.job.ring(), &mut self.acc, &e.values)?;
            self.have[from] = true;
        }
        Ok(())
    }

    /// Parties whose share has not arrived.
    pub fn missing(&self) -> Vec<usize> {
        missing_list(&self.have)
    }

    /// Publishes the partial sum to every receiver; fails naming a party whose share is
    /// missing.
    pub fn partial(mut self) -> Result<(Partial, Vec<Message>), ComputeError> {
        first_missing(&self.job, &self.have, Round::Share)?;
        let job = self.job.clone();
        let n = job.n_parties();
        let partial = std::mem::take(&mut self.acc);
        let out = job
            .receivers()
            .iter()
            .filter(|&&r| r != self.me)
            .map(|&r| Message {
                header: header(&job, Round::Partial, self.me, r),
                body: Body::Elements(Elements {
                    width: job.ring().width() as u8,
                    values: partial.clone(),
                }),
            })
            .collect();
        let receiver = job.is_receiver(self.me);
        let mut have = vec![!receiver; n];
        have[self.me] = true;
        Ok((
            Partial {
                job,
                me: self.me,
                commitments: std::mem::take(&mut self.commitments),
                total: Zeroizing::new(if receiver { partial } else { Vec::new() }),
                have,
            },
            out,
        ))
    }
}

/// Round 3: the party has published its partial; a receiver collects every partial.
pub struct Partial {
    job: Arc<Job>,
    me: usize,
    commitments: Vec<[u8; 32]>,
    total: Zeroizing<Vec<u128>>,
    have: Vec<bool>,
}

impl std::fmt::Debug for Partial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Partial")
            .field("me", &self.me)
            .field("missing", &missing_list(&self.have))
            .finish_non_exhaustive()
    }
}

/// How a party's run ended.
#[derive(Debug)]
pub enum Finished {
    /// A result receiver: the result and its digest.
    Receiver(Box<Outcome>),
    /// A party that contributed but does not receive the result.
    Contributor {
        /// Every party's commitment, in party order (what the chain records).
        commitments: Vec<[u8; 32]>,
    },
}

/// A receiver's result.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The decoded result.
    pub result: JobResult,
    /// The result digest every party signs.
    pub digest: [u8; 32],
    /// Every party's commitment, in party order.
    pub commitments: Vec<[u8; 32]>,
}

impl Partial {
    /// Accepts another party's partial (only a receiver accepts partials).
    pub fn receive(&mut self, msg: &Message) -> Result<(), ComputeError> {
        if !self.job.is_receiver(self.me) {
            return Err(ComputeError::Misaddressed {
                from: msg.header.from as u64,
                to: msg.header.to as u64,
                me: self.me as u64,
            });
        }
        let from = check_header(&self.job, self.me, Round::Partial, msg, &self.have)?;
        if let Body::Elements(e) = &msg.body {
            add_into(self.job.ring(), &mut self.total, &e.values)?;
            self.have[from] = true;
        }
        Ok(())
    }

    /// Parties whose partial has not arrived (empty for a non-receiver).
    pub fn missing(&self) -> Vec<usize> {
        missing_list(&self.have)
    }

    /// Reconstructs and decodes the result (receivers), or ends (others). Fails naming a party
    /// whose partial is missing, or if a reconstructed slot exceeds its declared bound.
    pub fn finish(self) -> Result<Finished, ComputeError> {
        if !self.job.is_receiver(self.me) {
            return Ok(Finished::Contributor {
                commitments: self.commitments,
            });
        }
        first_missing(&self.job, &self.have, Round::Partial)?;
        let ring = self.job.ring();
        let mut totals = Vec::with_capacity(self.total.len());
        for (x, slot) in self.total.iter().zip(self.job.slots()) {
            let v = ring.decode(*x);
            if slot.kind != SlotKind::Salt
                && (v.unsigned_abs() > slot.bound || (slot.kind == SlotKind::Count && v < 0))
            {
                return Err(ComputeError::AggregateOutOfBound {
                    what: slot.what.clone(),
                });
            }
            totals.push(v);
        }
        let result = JobResult::from_totals(&self.job, &totals);
        let digest = result_digest(&self.job, &self.commitments, &self.total);
        Ok(Finished::Receiver(Box::new(Outcome {
            result,
            digest,
            commitments: self.commitments,
        })))
    }
}
