//! The server's start lines that say how to reach it: for every interface
//! that is up, each address as the `rftp -c …` command to type on the other
//! machine, link-local ones with `%IFACE`, loopback last.

use std::net::{IpAddr, SocketAddr};

use super::ifaces::{Iface, is_link_local};

/// The lines to print for a server listening on `listen` (the wildcard
/// when on every interface) at `port`; `announce` says whether `rftp -c`
/// alone finds it.
pub fn lines(listen: Option<SocketAddr>, port: u16, announce: bool, ifs: &[Iface]) -> Vec<String> {
    let mut out = vec!["reach this server from the other machine with:".to_string()];
    if announce {
        out.push(format!(
            "  {:<42} finds it on the link by itself",
            cmd_find(port)
        ));
    }
    let mut link_local = false;
    let mut left_out = Vec::new();
    let mut lo = Vec::new();
    for i in ifs.iter().filter(|i| i.up) {
        for (ip, _) in &i.addrs {
            let ll = matches!(ip, IpAddr::V6(v6) if is_link_local(v6));
            if !listens_on(listen, ip, i.index) {
                left_out.push(format!("{ip} ({})", i.name));
                continue;
            }
            let host = if ll {
                format!("{ip}%IFACE")
            } else {
                ip.to_string()
            };
            let line = format!("  {:<42} {}", cmd(&host, ip.is_ipv6(), port), i.name);
            link_local |= ll;
            if i.loopback {
                lo.push(line)
            } else {
                out.push(line)
            }
        }
    }
    out.extend(lo);
    if link_local {
        out.push(
            "  (IFACE: the other machine's interface on this link, e.g. eth0; see 'ip link' there)"
                .to_string(),
        );
    }
    if !left_out.is_empty() {
        out.push(format!("not listening on: {}", left_out.join(", ")));
    }
    out
}

fn listens_on(listen: Option<SocketAddr>, ip: &IpAddr, index: u32) -> bool {
    match listen {
        None => true,
        Some(SocketAddr::V6(l)) if l.ip().is_unspecified() => true,
        Some(SocketAddr::V4(l)) if l.ip().is_unspecified() => ip.is_ipv4(),
        Some(SocketAddr::V6(l)) => {
            *ip == IpAddr::V6(*l.ip()) && (l.scope_id() == 0 || l.scope_id() == index)
        }
        Some(SocketAddr::V4(l)) => *ip == IpAddr::V4(*l.ip()),
    }
}

fn cmd_find(port: u16) -> String {
    if port == crate::DEFAULT_PORT {
        "rftp -c".to_string()
    } else {
        format!("rftp -c :{port}")
    }
}

fn cmd(host: &str, v6: bool, port: u16) -> String {
    match (port == crate::DEFAULT_PORT, v6) {
        (true, _) => format!("rftp -c {host}"),
        (false, true) => format!("rftp -c '[{host}]:{port}'"),
        (false, false) => format!("rftp -c {host}:{port}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(name: &str, index: u32, loopback: bool, addrs: &[&str]) -> Iface {
        Iface {
            name: name.into(),
            index,
            up: true,
            loopback,
            multicast: !loopback,
            addrs: addrs.iter().map(|a| (a.parse().unwrap(), 64)).collect(),
        }
    }

    #[test]
    fn every_address_as_a_command_loopback_last() {
        let ifs = [
            iface("lo", 1, true, &["127.0.0.1", "::1"]),
            iface("eth0", 2, false, &["192.168.1.5", "fe80::1"]),
        ];
        let l = lines(None, 2121, true, &ifs).join("\n");
        assert!(l.contains("rftp -c fe80::1%IFACE"), "{l}");
        assert!(
            l.find("192.168.1.5").unwrap() < l.find("127.0.0.1").unwrap(),
            "{l}"
        );
        assert!(l.contains("IFACE: the other machine's interface"), "{l}");
        assert!(l.contains("  rftp -c "), "{l}");
        let l = lines(None, 2200, false, &ifs).join("\n");
        assert!(
            l.contains("rftp -c '[fe80::1%IFACE]:2200'") && !l.contains("by itself"),
            "{l}"
        );
    }

    #[test]
    fn a_specific_address_says_what_it_left_out() {
        let ifs = [iface("eth0", 2, false, &["192.168.1.5", "fe80::1"])];
        let l = lines(Some("[fe80::1%2]:2121".parse().unwrap()), 2121, false, &ifs).join("\n");
        assert!(l.contains("not listening on: 192.168.1.5 (eth0)"), "{l}");
    }
}
