//! Fuzz target: word splitting, quoting and escaping (`wire::words`). Owns
//! no parser of its own; it only checks the properties the wire relies on.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rftp::wire::words::{escape, one_line, quote, split};

/// Words per line allowed in this target (the wire allows `wire::MAX_WORDS`).
const MAX_WORDS: usize = 64;

fuzz_target!(|data: &[u8]| {
    assert_eq!(split(data, MAX_WORDS).ok(), model_split(data));
    split_is_bounded_and_requotes(data);
    quoting_round_trips(data);
    shown_names_are_one_line(data);
});

/// Whatever splits re-splits to the same words once each is quoted.
fn split_is_bounded_and_requotes(line: &[u8]) {
    let Ok(words) = split(line, MAX_WORDS) else {
        return;
    };
    assert!(words.len() <= MAX_WORDS);
    let joined: Vec<String> = words.iter().map(|w| quote(w)).collect();
    let again = split(joined.join(" ").as_bytes(), MAX_WORDS).expect("quoted words split");
    assert_eq!(again, words);
}

/// Any bytes, cut into words at 0xff, quote into one ASCII line that splits
/// back into exactly those words.
fn quoting_round_trips(data: &[u8]) {
    let words: Vec<&[u8]> = data.split(|&b| b == 0xff).take(MAX_WORDS).collect();
    let line: Vec<String> = words.iter().map(|w| quote(w)).collect();
    let line = line.join(" ");
    assert!(
        line.bytes().all(|b| b.is_ascii_graphic() || b == b' '),
        "{line:?}"
    );
    let back = split(line.as_bytes(), MAX_WORDS).expect("quoted words split");
    assert_eq!(back, words);
}

/// Escaped names and one-line texts hold no control or invisible characters.
fn shown_names_are_one_line(data: &[u8]) {
    let shown = escape(data);
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
    if let Ok(text) = std::str::from_utf8(data) {
        let line = one_line(text);
        assert!(!line.chars().any(char::is_control), "{line:?}");
        assert!(!line.contains('\u{202e}') && !line.contains('\u{2028}'));
    }
}

/// The grammar of the man page, written again as a byte-at-a-time state
/// machine: blanks split words, `'…'` is literal, `"…"` knows `\" \\ \t
/// \n \r \xNN` (two hex digits), outside quotes `\` keeps the next byte.
fn model_split(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    #[derive(PartialEq)]
    enum At {
        Blank,
        Bare,
        Single,
        Double,
    }
    let (mut at, mut words, mut bytes) = (At::Blank, Vec::<Vec<u8>>::new(), line.iter());
    while let Some(&b) = bytes.next() {
        match at {
            At::Blank | At::Bare if b == b' ' || b == b'\t' => at = At::Blank,
            At::Blank | At::Bare => {
                if at == At::Blank {
                    words.push(Vec::new());
                }
                let word = words.last_mut()?;
                at = At::Bare;
                match b {
                    b'\'' => at = At::Single,
                    b'"' => at = At::Double,
                    b'\\' => word.push(*bytes.next()?),
                    b => word.push(b),
                }
            }
            At::Single if b == b'\'' => at = At::Bare,
            At::Double if b == b'"' => at = At::Bare,
            At::Single => words.last_mut()?.push(b),
            At::Double if b != b'\\' => words.last_mut()?.push(b),
            At::Double => {
                let byte = match bytes.next()? {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b't' => b'\t',
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b'x' => {
                        let hex = |b: Option<&u8>| (*b? as char).to_digit(16);
                        let (hi, lo) = (hex(bytes.next())?, hex(bytes.next())?);
                        (hi * 16 + lo) as u8
                    }
                    _ => return None,
                };
                words.last_mut()?.push(byte);
            }
        }
    }
    let closed = at == At::Blank || at == At::Bare;
    (closed && words.len() <= MAX_WORDS).then_some(words)
}
