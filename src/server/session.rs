//! One connection: greeting, login with its deadline and failure limit, then
//! the command loop that reads a request, calls `fs` or `transfer`, and writes
//! one final reply per command, in order.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use super::timed::{TimedReader, TimedWriter};
use super::{Config, secure_login, transfer};
use crate::error::{Cause, Error};
use crate::fs::{Listing, VPath};
use crate::out::Verbosity;
use crate::secure::record::{RecordReader, RecordWriter};
use crate::wire::{
    self, Announce, COMMANDS, Delivered, Directory, Extra, Line, ListOrder, MAX_LINE_BYTES,
    PayloadWriter, Reply, Request, Sums, code, escape,
};

/// Time allowed from connect to a successful login, however the bytes trickle.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Wait before answering a failed login, so that guessing is slow.
pub const LOGIN_FAILURE_DELAY: Duration = Duration::from_secs(1);
/// Failed logins allowed on one connection before it is closed.
pub const MAX_LOGIN_ATTEMPTS: u32 = 3;
/// Socket read buffer: large enough that a pipelined burst is one read.
const READ_BUFFER_BYTES: usize = 256 * 1024;
/// Socket write buffer.
const WRITE_BUFFER_BYTES: usize = 256 * 1024;

/// The state of one logged-in or logging-in connection.
pub struct Session<'a> {
    pub cfg: &'a Config,
    pub peer: SocketAddr,
    /// The client's bytes: clear until a protocol 2 login, then records.
    pub reader: RecordReader<TimedReader>,
    /// The bytes to the client, likewise.
    pub writer: RecordWriter<TimedWriter>,
    pub cwd: VPath,
    /// `--limit`: the bucket this session's payloads go through.
    pub limiter: Option<crate::rate::Bucket>,
    line: Vec<u8>,
}

/// Serve one connection to its end; errors end the connection, not the server.
pub fn serve(stream: TcpStream, peer: SocketAddr, cfg: &Config) {
    let started = Instant::now();
    cfg.log(&peer, "connect");
    let outcome = Session::new(stream, peer, cfg).and_then(|mut s| s.run());
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

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

impl<'a> Session<'a> {
    fn new(stream: TcpStream, peer: SocketAddr, cfg: &'a Config) -> io::Result<Session<'a>> {
        let _ = stream.set_nodelay(true);
        let reader = TimedReader::new(
            stream.try_clone()?,
            cfg.idle_timeout,
            Some(Instant::now() + LOGIN_TIMEOUT.min(cfg.idle_timeout)),
        );
        Ok(Session {
            cfg,
            peer,
            reader: RecordReader::with_capacity(READ_BUFFER_BYTES, reader),
            writer: RecordWriter::with_capacity(
                WRITE_BUFFER_BYTES,
                TimedWriter::new(stream, cfg.idle_timeout),
            ),
            cwd: VPath::root(),
            limiter: cfg.limit.map(crate::rate::Bucket::new),
            line: Vec::with_capacity(256),
        })
    }

    fn run(&mut self) -> io::Result<()> {
        let logged_in = if self.cfg.plain {
            let greeting = format!("rftp {} ready", wire::PROTOCOL_VERSION);
            self.reply(&Reply::new(code::GREETING, greeting))?;
            self.login()?
        } else {
            secure_login::login(self)?
        };
        if !logged_in {
            return self.writer.flush();
        }
        self.reader.get_mut().deadline = None;
        while let Some(line) = self.next_line("idle timeout")? {
            if self.cfg.verbosity >= Verbosity::Verbose {
                self.cfg
                    .log(&self.peer, &format!("command {}", escape(&line)));
            }
            match Request::parse(&line) {
                Ok(Request::Quit) => return self.reply(&Reply::new(code::BYE, "bye")),
                Ok(req) => self.dispatch(req)?,
                Err(e) => {
                    if self.refuse_line(&line, e)? {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }

    /// Read the next command line; `None` at end of stream. An overlong line
    /// is answered here and skipped; a timeout is answered and ends the session.
    pub fn next_line(&mut self, timeout_text: &str) -> io::Result<Option<Vec<u8>>> {
        loop {
            // Replies wait in the buffer while more pipelined commands are at hand.
            if self.reader.buffered_is_empty() {
                self.writer.flush()?;
                // All sent: from here the server waits on the client.
                self.writer.get_mut().rest();
            }
            match wire::read_line(&mut self.reader, &mut self.line) {
                Ok(Line::Whole) => return Ok(Some(std::mem::take(&mut self.line))),
                Ok(Line::TooLong) if wire::announces_payload(&self.line) => {
                    let text = "STOR line too long; cannot find the end of the upload, closing";
                    let _ = self.reply(&Reply::new(code::CLOSING, text));
                    return Ok(None);
                }
                Ok(Line::TooLong) => {
                    let text = format!("line longer than {MAX_LINE_BYTES} bytes");
                    self.reply(&Reply::new(code::SYNTAX, text))?;
                }
                Ok(Line::Eof) => return Ok(None),
                Err(e) if is_timeout(&e) => {
                    let _ = self.reply(&Reply::new(code::CLOSING, timeout_text));
                    let _ = self.writer.flush();
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Run protocol 1's login exchange (`--plain`); `true` once logged in.
    fn login(&mut self) -> io::Result<bool> {
        let mut user: Option<Vec<u8>> = None;
        let mut failures = 0;
        while let Some(line) = self.next_line("login timeout")? {
            match Request::parse(&line) {
                Ok(Request::User(name)) => {
                    user = Some(name);
                    self.reply(&Reply::new(code::NEED_PASSWORD, "password required"))?;
                }
                Ok(Request::Pass(password)) => {
                    let Some(name) = user.take() else {
                        self.reply(&Reply::new(code::BAD_SEQUENCE, "send USER first"))?;
                        continue;
                    };
                    if self.check_login(&name, &password) {
                        self.cfg
                            .log(&self.peer, &format!("login '{}' ok", escape(&name)));
                        self.reply(&Reply::new(code::LOGGED_IN, "logged in"))?;
                        return Ok(true);
                    }
                    failures += 1;
                    self.cfg
                        .log(&self.peer, &format!("login '{}' failed", escape(&name)));
                    self.writer.flush()?;
                    thread::sleep(LOGIN_FAILURE_DELAY);
                    if failures >= MAX_LOGIN_ATTEMPTS {
                        self.reply(&Reply::new(
                            code::CLOSING,
                            "too many failed logins, closing",
                        ))?;
                        return Ok(false);
                    }
                    self.reply(&Reply::new(code::LOGIN_FAILED, "login incorrect"))?;
                }
                Ok(Request::Quit) => {
                    self.reply(&Reply::new(code::BYE, "bye"))?;
                    return Ok(false);
                }
                Ok(Request::Stor { .. }) => {
                    // Its payload would follow; rather than read it, close.
                    self.reply(&Reply::new(code::CLOSING, "log in first, closing"))?;
                    return Ok(false);
                }
                Ok(_) => self.reply(&Reply::new(code::LOGIN_FAILED, "log in first"))?,
                Err(e) => {
                    if self.refuse_line(&line, e)? {
                        return Ok(false);
                    }
                }
            }
        }
        Ok(false)
    }

    /// Answer a line that does not parse, before login or after; `true`
    /// when the connection must close: a STOR line's payload is on its way
    /// and nobody can tell where it ends.
    fn refuse_line(&mut self, line: &[u8], e: wire::ParseError) -> io::Result<bool> {
        if wire::announces_payload(line) {
            let text = format!("{}; cannot find the end of the upload, closing", e.text);
            self.reply(&Reply::new(code::CLOSING, text))?;
            return Ok(true);
        }
        self.reply(&Reply::new(e.code, e.text))?;
        Ok(false)
    }

    /// Compare user and password with the configured ones in constant time.
    fn check_login(&self, user: &[u8], password: &[u8]) -> bool {
        let user_ok = same_bytes(user, &self.cfg.user);
        let password_ok = same_bytes(password, &self.cfg.password);
        user_ok & password_ok
    }

    /// Queue one reply line (sent when no more commands are waiting).
    pub fn reply(&mut self, reply: &Reply) -> io::Result<()> {
        reply.write_to(&mut self.writer)
    }

    fn dispatch(&mut self, req: Request) -> io::Result<()> {
        let result = match req {
            Request::Retr {
                path,
                offset,
                deflate,
            } => return transfer::send_file(self, &path, offset, deflate),
            Request::Compress { path, level, mode } => {
                return transfer::compress(self, &path, level, mode);
            }
            Request::Stor {
                path,
                length,
                mode,
                offset,
            } => return transfer::receive_file(self, &path, length, mode, offset),
            Request::Crc { path, length } => transfer::crc(self, &path, length),
            Request::Partial(path) => transfer::partial(self, &path),
            Request::Mtime { path, secs, nsec } => super::meta::mtime(self, &path, secs, nsec),
            Request::Sum { path, algo } => super::meta::sum(self, &path, &algo),
            Request::List { path, order } => return self.list(path.as_deref(), order),
            Request::Help => return self.help(),
            Request::Pwd => Ok(Directory(self.cwd.to_bytes()).reply(code::PWD)),
            Request::Cwd(path) => self.cwd(path.as_deref()),
            Request::Stat(path) => self
                .resolve(&path)
                .and_then(|v| self.cfg.root.stat(&v))
                .map(|e| e.reply()),
            Request::Mkdir(path) => self.write_op(&path, |root, v| root.mkdir(v)),
            Request::Rmdir(path) => self.write_op(&path, |root, v| root.rmdir(v)),
            Request::Dele(path) => self.remove(&path),
            Request::Rename(from, to) => self.rename(&from, &to),
            Request::Noop => Ok(Reply::new(code::OK, "ok")),
            Request::User(_) | Request::Pass(_) => {
                Ok(Reply::new(code::BAD_SEQUENCE, "already logged in"))
            }
            Request::Quit => Ok(Reply::new(code::BYE, "bye")),
        };
        self.reply(&result.unwrap_or_else(|e| e.reply()))
    }

    /// A client path resolved against the current directory.
    pub fn resolve(&self, path: &[u8]) -> Result<VPath, Error> {
        self.cfg.root.resolve(&self.cwd, path)
    }

    fn cwd(&mut self, path: Option<&[u8]>) -> Result<Reply, Error> {
        let target = match path {
            None => VPath::root(),
            // `..` at the root stays at the root, as in chrooted ftp servers.
            Some(p) => match self.resolve(p) {
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
        self.cfg.root.dir(&target)?;
        self.cwd = target;
        Ok(Directory(self.cwd.to_bytes()).reply(code::DONE))
    }

    /// DELE, which may also remove the partial data an upload left behind.
    fn remove(&self, path: &[u8]) -> Result<Reply, Error> {
        self.refuse_if_read_only(path)?;
        let v = self.cfg.root.resolve_partial_ok(&self.cwd, path)?;
        self.cfg.root.remove(&v)?;
        Ok(Reply::new(code::DONE, "done"))
    }

    fn write_op(
        &self,
        path: &[u8],
        op: impl Fn(&crate::fs::Root, &VPath) -> Result<(), Error>,
    ) -> Result<Reply, Error> {
        self.refuse_if_read_only(path)?;
        let v = self.resolve(path)?;
        op(&self.cfg.root, &v)?;
        Ok(Reply::new(code::DONE, "done"))
    }

    fn rename(&self, from: &[u8], to: &[u8]) -> Result<Reply, Error> {
        self.refuse_if_read_only(from)?;
        let (a, b) = (self.resolve(from)?, self.resolve(to)?);
        self.cfg.root.rename(&a, &b)?;
        Ok(Reply::new(code::DONE, "renamed"))
    }

    /// Refuse a writing command on a read-only server.
    pub fn refuse_if_read_only(&self, path: &[u8]) -> Result<(), Error> {
        if self.cfg.read_only {
            return Err(Error::path(path, Cause::ReadOnly));
        }
        Ok(())
    }

    /// LIST: the entries stream out as the directory is read, in bounded
    /// memory whatever its size (see `fs::Listing`).
    fn list(&mut self, path: Option<&[u8]>, order: Option<ListOrder>) -> io::Result<()> {
        let target = match path {
            None => Ok(self.cwd.clone()),
            Some(p) => self.resolve(p),
        };
        let order = order.unwrap_or(ListOrder::Name);
        let (mut entries, v) = match target.and_then(|v| Ok((self.cfg.root.list(&v, order)?, v))) {
            Ok(x) => x,
            Err(e) => return self.reply(&e.reply()),
        };
        let path = v.to_bytes();
        self.reply(&Announce::Listing { path: path.clone() }.reply())?;
        let sums = send_listing(&mut self.writer, &mut entries)?;
        // A directory that could not be read to its end is no listing.
        if let Some(e) = entries.error() {
            return self.reply(&e.reply());
        }
        let done = Delivered {
            sums,
            extra: Extra::Listed(path),
        };
        self.reply(&done.reply())
    }

    fn help(&mut self) -> io::Result<()> {
        let mut text = String::new();
        for c in COMMANDS {
            text.push_str(&format!("{:<7} {:<18} {}\n", c.name, c.args, c.help));
        }
        self.send_text(text.as_bytes())
    }

    /// Send an in-memory payload: announcement, chunks, final reply.
    fn send_text(&mut self, bytes: &[u8]) -> io::Result<()> {
        let length = bytes.len() as u64;
        let announce = Announce::Bytes {
            length,
            deflate: false,
        };
        self.reply(&announce.reply())?;
        let mut payload = PayloadWriter::new(&mut self.writer);
        payload.write_all(bytes)?;
        payload.finish()?;
        let done = Delivered {
            sums: Sums {
                length,
                crc: crc32fast::hash(bytes),
            },
            extra: Extra::Nothing,
        };
        self.reply(&done.reply())
    }
}

/// Send a listing's lines as one payload; returns their length and CRC-32.
fn send_listing(w: &mut impl Write, entries: &mut Listing) -> io::Result<Sums> {
    let mut crc = crc32fast::Hasher::new();
    let mut length = 0u64;
    let mut payload = PayloadWriter::new(w);
    for e in entries {
        let line = e.to_line();
        payload.write_all(line.as_bytes())?;
        crc.update(line.as_bytes());
        length += line.len() as u64;
    }
    payload.finish()?;
    Ok(Sums {
        length,
        crc: crc.finalize(),
    })
}

/// Compare two byte strings in time that depends only on their lengths.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::same_bytes;

    #[test]
    fn same_bytes_compares_whole_strings() {
        assert!(same_bytes(b"secret", b"secret"));
        assert!(!same_bytes(b"secret", b"secreT"));
        assert!(!same_bytes(b"secret", b"secret1"));
        assert!(!same_bytes(b"", b"x"));
        assert!(same_bytes(b"", b""));
    }
}
