//! CRC under attack: paths out of the root, links out, NUL bytes and
//! backslashes are refused without revealing what exists outside; lengths
//! past the end, directories and FIFOs are refused at once.

use crate::fixture::{A_CONTENT, Fixture, SECRET, quick_refusals, still_serves};
use crate::raw::{ask, in_step};
use crate::util::{crc32, snapshot};

#[test]
fn crc_never_reaches_outside_the_root() {
    let f = Fixture::new(&[]);
    let o = &f.out_name;
    let outside_before = snapshot(&f.outside);
    let root_before = snapshot(f.server.root.path());
    let len = SECRET.len();
    let mut raw = f.raw();
    let mut failures = Vec::new();
    let cases: Vec<(String, &str)> = vec![
        (format!("CRC ../{o}/secret 0"), "554"),
        (format!("CRC ../{o}/secret {len}"), "554"),
        (format!("CRC /../{o}/secret {len}"), "554"),
        (format!("CRC sub/../../{o}/secret {len}"), "554"),
        ("CRC link/secret 0".into(), "554"),
        (format!("CRC link/secret {len}"), "554"),
        ("CRC link/no-such-file 0".into(), "554"),
        ("CRC filelink 0".into(), "554"),
        (format!("CRC filelink {len}"), "554"),
        ("CRC ../.. 0".into(), "554"),
        // Absolute paths start at the root.
        ("CRC /etc/passwd 0".into(), "550"),
        ("CRC \"a\\x00\" 0".into(), "553"),
        (format!("CRC \"..\\\\{o}\\\\secret\" {len}"), "553"),
        ("CRC \"a\\\\..\\\\..\" 0".into(), "553"),
    ];
    for (line, want) in &cases {
        let reply = ask(&mut raw, line);
        f.reveals_nothing(line, &reply);
        if !reply.starts_with(want) {
            failures.push(format!("{line} -> {reply:?}, want {want}"));
        }
        if *want == "554" && !reply.contains("outside the served tree") {
            failures.push(format!(
                "{line} -> {reply:?}, want 'outside the served tree'"
            ));
        }
    }
    // A raw NUL byte in the line, not an escape.
    let reply = ask(&mut raw, b"CRC a\x00b 0");
    if !reply.starts_with("553") {
        failures.push(format!("CRC with a raw NUL -> {reply:?}"));
    }
    // An existing name and a missing one behind a link out look the same.
    let there = ask(&mut raw, "CRC link/secret 1");
    let missing = ask(&mut raw, "CRC link/nothing-here 1");
    if there.get(..4) != missing.get(..4) {
        failures.push(format!(
            "CRC through a link tells an existing outside file ({there:?}) from a missing one ({missing:?})"
        ));
    }
    in_step(&mut raw, "CRC attacks");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(snapshot(&f.outside), outside_before, "outside changed");
    assert_eq!(
        snapshot(f.server.root.path()),
        root_before,
        "the root changed"
    );
    still_serves(&f.server);
}

#[test]
fn crc_lengths_past_the_end_and_special_files_are_refused() {
    let f = Fixture::new(&[]);
    let mut raw = f.raw();
    assert_eq!(ask(&mut raw, "CRC a 0"), "213 0 00000000");
    assert_eq!(
        ask(&mut raw, "CRC a 4"),
        format!("213 4 {:08x}", crc32(A_CONTENT))
    );
    assert_eq!(
        ask(&mut raw, "CRC /sub/../a 2"),
        format!("213 2 {:08x}", crc32(&A_CONTENT[..2]))
    );
    let mut failures = Vec::new();
    let cases: [(&str, &str); 9] = [
        ("CRC a 5", "554"),
        ("CRC a 18446744073709551615", "554"),
        ("CRC a 18446744073709551616", "501"),
        ("CRC a -1", "501"),
        ("CRC a 0x10", "501"),
        ("CRC a", "501"),
        ("CRC sub 0", "554"),
        ("CRC / 0", "554"),
        ("CRC nope 0", "550"),
    ];
    for (line, want) in cases {
        let reply = ask(&mut raw, line);
        if !reply.starts_with(want) {
            failures.push(format!("{line} -> {reply:?}, want {want}"));
        }
    }
    // A FIFO is refused at once, never opened (which would wait for a writer).
    quick_refusals(
        &mut raw,
        &[
            "CRC fifo 0",
            "CRC fifo 1",
            "CRC sub/../fifo 18446744073709551615",
        ],
        &mut failures,
    );
    in_step(&mut raw, "CRC lengths");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(!f.server.root.join("a.gz").exists());
    still_serves(&f.server);
}
