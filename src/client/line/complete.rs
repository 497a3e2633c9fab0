//! Tab completion: which word of the line is being completed and what kind
//! of name it is (a command, a remote or a local path, per command), the
//! candidates from a listing, and the text that replaces the word, quoted
//! the way `wire::words::split` reads it back. Remote listings come through
//! the `Remote` trait and are cached per directory until a command may have
//! changed the remote tree. Touches no terminal; local listings read the
//! current directory.

use crate::wire::number::hex_exact;

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

/// A completion: replace the word from `start` to the cursor with one of
/// `candidates`.
#[derive(Debug, Default)]
pub struct Completion {
    /// Where the word being completed starts (a byte offset).
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
    let special = |b: &u8| matches!(b, b' ' | b'\t' | b'"' | b'\'' | b'\\' | b'#');
    if !word.is_empty() && shown.as_bytes() == word && !word.iter().any(special) {
        return shown;
    }
    let mut out = String::with_capacity(shown.len() + 4);
    out.push('"');
    for c in shown.chars() {
        if c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
    if close {
        out.push('"');
    }
    out
}

/// The words of `line` up to the cursor, read leniently (an open quote or a
/// trailing backslash is fine): each word's start (a byte offset) and its
/// unquoted bytes. When the line ends in a blank the last word is a new,
/// empty one at the end. Quotes, blanks and backslashes are ASCII, so the
/// line is read byte by byte.
fn words_before(line: &[u8]) -> Vec<(usize, Vec<u8>)> {
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while matches!(line.get(i), Some(b' ' | b'\t')) {
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

/// The unquoted bytes of the word at `i`, and where the next one may start
/// (`None` when the line ends inside this word).
fn one_word(line: &[u8], mut i: usize) -> (Vec<u8>, Option<usize>) {
    let mut word = Vec::new();
    let mut quote: Option<u8> = None;
    while let Some(&c) = line.get(i) {
        i += 1;
        match (quote, c) {
            (None, b' ' | b'\t') => return (word, Some(i)),
            (None, b'\'' | b'"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None | Some(b'"'), b'\\') => {
                let Some(&next) = line.get(i) else { break };
                i += 1;
                word.push(match (quote, next) {
                    (Some(_), b't') => b'\t',
                    (Some(_), b'n') => b'\n',
                    (Some(_), b'r') => b'\r',
                    (Some(_), b'x') => {
                        let hex = line.get(i..i + 2).and_then(|h| hex_exact(h, 2));
                        match hex.and_then(|n| u8::try_from(n).ok()) {
                            Some(b) => {
                                i += 2;
                                b
                            }
                            None => b'x',
                        }
                    }
                    (_, b) => b,
                });
            }
            (_, c) => word.push(c),
        }
    }
    (word, None)
}

/// Remote listings kept for completion, per directory as typed.
#[derive(Default)]
pub struct Cache {
    dirs: Vec<(Vec<u8>, Vec<Name>)>,
}

impl Cache {
    /// Note that `line` was run: forget the listings unless its command
    /// leaves the remote tree and directory as they were.
    pub fn after(&mut self, line: &[u8]) {
        let line = line.trim_ascii_start();
        let line = line.strip_prefix(b"-").unwrap_or(line).trim_ascii_start();
        let first = line.split(|b| b.is_ascii_whitespace()).next();
        let keeps = first.is_some_and(|w| KEEPS_CACHE.iter().any(|k| k.as_bytes() == w));
        if !keeps {
            self.dirs.clear();
        }
    }

    fn list(&mut self, remote: &mut dyn Remote, dir: &[u8]) -> &[Name] {
        let i = match self.dirs.iter().position(|(d, _)| d == dir) {
            Some(i) => i,
            None => {
                self.dirs.push((dir.to_vec(), remote.list_dir(dir)));
                self.dirs.len() - 1
            }
        };
        &self.dirs[i].1
    }
}

/// The names in the local directory `dir` (as typed, ending in `/`, or
/// empty for the current one), in name order; empty when it cannot be
/// read. A link counts as a directory when it leads to one.
fn list_local(dir: &[u8]) -> Vec<Name> {
    let path = if dir.is_empty() { b".".as_slice() } else { dir };
    let Ok(entries) = crate::client::local::local_entries(path) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for e in entries.into_iter().take(MAX_CANDIDATES) {
        names.push(Name {
            dir: e.kind == crate::wire::Kind::Dir,
            name: e.name,
        });
    }
    names
}

/// Complete the word that ends at the end of `line` (the text before the
/// cursor).
pub fn complete(line: &str, remote: &mut dyn Remote, cache: &mut Cache) -> Completion {
    let words = words_before(line.as_bytes());
    let Some(((start, typed), before_words)) = words.split_last() else {
        return Completion::default();
    };
    // The `-` that lets a script line fail is no part of the command.
    let mut before: Vec<&[u8]> = Vec::new();
    for (_, w) in before_words {
        before.push(w);
    }
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
        Arg::Command => {
            let mut names = Vec::new();
            for (name, _, _) in ARGS {
                names.push(Name {
                    name: name.as_bytes().to_vec(),
                    dir: false,
                });
            }
            paths(&[], typed, &names, false)
        }
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

/// The names of `names` that start with `base`, as words under `dir`, in
/// the listing's order; dot-files only when `base` starts with a dot.
fn paths(dir: &[u8], base: &[u8], names: &[Name], dirs_only: bool) -> Vec<Candidate> {
    let mut out = Vec::new();
    for n in names {
        let hidden = n.name.starts_with(b".") && !base.starts_with(b".");
        if !n.name.starts_with(base) || (dirs_only && !n.dir) || hidden {
            continue;
        }
        let mut word = [dir, &n.name].concat();
        let mut shown = crate::wire::escape(&n.name);
        if n.dir {
            word.push(b'/');
            shown.push('/');
        }
        out.push(Candidate {
            word,
            shown,
            dir: n.dir,
        });
    }
    out
}

/// Lay the candidates' names out in columns down then across, as `ls`
/// does, to fit `width` columns; each row ends in a newline.
pub fn columns(names: &[Candidate], width: usize) -> String {
    let width_of = |c: &Candidate| super::width::of_str(c.shown.chars());
    let mut cell = 0;
    for c in names {
        cell = cell.max(width_of(c) + 2);
    }
    let per_row = (width.max(1) / cell.max(1)).max(1);
    let rows = names.len().div_ceil(per_row);
    let mut out = String::new();
    for row in 0..rows {
        let mut line = String::new();
        for c in names.iter().skip(row).step_by(rows) {
            let pad = cell.saturating_sub(width_of(c));
            line.push_str(&c.shown);
            line.extend(std::iter::repeat_n(' ', pad));
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
        complete(line, remote, cache)
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
        c.after(b"- get -f a b");
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
            assert_eq!(words_before(q.as_bytes()), [(0, name.to_vec())], "{q}");
        }
        assert_eq!(quote("日本 語".as_bytes(), false), "\"日本 語");
    }

    #[test]
    fn words_before_the_cursor() {
        assert_eq!(
            words_before(b"get  'a b' "),
            [(0, b"get".to_vec()), (5, b"a b".to_vec()), (11, Vec::new())]
        );
    }

    #[test]
    fn columns_fit_the_width() {
        let names: Vec<Candidate> = ["a", "bb", "ccc", "dddd", "e"]
            .map(|n| Candidate {
                word: n.as_bytes().to_vec(),
                shown: n.to_string(),
                dir: false,
            })
            .to_vec();
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
