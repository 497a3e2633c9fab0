//! Symbolic links out of the root and special files: links to a directory
//! or a file outside are refused without revealing what exists there, links
//! are replaced or removed but never written through, and FIFOs and sockets
//! are refused quickly, never opened.

use std::fs;
use std::time::{Duration, Instant};

use crate::fixture::{Fixture, ROOT_LS, SECRET};
use crate::raw::ask;
use crate::util::{crc32, snapshot};

/// Longest a refusal of a special file may take: it must not wait for a writer.
const FIFO_REFUSAL_DEADLINE: Duration = Duration::from_secs(10);

#[test]
fn symlink_to_a_directory_outside_is_refused() {
    let j = Fixture::new(&[]);
    j.refuse(
        "get link/secret\n",
        "rftp: get: '/link/secret': outside the served tree",
    );
    j.refuse("ls link\n", "rftp: ls: '/link': outside the served tree");
    j.refuse("ls link/\n", "outside the served tree");
    j.refuse("dir link\n", "outside the served tree");
    j.refuse("cd link\n", "rftp: cd: '/link': outside the served tree");
    j.refuse("cd link/dir\n", "outside the served tree");
    j.refuse("put f link/f\n", "outside the served tree");
    j.refuse("put -f f link/secret\n", "outside the served tree");
    j.refuse("mkdir link/d\n", "outside the served tree");
    j.refuse("rm link/secret\n", "outside the served tree");
    j.refuse("rmdir link/dir\n", "outside the served tree");
    j.refuse("rename a link/a\n", "outside the served tree");
    j.refuse("rename link/secret stolen\n", "outside the served tree");
    // A refused cd leaves the client where it was.
    let run = j.client("-cd link\npwd\nls\n");
    run.expect(0);
    assert_eq!(run.out(), format!("/\n{ROOT_LS}"), "{}", run.dump());
}

#[test]
fn symlink_to_a_file_outside_is_refused() {
    let j = Fixture::new(&[]);
    j.refuse(
        "get filelink\n",
        "rftp: get: '/filelink': outside the served tree",
    );
    j.refuse("get filelink copy\n", "outside the served tree");
    j.refuse("ls filelink\n", "outside the served tree");
    j.refuse("cd filelink\n", "outside the served tree");
    j.refuse("put f filelink\n", "outside the served tree");
    j.refuse("put -f f filelink\n", "outside the served tree");
}

#[test]
fn symlink_out_does_not_reveal_what_exists_outside() {
    // Probing through a link must not tell an existing outside name from a
    // missing one: both are simply outside.
    let j = Fixture::new(&[]);
    let mut raw = j.raw();
    let there = ask(&mut raw, b"STAT link/secret");
    let missing = ask(&mut raw, b"STAT link/no-such-name");
    assert!(there.starts_with("554 "), "STAT link/secret: {there}");
    assert_eq!(
        missing.get(..4),
        there.get(..4),
        "STAT through a link out of the root answers differently for a name that \
         exists outside ({there:?}) and one that does not ({missing:?})"
    );
    let there = ask(&mut raw, b"CWD link/dir");
    let missing = ask(&mut raw, b"CWD link/no-such-dir");
    assert_eq!(
        missing.get(..4),
        there.get(..4),
        "CWD through a link: existing outside dir {there:?} vs missing {missing:?}"
    );
}

#[test]
fn fifo_is_refused_quickly() {
    let j = Fixture::new(&[]);
    let started = Instant::now();
    let run = j.refuse(
        "get fifo\n",
        "rftp: get: '/fifo': not a regular file or directory",
    );
    assert!(
        started.elapsed() < FIFO_REFUSAL_DEADLINE,
        "get fifo took {:?}\n{}",
        started.elapsed(),
        run.dump()
    );
    // The same over the wire, and the session goes on.
    let mut raw = j.raw();
    raw.stream
        .set_read_timeout(Some(FIFO_REFUSAL_DEADLINE))
        .unwrap();
    let started = Instant::now();
    let reply = ask(&mut raw, b"RETR fifo");
    assert!(reply.starts_with("554 "), "RETR fifo -> {reply}");
    assert!(started.elapsed() < FIFO_REFUSAL_DEADLINE);
    let reply = ask(&mut raw, b"RETR /sub/../fifo 0");
    assert!(reply.starts_with("554 "), "RETR /sub/../fifo -> {reply}");
    assert_eq!(ask(&mut raw, b"PWD"), "257 /");
    // Other clients are served meanwhile.
    let run = j.client("get a\n");
    run.expect(0);
}

#[test]
fn a_unix_socket_is_never_opened() {
    let j = Fixture::new(&[]);
    let listener = std::os::unix::net::UnixListener::bind(j.server.root.join("sock"));
    assert!(listener.is_ok(), "cannot make a socket: {listener:?}");
    j.refuse(
        "get sock\n",
        "rftp: get: '/sock': not a regular file or directory",
    );
    let mut raw = j.raw();
    let reply = ask(&mut raw, b"RETR sock");
    assert!(reply.starts_with("554 "), "RETR sock -> {reply}");
    assert_eq!(ask(&mut raw, b"PWD"), "257 /");
}

#[test]
fn links_out_are_replaced_or_removed_never_written_through() {
    // The link is a name in the root: replacing or removing it may be
    // allowed, but the file it points to must never change.
    let j = Fixture::new(&[]);
    let outside_before = snapshot(&j.outside);
    let mut raw = j.raw();
    raw.send(b"STOR filelink 5 new\n");
    raw.send(&[0, 5]);
    raw.send(b"owned");
    raw.send(format!("DONE 5 {:08x}\n", crc32(b"owned")).as_bytes());
    let reply = raw.line().unwrap_or_default();
    assert!(reply.starts_with("552 "), "STOR filelink new -> {reply}");
    raw.send(b"STOR filelink 5 replace\n");
    raw.send(&[0, 5]);
    raw.send(b"owned");
    raw.send(format!("DONE 5 {:08x}\n", crc32(b"owned")).as_bytes());
    let reply = raw.line().unwrap_or_default();
    // Replacing the link is allowed: the name in the root becomes the file.
    assert_eq!(
        reply,
        format!("226 5 {:08x}", crc32(b"owned")),
        "STOR filelink replace"
    );
    assert_eq!(
        fs::read(j.server.root.join("filelink")).ok().as_deref(),
        Some(&b"owned"[..]),
        "STOR filelink replace did not replace the link by the file"
    );
    assert_eq!(
        fs::read(j.outside.join("secret")).ok().as_deref(),
        Some(SECRET),
        "STOR filelink replace ({reply}) wrote through the link"
    );
    // Links cannot be moved (one moved into a busy path could swap a
    // directory for a way out), only removed.
    let reply = ask(&mut raw, b"RENAME link moved-link");
    assert!(reply.starts_with("554 "), "RENAME link -> {reply}");
    let reply = ask(&mut raw, b"DELE link");
    assert!(reply.starts_with("250 "), "DELE link -> {reply}");
    let reply = ask(&mut raw, b"RMDIR link");
    assert!(
        reply.starts_with("550 ") && reply.contains("no such file or directory"),
        "RMDIR of a gone link -> {reply}"
    );
    assert_eq!(
        snapshot(&j.outside),
        outside_before,
        "the outside tree changed"
    );
    assert_eq!(ask(&mut raw, b"PWD"), "257 /");
}
