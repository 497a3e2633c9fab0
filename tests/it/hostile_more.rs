//! More raw-socket attackers and racing clients, aimed at the newer commands:
//! CRC, PARTIAL, STOR with an offset, the partial-file lock, COMPRESS and
//! RETR's encoding, and the names partial files take. After each attack the
//! server must still serve an ordinary client, nothing outside the root may
//! be read, written or revealed, and no real name may hold what should not
//! be there.
//!
//! The fixture serves a root with a sibling directory `<root>-outside` next
//! to it (holding `secret`), a link to that directory (`link`), a link to the
//! secret (`filelink`), a FIFO (`fifo`), a file `a` and a directory `sub`.

use std::fs;
use std::io::{BufRead, Read, Write};
use std::net::Shutdown;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::fake::framed;
use crate::util::{PASSWORD, Raw, Run, Server, TempDir, crc32, data};

/// What the secret file outside the root holds.
const SECRET: &[u8] = b"outside secret, never to be read or changed\n";
/// What `a`, a plain file in the root, holds.
const A_CONTENT: &[u8] = b"aaaa";
/// Longest any single refusal may take (a FIFO must not make it wait).
const REPLY_DEADLINE: Duration = Duration::from_secs(10);
/// How long to wait for the server to close a connection it must close.
const CLOSE_WAIT: Duration = Duration::from_secs(5);
/// How long to wait for the server's log to show what it did.
const LOG_WAIT: Duration = Duration::from_secs(10);
/// The server's copy buffer for a large upload: a read returns (and the
/// partial file grows) once this many payload bytes have arrived.
const SERVER_COPY_BYTES: usize = 256 * 1024;
/// Bytes in a full payload chunk.
const CHUNK_BYTES: usize = 2048;
/// Prefix of partial files.
const PARTIAL_PREFIX: &str = ".rftp-part.";

/// A server whose root sits next to an `outside` directory, with links out
/// of the root, a FIFO, a file and a directory in it.
struct Fixture {
    server: Server,
    /// The sibling directory outside the root.
    outside: PathBuf,
    /// Its name, so that `../NAME/secret` from the root reaches it.
    out_name: String,
}

impl Fixture {
    fn new(args: &[&str]) -> Fixture {
        let server = Server::start(args);
        let root = server.root.path().to_path_buf();
        let out_name = format!(
            "{}-outside",
            root.file_name()
                .expect("a temp dir has a name")
                .to_string_lossy()
        );
        let outside = root
            .parent()
            .expect("a temp dir has a parent")
            .join(&out_name);
        let _ = fs::remove_dir_all(&outside);
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("secret"), SECRET).unwrap();
        server.root.write("a", A_CONTENT);
        server.root.write("sub/inner", b"inner\n");
        symlink(&outside, root.join("link")).unwrap();
        symlink(outside.join("secret"), root.join("filelink")).unwrap();
        mkfifo(&root.join("fifo"));
        Fixture {
            server,
            outside,
            out_name,
        }
    }

    /// A raw, logged-in connection whose replies may take `REPLY_DEADLINE`.
    fn raw(&self) -> Raw {
        logged_in(&self.server)
    }

    /// Fail if a reply shows the outside tree: its real path, or the length
    /// and CRC-32 of the secret as CRC or PARTIAL would print them.
    #[track_caller]
    fn reveals_nothing(&self, what: &str, reply: &str) {
        let secret = format!("{} {:08x}", SECRET.len(), crc32(SECRET));
        assert!(
            !reply.contains(&*self.outside.to_string_lossy()) && !reply.contains(&secret),
            "{what} -> {reply:?} shows something outside the root"
        );
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.outside);
    }
}

/// Make a FIFO at `path`.
fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status();
    assert!(
        made.as_ref().is_ok_and(|s| s.success()),
        "mkfifo failed: {made:?}"
    );
}

/// Every entry under `dir` (links not followed): relative path, kind, and
/// the contents of files or the target of links, sorted.
fn snapshot(dir: &Path) -> Vec<(Vec<u8>, char, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(items) = fs::read_dir(&d) else {
            continue;
        };
        for item in items.filter_map(Result::ok) {
            let path = item.path();
            let rel = path
                .strip_prefix(dir)
                .map(|p| p.as_os_str().as_bytes().to_vec())
                .unwrap_or_default();
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            let ft = meta.file_type();
            if ft.is_symlink() {
                let target = fs::read_link(&path).unwrap_or_default();
                out.push((rel, 'l', target.as_os_str().as_bytes().to_vec()));
            } else if ft.is_dir() {
                out.push((rel, 'd', Vec::new()));
                todo.push(path);
            } else if ft.is_file() {
                out.push((rel, 'f', fs::read(&path).unwrap_or_default()));
            } else {
                out.push((rel, 'o', Vec::new()));
            }
        }
    }
    out.sort();
    out
}

/// The names in a snapshot, for a failure message.
fn shown(snap: &[(Vec<u8>, char, Vec<u8>)]) -> Vec<String> {
    snap.iter()
        .map(|(n, k, _)| format!("{k} {}", String::from_utf8_lossy(n)))
        .collect()
}

/// A logged-in raw connection with `REPLY_DEADLINE` as its read timeout.
fn logged_in(server: &Server) -> Raw {
    let mut raw = server.raw();
    raw.login();
    raw.stream.set_read_timeout(Some(REPLY_DEADLINE)).unwrap();
    raw
}

/// Send `line` (a newline is added) and read one reply line.
#[track_caller]
fn ask(raw: &mut Raw, line: impl AsRef<[u8]>) -> String {
    let line = line.as_ref();
    raw.send(line);
    raw.send(b"\n");
    raw.line()
        .unwrap_or_else(|| panic!("no reply to {:?}", String::from_utf8_lossy(line)))
}

/// Send a STOR line (newline added), `payload` framed, and a DONE trailer
/// for it; read the reply.
#[track_caller]
fn stor(raw: &mut Raw, line: &str, payload: &[u8]) -> String {
    raw.send(format!("{line}\n").as_bytes());
    raw.send(&framed(payload));
    raw.send(format!("DONE {} {:08x}\n", payload.len(), crc32(payload)).as_bytes());
    raw.line().unwrap_or_else(|| panic!("no reply to {line:?}"))
}

/// The stream is still in step: PWD gets its own answer next.
#[track_caller]
fn in_step(raw: &mut Raw, after: &str) {
    assert_eq!(
        ask(raw, "PWD"),
        "257 /",
        "the stream lost its place after {after}"
    );
}

/// Read one payload (chunks up to the short one); `None` if the stream ends.
fn read_payload(raw: &mut Raw) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let mut header = [0; 2];
        raw.reader.read_exact(&mut header).ok()?;
        let len = usize::from(u16::from_be_bytes(header));
        let mut chunk = vec![0; len];
        raw.reader.read_exact(&mut chunk).ok()?;
        out.extend_from_slice(&chunk);
        if len < CHUNK_BYTES {
            return Some(out);
        }
    }
}

/// Read reply lines until the server closes or `wait` passes; returns the
/// lines and whether it closed.
fn lines_until_closed(raw: &mut Raw, wait: Duration) -> (Vec<String>, bool) {
    let until = Instant::now() + wait;
    let _ = raw
        .stream
        .set_read_timeout(Some(Duration::from_millis(200)));
    let mut lines = Vec::new();
    let mut buf = Vec::new();
    while Instant::now() < until {
        match raw.reader.read_until(b'\n', &mut buf) {
            Ok(0) => return (lines, true),
            Ok(_) if buf.ends_with(b"\n") => {
                lines.push(String::from_utf8_lossy(&buf).trim_end().to_string());
                buf.clear();
            }
            Ok(_) => return (lines, true),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return (lines, true),
        }
    }
    (lines, false)
}

/// An ordinary client still gets served.
#[track_caller]
fn still_serves(server: &Server) {
    let local = TempDir::new();
    let run = server.client(local.path(), "pwd\n");
    run.expect(0);
    assert_eq!(
        run.out(),
        "/\n",
        "{}\nserver log:\n{}",
        run.dump(),
        server.log()
    );
}

/// The names in the root, shown lossily and sorted.
fn root_names(server: &Server) -> Vec<String> {
    server
        .root
        .names()
        .iter()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect()
}

/// Wait until `path` holds at least `bytes` (bounded by `LOG_WAIT`).
fn wait_size(path: &Path, bytes: u64) -> bool {
    let until = Instant::now() + LOG_WAIT;
    while Instant::now() < until {
        if fs::metadata(path).is_ok_and(|m| m.len() >= bytes) {
            return true;
        }
        thread::sleep(Duration::from_millis(10));
    }
    false
}

/// Start an upload of `content` to `name` on a new connection, send the
/// first `SERVER_COPY_BYTES` of its payload, and wait until the server has
/// written them to the partial file. Returns the connection and the rest of
/// the framed payload.
fn start_upload(server: &Server, name: &str, content: &[u8]) -> (Raw, Vec<u8>) {
    assert!(content.len() > 2 * SERVER_COPY_BYTES);
    let mut raw = logged_in(server);
    raw.send(format!("STOR {name} {} new\n", content.len()).as_bytes());
    let wire = framed(content);
    let head = SERVER_COPY_BYTES / CHUNK_BYTES * (CHUNK_BYTES + 2);
    raw.send(&wire[..head]);
    let partial = server.root.join(partial_name(name.as_bytes()));
    assert!(
        wait_size(&partial, SERVER_COPY_BYTES as u64),
        "the upload of {name} never reached its partial file\n{}",
        server.log()
    );
    (raw, wire[head..].to_vec())
}

/// The partial file name the man page documents for `name`.
fn partial_name(name: &[u8]) -> String {
    if PARTIAL_PREFIX.len() + name.len() <= 255 {
        format!("{PARTIAL_PREFIX}{}", String::from_utf8_lossy(name))
    } else {
        // A prefix of its own, so no short name's partial file can be it.
        let reversed: Vec<u8> = name.iter().rev().copied().collect();
        format!(
            ".rftp-long.{:08x}{:08x}-{}",
            crc32(name),
            crc32(&reversed),
            name.len()
        )
    }
}

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

/// Text-like bytes that compress well but not trivially.
fn text(len: usize, seed: u64) -> Vec<u8> {
    const WORDS: [&[u8]; 8] = [
        b"the ", b"quick ", b"brown ", b"fox ", b"jumps ", b"over ", b"lazy ", b"dog\n",
    ];
    let noise = data(4096, seed);
    let mut out = Vec::with_capacity(len + 8);
    let mut i = 0;
    while out.len() < len {
        let r = usize::from(noise[i % noise.len()]) + i / noise.len();
        out.extend_from_slice(WORDS[r % WORDS.len()]);
        i += 1;
    }
    out.truncate(len);
    out
}

/// `gzip -dc FILE` through the system's gzip.
fn gunzip(path: &Path) -> Vec<u8> {
    let out = Command::new("gzip")
        .arg("-dc")
        .arg(path)
        .output()
        .expect("gzip is installed");
    assert!(
        out.status.success(),
        "gzip -d {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn crc_never_reaches_outside_the_root() {
    let f = Fixture::new(&[]);
    let o = &f.out_name;
    let outside_before = snapshot(&f.outside);
    let root_before = snapshot(f.server.root.path());
    let len = SECRET.len();
    let mut raw = f.raw();
    let mut failures = Vec::new();
    let cases: Vec<(String, &str)> = vec![
        (format!("CRC ../{o}/secret 0"), "554"),
        (format!("CRC ../{o}/secret {len}"), "554"),
        (format!("CRC /../{o}/secret {len}"), "554"),
        (format!("CRC sub/../../{o}/secret {len}"), "554"),
        ("CRC link/secret 0".into(), "554"),
        (format!("CRC link/secret {len}"), "554"),
        ("CRC link/no-such-file 0".into(), "554"),
        ("CRC filelink 0".into(), "554"),
        (format!("CRC filelink {len}"), "554"),
        ("CRC ../.. 0".into(), "554"),
        // Absolute paths start at the root.
        ("CRC /etc/passwd 0".into(), "550"),
        ("CRC \"a\\x00\" 0".into(), "553"),
        (format!("CRC \"..\\\\{o}\\\\secret\" {len}"), "553"),
        ("CRC \"a\\\\..\\\\..\" 0".into(), "553"),
    ];
    for (line, want) in &cases {
        let reply = ask(&mut raw, line);
        f.reveals_nothing(line, &reply);
        if !reply.starts_with(want) {
            failures.push(format!("{line} -> {reply:?}, want {want}"));
        }
        if *want == "554" && !reply.contains("outside the served tree") {
            failures.push(format!(
                "{line} -> {reply:?}, want 'outside the served tree'"
            ));
        }
    }
    // A raw NUL byte in the line, not an escape.
    let reply = ask(&mut raw, b"CRC a\x00b 0");
    if !reply.starts_with("553") {
        failures.push(format!("CRC with a raw NUL -> {reply:?}"));
    }
    // An existing name and a missing one behind a link out look the same.
    let there = ask(&mut raw, "CRC link/secret 1");
    let missing = ask(&mut raw, "CRC link/nothing-here 1");
    if there.get(..4) != missing.get(..4) {
        failures.push(format!(
            "CRC through a link tells an existing outside file ({there:?}) from a missing one ({missing:?})"
        ));
    }
    in_step(&mut raw, "CRC attacks");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(snapshot(&f.outside), outside_before, "outside changed");
    assert_eq!(
        snapshot(f.server.root.path()),
        root_before,
        "the root changed"
    );
    still_serves(&f.server);
}

#[test]
fn crc_lengths_past_the_end_and_special_files_are_refused() {
    let f = Fixture::new(&[]);
    let mut raw = f.raw();
    assert_eq!(ask(&mut raw, "CRC a 0"), "213 0 00000000");
    assert_eq!(
        ask(&mut raw, "CRC a 4"),
        format!("213 4 {:08x}", crc32(A_CONTENT))
    );
    assert_eq!(
        ask(&mut raw, "CRC /sub/../a 2"),
        format!("213 2 {:08x}", crc32(&A_CONTENT[..2]))
    );
    let mut failures = Vec::new();
    let cases: [(&str, &str); 9] = [
        ("CRC a 5", "554"),
        ("CRC a 18446744073709551615", "554"),
        ("CRC a 18446744073709551616", "501"),
        ("CRC a -1", "501"),
        ("CRC a 0x10", "501"),
        ("CRC a", "501"),
        ("CRC sub 0", "554"),
        ("CRC / 0", "554"),
        ("CRC nope 0", "550"),
    ];
    for (line, want) in cases {
        let reply = ask(&mut raw, line);
        if !reply.starts_with(want) {
            failures.push(format!("{line} -> {reply:?}, want {want}"));
        }
    }
    // A FIFO is refused at once, never opened (which would wait for a writer).
    for line in [
        "CRC fifo 0",
        "CRC fifo 1",
        "CRC sub/../fifo 18446744073709551615",
    ] {
        let started = Instant::now();
        let reply = ask(&mut raw, line);
        if !reply.starts_with("554") || started.elapsed() > REPLY_DEADLINE {
            failures.push(format!(
                "{line} -> {reply:?} after {:?}, want a quick 554",
                started.elapsed()
            ));
        }
    }
    in_step(&mut raw, "CRC lengths");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(!f.server.root.join("a.gz").exists());
    still_serves(&f.server);
}

#[test]
fn partial_never_reaches_outside_the_root() {
    let f = Fixture::new(&[]);
    let o = &f.out_name;
    // Kept data outside, where only a way out of the root would find it.
    let kept_outside = b"kept outside the root";
    fs::write(f.outside.join(".rftp-part.secret"), kept_outside).unwrap();
    fs::write(f.outside.join(".rftp-part.new"), kept_outside).unwrap();
    let kept_shown = format!("{} {:08x}", kept_outside.len(), crc32(kept_outside));
    let outside_before = snapshot(&f.outside);
    let root_before = snapshot(f.server.root.path());
    let mut raw = f.raw();
    let mut failures = Vec::new();
    let cases: Vec<(String, &str)> = vec![
        (format!("PARTIAL ../{o}/secret"), "554"),
        (format!("PARTIAL /../{o}/new"), "554"),
        (format!("PARTIAL sub/../../{o}/secret"), "554"),
        ("PARTIAL link/secret".into(), "554"),
        ("PARTIAL link/new".into(), "554"),
        ("PARTIAL ..".into(), "554"),
        ("PARTIAL ../x".into(), "554"),
        ("PARTIAL /".into(), "553"),
        ("PARTIAL \"x\\x00\"".into(), "553"),
        (format!("PARTIAL \"..\\\\{o}\\\\secret\""), "553"),
        // Names in the root, whatever they are, have no kept data.
        ("PARTIAL filelink".into(), "213 0 00000000"),
        ("PARTIAL /etc/passwd".into(), "550"),
    ];
    for (line, want) in &cases {
        let reply = ask(&mut raw, line);
        f.reveals_nothing(line, &reply);
        if reply.contains(&kept_shown) {
            failures.push(format!("{line} -> {reply:?} shows the data kept outside"));
        } else if !reply.starts_with(want) {
            failures.push(format!("{line} -> {reply:?}, want {want}"));
        }
    }
    // A directory, a FIFO and a link out are names too; they have no
    // partial data, and the FIFO must not be waited on.
    for line in ["PARTIAL sub", "PARTIAL fifo", "PARTIAL link"] {
        let started = Instant::now();
        let reply = ask(&mut raw, line);
        let quick = started.elapsed() < REPLY_DEADLINE;
        if !quick || !(reply == "213 0 00000000" || reply.starts_with("55")) {
            failures.push(format!("{line} -> {reply:?} after {:?}", started.elapsed()));
        }
    }
    in_step(&mut raw, "PARTIAL attacks");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(snapshot(&f.outside), outside_before, "outside changed");
    let root_after = snapshot(f.server.root.path());
    assert_eq!(
        root_after,
        root_before,
        "PARTIAL changed the root: {:?}",
        shown(&root_after)
    );
    still_serves(&f.server);
}

#[test]
fn partial_crc_and_offset_uploads_on_a_read_only_server() {
    let f = Fixture::new(&["--read-only"]);
    f.server.root.write(".rftp-part.up", b"hello");
    let root_before = snapshot(f.server.root.path());
    let mut raw = f.raw();
    let reply = ask(&mut raw, "PARTIAL up");
    assert!(
        reply.starts_with("554 ") && reply.contains("read-only"),
        "PARTIAL on a read-only server -> {reply}"
    );
    let reply = ask(&mut raw, "PARTIAL nothing-kept");
    assert!(
        reply.starts_with("554 "),
        "PARTIAL on a read-only server -> {reply}"
    );
    // Reading is still allowed.
    assert_eq!(
        ask(&mut raw, "CRC a 4"),
        format!("213 4 {:08x}", crc32(A_CONTENT))
    );
    let reply = stor(&mut raw, "STOR up 8 new 5", b", world\n");
    assert!(
        reply.starts_with("554 ") && reply.contains("read-only"),
        "STOR with an offset on a read-only server -> {reply}"
    );
    in_step(&mut raw, "STOR with an offset on a read-only server");
    let reply = ask(&mut raw, "COMPRESS a 6 new");
    assert!(
        reply.starts_with("554 ") && reply.contains("read-only"),
        "COMPRESS on a read-only server -> {reply}"
    );
    let reply = ask(&mut raw, "COMPRESS a 6 replace");
    assert!(reply.starts_with("554 "), "COMPRESS replace -> {reply}");
    in_step(&mut raw, "COMPRESS on a read-only server");
    assert_eq!(snapshot(f.server.root.path()), root_before);
    still_serves(&f.server);
}

/// One named exchange on a raw connection, returning its reply.
type Step<'a> = (&'a str, &'a dyn Fn(&mut Raw) -> String);

#[test]
fn partial_files_that_are_links_out_or_fifos_are_never_followed() {
    // Someone with a shell on the server left partial names that lead out
    // of the root. Uploads, PARTIAL and COMPRESS use those names; none may
    // create, read or write anything outside, nor wait on the FIFO.
    let f = Fixture::new(&[]);
    let root = f.server.root.path();
    symlink(f.outside.join("made-by-p"), root.join(".rftp-part.p")).unwrap();
    symlink(f.outside.join("secret"), root.join(".rftp-part.q")).unwrap();
    symlink(f.outside.join("made-by-gz"), root.join(".rftp-part.a.gz")).unwrap();
    mkfifo(&root.join(".rftp-part.f"));
    let outside_before = snapshot(&f.outside);
    let mut raw = f.raw();
    let mut replies = Vec::new();
    let continue_secret = format!("STOR q 3 new {}", SECRET.len());
    let steps: [Step; 8] = [
        ("PARTIAL p", &|r| ask(r, "PARTIAL p")),
        ("STOR p", &|r| stor(r, "STOR p 3 new", b"abc")),
        ("PARTIAL q", &|r| ask(r, "PARTIAL q")),
        (&continue_secret, &|r| stor(r, &continue_secret, b"abc")),
        ("STOR q replace", &|r| stor(r, "STOR q 3 replace", b"abc")),
        ("PARTIAL f", &|r| ask(r, "PARTIAL f")),
        ("STOR f", &|r| stor(r, "STOR f 3 new", b"abc")),
        ("COMPRESS a", &|r| ask(r, "COMPRESS a 6 new")),
    ];
    for (what, step) in steps {
        let started = Instant::now();
        let reply = step(&mut raw);
        assert!(
            started.elapsed() < REPLY_DEADLINE,
            "{what} took {:?} ({reply})",
            started.elapsed()
        );
        f.reveals_nothing(what, &reply);
        replies.push(format!("{what} -> {reply}"));
    }
    in_step(&mut raw, "uploads through partial names that lead out");
    let outside_after = snapshot(&f.outside);
    assert!(
        outside_after == outside_before,
        "the outside tree changed: now {:?}\nreplies:\n{}",
        shown(&outside_after),
        replies.join("\n")
    );
    // Whatever was published holds only what the client sent.
    for (name, allowed) in [("p", b"abc".to_vec()), ("q", b"abc".to_vec())] {
        if let Ok(got) = fs::read(root.join(name)) {
            assert_eq!(got, allowed, "{name} holds {got:?}");
        }
    }
    still_serves(&f.server);
}

#[test]
fn stor_offset_that_does_not_match_is_refused_after_its_payload() {
    let server = Server::start(&[]);
    server.root.write(".rftp-part.up", b"hello");
    let mut raw = logged_in(&server);
    assert_eq!(
        ask(&mut raw, "PARTIAL up"),
        format!("213 5 {:08x}", crc32(b"hello"))
    );
    let rest = b", world\n";
    for offset in ["0", "4", "6", "18446744073709551615"] {
        let line = format!("STOR up {} new {offset}", rest.len());
        let reply = stor(&mut raw, &line, rest);
        assert!(reply.starts_with("451 "), "{line} -> {reply}");
        in_step(&mut raw, &line);
        assert_eq!(
            fs::read(server.root.join(".rftp-part.up")).ok().as_deref(),
            Some(&b"hello"[..]),
            "{line} touched the kept data"
        );
        assert!(!server.root.join("up").exists(), "{line} published up");
    }
    // A payload larger than one chunk, refused, is still read whole.
    let big = data(3 * CHUNK_BYTES + 7, 1);
    let line = format!("STOR up {} replace 1", big.len());
    let reply = stor(&mut raw, &line, &big);
    assert!(reply.starts_with("451 "), "{line} -> {reply}");
    in_step(&mut raw, &line);
    // The right offset continues the kept data.
    let line = format!("STOR up {} new 5", rest.len());
    assert_eq!(
        stor(&mut raw, &line, rest),
        format!("226 {} {:08x}", rest.len(), crc32(rest))
    );
    assert_eq!(
        fs::read(server.root.join("up")).ok().as_deref(),
        Some(&b"hello, world\n"[..])
    );
    in_step(&mut raw, &line);
    assert_eq!(root_names(&server), ["up"]);
    still_serves(&server);
}

#[test]
fn stor_offset_without_kept_data_is_refused_and_leaves_nothing() {
    let server = Server::start(&[]);
    let mut raw = logged_in(&server);
    let reply = stor(&mut raw, "STOR none 3 new 5", b"abc");
    assert!(reply.starts_with("451 "), "STOR none … 5 -> {reply}");
    in_step(&mut raw, "STOR with an offset and no kept data");
    let reply = stor(
        &mut raw,
        "STOR none2 3 replace 18446744073709551615",
        b"abc",
    );
    assert!(
        reply.starts_with("451 "),
        "STOR none2 … u64::MAX -> {reply}"
    );
    in_step(&mut raw, "STOR with offset u64::MAX");
    assert_eq!(
        root_names(&server),
        Vec::<String>::new(),
        "a refused upload left files behind"
    );
    still_serves(&server);
}

#[test]
fn stor_offset_with_a_broken_payload_closes_and_publishes_nothing() {
    let server = Server::start(&[]);
    server.root.write(".rftp-part.up", b"hello");
    // A wrong offset and a payload longer than announced: closed, and the
    // kept data, which this upload never used, stays.
    let mut raw = logged_in(&server);
    raw.send(b"STOR up 3 new 4\n");
    raw.send(&framed(b"0123456789"));
    let _ = raw.stream.write_all(b"DONE 10 00000000\nPWD\n");
    let (lines, closed) = lines_until_closed(&mut raw, CLOSE_WAIT);
    assert!(closed, "left open after an oversized payload: {lines:?}");
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("226") || l.starts_with("257")),
        "{lines:?}"
    );
    assert_eq!(
        fs::read(server.root.join(".rftp-part.up")).ok().as_deref(),
        Some(&b"hello"[..])
    );
    // The right offset, then a chunk header past 2048.
    let mut raw = logged_in(&server);
    raw.send(b"STOR up 100000 new 5\n");
    raw.send(&framed(&data(CHUNK_BYTES, 2))[..CHUNK_BYTES + 2]);
    let _ = raw.stream.write_all(&[0xff, 0xff]);
    let _ = raw.stream.write_all(&data(4096, 3));
    let _ = raw.stream.write_all(b"\nPWD\n");
    let (lines, closed) = lines_until_closed(&mut raw, CLOSE_WAIT);
    assert!(closed, "left open after a bad chunk header: {lines:?}");
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("226") || l.starts_with("257")),
        "{lines:?}"
    );
    // The right offset, fewer bytes than announced: refused, in step.
    server.root.write(".rftp-part.up2", b"hello");
    let mut raw = logged_in(&server);
    raw.send(b"STOR up2 10 new 5\n");
    raw.send(&framed(b"abc"));
    let reply = ask(&mut raw, format!("DONE 3 {:08x}", crc32(b"abc")));
    assert!(reply.starts_with("451 "), "short offset upload -> {reply}");
    in_step(&mut raw, "a short upload with an offset");
    // The right offset, a bad CRC in the trailer: refused, in step.
    server.root.write(".rftp-part.up3", b"hello");
    raw.send(b"STOR up3 3 new 5\n");
    raw.send(&framed(b"abc"));
    let reply = ask(&mut raw, "DONE 3 00000000");
    assert!(
        reply.starts_with("451 "),
        "bad CRC with an offset -> {reply}"
    );
    in_step(&mut raw, "a bad CRC with an offset");
    for name in ["up", "up2", "up3"] {
        assert!(
            !server.root.join(name).exists(),
            "{name} published from a broken upload; root {:?}",
            root_names(&server)
        );
    }
    still_serves(&server);
}

#[test]
fn a_second_transfer_of_a_name_in_progress_gets_450() {
    let server = Server::start(&[]);
    server.root.write("s", text(100_000, 4));
    let first = data(3 * SERVER_COPY_BYTES + 123, 5);
    let (mut a, rest) = start_upload(&server, "s.gz", &first);
    let mut b = logged_in(&server);
    let mut failures = Vec::new();
    for (what, reply) in [
        ("STOR new", stor(&mut b, "STOR s.gz 5 new", b"other")),
        (
            "STOR replace",
            stor(&mut b, "STOR s.gz 5 replace", b"other"),
        ),
        (
            "STOR with an offset",
            stor(
                &mut b,
                &format!("STOR s.gz 5 new {SERVER_COPY_BYTES}"),
                b"other",
            ),
        ),
        ("PARTIAL", ask(&mut b, "PARTIAL s.gz")),
        ("COMPRESS", ask(&mut b, "COMPRESS s 6 replace")),
        ("COMPRESS new", ask(&mut b, "COMPRESS s 1 new")),
    ] {
        if !reply.starts_with("450 ") {
            failures.push(format!("{what} while an upload holds s.gz -> {reply}"));
        }
    }
    in_step(&mut b, "450 replies");
    // The first upload goes on as if nothing happened.
    a.send(&rest);
    let reply = ask(
        &mut a,
        format!("DONE {} {:08x}", first.len(), crc32(&first)),
    );
    assert_eq!(reply, format!("226 {} {:08x}", first.len(), crc32(&first)));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(root_names(&server), ["s", "s.gz"]);
    assert!(
        fs::read(server.root.join("s.gz")).unwrap() == first,
        "s.gz does not hold the first upload's bytes"
    );
    // Now the name is taken.
    let reply = stor(&mut b, "STOR s.gz 5 new", b"other");
    assert!(reply.starts_with("552 "), "{reply}");
    in_step(&mut b, "552");
    assert_eq!(root_names(&server), ["s", "s.gz"]);
    still_serves(&server);
}

#[test]
fn two_clients_putting_one_name_at_once_one_wins_whole() {
    const ROUNDS: u64 = 3;
    const SIZE: usize = 16 << 20;
    let server = Server::start(&[]);
    let mut names = Vec::new();
    for round in 0..ROUNDS {
        let name = format!("race{round}.bin");
        let dirs = [TempDir::new(), TempDir::new()];
        let sources: Vec<Vec<u8>> = (0..2).map(|i| data(SIZE, 100 + 2 * round + i)).collect();
        for (dir, source) in dirs.iter().zip(&sources) {
            dir.write(&name, source);
        }
        let runs: Vec<Run> = thread::scope(|scope| {
            let handles: Vec<_> = dirs
                .iter()
                .map(|dir| {
                    let (addr, name) = (server.addr(), name.clone());
                    scope.spawn(move || {
                        Run::new(
                            &["-c", &addr, "-q", "put", &name],
                            Some(PASSWORD),
                            dir.path(),
                            b"",
                        )
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners: Vec<usize> = (0..2).filter(|&i| runs[i].code() == 0).collect();
        let dumps = || {
            runs.iter()
                .map(Run::dump)
                .collect::<Vec<_>>()
                .join("\n---\n")
        };
        assert_eq!(
            winners.len(),
            1,
            "round {round}: want exactly one winner\n{}\nserver log:\n{}",
            dumps(),
            server.log()
        );
        let (win, lose) = (winners[0], 1 - winners[0]);
        runs[lose].expect(1);
        assert!(
            runs[lose].stderr.contains("already exists")
                || runs[lose].stderr.contains("in progress"),
            "round {round}: the loser's error\n{}",
            runs[lose].dump()
        );
        let got = fs::read(server.root.join(&name)).unwrap();
        assert!(
            got == sources[win],
            "round {round}: {name} is not the winner's file ({} bytes; matches loser: {})",
            got.len(),
            got == sources[lose]
        );
        names.push(name);
        assert_eq!(root_names(&server), names, "round {round}");
    }
    still_serves(&server);
}

#[test]
fn compress_refuses_links_out_dirs_fifos_and_bad_arguments() {
    let f = Fixture::new(&[]);
    let o = &f.out_name;
    // Its gzip name would be longer than 255 bytes.
    f.server.root.write("n".repeat(253), b"n");
    let outside_before = snapshot(&f.outside);
    let root_before = snapshot(f.server.root.path());
    let mut raw = f.raw();
    let mut failures = Vec::new();
    let cases: Vec<(String, &str)> = vec![
        ("COMPRESS filelink 6 new".into(), "554"),
        ("COMPRESS filelink 6 replace".into(), "554"),
        ("COMPRESS link/secret 6 replace".into(), "554"),
        (format!("COMPRESS ../{o}/secret 6 replace"), "554"),
        (format!("COMPRESS /../{o}/secret 9 new"), "554"),
        ("COMPRESS sub 6 new".into(), "554"),
        ("COMPRESS sub/ 6 new".into(), "554"),
        ("COMPRESS / 6 new".into(), "554"),
        ("COMPRESS a/. 6 new".into(), "55"),
        ("COMPRESS nope 6 new".into(), "550"),
        ("COMPRESS \"a\\x00\" 6 new".into(), "553"),
        ("COMPRESS \"..\\\\a\" 6 new".into(), "553"),
        (format!("COMPRESS {} 6 new", "n".repeat(253)), "553"),
        ("COMPRESS a 0 new".into(), "501"),
        ("COMPRESS a 10 new".into(), "501"),
        ("COMPRESS a abc new".into(), "501"),
        ("COMPRESS a -1 new".into(), "501"),
        ("COMPRESS a 18446744073709551622 new".into(), "501"),
        ("COMPRESS a 6 maybe".into(), "501"),
        ("COMPRESS a 6 \"\"".into(), "501"),
        ("COMPRESS a 6".into(), "501"),
        ("COMPRESS a 6 new extra".into(), "501"),
    ];
    for (line, want) in &cases {
        let reply = ask(&mut raw, line);
        f.reveals_nothing(line, &reply);
        if !reply.starts_with(want) {
            failures.push(format!("{line} -> {reply:?}, want {want}"));
        }
    }
    for line in ["COMPRESS fifo 6 new", "COMPRESS sub/../fifo 9 replace"] {
        let started = Instant::now();
        let reply = ask(&mut raw, line);
        if !reply.starts_with("554") || started.elapsed() > REPLY_DEADLINE {
            failures.push(format!(
                "{line} -> {reply:?} after {:?}, want a quick 554",
                started.elapsed()
            ));
        }
    }
    in_step(&mut raw, "COMPRESS attacks");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(snapshot(&f.outside), outside_before, "outside changed");
    let root_after = snapshot(f.server.root.path());
    assert_eq!(
        root_after,
        root_before,
        "COMPRESS refusals changed the root: {:?}",
        shown(&root_after)
    );
    still_serves(&f.server);
}

#[test]
fn compress_over_a_link_out_replaces_the_link_never_the_outside_file() {
    let f = Fixture::new(&[]);
    let root = f.server.root.path();
    f.server.root.write("b", b"bbbb");
    symlink(f.outside.join("secret"), root.join("a.gz")).unwrap();
    symlink(f.outside.join("made-by-b"), root.join("b.gz")).unwrap();
    let outside_before = snapshot(&f.outside);
    let mut raw = f.raw();
    for name in ["a", "b"] {
        let reply = ask(&mut raw, format!("COMPRESS {name} 6 new"));
        assert!(reply.starts_with("552 "), "COMPRESS {name} new -> {reply}");
        assert!(
            fs::symlink_metadata(root.join(format!("{name}.gz")))
                .is_ok_and(|m| m.file_type().is_symlink()),
            "COMPRESS {name} new replaced the link"
        );
        assert_eq!(snapshot(&f.outside), outside_before, "after {name} new");
    }
    for (name, content) in [("a", A_CONTENT), ("b", &b"bbbb"[..])] {
        let reply = ask(&mut raw, format!("COMPRESS {name} 6 replace"));
        assert!(
            reply.starts_with("250 "),
            "COMPRESS {name} replace -> {reply}"
        );
        let gz = root.join(format!("{name}.gz"));
        let meta = fs::symlink_metadata(&gz).unwrap();
        assert!(meta.is_file(), "{name}.gz is not a plain file now");
        assert_eq!(gunzip(&gz), content);
        assert_eq!(snapshot(&f.outside), outside_before, "after {name} replace");
    }
    in_step(&mut raw, "COMPRESS over links");
    assert_eq!(fs::read(f.outside.join("secret")).unwrap(), SECRET);
    still_serves(&f.server);
}

#[test]
fn a_client_gone_during_a_long_compress_does_not_hurt_the_server() {
    const SIZE: usize = 96 << 20;
    /// The first COMPRESS may take a while on a busy machine.
    const COMPRESS_WAIT: Duration = Duration::from_secs(180);
    let server = Server::start(&[]);
    let content = text(SIZE, 6);
    server.root.write("big", &content);
    let mut raw = logged_in(&server);
    raw.send(b"COMPRESS big 9 new\n");
    thread::sleep(Duration::from_millis(100));
    let _ = raw.stream.shutdown(Shutdown::Both);
    drop(raw);
    // Another client wants the same gzip file meanwhile: busy, or done
    // when the first one has already finished.
    let mut other = logged_in(&server);
    other.stream.set_read_timeout(Some(COMPRESS_WAIT)).unwrap();
    let reply = ask(&mut other, "COMPRESS big 1 replace");
    assert!(
        reply.starts_with("450 ") || reply.starts_with("250 "),
        "a second COMPRESS of big -> {reply}"
    );
    // Others are served while the first one works.
    still_serves(&server);
    let until = Instant::now() + COMPRESS_WAIT;
    let first_done = loop {
        let log = server.log();
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("compress '/big'"))
            .collect();
        if lines.len() >= 2 {
            break lines.iter().any(|l| l.contains(" ok "));
        }
        assert!(
            Instant::now() < until,
            "the compress of a vanished client never ended\n{log}"
        );
        thread::sleep(Duration::from_millis(100));
    };
    assert!(
        first_done,
        "neither compress published big.gz\n{}",
        server.log()
    );
    assert_eq!(root_names(&server), ["big", "big.gz"]);
    assert!(
        gunzip(&server.root.join("big.gz")) == content,
        "big.gz does not restore big"
    );
    in_step(&mut other, "a second COMPRESS");
    still_serves(&server);
}

#[test]
fn retr_deflate_at_the_end_of_a_file_is_a_valid_empty_stream() {
    let server = Server::start(&[]);
    server.root.write("a", A_CONTENT);
    server.root.write("empty", b"");
    let mut raw = logged_in(&server);
    for line in [
        "RETR a 4 deflate",
        "RETR empty 0 deflate",
        "RETR /a 4 deflate",
    ] {
        assert_eq!(ask(&mut raw, line), "150 0 deflate", "{line}");
        let payload = read_payload(&mut raw).expect("a payload");
        assert!(!payload.is_empty(), "{line}: no deflate stream at all");
        let inflated = miniz_oxide::inflate::decompress_to_vec(&payload);
        assert_eq!(
            inflated.as_deref().ok(),
            Some(&[][..]),
            "{line}: {payload:?} is not an empty deflate stream"
        );
        assert_eq!(raw.line().as_deref(), Some("226 0 00000000"), "{line}");
    }
    // The whole file and its tail, deflated, for comparison.
    for (offset, want) in [(0, A_CONTENT), (1, &A_CONTENT[1..])] {
        let line = format!("RETR a {offset} deflate");
        assert_eq!(ask(&mut raw, &line), format!("150 {} deflate", want.len()));
        let payload = read_payload(&mut raw).expect("a payload");
        let inflated = miniz_oxide::inflate::decompress_to_vec(&payload);
        assert_eq!(inflated.as_deref().ok(), Some(want), "{line}");
        assert_eq!(
            raw.line(),
            Some(format!("226 {} {:08x}", want.len(), crc32(want)))
        );
    }
    in_step(&mut raw, "deflated RETRs");
    still_serves(&server);
}

#[test]
fn retr_with_a_bad_encoding_or_offset_is_refused_and_the_stream_goes_on() {
    let server = Server::start(&[]);
    server.root.write("a", A_CONTENT);
    mkfifo(&server.root.join("fifo"));
    let mut raw = logged_in(&server);
    let cases = [
        ("RETR a 0 gzip", "501"),
        ("RETR a 0 deflate9", "501"),
        ("RETR a 0 \"\\x00deflate\"", "501"),
        ("RETR a deflate", "501"),
        ("RETR a 0 deflate extra", "501"),
        ("RETR a 5", "554"),
        ("RETR a 5 deflate", "554"),
        ("RETR a 18446744073709551615 deflate", "554"),
        ("RETR a 18446744073709551616 deflate", "501"),
        ("RETR nope 0 deflate", "550"),
        ("RETR fifo 0 deflate", "554"),
    ];
    let mut failures = Vec::new();
    for (line, want) in cases {
        let reply = ask(&mut raw, line);
        if !reply.starts_with(want) {
            failures.push(format!("{line} -> {reply:?}, want {want}"));
        }
        if reply.starts_with("150") {
            // Keep the stream in step for the next case.
            let _ = read_payload(&mut raw);
            let _ = raw.line();
        }
    }
    // `raw` is the default, spelled out.
    assert_eq!(ask(&mut raw, "RETR a 2 raw"), "150 2");
    assert_eq!(read_payload(&mut raw).as_deref(), Some(&A_CONTENT[2..]));
    assert_eq!(
        raw.line(),
        Some(format!("226 2 {:08x}", crc32(&A_CONTENT[2..])))
    );
    in_step(&mut raw, "bad RETRs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(root_names(&server), ["a", "fifo"]);
    still_serves(&server);
}

#[test]
fn a_file_named_like_a_partial_file_is_refused_or_survives_an_upload_of_its_name() {
    // Either the server keeps `.rftp-part.NAME` to itself and refuses it as
    // a name, or it keeps the two apart; never may an upload of `x` take a
    // client's file `.rftp-part.x` for its partial data.
    let server = Server::start(&[]);
    let local = TempDir::new();
    let lookalike = b"a real file whose name looks like a partial file\n";
    local.write(".rftp-part.x", lookalike);
    local.write("x", b"the real x\n");
    let first = server.client(local.path(), "put .rftp-part.x\n");
    let accepted = first.code() == 0;
    if !accepted {
        first.expect(1).stderr_has("rftp: put: ");
    }
    server.client(local.path(), "put x\n").expect(0);
    let names = root_names(&server);
    assert_eq!(
        fs::read(server.root.join("x")).ok().as_deref(),
        Some(&b"the real x\n"[..])
    );
    if accepted {
        let kept = fs::read(server.root.join(".rftp-part.x")).ok();
        assert!(
            kept.as_deref() == Some(&lookalike[..]),
            "uploading x destroyed or changed the uploaded file .rftp-part.x: now {:?}; root {names:?}",
            kept.map(|k| String::from_utf8_lossy(&k).into_owned())
        );
        assert_eq!(names, [".rftp-part.x", "x"]);
    } else {
        assert_eq!(names, ["x"], "refused, yet\n{}", first.dump());
    }
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
