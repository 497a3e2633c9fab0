//! The remote commands that move no file: cd, pwd, ls and dir (printed as
//! the entries arrive), compress, and the housekeeping of mkdir, rmdir, rm
//! and rename. Each is one request and its reply, through the connection.

use std::io::{self, Write};

use super::conn::{Conn, ListItem};
use super::show::{DirLayout, long_line, ls_line, print_out, stdout_error, thousands};
use crate::error::Error;
use crate::wire::{Directory, Packed, Reply, Request, StoreMode, escape};

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

/// `ls [-l] [-a] [PATH]`: each line printed as its entry arrives.
pub fn ls(conn: &mut Conn, path: Option<&[u8]>, long: bool, all: bool) -> Result<(), Error> {
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    conn.list_each(path, false, &mut |item| {
        let ListItem::Entry(e) = item else {
            return Ok(());
        };
        if !all && e.is_hidden() {
            return Ok(());
        }
        let line = if long { long_line(&e) } else { ls_line(&e) };
        stdout.write_all(line.as_bytes()).map_err(stdout_error)
    })?;
    stdout.flush().map_err(stdout_error)
}

/// `dir [PATH]`: the Windows layout, printed as the entries arrive.
pub fn dir(conn: &mut Conn, path: Option<&[u8]>) -> Result<(), Error> {
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    let mut layout = None;
    conn.list_each(path, true, &mut |item| {
        let text = match item {
            ListItem::Start(path) => layout.insert(DirLayout::new(&escape(path))).header.clone(),
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
