//! The man page keeps up with the binary: every flag `rftp --help` prints
//! appears in OPTIONS of `man/rftp.1`, with the mdoc macro that marks it.
//! (The command tables and reply codes are checked against the manual by a
//! unit test, `src/docs_tests.rs`, which reads the tables themselves.)

use std::process::Command;

use crate::util::bin;

const MAN: &str = include_str!("../../man/rftp.1");

/// The text of the man page section `.Sh NAME`, up to the next `.Sh`.
fn section(name: &str) -> &'static str {
    let head = format!(".Sh {name}\n");
    let start = MAN
        .find(&head)
        .unwrap_or_else(|| panic!("man/rftp.1 has no section {name}"))
        + head.len();
    let rest = &MAN[start..];
    let end = rest.find("\n.Sh ").map_or(rest.len(), |i| i + 1);
    &rest[..end]
}

/// Whether `needle` occurs in `text` as a whole word: not preceded or
/// followed by a letter, digit, `-` or `_`.
fn has_word(text: &str, needle: &str) -> bool {
    let part_of_word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices(needle).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + needle.len()..].chars().next();
        !before.is_some_and(part_of_word) && !after.is_some_and(part_of_word)
    })
}

#[test]
fn every_flag_in_help_is_in_the_man_page() {
    let out = Command::new(bin()).arg("--help").output().unwrap();
    assert!(out.status.success(), "rftp --help failed: {out:?}");
    let help = String::from_utf8(out.stdout).unwrap();
    let mut flags: Vec<&str> = help
        .split(|c: char| c.is_whitespace() || "[](),|=".contains(c))
        .filter(|w| {
            let body = w.trim_start_matches('-');
            (w.starts_with("--") && body.len() > 1 || w.len() == 2 && w.starts_with('-'))
                && body.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && body.starts_with(|c: char| c.is_ascii_alphabetic())
        })
        .collect();
    flags.sort_unstable();
    flags.dedup();
    assert!(
        flags.len() >= 20,
        "too few flags found in --help: {flags:?}"
    );
    let options = section("OPTIONS");
    let missing: Vec<&str> = flags
        .iter()
        .copied()
        .filter(|f| !has_word(options, &format!("Fl {}", &f[1..])))
        .collect();
    assert!(
        missing.is_empty(),
        "flags of --help missing from OPTIONS in man/rftp.1 (as `Fl x` / `Fl -long`): {missing:?}"
    );
}
