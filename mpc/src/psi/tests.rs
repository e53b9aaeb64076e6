//! Behaviour of the PSI protocols: correctness against a plain intersection, what each mode
//! reveals, and refusal of malformed, oversized, out-of-order and foreign messages.

use std::collections::BTreeSet;

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use super::ecdh::{run_local_with_rng, PointBatch, Step, TagBatch};
use super::oprf::{KeywordTable, OprfServer, UnbalancedClient, UnbalancedServer};
use super::*;

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn params(a: &InputSet, b: &InputSet, mode: Mode, batch: u32) -> SessionParams {
    SessionParams {
        session_id: [0x5a; 32],
        mode,
        initiator_size: a.len(),
        responder_size: b.len(),
        batch_size: batch,
    }
}

fn plain(a: &[Vec<u8>], b: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let b: BTreeSet<&Vec<u8>> = b.iter().collect();
    let s: BTreeSet<Vec<u8>> = a.iter().filter(|x| b.contains(x)).cloned().collect();
    s.into_iter().collect()
}

fn items(v: &[u16]) -> Vec<Vec<u8>> {
    v.iter().map(|x| format!("cust-{x}").into_bytes()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Every mode agrees with a plain intersection, over random sets with duplicates (values
    /// drawn from a small range) and empty sets, and random batch sizes.
    #[test]
    fn matches_plain_intersection(
        a in proptest::collection::vec(0u16..300, 0..120),
        b in proptest::collection::vec(0u16..300, 0..120),
        batch in 1u32..40,
        seed in any::<u64>(),
    ) {
        let (a, b) = (items(&a), items(&b));
        let expected = plain(&a, &b);
        let (sa, sb) = (InputSet::new(a), InputSet::new(b));
        for mode in [Mode::OneSide, Mode::BothSides, Mode::Cardinality] {
            let p = params(&sa, &sb, mode, batch);
            let run = run_local_with_rng(p, Limits::default(), sa.clone(), sb.clone(), &mut rng(seed)).unwrap();
            prop_assert_eq!(run.initiator.digest, run.responder.digest);
            match mode {
                Mode::OneSide => {
                    prop_assert_eq!(&run.initiator.revealed, &Revealed::Intersection(expected.clone()));
                    prop_assert_eq!(&run.responder.revealed, &Revealed::Nothing);
                }
                Mode::BothSides => {
                    prop_assert_eq!(&run.initiator.revealed, &Revealed::Intersection(expected.clone()));
                    prop_assert_eq!(&run.responder.revealed, &Revealed::Intersection(expected.clone()));
                }
                Mode::Cardinality => {
                    let n = expected.len() as u64;
                    prop_assert_eq!(&run.initiator.revealed, &Revealed::Cardinality(n));
                    prop_assert_eq!(&run.responder.revealed, &Revealed::Cardinality(n));
                }
            }
        }
    }

    /// Unbalanced PSI agrees with a plain intersection; the filter is reused by two clients.
    #[test]
    fn unbalanced_matches_plain_intersection(
        server in proptest::collection::vec(0u16..400, 0..150),
        c1 in proptest::collection::vec(0u16..400, 0..20),
        c2 in proptest::collection::vec(0u16..400, 0..20),
        seed in any::<u64>(),
    ) {
        let mut r = rng(seed);
        let s = InputSet::new(items(&server));
        let srv = UnbalancedServer::preprocess_with_rng([3; 32], &s, 1 << 20, &mut r);
        for c in [c1, c2] {
            let set = InputSet::new(items(&c));
            let expected = plain(&set.to_vec(), &s.to_vec());
            let client = UnbalancedClient::query_with_rng(srv.filter(), set, &mut r).unwrap();
            let answers = srv.answer(client.points(), 1000).unwrap();
            prop_assert_eq!(client.finish(srv.filter(), &answers).unwrap(), expected);
        }
    }
}

/// Drives an initiator until its first outgoing batch of points.
fn first_points(
    a: &InputSet,
    b: &InputSet,
    mode: Mode,
    batch: u32,
) -> (ResponderDoubling, PointBatch) {
    let p = params(a, b, mode, batch);
    let mut init =
        InitiatorBlinding::start_with_rng(p, Limits::default(), a.clone(), &mut rng(1)).unwrap();
    let resp =
        ResponderDoubling::start_with_rng(p, Limits::default(), b.clone(), &mut rng(2)).unwrap();
    let Some(Message::Points(pts)) = init.next_batch() else {
        panic!("points expected")
    };
    (resp, pts)
}

fn sets() -> (InputSet, InputSet) {
    (
        InputSet::new(items(&(0..10).collect::<Vec<_>>())),
        InputSet::new(items(&(5..15).collect::<Vec<_>>())),
    )
}

#[test]
fn cardinality_mode_reveals_only_the_count() {
    let (a, b) = sets();
    let p = params(&a, &b, Mode::Cardinality, 4);
    let mut init =
        InitiatorBlinding::start_with_rng(p, Limits::default(), a.clone(), &mut rng(1)).unwrap();
    let mut resp = ResponderDoubling::start_with_rng(p, Limits::default(), b, &mut rng(2)).unwrap();
    let mut sent = Vec::new();
    while let Some(m) = init.next_batch() {
        sent.push(m.clone());
        // Nothing comes back batch by batch: an in-order reply would let the initiator map
        // doubly-blinded values to its own items.
        assert!(resp.receive(m).unwrap().is_none());
    }
    let (mut resp, replies) = resp.finish().unwrap();
    // The replies are sorted tags, not in the initiator's order.
    let tags: Vec<u8> = replies
        .iter()
        .flat_map(|m| match m {
            Message::Tags(t) => t.tags.clone(),
            Message::Points(_) => panic!("tags expected"),
        })
        .collect();
    let l = p.tag_len();
    let chunks: Vec<&[u8]> = tags.chunks(l).collect();
    assert!(chunks.windows(2).all(|w| w[0] <= w[1]));
    let mut init = init.finish().unwrap();
    for m in replies {
        init.receive(m).unwrap();
    }
    let mut init = init.finish().unwrap();
    let mut back = Vec::new();
    while let Some(m) = resp.next_batch() {
        assert!(init.receive(m).unwrap().is_none());
    }
    let mut resp = resp.finish().unwrap();
    let (out_a, more) = init.finish().unwrap();
    back.extend(more);
    for m in back {
        resp.receive(m).unwrap();
    }
    let out_b = resp.finish().unwrap();
    // The outcome type carries only a count: no identity, on either side.
    assert_eq!(out_a.revealed, Revealed::Cardinality(5));
    assert_eq!(out_b.revealed, Revealed::Cardinality(5));
    assert_eq!(out_a.digest, out_b.digest);
    assert_eq!(format!("{a:?}"), "InputSet(10 items)");
}

#[test]
fn rejects_non_canonical_and_identity_points() {
    let (a, b) = sets();
    let (mut resp, mut pts) = first_points(&a, &b, Mode::OneSide, 4);
    let mut bad = [0xff; 32];
    bad[31] = 0x7f;
    pts.points[2] = bad;
    assert_eq!(
        resp.receive(Message::Points(pts.clone())).unwrap_err(),
        PsiError::InvalidPoint { batch: 0, index: 2 }
    );
    let (mut resp, mut pts) = first_points(&a, &b, Mode::OneSide, 4);
    pts.points[1] = [0; 32];
    assert_eq!(
        resp.receive(Message::Points(pts)).unwrap_err(),
        PsiError::IdentityPoint { batch: 0, index: 1 }
    );
}

#[test]
fn rejects_messages_of_another_session_wrong_step_and_replays() {
    let (a, b) = sets();
    let (mut resp, pts) = first_points(&a, &b, Mode::OneSide, 4);
    let mut foreign = pts.clone();
    foreign.session_id = [0x11; 32];
    assert!(matches!(
        resp.receive(Message::Points(foreign)),
        Err(PsiError::WrongSession { .. })
    ));
    let mut wrong_step = pts.clone();
    wrong_step.step = Step::ResponderBlinded;
    assert!(matches!(
        resp.receive(Message::Points(wrong_step)),
        Err(PsiError::UnexpectedMessage { .. })
    ));
    let tags = Message::Tags(TagBatch {
        session_id: pts.session_id,
        step: Step::InitiatorBlinded,
        seq: 0,
        tags: vec![],
    });
    assert!(matches!(
        resp.receive(tags),
        Err(PsiError::UnexpectedMessage { .. })
    ));
    resp.receive(Message::Points(pts.clone())).unwrap();
    // The same batch again (a replay) is out of sequence.
    assert_eq!(
        resp.receive(Message::Points(pts)).unwrap_err(),
        PsiError::BadSequence {
            expected: 1,
            found: 0
        }
    );

    // A whole transcript from another session, with the same sets, is refused at once.
    let (mut resp2, _) = first_points(&a, &b, Mode::OneSide, 4);
    let mut other = params(&a, &b, Mode::OneSide, 4);
    other.session_id = [0x22; 32];
    let mut init =
        InitiatorBlinding::start_with_rng(other, Limits::default(), a, &mut rng(9)).unwrap();
    let m = init.next_batch().unwrap();
    assert!(matches!(
        resp2.receive(m),
        Err(PsiError::WrongSession { .. })
    ));
}

#[test]
fn rejects_too_many_items_and_oversized_batches() {
    let (a, b) = sets();
    // The initiator declared 10 items; a peer sending 12 is refused.
    let (mut resp, pts) = first_points(&a, &b, Mode::OneSide, 4);
    resp.receive(Message::Points(pts.clone())).unwrap();
    let mut next = pts.clone();
    next.seq = 1;
    resp.receive(Message::Points(next.clone())).unwrap();
    next.seq = 2;
    assert_eq!(
        resp.receive(Message::Points(next)).unwrap_err(),
        PsiError::TooManyItems {
            found: 12,
            limit: 10
        }
    );
    // A batch larger than agreed.
    let (mut resp, mut pts) = first_points(&a, &b, Mode::OneSide, 4);
    pts.points.push(pts.points[0]);
    assert_eq!(
        resp.receive(Message::Points(pts)).unwrap_err(),
        PsiError::BatchTooLarge { found: 5, limit: 4 }
    );
    // Declared sizes over the limits are refused before any work.
    let mut p = params(&a, &b, Mode::OneSide, 4);
    p.responder_size = 1 << 40;
    assert!(matches!(
        ResponderDoubling::start_with_rng(p, Limits::default(), b.clone(), &mut rng(1)),
        Err(PsiError::InvalidParams(_))
    ));
    // A set that does not match the declared size.
    let mut p = params(&a, &b, Mode::OneSide, 4);
    p.responder_size = 3;
    assert!(ResponderDoubling::start_with_rng(p, Limits::default(), b, &mut rng(1)).is_err());
    // Finishing early is refused with a clear count.
    let (resp, _) = first_points(&a, &sets().1, Mode::OneSide, 4);
    assert_eq!(
        resp.finish().unwrap_err(),
        PsiError::Incomplete {
            found: 0,
            expected: 10
        }
    );
}

#[test]
fn malformed_encodings_are_refused() {
    assert!(matches!(
        Message::decode(&[9, 9, 9], 1000),
        Err(PsiError::Malformed(_))
    ));
    assert!(matches!(
        Message::decode(&[0; 2000], 1000),
        Err(PsiError::Malformed(_))
    ));
    let (a, b) = sets();
    let (mut resp, pts) = first_points(&a, &b, Mode::OneSide, 4);
    let bytes = Message::Points(pts).encode();
    // Truncated: the length prefix promises more points than present.
    assert!(Message::decode(&bytes[..bytes.len() - 1], 1 << 20).is_err());
    let ok = Message::decode(&bytes, 1 << 20).unwrap();
    resp.receive(ok).unwrap();
}

#[test]
fn tags_of_wrong_length_are_refused() {
    let (a, b) = sets();
    let p = params(&a, &b, Mode::OneSide, 4);
    let mut init = InitiatorBlinding::start_with_rng(p, Limits::default(), a, &mut rng(1)).unwrap();
    while init.next_batch().is_some() {}
    let mut init = init.finish().unwrap();
    let msg = Message::Tags(TagBatch {
        session_id: p.session_id,
        step: Step::ResponderDoubled,
        seq: 0,
        tags: vec![0; p.tag_len() + 1],
    });
    assert!(matches!(init.receive(msg), Err(PsiError::Malformed(_))));
}

#[test]
fn digests_differ_across_sessions_and_modes() {
    let (a, b) = sets();
    let run = |sid: u8, mode| {
        let mut p = params(&a, &b, mode, 4);
        p.session_id = [sid; 32];
        run_local_with_rng(p, Limits::default(), a.clone(), b.clone(), &mut rng(1)).unwrap()
    };
    let d1 = run(1, Mode::OneSide).initiator.digest;
    assert_ne!(d1, run(2, Mode::OneSide).initiator.digest);
    assert_ne!(d1, run(1, Mode::BothSides).initiator.digest);
}

#[test]
fn keyword_lookup_returns_the_payload_and_nothing_else() {
    let mut r = rng(4);
    let server = OprfServer::new_with_rng([8; 32], &mut r);
    let rows: Vec<(Vec<u8>, Vec<u8>)> = (0..50)
        .map(|i| {
            (
                format!("key-{i}").into_bytes(),
                format!("payload {i}").into_bytes(),
            )
        })
        .collect();
    let table = KeywordTable::build(&server, &rows).unwrap();
    // No row id or ciphertext contains the keyword or any prefix of it.
    for row in &table.rows {
        assert!(!row.ciphertext.windows(4).any(|w| w == b"key-"));
    }
    let q = table.query_with_rng(b"key-17", &mut r);
    let sent = q.points.clone();
    let answer = server.evaluate(&sent, 1).unwrap();
    assert_eq!(
        table.lookup(q, &answer).unwrap(),
        Some(b"payload 17".to_vec())
    );
    // The server saw one uniformly blinded point; querying the same key again sends a
    // different point (no linkability).
    let q2 = table.query_with_rng(b"key-17", &mut r);
    assert_ne!(q2.points, sent);
    let a2 = server.evaluate(&q2.points, 1).unwrap();
    assert_eq!(table.lookup(q2, &a2).unwrap(), Some(b"payload 17".to_vec()));
    // Absent key.
    let q3 = table.query_with_rng(b"key-999", &mut r);
    let a3 = server.evaluate(&q3.points, 1).unwrap();
    assert_eq!(table.lookup(q3, &a3).unwrap(), None);
    // A wrong answer (another server key) finds nothing rather than a wrong payload.
    let other = OprfServer::new_with_rng([8; 32], &mut r);
    let q4 = table.query_with_rng(b"key-3", &mut r);
    let a4 = other.evaluate(&q4.points, 1).unwrap();
    assert_eq!(table.lookup(q4, &a4).unwrap(), None);
    // The server refuses more points than allowed per query, and invalid points.
    assert!(matches!(
        server.evaluate(&[sent[0], sent[0]], 1),
        Err(PsiError::TooManyItems { .. })
    ));
    assert!(server.evaluate(&[[0; 32]], 1).is_err());
    // Duplicate keys in the table are refused.
    let dup = vec![rows[0].clone(), rows[0].clone()];
    assert_eq!(
        KeywordTable::build(&server, &dup).unwrap_err(),
        PsiError::DuplicateKey
    );
}

#[test]
fn unbalanced_filter_is_validated() {
    let mut r = rng(5);
    let s = InputSet::new(items(&[1, 2, 3]));
    let srv = UnbalancedServer::preprocess_with_rng([3; 32], &s, 1000, &mut r);
    let mut f = srv.filter().clone();
    f.tags.push(0);
    assert!(UnbalancedClient::query_with_rng(&f, InputSet::new(vec![]), &mut r).is_err());
    let mut f = srv.filter().clone();
    f.tags.reverse();
    assert!(f.validate().is_err() || f.len() < 2);
}
