//! The voting demo: a poll run end to end on a local consortium — three organisations, each
//! running its own full `weft node` process on one chain — through the same JSON-RPC paths and
//! `weft vote` functions a user's command line takes.
//!
//! 1. Three organisations' nodes start (homes in a temporary directory; their web UIs, DIDs and
//!    admin tokens are printed); the committee (the organisations' operator accounts, a
//!    majority of them) grants an organiser the `vote.organiser` permission.
//! 2. The organiser makes Groth16 membership parameters (single-party setup, as
//!    `weft vote params`) and creates a poll: 4 choices, single choice, 3 counters, threshold 2.
//! 3. The three counters run the DKG through the chain (`weft vote counter dkg`), each in its
//!    own task and through its own organisation's node; the organiser has the module record the
//!    joint key (`finalize-key`).
//! 4. `N` voters make secrets (`weft vote secret`); the organiser registers their commitments
//!    and seals eligibility (the module computes the root).
//! 5. When the window opens, every voter builds a ballot from their secret and submits it from
//!    a fresh one-time account (`weft vote cast`) to the second or third organisation's node.
//!    The choices follow a known distribution.
//! 6. After the window, counter 2 is offline; counters 1 and 3 post decryption shares
//!    (`weft vote counter decrypt`) and the module records the result.
//! 7. The demo checks that the result equals the distribution and runs the audit
//!    (`weft vote verify`) on the third organisation's node, which must pass.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, ensure, Context as _};
use futures_util::future::join_all;
use weft_chain::governance::{self, Action, GovernanceCall};
use weft_chain::Keypair;
use weft_cli::local_net::{weft_binary, LocalNetwork};
use weft_cli::vote::{counter_decrypt, counter_dkg, create_poll, query, submit, submit_ballot};
use weft_did::registry::DidCall;
use weft_did::Did;
use weft_mpc::vote::{
    self, DkgRecord, PollRecord, PollSpec, PollState, Rule, VoteCall, VoteQuery, Window, WindowUnit,
};
use weft_service::node_home::read_key_file;
use weft_zk::membership::{MembershipParams, MembershipSecret};

/// The choices of the demo poll.
pub const CHOICES: [&str; 4] = ["Solar roof", "Bike shed", "Garden", "Keep the money"];

/// Options of a run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Number of voters.
    pub voters: usize,
    /// Seconds between creating the poll and opening the window (setup must fit).
    pub setup_secs: u64,
    /// Length of the voting window in seconds.
    pub window_secs: u64,
    /// Ballots submitted concurrently.
    pub parallel: usize,
}

impl Options {
    /// Defaults for `voters` voters.
    pub fn for_voters(voters: usize) -> Self {
        Options {
            voters,
            setup_secs: 20,
            window_secs: 20 + voters as u64 / 2,
            parallel: 16,
        }
    }
}

/// What a run produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The intended count per choice.
    pub expected: Vec<u64>,
    /// The published count per choice.
    pub published: Vec<u64>,
    /// The counters whose shares were combined.
    pub combined: Vec<u32>,
    /// Whether every audit check passed.
    pub audit_passed: bool,
}

/// The known distribution: 40 %, 30 %, 20 %, the rest.
pub fn distribution(voters: usize) -> Vec<u64> {
    let n = voters as u64;
    let a = n * 4 / 10;
    let b = n * 3 / 10;
    let c = n * 2 / 10;
    vec![a, b, c, n - a - b - c]
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

async fn sleep_until_ms(ms: u64) {
    let now = now_ms();
    if ms > now {
        actix_web::rt::time::sleep(Duration::from_millis(ms - now)).await;
    }
}

fn step(n: u32, text: &str) {
    println!("[{n}/7] {text}");
}

/// Chain id of the demo's network.
const CHAIN_ID: &str = "weft-local";

/// Runs the demo on a network laid out in `dir` (kept if `keep`, else removed when the returned
/// network is dropped); must be called inside an actix runtime.
pub async fn run(
    opts: &Options,
    dir: &Path,
    keep: bool,
) -> anyhow::Result<(Outcome, LocalNetwork)> {
    ensure!(opts.voters >= 1, "at least one voter");
    ensure!(opts.parallel >= 1, "at least one ballot at a time");
    let started = Instant::now();

    // 1. The organisations' nodes.
    let net = LocalNetwork::start(&weft_binary()?, dir, 3, 1000, keep)?;
    let dids = net.organisation_dids(Duration::from_secs(120)).await?;
    for (i, did) in dids.iter().enumerate() {
        println!(
            "      organisation {}: web UI {}/  DID {did}  admin token {}",
            i + 1,
            net.url(i),
            net.admin_token(i)?
        );
    }
    let rpcs: Vec<String> = (0..net.len()).map(|i| net.url(i).to_string()).collect();
    let committee = [
        read_key_file(&net.operator_key_file(0))?,
        read_key_file(&net.operator_key_file(1))?,
    ];
    let outcome = run_poll(opts, &rpcs, &committee).await?;
    println!("done in {:.1?}", started.elapsed());
    Ok((outcome, net))
}

/// Passes a committee decision on a three-organisation network: the first member proposes on
/// its node, the second approves on its own (2 of 3).
async fn committee_pass(
    rpcs: &[String],
    committee: &[Keypair; 2],
    action: Action,
) -> anyhow::Result<()> {
    let receipt = submit(
        &rpcs[0],
        &committee[0],
        governance::call(GovernanceCall::Propose { action }),
    )
    .await
    .context("proposing")?;
    let id: u64 = receipt["events"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["attributes"].as_array().cloned().unwrap_or_default())
        .find(|a| a[0] == "id")
        .and_then(|a| a[1].as_str().and_then(|v| v.parse().ok()))
        .context("no proposal id in the receipt")?;
    // The second node must have the proposal's block before its member votes.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let voted = submit(
            &rpcs[1],
            &committee[1],
            governance::call(GovernanceCall::Vote {
                proposal_id: id,
                approve: true,
            }),
        )
        .await;
        match voted {
            Ok(_) => return Ok(()),
            Err(_) if Instant::now() < deadline => {
                actix_web::rt::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => return Err(e.context("voting")),
        }
    }
}

/// The poll's state at `rpc` once `done` holds (another node may be a block behind).
async fn poll_state_when(
    rpc: &str,
    poll: vote::PollId,
    what: &str,
    done: impl Fn(&PollState) -> bool,
) -> anyhow::Result<PollState> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let state: PollState = query(rpc, &VoteQuery::Poll(poll)).await?;
        if done(&state) {
            return Ok(state);
        }
        if Instant::now() > deadline {
            bail!("{what}: not seen at {rpc} within 30 s");
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn run_poll(
    opts: &Options,
    rpcs: &[String],
    committee: &[Keypair; 2],
) -> anyhow::Result<Outcome> {
    // The organiser works through the first organisation's node.
    let rpc = rpcs[0].as_str();
    let chain_id = CHAIN_ID;
    let organiser = Keypair::generate();
    committee_pass(
        rpcs,
        committee,
        Action::Grant {
            account: organiser.address(),
            permission: vote::ORGANISER_PERMISSION.into(),
        },
    )
    .await
    .context("granting vote.organiser")?;
    step(
        1,
        &format!(
            "three organisations' nodes up ({}); the committee granted the organiser permission (2 of 3)",
            rpcs.join(", ")
        ),
    );

    // 2. Parameters and the poll.
    let depth = (usize::BITS - opts.voters.saturating_sub(1).leading_zeros()).max(1) as usize;
    let t = Instant::now();
    let params = MembershipParams::setup(depth).map_err(|e| anyhow::anyhow!("setup: {e}"))?;
    // The counters are DIDs: each counter registers its own.
    let counters: Vec<Keypair> = (0..3).map(|_| Keypair::generate()).collect();
    let mut counter_dids = Vec::new();
    for c in &counters {
        submit(
            rpc,
            c,
            DidCall::Create {
                public_key: c.public_key(),
                services: vec![],
            }
            .call(),
        )
        .await
        .context("registering a counter DID")?;
        counter_dids.push(Did::weft(chain_id, c.address()).to_string());
    }
    let start = now_ms() + opts.setup_secs * 1000;
    let end = start + opts.window_secs * 1000;
    let spec = PollSpec {
        title: "Spending the 2027 surplus".into(),
        choices: CHOICES.iter().map(|c| c.to_string()).collect(),
        rule: Rule::Single,
        window: Window {
            unit: WindowUnit::TimestampMs,
            start,
            end,
        },
        counters: counter_dids,
        threshold: 2,
        allow_revote: false,
        tree_depth: depth as u8,
        verifying_key: params.proving_key().verifying_key().to_bytes(),
        credential: None,
    };
    let poll = create_poll(rpc, &organiser, spec).await?;
    step(
        2,
        &format!(
            "poll {poll} created: {} choices, tree depth {depth}, 3 counter DIDs, threshold 2 \
             (Groth16 setup {:.1?}); the window opens in {} s for {} s",
            CHOICES.len(),
            t.elapsed(),
            opts.setup_secs,
            opts.window_secs
        ),
    );

    // 3. DKG: each counter in its own task, as three `weft vote counter dkg` processes would.
    let t = Instant::now();
    let tasks: Vec<_> = counters
        .iter()
        .enumerate()
        .map(|(i, c)| {
            // Each counter works through its own organisation's node.
            let (rpc, c) = (rpcs[i % rpcs.len()].clone(), c.clone());
            actix_web::rt::spawn(async move {
                counter_dkg(&rpc, poll, &c, Duration::from_secs(120)).await
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let record: DkgRecord = query(rpc, &VoteQuery::Dkg(poll)).await?;
        if record.complaints.len() == counters.len() {
            break;
        }
        if Instant::now() > deadline {
            bail!("the counters did not finish the DKG in 120 s");
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    submit(rpc, &organiser, vote::call(&VoteCall::FinalizeKey { poll }))
        .await
        .context("finalize-key")?;
    let mut shares = Vec::new();
    for task in tasks {
        shares.push(task.await.context("counter task")??);
    }
    step(
        3,
        &format!(
            "DKG through the chain done in {:.1?}; the module recorded the joint key",
            t.elapsed()
        ),
    );

    // 4. Eligibility.
    let secrets: Vec<MembershipSecret> = (0..opts.voters)
        .map(|_| MembershipSecret::random())
        .collect();
    let leaves: Vec<[u8; 32]> = secrets.iter().map(|s| s.commitment().to_bytes()).collect();
    for chunk in leaves.chunks(vote::MAX_LEAVES_PER_CALL) {
        submit(
            rpc,
            &organiser,
            vote::call(&VoteCall::AddLeaves {
                poll,
                class: 0,
                leaves: chunk.to_vec(),
            }),
        )
        .await
        .context("registering commitments")?;
    }
    submit(rpc, &organiser, vote::call(&VoteCall::Seal { poll }))
        .await
        .context("sealing eligibility")?;
    step(
        4,
        &format!("{} commitments registered; eligibility sealed", opts.voters),
    );

    // 5. Voting.
    let expected = distribution(opts.voters);
    let choices: Vec<usize> = expected
        .iter()
        .enumerate()
        .flat_map(|(c, n)| std::iter::repeat_n(c, *n as usize))
        .collect();
    let state: PollState = query(rpc, &VoteQuery::Poll(poll)).await?;
    let recorded: Vec<[u8; 32]> = query(rpc, &VoteQuery::Leaves { poll, class: 0 }).await?;
    let tree = weft_mpc::vote::EligibilityTree::from_leaves(state.spec.tree_depth, &recorded)?;
    if now_ms() >= start {
        bail!(
            "setup took longer than --setup-secs {}; the window is already open",
            opts.setup_secs
        );
    }
    println!(
        "      waiting {:.1} s for the window to open",
        (start - now_ms()) as f64 / 1000.0
    );
    sleep_until_ms(start + 100).await;
    let t = Instant::now();
    let mut bytes = 0usize;
    let mut make_time = Duration::ZERO;
    for (k, batch) in secrets
        .iter()
        .zip(&choices)
        .collect::<Vec<_>>()
        .chunks(opts.parallel)
        .enumerate()
    {
        let m = Instant::now();
        let ballots = batch
            .iter()
            .map(|(s, c)| {
                weft_mpc::vote::build_ballot(&state, &tree, s, 0, &[**c], params.proving_key())
            })
            .collect::<Result<Vec<_>, _>>()?;
        make_time += m.elapsed();
        bytes += ballots.iter().map(|b| b.encoded_len()).sum::<usize>();
        // Voters submit to the second and third organisations' nodes.
        let sent = ballots
            .into_iter()
            .enumerate()
            .map(|(j, b)| submit_ballot(&rpcs[1 + j % (rpcs.len() - 1)], b));
        for r in join_all(sent).await {
            r.context("casting a ballot")?;
        }
        let done = (k * opts.parallel + batch.len()).min(opts.voters);
        if done % 50 < opts.parallel || done == opts.voters {
            println!("      {done}/{} ballots counted", opts.voters);
        }
        if now_ms() > end {
            bail!("the window closed before every ballot was cast; raise --window-secs");
        }
    }
    let voters = opts.voters as u64;
    let state = poll_state_when(rpc, poll, "every ballot", |s| s.ballots >= voters).await?;
    ensure!(
        state.ballots == opts.voters as u64,
        "turnout {} instead of {}",
        state.ballots,
        opts.voters
    );
    step(
        5,
        &format!(
            "{} ballots cast from one-time accounts in {:.1?} (making them took {:.1?}, {} bytes \
             each on average)",
            opts.voters,
            t.elapsed(),
            make_time,
            bytes / opts.voters
        ),
    );

    // 6. Tally with counter 2 offline.
    println!(
        "      waiting {:.1} s for the window to close",
        end.saturating_sub(now_ms()) as f64 / 1000.0
    );
    sleep_until_ms(end + 100).await;
    let t = Instant::now();
    for i in [0usize, 2] {
        counter_decrypt(&rpcs[i], poll, &counters[i], &shares[i]).await?;
    }
    // The audit reads the third organisation's node.
    let audit_rpc = rpcs[rpcs.len() - 1].as_str();
    let state = poll_state_when(audit_rpc, poll, "the result", |s| s.result.is_some()).await?;
    let result = state
        .result
        .context("two of three counters posted shares, yet no result is recorded")?;
    step(
        6,
        &format!(
            "counter 2 offline; counters {:?} decrypted the tally in {:.1?}",
            result.combined,
            t.elapsed()
        ),
    );
    for (label, (got, want)) in CHOICES.iter().zip(result.counts.iter().zip(&expected)) {
        println!("      {label:<16} {got:>5}   (intended {want})");
    }

    // 7. Audit.
    let t = Instant::now();
    let record: PollRecord = query(audit_rpc, &VoteQuery::Record(poll)).await?;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let report = vote::audit(&record, threads);
    for check in &report.checks {
        println!(
            "      [{}] {}: {}",
            if check.ok { " ok " } else { "FAIL" },
            check.name,
            check.detail
        );
    }
    step(
        7,
        &format!(
            "audit {} in {:.1?}",
            if report.passed() { "passed" } else { "FAILED" },
            t.elapsed()
        ),
    );
    Ok(Outcome {
        expected,
        published: result.counts,
        combined: result.combined,
        audit_passed: report.passed(),
    })
}
