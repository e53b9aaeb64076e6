//! Chain explorer pages: overview, latest blocks, a block, a transaction, validators, search.
//!
//! Store reads run on the blocking pool (`web::block`), never on an HTTP worker.

use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use weft_chain::{
    Block, BlockHeader, ChainError, CommittedBlock, Hash, Node, ReceiptStatus, TxStatus,
};

use super::html;
use super::layout::{error_page, page, short, time, SECTIONS};

/// Blocks listed on the explorer's front page.
const LATEST_BLOCKS: u64 = 20;
/// Transactions listed on a block page (the count says how many there are).
const BLOCK_TXS_SHOWN: usize = 500;

type NodeData = web::Data<Arc<Node>>;

/// Runs a store read off the HTTP worker; storage failures become a 500 page.
async fn read<T: Send + 'static>(
    node: &NodeData,
    f: impl FnOnce(&Node) -> Result<T, ChainError> + Send + 'static,
) -> Result<T, HttpResponse> {
    let node = Arc::clone(node.get_ref());
    match web::block(move || f(&node)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => {
            tracing::error!(error = %err, "explorer read failed");
            Err(unavailable())
        }
        Err(err) => {
            tracing::error!(error = %err, "explorer read was cancelled");
            Err(unavailable())
        }
    }
}

fn unavailable() -> HttpResponse {
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Unavailable",
        "The node could not read its store. The error is in the node's log.",
    )
}

/// `GET /`: what this node is, and the sections.
pub async fn overview(node: NodeData) -> HttpResponse {
    let status = node.sync_status();
    let validators = match read(&node, |n| n.validators(None)).await {
        Ok(v) => v.len(),
        Err(page) => return page,
    };
    let body = html! {
        p.lead {
            "A consortium chain for decentralised identity and privacy computing: registries, \
             proofs and hashes settle here; data stays with its owners."
        }
        (stats(&status.chain_id, status.latest_height, status.latest_timestamp_ms, validators, status.pool_size))
        div.cards {
            @for (path, label) in SECTIONS {
                a.card href=(path) {
                    h2 { (label) }
                    p { (super::sections::summary(path)) }
                }
            }
        }
    };
    html(StatusCode::OK, page("Overview", "", body))
}

fn stats(chain_id: &str, height: u64, timestamp_ms: u64, validators: usize, pool: usize) -> Markup {
    html! {
        dl.stats {
            div { dt { "Chain" } dd { code { (chain_id) } } }
            div { dt { "Height" } dd #head-height { (height) } }
            div { dt { "Latest block" } dd #head-time { (time(timestamp_ms)) } }
            div { dt { "Validators" } dd { a href="/chain/validators" { (validators) } } }
            div { dt { "Pool" } dd { (pool) " pending" } }
        }
    }
}

/// `GET /chain`: head summary, search, and the latest blocks (kept live by `weft.js`).
pub async fn chain(node: NodeData) -> HttpResponse {
    let status = node.sync_status();
    let head = status.latest_height;
    let result = read(&node, move |n| {
        let validators = n.validators(None)?.len();
        let mut blocks = Vec::new();
        for h in (head.saturating_sub(LATEST_BLOCKS - 1)..=head).rev() {
            if let Some(b) = n.block_by_number(h)? {
                blocks.push(b);
            }
        }
        Ok((validators, blocks))
    })
    .await;
    let (validators, blocks) = match result {
        Ok(r) => r,
        Err(page) => return page,
    };
    let body = html! {
        (stats(&status.chain_id, head, status.latest_timestamp_ms, validators, status.pool_size))
        form.search action="/chain/search" method="get" {
            input type="search" name="q" placeholder="Block height, block hash or transaction hash"
                aria-label="Search the chain" required;
            button type="submit" { "Search" }
        }
        // Shown by weft.js to a signed-in tenant with a custodied key and a role that may sign.
        div.action #send-noop hidden {
            button #noop-button type="button" { "Send a no-op transaction" }
            " "
            span #noop-result role="status" {}
            p.note { "Signed by your organisation's first custodied key through the REST API, with your token." }
        }
        h2 { "Latest blocks " span.live #live-state { "" } }
        table.blocks {
            thead { tr { th { "Height" } th { "Hash" } th { "Transactions" } th { "Time (UTC)" } th { "Proposer" } } }
            tbody #blocks data-live="blocks" data-keep=(LATEST_BLOCKS) {
                @for b in &blocks { (block_row(b)) }
            }
        }
    };
    html(StatusCode::OK, page("Chain", "/chain", body))
}

fn block_row(b: &Block) -> Markup {
    let h = &b.header;
    html! {
        tr data-height=(h.height) {
            td { a href={ "/chain/blocks/" (h.height) } { (h.height) } }
            td { (short(&b.hash().to_string())) }
            td { (b.transactions.len()) }
            td { (time(h.timestamp_ms)) }
            td { (short(&h.proposer.to_string())) }
        }
    }
}

/// `GET /chain/blocks/{height}`.
pub async fn block(node: NodeData, height: web::Path<String>) -> HttpResponse {
    let Ok(height) = height.parse::<u64>() else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Not a block height",
            &format!(
                "{:?} is not a block height (a non-negative integer).",
                height.as_str()
            ),
        );
    };
    let head = node.height();
    if height > head {
        return error_page(
            StatusCode::NOT_FOUND,
            "No such block",
            &format!("There is no block at height {height} yet; the chain is at height {head}."),
        );
    }
    match read(&node, move |n| n.committed_block(height)).await {
        Ok(Some(b)) => html(
            StatusCode::OK,
            page(&format!("Block {height}"), "/chain", block_body(&b, head)),
        ),
        Ok(None) => error_page(
            StatusCode::NOT_FOUND,
            "No such block",
            &format!("This node has no block at height {height}."),
        ),
        Err(page) => page,
    }
}

fn block_body(b: &CommittedBlock, head: u64) -> Markup {
    let block = &b.block;
    let h: &BlockHeader = &block.header;
    let cert = &block.certificate;
    html! {
        p.pager {
            @if h.height > 0 { a href={ "/chain/blocks/" (h.height - 1) } { "← " (h.height - 1) } }
            @if h.height < head { " " a href={ "/chain/blocks/" (h.height + 1) } { (h.height + 1) " →" } }
        }
        dl.fields {
            dt { "Hash" } dd { code { (block.hash()) } }
            dt { "Parent" } dd { code { (h.parent_hash) } }
            dt { "Time (UTC)" } dd { (time(h.timestamp_ms)) }
            dt { "Proposer" } dd { code { (h.proposer) } }
            dt { "Transactions root" } dd { code { (h.transactions_root) } }
            dt { "Receipts root" } dd { code { (h.receipts_root) } }
            dt { "State root" } dd { code { (h.state_root) } }
            dt { "Validators hash" } dd { code { (h.validators_hash) } }
            dt { "Commit" } dd {
                "round " (cert.round) ", " (cert.signatures.len()) " signature(s): "
                @for s in &cert.signatures { (short(&s.validator.address().to_string())) " " }
            }
        }
        h2 { (block.transactions.len()) " transaction(s)" }
        @if block.transactions.len() > BLOCK_TXS_SHOWN {
            p.note { "The first " (BLOCK_TXS_SHOWN) " are listed." }
        }
        @if !block.transactions.is_empty() {
            table {
                thead { tr { th { "#" } th { "Hash" } th { "Sender" } th { "Call" } th { "Result" } } }
                tbody {
                    @for (i, (tx, r)) in block.transactions.iter().zip(&b.receipts).take(BLOCK_TXS_SHOWN).enumerate() {
                        @let hash = tx.hash().to_string();
                        tr {
                            td { (i) }
                            td { a href={ "/chain/tx/" (hash) } { (short(&hash)) } }
                            td { (short(&tx.sender_address().to_string())) }
                            td { code { (tx.tx.call.module) "." (tx.tx.call.method) } }
                            td { (receipt_status(&r.status)) }
                        }
                    }
                }
            }
        }
    }
}

fn receipt_status(status: &ReceiptStatus) -> Markup {
    match status {
        ReceiptStatus::Success => html! { span.ok { "success" } },
        other => html! { span.bad { (format!("{other:?}").to_lowercase()) } },
    }
}

/// `GET /chain/tx/{hash}`.
pub async fn transaction(node: NodeData, hash: web::Path<String>) -> HttpResponse {
    let Ok(hash) = hash.parse::<Hash>() else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Not a transaction hash",
            "A transaction hash is 0x followed by 64 hexadecimal digits.",
        );
    };
    let found = read(&node, move |n| {
        let status = n.tx_status(&hash)?;
        let record = match status {
            TxStatus::Committed { .. } => n.transaction(&hash)?.zip(n.receipt(&hash)?),
            _ => None,
        };
        Ok((status, record))
    })
    .await;
    let (status, record) = match found {
        Ok(r) => r,
        Err(page) => return page,
    };
    let title = "Transaction";
    let body = match (status, record) {
        (TxStatus::Committed { .. }, Some((rec, receipt))) => {
            let tx = &rec.tx.tx;
            html! {
                dl.fields {
                    dt { "Hash" } dd { code { (hash) } }
                    dt { "Status" } dd { (receipt_status(&receipt.status)) }
                    @if let Some(err) = &receipt.error { dt { "Error" } dd.error { (err) } }
                    dt { "Block" } dd { a href={ "/chain/blocks/" (rec.height) } { (rec.height) } ", index " (rec.index) }
                    dt { "Sender" } dd { code { (rec.tx.sender_address()) } }
                    dt { "Nonce" } dd { (tx.nonce) }
                    dt { "Call" } dd { code { (tx.call.module) "." (tx.call.method) } " (" (tx.call.args.len()) " byte(s) of arguments)" }
                }
                h2 { (receipt.events.len()) " event(s)" }
                @for e in &receipt.events {
                    div.event {
                        code { (e.module) "." (e.kind) }
                        @if !e.attributes.is_empty() {
                            dl.attrs { @for (k, v) in &e.attributes { dt { (k) } dd { code { (v) } } } }
                        }
                    }
                }
            }
        }
        (TxStatus::Pending, _) => html! {
            p { code { (hash) } " is in the pool, waiting for a block. This page does not refresh; reload it." }
        },
        (TxStatus::Dropped { reason }, _) => html! {
            p { code { (hash) } " was accepted, then dropped from the pool without being committed." }
            p.error { "Reason: " (reason) }
        },
        _ => {
            return error_page(
                StatusCode::NOT_FOUND,
                "Unknown transaction",
                &format!("This node has never seen a transaction with hash {hash}."),
            )
        }
    };
    html(StatusCode::OK, page(title, "/chain", body))
}

/// `GET /chain/validators`.
pub async fn validators(node: NodeData) -> HttpResponse {
    let set = match read(&node, |n| n.validators(None)).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let total: u64 = set.iter().map(|v| v.power).sum();
    let body = html! {
        p { "The validator set at the head. A block commits with signatures from more than two thirds of the voting power (" (total) " in all)." }
        table {
            thead { tr { th { "Name" } th { "Address" } th { "Public key" } th { "Power" } } }
            tbody {
                @for v in &set {
                    tr { td { (v.name) } td { code { (v.address) } } td { (short(&v.public_key.to_string())) } td { (v.power) } }
                }
            }
        }
    };
    html(StatusCode::OK, page("Validators", "/chain", body))
}

/// Query of `GET /chain/search`.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// `GET /chain/search?q=`: a height goes to its block; a hash to its block or transaction.
pub async fn search(node: NodeData, query: web::Query<SearchQuery>) -> HttpResponse {
    let q = query.q.trim();
    if q.is_empty() {
        return see_other("/chain".to_string());
    }
    if q.bytes().all(|b| b.is_ascii_digit()) {
        return see_other(format!("/chain/blocks/{q}"));
    }
    let Ok(hash) = q.parse::<Hash>() else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Nothing to search for",
            &format!(
                "{q:?} is neither a block height nor a hash (0x followed by 64 hexadecimal digits)."
            ),
        );
    };
    match read(&node, move |n| n.block_by_hash(&hash)).await {
        Ok(Some(b)) => see_other(format!("/chain/blocks/{}", b.header.height)),
        Ok(None) => see_other(format!("/chain/tx/{hash}")),
        Err(page) => page,
    }
}

fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
