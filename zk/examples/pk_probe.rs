//! Probe: setup, encode, decode and prove timings for one depth (`pk_probe <depth> [stage]`).
use std::time::Instant;
use weft_zk::membership::*;
fn main() {
    let depth: usize = std::env::args().nth(1).unwrap().parse().unwrap();
    let stage = std::env::args().nth(2).unwrap_or_else(|| "all".into());
    if std::env::var_os("PROBE_LOG").is_some() {
        tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new("info")).with_writer(std::io::stderr).init();
    }
    let t = Instant::now();
    let params = MembershipParams::setup(depth).unwrap();
    eprintln!("setup {:?}", t.elapsed());
    if stage == "setup" { return; }
    let t = Instant::now();
    let bytes = params.proving_key().to_bytes();
    eprintln!("to_bytes {:?} ({} bytes)", t.elapsed(), bytes.len());
    if stage == "write" { return; }
    let t = Instant::now();
    let pk = MembershipProvingKey::from_bytes(&bytes).unwrap();
    eprintln!("from_bytes {:?}", t.elapsed());
    let digest = pk.digest();
    let t = Instant::now();
    let pk2 = MembershipProvingKey::from_bytes_checked_by_digest(&bytes, &digest).unwrap();
    eprintln!("from_bytes_checked_by_digest {:?}", t.elapsed());
    assert_eq!(pk, pk2);
    let s = MembershipSecret::random();
    let tree = MerkleTree::from_leaves(depth, [s.commitment()]).unwrap();
    let w = MembershipWitness::new(s, tree.path(0).unwrap());
    let st = w.statement(Scope::from_context(b"x"), Signal::from_message(b"y"));
    let t = Instant::now();
    let _p = prove(&pk, &w, &st).unwrap();
    eprintln!("prove {:?}", t.elapsed());
}
