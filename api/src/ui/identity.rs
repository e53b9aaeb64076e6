//! Identity pages: DIDs (resolve, create, update, deactivate), authority issuers and CPTs.
//!
//! Reads are server-rendered from chain queries (maud escapes every value). Writes are forms
//! that `assets/identity.js` sends to the REST API with the signed-in token; answers are shown
//! as text, never as markup.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use weft_chain::Node;
use weft_did::cpt::{self, Cpt, CptQuery};
use weft_did::issuer::{self, IssuerInfo, IssuerQuery};
use weft_did::registry::{self, DidQuery, Resolution, Selector};
use weft_did::{resolution, Did};

use super::html;
use super::layout::{error_page, page, short};

const JS: &str = include_str!("assets/identity.js");

type NodeData = web::Data<Arc<Node>>;

/// Mounts this section's pages (and assets).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/identity", web::get().to(index))
        .route("/identity/did", web::get().to(did_page))
        .route("/identity/cpt", web::get().to(cpt_page))
        .route(
            "/assets/identity.js",
            web::get().to(|| async { super::asset("text/javascript; charset=utf-8", JS) }),
        );
}

fn query<T: borsh::BorshDeserialize>(
    node: &Node,
    module: &str,
    (m, a): (&str, Vec<u8>),
) -> Option<T> {
    let bytes = node.call(module, m, &a, None).ok()?;
    borsh::from_slice(&bytes).ok()
}

fn forms() -> Markup {
    html! {
        section {
            h2 { "Create a DID" }
            p { "With a new or existing custodied key of your tenant (sign in with an admin, issuer or organiser token)." }
            form.search.api-form data-endpoint="/api/v1/dids" data-kind="create-did" {
                input name="key_id" placeholder="key id, e.g. main" required;
                button type="submit" { "Create DID" }
            }
        }
        section {
            h2 { "Change a DID" }
            form.search.api-form data-kind="rotate-key" {
                input name="did" placeholder="did:weft:…" required;
                input name="key_id" placeholder="signing key id" required;
                input name="fragment" placeholder="key to rotate, e.g. key-1" required;
                input name="new_key_id" placeholder="new custodied key id" required;
                button type="submit" { "Rotate key" }
            }
            form.search.api-form data-kind="add-service" {
                input name="did" placeholder="did:weft:…" required;
                input name="key_id" placeholder="signing key id" required;
                input name="id" placeholder="service id" required;
                input name="type" placeholder="type, e.g. LinkedDomains" required;
                input name="endpoint" placeholder="https://…" required;
                button type="submit" { "Add service" }
            }
            form.search.api-form data-kind="deactivate" {
                input name="did" placeholder="did:weft:…" required;
                input name="key_id" placeholder="signing key id" required;
                button type="submit" { "Deactivate (permanent)" }
            }
        }
        section {
            h2 { "Authority issuers" }
            form.search.api-form data-endpoint="/api/v1/issuers" data-kind="apply" {
                input name="key_id" placeholder="key id of your DID" required;
                input name="name" placeholder="name" required;
                input name="description" placeholder="description";
                button type="submit" { "Apply" }
            }
            form.search.api-form data-kind="recognise" {
                input name="did" placeholder="applicant did:weft:…" required;
                input name="key_id" placeholder="committee member key id" required;
                button type="submit" { "Propose recognition" }
            }
        }
        section {
            h2 { "Register a CPT" }
            form.search.api-form data-endpoint="/api/v1/cpts" data-kind="cpt" {
                input name="key_id" placeholder="publisher key id" required;
                input name="id" placeholder="id (optional)";
                input name="schema" placeholder=r#"JSON Schema, e.g. {"type":"object"}"# required;
                button type="submit" { "Register" }
            }
        }
        pre #api-result hidden {}
    }
}

/// `GET /identity`.
async fn index(node: NodeData) -> HttpResponse {
    let n = Arc::clone(node.get_ref());
    let issuers: Option<(u64, Vec<IssuerInfo>)> = web::block(move || {
        query(
            &n,
            issuer::NAME,
            IssuerQuery::List {
                offset: 0,
                limit: 100,
            }
            .args(),
        )
    })
    .await
    .ok()
    .flatten();
    let chain_id = node.chain_id().to_string();
    let body = html! {
        p.lead { (super::sections::summary("/identity")) }
        form.search action="/identity/did" method="get" {
            input name="did" placeholder="did:weft:… or did:key:…" required;
            button type="submit" { "Resolve" }
        }
        form.search action="/identity/cpt" method="get" {
            input name="id" placeholder="CPT id" required;
            button type="submit" { "Show CPT" }
        }
        h2 { "Issuers" }
        @match issuers {
            None => p.error { "The issuer registry could not be read." },
            Some((0, _)) => p { "No issuer has applied yet." },
            Some((total, list)) => {
                p { (total) " applicant(s)." }
                table {
                    thead { tr { th { "DID" } th { "Name" } th { "Standing" } } }
                    tbody {
                        @for i in list {
                            @let did = Did::weft(&chain_id, i.account).to_string();
                            tr {
                                td { a href={ "/identity/did?did=" (did) } { (short(&did)) } }
                                td { (i.application.name) }
                                td { @if i.recognised { "recognised" } @else { "applied" } }
                            }
                        }
                    }
                }
            }
        }
        (forms())
        script src="/assets/identity.js" defer {}
    };
    html(StatusCode::OK, page("Identity", "/identity", body))
}

#[derive(Debug, Deserialize)]
struct DidParams {
    did: String,
    version: Option<u32>,
}

/// `GET /identity/did?did=...&version=...`.
async fn did_page(node: NodeData, q: web::Query<DidParams>) -> HttpResponse {
    let did = match Did::parse(q.did.trim()) {
        Ok(did) => did,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, "Invalid DID", &e.to_string()),
    };
    let (doc, meta) = match &did {
        Did::Key(key) => (
            weft_did::document::render_did_key(key),
            serde_json::json!({}),
        ),
        Did::Weft { chain_id, address } => {
            if chain_id != node.chain_id() {
                return error_page(
                    StatusCode::NOT_FOUND,
                    "Not found",
                    "That DID belongs to another chain.",
                );
            }
            let selector = q.version.map_or(Selector::Latest, Selector::Version);
            let (n, address) = (Arc::clone(node.get_ref()), *address);
            // The query answers borsh `Option<Resolution>`: decoding it as a bare `Resolution`
            // failed for every DID and showed "No such DID".
            let res: Option<Resolution> = web::block(move || {
                query::<Option<Resolution>>(
                    &n,
                    registry::NAME,
                    DidQuery::Resolve {
                        did: address,
                        selector,
                    }
                    .args(),
                )
            })
            .await
            .ok()
            .flatten()
            .flatten();
            let Some(res) = res else {
                return error_page(
                    StatusCode::NOT_FOUND,
                    "Not found",
                    "No such DID (or version) on this chain.",
                );
            };
            (
                resolution::document(&did, &res),
                resolution::document_metadata(&res),
            )
        }
    };
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let body = html! {
        p { code { (did.to_string()) } }
        h2 { "Metadata" }
        pre { (pretty(&meta)) }
        h2 { "Document" }
        pre { (pretty(&doc)) }
        p { a href={ "/1.0/identifiers/" (did.to_string()) } { "Resolution result (JSON)" } }
    };
    html(StatusCode::OK, page("DID", "/identity", body))
}

#[derive(Debug, Deserialize)]
struct CptParams {
    id: u64,
    version: Option<u32>,
}

/// `GET /identity/cpt?id=...&version=...`.
async fn cpt_page(node: NodeData, q: web::Query<CptParams>) -> HttpResponse {
    let (n, id, version) = (Arc::clone(node.get_ref()), q.id, q.version);
    let c: Option<Option<Cpt>> =
        web::block(move || query(&n, cpt::NAME, CptQuery::Get { id, version }.args()))
            .await
            .ok()
            .flatten();
    let Some(Some(c)) = c else {
        return error_page(
            StatusCode::NOT_FOUND,
            "Not found",
            "No such CPT (or version).",
        );
    };
    let schema: serde_json::Value = serde_json::from_str(&c.schema).unwrap_or_default();
    let publisher = Did::weft(node.chain_id(), c.publisher).to_string();
    let body = html! {
        dl {
            dt { "Id" } dd { (c.id) }
            dt { "Version" } dd { (c.version) " of " (c.latest) }
            dt { "Publisher" } dd { a href={ "/identity/did?did=" (publisher) } { (publisher) } }
            dt { "Digest" } dd { code { (c.digest.to_string()) } }
            dt { "Registered" } dd { (resolution::format_time(c.timestamp_ms)) " (height " (c.height) ")" }
        }
        @if c.version > 1 {
            p { a href={ "/identity/cpt?id=" (c.id) "&version=" (c.version - 1) } { "Previous version" } }
        }
        h2 { "Schema" }
        pre { (serde_json::to_string_pretty(&schema).unwrap_or_default()) }
    };
    html(
        StatusCode::OK,
        page(&format!("CPT {}", c.id), "/identity", body),
    )
}
