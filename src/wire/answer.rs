//! The replies that carry values, as types: each has one function that
//! builds its reply and one that parses its text, so that the server and the
//! client only `match` and a change of grammar touches this file alone.
//! The listing entry (LIST lines, STAT's 213) is `entry`'s, the upload
//! trailer `trailer`'s. Bytes and strings only.

use super::code;
use super::number;
use super::reply::Reply;
use super::stamp::Stamp;
use super::words::{quote, split};

/// Hex digits of a CRC-32 on the wire.
const CRC_DIGITS: usize = 8;
/// What a listing's announcement says in place of a length.
const LISTING_LENGTH: &str = "*";
/// The word that names a deflate stream in an announcement.
const DEFLATE: &str = "deflate";

/// The words of a reply's text: split at single spaces, as the server
/// writes them.
pub(super) fn words(text: &str) -> Vec<&str> {
    if text.is_empty() {
        return Vec::new();
    }
    text.split(' ').collect()
}

/// One quoted word as raw bytes; `None` unless `text` is exactly one word.
fn one_word(text: &str) -> Option<Vec<u8>> {
    let mut w = split(text.as_bytes(), 1).ok()?;
    match (w.pop(), w.is_empty()) {
        (Some(word), true) => Some(word),
        _ => None,
    }
}

/// The path a listing names: one quoted word, absolute as the server
/// shows every path.
fn listed_path(text: &str) -> Option<Vec<u8>> {
    one_word(text).filter(|p| p.starts_with(b"/"))
}

/// `150`: what the payload after it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Announce {
    /// `LENGTH [deflate]`: exactly `length` bytes (a file, HELP's text);
    /// with `deflate`, a raw deflate stream that inflates to that many.
    Bytes { length: u64, deflate: bool },
    /// `* PATH`: a listing of the quoted PATH, of no length known in
    /// advance: its chunks end it, and the final reply counts it.
    Listing { path: Vec<u8> },
}

impl Announce {
    /// The `150` reply.
    pub fn reply(&self) -> Reply {
        let text = match self {
            Announce::Bytes {
                length,
                deflate: false,
            } => length.to_string(),
            Announce::Bytes {
                length,
                deflate: true,
            } => format!("{length} {DEFLATE}"),
            Announce::Listing { path } => format!("{LISTING_LENGTH} {}", quote(path)),
        };
        Reply::new(code::PAYLOAD, text)
    }

    /// Parse a `150` reply's text.
    pub fn parse(text: &str) -> Option<Announce> {
        if let Some(path) = text.strip_prefix(LISTING_LENGTH) {
            let path = listed_path(path.strip_prefix(' ')?)?;
            return Some(Announce::Listing { path });
        }
        match words(text)[..] {
            [length] => Some(Announce::Bytes {
                length: number::decimal(length.as_bytes())?,
                deflate: false,
            }),
            [length, DEFLATE] => Some(Announce::Bytes {
                length: number::decimal(length.as_bytes())?,
                deflate: true,
            }),
            _ => None,
        }
    }
}

/// `LENGTH CRC32`: a count of bytes and their CRC-32. The text of CRC's and
/// PARTIAL's `213`, and the start of every `226`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sums {
    /// Bytes counted.
    pub length: u64,
    /// Their CRC-32.
    pub crc: u32,
}

impl Sums {
    /// The two words.
    pub fn to_words(self) -> String {
        format!("{} {:0width$x}", self.length, self.crc, width = CRC_DIGITS)
    }

    /// The `213` reply (CRC, PARTIAL).
    pub fn reply(self) -> Reply {
        Reply::new(code::STAT, self.to_words())
    }

    /// Parse the two words (CRC's and PARTIAL's `213`).
    pub fn parse(text: &str) -> Option<Sums> {
        match words(text)[..] {
            [length, crc] => Sums::from_words(length, crc),
            _ => None,
        }
    }

    /// The sums from their two words.
    pub(super) fn from_words(length: &str, crc: &str) -> Option<Sums> {
        let length = number::decimal(length.as_bytes())?;
        let crc = number::hex_exact(crc.as_bytes(), CRC_DIGITS)?;
        Some(Sums {
            length,
            crc: u32::try_from(crc).ok()?,
        })
    }
}

/// What a `226` says after the sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extra {
    /// Nothing (STOR, HELP).
    Nothing,
    /// RETR: the file's stamp, `MTIME MODE`, to publish it with.
    Stamp(Stamp),
    /// LIST: the quoted path listed.
    Listed(Vec<u8>),
}

/// `226 LENGTH CRC32 [MTIME MODE | PATH]`: a payload went out whole, these
/// are its sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// Length and CRC-32 of what went out.
    pub sums: Sums,
    /// What follows them.
    pub extra: Extra,
}

impl Delivered {
    /// The `226` reply.
    pub fn reply(&self) -> Reply {
        let sums = self.sums.to_words();
        let text = match &self.extra {
            Extra::Nothing => sums,
            Extra::Stamp(stamp) => format!("{sums} {}", stamp.to_words()),
            Extra::Listed(path) => format!("{sums} {}", quote(path)),
        };
        Reply::new(code::TRANSFER_OK, text)
    }

    /// Parse a `226` reply's text.
    pub fn parse(text: &str) -> Option<Delivered> {
        let w = words(text);
        let (length, crc, rest) = match &w[..] {
            [length, crc, rest @ ..] => (*length, *crc, rest),
            _ => return None,
        };
        let sums = Sums::from_words(length, crc)?;
        let stamp = match rest {
            [_, _] => Stamp::parse(&mut rest.iter().copied()),
            _ => None,
        };
        let extra = match (rest, stamp) {
            ([], _) => Extra::Nothing,
            (_, Some(stamp)) => Extra::Stamp(stamp),
            // A path is one quoted word, which may hold spaces.
            _ => Extra::Listed(listed_path(text.get(length.len() + crc.len() + 2..)?)?),
        };
        Some(Delivered { sums, extra })
    }
}

/// `250 ORIGINAL PACKED`: COMPRESS wrote PATH.gz; both sizes in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packed {
    /// Size of the file.
    pub original: u64,
    /// Size of the gzip file written beside it.
    pub packed: u64,
}

impl Packed {
    /// The `250` reply.
    pub fn reply(self) -> Reply {
        Reply::new(code::DONE, format!("{} {}", self.original, self.packed))
    }

    /// Parse a COMPRESS `250` reply's text.
    pub fn parse(text: &str) -> Option<Packed> {
        match words(text)[..] {
            [original, packed] => Some(Packed {
                original: number::decimal(original.as_bytes())?,
                packed: number::decimal(packed.as_bytes())?,
            }),
            _ => None,
        }
    }
}

/// `110 DONE`: COMPRESS is still at work, `DONE` bytes read so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Working(pub u64);

impl Working {
    /// The `110` reply.
    pub fn reply(self) -> Reply {
        Reply::new(code::WORKING, self.0.to_string())
    }

    /// Parse a `110` reply's text.
    pub fn parse(text: &str) -> Option<Working> {
        number::decimal(text.as_bytes()).map(Working)
    }
}

/// `213 ALGO HEX`: SUM's checksum of a whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    /// The algorithm's name, as SUM named it (`crc32`, `sha256`).
    pub algo: String,
    /// The checksum in hex.
    pub hex: String,
}

impl Checksum {
    /// The `213` reply.
    pub fn reply(&self) -> Reply {
        Reply::new(code::STAT, format!("{} {}", self.algo, self.hex))
    }

    /// Parse a SUM `213` reply's text: a name, then hex digits.
    pub fn parse(text: &str) -> Option<Checksum> {
        let algo_ok = |w: &str| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        };
        let hex_ok = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_hexdigit());
        match words(text)[..] {
            [algo, hex] if algo_ok(algo) && hex_ok(hex) => Some(Checksum {
                algo: algo.to_string(),
                hex: hex.to_string(),
            }),
            _ => None,
        }
    }
}

/// `257 PATH` (PWD) and `250 PATH` (CWD): the remote directory, quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directory(pub Vec<u8>);

impl Directory {
    /// The reply with `code` (`PWD` or `DONE`).
    pub fn reply(&self, code: u16) -> Reply {
        Reply::new(code, quote(&self.0))
    }

    /// Parse the quoted path.
    pub fn parse(text: &str) -> Option<Directory> {
        one_word(text).map(Directory)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reply's line, parsed back as the client reads it.
    fn through_the_wire(reply: &Reply) -> Reply {
        let mut line = Vec::new();
        reply.write_to(&mut line).unwrap();
        Reply::parse(line.strip_suffix(b"\n").unwrap()).unwrap()
    }

    #[test]
    fn announcements_round_trip() {
        let odd = b"/a \"b\"\n\xff".to_vec();
        for a in [
            Announce::Bytes {
                length: 0,
                deflate: false,
            },
            Announce::Bytes {
                length: u64::MAX,
                deflate: true,
            },
            Announce::Listing {
                path: b"/".to_vec(),
            },
            Announce::Listing { path: odd },
        ] {
            let r = through_the_wire(&a.reply());
            assert_eq!(r.code, code::PAYLOAD);
            assert_eq!(Announce::parse(&r.text), Some(a), "{}", r.text);
        }
        assert_eq!(
            Announce::reply(&Announce::Bytes {
                length: 12,
                deflate: true
            })
            .text,
            "12 deflate"
        );
        assert_eq!(
            Announce::Listing {
                path: b"/big".to_vec()
            }
            .reply()
            .text,
            "* /big"
        );
        for bad in [
            "+12",
            "12 raw",
            "12 deflate x",
            "",
            "-1",
            "12 ",
            "*",
            "* a b",
            "*/a",
            "* ",
        ] {
            assert_eq!(Announce::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn sums_round_trip_and_take_digits_only() {
        for s in [
            Sums { length: 0, crc: 0 },
            Sums {
                length: u64::MAX,
                crc: 0xdead_beef,
            },
        ] {
            let r = through_the_wire(&s.reply());
            assert_eq!(r.code, code::STAT);
            assert_eq!(Sums::parse(&r.text), Some(s));
        }
        assert_eq!(Sums { length: 0, crc: 0 }.reply().text, "0 00000000");
        assert_eq!(
            Sums::parse("12 0000abcd"),
            Some(Sums {
                length: 12,
                crc: 0xabcd
            })
        );
        for bad in [
            "+12 0000abcd",
            "12 +000abcd",
            "١٢ 0000abcd",
            "12 abcd",
            "12 0000abcd x",
            "12",
            "",
            "12  0000abcd",
        ] {
            assert_eq!(Sums::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn deliveries_round_trip() {
        let sums = Sums { length: 5, crc: 1 };
        for extra in [
            Extra::Nothing,
            Extra::Stamp(Stamp::new(7, 8, 0o640)),
            Extra::Stamp(Stamp::new(-7, 0, 0o755)),
            Extra::Listed(b"/".to_vec()),
            Extra::Listed(b"/two words/\"x\"".to_vec()),
            Extra::Listed(b"/a/b".to_vec()),
        ] {
            let d = Delivered {
                sums,
                extra: extra.clone(),
            };
            let r = through_the_wire(&d.reply());
            assert_eq!(r.code, code::TRANSFER_OK);
            assert_eq!(Delivered::parse(&r.text), Some(d), "{}", r.text);
        }
        let stamped = Delivered {
            sums,
            extra: Extra::Stamp(Stamp::new(7, 0, 0o755)),
        };
        assert_eq!(stamped.reply().text, "5 00000001 7 755");
        let listed = Delivered::parse("12 0000abcd /big").unwrap();
        assert_eq!(listed.extra, Extra::Listed(b"/big".to_vec()));
        for bad in [
            "5",
            "5 1",
            "+5 00000001",
            "5 00000001 7",
            "5 00000001 7 4755",
            "5 00000001 \"open",
            "5 00000001 a b c",
        ] {
            assert_eq!(Delivered::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn compress_sizes_round_trip() {
        let p = Packed {
            original: 99,
            packed: 7,
        };
        let r = through_the_wire(&p.reply());
        assert_eq!((r.code, r.text.as_str()), (code::DONE, "99 7"));
        assert_eq!(Packed::parse(&r.text), Some(p));
        for bad in ["+99 7", "99 +7", "99", "99 7 x", "done"] {
            assert_eq!(Packed::parse(bad), None, "{bad}");
        }
        assert_eq!(Working::parse(&Working(42).reply().text), Some(Working(42)));
        assert_eq!(Working::parse("+1"), None);
    }

    #[test]
    fn checksums_and_directories_round_trip() {
        let c = Checksum {
            algo: "sha256".into(),
            hex: "00ff".into(),
        };
        let r = through_the_wire(&c.reply());
        assert_eq!((r.code, r.text.as_str()), (code::STAT, "sha256 00ff"));
        assert_eq!(Checksum::parse(&r.text), Some(c));
        for bad in ["sha256", "sha256 xyz", "SHA 00", "sha256 00 11", " 00"] {
            assert_eq!(Checksum::parse(bad), None, "{bad}");
        }
        for path in [&b"/"[..], b"/two words", b"/\"q\"\n\xff"] {
            let d = Directory(path.to_vec());
            let r = through_the_wire(&d.reply(code::PWD));
            assert_eq!(Directory::parse(&r.text), Some(d));
        }
        assert_eq!(Directory::parse("/a /b"), None);
        assert_eq!(Directory::parse(""), None);
    }
}
