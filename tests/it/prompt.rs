//! The interactive prompt, driven in a pseudo-terminal as a person types:
//! history recall (Up, Ctrl-R), editing in the middle of a line, Tab completion of a
//! remote name with a space and the list on a second Tab, Ctrl-C and Ctrl-D
//! at the prompt, the password prompt (echo restored after Ctrl-C, three
//! tries, no deadline on a slow typist), the history file across sessions,
//! and the script without a password or a terminal that fails at once.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::pty::Pty;
use crate::util::{PASSWORD, Run, Server, TempDir, bin};

const UP: &str = "\x1b[A";
const LEFT: &str = "\x1b[D";

/// A server on a root holding `files`.
fn serve(files: &[(&str, &str)]) -> Server {
    let root = TempDir::new();
    for (name, data) in files {
        root.write(name, data);
    }
    Server::start_with(root, &[], Some(PASSWORD))
}

/// A client at the prompt of `server`, logged in with `RFTP_PASSWORD`.
fn at_prompt(server: &Server, local: &TempDir, state: &TempDir) -> Pty {
    let addr = server.addr();
    let mut pty = Pty::spawn(
        &["-c", &addr],
        local.path(),
        state.path(),
        &[("RFTP_PASSWORD", PASSWORD)],
    );
    pty.wait_for("rftp> ");
    pty
}

/// Wait until `path` exists (the command that makes it has run).
fn wait_file(path: &std::path::Path, pty: &Pty) -> Vec<u8> {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{path:?} never came; the screen:\n{}",
            pty.screen()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    fs::read(path).unwrap()
}

#[test]
fn up_arrow_and_ctrl_r_run_an_earlier_command_again() {
    let server = serve(&[("a.txt", "alpha")]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let mut pty = at_prompt(&server, &local, &state);
    pty.send("get a.txt\r");
    pty.wait_for("rftp> ");
    assert_eq!(wait_file(&local.join("a.txt"), &pty), b"alpha");
    fs::remove_file(local.join("a.txt")).unwrap();
    pty.send(format!("{UP}\r"));
    pty.wait_for("rftp> ");
    assert_eq!(wait_file(&local.join("a.txt"), &pty), b"alpha");
    // Ctrl-R finds it again past a newer line.
    fs::remove_file(local.join("a.txt")).unwrap();
    pty.send("lpwd\r");
    pty.wait_for("rftp> ");
    pty.send("\x12a.t");
    pty.wait_for("(reverse-i-search)`a.t': get a.txt");
    pty.send("\r");
    pty.wait_for("rftp> ");
    assert_eq!(wait_file(&local.join("a.txt"), &pty), b"alpha");
    pty.send("quit\r");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());
}

#[test]
fn left_arrow_edits_the_middle_of_a_line() {
    let server = serve(&[("a.txt", "alpha"), ("日本.txt", "wide")]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let mut pty = at_prompt(&server, &local, &state);
    // "get .txt", four left, then the missing "a"; Home and Ctrl-E too.
    pty.send(format!("et .txt{LEFT}{LEFT}{LEFT}{LEFT}a\x01g\x05\r"));
    pty.wait_for("rftp> ");
    assert_eq!(wait_file(&local.join("a.txt"), &pty), b"alpha");
    // Wide characters: the cursor steps over each as one.
    pty.send(format!("get 本.txt{LEFT}{LEFT}{LEFT}{LEFT}{LEFT}日\r"));
    pty.wait_for("rftp> ");
    assert_eq!(wait_file(&local.join("日本.txt"), &pty), b"wide");
    pty.send("quit\r");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());
}

#[test]
fn tab_completes_a_remote_name_with_a_space() {
    let server = serve(&[("two words.txt", "spaced"), ("other", "x")]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let mut pty = at_prompt(&server, &local, &state);
    pty.send("get tw\t");
    pty.wait_for("get \"two words.txt\" ");
    pty.send("\r");
    pty.wait_for("rftp> ");
    assert_eq!(wait_file(&local.join("two words.txt"), &pty), b"spaced");
    // Commands complete too, and a local name for put.
    local.write("local file", "up");
    pty.send("pu\tlocal\t\r");
    pty.wait_for("put \"local file\" ");
    pty.wait_for("rftp> ");
    let start = Instant::now();
    while !server.root.join("local file").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{}",
            pty.screen()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    pty.send("quit\r");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());
}

#[test]
fn second_tab_lists_the_candidates_in_columns() {
    let server = serve(&[("alpha one", "1"), ("alpha two", "2"), ("beta", "3")]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let mut pty = at_prompt(&server, &local, &state);
    pty.send("get al\t");
    // The common start, its quote left open for the rest.
    pty.wait_for("get \"alpha ");
    pty.send("\t");
    pty.wait_for("alpha one  alpha two\r\n");
    // The line is drawn again below the list, as it was; finish it.
    pty.wait_for("get \"alpha ");
    pty.send("t\t\r");
    pty.wait_for("get \"alpha two\" ");
    pty.wait_for("rftp> ");
    assert_eq!(wait_file(&local.join("alpha two"), &pty), b"2");
    assert!(!pty.screen().contains("beta"), "{}", pty.screen());
    pty.send("quit\r");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());
}

#[test]
fn ctrl_c_clears_the_line_and_ctrl_d_quits() {
    let server = serve(&[("a.txt", "alpha")]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let mut pty = at_prompt(&server, &local, &state);
    pty.send("get a.txt\x03");
    pty.wait_for("^C\r\n");
    pty.wait_for("rftp> ");
    pty.send("pwd\r");
    pty.wait_for("/\r\n");
    pty.wait_for("rftp> ");
    assert!(!local.join("a.txt").exists(), "{}", pty.screen());
    pty.send("\x04");
    let status = pty.wait();
    assert_eq!(status.code(), Some(0), "{}", pty.screen());
    assert!(pty.screen().ends_with("\r\n"), "{:?}", pty.screen());
    assert!(pty.cooked(), "the terminal was left raw");
}

#[test]
fn ctrl_c_at_the_password_prompt_restores_echo() {
    let server = serve(&[]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let addr = server.addr();
    let mut pty = Pty::spawn(&["-c", &addr], local.path(), state.path(), &[]);
    pty.wait_for("Password: ");
    assert!(!pty.echoes(), "echo is on at the password prompt");
    pty.send("half a passw\x03");
    let status = pty.wait();
    assert_eq!(status.signal(), Some(2), "not ended by SIGINT: {status:?}");
    assert!(pty.echoes(), "echo left off after Ctrl-C");
    assert!(pty.cooked(), "the terminal was left raw");
    assert!(!pty.screen().contains("half"), "{}", pty.screen());
}

#[test]
fn two_wrong_passwords_then_the_right_one_log_in() {
    let server = serve(&[]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let addr = server.addr();
    let mut pty = Pty::spawn(&["-c", &addr], local.path(), state.path(), &[]);
    for wrong in ["nope", "still-wrong"] {
        pty.wait_for("Password: ");
        pty.send(format!("{wrong}\r"));
        pty.wait_for("try again");
    }
    pty.wait_for("Password: ");
    // An arrow key typed by mistake is never part of the password.
    pty.send(format!("{PASSWORD}{LEFT}\r"));
    pty.wait_for("rftp> ");
    pty.send("pwd\r");
    pty.wait_for("/\r\n");
    pty.send("quit\r");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());
    assert!(!pty.screen().contains("nope"), "a password was echoed");
    // All three on one connection.
    let log = server.log();
    assert_eq!(log.matches("login failed").count(), 2, "{log}");
    assert_eq!(log.matches(" connect\n").count(), 1, "{log}");
}

#[test]
fn three_wrong_passwords_exit_3() {
    let server = serve(&[]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let addr = server.addr();
    let mut pty = Pty::spawn(&["-c", &addr], local.path(), state.path(), &[]);
    for wrong in ["a", "b", "c"] {
        pty.wait_for("Password: ");
        pty.send(format!("{wrong}\r"));
    }
    let status = pty.wait();
    assert_eq!(status.code(), Some(3), "{}", pty.screen());
    pty.wait_for("too many failed logins");
    assert!(!pty.screen().contains("rftp> "), "{}", pty.screen());
    assert!(pty.echoes());
}

#[test]
fn a_slow_typist_is_not_cut_off_by_the_login_deadline() {
    // --idle-timeout 2 makes the server's login deadline 2 seconds.
    let server = Server::start(&["--idle-timeout", "2"]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let addr = server.addr();
    let mut pty = Pty::spawn(&["-c", &addr], local.path(), state.path(), &[]);
    pty.wait_for("Password: ");
    std::thread::sleep(Duration::from_secs(3));
    pty.send(format!("{PASSWORD}\r"));
    pty.wait_for("rftp> ");
    assert!(
        server.wait_log("login 'rftp' ok", Duration::from_secs(5)),
        "{}",
        server.log()
    );
    assert!(!pty.screen().contains("try again"), "{}", pty.screen());
    pty.send("quit\r");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());
}

#[test]
fn script_without_password_or_terminal_fails_at_once() {
    let server = serve(&[]);
    let local = TempDir::new();
    let addr = server.addr();
    // setsid: no controlling terminal, whatever the test runs under.
    let mut cmd = Command::new("setsid");
    cmd.arg(bin())
        .args(["-c", &addr])
        .current_dir(local.path())
        .env_remove("RFTP_PASSWORD");
    let start = Instant::now();
    let run = Run::spawn(cmd, format!("{PASSWORD}\npwd\n").as_bytes());
    run.expect(3)
        .stderr_has("--password-file")
        .stderr_has("RFTP_PASSWORD");
    assert!(start.elapsed() < Duration::from_secs(5), "{}", run.dump());
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.dump());
    assert!(run.stdout.is_empty(), "{}", run.dump());
    // It never even connected, so no line was taken as the password.
    std::thread::sleep(Duration::from_millis(200));
    assert!(!server.log().contains("login"), "{}", server.log());
}

#[test]
fn history_survives_a_restart_and_never_holds_the_password() {
    let server = serve(&[("a.txt", "alpha")]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let addr = server.addr();
    let mut pty = Pty::spawn(&["-c", &addr], local.path(), state.path(), &[]);
    pty.wait_for("Password: ");
    pty.send(format!("{PASSWORD}\r"));
    pty.wait_for("rftp> ");
    pty.send("get a.txt\r");
    pty.wait_for("rftp> ");
    // A line that starts with a space is not kept (bash's ignorespace).
    pty.send(" lpwd\r");
    pty.wait_for("rftp> ");
    pty.send("quit\r");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());
    drop(pty);

    let file = state.join("rftp/history");
    let text = fs::read_to_string(&file).unwrap();
    assert_eq!(text, "get a.txt\nquit\n");
    assert!(!text.contains(PASSWORD));
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    fs::remove_file(local.join("a.txt")).unwrap();
    let mut pty = at_prompt(&server, &local, &state);
    pty.send(format!("{UP}{UP}\r"));
    pty.wait_for("rftp> ");
    assert_eq!(wait_file(&local.join("a.txt"), &pty), b"alpha");
    pty.send("quit\r");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());
}

#[test]
fn keys_typed_while_a_command_runs_are_kept_for_the_prompt() {
    // A download slowed by --limit is still running when the next lines
    // are typed, as a person types ahead; none of them may be lost.
    let root = TempDir::new();
    root.write("big.bin", vec![7u8; 400_000]);
    let server = Server::start_with(root, &["--limit", "200000"], Some(PASSWORD));
    let (local, state) = (TempDir::new(), TempDir::new());
    let mut pty = at_prompt(&server, &local, &state);
    pty.send("get big.bin\r");
    std::thread::sleep(Duration::from_millis(300));
    pty.send("lpwd\rquit\r");
    let status = pty.wait();
    assert_eq!(status.code(), Some(0), "screen:\n{}", pty.screen());
    assert_eq!(fs::read(local.join("big.bin")).unwrap().len(), 400_000);
    let screen = pty.screen();
    assert!(
        screen.contains(&local.path().display().to_string()),
        "lpwd typed ahead did not run; the screen:\n{screen}"
    );
}
