//! The terminal: asking for a password without echo, and showing transfer
//! progress (a live line on a terminal, one summary line otherwise).

use std::io::{self, BufRead, IsTerminal};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use super::progress::{self, human};
use super::show::thousands;

/// How often the progress line is redrawn.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(200);

/// Ask for a password on the terminal with echo off; restores the terminal
/// whatever happens.
pub fn ask_password(prompt: &str) -> io::Result<Vec<u8>> {
    crate::out::err_text(prompt);
    let stdin = io::stdin();
    let saved = crate::sys::echo_off(stdin.as_fd());
    let mut line = Vec::new();
    let read = stdin.lock().read_until(b'\n', &mut line);
    if let Some(saved) = &saved {
        crate::sys::restore(stdin.as_fd(), saved);
    }
    crate::out::err_text("\n");
    read?;
    crate::wire::words::strip_line_end(&mut line);
    Ok(line)
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
        crate::out::err_line(&format!(
            "rftp: {}: {} bytes in {secs:.2}s ({}/s){resumed}",
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
