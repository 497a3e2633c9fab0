//! Fuzz target: word splitting, quoting and escaping (`wire::words`). Owns
//! no parser of its own; it only checks the properties the wire relies on.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rftp::wire::words::{escape, one_line, quote, split};

/// Words per line allowed in this target (the wire allows `wire::MAX_WORDS`).
const MAX_WORDS: usize = 64;

fuzz_target!(|data: &[u8]| {
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
    assert!(line.bytes().all(|b| b.is_ascii_graphic() || b == b' '), "{line:?}");
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
