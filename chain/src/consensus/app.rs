//! The application side of Malachite: answers the engine's requests with the ledger.
//!
//! - **Proposing** (`GetValue`): a task waits for ready pool transactions (at most
//!   `max_block_interval`, and always less than the propose timeout), builds and executes the
//!   block ([`Node::build_proposal`]), stores it durably, replies with its hash and streams it
//!   to peers as `Init` (header) / `Txs` chunks / `Fin` (proposer signature).
//! - **Checking** (`ReceivedProposalPart`): once a stream is complete, the `Fin` signature is
//!   checked against the proposer named in `Init` (who must be a validator and the header's
//!   proposer), then [`Node::check_proposal`] re-executes the block; the engine learns
//!   `Valid` or `Invalid` (an invalid proposal gets a nil prevote).
//! - **Committing** (`Decided`): Malachite's 2f+1 precommits become the block's Weft
//!   certificate and [`Node::commit_block`] verifies and commits.
//! - **Sync**: `GetDecidedValue` answers from the store; `ProcessSyncedValue` decodes a peer's
//!   block, which is committed only through `Decided` (certificate check and re-execution).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::{Block, Node, SignedTransaction};
use bytes::Bytes;
use informalsystems_malachitebft_app_channel::app::engine::host::Next;
use informalsystems_malachitebft_app_channel::app::streaming::{
    StreamContent, StreamId, StreamMessage,
};
use informalsystems_malachitebft_app_channel::app::types::core::{
    CommitCertificate as McCertificate, Round,
};
use informalsystems_malachitebft_app_channel::app::types::sync::RawDecidedValue;
use informalsystems_malachitebft_app_channel::app::types::{
    LocallyProposedValue, PeerId, ProposedValue,
};
use informalsystems_malachitebft_app_channel::{AppMsg, Channels, NetworkMsg};
use parking_lot::Mutex;
use tokio::sync::mpsc;

use super::certificate;
use super::context::{
    BlockValue, Height, PartInit, ProposalPart, Validator, ValidatorAddress, ValidatorSet,
    WeftContext,
};
use super::proposals::{BlockData, ProposalStore, StoredProposal};
use super::signing::{fin_signing_bytes, Signer};
use super::ByzantineMode;

/// Proposals are kept for at most this many heights ahead of the head.
const FUTURE_HEIGHTS: u64 = 2;
/// Most proposals kept for later heights.
const MAX_FUTURE_PROPOSALS: usize = 32;

/// Transactions per streamed part (keeps gossip messages well under the size limit).
const TXS_PER_PART: usize = 500;

/// Application errors that stop consensus (the node must not go on without its ledger).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The ledger failed.
    #[error(transparent)]
    Chain(#[from] crate::ChainError),
    /// The proposal store failed.
    #[error("proposal store: {0}")]
    Io(#[from] std::io::Error),
    /// The engine's channel closed.
    #[error("consensus engine stopped")]
    EngineStopped,
}

/// Block production timing.
#[derive(Debug, Clone)]
pub struct Timing {
    /// An empty block is proposed after this long without transactions.
    pub max_block_interval: Duration,
    /// Once transactions are ready, wait this long for more before building.
    pub batch_delay: Duration,
}

pub(crate) struct App {
    node: Arc<Node>,
    signer: Signer,
    address: ValidatorAddress,
    timing: Timing,
    byzantine: Option<ByzantineMode>,
    proposals: Arc<Mutex<ProposalStore>>,
    streams: HashMap<(PeerId, Bytes), PartialStream>,
    /// Complete proposals for heights above the next one, checked when their height starts.
    future: Vec<(PartInit, Vec<SignedTransaction>, crate::Signature)>,
    stream_counter: Arc<std::sync::atomic::AtomicU64>,
}

#[derive(Default)]
struct PartialStream {
    parts: std::collections::BTreeMap<u64, ProposalPart>,
    fin_sequence: Option<u64>,
    started: Option<Instant>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The validator set that commits `height` (the set in the parent's state), if known here.
pub(crate) fn validator_set(node: &Node, height: u64) -> Option<ValidatorSet> {
    let parent = height.checked_sub(1)?;
    let validators = node.validators(Some(parent)).ok()?;
    Some(ValidatorSet {
        validators: validators
            .into_iter()
            .map(|v| Validator::new(v.public_key, v.power))
            .collect(),
    })
}

fn encode_block(block: &BlockData) -> Bytes {
    Bytes::from(borsh::to_vec(block).expect("write to Vec"))
}

impl App {
    pub(crate) fn new(
        node: Arc<Node>,
        signer: Signer,
        timing: Timing,
        byzantine: Option<ByzantineMode>,
        proposals: ProposalStore,
    ) -> Self {
        let address = ValidatorAddress(signer.public_key().address());
        App {
            node,
            signer,
            address,
            timing,
            byzantine,
            proposals: Arc::new(Mutex::new(proposals)),
            streams: HashMap::new(),
            future: Vec::new(),
            stream_counter: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        }
    }

    fn valset(&self, height: Height) -> Result<ValidatorSet, AppError> {
        validator_set(&self.node, height.0).ok_or_else(|| {
            AppError::Chain(crate::ChainError::HeightUnavailable {
                requested: height.0,
                head: self.node.height(),
            })
        })
    }

    pub(crate) async fn run(mut self, mut channels: Channels<WeftContext>) -> Result<(), AppError> {
        while let Some(msg) = channels.consensus.recv().await {
            self.handle(msg, &channels.network).await?;
        }
        Err(AppError::EngineStopped)
    }

    async fn handle(
        &mut self,
        msg: AppMsg<WeftContext>,
        network: &mpsc::Sender<NetworkMsg<WeftContext>>,
    ) -> Result<(), AppError> {
        match msg {
            AppMsg::ConsensusReady { reply } => {
                let start = Height(self.node.height() + 1);
                tracing::info!(height = %start, "consensus ready");
                let _ = reply.send((start, self.valset(start)?));
            }
            AppMsg::StartedRound {
                height,
                round,
                proposer,
                role,
                reply_value,
            } => {
                tracing::debug!(%height, %round, %proposer, ?role, "started round");
                let (now, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.future)
                    .into_iter()
                    .partition(|(init, _, _)| init.height <= height);
                self.future = later;
                for (init, txs, fin) in now {
                    self.consider(init, txs, fin).await?;
                }
                let seen: Vec<ProposedValue<WeftContext>> = self
                    .proposals
                    .lock()
                    .at_round(height.0, round)
                    .iter()
                    .map(StoredProposal::to_proposed_value)
                    .collect();
                let _ = reply_value.send(seen);
            }
            AppMsg::GetValue {
                height,
                round,
                timeout,
                reply,
            } => self.get_value(height, round, timeout, reply, network.clone()),
            AppMsg::ExtendVote { reply, .. } => {
                let _ = reply.send(None);
            }
            AppMsg::VerifyVoteExtension { reply, .. } => {
                let _ = reply.send(Ok(()));
            }
            AppMsg::RestreamProposal {
                height,
                round,
                valid_round,
                value_id,
                ..
            } => {
                let block = self.proposals.lock().block(height.0, &value_id);
                if let Some(block) = block {
                    for m in stream_parts(
                        &self.signer,
                        &self.stream_counter,
                        self.address,
                        &block,
                        round,
                        valid_round,
                    ) {
                        if network
                            .send(NetworkMsg::PublishProposalPart(m))
                            .await
                            .is_err()
                        {
                            return Err(AppError::EngineStopped);
                        }
                    }
                }
            }
            AppMsg::GetHistoryMinHeight { reply } => {
                let _ = reply.send(Height(1));
            }
            AppMsg::ReceivedProposalPart { from, part, reply } => {
                let value = self.received_part(from, part).await?;
                let _ = reply.send(value);
            }
            AppMsg::GetValidatorSet { height, reply } => {
                let _ = reply.send(validator_set(&self.node, height.0));
            }
            AppMsg::Decided {
                certificate, reply, ..
            } => {
                let next = self.decided(certificate).await?;
                let _ = reply.send(next);
            }
            AppMsg::GetDecidedValue { height, reply } => {
                let value = self.node.block_by_number(height.0)?.map(|b| {
                    let cert = certificate::from_weft(&b.certificate);
                    RawDecidedValue::new(
                        encode_block(&BlockData {
                            header: b.header,
                            transactions: b.transactions,
                        }),
                        cert,
                    )
                });
                let _ = reply.send(value.filter(|_| height.0 > 0));
            }
            AppMsg::ProcessSyncedValue {
                height,
                round,
                proposer,
                value_bytes,
                reply,
            } => {
                let decoded = borsh::from_slice::<BlockData>(&value_bytes)
                    .ok()
                    .filter(|b| b.header.height == height.0);
                let value = match decoded {
                    Some(block) => {
                        // Certified by the network; `Decided` still verifies the certificate
                        // and re-executes before anything is committed.
                        let stored = StoredProposal {
                            round,
                            valid_round: Round::Nil,
                            proposer,
                            valid: true,
                            block: Arc::new(block),
                        };
                        let pv = stored.to_proposed_value();
                        self.proposals.lock().insert(stored)?;
                        self.node.set_syncing(true);
                        Some(pv)
                    }
                    None => {
                        tracing::warn!(%height, "undecodable synced value");
                        None
                    }
                };
                let _ = reply.send(value);
            }
        }
        Ok(())
    }

    fn get_value(
        &self,
        height: Height,
        round: Round,
        timeout: Duration,
        reply: tokio::sync::oneshot::Sender<LocallyProposedValue<WeftContext>>,
        network: mpsc::Sender<NetworkMsg<WeftContext>>,
    ) {
        let node = Arc::clone(&self.node);
        let proposals = Arc::clone(&self.proposals);
        let signer = self.signer.clone();
        let counter = Arc::clone(&self.stream_counter);
        let address = self.address;
        let timing = self.timing.clone();
        let byzantine = self.byzantine;
        tokio::spawn(async move {
            // Re-use a block already built for this height and round (after a restart).
            let existing = proposals
                .lock()
                .at_round(height.0, round)
                .into_iter()
                .find(|p| p.proposer == address);
            let block = match existing {
                Some(p) => p.block,
                None => match build(&node, address, height, &timing, timeout, byzantine).await {
                    Ok(b) => {
                        let block = Arc::new(b);
                        let stored = StoredProposal {
                            round,
                            valid_round: Round::Nil,
                            proposer: address,
                            valid: true,
                            block: Arc::clone(&block),
                        };
                        if let Err(e) = proposals.lock().insert(stored) {
                            tracing::error!(error = %e, "cannot store own proposal");
                            return;
                        }
                        block
                    }
                    Err(e) => {
                        tracing::error!(error = %e, %height, "cannot build a proposal");
                        return;
                    }
                },
            };
            let hash = block.header.hash();
            tracing::info!(%height, %round, txs = block.transactions.len(), block = %hash, "proposing");
            let _ = reply.send(LocallyProposedValue::new(height, round, BlockValue(hash)));
            for m in stream_parts(&signer, &counter, address, &block, round, Round::Nil) {
                if network
                    .send(NetworkMsg::PublishProposalPart(m))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
    }

    async fn received_part(
        &mut self,
        from: PeerId,
        part: StreamMessage<ProposalPart>,
    ) -> Result<Option<ProposedValue<WeftContext>>, AppError> {
        let key = (from, part.stream_id.to_bytes());
        let entry = self.streams.entry(key.clone()).or_default();
        entry.started.get_or_insert_with(Instant::now);
        match part.content {
            StreamContent::Data(p) => {
                entry.parts.insert(part.sequence, p);
            }
            StreamContent::Fin => entry.fin_sequence = Some(part.sequence),
        }
        let complete = entry
            .fin_sequence
            .is_some_and(|fin| entry.parts.len() as u64 == fin);
        // Forget streams that never completed.
        self.streams.retain(|_, s| {
            s.started
                .is_some_and(|t| t.elapsed() < Duration::from_secs(60))
        });
        if !complete {
            return Ok(None);
        }
        let Some(stream) = self.streams.remove(&key) else {
            return Ok(None);
        };
        let parts: Vec<ProposalPart> = stream.parts.into_values().collect();
        let Some((init, txs, fin)) = split_parts(parts) else {
            tracing::warn!(%from, "malformed proposal stream");
            return Ok(None);
        };
        self.consider(init, txs, fin).await
    }

    /// Checks a complete proposal and records it with its validity. A proposal for a later
    /// height (this node is still committing the previous one) is kept, bounded, and offered
    /// to the engine when that height starts.
    async fn consider(
        &mut self,
        init: PartInit,
        txs: Vec<SignedTransaction>,
        fin: crate::Signature,
    ) -> Result<Option<ProposedValue<WeftContext>>, AppError> {
        let height = init.height.0;
        let head = self.node.height();
        if height <= head {
            return Ok(None); // outdated
        }
        if height > head + 1 {
            if height <= head + FUTURE_HEIGHTS && self.future.len() < MAX_FUTURE_PROPOSALS {
                self.future.push((init, txs, fin));
            }
            return Ok(None);
        }
        let hash = init.header.hash();
        let valset = self.valset(init.height)?;
        let Some(proposer) = valset
            .validators
            .iter()
            .find(|v| v.address == init.proposer)
        else {
            tracing::warn!(proposer = %init.proposer, "proposal from a non-validator");
            return Ok(None);
        };
        let fin_bytes = fin_signing_bytes(
            self.signer.chain_id(),
            height,
            init.round,
            init.pol_round,
            &hash,
        );
        // The header's proposer may differ from the round's: a locked block is re-proposed
        // in a later round by that round's proposer, who signs the stream.
        if !proposer.public_key.verify(&fin_bytes, &fin) {
            tracing::warn!(proposer = %init.proposer, "proposal with a bad Fin signature");
            return Ok(None);
        }
        let node = Arc::clone(&self.node);
        let header = init.header.clone();
        let txs_for_check = txs.clone();
        let checked = tokio::task::spawn_blocking(move || {
            node.check_proposal(&header, &txs_for_check, now_ms())
        })
        .await
        .map_err(|e| AppError::Io(std::io::Error::other(e.to_string())))?;
        let valid = match checked {
            Ok(()) => true,
            Err(crate::ChainError::InvalidBlock(reason)) => {
                tracing::warn!(%height, round = %init.round, proposer = %init.proposer, %reason, "rejecting proposal");
                false
            }
            Err(e) => return Err(e.into()),
        };
        let stored = StoredProposal {
            round: init.round,
            valid_round: init.pol_round,
            proposer: init.proposer,
            valid,
            block: Arc::new(BlockData {
                header: init.header,
                transactions: txs,
            }),
        };
        let pv = stored.to_proposed_value();
        self.proposals.lock().insert(stored)?;
        Ok(Some(pv))
    }

    async fn decided(
        &mut self,
        cert: McCertificate<WeftContext>,
    ) -> Result<Next<WeftContext>, AppError> {
        let height = cert.height;
        let head = self.node.height();
        if height.0 <= head {
            // Already committed (e.g. replayed after a restart): go on from the head.
            let next = Height(head + 1);
            return Ok(Next::Start(next, self.valset(next)?));
        }
        if height.0 > head + 1 {
            tracing::error!(%height, head, "decision for a height above the next one; restarting the next height");
            let next = Height(head + 1);
            return Ok(Next::Restart(next, self.valset(next)?));
        }
        let valset = self.valset(height)?;
        let block = self.proposals.lock().block(height.0, &cert.value_id);
        let outcome = match (block, certificate::to_weft(&cert, &valset)) {
            (Some(data), Ok(certificate)) => {
                let block = Block {
                    header: data.header.clone(),
                    transactions: data.transactions.clone(),
                    certificate,
                };
                let node = Arc::clone(&self.node);
                tokio::task::spawn_blocking(move || node.commit_block(block))
                    .await
                    .map_err(|e| AppError::Io(std::io::Error::other(e.to_string())))?
                    .map_err(|e| e.to_string())
            }
            (None, _) => Err(format!("no block {} for the decision", cert.value_id)),
            (_, Err(e)) => Err(e.to_string()),
        };
        match outcome {
            Ok(b) => {
                tracing::info!(
                    height = b.block.header.height,
                    round = %cert.round,
                    txs = b.block.transactions.len(),
                    block = %b.block.header.hash(),
                    "committed"
                );
                self.proposals.lock().prune_through(height.0);
                self.node.set_syncing(false);
                let next = Height(height.0 + 1);
                Ok(Next::Start(next, self.valset(next)?))
            }
            Err(reason) => {
                tracing::error!(%height, %reason, "cannot commit the decided block; restarting the height");
                Ok(Next::Restart(height, valset))
            }
        }
    }
}

/// Waits for transactions (bounded by the block interval and the propose timeout), then builds
/// and executes the next block.
async fn build(
    node: &Arc<Node>,
    address: ValidatorAddress,
    height: Height,
    timing: &Timing,
    timeout: Duration,
    byzantine: Option<ByzantineMode>,
) -> Result<BlockData, AppError> {
    // Leave a quarter of the propose timeout for building and gossiping the block.
    let wait = timing
        .max_block_interval
        .min(timeout.saturating_sub(timeout / 4));
    let deadline = Instant::now() + wait;
    let n = Arc::clone(node);
    let ready = tokio::task::spawn_blocking(move || {
        n.wait_for_ready_until(deadline);
        n.ready_transactions()
    })
    .await
    .map_err(|e| AppError::Io(std::io::Error::other(e.to_string())))?;
    if ready > 0 && !timing.batch_delay.is_zero() {
        tokio::time::sleep(timing.batch_delay).await;
    }
    let n = Arc::clone(node);
    let (mut header, transactions) =
        tokio::task::spawn_blocking(move || n.build_proposal(address.0, now_ms()))
            .await
            .map_err(|e| AppError::Io(std::io::Error::other(e.to_string())))??;
    if header.height != height.0 {
        return Err(AppError::Chain(crate::ChainError::HeightUnavailable {
            requested: height.0,
            head: header.height.saturating_sub(1),
        }));
    }
    if byzantine == Some(ByzantineMode::BadProposals) {
        // Fault injection: claim a state root the transactions do not produce.
        header.state_root = crate::Hash::sha256(b"byzantine state root");
    }
    Ok(BlockData {
        header,
        transactions,
    })
}

fn split_parts(
    parts: Vec<ProposalPart>,
) -> Option<(PartInit, Vec<SignedTransaction>, crate::Signature)> {
    let mut it = parts.into_iter();
    let Some(ProposalPart::Init(init)) = it.next() else {
        return None;
    };
    let mut txs = Vec::new();
    let mut fin = None;
    for p in it {
        match (p, &fin) {
            (ProposalPart::Txs(chunk), None) => txs.extend(chunk),
            (ProposalPart::Fin(sig), None) => fin = Some(sig),
            _ => return None,
        }
    }
    Some((*init, txs, fin?))
}

fn stream_parts(
    signer: &Signer,
    counter: &std::sync::atomic::AtomicU64,
    address: ValidatorAddress,
    block: &BlockData,
    round: Round,
    pol_round: Round,
) -> Vec<StreamMessage<ProposalPart>> {
    let height = block.header.height;
    let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut id = Vec::with_capacity(24);
    id.extend_from_slice(&height.to_be_bytes());
    id.extend_from_slice(&round.as_i64().to_be_bytes());
    id.extend_from_slice(&n.to_be_bytes());
    let stream_id = StreamId::new(Bytes::from(id));

    let mut parts = vec![ProposalPart::Init(Box::new(PartInit {
        height: Height(height),
        round,
        pol_round,
        proposer: address,
        header: block.header.clone(),
    }))];
    for chunk in block.transactions.chunks(TXS_PER_PART) {
        parts.push(ProposalPart::Txs(chunk.to_vec()));
    }
    let fin = fin_signing_bytes(
        signer.chain_id(),
        height,
        round,
        pol_round,
        &block.header.hash(),
    );
    parts.push(ProposalPart::Fin(signer.sign_bytes(&fin)));

    let mut out: Vec<StreamMessage<ProposalPart>> = parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| StreamMessage::new(stream_id.clone(), i as u64, StreamContent::Data(p)))
        .collect();
    let fin_seq = out.len() as u64;
    out.push(StreamMessage::new(stream_id, fin_seq, StreamContent::Fin));
    out
}
