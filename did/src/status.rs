//! The `status` module: W3C Bitstring Status List v1.0 lists held on chain, and the pure
//! functions around them (encoding, status entries, status list credentials, checks).
//!
//! # Rules (checked on the transaction signer)
//!
//! - `CreateList { purpose, length }`: anyone creates a list; the signer becomes its owner. The
//!   id is `SHA-256("weft/status/list/v1" || owner || seq)` with `seq` the owner's list counter,
//!   so it is deterministic and never reused. `length` (bits) is at least [`MIN_LENGTH`]
//!   (16 KiB, the spec's herd-privacy minimum), a multiple of 8, at most [`MAX_LENGTH`].
//! - `Update { list, set, clear }`: only the owner (the signer; there is no caller-supplied
//!   owner). Every index must be in range, no index may be both set and cleared, and at most
//!   [`MAX_UPDATE`] indexes per call. A `revocation` list refuses clearing a bit that is set
//!   (revocation is final); a `suspension` list may clear.
//! - The list stores the owner **account**. The status list credential served for it must be
//!   issued by a DID controlled by that account (in `weft-api`: the `did:weft` whose address is
//!   the owner and whose key signs the credential); a verifier checks the credential's issuer
//!   matches the credential whose status it checks.
//!
//! # State (namespace `status`)
//!
//! `n/<owner>` → next list sequence (u64); `l/<id>` → [`ListMeta`];
//! `c/<id><chunk u32 BE>` → chunk of [`CHUNK_BYTES`] bytes (absent = all zero). Chunking keeps
//! an update's writes to the chunks it touches (one 512-byte value for a single-bit revocation
//! instead of a 16 KiB value for a minimum-size list: each state write is hashed into the JMT,
//! so the cost of an update is proportional to bytes rewritten).

use std::collections::BTreeMap;
use std::io::Read;

use base64::Engine;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use weft_chain::{Address, Call, Hash, Module, ModuleError, ReadContext, TxContext};

/// Module name and state namespace.
pub const NAME: &str = "status";
/// Smallest list, in bits (16 KiB, per Bitstring Status List v1.0).
pub const MIN_LENGTH: u64 = 131_072;
/// Largest list, in bits (256 KiB).
pub const MAX_LENGTH: u64 = 2_097_152;
/// Bytes per stored chunk.
pub const CHUNK_BYTES: usize = 512;
/// Most indexes (set + clear) in one update.
pub const MAX_UPDATE: usize = 4096;
/// Largest decompressed list [`decode_list`] accepts (bytes).
pub const MAX_DECODED_BYTES: usize = 4 * 1024 * 1024;
/// Domain separator of list ids.
const LIST_ID_DOMAIN: &[u8] = b"weft/status/list/v1";

/// What a list's bits mean.
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
#[serde(rename_all = "lowercase")]
pub enum StatusPurpose {
    /// A set bit revokes the credential, for good.
    Revocation,
    /// A set bit suspends the credential; clearing it reinstates it.
    Suspension,
}

impl StatusPurpose {
    /// The `statusPurpose` string.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusPurpose::Revocation => "revocation",
            StatusPurpose::Suspension => "suspension",
        }
    }

    /// Parses a `statusPurpose` string.
    pub fn parse(text: &str) -> Result<StatusPurpose, StatusError> {
        match text {
            "revocation" => Ok(StatusPurpose::Revocation),
            "suspension" => Ok(StatusPurpose::Suspension),
            other => Err(StatusError::UnsupportedPurpose(other.to_string())),
        }
    }
}

/// Errors of the pure status-list functions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    /// `encodedList` is not multibase base64url (`u…`).
    #[error("encodedList must be multibase base64url (prefix 'u')")]
    NotMultibase,
    /// The base64url text is invalid.
    #[error("encodedList is not valid base64url: {0}")]
    Base64(String),
    /// The GZIP stream is invalid.
    #[error("encodedList is not a valid GZIP stream: {0}")]
    Gzip(String),
    /// Decompression would exceed [`MAX_DECODED_BYTES`].
    #[error("decoded list larger than {MAX_DECODED_BYTES} bytes")]
    TooLarge,
    /// A status purpose other than `revocation` / `suspension`.
    #[error("unsupported statusPurpose {0:?}")]
    UnsupportedPurpose(String),
    /// The entry is malformed (missing or mistyped member).
    #[error("malformed status entry: {0}")]
    Malformed(String),
    /// `statusSize` other than 1 (multi-bit status messages are not supported).
    #[error("unsupported statusSize {0}")]
    UnsupportedSize(String),
    /// The entry's purpose is not the list's.
    #[error("status entry purpose {entry:?} does not match the list's {list:?}")]
    PurposeMismatch {
        /// The entry's purpose.
        entry: StatusPurpose,
        /// The list's purpose.
        list: StatusPurpose,
    },
    /// The index is beyond the list.
    #[error("statusListIndex {index} out of range (list of {length} bits)")]
    OutOfRange {
        /// The index.
        index: u64,
        /// The list length in bits.
        length: u64,
    },
}

/// A `status` transaction.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub enum StatusCall {
    /// Creates a list owned by the signer.
    CreateList {
        /// Revocation or suspension.
        purpose: StatusPurpose,
        /// Length in bits.
        length: u64,
    },
    /// Sets and clears bits of a list the signer owns.
    Update {
        /// The list id.
        list: Hash,
        /// Indexes to set.
        set: Vec<u64>,
        /// Indexes to clear (suspension lists; on revocation lists only already-clear bits).
        clear: Vec<u64>,
    },
}

impl StatusCall {
    /// The method name used in [`Call::method`].
    pub fn method(&self) -> &'static str {
        match self {
            StatusCall::CreateList { .. } => "create_list",
            StatusCall::Update { .. } => "update",
        }
    }

    /// The chain [`Call`] of this transaction.
    pub fn call(&self) -> Call {
        Call {
            module: NAME.to_string(),
            method: self.method().to_string(),
            args: borsh::to_vec(self).expect("write to Vec"),
        }
    }
}

/// A `status` query.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum StatusQuery {
    /// Returns borsh `Option<ListMeta>`.
    Meta {
        /// The list id.
        list: Hash,
    },
    /// Returns borsh `Option<bool>` (`None`: no such list); out of range is an error.
    Bit {
        /// The list id.
        list: Hash,
        /// The bit index.
        index: u64,
    },
    /// Returns borsh `Option<(ListMeta, Vec<u8>)>`: metadata and the whole bitstring.
    Bits {
        /// The list id.
        list: Hash,
    },
}

impl StatusQuery {
    /// The method name used with `Node::call`.
    pub fn method(&self) -> &'static str {
        match self {
            StatusQuery::Meta { .. } => "meta",
            StatusQuery::Bit { .. } => "bit",
            StatusQuery::Bits { .. } => "bits",
        }
    }

    /// `(method, args)` for `Node::call`.
    pub fn args(&self) -> (&'static str, Vec<u8>) {
        (self.method(), borsh::to_vec(self).expect("write to Vec"))
    }
}

/// A list's metadata.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ListMeta {
    /// The list id.
    pub id: Hash,
    /// The owner account (the creating signer).
    pub owner: Address,
    /// What the bits mean.
    pub purpose: StatusPurpose,
    /// Length in bits.
    pub length: u64,
    /// Bits currently set.
    pub set_count: u64,
    /// Height of creation.
    pub created_height: u64,
    /// Block time of creation (ms).
    pub created_ms: u64,
    /// Height of the last update (creation if none).
    pub updated_height: u64,
    /// Block time of the last update (ms).
    pub updated_ms: u64,
}

/// The id of the `seq`-th list of `owner`.
pub fn list_id(owner: &Address, seq: u64) -> Hash {
    Hash::sha256_parts(&[LIST_ID_DOMAIN, &owner.0, &seq.to_be_bytes()])
}

fn seq_key(owner: &Address) -> Vec<u8> {
    [b"n/".as_slice(), &owner.0].concat()
}
/// The state key of a list's metadata (`l/<id>`).
pub fn meta_key(list: &Hash) -> Vec<u8> {
    [b"l/".as_slice(), &list.0].concat()
}
/// The state key of a list's chunk (`c/<id><chunk u32 BE>`).
pub fn chunk_key(list: &Hash, chunk: u32) -> Vec<u8> {
    [b"c/".as_slice(), &list.0, &chunk.to_be_bytes()].concat()
}

/// The chunk holding bit `index` and the bit's index within that chunk.
pub fn chunk_of(index: u64) -> (u32, u64) {
    let per_chunk = CHUNK_BYTES as u64 * 8;
    // index < MAX_LENGTH in every list, so the chunk number fits; saturate otherwise.
    let chunk = u32::try_from(index / per_chunk).unwrap_or(u32::MAX);
    (chunk, index % per_chunk)
}

/// The stored length in bytes of chunk `chunk` of a list of `length` bits (0 if beyond).
pub fn chunk_len(length: u64, chunk: u32) -> usize {
    let total = length / 8;
    let start = u64::from(chunk) * CHUNK_BYTES as u64;
    total.saturating_sub(start).min(CHUNK_BYTES as u64) as usize
}

fn stored<T: BorshDeserialize>(bytes: &[u8]) -> Result<T, ModuleError> {
    borsh::from_slice(bytes).map_err(|e| ModuleError::Storage(format!("corrupt status state: {e}")))
}

fn chunk_count(length: u64) -> u32 {
    // length <= MAX_LENGTH, so this fits.
    (length / 8).div_ceil(CHUNK_BYTES as u64) as u32
}

/// Reads a list's metadata.
pub fn read_meta(
    get: impl Fn(&[u8]) -> Result<Option<Vec<u8>>, ModuleError>,
    list: &Hash,
) -> Result<Option<ListMeta>, ModuleError> {
    get(&meta_key(list))?.map(|b| stored(&b)).transpose()
}

/// Reads a list's whole bitstring (`length / 8` bytes).
pub fn read_bits(
    get: impl Fn(&[u8]) -> Result<Option<Vec<u8>>, ModuleError>,
    meta: &ListMeta,
) -> Result<Vec<u8>, ModuleError> {
    let total = (meta.length / 8) as usize;
    let mut out = Vec::with_capacity(total);
    for c in 0..chunk_count(meta.length) {
        let want = CHUNK_BYTES.min(total - out.len());
        match get(&chunk_key(&meta.id, c))? {
            Some(b) if b.len() == want => out.extend_from_slice(&b),
            Some(_) => return Err(ModuleError::Storage("corrupt status chunk length".into())),
            None => out.resize(out.len() + want, 0),
        }
    }
    Ok(out)
}

/// The bit at `index` (index 0 = most significant bit of the first byte), if in range.
pub fn bit_at(bits: &[u8], index: u64) -> Option<bool> {
    let byte = usize::try_from(index / 8).ok()?;
    let b = *bits.get(byte)?;
    Some(b & (0x80 >> (index % 8)) != 0)
}

fn set_bit(bits: &mut [u8], index: usize, value: bool) {
    let mask = 0x80u8 >> (index % 8);
    if value {
        bits[index / 8] |= mask;
    } else {
        bits[index / 8] &= !mask;
    }
}

/// `encodedList`: multibase base64url (no padding, prefix `u`) of the GZIP-compressed bitstring.
pub fn encode_list(bits: &[u8]) -> String {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bits).expect("write to Vec");
    let compressed = gz.finish().expect("write to Vec");
    format!(
        "u{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(compressed)
    )
}

/// Decodes an `encodedList` back to the bitstring, refusing output beyond
/// [`MAX_DECODED_BYTES`] (a small input can inflate enormously).
pub fn decode_list(encoded: &str) -> Result<Vec<u8>, StatusError> {
    decode_list_capped(encoded, MAX_DECODED_BYTES)
}

/// [`decode_list`] with an explicit output cap in bytes.
pub fn decode_list_capped(encoded: &str, max_bytes: usize) -> Result<Vec<u8>, StatusError> {
    let body = encoded.strip_prefix('u').ok_or(StatusError::NotMultibase)?;
    let compressed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|e| StatusError::Base64(e.to_string()))?;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(compressed.as_slice())
        .take(max_bytes as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| StatusError::Gzip(e.to_string()))?;
    if out.len() > max_bytes {
        return Err(StatusError::TooLarge);
    }
    Ok(out)
}

/// The unsigned `BitstringStatusListCredential` (VC Data Model 2.0) for a list published at
/// `url` by `issuer`; `valid_from` is an XML Schema dateTime.
pub fn status_list_credential(
    url: &str,
    issuer: &str,
    purpose: StatusPurpose,
    bits: &[u8],
    valid_from: &str,
) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": format!("{url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": purpose.as_str(),
            "encodedList": encode_list(bits),
        }
    })
}

/// A `BitstringStatusListEntry` (one `credentialStatus` item).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// The entry's `id` (optional in VC DM 2.0).
    pub id: Option<String>,
    /// `statusPurpose`.
    pub purpose: StatusPurpose,
    /// `statusListIndex`.
    pub index: u64,
    /// `statusListCredential`: URL of the status list credential.
    pub list_credential: String,
}

/// The `type` of a status entry.
pub const ENTRY_TYPE: &str = "BitstringStatusListEntry";

impl StatusEntry {
    /// Parses a `BitstringStatusListEntry`.
    pub fn parse(value: &Value) -> Result<StatusEntry, StatusError> {
        let obj = value
            .as_object()
            .ok_or_else(|| StatusError::Malformed("not a JSON object".into()))?;
        let string = |name: &str| -> Result<&str, StatusError> {
            obj.get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| StatusError::Malformed(format!("{name} must be a string")))
        };
        if string("type")? != ENTRY_TYPE {
            return Err(StatusError::Malformed(format!("type must be {ENTRY_TYPE}")));
        }
        let purpose = StatusPurpose::parse(string("statusPurpose")?)?;
        let index_text = string("statusListIndex")?;
        if index_text.is_empty()
            || !index_text.bytes().all(|b| b.is_ascii_digit())
            || (index_text.len() > 1 && index_text.starts_with('0'))
        {
            return Err(StatusError::Malformed(
                "statusListIndex must be a string of decimal digits".into(),
            ));
        }
        let index: u64 = index_text
            .parse()
            .map_err(|_| StatusError::Malformed("statusListIndex too large".into()))?;
        let list_credential = string("statusListCredential")?.to_string();
        if !list_credential.contains(':') {
            return Err(StatusError::Malformed(
                "statusListCredential must be a URL".into(),
            ));
        }
        match obj.get("statusSize") {
            None => {}
            Some(v) if v.as_u64() == Some(1) || v.as_str() == Some("1") => {}
            Some(v) => return Err(StatusError::UnsupportedSize(v.to_string())),
        }
        let id = match obj.get("id") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(StatusError::Malformed("id must be a string".into())),
        };
        Ok(StatusEntry {
            id,
            purpose,
            index,
            list_credential,
        })
    }

    /// The entry as JSON.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "type": ENTRY_TYPE,
            "statusPurpose": self.purpose.as_str(),
            "statusListIndex": self.index.to_string(),
            "statusListCredential": self.list_credential,
        });
        if let Some(id) = &self.id {
            v["id"] = json!(id);
        }
        v
    }
}

/// What a status check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusOutcome {
    /// The bit is clear.
    Valid,
    /// Revoked (bit set on a revocation list).
    Revoked,
    /// Suspended (bit set on a suspension list).
    Suspended,
}

/// Checks `entry` against a list of purpose `list_purpose` with bitstring `bits`.
pub fn check_entry(
    entry: &StatusEntry,
    list_purpose: StatusPurpose,
    bits: &[u8],
) -> Result<StatusOutcome, StatusError> {
    if entry.purpose != list_purpose {
        return Err(StatusError::PurposeMismatch {
            entry: entry.purpose,
            list: list_purpose,
        });
    }
    let set = bit_at(bits, entry.index).ok_or(StatusError::OutOfRange {
        index: entry.index,
        length: bits.len() as u64 * 8,
    })?;
    Ok(match (set, list_purpose) {
        (false, _) => StatusOutcome::Valid,
        (true, StatusPurpose::Revocation) => StatusOutcome::Revoked,
        (true, StatusPurpose::Suspension) => StatusOutcome::Suspended,
    })
}

/// The `status` module.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatusRegistry;

impl StatusRegistry {
    fn create(
        ctx: &mut TxContext<'_>,
        purpose: StatusPurpose,
        length: u64,
    ) -> Result<(), ModuleError> {
        if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) || !length.is_multiple_of(8) {
            return Err(ModuleError::InvalidArgs(format!(
                "length must be a multiple of 8 in {MIN_LENGTH}..={MAX_LENGTH} bits"
            )));
        }
        let owner = ctx.signer();
        let seq = match ctx.get(&seq_key(&owner))? {
            Some(b) => stored::<u64>(&b)?,
            None => 0,
        };
        let id = list_id(&owner, seq);
        if ctx.get(&meta_key(&id))?.is_some() {
            return Err(ModuleError::Storage("list id collision".into()));
        }
        let meta = ListMeta {
            id,
            owner,
            purpose,
            length,
            set_count: 0,
            created_height: ctx.height(),
            created_ms: ctx.timestamp_ms(),
            updated_height: ctx.height(),
            updated_ms: ctx.timestamp_ms(),
        };
        ctx.set(&seq_key(&owner), borsh::to_vec(&(seq + 1)).expect("write"));
        ctx.set(&meta_key(&id), borsh::to_vec(&meta).expect("write"));
        ctx.emit(
            "list_created",
            vec![
                ("list".into(), id.to_string()),
                ("owner".into(), owner.to_string()),
                ("purpose".into(), purpose.as_str().into()),
                ("length".into(), length.to_string()),
            ],
        );
        Ok(())
    }

    fn update(
        ctx: &mut TxContext<'_>,
        list: Hash,
        set: Vec<u64>,
        clear: Vec<u64>,
    ) -> Result<(), ModuleError> {
        if set.len() + clear.len() > MAX_UPDATE {
            return Err(ModuleError::InvalidArgs(format!(
                "at most {MAX_UPDATE} indexes per update"
            )));
        }
        let mut meta = read_meta(|k| ctx.get(k), &list)?
            .ok_or_else(|| ModuleError::NotFound(format!("status list {list}")))?;
        if meta.owner != ctx.signer() {
            return Err(ModuleError::Unauthorized(format!(
                "only the owner {} may update status list {list}",
                meta.owner
            )));
        }
        // index -> new value; a conflicting repeat is refused.
        let mut changes: BTreeMap<u64, bool> = BTreeMap::new();
        for (indexes, value) in [(&set, true), (&clear, false)] {
            for &i in indexes {
                if i >= meta.length {
                    return Err(ModuleError::InvalidArgs(format!(
                        "index {i} out of range (list of {} bits)",
                        meta.length
                    )));
                }
                if let Some(prev) = changes.insert(i, value) {
                    if prev != value {
                        return Err(ModuleError::InvalidArgs(format!(
                            "index {i} is both set and cleared"
                        )));
                    }
                }
            }
        }
        let mut chunks: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
        let total = (meta.length / 8) as usize;
        for (&i, &value) in &changes {
            let c = (i / 8 / CHUNK_BYTES as u64) as u32;
            if let std::collections::btree_map::Entry::Vacant(e) = chunks.entry(c) {
                let want = CHUNK_BYTES.min(total - c as usize * CHUNK_BYTES);
                let bytes = match ctx.get(&chunk_key(&list, c))? {
                    Some(b) if b.len() == want => b,
                    Some(_) => {
                        return Err(ModuleError::Storage("corrupt status chunk length".into()))
                    }
                    None => vec![0; want],
                };
                e.insert(bytes);
            }
            let bytes = chunks.get_mut(&c).expect("inserted above");
            let local = (i - c as u64 * CHUNK_BYTES as u64 * 8) as usize;
            let old = bit_at(bytes, local as u64).unwrap_or(false);
            if old == value {
                continue;
            }
            if !value && meta.purpose == StatusPurpose::Revocation {
                return Err(ModuleError::Rejected(format!(
                    "index {i} is revoked; revocation is final"
                )));
            }
            set_bit(bytes, local, value);
            if value {
                meta.set_count += 1;
            } else {
                meta.set_count -= 1;
            }
        }
        for (c, bytes) in chunks {
            ctx.set(&chunk_key(&list, c), bytes);
        }
        meta.updated_height = ctx.height();
        meta.updated_ms = ctx.timestamp_ms();
        ctx.set(&meta_key(&list), borsh::to_vec(&meta).expect("write"));
        ctx.emit(
            "list_updated",
            vec![
                ("list".into(), list.to_string()),
                ("set".into(), set.len().to_string()),
                ("clear".into(), clear.len().to_string()),
            ],
        );
        Ok(())
    }
}

impl Module for StatusRegistry {
    fn name(&self) -> &'static str {
        NAME
    }

    fn execute(
        &self,
        ctx: &mut TxContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<(), ModuleError> {
        let c: StatusCall =
            borsh::from_slice(args).map_err(|e| ModuleError::InvalidArgs(e.to_string()))?;
        if c.method() != method {
            return Err(ModuleError::InvalidArgs(format!(
                "method {method:?} does not match arguments ({})",
                c.method()
            )));
        }
        match c {
            StatusCall::CreateList { purpose, length } => Self::create(ctx, purpose, length),
            StatusCall::Update { list, set, clear } => Self::update(ctx, list, set, clear),
        }
    }

    fn query(
        &self,
        ctx: &ReadContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<Vec<u8>, ModuleError> {
        let q: StatusQuery =
            borsh::from_slice(args).map_err(|e| ModuleError::InvalidArgs(e.to_string()))?;
        if q.method() != method {
            return Err(ModuleError::UnknownMethod(method.to_string()));
        }
        let get = |k: &[u8]| ctx.get(k);
        let out = match q {
            StatusQuery::Meta { list } => borsh::to_vec(&read_meta(get, &list)?),
            StatusQuery::Bit { list, index } => {
                let bit = match read_meta(get, &list)? {
                    None => None,
                    Some(meta) => {
                        if index >= meta.length {
                            return Err(ModuleError::InvalidArgs(format!(
                                "index {index} out of range (list of {} bits)",
                                meta.length
                            )));
                        }
                        let c = (index / 8 / CHUNK_BYTES as u64) as u32;
                        let local = index - c as u64 * CHUNK_BYTES as u64 * 8;
                        Some(match get(&chunk_key(&list, c))? {
                            Some(b) => bit_at(&b, local).unwrap_or(false),
                            None => false,
                        })
                    }
                };
                borsh::to_vec(&bit)
            }
            StatusQuery::Bits { list } => {
                let out = match read_meta(get, &list)? {
                    None => None,
                    Some(meta) => {
                        let bits = read_bits(get, &meta)?;
                        Some((meta, bits))
                    }
                };
                borsh::to_vec(&out)
            }
        };
        Ok(out.expect("write to Vec"))
    }

    fn describe_call(&self, _method: &str, args: &[u8]) -> Option<Value> {
        let c: StatusCall = borsh::from_slice(args).ok()?;
        Some(match c {
            StatusCall::CreateList { purpose, length } => {
                json!({ "CreateList": { "purpose": purpose.as_str(), "length": length } })
            }
            StatusCall::Update { list, set, clear } => {
                json!({ "Update": { "list": list.to_string(), "set": set, "clear": clear } })
            }
        })
    }
}
