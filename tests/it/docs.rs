//! The man page keeps up with the code: every flag of `rftp --help`, every
//! client command of the table in `src/client/commands.rs`, and every wire
//! command and reply code of `src/wire/mod.rs` appear in the man pages, each
//! in its section and with the mdoc macro that marks it.

use std::process::Command;

use crate::util::bin;

const MAN: &str = include_str!("../../man/rftp.1");
/// The protocol's own page, rftp-protocol(5).
const PROTOCOL_MAN: &str = include_str!("../../man/rftp-protocol.5");
const CLIENT_COMMANDS: &str = include_str!("../../src/client/commands.rs");
const WIRE: &str = include_str!("../../src/wire/mod.rs");

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

/// The string literals that open the calls `name(` inside the table that
/// starts at `table` (up to its closing `];`), whatever the line breaks.
fn table_names(source: &'static str, table: &str, name: &str) -> Vec<&'static str> {
    let start = source
        .find(table)
        .unwrap_or_else(|| panic!("source has no {table}"));
    let body = &source[start + table.len()..];
    let body = &body[..body.find("\n];").expect("the table ends with `];`")];
    let call = format!("{name}(");
    let mut names = Vec::new();
    for (i, _) in body.match_indices(&call) {
        let fresh = !body[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let args = body[i + call.len()..].trim_start();
        if let (true, Some(quoted)) = (fresh, args.strip_prefix('"')) {
            let end = quoted.find('"').expect("a string literal ends");
            names.push(&quoted[..end]);
        }
    }
    names
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

#[test]
fn every_client_command_is_in_interactive_commands() {
    let names = table_names(
        CLIENT_COMMANDS,
        "pub const COMMANDS: &[ClientCommand] = &[",
        "c",
    );
    assert!(names.len() >= 15, "too few client commands: {names:?}");
    let section = section("INTERACTIVE COMMANDS");
    let missing: Vec<&str> = names
        .into_iter()
        .filter(|n| !has_word(section, &format!(".It Ic {n}")))
        .collect();
    assert!(
        missing.is_empty(),
        "client commands missing from INTERACTIVE COMMANDS (as `.It Ic name`): {missing:?}"
    );
}

#[test]
fn every_wire_command_is_in_protocol() {
    let names = table_names(WIRE, "pub const COMMANDS: &[CommandSpec] = &[", "cmd");
    assert!(names.len() >= 15, "too few wire commands: {names:?}");
    let section = PROTOCOL_MAN;
    let missing: Vec<&str> = names
        .into_iter()
        .filter(|n| !has_word(section, &format!(".It Cm {n}")))
        .collect();
    assert!(
        missing.is_empty(),
        "wire commands missing from man/rftp-protocol.5 (as `.It Cm NAME`): {missing:?}"
    );
}

#[test]
fn every_reply_code_is_in_protocol() {
    let start = WIRE
        .find("pub mod code {")
        .expect("src/wire/mod.rs has `pub mod code`");
    let body = &WIRE[start..];
    let body = &body[..body.find("\n}").expect("`pub mod code` ends")];
    let codes: Vec<&str> = body
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter_map(|l| {
            l.split_once('=')
                .map(|(_, v)| v.trim().trim_end_matches(';'))
        })
        .collect();
    assert!(codes.len() >= 20, "too few reply codes: {codes:?}");
    let section = PROTOCOL_MAN;
    let missing: Vec<&str> = codes
        .into_iter()
        .filter(|c| !has_word(section, &format!(".It {c}")))
        .collect();
    assert!(
        missing.is_empty(),
        "reply codes missing from man/rftp-protocol.5 (as `.It CODE`): {missing:?}"
    );
}
