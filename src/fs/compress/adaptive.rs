//! `get -z`'s deflate on the wire, which decides for itself, block by block,
//! how to send: stored (as it is), or deflated at one of `LEVELS`. It keeps
//! running figures of how fast the wire takes bytes and how fast and how
//! well each level deflates, and sends each block the way that moves the
//! file fastest: a level whose deflating is slower than the wire is not
//! used, and a block that deflating would not shrink by 5% goes stored.
//! The other levels are tried on a block now and then, within a small share
//! of the time. The stream is one raw deflate stream whatever the choices,
//! so the receiver needs nothing new. No sockets.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use super::{BlockDeflater, STREAM_END, store};

/// Input bytes per block: the unit of every choice.
const BLOCK_BYTES: usize = 128 * 1024;
/// The levels that may be chosen, cheapest first.
const LEVELS: [u8; 3] = [1, 3, 6];
/// A block goes deflated only when that saves at least 1/20 of it.
const MIN_SAVING_DIVISOR: usize = 20;
/// Trying another level costs at most 1/TRY_SHARE of the time.
const TRY_SHARE: u32 = 50;
/// Weight of the past in the running figures, per block.
const DECAY: f64 = 0.8;
/// How much faster another way must promise to be before it is taken.
const SWITCH_GAIN: f64 = 1.05;

/// A quotient (bytes per second, bytes per byte) from running sums that
/// forget the past a little at each addition.
#[derive(Clone, Copy, Default)]
struct Rate {
    over: f64,
    under: f64,
}

impl Rate {
    fn add(&mut self, over: usize, under: f64) {
        self.over = self.over * DECAY + over as f64;
        self.under = self.under * DECAY + under;
    }

    /// The quotient, once anything was added.
    fn value(&self) -> Option<f64> {
        (self.under > 0.0).then(|| self.over / self.under)
    }
}

/// What is known of one level: input bytes per second of deflating, and
/// output bytes per input byte.
#[derive(Clone, Copy, Default)]
struct Known {
    speed: Rate,
    ratio: Rate,
}

/// The running figures and the current choice (`None`: stored).
struct Chooser {
    wire: Rate,
    levels: [Known; LEVELS.len()],
    current: Option<usize>,
    next_try: Instant,
    last_tried: usize,
}

impl Chooser {
    fn new() -> Chooser {
        Chooser {
            wire: Rate::default(),
            levels: [Known::default(); LEVELS.len()],
            current: None,
            // The first block tries the cheapest level.
            next_try: Instant::now(),
            last_tried: LEVELS.len() - 1,
        }
    }

    /// Input bytes per second that sending this way promises: a level is
    /// held back by its own speed or by the wire, whichever is slower.
    fn promise(&self, way: Option<usize>) -> Option<f64> {
        let wire = self.wire.value()?;
        let Some(i) = way else { return Some(wire) };
        let known = &self.levels[i];
        let ratio = known.ratio.value()?;
        Some(known.speed.value()?.min(wire / ratio.max(f64::MIN_POSITIVE)))
    }

    /// How to send the next block.
    fn choose(&mut self) -> Option<usize> {
        if Instant::now() >= self.next_try {
            let others = (1..=LEVELS.len()).map(|k| (self.last_tried + k) % LEVELS.len());
            if let Some(i) = others.into_iter().find(|&i| Some(i) != self.current) {
                self.last_tried = i;
                return Some(i);
            }
        }
        let now = self.promise(self.current).unwrap_or(0.0);
        let ways = std::iter::once(None).chain((0..LEVELS.len()).map(Some));
        let best = ways
            .filter_map(|w| Some((w, self.promise(w)?)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((way, promised)) = best
            && promised > now * SWITCH_GAIN
        {
            self.current = way;
        }
        self.current
    }

    /// A block went at level `i`: `len` bytes deflated to `out` in `took`.
    fn deflated(&mut self, i: usize, len: usize, out: usize, took: Duration) {
        let known = &mut self.levels[i];
        // A moment too short for the clock still took some time.
        known.speed.add(len, took.as_secs_f64().max(1e-9));
        known.ratio.add(out, len as f64);
        if Some(i) != self.current {
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
        self.out.clear();
        let way = self.chooser.choose();
        if let Some(i) = way {
            let deflater = self.deflaters[i].get_or_insert_with(|| BlockDeflater::new(LEVELS[i]));
            if self.window != Some(i) {
                deflater.reset();
            }
            let started = Instant::now();
            deflater.deflate_next(data, &mut self.out)?;
            self.window = Some(i);
            self.chooser
                .deflated(i, data.len(), self.out.len(), started.elapsed());
        } else {
            self.window = None;
        }
        let started = Instant::now();
        let saves = self.out.len() + data.len() / MIN_SAVING_DIVISOR <= data.len();
        if way.is_some() && saves {
            self.inner.write_all(&self.out)?;
            self.written += self.out.len() as u64;
            self.deflated += data.len() as u64;
        } else {
            // The decoder sees the same bytes, so a deflater's window
            // stays true when its block goes stored instead.
            self.out.clear();
            store(data, &mut self.out);
            self.inner.write_all(&self.out)?;
            self.written += self.out.len() as u64;
        }
        self.chooser
            .wire
            .add(self.out.len(), started.elapsed().as_secs_f64().max(1e-9));
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
    fn a_slow_wire_gets_deflating_and_a_fast_one_stored() {
        let mut c = Chooser::new();
        c.next_try = Instant::now() + Duration::from_secs(3600);
        // Level 1 deflates 100 MB/s to 40%; level 6, 20 MB/s to 30%.
        for _ in 0..20 {
            c.levels[0].speed.add(100, 1e-6);
            c.levels[0].ratio.add(40, 100.0);
            c.levels[2].speed.add(20, 1e-6);
            c.levels[2].ratio.add(30, 100.0);
        }
        // 12.5 MB/s: level 1 moves 31 MB/s of input, level 6 20.
        for _ in 0..20 {
            c.wire.add(125, 1e-5);
        }
        assert_eq!(c.choose(), Some(0));
        // 2 MB/s: level 6 wins (6.7 MB/s against 5).
        for _ in 0..40 {
            c.wire.add(2, 1e-6);
        }
        assert_eq!(c.choose(), Some(2));
        // 1 GB/s: nothing deflates that fast.
        for _ in 0..40 {
            c.wire.add(1000, 1e-6);
        }
        assert_eq!(c.choose(), None);
    }
}
