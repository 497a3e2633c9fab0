//! Login: passwords from every source, failures, the three-strikes rule.
//! (The password typed at a terminal is in `prompt`.)

use std::time::Duration;

use crate::util::{PASSWORD, Run, Server, TempDir};

#[test]
fn right_password_logs_in() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    let run = server.client(local.path(), "pwd\n");
    run.expect(0);
    assert_eq!(run.out(), "/\n");
    assert!(
        server.wait_log("login 'rftp' ok", Duration::from_secs(5)),
        "{}",
        server.log()
    );
}

#[test]
fn wrong_password_exits_3() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    let addr = server.addr();
    let run = Run::new(&["-c", &addr], Some("wrong"), local.path(), b"pwd\n");
    run.expect(3).stderr_has("login failed");
    assert!(run.stdout.is_empty(), "{}", run.dump());
}

#[test]
fn plain_wrong_once_then_right_on_one_connection() {
    let server = Server::start(&["--plain"]);
    let mut raw = server.raw();
    assert!(raw.line().unwrap().starts_with("220 rftp 1 "));
    raw.send(b"USER rftp\nPASS nope\n");
    assert!(raw.line().unwrap().starts_with("331"));
    assert_eq!(raw.line().unwrap(), "530 login incorrect");
    raw.send(format!("USER rftp\nPASS {PASSWORD}\nPWD\n").as_bytes());
    assert!(raw.line().unwrap().starts_with("331"));
    assert_eq!(raw.line().unwrap(), "230 logged in");
    assert_eq!(raw.line().unwrap(), "257 /");
}

#[test]
fn plain_three_wrong_passwords_close_the_connection() {
    let server = Server::start(&["--plain"]);
    let mut raw = server.raw();
    raw.line();
    raw.send(b"USER rftp\nPASS a\nUSER rftp\nPASS b\nUSER rftp\nPASS c\n");
    let mut lines = Vec::new();
    while let Some(l) = raw.line() {
        lines.push(l);
    }
    assert_eq!(
        lines.last().map(String::as_str),
        Some("421 too many failed logins, closing"),
        "{lines:?}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("530")).count(),
        2,
        "{lines:?}"
    );
    assert!(raw.closed_within(Duration::from_secs(2)));
}

#[test]
fn password_from_file() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    let file = local.write("pw", format!("{PASSWORD}\n"));
    let addr = server.addr();
    let run = Run::new(
        &[
            "-c",
            &addr,
            "--password-file",
            file.to_str().unwrap(),
            "pwd",
        ],
        None,
        local.path(),
        b"",
    );
    run.expect(0);
    assert_eq!(run.out(), "/\n");
}

#[test]
fn piped_first_line_is_never_the_password() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    // setsid: no controlling terminal to ask on, whatever the test runs under.
    let mut cmd = std::process::Command::new("setsid");
    cmd.arg(crate::util::bin())
        .args(["-c", &server.addr()])
        .current_dir(local.path())
        .env_remove("RFTP_PASSWORD");
    let run = Run::spawn(cmd, format!("{PASSWORD}\npwd\n").as_bytes());
    run.expect(3).stderr_has("no password");
    assert!(run.stdout.is_empty(), "{}", run.dump());
}

#[test]
fn server_password_file_is_used() {
    let root = TempDir::new();
    let pwfile = TempDir::new();
    let path = pwfile.write("secret", "from-a-file\n");
    let server = Server::start_with(root, &["--password-file", path.to_str().unwrap()], None);
    assert!(!server.banner.contains("password "), "{}", server.banner);
    let local = TempDir::new();
    let addr = server.addr();
    Run::new(
        &["-c", &addr, "pwd"],
        Some("from-a-file"),
        local.path(),
        b"",
    )
    .expect(0);
    Run::new(&["-c", &addr, "pwd"], Some(PASSWORD), local.path(), b"").expect(3);
}

#[test]
fn generated_password_is_printed_and_works() {
    let server = Server::start_with(TempDir::new(), &[], None);
    let password = server
        .banner
        .lines()
        .find_map(|l| l.strip_prefix("password "))
        .unwrap_or_else(|| panic!("no password in banner: {}", server.banner))
        .to_string();
    assert_eq!(password.len(), 16);
    let local = TempDir::new();
    let addr = server.addr();
    Run::new(&["-c", &addr, "pwd"], Some(&password), local.path(), b"").expect(0);
}

#[test]
fn unreachable_server_exits_3() {
    let local = TempDir::new();
    // Bind then drop a listener to find a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    Run::new(&["-c", &addr, "pwd"], Some(PASSWORD), local.path(), b"")
        .expect(3)
        .stderr_has("cannot connect");
}

#[test]
fn plain_nothing_but_login_before_login() {
    let server = Server::start(&["--plain"]);
    let mut raw = server.raw();
    raw.line();
    raw.send(b"PWD\nLIST\nRETR x\n");
    for _ in 0..3 {
        assert_eq!(raw.line().unwrap(), "530 log in first");
    }
    raw.send(b"STOR x 5 new\nhello");
    assert!(raw.line().unwrap().starts_with("421 "));
    assert!(raw.closed_within(Duration::from_secs(2)));
}
