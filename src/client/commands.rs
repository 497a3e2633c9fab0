//! The client's commands: one table (name, usage, help) that `help` and the
//! man-page test read, option parsing for a command's words, and a dispatch
//! that calls the connection, the local side, or `transfer`.

use std::io::{self, Write};

use super::conn::{Conn, ListItem, directory};
use super::show::{self, DirLayout, print_out, stdout_error};
use super::{local, many, transfer};
use crate::error::Error;
use crate::fs::compress::DEFAULT_LEVEL;
use crate::wire::{Entry, ListOrder, Packed, Request, StoreMode, escape};

/// One client command: name, usage, one line of help.
pub struct ClientCommand {
    /// What the user types.
    pub name: &'static str,
    /// Arguments, as shown by `help`.
    pub usage: &'static str,
    /// One line of help.
    pub help: &'static str,
}

const fn c(name: &'static str, usage: &'static str, help: &'static str) -> ClientCommand {
    ClientCommand { name, usage, help }
}

/// Every command the client knows.
#[rustfmt::skip]
pub const COMMANDS: &[ClientCommand] = &[
    c("cd", "[DIR]", "change the remote directory (none: the root)"),
    c("pwd", "", "print the remote directory"),
    c("ls", "[-l] [-a] [PATH]", "list remote files, Linux style"),
    c("dir", "[PATH]", "list remote files, Windows style"),
    c("get", "[-f] [-c] [-u [--checksum]] [-r] [-z] REMOTE [LOCAL]", "download (-f overwrite, -c continue, -u update, -r tree, -z compress)"),
    c("put", "[-f] [-c] [-u [--checksum]] [-r] LOCAL [REMOTE]", "upload (-f overwrite, -c continue, -u update, -r tree)"),
    c("mget", "[-f] [-c] [-u [--checksum]] [-z] PATTERN...", "download the remote files that match"),
    c("mput", "[-f] [-c] [-u [--checksum]] PATTERN...", "upload the local files that match"),
    c("sum", "[-a crc32|sha256] FILE...", "checksums of remote files, sha256sum format"),
    c("lsum", "[-a crc32|sha256] FILE...", "checksums of local files, sha256sum format"),
    c("compress", "[-f] [-1..-9] FILE", "write FILE.gz beside FILE on the server"),
    c("mkdir", "DIR", "make a remote directory"),
    c("rmdir", "DIR", "remove an empty remote directory"),
    c("rm", "FILE", "remove a remote file"),
    c("rename", "OLD NEW", "rename a remote file or directory"),
    c("lcd", "[DIR]", "change the local directory (none: home)"),
    c("lpwd", "", "print the local directory"),
    c("lls", "[-l] [-a] [PATH]", "list local files"),
    c("help", "[COMMAND]", "show help"),
    c("quit", "", "log out and exit (also exit, bye)"),
];

/// What to do after a command.
pub enum Flow {
    /// Go on with the next command.
    Continue,
    /// Stop: the user asked to quit.
    Quit,
}

/// A logged-in client.
pub struct Client {
    /// The connection.
    pub conn: Conn,
    /// `-q`: no summaries.
    pub quiet: bool,
    /// Keep modification times and permission bits (off: `--no-keep`).
    pub keep: bool,
    /// `--limit`: the bucket every payload goes through.
    pub limiter: Option<crate::rate::Bucket>,
}

/// A command's words after its options: the flags given and the rest.
struct Args<'a> {
    flags: Vec<char>,
    rest: Vec<&'a [u8]>,
}

impl Args<'_> {
    fn has(&self, flag: char) -> bool {
        self.flags.contains(&flag)
    }

    /// The transfer flags, with their one conflict checked.
    fn flags(&self) -> Result<Flags, Error> {
        if self.has('C') && !self.has('u') {
            return Err(Error::Usage("--checksum goes with -u".into()));
        }
        Ok(Flags {
            force: self.has('f'),
            resume: self.has('c'),
            update: self.has('u'),
            checksum: self.has('C'),
            deflate: self.has('z'),
        })
    }

    /// The last of `-1` … `-9` given, or the default level.
    fn level(&self) -> u8 {
        self.flags
            .iter()
            .rev()
            .find_map(|c| c.to_digit(10))
            .map_or(DEFAULT_LEVEL, |d| d as u8)
    }
}

/// What a transfer command's flags ask for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags {
    /// `-f`: overwrite an existing destination.
    pub force: bool,
    /// `-c`: continue from kept partial data; skip complete files.
    pub resume: bool,
    /// `-u`: move only what is missing or different.
    pub update: bool,
    /// `--checksum` (with `-u`): equal-sized files compared by CRC-32.
    pub checksum: bool,
    /// `-z`: deflate on the wire.
    pub deflate: bool,
}

/// Split `words` into flags from `allowed` (grouped like `-la`, ended by
/// `--`) and between `min` and `max` other arguments.
fn parse_args<'a>(
    words: &'a [Vec<u8>],
    allowed: &str,
    min: usize,
    max: usize,
) -> Result<Args<'a>, Error> {
    let mut flags = Vec::new();
    let mut rest = Vec::new();
    let mut options_done = false;
    for w in words {
        if !options_done && w.as_slice() == b"--" {
            options_done = true;
        } else if !options_done && w.as_slice() == b"--checksum" && allowed.contains('C') {
            flags.push('C');
        } else if !options_done && w.len() > 1 && w[0] == b'-' {
            for &b in &w[1..] {
                let flag = char::from(b);
                if !allowed.contains(flag) {
                    return Err(Error::Usage(format!("unknown option '-{}'", escape(&[b]))));
                }
                flags.push(flag);
            }
        } else {
            rest.push(w.as_slice());
        }
    }
    if rest.len() < min || rest.len() > max {
        return Err(Error::Usage(
            "wrong number of arguments (see 'help')".into(),
        ));
    }
    Ok(Args { flags, rest })
}

impl Client {
    /// A client on a logged-in connection.
    pub fn new(conn: Conn, quiet: bool) -> Client {
        Client {
            conn,
            quiet,
            keep: true,
            limiter: None,
        }
    }

    /// Log out.
    pub fn quit(&mut self) {
        self.conn.quit();
    }

    /// Run one command given as words.
    pub fn run(&mut self, words: &[Vec<u8>]) -> Result<Flow, Error> {
        let result = self.dispatch(words);
        if let Err(Error::Protocol(why)) = &result {
            self.conn.break_off(why);
        }
        result
    }

    fn dispatch(&mut self, words: &[Vec<u8>]) -> Result<Flow, Error> {
        let Some((name, args)) = words.split_first() else {
            return Ok(Flow::Continue);
        };
        let name = String::from_utf8_lossy(name);
        match &*name {
            "cd" => {
                let a = parse_args(args, "", 0, 1)?;
                self.conn
                    .call(&Request::Cwd(a.rest.first().map(|p| p.to_vec())))?;
            }
            "pwd" => {
                parse_args(args, "", 0, 0)?;
                let reply = self.conn.call(&Request::Pwd)?;
                let path = directory(&reply)?;
                print_out(format!("{}\n", escape(&path)).as_bytes())?;
            }
            "ls" => {
                let a = parse_args(args, "la", 0, 1)?;
                self.ls(a.rest.first().copied(), a.has('a'), a.has('l'))?;
            }
            "dir" => {
                let a = parse_args(args, "", 0, 1)?;
                self.dir(a.rest.first().copied())?;
            }
            "get" => {
                let a = parse_args(args, "fcuCrz", 1, 2)?;
                let (remote, local) = (a.rest[0], a.rest.get(1).copied());
                let flags = a.flags()?;
                if a.has('r') {
                    many::get_tree(self, remote, local, flags)?;
                } else {
                    transfer::get(self, remote, local, flags)?;
                }
            }
            "put" => {
                let a = parse_args(args, "fcuCr", 1, 2)?;
                let (local, remote) = (a.rest[0], a.rest.get(1).copied());
                let flags = a.flags()?;
                if a.has('r') {
                    many::put_tree(self, local, remote, flags)?;
                } else {
                    transfer::put(self, local, remote, flags)?;
                }
            }
            "mget" => {
                let a = parse_args(args, "fcuCz", 1, usize::MAX)?;
                many::mget(self, &a.rest, a.flags()?)?;
            }
            "mput" => {
                let a = parse_args(args, "fcuC", 1, usize::MAX)?;
                many::mput(self, &a.rest, a.flags()?)?;
            }
            "compress" => {
                let a = parse_args(args, "f123456789", 1, 1)?;
                self.compress(a.rest[0], a.level(), a.has('f'))?;
            }
            "sum" => super::sums::sum(self, args)?,
            "lsum" => super::sums::lsum(args)?,
            "mkdir" => self.one_path(args, Request::Mkdir)?,
            "rmdir" => self.one_path(args, Request::Rmdir)?,
            "rm" => self.one_path(args, Request::Dele)?,
            "rename" => {
                let a = parse_args(args, "", 2, 2)?;
                self.conn
                    .call(&Request::Rename(a.rest[0].to_vec(), a.rest[1].to_vec()))?;
            }
            "lcd" => local::lcd(parse_args(args, "", 0, 1)?.rest.first().copied())?,
            "lpwd" => {
                parse_args(args, "", 0, 0)?;
                local::lpwd()?;
            }
            "lls" => {
                let a = parse_args(args, "la", 0, 1)?;
                local::lls(a.rest.first().copied(), a.has('l'), a.has('a'))?;
            }
            "help" | "?" => {
                print_out(help_text(parse_args(args, "", 0, 1)?.rest.first().copied())?.as_bytes())?
            }
            "quit" | "exit" | "bye" => return Ok(Flow::Quit),
            other => {
                return Err(Error::Usage(format!(
                    "unknown command '{}' (try 'help')",
                    escape(other.as_bytes())
                )));
            }
        }
        Ok(Flow::Continue)
    }

    fn one_path(&mut self, args: &[Vec<u8>], make: fn(Vec<u8>) -> Request) -> Result<(), Error> {
        let a = parse_args(args, "", 1, 1)?;
        self.conn.call(&make(a.rest[0].to_vec()))?;
        Ok(())
    }

    /// COMPRESS: write FILE.gz on the server; prints both sizes and the ratio.
    fn compress(&mut self, path: &[u8], level: u8, force: bool) -> Result<(), Error> {
        let mode = StoreMode::forced(force);
        let req = Request::Compress {
            path: path.to_vec(),
            level,
            mode,
        };
        self.conn.send(&req)?;
        self.conn.flush()?;
        let reply = self.conn.final_reply()?;
        if !reply.is_ok() {
            return Err(Error::Remote(reply));
        }
        let Some(Packed { original, packed }) = Packed::parse(&reply.text) else {
            let why = format!("bad COMPRESS reply '{}'", reply.text);
            return Err(Error::Protocol(why));
        };
        let ratio = match original {
            0 => "-".to_string(),
            n => format!("{:.1}%", packed as f64 * 100.0 / n as f64),
        };
        let line = format!(
            "{}.gz: {} -> {} bytes ({ratio})\n",
            escape(path),
            show::thousands(original),
            show::thousands(packed)
        );
        print_out(line.as_bytes())
    }

    /// `ls [-l] [-a] [PATH]`: each line printed as its entry arrives.
    fn ls(&mut self, path: Option<&[u8]>, all: bool, long: bool) -> Result<(), Error> {
        let mut stdout = io::BufWriter::new(io::stdout().lock());
        self.list_each(path, false, &mut |item| {
            let ListItem::Entry(e) = item else {
                return Ok(());
            };
            if !all && e.is_hidden() {
                return Ok(());
            }
            let line = if long {
                show::long_line(&e)
            } else {
                show::ls_line(&e)
            };
            stdout.write_all(line.as_bytes()).map_err(stdout_error)
        })?;
        stdout.flush().map_err(stdout_error)
    }

    /// `dir [PATH]`: the Windows layout, printed as the entries arrive.
    fn dir(&mut self, path: Option<&[u8]>) -> Result<(), Error> {
        let mut stdout = io::BufWriter::new(io::stdout().lock());
        let mut layout = None;
        self.list_each(path, true, &mut |item| {
            let text = match item {
                ListItem::Start(path) => {
                    layout.insert(DirLayout::new(&escape(path))).header.clone()
                }
                ListItem::Entry(e) => layout.as_mut().map_or_else(String::new, |l| l.line(&e)),
            };
            stdout.write_all(text.as_bytes()).map_err(stdout_error)
        })?;
        if let Some(l) = layout {
            stdout
                .write_all(l.totals().as_bytes())
                .map_err(stdout_error)?;
        }
        stdout.flush().map_err(stdout_error)
    }

    /// LIST, each entry handed to `each` as it arrives (after the path the
    /// server lists); returns that path.
    pub fn list_each(
        &mut self,
        path: Option<&[u8]>,
        dirs_first: bool,
        each: &mut dyn FnMut(ListItem<'_>) -> Result<(), Error>,
    ) -> Result<Vec<u8>, Error> {
        let order = if dirs_first {
            ListOrder::DirsFirst
        } else {
            ListOrder::Name
        };
        let req = Request::List {
            path: path.map(<[u8]>::to_vec),
            order: Some(order),
        };
        self.conn.fetch_listing(&req, each)
    }

    /// The entries of a remote directory that `keep` takes, at most `most`
    /// of them (more is the error `too_many` makes: a server cannot make us
    /// hold an endless listing), and the path the server listed.
    pub fn list_names(
        &mut self,
        path: Option<&[u8]>,
        most: usize,
        too_many: impl Fn() -> Error,
        keep: impl Fn(&Entry) -> bool,
    ) -> Result<(Vec<Entry>, Vec<u8>), Error> {
        let mut kept = Vec::new();
        let listed = self.list_each(path, false, &mut |item| {
            if let ListItem::Entry(e) = item
                && keep(&e)
            {
                if kept.len() == most {
                    return Err(too_many());
                }
                kept.push(e);
            }
            Ok(())
        })?;
        Ok((kept, listed))
    }
}

/// The text of `help` or `help COMMAND`, from the command table.
fn help_text(command: Option<&[u8]>) -> Result<String, Error> {
    let line = |c: &ClientCommand| {
        format!(
            "{:<32} {}\n",
            format!("{} {}", c.name, c.usage).trim_end(),
            c.help
        )
    };
    match command {
        None => Ok(COMMANDS.iter().map(line).collect()),
        Some(name) => COMMANDS
            .iter()
            .find(|c| c.name.as_bytes() == name)
            .map(line)
            .ok_or_else(|| Error::Usage(format!("no command '{}'", escape(name)))),
    }
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
                .starts_with("get [-f] [-c] [-u [--checksum]] [-r] [-z] REMOTE [LOCAL]")
        );
        assert!(help_text(Some(b"nope")).is_err());
    }
}
