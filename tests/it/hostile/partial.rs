//! PARTIAL and kept partial data under attack: PARTIAL never looks outside
//! the root, a read-only server refuses PARTIAL, offset uploads and
//! COMPRESS, and partial files planted as links out or FIFOs are never
//! followed or waited on.

use std::fs;
use std::os::unix::fs::symlink;
use std::time::Instant;

use crate::fixture::{A_CONTENT, Fixture, SECRET, mkfifo, shown, still_serves};
use crate::raw::{REPLY_DEADLINE, ask, in_step, stor};
use crate::util::{Raw, crc32, snapshot};

#[test]
fn partial_never_reaches_outside_the_root() {
    let f = Fixture::new(&[]);
    let o = &f.out_name;
    // Kept data outside, where only a way out of the root would find it.
    let kept_outside = b"kept outside the root";
    fs::write(f.outside.join(".rftp-part.secret"), kept_outside).unwrap();
    fs::write(f.outside.join(".rftp-part.new"), kept_outside).unwrap();
    let kept_shown = format!("{} {:08x}", kept_outside.len(), crc32(kept_outside));
    let outside_before = snapshot(&f.outside);
    let root_before = snapshot(f.server.root.path());
    let mut raw = f.raw();
    let mut failures = Vec::new();
    let cases: Vec<(String, &str)> = vec![
        (format!("PARTIAL ../{o}/secret"), "554"),
        (format!("PARTIAL /../{o}/new"), "554"),
        (format!("PARTIAL sub/../../{o}/secret"), "554"),
        ("PARTIAL link/secret".into(), "554"),
        ("PARTIAL link/new".into(), "554"),
        ("PARTIAL ..".into(), "554"),
        ("PARTIAL ../x".into(), "554"),
        ("PARTIAL /".into(), "553"),
        ("PARTIAL \"x\\x00\"".into(), "553"),
        (format!("PARTIAL \"..\\\\{o}\\\\secret\""), "553"),
        // Names in the root, whatever they are, have no kept data.
        ("PARTIAL filelink".into(), "213 0 00000000"),
        ("PARTIAL /etc/passwd".into(), "550"),
    ];
    for (line, want) in &cases {
        let reply = ask(&mut raw, line);
        f.reveals_nothing(line, &reply);
        if reply.contains(&kept_shown) {
            failures.push(format!("{line} -> {reply:?} shows the data kept outside"));
        } else if !reply.starts_with(want) {
            failures.push(format!("{line} -> {reply:?}, want {want}"));
        }
    }
    // A directory, a FIFO and a link out are names too; they have no
    // partial data (`213 0 00000000`), and the FIFO must not be waited on.
    for line in ["PARTIAL sub", "PARTIAL fifo", "PARTIAL link"] {
        let started = Instant::now();
        let reply = ask(&mut raw, line);
        let quick = started.elapsed() < REPLY_DEADLINE;
        if !quick || reply != "213 0 00000000" {
            failures.push(format!("{line} -> {reply:?} after {:?}", started.elapsed()));
        }
    }
    in_step(&mut raw, "PARTIAL attacks");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(snapshot(&f.outside), outside_before, "outside changed");
    let root_after = snapshot(f.server.root.path());
    assert_eq!(
        root_after,
        root_before,
        "PARTIAL changed the root: {:?}",
        shown(&root_after)
    );
    still_serves(&f.server);
}

#[test]
fn partial_crc_and_offset_uploads_on_a_read_only_server() {
    let f = Fixture::new(&["--read-only"]);
    f.server.root.write(".rftp-part.up", b"hello");
    let root_before = snapshot(f.server.root.path());
    let mut raw = f.raw();
    let reply = ask(&mut raw, "PARTIAL up");
    assert!(
        reply.starts_with("554 ") && reply.contains("read-only"),
        "PARTIAL on a read-only server -> {reply}"
    );
    let reply = ask(&mut raw, "PARTIAL nothing-kept");
    assert!(
        reply.starts_with("554 "),
        "PARTIAL on a read-only server -> {reply}"
    );
    // Reading is still allowed.
    assert_eq!(
        ask(&mut raw, "CRC a 4"),
        format!("213 4 {:08x}", crc32(A_CONTENT))
    );
    let reply = stor(&mut raw, "STOR up 8 new 5", b", world\n");
    assert!(
        reply.starts_with("554 ") && reply.contains("read-only"),
        "STOR with an offset on a read-only server -> {reply}"
    );
    in_step(&mut raw, "STOR with an offset on a read-only server");
    let reply = ask(&mut raw, "COMPRESS a 6 new");
    assert!(
        reply.starts_with("554 ") && reply.contains("read-only"),
        "COMPRESS on a read-only server -> {reply}"
    );
    let reply = ask(&mut raw, "COMPRESS a 6 replace");
    assert!(reply.starts_with("554 "), "COMPRESS replace -> {reply}");
    in_step(&mut raw, "COMPRESS on a read-only server");
    assert_eq!(snapshot(f.server.root.path()), root_before);
    still_serves(&f.server);
}

/// One named exchange on a raw connection, returning its reply.
type Step<'a> = (&'a str, &'a dyn Fn(&mut Raw) -> String);

#[test]
fn partial_files_that_are_links_out_or_fifos_are_never_followed() {
    // Someone with a shell on the server left partial names that lead out
    // of the root. Uploads, PARTIAL and COMPRESS use those names; none may
    // create, read or write anything outside, nor wait on the FIFO.
    let f = Fixture::new(&[]);
    let root = f.server.root.path();
    symlink(f.outside.join("made-by-p"), root.join(".rftp-part.p")).unwrap();
    symlink(f.outside.join("secret"), root.join(".rftp-part.q")).unwrap();
    symlink(f.outside.join("made-by-gz"), root.join(".rftp-part.a.gz")).unwrap();
    mkfifo(&root.join(".rftp-part.f"));
    let outside_before = snapshot(&f.outside);
    let mut raw = f.raw();
    let mut replies = Vec::new();
    let continue_secret = format!("STOR q 3 new {}", SECRET.len());
    let steps: [Step; 8] = [
        ("PARTIAL p", &|r| ask(r, "PARTIAL p")),
        ("STOR p", &|r| stor(r, "STOR p 3 new", b"abc")),
        ("PARTIAL q", &|r| ask(r, "PARTIAL q")),
        (&continue_secret, &|r| stor(r, &continue_secret, b"abc")),
        ("STOR q replace", &|r| stor(r, "STOR q 3 replace", b"abc")),
        ("PARTIAL f", &|r| ask(r, "PARTIAL f")),
        ("STOR f", &|r| stor(r, "STOR f 3 new", b"abc")),
        ("COMPRESS a", &|r| ask(r, "COMPRESS a 6 new")),
    ];
    for (what, step) in steps {
        let started = Instant::now();
        let reply = step(&mut raw);
        assert!(
            started.elapsed() < REPLY_DEADLINE,
            "{what} took {:?} ({reply})",
            started.elapsed()
        );
        f.reveals_nothing(what, &reply);
        replies.push(format!("{what} -> {reply}"));
    }
    in_step(&mut raw, "uploads through partial names that lead out");
    let outside_after = snapshot(&f.outside);
    assert!(
        outside_after == outside_before,
        "the outside tree changed: now {:?}\nreplies:\n{}",
        shown(&outside_after),
        replies.join("\n")
    );
    // Whatever was published holds only what the client sent.
    for (name, allowed) in [("p", b"abc".to_vec()), ("q", b"abc".to_vec())] {
        if let Ok(got) = fs::read(root.join(name)) {
            assert_eq!(got, allowed, "{name} holds {got:?}");
        }
    }
    still_serves(&f.server);
}
