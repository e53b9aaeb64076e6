//! Public-API tests of the membership proofs, as the voting module will use them.

use std::collections::HashSet;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use weft_zk::membership::{
    batch_verify_with_rng, prove_with_rng, verify, MembershipParams, MembershipProof,
    MembershipSecret, MembershipStatement, MembershipVerifyingKey, MembershipWitness, MerkleTree,
    Scope, Signal, VerificationError,
};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A poll: members vote once each; a second ballot by the same member carries the same
/// nullifier and is refused by the (consumer-side) nullifier set.
#[test]
fn a_poll_accepts_each_member_once() {
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let params = MembershipParams::setup_with_rng(6, &mut rng).unwrap();
    let pvk = params.verifying_key().prepare();
    let secrets: Vec<_> = (0..10)
        .map(|_| MembershipSecret::random_with_rng(&mut rng))
        .collect();
    let tree =
        MerkleTree::from_leaves(6, secrets.iter().map(MembershipSecret::commitment)).unwrap();
    let poll = Scope::from_context(b"poll 7: board election");

    let mut nullifiers = HashSet::new();
    let mut accepted = Vec::new();
    for (voter, ballot) in [(2usize, &b"alice"[..]), (9, b"bob"), (2, b"carol")] {
        let w = MembershipWitness::new(secrets[voter].clone(), tree.path(voter as u64).unwrap());
        let s = w.statement(poll, Signal::from_message(ballot));
        let p = prove_with_rng(params.proving_key(), &w, &s, &mut rng).unwrap();
        // Over the wire and back.
        let p = MembershipProof::from_bytes(&p.to_bytes()).unwrap();
        let s = MembershipStatement::from_bytes(&s.to_bytes()).unwrap();
        assert_eq!(verify(&pvk, &s, &p), Ok(()));
        if nullifiers.insert(s.nullifier) {
            accepted.push((s, p));
        }
    }
    assert_eq!(
        accepted.len(),
        2,
        "the second ballot of voter 2 shares its nullifier"
    );
    let batch = accepted.iter().map(|(s, p)| (s, p));
    assert_eq!(batch_verify_with_rng(&pvk, batch, &mut rng), Ok(()));

    // A ballot re-targeted to another poll does not verify.
    let (s, p) = &accepted[0];
    let moved = MembershipStatement {
        scope: Scope::from_context(b"poll 8"),
        ..*s
    };
    assert_eq!(
        verify(&pvk, &moved, p),
        Err(VerificationError::InvalidProof)
    );
}

// Frozen v1 vectors (depth 4): a verifying key, statement and proof produced by this crate's
// first release. They must keep decoding and verifying; a change here is a breaking change to
// the wire format or the circuit.
const FROZEN_VK: &str = "01020409386f162d45b4953e9cca018f8d539792fb1ec9e43b11cc766f5204af8dbd82ddc037d9be2fd45050fa765b6c8c966b3b6aa672d36030fa0942e0c15974c61e62138ee804d46171440bc20be2541dab298ce2d9e3ed4a1efe21d4e7efce7d82c6fa0dd3a035f940ecf76a3f4c742fb0772f4e5c47b57d035987c8810060f11f192580a07d10dbe7c2bb964f061bb4fc2e04b96621f067afc44423bdeb6ed6966e453e8070277f20fd8d15a43fbd47012cd6231dca135b6f5b04607ba44d0f1653940bbc559f93ba23efe8ae7e7d2922044a1aa5bc1b11ec90e19658cc744400050000000000000056ecff115f81f2520825c558678df54c427f94694cb414b8d1403d91b83a83af88f604866c6e07aaca28bef53f44c4d10536749b1d6a14b81a489240ad5bb92f10243edd6e2963d1cca12461be625b25d1a1ab80ec9f4570240e8aad8838a821a93a8424eb3642319f84c6db4a591b32b256da95de69bf43e028eb009643e80fa0e6b0460bf494aef5a18028e04258326b921f28bf2afbfcd7f5983e63b88d83";
const FROZEN_STATEMENT: &str = "01045f582a06b4b02aa2de890048641d716a144c431e3ac9fa0cf7ac675e3ff81603fc3cedc2ac8657184d379537595303ee2161e0342a7caff3ca2e9c716df6d815b7484c8ba9800d60f4081ba7a73647655ec36b707fc8143db3168df4aaa3b4186f0260806ca16a13bb364d6b3f5ad696c6b18c0870c6efa44b5a9297420a2029";
const FROZEN_PROOF: &str = "0101a8288c8253cbafc52fe677b0cc3b972cdd8058b922a0269b476dc273c73e8914fe17c08a291756e4d1f4867753a6f3d76f0084a5d5aa7ff4585806184ea97605dd43334372f768eb4ab0daa021828f1e88457b85287e5c78424e1073b53cc4809a9dc055e234e1e9ff1156a440d609f69da4ed6a0b5ff60f435932ea687af49e";

#[test]
fn frozen_v1_vectors_still_verify() {
    let vk = MembershipVerifyingKey::from_bytes(&hex(FROZEN_VK)).unwrap();
    assert_eq!(vk.depth(), 4);
    let statement = MembershipStatement::from_bytes(&hex(FROZEN_STATEMENT)).unwrap();
    let proof = MembershipProof::from_bytes(&hex(FROZEN_PROOF)).unwrap();
    assert_eq!(verify(&vk.prepare(), &statement, &proof), Ok(()));
    // The frozen statement binds the signal "frozen ballot" in scope "frozen poll".
    assert_eq!(statement.signal, Signal::from_message(b"frozen ballot"));
    assert_eq!(statement.scope, Scope::from_context(b"frozen poll"));
}

/// Prints fresh vectors in the format above (run with `--ignored --nocapture`).
#[test]
#[ignore]
fn print_frozen_vectors() {
    let mut rng = ChaCha20Rng::seed_from_u64(0x7765_6674);
    let params = MembershipParams::setup_with_rng(4, &mut rng).unwrap();
    let secrets: Vec<_> = (0..5)
        .map(|_| MembershipSecret::random_with_rng(&mut rng))
        .collect();
    let tree =
        MerkleTree::from_leaves(4, secrets.iter().map(MembershipSecret::commitment)).unwrap();
    let w = MembershipWitness::new(secrets[3].clone(), tree.path(3).unwrap());
    let s = w.statement(
        Scope::from_context(b"frozen poll"),
        Signal::from_message(b"frozen ballot"),
    );
    let p = prove_with_rng(params.proving_key(), &w, &s, &mut rng).unwrap();
    println!(
        "const FROZEN_VK: &str = \"{}\";",
        to_hex(&params.verifying_key().to_bytes())
    );
    println!(
        "const FROZEN_STATEMENT: &str = \"{}\";",
        to_hex(&s.to_bytes())
    );
    println!("const FROZEN_PROOF: &str = \"{}\";", to_hex(&p.to_bytes()));
}
