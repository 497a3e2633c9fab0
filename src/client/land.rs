//! Small downloads published behind the connection. In a run of jobs, a
//! small file is read whole into memory and checked (length and CRC-32
//! against the final reply), then handed to one thread that writes it into
//! its partial file, stamps it and publishes it under its name, while the
//! connection goes on to the next file. So the file system's calls run on
//! a second core beside the network's, not between them, and the server
//! never waits for them. The file still appears whole or not at all, and
//! one that fails is that file's error, reported when the run ends. At most
//! `QUEUE_FILES` wait, so memory stays bounded. No sockets.

use std::io::Write;
use std::sync::Arc;
use std::sync::mpsc::{self, SyncSender};
use std::thread::{self, JoinHandle};

use super::term::Progress;
use crate::error::Error;
use crate::fs::{Dir, Partial};
use crate::wire::Stamp;

/// Largest file read whole and published behind; larger ones go into their
/// partial file as they arrive.
pub const LAND_MAX_BYTES: u64 = 64 * 1024;
/// Files handed over at once: the thread wakes once for them all.
const BATCH_FILES: usize = 16;
/// Most batches waiting for the thread: with `LAND_MAX_BYTES`, 5 MiB at
/// most with the one being filled.
const QUEUE_BATCHES: usize = 4;

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

/// The thread that publishes, started with the first file; where it cannot
/// start, files are published here, at once.
#[derive(Default)]
pub struct Lander {
    batch: Vec<Landing>,
    queue: Option<SyncSender<Vec<Landing>>>,
    thread: Option<JoinHandle<Failed>>,
    tried: bool,
    failed: Failed,
}

impl Lander {
    /// Publish `landing`, behind or at once.
    pub fn land(&mut self, landing: Landing) {
        if !self.tried {
            self.tried = true;
            self.start();
        }
        self.batch.push(landing);
        if self.batch.len() >= BATCH_FILES {
            self.hand_over();
        }
    }

    /// Hand the batch to the thread, or publish it here.
    fn hand_over(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        let batch = match &self.queue {
            Some(queue) => match queue.send(batch) {
                Ok(()) => return,
                // The thread is gone (it cannot be, but if it were).
                Err(mpsc::SendError(batch)) => batch,
            },
            None => batch,
        };
        land_all(batch, &mut self.failed);
    }

    fn start(&mut self) {
        let (queue, batches) = mpsc::sync_channel::<Vec<Landing>>(QUEUE_BATCHES);
        let spawned = thread::Builder::new()
            .name("file lander".into())
            .spawn(move || {
                let mut failed = Failed::new();
                for batch in batches {
                    land_all(batch, &mut failed);
                }
                failed
            });
        if let Ok(thread) = spawned {
            self.queue = Some(queue);
            self.thread = Some(thread);
        }
    }

    /// Wait until every file handed over is published or has failed; the
    /// ones that failed.
    pub fn finish(mut self) -> Failed {
        if !self.batch.is_empty() {
            self.hand_over();
        }
        drop(self.queue.take());
        let mut failed = std::mem::take(&mut self.failed);
        if let Some(thread) = self.thread.take() {
            match thread.join() {
                Ok(mut more) => failed.append(&mut more),
                Err(_) => failed.push((
                    Error::Transfer("files were lost: the thread writing them failed".into()),
                    0,
                )),
            }
        }
        failed
    }
}

/// Publish each of `batch`, noting the ones that fail in `failed`.
fn land_all(batch: Vec<Landing>, failed: &mut Failed) {
    for landing in batch {
        let len = landing.bytes.len() as u64;
        if let Err(e) = landing.land() {
            failed.push((e, len));
        }
    }
}
