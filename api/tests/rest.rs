//! The REST API over HTTP, against both store backends: SQLite always, PostgreSQL when
//! `DATABASE_URL` is set (required when `CI=true`; each test gets its own schema).
//!
//! Covers: auth (missing, wrong, revoked, wrong-role tokens → 401/403 problem+json), tenant
//! isolation of custodied keys, 413/400/415/404/405 problem documents, custodial and client-signed
//! transactions with receipts, chain reads, rate limits, secrets never echoed, health, metrics,
//! the OpenAPI document and Swagger UI.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::oneshot;
use weft_api::rate_limit::{Rate, RateLimits};
use weft_api::rest::{self, ApiConfig};
use weft_api::rpc::RpcLimits;
use weft_api::server::{serve, AppBuilder, ServeOptions};
use weft_api::ws::WsConfig;
use weft_chain::governance::{self, GovernanceCall};
use weft_chain::{Keypair, Node, SingleValidator, SingleValidatorHandle, Transaction};
use weft_service::node_home::{read_key_file, NodeHome};
use weft_service::platform;
use weft_service::store::{sqlite_url, Store};

/// A database for one test.
struct TestDb {
    url: String,
    label: &'static str,
    /// Postgres: (admin URL, schema) to drop afterwards.
    cleanup: Option<(String, String)>,
}

/// SQLite always; PostgreSQL when DATABASE_URL is set (mandatory in CI).
async fn databases(dir: &std::path::Path) -> Vec<TestDb> {
    let mut out = vec![TestDb {
        url: sqlite_url(&dir.join("api.db")),
        label: "sqlite",
        cleanup: None,
    }];
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let schema = format!("t_{}", hex::encode(rand::random::<[u8; 8]>()));
            create_schema(&url, &schema).await;
            let sep = if url.contains('?') { '&' } else { '?' };
            out.push(TestDb {
                url: format!("{url}{sep}options=-c%20search_path%3D{schema}"),
                label: "postgres",
                cleanup: Some((url, schema)),
            });
        }
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!(
                "CI=true but DATABASE_URL is not a postgres:// URL: the PostgreSQL tests must run"
            )
        }
        _ => eprintln!("DATABASE_URL unset: skipping the PostgreSQL side of this test"),
    }
    out
}

async fn create_schema(url: &str, schema: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .expect("connect to DATABASE_URL");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

async fn drop_schema(url: &str, schema: &str) {
    use sqlx::Connection;
    if let Ok(mut conn) = sqlx::PgConnection::connect(url).await {
        let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
    }
}

struct Api {
    base: String,
    http: awc::Client,
    admin_token: String,
    admin_seed_hex: String,
    chain_id: String,
    stop: Option<oneshot::Sender<()>>,
    validator: Option<SingleValidatorHandle>,
    _node: Arc<Node>,
}

impl Drop for Api {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(v) = self.validator.take() {
            v.shutdown();
        }
    }
}

struct Reply {
    status: u16,
    content_type: String,
    headers: awc::http::header::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    /// Asserts a problem+json answer with `status` and `code`; returns it.
    fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        assert!(
            self.content_type.starts_with("application/problem+json"),
            "{} {}",
            self.content_type,
            self.text
        );
        let p = self.json();
        assert_eq!(p["code"], code, "{p}");
        assert_eq!(p["status"], status, "{p}");
        assert_eq!(p["type"], format!("urn:weft:problem:{code}"));
        assert!(p["title"].is_string() && p["detail"].is_string());
        p
    }
}

impl Api {
    async fn start(dir: &std::path::Path, db: &TestDb, config: ApiConfig) -> Api {
        let home = NodeHome::new(dir.join("data"));
        let contents = home.init_or_load().unwrap();
        let operator_key = read_key_file(&home.admin_key_path()).unwrap();
        let admin_seed_hex = hex::encode(operator_key.to_seed().as_slice());
        let node = Node::open(
            home.node_config(),
            contents.genesis.clone(),
            weft_service::modules::registry(),
        )
        .unwrap();
        let validator = SingleValidator::spawn(node.clone(), contents.validator);
        let master = weft_service::keystore::MasterKey::random().unwrap();
        let (state, boot) =
            weft_api::rest::ApiState::start(node.clone(), &db.url, &master, &operator_key, config)
                .await
                .unwrap();
        let admin_token = boot.admin_token.as_ref().expect("first start").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let app = AppBuilder::new(node.clone())
            .with_node_interface(RpcLimits::default(), WsConfig::default())
            .group(move |cfg| rest::configure(cfg, state.clone()));
        let options = ServeOptions {
            workers: Some(1),
            shutdown_timeout: Duration::from_secs(1),
        };
        actix_web::rt::spawn(serve(listener, app, options, async move {
            let _ = stopped.await;
        }));
        Api {
            base,
            http: awc::Client::builder()
                .timeout(Duration::from_secs(30))
                .disable_redirects()
                .finish(),
            admin_token,
            admin_seed_hex,
            chain_id: contents.genesis.chain_id.clone(),
            stop: Some(stop),
            validator: Some(validator),
            _node: node,
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> Reply {
        let mut request = self.http.request(
            awc::http::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", self.base),
        );
        if let Some(token) = token {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        let mut response = match body {
            Some((content_type, bytes)) => request
                .insert_header(("Content-Type", content_type))
                .send_body(bytes)
                .await
                .unwrap(),
            None => request.send().await.unwrap(),
        };
        let bytes = response.body().limit(16 << 20).await.unwrap();
        Reply {
            status: response.status().as_u16(),
            content_type: response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
            headers: response.headers().clone(),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send("GET", path, token, None).await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.send(
            "POST",
            path,
            token,
            Some(("application/json", body.to_string().into_bytes())),
        )
        .await
    }

    /// Creates a token; returns (token, token_id).
    async fn token(&self, tenant: &str, roles: &[&str]) -> (String, String) {
        let reply = self
            .post(
                "/api/v1/tokens",
                Some(&self.admin_token),
                json!({"tenant": tenant, "roles": roles, "label": "test"}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        let v = reply.json();
        (
            v["token"].as_str().unwrap().to_string(),
            v["token_id"].as_str().unwrap().to_string(),
        )
    }
}

fn noop_call() -> Value {
    serde_json::to_value(governance::call(GovernanceCall::Noop)).unwrap()
}

/// Runs `test` against every backend, each on a fresh node and database.
async fn each_backend<F, Fut>(config: ApiConfig, test: F)
where
    F: Fn(Api, &'static str) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    for (i, db) in databases(dir.path()).await.into_iter().enumerate() {
        let sub = dir.path().join(format!("b{i}"));
        std::fs::create_dir_all(&sub).unwrap();
        let api = Api::start(&sub, &db, config.clone()).await;
        tokio::time::timeout(Duration::from_secs(120), test(api, db.label))
            .await
            .unwrap_or_else(|_| panic!("{}: test timed out", db.label));
        if let Some((url, schema)) = &db.cleanup {
            drop_schema(url, schema).await;
        }
    }
}

#[actix_web::test]
async fn tokens_missing_wrong_revoked_and_wrong_role() {
    each_backend(ApiConfig::default(), |api, backend| async move {
        // Missing.
        let r = api.get("/api/v1/auth/whoami", None).await;
        r.problem(401, "unauthorized");
        assert_eq!(r.headers.get("www-authenticate").unwrap(), "Bearer");
        // Wrong (well-formed but unknown, and malformed).
        let wrong = format!("weft_{}", "00".repeat(32));
        api.get("/api/v1/auth/whoami", Some(&wrong))
            .await
            .problem(401, "unauthorized");
        api.get("/api/v1/auth/whoami", Some("nonsense"))
            .await
            .problem(401, "unauthorized");
        let r = api.send("GET", "/api/v1/auth/whoami", None, None).await;
        r.problem(401, "unauthorized");

        // The bootstrap admin.
        let me = api.get("/api/v1/auth/whoami", Some(&api.admin_token)).await;
        assert_eq!(me.status, 200, "{backend}: {}", me.text);
        let me = me.json();
        assert_eq!(me["tenant"], "operator");
        assert_eq!(me["roles"], json!(["admin"]));
        assert!(me["token_id"].as_str().unwrap().starts_with("tok_"));

        // A holder of tenant acme: may read whoami, may not create tokens or sign.
        let (holder, holder_id) = api.token("acme", &["holder"]).await;
        let me = api.get("/api/v1/auth/whoami", Some(&holder)).await.json();
        assert_eq!(me["tenant"], "acme");
        assert_eq!(me["roles"], json!(["holder"]));
        assert_eq!(me["token_id"], holder_id.as_str());
        api.post("/api/v1/tokens", Some(&holder), json!({"roles": ["admin"]}))
            .await
            .problem(403, "forbidden");
        api.post(
            "/api/v1/transactions",
            Some(&holder),
            json!({"key_id": "k", "call": noop_call()}),
        )
        .await
        .problem(403, "forbidden");
        api.get("/api/v1/tokens", Some(&holder))
            .await
            .problem(403, "forbidden");

        // An acme admin may not create tokens for another tenant or list them.
        let (acme_admin, _) = api.token("acme", &["admin"]).await;
        api.post(
            "/api/v1/tokens",
            Some(&acme_admin),
            json!({"tenant": "globex", "roles": ["admin"]}),
        )
        .await
        .problem(403, "forbidden");
        api.get("/api/v1/tokens?tenant=operator", Some(&acme_admin))
            .await
            .problem(403, "forbidden");
        let listed = api.get("/api/v1/tokens", Some(&acme_admin)).await.json();
        assert!(listed
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["tenant"] == "acme"));
        // ... nor revoke another tenant's token.
        let admin_id = api
            .get("/api/v1/auth/whoami", Some(&api.admin_token))
            .await
            .json()["token_id"]
            .as_str()
            .unwrap()
            .to_string();
        api.send(
            "DELETE",
            &format!("/api/v1/tokens/{admin_id}"),
            Some(&acme_admin),
            None,
        )
        .await
        .problem(403, "forbidden");
        // The operator's token list never shows secrets.
        let all = api.get("/api/v1/tokens", Some(&api.admin_token)).await;
        assert_eq!(all.status, 200);
        assert!(!all.text.contains(&holder) && !all.text.contains(&api.admin_token));
        assert!(!all.text.contains("token_hash"));

        // Revocation takes effect at once; revoking twice is 404.
        let r = api
            .send(
                "DELETE",
                &format!("/api/v1/tokens/{holder_id}"),
                Some(&acme_admin),
                None,
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.text);
        let r = api.get("/api/v1/auth/whoami", Some(&holder)).await;
        let p = r.problem(401, "unauthorized");
        assert!(p["detail"].as_str().unwrap().contains("revoked"));
        assert!(!r.text.contains(&holder), "the token is never echoed");
        api.send(
            "DELETE",
            &format!("/api/v1/tokens/{holder_id}"),
            Some(&acme_admin),
            None,
        )
        .await
        .problem(404, "not_found");
        // Bad role names are malformed JSON for the schema.
        api.post(
            "/api/v1/tokens",
            Some(&api.admin_token),
            json!({"tenant": "acme", "roles": ["root"]}),
        )
        .await
        .problem(400, "malformed_json");
    })
    .await;
}

#[actix_web::test]
async fn custodied_keys_are_tenant_bound_and_never_returned() {
    each_backend(ApiConfig::default(), |api, _| async move {
        let (acme, _) = api.token("acme", &["admin"]).await;
        let (globex, _) = api.token("globex", &["admin", "issuer"]).await;
        let r = api
            .post(
                "/api/v1/keys",
                Some(&acme),
                json!({"key_id": "signer", "label": "main"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let key = r.json();
        assert!(key["address"].as_str().unwrap().starts_with("0x"));
        assert_eq!(
            key.as_object().unwrap().keys().collect::<Vec<_>>(),
            vec!["address", "created_ms", "key_id", "label", "public_key"]
        );
        api.post("/api/v1/keys", Some(&acme), json!({"key_id": "signer"}))
            .await
            .problem(409, "conflict");
        api.post("/api/v1/keys", Some(&acme), json!({"key_id": "bad id/"}))
            .await
            .problem(400, "invalid_request");

        // globex cannot see or use acme's key (404, as if it did not exist).
        let listed = api.get("/api/v1/keys", Some(&globex)).await.json();
        assert_eq!(listed, json!([]));
        api.post(
            "/api/v1/transactions",
            Some(&globex),
            json!({"key_id": "signer", "call": noop_call()}),
        )
        .await
        .problem(404, "not_found");

        // acme uses it.
        let r = api
            .post(
                "/api/v1/transactions",
                Some(&acme),
                json!({"key_id": "signer", "call": noop_call()}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["status"], "success");

        // The operator's key listing shows the genesis admin, never its seed.
        let ops = api.get("/api/v1/keys", Some(&api.admin_token)).await;
        assert_eq!(ops.status, 200);
        assert!(ops.text.contains("\"admin\""));
        assert!(!ops.text.contains(&api.admin_seed_hex));
        for field in ["nonce", "ciphertext", "seed", "secret"] {
            assert!(!ops.text.contains(field), "{field} in {}", ops.text);
        }
    })
    .await;
}

#[actix_web::test]
async fn transactions_receipts_and_chain_reads() {
    each_backend(ApiConfig::default(), |api, _| async move {
        // Governance noop signed with the operator's custodied key.
        let r = api
            .post(
                "/api/v1/transactions",
                Some(&api.admin_token),
                json!({"key_id": "admin", "call": noop_call()}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let outcome = r.json();
        assert_eq!(outcome["status"], "success");
        let height = outcome["height"].as_u64().unwrap();
        assert!(height >= 1);
        let hash = outcome["tx_hash"].as_str().unwrap().to_string();
        assert!(outcome.get("error").is_none());

        // A failing module call: set_config by a key outside the committee.
        let (acme, _) = api.token("acme", &["admin"]).await;
        api.post("/api/v1/keys", Some(&acme), json!({"key_id": "k"}))
            .await;
        let call = governance::call(GovernanceCall::SetConfig {
            key: "x".into(),
            value: "y".into(),
        });
        let r = api
            .post(
                "/api/v1/transactions",
                Some(&acme),
                json!({"key_id": "k", "call": call}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let failed = r.json();
        assert_eq!(failed["status"], "failed", "{failed}");
        let error = &failed["error"];
        assert_eq!(error["kind"], "unauthorized", "{failed}");
        assert_eq!(error["code"], "unauthorized", "{failed}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));

        // Client-signed, hex and base64.
        let key = Keypair::generate();
        for (nonce, encode) in [(0u64, true), (1, false)] {
            let tx = Transaction {
                chain_id: api.chain_id.clone(),
                sender: key.public_key(),
                nonce,
                call: governance::call(GovernanceCall::Noop),
            }
            .sign(&key);
            let raw = if encode {
                format!("0x{}", hex::encode(tx.encode()))
            } else {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.encode(tx.encode())
            };
            let r = api
                .post(
                    "/api/v1/transactions/signed",
                    Some(&acme),
                    json!({"transaction": raw}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.json()["tx_hash"], tx.hash().to_string());
        }
        // Replay: rejected with the node's reason.
        let replay = Transaction {
            chain_id: api.chain_id.clone(),
            sender: key.public_key(),
            nonce: 0,
            call: governance::call(GovernanceCall::Noop),
        }
        .sign(&key);
        let p = api
            .post(
                "/api/v1/transactions/signed",
                Some(&acme),
                json!({"transaction": format!("0x{}", hex::encode(replay.encode()))}),
            )
            .await
            .problem(422, "tx_rejected");
        assert!(p["reason"].is_string());
        api.post(
            "/api/v1/transactions/signed",
            Some(&acme),
            json!({"transaction": "0x1234"}),
        )
        .await
        .problem(400, "invalid_request");
        api.post(
            "/api/v1/transactions/signed",
            None,
            json!({"transaction": "0x1234"}),
        )
        .await
        .problem(401, "unauthorized");

        // Chain reads, no token.
        let head = api.get("/api/v1/chain/head", None).await.json();
        assert_eq!(head["chain_id"], api.chain_id);
        assert!(head["height"].as_u64().unwrap() >= height);
        let tx = api
            .get(&format!("/api/v1/chain/transactions/{hash}"), None)
            .await;
        assert_eq!(tx.status, 200, "{}", tx.text);
        let tx = tx.json();
        assert_eq!(tx["status"], "committed");
        assert_eq!(tx["height"], height);
        assert_eq!(tx["receipt"]["status"], "success");
        assert_eq!(tx["transaction"]["module"], "governance");
        assert_eq!(tx["transaction"]["method"], "noop");
        let block = api
            .get(&format!("/api/v1/chain/blocks/{height}"), None)
            .await
            .json();
        assert!(block["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["hash"] == hash.as_str()));
        let page = api.get("/api/v1/chain/blocks?limit=2", None).await.json();
        let blocks = page["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), 2);
        assert!(blocks[0]["height"].as_u64() > blocks[1]["height"].as_u64());
        let before = page["next_before"].as_u64().unwrap();
        let older = api
            .get(
                &format!("/api/v1/chain/blocks?limit=100&before={before}"),
                None,
            )
            .await
            .json();
        let older = older["blocks"].as_array().unwrap();
        assert_eq!(older[0]["height"].as_u64().unwrap(), before - 1);
        assert_eq!(older.last().unwrap()["height"], 0);
        let recent = api.get("/api/v1/chain/transactions?limit=3", None).await;
        assert_eq!(recent.status, 200, "{}", recent.text);
        let recent = recent.json();
        let items = recent["transactions"].as_array().unwrap();
        assert!(items.len() >= 3, "{recent}");
        assert!(items
            .iter()
            .all(|t| t["hash"].is_string() && t["height"].is_u64()));
        let all = api
            .get("/api/v1/chain/transactions?limit=100", None)
            .await
            .json();
        assert!(all["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["hash"] == hash.as_str()));
        assert!(all.get("next_before").is_none(), "{all}");
        let validators = api.get("/api/v1/chain/validators", None).await.json();
        assert_eq!(validators.as_array().unwrap().len(), 1);

        // Not found, bad paths and queries: problem+json.
        api.get("/api/v1/chain/blocks/999999", None)
            .await
            .problem(404, "not_found");
        api.get("/api/v1/chain/blocks/abc", None)
            .await
            .problem(400, "invalid_request");
        api.get("/api/v1/chain/blocks?limit=0", None)
            .await
            .problem(400, "invalid_request");
        api.get("/api/v1/chain/blocks?limit=x", None)
            .await
            .problem(400, "invalid_request");
        api.get(
            &format!("/api/v1/chain/transactions/0x{}", "00".repeat(32)),
            None,
        )
        .await
        .problem(404, "not_found");
        api.get("/api/v1/chain/transactions/zz", None)
            .await
            .problem(400, "invalid_request");
        api.get("/api/v1/nothing/here", None)
            .await
            .problem(404, "not_found");
        // 405 names the allowed methods (RFC 9110 §15.5.6), under /api/v1 and at the root.
        let r = api.send("PUT", "/api/v1/chain/head", None, None).await;
        r.problem(405, "method_not_allowed");
        assert_eq!(r.headers.get("allow").unwrap(), "GET");
        let r = api.send("DELETE", "/api/v1/tokens", None, None).await;
        r.problem(405, "method_not_allowed");
        let allow = r
            .headers
            .get("allow")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
        let r = api.send("GET", "/credentials/verify", None, None).await;
        r.problem(405, "method_not_allowed");
        assert_eq!(r.headers.get("allow").unwrap(), "POST");
    })
    .await;
}

#[actix_web::test]
async fn bodies_oversized_malformed_and_mistyped() {
    let config = ApiConfig {
        max_body_bytes: 1024,
        ..ApiConfig::default()
    };
    each_backend(config, |api, _| async move {
        let token = Some(api.admin_token.as_str());
        let big = json!({"key_id": "admin", "call": {"module": "x".repeat(2000), "method": "m", "args": "0x"}});
        api.post("/api/v1/transactions", token, big)
            .await
            .problem(413, "payload_too_large");

        let r = api
            .send(
                "POST",
                "/api/v1/transactions",
                token,
                Some(("application/json", b"{\n  \"key_id\": \"admin\",\n  \"call\": {,}\n}".to_vec())),
            )
            .await;
        let p = r.problem(400, "malformed_json");
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.contains("line 3") && detail.contains("column"), "{detail}");

        let r = api
            .post(
                "/api/v1/transactions",
                token,
                json!({"key_id": "admin", "call": {"module": "governance", "method": 7, "args": "0x00"}}),
            )
            .await;
        let p = r.problem(400, "malformed_json");
        assert!(p["detail"].as_str().unwrap().contains("call.method"), "{p}");

        api.post("/api/v1/transactions", token, json!({"key_id": "admin"}))
            .await
            .problem(400, "malformed_json");
        api.send(
            "POST",
            "/api/v1/transactions",
            token,
            Some(("text/plain", b"{}".to_vec())),
        )
        .await
        .problem(415, "unsupported_media_type");
    })
    .await;
}

#[actix_web::test]
async fn rate_limits_answer_429_with_retry_after() {
    let config = ApiConfig {
        rate_limits: RateLimits {
            per_ip: Rate::UNLIMITED,
            per_token: Rate {
                per_second: 0.5,
                burst: 2.0,
            },
        },
        ..ApiConfig::default()
    };
    each_backend(config, |api, _| async move {
        let token = Some(api.admin_token.as_str());
        for _ in 0..2 {
            assert_eq!(api.get("/api/v1/auth/whoami", token).await.status, 200);
        }
        let r = api.get("/api/v1/auth/whoami", token).await;
        r.problem(429, "rate_limited");
        let retry: u64 = r
            .headers
            .get("retry-after")
            .unwrap()
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=2).contains(&retry));
        // Public reads are not limited per token.
        assert_eq!(api.get("/api/v1/chain/head", None).await.status, 200);
    })
    .await;

    let config = ApiConfig {
        rate_limits: RateLimits {
            per_ip: Rate {
                per_second: 0.5,
                burst: 3.0,
            },
            per_token: Rate::UNLIMITED,
        },
        ..ApiConfig::default()
    };
    each_backend(config, |api, _| async move {
        for _ in 0..3 {
            assert_eq!(api.get("/api/v1/chain/head", None).await.status, 200);
        }
        api.get("/api/v1/chain/head", None)
            .await
            .problem(429, "rate_limited");
    })
    .await;
}

#[actix_web::test]
async fn health_metrics_openapi_and_docs() {
    each_backend(ApiConfig::default(), |api, backend| async move {
        let h = api.get("/healthz", None).await;
        assert_eq!(h.status, 200);
        assert_eq!(h.json()["status"], "ok");
        let r = api.get("/readyz", None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["database"], backend);

        api.get("/api/v1/chain/head", None).await;
        let m = api.get("/metrics", None).await;
        assert_eq!(m.status, 200);
        assert!(m.text.contains("weft_chain_height"), "{}", m.text);
        assert!(
            m.text.contains("route=\"/api/v1/chain/head\""),
            "{}",
            m.text
        );
        assert!(m.text.contains("weft_http_request_duration_seconds_bucket"));

        let doc = api.get("/api/openapi.json", None).await;
        assert_eq!(doc.status, 200);
        let doc = doc.json();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for path in [
            "/api/v1/auth/whoami",
            "/api/v1/chain/head",
            "/api/v1/chain/blocks",
            "/api/v1/chain/blocks/{height}",
            "/api/v1/chain/transactions/{hash}",
            "/api/v1/chain/validators",
            "/api/v1/transactions",
            "/api/v1/transactions/signed",
            "/api/v1/tokens",
            "/api/v1/keys",
        ] {
            assert!(doc["paths"].get(path).is_some(), "{path} missing");
        }
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
        // Saved for the CI validator (`.ci/run` runs openapi-spec-validator on it).
        let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/openapi.json");
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        std::fs::write(&out, serde_json::to_string_pretty(&doc).unwrap()).unwrap();

        let redirect = api.get("/api/docs", None).await;
        assert_eq!(redirect.status, 308);
        assert_eq!(redirect.headers.get("location").unwrap(), "/api/docs/");
        let ui = api.get("/api/docs/", None).await;
        assert_eq!(ui.status, 200, "{}", ui.text);
        assert!(ui.text.to_lowercase().contains("swagger"));
    })
    .await;
}

#[actix_web::test]
async fn store_migrations_are_idempotent_and_conflicts_detected() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases(dir.path()).await {
        let store = Store::connect(&db.url).await.unwrap();
        let again = Store::connect(&db.url).await.unwrap();
        let ks = weft_service::keystore::Keystore::new(
            &weft_service::keystore::MasterKey::random().unwrap(),
        );
        let sealed = ks.seal("t", "k", "", &Keypair::generate()).unwrap();
        store.insert_key(&sealed).await.unwrap();
        assert!(matches!(
            again.insert_key(&sealed).await,
            Err(weft_service::store::StoreError::Conflict)
        ));
        let loaded = again.key("t", "k").await.unwrap().unwrap();
        assert_eq!(loaded, sealed);
        assert!(ks.open(&loaded).is_ok());
        assert!(again.key("other", "k").await.unwrap().is_none());
        store.close().await;
        again.close().await;
        if let Some((url, schema)) = &db.cleanup {
            drop_schema(url, schema).await;
        }
    }
}

#[actix_web::test]
async fn restart_keeps_tokens_and_another_master_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases(dir.path()).await {
        let home = NodeHome::new(dir.path().join(format!("data-{}", db.label)));
        let contents = home.init_or_load().unwrap();
        let operator_key = read_key_file(&home.admin_key_path()).unwrap();
        let node = Node::open(
            home.node_config(),
            contents.genesis.clone(),
            weft_service::modules::registry(),
        )
        .unwrap();
        let master = weft_service::keystore::MasterKey::random().unwrap();
        let (state, boot) = weft_api::rest::ApiState::start(
            node.clone(),
            &db.url,
            &master,
            &operator_key,
            ApiConfig::default(),
        )
        .await
        .unwrap();
        let token = boot
            .admin_token
            .clone()
            .expect("first start creates a token");
        state.store.close().await;
        // Second start: same master key; no new token, the old one still works.
        let (state, boot) = weft_api::rest::ApiState::start(
            node.clone(),
            &db.url,
            &master,
            &operator_key,
            ApiConfig::default(),
        )
        .await
        .unwrap();
        assert!(boot.admin_token.is_none());
        let who = weft_api::auth::authenticate(&state.store, &token)
            .await
            .unwrap();
        assert_eq!(who.tenant, "operator");
        state.store.close().await;
        // Another master key cannot open the custodied keys: refused at start.
        let other = weft_service::keystore::MasterKey::random().unwrap();
        let err = weft_api::rest::ApiState::start(
            node.clone(),
            &db.url,
            &other,
            &operator_key,
            ApiConfig::default(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, platform::PlatformError::WrongMasterKey),
            "{err}"
        );
        if let Some((url, schema)) = &db.cleanup {
            drop_schema(url, schema).await;
        }
    }
}

#[actix_web::test]
async fn concurrent_custodial_transactions_get_consecutive_nonces() {
    each_backend(ApiConfig::default(), |api, _| async move {
        let sends = (0..6).map(|_| {
            api.post(
                "/api/v1/transactions",
                Some(&api.admin_token),
                json!({"key_id": "admin", "call": noop_call()}),
            )
        });
        let replies = futures_util::future::join_all(sends).await;
        let mut hashes = std::collections::HashSet::new();
        for r in &replies {
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.json()["status"], "success");
            hashes.insert(r.json()["tx_hash"].as_str().unwrap().to_string());
        }
        assert_eq!(hashes.len(), 6);
    })
    .await;
}

/// Lock-out: the last admin token of the operator tenant cannot be revoked (409
/// `last_admin_token`), on every backend; with a second admin token the first can go, and then
/// the second is the last. Other tenants' admins are not protected (the operator can always make
/// new ones).
#[actix_web::test]
async fn last_operator_admin_token_cannot_be_revoked() {
    each_backend(ApiConfig::default(), |api, backend| async move {
        let admin_id = api
            .get("/api/v1/auth/whoami", Some(&api.admin_token))
            .await
            .json()["token_id"]
            .as_str()
            .unwrap()
            .to_string();
        let p = api
            .send(
                "DELETE",
                &format!("/api/v1/tokens/{admin_id}"),
                Some(&api.admin_token),
                None,
            )
            .await
            .problem(409, "last_admin_token");
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains("weft token create --admin"),
            "{backend}: {p}"
        );
        // Still usable.
        assert_eq!(
            api.get("/api/v1/auth/whoami", Some(&api.admin_token))
                .await
                .status,
            200
        );
        // Tokens made before the bootstrap admin goes.
        let (_, verifier_id) = api.token("operator", &["verifier"]).await;
        let (_, acme_admin_id) = api.token("acme", &["admin"]).await;
        // A second operator admin (with another role too): the first may go, then the second
        // is the last.
        let (second, second_id) = api.token("operator", &["issuer", "admin"]).await;
        let r = api
            .send(
                "DELETE",
                &format!("/api/v1/tokens/{admin_id}"),
                Some(&second),
                None,
            )
            .await;
        assert_eq!(r.status, 204, "{backend}: {}", r.text);
        api.get("/api/v1/auth/whoami", Some(&api.admin_token))
            .await
            .problem(401, "unauthorized");
        api.send(
            "DELETE",
            &format!("/api/v1/tokens/{second_id}"),
            Some(&second),
            None,
        )
        .await
        .problem(409, "last_admin_token");
        // A non-admin operator token is not protected.
        let r = api
            .send(
                "DELETE",
                &format!("/api/v1/tokens/{verifier_id}"),
                Some(&second),
                None,
            )
            .await;
        assert_eq!(r.status, 204, "{backend}: {}", r.text);
        // Another tenant's last admin token may be revoked (the operator can make another).
        let r = api
            .send(
                "DELETE",
                &format!("/api/v1/tokens/{acme_admin_id}"),
                Some(&second),
                None,
            )
            .await;
        assert_eq!(r.status, 204, "{backend}: {}", r.text);
    })
    .await;
}
