//! `compress`'s gzip files, deflated on several threads as pigz does: the
//! input goes in blocks of `BLOCK_BYTES`, each deflated on its own with the
//! 32 KiB before it as history (so the ratio stays that of one long stream),
//! ending in a sync flush so that the pieces concatenate in order; the
//! CRC-32 of the whole is combined from the blocks'. At most
//! `BLOCKS_IN_FLIGHT_PER_THREAD` blocks per thread are in memory at once.
//! The threads come from a budget that the whole server shares (`claim`).
//! No sockets.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;

use crc32fast::Hasher;

use super::{BlockDeflater, STREAM_END, WINDOW_BYTES};

/// Input bytes per block. Each block also deflates the 32 KiB before it
/// (miniz has no preset dictionary), so this keeps that extra work at 6%.
pub const BLOCK_BYTES: usize = 512 * 1024;
/// Blocks read ahead per thread: one being deflated, one waiting.
const BLOCKS_IN_FLIGHT_PER_THREAD: usize = 2;

/// Gzip `FLG` bit: an original file name follows the header.
const GZIP_FNAME: u8 = 0x08;
/// Gzip `OS` byte for Unix.
const GZIP_OS_UNIX: u8 = 3;

/// Helper threads that compresses may still take, server-wide.
static FREE_HELPERS: AtomicUsize = AtomicUsize::new(0);

/// Set how many helper threads all compresses together may use (once, at
/// server start).
pub fn set_helper_budget(threads: usize) {
    FREE_HELPERS.store(threads, Ordering::SeqCst);
}

/// The most threads one compress uses, whatever the number of cores (a
/// CPU quota can leave fewer cores than the affinity mask shows).
const MAX_THREADS: usize = 16;

/// The threads one compress may use: about one per core.
pub fn cores() -> usize {
    crate::sys::cpus().min(MAX_THREADS)
}

/// Helper threads taken from the server's budget, given back on drop.
pub struct Helpers {
    taken: usize,
}

impl Helpers {
    /// The threads to compress on: the helpers, or 1 (the caller's own
    /// thread) when there are fewer than two.
    pub fn threads(&self) -> usize {
        self.taken.max(1)
    }
}

impl Drop for Helpers {
    fn drop(&mut self) {
        FREE_HELPERS.fetch_add(self.taken, Ordering::SeqCst);
    }
}

/// Take up to `want` helper threads from the budget, without waiting.
/// Fewer than two are no help (the caller's thread compresses alone), so
/// they are left for others.
pub fn claim(want: usize) -> Helpers {
    let taken = FREE_HELPERS
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |free| {
            let n = free.min(want);
            (n >= 2).then_some(free - n)
        })
        .map_or(0, |free| free.min(want));
    Helpers { taken }
}

/// Write a gzip file of `from` into `to`: header with the original `name`
/// and `mtime` as gzip writes them, the deflate stream at `level` made on
/// `threads` threads (the output is the same for any number), and the
/// CRC-32 and length trailer. `progress` sees the bytes done so far.
/// Returns (bytes read, bytes written).
pub fn gzip(
    from: &mut impl Read,
    to: &mut impl Write,
    name: &[u8],
    mtime: i64,
    level: u8,
    threads: usize,
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
    let mut sink = Sink {
        to,
        crc: Hasher::new(),
        read: 0,
        written: 0,
        progress,
    };
    if threads <= 1 {
        deflate_here(from, &mut sink, level)?;
    } else {
        deflate_on_threads(from, &mut sink, level, threads)?;
    }
    sink.to.write_all(&STREAM_END)?;
    // Gzip keeps the length modulo 2^32.
    let mut trailer = sink.crc.finalize().to_le_bytes().to_vec();
    trailer.extend_from_slice(&(sink.read as u32).to_le_bytes());
    sink.to.write_all(&trailer)?;
    let written = header.len() + STREAM_END.len() + trailer.len();
    Ok((sink.read, sink.written + written as u64))
}

/// Where deflated blocks go, in order, with the running CRC and counts.
struct Sink<'a, W: Write> {
    to: &'a mut W,
    crc: Hasher,
    read: u64,
    written: u64,
    progress: &'a mut dyn FnMut(u64),
}

impl<W: Write> Sink<'_, W> {
    /// Write the next block's deflated piece; `crc` and `len` are its input's.
    fn put(&mut self, piece: &[u8], crc: &Hasher, len: usize) -> io::Result<()> {
        self.to.write_all(piece)?;
        self.crc.combine(crc);
        self.read += len as u64;
        self.written += piece.len() as u64;
        (self.progress)(self.read);
        Ok(())
    }
}

/// Fill `buf` from `from` as far as it goes; returns the bytes read (short
/// only at the end of the input).
fn read_block(from: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match from.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The history the block after `block` is deflated with: its last 32 KiB
/// (a suffix of the data before the next block, which is all it needs).
fn history_of(block: &[u8], into: &mut Vec<u8>) {
    into.clear();
    into.extend_from_slice(&block[block.len().saturating_sub(WINDOW_BYTES)..]);
}

/// One block deflated with its history; its CRC-32 alongside.
fn deflate_block(
    deflater: &mut BlockDeflater,
    history: &[u8],
    data: &[u8],
    out: &mut Vec<u8>,
) -> io::Result<Hasher> {
    out.clear();
    deflater.deflate_after(history, data, out)?;
    let mut crc = Hasher::new();
    crc.update(data);
    Ok(crc)
}

/// Deflate every block on this thread.
fn deflate_here<W: Write>(from: &mut impl Read, sink: &mut Sink<W>, level: u8) -> io::Result<()> {
    let mut deflater = BlockDeflater::for_files(level);
    let mut data = vec![0; BLOCK_BYTES];
    let mut history = Vec::with_capacity(WINDOW_BYTES);
    let mut out = Vec::new();
    loop {
        let n = read_block(from, &mut data)?;
        if n == 0 {
            return Ok(());
        }
        let crc = deflate_block(&mut deflater, &history, &data[..n], &mut out)?;
        sink.put(&out, &crc, n)?;
        history_of(&data[..n], &mut history);
    }
}

/// A block for a worker: its place in the stream, its history, its data
/// (`len` bytes of `data`), a buffer for the result, and once deflated the
/// result's CRC-32.
struct Job {
    index: u64,
    history: Vec<u8>,
    data: Vec<u8>,
    len: usize,
    out: Vec<u8>,
    crc: io::Result<Hasher>,
}

/// The blocks waiting for a worker and those done, shared by the reading
/// thread and the workers.
#[derive(Default)]
struct Queue {
    waiting: VecDeque<Job>,
    done: Vec<Job>,
    /// No more jobs: workers end.
    closed: bool,
    /// A worker died (a bug): nobody waits for its block.
    failed: bool,
}

/// A `Queue` and its two signals: `work` for the workers, `done` for the
/// reading thread.
#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    work: Condvar,
    done: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Nothing panics while holding the lock; a poisoned queue is whole.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stop the workers: no more jobs, and none of those waiting.
    fn close(&self) {
        let mut q = self.lock();
        q.closed = true;
        q.waiting.clear();
        self.work.notify_all();
    }
}

/// Marks the queue failed when a worker unwinds, so nobody waits for it.
struct Alive<'a>(&'a Shared);

impl Drop for Alive<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.lock().failed = true;
            self.0.done.notify_all();
        }
    }
}

/// A worker: deflate jobs until the queue closes.
fn work(shared: &Shared, level: u8) {
    let _alive = Alive(shared);
    let mut deflater = BlockDeflater::for_files(level);
    loop {
        let mut job = {
            let mut q = shared.lock();
            loop {
                if let Some(job) = q.waiting.pop_front() {
                    break job;
                }
                if q.closed {
                    return;
                }
                q = shared.work.wait(q).unwrap_or_else(PoisonError::into_inner);
            }
        };
        let data = &job.data[..job.len];
        job.crc = deflate_block(&mut deflater, &job.history, data, &mut job.out);
        shared.lock().done.push(job);
        shared.done.notify_one();
    }
}

/// Deflate the blocks on `threads` workers while this thread reads and
/// writes them in order.
fn deflate_on_threads<W: Write>(
    from: &mut impl Read,
    sink: &mut Sink<W>,
    level: u8,
    threads: usize,
) -> io::Result<()> {
    let shared = Shared::default();
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| work(&shared, level));
        }
        let fed = feed_workers(from, sink, &shared, threads * BLOCKS_IN_FLIGHT_PER_THREAD);
        shared.close();
        fed
    })
}

/// Read blocks into the queue, at most `most_ahead` ahead of the writing,
/// and write their results in order.
fn feed_workers<W: Write>(
    from: &mut impl Read,
    sink: &mut Sink<W>,
    shared: &Shared,
    most_ahead: usize,
) -> io::Result<()> {
    let mut spare: Vec<Job> = Vec::new();
    let mut history = Vec::with_capacity(WINDOW_BYTES);
    let (mut next_read, mut next_write, mut eof) = (0u64, 0u64, false);
    loop {
        while !eof && next_read - next_write < most_ahead as u64 {
            let mut job = spare.pop().unwrap_or_else(|| Job {
                index: 0,
                history: Vec::with_capacity(WINDOW_BYTES),
                data: vec![0; BLOCK_BYTES],
                len: 0,
                out: Vec::new(),
                crc: Ok(Hasher::new()),
            });
            job.len = read_block(from, &mut job.data)?;
            if job.len == 0 {
                eof = true;
                break;
            }
            job.index = next_read;
            std::mem::swap(&mut job.history, &mut history);
            history_of(&job.data[..job.len], &mut history);
            shared.lock().waiting.push_back(job);
            shared.work.notify_one();
            next_read += 1;
        }
        if next_write == next_read {
            return Ok(());
        }
        let mut job = next_done(shared, next_write)?;
        let crc = std::mem::replace(&mut job.crc, Ok(Hasher::new()))?;
        sink.put(&job.out, &crc, job.len)?;
        spare.push(job);
        next_write += 1;
    }
}

/// Wait for block `index` to be deflated and take it.
fn next_done(shared: &Shared, index: u64) -> io::Result<Job> {
    let mut q = shared.lock();
    loop {
        if let Some(at) = q.done.iter().position(|j| j.index == index) {
            return Ok(q.done.swap_remove(at));
        }
        if q.failed {
            return Err(io::Error::other("a compress thread stopped"));
        }
        q = shared.done.wait(q).unwrap_or_else(PoisonError::into_inner);
    }
}

#[cfg(test)]
mod tests {
    use super::super::Inflater;
    use super::*;

    /// Log-like text that compresses about as real logs do.
    fn text(len: usize) -> Vec<u8> {
        let mut x: u32 = 2026;
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let line = format!("{} GET /item/{} {}\n", x >> 20, (x >> 8) % 500, x % 7);
            out.extend_from_slice(line.as_bytes());
        }
        out.truncate(len);
        out
    }

    fn gzip_of(data: &[u8], threads: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut seen = 0;
        let (read, written) = gzip(
            &mut &data[..],
            &mut out,
            b"a.txt",
            1_700_000_000,
            6,
            threads,
            &mut |n| seen = n,
        )
        .unwrap();
        assert_eq!(
            (read, written, seen),
            (data.len() as u64, out.len() as u64, read)
        );
        out
    }

    /// The deflate body of a gzip file made with the name `a.txt`.
    fn body(gz: &[u8]) -> &[u8] {
        &gz[16..gz.len() - 8]
    }

    #[test]
    fn gzip_has_header_trailer_and_name() {
        let data = text(5000);
        let out = gzip_of(&data, 1);
        assert_eq!(&out[..4], &[0x1f, 0x8b, 8, GZIP_FNAME]);
        assert_eq!(&out[4..8], &1_700_000_000u32.to_le_bytes());
        assert_eq!(&out[10..16], b"a.txt\0");
        let n = out.len();
        assert_eq!(&out[n - 8..n - 4], &crc32fast::hash(&data).to_le_bytes());
        assert_eq!(&out[n - 4..], &5000u32.to_le_bytes());
        let mut back = Vec::new();
        Inflater::new(body(&out), 5000)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn blocks_round_trip_and_match_for_any_thread_count() {
        // Sizes around block edges, and several blocks.
        let sizes = [
            0,
            1,
            BLOCK_BYTES - 1,
            BLOCK_BYTES,
            BLOCK_BYTES + 1,
            5 * BLOCK_BYTES + 7,
        ];
        for len in sizes {
            let data = text(len);
            let one = gzip_of(&data, 1);
            for threads in [2, 3] {
                assert_eq!(
                    gzip_of(&data, threads),
                    one,
                    "{len} bytes, {threads} threads"
                );
            }
            let mut back = Vec::new();
            Inflater::new(body(&one), len as u64)
                .read_to_end(&mut back)
                .unwrap();
            assert!(back == data, "{len} bytes do not round-trip");
            let n = one.len();
            assert_eq!(&one[n - 8..n - 4], &crc32fast::hash(&data).to_le_bytes());
        }
    }

    #[test]
    fn history_keeps_the_ratio_of_one_stream() {
        // Blocks deflated with no history would lose matches at every edge.
        let data = text(4 * BLOCK_BYTES);
        let with = body(&gzip_of(&data, 2)).len();
        let mut without = Vec::new();
        let mut d = BlockDeflater::for_files(6);
        for block in data.chunks(BLOCK_BYTES) {
            d.deflate_after(&[], block, &mut without).unwrap();
        }
        assert!(with < without.len(), "{with} vs {}", without.len());
    }

    #[test]
    fn every_level_round_trips_with_history() {
        let data = text(3 * BLOCK_BYTES + 5);
        for level in 1..=9 {
            let mut d = BlockDeflater::for_files(level);
            let mut out = Vec::new();
            let mut before: &[u8] = &[];
            for block in data.chunks(BLOCK_BYTES) {
                d.deflate_after(before, block, &mut out).unwrap();
                before = block;
            }
            out.extend_from_slice(&STREAM_END);
            let mut back = Vec::new();
            Inflater::new(&out[..], data.len() as u64)
                .read_to_end(&mut back)
                .unwrap();
            assert!(back == data, "level {level}");
            assert!(out.len() < data.len() / 2, "level {level}: {}", out.len());
        }
    }

    #[test]
    fn crc_combined_from_blocks_is_the_whole_crc() {
        let data = text(3 * BLOCK_BYTES + 100);
        let mut whole = Hasher::new();
        for block in data.chunks(BLOCK_BYTES) {
            let mut part = Hasher::new();
            part.update(block);
            whole.combine(&part);
        }
        assert_eq!(whole.finalize(), crc32fast::hash(&data));
    }

    #[test]
    fn helpers_come_from_one_budget() {
        set_helper_budget(3);
        let first = claim(2);
        assert_eq!(first.threads(), 2);
        // One left: no help, so it stays in the budget.
        let second = claim(2);
        assert_eq!(second.threads(), 1);
        drop(first);
        assert_eq!(claim(8).threads(), 3);
        set_helper_budget(0);
    }

    #[test]
    fn a_read_error_is_handed_back() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        for threads in [1, 2] {
            let got = gzip(
                &mut Broken,
                &mut Vec::new(),
                b"x",
                0,
                6,
                threads,
                &mut |_| {},
            );
            assert_eq!(got.unwrap_err().to_string(), "disk on fire");
        }
    }
}
