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
mod width;

use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::os::fd::AsFd;

use crate::client::term::KeysMode;
pub use complete::Remote;
use keys::{Decoded, Key};

/// How long to wait for the rest of an escape sequence, in tenths of a
/// second (after that a lone Escape is a key of its own).
const ESCAPE_WAIT_TENTHS: u8 = 1;
/// Longest line the editor takes, in characters.
const MAX_LINE_CHARS: usize = 16 * 1024;
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
    killed: Vec<char>,
    pending: Vec<u8>,
}

/// The state of the line being edited.
#[derive(Default)]
struct Line {
    chars: Vec<char>,
    /// The cursor, a character index.
    pos: usize,
    /// The first character shown (the row scrolls sideways).
    scroll: usize,
    /// Which history line is shown (`history.len()`: the new one).
    recalled: usize,
    /// The new line, kept while history lines are shown.
    saved: Vec<char>,
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
    before: (Vec<char>, usize),
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
            killed: Vec::new(),
            pending: Vec::new(),
        })
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
                let (chars, pos) = std::mem::take(&mut search.before);
                line.search = None;
                set_line(line, chars);
                line.pos = pos;
                return Some(Step::Redraw);
            }
            _ => {
                line.search = None;
                line.pos = line.chars.len();
                return None;
            }
        };
        let found = find(lines, &search.query, from);
        if let Some(i) = found {
            search.found = Some(i);
            let chars: Vec<char> = lines[i].chars().collect();
            let at = lines[i].find(&search.query).unwrap_or(0);
            line.pos = lines[i][..at].chars().count();
            line.chars = chars;
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
                if line.chars.len() < MAX_LINE_CHARS {
                    line.chars.insert(line.pos, c);
                    line.pos += 1;
                }
            }
            Key::Enter => {
                line.pos = line.chars.len();
                let text: String = line.chars.iter().collect();
                crate::out::err_text("\n");
                return Step::Done(Input::Line(text.into_bytes()));
            }
            Key::Interrupt => {
                crate::out::err_text("^C\n");
                return Step::Done(Input::Interrupted);
            }
            Key::EndOfInput if line.chars.is_empty() => {
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
                    before: (line.chars.clone(), line.pos),
                });
            }
            Key::ClearScreen => crate::out::err_text("\x1b[H\x1b[2J"),
            Key::Yank => {
                let n = self.killed.len();
                line.chars
                    .splice(line.pos..line.pos, self.killed.iter().copied());
                line.pos += n;
            }
            key => self.move_or_delete(line, key),
        }
        Step::Redraw
    }

    /// The keys that move the cursor or delete text.
    fn move_or_delete(&mut self, line: &mut Line, key: Key) {
        let (pos, len) = (line.pos, line.chars.len());
        match key {
            Key::Left => line.pos = prev_char(&line.chars, pos),
            Key::Right => line.pos = next_char(&line.chars, pos),
            Key::Home => line.pos = 0,
            Key::End => line.pos = len,
            Key::WordLeft => line.pos = word_start(&line.chars, pos),
            Key::WordRight => line.pos = word_end(&line.chars, pos),
            Key::Backspace => {
                let from = prev_char(&line.chars, pos);
                line.chars.drain(from..pos);
                line.pos = from;
            }
            Key::Delete | Key::EndOfInput => {
                let to = next_char(&line.chars, pos);
                line.chars.drain(pos..to);
            }
            Key::KillEnd => self.kill(line, pos, len),
            Key::KillStart => self.kill(line, 0, pos),
            Key::KillWordLeft => {
                let mut from = pos;
                while from > 0 && line.chars[from - 1] == ' ' {
                    from -= 1;
                }
                while from > 0 && line.chars[from - 1] != ' ' {
                    from -= 1;
                }
                self.kill(line, from, pos);
            }
            Key::KillWordRight => {
                let to = word_end(&line.chars, pos);
                self.kill(line, pos, to);
            }
            Key::Transpose if pos > 0 && len > 1 => {
                let at = if pos == len { pos - 1 } else { pos };
                line.chars.swap(at - 1, at);
                line.pos = (at + 1).min(len);
            }
            _ => {}
        }
    }

    /// Cut `from..to` into the kill buffer (for Ctrl-Y).
    fn kill(&mut self, line: &mut Line, from: usize, to: usize) {
        if from < to {
            self.killed = line.chars.drain(from..to).collect();
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
            line.saved = line.chars.clone();
        }
        line.recalled = to;
        let chars = match lines.get(to) {
            Some(text) => text.chars().collect(),
            None => line.saved.clone(),
        };
        set_line(line, chars);
    }

    /// Tab: complete the word before the cursor, or when that says nothing
    /// new and the key before was Tab too, list the candidates.
    fn complete(&mut self, line: &mut Line, remote: &mut dyn Remote, tabbed: bool) {
        let done = complete::complete(&line.chars[..line.pos], remote, &mut self.cache);
        if let Some(text) = done.replacement() {
            let new: Vec<char> = text.chars().collect();
            let n = new.len();
            line.chars.splice(done.start..line.pos, new);
            line.pos = done.start + n;
            return;
        }
        if !tabbed || done.candidates.len() < 2 {
            crate::out::err_text("\x07");
            return;
        }
        let shown: Vec<String> = done
            .candidates
            .iter()
            .take(MAX_LISTED)
            .map(|c| c.shown.clone())
            .collect();
        let mut text = String::from("\n");
        text.push_str(&complete::columns(&shown, columns()));
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

/// Replace the line's text, the cursor at its end.
fn set_line(line: &mut Line, chars: Vec<char>) {
    line.pos = chars.len();
    line.chars = chars;
}

/// The newest history line at or before `from` that holds `query`.
fn find(lines: &[String], query: &str, from: usize) -> Option<usize> {
    let end = (from + 1).min(lines.len());
    lines[..end].iter().rposition(|l| l.contains(query))
}

/// The cursor one character left of `pos`, over combining marks.
fn prev_char(chars: &[char], mut pos: usize) -> usize {
    while pos > 0 {
        pos -= 1;
        if width::of(chars[pos]) > 0 {
            break;
        }
    }
    pos
}

/// The cursor one character right of `pos`, over combining marks.
fn next_char(chars: &[char], mut pos: usize) -> usize {
    if pos < chars.len() {
        pos += 1;
    }
    while pos < chars.len() && width::of(chars[pos]) == 0 {
        pos += 1;
    }
    pos
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric()
}

/// The start of the word before `pos` (Alt-b).
fn word_start(chars: &[char], mut pos: usize) -> usize {
    while pos > 0 && !is_word(chars[pos - 1]) {
        pos -= 1;
    }
    while pos > 0 && is_word(chars[pos - 1]) {
        pos -= 1;
    }
    pos
}

/// The end of the word after `pos` (Alt-f).
fn word_end(chars: &[char], mut pos: usize) -> usize {
    while pos < chars.len() && !is_word(chars[pos]) {
        pos += 1;
    }
    while pos < chars.len() && is_word(chars[pos]) {
        pos += 1;
    }
    pos
}

/// The width of standard error's terminal.
fn columns() -> usize {
    crate::sys::columns(io::stderr().as_fd()).unwrap_or(DEFAULT_COLUMNS)
}

/// Draw the prompt and the line in the terminal's current row, scrolled so
/// that the cursor shows, and put the cursor in its place.
fn draw(prompt: &str, line: &mut Line) {
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
    let room = columns()
        .saturating_sub(width::of_str(prompt.chars()) + 1)
        .max(1);
    if line.pos < line.scroll {
        line.scroll = line.pos;
    }
    let chars = &line.chars;
    while width::of_str(chars[line.scroll..line.pos].iter().copied()) > room {
        line.scroll += 1;
    }
    // Scroll back when the line shrank and more of its start fits.
    while line.scroll > 0 && width::of_str(chars[line.scroll - 1..].iter().copied()) <= room {
        line.scroll -= 1;
    }
    let mut out = format!("\r{prompt}");
    let mut used = 0;
    for &c in &chars[line.scroll..] {
        let w = width::of(c);
        if used + w > room {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push_str("\x1b[K\r");
    let col =
        width::of_str(prompt.chars()) + width::of_str(chars[line.scroll..line.pos].iter().copied());
    if col > 0 {
        out.push_str(&format!("\x1b[{col}C"));
    }
    crate::out::err_text(&out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_over_words_and_combining_marks() {
        let chars: Vec<char> = "get e\u{301}t\u{e9}.txt  日本".chars().collect();
        assert_eq!(word_start(&chars, chars.len()), chars.len() - 2);
        assert_eq!(word_end(&chars, 0), 3);
        // Left from after "é" (e + combining acute) lands before the e.
        assert_eq!(prev_char(&chars, 6), 4);
        assert_eq!(next_char(&chars, 4), 6);
    }

    #[test]
    fn search_finds_the_newest_match_first() {
        let lines: Vec<String> = ["get a", "ls", "get b"].map(String::from).to_vec();
        assert_eq!(find(&lines, "get", 3), Some(2));
        assert_eq!(find(&lines, "get", 1), Some(0));
        assert_eq!(find(&lines, "zzz", 3), None);
    }
}
