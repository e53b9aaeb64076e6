//! The organisation a node serves, and how organisations find each other on one chain.
//!
//! An organisation's identity is the `did:weft` of its operator account (the operator tenant's
//! custodied key `admin`). Its document carries one service of type [`NODE_SERVICE_TYPE`]
//! whose endpoint is the node's public URL: partners choose each other by DID and take the
//! endpoint from the chain, so nobody types a URL and a DNS or config mistake cannot silently
//! redirect a session (the endpoint is only as trusted as the DID's controller, and every peer
//! message is still authenticated against the DID's keys).
//!
//! [`ensure_org_did`] runs at node start: it creates the DID, or updates the service if the
//! public URL changed, and does nothing when the chain already says the right thing.

use weft_chain::{Address, Keypair};
use weft_did::document::{Service, UpdateOp};
use weft_did::registry::{self, DidCall, DidQuery, Resolution, Selector};
use weft_did::Did;

use crate::auth::OPERATOR_TENANT;
use crate::error::ServiceError;
use crate::platform::OPERATOR_KEY_ID;
use crate::Context;

/// Service type of a Weft node endpoint in a DID document.
pub const NODE_SERVICE_TYPE: &str = "WeftNode";
/// Service id (fragment) used for it.
pub const NODE_SERVICE_ID: &str = "weft-node";

/// What [`ensure_org_did`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgDidChange {
    /// The chain already held the DID with this endpoint.
    Unchanged,
    /// The DID was created.
    Created,
    /// The endpoint was replaced.
    EndpointUpdated,
}

/// The DID's latest resolution, if it is on chain.
pub fn resolve_latest(ctx: &Context, address: Address) -> Result<Option<Resolution>, ServiceError> {
    let (method, args) = DidQuery::Resolve {
        did: address,
        selector: Selector::Latest,
    }
    .args();
    let bytes = ctx
        .node
        .call(registry::NAME, method, &args, None)
        .map_err(ServiceError::internal)?;
    borsh::from_slice(&bytes).map_err(ServiceError::internal)
}

/// The organisation's operator key (custodied by the operator tenant).
pub async fn operator_key(ctx: &Context) -> Result<Keypair, ServiceError> {
    ctx.tenant_key(OPERATOR_TENANT, OPERATOR_KEY_ID).await
}

/// The organisation's DID on this chain.
pub fn org_did(ctx: &Context, operator: &Keypair) -> Did {
    Did::weft(ctx.node.chain_id(), operator.address())
}

/// Makes the chain say that the operator's DID is served at `public_url`: creates the DID with
/// a [`NODE_SERVICE_TYPE`] service, or replaces the service's endpoint. Idempotent.
pub async fn ensure_org_did(
    ctx: &Context,
    public_url: &str,
) -> Result<(Did, OrgDidChange), ServiceError> {
    let key = operator_key(ctx).await?;
    let did = org_did(ctx, &key);
    let service = Service {
        id: NODE_SERVICE_ID.to_string(),
        kind: NODE_SERVICE_TYPE.to_string(),
        endpoint: public_url.trim_end_matches('/').to_string(),
    };
    let call = match resolve_latest(ctx, key.address())? {
        None => DidCall::Create {
            public_key: key.public_key(),
            services: vec![service],
        },
        Some(res) if res.head.deactivated => {
            return Err(ServiceError::Conflict(format!(
                "the organisation's DID {did} is deactivated"
            )))
        }
        Some(res) => {
            let current = res
                .record
                .state
                .services
                .iter()
                .find(|s| s.id == NODE_SERVICE_ID);
            if current == Some(&service) {
                return Ok((did, OrgDidChange::Unchanged));
            }
            let mut ops = Vec::new();
            if current.is_some() {
                ops.push(UpdateOp::RemoveService {
                    id: NODE_SERVICE_ID.to_string(),
                });
            }
            ops.push(UpdateOp::AddService(service));
            DidCall::Update {
                did: key.address(),
                ops,
            }
        }
    };
    let change = match call {
        DidCall::Create { .. } => OrgDidChange::Created,
        _ => OrgDidChange::EndpointUpdated,
    };
    ctx.chain
        .sign_submit_and_wait(&key, call.call())
        .await?
        .settled()?;
    Ok((did, change))
}

/// The Weft node endpoint a `did:weft` of this chain publishes (its [`NODE_SERVICE_TYPE`]
/// service), for reaching a partner chosen by DID.
///
/// Refusals: `not_found` if the DID is not on chain or publishes no node endpoint;
/// `invalid_request` if it is deactivated or the endpoint is not an `http(s)` URL.
pub fn node_endpoint(ctx: &Context, address: Address) -> Result<String, ServiceError> {
    let res = resolve_latest(ctx, address)?
        .ok_or_else(|| ServiceError::NotFound(format!("DID {address} is not on chain")))?;
    if res.head.deactivated {
        return Err(ServiceError::InvalidRequest(format!(
            "DID {address} is deactivated"
        )));
    }
    let endpoint = res
        .record
        .state
        .services
        .iter()
        .find(|s| s.kind == NODE_SERVICE_TYPE)
        .map(|s| s.endpoint.clone())
        .ok_or_else(|| {
            ServiceError::NotFound(format!(
                "DID {address} publishes no {NODE_SERVICE_TYPE} service endpoint"
            ))
        })?;
    if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
        return Err(ServiceError::InvalidRequest(format!(
            "DID {address}'s {NODE_SERVICE_TYPE} endpoint is not an http(s) URL"
        )));
    }
    Ok(endpoint)
}
