//! Lying and broken uploads: STOR lengths that are huge or wrong, chunks
//! past the announced length or the chunk limit, bad trailers, unparsable
//! STOR lines whose payload must not run as commands, and clients that vanish
//! mid-payload. None may publish a file or leave a temporary one; partial
//! data is kept only out of sight.

use std::net::Shutdown;
use std::thread;
use std::time::{Duration, Instant};

use crate::fixture::still_serves;
use crate::raw::{
    CHUNK_BYTES, CLOSE_WAIT, MAX_LINE_BYTES, Next, lines_until_closed, logged_in, next_line,
    try_send,
};
use crate::util::{Server, crc32, data};

/// Prefix of the server's temporary upload files.
const TEMP_PREFIX: &[u8] = b".rftp-";
/// How long to wait for the server to tidy up after a client vanished.
const CLEANUP_WAIT: Duration = Duration::from_secs(5);

/// Wait until the root holds exactly `want` (sorted names, no temp files).
#[track_caller]
fn root_settles_to(server: &Server, want: &[&[u8]]) {
    let want: Vec<Vec<u8>> = want.iter().map(|n| n.to_vec()).collect();
    let until = Instant::now() + CLEANUP_WAIT;
    loop {
        let names = server.root.names();
        if names == want {
            return;
        }
        if Instant::now() > until {
            let shown: Vec<String> = names
                .iter()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect();
            let temps = names.iter().filter(|n| n.starts_with(TEMP_PREFIX)).count();
            panic!(
                "root holds {shown:?} ({temps} temp files), want {:?}\nserver log:\n{}",
                want.iter()
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .collect::<Vec<_>>(),
                server.log()
            );
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// A payload chunk: two-byte big-endian length, then the bytes.
fn chunk(bytes: &[u8]) -> Vec<u8> {
    let len = u16::try_from(bytes.len()).expect("test chunks fit a u16");
    let mut out = len.to_be_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

#[test]
fn stor_with_a_huge_length_then_close_leaves_nothing() {
    let server = Server::start(&[]);
    let mut raw = logged_in(&server);
    raw.send(format!("STOR huge {} new\n", 1u64 << 63).as_bytes());
    for i in 0..4 {
        raw.send(&chunk(&data(CHUNK_BYTES, i)));
    }
    let _ = raw.stream.shutdown(Shutdown::Both);
    drop(raw);
    // What arrived is kept out of sight for `put -c`, never under the name.
    root_settles_to(&server, &[b".rftp-part.huge"]);
    // u64::MAX is still a length; the server must not allocate by it.
    let mut raw = logged_in(&server);
    raw.send(format!("STOR huge {} replace\n", u64::MAX).as_bytes());
    raw.send(&chunk(&data(CHUNK_BYTES, 9)));
    drop(raw);
    root_settles_to(&server, &[b".rftp-part.huge"]);
    assert!(
        server.wait_log("put '/huge'", CLEANUP_WAIT),
        "{}",
        server.log()
    );
    still_serves(&server);
}

#[test]
fn stor_with_more_bytes_than_announced_is_cut_off() {
    let server = Server::start(&[]);
    let mut raw = logged_in(&server);
    raw.send(b"STOR over 10 new\n");
    let _ = try_send(&mut raw, &chunk(&data(CHUNK_BYTES, 3)));
    let _ = try_send(&mut raw, &chunk(b"tail"));
    let _ = try_send(&mut raw, b"DONE 2052 00000000\nPWD\n");
    let (lines, closed) = lines_until_closed(&mut raw, CLOSE_WAIT);
    assert!(
        closed,
        "connection left open after an oversized payload: {lines:?}"
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("226") || l.starts_with("257")),
        "the oversized upload was accepted or the stream went on: {lines:?}"
    );
    // A peer that breaks the framing is cut off without a reply.
    assert!(lines.is_empty(), "a reply before the close: {lines:?}");
    // A short chunk that still goes past the announced length.
    let mut raw = logged_in(&server);
    raw.send(b"STOR over 10 new\n");
    let _ = try_send(&mut raw, &chunk(b"0123456789ABCDEF"));
    let _ = try_send(&mut raw, b"DONE 16 00000000\nPWD\n");
    let (lines, closed) = lines_until_closed(&mut raw, CLOSE_WAIT);
    assert!(
        closed,
        "connection left open after a long short chunk: {lines:?}"
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("226") || l.starts_with("257")),
        "{lines:?}"
    );
    // A peer that breaks the framing is cut off without a reply.
    assert!(lines.is_empty(), "a reply before the close: {lines:?}");
    root_settles_to(&server, &[]);
    still_serves(&server);
}

#[test]
fn stor_with_fewer_bytes_than_announced_is_refused_and_the_stream_goes_on() {
    let server = Server::start(&[]);
    let mut raw = logged_in(&server);
    raw.send(b"STOR short 10 new\n");
    raw.send(&chunk(b"01234"));
    raw.send(format!("DONE 5 {:08x}\nPWD\n", crc32(b"01234")).as_bytes());
    match next_line(&mut raw, CLOSE_WAIT) {
        Next::Line(l) => assert!(l.starts_with("451 "), "short upload -> {l}"),
        other => panic!("short upload -> {other:?}"),
    }
    assert_eq!(next_line(&mut raw, CLOSE_WAIT), Next::Line("257 /".into()));
    // A wrong CRC is refused the same way.
    raw.send(b"STOR badcrc 5 new\n");
    raw.send(&chunk(b"01234"));
    raw.send(b"DONE 5 00000000\nPWD\n");
    match next_line(&mut raw, CLOSE_WAIT) {
        Next::Line(l) => assert!(l.starts_with("451 "), "bad CRC -> {l}"),
        other => panic!("bad CRC -> {other:?}"),
    }
    assert_eq!(next_line(&mut raw, CLOSE_WAIT), Next::Line("257 /".into()));
    root_settles_to(&server, &[]);
    still_serves(&server);
}

#[test]
fn oversized_chunk_header_is_cut_off() {
    let server = Server::start(&[]);
    for header in [CHUNK_BYTES as u16 + 1, u16::MAX] {
        let mut raw = logged_in(&server);
        raw.send(b"STOR big 100000 new\n");
        let _ = try_send(&mut raw, &header.to_be_bytes());
        let _ = try_send(&mut raw, &data(CHUNK_BYTES + 1, 4));
        let _ = try_send(&mut raw, b"PWD\n");
        let (lines, closed) = lines_until_closed(&mut raw, CLOSE_WAIT);
        assert!(closed, "header {header}: connection left open: {lines:?}");
        assert!(
            !lines
                .iter()
                .any(|l| l.starts_with("226") || l.starts_with("257")),
            "header {header}: {lines:?}"
        );
        // A peer that breaks the framing is cut off without a reply.
        assert!(lines.is_empty(), "a reply before the close: {lines:?}");
    }
    root_settles_to(&server, &[]);
    still_serves(&server);
}

#[test]
fn bad_trailer_is_cut_off_and_leaves_nothing() {
    let server = Server::start(&[]);
    server.root.write("old", b"old contents");
    let good_crc = crc32(b"abc");
    let long = format!("DONE 3 {good_crc:08x}{}\n", " ".repeat(MAX_LINE_BYTES));
    let trailers = [
        "BOGUS\n".to_string(),
        "DONE 3\n".to_string(),
        "DONE x 00000000\n".to_string(),
        "DONE 3 zzzzzzzz\n".to_string(),
        "done 3 00000000\n".to_string(),
        "PWD\n".to_string(),
        long,
    ];
    for trailer in &trailers {
        for (name, mode) in [("new-file", "new"), ("old", "replace")] {
            let mut raw = logged_in(&server);
            raw.send(format!("STOR {name} 3 {mode}\n").as_bytes());
            raw.send(&chunk(b"abc"));
            let _ = try_send(&mut raw, trailer.as_bytes());
            let _ = try_send(&mut raw, b"PWD\n");
            let (lines, closed) = lines_until_closed(&mut raw, CLOSE_WAIT);
            let shown = &trailer[..trailer.len().min(40)];
            assert!(
                closed,
                "trailer {shown:?} on {name}: connection left open: {lines:?}"
            );
            assert!(
                !lines
                    .iter()
                    .any(|l| l.starts_with("226") || l.starts_with("257")),
                "trailer {shown:?} on {name}: {lines:?}"
            );
            // A peer that breaks the framing is cut off without a reply.
            assert!(lines.is_empty(), "a reply before the close: {lines:?}");
        }
    }
    root_settles_to(&server, &[b"old"]);
    assert_eq!(
        std::fs::read(server.root.join("old")).ok().as_deref(),
        Some(&b"old contents"[..])
    );
    still_serves(&server);
}

#[test]
fn unparsable_stor_does_not_run_its_payload_as_commands() {
    // A STOR line the server cannot parse still has a payload behind it; the
    // server cannot know its length, so it must close rather than read the
    // payload as commands ("the stream never loses its place").
    let server = Server::start(&[]);
    // The chunk header is 00 0e; the payload's second line is a command.
    let payload = b"x\nDELE victim\n";
    let bad_lines = [
        "STOR up 18446744073709551616 new\n".to_string(),
        format!("STOR up {} maybe\n", payload.len()),
        format!("STOR up {} new extra\n", payload.len()),
        format!("STOR up -{} new\n", payload.len()),
        format!("STOR \"up {} new\n", payload.len()),
    ];
    let mut failures = Vec::new();
    for line in &bad_lines {
        server.root.write("victim", b"precious");
        let mut raw = logged_in(&server);
        raw.send(line.as_bytes());
        let _ = try_send(&mut raw, &chunk(payload));
        let trailer = format!("DONE {} {:08x}\n", payload.len(), crc32(payload));
        let _ = try_send(&mut raw, trailer.as_bytes());
        let (lines, closed) = lines_until_closed(&mut raw, Duration::from_secs(2));
        let survived = std::fs::read(server.root.join("victim")).ok();
        // One 421 naming the problem, then the close.
        let one_421 = matches!(&lines[..], [l] if l.starts_with("421 ")
            && l.ends_with("; cannot find the end of the upload, closing"));
        if lines.iter().any(|l| l.starts_with("250"))
            || survived.as_deref() != Some(&b"precious"[..])
            || !closed
            || !one_421
        {
            failures.push(format!(
                "{line:?}: replies {lines:?}, closed {closed}, victim {}",
                if survived.is_some() {
                    "kept"
                } else {
                    "DELETED"
                }
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "an unparsable STOR's payload was read as commands:\n{}",
        failures.join("\n")
    );
    still_serves(&server);
}

#[test]
fn disconnect_mid_payload_leaves_nothing() {
    let server = Server::start(&[]);
    server.root.write("old", b"old contents");
    for (name, mode) in [("mid", "new"), ("old", "replace")] {
        let mut raw = logged_in(&server);
        raw.send(format!("STOR {name} 1000000 {mode}\n").as_bytes());
        for i in 0..3 {
            raw.send(&chunk(&data(CHUNK_BYTES, 20 + i)));
        }
        // Half a chunk, then gone.
        raw.send(&(CHUNK_BYTES as u16).to_be_bytes());
        raw.send(&data(CHUNK_BYTES / 2, 30));
        // Let the server write the partial temp file before the client vanishes.
        thread::sleep(Duration::from_millis(200));
        let _ = raw.stream.shutdown(Shutdown::Both);
        drop(raw);
        assert!(
            server.wait_log(&format!("put '/{name}'"), CLEANUP_WAIT),
            "no log line for the abandoned upload of {name}:\n{}",
            server.log()
        );
        // The partial data stays out of sight for `put -c`.
        let partial = format!(".rftp-part.{name}");
        let mut want: Vec<&[u8]> = vec![partial.as_bytes(), b".rftp-part.mid", b"old"];
        want.sort();
        want.dedup();
        root_settles_to(&server, &want);
    }
    assert_eq!(
        std::fs::read(server.root.join("old")).ok().as_deref(),
        Some(&b"old contents"[..])
    );
    still_serves(&server);
}
