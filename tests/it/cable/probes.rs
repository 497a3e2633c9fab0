//! The discovery responder against a hostile peer, on loopback (no root
//! needed): short or malformed probes get nothing, an answer is never larger
//! than its probe, and a flood gets at most a burst of answers.

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::util::{PASSWORD, TempDir, bin};

/// How long to wait for an answer that should come.
const ANSWER_WAIT: Duration = Duration::from_secs(2);
/// How long to wait to be sure no answer comes.
const SILENCE_WAIT: Duration = Duration::from_millis(300);
/// Probes in the flood; far more than the server's burst.
const FLOOD: usize = 200;

/// A server on every interface at a free port, killed by PID on drop.
struct Wild {
    child: Child,
    port: u16,
}

impl Drop for Wild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(root: &TempDir) -> Wild {
    let mut child = Command::new(bin())
        .args(["-l", "0", "-r"])
        .arg(root.path())
        .env("RFTP_PASSWORD", PASSWORD)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(p) = line.strip_prefix("listening on [::]:") {
                let _ = tx.send(p.split(' ').next().unwrap_or("").parse::<u16>().ok());
            }
        }
    });
    let port = rx.recv_timeout(ANSWER_WAIT).ok().flatten();
    let mut w = Wild { child, port: 0 };
    w.port = port.expect("the server printed its port");
    w
}

fn probe(nonce: &str, len: usize) -> Vec<u8> {
    let mut p = format!("RFTP-FIND 1 {nonce}\n").into_bytes();
    p.resize(len, b' ');
    p
}

/// Every datagram that arrives within `wait`.
fn answers(s: &UdpSocket, wait: Duration) -> Vec<Vec<u8>> {
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let until = Instant::now() + wait;
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    while Instant::now() < until {
        if let Ok(n) = s.recv(&mut buf) {
            got.push(buf[..n].to_vec());
        }
    }
    got
}

#[test]
fn discovery_answers_are_bounded_and_rate_limited() {
    let root = TempDir::new();
    let server = serve(&root);
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.connect(("127.0.0.1", server.port)).unwrap();
    let nonce = "0123456789abcdef";
    for bad in [
        probe(nonce, 127),
        probe("0123", 128),
        b"x".repeat(128),
        probe(nonce, 600),
    ] {
        s.send(&bad).unwrap();
    }
    assert!(answers(&s, SILENCE_WAIT).is_empty());
    s.send(&probe(nonce, 128)).unwrap();
    let got = answers(&s, SILENCE_WAIT.max(Duration::from_millis(500)));
    assert_eq!(got.len(), 1, "{got:?}");
    let text = String::from_utf8_lossy(&got[0]);
    assert!(text.starts_with(&format!("RFTP-HERE 1 {nonce} ")), "{text}");
    assert!(got[0].len() <= 128 && !text.contains("rftp "), "{text}");
    assert!(text.contains(&format!(" {} ", server.port)), "{text}");
    for _ in 0..FLOOD {
        let _ = s.send(&probe(nonce, 128));
    }
    let flood = answers(&s, SILENCE_WAIT);
    assert!(
        !flood.is_empty() && flood.len() <= 40,
        "{} answers",
        flood.len()
    );
}
