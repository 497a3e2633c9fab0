//! Connecting to a server with several addresses the way "happy eyeballs"
//! (RFC 8305) does: the first attempt at once, each next one a short delay
//! later while the earlier ones still run, the first to succeed wins. A
//! failure names every address tried and the likely cause.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long one connection attempt may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Delay before starting the attempt on the next address (RFC 8305: 250 ms).
const ATTEMPT_DELAY: Duration = Duration::from_millis(250);
/// Most addresses tried for one host.
const MAX_ADDRESSES: usize = 8;

/// Connect to the first of `addrs` that answers; `shown` names each address
/// in messages (with its zone as a name). On failure, one message saying what
/// happened at each address and what to check.
pub fn dial(
    addrs: &[SocketAddr],
    shown: &dyn Fn(&SocketAddr) -> String,
) -> Result<TcpStream, String> {
    let addrs = &addrs[..addrs.len().min(MAX_ADDRESSES)];
    if addrs.is_empty() {
        return Err("the name has no address".into());
    }
    let (tx, rx) = mpsc::channel();
    for (i, addr) in addrs.iter().enumerate() {
        let (tx, addr) = (tx.clone(), *addr);
        let delay = ATTEMPT_DELAY * i as u32;
        // A thread that cannot start is one address fewer, reported below.
        let _ = thread::Builder::new().spawn(move || {
            thread::sleep(delay);
            let _ = tx.send((addr, TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)));
        });
    }
    drop(tx);
    let deadline = Instant::now() + CONNECT_TIMEOUT + ATTEMPT_DELAY * addrs.len() as u32;
    let mut failures = Vec::new();
    while failures.len() < addrs.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((_, Ok(stream))) => return Ok(stream),
            // One address is named by the caller's message already.
            Ok((_, Err(e))) if addrs.len() == 1 => failures.push(explain(&e)),
            Ok((addr, Err(e))) => failures.push(format!("{}: {}", shown(&addr), explain(&e))),
            Err(_) => break,
        }
    }
    if failures.is_empty() {
        failures.push(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()));
    }
    Err(failures.join("; "))
}

/// What a connect error means for someone at the keyboard.
pub fn explain(e: &io::Error) -> String {
    let cause = crate::error::Cause::of(e);
    let hint = match e.kind() {
        io::ErrorKind::ConnectionRefused => {
            "nothing listens there: is 'rftp -l' running on that machine, on this port?"
        }
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            "no answer: a firewall dropping the port, the wrong address, or the wrong interface?"
        }
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            "no route: is the cable in, the interface up, and the %IFACE the one the cable is on?"
        }
        io::ErrorKind::InvalidInput => "the address cannot be used (a link-local one needs %IFACE)",
        _ => "",
    };
    if hint.is_empty() {
        cause.to_string()
    } else {
        format!("{cause} ({hint})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn first_live_address_wins_quickly() {
        let live = TcpListener::bind("127.0.0.1:0").unwrap();
        let dead = TcpListener::bind("127.0.0.1:0").unwrap();
        let dead_addr = dead.local_addr().unwrap();
        drop(dead);
        let start = Instant::now();
        let addrs = [dead_addr, live.local_addr().unwrap()];
        let s = dial(&addrs, &|a| a.to_string()).unwrap();
        assert_eq!(s.peer_addr().unwrap(), live.local_addr().unwrap());
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn refusal_names_the_address_and_the_cause() {
        let dead = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = dead.local_addr().unwrap();
        drop(dead);
        let e = dial(&[addr], &|a| a.to_string()).unwrap_err();
        assert!(e.contains("is 'rftp -l' running"), "{e}");
        let e = dial(&[addr, addr], &|a| a.to_string()).unwrap_err();
        assert!(e.contains(&addr.to_string()), "{e}");
    }
}
