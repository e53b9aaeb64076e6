//! PSI pages: start or offer a session with a partner's server, follow its progress, download
//! the intersection, see the session's on-chain record and a Venn-style picture of the sets.
//!
//! `/psi` holds the forms; `/psi/sessions/{id}` renders the session's public on-chain record
//! (module `psi`) on the server. Everything private (sizes, progress, the result) comes from
//! the REST API with the signed-in token: `assets/psi.js` (served by [`routes`]; the CSP forbids
//! inline script) sends the forms, polls `GET /api/v1/psi/sessions/{id}`, draws the Venn picture
//! as inline SVG with DOM calls (no library, no markup from the network) and downloads
//! `result.csv` as a file.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use weft_chain::Node;
use weft_mpc::psi::ledger::{self, SessionRecord, SessionStatus};

use super::html;
use super::layout::{error_page, page};

const JS: &str = include_str!("assets/psi.js");

type NodeData = web::Data<Arc<Node>>;

/// Mounts this section's pages (and assets).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/psi", web::get().to(index))
        .route("/psi/sessions/{id}", web::get().to(session))
        .route(
            "/assets/psi.js",
            web::get().to(|| async { super::asset("text/javascript; charset=utf-8", JS) }),
        );
}

fn mode_select() -> Markup {
    html! {
        select name="mode" {
            option value="one-side" { "intersection to me only" }
            option value="both-sides" { "intersection to both" }
            option value="cardinality" { "only its size, to both" }
        }
    }
}

fn input_fields() -> Markup {
    html! {
        label { "CSV file " input name="file" type="file" accept=".csv,text/csv" required; }
        input name="column" placeholder="column, e.g. email" required;
        select name="normalise" {
            option value="none" { "as is" }
            option value="trim" { "trim" }
            option value="lowercase" { "trim + lowercase" }
            option value="email" { "e-mail" }
            option value="phone" { "phone (E.164)" }
        }
    }
}

/// `GET /psi`.
async fn index() -> HttpResponse {
    let body = html! {
        p.lead {
            "Private set intersection with a partner organisation: both servers learn which "
            "customers they share — or only how many — and nothing else. The chain records who "
            "computed with whom, how, commitments to the set sizes and the result digest both signed."
        }
        p #own-did-line { "This organisation's DID (give it to your partner): " code #own-did { "…" } }
        section {
            h2 { "1. The partner offers its set (responder)" }
            p { "On the partner's server: accept one session from your DID over its CSV column." }
            form.search.psi-form data-kind="offer" {
                input name="key_id" value="admin" placeholder="key id" required;
                input name="peer_did" placeholder="initiator's DID (did:weft:… or did:key:…)" required;
                (mode_select())
                (input_fields())
                button type="submit" { "Offer" }
            }
        }
        section {
            h2 { "2. Start the session (initiator)" }
            form.search.psi-form data-kind="start" {
                input name="key_id" value="admin" placeholder="key id" required;
                input name="did" placeholder="your did:weft (optional)";
                input name="peer_url" placeholder="partner server (optional: from the partner's did:weft)";
                input name="peer_did" placeholder="partner's DID" required;
                input name="peer_size" type="number" min="0" placeholder="partner's set size" required;
                (mode_select())
                (input_fields())
                button type="submit" { "Start" }
            }
        }
        section {
            h2 { "Follow a session" }
            form.search #open-session {
                input name="id" placeholder="session id (64 hex)" pattern="[0-9a-fA-F]{64}" required;
                button type="submit" { "Open" }
            }
        }
        pre #api-result hidden {}
        script src="/assets/psi.js" defer {}
    };
    html(StatusCode::OK, page("PSI", "/psi", body))
}

fn status_name(s: SessionStatus) -> &'static str {
    match s {
        SessionStatus::Created => "created (waiting for the responder)",
        SessionStatus::Joined => "joined (computing off chain)",
        SessionStatus::Completed => "completed",
        SessionStatus::Failed => "failed",
    }
}

fn record_view(rec: &SessionRecord) -> Markup {
    html! {
        dl.stats {
            div { dt { "Status" } dd #record-status { (status_name(rec.status)) } }
            div { dt { "Protocol" } dd { (format!("{:?}", rec.protocol)) } }
            div { dt { "Mode" } dd { (format!("{:?}", rec.mode)) } }
            div { dt { "Created at height" } dd { (rec.created_height) } }
            div { dt { "Last change at height" } dd { (rec.updated_height) } }
        }
        table {
            thead { tr { th { "" } th { "Initiator" } th { "Responder" } } }
            tbody {
                tr { td { "DID" } td { code { (rec.initiator_did) } } td { code { (rec.responder_did) } } }
                tr { td { "Account" } td { code { (rec.initiator) } } td { code { (rec.responder) } } }
                tr {
                    td { "Set size commitment" }
                    td { code { (hex::encode(rec.initiator_commitment)) } }
                    td {
                        @match rec.responder_commitment {
                            Some(c) => { code { (hex::encode(c)) } }
                            None => { "not joined" }
                        }
                    }
                }
            }
        }
        @if let Some(d) = rec.result_digest {
            p { "Result digest, signed by both parties: " code #record-digest { (hex::encode(d)) } }
        }
        @if let Some((by, reason)) = &rec.failure {
            p { "Failure reported by " code { (by) } ": " strong { (reason) } }
        }
    }
}

/// `GET /psi/sessions/{id}`: the public record, plus the private view filled in by the script.
async fn session(node: NodeData, id: web::Path<String>) -> HttpResponse {
    let Some(sid) = hex::decode(id.as_str())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Bad session id",
            "A session id is 64 hex digits.",
        );
    };
    let node = Arc::clone(node.get_ref());
    let rec = web::block(move || {
        let (m, a) = ledger::session_query(&sid);
        node.call(ledger::NAME, m, &a, None)
            .ok()
            .and_then(|b| borsh::from_slice::<Option<SessionRecord>>(&b).ok())
            .flatten()
    })
    .await
    .ok()
    .flatten();
    let id = hex::encode(sid);
    let body = html! {
        p { "Session " code { (id) } }
        section #session data-session=(id) {
            h2 { "This server's view" }
            p #session-note { "Sign in with a partner or admin token to see progress and the result." }
            dl.stats {
                div { dt { "State" } dd #s-state { "…" } }
                div { dt { "Own items" } dd #s-own { "…" } }
                div { dt { "Partner's items" } dd #s-peer { "…" } }
                div { dt { "Shared" } dd #s-shared { "…" } }
            }
            p { progress #s-progress value="0" max="1" {} " " span #s-counters {} }
            div #venn {}
            p { button #download type="button" hidden { "Download the intersection (CSV)" } }
            pre #api-result hidden {}
        }
        section {
            h2 { "On chain" }
            @match &rec {
                Some(r) => { (record_view(r)) }
                None => { p { "No record of this session on chain (yet)." } }
            }
        }
        script src="/assets/psi.js" defer {}
    };
    html(StatusCode::OK, page("PSI session", "/psi", body))
}
