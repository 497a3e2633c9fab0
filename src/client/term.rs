//! The terminal: asking for a password without echo (on `/dev/tty`, the
//! terminal's settings restored whatever happens, Ctrl-C included), and
//! showing transfer progress (a live line on a terminal, one summary line
//! otherwise).

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use super::progress::{self, human};
use super::show::thousands;

/// How often the progress line is redrawn.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(200);

/// Longest password read from the terminal, in bytes.
const MAX_PASSWORD_BYTES: usize = 4096;

/// The terminal a password is asked on: the controlling terminal
/// (`/dev/tty`, as ssh does, so a script on standard input is never read
/// for it), else standard input and standard error when they are terminals.
pub struct PasswordPrompt {
    input: File,
    output: File,
}

/// How asking for a password ended.
pub enum Answer {
    /// The password (possibly empty).
    Typed(Vec<u8>),
    /// Ctrl-D on an empty line, or the terminal went away.
    Cancelled,
}

impl PasswordPrompt {
    /// The terminal to ask on; `None` when there is none.
    pub fn open() -> Option<PasswordPrompt> {
        if let Ok(tty) = OpenOptions::new().read(true).write(true).open("/dev/tty") {
            return Some(PasswordPrompt {
                output: tty.try_clone().ok()?,
                input: tty,
            });
        }
        if !io::stdin().is_terminal() || !io::stderr().is_terminal() {
            return None;
        }
        Some(PasswordPrompt {
            input: File::from(io::stdin().as_fd().try_clone_to_owned().ok()?),
            output: File::from(io::stderr().as_fd().try_clone_to_owned().ok()?),
        })
    }

    /// Show `prompt` and read a password with no echo. Backspace, Ctrl-U
    /// and Ctrl-W edit it; escape sequences (arrow keys) are dropped, never
    /// taken as part of it; Ctrl-C puts the terminal back and interrupts the
    /// program (`SIGINT`, as ssh does); Ctrl-Z suspends it. The terminal's
    /// settings are restored however this returns.
    pub fn ask(&mut self, prompt: &str) -> io::Result<Answer> {
        let _ = self.output.write_all(prompt.as_bytes());
        let answer = self.read_secret();
        let _ = self.output.write_all(b"\n");
        match answer? {
            Some(password) => Ok(Answer::Typed(password)),
            None => Ok(Answer::Cancelled),
        }
    }

    fn read_secret(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut guard = Some(KeysMode::enter(&self.input)?);
        let mut password = Vec::new();
        let mut escape = Escape::None;
        let mut byte = [0u8; 1];
        loop {
            let n = match self.input.read(&mut byte) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => other?,
            };
            if n == 0 {
                return Ok(None);
            }
            let b = byte[0];
            if escape != Escape::None {
                escape = escape.next(b);
                continue;
            }
            match b {
                b'\r' | b'\n' => return Ok(Some(password)),
                // Ctrl-C and Ctrl-\: leave as the key would, echo back on.
                0x03 | 0x1c => {
                    drop(guard.take());
                    let _ = self.output.write_all(b"\n");
                    crate::sys::interrupt();
                    return Err(io::ErrorKind::Interrupted.into());
                }
                0x04 if password.is_empty() => return Ok(None),
                0x1a => {
                    drop(guard.take());
                    crate::sys::suspend();
                    guard = Some(KeysMode::enter(&self.input)?);
                }
                0x7f | 0x08 => {
                    // One character: its UTF-8 continuation bytes too.
                    while password.pop().is_some_and(|b| b & 0xc0 == 0x80) {}
                }
                0x15 | 0x17 => password.clear(),
                0x1b => escape = Escape::Start,
                b if b < 0x20 => {}
                b if password.len() < MAX_PASSWORD_BYTES => password.push(b),
                _ => {}
            }
        }
    }
}

/// Where the password reader is in an escape sequence it drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escape {
    /// Not in one.
    None,
    /// After ESC.
    Start,
    /// After `ESC [`: parameters until a final byte.
    Csi,
    /// After `ESC O`: one more byte.
    Ss3,
}

impl Escape {
    /// The state after byte `b`, which is dropped (the byte that ends a
    /// sequence goes with it).
    fn next(self, b: u8) -> Escape {
        match (self, b) {
            (Escape::Start, b'[') => Escape::Csi,
            (Escape::Start, b'O') => Escape::Ss3,
            (Escape::Csi, 0x20..=0x3f) => Escape::Csi,
            _ => Escape::None,
        }
    }
}

/// A terminal in key-at-a-time mode (`sys::keys_mode`) until dropped, also
/// when a panic unwinds.
pub struct KeysMode {
    fd: OwnedFd,
    saved: crate::sys::TermState,
}

impl KeysMode {
    /// Switch the terminal `tty` to key-at-a-time mode.
    pub fn enter(tty: &File) -> io::Result<KeysMode> {
        let fd = tty.as_fd().try_clone_to_owned()?;
        let saved =
            crate::sys::keys_mode(fd.as_fd()).ok_or_else(|| io::Error::other("not a terminal"))?;
        Ok(KeysMode { fd, saved })
    }
}

impl Drop for KeysMode {
    fn drop(&mut self) {
        crate::sys::restore(self.fd.as_fd(), &self.saved);
    }
}

/// Progress of one transfer: on a terminal a live line (its own, or its
/// share of a many-file job's line; see `progress`), and once it is done a
/// summary line, unless quiet or a job's line stands for it.
pub struct Progress {
    /// `get 'NAME'`, as the summary line says it.
    label: String,
    /// The name, escaped, as the live line shows it.
    name: String,
    start: u64,
    started: Instant,
    quiet: bool,
    /// The live meter it reports to, and whether that is its own (else a
    /// job's); `None` without a terminal.
    meter: Option<(u64, bool)>,
    /// Where the transfer was when last reported, and when.
    reported: u64,
    pushed: Instant,
    /// Bytes that crossed the wire, when not the file's (`get -z`).
    wire: Option<u64>,
}

impl Progress {
    /// Start showing the transfer `verb` (`get`, `put`) of `name` (escaped)
    /// that goes from byte `start` (non-zero when continuing) to `total`.
    pub fn new(verb: &str, name: String, start: u64, total: u64, quiet: bool) -> Progress {
        let now = Instant::now();
        let meter = match progress::job() {
            _ if quiet || !io::stderr().is_terminal() => None,
            Some(job) => {
                progress::advance(job, 0, Some(&name), false);
                Some((job, false))
            }
            None => Some((progress::start_file(name.clone(), start, total), true)),
        };
        Progress {
            label: format!("{verb} '{name}'"),
            name,
            start,
            started: now,
            quiet,
            meter,
            reported: start,
            pushed: now,
            wire: None,
        }
    }

    /// Note that the transfer is at byte `done`; reported to the live
    /// line now and then.
    pub fn update(&mut self, done: u64) {
        if self.meter.is_some() && self.pushed.elapsed() >= PROGRESS_INTERVAL {
            self.push(done, false);
        }
    }

    fn push(&mut self, done: u64, file_done: bool) {
        let Some((id, own)) = self.meter else {
            return;
        };
        self.pushed = Instant::now();
        let name = (!own).then_some(self.name.as_str());
        progress::advance(id, done.saturating_sub(self.reported), name, file_done);
        self.reported = self.reported.max(done);
    }

    /// Have the summary say that `bytes` crossed the wire (`get -z`).
    pub fn note_wire(&mut self, bytes: u64) {
        self.wire = Some(bytes);
    }

    /// Finish: end the live line (or count the file done in a job's) and
    /// print the summary line unless quiet or a job's line shows it;
    /// `moved` is the bytes this run moved.
    pub fn finish(mut self, moved: u64) {
        self.push(self.start.saturating_add(moved), true);
        self.end();
        if self.quiet || self.meter.is_some_and(|(_, own)| !own) {
            return;
        }
        let secs = self.started.elapsed().as_secs_f64();
        let rate = moved as f64 / secs.max(1e-6);
        let resumed = if self.start > 0 {
            format!(", continued from byte {}", thousands(self.start))
        } else {
            String::new()
        };
        let wire = self
            .wire
            .map_or_else(String::new, |n| format!(", {} on the wire", thousands(n)));
        crate::out::err_line(&format!(
            "rftp: {}: {} bytes in {secs:.2}s ({}/s){wire}{resumed}",
            self.label,
            thousands(moved),
            human(rate)
        ));
    }

    /// End its own live line, if it has one.
    fn end(&self) {
        if let Some((id, true)) = self.meter {
            progress::end(id);
        }
    }
}

impl Drop for Progress {
    /// A transfer that failed or was given up clears its line too.
    fn drop(&mut self) {
        self.end();
    }
}
