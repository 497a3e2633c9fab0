//! A logged-in client: its connection and the settings every command and
//! every job reads. State only; what runs on it is above it.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::conn::Conn;
use crate::fs::Dir;

/// A logged-in client.
pub struct Client {
    /// The connection.
    pub conn: Conn,
    /// `-q`: no summaries.
    pub quiet: bool,
    /// Keep modification times and permission bits (off: `--no-keep`).
    pub keep: bool,
    /// The local directory downloads went into last, open, so that many
    /// files into one directory open it once. Forgotten when a run of jobs
    /// ends: a later `lcd` changes what a relative path names.
    last_dir: Option<(PathBuf, Arc<Dir>)>,
}

impl Client {
    /// A client on a logged-in connection.
    pub fn new(conn: Conn, quiet: bool) -> Client {
        Client {
            conn,
            quiet,
            keep: true,
            last_dir: None,
        }
    }

    /// The local directory `path`, open (the one opened last when it is the
    /// same path).
    pub fn local_dir(&mut self, path: &Path) -> io::Result<Arc<Dir>> {
        if let Some((last, dir)) = &self.last_dir
            && last == path
        {
            return Ok(Arc::clone(dir));
        }
        let dir = Arc::new(Dir::open_local(path)?);
        self.last_dir = Some((path.to_path_buf(), Arc::clone(&dir)));
        Ok(dir)
    }

    /// Forget the open local directory (a run of jobs ended).
    pub fn forget_local_dir(&mut self) {
        self.last_dir = None;
    }
}
