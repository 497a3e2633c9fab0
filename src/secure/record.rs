//! The record layer: after login every byte travels in AEAD records, one key
//! and one nonce counter per direction. `RecordWriter` and `RecordReader`
//! wrap the two halves of a stream; until `secure` is called they pass bytes
//! through untouched (protocol 1, and the clear handshake of protocol 2), so
//! `wire` reads lines and payloads over them unchanged. No sockets here.
//!
//! A record is `type (1 byte) || length (2 bytes, big-endian) || ciphertext`,
//! where the ciphertext is the sealed plaintext and its 16-byte tag, the
//! three header bytes are the AEAD's associated data, and the nonce is four
//! zero bytes then the direction's record counter (8 bytes, big-endian,
//! from 0). A record that fails to open ends the stream with `InvalidData`:
//! no byte of it is handed on, and every later read fails too. A stream cut
//! before the close record ends with `UnexpectedEof`.

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit};
use chacha20poly1305::ChaCha20Poly1305;

/// Most plaintext bytes in one record.
pub const MAX_PLAINTEXT_BYTES: usize = 16 * 1024;
/// The AEAD tag after each record's ciphertext, in bytes.
pub const TAG_BYTES: usize = 16;
/// The record header: type and length, in bytes.
pub const HEADER_BYTES: usize = 3;
/// A record key, in bytes (both suites).
pub const KEY_BYTES: usize = 32;
/// Record type: data.
const TYPE_DATA: u8 = 0x17;
/// Record type: the sender's last record (empty); a stream that ends
/// without it was cut.
const TYPE_CLOSE: u8 = 0x15;

/// An AEAD suite of the record layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// AES-256-GCM: where both ends have AES hardware.
    Aes256Gcm,
    /// ChaCha20-Poly1305: everywhere else.
    ChaCha20Poly1305,
}

impl Suite {
    /// The suite's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Aes256Gcm => "aes-256-gcm",
            Suite::ChaCha20Poly1305 => "chacha20-poly1305",
        }
    }

    /// The suite a wire name names.
    pub fn from_name(name: &str) -> Option<Suite> {
        [Suite::Aes256Gcm, Suite::ChaCha20Poly1305]
            .into_iter()
            .find(|s| s.name() == name)
    }

    /// The suites this machine offers, best first: AES-256-GCM only with
    /// AES hardware (software AES is slow and not constant-time).
    pub fn offered() -> Vec<Suite> {
        if aes_hardware() {
            vec![Suite::Aes256Gcm, Suite::ChaCha20Poly1305]
        } else {
            vec![Suite::ChaCha20Poly1305]
        }
    }
}

/// Whether this CPU has AES and carry-less multiply instructions (detected
/// at run time; the binary is built for any CPU of its architecture).
pub fn aes_hardware() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("aes")
            && std::arch::is_x86_feature_detected!("pclmulqdq")
    }
    #[cfg(target_arch = "aarch64")]
    {
        // The ARMv8 crypto extension's "aes" includes PMULL.
        std::arch::is_aarch64_feature_detected!("aes")
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// One direction's cipher and record counter.
pub struct Keys {
    cipher: Cipher,
    counter: u64,
}

enum Cipher {
    Aes(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
}

impl Keys {
    /// Keys of `suite` with `key`, counting records from 0.
    pub fn new(suite: Suite, key: &[u8; KEY_BYTES]) -> Keys {
        let cipher = match suite {
            Suite::Aes256Gcm => Cipher::Aes(Box::new(Aes256Gcm::new(key.into()))),
            Suite::ChaCha20Poly1305 => Cipher::ChaCha(Box::new(ChaCha20Poly1305::new(key.into()))),
        };
        Keys { cipher, counter: 0 }
    }

    /// The next record's nonce; the counter never wraps.
    fn next_nonce(&mut self) -> io::Result<[u8; 12]> {
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&self.counter.to_be_bytes());
        self.counter = self
            .counter
            .checked_add(1)
            .ok_or_else(|| io::Error::other("record counter exhausted"))?;
        Ok(nonce)
    }

    /// Seal `buf` in place under `aad`; returns the tag.
    fn seal(&mut self, aad: &[u8], buf: &mut [u8]) -> io::Result<[u8; TAG_BYTES]> {
        let nonce = self.next_nonce()?;
        let tag = match &self.cipher {
            Cipher::Aes(c) => c.encrypt_inout_detached((&nonce).into(), aad, buf.into()),
            Cipher::ChaCha(c) => c.encrypt_inout_detached((&nonce).into(), aad, buf.into()),
        }
        .map_err(|_| io::Error::other("cannot seal a record"))?;
        Ok(tag.into())
    }

    /// Open `buf` in place under `aad` and `tag`; an error means the
    /// record is not the next one the peer sealed.
    fn open(&mut self, aad: &[u8], buf: &mut [u8], tag: &[u8]) -> io::Result<()> {
        let nonce = self.next_nonce()?;
        let tag = aes_gcm::Tag::try_from(tag).map_err(|_| refused("bad record tag"))?;
        let tag = &tag;
        match &self.cipher {
            Cipher::Aes(c) => c.decrypt_inout_detached((&nonce).into(), aad, buf.into(), tag),
            Cipher::ChaCha(c) => c.decrypt_inout_detached((&nonce).into(), aad, buf.into(), tag),
        }
        .map_err(|_| {
            refused("a record failed to authenticate (changed, replayed, reordered or forged)")
        })
    }
}

/// Why the record layer ended a stream, inside the `io::Error` it returns.
#[derive(Debug)]
pub struct ChannelError(&'static str);

impl std::fmt::Display for ChannelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "secure channel: {}", self.0)
    }
}

impl std::error::Error for ChannelError {}

/// Whether `e` is the record layer's own (its text says what happened).
pub fn is_channel_error(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<ChannelError>())
}

/// The error that ends a channel whose peer sent a bad record
/// (`InvalidData`: what came under it must not be kept).
fn refused(why: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, ChannelError(why))
}

/// The error of a stream that ended before the close record
/// (`UnexpectedEof`: what came before it was authentic, though incomplete).
fn truncated(why: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, ChannelError(why))
}

/// The sending half: bytes pass through until `secure`, then are buffered
/// into records of up to `MAX_PLAINTEXT_BYTES`, sealed when full or flushed.
pub struct RecordWriter<W: Write> {
    inner: BufWriter<W>,
    keys: Option<Keys>,
    /// Header space, then the pending plaintext.
    record: Vec<u8>,
    closed: bool,
}

impl<W: Write> RecordWriter<W> {
    /// Write to `inner` through a buffer of `capacity` bytes.
    pub fn with_capacity(capacity: usize, inner: W) -> RecordWriter<W> {
        RecordWriter {
            inner: BufWriter::with_capacity(capacity, inner),
            keys: None,
            record: Vec::new(),
            closed: false,
        }
    }

    /// From now on, seal everything with `keys`.
    pub fn secure(&mut self, keys: Keys) {
        self.keys = Some(keys);
        self.record = Vec::with_capacity(HEADER_BYTES + MAX_PLAINTEXT_BYTES + TAG_BYTES);
        self.record.resize(HEADER_BYTES, 0);
    }

    /// Whether records are being sealed.
    pub fn is_secure(&self) -> bool {
        self.keys.is_some()
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        self.inner.get_ref()
    }

    /// The underlying writer, mutably.
    pub fn get_mut(&mut self) -> &mut W {
        self.inner.get_mut()
    }

    /// Seal the pending plaintext (if any) as a record of `kind`.
    fn seal(&mut self, kind: u8) -> io::Result<()> {
        let Some(keys) = self.keys.as_mut() else {
            return Ok(());
        };
        let len = self.record.len() - HEADER_BYTES + TAG_BYTES;
        let len16 = u16::try_from(len).expect("a record's length fits its 2-byte field");
        let header = [kind, (len16 >> 8) as u8, len16 as u8];
        let (head, body) = self.record.split_at_mut(HEADER_BYTES);
        head.copy_from_slice(&header);
        let tag = keys.seal(&header, body)?;
        self.record.extend_from_slice(&tag);
        let sent = self.inner.write_all(&self.record);
        self.record.truncate(HEADER_BYTES);
        sent
    }

    /// End the channel: seal what is pending, send the close record, flush.
    /// Without `secure`, just flush. Later writes fail.
    pub fn close(&mut self) -> io::Result<()> {
        if self.is_secure() && !self.closed {
            if self.record.len() > HEADER_BYTES {
                self.seal(TYPE_DATA)?;
            }
            self.closed = true;
            self.seal(TYPE_CLOSE)?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Write for RecordWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.keys.is_none() {
            return self.inner.write(buf);
        }
        if self.closed {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "secure channel closed",
            ));
        }
        let room = HEADER_BYTES + MAX_PLAINTEXT_BYTES - self.record.len();
        let n = room.min(buf.len());
        self.record.extend_from_slice(&buf[..n]);
        if self.record.len() == HEADER_BYTES + MAX_PLAINTEXT_BYTES {
            self.seal(TYPE_DATA)?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.keys.is_some() && self.record.len() > HEADER_BYTES {
            self.seal(TYPE_DATA)?;
        }
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

/// The receiving half: bytes pass through until `secure`, then come only
/// out of records that opened, one record at a time (`BufRead`).
pub struct RecordReader<R: Read> {
    inner: BufReader<R>,
    keys: Option<Keys>,
    /// The current record's plaintext (then its tag space).
    record: Vec<u8>,
    pos: usize,
    end: usize,
    state: ReadState,
}

impl<R: Read> RecordReader<R> {
    /// Read from `inner` through a buffer of `capacity` bytes.
    pub fn with_capacity(capacity: usize, inner: R) -> RecordReader<R> {
        RecordReader {
            inner: BufReader::with_capacity(capacity, inner),
            keys: None,
            record: Vec::new(),
            pos: 0,
            end: 0,
            state: ReadState::Open,
        }
    }

    /// From now on, accept only records that open with `keys`.
    pub fn secure(&mut self, keys: Keys) {
        self.keys = Some(keys);
        self.record = vec![0; MAX_PLAINTEXT_BYTES + TAG_BYTES];
    }

    /// The underlying reader.
    pub fn get_ref(&self) -> &R {
        self.inner.get_ref()
    }

    /// The underlying reader, mutably.
    pub fn get_mut(&mut self) -> &mut R {
        self.inner.get_mut()
    }

    /// Whether nothing is buffered: no plaintext and no received bytes.
    pub fn buffered_is_empty(&self) -> bool {
        self.pos == self.end && self.inner.buffer().is_empty()
    }

    /// Read and open the next record into `record[..end]`.
    fn next_record(&mut self) -> io::Result<()> {
        // Waiting for a record's first byte may time out and be retried;
        // an error after that has lost the record's place.
        if self.inner.fill_buf()?.is_empty() {
            self.state = ReadState::Failed;
            return Err(truncated("the connection was cut (no close record)"));
        }
        let opened = self.read_record();
        if opened.is_err() {
            self.state = ReadState::Failed;
        }
        opened
    }

    fn read_record(&mut self) -> io::Result<()> {
        let mut header = [0u8; HEADER_BYTES];
        self.inner.read_exact(&mut header).map_err(cut)?;
        let len = usize::from(u16::from_be_bytes([header[1], header[2]]));
        let body_ok = match header[0] {
            TYPE_DATA => (TAG_BYTES + 1..=TAG_BYTES + MAX_PLAINTEXT_BYTES).contains(&len),
            TYPE_CLOSE => len == TAG_BYTES,
            _ => false,
        };
        if !body_ok {
            return Err(refused("bad record header"));
        }
        let body = &mut self.record[..len];
        self.inner.read_exact(body).map_err(cut)?;
        let (text, tag) = body.split_at_mut(len - TAG_BYTES);
        let keys = self
            .keys
            .as_mut()
            .expect("records are read only once secure");
        keys.open(&header, text, tag)?;
        if header[0] == TYPE_CLOSE {
            self.state = ReadState::Closed;
        }
        self.pos = 0;
        self.end = len - TAG_BYTES;
        Ok(())
    }
}

/// A stream that ended inside a record was truncated.
fn cut(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        return truncated("a record was cut short");
    }
    e
}

impl<R: Read> BufRead for RecordReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.keys.is_none() {
            return self.inner.fill_buf();
        }
        while self.pos == self.end {
            match self.state {
                ReadState::Open => self.next_record()?,
                ReadState::Closed => return Ok(&[]),
                ReadState::Failed => return Err(refused("the channel already failed")),
            }
        }
        Ok(&self.record[self.pos..self.end])
    }

    fn consume(&mut self, amt: usize) {
        if self.keys.is_none() {
            self.inner.consume(amt);
        } else {
            self.pos = (self.pos + amt).min(self.end);
        }
    }
}

impl<R: Read> Read for RecordReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
