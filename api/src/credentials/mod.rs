//! Credential services that sit between the REST handlers and the chain:
//!
//! - [`ledger`] (re-exported here): the verifier's [`ChainLedger`] over module queries, cached,
//!   and the [`CredentialService`] (a field of [`ApiState`]) with the one-time presentation
//!   challenges and wallets' answers, kept in the API store (migration 0008);
//! - [`status`]: Bitstring Status Lists (creation, index allocation, status updates, status
//!   checks for the verifier);
//! - [`evidence`]: the anchoring batcher and evidence checks;
//! - [`OpenedKeys`]: custodied keys opened once for issuance and anchoring.
//!
//! Status and evidence keep their off-chain bookkeeping in the API store (`status_lists`, `status_entries`,
//! `evidence_pending`, `evidence_proofs`; migration 0007) and sign with the tenant's custodied
//! keys.

pub mod evidence;
pub mod ledger;
pub mod status;

pub use ledger::*;

use weft_chain::{Address, Keypair};

use crate::problem::ApiError;
use crate::rest::ApiState;

/// The tenant's custodied key whose address is `address` (its `key_id` and the opened key).
pub(crate) async fn tenant_key_for_address(
    state: &ApiState,
    tenant: &str,
    address: &Address,
) -> Result<Option<(String, Keypair)>, ApiError> {
    let wanted = address.to_string();
    for sealed in state.store.list_keys(tenant).await? {
        if sealed.address.eq_ignore_ascii_case(&wanted) {
            let key = state.keystore.open(&sealed).map_err(ApiError::internal)?;
            return Ok(Some((sealed.key_id, key)));
        }
    }
    Ok(None)
}

/// Most keys [`OpenedKeys`] holds before it starts over.
const OPENED_KEYS_MAX: usize = 1024;

/// Custodied keys already opened for issuance, per (tenant, key id), so an issuance neither
/// reads the store nor decrypts the key again. Custodied keys are never changed or deleted once
/// stored, so an entry cannot go stale. The secrets live only in memory and are zeroized when the
/// last holder drops them ([`Keypair`] zeroizes on drop).
#[derive(Default)]
pub struct OpenedKeys {
    keys: parking_lot::Mutex<std::collections::HashMap<(String, String), std::sync::Arc<Keypair>>>,
}

impl std::fmt::Debug for OpenedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedKeys").finish_non_exhaustive()
    }
}

impl OpenedKeys {
    /// The tenant's key `key_id`, opened (404 if the tenant has none).
    pub(crate) async fn get(
        &self,
        state: &ApiState,
        tenant: &str,
        key_id: &str,
    ) -> Result<std::sync::Arc<Keypair>, ApiError> {
        let id = (tenant.to_string(), key_id.to_string());
        if let Some(key) = self.keys.lock().get(&id) {
            return Ok(key.clone());
        }
        let key = std::sync::Arc::new(tenant_key(state, tenant, key_id).await?);
        let mut keys = self.keys.lock();
        if keys.len() >= OPENED_KEYS_MAX {
            keys.clear();
        }
        keys.insert(id, key.clone());
        Ok(key)
    }
}

/// The tenant's key by id (404 if it has none).
pub(crate) async fn tenant_key(
    state: &ApiState,
    tenant: &str,
    key_id: &str,
) -> Result<Keypair, ApiError> {
    let sealed = state
        .store
        .key(tenant, key_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no key {key_id:?} for this tenant")))?;
    state.keystore.open(&sealed).map_err(ApiError::internal)
}

/// Maps a failed module call to a problem (as the DID endpoints do).
pub(crate) fn settled(
    outcome: crate::chain_client::TxOutcome,
) -> Result<crate::chain_client::TxOutcome, ApiError> {
    let Some(error) = outcome
        .error
        .clone()
        .filter(|_| outcome.status != "success")
    else {
        return Ok(outcome);
    };
    let detail = format!("transaction {} failed: {error}", outcome.tx_hash);
    Err(if error.starts_with("unauthorized") {
        ApiError::Forbidden(detail)
    } else if error.starts_with("not found") {
        ApiError::NotFound(detail)
    } else if error.starts_with("invalid arguments") || error.starts_with("unknown method") {
        ApiError::InvalidRequest(detail)
    } else if error.starts_with("state unavailable") {
        ApiError::internal(detail)
    } else {
        ApiError::Conflict(detail)
    })
}

/// An event attribute of a committed transaction's receipt.
pub(crate) fn receipt_attribute(
    state: &ApiState,
    tx_hash: &str,
    name: &str,
) -> Result<String, ApiError> {
    let hash = tx_hash.parse().map_err(ApiError::internal)?;
    let receipt = state
        .node
        .receipt(&hash)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal("receipt vanished"))?;
    receipt
        .events
        .into_iter()
        .flat_map(|e| e.attributes)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .ok_or_else(|| ApiError::internal(format!("receipt without {name}")))
}

/// A borsh module query at the head.
pub(crate) fn query<T: borsh::BorshDeserialize>(
    state: &ApiState,
    module: &str,
    (method, args): (&str, Vec<u8>),
) -> Result<T, ApiError> {
    let bytes = state
        .node
        .call(module, method, &args, None)
        .map_err(ApiError::internal)?;
    borsh::from_slice(&bytes).map_err(ApiError::internal)
}
