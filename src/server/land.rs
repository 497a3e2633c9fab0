//! Small uploads published behind the session. A STOR of a small file into
//! an anonymous partial file has its payload read whole and checked against
//! the client's trailer by the session, then goes here: one thread writes,
//! stamps and publishes it while the session reads the next command. Its
//! reply waits, in order, until the session settles: before it answers or
//! does anything else, and before it waits for the client. So a reply still
//! says what happened, and a command after an upload sees the file. No
//! sockets.

use std::io::Write;
use std::time::Instant;

use crate::behind::Behind;
use crate::error::Error;
use crate::fs::Partial;
use crate::wire::{Delivered, Extra, Reply, Stamp, Sums};

/// Largest upload read whole and published behind.
pub const LAND_MAX_BYTES: u64 = 64 * 1024;
/// Uploads handed over at once.
const BATCH_FILES: usize = 16;
/// Bytes handed over at once, at most about: with one batch waiting and one
/// being published, 768 KiB at most are held per session.
const BATCH_BYTES: usize = 256 * 1024;

/// A checked upload, to be published.
pub struct Landing {
    /// Its anonymous partial file, empty.
    pub partial: Partial,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Their CRC-32.
    pub crc: u32,
    /// The time and mode to give it, when the client sent them.
    pub stamp: Option<Stamp>,
    /// May replace a file of that name.
    pub replace: bool,
    /// The path as the log shows it.
    pub shown: Vec<u8>,
    /// When its STOR came.
    pub started: Instant,
}

/// What became of one: its reply and what the log says of it.
pub struct Landed {
    pub reply: Reply,
    pub shown: Vec<u8>,
    pub bytes: u64,
    pub started: Instant,
}

/// Publishes what it is given, behind the session.
pub type Lander = Behind<Landing, Landed>;

/// A session's lander.
pub fn lander() -> Lander {
    Behind::new(land, "upload lander", BATCH_FILES, BATCH_BYTES)
}

/// Write, stamp and publish it; its reply.
fn land(up: Landing) -> Landed {
    let Landing {
        mut partial,
        bytes,
        crc,
        stamp,
        replace,
        shown,
        started,
    } = up;
    let written = partial
        .file()
        .write_all(&bytes)
        .and_then(|()| stamp.map_or(Ok(()), |st| partial.stamp(st)));
    let outcome = match written {
        Ok(()) => partial
            .publish(replace)
            .map_err(|e| Error::publish(&shown, &e)),
        Err(e) => {
            partial.discard();
            Err(Error::io_path(&shown, &e))
        }
    };
    let length = bytes.len() as u64;
    let reply = match outcome {
        Ok(()) => Delivered {
            sums: Sums { length, crc },
            extra: Extra::Nothing,
        }
        .reply(),
        Err(e) => e.reply(),
    };
    Landed {
        reply,
        shown,
        bytes: length,
        started,
    }
}
