//! A pseudo-terminal that a test opens itself (`posix_openpt` through
//! rustix, a dev-dependency only) to run the client as a person would: the
//! pty's slave is the client's standard input, output, error and
//! controlling terminal (`setsid -c`), the test types keys on the master
//! and reads everything the client draws. The child is killed on drop.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{LocalModes, Winsize, tcgetattr, tcsetwinsize};

use crate::util::bin;

/// Longest wait for something to show on the screen, or for an exit.
const WAIT: Duration = Duration::from_secs(20);
/// The terminal's size.
const COLUMNS: u16 = 80;
const ROWS: u16 = 24;

/// A client running in a pseudo-terminal.
pub struct Pty {
    master: File,
    /// The slave side, kept open to read the terminal's settings.
    slave: File,
    child: Child,
    screen: Arc<Mutex<Vec<u8>>>,
    /// Where `wait_for` looks from: the output before it was seen already.
    seen: usize,
}

impl Pty {
    /// Start `rftp ARGS` in `cwd` on a new pty, with `env` set, no
    /// `RFTP_PASSWORD` unless `env` gives one, and the history under
    /// `state` (`XDG_STATE_HOME`).
    pub fn spawn(args: &[&str], cwd: &Path, state: &Path, env: &[(&str, &str)]) -> Pty {
        let flags = OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC;
        let master = openpt(flags).expect("posix_openpt");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let name = ptsname(&master, Vec::new()).expect("ptsname");
        let size = Winsize {
            ws_row: ROWS,
            ws_col: COLUMNS,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        tcsetwinsize(&master, size).expect("TIOCSWINSZ");
        let slave = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(rustix::fs::OFlags::NOCTTY.bits() as i32)
            .open(name.to_str().expect("a pty's name is text"))
            .expect("open the pty's slave");
        let mut cmd = Command::new("setsid");
        cmd.arg("-c")
            .arg(bin())
            .args(args)
            .current_dir(cwd)
            .env_remove("RFTP_PASSWORD")
            .env("XDG_STATE_HOME", state)
            .env("TERM", "xterm");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave.try_clone().unwrap()))
            .spawn()
            .expect("setsid (util-linux) runs the client");
        let master = File::from(master);
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().unwrap();
        let sink = Arc::clone(&screen);
        // Ends when the slave is closed everywhere (EIO) after the drop.
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Pty {
            master,
            slave,
            child,
            screen,
            seen: 0,
        }
    }

    /// Type `keys`.
    pub fn send(&mut self, keys: impl AsRef<[u8]>) {
        self.master.write_all(keys.as_ref()).unwrap();
        self.master.flush().unwrap();
    }

    /// Everything the client wrote so far, escapes and all.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    /// Wait until `needle` shows after what earlier waits saw; panics with
    /// the screen when it does not within `WAIT`.
    pub fn wait_for(&mut self, needle: &str) {
        let start = Instant::now();
        loop {
            let screen = self.screen.lock().unwrap().clone();
            let tail = screen.get(self.seen..).unwrap_or_default();
            if let Some(i) = find(tail, needle.as_bytes()) {
                self.seen += i + needle.len();
                return;
            }
            if start.elapsed() > WAIT {
                panic!(
                    "{needle:?} did not show; the screen:\n{}",
                    String::from_utf8_lossy(&screen)
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the terminal echoes what is typed now.
    pub fn echoes(&self) -> bool {
        tcgetattr(&self.slave)
            .expect("tcgetattr on the pty")
            .local_modes
            .contains(LocalModes::ECHO)
    }

    /// Whether the terminal is in its usual line mode: echo, kernel line
    /// editing and signal keys on.
    pub fn cooked(&self) -> bool {
        let modes = tcgetattr(&self.slave).expect("tcgetattr").local_modes;
        modes.contains(LocalModes::ECHO | LocalModes::ICANON | LocalModes::ISIG)
    }

    /// Wait for the client to exit; panics with the screen after `WAIT`.
    pub fn wait(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > WAIT {
                panic!("the client did not exit; the screen:\n{}", self.screen());
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
