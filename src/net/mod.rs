//! Networking beyond std: address arguments with IPv6 zones (`addr`), this
//! machine's interfaces (`ifaces`), connecting with happy eyeballs (`dial`),
//! and finding servers on the directly attached links (`probe`, `announce`,
//! `find`), plus the server's "how to reach me" lines (`banner`). No file
//! system beyond `/sys` and `/proc`, no login, no protocol.

pub mod addr;
pub mod announce;
pub mod banner;
pub mod dial;
pub mod find;
pub mod ifaces;
pub mod probe;

use std::net::{SocketAddr, TcpStream};

/// Connect to `host` (a name, an address, or an IPv6 address with `%zone`)
/// on `port`. A note (a zone chosen for the user) goes to `note`.
pub fn connect(host: &str, port: u16, note: &mut dyn FnMut(&str)) -> Result<TcpStream, String> {
    let (ip, zone) = match host.split_once('%') {
        Some((h, z)) => (h, Some(z.to_string())),
        None => (host, None),
    };
    let spec = addr::HostSpec {
        host: ip.to_string(),
        zone,
        port,
    };
    // Only an IPv6 address needs this machine's interfaces: a zone to look
    // up or choose, or to name. Asking the kernel costs a netlink exchange.
    let ifs = if ip.contains(':') {
        ifaces::list()
    } else {
        Vec::new()
    };
    let (addrs, chosen) = addr::resolve(&spec, &ifs)?;
    if let Some(n) = chosen {
        note(&n);
    }
    let shown = |a: &SocketAddr| {
        let s = find::show(a, &ifs);
        if a.port() == crate::DEFAULT_PORT {
            format!("{s} port {}", a.port())
        } else {
            s
        }
    };
    dial::dial(&addrs, &shown).map_err(|why| format!("cannot connect to {spec} port {port}: {why}"))
}

/// Find the one server to use on `port`: the only one that answered, or the
/// one the user picks with `pick` (given the list; `None` means there is no
/// one to ask). The error says what was tried or lists the servers.
pub fn choose(
    port: u16,
    pick: &mut dyn FnMut(&[find::Found]) -> Option<usize>,
) -> Result<find::Found, String> {
    let s = find::search(port);
    match s.found.len() {
        0 => Err(format!(
            "no rftp server answered on UDP port {port} within {} ms (asked {}); is 'rftp -l' running on the other machine without --no-announce, and the cable in? Or give its address: rftp -c ADDRESS",
            find::FIND_WAIT.as_millis(),
            if s.asked.is_empty() {
                "nowhere: no interface is up".to_string()
            } else {
                s.asked.join(", ")
            }
        )),
        1 => Ok(s.found[0].clone()),
        _ => match pick(&s.found) {
            Some(i) if i < s.found.len() => Ok(s.found[i].clone()),
            _ => Err(format!(
                "{} servers answered; say which: {}",
                s.found.len(),
                s.found
                    .iter()
                    .map(|f| format!("rftp -c {} ({})", f.shown, f.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        },
    }
}
