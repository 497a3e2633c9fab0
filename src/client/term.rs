//! The terminal: asking for a password without echo, and showing transfer
//! progress (a live line on a terminal, one summary line otherwise).

use std::io::{self, BufRead, IsTerminal};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use crate::fs::listing::thousands;

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

/// Progress of one transfer, shown on stderr.
pub struct Progress {
    label: String,
    start: u64,
    total: u64,
    started: Instant,
    last_drawn: Instant,
    live: bool,
    quiet: bool,
    wire: Option<u64>,
}

impl Progress {
    /// Start showing a transfer called `label` that goes from byte `start`
    /// (non-zero when continuing) to `total`.
    pub fn new(label: String, start: u64, total: u64, quiet: bool) -> Progress {
        let now = Instant::now();
        Progress {
            label,
            start,
            total,
            started: now,
            last_drawn: now,
            live: !quiet && io::stderr().is_terminal(),
            quiet,
            wire: None,
        }
    }

    /// Note that `done` bytes have moved; redraws now and then on a terminal.
    pub fn update(&mut self, done: u64) {
        if !self.live || self.last_drawn.elapsed() < PROGRESS_INTERVAL {
            return;
        }
        self.last_drawn = Instant::now();
        let secs = self.started.elapsed().as_secs_f64();
        let rate = done.saturating_sub(self.start) as f64 / secs.max(1e-3);
        let percent = done
            .saturating_mul(100)
            .checked_div(self.total)
            .unwrap_or(100);
        let left = if rate > 0.0 {
            (self.total.saturating_sub(done)) as f64 / rate
        } else {
            0.0
        };
        crate::out::err_text(&format!(
            "\r\x1b[K{} {} bytes {percent}% {}/s {} left",
            self.label,
            thousands(done),
            human(rate),
            clock(left)
        ));
    }

    /// Have the summary say that `bytes` crossed the wire (`get -z`).
    pub fn note_wire(&mut self, bytes: u64) {
        self.wire = Some(bytes);
    }

    /// Finish: clear the live line and print the summary line (unless quiet);
    /// `moved` is the bytes this run moved.
    pub fn finish(&self, moved: u64) {
        if self.live {
            crate::out::err_text("\r\x1b[K");
        }
        if self.quiet {
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
}

/// `12.3 MB` style, powers of 1000.
/// A rate in human units (`1.5 MB`).
pub fn human(bytes_per: f64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = bytes_per;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < units.len() {
        v /= 1000.0;
        i += 1;
    }
    format!("{v:.1} {}", units[i])
}

/// `m:ss`.
fn clock(secs: f64) -> String {
    let s = secs.round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_clocks() {
        assert_eq!(human(999.0), "999.0 B");
        assert_eq!(human(12_345_678.0), "12.3 MB");
        assert_eq!(clock(61.4), "1:01");
    }
}
