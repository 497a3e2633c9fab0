//! Two machines, one cable: the server's start lines, link-local addresses
//! with zones, and discovery, in network namespaces that the tests build
//! (`lab`). Only link-local IPv6, as on a cable with no DHCP server.

mod lab;
mod probes;

use lab::Lab;

use crate::util::TempDir;

/// Bytes that are not text, a little over one chunk.
fn payload() -> Vec<u8> {
    (0..5000u32).map(|i| (i * 7 % 251) as u8).collect()
}

/// The `fe80::…` address in the banner's `rftp -c fe80::…%IFACE` line.
fn banner_link_local(banner: &str) -> String {
    let at = banner
        .find("rftp -c fe80::")
        .unwrap_or_else(|| panic!("no link-local line:\n{banner}"));
    let rest = &banner[at + "rftp -c ".len()..];
    rest[..rest.find("%IFACE").expect("the line ends in %IFACE")].to_string()
}

#[test]
fn link_local_with_zone_moves_files_and_bare_dash_c_finds_the_server() {
    let Some(lab) = Lab::new(1) else { return };
    let root = TempDir::new();
    root.write("down.bin", payload());
    let server = lab.serve(0, root.path(), &[]);
    assert!(server.banner.contains("%IFACE"), "{}", server.banner);
    assert!(
        server.banner.contains("the other machine's interface"),
        "{}",
        server.banner
    );
    let ll = banner_link_local(&server.banner);
    let local = TempDir::new();
    local.write("up.bin", payload());
    let spec = format!("{ll}%c0");
    lab.client(local.path(), &["-c", &spec], "put up.bin\nget down.bin\n")
        .expect(0);
    assert_eq!(std::fs::read(local.join("down.bin")).unwrap(), payload());
    assert_eq!(std::fs::read(root.join("up.bin")).unwrap(), payload());
    let bracketed = format!("[{ll}%c0]:2121");
    let run = lab.client(local.path(), &["-c", &bracketed, "ls"], "");
    assert!(run.expect(0).out().contains("up.bin"), "{}", run.dump());
    // With no host: found by discovery, then used.
    let run = lab.client(local.path(), &["-c"], "get -f down.bin\n");
    run.expect(0).stderr_has("found ");
    // `auto` stands for the host before a command on the command line.
    let run = lab.client(local.path(), &["-c", "auto", "get", "-f", "down.bin"], "");
    run.expect(0).stderr_has("found ");
    assert_eq!(std::fs::read(local.join("down.bin")).unwrap(), payload());
    let run = lab.client(local.path(), &["--find"], "");
    assert!(
        run.expect(0).out().contains(&format!("{ll}%c0")),
        "{}",
        run.dump()
    );
    // A bare link-local address: the only candidate interface is taken.
    let run = lab.client(local.path(), &["-c", &ll, "pwd"], "");
    run.expect(0).stderr_has("the only interface");
}

#[test]
fn two_servers_are_both_listed_and_a_bare_link_local_needs_a_zone() {
    let Some(lab) = Lab::new(2) else { return };
    let (r0, r1) = (TempDir::new(), TempDir::new());
    let s0 = lab.serve(0, r0.path(), &[]);
    let _s1 = lab.serve(1, r1.path(), &[]);
    let local = TempDir::new();
    let run = lab.client(local.path(), &["--find"], "");
    let out = run.expect(0).out();
    assert!(
        out.contains("%c0 ") && out.contains("%c1 "),
        "{}",
        run.dump()
    );
    assert_eq!(out.lines().count(), 2, "{}", run.dump());
    // In a script, several servers is an error naming them.
    let run = lab.client(local.path(), &["-c"], "pwd\n");
    run.expect(3).stderr_has("2 servers answered");
    // At a terminal, a question, answered by number.
    r0.write("only-on-0", b"0");
    r1.write("only-on-1", b"1");
    let run = lab.client_tty(local.path(), &["-c"], "2\nls\nquit\n");
    let out = run.expect(0).out();
    assert!(out.contains("which one?"), "{}", run.dump());
    let picked = out.lines().find(|l| l.contains("2) ")).unwrap_or_default();
    let want = if picked.contains("%c1") {
        "only-on-1"
    } else {
        "only-on-0"
    };
    let other = if want == "only-on-1" {
        "only-on-0"
    } else {
        "only-on-1"
    };
    assert!(out.contains(want) && !out.contains(other), "{}", run.dump());
    let ll = banner_link_local(&s0.banner);
    let run = lab.client(local.path(), &["-c", &ll, "pwd"], "");
    run.expect(3).stderr_has("add %IFACE").stderr_has("c0, c1");
}

#[test]
fn no_announce_hides_the_server() {
    let Some(lab) = Lab::new(1) else { return };
    let root = TempDir::new();
    let server = lab.serve(0, root.path(), &["--no-announce"]);
    assert!(!server.banner.contains("by itself"), "{}", server.banner);
    let local = TempDir::new();
    let run = lab.client(local.path(), &["--find"], "");
    assert_eq!(run.expect(3).out(), "", "{}", run.dump());
    let run = lab.client(local.path(), &["-c"], "pwd\n");
    run.expect(3)
        .stderr_has("no rftp server answered")
        .stderr_has("ff02::1%c0");
}
