//! Small downloads published behind the connection. In a run of jobs, a
//! small file is read whole into memory and checked (length and CRC-32
//! against the final reply), then handed to one thread that writes it into
//! its partial file, stamps it and publishes it under its name, while the
//! connection goes on to the next file. So the file system's calls run on
//! a second core beside the network's, not between them, and the server
//! never waits for them. The file still appears whole or not at all, and
//! one that fails is that file's error, reported when the run ends. No
//! sockets.

use std::io::Write;
use std::sync::Arc;

use super::term::Progress;
use crate::behind::Behind;
use crate::error::Error;
use crate::fs::{Dir, Partial};
use crate::wire::Stamp;

/// Largest file read whole and published behind; larger ones go into their
/// partial file as they arrive.
pub const LAND_MAX_BYTES: u64 = 64 * 1024;

/// A checked download, to be published.
pub struct Landing {
    /// The destination's directory, open.
    pub dir: Arc<Dir>,
    /// The destination's name in it.
    pub name: Vec<u8>,
    /// The destination as messages show it.
    pub shown: Vec<u8>,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// The server's time and mode, when kept.
    pub stamp: Option<Stamp>,
    /// May replace a file of that name (`-f`).
    pub replace: bool,
    /// See `Partial::anonymous`.
    pub none_left: bool,
    /// The transfer's progress, finished once the file is published.
    pub progress: Progress,
}

impl Landing {
    /// Write, stamp and publish it.
    fn land(self) -> Result<(), Error> {
        let shown = &self.shown;
        let len = self.bytes.len() as u64;
        let mut partial = Partial::create(self.dir, &self.name, len, self.replace, self.none_left)
            .map_err(|e| Error::io_path(shown, &e))?;
        let written = partial
            .file()
            .write_all(&self.bytes)
            .and_then(|()| match self.stamp {
                Some(stamp) => partial.stamp(stamp),
                None => Ok(()),
            });
        if let Err(e) = written {
            partial.discard();
            return Err(Error::io_path(shown, &e));
        }
        partial
            .publish(self.replace)
            .map_err(|e| Error::publish(shown, &e))?;
        self.progress.finish(len);
        Ok(())
    }
}

/// The files that failed to land, each with its bytes.
pub type Failed = Vec<(Error, u64)>;

/// Files handed over at once.
const BATCH_FILES: usize = 16;
/// Bytes handed over at once, at most about: with one batch waiting and one
/// being published, 3 MiB at most are held.
const BATCH_BYTES: usize = 1024 * 1024;

/// Publishes what it is given, behind the connection.
pub struct Lander {
    behind: Behind<Landing, Option<(Error, u64)>>,
    failed: Failed,
}

impl Default for Lander {
    fn default() -> Lander {
        Lander {
            behind: Behind::new(land, "file lander", BATCH_FILES, BATCH_BYTES),
            failed: Failed::new(),
        }
    }
}

/// `Landing::land`, with the file's bytes when it fails.
fn land(landing: Landing) -> Option<(Error, u64)> {
    let len = landing.bytes.len() as u64;
    landing.land().err().map(|e| (e, len))
}

impl Lander {
    /// Publish `landing`, behind.
    pub fn land(&mut self, landing: Landing) {
        let len = landing.bytes.len();
        let done = self.behind.push(landing, len);
        self.failed.extend(done.into_iter().flatten());
    }

    /// Wait until every file handed over is published or has failed; the
    /// ones that failed.
    pub fn finish(mut self) -> Failed {
        let done = self.behind.settle();
        self.failed.extend(done.into_iter().flatten());
        self.failed
    }
}
