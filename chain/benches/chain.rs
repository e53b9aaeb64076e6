//! Ledger hot-path benchmarks.
//!
//! - `block/execute_commit_noop/N`: execute, certify and durably commit (one redb write
//!   transaction, one fsync) a block of N governance no-ops from 100 senders. Throughput is
//!   reported in transactions per second of block production.
//! - `pool/submit_then_commit/N`: admission of N transactions (parallel signature check across cores,
//!   pool insert, one group-committed journal fsync), then the block that commits them.
//! - `pipeline/single_validator_noop/20000`: 4 submitter threads and the single-validator
//!   driver in one process, timed until all 20,000 transactions are committed durably.
//! - `ed25519/verify_single` vs `ed25519/verify_batch/N`: raw signature verification.
//!
//! Reference figure (DESIGN.md): FISCO BCOS 3, 9,712 TPS (4 nodes, 10 cores). Our goal: 20,000
//! committed, durable TPS on 2 cores for a governance no-op.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use weft_chain::governance::{self, GovernanceCall};
use weft_chain::{
    BlockConfig, Genesis, Keypair, ModuleRegistry, Node, NodeConfig, PoolConfig, SignedTransaction,
    SingleValidator, Transaction,
};

const CHAIN: &str = "weft-bench";
const SENDERS: usize = 100;

struct Bench {
    _dir: tempfile::TempDir,
    node: Arc<Node>,
    validator: Keypair,
    gen: TxGen,
}

/// Signs no-ops with fresh nonces.
struct TxGen {
    senders: Vec<Keypair>,
    nonces: Vec<u64>,
}

impl Bench {
    fn new(max_block_txs: usize) -> Bench {
        let dir = tempfile::tempdir().expect("tempdir");
        let validator = Keypair::from_seed(&[1; 32]);
        let senders: Vec<Keypair> = (0..SENDERS)
            .map(|i| {
                let mut seed = [0u8; 32];
                seed[..8].copy_from_slice(&(i as u64 + 10).to_le_bytes());
                Keypair::from_seed(&seed)
            })
            .collect();
        let genesis = Genesis::single_validator(CHAIN, &validator, vec![validator.address()]);
        let config = NodeConfig {
            data_dir: dir.path().to_path_buf(),
            pool: PoolConfig {
                per_sender_quota: 100_000,
                max_nonce_gap: 100_000,
                ..PoolConfig::default()
            },
            block: BlockConfig {
                max_block_txs,
                ..BlockConfig::default()
            },
        };
        let node = Node::open(config, genesis, ModuleRegistry::with_defaults()).expect("open");
        Bench {
            _dir: dir,
            node,
            validator,
            gen: TxGen {
                senders,
                nonces: vec![0; SENDERS],
            },
        }
    }
}

impl TxGen {
    /// `n` signed no-ops spread over the senders, with fresh nonces.
    fn txs(&mut self, n: usize) -> Vec<SignedTransaction> {
        (0..n)
            .map(|i| {
                let s = i % SENDERS;
                let nonce = self.nonces[s];
                self.nonces[s] += 1;
                Transaction {
                    chain_id: CHAIN.into(),
                    sender: self.senders[s].public_key(),
                    nonce,
                    call: governance::call(GovernanceCall::Noop),
                }
                .sign(&self.senders[s])
            })
            .collect()
    }
}

fn block(c: &mut Criterion) {
    let mut g = c.benchmark_group("block");
    g.sample_size(10);
    for n in [1000usize, 5000] {
        let Bench {
            _dir,
            node,
            validator,
            mut gen,
        } = Bench::new(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::new("execute_commit_noop", n), |bench| {
            bench.iter_batched(
                || {
                    let txs = gen.txs(n);
                    for r in node.submit_batch(txs) {
                        r.expect("admitted");
                    }
                },
                |()| {
                    let blk = node
                        .produce_block(&validator, 0, false)
                        .expect("commit")
                        .expect("block");
                    assert_eq!(blk.block.transactions.len(), n);
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn pool(c: &mut Criterion) {
    let mut g = c.benchmark_group("pool");
    g.sample_size(10);
    let n = 5000usize;
    let Bench {
        _dir,
        node,
        validator,
        mut gen,
    } = Bench::new(n);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(BenchmarkId::new("submit_then_commit", n), |bench| {
        bench.iter_batched(
            || gen.txs(n),
            |txs| {
                for r in node.submit_batch(txs) {
                    r.expect("admitted");
                }
                // Keep the pool from filling up (included in the figure: block production).
                node.produce_block(&validator, 0, false).expect("commit");
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn ed25519(c: &mut Criterion) {
    let mut g = c.benchmark_group("ed25519");
    let mut b = Bench::new(10);
    let txs = b.gen.txs(1024);
    let one = &txs[0];
    g.throughput(Throughput::Elements(1));
    g.bench_function("verify_single", |bench| {
        bench.iter(|| one.verify_signature().expect("valid"))
    });
    for n in [64usize, 1024] {
        let refs: Vec<&SignedTransaction> = txs[..n].iter().collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::new("verify_batch", n), |bench| {
            bench.iter(|| {
                let ok = weft_chain::tx::verify_signatures(&refs);
                assert!(ok.iter().all(|v| *v));
            })
        });
    }
    g.finish();
}

/// End to end inside one process: 4 submitter threads (batches of 500) and the
/// `SingleValidator` driver, until every transaction is committed durably.
fn pipeline(c: &mut Criterion) {
    const N: usize = 20_000;
    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10);
    let Bench {
        _dir,
        node,
        validator,
        mut gen,
    } = Bench::new(5000);
    let driver = SingleValidator::spawn(Arc::clone(&node), validator);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function(BenchmarkId::new("single_validator_noop", N), |bench| {
        bench.iter_batched(
            || {
                let txs = gen.txs(N);
                let batches: Vec<Vec<SignedTransaction>> =
                    txs.chunks(500).map(<[_]>::to_vec).collect();
                batches
            },
            |batches| {
                let mut blocks = node.subscribe();
                std::thread::scope(|s| {
                    for part in batches.chunks(batches.len().div_ceil(4)) {
                        let node = &node;
                        s.spawn(move || {
                            for batch in part {
                                for r in node.submit_batch(batch.clone()) {
                                    r.expect("admitted");
                                }
                            }
                        });
                    }
                });
                let mut committed = 0;
                while committed < N {
                    committed += blocks
                        .blocking_recv()
                        .expect("block")
                        .block
                        .transactions
                        .len();
                }
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
    driver.shutdown();
}

criterion_group!(benches, ed25519, block, pool, pipeline);
criterion_main!(benches);
