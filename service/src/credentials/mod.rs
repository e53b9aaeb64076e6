//! Credential services that sit between the REST handlers and the chain:
//!
//! - [`ledger`] (re-exported here): the verifier's [`ChainLedger`] over module queries, cached,
//!   and the [`CredentialService`] (a field of [`Context`]) with the one-time presentation
//!   challenges and wallets' answers, kept in the API store (migration 0008);
//! - [`issue`]: the VC API issue and verify requests (`IssueCredentialRequest`,
//!   `VerifyCredentialRequest`): whose custodied key signs, CPT lookup, status allocation,
//!   evidence; verification options and the verifier run off the async workers;
//! - [`status`]: Bitstring Status Lists (creation, index allocation, status updates, status
//!   checks for the verifier);
//! - [`evidence`]: the anchoring batcher and evidence checks;
//! - [`OpenedKeys`]: custodied keys opened once for issuance and anchoring.
//!
//! Status and evidence keep their off-chain bookkeeping in the API store (`status_lists`, `status_entries`,
//! `evidence_pending`, `evidence_proofs`; migration 0007) and sign with the tenant's custodied
//! keys.

pub mod evidence;
pub mod issue;
pub mod ledger;
pub mod status;

pub use ledger::*;

use weft_chain::Keypair;

use crate::error::ServiceError;
use crate::Context;

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
    pub async fn get(
        &self,
        state: &Context,
        tenant: &str,
        key_id: &str,
    ) -> Result<std::sync::Arc<Keypair>, ServiceError> {
        let id = (tenant.to_string(), key_id.to_string());
        if let Some(key) = self.keys.lock().get(&id) {
            return Ok(key.clone());
        }
        let key = std::sync::Arc::new(state.tenant_key(tenant, key_id).await?);
        let mut keys = self.keys.lock();
        if keys.len() >= OPENED_KEYS_MAX {
            keys.clear();
        }
        keys.insert(id, key.clone());
        Ok(key)
    }
}

/// An event attribute of a committed transaction's receipt.
pub(crate) fn receipt_attribute(
    state: &Context,
    tx_hash: &str,
    name: &str,
) -> Result<String, ServiceError> {
    let hash = tx_hash.parse().map_err(ServiceError::internal)?;
    let receipt = state
        .node
        .receipt(&hash)
        .map_err(ServiceError::internal)?
        .ok_or_else(|| ServiceError::internal("receipt vanished"))?;
    receipt
        .events
        .into_iter()
        .flat_map(|e| e.attributes)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .ok_or_else(|| ServiceError::internal(format!("receipt without {name}")))
}

/// A borsh module query at the head.
pub(crate) fn query<T: borsh::BorshDeserialize>(
    state: &Context,
    module: &str,
    (method, args): (&str, Vec<u8>),
) -> Result<T, ServiceError> {
    let bytes = state
        .node
        .call(module, method, &args, None)
        .map_err(ServiceError::internal)?;
    borsh::from_slice(&bytes).map_err(ServiceError::internal)
}
