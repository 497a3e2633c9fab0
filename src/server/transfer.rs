//! The server's side of RETR and STOR: a file out as an announced payload with
//! a checked final reply, and a file in through a partial file that is
//! published only when length and CRC-32 match what the client said it sent;
//! and CRC and PARTIAL, which let a client continue an interrupted transfer.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::land::{Landing, stored_reply};
use super::session::{Session, status};
use crate::error::{Cause, Error};
use crate::fs::compress::{self, WireDeflater};
use crate::fs::{Dir, Partial, WHOLE_MAX_BYTES, crc_of, umask, unchanged};
use crate::rate::Limited;
use crate::wire::{
    Announce, Copied, Delivered, Extra, Line, Packed, PayloadReader, PayloadWriter, Reply, Stamp,
    StoreMode, Sums, Trailer, Working, escape, payload, read_line,
};

/// RETR: send `path` from `offset`, deflated on the fly when `deflate`.
/// Errors returned are connection errors; refusals become replies.
pub fn send_file(s: &mut Session, path: &[u8], offset: u64, deflate: bool) -> io::Result<()> {
    let opened = s.resolve(path).and_then(|v| {
        let (file, meta) = s.cfg.root.open_file_kept(&v, &mut s.last_dir)?;
        if offset > meta.size {
            return Err(Error::path(
                path,
                Cause::Refused("offset beyond the end of the file"),
            ));
        }
        Ok((v, file, meta))
    });
    let (v, mut file, before) = match opened {
        Ok(x) => x,
        Err(e) => return s.reply(&e.reply()),
    };
    let started = Instant::now();
    let length = before.size - offset;
    if offset > 0
        && let Err(e) = file.seek(SeekFrom::Start(offset))
    {
        return s.reply(&Error::io_path(path, &e).reply());
    }
    let what = if deflate { "get -z" } else { "get" };
    s.reply(&Announce::Bytes { length, deflate }.reply())?;
    let mut framed = PayloadWriter::new(&mut s.writer);
    let mut payload = Limited::new(&mut framed, s.limiter.as_mut());
    let mut moved = 0;
    let mut source = (&mut file).take(length);
    let copied = if deflate {
        let mut deflater = WireDeflater::new(&mut payload);
        payload::send_file(&mut source, &mut deflater, length, &mut |n| moved = n)
            .and_then(|c| deflater.finish().map(|_| c))
    } else {
        payload::send_file(&mut source, &mut payload, length, &mut |n| moved = n)
    };
    let copied = copied.and_then(|c| framed.finish().map(|_| c));
    let copied = match copied {
        Ok(c) => c,
        Err(e) => {
            let status = format!("aborted ({})", Cause::of(&e));
            s.log_transfer(what, &v.to_bytes(), moved, started, &status);
            return Err(e);
        }
    };
    let Copied {
        bytes: sent,
        crc,
        error: read_error,
    } = copied;
    let changed = !unchanged(&file, &before);
    let reply = match read_error {
        Some(e) => Error::io_path(path, &e).reply(),
        None if sent != length || changed => Error::path(path, Cause::Changed).reply(),
        None => Delivered {
            sums: Sums { length: sent, crc },
            extra: Extra::Stamp(Stamp::new(before.mtime, before.mtime_nsec, before.mode)),
        }
        .reply(),
    };
    s.log_transfer(what, &v.to_bytes(), sent, started, &status(&reply));
    s.reply(&reply)
}

/// Where an upload goes, decided before its payload is read.
struct Upload {
    shown: Vec<u8>,
    partial: Partial,
}

/// Check an upload's destination and open its partial file: a refusal here
/// still lets the payload be read (and thrown away).
fn prepare_upload(
    s: &mut Session,
    path: &[u8],
    length: u64,
    mode: StoreMode,
    offset: Option<u64>,
) -> Result<Upload, Error> {
    s.refuse_if_read_only(path)?;
    let v = s.resolve(path)?;
    let shown = v.to_bytes();
    let (dir, name, made_here) = s.cfg.root.new_entry_kept(&v, &mut s.last_dir)?;
    let replace = mode == StoreMode::Replace;
    let anonymous = match offset {
        Some(_) => None,
        None => Partial::anonymous(Arc::clone(&dir), &name, length, replace, made_here)
            .map_err(|e| Error::io_path(&shown, &e))?,
    };
    // Anonymous data is published by a link, which refuses a taken name by
    // itself (and a small payload is read whatever the answer): only named
    // data needs the look first, before its partial file is touched.
    let partial = match anonymous {
        Some(partial) => partial,
        None => {
            refuse_taken(&dir, &name, mode, &shown)?;
            Partial::open(dir, &name, offset.is_some()).map_err(|e| Error::io_path(&shown, &e))?
        }
    };
    if let Some(offset) = offset {
        let kept = partial.kept().map_err(|e| Error::io_path(&shown, &e))?;
        if kept == 0 {
            // Nothing was kept: opening made an empty file for nothing.
            partial.discard();
            return Err(Error::Transfer(format!(
                "'{}': no kept data to continue; start over",
                escape(&shown)
            )));
        }
        if kept != offset {
            return Err(Error::Transfer(format!(
                "'{}': kept data is {kept} bytes, not {offset}; start over",
                escape(&shown)
            )));
        }
    }
    Ok(Upload { shown, partial })
}

/// STOR: read exactly the announced payload and its trailer whatever happens,
/// and publish the file only when everything matched. An interrupted upload
/// keeps its partial data for `STOR … OFFSET`.
pub fn receive_file(
    s: &mut Session,
    path: &[u8],
    length: u64,
    mode: StoreMode,
    offset: Option<u64>,
) -> io::Result<()> {
    let started = Instant::now();
    // A small new file is published behind (`land`); any other upload
    // waits until those before it are.
    if offset.is_none() && length <= WHOLE_MAX_BYTES && mode == StoreMode::New {
        return receive_behind(s, path, length, started);
    }
    s.settle()?;
    let mut up = match prepare_upload(s, path, length, mode, offset) {
        Ok(up) => up,
        Err(e) => return refuse_upload(s, length, e),
    };
    let mut framed = PayloadReader::new(&mut s.reader, length);
    let mut payload = Limited::new(&mut framed, s.limiter.as_mut());
    let copied = payload::receive_file(&mut payload, up.partial.file(), length, &mut |_| {});
    let got = framed.total();
    let outcome = copied.and_then(|c| read_trailer(s).map(|t| (c, t)));
    let (copied, trailer) = match outcome {
        Ok(x) => x,
        Err(e) => return interrupted(s, up, got, started, e),
    };
    let Upload { shown, mut partial } = up;
    let outcome = match check_upload(&shown, &copied, trailer, length) {
        Ok(stamp) => stamp
            .map_or(Ok(()), |st| partial.stamp(st))
            .map_err(|e| Error::io_path(&shown, &e))
            .and_then(|()| {
                partial
                    .publish(mode == StoreMode::Replace)
                    .map_err(|e| Error::publish(&shown, &e))
            }),
        Err(e) => {
            partial.discard();
            Err(e)
        }
    };
    let sums = Sums {
        length: copied.bytes,
        crc: copied.crc,
    };
    let reply = stored_reply(outcome, sums);
    s.log_transfer("put", &shown, copied.bytes, started, &status(&reply));
    s.reply(&reply)
}

/// An upload refused before its payload was read: read it (and its
/// trailer) anyway, so the stream keeps its place, and answer.
fn refuse_upload(s: &mut Session, length: u64, e: Error) -> io::Result<()> {
    PayloadReader::new(&mut s.reader, length).drain()?;
    read_trailer(s)?;
    s.reply(&e.reply())
}

/// A small new file: its destination checked and its payload read whole
/// and checked here, then written and published behind (`land`). Cut off,
/// it leaves nothing.
fn receive_behind(s: &mut Session, path: &[u8], length: u64, started: Instant) -> io::Result<()> {
    let target = s.refuse_if_read_only(path).and_then(|()| {
        let v = s.resolve(path)?;
        let (dir, name, made_here) = s.cfg.root.new_entry_kept(&v, &mut s.last_dir)?;
        Ok((v.to_bytes(), dir, name, made_here))
    });
    let (shown, dir, name, made_here) = match target {
        Ok(t) => t,
        Err(e) => return refuse_upload(s, length, e),
    };
    let mut framed = PayloadReader::new(&mut s.reader, length);
    let mut payload = Limited::new(&mut framed, s.limiter.as_mut());
    let mut bytes = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
    let copied = payload::receive(&mut payload, &mut bytes, length, &mut |_| {});
    let got = framed.total();
    let outcome = copied.and_then(|c| read_trailer(s).map(|t| (c, t)));
    let (copied, trailer) = match outcome {
        Ok(x) => x,
        Err(e) => {
            let status = format!("abandoned ({})", Cause::of(&e));
            s.log_transfer("put", &shown, got, started, &status);
            return Err(e);
        }
    };
    match check_upload(&shown, &copied, trailer, length) {
        Ok(stamp) => s.land(Landing {
            dir,
            name,
            made_here,
            bytes,
            crc: copied.crc,
            stamp,
            shown,
            started,
        }),
        Err(e) => {
            let reply = e.reply();
            s.log_transfer("put", &shown, copied.bytes, started, &status(&reply));
            s.reply(&reply)
        }
    }
}

/// Whether what arrived is what the client says it sent (its trailer):
/// the stamp to give the file (as the server applies it) when it is.
fn check_upload(
    shown: &[u8],
    copied: &Copied,
    trailer: Trailer,
    length: u64,
) -> Result<Option<Stamp>, Error> {
    match (&copied.error, trailer) {
        (Some(e), _) => Err(Error::io_path(shown, e)),
        (None, Trailer::Abort) => Err(Error::Transfer(format!(
            "'{}': the client abandoned the upload",
            escape(shown)
        ))),
        (None, Trailer::Done { length: l, crc, .. })
            if l != copied.bytes || l != length || crc != copied.crc =>
        {
            Err(Error::Transfer(format!(
                "'{}': upload damaged (length or checksum mismatch)",
                escape(shown)
            )))
        }
        (None, Trailer::Done { stamp, .. }) => Ok(stamp.map(server_stamp)),
    }
}

/// Write bits for group and other: on the server these follow its umask.
const GROUP_OTHER_WRITE: u32 = 0o022;

/// An uploaded file's stamp as the server applies it: group and other
/// write bits only where the server's umask allows them.
fn server_stamp(stamp: Stamp) -> Stamp {
    let umask = umask().unwrap_or(GROUP_OTHER_WRITE);
    Stamp {
        mode: stamp.mode & !(umask & GROUP_OTHER_WRITE),
        ..stamp
    }
}

/// An upload cut off: a lost connection keeps the partial data for `-c`;
/// a broken protocol or no data at all keeps nothing. Returns the error.
fn interrupted(
    s: &Session,
    up: Upload,
    got: u64,
    started: Instant,
    e: io::Error,
) -> io::Result<()> {
    let keep = got > 0 && e.kind() != io::ErrorKind::InvalidData;
    let status = if keep {
        format!("interrupted ({}), partial data kept", Cause::of(&e))
    } else {
        format!("abandoned ({})", Cause::of(&e))
    };
    s.log_transfer("put", &up.shown, got, started, &status);
    if !keep {
        up.partial.discard();
    }
    Err(e)
}

/// How often COMPRESS says it is still working, so the client keeps waiting.
const WORKING_INTERVAL: Duration = Duration::from_secs(5);

/// COMPRESS: write PATH.gz beside PATH (streaming, published atomically,
/// never over an existing file unless `replace`), saying `110` now and then
/// while it works; the reply is `250 ORIGINAL COMPRESSED`.
pub fn compress(s: &mut Session, path: &[u8], level: u8, mode: StoreMode) -> io::Result<()> {
    let started = Instant::now();
    // About a thread per core, from the server's budget; none left, or one
    // core: this thread alone.
    let helpers = compress::claim(compress::cores());
    let threads = helpers.threads();
    let reply = match compress_file(s, path, level, mode, threads) {
        Ok((original, packed)) => Packed { original, packed }.reply(),
        Err(e) => e.reply(),
    };
    drop(helpers);
    let status = if reply.is_ok() {
        let unit = if threads == 1 { "thread" } else { "threads" };
        format!("ok {} ({threads} {unit})", reply.text)
    } else {
        status(&reply)
    };
    let shown = s
        .resolve(path)
        .map_or_else(|_| path.to_vec(), |v| v.to_bytes());
    s.cfg.log(
        &s.peer,
        &format!(
            "compress '{}' {:.3}s {status}",
            escape(&shown),
            started.elapsed().as_secs_f64()
        ),
    );
    s.reply(&reply)
}

fn compress_file(
    s: &mut Session,
    path: &[u8],
    level: u8,
    mode: StoreMode,
    threads: usize,
) -> Result<(u64, u64), Error> {
    s.refuse_if_read_only(path)?;
    let v = s.resolve(path)?;
    let (mut file, before) = s.cfg.root.open_file(&v)?;
    let name = v.name().unwrap_or_default().to_vec();
    let gz = s.resolve(&[path, b".gz"].concat())?;
    let shown = gz.to_bytes();
    let (dir, gz_name) = s.cfg.root.new_entry(&gz)?;
    refuse_taken(&dir, &gz_name, mode, &shown)?;
    let mut partial =
        Partial::open(dir, &gz_name, false).map_err(|e| Error::io_path(&shown, &e))?;
    let mut last = Instant::now();
    let writer = &mut s.writer;
    let mut working = |done: u64| {
        if last.elapsed() >= WORKING_INTERVAL {
            last = Instant::now();
            // A client that went away shows up at the final reply.
            let _ = Working(done).reply().write_to(writer);
            let _ = writer.flush();
        }
    };
    let packed = compress::gzip(
        &mut file,
        partial.file(),
        &name,
        before.mtime,
        level,
        threads,
        &mut working,
    );
    let outcome = match packed {
        Err(e) => Err(Error::io_path(&shown, &e)),
        Ok(_) if !unchanged(&file, &before) => Err(Error::path(&v.to_bytes(), Cause::Changed)),
        Ok(sizes) => Ok(sizes),
    };
    match outcome {
        Ok(sizes) => {
            partial
                .publish(mode == StoreMode::Replace)
                .map_err(|e| Error::publish(&shown, &e))?;
            Ok(sizes)
        }
        Err(e) => {
            partial.discard();
            Err(e)
        }
    }
}

/// Refuse early when `dest` exists and `mode` may not replace it; the
/// publish step refuses again, atomically.
fn refuse_taken(dir: &Dir, name: &[u8], mode: StoreMode, shown: &[u8]) -> Result<(), Error> {
    if mode == StoreMode::New && dir.stat(name).is_ok() {
        return Err(Error::path(shown, Cause::Exists));
    }
    Ok(())
}

/// CRC: the CRC-32 of the first `length` bytes of a file, so that a client
/// can check the partial download it kept before continuing it.
pub fn crc(s: &Session, path: &[u8], length: u64) -> Result<Reply, Error> {
    let v = s.resolve(path)?;
    let (mut file, meta) = s.cfg.root.open_file(&v)?;
    if length > meta.size {
        return Err(Error::path(
            &v.to_bytes(),
            Cause::Refused("shorter than that"),
        ));
    }
    let crc = crc_of(&mut file, length).map_err(|e| Error::io_path(&v.to_bytes(), &e))?;
    Ok(Sums { length, crc }.reply())
}

/// PARTIAL: the length and CRC-32 of the data an interrupted upload to
/// `path` kept (`0 00000000` when there is none).
pub fn partial(s: &Session, path: &[u8]) -> Result<Reply, Error> {
    s.refuse_if_read_only(path)?;
    let v = s.resolve(path)?;
    let (dir, name) = s.cfg.root.new_entry(&v)?;
    let shown = v.to_bytes();
    if !Partial::exists(&dir, &name) {
        return Ok(Sums { length: 0, crc: 0 }.reply());
    }
    let mut partial = Partial::open(dir, &name, true).map_err(|e| Error::io_path(&shown, &e))?;
    let length = partial.kept().map_err(|e| Error::io_path(&shown, &e))?;
    let crc = partial.crc().map_err(|e| Error::io_path(&shown, &e))?;
    Ok(Sums { length, crc }.reply())
}

/// Read the client's trailer after an upload payload; anything else breaks
/// the stream's framing, so the connection ends.
fn read_trailer(s: &mut Session) -> io::Result<Trailer> {
    let mut line = Vec::new();
    match read_line(&mut s.reader, &mut line)? {
        Line::Whole => Trailer::parse(&line)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad upload trailer")),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "bad upload trailer",
        )),
    }
}
