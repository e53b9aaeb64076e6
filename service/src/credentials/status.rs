//! Bitstring Status Lists on the issuer side: creating a list for a tenant's DID, allocating
//! status entries at issuance, recording which entry each credential got, changing a
//! credential's status, serving the signed status list credential, and the verifier's check.
//!
//! # Ownership
//!
//! The on-chain list is owned by the account that created it. This node creates lists only with
//! the tenant's custodied key whose address **is** the issuer DID's address (`did:weft:<chain>:
//! <owner>`); the status list credential is issued by that DID and signed by that key through a
//! verification method of the DID's current document with `assertionMethod`.
//!
//! # Index allocation (privacy trade-off)
//!
//! Each list keeps a persistent counter `next_seq` in the store, advanced with a compare-and-set
//! `UPDATE` before an index is handed out (so a restart never hands out an index twice). The
//! index is `(seq * mul + add) mod length` with `mul` coprime to `length` and `mul`, `add` drawn
//! from the OS CSPRNG at creation: a permutation, so indexes never collide, and neighbouring
//! issuances do not land on neighbouring bits. It is not a cryptographic shuffle (two known
//! (seq, index) pairs reveal it); herd privacy comes from the list size (at least 131,072).
//! Sequential allocation would make issuance order visible to anyone watching the list.
//!
//! # Recording (group commit)
//!
//! Which entry each credential got is written by one [`StatusRecorder`] task per API state: it
//! writes every record queued while its previous transaction committed in one transaction, and
//! [`record_issued`] returns only after that commit, so an issuance is answered only once its
//! status entry is durable.

use std::collections::{BTreeMap, HashMap};

use rand::RngCore;
use serde_json::Value;
use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};
use weft_chain::{Address, Hash, Keypair};
use weft_did::credential::data_integrity::{self, ProofOptions};
use weft_did::registry::{self, DidQuery, Resolution, Selector};
use weft_did::status::{
    self, check_entry, ListMeta, StatusCall, StatusEntry, StatusOutcome, StatusPurpose, StatusQuery,
};
use weft_did::status_proof::{self, ProofPolicy, ProvenStatus, StatusProof};
use weft_did::{resolution, Did, Relationships};

use super::{query, receipt_attribute};
use crate::chain_client::TxOutcome;
use crate::error::ServiceError;
use crate::store::{now_ms, StoreError};
use crate::Context;

/// Path prefix of status list credentials (`GET /status-lists/{id}`).
pub const PATH: &str = "/status-lists/";

/// The public base URL of this node, used in `statusListCredential` URLs of lists created
/// outside a request (`WEFT_PUBLIC_URL`, default `http://localhost:8080`).
pub fn public_base() -> String {
    std::env::var("WEFT_PUBLIC_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('/').to_string())
        .unwrap_or_else(|| "http://localhost:8080".into())
}

/// A list published by this node (the store row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRecord {
    /// On-chain list id.
    pub list_id: Hash,
    /// Owning tenant.
    pub tenant: String,
    /// The custodied key that owns the list on chain.
    pub key_id: String,
    /// The issuer DID.
    pub issuer_did: String,
    /// Purpose.
    pub purpose: StatusPurpose,
    /// Length in bits.
    pub length: u64,
    /// URL of its status list credential.
    pub url: String,
    /// Indexes handed out so far.
    pub allocated: u64,
}

fn list_row(row: &sqlx::any::AnyRow) -> Result<ListRecord, ServiceError> {
    let get_i = |name: &str| -> Result<u64, ServiceError> {
        let v: i64 = row.try_get(name).map_err(ServiceError::internal)?;
        u64::try_from(v).map_err(ServiceError::internal)
    };
    let get_s = |name: &str| -> Result<String, ServiceError> {
        row.try_get(name).map_err(ServiceError::internal)
    };
    Ok(ListRecord {
        list_id: get_s("list_id")?.parse().map_err(ServiceError::internal)?,
        tenant: get_s("tenant")?,
        key_id: get_s("key_id")?,
        issuer_did: get_s("issuer_did")?,
        purpose: StatusPurpose::parse(&get_s("purpose")?).map_err(ServiceError::internal)?,
        length: get_i("length")?,
        url: get_s("url")?,
        allocated: get_i("next_seq")?,
    })
}

const LIST_SELECT: &str =
    "SELECT list_id, tenant, key_id, issuer_did, purpose, length, url, next_seq FROM status_lists";

/// The store record of a list, if this node published it.
pub async fn list_record(state: &Context, list: &Hash) -> Result<Option<ListRecord>, ServiceError> {
    let row = sqlx::query(&format!("{LIST_SELECT} WHERE list_id = $1"))
        .bind(list.to_string())
        .fetch_optional(state.store.pool())
        .await
        .map_err(crate::store::StoreError::from)?;
    row.as_ref().map(list_row).transpose()
}

/// The `did:weft` address of `did` on this chain (400 otherwise).
fn local_address(state: &Context, did: &str) -> Result<Address, ServiceError> {
    match Did::parse(did) {
        Ok(Did::Weft { chain_id, address }) if chain_id == state.node.chain_id() => Ok(address),
        Ok(_) => Err(ServiceError::InvalidRequest(format!(
            "{did} is not a did:weft of this chain"
        ))),
        Err(e) => Err(ServiceError::InvalidRequest(e.to_string())),
    }
}

/// Creates an on-chain list for the tenant's DID `issuer_did` (signed with the tenant's key
/// whose address is the DID's) and records it; `base` is the public URL prefix of this node.
pub async fn create_list(
    state: &Context,
    tenant: &str,
    issuer_did: &str,
    purpose: StatusPurpose,
    length: u64,
    base: &str,
) -> Result<(ListRecord, TxOutcome), ServiceError> {
    let address = local_address(state, issuer_did)?;
    let (key_id, key) = state
        .tenant_key_for_address(tenant, &address)
        .await?
        .ok_or_else(|| {
            ServiceError::Forbidden(format!(
                "{issuer_did} is not controlled by a key of this tenant"
            ))
        })?;
    let tx = state
        .chain
        .sign_submit_and_wait(&key, StatusCall::CreateList { purpose, length }.call())
        .await?
        .settled()?;
    let list_id: Hash = receipt_attribute(state, &tx.tx_hash, "list")?
        .parse()
        .map_err(ServiceError::internal)?;
    let mut rnd = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut rnd);
    let mut mul = u64::from_le_bytes(rnd[..8].try_into().expect("8 bytes")) % length;
    while gcd(mul, length) != 1 {
        mul = (mul + 1) % length;
    }
    let add = u64::from_le_bytes(rnd[8..].try_into().expect("8 bytes")) % length;
    let url = format!(
        "{}{PATH}{}",
        base.trim_end_matches('/'),
        hex::encode(list_id.0)
    );
    sqlx::query(
        "INSERT INTO status_lists (list_id, tenant, key_id, issuer_did, purpose, length, url, \
         next_seq, perm_mul, perm_add, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10)",
    )
    .bind(list_id.to_string())
    .bind(tenant)
    .bind(&key_id)
    .bind(issuer_did)
    .bind(purpose.as_str())
    .bind(length as i64)
    .bind(&url)
    .bind(mul as i64)
    .bind(add as i64)
    .bind(now_ms())
    .execute(state.store.pool())
    .await
    .map_err(crate::store::StoreError::from)?;
    tracing::info!(tenant, list = %list_id, purpose = purpose.as_str(), "status list created");
    Ok((
        ListRecord {
            list_id,
            tenant: tenant.into(),
            key_id,
            issuer_did: issuer_did.into(),
            purpose,
            length,
            url,
            allocated: 0,
        },
        tx,
    ))
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Indexes reserved from the store at once. A reservation advances the stored counter before any
/// index of it is handed out, so a restart never hands out an index twice; it only skips what a
/// crashed process had reserved and not used.
const RESERVE: u64 = 256;

/// A reserved run of sequence numbers of one list: `next..end` are still free.
struct Reserved {
    url: String,
    length: u64,
    mul: u64,
    add: u64,
    next: u64,
    end: u64,
}

/// Reservations per (tenant, issuer DID, purpose), behind one async lock (allocation is a few
/// arithmetic steps; the store is touched once per [`RESERVE`] indexes).
static RESERVED: tokio::sync::Mutex<BTreeMap<(String, String, &'static str), Reserved>> =
    tokio::sync::Mutex::const_new(BTreeMap::new());

/// Hands out a fresh status entry of `purpose` on a list of the tenant's DID `issuer_did`
/// (creating a list on first use or when the current one is full) and returns the
/// `BitstringStatusListEntry` JSON. The issuance endpoint calls this, then [`record_issued`].
pub async fn allocate_status_entry(
    state: &Context,
    tenant: &str,
    issuer_did: &str,
    purpose: StatusPurpose,
) -> Result<Value, ServiceError> {
    let mut reserved = RESERVED.lock().await;
    let key = (tenant.to_string(), issuer_did.to_string(), purpose.as_str());
    if reserved.get(&key).is_none_or(|r| r.next >= r.end) {
        let run = reserve(state, tenant, issuer_did, purpose).await?;
        reserved.insert(key.clone(), run);
    }
    let r = reserved
        .get_mut(&key)
        .ok_or_else(|| ServiceError::internal("status reservation vanished"))?;
    let seq = r.next;
    r.next += 1;
    let index = ((seq as u128 * r.mul as u128 + r.add as u128) % r.length as u128) as u64;
    Ok(StatusEntry {
        id: Some(format!("{}#{index}", r.url)),
        purpose,
        index,
        list_credential: r.url.clone(),
    }
    .to_json())
}

/// Advances the stored counter of the issuer's current list by up to [`RESERVE`] (compare and
/// set, so concurrent processes never share an index), creating a list when none has room.
async fn reserve(
    state: &Context,
    tenant: &str,
    issuer_did: &str,
    purpose: StatusPurpose,
) -> Result<Reserved, ServiceError> {
    for _ in 0..8 {
        let row = sqlx::query(
            "SELECT list_id, next_seq, length, perm_mul, perm_add, url FROM status_lists \
             WHERE tenant = $1 AND issuer_did = $2 AND purpose = $3 AND next_seq < length \
             ORDER BY created_ms LIMIT 1",
        )
        .bind(tenant)
        .bind(issuer_did)
        .bind(purpose.as_str())
        .fetch_optional(state.store.pool())
        .await
        .map_err(crate::store::StoreError::from)?;
        let Some(row) = row else {
            create_list(
                state,
                tenant,
                issuer_did,
                purpose,
                status::MIN_LENGTH,
                &state.public_url,
            )
            .await?;
            continue;
        };
        let int = |name: &str| -> Result<u64, ServiceError> {
            let v: i64 = row.try_get(name).map_err(ServiceError::internal)?;
            u64::try_from(v).map_err(ServiceError::internal)
        };
        let (seq, length, mul, add) = (
            int("next_seq")?,
            int("length")?,
            int("perm_mul")?,
            int("perm_add")?,
        );
        let list_id: String = row.try_get("list_id").map_err(ServiceError::internal)?;
        let url: String = row.try_get("url").map_err(ServiceError::internal)?;
        let end = (seq + RESERVE).min(length);
        let done = sqlx::query(
            "UPDATE status_lists SET next_seq = $1 WHERE list_id = $2 AND next_seq = $3",
        )
        .bind(end as i64)
        .bind(&list_id)
        .bind(seq as i64)
        .execute(state.store.pool())
        .await
        .map_err(crate::store::StoreError::from)?;
        if done.rows_affected() != 1 {
            continue; // another process took it
        }
        return Ok(Reserved {
            url,
            length,
            mul,
            add,
            next: seq,
            end,
        });
    }
    Err(ServiceError::Unavailable(
        "could not allocate a status index; retry".into(),
    ))
}

/// Records that the tenant's credential `credential_id` carries `entries` (its
/// `credentialStatus` items), so `POST /credentials/status` can find the bits later.
///
/// The write goes through the state's [`StatusRecorder`] (group commit): this returns once the
/// transaction holding the record has committed. An entry that does not name a list of this
/// tenant is 404, one that does not match its list 400, a credential that already has an entry
/// of that purpose 409; a record is all or nothing.
pub async fn record_issued(
    state: &Context,
    tenant: &str,
    credential_id: &str,
    entries: &[Value],
) -> Result<(), ServiceError> {
    let mut parsed = Vec::with_capacity(entries.len());
    for v in entries {
        let entry =
            StatusEntry::parse(v).map_err(|e| ServiceError::InvalidRequest(e.to_string()))?;
        let list = list_of_url(&entry.list_credential)?;
        parsed.push((list, entry));
    }
    if parsed.is_empty() {
        return Ok(());
    }
    state
        .status_recorder
        .record(
            state.store.pool(),
            Record {
                tenant: tenant.to_string(),
                credential_id: credential_id.to_string(),
                entries: parsed,
                reply: None,
            },
        )
        .await
}

/// One credential's status entries to record.
struct Record {
    tenant: String,
    credential_id: String,
    entries: Vec<(Hash, StatusEntry)>,
    reply: Option<oneshot::Sender<Result<(), ServiceError>>>,
}

/// Most records per transaction.
const MAX_GROUP: usize = 4096;

/// Group commit of the credential → status entry records (one per [`Context`]).
///
/// Each SQLite commit is an fsync, and SQLite serialises writers, so one transaction per issuance
/// bounded issuance at about one per millisecond. Instead, one task writes: it takes every record
/// queued while the previous transaction was committing and writes them in one transaction, then
/// answers each caller. Nothing waits for companions (no timer): under light load a transaction
/// holds one record; under heavy load the group grows with the queue.
pub struct StatusRecorder {
    tx: mpsc::UnboundedSender<Record>,
    rx: parking_lot::Mutex<Option<mpsc::UnboundedReceiver<Record>>>,
}

impl std::fmt::Debug for StatusRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusRecorder").finish_non_exhaustive()
    }
}

impl Default for StatusRecorder {
    fn default() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        StatusRecorder {
            tx,
            rx: parking_lot::Mutex::new(Some(rx)),
        }
    }
}

impl StatusRecorder {
    /// Queues `record` (starting the writer task on first use) and waits for its commit.
    async fn record(&self, pool: &AnyPool, mut record: Record) -> Result<(), ServiceError> {
        if let Some(rx) = self.rx.lock().take() {
            tokio::spawn(write_records(pool.clone(), rx));
        }
        let (reply, wait) = oneshot::channel();
        record.reply = Some(reply);
        self.tx
            .send(record)
            .map_err(|_| ServiceError::Unavailable("status recorder stopped".into()))?;
        wait.await
            .map_err(|_| ServiceError::Unavailable("status recorder stopped".into()))?
    }
}

/// What a list's record says about its entries (immutable once the list exists).
#[derive(Clone)]
struct ListShape {
    tenant: String,
    purpose: StatusPurpose,
    length: u64,
}

async fn write_records(pool: AnyPool, mut rx: mpsc::UnboundedReceiver<Record>) {
    let mut shapes: HashMap<Hash, ListShape> = HashMap::new();
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(r) => group.push(r),
                Err(_) => break,
            }
        }
        match write_group(&pool, &mut shapes, &group).await {
            Ok(results) => {
                for (record, result) in group.into_iter().zip(results) {
                    if let Some(reply) = record.reply {
                        let _ = reply.send(result);
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, records = group.len(), "recording status entries failed");
                let detail = e.to_string();
                for record in group {
                    if let Some(reply) = record.reply {
                        let _ = reply.send(Err(ServiceError::internal(&detail)));
                    }
                }
            }
        }
    }
}

/// Rows per multi-row `INSERT` (5 parameters each, well under both backends' limits).
const ROWS_PER_INSERT: usize = 256;

/// Writes `group` in one transaction; per record, `Ok` or the reason it was refused (a refused
/// record leaves no row). `Err` if the transaction failed (nothing written).
///
/// The usual case takes one multi-row `INSERT` per [`ROWS_PER_INSERT`] rows. If any row
/// conflicts (a credential id recorded before, or twice in the group), that transaction is rolled
/// back and the group is written again row by row, so that only the conflicting records fail.
async fn write_group(
    pool: &AnyPool,
    shapes: &mut HashMap<Hash, ListShape>,
    group: &[Record],
) -> Result<Vec<Result<(), ServiceError>>, StoreError> {
    let mut db = pool.begin().await?;
    let mut results = Vec::with_capacity(group.len());
    let mut rows: Vec<(&Record, &Hash, &StatusEntry)> = Vec::new();
    for record in group {
        let checked = check_record(&mut db, shapes, record).await?;
        if checked.is_ok() {
            rows.extend(record.entries.iter().map(|(l, e)| (record, l, e)));
        }
        results.push(checked);
    }
    let mut inserted = 0u64;
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let values: Vec<String> = (0..chunk.len())
            .map(|r| {
                let b = r * 5;
                format!(
                    "(${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO status_entries (tenant, credential_id, purpose, list_id, idx) VALUES {} \
             ON CONFLICT DO NOTHING",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (record, list, entry) in chunk {
            q = q
                .bind(record.tenant.clone())
                .bind(record.credential_id.clone())
                .bind(entry.purpose.as_str())
                .bind(list.to_string())
                .bind(entry.index as i64);
        }
        inserted += q.execute(&mut *db).await?.rows_affected();
    }
    if inserted == rows.len() as u64 {
        db.commit().await?;
        return Ok(results);
    }
    db.rollback().await?;
    let mut db = pool.begin().await?;
    let mut results = Vec::with_capacity(group.len());
    for record in group {
        results.push(write_record(&mut db, shapes, record).await?);
    }
    db.commit().await?;
    Ok(results)
}

/// Checks every entry of `record` against its list (`Ok(Err(_))`: refused).
async fn check_record(
    db: &mut sqlx::Transaction<'static, sqlx::Any>,
    shapes: &mut HashMap<Hash, ListShape>,
    record: &Record,
) -> Result<Result<(), ServiceError>, StoreError> {
    for (list, entry) in &record.entries {
        if !shapes.contains_key(list) {
            let row =
                sqlx::query("SELECT tenant, purpose, length FROM status_lists WHERE list_id = $1")
                    .bind(list.to_string())
                    .fetch_optional(&mut **db)
                    .await?;
            if let Some(row) = row {
                let purpose: String = row.try_get("purpose")?;
                let length: i64 = row.try_get("length")?;
                if let (Ok(purpose), Ok(length)) =
                    (StatusPurpose::parse(&purpose), u64::try_from(length))
                {
                    shapes.insert(
                        *list,
                        ListShape {
                            tenant: row.try_get("tenant")?,
                            purpose,
                            length,
                        },
                    );
                }
            }
        }
        let Some(shape) = shapes.get(list).filter(|s| s.tenant == record.tenant) else {
            return Ok(Err(ServiceError::NotFound(format!(
                "no status list {list} of this tenant"
            ))));
        };
        if entry.purpose != shape.purpose || entry.index >= shape.length {
            return Ok(Err(ServiceError::InvalidRequest(
                "status entry does not match its list".into(),
            )));
        }
    }
    Ok(Ok(()))
}

/// Writes one record row by row (after [`check_record`]).
async fn write_record(
    db: &mut sqlx::Transaction<'static, sqlx::Any>,
    shapes: &mut HashMap<Hash, ListShape>,
    record: &Record,
) -> Result<Result<(), ServiceError>, StoreError> {
    if let Err(e) = check_record(db, shapes, record).await? {
        return Ok(Err(e));
    }
    // Then insert; a conflict undoes this record's earlier rows (the transaction goes on).
    for (n, (list, entry)) in record.entries.iter().enumerate() {
        let done = sqlx::query(
            "INSERT INTO status_entries (tenant, credential_id, purpose, list_id, idx) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&record.tenant)
        .bind(&record.credential_id)
        .bind(entry.purpose.as_str())
        .bind(list.to_string())
        .bind(entry.index as i64)
        .execute(&mut **db)
        .await?;
        if done.rows_affected() == 1 {
            continue;
        }
        for (_, earlier) in &record.entries[..n] {
            sqlx::query(
                "DELETE FROM status_entries WHERE tenant = $1 AND credential_id = $2 \
                 AND purpose = $3",
            )
            .bind(&record.tenant)
            .bind(&record.credential_id)
            .bind(earlier.purpose.as_str())
            .execute(&mut **db)
            .await?;
        }
        return Ok(Err(ServiceError::Conflict(format!(
            "credential {:?} already has a {} entry",
            record.credential_id,
            entry.purpose.as_str()
        ))));
    }
    Ok(Ok(()))
}

/// The list id in a `statusListCredential` URL of this node (`…/status-lists/<64 hex>`).
pub fn list_of_url(url: &str) -> Result<Hash, ServiceError> {
    let tail = url.rsplit_once(PATH).map(|(_, t)| t).ok_or_else(|| {
        ServiceError::InvalidRequest(format!("{url} is not a status list of this node"))
    })?;
    let tail = tail.split(['#', '?']).next().unwrap_or_default();
    parse_list_id(tail)
}

/// Parses a list id (64 hex digits, optional `0x`).
pub fn parse_list_id(text: &str) -> Result<Hash, ServiceError> {
    let text = text.strip_prefix("0x").unwrap_or(text);
    if text.len() != 64 {
        return Err(ServiceError::InvalidRequest(
            "a list id is 64 hex digits".into(),
        ));
    }
    text.parse()
        .map_err(|_| ServiceError::InvalidRequest("a list id is 64 hex digits".into()))
}

/// Sets (`status = true`) or clears the bit of the tenant's credential for `purpose`; returns
/// the list, index and transaction.
pub async fn set_status(
    state: &Context,
    tenant: &str,
    credential_id: &str,
    purpose: StatusPurpose,
    status: bool,
) -> Result<(Hash, u64, TxOutcome), ServiceError> {
    let row = sqlx::query(
        "SELECT list_id, idx FROM status_entries WHERE tenant = $1 AND credential_id = $2 \
         AND purpose = $3",
    )
    .bind(tenant)
    .bind(credential_id)
    .bind(purpose.as_str())
    .fetch_optional(state.store.pool())
    .await
    .map_err(crate::store::StoreError::from)?
    .ok_or_else(|| {
        ServiceError::NotFound(format!(
            "no {} status entry for credential {credential_id:?} of this tenant",
            purpose.as_str()
        ))
    })?;
    let list = parse_list_id(
        &row.try_get::<String, _>("list_id")
            .map_err(ServiceError::internal)?,
    )?;
    let index: i64 = row.try_get("idx").map_err(ServiceError::internal)?;
    let index = u64::try_from(index).map_err(ServiceError::internal)?;
    let record = list_record(state, &list)
        .await?
        .ok_or_else(|| ServiceError::internal("status entry without its list"))?;
    let key = state.tenant_key(tenant, &record.key_id).await?;
    let (set, clear) = if status {
        (vec![index], vec![])
    } else {
        (vec![], vec![index])
    };
    let tx = state
        .chain
        .sign_submit_and_wait(&key, StatusCall::Update { list, set, clear }.call())
        .await?
        .settled()?;
    tracing::info!(tenant, list = %list, index, status, "credential status changed");
    Ok((list, index, tx))
}

/// A list's on-chain metadata and bits (404 if none).
pub fn chain_list(state: &Context, list: &Hash) -> Result<(ListMeta, Vec<u8>), ServiceError> {
    query::<Option<(ListMeta, Vec<u8>)>>(
        state,
        status::NAME,
        StatusQuery::Bits { list: *list }.args(),
    )?
    .ok_or_else(|| ServiceError::NotFound(format!("no status list {list}")))
}

/// The verification method of `did` (latest version) whose key is `key` and that may assert.
fn assertion_method(state: &Context, did: &str, key: &Keypair) -> Result<String, ServiceError> {
    let address = local_address(state, did)?;
    let res: Option<Resolution> = query(
        state,
        registry::NAME,
        DidQuery::Resolve {
            did: address,
            selector: Selector::Latest,
        }
        .args(),
    )?;
    let res = res
        .filter(|r| !r.head.deactivated)
        .ok_or_else(|| ServiceError::Conflict(format!("{did} is not an active DID")))?;
    res.record
        .state
        .keys
        .iter()
        .find(|k| {
            k.public_key == key.public_key() && k.relationships.has(Relationships::ASSERTION_METHOD)
        })
        .map(|k| format!("{did}#{}", k.fragment))
        .ok_or_else(|| {
            ServiceError::Conflict(format!(
                "{did} no longer lists the list owner's key for assertionMethod"
            ))
        })
}

/// The signed `BitstringStatusListCredential` of a list this node published. `validFrom` and the
/// proof's `created` are the list's last update time, so the document changes only with the list:
/// `validFrom` truncated to the second, `created` rounded up to it, so that a verifier resolving
/// the issuer's key at `created` finds the document the list was signed under even when the DID
/// was made in the same second as the list (verifiers read times to the second).
pub async fn signed_status_list_credential(
    state: &Context,
    list: &Hash,
) -> Result<Value, ServiceError> {
    let record = list_record(state, list)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no status list {list} published here")))?;
    let (meta, bits) = chain_list(state, list)?;
    let key = state.tenant_key(&record.tenant, &record.key_id).await?;
    if key.address() != meta.owner {
        return Err(ServiceError::internal("status list owner and key differ"));
    }
    let vm = assertion_method(state, &record.issuer_did, &key)?;
    let valid_from = resolution::format_time(meta.updated_ms);
    let created = resolution::format_time(meta.updated_ms.div_ceil(1000).saturating_mul(1000));
    let unsigned = status::status_list_credential(
        &record.url,
        &record.issuer_did,
        meta.purpose,
        &bits,
        &valid_from,
    );
    data_integrity::sign(&unsigned, &ProofOptions::assertion(vm, created), &key)
        .map_err(ServiceError::internal)
}

/// Why a status check failed (for the verifier).
#[derive(Debug, thiserror::Error)]
pub enum StatusCheckError {
    /// The entry is malformed or does not match its list.
    #[error(transparent)]
    Entry(#[from] status::StatusError),
    /// The `statusListCredential` is not a list on this chain (nothing is fetched).
    #[error("status list not on this chain: {0}")]
    UnknownList(String),
    /// Reading the chain failed.
    #[error("status check failed: {0}")]
    Unavailable(String),
    /// The state proof of the status bit was refused.
    #[error(transparent)]
    Proof(#[from] status_proof::StatusProofError),
}

/// Checks a `credentialStatus` entry against the list on chain (lists of this chain only; the
/// host of `statusListCredential` is not trusted, only the list id in its path). The caller
/// must also check that the list's owner is the credential's issuer: see [`status_owner`].
pub fn status_outcome(state: &Context, entry: &Value) -> Result<StatusOutcome, StatusCheckError> {
    status_check(state, entry).map(|(outcome, _)| outcome)
}

/// [`status_outcome`] plus the list's owner account (to compare with the issuer DID).
pub fn status_check(
    state: &Context,
    entry: &Value,
) -> Result<(StatusOutcome, Address), StatusCheckError> {
    status_check_on(&state.node, entry)
}

/// [`status_check`] against a node (what the verifier's ledger uses).
pub fn status_check_on(
    node: &weft_chain::Node,
    entry: &Value,
) -> Result<(StatusOutcome, Address), StatusCheckError> {
    let entry = StatusEntry::parse(entry)?;
    let list = list_of_url(&entry.list_credential)
        .map_err(|_| StatusCheckError::UnknownList(entry.list_credential.clone()))?;
    let (method, args) = StatusQuery::Bits { list }.args();
    let bytes = node
        .call(status::NAME, method, &args, None)
        .map_err(|e| StatusCheckError::Unavailable(e.to_string()))?;
    let (meta, bits): (ListMeta, Vec<u8>) =
        borsh::from_slice::<Option<(ListMeta, Vec<u8>)>>(&bytes)
            .map_err(|e| StatusCheckError::Unavailable(e.to_string()))?
            .ok_or_else(|| StatusCheckError::UnknownList(entry.list_credential.clone()))?;
    Ok((check_entry(&entry, meta.purpose, &bits)?, meta.owner))
}

/// The proof bundle of `index` on `list` at the head: the chunk holding the index and the
/// list's metadata with their state proofs, the head header and its commit certificate
/// (`GET /status-lists/{id}/proof`). An index beyond the list is refused.
pub fn status_proof_bundle(
    node: &weft_chain::Node,
    list: &Hash,
    index: u64,
) -> Result<StatusProof, StatusCheckError> {
    let unavailable = |e: weft_chain::ChainError| StatusCheckError::Unavailable(e.to_string());
    let meta = node
        .state_proof(status::NAME, &status::meta_key(list), None)
        .map_err(unavailable)?;
    let Some(bytes) = meta.value.as_deref() else {
        return Err(StatusCheckError::UnknownList(list.to_string()));
    };
    let decoded: ListMeta =
        borsh::from_slice(bytes).map_err(|e| StatusCheckError::Unavailable(e.to_string()))?;
    if index >= decoded.length {
        return Err(status::StatusError::OutOfRange {
            index,
            length: decoded.length,
        }
        .into());
    }
    let height = meta.height;
    let (chunk_number, _) = status::chunk_of(index);
    let chunk = node
        .state_proof(
            status::NAME,
            &status::chunk_key(list, chunk_number),
            Some(height),
        )
        .map_err(unavailable)?;
    let block = node
        .block_by_number(height)
        .map_err(unavailable)?
        .ok_or_else(|| StatusCheckError::Unavailable(format!("no block {height}")))?;
    Ok(StatusProof {
        list: *list,
        index,
        chunk_number,
        header: block.header,
        certificate: block.certificate,
        meta,
        chunk,
    })
}

/// A status read the way a light verifier would: the bundle from [`status_proof_bundle`]
/// verified ([`status_proof::verify`]) against the validator set that committed its block
/// (read from this node's state at the parent height).
pub fn status_proven_on(
    node: &weft_chain::Node,
    entry: &Value,
) -> Result<ProvenStatus, StatusCheckError> {
    let entry = StatusEntry::parse(entry)?;
    let list = list_of_url(&entry.list_credential)
        .map_err(|_| StatusCheckError::UnknownList(entry.list_credential.clone()))?;
    let bundle = status_proof_bundle(node, &list, entry.index)?;
    let height = bundle.header.height;
    let validators = node
        .validators(Some(height.saturating_sub(1)))
        .map_err(|e| StatusCheckError::Unavailable(e.to_string()))?
        .into_iter()
        .map(|v| (v.public_key, v.power))
        .collect();
    let policy = ProofPolicy {
        chain_id: node.chain_id().to_string(),
        validators,
        now_ms: u64::try_from(now_ms()).unwrap_or(0),
        max_age_ms: None,
    };
    Ok(status_proof::verify(&entry, &list, &bundle, &policy)?)
}

/// The owner of the list an entry points at, as the `did:weft` it must be issued by.
pub fn status_owner(state: &Context, owner: Address) -> String {
    Did::weft(state.node.chain_id(), owner).to_string()
}
