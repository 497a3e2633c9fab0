//! Special files are never opened: a FIFO, a unix socket or a device node
//! that sits where a client expects a directory or a file gets a clear 5xx
//! (or, for STAT, LIST and PARTIAL, which need not open anything, their
//! documented answer), and for FIFOs a watcher outside the server proves
//! that nobody opened them.

use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixListener;
use std::process::Command;

use super::fixture::{OpenWatch, connect, is_root, skip_unless_ci};
use crate::fixture::{mkfifo, still_serves};
use crate::raw::{Reply, ask_reply, in_step, stor};
use crate::util::{Raw, Server, crc32};

/// What a command aimed at a special file may answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    /// A 5xx and nothing else.
    Refused,
    /// A 5xx, or the documented description of a special file, which needs
    /// no open: `213 o …` for STAT, a one-line `o …` listing for LIST,
    /// `213 0 00000000` (nothing kept) for PARTIAL.
    RefusedOrDescribed,
    /// Any final reply: the server may throw a bogus partial file away and
    /// go on, as long as it never opens it.
    AnyReply,
}

/// The attacks on a special file `x` in the root, with what each may answer.
fn attacks(x: &str) -> Vec<(String, Want)> {
    use Want::*;
    vec![
        (format!("CWD {x}"), Refused),
        (format!("CWD {x}/sub"), Refused),
        (format!("MKDIR {x}/sub"), Refused),
        (format!("RMDIR {x}"), Refused),
        (format!("PARTIAL {x}/sub"), Refused),
        (format!("PARTIAL {x}"), RefusedOrDescribed),
        (format!("RENAME a {x}/b"), Refused),
        (format!("RENAME {x}/sub b"), Refused),
        (format!("STOR {x}/sub 3 new"), Refused),
        (format!("STOR {x}/sub 3 replace"), Refused),
        (format!("STOR {x}/sub 3 new 0"), Refused),
        (format!("RETR {x}"), Refused),
        (format!("RETR {x} 0 deflate"), Refused),
        (format!("RETR {x}/sub"), Refused),
        (format!("CRC {x} 0"), Refused),
        (format!("COMPRESS {x} 1 new"), Refused),
        (format!("DELE {x}/sub"), Refused),
        (format!("STAT {x}/sub"), Refused),
        (format!("LIST {x}/sub"), Refused),
        (format!("STAT {x}"), RefusedOrDescribed),
        (format!("LIST {x}"), RefusedOrDescribed),
        ("LIST".to_string(), RefusedOrDescribed),
    ]
}

/// Send one attack line (with a payload for STOR) and read its reply.
fn attack(raw: &mut Raw, line: &str) -> Reply {
    if line.starts_with("STOR ") {
        return Reply {
            line: stor(raw, line, b"abc"),
            payload: None,
        };
    }
    ask_reply(raw, line)
}

/// Whether `reply` to `line` is what `want` allows.
fn acceptable(line: &str, reply: &Reply, want: Want) -> bool {
    let refused = reply.line.starts_with('5');
    match want {
        Want::Refused => refused,
        Want::AnyReply => true,
        Want::RefusedOrDescribed if refused => true,
        Want::RefusedOrDescribed => {
            if line.starts_with("PARTIAL ") {
                reply.line == "213 0 00000000"
            } else if line.starts_with("STAT ") {
                reply.line.starts_with("213 o ")
            } else if line == "LIST" {
                reply.line.starts_with("226 ")
            } else {
                let one = reply.payload.as_deref().unwrap_or_default();
                reply.line.starts_with("226 ")
                    && one.starts_with(b"o ")
                    && one.iter().filter(|&&b| b == b'\n').count() == 1
            }
        }
    }
}

/// A server whose root holds a file `a` to move around.
fn server() -> Server {
    let server = Server::start(&[]);
    server.root.write("a", b"aaaa");
    server
}

/// Run every attack on `x`, checking each reply and, after each, that no
/// watched FIFO was opened. Returns what went wrong.
fn run_attacks(raw: &mut Raw, x: &str, watches: &mut [(&str, OpenWatch)]) -> Vec<String> {
    run_lines(raw, attacks(x), watches)
}

/// Send each line, checking its reply against what it wants and, after
/// each, that no watched FIFO was opened. Returns what went wrong.
fn run_lines(
    raw: &mut Raw,
    lines: impl IntoIterator<Item = (String, Want)>,
    watches: &mut [(&str, OpenWatch)],
) -> Vec<String> {
    let mut failures = Vec::new();
    for (line, want) in lines {
        let reply = attack(raw, &line);
        if !acceptable(&line, &reply, want) {
            failures.push(format!("{line} -> {:?}, want {want:?}", reply.line));
        }
        for (name, watch) in watches.iter_mut() {
            if watch.opened() {
                failures.push(format!(
                    "{line} -> {:?}: the server OPENED {name}",
                    reply.line
                ));
            }
        }
    }
    failures
}

/// Pins: CWD, MKDIR x/sub, PARTIAL, RENAME a x/b, STOR x/sub, RETR, CRC,
/// COMPRESS, STAT, LIST never open a FIFO (issue 8: today CWD, MKDIR x/sub,
/// PARTIAL x/sub, RENAME a x/b and STOR x/sub open it while checking for a
/// directory); nor do uploads and PARTIAL open a partial file that is a FIFO.
#[test]
fn fifos_are_never_opened_by_any_command() {
    let server = server();
    let root = server.root.path();
    mkfifo(&root.join("fifo"));
    mkfifo(&root.join(".rftp-part.pf"));
    let mut watches = [
        ("fifo", OpenWatch::arm(&root.join("fifo"))),
        (".rftp-part.pf", OpenWatch::arm(&root.join(".rftp-part.pf"))),
    ];
    let mut raw = connect(&server);
    let mut failures = run_attacks(&mut raw, "fifo", &mut watches);
    let on_partial = [
        ("PARTIAL pf", Want::RefusedOrDescribed),
        ("STOR pf 3 new", Want::AnyReply),
        ("STOR pf 3 new 0", Want::AnyReply),
    ];
    let on_partial = on_partial.map(|(line, want)| (line.to_string(), want));
    failures.extend(run_lines(&mut raw, on_partial, &mut watches));
    in_step(&mut raw, "attacks on FIFOs");
    drop(watches);
    assert!(
        failures.is_empty(),
        "special files were opened or not refused:\n{}\nserver log:\n{}",
        failures.join("\n"),
        server.log()
    );
    let ft = fs::symlink_metadata(root.join("fifo")).unwrap().file_type();
    assert!(ft.is_fifo(), "the FIFO was replaced");
    still_serves(&server);
}

/// Pins: a unix socket where a directory or file is expected gets the same
/// refusals, and nobody connects to it.
#[test]
fn sockets_are_refused_and_never_connected() {
    let server = server();
    let listener = UnixListener::bind(server.root.join("sock")).unwrap();
    listener.set_nonblocking(true).unwrap();
    let mut raw = connect(&server);
    let failures = run_attacks(&mut raw, "sock", &mut []);
    in_step(&mut raw, "attacks on a socket");
    let connected = listener.accept().is_ok();
    assert!(
        failures.is_empty() && !connected,
        "socket not refused (connected: {connected}):\n{}",
        failures.join("\n")
    );
    still_serves(&server);
}

/// Pins: a character device (made with /dev/null's numbers) where a
/// directory or file is expected gets the same refusals, and reading it
/// never sends a byte. Unlike a FIFO, opening /dev/null shows nothing
/// from outside, so this pins the replies only. Needs root to `mknod`;
/// skipped otherwise, failed under `CI=true`.
#[test]
fn device_nodes_are_refused() {
    if !is_root() {
        return skip_unless_ci("device_nodes_are_refused", "mknod needs root");
    }
    let server = server();
    let made = Command::new("mknod")
        .arg(server.root.join("null"))
        .args(["c", "1", "3"])
        .status();
    if !made.as_ref().is_ok_and(|s| s.success()) {
        return skip_unless_ci("device_nodes_are_refused", &format!("mknod: {made:?}"));
    }
    let mut raw = connect(&server);
    let failures = run_attacks(&mut raw, "null", &mut []);
    in_step(&mut raw, "attacks on a device node");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // `a`, moved at by the RENAME attacks, is still where it was.
    let reply = ask_reply(&mut raw, "CRC a 4");
    assert_eq!(reply.line, format!("213 4 {:08x}", crc32(b"aaaa")));
    still_serves(&server);
}
