//! File-name patterns for mget, mput, ls, dir and rm: `*`, `?`, `[...]`,
//! `{a,b}` on the names of one directory, with `*.*` meaning every file as
//! on DOS and a leading dot matched only by a pattern that starts with one;
//! and telling a pattern from a plain name. Pure.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use globset::{GlobBuilder, GlobMatcher};

use crate::error::{Cause, Error};

/// Longest pattern accepted, in bytes.
pub const MAX_PATTERN_BYTES: usize = 1024;

/// A compiled pattern for names in one directory.
#[derive(Debug)]
pub struct Pattern {
    matcher: GlobMatcher,
    dot_ok: bool,
}

impl Pattern {
    /// Compile `pattern` (the name part only, no `/`).
    pub fn new(pattern: &[u8]) -> Result<Pattern, Error> {
        let refuse = |why: &'static str| Error::path(pattern, Cause::BadName(why));
        if pattern.len() > MAX_PATTERN_BYTES {
            return Err(refuse("pattern too long"));
        }
        let text =
            std::str::from_utf8(pattern).map_err(|_| refuse("pattern is not valid UTF-8"))?;
        // DOS: `*.*` is every file, with or without a dot.
        let text = if text == "*.*" { "*" } else { text };
        let glob = GlobBuilder::new(text)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|_| refuse("bad pattern"))?;
        Ok(Pattern {
            matcher: glob.compile_matcher(),
            dot_ok: pattern.starts_with(b"."),
        })
    }

    /// Whether the name `name` matches. A name holding a `/` is not a name
    /// in one directory and never matches: globset's `**` would take it.
    pub fn matches(&self, name: &[u8]) -> bool {
        if (name.starts_with(b".") && !self.dot_ok) || name.contains(&b'/') {
            return false;
        }
        self.matcher.is_match(OsStr::from_bytes(name))
    }
}

/// Whether the last name of `path` is a pattern (holds `*`, `?`, `[` or
/// `{`), for the commands that take a name or a pattern (`ls`, `dir`,
/// `rm`): a pattern is matched against its directory's names, a name is
/// used as it is.
pub fn is_pattern(path: &[u8]) -> bool {
    let (_, name) = split_dir(path);
    name.iter().any(|b| matches!(b, b'*' | b'?' | b'[' | b'{'))
}

/// Split `logs/*.txt` into the directory part (`logs`, or `None`) and the
/// name pattern (`*.txt`).
pub fn split_dir(pattern: &[u8]) -> (Option<&[u8]>, &[u8]) {
    match pattern.iter().rposition(|&b| b == b'/') {
        Some(0) => (Some(&b"/"[..]), &pattern[1..]),
        Some(i) => (Some(&pattern[..i]), &pattern[i + 1..]),
        None => (None, pattern),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, name: &str) -> bool {
        Pattern::new(p.as_bytes()).unwrap().matches(name.as_bytes())
    }

    #[test]
    fn pattern_forms() {
        assert!(m("*", "a.txt") && m("*", "noext") && !m("*", ".hidden"));
        assert!(m("*.*", "noext") && m("*.*", "a.b.c") && !m("*.*", ".hidden"));
        assert!(m("*.txt", "a.txt") && !m("*.txt", "a.txt.gz"));
        assert!(m("name.*", "name.gz") && !m("name.*", "name"));
        assert!(m("?.jpg", "a.jpg") && !m("?.jpg", "ab.jpg"));
        assert!(m("[ab]*", "apple") && !m("[ab]*", "cherry"));
        assert!(m("{x,y}.log", "y.log") && !m("{x,y}.log", "z.log"));
        assert!(m(".*", ".hidden"));
        assert!(m("*", "line\nbreak"));
        assert!(Pattern::new(b"\xff*").is_err());
        assert!(Pattern::new(b"[").is_err());
        assert!(Pattern::new(&[b'*'; 2000]).is_err());
    }

    #[test]
    fn invalid_utf8_names_match() {
        let p = Pattern::new(b"*.txt").unwrap();
        assert!(p.matches(b"\xe9t\xe9.txt"));
    }

    #[test]
    fn directory_part_is_split_off() {
        assert_eq!(
            split_dir(b"logs/*.txt"),
            (Some(&b"logs"[..]), &b"*.txt"[..])
        );
        assert_eq!(split_dir(b"/*.txt"), (Some(&b"/"[..]), &b"*.txt"[..]));
        assert_eq!(split_dir(b"*.txt"), (None, &b"*.txt"[..]));
    }

    #[test]
    fn patterns_are_told_from_names() {
        for p in ["*.log", "a?", "[ab]", "{x,y}", "logs/*.txt", "*.*"] {
            assert!(is_pattern(p.as_bytes()), "{p}");
        }
        for n in ["a.log", "logs/a.txt", "a*b/c", "", "/"] {
            assert!(!is_pattern(n.as_bytes()), "{n}");
        }
    }

    #[test]
    fn no_pattern_matches_a_slash() {
        // Found by the `glob` fuzz target: `**` is globset's "any path".
        for p in ["**", "**/x", "x/**", "*", "?", "[!a]", "*/*"] {
            let p = Pattern::new(p.as_bytes()).unwrap();
            for name in ["./", "a/b", "x/x", "/"] {
                assert!(!p.matches(name.as_bytes()), "{p:?} took {name:?}");
            }
        }
    }
}
