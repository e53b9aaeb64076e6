//! Voting through a running node: a poll created over JSON-RPC, read back with the CLI's query
//! path, shown by the voting pages, and a failing `weft vote verify` on an unfinished poll.

mod common;

use common::{raw, TestNode};
use serde_json::json;
use weft_api::cli::vote::{query, run, VoteCommand};
use weft_chain::governance::{self, Action, GovernanceCall};
use weft_chain::{Call, Keypair};
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
        counters: vec![admin.address()],
        threshold: 1,
        allow_revote: false,
        tree_depth: 4,
        verifying_key: params.proving_key().verifying_key().to_bytes(),
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
