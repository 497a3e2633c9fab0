//! A raw connection for speaking the wire by hand, as the hostile tests
//! do: clear until `login`, then protocol 2's records, through the
//! library's own handshake and record layer.

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use rftp::secure::handshake;
use rftp::secure::record::{RecordReader, RecordWriter};

use crate::util::PASSWORD;

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

    /// Read the greeting and log in with `PASSWORD` (protocol 2).
    /// Read one payload (chunks up to the short one); `None` if the stream
    /// ends first.
    pub fn payload(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            let mut header = [0; 2];
            self.reader.read_exact(&mut header).ok()?;
            let len = usize::from(u16::from_be_bytes(header));
            let mut chunk = vec![0; len];
            self.reader.read_exact(&mut chunk).ok()?;
            out.extend_from_slice(&chunk);
            if len < 2048 {
                return Some(out);
            }
        }
    }

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
