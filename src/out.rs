//! The process's own standard output and standard error, written so that a
//! failed write never panics and never ends the program: `eprintln!` and
//! `println!` panic on a closed pipe (`EPIPE`), and a server whose log
//! collector died must go on serving. Messages that cannot be written are
//! dropped, and the first failure on a stream is said once on the other
//! stream where that is allowed. Data that a script parses (listings) goes
//! through `data`, which reports its failure to the caller instead. A live
//! line (the client's progress, on a terminal) is kept here too, so that
//! every message clears it first. Also what both ends need to say things:
//! how much to say (`Verbosity`) and UTC dates, as listings and log lines
//! show them.

use std::io::{self, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::Cause;

/// How much the server writes to its log, or the client to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Nothing but errors (`-q`).
    Quiet,
    /// Connections, logins, transfers; the client's summaries.
    Normal,
    /// Every command too (`-v`).
    Verbose,
}

/// One of the two output streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Out,
    Err,
}

/// Whether a write to stdout / stderr has failed yet (the notice is said once).
static FAILED_OUT: AtomicBool = AtomicBool::new(false);
static FAILED_ERR: AtomicBool = AtomicBool::new(false);
/// Whether stdout may carry the notice that stderr failed: true for the
/// server (its stdout is only the banner), false for the client, whose
/// stdout is data that must not be mixed with messages.
static NOTICE_ON_STDOUT: AtomicBool = AtomicBool::new(false);

impl Stream {
    fn failed(self) -> &'static AtomicBool {
        match self {
            Stream::Out => &FAILED_OUT,
            Stream::Err => &FAILED_ERR,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Stream::Out => "standard output",
            Stream::Err => "standard error",
        }
    }

    /// Write all of `bytes` and flush, holding the stream's lock so that
    /// lines from several threads never interleave.
    fn write(self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Stream::Out => {
                let mut out = io::stdout().lock();
                out.write_all(bytes).and_then(|()| out.flush())
            }
            Stream::Err => {
                let mut err = io::stderr().lock();
                err.write_all(bytes).and_then(|()| err.flush())
            }
        }
    }

    /// Write `bytes`, or drop them; the first failure is said once on the
    /// other stream when that is allowed.
    fn write_or_drop(self, bytes: &[u8]) {
        let Err(e) = self.write(bytes) else {
            return;
        };
        if self.failed().swap(true, Ordering::SeqCst) {
            return;
        }
        let other = match self {
            Stream::Out => Stream::Err,
            Stream::Err if NOTICE_ON_STDOUT.load(Ordering::SeqCst) => Stream::Out,
            Stream::Err => return,
        };
        let notice = format!(
            "rftp: cannot write to {} ({}); its messages are dropped from now on\n",
            self.name(),
            Cause::of(&e)
        );
        // Nowhere left to say it if this fails too.
        let _ = other.write(notice.as_bytes());
    }
}

/// Let the notice that stderr failed go to stdout (the server's choice).
pub fn notices_on_stdout() {
    NOTICE_ON_STDOUT.store(true, Ordering::SeqCst);
}

/// The live line (a transfer's progress) now on stderr, empty for none.
/// Every message clears it first, so that no message is ever glued to it.
static LIVE: Mutex<String> = Mutex::new(String::new());
/// What takes a terminal's cursor to the line's start and clears the line.
const CLEAR_LINE: &str = "\r\x1b[K";

fn live_text() -> std::sync::MutexGuard<'static, String> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Write `line` and a newline to stderr in one write; never fails. A live
/// line is cleared first and drawn again below the message.
pub fn err_line(line: &str) {
    let live = live_text();
    let text = if live.is_empty() {
        format!("{line}\n")
    } else {
        format!("{CLEAR_LINE}{line}\n{live}")
    };
    Stream::Err.write_or_drop(text.as_bytes());
}

/// Write `text` to stderr as it is (a prompt); never fails. A live line
/// is cleared first, and stays cleared: the text takes its place.
pub fn err_text(text: &str) {
    let mut live = live_text();
    let clear = if live.is_empty() { "" } else { CLEAR_LINE };
    Stream::Err.write_or_drop(format!("{clear}{text}").as_bytes());
    live.clear();
}

/// Show `text` as the live line on stderr (a terminal), in place of the
/// one shown before; never fails.
pub fn live(text: &str) {
    let mut live = live_text();
    Stream::Err.write_or_drop(format!("{CLEAR_LINE}{text}").as_bytes());
    text.clone_into(&mut live);
}

/// Clear the live line, if one is shown.
pub fn live_clear() {
    let mut live = live_text();
    if !live.is_empty() {
        Stream::Err.write_or_drop(CLEAR_LINE.as_bytes());
        live.clear();
    }
}

/// Write `line` and a newline to stdout in one write; never fails (the
/// server's banner).
pub fn out_line(line: &str) {
    Stream::Out.write_or_drop(format!("{line}\n").as_bytes());
}

/// Write data (a listing, `pwd`) to stdout and flush; a failure is returned,
/// a closed pipe as `BrokenPipe`, for the caller to stop on.
pub fn data(bytes: &[u8]) -> io::Result<()> {
    Stream::Out.write(bytes)
}

/// `YYYY-MM-DD{sep}HH:MM` in UTC for seconds since 1970.
pub fn date_time(secs: i64, sep: &str) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}{sep}{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC, for log lines.
pub fn timestamp(secs: i64) -> String {
    format!("{}:{:02}Z", date_time(secs, "T"), secs.rem_euclid(60))
}

/// Year, month, day of a count of days since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc() {
        assert_eq!(date_time(0, " "), "1970-01-01 00:00");
        assert_eq!(date_time(1_763_640_120, "  "), "2025-11-20  12:02");
        assert_eq!(timestamp(951_782_400 + 59), "2000-02-29T00:00:59Z");
        assert_eq!(date_time(-1, " "), "1969-12-31 23:59");
    }
}
