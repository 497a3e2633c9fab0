//! The jail: no client path reads, writes, lists or creates anything outside
//! the served root — not with `..`, absolute paths, backslashes, NUL bytes or
//! symbolic links that point out — and special files are never opened.
//!
//! Every test serves a root with a sibling directory "outside" next to it
//! (holding `secret`), and checks after each attack that the outside tree,
//! the client's local directory and the root are exactly as they were.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::util::{Raw, Run, Server, TempDir, crc32};

/// What the secret file outside the root holds.
const SECRET: &[u8] = b"top secret, outside the root\n";
/// What `a`, a plain file in the root, holds.
const A_CONTENT: &[u8] = b"aaa\n";
/// Longest a refusal of a special file may take: it must not wait for a writer.
const FIFO_REFUSAL_DEADLINE: Duration = Duration::from_secs(10);

/// A server whose root has a sibling "outside" directory with a secret in
/// it, a symlink to that directory (`link`), a symlink to the secret
/// (`filelink`), a FIFO (`fifo`), a file `a` and a directory `sub`; plus a
/// local directory for the client holding `f`, `x` and an empty `down/`.
struct Jail {
    server: Server,
    /// The sibling directory outside the root.
    outside: PathBuf,
    /// Its name, so that `../NAME/secret` from the root reaches it.
    out_name: String,
    /// The client's local directory.
    local: TempDir,
}

impl Jail {
    fn new() -> Jail {
        let server = Server::start(&[]);
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
    fn client(&self, script: &str) -> Run {
        self.server.client(self.local.path(), script)
    }

    /// Run `script`, expect exit 1 with `needle` on stderr, and check that
    /// nothing changed outside the root, in the root or in the local directory.
    #[track_caller]
    fn refuse(&self, script: &str, needle: &str) -> Run {
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
    fn raw(&self) -> Raw {
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

/// Every entry under `dir` (links not followed): relative path, kind, and
/// contents for files, sorted.
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
fn ask(raw: &mut Raw, line: &[u8]) -> String {
    raw.send(line);
    raw.line()
        .unwrap_or_else(|| panic!("no reply to {:?}", String::from_utf8_lossy(line)))
}

/// What a plain `ls` of the fixture root prints.
const ROOT_LS: &str = "a\nfifo\nfilelink\nlink\nsub/\n";

#[test]
fn cd_up_from_the_root_stays_at_the_root() {
    let j = Jail::new();
    for script in [
        "cd ..\npwd\nls\n",
        "cd ../..\npwd\nls\n",
        "cd /..\npwd\nls\n",
    ] {
        let run = j.client(script);
        run.expect(0);
        assert_eq!(
            run.out(),
            format!("/\n{ROOT_LS}"),
            "{script:?} must stay at the root and list the root's own files\n{}",
            run.dump()
        );
    }
    let run = j.client("cd sub\ncd ../..\npwd\n");
    run.expect(0);
    assert_eq!(run.out(), "/\n", "{}", run.dump());
}

#[test]
fn cd_up_and_over_into_a_sibling_is_refused() {
    let j = Jail::new();
    let o = &j.out_name;
    j.refuse(&format!("cd ../{o}\n"), "outside the served tree");
    j.refuse(
        &format!("cd sub/../../{o}/dir\n"),
        "outside the served tree",
    );
    // A refused cd leaves the directory where it was.
    let run = j.client(&format!("cd sub\n-cd ../../{o}\npwd\n"));
    run.expect(0).stderr_has("outside the served tree");
    assert_eq!(run.out(), "/sub\n", "{}", run.dump());
}

#[test]
fn get_with_dot_dot_is_refused() {
    let j = Jail::new();
    let o = &j.out_name;
    // In `down`, where no local `x` is in the way.
    j.refuse(
        "lcd down\nget ../x\n",
        "rftp: get: '../x': outside the served tree",
    );
    j.refuse(
        &format!("get ../{o}/secret\n"),
        &format!("rftp: get: '../{o}/secret': outside the served tree"),
    );
    j.refuse(
        &format!("get sub/../../{o}/secret\n"),
        "outside the served tree",
    );
    j.refuse(&format!("get /../{o}/secret\n"), "outside the served tree");
    j.refuse(&format!("ls ../{o}\n"), "outside the served tree");
    j.refuse("ls ..\n", "outside the served tree");
    j.refuse("dir ../..\n", "outside the served tree");
}

#[test]
fn absolute_paths_are_inside_the_root() {
    let j = Jail::new();
    j.refuse(
        "get /etc/passwd\n",
        "rftp: get: '/etc/passwd': no such file or directory",
    );
    j.refuse("get /../etc/passwd\n", "outside the served tree");
    j.refuse("ls /etc\n", "no such file or directory");
    // `/` is the root itself.
    let run = j.client("ls /\nget /a got-a\n");
    run.expect(0);
    assert_eq!(run.out(), ROOT_LS, "{}", run.dump());
    assert_eq!(
        fs::read(j.local.join("got-a")).ok().as_deref(),
        Some(A_CONTENT)
    );
}

#[test]
fn writes_with_dot_dot_are_refused() {
    let j = Jail::new();
    let o = &j.out_name;
    j.refuse("put x ../x\n", "rftp: put: '../x': outside the served tree");
    j.refuse("put -f x ../x\n", "outside the served tree");
    j.refuse(&format!("put x ../{o}/x\n"), "outside the served tree");
    j.refuse(
        &format!("put -f x ../{o}/secret\n"),
        "outside the served tree",
    );
    j.refuse(
        "mkdir ../d\n",
        "rftp: mkdir: '../d': outside the served tree",
    );
    j.refuse(&format!("mkdir ../{o}/d\n"), "outside the served tree");
    j.refuse(
        "rename a ../a\n",
        "rftp: rename: '../a': outside the served tree",
    );
    j.refuse(&format!("rename a ../{o}/a\n"), "outside the served tree");
    j.refuse(
        &format!("rename ../{o}/secret stolen\n"),
        "outside the served tree",
    );
    j.refuse(
        &format!("rm ../{o}/secret\n"),
        &format!("rftp: rm: '../{o}/secret': outside the served tree"),
    );
    j.refuse("rmdir ..\n", "rftp: rmdir: '..': outside the served tree");
    j.refuse(&format!("rmdir ../{o}/dir\n"), "outside the served tree");
    j.refuse("rmdir /\n", "rftp: rmdir: '/': not a file name");
}

#[test]
fn symlink_to_a_directory_outside_is_refused() {
    let j = Jail::new();
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
    let j = Jail::new();
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
    let j = Jail::new();
    let mut raw = j.raw();
    let there = ask(&mut raw, b"STAT link/secret\n");
    let missing = ask(&mut raw, b"STAT link/no-such-name\n");
    assert!(there.starts_with("554 "), "STAT link/secret: {there}");
    assert_eq!(
        missing.get(..4),
        there.get(..4),
        "STAT through a link out of the root answers differently for a name that \
         exists outside ({there:?}) and one that does not ({missing:?})"
    );
    let there = ask(&mut raw, b"CWD link/dir\n");
    let missing = ask(&mut raw, b"CWD link/no-such-dir\n");
    assert_eq!(
        missing.get(..4),
        there.get(..4),
        "CWD through a link: existing outside dir {there:?} vs missing {missing:?}"
    );
}

#[test]
fn nul_bytes_are_refused() {
    let j = Jail::new();
    // The client refuses a NUL in a name it would create locally.
    j.refuse("get \"a\\x00b\"\n", "NUL");
    j.refuse("get \"../x\\x00\"\n", "NUL");
    // These reach the server, which refuses them.
    j.refuse(
        "cd \"sub\\x00\"\n",
        "rftp: cd: 'sub\\x00': path contains a NUL byte",
    );
    j.refuse("ls \"a\\x00/../..\"\n", "NUL byte");
    j.refuse("put f \"f\\x00\"\n", "NUL byte");
    j.refuse("mkdir \"d\\x00x\"\n", "NUL byte");
    j.refuse("rm \"a\\x00\"\n", "NUL byte");
    j.refuse("rename a \"b\\x00\"\n", "NUL byte");
    let mut raw = j.raw();
    for line in [
        &b"RETR \"a\\x00\"\n"[..],
        b"RETR a\x00b\n",
        b"LIST \"..\\x00\"\n",
        b"DELE \"a\\x00\"\n",
    ] {
        let reply = ask(&mut raw, line);
        assert!(
            reply.starts_with("553 ") && reply.contains("NUL byte"),
            "{:?} -> {reply}",
            String::from_utf8_lossy(line)
        );
    }
    assert_eq!(ask(&mut raw, b"PWD\n"), "257 /");
}

#[test]
fn backslashes_are_refused() {
    let j = Jail::new();
    let o = &j.out_name;
    j.refuse("get \"..\\\\x\"\n", "backslash");
    j.refuse(&format!("get \"..\\\\{o}\\\\secret\"\n"), "backslash");
    j.refuse("cd \"..\\\\..\"\n", "path contains a backslash");
    j.refuse(&format!("ls \"..\\\\{o}\"\n"), "path contains a backslash");
    j.refuse("put f \"..\\\\f\"\n", "backslash");
    j.refuse("mkdir \"..\\\\d\"\n", "backslash");
    let mut raw = j.raw();
    for line in [
        &b"RETR \"..\\\\x\"\n"[..],
        b"LIST \"..\\\\..\"\n",
        b"CWD ..\\\\..\n",
    ] {
        let reply = ask(&mut raw, line);
        assert!(
            reply.starts_with("553 ") && reply.contains("backslash"),
            "{:?} -> {reply}",
            String::from_utf8_lossy(line)
        );
    }
    assert_eq!(ask(&mut raw, b"PWD\n"), "257 /");
}

#[test]
fn fifo_is_refused_quickly() {
    let j = Jail::new();
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
    let reply = ask(&mut raw, b"RETR fifo\n");
    assert!(reply.starts_with("554 "), "RETR fifo -> {reply}");
    assert!(started.elapsed() < FIFO_REFUSAL_DEADLINE);
    let reply = ask(&mut raw, b"RETR /sub/../fifo 0\n");
    assert!(reply.starts_with("554 "), "RETR /sub/../fifo -> {reply}");
    assert_eq!(ask(&mut raw, b"PWD\n"), "257 /");
    // Other clients are served meanwhile.
    let run = j.client("get a\n");
    run.expect(0);
}

#[test]
fn a_unix_socket_is_never_opened() {
    let j = Jail::new();
    let listener = std::os::unix::net::UnixListener::bind(j.server.root.join("sock"));
    assert!(listener.is_ok(), "cannot make a socket: {listener:?}");
    j.refuse(
        "get sock\n",
        "rftp: get: '/sock': not a regular file or directory",
    );
    let mut raw = j.raw();
    let reply = ask(&mut raw, b"RETR sock\n");
    assert!(reply.starts_with("554 "), "RETR sock -> {reply}");
    assert_eq!(ask(&mut raw, b"PWD\n"), "257 /");
}

#[test]
fn links_out_are_replaced_or_removed_never_written_through() {
    // The link is a name in the root: replacing or removing it may be
    // allowed, but the file it points to must never change.
    let j = Jail::new();
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
    assert!(
        reply.starts_with("226 ") || reply.starts_with("55"),
        "STOR filelink replace -> {reply}"
    );
    assert_eq!(
        fs::read(j.outside.join("secret")).ok().as_deref(),
        Some(SECRET),
        "STOR filelink replace ({reply}) wrote through the link"
    );
    // Links cannot be moved (one moved into a busy path could swap a
    // directory for a way out), only removed.
    let reply = ask(&mut raw, b"RENAME link moved-link\n");
    assert!(reply.starts_with("554 "), "RENAME link -> {reply}");
    let reply = ask(&mut raw, b"DELE link\n");
    assert!(reply.starts_with("250 "), "DELE link -> {reply}");
    let reply = ask(&mut raw, b"RMDIR link\n");
    assert!(reply.starts_with("55"), "RMDIR of a gone link -> {reply}");
    assert_eq!(
        snapshot(&j.outside),
        outside_before,
        "the outside tree changed"
    );
    assert_eq!(ask(&mut raw, b"PWD\n"), "257 /");
}

#[test]
fn raw_absolute_and_dot_dot_paths_are_refused() {
    let j = Jail::new();
    let o = j.out_name.clone();
    let outside_before = snapshot(&j.outside);
    let mut raw = j.raw();
    let refused: Vec<String> = vec![
        "RETR /../../etc/passwd".into(),
        "RETR ../../etc/passwd".into(),
        format!("RETR ../{o}/secret"),
        "RETR link/secret".into(),
        "RETR filelink".into(),
        "LIST ../..".into(),
        "LIST /..".into(),
        "LIST link".into(),
        format!("STAT ../{o}/secret"),
        "STAT filelink".into(),
        format!("CWD ../{o}"),
        "CWD link".into(),
        "MKDIR ../d".into(),
        "MKDIR link/d".into(),
        format!("DELE ../{o}/secret"),
        "DELE link/secret".into(),
        "RMDIR ..".into(),
        "RMDIR link/dir".into(),
        "RENAME a ../a".into(),
        "RENAME link/secret stolen".into(),
    ];
    for cmd in &refused {
        let reply = ask(&mut raw, format!("{cmd}\n").as_bytes());
        assert!(
            reply.starts_with("554 ") && reply.contains("outside the served tree"),
            "{cmd} -> {reply}"
        );
        assert!(
            !reply.contains(&*j.outside.to_string_lossy()),
            "{cmd} leaks a real path: {reply}"
        );
    }
    // `/etc/passwd` is ROOT/etc/passwd.
    let reply = ask(&mut raw, b"RETR /etc/passwd\n");
    assert!(reply.starts_with("550 "), "RETR /etc/passwd -> {reply}");
    // Uploads outside are refused, the payload is read whole, and the stream
    // keeps its place.
    let root_name = j
        .server
        .root
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let escape_beside = format!("../{root_name}-escape");
    for (target, mode) in [
        ("../escape".to_string(), "new"),
        (escape_beside.clone(), "replace"),
        (format!("../{o}/escape"), "new"),
        (format!("/../{o}/secret"), "replace"),
        ("link/escape".to_string(), "new"),
        ("link/secret".to_string(), "replace"),
    ] {
        raw.send(format!("STOR {target} 5 {mode}\n").as_bytes());
        raw.send(&[0, 5]);
        raw.send(b"owned");
        raw.send(format!("DONE 5 {:08x}\n", crc32(b"owned")).as_bytes());
        let reply = raw.line();
        assert!(
            reply
                .as_deref()
                .is_some_and(|r| r.starts_with("554 ") && r.contains("outside")),
            "STOR {target} -> {reply:?}"
        );
        assert_eq!(
            ask(&mut raw, b"PWD\n"),
            "257 /",
            "the stream lost its place after STOR {target}"
        );
    }
    let parent = j.server.root.path().parent().unwrap();
    assert!(
        !parent.join(format!("{root_name}-escape")).exists(),
        "STOR {escape_beside} created a file beside the root"
    );
    assert_eq!(
        snapshot(&j.outside),
        outside_before,
        "the outside tree changed"
    );
    assert_eq!(
        fs::read(j.outside.join("secret")).ok().as_deref(),
        Some(SECRET)
    );
    // CWD of nothing but `..` is the chosen exception: it stays at the root.
    assert_eq!(ask(&mut raw, b"CWD /../..\n"), "250 /");
    assert_eq!(ask(&mut raw, b"PWD\n"), "257 /");
}
