//! The organisation's operator key (custodied key `admin` of the operator tenant) is its
//! governance-committee account: only the operator tenant's **admin** may sign with it (threat
//! F7). Issuer, organiser and partner tokens of the same tenant are refused on every path that
//! opens a custodied key by id; an admin still can; other keys of the tenant stay usable.

use serde_json::json;
use weft_api::testkit::{Platform, PlatformOptions};

#[actix_web::test]
async fn only_the_operator_admin_signs_with_the_committee_key() {
    let p = Platform::start(PlatformOptions::default()).await.unwrap();
    let admin = p.admin_token.clone();
    let issuer = p.token("operator", &["issuer"]).await;
    let organiser = p.token("operator", &["organiser"]).await;
    let partner = p.token("operator", &["partner"]).await;
    let noop = json!({"key_id": "admin", "call": {"module": "governance", "method": "noop", "args": "0x00"}});

    // A governance call through the custodial transaction endpoint.
    for token in [&issuer, &organiser] {
        p.post("/api/v1/transactions", Some(token), noop.clone())
            .await
            .problem(403, "forbidden");
    }
    // Issuer recognition (a committee proposal) with the committee key.
    p.post("/api/v1/dids", Some(&issuer), json!({"key_id": "admin"}))
        .await
        .problem(403, "forbidden");
    // A PSI offer speaking as the organisation.
    p.post(
        "/api/v1/psi/offers",
        Some(&partner),
        json!({"key_id": "admin", "peer_did": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
               "mode": "one-side", "input": {"items": ["a"]}}),
    )
    .await
    .problem(403, "forbidden");
    println!("checked: issuer, organiser and partner tokens of the operator tenant cannot sign with the committee key");

    // The admin can; and an issuer of the same tenant can use another key of it.
    p.post("/api/v1/transactions", Some(&admin), noop.clone())
        .await
        .ok(200);
    p.post(
        "/api/v1/keys",
        Some(&admin),
        json!({"key_id": "signing", "label": "issuer key"}),
    )
    .await
    .ok(201);
    let other = json!({"key_id": "signing", "call": {"module": "governance", "method": "noop", "args": "0x00"}});
    p.post("/api/v1/transactions", Some(&issuer), other)
        .await
        .ok(200);
    println!(
        "checked: the operator admin signs with it; the issuer signs with the tenant's other keys"
    );
}
