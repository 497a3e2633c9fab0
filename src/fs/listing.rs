//! Listings: the entry type, its line in a LIST payload, the sort order, and
//! the `ls`, `ls -l` and `dir` layouts. Pure functions; the client prints what
//! these return, byte for byte the same for the same tree.

use std::cmp::Ordering;

use crate::wire::stamp::{parse_time, time_word};
use crate::wire::{escape, number, quote, words};

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A directory.
    Dir,
    /// A regular file.
    File,
    /// A link that points out of the tree or nowhere.
    Link,
    /// A FIFO, device or socket.
    Other,
}

impl Kind {
    fn letter(self) -> char {
        match self {
            Kind::Dir => 'd',
            Kind::File => 'f',
            Kind::Link => 'l',
            Kind::Other => 'o',
        }
    }

    fn from_letter(word: &str) -> Option<Kind> {
        Some(match word {
            "d" => Kind::Dir,
            "f" => Kind::File,
            "l" => Kind::Link,
            "o" => Kind::Other,
            _ => return None,
        })
    }
}

/// One name in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The raw name.
    pub name: Vec<u8>,
    /// Its type.
    pub kind: Kind,
    /// Permission bits.
    pub mode: u32,
    /// Size in bytes (0 for anything but a file).
    pub size: u64,
    /// Modification time, seconds since 1970 UTC.
    pub mtime: i64,
    /// Nanoseconds within `mtime` (0 when the server sends none).
    pub mtime_nsec: u32,
}

impl Entry {
    /// The entry's line in a LIST payload: `KIND MODE SIZE MTIME NAME`, mode in
    /// octal, MTIME `SECS` or `SECS.NNNNNNNNN`, name quoted, newline included.
    pub fn to_line(&self) -> String {
        format!(
            "{} {:o} {} {} {}\n",
            self.kind.letter(),
            self.mode,
            self.size,
            time_word(self.mtime, self.mtime_nsec),
            quote(&self.name)
        )
    }

    /// Parse a LIST payload line (without its newline); `None` if malformed.
    pub fn parse(line: &[u8]) -> Option<Entry> {
        let mut w = words::split(line, 5).ok()?.into_iter();
        let mut text = || w.next().and_then(|b| String::from_utf8(b).ok());
        let kind = Kind::from_letter(&text()?)?;
        let mode = number::octal(text()?.as_bytes())?;
        let size = number::decimal(text()?.as_bytes())?;
        let (mtime, mtime_nsec) = parse_time(&text()?)?;
        let name = w.next()?;
        Some(Entry {
            name,
            kind,
            mode,
            size,
            mtime,
            mtime_nsec,
        })
    }

    /// Whether it is a dot-file, left out unless asked for.
    pub fn is_hidden(&self) -> bool {
        self.name.starts_with(b".")
    }

    /// The name as shown, escaped, with `/` after a directory.
    fn shown(&self) -> String {
        let mut s = escape(&self.name);
        if self.kind == Kind::Dir {
            s.push('/');
        }
        s
    }
}

/// Alphabetic order: case-insensitive, ties broken by byte order.
pub fn compare(a: &[u8], b: &[u8]) -> Ordering {
    let fold = |s: &[u8]| String::from_utf8_lossy(s).to_lowercase();
    fold(a).cmp(&fold(b)).then_with(|| a.cmp(b))
}

/// `ls`: one name per line; dot-files only when `all`.
pub fn format_ls(entries: &[Entry], all: bool) -> String {
    let shown = entries.iter().filter(|e| all || !e.is_hidden());
    shown.map(ls_line).collect()
}

/// An entry's line in `ls`.
pub fn ls_line(e: &Entry) -> String {
    format!("{}\n", e.shown())
}

/// `ls -l`: type and permissions, size, time (UTC), name.
pub fn format_long(entries: &[Entry], all: bool) -> String {
    let shown = entries.iter().filter(|e| all || !e.is_hidden());
    shown.map(long_line).collect()
}

/// An entry's line in `ls -l`.
pub fn long_line(e: &Entry) -> String {
    format!(
        "{}{} {:>12} {} {}\n",
        e.kind.letter().to_string().replace('f', "-"),
        permissions(e.mode),
        e.size,
        date_time(e.mtime, " "),
        e.shown()
    )
}

/// `dir`: the Windows layout, built as entries arrive (directories first,
/// as `LIST … dirs` sends them), dot-files left out, the counts at the end.
pub struct DirLayout {
    /// The heading, to print before the first entry.
    pub header: String,
    files: u64,
    dirs: u64,
    bytes: u64,
}

impl DirLayout {
    /// The layout for the directory shown as `path`.
    pub fn new(path: &str) -> DirLayout {
        DirLayout {
            header: format!(" Directory of {path}\n\n"),
            files: 0,
            dirs: 0,
            bytes: 0,
        }
    }

    /// An entry's line (empty for a dot-file), counted for the totals.
    pub fn line(&mut self, e: &Entry) -> String {
        if e.is_hidden() {
            return String::new();
        }
        let date = date_time(e.mtime, "  ");
        if e.kind == Kind::Dir {
            self.dirs += 1;
            return format!("{date}    {:<14} {}\n", "<DIR>", escape(&e.name));
        }
        self.files += 1;
        // Sizes come from the server: they may add up to anything.
        self.bytes = self.bytes.saturating_add(e.size);
        format!("{date}{:>18} {}\n", thousands(e.size), escape(&e.name))
    }

    /// The two lines of counts.
    pub fn totals(&self) -> String {
        format!(
            "{:>16} File(s) {:>14} bytes\n{:>16} Dir(s)\n",
            self.files,
            thousands(self.bytes),
            self.dirs
        )
    }
}

/// `rwxr-xr-x` for the low nine mode bits.
fn permissions(mode: u32) -> String {
    let mut s = String::with_capacity(9);
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}

/// `123,456,789`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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

    fn e(name: &str, kind: Kind, size: u64) -> Entry {
        Entry {
            name: name.as_bytes().to_vec(),
            kind,
            mode: 0o644,
            size,
            mtime: 1_763_640_120,
            mtime_nsec: 0,
        }
    }

    #[test]
    fn dates_are_utc() {
        assert_eq!(date_time(0, " "), "1970-01-01 00:00");
        assert_eq!(date_time(1_763_640_120, "  "), "2025-11-20  12:02");
        assert_eq!(timestamp(951_782_400 + 59), "2000-02-29T00:00:59Z");
        assert_eq!(date_time(-1, " "), "1969-12-31 23:59");
    }

    #[test]
    fn order_is_case_insensitive_then_bytes() {
        let mut v = [
            e("b", Kind::File, 0),
            e("B", Kind::File, 0),
            e("a", Kind::Dir, 0),
            e("C", Kind::File, 0),
        ];
        v.sort_by(|a, b| compare(&a.name, &b.name));
        let names: Vec<_> = v
            .iter()
            .map(|e| String::from_utf8_lossy(&e.name).into_owned())
            .collect();
        assert_eq!(names, ["a", "B", "b", "C"]);
    }

    #[test]
    fn dir_layout_matches_windows() {
        let mut layout = DirLayout::new("/photos");
        let mut text = layout.header.clone();
        for entry in [
            e("albums", Kind::Dir, 0),
            e(".hidden", Kind::Dir, 0),
            e("a.jpg", Kind::File, 123_456),
        ] {
            text.push_str(&layout.line(&entry));
        }
        text.push_str(&layout.totals());
        assert_eq!(
            text,
            " Directory of /photos\n\n\
             2025-11-20  12:02    <DIR>          albums\n\
             2025-11-20  12:02           123,456 a.jpg\n\
             \x20              1 File(s)        123,456 bytes\n\
             \x20              1 Dir(s)\n"
        );
    }

    #[test]
    fn entry_lines_round_trip() {
        let mut x = e("odd\nname \u{1F600}", Kind::Dir, 0);
        x.name.push(0xff);
        assert_eq!(Entry::parse(x.to_line().trim_end().as_bytes()), Some(x));
        assert_eq!(Entry::parse(b"q 644 1 1 n"), None);
        assert_eq!(Entry::parse(b"f 644 x 1 n"), None);
        for bad in [&b"f +644 1 1 n"[..], b"f 644 +1 1 n", b"f 644 1 +1 n"] {
            assert_eq!(Entry::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Entry::parse(b"f 644 1 -1 n").map(|e| e.mtime), Some(-1));
    }

    #[test]
    fn thousands_groups() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn entry_numbers_with_a_sign_are_refused() {
        // Found by the `reply` fuzz target: `+` passed `parse` and
        // `from_str_radix` in the mode, the size and the time.
        let line = b"l  000010  00 +000007600 =103798302937";
        assert_eq!(Entry::parse(line), None);
        assert_eq!(Entry::parse(b"f +644 1 1 n"), None);
        assert_eq!(Entry::parse(b"f 644 +1 1 n"), None);
        assert_eq!(Entry::parse(b"f 644 1 +1 n"), None);
        assert_eq!(Entry::parse(b"f 648 1 1 n"), None);
        let old = Entry::parse(b"f 644 1 -86400 n").unwrap();
        assert_eq!(old.mtime, -86_400);
    }
}
