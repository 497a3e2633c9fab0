//! A listing entry on the wire: its line in a LIST payload and in a STAT
//! reply (`KIND MODE SIZE MTIME NAME`), built and parsed here, and the two
//! orders a listing comes in. Bytes only; reading a directory is `fs`'s job,
//! laying entries out for a person the client's.

use std::cmp::Ordering;

use super::code;
use super::number;
use super::reply::Reply;
use super::stamp::{parse_time, time_word};
use super::words::{quote, split};

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
    /// The one-letter word for the kind on the wire (`d`, `f`, `l`, `o`).
    pub fn letter(self) -> char {
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

/// Words on an entry's line.
const ENTRY_WORDS: usize = 5;

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

    /// The STAT reply for this entry: `213` and its line.
    pub fn reply(&self) -> Reply {
        Reply::new(code::STAT, self.to_line().trim_end())
    }

    /// Parse a LIST payload line (without its newline) or a STAT reply's
    /// text; `None` if malformed.
    pub fn parse(line: &[u8]) -> Option<Entry> {
        let mut w = split(line, ENTRY_WORDS).ok()?.into_iter();
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
}

/// The order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOrder {
    /// `ls` order (`name`): by name (`compare`).
    Name,
    /// `dir` order (`dirs`): directories first, each group as in `Name`.
    DirsFirst,
}

impl ListOrder {
    /// The word for this order on the wire.
    pub fn word(self) -> &'static str {
        match self {
            ListOrder::Name => "name",
            ListOrder::DirsFirst => "dirs",
        }
    }

    /// The order a word names; `None` for any other word.
    pub fn from_word(word: &[u8]) -> Option<ListOrder> {
        match word {
            b"name" => Some(ListOrder::Name),
            b"dirs" => Some(ListOrder::DirsFirst),
            _ => None,
        }
    }
}

/// The name order of a listing: case-insensitive, ties broken by byte order.
pub fn compare(a: &[u8], b: &[u8]) -> Ordering {
    let fold = |s: &[u8]| String::from_utf8_lossy(s).to_lowercase();
    fold(a).cmp(&fold(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(name: &str, kind: Kind) -> Entry {
        Entry {
            name: name.as_bytes().to_vec(),
            kind,
            mode: 0o644,
            size: 0,
            mtime: 1_763_640_120,
            mtime_nsec: 0,
        }
    }

    #[test]
    fn order_is_case_insensitive_then_bytes() {
        let mut v = [
            e("b", Kind::File),
            e("B", Kind::File),
            e("a", Kind::Dir),
            e("C", Kind::File),
        ];
        v.sort_by(|a, b| compare(&a.name, &b.name));
        let names: Vec<_> = v
            .iter()
            .map(|e| String::from_utf8_lossy(&e.name).into_owned())
            .collect();
        assert_eq!(names, ["a", "B", "b", "C"]);
    }

    #[test]
    fn entry_lines_round_trip() {
        let mut x = e("odd\nname \u{1F600}", Kind::Dir);
        x.name.push(0xff);
        assert_eq!(
            Entry::parse(x.to_line().trim_end().as_bytes()),
            Some(x.clone())
        );
        x.mtime_nsec = 7;
        x.mtime = -5;
        let reply = x.reply();
        assert_eq!(reply.code, code::STAT);
        assert_eq!(Entry::parse(reply.text.as_bytes()), Some(x));
        assert_eq!(Entry::parse(b"q 644 1 1 n"), None);
        assert_eq!(Entry::parse(b"f 644 x 1 n"), None);
        assert_eq!(Entry::parse(b"f 644 1 -1 n").map(|e| e.mtime), Some(-1));
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

    #[test]
    fn orders_have_one_word_each() {
        for o in [ListOrder::Name, ListOrder::DirsFirst] {
            assert_eq!(ListOrder::from_word(o.word().as_bytes()), Some(o));
        }
        assert_eq!(ListOrder::from_word(b"size"), None);
    }
}
