//! Voting pages: the list of polls, one poll (live turnout, results chart, how to vote) and
//! its audit report.
//!
//! Pages are rendered on the server from the `vote` module's state. The poll page's script
//! (`assets/voting.js`, served by [`routes`]; the CSP forbids inline script) refreshes the
//! turnout from `GET /api/v1/polls/{id}` and writes it with `textContent` only.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::html;
use weft_chain::Node;
use weft_mpc::vote::{self, PollId, PollRecord, PollState, VoteQuery};

use super::html;
use super::layout::{error_page, page};

const JS: &str = include_str!("assets/voting.js");

type NodeData = web::Data<Arc<Node>>;

/// Mounts this section's pages (and assets).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/voting", web::get().to(index))
        .route("/voting/{id}", web::get().to(poll))
        .route("/voting/{id}/audit", web::get().to(audit))
        .route(
            "/assets/voting.js",
            web::get().to(|| async {
                HttpResponse::Ok()
                    .content_type("text/javascript; charset=utf-8")
                    .insert_header(("x-content-type-options", "nosniff"))
                    .body(JS)
            }),
        );
}

async fn query<T: borsh::BorshDeserialize + Send + 'static>(
    node: &NodeData,
    q: VoteQuery,
) -> Result<T, HttpResponse> {
    let node = Arc::clone(node.get_ref());
    let result = web::block(move || {
        let (method, args) = vote::query_args(&q);
        node.call(vote::NAME, method, &args, None)
            .map_err(|e| e.to_string())
            .and_then(|b| borsh::from_slice::<T>(&b).map_err(|e| e.to_string()))
    })
    .await;
    match result {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) if e.contains("not found") => Err(error_page(
            StatusCode::NOT_FOUND,
            "No such poll",
            "The chain has no poll with this id.",
        )),
        _ => Err(error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Unavailable",
            "The node could not answer. The error is in the node's log.",
        )),
    }
}

fn bad_id() -> HttpResponse {
    error_page(
        StatusCode::BAD_REQUEST,
        "Bad poll id",
        "A poll id is 64 hex digits.",
    )
}

/// `GET /voting`.
async fn index(node: NodeData) -> HttpResponse {
    let ids: Vec<PollId> = match query(&node, VoteQuery::Polls).await {
        Ok(ids) => ids,
        Err(page) => return page,
    };
    let mut polls = Vec::new();
    for id in ids {
        match query::<PollState>(&node, VoteQuery::Poll(id)).await {
            Ok(p) => polls.push(p),
            Err(page) => return page,
        }
    }
    let body = html! {
        p.lead { "Anonymous polls: encrypted ballots with proofs, a threshold of counters, and a tally anyone can re-check." }
        @if polls.is_empty() {
            p { "No polls yet. An organiser (governance permission " code { "vote.organiser" } ") creates one with " code { "POST /api/v1/polls" } "." }
        } @else {
            table {
                thead { tr { th { "Poll" } th { "Choices" } th { "Turnout" } th { "Status" } } }
                tbody {
                    @for p in &polls {
                        tr {
                            td { a href={ "/voting/" (p.id) } { (p.spec.title) } }
                            td { (p.spec.choices.len()) }
                            td { (p.ballots) }
                            td { (status(p)) }
                        }
                    }
                }
            }
        }
    };
    html(StatusCode::OK, page("Voting", "/voting", body))
}

fn status(p: &PollState) -> &'static str {
    if p.result.is_some() {
        "tallied"
    } else if !p.decrypted_by.is_empty() {
        "decrypting"
    } else if p.group_key.is_none() {
        "counters' key generation"
    } else if p.roots.is_none() {
        "enrolling voters"
    } else {
        "ready / voting"
    }
}

/// `GET /voting/{id}`.
async fn poll(node: NodeData, id: web::Path<String>) -> HttpResponse {
    let Some(id) = PollId::from_hex(&id) else {
        return bad_id();
    };
    let p: PollState = match query(&node, VoteQuery::Poll(id)).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    let total: u64 = p
        .result
        .as_ref()
        .map(|r| r.counts.iter().sum::<u64>().max(1))
        .unwrap_or(1);
    let body = html! {
        dl.stats {
            div { dt { "Poll id" } dd { code { (p.id) } } }
            div { dt { "Rule" } dd { (format!("{:?}", p.spec.rule)) } }
            div { dt { "Window" } dd { (format!("{:?} {} to {}", p.spec.window.unit, p.spec.window.start, p.spec.window.end)) } }
            div { dt { "Counters" } dd { (p.spec.threshold) " of " (p.spec.counters.len()) } }
            div { dt { "Turnout" } dd #turnout data-poll=(p.id) { (p.ballots) } }
            div { dt { "Status" } dd { (status(&p)) } }
        }
        h2 { "Results" }
        @if let Some(r) = &p.result {
            table {
                tbody {
                    @for (label, count) in p.spec.choices.iter().zip(&r.counts) {
                        tr {
                            td { (label) }
                            td { progress value=(count) max=(total) { (count) } }
                            td { (count) }
                        }
                    }
                }
            }
            p { "Decrypted with the shares of counters " (format!("{:?}", r.combined)) " at height " (r.height) "." }
        } @else {
            p { "No result yet: counts appear when " (p.spec.threshold) " counters have posted their decryption shares after the window." }
        }
        p { a href={ "/voting/" (p.id) "/audit" } { "Audit this poll from chain data" } }
        h2 { "Voting booth" }
        p {
            "A ballot is made on the voter's device: it encrypts each choice under the counters' joint key, "
            "proves each is 0 or 1 and that the total obeys the rule, and proves membership with a Groth16 proof "
            "bound to the ballot (" code { "weft_mpc::vote::BallotVerifier::create_ballot_with_rng" } "). "
            "Send it as JSON to " code { "POST /api/v1/polls/" (p.id) "/ballots" } ": the server relays it from a fresh "
            "one-time account, so nothing in the transaction identifies the voter."
        }
        p { "Proving in the browser is not available yet." }
        script src="/assets/voting.js" defer {}
    };
    html(StatusCode::OK, page(&p.spec.title, "/voting", body))
}

/// `GET /voting/{id}/audit`.
async fn audit(node: NodeData, id: web::Path<String>) -> HttpResponse {
    let Some(id) = PollId::from_hex(&id) else {
        return bad_id();
    };
    let record: PollRecord = match query(&node, VoteQuery::Record(id)).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let title = record.state.spec.title.clone();
    let report = match web::block(move || {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        vote::audit(&record, threads)
    })
    .await
    {
        Ok(r) => r,
        Err(_) => {
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Unavailable",
                "The audit could not run.",
            )
        }
    };
    let body = html! {
        p.lead { "Every check below was recomputed from chain data alone." }
        table {
            thead { tr { th { "Check" } th { "Outcome" } th { "Detail" } } }
            tbody {
                @for c in &report.checks {
                    tr { td { (c.name) } td { @if c.ok { "ok" } @else { "FAILED" } } td { (c.detail) } }
                }
            }
        }
        p { strong { @if report.passed() { "The audit passed." } @else { "The audit did not pass." } } }
        p { a href={ "/voting/" (id) } { "Back to the poll" } }
    };
    html(
        StatusCode::OK,
        page(&format!("Audit: {title}"), "/voting", body),
    )
}
