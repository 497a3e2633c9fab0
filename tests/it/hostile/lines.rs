//! Garbage and command lines: binary junk before and after login, unknown
//! commands, lines at and past the length limit, and too many words. Each
//! gets error replies, never a crash or a command run from a piece of a line,
//! and the stream recovers.

use std::time::{Duration, Instant};

use crate::fixture::still_serves;
use crate::raw::{
    CLOSE_WAIT, MAX_LINE_BYTES, Next, lines_until_closed, logged_in, next_line, try_send,
};
use crate::util::{Server, data};

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
    let (lines, closed) = lines_until_closed(&mut raw, Duration::from_secs(3));
    // Every line gets its answer and the connection stays open: garbage is
    // not a login attempt, so it never counts toward the three.
    assert!(
        sent.is_ok() && !closed,
        "garbage before login closed the connection (sent {sent:?}): {lines:?}"
    );
    assert!(!lines.is_empty(), "no reply at all to garbage before login");
    // The overlong line is one 500; every other line, PWD included, is
    // told to log in first.
    let not_login: Vec<&String> = lines
        .iter()
        .filter(|l| *l != "530 log in first (AUTH)")
        .collect();
    assert_eq!(
        not_login,
        [&format!("500 line longer than {MAX_LINE_BYTES} bytes")],
        "unexpected replies to garbage before login: {lines:?}"
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("530 log in first (AUTH)"),
        "PWD before login: {lines:?}"
    );
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
    // Each garbage line is a syntax error (bad quoting, an unknown command,
    // too many words, the overlong line), and PWD then gets its answer.
    for l in &lines {
        assert!(
            code(l) == Some(500),
            "unexpected reply to garbage after login: {l:?}\nall: {lines:?}"
        );
    }
    assert!(
        sent.is_ok() && recovered,
        "after garbage the stream did not recover (sent {sent:?}): {lines:?}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("500 line longer than"))
            .count(),
        1,
        "want exactly one 500 for the overlong line: {lines:?}"
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
