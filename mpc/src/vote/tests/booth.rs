//! The booth API: a poll created with generated parameters accepts ballots proved with the
//! loaded key (checked, and reloaded by digest); every refusal is typed.

use weft_zk::membership::{DecodeError, MembershipProvingKey, ProvingKeyDigest};

use super::*;

fn leaves(env: &Env, poll: &Poll, class: u32) -> Vec<[u8; 32]> {
    env.query(&VoteQuery::Leaves {
        poll: poll.id,
        class,
    })
}

#[test]
fn generated_params_loaded_key_and_built_ballots_go_through_the_chain() {
    let generated = generate_params_with_rng(DEPTH, &mut rng(70)).unwrap();
    assert_eq!(
        generated.digest,
        ProvingKeyDigest::of_bytes(&generated.proving_key_bytes)
    );
    // The organiser's key as a voter receives it: fully checked, bound to the poll's key.
    let (checked, digest) = load_proving_key(
        &generated.proving_key_bytes,
        Some(generated.verifying_key.as_slice()),
    )
    .unwrap();
    assert_eq!(digest, generated.digest);
    // The server's reload from its own store: by the digest recorded at upload.
    let reloaded = load_by_digest(&generated.proving_key_bytes, &digest).unwrap();
    assert_eq!(reloaded, checked);

    let env = Env::new();
    let poll = setup_with_key(
        &env,
        Rule::Single,
        3,
        4,
        false,
        generated.verifying_key.clone(),
    );
    open(&env);
    let state = poll.state(&env);
    let tree =
        EligibilityTree::from_leaves(state.spec.tree_depth, &leaves(&env, &poll, 0)).unwrap();
    for (i, (key, pick)) in [(&checked, 1usize), (&reloaded, 2)].into_iter().enumerate() {
        let (class, secret) = &poll.voters[i];
        let ballot = build_ballot_with_rng(
            &state,
            &tree,
            secret,
            *class,
            &[pick],
            key,
            &mut rng(80 + i as u64),
        )
        .unwrap();
        env.vote(&one_time(), &VoteCall::Cast(ballot)).unwrap();
    }
    assert_eq!(poll.state(&env).ballots, 2);
}

#[test]
fn booth_refusals_are_typed() {
    let env = Env::new();
    let poll = setup(&env, Rule::Single, 3, 3, false);
    let state = poll.state(&env);
    let tree =
        EligibilityTree::from_leaves(state.spec.tree_depth, &leaves(&env, &poll, 0)).unwrap();
    let key = params().proving_key();
    let (_, secret) = &poll.voters[0];
    let build = |state: &PollState,
                 secret: &MembershipSecret,
                 choices: &[usize],
                 key: &MembershipProvingKey| {
        build_ballot_with_rng(state, &tree, secret, 0, choices, key, &mut rng(81))
    };

    assert!(build(&state, secret, &[0], key).is_ok());
    let err = build(&state, secret, &[3], key).unwrap_err();
    assert_eq!(
        err,
        BoothError::ChoiceOutOfRange {
            choice: 3,
            choices: 3
        }
    );
    assert_eq!(err.code(), "choice_out_of_range");
    assert_eq!(
        build(&state, secret, &[0, 1], key).unwrap_err().code(),
        "rule_violated"
    );
    let stranger = MembershipSecret::random_with_rng(&mut rng(82));
    assert_eq!(
        build(&state, &stranger, &[0], key).unwrap_err(),
        BoothError::NotRegistered { class: 0 }
    );
    let mut unsealed = state.clone();
    unsealed.roots = None;
    assert_eq!(
        build(&unsealed, secret, &[0], key).unwrap_err(),
        BoothError::NotReady
    );
    // Another poll's key: refused before any proving.
    let other = generate_params_with_rng(DEPTH, &mut rng(71)).unwrap();
    let err = build(&state, secret, &[0], &other.proving_key).unwrap_err();
    assert_eq!(err, BoothError::KeyMismatch);
    assert_eq!(err.code(), "key_not_for_poll");
    assert_eq!(
        load_proving_key(
            &other.proving_key_bytes,
            Some(state.spec.verifying_key.as_slice())
        )
        .unwrap_err(),
        BoothError::KeyMismatch
    );
    assert_eq!(
        generate_params_with_rng(0, &mut rng(1)).unwrap_err().code(),
        "unsupported_depth"
    );
}

#[test]
fn tampered_truncated_or_misdigested_keys_are_refused() {
    let pk = params().proving_key();
    let bytes = pk.to_bytes();
    let digest = pk.digest();

    let mut tampered = bytes.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 0x40;
    let err = load_by_digest(&tampered, &digest).unwrap_err();
    assert_eq!(err, BoothError::Key(DecodeError::DigestMismatch));
    assert_eq!(err.code(), "key_digest_mismatch");
    assert!(load_proving_key(&tampered, None).is_err());

    let wrong = ProvingKeyDigest([7; 32]);
    assert_eq!(
        load_by_digest(&bytes, &wrong).unwrap_err(),
        BoothError::Key(DecodeError::DigestMismatch)
    );
    for cut in [0, 1, 2, 3, 100, bytes.len() / 2, bytes.len() - 1] {
        assert!(matches!(
            load_proving_key(&bytes[..cut], None),
            Err(BoothError::Key(_))
        ));
        assert!(matches!(
            load_by_digest(&bytes[..cut], &digest),
            Err(BoothError::Key(DecodeError::DigestMismatch))
        ));
    }
}
