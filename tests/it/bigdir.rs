//! A directory larger than one listing window (`fs::scan`): ls, dir and mget
//! get every entry, in order, with long non-ASCII names; neither side holds
//! or refuses the listing as a whole.

use std::fs;

use crate::util::{PASSWORD, Server, TempDir, crc32};

/// More than two of the server's listing windows (4096 names each).
const ENTRIES: usize = 9_000;

/// A long name of non-ASCII letters, unique for `i` (about 200 bytes).
fn long_name(i: usize) -> String {
    format!("{}-{i:05}.txt", "é".repeat(48) + &"Ünïcödé".repeat(4))
}

#[test]
fn a_directory_of_many_long_names_lists_whole_and_in_order() {
    let root = TempDir::new();
    fs::create_dir(root.join("big")).unwrap();
    for i in 0..ENTRIES {
        fs::write(root.join("big").join(long_name(i)), b"").unwrap();
    }
    fs::create_dir(root.join("big/zz-dir")).unwrap();
    fs::write(root.join("big/pick-1"), b"one").unwrap();
    fs::write(root.join("big/pick-2"), b"two").unwrap();
    let server = Server::start_with(root, &[], Some(PASSWORD));
    let local = TempDir::new();

    let run = server.client(local.path(), "ls big\n");
    run.expect(0);
    let out = run.out();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), ENTRIES + 3, "every entry, once");
    let mut sorted = lines.clone();
    sorted.sort_by_key(|l| (l.to_lowercase(), l.to_string()));
    assert!(lines == sorted, "in ls order");
    assert!(lines.contains(&"zz-dir/"));

    let run = server.client(local.path(), "dir big\n");
    run.expect(0);
    let out = run.out();
    let body: Vec<&str> = out.lines().skip(2).collect();
    assert!(
        body[0].contains("<DIR>") && body[0].ends_with("zz-dir"),
        "directories first"
    );
    assert!(
        out.contains(&format!("{:>16} File(s)", ENTRIES + 2)),
        "{}",
        run.dump()
    );
    assert!(out.ends_with(&format!("{:>16} Dir(s)\n", 1)));

    // On the wire: no length up front, the chunks end it, the final reply
    // counts it.
    let mut raw = server.raw();
    raw.login();
    raw.send(b"LIST big\n");
    assert_eq!(raw.line().unwrap(), "150 * /big");
    let payload = raw.payload().unwrap();
    assert_eq!(payload.iter().filter(|&&b| b == b'\n').count(), ENTRIES + 3);
    let done = raw.line().unwrap();
    assert_eq!(
        done,
        format!("226 {} {:08x} /big", payload.len(), crc32(&payload))
    );

    let run = server.client(local.path(), "lcd .\nmget big/pick-*\n");
    run.expect(0);
    assert_eq!(fs::read(local.join("pick-1")).unwrap(), b"one");
    assert_eq!(fs::read(local.join("pick-2")).unwrap(), b"two");
}
