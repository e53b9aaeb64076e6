//! One-time records survive a restart of the API: a presentation challenge issued before the
//! restart (a new `ApiState` over the same store) is accepted once after it and then refused as
//! replayed; a QR reference is served once; a wallet's answer is still there. Consumption is
//! atomic (concurrent uses: exactly one wins), the tables are bounded and expired rows purged.
//! SQLite always; PostgreSQL too when `DATABASE_URL` is set (each run in its own schema).

use std::sync::Arc;

use actix_web::web;
use serde_json::json;
use weft_api::rest::{ApiConfig, ApiState};
use weft_chain::{Keypair, Node};
use weft_did::qr::Payload;
use weft_service::credentials::ChallengeUse;
use weft_service::keystore::MasterKey;
use weft_service::node_home::{read_key_file, NodeHome};
use weft_service::store::{now_ms, sqlite_url, Store};

struct Fixture {
    node: Arc<Node>,
    operator_key: Keypair,
    master: MasterKey,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let home = NodeHome::new(dir.path().join("data"));
    let contents = home.init_or_load().unwrap();
    let operator_key = read_key_file(&home.admin_key_path()).unwrap();
    let node = Node::open(
        home.node_config(),
        contents.genesis.clone(),
        weft_service::modules::registry(),
    )
    .unwrap();
    Fixture {
        node,
        operator_key,
        master: MasterKey::random().unwrap(),
        _dir: dir,
    }
}

impl Fixture {
    /// An API state over `url` (a "restart" is a second call with the same URL).
    async fn state(&self, url: &str) -> web::Data<ApiState> {
        let (state, _) = weft_api::rest::ApiState::start(
            self.node.clone(),
            url,
            &self.master,
            &self.operator_key,
            ApiConfig::default(),
        )
        .await
        .unwrap();
        state
    }
}

/// SQLite in `dir`; PostgreSQL in a fresh schema when DATABASE_URL is set: (label, url, schema).
async fn databases(dir: &std::path::Path) -> Vec<(&'static str, String, Option<String>)> {
    let mut out = vec![("sqlite", sqlite_url(&dir.join("api.db")), None)];
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            use sqlx::Connection;
            let schema = format!("t_{}", hex::encode(rand::random::<[u8; 8]>()));
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
            let sep = if url.contains('?') { '&' } else { '?' };
            out.push((
                "postgres",
                format!("{url}{sep}options=-c%20search_path%3D{schema}"),
                Some(schema),
            ));
        }
        _ => eprintln!("DATABASE_URL unset: skipping the PostgreSQL side of this test"),
    }
    out
}

async fn drop_schema(schema: &str) {
    use sqlx::Connection;
    let url = std::env::var("DATABASE_URL").unwrap();
    if let Ok(mut conn) = sqlx::PgConnection::connect(&url).await {
        let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
    }
}

#[actix_web::test]
async fn challenges_answers_and_references_survive_a_restart() {
    let fx = fixture();
    let dir = tempfile::tempdir().unwrap();
    for (label, url, schema) in databases(dir.path()).await {
        let before = fx.state(&url).await;
        let (challenge, _) = before
            .credentials
            .new_challenge()
            .await
            .unwrap()
            .expect("room for a challenge");
        let (other, _) = before.credentials.new_challenge().await.unwrap().unwrap();
        let answer = json!({"holder": "did:key:z6Mk", "report": {"verified": true}});
        assert!(before
            .credentials
            .record_answer(&other, &answer)
            .await
            .unwrap());
        let payload = Payload::Credential(json!({"id": "urn:cred:1", "name": "Ada"}));
        let expires = now_ms() / 1000 + 600;
        assert!(before
            .qr_refs
            .put("tok-restart", &payload, expires)
            .await
            .unwrap());
        before.store.close().await;
        drop(before);

        // The restarted API knows all three.
        let after = fx.state(&url).await;
        assert_eq!(
            after.credentials.use_challenge(&challenge).await.unwrap(),
            ChallengeUse::Fresh,
            "{label}"
        );
        assert_eq!(
            after.credentials.use_challenge(&challenge).await.unwrap(),
            ChallengeUse::Replayed,
            "{label}"
        );
        assert_eq!(
            after.credentials.use_challenge("made-up").await.unwrap(),
            ChallengeUse::Unknown,
            "{label}"
        );
        assert_eq!(
            after.credentials.answer(&other).await.unwrap(),
            Some(answer),
            "{label}"
        );
        assert_eq!(after.credentials.answer(&challenge).await.unwrap(), None);
        let (got, got_expires) = after
            .qr_refs
            .take("tok-restart")
            .await
            .unwrap()
            .expect("reference survives");
        assert_eq!(got, payload, "{label}");
        assert_eq!(got_expires, expires);
        assert!(after.qr_refs.take("tok-restart").await.unwrap().is_none());
        after.store.close().await;
        if let Some(schema) = schema {
            drop_schema(&schema).await;
        }
    }
}

#[actix_web::test]
async fn consumption_is_atomic_bounded_and_expiry_purged() {
    let dir = tempfile::tempdir().unwrap();
    for (label, url, schema) in databases(dir.path()).await {
        let store = Store::connect(&url).await.unwrap();
        let now = now_ms();

        // Concurrent uses of one challenge: exactly one is fresh, the rest replays.
        assert!(store
            .insert_challenge("c-race", now + 60_000, 100, now)
            .await
            .unwrap());
        let uses = futures_util::future::join_all(
            (0..16).map(|_| store.use_challenge("c-race", now_ms())),
        )
        .await;
        let fresh = uses
            .iter()
            .filter(|u| *u.as_ref().unwrap() == ChallengeUse::Fresh)
            .count();
        assert_eq!(fresh, 1, "{label}: {uses:?}");
        assert!(uses
            .iter()
            .all(|u| matches!(u, Ok(ChallengeUse::Fresh | ChallengeUse::Replayed))));

        // Concurrent fetches of one reference: served once.
        assert!(store
            .insert_ref(
                "r-race",
                "{\"t\":\"sd\",\"c\":\"x\"}",
                now + 60_000,
                100,
                now
            )
            .await
            .unwrap());
        let takes = futures_util::future::join_all((0..16).map(|_| store.take_ref("r-race"))).await;
        assert_eq!(
            takes
                .iter()
                .filter(|t| t.as_ref().unwrap().is_some())
                .count(),
            1,
            "{label}"
        );

        // An expired challenge is unknown, used or not.
        assert!(store
            .insert_challenge("c-old", now - 1, 100, now)
            .await
            .unwrap());
        assert_eq!(
            store.use_challenge("c-old", now).await.unwrap(),
            ChallengeUse::Unknown
        );

        // Bounded: with the table full of live rows, refused; expired rows make room.
        store.purge_expired(now).await.unwrap(); // c-old goes
        let full = 3; // c-race, c-3, c-4
        assert!(store
            .insert_challenge("c-3", now + 60_000, full, now)
            .await
            .unwrap());
        assert!(store
            .insert_challenge("c-4", now + 1_000, full, now)
            .await
            .unwrap());
        assert!(!store
            .insert_challenge("c-5", now + 60_000, full, now)
            .await
            .unwrap());
        // Later, c-4 has expired: the insertion purges them and succeeds.
        assert!(store
            .insert_challenge("c-5", now + 60_000, full, now + 2_000)
            .await
            .unwrap());
        assert_eq!(
            store.use_challenge("c-4", now + 2_000).await.unwrap(),
            ChallengeUse::Unknown
        );
        assert!(store
            .put_answer("c-3", "{}", now + 1_000, 10, now)
            .await
            .unwrap());
        assert_eq!(
            store.answer("c-3", now).await.unwrap().as_deref(),
            Some("{}")
        );
        assert_eq!(store.answer("c-3", now + 1_000).await.unwrap(), None);

        // The purge removes expired rows of every table.
        assert!(store
            .insert_ref("r-old", "{}", now + 1_000, 100, now)
            .await
            .unwrap());
        let gone = store.purge_expired(now + 120_000).await.unwrap();
        assert!(gone >= 3, "{label}: {gone}");
        assert!(store.take_ref("r-old").await.unwrap().is_none());
        store.close().await;
        if let Some(schema) = schema {
            drop_schema(&schema).await;
        }
    }
}
