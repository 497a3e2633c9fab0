//! The fixture for attacks on the newer commands, and the helpers those
//! tests share: a server whose root sits next to a sibling directory
//! `<root>-outside` (holding `secret`), with a link to that directory
//! (`link`), a link to the secret (`filelink`), a FIFO (`fifo`), a file `a`
//! and a directory `sub` in the root; asking and uploading on a raw
//! connection, checking it is still in step, and starting or cutting off
//! uploads so that partial files exist. No tests here.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use super::helpers::CHUNK_BYTES;
use crate::fake::framed;
use crate::util::{Raw, Server, crc32, data};

/// What the secret file outside the root holds.
pub const SECRET: &[u8] = b"outside secret, never to be read or changed\n";
/// What `a`, a plain file in the root, holds.
pub const A_CONTENT: &[u8] = b"aaaa";
/// Longest any single refusal may take (a FIFO must not make it wait).
pub const REPLY_DEADLINE: Duration = Duration::from_secs(10);

/// How long to wait for the server's log to show what it did.
pub const LOG_WAIT: Duration = Duration::from_secs(10);
/// The server's copy buffer for a large upload: a read returns (and the
/// partial file grows) once this many payload bytes have arrived.
pub const SERVER_COPY_BYTES: usize = 256 * 1024;

/// Prefix of partial files.
const PARTIAL_PREFIX: &str = ".rftp-part.";

/// A server whose root sits next to an `outside` directory, with links out
/// of the root, a FIFO, a file and a directory in it.
pub struct Fixture {
    pub server: Server,
    /// The sibling directory outside the root.
    pub outside: PathBuf,
    /// Its name, so that `../NAME/secret` from the root reaches it.
    pub out_name: String,
}

impl Fixture {
    /// Start a server with `args` and build the tree around its root.
    pub fn new(args: &[&str]) -> Fixture {
        let server = Server::start(args);
        let root = server.root.path().to_path_buf();
        let (outside, out_name) = crate::util::outside_beside(&root, SECRET);
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
    pub fn raw(&self) -> Raw {
        logged_in(&self.server)
    }

    /// Fail if a reply shows the outside tree: its real path, or the length
    /// and CRC-32 of the secret as CRC or PARTIAL would print them.
    #[track_caller]
    pub fn reveals_nothing(&self, what: &str, reply: &str) {
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
pub fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status();
    assert!(
        made.as_ref().is_ok_and(|s| s.success()),
        "mkfifo failed: {made:?}"
    );
}

/// The names in a snapshot, for a failure message.
pub fn shown(snap: &[(Vec<u8>, char, Vec<u8>)]) -> Vec<String> {
    snap.iter()
        .map(|(n, k, _)| format!("{k} {}", String::from_utf8_lossy(n)))
        .collect()
}

/// A logged-in raw connection with `REPLY_DEADLINE` as its read timeout.
pub fn logged_in(server: &Server) -> Raw {
    let mut raw = server.raw();
    raw.login();
    raw.stream.set_read_timeout(Some(REPLY_DEADLINE)).unwrap();
    raw
}

/// Each of `lines` must get a `554` within `REPLY_DEADLINE` (a FIFO
/// must never hold the connection); what does not goes into `failures`.
pub fn quick_refusals(raw: &mut Raw, lines: &[&str], failures: &mut Vec<String>) {
    for line in lines {
        let started = std::time::Instant::now();
        let reply = ask(raw, line);
        if !reply.starts_with("554") || started.elapsed() > REPLY_DEADLINE {
            failures.push(format!(
                "{line} -> {reply:?} after {:?}, want a quick 554",
                started.elapsed()
            ));
        }
    }
}

/// Send `line` (a newline is added) and read one reply line.
#[track_caller]
pub fn ask(raw: &mut Raw, line: impl AsRef<[u8]>) -> String {
    let line = line.as_ref();
    raw.send(line);
    raw.send(b"\n");
    raw.line()
        .unwrap_or_else(|| panic!("no reply to {:?}", String::from_utf8_lossy(line)))
}

/// Send a STOR line (newline added), `payload` framed, and a DONE trailer
/// for it; read the reply.
#[track_caller]
pub fn stor(raw: &mut Raw, line: &str, payload: &[u8]) -> String {
    raw.send(format!("{line}\n").as_bytes());
    raw.send(&framed(payload));
    raw.send(format!("DONE {} {:08x}\n", payload.len(), crc32(payload)).as_bytes());
    raw.line().unwrap_or_else(|| panic!("no reply to {line:?}"))
}

/// The stream is still in step: PWD gets its own answer next.
#[track_caller]
pub fn in_step(raw: &mut Raw, after: &str) {
    assert_eq!(
        ask(raw, "PWD"),
        "257 /",
        "the stream lost its place after {after}"
    );
}

/// The names in the root, shown lossily and sorted.
pub fn root_names(server: &Server) -> Vec<String> {
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
pub fn start_upload(server: &Server, name: &str, content: &[u8]) -> (Raw, Vec<u8>) {
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
pub fn partial_name(name: &[u8]) -> String {
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

/// Text-like bytes that compress well but not trivially.
pub fn text(len: usize, seed: u64) -> Vec<u8> {
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
