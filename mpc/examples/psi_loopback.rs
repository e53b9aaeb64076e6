//! ECDH-PSI between two parties over loopback TCP, with signed envelopes, measuring wall time,
//! CPU time, bytes each way, peak resident memory, and the floor (hash-to-group and scalar
//! multiplications alone) in the same run.
//!
//! ```text
//! cargo run --release -p weft-mpc --example psi_loopback -- <items per side> [overlap] [mode] [batch]
//! ```
//! `mode` is `one-side` (default), `both-sides` or `cardinality`. Linux only (reads /proc).

use std::io::{BufReader, BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::Instant;

use weft_chain::Keypair;
use weft_mpc::psi::group::{hash_to_group, BlindingKey};
use weft_mpc::psi::wire::SecureChannel;
use weft_mpc::psi::{
    InitiatorBlinding, InputSet, InputSetBuilder, Limits, Message, Mode, ResponderDoubling,
    Revealed, SessionParams,
};

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of /proc/pid/stat (utime, stime) are at 11 and 12 after the comm.
    let t = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / 100.0
}

fn peak_rss_mib() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// Median of 5 timings of `f` over `n` items, in µs per item.
fn per_item(n: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..5)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64() * 1e6 / n as f64
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[2]
}

/// The floor's operations one at a time on one thread (curve25519-dalek 5, as PSI uses it).
fn single_thread_ops(items: &[Vec<u8>]) {
    use curve25519_dalek_5::ristretto::{CompressedRistretto, RistrettoPoint};
    use curve25519_dalek_5::scalar::Scalar;
    use std::hint::black_box;
    let n = items.len();
    let pts: Vec<RistrettoPoint> = items
        .iter()
        .map(|x| hash_to_group(b"floor", &[0; 32], x))
        .collect();
    let enc: Vec<CompressedRistretto> = pts.iter().map(RistrettoPoint::compress).collect();
    let k = Scalar::from_bytes_mod_order_wide(&[7u8; 64]);
    let h2g = per_item(n, || {
        for x in items {
            black_box(hash_to_group(b"floor", &[0; 32], x));
        }
    });
    let mul = per_item(n, || {
        for p in &pts {
            black_box(p * k);
        }
    });
    let dec = per_item(n, || {
        for c in &enc {
            black_box(c.decompress());
        }
    });
    let cmp = per_item(n, || {
        for c in pts.chunks(256) {
            black_box(RistrettoPoint::double_and_compress_batch(c));
        }
    });
    println!(
        "  single thread, per item (median of 5 x {n}): hash-to-group {h2g:.2} us, scalar mult {mul:.2} us, decode {dec:.2} us, batched double+compress {cmp:.2} us; per item and side {:.2} us",
        h2g + 2.0 * mul + dec + 2.0 * cmp
    );
}

/// Prints progress every tenth of `total` (long runs).
fn progress(what: &str, done: u64, batch: u64, total: u64, t0: Instant) {
    let step = (total / 10).max(1);
    if total >= 1 << 22 && done / step != (done - batch.min(done)) / step {
        println!(
            "  {what}: {done}/{total} at {:.0} s",
            t0.elapsed().as_secs_f64()
        );
    }
}

fn set(range: std::ops::Range<u64>) -> InputSet {
    let mut b = InputSetBuilder::default();
    for i in range {
        b.push(format!("customer-{i:010}").as_bytes());
    }
    b.build()
}

struct Link {
    chan: SecureChannel,
    out: BufWriter<TcpStream>,
    rx: mpsc::Receiver<Vec<u8>>,
    sent: u64,
    max: usize,
}

impl Link {
    fn new(stream: TcpStream, chan: SecureChannel, max: usize) -> Link {
        let (tx, rx) = mpsc::channel();
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        std::thread::spawn(move || loop {
            let mut len = [0u8; 4];
            if reader.read_exact(&mut len).is_err() {
                return;
            }
            let mut buf = vec![0u8; u32::from_le_bytes(len) as usize];
            if reader.read_exact(&mut buf).is_err() || tx.send(buf).is_err() {
                return;
            }
        });
        Link {
            chan,
            out: BufWriter::new(stream),
            rx,
            sent: 0,
            max,
        }
    }

    fn send(&mut self, m: Message) {
        let env = self.chan.seal(m.encode());
        self.out
            .write_all(&(env.len() as u32).to_le_bytes())
            .unwrap();
        self.out.write_all(&env).unwrap();
        self.sent += 4 + env.len() as u64;
    }

    fn flush(&mut self) {
        self.out.flush().unwrap();
    }

    fn recv(&mut self) -> Message {
        self.flush();
        let env = self.rx.recv().expect("peer closed");
        let payload = self.chan.open(&env).expect("authentic");
        Message::decode(&payload, self.max).expect("decodes")
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1 << 16);
    let overlap: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(n / 2);
    let mode = match args.get(3).map(String::as_str) {
        Some("both-sides") => Mode::BothSides,
        Some("cardinality") => Mode::Cardinality,
        _ => Mode::OneSide,
    };
    let batch: u32 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(4096);
    println!(
        "items per side {n}, overlap {overlap}, mode {mode:?}, batch {batch}, threads {}",
        rayon::current_num_threads()
    );

    // The floor, measured first on the same machine and build: per side, n hash-to-group with
    // one blinding multiplication, and n strict decodings with one multiplication.
    let floor_n = n.min(1 << 16) as usize;
    let items: Vec<Vec<u8>> = (0..floor_n as u64)
        .map(|i| format!("customer-{i:010}").into_bytes())
        .collect();
    let key = BlindingKey::random_with_rng(&mut rand::rngs::OsRng);
    let (c0, t0) = (cpu_seconds(), Instant::now());
    let blinded = key.hash_and_blind(b"floor", &[0; 32], &items);
    let (c1, t1) = (cpu_seconds(), Instant::now());
    let pts: Vec<[u8; 32]> = blinded.iter().map(|c| c.0).collect();
    let _ = key.decode_and_blind(0, &pts).unwrap();
    let (c2, t2) = (cpu_seconds(), Instant::now());
    let scale = (2 * n) as f64 / floor_n as f64; // both sides
    let h2g_wall = (t1 - t0).as_secs_f64() * scale;
    let mul_wall = (t2 - t1).as_secs_f64() * scale;
    println!(
        "floor (both sides, extrapolated from {floor_n}): hash+blind {h2g_wall:.2} s wall ({:.2} s CPU), decode+blind {mul_wall:.2} s wall ({:.2} s CPU), total {:.2} s wall",
        (c1 - c0) * scale,
        (c2 - c1) * scale,
        h2g_wall + mul_wall
    );
    single_thread_ops(&items[..4096.min(items.len())]);
    drop(items);

    let t_setup = Instant::now();
    let a_set = set(0..n);
    let b_set = set(n - overlap..2 * n - overlap);
    println!(
        "input sets built in {:.2} s",
        t_setup.elapsed().as_secs_f64()
    );

    let params = SessionParams {
        session_id: rand::random(),
        mode,
        initiator_size: a_set.len(),
        responder_size: b_set.len(),
        batch_size: batch,
    };
    let limits = Limits::default();
    let max = limits.max_message_len();
    let (ka, kb) = (Keypair::generate(), Keypair::generate());
    let (pa, pb) = (ka.public_key(), kb.public_key());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();

    let (cpu0, t0) = (cpu_seconds(), Instant::now());
    let responder = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_nodelay(true).unwrap();
        let mut link = Link::new(
            stream,
            SecureChannel::new(params.session_id, kb, pa, max + 256),
            max,
        );
        let mut b = ResponderDoubling::start(params, limits, b_set).unwrap();
        while b.received() < params.initiator_size {
            let m = link.recv();
            let before = b.received();
            if let Some(reply) = b.receive(m).unwrap() {
                link.send(reply);
            }
            let r = b.received();
            progress(
                "responder doubled",
                r,
                r - before,
                params.initiator_size,
                t0,
            );
        }
        let (mut b, more) = b.finish().unwrap();
        for m in more {
            link.send(m);
        }
        while let Some(m) = b.next_batch() {
            link.send(m);
        }
        let mut b = b.finish().unwrap();
        while b.expects_more() {
            let m = link.recv();
            b.receive(m).unwrap();
        }
        link.flush();
        (b.finish().unwrap(), link.sent)
    });
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    let mut link = Link::new(
        stream,
        SecureChannel::new(params.session_id, ka, pb, max + 256),
        max,
    );
    let mut a = InitiatorBlinding::start(params, limits, a_set).unwrap();
    while let Some(m) = a.next_batch() {
        link.send(m);
    }
    let mut a = a.finish().unwrap();
    while a.received() < params.initiator_size {
        let m = link.recv();
        a.receive(m).unwrap();
    }
    let mut a = a.finish().unwrap();
    while a.received() < params.responder_size {
        let m = link.recv();
        let before = a.received();
        if let Some(reply) = a.receive(m).unwrap() {
            link.send(reply);
        }
        let r = a.received();
        progress(
            "initiator compared",
            r,
            r - before,
            params.responder_size,
            t0,
        );
    }
    let (out_a, more) = a.finish().unwrap();
    for m in more {
        link.send(m);
    }
    link.flush();
    let (out_b, b_sent) = responder.join().unwrap();
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    assert_eq!(out_a.digest, out_b.digest);
    let found = match &out_a.revealed {
        Revealed::Intersection(v) => v.len() as u64,
        Revealed::Cardinality(c) => *c,
        Revealed::Nothing => 0,
    };
    assert_eq!(found, overlap, "intersection size");
    println!(
        "protocol: wall {wall:.2} s, CPU {cpu:.2} s, initiator sent {:.1} MiB, responder sent {:.1} MiB, peak RSS {:.0} MiB (both parties, one process), intersection {found}",
        link.sent as f64 / 1048576.0,
        b_sent as f64 / 1048576.0,
        peak_rss_mib()
    );
}
