//! The names partial files take: a client's file named like a partial file
//! is refused (the name is reserved), names too long for `.rftp-part.NAME`
//! keep their data under a name of their own, and that data is never shared
//! with a short name that looks like its CRC.

use std::fs;
use std::net::Shutdown;
use std::thread;
use std::time::{Duration, Instant};

use crate::fixture::{
    LOG_WAIT, SERVER_COPY_BYTES, partial_name, root_names, start_upload, still_serves,
};
use crate::raw::{ask, in_step, logged_in, stor};
use crate::util::{Server, TempDir, crc32, data};

/// Leave `SERVER_COPY_BYTES` of `content` in the partial file of `name`
/// through an upload cut off by a vanished client.
fn cut_upload(server: &Server, name: &str, content: &[u8]) {
    let (raw, _) = start_upload(server, name, content);
    let _ = raw.stream.shutdown(Shutdown::Both);
    drop(raw);
    let logged = format!("put '/{name}' {SERVER_COPY_BYTES} bytes");
    let until = Instant::now() + LOG_WAIT;
    while !server
        .log()
        .lines()
        .any(|l| l.contains(&logged) && l.contains("partial data kept"))
    {
        assert!(
            Instant::now() < until,
            "the cut upload of {name} kept nothing\n{}",
            server.log()
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_file_named_like_a_partial_file_is_refused_and_its_name_is_kept_apart() {
    // The server keeps `.rftp-part.NAME` to itself and refuses it as a
    // name, so an upload of `x` can never take a client's file
    // `.rftp-part.x` for its partial data.
    let server = Server::start(&[]);
    let local = TempDir::new();
    let lookalike = b"a real file whose name looks like a partial file\n";
    local.write(".rftp-part.x", lookalike);
    local.write("x", b"the real x\n");
    let first = server.client(local.path(), "put .rftp-part.x\n");
    first
        .expect(1)
        .stderr_has("rftp: put: '.rftp-part.x': name reserved for partial transfers");
    server.client(local.path(), "put x\n").expect(0);
    let names = root_names(&server);
    assert_eq!(
        fs::read(server.root.join("x")).ok().as_deref(),
        Some(&b"the real x\n"[..])
    );
    assert_eq!(names, ["x"], "refused, yet\n{}", first.dump());
    still_serves(&server);
}

#[test]
fn long_names_keep_their_partial_data_under_a_crc_name() {
    let server = Server::start(&[]);
    let content = data(3 * SERVER_COPY_BYTES + 99, 7);
    let kept = &content[..SERVER_COPY_BYTES];
    // 244 bytes is the longest name whose partial name still fits.
    for (len, fill) in [(244, 'l'), (245, 'm'), (255, 'n')] {
        let name = fill.to_string().repeat(len);
        cut_upload(&server, &name, &content);
        let partial = partial_name(name.as_bytes());
        assert!(partial.len() <= 255, "{partial}");
        assert_eq!(partial.starts_with(".rftp-long."), len > 244, "{partial}");
        let held = fs::read(server.root.join(&partial)).ok();
        assert!(
            held.as_deref() == Some(kept),
            "{len}-byte name: {partial} holds {:?} bytes; root {:?}",
            held.map(|h| h.len()),
            root_names(&server)
        );
        let mut raw = logged_in(&server);
        assert_eq!(
            ask(&mut raw, format!("PARTIAL {name}")),
            format!("213 {} {:08x}", kept.len(), crc32(kept)),
            "{len}-byte name"
        );
        let rest = &content[kept.len()..];
        let line = format!("STOR {name} {} new {}", rest.len(), kept.len());
        assert_eq!(
            stor(&mut raw, &line, rest),
            format!("226 {} {:08x}", rest.len(), crc32(rest))
        );
        assert!(
            fs::read(server.root.join(&name)).unwrap() == content,
            "{len}-byte name: the continued upload differs"
        );
        assert!(
            !server.root.join(&partial).exists(),
            "{len}-byte name: partial left"
        );
        in_step(&mut raw, "a long name's upload");
    }
    // A real client both ways with a 255-byte name.
    let name = "r".repeat(255);
    let up = TempDir::new();
    up.write(&name, &content);
    server.client(up.path(), &format!("put {name}\n")).expect(0);
    let down = TempDir::new();
    server
        .client(down.path(), &format!("get {name}\n"))
        .expect(0);
    assert!(fs::read(down.join(&name)).unwrap() == content);
    assert_eq!(down.names(), [name.as_bytes().to_vec()]);
    assert_eq!(server.root.names().len(), 4, "{:?}", root_names(&server));
    still_serves(&server);
}

#[test]
fn a_long_names_partial_data_is_not_shared_with_a_hex_name() {
    // The partial file of a name too long for `.rftp-part.NAME` is
    // `.rftp-part.CRC`: also the partial file of the 8-character name CRC.
    let server = Server::start(&[]);
    let long = "q".repeat(255);
    let hex = format!("{:08x}", crc32(long.as_bytes()));
    let content = data(3 * SERVER_COPY_BYTES + 5, 8);
    cut_upload(&server, &long, &content);
    let kept = &content[..SERVER_COPY_BYTES];
    let kept_shown = format!("213 {} {:08x}", kept.len(), crc32(kept));
    let mut raw = logged_in(&server);
    let mut failures = Vec::new();
    let reply = ask(&mut raw, format!("PARTIAL {hex}"));
    if reply != "213 0 00000000" {
        failures.push(format!(
            "PARTIAL {hex} -> {reply:?}: the data kept for the 255-byte name"
        ));
    }
    // An unrelated upload to the short name must not use or drop that data.
    let reply = stor(&mut raw, &format!("STOR {hex} 3 new"), b"abc");
    if !reply.starts_with("226 ") {
        failures.push(format!("STOR {hex} -> {reply}"));
    }
    let reply = ask(&mut raw, format!("PARTIAL {long}"));
    if reply != kept_shown {
        failures.push(format!(
            "after STOR {hex}, PARTIAL of the 255-byte name -> {reply:?}, want {kept_shown:?}"
        ));
    }
    in_step(&mut raw, "uploads of a long name and its CRC");
    assert!(
        failures.is_empty(),
        "{}\nroot {:?}",
        failures.join("\n"),
        root_names(&server)
    );
    still_serves(&server);
}
