//! The client's commands: one table (name, usage, help, the options and
//! argument counts each takes, and what runs it) that the dispatcher, `help`
//! and the man-page test read, and the parsing of a command's words into
//! options and arguments, and what surrounds each command at the prompt (a
//! new login when the connection ended, Ctrl-C watched for while it runs).
//! What each command does is below: the remote side (`remote`), the local
//! side (`local`), checksums (`sums`), transfers (`plan`) and the connection
//! itself (`link`: `open`, `close`).

use super::compare::Flags;
use super::interrupt::Watch;
use super::session::Client;
use super::show::print_out;
use super::{link, local, plan, remote, sums};
use crate::error::Error;
use crate::fs::compress::DEFAULT_LEVEL;
use crate::wire::{Request, escape};

/// No bound on the number of arguments (a line's words are bounded anyway).
const MANY: usize = usize::MAX;

/// What a command does once its words are parsed.
enum Action {
    /// Run it.
    Run(fn(&mut Client, &Args) -> Result<(), Error>),
    /// End the session.
    Quit,
}

/// One client command.
pub struct ClientCommand {
    /// What the user types.
    pub name: &'static str,
    /// Arguments, as shown by `help`.
    pub usage: &'static str,
    /// One line of help.
    pub help: &'static str,
    /// The one-letter options it takes; `C` stands for `--checksum`, and a
    /// letter before `=` takes a value (`a=`: `-a NAME`).
    pub options: &'static str,
    /// Fewest arguments after the options.
    pub min: usize,
    /// Most arguments after the options.
    pub max: usize,
    action: Action,
}

const fn c(
    name: &'static str,
    usage: &'static str,
    help: &'static str,
    (options, min, max): (&'static str, usize, usize),
    action: Action,
) -> ClientCommand {
    ClientCommand {
        name,
        usage,
        help,
        options,
        min,
        max,
        action,
    }
}

use Action::{Quit, Run};

/// Every command the client knows.
#[rustfmt::skip]
pub const COMMANDS: &[ClientCommand] = &[
    c("cd", "[DIR]", "change the remote directory (none: the root)",
      ("", 0, 1), Run(|cl, a| remote::cd(&mut cl.conn, a.first()))),
    c("pwd", "", "print the remote directory",
      ("", 0, 0), Run(|cl, _| remote::pwd(&mut cl.conn))),
    c("ls", "[-l] [-a] [PATH|PATTERN]", "list remote files, Linux style",
      ("la", 0, 1), Run(|cl, a| remote::ls(&mut cl.conn, a.first(), a.has('l'), a.has('a')))),
    c("dir", "[PATH|PATTERN]", "list remote files, Windows style",
      ("", 0, 1), Run(|cl, a| remote::dir(&mut cl.conn, a.first()))),
    c("get", "[-f] [-c] [-u [--checksum]] [-r] [-z] REMOTE [LOCAL]", "download (-f overwrite, -c continue, -u update, -r tree, -z compress)",
      ("fcuCrz", 1, 2), Run(|cl, a| plan::get(cl, a.rest[0], a.second(), a.flags()?))),
    c("put", "[-f] [-c] [-u [--checksum]] [-r] LOCAL [REMOTE]", "upload (-f overwrite, -c continue, -u update, -r tree)",
      ("fcuCr", 1, 2), Run(|cl, a| plan::put(cl, a.rest[0], a.second(), a.flags()?))),
    c("mget", "[-f] [-c] [-u [--checksum]] [-z] PATTERN...", "download the remote files that match",
      ("fcuCz", 1, MANY), Run(|cl, a| plan::mget(cl, &a.rest, a.flags()?))),
    c("mput", "[-f] [-c] [-u [--checksum]] PATTERN...", "upload the local files that match",
      ("fcuC", 1, MANY), Run(|cl, a| plan::mput(cl, &a.rest, a.flags()?))),
    c("sum", "[-a crc32|sha256] FILE...", "checksums of remote files, sha256sum format",
      ("a=", 1, MANY), Run(|cl, a| sums::sum(cl, a.value('a'), &a.rest))),
    c("lsum", "[-a crc32|sha256] FILE...", "checksums of local files, sha256sum format",
      ("a=", 1, MANY), Run(|_, a| sums::lsum(a.value('a'), &a.rest))),
    c("compress", "[-f] [-1..-9] FILE", "write FILE.gz beside FILE on the server",
      ("f123456789", 1, 1), Run(|cl, a| remote::compress(&mut cl.conn, a.rest[0], a.level(), a.has('f')))),
    c("mkdir", "DIR", "make a remote directory",
      ("", 1, 1), Run(|cl, a| remote::one_path(&mut cl.conn, a.rest[0], Request::Mkdir))),
    c("rmdir", "DIR", "remove an empty remote directory",
      ("", 1, 1), Run(|cl, a| remote::one_path(&mut cl.conn, a.rest[0], Request::Rmdir))),
    c("rm", "FILE|PATTERN...", "remove remote files",
      ("", 1, MANY), Run(|cl, a| remote::rm(cl, &a.rest))),
    c("rename", "OLD NEW", "rename a remote file or directory",
      ("", 2, 2), Run(|cl, a| remote::rename(&mut cl.conn, a.rest[0], a.rest[1]))),
    c("open", "HOST[:PORT]", "log in to a server: another one, or the same again",
      ("", 1, 1), Run(|cl, a| link::open(cl, a.rest[0]))),
    c("close", "", "log out and hang up, staying in rftp (then: open)",
      ("", 0, 0), Run(|cl, _| { link::close(cl); Ok(()) })),
    c("lcd", "[DIR]", "change the local directory (none: home)",
      ("", 0, 1), Run(|_, a| local::lcd(a.first()))),
    c("lpwd", "", "print the local directory",
      ("", 0, 0), Run(|_, _| local::lpwd())),
    c("lls", "[-l] [-a] [PATH]", "list local files",
      ("la", 0, 1), Run(|_, a| local::lls(a.first(), a.has('l'), a.has('a')))),
    c("help", "[COMMAND]", "show help",
      ("", 0, 1), Run(|_, a| print_out(help_text(a.first())?.as_bytes()))),
    // Quitting never fails, whatever follows the word.
    c("quit", "", "log out and exit (also exit, bye)",
      ("", 0, MANY), Quit),
];

/// The commands that never use the connection: none of them logs in again
/// when it ended.
const LOCAL_COMMANDS: &[&str] = &[
    "lcd", "lpwd", "lls", "lsum", "help", "quit", "open", "close",
];

/// Other names for commands of the table: (alias, command).
pub const ALIASES: &[(&str, &str)] = &[("exit", "quit"), ("bye", "quit"), ("?", "help")];

/// What to do after a command.
pub enum Flow {
    /// Go on with the next command.
    Continue,
    /// Stop: the user asked to quit.
    Quit,
}

/// A command's words after its options: the flags given, the values of
/// the options that take one, and the rest.
pub struct Args<'a> {
    flags: Vec<char>,
    values: Vec<(char, &'a [u8])>,
    /// The arguments, in order.
    pub rest: Vec<&'a [u8]>,
}

impl<'a> Args<'a> {
    /// Whether `flag` was given.
    pub fn has(&self, flag: char) -> bool {
        self.flags.contains(&flag)
    }

    /// The last value given to the option `flag`.
    pub fn value(&self, flag: char) -> Option<&'a [u8]> {
        self.values
            .iter()
            .rev()
            .find(|(f, _)| *f == flag)
            .map(|(_, v)| *v)
    }

    /// The first argument, if any.
    pub fn first(&self) -> Option<&'a [u8]> {
        self.rest.first().copied()
    }

    /// The second argument, if any.
    pub fn second(&self) -> Option<&'a [u8]> {
        self.rest.get(1).copied()
    }

    /// The transfer flags, with their one conflict checked.
    pub fn flags(&self) -> Result<Flags, Error> {
        if self.has('C') && !self.has('u') {
            return Err(Error::Usage("--checksum goes with -u".into()));
        }
        Ok(Flags {
            force: self.has('f'),
            resume: self.has('c'),
            update: self.has('u'),
            checksum: self.has('C'),
            deflate: self.has('z'),
            recursive: self.has('r'),
        })
    }

    /// The last of `-1` … `-9` given, or the default level.
    pub fn level(&self) -> u8 {
        self.flags
            .iter()
            .rev()
            .find_map(|c| c.to_digit(10))
            .map_or(DEFAULT_LEVEL, |d| d as u8)
    }
}

/// Split `words` into the options `allowed` names (grouped like `-la`,
/// `--` ending them; see `ClientCommand::options`) and between `min` and
/// `max` other arguments.
fn parse_args<'a>(
    words: &'a [Vec<u8>],
    allowed: &str,
    min: usize,
    max: usize,
) -> Result<Args<'a>, Error> {
    let takes_value = |flag: char| allowed.contains(&format!("{flag}="));
    let mut args = Args {
        flags: Vec::new(),
        values: Vec::new(),
        rest: Vec::new(),
    };
    let mut options_done = false;
    let mut words = words.iter();
    while let Some(w) = words.next() {
        if options_done || w.len() < 2 || w[0] != b'-' {
            args.rest.push(w);
        } else if w.as_slice() == b"--" {
            options_done = true;
        } else if w.as_slice() == b"--checksum" && allowed.contains('C') {
            args.flags.push('C');
        } else {
            for (i, &b) in w.iter().enumerate().skip(1) {
                let flag = char::from(b);
                if flag == '=' || !allowed.contains(flag) {
                    return Err(Error::Usage(format!("unknown option '-{}'", escape(&[b]))));
                }
                if !takes_value(flag) {
                    args.flags.push(flag);
                    continue;
                }
                // `-aNAME` or `-a NAME`.
                let value = match &w[i + 1..] {
                    [] => words
                        .next()
                        .map(Vec::as_slice)
                        .ok_or_else(|| Error::Usage(format!("option '-{flag}' needs a value")))?,
                    attached => attached,
                };
                args.values.push((flag, value));
                break;
            }
        }
    }
    if args.rest.len() < min || args.rest.len() > max {
        return Err(Error::Usage(
            "wrong number of arguments (see 'help')".into(),
        ));
    }
    Ok(args)
}

/// Run one command given as words. A protocol error leaves the stream
/// without its place, so the connection is not used again; nor is one that
/// ended. At the prompt, a command that needs the server first logs in
/// again if the connection ended, and Ctrl-C stops it (then the session
/// logs in again at once, quietly).
pub fn run(cl: &mut Client, words: &[Vec<u8>]) -> Result<Flow, Error> {
    let command = words.first().and_then(|w| find(w));
    if let Some(c) = command
        && !LOCAL_COMMANDS.contains(&c.name)
    {
        link::ensure_connected(cl)?;
    }
    let connected = cl.conn.gone().is_none();
    let watch = match command {
        Some(c) if cl.interactive && !reads_terminal(c, words) => Watch::start(cl),
        _ => None,
    };
    let mut result = dispatch(cl, words);
    if let Some(watch) = watch {
        let typed = watch.finish();
        cl.typed_ahead.extend_from_slice(&typed);
    }
    match &result {
        Err(Error::Protocol(why)) => cl.conn.break_off(why),
        Err(Error::Lost(why)) => cl.conn.lose(why),
        _ => {}
    }
    if cl
        .interrupt
        .swap(false, std::sync::atomic::Ordering::SeqCst)
    {
        result = match result {
            Err(e @ Error::Interrupted { .. }) => Err(e),
            // Done before the key took effect.
            Ok(flow) => Ok(flow),
            Err(_) => Err(Error::Interrupted {
                text: "interrupted".into(),
                resumable: false,
            }),
        };
        if connected {
            link::after_interrupt(cl);
        }
    }
    result
}

/// Whether a command reads the terminal itself, so that no one may watch it
/// for Ctrl-C meanwhile: `open` (a password), `put -` (the data).
fn reads_terminal(command: &ClientCommand, words: &[Vec<u8>]) -> bool {
    command.name == "open"
        || (command.name == "put" && words.iter().skip(1).any(|w| w.as_slice() == b"-"))
}

/// Find the command in the table, parse its words as the table says, and
/// run it.
fn dispatch(cl: &mut Client, words: &[Vec<u8>]) -> Result<Flow, Error> {
    let Some((name, args)) = words.split_first() else {
        return Ok(Flow::Continue);
    };
    let Some(command) = find(name) else {
        return Err(Error::Usage(format!(
            "unknown command '{}' (try 'help')",
            escape(String::from_utf8_lossy(name).as_bytes())
        )));
    };
    let args = parse_args(args, command.options, command.min, command.max)?;
    match command.action {
        Action::Run(run) => run(cl, &args).map(|()| Flow::Continue),
        Action::Quit => Ok(Flow::Quit),
    }
}

/// The command `name` names, itself or through an alias.
fn find(name: &[u8]) -> Option<&'static ClientCommand> {
    let name = ALIASES
        .iter()
        .find(|(alias, _)| alias.as_bytes() == name)
        .map_or(name, |(_, command)| command.as_bytes());
    COMMANDS.iter().find(|c| c.name.as_bytes() == name)
}

/// Where the text of each command starts in `help`: after its name and
/// usage, or on the next line when they are longer.
const HELP_TEXT_COLUMN: usize = 32;
/// The width `help` keeps within; longer text goes on at the same column
/// on the next line.
const HELP_WIDTH: usize = 80;
/// What patterns are, said after the commands that take them.
const PATTERN_HELP: &str = "Patterns (mget, mput, ls, dir, rm): * is any characters, ? one, \
[abc] one of those, {a,b} either word; *.* is every file, as on DOS, names without \
a dot too. A leading dot is matched only by a pattern that starts with one.";

/// The text of `help` or `help COMMAND`, from the command table: each
/// command's name and usage in a column, its help text beside them, all
/// starting at one column; then what patterns mean (for all, or for a
/// command that takes one).
pub fn help_text(command: Option<&[u8]>) -> Result<String, Error> {
    let (shown, patterns): (Vec<&ClientCommand>, bool) = match command {
        None => (COMMANDS.iter().collect(), true),
        Some(name) => {
            let c = COMMANDS
                .iter()
                .find(|c| c.name.as_bytes() == name)
                .ok_or_else(|| Error::Usage(format!("no command '{}'", escape(name))))?;
            (vec![c], c.usage.contains("PATTERN"))
        }
    };
    let mut text = String::new();
    for c in shown {
        let usage = format!("{} {}", c.name, c.usage);
        let usage = usage.trim_end();
        text.push_str(usage);
        let mut at = usage.len();
        if at + 2 > HELP_TEXT_COLUMN {
            text.push('\n');
            at = 0;
        }
        text.push_str(&" ".repeat(HELP_TEXT_COLUMN - at));
        text.push_str(&wrap(
            c.help,
            HELP_WIDTH - HELP_TEXT_COLUMN,
            HELP_TEXT_COLUMN,
        ));
    }
    if patterns {
        text.push('\n');
        text.push_str(&wrap(PATTERN_HELP, HELP_WIDTH, 0));
    }
    Ok(text)
}

/// `text` in lines of at most `width` characters, broken at spaces (but
/// never between an option and the word after it: `-r tree`), each line
/// after the first indented by `indent`; ends in a newline.
fn wrap(text: &str, width: usize, indent: usize) -> String {
    let mut words = Vec::new();
    let mut rest = text.split(' ');
    while let Some(word) = rest.next() {
        match rest.clone().next() {
            Some(_) if word.starts_with('-') || word.starts_with("(-") => {
                words.push(format!("{word} {}", rest.next().unwrap_or_default()));
            }
            _ => words.push(word.to_string()),
        }
    }
    let mut out = String::new();
    let mut line_len = 0;
    for word in &words {
        if line_len > 0 && line_len + 1 + word.len() > width {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            line_len = 0;
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += word.len();
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn options_and_arguments() {
        let words = w(&["-la", "dir"]);
        let a = parse_args(&words, "la", 0, 1).unwrap();
        assert!(a.has('l') && a.has('a'));
        assert_eq!(a.rest, [&b"dir"[..]]);
        let words = w(&["--", "-f"]);
        assert_eq!(parse_args(&words, "f", 1, 1).unwrap().rest, [&b"-f"[..]]);
        assert!(parse_args(&w(&["-x"]), "f", 0, 1).is_err());
        assert!(parse_args(&w(&["a", "b"]), "", 0, 1).is_err());
        assert!(parse_args(&w(&[]), "", 1, 1).is_err());
        let words = w(&["-", "x"]);
        assert_eq!(parse_args(&words, "", 2, 2).unwrap().rest.len(), 2);
    }

    #[test]
    fn options_with_values() {
        let words = w(&["-a", "crc32", "f", "-asha256", "g"]);
        let a = parse_args(&words, "a=", 1, MANY).unwrap();
        assert_eq!(a.value('a'), Some(&b"sha256"[..]));
        assert_eq!(a.rest, [&b"f"[..], b"g"]);
        assert!(parse_args(&w(&["f", "-a"]), "a=", 1, MANY).is_err());
        assert!(parse_args(&w(&["-="]), "a=", 0, MANY).is_err());
        let words = w(&["--", "-a"]);
        assert_eq!(parse_args(&words, "a=", 1, 1).unwrap().value('a'), None);
    }

    #[test]
    fn every_command_parses_its_own_usage() {
        for c in COMMANDS {
            let flags: Vec<char> = c.options.chars().filter(|&f| f != '=').collect();
            for f in flags
                .iter()
                .filter(|f| c.options.contains(&format!("{f}=")))
            {
                assert!(c.usage.contains(&format!("[-{f} ")), "{}: -{f}", c.name);
            }
            for f in flags
                .iter()
                .filter(|f| f.is_ascii_lowercase() && **f != 'a')
            {
                assert!(c.usage.contains(&format!("-{f}")), "{}: -{f}", c.name);
            }
            assert!(c.min <= c.max, "{}", c.name);
        }
        for (alias, command) in ALIASES {
            assert!(find(alias.as_bytes()).is_some_and(|c| c.name == *command));
        }
    }

    #[test]
    fn help_covers_every_command() {
        let all = help_text(None).unwrap();
        for c in COMMANDS {
            assert!(all.contains(c.name));
        }
        assert!(
            help_text(Some(b"get"))
                .unwrap()
                .starts_with("get [-f] [-c] [-u [--checksum]] [-r] [-z] REMOTE [LOCAL]\n")
        );
        assert!(help_text(Some(b"nope")).is_err());
        assert!(all.contains("*.* is every file"));
        assert!(
            help_text(Some(b"rm"))
                .unwrap()
                .contains("*.* is every file")
        );
        assert!(!help_text(Some(b"cd")).unwrap().contains("*.*"));
    }

    #[test]
    fn help_is_aligned_and_fits_80_columns() {
        let all = help_text(None).unwrap();
        let (table, _) = all.split_once("\n\n").unwrap();
        for line in table.lines() {
            assert!(line.len() <= HELP_WIDTH, "{line}");
            let text = line.get(HELP_TEXT_COLUMN - 2..HELP_TEXT_COLUMN);
            let usage_only = COMMANDS
                .iter()
                .any(|c| line == format!("{} {}", c.name, c.usage));
            assert!(usage_only || text == Some("  "), "{line:?}");
            assert!(
                usage_only || line.as_bytes()[HELP_TEXT_COLUMN] != b' ',
                "{line:?}"
            );
        }
    }
}
