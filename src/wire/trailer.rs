//! The sender's trailer after an upload payload, built and parsed here: the
//! line that says whether the client delivered what its STOR announced.
//! Not a reply, but the same words. Bytes only.

use super::answer::{Sums, words};
use super::stamp::Stamp;

/// The sender's trailer after an upload payload: `DONE LENGTH CRC32 [MTIME
/// MODE]` when it delivered what it announced (with the file's time and
/// permission bits when they are to be kept), `ABORT` when it did not. Not a
/// reply, but the same words.
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
            Trailer::Done { length, crc, stamp } => {
                let sums = Sums { length, crc }.to_words();
                match stamp {
                    None => format!("DONE {sums}\n"),
                    Some(stamp) => format!("DONE {sums} {}\n", stamp.to_words()),
                }
            }
            Trailer::Abort => "ABORT\n".to_string(),
        }
    }

    /// Parse a trailer line; `None` if it is neither form.
    pub fn parse(line: &[u8]) -> Option<Trailer> {
        let text = std::str::from_utf8(line).ok()?;
        let (length, crc, rest) = match words(text)[..] {
            ["ABORT"] => return Some(Trailer::Abort),
            ["DONE", length, crc, ref rest @ ..] => (length, crc, rest.to_vec()),
            _ => return None,
        };
        let Sums { length, crc } = Sums::from_words(length, crc)?;
        let stamp = match rest.len() {
            0 => None,
            2 => Some(Stamp::parse(&mut rest.into_iter())?),
            _ => return None,
        };
        Some(Trailer::Done { length, crc, stamp })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn trailer_numbers_with_a_sign_are_refused() {
        for bad in [
            "DONE +3 deadbeef",
            "DONE 3 +eadbeef",
            "DONE -0 deadbeef",
            "DONE 3 0x00beef",
        ] {
            assert_eq!(Trailer::parse(bad.as_bytes()), None, "{bad}");
        }
    }
}
