//! DKG, threshold decryption and BSGS through the public API.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use weft_zk::dkg::{
    Complaint, ComplaintResponse, DkgRound1, DkgRound3, Round1Broadcast, SecretShareMessage,
};
use weft_zk::{
    Ciphertext, Context, DecryptionShare, DkgError, DkgParameters, DlogError, DlogTable, GroupKey,
    KeyShare, ThresholdError,
};

const CTX: Context<'static> = Context::new(b"poll-2026-05/counters");

/// Runs rounds 1 and 2 honestly, with an optional hook to tamper with the share messages.
fn run_to_round3(
    params: DkgParameters,
    rng: &mut ChaCha20Rng,
    tamper: impl Fn(&mut Vec<SecretShareMessage>),
) -> (Vec<DkgRound3>, Vec<Complaint>, Vec<Round1Broadcast>) {
    let (r1, broadcasts): (Vec<_>, Vec<_>) = (1..=params.participants())
        .map(|i| DkgRound1::new_with_rng(params, i, &CTX, rng).unwrap())
        .unzip();
    let mut messages = Vec::new();
    let mut r2 = Vec::new();
    for p in r1 {
        let (next, out) = p.receive_broadcasts(&broadcasts).unwrap();
        r2.push(next);
        messages.extend(out);
    }
    tamper(&mut messages);
    let mut complaints = Vec::new();
    let mut r3 = Vec::new();
    for (i, p) in r2.into_iter().enumerate() {
        let mine: Vec<_> = messages
            .iter()
            .filter(|m| m.to() == i as u32 + 1)
            .cloned()
            .collect();
        let (next, c) = p.receive_shares(&mine).unwrap();
        complaints.extend(c);
        r3.push(next);
    }
    (r3, complaints, broadcasts)
}

fn finish_all(
    r3: Vec<DkgRound3>,
    complaints: &[Complaint],
    responses: &[ComplaintResponse],
) -> Vec<Result<weft_zk::dkg::DkgOutput, DkgError>> {
    r3.into_iter()
        .map(|p| p.finish(complaints, responses))
        .collect()
}

fn honest_dkg(t: u32, n: u32, rng: &mut ChaCha20Rng) -> (GroupKey, Vec<KeyShare>) {
    let params = DkgParameters::new(t, n).unwrap();
    let (r3, complaints, broadcasts) = run_to_round3(params, rng, |_| {});
    assert!(complaints.is_empty());
    let outputs: Vec<_> = finish_all(r3, &[], &[])
        .into_iter()
        .map(|o| o.unwrap())
        .collect();
    let group = outputs[0].group.clone();
    // Everyone, and any observer, derives the same group key.
    for o in &outputs {
        assert_eq!(o.group, group);
    }
    let observed = GroupKey::from_public_transcript(params, &CTX, &broadcasts, &[], &[]).unwrap();
    assert_eq!(observed, group);
    // The joint key is the sum of the qualified constant terms.
    let sum: curve25519_dalek::RistrettoPoint = broadcasts.iter().map(|b| b.commitments()[0]).sum();
    assert_eq!(*group.public_key().as_point(), sum);
    // Verification shares match the secret shares.
    for o in &outputs {
        let y = group.verification_share(o.share.index()).unwrap();
        let share_bytes = o.share.to_secret_bytes();
        let decoded = KeyShare::from_secret_bytes(&share_bytes).unwrap();
        assert_eq!(decoded.index(), o.share.index());
        assert_ne!(y, curve25519_dalek::RistrettoPoint::default());
    }
    (group, outputs.into_iter().map(|o| o.share).collect())
}

#[test]
fn every_t_subset_decrypts_and_no_t_minus_1_subset_does() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let (group, shares) = honest_dkg(3, 5, &mut rng);
    let table = DlogTable::new(1000).unwrap();
    let (ct, _) = group.public_key().encrypt_with_rng(777, &mut rng);
    let dshares: Vec<DecryptionShare> = shares
        .iter()
        .map(|s| s.decryption_share_with_rng(&CTX, &ct, &mut rng))
        .collect();
    for d in &dshares {
        group.verify_share(&CTX, &ct, d).unwrap();
    }
    for mask in 0u32..32 {
        let subset: Vec<DecryptionShare> = (0..5)
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| dshares[i])
            .collect();
        let result = group.decrypt(&CTX, &ct, &subset, &table);
        match subset.len() {
            0..=2 => assert_eq!(
                result,
                Err(ThresholdError::NotEnoughShares {
                    valid: subset.len(),
                    threshold: 3
                })
            ),
            _ => assert_eq!(result, Ok(777), "subset {mask:05b}"),
        }
    }
}

#[test]
fn combine_refuses_fewer_than_t_distinct_shares() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let (group3, shares) = honest_dkg(3, 5, &mut rng);
    let (ct, _) = group3.public_key().encrypt_with_rng(5, &mut rng);
    let two: Vec<_> = shares[..2]
        .iter()
        .map(|s| s.decryption_share(&CTX, &ct))
        .collect();
    assert!(matches!(
        group3.combine(&CTX, &ct, &two),
        Err(ThresholdError::NotEnoughShares {
            valid: 2,
            threshold: 3
        })
    ));
    // Duplicates of one share do not count twice.
    let dup = vec![two[0], two[0], two[1]];
    assert!(matches!(
        group3.combine(&CTX, &ct, &dup),
        Err(ThresholdError::NotEnoughShares {
            valid: 2,
            threshold: 3
        })
    ));
}

#[test]
fn a_share_with_a_wrong_proof_is_rejected() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let (group, shares) = honest_dkg(2, 3, &mut rng);
    let (ct, _) = group.public_key().encrypt_with_rng(9, &mut rng);
    let (other_ct, _) = group.public_key().encrypt_with_rng(9, &mut rng);
    let good = shares[0].decryption_share(&CTX, &ct);
    // A share made for another ciphertext, another context, or claimed by another index.
    let wrong_ct = shares[0].decryption_share(&CTX, &other_ct);
    let wrong_ctx = shares[0].decryption_share(&Context::new(b"poll-other"), &ct);
    let mut relabelled = good.to_bytes();
    relabelled[2..6].copy_from_slice(&2u32.to_be_bytes());
    let relabelled = DecryptionShare::from_bytes(&relabelled).unwrap();
    for bad in [wrong_ct, wrong_ctx, relabelled] {
        assert!(group.verify_share(&CTX, &ct, &bad).is_err());
        let index = bad.index();
        assert_eq!(
            group.combine(&CTX, &ct, &[bad, shares[2].decryption_share(&CTX, &ct)]),
            Err(ThresholdError::InvalidShare { index })
        );
    }
    // A tampered D_i with the original proof.
    let mut bytes = good.to_bytes();
    bytes[6..38].copy_from_slice(
        curve25519_dalek::RistrettoPoint::mul_base(&curve25519_dalek::Scalar::from(7u64))
            .compress()
            .as_bytes(),
    );
    let forged = DecryptionShare::from_bytes(&bytes).unwrap();
    assert!(group.verify_share(&CTX, &ct, &forged).is_err());
    // Every single-bit flip of the encoding is rejected.
    let bytes = good.to_bytes();
    for i in 0..bytes.len() {
        for bit in [0u8, 5] {
            let mut b = bytes.clone();
            b[i] ^= 1 << bit;
            let accepted = DecryptionShare::from_bytes(&b)
                .is_ok_and(|s| group.verify_share(&CTX, &ct, &s).is_ok());
            assert!(!accepted, "flip of byte {i} accepted");
        }
    }
    // The honest pair still decrypts.
    let table = DlogTable::new(100).unwrap();
    let pair = [good, shares[1].decryption_share(&CTX, &ct)];
    assert_eq!(group.decrypt(&CTX, &ct, &pair, &table), Ok(9));
}

#[test]
fn dkg_names_a_dealer_whose_share_does_not_match() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let params = DkgParameters::new(3, 5).unwrap();
    // Dealer 4 sends participant 2 a share that is off by one.
    let (r3, complaints, broadcasts) = run_to_round3(params, &mut rng, |msgs| {
        for m in msgs.iter_mut().filter(|m| m.from() == 4 && m.to() == 2) {
            let mut bytes = m.to_secret_bytes();
            bytes[8] ^= 1;
            *m = SecretShareMessage::from_secret_bytes(&bytes).unwrap();
        }
    });
    assert_eq!(
        complaints,
        vec![Complaint {
            accuser: 2,
            accused: 4
        }]
    );

    // Case 1: dealer 4 does not answer; it is disqualified, everyone else agrees on Q.
    let group =
        GroupKey::from_public_transcript(params, &CTX, &broadcasts, &complaints, &[]).unwrap();
    assert_eq!(group.qualified(), &[1, 2, 3, 5]);
    let expected: curve25519_dalek::RistrettoPoint = broadcasts
        .iter()
        .filter(|b| b.sender() != 4)
        .map(|b| b.commitments()[0])
        .sum();
    assert_eq!(*group.public_key().as_point(), expected);
    let outputs = finish_all(r3, &complaints, &[]);
    assert_eq!(outputs[3].as_ref().err(), Some(&DkgError::SelfDisqualified));
    let shares: Vec<_> = outputs
        .into_iter()
        .filter_map(Result::ok)
        .map(|o| o.share)
        .collect();
    assert_eq!(shares.len(), 4);
    let (ct, _) = group.public_key().encrypt_with_rng(31, &mut rng);
    let ds: Vec<_> = shares
        .iter()
        .map(|s| s.decryption_share(&CTX, &ct))
        .collect();
    let table = DlogTable::new(100).unwrap();
    assert_eq!(group.decrypt(&CTX, &ct, &ds[1..], &table), Ok(31));
}

#[test]
fn a_complaint_answered_with_the_right_share_is_dismissed() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let params = DkgParameters::new(2, 3).unwrap();
    // Participant 3 never receives dealer 1's share (lost, or withheld).
    let (r3, complaints, broadcasts) = run_to_round3(params, &mut rng, |msgs| {
        msgs.retain(|m| !(m.from() == 1 && m.to() == 3))
    });
    assert_eq!(
        complaints,
        vec![Complaint {
            accuser: 3,
            accused: 1
        }]
    );
    let responses = r3[0].respond_to_complaints(&complaints);
    assert_eq!(responses.len(), 1);
    // A response can be carried as bytes; a flipped byte is rejected or fails the check.
    let decoded = ComplaintResponse::from_bytes(&responses[0].to_bytes()).unwrap();
    assert_eq!(decoded, responses[0]);
    let group =
        GroupKey::from_public_transcript(params, &CTX, &broadcasts, &complaints, &responses)
            .unwrap();
    assert_eq!(group.qualified(), &[1, 2, 3]);
    let outputs: Vec<_> = finish_all(r3, &complaints, &responses)
        .into_iter()
        .map(|o| o.unwrap())
        .collect();
    let (ct, _) = group.public_key().encrypt_with_rng(4, &mut rng);
    let table = DlogTable::new(10).unwrap();
    // Participant 3 (who used the revealed share) decrypts together with 1.
    let pair = [
        outputs[2].share.decryption_share(&CTX, &ct),
        outputs[0].share.decryption_share(&CTX, &ct),
    ];
    assert_eq!(group.decrypt(&CTX, &ct, &pair, &table), Ok(4));
}

#[test]
fn invalid_broadcasts_are_excluded_and_messages_must_be_ours() {
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let params = DkgParameters::new(2, 4).unwrap();
    let (r1, mut broadcasts): (Vec<_>, Vec<_>) = (1..=4)
        .map(|i| DkgRound1::new_with_rng(params, i, &CTX, &mut rng).unwrap())
        .unzip();
    // Participant 3's broadcast is relabelled as 4's; participant 4 made its PoP under
    // another session context.
    let mut b = broadcasts[2].to_bytes();
    b[2..6].copy_from_slice(&4u32.to_be_bytes());
    let (_, other_session) =
        DkgRound1::new_with_rng(params, 4, &Context::new(b"poll-other"), &mut rng).unwrap();
    broadcasts[2] = Round1Broadcast::from_bytes(&b).unwrap();
    broadcasts[3] = other_session;
    // Every single-bit flip of a broadcast makes it unacceptable.
    let params_ok = broadcasts[0].clone();
    assert!(params_ok.is_valid(&params, &CTX));
    let bytes = params_ok.to_bytes();
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 1 << (i % 8);
        let accepted = Round1Broadcast::from_bytes(&b).is_ok_and(|x| x.is_valid(&params, &CTX));
        assert!(!accepted, "flip of byte {i} accepted");
    }
    let mut r1 = r1.into_iter();
    let (r2, msgs) = r1.next().unwrap().receive_broadcasts(&broadcasts).unwrap();
    assert_eq!(r2.accepted(), vec![1, 2]);
    assert_eq!(r2.excluded(), &[4]);
    assert_eq!(msgs.len(), 2);
    // Participant 3's own broadcast is not in the list in its valid form.
    let p3 = r1.nth(1).unwrap();
    assert_eq!(
        p3.receive_broadcasts(&broadcasts).err(),
        Some(DkgError::SelfDisqualified)
    );
    // Shares addressed to someone else are not shares for us: the dealer gets a complaint,
    // and the round goes on (a malicious dealer cannot make us abort).
    let to_two: Vec<_> = msgs.iter().filter(|m| m.to() == 2).cloned().collect();
    let (_, complaints) = r2.receive_shares(&to_two).unwrap();
    assert_eq!(
        complaints,
        vec![Complaint {
            accuser: 1,
            accused: 2
        }]
    );
}

#[test]
fn bsgs_random_values_up_to_ten_million_and_the_bound() {
    const BOUND: u64 = 10_000_000;
    let table = DlogTable::new(BOUND).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let g = |x: u64| curve25519_dalek::RistrettoPoint::mul_base(&curve25519_dalek::Scalar::from(x));
    for x in (0..20)
        .map(|_| rng.gen_range(0..=BOUND))
        .chain([0, 1, BOUND - 1, BOUND])
    {
        assert_eq!(table.solve(&g(x)), Ok(x));
    }
    assert_eq!(
        table.solve(&g(BOUND + 1)),
        Err(DlogError::OutOfRange { bound: BOUND })
    );
    assert_eq!(
        table.solve(&g(u64::MAX)),
        Err(DlogError::OutOfRange { bound: BOUND })
    );
    assert_eq!(
        DlogTable::new(u64::MAX).err(),
        Some(DlogError::BoundTooLarge { bound: u64::MAX })
    );
}

#[test]
fn tally_of_many_ballots() {
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let (group, shares) = honest_dkg(2, 3, &mut rng);
    let votes: Vec<u64> = (0..200).map(|_| rng.gen_range(0..=1)).collect();
    let tally: Ciphertext = votes
        .iter()
        .map(|&v| group.public_key().encrypt_with_rng(v, &mut rng).0)
        .sum();
    let ds: Vec<_> = shares[1..]
        .iter()
        .map(|s| s.decryption_share(&CTX, &tally))
        .collect();
    let table = DlogTable::new(1_000).unwrap();
    assert_eq!(
        group.decrypt(&CTX, &tally, &ds, &table),
        Ok(votes.iter().sum())
    );
}
