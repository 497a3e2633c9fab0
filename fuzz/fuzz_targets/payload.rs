//! Fuzz target: the payload reader (`wire::PayloadReader`) fed arbitrary
//! bytes. A model of the framing says which bytes it must hand out and
//! where it must stop; it never hands out more than announced.

#![no_main]

use std::io::{Cursor, Read, Write};

use libfuzzer_sys::fuzz_target;
use rftp::wire::payload::{CHUNK_BYTES, PayloadReader, PayloadWriter};

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    // Small limits are where the interesting edges are.
    let limit = u64::from(u16::from_le_bytes([data[0], data[1]])) * u64::from(data[2] % 8 + 1);
    let wire = &data[3..];
    reader_follows_the_model(wire, limit, data[2]);
    writer_round_trips(wire, data[2]);
});

/// What the reader must yield from `wire` under `limit`: the payload bytes
/// before any framing error, whether the payload ended well, and where.
fn model(wire: &[u8], limit: u64) -> (Vec<u8>, Option<usize>) {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let Some(header) = wire.get(at..at + 2) else {
            return (out, None);
        };
        let len = usize::from(u16::from_be_bytes([header[0], header[1]]));
        at += 2;
        if len > CHUNK_BYTES || (out.len() + len) as u64 > limit {
            return (out, None);
        }
        let body = &wire[at..wire.len().min(at + len)];
        out.extend_from_slice(body);
        at += body.len();
        if body.len() < len {
            return (out, None);
        }
        if len < CHUNK_BYTES {
            return (out, Some(at));
        }
    }
}

fn reader_follows_the_model(wire: &[u8], limit: u64, seed: u8) {
    let (want, end) = model(wire, limit);
    let mut cursor = Cursor::new(wire);
    let mut r = PayloadReader::new(&mut cursor, limit);
    let mut got = Vec::new();
    let mut buf = vec![0; 1 + usize::from(seed) * 37];
    let ended = loop {
        match r.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => {
                assert!(n <= buf.len());
                got.extend_from_slice(&buf[..n]);
                assert!(got.len() as u64 <= limit, "more than announced");
                assert_eq!(r.total(), got.len() as u64);
            }
            Err(_) => break false,
        }
    };
    assert_eq!(got, want);
    assert_eq!(ended, end.is_some());
    if let Some(end) = end {
        // The stream keeps its place: just after the last chunk.
        assert_eq!(cursor.position(), end as u64);
    }
}

/// Framed by the writer in pieces of any size, bytes come back whole.
fn writer_round_trips(data: &[u8], seed: u8) {
    let mut w = PayloadWriter::new(Vec::new());
    for piece in data.chunks(1 + usize::from(seed) * 13) {
        w.write_all(piece).expect("writes to a Vec");
    }
    let wire = w.finish().expect("writes to a Vec");
    assert_eq!(wire.len(), data.len() + 2 * (data.len() / CHUNK_BYTES + 1));
    let mut r = PayloadReader::new(Cursor::new(&wire[..]), data.len() as u64);
    let mut back = Vec::new();
    r.read_to_end(&mut back).expect("a framed payload reads");
    assert_eq!(back, data);
}
