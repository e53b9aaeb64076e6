//! `weft vote ...`: run, inspect and audit polls on a running node.
//!
//! Who runs what:
//! - organiser: `params` (a single-party Groth16 setup, see its help), `create`, `register`,
//!   `seal`, `finalize-key`;
//! - counter: `counter dkg` (every DKG step through the chain; writes the key share to a file)
//!   and, after the window, `counter decrypt`;
//! - voter: `secret` (a new membership secret and its commitment), `register-credential`
//!   (register one's own commitment with a credential, for polls with a credential rule),
//!   `cast` (builds the ballot here from the secret and submits it from a fresh one-time
//!   account);
//! - anyone: `list`, `show`, `verify`.
//!
//! Every command talks JSON-RPC to the node (`--rpc`); transactions are signed locally.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use clap::Subcommand;
use rand::rngs::OsRng;
use serde_json::{json, Value};
use weft_chain::{Call, Keypair, Transaction};
use weft_did::registry::{DidQuery, Resolution, Selector};
use weft_did::Relationships;
use weft_mpc::vote::{
    self, counter, Ballot, DkgRecord, PollId, PollRecord, PollSpec, PollState, VoteCall, VoteQuery,
};
use weft_zk::membership::{
    LeafCommitment, MembershipParams, MembershipProvingKey, MembershipSecret,
};
use weft_zk::{Ciphertext, KeyShare};
use zeroize::Zeroizing;

use crate::client::RpcClient;

/// `weft vote counter ...`.
#[derive(Debug, Subcommand)]
pub enum CounterCommand {
    /// Run this counter's part of the poll's DKG through the chain: post the round-1
    /// broadcast, deal the encrypted shares, check the shares received and post the
    /// complaints (none if all check out), answer complaints, then wait for the organiser's
    /// `finalize-key` and write this counter's key share to `--share-out` (mode 0600, hex).
    /// Stays running until then; the DKG state lives only in this process.
    Dkg {
        /// The poll id (64 hex digits).
        poll: String,
        /// The counter's account key file.
        #[arg(long)]
        key: PathBuf,
        /// Where to write the key share (must not exist).
        #[arg(long)]
        share_out: PathBuf,
        /// Node URL.
        #[arg(long, env = "WEFT_RPC", default_value = super::DEFAULT_RPC)]
        rpc: String,
        /// Give up after this many seconds of waiting for the other counters.
        #[arg(long, default_value_t = 3600)]
        timeout: u64,
    },
    /// After the window: post this counter's decryption shares of the recorded aggregate,
    /// with their DLEQ proofs.
    Decrypt {
        /// The poll id (64 hex digits).
        poll: String,
        /// The counter's account key file.
        #[arg(long)]
        key: PathBuf,
        /// The key share written by `counter dkg`.
        #[arg(long)]
        share: PathBuf,
        /// Node URL.
        #[arg(long, env = "WEFT_RPC", default_value = super::DEFAULT_RPC)]
        rpc: String,
    },
}

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
    /// Organiser: make Groth16 membership parameters for a tree depth and write the proving
    /// key (voters need it to cast). This is a single-party setup: whoever runs it could forge
    /// eligibility proofs, so it makes the organiser trusted for eligibility. For real polls
    /// use weft-zk's multi-party ceremony (see mpc/docs/notes-vote.md).
    Params {
        /// Eligibility tree depth (up to 2^depth voters per class).
        #[arg(long)]
        depth: usize,
        /// Where to write the proving key (binary, weft-zk encoding).
        #[arg(long)]
        out: PathBuf,
    },
    /// Organiser: create a poll from a JSON `PollSpec` (needs the `vote.organiser`
    /// permission). Prints the poll id.
    Create {
        /// The organiser's key file.
        #[arg(long)]
        key: PathBuf,
        /// The spec (JSON). With `--proving-key`, its `verifying_key` may be empty.
        #[arg(long)]
        spec: PathBuf,
        /// Fill the spec's verifying key from this proving key.
        #[arg(long)]
        proving_key: Option<PathBuf>,
        /// Node URL.
        #[arg(long, env = "WEFT_RPC", default_value = super::DEFAULT_RPC)]
        rpc: String,
    },
    /// Organiser: register eligibility commitments (one 64-hex-digit commitment per line).
    Register {
        /// The poll id (64 hex digits).
        poll: String,
        /// The organiser's key file.
        #[arg(long)]
        key: PathBuf,
        /// File of commitments, one per line.
        #[arg(long)]
        commitments: PathBuf,
        /// Eligibility class (weighted polls).
        #[arg(long, default_value_t = 0)]
        class: u32,
        /// Node URL.
        #[arg(long, env = "WEFT_RPC", default_value = super::DEFAULT_RPC)]
        rpc: String,
    },
    /// Organiser: close eligibility; the module computes and records the roots.
    Seal {
        /// The poll id (64 hex digits).
        poll: String,
        /// The organiser's key file.
        #[arg(long)]
        key: PathBuf,
        /// Node URL.
        #[arg(long, env = "WEFT_RPC", default_value = super::DEFAULT_RPC)]
        rpc: String,
    },
    /// Organiser: have the module compute and record the joint key once every counter has
    /// finished the DKG.
    FinalizeKey {
        /// The poll id (64 hex digits).
        poll: String,
        /// The organiser's key file.
        #[arg(long)]
        key: PathBuf,
        /// Node URL.
        #[arg(long, env = "WEFT_RPC", default_value = super::DEFAULT_RPC)]
        rpc: String,
    },
    /// Counters' steps.
    #[command(subcommand)]
    Counter(CounterCommand),
    /// Voter: make a new membership secret, write it to `--out` (mode 0600, hex) and print
    /// its commitment (give that to the organiser).
    Secret {
        /// Where to write the secret (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Voter: register your own eligibility commitment with a credential (polls with a
    /// credential rule), signed with an `authentication` key of the credential subject's DID.
    /// Uses the secret in `--secret`, or makes a new one and writes it to `--secret-out`
    /// (mode 0600, hex). Prints the commitment. The registration links your DID to the
    /// commitment in public; your ballot stays unlinkable.
    RegisterCredential {
        /// The poll id (64 hex digits).
        #[arg(long)]
        poll: String,
        /// The secured credential (VC JSON with its eddsa-jcs-2022 proof).
        #[arg(long)]
        credential: PathBuf,
        /// The subject's key file (an authentication key of the subject DID).
        #[arg(long)]
        key: PathBuf,
        /// An existing membership secret (from `weft vote secret`).
        #[arg(long, conflicts_with = "secret_out")]
        secret: Option<PathBuf>,
        /// Where to write a new membership secret (must not exist).
        #[arg(long)]
        secret_out: Option<PathBuf>,
        /// Node URL.
        #[arg(long, env = "WEFT_RPC", default_value = super::DEFAULT_RPC)]
        rpc: String,
    },
    /// Voter: build a ballot here from the secret and submit it from a fresh one-time
    /// account. Nothing in the transaction identifies the voter; the node that receives it
    /// sees the sender's network address, so use a node you trust or a relay.
    Cast {
        /// The poll id (64 hex digits).
        poll: String,
        /// The membership secret file (from `weft vote secret`).
        #[arg(long)]
        secret: PathBuf,
        /// The poll's proving key (from the organiser).
        #[arg(long)]
        proving_key: PathBuf,
        /// A chosen choice (index from 0); repeat for approval and k-of-n polls.
        #[arg(long = "choice")]
        choices: Vec<usize>,
        /// Eligibility class (weighted polls).
        #[arg(long, default_value_t = 0)]
        class: u32,
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
            let started = Instant::now();
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
        VoteCommand::Params { depth, out } => {
            let params = MembershipParams::setup(depth)
                .map_err(|e| anyhow!("membership setup for depth {depth}: {e}"))?;
            write_new(&out, &params.proving_key().to_bytes(), false)?;
            println!(
                "wrote the proving key for depth {depth} to {} (single-party setup: you are \
                 trusted for eligibility soundness)",
                out.display()
            );
            Ok(())
        }
        VoteCommand::Create {
            key,
            spec,
            proving_key,
            rpc,
        } => {
            let key = super::key::load_signing_key(&key)?;
            let text = std::fs::read_to_string(&spec)
                .with_context(|| format!("reading {}", spec.display()))?;
            let mut spec: PollSpec = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a poll spec", spec.display()))?;
            if let Some(pk) = proving_key {
                spec.verifying_key = read_proving_key(&pk)?.verifying_key().to_bytes();
            }
            let id = create_poll(&rpc, &key, spec).await?;
            println!("{id}");
            Ok(())
        }
        VoteCommand::Register {
            poll,
            key,
            commitments,
            class,
            rpc,
        } => {
            let id = parse_id(&poll)?;
            let key = super::key::load_signing_key(&key)?;
            let leaves = read_commitments(&commitments)?;
            let count = leaves.len();
            for chunk in leaves.chunks(vote::MAX_LEAVES_PER_CALL) {
                submit(
                    &rpc,
                    &key,
                    vote::call(&VoteCall::AddLeaves {
                        poll: id,
                        class,
                        leaves: chunk.to_vec(),
                    }),
                )
                .await?;
            }
            println!("registered {count} commitments in class {class}");
            Ok(())
        }
        VoteCommand::Seal { poll, key, rpc } => {
            let id = parse_id(&poll)?;
            let key = super::key::load_signing_key(&key)?;
            submit(&rpc, &key, vote::call(&VoteCall::Seal { poll: id })).await?;
            println!("eligibility sealed");
            Ok(())
        }
        VoteCommand::FinalizeKey { poll, key, rpc } => {
            let id = parse_id(&poll)?;
            let key = super::key::load_signing_key(&key)?;
            submit(&rpc, &key, vote::call(&VoteCall::FinalizeKey { poll: id })).await?;
            println!("joint key recorded");
            Ok(())
        }
        VoteCommand::Counter(CounterCommand::Dkg {
            poll,
            key,
            share_out,
            rpc,
            timeout,
        }) => {
            let id = parse_id(&poll)?;
            let key = super::key::load_signing_key(&key)?;
            if share_out.exists() {
                bail!(
                    "{} exists; not overwriting a key share",
                    share_out.display()
                );
            }
            let share = counter_dkg(&rpc, id, &key, Duration::from_secs(timeout)).await?;
            let text = Zeroizing::new(hex::encode(share.to_secret_bytes().as_slice()));
            write_new(&share_out, text.as_bytes(), true)?;
            println!(
                "counter {}: key share written to {}",
                share.index(),
                share_out.display()
            );
            Ok(())
        }
        VoteCommand::Counter(CounterCommand::Decrypt {
            poll,
            key,
            share,
            rpc,
        }) => {
            let id = parse_id(&poll)?;
            let key = super::key::load_signing_key(&key)?;
            let share = read_key_share(&share)?;
            let state = counter_decrypt(&rpc, id, &key, &share).await?;
            match state.result {
                Some(r) => println!("result recorded: {:?}", r.counts),
                None => println!(
                    "shares posted; {} of {} counters so far",
                    state.decrypted_by.len(),
                    state.spec.threshold
                ),
            }
            Ok(())
        }
        VoteCommand::Secret { out } => {
            let secret = MembershipSecret::random();
            let text = Zeroizing::new(hex::encode(secret.to_bytes().as_slice()));
            write_new(&out, text.as_bytes(), true)?;
            println!("{}", hex::encode(secret.commitment().to_bytes()));
            Ok(())
        }
        VoteCommand::RegisterCredential {
            poll,
            credential,
            key,
            secret,
            secret_out,
            rpc,
        } => {
            let id = parse_id(&poll)?;
            let key = super::key::load_signing_key(&key)?;
            let credential = std::fs::read_to_string(&credential)
                .with_context(|| format!("reading {}", credential.display()))?;
            let secret = match (secret, secret_out) {
                (Some(path), _) => read_secret(&path)?,
                (None, Some(out)) => {
                    let secret = MembershipSecret::random();
                    let text = Zeroizing::new(hex::encode(secret.to_bytes().as_slice()));
                    write_new(&out, text.as_bytes(), true)?;
                    secret
                }
                (None, None) => bail!("give --secret FILE, or --secret-out FILE for a new secret"),
            };
            let commitment = secret.commitment().to_bytes();
            submit(
                &rpc,
                &key,
                vote::call(&VoteCall::RegisterWithCredential {
                    poll: id,
                    credential,
                    commitment,
                }),
            )
            .await?;
            println!("{}", hex::encode(commitment));
            Ok(())
        }
        VoteCommand::Cast {
            poll,
            secret,
            proving_key,
            choices,
            class,
            rpc,
        } => {
            let id = parse_id(&poll)?;
            let secret = read_secret(&secret)?;
            let pk = read_proving_key(&proving_key)?;
            let receipt = cast(&rpc, id, &secret, class, &choices, &pk).await?;
            println!(
                "ballot counted (tx {}, height {})",
                receipt["tx_hash"].as_str().unwrap_or("?"),
                receipt["height"]
            );
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

/// Signs `call` with `key`, submits it over JSON-RPC and waits for the receipt; an error if
/// the transaction failed (with the module's reason).
pub async fn submit(rpc: &str, key: &Keypair, call: Call) -> anyhow::Result<Value> {
    let client = RpcClient::new(rpc);
    let status = client.call("getSyncStatus", json!([])).await?;
    let chain_id = status
        .get("chainId")
        .and_then(Value::as_str)
        .context("node reported no chain id")?
        .to_string();
    let nonce = client
        .call("getNonce", json!([key.address()]))
        .await?
        .as_u64()
        .context("node reported a non-numeric nonce")?;
    let tx = Transaction {
        chain_id,
        sender: key.public_key(),
        nonce,
        call,
    }
    .sign(key);
    let raw = format!("0x{}", hex::encode(tx.encode()));
    let hash = client
        .call("sendTransaction", json!([raw]))
        .await
        .context("submitting the transaction")?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let receipt = client.call("getTransactionReceipt", json!([hash])).await?;
        if !receipt.is_null() {
            let status = receipt.get("status").and_then(Value::as_str).unwrap_or("");
            if !status.eq_ignore_ascii_case("success") {
                bail!(
                    "refused by the chain: {}",
                    crate::client::receipt_error(&receipt)
                );
            }
            return Ok(receipt);
        }
        if Instant::now() > deadline {
            bail!("no receipt for {hash} after 60 s");
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Creates a poll signed by `key`; returns its id (from the `poll_created` event).
pub async fn create_poll(rpc: &str, key: &Keypair, spec: PollSpec) -> anyhow::Result<PollId> {
    vote::validate_spec(&spec).map_err(|e| anyhow!("invalid poll spec: {e}"))?;
    let receipt = submit(rpc, key, vote::call(&VoteCall::CreatePoll(spec))).await?;
    receipt
        .get("events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|e| e.get("kind").and_then(Value::as_str) == Some("poll_created"))
        .find_map(|e| attribute(e, "poll"))
        .and_then(|p| PollId::from_hex(&p))
        .ok_or_else(|| anyhow!("the receipt has no poll_created event: {receipt}"))
}

fn attribute(event: &Value, name: &str) -> Option<String> {
    let attrs = event.get("attributes")?;
    if let Some(map) = attrs.as_object() {
        return map.get(name)?.as_str().map(str::to_string);
    }
    attrs.as_array()?.iter().find_map(|pair| {
        let pair = pair.as_array()?;
        (pair.first()?.as_str()? == name).then(|| pair.get(1)?.as_str().map(str::to_string))?
    })
}

/// Submits a ballot from a fresh one-time account (forgotten at once); returns the receipt.
pub async fn submit_ballot(rpc: &str, ballot: Ballot) -> anyhow::Result<Value> {
    let one_time = Keypair::generate();
    submit(rpc, &one_time, vote::call(&VoteCall::Cast(ballot))).await
}

/// `weft vote cast`: reads the poll and the class's leaves, builds the ballot here and
/// submits it from a one-time account.
pub async fn cast(
    rpc: &str,
    poll: PollId,
    secret: &MembershipSecret,
    class: u32,
    choices: &[usize],
    proving_key: &MembershipProvingKey,
) -> anyhow::Result<Value> {
    let state: PollState = query(rpc, &VoteQuery::Poll(poll)).await?;
    let leaves: Vec<[u8; 32]> = query(rpc, &VoteQuery::Leaves { poll, class }).await?;
    let tree = vote::EligibilityTree::from_leaves(state.spec.tree_depth, &leaves)?;
    let ballot = vote::build_ballot(&state, &tree, secret, class, choices, proving_key)?;
    submit_ballot(rpc, ballot).await
}

/// The index (from 1) of the counter whose DID document (resolved over JSON-RPC) holds
/// `key` as an authentication or capabilityInvocation key, as the module checks it.
pub async fn counter_index_of(rpc: &str, spec: &PollSpec, key: &Keypair) -> anyhow::Result<u32> {
    let client = RpcClient::new(rpc);
    for (i, did) in spec.counters.iter().enumerate() {
        let (_, address) = vote::counter_did_address(did).map_err(|e| anyhow!(e))?;
        let (method, args) = DidQuery::Resolve {
            did: address,
            selector: Selector::Latest,
        }
        .args();
        let result = client
            .call(
                "call",
                json!([
                    weft_did::registry::NAME,
                    method,
                    format!("0x{}", hex::encode(args))
                ]),
            )
            .await?;
        let hex_result = result
            .get("result")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("the node's answer has no result"))?;
        let bytes = hex::decode(hex_result.trim_start_matches("0x"))?;
        let resolution: Option<Resolution> =
            borsh::from_slice(&bytes).context("the DID resolution does not decode")?;
        let Some(res) = resolution else { continue };
        if res.head.deactivated {
            continue;
        }
        if res.record.state.keys.iter().any(|k| {
            (k.relationships.has(Relationships::AUTHENTICATION)
                || k.relationships.has(Relationships::CAPABILITY_INVOCATION))
                && k.public_key.address() == key.address()
        }) {
            return Ok(i as u32 + 1);
        }
    }
    bail!(
        "{} is not a key of any counter DID of this poll ({:?})",
        key.address(),
        spec.counters
    )
}

async fn wait_dkg(
    rpc: &str,
    poll: PollId,
    deadline: Instant,
    what: &str,
    done: impl Fn(&DkgRecord) -> bool,
) -> anyhow::Result<DkgRecord> {
    loop {
        let record: DkgRecord = query(rpc, &VoteQuery::Dkg(poll)).await?;
        if done(&record) {
            return Ok(record);
        }
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `weft vote counter dkg`: runs this counter's DKG steps through the chain and returns its
/// key share once the organiser has had the joint key recorded.
pub async fn counter_dkg(
    rpc: &str,
    poll: PollId,
    key: &Keypair,
    timeout: Duration,
) -> anyhow::Result<KeyShare> {
    let deadline = Instant::now() + timeout;
    let state: PollState = query(rpc, &VoteQuery::Poll(poll)).await?;
    let spec = &state.spec;
    let index = counter_index_of(rpc, spec, key).await?;
    let n = spec.counters.len();
    let (round1, share_key, post) = counter::start_with_rng(&poll, spec, index, &mut OsRng)
        .map_err(|e| anyhow!("DKG round 1: {e}"))?;
    submit(rpc, key, vote::call(&VoteCall::DkgBroadcast { poll, post }))
        .await
        .context("posting the round-1 broadcast")?;

    let record = wait_dkg(rpc, poll, deadline, "every counter's broadcast", |r| {
        r.broadcasts.len() == n
    })
    .await?;
    let (round2, shares) = counter::deal_with_rng(&poll, round1, &record, &mut OsRng)
        .map_err(|e| anyhow!("DKG round 2: {e}"))?;
    submit(rpc, key, vote::call(&VoteCall::DkgShares { poll, shares }))
        .await
        .context("posting the encrypted shares")?;

    let record = wait_dkg(rpc, poll, deadline, "every counter's shares", |r| {
        r.shares.len() == r.broadcasts.len()
    })
    .await?;
    let (round3, accused) = counter::receive(&poll, index, round2, &share_key, &record)
        .map_err(|e| anyhow!("DKG round 3: {e}"))?;
    if !accused.is_empty() {
        eprintln!("counter {index}: shares from {accused:?} fail the Feldman check; complaining");
    }
    submit(
        rpc,
        key,
        vote::call(&VoteCall::DkgComplaints { poll, accused }),
    )
    .await
    .context("posting the complaints")?;

    let record = wait_dkg(rpc, poll, deadline, "every counter's complaints", |r| {
        r.complaints.len() == r.broadcasts.len()
    })
    .await?;
    let responses = counter::respond(&round3, &record);
    if !responses.is_empty() {
        submit(
            rpc,
            key,
            vote::call(&VoteCall::DkgResponses { poll, responses }),
        )
        .await
        .context("answering complaints")?;
    }

    loop {
        let state: PollState = query(rpc, &VoteQuery::Poll(poll)).await?;
        if let Some(recorded) = state.group_key {
            let record: DkgRecord = query(rpc, &VoteQuery::Dkg(poll)).await?;
            let out = counter::finish(round3, &record).map_err(|e| anyhow!("DKG finish: {e}"))?;
            if out.group.to_bytes() != recorded.0 {
                bail!("the recorded joint key differs from the one this counter computed");
            }
            return Ok(out.share);
        }
        if Instant::now() > deadline {
            bail!("timed out waiting for the organiser's finalize-key");
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `weft vote counter decrypt`: posts decryption shares of the recorded aggregate; returns
/// the poll state afterwards.
pub async fn counter_decrypt(
    rpc: &str,
    poll: PollId,
    key: &Keypair,
    share: &KeyShare,
) -> anyhow::Result<PollState> {
    let state: PollState = query(rpc, &VoteQuery::Poll(poll)).await?;
    let aggregate = state
        .aggregate
        .iter()
        .map(|b| Ciphertext::from_bytes(&b.0))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow!("recorded aggregate: {e}"))?;
    let shares = counter::decryption_shares_with_rng(&poll, share, &aggregate, &mut OsRng);
    submit(rpc, key, vote::call(&VoteCall::Decrypt { poll, shares })).await?;
    query(rpc, &VoteQuery::Poll(poll)).await
}

/// Writes a new file (refusing to overwrite); `secret` files get mode 0600.
fn write_new(path: &Path, bytes: &[u8], secret: bool) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn read_hex_file(path: &Path) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
    );
    Ok(Zeroizing::new(hex::decode(text.trim()).with_context(
        || format!("{} is not hex", path.display()),
    )?))
}

/// Reads a membership secret file (64 hex digits).
pub fn read_secret(path: &Path) -> anyhow::Result<MembershipSecret> {
    let bytes = read_hex_file(path)?;
    let bytes: &[u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| anyhow!("{} does not hold a 32-byte secret", path.display()))?;
    MembershipSecret::from_bytes(bytes)
        .map_err(|e| anyhow!("{} is not a membership secret: {e}", path.display()))
}

/// Reads a key share file written by `counter dkg`.
pub fn read_key_share(path: &Path) -> anyhow::Result<KeyShare> {
    let bytes = read_hex_file(path)?;
    KeyShare::from_secret_bytes(&bytes)
        .map_err(|e| anyhow!("{} is not a key share: {e}", path.display()))
}

/// Reads a proving key file written by `weft vote params`.
pub fn read_proving_key(path: &Path) -> anyhow::Result<MembershipProvingKey> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    MembershipProvingKey::from_bytes(&bytes)
        .map_err(|e| anyhow!("{} is not a proving key: {e}", path.display()))
}

fn read_commitments(path: &Path) -> anyhow::Result<Vec<[u8; 32]>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, line)| {
            let bytes = hex::decode(line.trim_start_matches("0x"))
                .with_context(|| format!("line {}: not hex", i + 1))?;
            let leaf: [u8; 32] = bytes
                .try_into()
                .map_err(|_| anyhow!("line {}: a commitment is 32 bytes", i + 1))?;
            LeafCommitment::from_bytes(&leaf)
                .map_err(|e| anyhow!("line {}: not a commitment: {e}", i + 1))?;
            Ok(leaf)
        })
        .collect()
}
