//! Resume: a transfer cut part-way (the client killed) is continued with -c,
//! moving only the missing bytes, and ends byte-identical.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{PASSWORD, Server, TempDir, bin, data};

/// The file cut and continued: a dozen of the server's copy buffers.
const SIZE: usize = 12 * 1024 * 1024;
/// Kill the client once this much has been written.
const CUT_AT_BYTES: u64 = 2 * 1024 * 1024;
/// The cut client's `--limit`: slow enough that the kill always lands
/// before the end (SIZE takes 1.5 s), so the size need not ensure it.
const CUT_RATE: &str = "8M";

/// A client running `command`, paced at `CUT_RATE`, to be killed.
fn client(server: &Server, dir: &Path, command: &[&str]) -> Child {
    Command::new(bin())
        .args(["-c", &server.addr(), "-q", "--limit", CUT_RATE])
        .args(command)
        .current_dir(dir)
        .env("RFTP_PASSWORD", PASSWORD)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Wait until `path` holds at least `bytes`, then kill `child`; returns
/// false if the transfer never got there.
fn kill_when_grown(mut child: Child, path: &PathBuf, bytes: u64) -> bool {
    let until = Instant::now() + Duration::from_secs(30);
    let grown = loop {
        if fs::metadata(path).is_ok_and(|m| m.len() >= bytes) {
            break true;
        }
        if Instant::now() > until || child.try_wait().unwrap().is_some() {
            break false;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let _ = child.kill();
    child.wait().unwrap();
    grown
}

/// The byte count of the last log line for `what` (e.g. "get '/big.bin'").
fn logged_bytes(server: &Server, what: &str) -> u64 {
    let log = server.log();
    let line = log
        .lines()
        .rev()
        .find(|l| l.contains(what))
        .unwrap_or_else(|| panic!("no {what} in\n{log}"));
    let after = &line[line.find(what).unwrap() + what.len()..];
    after.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn get_c_continues_a_killed_download() {
    let server = Server::start(&[]);
    let content = data(SIZE, 7);
    server.root.write("big.bin", &content);
    let local = TempDir::new();
    let partial = local.join(".rftp-part.big.bin");
    let child = client(&server, local.path(), &["get", "big.bin"]);
    assert!(
        kill_when_grown(child, &partial, CUT_AT_BYTES),
        "the download never got going"
    );
    assert!(
        !local.join("big.bin").exists(),
        "a cut download left a file under its name"
    );
    let kept = fs::metadata(&partial).unwrap().len();
    assert!(kept > 0 && kept < SIZE as u64, "kept {kept}");

    let run = server.client(local.path(), "get -c big.bin\n");
    run.expect(0).stderr_has(&format!(
        "continued from byte {}",
        crate::util::thousands(kept)
    ));
    assert!(
        fs::read(local.join("big.bin")).unwrap() == content,
        "resumed download differs"
    );
    assert!(!partial.exists());
    assert!(
        server.wait_log(
            &format!("get '/big.bin' {} bytes", SIZE as u64 - kept),
            Duration::from_secs(5)
        ),
        "{}",
        server.log()
    );
    assert_eq!(logged_bytes(&server, "get '/big.bin'"), SIZE as u64 - kept);
}

#[test]
fn put_c_continues_a_killed_upload() {
    let server = Server::start(&[]);
    let content = data(SIZE, 8);
    let local = TempDir::new();
    local.write("big.bin", &content);
    let partial = server.root.join(".rftp-part.big.bin");
    let child = client(&server, local.path(), &["put", "big.bin"]);
    assert!(
        kill_when_grown(child, &partial, CUT_AT_BYTES),
        "the upload never got going"
    );
    assert!(
        server.wait_log("partial data kept", Duration::from_secs(10)),
        "{}",
        server.log()
    );
    assert!(!server.root.join("big.bin").exists());
    let kept = fs::metadata(&partial).unwrap().len();
    assert!(kept > 0 && kept < SIZE as u64, "kept {kept}");

    let run = server.client(local.path(), "put -c big.bin\n");
    run.expect(0).stderr_has("continued from byte");
    assert!(
        fs::read(server.root.join("big.bin")).unwrap() == content,
        "resumed upload differs"
    );
    assert!(!partial.exists());
    assert_eq!(logged_bytes(&server, "put '/big.bin'"), SIZE as u64 - kept);
}

#[test]
fn get_c_starts_over_when_the_kept_data_does_not_match() {
    let server = Server::start(&[]);
    let content = data(300_000, 9);
    server.root.write("f.bin", &content);
    let local = TempDir::new();
    local.write(".rftp-part.f.bin", data(100_000, 10));
    let run = server.client(local.path(), "get -c f.bin\n");
    run.expect(0);
    assert!(!run.stderr.contains("continued"), "{}", run.dump());
    assert!(fs::read(local.join("f.bin")).unwrap() == content);
    assert_eq!(logged_bytes(&server, "get '/f.bin'"), 300_000);
}

#[test]
fn put_c_starts_over_when_the_kept_data_does_not_match() {
    let server = Server::start(&[]);
    server.root.write(".rftp-part.f.bin", data(100_000, 11));
    let content = data(300_000, 12);
    let local = TempDir::new();
    local.write("f.bin", &content);
    server.client(local.path(), "put -c f.bin\n").expect(0);
    assert!(fs::read(server.root.join("f.bin")).unwrap() == content);
    assert_eq!(logged_bytes(&server, "put '/f.bin'"), 300_000);
    // Without kept data, -c is a plain transfer.
    let local2 = TempDir::new();
    server.client(local2.path(), "get -c f.bin\n").expect(0);
    assert!(fs::read(local2.join("f.bin")).unwrap() == content);
}

#[test]
fn a_plain_transfer_starts_over_and_cleans_up() {
    let server = Server::start(&[]);
    server.root.write("f.bin", b"fresh");
    let local = TempDir::new();
    local.write(".rftp-part.f.bin", b"stale stale stale");
    server.client(local.path(), "get f.bin\n").expect(0);
    assert_eq!(fs::read(local.join("f.bin")).unwrap(), b"fresh");
    assert_eq!(local.names(), [b"f.bin".to_vec()]);
}

#[test]
fn a_plain_upload_starts_over_and_cleans_up() {
    // Small files skip the look for a left-over partial file only in a
    // directory the session made; anywhere else it is taken over.
    let server = Server::start(&[]);
    server.root.write(".rftp-part.f.bin", b"stale stale stale");
    server.root.write("old/.rftp-part.g.bin", b"stale");
    let local = TempDir::new();
    local.write("f.bin", b"fresh");
    local.write("tree/g.bin", b"fresh g");
    local.write("tree/h.bin", b"fresh h");
    let script = "put f.bin\ncd old\nmput tree/*.bin\ncd /\nput -r tree new\n";
    server.client(local.path(), script).expect(0);
    assert_eq!(fs::read(server.root.join("f.bin")).unwrap(), b"fresh");
    assert_eq!(fs::read(server.root.join("old/g.bin")).unwrap(), b"fresh g");
    assert_eq!(fs::read(server.root.join("old/h.bin")).unwrap(), b"fresh h");
    assert_eq!(fs::read(server.root.join("new/h.bin")).unwrap(), b"fresh h");
    assert_eq!(
        server.root.names(),
        [b"f.bin".to_vec(), b"new".to_vec(), b"old".to_vec()]
    );
    let old: Vec<_> = fs::read_dir(server.root.join("old"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(old.len(), 2, "no partial file left: {old:?}");
}

#[test]
fn partial_files_are_hidden_and_only_removable() {
    let server = Server::start(&[]);
    server.root.write(".rftp-part.left.bin", data(1000, 13));
    server.root.write("real.txt", b"real");
    let local = TempDir::new();
    let run = server.client(local.path(), "ls -a\n");
    run.expect(0);
    assert_eq!(run.out(), "real.txt\n");
    for cmd in [
        "get .rftp-part.left.bin",
        "put real.txt .rftp-part.x",
        "rename real.txt .rftp-part.y",
        "mkdir .rftp-part.d",
    ] {
        server
            .client(local.path(), &format!("{cmd}\n"))
            .expect(1)
            .stderr_has("name reserved for partial transfers");
    }
    server
        .client(local.path(), "rm .rftp-part.left.bin\n")
        .expect(0);
    assert_eq!(server.root.names(), [b"real.txt".to_vec()]);
}
