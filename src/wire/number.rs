//! The one parser of numbers read from a peer (command arguments, replies,
//! trailers, listing lines, escapes): ASCII digits of the radix and nothing
//! else. Rust's `from_str` would also take a leading `+`, so `DONE +3 …` and
//! `RETR x +0` would pass; here a sign, a space, an empty word or an overlong
//! run of digits is refused. Pure functions over bytes.

/// Most decimal digits in a number (`u64::MAX` has 20).
pub const MAX_DECIMAL_DIGITS: usize = 20;
/// Most octal digits in a number (a `u32` file mode has at most 11).
pub const MAX_OCTAL_DIGITS: usize = 11;

/// Digits of `radix` only, at most `max_digits` of them, that fit in a u64.
fn digits(word: &[u8], radix: u32, max_digits: usize) -> Option<u64> {
    if word.is_empty() || word.len() > max_digits {
        return None;
    }
    word.iter().try_fold(0u64, |n, &b| {
        let d = char::from(b).to_digit(radix)?;
        n.checked_mul(u64::from(radix))?.checked_add(u64::from(d))
    })
}

/// A decimal number: `0`-`9` only, 1 to `MAX_DECIMAL_DIGITS` of them.
pub fn decimal(word: &[u8]) -> Option<u64> {
    digits(word, 10, MAX_DECIMAL_DIGITS)
}

/// A decimal number with an optional leading `-` (a time before 1970).
pub fn signed(word: &[u8]) -> Option<i64> {
    match word.strip_prefix(b"-") {
        Some(rest) => decimal(rest)
            .and_then(|n| i64::try_from(n).ok())
            .map(|n| -n),
        None => decimal(word).and_then(|n| i64::try_from(n).ok()),
    }
}

/// An octal number (a file mode): `0`-`7` only, 1 to `MAX_OCTAL_DIGITS`.
pub fn octal(word: &[u8]) -> Option<u32> {
    digits(word, 8, MAX_OCTAL_DIGITS).and_then(|n| u32::try_from(n).ok())
}

/// Exactly `len` hexadecimal digits, either case (a CRC-32 is 8, `\xNN` 2).
pub fn hex_exact(word: &[u8], len: usize) -> Option<u64> {
    if word.len() != len {
        return None;
    }
    digits(word, 16, len)
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes of lowercase or uppercase hex; `None` if it is not hex.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    let value = |d: u8| (d as char).to_digit(16);
    digits
        .chunks(2)
        .map(|p| Some((value(p[0])? * 16 + value(p[1])?) as u8))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_takes_digits_only() {
        assert_eq!(decimal(b"0"), Some(0));
        assert_eq!(decimal(b"007"), Some(7));
        assert_eq!(decimal(b"18446744073709551615"), Some(u64::MAX));
        for bad in [
            &b""[..],
            b"+3",
            b"-3",
            b" 3",
            b"3 ",
            b"3\n",
            b"0x10",
            b"1_000",
            b"\xd9\xa3", // ARABIC-INDIC DIGIT THREE
            b"18446744073709551616",
            b"000000000000000000001",
        ] {
            assert_eq!(decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn signed_takes_one_minus() {
        assert_eq!(signed(b"-5"), Some(-5));
        assert_eq!(signed(b"5"), Some(5));
        assert_eq!(signed(b"9223372036854775807"), Some(i64::MAX));
        for bad in [
            &b"+5"[..],
            b"--5",
            b"-",
            b"",
            b"9223372036854775808",
            b"- 5",
        ] {
            assert_eq!(signed(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn octal_and_hex_take_their_digits_only() {
        assert_eq!(octal(b"644"), Some(0o644));
        assert_eq!(octal(b"+644"), None);
        assert_eq!(octal(b"8"), None);
        assert_eq!(octal(b"777777777777"), None);
        assert_eq!(hex_exact(b"deadBEEF", 8), Some(0xdead_beef));
        assert_eq!(hex_exact(b"e9", 2), Some(0xe9));
        for bad in [
            &b"+eadbeef"[..],
            b"-eadbeef",
            b"deadbee",
            b"deadbeef0",
            b" eadbeef",
        ] {
            assert_eq!(hex_exact(bad, 8), None, "{bad:?}");
        }
        assert_eq!(hex_exact(b"+f", 2), None);
    }
}
