//! KKRT-PSI: symmetric-key two-party PSI from a batched OPRF (Kolesnikov, Kumaresan, Rosulek,
//! Trieu, CCS 2016) with 3-way cuckoo hashing and no stash. The default fast protocol between
//! two Weft servers; ECDH-PSI ([`super::ecdh`]) stays for low bandwidth and cardinality only.
//!
//! The **receiver** (holding `X`, `n_R` items) learns `X ∩ Y` — and, with payloads, the
//! sender's payload for each common item; in [`KkrtMode::BothSides`] the **sender** (holding
//! `Y`, `n_S` items) learns it too, in the same (sorted) order, so rows align.
//!
//! Rounds (each a state transition that consumes `self` and returns the next state with the
//! message to send; the caller moves the [`KkrtMessage`]s over any byte transport):
//!
//! 1. receiver → sender [`Hello`]: parameter digest and the base-OT point `A` ([`base_ot`]).
//! 2. sender → receiver [`BaseOt`]: 512 base-OT points (its choice bits are the secret `s`)
//!    and the key of the pseudorandom code.
//! 3. receiver → sender [`Matrix`]: `m` rows of 64 bytes, `m` = [`cuckoo::bins`]`(n_R)`.
//! 4. sender → receiver [`Tags`]: `3·n_S` entries (tag, then the encrypted payload if any),
//!    sorted by tag (a uniformly random order, since tags are pseudorandom).
//! 5. ([`KkrtMode::BothSides`]) receiver → sender [`Matches`]: positions of the matched
//!    entries, sorted.
//!
//! Protocol notes, parameters and the failure bounds: `mpc/docs/notes-psi-kkrt.md`.

mod base_ot;
pub mod cuckoo;
mod ext;
mod prim;
#[cfg(test)]
mod tests;

use borsh::{BorshDeserialize, BorshSerialize};
use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use super::ecdh::{InputSet, InputSetBuilder};
use super::error::{hex32, PsiError};
use super::transcript;
use cuckoo::{EMPTY, HASHES};
use ext::ROW_BYTES;
use prim::{Code, Prg, Row, RowHash, WIDTH, W_BLOCKS};

/// Protocol name recorded in the on-chain session.
pub const PROTOCOL: &str = "kkrt16-cuckoo3-v1";

/// Who learns the intersection.
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
pub enum KkrtMode {
    /// The receiver learns the intersection (and payloads); the sender learns `n_R`.
    OneSide,
    /// Both learn the intersection, in the same order.
    BothSides,
}

/// Parameters both parties agreed on before the exchange (and committed to on chain).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct KkrtParams {
    /// Session id (random, 32 bytes; also the on-chain session id).
    pub session_id: [u8; 32],
    /// Mode.
    pub mode: KkrtMode,
    /// Deduplicated set size of the receiver.
    pub receiver_size: u64,
    /// Deduplicated set size of the sender.
    pub sender_size: u64,
    /// Bytes of payload per sender item (0: plain PSI).
    pub payload_len: u32,
}

/// Resource limits a party enforces on any session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KkrtLimits {
    /// Most items either side may declare (at most 2^28).
    pub max_items: u64,
    /// Most payload bytes per item.
    pub max_payload_len: u32,
    /// Largest single message the parameters may imply.
    pub max_message_len: u64,
}

impl Default for KkrtLimits {
    fn default() -> Self {
        KkrtLimits {
            max_items: 1 << 24,
            max_payload_len: 1024,
            max_message_len: 2 << 30,
        }
    }
}

/// Hard ceiling on set sizes: cuckoo entries pack `item << 2` into a `u32`.
const HARD_MAX_ITEMS: u64 = 1 << 28;
/// Borsh framing around a message body (variant, session id, lengths).
const FRAMING: u64 = 128;

impl KkrtParams {
    /// Number of cuckoo bins (rows of the matrix).
    pub fn bins(&self) -> u64 {
        cuckoo::bins(self.receiver_size)
    }

    /// Tag length in bytes: `⌈(40 + bits(m) + bits(3·n_S)) / 8⌉`, so the expected number of
    /// false matches over all `m · 3n_S` comparisons is below `2^-40`.
    pub fn tag_len(&self) -> usize {
        let bits = |x: u64| 64 - x.max(1).leading_zeros() as usize;
        (40 + bits(self.bins()) + bits(3 * self.sender_size))
            .div_ceil(8)
            .min(16)
    }

    /// Bytes per sender entry (tag and payload ciphertext).
    pub fn entry_len(&self) -> usize {
        self.tag_len() + self.payload_len as usize
    }

    /// Encoded length of the largest message of a session with these parameters.
    pub fn max_message_len(&self) -> u64 {
        let matrix = self.bins() * ROW_BYTES as u64;
        let tags = 3 * self.sender_size * self.entry_len() as u64;
        let matches = 4 * self.receiver_size;
        let base = 32 * WIDTH as u64;
        matrix.max(tags).max(matches).max(base) + FRAMING
    }

    /// Checks the parameters against `limits`.
    pub fn validate(&self, limits: &KkrtLimits) -> Result<(), PsiError> {
        let max = limits.max_items.min(HARD_MAX_ITEMS);
        for (who, n) in [
            ("receiver", self.receiver_size),
            ("sender", self.sender_size),
        ] {
            if n > max {
                return Err(PsiError::InvalidParams(format!(
                    "{who} size {n} exceeds {max}"
                )));
            }
        }
        if self.payload_len > limits.max_payload_len {
            return Err(PsiError::InvalidParams(format!(
                "payload of {} bytes exceeds {}",
                self.payload_len, limits.max_payload_len
            )));
        }
        if self.max_message_len() > limits.max_message_len {
            return Err(PsiError::InvalidParams(format!(
                "messages of {} bytes would exceed {}",
                self.max_message_len(),
                limits.max_message_len
            )));
        }
        Ok(())
    }

    /// Digest of the parameters: both parties check they agree before any other work.
    pub fn digest(&self) -> [u8; 32] {
        let enc = borsh::to_vec(self).expect("write to Vec");
        transcript::hash_parts(transcript::KKRT_PARAMS, &[PROTOCOL.as_bytes(), &enc])
    }
}

// ---------------------------------------------------------------- messages

/// Round 1, receiver → sender.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Hello {
    /// Session id.
    pub session_id: [u8; 32],
    /// [`KkrtParams::digest`] of the receiver's parameters.
    pub params_digest: [u8; 32],
    /// Base-OT point `A`.
    pub ot_point: [u8; 32],
}

/// Round 2, sender → receiver.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct BaseOt {
    /// Session id.
    pub session_id: [u8; 32],
    /// Key of the pseudorandom code.
    pub code_key: [u8; 16],
    /// The 512 base-OT points `B_i`.
    pub points: Vec<[u8; 32]>,
}

/// Round 3, receiver → sender: the OT-extension matrix, row-major.
#[derive(Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Matrix {
    /// Session id.
    pub session_id: [u8; 32],
    /// `bins · 64` bytes.
    pub rows: Vec<u8>,
}

/// Round 4, sender → receiver: `3·n_S` entries sorted by tag.
#[derive(Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Tags {
    /// Session id.
    pub session_id: [u8; 32],
    /// Concatenated entries of [`KkrtParams::entry_len`] bytes.
    pub entries: Vec<u8>,
}

/// Round 5 (both sides), receiver → sender: positions of matched entries, ascending.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Matches {
    /// Session id.
    pub session_id: [u8; 32],
    /// Positions into the sender's [`Tags`] entries.
    pub positions: Vec<u32>,
}

macro_rules! short_debug {
    ($t:ty, $field:ident) => {
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({} bytes)", stringify!($t), self.$field.len())
            }
        }
    };
}
short_debug!(Matrix, rows);
short_debug!(Tags, entries);

/// A KKRT-PSI protocol message.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum KkrtMessage {
    /// Round 1.
    Hello(Hello),
    /// Round 2.
    BaseOt(BaseOt),
    /// Round 3.
    Matrix(Matrix),
    /// Round 4.
    Tags(Tags),
    /// Round 5.
    Matches(Matches),
}

impl KkrtMessage {
    /// The wire encoding (borsh).
    pub fn encode(&self) -> Vec<u8> {
        borsh::to_vec(self).expect("write to Vec")
    }

    /// Decodes a message, refusing anything over `max_len` bytes before parsing (use
    /// [`KkrtParams::max_message_len`]).
    pub fn decode(bytes: &[u8], max_len: u64) -> Result<KkrtMessage, PsiError> {
        if bytes.len() as u64 > max_len {
            return Err(PsiError::Malformed(format!(
                "message of {} bytes exceeds {max_len}",
                bytes.len()
            )));
        }
        borsh::from_slice(bytes).map_err(|e| PsiError::Malformed(e.to_string()))
    }

    fn name(&self) -> &'static str {
        match self {
            KkrtMessage::Hello(_) => "hello",
            KkrtMessage::BaseOt(_) => "base-ot",
            KkrtMessage::Matrix(_) => "matrix",
            KkrtMessage::Tags(_) => "tags",
            KkrtMessage::Matches(_) => "matches",
        }
    }

    fn session_id(&self) -> &[u8; 32] {
        match self {
            KkrtMessage::Hello(m) => &m.session_id,
            KkrtMessage::BaseOt(m) => &m.session_id,
            KkrtMessage::Matrix(m) => &m.session_id,
            KkrtMessage::Tags(m) => &m.session_id,
            KkrtMessage::Matches(m) => &m.session_id,
        }
    }
}

fn check_msg(params: &KkrtParams, msg: &KkrtMessage, expected: &str) -> Result<(), PsiError> {
    if msg.name() != expected {
        return Err(PsiError::UnexpectedMessage {
            expected: expected.into(),
            found: msg.name().into(),
        });
    }
    if msg.session_id() != &params.session_id {
        return Err(PsiError::WrongSession {
            expected: hex32(&params.session_id),
            found: hex32(msg.session_id()),
        });
    }
    Ok(())
}

fn check_len(what: &'static str, expected: u64, found: u64) -> Result<(), PsiError> {
    if expected != found {
        return Err(PsiError::BadLength {
            what,
            expected,
            found,
        });
    }
    Ok(())
}

// ---------------------------------------------------------------- inputs and outcomes

/// The sender's input: a deduplicated set, optionally with a fixed-length payload per item.
#[derive(Clone, PartialEq, Eq)]
pub struct SenderInput {
    set: InputSet,
    payloads: Vec<u8>,
    payload_len: usize,
}

impl std::fmt::Debug for SenderInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SenderInput({} items, {}-byte payloads)",
            self.set.len(),
            self.payload_len
        )
    }
}

impl SenderInput {
    /// Plain PSI input.
    pub fn new(set: InputSet) -> SenderInput {
        SenderInput {
            set,
            payloads: Vec::new(),
            payload_len: 0,
        }
    }

    /// Rows of (item, payload); every payload must be `payload_len` bytes. A repeated item
    /// with the same payload counts once; with different payloads it is refused.
    pub fn with_payloads(
        mut rows: Vec<(Vec<u8>, Vec<u8>)>,
        payload_len: usize,
    ) -> Result<SenderInput, PsiError> {
        if let Some((_, p)) = rows.iter().find(|(_, p)| p.len() != payload_len) {
            return Err(PsiError::InvalidParams(format!(
                "payload of {} bytes, expected {payload_len}",
                p.len()
            )));
        }
        rows.par_sort_unstable();
        rows.dedup();
        if rows.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(PsiError::DuplicateKey);
        }
        let mut b = InputSetBuilder::default();
        let mut payloads = Vec::with_capacity(rows.len() * payload_len);
        for (item, p) in &rows {
            b.push(item);
            payloads.extend_from_slice(p);
        }
        Ok(SenderInput {
            set: b.build(),
            payloads,
            payload_len,
        })
    }

    /// Number of distinct items.
    pub fn len(&self) -> u64 {
        self.set.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    fn payload(&self, i: usize) -> &[u8] {
        &self.payloads[i * self.payload_len..(i + 1) * self.payload_len]
    }
}

/// What a finished session revealed to this party. Items are sorted (bytewise), so both
/// parties of a [`KkrtMode::BothSides`] session list the intersection in the same order.
#[derive(Clone, PartialEq, Eq)]
pub enum KkrtRevealed {
    /// The common items.
    Intersection(Vec<Vec<u8>>),
    /// The common items with the sender's payload for each.
    WithPayloads(Vec<(Vec<u8>, Vec<u8>)>),
    /// Nothing beyond the peer's set size (sender, one-side mode).
    Nothing,
}

impl KkrtRevealed {
    /// The common items, if revealed.
    pub fn items(&self) -> Option<Vec<Vec<u8>>> {
        match self {
            KkrtRevealed::Intersection(v) => Some(v.clone()),
            KkrtRevealed::WithPayloads(v) => Some(v.iter().map(|(i, _)| i.clone()).collect()),
            KkrtRevealed::Nothing => None,
        }
    }
}

impl std::fmt::Debug for KkrtRevealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KkrtRevealed::Intersection(v) => write!(f, "Intersection({} items)", v.len()),
            KkrtRevealed::WithPayloads(v) => write!(f, "WithPayloads({} items)", v.len()),
            KkrtRevealed::Nothing => f.write_str("Nothing"),
        }
    }
}

/// The result of a session for one party.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KkrtOutcome {
    /// What this party learnt.
    pub revealed: KkrtRevealed,
    /// The agreed parameters.
    pub params: KkrtParams,
    /// The result digest both parties compute identically and sign; the chain records it.
    pub digest: [u8; 32],
}

fn result_digest(params: &KkrtParams, count: Option<u64>) -> [u8; 32] {
    let count = match count {
        Some(c) => c.to_le_bytes().to_vec(),
        None => b"one-side".to_vec(),
    };
    transcript::hash_parts(transcript::KKRT_RESULT, &[&params.digest(), &count])
}

/// Per-item hashing: a 128-bit id and three bins, from `SHA-256(salt ‖ len ‖ item)`.
struct ItemHasher {
    prefix: Sha256,
    bins: u64,
}

impl ItemHasher {
    fn new(params: &KkrtParams) -> ItemHasher {
        let salt = transcript::hash_parts(transcript::KKRT_ITEM, &[&params.digest()]);
        let mut prefix = Sha256::new();
        prefix.update(salt);
        ItemHasher {
            prefix,
            bins: params.bins(),
        }
    }

    fn hash(&self, item: &[u8]) -> (u128, [u32; HASHES]) {
        let mut h = self.prefix.clone();
        h.update((item.len() as u64).to_le_bytes());
        h.update(item);
        let d: [u8; 32] = h.finalize().into();
        let word = |i: usize| u64::from_le_bytes(d[i..i + 8].try_into().expect("8 bytes"));
        let id = u128::from_le_bytes(d[..16].try_into().expect("16 bytes"));
        (
            id,
            [8, 16, 24].map(|off| cuckoo::bin_of(word(off), self.bins)),
        )
    }

    fn hash_set(&self, set: &InputSet) -> (Vec<u128>, Vec<[u32; HASHES]>) {
        (0..set.len() as usize)
            .into_par_iter()
            .map(|i| self.hash(set.get(i)))
            .unzip()
    }
}

fn row_hash(params: &KkrtParams) -> RowHash {
    RowHash::new(&transcript::hash_parts(
        transcript::KKRT_ROW_HASH,
        &[&params.digest()],
    ))
}

// ---------------------------------------------------------------- receiver

/// Receiver, before round 1.
#[derive(Debug)]
pub struct KkrtReceiver;

impl KkrtReceiver {
    /// Starts a session as receiver: hashes the set into the cuckoo table and returns the
    /// state with the round-1 message.
    pub fn start_with_rng(
        params: KkrtParams,
        limits: KkrtLimits,
        set: InputSet,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(ReceiverAwaitingBaseOt, KkrtMessage), PsiError> {
        params.validate(&limits)?;
        check_len("receiver set size", params.receiver_size, set.len())?;
        let hasher = ItemHasher::new(&params);
        let (ids, positions) = hasher.hash_set(&set);
        let table = cuckoo::build(&positions, params.bins() as usize)?;
        drop(positions);
        let (ot, ot_point) = base_ot::OtSender::new_with_rng(rng);
        let hello = KkrtMessage::Hello(Hello {
            session_id: params.session_id,
            params_digest: params.digest(),
            ot_point,
        });
        Ok((
            ReceiverAwaitingBaseOt {
                params,
                set,
                ids,
                table,
                ot,
            },
            hello,
        ))
    }

    /// [`KkrtReceiver::start_with_rng`] with the OS generator.
    pub fn start(
        params: KkrtParams,
        limits: KkrtLimits,
        set: InputSet,
    ) -> Result<(ReceiverAwaitingBaseOt, KkrtMessage), PsiError> {
        Self::start_with_rng(params, limits, set, &mut rand::rngs::OsRng)
    }
}

/// Receiver, awaiting round 2.
pub struct ReceiverAwaitingBaseOt {
    params: KkrtParams,
    set: InputSet,
    ids: Vec<u128>,
    table: Vec<u32>,
    ot: base_ot::OtSender,
}

impl std::fmt::Debug for ReceiverAwaitingBaseOt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReceiverAwaitingBaseOt({} items)", self.set.len())
    }
}

impl ReceiverAwaitingBaseOt {
    /// Round 2 in, round 3 out: completes the base OTs and sends the extension matrix.
    pub fn receive(
        self,
        msg: KkrtMessage,
    ) -> Result<(ReceiverAwaitingTags, KkrtMessage), PsiError> {
        check_msg(&self.params, &msg, "base-ot")?;
        let KkrtMessage::BaseOt(b) = msg else {
            unreachable!("checked by check_msg")
        };
        check_len("base-OT points", WIDTH as u64, b.points.len() as u64)?;
        let keys = self.ot.finish(&self.params.session_id, &b.points)?;
        let prg0: Vec<Prg> = keys.iter().map(|(k0, _)| Prg::new(k0)).collect();
        let prg1: Vec<Prg> = keys.iter().map(|(_, k1)| Prg::new(k1)).collect();
        drop(keys);
        let code = Code::new(&b.code_key);
        let (rows, outputs) = ext::receiver_matrix(
            &prg0,
            &prg1,
            &self.table,
            &self.ids,
            &code,
            &row_hash(&self.params),
        );
        let msg = KkrtMessage::Matrix(Matrix {
            session_id: self.params.session_id,
            rows,
        });
        Ok((
            ReceiverAwaitingTags {
                params: self.params,
                set: self.set,
                table: self.table,
                outputs,
            },
            msg,
        ))
    }
}

/// Receiver, awaiting round 4.
pub struct ReceiverAwaitingTags {
    params: KkrtParams,
    set: InputSet,
    table: Vec<u32>,
    outputs: Zeroizing<Vec<[u8; 32]>>,
}

impl std::fmt::Debug for ReceiverAwaitingTags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReceiverAwaitingTags({} items)", self.set.len())
    }
}

impl ReceiverAwaitingTags {
    /// Round 4 in: the outcome, and in [`KkrtMode::BothSides`] the round-5 message to send.
    pub fn receive(self, msg: KkrtMessage) -> Result<(KkrtOutcome, Option<KkrtMessage>), PsiError> {
        let p = self.params;
        check_msg(&p, &msg, "tags")?;
        let KkrtMessage::Tags(t) = msg else {
            unreachable!("checked by check_msg")
        };
        let (tag_len, entry_len) = (p.tag_len(), p.entry_len());
        check_len(
            "tag entries",
            3 * p.sender_size * entry_len as u64,
            t.entries.len() as u64,
        )?;
        let tags: Vec<u128> = t
            .entries
            .par_chunks(entry_len)
            .map(|e| {
                let mut b = [0u8; 16];
                b[..tag_len].copy_from_slice(&e[..tag_len]);
                u128::from_le_bytes(b)
            })
            .collect();
        if tags.par_windows(2).any(|w| w[0] > w[1]) {
            return Err(PsiError::Malformed("tag entries are not sorted".into()));
        }
        // (item, position, bin) for every occupied bin whose tag the sender sent: both lists
        // sorted by tag, then one merge pass (no random lookups into the sender's list).
        let mut own: Vec<(u128, u32)> = self
            .table
            .par_iter()
            .zip(self.outputs.par_iter())
            .enumerate()
            .filter(|(_, (&e, _))| e != EMPTY)
            .map(|(bin, (_, out))| (prim::tag_of(out, tag_len), bin as u32))
            .collect();
        own.par_sort_unstable();
        let mut found: Vec<(u32, u32, u32)> = Vec::new();
        let mut pos = 0usize;
        for &(tag, bin) in &own {
            while pos < tags.len() && tags[pos] < tag {
                pos += 1;
            }
            if pos < tags.len() && tags[pos] == tag {
                found.push((self.table[bin as usize] >> 2, pos as u32, bin));
            }
        }
        drop(own);
        found.par_sort_unstable();
        let revealed = if p.payload_len == 0 {
            KkrtRevealed::Intersection(
                found
                    .iter()
                    .map(|&(i, _, _)| self.set.get(i as usize).to_vec())
                    .collect(),
            )
        } else {
            let payloads = found
                .par_iter()
                .map(|&(i, pos, bin)| {
                    // The output of item i's bin is the key that decrypts entry `pos`.
                    let key = Zeroizing::new(prim::key_of(&self.outputs[bin as usize]));
                    let off = pos as usize * entry_len + tag_len;
                    let mut data = t.entries[off..off + p.payload_len as usize].to_vec();
                    Prg::new(&key).apply_keystream(&mut data);
                    (self.set.get(i as usize).to_vec(), data)
                })
                .collect();
            KkrtRevealed::WithPayloads(payloads)
        };
        let count = found.len() as u64;
        let reply = (p.mode == KkrtMode::BothSides).then(|| {
            let mut positions: Vec<u32> = found.iter().map(|&(_, pos, _)| pos).collect();
            positions.par_sort_unstable();
            KkrtMessage::Matches(Matches {
                session_id: p.session_id,
                positions,
            })
        });
        let digest = result_digest(&p, (p.mode == KkrtMode::BothSides).then_some(count));
        Ok((
            KkrtOutcome {
                revealed,
                params: p,
                digest,
            },
            reply,
        ))
    }
}

// ---------------------------------------------------------------- sender

/// Sender, awaiting round 1.
pub struct KkrtSender {
    params: KkrtParams,
    input: SenderInput,
    ids: Vec<u128>,
    positions: Vec<[u32; HASHES]>,
}

impl std::fmt::Debug for KkrtSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KkrtSender({} items)", self.input.len())
    }
}

impl KkrtSender {
    /// Joins a session as sender; hashes the set.
    pub fn start(
        params: KkrtParams,
        limits: KkrtLimits,
        input: SenderInput,
    ) -> Result<KkrtSender, PsiError> {
        params.validate(&limits)?;
        check_len("sender set size", params.sender_size, input.len())?;
        check_len(
            "payload length",
            params.payload_len as u64,
            input.payload_len as u64,
        )?;
        let (ids, positions) = ItemHasher::new(&params).hash_set(&input.set);
        Ok(KkrtSender {
            params,
            input,
            ids,
            positions,
        })
    }

    /// Round 1 in, round 2 out: checks the parameters and answers the base OTs with fresh
    /// secret choice bits `s`.
    pub fn receive_with_rng(
        self,
        msg: KkrtMessage,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(SenderAwaitingMatrix, KkrtMessage), PsiError> {
        check_msg(&self.params, &msg, "hello")?;
        let KkrtMessage::Hello(h) = msg else {
            unreachable!("checked by check_msg")
        };
        if h.params_digest != self.params.digest() {
            return Err(PsiError::ParamsMismatch);
        }
        let mut s: Zeroizing<Row> = Zeroizing::new([0u128; W_BLOCKS]);
        for w in s.iter_mut() {
            let mut b = [0u8; 16];
            rng.fill_bytes(&mut b);
            *w = u128::from_le_bytes(b);
        }
        let choices: Zeroizing<Vec<bool>> = Zeroizing::new(
            (0..WIDTH)
                .map(|i| (s[i / 128] >> (i % 128)) & 1 == 1)
                .collect(),
        );
        let (points, keys) =
            base_ot::receive_with_rng(&self.params.session_id, &h.ot_point, &choices, rng)?;
        let mut code_key = [0u8; 16];
        rng.fill_bytes(&mut code_key);
        let chosen = keys.iter().map(Prg::new).collect();
        let msg = KkrtMessage::BaseOt(BaseOt {
            session_id: self.params.session_id,
            code_key,
            points,
        });
        Ok((
            SenderAwaitingMatrix {
                inner: self,
                s,
                chosen,
                code: Code::new(&code_key),
            },
            msg,
        ))
    }

    /// [`KkrtSender::receive_with_rng`] with the OS generator.
    pub fn receive(
        self,
        msg: KkrtMessage,
    ) -> Result<(SenderAwaitingMatrix, KkrtMessage), PsiError> {
        self.receive_with_rng(msg, &mut rand::rngs::OsRng)
    }
}

/// Sender, awaiting round 3.
pub struct SenderAwaitingMatrix {
    inner: KkrtSender,
    s: Zeroizing<Row>,
    chosen: Vec<Prg>,
    code: Code,
}

impl std::fmt::Debug for SenderAwaitingMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SenderAwaitingMatrix({} items)", self.inner.input.len())
    }
}

impl SenderAwaitingMatrix {
    /// Round 3 in, round 4 out: evaluates the OPRF on each item under each of its three bins
    /// and sends the tags (and encrypted payloads), sorted.
    pub fn receive(self, msg: KkrtMessage) -> Result<(SenderFinishing, KkrtMessage), PsiError> {
        let p = self.inner.params;
        check_msg(&p, &msg, "matrix")?;
        let KkrtMessage::Matrix(mx) = msg else {
            unreachable!("checked by check_msg")
        };
        check_len(
            "matrix bytes",
            p.bins() * ROW_BYTES as u64,
            mx.rows.len() as u64,
        )?;
        let q = ext::sender_rows(&self.chosen, &self.s, &mx.rows);
        drop(mx);
        let hash = row_hash(&p);
        let (tag_len, entry_len) = (p.tag_len(), p.entry_len());
        let n = self.inner.ids.len();
        let s = *self.s;
        // (tag, entry id = 3·item + k) and, with payloads, the key of each entry.
        const ITEMS: usize = 256;
        let ids = &self.inner.ids;
        let mut evals: Vec<(u128, u32, [u8; 16])> = vec![(0, 0, [0; 16]); HASHES * n];
        evals
            .par_chunks_mut(HASHES * ITEMS)
            .enumerate()
            .for_each(|(c, out)| {
                let first = c * ITEMS;
                let count = out.len() / HASHES;
                let inputs: Vec<(u128, u8)> = (first..first + count)
                    .flat_map(|i| (0..HASHES as u8).map(move |k| (ids[i], k)))
                    .collect();
                let mut codes = vec![[0u128; W_BLOCKS]; inputs.len()];
                self.code.encode_many(&inputs, &mut codes);
                for (e, (slot, code)) in out.iter_mut().zip(&codes).enumerate() {
                    let (i, k) = (first + e / HASHES, e % HASHES);
                    let bin = self.inner.positions[i][k] as usize;
                    let mut v = q[bin];
                    for g in 0..W_BLOCKS {
                        v[g] ^= code[g] & s[g];
                    }
                    let h = hash.hash(bin as u64, &v);
                    *slot = (
                        prim::tag_of(&h, tag_len),
                        (HASHES * i + k) as u32,
                        prim::key_of(&h),
                    );
                }
            });
        drop(q);
        evals.par_sort_unstable_by_key(|e| e.0);
        let mut entries = vec![0u8; evals.len() * entry_len];
        entries
            .par_chunks_mut(entry_len)
            .zip(evals.par_iter())
            .for_each(|(out, (tag, eid, key))| {
                out[..tag_len].copy_from_slice(&tag.to_le_bytes()[..tag_len]);
                if p.payload_len > 0 {
                    out[tag_len..].copy_from_slice(self.inner.input.payload(*eid as usize / 3));
                    Prg::new(key).apply_keystream(&mut out[tag_len..]);
                }
            });
        let order: Vec<u32> = evals.iter().map(|e| e.1).collect();
        evals.iter_mut().for_each(|e| e.2.zeroize());
        let msg = KkrtMessage::Tags(Tags {
            session_id: p.session_id,
            entries,
        });
        Ok((
            SenderFinishing {
                params: p,
                set: self.inner.input.set,
                order,
            },
            msg,
        ))
    }
}

/// Sender, after round 4.
pub struct SenderFinishing {
    params: KkrtParams,
    set: InputSet,
    order: Vec<u32>,
}

impl std::fmt::Debug for SenderFinishing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SenderFinishing({} items)", self.set.len())
    }
}

impl SenderFinishing {
    /// Whether a round-5 message is expected ([`KkrtMode::BothSides`]).
    pub fn expects_reply(&self) -> bool {
        self.params.mode == KkrtMode::BothSides
    }

    /// Ends a one-side session (nothing more arrives).
    pub fn finish(self) -> Result<KkrtOutcome, PsiError> {
        if self.expects_reply() {
            return Err(PsiError::UnexpectedMessage {
                expected: "matches".into(),
                found: "end of session".into(),
            });
        }
        Ok(KkrtOutcome {
            revealed: KkrtRevealed::Nothing,
            params: self.params,
            digest: result_digest(&self.params, None),
        })
    }

    /// Round 5 in (both sides): the intersection, in the receiver's order (sorted).
    pub fn receive(self, msg: KkrtMessage) -> Result<KkrtOutcome, PsiError> {
        let p = self.params;
        if !self.expects_reply() {
            return Err(PsiError::UnexpectedMessage {
                expected: "nothing (one-side mode)".into(),
                found: msg.name().into(),
            });
        }
        check_msg(&p, &msg, "matches")?;
        let KkrtMessage::Matches(m) = msg else {
            unreachable!("checked by check_msg")
        };
        let most = p.receiver_size.min(p.sender_size);
        if m.positions.len() as u64 > most {
            return Err(PsiError::TooManyItems {
                found: m.positions.len() as u64,
                limit: most,
            });
        }
        if m.positions.windows(2).any(|w| w[0] >= w[1])
            || m.positions
                .last()
                .is_some_and(|&x| x as usize >= self.order.len())
        {
            return Err(PsiError::Malformed(
                "match positions not strictly ascending within the entries".into(),
            ));
        }
        let mut items: Vec<u32> = m
            .positions
            .iter()
            .map(|&pos| self.order[pos as usize] / 3)
            .collect();
        items.sort_unstable();
        if items.windows(2).any(|w| w[0] == w[1]) {
            return Err(PsiError::Malformed("an item was matched twice".into()));
        }
        let count = items.len() as u64;
        Ok(KkrtOutcome {
            revealed: KkrtRevealed::Intersection(
                items
                    .iter()
                    .map(|&i| self.set.get(i as usize).to_vec())
                    .collect(),
            ),
            params: p,
            digest: result_digest(&p, Some(count)),
        })
    }
}

// ---------------------------------------------------------------- in-process driver

/// Both outcomes of [`run_local_with_rng`] and the bytes each side sent.
#[derive(Debug, Clone)]
pub struct KkrtLocalRun {
    /// Receiver's outcome.
    pub receiver: KkrtOutcome,
    /// Sender's outcome.
    pub sender: KkrtOutcome,
    /// Encoded bytes the receiver sent.
    pub receiver_bytes: u64,
    /// Encoded bytes the sender sent.
    pub sender_bytes: u64,
}

/// Runs both roles in one process, every message through its byte encoding (tests, benches).
pub fn run_local_with_rng(
    params: KkrtParams,
    limits: KkrtLimits,
    receiver: InputSet,
    sender: SenderInput,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<KkrtLocalRun, PsiError> {
    let max = params.max_message_len();
    let mut sent = [0u64; 2];
    let mut wire = |m: KkrtMessage, who: usize| -> Result<KkrtMessage, PsiError> {
        let bytes = m.encode();
        sent[who] += bytes.len() as u64;
        KkrtMessage::decode(&bytes, max)
    };
    let s = KkrtSender::start(params, limits, sender)?;
    let (r, m1) = KkrtReceiver::start_with_rng(params, limits, receiver, rng)?;
    let (s, m2) = s.receive_with_rng(wire(m1, 0)?, rng)?;
    let (r, m3) = r.receive(wire(m2, 1)?)?;
    let (s, m4) = s.receive(wire(m3, 0)?)?;
    let (receiver, m5) = r.receive(wire(m4, 1)?)?;
    let sender = match m5 {
        Some(m) => s.receive(wire(m, 0)?)?,
        None => s.finish()?,
    };
    Ok(KkrtLocalRun {
        receiver,
        sender,
        receiver_bytes: sent[0],
        sender_bytes: sent[1],
    })
}
