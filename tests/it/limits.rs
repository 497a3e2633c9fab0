//! Server options that limit clients: --read-only, --max-clients and
//! --idle-timeout.

use std::fs;
use std::time::{Duration, Instant};

use crate::util::{Server, TempDir};

#[test]
fn read_only_refuses_every_writing_command() {
    let server = Server::start(&["--read-only"]);
    server.root.write("keep.txt", b"keep");
    fs::create_dir(server.root.join("dir")).unwrap();
    let local = TempDir::new();
    local.write("up.txt", b"up");
    for cmd in [
        "put up.txt",
        "put -f up.txt keep.txt",
        "mkdir new",
        "rmdir dir",
        "rm keep.txt",
        "rename keep.txt moved.txt",
    ] {
        let run = server.client(local.path(), &format!("{cmd}\n"));
        run.expect(1).stderr_has("the server is read-only");
    }
    assert_eq!(server.root.names(), [b"dir".to_vec(), b"keep.txt".to_vec()]);
    assert_eq!(fs::read(server.root.join("keep.txt")).unwrap(), b"keep");
    let run = server.client(local.path(), "ls\nget keep.txt\n");
    run.expect(0);
    assert_eq!(fs::read(local.join("keep.txt")).unwrap(), b"keep");
}

#[test]
fn max_clients_refuses_the_next_with_a_reply() {
    let server = Server::start(&["--max-clients", "1"]);
    let mut first = server.raw();
    first.login();
    let local = TempDir::new();
    let run = server.client(local.path(), "pwd\n");
    run.expect(3).stderr_has("too many clients");
    let mut second = server.raw();
    assert!(second.line().unwrap().starts_with("421 too many clients"));
    drop(first);
    // Once the first leaves, a new client gets in (the slot frees at once or soon).
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let run = server.client(local.path(), "pwd\n");
        if run.code() == 0 {
            break;
        }
        assert!(Instant::now() < until, "slot never freed\n{}", run.dump());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn idle_client_is_cut_off() {
    let server = Server::start(&["--idle-timeout", "1"]);
    let mut raw = server.raw();
    raw.login();
    let started = Instant::now();
    assert_eq!(raw.line().as_deref(), Some("421 idle timeout"));
    assert!(raw.closed_within(Duration::from_secs(2)));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}
