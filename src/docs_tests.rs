//! Unit test: the manual and the README keep up with the code. The real
//! tables are read here, never their source text: every client command of
//! `client::commands::COMMANDS` (and its aliases) has its item in
//! INTERACTIVE COMMANDS of `man/rftp.1`, which names every option its help
//! line shows; every wire command of `wire::COMMANDS` and every reply code
//! of `wire::code` is in the protocol's documentation (`man/rftp-protocol.5`,
//! or a PROTOCOL section of `man/rftp.1` should one come back); and README.md
//! names only commands and options that exist.

use crate::client::commands::{ALIASES, COMMANDS};
use crate::wire;

const MAN: &str = include_str!("../man/rftp.1");
const README: &str = include_str!("../README.md");
/// The protocol's own page, rftp-protocol(5).
const PROTOCOL_PAGE: &str = include_str!("../man/rftp-protocol.5");

/// The text of the man page section `.Sh NAME`, up to the next `.Sh`.
fn section<'a>(page: &'a str, name: &str) -> Option<&'a str> {
    let head = format!(".Sh {name}\n");
    let start = page.find(&head)? + head.len();
    let rest = &page[start..];
    let end = rest.find("\n.Sh ").map_or(rest.len(), |i| i + 1);
    Some(&rest[..end])
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

/// The protocol's documentation: the protocol page, and `rftp.1`'s
/// PROTOCOL section if it has one.
fn protocol_text() -> String {
    let mut text = PROTOCOL_PAGE.to_string();
    text.push_str(section(MAN, "PROTOCOL").unwrap_or_default());
    text
}

/// Whether some `.It` line of `text` holds `word` as a whole word (`.It 226`,
/// `.It Li 226 Ta …`, `.It Cm RETR Ar path`).
fn in_item_line(text: &str, word: &str) -> bool {
    text.lines()
        .filter(|l| l.starts_with(".It "))
        .any(|l| has_word(l, word))
}

/// The items of INTERACTIVE COMMANDS: each `.It Ic NAME` line and the text
/// up to the next one.
fn command_items() -> Vec<(&'static str, &'static str)> {
    let commands =
        section(MAN, "INTERACTIVE COMMANDS").expect("man/rftp.1 has INTERACTIVE COMMANDS");
    let mut items = Vec::new();
    let mut rest = commands;
    while let Some(start) = rest.find(".It Ic ") {
        let item = &rest[start..];
        let end = item[1..].find("\n.It Ic ").map_or(item.len(), |i| i + 2);
        let name = item[".It Ic ".len()..]
            .split_whitespace()
            .next()
            .unwrap_or("");
        items.push((name, &item[..end]));
        rest = &item[end..];
    }
    items
}

/// Whether `item` names the option `flag`: `Fl x`, or `x` in a group
/// such as `Fl cfruz`; `C` is `Fl -checksum`, and `-2` … `-8` are written
/// `Fl 1 No ... Fl 9`.
fn names_option(item: &str, flag: char) -> bool {
    if ('2'..='8').contains(&flag) {
        return item.contains("Fl 1 No ... Fl 9");
    }
    let words: Vec<&str> = item.split_whitespace().collect();
    words.windows(2).any(|w| match (w[0], flag) {
        ("Fl", 'C') => w[1] == "-checksum",
        ("Fl", f) => w[1].chars().all(|c| c.is_ascii_alphanumeric()) && w[1].contains(f),
        _ => false,
    })
}

#[test]
fn every_client_command_has_its_item() {
    assert!(COMMANDS.len() >= 15, "too few client commands");
    let items = command_items();
    let documented = |name: &str| items.iter().any(|(n, _)| *n == name);
    let aliases = ALIASES.iter().map(|(alias, _)| *alias);
    let missing: Vec<&str> = COMMANDS
        .iter()
        .map(|c| c.name)
        .chain(aliases.filter(|a| a.chars().all(|c| c.is_ascii_alphabetic())))
        .filter(|n| !documented(n))
        .collect();
    assert!(
        missing.is_empty(),
        "client commands missing from INTERACTIVE COMMANDS (as `.It Ic name`): {missing:?}"
    );
}

#[test]
fn every_option_in_the_help_text_is_in_its_item() {
    let items = command_items();
    let mut missing = Vec::new();
    for c in COMMANDS {
        let Some((_, item)) = items.iter().find(|(n, _)| *n == c.name) else {
            continue;
        };
        for flag in c.options.chars().filter(|&f| f != '=') {
            if !names_option(item, flag) {
                missing.push(format!("{} -{flag}", c.name));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "options of the help text missing from their command's item in man/rftp.1 \
         (as `Fl x`, in a group like `Fl cfu`, or `Fl -checksum` for C): {missing:?}"
    );
}

#[test]
fn every_wire_command_is_documented() {
    let text = protocol_text();
    assert!(wire::COMMANDS.len() >= 15, "too few wire commands");
    let missing: Vec<&str> = wire::COMMANDS
        .iter()
        .map(|c| c.name)
        .filter(|n| !in_item_line(&text, &format!("Cm {n}")))
        .collect();
    assert!(
        missing.is_empty(),
        "wire commands missing from the protocol's documentation (as `.It Cm NAME`): {missing:?}"
    );
}

#[test]
fn every_reply_code_is_documented() {
    let text = protocol_text();
    assert!(wire::code::ALL.len() >= 20, "too few reply codes");
    let missing: Vec<u16> = wire::code::ALL
        .iter()
        .copied()
        .filter(|c| !in_item_line(&text, &c.to_string()))
        .collect();
    assert!(
        missing.is_empty(),
        "reply codes missing from the protocol's list of codes (as `.It CODE`): {missing:?}"
    );
    let missing: Vec<u16> = wire::code::LOGIN
        .iter()
        .copied()
        .filter(|c| !has_word(&text, &c.to_string()))
        .collect();
    assert!(
        missing.is_empty(),
        "login reply codes missing from the protocol's documentation: {missing:?}"
    );
}

#[test]
fn the_readme_names_only_real_commands_and_options() {
    let find = |name: &str| {
        let name = ALIASES
            .iter()
            .find(|(a, _)| *a == name)
            .map_or(name, |(_, c)| c);
        COMMANDS.iter().find(|c| c.name == name)
    };
    // The list of commands in the introduction.
    let intro = README
        .split_once("`help` lists the commands:")
        .and_then(|(_, rest)| rest.split_once("and the rest"))
        .map(|(list, _)| list)
        .expect("README.md lists the commands after \"`help` lists the commands:\"");
    let listed: Vec<&str> = intro.split('`').skip(1).step_by(2).collect();
    assert!(listed.len() >= 10, "too few commands listed: {listed:?}");
    let unknown: Vec<&&str> = listed.iter().filter(|n| find(n).is_none()).collect();
    assert!(
        unknown.is_empty(),
        "README.md lists commands that do not exist: {unknown:?}"
    );
    // Every code span that starts with a command uses only its options.
    let mut wrong = Vec::new();
    for span in README.split('`').skip(1).step_by(2) {
        let mut words = span.split_whitespace();
        let Some(command) = words.next().and_then(find) else {
            continue;
        };
        for w in words.filter(|w| w.starts_with('-') && w.len() > 1) {
            let known = if w == "--checksum" {
                command.options.contains('C')
            } else {
                w[1..]
                    .chars()
                    .all(|f| f != '=' && command.options.contains(f))
            };
            if !known {
                wrong.push(span);
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "README.md shows commands with options they do not take: {wrong:?}"
    );
}
