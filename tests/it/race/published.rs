//! A success reply means the bytes are under the final name: while one
//! client uploads, neither another client (removing the partial file,
//! starting its own upload of the name) nor a local user (replacing the
//! partial file on disk) can make the uploader's `226` untrue.

use std::fs;
use std::os::unix::fs::MetadataExt;

use super::fixture::{is_root, read_or_empty};
use crate::fixture::{SERVER_COPY_BYTES, partial_name, root_names, start_upload, still_serves};
use crate::raw::{ask, in_step, logged_in, stor};
use crate::util::{Server, crc32, data};

/// Finish the upload held on `raw`: send the rest of its payload and its
/// trailer, and return the reply.
fn finish(raw: &mut crate::util::Raw, rest: &[u8], content: &[u8]) -> String {
    raw.send(rest);
    ask(
        raw,
        format!("DONE {} {:08x}", content.len(), crc32(content)),
    )
}

/// Pins issue 8's false success. A uploads X and holds; B's `DELE
/// .rftp-part.X` must get 450 (a partial file a transfer holds cannot be
/// removed); C's own upload of X must get 450 while A holds the name; A's
/// upload then ends in `226` and X holds exactly A's bytes, never C's.
/// Today B's DELE succeeds, C's upload takes over the partial name, A is
/// answered 226 and X ends up holding C's bytes.
#[test]
fn a_held_partial_cannot_be_removed_and_the_226_is_true() {
    let server = Server::start(&[]);
    let a_bytes = data(3 * SERVER_COPY_BYTES + 123, 81);
    let c_bytes = data(3 * SERVER_COPY_BYTES + 321, 82);
    let (mut a, a_rest) = start_upload(&server, "X", &a_bytes);
    let partial = server.root.join(partial_name(b"X"));
    let a_inode = fs::metadata(&partial).map(|m| m.ino()).ok();
    let mut failures = Vec::new();

    let mut b = logged_in(&server);
    let dele = ask(&mut b, "DELE .rftp-part.X");
    if !dele.starts_with("450 ") {
        failures.push(format!(
            "B: DELE .rftp-part.X while A uploads X -> {dele:?}, want 450"
        ));
    }
    in_step(&mut b, "B's DELE");
    let still_a = fs::metadata(&partial).map(|m| m.ino()).ok() == a_inode;

    // C's upload: whole when A's partial is still there (it must be
    // refused), held half way when it is gone (as it is today), so that
    // A ends while C's data sits under the partial name.
    let mut c_held = None;
    if still_a {
        let mut c = logged_in(&server);
        let line = format!("STOR X {} new", c_bytes.len());
        let reply = stor(&mut c, &line, &c_bytes);
        if !reply.starts_with("450 ") {
            failures.push(format!(
                "C: STOR X while A uploads X -> {reply:?}, want 450"
            ));
        }
        in_step(&mut c, "C's upload");
    } else {
        failures.push("A's partial file is gone after B's DELE".into());
        c_held = Some(start_upload(&server, "X", &c_bytes));
        failures.push("C's upload of X got going while A still uploads X".into());
    }

    let a_reply = finish(&mut a, &a_rest, &a_bytes);
    let want_226 = format!("226 {} {:08x}", a_bytes.len(), crc32(&a_bytes));
    let x = read_or_empty(&server.root.join("X"));
    if a_reply == want_226 && x != a_bytes {
        failures.push(format!(
            "FALSE SUCCESS: A got {a_reply:?} but X then held {} bytes, not A's",
            x.len()
        ));
    } else if a_reply != want_226 {
        failures.push(format!("A's upload -> {a_reply:?}, want {want_226:?}"));
    }
    in_step(&mut a, "A's upload");

    if let Some((mut c, c_rest)) = c_held {
        let c_reply = finish(&mut c, &c_rest, &c_bytes);
        let x = read_or_empty(&server.root.join("X"));
        if a_reply == want_226 && x != a_bytes {
            failures.push(format!(
                "FALSE SUCCESS: after C's {c_reply:?}, X holds {} bytes (C's: {}), \
                 though A was told 226",
                x.len(),
                x == c_bytes
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nroot: {:?}\nserver log:\n{}",
        failures.join("\n"),
        root_names(&server),
        server.log()
    );
    assert_eq!(root_names(&server), ["X"]);
    assert!(
        read_or_empty(&server.root.join("X")) == a_bytes,
        "X is not A's"
    );
    still_serves(&server);
}

/// Whether the server can publish a file by its descriptor (`linkat` with
/// `AT_EMPTY_PATH`): Linux 6.10 and later, or as root (the server runs as
/// the user that runs the tests).
fn publishes_by_descriptor() -> bool {
    let release = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut numbers = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse::<u32>().unwrap_or(0));
    let version = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
    is_root() || version >= (6, 10)
}

/// Pins: publishing links the file the transfer wrote, by its open handle,
/// never whatever has the partial name at the end. A local user moves A's
/// partial file away and plants another file under its name; when A ends,
/// A gets 226 and X holds exactly A's bytes where the server can publish by
/// descriptor, and elsewhere A is refused with 451 (its partial file was
/// replaced) and X does not exist.
#[test]
fn publishing_links_the_file_the_upload_wrote_not_its_name() {
    let server = Server::start(&[]);
    let a_bytes = data(3 * SERVER_COPY_BYTES + 77, 83);
    let planted = b"planted by a local user, must never be published as X\n";
    let (mut a, rest) = start_upload(&server, "X", &a_bytes);
    let partial = server.root.join(partial_name(b"X"));
    let moved = server.root.path().with_extension("moved-partial");
    fs::rename(&partial, &moved).unwrap();
    fs::write(&partial, planted).unwrap();

    let a_reply = finish(&mut a, &rest, &a_bytes);
    let _ = fs::remove_file(&moved);
    let x = read_or_empty(&server.root.join("X"));
    let want_226 = format!("226 {} {:08x}", a_bytes.len(), crc32(&a_bytes));
    assert!(
        x != planted,
        "X holds the planted file (A got {a_reply:?})\nserver log:\n{}",
        server.log()
    );
    if publishes_by_descriptor() {
        assert_eq!(a_reply, want_226, "A's upload, published by descriptor");
        assert!(
            x == a_bytes,
            "FALSE SUCCESS: A got {a_reply:?} but X holds {} bytes, not A's",
            x.len()
        );
    } else {
        assert!(
            a_reply.starts_with("451 "),
            "A's upload, published by name -> {a_reply:?}"
        );
        assert!(x.is_empty(), "A was refused ({a_reply}) yet X exists");
    }
    in_step(&mut a, "A's upload");
    still_serves(&server);
}
