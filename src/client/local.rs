//! The local side: `lcd`, `lpwd` and `lls`. The local tree is the user's
//! own, read with `std::fs` as any program would: no jail, links followed
//! wherever they point, and every name shown, the partial files of
//! interrupted downloads among them (with `-a`).

use std::ffi::{OsStr, OsString};
use std::fs::{self, Metadata};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::show::{format_long, format_ls, print_out};
use crate::error::Error;
use crate::wire::entry::compare;
use crate::wire::{Entry, Kind, escape};

/// The bits of a file's mode an entry shows: permissions, setuid, setgid,
/// sticky.
const MODE_BITS: u32 = 0o7777;

/// `lcd [DIR]`: change the local directory (none: home).
pub fn lcd(dir: Option<&[u8]>) -> Result<(), Error> {
    let target = match dir {
        Some(d) => PathBuf::from(OsString::from_vec(d.to_vec())),
        None => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/")),
    };
    std::env::set_current_dir(&target)
        .map_err(|e| Error::io_path(target.as_os_str().as_bytes(), &e))
}

/// `lpwd`: print the local directory.
pub fn lpwd() -> Result<(), Error> {
    let dir = std::env::current_dir()
        .map_err(|e| Error::Io("cannot read the local directory".into(), e))?;
    print_out(format!("{}\n", escape(dir.as_os_str().as_bytes())).as_bytes())
}

/// `lls [-l] [-a] [PATH]`: the local directory, or what PATH names, laid
/// out as `ls` lays out a remote one.
pub fn lls(path: Option<&[u8]>, long: bool, all: bool) -> Result<(), Error> {
    let entries = local_entries(path.unwrap_or(b"."))?;
    let text = if long {
        format_long(&entries, all)
    } else {
        format_ls(&entries, all)
    };
    print_out(text.as_bytes())
}

/// The entries of the local directory `path` in name order, or the one
/// entry of what else it names.
pub(super) fn local_entries(path: &[u8]) -> Result<Vec<Entry>, Error> {
    let p = Path::new(OsStr::from_bytes(path));
    // A link that points nowhere is shown as the link it is.
    let meta = fs::metadata(p)
        .or_else(|e| fs::symlink_metadata(p).map_err(|_| e))
        .map_err(|e| Error::io_path(path, &e))?;
    if !meta.is_dir() {
        let name = p.file_name().map_or(path, OsStrExt::as_bytes);
        return Ok(vec![entry(name.to_vec(), &meta)]);
    }
    let mut entries = Vec::new();
    for item in fs::read_dir(p).map_err(|e| Error::io_path(path, &e))? {
        let item = item.map_err(|e| Error::io_path(path, &e))?;
        // A name removed since the directory was read is left out.
        if let Some(e) = local_entry(item.file_name().into_vec(), &item.path()) {
            entries.push(e);
        }
    }
    entries.sort_by(|a, b| compare(&a.name, &b.name));
    Ok(entries)
}

/// The entry for the local `path`: what a link points to, or the link
/// itself when it points nowhere; `None` when the name is gone.
fn local_entry(name: Vec<u8>, path: &Path) -> Option<Entry> {
    let meta = fs::symlink_metadata(path).ok()?;
    let meta = if meta.file_type().is_symlink() {
        fs::metadata(path).unwrap_or(meta)
    } else {
        meta
    };
    Some(entry(name, &meta))
}

/// An entry from what the OS says of a local file.
fn entry(name: Vec<u8>, meta: &Metadata) -> Entry {
    let t = meta.file_type();
    let kind = if t.is_dir() {
        Kind::Dir
    } else if t.is_file() {
        Kind::File
    } else if t.is_symlink() {
        Kind::Link
    } else {
        Kind::Other
    };
    Entry {
        name,
        kind,
        mode: meta.mode() & MODE_BITS,
        size: if kind == Kind::File { meta.len() } else { 0 },
        mtime: meta.mtime(),
        mtime_nsec: u32::try_from(meta.mtime_nsec()).unwrap_or(0),
    }
}
