//! Tab completion: which word of the line is being completed and what kind
//! of name it is (a command, a remote or a local path, per command), the
//! candidates from a listing, and the text that replaces the word, quoted
//! the way `wire::words::split` reads it back. Remote listings come through
//! the `Remote` trait and are cached per directory until a command may have
//! changed the remote tree. Touches no terminal; local listings read the
//! current directory.

use std::collections::HashMap;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// Most names taken from one directory listing for completion.
pub const MAX_CANDIDATES: usize = 10_000;

/// One name in a directory, as completion needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// The raw name (one path component).
    pub name: Vec<u8>,
    /// Whether it is a directory.
    pub dir: bool,
}

/// The server's side of completion: the names in a remote directory.
pub trait Remote {
    /// The names in `dir` (a remote path as the user typed it, ending in
    /// `/`, or empty for the current directory); empty when it cannot be
    /// listed.
    fn list_dir(&mut self, dir: &[u8]) -> Vec<Name>;
}

/// What kind of name an argument is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arg {
    /// Nothing to complete.
    Nothing,
    /// A command name.
    Command,
    /// A remote path.
    Remote,
    /// A remote directory.
    RemoteDir,
    /// A local path.
    Local,
    /// A local directory.
    LocalDir,
}

/// Every command (the names Tab completes) and, per command, the kinds of
/// its first arguments and of every one after; options, words that start
/// with `-`, are not counted. A test checks it against the command table.
#[rustfmt::skip]
const ARGS: &[(&str, &[Arg], Arg)] = &[
    ("cd", &[Arg::RemoteDir], Arg::Nothing),
    ("pwd", &[], Arg::Nothing),
    ("ls", &[], Arg::Remote),
    ("dir", &[], Arg::Remote),
    ("get", &[Arg::Remote, Arg::Local], Arg::Nothing),
    ("put", &[Arg::Local, Arg::Remote], Arg::Nothing),
    ("mget", &[], Arg::Remote),
    ("mput", &[], Arg::Local),
    ("sum", &[], Arg::Remote),
    ("lsum", &[], Arg::Local),
    ("compress", &[Arg::Remote], Arg::Nothing),
    ("mkdir", &[Arg::RemoteDir], Arg::Nothing),
    ("rmdir", &[Arg::RemoteDir], Arg::Nothing),
    ("rm", &[], Arg::Remote),
    ("rename", &[Arg::Remote, Arg::Remote], Arg::Nothing),
    ("lcd", &[Arg::LocalDir], Arg::Nothing),
    ("lpwd", &[], Arg::Nothing),
    ("lls", &[], Arg::Local),
    ("help", &[Arg::Command], Arg::Nothing),
    ("quit", &[], Arg::Nothing),
    ("exit", &[], Arg::Nothing),
    ("bye", &[], Arg::Nothing),
];

/// Commands after which the remote tree and the current directory are as
/// they were, so cached listings stay good.
const KEEPS_CACHE: &[&str] = &[
    "ls", "dir", "pwd", "get", "mget", "sum", "lcd", "lls", "lpwd", "lsum", "help",
];

/// The kind of the argument at `index` (0 = the command itself) of `command`.
fn arg_kind(command: &str, index: usize) -> Arg {
    if index == 0 {
        return Arg::Command;
    }
    match ARGS.iter().find(|(name, _, _)| *name == command) {
        Some((_, first, rest)) => first.get(index - 1).copied().unwrap_or(*rest),
        None => Arg::Nothing,
    }
}

/// A completion: replace the characters `start..end` of the line with one
/// of `candidates`.
#[derive(Debug, Default)]
pub struct Completion {
    /// Where the word being completed starts (a character index).
    pub start: usize,
    /// The names that fit, in order.
    pub candidates: Vec<Candidate>,
    /// What the word says so far, unquoted.
    typed: Vec<u8>,
}

/// One name that fits the word being completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The whole word it would become, unquoted (directory part included).
    pub word: Vec<u8>,
    /// What to show in a list: the last component, escaped, `/` after a
    /// directory.
    pub shown: String,
    /// A directory (completion then stops after its `/`, no space).
    pub dir: bool,
}

impl Completion {
    /// The text that replaces the word: the one candidate, quoted and
    /// followed by a space (or its `/`); else the candidates' longest common
    /// start when that says more than the word does, its quote left open.
    /// `None` when it says nothing new.
    pub fn replacement(&self) -> Option<String> {
        match self.candidates.as_slice() {
            [] => None,
            [one] => {
                let mut text = quote(&one.word, true);
                if !one.dir {
                    text.push(' ');
                }
                Some(text)
            }
            [first, rest @ ..] => {
                let mut common = first.word.len();
                for c in rest {
                    common = common.min(shared_start(&first.word, &c.word));
                }
                let common = utf8_boundary(&first.word[..common]);
                (common.len() > self.typed.len()).then(|| quote(common, false))
            }
        }
    }
}

/// How many leading bytes `a` and `b` share.
fn shared_start(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// `bytes` less a UTF-8 character cut off at its end.
fn utf8_boundary(bytes: &[u8]) -> &[u8] {
    match std::str::from_utf8(bytes) {
        Err(e) if e.error_len().is_none() => &bytes[..e.valid_up_to()],
        _ => bytes,
    }
}

/// Quote `word` so that `wire::words::split` gives it back: bare when it
/// holds only printable characters and no blank, quote, backslash or `#`;
/// else in double quotes, with the escapes of `wire::escape` (UTF-8 stays
/// readable). `close` ends the quote.
pub fn quote(word: &[u8], close: bool) -> String {
    let shown = crate::wire::escape(word);
    let bare = !word.is_empty()
        && shown.as_bytes() == word
        && !shown.contains([' ', '\t', '"', '\'', '\\', '#']);
    if bare {
        return shown;
    }
    let mut out = String::with_capacity(shown.len() + 2);
    out.push('"');
    out.push_str(&shown.replace('"', "\\\""));
    if close {
        out.push('"');
    }
    out
}

/// The words of `line` up to the cursor, read leniently (an open quote or a
/// trailing backslash is fine): each word's start (a character index) and
/// its unquoted bytes. When the line ends in a blank the last word is a new,
/// empty one at the end.
fn words_before(line: &[char]) -> Vec<(usize, Vec<u8>)> {
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while line.get(i).is_some_and(|&c| is_blank(c)) {
            i += 1;
        }
        let (word, end) = one_word(line, i);
        words.push((i, word));
        match end {
            Some(next) => i = next,
            None => return words,
        }
    }
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// The unquoted bytes of the word at `i`, and where the next one may start
/// (`None` when the line ends inside this word).
fn one_word(line: &[char], mut i: usize) -> (Vec<u8>, Option<usize>) {
    let mut word = Vec::new();
    let mut quote: Option<char> = None;
    let mut buf = [0u8; 4];
    while let Some(&c) = line.get(i) {
        i += 1;
        match (quote, c) {
            (None, c) if is_blank(c) => return (word, Some(i)),
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '\\') | (Some('"'), '\\') => {
                let Some(&next) = line.get(i) else { break };
                i += 1;
                let byte = match (quote, next) {
                    (Some(_), 't') => Some(b'\t'),
                    (Some(_), 'n') => Some(b'\n'),
                    (Some(_), 'r') => Some(b'\r'),
                    (Some(_), 'x') => {
                        let hex: String = line.iter().skip(i).take(2).collect();
                        let b = u8::from_str_radix(&hex, 16).ok().filter(|_| hex.len() == 2);
                        i += if b.is_some() { 2 } else { 0 };
                        b
                    }
                    _ => None,
                };
                match byte {
                    Some(b) => word.push(b),
                    None => word.extend_from_slice(next.encode_utf8(&mut buf).as_bytes()),
                }
            }
            (_, c) => word.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
        }
    }
    (word, None)
}

/// Remote listings kept for completion, per directory as typed.
#[derive(Default)]
pub struct Cache {
    dirs: HashMap<Vec<u8>, Vec<Name>>,
}

impl Cache {
    /// Note that `line` was run: forget the listings unless its command
    /// leaves the remote tree and directory as they were.
    pub fn after(&mut self, line: &[u8]) {
        let words = crate::wire::words::split(line, 2).unwrap_or_default();
        let first = words.first().map(|w| w.strip_prefix(b"-").unwrap_or(w));
        let keeps = first.is_some_and(|w| KEEPS_CACHE.iter().any(|k| k.as_bytes() == w));
        if !keeps {
            self.dirs.clear();
        }
    }

    fn list(&mut self, remote: &mut dyn Remote, dir: &[u8]) -> &[Name] {
        self.dirs
            .entry(dir.to_vec())
            .or_insert_with(|| remote.list_dir(dir))
    }
}

/// The names in the local directory `dir` (as typed, ending in `/`, or
/// empty for the current one); empty when it cannot be read.
fn list_local(dir: &[u8]) -> Vec<Name> {
    let path = if dir.is_empty() { b".".as_slice() } else { dir };
    let Ok(entries) = std::fs::read_dir(std::ffi::OsStr::from_bytes(path)) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .take(MAX_CANDIDATES)
        .map(|e| Name {
            dir: std::fs::metadata(e.path()).is_ok_and(|m| m.is_dir()),
            name: e.file_name().into_vec(),
        })
        .collect()
}

/// Complete the word that ends at the end of `line` (the characters before
/// the cursor).
pub fn complete(line: &[char], remote: &mut dyn Remote, cache: &mut Cache) -> Completion {
    let words = words_before(line);
    let Some(((start, typed), before)) = words.split_last() else {
        return Completion::default();
    };
    // The `-` that lets a script line fail is no part of the command.
    let mut before: Vec<&[u8]> = before.iter().map(|(_, w)| w.as_slice()).collect();
    let mut typed = typed.as_slice();
    let mut start = *start;
    if before.first() == Some(&b"-".as_slice()) {
        before.remove(0);
    } else if let Some(first) = before.first_mut() {
        *first = first.strip_prefix(b"-").unwrap_or(first);
    } else if let Some(rest) = typed.strip_prefix(b"-") {
        typed = rest;
        start += 1;
    }
    let index = positional(&before, typed);
    let command = before
        .first()
        .map(|w| String::from_utf8_lossy(w))
        .unwrap_or_default();
    let Some(index) = index else {
        return Completion::default();
    };
    let candidates = match arg_kind(&command, index) {
        Arg::Nothing => Vec::new(),
        Arg::Command => ARGS
            .iter()
            .filter(|(c, _, _)| c.as_bytes().starts_with(typed))
            .map(|(c, _, _)| Candidate {
                word: c.as_bytes().to_vec(),
                shown: (*c).to_string(),
                dir: false,
            })
            .collect(),
        kind => {
            let (dir, base) = match typed.iter().rposition(|&b| b == b'/') {
                Some(i) => typed.split_at(i + 1),
                None => (&[][..], typed),
            };
            let names = match kind {
                Arg::Remote | Arg::RemoteDir => cache.list(remote, dir).to_vec(),
                _ => list_local(dir),
            };
            let dirs_only = matches!(kind, Arg::RemoteDir | Arg::LocalDir);
            paths(dir, base, &names, dirs_only)
        }
    };
    Completion {
        start,
        candidates,
        typed: typed.to_vec(),
    }
}

/// Which argument the word being typed is (0 = the command), options not
/// counted; `None` when it is an option itself.
fn positional(before: &[&[u8]], typed: &[u8]) -> Option<usize> {
    let mut index = 0;
    let mut options_done = false;
    for (i, w) in before.iter().enumerate() {
        if i > 0 && !options_done && w.starts_with(b"-") && w.len() > 1 {
            if *w == b"--" {
                options_done = true;
            }
            continue;
        }
        index += 1;
    }
    if !options_done && index > 0 && typed.starts_with(b"-") {
        return None;
    }
    Some(index)
}

/// The names of `names` that start with `base`, as words under `dir`;
/// dot-files only when `base` starts with a dot.
fn paths(dir: &[u8], base: &[u8], names: &[Name], dirs_only: bool) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = names
        .iter()
        .filter(|n| n.name.starts_with(base) && (!dirs_only || n.dir))
        .filter(|n| !n.name.starts_with(b".") || base.starts_with(b"."))
        .map(|n| {
            let mut word = [dir, &n.name].concat();
            let mut shown = crate::wire::escape(&n.name);
            if n.dir {
                word.push(b'/');
                shown.push('/');
            }
            Candidate {
                word,
                shown,
                dir: n.dir,
            }
        })
        .collect();
    out.sort_by(|a, b| a.word.cmp(&b.word));
    out.dedup();
    out
}

/// Lay `names` out in columns down then across, as `ls` does, to fit
/// `width` columns; each row ends in a newline.
pub fn columns(names: &[String], width: usize) -> String {
    let widths: Vec<usize> = names
        .iter()
        .map(|n| super::width::of_str(n.chars()))
        .collect();
    let cell = widths.iter().max().copied().unwrap_or(0) + 2;
    let per_row = (width.max(1) / cell).max(1);
    let rows = names.len().div_ceil(per_row);
    let mut out = String::new();
    for row in 0..rows {
        let mut col = row;
        let mut line = String::new();
        while let (Some(name), Some(w)) = (names.get(col), widths.get(col)) {
            line.push_str(name);
            col += rows;
            if col < names.len() {
                line.push_str(&" ".repeat(cell - w));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::words::split;

    struct Fake(Vec<(&'static str, bool)>, usize);

    impl Remote for Fake {
        fn list_dir(&mut self, dir: &[u8]) -> Vec<Name> {
            self.1 += 1;
            let prefix = String::from_utf8_lossy(dir).into_owned();
            self.0
                .iter()
                .filter_map(|(path, dir)| {
                    let rest = path.strip_prefix(&prefix)?;
                    (!rest.contains('/')).then(|| Name {
                        name: rest.as_bytes().to_vec(),
                        dir: *dir,
                    })
                })
                .collect()
        }
    }

    fn fake() -> Fake {
        Fake(
            vec![
                ("two words.txt", false),
                ("two-three", false),
                ("docs", true),
                ("docs/a b", false),
                (".hidden", false),
                ("日本.txt", false),
            ],
            0,
        )
    }

    fn run(line: &str, remote: &mut Fake, cache: &mut Cache) -> Completion {
        let chars: Vec<char> = line.chars().collect();
        complete(&chars, remote, cache)
    }

    #[test]
    fn one_remote_name_is_quoted_and_ends_the_word() {
        let (mut r, mut c) = (fake(), Cache::default());
        let done = run("get two\\ w", &mut r, &mut c);
        assert_eq!(done.start, 4);
        assert_eq!(done.replacement().as_deref(), Some("\"two words.txt\" "));
        let done = run("get \"two w", &mut r, &mut c);
        assert_eq!(done.replacement().as_deref(), Some("\"two words.txt\" "));
        let done = run("get 日", &mut r, &mut c);
        assert_eq!(done.replacement().as_deref(), Some("日本.txt "));
        // One listing served all three.
        assert_eq!(r.1, 1);
    }

    #[test]
    fn common_start_and_directories() {
        let (mut r, mut c) = (fake(), Cache::default());
        let done = run("get tw", &mut r, &mut c);
        assert_eq!(done.candidates.len(), 2);
        assert_eq!(done.replacement().as_deref(), Some("two"));
        let done = run("get two", &mut r, &mut c);
        assert_eq!(done.replacement(), None);
        let done = run("cd d", &mut r, &mut c);
        assert_eq!(done.replacement().as_deref(), Some("docs/"));
        let done = run("get docs/", &mut r, &mut c);
        assert_eq!(done.replacement().as_deref(), Some("\"docs/a b\" "));
        let done = run("get .", &mut r, &mut c);
        assert_eq!(done.replacement().as_deref(), Some(".hidden "));
        // Dot-files stay out unless asked for.
        assert!(
            run("get ", &mut r, &mut c)
                .candidates
                .iter()
                .all(|c| !c.shown.starts_with('.'))
        );
    }

    #[test]
    fn commands_options_and_kinds() {
        let (mut r, mut c) = (fake(), Cache::default());
        assert_eq!(
            run("he", &mut r, &mut c).replacement().as_deref(),
            Some("help ")
        );
        assert_eq!(
            run("-g", &mut r, &mut c).replacement().as_deref(),
            Some("get ")
        );
        assert_eq!(
            run("help pu", &mut r, &mut c).replacement().as_deref(),
            Some("put ")
        );
        assert_eq!(run("get -", &mut r, &mut c).candidates.len(), 0);
        assert_eq!(
            run("- get -f two\\ w", &mut r, &mut c)
                .replacement()
                .as_deref(),
            Some("\"two words.txt\" ")
        );
        // pwd takes nothing; rename's both words are remote.
        assert!(run("pwd t", &mut r, &mut c).candidates.is_empty());
        assert_eq!(
            run("rename docs two-", &mut r, &mut c)
                .replacement()
                .as_deref(),
            Some("two-three ")
        );
        assert_eq!(r.1, 1);
    }

    #[test]
    fn the_cache_is_dropped_after_a_change() {
        let (mut r, mut c) = (fake(), Cache::default());
        run("get t", &mut r, &mut c);
        c.after(b"ls -l");
        run("get t", &mut r, &mut c);
        assert_eq!(r.1, 1);
        c.after(b"-rm x");
        run("get t", &mut r, &mut c);
        assert_eq!(r.1, 2);
    }

    #[test]
    fn quoted_names_split_back() {
        let names: [&[u8]; 8] = [
            b"plain.txt",
            b"two words",
            b"it's",
            b"q\"uote",
            b"back\\slash",
            b"#hash",
            b"tab\there\nnl",
            b"\xe9t\xe9 \xff",
        ];
        for name in names {
            let q = quote(name, true);
            assert_eq!(split(q.as_bytes(), 2).unwrap(), [name.to_vec()], "{q}");
            let chars: Vec<char> = q.chars().collect();
            assert_eq!(words_before(&chars), [(0, name.to_vec())], "{q}");
        }
        assert_eq!(quote("日本 語".as_bytes(), false), "\"日本 語");
    }

    #[test]
    fn words_before_the_cursor() {
        let chars: Vec<char> = "get  'a b' ".chars().collect();
        assert_eq!(
            words_before(&chars),
            [(0, b"get".to_vec()), (5, b"a b".to_vec()), (11, Vec::new())]
        );
    }

    #[test]
    fn columns_fit_the_width() {
        let names: Vec<String> = ["a", "bb", "ccc", "dddd", "e"].map(String::from).to_vec();
        assert_eq!(columns(&names, 80), "a     bb    ccc   dddd  e\n");
        assert_eq!(columns(&names, 14), "a     dddd\nbb    e\nccc\n");
        assert_eq!(columns(&names, 1), "a\nbb\nccc\ndddd\ne\n");
    }

    #[test]
    fn every_client_command_has_its_argument_kinds() {
        for c in crate::client::commands::COMMANDS {
            assert!(
                ARGS.iter().any(|(name, _, _)| *name == c.name),
                "{}",
                c.name
            );
        }
    }
}
