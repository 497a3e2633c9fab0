//! The client's side of discovery: one probe to the IPv6 all-nodes group
//! (`ff02::1`) on every interface that is up and does multicast, one IPv4
//! broadcast per IPv4 address plus the limited broadcast, then the answers
//! heard within `FIND_WAIT`, one per server.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
use std::time::{Duration, Instant};

use super::ifaces::{self, Iface};
use super::probe;

/// How long to listen for answers after the probes went out.
pub const FIND_WAIT: Duration = Duration::from_millis(800);
/// Most servers listed.
const MAX_SERVERS: usize = 32;
/// Most datagrams read while waiting (answers, and anything else).
const MAX_DATAGRAMS: usize = 256;
/// Read timeout per datagram: how often the deadline is checked.
const POLL: Duration = Duration::from_millis(50);

/// A server that answered.
#[derive(Debug, Clone)]
pub struct Found {
    /// Where to connect (its address, with the zone of our interface).
    pub addr: SocketAddr,
    /// The name it gave.
    pub name: String,
    /// `fe80::1%eth0` style, for messages and for `-c`.
    pub shown: String,
}

/// What a search did: the servers found, and where it asked.
pub struct Search {
    /// One entry per server, in the order they answered.
    pub found: Vec<Found>,
    /// Where probes went, for "nothing answered" messages.
    pub asked: Vec<String>,
}

/// Ask every directly attached link for rftp servers on `port`.
pub fn search(port: u16) -> Search {
    let ifs = ifaces::list();
    let nonce = crate::sys::random::<8>()
        .map(probe::token)
        .unwrap_or_else(|_| "0".repeat(16));
    let datagram = probe::probe(&nonce);
    let mut asked = Vec::new();
    let mut sockets = Vec::new();
    if let Ok(s6) = UdpSocket::bind((Ipv6Addr::UNSPECIFIED, 0)) {
        for i in ifs.iter().filter(|i| i.up && !i.loopback && i.multicast) {
            let to =
                SocketAddrV6::new(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1), port, 0, i.index);
            if s6.send_to(&datagram, to).is_ok() {
                asked.push(format!("ff02::1%{} (IPv6 all-nodes)", i.name));
            }
        }
        sockets.push(s6);
    }
    if let Ok(s4) = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)) {
        let _ = s4.set_broadcast(true);
        for to in broadcasts(&ifs) {
            if s4.send_to(&datagram, SocketAddrV4::new(to, port)).is_ok() {
                asked.push(format!("{to} (IPv4 broadcast)"));
            }
        }
        sockets.push(s4);
    }
    let found = collect(&sockets, &nonce, &ifs);
    Search { found, asked }
}

/// The IPv4 broadcast address of every IPv4 address on an interface that is
/// up (not the loopback), then the limited broadcast.
fn broadcasts(ifs: &[Iface]) -> Vec<Ipv4Addr> {
    let mut out = Vec::new();
    for i in ifs.iter().filter(|i| i.up && !i.loopback) {
        for (a, prefix) in &i.addrs {
            if let (IpAddr::V4(v4), 1..=30) = (a, prefix) {
                let host_bits = u32::MAX >> prefix;
                out.push(Ipv4Addr::from(u32::from(*v4) | host_bits));
            }
        }
    }
    out.push(Ipv4Addr::BROADCAST);
    out.dedup();
    out
}

/// Read answers until `FIND_WAIT` has passed, one entry per server id.
fn collect(sockets: &[UdpSocket], nonce: &str, ifs: &[Iface]) -> Vec<Found> {
    let until = Instant::now() + FIND_WAIT;
    let mut ids: Vec<String> = Vec::new();
    let mut found = Vec::new();
    let mut buf = [0u8; probe::MAX_PROBE_BYTES];
    for s in sockets {
        let _ = s.set_read_timeout(Some(POLL));
    }
    'wait: for _ in 0..MAX_DATAGRAMS {
        for s in sockets {
            if Instant::now() >= until || found.len() >= MAX_SERVERS {
                break 'wait;
            }
            let Ok((n, from)) = s.recv_from(&mut buf) else {
                continue;
            };
            let Some(a) = buf.get(..n).and_then(|d| probe::parse_answer(d, nonce)) else {
                continue;
            };
            if ids.contains(&a.id) {
                continue;
            }
            ids.push(a.id);
            let addr = SocketAddr::new(from.ip().to_canonical(), a.port);
            let addr = match (addr, from) {
                (SocketAddr::V6(mut v6), SocketAddr::V6(f)) => {
                    v6.set_scope_id(f.scope_id());
                    SocketAddr::V6(v6)
                }
                (a, _) => a,
            };
            found.push(Found {
                shown: show(&addr, ifs),
                addr,
                name: a.name,
            });
        }
    }
    found
}

/// How to type `addr` after `rftp -c`: `fe80::1%eth0`, `[fe80::1%eth0]:2122`,
/// `10.0.0.2`, `10.0.0.2:2122`.
pub fn show(addr: &SocketAddr, ifs: &[Iface]) -> String {
    let host = match addr {
        SocketAddr::V6(v6) if v6.scope_id() != 0 => {
            format!("{}%{}", v6.ip(), ifaces::name_of(ifs, v6.scope_id()))
        }
        a => a.ip().to_string(),
    };
    match (addr.port(), addr.is_ipv6()) {
        (crate::DEFAULT_PORT, _) => host,
        (p, true) => format!("[{host}]:{p}"),
        (p, false) => format!("{host}:{p}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_addresses_from_prefixes() {
        let i = Iface {
            name: "eth0".into(),
            index: 2,
            up: true,
            loopback: false,
            multicast: true,
            addrs: vec![
                ("192.168.1.5".parse().unwrap(), 24),
                ("10.1.2.3".parse().unwrap(), 32),
            ],
        };
        let b = broadcasts(&[i]);
        assert_eq!(
            b,
            vec![Ipv4Addr::new(192, 168, 1, 255), Ipv4Addr::BROADCAST]
        );
    }

    #[test]
    fn shown_as_typed_after_dash_c() {
        let lo = Iface {
            name: "eth0".into(),
            index: 2,
            up: true,
            loopback: false,
            multicast: true,
            addrs: vec![],
        };
        let ifs = [lo];
        assert_eq!(
            show(&"[fe80::1%2]:2121".parse().unwrap(), &ifs),
            "fe80::1%eth0"
        );
        assert_eq!(
            show(&"[fe80::1%2]:99".parse().unwrap(), &ifs),
            "[fe80::1%eth0]:99"
        );
        assert_eq!(show(&"10.0.0.2:99".parse().unwrap(), &ifs), "10.0.0.2:99");
    }
}
