//! `weft up` as a child process, for the CLI and crash tests.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const WEFT: &str = env!("CARGO_BIN_EXE_weft");

/// A running `weft up`; killed on drop.
pub struct UpProcess {
    pub child: Child,
    pub rpc: String,
    /// Everything `weft up` printed before it was ready.
    pub banner: Vec<String>,
    /// The admin token printed on first start.
    pub admin_token: Option<String>,
}

impl UpProcess {
    pub fn start(data_dir: &Path) -> UpProcess {
        let child = Command::new(WEFT)
            .args([
                "up",
                "--http",
                "127.0.0.1:0",
                "--workers",
                "1",
                "--data-dir",
            ])
            .arg(data_dir)
            .env("RUST_LOG", "warn")
            // The master key lives beside (never inside) the data directory; the store is the
            // data directory's SQLite file even when CI exports DATABASE_URL.
            .env(
                "WEFT_MASTER_KEY_FILE",
                data_dir.parent().unwrap_or(data_dir).join("master.key"),
            )
            .env_remove("DATABASE_URL")
            .env_remove("WEFT_MASTER_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn weft up");
        // Owned by the guard from here on, so a failed start still kills the child.
        let mut process = UpProcess {
            child,
            rpc: String::new(),
            banner: Vec::new(),
            admin_token: None,
        };
        let stdout = process.child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut rpc = None;
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .expect("weft up did not finish its banner");
            process.banner.push(line.clone());
            if let Some(rest) = line.trim().strip_prefix("admin token:") {
                process.admin_token = rest.split_whitespace().next().map(str::to_string);
            }
            if let Some(url) = line.trim().strip_prefix("rpc url:") {
                rpc = Some(url.trim().trim_end_matches("/rpc").to_string());
            }
            if line.contains("stop with Ctrl-C") {
                // Keep draining stdout in the background.
                std::thread::spawn(move || while rx.recv().is_ok() {});
                process.rpc = rpc.expect("no rpc url in the banner");
                return process;
            }
        }
    }

    /// SIGTERM and wait for a clean exit.
    pub fn terminate(mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("weft up did not exit within 30 s of SIGTERM");
    }
}

impl Drop for UpProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
