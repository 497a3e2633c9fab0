//! The served tree's operations: opening the root, resolving a client's
//! path inside it (refusing partial-file names), and stat, open, list,
//! make, remove and rename, each relative to open directory handles found
//! by `walk`. No sockets.

use std::collections::VecDeque;
use std::fs::{self, File};
use std::io;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;

use super::dir::Dir;
use super::partial::{Partial, is_partial_name};
use super::path::{VPath, check_name, resolve_path};
use super::scan::Listing;
use super::walk::{At, Found, Tree, entry};
use crate::error::{Cause, Error};
use crate::sys::{self, Meta, MetaKind, Open};
use crate::wire::{Entry, ListOrder};

/// The served tree: an open handle on the root directory, and its canonical
/// path (to recognise absolute links that point inside). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Root(Arc<Tree>);

/// The directory of a session's last transfer, open, for the next one in
/// the same directory: a burst of uploads or downloads opens it once, not
/// once a file. It holds the directory as it was when opened, like a transfer
/// does while it runs, so the session forgets it as soon as anything else
/// happens: before it waits for the client, and before any other request.
/// It also remembers which directories the session made.
#[derive(Default)]
pub struct LastDir {
    open: Option<(VPath, Arc<Dir>, bool)>,
    /// The directories this session made, by identity (the latest
    /// `MADE_KEPT`): no partial file of an earlier transfer is in one,
    /// since a session that cuts a transfer ends with it.
    made: VecDeque<(u64, u64)>,
}

/// How many directories a session remembers making.
const MADE_KEPT: usize = 64;

impl LastDir {
    /// Forget the open directory: the next transfer opens its own.
    pub fn forget(&mut self) {
        self.open = None;
    }

    /// The directory, if it is `parent`, and whether this session made it.
    fn get(&self, parent: &[Vec<u8>]) -> Option<(Arc<Dir>, bool)> {
        match &self.open {
            Some((kept, dir, made)) if kept.0 == parent => Some((Arc::clone(dir), *made)),
            _ => None,
        }
    }

    /// Keep `dir`, which is `path`; says whether this session made it.
    fn keep(&mut self, path: VPath, dir: &Arc<Dir>) -> bool {
        let made = !self.made.is_empty()
            && sys::stat_fd(dir.as_fd()).is_ok_and(|m| self.made.contains(&m.id));
        self.open = Some((path, Arc::clone(dir), made));
        made
    }

    /// Note that this session made the directory `id`.
    fn made(&mut self, id: (u64, u64)) {
        if self.made.len() == MADE_KEPT {
            self.made.pop_front();
        }
        self.made.push_back(id);
    }
}

/// Open `name` in `parent` for reading, checked to be the regular file
/// `seen` (what a stat of the name found), shown as `shown` in errors.
fn open_checked(
    parent: &Dir,
    name: &[u8],
    seen: &Meta,
    shown: &[u8],
) -> Result<(File, Meta), Error> {
    let file = sys::open_at(parent.as_fd(), name, Open::Read)
        .map(File::from)
        .map_err(|e| Error::io_path(shown, &e))?;
    let meta = sys::stat_fd(&file).map_err(|e| Error::io_path(shown, &e))?;
    if meta.kind != MetaKind::File || meta.id != seen.id {
        return Err(Error::path(shown, Cause::Changed));
    }
    Ok((file, meta))
}

/// The parent of a new entry `v` and its name, checked.
fn split_new(v: &VPath) -> Result<(VPath, &[u8]), Error> {
    let name = v
        .name()
        .ok_or_else(|| Error::path(b"/", Cause::BadName("not a file name")))?;
    check_name(name).map_err(|why| Error::path(&v.to_bytes(), Cause::BadName(why)))?;
    Ok((VPath(v.0[..v.0.len() - 1].to_vec()), name))
}

impl Root {
    /// Open `dir` as the root; it must be a directory.
    pub fn open(dir: &Path) -> Result<Root, Error> {
        let shown = dir.as_os_str().as_bytes();
        let real = fs::canonicalize(dir).map_err(|e| Error::io_path(shown, &e))?;
        let fd = sys::open_dir(&real).map_err(|e| match e.kind() {
            io::ErrorKind::NotADirectory => Error::path(shown, Cause::NotDir),
            _ => Error::io_path(shown, &e),
        })?;
        Ok(Root(Arc::new(Tree { fd, real })))
    }

    /// The root's real path (for the server's own log, never for the peer).
    pub fn real(&self) -> &Path {
        &self.0.real
    }

    /// Resolve `path` from the client against `cwd` (see `resolve_path`),
    /// refusing partial-file names: they belong to transfers in progress.
    pub fn resolve(&self, cwd: &VPath, path: &[u8]) -> Result<VPath, Error> {
        let v = resolve_path(cwd, path)?;
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

    /// Find `v`, following links that stay inside (see `walk`).
    fn locate(&self, v: &VPath) -> Result<Found, Error> {
        self.0.locate(v)
    }

    /// Type, size and time of an existing path inside the root.
    pub fn stat(&self, v: &VPath) -> Result<Entry, Error> {
        let found = self.locate(v)?;
        Ok(entry(v.name().unwrap_or(b"/").to_vec(), &found.meta))
    }

    /// Open an existing directory inside the root.
    pub fn dir(&self, v: &VPath) -> Result<Dir, Error> {
        if let Some(dir) = self.dir_beneath(v) {
            return Ok(dir);
        }
        self.locate(v)?.open_dir(&v.to_bytes())
    }

    /// The directory `v` in one `openat2`, where the kernel walks it beneath
    /// the root; `None` for the root itself, where it cannot, and for every
    /// error (the caller's `locate` then says what is wrong, as always).
    fn dir_beneath(&self, v: &VPath) -> Option<Dir> {
        if v.0.is_empty() {
            return None;
        }
        match sys::open_dir_beneath(self.0.fd.as_fd(), &v.0.join(&b'/')) {
            Ok(sys::Beneath::Opened(fd)) => Some(Dir(fd)),
            _ => None,
        }
    }

    /// Open an existing regular file inside the root for reading. FIFOs,
    /// devices and sockets are refused before anything opens them, by a
    /// stat of the name that does not follow links; the open does not follow
    /// one either and is checked to have opened that same file.
    pub fn open_file(&self, v: &VPath) -> Result<(File, Meta), Error> {
        let shown = v.to_bytes();
        let found = self.locate(v)?;
        match found.meta.kind {
            MetaKind::File => {}
            MetaKind::Dir => return Err(Error::path(&shown, Cause::IsDir)),
            MetaKind::Link => return Err(Error::path(&shown, Cause::Outside)),
            MetaKind::Special => return Err(Error::path(&shown, Cause::Special)),
        }
        let At::Named(parent, name) = found.at else {
            return Err(Error::path(&shown, Cause::IsDir));
        };
        open_checked(&parent, &name, &found.meta, &shown)
    }

    /// `open_file`, with the parent taken from `last` when it is the same
    /// directory as last time, and kept there for the next time. Anything
    /// but a regular file there (a link, nothing, an error) is left to
    /// `open_file`, which says what it is.
    pub fn open_file_kept(&self, v: &VPath, last: &mut LastDir) -> Result<(File, Meta), Error> {
        let Some((name, parent)) = v.0.split_last() else {
            return self.open_file(v);
        };
        let shown = v.to_bytes();
        let Ok((dir, _)) = self.kept_parent(parent, &shown, last) else {
            return self.open_file(v);
        };
        match dir.stat(name) {
            Ok(meta) if meta.kind == MetaKind::File => open_checked(&dir, name, &meta, &shown),
            _ => self.open_file(v),
        }
    }

    /// Where a new entry named by `v` would go: its parent must be an existing
    /// directory inside the root. Returns the open parent and the name.
    pub fn new_entry(&self, v: &VPath) -> Result<(Dir, Vec<u8>), Error> {
        let (parent, name) = split_new(v)?;
        Ok((self.open_parent(&parent, &v.to_bytes())?, name.to_vec()))
    }

    /// `new_entry`, with the parent taken from `last` when it is the same
    /// directory as last time, and kept there for the next time; also
    /// says whether this session made the parent (`Root::mkdir`).
    pub fn new_entry_kept(
        &self,
        v: &VPath,
        last: &mut LastDir,
    ) -> Result<(Arc<Dir>, Vec<u8>, bool), Error> {
        let (parent, name) = split_new(v)?;
        let (dir, made) = self.kept_parent(&parent.0, &v.to_bytes(), last)?;
        Ok((dir, name.to_vec(), made))
    }

    /// The directory `parent` as kept in `last`, else opened (a new entry's
    /// parent shown as `shown`) and kept there; and whether this session
    /// made it.
    fn kept_parent(
        &self,
        parent: &[Vec<u8>],
        shown: &[u8],
        last: &mut LastDir,
    ) -> Result<(Arc<Dir>, bool), Error> {
        if let Some(kept) = last.get(parent) {
            return Ok(kept);
        }
        let parent = VPath(parent.to_vec());
        let dir = Arc::new(self.open_parent(&parent, shown)?);
        let made = last.keep(parent, &dir);
        Ok((dir, made))
    }

    /// Open `parent`, the directory of a new entry shown as `shown`.
    fn open_parent(&self, parent: &VPath, shown: &[u8]) -> Result<Dir, Error> {
        match self.dir_beneath(parent) {
            Some(dir) => Ok(dir),
            None => self.locate(parent)?.open_dir(shown),
        }
    }

    /// The entries of a directory, or the one entry of a file, in `order`,
    /// produced as the caller takes them (see `Listing`).
    pub fn list(&self, v: &VPath, order: ListOrder) -> Result<Listing, Error> {
        let shown = v.to_bytes();
        let found = self.locate(v)?;
        if found.meta.kind != MetaKind::Dir {
            let one = entry(v.name().unwrap_or(b"/").to_vec(), &found.meta);
            return Ok(Listing::one(one));
        }
        let dir = match found.at {
            // A handle shared with others (the root's own): reading entries
            // moves its position, so read through one of our own.
            At::Opened(d) => sys::open_at(d.as_fd(), b".", Open::Dir)
                .map(Dir)
                .map_err(|e| Error::io_path(&shown, &e))?,
            at @ At::Named(..) => Found { at, ..found }.open_dir(&shown)?,
        };
        Listing::new(Arc::clone(&self.0), v.clone(), dir, order)
    }

    /// Make a directory, noted in `last` as one this session made.
    pub fn mkdir(&self, v: &VPath, last: &mut LastDir) -> Result<(), Error> {
        let (parent, name) = self.new_entry(v)?;
        sys::mkdir_at(parent.as_fd(), &name).map_err(|e| Error::io_path(&v.to_bytes(), &e))?;
        // Unnoted, it is only treated as any other directory.
        if let Ok(meta) = parent.stat(&name)
            && meta.kind == MetaKind::Dir
        {
            last.made(meta.id);
        }
        Ok(())
    }

    /// Remove an empty directory (never the root).
    pub fn rmdir(&self, v: &VPath) -> Result<(), Error> {
        let (parent, name) = self.new_entry(v)?;
        let shown = v.to_bytes();
        let meta = parent.stat(&name).map_err(|e| Error::io_path(&shown, &e))?;
        if meta.kind != MetaKind::Dir {
            return Err(Error::path(&shown, Cause::NotDir));
        }
        sys::unlink_at(parent.as_fd(), &name, true).map_err(|e| Error::io_path(&shown, &e))
    }

    /// Remove a file (or a link itself); directories are refused, and so is
    /// a partial file that a transfer holds.
    pub fn remove(&self, v: &VPath) -> Result<(), Error> {
        let (parent, name) = self.new_entry(v)?;
        let shown = v.to_bytes();
        let meta = parent.stat(&name).map_err(|e| Error::io_path(&shown, &e))?;
        if meta.kind == MetaKind::Dir {
            return Err(Error::path(&shown, Cause::IsDir));
        }
        if is_partial_name(&name) {
            return Partial::remove(&parent, &name).map_err(|e| Error::io_path(&shown, &e));
        }
        sys::unlink_at(parent.as_fd(), &name, false).map_err(|e| Error::io_path(&shown, &e))
    }

    /// Rename `from` to `to`, refusing when `to` exists, whatever it is and
    /// however other clients race (`RENAME_NOREPLACE`).
    pub fn rename(&self, from: &VPath, to: &VPath) -> Result<(), Error> {
        let (from_parent, from_name) = self.new_entry(from)?;
        let (to_parent, to_name) = self.new_entry(to)?;
        let meta = from_parent
            .stat(&from_name)
            .map_err(|e| Error::io_path(&from.to_bytes(), &e))?;
        // Links stay where they are: moving one into a path another client is
        // using could swap a directory for a way out of the root.
        if meta.kind == MetaKind::Link {
            let why = Cause::Refused("cannot rename a symbolic link");
            return Err(Error::path(&from.to_bytes(), why));
        }
        if meta.kind == MetaKind::Dir && to.0.starts_with(&from.0) {
            return Err(Error::path(
                &to.to_bytes(),
                Cause::Refused("cannot move a directory into itself"),
            ));
        }
        let (a, b) = (from_parent.as_fd(), to_parent.as_fd());
        match sys::rename_at(a, &from_name, b, &to_name, false) {
            // A file system without RENAME_NOREPLACE: a file can still move
            // without clobbering by a hard link; a directory cannot.
            Err(e) if e.kind() == io::ErrorKind::Unsupported && meta.kind != MetaKind::Dir => {
                sys::link_at(a, &from_name, b, &to_name)
                    .and_then(|()| sys::unlink_at(a, &from_name, false))
            }
            other => other,
        }
        .map_err(|e| Error::io_path(&to.to_bytes(), &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::wire::Kind;
    use std::path::PathBuf;

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
        let listed = root.list(&VPath::root(), ListOrder::Name).unwrap();
        assert!(
            listed
                .into_iter()
                .any(|e| e.name == b"out" && e.kind == Kind::Link)
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn links_inside_are_followed_and_links_out_are_not() {
        let (dir, root) = root();
        fs::write(dir.join("sub/f"), b"inside").unwrap();
        std::os::unix::fs::symlink(dir.join("sub"), dir.join("abs")).unwrap();
        std::os::unix::fs::symlink("../sub/f", dir.join("sub/rel")).unwrap();
        std::os::unix::fs::symlink("../..", dir.join("sub/up")).unwrap();
        let at = |p: &[u8]| root.resolve(&VPath::root(), p).unwrap();
        let (mut f, _) = root.open_file(&at(b"abs/rel")).unwrap();
        let mut got = Vec::new();
        io::Read::read_to_end(&mut f, &mut got).unwrap();
        assert_eq!(got, b"inside");
        assert_eq!(root.stat(&at(b"abs")).unwrap().kind, Kind::Dir);
        let outside = |r: Result<Entry, Error>| {
            matches!(
                r,
                Err(Error::Path {
                    cause: Cause::Outside,
                    ..
                })
            )
        };
        assert!(outside(root.stat(&at(b"sub/up"))));
        assert!(outside(root.stat(&at(b"sub/up/x"))));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn special_files_are_refused_without_opening() {
        let (dir, root) = root();
        let fifo = dir.join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let at = |p: &[u8]| root.resolve(&VPath::root(), p).unwrap();
        assert!(matches!(
            root.open_file(&at(b"fifo")),
            Err(Error::Path {
                cause: Cause::Special,
                ..
            })
        ));
        assert!(root.dir(&at(b"fifo")).is_err());
        assert!(
            root.mkdir(&at(b"fifo/sub"), &mut LastDir::default())
                .is_err()
        );
        assert!(root.new_entry(&at(b"fifo/x")).is_err());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn rename_never_replaces() {
        let (dir, root) = root();
        fs::create_dir(dir.join("t")).unwrap();
        fs::write(dir.join("a"), b"a").unwrap();
        fs::write(dir.join("b"), b"b").unwrap();
        let at = |p: &[u8]| root.resolve(&VPath::root(), p).unwrap();
        assert!(root.rename(&at(b"sub"), &at(b"t")).is_err(), "dir onto dir");
        assert!(root.rename(&at(b"a"), &at(b"b")).is_err(), "file onto file");
        assert!(root.rename(&at(b"a"), &at(b"t")).is_err(), "file onto dir");
        root.rename(&at(b"sub"), &at(b"t/sub")).unwrap();
        assert!(dir.join("t/sub").is_dir());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn partial_names_are_reserved() {
        let (dir, root) = root();
        assert!(root.resolve(&VPath::root(), b"a/.rftp-part.x").is_err());
        fs::write(dir.join(".rftp-part.x"), b"x").unwrap();
        assert!(
            root.list(&VPath::root(), ListOrder::Name)
                .unwrap()
                .all(|e| e.name != b".rftp-part.x")
        );
        fs::remove_dir_all(dir).unwrap();
    }
}
