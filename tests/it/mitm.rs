//! A man in the middle on loopback, between the real client and the real
//! server: what it captures holds neither the password, nor the user name,
//! nor any file's bytes; and a record it changes, replays, reorders or cuts
//! ends the session with no file published on either side.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::util::{PASSWORD, Run, Server, TempDir, data};

/// How long the proxy waits for a connection, and each side for bytes.
const PROXY_WAIT: Duration = Duration::from_secs(30);
/// Most records one direction forwards.
const MAX_RECORDS: usize = 1 << 20;
/// Most clear lines one direction forwards before the records begin.
const MAX_CLEAR_LINES: usize = 16;
/// Size of the files moved through the proxy: several records' worth.
const FILE_BYTES: usize = 200_000;

/// A direction through the proxy.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Dir {
    ToServer,
    ToClient,
}

/// What the proxy does to the records of one direction.
#[derive(Clone, Copy, Debug)]
enum Tamper {
    /// Forward everything as it is.
    Nothing,
    /// Flip one bit of record N's ciphertext or tag.
    Flip(Dir, usize),
    /// Send record N twice.
    Replay(Dir, usize),
    /// Send record N+1 before record N.
    Reorder(Dir, usize),
    /// Forward records before N, then cut the connection.
    Truncate(Dir, usize),
}

/// A one-connection proxy; `capture` holds every byte it forwarded.
struct Proxy {
    port: u16,
    capture: Arc<Mutex<Vec<u8>>>,
    done: Option<thread::JoinHandle<()>>,
}

impl Proxy {
    fn start(server_port: u16, tamper: Tamper) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let capture = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&capture);
        let done = thread::spawn(move || {
            listener.set_nonblocking(true).unwrap();
            let until = Instant::now() + PROXY_WAIT;
            let client = loop {
                match listener.accept() {
                    Ok((s, _)) => break s,
                    Err(_) if Instant::now() < until => thread::sleep(Duration::from_millis(5)),
                    Err(_) => return,
                }
            };
            client.set_nonblocking(false).unwrap();
            let server = TcpStream::connect(("127.0.0.1", server_port)).unwrap();
            for s in [&client, &server] {
                s.set_read_timeout(Some(PROXY_WAIT)).unwrap();
            }
            let up = {
                let (from, to, sink) = (
                    client.try_clone().unwrap(),
                    server.try_clone().unwrap(),
                    Arc::clone(&sink),
                );
                thread::spawn(move || forward(from, to, Dir::ToServer, tamper, &sink))
            };
            forward(server, client, Dir::ToClient, tamper, &sink);
            let _ = up.join();
        });
        Proxy {
            port,
            capture,
            done: Some(done),
        }
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Wait for both directions to end; everything forwarded.
    fn finish(mut self) -> Vec<u8> {
        if let Some(t) = self.done.take() {
            let _ = t.join();
        }
        self.capture.lock().unwrap().clone()
    }
}

/// Copy one direction: clear lines up to the one after which records begin
/// (`CONFIRM` to the server, `235` to the client), then record by record,
/// tampering as asked. Either side's end ends both.
fn forward(from: TcpStream, mut to: TcpStream, dir: Dir, tamper: Tamper, sink: &Mutex<Vec<u8>>) {
    let mut r = BufReader::new(from.try_clone().unwrap());
    let send = |bytes: &[u8], to: &mut TcpStream| {
        sink.lock().unwrap().extend_from_slice(bytes);
        to.write_all(bytes).is_ok()
    };
    let switch = if dir == Dir::ToServer {
        "CONFIRM "
    } else {
        "235 "
    };
    let mut line = Vec::new();
    let mut clear_done = false;
    for _ in 0..MAX_CLEAR_LINES {
        line.clear();
        if r.read_until(b'\n', &mut line).unwrap_or(0) == 0 || !send(&line, &mut to) {
            return cut(&from, &to);
        }
        if line.starts_with(switch.as_bytes()) {
            clear_done = true;
            break;
        }
    }
    if !clear_done {
        return cut(&from, &to);
    }
    let mut held: Option<Vec<u8>> = None;
    for n in 0..MAX_RECORDS {
        let Some(mut record) = read_record(&mut r) else {
            break;
        };
        let mine = |d: Dir, i: usize| d == dir && i == n;
        match tamper {
            Tamper::Flip(d, i) if mine(d, i) => {
                let at = 3 + (n * 7919 + 5) % (record.len() - 3);
                record[at] ^= 0x10;
            }
            // Sent once here and once more below.
            Tamper::Replay(d, i) if mine(d, i) && !send(&record, &mut to) => break,
            Tamper::Reorder(d, i) if mine(d, i) => {
                held = Some(record);
                continue;
            }
            Tamper::Truncate(d, i) if mine(d, i) => break,
            _ => {}
        }
        if !send(&record, &mut to) {
            break;
        }
        if let Some(h) = held.take()
            && !send(&h, &mut to)
        {
            break;
        }
    }
    cut(&from, &to);
}

/// One record, header included; `None` at the end of the stream.
fn read_record(r: &mut impl Read) -> Option<Vec<u8>> {
    let mut header = [0u8; 3];
    r.read_exact(&mut header).ok()?;
    let len = usize::from(u16::from_be_bytes([header[1], header[2]]));
    let mut record = header.to_vec();
    record.resize(3 + len, 0);
    r.read_exact(&mut record[3..]).ok()?;
    Some(record)
}

fn cut(a: &TcpStream, b: &TcpStream) {
    let _ = a.shutdown(Shutdown::Both);
    let _ = b.shutdown(Shutdown::Both);
}

/// Every 12-byte window of `bytes`.
fn windows(bytes: &[u8]) -> HashSet<&[u8]> {
    bytes.windows(12).collect()
}

/// Names in `dir` other than the ones given (what a test left behind).
fn extra_names(dir: &TempDir, expected: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = dir
        .names()
        .iter()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    names.retain(|n| !expected.contains(&n.as_str()));
    names
}

#[test]
fn a_capture_holds_neither_password_nor_user_name_nor_file_bytes() {
    const USER: &str = "alice-the-user";
    let server = Server::start(&["-u", USER]);
    let down = data(FILE_BYTES, 11);
    server.root.write("down.bin", &down);
    let local = TempDir::new();
    let up = data(FILE_BYTES, 12);
    local.write("up.bin", &up);
    let proxy = Proxy::start(server.port, Tamper::Nothing);
    let run = Run::new(
        &["-c", &proxy.addr(), "-u", USER],
        Some(PASSWORD),
        local.path(),
        b"get down.bin\nput up.bin\nls\n",
    );
    run.expect(0);
    assert_eq!(std::fs::read(local.join("down.bin")).unwrap(), down);
    assert_eq!(std::fs::read(server.root.join("up.bin")).unwrap(), up);
    let capture = proxy.finish();
    assert!(
        capture.len() > 2 * FILE_BYTES,
        "captured only {} bytes",
        capture.len()
    );
    let seen = windows(&capture);
    for secret in [PASSWORD.as_bytes(), USER.as_bytes(), b"down.bin", b"up.bin"] {
        assert!(
            !capture.windows(secret.len()).any(|w| w == secret),
            "{:?} crossed in clear",
            String::from_utf8_lossy(secret)
        );
    }
    for file in [&down, &up] {
        let leaked = file.windows(12).filter(|w| seen.contains(w)).count();
        assert_eq!(
            leaked, 0,
            "{leaked} 12-byte pieces of a file crossed in clear"
        );
    }
}

/// Run `script` through a proxy that tampers; the client must fail and
/// neither side may publish a file.
fn tampered_session_publishes_nothing(tamper: Tamper, script: &str) {
    let server = Server::start(&[]);
    server.root.write("down.bin", data(FILE_BYTES, 21));
    let local = TempDir::new();
    local.write("up.bin", data(FILE_BYTES, 22));
    let proxy = Proxy::start(server.port, tamper);
    let run = Run::new(
        &["-c", &proxy.addr()],
        Some(PASSWORD),
        local.path(),
        script.as_bytes(),
    );
    assert_ne!(
        run.code(),
        0,
        "{tamper:?}: the session went on\n{}",
        run.dump()
    );
    proxy.finish();
    // A cut transfer keeps its authentic partial data for `-c`, never
    // under the real name; a forged record leaves nothing at all.
    let cut = matches!(tamper, Tamper::Truncate(..));
    let left = |dir: &TempDir, keep: &str| {
        let mut names = extra_names(dir, &[keep]);
        names.retain(|n| !(cut && n.starts_with(".rftp-part.")));
        names
    };
    assert_eq!(
        left(&local, "up.bin"),
        Vec::<String>::new(),
        "{tamper:?}: client kept a file"
    );
    assert!(
        server.wait_log("close after", Duration::from_secs(5)),
        "{}",
        server.log()
    );
    assert_eq!(
        left(&server.root, "down.bin"),
        Vec::<String>::new(),
        "{tamper:?}: server kept a file"
    );
}

#[test]
fn one_flipped_bit_in_any_record_ends_the_session_and_publishes_nothing() {
    for n in [0, 1, 2, 5, 9] {
        tampered_session_publishes_nothing(Tamper::Flip(Dir::ToServer, n), "put up.bin\n");
        tampered_session_publishes_nothing(Tamper::Flip(Dir::ToClient, n), "get down.bin\n");
    }
}

#[test]
fn replayed_reordered_and_truncated_records_are_refused() {
    for tamper in [
        Tamper::Replay(Dir::ToServer, 2),
        Tamper::Reorder(Dir::ToServer, 1),
        Tamper::Truncate(Dir::ToServer, 3),
        Tamper::Replay(Dir::ToClient, 2),
        Tamper::Reorder(Dir::ToClient, 1),
        Tamper::Truncate(Dir::ToClient, 3),
    ] {
        let script = if matches!(
            tamper,
            Tamper::Replay(Dir::ToServer, _)
                | Tamper::Reorder(Dir::ToServer, _)
                | Tamper::Truncate(Dir::ToServer, _)
        ) {
            "put up.bin\n"
        } else {
            "get down.bin\n"
        };
        tampered_session_publishes_nothing(tamper, script);
    }
}

#[test]
fn the_server_logs_a_record_that_fails_to_open() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    local.write("up.bin", data(FILE_BYTES, 23));
    let proxy = Proxy::start(server.port, Tamper::Flip(Dir::ToServer, 3));
    let run = Run::new(
        &["-c", &proxy.addr()],
        Some(PASSWORD),
        local.path(),
        b"put up.bin\n",
    );
    assert_ne!(run.code(), 0);
    proxy.finish();
    assert!(
        server.wait_log("failed to authenticate", Duration::from_secs(5)),
        "{}",
        server.log()
    );
}
