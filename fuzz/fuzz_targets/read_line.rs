//! Fuzz target: `wire::read_line`, the bounded line reader both ends use.
//! Compares it with a plain model: split at `\n`, a line longer than the cap
//! (newline included) comes back as `TooLong` with its first bytes, a last
//! line without a newline is `Eof`.

#![no_main]

use std::io::{BufReader, Cursor};

use libfuzzer_sys::fuzz_target;
use rftp::wire::{Line, MAX_LINE_BYTES, read_line};

/// Bytes of an overlong line the reader keeps (its `OVERLONG_KEPT_BYTES`).
const KEPT_BYTES: usize = 16;

fuzz_target!(|data: &[u8]| {
    let Some((&shape, body)) = data.split_first() else {
        return;
    };
    // Repeat the input so that some lines cross the cap, and vary the reader's
    // buffer so that lines cross its edges.
    let input = body.repeat(1 + usize::from(shape & 0x03) * 8);
    let capacity = 1 + usize::from(shape >> 4) * 331;
    let mut r = BufReader::with_capacity(capacity, Cursor::new(&input[..]));
    let mut buf = Vec::new();
    let mut rest = &input[..];
    loop {
        let got = read_line(&mut r, &mut buf).expect("a cursor does not fail");
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            assert_eq!(got, Line::Eof);
            return;
        };
        let line = &rest[..end];
        rest = &rest[end + 1..];
        if line.len() + 1 > MAX_LINE_BYTES {
            assert_eq!(got, Line::TooLong);
            assert_eq!(buf, line[..KEPT_BYTES]);
        } else {
            assert_eq!(got, Line::Whole);
            assert_eq!(buf, line.strip_suffix(b"\r").unwrap_or(line));
        }
        assert!(buf.len() <= MAX_LINE_BYTES);
    }
});
