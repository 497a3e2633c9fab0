//! The client's connection, the only owner of its socket: connect, greeting,
//! login, the request/reply exchange with bounded reads, payloads in and out
//! (framed, paced by `--limit`), the upload trailer, and the listings and
//! STAT that many commands read; and its end (a protocol error, the server's
//! `421` or a cut, Ctrl-C, `close`), told apart so that the client can say
//! which, and the remote directory, kept for a new connection. Knows the
//! wire, not the local file system.

use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::error::{Cause, Error};
use crate::rate::{Bucket, Limited};
use crate::secure::handshake;
use crate::secure::{RecordReader, RecordWriter};
use crate::wire::{
    self, Announce, Delivered, Entry, Line, ListOrder, PayloadReader, PayloadWriter, Reply,
    Request, Trailer, code,
};

/// How long to wait for the server before giving up on it.
const NETWORK_TIMEOUT: Duration = Duration::from_secs(300);
/// How long to wait for the rest of a line the server sent unasked (its
/// `421` before it closes), once its first byte is here.
const FAREWELL_TIMEOUT: Duration = Duration::from_secs(2);
/// Socket buffers, in bytes.
const BUFFER_BYTES: usize = 256 * 1024;

/// What a listing hands its reader, in order.
pub enum ListItem<'a> {
    /// The path the server lists, before any entry.
    Start(&'a [u8]),
    /// One entry.
    Entry(Entry),
}

/// How one login attempt ended (issue 11: the prompt's three tries).
pub enum Login {
    /// Logged in.
    In,
    /// The password was judged wrong; the server takes another try on this
    /// connection (its text says why).
    Refused(String),
    /// The connection ended before the password was judged: another
    /// connection may try the same one.
    Lost(String),
}

/// A connection to a server.
pub struct Conn {
    /// The server's bytes: clear until a protocol 2 login, then records.
    reader: RecordReader<TcpStream>,
    /// The bytes to the server, likewise.
    writer: RecordWriter<TcpStream>,
    /// `--limit`: the bucket every file payload goes through, both ways.
    limiter: Option<Bucket>,
    /// The greeting's text; protocol 2 binds the login to it.
    greeting: String,
    /// Protocol 1 (`--plain`).
    plain: bool,
    line: Vec<u8>,
    verbose: bool,
    /// Why the connection can no longer be used, once it cannot.
    gone: Option<Gone>,
    /// Logged in: from now on a `421` is the server closing the session.
    in_session: bool,
    /// The remote directory the last `CWD` reached (`None`: the root).
    cwd: Option<Vec<u8>>,
    /// Set by Ctrl-C: every read and write fails from then on, also of
    /// bytes already buffered, so that the command stops at once.
    interrupt: Arc<AtomicBool>,
}

/// Why a connection can no longer be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gone {
    /// A protocol error: the stream lost its place (the text says how).
    Broken(String),
    /// It ended: the server closed it, the network cut it, or Ctrl-C did.
    Lost(String),
    /// `close` ended it.
    Closed,
}

impl Conn {
    /// Connect to `host:port` (`host` may be `fe80::1%eth0`; several
    /// addresses are tried happy-eyeballs style) and read the greeting.
    /// `plain` speaks protocol 1 (`--plain`), else protocol 2.
    pub fn connect(host: &str, port: u16, verbose: bool, plain: bool) -> Result<Conn, Error> {
        let mut note = |n: &str| crate::out::err_line(&format!("rftp: {n}"));
        let stream = crate::net::connect(host, port, &mut note).map_err(Error::Connect)?;
        let target = format!("{host} port {port}");
        Conn::start(stream, verbose, plain)
            .map_err(|e| Error::Connect(format!("cannot connect to {target}: {e}")))
    }

    fn start(stream: TcpStream, verbose: bool, plain: bool) -> Result<Conn, Error> {
        let io_err = |e: io::Error| Error::Connect(Cause::of(&e).to_string());
        stream
            .set_read_timeout(Some(NETWORK_TIMEOUT))
            .map_err(io_err)?;
        stream
            .set_write_timeout(Some(NETWORK_TIMEOUT))
            .map_err(io_err)?;
        let _ = stream.set_nodelay(true);
        let mut conn = Conn {
            reader: RecordReader::with_capacity(BUFFER_BYTES, stream.try_clone().map_err(io_err)?),
            writer: RecordWriter::with_capacity(BUFFER_BYTES, stream),
            limiter: None,
            greeting: String::new(),
            plain,
            line: Vec::new(),
            verbose,
            gone: None,
            in_session: false,
            cwd: None,
            interrupt: Arc::new(AtomicBool::new(false)),
        };
        let greeting = conn.reply()?;
        if greeting.code == code::CLOSING {
            return Err(Error::Connect(format!(
                "the server refused the connection: {}",
                greeting.text
            )));
        }
        if greeting.code != code::GREETING {
            return Err(Error::Connect(format!(
                "not an rftp server: {}",
                greeting.text
            )));
        }
        check_version(&greeting.text, plain)?;
        conn.greeting = greeting.text;
        Ok(conn)
    }

    /// Pace file payloads to at most `rate` bytes a second (`--limit`).
    pub fn limit(&mut self, rate: Option<u64>) {
        self.limiter = rate.map(Bucket::new);
    }

    /// Log in once with `password`: in, refused (another try may follow on
    /// this connection), or lost before the password was judged (the
    /// server's login deadline, say). Any other failure is an error.
    pub fn login(&mut self, user: &[u8], password: &[u8]) -> Result<Login, Error> {
        if !self.plain {
            return self.secure_login(user, password);
        }
        let reply = match self.exchange(&Request::User(user.to_vec())) {
            Ok(reply) if reply.code == code::CLOSING => return Ok(Login::Lost(reply.text)),
            Ok(reply) => reply,
            Err(Error::Protocol(why) | Error::Lost(why)) => return Ok(Login::Lost(why)),
            Err(e) => return Err(e),
        };
        if reply.code != code::NEED_PASSWORD {
            return Err(Error::Login(format!("login refused: {}", reply.text)));
        }
        let reply = self.exchange(&Request::Pass(password.to_vec()))?;
        verdict(reply)
    }

    /// Protocol 2's login: CPace, then both confirmation tags, then records.
    /// A server that cannot prove it knows the password is left before
    /// any command is sent.
    fn secure_login(&mut self, user: &[u8], password: &[u8]) -> Result<Login, Error> {
        let bad = |why: &str| Error::Login(format!("login failed: {why}"));
        let random = handshake::random().map_err(|e| bad(&e.to_string()))?;
        let (client, auth) = handshake::Client::start(&self.greeting, user, password, random)
            .map_err(|e| bad(e.0))?;
        let reply = match self.exchange_line(&auth) {
            Ok(reply) if reply.code == code::CLOSING => return Ok(Login::Lost(reply.text)),
            Ok(reply) => reply,
            Err(Error::Protocol(why) | Error::Lost(why)) => return Ok(Login::Lost(why)),
            Err(e) => return Err(e),
        };
        if reply.code != code::SHARE {
            return Err(bad(&reply.text));
        }
        let confirm = client.confirm(&reply.text).map_err(|e| bad(e.0))?;
        let reply = self.exchange_line(&confirm.line)?;
        if reply.code == code::LOGIN_FAILED {
            return Ok(Login::Refused(reply.text));
        }
        if reply.code != code::CONFIRMED {
            return Err(bad(&reply.text));
        }
        match confirm.finish(&reply.text) {
            Ok(channel) => {
                self.writer.secure(channel.send);
                self.reader.secure(channel.receive);
                if self.verbose {
                    let suite = channel.suite.name();
                    crate::out::err_line(&format!("rftp: secure channel: CPace login, {suite}"));
                }
                Ok(Login::In)
            }
            Err(e) => {
                self.break_off(e.0);
                Err(bad(&format!("{} (not the server you meant?)", e.0)))
            }
        }
    }

    /// Send one clear handshake line and read its reply.
    fn exchange_line(&mut self, line: &str) -> Result<Reply, Error> {
        self.usable()?;
        self.writer.write_all(line.as_bytes()).map_err(lost)?;
        self.writer.write_all(b"\n").map_err(lost)?;
        self.flush()?;
        self.reply()
    }

    /// Stop using the connection after a protocol error: the stream has
    /// lost its place, so any later reply could belong to another command.
    pub fn break_off(&mut self, why: &str) {
        self.end(Gone::Broken(why.to_string()));
    }

    /// Stop using a connection that ended (`why` says how).
    pub fn lose(&mut self, why: &str) {
        self.end(Gone::Lost(why.to_string()));
    }

    /// Hang up for good (`close`): no command uses the connection, and none
    /// makes it again by itself.
    pub fn close(&mut self) {
        self.end(Gone::Closed);
        self.gone = Some(Gone::Closed);
    }

    /// The first reason the connection ended is the one kept.
    fn end(&mut self, gone: Gone) {
        if self.gone.is_none() {
            self.gone = Some(gone);
            let _ = self.writer.get_ref().shutdown(std::net::Shutdown::Both);
        }
    }

    /// Why the connection can no longer be used; `None` while it can.
    pub fn gone(&self) -> Option<&Gone> {
        self.gone.as_ref()
    }

    /// The connection is logged in: from now on a `421` reply means the
    /// server closes it.
    pub fn start_session(&mut self) {
        self.in_session = true;
    }

    /// Stop every exchange at once when `flag` is set (Ctrl-C).
    pub fn set_interrupt(&mut self, flag: Arc<AtomicBool>) {
        self.interrupt = flag;
    }

    /// The remote directory the last successful `CWD` reached.
    pub fn cwd(&self) -> Option<&[u8]> {
        self.cwd.as_deref()
    }

    /// A second handle on the socket, for a thread that may have to cut
    /// the connection (Ctrl-C) while this one waits on it.
    pub fn cutter(&self) -> Option<TcpStream> {
        self.gone
            .is_none()
            .then(|| self.writer.get_ref().try_clone().ok())
            .flatten()
    }

    fn usable(&self) -> Result<(), Error> {
        if self.interrupt.load(Ordering::SeqCst) {
            return Err(Error::Lost(INTERRUPTED.into()));
        }
        match &self.gone {
            Some(Gone::Broken(why)) => Err(Error::Protocol(format!(
                "no connection to the server any more ({why})"
            ))),
            Some(Gone::Lost(why)) => Err(Error::Lost(format!(
                "no connection to the server any more ({why})"
            ))),
            Some(Gone::Closed) => Err(Error::Lost("not connected (use 'open HOST')".into())),
            None => Ok(()),
        }
    }

    /// Whether the server has closed the connection while we were not
    /// asking (an idle timeout, a restart): it then sent its `421` or just
    /// closed, and the connection is marked lost with its reason. Looks
    /// without waiting; a live, quiet connection is left as it is.
    pub fn closed_by_server(&mut self) -> Option<String> {
        if self.gone.is_some() {
            return None;
        }
        if self.reader.buffered_is_empty() {
            let socket = self.reader.get_ref();
            let _ = socket.set_nonblocking(true);
            let peeked = socket.peek(&mut [0u8; 1]);
            let _ = socket.set_nonblocking(false);
            match peeked {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => return None,
                _ => {}
            }
        }
        // Something came unasked, or the end: what the server said last.
        let _ = self
            .reader
            .get_ref()
            .set_read_timeout(Some(FAREWELL_TIMEOUT));
        let said = self.read_reply();
        let _ = self
            .reader
            .get_ref()
            .set_read_timeout(Some(NETWORK_TIMEOUT));
        let why = match said {
            Ok(reply) => format!(
                "protocol error: a reply no command asked for '{}'",
                reply.text
            ),
            // The server's `421` is an error here, with its text.
            Err(e) => e.to_string(),
        };
        self.lose(&why);
        Some(why)
    }

    /// Queue a request; `flush` sends it. Returns the length of its line.
    pub fn send(&mut self, req: &Request) -> Result<usize, Error> {
        self.usable()?;
        let line = req.to_line();
        self.writer.write_all(line.as_bytes()).map_err(lost)?;
        Ok(line.len())
    }

    /// Send everything queued.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.usable()?;
        self.writer.flush().map_err(lost)
    }

    /// Read one reply line.
    pub fn reply(&mut self) -> Result<Reply, Error> {
        let reply = self.read_reply()?;
        if reply.code == code::WORKING {
            return Err(Error::Protocol("a 110 line outside a COMPRESS".into()));
        }
        Ok(reply)
    }

    /// Read the final reply of a long command (COMPRESS), waiting through
    /// its `110` lines: each says the server is still at work.
    pub fn final_reply(&mut self) -> Result<Reply, Error> {
        loop {
            let reply = self.read_reply()?;
            if reply.code != code::WORKING {
                return Ok(reply);
            }
        }
    }

    fn read_reply(&mut self) -> Result<Reply, Error> {
        self.usable()?;
        match wire::read_line(&mut self.reader, &mut self.line).map_err(lost)? {
            Line::Whole => {}
            Line::TooLong => return Err(Error::Protocol("reply line too long".into())),
            Line::Eof => {
                self.lose(CLOSED_BY_SERVER);
                return Err(Error::Lost(CLOSED_BY_SERVER.into()));
            }
        }
        let reply = Reply::parse(&self.line)
            .ok_or_else(|| Error::Protocol(format!("bad reply '{}'", wire::escape(&self.line))))?;
        if self.verbose {
            crate::out::err_line(&format!("rftp: < {} {}", reply.code, reply.text));
        }
        if self.in_session && reply.code == code::CLOSING {
            // The server closes the connection after this line, whatever
            // command it seems to answer.
            let why = format!("{CLOSED_BY_SERVER}: {}", reply.text);
            self.lose(&why);
            return Err(Error::Lost(why));
        }
        Ok(reply)
    }

    /// Send a request and read its reply, whatever the code.
    pub fn exchange(&mut self, req: &Request) -> Result<Reply, Error> {
        self.send(req)?;
        self.flush()?;
        self.reply()
    }

    /// Send a request; a reply that is not 2xx is an error. A `CWD` that
    /// succeeds is remembered, for a connection made again later.
    pub fn call(&mut self, req: &Request) -> Result<Reply, Error> {
        let reply = self.exchange(req)?;
        if !reply.is_ok() {
            return Err(Error::Remote(reply));
        }
        if let Request::Cwd(_) = req {
            self.cwd = wire::Directory::parse(&reply.text)
                .map(|d| d.0)
                .filter(|d| d.as_slice() != b"/");
        }
        Ok(reply)
    }

    /// LIST `path` (directories first with `dirs_first`) and hand each
    /// entry to `each` as it arrives, holding one line at a time; returns
    /// the path the server listed.
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
        self.send(&req)?;
        self.flush()?;
        let reply = self.reply()?;
        if reply.code != code::PAYLOAD {
            return Err(Error::Remote(reply));
        }
        let listed = match Announce::parse(&reply.text) {
            Some(Announce::Listing { path }) => path,
            _ => {
                let why = format!("bad listing announcement '{}'", reply.text);
                return Err(Error::Protocol(why));
            }
        };
        let mut failed = each(ListItem::Start(&listed)).err();
        let mut payload = io::BufReader::new(PayloadReader::new(&mut self.reader, u64::MAX));
        let (mut length, mut crc) = (0u64, crc32fast::Hasher::new());
        let mut line = Vec::new();
        while failed.is_none() {
            if self.interrupt.load(Ordering::SeqCst) {
                return Err(Error::Lost(INTERRUPTED.into()));
            }
            match wire::read_line(&mut payload, &mut line).map_err(lost)? {
                Line::Whole => {}
                Line::Eof if line.is_empty() => break,
                _ => return Err(Error::Protocol("bad listing line".into())),
            }
            // `read_line` took the newline off; the checksum covers it.
            length += line.len() as u64 + 1;
            crc.update(&line);
            crc.update(b"\n");
            let entry = Entry::parse(&line).ok_or_else(|| {
                Error::Protocol(format!("bad listing line '{}'", wire::escape(&line)))
            })?;
            failed = each(ListItem::Entry(entry)).err();
        }
        drop(payload);
        if let Some(e) = failed {
            // The rest of the listing (endless, for all we know) is left
            // unread, so the stream has lost its place.
            self.break_off("a listing was left unread");
            return Err(e);
        }
        let done = self.reply()?;
        check_final(&done, length, crc.finalize(), length)?;
        Ok(listed)
    }

    /// STAT a remote path; `None` when the server says it does not exist.
    pub fn stat(&mut self, path: &[u8]) -> Result<Option<Entry>, Error> {
        let reply = self.exchange(&Request::Stat(path.to_vec()))?;
        if reply.code == code::STAT {
            return Entry::parse(reply.text.as_bytes())
                .map(Some)
                .ok_or_else(|| Error::Protocol(format!("bad STAT reply '{}'", reply.text)));
        }
        if reply.code == code::NOT_FOUND {
            return Ok(None);
        }
        Err(Error::Remote(reply))
    }

    /// The payload that follows an announcement, at most `limit` bytes on
    /// the wire, paced by `--limit`.
    pub fn payload_in(&mut self, limit: u64) -> Incoming<'_> {
        Incoming {
            framed: PayloadReader::new(&mut self.reader, limit),
            bucket: self.limiter.as_mut(),
            interrupt: &self.interrupt,
        }
    }

    /// Read and throw away a payload of at most `limit` bytes, so that the
    /// stream keeps its place.
    pub fn drain_payload(&mut self, limit: u64) -> Result<(), Error> {
        PayloadReader::new(&mut self.reader, limit)
            .drain()
            .map(drop)
            .map_err(lost)
    }

    /// A payload to send after a STOR, paced by `--limit`; `finish` ends it.
    pub fn payload_out(&mut self) -> Outgoing<'_> {
        Outgoing {
            framed: PayloadWriter::new(&mut self.writer),
            bucket: self.limiter.as_mut(),
            interrupt: &self.interrupt,
        }
    }

    /// Queue the trailer that follows an upload's payload.
    pub fn send_trailer(&mut self, trailer: Trailer) -> Result<(), Error> {
        self.usable()?;
        self.writer
            .write_all(trailer.to_line().as_bytes())
            .map_err(lost)
    }

    /// Read the answer to a request for a payload: its announced length, or
    /// the refusal as an error.
    /// The second value says whether the payload is a deflate stream.
    pub fn read_announcement(&mut self) -> Result<(u64, bool), Error> {
        let reply = self.reply()?;
        if reply.code != code::PAYLOAD {
            return Err(Error::Remote(reply));
        }
        match Announce::parse(&reply.text) {
            Some(Announce::Bytes { length, deflate }) => Ok((length, deflate)),
            _ => Err(Error::Protocol(format!(
                "bad payload announcement '{}'",
                reply.text
            ))),
        }
    }

    /// Say goodbye, without waiting for the answer: it tells nothing, and
    /// waiting for it cost every run a round trip. Errors do not matter
    /// any more.
    pub fn quit(&mut self) {
        if self.send(&Request::Quit).is_ok() {
            let _ = self.flush();
        }
    }
}

/// Protocol 1's verdict on a password: logged in (230), or a refusal that
/// leaves room for another try (530); else the end (421 after the last
/// try).
fn verdict(reply: Reply) -> Result<Login, Error> {
    match reply.code {
        code::LOGGED_IN => Ok(Login::In),
        code::LOGIN_FAILED => Ok(Login::Refused(reply.text)),
        _ => Err(Error::Login(format!("login failed: {}", reply.text))),
    }
}

/// A payload coming in (`Conn::payload_in`): framed, bounded, paced.
pub struct Incoming<'a> {
    framed: PayloadReader<&'a mut RecordReader<TcpStream>>,
    bucket: Option<&'a mut Bucket>,
    interrupt: &'a AtomicBool,
}

impl Incoming<'_> {
    /// The payload's bytes read so far, as they crossed the wire.
    pub fn total(&self) -> u64 {
        self.framed.total()
    }
}

impl Read for Incoming<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        stop_if(self.interrupt)?;
        Limited::new(&mut self.framed, self.bucket.as_deref_mut()).read(buf)
    }
}

/// The payload in place (for `get -z`'s inflater), paced as it is used.
impl BufRead for Incoming<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        stop_if(self.interrupt)?;
        self.framed.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.framed.consume(n);
        if let Some(bucket) = self.bucket.as_deref_mut() {
            bucket.take(n);
        }
    }
}

/// The error of a read or write after Ctrl-C.
fn stop_if(interrupt: &AtomicBool) -> io::Result<()> {
    match interrupt.load(Ordering::SeqCst) {
        true => Err(io::Error::other(INTERRUPTED)),
        false => Ok(()),
    }
}

/// A payload going out (`Conn::payload_out`): framed and paced.
pub struct Outgoing<'a> {
    framed: PayloadWriter<&'a mut RecordWriter<TcpStream>>,
    bucket: Option<&'a mut Bucket>,
    interrupt: &'a AtomicBool,
}

impl Outgoing<'_> {
    /// End the payload (its last, short chunk).
    pub fn finish(self) -> Result<(), Error> {
        self.framed.finish().map(drop).map_err(lost)
    }
}

impl Write for Outgoing<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        stop_if(self.interrupt)?;
        Limited::new(&mut self.framed, self.bucket.as_deref_mut()).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.framed.flush()
    }
}

/// Check the greeting's protocol against the one asked for: one line that
/// names the mismatch, never a fallback.
fn check_version(text: &str, plain: bool) -> Result<(), Error> {
    let v1 = format!("rftp {} ", wire::PROTOCOL_VERSION);
    let v2 = format!("rftp {} ", handshake::PROTOCOL_VERSION);
    let why = match (text.starts_with(&v1), text.starts_with(&v2), plain) {
        (true, _, true) | (_, true, false) => return Ok(()),
        (true, _, false) => {
            "the server speaks rftp protocol 1 (--plain, nothing encrypted) and this \
             client protocol 2; it never falls back: give --plain on both ends for protocol 1"
        }
        (_, true, true) => {
            "the server speaks rftp protocol 2 (encrypted) and this client, with --plain, \
             protocol 1: drop --plain, or start the server with --plain"
        }
        _ => return Err(Error::Connect(format!("not an rftp server: {text}"))),
    };
    Err(Error::Connect(why.into()))
}

/// Check the final reply after a payload against what arrived; returns
/// what it said.
pub fn check_final(
    done: &Reply,
    received: u64,
    crc: u32,
    announced: u64,
) -> Result<Delivered, Error> {
    if done.code != code::TRANSFER_OK {
        return Err(Error::Remote(done.clone()));
    }
    match Delivered::parse(&done.text) {
        Some(d) if d.sums.length == received && d.sums.length == announced && d.sums.crc == crc => {
            Ok(d)
        }
        Some(_) => Err(Error::Transfer(
            "transfer damaged: length or checksum mismatch, nothing kept".into(),
        )),
        None => Err(Error::Protocol(format!("bad final reply '{}'", done.text))),
    }
}

/// Why a connection that Ctrl-C cut can no longer be used.
const INTERRUPTED: &str = "interrupted";

/// What the client says when the server ends the connection.
const CLOSED_BY_SERVER: &str = "connection closed by the server";

/// A socket error: the connection is gone; bytes that broke the framing or
/// the secure channel are a protocol error.
pub fn lost(e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            Error::Lost("connection lost: the server stopped answering".into())
        }
        io::ErrorKind::InvalidData => Error::Protocol(e.to_string()),
        // A stream that ended before its close record, or mid-payload.
        io::ErrorKind::UnexpectedEof => Error::Lost(CLOSED_BY_SERVER.into()),
        _ => Error::Lost(format!("connection lost: {}", Cause::of(&e))),
    }
}
