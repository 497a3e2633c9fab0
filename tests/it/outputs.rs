//! Closed output pipes: a server whose log pipe broke keeps serving (greeting,
//! login, transfers, refusals past --max-clients), and a client whose stdout
//! reader went away (`rftp -c … ls | head -1`) stops quietly with status 0.

use std::fs;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::util::{CLIENT_DEADLINE, PASSWORD, Server, TempDir, bin, data};

/// Clients run one after another against a server whose log pipe is closed.
const CLIENTS: usize = 3;

#[test]
fn server_serves_on_when_its_log_pipe_is_closed() {
    let server = Server::start_log_closed(&[]);
    let body = data(100_000, 8);
    for i in 0..CLIENTS {
        let mut raw = server.raw();
        raw.login();
        raw.send(b"PWD\n");
        assert_eq!(raw.line().as_deref(), Some("257 /"));
        drop(raw);
        let local = TempDir::new();
        local.write("up.bin", &body);
        let name = format!("f{i}.bin");
        let run = server.client(
            local.path(),
            &format!("put up.bin {name}\nget {name} back.bin\n"),
        );
        run.expect(0);
        assert_eq!(fs::read(server.root.join(&name)).unwrap(), body);
        assert_eq!(fs::read(local.join("back.bin")).unwrap(), body);
    }
    // The broken log is said once, on stdout, which still works.
    let said = server.log();
    assert_eq!(
        said.matches("cannot write to standard error").count(),
        1,
        "{said}"
    );
}

#[test]
fn refusal_with_a_closed_log_pipe_keeps_the_server_alive() {
    let mut server = Server::start_log_closed(&["--max-clients", "1"]);
    let mut first = server.raw();
    first.login();
    let mut second = server.raw();
    let refused = second.line().unwrap_or_default();
    assert!(refused.starts_with("421 too many clients"), "{refused}");
    drop(second);
    // The first session, open while the accept thread logged, goes on.
    first.send(b"NOOP\n");
    assert_eq!(first.line().as_deref(), Some("200 ok"));
    assert!(server.is_running(), "the server died logging a refusal");
    drop(first);
    let local = TempDir::new();
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let run = server.client(local.path(), "pwd\n");
        if run.code() == 0 {
            break;
        }
        assert!(Instant::now() < until, "never served again\n{}", run.dump());
        thread::sleep(Duration::from_millis(50));
    }
    assert!(server.is_running());
}

/// Run a client with `script`, its stdout a pipe closed at once (and its
/// stderr too when `close_stderr`); returns the exit code and stderr.
fn client_into_closed_pipe(
    server: &Server,
    local: &TempDir,
    script: &str,
    close_stderr: bool,
) -> (i32, String) {
    let mut cmd = Command::new(bin());
    cmd.args(["-c", &server.addr()])
        .current_dir(local.path())
        .env("RFTP_PASSWORD", PASSWORD)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    drop(child.stdout.take());
    let stderr = child.stderr.take();
    let reader = if close_stderr {
        drop(stderr);
        None
    } else {
        stderr.map(|mut e| {
            thread::spawn(move || {
                let mut s = String::new();
                let _ = e.read_to_string(&mut s);
                s
            })
        })
    };
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(script.as_bytes());
    drop(stdin);
    let until = Instant::now() + CLIENT_DEADLINE;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("client ran past its deadline");
        }
        thread::sleep(Duration::from_millis(10));
    };
    let stderr = reader.map(|t| t.join().unwrap()).unwrap_or_default();
    (status.code().unwrap_or(-1), stderr)
}

#[test]
fn ls_into_a_closed_stdout_stops_quietly() {
    let server = Server::start(&[]);
    for i in 0..200 {
        server.root.write(format!("name-{i:03}.txt"), b"x");
    }
    // The script stops at the broken stdout: the put after it never runs.
    let local = TempDir::new();
    local.write("late.txt", b"late");
    let (code, stderr) = client_into_closed_pipe(&server, &local, "ls\nput late.txt\n", false);
    assert_eq!(code, 0, "stderr: {stderr}");
    assert_eq!(stderr, "", "no panic and no 'Broken pipe' noise");
    assert!(!server.root.join("late.txt").exists());
    // With stderr closed as well (`2>&1 | head -1`): still no panic.
    let (code, _) = client_into_closed_pipe(&server, &local, "ls -l\n", true);
    assert_eq!(code, 0);
    // An error message into the closed stderr is dropped, and the run goes on.
    let (code, _) = client_into_closed_pipe(&server, &local, "-rm missing\npwd\n", true);
    assert_eq!(code, 0);
}
