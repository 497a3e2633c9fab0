//! Compression: raw deflate made in blocks that concatenate (`BlockDeflater`,
//! and stored blocks for data sent as it is), used by the gzip files of
//! `compress` (made on several threads, in `gzip`, with zlib-rs) and by
//! `get -z` on the wire (`adaptive`, with miniz_oxide); and a bounded
//! inflating reader (the client's side of `-z`, miniz_oxide: only it ever
//! sees bytes from the wire). Memory stays bounded whatever the size of the
//! data. No sockets.

use std::io::{self, BufRead, Read};

use flate2::{Compress, Compression, FlushCompress};
use miniz_oxide::deflate::core::{
    CompressorOxide, TDEFLFlush, TDEFLStatus, compress_to_output, create_comp_flags_from_zip_params,
};
use miniz_oxide::inflate::stream::{InflateState, inflate};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

mod adaptive;
mod gzip;

pub use adaptive::WireDeflater;
pub use gzip::{BLOCK_BYTES, Helpers, claim, cores, gzip, set_helper_budget};

/// Window bits that ask miniz for a raw deflate stream (no zlib wrapper).
const RAW_DEFLATE_WINDOW_BITS: i32 = -15;
/// The default compression level of `compress` and gzip.
pub const DEFAULT_LEVEL: u8 = 6;
/// The history a deflate stream may refer back to: a block deflated on its
/// own sees this much of the data before it, so its matches reach as far
/// as in one long stream.
pub const WINDOW_BYTES: usize = 32 * 1024;
/// The largest stored (uncompressed) deflate block.
const STORED_MAX_BYTES: usize = 65_535;
/// The end of a deflate stream after a sync flush: an empty, final stored
/// block (BFINAL 1, BTYPE 00, LEN 0, NLEN 0xffff).
pub const STREAM_END: [u8; 5] = [1, 0, 0, 0xff, 0xff];
/// The most bytes a raw deflate stream of `len` bytes can take: stored
/// blocks cost 5 bytes per 65,535, and the bound keeps generous room.
pub fn deflate_bound(len: u64) -> u64 {
    len.saturating_add(len / 16).saturating_add(1024)
}

/// miniz's flags for a raw deflate stream at `level` 1..=9.
fn level_flags(level: u8) -> u32 {
    create_comp_flags_from_zip_params(i32::from(level.clamp(1, 9)), RAW_DEFLATE_WINDOW_BITS, 0)
}

/// Append the header of a stored block of `len` bytes (at most
/// `STORED_MAX_BYTES`; not final) to `out`: stored blocks are byte-aligned
/// before and after, so they sit between sync-flushed pieces.
fn store_header(len: usize, out: &mut Vec<u8>) {
    let len = u16::try_from(len).expect("stored blocks fit a u16");
    out.push(0);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
}

/// Deflates blocks of data into pieces of one raw deflate stream. Each
/// piece ends with a sync flush, so pieces made apart (on other threads, or
/// stored blocks between them) concatenate; `STREAM_END` ends the stream.
pub struct BlockDeflater {
    engine: Engine,
    level: u8,
}

/// What deflates: miniz_oxide, or zlib-rs (`BlockDeflater::for_files`).
enum Engine {
    Miniz(Box<CompressorOxide>),
    Zlib(Box<Compress>),
}

/// The zlib-rs level each of `compress`'s levels 1 to 9 uses: the cheapest
/// whose output measured no larger than gzip's at the same level on log
/// text, binaries and source code. zlib-rs's levels below 9 hash four bytes
/// and miss the short matches binaries are full of, so from 3 on only its
/// strongest search (9, with gzip's three-byte hash) keeps up; on text it
/// is then within 0.1% of gzip -8 and -9 (miniz_oxide is further off).
const ZLIB_LEVELS: [u32; 9] = [3, 5, 9, 9, 9, 9, 9, 9, 9];

impl BlockDeflater {
    /// A deflater at `level` 1..=9, with miniz_oxide (`get -z`'s).
    pub fn new(level: u8) -> BlockDeflater {
        BlockDeflater {
            engine: Engine::Miniz(Box::new(CompressorOxide::new(level_flags(level)))),
            level: level.clamp(1, 9),
        }
    }

    /// A deflater at `level` 1..=9 for gzip files, with zlib-rs: as small
    /// as gzip's at the same level and as fast as can be (`ZLIB_LEVELS`).
    pub fn for_files(level: u8) -> BlockDeflater {
        let level = level.clamp(1, 9);
        let zlib = ZLIB_LEVELS[usize::from(level) - 1];
        BlockDeflater {
            engine: Engine::Zlib(Box::new(Compress::new(Compression::new(zlib), false))),
            level,
        }
    }

    /// The level it deflates at.
    pub fn level(&self) -> u8 {
        self.level
    }

    /// Deflate `data` on its own, with `dict` as the history before it (the
    /// last `WINDOW_BYTES` of it count): the piece is what one long stream
    /// would have made of `data` after `dict`, near enough. Appends to `out`.
    pub fn deflate_after(&mut self, dict: &[u8], data: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        self.reset();
        let dict = &dict[dict.len().saturating_sub(WINDOW_BYTES)..];
        if !dict.is_empty() {
            match &mut self.engine {
                // miniz has no preset dictionary: deflating the history and
                // dropping the result leaves its window and hash chains the same.
                Engine::Miniz(state) => run(state, dict, &mut |_| {})?,
                Engine::Zlib(z) => {
                    z.set_dictionary(dict).map_err(io::Error::other)?;
                }
            }
        }
        self.deflate_next(data, out)
    }

    /// Deflate `data` as the continuation of the pieces this deflater made
    /// since the last `reset` (its window holds their data). Appends to `out`.
    pub fn deflate_next(&mut self, data: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        match &mut self.engine {
            Engine::Miniz(state) => run(state, data, &mut |piece| out.extend_from_slice(piece)),
            Engine::Zlib(z) => run_zlib(z, data, out),
        }
    }

    /// Forget the history: the next piece refers to nothing before it.
    pub fn reset(&mut self) {
        match &mut self.engine {
            Engine::Miniz(state) => state.reset(),
            Engine::Zlib(z) => z.reset(),
        }
    }
}

/// `run` for zlib-rs: all of `data`, sync-flushed, appended to `out`.
fn run_zlib(z: &mut Compress, data: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
    let start = z.total_in();
    loop {
        let used = usize::try_from(z.total_in() - start).unwrap_or(data.len());
        // Room for what is left, stored at worst, and the flush's marker.
        out.reserve(data.len() - used + data.len() / 16 + 64);
        let before = out.len();
        z.compress_vec(&data[used..], out, FlushCompress::Sync)
            .map_err(io::Error::other)?;
        // Done when all is in and the flush left room unused: it finished.
        if z.total_in() - start == data.len() as u64 && out.len() < out.capacity() {
            return Ok(());
        }
        if out.len() == before && z.total_in() - start == used as u64 {
            return Err(io::Error::other("deflate failed"));
        }
    }
}

/// Run the compressor over all of `data` and sync-flush, handing each piece
/// of output to `emit`.
fn run(state: &mut CompressorOxide, data: &[u8], emit: &mut dyn FnMut(&[u8])) -> io::Result<()> {
    let mut used = 0;
    loop {
        let (status, n) = compress_to_output(state, &data[used..], TDEFLFlush::Sync, |piece| {
            emit(piece);
            true
        });
        used += n;
        match status {
            TDEFLStatus::Okay if used == data.len() => return Ok(()),
            TDEFLStatus::Okay if n > 0 => {}
            _ => return Err(io::Error::other("deflate failed")),
        }
    }
}

/// A reader that inflates a raw deflate stream from `inner`, refusing to
/// produce more than `limit` bytes (a deflate bomb is cut off, not obeyed)
/// and refusing a stream that ends early or does not end. It inflates the
/// compressed bytes where `inner` holds them, so they are copied once, by
/// the inflater, not first into a buffer of its own.
pub struct Inflater<R: BufRead> {
    inner: R,
    state: Box<InflateState>,
    produced: u64,
    limit: u64,
    done: bool,
}

impl<R: BufRead> Inflater<R> {
    /// Inflate from `inner`, at most `limit` bytes.
    pub fn new(inner: R, limit: u64) -> Inflater<R> {
        Inflater {
            inner,
            state: InflateState::new_boxed(DataFormat::Raw),
            produced: 0,
            limit,
            done: false,
        }
    }
}

fn bad(text: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, text)
}

impl<R: BufRead> Read for Inflater<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // One byte more than allowed is enough to see a stream run past it.
        let room = self.limit.saturating_sub(self.produced).saturating_add(1);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        // miniz inflates at most its 32 KiB window per call, and `inner`
        // may hold less than that: fill `buf` from what is at hand, so the
        // caller's writes stay large.
        let mut total = 0;
        loop {
            if self.done {
                if total > 0 {
                    return Ok(total);
                }
                // Anything after the end of the stream is not ours to ignore.
                if !self.inner.fill_buf()?.is_empty() {
                    return Err(bad("data after the end of the compressed stream"));
                }
                return Ok(0);
            }
            let input = self.inner.fill_buf()?;
            let eof = input.is_empty();
            let flush = if eof { MZFlush::Finish } else { MZFlush::None };
            let r = inflate(&mut self.state, input, &mut buf[total..want], flush);
            self.inner.consume(r.bytes_consumed);
            match r.status {
                Ok(MZStatus::StreamEnd) => self.done = true,
                Ok(_) | Err(MZError::Buf) => {}
                Err(_) => return Err(bad("corrupt compressed stream")),
            }
            self.produced += r.bytes_written as u64;
            if self.produced > self.limit {
                return Err(bad("compressed stream inflates past its announced size"));
            }
            total += r.bytes_written;
            if total == want {
                return Ok(total);
            }
            if r.bytes_written == 0 && r.bytes_consumed == 0 && !self.done {
                if total > 0 {
                    return Ok(total);
                }
                // miniz takes every byte it is given; no progress means
                // there are none left, or it refused them.
                return Err(bad(if eof {
                    "compressed stream ends early"
                } else {
                    "corrupt compressed stream"
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One stream of `data`, in halves.
    fn deflate(data: &[u8], level: u8) -> Vec<u8> {
        let mut d = BlockDeflater::new(level);
        let mut out = Vec::new();
        for part in data.chunks(data.len().div_ceil(2).max(1)) {
            d.deflate_next(part, &mut out).unwrap();
        }
        out.extend_from_slice(&STREAM_END);
        out
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
    fn stored_and_deflated_pieces_concatenate_however_the_input_comes() {
        let data = text(200_000);
        let mut d = BlockDeflater::new(1);
        let mut out = Vec::new();
        d.deflate_next(&data[..70_000], &mut out).unwrap();
        for piece in data[70_000..140_000].chunks(STORED_MAX_BYTES) {
            store_header(piece.len(), &mut out);
            out.extend_from_slice(piece);
        }
        d.deflate_after(&data[..140_000], &data[140_000..], &mut out)
            .unwrap();
        out.extend_from_slice(&STREAM_END);
        let mut back = Vec::new();
        Inflater::new(&out[..], 200_000)
            .read_to_end(&mut back)
            .unwrap();
        assert!(back == data);
        // The inflater works on what its reader holds: however little that
        // is, every byte gets in, and a cut stream is still refused.
        for held in [1, 2, 3, 2048] {
            let reader = io::BufReader::with_capacity(held, &out[..]);
            let mut back = Vec::new();
            Inflater::new(reader, 200_000)
                .read_to_end(&mut back)
                .unwrap();
            assert!(back == data, "{held} bytes at a time");
            let cut = io::BufReader::with_capacity(held, &out[..out.len() - 3]);
            let err = Inflater::new(cut, 200_000).read_to_end(&mut Vec::new());
            assert_eq!(err.unwrap_err().kind(), io::ErrorKind::InvalidData);
        }
    }
}
