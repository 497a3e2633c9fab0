//! Fuzz target: the bounded inflater behind `get -z` (`fs::compress`).
//! Arbitrary bytes under an announced length: it never hands out more than
//! announced, and what it accepts a reference inflater agrees with. Data
//! deflated by rftp's own writer comes back whole under its exact length
//! and is refused under one byte less.

#![no_main]

use std::io::{Read, Write};

use libfuzzer_sys::fuzz_target;
use rftp::fs::compress::{Deflater, Inflater, deflate_bound};

fuzz_target!(|data: &[u8]| {
    let Some((&seed, body)) = data.split_first() else {
        return;
    };
    let limit = u64::from(seed) * 97;
    stays_under_the_limit(body, limit, seed);
    round_trips(body, seed % 9 + 1);
});

/// Read `stream` with reads of a size drawn from `seed`; all bytes handed
/// out (never over `limit`), and whether it ended well.
fn inflate(stream: &[u8], limit: u64, seed: u8) -> (Vec<u8>, bool) {
    let mut r = Inflater::new(stream, limit);
    let mut buf = vec![0; 1 + usize::from(seed) * 61];
    let mut out = Vec::new();
    loop {
        match r.read(&mut buf) {
            Ok(0) => return (out, true),
            Ok(n) => {
                assert!(n <= buf.len());
                out.extend_from_slice(&buf[..n]);
                assert!(out.len() as u64 <= limit, "inflated past the announced length");
            }
            Err(_) => return (out, false),
        }
    }
}

fn stays_under_the_limit(stream: &[u8], limit: u64, seed: u8) {
    let (out, ok) = inflate(stream, limit, seed);
    if ok {
        let reference = miniz_oxide::inflate::decompress_to_vec(stream).expect("reference agrees");
        assert_eq!(out, reference);
    }
}

fn round_trips(data: &[u8], level: u8) {
    let mut d = Deflater::new(Vec::new(), level);
    d.write_all(data).expect("writes to a Vec");
    let (packed, written) = d.finish().expect("writes to a Vec");
    assert_eq!(packed.len() as u64, written);
    assert!(written <= deflate_bound(data.len() as u64));
    let len = data.len() as u64;
    assert_eq!(inflate(&packed, len, level), (data.to_vec(), true));
    if let Some(short) = len.checked_sub(1) {
        assert!(!inflate(&packed, short, level).1, "a longer stream passed");
    }
}
