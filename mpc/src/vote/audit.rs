//! Re-checking a whole poll from chain data alone ([`audit`]).
//!
//! Input: the [`PollRecord`] the module returns for the `record` query (poll state, DKG
//! transcript, eligibility leaves, counted ballots, decryption shares). Nothing else: no
//! secret, no trust in the module's own verdicts. Each check is reported with its outcome.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use weft_zk::dkg::Round1Broadcast;
use weft_zk::membership::{LeafCommitment, MembershipVerifyingKey, MerkleTree};
use weft_zk::{Ciphertext, Context, GroupKey};

use super::ballot::BallotVerifier;
use super::counter;
use super::module::{combine_tally, count_bound, decode_decryptions, validate_spec};
use super::types::{PollId, PollRecord};

/// One check of the audit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// Figures or the reason for failure.
    pub detail: String,
}

/// The audit report: every check, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditReport {
    /// The checks.
    pub checks: Vec<Check>,
}

impl AuditReport {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.ok)
    }

    fn push(&mut self, name: &str, result: Result<String, String>) -> bool {
        let ok = result.is_ok();
        let detail = result.unwrap_or_else(|e| e);
        self.checks.push(Check {
            name: name.to_string(),
            ok,
            detail,
        });
        ok
    }
}

/// Re-verifies a poll: id, spec, DKG and joint key, eligibility roots, every ballot proof
/// (in parallel on `threads` threads), nullifier uniqueness, the homomorphic sum, every
/// decryption share and the final counts.
pub fn audit(record: &PollRecord, threads: usize) -> AuditReport {
    let mut report = AuditReport::default();
    let state = &record.state;
    let spec = &state.spec;
    let poll = state.id;

    report.push(
        "poll id",
        if PollId::derive(&state.organiser, state.seq, spec) == poll {
            Ok(format!("{poll} = H(organiser, seq {}, spec)", state.seq))
        } else {
            Err("the id does not match the organiser, sequence and spec".into())
        },
    );
    report.push(
        "poll spec",
        validate_spec(spec).map(|_| "well formed".into()),
    );

    // DKG: every recorded broadcast carries a valid proof of possession, and the recorded key
    // is the one the public transcript gives.
    let group = dkg_check(&mut report, record);

    // Eligibility.
    let roots_ok = report.push("eligibility roots", {
        let depth = usize::from(spec.tree_depth);
        let computed: Result<Vec<[u8; 32]>, String> = record
            .leaves
            .iter()
            .map(|leaves| {
                let leaves = leaves
                    .iter()
                    .map(LeafCommitment::from_bytes)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                MerkleTree::from_leaves(depth, leaves)
                    .map(|t| t.root().to_bytes())
                    .map_err(|e| e.to_string())
            })
            .collect();
        match (computed, &state.roots) {
            (Ok(c), Some(r)) if &c == r => Ok(format!(
                "{} class(es), {} leaves, roots recomputed",
                c.len(),
                record.leaves.iter().map(Vec::len).sum::<usize>()
            )),
            (Ok(_), Some(_)) => Err("recomputed roots differ from the recorded ones".into()),
            (Ok(_), None) => Err("eligibility was never sealed".into()),
            (Err(e), _) => Err(e),
        }
    });

    // Ballots.
    let mut cts: Vec<Option<Vec<Ciphertext>>> = vec![None; record.ballots.len()];
    if let (Some(group), Some(roots), true) = (&group, &state.roots, roots_ok) {
        let verifier = MembershipVerifyingKey::from_bytes(&spec.verifying_key)
            .map_err(|e| e.to_string())
            .and_then(|vk| {
                BallotVerifier::with_prepared(
                    poll,
                    spec,
                    group.public_key(),
                    roots,
                    Arc::new(vk.prepare()),
                )
                .map_err(|e| e.to_string())
            });
        match verifier {
            Ok(v) => {
                cts = verify_all(&v, &record.ballots, threads.max(1));
                let bad: Vec<usize> = cts
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.is_none())
                    .map(|(i, _)| i)
                    .collect();
                report.push(
                    "ballot proofs",
                    if bad.is_empty() {
                        Ok(format!(
                            "{} ballots: every 0/1, total and membership proof verifies",
                            record.ballots.len()
                        ))
                    } else {
                        Err(format!("ballots {bad:?} do not verify"))
                    },
                );
            }
            Err(e) => {
                report.push("ballot proofs", Err(e));
            }
        }
    } else {
        report.push(
            "ballot proofs",
            Err("no key or eligibility roots to check ballots against".into()),
        );
    }

    let nullifiers: BTreeSet<[u8; 32]> = record.ballots.iter().map(|b| b.nullifier).collect();
    report.push(
        "nullifiers unique",
        if nullifiers.len() == record.ballots.len() && record.ballots.len() as u64 == state.ballots
        {
            Ok(format!("{} distinct nullifiers", nullifiers.len()))
        } else {
            Err(format!(
                "{} ballots, {} distinct nullifiers, turnout recorded {}",
                record.ballots.len(),
                nullifiers.len(),
                state.ballots
            ))
        },
    );

    // Homomorphic sum.
    let recorded: Result<Vec<Ciphertext>, String> = state
        .aggregate
        .iter()
        .map(|b| Ciphertext::from_bytes(&b.0).map_err(|e| e.to_string()))
        .collect();
    let aggregate = match (&recorded, cts.iter().all(Option::is_some)) {
        (Ok(rec), true) => {
            let mut sum = vec![Ciphertext::zero(); spec.choices.len()];
            for ballot in cts.iter().flatten() {
                for (acc, ct) in sum.iter_mut().zip(ballot) {
                    *acc += *ct;
                }
            }
            report.push(
                "homomorphic sum",
                if &sum == rec {
                    Ok(format!("{} per-choice sums recomputed", sum.len()))
                } else {
                    Err("the recorded aggregate is not the sum of the ballots".into())
                },
            );
            Some(sum)
        }
        (Err(e), _) => {
            report.push("homomorphic sum", Err(e.clone()));
            None
        }
        (Ok(_), false) => {
            report.push(
                "homomorphic sum",
                Err("skipped: some ballots do not verify".into()),
            );
            None
        }
    };

    // Decryption shares and counts.
    let (Some(group), Some(aggregate)) = (group, aggregate) else {
        report.push("decryption shares", Err("no key or aggregate".into()));
        return report;
    };
    let decs = match decode_decryptions(&record.decryptions) {
        Ok(d) => d,
        Err(e) => {
            report.push("decryption shares", Err(e.to_string()));
            return report;
        }
    };
    let tctx = counter::tally_context(&poll);
    let mut share_errors = Vec::new();
    for (index, shares) in &decs {
        if shares.len() != aggregate.len() {
            share_errors.push(format!("counter {index}: wrong number of shares"));
            continue;
        }
        for (i, (share, ct)) in shares.iter().zip(&aggregate).enumerate() {
            if share.index() != *index
                || group.verify_share(&Context::new(&tctx), ct, share).is_err()
            {
                share_errors.push(format!("counter {index}, choice {i}"));
            }
        }
    }
    report.push(
        "decryption shares",
        if share_errors.is_empty() {
            Ok(format!(
                "{} counters x {} choices: every DLEQ proof verifies",
                decs.len(),
                aggregate.len()
            ))
        } else {
            Err(format!("invalid shares: {}", share_errors.join("; ")))
        },
    );
    let Some(result) = &state.result else {
        report.push(
            "result",
            Err(format!(
                "no result recorded ({} of {} shares)",
                decs.len(),
                group.params().threshold()
            )),
        );
        return report;
    };
    let combined: Vec<_> = decs
        .iter()
        .filter(|(i, _)| result.combined.contains(i))
        .cloned()
        .collect();
    report.push(
        "result",
        match combine_tally(&poll, &group, &aggregate, &combined, count_bound(state)) {
            Ok((counts, used)) if counts == result.counts && used == result.combined => Ok(
                format!("counts {:?} recomputed from counters {:?}", counts, used),
            ),
            Ok((counts, _)) => Err(format!(
                "recomputed counts {counts:?} differ from recorded {:?}",
                result.counts
            )),
            Err(e) => Err(e),
        },
    );
    report
}

fn dkg_check(report: &mut AuditReport, record: &PollRecord) -> Option<GroupKey> {
    let state = &record.state;
    let poll = state.id;
    let params = match counter::dkg_params(&state.spec) {
        Ok(p) => p,
        Err(e) => {
            report.push("dkg", Err(e.to_string()));
            return None;
        }
    };
    let dctx = counter::dkg_context(&poll);
    let bad: Vec<u32> = record
        .dkg
        .broadcasts
        .iter()
        .filter(|(i, post)| {
            !Round1Broadcast::from_bytes(&post.broadcast.0)
                .map(|b| b.sender() == *i && b.is_valid(&params, &Context::new(&dctx)))
                .unwrap_or(false)
        })
        .map(|(i, _)| *i)
        .collect();
    report.push(
        "dkg proofs of possession",
        if bad.is_empty() {
            Ok(format!(
                "{} broadcasts, each with a valid proof of possession",
                record.dkg.broadcasts.len()
            ))
        } else {
            Err(format!("invalid broadcasts from counters {bad:?}"))
        },
    );
    let recomputed = counter::group_key_from_record(&poll, &state.spec, &record.dkg);
    let recorded = state.group_key.as_ref().map(|b| GroupKey::from_bytes(&b.0));
    match (recomputed, recorded) {
        (Ok(g), Some(Ok(r))) if g == r => {
            report.push(
                "joint key",
                Ok(format!(
                    "recomputed from the public transcript; qualified counters {:?}, t = {}",
                    g.qualified(),
                    g.params().threshold()
                )),
            );
            Some(g)
        }
        (Ok(_), Some(Ok(_))) => {
            report.push(
                "joint key",
                Err("the recorded key differs from the transcript's".into()),
            );
            None
        }
        (_, None) => {
            report.push("joint key", Err("no joint key recorded".into()));
            None
        }
        (Err(e), _) => {
            report.push("joint key", Err(e.to_string()));
            None
        }
        (_, Some(Err(e))) => {
            report.push("joint key", Err(e.to_string()));
            None
        }
    }
}

fn verify_all(
    verifier: &BallotVerifier,
    ballots: &[super::types::Ballot],
    threads: usize,
) -> Vec<Option<Vec<Ciphertext>>> {
    let chunk = ballots.len().div_ceil(threads).max(1);
    let out: Vec<Option<Vec<Ciphertext>>> = std::thread::scope(|s| {
        let handles: Vec<_> = ballots
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|b| verifier.verify(b).ok().map(|(cts, _)| cts))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    if out.len() == ballots.len() {
        out
    } else {
        // A worker failed: report every ballot as unchecked rather than misalign.
        vec![None; ballots.len()]
    }
}
