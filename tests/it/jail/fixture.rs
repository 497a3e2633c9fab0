//! The jail's fixture: a server whose root has a sibling "outside"
//! directory, links and a FIFO in it, a local directory for the client, and
//! `refuse`, which runs a client script and checks that it failed and that
//! nothing changed anywhere. No tests here.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{Raw, Run, Server, TempDir, snapshot};

/// What the secret file outside the root holds.
pub const SECRET: &[u8] = b"top secret, outside the root\n";
/// What `a`, a plain file in the root, holds.
pub const A_CONTENT: &[u8] = b"aaa\n";

/// A server whose root has a sibling "outside" directory with a secret in
/// it, a symlink to that directory (`link`), a symlink to the secret
/// (`filelink`), a FIFO (`fifo`), a file `a` and a directory `sub`; plus a
/// local directory for the client holding `f`, `x` and an empty `down/`.
pub struct Jail {
    pub server: Server,
    /// The sibling directory outside the root.
    pub outside: PathBuf,
    /// Its name, so that `../NAME/secret` from the root reaches it.
    pub out_name: String,
    /// The client's local directory.
    pub local: TempDir,
}

impl Jail {
    /// Start a server and build the tree around its root and the local directory.
    pub fn new() -> Jail {
        let server = Server::start(&[]);
        let root = server.root.path().to_path_buf();
        let (outside, out_name) = crate::util::outside_beside(&root, SECRET);
        fs::create_dir(outside.join("dir")).unwrap();
        server.root.write("a", A_CONTENT);
        server.root.write("sub/inner", b"inner\n");
        std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
        std::os::unix::fs::symlink(outside.join("secret"), root.join("filelink")).unwrap();
        let made = Command::new("mkfifo").arg(root.join("fifo")).status();
        assert!(
            made.as_ref().is_ok_and(|s| s.success()),
            "mkfifo failed: {made:?}"
        );
        let local = TempDir::new();
        local.write("f", b"local f\n");
        local.write("x", b"local x\n");
        fs::create_dir(local.join("down")).unwrap();
        Jail {
            server,
            outside,
            out_name,
            local,
        }
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
        assert_eq!(
            snapshot(&self.outside),
            outside_before,
            "the outside tree changed after {script:?}\n{}",
            run.dump()
        );
        assert_eq!(
            snapshot(self.server.root.path()),
            root_before,
            "the root changed after {script:?}\n{}",
            run.dump()
        );
        assert_eq!(
            snapshot(self.local.path()),
            local_before,
            "the local directory changed after {script:?}\n{}",
            run.dump()
        );
        assert_eq!(
            beside(self.server.root.path()),
            beside_before,
            "a name beside the root changed after {script:?}\n{}",
            run.dump()
        );
        assert!(
            !run.out().contains("secret") && !run.stderr.contains("top secret"),
            "the secret leaked after {script:?}\n{}",
            run.dump()
        );
        run
    }

    /// A raw, logged-in connection.
    pub fn raw(&self) -> Raw {
        let mut raw = self.server.raw();
        raw.login();
        raw
    }
}

impl Drop for Jail {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.outside);
    }
}

/// Names an attack with `..` would create beside the root.
const BESIDE_NAMES: [&str; 5] = ["a", "d", "f", "x", "escape"];

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

/// Send `line` and read one reply line.
pub fn ask(raw: &mut Raw, line: &[u8]) -> String {
    raw.send(line);
    raw.line()
        .unwrap_or_else(|| panic!("no reply to {:?}", String::from_utf8_lossy(line)))
}

/// What a plain `ls` of the fixture root prints.
pub const ROOT_LS: &str = "a\nfifo\nfilelink\nlink\nsub/\n";
