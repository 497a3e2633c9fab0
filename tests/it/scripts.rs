//! Scripts: where commands come from, the `-` prefix, stopping at the first
//! failure, what goes to stdout, and exit statuses.

use std::fs;

use crate::util::{PASSWORD, Run, Server, TempDir};

#[test]
fn first_failure_stops_the_script_with_status_1() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    let run = server.client(local.path(), "pwd\nget nope\npwd\n");
    run.expect(1)
        .stderr_has("rftp: get: '/nope': no such file or directory");
    assert_eq!(run.out(), "/\n");
}

#[test]
fn dash_prefixed_failure_is_reported_and_the_run_goes_on() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    let run = server.client(local.path(), "pwd\n-get nope\n- rm nope\npwd\n");
    run.expect(0)
        .stderr_has("rftp: get: '/nope'")
        .stderr_has("rftp: rm: '/nope'");
    assert_eq!(run.out(), "/\n/\n");
}

#[test]
fn blank_and_comment_lines_are_skipped() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    let run = server.client(
        local.path(),
        "\n   \n# a comment\n  # indented comment\npwd\n",
    );
    run.expect(0);
    assert_eq!(run.out(), "/\n");
}

#[test]
fn stdout_holds_only_listings_and_pwd() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    local.write("up.txt", b"data");
    server.root.write("down.txt", b"data");
    let run = server.client(
        local.path(),
        "put up.txt\nget down.txt\nmkdir d\nrename d e\nrmdir e\nrm up.txt\nls\npwd\n",
    );
    run.expect(0);
    assert_eq!(run.out(), "down.txt\n/\n");
    assert!(
        run.stderr.contains("rftp: put 'up.txt': 4 bytes"),
        "{}",
        run.dump()
    );
    assert!(
        run.stderr.contains("rftp: get 'down.txt': 4 bytes"),
        "{}",
        run.dump()
    );
}

#[test]
fn quiet_silences_summaries() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    server.root.write("down.txt", b"data");
    let addr = server.addr();
    let run = Run::new(
        &["-c", &addr, "-q"],
        Some(PASSWORD),
        local.path(),
        b"get down.txt\n",
    );
    run.expect(0);
    assert_eq!(run.stderr, "", "{}", run.dump());
}

#[test]
fn batch_file_runs_like_stdin() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    let script = local.write("script.txt", "cd /\n# comment\npwd\nmkdir made\n");
    let addr = server.addr();
    let run = Run::new(
        &["-c", &addr, "-b", script.to_str().unwrap()],
        Some(PASSWORD),
        local.path(),
        b"",
    );
    run.expect(0);
    assert_eq!(run.out(), "/\n");
    assert!(server.root.join("made").is_dir());
}

#[test]
fn one_command_from_the_command_line() {
    let server = Server::start(&[]);
    server.root.write("two words.txt", b"x");
    let local = TempDir::new();
    let addr = server.addr();
    Run::new(
        &["-c", &addr, "get", "two words.txt"],
        Some(PASSWORD),
        local.path(),
        b"",
    )
    .expect(0);
    assert_eq!(fs::read(local.join("two words.txt")).unwrap(), b"x");
    Run::new(
        &["-c", &addr, "get", "nope"],
        Some(PASSWORD),
        local.path(),
        b"",
    )
    .expect(1);
}

#[test]
fn quoting_reaches_every_name() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    let run = server.client(
        local.path(),
        "mkdir 'single quoted'\nmkdir \"tab\\there\"\nmkdir back\\ slash\nls\n",
    );
    run.expect(0);
    assert_eq!(run.out(), "back slash/\nsingle quoted/\ntab\\there/\n");
}

#[test]
fn bad_lines_and_unknown_commands_fail_clearly() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    server
        .client(local.path(), "frobnicate\n")
        .expect(1)
        .stderr_has("unknown command 'frobnicate'");
    server
        .client(local.path(), "get \"open\n")
        .expect(1)
        .stderr_has("unclosed quote");
    server
        .client(local.path(), "get -x a\n")
        .expect(1)
        .stderr_has("unknown option '-x'");
    server
        .client(local.path(), "get\n")
        .expect(1)
        .stderr_has("wrong number of arguments");
}

#[test]
fn quit_ends_the_script() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    let run = server.client(local.path(), "pwd\nquit\npwd\n");
    run.expect(0);
    assert_eq!(run.out(), "/\n");
}

#[test]
fn help_lists_the_commands() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    let run = server.client(local.path(), "help\nhelp get\n");
    run.expect(0);
    for name in [
        "cd", "pwd", "ls", "dir", "get", "put", "mkdir", "rmdir", "rm", "rename", "lcd", "lpwd",
        "lls", "quit",
    ] {
        assert!(
            run.out()
                .lines()
                .any(|l| l.starts_with(&format!("{name} "))),
            "{name}\n{}",
            run.dump()
        );
    }
    // `help get`: its usage, then its text on the next lines.
    let out = run.out();
    let last_usage = out
        .lines()
        .rfind(|l| !l.starts_with(' '))
        .unwrap_or_default();
    assert_eq!(
        last_usage,
        "get [-f] [-c] [-u [--checksum]] [-r] [-z] REMOTE [LOCAL]",
        "{}",
        run.dump()
    );
}

/// The column where a `help` line's text starts: after the first run of
/// two or more spaces (or the indent of a line that goes on a text);
/// `None` for a line that holds only a command's usage.
fn text_column(line: &str) -> Option<usize> {
    let gap = line.find("  ")?;
    Some(gap + line[gap..].find(|c| c != ' ')?)
}

#[test]
fn help_is_aligned_and_says_what_star_dot_star_means() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    let run = server.client(local.path(), "help\n");
    run.expect(0);
    let out = run.out();
    let (table, notes) = out.split_once("\n\n").expect("a note after the table");
    let columns: Vec<(usize, &str)> = table
        .lines()
        .filter_map(|l| text_column(l).map(|c| (c, l)))
        .collect();
    assert!(columns.len() >= table.lines().count() - 4, "{out}");
    for (column, line) in &columns {
        assert_eq!(*column, columns[0].0, "{line:?} is out of line:\n{out}");
    }
    for line in out.lines() {
        assert!(
            line.chars().count() <= 80 || !line.contains("  "),
            "{line:?}"
        );
    }
    assert!(table.contains("rm FILE|PATTERN..."), "{out}");
    assert!(notes.contains("*.* is every file, as on DOS"), "{out}");
}

#[test]
fn bad_usage_exits_2() {
    let local = TempDir::new();
    for args in [
        &["-c", "h:x"][..],
        &["-c", "fe80::1%"],
        &["--find", "-c", "h"],
        &["-c", "h", "--no-announce"],
        &["-l", "1", "-c", "x"],
        &["--bogus"],
        &[],
        &["-l", "nope"],
        &["-c", "h", "--read-only"],
        &["-l", "0", "-b", "f"],
        &["-c", "h", "-q", "-v"],
    ] {
        let run = Run::new(args, Some(PASSWORD), local.path(), b"");
        run.expect(2);
        assert!(run.stderr.starts_with("rftp: "), "{}", run.dump());
    }
}

#[test]
fn help_and_version_exit_0() {
    let local = TempDir::new();
    let run = Run::new(&["--help"], None, local.path(), b"");
    run.expect(0);
    assert!(run.out().starts_with("usage: rftp -l"));
    let run = Run::new(&["-V"], None, local.path(), b"");
    run.expect(0);
    assert!(
        run.out()
            .starts_with(&format!("rftp {} (", env!("CARGO_PKG_VERSION"))),
        "{}",
        run.dump()
    );
}
