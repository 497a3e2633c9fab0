//! Helpers for the raw-socket attackers: the wire's limits as the tests see
//! them, reading replies with a deadline (a line, silence or a close),
//! sending to a server that may have hung up, logging in, and checking that
//! an ordinary client is still served. No tests here, and nothing that
//! builds files in the root.

use std::io::{self, BufRead, Write};
use std::time::{Duration, Instant};

use crate::util::{Raw, Server, TempDir};

/// The wire's line limit, newline included (`MAX_LINE_BYTES`).
pub const MAX_LINE_BYTES: usize = 32 * 1024;
/// Bytes in a full payload chunk.
pub const CHUNK_BYTES: usize = 2048;

/// How long to wait for the server to close a connection it must close.
pub const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// What reading the next reply line found.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// A reply line, newline removed (bytes shown lossily).
    Line(String),
    /// The server closed the connection (end of stream or reset).
    Closed,
    /// Nothing arrived in time.
    Silent,
}

/// Read the next line within `wait`, keeping partial data across timeouts.
pub fn next_line(raw: &mut Raw, wait: Duration) -> Next {
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

/// True if `e` is a read that timed out (or was interrupted), not an end.
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Read reply lines until the server closes or `wait` passes; returns the
/// lines and whether it closed.
pub fn lines_until_closed(raw: &mut Raw, wait: Duration) -> (Vec<String>, bool) {
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
pub fn try_send(raw: &mut Raw, bytes: &[u8]) -> io::Result<()> {
    raw.stream.write_all(bytes)
}

/// A logged-in raw connection.
pub fn logged_in(server: &Server) -> Raw {
    let mut raw = server.raw();
    raw.login();
    raw
}

/// An ordinary client still gets served.
#[track_caller]
pub fn still_serves(server: &Server) {
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
