//! The served tree: resolving a client's path inside the root, reading
//! entries, and the atomic temp-file-then-publish write that both ends use.
//! No sockets and no terminal; listing layout lives in `listing`.

pub mod compress;
pub mod glob;
pub mod listing;

use std::ffi::OsStr;
use std::fs::{self, File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Cause, Error};
pub use listing::{Entry, Kind};

/// Longest single name in a path, in bytes (the common file-system limit).
pub const MAX_NAME_BYTES: usize = 255;
/// Most entries one listing may hold; a larger directory is refused.
pub const MAX_LIST_ENTRIES: usize = 100_000;
/// `O_NONBLOCK` on Linux (the same on x86_64 and aarch64).
const O_NONBLOCK: i32 = 0o4000;
/// Prefix of the hidden files that hold a transfer until it is published.
pub const PARTIAL_PREFIX: &str = ".rftp-part.";

/// A path inside the served tree, as normal components from the root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VPath(Vec<Vec<u8>>);

impl VPath {
    /// The root itself.
    pub fn root() -> VPath {
        VPath(Vec::new())
    }

    /// The path as the client sees it: `/` for the root, `/a/b` below it.
    pub fn to_bytes(&self) -> Vec<u8> {
        if self.0.is_empty() {
            return b"/".to_vec();
        }
        let mut out = Vec::new();
        for part in &self.0 {
            out.push(b'/');
            out.extend_from_slice(part);
        }
        out
    }

    /// The last component, if this is not the root.
    pub fn name(&self) -> Option<&[u8]> {
        self.0.last().map(Vec::as_slice)
    }
}

/// Check one name a peer gave for a file: non-empty, not `.` or `..`, no `/`,
/// no NUL, no backslash, not overlong. Used by both ends.
pub fn check_name(name: &[u8]) -> Result<(), &'static str> {
    if name.is_empty() || name == b"." || name == b".." {
        return Err("not a file name");
    }
    if name.contains(&b'/') {
        return Err("name contains a slash");
    }
    if name.contains(&0) {
        return Err("name contains a NUL byte");
    }
    if name.contains(&b'\\') {
        return Err("name contains a backslash");
    }
    if name.len() > MAX_NAME_BYTES {
        return Err("name too long");
    }
    Ok(())
}

/// The served tree: a canonical root directory.
#[derive(Debug, Clone)]
pub struct Root {
    real: PathBuf,
}

impl Root {
    /// Open `dir` as the root; it must be a directory.
    pub fn open(dir: &Path) -> Result<Root, Error> {
        let real =
            fs::canonicalize(dir).map_err(|e| Error::io_path(dir.as_os_str().as_bytes(), &e))?;
        if !real.is_dir() {
            return Err(Error::path(dir.as_os_str().as_bytes(), Cause::NotDir));
        }
        Ok(Root { real })
    }

    /// The root's real path (for the server's own log, never for the peer).
    pub fn real(&self) -> &Path {
        &self.real
    }

    /// Resolve `path` from the client against `cwd`: `/` starts at the root,
    /// `.` and empty parts are skipped, `..` goes up but never above the root.
    /// NUL and backslash are refused. Touches no file.
    pub fn resolve(&self, cwd: &VPath, path: &[u8]) -> Result<VPath, Error> {
        if path.is_empty() {
            return Err(Error::path(path, Cause::BadName("empty path")));
        }
        if path.contains(&0) {
            return Err(Error::path(
                path,
                Cause::BadName("path contains a NUL byte"),
            ));
        }
        if path.contains(&b'\\') {
            return Err(Error::path(
                path,
                Cause::BadName("path contains a backslash"),
            ));
        }
        let mut parts = if path.starts_with(b"/") {
            Vec::new()
        } else {
            cwd.0.clone()
        };
        for part in path.split(|&b| b == b'/') {
            match part {
                b"" | b"." => {}
                b".." => {
                    if parts.pop().is_none() {
                        return Err(Error::path(path, Cause::Outside));
                    }
                }
                name if name.len() > MAX_NAME_BYTES => {
                    return Err(Error::path(path, Cause::BadName("name too long")));
                }
                name => parts.push(name.to_vec()),
            }
        }
        Ok(VPath(parts))
    }

    fn join(&self, v: &VPath) -> PathBuf {
        let mut p = self.real.clone();
        for part in &v.0 {
            p.push(OsStr::from_bytes(part));
        }
        p
    }

    /// The real path of `v` after following every link, refused unless it
    /// is still inside the root.
    fn canonical(&self, v: &VPath) -> Result<PathBuf, Error> {
        let shown = v.to_bytes();
        let joined = self.join(v);
        let real = match fs::canonicalize(&joined) {
            Ok(real) => real,
            Err(e) => {
                // Say "outside" for a missing name behind a link out of the
                // root too, so that nothing about the outside shows through.
                let escapes = joined
                    .ancestors()
                    .find_map(|a| fs::canonicalize(a).ok())
                    .is_some_and(|a| !a.starts_with(&self.real));
                let cause = if escapes {
                    Cause::Outside
                } else {
                    Cause::of(&e)
                };
                return Err(Error::path(&shown, cause));
            }
        };
        if !real.starts_with(&self.real) {
            return Err(Error::path(&shown, Cause::Outside));
        }
        Ok(real)
    }

    /// Type, size and time of an existing path inside the root.
    pub fn stat(&self, v: &VPath) -> Result<Entry, Error> {
        let real = self.canonical(v)?;
        let meta = fs::metadata(&real).map_err(|e| Error::io_path(&v.to_bytes(), &e))?;
        let name = v.name().unwrap_or(b"/").to_vec();
        Ok(entry(name, &meta))
    }

    /// The real path of an existing directory inside the root.
    pub fn dir(&self, v: &VPath) -> Result<PathBuf, Error> {
        let real = self.canonical(v)?;
        match fs::metadata(&real) {
            Ok(m) if m.is_dir() => Ok(real),
            Ok(_) => Err(Error::path(&v.to_bytes(), Cause::NotDir)),
            Err(e) => Err(Error::io_path(&v.to_bytes(), &e)),
        }
    }

    /// Open an existing regular file inside the root for reading. FIFOs,
    /// devices and sockets are refused before anything opens them.
    pub fn open_file(&self, v: &VPath) -> Result<(File, Metadata), Error> {
        let shown = v.to_bytes();
        let real = self.canonical(v)?;
        let meta = fs::metadata(&real).map_err(|e| Error::io_path(&shown, &e))?;
        if meta.is_dir() {
            return Err(Error::path(&shown, Cause::IsDir));
        }
        if !meta.is_file() {
            return Err(Error::path(&shown, Cause::Special));
        }
        // Non-blocking, so that a FIFO swapped in after the check above
        // cannot hold the connection; regular files read the same either way.
        let file = fs::OpenOptions::new()
            .read(true)
            .custom_flags(O_NONBLOCK)
            .open(&real)
            .map_err(|e| Error::io_path(&shown, &e))?;
        let meta = file.metadata().map_err(|e| Error::io_path(&shown, &e))?;
        if !meta.is_file() {
            return Err(Error::path(&shown, Cause::Special));
        }
        Ok((file, meta))
    }

    /// Where a new entry named by `v` would go: its parent must be an existing
    /// directory inside the root. Returns the parent's real path and the name.
    pub fn new_entry(&self, v: &VPath) -> Result<(PathBuf, Vec<u8>), Error> {
        let name = v
            .name()
            .ok_or_else(|| Error::path(b"/", Cause::BadName("not a file name")))?;
        check_name(name).map_err(|why| Error::path(&v.to_bytes(), Cause::BadName(why)))?;
        let parent = VPath(v.0[..v.0.len() - 1].to_vec());
        Ok((self.dir(&parent)?, name.to_vec()))
    }

    /// The entries of a directory, or the one entry of a file, in `ls` order.
    pub fn list(&self, v: &VPath) -> Result<Vec<Entry>, Error> {
        let shown = v.to_bytes();
        let real = self.canonical(v)?;
        let meta = fs::metadata(&real).map_err(|e| Error::io_path(&shown, &e))?;
        if !meta.is_dir() {
            return Ok(vec![entry(v.name().unwrap_or(b"/").to_vec(), &meta)]);
        }
        let mut entries = Vec::new();
        for item in fs::read_dir(&real).map_err(|e| Error::io_path(&shown, &e))? {
            let Ok(item) = item else { continue };
            if entries.len() == MAX_LIST_ENTRIES {
                return Err(Error::path(
                    &shown,
                    Cause::Refused("too many entries to list"),
                ));
            }
            let Ok(meta) = item.metadata() else { continue };
            let name = item.file_name().as_bytes().to_vec();
            entries.push(self.entry_following_inside(&item.path(), name, &meta));
        }
        listing::sort(&mut entries);
        Ok(entries)
    }

    /// An entry for a directory item; a link is shown as what it points to
    /// when that is inside the root, and as a link otherwise.
    fn entry_following_inside(&self, path: &Path, name: Vec<u8>, meta: &Metadata) -> Entry {
        if meta.file_type().is_symlink()
            && let Ok(target) = fs::canonicalize(path)
            && target.starts_with(&self.real)
            && let Ok(m) = fs::metadata(&target)
        {
            return entry(name, &m);
        }
        entry(name, meta)
    }

    /// Make a directory.
    pub fn mkdir(&self, v: &VPath) -> Result<(), Error> {
        let (parent, name) = self.new_entry(v)?;
        fs::create_dir(parent.join(OsStr::from_bytes(&name)))
            .map_err(|e| Error::io_path(&v.to_bytes(), &e))
    }

    /// Remove an empty directory (never the root).
    pub fn rmdir(&self, v: &VPath) -> Result<(), Error> {
        let (parent, name) = self.new_entry(v)?;
        let path = parent.join(OsStr::from_bytes(&name));
        let meta = fs::symlink_metadata(&path).map_err(|e| Error::io_path(&v.to_bytes(), &e))?;
        if !meta.is_dir() {
            return Err(Error::path(&v.to_bytes(), Cause::NotDir));
        }
        fs::remove_dir(path).map_err(|e| Error::io_path(&v.to_bytes(), &e))
    }

    /// Remove a file (or a link itself); directories are refused.
    pub fn remove(&self, v: &VPath) -> Result<(), Error> {
        let (parent, name) = self.new_entry(v)?;
        let path = parent.join(OsStr::from_bytes(&name));
        let meta = fs::symlink_metadata(&path).map_err(|e| Error::io_path(&v.to_bytes(), &e))?;
        if meta.is_dir() {
            return Err(Error::path(&v.to_bytes(), Cause::IsDir));
        }
        fs::remove_file(path).map_err(|e| Error::io_path(&v.to_bytes(), &e))
    }

    /// Rename `from` to `to`, refusing when `to` exists.
    pub fn rename(&self, from: &VPath, to: &VPath) -> Result<(), Error> {
        let (from_parent, from_name) = self.new_entry(from)?;
        let (to_parent, to_name) = self.new_entry(to)?;
        let source = from_parent.join(OsStr::from_bytes(&from_name));
        let dest = to_parent.join(OsStr::from_bytes(&to_name));
        let meta =
            fs::symlink_metadata(&source).map_err(|e| Error::io_path(&from.to_bytes(), &e))?;
        // Links stay where they are: moving one into a path another client is
        // using could swap a directory for a way out of the root.
        if meta.file_type().is_symlink() {
            let why = Cause::Refused("cannot rename a symbolic link");
            return Err(Error::path(&from.to_bytes(), why));
        }
        if meta.is_dir() && dest.starts_with(&source) {
            return Err(Error::path(
                &to.to_bytes(),
                Cause::Refused("cannot move a directory into itself"),
            ));
        }
        if meta.is_dir() {
            // Directories cannot be hard-linked; check, then rename.
            if fs::symlink_metadata(&dest).is_ok() {
                return Err(Error::path(&to.to_bytes(), Cause::Taken));
            }
            return fs::rename(&source, &dest).map_err(|e| Error::io_path(&to.to_bytes(), &e));
        }
        link_no_clobber(&source, &dest).map_err(|e| Error::io_path(&to.to_bytes(), &e))?;
        fs::remove_file(&source).map_err(|e| Error::io_path(&from.to_bytes(), &e))
    }
}

/// Give `source` the name `dest` unless `dest` exists, atomically: a hard
/// link fails when the name is taken, where a rename would replace it.
fn link_no_clobber(source: &Path, dest: &Path) -> io::Result<()> {
    match fs::hard_link(source, dest) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        // File systems without hard links: the best left is check-then-rename.
        Err(_) if fs::symlink_metadata(dest).is_err() => fs::rename(source, dest),
        Err(_) => Err(io::ErrorKind::AlreadyExists.into()),
    }
}

/// An entry from metadata.
fn entry(name: Vec<u8>, meta: &Metadata) -> Entry {
    let kind = if meta.is_dir() {
        Kind::Dir
    } else if meta.is_file() {
        Kind::File
    } else if meta.file_type().is_symlink() {
        Kind::Link
    } else {
        Kind::Other
    };
    Entry {
        name,
        kind,
        mode: meta.permissions().mode() & 0o7777,
        size: if kind == Kind::File { meta.len() } else { 0 },
        mtime: meta.mtime(),
    }
}

/// Where a transfer's data waits until it is complete: `.rftp-part.NAME` in
/// the destination directory (or `.rftp-part.CRC` when the name is too
/// long), locked while a transfer uses it. Published under the real name
/// when complete and checked; removed by `discard` when the data is bad;
/// kept when the transfer is interrupted, so that `-c` can continue it.
pub struct Partial {
    path: PathBuf,
    file: File,
}

/// Tries at opening and locking a partial file before giving up, when other
/// transfers keep replacing it under our feet.
const PARTIAL_OPEN_TRIES: u32 = 5;

impl Partial {
    /// The name of the partial file for `name`.
    pub fn name_for(name: &[u8]) -> Vec<u8> {
        let mut out = PARTIAL_PREFIX.as_bytes().to_vec();
        if out.len() + name.len() <= MAX_NAME_BYTES {
            out.extend_from_slice(name);
        } else {
            out.extend_from_slice(format!("{:08x}", crc32fast::hash(name)).as_bytes());
        }
        out
    }

    /// Open and lock the partial file for `name` in `dir`, creating it. With
    /// `resume` its data is kept and writing continues at its end; otherwise
    /// it starts empty. Fails with `WouldBlock` while another transfer holds it.
    pub fn open(dir: &Path, name: &[u8], resume: bool) -> io::Result<Partial> {
        let path = dir.join(OsStr::from_bytes(&Partial::name_for(name)));
        for _ in 0..PARTIAL_OPEN_TRIES {
            let file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => return Err(io::ErrorKind::WouldBlock.into()),
                Err(fs::TryLockError::Error(e)) => return Err(e),
            }
            // The name may have been published or replaced between open and
            // lock; only the file still under the name is ours to use.
            let ours = file.metadata()?;
            match fs::symlink_metadata(&path) {
                Ok(now) if now.dev() == ours.dev() && now.ino() == ours.ino() && ours.is_file() => {
                }
                _ => continue,
            }
            let mut partial = Partial { path, file };
            if resume {
                partial.file.seek(SeekFrom::End(0))?;
            } else {
                partial.file.set_len(0)?;
            }
            return Ok(partial);
        }
        Err(io::Error::other("partial file keeps changing"))
    }

    /// Bytes held so far.
    pub fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    /// CRC-32 of the bytes held so far; leaves the position at the end.
    pub fn crc(&mut self) -> io::Result<u32> {
        self.file.seek(SeekFrom::Start(0))?;
        let crc = crc_of(&mut self.file, u64::MAX)?;
        self.file.seek(SeekFrom::End(0))?;
        Ok(crc)
    }

    /// Throw the data away and start empty.
    pub fn restart(&mut self) -> io::Result<()> {
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0)).map(|_| ())
    }

    /// The open file, positioned for appending.
    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// Give the data the name `dest`: replacing an existing file atomically
    /// when `replace`, failing with `AlreadyExists` otherwise. Data that
    /// cannot be published is removed: it is complete, so no `-c` wants it.
    pub fn publish(self, dest: &Path, replace: bool) -> io::Result<()> {
        let published = if replace {
            fs::rename(&self.path, dest)
        } else {
            link_no_clobber(&self.path, dest)
        };
        if let Err(e) = published {
            let _ = fs::remove_file(&self.path);
            return Err(e);
        }
        if !replace {
            // The data is safe under its real name; a leftover partial name
            // would only be restarted by the next transfer.
            let _ = fs::remove_file(&self.path);
        }
        Ok(())
    }

    /// Remove the partial data: it is bad or no longer wanted.
    pub fn discard(self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Whether `file` still has the size and modification time of `before`.
pub fn unchanged(file: &File, before: &Metadata) -> bool {
    file.metadata().is_ok_and(|now| {
        now.len() == before.len()
            && now.mtime() == before.mtime()
            && now.mtime_nsec() == before.mtime_nsec()
    })
}

/// CRC-32 of the next `limit` bytes of `r` (or up to its end).
pub fn crc_of(r: &mut impl Read, limit: u64) -> io::Result<u32> {
    let mut hasher = crc32fast::Hasher::new();
    let mut buf = vec![0; 256 * 1024];
    let mut r = r.take(limit);
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(hasher.finalize()),
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> (PathBuf, Root) {
        let dir = std::env::temp_dir().join(format!(
            "rftp-fs-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("sub")).unwrap();
        let root = Root::open(&dir).unwrap();
        (dir, root)
    }

    #[test]
    fn resolve_stays_inside() {
        let (dir, root) = root();
        let sub = root.resolve(&VPath::root(), b"sub").unwrap();
        assert_eq!(
            root.resolve(&sub, b"../a/./b//c").unwrap().to_bytes(),
            b"/a/b/c"
        );
        assert_eq!(root.resolve(&sub, b"/x").unwrap().to_bytes(), b"/x");
        assert_eq!(root.resolve(&sub, b"..").unwrap(), VPath::root());
        for bad in [&b"../.."[..], b"/..", b"a\\b", b"a\0b", b""] {
            assert!(root.resolve(&sub, bad).is_err(), "{:?}", bad);
        }
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn link_out_of_root_is_refused() {
        let (dir, root) = root();
        std::os::unix::fs::symlink("/etc", dir.join("out")).unwrap();
        let v = root.resolve(&VPath::root(), b"out/passwd").unwrap();
        assert!(matches!(
            root.open_file(&v),
            Err(Error::Path {
                cause: Cause::Outside,
                ..
            })
        ));
        let listed = root.list(&VPath::root()).unwrap();
        assert!(
            listed
                .iter()
                .any(|e| e.name == b"out" && e.kind == Kind::Link)
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn publish_never_clobbers_without_replace() {
        let (dir, _root) = root();
        let dest = dir.join("f");
        fs::write(&dest, b"old").unwrap();
        let mut p = Partial::open(&dir, b"f", false).unwrap();
        io::Write::write_all(p.file(), b"new").unwrap();
        let err = p.publish(&dest, false).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&dest).unwrap(), b"old");
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            2,
            "unpublishable data removed"
        );
        let mut p = Partial::open(&dir, b"f", false).unwrap();
        io::Write::write_all(p.file(), b"new").unwrap();
        drop(p);
        let mut p = Partial::open(&dir, b"f", true).unwrap();
        assert_eq!(p.len().unwrap(), 3, "kept for resuming");
        io::Write::write_all(p.file(), b"er").unwrap();
        assert_eq!(p.crc().unwrap(), crc32fast::hash(b"newer"));
        p.publish(&dest, true).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"newer");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 2, "partial gone");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_partial_in_use_is_locked() {
        let (dir, _root) = root();
        let p = Partial::open(&dir, b"x", false).unwrap();
        let err = Partial::open(&dir, b"x", true).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        p.discard();
        Partial::open(&dir, b"x", false).unwrap().discard();
        assert_eq!(
            Partial::name_for(&[b'n'; 250]).len(),
            PARTIAL_PREFIX.len() + 8
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn names_from_peers_are_checked() {
        for bad in [&b""[..], b".", b"..", b"a/b", b"a\0", b"a\\b", &[b'x'; 256]] {
            assert!(check_name(bad).is_err());
        }
        assert!(check_name("é 😀\n.txt".as_bytes()).is_ok());
    }
}
