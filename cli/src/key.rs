//! `weft key new|show`: the CLI keystore (passphrase-encrypted key files, see
//! [`weft_service::keyfile`]).

use std::path::Path;

use anyhow::{bail, Context};
use weft_chain::Keypair;
use zeroize::Zeroizing;

use weft_service::keyfile::{self, KeyFileError, DEFAULT_ITERATIONS, PASSPHRASE_ENV};
use weft_service::node_home::write_key_file;

pub fn new(out: &Path, plaintext: bool) -> anyhow::Result<()> {
    let key = Keypair::generate();
    if plaintext {
        write_key_file(out, &key).context("writing the key file")?;
    } else {
        if out.exists() {
            bail!("{} already exists; refusing to overwrite", out.display());
        }
        let passphrase = passphrase(true)?;
        keyfile::write_encrypted(out, &key, &passphrase, DEFAULT_ITERATIONS)
            .context("writing the key file")?;
    }
    println!("key file:   {}", out.display());
    println!("address:    {}", key.address());
    println!("public key: {}", key.public_key());
    Ok(())
}

pub fn show(file: &Path) -> anyhow::Result<()> {
    let parts = keyfile::public_parts(file)?;
    println!("key file:   {}", file.display());
    println!("address:    {}", parts.address);
    println!("public key: {}", parts.public_key);
    println!(
        "encrypted:  {}",
        if parts.encrypted {
            "yes"
        } else {
            "no (plain hex seed)"
        }
    );
    Ok(())
}

/// Loads a key file for signing, asking for the passphrase only if it is encrypted.
pub fn load_signing_key(file: &Path) -> anyhow::Result<Keypair> {
    keyfile::load_key(file, || {
        passphrase(false).map_err(|err| KeyFileError::Passphrase(format!("{err:#}")))
    })
    .with_context(|| format!("loading {}", file.display()))
}

/// The passphrase: `WEFT_KEY_PASSPHRASE`, else a terminal prompt (twice when `confirm`).
fn passphrase(confirm: bool) -> anyhow::Result<Zeroizing<String>> {
    if let Ok(value) = std::env::var(PASSPHRASE_ENV) {
        let value = Zeroizing::new(value);
        if value.is_empty() {
            bail!("{PASSPHRASE_ENV} is empty");
        }
        return Ok(value);
    }
    let first = Zeroizing::new(
        rpassword::prompt_password("key passphrase: ").with_context(|| {
            format!("no terminal to ask for a passphrase; set {PASSPHRASE_ENV}")
        })?,
    );
    if first.is_empty() {
        bail!("empty passphrase");
    }
    if confirm {
        let again = Zeroizing::new(rpassword::prompt_password("repeat passphrase: ")?);
        if *again != *first {
            bail!("passphrases differ");
        }
    }
    Ok(first)
}
