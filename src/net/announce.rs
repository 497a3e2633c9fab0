//! The server's side of discovery: a thread that answers probes on the
//! server's own port over UDP (IPv6, which also takes IPv4 where the OS is
//! dual-stack, plus an IPv4 socket where it is not). Answers are bounded in
//! size by `probe` and in rate by a token bucket shared by all sockets.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::probe;

/// Most answers per second, over all peers.
const ANSWERS_PER_SECOND: f64 = 20.0;
/// Most answers in one burst.
const ANSWER_BURST: f64 = 20.0;
/// Peers on ports below this get no answer: a forged probe "from" a
/// system service cannot aim answers at it.
const LOWEST_PEER_PORT: u16 = 1024;
/// Pause after a failed receive, so that an error cannot spin.
const RECEIVE_RETRY_DELAY: Duration = Duration::from_millis(100);

/// A token bucket: `take` is true while the rate is not exceeded.
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn take(&mut self, now: Instant) -> bool {
        let refill = now.duration_since(self.last).as_secs_f64() * ANSWERS_PER_SECOND;
        self.tokens = (self.tokens + refill).min(ANSWER_BURST);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What an answer says about this server.
struct Identity {
    id: String,
    port: u16,
    name: String,
}

/// Start answering probes on UDP `port` for the TCP server on the same port;
/// returns the addresses it answers on.
pub fn start(port: u16) -> io::Result<Vec<SocketAddr>> {
    let mut sockets = Vec::new();
    let v6 = UdpSocket::bind((Ipv6Addr::UNSPECIFIED, port));
    if let Ok(s) = v6 {
        sockets.push(s);
    }
    // Succeeds only where IPv6 sockets do not also take IPv4.
    match UdpSocket::bind((Ipv4Addr::UNSPECIFIED, port)) {
        Ok(s) => sockets.push(s),
        Err(e) if sockets.is_empty() => return Err(e),
        Err(_) => {}
    }
    let who = Arc::new(Identity {
        id: probe::token(crate::sys::random::<8>()?),
        port,
        name: host_name(),
    });
    let bucket = Arc::new(Mutex::new(Bucket {
        tokens: ANSWER_BURST,
        last: Instant::now(),
    }));
    let mut bound = Vec::new();
    for s in sockets {
        bound.push(s.local_addr()?);
        let (who, bucket) = (Arc::clone(&who), Arc::clone(&bucket));
        thread::Builder::new().spawn(move || answer_loop(&s, &who, &bucket))?;
    }
    Ok(bound)
}

/// This machine's host name, as the kernel has it.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default()
}

/// Whether `peer` may get an answer at all.
fn answerable(peer: &SocketAddr) -> bool {
    let ip = peer.ip().to_canonical();
    let odd = ip.is_unspecified()
        || ip.is_multicast()
        || matches!(ip, IpAddr::V4(v4) if v4.is_broadcast());
    !odd && peer.port() >= LOWEST_PEER_PORT
}

fn answer_loop(socket: &UdpSocket, who: &Identity, bucket: &Mutex<Bucket>) {
    let mut buf = [0u8; probe::MAX_PROBE_BYTES + 1];
    loop {
        let (n, peer) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(_) => {
                thread::sleep(RECEIVE_RETRY_DELAY);
                continue;
            }
        };
        let Some(nonce) = buf.get(..n).and_then(probe::parse_probe) else {
            continue;
        };
        if !answerable(&peer) {
            continue;
        }
        let allowed = bucket
            .lock()
            .map(|mut b| b.take(Instant::now()))
            .unwrap_or(false);
        if allowed {
            let a = probe::answer(nonce, &who.id, who.port, &who.name, n);
            let _ = socket.send_to(&a, peer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_limits_the_rate() {
        let t0 = Instant::now();
        let mut b = Bucket {
            tokens: ANSWER_BURST,
            last: t0,
        };
        let burst = (0..100).filter(|_| b.take(t0)).count();
        assert_eq!(burst, ANSWER_BURST as usize);
        let later = (0..100)
            .filter(|_| b.take(t0 + Duration::from_secs(1)))
            .count();
        assert_eq!(later, ANSWERS_PER_SECOND as usize);
    }

    #[test]
    fn odd_peers_get_no_answer() {
        assert!(answerable(&"[fe80::1%2]:40000".parse().unwrap()));
        assert!(!answerable(&"10.0.0.1:53".parse().unwrap()));
        assert!(!answerable(&"255.255.255.255:40000".parse().unwrap()));
        assert!(!answerable(&"[ff02::1]:40000".parse().unwrap()));
    }
}
