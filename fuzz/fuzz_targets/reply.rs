//! Fuzz target: the lines a peer's reply stream holds — reply lines and the
//! values `wire::answer` reads from their texts (150, 226, 213, COMPRESS's
//! 250, PWD's path), the upload trailer, LIST payload lines and the STAT
//! reply's entry. Checks that what parses is one line, re-serializes to what
//! was read, and that numbers were digits only.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rftp::wire::{
    Announce, Checksum, Delivered, Directory, Entry, Packed, Reply, Sums, Trailer,
};

fuzz_target!(|line: &[u8]| {
    check_reply(line);
    check_trailer(line);
    if let Some(e) = Entry::parse(line) {
        check_entry(line, &e);
    }
});

/// Decimal digits only: no sign, no space, no other base.
fn is_decimal(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit())
}

/// Exactly eight hex digits.
fn is_crc(word: &str) -> bool {
    word.len() == 8 && word.bytes().all(|b| b.is_ascii_hexdigit())
}

fn check_reply(line: &[u8]) {
    let Some(reply) = Reply::parse(line) else {
        return;
    };
    assert!((100..1000).contains(&reply.code));
    assert!(
        !reply.text.chars().any(char::is_control),
        "{:?}",
        reply.text
    );
    let mut out = Vec::new();
    reply.write_to(&mut out).expect("writes to a Vec");
    assert_eq!(out.pop(), Some(b'\n'));
    assert!(!out.contains(&b'\n'));
    let again = Reply::parse(&out).expect("written reply parses");
    assert_eq!(again.code, reply.code);
    let mut words = reply.text.split(' ');
    let (first, second) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    if let Some(sums) = Sums::parse(&reply.text) {
        assert!(is_decimal(first) && is_crc(second), "{:?}", reply.text);
        assert_eq!(Sums::parse(&sums.reply().text), Some(sums));
    }
    if let Some(d) = Delivered::parse(&reply.text) {
        assert!(is_decimal(first) && is_crc(second), "{:?}", reply.text);
        assert_eq!(
            (first.parse(), u32::from_str_radix(second, 16)),
            (Ok(d.sums.length), Ok(d.sums.crc))
        );
        assert_eq!(Delivered::parse(&d.reply().text).as_ref(), Some(&d));
    }
    if let Some(a) = Announce::parse(&reply.text) {
        if let Announce::Bytes { .. } = a {
            assert!(is_decimal(first), "{:?}", reply.text);
        }
        assert_eq!(Announce::parse(&a.reply().text).as_ref(), Some(&a));
    }
    if let Some(p) = Packed::parse(&reply.text) {
        assert!(is_decimal(first) && is_decimal(second), "{:?}", reply.text);
        assert_eq!(Packed::parse(&p.reply().text), Some(p));
    }
    if let Some(c) = Checksum::parse(&reply.text) {
        assert_eq!(Checksum::parse(&c.reply().text).as_ref(), Some(&c));
    }
    if let Some(d) = Directory::parse(&reply.text) {
        assert_eq!(Directory::parse(&d.reply(reply.code).text).as_ref(), Some(&d));
    }
    // The client reads a STAT reply's text as a listing entry.
    if let Some(e) = Entry::parse(reply.text.as_bytes()) {
        check_entry(reply.text.as_bytes(), &e);
    }
}

fn check_trailer(line: &[u8]) {
    let Some(trailer) = Trailer::parse(line) else {
        return;
    };
    let text = std::str::from_utf8(line).expect("a trailer is text");
    match trailer {
        Trailer::Abort => assert_eq!(text, "ABORT"),
        Trailer::Done { .. } => {
            let w: Vec<&str> = text.split(' ').collect();
            // DONE LENGTH CRC, with MTIME MODE after when times are kept.
            assert!((w.len() == 3 || w.len() == 5) && w[0] == "DONE", "{text:?}");
            assert!(is_decimal(w[1]) && is_crc(w[2]), "{text:?}");
        }
    }
    let out = trailer.to_line();
    let body = out.strip_suffix('\n').expect("a trailer ends its line");
    assert_eq!(Trailer::parse(body.as_bytes()), Some(trailer));
}

/// A parsed entry: numbers were digits (mtime may be negative, and may end
/// in `.` and nine digits of nanoseconds), and the entry's own line parses
/// back to it.
fn check_entry(line: &[u8], e: &Entry) {
    let words = rftp::wire::words::split(line, 5).expect("it parsed");
    let text = |i: usize| std::str::from_utf8(&words[i]).expect("it parsed");
    assert!(
        text(1).bytes().all(|b| (b'0'..=b'7').contains(&b)),
        "{line:?}"
    );
    assert!(is_decimal(text(2)), "{line:?}");
    let mtime = text(3).strip_prefix('-').unwrap_or(text(3));
    let (secs, nanos) = mtime.split_once('.').unwrap_or((mtime, "000000000"));
    assert!(is_decimal(secs) && is_decimal(nanos) && nanos.len() == 9, "{line:?}");
    let out = e.to_line();
    let body = out.strip_suffix('\n').expect("an entry ends its line");
    assert!(!body.contains('\n'));
    assert_eq!(Entry::parse(body.as_bytes()).as_ref(), Some(e));
}
