//! Ctrl-C and lost connections, as a person at the prompt meets them (in a
//! pseudo-terminal) and as a script does: Ctrl-C during a slow get, put or
//! mget stops it, keeps the partial data for `-c` and says so, and the
//! prompt comes back with a working session in the same remote directory;
//! in a script SIGINT still ends the run (status 130, nothing published); a
//! server's idle timeout, or a server gone, is said plainly, and at a
//! terminal the next command logs in again by itself; `open` and `close`;
//! script errors name their line.

use std::fs;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::pty::Pty;
use crate::util::{PASSWORD, Run, Server, TempDir, bin, data};

/// A server whose root holds `files`, with `args`.
fn serve(files: &[(&str, &[u8])], args: &[&str]) -> Server {
    let root = TempDir::new();
    for (name, bytes) in files {
        root.write(name, bytes);
    }
    Server::start_with(root, args, Some(PASSWORD))
}

/// A client at the prompt of `server` in a pty, with `args` after `-c ADDR`.
fn at_prompt(server: &Server, local: &TempDir, state: &TempDir, args: &[&str]) -> Pty {
    let addr = server.addr();
    let mut all = vec!["-c", addr.as_str()];
    all.extend_from_slice(args);
    let mut pty = Pty::spawn(
        &all,
        local.path(),
        state.path(),
        &[("RFTP_PASSWORD", PASSWORD)],
    );
    pty.wait_for("rftp> ");
    pty
}

/// Wait until the file at `path` holds more than `least` bytes.
#[track_caller]
fn wait_growing(path: &Path, least: u64, screen: impl Fn() -> String) -> u64 {
    let start = Instant::now();
    loop {
        if let Ok(m) = fs::metadata(path)
            && m.len() > least
        {
            return m.len();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{path:?} did not grow past {least} bytes; the screen:\n{}",
            screen()
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_c_stops_a_get_keeps_its_data_and_the_session_goes_on() {
    let content = data(4 << 20, 1);
    let server = serve(&[("sub/big.bin", &content)], &[]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let mut pty = at_prompt(&server, &local, &state, &["--limit", "1M"]);
    pty.send("cd sub\r");
    pty.wait_for("rftp> ");
    pty.send("get big.bin\r");
    let partial = local.join(".rftp-part.big.bin");
    wait_growing(&partial, 0, || pty.screen());
    pty.send("\x03");
    pty.wait_for("rftp: get 'big.bin': interrupted; ");
    pty.wait_for(" bytes kept for 'get -c'");
    pty.wait_for("rftp> ");
    let kept = fs::metadata(&partial).unwrap().len();
    assert!(kept > 0 && kept < content.len() as u64, "kept {kept}");
    assert!(!local.join("big.bin").exists());
    // The same session, in the same remote directory.
    pty.send("pwd\r");
    pty.wait_for("/sub\r\n");
    pty.wait_for("rftp> ");
    pty.send("quit\r");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());
    assert!(pty.cooked(), "the terminal is left in line mode");
    // What was kept continues.
    let run = server.client(local.path(), "cd sub\nget -c big.bin\n");
    run.expect(0).stderr_has("continued from byte");
    assert!(fs::read(local.join("big.bin")).unwrap() == content);
    assert!(!partial.exists());
}

#[test]
fn ctrl_c_stops_a_put_and_put_c_continues_it() {
    let (local, state) = (TempDir::new(), TempDir::new());
    let content = data(4 << 20, 2);
    local.write("up.bin", &content);
    let server = serve(&[], &[]);
    let mut pty = at_prompt(&server, &local, &state, &["--limit", "1M"]);
    pty.send("put up.bin\r");
    let partial = server.root.join(".rftp-part.up.bin");
    wait_growing(&partial, 0, || pty.screen());
    pty.send("\x03");
    pty.wait_for("rftp: put 'up.bin': interrupted; the server keeps what it received");
    pty.wait_for(" for 'put -c'");
    pty.wait_for("rftp> ");
    assert!(!server.root.join("up.bin").exists());
    pty.send("ls -a\r");
    pty.wait_for("rftp> ");
    // The kept data is the server's to continue, in the same session.
    pty.send("put -c up.bin\r");
    pty.wait_for("continued from byte");
    pty.wait_for("rftp> ");
    assert!(fs::read(server.root.join("up.bin")).unwrap() == content);
    pty.send("quit\r");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());
}

#[test]
fn ctrl_c_stops_an_mget_as_a_whole() {
    let files: Vec<(String, Vec<u8>)> = (0..3)
        .map(|i| (format!("f{i}.bin"), data(2 << 20, 10 + i)))
        .collect();
    let named: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let server = serve(&named, &[]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let mut pty = at_prompt(&server, &local, &state, &["--limit", "1M"]);
    pty.send("mget *.bin\r");
    wait_growing(&local.join(".rftp-part.f0.bin"), 0, || pty.screen());
    pty.send("\x03");
    pty.wait_for("rftp: mget 'f0.bin': interrupted; ");
    pty.wait_for(" bytes kept for 'mget -c'");
    pty.wait_for("rftp> ");
    // No summary line, no later file started, and the session works.
    assert!(!pty.screen().contains("files moved"), "{}", pty.screen());
    assert!(!local.join(".rftp-part.f1.bin").exists());
    pty.send("lpwd\r");
    pty.wait_for("rftp> ");
    pty.send("ls\r");
    pty.wait_for("f2.bin");
    pty.wait_for("rftp> ");
    pty.send("quit\r");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());
}

#[test]
fn sigint_ends_a_script_with_130_and_publishes_nothing() {
    let content = data(4 << 20, 3);
    let server = serve(&[("big.bin", &content)], &[]);
    let local = TempDir::new();
    let mut child = Command::new(bin())
        .args(["-c", &server.addr(), "--limit", "1M"])
        .current_dir(local.path())
        .env("RFTP_PASSWORD", PASSWORD)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"get big.bin\n").unwrap();
    let partial = local.join(".rftp-part.big.bin");
    let start = Instant::now();
    while fs::metadata(&partial).map_or(true, |m| m.len() == 0) {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the download never started");
        }
        thread::sleep(Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    drop(stdin);
    // A shell reports a death by SIGINT as 130.
    assert_eq!(status.signal(), Some(2), "{status:?}");
    assert!(!local.join("big.bin").exists());
    assert!(partial.exists(), "the partial data stays for -c");
}

#[test]
fn a_server_idle_timeout_ends_a_script_plainly() {
    let server = serve(&[], &["--idle-timeout", "1"]);
    let local = TempDir::new();
    let mut child = Command::new(bin())
        .args(["-c", &server.addr()])
        .current_dir(local.path())
        .env("RFTP_PASSWORD", PASSWORD)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"pwd\n").unwrap();
    thread::sleep(Duration::from_millis(2500));
    let _ = stdin.write_all(b"pwd\npwd\n");
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "/\n");
    assert!(
        stderr
            .contains("rftp: pwd: connection closed by the server: idle timeout (script line 2)\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("protocol error"), "{stderr}");
}

#[test]
fn at_a_terminal_the_next_command_logs_in_again_in_the_same_directory() {
    let server = serve(&[("sub/a.txt", b"alpha")], &["--idle-timeout", "1"]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let mut pty = at_prompt(&server, &local, &state, &[]);
    pty.send("cd sub\r");
    pty.wait_for("rftp> ");
    assert!(server.wait_log("close after", Duration::from_secs(10)));
    pty.send("ls\r");
    pty.wait_for("rftp: connection closed by the server: idle timeout\r\n");
    pty.wait_for("rftp: logged in again to 127.0.0.1 port ");
    pty.wait_for(", in '/sub'\r\n");
    pty.wait_for("a.txt");
    pty.wait_for("rftp> ");
    pty.send("quit\r");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());
    assert_eq!(server.log().matches(" login 'rftp' ok").count(), 2);
}

#[test]
fn a_server_gone_at_a_terminal_is_said_plainly_and_the_session_stays() {
    let server = serve(&[], &[]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let mut pty = at_prompt(&server, &local, &state, &[]);
    // The server goes away (a restart that has not come back yet).
    drop(server);
    pty.send("pwd\r");
    pty.wait_for("rftp: connection closed by the server\r\n");
    pty.wait_for("rftp: pwd: cannot connect to 127.0.0.1 port ");
    pty.wait_for("rftp> ");
    pty.send("lpwd\r");
    pty.wait_for("rftp> ");
    pty.send("quit\r");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());
    assert!(!pty.screen().contains("protocol error"), "{}", pty.screen());
}

#[test]
fn close_hangs_up_and_open_logs_in_again() {
    let server = serve(&[("a.txt", b"alpha")], &[]);
    let local = TempDir::new();
    let script = format!(
        "cd /\nclose\n-pwd\nlpwd\nclose\nopen {}\nls\nclose\n",
        server.addr()
    );
    let run = server.client(local.path(), &script);
    run.expect(0)
        .stderr_has("rftp: pwd: not connected (use 'open HOST') (script line 3)\n");
    assert!(run.out().ends_with("a.txt\n"), "{}", run.dump());
    assert_eq!(server.log().matches(" login 'rftp' ok").count(), 2);
    // Without -, a command with no connection ends the script.
    let run = server.client(local.path(), "close\nls\nlpwd\n");
    run.expect(1)
        .stderr_has("rftp: ls: not connected (use 'open HOST') (script line 2)\n");
    assert!(run.out().is_empty(), "{}", run.dump());
    // A server that is not there: a failed command, like any other.
    let run = server.client(local.path(), "open 127.0.0.1:1\nlpwd\n");
    run.expect(1)
        .stderr_has("rftp: open: cannot connect to 127.0.0.1 port 1")
        .stderr_has(" (script line 1)\n");
    assert!(run.out().is_empty(), "{}", run.dump());
}

#[test]
fn open_at_a_terminal_asks_for_the_password_again() {
    let server = serve(&[("a.txt", b"alpha")], &[]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let addr = server.addr();
    let mut pty = Pty::spawn(&["-c", &addr], local.path(), state.path(), &[]);
    pty.wait_for("Password: ");
    pty.send(format!("{PASSWORD}\r"));
    pty.wait_for("rftp> ");
    pty.send("close\r");
    pty.wait_for("rftp> ");
    pty.send("ls\r");
    pty.wait_for("not connected");
    pty.wait_for("rftp> ");
    pty.send(format!("open {addr}\r"));
    pty.wait_for("Password: ");
    pty.send(format!("{PASSWORD}\r"));
    pty.wait_for("rftp> ");
    assert!(!pty.screen().contains(PASSWORD), "{}", pty.screen());
    pty.send("ls\r");
    pty.wait_for("a.txt");
    pty.wait_for("rftp> ");
    pty.send("quit\r");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());
    assert!(pty.echoes(), "echo is back");
}

#[test]
fn script_errors_name_their_line() {
    let server = serve(&[("a.txt", b"alpha")], &[]);
    let local = TempDir::new();
    let script = "# a comment\n\nget a.txt\n-get nothing.txt\nget nothing.txt\nls\n";
    let run = server.client(local.path(), script);
    run.expect(1)
        .stderr_has("rftp: get: '/nothing.txt': no such file or directory (script line 4)\n")
        .stderr_has("rftp: get: '/nothing.txt': no such file or directory (script line 5)\n");
    assert!(run.out().is_empty(), "{}", run.dump());
    let file = local.write("batch", "lpwd\n\n  cd nowhere\n");
    let run = Run::new(
        &["-c", &server.addr(), "-b", file.to_str().unwrap()],
        Some(PASSWORD),
        local.path(),
        b"",
    );
    run.expect(1)
        .stderr_has("rftp: cd: ")
        .stderr_has(" (script line 3)\n");
    // One command from the command line has no line.
    let run = Run::new(
        &["-c", &server.addr(), "get", "nothing.txt"],
        Some(PASSWORD),
        local.path(),
        b"",
    );
    run.expect(1).stderr_has("rftp: get: ");
    assert!(!run.stderr.contains("script line"), "{}", run.dump());
}
