//! Keys from the bytes a terminal sends: UTF-8 characters, control keys, and
//! the escape sequences of arrows, Home/End, Delete and the Alt and Ctrl
//! word moves (xterm, VT100 application mode, the Linux console, rxvt).
//! A pure decoder over a byte buffer; reading the terminal is the editor's.

/// One key press, as the editor acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A character to insert.
    Char(char),
    /// Return or Enter (also Ctrl-J, Ctrl-M).
    Enter,
    /// Tab (Ctrl-I).
    Tab,
    /// Backspace (DEL or Ctrl-H).
    Backspace,
    /// Delete, the key (ESC [ 3 ~).
    Delete,
    /// Left arrow, Ctrl-B.
    Left,
    /// Right arrow, Ctrl-F.
    Right,
    /// Up arrow, Ctrl-P.
    Up,
    /// Down arrow, Ctrl-N.
    Down,
    /// Home, Ctrl-A.
    Home,
    /// End, Ctrl-E.
    End,
    /// Alt-b, Ctrl-Left, Alt-Left.
    WordLeft,
    /// Alt-f, Ctrl-Right, Alt-Right.
    WordRight,
    /// Alt-d: delete the word after the cursor.
    KillWordRight,
    /// Ctrl-W, Alt-Backspace: delete the word before the cursor.
    KillWordLeft,
    /// Ctrl-K: delete to the end of the line.
    KillEnd,
    /// Ctrl-U: delete to the start of the line.
    KillStart,
    /// Ctrl-Y: insert the text deleted last.
    Yank,
    /// Ctrl-T: swap the two characters at the cursor.
    Transpose,
    /// Ctrl-L: clear the screen.
    ClearScreen,
    /// Ctrl-R: search the history backwards.
    Search,
    /// Ctrl-C.
    Interrupt,
    /// Ctrl-D: end of input on an empty line, else Delete.
    EndOfInput,
    /// Ctrl-Z: suspend.
    Suspend,
    /// Ctrl-G, or Escape alone: cancel (a search).
    Cancel,
    /// Anything else: a key or sequence the editor does not use.
    Other,
}

/// What `decode` found at the start of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    /// A key, and how many bytes it took.
    Key(Key, usize),
    /// The bytes so far start a key but do not finish it: read more (and
    /// when nothing comes soon, call `flush`).
    Partial,
}

/// Most bytes one escape sequence may take before it is thrown away whole.
const MAX_SEQUENCE_BYTES: usize = 16;
/// The escape byte.
const ESC: u8 = 0x1b;

/// Decode the first key of `buf` (which must not be empty).
pub fn decode(buf: &[u8]) -> Decoded {
    let Some(&first) = buf.first() else {
        return Decoded::Partial;
    };
    match first {
        ESC => escape(buf),
        0x80.. => utf8(buf),
        _ => Decoded::Key(control(first), 1),
    }
}

/// The key for bytes that stopped coming before a sequence was finished:
/// a lone Escape is Cancel, the rest of a broken sequence is dropped.
pub fn flush(buf: &[u8]) -> (Key, usize) {
    if buf == [ESC] {
        (Key::Cancel, 1)
    } else {
        (Key::Other, buf.len().max(1))
    }
}

fn control(b: u8) -> Key {
    match b {
        b'\r' | b'\n' => Key::Enter,
        b'\t' => Key::Tab,
        0x7f | 0x08 => Key::Backspace,
        0x01 => Key::Home,
        0x02 => Key::Left,
        0x03 => Key::Interrupt,
        0x04 => Key::EndOfInput,
        0x05 => Key::End,
        0x06 => Key::Right,
        0x07 => Key::Cancel,
        0x0b => Key::KillEnd,
        0x0c => Key::ClearScreen,
        0x0e => Key::Down,
        0x10 => Key::Up,
        0x12 => Key::Search,
        0x14 => Key::Transpose,
        0x15 => Key::KillStart,
        0x17 => Key::KillWordLeft,
        0x19 => Key::Yank,
        0x1a => Key::Suspend,
        0x20..=0x7e => Key::Char(char::from(b)),
        _ => Key::Other,
    }
}

/// A UTF-8 character; an invalid byte is one `Other` key.
fn utf8(buf: &[u8]) -> Decoded {
    let len = match buf[0] {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return Decoded::Key(Key::Other, 1),
    };
    let Some(bytes) = buf.get(..len) else {
        // A continuation byte may still come; a non-continuation one never.
        if buf[1..].iter().all(|&b| b & 0xc0 == 0x80) {
            return Decoded::Partial;
        }
        return Decoded::Key(Key::Other, 1);
    };
    match std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.chars().next())
    {
        Some(c) if !c.is_control() => Decoded::Key(Key::Char(c), len),
        Some(_) => Decoded::Key(Key::Other, len),
        None => Decoded::Key(Key::Other, 1),
    }
}

/// ESC and what follows: Alt-key, CSI (`ESC [`) or SS3 (`ESC O`).
fn escape(buf: &[u8]) -> Decoded {
    match buf.get(1) {
        None => Decoded::Partial,
        Some(b'[') => csi(buf),
        Some(b'O') => match buf.get(2) {
            None => Decoded::Partial,
            Some(&b) => Decoded::Key(ss3(b), 3),
        },
        Some(&b) => Decoded::Key(alt(b), 2),
    }
}

fn alt(b: u8) -> Key {
    match b {
        b'b' | b'B' => Key::WordLeft,
        b'f' | b'F' => Key::WordRight,
        b'd' | b'D' => Key::KillWordRight,
        0x7f | 0x08 => Key::KillWordLeft,
        ESC => Key::Cancel,
        _ => Key::Other,
    }
}

fn ss3(b: u8) -> Key {
    match b {
        b'A' => Key::Up,
        b'B' => Key::Down,
        b'C' => Key::Right,
        b'D' => Key::Left,
        b'H' => Key::Home,
        b'F' => Key::End,
        _ => Key::Other,
    }
}

/// `ESC [ PARAMS FINAL`: parameters are digits and `;`, the final byte is
/// in 0x40..=0x7e. A sequence longer than `MAX_SEQUENCE_BYTES` is dropped.
fn csi(buf: &[u8]) -> Decoded {
    let body = &buf[2..];
    let Some(end) = body.iter().position(|&b| (0x40..=0x7e).contains(&b)) else {
        if buf.len() >= MAX_SEQUENCE_BYTES {
            return Decoded::Key(Key::Other, buf.len());
        }
        return Decoded::Partial;
    };
    let params = &body[..end];
    let last = body[end];
    let used = 2 + end + 1;
    // The modifier is the second parameter: 3 Alt, 5 Ctrl (and their mixes).
    let modified = params
        .split(|&b| b == b';')
        .nth(1)
        .is_some_and(|m| !m.is_empty() && m != b"1");
    let key = match (last, params) {
        (b'A', _) => Key::Up,
        (b'B', _) => Key::Down,
        (b'C', _) if modified => Key::WordRight,
        (b'D', _) if modified => Key::WordLeft,
        (b'C', _) => Key::Right,
        (b'D', _) => Key::Left,
        (b'H', _) => Key::Home,
        (b'F', _) => Key::End,
        (b'~', p) => match p.split(|&b| b == b';').next().unwrap_or_default() {
            b"1" | b"7" => Key::Home,
            b"4" | b"8" => Key::End,
            b"3" => Key::Delete,
            _ => Key::Other,
        },
        _ => Key::Other,
    };
    Decoded::Key(key, used)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(mut bytes: &[u8]) -> Vec<Key> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            match decode(bytes) {
                Decoded::Key(k, n) => {
                    out.push(k);
                    bytes = &bytes[n..];
                }
                Decoded::Partial => {
                    let (k, n) = flush(bytes);
                    out.push(k);
                    bytes = &bytes[n..];
                }
            }
        }
        out
    }

    #[test]
    fn arrows_and_friends() {
        use Key::*;
        assert_eq!(
            keys(b"\x1b[A\x1b[B\x1b[C\x1b[D\x1bOA\x1bOH\x1b[F\x1b[3~\x1b[1~\x1b[4~"),
            [Up, Down, Right, Left, Up, Home, End, Delete, Home, End]
        );
        assert_eq!(
            keys(b"\x1b[1;5C\x1b[1;5D\x1b[1;3D\x1bb\x1bf\x1bd\x1b\x7f"),
            [
                WordRight,
                WordLeft,
                WordLeft,
                WordLeft,
                WordRight,
                KillWordRight,
                KillWordLeft
            ]
        );
        assert_eq!(keys(b"\x1b[5~\x1b[200~x"), [Other, Other, Char('x')]);
    }

    #[test]
    fn control_keys() {
        use Key::*;
        assert_eq!(
            keys(b"\x01\x05\x0b\x15\x17\x19\x0c\x12\x03\x04\r\t\x7f\x08"),
            [
                Home,
                End,
                KillEnd,
                KillStart,
                KillWordLeft,
                Yank,
                ClearScreen,
                Search,
                Interrupt,
                EndOfInput,
                Enter,
                Tab,
                Backspace,
                Backspace
            ]
        );
    }

    #[test]
    fn utf8_characters_and_partial_input() {
        assert_eq!(
            keys("é日😀".as_bytes()),
            [Key::Char('é'), Key::Char('日'), Key::Char('😀')]
        );
        assert_eq!(decode(&"日".as_bytes()[..2]), Decoded::Partial);
        assert_eq!(decode(b"\x1b"), Decoded::Partial);
        assert_eq!(decode(b"\x1b[1;"), Decoded::Partial);
        assert_eq!(flush(b"\x1b"), (Key::Cancel, 1));
        // Invalid UTF-8 is dropped byte by byte, never inserted.
        assert_eq!(keys(b"\xff\xc3("), [Key::Other, Key::Other, Key::Char('(')]);
        // An endless sequence is thrown away, not waited on for ever.
        let long = [b"\x1b[".as_slice(), &[b'1'; 20]].concat();
        assert!(matches!(decode(&long), Decoded::Key(Key::Other, _)));
    }
}
