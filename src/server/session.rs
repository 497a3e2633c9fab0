//! One connection's state and its line discipline: the two socket halves
//! (records after a protocol 2 login), the current directory, reading
//! bounded command lines with the idle and login deadlines, queueing
//! replies, and the answer to a line that does not parse. What the lines
//! mean is `connection`'s.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::config::Config;
use super::land::{self, Landed, Lander, Landing};
use super::timed::{TimedReader, TimedWriter};
use crate::error::{Cause, Error};
use crate::fs::{LastDir, VPath};
use crate::secure::{RecordReader, RecordWriter};
use crate::wire::{self, Line, MAX_LINE_BYTES, ParseError, Reply, Request, code};

/// Time allowed from connect to a successful login, however the bytes trickle.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Socket read buffer: large enough that a pipelined burst is one read.
const READ_BUFFER_BYTES: usize = 256 * 1024;
/// Socket write buffer.
const WRITE_BUFFER_BYTES: usize = 256 * 1024;

/// The state of one logged-in or logging-in connection.
pub struct Session<'a> {
    /// The server's settings.
    pub cfg: &'a Config,
    /// Who is at the other end.
    pub peer: SocketAddr,
    /// The client's bytes: clear until a protocol 2 login, then records.
    pub reader: RecordReader<TimedReader>,
    /// The bytes to the client, likewise.
    pub writer: RecordWriter<TimedWriter>,
    /// The current directory.
    pub cwd: VPath,
    /// `--limit`: the bucket this session's payloads go through.
    pub limiter: Option<crate::rate::Bucket>,
    /// The directory of the last transfer, while transfers come back to back.
    pub last_dir: LastDir,
    /// Small uploads being published behind, their replies still to come.
    landing: Lander,
    line: Vec<u8>,
}

/// Whether a socket error is a timeout (`WouldBlock` or `TimedOut`).
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

impl<'a> Session<'a> {
    /// A session on a connection just accepted, with the login deadline set.
    pub fn new(stream: TcpStream, peer: SocketAddr, cfg: &'a Config) -> io::Result<Session<'a>> {
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
            last_dir: LastDir::default(),
            landing: land::new_lander(),
            line: Vec::with_capacity(256),
        })
    }

    /// Read the next command line; `None` at end of stream. An overlong line
    /// is answered here and skipped; a timeout is answered and ends the session.
    pub fn next_line(&mut self, timeout_text: &str) -> io::Result<Option<Vec<u8>>> {
        loop {
            // Replies wait in the buffer while more pipelined commands are at hand.
            if self.reader.buffered_is_empty() {
                self.settle()?;
                self.writer.flush()?;
                // All sent: from here the server waits on the client.
                self.writer.get_mut().rest();
                self.last_dir.forget();
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

    /// Answer a line that does not parse, before login or after; `true`
    /// when the connection must close: a STOR line's payload is on its way
    /// and nobody can tell where it ends.
    pub fn refuse_line(&mut self, line: &[u8], e: ParseError) -> io::Result<bool> {
        if wire::announces_payload(line) {
            let text = format!("{}; cannot find the end of the upload, closing", e.text);
            self.reply(&Reply::new(code::CLOSING, text))?;
            return Ok(true);
        }
        self.reply(&Reply::new(e.code, e.text))?;
        Ok(false)
    }

    /// Answer, before login, a line that announces a payload: it is not
    /// read, so the connection closes, with the parser's complaint when the
    /// line does not parse (as after login) and "log in first" when it does.
    pub fn refuse_upload_before_login(&mut self, line: &[u8]) -> io::Result<()> {
        match Request::parse(line) {
            Err(e) => self.refuse_line(line, e).map(drop),
            Ok(_) => self.reply(&Reply::new(code::CLOSING, "log in first, closing")),
        }
    }

    /// Queue one reply line (sent when no more commands are waiting),
    /// after those of the uploads being published.
    pub fn reply(&mut self, reply: &Reply) -> io::Result<()> {
        self.settle()?;
        reply.write_to(&mut self.writer)
    }

    /// Publish a small upload behind the session (see `land`); its reply
    /// comes in order.
    pub fn land(&mut self, up: Landing) -> io::Result<()> {
        let len = up.bytes.len();
        let pushed = self.landing.push(up, len);
        self.answered(pushed)
    }

    /// Wait until the uploads being published are, and queue their replies:
    /// before anything else is done or answered.
    pub fn settle(&mut self) -> io::Result<()> {
        if self.landing.is_idle() {
            return Ok(());
        }
        let settled = self.landing.settle();
        self.answered(settled)
    }

    /// Answer the uploads `done` says were published or refused; when the
    /// lander failed, those it finished before, then the error (which ends
    /// the connection: what became of the rest is not known).
    fn answered(&mut self, done: io::Result<Vec<Landed>>) -> io::Result<()> {
        match done {
            Ok(done) => self.answer_landed(done),
            Err(e) => {
                let before = self.landing.take_done();
                self.answer_landed(before)?;
                Err(e)
            }
        }
    }

    fn answer_landed(&mut self, done: Vec<Landed>) -> io::Result<()> {
        for up in done {
            let status = status(&up.reply);
            self.log_transfer("put", &up.shown, up.bytes, up.started, &status);
            up.reply.write_to(&mut self.writer)?;
        }
        Ok(())
    }

    /// One log line for a transfer: what, path, bytes, duration, outcome.
    pub fn log_transfer(
        &self,
        what: &str,
        path: &[u8],
        bytes: u64,
        started: Instant,
        status: &str,
    ) {
        if !self.cfg.logs() {
            return;
        }
        let secs = started.elapsed().as_secs_f64();
        self.cfg.log(
            &self.peer,
            &format!(
                "{what} '{}' {bytes} bytes {secs:.3}s {status}",
                wire::escape(path)
            ),
        );
    }

    /// A client path resolved against the current directory.
    pub fn resolve(&self, path: &[u8]) -> Result<VPath, Error> {
        self.cfg.root.resolve(&self.cwd, path)
    }

    /// Refuse a writing command on a read-only server.
    pub fn refuse_if_read_only(&self, path: &[u8]) -> Result<(), Error> {
        if self.cfg.read_only {
            return Err(Error::path(path, Cause::ReadOnly));
        }
        Ok(())
    }
}

/// `ok`, or `failed CODE TEXT`, for the log.
pub fn status(reply: &Reply) -> String {
    if reply.code == code::TRANSFER_OK {
        "ok".to_string()
    } else {
        format!("failed {} {}", reply.code, reply.text)
    }
}
