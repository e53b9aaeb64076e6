//! The web UI's pages over HTTP: every page renders with the security headers, the explorer
//! follows a transaction into its block, and bad input gets an error page (never a panic, never
//! unescaped input).

mod common;

use common::{raw, TestNode};
use serde_json::json;
use weft_chain::governance::{self, GovernanceCall};

struct Page {
    status: u16,
    content_type: String,
    csp: Option<String>,
    location: Option<String>,
    body: String,
}

async fn get(node: &TestNode, path: &str) -> Page {
    let client = awc::Client::builder().disable_redirects().finish();
    let mut response = client
        .get(format!("{}{path}", node.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let content_type = header("content-type").unwrap_or_default();
    let csp = header("content-security-policy");
    let location = header("location");
    let status = response.status().as_u16();
    let body = response.body().limit(8 << 20).await.unwrap();
    Page {
        status,
        content_type,
        csp,
        location,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

fn assert_html(page: &Page, status: u16, what: &str) {
    assert_eq!(page.status, status, "{what}: {}", page.body);
    assert!(
        page.content_type.starts_with("text/html"),
        "{what}: {}",
        page.content_type
    );
    let csp = page
        .csp
        .as_deref()
        .unwrap_or_else(|| panic!("{what}: no CSP"));
    assert!(csp.contains("script-src 'self'"), "{what}: {csp}");
    for label in [
        "Chain",
        "Identity",
        "Credentials",
        "Verify",
        "PSI",
        "Voting",
    ] {
        assert!(
            page.body.contains(&format!(">{label}</a>")),
            "{what}: nav lacks {label}"
        );
    }
}

#[actix_web::test]
async fn every_page_renders_with_navigation_and_csp() {
    let node = TestNode::start().await;
    for path in [
        "/",
        "/chain",
        "/chain/validators",
        "/chain/blocks/0",
        "/signin",
        "/identity",
        "/credentials",
        "/verify",
        "/psi",
        "/voting",
    ] {
        let page = get(&node, path).await;
        assert_html(&page, 200, path);
    }
    // The active section is marked.
    let chain = get(&node, "/chain").await;
    assert!(
        chain
            .body
            .contains(r#"<a class="active" href="/chain">Chain</a>"#)
            || chain
                .body
                .contains(r#"<a href="/chain" class="active">Chain</a>"#),
        "{}",
        chain.body
    );
    // The genesis block is listed, and the list is marked for live updates.
    assert!(chain.body.contains(r#"data-live="blocks""#));
    assert!(
        chain.body.contains(r#"<tr data-height="0">"#),
        "{}",
        chain.body
    );
    // The validator page lists the single validator with its power.
    let validators = get(&node, "/chain/validators").await;
    assert!(validators.body.contains("validator"), "{}", validators.body);
}

#[actix_web::test]
async fn the_explorer_follows_a_transaction_into_its_block() {
    let node = TestNode::start().await;
    let call = governance::call(GovernanceCall::SetConfig {
        key: "colour".into(),
        value: "teal".into(),
    });
    let tx = node.sign(&node.admin, 0, call);
    let hash = node.call("sendTransaction", json!([raw(&tx)])).await;
    let receipt = node.wait_receipt(&hash).await;
    let height = receipt["height"].as_u64().unwrap();
    let hash = hash.as_str().unwrap().to_string();

    let block = get(&node, &format!("/chain/blocks/{height}")).await;
    assert_html(&block, 200, "block page");
    assert!(block.body.contains("1 transaction(s)"), "{}", block.body);
    assert!(
        block.body.contains(&format!(r#"href="/chain/tx/{hash}""#)),
        "{}",
        block.body
    );
    assert!(
        block.body.contains("governance.set_config"),
        "{}",
        block.body
    );

    let page = get(&node, &format!("/chain/tx/{hash}")).await;
    assert_html(&page, 200, "transaction page");
    assert!(page.body.contains("success"), "{}", page.body);
    assert!(page
        .body
        .contains(&format!(r#"href="/chain/blocks/{height}""#)));
    assert!(page.body.contains(&node.admin.address().to_string()));

    // Search: a height, a block hash and a transaction hash each lead to their page.
    let by_height = get(&node, &format!("/chain/search?q={height}")).await;
    assert_eq!(by_height.status, 303);
    assert_eq!(
        by_height.location.as_deref(),
        Some(format!("/chain/blocks/{height}").as_str())
    );
    let block_hash = receipt_block_hash(&node, height).await;
    let by_block = get(&node, &format!("/chain/search?q={block_hash}")).await;
    assert_eq!(
        by_block.location.as_deref(),
        Some(format!("/chain/blocks/{height}").as_str())
    );
    let by_tx = get(&node, &format!("/chain/search?q=%20{hash}%20")).await;
    assert_eq!(
        by_tx.location.as_deref(),
        Some(format!("/chain/tx/{hash}").as_str())
    );
}

async fn receipt_block_hash(node: &TestNode, height: u64) -> String {
    let block = node.call("getBlockByNumber", json!([height])).await;
    block["hash"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn bad_input_gets_an_error_page() {
    let node = TestNode::start().await;
    let cases = [
        ("/chain/blocks/abc", 400, "not a block height"),
        ("/chain/blocks/-1", 400, "not a block height"),
        (
            "/chain/blocks/99999999999999999999999",
            400,
            "not a block height",
        ),
        ("/chain/blocks/1000000", 404, "no block at height 1000000"),
        ("/chain/tx/0x12", 400, "64 hexadecimal digits"),
        (
            "/chain/tx/0x0000000000000000000000000000000000000000000000000000000000000000",
            404,
            "never seen",
        ),
        (
            "/chain/search?q=hello",
            400,
            "neither a block height nor a hash",
        ),
    ];
    for (path, status, text) in cases {
        let page = get(&node, path).await;
        assert_html(&page, status, path);
        assert!(
            page.body.to_lowercase().contains(&text.to_lowercase()),
            "{path}: {}",
            page.body
        );
    }
    // Input is escaped, never echoed as markup.
    let page = get(&node, "/chain/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert_eq!(page.status, 400);
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(page.body.contains("&lt;script&gt;alert"), "{}", page.body);
    // An empty search goes back to the explorer.
    let empty = get(&node, "/chain/search?q=").await;
    assert_eq!(empty.status, 303);
    assert_eq!(empty.location.as_deref(), Some("/chain"));
}

#[actix_web::test]
async fn assets_are_served_with_types() {
    let node = TestNode::start().await;
    let css = get(&node, "/assets/weft.css").await;
    assert_eq!(css.status, 200);
    assert!(css.content_type.starts_with("text/css"));
    let js = get(&node, "/assets/weft.js").await;
    assert_eq!(js.status, 200);
    assert!(js.content_type.starts_with("text/javascript"));
    // The script never writes network data as markup.
    assert!(!js.body.contains("innerHTML"));
    assert_eq!(get(&node, "/assets/missing.js").await.status, 404);
}

#[actix_web::test]
async fn unknown_pages_get_the_ui_error_page() {
    let node = TestNode::start().await;
    for path in [
        "/no-such-page",
        "/chain/blocks",
        "/identity/x/y/z",
        "/healthz/x",
    ] {
        let page = get(&node, path).await;
        assert_html(&page, 404, path);
        assert!(
            page.body.contains("Page not found"),
            "{path}: {}",
            page.body
        );
        assert!(page.body.contains(path), "{path}: {}", page.body);
    }
    // The path is escaped, never echoed as markup.
    let page = get(&node, "/%3Cscript%3Ealert(1)%3C/script%3E").await;
    assert_html(&page, 404, "script path");
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    // Paths under /api/ keep their problem document.
    for path in ["/api/v1/no-such-route", "/api/nope", "/api"] {
        let page = get(&node, path).await;
        assert_eq!(page.status, 404, "{path}");
        assert_eq!(page.content_type, "application/problem+json", "{path}");
        let problem: serde_json::Value = serde_json::from_str(&page.body).unwrap();
        assert_eq!(problem["code"], "not_found", "{path}: {problem}");
    }
    // Machine endpoints keep an empty 404 for unknown paths under them.
    for path in [
        "/p2p/nope",
        "/p2p",
        "/ws/x",
        "/rpc/x",
        "/psi/peer/x",
        "/psi/oprf/x",
    ] {
        let page = get(&node, path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(page.body.is_empty(), "{path}: {}", page.body);
    }
    // A known resource asked with another method is still 405 problem+json with Allow.
    let rpc = get(&node, "/rpc").await;
    assert_eq!(rpc.status, 405);
    assert_eq!(rpc.content_type, "application/problem+json");
}

#[actix_web::test]
async fn unknown_pages_beside_the_rest_api() {
    use weft_api::testkit::{Platform, PlatformOptions};
    let p = Platform::start(PlatformOptions {
        ui: true,
        ..PlatformOptions::default()
    })
    .await
    .unwrap();
    let page = p.get("/no-such-page").await;
    assert_eq!(page.status, 404, "{}", page.text);
    assert!(page.content_type.starts_with("text/html"), "{page:?}");
    assert!(page.text.contains("Page not found"), "{}", page.text);
    p.get("/api/v1/no-such-route")
        .await
        .problem(404, "not_found");
    p.get("/api/no-such-route").await.problem(404, "not_found");
    // The peer endpoints answer as before: 405 for GET on the resource, empty 404 below it.
    let peer = p.get("/psi/peer").await;
    assert_eq!(peer.status, 405, "{}", peer.text);
    assert_eq!(peer.content_type, "application/problem+json");
    let below = p.get("/psi/peer/x").await;
    assert_eq!(below.status, 404);
    assert!(below.text.is_empty(), "{}", below.text);
    // Pages of the UI and the API still answer.
    assert_eq!(p.get("/chain").await.status, 200);
    p.get("/api/v1/chain/head").await.ok(200);
}

#[actix_web::test]
async fn the_did_page_shows_a_registered_did_and_refuses_an_unknown_one() {
    use weft_did::registry::DidCall;
    let node = TestNode::start().await;
    let call = DidCall::Create {
        public_key: node.admin.public_key(),
        services: vec![],
    }
    .call();
    let tx = node.sign(&node.admin, 0, call);
    let hash = node.call("sendTransaction", json!([raw(&tx)])).await;
    let receipt = node.wait_receipt(&hash).await;
    assert_eq!(receipt["status"], "Success", "{receipt}");
    let did = weft_did::Did::weft(&node.chain_id, node.admin.address()).to_string();

    let page = get(&node, &format!("/identity/did?did={did}")).await;
    assert_html(&page, 200, "DID page");
    assert!(page.body.contains(&format!("{did}#key-1")), "{}", page.body);
    let old = get(&node, &format!("/identity/did?did={did}&version=1")).await;
    assert_html(&old, 200, "DID page at version 1");

    let unknown = weft_did::Did::weft(&node.chain_id, weft_chain::Keypair::generate().address());
    let missing = get(&node, &format!("/identity/did?did={unknown}")).await;
    assert_html(&missing, 404, "unknown DID");
    assert!(missing.body.contains("No such DID"), "{}", missing.body);
}
