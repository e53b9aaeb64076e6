//! The credential verifier's view of the chain: [`ChainLedger`] implements
//! [`CredentialLedger`] over module queries of the local node, and [`CredentialService`] holds it
//! behind a [`CachedLedger`] together with the server-issued presentation challenges.
//!
//! - DID keys at a time: the `did` module's `resolve` by time (version index) and by version.
//! - Issuer standing at issuance time: the `issuer` module queried *at the block height in force
//!   at that time* (the chain keeps versioned state; the height is found by binary search over
//!   block timestamps), so recognition granted or revoked later does not change the answer.
//! - CPTs: the `cpt` module by id and version (compiled once, cached forever).
//! - Status: the `status` module's bits of the list named by the entry (lists of this chain);
//!   with `statusProof`, the same bit through a state proof verified against the block's commit
//!   certificate and the validator set that committed it ([`super::status::status_proven_on`]).
//! - Evidence: the inclusion proof is in this server's store, so the verify handler looks it up
//!   (async) and passes the outcome in through [`WithEvidence`].
//!
//! One [`CredentialService`] is built with the [`crate::Context`] (its `credentials`
//! field), so every actix worker shares the cache; challenges and answers are rows of the API
//! store (migration 0008), consumed atomically there, so they survive a restart.

use std::sync::Arc;
use std::time::Duration;

use rand::rngs::OsRng;
use rand::RngCore;
use serde_json::Value;
use weft_chain::{Address, Node};
use weft_did::cpt::{self, Cpt, CptQuery};
use weft_did::credential::vc::{CptRef, CptSchema};
use weft_did::credential::verify::{
    CachedLedger, CredentialLedger, DidVersion, EvidenceOutcome, LedgerError, ProvenStatus,
    StatusOutcome,
};
use weft_did::issuer::{self, IssuerInfo, IssuerQuery};
use weft_did::registry::{self, DidQuery, Resolution, Selector};

use crate::store::{now_ms, Store, StoreError};

/// How long a server-issued challenge stays usable.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(300);
/// Most outstanding challenges, and most kept answers (expired ones are purged first; then
/// refused with 503).
pub const MAX_CHALLENGES: usize = 100_000;

/// [`CredentialLedger`] over the local node's module queries.
#[derive(Debug, Clone)]
pub struct ChainLedger {
    node: Arc<Node>,
}

impl ChainLedger {
    /// A ledger reading `node`.
    pub fn new(node: Arc<Node>) -> Self {
        ChainLedger { node }
    }

    fn query<T: borsh::BorshDeserialize>(
        &self,
        module: &str,
        (method, args): (&str, Vec<u8>),
        height: Option<u64>,
    ) -> Result<T, LedgerError> {
        let bytes = self
            .node
            .call(module, method, &args, height)
            .map_err(|e| LedgerError::Unavailable(e.to_string()))?;
        borsh::from_slice(&bytes).map_err(|e| LedgerError::Unavailable(e.to_string()))
    }

    fn timestamp(&self, height: u64) -> Result<u64, LedgerError> {
        self.node
            .block_by_number(height)
            .map_err(|e| LedgerError::Unavailable(e.to_string()))?
            .map(|b| b.header.timestamp_ms)
            .ok_or_else(|| LedgerError::Unavailable(format!("no block {height}")))
    }

    /// The last height whose block timestamp is `<= at_ms` (`None`: before the chain began).
    pub fn height_at(&self, at_ms: u64) -> Result<Option<u64>, LedgerError> {
        let head = self.node.height();
        if self.timestamp(head)? <= at_ms {
            return Ok(Some(head));
        }
        if self.timestamp(0)? > at_ms {
            return Ok(None);
        }
        // Invariant: ts(lo) <= at_ms < ts(hi).
        let (mut lo, mut hi) = (0u64, head);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.timestamp(mid)? <= at_ms {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(Some(lo))
    }

    fn resolve(
        &self,
        did: &Address,
        selector: Selector,
    ) -> Result<Option<Resolution>, LedgerError> {
        self.query(
            registry::NAME,
            DidQuery::Resolve {
                did: *did,
                selector,
            }
            .args(),
            None,
        )
    }
}

impl CredentialLedger for ChainLedger {
    fn height(&self) -> u64 {
        self.node.height()
    }

    fn chain_id(&self) -> &str {
        self.node.chain_id()
    }

    fn did_version_at(&self, did: &Address, at_ms: u64) -> Result<Option<u32>, LedgerError> {
        Ok(self.resolve(did, Selector::Time(at_ms))?.map(|r| r.version))
    }

    fn did_version(
        &self,
        did: &Address,
        version: u32,
    ) -> Result<Option<Arc<DidVersion>>, LedgerError> {
        Ok(self.resolve(did, Selector::Version(version))?.map(|r| {
            Arc::new(DidVersion {
                state: r.record.state,
                deactivated: r.record.deactivated,
            })
        }))
    }

    fn is_authority_issuer(&self, issuer: &Address, at_ms: u64) -> Result<bool, LedgerError> {
        let Some(height) = self.height_at(at_ms)? else {
            return Ok(false);
        };
        let info: Option<IssuerInfo> = self.query(
            issuer::NAME,
            IssuerQuery::Issuer { account: *issuer }.args(),
            Some(height),
        )?;
        Ok(info.is_some_and(|i| i.recognised))
    }

    fn is_type_member(
        &self,
        type_name: &str,
        issuer: &Address,
        at_ms: u64,
    ) -> Result<bool, LedgerError> {
        let Some(height) = self.height_at(at_ms)? else {
            return Ok(false);
        };
        self.query(
            issuer::NAME,
            IssuerQuery::IsMember {
                type_name: type_name.to_string(),
                account: *issuer,
            }
            .args(),
            Some(height),
        )
    }

    fn cpt(&self, r: CptRef) -> Result<Option<Arc<CptSchema>>, LedgerError> {
        let c: Option<Cpt> = self.query(
            cpt::NAME,
            CptQuery::Get {
                id: r.id,
                version: Some(r.version),
            }
            .args(),
            None,
        )?;
        let Some(c) = c else { return Ok(None) };
        let schema: Value = serde_json::from_str(&c.schema)
            .map_err(|e| LedgerError::Unavailable(format!("stored CPT schema: {e}")))?;
        Ok(Some(Arc::new(CptSchema::new(r, c.digest.0, schema))))
    }

    fn status(&self, entry: &Value) -> Result<StatusOutcome, LedgerError> {
        use super::status::StatusCheckError as E;
        match super::status::status_check_on(&self.node, entry) {
            Ok((outcome, _owner)) => Ok(outcome),
            Err(E::Unavailable(e)) => Err(LedgerError::Unavailable(e)),
            Err(e) => Err(LedgerError::Invalid(e.to_string())),
        }
    }

    fn status_proven(&self, entry: &Value) -> Result<ProvenStatus, LedgerError> {
        use super::status::StatusCheckError as E;
        match super::status::status_proven_on(&self.node, entry) {
            Ok(p) => Ok(p),
            Err(E::Unavailable(e)) => Err(LedgerError::Unavailable(e)),
            Err(E::Proof(e)) => Err(LedgerError::ProofRefused(e.to_string())),
            Err(e) => Err(LedgerError::Invalid(e.to_string())),
        }
    }

    /// Inclusion proofs live in this server's store (async), not on chain: the verify handler
    /// looks the hash up first and answers through [`WithEvidence`]; asked directly, the chain
    /// alone cannot say.
    fn evidence(&self, _hash: &[u8; 32]) -> Result<EvidenceOutcome, LedgerError> {
        Err(LedgerError::NotConfigured("evidence anchoring"))
    }
}

/// A ledger whose evidence answer was looked up beforehand (the stored inclusion proof checked
/// against the batch root on chain, see [`super::evidence::hash_outcome`]); everything else is
/// the inner ledger's.
#[derive(Debug)]
pub struct WithEvidence<'a, L> {
    /// The ledger answering everything but evidence.
    pub inner: &'a L,
    /// The evidence outcome of the credential being verified (`None`: not looked up).
    pub evidence: Option<EvidenceOutcome>,
}

impl<L: CredentialLedger> CredentialLedger for WithEvidence<'_, L> {
    fn height(&self) -> u64 {
        self.inner.height()
    }
    fn chain_id(&self) -> &str {
        self.inner.chain_id()
    }
    fn did_version_at(&self, did: &Address, at_ms: u64) -> Result<Option<u32>, LedgerError> {
        self.inner.did_version_at(did, at_ms)
    }
    fn did_version(
        &self,
        did: &Address,
        version: u32,
    ) -> Result<Option<Arc<DidVersion>>, LedgerError> {
        self.inner.did_version(did, version)
    }
    fn is_authority_issuer(&self, issuer: &Address, at_ms: u64) -> Result<bool, LedgerError> {
        self.inner.is_authority_issuer(issuer, at_ms)
    }
    fn is_type_member(
        &self,
        type_name: &str,
        issuer: &Address,
        at_ms: u64,
    ) -> Result<bool, LedgerError> {
        self.inner.is_type_member(type_name, issuer, at_ms)
    }
    fn cpt(&self, cpt: CptRef) -> Result<Option<Arc<CptSchema>>, LedgerError> {
        self.inner.cpt(cpt)
    }
    fn status(&self, entry: &Value) -> Result<StatusOutcome, LedgerError> {
        self.inner.status(entry)
    }
    fn status_proven(&self, entry: &Value) -> Result<ProvenStatus, LedgerError> {
        self.inner.status_proven(entry)
    }
    fn evidence(&self, hash: &[u8; 32]) -> Result<EvidenceOutcome, LedgerError> {
        match self.evidence {
            Some(outcome) => Ok(outcome),
            None => self.inner.evidence(hash),
        }
    }
}

pub use crate::store::ChallengeUse;

/// The credential verifier of one API state: the cached ledger, and the one-time presentation
/// challenges and wallets' answers, kept in the API store (so they survive a restart).
pub struct CredentialService {
    /// The cached ledger.
    pub ledger: CachedLedger<ChainLedger>,
    store: Store,
}

impl std::fmt::Debug for CredentialService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialService")
            .field("ledger", &self.ledger)
            .finish_non_exhaustive()
    }
}

fn ttl_ms() -> i64 {
    i64::try_from(CHALLENGE_TTL.as_millis()).unwrap_or(i64::MAX)
}

impl CredentialService {
    /// A service over `node`, keeping its one-time records in `store`.
    pub fn new(node: Arc<Node>, store: Store) -> Self {
        CredentialService {
            ledger: CachedLedger::new(ChainLedger::new(node)),
            store,
        }
    }

    /// Keeps a wallet's answer to the request with `challenge` for [`CHALLENGE_TTL`], for the
    /// verifier page to collect. `false` when the store holds [`MAX_CHALLENGES`] answers.
    pub async fn record_answer(&self, challenge: &str, answer: &Value) -> Result<bool, StoreError> {
        let now = now_ms();
        self.store
            .put_answer(
                challenge,
                &answer.to_string(),
                now.saturating_add(ttl_ms()),
                MAX_CHALLENGES,
                now,
            )
            .await
    }

    /// The answer recorded for `challenge`, if any (and not expired).
    pub async fn answer(&self, challenge: &str) -> Result<Option<Value>, StoreError> {
        Ok(self
            .store
            .answer(challenge, now_ms())
            .await?
            .and_then(|text| serde_json::from_str(&text).ok()))
    }

    /// Issues a fresh one-time challenge (128 random bits, hex) and its lifetime; `None` when
    /// [`MAX_CHALLENGES`] are outstanding.
    pub async fn new_challenge(&self) -> Result<Option<(String, Duration)>, StoreError> {
        let mut bytes = [0u8; 16];
        OsRng.fill_bytes(&mut bytes);
        let challenge = hex::encode(bytes);
        let now = now_ms();
        let stored = self
            .store
            .insert_challenge(
                &challenge,
                now.saturating_add(ttl_ms()),
                MAX_CHALLENGES,
                now,
            )
            .await?;
        Ok(stored.then_some((challenge, CHALLENGE_TTL)))
    }

    /// Consumes `challenge` (whatever the presentation's outcome, so it can be tried once).
    pub async fn use_challenge(&self, challenge: &str) -> Result<ChallengeUse, StoreError> {
        self.store.use_challenge(challenge, now_ms()).await
    }
}
