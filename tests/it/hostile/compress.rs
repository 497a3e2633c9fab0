//! Compression under attack: COMPRESS refuses links out, directories, FIFOs
//! and bad arguments, replaces a link out at the gzip name rather than
//! writing through it, and survives its client vanishing; RETR with deflate
//! at the end of a file, or with a bad encoding or offset, keeps the stream
//! in step.

use std::fs;
use std::net::Shutdown;
use std::os::unix::fs::symlink;
use std::thread;
use std::time::{Duration, Instant};

use crate::fixture::{
    A_CONTENT, Fixture, SECRET, mkfifo, quick_refusals, root_names, shown, still_serves, text,
};
use crate::raw::{ask, in_step, logged_in};
use crate::util::{Server, crc32, gunzip, snapshot};

#[test]
fn compress_refuses_links_out_dirs_fifos_and_bad_arguments() {
    let f = Fixture::new(&[]);
    let o = &f.out_name;
    // Its gzip name would be longer than 255 bytes.
    f.server.root.write("n".repeat(253), b"n");
    let outside_before = snapshot(&f.outside);
    let root_before = snapshot(f.server.root.path());
    let mut raw = f.raw();
    let mut failures = Vec::new();
    let cases: Vec<(String, &str)> = vec![
        ("COMPRESS filelink 6 new".into(), "554"),
        ("COMPRESS filelink 6 replace".into(), "554"),
        ("COMPRESS link/secret 6 replace".into(), "554"),
        (format!("COMPRESS ../{o}/secret 6 replace"), "554"),
        (format!("COMPRESS /../{o}/secret 9 new"), "554"),
        ("COMPRESS sub 6 new".into(), "554"),
        ("COMPRESS sub/ 6 new".into(), "554"),
        ("COMPRESS / 6 new".into(), "554"),
        ("COMPRESS a/. 6 new".into(), "55"),
        ("COMPRESS nope 6 new".into(), "550"),
        ("COMPRESS \"a\\x00\" 6 new".into(), "553"),
        ("COMPRESS \"..\\\\a\" 6 new".into(), "553"),
        (format!("COMPRESS {} 6 new", "n".repeat(253)), "553"),
        ("COMPRESS a 0 new".into(), "501"),
        ("COMPRESS a 10 new".into(), "501"),
        ("COMPRESS a abc new".into(), "501"),
        ("COMPRESS a -1 new".into(), "501"),
        ("COMPRESS a 18446744073709551622 new".into(), "501"),
        ("COMPRESS a 6 maybe".into(), "501"),
        ("COMPRESS a 6 \"\"".into(), "501"),
        ("COMPRESS a 6".into(), "501"),
        ("COMPRESS a 6 new extra".into(), "501"),
    ];
    for (line, want) in &cases {
        let reply = ask(&mut raw, line);
        f.reveals_nothing(line, &reply);
        if !reply.starts_with(want) {
            failures.push(format!("{line} -> {reply:?}, want {want}"));
        }
    }
    quick_refusals(
        &mut raw,
        &["COMPRESS fifo 6 new", "COMPRESS sub/../fifo 9 replace"],
        &mut failures,
    );
    in_step(&mut raw, "COMPRESS attacks");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(snapshot(&f.outside), outside_before, "outside changed");
    let root_after = snapshot(f.server.root.path());
    assert_eq!(
        root_after,
        root_before,
        "COMPRESS refusals changed the root: {:?}",
        shown(&root_after)
    );
    still_serves(&f.server);
}

#[test]
fn compress_over_a_link_out_replaces_the_link_never_the_outside_file() {
    let f = Fixture::new(&[]);
    let root = f.server.root.path();
    f.server.root.write("b", b"bbbb");
    symlink(f.outside.join("secret"), root.join("a.gz")).unwrap();
    symlink(f.outside.join("made-by-b"), root.join("b.gz")).unwrap();
    let outside_before = snapshot(&f.outside);
    let mut raw = f.raw();
    for name in ["a", "b"] {
        let reply = ask(&mut raw, format!("COMPRESS {name} 6 new"));
        assert!(reply.starts_with("552 "), "COMPRESS {name} new -> {reply}");
        assert!(
            fs::symlink_metadata(root.join(format!("{name}.gz")))
                .is_ok_and(|m| m.file_type().is_symlink()),
            "COMPRESS {name} new replaced the link"
        );
        assert_eq!(snapshot(&f.outside), outside_before, "after {name} new");
    }
    for (name, content) in [("a", A_CONTENT), ("b", &b"bbbb"[..])] {
        let reply = ask(&mut raw, format!("COMPRESS {name} 6 replace"));
        assert!(
            reply.starts_with("250 "),
            "COMPRESS {name} replace -> {reply}"
        );
        let gz = root.join(format!("{name}.gz"));
        let meta = fs::symlink_metadata(&gz).unwrap();
        assert!(meta.is_file(), "{name}.gz is not a plain file now");
        assert_eq!(gunzip(&gz), content);
        assert_eq!(snapshot(&f.outside), outside_before, "after {name} replace");
    }
    in_step(&mut raw, "COMPRESS over links");
    assert_eq!(fs::read(f.outside.join("secret")).unwrap(), SECRET);
    still_serves(&f.server);
}

#[test]
fn a_client_gone_during_a_long_compress_does_not_hurt_the_server() {
    // At level 9 this takes seconds, long after the client is gone.
    const SIZE: usize = 8 << 20;
    /// The first COMPRESS may take a while on a busy machine.
    const COMPRESS_WAIT: Duration = Duration::from_secs(180);
    let server = Server::start(&[]);
    let content = text(SIZE, 6);
    server.root.write("big", &content);
    let mut raw = logged_in(&server);
    raw.send(b"COMPRESS big 9 new\n");
    thread::sleep(Duration::from_millis(100));
    let _ = raw.stream.shutdown(Shutdown::Both);
    drop(raw);
    // Another client wants the same gzip file meanwhile: busy, or done
    // when the first one has already finished.
    let mut other = logged_in(&server);
    other.stream.set_read_timeout(Some(COMPRESS_WAIT)).unwrap();
    let reply = ask(&mut other, "COMPRESS big 1 replace");
    assert!(
        reply.starts_with("450 ") || reply.starts_with("250 "),
        "a second COMPRESS of big -> {reply}"
    );
    // Others are served while the first one works.
    still_serves(&server);
    let until = Instant::now() + COMPRESS_WAIT;
    let first_done = loop {
        let log = server.log();
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("compress '/big'"))
            .collect();
        if lines.len() >= 2 {
            break lines.iter().any(|l| l.contains(" ok "));
        }
        assert!(
            Instant::now() < until,
            "the compress of a vanished client never ended\n{log}"
        );
        thread::sleep(Duration::from_millis(100));
    };
    assert!(
        first_done,
        "neither compress published big.gz\n{}",
        server.log()
    );
    assert_eq!(root_names(&server), ["big", "big.gz"]);
    assert!(
        gunzip(&server.root.join("big.gz")) == content,
        "big.gz does not restore big"
    );
    in_step(&mut other, "a second COMPRESS");
    still_serves(&server);
}

#[test]
fn retr_deflate_at_the_end_of_a_file_is_a_valid_empty_stream() {
    let server = Server::start(&[]);
    server.root.write("a", A_CONTENT);
    server.root.write("empty", b"");
    let mut raw = logged_in(&server);
    for line in [
        "RETR a 4 deflate",
        "RETR empty 0 deflate",
        "RETR /a 4 deflate",
    ] {
        assert_eq!(ask(&mut raw, line), "150 0 deflate", "{line}");
        let payload = raw.payload().expect("a payload");
        assert!(!payload.is_empty(), "{line}: no deflate stream at all");
        let inflated = miniz_oxide::inflate::decompress_to_vec(&payload);
        assert_eq!(
            inflated.as_deref().ok(),
            Some(&[][..]),
            "{line}: {payload:?} is not an empty deflate stream"
        );
        let done = raw.line().unwrap_or_default();
        assert!(done.starts_with("226 0 00000000 "), "{line}: {done}");
    }
    // The whole file and its tail, deflated, for comparison.
    for (offset, want) in [(0, A_CONTENT), (1, &A_CONTENT[1..])] {
        let line = format!("RETR a {offset} deflate");
        assert_eq!(ask(&mut raw, &line), format!("150 {} deflate", want.len()));
        let payload = raw.payload().expect("a payload");
        let inflated = miniz_oxide::inflate::decompress_to_vec(&payload);
        assert_eq!(inflated.as_deref().ok(), Some(want), "{line}");
        let done = raw.line().unwrap_or_default();
        let head = format!("226 {} {:08x} ", want.len(), crc32(want));
        assert!(done.starts_with(&head), "{line}: {done}");
    }
    in_step(&mut raw, "deflated RETRs");
    still_serves(&server);
}

#[test]
fn retr_with_a_bad_encoding_or_offset_is_refused_and_the_stream_goes_on() {
    let server = Server::start(&[]);
    server.root.write("a", A_CONTENT);
    mkfifo(&server.root.join("fifo"));
    let mut raw = logged_in(&server);
    let cases = [
        ("RETR a 0 gzip", "501"),
        ("RETR a 0 deflate9", "501"),
        ("RETR a 0 \"\\x00deflate\"", "501"),
        ("RETR a deflate", "501"),
        ("RETR a 0 deflate extra", "501"),
        ("RETR a 5", "554"),
        ("RETR a 5 deflate", "554"),
        ("RETR a 18446744073709551615 deflate", "554"),
        ("RETR a 18446744073709551616 deflate", "501"),
        ("RETR nope 0 deflate", "550"),
        ("RETR fifo 0 deflate", "554"),
    ];
    let mut failures = Vec::new();
    for (line, want) in cases {
        let reply = ask(&mut raw, line);
        if !reply.starts_with(want) {
            failures.push(format!("{line} -> {reply:?}, want {want}"));
        }
        if reply.starts_with("150") {
            // Keep the stream in step for the next case.
            let _ = raw.payload();
            let _ = raw.line();
        }
    }
    // `raw` is the default, spelled out.
    assert_eq!(ask(&mut raw, "RETR a 2 raw"), "150 2");
    assert_eq!(raw.payload().as_deref(), Some(&A_CONTENT[2..]));
    let done = raw.line().unwrap_or_default();
    let want = format!("226 2 {:08x} ", crc32(&A_CONTENT[2..]));
    assert!(done.starts_with(&want), "{done}");
    in_step(&mut raw, "bad RETRs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(root_names(&server), ["a", "fifo"]);
    still_serves(&server);
}
