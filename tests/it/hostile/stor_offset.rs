//! STOR with an offset: an offset that does not match the kept data, no
//! kept data at all, and broken payloads behind a right offset. Each is
//! refused or cut off, the stream stays in step or is closed, and nothing is
//! published or lost from the kept data.

use std::fs;
use std::io::Write;

use crate::fake::framed;
use crate::fixture::{root_names, still_serves};
use crate::raw::{CHUNK_BYTES, CLOSE_WAIT, ask, in_step, lines_until_closed, logged_in, stor};
use crate::util::{Server, crc32, data};

#[test]
fn stor_offset_that_does_not_match_is_refused_after_its_payload() {
    let server = Server::start(&[]);
    server.root.write(".rftp-part.up", b"hello");
    let mut raw = logged_in(&server);
    assert_eq!(
        ask(&mut raw, "PARTIAL up"),
        format!("213 5 {:08x}", crc32(b"hello"))
    );
    let rest = b", world\n";
    for offset in ["0", "4", "6", "18446744073709551615"] {
        let line = format!("STOR up {} new {offset}", rest.len());
        let reply = stor(&mut raw, &line, rest);
        assert!(reply.starts_with("451 "), "{line} -> {reply}");
        in_step(&mut raw, &line);
        assert_eq!(
            fs::read(server.root.join(".rftp-part.up")).ok().as_deref(),
            Some(&b"hello"[..]),
            "{line} touched the kept data"
        );
        assert!(!server.root.join("up").exists(), "{line} published up");
    }
    // A payload larger than one chunk, refused, is still read whole.
    let big = data(3 * CHUNK_BYTES + 7, 1);
    let line = format!("STOR up {} replace 1", big.len());
    let reply = stor(&mut raw, &line, &big);
    assert!(reply.starts_with("451 "), "{line} -> {reply}");
    in_step(&mut raw, &line);
    // The right offset continues the kept data.
    let line = format!("STOR up {} new 5", rest.len());
    assert_eq!(
        stor(&mut raw, &line, rest),
        format!("226 {} {:08x}", rest.len(), crc32(rest))
    );
    assert_eq!(
        fs::read(server.root.join("up")).ok().as_deref(),
        Some(&b"hello, world\n"[..])
    );
    in_step(&mut raw, &line);
    assert_eq!(root_names(&server), ["up"]);
    still_serves(&server);
}

#[test]
fn stor_offset_without_kept_data_is_refused_and_leaves_nothing() {
    let server = Server::start(&[]);
    let mut raw = logged_in(&server);
    let reply = stor(&mut raw, "STOR none 3 new 5", b"abc");
    assert!(reply.starts_with("451 "), "STOR none … 5 -> {reply}");
    in_step(&mut raw, "STOR with an offset and no kept data");
    let reply = stor(
        &mut raw,
        "STOR none2 3 replace 18446744073709551615",
        b"abc",
    );
    assert!(
        reply.starts_with("451 "),
        "STOR none2 … u64::MAX -> {reply}"
    );
    in_step(&mut raw, "STOR with offset u64::MAX");
    assert_eq!(
        root_names(&server),
        Vec::<String>::new(),
        "a refused upload left files behind"
    );
    still_serves(&server);
}

#[test]
fn stor_offset_with_a_broken_payload_closes_and_publishes_nothing() {
    let server = Server::start(&[]);
    server.root.write(".rftp-part.up", b"hello");
    // A wrong offset and a payload longer than announced: closed, and the
    // kept data, which this upload never used, stays.
    let mut raw = logged_in(&server);
    raw.send(b"STOR up 3 new 4\n");
    raw.send(&framed(b"0123456789"));
    let _ = raw.stream.write_all(b"DONE 10 00000000\nPWD\n");
    let (lines, closed) = lines_until_closed(&mut raw, CLOSE_WAIT);
    assert!(closed, "left open after an oversized payload: {lines:?}");
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("226") || l.starts_with("257")),
        "{lines:?}"
    );
    // A peer that breaks the framing is cut off without a reply.
    assert!(lines.is_empty(), "a reply before the close: {lines:?}");
    assert_eq!(
        fs::read(server.root.join(".rftp-part.up")).ok().as_deref(),
        Some(&b"hello"[..])
    );
    // The right offset, then a chunk header past 2048.
    let mut raw = logged_in(&server);
    raw.send(b"STOR up 100000 new 5\n");
    raw.send(&framed(&data(CHUNK_BYTES, 2))[..CHUNK_BYTES + 2]);
    let _ = raw.stream.write_all(&[0xff, 0xff]);
    let _ = raw.stream.write_all(&data(4096, 3));
    let _ = raw.stream.write_all(b"\nPWD\n");
    let (lines, closed) = lines_until_closed(&mut raw, CLOSE_WAIT);
    assert!(closed, "left open after a bad chunk header: {lines:?}");
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("226") || l.starts_with("257")),
        "{lines:?}"
    );
    // A peer that breaks the framing is cut off without a reply.
    assert!(lines.is_empty(), "a reply before the close: {lines:?}");
    // The right offset, fewer bytes than announced: refused, in step.
    server.root.write(".rftp-part.up2", b"hello");
    let mut raw = logged_in(&server);
    raw.send(b"STOR up2 10 new 5\n");
    raw.send(&framed(b"abc"));
    let reply = ask(&mut raw, format!("DONE 3 {:08x}", crc32(b"abc")));
    assert!(reply.starts_with("451 "), "short offset upload -> {reply}");
    in_step(&mut raw, "a short upload with an offset");
    // The right offset, a bad CRC in the trailer: refused, in step.
    server.root.write(".rftp-part.up3", b"hello");
    raw.send(b"STOR up3 3 new 5\n");
    raw.send(&framed(b"abc"));
    let reply = ask(&mut raw, "DONE 3 00000000");
    assert!(
        reply.starts_with("451 "),
        "bad CRC with an offset -> {reply}"
    );
    in_step(&mut raw, "a bad CRC with an offset");
    for name in ["up", "up2", "up3"] {
        assert!(
            !server.root.join(name).exists(),
            "{name} published from a broken upload; root {:?}",
            root_names(&server)
        );
    }
    still_serves(&server);
}
