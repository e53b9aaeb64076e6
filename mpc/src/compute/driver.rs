//! An in-process driver: every party's state machine in one thread, messages encoded to bytes
//! and decoded again on delivery (so the wire format is exercised). For tests and benches;
//! a real deployment moves the same [`Message`] bytes between servers, signed by the transport.

use std::sync::Arc;

use rand_core::{CryptoRng, RngCore};

use super::error::ComputeError;
use super::input::LocalAggregate;
use super::protocol::{Committed, Finished, Message, Partial, Round, Shared};
use super::spec::Job;

/// Faults to inject.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// This party stops sending from this round on (a crash or a withheld message).
    pub silent: Option<(usize, Round)>,
}

/// Bytes moved between parties in one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Messages delivered.
    pub messages: u64,
    /// Encoded bytes delivered.
    pub bytes: u64,
}

fn deliver<S>(
    states: &mut [Option<Result<S, ComputeError>>],
    msgs: Vec<Message>,
    traffic: &mut Traffic,
    recv: impl Fn(&mut S, &Message) -> Result<(), ComputeError>,
) {
    for m in msgs {
        let bytes = m.to_bytes();
        traffic.messages += 1;
        traffic.bytes += bytes.len() as u64;
        let to = m.header.to as usize;
        let decoded = Message::from_bytes(&bytes);
        if let Some(slot) = states.get_mut(to) {
            if let Some(Ok(s)) = slot {
                if let Err(e) = decoded.and_then(|d| recv(s, &d)) {
                    *slot = Some(Err(e));
                }
            }
        }
    }
}

/// Runs the whole protocol for `locals` (one aggregate per party, in party order) with the
/// OS RNG and no faults. Returns every party's outcome.
pub fn run(job: Arc<Job>, locals: &[LocalAggregate]) -> Vec<Result<Finished, ComputeError>> {
    run_with_rng(job, locals, &Faults::default(), &mut rand_core::OsRng).0
}

/// Runs the whole protocol with injected faults; returns each party's outcome and the traffic.
pub fn run_with_rng<R: RngCore + CryptoRng>(
    job: Arc<Job>,
    locals: &[LocalAggregate],
    faults: &Faults,
    rng: &mut R,
) -> (Vec<Result<Finished, ComputeError>>, Traffic) {
    let silent = |p: usize, r: Round| -> bool {
        match faults.silent {
            Some((q, from)) if q == p => {
                let ord = |r: Round| r as u8;
                ord(r) >= ord(from)
            }
            _ => false,
        }
    };
    let mut traffic = Traffic::default();
    // Round 1.
    let mut committed: Vec<Option<Result<Committed, ComputeError>>> = locals
        .iter()
        .map(|l| Some(Committed::new_with_rng(job.clone(), l, rng)))
        .collect();
    let mut out = Vec::new();
    for (p, c) in committed.iter().enumerate() {
        if let Some(Ok(c)) = c {
            if !silent(p, Round::Commit) {
                out.extend(c.messages());
            }
        }
    }
    deliver(&mut committed, out, &mut traffic, Committed::receive);
    // Round 2.
    let mut out = Vec::new();
    let mut shared: Vec<Option<Result<Shared, ComputeError>>> = Vec::new();
    for (p, c) in committed.into_iter().enumerate() {
        shared.push(Some(match c {
            Some(Ok(c)) => c.share_with_rng(rng).map(|(s, msgs)| {
                if !silent(p, Round::Share) {
                    out.extend(msgs);
                }
                s
            }),
            Some(Err(e)) => Err(e),
            None => unreachable_state(),
        }));
    }
    deliver(&mut shared, out, &mut traffic, Shared::receive);
    // Round 3.
    let mut out = Vec::new();
    let mut partial: Vec<Option<Result<Partial, ComputeError>>> = Vec::new();
    for (p, s) in shared.into_iter().enumerate() {
        partial.push(Some(match s {
            Some(Ok(s)) => s.partial().map(|(s, msgs)| {
                if !silent(p, Round::Partial) {
                    out.extend(msgs);
                }
                s
            }),
            Some(Err(e)) => Err(e),
            None => unreachable_state(),
        }));
    }
    deliver(&mut partial, out, &mut traffic, Partial::receive);
    let results = partial
        .into_iter()
        .map(|p| match p {
            Some(Ok(p)) => p.finish(),
            Some(Err(e)) => Err(e),
            None => unreachable_state(),
        })
        .collect();
    (results, traffic)
}

fn unreachable_state<T>() -> Result<T, ComputeError> {
    Err(ComputeError::Malformed(
        "driver lost a party's state".into(),
    ))
}
