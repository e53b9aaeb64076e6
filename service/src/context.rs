//! [`Context`]: everything a platform node's services share — the node, the off-chain store,
//! the keystore, the chain client and the credential services. No HTTP: the REST layer wraps
//! it (with its rate limiters and metrics) and the CLI builds one directly.

use std::sync::Arc;
use std::time::Duration;

use weft_chain::{Address, Keypair, Node};

use crate::chain_client::ChainClient;
use crate::credentials::evidence::EvidenceBatcher;
use crate::credentials::status::StatusRecorder;
use crate::credentials::{CredentialService, OpenedKeys};
use crate::error::ServiceError;
use crate::keystore::Keystore;
use crate::store::Store;

/// The shared state of a platform node's services.
#[derive(Debug)]
pub struct Context {
    /// The node.
    pub node: Arc<Node>,
    /// The off-chain store.
    pub store: Store,
    /// Custodied keys.
    pub keystore: Keystore,
    /// Submission and receipt waiting.
    pub chain: ChainClient,
    /// The credential verifier: cached ledger, presentation challenges and wallets' answers.
    pub credentials: Arc<CredentialService>,
    /// The evidence anchoring batcher.
    pub evidence: EvidenceBatcher,
    /// Group commit of issued credentials' status entries.
    pub status_recorder: StatusRecorder,
    /// Custodied keys opened for issuance.
    pub opened_keys: OpenedKeys,
    /// The URL others reach this node at, without a trailing `/` (status-list URLs in
    /// credentials, the organisation DID's `WeftNode` endpoint). Default: `WEFT_PUBLIC_URL`,
    /// else `http://localhost:8080`; `weft up`/`weft node` set it from `--public-url`.
    pub public_url: String,
}

impl Context {
    /// The services of `node` over `store` and `keystore`; transactions wait at most
    /// `receipt_timeout` for their receipt.
    pub fn new(
        node: Arc<Node>,
        store: Store,
        keystore: Keystore,
        receipt_timeout: Duration,
    ) -> Context {
        Context {
            chain: ChainClient::new(node.clone(), receipt_timeout),
            credentials: Arc::new(CredentialService::new(node.clone(), store.clone())),
            node,
            store,
            keystore,
            evidence: EvidenceBatcher::new(Default::default()),
            status_recorder: Default::default(),
            opened_keys: Default::default(),
            public_url: crate::credentials::status::public_base(),
        }
    }

    /// The same context with another public URL (a trailing `/` is dropped).
    pub fn with_public_url(mut self, url: &str) -> Context {
        self.public_url = url.trim_end_matches('/').to_string();
        self
    }

    /// The tenant's custodied key `key_id`, opened (`not_found` if the tenant has none).
    ///
    /// **Authorisation:** the tenant is the caller's own (from its token); a key id is never
    /// looked up across tenants.
    pub async fn tenant_key(&self, tenant: &str, key_id: &str) -> Result<Keypair, ServiceError> {
        crate::auth::validate_id("key_id", key_id)?;
        let sealed =
            self.store.key(tenant, key_id).await?.ok_or_else(|| {
                ServiceError::NotFound(format!("no key {key_id:?} for this tenant"))
            })?;
        self.keystore.open(&sealed).map_err(ServiceError::internal)
    }

    /// The caller's custodied key `key_id`, opened: [`Context::tenant_key`] of the caller's own
    /// tenant, after [`crate::auth::Principal::may_use_key`] (the operator key is admin-only).
    pub async fn principal_key(
        &self,
        principal: &crate::auth::Principal,
        key_id: &str,
    ) -> Result<Keypair, ServiceError> {
        principal.may_use_key(key_id)?;
        self.tenant_key(&principal.tenant, key_id).await
    }

    /// The tenant's custodied key whose address is `address` (its id and the opened key).
    pub async fn tenant_key_for_address(
        &self,
        tenant: &str,
        address: &Address,
    ) -> Result<Option<(String, Keypair)>, ServiceError> {
        let wanted = address.to_string();
        for sealed in self.store.list_keys(tenant).await? {
            if sealed.address.eq_ignore_ascii_case(&wanted) {
                let key = self
                    .keystore
                    .open(&sealed)
                    .map_err(ServiceError::internal)?;
                return Ok(Some((sealed.key_id, key)));
            }
        }
        Ok(None)
    }
}
