//! What the client prints on stdout: the `ls`, `ls -l` and `dir` layouts of
//! listing entries, names in columns for a terminal, sizes with thousands
//! separators, and the one writer to
//! stdout, which turns a closed pipe into `StdoutClosed`. The layouts are
//! pure functions, byte for byte the same for the same tree.

use std::io;

use super::width;
use crate::error::Error;
use crate::out::{self, date_time};
use crate::wire::{Entry, Kind, escape};

/// Write data to stdout; a closed pipe is `StdoutClosed`, which ends the
/// run quietly.
pub fn print_out(bytes: &[u8]) -> Result<(), Error> {
    out::data(bytes).map_err(stdout_error)
}

/// A failed write to stdout.
pub fn stdout_error(e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::BrokenPipe => Error::StdoutClosed,
        _ => Error::Io("cannot write to standard output".into(), e),
    }
}

/// The name as shown, escaped, with `/` after a directory.
fn shown(e: &Entry) -> String {
    let mut s = escape(&e.name);
    if e.kind == Kind::Dir {
        s.push('/');
    }
    s
}

/// `ls`: one name per line; dot-files only when `all`.
pub fn format_ls(entries: &[Entry], all: bool) -> String {
    let shown = entries.iter().filter(|e| all || !e.is_hidden());
    shown.map(ls_line).collect()
}

/// An entry's line in `ls`.
pub fn ls_line(e: &Entry) -> String {
    format!("{}\n", shown(e))
}

/// An entry's name as `ls` shows it (escaped, `/` after a directory).
pub fn ls_name(e: &Entry) -> String {
    shown(e)
}

/// Names in columns, as `ls` prints them on a terminal `width` columns
/// wide: down each column first, two spaces between columns, as many
/// columns as fit (one name per line when even two do not).
pub fn format_columns(names: &[String], width: usize) -> String {
    if names.is_empty() {
        return String::new();
    }
    let widths: Vec<usize> = names.iter().map(|n| text_width(n)).collect();
    // A column takes at least one column of text and two of space.
    let most = names.len().min(width.saturating_add(2) / 3).max(1);
    let (rows, cols) = (1..=most)
        .rev()
        .map(|cols| {
            let rows = names.len().div_ceil(cols);
            (rows, names.len().div_ceil(rows))
        })
        .find(|&(rows, cols)| {
            column_widths(&widths, rows, cols).iter().sum::<usize>() + 2 * (cols - 1) <= width
        })
        .unwrap_or((names.len(), 1));
    let col_widths = column_widths(&widths, rows, cols);
    let mut out = String::new();
    for row in 0..rows {
        let mut line = String::new();
        for (col, col_width) in col_widths.iter().enumerate() {
            let Some(name) = names.get(col * rows + row) else {
                break;
            };
            if col > 0 {
                line.push_str("  ");
            }
            line.push_str(name);
            if names.get((col + 1) * rows + row).is_some() {
                let pad = col_width.saturating_sub(widths[col * rows + row]);
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The width of each of `cols` columns of `rows` names (given by width).
fn column_widths(widths: &[usize], rows: usize, cols: usize) -> Vec<usize> {
    (0..cols)
        .map(|c| {
            let end = widths.len().min((c + 1) * rows);
            widths[(c * rows).min(end)..end]
                .iter()
                .copied()
                .max()
                .unwrap_or(0)
        })
        .collect()
}

/// The columns a terminal gives `text` (escaped text: no control characters).
pub fn text_width(text: &str) -> usize {
    width::of_str(text.chars())
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
        shown(e)
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

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn columns_go_down_first_and_fit() {
        let list = names(&["a", "bb", "ccc", "d", "eeeee"]);
        assert_eq!(format_columns(&list, 80), "a  bb  ccc  d  eeeee\n");
        assert_eq!(format_columns(&list, 12), "a    d\nbb   eeeee\nccc\n");
        assert_eq!(format_columns(&list, 3), "a\nbb\nccc\nd\neeeee\n");
        assert_eq!(format_columns(&[], 80), "");
        for width in 1..40 {
            for line in format_columns(&list, width).lines() {
                assert!(text_width(line) <= width.max(5), "{width}: {line:?}");
                assert!(!line.ends_with(' '), "{line:?}");
            }
        }
    }

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(text_width("abc"), 3);
        assert_eq!(text_width("日本"), 4);
        assert_eq!(text_width("e\u{301}"), 1);
        assert_eq!(text_width("🎉"), 2);
        let list = names(&["日本", "ab", "c"]);
        assert_eq!(format_columns(&list, 8), "日本  c\nab\n");
    }

    #[test]
    fn thousands_groups() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
