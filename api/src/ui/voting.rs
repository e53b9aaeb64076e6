//! Voting pages: the list of polls, one poll (live turnout, results chart, how to vote) and
//! its audit report.
//!
//! Pages are rendered on the server from the `vote` module's state; the results chart is inline
//! SVG. The poll page's script (`assets/voting.js`, served by [`routes`]; the CSP forbids inline
//! script) refreshes the turnout from `GET /api/v1/polls/{id}` and sends the booth form to
//! `POST /api/v1/polls/{id}/booth` with the signed-in token, writing answers with
//! `textContent` only. The booth is a wallet flow on the voter's own node (trust model in
//! `api/src/rest/polls.rs` and on the page).

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::html;
use weft_chain::Node;
use weft_mpc::vote::{self, PollId, PollRecord, PollState, Rule, VoteQuery, WindowUnit};

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
    let now = Now::of(&node);
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
                            td { (status(p, now)) }
                        }
                    }
                }
            }
        }
    };
    html(StatusCode::OK, page("Voting", "/voting", body))
}

/// Where the chain is now: its head's height and timestamp (the clock the window is read in).
#[derive(Debug, Clone, Copy)]
struct Now {
    height: u64,
    timestamp_ms: u64,
}

impl Now {
    fn of(node: &Node) -> Now {
        let head = node.head();
        Now {
            height: node.height(),
            timestamp_ms: head.timestamp_ms,
        }
    }

    /// The window's clock reading.
    fn reading(self, unit: WindowUnit) -> u64 {
        match unit {
            WindowUnit::Height => self.height,
            WindowUnit::TimestampMs => self.timestamp_ms,
        }
    }
}

/// Where a poll stands, following the setup, the window (by the chain's head) and the tally.
fn status(p: &PollState, now: Now) -> &'static str {
    let w = &p.spec.window;
    let t = now.reading(w.unit);
    if p.result.is_some() {
        "tallied"
    } else if !p.decrypted_by.is_empty() {
        "decrypting"
    } else if p.group_key.is_none() {
        "counters' key generation"
    } else if p.roots.is_none() {
        "enrolling voters"
    } else if t < w.start {
        "ready; the window has not opened"
    } else if t <= w.end {
        "voting"
    } else {
        "window closed; awaiting the tally"
    }
}

/// Whether the booth makes sense now: eligibility sealed, window not over, no result.
fn booth_open(p: &PollState, now: Now) -> bool {
    p.result.is_none()
        && p.group_key.is_some()
        && p.roots.is_some()
        && now.reading(p.spec.window.unit) <= p.spec.window.end
}

/// The window in words: dates for a timestamp window, heights otherwise.
fn window_text(p: &PollState) -> String {
    let w = &p.spec.window;
    match w.unit {
        WindowUnit::TimestampMs => format!(
            "{} to {}",
            weft_did::resolution::format_time(w.start),
            weft_did::resolution::format_time(w.end)
        ),
        WindowUnit::Height => format!("blocks {} to {}", w.start, w.end),
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
    let now = Now::of(&node);
    let body = html! {
        dl.stats {
            div { dt { "Poll id" } dd { code { (p.id) } } }
            div { dt { "Rule" } dd { (format!("{:?}", p.spec.rule)) } }
            div { dt { "Window" } dd { (window_text(&p)) } }
            div { dt { "Counters" } dd { (p.spec.threshold) " of " (p.spec.counters.len()) } }
            div { dt { "Turnout" } dd #turnout data-poll=(p.id) { (p.ballots) } }
            div { dt { "Status" } dd { (status(&p, now)) } }
        }
        h2 { "Results" }
        @if let Some(r) = &p.result {
            (results_chart(&p.spec.choices, &r.counts))
            p { "Decrypted with the shares of counters " (format!("{:?}", r.combined)) " at height " (r.height) "." }
        } @else {
            p { "No result yet: counts appear when " (p.spec.threshold) " counters have posted their decryption shares after the window." }
        }
        p { a href={ "/voting/" (p.id) "/audit" } { "Audit this poll from chain data" } }
        @if !booth_open(&p, now) {
            p.note #booth-closed { "The booth is closed: " (status(&p, now)) "." }
        } @else {
        h2 { "Voting booth" }
        p {
            "This booth is a wallet on " strong { "your own Weft node" } ": sign in with a token of your tenant "
            "(holder or admin role) and name the custodied key your membership secret is derived from. "
            "The node builds the ballot (encrypted choices, 0/1 and rule proofs, a Groth16 membership proof "
            "bound to the ballot) and submits it from a fresh one-time account."
        }
        p.note {
            strong { "Who sees what. " }
            "The node you vote through sees your choice: use a node you run or trust. The organiser, the counters "
            "and the validators do not: the transaction carries a one-time sender, encrypted choices, proofs and "
            "a per-poll nullifier. Proving in the browser is not available (no wasm build); "
            code { "weft vote cast" } " does the same on your own machine."
        }
        form #booth data-poll=(p.id) {
            fieldset {
                legend { (rule_hint(&p.spec.rule)) }
                @for (i, label) in p.spec.choices.iter().enumerate() {
                    label.choice {
                        @if single_choice(&p.spec.rule) {
                            input type="radio" name="choice" value=(i);
                        } @else {
                            input type="checkbox" name="choice" value=(i);
                        }
                        " " (label)
                    }
                }
            }
            label { "Custodied key id " input type="text" name="key_id" required pattern="[A-Za-z0-9._-]{1,64}"; }
            button type="submit" { "Cast my ballot" }
        }
        p #booth-result hidden {}
        }
        script src="/assets/voting.js" defer {}
    };
    html(StatusCode::OK, page(&p.spec.title, "/voting", body))
}

fn single_choice(rule: &Rule) -> bool {
    matches!(rule, Rule::Single | Rule::Weighted { .. })
}

fn rule_hint(rule: &Rule) -> String {
    match rule {
        Rule::Single => "Choose one".into(),
        Rule::Weighted { .. } => "Choose one (counted with your class's weight)".into(),
        Rule::Approval => "Choose any number".into(),
        Rule::KOfN { min, max } => format!("Choose between {min} and {max}"),
    }
}

/// A horizontal bar chart of the counts, as inline SVG (no script, no external library).
fn results_chart(labels: &[String], counts: &[u64]) -> maud::Markup {
    const BAR: u64 = 28;
    const GAP: u64 = 10;
    const LABEL_W: u64 = 200;
    const BAR_W: u64 = 420;
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let total: u64 = counts.iter().sum();
    let height = (BAR + GAP) * counts.len() as u64 + GAP;
    let width = LABEL_W + BAR_W + 120;
    html! {
        svg.results role="img" viewBox={ "0 0 " (width) " " (height) } width=(width) height=(height)
            aria-label={ "Results: " (labels.iter().zip(counts).map(|(l, c)| format!("{l} {c}")).collect::<Vec<_>>().join(", ")) } {
            @for (i, (label, count)) in labels.iter().zip(counts).enumerate() {
                @let y = GAP + i as u64 * (BAR + GAP);
                @let w = count * BAR_W / max;
                @let pct = if total == 0 { 0.0 } else { *count as f64 * 100.0 / total as f64 };
                text x="0" y=(y + BAR * 2 / 3) font-size="14" { (label) }
                rect x=(LABEL_W) y=(y) width=(w.max(1)) height=(BAR) fill="#3b6ea5" {}
                text x=(LABEL_W + w + 8) y=(y + BAR * 2 / 3) font-size="14" { (count) " (" (format!("{pct:.1}")) " %)" }
            }
        }
    }
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
