//! Unit tests of the record layer over `Vec<u8>` and `Cursor`: round trips
//! in both suites, and every kind of tampering refused.

use super::*;
use crate::secure::{RecordReader, RecordWriter};
use std::io::{BufRead, Cursor, Read, Write};

const KEY: [u8; KEY_BYTES] = [0x42; KEY_BYTES];
const SUITES: [Suite; 2] = [Suite::Aes256Gcm, Suite::ChaCha20Poly1305];

/// Seal `pieces` (each flushed as its own records) and close.
fn sealed(suite: Suite, pieces: &[&[u8]]) -> Vec<u8> {
    let mut w = RecordWriter::with_capacity(1024, Vec::new());
    w.secure(Keys::new(suite, &KEY));
    for p in pieces {
        w.write_all(p).unwrap();
        w.flush().unwrap();
    }
    w.close().unwrap();
    std::mem::take(w.get_mut())
}

fn reader(suite: Suite, wire: Vec<u8>) -> RecordReader<Cursor<Vec<u8>>> {
    let mut r = RecordReader::with_capacity(1024, Cursor::new(wire));
    r.secure(Keys::new(suite, &KEY));
    r
}

/// Everything the reader hands on, and how it ended.
fn open_all(suite: Suite, wire: Vec<u8>) -> (Vec<u8>, io::Result<()>) {
    let mut r = reader(suite, wire);
    let mut out = Vec::new();
    let end = r.read_to_end(&mut out).map(|_| ());
    (out, end)
}

/// The byte offsets at which each record starts.
fn record_starts(wire: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut at = 0;
    while at + HEADER_BYTES <= wire.len() {
        starts.push(at);
        at += HEADER_BYTES + usize::from(u16::from_be_bytes([wire[at + 1], wire[at + 2]]));
    }
    starts
}

#[test]
fn round_trip_in_both_suites_at_record_edges() {
    for suite in SUITES {
        let big: Vec<u8> = (0..3 * MAX_PLAINTEXT_BYTES + 5).map(|i| i as u8).collect();
        let wire = sealed(suite, &[b"hello\n", &big, b"", b"x"]);
        let (out, end) = open_all(suite, wire);
        end.unwrap();
        assert_eq!(out.len(), 6 + big.len() + 1);
        assert_eq!(&out[6..6 + big.len()], &big[..]);
    }
}

#[test]
fn plaintext_does_not_appear_on_the_wire() {
    let secret = b"the secret file contents, repeated ".repeat(100);
    let wire = sealed(Suite::ChaCha20Poly1305, &[&secret]);
    assert!(!wire.windows(16).any(|w| secret.windows(16).any(|s| s == w)));
}

#[test]
fn passes_bytes_through_until_secure() {
    let mut w = RecordWriter::with_capacity(64, Vec::new());
    w.write_all(b"220 rftp 2\n").unwrap();
    w.flush().unwrap();
    assert_eq!(w.get_ref(), b"220 rftp 2\n");
    let mut r = RecordReader::with_capacity(64, Cursor::new(b"AUTH x\n".to_vec()));
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert_eq!(line, "AUTH x\n");
}

#[test]
fn every_flipped_bit_is_refused_and_nothing_of_its_record_is_handed_on() {
    for suite in SUITES {
        let wire = sealed(suite, &[b"first\n", b"second\n"]);
        let starts = record_starts(&wire);
        let (second, close) = (starts[1], starts[2]);
        for bit in (second * 8..wire.len() * 8).step_by(3) {
            let mut bad = wire.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            let (out, end) = open_all(suite, bad);
            assert!(end.is_err(), "bit {bit} passed");
            // Only the records before the changed one came out.
            let before: &[u8] = if bit < close * 8 {
                b"first\n"
            } else {
                b"first\nsecond\n"
            };
            assert_eq!(out, before, "bit {bit}");
        }
    }
}

#[test]
fn replayed_reordered_and_dropped_records_are_refused() {
    for suite in SUITES {
        let wire = sealed(suite, &[b"one\n", b"two\n", b"three\n"]);
        let s = record_starts(&wire);
        let rec = |i: usize| wire[s[i]..*s.get(i + 1).unwrap_or(&wire.len())].to_vec();
        let cases = [
            ("replayed", [rec(0), rec(0), rec(1)].concat()),
            ("reordered", [rec(1), rec(0), rec(2)].concat()),
            ("dropped", [rec(0), rec(2), rec(3)].concat()),
        ];
        for (what, bad) in cases {
            let (_, end) = open_all(suite, bad);
            let e = end.expect_err(what);
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{what}");
        }
    }
}

#[test]
fn truncated_streams_are_refused() {
    for suite in SUITES {
        let wire = sealed(suite, &[b"one\n", b"two\n"]);
        let close = *record_starts(&wire).last().unwrap();
        // Cut inside a record, in its header, and cleanly before the close record.
        for cut in [close - 5, close - 20, 1, close] {
            let (_, end) = open_all(suite, wire[..cut].to_vec());
            let e = end.expect_err("truncated");
            assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "cut at {cut}");
        }
        // And nothing may follow the close record.
        let (out, end) = open_all(suite, [wire.clone(), wire.clone()].concat());
        end.unwrap();
        assert_eq!(out, b"one\ntwo\n");
    }
}

#[test]
fn the_wrong_key_or_suite_opens_nothing() {
    let wire = sealed(Suite::Aes256Gcm, &[b"data\n"]);
    let (out, end) = open_all(Suite::ChaCha20Poly1305, wire.clone());
    assert!(end.is_err() && out.is_empty());
    let mut r = RecordReader::with_capacity(64, Cursor::new(wire));
    r.secure(Keys::new(Suite::Aes256Gcm, &[1; KEY_BYTES]));
    assert!(r.fill_buf().is_err());
    // A failed channel stays failed.
    assert!(r.fill_buf().is_err());
}

#[test]
fn oversized_and_unknown_headers_are_refused_before_reading_on() {
    for header in [
        [0x17, 0xff, 0xff],
        [0x17, 0, 16],
        [0x99, 0, 20],
        [0x15, 0, 40],
    ] {
        let mut wire = header.to_vec();
        wire.extend_from_slice(&[0; 64]);
        let (_, end) = open_all(Suite::ChaCha20Poly1305, wire);
        assert_eq!(end.unwrap_err().kind(), io::ErrorKind::InvalidData);
    }
}

#[test]
fn suite_names_round_trip() {
    for s in SUITES {
        assert_eq!(Suite::from_name(s.name()), Some(s));
    }
    assert_eq!(Suite::from_name("rot13"), None);
    assert!(Suite::offered().contains(&Suite::ChaCha20Poly1305));
}

/// Seal rate of one core: `cargo test --release --lib seal_rate -- --ignored --nocapture`.
#[test]
#[ignore]
fn seal_rate() {
    const TOTAL_BYTES: usize = 1 << 30;
    let chunk = vec![0xa5u8; MAX_PLAINTEXT_BYTES];
    for suite in SUITES {
        let mut w = RecordWriter::with_capacity(256 * 1024, io::sink());
        w.secure(Keys::new(suite, &KEY));
        let start = std::time::Instant::now();
        for _ in 0..TOTAL_BYTES / chunk.len() {
            w.write_all(&chunk).unwrap();
        }
        w.flush().unwrap();
        let secs = start.elapsed().as_secs_f64();
        let rate = TOTAL_BYTES as f64 / secs / (1u64 << 20) as f64;
        println!(
            "seal {}: {rate:.0} MiB/s ({} MiB in {secs:.2} s)",
            suite.name(),
            TOTAL_BYTES >> 20
        );
    }
}

/// The AEAD alone, without the record layer's buffering (same command).
#[test]
#[ignore]
fn raw_aead_rate() {
    const TOTAL_BYTES: usize = 1 << 30;
    let mut buf = vec![0xa5u8; MAX_PLAINTEXT_BYTES];
    for suite in SUITES {
        let mut k = Keys::new(suite, &KEY);
        let start = std::time::Instant::now();
        for _ in 0..TOTAL_BYTES / buf.len() {
            k.seal(b"hdr", &mut buf).unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "raw {}: {:.0} MiB/s",
            suite.name(),
            TOTAL_BYTES as f64 / secs / 1048576.0
        );
    }
}
