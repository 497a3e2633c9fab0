//! Small downloads published behind the connection. In a run of jobs, a
//! small file (`WHOLE_MAX_BYTES`) is read whole into memory and checked
//! (length and CRC-32 against the final reply), then handed to a backlog
//! whose thread writes, stamps and publishes it (`Partial::write_whole`)
//! while the connection goes on to the next file. So the file system's
//! calls run on a second core beside the network's, not between them. The
//! file still appears whole or not at all, and one that fails is that
//! file's error, reported when the run ends. A file published otherwise
//! waits for those before it (`settle`), so files land in job order.

use std::sync::Arc;

use super::term::Progress;
use crate::backlog::Backlog;
use crate::error::Error;
use crate::fs::{Dir, Partial};
use crate::wire::Stamp;

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

/// The files that failed to land, each with its bytes.
pub type Failed = Vec<(Error, u64)>;

/// Publishes what it is given, behind the connection.
pub struct Lander {
    backlog: Backlog<Landing, Option<(Error, u64)>>,
    failed: Failed,
}

impl Default for Lander {
    fn default() -> Lander {
        Lander {
            backlog: Backlog::new(land, "file lander"),
            failed: Failed::new(),
        }
    }
}

impl Landing {
    /// Write, stamp and publish it now, and finish its progress.
    pub fn publish(self) -> Result<(), Error> {
        let Landing {
            dir,
            name,
            shown,
            bytes,
            stamp,
            replace,
            none_left,
            progress,
        } = self;
        Partial::write_whole(dir, &name, &bytes, stamp, replace, none_left)
            .map_err(|e| Error::publish(&shown, &e))?;
        progress.finish(bytes.len() as u64);
        Ok(())
    }
}

/// Publish one; its error and bytes when it fails.
fn land(up: Landing) -> Option<(Error, u64)> {
    let len = up.bytes.len() as u64;
    up.publish().err().map(|e| (e, len))
}

impl Lander {
    /// Publish `landing`, behind.
    pub fn land(&mut self, landing: Landing) -> Result<(), Error> {
        let len = landing.bytes.len();
        let pushed = self.backlog.push(landing, len);
        self.note(pushed)
    }

    /// Wait until every file handed over is published or has failed.
    pub fn settle(&mut self) -> Result<(), Error> {
        let settled = self.backlog.settle();
        self.note(settled)
    }

    /// Keep the failures among `done`; when the backlog failed, those among
    /// the files it finished before, then the error.
    fn note(&mut self, done: std::io::Result<Vec<Option<(Error, u64)>>>) -> Result<(), Error> {
        let (done, lost_some) = match done {
            Ok(done) => (done, None),
            Err(e) => (self.backlog.take_done(), Some(lost(e))),
        };
        self.failed.extend(done.into_iter().flatten());
        lost_some.map_or(Ok(()), Err)
    }

    /// `settle`, then the files that failed.
    pub fn finish(mut self) -> Result<Failed, Error> {
        self.settle()?;
        Ok(self.failed)
    }
}

/// The backlog's thread is gone with files it held.
fn lost(e: std::io::Error) -> Error {
    Error::Transfer(format!("files were lost: {e}"))
}
