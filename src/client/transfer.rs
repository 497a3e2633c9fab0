//! The client's side of one file's transfer, as a job a pipeline can run:
//! where the local file goes, the no-clobber rule, the partial file published
//! only after the final reply's length and CRC-32 match, continuing an
//! interrupted transfer (`-c`), and progress. `get` and `put` are one job each.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::commands::{Client, Flags};
use super::conn::{check_final, lost};
use super::pipeline::{self, Job, Plan};
use super::plan::{Dest, GetItem, PutItem, Side, plan_gets, plan_puts};
use super::term::Progress;
use crate::error::{Cause, Error};
use crate::fs::compress::{Inflater, deflate_bound};
use crate::fs::{Entry, Partial, check_name, crc_of, unchanged};
use crate::rate::Limited;
use crate::sys::{self, Meta, MetaKind};
use crate::wire::{
    PayloadReader, PayloadWriter, Request, Stamp, StoreMode, Trailer, code, escape, payload,
};

/// The last component of a `/`-separated path, checked to be a file name.
pub fn last_name(path: &[u8]) -> Result<&[u8], Error> {
    let name = path
        .split(|&b| b == b'/')
        .rev()
        .find(|p| !p.is_empty())
        .unwrap_or(b"");
    check_name(name).map_err(|why| Error::path(path, Cause::BadName(why)))?;
    Ok(name)
}

/// A path from raw bytes.
pub fn os_path(bytes: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(bytes))
}

/// `dir/name` on the remote side (`name` alone when `dir` is empty).
pub fn remote_join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut out = dir.to_vec();
    if !out.is_empty() && !out.ends_with(b"/") {
        out.push(b'/');
    }
    out.extend_from_slice(name);
    out
}

/// Refuse to overwrite `dest` unless `force`; a directory is never overwritten.
pub fn check_destination(dest: &Path, force: bool) -> Result<(), Error> {
    let shown = dest.as_os_str().as_bytes();
    match std::fs::symlink_metadata(dest) {
        Ok(m) if m.is_dir() => Err(Error::path(shown, Cause::IsDir)),
        Ok(_) if !force => Err(Error::path(shown, Cause::Exists)),
        _ => Ok(()),
    }
}

/// A download of `remote` to `dest`.
pub struct GetJob {
    remote: Vec<u8>,
    dest: PathBuf,
    force: bool,
    offset: u64,
    deflate: bool,
    partial: Option<Partial>,
    moved: u64,
}

impl GetJob {
    /// Download `remote` to `dest` (checked with `check_destination` first).
    pub fn new(remote: Vec<u8>, dest: PathBuf, force: bool) -> GetJob {
        GetJob {
            remote,
            dest,
            force,
            offset: 0,
            deflate: false,
            partial: None,
            moved: 0,
        }
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

    fn dir(&self) -> &Path {
        self.dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    fn name(&self) -> &[u8] {
        self.dest.file_name().map_or(b"", |n| n.as_bytes())
    }

    /// Continue from the partial data an interrupted download kept, when
    /// the server's first bytes have the same CRC-32; otherwise start over.
    pub fn resume(&mut self, cl: &mut Client) -> Result<(), Error> {
        let shown = self.dest.as_os_str().as_bytes().to_vec();
        let local_err = |e: io::Error| Error::io_path(&shown, &e);
        let mut partial = Partial::open_local(self.dir(), self.name(), true).map_err(local_err)?;
        let kept = partial.kept().map_err(local_err)?;
        if kept > 0 {
            let reply = cl.conn.exchange(&Request::Crc {
                path: self.remote.clone(),
                length: kept,
            })?;
            let same = reply.code == code::STAT
                && reply.length_crc() == Some((kept, partial.crc().map_err(local_err)?));
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
        cl.conn.send(&req)?;
        Ok(req.to_line().len())
    }

    /// Read the payload into the partial file and publish it when it checks out.
    pub fn finish(&mut self, cl: &mut Client) -> Result<(), Error> {
        let announced = cl.conn.read_announcement();
        let (length, deflated) = match announced {
            Ok(a) => a,
            Err(e) => {
                // `-c` made an empty partial file for nothing.
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
        // The wire carries at most this much (a deflate stream can be a
        // little longer than its data); the file gets at most `length`.
        let wire_limit = if deflated {
            deflate_bound(length)
        } else {
            length
        };
        let shown = self.dest.as_os_str().as_bytes().to_vec();
        let opened = match self.partial.take() {
            Some(p) => Ok(p),
            None => Partial::open_local(self.dir(), self.name(), false),
        };
        let mut partial = match opened {
            Ok(p) => p,
            Err(e) => {
                // Nowhere to put it: read it anyway so the stream keeps its place.
                PayloadReader::new(&mut cl.conn.reader, wire_limit)
                    .drain()
                    .map_err(lost)?;
                cl.conn.reply()?;
                return Err(Error::io_path(&shown, &e));
            }
        };
        let label = format!("get '{}'", escape(&self.remote));
        let mut progress = Progress::new(
            label,
            self.offset,
            self.offset.saturating_add(length),
            cl.quiet,
        );
        let mut framed = PayloadReader::new(&mut cl.conn.reader, wire_limit);
        let mut payload = Limited::new(&mut framed, cl.limiter.as_mut());
        let offset = self.offset;
        let mut arrived = 0;
        let mut note = |n| {
            arrived = n;
            progress.update(offset.saturating_add(n));
        };
        let copied = if deflated {
            let mut inflater = Inflater::new(&mut payload, length);
            payload::receive(&mut inflater, partial.file(), length, &mut note)
        } else {
            payload::receive(&mut payload, partial.file(), length, &mut note)
        };
        let copied = match copied {
            Ok(c) => c,
            Err(e) => {
                // A lost connection keeps what arrived, for `get -c`; a
                // server that broke the framing sent nothing worth keeping.
                if e.kind() == io::ErrorKind::InvalidData || offset + arrived == 0 {
                    partial.discard();
                }
                return Err(lost(e));
            }
        };
        if deflated {
            progress.note_wire(framed.total());
        }
        let done = cl.conn.reply()?;
        let checked = match copied.error {
            Some(e) => Err(Error::io_path(&shown, &e)),
            None => check_final(&done, copied.bytes, copied.crc, length),
        };
        let stamped = match (checked, done.stamp()) {
            (Ok(()), Some(stamp)) if cl.keep => {
                partial.stamp(stamp).map_err(|e| Error::io_path(&shown, &e))
            }
            (checked, _) => checked,
        };
        if let Err(e) = stamped {
            partial.discard();
            return Err(e);
        }
        self.moved = copied.bytes;
        partial
            .publish(self.force)
            .map_err(|e| Error::publish(&shown, &e))?;
        progress.finish(copied.bytes);
        Ok(())
    }
}

/// An upload of `local` to `target`.
pub struct PutJob {
    local: Vec<u8>,
    target: Vec<u8>,
    force: bool,
    offset: u64,
    sent: Option<Sent>,
    moved: u64,
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
        }
    }

    /// Bytes this job moved (once finished).
    pub fn moved(&self) -> u64 {
        self.moved
    }

    fn open(&self) -> Result<(File, Meta), Error> {
        let file = File::open(os_path(&self.local)).map_err(|e| Error::io_path(&self.local, &e))?;
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
    pub fn resume_from(&mut self, reply: &crate::wire::Reply) -> Result<(), Error> {
        if !reply.is_ok() {
            // Nothing to continue (no such directory yet, say): the upload
            // starts at the beginning and meets any real refusal there.
            return Ok(());
        }
        let Some((kept, crc)) = reply.length_crc() else {
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
        let (mut file, before) = self.open()?;
        file.seek(SeekFrom::Start(self.offset))
            .map_err(|e| Error::io_path(&self.local, &e))?;
        // A file that shrank below the data the server kept cannot continue.
        let length = before
            .size
            .checked_sub(self.offset)
            .ok_or_else(|| Error::path(&self.local, Cause::Changed))?;
        let mode = StoreMode::forced(self.force);
        let offset = (self.offset > 0).then_some(self.offset);
        let req = Request::Stor {
            path: self.target.clone(),
            length,
            mode,
            offset,
        };
        cl.conn.send(&req)?;
        let label = format!("put '{}'", escape(&self.target));
        let mut progress = Progress::new(
            label,
            self.offset,
            self.offset.saturating_add(length),
            cl.quiet,
        );
        let mut payload = PayloadWriter::new(&mut cl.conn.writer);
        let start = self.offset;
        let copied = payload::send(
            &mut (&mut file).take(length),
            &mut Limited::new(&mut payload, cl.limiter.as_mut()),
            length,
            &mut |n| progress.update(start.saturating_add(n)),
        )
        .map_err(lost)?;
        payload.finish().map_err(lost)?;
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
        cl.conn
            .writer
            .write_all(trailer.to_line().as_bytes())
            .map_err(lost)?;
        self.sent = Some(Sent {
            length,
            bytes: copied.bytes,
            crc: copied.crc,
            error,
            progress,
        });
        Ok(req.to_line().len())
    }

    /// Read the server's answer and check it against what was sent.
    pub fn finish(&mut self, cl: &mut Client) -> Result<(), Error> {
        let done = cl.conn.reply()?;
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

/// `get [-f] [-c] [-z] REMOTE [LOCAL]`.
pub fn get(
    cl: &mut Client,
    remote: &[u8],
    local: Option<&[u8]>,
    flags: Flags,
) -> Result<(), Error> {
    let name = last_name(remote)?;
    let dest = match local {
        Some(l) if os_path(l).is_dir() => os_path(l).join(OsStr::from_bytes(name)),
        Some(l) => os_path(l),
        None => os_path(name),
    };
    if flags.resume || flags.update {
        let Some(entry) = stat(cl, remote)? else {
            return Err(Error::path(remote, Cause::NotFound));
        };
        let item = GetItem {
            remote: remote.to_vec(),
            src: Side::of_entry(&entry),
            dest,
        };
        let mut plan = Plan::default();
        plan_gets(cl, vec![item], flags, &mut plan)?;
        return pipeline::run_reporting(cl, "get", plan).map(drop);
    }
    check_destination(&dest, flags.force)?;
    let job = GetJob::new(remote.to_vec(), dest, flags.force).compressed(flags.deflate);
    run_one(cl, Job::Get(job))
}

/// `put [-f] [-c] LOCAL [REMOTE]`.
pub fn put(
    cl: &mut Client,
    local: &[u8],
    remote: Option<&[u8]>,
    flags: Flags,
) -> Result<(), Error> {
    let name = last_name(local)?;
    let checked = flags.resume || flags.update;
    let target = remote_target(cl, remote.unwrap_or(name), name, flags.force || checked)?;
    let job = PutJob::new(local.to_vec(), target.clone(), flags.force);
    let (_, meta) = job.open()?;
    if checked {
        let existing = stat(cl, &target)?;
        let item = PutItem {
            local: os_path(local),
            src: Side {
                size: meta.size,
                mtime: meta.mtime,
                nsec: meta.mtime_nsec,
            },
            target,
            dest: Dest::of_entry(existing.as_ref()),
        };
        let mut plan = Plan::default();
        plan_puts(cl, vec![item], flags, &mut plan)?;
        return pipeline::run_reporting(cl, "put", plan).map(drop);
    }
    run_one(cl, Job::Put(job))
}

/// Run one job; its failure is the command's.
fn run_one(cl: &mut Client, job: Job) -> Result<(), Error> {
    match pipeline::run(cl, vec![job])?.failed.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The remote name a put goes to: `remote`, or `name` inside it when it is a
/// directory. Without `force`, an existing file there is refused before any
/// byte is sent (the server refuses it again, atomically, at the end).
fn remote_target(
    cl: &mut Client,
    remote: &[u8],
    name: &[u8],
    force: bool,
) -> Result<Vec<u8>, Error> {
    let mut target = remote.to_vec();
    let mut existing = stat(cl, &target)?;
    if existing
        .as_ref()
        .is_some_and(|e| e.kind == crate::fs::Kind::Dir)
    {
        target = remote_join(&target, name);
        existing = stat(cl, &target)?;
    }
    match existing {
        Some(e) if e.kind == crate::fs::Kind::Dir => Err(Error::path(&target, Cause::IsDir)),
        Some(_) if !force => Err(Error::path(&target, Cause::Exists)),
        _ => Ok(target),
    }
}

/// STAT a remote path; `None` when the server says it does not exist.
pub fn stat(cl: &mut Client, path: &[u8]) -> Result<Option<Entry>, Error> {
    let reply = cl.conn.exchange(&Request::Stat(path.to_vec()))?;
    if reply.code == code::STAT {
        return Entry::parse(reply.text.as_bytes())
            .map(Some)
            .ok_or_else(|| Error::Protocol(format!("bad STAT reply '{}'", reply.text)));
    }
    if reply.code == code::NOT_FOUND {
        return Ok(None);
    }
    Err(Error::Remote(reply))
}
