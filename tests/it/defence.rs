//! The client against a malicious server: names that would escape the local
//! destination are refused with an error naming them, and nothing is written
//! outside it; damaged payloads leave no file.

use std::collections::HashMap;
use std::fs;

use crate::fake::{Fake, Serve, framed};
use crate::util::crc32;
use crate::util::{PASSWORD, Run, TempDir};

fn evil_names() -> Vec<(char, Vec<u8>, u64)> {
    [
        &b"../escape"[..],
        b"/tmp/rftp-absolute-escape",
        b"a/b",
        b"..",
        b".",
        b"ctl\x01name",
        b"new\nline",
        b"back\\slash",
        b"",
        b"good.txt",
    ]
    .iter()
    .map(|n| ('f', n.to_vec(), 4))
    .collect()
}

fn files() -> HashMap<Vec<u8>, Serve> {
    let mut m = HashMap::new();
    for n in [
        &b"escape"[..],
        b"rftp-absolute-escape",
        b"b",
        b"good.txt",
        b"ctl\x01name",
        b"back\\slash",
    ] {
        m.insert(n.to_vec(), Serve::Bytes(b"evil".to_vec()));
    }
    m.insert(b"good.txt".to_vec(), Serve::Bytes(b"good".to_vec()));
    m
}

/// Everything below `dir`, as relative paths.
fn everything(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn get_r_refuses_names_that_leave_the_destination() {
    let fake = Fake::start(evil_names(), files());
    let base = TempDir::new();
    let local = base.join("work");
    fs::create_dir(&local).unwrap();
    let run = Run::new(
        &["-c", &fake.addr(), "get", "-r", "dir", "dest"],
        Some(PASSWORD),
        &local,
        b"",
    );
    run.expect(1);
    for shown in [
        "'../escape'",
        "'/tmp/rftp-absolute-escape'",
        "'a/b'",
        "'..'",
        "'.'",
        "'ctl\\x01name'",
        "'new\\nline'",
        "'back\\\\slash'",
        "''",
    ] {
        assert!(
            run.stderr.contains(&format!("rftp: get: {shown}: ")),
            "no error naming {shown}\n{}",
            run.dump()
        );
    }
    // Only the good file (and the directory itself) exist; nothing escaped.
    assert_eq!(
        everything(base.path()),
        ["work", "work/dest", "work/dest/good.txt"]
    );
    assert_eq!(fs::read(local.join("dest/good.txt")).unwrap(), b"good");
    assert!(!std::path::Path::new("/tmp/rftp-absolute-escape").exists());
}

#[test]
fn mget_refuses_names_that_leave_the_destination() {
    let fake = Fake::start(evil_names(), files());
    let base = TempDir::new();
    let local = base.join("work");
    fs::create_dir(&local).unwrap();
    let run = Run::new(
        &["-c", &fake.addr()],
        Some(PASSWORD),
        &local,
        b"mget * .*\n",
    );
    run.expect(1)
        .stderr_has("rftp: mget: 'ctl\\x01name': ")
        .stderr_has("rftp: mget: '..': ");
    assert_eq!(everything(base.path()), ["work", "work/good.txt"]);
}

#[test]
fn payload_longer_than_announced_leaves_no_file() {
    let mut files = HashMap::new();
    let mut raw = b"150 4\n".to_vec();
    raw.extend(framed(b"far more than four bytes"));
    raw.extend(format!("226 4 {:08x}\n", crc32(b"far ")).into_bytes());
    files.insert(b"long.txt".to_vec(), Serve::Raw(raw));
    let fake = Fake::start(vec![('f', b"long.txt".to_vec(), 4)], files);
    let local = TempDir::new();
    let run = Run::new(
        &["-c", &fake.addr(), "get", "long.txt"],
        Some(PASSWORD),
        local.path(),
        b"",
    );
    run.expect(1).stderr_has("payload longer than announced");
    assert!(local.names().is_empty(), "{:?}", local.names());
}

#[test]
fn wrong_checksum_leaves_no_file() {
    let mut files = HashMap::new();
    let mut raw = b"150 4\n".to_vec();
    raw.extend(framed(b"data"));
    raw.extend(b"226 4 00000000\n");
    files.insert(b"bad.txt".to_vec(), Serve::Raw(raw));
    let fake = Fake::start(vec![('f', b"bad.txt".to_vec(), 4)], files);
    let local = TempDir::new();
    let run = Run::new(
        &["-c", &fake.addr(), "get", "bad.txt"],
        Some(PASSWORD),
        local.path(),
        b"",
    );
    run.expect(1).stderr_has("checksum mismatch");
    assert!(local.names().is_empty(), "{:?}", local.names());
}
