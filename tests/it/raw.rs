//! A raw connection for speaking the wire by hand, as the hostile, jail and
//! race tests do: clear until `login`, then protocol 2's records, through
//! the library's own handshake and record layer; and the one set of helpers
//! those tests share to use it: the wire's limits as the tests see them,
//! asking and uploading, reading a reply with its payload, reading with a
//! deadline (a line, silence or a close), and checking the stream is still
//! in step. Nothing here builds files.

use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use rftp::secure::handshake;
use rftp::secure::{RecordReader, RecordWriter};

use crate::fake::framed;
use crate::util::{PASSWORD, Server, crc32};

/// The wire's line limit, newline included (`MAX_LINE_BYTES`).
pub const MAX_LINE_BYTES: usize = 32 * 1024;
/// Bytes in a full payload chunk.
pub const CHUNK_BYTES: usize = 2048;
/// How long to wait for the server to close a connection it must close.
pub const CLOSE_WAIT: Duration = Duration::from_secs(5);
/// Longest any single reply may take on a `logged_in` connection (a FIFO
/// must not make a refusal wait).
pub const REPLY_DEADLINE: Duration = Duration::from_secs(10);

/// Read buffer of a raw connection, in bytes.
const RAW_BUFFER_BYTES: usize = 8 * 1024;

/// A raw connection for speaking the wire by hand: clear until `login`,
/// protocol 2's records after it (each send one record, sent at once).
pub struct Raw {
    pub stream: RawOut,
    pub reader: RecordReader<TcpStream>,
}

/// The sending half of a `Raw`: writes go through the record layer; socket
/// calls (timeouts, shutdown, reading raw bytes) reach the socket itself.
pub struct RawOut {
    records: RecordWriter<TcpStream>,
    socket: TcpStream,
}

impl Write for RawOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.records.write_all(buf)?;
        self.records.flush()?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.records.flush()
    }
}

impl std::ops::Deref for RawOut {
    type Target = TcpStream;
    fn deref(&self) -> &TcpStream {
        &self.socket
    }
}

impl std::ops::DerefMut for RawOut {
    fn deref_mut(&mut self) -> &mut TcpStream {
        &mut self.socket
    }
}

impl Raw {
    /// Speak over `s`.
    pub fn new(s: TcpStream) -> Raw {
        Raw {
            reader: RecordReader::with_capacity(RAW_BUFFER_BYTES, s.try_clone().unwrap()),
            stream: RawOut {
                records: RecordWriter::with_capacity(RAW_BUFFER_BYTES, s.try_clone().unwrap()),
                socket: s,
            },
        }
    }

    /// Send bytes as they are (inside one record once logged in).
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// Read one line (without newline); `None` at end of stream or error.
    pub fn line(&mut self) -> Option<String> {
        let mut s = String::new();
        match self.reader.read_line(&mut s) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(s.trim_end().to_string()),
        }
    }

    /// Read one payload (chunks up to the short one); `None` if the stream
    /// ends first or a chunk is longer than `CHUNK_BYTES`.
    pub fn payload(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            let mut header = [0; 2];
            self.reader.read_exact(&mut header).ok()?;
            let len = usize::from(u16::from_be_bytes(header));
            if len > CHUNK_BYTES {
                return None;
            }
            let mut chunk = vec![0; len];
            self.reader.read_exact(&mut chunk).ok()?;
            out.extend_from_slice(&chunk);
            if len < CHUNK_BYTES {
                return Some(out);
            }
        }
    }

    /// Read the greeting and log in with `PASSWORD` (protocol 2).
    pub fn login(&mut self) {
        let greeting = self.line().unwrap();
        let reply = self.attempt(&greeting, "rftp", PASSWORD);
        assert!(reply.starts_with("235 "), "login: {reply}");
    }

    /// One protocol 2 login attempt under `greeting` (the whole line); the
    /// final reply. On `235` the connection goes over to records.
    pub fn attempt(&mut self, greeting: &str, user: &str, password: &str) -> String {
        let text = greeting.strip_prefix("220 ").expect("a 220 greeting");
        let random = handshake::random().unwrap();
        let (client, auth) =
            handshake::Client::start(text, user.as_bytes(), password.as_bytes(), random).unwrap();
        self.send(format!("{auth}\n").as_bytes());
        let share = self.line().unwrap_or_default();
        let Some(yb) = share.strip_prefix("334 ") else {
            return share;
        };
        let confirm = client.confirm(yb).unwrap();
        self.send(format!("{}\n", confirm.line).as_bytes());
        let done = self.line().unwrap_or_default();
        if let Some(tb) = done.strip_prefix("235 ") {
            let channel = confirm.finish(tb).unwrap();
            self.stream.records.secure(channel.send);
            self.reader.secure(channel.receive);
        }
        done
    }

    /// True if the server closes the connection within `wait`.
    pub fn closed_within(&mut self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        self.stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut buf = [0; 4096];
        while Instant::now() < until {
            match self.reader.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => return true,
            }
        }
        false
    }
}

/// A logged-in raw connection whose replies may take `REPLY_DEADLINE`.
pub fn logged_in(server: &Server) -> Raw {
    let mut raw = server.raw();
    raw.login();
    raw.stream.set_read_timeout(Some(REPLY_DEADLINE)).unwrap();
    raw
}

/// Send `line` (a newline is added) and read one reply line.
#[track_caller]
pub fn ask(raw: &mut Raw, line: impl AsRef<[u8]>) -> String {
    let line = line.as_ref();
    raw.send(line);
    raw.send(b"\n");
    raw.line()
        .unwrap_or_else(|| panic!("no reply to {:?}", String::from_utf8_lossy(line)))
}

/// Send a STOR line (newline added), `payload` framed, and a DONE trailer
/// for it; read the reply.
#[track_caller]
pub fn stor(raw: &mut Raw, line: &str, payload: &[u8]) -> String {
    raw.send(format!("{line}\n").as_bytes());
    raw.send(&framed(payload));
    raw.send(format!("DONE {} {:08x}\n", payload.len(), crc32(payload)).as_bytes());
    raw.line().unwrap_or_else(|| panic!("no reply to {line:?}"))
}

/// The stream is still in step: PWD gets its own answer next.
#[track_caller]
pub fn in_step(raw: &mut Raw, after: &str) {
    assert_eq!(
        ask(raw, "PWD"),
        "257 /",
        "the stream lost its place after {after}"
    );
}

/// One reply: its final line and, for a `150`, the payload before it.
#[derive(Debug)]
pub struct Reply {
    /// The final reply line, newline removed.
    pub line: String,
    /// The payload, when the server announced one.
    pub payload: Option<Vec<u8>>,
}

/// Read one reply, with its payload if a `150` announces one; `None` when
/// the server closed the connection, broke the framing or said nothing
/// within the read timeout.
pub fn read_reply(raw: &mut Raw) -> Option<Reply> {
    let first = raw.line()?;
    if !first.starts_with("150 ") {
        return Some(Reply {
            line: first,
            payload: None,
        });
    }
    let payload = raw.payload()?;
    Some(Reply {
        line: raw.line()?,
        payload: Some(payload),
    })
}

/// Send `line` (newline added) and read its reply, payload included.
#[track_caller]
pub fn ask_reply(raw: &mut Raw, line: &str) -> Reply {
    raw.send(format!("{line}\n").as_bytes());
    read_reply(raw).unwrap_or_else(|| panic!("no reply to {line:?}"))
}

/// What reading the next reply line found.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// A reply line, newline removed (bytes shown lossily).
    Line(String),
    /// The server closed the connection (end of stream or reset).
    Closed,
    /// Nothing arrived in time.
    Silent,
}

/// Read the next line within `wait`, keeping partial data across timeouts.
pub fn next_line(raw: &mut Raw, wait: Duration) -> Next {
    let until = Instant::now() + wait;
    let mut buf = Vec::new();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Next::Silent;
        }
        let _ = raw
            .stream
            .set_read_timeout(Some(left.min(Duration::from_millis(200))));
        match raw.reader.read_until(b'\n', &mut buf) {
            Ok(0) => return Next::Closed,
            Ok(_) if buf.ends_with(b"\n") => {
                let text = String::from_utf8_lossy(&buf);
                return Next::Line(text.trim_end_matches(['\r', '\n']).to_string());
            }
            Ok(_) => return Next::Closed,
            Err(e) if is_timeout(&e) => {}
            Err(_) => return Next::Closed,
        }
    }
}

/// True if `e` is a read that timed out (or was interrupted), not an end.
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Read reply lines until the server closes or `wait` passes; returns the
/// lines and whether it closed.
pub fn lines_until_closed(raw: &mut Raw, wait: Duration) -> (Vec<String>, bool) {
    let until = Instant::now() + wait;
    let mut lines = Vec::new();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match next_line(raw, left) {
            Next::Line(l) => lines.push(l),
            Next::Closed => return (lines, true),
            Next::Silent => return (lines, false),
        }
    }
}

/// Send bytes; the server may already have closed, which the caller judges.
pub fn try_send(raw: &mut Raw, bytes: &[u8]) -> io::Result<()> {
    raw.stream.write_all(bytes)
}
