//! `weft vote ...`: inspect and audit polls on a running node.

use anyhow::{anyhow, bail, Context as _};
use clap::Subcommand;
use serde_json::json;
use weft_mpc::vote::{self, PollId, PollRecord, PollState, VoteQuery};

use crate::client::RpcClient;

/// `weft vote ...`.
#[derive(Debug, Subcommand)]
pub enum VoteCommand {
    /// Re-verify a whole poll from chain data alone: poll id, DKG and joint key, eligibility
    /// roots, every ballot proof, nullifier uniqueness, the homomorphic sum, every decryption
    /// share and the final counts. Prints each check; exits non-zero if any fails.
    Verify {
        /// The poll id (64 hex digits).
        poll: String,
        /// Node URL.
        #[arg(long, env = "WEFT_RPC", default_value = super::DEFAULT_RPC)]
        rpc: String,
        /// Threads for ballot verification (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Show a poll: spec, phase, turnout and result.
    Show {
        /// The poll id (64 hex digits).
        poll: String,
        /// Node URL.
        #[arg(long, env = "WEFT_RPC", default_value = super::DEFAULT_RPC)]
        rpc: String,
    },
    /// List the ids of all polls.
    List {
        /// Node URL.
        #[arg(long, env = "WEFT_RPC", default_value = super::DEFAULT_RPC)]
        rpc: String,
    },
}

/// Runs a `weft vote` subcommand.
pub async fn run(command: VoteCommand) -> anyhow::Result<()> {
    match command {
        VoteCommand::Verify { poll, rpc, threads } => {
            let id = parse_id(&poll)?;
            let record: PollRecord = query(&rpc, &VoteQuery::Record(id)).await?;
            let threads = threads.unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
            });
            let started = std::time::Instant::now();
            let report = vote::audit(&record, threads);
            println!("poll {id}: {}", record.state.spec.title);
            for check in &report.checks {
                println!(
                    "  [{}] {}: {}",
                    if check.ok { " ok " } else { "FAIL" },
                    check.name,
                    check.detail
                );
            }
            println!("audit took {:.2?}", started.elapsed());
            if !report.passed() {
                bail!("the audit of poll {id} failed");
            }
            println!("audit passed");
            Ok(())
        }
        VoteCommand::Show { poll, rpc } => {
            let id = parse_id(&poll)?;
            let state: PollState = query(&rpc, &VoteQuery::Poll(id)).await?;
            println!("{}", serde_json::to_string_pretty(&state)?);
            Ok(())
        }
        VoteCommand::List { rpc } => {
            let ids: Vec<PollId> = query(&rpc, &VoteQuery::Polls).await?;
            for id in ids {
                println!("{id}");
            }
            Ok(())
        }
    }
}

fn parse_id(s: &str) -> anyhow::Result<PollId> {
    PollId::from_hex(s).ok_or_else(|| anyhow!("a poll id is 64 hex digits, got {s:?}"))
}

/// Runs a read-only query of the vote module through JSON-RPC `call`.
pub async fn query<T: borsh::BorshDeserialize>(rpc: &str, q: &VoteQuery) -> anyhow::Result<T> {
    let (method, args) = vote::query_args(q);
    let client = RpcClient::new(rpc);
    let result = client
        .call(
            "call",
            json!([vote::NAME, method, format!("0x{}", hex::encode(args))]),
        )
        .await?;
    let hex_result = result
        .get("result")
        .and_then(|v| v.as_str())
        .ok_or_else(|| anyhow!("the node's answer has no result"))?;
    let bytes = hex::decode(hex_result.trim_start_matches("0x")).context("result is not hex")?;
    borsh::from_slice(&bytes).context("the node's answer does not decode")
}
