//! Protocol 2's login from the outside: the three-strikes rule and the delay
//! over CPace, nothing but login before it, version mismatches named in one
//! line, `--plain` on both ends, and a fake server with the wrong password.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::fake::Fake;
use crate::util::{PASSWORD, Run, Server, TempDir};

/// The server's delay before answering a failed login.
const FAILURE_DELAY: Duration = Duration::from_millis(900);

#[test]
fn wrong_once_then_right_on_one_connection() {
    let server = Server::start(&[]);
    let mut raw = server.raw();
    let greeting = raw.line().unwrap();
    assert!(greeting.starts_with("220 rftp 2 ready cpace-ristretto255-sha512 suites="));
    let started = Instant::now();
    assert_eq!(
        raw.attempt(&greeting, "rftp", "nope"),
        "530 login incorrect"
    );
    assert!(
        started.elapsed() >= FAILURE_DELAY,
        "no delay before the failure"
    );
    assert!(raw.attempt(&greeting, "rftp", PASSWORD).starts_with("235 "));
    raw.send(b"PWD\n");
    assert_eq!(raw.line().unwrap(), "257 /");
}

#[test]
fn a_wrong_user_name_fails_like_a_wrong_password() {
    let server = Server::start(&[]);
    let mut raw = server.raw();
    let greeting = raw.line().unwrap();
    assert_eq!(
        raw.attempt(&greeting, "root", PASSWORD),
        "530 login incorrect"
    );
    assert!(server.wait_log("login failed", Duration::from_secs(5)));
    assert!(!server.log().contains("root"), "{}", server.log());
}

#[test]
fn three_failed_attempts_close_the_connection() {
    let server = Server::start(&[]);
    let mut raw = server.raw();
    let greeting = raw.line().unwrap();
    let started = Instant::now();
    let replies: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|p| raw.attempt(&greeting, "rftp", p))
        .collect();
    assert_eq!(
        replies,
        [
            "530 login incorrect",
            "530 login incorrect",
            "421 too many failed logins, closing"
        ]
    );
    assert!(started.elapsed() >= FAILURE_DELAY * 3);
    assert!(raw.closed_within(Duration::from_secs(2)));
}

#[test]
fn nothing_but_login_before_login() {
    let server = Server::start(&[]);
    let mut raw = server.raw();
    raw.line();
    raw.send(b"PWD\nLIST\nRETR x\n");
    for _ in 0..3 {
        assert_eq!(raw.line().unwrap(), "530 log in first (AUTH)");
    }
    raw.send(b"USER rftp\n");
    assert!(raw.line().unwrap().contains("protocol 2"));
    raw.send(b"STOR x 5 new\nhello");
    assert!(raw.line().unwrap().starts_with("421 "));
    assert!(raw.closed_within(Duration::from_secs(2)));
}

#[test]
fn a_plain_client_and_a_secure_server_name_the_mismatch() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    let run = Run::new(
        &["-c", &server.addr(), "--plain"],
        Some(PASSWORD),
        local.path(),
        b"pwd\n",
    );
    run.expect(3).stderr_has("protocol 2").stderr_has("--plain");
    assert!(run.stdout.is_empty());
}

#[test]
fn a_secure_client_never_falls_back_to_a_plain_server() {
    let server = Server::start(&["--plain"]);
    let local = TempDir::new();
    let run = server.client(local.path(), "pwd\n");
    run.expect(3)
        .stderr_has("protocol 1")
        .stderr_has("never falls back");
    assert!(!server.log().contains("login"), "{}", server.log());
}

#[test]
fn plain_on_both_ends_works_and_warns_on_each_side() {
    let server = Server::start(&["--plain"]);
    let local = TempDir::new();
    let run = Run::new(
        &["-c", &server.addr(), "--plain"],
        Some(PASSWORD),
        local.path(),
        b"pwd\n",
    );
    run.expect(0).stderr_has("warning: --plain");
    assert_eq!(run.out(), "/\n");
    assert_eq!(run.stderr.matches("warning: --plain").count(), 1);
    assert!(
        server.log().contains("warning: --plain"),
        "{}",
        server.log()
    );
}

#[test]
fn a_fake_server_with_the_wrong_password_gets_status_3_and_no_command() {
    let fake = Fake::start_with_password("not-the-password", Vec::new(), HashMap::new());
    let local = TempDir::new();
    let run = Run::new(
        &["-c", &fake.addr()],
        Some(PASSWORD),
        local.path(),
        b"pwd\nls\n",
    );
    run.expect(3).stderr_has("did not prove");
    assert!(run.stdout.is_empty(), "{}", run.dump());
    // Give a command that was sent anyway the time to arrive.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(fake.commands.load(Ordering::SeqCst), 0);
}

#[test]
fn the_generated_password_works_as_the_pake_password() {
    let server = Server::start_with(TempDir::new(), &[], None);
    let password = server
        .banner
        .lines()
        .find_map(|l| l.strip_prefix("password "))
        .unwrap()
        .to_string();
    assert_eq!(password.len(), 16);
    let local = TempDir::new();
    let run = Run::new(
        &["-c", &server.addr()],
        Some(&password),
        local.path(),
        b"pwd\n",
    );
    run.expect(0);
}
