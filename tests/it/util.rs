//! Test helpers: temporary directories, a real `rftp` server on 127.0.0.1
//! port 0 (its printed port read back, killed by PID on drop), a client run
//! with piped commands, a dump of everything when an expectation fails, and
//! the one rule for skipping a test that cannot run here (never in CI).

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub use crate::raw::Raw;

/// The password every test server uses unless a test says otherwise.
pub const PASSWORD: &str = "test-password";
/// Longest a client run may take before the test fails.
pub const CLIENT_DEADLINE: Duration = Duration::from_secs(120);
/// Longest a server may take to print where it listens.
const START_DEADLINE: Duration = Duration::from_secs(10);

/// Path of the binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rftp")
}

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory.
    pub fn new() -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("rftp-it-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Path of `name` inside it.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.0.join(name)
    }

    /// Write a file inside it (parents made).
    pub fn write(&self, name: impl AsRef<Path>, data: impl AsRef<[u8]>) -> PathBuf {
        let p = self.0.join(name);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&p, data).unwrap();
        p
    }

    /// Names in the directory, sorted (raw bytes).
    pub fn names(&self) -> Vec<Vec<u8>> {
        use std::os::unix::ffi::OsStrExt;
        let mut v: Vec<Vec<u8>> = fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().as_bytes().to_vec())
            .collect();
        v.sort();
        v
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Deterministic bytes of `len` that do not repeat with a short period.
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407)
        | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// CRC-32 (IEEE), bit by bit: an independent check of the wire's.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Whether CI asked that nothing be skipped (`CI=true`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Skip the running test, which cannot run here: under `CI=true` fail it
/// instead, since a skip would let a broken promise pass. The reason goes
/// to the real standard error, past the harness's capture of `eprintln!`,
/// so that `cargo test` shows it beside the test's `ok`. Returns only to skip.
#[track_caller]
pub fn skip_unless_ci(why: &str) {
    let current = thread::current();
    let test = current.name().unwrap_or("a test");
    assert!(!in_ci(), "{test}: cannot run under CI=true: {why}");
    let _ = writeln!(std::io::stderr(), "{test}: skipped: {why}");
}

/// `gzip -dc FILE` through the system's gzip.
pub fn gunzip(path: &Path) -> Vec<u8> {
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

/// `1,234,567`, as the client prints byte counts.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Every entry under `dir` (links not followed): relative path, kind (`f`ile,
/// `d`irectory, `l`ink or `o`ther), and the contents of files or the target
/// of links, sorted.
pub fn snapshot(dir: &Path) -> Vec<(Vec<u8>, char, Vec<u8>)> {
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

/// A running server, killed (by PID) and reaped on drop.
pub struct Server {
    child: Child,
    /// The port it printed.
    pub port: u16,
    /// The directory it serves.
    pub root: TempDir,
    /// Everything it printed on stdout at start.
    pub banner: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// A server on a fresh root, with `PASSWORD` and extra `args`.
    pub fn start(args: &[&str]) -> Server {
        Server::start_with(TempDir::new(), args, Some(PASSWORD))
    }

    /// A server on `root` with `args`; `password` goes in `RFTP_PASSWORD`.
    pub fn start_with(root: TempDir, args: &[&str], password: Option<&str>) -> Server {
        Server::start_as(Command::new(bin()), root, args, password)
    }

    /// Like `start_with`, but run by `cmd`: a program and its leading
    /// arguments, such as an emulator and the binary it runs.
    pub fn start_as(cmd: Command, root: TempDir, args: &[&str], password: Option<&str>) -> Server {
        Server::launch(cmd, root, args, password, true)
    }

    /// A server on a fresh root whose stderr is a pipe closed at once (its
    /// read end dropped), as when a log collector dies: `log()` then holds
    /// only what it printed on stdout after the banner.
    pub fn start_log_closed(args: &[&str]) -> Server {
        Server::launch(
            Command::new(bin()),
            TempDir::new(),
            args,
            Some(PASSWORD),
            false,
        )
    }

    fn launch(
        mut cmd: Command,
        root: TempDir,
        args: &[&str],
        password: Option<&str>,
        keep_log: bool,
    ) -> Server {
        cmd.args(["-l", "127.0.0.1:0", "-r"])
            .arg(root.path())
            .args(args);
        cmd.env_remove("RFTP_PASSWORD");
        if let Some(p) = password {
            cmd.env("RFTP_PASSWORD", p);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().unwrap();
        let sink = Arc::clone(&log);
        if !keep_log {
            drop(stderr);
        } else {
            thread::spawn(move || {
                let mut buf = [0; 4096];
                while let Ok(n) = stderr.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    sink.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let sink = Arc::clone(&log);
        // The banner ends with the user, or with the password when one is made.
        let last = if password.is_none() {
            "password "
        } else {
            "user "
        };
        thread::spawn(move || {
            let mut banner = String::new();
            let mut started = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if started {
                    // Nothing but the banner is expected here; keep the rest.
                    sink.lock().unwrap().push_str(&format!("{line}\n"));
                    continue;
                }
                banner.push_str(&line);
                banner.push('\n');
                if line.starts_with("user ") {
                    let _ = tx.send(banner.clone());
                }
                if line.starts_with("password ") {
                    let _ = tx.send(banner.clone());
                }
                started = line.starts_with(last);
            }
        });
        let mut banner = rx.recv_timeout(START_DEADLINE).unwrap_or_default();
        if password.is_none() {
            banner = rx.recv_timeout(START_DEADLINE).unwrap_or(banner);
        }
        let port = banner
            .lines()
            .find_map(|l| l.strip_prefix("listening on 127.0.0.1:"))
            .and_then(|p| p.trim().parse().ok());
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "server did not start; stdout {banner:?} stderr {:?}",
                log.lock().unwrap()
            );
        };
        Server {
            child,
            port,
            root,
            banner,
            log,
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The server's process ID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the server process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Wait until the log contains `needle` (up to `wait`); true if it did.
    pub fn wait_log(&self, needle: &str, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        while Instant::now() < until {
            if self.log().contains(needle) {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// A raw TCP connection to the server, with a read timeout.
    pub fn raw(&self) -> Raw {
        let s = TcpStream::connect(self.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Raw::new(s)
    }

    /// Run a client against this server with `script` on stdin, in `local`.
    pub fn client(&self, local: &Path, script: &str) -> Run {
        Run::new(
            &["-c", &self.addr()],
            Some(PASSWORD),
            local,
            script.as_bytes(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A finished client run.
pub struct Run {
    pub args: Vec<String>,
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    /// Run `rftp ARGS` in `cwd` with `stdin`; `password` in `RFTP_PASSWORD`.
    pub fn new(args: &[&str], password: Option<&str>, cwd: &Path, stdin: &[u8]) -> Run {
        let mut cmd = Command::new(bin());
        cmd.args(args).current_dir(cwd).env_remove("RFTP_PASSWORD");
        if let Some(p) = password {
            cmd.env("RFTP_PASSWORD", p);
        }
        Run::spawn(cmd, stdin)
    }

    /// Run a prepared command with `stdin`, killing it past the deadline.
    pub fn spawn(mut cmd: Command, stdin: &[u8]) -> Run {
        let args = std::iter::once(cmd.get_program())
            .chain(cmd.get_args())
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        let stdin = stdin.to_vec();
        let writer = thread::spawn(move || {
            let _ = input.write_all(&stdin);
        });
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let out_t = thread::spawn(move || {
            let mut v = Vec::new();
            let _ = out.read_to_end(&mut v);
            v
        });
        let err_t = thread::spawn(move || {
            let mut v = Vec::new();
            let _ = err.read_to_end(&mut v);
            String::from_utf8_lossy(&v).into_owned()
        });
        let until = Instant::now() + CLIENT_DEADLINE;
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > until {
                let _ = child.kill();
                let s = child.wait().unwrap();
                let run = Run {
                    args,
                    status: s,
                    stdout: out_t.join().unwrap(),
                    stderr: err_t.join().unwrap(),
                };
                panic!("client ran past its deadline\n{}", run.dump());
            }
            thread::sleep(Duration::from_millis(10));
        };
        let _ = writer.join();
        Run {
            args,
            status,
            stdout: out_t.join().unwrap(),
            stderr: err_t.join().unwrap(),
        }
    }

    /// Exit code (-1 when killed by a signal).
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    /// stdout as text.
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Everything about the run, for a failure message.
    pub fn dump(&self) -> String {
        format!(
            "command: {:?}\nstatus: {}\nstdout:\n{}\nstderr:\n{}",
            self.args,
            self.status,
            self.out(),
            self.stderr
        )
    }

    /// Assert the exit code, dumping the run otherwise.
    #[track_caller]
    pub fn expect(&self, code: i32) -> &Run {
        assert_eq!(self.code(), code, "unexpected exit status\n{}", self.dump());
        self
    }

    /// Assert stderr contains `needle`.
    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.dump()
        );
        self
    }
}
