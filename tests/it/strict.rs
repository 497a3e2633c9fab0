//! The server reads peer bytes strictly: a STOR line it cannot parse closes
//! the connection whether or not the client logged in (its payload would
//! otherwise run as commands), and numbers are decimal digits only, so an
//! upload trailer `DONE +3 …` fails the upload and publishes nothing.

use std::time::Duration;

use crate::util::{Raw, Server, crc32};

/// How long the server may take to close a connection it must close.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Send a malformed STOR line with "payload" bytes that look like commands,
/// and check the answer is one 421 and a close, nothing run.
fn malformed_stor_closes(raw: &mut Raw) {
    raw.send(b"STOR a.txt 3 maybe\nNOOP\nPWD\n");
    let reply = raw.line().unwrap_or_default();
    assert!(reply.starts_with("421 "), "{reply}");
    assert!(reply.contains("closing"), "{reply}");
    assert!(raw.closed_within(CLOSE_WAIT), "the connection stayed open");
}

#[test]
fn malformed_stor_before_login_closes_like_after() {
    let server = Server::start(&[]);
    let mut before = server.raw();
    assert!(before.line().unwrap().starts_with("220 "));
    malformed_stor_closes(&mut before);
    let mut after = server.raw();
    after.login();
    malformed_stor_closes(&mut after);
    assert!(!server.root.join("a.txt").exists());
}

/// One upload of `abc` with `trailer` after it; returns the final reply, or
/// `None` when the server closed without one.
fn upload_abc(server: &Server, trailer: &str) -> Option<String> {
    let mut raw = server.raw();
    raw.login();
    let mut bytes = b"STOR a.txt 3 new\n\x00\x03abc".to_vec();
    bytes.extend_from_slice(trailer.as_bytes());
    bytes.extend_from_slice(b"PWD\n");
    raw.send(&bytes);
    raw.line()
}

#[test]
fn upload_trailer_with_a_plus_sign_fails_and_publishes_nothing() {
    let server = Server::start(&[]);
    let crc = crc32(b"abc");
    for bad in [
        format!("DONE +3 {crc:08x}\n"),
        format!("DONE 3 +{:07x}\n", crc & 0x0fff_ffff),
        format!("DONE  3 {crc:08x}\n"),
    ] {
        let reply = upload_abc(&server, &bad);
        assert!(
            !reply.as_deref().unwrap_or("").starts_with("226"),
            "{bad:?} was taken: {reply:?}"
        );
        assert!(!server.root.join("a.txt").exists(), "{bad:?} published");
        assert_eq!(server.root.names(), Vec::<Vec<u8>>::new(), "{bad:?}");
    }
    // The same upload with a well-formed trailer is taken: the framing was right.
    let reply = upload_abc(&server, &format!("DONE 3 {crc:08x}\n"));
    assert_eq!(reply, Some(format!("226 3 {crc:08x}")));
    assert_eq!(std::fs::read(server.root.join("a.txt")).unwrap(), b"abc");
}
