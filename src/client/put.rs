//! One upload as a job a pipeline can run: STOR, the payload and the
//! trailer sent at once (the trailer says whether the file was read whole
//! and unchanged, and carries its time and mode when they are kept), then
//! the server's final reply checked against what was sent; `-c` continues
//! the partial data the server kept when its CRC-32 matches our first bytes.
//! The local file may be one already open (standard input, held in a
//! temporary file). Ctrl-C leaves the server what it received, for `-c`.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use super::conn::{check_final, lost};
use super::names::os_path;
use super::session::Client;
use super::term::Progress;
use crate::error::{Cause, Error};
use crate::fs::{crc_of, unchanged};
use crate::sys::{self, Meta, MetaKind};
use crate::wire::{Reply, Request, Stamp, StoreMode, Sums, Trailer, escape, payload};

/// An upload of `local` to `target`.
pub struct PutJob {
    local: Vec<u8>,
    target: Vec<u8>,
    force: bool,
    offset: u64,
    sent: Option<Sent>,
    moved: u64,
    size: u64,
    /// The local file, open already (`put -`); else `local` is opened.
    opened: Option<File>,
}

/// What an upload sent, for checking the server's answer.
struct Sent {
    length: u64,
    bytes: u64,
    crc: u32,
    error: Option<Error>,
    progress: Progress,
}

impl PutJob {
    /// Upload `local` to `target`.
    pub fn new(local: Vec<u8>, target: Vec<u8>, force: bool) -> PutJob {
        PutJob {
            local,
            target,
            force,
            offset: 0,
            sent: None,
            moved: 0,
            size: 0,
            opened: None,
        }
    }

    /// Upload the open regular file `file` (`local` is only what messages
    /// call it).
    pub fn reading(mut self, file: File) -> PutJob {
        self.opened = Some(file);
        self
    }

    /// Give the file's size as it was planned, for a many-file job's
    /// progress.
    pub fn sized(mut self, size: u64) -> PutJob {
        self.size = size;
        self
    }

    /// Bytes it expects to move (for a job's progress).
    pub fn to_move(&self) -> u64 {
        self.size.saturating_sub(self.offset)
    }

    /// Bytes this job moved (once finished).
    pub fn moved(&self) -> u64 {
        self.moved
    }

    /// Open the local file; only a regular file is sent.
    pub fn open(&self) -> Result<(File, Meta), Error> {
        let file = match &self.opened {
            Some(file) => file.try_clone(),
            None => File::open(os_path(&self.local)),
        }
        .map_err(|e| Error::io_path(&self.local, &e))?;
        let meta = sys::stat_fd(&file).map_err(|e| Error::io_path(&self.local, &e))?;
        match meta.kind {
            MetaKind::File => Ok((file, meta)),
            MetaKind::Dir => Err(Error::path(&self.local, Cause::IsDir)),
            _ => Err(Error::path(&self.local, Cause::Special)),
        }
    }

    /// The PARTIAL request that asks what the server kept for this upload.
    pub fn partial_request(&self) -> Request {
        Request::Partial(self.target.clone())
    }

    /// Continue after what a PARTIAL reply says the server kept, when its
    /// CRC-32 matches our first bytes; otherwise start over.
    pub fn resume_from(&mut self, reply: &Reply) -> Result<(), Error> {
        if !reply.is_ok() {
            // Nothing to continue (no such directory yet, say): the upload
            // starts at the beginning and meets any real refusal there.
            return Ok(());
        }
        let Some(Sums { length: kept, crc }) = Sums::parse(&reply.text) else {
            return Err(Error::Protocol(format!(
                "bad PARTIAL reply '{}'",
                reply.text
            )));
        };
        let (mut file, meta) = self.open()?;
        if kept > 0
            && kept <= meta.size
            && crc_of(&mut file, kept).map_err(|e| Error::io_path(&self.local, &e))? == crc
        {
            self.offset = kept;
        }
        Ok(())
    }

    /// Send STOR, the payload and the trailer. A local file that cannot be
    /// opened sends nothing.
    pub fn send(&mut self, cl: &mut Client) -> Result<usize, Error> {
        self.send_all(cl).map_err(|e| self.cut(cl, e))
    }

    /// The error of an upload cut off by `e`, or by Ctrl-C when that is
    /// what cut it: the server keeps what it received.
    fn cut(&self, cl: &Client, e: Error) -> Error {
        if !cl.interrupted() {
            return e;
        }
        Error::Interrupted {
            text: format!(
                "'{}': interrupted; the server keeps what it received",
                escape(&self.target)
            ),
            resumable: true,
        }
    }

    fn send_all(&mut self, cl: &mut Client) -> Result<usize, Error> {
        let (mut file, before) = self.open()?;
        if self.offset > 0 {
            file.seek(SeekFrom::Start(self.offset))
                .map_err(|e| Error::io_path(&self.local, &e))?;
        }
        // A file that shrank below the data the server kept cannot continue.
        let length = before
            .size
            .checked_sub(self.offset)
            .ok_or_else(|| Error::path(&self.local, Cause::Changed))?;
        let req = Request::Stor {
            path: self.target.clone(),
            length,
            mode: StoreMode::forced(self.force),
            offset: (self.offset > 0).then_some(self.offset),
        };
        let line_bytes = cl.conn.send(&req)?;
        let total = self.offset.saturating_add(length);
        let name = escape(&self.target);
        let mut progress = Progress::new("put", name, self.offset, total, cl.quiet);
        let mut out = cl.conn.payload_out();
        let copied =
            payload::send_file(&mut (&mut file).take(length), &mut out, length, &mut |n| {
                progress.update(self.offset.saturating_add(n))
            })
            .map_err(lost)?;
        out.finish()?;
        let error = match copied.error {
            Some(e) => Some(Error::io_path(&self.local, &e)),
            None if copied.bytes != length || !unchanged(&file, &before) => {
                Some(Error::path(&self.local, Cause::Changed))
            }
            None => None,
        };
        let trailer = match error {
            None => Trailer::Done {
                length,
                crc: copied.crc,
                stamp: cl
                    .keep
                    .then(|| Stamp::new(before.mtime, before.mtime_nsec, before.mode)),
            },
            Some(_) => Trailer::Abort,
        };
        cl.conn.send_trailer(trailer)?;
        self.sent = Some(Sent {
            length,
            bytes: copied.bytes,
            crc: copied.crc,
            error,
            progress,
        });
        Ok(line_bytes)
    }

    /// Read the server's answer and check it against what was sent.
    pub fn finish(&mut self, cl: &mut Client) -> Result<(), Error> {
        let done = cl.conn.reply().map_err(|e| self.cut(cl, e))?;
        let Some(sent) = self.sent.take() else {
            return Err(Error::Protocol("answer to an upload never sent".into()));
        };
        if let Some(e) = sent.error {
            return Err(e);
        }
        check_final(&done, sent.bytes, sent.crc, sent.length)?;
        self.moved = sent.bytes;
        sent.progress.finish(sent.bytes);
        Ok(())
    }
}
