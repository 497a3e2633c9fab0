//! The line editor of the `rftp>` prompt, used only when standard input and
//! standard error are terminals: editing keys, history (`history`), Ctrl-R
//! search, Tab completion (`complete`), drawn on standard error in one
//! terminal row that scrolls sideways. The terminal is in key-at-a-time
//! mode only while a line is being read, and a guard puts it back however
//! the read ends (a return, an error, a panic); Ctrl-C, Ctrl-Z and Ctrl-\
//! arrive as keys then, so no signal can leave it that way from the
//! keyboard. Piped input never comes here.

mod complete;
mod history;
mod keys;
mod remote;

use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::os::fd::AsFd;

use super::width;
use crate::client::term::KeysMode;
pub use complete::Remote;
use keys::{Decoded, Key};

/// How long to wait for the rest of an escape sequence, in tenths of a
/// second (after that a lone Escape is a key of its own).
const ESCAPE_WAIT_TENTHS: u8 = 1;
/// Longest line the editor takes, in bytes.
const MAX_LINE_BYTES: usize = 16 * 1024;
/// Most candidates a second Tab lists.
const MAX_LISTED: usize = 500;
/// The terminal width assumed when the terminal does not say.
const DEFAULT_COLUMNS: usize = 80;

/// What reading a line gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Input {
    /// A line (without its newline), UTF-8.
    Line(Vec<u8>),
    /// Ctrl-C: the line was thrown away.
    Interrupted,
    /// Ctrl-D on an empty line, or the terminal hung up.
    Eof,
}

/// The editor: history, remote listings for completion, the last text
/// deleted, and keys typed ahead of the prompt.
pub struct Editor {
    input: File,
    history: history::History,
    cache: complete::Cache,
    killed: String,
    pending: Vec<u8>,
}

/// The state of the line being edited. Positions are byte offsets at
/// character boundaries.
#[derive(Default)]
struct Line {
    text: String,
    /// The cursor.
    pos: usize,
    /// The first character shown (the row scrolls sideways).
    scroll: usize,
    /// Which history line is shown (`history.len()`: the new one).
    recalled: usize,
    /// The new line, kept while history lines are shown.
    saved: String,
    /// The last key was Tab.
    tabbed: bool,
    /// A Ctrl-R search in progress.
    search: Option<Search>,
}

/// An incremental history search (Ctrl-R).
struct Search {
    query: String,
    /// The history line that matches, if one does.
    found: Option<usize>,
    /// The line as it was before the search, for Ctrl-G.
    before: (String, usize),
}

impl Editor {
    /// An editor for the prompt when standard input and standard error are
    /// both terminals, with the history file of `history::default_path`.
    pub fn open() -> Option<Editor> {
        if !io::stdin().is_terminal() || !io::stderr().is_terminal() {
            return None;
        }
        let input = File::from(io::stdin().as_fd().try_clone_to_owned().ok()?);
        Some(Editor {
            input,
            history: history::History::load(history::default_path()),
            cache: complete::Cache::default(),
            killed: String::new(),
            pending: Vec::new(),
        })
    }

    /// Take `keys` as typed before whatever the terminal sends next (keys
    /// typed ahead while a command ran).
    pub fn type_ahead(&mut self, keys: &[u8]) {
        self.pending.splice(0..0, keys.iter().copied());
    }

    /// Show `prompt` and read one line; Tab asks `remote` for listings.
    pub fn read(&mut self, prompt: &str, remote: &mut dyn Remote) -> io::Result<Input> {
        let mut guard = Some(KeysMode::enter(&self.input)?);
        let mut line = Line {
            recalled: self.history.lines().len(),
            ..Line::default()
        };
        draw(prompt, &mut line);
        loop {
            let Some(key) = self.next_key()? else {
                crate::out::err_text("\n");
                return Ok(Input::Eof);
            };
            let step = match self.search_key(&mut line, key) {
                Some(step) => step,
                None => self.edit(&mut line, key, remote),
            };
            match step {
                Step::Redraw => {}
                Step::Done(input) => {
                    drop(guard.take());
                    if let Input::Line(text) = &input {
                        let text = String::from_utf8_lossy(text);
                        self.history.add(text.trim_end());
                        self.cache.after(text.as_bytes());
                    }
                    return Ok(input);
                }
                Step::Suspend => {
                    drop(guard.take());
                    crate::out::err_text("\n");
                    crate::sys::suspend();
                    guard = Some(KeysMode::enter(&self.input)?);
                }
            }
            draw(prompt, &mut line);
        }
    }

    /// The next key, reading the terminal when none is waiting; `None` when
    /// the terminal hung up.
    fn next_key(&mut self) -> io::Result<Option<Key>> {
        loop {
            if !self.pending.is_empty() {
                let (key, used) = match keys::decode(&self.pending) {
                    Decoded::Key(key, used) => (key, used),
                    Decoded::Partial => {
                        if self.read_more(Some(ESCAPE_WAIT_TENTHS))? > 0 {
                            continue;
                        }
                        keys::flush(&self.pending)
                    }
                };
                self.pending.drain(..used.min(self.pending.len()));
                return Ok(Some(key));
            }
            if self.read_more(None)? == 0 {
                return Ok(None);
            }
        }
    }

    /// Read what the terminal has (waiting `tenths` at most, or for ever).
    fn read_more(&mut self, tenths: Option<u8>) -> io::Result<usize> {
        let mut buf = [0u8; 256];
        if tenths.is_some() {
            crate::sys::key_timeout(self.input.as_fd(), tenths)?;
        }
        let read = loop {
            match self.input.read(&mut buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        if tenths.is_some() {
            crate::sys::key_timeout(self.input.as_fd(), None)?;
        }
        let n = read?;
        self.pending.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    /// A key during a Ctrl-R search; `None` when the search ended and the
    /// key is to be taken as an editing key.
    fn search_key(&mut self, line: &mut Line, key: Key) -> Option<Step> {
        let search = line.search.as_mut()?;
        let lines = self.history.lines();
        let from = match key {
            Key::Char(c) => {
                search.query.push(c);
                search.found.unwrap_or(lines.len())
            }
            Key::Backspace => {
                search.query.pop();
                lines.len()
            }
            Key::Search => search.found.unwrap_or(lines.len()).saturating_sub(1),
            Key::Cancel => {
                let (text, pos) = std::mem::take(&mut search.before);
                line.search = None;
                line.text = text;
                line.pos = pos;
                return Some(Step::Redraw);
            }
            _ => {
                line.search = None;
                line.pos = line.text.len();
                return None;
            }
        };
        let found = find(lines, &search.query, from);
        if let Some(i) = found {
            search.found = Some(i);
            line.pos = lines[i].find(&search.query).unwrap_or(0);
            line.text.clone_from(&lines[i]);
        } else if search.query.is_empty() {
            search.found = None;
        }
        Some(Step::Redraw)
    }

    /// Act on one editing key.
    fn edit(&mut self, line: &mut Line, key: Key, remote: &mut dyn Remote) -> Step {
        let tabbed = std::mem::replace(&mut line.tabbed, key == Key::Tab);
        match key {
            Key::Char(c) => {
                if line.text.len() < MAX_LINE_BYTES {
                    line.text.insert(line.pos, c);
                    line.pos += c.len_utf8();
                }
            }
            Key::Enter => {
                crate::out::err_text("\n");
                return Step::Done(Input::Line(std::mem::take(&mut line.text).into_bytes()));
            }
            Key::Interrupt => {
                crate::out::err_text("^C\n");
                return Step::Done(Input::Interrupted);
            }
            Key::EndOfInput if line.text.is_empty() => {
                crate::out::err_text("\n");
                return Step::Done(Input::Eof);
            }
            Key::Suspend => return Step::Suspend,
            Key::Tab => self.complete(line, remote, tabbed),
            Key::Up => self.recall(line, -1),
            Key::Down => self.recall(line, 1),
            Key::Search => {
                line.search = Some(Search {
                    query: String::new(),
                    found: None,
                    before: (line.text.clone(), line.pos),
                });
            }
            Key::ClearScreen => crate::out::err_text("\x1b[H\x1b[2J"),
            Key::Yank => {
                line.text.insert_str(line.pos, &self.killed);
                line.pos += self.killed.len();
            }
            key => self.move_or_delete(line, key),
        }
        Step::Redraw
    }

    /// The keys that move the cursor or delete text.
    fn move_or_delete(&mut self, line: &mut Line, key: Key) {
        let (text, pos) = (line.text.as_str(), line.pos);
        match key {
            Key::Left => line.pos = prev_char(text, pos),
            Key::Right => line.pos = next_char(text, pos),
            Key::Home => line.pos = 0,
            Key::End => line.pos = text.len(),
            Key::WordLeft => line.pos = word_start(text, pos, is_word),
            Key::WordRight => line.pos = word_end(text, pos),
            Key::Backspace => {
                let from = prev_char(text, pos);
                line.text.replace_range(from..pos, "");
                line.pos = from;
            }
            Key::Delete | Key::EndOfInput => {
                let to = next_char(text, pos);
                line.text.replace_range(pos..to, "");
            }
            Key::KillEnd => self.kill(line, pos, text.len()),
            Key::KillStart => self.kill(line, 0, pos),
            // Ctrl-W: back to a blank, as readline's unix-word-rubout.
            Key::KillWordLeft => self.kill(line, word_start(text, pos, |c| c != ' '), pos),
            Key::KillWordRight => self.kill(line, pos, word_end(text, pos)),
            _ => {}
        }
    }

    /// Cut `from..to` into the kill buffer (for Ctrl-Y).
    fn kill(&mut self, line: &mut Line, from: usize, to: usize) {
        if from < to {
            self.killed = line.text[from..to].to_string();
            line.text.replace_range(from..to, "");
            line.pos = from;
        }
    }

    /// Show the history line `step` away from the one shown (-1 older).
    fn recall(&mut self, line: &mut Line, step: isize) {
        let lines = self.history.lines();
        let Some(to) = line.recalled.checked_add_signed(step) else {
            return;
        };
        if to > lines.len() {
            return;
        }
        if line.recalled == lines.len() {
            line.saved.clone_from(&line.text);
        }
        line.recalled = to;
        line.text.clone_from(lines.get(to).unwrap_or(&line.saved));
        line.pos = line.text.len();
    }

    /// Tab: complete the word before the cursor, or when that says nothing
    /// new and the key before was Tab too, list the candidates.
    fn complete(&mut self, line: &mut Line, remote: &mut dyn Remote, tabbed: bool) {
        let done = complete::complete(&line.text[..line.pos], remote, &mut self.cache);
        if let Some(text) = done.replacement() {
            line.text.replace_range(done.start..line.pos, &text);
            line.pos = done.start + text.len();
            return;
        }
        if !tabbed || done.candidates.len() < 2 {
            crate::out::err_text("\x07");
            return;
        }
        let shown = &done.candidates[..done.candidates.len().min(MAX_LISTED)];
        let mut text = String::from("\n");
        text.push_str(&complete::columns(shown, columns()));
        if done.candidates.len() > MAX_LISTED {
            let more = done.candidates.len() - MAX_LISTED;
            text.push_str(&format!("({more} more)\n"));
        }
        crate::out::err_text(&text);
    }
}

/// What the editor does after a key.
enum Step {
    /// Draw the line again and read on.
    Redraw,
    /// The read is over.
    Done(Input),
    /// Ctrl-Z: stop until continued.
    Suspend,
}

/// The newest history line at or before `from` that holds `query`.
fn find(lines: &[String], query: &str, from: usize) -> Option<usize> {
    let end = (from + 1).min(lines.len());
    lines[..end].iter().rposition(|l| l.contains(query))
}

/// The cursor one character left of `pos`, over combining marks.
fn prev_char(text: &str, pos: usize) -> usize {
    let mut at = pos;
    for (i, c) in text[..pos].char_indices().rev() {
        at = i;
        if width::of(c) > 0 {
            break;
        }
    }
    at
}

/// The cursor one character right of `pos`, over combining marks.
fn next_char(text: &str, pos: usize) -> usize {
    let mut chars = text[pos..].char_indices();
    chars.next();
    for (i, c) in chars {
        if width::of(c) > 0 {
            return pos + i;
        }
    }
    text.len()
}

/// The start of the word before `pos`: back over what is not `word`, then
/// over what is.
fn word_start(text: &str, pos: usize, word: fn(char) -> bool) -> usize {
    let before = text[..pos].trim_end_matches(|c| !word(c));
    before.trim_end_matches(word).len()
}

/// The end of the word after `pos` (Alt-f, Alt-d).
fn word_end(text: &str, pos: usize) -> usize {
    let after = text[pos..].trim_start_matches(|c| !is_word(c));
    let rest = after.trim_start_matches(is_word);
    text.len() - rest.len()
}

/// Letters and digits, with their combining marks, make words.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || width::of(c) == 0
}

/// The width of standard error's terminal.
fn columns() -> usize {
    crate::sys::columns(io::stderr().as_fd()).unwrap_or(DEFAULT_COLUMNS)
}

/// Draw the prompt and the line in the terminal's current row.
fn draw(prompt: &str, line: &mut Line) {
    let text = render(prompt, line, columns());
    crate::out::err_text(&text);
}

/// What draws the prompt and the line in one row of `cols` columns,
/// scrolled so that the cursor shows, and puts the cursor in its place.
fn render(prompt: &str, line: &mut Line, cols: usize) -> String {
    let search_prompt;
    let prompt = match &line.search {
        Some(s) => {
            let failed = if s.found.is_none() && !s.query.is_empty() {
                "failed "
            } else {
                ""
            };
            search_prompt = format!("({failed}reverse-i-search)`{}': ", s.query);
            search_prompt.as_str()
        }
        None => prompt,
    };
    let room = cols
        .saturating_sub(width::of_str(prompt.chars()) + 1)
        .max(1);
    let text = line.text.as_str();
    // The text may have been replaced (history, search) since the last draw.
    if line.pos < line.scroll || !text.is_char_boundary(line.scroll) {
        line.scroll = line.pos;
    }
    while width::of_str(text[line.scroll..line.pos].chars()) > room {
        line.scroll = next_char(text, line.scroll);
    }
    // Scroll back when the line shrank and more of its start fits.
    while line.scroll > 0 && width::of_str(text[prev_char(text, line.scroll)..].chars()) <= room {
        line.scroll = prev_char(text, line.scroll);
    }
    let mut out = format!("\r{prompt}");
    let mut used = 0;
    for c in text[line.scroll..].chars() {
        let w = width::of(c);
        if used + w > room {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push_str("\x1b[K\r");
    let col = width::of_str(prompt.chars()) + width::of_str(text[line.scroll..line.pos].chars());
    if col > 0 {
        out.push_str(&format!("\x1b[{col}C"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_over_words_and_combining_marks() {
        let text = "get e\u{301}t\u{e9}.txt  日本";
        let alnum: fn(char) -> bool = char::is_alphanumeric;
        assert_eq!(
            word_start(text, text.len(), alnum),
            text.len() - "日本".len()
        );
        assert_eq!(word_start("get a b", 7, |c| c != ' '), 6);
        assert_eq!(word_end(text, 0), 3);
        assert_eq!(word_end(text, 3), 4 + "e\u{301}t\u{e9}".len());
        // Left from after "é" (e + combining acute) lands before the e.
        let after = 4 + "e\u{301}".len();
        assert_eq!(prev_char(text, after), 4);
        assert_eq!(next_char(text, 4), after);
        assert_eq!(next_char(text, text.len()), text.len());
        assert_eq!(prev_char(text, 0), 0);
    }

    #[test]
    fn drawing_survives_a_text_replaced_under_the_scroll() {
        let mut line = Line {
            text: "日本日本日本".into(),
            pos: 18,
            scroll: 7,
            ..Line::default()
        };
        assert_eq!(
            render("> ", &mut line, 80),
            "\r> 日本日本日本\x1b[K\r\x1b[14C"
        );
        assert_eq!(line.scroll, 0);
        line.text = "a".repeat(300);
        line.pos = 300;
        let shown = render("> ", &mut line, 80);
        assert_eq!(line.scroll, 300 - 77);
        assert!(shown.ends_with(&format!("{}\x1b[K\r\x1b[79C", "a".repeat(77))));
        line.text = "ab".into();
        line.pos = 1;
        assert_eq!(render("> ", &mut line, 80), "\r> ab\x1b[K\r\x1b[3C");
        assert_eq!(line.scroll, 0);
    }

    #[test]
    fn search_finds_the_newest_match_first() {
        let lines: Vec<String> = ["get a", "ls", "get b"].map(String::from).to_vec();
        assert_eq!(find(&lines, "get", 3), Some(2));
        assert_eq!(find(&lines, "get", 1), Some(0));
        assert_eq!(find(&lines, "zzz", 3), None);
    }
}
