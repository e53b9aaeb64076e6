//! Tests of KKRT-PSI through its public interface: exactness against a plain set intersection,
//! payloads, both-sides alignment, and refusal of malformed, replayed, misrouted or oversized
//! messages.

use std::collections::BTreeSet;

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use super::*;

fn item(i: u64) -> Vec<u8> {
    format!("customer-{i}").into_bytes()
}

fn params(mode: KkrtMode, r: u64, s: u64, payload_len: u32) -> KkrtParams {
    KkrtParams {
        session_id: [7; 32],
        mode,
        receiver_size: r,
        sender_size: s,
        payload_len,
    }
}

/// Runs a session on raw (possibly repeated) items and checks both outcomes against a plain
/// intersection.
fn check(mode: KkrtMode, xs: Vec<Vec<u8>>, ys: Vec<Vec<u8>>, seed: u64) {
    let expected: Vec<Vec<u8>> = {
        let a: BTreeSet<_> = xs.iter().cloned().collect();
        let b: BTreeSet<_> = ys.iter().cloned().collect();
        a.intersection(&b).cloned().collect()
    };
    let rs = InputSet::new(xs);
    let ss = SenderInput::new(InputSet::new(ys));
    let p = params(mode, rs.len(), ss.len(), 0);
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let run = run_local_with_rng(p, KkrtLimits::default(), rs, ss, &mut rng).unwrap();
    assert_eq!(
        run.receiver.revealed,
        KkrtRevealed::Intersection(expected.clone())
    );
    match mode {
        KkrtMode::OneSide => assert_eq!(run.sender.revealed, KkrtRevealed::Nothing),
        KkrtMode::BothSides => {
            assert_eq!(run.sender.revealed, KkrtRevealed::Intersection(expected))
        }
    }
    assert_eq!(run.receiver.digest, run.sender.digest);
}

fn overlap(n_r: u64, n_s: u64, shared: u64) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let xs = (0..n_r).map(item).collect();
    let ys = (n_r - shared..n_r - shared + n_s).map(item).collect();
    (xs, ys)
}

#[test]
fn non_power_of_two_sizes() {
    for (n, shared) in [(1000, 100), (6789, 678)] {
        let (xs, ys) = overlap(n, n, shared);
        check(KkrtMode::OneSide, xs.clone(), ys.clone(), n);
        check(KkrtMode::BothSides, xs, ys, n + 1);
    }
}

#[test]
fn empty_and_single_sets() {
    check(KkrtMode::BothSides, vec![], vec![], 1);
    check(KkrtMode::BothSides, vec![item(1)], vec![], 2);
    check(KkrtMode::BothSides, vec![], vec![item(1)], 3);
    check(KkrtMode::BothSides, vec![item(1)], vec![item(1)], 4);
    check(KkrtMode::OneSide, vec![item(1)], vec![item(2)], 5);
    // The empty item is an item like any other.
    check(KkrtMode::BothSides, vec![vec![]], vec![vec![], item(1)], 6);
}

#[test]
fn very_different_sizes_both_ways() {
    let (xs, ys) = overlap(1 << 10, 1 << 16, 300);
    check(KkrtMode::BothSides, xs, ys, 7);
    let (xs, ys) = overlap(1 << 16, 1 << 10, 1 << 10);
    check(KkrtMode::OneSide, xs, ys, 8);
}

#[test]
fn duplicates_count_once() {
    let xs = vec![item(1), item(1), item(2), item(3), item(3)];
    let ys = vec![item(3), item(1), item(1), item(9)];
    check(KkrtMode::BothSides, xs, ys, 9);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn matches_plain_intersection(
        xs in proptest::collection::vec(0u64..600, 0..400),
        ys in proptest::collection::vec(0u64..600, 0..400),
        both in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let mode = if both { KkrtMode::BothSides } else { KkrtMode::OneSide };
        check(mode, xs.into_iter().map(item).collect(), ys.into_iter().map(item).collect(), seed);
    }
}

#[test]
fn payloads_reach_the_receiver_for_matches_only() {
    let xs: Vec<Vec<u8>> = (0..500).map(item).collect();
    let rows: Vec<(Vec<u8>, Vec<u8>)> = (300..1300)
        .map(|i| (item(i), format!("row {i:06} of the sender..").into_bytes()))
        .collect();
    let len = rows[0].1.len();
    let sender = SenderInput::with_payloads(rows.clone(), len).unwrap();
    let rs = InputSet::new(xs);
    for mode in [KkrtMode::OneSide, KkrtMode::BothSides] {
        let p = params(mode, rs.len(), sender.len(), len as u32);
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let run = run_local_with_rng(
            p,
            KkrtLimits::default(),
            rs.clone(),
            sender.clone(),
            &mut rng,
        )
        .unwrap();
        let mut expected: Vec<(Vec<u8>, Vec<u8>)> = rows
            .iter()
            .filter(|(i, _)| rs.iter().any(|x| x == i.as_slice()))
            .cloned()
            .collect();
        expected.sort();
        assert_eq!(expected.len(), 200);
        assert_eq!(
            run.receiver.revealed,
            KkrtRevealed::WithPayloads(expected.clone())
        );
        if mode == KkrtMode::BothSides {
            // Same order on both sides: rows align.
            assert_eq!(
                run.sender.revealed.items().unwrap(),
                expected.into_iter().map(|(i, _)| i).collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn payload_input_is_checked() {
    let bad_len = SenderInput::with_payloads(vec![(item(1), vec![0; 3])], 4);
    assert!(matches!(bad_len, Err(PsiError::InvalidParams(_))));
    let conflicting =
        SenderInput::with_payloads(vec![(item(1), vec![0; 4]), (item(1), vec![1; 4])], 4);
    assert_eq!(conflicting.unwrap_err(), PsiError::DuplicateKey);
    let same = SenderInput::with_payloads(vec![(item(1), vec![0; 4]), (item(1), vec![0; 4])], 4);
    assert_eq!(same.unwrap().len(), 1);
}

// ---------------------------------------------------------------- malformed and malicious

struct Rounds {
    p: KkrtParams,
    r1: ReceiverAwaitingBaseOt,
    s1: KkrtSender,
    m1: KkrtMessage,
}

fn rounds(mode: KkrtMode) -> Rounds {
    let xs = InputSet::new((0..100).map(item).collect());
    let ys = InputSet::new((50..150).map(item).collect());
    let p = params(mode, 100, 100, 0);
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let s1 = KkrtSender::start(p, KkrtLimits::default(), SenderInput::new(ys)).unwrap();
    let (r1, m1) = KkrtReceiver::start_with_rng(p, KkrtLimits::default(), xs, &mut rng).unwrap();
    Rounds { p, r1, s1, m1 }
}

fn with_sid(mut m: KkrtMessage, sid: [u8; 32]) -> KkrtMessage {
    match &mut m {
        KkrtMessage::Hello(x) => x.session_id = sid,
        KkrtMessage::BaseOt(x) => x.session_id = sid,
        KkrtMessage::Matrix(x) => x.session_id = sid,
        KkrtMessage::Tags(x) => x.session_id = sid,
        KkrtMessage::Matches(x) => x.session_id = sid,
    }
    m
}

#[test]
fn refuses_wrong_session_wrong_round_and_other_parameters() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let Rounds { p, r1, s1, m1 } = rounds(KkrtMode::OneSide);
    let err = |r: Result<(SenderAwaitingMatrix, KkrtMessage), PsiError>| r.unwrap_err();
    let s_again = || {
        KkrtSender::start(
            p,
            KkrtLimits::default(),
            SenderInput::new(InputSet::new((50..150).map(item).collect())),
        )
        .unwrap()
    };
    assert!(matches!(
        err(s1.receive_with_rng(with_sid(m1.clone(), [8; 32]), &mut rng)),
        PsiError::WrongSession { .. }
    ));
    let e = err(s_again().receive_with_rng(
        KkrtMessage::Matches(Matches {
            session_id: p.session_id,
            positions: vec![],
        }),
        &mut rng,
    ));
    assert!(matches!(e, PsiError::UnexpectedMessage { .. }), "{e:?}");
    assert_eq!(e.code(), "psi.unexpected_message");
    // A receiver that runs with other parameters is refused before any work.
    let other = KkrtParams {
        sender_size: 101,
        ..p
    };
    let s_other = KkrtSender::start(
        other,
        KkrtLimits::default(),
        SenderInput::new(InputSet::new((0..101).map(item).collect())),
    )
    .unwrap();
    assert_eq!(
        err(s_other.receive_with_rng(m1.clone(), &mut rng)),
        PsiError::ParamsMismatch
    );
    // Replaying round 1 to the receiver's next state is a wrong-round message.
    let e = r1.receive(m1).unwrap_err();
    assert!(matches!(e, PsiError::UnexpectedMessage { .. }));
}

#[test]
fn refuses_truncated_and_bad_base_ot() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let Rounds { r1, s1, m1, .. } = rounds(KkrtMode::OneSide);
    let (_s2, m2) = s1.receive_with_rng(m1, &mut rng).unwrap();
    let KkrtMessage::BaseOt(mut b) = m2 else {
        panic!()
    };
    b.points.pop();
    let e = r1.receive(KkrtMessage::BaseOt(b.clone())).unwrap_err();
    assert_eq!(
        e,
        PsiError::BadLength {
            what: "base-OT points",
            expected: 512,
            found: 511
        }
    );
    let Rounds { r1, .. } = rounds(KkrtMode::OneSide);
    b.points.push([0xee; 32]);
    assert!(matches!(
        r1.receive(KkrtMessage::BaseOt(b)),
        Err(PsiError::Malformed(_))
    ));
}

#[test]
fn refuses_truncated_matrix_and_tags_and_tolerates_tampering() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let Rounds { r1, s1, m1, .. } = rounds(KkrtMode::BothSides);
    let (s2, m2) = s1.receive_with_rng(m1, &mut rng).unwrap();
    let (r2, m3) = r1.receive(m2).unwrap();
    let KkrtMessage::Matrix(mut mx) = m3 else {
        panic!()
    };
    // Flipped bits: the sender cannot tell, and the receiver just misses those bins.
    for b in mx.rows.iter_mut().step_by(97) {
        *b ^= 0x5a;
    }
    let tampered = KkrtMessage::Matrix(mx.clone());
    mx.rows.truncate(mx.rows.len() - 1);
    // (A state is consumed by an error, so the truncated matrix goes to a fresh run.)
    let Rounds {
        r1: r1b,
        s1: s1b,
        m1: m1b,
        ..
    } = rounds(KkrtMode::BothSides);
    let (s2b, m2b) = s1b.receive_with_rng(m1b, &mut rng).unwrap();
    let _ = r1b.receive(m2b).unwrap();
    let e = s2b.receive(KkrtMessage::Matrix(mx)).unwrap_err();
    assert!(
        matches!(
            e,
            PsiError::BadLength {
                what: "matrix bytes",
                ..
            }
        ),
        "{e:?}"
    );
    let (s3, m4) = s2.receive(tampered).unwrap();
    let KkrtMessage::Tags(t) = m4 else { panic!() };
    // Truncated tags are refused.
    let mut short = t.clone();
    short.entries.pop();
    let (outcome, reply) = r2.receive(KkrtMessage::Tags(t.clone())).unwrap();
    let got = outcome.revealed.items().unwrap();
    let truth: Vec<Vec<u8>> = {
        let mut v: Vec<Vec<u8>> = (50..100).map(item).collect();
        v.sort();
        v
    };
    assert!(got.iter().all(|x| truth.contains(x)));
    assert!(got.len() < truth.len());
    let s_out = s3.receive(reply.unwrap()).unwrap();
    assert_eq!(s_out.revealed.items().unwrap(), got);
    assert_eq!(s_out.digest, outcome.digest);
    // A fresh run for the truncated and unsorted tag messages.
    let Rounds { r1, s1, m1, .. } = rounds(KkrtMode::OneSide);
    let (s2, m2) = s1.receive_with_rng(m1, &mut rng).unwrap();
    let (r2, m3) = r1.receive(m2).unwrap();
    let (_s3, _m4) = s2.receive(m3).unwrap();
    let e = r2.receive(KkrtMessage::Tags(short)).unwrap_err();
    assert!(
        matches!(
            e,
            PsiError::BadLength {
                what: "tag entries",
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn refuses_unsorted_tags_and_bad_matches() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let Rounds { p, r1, s1, m1 } = rounds(KkrtMode::BothSides);
    let (s2, m2) = s1.receive_with_rng(m1, &mut rng).unwrap();
    let (r2, m3) = r1.receive(m2).unwrap();
    let (s3, m4) = s2.receive(m3).unwrap();
    let KkrtMessage::Tags(mut t) = m4 else {
        panic!()
    };
    let len = p.entry_len();
    let n = t.entries.len();
    let (a, b) = t.entries.split_at_mut(n - len);
    a[..len].swap_with_slice(b);
    assert!(matches!(
        r2.receive(KkrtMessage::Tags(t)),
        Err(PsiError::Malformed(_))
    ));
    // Matches out of range, unsorted, or too many.
    let mk = |positions: Vec<u32>| {
        KkrtMessage::Matches(Matches {
            session_id: p.session_id,
            positions,
        })
    };
    assert!(!s3.expects_reply() || s3.params.mode == KkrtMode::BothSides);
    let e = s3.receive(mk(vec![3, 2])).unwrap_err();
    assert!(matches!(e, PsiError::Malformed(_)));
    let again = || {
        let Rounds { r1, s1, m1, .. } = rounds(KkrtMode::BothSides);
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let (s2, m2) = s1.receive_with_rng(m1, &mut rng).unwrap();
        let (_r2, m3) = r1.receive(m2).unwrap();
        s2.receive(m3).unwrap().0
    };
    assert!(matches!(
        again().receive(mk(vec![300])),
        Err(PsiError::Malformed(_))
    ));
    assert!(matches!(
        again().receive(mk((0..101).collect())),
        Err(PsiError::TooManyItems { .. })
    ));
    // Both-sides sender cannot end without the receiver's matches.
    assert!(matches!(
        again().finish(),
        Err(PsiError::UnexpectedMessage { .. })
    ));
}

#[test]
fn decoding_and_limits_are_bounded() {
    let p = params(KkrtMode::OneSide, 10, 10, 0);
    let max = p.max_message_len();
    assert!(matches!(
        KkrtMessage::decode(&vec![0; max as usize + 1], max),
        Err(PsiError::Malformed(_))
    ));
    // A length prefix claiming 4 GiB inside a short message.
    let mut bytes = vec![2u8];
    bytes.extend_from_slice(&[1; 32]);
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        KkrtMessage::decode(&bytes, max),
        Err(PsiError::Malformed(_))
    ));
    assert!(matches!(
        KkrtMessage::decode(&[9], max),
        Err(PsiError::Malformed(_))
    ));
    let m = KkrtMessage::Matches(Matches {
        session_id: [1; 32],
        positions: vec![1, 2],
    });
    assert_eq!(KkrtMessage::decode(&m.encode(), max).unwrap(), m);
    // Parameters over the limits are refused before any work.
    let limits = KkrtLimits::default();
    let big = params(KkrtMode::OneSide, limits.max_items + 1, 1, 0);
    assert!(matches!(
        big.validate(&limits),
        Err(PsiError::InvalidParams(_))
    ));
    let fat = params(KkrtMode::OneSide, 1 << 20, 1 << 20, 1024);
    assert!(matches!(
        fat.validate(&limits),
        Err(PsiError::InvalidParams(_))
    ));
    let wrong_size = KkrtSender::start(p, limits, SenderInput::new(InputSet::new(vec![item(1)])));
    assert!(matches!(wrong_size, Err(PsiError::BadLength { .. })));
    // Tag length bound: 40 bits of margin over every comparison.
    let q = params(KkrtMode::OneSide, 1 << 20, 1 << 20, 0);
    assert_eq!(q.tag_len(), 11);
}
