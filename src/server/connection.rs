//! One connection from accept to close: the greeting and login (plain or
//! secure), then the command loop, which reads a request, calls `fs`,
//! `transfer` or `meta`, and writes one final reply per command, in order.
//! The small commands are answered here, and each change they make to the
//! tree (mkdir, rmdir, rm, rename) is logged, done or refused.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

use super::config::Config;
use super::session::{Session, is_timeout};
use super::{login, meta, secure_login, transfer};
use crate::error::{Cause, Error};
use crate::fs::{Listing, Root, VPath};
use crate::out::Verbosity;
use crate::wire::{
    self, Announce, COMMANDS, Delivered, Directory, Extra, ListOrder, PayloadWriter, Reply,
    Request, Sums, code, escape,
};

/// What the command loop does after a command.
enum Flow {
    /// Read the next one.
    Next,
    /// Close the connection (QUIT).
    Close,
}

/// Serve one connection to its end; errors end the connection, not the server.
pub fn serve(stream: TcpStream, peer: SocketAddr, cfg: &Config) {
    let started = Instant::now();
    cfg.log(&peer, "connect");
    let outcome = Session::new(stream, peer, cfg).and_then(|mut s| run(&mut s));
    let how = match outcome {
        Ok(()) => String::new(),
        Err(e) if is_timeout(&e) => " (timed out)".to_string(),
        Err(e) if crate::secure::record::is_channel_error(&e) => format!(" ({e})"),
        Err(e) => format!(" ({})", Cause::of(&e)),
    };
    cfg.log(
        &peer,
        &format!("close after {:.1}s{how}", started.elapsed().as_secs_f64()),
    );
}

/// Greet, log in, then answer commands until the client quits or goes.
fn run(s: &mut Session) -> io::Result<()> {
    let logged_in = if s.cfg.plain {
        let greeting = format!("rftp {} ready", wire::PROTOCOL_VERSION);
        s.reply(&Reply::new(code::GREETING, greeting))?;
        login::login(s)?
    } else {
        secure_login::login(s)?
    };
    if !logged_in {
        return s.writer.flush();
    }
    s.reader.get_mut().deadline = None;
    while let Some(line) = s.next_line("idle timeout")? {
        if s.cfg.verbosity >= Verbosity::Verbose {
            s.cfg.log(&s.peer, &format!("command {}", escape(&line)));
        }
        let close = match Request::parse(&line) {
            Ok(req) => matches!(dispatch(s, req)?, Flow::Close),
            Err(e) => s.refuse_line(&line, e)?,
        };
        if close {
            return Ok(());
        }
    }
    Ok(())
}

/// Answer one request after login. The payload commands write their own
/// replies; the others return the one reply they get.
fn dispatch(s: &mut Session, req: Request) -> io::Result<Flow> {
    let next = |()| Flow::Next;
    // Whatever comes after an upload sees it published (STOR decides for
    // itself whether it must wait).
    if !matches!(req, Request::Stor { .. }) {
        s.settle()?;
    }
    if !matches!(req, Request::Stor { .. } | Request::Retr { .. }) {
        s.last_dir.forget();
    }
    let result = match req {
        Request::Retr {
            path,
            offset,
            deflate,
        } => return transfer::send_file(s, &path, offset, deflate).map(next),
        Request::Compress { path, level, mode } => {
            return transfer::compress(s, &path, level, mode).map(next);
        }
        Request::Stor {
            path,
            length,
            mode,
            offset,
        } => return transfer::receive_file(s, &path, length, mode, offset).map(next),
        Request::List { path, order } => return list(s, path.as_deref(), order).map(next),
        Request::Help => return help(s).map(next),
        Request::Quit => {
            s.reply(&Reply::new(code::BYE, "bye"))?;
            return Ok(Flow::Close);
        }
        Request::Crc { path, length } => transfer::crc(s, &path, length),
        Request::Partial(path) => transfer::partial(s, &path),
        Request::Mtime { path, secs, nsec } => meta::mtime(s, &path, secs, nsec),
        Request::Sum { path, algo } => meta::sum(s, &path, &algo),
        Request::Pwd => Ok(Directory(s.cwd.to_bytes()).reply(code::PWD)),
        Request::Cwd(path) => cwd(s, path.as_deref()),
        Request::Stat(path) => s
            .resolve(&path)
            .and_then(|v| s.cfg.root.stat(&v))
            .map(|e| e.reply()),
        Request::Mkdir(path) => {
            let made = mkdir(s, &path);
            logged(s, "mkdir", &[&path], made)
        }
        Request::Rmdir(path) => logged(s, "rmdir", &[&path], write_op(s, &path, Root::rmdir)),
        Request::Dele(path) => logged(s, "rm", &[&path], remove(s, &path)),
        Request::Rename(from, to) => logged(s, "rename", &[&from, &to], rename(s, &from, &to)),
        Request::Noop => Ok(Reply::new(code::OK, "ok")),
        Request::User(_) | Request::Pass(_) => {
            Ok(Reply::new(code::BAD_SEQUENCE, "already logged in"))
        }
    };
    s.reply(&result.unwrap_or_else(|e| e.reply()))?;
    Ok(Flow::Next)
}

fn cwd(s: &mut Session, path: Option<&[u8]>) -> Result<Reply, Error> {
    let target = match path {
        None => VPath::root(),
        // `..` at the root stays at the root, as in chrooted ftp servers.
        Some(p) => match s.resolve(p) {
            Err(Error::Path {
                cause: Cause::Outside,
                ..
            }) if p
                .split(|&b| b == b'/')
                .all(|c| c == b".." || c.is_empty() || c == b".") =>
            {
                VPath::root()
            }
            other => other?,
        },
    };
    s.cfg.root.dir(&target)?;
    s.cwd = target;
    Ok(Directory(s.cwd.to_bytes()).reply(code::DONE))
}

/// Log a change to the tree (mkdir, rmdir, rm, rename), done or refused,
/// one line as a transfer's: `rm '/a.txt' ok`, `rename '/a' '/b' failed
/// 553 …`. Paths are shown resolved (from the root) where they resolve.
fn logged(
    s: &Session,
    what: &str,
    paths: &[&[u8]],
    result: Result<Reply, Error>,
) -> Result<Reply, Error> {
    if !s.cfg.logs() {
        return result;
    }
    let mut line = what.to_string();
    for path in paths {
        let shown = s
            .resolve(path)
            .map_or_else(|_| path.to_vec(), |v| v.to_bytes());
        line.push_str(&format!(" '{}'", escape(&shown)));
    }
    match &result {
        Ok(_) => line.push_str(" ok"),
        Err(e) => {
            let reply = e.reply();
            line.push_str(&format!(" failed {} {}", reply.code, reply.text));
        }
    }
    s.cfg.log(&s.peer, &line);
    result
}

/// DELE, which may also remove the partial data an upload left behind.
fn remove(s: &Session, path: &[u8]) -> Result<Reply, Error> {
    s.refuse_if_read_only(path)?;
    let v = s.cfg.root.resolve_partial_ok(&s.cwd, path)?;
    s.cfg.root.remove(&v)?;
    Ok(Reply::new(code::DONE, "done"))
}

/// MKDIR, noting the directory as one this session made.
fn mkdir(s: &mut Session, path: &[u8]) -> Result<Reply, Error> {
    s.refuse_if_read_only(path)?;
    let v = s.resolve(path)?;
    s.cfg.root.mkdir(&v, &mut s.last_dir)?;
    Ok(Reply::new(code::DONE, "done"))
}

fn write_op(
    s: &Session,
    path: &[u8],
    op: impl Fn(&Root, &VPath) -> Result<(), Error>,
) -> Result<Reply, Error> {
    s.refuse_if_read_only(path)?;
    let v = s.resolve(path)?;
    op(&s.cfg.root, &v)?;
    Ok(Reply::new(code::DONE, "done"))
}

fn rename(s: &Session, from: &[u8], to: &[u8]) -> Result<Reply, Error> {
    s.refuse_if_read_only(from)?;
    let (a, b) = (s.resolve(from)?, s.resolve(to)?);
    s.cfg.root.rename(&a, &b)?;
    Ok(Reply::new(code::DONE, "renamed"))
}

/// LIST: the entries stream out as the directory is read, in bounded
/// memory whatever its size (see `fs::Listing`).
fn list(s: &mut Session, path: Option<&[u8]>, order: Option<ListOrder>) -> io::Result<()> {
    let target = match path {
        None => Ok(s.cwd.clone()),
        Some(p) => s.resolve(p),
    };
    let order = order.unwrap_or(ListOrder::Name);
    let (mut entries, v) = match target.and_then(|v| Ok((s.cfg.root.list(&v, order)?, v))) {
        Ok(x) => x,
        Err(e) => return s.reply(&e.reply()),
    };
    let path = v.to_bytes();
    s.reply(&Announce::Listing { path: path.clone() }.reply())?;
    let sums = send_listing(&mut s.writer, &mut entries)?;
    // A directory that could not be read to its end is no listing.
    if let Some(e) = entries.error() {
        return s.reply(&e.reply());
    }
    let done = Delivered {
        sums,
        extra: Extra::Listed(path),
    };
    s.reply(&done.reply())
}

fn help(s: &mut Session) -> io::Result<()> {
    let mut text = String::new();
    for c in COMMANDS {
        text.push_str(&format!("{:<7} {:<18} {}\n", c.name, c.args, c.help));
    }
    send_text(s, text.as_bytes())
}

/// Send an in-memory payload: announcement, chunks, final reply.
fn send_text(s: &mut Session, bytes: &[u8]) -> io::Result<()> {
    let length = bytes.len() as u64;
    let announce = Announce::Bytes {
        length,
        deflate: false,
    };
    s.reply(&announce.reply())?;
    let mut payload = PayloadWriter::new(&mut s.writer);
    payload.write_all(bytes)?;
    payload.finish()?;
    let done = Delivered {
        sums: Sums {
            length,
            crc: crc32fast::hash(bytes),
        },
        extra: Extra::Nothing,
    };
    s.reply(&done.reply())
}

/// Bytes of listing after which what is made so far goes out.
const LISTING_FLUSH_BYTES: u64 = 32 * 1024;

/// Send a listing's lines as one payload; returns their length and CRC-32.
fn send_listing(w: &mut impl Write, entries: &mut Listing) -> io::Result<Sums> {
    let mut crc = crc32fast::Hasher::new();
    let (mut length, mut sent) = (0u64, 0u64);
    let mut payload = PayloadWriter::new(w);
    for e in entries {
        let line = e.to_line();
        payload.write_all(line.as_bytes())?;
        crc.update(line.as_bytes());
        length += line.len() as u64;
        // The client reads a long listing while the rest is made.
        if length - sent >= LISTING_FLUSH_BYTES {
            payload.flush()?;
            sent = length;
        }
    }
    payload.finish()?;
    Ok(Sums {
        length,
        crc: crc.finalize(),
    })
}
