//! Voting through a running node: a poll created over JSON-RPC, read back with the CLI's query
//! path, shown by the voting pages, and a failing `weft vote verify` on an unfinished poll.

mod common;

use common::{raw, TestNode};
use serde_json::json;
use weft_chain::governance::{self, Action, GovernanceCall};
use weft_chain::{Call, Keypair};
use weft_cli::vote::{query, run, VoteCommand};
use weft_did::registry::DidCall;
use weft_did::Did;
use weft_mpc::vote::{
    self, Ballot, Bytes, PollId, PollSpec, PollState, Rule, VoteCall, VoteQuery, Window, WindowUnit,
};
use weft_zk::membership::MembershipParams;

async fn send(node: &TestNode, key: &Keypair, call: Call) -> serde_json::Value {
    let nonce = node.nonce(key).await;
    let tx = node.sign(key, nonce, call);
    let hash = node.call("sendTransaction", json!([raw(&tx)])).await;
    node.wait_receipt(&hash).await
}

async fn get(url: &str) -> (u16, String) {
    let mut r = awc::Client::new().get(url).send().await.unwrap();
    let body = r.body().limit(1 << 20).await.unwrap();
    (
        r.status().as_u16(),
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

#[actix_web::test]
async fn a_poll_is_created_read_shown_and_audited_over_the_node() {
    let node = TestNode::start().await;
    let admin = node.admin.clone();
    let grant = governance::call(GovernanceCall::Propose {
        action: Action::Grant {
            account: admin.address(),
            permission: vote::ORGANISER_PERMISSION.into(),
        },
    });
    assert_eq!(send(&node, &admin, grant).await["status"], "Success");
    // The counter is a DID (here the admin's own).
    let create_did = DidCall::Create {
        public_key: admin.public_key(),
        services: vec![],
    }
    .call();
    assert_eq!(send(&node, &admin, create_did).await["status"], "Success");

    let params = MembershipParams::setup(4).unwrap();
    let spec = PollSpec {
        title: "Union ballot".into(),
        choices: vec!["yes".into(), "no".into()],
        rule: Rule::Single,
        window: Window {
            unit: WindowUnit::Height,
            start: 1_000_000,
            end: 1_000_100,
        },
        counters: vec![Did::weft(&node.chain_id, admin.address()).to_string()],
        threshold: 1,
        allow_revote: false,
        tree_depth: 4,
        verifying_key: params.proving_key().verifying_key().to_bytes(),
        credential: None,
    };
    let r = send(
        &node,
        &admin,
        vote::call(&VoteCall::CreatePoll(spec.clone())),
    )
    .await;
    assert_eq!(r["status"], "Success", "{r}");
    let id = PollId::derive(&admin.address(), 0, &spec);

    // The CLI's read path (JSON-RPC `call`).
    let ids: Vec<PollId> = query(&node.base, &VoteQuery::Polls).await.unwrap();
    assert_eq!(ids, vec![id]);
    let state: PollState = query(&node.base, &VoteQuery::Poll(id)).await.unwrap();
    assert_eq!(state.spec, spec);
    assert_eq!(state.ballots, 0);
    assert!(state.group_key.is_none());
    let missing = query::<PollState>(&node.base, &VoteQuery::Poll(PollId([7; 32]))).await;
    assert!(missing.is_err());

    // A ballot before the window is refused by the chain (from a one-time account).
    let ballot = Ballot {
        poll: id,
        class: 0,
        nullifier: [0; 32],
        ciphertexts: vec![],
        choice_proofs: vec![],
        total_proof: None,
        membership_proof: Bytes::default(),
    };
    let r = send(
        &node,
        &Keypair::generate(),
        vote::call(&VoteCall::Cast(ballot)),
    )
    .await;
    assert_eq!(r["status"], "Failed", "{r}");
    assert!(r.to_string().contains("has not opened"), "{r}");

    // The pages.
    let (status, body) = get(&format!("{}/voting", node.base)).await;
    assert_eq!(status, 200);
    assert!(body.contains("Union ballot"));
    let (status, body) = get(&format!("{}/voting/{id}", node.base)).await;
    assert_eq!(status, 200);
    assert!(body.contains("Turnout") && body.contains("/assets/voting.js"));
    let (status, _) = get(&format!("{}/voting/not-an-id", node.base)).await;
    assert_eq!(status, 400);
    let (status, _) = get(&format!("{}/voting/{}", node.base, PollId([7; 32]))).await;
    assert_eq!(status, 404);
    let (status, body) = get(&format!("{}/voting/{id}/audit", node.base)).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("did not pass"),
        "no key yet: the audit must fail"
    );

    // `weft vote verify` fails on a poll without key, ballots or result.
    let err = run(VoteCommand::Verify {
        poll: id.to_hex(),
        rpc: node.base.clone(),
        threads: Some(1),
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("audit"), "{err}");
    node.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// A whole poll over the REST API.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::rngs::OsRng;
use serde_json::Value;
use weft_api::testkit::{Platform, PlatformOptions};
use weft_cli::vote::{read_secret, CounterCommand};
use weft_mpc::vote::{build_ballot as make_ballot, EligibilityTree};
use weft_mpc::vote::{counter, DkgRecord};
use weft_zk::membership::MembershipSecret;
use weft_zk::{Ciphertext, GroupKey};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Sleeps until the wall clock passes `ms` (block timestamps follow the wall clock).
async fn sleep_until_ms(ms: u64) {
    let now = now_ms();
    if ms > now {
        actix_web::rt::time::sleep(Duration::from_millis(ms - now)).await;
    }
}

/// Membership parameters of depth 3, made once per test binary.
fn small_params() -> &'static MembershipParams {
    static P: std::sync::OnceLock<MembershipParams> = std::sync::OnceLock::new();
    P.get_or_init(|| MembershipParams::setup(3).unwrap())
}

fn timed_spec(counters: Vec<String>, start: u64, end: u64) -> PollSpec {
    PollSpec {
        title: "Works council".into(),
        choices: vec!["Ana".into(), "Bo".into(), "Cy".into()],
        rule: Rule::Single,
        window: Window {
            unit: WindowUnit::TimestampMs,
            start,
            end,
        },
        counters,
        threshold: 2,
        allow_revote: false,
        tree_depth: 3,
        verifying_key: small_params().proving_key().verifying_key().to_bytes(),
        credential: None,
    }
}

/// The platform under test ([`weft_api::testkit::Platform`], stopped on drop) and its client.
struct Api {
    base: String,
    http: awc::Client,
    admin_token: String,
    operator: Keypair,
    chain_id: String,
    _platform: Platform,
}

struct Reply {
    status: u16,
    content_type: String,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    fn ok(&self) -> Value {
        assert_eq!(self.status, 200, "{}", self.text);
        self.json()
    }

    /// A problem document with `status`, `code` and (if given) the typed `reason`.
    fn problem(&self, status: u16, code: &str, reason: Option<&str>) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        assert!(
            self.content_type.starts_with("application/problem+json"),
            "{}",
            self.content_type
        );
        let p = self.json();
        assert_eq!(p["code"], code, "{p}");
        if let Some(reason) = reason {
            assert_eq!(p["reason"], reason, "{p}");
        }
        p
    }
}

impl Api {
    async fn start() -> Api {
        let p = Platform::start(PlatformOptions {
            workers: 1,
            ui: true,
            ..PlatformOptions::default()
        })
        .await
        .unwrap();
        Api {
            base: p.base.clone(),
            http: awc::Client::builder()
                .timeout(Duration::from_secs(60))
                .finish(),
            admin_token: p.admin_token.clone(),
            operator: Keypair::from_seed(&p.operator.to_seed()),
            chain_id: p.genesis.chain_id.clone(),
            _platform: p,
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> Reply {
        let mut request = self.http.request(
            awc::http::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", self.base),
        );
        if let Some(token) = token {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        let mut response = match body {
            Some(body) => request
                .insert_header(("Content-Type", "application/json"))
                .send_body(body)
                .await
                .unwrap(),
            None => request.send().await.unwrap(),
        };
        let bytes = response.body().limit(64 << 20).await.unwrap();
        Reply {
            status: response.status().as_u16(),
            content_type: response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None, None).await
    }

    async fn put_bytes(&self, path: &str, token: &str, bytes: Vec<u8>) -> Reply {
        let mut response = self
            .http
            .put(format!("{}{path}", self.base))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", "application/octet-stream"))
            .send_body(bytes)
            .await
            .unwrap();
        let bytes = response.body().limit(1 << 20).await.unwrap();
        Reply {
            status: response.status().as_u16(),
            content_type: response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get_with(&self, path: &str, token: &str) -> Reply {
        self.send("GET", path, Some(token), None).await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.send("POST", path, token, Some(body.to_string())).await
    }

    async fn token(&self, tenant: &str, role: &str) -> String {
        let r = self
            .post(
                "/api/v1/tokens",
                Some(&self.admin_token),
                json!({"tenant": tenant, "roles": [role], "label": role}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.json()["token"].as_str().unwrap().to_string()
    }

    /// A custodied key of the token's tenant; returns its address.
    async fn key(&self, token: &str, key_id: &str) -> weft_chain::Address {
        let r = self
            .post(
                "/api/v1/keys",
                Some(token),
                json!({"key_id": key_id, "label": key_id}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.json()["address"].as_str().unwrap().parse().unwrap()
    }

    /// Grants the organiser permission with the genesis admin (a one-member committee).
    async fn grant_organiser(&self, account: weft_chain::Address) {
        let call = governance::call(GovernanceCall::Propose {
            action: Action::Grant {
                account,
                permission: vote::ORGANISER_PERMISSION.into(),
            },
        });
        weft_cli::vote::submit(&self.base, &self.operator, call)
            .await
            .unwrap();
        let _ = &self.chain_id;
    }

    async fn step(&self, token: &str, poll: PollId, key_id: &str, step: Value) -> Reply {
        self.post(
            &format!("/api/v1/polls/{poll}/steps"),
            Some(token),
            json!({"key_id": key_id, "step": step}),
        )
        .await
    }

    async fn dkg(&self, poll: PollId) -> DkgRecord {
        serde_json::from_value(self.get(&format!("/api/v1/polls/{poll}/dkg")).await.ok()).unwrap()
    }

    async fn poll(&self, poll: PollId) -> PollState {
        serde_json::from_value(self.get(&format!("/api/v1/polls/{poll}")).await.ok()).unwrap()
    }

    async fn cast(&self, poll: PollId, ballot: &Ballot) -> Reply {
        self.post(
            &format!("/api/v1/polls/{poll}/ballots"),
            None,
            serde_json::to_value(ballot).unwrap(),
        )
        .await
    }
}

#[actix_web::test]
async fn a_whole_poll_runs_over_rest_with_two_of_three_counters() {
    let api = Api::start().await;
    let union_admin = api.token("union", "admin").await;
    let organiser = api.token("union", "organiser").await;
    let holder = api.token("union", "holder").await;
    let org = api.key(&union_admin, "org").await;
    // The counters are DIDs of the union's custodied keys.
    let mut counters = Vec::new();
    for c in ["c1", "c2", "c3"] {
        api.key(&union_admin, c).await;
        let r = api
            .post("/api/v1/dids", Some(&union_admin), json!({"key_id": c}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        counters.push(r.json()["did"].as_str().unwrap().to_string());
    }
    api.grant_organiser(org).await;

    // Setup happens before the window; the ballots are made before it opens.
    let start = now_ms() + 15_000;
    let end = start + 8_000;
    let spec = timed_spec(counters.clone(), start, end);
    let body = json!({"key_id": "org", "spec": serde_json::to_value(&spec).unwrap()});

    // A role without the organiser right is refused; no token is a 401.
    api.post("/api/v1/polls", Some(&holder), body.clone())
        .await
        .problem(403, "forbidden", None);
    api.post("/api/v1/polls", None, body.clone())
        .await
        .problem(401, "unauthorized", None);
    // A key without the on-chain permission is refused by the chain.
    let r = api
        .post(
            "/api/v1/polls",
            Some(&organiser),
            json!({"key_id": "c1", "spec": serde_json::to_value(&spec).unwrap()}),
        )
        .await;
    r.problem(422, "tx_rejected", Some("unauthorized"));

    let created = api.post("/api/v1/polls", Some(&organiser), body).await.ok();
    let poll = PollId::from_hex(created["poll"].as_str().unwrap()).unwrap();
    assert_eq!(poll, PollId::derive(&org, 0, &spec));

    // The counters' DKG through `/steps`.
    let mut round1 = Vec::new();
    for i in 0..3u32 {
        let (r1, sk, post) = counter::start_with_rng(&poll, &spec, i + 1, &mut OsRng).unwrap();
        let key_id = format!("c{}", i + 1);
        api.step(
            &organiser,
            poll,
            &key_id,
            json!({"kind": "dkg_broadcast", "post": post}),
        )
        .await
        .ok();
        round1.push((r1, sk));
    }
    // A second broadcast by the same counter is refused (no equivocation).
    let (_, _, again) = counter::start_with_rng(&poll, &spec, 1, &mut OsRng).unwrap();
    api.step(
        &organiser,
        poll,
        "c1",
        json!({"kind": "dkg_broadcast", "post": again}),
    )
    .await
    .problem(422, "tx_rejected", Some("rejected"));
    // The holder role may not sign steps.
    api.step(&holder, poll, "org", json!({"kind": "seal"}))
        .await
        .problem(403, "forbidden", None);
    // A malformed step is a 400.
    api.step(&organiser, poll, "org", json!({"kind": "make_up_a_key"}))
        .await
        .problem(400, "malformed_json", None);

    let record = api.dkg(poll).await;
    assert_eq!(record.broadcasts.len(), 3);
    let mut round2 = Vec::new();
    for (i, (r1, sk)) in round1.into_iter().enumerate() {
        let (r2, shares) = counter::deal_with_rng(&poll, r1, &record, &mut OsRng).unwrap();
        api.step(
            &organiser,
            poll,
            &format!("c{}", i + 1),
            json!({"kind": "dkg_shares", "shares": shares}),
        )
        .await
        .ok();
        round2.push((r2, sk));
    }
    let record = api.dkg(poll).await;
    let mut round3 = Vec::new();
    for (i, (r2, sk)) in round2.into_iter().enumerate() {
        let (r3, accused) = counter::receive(&poll, i as u32 + 1, r2, &sk, &record).unwrap();
        assert!(accused.is_empty());
        api.step(
            &organiser,
            poll,
            &format!("c{}", i + 1),
            json!({"kind": "dkg_complaints", "accused": accused}),
        )
        .await
        .ok();
        round3.push(r3);
    }
    // Only the organiser may record the key: a counter's attempt is refused.
    api.step(&organiser, poll, "c2", json!({"kind": "finalize_key"}))
        .await
        .problem(422, "tx_rejected", Some("unauthorized"));
    api.step(&organiser, poll, "org", json!({"kind": "finalize_key"}))
        .await
        .ok();
    let record = api.dkg(poll).await;
    let shares: Vec<_> = round3
        .into_iter()
        .map(|r3| counter::finish(r3, &record).unwrap().share)
        .collect();

    // A voter who votes through the booth of their own node: tenant "alice", a custodied key
    // her secret is derived from; she hands its commitment to the organiser.
    let alice_admin = api.token("alice", "admin").await;
    let alice = api.token("alice", "holder").await;
    api.key(&alice_admin, "me").await;
    let alice_commitment = api
        .get_with("/api/v1/vote-commitments/me", &alice)
        .await
        .ok()["commitment"]
        .as_str()
        .unwrap()
        .to_string();
    api.get_with("/api/v1/vote-commitments/nope", &alice)
        .await
        .problem(404, "not_found", None);

    // Eligibility: five voters plus alice registered, sealed.
    let secrets: Vec<MembershipSecret> = (0..5).map(|_| MembershipSecret::random()).collect();
    let mut leaves: Vec<String> = secrets
        .iter()
        .map(|s| hex::encode(s.commitment().to_bytes()))
        .collect();
    leaves.push(alice_commitment);
    api.step(
        &organiser,
        poll,
        "org",
        json!({"kind": "add_leaves", "leaves": leaves}),
    )
    .await
    .ok();
    let listed = api
        .get(&format!("/api/v1/polls/{poll}/leaves?class=0"))
        .await
        .ok();
    assert_eq!(listed, json!(leaves));
    api.get(&format!("/api/v1/polls/{poll}/leaves?class=9"))
        .await
        .problem(400, "invalid_request", None);
    api.step(&organiser, poll, "org", json!({"kind": "seal"}))
        .await
        .ok();

    let state = api.poll(poll).await;
    assert!(state.group_key.is_some() && state.roots.is_some());
    let raw_leaves: Vec<[u8; 32]> = leaves
        .iter()
        .map(|l| hex::decode(l).unwrap().try_into().unwrap())
        .collect();
    let tree = EligibilityTree::from_leaves(3, &raw_leaves).unwrap();
    let pk = small_params().proving_key();
    let choices = [0usize, 1, 1, 2, 0];
    let ballots: Vec<Ballot> = secrets
        .iter()
        .zip(choices)
        .map(|(s, c)| make_ballot(&state, &tree, s, 0, &[c], pk).unwrap())
        .collect();
    assert!(
        make_ballot(&state, &tree, &secrets[0], 0, &[3], pk).is_err(),
        "a choice out of range is refused before anything is sent"
    );

    // The booth needs the poll's proving key on alice's node; a key for another depth is refused.
    let other = MembershipParams::setup(2).unwrap();
    api.put_bytes(
        &format!("/api/v1/polls/{poll}/proving-key"),
        &alice,
        other.proving_key().to_bytes(),
    )
    .await
    .problem(400, "invalid_request", None);
    let r = api
        .put_bytes(
            &format!("/api/v1/polls/{poll}/proving-key"),
            &alice,
            pk.to_bytes(),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);

    // Before the window: refused with a typed reason.
    api.cast(poll, &ballots[0])
        .await
        .problem(422, "tx_rejected", Some("window_not_open"));
    assert!(
        now_ms() < start,
        "setup took longer than the 15 s before the window"
    );
    sleep_until_ms(start + 200).await;

    for b in &ballots[..4] {
        api.cast(poll, b).await.ok();
    }
    // While the window is open the page says so, shows the window as dates and offers the booth.
    let page = api.get(&format!("/voting/{poll}")).await;
    assert!(
        page.text.contains("<dd>voting</dd>")
            && page
                .text
                .contains(&weft_did::resolution::format_time(start))
            && page.text.contains("id=\"booth\""),
        "{}",
        page.text
    );
    // Alice votes through her node's booth: choice 2. Her organiser token may not vote there;
    // out-of-range choices are refused before anything is sent; a second vote is refused.
    let booth = format!("/api/v1/polls/{poll}/booth");
    api.post(
        &booth,
        Some(&organiser),
        json!({"key_id": "me", "choices": [2]}),
    )
    .await
    .problem(403, "forbidden", None);
    api.post(
        &booth,
        Some(&alice),
        json!({"key_id": "me", "choices": [7]}),
    )
    .await
    .problem(400, "invalid_request", None);
    api.post(
        &booth,
        Some(&alice),
        json!({"key_id": "me", "choices": [2]}),
    )
    .await
    .ok();
    api.post(
        &booth,
        Some(&alice),
        json!({"key_id": "me", "choices": [0]}),
    )
    .await
    .problem(422, "tx_rejected", Some("nullifier_used"));

    // Reused nullifier.
    api.cast(poll, &ballots[1])
        .await
        .problem(422, "tx_rejected", Some("nullifier_used"));
    // A tampered ballot (ciphertexts swapped, proofs kept) fails its proofs.
    let mut tampered = ballots[4].clone();
    tampered.ciphertexts.swap(0, 1);
    api.cast(poll, &tampered)
        .await
        .problem(422, "tx_rejected", Some("ballot_invalid"));
    // Not a ballot at all, and a ballot under another poll's path.
    api.send(
        "POST",
        &format!("/api/v1/polls/{poll}/ballots"),
        None,
        Some(r#"{"poll": "zz"}"#.into()),
    )
    .await
    .problem(400, "malformed_json", None);
    api.cast(PollId([9; 32]), &ballots[4])
        .await
        .problem(400, "invalid_request", None);
    assert!(now_ms() < end, "casting took longer than the 8 s window");

    let turnout = api.get("/api/v1/polls").await.ok();
    assert_eq!(turnout[0]["turnout"], 5, "{turnout}");

    sleep_until_ms(end + 200).await;
    api.cast(poll, &ballots[4])
        .await
        .problem(422, "tx_rejected", Some("window_closed"));

    // Tally: counter 2 is offline; 1 and 3 post shares. One share set decrypts nothing.
    let aggregate: Vec<Ciphertext> = api
        .poll(poll)
        .await
        .aggregate
        .iter()
        .map(|b| Ciphertext::from_bytes(&b.0).unwrap())
        .collect();
    // A share set with a wrong proof (made for another poll's context) is refused.
    let wrong =
        counter::decryption_shares_with_rng(&PollId([1; 32]), &shares[0], &aggregate, &mut OsRng);
    api.step(
        &organiser,
        poll,
        "c1",
        json!({"kind": "decrypt", "shares": wrong}),
    )
    .await
    .problem(422, "tx_rejected", Some("rejected"));
    for i in [0usize, 2] {
        let s = counter::decryption_shares_with_rng(&poll, &shares[i], &aggregate, &mut OsRng);
        api.step(
            &organiser,
            poll,
            &format!("c{}", i + 1),
            json!({"kind": "decrypt", "shares": s}),
        )
        .await
        .ok();
        let state = api.poll(poll).await;
        if i == 0 {
            assert!(state.result.is_none(), "t - 1 share sets decrypt nothing");
        }
    }
    let state = api.poll(poll).await;
    let result = state.result.expect("2 of 3 counters finish the tally");
    assert_eq!(result.counts, vec![1, 2, 2]);
    assert_eq!(result.combined, vec![1, 3]);
    assert_eq!(
        GroupKey::from_bytes(&state.group_key.unwrap().0)
            .unwrap()
            .params()
            .threshold(),
        2
    );

    let audit = api.get(&format!("/api/v1/polls/{poll}/audit")).await.ok();
    assert_eq!(audit["passed"], true, "{audit}");
    let list = api.get("/api/v1/polls").await.ok();
    assert_eq!(list[0]["result"], json!([1, 2, 2]));

    // After the tally the poll page shows the chart and no booth.
    let page = api.get(&format!("/voting/{poll}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains("<svg")
            && page.text.contains("tallied")
            && page.text.contains("id=\"booth-closed\"")
            && !page.text.contains("id=\"booth\""),
        "{}",
        page.text
    );
}

// ---------------------------------------------------------------------------------------------
// A whole poll through `weft vote ...` (the CLI's functions, in process, over JSON-RPC).

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[actix_web::test]
async fn a_whole_poll_runs_through_the_cli_with_one_counter_offline() {
    let node = TestNode::start().await;
    let rpc = node.base.clone();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // Keys as plain hex seed files (what `weft key` also reads).
    let org = Keypair::from_seed(&[31; 32]);
    let org_file = write(d, "org.key", &hex::encode([31u8; 32]));
    let counters: Vec<Keypair> = (0..3u8)
        .map(|i| Keypair::from_seed(&[40 + i; 32]))
        .collect();
    let counter_files: Vec<_> = (0..3u8)
        .map(|i| write(d, &format!("c{i}.key"), &hex::encode([40 + i; 32])))
        .collect();
    let grant = governance::call(GovernanceCall::Propose {
        action: Action::Grant {
            account: org.address(),
            permission: vote::ORGANISER_PERMISSION.into(),
        },
    });
    assert_eq!(send(&node, &node.admin, grant).await["status"], "Success");
    let mut counter_dids = Vec::new();
    for kp in &counters {
        let create = DidCall::Create {
            public_key: kp.public_key(),
            services: vec![],
        }
        .call();
        assert_eq!(send(&node, kp, create).await["status"], "Success");
        counter_dids.push(Did::weft(&node.chain_id, kp.address()).to_string());
    }

    // Organiser: parameters, spec, poll.
    let pk_file = d.join("poll.pk");
    run(VoteCommand::Params {
        depth: 3,
        out: pk_file.clone(),
    })
    .await
    .unwrap();
    let pk = weft_cli::vote::read_proving_key(&pk_file).unwrap();
    let start = now_ms() + 15_000;
    let end = start + 8_000;
    let mut spec = timed_spec(counter_dids, start, end);
    spec.verifying_key = Vec::new();
    let spec_file = write(d, "spec.json", &serde_json::to_string(&spec).unwrap());
    run(VoteCommand::Create {
        key: org_file.clone(),
        spec: spec_file,
        proving_key: Some(pk_file.clone()),
        rpc: rpc.clone(),
    })
    .await
    .unwrap();
    spec.verifying_key = pk.verifying_key().to_bytes();
    let poll = PollId::derive(&org.address(), 0, &spec);
    let id = poll.to_hex();

    // Counters: `counter dkg` runs until the organiser records the key.
    let mut tasks = Vec::new();
    for (i, file) in counter_files.iter().enumerate() {
        let cmd = VoteCommand::Counter(CounterCommand::Dkg {
            poll: id.clone(),
            key: file.clone(),
            share_out: d.join(format!("c{i}.share")),
            rpc: rpc.clone(),
            timeout: 60,
        });
        tasks.push(actix_web::rt::spawn(run(cmd)));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let record: DkgRecord = query(&rpc, &VoteQuery::Dkg(poll)).await.unwrap();
        if record.complaints.len() == 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the counters did not finish the DKG"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    run(VoteCommand::FinalizeKey {
        poll: id.clone(),
        key: org_file.clone(),
        rpc: rpc.clone(),
    })
    .await
    .unwrap();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    // A counter cannot run the DKG twice (its first broadcast is on chain).
    let again = run(VoteCommand::Counter(CounterCommand::Dkg {
        poll: id.clone(),
        key: counter_files[0].clone(),
        share_out: d.join("again.share"),
        rpc: rpc.clone(),
        timeout: 5,
    }))
    .await
    .unwrap_err();
    assert!(
        format!("{again:#}").contains("already broadcast"),
        "{again:#}"
    );

    // Voters: secrets; the organiser registers their commitments and seals.
    let mut secret_files = Vec::new();
    let mut commitments = String::new();
    for i in 0..4 {
        let f = d.join(format!("voter{i}.secret"));
        run(VoteCommand::Secret { out: f.clone() }).await.unwrap();
        let s = read_secret(&f).unwrap();
        commitments.push_str(&hex::encode(s.commitment().to_bytes()));
        commitments.push('\n');
        secret_files.push(f);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&secret_files[0])
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let not_registered = d.join("stranger.secret");
    run(VoteCommand::Secret {
        out: not_registered.clone(),
    })
    .await
    .unwrap();
    let bad = write(d, "bad.txt", "abcd\n");
    assert!(run(VoteCommand::Register {
        poll: id.clone(),
        key: org_file.clone(),
        commitments: bad,
        class: 0,
        rpc: rpc.clone(),
    })
    .await
    .is_err());
    let commitments = write(d, "commitments.txt", &commitments);
    run(VoteCommand::Register {
        poll: id.clone(),
        key: org_file.clone(),
        commitments,
        class: 0,
        rpc: rpc.clone(),
    })
    .await
    .unwrap();
    run(VoteCommand::Seal {
        poll: id.clone(),
        key: org_file.clone(),
        rpc: rpc.clone(),
    })
    .await
    .unwrap();

    let cast = |secret: std::path::PathBuf, choices: Vec<usize>| {
        run(VoteCommand::Cast {
            poll: id.clone(),
            secret,
            proving_key: pk_file.clone(),
            choices,
            class: 0,
            rpc: rpc.clone(),
        })
    };
    let early = cast(secret_files[0].clone(), vec![0]).await.unwrap_err();
    assert!(format!("{early:#}").contains("has not opened"), "{early:#}");
    assert!(
        now_ms() < start,
        "setup took longer than the 15 s before the window"
    );
    sleep_until_ms(start + 200).await;

    for (f, c) in secret_files.iter().zip([2usize, 2, 0]) {
        cast(f.clone(), vec![c]).await.unwrap();
    }
    let twice = cast(secret_files[0].clone(), vec![1]).await.unwrap_err();
    assert!(format!("{twice:#}").contains("already voted"), "{twice:#}");
    let two_choices = cast(secret_files[3].clone(), vec![0, 1]).await.unwrap_err();
    assert!(
        format!("{two_choices:#}").contains("rule"),
        "{two_choices:#}"
    );
    let out_of_range = cast(secret_files[3].clone(), vec![5]).await.unwrap_err();
    assert!(format!("{out_of_range:#}").contains("out of range"));
    let stranger = cast(not_registered, vec![0]).await.unwrap_err();
    assert!(format!("{stranger:#}").contains("not registered"));
    assert!(now_ms() < end, "casting took longer than the 8 s window");

    // The ballots' transactions name one-time accounts, never a voter's key.
    let record: weft_mpc::vote::PollRecord = query(&rpc, &VoteQuery::Record(poll)).await.unwrap();
    assert_eq!(record.ballots.len(), 3);

    sleep_until_ms(end + 200).await;
    // Counter 2 is offline; 1 and 3 finish the tally.
    for i in [0usize, 2] {
        run(VoteCommand::Counter(CounterCommand::Decrypt {
            poll: id.clone(),
            key: counter_files[i].clone(),
            share: d.join(format!("c{i}.share")),
            rpc: rpc.clone(),
        }))
        .await
        .unwrap();
    }
    let state: PollState = query(&rpc, &VoteQuery::Poll(poll)).await.unwrap();
    assert_eq!(state.result.unwrap().counts, vec![1, 0, 2]);
    run(VoteCommand::Verify {
        poll: id.clone(),
        rpc: rpc.clone(),
        threads: Some(2),
    })
    .await
    .unwrap();
    node.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Eligibility from a credential, over REST: a holder registers their own commitment with a
// membership credential, votes through the booth, and the tally counts it.

#[actix_web::test]
async fn a_credential_holder_registers_votes_and_is_tallied_over_rest() {
    use weft_did::cpt::{self as cpt_mod, Cpt, CptCall, CptQuery};
    use weft_did::credential::data_integrity::{self, ProofOptions};
    use weft_did::credential::onchain::CptPin;
    use weft_did::issuer::IssuerCall;
    use weft_did::resolution::format_time;
    use weft_mpc::vote::CredentialEligibility;

    let api = Api::start().await;
    let union_admin = api.token("union", "admin").await;
    let organiser = api.token("union", "organiser").await;
    let org = api.key(&union_admin, "org").await;
    let mut counters = Vec::new();
    for c in ["c1", "c2"] {
        api.key(&union_admin, c).await;
        let r = api
            .post("/api/v1/dids", Some(&union_admin), json!({"key_id": c}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        counters.push(r.json()["did"].as_str().unwrap().to_string());
    }
    api.grant_organiser(org).await;

    // The issuer: a DID, an application, the committee's recognition, a CPT.
    let issuer = Keypair::generate();
    let submit = |key: Keypair, call: Call| {
        let base = api.base.clone();
        async move { weft_cli::vote::submit(&base, &key, call).await.unwrap() }
    };
    submit(
        issuer.clone(),
        DidCall::Create {
            public_key: issuer.public_key(),
            services: vec![],
        }
        .call(),
    )
    .await;
    submit(
        issuer.clone(),
        IssuerCall::Apply {
            name: "Union registry".into(),
            description: "Membership credentials".into(),
        }
        .call(),
    )
    .await;
    submit(
        api.operator.clone(),
        governance::call(GovernanceCall::Propose {
            action: Action::Grant {
                account: issuer.address(),
                permission: weft_chain::governance::permissions::AUTHORITY_ISSUER.into(),
            },
        }),
    )
    .await;
    submit(
        issuer.clone(),
        CptCall::Register {
            id: None,
            schema:
                r#"{"type":"object","properties":{"member":{"const":true}},"required":["member"]}"#
                    .into(),
        }
        .call(),
    )
    .await;
    let (m, a) = CptQuery::Get {
        id: cpt_mod::ANYONE_MIN,
        version: Some(1),
    }
    .args();
    let cpt: Option<Cpt> =
        borsh::from_slice(&api._platform.node.call(cpt_mod::NAME, m, &a, None).unwrap()).unwrap();
    let pin = CptPin::of(&cpt.unwrap());

    // Alice: a custodied key with a DID; her booth commitment.
    let alice_admin = api.token("alice", "admin").await;
    let alice = api.token("alice", "holder").await;
    api.key(&alice_admin, "me").await;
    let alice_did = api
        .post("/api/v1/dids", Some(&alice_admin), json!({"key_id": "me"}))
        .await;
    assert_eq!(alice_did.status, 201, "{}", alice_did.text);
    let alice_did = alice_did.json()["did"].as_str().unwrap().to_string();
    let commitment = api
        .get_with("/api/v1/vote-commitments/me", &alice)
        .await
        .ok()["commitment"]
        .as_str()
        .unwrap()
        .to_string();

    // The poll: eligibility from the CPT's credentials; one of two counters suffices.
    let start = now_ms() + 15_000;
    let end = start + 6_000;
    let mut spec = timed_spec(counters.clone(), start, end);
    spec.threshold = 1;
    spec.credential = Some(CredentialEligibility {
        cpt_id: cpt_mod::ANYONE_MIN,
        cpt_version: Some(1),
        issuers: vec![],
        class_claim: None,
    });
    let created = api
        .post(
            "/api/v1/polls",
            Some(&organiser),
            json!({"key_id": "org", "spec": serde_json::to_value(&spec).unwrap()}),
        )
        .await
        .ok();
    let poll = PollId::from_hex(created["poll"].as_str().unwrap()).unwrap();

    // The credential, made now (after the issuer's DID exists).
    sleep_until_ms(now_ms() + 1_100).await;
    let issuer_did = Did::weft(&api.chain_id, issuer.address()).to_string();
    let unsecured = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "MembershipCredential"],
        "issuer": issuer_did,
        "validFrom": format_time(now_ms() - 1_000),
        "credentialSchema": pin.to_json(),
        "credentialSubject": {"id": alice_did, "member": true},
    });
    let options = ProofOptions::assertion(format!("{issuer_did}#key-1"), format_time(now_ms()));
    let vc = data_integrity::sign(&unsecured, &options, &issuer).unwrap();
    let path = format!("/api/v1/polls/{poll}/register-credential");

    // Refusals, typed: a tampered claim; a key that is not the subject's.
    let mut tampered = vc.clone();
    tampered["credentialSubject"]["extra"] = json!("x");
    api.post(
        &path,
        Some(&alice),
        json!({"key_id": "me", "credential": tampered, "commitment": commitment}),
    )
    .await
    .problem(422, "tx_rejected", Some("bad_signature"));
    api.post(
        &path,
        Some(&organiser),
        json!({"key_id": "org", "credential": vc, "commitment": commitment}),
    )
    .await
    .problem(422, "tx_rejected", Some("subject_not_signer"));
    api.post(
        &path,
        None,
        json!({"key_id": "me", "credential": vc, "commitment": commitment}),
    )
    .await
    .problem(401, "unauthorized", None);
    // Accepted (as a JSON object; the text form works too); a second registration is refused.
    api.post(
        &path,
        Some(&alice),
        json!({"key_id": "me", "credential": vc, "commitment": commitment}),
    )
    .await
    .ok();
    api.post(
        &path,
        Some(&alice),
        json!({"key_id": "me", "credential": vc.to_string(), "commitment": commitment}),
    )
    .await
    .problem(422, "tx_rejected", Some("already_registered"));
    let listed = api
        .get(&format!("/api/v1/polls/{poll}/leaves?class=0"))
        .await
        .ok();
    assert_eq!(listed, json!([commitment]));

    // The DKG (both counters), the key, the seal.
    let mut round1 = Vec::new();
    for i in 0..2u32 {
        let (r1, sk, post) = counter::start_with_rng(&poll, &spec, i + 1, &mut OsRng).unwrap();
        api.step(
            &organiser,
            poll,
            &format!("c{}", i + 1),
            json!({"kind": "dkg_broadcast", "post": post}),
        )
        .await
        .ok();
        round1.push((r1, sk));
    }
    let record = api.dkg(poll).await;
    let mut round2 = Vec::new();
    for (i, (r1, sk)) in round1.into_iter().enumerate() {
        let (r2, shares) = counter::deal_with_rng(&poll, r1, &record, &mut OsRng).unwrap();
        api.step(
            &organiser,
            poll,
            &format!("c{}", i + 1),
            json!({"kind": "dkg_shares", "shares": shares}),
        )
        .await
        .ok();
        round2.push((r2, sk));
    }
    let record = api.dkg(poll).await;
    let mut round3 = Vec::new();
    for (i, (r2, sk)) in round2.into_iter().enumerate() {
        let (r3, accused) = counter::receive(&poll, i as u32 + 1, r2, &sk, &record).unwrap();
        api.step(
            &organiser,
            poll,
            &format!("c{}", i + 1),
            json!({"kind": "dkg_complaints", "accused": accused}),
        )
        .await
        .ok();
        round3.push(r3);
    }
    api.step(&organiser, poll, "org", json!({"kind": "finalize_key"}))
        .await
        .ok();
    api.step(&organiser, poll, "org", json!({"kind": "seal"}))
        .await
        .ok();
    let record = api.dkg(poll).await;
    let share = counter::finish(round3.remove(0), &record).unwrap().share;
    // After sealing, registration is closed.
    api.post(
        &path,
        Some(&alice),
        json!({"key_id": "me", "credential": vc, "commitment": commitment}),
    )
    .await
    .problem(422, "tx_rejected", Some("sealed"));

    // Alice votes through her node's booth; counter 1 tallies.
    let r = api
        .put_bytes(
            &format!("/api/v1/polls/{poll}/proving-key"),
            &alice,
            small_params().proving_key().to_bytes(),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(
        now_ms() < start,
        "setup took longer than the 15 s before the window"
    );
    sleep_until_ms(start + 200).await;
    api.post(
        &format!("/api/v1/polls/{poll}/booth"),
        Some(&alice),
        json!({"key_id": "me", "choices": [1]}),
    )
    .await
    .ok();
    sleep_until_ms(end + 200).await;
    let aggregate: Vec<Ciphertext> = api
        .poll(poll)
        .await
        .aggregate
        .iter()
        .map(|b| Ciphertext::from_bytes(&b.0).unwrap())
        .collect();
    let s = counter::decryption_shares_with_rng(&poll, &share, &aggregate, &mut OsRng);
    api.step(
        &organiser,
        poll,
        "c1",
        json!({"kind": "decrypt", "shares": s}),
    )
    .await
    .ok();
    let result = api.poll(poll).await.result.expect("the tally is recorded");
    assert_eq!(result.counts, vec![0, 1, 0]);
    let audit = api.get(&format!("/api/v1/polls/{poll}/audit")).await.ok();
    assert_eq!(audit["passed"], true, "{audit}");
}
