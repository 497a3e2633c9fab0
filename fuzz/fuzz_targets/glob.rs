//! Fuzz target: pattern compiling and matching (`fs::glob`). Input: a
//! pattern, a 0xff byte, a name. Checks the promises of the man page: a
//! leading dot only by a pattern that starts with one, `*` and `?` never
//! match `/`, `*` and `*.*` take every other name, and a name with its
//! special characters escaped matches itself and nothing longer. And
//! compares `Pattern` with globset, the matcher it replaced, set as rftp
//! had it (`literal_separator`, `backslash_escape`, `*.*` as `*`, the dot
//! rule on top), skipping only the differences `differs_on_purpose` names.

#![no_main]

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::sync::LazyLock;

use globset::{Glob, GlobBuilder};
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
    let ours = Pattern::new(pattern);
    compare_with_globset(pattern, name, &ours);
    if let Ok(p) = ours {
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

/// Compile `pattern` with globset as rftp did before `fs::glob` had its own
/// matcher, and check that both accept the same patterns and, where both
/// compile, match `name` alike.
fn compare_with_globset(pattern: &[u8], name: &[u8], ours: &Result<Pattern, rftp::error::Error>) {
    let Ok(text) = std::str::from_utf8(pattern) else {
        assert!(ours.is_err(), "invalid UTF-8 pattern {pattern:?} accepted");
        return;
    };
    let theirs = GlobBuilder::new(if text == "*.*" { "*" } else { text })
        .literal_separator(true)
        .backslash_escape(true)
        .build();
    let escape_in_class = backslash_in_class(text);
    let (p, glob) = match (ours, theirs) {
        (Ok(p), Ok(glob)) => (p, glob),
        (Err(_), Err(_)) => return,
        // globset takes a backslash in a class as itself (`[a-\]` is a bad
        // range to it); ours escapes the next character there too.
        (Ok(_), Err(e)) => {
            assert!(escape_in_class, "{text:?} compiles, globset says {e}");
            return;
        }
        (Err(e), Ok(_)) => {
            let why = e.to_string();
            // Refused on purpose: globset nests braces and has no limits.
            let meant = ["nested {", "too many alternatives", "too long"]
                .iter()
                .any(|w| why.contains(w));
            assert!(
                meant || escape_in_class,
                "{text:?} refused ({why}), globset takes it"
            );
            return;
        }
    };
    if name.contains(&b'/') || differs_on_purpose(text, name, &glob) {
        return;
    }
    let dot_ok = !name.starts_with(b".") || pattern.starts_with(b".");
    let want = dot_ok && glob.compile_matcher().is_match(OsStr::from_bytes(name));
    assert_eq!(
        p.matches(name),
        want,
        "{text:?} on {name:?}: globset's regex {}",
        glob.regex()
    );
}

/// Where globset and `Pattern` differ by design, for `name` (which holds
/// no `/`): the comparison is skipped.
fn differs_on_purpose(text: &str, name: &[u8], glob: &Glob) -> bool {
    // globset's `**` alone or beside a separator means "any path" (and its
    // regex's `.` does not take a newline); to rftp, which matches names in
    // one directory, `**` is `*`. Such a token is the only place globset's
    // regex has a `/` outside the `[^/]` of `*` and `?`, or a bare `.*`.
    let regex = glob.regex();
    if regex.replace("[^/]", "").contains('/') || regex.ends_with("^.*$") {
        return true;
    }
    // A backslash in a class: see `backslash_in_class`.
    if backslash_in_class(text) {
        return true;
    }
    // globset matches bytes: its `?` and `[!a]` take one byte of `é`, and
    // its `[é]` either byte; rftp's take one UTF-8 character, as the man
    // page says, where the name decodes (else one byte, as globset's do).
    let wild = text.contains('?') || text.contains('[');
    let name_multibyte = name.utf8_chunks().any(|chunk| !chunk.valid().is_ascii());
    wild && (name_multibyte || (text.contains('[') && !text.is_ascii()))
}

/// Whether a backslash stands inside a `[...]` of `text`, read as globset
/// reads it (a class runs to the first `]` after its first character, with
/// no escapes): globset takes that backslash as itself, rftp as an escape,
/// as the man page says ("a backslash takes the next character literally").
fn backslash_in_class(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '[' => {
                let mut j = i + 1;
                if matches!(chars.get(j), Some('!' | '^')) {
                    j += 1;
                }
                let first = j;
                loop {
                    match chars.get(j) {
                        // Unclosed: refused by both.
                        None => return false,
                        Some('\\') => return true,
                        Some(']') if j > first => break,
                        _ => j += 1,
                    }
                }
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    false
}
