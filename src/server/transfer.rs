//! The server's side of RETR and STOR: a file out as an announced payload with
//! a checked final reply, and a file in through a temp file that is published
//! only when length and CRC-32 match what the client said it sent.

use std::ffi::OsStr;
use std::io::{self, BufWriter, Read, Seek, SeekFrom};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::time::Instant;

use super::session::Session;
use crate::error::{Cause, Error};
use crate::fs::TempFile;
use crate::wire::{
    Copied, Line, PayloadReader, PayloadWriter, Reply, StoreMode, Trailer, code, escape, payload,
    read_line,
};

/// Buffer between the disk and the socket, in bytes.
const FILE_BUFFER_BYTES: usize = 256 * 1024;

/// RETR: send `path` from `offset`. Errors returned are connection errors;
/// refusals become replies.
pub fn send_file(s: &mut Session, path: &[u8], offset: u64) -> io::Result<()> {
    let opened = s.resolve(path).and_then(|v| {
        let (file, meta) = s.cfg.root.open_file(&v)?;
        if offset > meta.len() {
            return Err(Error::path(
                path,
                Cause::BadName("offset beyond the end of the file"),
            ));
        }
        Ok((v, file, meta))
    });
    let (v, mut file, before) = match opened {
        Ok(x) => x,
        Err(e) => return s.reply(&e.reply()),
    };
    let started = Instant::now();
    let length = before.len() - offset;
    if let Err(e) = file.seek(SeekFrom::Start(offset)) {
        return s.reply(&Error::io_path(path, &e).reply());
    }
    s.reply(&Reply::payload(length))?;
    let mut payload = PayloadWriter::new(&mut s.writer);
    let copied = payload::send(&mut (&mut file).take(length), &mut payload, &mut |_| {})
        .and_then(|c| payload.finish().map(|_| c));
    let copied = match copied {
        Ok(c) => c,
        Err(e) => {
            let status = format!("aborted ({})", Cause::of(&e));
            log_transfer(s, "get", &v.to_bytes(), 0, started, &status);
            return Err(e);
        }
    };
    let Copied {
        bytes: sent,
        crc,
        error: read_error,
    } = copied;
    let changed = match file.metadata() {
        Ok(after) => {
            after.len() != before.len()
                || after.mtime() != before.mtime()
                || after.mtime_nsec() != before.mtime_nsec()
        }
        Err(_) => true,
    };
    let reply = match read_error {
        Some(e) => Error::io_path(path, &e).reply(),
        None if sent != length || changed => Error::path(path, Cause::Changed).reply(),
        None => Reply::transfer_ok(sent, crc),
    };
    log_transfer(s, "get", &v.to_bytes(), sent, started, &status(&reply));
    s.reply(&reply)
}

/// STOR: read exactly the announced payload and its trailer whatever happens,
/// and publish the file only when everything matched.
pub fn receive_file(s: &mut Session, path: &[u8], length: u64, mode: StoreMode) -> io::Result<()> {
    let started = Instant::now();
    let target = s.refuse_if_read_only(path).and_then(|()| {
        let v = s.resolve(path)?;
        let (dir, name) = s.cfg.root.new_entry(&v)?;
        let dest = dir.join(OsStr::from_bytes(&name));
        if mode == StoreMode::New && std::fs::symlink_metadata(&dest).is_ok() {
            return Err(Error::path(path, Cause::Exists));
        }
        let temp = TempFile::create(&dir).map_err(|e| Error::io_path(path, &e))?;
        Ok((v, dest, temp))
    });
    let mut payload = PayloadReader::new(&mut s.reader, length);
    let (v, dest, mut temp) = match target {
        Ok(t) => t,
        Err(e) => {
            payload.drain()?;
            read_trailer(s)?;
            return s.reply(&e.reply());
        }
    };
    let mut file = BufWriter::with_capacity(FILE_BUFFER_BYTES, temp.file());
    let copied = payload::receive(&mut payload, &mut file, &mut |_| {});
    drop(file);
    let copied = match copied {
        Ok(c) => c,
        Err(e) => {
            let status = format!("aborted ({})", Cause::of(&e));
            let got = payload.total();
            log_transfer(s, "put", &v.to_bytes(), got, started, &status);
            return Err(e);
        }
    };
    let Copied {
        bytes: received,
        crc,
        error: write_error,
    } = copied;
    let trailer = read_trailer(s)?;
    let outcome = match (write_error, trailer) {
        (Some(e), _) => Err(Error::io_path(path, &e)),
        (None, Trailer::Abort) => Err(Error::Transfer(format!(
            "'{}': the client abandoned the upload",
            escape(path)
        ))),
        (None, Trailer::Done { length: l, crc: c }) if l != received || l != length || c != crc => {
            Err(Error::Transfer(format!(
                "'{}': upload damaged (length or checksum mismatch)",
                escape(path)
            )))
        }
        (None, Trailer::Done { .. }) => temp
            .publish(&dest, mode == StoreMode::Replace)
            .map_err(|e| Error::io_path(path, &e)),
    };
    let reply = match outcome {
        Ok(()) => Reply::transfer_ok(received, crc),
        Err(e) => e.reply(),
    };
    log_transfer(s, "put", &v.to_bytes(), received, started, &status(&reply));
    s.reply(&reply)
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

/// `ok`, or `failed CODE TEXT`, for the log.
fn status(reply: &Reply) -> String {
    if reply.code == code::TRANSFER_OK {
        "ok".to_string()
    } else {
        format!("failed {} {}", reply.code, reply.text)
    }
}

/// One log line for a transfer: what, path, bytes, duration, outcome.
fn log_transfer(s: &Session, what: &str, path: &[u8], bytes: u64, started: Instant, status: &str) {
    let secs = started.elapsed().as_secs_f64();
    s.cfg.log(
        &s.peer,
        &format!(
            "{what} '{}' {bytes} bytes {secs:.3}s {status}",
            escape(path)
        ),
    );
}
