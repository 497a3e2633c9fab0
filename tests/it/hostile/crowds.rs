//! Clients that hold the server up: one that never reads a download, one
//! that trickles its login, and more connections than `--max-clients`
//! allows, silent or not. Others must be served meanwhile, and the stuck
//! ones cut off by their deadlines.

use std::io::Read;
use std::thread;
use std::time::{Duration, Instant};

use crate::fixture::still_serves;
use crate::raw::{
    CLOSE_WAIT, Next, is_timeout, lines_until_closed, logged_in, next_line, try_send,
};
use crate::util::{PASSWORD, Raw, Server, TempDir, data};

#[test]
fn a_client_that_never_reads_does_not_hold_up_others() {
    // Far more than the loopback socket buffers hold (a few MiB for a
    // reader that never reads), so the server blocks.
    const BIG_BYTES: usize = 16 * 1024 * 1024;
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
    let mut greetings = Vec::new();
    for h in &mut hogs {
        match next_line(h, CLOSE_WAIT) {
            Next::Line(l) if l.starts_with("220 ") => greetings.push(l),
            other => panic!("hog greeting: {other:?}"),
        }
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
    let done = hog.attempt(&greetings[0], "rftp", PASSWORD);
    assert!(done.starts_with("235 "), "hog login: {done}");
    hog.send(b"PWD\n");
    let got = next_line(&mut hog, CLOSE_WAIT);
    assert!(
        matches!(&got, Next::Line(l) if l.starts_with("257")),
        "PWD: {got:?}"
    );
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
