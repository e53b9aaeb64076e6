//! CLI smoke tests: `weft key new|show`, `weft up` + `weft tx send` + `weft chain status`, and a
//! clean stop on SIGTERM.

mod common;

use std::process::{Command, Output};

use common::process::{UpProcess, WEFT};

fn weft(args: &[&str]) -> Output {
    Command::new(WEFT)
        .args(args)
        .env("RUST_LOG", "warn")
        .env("WEFT_KEY_PASSPHRASE", "test passphrase")
        .output()
        .expect("run weft")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn key_new_and_show() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alice.key");
    let path_str = path.to_str().unwrap();
    let created = weft(&["key", "new", "--out", path_str]);
    assert!(created.status.success(), "{created:?}");
    let text = stdout(&created);
    let address = text
        .lines()
        .find_map(|l| l.strip_prefix("address:"))
        .unwrap()
        .trim()
        .to_string();
    assert!(
        address.starts_with("0x") && address.len() == 42,
        "{address}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // The seed never appears in the output.
    let seed = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(seed.trim()));

    let shown = weft(&["key", "show", path_str]);
    assert!(shown.status.success());
    assert!(stdout(&shown).contains(&address));
    assert!(!stdout(&shown).contains(seed.trim()));

    // Never overwrites; bad files are refused.
    assert!(!weft(&["key", "new", "--out", path_str]).status.success());
    std::fs::write(dir.path().join("bad.key"), "xyz").unwrap();
    assert!(
        !weft(&["key", "show", dir.path().join("bad.key").to_str().unwrap()])
            .status
            .success()
    );
}

#[test]
fn up_tx_send_chain_status_and_clean_stop() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let node = UpProcess::start(&data);
    let banner = node.banner.join("\n");
    assert!(banner.contains("created data directory"), "{banner}");
    assert!(banner.contains("weft-local"), "{banner}");
    assert!(banner.contains("admin.key"), "{banner}");
    let admin_key = data.join("keys").join("admin.key");
    let admin_key = admin_key.to_str().unwrap();

    let sent = weft(&[
        "tx",
        "send",
        "--key",
        admin_key,
        "--rpc",
        &node.rpc,
        "governance",
        "set-config",
        "color",
        "blue",
    ]);
    assert!(sent.status.success(), "{sent:?}");
    assert!(stdout(&sent).contains("Success"), "{}", stdout(&sent));
    let noop = weft(&[
        "tx",
        "send",
        "--key",
        admin_key,
        "--rpc",
        &node.rpc,
        "governance",
        "noop",
    ]);
    assert!(noop.status.success(), "{noop:?}");
    assert!(stdout(&noop).contains("nonce 1"), "{}", stdout(&noop));

    // A committee proposal (passes at once with one member), then a vote on a proposal that
    // does not exist (fails in execution: non-zero exit).
    let member = "0x00000000000000000000000000000000000000aa";
    let proposed = weft(&[
        "tx",
        "send",
        "--key",
        admin_key,
        "--rpc",
        &node.rpc,
        "governance",
        "propose",
        "grant",
        member,
        "issuer",
    ]);
    assert!(proposed.status.success(), "{proposed:?}");
    let bad_vote = weft(&[
        "tx",
        "send",
        "--key",
        admin_key,
        "--rpc",
        &node.rpc,
        "governance",
        "vote",
        "999",
        "yes",
    ]);
    assert!(!bad_vote.status.success(), "{bad_vote:?}");
    assert!(
        stdout(&bad_vote).contains("Failed"),
        "{}",
        stdout(&bad_vote)
    );
    // Malformed arguments are refused before anything is sent.
    let bad_address = weft(&[
        "tx",
        "send",
        "--key",
        admin_key,
        "--rpc",
        &node.rpc,
        "governance",
        "propose",
        "add-member",
        "0x12",
    ]);
    assert!(!bad_address.status.success());

    // A non-member's config write commits as Failed: non-zero exit.
    let stranger = dir.path().join("stranger.key");
    assert!(weft(&["key", "new", "--out", stranger.to_str().unwrap()])
        .status
        .success());
    let refused = weft(&[
        "tx",
        "send",
        "--key",
        stranger.to_str().unwrap(),
        "--rpc",
        &node.rpc,
        "governance",
        "set-config",
        "color",
        "red",
    ]);
    assert!(!refused.status.success(), "{refused:?}");
    assert!(stdout(&refused).contains("Failed"), "{}", stdout(&refused));

    let status = weft(&["chain", "status", "--rpc", &node.rpc]);
    assert!(status.status.success(), "{status:?}");
    let text = stdout(&status);
    assert!(
        text.contains("weft-local") && text.contains("validators:   1"),
        "{text}"
    );
    let height: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("height:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(height >= 3, "{text}");

    // Unreachable node: a clear failure, not a hang or panic.
    let down = weft(&["chain", "status", "--rpc", "http://127.0.0.1:9"]);
    assert!(!down.status.success());

    let exit = node.terminate();
    assert!(exit.success(), "weft up exit status {exit:?}");

    // Second run reuses the directory and keeps the chain.
    let again = UpProcess::start(&data);
    assert!(again.banner.join("\n").contains("using data directory"));
    let status = weft(&["chain", "status", "--rpc", &again.rpc]);
    let height_again: u64 = stdout(&status)
        .lines()
        .find_map(|l| l.strip_prefix("height:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(height_again >= height);
    assert!(again.terminate().success());
}

#[test]
fn up_prints_an_admin_token_once_and_token_cli_manages_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let node = UpProcess::start(&data);
    let banner = node.banner.join("\n");
    assert!(banner.contains("master key:"), "{banner}");
    assert!(banner.contains("api url:"), "{banner}");
    let admin = node
        .admin_token
        .clone()
        .expect("admin token on first start");
    assert!(admin.starts_with("weft_") && admin.len() == 69, "{admin}");
    assert!(dir.path().join("master.key").exists());
    assert!(!data.join("master.key").exists());

    let api = ["--api", node.rpc.as_str(), "--token", admin.as_str()];
    let created = weft(
        &[
            &["token", "create"][..],
            &api,
            &["--tenant", "acme", "--role", "issuer", "--role", "holder"],
        ]
        .concat(),
    );
    assert!(created.status.success(), "{created:?}");
    let text = stdout(&created);
    let token_id = text
        .lines()
        .find_map(|l| l.strip_prefix("token id:"))
        .unwrap()
        .trim()
        .to_string();
    let token = text
        .lines()
        .find_map(|l| l.strip_prefix("token:"))
        .unwrap()
        .trim()
        .to_string();
    let listed = weft(&[&["token", "list"][..], &api].concat());
    assert!(listed.status.success(), "{listed:?}");
    let list = stdout(&listed);
    assert!(list.contains(&token_id) && list.contains("acme"), "{list}");
    assert!(
        !list.contains(&token) && !list.contains(&admin),
        "secrets listed: {list}"
    );

    // The new (issuer) token may not manage tokens.
    let refused = weft(&["token", "list", "--api", &node.rpc, "--token", &token]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("403"));

    // A locally signed transaction (encrypted CLI key file) submitted through REST.
    let key = dir.path().join("client.key");
    assert!(weft(&["key", "new", "--out", key.to_str().unwrap()])
        .status
        .success());
    let sent = weft(&[
        "tx",
        "send",
        "--key",
        key.to_str().unwrap(),
        "--rpc",
        &node.rpc,
        "--token",
        &token,
        "governance",
        "noop",
    ]);
    assert!(sent.status.success(), "{sent:?}");
    assert!(stdout(&sent).contains("\"success\""), "{}", stdout(&sent));

    let revoked = weft(&[&["token", "revoke"][..], &api, &[token_id.as_str()]].concat());
    assert!(revoked.status.success(), "{revoked:?}");
    let list = stdout(&weft(&[&["token", "list"][..], &api].concat()));
    assert!(
        list.lines()
            .any(|l| l.contains(&token_id) && l.contains("revoked")),
        "{list}"
    );
    let bad = weft(&["token", "list", "--api", &node.rpc, "--token", "weft_nope"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("401"));

    assert!(node.terminate().success());
    // A restart prints no token: it was shown once.
    let again = UpProcess::start(&data);
    assert!(again.admin_token.is_none(), "{:?}", again.banner);
    assert!(again.terminate().success());
}

/// Recovery from a lost admin token: `weft token create --admin` opens the node's store and
/// master key directly (no server call, no token) and makes an admin token of the operator
/// tenant, which the running server accepts at once. Without the right master key it refuses.
#[test]
fn token_create_admin_recovers_with_the_data_directory_and_master_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let master = dir.path().join("master.key");
    let node = UpProcess::start(&data);
    let recovery = |master: &std::path::Path| {
        Command::new(WEFT)
            .args(["token", "create", "--admin", "--data-dir"])
            .arg(&data)
            .arg("--master-key-file")
            .arg(master)
            .env("RUST_LOG", "error")
            .env_remove("WEFT_TOKEN")
            .env_remove("DATABASE_URL")
            .env_remove("WEFT_MASTER_KEY")
            .output()
            .expect("run weft")
    };
    let out = recovery(&master);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    let token = text
        .lines()
        .find_map(|l| l.strip_prefix("token:"))
        .unwrap()
        .trim()
        .to_string();
    assert!(
        text.contains("operator") && text.contains("admin"),
        "{text}"
    );
    // The running server accepts it as an admin of the operator tenant.
    let listed = weft(&["token", "list", "--api", &node.rpc, "--token", &token]);
    assert!(listed.status.success(), "{listed:?}");
    // The wrong master key: refused, nothing created.
    let other = dir.path().join("other.key");
    std::fs::write(&other, "11".repeat(32)).unwrap();
    let refused = recovery(&other);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("another master key"),
        "{refused:?}"
    );
    // A data directory that is not a node's: refused.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let refused = Command::new(WEFT)
        .args(["token", "create", "--admin", "--data-dir"])
        .arg(&empty)
        .arg("--master-key-file")
        .arg(&master)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    // Without --admin, a token is still required.
    let no_token = Command::new(WEFT)
        .args(["token", "create", "--role", "issuer", "--api", &node.rpc])
        .env_remove("WEFT_TOKEN")
        .output()
        .unwrap();
    assert!(!no_token.status.success());
    assert!(node.terminate().success());
}

#[test]
fn logs_never_contain_tokens_keys_or_the_master_secret() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let master = dir.path().join("master.key");
    let log_path = dir.path().join("weft.log");
    let mut child = Command::new(WEFT)
        .args([
            "up",
            "--http",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--data-dir",
        ])
        .arg(&data)
        .env("RUST_LOG", "debug")
        .env("WEFT_MASTER_KEY_FILE", &master)
        .env_remove("DATABASE_URL")
        .env_remove("WEFT_MASTER_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut rpc, mut admin) = (String::new(), String::new());
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(url) = line.trim().strip_prefix("rpc url:") {
            rpc = url.trim().trim_end_matches("/rpc").to_string();
        }
        if let Some(rest) = line.trim().strip_prefix("admin token:") {
            admin = rest.split_whitespace().next().unwrap().to_string();
        }
        if line.contains("stop with Ctrl-C") {
            break;
        }
    }
    let created = weft(&[
        "token", "create", "--api", &rpc, "--token", &admin, "--tenant", "acme", "--role", "admin",
    ]);
    assert!(created.status.success(), "{created:?}");
    let token = stdout(&created)
        .lines()
        .find_map(|l| l.strip_prefix("token:"))
        .unwrap()
        .trim()
        .to_string();
    assert!(weft(&["token", "list", "--api", &rpc, "--token", &token])
        .status
        .success());
    assert!(
        !weft(&["token", "list", "--api", &rpc, "--token", "weft_wrong"])
            .status
            .success()
    );
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();

    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("token created"), "debug log is empty?\n{log}");
    let master_hex = std::fs::read_to_string(&master).unwrap();
    let admin_seed = std::fs::read_to_string(data.join("keys/admin.key")).unwrap();
    for secret in [&admin, &token, master_hex.trim(), admin_seed.trim()] {
        assert!(!log.contains(secret), "a secret was logged");
    }
}

/// `weft did|issuer|cpt` against a running node: create, resolve, add a key, register a CPT,
/// apply and be recognised, deactivate; a write after deactivation fails with a non-zero exit.
#[test]
fn did_issuer_and_cpt_commands() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let node = UpProcess::start(&data);
    let admin_key = data.join("keys").join("admin.key");
    let key = admin_key.to_str().unwrap();
    let rpc = node.rpc.as_str();
    let signer = ["--key", key, "--rpc", rpc];
    let run = |args: &[&str]| {
        let out = weft(args);
        (
            out.status.success(),
            stdout(&out),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    let (ok, out, err) = run(&[&["did", "create"][..], &signer].concat());
    assert!(ok, "did create: {out} {err}");
    let created: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("did create printed {out}: {e}"));
    let did = created["didDocument"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no DID in {out}"))
        .to_string();
    assert!(did.starts_with("did:weft:weft-local:0x"), "{did}");
    println!("created {did}");

    let (ok, out, err) = run(&["did", "resolve", &did, "--rpc", rpc]);
    assert!(ok, "did resolve: {out} {err}");
    assert!(
        out.contains("#key-1") && out.contains("publicKeyMultibase"),
        "{out}"
    );

    let other = weft_chain::Keypair::generate();
    let other_hex = format!("0x{}", hex::encode(other.public_key().as_bytes()));
    let (ok, out, err) =
        run(&[&["did", "add-key", "--public-key", &other_hex][..], &signer].concat());
    assert!(ok, "did add-key: {out} {err}");
    let (ok, out, _) = run(&["did", "resolve", &did, "--rpc", rpc]);
    assert!(ok && out.contains("#key-2"), "{out}");
    let (ok, out, _) = run(&["did", "resolve", &did, "--version-id", "1", "--rpc", rpc]);
    assert!(
        ok && !out.contains("#key-2"),
        "version 1 has one key: {out}"
    );

    let schema = dir.path().join("schema.json");
    std::fs::write(
        &schema,
        r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"name":{"type":"string"}}}"#,
    )
    .unwrap();
    let (ok, out, err) = run(&[
        &["cpt", "register", "--schema", schema.to_str().unwrap()][..],
        &signer,
    ]
    .concat());
    assert!(ok, "cpt register: {out} {err}");
    let (ok, out, err) = run(&["cpt", "show", "2000000", "--rpc", rpc]);
    assert!(ok && out.contains("2000000"), "cpt show: {out} {err}");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"type": 5}"#).unwrap();
    let (ok, out, err) = run(&[
        &["cpt", "register", "--schema", bad.to_str().unwrap()][..],
        &signer,
    ]
    .concat());
    assert!(!ok, "an invalid schema must be refused: {out} {err}");

    let (ok, out, err) =
        run(&[&["issuer", "apply", "--name", "Example Bank"][..], &signer].concat());
    assert!(ok, "issuer apply: {out} {err}");
    let (ok, out, err) = run(&[&["issuer", "recognise", &did][..], &signer].concat());
    assert!(ok, "issuer recognise: {out} {err}");
    let (ok, out, err) = run(&["issuer", "list", "--rpc", rpc]);
    assert!(
        ok && out.contains("Example Bank"),
        "issuer list: {out} {err}"
    );

    let (ok, out, err) = run(&[&["did", "deactivate"][..], &signer].concat());
    assert!(ok, "did deactivate: {out} {err}");
    let (ok, out, _) = run(&["did", "resolve", &did, "--rpc", rpc]);
    assert!(out.contains("deactivated"), "{ok} {out}");
    let (ok, out, err) =
        run(&[&["did", "add-key", "--public-key", &other_hex][..], &signer].concat());
    assert!(!ok, "a deactivated DID cannot be updated: {out} {err}");
    println!("checked: create, resolve (latest, version 1), add-key, CPT register/show and an invalid schema refused, issuer apply/recognise/list, deactivate, update after deactivation refused");
}

#[test]
fn qr_encode_stores_a_payload_over_the_inline_limit_behind_a_one_time_reference() {
    let dir = tempfile::tempdir().unwrap();
    let node = UpProcess::start(&dir.path().join("data"));
    let admin = node.admin_token.clone().expect("admin token");
    // A payload that does not compress under the 600-character inline limit.
    let noise: String = (0..700)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    let payload = serde_json::json!({"t": "vc", "c": {"id": "urn:example:1", "noise": noise}});
    let input = dir.path().join("payload.json");
    std::fs::write(&input, payload.to_string()).unwrap();
    let png = dir.path().join("qr.png");
    let (input_s, png_s) = (input.to_str().unwrap(), png.to_str().unwrap());

    let refused = weft(&["qr", "encode", "--in", input_s, "--out", png_s]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("--api") && err.contains("inline limit"),
        "{err}"
    );
    assert!(!png.exists(), "nothing written when refused");

    let encoded = weft(&[
        "qr", "encode", "--in", input_s, "--out", png_s, "--api", &node.rpc, "--token", &admin,
    ]);
    assert!(encoded.status.success(), "{encoded:?}");
    let decoded = weft(&["qr", "decode", png_s]);
    assert!(decoded.status.success(), "{decoded:?}");
    let text = stdout(&decoded);
    assert!(text.contains("\"t\": \"ref\""), "{text}");
    let url = text
        .split('"')
        .find(|s| s.starts_with("http"))
        .expect("the reference URL")
        .to_string();
    // The reference serves the payload once.
    let system = actix_web::rt::System::new();
    let (first, second) = system.block_on(async {
        let client = awc::Client::default();
        let mut r = client.get(url.as_str()).send().await.unwrap();
        let first: serde_json::Value = r.json().limit(1 << 20).await.unwrap();
        let second = client
            .get(url.as_str())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        (first, second)
    });
    assert_eq!(first["c"]["noise"], payload["c"]["noise"]);
    assert_eq!(second, 404, "a one-time reference serves once");
}
