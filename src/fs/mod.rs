//! The served tree: resolving a client's path inside the root and the
//! operations on it. Listing layout lives in `listing`, patterns in `glob`,
//! partial files and their atomic publishing in `partial`, gzip and deflate
//! in `compress`. No sockets and no terminal.

pub mod compress;
pub mod glob;
pub mod listing;
mod partial;

use std::ffi::OsStr;
use std::fs::{self, File, Metadata};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use crate::error::{Cause, Error};
pub use listing::{Entry, Kind};
pub use partial::{Partial, crc_of, unchanged};

/// Longest single name in a path, in bytes (the common file-system limit).
pub const MAX_NAME_BYTES: usize = 255;
/// Most entries one listing may hold; a larger directory is refused.
pub const MAX_LIST_ENTRIES: usize = 100_000;
/// `O_NONBLOCK` on Linux (the same on x86_64 and aarch64).
pub(crate) const O_NONBLOCK: i32 = 0o4000;
/// `O_NOFOLLOW` on Linux, which differs between the two architectures.
#[cfg(target_arch = "aarch64")]
pub(crate) const O_NOFOLLOW: i32 = 0o100000;
/// `O_NOFOLLOW` on Linux, which differs between the two architectures.
#[cfg(not(target_arch = "aarch64"))]
pub(crate) const O_NOFOLLOW: i32 = 0o400000;
/// Prefix of the hidden files that hold a transfer until it is published.
pub const PARTIAL_PREFIX: &str = ".rftp-part.";
/// Prefix of the partial files of names too long for `PARTIAL_PREFIX`: a
/// prefix of its own, so that no short name's partial file can be one.
pub const LONG_PARTIAL_PREFIX: &str = ".rftp-long.";

/// Whether `name` is one of the server's partial files, which clients may
/// not name (but to remove one) and never see in a listing.
pub fn is_partial_name(name: &[u8]) -> bool {
    name.starts_with(PARTIAL_PREFIX.as_bytes()) || name.starts_with(LONG_PARTIAL_PREFIX.as_bytes())
}

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

/// An open directory inside the root. It derefs to a path that names the
/// open directory itself (`/proc/self/fd/N`), so names joined to it stay in
/// that directory whatever is renamed around it meanwhile. Keep it alive as
/// long as such paths are used.
pub struct Dir {
    path: PathBuf,
    _file: File,
}

impl std::ops::Deref for Dir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
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
    /// Partial-file names are refused: they belong to transfers in progress.
    pub fn resolve(&self, cwd: &VPath, path: &[u8]) -> Result<VPath, Error> {
        let v = self.resolve_partial_ok(cwd, path)?;
        if v.0.iter().any(|name| is_partial_name(name)) {
            let why = "name reserved for partial transfers";
            return Err(Error::path(path, Cause::BadName(why)));
        }
        Ok(v)
    }

    /// `resolve`, letting partial-file names through: only for removing one.
    pub fn resolve_partial_ok(&self, cwd: &VPath, path: &[u8]) -> Result<VPath, Error> {
        resolve_path(cwd, path)
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

    /// Open an existing directory inside the root.
    pub fn dir(&self, v: &VPath) -> Result<Dir, Error> {
        let shown = v.to_bytes();
        let real = self.canonical(v)?;
        let file = fs::OpenOptions::new()
            .read(true)
            .custom_flags(O_NONBLOCK)
            .open(&real)
            .map_err(|e| Error::io_path(&shown, &e))?;
        match file.metadata() {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(Error::path(&shown, Cause::NotDir)),
            Err(e) => return Err(Error::io_path(&shown, &e)),
        }
        let fd_path = self.check_opened(&file, &shown)?;
        Ok(Dir {
            path: fd_path.unwrap_or(real),
            _file: file,
        })
    }

    /// Check where an opened file really is: the path was checked before it
    /// was opened, and a rename in between could have moved a link into it.
    /// Returns the file's `/proc/self/fd` path, or `None` where there is no
    /// `/proc` (and only the check before opening stands).
    fn check_opened(&self, file: &File, shown: &[u8]) -> Result<Option<PathBuf>, Error> {
        let fd_path = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
        match fs::read_link(&fd_path) {
            Ok(real) if real.starts_with(&self.real) => Ok(Some(fd_path)),
            Ok(_) => Err(Error::path(shown, Cause::Outside)),
            Err(_) => Ok(None),
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
        self.check_opened(&file, &shown)?;
        Ok((file, meta))
    }

    /// Where a new entry named by `v` would go: its parent must be an existing
    /// directory inside the root. Returns the open parent and the name.
    pub fn new_entry(&self, v: &VPath) -> Result<(Dir, Vec<u8>), Error> {
        let name = v
            .name()
            .ok_or_else(|| Error::path(b"/", Cause::BadName("not a file name")))?;
        check_name(name).map_err(|why| Error::path(&v.to_bytes(), Cause::BadName(why)))?;
        let parent = VPath(v.0[..v.0.len() - 1].to_vec());
        Ok((self.dir(&parent)?, name.to_vec()))
    }

    /// The entries of a directory, or the one entry of a file, in `order`,
    /// as an iterator the caller sends on as it goes.
    pub fn list(&self, v: &VPath, order: Order) -> Result<Listing, Error> {
        let shown = v.to_bytes();
        let real = self.canonical(v)?;
        let meta = fs::metadata(&real).map_err(|e| Error::io_path(&shown, &e))?;
        if !meta.is_dir() {
            let one = vec![entry(v.name().unwrap_or(b"/").to_vec(), &meta)];
            return Ok(Listing(one.into_iter()));
        }
        let dir = self.dir(v)?;
        let mut entries = Vec::new();
        for item in fs::read_dir(&*dir).map_err(|e| Error::io_path(&shown, &e))? {
            let Ok(item) = item else { continue };
            if entries.len() == MAX_LIST_ENTRIES {
                return Err(Error::path(
                    &shown,
                    Cause::Refused("too many entries to list"),
                ));
            }
            let Ok(meta) = item.metadata() else { continue };
            let name = item.file_name().as_bytes().to_vec();
            if is_partial_name(&name) {
                continue;
            }
            entries.push(self.entry_following_inside(&item.path(), name, &meta));
        }
        match order {
            Order::Name => listing::sort(&mut entries),
            Order::DirsFirst => {
                listing::sort(&mut entries);
                entries.sort_by_key(|e| e.kind != Kind::Dir);
            }
        }
        Ok(Listing(entries.into_iter()))
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
        if meta.is_dir() && to.0.starts_with(&from.0) {
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

/// Resolve `path` from a client against `cwd`, touching no file: `/` starts
/// at the root, `.` and empty parts are skipped, `..` goes up but never above
/// the root (an error), NUL and backslash are refused. Partial-file names are
/// let through (`Root::resolve` refuses them). The pure part of the jail.
pub fn resolve_path(cwd: &VPath, path: &[u8]) -> Result<VPath, Error> {
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

/// The order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// `ls` order: by name, case-insensitive, ties by byte order.
    Name,
    /// `dir` order: directories first, each group by name as in `Name`.
    DirsFirst,
}

/// A directory's entries in order, produced as they are sent.
pub struct Listing(std::vec::IntoIter<Entry>);

impl Iterator for Listing {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        self.0.next()
    }
}

/// Give `source` the name `dest` unless `dest` exists, atomically: a hard
/// link fails when the name is taken, where a rename would replace it.
pub(crate) fn link_no_clobber(source: &Path, dest: &Path) -> io::Result<()> {
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
        let listed = root.list(&VPath::root(), Order::Name).unwrap();
        assert!(
            listed
                .into_iter()
                .any(|e| e.name == b"out" && e.kind == Kind::Link)
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_opened_file_outside_the_root_is_caught() {
        // What a rename race between the check and the open would produce.
        let (dir, root) = root();
        let outside = File::open("/etc/passwd").unwrap();
        assert!(matches!(
            root.check_opened(&outside, b"x"),
            Err(Error::Path {
                cause: Cause::Outside,
                ..
            })
        ));
        let inside = File::open(dir.join("sub")).unwrap();
        assert!(root.check_opened(&inside, b"sub").unwrap().is_some());
        let d = root
            .dir(&root.resolve(&VPath::root(), b"sub").unwrap())
            .unwrap();
        fs::write(d.join("made"), b"x").unwrap();
        assert_eq!(fs::read(dir.join("sub/made")).unwrap(), b"x");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn partial_names_are_reserved() {
        let (dir, root) = root();
        assert!(root.resolve(&VPath::root(), b"a/.rftp-part.x").is_err());
        fs::write(dir.join(".rftp-part.x"), b"x").unwrap();
        assert!(
            root.list(&VPath::root(), Order::Name)
                .unwrap()
                .all(|e| e.name != b".rftp-part.x")
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
