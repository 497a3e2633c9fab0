//! Reply lines: a three-digit code and a short text, written and read here.
//! What a text means, for the replies that carry values, is `answer`'s.
//! Bytes only, no sockets.

use std::io::{self, Write};

use super::number;
use super::words;

/// One reply line: a three-digit code and a short text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit code.
    pub code: u16,
    /// The text after the code, one line, no control bytes.
    pub text: String,
}

impl Reply {
    /// A reply with `code` and `text` (control bytes in `text` are escaped).
    pub fn new(code: u16, text: impl AsRef<str>) -> Reply {
        Reply {
            code,
            text: words::one_line(text.as_ref()),
        }
    }

    /// 2xx.
    pub fn is_ok(&self) -> bool {
        (200..300).contains(&self.code)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_lines_parse_and_stay_one_line() {
        let r = Reply::new(550, "'a\nb': no such file");
        assert_eq!(r.text, "'a\\x0ab': no such file");
        let mut out = Vec::new();
        r.write_to(&mut out).unwrap();
        assert_eq!(out, b"550 'a\\x0ab': no such file\n");
        assert_eq!(Reply::parse(&out[..out.len() - 1]), Some(r));
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
    }
}
