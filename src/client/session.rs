//! A logged-in client: its connection and the settings every command and
//! every job reads, with what it needs to log in again (the server and the
//! password given at start, held in memory only) and the flag Ctrl-C sets.
//! State only; what runs on it is above it.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::conn::Conn;
use super::land::{Failed, Lander, Landing};
use super::link::Account;
use crate::error::Error;
use crate::fs::Dir;

/// A logged-in client.
pub struct Client {
    /// The connection.
    pub conn: Conn,
    /// `-q`: no summaries.
    pub quiet: bool,
    /// Keep modification times and permission bits (off: `--no-keep`).
    pub keep: bool,
    /// Where and as whom the connection was made, to make it again.
    pub account: Option<Account>,
    /// Commands come from a person at a terminal: Ctrl-C stops a command,
    /// not the client, and a lost connection is made again.
    pub interactive: bool,
    /// Standard input carries the commands, so it cannot carry a file.
    pub commands_on_stdin: bool,
    /// Set by Ctrl-C while a command runs (`interrupt::Watch`).
    pub interrupt: Arc<AtomicBool>,
    /// Keys typed at the terminal while a command ran, for the prompt.
    pub typed_ahead: Vec<u8>,
    /// The local directory downloads went into last, open, so that many
    /// files into one directory open it once. Forgotten when a run of jobs
    /// ends: a later `lcd` changes what a relative path names.
    last_dir: Option<(PathBuf, Arc<Dir>)>,
    /// Small downloads being published behind the connection, while a run
    /// of jobs goes.
    lander: Option<Lander>,
}

impl Client {
    /// A client on a logged-in connection.
    pub fn new(mut conn: Conn, quiet: bool) -> Client {
        conn.start_session();
        let interrupt = Arc::new(AtomicBool::new(false));
        conn.set_interrupt(Arc::clone(&interrupt));
        Client {
            conn,
            quiet,
            keep: true,
            account: None,
            interactive: false,
            commands_on_stdin: false,
            interrupt,
            typed_ahead: Vec::new(),
            last_dir: None,
            lander: None,
        }
    }

    /// Whether Ctrl-C stopped the command that runs.
    pub fn interrupted(&self) -> bool {
        self.interrupt.load(Ordering::SeqCst)
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

    /// A run of jobs starts: small downloads may be published behind.
    pub fn start_landing(&mut self) {
        self.lander = Some(Lander::default());
    }

    /// Whether small downloads are published behind (in a run of jobs).
    pub fn lands_behind(&self) -> bool {
        self.lander.is_some()
    }

    /// Publish a checked download: behind in a run of jobs, else now.
    pub fn land(&mut self, landing: Landing) -> Result<(), Error> {
        match &mut self.lander {
            Some(lander) => lander.land(landing),
            None => landing.publish(),
        }
    }

    /// Wait until the small downloads handed over are published, so that a
    /// file published now comes after them.
    pub fn settle_landing(&mut self) -> Result<(), Error> {
        self.lander.as_mut().map_or(Ok(()), Lander::settle)
    }

    /// The run of jobs ended: wait for its small downloads to be published;
    /// the ones that failed.
    pub fn finish_landing(&mut self) -> Result<Failed, Error> {
        self.lander.take().map_or(Ok(Failed::new()), Lander::finish)
    }
}
