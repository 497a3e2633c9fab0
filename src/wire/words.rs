//! Words: splitting a command line into words, quoting a word so that it
//! survives the trip, and escaping a name for display.
//!
//! The same grammar serves the wire and the client's script lines, so a name a
//! user can type is a name the wire can carry. Pure functions over bytes only.

use std::fmt::Write as _;

/// Why a line could not be split into words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitError {
    /// A quote was opened and never closed.
    UnclosedQuote,
    /// A backslash ended the line, or `\x` was not followed by two hex digits.
    BadEscape,
    /// More words than the caller allows.
    TooManyWords,
}

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SplitError::UnclosedQuote => "unclosed quote",
            SplitError::BadEscape => "bad escape",
            SplitError::TooManyWords => "too many words",
        })
    }
}

/// Split `line` into words at spaces and tabs: `'…'` is literal, `"…"` knows the
/// escapes `\" \\ \t \n \r \xNN`, and outside quotes a backslash keeps the next
/// byte. Returns at most `max_words` words or an error.
pub fn split(line: &[u8], max_words: usize) -> Result<Vec<Vec<u8>>, SplitError> {
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while i < line.len() && is_blank(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            return Ok(words);
        }
        if words.len() == max_words {
            return Err(SplitError::TooManyWords);
        }
        let mut word = Vec::new();
        while i < line.len() && !is_blank(line[i]) {
            i = match line[i] {
                b'\'' => single_quoted(line, i + 1, &mut word)?,
                b'"' => double_quoted(line, i + 1, &mut word)?,
                b'\\' => {
                    let &next = line.get(i + 1).ok_or(SplitError::BadEscape)?;
                    word.push(next);
                    i + 2
                }
                b => {
                    word.push(b);
                    i + 1
                }
            };
        }
        words.push(word);
    }
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Copy a single-quoted run starting at `i` (after the quote); returns the index
/// after the closing quote.
fn single_quoted(line: &[u8], i: usize, word: &mut Vec<u8>) -> Result<usize, SplitError> {
    let rest = &line[i..];
    let end = rest
        .iter()
        .position(|&b| b == b'\'')
        .ok_or(SplitError::UnclosedQuote)?;
    word.extend_from_slice(&rest[..end]);
    Ok(i + end + 1)
}

/// Copy a double-quoted run starting at `i` (after the quote), decoding escapes;
/// returns the index after the closing quote.
fn double_quoted(line: &[u8], mut i: usize, word: &mut Vec<u8>) -> Result<usize, SplitError> {
    loop {
        match line.get(i) {
            None => return Err(SplitError::UnclosedQuote),
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => {
                let (byte, used) = unescape(&line[i + 1..])?;
                word.push(byte);
                i += 1 + used;
            }
            Some(&b) => {
                word.push(b);
                i += 1;
            }
        }
    }
}

/// Decode one escape (the bytes after a backslash); returns the byte and how
/// many input bytes it used.
fn unescape(rest: &[u8]) -> Result<(u8, usize), SplitError> {
    match rest.first() {
        Some(b'"') => Ok((b'"', 1)),
        Some(b'\\') => Ok((b'\\', 1)),
        Some(b't') => Ok((b'\t', 1)),
        Some(b'n') => Ok((b'\n', 1)),
        Some(b'r') => Ok((b'\r', 1)),
        Some(b'x') => {
            let hex = rest.get(1..3).ok_or(SplitError::BadEscape)?;
            let byte = super::number::hex_exact(hex, 2)
                .and_then(|n| u8::try_from(n).ok())
                .ok_or(SplitError::BadEscape)?;
            Ok((byte, 3))
        }
        _ => Err(SplitError::BadEscape),
    }
}

/// Quote `word` for a command line: bare when it is non-empty printable ASCII
/// without quotes or backslashes, otherwise in double quotes with every other
/// byte escaped, so the line stays one line of ASCII.
pub fn quote(word: &[u8]) -> String {
    let bare = !word.is_empty()
        && word
            .iter()
            .all(|&b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'\\' | b'#'));
    if bare {
        // Safe: every byte was checked to be ASCII.
        return String::from_utf8_lossy(word).into_owned();
    }
    let mut out = String::with_capacity(word.len() + 2);
    out.push('"');
    for &b in word {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b' '..=b'~' => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    out
}

/// Show `name` to a person: valid UTF-8 printable characters as they are,
/// backslash as `\\`, control characters and invalid bytes as `\n`, `\t`,
/// `\r` or `\xNN` — the form one can type back inside double quotes.
pub fn escape(name: &[u8]) -> String {
    let mut out = String::with_capacity(name.len());
    for chunk in name.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c if c.is_control() || is_invisible(c) => {
                    let mut buf = [0; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        let _ = write!(out, "\\x{b:02x}");
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Format characters that change how text around them shows (bidirectional
/// overrides, zero-width and line/paragraph separators): a name holding them
/// could pass for another on a terminal.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}')
}

/// Drop the newline (and carriage returns) at the end of a line read whole.
pub fn strip_line_end(line: &mut Vec<u8>) {
    while line.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
        line.pop();
    }
}

/// Make `text` safe as one line: control characters become `\xNN` escapes,
/// everything else (backslashes included) stays as it is.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || is_invisible(c) {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "\\x{b:02x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<Vec<u8>> {
        split(line.as_bytes(), 16).unwrap()
    }

    #[test]
    fn split_at_spaces_and_tabs() {
        assert_eq!(words("  get\ta.txt   b "), [&b"get"[..], b"a.txt", b"b"]);
        assert!(words("   ").is_empty());
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            words("get \"two words.txt\""),
            [&b"get"[..], b"two words.txt"]
        );
        assert_eq!(words("put \"it's\""), [&b"put"[..], b"it's"]);
        assert_eq!(words("'a\\b' c\\ d"), [&b"a\\b"[..], b"c d"]);
        assert_eq!(words("\"\\xe9t\\xe9\""), [vec![0xe9, b't', 0xe9]]);
        assert_eq!(words("a\"b c\"d"), [&b"ab cd"[..]]);
        assert_eq!(words("\"\""), [&b""[..]]);
    }

    #[test]
    fn bad_lines_are_refused() {
        assert_eq!(split(b"get \"open", 4), Err(SplitError::UnclosedQuote));
        assert_eq!(split(b"get 'open", 4), Err(SplitError::UnclosedQuote));
        assert_eq!(split(b"get a\\", 4), Err(SplitError::BadEscape));
        assert_eq!(split(b"\"\\xZZ\"", 4), Err(SplitError::BadEscape));
        assert_eq!(split(b"\"\\x+f\"", 4), Err(SplitError::BadEscape));
        assert_eq!(split(b"\"\\q\"", 4), Err(SplitError::BadEscape));
        assert_eq!(split(b"a b c", 2), Err(SplitError::TooManyWords));
    }

    #[test]
    fn quote_round_trips_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        for word in [
            &all[..],
            b"",
            b"plain.txt",
            b"two words",
            b"#x",
            b"a\nb",
            b"'\"\\",
        ] {
            let line = quote(word);
            assert!(line.bytes().all(|b| b.is_ascii_graphic() || b == b' '));
            assert_eq!(split(line.as_bytes(), 1).unwrap(), [word.to_vec()]);
        }
        assert_eq!(quote(b"a.txt"), "a.txt");
    }

    #[test]
    fn escape_shows_controls_and_invalid_bytes() {
        assert_eq!(escape("é 😀.txt".as_bytes()), "é 😀.txt");
        assert_eq!(escape(b"file\n1\x07.txt"), "file\\n1\\x07.txt");
        assert_eq!(escape(b"\xe9t\xe9"), "\\xe9t\\xe9");
        assert_eq!(escape(b"a\\b"), "a\\\\b");
        assert_eq!(escape("\u{85}".as_bytes()), "\\xc2\\x85");
        assert_eq!(escape("a\u{202e}b".as_bytes()), "a\\xe2\\x80\\xaeb");
    }

    #[test]
    fn hex_escape_takes_two_hex_digits_only() {
        // `from_str_radix` alone took `\x+f` for 0x0f.
        assert_eq!(split(b"\"\\x+f\"", 1), Err(SplitError::BadEscape));
        assert_eq!(split(b"\"\\x-1\"", 1), Err(SplitError::BadEscape));
        assert_eq!(split(b"\"\\xFf\"", 1), Ok(vec![vec![0xff]]));
    }
}
