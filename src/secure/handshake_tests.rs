//! Unit tests of the login exchange: both sides agree only on the same
//! user and password, tags are checked, and malformed messages are refused.

use super::*;

const USER: &[u8] = b"rftp";
const PASSWORD: &[u8] = b"correct horse";

fn greeting_text() -> String {
    greeting(&Suite::offered(), &[3; NONCE_BYTES])
}

/// Run the exchange; the client's result, or where it failed.
fn run(server_user: &[u8], server_password: &[u8]) -> Result<(Channel, Channel), Failed> {
    let g = greeting_text();
    let (client, auth) = Client::start(&g, USER, PASSWORD, [5; 48])?;
    let args = auth.strip_prefix("AUTH ").expect("AUTH line");
    let server = Server::respond(&g, server_user, server_password, args, [9; 32])?;
    let confirm = client.confirm(&server.reply)?;
    let ta = confirm.line.strip_prefix("CONFIRM ").expect("CONFIRM line");
    let (tb, server_channel) = server.finish(ta)?;
    Ok((confirm.finish(&tb)?, server_channel))
}

#[test]
fn same_user_and_password_give_one_channel() {
    use std::io::{Read, Write};
    let (client, server) = run(USER, PASSWORD).unwrap();
    assert_eq!(client.suite, server.suite);
    let mut w = crate::secure::RecordWriter::with_capacity(64, Vec::new());
    w.secure(client.send);
    w.write_all(b"PWD\n").unwrap();
    w.close().unwrap();
    let wire = std::mem::take(w.get_mut());
    let mut r = crate::secure::RecordReader::with_capacity(64, std::io::Cursor::new(wire));
    r.secure(server.receive);
    let mut got = Vec::new();
    r.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"PWD\n");
}

#[test]
fn a_wrong_password_or_user_fails_at_the_servers_check() {
    assert_eq!(
        run(USER, b"correct horsE").err(),
        Some(Failed("login incorrect"))
    );
    assert_eq!(
        run(b"other", PASSWORD).err(),
        Some(Failed("login incorrect"))
    );
}

#[test]
fn a_server_without_the_password_is_caught_by_the_client() {
    let g = greeting_text();
    let (client, _) = Client::start(&g, USER, PASSWORD, [5; 48]).unwrap();
    let fake = Server::respond(&g, USER, b"guess", &client_args(&g), [9; 32]).unwrap();
    let confirm = client.confirm(&fake.reply).unwrap();
    // The fake server cannot make a tag the client accepts.
    let forged = to_hex(&[0u8; TAG_BYTES]);
    assert!(confirm.finish(&forged).is_err());
}

fn client_args(g: &str) -> String {
    let (_, auth) = Client::start(g, USER, PASSWORD, [5; 48]).unwrap();
    auth["AUTH ".len()..].to_string()
}

#[test]
fn the_user_name_and_password_do_not_appear_in_the_clear_messages() {
    let g = greeting_text();
    let (client, auth) = Client::start(&g, b"alice", b"hunter2", [5; 48]).unwrap();
    let server = Server::respond(&g, b"alice", b"hunter2", &auth[5..], [9; 32]).unwrap();
    let confirm = client.confirm(&server.reply).unwrap();
    for line in [&g, &auth, &server.reply, &confirm.line] {
        assert!(
            !line.contains("alice") && !line.contains("hunter2"),
            "{line}"
        );
        assert!(!line.contains(&to_hex(b"alice")) && !line.contains(&to_hex(b"hunter2")));
    }
}

#[test]
fn malformed_messages_are_refused() {
    let g = greeting_text();
    let share = to_hex(&[0u8; SHARE_BYTES]);
    let nonce = to_hex(&[1u8; NONCE_BYTES]);
    for args in [
        String::new(),
        format!("chacha20-poly1305 {nonce}"),
        format!("rot13 {nonce} {share}"),
        format!("chacha20-poly1305 zz {share}"),
        format!("chacha20-poly1305 {nonce} {share}"),
        format!("chacha20-poly1305 {nonce} {}", "ff".repeat(SHARE_BYTES)),
        format!("chacha20-poly1305 {nonce} {share} extra"),
    ] {
        assert!(
            Server::respond(&g, USER, PASSWORD, &args, [9; 32]).is_err(),
            "{args}"
        );
    }
    let (client, _) = Client::start(&g, USER, PASSWORD, [5; 48]).unwrap();
    assert!(client.confirm(&share).is_err());
    for bad in [
        "rftp 1 ready",
        "rftp 2 ready x",
        "rftp 2 ready cpace-ristretto255-sha512 suites=rot13 nonce=00",
    ] {
        assert!(
            Client::start(bad, USER, PASSWORD, [5; 48]).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn a_changed_greeting_breaks_the_handshake() {
    // Dropping AES from the offer (a downgrade) changes CI, so the keys differ.
    let g = greeting_text();
    let weaker = greeting(&[Suite::ChaCha20Poly1305], &[3; NONCE_BYTES]);
    let (client, auth) = Client::start(&weaker, USER, PASSWORD, [5; 48]).unwrap();
    let server = Server::respond(&g, USER, PASSWORD, &auth[5..], [9; 32]).unwrap();
    let confirm = client.confirm(&server.reply).unwrap();
    assert!(server.finish(&confirm.line[8..]).is_err());
}

#[test]
fn hex_round_trips_and_refuses_non_hex() {
    assert_eq!(
        from_hex(&to_hex(&[0, 1, 0xab, 0xff])),
        Some(vec![0, 1, 0xab, 0xff])
    );
    assert_eq!(from_hex("ABcd"), Some(vec![0xab, 0xcd]));
    for bad in ["a", "zz", "+1", "é0"] {
        assert_eq!(from_hex(bad), None, "{bad}");
    }
}
