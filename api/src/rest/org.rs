//! `GET /api/v1/organisation`: which organisation this node serves — its DID (the operator
//! account's `did:weft`), the public URL it announces, and whether the chain already names that
//! URL as the DID's `WeftNode` endpoint. Public: the same facts are on chain.

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;
use weft_service::org;

use super::ApiState;
use crate::problem::ApiError;

/// This node's organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationView {
    /// The organisation's DID.
    pub did: String,
    /// The chain.
    pub chain_id: String,
    /// The URL this node announces (`--public-url`).
    pub public_url: String,
    /// The `WeftNode` endpoint the chain holds for the DID (none until the node has
    /// registered it).
    pub endpoint: Option<String>,
}

/// The organisation this node serves.
#[utoipa::path(get, path = "/api/v1/organisation", tag = "chain",
    responses((status = 200, body = OrganisationView)))]
pub async fn organisation(
    state: web::Data<ApiState>,
) -> Result<web::Json<OrganisationView>, ApiError> {
    let key = org::operator_key(&state).await?;
    let did = org::org_did(&state, &key);
    let endpoint = org::node_endpoint(&state, key.address()).ok();
    Ok(web::Json(OrganisationView {
        did: did.to_string(),
        chain_id: state.node.chain_id().to_string(),
        public_url: state.public_url.clone(),
        endpoint,
    }))
}
