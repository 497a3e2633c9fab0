//! The remote commands that move no file: cd, pwd, ls and dir (printed as
//! the entries arrive, or in columns on a terminal), compress, and the
//! housekeeping of mkdir, rmdir, rm and rename. Each is one request and its
//! reply, through the connection; ls, dir and rm also take a pattern,
//! matched against a listing of its directory, and rm removes the files it
//! matches pipelined.

use std::collections::HashSet;
use std::io::{self, IsTerminal, Write};
use std::os::fd::AsFd;

use super::conn::{Conn, ListItem};
use super::names::remote_join;
use super::pipeline;
use super::session::Client;
use super::show::{
    DirLayout, format_columns, long_line, ls_line, ls_name, print_out, stdout_error, thousands,
};
use crate::error::{Cause, Error};
use crate::fs::glob::{self, Pattern};
use crate::fs::is_partial_name;
use crate::sys;
use crate::wire::{Directory, Entry, Kind, Packed, Reply, Request, StoreMode, escape};

/// `cd [DIR]`: change the remote directory (none: the root).
pub fn cd(conn: &mut Conn, dir: Option<&[u8]>) -> Result<(), Error> {
    conn.call(&Request::Cwd(dir.map(<[u8]>::to_vec)))?;
    Ok(())
}

/// `pwd`: print the remote directory.
pub fn pwd(conn: &mut Conn) -> Result<(), Error> {
    let reply = conn.call(&Request::Pwd)?;
    let path = directory(&reply)?;
    print_out(format!("{}\n", escape(&path)).as_bytes())
}

/// The directory a PWD or CWD reply names, as raw bytes.
fn directory(reply: &Reply) -> Result<Vec<u8>, Error> {
    match Directory::parse(&reply.text) {
        Some(Directory(path)) => Ok(path),
        None => Err(Error::Protocol(format!(
            "bad path in reply '{}'",
            reply.text
        ))),
    }
}

/// One request on one path (mkdir, rmdir, rm); a refusal is the error.
pub fn one_path(conn: &mut Conn, path: &[u8], make: fn(Vec<u8>) -> Request) -> Result<(), Error> {
    conn.call(&make(path.to_vec()))?;
    Ok(())
}

/// `rename OLD NEW`.
pub fn rename(conn: &mut Conn, from: &[u8], to: &[u8]) -> Result<(), Error> {
    conn.call(&Request::Rename(from.to_vec(), to.to_vec()))?;
    Ok(())
}

/// `compress [-f] [-1..-9] FILE`: write FILE.gz on the server; prints both
/// sizes and the ratio.
pub fn compress(conn: &mut Conn, path: &[u8], level: u8, force: bool) -> Result<(), Error> {
    let req = Request::Compress {
        path: path.to_vec(),
        level,
        mode: StoreMode::forced(force),
    };
    conn.send(&req)?;
    conn.flush()?;
    let reply = conn.final_reply()?;
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
        thousands(original),
        thousands(packed)
    );
    print_out(line.as_bytes())
}

/// Terminal width assumed when the terminal does not say.
const DEFAULT_COLUMNS: usize = 80;
/// Most files one `rm PATTERN` removes (a server cannot make us hold an
/// endless list of names).
const MAX_MATCHES: usize = 1_000_000;

/// A path argument of ls, dir or rm: the directory to list and, when the
/// last name is a pattern, the pattern its entries must match.
struct Target<'a> {
    dir: Option<&'a [u8]>,
    pattern: Option<Pattern>,
}

impl<'a> Target<'a> {
    /// `path` as given: a pattern (`logs/*.txt`) lists `logs` and keeps
    /// what matches; a plain name lists itself.
    fn of(path: Option<&'a [u8]>) -> Result<Target<'a>, Error> {
        match path {
            Some(p) if glob::is_pattern(p) => {
                let (dir, name) = glob::split_dir(p);
                Ok(Target {
                    dir,
                    pattern: Some(Pattern::new(name)?),
                })
            }
            _ => Ok(Target {
                dir: path,
                pattern: None,
            }),
        }
    }

    /// Whether the entry is shown: with a pattern, what it matches (a
    /// leading dot only by a pattern that starts with one), never a
    /// partial file; without one, dot-files only with `all`.
    fn keeps(&self, e: &Entry, all: bool) -> bool {
        match &self.pattern {
            Some(p) => p.matches(&e.name) && !is_partial_name(&e.name),
            None => all || !e.is_hidden(),
        }
    }

    /// The error of a pattern that matched nothing (`Ok` when it did, or
    /// when there is no pattern).
    fn check_matched(&self, matched: bool, path: Option<&[u8]>) -> Result<(), Error> {
        if self.pattern.is_some() && !matched {
            let path = path.unwrap_or_default();
            return Err(Error::path(path, Cause::Refused("nothing matches")));
        }
        Ok(())
    }
}

/// `ls [-l] [-a] [PATH|PATTERN]`: one name per line, each printed as its
/// entry arrives; on a terminal, names in columns as wide as it is.
pub fn ls(conn: &mut Conn, path: Option<&[u8]>, long: bool, all: bool) -> Result<(), Error> {
    let target = Target::of(path)?;
    let in_columns = !long && io::stdout().is_terminal();
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    let mut names = Vec::new();
    let mut matched = false;
    conn.list_each(target.dir, false, &mut |item| {
        let ListItem::Entry(e) = item else {
            return Ok(());
        };
        if !target.keeps(&e, all) {
            return Ok(());
        }
        matched = true;
        if in_columns {
            names.push(ls_name(&e));
            return Ok(());
        }
        let line = if long { long_line(&e) } else { ls_line(&e) };
        stdout.write_all(line.as_bytes()).map_err(stdout_error)
    })?;
    target.check_matched(matched, path)?;
    if in_columns {
        let width = sys::columns(io::stdout().as_fd()).unwrap_or(DEFAULT_COLUMNS);
        let text = format_columns(&names, width);
        stdout.write_all(text.as_bytes()).map_err(stdout_error)?;
    }
    stdout.flush().map_err(stdout_error)
}

/// `dir [PATH|PATTERN]`: the Windows layout, printed as the entries
/// arrive; with a pattern, only what matches, and nothing at all when
/// nothing does.
pub fn dir(conn: &mut Conn, path: Option<&[u8]>) -> Result<(), Error> {
    let target = Target::of(path)?;
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    let mut layout = None;
    let mut matched = false;
    conn.list_each(target.dir, true, &mut |item| {
        let text = match item {
            ListItem::Start(path) => {
                layout = Some(DirLayout::new(&escape(path)));
                String::new()
            }
            // `keeps` with `all`: the layout leaves dot-files out itself.
            ListItem::Entry(e) if target.keeps(&e, true) => match layout.as_mut() {
                Some(l) if !matched => {
                    matched = true;
                    l.header.clone() + &l.line(&e)
                }
                Some(l) => l.line(&e),
                None => String::new(),
            },
            ListItem::Entry(_) => String::new(),
        };
        stdout.write_all(text.as_bytes()).map_err(stdout_error)
    })?;
    target.check_matched(matched, path)?;
    if let Some(l) = layout {
        let header = if matched { "" } else { l.header.as_str() };
        stdout
            .write_all((header.to_string() + &l.totals()).as_bytes())
            .map_err(stdout_error)?;
    }
    stdout.flush().map_err(stdout_error)
}

/// `rm FILE|PATTERN...`: remove each file named, and each regular file a
/// pattern matches (never a partial file), the removals pipelined. One
/// failure of one name is the error; with more, each failure is said on
/// its own line and the error counts them.
pub fn rm(cl: &mut Client, args: &[&[u8]]) -> Result<(), Error> {
    let mut paths: Vec<Vec<u8>> = Vec::new();
    let mut failures = Vec::new();
    for &arg in args {
        let target = Target::of(Some(arg))?;
        let Some(pattern) = &target.pattern else {
            paths.push(arg.to_vec());
            continue;
        };
        let mut matched = false;
        let dir = target.dir.unwrap_or_default();
        cl.conn.list_each(target.dir, false, &mut |item| {
            if let ListItem::Entry(e) = item
                && e.kind == Kind::File
                && pattern.matches(&e.name)
                && !is_partial_name(&e.name)
            {
                if paths.len() == MAX_MATCHES {
                    return Err(Error::path(arg, Cause::Refused("too many matches")));
                }
                matched = true;
                paths.push(remote_join(dir, &e.name));
            }
            Ok(())
        })?;
        if !matched {
            failures.push(Error::path(arg, Cause::Refused("no file matches")));
        }
    }
    let mut seen = HashSet::new();
    paths.retain(|p| seen.insert(p.clone()));
    let requests: Vec<Request> = paths.into_iter().map(Request::Dele).collect();
    let total = requests.len() + failures.len();
    for reply in pipeline::exchange_all(cl, &requests)? {
        if !reply.is_ok() {
            failures.push(Error::Remote(reply));
        }
    }
    if total == 1 && !failures.is_empty() {
        return Err(failures.remove(0));
    }
    for e in &failures {
        crate::out::err_line(&format!("rftp: rm: {e}"));
    }
    match failures.len() {
        0 => Ok(()),
        failed => Err(Error::Transfer(format!("{failed} of {total} failed"))),
    }
}
