//! The two halves of a connection over the record layer. Until `secure` is
//! called they are plain buffered streams (protocol 1, and the clear
//! handshake of protocol 2); then `RecordWriter` seals records in place in
//! its output buffer and `RecordReader` opens them in place in its input
//! buffer, so a byte is copied no more often than through `BufReader` and
//! `BufWriter`. `wire` reads lines and payloads over them unchanged. The
//! record format and the keys are `record`'s; no sockets here.

use std::io::{self, BufRead, Read, Write};

use super::record::{
    HEADER_BYTES, Keys, MAX_PLAINTEXT_BYTES, TAG_BYTES, TYPE_CLOSE, TYPE_DATA, refused, truncated,
};

/// The most bytes one record takes on the wire.
const MAX_RECORD_BYTES: usize = HEADER_BYTES + MAX_PLAINTEXT_BYTES + TAG_BYTES;

/// The sending half: bytes are buffered up to the capacity, then written;
/// once `secure`, they are sealed into records of up to
/// `MAX_PLAINTEXT_BYTES`, each when full or at `flush`.
pub struct RecordWriter<W: Write> {
    inner: W,
    /// Bytes to send; once secure, whole records then the open one.
    buf: Vec<u8>,
    capacity: usize,
    keys: Option<Keys>,
    /// Where the record being filled starts in `buf` (its header space).
    open_at: Option<usize>,
    closed: bool,
}

impl<W: Write> RecordWriter<W> {
    /// Write to `inner` through a buffer of `capacity` bytes (at least one
    /// whole record).
    pub fn with_capacity(capacity: usize, inner: W) -> RecordWriter<W> {
        let capacity = capacity.max(MAX_RECORD_BYTES);
        RecordWriter {
            inner,
            buf: Vec::with_capacity(capacity),
            capacity,
            keys: None,
            open_at: None,
            closed: false,
        }
    }

    /// From now on, seal everything with `keys`; what was written before
    /// goes out in clear at the next flush.
    pub fn secure(&mut self, keys: Keys) {
        self.keys = Some(keys);
    }

    /// Whether records are being sealed.
    pub fn is_secure(&self) -> bool {
        self.keys.is_some()
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The underlying writer, mutably.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Write out the buffer. After a failure the connection is of no
    /// further use, so what was not sent is dropped, not sent again.
    fn send_buffer(&mut self) -> io::Result<()> {
        let sent = self.inner.write_all(&self.buf);
        self.buf.clear();
        sent
    }

    /// Seal the open record as one of `kind`.
    fn seal_open(&mut self, kind: u8) -> io::Result<()> {
        let Some(start) = self.open_at.take() else {
            return Ok(());
        };
        let keys = self
            .keys
            .as_mut()
            .expect("a record is open only once secure");
        let len = self.buf.len() - start - HEADER_BYTES + TAG_BYTES;
        let len16 = u16::try_from(len).expect("a record's length fits its 2-byte field");
        let header = [kind, (len16 >> 8) as u8, len16 as u8];
        let (head, body) = self.buf[start..].split_at_mut(HEADER_BYTES);
        head.copy_from_slice(&header);
        let tag = keys.seal(&header, body)?;
        self.buf.extend_from_slice(&tag);
        Ok(())
    }

    /// Open a record at the end of the buffer, making room first.
    fn open_record(&mut self) -> io::Result<usize> {
        if self.buf.len() + MAX_RECORD_BYTES > self.capacity {
            self.send_buffer()?;
        }
        let start = self.buf.len();
        self.buf.resize(start + HEADER_BYTES, 0);
        self.open_at = Some(start);
        Ok(start)
    }

    /// Seal the open record if it holds anything; drop it if empty.
    fn seal_pending(&mut self) -> io::Result<()> {
        match self.open_at {
            Some(start) if self.buf.len() == start + HEADER_BYTES => {
                self.buf.truncate(start);
                self.open_at = None;
                Ok(())
            }
            Some(_) => self.seal_open(TYPE_DATA),
            None => Ok(()),
        }
    }

    /// End the channel: seal what is pending, send the close record, flush.
    /// Without `secure`, just flush. Later writes fail.
    pub fn close(&mut self) -> io::Result<()> {
        if self.is_secure() && !self.closed {
            self.seal_pending()?;
            self.closed = true;
            self.open_record()?;
            self.seal_open(TYPE_CLOSE)?;
        }
        self.send_buffer()?;
        self.inner.flush()
    }

    fn write_plain(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() > self.capacity {
            self.send_buffer()?;
        }
        if data.len() >= self.capacity {
            return self.inner.write(data);
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
}

impl<W: Write> Write for RecordWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.keys.is_none() {
            return self.write_plain(data);
        }
        if self.closed {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "secure channel closed",
            ));
        }
        let start = match self.open_at {
            Some(start) => start,
            None => self.open_record()?,
        };
        let filled = self.buf.len() - start - HEADER_BYTES;
        let n = (MAX_PLAINTEXT_BYTES - filled).min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        if filled + n == MAX_PLAINTEXT_BYTES {
            self.seal_open(TYPE_DATA)?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.keys.is_some() {
            self.seal_pending()?;
        }
        self.send_buffer()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for RecordWriter<W> {
    /// A channel dropped without `close` still ends with a close record
    /// when it can (a failure here has nobody to tell).
    fn drop(&mut self) {
        let _ = self.close();
    }
}

/// Where a secure reader stands.
#[derive(Debug, PartialEq, Eq)]
enum ReadState {
    Open,
    /// The peer's close record came: end of stream.
    Closed,
    /// A record failed; the stream cannot be trusted any more.
    Failed,
}

/// The receiving half: a buffered reader; once `secure`, bytes come only
/// out of records that opened, one record at a time (`BufRead`).
pub struct RecordReader<R: Read> {
    inner: R,
    /// Received bytes; `raw` is the part not yet taken.
    buf: Vec<u8>,
    raw: (usize, usize),
    /// The current record's plaintext, inside `buf`, once secure.
    text: (usize, usize),
    keys: Option<Keys>,
    state: ReadState,
}

impl<R: Read> RecordReader<R> {
    /// Read from `inner` through a buffer of `capacity` bytes (at least one
    /// whole record).
    pub fn with_capacity(capacity: usize, inner: R) -> RecordReader<R> {
        RecordReader {
            inner,
            buf: vec![0; capacity.max(MAX_RECORD_BYTES)],
            raw: (0, 0),
            text: (0, 0),
            keys: None,
            state: ReadState::Open,
        }
    }

    /// From now on, accept only records that open with `keys`; bytes
    /// already received are read as records.
    pub fn secure(&mut self, keys: Keys) {
        self.keys = Some(keys);
    }

    /// The underlying reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The underlying reader, mutably.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Whether nothing is buffered: no plaintext and no received bytes.
    pub fn buffered_is_empty(&self) -> bool {
        self.text.0 == self.text.1 && self.raw.0 == self.raw.1
    }

    /// Have at least `n` unread bytes in `buf`, moving them to its front
    /// when they would not fit. An error keeps them, so a timeout can be
    /// retried.
    fn want(&mut self, n: usize) -> io::Result<()> {
        while self.raw.1 - self.raw.0 < n {
            let (start, end) = self.raw;
            if start + n > self.buf.len() {
                self.buf.copy_within(start..end, 0);
                self.raw = (0, end - start);
            }
            let end = self.raw.1;
            match self.inner.read(&mut self.buf[end..]) {
                Ok(0) if self.raw.0 == self.raw.1 => {
                    return Err(truncated("the connection was cut (no close record)"));
                }
                Ok(0) => return Err(truncated("a record was cut short")),
                Ok(got) => self.raw.1 += got,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Open the next record in place; its plaintext becomes `text`.
    fn next_record(&mut self) -> io::Result<()> {
        self.want(HEADER_BYTES)?;
        let at = self.raw.0;
        let header = [self.buf[at], self.buf[at + 1], self.buf[at + 2]];
        let len = usize::from(u16::from_be_bytes([header[1], header[2]]));
        let ok = match header[0] {
            TYPE_DATA => (TAG_BYTES + 1..=TAG_BYTES + MAX_PLAINTEXT_BYTES).contains(&len),
            TYPE_CLOSE => len == TAG_BYTES,
            _ => false,
        };
        if !ok {
            self.state = ReadState::Failed;
            return Err(refused("bad record header"));
        }
        self.want(HEADER_BYTES + len)?;
        let at = self.raw.0;
        let body = &mut self.buf[at + HEADER_BYTES..at + HEADER_BYTES + len];
        let (text, tag) = body.split_at_mut(len - TAG_BYTES);
        let keys = self
            .keys
            .as_mut()
            .expect("records are read only once secure");
        if let Err(e) = keys.open(&header, text, tag) {
            self.state = ReadState::Failed;
            return Err(e);
        }
        if header[0] == TYPE_CLOSE {
            self.state = ReadState::Closed;
        }
        self.text = (at + HEADER_BYTES, at + HEADER_BYTES + len - TAG_BYTES);
        self.raw.0 = at + HEADER_BYTES + len;
        Ok(())
    }
}

impl<R: Read> BufRead for RecordReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.keys.is_none() {
            if self.raw.0 == self.raw.1 {
                let got = loop {
                    match self.inner.read(&mut self.buf) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        other => break other?,
                    }
                };
                self.raw = (0, got);
            }
            return Ok(&self.buf[self.raw.0..self.raw.1]);
        }
        while self.text.0 == self.text.1 {
            match self.state {
                ReadState::Open => self.next_record()?,
                ReadState::Closed => return Ok(&[]),
                ReadState::Failed => return Err(refused("the channel already failed")),
            }
        }
        Ok(&self.buf[self.text.0..self.text.1])
    }

    fn consume(&mut self, amt: usize) {
        if self.keys.is_none() {
            self.raw.0 = (self.raw.0 + amt).min(self.raw.1);
        } else {
            self.text.0 = (self.text.0 + amt).min(self.text.1);
        }
    }
}

impl<R: Read> Read for RecordReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}
