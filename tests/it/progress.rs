//! Progress as a person sees it, in a pseudo-terminal 80 columns wide: a
//! long name shortened so that the line fits, one line for a whole mget,
//! "stalled" when nothing moves, the line cleared before an error, and
//! `ls` in columns; none of it with `-q`. Transfers are slowed by the
//! server's `--limit`, so that the line is drawn (and, stopped, stalls)
//! without data piling up in socket buffers.

use std::process::Command;

use crate::pty::Pty;
use crate::util::{PASSWORD, Server, TempDir, data};

/// The pty's width (see `pty.rs`).
const COLUMNS: usize = 80;

/// A server that sends at most 1 MiB/s, on a root holding `files`.
fn slow_server(files: &[(&str, usize)]) -> Server {
    let root = TempDir::new();
    for (i, (name, size)) in files.iter().enumerate() {
        root.write(name, data(*size, i as u64));
    }
    Server::start_with(root, &["--limit", "1M"], Some(PASSWORD))
}

/// `rftp -c SERVER ARGS…` in a pty, in `local`.
fn client(server: &Server, local: &TempDir, state: &TempDir, args: &[&str]) -> Pty {
    let addr = server.addr();
    let mut all = vec!["-c", addr.as_str()];
    all.extend_from_slice(args);
    Pty::spawn(
        &all,
        local.path(),
        state.path(),
        &[("RFTP_PASSWORD", PASSWORD)],
    )
}

/// The progress lines drawn on `screen`: each piece between carriage
/// returns and newlines that shows a percentage, without the escape that
/// clears the line.
fn progress_lines(screen: &str) -> Vec<String> {
    screen
        .split(['\r', '\n'])
        .map(|s| s.replace("\x1b[K", ""))
        .filter(|s| s.contains('%') && !s.starts_with("rftp:"))
        .collect()
}

/// Send `signal` (`STOP`, `CONT`, `KILL`) to the process `pid`.
fn signal(signal: &str, pid: u32) {
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill -{signal} {pid}");
}

#[test]
fn a_long_name_is_shortened_to_fit_the_terminal() {
    let name = format!("{}-end-of-the-name.bin", "long-directory-name-".repeat(6));
    let server = slow_server(&[(&name, 1_500_000)]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let mut pty = client(&server, &local, &state, &["get", &name]);
    assert!(pty.wait().success(), "{}", pty.screen());
    let screen = pty.screen();
    let lines = progress_lines(&screen);
    assert!(!lines.is_empty(), "no progress drawn:\n{screen}");
    for line in &lines {
        assert!(line.chars().count() < COLUMNS, "too wide: {line:?}");
        assert!(
            line.contains("...") && line.contains("-of-the-name.bin"),
            "{line:?}"
        );
        assert!(
            line.contains(" of 1.5 MB ") && line.contains("/s"),
            "{line:?}"
        );
        assert!(line.contains(" left"), "{line:?}");
    }
    // The summary line names the file in full, at the start of a line.
    assert!(
        screen.contains(&format!("\x1b[Krftp: get '{name}': 1,500,000 bytes")),
        "{screen}"
    );
    assert_eq!(
        std::fs::metadata(local.join(&name)).unwrap().len(),
        1_500_000
    );
}

#[test]
fn mget_shows_one_line_for_the_whole_job() {
    let files = [
        ("m1.dat", 400_000),
        ("m2.dat", 400_000),
        ("m3.dat", 400_000),
    ];
    let server = slow_server(&files);
    let (local, state) = (TempDir::new(), TempDir::new());
    let mut pty = client(&server, &local, &state, &["mget", "m*.dat"]);
    assert!(pty.wait().success(), "{}", pty.screen());
    let screen = pty.screen();
    let lines = progress_lines(&screen);
    assert!(lines.len() >= 2, "too little progress:\n{screen}");
    for line in &lines {
        assert!(
            line.contains(" of 3 files ") && line.contains(" of 1.2 MB "),
            "{line:?}"
        );
        assert!(line.chars().count() < COLUMNS, "too wide: {line:?}");
    }
    assert!(lines.iter().any(|l| l.contains("m2.dat")), "{screen}");
    // No line per file: the job's summary only.
    assert!(!screen.contains("rftp: get '"), "{screen}");
    assert!(
        screen.contains("rftp: mget: 3 of 3 files moved, 1,200,000 bytes"),
        "{screen}"
    );
}

#[test]
fn a_transfer_that_stops_moving_says_stalled() {
    let server = slow_server(&[("big.bin", 20_000_000)]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let mut pty = client(&server, &local, &state, &["get", "big.bin"]);
    pty.wait_for("% ");
    signal("STOP", server.pid());
    pty.wait_for("stalled for 0:0");
    signal("CONT", server.pid());
    // Moving again, it says the rate and the time left again.
    pty.wait_for(" left");
}

#[test]
fn the_progress_line_is_cleared_before_an_error() {
    let server = slow_server(&[("big.bin", 20_000_000)]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let mut pty = client(&server, &local, &state, &["get", "big.bin"]);
    pty.wait_for("% ");
    signal("KILL", server.pid());
    pty.wait_for("rftp: get: ");
    assert_eq!(pty.wait().code(), Some(1), "{}", pty.screen());
    let screen = pty.screen();
    let at = screen.find("rftp: get: ").unwrap_or_default();
    // What comes before the error on its line was cleared: nothing of the
    // progress line is left beside it.
    assert!(screen[..at].ends_with("\r\x1b[K"), "{screen:?}");
}

#[test]
fn quiet_shows_no_progress() {
    let server = slow_server(&[("f.bin", 600_000)]);
    let (local, state) = (TempDir::new(), TempDir::new());
    let mut pty = client(&server, &local, &state, &["-q", "get", "f.bin"]);
    assert!(pty.wait().success(), "{}", pty.screen());
    let screen = pty.screen();
    assert!(
        progress_lines(&screen).is_empty() && !screen.contains("rftp:"),
        "{screen}"
    );
    assert!(local.join("f.bin").exists());
}

#[test]
fn ls_prints_columns_on_a_terminal() {
    let names: Vec<String> = (0..30).map(|i| format!("name-{i:02}")).collect();
    let files: Vec<(&str, usize)> = names.iter().map(|n| (n.as_str(), 1)).collect();
    let server = slow_server(&files);
    let (local, state) = (TempDir::new(), TempDir::new());
    let mut pty = client(&server, &local, &state, &["ls"]);
    assert!(pty.wait().success(), "{}", pty.screen());
    let screen = pty.screen();
    let rows: Vec<&str> = screen.lines().filter(|l| l.starts_with("name-")).collect();
    // 30 names of 7 columns, two spaces apart: nine to a row of 80, down
    // the columns first (four rows: name-00, name-04, … across the first).
    assert_eq!(rows.len(), 4, "{screen}");
    assert!(rows[0].starts_with("name-00  name-04  name-08"), "{screen}");
    for row in rows {
        assert!(row.trim_end().chars().count() < COLUMNS, "{row:?}");
    }
}
