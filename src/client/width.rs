//! How many terminal columns a character takes: 0 for combining marks and
//! other zero-width characters, 2 for East Asian wide and fullwidth
//! characters and emoji, 1 for the rest. A small table of our own (the main
//! blocks, not every code point of Unicode's tables): enough that CJK names
//! and accented letters edit with the cursor where the terminal shows it,
//! and line up in `ls`'s columns and the progress line. Pure functions; no
//! terminal here.

/// Ranges (inclusive) of characters that take no column: combining marks,
/// zero-width spaces and joiners, variation selectors.
const ZERO: &[(u32, u32)] = &[
    (0x0300, 0x036F),
    (0x0483, 0x0489),
    (0x0591, 0x05BD),
    (0x0610, 0x061A),
    (0x064B, 0x065F),
    (0x0E31, 0x0E31),
    (0x0E34, 0x0E3A),
    (0x0E47, 0x0E4E),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x2064),
    (0x20D0, 0x20FF),
    (0x302A, 0x302D),
    (0x3099, 0x309A),
    (0xFE00, 0xFE0F),
    (0xFE20, 0xFE2F),
    (0xFEFF, 0xFEFF),
    (0x1F3FB, 0x1F3FF),
    (0xE0000, 0xE0FFF),
];

/// Ranges (inclusive) of characters that take two columns: East Asian wide
/// and fullwidth blocks, and the emoji blocks.
const WIDE: &[(u32, u32)] = &[
    (0x1100, 0x115F),
    (0x231A, 0x231B),
    (0x2329, 0x232A),
    (0x23E9, 0x23EC),
    (0x23F0, 0x23F0),
    (0x23F3, 0x23F3),
    (0x25FD, 0x25FE),
    (0x2614, 0x2615),
    (0x2648, 0x2653),
    (0x26A1, 0x26A1),
    (0x26AA, 0x26AB),
    (0x26BD, 0x26BE),
    (0x26C4, 0x26C5),
    (0x26D4, 0x26D4),
    (0x26EA, 0x26EA),
    (0x26F2, 0x26F5),
    (0x26FA, 0x26FD),
    (0x2705, 0x2705),
    (0x270A, 0x270B),
    (0x2728, 0x2728),
    (0x274C, 0x274C),
    (0x2753, 0x2755),
    (0x2757, 0x2757),
    (0x2795, 0x2797),
    (0x27B0, 0x27B0),
    (0x27BF, 0x27BF),
    (0x2B1B, 0x2B1C),
    (0x2B50, 0x2B50),
    (0x2B55, 0x2B55),
    (0x2E80, 0x303E),
    (0x3041, 0x3247),
    (0x3250, 0x4DBF),
    (0x4E00, 0xA4CF),
    (0xA960, 0xA97F),
    (0xAC00, 0xD7A3),
    (0xF900, 0xFAFF),
    (0xFE10, 0xFE19),
    (0xFE30, 0xFE6F),
    (0xFF00, 0xFF60),
    (0xFFE0, 0xFFE6),
    (0x16FE0, 0x18CFF),
    (0x1B000, 0x1B2FF),
    (0x1F004, 0x1F004),
    (0x1F0CF, 0x1F0CF),
    (0x1F18E, 0x1F18E),
    (0x1F191, 0x1F19A),
    (0x1F200, 0x1F251),
    (0x1F300, 0x1F64F),
    (0x1F680, 0x1F6FF),
    (0x1F7E0, 0x1F7EB),
    (0x1F90C, 0x1F9FF),
    (0x1FA70, 0x1FAFF),
    (0x20000, 0x2FFFD),
    (0x30000, 0x3FFFD),
];

fn within(table: &[(u32, u32)], c: u32) -> bool {
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// The columns `c` takes on a terminal: 0, 1 or 2. Control characters are
/// never drawn raw by the editor, so they count as 1 here.
pub fn of(c: char) -> usize {
    let c = u32::from(c);
    if c < 0x300 {
        return 1;
    }
    if within(ZERO, c) {
        0
    } else if within(WIDE, c) {
        2
    } else {
        1
    }
}

/// The columns a run of characters takes.
pub fn of_str(chars: impl IntoIterator<Item = char>) -> usize {
    chars.into_iter().map(of).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_apart() {
        for table in [ZERO, WIDE] {
            for pair in table.windows(2) {
                assert!(pair[0].1 < pair[1].0, "{:x?}", pair);
            }
            assert!(table.iter().all(|&(lo, hi)| lo <= hi));
        }
    }

    #[test]
    fn widths() {
        assert_eq!(of('a'), 1);
        assert_eq!(of('é'), 1);
        assert_eq!(of('\u{301}'), 0);
        assert_eq!(of('日'), 2);
        assert_eq!(of('한'), 2);
        assert_eq!(of('Ａ'), 2);
        assert_eq!(of('😀'), 2);
        assert_eq!(of('\u{200D}'), 0);
        assert_eq!(of_str("日本.txt".chars()), 8);
        assert_eq!(of_str("e\u{301}t\u{e9}".chars()), 3);
    }
}
