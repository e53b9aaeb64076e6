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

#[test]
fn sign_in_explore_and_see_a_block_arrive() {
    let chromium = PathBuf::from(
        std::env::var("WEFT_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
    );
    if let Some(reason) = missing_prerequisite(&chromium) {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("the browser test must run in CI, but {reason}");
        }
        eprintln!("skipping the browser test: {reason}");
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let node = UpProcess::start(&data);
    let token = node
        .admin_token
        .clone()
        .unwrap_or_else(|| panic!("no admin token in the banner:\n{}", node.banner.join("\n")));
    let shots = workspace().join("target/browser");

    let mut child = Command::new("node")
        .arg(workspace().join("tests/browser/smoke.mjs"))
        .current_dir(workspace().join("tests/browser"))
        .env("WEFT_URL", &node.rpc)
        .env("WEFT_TOKEN", token)
        .env("WEFT_BIN", WEFT)
        .env("WEFT_ADMIN_KEY", data.join("keys/admin.key"))
        .env("WEFT_CHROMIUM", &chromium)
        .env("WEFT_SCREENSHOTS", &shots)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn node");
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
        "browser test failed ({status}):\n{out}\n{err}"
    );
    for shot in ["explorer.png", "transaction.png"] {
        let path = shots.join(shot);
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(len > 1000, "no screenshot at {}", path.display());
        println!("screenshot: {}", path.display());
    }
}
