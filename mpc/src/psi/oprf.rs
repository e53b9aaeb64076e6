//! The Diffie–Hellman OPRF `F_k(x) = k·H(x)` and the two modes built on it.
//!
//! - **Unbalanced PSI** ([`UnbalancedServer`], [`UnbalancedClient`]): the large server
//!   preprocesses its set once into a [`CompactFilter`] of truncated tags of `F_k(y)` and sends
//!   it once; each later query costs the server one scalar multiplication per *client* item.
//!   The client blinds `r·H(x)`, the server answers `k·r·H(x)`, the client unblinds with `r⁻¹`
//!   and looks the tag up in the filter. The server sees only uniformly random points.
//! - **Keyword lookup** ([`KeywordTable`]): the server encrypts every payload under a key derived
//!   from `F_k(keyword)` and sends the whole table; the client evaluates the OPRF on its one
//!   key, derives the row id and key, and decrypts that row. The server learns nothing of the
//!   key: there are no buckets and no prefix of it is ever sent.
//!
//! The OPRF key `k` is long-lived (it is what makes preprocessing reusable), so the filter and
//! table are bound to a 32-byte context id (the filter/table id) and the key must be rotated
//! with a new id when the server's set changes. Security rests on one-more-DH: a client learns
//! `F_k` only on points it queried, one per item.

use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;
use ring::aead;

use super::error::PsiError;
use super::group::{self, BlindingKey, CompressedRistretto, POINT_LEN};
use super::transcript;

/// The server's long-lived OPRF key, bound to a context id. Zeroized on drop.
#[derive(Debug)]
pub struct OprfServer {
    key: BlindingKey,
    context: [u8; 32],
}

impl OprfServer {
    /// A fresh key for `context`.
    pub fn new_with_rng(context: [u8; 32], rng: &mut (impl RngCore + CryptoRng)) -> OprfServer {
        OprfServer {
            key: BlindingKey::random_with_rng(rng),
            context,
        }
    }

    /// The context id.
    pub fn context(&self) -> &[u8; 32] {
        &self.context
    }

    /// Answers blinded queries: `k·P` for each (strictly decoded) point. At most `limit` points.
    pub fn evaluate(
        &self,
        blinded: &[[u8; POINT_LEN]],
        limit: usize,
    ) -> Result<Vec<[u8; POINT_LEN]>, PsiError> {
        if blinded.len() > limit {
            return Err(PsiError::TooManyItems {
                found: blinded.len() as u64,
                limit: limit as u64,
            });
        }
        Ok(self
            .key
            .decode_and_blind(0, blinded)?
            .into_iter()
            .map(|c| c.0)
            .collect())
    }

    /// `F_k(x)` evaluated directly by the key holder (preprocessing).
    fn outputs<T: AsRef<[u8]> + Sync>(&self, items: &[T]) -> Vec<CompressedRistretto> {
        self.key
            .hash_and_blind(transcript::OPRF_HASH_TO_GROUP, &self.context, items)
    }
}

/// A client's blinded query: the points to send and the secret unblinding scalars.
pub struct BlindedQuery {
    unblind: Vec<BlindingKey>,
    context: [u8; 32],
    /// The blinded points to send to the server.
    pub points: Vec<[u8; POINT_LEN]>,
}

impl std::fmt::Debug for BlindedQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BlindedQuery({} points)", self.points.len())
    }
}

impl BlindedQuery {
    /// Blinds each item with its own fresh scalar `r`.
    pub fn new_with_rng<T: AsRef<[u8]> + Sync>(
        context: [u8; 32],
        items: &[T],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> BlindedQuery {
        let keys: Vec<BlindingKey> = items
            .iter()
            .map(|_| BlindingKey::random_with_rng(rng))
            .collect();
        let points = items
            .par_iter()
            .zip(keys.par_iter())
            .map(|(x, r)| {
                let h = group::hash_to_group(transcript::OPRF_HASH_TO_GROUP, &context, x.as_ref());
                r.blind(&[h])[0].0
            })
            .collect();
        let unblind = keys.par_iter().map(BlindingKey::inverse).collect();
        BlindedQuery {
            unblind,
            context,
            points,
        }
    }

    /// Unblinds the server's answers into `F_k(x)` for each queried item, in order.
    fn finalize(self, answers: &[[u8; POINT_LEN]]) -> Result<Vec<CompressedRistretto>, PsiError> {
        if answers.len() != self.unblind.len() {
            return Err(PsiError::Incomplete {
                found: answers.len() as u64,
                expected: self.unblind.len() as u64,
            });
        }
        let points = group::decode_points(0, answers)?;
        Ok(points
            .par_iter()
            .zip(self.unblind.par_iter())
            .map(|(p, r)| r.blind(std::slice::from_ref(p))[0])
            .collect())
    }
}

// ---------------------------------------------------------------- unbalanced PSI

/// A sorted list of fixed-length tags of `F_k(y)`: compact (8–16 bytes per server item) and
/// reusable across queries.
#[derive(Clone, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct CompactFilter {
    /// Context id the filter is bound to.
    pub context: [u8; 32],
    /// Tag length in bytes.
    pub tag_len: u8,
    /// Sorted concatenated tags.
    pub tags: Vec<u8>,
}

impl std::fmt::Debug for CompactFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CompactFilter({} tags of {} bytes)",
            self.len(),
            self.tag_len
        )
    }
}

impl CompactFilter {
    /// Number of tags.
    pub fn len(&self) -> usize {
        self.tags.len() / (self.tag_len.max(1) as usize)
    }

    /// Whether the filter is empty.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// Checks the encoding (tag length, whole tags, sorted).
    pub fn validate(&self) -> Result<(), PsiError> {
        let l = self.tag_len as usize;
        if !(8..=16).contains(&l) || self.tags.len() % l != 0 {
            return Err(PsiError::Malformed(
                "filter tags do not fit its tag length".into(),
            ));
        }
        if !self
            .tags
            .chunks_exact(l)
            .zip(self.tags.chunks_exact(l).skip(1))
            .all(|(a, b)| a <= b)
        {
            return Err(PsiError::Malformed("filter tags are not sorted".into()));
        }
        Ok(())
    }

    fn contains(&self, tag: u128) -> bool {
        let l = self.tag_len as usize;
        let needle = &tag.to_be_bytes()[..l];
        let (mut lo, mut hi) = (0usize, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.tags[mid * l..(mid + 1) * l].cmp(needle) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }
}

/// The large side of unbalanced PSI: an OPRF key and its preprocessed filter.
#[derive(Debug)]
pub struct UnbalancedServer {
    oprf: OprfServer,
    filter: CompactFilter,
}

impl UnbalancedServer {
    /// Preprocesses `set` once. `max_client_items` bounds the total client items the filter
    /// will be queried with over its lifetime; the tag length keeps expected false matches
    /// over all of them below `2^-40`.
    pub fn preprocess_with_rng(
        context: [u8; 32],
        set: &super::InputSet,
        max_client_items: u64,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> UnbalancedServer {
        let oprf = OprfServer::new_with_rng(context, rng);
        let tag_len = group::tag_len(set.len(), max_client_items);
        let items: Vec<&[u8]> = set.iter().collect();
        let mut tags: Vec<u128> = oprf
            .outputs(&items)
            .par_iter()
            .map(|p| group::tag(transcript::OPRF_TAG, &context, p, tag_len))
            .collect();
        tags.par_sort_unstable();
        let mut bytes = Vec::with_capacity(tags.len() * tag_len);
        for t in tags {
            group::push_tag(&mut bytes, t, tag_len);
        }
        UnbalancedServer {
            oprf,
            filter: CompactFilter {
                context,
                tag_len: tag_len as u8,
                tags: bytes,
            },
        }
    }

    /// The filter to send (once) to clients.
    pub fn filter(&self) -> &CompactFilter {
        &self.filter
    }

    /// Answers one client query of at most `limit` points.
    pub fn answer(
        &self,
        blinded: &[[u8; POINT_LEN]],
        limit: usize,
    ) -> Result<Vec<[u8; POINT_LEN]>, PsiError> {
        self.oprf.evaluate(blinded, limit)
    }
}

/// The small side of unbalanced PSI.
#[derive(Debug)]
pub struct UnbalancedClient {
    items: Vec<Vec<u8>>,
    query: BlindedQuery,
}

impl UnbalancedClient {
    /// Blinds the client's (deduplicated) set for the filter's context.
    pub fn query_with_rng(
        filter: &CompactFilter,
        set: super::InputSet,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<UnbalancedClient, PsiError> {
        filter.validate()?;
        let items = set.to_vec();
        let query = BlindedQuery::new_with_rng(filter.context, &items, rng);
        Ok(UnbalancedClient { items, query })
    }

    /// The points to send.
    pub fn points(&self) -> &[[u8; POINT_LEN]] {
        &self.query.points
    }

    /// The intersection, from the server's answers and the filter.
    pub fn finish(
        self,
        filter: &CompactFilter,
        answers: &[[u8; POINT_LEN]],
    ) -> Result<Vec<Vec<u8>>, PsiError> {
        filter.validate()?;
        if filter.context != self.query.context {
            return Err(PsiError::InvalidParams(
                "filter is for another context".into(),
            ));
        }
        let outputs = self.query.finalize(answers)?;
        let l = filter.tag_len as usize;
        let ctx = filter.context;
        let hits: Vec<bool> = outputs
            .par_iter()
            .map(|p| filter.contains(group::tag(transcript::OPRF_TAG, &ctx, p, l)))
            .collect();
        Ok(self
            .items
            .into_iter()
            .zip(hits)
            .filter_map(|(x, hit)| hit.then_some(x))
            .collect())
    }
}

// ---------------------------------------------------------------- keyword lookup

/// One encrypted row: its id and its AES-256-GCM ciphertext (tag appended).
#[derive(Clone, Debug, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct EncryptedRow {
    /// Row id: 16 bytes of a hash of `F_k(keyword)`.
    pub id: [u8; 16],
    /// Ciphertext of the payload.
    pub ciphertext: Vec<u8>,
}

/// The whole encrypted table, sorted by row id, sent to the client.
#[derive(Clone, Debug, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct KeywordTable {
    /// Context id.
    pub context: [u8; 32],
    /// Rows sorted by id.
    pub rows: Vec<EncryptedRow>,
}

fn row_secrets(
    context: &[u8; 32],
    output: &CompressedRistretto,
) -> ([u8; 16], zeroize::Zeroizing<[u8; 32]>) {
    let id_hash = transcript::hash_parts(transcript::KEYWORD_ID, &[context, output.as_bytes()]);
    let mut id = [0u8; 16];
    id.copy_from_slice(&id_hash[..16]);
    let key = zeroize::Zeroizing::new(transcript::hash_parts(
        transcript::KEYWORD_KEY,
        &[context, output.as_bytes()],
    ));
    (id, key)
}

fn aead_key(key: &[u8; 32]) -> aead::LessSafeKey {
    aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_256_GCM, key).expect("32-byte key"))
}

impl KeywordTable {
    /// Encrypts every `(keyword, payload)` row under its OPRF-derived key. Each key encrypts one
    /// message only, so the fixed nonce is never reused under a key.
    pub fn build(
        server: &OprfServer,
        rows: &[(Vec<u8>, Vec<u8>)],
    ) -> Result<KeywordTable, PsiError> {
        let keys: Vec<&[u8]> = rows.iter().map(|(k, _)| k.as_slice()).collect();
        let outputs = server.outputs(&keys);
        let mut enc: Vec<EncryptedRow> = rows
            .par_iter()
            .zip(outputs.par_iter())
            .map(|((_, payload), out)| {
                let (id, key) = row_secrets(&server.context, out);
                let mut buf = payload.clone();
                aead_key(&key)
                    .seal_in_place_append_tag(
                        aead::Nonce::assume_unique_for_key([0; 12]),
                        aead::Aad::from(&id),
                        &mut buf,
                    )
                    .expect("AES-GCM seal of an in-memory buffer");
                EncryptedRow {
                    id,
                    ciphertext: buf,
                }
            })
            .collect();
        enc.par_sort_unstable_by(|a, b| a.id.cmp(&b.id));
        if enc.windows(2).any(|w| w[0].id == w[1].id) {
            return Err(PsiError::DuplicateKey);
        }
        Ok(KeywordTable {
            context: server.context,
            rows: enc,
        })
    }

    /// Starts a lookup of `keyword`: the point to send to the server.
    pub fn query_with_rng(
        &self,
        keyword: &[u8],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> BlindedQuery {
        BlindedQuery::new_with_rng(self.context, &[keyword], rng)
    }

    /// Finishes a lookup with the server's answer: the payload, or `None` if the key is absent.
    pub fn lookup(
        &self,
        query: BlindedQuery,
        answer: &[[u8; POINT_LEN]],
    ) -> Result<Option<Vec<u8>>, PsiError> {
        if query.context != self.context {
            return Err(PsiError::InvalidParams("query is for another table".into()));
        }
        let outputs = query.finalize(answer)?;
        let Some(out) = outputs.first() else {
            return Ok(None);
        };
        let (id, key) = row_secrets(&self.context, out);
        let Ok(i) = self.rows.binary_search_by(|r| r.id.cmp(&id)) else {
            return Ok(None);
        };
        let mut buf = self.rows[i].ciphertext.clone();
        let plain = aead_key(&key)
            .open_in_place(
                aead::Nonce::assume_unique_for_key([0; 12]),
                aead::Aad::from(&id),
                &mut buf,
            )
            .map_err(|_| PsiError::Decrypt)?;
        Ok(Some(plain.to_vec()))
    }
}
