//! Fuzz target: pattern compiling and matching (`fs::glob`). Input: a
//! pattern, a 0xff byte, a name. Checks the promises of the man page: a
//! leading dot only by a pattern that starts with one, `*` and `?` never
//! match `/`, `*` and `*.*` take every other name, and a name with its
//! special characters escaped matches itself and nothing longer.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use rftp::fs::glob::{MAX_PATTERN_BYTES, Pattern, split_dir};

/// `*` and `*.*`, compiled once: both take every name but dot-files.
static EVERY: LazyLock<[Pattern; 2]> = LazyLock::new(|| {
    let compile = |p: &str| Pattern::new(p.as_bytes()).expect("a fixed pattern compiles");
    [compile("*"), compile("*.*")]
});

fuzz_target!(|data: &[u8]| {
    let (pattern, name) = match data.iter().position(|&b| b == 0xff) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b"name.txt"[..]),
    };
    if let Ok(p) = Pattern::new(pattern) {
        assert!(pattern.len() <= MAX_PATTERN_BYTES);
        let hit = p.matches(name);
        if hit && name.starts_with(b".") {
            assert!(pattern.starts_with(b"."), "dot-file taken");
        }
        if hit && !pattern.iter().any(|b| b"/[\\".contains(b)) {
            assert!(!name.contains(&b'/'), "a wildcard matched a slash");
        }
    }
    let plain = !name.starts_with(b".") && !name.contains(&b'/');
    for every in EVERY.iter() {
        assert_eq!(every.matches(name), plain, "{every:?} on {name:?}");
    }
    literal_matches_itself(name);
    let (dir, last) = split_dir(pattern);
    assert!(!last.contains(&b'/'));
    if let Some(dir) = dir {
        assert!(dir == b"/" || !dir.is_empty());
    }
});

/// A name (without a slash, which no name in a directory has) with every
/// special character escaped matches itself only.
fn literal_matches_itself(name: &[u8]) {
    let Ok(text) = std::str::from_utf8(name) else {
        return;
    };
    if text.contains('/') {
        return;
    }
    let mut escaped = String::new();
    for c in text.chars() {
        if "*?[]{}\\,!^-".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    if escaped.len() > MAX_PATTERN_BYTES {
        return;
    }
    let p = Pattern::new(escaped.as_bytes()).expect("an escaped name compiles");
    assert!(p.matches(name), "{escaped:?} misses {name:?}");
    assert!(!p.matches(&[name, b"x"].concat()));
}
