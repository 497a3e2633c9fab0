//! The session's two socket halves with their deadlines: reads bounded by
//! the idle timeout (and, while set, an absolute login deadline), writes by
//! a progress rule that trickled bytes cannot stretch. Sockets only; no
//! protocol here.
//!
//! The write rule: once a write is not taken whole (the client is not
//! keeping up), the client must take at least `MIN_PROGRESS_BYTES` in every
//! idle timeout, or the next write that cannot go out at once fails with
//! `TimedOut` and the connection ends. Each `MIN_PROGRESS_BYTES` taken starts
//! a new window; the stall ends only when the session has sent everything
//! and waits for the client's next command (`rest`). The socket's own write
//! timeout, restarted by every partial write, would let a reader of a byte
//! now and then, or the kernel growing its buffers bit by bit, hold the
//! thread for several idle timeouts.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Least bytes a stalled client must take per idle timeout, so that reading
/// a byte now and then does not count as being alive. Larger than what the
/// kernel takes into its growing socket buffers after a stall begins
/// (a few hundred KiB on loopback); 1 MiB per 300 s, the default, is
/// 3.4 KiB a second.
pub const MIN_PROGRESS_BYTES: u64 = 1024 * 1024;
/// Shortest wait for a write once the window has passed: a write the kernel
/// takes at once still goes out; one that would block fails.
const LAST_CHANCE_WAIT: Duration = Duration::from_millis(1);

/// A socket reader that enforces the idle timeout on every read and, while
/// set, an absolute deadline that no amount of trickled bytes extends.
pub struct TimedReader {
    stream: TcpStream,
    idle: Duration,
    /// The login deadline, while logging in.
    pub deadline: Option<Instant>,
}

impl TimedReader {
    /// Read from `stream`, waiting at most `idle` for each read.
    pub fn new(stream: TcpStream, idle: Duration, deadline: Option<Instant>) -> TimedReader {
        TimedReader {
            stream,
            idle,
            deadline,
        }
    }
}

impl Read for TimedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut wait = self.idle;
        if let Some(deadline) = self.deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::ErrorKind::TimedOut.into());
            }
            wait = wait.min(left);
        }
        self.stream.set_read_timeout(Some(wait))?;
        self.stream.read(buf)
    }
}

/// Forward progress of a stalled writer: when the current window began and
/// the bytes taken in it.
#[derive(Debug, Default)]
struct Stall {
    since: Option<Instant>,
    bytes: u64,
}

impl Stall {
    /// Time a write that starts at `now` may wait (a fresh window when not
    /// stalled); zero once the window passed without progress.
    fn left(&self, now: Instant, idle: Duration) -> Duration {
        let since = self.since.unwrap_or(now);
        (since + idle).saturating_duration_since(now)
    }

    /// A write that started at `start` took `n` of `wanted` bytes, at `now`.
    fn took(&mut self, start: Instant, n: usize, wanted: usize, now: Instant) {
        if n < wanted {
            self.since.get_or_insert(start);
        }
        if self.since.is_none() {
            return;
        }
        self.bytes += n as u64;
        if self.bytes >= MIN_PROGRESS_BYTES {
            self.since = Some(now);
            self.bytes = 0;
        }
    }
}

/// A socket writer that gives up (`TimedOut`) when a stalled client takes
/// less than `MIN_PROGRESS_BYTES` in an idle timeout.
pub struct TimedWriter {
    stream: TcpStream,
    idle: Duration,
    stall: Stall,
}

impl TimedWriter {
    /// Write to `stream` under the progress rule, with `idle` as the window.
    pub fn new(stream: TcpStream, idle: Duration) -> TimedWriter {
        TimedWriter {
            stream,
            idle,
            stall: Stall::default(),
        }
    }

    /// Everything was sent and the server now waits on the client: a stall
    /// is over.
    pub fn rest(&mut self) {
        self.stall = Stall::default();
    }
}

impl Write for TimedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let start = Instant::now();
        let left = self.stall.left(start, self.idle);
        self.stream
            .set_write_timeout(Some(left.max(LAST_CHANCE_WAIT)))?;
        match self.stream.write(buf) {
            Ok(n) => {
                self.stall.took(start, n, buf.len(), Instant::now());
                Ok(n)
            }
            // Nothing taken for the rest of the window: no progress.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                self.stall.took(start, 0, buf.len(), Instant::now());
                Err(io::ErrorKind::TimedOut.into())
            }
            Err(e) => Err(e),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDLE: Duration = Duration::from_secs(10);

    #[test]
    fn whole_writes_never_stall() {
        let t0 = Instant::now();
        let mut s = Stall::default();
        for i in 0..100 {
            let now = t0 + Duration::from_secs(i * 60);
            assert_eq!(s.left(now, IDLE), IDLE);
            s.took(now, 7, 7, now);
        }
    }

    #[test]
    fn trickled_bytes_do_not_stretch_the_window() {
        let t0 = Instant::now();
        let mut s = Stall::default();
        s.took(t0, 100, 4096, t0);
        // Bytes now and then, even whole writes: the window still ends
        // IDLE after the stall began.
        for i in 1..10 {
            let now = t0 + Duration::from_secs(i);
            assert_eq!(s.left(now, IDLE), IDLE - Duration::from_secs(i));
            s.took(now, 1000, 1000 + (i % 2) as usize, now);
        }
        assert!(s.left(t0 + IDLE, IDLE).is_zero());
    }

    #[test]
    fn enough_bytes_open_a_new_window_and_rest_ends_the_stall() {
        let t0 = Instant::now();
        let mut s = Stall::default();
        s.took(t0, 10, 1 << 21, t0);
        let later = t0 + Duration::from_secs(8);
        s.took(later, MIN_PROGRESS_BYTES as usize, 1 << 21, later);
        assert_eq!(s.left(later, IDLE), IDLE);
        let end = later + Duration::from_secs(9);
        assert_eq!(s.left(end, IDLE), Duration::from_secs(1));
        s = Stall::default();
        assert_eq!(s.left(end + IDLE * 5, IDLE), IDLE);
    }
}
