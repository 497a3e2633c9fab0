//! Raw-socket attackers: garbage, overlong lines, lying uploads, broken
//! framing, clients that vanish, stall or trickle, and too many at once.
//! After each, the server must still serve an ordinary client.

use std::io::{self, BufRead, Read, Write};
use std::net::Shutdown;
use std::thread;
use std::time::{Duration, Instant};

use crate::util::{PASSWORD, Raw, Server, TempDir, crc32, data};

/// The wire's line limit, newline included (`MAX_LINE_BYTES`).
const MAX_LINE_BYTES: usize = 32 * 1024;
/// Bytes in a full payload chunk.
const CHUNK_BYTES: usize = 2048;
/// Prefix of the server's temporary upload files.
const TEMP_PREFIX: &[u8] = b".rftp-";
/// How long to wait for the server to tidy up after a client vanished.
const CLEANUP_WAIT: Duration = Duration::from_secs(5);
/// How long to wait for the server to close a connection it must close.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// What reading the next reply line found.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    /// A reply line, newline removed (bytes shown lossily).
    Line(String),
    /// The server closed the connection (end of stream or reset).
    Closed,
    /// Nothing arrived in time.
    Silent,
}

/// Read the next line within `wait`, keeping partial data across timeouts.
fn next_line(raw: &mut Raw, wait: Duration) -> Next {
    let until = Instant::now() + wait;
    let mut buf = Vec::new();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Next::Silent;
        }
        let _ = raw
            .stream
            .set_read_timeout(Some(left.min(Duration::from_millis(200))));
        match raw.reader.read_until(b'\n', &mut buf) {
            Ok(0) => return Next::Closed,
            Ok(_) if buf.ends_with(b"\n") => {
                let text = String::from_utf8_lossy(&buf);
                return Next::Line(text.trim_end_matches(['\r', '\n']).to_string());
            }
            Ok(_) => return Next::Closed,
            Err(e) if is_timeout(&e) => {}
            Err(_) => return Next::Closed,
        }
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Read reply lines until the server closes or `wait` passes; returns the
/// lines and whether it closed.
fn lines_until_closed(raw: &mut Raw, wait: Duration) -> (Vec<String>, bool) {
    let until = Instant::now() + wait;
    let mut lines = Vec::new();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match next_line(raw, left) {
            Next::Line(l) => lines.push(l),
            Next::Closed => return (lines, true),
            Next::Silent => return (lines, false),
        }
    }
}

/// Send bytes; the server may already have closed, which the caller judges.
fn try_send(raw: &mut Raw, bytes: &[u8]) -> io::Result<()> {
    raw.stream.write_all(bytes)
}

/// A logged-in raw connection.
fn logged_in(server: &Server) -> Raw {
    let mut raw = server.raw();
    raw.login();
    raw
}

/// An ordinary client still gets served.
#[track_caller]
fn still_serves(server: &Server) {
    let local = TempDir::new();
    let run = server.client(local.path(), "pwd\n");
    run.expect(0);
    assert_eq!(
        run.out(),
        "/\n",
        "{}\nserver log:\n{}",
        run.dump(),
        server.log()
    );
}

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

/// A reply code at the start of `line`, if any.
fn code(line: &str) -> Option<u16> {
    line.get(..3)?.parse().ok()
}

/// Garbage: binary bytes with NULs, high bytes and quotes, cut into lines
/// here and there (and one stretch longer than the line limit).
fn garbage(seed: u64) -> Vec<u8> {
    let mut g = data(16 * 1024, seed);
    for (i, b) in g.iter_mut().enumerate() {
        if i % 97 == 0 {
            *b = 0;
        }
        if *b == b'\n' && i % 5 != 0 {
            *b = b'"';
        }
    }
    g.extend_from_slice(b"\n");
    g.extend_from_slice(&vec![0xff; MAX_LINE_BYTES + 100]);
    g.extend_from_slice(b"\n\0\0\0\n\"unclosed\n'\n\\\n");
    g.extend_from_slice(&data(4096, seed + 1));
    g.extend_from_slice(b"\n");
    g
}

#[test]
fn garbage_before_login_gets_errors_not_a_crash() {
    let server = Server::start(&[]);
    let mut raw = server.raw();
    assert!(matches!(next_line(&mut raw, CLOSE_WAIT), Next::Line(l) if l.starts_with("220 ")));
    let sent = try_send(&mut raw, &garbage(1));
    let _ = try_send(&mut raw, b"PWD\n");
    let (lines, _closed) = lines_until_closed(&mut raw, Duration::from_secs(3));
    assert!(
        sent.is_err() || !lines.is_empty(),
        "no reply at all to garbage before login"
    );
    for l in &lines {
        assert!(
            matches!(code(l), Some(421 | 500 | 501 | 503 | 530)),
            "unexpected reply to garbage before login: {l:?}\nall: {lines:?}"
        );
    }
    assert!(
        !lines.iter().any(|l| l.starts_with("257")),
        "PWD answered before login: {lines:?}"
    );
    still_serves(&server);
}

#[test]
fn garbage_after_login_gets_errors_and_the_stream_recovers() {
    let server = Server::start(&[]);
    server.root.write("keep", b"keep");
    let mut raw = logged_in(&server);
    let sent = try_send(&mut raw, &garbage(2));
    let _ = try_send(&mut raw, b"PWD\n");
    let mut lines = Vec::new();
    let until = Instant::now() + Duration::from_secs(10);
    let mut recovered = false;
    while Instant::now() < until {
        match next_line(&mut raw, Duration::from_secs(3)) {
            Next::Line(l) if l == "257 /" => {
                recovered = true;
                break;
            }
            Next::Line(l) => lines.push(l),
            Next::Closed | Next::Silent => break,
        }
    }
    for l in &lines {
        assert!(
            matches!(code(l), Some(421 | 500 | 501)),
            "unexpected reply to garbage after login: {l:?}\nall: {lines:?}"
        );
    }
    assert!(
        sent.is_err() || recovered || lines.last().is_some_and(|l| l.starts_with("421")),
        "after garbage the connection neither recovered nor was closed with a reply: {lines:?}"
    );
    assert_eq!(server.root.names(), [b"keep".to_vec()]);
    still_serves(&server);
}

#[test]
fn unknown_command_is_500() {
    let server = Server::start(&[]);
    let mut raw = logged_in(&server);
    raw.send(b"FROB x y\nfrob\n\0\nPWD\n");
    for want in ["500 unknown command 'FROB'", "500 unknown command 'FROB'"] {
        assert_eq!(next_line(&mut raw, CLOSE_WAIT), Next::Line(want.into()));
    }
    match next_line(&mut raw, CLOSE_WAIT) {
        Next::Line(l) => assert!(l.starts_with("500 "), "NUL command -> {l}"),
        other => panic!("NUL command -> {other:?}"),
    }
    assert_eq!(next_line(&mut raw, CLOSE_WAIT), Next::Line("257 /".into()));
    still_serves(&server);
}

#[test]
fn megabyte_line_is_one_500_and_discarded_whole() {
    let server = Server::start(&[]);
    server.root.write("victim", b"v");
    let mut raw = logged_in(&server);
    // Full of commands: were the line cut into pieces, some would run.
    let mut line = Vec::with_capacity(1 << 20);
    while line.len() < (1 << 20) {
        line.extend_from_slice(b"DELE victim\rNOOP ");
    }
    let sent = try_send(&mut raw, &line)
        .and_then(|()| try_send(&mut raw, b"\n"))
        .and_then(|()| try_send(&mut raw, b"PWD\n"));
    assert!(
        sent.is_ok(),
        "the server stopped reading a long line: {sent:?}"
    );
    let mut lines = Vec::new();
    loop {
        match next_line(&mut raw, Duration::from_secs(10)) {
            Next::Line(l) if l == "257 /" => break,
            Next::Line(l) => lines.push(l),
            other => panic!("connection {other:?} after a long line; replies {lines:?}"),
        }
        assert!(lines.len() < 100, "replies never end: {lines:?}");
    }
    assert_eq!(
        lines,
        [format!("500 line longer than {MAX_LINE_BYTES} bytes")],
        "want exactly one 500 for the long line"
    );
    assert_eq!(server.root.names(), [b"victim".to_vec()]);
    still_serves(&server);
}

#[test]
fn line_at_the_limit_is_read_one_byte_more_is_refused() {
    let server = Server::start(&[]);
    let mut raw = logged_in(&server);
    // NOOP, padded with spaces to exactly the limit with its newline.
    let mut at = b"NOOP".to_vec();
    at.resize(MAX_LINE_BYTES - 1, b' ');
    at.push(b'\n');
    assert_eq!(at.len(), MAX_LINE_BYTES);
    raw.send(&at);
    assert_eq!(next_line(&mut raw, CLOSE_WAIT), Next::Line("200 ok".into()));
    let mut over = b"NOOP".to_vec();
    over.resize(MAX_LINE_BYTES, b' ');
    over.push(b'\n');
    raw.send(&over);
    assert_eq!(
        next_line(&mut raw, CLOSE_WAIT),
        Next::Line(format!("500 line longer than {MAX_LINE_BYTES} bytes"))
    );
    // CR LF: the CR counts toward the limit too, and the line still works.
    let mut crlf = b"NOOP".to_vec();
    crlf.resize(MAX_LINE_BYTES - 2, b' ');
    crlf.extend_from_slice(b"\r\n");
    raw.send(&crlf);
    assert_eq!(next_line(&mut raw, CLOSE_WAIT), Next::Line("200 ok".into()));
    raw.send(b"PWD\n");
    assert_eq!(next_line(&mut raw, CLOSE_WAIT), Next::Line("257 /".into()));
    still_serves(&server);
}

#[test]
fn too_many_words_are_refused() {
    let server = Server::start(&[]);
    let mut raw = logged_in(&server);
    raw.send(b"RENAME a b c d e f g h\n");
    assert_eq!(
        next_line(&mut raw, CLOSE_WAIT),
        Next::Line("500 too many words".into())
    );
    let many = format!("NOOP{}\n", " x".repeat(10_000));
    raw.send(many.as_bytes());
    assert_eq!(
        next_line(&mut raw, CLOSE_WAIT),
        Next::Line("500 too many words".into())
    );
    // Eight words is the most, and a known command with too many arguments
    // is a usage error.
    raw.send(b"RENAME a b c d e f g\n");
    match next_line(&mut raw, CLOSE_WAIT) {
        Next::Line(l) => assert!(l.starts_with("501 usage: RENAME"), "{l}"),
        other => panic!("{other:?}"),
    }
    raw.send(b"PWD\n");
    assert_eq!(next_line(&mut raw, CLOSE_WAIT), Next::Line("257 /".into()));
    still_serves(&server);
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
        if lines.iter().any(|l| l.starts_with("250"))
            || survived.as_deref() != Some(&b"precious"[..])
            || !closed
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

#[test]
fn a_client_that_never_reads_does_not_hold_up_others() {
    // Far more than the loopback socket buffers hold, so the server blocks.
    const BIG_BYTES: usize = 64 * 1024 * 1024;
    // The write timeout is per write and the kernel keeps taking a few bytes
    // now and then, so giving up takes a few idle timeouts, not one.
    const GIVE_UP_WAIT: Duration = Duration::from_secs(20);
    let server = Server::start(&["--idle-timeout", "2"]);
    server.root.write("big", data(BIG_BYTES, 7));
    server.root.write("small", b"small");
    let mut raw = logged_in(&server);
    raw.send(b"RETR big\n");
    // Others are served while the server is stuck writing to `raw`.
    thread::sleep(Duration::from_millis(500));
    let local = TempDir::new();
    let started = Instant::now();
    let run = server.client(local.path(), "pwd\nget small\nls\n");
    run.expect(0);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a normal client took {:?} while another stalled\n{}",
        started.elapsed(),
        run.dump()
    );
    assert_eq!(
        std::fs::read(local.join("small")).ok().as_deref(),
        Some(&b"small"[..])
    );
    // The stalled download is given up without the client ever reading.
    assert!(
        server.wait_log("get '/big'", GIVE_UP_WAIT),
        "the server still waits on a client that never reads:\n{}",
        server.log()
    );
    let line = server
        .log()
        .lines()
        .find(|l| l.contains("get '/big'"))
        .map(str::to_string)
        .unwrap_or_default();
    assert!(
        line.contains("aborted"),
        "the stalled download was logged as {line:?}"
    );
    // Reading now finds the end of the stream well before the whole file.
    let mut received = 0usize;
    let mut buf = vec![0; 1 << 20];
    let until = Instant::now() + Duration::from_secs(30);
    let ended = loop {
        if Instant::now() > until {
            break false;
        }
        let _ = raw.stream.set_read_timeout(Some(Duration::from_secs(5)));
        match raw.reader.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => received += n,
            Err(e) if is_timeout(&e) => break false,
            Err(_) => break true,
        }
    };
    assert!(
        ended,
        "the stalled download's stream did not end ({received} bytes read)"
    );
    assert!(
        received < BIG_BYTES,
        "the whole file ({received} bytes) arrived; the test needs a bigger file"
    );
    still_serves(&server);
}

#[test]
fn slow_loris_login_is_cut_off_by_the_deadline() {
    // With --idle-timeout 2 the login deadline is 2 s from connect, however
    // the bytes trickle in.
    const MAX_BYTES: usize = 100;
    let server = Server::start(&["--idle-timeout", "2"]);
    let mut raw = server.raw();
    let started = Instant::now();
    assert!(matches!(next_line(&mut raw, CLOSE_WAIT), Next::Line(l) if l.starts_with("220 ")));
    let line = format!("USER {}\n", "a".repeat(MAX_BYTES));
    let mut lines = Vec::new();
    let mut closed_at = None;
    for &b in line.as_bytes().iter().take(MAX_BYTES) {
        if started.elapsed() > Duration::from_secs(8) {
            break;
        }
        if try_send(&mut raw, &[b]).is_err() {
            closed_at = Some(started.elapsed());
            break;
        }
        match next_line(&mut raw, Duration::from_millis(100)) {
            Next::Line(l) => lines.push(l),
            Next::Closed => {
                closed_at = Some(started.elapsed());
                break;
            }
            Next::Silent => {}
        }
    }
    let closed_at = closed_at.unwrap_or_else(|| {
        panic!(
            "still open after {:?}; replies {lines:?}",
            started.elapsed()
        )
    });
    assert!(
        closed_at < Duration::from_secs(4),
        "closed only after {closed_at:?}; replies {lines:?}"
    );
    assert!(
        closed_at > Duration::from_millis(1500),
        "closed too early ({closed_at:?}), before the deadline; replies {lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("421 ")),
        "no 421 before closing: {lines:?}"
    );
    still_serves(&server);
}

#[test]
fn clients_beyond_max_clients_get_421() {
    let server = Server::start(&["--max-clients", "2"]);
    let mut hogs: Vec<Raw> = (0..2).map(|_| server.raw()).collect();
    for h in &mut hogs {
        assert!(matches!(next_line(h, CLOSE_WAIT), Next::Line(l) if l.starts_with("220 ")));
    }
    for i in 0..4 {
        let mut extra = server.raw();
        let first = next_line(&mut extra, CLOSE_WAIT);
        assert!(
            matches!(&first, Next::Line(l) if l.starts_with("421 ")),
            "extra connection {i}: {first:?}"
        );
        let (rest, closed) = lines_until_closed(&mut extra, CLOSE_WAIT);
        assert!(
            closed && rest.is_empty(),
            "extra {i} after 421: {rest:?} closed {closed}"
        );
    }
    // A logged-in hog still works, and once the hogs leave others get in.
    let mut hog = hogs.remove(0);
    hog.send(format!("USER rftp\nPASS {PASSWORD}\nPWD\n").as_bytes());
    for want in ["331", "230", "257"] {
        let got = next_line(&mut hog, CLOSE_WAIT);
        assert!(
            matches!(&got, Next::Line(l) if l.starts_with(want)),
            "{want}: {got:?}"
        );
    }
    drop(hog);
    drop(hogs);
    let local = TempDir::new();
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let run = server.client(local.path(), "pwd\n");
        if run.code() == 0 {
            break;
        }
        assert!(
            Instant::now() < until,
            "no room after the hogs left\n{}",
            run.dump()
        );
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn silent_refused_connections_do_not_stall_the_accept_loop() {
    // Connections past the limit that say nothing and stay open must each
    // get their 421 at once, not one after another's timeout.
    const EXTRAS: usize = 4;
    let server = Server::start(&["--max-clients", "1"]);
    let mut hog = server.raw();
    assert!(matches!(next_line(&mut hog, CLOSE_WAIT), Next::Line(l) if l.starts_with("220 ")));
    let started = Instant::now();
    let mut extras: Vec<Raw> = (0..EXTRAS).map(|_| server.raw()).collect();
    let mut times = Vec::new();
    for (i, extra) in extras.iter_mut().enumerate() {
        let first = next_line(extra, Duration::from_secs(15));
        assert!(
            matches!(&first, Next::Line(l) if l.starts_with("421 ")),
            "extra connection {i}: {first:?}"
        );
        times.push(started.elapsed());
    }
    assert!(
        times.iter().all(|t| *t < Duration::from_secs(3)),
        "421 replies to silent extra connections arrived at {times:?}: the accept loop waits on each"
    );
    drop(extras);
    drop(hog);
}
