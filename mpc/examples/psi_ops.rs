//! Single-threaded cost of each group operation PSI uses, curve25519-dalek 4 (the workspace's)
//! against curve25519-dalek 5 (PSI's), in whatever build this is: run it from a portable build
//! and from a build for the host CPU to see what the AVX-512 IFMA backend changes.
//!
//! ```text
//! cargo run --release -p weft-mpc --example psi_ops
//! RUSTFLAGS="-C target-cpu=native" cargo run --release -p weft-mpc --example psi_ops \
//!     --target x86_64-unknown-linux-gnu
//! ```
//! Prints, per item, the median of 7 runs over 4096 items. Also checks that both versions
//! compute the same encodings.

use std::hint::black_box;
use std::time::Instant;

use sha2::{Digest, Sha512};

const N: usize = 4096;

fn uniform(i: usize) -> [u8; 64] {
    let mut h = Sha512::new();
    h.update(b"weft/psi/ops-example");
    h.update((i as u64).to_le_bytes());
    h.finalize().into()
}

/// Median (and minimum) of 7 timings of `f` over `N` items, in µs per item.
fn time(name: &str, mut f: impl FnMut()) {
    let mut v: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6 / N as f64
        })
        .collect();
    v.sort_by(f64::total_cmp);
    println!("  {name:40} {:7.2} us (min {:.2})", v[3], v[0]);
}

fn main() {
    let bytes: Vec<[u8; 64]> = (0..N).map(uniform).collect();
    let items: Vec<Vec<u8>> = (0..N)
        .map(|i| format!("customer-{i:010}").into_bytes())
        .collect();
    let kb = uniform(usize::MAX);

    {
        use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
        use curve25519_dalek::scalar::Scalar;
        let k = Scalar::from_bytes_mod_order_wide(&kb);
        let pts: Vec<RistrettoPoint> = bytes
            .iter()
            .map(RistrettoPoint::from_uniform_bytes)
            .collect();
        let enc: Vec<CompressedRistretto> = pts.iter().map(RistrettoPoint::compress).collect();
        println!("curve25519-dalek 4 (per item, single thread)");
        time("hash-to-group (SHA-512 + 2 Elligator)", || {
            for x in &items {
                let mut h = Sha512::new();
                h.update(x);
                black_box(RistrettoPoint::from_hash(h));
            }
        });
        time("variable-base scalar mult", || {
            for p in &pts {
                black_box(p * k);
            }
        });
        time("decompress (strict decode)", || {
            for c in &enc {
                black_box(c.decompress());
            }
        });
        time("compress", || {
            for p in &pts {
                black_box(p.compress());
            }
        });
        time("double_and_compress_batch (256)", || {
            for c in pts.chunks(256) {
                black_box(RistrettoPoint::double_and_compress_batch(c));
            }
        });
    }
    {
        use curve25519_dalek_5::ristretto::{CompressedRistretto, RistrettoPoint};
        use curve25519_dalek_5::scalar::Scalar;
        let k = Scalar::from_bytes_mod_order_wide(&kb);
        let pts: Vec<RistrettoPoint> = bytes
            .iter()
            .map(RistrettoPoint::from_uniform_bytes)
            .collect();
        let enc: Vec<CompressedRistretto> = pts.iter().map(RistrettoPoint::compress).collect();
        println!("curve25519-dalek 5 (per item, single thread)");
        time("hash-to-group (SHA-512 + 2 Elligator)", || {
            for x in &items {
                let mut h = Sha512::new();
                h.update(x);
                let wide: [u8; 64] = h.finalize().into();
                black_box(RistrettoPoint::from_uniform_bytes(&wide));
            }
        });
        time("variable-base scalar mult", || {
            for p in &pts {
                black_box(p * k);
            }
        });
        time("decompress (strict decode)", || {
            for c in &enc {
                black_box(c.decompress());
            }
        });
        time("compress", || {
            for p in &pts {
                black_box(p.compress());
            }
        });
        time("double_and_compress_batch (256)", || {
            for c in pts.chunks(256) {
                black_box(RistrettoPoint::double_and_compress_batch(c));
            }
        });
    }

    // Both versions, with whatever backend each selected, agree bit for bit.
    let k4 = curve25519_dalek::scalar::Scalar::from_bytes_mod_order_wide(&kb);
    let k5 = curve25519_dalek_5::scalar::Scalar::from_bytes_mod_order_wide(&kb);
    for b in &bytes {
        let p4 = curve25519_dalek::ristretto::RistrettoPoint::from_uniform_bytes(b);
        let p5 = curve25519_dalek_5::ristretto::RistrettoPoint::from_uniform_bytes(b);
        assert_eq!((p4 * k4).compress().0, (p5 * k5).compress().0);
    }
    println!("dalek 4 and dalek 5 agree on {N} products");
}
