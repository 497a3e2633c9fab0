//! Address arguments: the grammar of `-c HOST[:PORT]` and `-l [ADDR:]PORT`
//! with IPv6 zone ids (`fe80::1%eth0`, `[fe80::1%2]:2121`), and turning a
//! parsed address into socket addresses, choosing or demanding the zone of a
//! link-local address. Parsing is pure; resolution takes the interface list
//! as an argument, so both are unit-tested without a network.

use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6, ToSocketAddrs};

use super::ifaces::{Iface, is_link_local};

/// Longest interface name Linux allows (`IFNAMSIZ` less the NUL), in bytes.
const MAX_ZONE_BYTES: usize = 15;
/// Words that mean "find the server by itself" in place of a host.
pub const AUTO_WORDS: &[&str] = &["", "auto"];

/// What `-c` was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Find a server on the directly attached links, on this port.
    Find(u16),
    /// A host name or address, with the zone it was given and a port.
    Host(HostSpec),
}

/// A host as typed: name or address, an optional `%zone`, and a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
    /// Host name or address, without brackets or zone.
    pub host: String,
    /// The zone after `%`: an interface name or index.
    pub zone: Option<String>,
    /// Port.
    pub port: u16,
}

impl std::fmt::Display for HostSpec {
    /// `fe80::1%eth0 port 2121` style, for messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.zone {
            Some(z) => write!(f, "{}%{z}", self.host),
            None => f.write_str(&self.host),
        }
    }
}

/// Parse `-c`'s value: `HOST`, `HOST:PORT`, `V6[%ZONE]`, `[V6[%ZONE]]:PORT`,
/// or `auto` / `:PORT` / nothing to find the server.
pub fn parse_target(spec: &str) -> Result<Target, String> {
    if AUTO_WORDS.contains(&spec) {
        return Ok(Target::Find(crate::DEFAULT_PORT));
    }
    if let Some(p) = spec.strip_prefix(':').filter(|p| !p.contains(':')) {
        return Ok(Target::Find(parse_port(spec, p)?));
    }
    parse_host_port(spec, crate::DEFAULT_PORT).map(Target::Host)
}

/// Parse `-l`'s value: `PORT`, `ADDR:PORT`, `[V6[%ZONE]]:PORT`; `None` for
/// the address means every interface.
pub fn parse_listen(spec: &str) -> Result<(Option<HostSpec>, u16), String> {
    if spec.bytes().all(|b| b.is_ascii_digit()) {
        return Ok((None, parse_port(spec, spec)?));
    }
    let h = parse_host_port(spec, crate::DEFAULT_PORT)?;
    if h.host.parse::<IpAddr>().is_err() {
        return Err(format!(
            "invalid listen address '{spec}' (want [ADDR:]PORT, ADDR a numeric address)"
        ));
    }
    let port = h.port;
    Ok((Some(h), port))
}

fn parse_port(spec: &str, p: &str) -> Result<u16, String> {
    p.parse::<u16>()
        .map_err(|_| format!("invalid port in '{spec}' (want a number up to 65535)"))
}

/// `HOST[:PORT]` with IPv6 brackets and zones; `default` when no port.
fn parse_host_port(spec: &str, default: u16) -> Result<HostSpec, String> {
    let bad = |why: &str| format!("invalid host '{spec}': {why}");
    let (inner, port) = if let Some(rest) = spec.strip_prefix('[') {
        let (inner, after) = rest.split_once(']').ok_or_else(|| bad("no closing ']'"))?;
        let port = match after {
            "" => default,
            p => parse_port(
                spec,
                p.strip_prefix(':').ok_or_else(|| bad("want [ADDR]:PORT"))?,
            )?,
        };
        if inner
            .split('%')
            .next()
            .is_none_or(|a| a.parse::<Ipv6Addr>().is_err())
        {
            return Err(bad("only an IPv6 address goes in brackets"));
        }
        (inner, port)
    } else {
        match spec.matches(':').count() {
            0 => (spec, default),
            1 => {
                let (h, p) = spec.split_once(':').ok_or_else(|| bad("want HOST:PORT"))?;
                (h, parse_port(spec, p)?)
            }
            // Several colons: an IPv6 address, whose port needs brackets.
            _ => (spec, default),
        }
    };
    let (host, zone) = match inner.split_once('%') {
        None => (inner, None),
        Some((h, z)) => (h, Some(check_zone(spec, h, z)?)),
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    if host.contains(':') && host.parse::<Ipv6Addr>().is_err() {
        return Err(bad("not an IPv6 address (put a port after [ADDR]:)"));
    }
    if host.contains(['[', ']', '%', '/', ' ']) {
        return Err(bad("unexpected character"));
    }
    Ok(HostSpec {
        host: host.to_string(),
        zone,
        port,
    })
}

/// A zone is an interface name or index, only after an IPv6 address.
fn check_zone(spec: &str, host: &str, zone: &str) -> Result<String, String> {
    if host.parse::<Ipv6Addr>().is_err() {
        return Err(format!(
            "invalid host '{spec}': a %zone goes only after an IPv6 address"
        ));
    }
    let ok = |b: u8| b.is_ascii_alphanumeric() || b"-_.@".contains(&b);
    if zone.is_empty() || zone.len() > MAX_ZONE_BYTES || !zone.bytes().all(ok) {
        return Err(format!(
            "invalid zone in '{spec}': want %IFACE, an interface name or number"
        ));
    }
    Ok(zone.to_string())
}

/// The socket addresses for `h`, and a note to show the user when a zone was
/// chosen for them. `ifaces` are this machine's interfaces.
pub fn resolve(
    h: &HostSpec,
    ifaces: &[Iface],
) -> Result<(Vec<SocketAddr>, Option<String>), String> {
    let ip = match h.host.parse::<IpAddr>() {
        Ok(ip) => ip,
        Err(_) => {
            let addrs = (h.host.as_str(), h.port)
                .to_socket_addrs()
                .map_err(|e| format!("cannot find host '{}': {e}", h.host))?;
            return Ok((addrs.collect(), None));
        }
    };
    let IpAddr::V6(v6) = ip else {
        return Ok((vec![SocketAddr::new(ip, h.port)], None));
    };
    let (scope, note) = match &h.zone {
        Some(zone) => (zone_index(zone, ifaces)?, None),
        None if is_link_local(&v6) => pick_zone(h, ifaces)?,
        None => (0, None),
    };
    Ok((
        vec![SocketAddr::V6(SocketAddrV6::new(v6, h.port, 0, scope))],
        note,
    ))
}

/// The interface index a zone names: a number as it is, a name looked up.
pub fn zone_index(zone: &str, ifaces: &[Iface]) -> Result<u32, String> {
    if let Ok(n) = zone.parse::<u32>() {
        return Ok(n);
    }
    ifaces
        .iter()
        .find(|i| i.name == zone)
        .map(|i| i.index)
        .ok_or_else(|| {
            let names: Vec<&str> = ifaces.iter().map(|i| i.name.as_str()).collect();
            format!(
                "no interface '{zone}' here (there are: {})",
                names.join(", ")
            )
        })
}

/// For a link-local address given without a zone: the one interface it can
/// be on, with a note saying so, or an error naming the candidates.
fn pick_zone(h: &HostSpec, ifaces: &[Iface]) -> Result<(u32, Option<String>), String> {
    let candidates: Vec<&Iface> = ifaces.iter().filter(|i| i.link_local_candidate()).collect();
    match candidates.as_slice() {
        [one] => Ok((
            one.index,
            Some(format!(
                "{} is link-local and has no %zone; using {}%{}, the only interface it can be on",
                h.host, h.host, one.name
            )),
        )),
        [] => Err(format!(
            "{} is a link-local address, which needs %IFACE, but no interface here is up with IPv6 link-local",
            h.host
        )),
        many => {
            let names: Vec<&str> = many.iter().map(|i| i.name.as_str()).collect();
            Err(format!(
                "{} is a link-local address: add %IFACE, the interface the cable is on: {} (e.g. rftp -c {}%{})",
                h.host,
                names.join(", "),
                h.host,
                names[0]
            ))
        }
    }
}

#[cfg(test)]
#[path = "addr_tests.rs"]
mod tests;
