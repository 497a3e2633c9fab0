//! Reply lines, the upload trailer, and bounded line reading: the parts of
//! the protocol that both ends read off the stream. Bytes only, no sockets.

use std::io::{self, BufRead, Write};

use super::stamp::Stamp;
use super::{MAX_LINE_BYTES, code, number, words};

/// The sender's trailer after an upload payload: `DONE LENGTH CRC32 [MTIME
/// MODE]` when it delivered what it announced (with the file's time and
/// permission bits when they are to be kept), `ABORT` when it did not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trailer {
    /// Everything sent; the sender's length and CRC-32, and the stamp the
    /// file is to be published with.
    Done {
        length: u64,
        crc: u32,
        stamp: Option<Stamp>,
    },
    /// The sender could not deliver (read error, file changed).
    Abort,
}

impl Trailer {
    /// The trailer line, newline included.
    pub fn to_line(self) -> String {
        match self {
            Trailer::Done {
                length,
                crc,
                stamp: None,
            } => format!("DONE {length} {crc:08x}\n"),
            Trailer::Done {
                length,
                crc,
                stamp: Some(stamp),
            } => format!("DONE {length} {crc:08x} {}\n", stamp.to_words()),
            Trailer::Abort => "ABORT\n".to_string(),
        }
    }

    /// Parse a trailer line; `None` if it is neither form.
    pub fn parse(line: &[u8]) -> Option<Trailer> {
        let text = std::str::from_utf8(line).ok()?;
        let mut parts = text.split(' ');
        match parts.next()? {
            "ABORT" if parts.next().is_none() => Some(Trailer::Abort),
            "DONE" => {
                let (length, crc) = parse_length_crc(&mut parts)?;
                let rest: Vec<&str> = parts.collect();
                let stamp = match rest.len() {
                    0 => None,
                    2 => Some(Stamp::parse(&mut rest.into_iter())?),
                    _ => return None,
                };
                Some(Trailer::Done { length, crc, stamp })
            }
            _ => None,
        }
    }
}

/// Hex digits of a CRC-32 on the wire.
const CRC_DIGITS: usize = 8;

fn parse_length_crc<'a>(parts: &mut impl Iterator<Item = &'a str>) -> Option<(u64, u32)> {
    let length = number::decimal(parts.next()?.as_bytes())?;
    let crc = number::hex_exact(parts.next()?.as_bytes(), CRC_DIGITS)?;
    Some((length, u32::try_from(crc).ok()?))
}

/// One reply line: a three-digit code and a short text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit code.
    pub code: u16,
    /// The text after the code, one line, no control bytes.
    pub text: String,
}

/// What a listing's announcement says in place of a length.
pub const LISTING_LENGTH: &str = "*";

impl Reply {
    /// A reply with `code` and `text` (control bytes in `text` are escaped).
    pub fn new(code: u16, text: impl AsRef<str>) -> Reply {
        Reply {
            code,
            text: words::one_line(text.as_ref()),
        }
    }

    /// The payload announcement for `length` bytes.
    pub fn payload(length: u64) -> Reply {
        Reply::new(code::PAYLOAD, length.to_string())
    }

    /// The announcement of a listing of `path` (quoted), whose length is not
    /// known in advance: its chunks end it, and the final reply counts it.
    pub fn listing(path: &str) -> Reply {
        Reply::new(code::PAYLOAD, format!("{LISTING_LENGTH} {path}"))
    }

    /// The final reply after a payload that went out whole.
    pub fn transfer_ok(length: u64, crc: u32) -> Reply {
        Reply::new(code::TRANSFER_OK, format!("{length} {crc:08x}"))
    }

    /// The final reply after a file that went out whole, with its stamp:
    /// `226 LENGTH CRC32 MTIME MODE` (older clients read the first two).
    pub fn transfer_ok_stamped(length: u64, crc: u32, stamp: Stamp) -> Reply {
        let text = format!("{length} {crc:08x} {}", stamp.to_words());
        Reply::new(code::TRANSFER_OK, text)
    }

    /// The stamp after the length and CRC-32 of a 226 reply, if any.
    pub fn stamp(&self) -> Option<Stamp> {
        Stamp::parse(&mut self.text.split(' ').skip(2))
    }

    /// 2xx.
    pub fn is_ok(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// The two numbers at the start of the text (COMPRESS: original and
    /// compressed size).
    pub fn length_pair(&self) -> Option<(u64, u64)> {
        let mut w = self.text.split(' ');
        let mut next = || number::decimal(w.next()?.as_bytes());
        Some((next()?, next()?))
    }

    /// The length and encoding of a 150 payload announcement: `LENGTH` for
    /// raw bytes, `LENGTH deflate` (the length once inflated) for a deflate
    /// stream; the `bool` says deflate.
    pub fn announcement(&self) -> Option<(u64, bool)> {
        let mut w = self.text.split(' ');
        let length = number::decimal(w.next()?.as_bytes())?;
        match (w.next(), w.next()) {
            (None, _) => Some((length, false)),
            (Some("deflate"), None) => Some((length, true)),
            _ => None,
        }
    }

    /// The length and CRC-32 of a 226 reply.
    pub fn length_crc(&self) -> Option<(u64, u32)> {
        parse_length_crc(&mut self.text.split(' '))
    }

    /// Write the reply line.
    pub fn write_to(&self, w: &mut impl Write) -> io::Result<()> {
        writeln!(w, "{} {}", self.code, self.text)
    }

    /// Parse a reply line (without its newline).
    pub fn parse(line: &[u8]) -> Option<Reply> {
        let text = std::str::from_utf8(line).ok()?;
        let digits = text.get(..3)?;
        let code = number::decimal(digits.as_bytes())?;
        if digits.starts_with('0') {
            return None;
        }
        let rest = match text.get(3..)? {
            "" => "",
            rest => rest.strip_prefix(' ')?,
        };
        Some(Reply {
            code: u16::try_from(code).ok()?,
            text: words::one_line(rest),
        })
    }
}

/// Bytes of an overlong line kept for the caller (enough to see its command).
const OVERLONG_KEPT_BYTES: usize = 16;
/// Most bytes of one overlong line thrown away before the connection is
/// given up on: a line that never ends is not a line.
const MAX_DISCARD_BYTES: usize = 16 * 1024 * 1024;

/// What `read_line` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A whole line is in the buffer, newline (and a CR before it) removed.
    Whole,
    /// The line was longer than the cap; it was read and thrown away whole,
    /// but for its first few bytes, left in the buffer.
    TooLong,
    /// The peer closed the connection before a full line.
    Eof,
}

/// Read one `\n`-terminated line of at most `MAX_LINE_BYTES` into `buf`,
/// never holding more than that in memory.
pub fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<Line> {
    buf.clear();
    let mut too_long = false;
    let mut discarded = 0usize;
    loop {
        let available = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(Line::Eof);
        }
        let (take, found) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if !too_long {
            if buf.len() + take > MAX_LINE_BYTES {
                too_long = true;
                // Keep the start, so the caller can tell what kind of line it was.
                let room = OVERLONG_KEPT_BYTES.saturating_sub(buf.len());
                buf.extend_from_slice(&available[..take.min(room)]);
                buf.truncate(OVERLONG_KEPT_BYTES);
            } else {
                buf.extend_from_slice(&available[..take]);
            }
        } else {
            discarded += take;
            if discarded > MAX_DISCARD_BYTES {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "line far too long",
                ));
            }
        }
        r.consume(take);
        if found {
            if too_long {
                return Ok(Line::TooLong);
            }
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(Line::Whole);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn reply_lines_parse_and_stay_one_line() {
        let r = Reply::new(550, "'a\nb': no such file");
        assert_eq!(r.text, "'a\\x0ab': no such file");
        let mut out = Vec::new();
        r.write_to(&mut out).unwrap();
        assert_eq!(out, b"550 'a\\x0ab': no such file\n");
        assert_eq!(Reply::parse(&out[..out.len() - 1]), Some(r));
        assert_eq!(
            Reply::parse(b"226 12 0000abcd").unwrap().length_crc(),
            Some((12, 0xabcd))
        );
        assert_eq!(
            Reply::parse(b"250 99 7").unwrap().length_pair(),
            Some((99, 7))
        );
        assert_eq!(Reply::parse(b"221").unwrap().code, 221);
        for bad in [
            &b"22"[..],
            b"abc x",
            b"2200 x",
            b"099 x",
            b"\xff\xff\xff",
            b"+22 x",
        ] {
            assert_eq!(Reply::parse(bad), None);
        }
        let signed = |text: &str| Reply::parse(text.as_bytes()).unwrap();
        assert_eq!(signed("226 +12 0000abcd").length_crc(), None);
        assert_eq!(signed("226 12 +000abcd").length_crc(), None);
        assert_eq!(signed("250 +99 7").length_pair(), None);
    }

    #[test]
    fn trailers_parse() {
        let done = Trailer::Done {
            length: 5,
            crc: 0xdead_beef,
            stamp: None,
        };
        let stamped = Trailer::Done {
            length: 5,
            crc: 1,
            stamp: Some(Stamp::new(7, 8, 0o640)),
        };
        assert_eq!(stamped.to_line(), "DONE 5 00000001 7.000000008 640\n");
        assert_eq!(
            Trailer::parse(b"DONE 5 00000001 7.000000008 640"),
            Some(stamped)
        );
        assert_eq!(Trailer::parse(b"DONE 5 00000001 7"), None);
        let r = Reply::transfer_ok_stamped(5, 1, Stamp::new(7, 0, 0o755));
        assert_eq!(r.text, "5 00000001 7 755");
        assert_eq!(r.length_crc(), Some((5, 1)));
        assert_eq!(r.stamp(), Some(Stamp::new(7, 0, 0o755)));
        assert_eq!(done.to_line(), "DONE 5 deadbeef\n");
        assert_eq!(Trailer::parse(b"DONE 5 deadbeef"), Some(done));
        assert_eq!(Trailer::parse(b"ABORT"), Some(Trailer::Abort));
        assert_eq!(Trailer::parse(b"DONE 5"), None);
        assert_eq!(Trailer::parse(b"QUIT"), None);
        assert_eq!(Trailer::parse(b"DONE 5 deadbeef junk"), None);
        assert_eq!(Trailer::parse(b"DONE 5 deadbeef 1 644 junk"), None);
        assert_eq!(Trailer::parse(b"ABORT now"), None);
        // Numbers are digits only: no sign, no space, nothing overlong.
        for bad in [
            &b"DONE +5 deadbeef"[..],
            b"DONE 5 +eadbeef",
            b"DONE -0 deadbeef",
            b"DONE  5 deadbeef",
            b"DONE 000000000000000000005 deadbeef",
        ] {
            assert_eq!(Trailer::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn overlong_line_is_discarded_whole() {
        let mut input = vec![b'A'; MAX_LINE_BYTES * 3];
        input.extend_from_slice(b"\nPWD\r\n");
        let mut r = io::BufReader::with_capacity(1000, Cursor::new(input));
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut r, &mut buf).unwrap(), Line::TooLong);
        assert_eq!(read_line(&mut r, &mut buf).unwrap(), Line::Whole);
        assert_eq!(buf, b"PWD");
        assert_eq!(read_line(&mut r, &mut buf).unwrap(), Line::Eof);
    }

    #[test]
    fn numbers_with_a_sign_are_refused() {
        for bad in [
            "DONE +3 deadbeef",
            "DONE 3 +eadbeef",
            "DONE -0 deadbeef",
            "DONE 3 0x00beef",
        ] {
            assert_eq!(Trailer::parse(bad.as_bytes()), None, "{bad}");
        }
        for bad in ["226 +12 0000abcd", "226 12 +000abcd", "226 ١٢ 0000abcd"] {
            assert_eq!(Reply::parse(bad.as_bytes()).unwrap().length_crc(), None);
        }
        assert_eq!(Reply::parse(b"250 +99 7").unwrap().length_pair(), None);
        assert_eq!(Reply::parse(b"250 99 +7").unwrap().length_pair(), None);
    }

    #[test]
    fn payload_announcements_parse() {
        let length_of = |line: &str| Reply::parse(line.as_bytes()).unwrap().announcement();
        assert_eq!(length_of("150 12"), Some((12, false)));
        assert_eq!(length_of("150 12 deflate"), Some((12, true)));
        for bad in ["150 +12", "150 12 raw", "150 12 deflate x", "150", "150 -1"] {
            assert_eq!(length_of(bad), None, "{bad}");
        }
    }
}
