//! Fuzz target: the bounded inflater behind `get -z` (`fs::compress`).
//! Arbitrary bytes under an announced length: it never hands out more than
//! announced, and it agrees with miniz's inflater run in one pass (in the
//! same windowed mode, which lets a distance before the start of the data
//! read zeros where zlib refuses it). Data deflated by rftp's own writer
//! comes back whole under its exact length and is refused under one less.

#![no_main]

use std::io::{BufRead, Read, Write};

use libfuzzer_sys::fuzz_target;
use miniz_oxide::inflate::stream::{InflateState, inflate as inflate_stream};
use miniz_oxide::{DataFormat, MZFlush, MZStatus};
use rftp::fs::compress::{Inflater, WireDeflater, deflate_bound};

fuzz_target!(|data: &[u8]| {
    let Some((&seed, body)) = data.split_first() else {
        return;
    };
    let limit = u64::from(seed) * 97;
    stays_under_the_limit(body, limit, seed);
    // A deflater costs more than the rest together: one input in four.
    if body.last().is_some_and(|b| b & 3 == 0) {
        round_trips(body, seed % 9 + 1);
    }
});

/// A reader that hands out at most `step` bytes a call, so that streams
/// cross the inflater's input refills.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.step).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

impl BufRead for Trickle<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        Ok(&self.data[..self.step.min(self.data.len())])
    }

    fn consume(&mut self, n: usize) {
        self.data = &self.data[n..];
    }
}

/// Read `stream` with reads of a size drawn from `seed`; all bytes handed
/// out (never over `limit`), and whether it ended well.
fn inflate(stream: &[u8], limit: u64, seed: u8) -> (Vec<u8>, bool) {
    let step = 1 + usize::from(seed % 16) * 97;
    let mut r = Inflater::new(Trickle { data: stream, step }, limit);
    let mut buf = vec![0; 1 + usize::from(seed) * 61];
    let mut out = Vec::new();
    loop {
        match r.read(&mut buf) {
            Ok(0) => return (out, true),
            Ok(n) => {
                assert!(n <= buf.len());
                out.extend_from_slice(&buf[..n]);
                assert!(
                    out.len() as u64 <= limit,
                    "inflated past the announced length"
                );
            }
            Err(_) => return (out, false),
        }
    }
}

/// The same stream inflated by miniz in one pass, input and output whole,
/// in the windowed mode `Inflater` uses: what `Inflater` must agree with
/// (`None`: refused, longer than `limit`, or bytes after its end).
fn reference(stream: &[u8], limit: u64) -> Option<Vec<u8>> {
    let mut state = InflateState::new_boxed(DataFormat::Raw);
    let mut out = vec![0; usize::try_from(limit).ok()? + 1];
    let (mut used, mut made) = (0, 0);
    for flush in [MZFlush::None, MZFlush::Finish] {
        let r = inflate_stream(&mut state, &stream[used..], &mut out[made..], flush);
        used += r.bytes_consumed;
        made += r.bytes_written;
        if r.status == Ok(MZStatus::StreamEnd) {
            out.truncate(made);
            return (used == stream.len() && made as u64 <= limit).then_some(out);
        }
    }
    None
}

fn stays_under_the_limit(stream: &[u8], limit: u64, seed: u8) {
    let (out, ok) = inflate(stream, limit, seed);
    match reference(stream, limit) {
        Some(want) => assert_eq!((out, ok), (want, true)),
        None => assert!(!ok, "accepted what the reference refuses"),
    }
}

fn round_trips(data: &[u8], level: u8) {
    // get -z's deflater: each block stored or deflated as it chooses.
    let mut d = WireDeflater::new(Vec::new());
    d.write_all(data).expect("writes to a Vec");
    let (packed, written, _) = d.finish().expect("writes to a Vec");
    assert_eq!(packed.len() as u64, written);
    assert!(written <= deflate_bound(data.len() as u64));
    let len = data.len() as u64;
    assert_eq!(inflate(&packed, len, level), (data.to_vec(), true));
    if let Some(short) = len.checked_sub(1) {
        assert!(!inflate(&packed, short, level).1, "a longer stream passed");
    }
}
