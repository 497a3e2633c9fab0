//! The live progress line on a terminal's stderr: one per process, for one
//! transfer (`NAME  12.3 MB of 50.0 MB  24%  5.1 MB/s  0:07 left`) or for
//! a whole many-file job (`NAME  3 of 10 files  12.3 MB of 50.0 MB …`),
//! fitted to the terminal's width (a long name shortened in the middle),
//! redrawn as bytes move and, by a ticker thread, when they stop: after
//! `STALL_AFTER` without a byte it says `stalled`. Drawn through `out`,
//! which clears it before any other message. Whether there is a terminal
//! is the caller's question; nothing here reads the network or the disk.

use std::collections::VecDeque;
use std::io;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once};
use std::thread;
use std::time::{Duration, Instant};

use super::show::text_width;
use super::width::of as char_width;

/// Least time between two redraws while bytes move.
const REDRAW_INTERVAL: Duration = Duration::from_millis(200);
/// Time without a byte after which the line says `stalled`.
const STALL_AFTER: Duration = Duration::from_secs(3);
/// How often the ticker thread looks for a stall.
const TICK: Duration = Duration::from_millis(500);
/// The recent span the rate is measured over, so that it follows changes.
const RATE_WINDOW: Duration = Duration::from_secs(5);
/// Width assumed when the terminal does not say.
const DEFAULT_COLUMNS: usize = 80;
/// Fewest columns worth giving a name; with less room it is left out.
const MIN_NAME_COLUMNS: usize = 8;
/// What stands for the middle of a shortened name.
const ELLIPSIS: &str = "...";

/// The meter the live line shows, shared with the ticker thread.
static LIVE: Mutex<Option<Meter>> = Mutex::new(None);
/// Ids of meters, so that an old handle never ends a newer meter.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// The ticker thread, started with the first meter.
static TICKER: Once = Once::new();

/// What the live line counts.
struct Meter {
    id: u64,
    /// The file moving now (escaped).
    name: String,
    /// For a job: files done and files in it.
    files: Option<(u64, u64)>,
    /// Bytes done (with `-c`, counting those kept from before) and in all.
    done: u64,
    total: u64,
    /// When the last byte moved (or the meter started).
    changed: Instant,
    /// When it was drawn last (or started: the first draw waits as long,
    /// so that a small file never flashes a line), and what it showed.
    drawn: Instant,
    shown: String,
    /// Recent (time, done) points the rate is measured over.
    samples: VecDeque<(Instant, u64)>,
}

/// The meter, whatever a panicking holder left behind.
fn live() -> MutexGuard<'static, Option<Meter>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Start the live line for one transfer of `name` from byte `start` to
/// `total`; returns its id.
pub fn start_file(name: String, start: u64, total: u64) -> u64 {
    start_meter(name, None, start, total)
}

/// Start the live line of a job of `files` files and `bytes` bytes; it
/// ends when the returned guard is dropped.
pub fn start_job(files: u64, bytes: u64) -> JobLine {
    JobLine(start_meter(String::new(), Some((0, files)), 0, bytes))
}

fn start_meter(name: String, files: Option<(u64, u64)>, start: u64, total: u64) -> u64 {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let now = Instant::now();
    *live() = Some(Meter {
        id,
        name,
        files,
        done: start,
        total,
        changed: now,
        drawn: now,
        shown: String::new(),
        samples: VecDeque::from([(now, start)]),
    });
    TICKER.call_once(|| {
        // Without the thread, a stall is shown only when bytes move again.
        let _ = thread::Builder::new().name("progress".into()).spawn(|| {
            loop {
                thread::sleep(TICK);
                tick();
            }
        });
    });
    id
}

/// The live line of a many-file job, ended when dropped.
pub struct JobLine(u64);

impl Drop for JobLine {
    fn drop(&mut self) {
        end(self.0);
    }
}

/// The id of the job whose line is shown, if one is.
pub fn job() -> Option<u64> {
    live().as_ref().filter(|m| m.files.is_some()).map(|m| m.id)
}

/// Report to meter `id` that `bytes` more moved, for the file `name` when
/// given (a job's line shows the file moving now); `file_done` counts one
/// more file of a job done. Redraws now and then.
pub fn advance(id: u64, bytes: u64, name: Option<&str>, file_done: bool) {
    let mut guard = live();
    let Some(m) = guard.as_mut().filter(|m| m.id == id) else {
        return;
    };
    let now = Instant::now();
    if let Some(name) = name {
        name.clone_into(&mut m.name);
    }
    if bytes > 0 || file_done {
        m.changed = now;
    }
    m.done = m.done.saturating_add(bytes);
    // The sizes were the listing's; what arrives is the truth.
    m.total = m.total.max(m.done);
    if let Some((done, _)) = m.files.as_mut().filter(|_| file_done) {
        *done += 1;
    }
    if now.duration_since(m.drawn) >= REDRAW_INTERVAL {
        m.samples.push_back((now, m.done));
        while m.samples.len() > 2 && m.samples[1].0 + RATE_WINDOW <= now {
            m.samples.pop_front();
        }
        draw(m, now);
    }
}

/// End meter `id` (if it is still the one shown) and clear its line.
pub fn end(id: u64) {
    let mut guard = live();
    if guard.as_ref().is_some_and(|m| m.id == id) {
        *guard = None;
        crate::out::live_clear();
    }
}

/// The ticker's look: a meter that has not moved for `STALL_AFTER` is
/// redrawn, saying so.
fn tick() {
    let mut guard = live();
    if let Some(m) = guard.as_mut() {
        let now = Instant::now();
        if now.duration_since(m.changed) >= STALL_AFTER {
            draw(m, now);
        }
    }
}

/// Draw the meter's line if it changed, fitted to stderr's width.
fn draw(m: &mut Meter, now: Instant) {
    let width = crate::sys::columns(io::stderr().as_fd()).unwrap_or(DEFAULT_COLUMNS);
    let text = fit(&m.name, &stats(m, now), width);
    m.drawn = now;
    if text != m.shown {
        crate::out::live(&text);
        m.shown = text;
    }
}

/// The counts of a line: files, bytes, percent, and rate and time left,
/// or how long it has been stalled. Each field keeps its width as the
/// numbers change, so that the name beside them keeps its room.
fn stats(m: &Meter, now: Instant) -> String {
    let mut s = String::new();
    if let Some((done, files)) = m.files {
        let w = files.to_string().len();
        s.push_str(&format!("{done:>w$} of {files} files  "));
    }
    let percent = m
        .done
        .saturating_mul(100)
        .checked_div(m.total)
        .unwrap_or(100);
    s.push_str(&format!(
        "{:>8} of {}  {percent:>3}%  ",
        human(m.done as f64),
        human(m.total as f64)
    ));
    let still = now.duration_since(m.changed);
    if still >= STALL_AFTER {
        s.push_str(&format!("stalled for {}", clock(still.as_secs_f64())));
        return s;
    }
    let rate = rate(m, now);
    let left = match m.total.saturating_sub(m.done) {
        0 => "0:00".to_string(),
        _ if rate < 1.0 => "-:--".to_string(),
        n => clock(n as f64 / rate),
    };
    s.push_str(&format!("{:>8}/s  {left:>4} left", human(rate)));
    s
}

/// Bytes per second over the recent samples.
fn rate(m: &Meter, now: Instant) -> f64 {
    let Some(&(since, from)) = m.samples.front() else {
        return 0.0;
    };
    let secs = now.duration_since(since).as_secs_f64();
    if secs < 0.05 {
        return 0.0;
    }
    m.done.saturating_sub(from) as f64 / secs
}

/// The line for `name` and `stats` in `width` columns: the name in what
/// is left after the stats (shortened in the middle), or left out when
/// that is too little; the stats cut when even they do not fit. The last
/// column stays free, so that the terminal never wraps the line.
fn fit(name: &str, stats: &str, width: usize) -> String {
    let room = width.saturating_sub(1);
    let stats_width = text_width(stats);
    if stats_width > room {
        return take_columns(stats, room).0.to_string();
    }
    let name_room = room - stats_width;
    if name.is_empty() || name_room < MIN_NAME_COLUMNS + 2 {
        return stats.to_string();
    }
    format!("{}  {stats}", shorten(name, name_room - 2))
}

/// `name` in at most `columns` columns: as it is when it fits, else its
/// start and end around `...`, the end (the file's own name) twice the
/// longer.
pub fn shorten(name: &str, columns: usize) -> String {
    if text_width(name) <= columns {
        return name.to_string();
    }
    let Some(room) = columns.checked_sub(ELLIPSIS.len()) else {
        return take_columns(name, columns).0.to_string();
    };
    let (head, _) = take_columns(name, room / 3);
    let tail_room = room - text_width(head);
    // The tail: the longest end of the name that fits what is left.
    let mut tail_start = name.len();
    let mut tail_width = 0;
    for (i, c) in name.char_indices().rev() {
        if tail_width + char_width(c) > tail_room {
            break;
        }
        tail_width += char_width(c);
        tail_start = i;
    }
    format!("{head}{ELLIPSIS}{}", &name[tail_start..])
}

/// The longest start of `text` that fits in `columns` columns, and its width.
fn take_columns(text: &str, columns: usize) -> (&str, usize) {
    let mut width = 0;
    for (i, c) in text.char_indices() {
        if width + char_width(c) > columns {
            return (&text[..i], width);
        }
        width += char_width(c);
    }
    (text, width)
}

/// An amount in human units, powers of 1000 (`12.3 MB`); a rate is this
/// and `/s`.
pub fn human(bytes: f64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = bytes;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < units.len() {
        v /= 1000.0;
        i += 1;
    }
    format!("{v:.1} {}", units[i])
}

/// `m:ss`, or `h:mm:ss` from an hour on.
fn clock(secs: f64) -> String {
    let s = secs.round() as u64;
    match s {
        0..3600 => format!("{}:{:02}", s / 60, s % 60),
        _ => format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_clocks() {
        assert_eq!(human(999.0), "999.0 B");
        assert_eq!(human(12_345_678.0), "12.3 MB");
        assert_eq!(clock(61.4), "1:01");
        assert_eq!(clock(3_725.0), "1:02:05");
    }

    #[test]
    fn long_names_are_shortened_in_the_middle() {
        let name = "a-very-long-directory/and-a-long-file-name.bin";
        let short = shorten(name, 20);
        assert_eq!(short, "a-ver...ile-name.bin");
        assert!(text_width(&short) <= 20);
        assert_eq!(shorten("short.bin", 20), "short.bin");
        assert_eq!(shorten(name, 2), "a-");
        let wide = shorten("日本語のとても長いファイル名.txt", 15);
        assert!(text_width(&wide) <= 15, "{wide}");
        assert!(wide.contains("...") && wide.ends_with(".txt"), "{wide}");
    }

    #[test]
    fn lines_fit_the_width() {
        let stats = "12.3 MB of 50.0 MB   24%  5.1 MB/s  0:07 left";
        let name = "some/rather/long/path/to/a/file-with-a-long-name.tar.gz";
        for width in [10, 40, 60, 80, 120, 200] {
            let line = fit(name, stats, width);
            assert!(text_width(&line) < width, "{width}: {line}");
        }
        assert!(fit(name, stats, 200).starts_with(name));
        assert_eq!(fit(name, stats, 50), stats);
        assert!(fit(name, stats, 70).contains("..."));
    }

    #[test]
    fn stalls_are_said() {
        let then = Instant::now();
        let m = Meter {
            id: 0,
            name: String::new(),
            files: Some((3, 10)),
            done: 1_000,
            total: 4_000,
            changed: then,
            drawn: then,
            shown: String::new(),
            samples: VecDeque::from([(then, 0)]),
        };
        let moving = stats(&m, then + Duration::from_secs(1));
        assert_eq!(
            moving,
            " 3 of 10 files    1.0 kB of 4.0 kB   25%    1.0 kB/s  0:03 left"
        );
        let stalled = stats(&m, then + Duration::from_secs(5));
        assert!(stalled.ends_with("stalled for 0:05"), "{stalled}");
    }
}
