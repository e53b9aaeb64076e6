//! `weft key new|show`.

use std::path::Path;

use anyhow::Context;
use weft_chain::Keypair;

use crate::node_home::{read_key_file, write_key_file};

pub fn new(out: &Path) -> anyhow::Result<()> {
    let key = Keypair::generate();
    write_key_file(out, &key).context("writing the key file")?;
    println!("key file:   {}", out.display());
    print_key(&key);
    Ok(())
}

pub fn show(file: &Path) -> anyhow::Result<()> {
    let key = read_key_file(file)?;
    println!("key file:   {}", file.display());
    print_key(&key);
    Ok(())
}

fn print_key(key: &Keypair) {
    println!("address:    {}", key.address());
    println!("public key: {}", key.public_key());
}
