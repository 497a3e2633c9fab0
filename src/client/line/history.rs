//! The prompt's history: the lines typed at `rftp>`, kept across sessions in
//! `$XDG_STATE_HOME/rftp/history` (else `~/.local/state/rftp/history`), one
//! command a line, mode 0600 in a 0700 directory, the newest
//! `MAX_HISTORY_LINES` kept. Like bash's `ignoreboth`: a line that starts
//! with a space, or repeats the one before it, is not kept. Only lines typed
//! at the prompt come here, never a password. A history file that cannot be
//! read or written is said once and the session goes on without it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Most lines kept, in memory and in the file.
pub const MAX_HISTORY_LINES: usize = 1000;
/// Longest line kept, in bytes; longer ones are not stored.
const MAX_HISTORY_LINE_BYTES: usize = 4096;
/// Most bytes read from the history file.
const MAX_HISTORY_FILE_BYTES: u64 = (MAX_HISTORY_LINES * 2 * MAX_HISTORY_LINE_BYTES) as u64;

/// The lines typed at the prompt, oldest first.
pub struct History {
    lines: Vec<String>,
    file: Option<PathBuf>,
    /// The file has failed once already (said, then left alone).
    failed: bool,
}

/// Where the history lives: `$XDG_STATE_HOME/rftp/history` when that is an
/// absolute path, else `$HOME/.local/state/rftp/history`; `None` without
/// either.
pub fn default_path() -> Option<PathBuf> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            let home = PathBuf::from(std::env::var_os("HOME")?);
            home.is_absolute().then(|| home.join(".local/state"))
        })?;
    Some(state.join("rftp").join("history"))
}

/// Whether `line` goes into a history whose newest line is `last`.
fn worth_keeping(last: Option<&str>, line: &str) -> bool {
    !line.trim().is_empty()
        && !line.starts_with(' ')
        && line.len() <= MAX_HISTORY_LINE_BYTES
        && !line.chars().any(char::is_control)
        && last != Some(line)
}

impl History {
    /// The history kept in `file` (none: this session only), read now;
    /// the file is cut back to the newest `MAX_HISTORY_LINES` lines (so it
    /// holds at most those and one session's more).
    pub fn load(file: Option<PathBuf>) -> History {
        let mut h = History {
            lines: Vec::new(),
            file,
            failed: false,
        };
        if let Some(path) = h.file.clone() {
            match read_lines(&path) {
                Ok(lines) => {
                    if lines.len() > MAX_HISTORY_LINES {
                        let keep = &lines[lines.len() - MAX_HISTORY_LINES..];
                        if let Err(e) = rewrite(&path, keep) {
                            h.say(&e);
                        }
                    }
                    h.lines = lines;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => h.say(&e),
            }
        }
        h.trim();
        h
    }

    /// The lines, oldest first.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// Keep `line` (unless it starts with a space or repeats the last one),
    /// appending it to the file at once.
    pub fn add(&mut self, line: &str) {
        if !worth_keeping(self.lines.last().map(String::as_str), line) {
            return;
        }
        self.lines.push(line.to_string());
        self.trim();
        if let (Some(path), false) = (self.file.clone(), self.failed)
            && let Err(e) = append(&path, line)
        {
            self.say(&e);
        }
    }

    fn trim(&mut self) {
        if self.lines.len() > MAX_HISTORY_LINES {
            self.lines.drain(..self.lines.len() - MAX_HISTORY_LINES);
        }
    }

    fn say(&mut self, e: &io::Error) {
        if !self.failed {
            self.failed = true;
            let path = self.file.as_deref().unwrap_or(Path::new(""));
            crate::out::err_line(&format!(
                "rftp: cannot keep the history in '{}': {}",
                crate::wire::escape(path.as_os_str().as_encoded_bytes()),
                crate::error::Cause::of(e)
            ));
        }
    }
}

/// The lines of the file at `path` that are worth keeping.
fn read_lines(path: &Path) -> io::Result<Vec<String>> {
    let mut bytes = Vec::new();
    File::open(path)?
        .take(MAX_HISTORY_FILE_BYTES)
        .read_to_end(&mut bytes)?;
    let mut lines: Vec<String> = Vec::new();
    for raw in bytes.split(|&b| b == b'\n') {
        if let Ok(line) = std::str::from_utf8(raw)
            && worth_keeping(lines.last().map(String::as_str), line)
        {
            lines.push(line.to_string());
        }
    }
    Ok(lines)
}

/// Make the directory that holds the history (mode 0700).
fn make_dir(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(dir) => fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir),
        None => Ok(()),
    }
}

/// Append one line to the history file, creating it with mode 0600; an
/// existing file open to others is made 0600.
fn append(path: &Path, line: &str) -> io::Result<()> {
    make_dir(path)?;
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)?;
    if f.metadata()?.permissions().mode() & 0o077 != 0 {
        f.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(format!("{line}\n").as_bytes())
}

/// Replace the history file with `lines`, through a new 0600 file renamed
/// over it.
fn rewrite(path: &Path, lines: &[String]) -> io::Result<()> {
    make_dir(path)?;
    let mut temp = path.as_os_str().to_owned();
    temp.push(format!(".{}", std::process::id()));
    let temp = PathBuf::from(temp);
    let written = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)?;
        let mut text = lines.join("\n");
        text.push('\n');
        f.write_all(text.as_bytes())?;
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rftp-history-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn ignores_like_bash_ignoreboth() {
        let mut h = History::load(None);
        for line in ["ls", "ls", " secret", "pwd", "", "ls"] {
            h.add(line);
        }
        assert_eq!(h.lines(), ["ls", "pwd", "ls"]);
    }

    #[test]
    fn kept_across_sessions_capped_and_private() {
        let dir = temp_dir("keep");
        let path = dir.join("rftp").join("history");
        let mut h = History::load(Some(path.clone()));
        for i in 0..MAX_HISTORY_LINES + 5 {
            h.add(&format!("get f{i}"));
        }
        assert_eq!(h.lines().len(), MAX_HISTORY_LINES);
        drop(h);
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        let h = History::load(Some(path.clone()));
        assert_eq!(h.lines().len(), MAX_HISTORY_LINES);
        assert_eq!(h.lines().last().map(String::as_str), Some("get f1004"));
        assert_eq!(h.lines()[0], "get f5");
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), MAX_HISTORY_LINES);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn default_path_follows_xdg() {
        // Read only: the environment is the test process's own.
        if let Some(p) = default_path() {
            assert!(p.ends_with("rftp/history"), "{p:?}");
            assert!(p.is_absolute());
        }
    }
}
