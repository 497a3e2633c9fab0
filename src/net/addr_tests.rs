//! Unit tests of the address grammar and of zone resolution.

use super::*;

fn host(h: &str, zone: Option<&str>, port: u16) -> Target {
    Target::Host(HostSpec {
        host: h.into(),
        zone: zone.map(Into::into),
        port,
    })
}

fn iface(name: &str, index: u32, addrs: &[&str]) -> Iface {
    Iface {
        name: name.into(),
        index,
        up: true,
        loopback: name == "lo",
        multicast: name != "lo",
        addrs: addrs.iter().map(|a| (a.parse().unwrap(), 64)).collect(),
    }
}

#[test]
fn hosts_ports_and_brackets() {
    assert_eq!(parse_target("h").unwrap(), host("h", None, 2121));
    assert_eq!(parse_target("h:21").unwrap(), host("h", None, 21));
    assert_eq!(
        parse_target("10.0.0.2:99").unwrap(),
        host("10.0.0.2", None, 99)
    );
    assert_eq!(parse_target("[::1]:21").unwrap(), host("::1", None, 21));
    assert_eq!(parse_target("[::1]").unwrap(), host("::1", None, 2121));
    assert_eq!(parse_target("::1").unwrap(), host("::1", None, 2121));
}

#[test]
fn zones_by_name_and_number() {
    assert_eq!(
        parse_target("fe80::1%eth0").unwrap(),
        host("fe80::1", Some("eth0"), 2121)
    );
    assert_eq!(
        parse_target("[fe80::1%eth0]:2121").unwrap(),
        host("fe80::1", Some("eth0"), 2121)
    );
    assert_eq!(
        parse_target("[fe80::1%2]:99").unwrap(),
        host("fe80::1", Some("2"), 99)
    );
    assert_eq!(
        parse_target("fe80::1%2").unwrap(),
        host("fe80::1", Some("2"), 2121)
    );
}

#[test]
fn find_words() {
    assert_eq!(parse_target("").unwrap(), Target::Find(2121));
    assert_eq!(parse_target("auto").unwrap(), Target::Find(2121));
    assert_eq!(parse_target(":2122").unwrap(), Target::Find(2122));
}

#[test]
fn bad_hosts() {
    for bad in [
        "h:",
        "h:x",
        "h:70000",
        "[::1",
        "[::1]x",
        "[::1]:",
        "[h]:1",
        "fe80::1%",
        "[fe80::1%]:1",
        "10.0.0.1%eth0",
        "host%eth0",
        "fe80::1%a/b",
        "fe80::1%waytoolonginterface",
        "fe80::zz",
        ":",
        "[]:1",
        "fe80::1%eth0:21",
    ] {
        assert!(parse_target(bad).is_err(), "{bad}");
    }
}

#[test]
fn listen_specs() {
    assert_eq!(parse_listen("2121").unwrap(), (None, 2121));
    let (h, p) = parse_listen("[fe80::1%eth0]:2121").unwrap();
    assert_eq!((h.unwrap().zone.as_deref(), p), (Some("eth0"), 2121));
    assert_eq!(parse_listen("127.0.0.1:0").unwrap().1, 0);
    assert!(parse_listen("x:1").is_err());
    assert!(parse_listen("70000").is_err());
}

#[test]
fn link_local_zone_is_chosen_or_demanded() {
    let lo = iface("lo", 1, &["::1"]);
    let eth = iface("eth0", 2, &["fe80::a"]);
    let wlan = iface("wlan0", 3, &["fe80::b"]);
    let spec = HostSpec {
        host: "fe80::1".into(),
        zone: None,
        port: 2121,
    };
    let e = resolve(&spec, &[lo.clone(), eth.clone(), wlan.clone()]).unwrap_err();
    assert!(e.contains("add %IFACE") && e.contains("eth0, wlan0"), "{e}");
    let (a, note) = resolve(&spec, &[lo.clone(), eth.clone()]).unwrap();
    assert_eq!(a, vec!["[fe80::1%2]:2121".parse().unwrap()]);
    assert!(note.unwrap().contains("fe80::1%eth0"));
    assert!(resolve(&spec, std::slice::from_ref(&lo)).is_err());
    let named = HostSpec {
        zone: Some("wlan0".into()),
        ..spec.clone()
    };
    assert_eq!(
        resolve(&named, &[eth.clone(), wlan.clone()]).unwrap().0,
        vec!["[fe80::1%3]:2121".parse().unwrap()]
    );
    let unknown = HostSpec {
        zone: Some("eth9".into()),
        ..spec.clone()
    };
    assert!(
        resolve(&unknown, &[eth])
            .unwrap_err()
            .contains("no interface 'eth9'")
    );
}
