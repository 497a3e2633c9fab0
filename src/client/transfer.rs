//! The client's side of get and put: where the local file goes, the no-clobber
//! rule, the temp file published only after the final reply's length and
//! CRC-32 match, and progress.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::commands::Client;
use super::conn::{check_final, lost};
use super::term::Progress;
use crate::error::{Cause, Error};
use crate::fs::{Entry, Kind, TempFile, check_name};
use crate::wire::{
    Copied, PayloadReader, PayloadWriter, Request, StoreMode, Trailer, code, escape, payload,
};

/// Buffer between the socket and the disk, in bytes.
const FILE_BUFFER_BYTES: usize = 256 * 1024;

/// The last component of a `/`-separated path, checked to be a file name.
fn last_name(path: &[u8]) -> Result<&[u8], Error> {
    let name = path
        .split(|&b| b == b'/')
        .rev()
        .find(|p| !p.is_empty())
        .unwrap_or(b"");
    check_name(name).map_err(|why| Error::path(path, Cause::BadName(why)))?;
    Ok(name)
}

fn os_path(bytes: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(bytes))
}

/// Where a download of `name` lands: `local` itself, or `name` inside it
/// when it is a directory, or `name` in the current directory.
fn local_destination(local: Option<&[u8]>, name: &[u8]) -> PathBuf {
    match local {
        Some(l) => {
            let p = os_path(l);
            if p.is_dir() {
                p.join(OsStr::from_bytes(name))
            } else {
                p
            }
        }
        None => os_path(name),
    }
}

/// `get [-f] REMOTE [LOCAL]`.
pub fn get(cl: &mut Client, remote: &[u8], local: Option<&[u8]>, force: bool) -> Result<(), Error> {
    let name = last_name(remote)?;
    let dest = local_destination(local, name);
    let shown = dest.as_os_str().as_bytes().to_vec();
    match std::fs::symlink_metadata(&dest) {
        Ok(m) if m.is_dir() => return Err(Error::path(&shown, Cause::IsDir)),
        Ok(_) if !force => return Err(Error::path(&shown, Cause::Exists)),
        _ => {}
    }
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // The temp file exists before the request, so nothing can fail between
    // the announcement and reading the payload.
    let mut temp =
        TempFile::create(dir).map_err(|e| Error::io_path(dir.as_os_str().as_bytes(), &e))?;
    let length = cl.conn.expect_payload(&Request::Retr {
        path: remote.to_vec(),
        offset: 0,
    })?;
    let mut progress = Progress::new(format!("get '{}'", escape(remote)), length, cl.quiet);
    let mut payload = PayloadReader::new(&mut cl.conn.reader, length);
    let mut file = BufWriter::with_capacity(FILE_BUFFER_BYTES, temp.file());
    let copied =
        payload::receive(&mut payload, &mut file, &mut |n| progress.update(n)).map_err(lost)?;
    drop(file);
    let done = cl.conn.reply()?;
    if let Some(e) = copied.error {
        return Err(Error::io_path(&shown, &e));
    }
    check_final(&done, copied.bytes, copied.crc, length)?;
    temp.publish(&dest, force)
        .map_err(|e| Error::io_path(&shown, &e))?;
    progress.finish(copied.bytes);
    Ok(())
}

/// `put [-f] LOCAL [REMOTE]`.
pub fn put(cl: &mut Client, local: &[u8], remote: Option<&[u8]>, force: bool) -> Result<(), Error> {
    let path = os_path(local);
    let mut file = File::open(&path).map_err(|e| Error::io_path(local, &e))?;
    let before = file.metadata().map_err(|e| Error::io_path(local, &e))?;
    if before.is_dir() {
        return Err(Error::path(local, Cause::IsDir));
    }
    if !before.is_file() {
        return Err(Error::path(local, Cause::Special));
    }
    let name = last_name(local)?;
    let target = remote_target(cl, remote.unwrap_or(name), name, force)?;
    let length = before.len();
    let mode = if force {
        StoreMode::Replace
    } else {
        StoreMode::New
    };
    cl.conn.send(&Request::Stor {
        path: target.clone(),
        length,
        mode,
    })?;
    let mut progress = Progress::new(format!("put '{}'", escape(&target)), length, cl.quiet);
    let mut payload = PayloadWriter::new(&mut cl.conn.writer);
    let copied = payload::send(&mut (&mut file).take(length), &mut payload, &mut |n| {
        progress.update(n)
    })
    .map_err(lost)?;
    payload.finish().map_err(lost)?;
    let Copied { bytes, crc, error } = copied;
    let changed = file.metadata().map_or(true, |m| {
        m.len() != before.len()
            || m.mtime() != before.mtime()
            || m.mtime_nsec() != before.mtime_nsec()
    });
    let whole = error.is_none() && bytes == length && !changed;
    let trailer = if whole {
        Trailer::Done { length: bytes, crc }
    } else {
        Trailer::Abort
    };
    cl.conn
        .writer
        .write_all(trailer.to_line().as_bytes())
        .map_err(lost)?;
    cl.conn.flush()?;
    let done = cl.conn.reply()?;
    if let Some(e) = error {
        return Err(Error::io_path(local, &e));
    }
    if !whole {
        return Err(Error::path(local, Cause::Changed));
    }
    check_final(&done, bytes, crc, length)?;
    progress.finish(bytes);
    Ok(())
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
    if existing.as_ref().is_some_and(|e| e.kind == Kind::Dir) {
        if !target.ends_with(b"/") {
            target.push(b'/');
        }
        target.extend_from_slice(name);
        existing = stat(cl, &target)?;
    }
    match existing {
        Some(e) if e.kind == Kind::Dir => Err(Error::path(&target, Cause::IsDir)),
        Some(_) if !force => Err(Error::path(&target, Cause::Exists)),
        _ => Ok(target),
    }
}

/// STAT a remote path; `None` when the server says it does not exist.
fn stat(cl: &mut Client, path: &[u8]) -> Result<Option<Entry>, Error> {
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
