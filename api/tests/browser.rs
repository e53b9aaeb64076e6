//! The web UI in headless Chromium: `tests/browser/smoke.mjs` (Playwright) against a real
//! `weft up` on a temporary data directory. Screenshots land in `target/browser/`.
//!
//! Needs Node.js, Chromium (`/usr/bin/chromium` or `WEFT_CHROMIUM`) and
//! `tests/browser/node_modules` (`npm ci` there). Outside CI a missing piece skips the test with
//! the reason; with `CI=true` it is a failure (`.ci/run` installs all three).

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::process::{UpProcess, WEFT};

/// The whole browser session must finish within this.
const SMOKE_TIMEOUT: Duration = Duration::from_secs(180);

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// What is missing to run the browser test, if anything.
fn missing_prerequisite(chromium: &Path) -> Option<String> {
    let node = Command::new("node").arg("--version").output();
    if !matches!(node, Ok(ref o) if o.status.success()) {
        return Some("Node.js (`node`) is not installed".into());
    }
    if !chromium.exists() {
        return Some(format!(
            "Chromium is not at {} (apt-get install chromium, or set WEFT_CHROMIUM)",
            chromium.display()
        ));
    }
    let module = workspace().join("tests/browser/node_modules/playwright-core");
    if !module.exists() {
        return Some("playwright-core is not installed (run `npm ci` in tests/browser)".into());
    }
    None
}

/// Chromium's path, or `None` (with the reason printed) when the test must skip.
fn chromium_or_skip() -> Option<PathBuf> {
    let chromium = PathBuf::from(
        std::env::var("WEFT_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
    );
    if let Some(reason) = missing_prerequisite(&chromium) {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("the browser test must run in CI, but {reason}");
        }
        eprintln!("skipping the browser test: {reason}");
        return None;
    }
    Some(chromium)
}

/// Runs `tests/browser/<script>` with `env` and waits for it (bounded); panics on failure.
fn run_script(script: &str, env: &[(&str, String)], chromium: &Path, shots: &Path) {
    let mut command = Command::new("node");
    command
        .arg(workspace().join("tests/browser").join(script))
        .current_dir(workspace().join("tests/browser"))
        .env("WEFT_CHROMIUM", chromium)
        .env("WEFT_SCREENSHOTS", shots)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("spawn node");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > SMOKE_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the browser session did not finish within {SMOKE_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    println!("{out}");
    assert!(
        status.success(),
        "browser test {script} failed ({status}):\n{out}\n{err}"
    );
}

#[test]
fn sign_in_explore_and_see_a_block_arrive() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let node = UpProcess::start(&data);
    let token = node
        .admin_token
        .clone()
        .unwrap_or_else(|| panic!("no admin token in the banner:\n{}", node.banner.join("\n")));
    let shots = workspace().join("target/browser");
    run_script(
        "smoke.mjs",
        &[
            ("WEFT_URL", node.rpc.clone()),
            ("WEFT_TOKEN", token),
            ("WEFT_BIN", WEFT.to_string()),
            (
                "WEFT_ADMIN_KEY",
                data.join("keys/admin.key").display().to_string(),
            ),
        ],
        &chromium,
        &shots,
    );
    for shot in ["explorer.png", "transaction.png"] {
        let path = shots.join(shot);
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(len > 1000, "no screenshot at {}", path.display());
        println!("screenshot: {}", path.display());
    }
}

/// Two organisations' web UIs: governance and a PSI session between their nodes, from the UI.
#[test]
fn two_organisations_govern_and_run_psi_from_their_web_uis() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let mut net = common::testnet::Testnet::create(2, 0, 1000);
    net.start_all();
    let system = actix_web::rt::System::new();
    let dids: Vec<String> = system.block_on(async {
        common::testnet::wait_height(&net.client(0), 2, Duration::from_secs(60), "first blocks")
            .await;
        common::testnet::wait_org_dids(&net, Duration::from_secs(60)).await;
        let client = awc::Client::default();
        let mut dids = Vec::new();
        for i in 0..2 {
            let mut r = client
                .get(format!("{}/api/v1/organisation", net.url(i)))
                .send()
                .await
                .unwrap();
            let v: serde_json::Value = r.json().await.unwrap();
            dids.push(v["did"].as_str().unwrap().to_string());
        }
        dids
    });
    let shots = workspace().join("target/browser");
    run_script(
        "consortium.mjs",
        &[
            ("WEFT_A_URL", net.url(0).to_string()),
            ("WEFT_A_TOKEN", net.admin_token(0)),
            ("WEFT_A_DID", dids[0].clone()),
            ("WEFT_B_URL", net.url(1).to_string()),
            ("WEFT_B_TOKEN", net.admin_token(1)),
            ("WEFT_B_DID", dids[1].clone()),
            ("WEFT_B_ACCOUNT", net.operator(1).address().to_string()),
        ],
        &chromium,
        &shots,
    );
    for shot in ["governance.png", "psi-session.png"] {
        let path = shots.join(shot);
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(len > 1000, "no screenshot at {}", path.display());
        println!("screenshot: {}", path.display());
    }
}
