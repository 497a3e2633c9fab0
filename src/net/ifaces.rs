//! This machine's network interfaces: names, indices and flags from
//! `/sys/class/net`, addresses (IPv4 and IPv6, with prefix lengths) from one
//! netlink `RTM_GETADDR` dump through `sys::netlink_dump`, and whether an
//! address is link-local. The decoding of netlink messages is a pure
//! function over bytes, tested here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` is IPv6 link-local (`fe80::/10`), which needs a zone.
pub fn is_link_local(ip: &Ipv6Addr) -> bool {
    ip.segments()[0] & 0xffc0 == 0xfe80
}

/// `/sys/class/net`: one directory per interface.
const SYS_NET: &str = "/sys/class/net";
/// `IFF_UP`, `IFF_LOOPBACK` and `IFF_MULTICAST` in `/sys/class/net/*/flags`.
const IFF_UP: u32 = 0x1;
const IFF_LOOPBACK: u32 = 0x8;
const IFF_MULTICAST: u32 = 0x1000;
/// Netlink message types and attributes (linux/rtnetlink.h, if_addr.h).
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const RTM_NEWADDR: u16 = 20;
const RTM_GETADDR: u16 = 22;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;
/// Sizes of `struct nlmsghdr` and `struct ifaddrmsg`, in bytes.
const NLMSG_HDR_BYTES: usize = 16;
const IFADDRMSG_BYTES: usize = 8;

/// One interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iface {
    /// Its name, such as `eth0`.
    pub name: String,
    /// Its index, the scope id of its link-local addresses.
    pub index: u32,
    /// Whether it is up.
    pub up: bool,
    /// Whether it is the loopback.
    pub loopback: bool,
    /// Whether it does multicast (IPv6 discovery needs it).
    pub multicast: bool,
    /// Its addresses with their prefix lengths.
    pub addrs: Vec<(IpAddr, u8)>,
}

impl Iface {
    /// Whether a link-local peer given without a zone could be on it: up,
    /// not the loopback, with an IPv6 link-local address of its own.
    pub fn link_local_candidate(&self) -> bool {
        self.up
            && !self.loopback
            && self
                .addrs
                .iter()
                .any(|(a, _)| matches!(a, IpAddr::V6(v6) if is_link_local(v6)))
    }
}

/// Every interface, sorted by index; addresses are left empty when netlink
/// cannot be asked (the names and flags are still right).
pub fn list() -> Vec<Iface> {
    let mut all = Vec::new();
    let Ok(dir) = std::fs::read_dir(SYS_NET) else {
        return all;
    };
    for entry in dir.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let read = |file: &str| std::fs::read_to_string(entry.path().join(file)).ok();
        let Some(index) = read("ifindex").and_then(|s| s.trim().parse().ok()) else {
            continue;
        };
        let flags = read("flags")
            .and_then(|s| u32::from_str_radix(s.trim().trim_start_matches("0x"), 16).ok())
            .unwrap_or(0);
        all.push(Iface {
            name,
            index,
            up: flags & IFF_UP != 0,
            loopback: flags & IFF_LOOPBACK != 0,
            multicast: flags & IFF_MULTICAST != 0,
            addrs: Vec::new(),
        });
    }
    all.sort_by_key(|i| i.index);
    let mut parts = Vec::new();
    let asked = crate::sys::netlink_dump(&dump_request(), |datagram| decode(datagram, &mut parts));
    if asked.is_ok() {
        for (index, addr, prefix) in parts {
            if let Some(i) = all.iter_mut().find(|i| i.index == index) {
                i.addrs.push((addr, prefix));
            }
        }
    }
    all
}

/// The name of interface `index`, or the number when there is none.
pub fn name_of(ifaces: &[Iface], index: u32) -> String {
    ifaces
        .iter()
        .find(|i| i.index == index)
        .map_or_else(|| index.to_string(), |i| i.name.clone())
}

/// An `RTM_GETADDR` dump request for every address family.
fn dump_request() -> Vec<u8> {
    let len = (NLMSG_HDR_BYTES + IFADDRMSG_BYTES) as u32;
    let mut m = Vec::with_capacity(len as usize);
    m.extend_from_slice(&len.to_ne_bytes());
    m.extend_from_slice(&RTM_GETADDR.to_ne_bytes());
    m.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    m.extend_from_slice(&1u32.to_ne_bytes()); // sequence number
    m.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel fills it
    m.extend_from_slice(&[0; IFADDRMSG_BYTES]); // AF_UNSPEC: every family
    m
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Netlink's 4-byte alignment.
fn align(n: usize) -> usize {
    (n + 3) & !3
}

/// Add the addresses in one netlink datagram to `out` as (index, address,
/// prefix); true when the dump is over (done, an error, or bytes that do
/// not parse, which end it rather than loop).
pub fn decode(datagram: &[u8], out: &mut Vec<(u32, IpAddr, u8)>) -> bool {
    let mut at = 0;
    while at + NLMSG_HDR_BYTES <= datagram.len() {
        let (Some(len), Some(kind)) = (u32_at(datagram, at), u16_at(datagram, at + 4)) else {
            return true;
        };
        let len = len as usize;
        let Some(msg) = datagram
            .get(at..at + len)
            .filter(|_| len >= NLMSG_HDR_BYTES)
        else {
            return true;
        };
        match kind {
            NLMSG_DONE | NLMSG_ERROR => return true,
            RTM_NEWADDR => {
                if let Some(found) = decode_addr(&msg[NLMSG_HDR_BYTES..]) {
                    out.push(found);
                }
            }
            _ => {}
        }
        at += align(len);
    }
    false
}

/// One `ifaddrmsg` and its attributes: IFA_LOCAL for IPv4 (IFA_ADDRESS is
/// the peer on point-to-point links), IFA_ADDRESS for IPv6.
fn decode_addr(body: &[u8]) -> Option<(u32, IpAddr, u8)> {
    let (family, prefix, index) = (*body.first()?, *body.get(1)?, u32_at(body, 4)?);
    let mut at = IFADDRMSG_BYTES;
    let (mut address, mut local) = (None, None);
    while at + 4 <= body.len() {
        let len = usize::from(u16_at(body, at)?);
        let kind = u16_at(body, at + 2)?;
        let data = body.get(at + 4..at + len.max(4))?;
        let ip = match (family, data.len()) {
            (AF_INET, 4) => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(data).ok()?))),
            (AF_INET6, 16) => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(data).ok()?))),
            _ => None,
        };
        match kind {
            IFA_ADDRESS => address = ip,
            IFA_LOCAL => local = ip,
            _ => {}
        }
        at += align(len.max(4));
    }
    Some((index, local.or(address)?, prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(family: u8, prefix: u8, index: u32, attrs: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = vec![family, prefix, 0, 0];
        body.extend_from_slice(&index.to_ne_bytes());
        for (kind, data) in attrs {
            body.extend_from_slice(&((4 + data.len()) as u16).to_ne_bytes());
            body.extend_from_slice(&kind.to_ne_bytes());
            body.extend_from_slice(data);
            body.resize(align(body.len()), 0);
        }
        let mut m = ((NLMSG_HDR_BYTES + body.len()) as u32)
            .to_ne_bytes()
            .to_vec();
        m.extend_from_slice(&RTM_NEWADDR.to_ne_bytes());
        m.extend_from_slice(&[0; 10]);
        m.extend_from_slice(&body);
        m
    }

    #[test]
    fn decodes_v4_and_v6_then_done() {
        let ll: Ipv6Addr = "fe80::1".parse().unwrap();
        let mut d = message(
            AF_INET,
            24,
            2,
            &[(IFA_ADDRESS, &[10, 0, 0, 9]), (IFA_LOCAL, &[10, 0, 0, 1])],
        );
        d.extend(message(AF_INET6, 64, 3, &[(IFA_ADDRESS, &ll.octets())]));
        let mut out = Vec::new();
        assert!(!decode(&d, &mut out));
        assert_eq!(
            out,
            vec![
                (2, "10.0.0.1".parse().unwrap(), 24),
                (3, IpAddr::V6(ll), 64)
            ]
        );
        let mut done = 16u32.to_ne_bytes().to_vec();
        done.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
        done.extend_from_slice(&[0; 10]);
        assert!(decode(&done, &mut out));
    }

    #[test]
    fn truncated_bytes_end_the_dump() {
        let m = message(AF_INET, 8, 1, &[(IFA_LOCAL, &[10, 0, 0, 1])]);
        let mut out = Vec::new();
        assert!(decode(&m[..m.len() - 3], &mut out));
        let mut bad = m.clone();
        bad[NLMSG_HDR_BYTES + IFADDRMSG_BYTES] = 200; // attribute longer than the message
        decode(&bad, &mut out);
        assert!(out.is_empty());
        assert!(decode(&[0; 16], &mut out)); // length 0
    }

    #[test]
    fn lists_the_loopback() {
        let all = list();
        assert!(all.iter().any(|i| i.loopback), "{all:?}");
    }
}
