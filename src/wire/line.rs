//! Bounded line reading: command lines, reply lines and the upload trailer
//! all come off the stream through `read_line`, which never holds more than
//! `MAX_LINE_BYTES` and throws an overlong line away whole. `BufRead` only.

use std::io::{self, BufRead};

/// Longest command or reply line, in bytes, newline included; a longer one is
/// discarded whole and answered with an error.
pub const MAX_LINE_BYTES: usize = 32 * 1024;
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
}
