//! The transaction pool (the ordering source for the consensus driver) and its durable journal.
//!
//! The pool keeps, per sender, transactions ordered by nonce. Transactions whose nonces run
//! contiguously from the sender's committed nonce are *ready*; later ones wait behind a gap
//! (bounded by `max_nonce_gap`) and are dropped, with a recorded reason, if the gap is not filled
//! within `gap_timeout`. All operations are `O(log n)` per transaction; block selection is linear
//! in the transactions taken plus the senders visited.
//!
//! The [`Journal`] makes admissions durable before they are acknowledged: records are appended
//! to a buffer under the pool lock, and whichever submitter finds no flush in progress writes
//! and fsyncs everything buffered so far (group commit), so concurrent submits share one fsync.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use borsh::BorshDeserialize;
use parking_lot::{Condvar, Mutex};

use crate::crypto::{Address, Hash};
use crate::error::TxRejection;
use crate::node::PoolConfig;
use crate::tx::SignedTransaction;

struct Entry {
    tx: SignedTransaction,
    hash: Hash,
    since: Instant,
    /// Length of the wire encoding.
    size: usize,
}

struct SenderQueue {
    /// The sender's next nonce in committed state.
    base: u64,
    /// First nonce >= `base` not in `txs`: `base..ready_end` are ready.
    ready_end: u64,
    txs: BTreeMap<u64, Entry>,
}

impl SenderQueue {
    fn ready(&self) -> usize {
        usize::try_from(self.ready_end - self.base).unwrap_or(usize::MAX)
    }

    fn advance(&mut self) {
        if self.ready_end < self.base {
            self.ready_end = self.base;
        }
        while self.txs.contains_key(&self.ready_end) {
            self.ready_end += 1;
        }
    }
}

/// The most recent drops, by hash. Bounded: beyond [`KEEP_DROPPED`] entries the oldest are
/// forgotten (their status becomes `Unknown`); every drop is also logged.
///
/// A hash can be dropped, forgotten (readmitted) and dropped again, so `order` may list it more
/// than once; each entry carries the sequence number of its drop and only the latest one counts.
#[derive(Default)]
struct DropLog {
    reasons: HashMap<Hash, (String, u64)>,
    order: VecDeque<(Hash, u64)>,
    next_seq: u64,
}

impl DropLog {
    fn insert(&mut self, hash: Hash, reason: String) {
        if let Some((r, _)) = self.reasons.get_mut(&hash) {
            *r = reason;
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.reasons.insert(hash, (reason, seq));
        self.order.push_back((hash, seq));
        while self.reasons.len() > KEEP_DROPPED || self.order.len() > 2 * KEEP_DROPPED {
            let Some((old, old_seq)) = self.order.pop_front() else {
                break;
            };
            if self.reasons.get(&old).is_some_and(|(_, s)| *s == old_seq) {
                self.reasons.remove(&old);
            }
        }
    }

    fn get(&self, hash: &Hash) -> Option<&str> {
        self.reasons.get(hash).map(|(r, _)| r.as_str())
    }

    fn remove(&mut self, hash: &Hash) {
        self.reasons.remove(hash);
    }

    /// Live drops, oldest first, each once.
    fn iter(&self) -> impl Iterator<Item = (&Hash, &str)> {
        self.order
            .iter()
            .filter_map(|(h, seq)| match self.reasons.get(h) {
                Some((r, s)) if s == seq => Some((h, r.as_str())),
                _ => None,
            })
    }
}

/// A pooled transaction removed by [`Pool::on_committed`] or eviction, with its reason.
pub type DroppedTx = (Hash, String);

/// The in-memory pool. Not synchronised; the node wraps it in a mutex.
pub struct Pool {
    config: PoolConfig,
    senders: BTreeMap<Address, SenderQueue>,
    by_hash: HashMap<Hash, (Address, u64)>,
    len: usize,
    ready: usize,
    cursor: Option<Address>,
    dropped: DropLog,
    last_eviction: Instant,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("len", &self.len)
            .field("ready", &self.ready)
            .field("senders", &self.senders.len())
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// An empty pool.
    pub fn new(config: PoolConfig) -> Self {
        Pool {
            config,
            senders: BTreeMap::new(),
            by_hash: HashMap::new(),
            len: 0,
            ready: 0,
            cursor: None,
            dropped: DropLog::default(),
            last_eviction: Instant::now(),
        }
    }

    /// Pooled transactions.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Transactions ready for inclusion.
    pub fn ready_len(&self) -> usize {
        self.ready
    }

    /// Whether `hash` is pooled.
    pub fn contains(&self, hash: &Hash) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// Why `hash` was dropped, if it was.
    pub fn dropped_reason(&self, hash: &Hash) -> Option<&str> {
        self.dropped.get(hash)
    }

    /// Records a drop (used by journal replay).
    pub fn record_dropped(&mut self, hash: Hash, reason: String) {
        self.dropped.insert(hash, reason);
    }

    /// Forgets an earlier drop of `hash`: the same transaction was accepted again after it
    /// (journal replay sees records in order; a later admission supersedes an earlier drop).
    pub(crate) fn forget_dropped(&mut self, hash: &Hash) {
        self.dropped.remove(hash);
    }

    /// The nonce `address` should use next, counting ready pooled transactions; `None` if the
    /// sender has nothing pooled.
    pub fn next_nonce(&self, address: &Address) -> Option<u64> {
        self.senders.get(address).map(|q| q.ready_end)
    }

    /// Admits a transaction whose signature, size and chain id were already checked.
    /// `committed_nonce` is consulted only for a sender with nothing pooled.
    pub fn admit(
        &mut self,
        tx: SignedTransaction,
        hash: Hash,
        committed_nonce: impl FnOnce(&Address) -> Result<u64, TxRejection>,
    ) -> Result<(), TxRejection> {
        if self.by_hash.contains_key(&hash) {
            return Err(TxRejection::Duplicate);
        }
        if self.len >= self.config.capacity {
            return Err(TxRejection::PoolFull {
                capacity: self.config.capacity,
            });
        }
        let sender = tx.sender_address();
        let nonce = tx.tx.nonce;
        let (base, ready_end, count, taken) = match self.senders.get(&sender) {
            Some(q) => (q.base, q.ready_end, q.txs.len(), q.txs.contains_key(&nonce)),
            None => {
                let base = committed_nonce(&sender)?;
                (base, base, 0, false)
            }
        };
        if nonce < base {
            return Err(TxRejection::NonceAlreadyUsed {
                expected_at_least: base,
                got: nonce,
            });
        }
        if taken {
            return Err(TxRejection::NonceAlreadyUsed {
                expected_at_least: ready_end,
                got: nonce,
            });
        }
        if nonce - ready_end > self.config.max_nonce_gap {
            return Err(TxRejection::NonceGapTooLarge {
                next: ready_end,
                got: nonce,
                max_gap: self.config.max_nonce_gap,
            });
        }
        if count >= self.config.per_sender_quota {
            return Err(TxRejection::SenderQuotaExceeded);
        }
        let q = self.senders.entry(sender).or_insert_with(|| SenderQueue {
            base,
            ready_end: base,
            txs: BTreeMap::new(),
        });
        let before = q.ready();
        q.txs.insert(
            nonce,
            Entry {
                size: tx.encode().len(),
                tx,
                hash,
                since: Instant::now(),
            },
        );
        q.advance();
        self.ready = self.ready + q.ready() - before;
        self.by_hash.insert(hash, (sender, nonce));
        self.len += 1;
        // A resubmission of a transaction dropped earlier: it is pending again, and the stale
        // drop must not be written after it by a journal compaction (replay would drop it).
        self.forget_dropped(&hash);
        Ok(())
    }

    /// Up to `max` ready transactions, round-robin over senders, each sender's in nonce order.
    pub fn select(&mut self, max: usize) -> Vec<SignedTransaction> {
        self.select_bounded(max, usize::MAX)
    }

    /// Like [`Pool::select`], also keeping the total encoded size within `max_bytes`. The first
    /// transaction is always taken, so one larger than `max_bytes` is not stuck forever; a
    /// sender whose next transaction does not fit contributes nothing more (nonce order).
    pub fn select_bounded(&mut self, max: usize, max_bytes: usize) -> Vec<SignedTransaction> {
        let mut out = Vec::with_capacity(max.min(self.ready));
        let mut bytes = 0usize;
        if max == 0 || self.ready == 0 {
            return out;
        }
        let start = self.cursor;
        let after = start.map(|c| {
            self.senders
                .range((std::ops::Bound::Excluded(c), std::ops::Bound::Unbounded))
        });
        let before = start.map(|c| self.senders.range(..=c));
        let order: Box<dyn Iterator<Item = (&Address, &SenderQueue)>> = match (after, before) {
            (Some(a), Some(b)) => Box::new(a.chain(b)),
            _ => Box::new(self.senders.iter()),
        };
        let mut last = None;
        for (addr, q) in order {
            if out.len() >= max {
                break;
            }
            if q.ready() == 0 {
                continue;
            }
            for (_, e) in q.txs.range(q.base..q.ready_end) {
                if out.len() >= max {
                    break;
                }
                let total = bytes.saturating_add(e.size);
                if total > max_bytes && !out.is_empty() {
                    break;
                }
                bytes = total;
                out.push(e.tx.clone());
            }
            last = Some(*addr);
        }
        if last.is_some() {
            self.cursor = last;
        }
        out
    }

    /// Updates the pool after a block: `next_nonces` are the senders' new committed nonces.
    /// Pooled transactions whose nonce is now used but that were not the committed ones are
    /// dropped, as are `excluded` ones; every drop is returned (and remembered) with its reason.
    pub fn on_committed(
        &mut self,
        committed: &[Hash],
        next_nonces: &BTreeMap<Address, u64>,
        excluded: &[(Hash, String)],
    ) -> Vec<DroppedTx> {
        let mut dropped = Vec::new();
        for h in committed {
            self.by_hash.remove(h);
        }
        for (addr, next) in next_nonces {
            let Some(q) = self.senders.get_mut(addr) else {
                continue;
            };
            let before = q.ready();
            if *next > q.base {
                let keep = q.txs.split_off(next);
                let gone = std::mem::replace(&mut q.txs, keep);
                for (_, e) in gone {
                    self.len -= 1;
                    if self.by_hash.remove(&e.hash).is_some() {
                        // Still indexed, so it was not the committed transaction.
                        let reason = "nonce used by another committed transaction".to_string();
                        self.dropped.insert(e.hash, reason.clone());
                        dropped.push((e.hash, reason));
                    }
                }
                q.base = *next;
            }
            q.advance();
            self.ready = self.ready + q.ready() - before;
            if q.txs.is_empty() {
                self.senders.remove(addr);
            }
        }
        for (hash, reason) in excluded {
            if let Some(followers) = self.remove(hash) {
                self.dropped.insert(*hash, reason.clone());
                dropped.push((*hash, reason.clone()));
                dropped.extend(followers);
            }
        }
        dropped
    }

    /// Removes one pooled transaction (and everything after it from that sender, which can no
    /// longer become ready). Returns `None` if it was not pooled, else the followers, which are
    /// recorded as dropped.
    fn remove(&mut self, hash: &Hash) -> Option<Vec<DroppedTx>> {
        let (addr, nonce) = self.by_hash.remove(hash)?;
        let mut followers = Vec::new();
        if let Some(q) = self.senders.get_mut(&addr) {
            let before = q.ready();
            let after = q.txs.split_off(&nonce);
            for (n, e) in after {
                self.len -= 1;
                if n != nonce && self.by_hash.remove(&e.hash).is_some() {
                    let reason = format!("follows dropped nonce {nonce}");
                    self.dropped.insert(e.hash, reason.clone());
                    followers.push((e.hash, reason));
                }
            }
            q.ready_end = q.ready_end.min(nonce).max(q.base);
            q.advance();
            self.ready = self.ready + q.ready() - before;
            if q.txs.is_empty() {
                self.senders.remove(&addr);
            }
        }
        Some(followers)
    }

    /// Drops transactions that have waited behind a nonce gap longer than `gap_timeout`.
    /// Runs at most once a second; returns the drops.
    pub fn evict_stale(&mut self, now: Instant) -> Vec<DroppedTx> {
        if now.duration_since(self.last_eviction) < Duration::from_secs(1) {
            return Vec::new();
        }
        self.last_eviction = now;
        let timeout = self.config.gap_timeout;
        let mut victims = Vec::new();
        for q in self.senders.values() {
            for (_, e) in q.txs.range(q.ready_end..) {
                if now.duration_since(e.since) >= timeout {
                    victims.push(e.hash);
                }
            }
        }
        let mut out = Vec::new();
        for h in victims {
            if self.by_hash.contains_key(&h) {
                let reason = format!("nonce gap not filled within {} s", timeout.as_secs());
                let followers = self.remove(&h).unwrap_or_default();
                self.dropped.insert(h, reason.clone());
                out.push((h, reason));
                out.extend(followers);
            }
        }
        out
    }

    /// Visits every recorded drop.
    pub fn for_each_dropped(&self, mut f: impl FnMut(&Hash, &str)) {
        for (h, r) in self.dropped.iter() {
            f(h, r);
        }
    }

    /// Every pooled transaction, for journal compaction.
    fn all(&self) -> impl Iterator<Item = &SignedTransaction> {
        self.senders
            .values()
            .flat_map(|q| q.txs.values().map(|e| &e.tx))
    }
}

const TAG_TX: u8 = 1;
const TAG_DROPPED: u8 = 2;
/// Journal size that triggers compaction.
const COMPACT_AT: u64 = 64 * 1024 * 1024;
/// Drops remembered (in memory and across journal compactions).
const KEEP_DROPPED: usize = 100_000;

/// A journal record.
#[derive(Debug)]
pub enum JournalRecord {
    /// An admitted transaction.
    Tx(SignedTransaction),
    /// A dropped transaction and why.
    Dropped(Hash, String),
}

fn encode_record(out: &mut Vec<u8>, tag: u8, payload: &[u8]) {
    let len = u32::try_from(payload.len() + 1).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.push(tag);
    out.extend_from_slice(payload);
}

/// Encodes a tx record.
pub fn tx_record(out: &mut Vec<u8>, encoded_tx: &[u8]) {
    encode_record(out, TAG_TX, encoded_tx);
}

/// Encodes a dropped record.
pub fn dropped_record(out: &mut Vec<u8>, hash: &Hash, reason: &str) {
    let payload = borsh::to_vec(&(hash, reason)).expect("write to Vec");
    encode_record(out, TAG_DROPPED, &payload);
}

struct JournalState {
    file: Arc<File>,
    buf: Vec<u8>,
    next_seq: u64,
    synced_seq: u64,
    syncing: bool,
    size: u64,
    failed: Option<String>,
}

/// The append-only pool journal with group commit.
pub struct Journal {
    path: PathBuf,
    state: Mutex<JournalState>,
    synced: Condvar,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Journal {
    /// Reads every intact record of the journal at `path` (a torn tail is ignored: it was never
    /// acknowledged).
    pub fn read(path: &Path) -> std::io::Result<Vec<JournalRecord>> {
        let mut bytes = Vec::new();
        match File::open(path) {
            Ok(mut f) => {
                f.read_to_end(&mut bytes)?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        }
        let mut out = Vec::new();
        let mut rest = bytes.as_slice();
        while rest.len() >= 5 {
            let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            if len == 0 || rest.len() < 4 + len {
                break;
            }
            let tag = rest[4];
            let payload = &rest[5..4 + len];
            rest = &rest[4 + len..];
            match tag {
                TAG_TX => match SignedTransaction::decode(payload) {
                    Ok(tx) => out.push(JournalRecord::Tx(tx)),
                    Err(_) => break,
                },
                TAG_DROPPED => match <(Hash, String)>::try_from_slice(payload) {
                    Ok((h, r)) => out.push(JournalRecord::Dropped(h, r)),
                    Err(_) => break,
                },
                _ => break,
            }
        }
        Ok(out)
    }

    /// Atomically replaces the journal at `path` with `contents` and opens it for appending.
    pub fn create(path: &Path, contents: &[u8]) -> std::io::Result<Journal> {
        let tmp = path.with_extension("tmp");
        {
            let mut f = File::create(&tmp)?;
            f.write_all(contents)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent() {
            File::open(dir)?.sync_all()?;
        }
        let file = OpenOptions::new().append(true).open(path)?;
        Ok(Journal {
            path: path.to_path_buf(),
            state: Mutex::new(JournalState {
                file: Arc::new(file),
                buf: Vec::new(),
                next_seq: 0,
                synced_seq: 0,
                syncing: false,
                size: contents.len() as u64,
                failed: None,
            }),
            synced: Condvar::new(),
        })
    }

    /// Buffers encoded records; returns the sequence number to wait for.
    pub fn append(&self, records: &[u8]) -> u64 {
        let mut s = self.state.lock();
        s.buf.extend_from_slice(records);
        s.next_seq += 1;
        s.next_seq
    }

    /// Blocks until everything up to `seq` is on disk (group commit).
    pub fn wait_durable(&self, seq: u64) -> Result<(), String> {
        let mut s = self.state.lock();
        loop {
            if s.synced_seq >= seq {
                return Ok(());
            }
            if let Some(e) = &s.failed {
                return Err(e.clone());
            }
            if s.syncing {
                self.synced.wait(&mut s);
                continue;
            }
            s.syncing = true;
            let buf = std::mem::take(&mut s.buf);
            let target = s.next_seq;
            let file = Arc::clone(&s.file);
            let res = parking_lot::MutexGuard::unlocked(&mut s, || {
                (&*file).write_all(&buf).and_then(|()| file.sync_data())
            });
            s.syncing = false;
            match res {
                Ok(()) => {
                    s.synced_seq = s.synced_seq.max(target);
                    s.size += buf.len() as u64;
                }
                Err(e) => s.failed = Some(e.to_string()),
            }
            self.synced.notify_all();
        }
    }

    /// Appends and waits (convenience for single records such as drops).
    pub fn write_durable(&self, records: &[u8]) -> Result<(), String> {
        let seq = self.append(records);
        self.wait_durable(seq)
    }

    /// Rewrites the journal from the pool's contents if it has grown past the threshold.
    /// The caller holds the pool lock, so no admission races with the rewrite.
    pub fn maybe_compact(&self, pool: &Pool) -> std::io::Result<()> {
        let mut s = self.state.lock();
        if s.size + s.buf.len() as u64 <= COMPACT_AT || s.syncing {
            return Ok(());
        }
        let mut contents = Vec::new();
        for tx in pool.all() {
            tx_record(&mut contents, &tx.encode());
        }
        pool.for_each_dropped(|h, r| dropped_record(&mut contents, h, r));
        let fresh = Journal::create(&self.path, &contents)?;
        let fresh = fresh.state.into_inner();
        s.file = fresh.file;
        s.size = fresh.size;
        s.buf.clear();
        // Everything buffered belonged to pooled transactions, now in the new file.
        s.synced_seq = s.next_seq;
        self.synced.notify_all();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Keypair;
    use crate::tx::{Call, Transaction};

    fn tx(kp: &Keypair, nonce: u64) -> (SignedTransaction, Hash) {
        let t = Transaction {
            chain_id: "t".into(),
            sender: kp.public_key(),
            nonce,
            call: Call {
                module: "m".into(),
                method: "x".into(),
                args: vec![],
            },
        }
        .sign(kp);
        let h = t.hash();
        (t, h)
    }

    fn cfg() -> PoolConfig {
        PoolConfig {
            capacity: 10,
            max_nonce_gap: 2,
            per_sender_quota: 4,
            ..PoolConfig::default()
        }
    }

    #[test]
    fn orders_by_nonce_and_tracks_ready() {
        let kp = Keypair::from_seed(&[1; 32]);
        let mut p = Pool::new(cfg());
        for n in [2, 0, 1] {
            let (t, h) = tx(&kp, n);
            p.admit(t, h, |_| Ok(0)).unwrap();
        }
        assert_eq!(p.ready_len(), 3);
        let sel: Vec<u64> = p.select(10).iter().map(|t| t.tx.nonce).collect();
        assert_eq!(sel, vec![0, 1, 2]);
        assert_eq!(p.next_nonce(&kp.address()), Some(3));
    }

    #[test]
    fn selection_respects_the_byte_budget_and_nonce_order() {
        let a = Keypair::from_seed(&[1; 32]);
        let b = Keypair::from_seed(&[2; 32]);
        let mut p = Pool::new(cfg());
        let size = tx(&a, 0).0.encode().len();
        for kp in [&a, &b] {
            for n in 0..3 {
                let (t, h) = tx(kp, n);
                p.admit(t, h, |_| Ok(0)).unwrap();
            }
        }
        // Room for exactly three transactions.
        let sel = p.select_bounded(10, 3 * size + size / 2);
        assert_eq!(sel.len(), 3);
        let total: usize = sel.iter().map(|t| t.encode().len()).sum();
        assert!(total <= 3 * size + size / 2);
        // Each sender's share is a nonce-ordered prefix.
        for kp in [&a, &b] {
            let nonces: Vec<u64> = sel
                .iter()
                .filter(|t| t.tx.sender == kp.public_key())
                .map(|t| t.tx.nonce)
                .collect();
            assert_eq!(nonces, (0..nonces.len() as u64).collect::<Vec<_>>());
        }
        // A budget below one transaction still yields one.
        assert_eq!(p.select_bounded(10, 1).len(), 1);
    }

    #[test]
    fn rejections() {
        let kp = Keypair::from_seed(&[1; 32]);
        let mut p = Pool::new(cfg());
        let (t, h) = tx(&kp, 5);
        assert_eq!(p.admit(t.clone(), h, |_| Ok(5)), Ok(()));
        assert_eq!(p.admit(t, h, |_| Ok(5)), Err(TxRejection::Duplicate));
        let (t, h) = tx(&kp, 4);
        assert_eq!(
            p.admit(t, h, |_| Ok(5)),
            Err(TxRejection::NonceAlreadyUsed {
                expected_at_least: 5,
                got: 4
            })
        );
        let (t, h) = tx(&kp, 9);
        assert_eq!(
            p.admit(t, h, |_| Ok(5)),
            Err(TxRejection::NonceGapTooLarge {
                next: 6,
                got: 9,
                max_gap: 2
            })
        );
        for n in 6..9 {
            let (t, h) = tx(&kp, n);
            p.admit(t, h, |_| Ok(5)).unwrap();
        }
        let (t, h) = tx(&kp, 9);
        assert_eq!(
            p.admit(t, h, |_| Ok(5)),
            Err(TxRejection::SenderQuotaExceeded)
        );
        let mut full = Pool::new(PoolConfig {
            capacity: 1,
            ..cfg()
        });
        let (t, h) = tx(&kp, 0);
        full.admit(t, h, |_| Ok(0)).unwrap();
        let other = Keypair::from_seed(&[2; 32]);
        let (t, h) = tx(&other, 0);
        assert_eq!(
            full.admit(t, h, |_| Ok(0)),
            Err(TxRejection::PoolFull { capacity: 1 })
        );
    }

    #[test]
    fn readmitting_a_dropped_transaction_clears_its_drop_record() {
        let kp = Keypair::from_seed(&[1; 32]);
        let mut p = Pool::new(cfg());
        let (t, h) = tx(&kp, 0);
        p.record_dropped(h, "earlier".into());
        p.admit(t, h, |_| Ok(0)).unwrap();
        assert_eq!(p.dropped_reason(&h), None);
        let mut listed = Vec::new();
        p.for_each_dropped(|d, _| listed.push(*d));
        assert!(
            listed.is_empty(),
            "compaction would write a stale drop after the tx"
        );
    }

    #[test]
    fn a_redropped_hash_keeps_its_latest_place_in_the_bounded_drop_log() {
        let mut p = Pool::new(cfg());
        let h = Hash::sha256(b"redropped");
        p.record_dropped(h, "first".into());
        p.forget_dropped(&h);
        p.record_dropped(h, "second".into());
        // Push the first entry (but not the second) out of the window.
        for i in 0..KEEP_DROPPED - 1 {
            p.record_dropped(Hash::sha256(&(i as u64).to_le_bytes()), "filler".into());
        }
        assert_eq!(p.dropped_reason(&h), Some("second"));
        let mut listed = 0;
        p.for_each_dropped(|d, _| listed += usize::from(*d == h));
        assert_eq!(listed, 1, "listed once, so compaction writes it once");
        p.record_dropped(Hash::sha256(b"one more"), "filler".into());
        assert_eq!(p.dropped_reason(&h), None, "now the oldest, so forgotten");
    }

    #[test]
    fn commit_removes_and_records_conflicting_drops() {
        let kp = Keypair::from_seed(&[1; 32]);
        let mut p = Pool::new(cfg());
        let (t0, h0) = tx(&kp, 0);
        let (t1, h1) = tx(&kp, 1);
        p.admit(t0, h0, |_| Ok(0)).unwrap();
        p.admit(t1, h1, |_| Ok(0)).unwrap();
        // Block committed nonce 0 with a different transaction (e.g. from another node).
        let next = BTreeMap::from([(kp.address(), 1u64)]);
        let dropped = p.on_committed(&[Hash::sha256(b"other")], &next, &[]);
        assert_eq!(dropped.len(), 1);
        assert_eq!(dropped[0].0, h0);
        assert!(p.dropped_reason(&h0).is_some());
        assert_eq!(p.len(), 1);
        assert_eq!(p.ready_len(), 1);
        assert!(p.contains(&h1));
    }

    #[test]
    fn journal_round_trip_ignores_torn_tail_and_shares_fsyncs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pool.journal");
        let kp = Keypair::from_seed(&[3; 32]);
        let j = Journal::create(&path, &[]).unwrap();
        let seqs: Vec<u64> = (0..4)
            .map(|n| {
                let mut rec = Vec::new();
                tx_record(&mut rec, &tx(&kp, n).0.encode());
                j.append(&rec)
            })
            .collect();
        // One wait makes everything up to that sequence durable.
        j.wait_durable(seqs[3]).unwrap();
        j.wait_durable(seqs[0]).unwrap();
        let mut rec = Vec::new();
        dropped_record(&mut rec, &Hash::sha256(b"x"), "why");
        j.write_durable(&rec).unwrap();
        drop(j);
        // A torn final record (crash mid-append) is ignored.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[200, 0, 0, 0, TAG_TX, 1, 2]).unwrap();
        drop(f);
        let records = Journal::read(&path).unwrap();
        assert_eq!(records.len(), 5);
        assert!(matches!(&records[2], JournalRecord::Tx(t) if t.tx.nonce == 2));
        assert!(matches!(&records[4], JournalRecord::Dropped(_, r) if r == "why"));
    }
}
