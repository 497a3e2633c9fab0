//! `get -z`'s deflate on the wire, which decides for itself, block by block,
//! how to send: stored (as it is), or deflated at one of `LEVELS`. For each
//! way it keeps a running figure of how fast blocks sent that way moved
//! (deflating and writing them, writes waiting on the wire included), and
//! sends each block the fastest way; the others are tried on a block now
//! and then, within a small share of the time. So a wire faster than
//! deflating gets stored blocks and a slow one deflated ones, at the level
//! that moves the file fastest; and a block that deflating would not shrink
//! by 5% goes stored. The stream is one raw deflate stream whatever the
//! choices, so the receiver needs nothing new. No sockets.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use super::{BlockDeflater, STORED_MAX_BYTES, STREAM_END, store_header};

/// Input bytes per block: the unit of every choice.
const BLOCK_BYTES: usize = 128 * 1024;
/// The levels that may be chosen, cheapest first.
const LEVELS: [u8; 3] = [1, 3, 6];
/// The ways to send a block: stored, then each of `LEVELS`.
const WAYS: usize = 1 + LEVELS.len();
/// The way that sends blocks as they are.
const STORED: usize = 0;
/// A block goes deflated only when that saves at least 1/20 of it.
const MIN_SAVING_DIVISOR: usize = 20;
/// Trying another way costs at most about 1/TRY_SHARE of the time.
const TRY_SHARE: u32 = 100;
/// The time over which the running figures count.
const WINDOW: Duration = Duration::from_millis(100);
/// How much faster another way must have been before it is taken.
const SWITCH_GAIN: f64 = 1.05;

/// Bytes per second over about the last `WINDOW` of sending one way, from
/// sums that forget the past as time spent that way passes. A window of
/// time, not of blocks: a wire takes writes in bursts (blocks that fit the
/// socket's buffer return at once, then one waits for many), and a window
/// of blocks would see a burst as a fast wire or a stall of the scheduler
/// as a slow one.
#[derive(Clone, Copy, Default)]
struct Speed {
    bytes: f64,
    secs: f64,
}

impl Speed {
    fn add(&mut self, bytes: usize, took: Duration) {
        // A moment too short for the clock still took some time.
        let secs = took.as_secs_f64().max(1e-9);
        // About e^(-secs / WINDOW), without a libm.
        let keep = WINDOW.as_secs_f64() / (WINDOW.as_secs_f64() + secs);
        self.bytes = self.bytes * keep + bytes as f64;
        self.secs = self.secs * keep + secs;
    }

    /// Bytes per second, once a block was counted.
    fn value(&self) -> Option<f64> {
        (self.secs > 0.0).then(|| self.bytes / self.secs)
    }
}

/// The running figures (input bytes per second, per way) and the choice.
struct Chooser {
    speed: [Speed; WAYS],
    current: usize,
    next_try: Instant,
    /// The level tried last.
    last_level: usize,
    /// Whether the last try was stored.
    stored_tried: bool,
}

impl Chooser {
    fn new() -> Chooser {
        Chooser {
            speed: [Speed::default(); WAYS],
            current: STORED,
            next_try: Instant::now(),
            last_level: LEVELS.len(),
            stored_tried: false,
        }
    }

    /// How to send the next block: stored and the cheapest level are each
    /// tried at once, the others when a try is due.
    fn choose(&mut self) -> usize {
        for way in [1, STORED] {
            if self.speed[way].value().is_none() {
                return way;
            }
        }
        if Instant::now() >= self.next_try {
            // Stored (the cheapest to try) every other try, the levels in turn.
            if self.current != STORED && !self.stored_tried {
                self.stored_tried = true;
                return STORED;
            }
            let levels = (1..=LEVELS.len()).map(|k| 1 + (self.last_level + k - 1) % LEVELS.len());
            if let Some(way) = levels.into_iter().find(|&w| self.worth_trying(w)) {
                self.last_level = way;
                self.stored_tried = false;
                return way;
            }
        }
        let now = self.speed[self.current].value().unwrap_or(0.0);
        let best = (0..WAYS)
            .filter_map(|w| Some((w, self.speed[w].value()?)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((way, speed)) = best
            && speed > now * SWITCH_GAIN
        {
            self.current = way;
        }
        self.current
    }

    /// Whether to try `way` now: not the current one, and a level only when
    /// the level below it beat stored blocks (when deflating cheaply is
    /// slower than the wire, deflating harder is slower still).
    fn worth_trying(&self, way: usize) -> bool {
        let beats_stored = |w: usize| {
            let (level, stored) = (self.speed[w].value(), self.speed[STORED].value());
            level.zip(stored).is_some_and(|(l, s)| l > s)
        };
        way != self.current && (way <= 1 || beats_stored(way - 1))
    }

    /// A block of `len` bytes went `way` in `took` (deflating and writing).
    fn sent(&mut self, way: usize, len: usize, took: Duration) {
        self.speed[way].add(len, took);
        if way != self.current {
            // A try: the next waits until this one's cost is a small share.
            self.next_try = Instant::now() + took * TRY_SHARE;
        }
    }
}

/// A writer that sends everything written to it as one raw deflate stream
/// into `inner`, each block stored or deflated as `Chooser` decides.
pub struct WireDeflater<W: Write> {
    inner: W,
    block: Vec<u8>,
    out: Vec<u8>,
    deflaters: [Option<BlockDeflater>; LEVELS.len()],
    /// The deflater whose window holds the stream's latest data, if any.
    window: Option<usize>,
    chooser: Chooser,
    written: u64,
    deflated: u64,
}

impl<W: Write> WireDeflater<W> {
    /// Send into `inner`.
    pub fn new(inner: W) -> WireDeflater<W> {
        WireDeflater {
            inner,
            block: Vec::with_capacity(BLOCK_BYTES),
            out: Vec::with_capacity(BLOCK_BYTES),
            deflaters: [None, None, None],
            window: None,
            chooser: Chooser::new(),
            written: 0,
            deflated: 0,
        }
    }

    /// Send one block.
    fn send(&mut self, data: &[u8]) -> io::Result<()> {
        let started = Instant::now();
        let way = self.chooser.choose();
        self.out.clear();
        let deflated = match way.checked_sub(1) {
            Some(i) => {
                let level = LEVELS[i];
                let deflater = self.deflaters[i].get_or_insert_with(|| BlockDeflater::new(level));
                if self.window != Some(i) {
                    deflater.reset();
                }
                deflater.deflate_next(data, &mut self.out)?;
                self.window = Some(i);
                self.out.len() + data.len() / MIN_SAVING_DIVISOR <= data.len()
            }
            None => {
                self.window = None;
                false
            }
        };
        if deflated {
            self.deflated += data.len() as u64;
            self.inner.write_all(&self.out)?;
            self.written += self.out.len() as u64;
        } else {
            // The decoder sees the same bytes, so a deflater's window
            // stays true when its block goes stored instead.
            for piece in data.chunks(STORED_MAX_BYTES) {
                self.out.clear();
                store_header(piece.len(), &mut self.out);
                self.inner.write_all(&self.out)?;
                self.inner.write_all(piece)?;
                self.written += (self.out.len() + piece.len()) as u64;
            }
        }
        self.chooser.sent(way, data.len(), started.elapsed());
        // Memory: keep the deflaters of the current way and of the window
        // (each holds some 300 KB); one only tried goes.
        let current = self.chooser.current;
        for (i, deflater) in self.deflaters.iter_mut().enumerate() {
            if i + 1 != current && Some(i) != self.window {
                *deflater = None;
            }
        }
        Ok(())
    }

    /// End the stream; gives back the inner writer, the bytes written to
    /// it, and how many input bytes went deflated (the rest went stored).
    pub fn finish(mut self) -> io::Result<(W, u64, u64)> {
        if !self.block.is_empty() {
            let block = std::mem::take(&mut self.block);
            self.send(&block)?;
        }
        self.inner.write_all(&STREAM_END)?;
        self.written += STREAM_END.len() as u64;
        Ok((self.inner, self.written, self.deflated))
    }
}

impl<W: Write> Write for WireDeflater<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.block.is_empty() && buf.len() >= BLOCK_BYTES {
            // Whole blocks go straight from the caller's buffer.
            self.send(&buf[..BLOCK_BYTES])?;
            return Ok(BLOCK_BYTES);
        }
        let n = buf.len().min(BLOCK_BYTES - self.block.len());
        self.block.extend_from_slice(&buf[..n]);
        if self.block.len() == BLOCK_BYTES {
            let block = std::mem::take(&mut self.block);
            let sent = self.send(&block);
            self.block = block;
            self.block.clear();
            sent?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::super::Inflater;
    use super::*;
    use std::io::Read;

    fn text(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| b"the quick brown fox jumps over the lazy dog\n"[i % 44])
            .collect()
    }

    fn noise(len: usize) -> Vec<u8> {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    /// Send `data` in pieces of `piece` bytes; (stream, deflated bytes).
    fn send(data: &[u8], piece: usize) -> (Vec<u8>, u64) {
        let mut w = WireDeflater::new(Vec::new());
        for part in data.chunks(piece.max(1)) {
            w.write_all(part).unwrap();
        }
        let (out, written, deflated) = w.finish().unwrap();
        assert_eq!(written, out.len() as u64);
        (out, deflated)
    }

    fn inflate(stream: &[u8], len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        Inflater::new(stream, len as u64)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn any_mix_of_ways_round_trips() {
        let mut data = text(300_000);
        data.extend(noise(400_000));
        data.extend(text(BLOCK_BYTES * 3 + 5));
        for piece in [1000, BLOCK_BYTES, 256 * 1024] {
            let (stream, _) = send(&data, piece);
            assert!(inflate(&stream, data.len()) == data, "pieces of {piece}");
        }
        for len in [0, 1, 2049] {
            let (stream, _) = send(&text(len), 1000);
            assert_eq!(inflate(&stream, len), text(len));
        }
    }

    #[test]
    fn noise_goes_stored_and_text_deflated() {
        let data = noise(2 << 20);
        let (stream, deflated) = send(&data, 256 * 1024);
        assert_eq!(deflated, 0);
        // Stored blocks cost 5 bytes in 65,535.
        assert!(stream.len() < data.len() + data.len() / 8000 + 64);
        // Text shrinks in the first block, which always tries a level.
        let (stream, deflated) = send(&text(100_000), 100_000);
        assert_eq!(deflated, 100_000);
        assert!(stream.len() < 10_000);
    }

    #[test]
    fn the_fastest_way_is_taken_and_the_others_tried_now_and_then() {
        let later = || Instant::now() + Duration::from_secs(3600);
        let mut c = Chooser::new();
        // Level 1 and stored are tried first.
        assert_eq!(c.choose(), 1);
        c.sent(1, 100, Duration::from_nanos(1000));
        assert_eq!(c.choose(), STORED);
        c.sent(STORED, 100, Duration::from_nanos(4000));
        c.next_try = later();
        // Level 1 moved 100 MB/s, stored 25: level 1.
        assert_eq!(c.choose(), 1);
        for _ in 0..10 {
            c.sent(1, 100, Duration::from_nanos(1000));
        }
        // A try of level 6 at 200 MB/s wins; a faster one within 5% does not.
        c.sent(3, 100, Duration::from_nanos(500));
        c.next_try = later();
        assert_eq!(c.choose(), 3);
        c.sent(2, 100, Duration::from_nanos(490));
        c.next_try = later();
        assert_eq!(c.choose(), 3);
        // When a try is due, it is another way than the current one, and
        // the next waits 100 times as long as it took.
        c.next_try = Instant::now();
        let tried = c.choose();
        assert_ne!(tried, 3);
        c.sent(tried, 100, Duration::from_nanos(1000000));
        assert!(c.next_try > Instant::now() + Duration::from_millis(90));
        assert_eq!(c.choose(), 3);
    }

    #[test]
    fn harder_levels_are_tried_only_when_an_easier_one_beat_stored() {
        let mut c = Chooser::new();
        c.sent(1, 100, Duration::from_nanos(1000));
        c.sent(STORED, 100, Duration::from_nanos(100));
        // Level 1 (100 MB/s) lost to stored (1 GB/s): only level 1 is tried.
        for _ in 0..5 {
            c.next_try = Instant::now();
            assert_eq!(c.choose(), 1);
            c.sent(1, 100, Duration::from_nanos(1000));
        }
        // One slow stored block (a stall) does not make level 1 win...
        for _ in 0..100_000 {
            c.sent(STORED, 100, Duration::from_nanos(100));
        }
        c.sent(STORED, 100, Duration::from_millis(1));
        c.next_try = Instant::now();
        assert_eq!(c.choose(), 1);
        c.sent(1, 100, Duration::from_nanos(1000));
        // ...but a slow wire does, and then level 3 is tried too.
        for _ in 0..2000 {
            c.sent(STORED, 100, Duration::from_micros(100));
        }
        c.next_try = Instant::now();
        let mut tried = Vec::new();
        for _ in 0..3 {
            c.next_try = Instant::now();
            let way = c.choose();
            tried.push(way);
            c.sent(way, 100, Duration::from_nanos(10000));
        }
        assert!(tried.contains(&2), "{tried:?}");
    }
}
