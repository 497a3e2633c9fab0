//! What a transfer carries of a file beside its bytes: the modification time
//! (seconds and nanoseconds) and the permission bits, as the two words
//! `SECS[.NNNNNNNNN] MODE` that RETR's final reply and STOR's trailer end
//! with. Words only; applying them to a file is `fs`'s job.

use super::number;

/// Digits of the nanosecond fraction of a time on the wire.
const NSEC_DIGITS: usize = 9;
/// Permission bits a stamp may carry: `rwx` for user, group and other —
/// never setuid, setgid or sticky.
pub const STAMP_MODE_BITS: u32 = 0o777;

/// A file's modification time and permission bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Seconds since 1970 UTC.
    pub mtime: i64,
    /// Nanoseconds within `mtime` (0 when the sender has none).
    pub nsec: u32,
    /// Permission bits, within `STAMP_MODE_BITS`.
    pub mode: u32,
}

impl Stamp {
    /// A stamp from a file's time and mode (bits beyond `rwx` dropped).
    pub fn new(mtime: i64, nsec: u32, mode: u32) -> Stamp {
        Stamp {
            mtime,
            nsec: nsec.min(999_999_999),
            mode: mode & STAMP_MODE_BITS,
        }
    }

    /// The two words, `SECS[.NNNNNNNNN] MODE` (mode in octal).
    pub fn to_words(self) -> String {
        format!("{} {:o}", time_word(self.mtime, self.nsec), self.mode)
    }

    /// Parse the two words; `None` if either is malformed.
    pub fn parse<'a>(words: &mut impl Iterator<Item = &'a str>) -> Option<Stamp> {
        let (mtime, nsec) = parse_time(words.next()?)?;
        let mode = number::octal(words.next()?.as_bytes())?;
        (mode <= STAMP_MODE_BITS).then_some(Stamp { mtime, nsec, mode })
    }
}

/// A time as `SECS` or, with nanoseconds, `SECS.NNNNNNNNN`.
pub fn time_word(secs: i64, nsec: u32) -> String {
    if nsec == 0 {
        secs.to_string()
    } else {
        format!("{secs}.{nsec:09}")
    }
}

/// Parse `SECS` or `SECS.NNNNNNNNN` (exactly nine digits after the dot).
pub fn parse_time(word: &str) -> Option<(i64, u32)> {
    let (secs, frac) = match word.split_once('.') {
        Some((s, f)) => (s, Some(f)),
        None => (word, None),
    };
    let secs = number::signed(secs.as_bytes())?;
    let nsec = match frac {
        None => 0,
        Some(f) if f.len() == NSEC_DIGITS => u32::try_from(number::decimal(f.as_bytes())?).ok()?,
        Some(_) => return None,
    };
    Some((secs, nsec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip_and_refuse_odd_words() {
        for s in [
            Stamp::new(0, 0, 0o644),
            Stamp::new(1_700_000_000, 5, 0o7755),
        ] {
            let words = s.to_words();
            assert_eq!(Stamp::parse(&mut words.split(' ')), Some(s), "{words}");
        }
        assert_eq!(Stamp::new(1, 2, 0o4755).mode, 0o755);
        assert_eq!(parse_time("-5"), Some((-5, 0)));
        assert_eq!(parse_time("12.000000007"), Some((12, 7)));
        for bad in ["1.5", "1.", ".5", "x", "1.0000000001", "1.+00000001"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert_eq!(Stamp::parse(&mut "1 4755".split(' ')), None);
        assert_eq!(Stamp::parse(&mut "1".split(' ')), None);
    }
}
