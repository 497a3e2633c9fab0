//! Small uploads published behind the session. A STOR of a small new file
//! (`WHOLE_MAX_BYTES`, not replacing, not continuing) has its destination
//! checked and its payload read whole and checked against the client's
//! trailer by the session, then goes to a backlog whose thread writes,
//! stamps and publishes it (`Partial::write_whole`) while the session reads
//! the next command. Its reply waits, in order, until the session settles:
//! before it answers or does anything else, and before it waits for the
//! client. So a reply still says what happened, and a command after an
//! upload sees the file. No sockets.

use std::sync::Arc;
use std::time::Instant;

use crate::backlog::Backlog;
use crate::error::Error;
use crate::fs::{Dir, Partial};
use crate::wire::{Delivered, Extra, Reply, Stamp, Sums};

/// A checked upload, to be published.
pub struct Landing {
    /// The directory it goes into, open.
    pub dir: Arc<Dir>,
    /// Its name there.
    pub name: Vec<u8>,
    /// The session made `dir` (so no partial file was left in it).
    pub made_here: bool,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Their CRC-32.
    pub crc: u32,
    /// The time and mode to give it, when the client sent them.
    pub stamp: Option<Stamp>,
    /// The path as the log shows it.
    pub shown: Vec<u8>,
    /// When its STOR came.
    pub started: Instant,
}

/// What became of an upload: its reply, and what its log line says.
pub struct Landed {
    /// The STOR's final reply.
    pub reply: Reply,
    /// The path as the log shows it.
    pub shown: Vec<u8>,
    /// Its bytes.
    pub bytes: u64,
    /// When its STOR came.
    pub started: Instant,
}

/// Publishes what it is given, behind the session.
pub type Lander = Backlog<Landing, Landed>;

/// A session's lander.
pub fn new_lander() -> Lander {
    Backlog::new(land, "upload lander")
}

/// A STOR's final reply: the sums of what was stored, or why not.
pub fn stored_reply(stored: Result<(), Error>, sums: Sums) -> Reply {
    match stored {
        Ok(()) => Delivered {
            sums,
            extra: Extra::Nothing,
        }
        .reply(),
        Err(e) => e.reply(),
    }
}

/// Publish one; its reply.
fn land(up: Landing) -> Landed {
    let length = up.bytes.len() as u64;
    let published =
        Partial::write_whole(up.dir, &up.name, &up.bytes, up.stamp, false, up.made_here)
            .map_err(|e| Error::publish(&up.shown, &e));
    let sums = Sums {
        length,
        crc: up.crc,
    };
    let reply = stored_reply(published, sums);
    Landed {
        reply,
        shown: up.shown,
        bytes: length,
        started: up.started,
    }
}
