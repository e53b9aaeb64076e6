//! QR envelopes, SD-JWT and predicate proofs: envelope encode + PNG render, PNG decode →
//! envelope, SD-JWT issue / present / verify, predicate prove / verify.
//!
//! `cargo bench -p weft-did --bench qr`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use weft_chain::Keypair;
use weft_did::credential::predicate::{self, Predicate};
use weft_did::credential::sd_jwt::{self, IssueOptions, VerifyOptions};
use weft_did::qr::{self, Payload};

const KID: &str = "did:key:issuer#k";

fn sd_fixture() -> (Keypair, Keypair, String) {
    let issuer = Keypair::from_seed(&[1; 32]);
    let holder = Keypair::from_seed(&[2; 32]);
    let hk = holder.public_key();
    let claims = json!({"given_name": "Ada", "family_name": "Lovelace", "age_over_18": true,
        "address": {"locality": "Testville", "country": "GB"}});
    let sd = sd_jwt::issue(
        claims.as_object().unwrap(),
        &[
            "given_name",
            "family_name",
            "age_over_18",
            "address/locality",
        ],
        &issuer,
        &IssueOptions {
            issuer: "did:key:issuer",
            kid: KID,
            vct: None,
            holder_key: &hk,
            iat: 1000,
            exp: None,
            decoys: 2,
        },
    )
    .unwrap();
    (issuer, holder, sd)
}

fn bench(c: &mut Criterion) {
    let (issuer, holder, sd) = sd_fixture();
    let presentation = sd_jwt::present(&sd, &["age_over_18"], &holder, "n", "v", 1000).unwrap();
    let payload = Payload::SdJwt(presentation.clone());
    // Over the 600-byte rule (it would go by reference): the unchecked encoder measures the
    // largest QR codes we render.
    let envelope = qr::encode_envelope_unchecked(&payload).unwrap();
    println!("SD-JWT presentation envelope: {} bytes", envelope.len());
    let png = qr::render_png(&envelope).unwrap();

    let mut g = c.benchmark_group("qr");
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("envelope_encode_and_png_render", |b| {
        b.iter(|| {
            qr::render_png(&qr::encode_envelope_unchecked(black_box(&payload)).unwrap()).unwrap()
        })
    });
    g.bench_function("png_decode_to_payload", |b| {
        b.iter(|| qr::decode_envelope(&qr::decode_qr_image(black_box(&png)).unwrap()).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("sd_jwt");
    g.bench_function("issue_4_disclosable", |b| b.iter(sd_fixture));
    g.bench_function("present", |b| {
        b.iter(|| sd_jwt::present(black_box(&sd), &["age_over_18"], &holder, "n", "v", 1000))
    });
    let pk = issuer.public_key();
    let opts = VerifyOptions {
        nonce: "n",
        aud: "v",
        now: 1000,
        max_kb_age: 60,
        leeway: 0,
    };
    g.bench_function("verify", |b| {
        b.iter(|| sd_jwt::verify(black_box(&presentation), |_| Ok(pk), &opts).unwrap())
    });
    g.finish();

    let subject = json!({"age": 30}).as_object().cloned().unwrap();
    let (commitments, openings) = predicate::commit_claims(&subject, &["age"]).unwrap();
    let commitment = predicate::decode_commitment(commitments["age"].as_str().unwrap()).unwrap();
    let opening = openings.get("age").unwrap();
    let ctx = predicate::predicate_context("challenge", "verifier.example", "urn:c:1", "age");
    let p = Predicate::AtLeast { value: 18 };
    let proof = predicate::prove(opening, &p, &ctx).unwrap();
    println!("predicate proof: {} bytes", proof.to_bytes().len());
    let mut g = c.benchmark_group("predicate");
    g.bench_function("prove_age_at_least_18", |b| {
        b.iter(|| predicate::prove(black_box(opening), &p, &ctx).unwrap())
    });
    g.bench_function("verify_age_at_least_18", |b| {
        b.iter(|| predicate::verify_predicate(&commitment, &p, black_box(&proof), &ctx).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
