//! Unbalanced PSI and keyword lookup over HTTP (the DH-OPRF of [`weft_mpc::psi::oprf`]).
//!
//! Data holder (operator, bearer token, role partner or admin):
//! - `POST /api/v1/psi/filters`: preprocesses a (large) set once into a compact filter for one
//!   named peer; the filter is fetched once by the peer and reused for all its queries.
//! - `POST /api/v1/psi/keyword-tables`: encrypts a CSV (a key column, the other columns as
//!   payload) into a keyword table for one named peer.
//!
//! Client (operator):
//! - `POST /api/v1/psi/filters/query`: intersects a (small) set with a peer's filter (the filter
//!   is fetched on first use and cached per peer URL and filter id).
//! - `POST /api/v1/psi/lookup`: fetches the payload for one key from a peer's keyword table.
//!
//! Peer-to-peer: `POST /psi/oprf`: one signed [`weft_mpc::psi::wire::Envelope`] in (its session
//! id is the filter/table id, sequence 0, signed by a key of the peer DID the publisher named),
//! one signed envelope out. The publisher sees only uniformly random blinded points and their
//! number; the total it evaluates for a filter is capped by the budget the filter's tag length
//! was sized for. Each request is its own channel, so an envelope can be replayed: the replayer
//! gets the evaluation of points only the original client can unblind, or the public filter.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use weft_chain::{Keypair, PublicKey};
use weft_mpc::psi::input::{csv_field, split_csv_line};
use weft_mpc::psi::oprf::{
    CompactFilter, KeywordTable, OprfServer, UnbalancedClient, UnbalancedServer,
};
use weft_mpc::psi::session::peek_envelope;
use weft_mpc::psi::wire::SecureChannel;
use weft_mpc::psi::InputSet;

use super::{
    copy_key, lock, org_key, own_did, parse_peer, peer_key, peer_keys, service, InputSpec, PeerId,
    PSI_ROLES,
};
use crate::auth::Principal;
use crate::problem::{ApiError, ApiJson};
use crate::rest::ApiState;

/// Largest OPRF envelope (a filter of the largest set, or a table).
const MAX_OPRF_ENVELOPE: usize = 256 << 20;
/// Most points evaluated per request.
const MAX_POINTS_PER_REQUEST: usize = 1 << 20;

#[derive(Debug, BorshSerialize, BorshDeserialize)]
enum OprfRequest {
    /// The compact filter.
    Filter,
    /// The keyword table.
    Table,
    /// Evaluate `k·P` on these blinded points.
    Evaluate(Vec<[u8; 32]>),
}

#[derive(Debug, BorshSerialize, BorshDeserialize)]
enum OprfResponse {
    Filter(CompactFilter),
    Table {
        key_column: String,
        payload_columns: Vec<String>,
        table: KeywordTable,
    },
    Evaluated(Vec<[u8; 32]>),
}

pub(super) enum Kind {
    Filter(UnbalancedServer),
    Table {
        oprf: OprfServer,
        table: KeywordTable,
        key_column: String,
        payload_columns: Vec<String>,
    },
}

/// A published filter or table.
pub(super) struct Published {
    kind: Arc<Kind>,
    own: Keypair,
    peer: PeerId,
    /// Points the peer may still have evaluated.
    budget: u64,
}

/// The client's cache of fetched filters and tables, by peer URL and id.
pub(super) enum Fetched {
    Filter(Arc<CompactFilter>),
    Table(Arc<(String, Vec<String>, KeywordTable)>),
}

pub(super) type PublishedMap = BTreeMap<String, Published>;
pub(super) type FetchedMap = BTreeMap<(String, String), Fetched>;

fn rng() -> rand::rngs::OsRng {
    rand::rngs::OsRng
}

fn parse_id(text: &str) -> Result<[u8; 32], ApiError> {
    hex::decode(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| ApiError::InvalidRequest("an id is 64 hex digits".into()))
}

/// `POST /api/v1/psi/filters`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishFilter {
    /// The tenant's custodied key that speaks for this organisation.
    pub key_id: String,
    /// This organisation's `did:weft` (default: the key's `did:key`).
    #[serde(default)]
    pub did: Option<String>,
    /// The only peer allowed to fetch and query the filter (`did:key` or `did:weft`).
    pub peer_did: String,
    /// Most client items ever evaluated against this filter (sizes the tags so that expected
    /// false matches stay below 2^-40); default 2^20.
    #[serde(default)]
    pub max_client_items: Option<u64>,
    /// The (large) set.
    pub input: InputSpec,
}

/// A published filter or table.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishedInfo {
    /// Its id (64 hex), to give to the peer.
    pub id: String,
    /// This organisation's DID.
    pub did: String,
    /// Distinct items (filter) or rows (table).
    pub size: u64,
    /// Bytes the peer downloads once.
    pub bytes: u64,
}

/// Publishes a compact filter of a set for one peer (unbalanced PSI, data holder side).
#[utoipa::path(post, path = "/api/v1/psi/filters", tag = "psi", security(("bearer" = [])),
    request_body = PublishFilter,
    responses((status = 200, body = PublishedInfo),
        (status = 400, description = "Invalid request", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn publish_filter(
    req: HttpRequest,
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<PublishFilter>,
) -> Result<web::Json<PublishedInfo>, ApiError> {
    principal.require_any(&PSI_ROLES)?;
    let svc = service(&req)?;
    let body = body.0;
    let (_, peer) = parse_peer(&state, &body.peer_did)?;
    peer_keys(&state, &peer)?;
    let own = org_key(&state, &principal, &body.key_id).await?;
    let did = own_did(&state, &own, body.did.as_deref())?;
    let budget = body.max_client_items.unwrap_or(1 << 20).max(1);
    let max = svc.config.limits.max_items;
    let input = body.input;
    let context: [u8; 32] = rand::random();
    let server = web::block(move || -> Result<UnbalancedServer, ApiError> {
        let set = input.into_set(max)?;
        Ok(UnbalancedServer::preprocess_with_rng(
            context,
            &set,
            budget,
            &mut rng(),
        ))
    })
    .await
    .map_err(ApiError::internal)??;
    let info = PublishedInfo {
        id: hex::encode(context),
        did,
        size: server.filter().len() as u64,
        bytes: server.filter().tags.len() as u64 + 33,
    };
    lock(&svc.published).insert(
        info.id.clone(),
        Published {
            kind: Arc::new(Kind::Filter(server)),
            own,
            peer,
            budget,
        },
    );
    Ok(web::Json(info))
}

/// `POST /api/v1/psi/keyword-tables`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishTable {
    /// The tenant's custodied key that speaks for this organisation.
    pub key_id: String,
    /// This organisation's `did:weft` (default: the key's `did:key`).
    #[serde(default)]
    pub did: Option<String>,
    /// The only peer allowed to fetch the table and look keys up.
    pub peer_did: String,
    /// CSV text with a header row.
    pub csv: String,
    /// The key column; every other column is payload.
    pub key_column: String,
    /// Normalisation of the key (as for sets).
    #[serde(default)]
    pub normalise: Option<String>,
    /// Most lookups the peer may make; default 1,000,000.
    #[serde(default)]
    pub max_lookups: Option<u64>,
}

/// The payload header, and `(normalised key, payload CSV record)` rows.
type TableRows = (Vec<String>, Vec<(Vec<u8>, Vec<u8>)>);

/// Reads a CSV into `(normalised key, payload CSV record)` rows and the payload header.
fn table_rows(body: &PublishTable) -> Result<TableRows, ApiError> {
    let rule = InputSpec {
        items: None,
        csv: None,
        column: None,
        normalise: body.normalise.clone(),
        country: None,
    }
    .rule()?;
    let bad = |e: weft_mpc::psi::PsiError| ApiError::InvalidRequest(e.to_string());
    let mut lines = body.csv.lines();
    let header =
        split_csv_line(lines.next().unwrap_or("").trim_start_matches('\u{feff}')).map_err(bad)?;
    let key_at = header
        .iter()
        .position(|h| h.trim() == body.key_column)
        .ok_or_else(|| {
            ApiError::InvalidRequest(format!("no column {:?} in the header", body.key_column))
        })?;
    let payload_columns: Vec<String> = header
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != key_at)
        .map(|(_, h)| h.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for (n, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields = split_csv_line(line)
            .map_err(|e| ApiError::InvalidRequest(format!("row {}: {e}", n + 2)))?;
        let Some(key) = fields.get(key_at).and_then(|k| rule.apply(k)) else {
            continue;
        };
        let payload: Vec<String> = fields
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != key_at)
            .map(|(_, f)| csv_field(f))
            .collect();
        rows.push((key.into_bytes(), payload.join(",").into_bytes()));
    }
    Ok((payload_columns, rows))
}

/// Publishes an encrypted keyword table for one peer (keyword lookup, data holder side).
#[utoipa::path(post, path = "/api/v1/psi/keyword-tables", tag = "psi", security(("bearer" = [])),
    request_body = PublishTable,
    responses((status = 200, body = PublishedInfo),
        (status = 400, description = "Invalid request or duplicate key", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn publish_table(
    req: HttpRequest,
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<PublishTable>,
) -> Result<web::Json<PublishedInfo>, ApiError> {
    principal.require_any(&PSI_ROLES)?;
    let svc = service(&req)?;
    let body = body.0;
    let (_, peer) = parse_peer(&state, &body.peer_did)?;
    peer_keys(&state, &peer)?;
    let own = org_key(&state, &principal, &body.key_id).await?;
    let did = own_did(&state, &own, body.did.as_deref())?;
    let budget = body.max_lookups.unwrap_or(1_000_000).max(1);
    let max = svc.config.limits.max_items;
    let context: [u8; 32] = rand::random();
    let kind = web::block(move || -> Result<Kind, ApiError> {
        let (payload_columns, rows) = table_rows(&body)?;
        if rows.len() as u64 > max {
            return Err(ApiError::InvalidRequest(format!(
                "{} rows exceed the limit of {max}",
                rows.len()
            )));
        }
        let oprf = OprfServer::new_with_rng(context, &mut rng());
        let table = KeywordTable::build(&oprf, &rows)
            .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
        Ok(Kind::Table {
            oprf,
            table,
            key_column: body.key_column,
            payload_columns,
        })
    })
    .await
    .map_err(ApiError::internal)??;
    let Kind::Table { table, .. } = &kind else {
        return Err(ApiError::internal("table expected"));
    };
    let info = PublishedInfo {
        id: hex::encode(context),
        did,
        size: table.rows.len() as u64,
        bytes: table
            .rows
            .iter()
            .map(|r| 20 + r.ciphertext.len() as u64)
            .sum(),
    };
    lock(&svc.published).insert(
        info.id.clone(),
        Published {
            kind: Arc::new(kind),
            own,
            peer,
            budget,
        },
    );
    Ok(web::Json(info))
}

/// `POST /psi/oprf`: one signed request from the peer a filter or table was published for.
pub async fn oprf_peer(
    req: HttpRequest,
    state: web::Data<ApiState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let svc = service(&req)?;
    let (id, sender) = peek_envelope(&body).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let key = hex::encode(id);
    let (kind, own, peer) = {
        let published = lock(&svc.published);
        let p = published
            .get(&key)
            .ok_or_else(|| ApiError::NotFound("no such filter or table".into()))?;
        (p.kind.clone(), copy_key(&p.own), p.peer.clone())
    };
    if !peer_keys(&state, &peer)?.contains(&sender) {
        return Err(ApiError::Forbidden(
            "the sender's key is not a key of the peer this was published for".into(),
        ));
    }
    let mut chan = SecureChannel::new(id, own, sender, MAX_OPRF_ENVELOPE);
    let payload = chan
        .open(&body)
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let request: OprfRequest =
        borsh::from_slice(&payload).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let response = match (request, kind.as_ref()) {
        (OprfRequest::Filter, Kind::Filter(server)) => {
            OprfResponse::Filter(server.filter().clone())
        }
        (
            OprfRequest::Table,
            Kind::Table {
                table,
                key_column,
                payload_columns,
                ..
            },
        ) => OprfResponse::Table {
            key_column: key_column.clone(),
            payload_columns: payload_columns.clone(),
            table: table.clone(),
        },
        (OprfRequest::Evaluate(points), _) => {
            {
                let mut published = lock(&svc.published);
                let p = published
                    .get_mut(&key)
                    .ok_or_else(|| ApiError::NotFound("no such filter or table".into()))?;
                let n = points.len() as u64;
                if n > p.budget {
                    return Err(ApiError::Forbidden(format!(
                        "{n} points exceed the remaining budget of {}",
                        p.budget
                    )));
                }
                p.budget -= n;
            }
            let kind = kind.clone();
            let answers = web::block(move || match kind.as_ref() {
                Kind::Filter(server) => server.answer(&points, MAX_POINTS_PER_REQUEST),
                Kind::Table { oprf, .. } => oprf.evaluate(&points, MAX_POINTS_PER_REQUEST),
            })
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
            OprfResponse::Evaluated(answers)
        }
        _ => {
            return Err(ApiError::InvalidRequest(
                "request does not match what was published (filter or table)".into(),
            ))
        }
    };
    let out = chan.seal(borsh::to_vec(&response).map_err(ApiError::internal)?);
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .body(out))
}

/// One signed request to a peer's `/psi/oprf`, and its verified answer.
async fn call_peer(
    own: &Keypair,
    peer: PublicKey,
    url: &str,
    id: [u8; 32],
    request: &OprfRequest,
    timeout: std::time::Duration,
) -> Result<OprfResponse, ApiError> {
    let mut chan = SecureChannel::new(id, copy_key(own), peer, MAX_OPRF_ENVELOPE);
    let envelope = chan.seal(borsh::to_vec(request).map_err(ApiError::internal)?);
    let client = awc::Client::builder()
        .timeout(timeout)
        .disable_redirects()
        .finish();
    let mut resp = client
        .post(format!("{url}/psi/oprf"))
        .insert_header(("content-type", "application/octet-stream"))
        .send_body(envelope)
        .await
        .map_err(|e| ApiError::Unavailable(format!("peer unreachable: {e}")))?;
    let status = resp.status().as_u16();
    let body = resp
        .body()
        .limit(MAX_OPRF_ENVELOPE)
        .await
        .map_err(|e| ApiError::Unavailable(format!("peer: {e}")))?;
    if status != 200 {
        let text: String = String::from_utf8_lossy(&body).chars().take(300).collect();
        return Err(ApiError::Unavailable(format!(
            "peer refused: HTTP {status}: {text}"
        )));
    }
    let payload = chan
        .open(&body)
        .map_err(|e| ApiError::Unavailable(format!("peer's answer refused: {e}")))?;
    borsh::from_slice(&payload)
        .map_err(|e| ApiError::Unavailable(format!("peer's answer malformed: {e}")))
}

fn check_url(url: &str) -> Result<String, ApiError> {
    let url = url.trim_end_matches('/').to_string();
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url)
    } else {
        Err(ApiError::InvalidRequest(
            "peer_url must be http(s)://".into(),
        ))
    }
}

/// `POST /api/v1/psi/filters/query`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryFilter {
    /// The tenant's custodied key that speaks for this organisation.
    pub key_id: String,
    /// The data holder's server base URL.
    pub peer_url: String,
    /// The data holder's DID.
    pub peer_did: String,
    /// The filter id it gave.
    pub filter_id: String,
    /// The (small) set.
    pub input: InputSpec,
}

/// The client's result of unbalanced PSI.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueryResult {
    /// Items in the peer's filter.
    pub filter_size: u64,
    /// Own distinct items.
    pub own_size: u64,
    /// Own items found in the filter, sorted.
    pub intersection: Vec<String>,
}

/// Intersects a set with a peer's compact filter (fetched once, then cached).
#[utoipa::path(post, path = "/api/v1/psi/filters/query", tag = "psi", security(("bearer" = [])),
    request_body = QueryFilter,
    responses((status = 200, body = QueryResult),
        (status = 400, description = "Invalid request", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Peer unreachable or refused", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn query_filter(
    req: HttpRequest,
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<QueryFilter>,
) -> Result<web::Json<QueryResult>, ApiError> {
    principal.require_any(&PSI_ROLES)?;
    let svc = service(&req)?;
    let body = body.0;
    let url = check_url(&body.peer_url)?;
    let id = parse_id(&body.filter_id)?;
    let (_, peer_id) = parse_peer(&state, &body.peer_did)?;
    let peer = peer_key(&state, &peer_id)?;
    let own = org_key(&state, &principal, &body.key_id).await?;
    let timeout = svc.config.request_timeout;
    let cache_key = (url.clone(), body.filter_id.clone());
    let cached = match lock(&svc.fetched).get(&cache_key) {
        Some(Fetched::Filter(f)) => Some(f.clone()),
        _ => None,
    };
    let filter = match cached {
        Some(f) => f,
        None => {
            let OprfResponse::Filter(f) =
                call_peer(&own, peer, &url, id, &OprfRequest::Filter, timeout).await?
            else {
                return Err(ApiError::Unavailable("peer answered with no filter".into()));
            };
            if f.context != id {
                return Err(ApiError::Unavailable(
                    "peer sent a filter for another id".into(),
                ));
            }
            let f = Arc::new(f);
            lock(&svc.fetched).insert(cache_key, Fetched::Filter(f.clone()));
            f
        }
    };
    let max = svc.config.limits.max_items;
    let input = body.input;
    let f2 = filter.clone();
    let (client, own_size) = web::block(move || -> Result<(UnbalancedClient, u64), ApiError> {
        let set: InputSet = input.into_set(max)?;
        let n = set.len();
        let c = UnbalancedClient::query_with_rng(&f2, set, &mut rng())
            .map_err(|e| ApiError::Unavailable(format!("peer's filter: {e}")))?;
        Ok((c, n))
    })
    .await
    .map_err(ApiError::internal)??;
    let request = OprfRequest::Evaluate(client.points().to_vec());
    let OprfResponse::Evaluated(answers) =
        call_peer(&own, peer, &url, id, &request, timeout).await?
    else {
        return Err(ApiError::Unavailable(
            "peer answered with no evaluation".into(),
        ));
    };
    let f3 = filter.clone();
    let items = web::block(move || client.finish(&f3, &answers))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::Unavailable(format!("peer's answer: {e}")))?;
    let mut intersection: Vec<String> = items
        .into_iter()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    intersection.sort();
    Ok(web::Json(QueryResult {
        filter_size: filter.len() as u64,
        own_size,
        intersection,
    }))
}

/// `POST /api/v1/psi/lookup`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupRequest {
    /// The tenant's custodied key that speaks for this organisation.
    pub key_id: String,
    /// The data holder's server base URL.
    pub peer_url: String,
    /// The data holder's DID.
    pub peer_did: String,
    /// The table id it gave.
    pub table_id: String,
    /// The key to look up (normalised like the table's key column).
    pub key: String,
    /// Normalisation of the key.
    #[serde(default)]
    pub normalise: Option<String>,
}

/// The payload found for a key.
#[derive(Debug, Serialize, ToSchema)]
pub struct LookupResult {
    /// Whether the key is in the table.
    pub found: bool,
    /// The table's key column.
    pub key_column: String,
    /// The payload columns, in order.
    pub columns: Vec<String>,
    /// The payload values (empty when not found).
    pub values: Vec<String>,
}

/// Looks one key up in a peer's keyword table; the peer learns nothing about the key.
#[utoipa::path(post, path = "/api/v1/psi/lookup", tag = "psi", security(("bearer" = [])),
    request_body = LookupRequest,
    responses((status = 200, body = LookupResult),
        (status = 400, description = "Invalid request", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Peer unreachable or refused", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn lookup(
    req: HttpRequest,
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<LookupRequest>,
) -> Result<web::Json<LookupResult>, ApiError> {
    principal.require_any(&PSI_ROLES)?;
    let svc = service(&req)?;
    let body = body.0;
    let url = check_url(&body.peer_url)?;
    let id = parse_id(&body.table_id)?;
    let (_, peer_id) = parse_peer(&state, &body.peer_did)?;
    let peer = peer_key(&state, &peer_id)?;
    let own = org_key(&state, &principal, &body.key_id).await?;
    let rule = InputSpec {
        items: None,
        csv: None,
        column: None,
        normalise: body.normalise.clone(),
        country: None,
    }
    .rule()?;
    let key = rule.apply(&body.key).ok_or_else(|| {
        ApiError::InvalidRequest("the key is invalid under the normalisation".into())
    })?;
    let timeout = svc.config.request_timeout;
    let cache_key = (url.clone(), body.table_id.clone());
    let cached = match lock(&svc.fetched).get(&cache_key) {
        Some(Fetched::Table(t)) => Some(t.clone()),
        _ => None,
    };
    let table = match cached {
        Some(t) => t,
        None => {
            let OprfResponse::Table {
                key_column,
                payload_columns,
                table,
            } = call_peer(&own, peer, &url, id, &OprfRequest::Table, timeout).await?
            else {
                return Err(ApiError::Unavailable("peer answered with no table".into()));
            };
            if table.context != id {
                return Err(ApiError::Unavailable(
                    "peer sent a table for another id".into(),
                ));
            }
            let t = Arc::new((key_column, payload_columns, table));
            lock(&svc.fetched).insert(cache_key, Fetched::Table(t.clone()));
            t
        }
    };
    let query = table.2.query_with_rng(key.as_bytes(), &mut rng());
    let request = OprfRequest::Evaluate(query.points.clone());
    let OprfResponse::Evaluated(answers) =
        call_peer(&own, peer, &url, id, &request, timeout).await?
    else {
        return Err(ApiError::Unavailable(
            "peer answered with no evaluation".into(),
        ));
    };
    let payload = table
        .2
        .lookup(query, &answers)
        .map_err(|e| ApiError::Unavailable(format!("peer's answer: {e}")))?;
    let values = match &payload {
        Some(p) => split_csv_line(&String::from_utf8_lossy(p))
            .map_err(|e| ApiError::Unavailable(format!("peer's payload: {e}")))?,
        None => Vec::new(),
    };
    Ok(web::Json(LookupResult {
        found: payload.is_some(),
        key_column: table.0.clone(),
        columns: table.1.clone(),
        values,
    }))
}

/// Routes under `/api/v1`.
pub fn configure_v1(cfg: &mut web::ServiceConfig) {
    cfg.service(super::input_resource("/psi/filters").route(web::post().to(publish_filter)))
        .service(super::input_resource("/psi/filters/query").route(web::post().to(query_filter)))
        .service(super::input_resource("/psi/keyword-tables").route(web::post().to(publish_table)))
        .service(crate::rest::resource("/psi/lookup").route(web::post().to(lookup)));
}

/// Routes outside `/api/v1`.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/psi/oprf")
            .app_data(web::PayloadConfig::new(MAX_OPRF_ENVELOPE))
            .route(web::post().to(oprf_peer)),
    );
}

/// This part's OpenAPI paths.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(publish_filter, publish_table, query_filter, lookup),
    components(schemas(
        PublishFilter,
        PublishTable,
        PublishedInfo,
        QueryFilter,
        QueryResult,
        LookupRequest,
        LookupResult
    ))
)]
pub struct Doc;
