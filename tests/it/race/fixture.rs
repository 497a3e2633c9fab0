//! What the race tests share beyond `crate::fixture` and `crate::raw`: a raw
//! connection without Nagle's algorithm, a watch that tells whether anyone
//! opened a FIFO, whether the tests run as root, and a server run with
//! `/proc` hidden in a private mount namespace. No tests here.

use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::raw::logged_in;
use crate::util::{Raw, Server, TempDir, bin};

/// `O_NONBLOCK` on Linux (the same on x86_64 and aarch64): opening a FIFO's
/// read end this way never waits.
const O_NONBLOCK: i32 = 0o4000;
/// Longest a watch's thread may take to block in its `open`.
const ARM_DEADLINE: Duration = Duration::from_secs(5);
/// How long after a reply an open by the server must have shown: the open
/// came before the reply, so this only covers the watcher being scheduled.
const OPEN_GRACE: Duration = Duration::from_millis(150);

/// A logged-in raw connection whose replies may take `REPLY_DEADLINE`,
/// Without Nagle's algorithm, so that a line sent in two writes is not
/// held back waiting for an acknowledgement.
pub fn connect(server: &Server) -> Raw {
    let raw = logged_in(server);
    raw.stream.set_nodelay(true).unwrap();
    raw
}

/// Whether anyone opened a FIFO's read end: a thread of the test blocks
/// opening its write end, which returns only once a reader opens it (a
/// non-blocking open for reading counts too). Dropping the watch opens the
/// read end itself, so its thread always ends.
pub struct OpenWatch {
    fifo: PathBuf,
    opened: Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl OpenWatch {
    /// Watch `fifo`: returns once the watching thread sits blocked in `open`.
    pub fn arm(fifo: &Path) -> OpenWatch {
        let (tid_tx, tid_rx) = mpsc::channel();
        let (opened_tx, opened) = mpsc::channel();
        let path = fifo.to_path_buf();
        let thread = thread::spawn(move || {
            let tid = fs::read_link("/proc/thread-self")
                .ok()
                .and_then(|l| l.file_name()?.to_str()?.parse::<u32>().ok());
            let _ = tid_tx.send(tid);
            if OpenOptions::new().write(true).open(&path).is_ok() {
                let _ = opened_tx.send(());
            }
        });
        let tid = tid_rx
            .recv_timeout(ARM_DEADLINE)
            .expect("the watching thread starts");
        let tid = tid.expect("/proc/thread-self names the watching thread");
        wait_blocked_in_open(tid);
        OpenWatch {
            fifo: fifo.to_path_buf(),
            opened,
            thread: Some(thread),
        }
    }

    /// True if someone opened the FIFO for reading since the watch was armed
    /// (or last checked); the watch is then armed again.
    pub fn opened(&mut self) -> bool {
        match self.opened.recv_timeout(OPEN_GRACE) {
            Ok(()) => {
                if let Some(t) = self.thread.take() {
                    let _ = t.join();
                }
                let fresh = OpenWatch::arm(&self.fifo);
                let _ = std::mem::replace(self, fresh);
                true
            }
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => panic!(
                "the watch on {} ended without an open: the FIFO is gone or was replaced",
                self.fifo.display()
            ),
        }
    }
}

impl Drop for OpenWatch {
    fn drop(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        // Our own reader lets the writer's open return; keep it open until
        // the thread has ended.
        let reader = OpenOptions::new()
            .read(true)
            .custom_flags(O_NONBLOCK)
            .open(&self.fifo);
        if reader.is_ok() {
            let _ = thread.join();
        }
        drop(reader);
    }
}

/// Wait (bounded) until thread `tid` of this process sleeps in the kernel,
/// in the FIFO's open where the kernel names its wait.
fn wait_blocked_in_open(tid: u32) {
    let task = PathBuf::from(format!("/proc/self/task/{tid}"));
    let until = Instant::now() + ARM_DEADLINE;
    loop {
        let state = fs::read_to_string(task.join("stat")).unwrap_or_default();
        // The state follows the command name in parentheses.
        let sleeping = state
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('S'));
        let wchan = fs::read_to_string(task.join("wchan")).unwrap_or_default();
        let in_fifo = wchan.is_empty()
            || wchan == "0"
            || wchan.contains("fifo")
            || wchan.contains("partner")
            || wchan.contains("pipe");
        if sleeping && in_fifo {
            return;
        }
        assert!(
            Instant::now() < until,
            "the watching thread never blocked opening the FIFO (state {state:?}, wchan {wchan:?})"
        );
        thread::sleep(Duration::from_millis(1));
    }
}

/// Whether this process runs as root (`/proc/self/status` says uid 0).
pub fn is_root() -> bool {
    fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().next())
            == Some("0")
    })
}

/// The shell line that hides `/proc` under an empty tmpfs, then runs `$0`.
const HIDE_PROC: &str = "mount -t tmpfs none /proc && test ! -e /proc/self && exec \"$0\" \"$@\"";

/// `unshare` with a private mount namespace running `HIDE_PROC`; the
/// program and its arguments follow.
fn hidden_proc_command() -> Command {
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c", HIDE_PROC]);
    cmd
}

/// Why a server cannot run with `/proc` hidden here, or `None` when it can.
pub fn cannot_hide_proc() -> Option<String> {
    if !is_root() {
        return Some("not root, so no mount namespace of our own".into());
    }
    let probe = hidden_proc_command()
        .arg("true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    match probe {
        Err(e) => Some(format!("cannot run unshare: {e}")),
        Ok(out) if !out.status.success() => Some(format!(
            "unshare/mount over /proc failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(_) => None,
    }
}

/// A server on `root` run inside a private mount namespace whose `/proc` is
/// an empty tmpfs. `exec` keeps its PID, so drop kills the server itself.
/// Checks from outside that the server really sees no `/proc`.
pub fn server_without_proc(root: TempDir, args: &[&str]) -> Server {
    let mut cmd = hidden_proc_command();
    cmd.arg(bin());
    let server = Server::start_as(cmd, root, args, Some(crate::util::PASSWORD));
    let seen = PathBuf::from(format!("/proc/{}/root/proc/self", server.pid()));
    assert!(
        fs::symlink_metadata(&seen).is_err(),
        "the server at PID {} still sees /proc",
        server.pid()
    );
    let comm = fs::read_to_string(format!("/proc/{}/comm", server.pid())).unwrap_or_default();
    assert_eq!(
        comm.trim(),
        "rftp",
        "PID {} is not the server",
        server.pid()
    );
    server
}

/// The bytes of `path`, or nothing when it cannot be read.
pub fn read_or_empty(path: &Path) -> Vec<u8> {
    let mut v = Vec::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.read_to_end(&mut v);
    }
    v
}
