//! The one fixture tree of the jail, hostile and race tests: a server whose
//! root sits next to a sibling directory `<root>-outside` (holding `secret`
//! and a directory `dir`), with a link to that directory (`link`), a link to
//! the secret (`filelink`), a FIFO (`fifo`), a file `a` and a directory
//! `sub` in the root, and a local directory for the client holding `f`, `x`
//! and an empty `down/`. Also what the tests check against it: that a
//! refused client script changed nothing anywhere, that a reply reveals
//! nothing of the outside tree, that an ordinary client is still served;
//! and starting or cutting off uploads so that partial files exist. No
//! tests here; speaking the wire by hand is `raw`'s.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::fake::framed;
use crate::raw::{CHUNK_BYTES, REPLY_DEADLINE, ask, logged_in};
use crate::util::{Raw, Run, Server, TempDir, crc32, data, snapshot};

/// What the secret file outside the root holds.
pub const SECRET: &[u8] = b"outside secret, never to be read or changed\n";
/// A piece of `SECRET` that no message names: seeing it means the secret leaked.
const SECRET_MARK: &str = "never to be read";
/// What `a`, a plain file in the root, holds.
pub const A_CONTENT: &[u8] = b"aaaa";
/// What a plain `ls` of the fixture root prints.
pub const ROOT_LS: &str = "a\nfifo\nfilelink\nlink\nsub/\n";

/// How long to wait for the server's log or its files to show what it did.
pub const LOG_WAIT: Duration = Duration::from_secs(10);
/// The server's copy buffer for a large upload: a read returns (and the
/// partial file grows) once this many payload bytes have arrived.
pub const SERVER_COPY_BYTES: usize = 256 * 1024;

/// Prefix of partial files.
const PARTIAL_PREFIX: &str = ".rftp-part.";
/// Names an attack with `..` would create beside the root.
const BESIDE_NAMES: [&str; 5] = ["a", "d", "f", "x", "escape"];

/// A server on the fixture tree, the outside directory beside its root, and
/// the client's local directory.
pub struct Fixture {
    pub server: Server,
    /// The sibling directory outside the root.
    pub outside: PathBuf,
    /// Its name, so that `../NAME/secret` from the root reaches it.
    pub out_name: String,
    /// The client's local directory.
    pub local: TempDir,
}

impl Fixture {
    /// Start a server with `args` and build the tree around its root and
    /// the local directory.
    pub fn new(args: &[&str]) -> Fixture {
        let server = Server::start(args);
        let root = server.root.path().to_path_buf();
        let (outside, out_name) = outside_beside(&root, SECRET);
        fs::create_dir(outside.join("dir")).unwrap();
        server.root.write("a", A_CONTENT);
        server.root.write("sub/inner", b"inner\n");
        symlink(&outside, root.join("link")).unwrap();
        symlink(outside.join("secret"), root.join("filelink")).unwrap();
        mkfifo(&root.join("fifo"));
        let local = TempDir::new();
        local.write("f", b"local f\n");
        local.write("x", b"local x\n");
        fs::create_dir(local.join("down")).unwrap();
        Fixture {
            server,
            outside,
            out_name,
            local,
        }
    }

    /// A raw, logged-in connection whose replies may take `REPLY_DEADLINE`.
    pub fn raw(&self) -> Raw {
        logged_in(&self.server)
    }

    /// Run the client with `script` in the local directory.
    pub fn client(&self, script: &str) -> Run {
        self.server.client(self.local.path(), script)
    }

    /// Run `script`, expect exit 1 with `needle` on stderr, and check that
    /// nothing changed outside the root, in the root or in the local directory.
    #[track_caller]
    pub fn refuse(&self, script: &str, needle: &str) -> Run {
        let outside_before = snapshot(&self.outside);
        let root_before = snapshot(self.server.root.path());
        let local_before = snapshot(self.local.path());
        let beside_before = beside(self.server.root.path());
        let run = self.client(script);
        run.expect(1).stderr_has(needle);
        assert!(
            run.stderr.lines().count() == 1 && run.stderr.starts_with("rftp: "),
            "want exactly one 'rftp: ' error line for {script:?}\n{}",
            run.dump()
        );
        for (what, before, after) in [
            ("the outside tree", outside_before, snapshot(&self.outside)),
            ("the root", root_before, snapshot(self.server.root.path())),
            (
                "the local directory",
                local_before,
                snapshot(self.local.path()),
            ),
        ] {
            assert_eq!(
                after,
                before,
                "{what} changed after {script:?}\n{}",
                run.dump()
            );
        }
        assert_eq!(
            beside(self.server.root.path()),
            beside_before,
            "a name beside the root changed after {script:?}\n{}",
            run.dump()
        );
        assert!(
            !run.out().contains("secret") && !run.stderr.contains(SECRET_MARK),
            "the secret leaked after {script:?}\n{}",
            run.dump()
        );
        run
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

/// Make `<root>-outside` beside a server's root, holding `secret` in a
/// file named `secret`: what attacks on the jail aim at. Returns its path
/// and its name.
pub fn outside_beside(root: &Path, secret: &[u8]) -> (PathBuf, String) {
    let name = format!(
        "{}-outside",
        root.file_name()
            .expect("a temp dir has a name")
            .to_string_lossy()
    );
    let outside = root.parent().expect("a temp dir has a parent").join(&name);
    let _ = fs::remove_dir_all(&outside);
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("secret"), secret).unwrap();
    (outside, name)
}

/// Size and modification time of each of `BESIDE_NAMES` beside the root
/// (the root's parent is shared, so only these names are watched).
fn beside(root: &Path) -> Vec<Option<(u64, std::time::SystemTime)>> {
    let parent = root.parent().expect("a temp dir has a parent");
    BESIDE_NAMES
        .iter()
        .map(|name| {
            let meta = fs::symlink_metadata(parent.join(name)).ok()?;
            Some((meta.len(), meta.modified().ok()?))
        })
        .collect()
}

/// Make a FIFO at `path`.
pub fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status();
    assert!(
        made.as_ref().is_ok_and(|s| s.success()),
        "mkfifo failed: {made:?}"
    );
}

/// An ordinary client still gets served.
#[track_caller]
pub fn still_serves(server: &Server) {
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

/// The names in a snapshot, for a failure message.
pub fn shown(snap: &[(Vec<u8>, char, Vec<u8>)]) -> Vec<String> {
    snap.iter()
        .map(|(n, k, _)| format!("{k} {}", String::from_utf8_lossy(n)))
        .collect()
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

/// Each of `lines` must get a `554` within `REPLY_DEADLINE` (a FIFO
/// must never hold the connection); what does not goes into `failures`.
pub fn quick_refusals(raw: &mut Raw, lines: &[&str], failures: &mut Vec<String>) {
    for line in lines {
        let started = Instant::now();
        let reply = ask(raw, line);
        if !reply.starts_with("554") || started.elapsed() > REPLY_DEADLINE {
            failures.push(format!(
                "{line} -> {reply:?} after {:?}, want a quick 554",
                started.elapsed()
            ));
        }
    }
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
