//! ECDH-PSI on ristretto255, as a typestate machine per role. Transport-agnostic: each state
//! produces and consumes [`Message`]s; the caller moves them (HTTP, TCP, a channel) and may
//! drop a state at any time to abandon the session.
//!
//! With `H` the session-bound hash-to-group, `a` the initiator's and `b` the responder's
//! per-session secret scalars, `X` and `Y` their deduplicated sets:
//!
//! 1. initiator → responder: `a·H(x)` for `x ∈ X`, in a secret random order (step
//!    [`Step::InitiatorBlinded`]).
//! 2. responder → initiator: `tag(b·a·H(x))` for each point received, in the same order — or, in
//!    [`Mode::Cardinality`], all of them sorted, which destroys the order
//!    ([`Step::ResponderDoubled`]).
//! 3. responder → initiator: `b·H(y)` for `y ∈ Y`, in a secret random order
//!    ([`Step::ResponderBlinded`]). The initiator computes `tag(a·b·H(y))` and looks each up
//!    among its own doubly-blinded tags.
//! 4. ([`Mode::BothSides`], [`Mode::Cardinality`]) initiator → responder: those tags, in the
//!    responder's order (both sides) or sorted (cardinality) ([`Step::InitiatorDoubled`]). The
//!    responder looks them up among the tags it computed in step 2.
//!
//! Tags are `len`-byte truncations of a hash of the doubly-blinded point (see
//! [`super::group::tag_len`]): the expected number of false matches over the whole session is
//! below `2^-40`.
//!
//! Every message carries the session id, its step and a per-step sequence number; a message
//! from another session, an unexpected step, an out-of-order batch, an over-long batch, more
//! items than declared, or an invalid point ends the session with a [`PsiError`].

use borsh::{BorshDeserialize, BorshSerialize};
use rand::seq::SliceRandom;
use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::{hex32, PsiError};
use super::group::{self, BlindingKey, POINT_LEN};
use super::transcript;

/// What the session reveals, and to whom.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// The initiator learns the intersection; the responder learns only the initiator's size.
    OneSide,
    /// Both learn the intersection.
    BothSides,
    /// Both learn only the size of the intersection.
    Cardinality,
}

impl Mode {
    fn byte(self) -> u8 {
        match self {
            Mode::OneSide => 0,
            Mode::BothSides => 1,
            Mode::Cardinality => 2,
        }
    }
}

/// The protocol step a message belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Step {
    /// Initiator's blinded points.
    InitiatorBlinded,
    /// Responder's tags of the initiator's doubly-blinded points.
    ResponderDoubled,
    /// Responder's blinded points.
    ResponderBlinded,
    /// Initiator's tags of the responder's doubly-blinded points.
    InitiatorDoubled,
}

impl Step {
    fn index(self) -> usize {
        match self {
            Step::InitiatorBlinded => 0,
            Step::ResponderDoubled => 1,
            Step::ResponderBlinded => 2,
            Step::InitiatorDoubled => 3,
        }
    }
}

/// A batch of compressed points.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PointBatch {
    /// Session the batch belongs to.
    pub session_id: [u8; 32],
    /// Step.
    pub step: Step,
    /// Sequence number within the step, from 0.
    pub seq: u64,
    /// Compressed ristretto255 points.
    pub points: Vec<[u8; POINT_LEN]>,
}

/// A batch of truncated tags.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct TagBatch {
    /// Session the batch belongs to.
    pub session_id: [u8; 32],
    /// Step.
    pub step: Step,
    /// Sequence number within the step, from 0.
    pub seq: u64,
    /// Concatenated tags of the session's tag length.
    pub tags: Vec<u8>,
}

/// A protocol message.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Message {
    /// Points.
    Points(PointBatch),
    /// Tags.
    Tags(TagBatch),
}

impl Message {
    /// The wire encoding (borsh).
    pub fn encode(&self) -> Vec<u8> {
        borsh::to_vec(self).expect("write to Vec")
    }

    /// Decodes a message, refusing anything over `max_len` bytes before parsing.
    pub fn decode(bytes: &[u8], max_len: usize) -> Result<Message, PsiError> {
        if bytes.len() > max_len {
            return Err(PsiError::Malformed(format!(
                "message of {} bytes exceeds {max_len}",
                bytes.len()
            )));
        }
        borsh::from_slice(bytes).map_err(|e| PsiError::Malformed(e.to_string()))
    }

    /// Items carried (points or tags of `tag_len` bytes).
    pub fn items(&self, tag_len: usize) -> usize {
        match self {
            Message::Points(p) => p.points.len(),
            Message::Tags(t) => t.tags.len() / tag_len.max(1),
        }
    }

    fn describe(&self) -> String {
        match self {
            Message::Points(p) => format!("points of {:?}", p.step),
            Message::Tags(t) => format!("tags of {:?}", t.step),
        }
    }
}

/// Resource limits a party enforces on any session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Most items either side may declare.
    pub max_items: u64,
    /// Most items in one batch.
    pub max_batch: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_items: 1 << 27,
            max_batch: 1 << 16,
        }
    }
}

impl Limits {
    /// The largest encoded message these limits allow (for transports to cap reads).
    pub fn max_message_len(&self) -> usize {
        64 + self.max_batch as usize * POINT_LEN
    }
}

/// Parameters both parties agreed on before the exchange (and committed to on chain).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct SessionParams {
    /// Session id (random, 32 bytes; also the on-chain session id).
    pub session_id: [u8; 32],
    /// Mode.
    pub mode: Mode,
    /// Deduplicated set size of the initiator.
    pub initiator_size: u64,
    /// Deduplicated set size of the responder.
    pub responder_size: u64,
    /// Items per batch.
    pub batch_size: u32,
}

impl SessionParams {
    /// Tag length in bytes for this session.
    pub fn tag_len(&self) -> usize {
        group::tag_len(self.initiator_size, self.responder_size)
    }

    /// Checks the parameters against `limits`.
    pub fn validate(&self, limits: &Limits) -> Result<(), PsiError> {
        for (who, n) in [
            ("initiator", self.initiator_size),
            ("responder", self.responder_size),
        ] {
            if n > limits.max_items {
                return Err(PsiError::TooManyItems {
                    found: n,
                    limit: limits.max_items,
                })
                .map_err(|e| PsiError::InvalidParams(format!("{who}: {e}")));
            }
        }
        if self.batch_size == 0 || self.batch_size > limits.max_batch {
            return Err(PsiError::InvalidParams(format!(
                "batch size {} not in 1..={}",
                self.batch_size, limits.max_batch
            )));
        }
        Ok(())
    }
}

/// A deduplicated input set, stored compactly (one byte arena and one offset per item) so
/// that ten million identifiers cost about 8 bytes of overhead each.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct InputSet {
    data: Vec<u8>,
    ends: Vec<u64>,
}

impl std::fmt::Debug for InputSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the items.
        write!(f, "InputSet({} items)", self.ends.len())
    }
}

/// Builds an [`InputSet`] item by item.
#[derive(Default)]
pub struct InputSetBuilder {
    data: Vec<u8>,
    ends: Vec<u64>,
}

impl std::fmt::Debug for InputSetBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "InputSetBuilder({} items)", self.ends.len())
    }
}

impl InputSetBuilder {
    /// Adds one item.
    pub fn push(&mut self, item: &[u8]) {
        self.data.extend_from_slice(item);
        self.ends.push(self.data.len() as u64);
    }

    /// Sorts and deduplicates (set semantics: a repeated item is sent once, so multiplicities
    /// never leak).
    pub fn build(self) -> InputSet {
        let raw = InputSet {
            data: self.data,
            ends: self.ends,
        };
        let mut idx: Vec<u32> = (0..raw.ends.len() as u32).collect();
        idx.par_sort_unstable_by(|&i, &j| raw.get(i as usize).cmp(raw.get(j as usize)));
        idx.dedup_by(|i, j| raw.get(*i as usize) == raw.get(*j as usize));
        let mut out = InputSetBuilder {
            data: Vec::with_capacity(raw.data.len()),
            ends: Vec::with_capacity(idx.len()),
        };
        for i in idx {
            out.push(raw.get(i as usize));
        }
        out.data.shrink_to_fit();
        InputSet {
            data: out.data,
            ends: out.ends,
        }
    }
}

impl InputSet {
    /// Deduplicates `items`.
    pub fn new(items: Vec<Vec<u8>>) -> InputSet {
        let mut b = InputSetBuilder::default();
        for it in &items {
            b.push(it);
        }
        drop(items);
        b.build()
    }

    /// Number of distinct items.
    pub fn len(&self) -> u64 {
        self.ends.len() as u64
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Item `i` in sorted order.
    pub fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.data[start..self.ends[i] as usize]
    }

    /// The items, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.ends.len()).map(|i| self.get(i))
    }

    /// The items, sorted, copied out.
    pub fn to_vec(&self) -> Vec<Vec<u8>> {
        self.iter().map(<[u8]>::to_vec).collect()
    }
}

/// A set in a secret random order: position `p` holds `set.get(order[p])`.
struct Shuffled {
    set: InputSet,
    order: Vec<u32>,
}

impl Shuffled {
    fn new(set: InputSet, rng: &mut (impl RngCore + CryptoRng)) -> Shuffled {
        let mut order: Vec<u32> = (0..set.len() as u32).collect();
        order.shuffle(rng);
        Shuffled { set, order }
    }

    fn len(&self) -> usize {
        self.order.len()
    }

    fn at(&self, p: usize) -> &[u8] {
        self.set.get(self.order[p] as usize)
    }

    /// The items at `positions`, sorted.
    fn pick(&self, positions: &[u32]) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = positions
            .iter()
            .map(|&p| self.at(p as usize).to_vec())
            .collect();
        out.par_sort_unstable();
        out
    }
}

/// What a finished session revealed to this party.
#[derive(Clone, PartialEq, Eq)]
pub enum Revealed {
    /// The items in the intersection (sorted).
    Intersection(Vec<Vec<u8>>),
    /// Only the number of common items.
    Cardinality(u64),
    /// Nothing beyond the peer's set size.
    Nothing,
}

impl std::fmt::Debug for Revealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Revealed::Intersection(v) => write!(f, "Intersection({} items)", v.len()),
            Revealed::Cardinality(n) => write!(f, "Cardinality({n})"),
            Revealed::Nothing => f.write_str("Nothing"),
        }
    }
}

/// The result of a session for one party.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// What this party learnt.
    pub revealed: Revealed,
    /// The agreed parameters.
    pub params: SessionParams,
    /// The result digest both parties compute identically and sign; the chain records it.
    pub digest: [u8; 32],
}

/// State shared by every step: parameters and per-step transcript hashes.
struct Ctx {
    params: SessionParams,
    tag_len: usize,
    steps: [Sha256; 4],
}

impl Ctx {
    fn new(
        params: SessionParams,
        limits: Limits,
        own_size: u64,
        declared: u64,
    ) -> Result<Ctx, PsiError> {
        params.validate(&limits)?;
        if own_size != declared {
            return Err(PsiError::InvalidParams(format!(
                "set has {own_size} distinct items but {declared} were declared"
            )));
        }
        let steps = std::array::from_fn(|i| {
            let mut h = Sha256::new();
            h.update(transcript::STEP_TRANSCRIPT);
            h.update(params.session_id);
            h.update([i as u8]);
            h
        });
        Ok(Ctx {
            tag_len: params.tag_len(),
            params,
            steps,
        })
    }

    fn sid(&self) -> &[u8; 32] {
        &self.params.session_id
    }

    fn absorb(&mut self, msg: &Message) {
        let (step, seq, body): (Step, u64, &[u8]) = match msg {
            Message::Points(p) => (p.step, p.seq, p.points.as_flattened()),
            Message::Tags(t) => (t.step, t.seq, &t.tags),
        };
        let h = &mut self.steps[step.index()];
        h.update(seq.to_le_bytes());
        h.update((body.len() as u64).to_le_bytes());
        h.update(body);
    }

    /// Checks session, step, order and batch size of an incoming message; absorbs it.
    fn accept(
        &mut self,
        msg: &Message,
        step: Step,
        seq: u64,
        points: bool,
    ) -> Result<(), PsiError> {
        let (sid, found_step, found_seq, is_points) = match msg {
            Message::Points(p) => (&p.session_id, p.step, p.seq, true),
            Message::Tags(t) => (&t.session_id, t.step, t.seq, false),
        };
        if sid != self.sid() {
            return Err(PsiError::WrongSession {
                expected: hex32(self.sid()),
                found: hex32(sid),
            });
        }
        if found_step != step || is_points != points {
            return Err(PsiError::UnexpectedMessage {
                expected: format!("{} of {step:?}", if points { "points" } else { "tags" }),
                found: msg.describe(),
            });
        }
        if found_seq != seq {
            return Err(PsiError::BadSequence {
                expected: seq,
                found: found_seq,
            });
        }
        let n = match msg {
            Message::Points(p) => p.points.len(),
            Message::Tags(t) => {
                if t.tags.len() % self.tag_len != 0 {
                    return Err(PsiError::Malformed(format!(
                        "{} tag bytes is not a multiple of the tag length {}",
                        t.tags.len(),
                        self.tag_len
                    )));
                }
                t.tags.len() / self.tag_len
            }
        };
        if n > self.params.batch_size as usize {
            return Err(PsiError::BatchTooLarge {
                found: n,
                limit: self.params.batch_size as usize,
            });
        }
        self.absorb(msg);
        Ok(())
    }

    fn tags_message(&mut self, step: Step, seq: u64, tags: &[u128]) -> Message {
        let mut bytes = Vec::with_capacity(tags.len() * self.tag_len);
        for t in tags {
            group::push_tag(&mut bytes, *t, self.tag_len);
        }
        let msg = Message::Tags(TagBatch {
            session_id: *self.sid(),
            step,
            seq,
            tags: bytes,
        });
        self.absorb(&msg);
        msg
    }

    fn tag_points(&self, points: &[group::CompressedRistretto]) -> Vec<u128> {
        let (sid, len) = (*self.sid(), self.tag_len);
        points
            .par_iter()
            .map(|p| group::tag(transcript::TAG, &sid, p, len))
            .collect()
    }

    fn digest(self, count: Option<u64>) -> [u8; 32] {
        let p = self.params;
        let steps: Vec<[u8; 32]> = self
            .steps
            .into_iter()
            .map(|h| h.finalize().into())
            .collect();
        let count = count.map(|c| c.to_le_bytes()).unwrap_or_default();
        transcript::hash_parts(
            transcript::RESULT_DIGEST,
            &[
                &p.session_id,
                &[p.mode.byte()],
                &p.initiator_size.to_le_bytes(),
                &p.responder_size.to_le_bytes(),
                &steps[0],
                &steps[1],
                &steps[2],
                &steps[3],
                &count,
            ],
        )
    }
}

/// Splits `tags` into messages of at most `batch` tags.
fn tag_messages(ctx: &mut Ctx, step: Step, tags: &[u128]) -> Vec<Message> {
    let batch = ctx.params.batch_size as usize;
    tags.chunks(batch)
        .enumerate()
        .map(|(i, c)| ctx.tags_message(step, i as u64, c))
        .collect()
}

/// Hashes and blinds the next batch of `items[*sent..]`, as a points message of `step`.
fn blind_next(
    ctx: &mut Ctx,
    key: &BlindingKey,
    items: &Shuffled,
    sent: &mut usize,
    seq: &mut u64,
    step: Step,
) -> Option<Message> {
    if *sent >= items.len() {
        return None;
    }
    let end = (*sent + ctx.params.batch_size as usize).min(items.len());
    let batch: Vec<&[u8]> = (*sent..end).map(|p| items.at(p)).collect();
    let points = key
        .hash_and_blind(transcript::HASH_TO_GROUP, ctx.sid(), &batch)
        .into_iter()
        .map(|c| c.0)
        .collect();
    let msg = Message::Points(PointBatch {
        session_id: *ctx.sid(),
        step,
        seq: *seq,
        points,
    });
    ctx.absorb(&msg);
    *sent = end;
    *seq += 1;
    Some(msg)
}

fn check_total(received: u64, n: u64, limit: u64) -> Result<(), PsiError> {
    if received + n > limit {
        return Err(PsiError::TooManyItems {
            found: received + n,
            limit,
        });
    }
    Ok(())
}

fn check_complete(found: u64, expected: u64) -> Result<(), PsiError> {
    if found != expected {
        return Err(PsiError::Incomplete { found, expected });
    }
    Ok(())
}

// ---------------------------------------------------------------- initiator

/// Initiator, step 1: sending its blinded items.
pub struct InitiatorBlinding {
    ctx: Ctx,
    key: BlindingKey,
    items: Shuffled,
    sent: usize,
    seq: u64,
}

impl std::fmt::Debug for InitiatorBlinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "InitiatorBlinding({}/{} sent)",
            self.sent,
            self.items.len()
        )
    }
}

impl InitiatorBlinding {
    /// Starts a session as initiator with a fresh secret scalar and a fresh random order.
    pub fn start_with_rng(
        params: SessionParams,
        limits: Limits,
        set: InputSet,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<InitiatorBlinding, PsiError> {
        let ctx = Ctx::new(params, limits, set.len(), params.initiator_size)?;
        Ok(InitiatorBlinding {
            ctx,
            key: BlindingKey::random_with_rng(rng),
            items: Shuffled::new(set, rng),
            sent: 0,
            seq: 0,
        })
    }

    /// Starts with the OS random number generator.
    pub fn start(params: SessionParams, limits: Limits, set: InputSet) -> Result<Self, PsiError> {
        Self::start_with_rng(params, limits, set, &mut rand::rngs::OsRng)
    }

    /// The next batch to send, or `None` once every item was sent.
    pub fn next_batch(&mut self) -> Option<Message> {
        let step = Step::InitiatorBlinded;
        blind_next(
            &mut self.ctx,
            &self.key,
            &self.items,
            &mut self.sent,
            &mut self.seq,
            step,
        )
    }

    /// Items sent so far.
    pub fn sent(&self) -> u64 {
        self.sent as u64
    }

    /// Moves on once every item was sent.
    pub fn finish(self) -> Result<InitiatorAwaitingTags, PsiError> {
        check_complete(self.sent as u64, self.items.len() as u64)?;
        Ok(InitiatorAwaitingTags {
            ctx: self.ctx,
            key: self.key,
            items: self.items,
            own_tags: Vec::new(),
            seq: 0,
        })
    }
}

/// Initiator, step 2: receiving the tags of its doubly-blinded items.
pub struct InitiatorAwaitingTags {
    ctx: Ctx,
    key: BlindingKey,
    items: Shuffled,
    own_tags: Vec<u128>,
    seq: u64,
}

impl std::fmt::Debug for InitiatorAwaitingTags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "InitiatorAwaitingTags({} received)", self.own_tags.len())
    }
}

impl InitiatorAwaitingTags {
    /// Absorbs one batch of tags.
    pub fn receive(&mut self, msg: Message) -> Result<(), PsiError> {
        self.ctx
            .accept(&msg, Step::ResponderDoubled, self.seq, false)?;
        let Message::Tags(t) = msg else {
            unreachable!("checked by accept")
        };
        let tags = group::read_tags(&t.tags, self.ctx.tag_len)?;
        check_total(
            self.own_tags.len() as u64,
            tags.len() as u64,
            self.ctx.params.initiator_size,
        )?;
        self.own_tags.extend(tags);
        self.seq += 1;
        Ok(())
    }

    /// Tags received so far.
    pub fn received(&self) -> u64 {
        self.own_tags.len() as u64
    }

    /// Moves on once a tag arrived for every item.
    pub fn finish(self) -> Result<InitiatorComparing, PsiError> {
        check_complete(self.own_tags.len() as u64, self.ctx.params.initiator_size)?;
        // Sorted tags with their positions, as two arrays (24 bytes per item at peak, 20 after).
        let own = self.own_tags;
        let mut positions: Vec<u32> = (0..own.len() as u32).collect();
        positions.par_sort_unstable_by_key(|&i| own[i as usize]);
        let tags: Vec<u128> = positions.par_iter().map(|&i| own[i as usize]).collect();
        drop(own);
        Ok(InitiatorComparing {
            ctx: self.ctx,
            key: self.key,
            items: self.items,
            tags,
            positions,
            matched: Vec::new(),
            count: 0,
            received: 0,
            seq: 0,
            out_seq: 0,
            returned: Vec::new(),
        })
    }
}

/// Initiator, step 3: blinding the responder's points and comparing.
pub struct InitiatorComparing {
    ctx: Ctx,
    key: BlindingKey,
    items: Shuffled,
    tags: Vec<u128>,
    positions: Vec<u32>,
    matched: Vec<u32>,
    count: u64,
    received: u64,
    seq: u64,
    out_seq: u64,
    returned: Vec<u128>,
}

impl std::fmt::Debug for InitiatorComparing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "InitiatorComparing({} received)", self.received)
    }
}

impl InitiatorComparing {
    /// Absorbs one batch of the responder's blinded points; in [`Mode::BothSides`] returns the
    /// tags to send back at once.
    pub fn receive(&mut self, msg: Message) -> Result<Option<Message>, PsiError> {
        self.ctx
            .accept(&msg, Step::ResponderBlinded, self.seq, true)?;
        let Message::Points(p) = msg else {
            unreachable!("checked by accept")
        };
        check_total(
            self.received,
            p.points.len() as u64,
            self.ctx.params.responder_size,
        )?;
        let doubled = self.key.decode_and_blind(p.seq, &p.points)?;
        let tags = self.ctx.tag_points(&doubled);
        for t in &tags {
            let mut i = self.tags.partition_point(|x| x < t);
            while i < self.tags.len() && self.tags[i] == *t {
                self.matched.push(self.positions[i]);
                self.count += 1;
                i += 1;
            }
        }
        self.received += tags.len() as u64;
        self.seq += 1;
        match self.ctx.params.mode {
            Mode::OneSide => Ok(None),
            Mode::BothSides => {
                let out = self
                    .ctx
                    .tags_message(Step::InitiatorDoubled, self.out_seq, &tags);
                self.out_seq += 1;
                Ok(Some(out))
            }
            Mode::Cardinality => {
                self.returned.extend(tags);
                Ok(None)
            }
        }
    }

    /// Points received so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Ends the session once every responder point arrived: the outcome, and the messages still
    /// to send (the sorted tags in [`Mode::Cardinality`]).
    pub fn finish(mut self) -> Result<(Outcome, Vec<Message>), PsiError> {
        check_complete(self.received, self.ctx.params.responder_size)?;
        let mut out = Vec::new();
        if self.ctx.params.mode == Mode::Cardinality {
            self.returned.par_sort_unstable();
            out = tag_messages(&mut self.ctx, Step::InitiatorDoubled, &self.returned);
        }
        let params = self.ctx.params;
        // A malicious responder could repeat a point; count each own item once.
        self.matched.par_sort_unstable();
        self.matched.dedup();
        let (revealed, count) = match params.mode {
            Mode::Cardinality => (Revealed::Cardinality(self.count), Some(self.count)),
            mode => {
                let items = self.items.pick(&self.matched);
                let count = items.len() as u64;
                let shared = (mode == Mode::BothSides).then_some(count);
                (Revealed::Intersection(items), shared)
            }
        };
        let digest = self.ctx.digest(count);
        Ok((
            Outcome {
                revealed,
                params,
                digest,
            },
            out,
        ))
    }
}

// ---------------------------------------------------------------- responder

/// Responder, step 1: doubly blinding the initiator's points.
pub struct ResponderDoubling {
    ctx: Ctx,
    key: BlindingKey,
    items: Shuffled,
    peer_tags: Vec<u128>,
    seq: u64,
}

impl std::fmt::Debug for ResponderDoubling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ResponderDoubling({} received)", self.peer_tags.len())
    }
}

impl ResponderDoubling {
    /// Joins a session as responder with a fresh secret scalar and a fresh random order.
    pub fn start_with_rng(
        params: SessionParams,
        limits: Limits,
        set: InputSet,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<ResponderDoubling, PsiError> {
        let ctx = Ctx::new(params, limits, set.len(), params.responder_size)?;
        Ok(ResponderDoubling {
            ctx,
            key: BlindingKey::random_with_rng(rng),
            items: Shuffled::new(set, rng),
            peer_tags: Vec::new(),
            seq: 0,
        })
    }

    /// Joins with the OS random number generator.
    pub fn start(params: SessionParams, limits: Limits, set: InputSet) -> Result<Self, PsiError> {
        Self::start_with_rng(params, limits, set, &mut rand::rngs::OsRng)
    }

    /// Absorbs a batch of the initiator's points; returns the tags to send back at once, except
    /// in [`Mode::Cardinality`] (sent sorted by [`ResponderDoubling::finish`]).
    pub fn receive(&mut self, msg: Message) -> Result<Option<Message>, PsiError> {
        self.ctx
            .accept(&msg, Step::InitiatorBlinded, self.seq, true)?;
        let Message::Points(p) = msg else {
            unreachable!("checked by accept")
        };
        check_total(
            self.peer_tags.len() as u64,
            p.points.len() as u64,
            self.ctx.params.initiator_size,
        )?;
        let doubled = self.key.decode_and_blind(p.seq, &p.points)?;
        let tags = self.ctx.tag_points(&doubled);
        let out = match self.ctx.params.mode {
            Mode::Cardinality => None,
            _ => Some(
                self.ctx
                    .tags_message(Step::ResponderDoubled, self.seq, &tags),
            ),
        };
        self.peer_tags.extend(tags);
        self.seq += 1;
        Ok(out)
    }

    /// Points received so far.
    pub fn received(&self) -> u64 {
        self.peer_tags.len() as u64
    }

    /// Moves on once every initiator point arrived; returns the messages still to send.
    pub fn finish(mut self) -> Result<(ResponderBlinding, Vec<Message>), PsiError> {
        check_complete(self.peer_tags.len() as u64, self.ctx.params.initiator_size)?;
        self.peer_tags.par_sort_unstable();
        let out = match self.ctx.params.mode {
            Mode::Cardinality => {
                tag_messages(&mut self.ctx, Step::ResponderDoubled, &self.peer_tags)
            }
            _ => Vec::new(),
        };
        Ok((
            ResponderBlinding {
                ctx: self.ctx,
                key: self.key,
                items: self.items,
                peer_tags: self.peer_tags,
                sent: 0,
                seq: 0,
            },
            out,
        ))
    }
}

/// Responder, step 2: sending its blinded items.
pub struct ResponderBlinding {
    ctx: Ctx,
    key: BlindingKey,
    items: Shuffled,
    peer_tags: Vec<u128>,
    sent: usize,
    seq: u64,
}

impl std::fmt::Debug for ResponderBlinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ResponderBlinding({}/{} sent)",
            self.sent,
            self.items.len()
        )
    }
}

impl ResponderBlinding {
    /// The next batch to send, or `None` once every item was sent.
    pub fn next_batch(&mut self) -> Option<Message> {
        let step = Step::ResponderBlinded;
        blind_next(
            &mut self.ctx,
            &self.key,
            &self.items,
            &mut self.sent,
            &mut self.seq,
            step,
        )
    }

    /// Items sent so far.
    pub fn sent(&self) -> u64 {
        self.sent as u64
    }

    /// Moves on once every item was sent. The secret scalar is dropped (zeroized) here.
    pub fn finish(self) -> Result<ResponderFinishing, PsiError> {
        check_complete(self.sent as u64, self.items.len() as u64)?;
        Ok(ResponderFinishing {
            ctx: self.ctx,
            items: self.items,
            peer_tags: self.peer_tags,
            matched: Vec::new(),
            count: 0,
            received: 0,
            seq: 0,
        })
    }
}

/// Responder, step 3: receiving the initiator's tags of its items (not in [`Mode::OneSide`]).
pub struct ResponderFinishing {
    ctx: Ctx,
    items: Shuffled,
    peer_tags: Vec<u128>,
    matched: Vec<u32>,
    count: u64,
    received: u64,
    seq: u64,
}

impl std::fmt::Debug for ResponderFinishing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ResponderFinishing({} received)", self.received)
    }
}

impl ResponderFinishing {
    /// Whether more messages are expected before [`ResponderFinishing::finish`].
    pub fn expects_more(&self) -> bool {
        self.ctx.params.mode != Mode::OneSide && self.received < self.ctx.params.responder_size
    }

    /// Absorbs a batch of tags of the responder's doubly-blinded items.
    pub fn receive(&mut self, msg: Message) -> Result<(), PsiError> {
        if self.ctx.params.mode == Mode::OneSide {
            return Err(PsiError::UnexpectedMessage {
                expected: "nothing (one-side mode)".into(),
                found: msg.describe(),
            });
        }
        self.ctx
            .accept(&msg, Step::InitiatorDoubled, self.seq, false)?;
        let Message::Tags(t) = msg else {
            unreachable!("checked by accept")
        };
        let tags = group::read_tags(&t.tags, self.ctx.tag_len)?;
        check_total(
            self.received,
            tags.len() as u64,
            self.ctx.params.responder_size,
        )?;
        for (i, t) in tags.iter().enumerate() {
            if self.peer_tags.binary_search(t).is_ok() {
                self.count += 1;
                self.matched.push((self.received + i as u64) as u32);
            }
        }
        self.received += tags.len() as u64;
        self.seq += 1;
        Ok(())
    }

    /// Ends the session.
    pub fn finish(self) -> Result<Outcome, PsiError> {
        let params = self.ctx.params;
        let (revealed, count) = match params.mode {
            Mode::OneSide => (Revealed::Nothing, None),
            Mode::Cardinality => {
                check_complete(self.received, params.responder_size)?;
                (Revealed::Cardinality(self.count), Some(self.count))
            }
            Mode::BothSides => {
                check_complete(self.received, params.responder_size)?;
                let items = self.items.pick(&self.matched);
                let n = items.len() as u64;
                (Revealed::Intersection(items), Some(n))
            }
        };
        let digest = self.ctx.digest(count);
        Ok(Outcome {
            revealed,
            params,
            digest,
        })
    }
}

/// Runs both roles in one process, passing messages directly (tests, benches, demos).
/// Returns both outcomes and the bytes each side sent.
pub fn run_local_with_rng(
    params: SessionParams,
    limits: Limits,
    initiator: InputSet,
    responder: InputSet,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<LocalRun, PsiError> {
    let max = limits.max_message_len();
    let mut sent = [0u64; 2];
    let mut wire = |m: Message, who: usize| -> Result<Message, PsiError> {
        let bytes = m.encode();
        sent[who] += bytes.len() as u64;
        Message::decode(&bytes, max)
    };
    let mut a = InitiatorBlinding::start_with_rng(params, limits, initiator, rng)?;
    let mut b = ResponderDoubling::start_with_rng(params, limits, responder, rng)?;
    let mut a_tags = Vec::new();
    while let Some(m) = a.next_batch() {
        if let Some(reply) = b.receive(wire(m, 0)?)? {
            a_tags.push(wire(reply, 1)?);
        }
    }
    let mut a = a.finish()?;
    let (mut b, more) = b.finish()?;
    for m in a_tags.into_iter().chain(more) {
        a.receive(wire(m, 1)?)?;
    }
    let mut a = a.finish()?;
    let mut b_tags = Vec::new();
    while let Some(m) = b.next_batch() {
        if let Some(reply) = a.receive(wire(m, 1)?)? {
            b_tags.push(wire(reply, 0)?);
        }
    }
    let mut b = b.finish()?;
    let (initiator, more) = a.finish()?;
    for m in b_tags.into_iter().chain(more) {
        b.receive(wire(m, 0)?)?;
    }
    let responder = b.finish()?;
    Ok(LocalRun {
        initiator,
        responder,
        initiator_bytes: sent[0],
        responder_bytes: sent[1],
    })
}

/// Both outcomes of [`run_local_with_rng`].
#[derive(Debug, Clone)]
pub struct LocalRun {
    /// Initiator's outcome.
    pub initiator: Outcome,
    /// Responder's outcome.
    pub responder: Outcome,
    /// Encoded bytes the initiator sent.
    pub initiator_bytes: u64,
    /// Encoded bytes the responder sent.
    pub responder_bytes: u64,
}
