//! One download as a job a pipeline can run: RETR sent, the payload read
//! into the partial file beside the destination (inflated on arrival with
//! `-z`), published only after the final reply's length and CRC-32 match,
//! with the server's time and mode when they are kept; `-c` continues what
//! an interrupted download kept when its first bytes match. A stream
//! (standard output, a FIFO, a device) is written as the bytes come
//! instead. Ctrl-C keeps what arrived, and says how much. In a run of
//! many, a small file is read whole and checked first, then published
//! behind the connection (`land`); Ctrl-C keeps nothing of it.

use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::conn::{check_final, lost};
use super::land::Landing;
use super::session::Client;
use super::show::thousands;
use super::term::Progress;
use crate::error::Error;
use crate::fs::compress::{Inflater, deflate_bound};
use crate::fs::{Partial, WHOLE_MAX_BYTES};
use crate::wire::{Copied, Delivered, Extra, Reply, Request, Sums, code, escape, payload};

/// A download of `remote` to `dest`.
pub struct GetJob {
    remote: Vec<u8>,
    dest: PathBuf,
    force: bool,
    offset: u64,
    deflate: bool,
    partial: Option<Partial>,
    /// Where the bytes go instead of a partial file: a stream.
    stream: Option<File>,
    moved: u64,
    size: u64,
    /// The destination directory, when read, held no partial file of it.
    none_left: bool,
}

impl GetJob {
    /// Download `remote` to `dest` (checked with `sink::get_target` first).
    pub fn new(remote: Vec<u8>, dest: PathBuf, force: bool) -> GetJob {
        GetJob {
            remote,
            dest,
            force,
            offset: 0,
            deflate: false,
            partial: None,
            stream: None,
            moved: 0,
            size: 0,
            none_left: false,
        }
    }

    /// Write into the open stream `file` (standard output, a FIFO, a
    /// device) as the bytes come, instead of publishing a file; `dest` is
    /// only what messages call it then.
    pub fn into_stream(mut self, file: File) -> GetJob {
        self.stream = Some(file);
        self
    }

    /// Give the file's size as the listing says, for a many-file job's
    /// progress.
    pub fn sized(mut self, size: u64) -> GetJob {
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

    /// Ask for the file deflated on the wire (`-z`).
    pub fn compressed(mut self, deflate: bool) -> GetJob {
        self.deflate = deflate;
        self
    }

    /// Known: no partial file of an earlier download is in the way (see
    /// `Partial::anonymous`).
    pub fn none_left(mut self, none_left: bool) -> GetJob {
        self.none_left = none_left;
        self
    }

    fn dir(&self) -> &Path {
        self.dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    fn name(&self) -> &[u8] {
        self.dest.file_name().map_or(b"", |n| n.as_bytes())
    }

    /// The destination as messages show it.
    fn shown(&self) -> &[u8] {
        self.dest.as_os_str().as_bytes()
    }

    /// Continue from the partial data an interrupted download kept, when
    /// the server's first bytes have the same CRC-32; otherwise start over.
    pub fn resume(&mut self, cl: &mut Client) -> Result<(), Error> {
        let shown = self.shown().to_vec();
        let local_err = |e: io::Error| Error::io_path(&shown, &e);
        let mut partial = Partial::open_local(self.dir(), self.name(), true).map_err(local_err)?;
        let kept = partial.kept().map_err(local_err)?;
        if kept > 0 {
            let reply = cl.conn.exchange(&Request::Crc {
                path: self.remote.clone(),
                length: kept,
            })?;
            let crc = partial.crc().map_err(local_err)?;
            let same = reply.code == code::STAT
                && Sums::parse(&reply.text) == Some(Sums { length: kept, crc });
            if same {
                self.offset = kept;
            } else {
                partial.restart().map_err(local_err)?;
            }
        }
        self.partial = Some(partial);
        Ok(())
    }

    /// Send the RETR.
    pub fn send(&mut self, cl: &mut Client) -> Result<usize, Error> {
        let req = Request::Retr {
            path: self.remote.clone(),
            offset: self.offset,
            deflate: self.deflate,
        };
        cl.conn.send(&req)
    }

    /// Read the payload into the partial file and publish it when it checks out.
    pub fn finish(&mut self, cl: &mut Client) -> Result<(), Error> {
        let (length, deflated) = self.announcement(cl)?;
        // The wire carries at most this much (a deflate stream can be a
        // little longer than its data); the file gets at most `length`.
        let wire_limit = if deflated {
            deflate_bound(length)
        } else {
            length
        };
        if let Some(stream) = self.stream.take() {
            return self.finish_stream(cl, stream, length, wire_limit);
        }
        if self.partial.is_none() && length <= WHOLE_MAX_BYTES && cl.lands_behind() {
            return self.finish_behind(cl, length, wire_limit);
        }
        // Files land in job order: the small ones before this go first.
        if let Err(e) = cl.settle_landing() {
            return Err(self.refuse(cl, wire_limit, e));
        }
        let mut partial = self.partial_file(cl, length, wire_limit)?;
        let total = self.offset.saturating_add(length);
        let name = escape(&self.remote);
        let mut progress = Progress::new("get", name, self.offset, total, cl.quiet);
        let mut arrived = 0;
        let received = self.receive(cl, partial.file(), length, wire_limit, &mut |n| {
            arrived = n;
            progress.update(self.offset.saturating_add(n));
        });
        let (copied, wire) = match received {
            Ok(c) => c,
            Err(e) => {
                // A lost connection keeps what arrived, for `get -c`; a
                // server that broke the framing sent nothing worth keeping.
                if e.kind() == io::ErrorKind::InvalidData || self.offset + arrived == 0 {
                    partial.discard();
                    return Err(self.cut(cl, 0, lost(e)));
                }
                let kept = partial.kept().unwrap_or(0);
                return Err(self.cut(cl, kept, lost(e)));
            }
        };
        let done = match cl.conn.reply() {
            Ok(done) => done,
            Err(e) => return Err(self.cut(cl, partial.kept().unwrap_or(0), e)),
        };
        self.publish(cl, partial, &copied, &done, length)?;
        self.moved = copied.bytes;
        if self.deflate {
            progress.note_wire(wire);
        }
        progress.finish(copied.bytes);
        Ok(())
    }

    /// Read a small file whole and check it, then hand it over to be
    /// published behind the connection (see `land`).
    fn finish_behind(
        &mut self,
        cl: &mut Client,
        length: u64,
        wire_limit: u64,
    ) -> Result<(), Error> {
        let dir = match cl.local_dir(self.dir()) {
            Ok(dir) => dir,
            Err(e) => return Err(self.refuse(cl, wire_limit, Error::io_path(self.shown(), &e))),
        };
        let mut progress = Progress::new("get", escape(&self.remote), 0, length, cl.quiet);
        let mut bytes = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
        let received = self.receive(cl, &mut bytes, length, wire_limit, &mut |n| {
            progress.update(n);
        });
        let (copied, wire) = received.map_err(|e| self.cut(cl, 0, lost(e)))?;
        let done = cl.conn.reply().map_err(|e| self.cut(cl, 0, e))?;
        let stamp = match check_final(&done, copied.bytes, copied.crc, length)? {
            Delivered {
                extra: Extra::Stamp(stamp),
                ..
            } if cl.keep => Some(stamp),
            _ => None,
        };
        if self.deflate {
            progress.note_wire(wire);
        }
        self.moved = copied.bytes;
        let landing = Landing {
            dir,
            name: self.name().to_vec(),
            shown: self.shown().to_vec(),
            bytes,
            stamp,
            replace: self.force,
            none_left: self.none_left,
            progress,
        };
        cl.land(landing)
    }

    /// Nowhere to put the data (`e`): read the payload anyway, so that the
    /// stream keeps its place; the error to return.
    fn refuse(&self, cl: &mut Client, wire_limit: u64, e: Error) -> Error {
        let drained = cl
            .conn
            .drain_payload(wire_limit)
            .and_then(|()| cl.conn.reply());
        match drained {
            Ok(_) => e,
            Err(lost) => lost,
        }
    }

    /// The error of a download cut off by `e`, or by Ctrl-C when that is
    /// what cut it: then it says how many bytes the partial file kept.
    fn cut(&self, cl: &Client, kept: u64, e: Error) -> Error {
        if !cl.interrupted() {
            return e;
        }
        let shown = escape(self.shown());
        let text = match kept {
            0 => format!("'{shown}': interrupted; nothing kept"),
            n => format!("'{shown}': interrupted; {} bytes kept", thousands(n)),
        };
        Error::Interrupted {
            text,
            resumable: kept > 0,
        }
    }

    /// `cut` for a stream: what was written stays written.
    fn stream_cut(&self, cl: &Client, written: u64, e: Error) -> Error {
        if !cl.interrupted() {
            return e;
        }
        Error::Interrupted {
            text: format!(
                "'{}': interrupted; {} bytes written to {}",
                escape(&self.remote),
                thousands(written),
                escape(self.shown())
            ),
            resumable: false,
        }
    }

    /// Read the payload into the stream, as it comes: nothing to publish,
    /// and what was written stays written whatever the checks say after.
    fn finish_stream(
        &mut self,
        cl: &mut Client,
        mut stream: File,
        length: u64,
        wire_limit: u64,
    ) -> Result<(), Error> {
        // A live line on the terminal the data is written to would mix in.
        let quiet = cl.quiet || std::io::IsTerminal::is_terminal(&stream);
        let name = escape(&self.remote);
        let mut progress = Progress::new("get", name, 0, length, quiet);
        let mut written = 0;
        let received = self.receive(cl, &mut stream, length, wire_limit, &mut |n| {
            written = n;
            progress.update(n);
        });
        let copied = match received {
            Ok((c, _)) => c,
            Err(e) => return Err(self.stream_cut(cl, written, lost(e))),
        };
        let done = match cl.conn.reply() {
            Ok(done) => done,
            Err(e) => return Err(self.stream_cut(cl, written, e)),
        };
        match &copied.error {
            Some(e) if e.kind() == io::ErrorKind::BrokenPipe => return Err(Error::StdoutClosed),
            Some(e) => return Err(Error::io_path(self.shown(), e)),
            None => {}
        }
        check_final(&done, copied.bytes, copied.crc, length).map_err(|e| match e {
            Error::Transfer(why) => Error::Transfer(format!(
                "{why} (but written to {} already)",
                escape(self.shown())
            )),
            e => e,
        })?;
        self.moved = copied.bytes;
        progress.finish(copied.bytes);
        Ok(())
    }

    /// The length and encoding the server announced. A refusal is this
    /// job's error, and drops the empty partial file `-c` made for nothing.
    fn announcement(&mut self, cl: &mut Client) -> Result<(u64, bool), Error> {
        let (length, deflated) = match cl.conn.read_announcement() {
            Ok(a) => a,
            Err(e) => {
                if let Some(p) = self.partial.take_if(|p| p.kept().is_ok_and(|n| n == 0)) {
                    p.discard();
                }
                return Err(e);
            }
        };
        if deflated != self.deflate {
            return Err(Error::Protocol(
                "the server answered in another encoding".into(),
            ));
        }
        Ok((length, deflated))
    }

    /// The partial file to write `length` bytes into: the one `resume`
    /// opened, or a new one. With nowhere to put the data, the payload is
    /// read anyway, so that the stream keeps its place, and the error
    /// returned.
    fn partial_file(
        &mut self,
        cl: &mut Client,
        length: u64,
        wire_limit: u64,
    ) -> Result<Partial, Error> {
        let opened = match self.partial.take() {
            Some(p) => Ok(p),
            None => cl.local_dir(self.dir()).and_then(|dir| {
                Partial::create(dir, self.name(), length, self.force, self.none_left)
            }),
        };
        opened.map_err(|e| self.refuse(cl, wire_limit, Error::io_path(self.shown(), &e)))
    }

    /// Copy the payload (inflated with `-z`) into `file`; `note` hears
    /// the bytes written so far. Also returns the bytes that crossed the
    /// wire.
    fn receive(
        &self,
        cl: &mut Client,
        file: &mut (impl io::Write + Send),
        length: u64,
        wire_limit: u64,
        note: &mut dyn FnMut(u64),
    ) -> io::Result<(Copied, u64)> {
        let mut payload = cl.conn.payload_in(wire_limit);
        let copied = if self.deflate {
            let mut inflater = Inflater::new(&mut payload, length);
            payload::receive_file(&mut inflater, file, length, note)
        } else {
            payload::receive_file(&mut payload, file, length, note)
        };
        copied.map(|c| (c, payload.total()))
    }

    /// Check the final reply against what arrived, then publish the file
    /// under its name (with the server's stamp, when kept), or discard it.
    fn publish(
        &self,
        cl: &Client,
        mut partial: Partial,
        copied: &Copied,
        done: &Reply,
        length: u64,
    ) -> Result<(), Error> {
        let shown = self.shown();
        let checked = match &copied.error {
            Some(e) => Err(Error::io_path(shown, e)),
            None => check_final(done, copied.bytes, copied.crc, length),
        };
        let stamped = match checked {
            Ok(Delivered {
                extra: Extra::Stamp(stamp),
                ..
            }) if cl.keep => partial.stamp(stamp).map_err(|e| Error::io_path(shown, &e)),
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = stamped {
            partial.discard();
            return Err(e);
        }
        partial
            .publish(self.force)
            .map_err(|e| Error::publish(shown, &e))
    }
}
