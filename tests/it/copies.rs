//! Copies that stay right: times and modes kept both ways, `-c` converging
//! after kills, `-u` moving only what changed, `sum` checked by
//! `sha256sum -c`, and `--limit` keeping its rate.

use std::fs::{self, File, FileTimes};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::util::{PASSWORD, Server, TempDir, bin, data, snapshot};

/// Files in the test tree.
const TREE_FILES: usize = 200;
/// Sizes the tree's files cycle through, in bytes.
const SIZES: [usize; 5] = [0, 1, 2047, 2048, 2049];
/// The one big file, in bytes.
const BIG_BYTES: usize = 3 << 20;

/// A tree with odd names, an empty directory, known times and modes.
fn make_tree(dir: &Path) {
    for d in ["a", "a/b c", "empty", "ünï"] {
        fs::create_dir_all(dir.join(d)).unwrap();
    }
    for i in 0..TREE_FILES {
        let sub = ["a", "a/b c", "ünï", ""][i % 4];
        let path = dir.join(sub).join(format!("f {i} 😀.dat"));
        fs::write(&path, data(SIZES[i % SIZES.len()], i as u64)).unwrap();
        stamp(
            &path,
            1_600_000_000 + i as u64 * 7,
            [0o644, 0o600, 0o755, 0o640][i % 4],
        );
    }
    let big = dir.join("a/big.bin");
    fs::write(&big, data(BIG_BYTES, 9)).unwrap();
    stamp(&big, 1_500_000_000, 0o604);
    for (d, t) in [("a/b c", 1_400_000_000), ("empty", 1_400_000_100)] {
        let when = SystemTime::UNIX_EPOCH + Duration::new(t, 123_456_789);
        File::open(dir.join(d))
            .unwrap()
            .set_times(FileTimes::new().set_modified(when))
            .unwrap();
    }
}

fn stamp(path: &Path, secs: u64, mode: u32) {
    let when = SystemTime::UNIX_EPOCH + Duration::new(secs, 987_654_321);
    let f = File::options().write(true).open(path).unwrap();
    f.set_times(FileTimes::new().set_modified(when)).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// A path, its kind and contents, mtime seconds and nanoseconds, mode.
type Snap = (Vec<u8>, char, Vec<u8>, i64, i64, u32);

/// Every path with its kind, contents, and (files and dirs) time and mode.
fn full_snapshot(dir: &Path) -> Vec<Snap> {
    snapshot(dir)
        .into_iter()
        .filter(|(rel, _, _)| !rel.is_empty())
        .map(|(rel, kind, body)| {
            let m = fs::symlink_metadata(
                dir.join(std::ffi::OsStr::new(std::str::from_utf8(&rel).unwrap())),
            )
            .unwrap();
            let mode = if kind == 'f' { m.mode() & 0o777 } else { 0 };
            (rel, kind, body, m.mtime(), m.mtime_nsec(), mode)
        })
        .collect()
}

#[test]
fn get_r_and_put_r_keep_times_and_modes() {
    let root = TempDir::new();
    make_tree(&root.join("tree"));
    let server = Server::start_with(root, &[], Some(PASSWORD));
    let local = TempDir::new();
    server.client(local.path(), "get -r tree\n").expect(0);
    let want = full_snapshot(&server.root.join("tree"));
    assert_eq!(full_snapshot(&local.join("tree")), want);
    server.client(local.path(), "put -r tree back\n").expect(0);
    // Group/other write bits would follow the server's umask; the tree has none.
    assert_eq!(full_snapshot(&server.root.join("back")), want);
}

/// Start `rftp -c` on `script` and kill it (by PID) after `after`.
fn run_and_kill(server: &Server, local: &Path, script: &str, after: Duration) {
    let mut child = Command::new(bin())
        .args(["-c", &server.addr(), "-q", "--limit", "8M"])
        .args(script.split(' '))
        .current_dir(local)
        .env("RFTP_PASSWORD", PASSWORD)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn interrupted_trees_converge_with_c() {
    let root = TempDir::new();
    make_tree(&root.join("tree"));
    let server = Server::start_with(root, &[], Some(PASSWORD));
    let local = TempDir::new();
    for ms in [150, 300, 450] {
        run_and_kill(
            &server,
            local.path(),
            "get -r -c tree",
            Duration::from_millis(ms),
        );
    }
    server.client(local.path(), "get -r -c tree\n").expect(0);
    let want = full_snapshot(&server.root.join("tree"));
    assert_eq!(full_snapshot(&local.join("tree")), want);
    for ms in [150, 300, 450] {
        run_and_kill(
            &server,
            local.path(),
            "put -r -c tree up",
            Duration::from_millis(ms),
        );
    }
    server
        .client(local.path(), "put -r -c tree up\n")
        .expect(0)
        .stderr_has("up to date");
    assert_eq!(full_snapshot(&server.root.join("up")), want);
}

#[test]
fn update_moves_only_what_changed() {
    let root = TempDir::new();
    make_tree(&root.join("tree"));
    let server = Server::start_with(root, &[], Some(PASSWORD));
    let local = TempDir::new();
    server.client(local.path(), "get -r tree\n").expect(0);
    let total = TREE_FILES + 1;
    for (i, name) in ["a/f 0 😀.dat", "f 3 😀.dat", "a/big.bin"]
        .iter()
        .enumerate()
    {
        let path = server.root.join("tree").join(name);
        fs::write(&path, data(100 + i, 77)).unwrap();
        stamp(&path, 1_700_000_000, 0o644);
    }
    server
        .client(local.path(), "get -r -u tree\n")
        .expect(0)
        .stderr_has(&format!(
            "3 of {total} files moved, {} up to date",
            total - 3
        ));
    assert_eq!(
        full_snapshot(&local.join("tree")),
        full_snapshot(&server.root.join("tree"))
    );
    server
        .client(local.path(), "get -r -u tree\n")
        .expect(0)
        .stderr_has(&format!("0 of {total} files moved, {total} up to date"));
    let quiet = crate::util::Run::new(
        &["-c", &server.addr(), "-q"],
        Some(PASSWORD),
        local.path(),
        b"get -r -u tree\n",
    );
    quiet.expect(0);
    assert_eq!(quiet.stderr, "", "-q prints nothing");
}

#[test]
fn sum_output_checks_with_sha256sum() {
    let server = Server::start(&[]);
    server.root.write("one", data(2049, 1));
    server.root.write("two words", data(5000, 2));
    let local = TempDir::new();
    let run = server.client(
        local.path(),
        "sum one \"two words\"\nget one\nget \"two words\"\n",
    );
    run.expect(0);
    local.write("SUMS", &run.stdout);
    let check = Command::new("sha256sum")
        .args(["-c", "SUMS"])
        .current_dir(local.path())
        .output();
    if let Ok(out) = check {
        assert!(out.status.success(), "{out:?}");
    }
    let crc = server.client(local.path(), "sum -a crc32 one\nlsum -a crc32 one\n");
    crc.expect(0);
    let out = crc.out();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0], lines[1]);
    assert_eq!(lines[0].len(), 8 + 2 + 3);
}

/// Seconds a client run with `args` takes from `local`; it must succeed.
fn timed(args: &[&str], local: &Path) -> f64 {
    let started = Instant::now();
    crate::util::Run::new(args, Some(PASSWORD), local, b"").expect(0);
    started.elapsed().as_secs_f64()
}

#[test]
fn limit_keeps_its_rate() {
    let server = Server::start(&[]);
    server.root.write("blob", data(2 << 20, 3));
    let local = TempDir::new();
    let secs = timed(
        &["-c", &server.addr(), "--limit", "1M", "get", "blob"],
        local.path(),
    );
    assert!(
        (1.9..2.2).contains(&secs),
        "2 MiB at 1 MiB/s took {secs:.2}s"
    );
}

#[test]
fn limit_holds_for_uploads_and_on_the_server() {
    let bytes = 2 << 20;
    // The client's cap on an upload.
    let server = Server::start(&[]);
    let local = TempDir::new();
    local.write("up", data(bytes, 4));
    let secs = timed(
        &["-c", &server.addr(), "--limit", "1M", "put", "up"],
        local.path(),
    );
    assert!(
        (1.9..2.2).contains(&secs),
        "2 MiB up at 1 MiB/s took {secs:.2}s"
    );
    assert_eq!(fs::read(server.root.join("up")).unwrap(), data(bytes, 4));
    // The server's cap on each session, the client uncapped.
    let server = Server::start(&["--limit", "1M"]);
    server.root.write("blob", data(bytes, 5));
    let secs = timed(&["-c", &server.addr(), "get", "blob"], local.path());
    assert!(
        (1.9..2.2).contains(&secs),
        "2 MiB from a 1 MiB/s server took {secs:.2}s"
    );
}
