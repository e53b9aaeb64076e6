//! Times one depth's parameter generation, key encoding, both key loads and one proof, for
//! docs/BENCHMARKS.md (run under `/usr/bin/time -v` for the peak memory):
//!
//! ```text
//! cargo build --release -p weft-zk --example membership_keys
//! /usr/bin/time -v target/release/examples/membership_keys 20
//! WEFT_EXAMPLE_LOG=1 /usr/bin/time -v target/release/examples/membership_keys 20
//! ```
//!
//! `WEFT_EXAMPLE_LOG=1` installs the same `tracing` subscriber as the `weft` binary
//! (`EnvFilter` "info" on stderr): the condition under which setup used to take 73 s.

use std::time::Instant;

use weft_zk::membership::{
    prove, MembershipParams, MembershipProvingKey, MembershipSecret, MembershipWitness, MerkleTree,
    Scope, Signal,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let depth: usize = std::env::args()
        .nth(1)
        .ok_or("usage: membership_keys <depth>")?
        .parse()?;
    if std::env::var_os("WEFT_EXAMPLE_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .with_writer(std::io::stderr)
            .init();
    }
    let t = Instant::now();
    let params = MembershipParams::setup(depth)?;
    println!("setup                        {:>10.3?}", t.elapsed());
    let t = Instant::now();
    let bytes = params.proving_key().to_bytes();
    println!(
        "to_bytes                     {:>10.3?} ({} bytes)",
        t.elapsed(),
        bytes.len()
    );
    let t = Instant::now();
    let pk = MembershipProvingKey::from_bytes(&bytes)?;
    println!("from_bytes (checked)         {:>10.3?}", t.elapsed());
    let digest = pk.digest();
    let t = Instant::now();
    let again = MembershipProvingKey::from_bytes_checked_by_digest(&bytes, &digest)?;
    println!("from_bytes_checked_by_digest {:>10.3?}", t.elapsed());
    assert_eq!(pk, again);
    let secret = MembershipSecret::random();
    let tree = MerkleTree::from_leaves(depth, [secret.commitment()])?;
    let witness = MembershipWitness::new(secret, tree.path(0)?);
    let statement = witness.statement(
        Scope::from_context(b"poll"),
        Signal::from_message(b"ballot"),
    );
    let t = Instant::now();
    prove(&pk, &witness, &statement)?;
    println!("prove                        {:>10.3?}", t.elapsed());
    Ok(())
}
