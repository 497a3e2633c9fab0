//! Payload framing: file contents and listings cross the wire as a run of
//! chunks, each a two-byte big-endian length and that many bytes. Every chunk
//! holds exactly `CHUNK_BYTES` except the last, which is shorter (possibly
//! empty) and so marks the end. Works on any `Read`/`Write`; no sockets here.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read, Write};
use std::sync::{Condvar, Mutex};
use std::thread;

/// Bytes in every payload chunk but the last.
pub const CHUNK_BYTES: usize = 2048;

/// Size of a chunk header, in bytes.
const HEADER_BYTES: usize = 2;

/// Frames everything written to it into chunks; `finish` writes the last one.
pub struct PayloadWriter<W: Write> {
    inner: W,
    pending: Box<[u8; CHUNK_BYTES]>,
    pending_len: usize,
}

impl<W: Write> PayloadWriter<W> {
    /// Start a payload on `inner`.
    pub fn new(inner: W) -> Self {
        PayloadWriter {
            inner,
            pending: Box::new([0; CHUNK_BYTES]),
            pending_len: 0,
        }
    }

    /// Write the final, short chunk and give back the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        let len = self.pending_len;
        write_chunk(&mut self.inner, &self.pending[..len])?;
        Ok(self.inner)
    }
}

fn write_chunk(w: &mut impl Write, data: &[u8]) -> io::Result<()> {
    let len = u16::try_from(data.len()).map_err(|_| io::Error::other("chunk too large"))?;
    w.write_all(&len.to_be_bytes())?;
    w.write_all(data)
}

impl<W: Write> Write for PayloadWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        if self.pending_len > 0 {
            let take = rest.len().min(CHUNK_BYTES - self.pending_len);
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&rest[..take]);
            self.pending_len += take;
            rest = &rest[take..];
            if self.pending_len == CHUNK_BYTES {
                write_chunk(&mut self.inner, &self.pending[..])?;
                self.pending_len = 0;
            }
        }
        // Whole chunks go straight through without a copy into `pending`.
        while rest.len() >= CHUNK_BYTES {
            write_chunk(&mut self.inner, &rest[..CHUNK_BYTES])?;
            rest = &rest[CHUNK_BYTES..];
        }
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len += rest.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Reads the bytes of one payload, refusing more than `limit` bytes and any
/// chunk header that breaks the framing; yields end of file after the last
/// chunk. The stream is left just after the payload.
pub struct PayloadReader<R: BufRead> {
    inner: R,
    limit: u64,
    total: u64,
    left_in_chunk: usize,
    last_chunk: bool,
    done: bool,
    failed: Option<io::Error>,
}

impl<R: BufRead> PayloadReader<R> {
    /// Read a payload of at most `limit` bytes from `inner`.
    pub fn new(inner: R, limit: u64) -> Self {
        PayloadReader {
            inner,
            limit,
            total: 0,
            left_in_chunk: 0,
            last_chunk: false,
            done: false,
            failed: None,
        }
    }

    /// Bytes of payload read so far.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Read and throw away the rest of the payload; returns its total length.
    pub fn drain(&mut self) -> io::Result<u64> {
        io::copy(self, &mut io::sink())?;
        Ok(self.total)
    }

    /// Give back the inner reader (call after end of payload).
    #[cfg(test)]
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn next_chunk(&mut self) -> io::Result<()> {
        let mut header = [0; HEADER_BYTES];
        self.inner.read_exact(&mut header)?;
        let len = usize::from(u16::from_be_bytes(header));
        if len > CHUNK_BYTES {
            return Err(invalid("payload chunk longer than 2048 bytes"));
        }
        if self.total + len as u64 > self.limit {
            return Err(invalid("payload longer than announced"));
        }
        self.left_in_chunk = len;
        self.last_chunk = len < CHUNK_BYTES;
        self.done = len == 0;
        Ok(())
    }
}

fn invalid(text: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, text)
}

/// The payload's bytes in place, a chunk's worth at most at a time: an
/// inflater reads them where the socket's bytes landed, without a copy.
impl<R: BufRead> BufRead for PayloadReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        while self.left_in_chunk == 0 && !self.done {
            self.next_chunk()?;
        }
        if self.done {
            return Ok(&[]);
        }
        let left = self.left_in_chunk;
        let held = self.inner.fill_buf()?;
        if held.is_empty() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(&held[..held.len().min(left)])
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.left_in_chunk);
        self.inner.consume(n);
        self.left_in_chunk -= n;
        self.total += n as u64;
        if self.left_in_chunk == 0 && self.last_chunk {
            self.done = true;
        }
    }
}

impl<R: BufRead> Read for PayloadReader<R> {
    /// Fills `buf` across chunk boundaries, stopping only at the payload's end.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let mut filled = 0;
        while filled < buf.len() && !self.done {
            let step = if self.left_in_chunk == 0 {
                self.next_chunk().map(|()| 0)
            } else {
                let want = (buf.len() - filled).min(self.left_in_chunk);
                match self.inner.read(&mut buf[filled..filled + want]) {
                    Ok(0) => Err(io::ErrorKind::UnexpectedEof.into()),
                    other => other,
                }
            };
            let got = match step {
                Ok(n) => n,
                // What was read before an error is handed out first, and the
                // error kept for the next call: a cut transfer keeps every
                // byte, and the stream is never read again out of step.
                Err(e) if filled > 0 => {
                    self.failed = Some(e);
                    break;
                }
                Err(e) => return Err(e),
            };
            filled += got;
            self.left_in_chunk -= got;
            self.total += got as u64;
            if self.left_in_chunk == 0 && self.last_chunk {
                self.done = true;
            }
        }
        Ok(filled)
    }
}

/// Bytes copied between a payload and a file, their CRC-32, and the error
/// on the side that is allowed to fail without breaking the stream.
#[derive(Debug)]
pub struct Copied {
    /// Bytes read from the source.
    pub bytes: u64,
    /// CRC-32 of those bytes.
    pub crc: u32,
    /// For `send`: the read error that ended the source early. For `receive`:
    /// the first write error (the payload was still read to its end).
    pub error: Option<io::Error>,
}

/// Largest copy buffer, in bytes.
const COPY_BUFFER_BYTES: usize = 256 * 1024;
/// Smallest copy buffer, in bytes.
const MIN_COPY_BUFFER_BYTES: usize = 4096;

/// A zeroed buffer sized for `expected` bytes: small files do not pay for
/// a large buffer (thousands of them in a row would, in page faults).
fn copy_buffer(expected: u64) -> Vec<u8> {
    let len = usize::try_from(expected).unwrap_or(usize::MAX);
    vec![0; len.clamp(MIN_COPY_BUFFER_BYTES, COPY_BUFFER_BYTES)]
}

/// Copy a file (`from`, about `expected` bytes) into a payload (`to`). A
/// read error on the file ends the copy early and is handed back; a write
/// error (the peer) is returned.
pub fn send(
    from: &mut impl Read,
    to: &mut impl Write,
    expected: u64,
    progress: &mut dyn FnMut(u64),
) -> io::Result<Copied> {
    let mut buf = copy_buffer(expected);
    let mut hasher = crc32fast::Hasher::new();
    let mut bytes = 0u64;
    let error = loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break None,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Some(e),
        };
        hasher.update(&buf[..n]);
        to.write_all(&buf[..n])?;
        bytes += n as u64;
        progress(bytes);
    };
    Ok(Copied {
        bytes,
        crc: hasher.finalize(),
        error,
    })
}

/// Copy a payload (`from`, about `expected` bytes) into a file (`to`). A
/// read error (the peer) is returned; after a write error the payload is
/// still read to its end, so the stream keeps its place, and the error is
/// handed back. Writes go out in buffer-sized pieces: no `BufWriter` needed.
pub fn receive(
    from: &mut impl Read,
    to: &mut impl Write,
    expected: u64,
    progress: &mut dyn FnMut(u64),
) -> io::Result<Copied> {
    let mut buf = copy_buffer(expected);
    let mut hasher = crc32fast::Hasher::new();
    let mut bytes = 0u64;
    let mut error = None;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        if error.is_none() {
            error = to.write_all(&buf[..n]).err();
        }
        bytes += n as u64;
        progress(bytes);
    }
    if error.is_none() {
        error = to.flush().err();
    }
    Ok(Copied {
        bytes,
        crc: hasher.finalize(),
        error,
    })
}

/// Files at least this large move on two threads: one for the file, one
/// for the connection (the caller's), so that reading or writing the file
/// overlaps with sealing, opening and the socket. Smaller files stay on one
/// thread: a thread costs more than they take.
const THREADED_MIN_BYTES: u64 = 8 * 1024 * 1024;

/// Buffers in flight between the two threads (one being filled, one being
/// drained, one waiting): memory stays at this many copy buffers.
const BUFFERS_IN_FLIGHT: usize = 3;

/// Buffers handed between the two threads of `send_file` and
/// `receive_file`, in order. Never holds more than `BUFFERS_IN_FLIGHT`,
/// since only that many exist. (A mutex and a condition variable: far less
/// code than a channel.)
struct Queue<T> {
    /// The items, and whether the queue is closed.
    state: Mutex<(VecDeque<T>, bool)>,
    ready: Condvar,
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Queue {
            state: Mutex::new((VecDeque::with_capacity(BUFFERS_IN_FLIGHT), false)),
            ready: Condvar::new(),
        }
    }
}

impl<T> Queue<T> {
    /// Add `item`; false (and dropped) once closed.
    fn push(&self, item: T) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        if state.1 {
            return false;
        }
        state.0.push_back(item);
        self.ready.notify_one();
        true
    }

    /// The next item, waiting for one; `None` once closed and empty.
    fn pop(&self) -> Option<T> {
        let mut state = self.state.lock().ok()?;
        loop {
            if let Some(item) = state.0.pop_front() {
                return Some(item);
            }
            if state.1 {
                return None;
            }
            state = self.ready.wait(state).ok()?;
        }
    }

    /// No more items: `push` fails and `pop` ends when empty.
    fn close(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.1 = true;
            self.ready.notify_all();
        }
    }
}

/// The queue of empty buffers the two threads start with, each sized for
/// `expected` bytes.
fn buffers(expected: u64) -> Queue<Vec<u8>> {
    let empty = Queue::default();
    for _ in 0..BUFFERS_IN_FLIGHT {
        empty.push(copy_buffer(expected));
    }
    empty
}

/// Closes both queues when dropped, so that the side that returns early (an
/// error) always lets the other one end.
struct Closing<'a, A, B>(&'a Queue<A>, &'a Queue<B>);

impl<A, B> Drop for Closing<'_, A, B> {
    fn drop(&mut self) {
        self.0.close();
        self.1.close();
    }
}

/// Like `send`, but a file of `THREADED_MIN_BYTES` or more is read on a
/// thread of its own (which also computes the CRC), while this one writes
/// the payload. Same results and errors as `send`; where no thread can be
/// started, it is `send`.
pub fn send_file(
    from: &mut (impl Read + Send),
    to: &mut impl Write,
    expected: u64,
    progress: &mut dyn FnMut(u64),
) -> io::Result<Copied> {
    if expected < THREADED_MIN_BYTES {
        return send(from, to, expected, progress);
    }
    let (full, empty) = (Queue::default(), buffers(expected));
    let threaded = thread::scope(|scope| {
        // However this returns, the reader ends.
        let _closing = Closing(&full, &empty);
        let file = &mut *from;
        let (full, empty) = (&full, &empty);
        let reader = thread::Builder::new()
            .name("file reader".into())
            .spawn_scoped(scope, move || read_ahead(file, empty, full))
            .ok()?;
        let mut bytes = 0u64;
        let mut error = None;
        while let Some(item) = full.pop() {
            match item {
                Ok(buf) if buf.is_empty() => break,
                Ok(buf) => {
                    if let Err(e) = to.write_all(&buf) {
                        return Some(Err(e));
                    }
                    bytes += buf.len() as u64;
                    progress(bytes);
                    empty.push(buf);
                }
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        empty.close();
        Some(match reader.join() {
            Ok(crc) => Ok(Copied { bytes, crc, error }),
            Err(_) => Err(io::Error::other("the file reader failed")),
        })
    });
    match threaded {
        Some(result) => result,
        // No thread: the file has not been touched yet.
        None => send(from, to, expected, progress),
    }
}

/// The reading thread of `send_file`: fill the buffers that come back
/// with the file, in order, until its end (an empty buffer) or an error;
/// returns the CRC-32 of what it read.
fn read_ahead(
    from: &mut impl Read,
    empty: &Queue<Vec<u8>>,
    full: &Queue<io::Result<Vec<u8>>>,
) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    // Ends at the file's end, or when the other side hangs up.
    while let Some(mut buf) = empty.pop() {
        buf.resize(buf.capacity(), 0);
        let got = loop {
            match from.read(&mut buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => break other,
            }
        };
        let end = matches!(got, Ok(0) | Err(_));
        let item = got.map(|n| {
            hasher.update(&buf[..n]);
            buf.truncate(n);
            buf
        });
        if !full.push(item) || end {
            break;
        }
    }
    hasher.finalize()
}

/// Like `receive`, but a file of `THREADED_MIN_BYTES` or more is written
/// (and its CRC computed) on a thread of its own, while this one reads the
/// payload. Same results and errors as `receive`: after a read error every
/// byte read before it is still written, for a resume; where no thread can
/// be started, it is `receive`.
pub fn receive_file(
    from: &mut impl Read,
    to: &mut (impl Write + Send),
    expected: u64,
    progress: &mut dyn FnMut(u64),
) -> io::Result<Copied> {
    if expected < THREADED_MIN_BYTES {
        return receive(from, to, expected, progress);
    }
    let (full, empty) = (Queue::default(), buffers(expected));
    let threaded = thread::scope(|scope| {
        // However this returns, the writer ends.
        let _closing = Closing(&full, &empty);
        let file = &mut *to;
        let (full, empty) = (&full, &empty);
        let writer = thread::Builder::new()
            .name("file writer".into())
            .spawn_scoped(scope, move || write_behind(file, full, empty))
            .ok()?;
        let mut bytes = 0u64;
        let read_error = loop {
            let Some(mut buf) = empty.pop() else {
                break Some(io::Error::other("the file writer failed"));
            };
            buf.resize(buf.capacity(), 0);
            let got = loop {
                match from.read(&mut buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    other => break other,
                }
            };
            let n = match got {
                Ok(0) => break None,
                Ok(n) => n,
                Err(e) => break Some(e),
            };
            buf.truncate(n);
            bytes += n as u64;
            if !full.push(buf) {
                break Some(io::Error::other("the file writer failed"));
            }
            progress(bytes);
        };
        // The writer writes everything it was given, then ends.
        full.close();
        let written = writer.join();
        Some(match (read_error, written) {
            (Some(e), _) => Err(e),
            (None, Ok((crc, error))) => Ok(Copied { bytes, crc, error }),
            (None, Err(_)) => Err(io::Error::other("the file writer failed")),
        })
    });
    match threaded {
        Some(result) => result,
        // No thread: nothing has been read yet.
        None => receive(from, to, expected, progress),
    }
}

/// The writing thread of `receive_file`: write the buffers that come, in
/// order, and hand each back; after a write error keep taking them (the
/// payload is read to its end) without writing. Returns the CRC-32 of all
/// it was given and the first write (or flush) error.
fn write_behind(
    to: &mut impl Write,
    full: &Queue<Vec<u8>>,
    empty: &Queue<Vec<u8>>,
) -> (u32, Option<io::Error>) {
    let mut hasher = crc32fast::Hasher::new();
    let mut error = None;
    // Ends when the payload has (or failed): the sender is gone.
    while let Some(buf) = full.pop() {
        hasher.update(&buf);
        if error.is_none() {
            error = to.write_all(&buf).err();
        }
        empty.push(buf);
    }
    if error.is_none() {
        error = to.flush().err();
    }
    (hasher.finalize(), error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn frame(data: &[u8], pieces: usize) -> Vec<u8> {
        let mut w = PayloadWriter::new(Vec::new());
        for part in data.chunks(pieces.max(1)) {
            w.write_all(part).unwrap();
        }
        w.finish().unwrap()
    }

    fn unframe(wire: &[u8], limit: u64) -> io::Result<Vec<u8>> {
        let mut r = PayloadReader::new(Cursor::new(wire), limit);
        let mut out = Vec::new();
        r.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn round_trip_at_chunk_edges() {
        for size in [0, 1, 2047, 2048, 2049, 4096, 10_000] {
            let data: Vec<u8> = (0..size).map(|i| (i * 7) as u8).collect();
            for pieces in [1, 100, 2048, 5000] {
                let wire = frame(&data, pieces);
                let chunks = size / CHUNK_BYTES + 1;
                assert_eq!(wire.len(), size + 2 * chunks, "size {size}");
                assert_eq!(unframe(&wire, size as u64).unwrap(), data);
            }
        }
    }

    #[test]
    fn stream_keeps_its_place_after_payload() {
        let mut wire = frame(b"hello", 1);
        wire.extend_from_slice(b"226 next\n");
        let mut r = PayloadReader::new(Cursor::new(&wire[..]), 5);
        assert_eq!(r.drain().unwrap(), 5);
        let mut rest = String::new();
        r.into_inner().read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "226 next\n");
    }

    #[test]
    fn payload_in_place_is_the_same_bytes_and_keeps_the_place() {
        for size in [0, 1, 2048, 2049, 10_000] {
            let data: Vec<u8> = (0..size).map(|i| (i * 7) as u8).collect();
            let mut wire = frame(&data, 1000);
            wire.extend_from_slice(b"226 next\n");
            let mut r = PayloadReader::new(Cursor::new(&wire[..]), size as u64);
            let mut out = Vec::new();
            loop {
                let held = r.fill_buf().unwrap();
                assert!(held.len() <= CHUNK_BYTES);
                if held.is_empty() {
                    break;
                }
                // Take a little less than is held, to cross every edge.
                let n = held.len().div_ceil(2);
                out.extend_from_slice(&held[..n]);
                r.consume(n);
            }
            assert!(out == data, "size {size}");
            assert_eq!(r.total(), size as u64);
            let mut rest = String::new();
            r.into_inner().read_to_string(&mut rest).unwrap();
            assert_eq!(rest, "226 next\n");
        }
        let wire = frame(&[1; 3000], 3000);
        let mut r = PayloadReader::new(Cursor::new(&wire[..2500]), 3000);
        let n = r.fill_buf().unwrap().len();
        r.consume(n);
        let n = r.fill_buf().unwrap().len();
        r.consume(n);
        assert_eq!(
            r.fill_buf().unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
    }

    #[test]
    fn payload_longer_than_announced_is_refused() {
        let wire = frame(&[0; 5000], 5000);
        let err = unframe(&wire, 4999).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn oversized_chunk_header_is_refused() {
        let err = unframe(&[0xff, 0xff, 1, 2, 3], u64::MAX).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn truncated_payload_is_an_error_after_the_bytes_that_came() {
        let wire = frame(&[1; 3000], 3000);
        let err = unframe(&wire[..2500], 3000).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let mut r = PayloadReader::new(Cursor::new(&wire[..2500]), 3000);
        let mut buf = vec![0; 10_000];
        assert_eq!(r.read(&mut buf).unwrap(), 2500 - 4);
        assert_eq!(
            r.read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
    }

    #[test]
    fn copies_report_length_and_crc() {
        let mut out = Vec::new();
        let c = send(&mut &b"123456789"[..], &mut out, 9, &mut |_| {}).unwrap();
        assert_eq!((c.bytes, c.crc, c.error.is_none()), (9, 0xcbf4_3926, true));
        let mut out2 = Vec::new();
        let c = receive(&mut &out[..], &mut out2, 9, &mut |_| {}).unwrap();
        assert_eq!((c.bytes, c.crc), (9, 0xcbf4_3926));
        assert_eq!(out2, b"123456789");
    }

    #[test]
    fn receive_reads_on_after_a_write_error() {
        let mut full = [0u8; 4];
        let mut src = &[7u8; 100][..];
        let c = receive(&mut src, &mut &mut full[..], 100, &mut |_| {}).unwrap();
        assert_eq!(c.bytes, 100);
        assert!(c.error.is_some());
        assert!(src.is_empty());
    }

    /// Data of `len` bytes that differs at every offset within a buffer.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn threaded_copies_match_the_plain_ones() {
        let len = THREADED_MIN_BYTES as usize + 12_345;
        let data = pattern(len);
        let mut framed = PayloadWriter::new(Vec::new());
        let mut last = 0;
        let sent = send_file(&mut &data[..], &mut framed, len as u64, &mut |n| last = n).unwrap();
        let wire = framed.finish().unwrap();
        let expected_crc = crc32fast::hash(&data);
        assert_eq!(
            (sent.bytes, sent.crc, last),
            (len as u64, expected_crc, len as u64)
        );
        assert!(sent.error.is_none());
        let mut file = Vec::new();
        let mut payload = PayloadReader::new(Cursor::new(&wire[..]), len as u64);
        let got = receive_file(&mut payload, &mut file, len as u64, &mut |_| {}).unwrap();
        assert_eq!((got.bytes, got.crc), (len as u64, expected_crc));
        assert!(got.error.is_none());
        assert!(file == data);
    }

    /// A reader that fails after `ok` bytes.
    struct FailsAfter<'a> {
        data: &'a [u8],
        ok: usize,
    }

    impl Read for FailsAfter<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.ok == 0 {
                return Err(io::Error::other("disk gone"));
            }
            let n = buf.len().min(self.ok).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            self.ok -= n;
            Ok(n)
        }
    }

    #[test]
    fn threaded_send_hands_back_a_read_error_after_the_bytes_before_it() {
        let data = pattern(THREADED_MIN_BYTES as usize * 2);
        let ok = THREADED_MIN_BYTES as usize + 1000;
        let mut from = FailsAfter { data: &data, ok };
        let mut out = Vec::new();
        let sent = send_file(&mut from, &mut out, data.len() as u64, &mut |_| {}).unwrap();
        assert_eq!(sent.bytes, ok as u64);
        assert_eq!(sent.error.map(|e| e.to_string()), Some("disk gone".into()));
        assert!(out == data[..ok]);
        assert_eq!(sent.crc, crc32fast::hash(&data[..ok]));
    }

    #[test]
    fn threaded_receive_writes_what_came_before_a_cut() {
        let data = pattern(THREADED_MIN_BYTES as usize * 2);
        let ok = THREADED_MIN_BYTES as usize + 1000;
        let mut from = FailsAfter { data: &data, ok };
        let mut file = Vec::new();
        let err = receive_file(&mut from, &mut file, data.len() as u64, &mut |_| {}).unwrap_err();
        assert_eq!(err.to_string(), "disk gone");
        assert!(file == data[..ok]);
    }

    #[test]
    fn threaded_receive_reads_on_after_a_write_error() {
        let data = pattern(THREADED_MIN_BYTES as usize + 1);
        let mut full = vec![0u8; 1 << 20];
        let mut src = &data[..];
        let c = receive_file(&mut src, &mut &mut full[..], data.len() as u64, &mut |_| {}).unwrap();
        assert_eq!(c.bytes, data.len() as u64);
        assert_eq!(c.crc, crc32fast::hash(&data));
        assert!(c.error.is_some());
        assert!(src.is_empty());
    }
}
