//! Many files: mget and mput by pattern, get -r and put -r by tree. Each test
//! checks exactly which files arrived and that each is byte-identical.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::util::{Server, TempDir, data};

/// The mixed names every pattern test starts from (relative paths).
const NAMES: [&str; 10] = [
    "a.txt",
    "b.txt",
    "c.log",
    "noext",
    "README",
    "name.gz",
    "name.tar",
    ".hidden.txt",
    "x1.jpg",
    "x22.jpg",
];

fn fill(dir: &TempDir) {
    for (i, n) in NAMES.iter().enumerate() {
        dir.write(n, data(100 + i * 1000, i as u64));
    }
    fs::create_dir(dir.join("sub.txt")).unwrap();
    dir.write("logs/one.txt", data(10, 50));
    dir.write("logs/two.log", data(20, 51));
}

/// Regular files directly in `dir`, as names.
fn files(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| String::from_utf8_lossy(e.file_name().as_bytes()).into_owned())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// The file `name` holds the content `fill` gave it.
#[track_caller]
fn same(dir: &Path, name: &str) {
    let i = NAMES.iter().position(|n| *n == name).unwrap();
    assert!(
        fs::read(dir.join(name)).unwrap() == data(100 + i * 1000, i as u64),
        "{name} differs"
    );
}

#[test]
fn mget_takes_exactly_what_each_pattern_form_matches() {
    let server = Server::start(&[]);
    fill(&server.root);
    let cases: [(&str, &[&str]); 9] = [
        (
            "*",
            &[
                "a.txt", "b.txt", "c.log", "noext", "README", "name.gz", "name.tar", "x1.jpg",
                "x22.jpg",
            ],
        ),
        (
            "*.*",
            &[
                "a.txt", "b.txt", "c.log", "noext", "README", "name.gz", "name.tar", "x1.jpg",
                "x22.jpg",
            ],
        ),
        ("*.txt", &["a.txt", "b.txt"]),
        ("name.*", &["name.gz", "name.tar"]),
        ("x?.jpg", &["x1.jpg"]),
        ("[ab].txt", &["a.txt", "b.txt"]),
        ("{c.log,noext}", &["c.log", "noext"]),
        (".*", &[".hidden.txt"]),
        ("*.txt *.log a.txt", &["a.txt", "b.txt", "c.log"]),
    ];
    for (patterns, want) in cases {
        let local = TempDir::new();
        let run = server.client(local.path(), &format!("mget {patterns}\n"));
        run.expect(0);
        assert_eq!(
            files(local.path()),
            set(want),
            "mget {patterns}\n{}",
            run.dump()
        );
        for name in want {
            same(local.path(), name);
        }
        assert_eq!(
            run.stderr.matches("rftp: get ").count(),
            want.len(),
            "one summary per file\n{}",
            run.dump()
        );
    }
}

#[test]
fn mget_with_a_directory_part_lands_here() {
    let server = Server::start(&[]);
    fill(&server.root);
    let local = TempDir::new();
    server.client(local.path(), "mget logs/*.txt\n").expect(0);
    assert_eq!(files(local.path()), set(&["one.txt"]));
    assert_eq!(fs::read(local.join("one.txt")).unwrap(), data(10, 50));
}

#[test]
fn mget_without_a_match_names_the_pattern_and_still_takes_the_rest() {
    let server = Server::start(&[]);
    fill(&server.root);
    let local = TempDir::new();
    local.write("a.txt", b"mine");
    let run = server.client(local.path(), "mget *.none a.txt b.txt\n");
    run.expect(1)
        .stderr_has("rftp: mget: '*.none': no file matches")
        .stderr_has("rftp: mget: 'a.txt': already exists (use -f to overwrite)")
        .stderr_has("rftp: mget: 2 of 3 failed");
    assert_eq!(fs::read(local.join("a.txt")).unwrap(), b"mine");
    same(local.path(), "b.txt");
    server.client(local.path(), "mget -f a.txt\n").expect(0);
    same(local.path(), "a.txt");
}

#[test]
fn mput_takes_exactly_what_each_pattern_form_matches() {
    let local = TempDir::new();
    fill(&local);
    let cases: [(&str, &[&str]); 5] = [
        (
            "*.*",
            &[
                "a.txt", "b.txt", "c.log", "noext", "README", "name.gz", "name.tar", "x1.jpg",
                "x22.jpg",
            ],
        ),
        ("*.txt", &["a.txt", "b.txt"]),
        (
            "x*.jpg name.*",
            &["x1.jpg", "x22.jpg", "name.gz", "name.tar"],
        ),
        ("?.txt [ab]*", &["a.txt", "b.txt"]),
        (".*", &[".hidden.txt"]),
    ];
    for (patterns, want) in cases {
        let server = Server::start(&[]);
        let run = server.client(local.path(), &format!("mput {patterns}\n"));
        run.expect(0);
        assert_eq!(
            files(server.root.path()),
            set(want),
            "mput {patterns}\n{}",
            run.dump()
        );
        for name in want {
            same(server.root.path(), name);
        }
    }
}

#[test]
fn mput_keeps_existing_remote_files_without_f() {
    let server = Server::start(&[]);
    server.root.write("a.txt", b"theirs");
    let local = TempDir::new();
    fill(&local);
    let run = server.client(local.path(), "mput *.txt\n");
    run.expect(1)
        .stderr_has("rftp: mput: 'a.txt': already exists");
    assert_eq!(fs::read(server.root.join("a.txt")).unwrap(), b"theirs");
    same(server.root.path(), "b.txt");
    server.client(local.path(), "mput -f a.txt\n").expect(0);
    same(server.root.path(), "a.txt");
    server.client(local.path(), "mput logs/*.log\n").expect(0);
    assert_eq!(fs::read(server.root.join("two.log")).unwrap(), data(20, 51));
}

#[test]
fn mget_of_two_thousand_small_files_is_complete() {
    let server = Server::start(&[]);
    for i in 0..2000 {
        server.root.write(format!("f{i:04}.dat"), data(4096, i));
    }
    let local = TempDir::new();
    let run = server.client(local.path(), "mget *.dat\n");
    run.expect(0);
    assert_eq!(files(local.path()).len(), 2000);
    for i in 0..2000 {
        assert!(
            fs::read(local.join(format!("f{i:04}.dat"))).unwrap() == data(4096, i),
            "f{i:04}.dat"
        );
    }
    let local2 = TempDir::new();
    for i in 0..2000 {
        local2.write(format!("g{i:04}.dat"), data(4096, 5000 + i));
    }
    server.client(local2.path(), "mput g*.dat\n").expect(0);
    for i in 0..2000 {
        assert!(
            fs::read(server.root.join(format!("g{i:04}.dat"))).unwrap() == data(4096, 5000 + i),
            "g{i:04}.dat"
        );
    }
}

#[test]
fn mget_of_many_files_refuses_exactly_the_names_taken_here() {
    // Sixteen or more files: the destination is read once, not each name
    // looked up, and must still see what is in the way.
    let server = Server::start(&[]);
    for i in 0..40 {
        server.root.write(format!("f{i:02}.dat"), data(300, i));
    }
    let local = TempDir::new();
    local.write("f07.dat", b"mine");
    fs::create_dir(local.join("f21.dat")).unwrap();
    local.write(".rftp-part.f30.dat", b"kept");
    let run = server.client(local.path(), "mget *.dat\n");
    run.expect(1)
        .stderr_has("rftp: mget: 'f07.dat': already exists (use -f to overwrite)")
        .stderr_has("rftp: mget: 'f21.dat': is a directory")
        .stderr_has("rftp: mget: 38 of 40 files moved, 2 failed");
    assert_eq!(fs::read(local.join("f07.dat")).unwrap(), b"mine");
    assert!(local.join("f21.dat").is_dir());
    for i in (0..40).filter(|i| ![7, 21].contains(i)) {
        assert!(
            fs::read(local.join(format!("f{i:02}.dat"))).unwrap() == data(300, i),
            "f{i:02}.dat"
        );
    }
    // A fresh download over an old partial file starts over and leaves none.
    assert!(!local.join(".rftp-part.f30.dat").exists());
}

#[test]
fn mget_of_two_files_for_one_name_keeps_the_first_and_counts_the_second_failed() {
    // Small files are published behind the connection, in batches; the one
    // that cannot land is still that file's error, and not counted moved.
    let server = Server::start(&[]);
    for i in 0..20 {
        server.root.write(format!("f{i:02}.dat"), data(300, i));
    }
    server.root.write("sub/f05.dat", data(700, 99));
    let local = TempDir::new();
    let run = server.client(local.path(), "mget *.dat sub/f05.dat\n");
    run.expect(1)
        .stderr_has("rftp: mget: 'f05.dat': already exists (use -f to overwrite)")
        .stderr_has("rftp: mget: 20 of 21 files moved, 1 failed, 6,000 bytes");
    assert_eq!(files(local.path()).len(), 20, "{}", run.dump());
    for i in 0..20 {
        assert!(
            fs::read(local.join(format!("f{i:02}.dat"))).unwrap() == data(300, i),
            "f{i:02}.dat"
        );
    }
    let left: Vec<_> = fs::read_dir(local.path()).unwrap().collect();
    assert_eq!(left.len(), 20, "nothing but the files");
}

#[test]
fn files_of_many_land_in_the_order_of_their_jobs_small_or_large() {
    // A small file waits to be published behind the connection; a large
    // one after it for the same name is published after it, not before,
    // and is refused as it always was.
    let server = Server::start(&[]);
    server.root.write("a/x.dat", data(300, 1));
    server.root.write("b/x.dat", data(100_000, 2));
    let local = TempDir::new();
    let run = server.client(local.path(), "mget a/x.dat b/x.dat\n");
    run.expect(1)
        .stderr_has("rftp: mget: 'x.dat': already exists (use -f to overwrite)");
    assert!(
        fs::read(local.join("x.dat")).unwrap() == data(300, 1),
        "the first wins"
    );
    assert_eq!(fs::read_dir(local.path()).unwrap().count(), 1);
}

/// A tree three levels deep with empty directories and odd names.
fn tree(dir: &TempDir, top: &str) -> Vec<(String, Vec<u8>)> {
    let files = vec![
        (format!("{top}/top.txt"), data(100, 1)),
        (
            format!("{top}/two words/inner \u{1F600}.bin"),
            data(2049, 2),
        ),
        (format!("{top}/two words/deeper/leaf.txt"), data(0, 3)),
        (format!("{top}/two words/deeper/big.bin"), data(300_000, 4)),
        (format!("{top}/a/b/c/d.txt"), data(1, 5)),
    ];
    for (p, d) in &files {
        dir.write(p, d);
    }
    for empty in ["empty", "a/b/empty too"] {
        fs::create_dir_all(dir.join(format!("{top}/{empty}"))).unwrap();
    }
    files
}

#[test]
fn get_r_copies_a_whole_tree() {
    let server = Server::start(&[]);
    let files = tree(&server.root, "site");
    let local = TempDir::new();
    server
        .client(local.path(), "get -r site\nget -r site copy\n")
        .expect(0);
    for top in ["site", "copy"] {
        for (p, d) in &files {
            let p = p.replacen("site", top, 1);
            assert!(fs::read(local.join(&p)).unwrap() == *d, "{p}");
        }
        assert!(local.join(format!("{top}/empty")).is_dir());
        assert!(local.join(format!("{top}/a/b/empty too")).is_dir());
    }
    // Again without -f: every file is refused, nothing changes.
    let run = server.client(local.path(), "get -r site\n");
    run.expect(1).stderr_has("rftp: get: 5 of 5 failed");
    server.client(local.path(), "get -r -f site\n").expect(0);
}

#[test]
fn put_r_copies_a_whole_tree() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    let files = tree(&local, "site");
    std::os::unix::fs::symlink("/etc", local.join("site/link-out")).unwrap();
    let run = server.client(local.path(), "put -r site\nput -r site copy\n");
    run.expect(0).stderr_has("skipping 'site/link-out'");
    for top in ["site", "copy"] {
        for (p, d) in &files {
            let p = p.replacen("site", top, 1);
            assert!(fs::read(server.root.join(&p)).unwrap() == *d, "{p}");
        }
        assert!(server.root.join(format!("{top}/empty")).is_dir());
        assert!(server.root.join(format!("{top}/a/b/empty too")).is_dir());
        assert!(!server.root.join(format!("{top}/link-out")).exists());
    }
    // Into an existing tree: directories are fine, files are refused without -f.
    server
        .client(local.path(), "put -r site\n")
        .expect(1)
        .stderr_has("rftp: put: 5 of 5 failed");
    server.client(local.path(), "put -r -f site\n").expect(0);
}

#[test]
fn uploads_sent_back_to_back_go_where_their_paths_lead_now() {
    // The server opens the directory of a burst of uploads once; a rename
    // or anything else in between must send later uploads by their paths.
    use crate::fake::framed;
    use crate::raw::logged_in;
    use crate::util::crc32;
    let server = Server::start(&[]);
    server.root.write("taken.txt", b"theirs");
    let mut raw = logged_in(&server);
    let stor = |path: &str, body: &[u8]| {
        let mut out = format!("STOR {path} {} new\n", body.len()).into_bytes();
        out.extend_from_slice(&framed(body));
        out.extend_from_slice(format!("DONE {} {:08x}\n", body.len(), crc32(body)).as_bytes());
        out
    };
    let mut burst = b"MKDIR a\n".to_vec();
    burst.extend(stor("a/x", b"first"));
    burst.extend(stor("a/x2", b"second"));
    burst.extend_from_slice(b"RENAME a b\nMKDIR a\n");
    burst.extend(stor("a/y", b"third"));
    burst.extend(stor("taken.txt", b"mine"));
    burst.extend(stor("a", b"not a directory's name"));
    raw.send(&burst);
    let replies: Vec<String> = (0..8).map(|_| raw.line().unwrap_or_default()).collect();
    for (i, reply) in replies.iter().enumerate().take(6) {
        assert!(reply.starts_with('2'), "reply {i}: {replies:?}");
    }
    assert!(replies[6].contains("already exists"), "{replies:?}");
    assert!(replies[7].contains("already exists"), "{replies:?}");
    let root = server.root.path();
    assert_eq!(fs::read(root.join("b/x")).unwrap(), b"first");
    assert_eq!(fs::read(root.join("b/x2")).unwrap(), b"second");
    assert_eq!(fs::read(root.join("a/y")).unwrap(), b"third");
    assert!(!root.join("b/y").exists());
    assert_eq!(fs::read(root.join("taken.txt")).unwrap(), b"theirs");
    assert!(root.join("a").is_dir());
    assert_eq!(server.root.names().len(), 3, "{:?}", server.root.names());
}

#[test]
fn a_burst_of_small_uploads_is_answered_in_order_and_seen_by_what_follows() {
    // Small uploads are published behind the session, in batches; each
    // reply still says what happened, in order, and a command after them
    // sees them published.
    use crate::fake::framed;
    use crate::raw::{logged_in, read_reply};
    use crate::util::crc32;
    let server = Server::start(&[]);
    let mut raw = logged_in(&server);
    let stor = |path: &str, body: &[u8], mode: &str| {
        let mut out = format!("STOR {path} {} {mode}\n", body.len()).into_bytes();
        out.extend_from_slice(&framed(body));
        out.extend_from_slice(format!("DONE {} {:08x}\n", body.len(), crc32(body)).as_bytes());
        out
    };
    let mut burst = Vec::new();
    for i in 0..40 {
        burst.extend(stor(&format!("f{i:02}"), &data(100, i), "new"));
    }
    burst.extend(stor("f07", b"again", "new"));
    burst.extend_from_slice(b"RETR f39\n");
    burst.extend(stor("f08", b"replaced", "replace"));
    burst.extend_from_slice(b"RENAME f00 g00\n");
    // Damaged ones: the CRC or the length in the trailer does not match.
    burst.extend_from_slice(b"STOR bad1 5 new\n");
    burst.extend_from_slice(&framed(b"short"));
    burst.extend_from_slice(b"DONE 5 00000000\nSTOR bad2 5 new\n");
    burst.extend_from_slice(&framed(b"short"));
    burst.extend_from_slice(format!("DONE 4 {:08x}\nRETR f08\n", crc32(b"short")).as_bytes());
    raw.send(&burst);
    for i in 0..40 {
        let r = read_reply(&mut raw).unwrap();
        let want = format!("226 100 {:08x}", crc32(&data(100, i)));
        assert!(
            r.line.starts_with(&want),
            "f{i:02}: {} (want {want})",
            r.line
        );
    }
    assert!(
        read_reply(&mut raw)
            .unwrap()
            .line
            .contains("already exists")
    );
    let got = read_reply(&mut raw).unwrap();
    assert_eq!(
        got.payload.as_deref(),
        Some(&data(100, 39)[..]),
        "{}",
        got.line
    );
    assert!(read_reply(&mut raw).unwrap().line.starts_with("226 "));
    assert!(
        read_reply(&mut raw).unwrap().line.starts_with('2'),
        "rename"
    );
    for bad in ["bad1", "bad2"] {
        let damaged = read_reply(&mut raw).unwrap().line;
        assert!(damaged.contains("upload damaged"), "{bad}: {damaged}");
    }
    let got = read_reply(&mut raw).unwrap();
    assert_eq!(
        got.payload.as_deref(),
        Some(&b"replaced"[..]),
        "{}",
        got.line
    );
    let root = server.root.path();
    assert!(!root.join("f00").exists());
    assert!(fs::read(root.join("g00")).unwrap() == data(100, 0));
    for i in 1..40 {
        let want = if i == 8 {
            b"replaced".to_vec()
        } else {
            data(100, i)
        };
        assert!(
            fs::read(root.join(format!("f{i:02}"))).unwrap() == want,
            "f{i:02}"
        );
    }
    assert_eq!(
        server.root.names().len(),
        40,
        "nothing else, no partial file"
    );
}

#[test]
fn a_burst_of_small_uploads_cut_off_leaves_only_whole_files() {
    // The connection goes away with uploads waiting to be published: each
    // file is there whole or not at all, no partial file is left, and the
    // server serves on.
    use crate::fake::framed;
    use crate::raw::logged_in;
    use crate::util::crc32;
    let server = Server::start(&[]);
    let mut raw = logged_in(&server);
    let mut burst = Vec::new();
    for i in 0..40 {
        let body = data(1000, i);
        burst.extend(format!("STOR f{i:02} {} new\n", body.len()).into_bytes());
        burst.extend(framed(&body));
        burst.extend(format!("DONE {} {:08x}\n", body.len(), crc32(&body)).into_bytes());
    }
    // The last upload is cut inside its payload.
    burst.extend_from_slice(b"STOR cut 1000 new\n");
    burst.extend_from_slice(&framed(&data(1000, 99))[..500]);
    raw.send(&burst);
    drop(raw);
    assert!(
        server.wait_log("'/cut'", std::time::Duration::from_secs(10)),
        "{}",
        server.log()
    );
    let root = server.root.path();
    let names = server.root.names();
    assert!(!names.contains(&b"cut".to_vec()), "{names:?}");
    for name in &names {
        let name = String::from_utf8_lossy(name).into_owned();
        let i: u64 = name[1..]
            .parse()
            .unwrap_or_else(|_| panic!("{name}: not an upload"));
        assert!(
            fs::read(root.join(&name)).unwrap() == data(1000, i),
            "{name}"
        );
    }
    // And it serves on.
    let mut again = logged_in(&server);
    assert_eq!(crate::raw::ask(&mut again, "PWD"), "257 /");
}
