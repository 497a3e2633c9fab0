//! Bandwidth limits (`--limit RATE`): a token bucket that paces the bytes of
//! payloads, and `Read`/`Write` wrappers that pass them through it in small
//! pieces, so the rate is smooth (bursts of `BURST_TIME`, never seconds).
//! No sockets here: it wraps whatever reader or writer it is given.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

/// The longest burst the bucket allows, as time at the full rate.
const BURST_TIME: Duration = Duration::from_millis(20);
/// Smallest piece a limited read or write is cut into, in bytes.
const MIN_PIECE_BYTES: usize = 1024;
/// Largest piece a limited read or write is cut into, in bytes.
const MAX_PIECE_BYTES: usize = 64 * 1024;
/// Lowest rate accepted, in bytes per second.
pub const MIN_RATE_BYTES_PER_SEC: u64 = 1024;

/// A token bucket: `take(n)` returns once `n` more bytes fit the rate.
#[derive(Debug)]
pub struct Bucket {
    rate: f64,
    piece: usize,
    /// When the bytes taken so far are due at the full rate; never more
    /// than `BURST_TIME` in the past, which is what bounds a burst.
    due: Instant,
}

impl Bucket {
    /// A bucket for `rate` bytes per second.
    pub fn new(rate: u64) -> Bucket {
        let rate = rate.max(MIN_RATE_BYTES_PER_SEC);
        let burst = (rate as f64 * BURST_TIME.as_secs_f64()) as usize;
        Bucket {
            rate: rate as f64,
            piece: burst.clamp(MIN_PIECE_BYTES, MAX_PIECE_BYTES),
            due: Instant::now(),
        }
    }

    /// Account for `n` bytes, sleeping until they are within the rate.
    pub fn take(&mut self, n: usize) {
        let now = Instant::now();
        let earliest = now.checked_sub(BURST_TIME).unwrap_or(now);
        if self.due < earliest {
            self.due = earliest;
        }
        self.due += Duration::from_secs_f64(n as f64 / self.rate);
        if self.due > now {
            std::thread::sleep(self.due - now);
        }
    }
}

/// A reader or writer whose bytes go through a bucket (or not, without one).
pub struct Limited<'a, T> {
    inner: T,
    bucket: Option<&'a mut Bucket>,
}

impl<'a, T> Limited<'a, T> {
    /// Wrap `inner`; `None` passes everything through at full speed.
    pub fn new(inner: T, bucket: Option<&'a mut Bucket>) -> Self {
        Limited { inner, bucket }
    }
}

impl<T: Read> Read for Limited<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(bucket) = self.bucket.as_deref_mut() else {
            return self.inner.read(buf);
        };
        let want = buf.len().min(bucket.piece);
        let n = self.inner.read(&mut buf[..want])?;
        bucket.take(n);
        Ok(n)
    }
}

impl<T: Write> Write for Limited<'_, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(bucket) = self.bucket.as_deref_mut() else {
            return self.inner.write(buf);
        };
        let want = buf.len().min(bucket.piece);
        bucket.take(want);
        self.inner.write_all(&buf[..want])?;
        Ok(want)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Parse a rate: digits with an optional `K`, `M` or `G` (powers of 1024),
/// bytes per second; `None` if malformed, zero or below the minimum.
pub fn parse_rate(text: &str) -> Option<u64> {
    let (digits, scale) = match text.char_indices().last()? {
        (i, 'k' | 'K') => (&text[..i], 1u64 << 10),
        (i, 'm' | 'M') => (&text[..i], 1 << 20),
        (i, 'g' | 'G') => (&text[..i], 1 << 30),
        _ => (text, 1),
    };
    let n = crate::wire::number::decimal(digits.as_bytes())?.checked_mul(scale)?;
    (n >= MIN_RATE_BYTES_PER_SEC).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse() {
        assert_eq!(parse_rate("10M"), Some(10 << 20));
        assert_eq!(parse_rate("500k"), Some(500 << 10));
        assert_eq!(parse_rate("4096"), Some(4096));
        for bad in ["", "M", "0", "10", "-1K", "1.5M", "10X"] {
            assert_eq!(parse_rate(bad), None, "{bad}");
        }
    }

    #[test]
    fn bucket_paces_to_its_rate() {
        let mut b = Bucket::new(1 << 20);
        let started = Instant::now();
        for _ in 0..64 {
            b.take(4096);
        }
        let secs = started.elapsed().as_secs_f64();
        assert!((0.22..0.4).contains(&secs), "{secs}");
    }
}
