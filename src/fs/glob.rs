//! File-name patterns for mget, mput, ls, dir and rm: `*`, `?`, `[...]`,
//! `{a,b}` on the names of one directory, with `*.*` meaning every file as
//! on DOS and a leading dot matched only by a pattern that starts with one;
//! and telling a pattern from a plain name. Pure. A pattern compiles to at
//! most `MAX_ALTERNATIVES` token lists (its `{...}` groups multiplied out),
//! each matched with one backtrack point, so a match costs at most
//! alternatives x name length x pattern length steps, never a recursion.

use std::fmt;

use crate::error::{Cause, Error};

/// Longest pattern accepted, in bytes.
pub const MAX_PATTERN_BYTES: usize = 1024;

/// Most alternatives a pattern's `{...}` groups may multiply out to
/// (`{a,b}{c,d}` is 4): bounds both the memory and the time of a match.
pub const MAX_ALTERNATIVES: usize = 256;

/// A compiled pattern for names in one directory.
pub struct Pattern {
    /// The pattern as given, for `Debug`.
    text: String,
    /// The `{...}` groups multiplied out; a name matching any one matches.
    alternatives: Vec<Vec<Token>>,
    /// The `[...]` classes the tokens point into.
    classes: Vec<Class>,
    /// Whether a name starting with a dot may match.
    dot_ok: bool,
}

/// One step of a pattern: each but `Star` takes exactly one character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// This character.
    Literal(char),
    /// `?`: any one character.
    Any,
    /// `*`: any run of characters, none too.
    Star,
    /// `[...]`: one character of (or, negated, not of) `classes[i]`.
    Class(usize),
}

/// A `[...]` set: inclusive ranges of characters.
#[derive(Debug)]
struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl Class {
    /// Whether the character `c` (`None`: a byte that is not UTF-8) is taken.
    fn takes(&self, c: Option<char>) -> bool {
        match c {
            Some(c) => self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != self.negated,
            None => self.negated,
        }
    }
}

/// A pattern before its groups are multiplied out.
enum Part {
    Token(Token),
    /// `{a,b}`: the alternatives that are not empty.
    Group(Vec<Vec<Token>>),
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern").field(&self.text).finish()
    }
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
        let source = if text == "*.*" { "*" } else { text };
        let mut classes = Vec::new();
        let parts = parse(source, &mut classes).map_err(refuse)?;
        let alternatives = expand(parts).map_err(refuse)?;
        Ok(Pattern {
            text: text.to_string(),
            alternatives,
            classes,
            dot_ok: pattern.starts_with(b"."),
        })
    }

    /// Whether the name `name` matches. A name holding a `/` is not a name
    /// in one directory and never matches.
    pub fn matches(&self, name: &[u8]) -> bool {
        if (name.starts_with(b".") && !self.dot_ok) || name.contains(&b'/') {
            return false;
        }
        self.alternatives
            .iter()
            .any(|tokens| self.matches_tokens(tokens, name))
    }

    /// Whether `name` matches `tokens` whole: the classic wildcard match,
    /// remembering only the last `*` to retry with one more character.
    fn matches_tokens(&self, tokens: &[Token], name: &[u8]) -> bool {
        let (mut t, mut n) = (0, 0);
        // After the last `*`: the token after it and where its run ends.
        let mut retry: Option<(usize, usize)> = None;
        while n < name.len() {
            let (c, len) = char_at(name, n);
            match tokens.get(t) {
                Some(Token::Star) => {
                    retry = Some((t + 1, n));
                    t += 1;
                    continue;
                }
                Some(&tok) if self.takes(tok, c) => {
                    t += 1;
                    n += len;
                    continue;
                }
                _ => {}
            }
            let Some((after, end)) = retry else {
                return false;
            };
            // The `*` takes one more character and the rest is tried again.
            let (_, len) = char_at(name, end);
            retry = Some((after, end + len));
            t = after;
            n = end + len;
        }
        tokens
            .get(t..)
            .is_some_and(|rest| rest.iter().all(|&tok| tok == Token::Star))
    }

    /// Whether the one-character token `tok` takes `c` (`None`: a byte that
    /// is not UTF-8).
    fn takes(&self, tok: Token, c: Option<char>) -> bool {
        match tok {
            Token::Literal(l) => c == Some(l),
            Token::Any => true,
            Token::Star => false,
            Token::Class(i) => self.classes.get(i).is_some_and(|class| class.takes(c)),
        }
    }
}

/// The character of `name` at byte `at` and its length in bytes: one UTF-8
/// scalar value where the bytes decode, else one byte (`None`).
fn char_at(name: &[u8], at: usize) -> (Option<char>, usize) {
    if let Some(&b) = name.get(at)
        && b.is_ascii()
    {
        return (Some(char::from(b)), 1);
    }
    let rest = name.get(at..).unwrap_or_default();
    let window = rest.get(..4).unwrap_or(rest);
    let valid = match std::str::from_utf8(window) {
        Ok(s) => s,
        Err(e) => window
            .get(..e.valid_up_to())
            .and_then(|v| std::str::from_utf8(v).ok())
            .unwrap_or_default(),
    };
    match valid.chars().next() {
        Some(c) => (Some(c), c.len_utf8()),
        None => (None, 1),
    }
}

/// Parse `text` into tokens and `{...}` groups, adding its classes to
/// `classes`; a backslash takes the next character literally, everywhere.
fn parse(text: &str, classes: &mut Vec<Class>) -> Result<Vec<Part>, &'static str> {
    let mut parts = Vec::new();
    // Inside `{...}`: its alternatives so far, the last one growing.
    let mut group: Option<Vec<Vec<Token>>> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        let token = match c {
            '\\' => Token::Literal(chars.next().ok_or("pattern ends in a backslash")?),
            '*' => Token::Star,
            '?' => Token::Any,
            '[' => {
                classes.push(parse_class(&mut chars)?);
                Token::Class(classes.len() - 1)
            }
            '{' if group.is_some() => return Err("nested { in pattern"),
            '{' => {
                group = Some(vec![Vec::new()]);
                continue;
            }
            '}' => {
                let mut alternatives = group.take().ok_or("unmatched } in pattern")?;
                // As globset did: an empty alternative is dropped.
                alternatives.retain(|a| !a.is_empty());
                parts.push(Part::Group(alternatives));
                continue;
            }
            ',' if group.is_some() => {
                if let Some(g) = group.as_mut() {
                    g.push(Vec::new());
                }
                continue;
            }
            c => Token::Literal(c),
        };
        match group.as_mut().and_then(|g| g.last_mut()) {
            Some(alternative) => alternative.push(token),
            None => parts.push(Part::Token(token)),
        }
    }
    if group.is_some() {
        return Err("unclosed { in pattern");
    }
    Ok(parts)
}

/// Parse a class after its `[`, through its `]`: `!` or `^` first negates,
/// `]` first and `-` first or last are literal, `a-z` is a range, and a
/// backslash takes the next character literally.
fn parse_class(chars: &mut std::str::Chars<'_>) -> Result<Class, &'static str> {
    const UNCLOSED: &str = "unclosed [ in pattern";
    let mut negated = false;
    let mut ranges: Vec<(char, char)> = Vec::new();
    let mut first = true;
    // After a `-` that follows a character: the next one ends a range.
    let mut in_range = false;
    loop {
        let c = chars.next().ok_or(UNCLOSED)?;
        let c = match c {
            '!' | '^' if first && !negated && ranges.is_empty() => {
                negated = true;
                continue;
            }
            ']' if !first => break,
            '-' if !first && !in_range => {
                in_range = true;
                continue;
            }
            '\\' => chars.next().ok_or(UNCLOSED)?,
            c => c,
        };
        first = false;
        match ranges.last_mut() {
            Some(last) if in_range => {
                if c < last.0 {
                    return Err("bad range in pattern");
                }
                last.1 = c;
                in_range = false;
            }
            _ => ranges.push((c, c)),
        }
    }
    if in_range {
        ranges.push(('-', '-'));
    }
    Ok(Class { negated, ranges })
}

/// Multiply out the groups of `parts` into the token lists a name may
/// match, at most `MAX_ALTERNATIVES`; runs of `*` become one.
fn expand(parts: Vec<Part>) -> Result<Vec<Vec<Token>>, &'static str> {
    let mut alternatives: Vec<Vec<Token>> = vec![Vec::new()];
    for part in parts {
        match part {
            Part::Token(token) => alternatives.iter_mut().for_each(|a| push(a, token)),
            // Empty, `{}` takes nothing, as globset's did.
            Part::Group(group) if group.is_empty() => {}
            Part::Group(group) => {
                if alternatives.len().saturating_mul(group.len()) > MAX_ALTERNATIVES {
                    return Err("pattern has too many alternatives");
                }
                let mut product = Vec::with_capacity(alternatives.len() * group.len());
                for a in &alternatives {
                    for g in &group {
                        let mut both = a.clone();
                        g.iter().for_each(|&token| push(&mut both, token));
                        product.push(both);
                    }
                }
                alternatives = product;
            }
        }
    }
    Ok(alternatives)
}

/// Append `token` to `tokens`, but never a `*` right after a `*`.
fn push(tokens: &mut Vec<Token>, token: Token) {
    if !(token == Token::Star && tokens.last() == Some(&Token::Star)) {
        tokens.push(token);
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

    fn refused(p: &[u8]) -> String {
        Pattern::new(p).unwrap_err().to_string()
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
    fn stars_take_any_run() {
        assert!(m("*", "") && m("a*", "a") && m("*a", "a") && m("a*b", "ab"));
        assert!(m("a*b*c", "aXbYbZc") && !m("a*b*c", "aXbYbZ"));
        assert!(m("**", "x") && m("a**b", "axxb") && m("***.c", "x.c"));
        assert!(!m("a*", "ba") && !m("*a", "ab"));
        assert!(m("*.tar.gz", "x.tar.gz") && !m("*.tar.gz", "x.tar.gzz"));
    }

    #[test]
    fn question_mark_takes_one_character() {
        assert!(m("???", "abc") && !m("???", "ab") && !m("???", "abcd"));
        // One UTF-8 scalar value, not one byte.
        assert!(m("?", "é") && m("?", "€") && m("?", "🦀") && !m("??", "é"));
        assert!(m("a?c", "a€c") && !m("*??", "€"));
        // A byte that is not UTF-8 is one character of its own.
        let p = Pattern::new(b"?x?").unwrap();
        assert!(p.matches(b"\xffx\xfe") && !p.matches(b"\xe2\x82\xacx"));
        assert!(Pattern::new(b"?x??").unwrap().matches(b"\xffx\xe2\x82"));
        assert!(Pattern::new(b"??").unwrap().matches(b"\xe2\x82"));
    }

    #[test]
    fn classes() {
        assert!(m("[a-c]", "b") && !m("[a-c]", "d") && m("[a-cx-z]", "y"));
        assert!(m("[!a-c]", "d") && !m("[!a-c]", "a") && m("[^0-9]x", "ax"));
        assert!(!m("[^0-9]x", "5x"));
        // `]` first is literal, as is `-` first or last.
        assert!(m("[]]", "]") && m("[]a]", "a") && m("[!]]", "a") && !m("[!]]", "]"));
        assert!(m("[-a]", "-") && m("[a-]", "-") && !m("[a-]", "b"));
        assert!(m("[!-]", "a") && !m("[!-]", "-"));
        // `!` or `^` only negate first.
        assert!(m("[a!]", "!") && m("[a^]", "^") && !m("[a!]", "b"));
        assert!(m("[é-ê]", "ê") && !m("[é-ê]", "e") && m("[!é]", "e"));
        let p = Pattern::new(b"[!a]").unwrap();
        assert!(p.matches(b"\xff") && !Pattern::new(b"[a]").unwrap().matches(b"\xff"));
    }

    #[test]
    fn backslash_escapes_inside_and_outside_classes() {
        for special in ["*", "?", "[", "]", "{", "}", ",", "\\", "!", "-"] {
            let p = format!("a\\{special}b");
            assert!(m(&p, &format!("a{special}b")), "{p}");
            assert!(!m(&p, "axb"), "{p}");
        }
        assert!(m(r"\*", "*") && !m(r"\*", "x") && m(r"\a", "a"));
        assert!(m(r"[\]]", "]") && !m(r"[\]]", r"\"));
        assert!(m(r"[a\-z]", "-") && !m(r"[a\-z]", "b") && m(r"[\!a]", "!"));
        assert!(m(r"[\\]", r"\") && m(r"[a-\z]", "m"));
        assert!(m(r"{a\,b,c}", "a,b") && m(r"{a\}b,c}", "a}b") && !m(r"{a\,b,c}", "a"));
        assert!(m("a,b", "a,b"));
    }

    #[test]
    fn alternation() {
        assert!(m("{a,bc,def}", "a") && m("{a,bc,def}", "def") && !m("{a,bc,def}", "bcdef"));
        assert!(m("x{1,2}y{3,4}", "x2y3") && !m("x{1,2}y{3,4}", "x3y2"));
        assert!(m("{*.txt,*.log}", "a.log") && m("{[ab],?z}", "qz") && m("{a}", "a"));
        // Empty alternatives are dropped, as globset did.
        assert!(m("a{,b}", "ab") && !m("a{,b}", "a") && m("a{}b", "ab") && m("{,}", ""));
        assert!(m(".{a,b}", ".b") && !m("{.a,b}", ".a"));
        // 256 alternatives are fine.
        let p = "{0,1}".repeat(8);
        assert!(m(&p, "01100101") && !m(&p, "0110010"));
    }

    #[test]
    fn bad_patterns_are_refused_with_a_reason() {
        assert!(
            refused(b"[ab").contains("unclosed ["),
            "{}",
            refused(b"[ab")
        );
        assert!(refused(b"[]").contains("unclosed ["));
        assert!(refused(b"[!]").contains("unclosed ["));
        assert!(refused(b"[a\\").contains("unclosed ["));
        assert!(refused(b"{a,b").contains("unclosed {"));
        assert!(refused(b"{a,{b,c}}").contains("nested {"));
        assert!(refused(b"a}").contains("unmatched }"));
        assert!(refused(b"a\\").contains("backslash"));
        assert!(refused(b"[z-a]").contains("bad range"));
        let many = "{0,1}".repeat(9);
        assert!(refused(many.as_bytes()).contains("too many alternatives"));
        let wide = format!("{{{}}}", vec!["x"; 257].join(","));
        assert!(refused(wide.as_bytes()).contains("too many alternatives"));
        assert!(refused(&[b'a'; MAX_PATTERN_BYTES + 1]).contains("too long"));
        assert!(Pattern::new(&[b'a'; MAX_PATTERN_BYTES]).is_ok());
        assert!(refused(b"a\xc3").contains("not valid UTF-8"));
    }

    #[test]
    fn pathological_patterns_finish_fast() {
        let name = "a".repeat(100_000);
        let start = std::time::Instant::now();
        assert!(!m("*a*a*a*a*a*a*b", &name));
        let p = format!("{}b", "*a".repeat(500));
        assert!(!m(&p, &name));
        let p = format!("{}{}", "{a,*a}".repeat(8), "*b");
        assert!(!m(&p, &"a".repeat(10_000)));
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn invalid_utf8_names_match() {
        let p = Pattern::new(b"*.txt").unwrap();
        assert!(p.matches(b"\xe9t\xe9.txt"));
        assert!(Pattern::new(b"\xc3\xa9*").unwrap().matches(b"\xc3\xa9\xff"));
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
        // Found by the `glob` fuzz target when globset's `**` was "any path".
        for p in ["**", "**/x", "x/**", "*", "?", "[!a]", "*/*"] {
            let p = Pattern::new(p.as_bytes()).unwrap();
            for name in ["./", "a/b", "x/x", "/"] {
                assert!(!p.matches(name.as_bytes()), "{p:?} took {name:?}");
            }
        }
    }
}
