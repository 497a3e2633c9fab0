//! Compression: a streaming raw-deflate writer (for `get -z` on the wire and
//! for gzip files), a bounded inflating reader (the client's side of `-z`),
//! and the gzip file format of `compress`. Memory stays bounded whatever the
//! size of the data. No sockets.

use std::io::{self, Read, Write};

use miniz_oxide::deflate::core::{
    CompressorOxide, TDEFLFlush, TDEFLStatus, compress, create_comp_flags_from_zip_params,
};
use miniz_oxide::inflate::stream::{InflateState, inflate};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

use crate::wire::payload;

/// Compressed bytes buffered before they go to the inner writer.
const OUT_BUFFER_BYTES: usize = 64 * 1024;
/// Compressed bytes read at a time by the inflater.
const IN_BUFFER_BYTES: usize = 64 * 1024;
/// Window bits that ask miniz for a raw deflate stream (no zlib wrapper).
const RAW_DEFLATE_WINDOW_BITS: i32 = -15;
/// The default compression level of `compress` and gzip.
pub const DEFAULT_LEVEL: u8 = 6;
/// The level `get -z` compresses at: fast enough to keep up with a gigabit link.
pub const WIRE_LEVEL: u8 = 1;

/// The most bytes a raw deflate stream of `len` bytes can take: stored
/// blocks cost 5 bytes per 65,535, and the bound keeps generous room.
pub fn deflate_bound(len: u64) -> u64 {
    len.saturating_add(len / 16).saturating_add(1024)
}

/// A writer that deflates everything written to it into `inner`.
pub struct Deflater<W: Write> {
    inner: W,
    state: Box<CompressorOxide>,
    out: Vec<u8>,
    written: u64,
}

impl<W: Write> Deflater<W> {
    /// Deflate (raw, no wrapper) at `level` 1..=9 into `inner`.
    pub fn new(inner: W, level: u8) -> Deflater<W> {
        let flags = create_comp_flags_from_zip_params(
            i32::from(level.clamp(1, 9)),
            RAW_DEFLATE_WINDOW_BITS,
            0,
        );
        Deflater {
            inner,
            state: Box::new(CompressorOxide::new(flags)),
            out: vec![0; OUT_BUFFER_BYTES],
            written: 0,
        }
    }

    /// Run the compressor over `input` with `flush`; returns bytes consumed.
    fn step(&mut self, input: &[u8], flush: TDEFLFlush) -> io::Result<(TDEFLStatus, usize)> {
        let (status, consumed, produced) = compress(&mut self.state, input, &mut self.out, flush);
        if produced > 0 {
            self.inner.write_all(&self.out[..produced])?;
            self.written += produced as u64;
        }
        match status {
            TDEFLStatus::BadParam | TDEFLStatus::PutBufFailed => {
                Err(io::Error::other("deflate failed"))
            }
            status => Ok((status, consumed)),
        }
    }

    /// End the deflate stream; gives back the inner writer and the number
    /// of compressed bytes written to it.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        loop {
            if self.step(&[], TDEFLFlush::Finish)?.0 == TDEFLStatus::Done {
                return Ok((self.inner, self.written));
            }
        }
    }
}

impl<W: Write> Write for Deflater<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut used = 0;
        // Keep going until some input is taken, so `write` never returns 0.
        while used == 0 && !buf.is_empty() {
            used = self.step(buf, TDEFLFlush::None)?.1;
        }
        Ok(used)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that inflates a raw deflate stream from `inner`, refusing to
/// produce more than `limit` bytes (a deflate bomb is cut off, not obeyed)
/// and refusing a stream that ends early or does not end.
pub struct Inflater<R: Read> {
    inner: R,
    state: Box<InflateState>,
    input: Vec<u8>,
    start: usize,
    end: usize,
    produced: u64,
    limit: u64,
    done: bool,
    eof: bool,
}

impl<R: Read> Inflater<R> {
    /// Inflate from `inner`, at most `limit` bytes.
    pub fn new(inner: R, limit: u64) -> Inflater<R> {
        Inflater {
            inner,
            state: InflateState::new_boxed(DataFormat::Raw),
            input: vec![0; IN_BUFFER_BYTES],
            start: 0,
            end: 0,
            produced: 0,
            limit,
            done: false,
            eof: false,
        }
    }
}

impl<R: Read> Inflater<R> {
    /// Keep the unread input and append more after it.
    fn more_input(&mut self) -> io::Result<()> {
        self.input.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        if self.end == self.input.len() {
            return Err(bad("corrupt compressed stream"));
        }
        let n = self.inner.read(&mut self.input[self.end..])?;
        self.eof = n == 0;
        self.end += n;
        Ok(())
    }
}

fn bad(text: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, text)
}

impl<R: Read> Read for Inflater<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // One byte more than allowed is enough to see a stream run past it.
        let room = self.limit.saturating_sub(self.produced).saturating_add(1);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        loop {
            if self.done {
                // Anything after the end of the stream is not ours to ignore.
                if self.start < self.end
                    || (!self.eof && self.inner.read(&mut self.input[..1])? > 0)
                {
                    return Err(bad("data after the end of the compressed stream"));
                }
                return Ok(0);
            }
            if self.start == self.end && !self.eof {
                self.end = self.inner.read(&mut self.input)?;
                self.start = 0;
                self.eof = self.end == 0;
            }
            let flush = if self.eof {
                MZFlush::Finish
            } else {
                MZFlush::None
            };
            let r = inflate(
                &mut self.state,
                &self.input[self.start..self.end],
                &mut buf[..want],
                flush,
            );
            self.start += r.bytes_consumed;
            match r.status {
                Ok(MZStatus::StreamEnd) => self.done = true,
                Ok(_) | Err(MZError::Buf) => {}
                Err(_) => return Err(bad("corrupt compressed stream")),
            }
            self.produced += r.bytes_written as u64;
            if self.produced > self.limit {
                return Err(bad("compressed stream inflates past its announced size"));
            }
            if r.bytes_written > 0 {
                return Ok(r.bytes_written);
            }
            if !self.done && r.bytes_consumed == 0 {
                if self.eof {
                    return Err(bad("compressed stream ends early"));
                }
                // Stuck with input in hand: the inflater wants more of it.
                self.more_input()?;
            }
        }
    }
}

/// Gzip `FLG` bit: an original file name follows the header.
const GZIP_FNAME: u8 = 0x08;
/// Gzip `OS` byte for Unix.
const GZIP_OS_UNIX: u8 = 3;

/// Write a gzip file of `from` into `to`: header with the original `name`
/// and `mtime` as gzip writes them, the deflate stream at `level`, and the
/// CRC-32 and length trailer. `progress` sees the bytes read so far.
/// Returns (bytes read, bytes written).
pub fn gzip(
    from: &mut impl Read,
    to: &mut impl Write,
    name: &[u8],
    mtime: i64,
    level: u8,
    progress: &mut dyn FnMut(u64),
) -> io::Result<(u64, u64)> {
    let extra_flags = match level {
        9 => 2,
        1 => 4,
        _ => 0,
    };
    let mtime = u32::try_from(mtime).unwrap_or(0);
    let mut header = vec![0x1f, 0x8b, 8, GZIP_FNAME];
    header.extend_from_slice(&mtime.to_le_bytes());
    header.extend_from_slice(&[extra_flags, GZIP_OS_UNIX]);
    // The name is NUL-terminated, so a NUL inside it would end it early.
    header.extend(name.iter().copied().filter(|&b| b != 0));
    header.push(0);
    to.write_all(&header)?;
    let mut deflater = Deflater::new(&mut *to, level);
    let copied = payload::send(from, &mut deflater, u64::MAX, progress)?;
    if let Some(e) = copied.error {
        return Err(e);
    }
    let (_, body) = deflater.finish()?;
    // Gzip keeps the length modulo 2^32.
    let mut trailer = copied.crc.to_le_bytes().to_vec();
    trailer.extend_from_slice(&(copied.bytes as u32).to_le_bytes());
    to.write_all(&trailer)?;
    Ok((
        copied.bytes,
        header.len() as u64 + body + trailer.len() as u64,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deflate(data: &[u8], level: u8) -> Vec<u8> {
        let mut d = Deflater::new(Vec::new(), level);
        for part in data.chunks(1000) {
            d.write_all(part).unwrap();
        }
        d.finish().unwrap().0
    }

    fn text(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| b"the quick brown fox jumps over the lazy dog\n"[i % 44])
            .collect()
    }

    #[test]
    fn deflate_then_inflate_round_trips() {
        for data in [Vec::new(), b"x".to_vec(), text(2049), text(1 << 20)] {
            let packed = deflate(&data, 6);
            let mut out = Vec::new();
            Inflater::new(&packed[..], data.len() as u64)
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, data);
        }
        assert!(deflate(&text(1 << 20), 6).len() < 20_000);
    }

    #[test]
    fn inflating_past_the_limit_is_refused() {
        let bomb = deflate(&vec![0; 10 << 20], 9);
        assert!(bomb.len() < 20_000);
        let mut out = Vec::new();
        let err = Inflater::new(&bomb[..], 1000)
            .read_to_end(&mut out)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(out.len() <= 1000 + 64 * 1024);
    }

    #[test]
    fn truncated_or_trailing_streams_are_refused() {
        let packed = deflate(&text(100_000), 6);
        let mut out = Vec::new();
        let cut = Inflater::new(&packed[..packed.len() / 2], 100_000).read_to_end(&mut out);
        assert_eq!(cut.unwrap_err().kind(), io::ErrorKind::InvalidData);
        let mut extra = packed.clone();
        extra.push(0);
        let trailing = Inflater::new(&extra[..], 100_000).read_to_end(&mut Vec::new());
        assert_eq!(trailing.unwrap_err().kind(), io::ErrorKind::InvalidData);
        let garbage = Inflater::new(&[0xff; 100][..], 100).read_to_end(&mut Vec::new());
        assert_eq!(garbage.unwrap_err().kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn gzip_has_header_trailer_and_name() {
        let data = text(5000);
        let mut out = Vec::new();
        let (read, written) = gzip(
            &mut &data[..],
            &mut out,
            b"a.txt",
            1_700_000_000,
            6,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!((read, written), (5000, out.len() as u64));
        assert_eq!(&out[..4], &[0x1f, 0x8b, 8, GZIP_FNAME]);
        assert_eq!(&out[4..8], &1_700_000_000u32.to_le_bytes());
        assert_eq!(&out[10..16], b"a.txt\0");
        let n = out.len();
        assert_eq!(&out[n - 8..n - 4], &crc32fast::hash(&data).to_le_bytes());
        assert_eq!(&out[n - 4..], &5000u32.to_le_bytes());
        let mut body = Vec::new();
        Inflater::new(&out[16..n - 8], 5000)
            .read_to_end(&mut body)
            .unwrap();
        assert_eq!(body, data);
    }
}
