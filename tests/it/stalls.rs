//! Clients that stop reading or read a trickle: once a client takes less
//! than the server's minimum progress (1 MiB) in an idle timeout, the
//! connection is closed about one idle timeout after the stall began, and
//! the log says "timed out". A slow reader that keeps taking data stays.

use std::io::Read;
use std::thread;
use std::time::{Duration, Instant};

use crate::util::{Raw, Server, data};

/// `--idle-timeout` for these tests, in seconds.
const IDLE_SECS: u64 = 3;
/// A file far larger than the loopback socket buffers.
const BIG_BYTES: usize = 4 * 1024 * 1024;
/// Downloads pipelined at once, never read.
const RETRS: usize = 20;
/// Longest the test waits for the cut (a bound, not the expected time).
const GIVE_UP: Duration = Duration::from_secs(20);

/// A server with `big` and a logged-in raw client that has asked for it
/// `RETRS` times in one write; returns them and when the requests went.
fn pipelined_downloads() -> (Server, Raw, Instant) {
    let idle = IDLE_SECS.to_string();
    let server = Server::start(&["--idle-timeout", &idle]);
    server.root.write("big", data(BIG_BYTES, 5));
    let mut raw = server.raw();
    raw.login();
    raw.send("RETR big\n".repeat(RETRS).as_bytes());
    (server, raw, Instant::now())
}

/// Assert the connection was cut as timed out, under twice the idle
/// timeout after `sent`, with a log that says so.
#[track_caller]
fn assert_cut_in_time(server: &Server, sent: Instant) {
    assert!(
        server.wait_log("(timed out)", GIVE_UP),
        "never cut:\n{}",
        server.log()
    );
    let took = sent.elapsed();
    assert!(
        took < Duration::from_secs(2 * IDLE_SECS),
        "cut after {took:?}, idle timeout {IDLE_SECS}s:\n{}",
        server.log()
    );
    let log = server.log();
    assert!(log.contains("aborted (timed out)"), "{log}");
    assert!(!log.contains("in progress"), "{log}");
}

#[test]
fn a_client_that_never_reads_pipelined_downloads_is_cut_in_one_idle_timeout() {
    let (server, _raw, sent) = pipelined_downloads();
    assert_cut_in_time(&server, sent);
}

#[test]
fn a_trickle_reader_is_cut_like_one_that_never_reads() {
    const TRICKLE_BYTES: usize = 64;
    const TRICKLE_EVERY: Duration = Duration::from_millis(500);
    let (server, mut raw, sent) = pipelined_downloads();
    let until = Instant::now() + GIVE_UP;
    let mut buf = [0; TRICKLE_BYTES];
    raw.stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    while Instant::now() < until && !server.log().contains("(timed out)") {
        // Straight from the socket: the BufReader would take 8 KiB at once.
        let _ = raw.stream.read(&mut buf);
        thread::sleep(TRICKLE_EVERY);
    }
    assert_cut_in_time(&server, sent);
}

#[test]
fn a_slow_reader_that_keeps_taking_data_is_not_cut() {
    const SLICE_BYTES: usize = 256 * 1024;
    const SLICE_EVERY: Duration = Duration::from_millis(250);
    const READ_FOR: Duration = Duration::from_secs(2 * IDLE_SECS);
    let (server, mut raw, _) = pipelined_downloads();
    let started = Instant::now();
    let mut buf = vec![0; SLICE_BYTES];
    let mut total = 0;
    raw.stream
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    while started.elapsed() < READ_FOR {
        let mut got = 0;
        while got < SLICE_BYTES {
            match raw.stream.read(&mut buf[got..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
        total += got;
        thread::sleep(SLICE_EVERY);
    }
    assert!(total > SLICE_BYTES, "read only {total} bytes");
    assert!(!server.log().contains("timed out"), "{}", server.log());
}
