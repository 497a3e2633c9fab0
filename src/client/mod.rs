//! The client: connect and log in, then run commands typed at a prompt, read
//! from a script, or given on the command line. Owns the script rules (blank
//! and `#` lines, the `-` prefix, stop at the first failure) and exit status.
//!
//! Each file leans only on the ones below it: `commands` (the table and the
//! dispatch) calls `remote`, `local`, `sums` and the planner `plan`, which
//! weighs files in `compare` and hands its jobs to `pipeline`; the jobs are
//! `get` and `put`, on a `session` whose `conn` alone owns the socket, and
//! whose `link` logs in again when it ended; `interrupt` watches for Ctrl-C
//! at the prompt, `sink` is where a download may go and where standard
//! input waits to be uploaded. `names`, `show`, `term`, `progress` and
//! `width` serve them all.

pub(crate) mod commands;
mod compare;
mod conn;
mod find;
mod get;
mod interrupt;
mod land;
mod line;
mod link;
mod local;
mod login;
mod names;
mod pipeline;
mod plan;
mod progress;
mod put;
mod remote;
mod session;
mod show;
mod sink;
mod sums;
mod term;
mod width;

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal};
use std::path::PathBuf;

use crate::error::{EXIT_FAILED, Error};
use crate::out::{self, Verbosity};
use crate::wire::words;
pub use find::list_servers;
use session::Client;

/// Most words on one client command line.
const MAX_COMMAND_WORDS: usize = 256;

/// What the command line asked of the client.
pub struct Options {
    /// Server host name or address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// User name.
    pub user: Vec<u8>,
    /// Password from a file or the environment; asked for when `None`.
    pub password: Option<Vec<u8>>,
    /// Script file, instead of standard input.
    pub batch: Option<PathBuf>,
    /// One command to run instead of a script.
    pub command: Vec<Vec<u8>>,
    /// How much to say on stderr.
    pub verbosity: Verbosity,
    /// `--limit`: most payload bytes per second, both ways.
    pub limit: Option<u64>,
    /// Keep times and permission bits (`--no-keep` turns it off).
    pub keep: bool,
    /// Speak protocol 1 (clear text) instead of protocol 2.
    pub plain: bool,
}

/// `HOST`, `HOST:PORT`, `[V6[%ZONE]]:PORT`, `V6[%ZONE]`; the host keeps its
/// `%zone`. An empty host (from nothing, `auto` or `:PORT`) means "find it".
pub fn parse_host(spec: &str) -> Result<(String, u16), String> {
    use crate::net::addr::{Target, parse_target};
    Ok(match parse_target(spec)? {
        Target::Find(port) => (String::new(), port),
        Target::Host(h) => (h.to_string(), h.port),
    })
}

/// Where commands come from.
enum Source {
    /// One command from the command line.
    Words(Vec<Vec<u8>>),
    /// Lines of a script or of standard input.
    Lines {
        input: Box<dyn BufRead>,
        prompt: bool,
    },
}

/// Run the client; returns the exit status.
pub fn run(opts: Options) -> i32 {
    // Before any other thread starts: downloads then skip a chmod that
    // would change nothing.
    crate::fs::note_umask();
    let stdin_is_tty = io::stdin().is_terminal();
    let source = match open_source(&opts, stdin_is_tty) {
        Ok(s) => s,
        Err(e) => return report_fatal(&e),
    };
    if opts.plain {
        out::err_line(crate::secure::PLAIN_WARNING);
    }
    let verbose = opts.verbosity == Verbosity::Verbose;
    let host = match find::pick_host(&opts.host, opts.port, stdin_is_tty) {
        Ok(h) => h,
        Err(e) => return report_fatal(&e),
    };
    // Issue 11: the password is asked on the terminal, up to three tries.
    let target = login::Target {
        host: &host,
        port: opts.port,
        user: &opts.user,
        verbose,
        plain: opts.plain,
    };
    let (mut conn, password) = match login::connect(&target, opts.password.as_deref()) {
        Ok(c) => c,
        Err(e) => return report_fatal(&e),
    };
    conn.limit(opts.limit);
    let mut client = Client::new(conn, opts.verbosity == Verbosity::Quiet);
    client.keep = opts.keep;
    // Issue 11: what it takes to log in again, at a terminal.
    let mut account = link::Account::new(host, opts.port, opts.user.clone(), password);
    account.typed = opts.password.is_none();
    (account.verbose, account.plain, account.limit) = (verbose, opts.plain, opts.limit);
    client.account = Some(account);
    client.interactive = matches!(source, Source::Lines { prompt: true, .. });
    client.commands_on_stdin = opts.command.is_empty() && opts.batch.is_none();
    let status = match source {
        Source::Words(words) => match commands::run(&mut client, &words) {
            Ok(_) => 0,
            Err(e) => report(&words, &e),
        },
        Source::Lines { input, prompt } => run_lines(&mut client, input, prompt),
    };
    client.conn.quit();
    status
}

fn open_source(opts: &Options, stdin_is_tty: bool) -> Result<Source, Error> {
    if !opts.command.is_empty() {
        return Ok(Source::Words(opts.command.clone()));
    }
    if let Some(path) = &opts.batch {
        use std::os::unix::ffi::OsStrExt;
        let f = File::open(path).map_err(|e| {
            let e = Error::io_path(path.as_os_str().as_bytes(), &e);
            Error::Usage(format!("cannot read the script: {e}"))
        })?;
        return Ok(Source::Lines {
            input: Box::new(BufReader::new(f)),
            prompt: false,
        });
    }
    Ok(Source::Lines {
        input: Box::new(BufReader::new(io::stdin())),
        prompt: stdin_is_tty,
    })
}

/// Run script or interactive lines; in a script the first failure that is
/// not `-`-prefixed ends the run with status 1, and errors name their line.
fn run_lines(client: &mut Client, mut input: Box<dyn BufRead>, prompt: bool) -> i32 {
    // Issue 11: at a terminal, lines come from the line editor.
    let mut editor = if prompt { line::Editor::open() } else { None };
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        if let Some(editor) = editor.as_mut() {
            editor.type_ahead(&std::mem::take(&mut client.typed_ahead));
            match editor.read("rftp> ", client) {
                Ok(line::Input::Line(text)) => line = text,
                Ok(line::Input::Interrupted) => continue,
                Ok(line::Input::Eof) => return 0,
                Err(e) => return report_fatal(&Error::Io("cannot read commands".into(), e)),
            }
        } else {
            if prompt {
                out::err_text("rftp> ");
            }
            match input.read_until(b'\n', &mut line) {
                Ok(0) => return 0,
                Ok(_) => {}
                Err(e) => return report_fatal(&Error::Io("cannot read commands".into(), e)),
            }
        }
        let text = trim(&line);
        number += 1;
        if text.is_empty() || text.starts_with(b"#") {
            continue;
        }
        let (tolerant, text) = match text.strip_prefix(b"-") {
            Some(rest) => (true, trim(rest)),
            None => (false, text),
        };
        let outcome = match words::split(text, MAX_COMMAND_WORDS) {
            Ok(words) => commands::run(client, &words),
            Err(e) => Err(Error::Usage(format!("cannot read the line: {e}"))),
        };
        match outcome {
            Ok(commands::Flow::Quit) => return 0,
            Ok(commands::Flow::Continue) => {}
            Err(e) => {
                let at = (!prompt).then_some(number);
                let status = report_line(at, &first_word(text), &e);
                if status == 0 {
                    return 0;
                }
                if !prompt && !tolerant {
                    return EXIT_FAILED;
                }
            }
        }
    }
}

fn first_word(text: &[u8]) -> Vec<Vec<u8>> {
    words::split(text, MAX_COMMAND_WORDS).unwrap_or_default()
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !first.is_ascii_whitespace() {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !last.is_ascii_whitespace() {
            break;
        }
        s = rest;
    }
    s
}

/// Print `rftp: COMMAND: error` and return the exit status it deserves (0,
/// silently, when the error was a closed stdout, which is not a failure).
fn report(words: &[Vec<u8>], e: &Error) -> i32 {
    report_line(None, words, e)
}

/// `report`, for the script line `at` (`rftp: get: … (script line 7)`).
/// An interrupt says how to continue: `rftp: get 'a.bin': interrupted;
/// 1,234 bytes kept for 'get -c'`.
fn report_line(at: Option<u64>, words: &[Vec<u8>], e: &Error) -> i32 {
    if matches!(e, Error::StdoutClosed) {
        return 0;
    }
    // After the message, so that it still reads `rftp: COMMAND: …` first.
    let place = at.map_or_else(String::new, |n| format!(" (script line {n})"));
    match (words.first(), e) {
        (Some(name), Error::Interrupted { text, resumable }) => {
            let name = crate::wire::escape(name);
            let hint = match resumable {
                true => format!(" for '{}'", resume_command(&name, words)),
                false => String::new(),
            };
            let sep = if text.starts_with('\'') { " " } else { ": " };
            out::err_line(&format!("rftp: {name}{sep}{text}{hint}{place}"));
        }
        (Some(name), _) => {
            out::err_line(&format!("rftp: {}: {e}{place}", crate::wire::escape(name)))
        }
        (None, _) => out::err_line(&format!("rftp: {e}{place}")),
    }
    match e {
        Error::Usage(_) => EXIT_FAILED,
        other => other.exit_code(),
    }
}

/// The command that continues an interrupted `name` (`get -c`, `get -r -c`).
fn resume_command(name: &str, words: &[Vec<u8>]) -> String {
    let recursive = words
        .iter()
        .skip(1)
        .take_while(|w| w.as_slice() != b"--")
        .any(|w| w.starts_with(b"-") && !w.starts_with(b"--") && w.contains(&b'r'));
    match recursive {
        true => format!("{name} -r -c"),
        false => format!("{name} -c"),
    }
}

fn report_fatal(e: &Error) -> i32 {
    out::err_line(&format!("rftp: {e}"));
    e.exit_code()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_specs() {
        assert_eq!(parse_host("h").unwrap(), ("h".into(), 2121));
        assert_eq!(parse_host("h:21").unwrap(), ("h".into(), 21));
        assert_eq!(parse_host("[::1]:21").unwrap(), ("::1".into(), 21));
        assert_eq!(parse_host("[::1]").unwrap(), ("::1".into(), 2121));
        assert_eq!(parse_host("::1").unwrap(), ("::1".into(), 2121));
        assert_eq!(parse_host("").unwrap(), ("".into(), 2121));
        assert_eq!(parse_host(":21").unwrap(), ("".into(), 21));
        assert_eq!(
            parse_host("[fe80::1%eth0]:21").unwrap(),
            ("fe80::1%eth0".into(), 21)
        );
        for bad in ["h:x", "[::1", "[::1]x", "h:99999", "1.2.3.4%eth0"] {
            assert!(parse_host(bad).is_err(), "{bad}");
        }
    }
}
