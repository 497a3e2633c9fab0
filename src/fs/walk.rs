//! Finding a client's path in the served tree without ever leaving it:
//! every step is taken relative to an open directory, never by re-reading a
//! path, so no rename or link swapped in by a local user can steer a lookup
//! out of the root. `openat2(RESOLVE_BENEATH)` does the walk where the kernel
//! has it; otherwise, and for links that the kernel will not follow beneath
//! the root (absolute ones), `walk` goes one name at a time with
//! `O_NOFOLLOW` and follows in-tree links itself. No `/proc`. Also the
//! root itself (`Tree`) and the entry a name found this way shows as.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use super::dir::Dir;
use super::path::VPath;
use crate::error::{Cause, Error};
use crate::sys::{self, Beneath, Meta, MetaKind, Open};
use crate::wire::{Entry, Kind};

/// Most symbolic links one lookup follows, as the kernel's own limit.
const MAX_LINKS: u32 = 40;
/// Most directories a walk by hand holds open at once (one per level), so
/// that a deep tree cannot run the server out of descriptors.
const MAX_WALK_DEPTH: usize = 256;

/// The served tree's root: an open handle on it, and its canonical path (to
/// recognise absolute links that point inside). Every lookup starts here.
#[derive(Debug)]
pub struct Tree {
    /// The root directory.
    pub fd: OwnedFd,
    /// Its canonical path.
    pub real: PathBuf,
}

impl Tree {
    /// Find `v`, following links that stay inside (see `locate`).
    pub fn locate(&self, v: &VPath) -> Result<Found, Error> {
        locate(&self.fd, &self.real, v)
    }

    /// The entry for `name` in the directory `dir`, which is `v`: a link is
    /// shown as what it points to when that is inside the root, and as a
    /// link otherwise. `None` when the name is gone.
    pub fn entry_in(&self, v: &VPath, dir: &Dir, name: &[u8]) -> io::Result<Option<Entry>> {
        let meta = match dir.stat(name) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if meta.kind == MetaKind::Link {
            let mut target = v.clone();
            target.0.push(name.to_vec());
            if let Ok(found) = self.locate(&target) {
                return Ok(Some(entry(name.to_vec(), &found.meta)));
            }
        }
        Ok(Some(entry(name.to_vec(), &meta)))
    }
}

/// An entry from what `stat` says.
pub fn entry(name: Vec<u8>, meta: &Meta) -> Entry {
    let kind = match meta.kind {
        MetaKind::Dir => Kind::Dir,
        MetaKind::File => Kind::File,
        MetaKind::Link => Kind::Link,
        MetaKind::Special => Kind::Other,
    };
    Entry {
        name,
        kind,
        mode: meta.mode,
        size: if kind == Kind::File { meta.size } else { 0 },
        mtime: meta.mtime,
        mtime_nsec: meta.mtime_nsec,
    }
}

/// Where a lookup ended.
pub enum At {
    /// The entry `name` of the open directory, which holds it right now.
    Named(Dir, Vec<u8>),
    /// A directory reached as a whole (the root, or a link to a directory
    /// ending in `..`).
    Opened(Dir),
}

/// A path found inside the tree: where it is and what it is.
pub struct Found {
    /// Where it is.
    pub at: At,
    /// What it is (never a link: one that leads out or nowhere is an error).
    pub meta: Meta,
}

impl Found {
    /// Open the directory found (refused when it is not one).
    pub fn open_dir(self, shown: &[u8]) -> Result<Dir, Error> {
        match (self.at, self.meta.kind) {
            (At::Opened(d), _) => Ok(d),
            (At::Named(parent, name), MetaKind::Dir) => {
                let fd = sys::open_at(parent.as_fd(), &name, Open::Dir)
                    .map_err(|e| Error::io_path(shown, &e))?;
                Ok(Dir(fd))
            }
            (_, MetaKind::Link) => Err(Error::path(shown, Cause::Outside)),
            _ => Err(Error::path(shown, Cause::NotDir)),
        }
    }
}

/// Find `v` below the root `root` (whose canonical path is `real`),
/// following a link at the last name too. (What creates, removes or renames
/// a name opens its parent this way and takes the name itself as it is.)
pub fn locate(root: &OwnedFd, real: &Path, v: &VPath) -> Result<Found, Error> {
    let shown = v.to_bytes();
    let Some((name, parents)) = v.0.split_last() else {
        let meta = sys::stat_fd(root).map_err(|e| Error::io_path(&shown, &e))?;
        return Ok(Found {
            at: At::Opened(dup(root.as_fd(), &shown)?),
            meta,
        });
    };
    let parent = if parents.is_empty() {
        Beneath::Opened(dup(root.as_fd(), &shown)?.0)
    } else {
        let rel = parents.join(&b'/');
        sys::open_dir_beneath(root.as_fd(), &rel).map_err(|e| Error::io_path(&shown, &e))?
    };
    let Beneath::Opened(parent) = parent else {
        return walk(root, real, v);
    };
    let meta = sys::stat_at(parent.as_fd(), name).map_err(|e| Error::io_path(&shown, &e))?;
    if meta.kind == MetaKind::Link {
        return walk(root, real, v);
    }
    Ok(Found {
        at: At::Named(Dir(parent), name.clone()),
        meta,
    })
}

/// The lookup by hand: one name at a time from the root, each directory
/// opened with `O_NOFOLLOW | O_DIRECTORY` relative to the one before, links
/// read with `readlinkat` and followed only while they stay inside (`..`
/// goes back up the directories already open; an absolute target must name
/// a place under the root's canonical path).
pub fn walk(root: &OwnedFd, real: &Path, v: &VPath) -> Result<Found, Error> {
    let shown = v.to_bytes();
    let fail = |e: io::Error| Error::io_path(&shown, &e);
    let mut stack: Vec<Dir> = Vec::new();
    let mut todo: VecDeque<Vec<u8>> = v.0.iter().cloned().collect();
    let mut links = 0;
    while let Some(name) = todo.pop_front() {
        match name.as_slice() {
            b"" | b"." => continue,
            b".." => {
                if stack.pop().is_none() {
                    return Err(Error::path(&shown, Cause::Outside));
                }
                continue;
            }
            _ => {}
        }
        let is_last = todo.is_empty();
        let here = stack.last().map_or(root.as_fd(), |d| d.as_fd());
        let meta = sys::stat_at(here, &name).map_err(fail)?;
        match meta.kind {
            MetaKind::Link => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(Error::path(&shown, Cause::Refused("too many links")));
                }
                let target = sys::read_link_at(here, &name).map_err(fail)?;
                if target.first() == Some(&b'/') {
                    let inside = strip_root(real, &target)
                        .ok_or_else(|| Error::path(&shown, Cause::Outside))?;
                    stack.clear();
                    prepend(&mut todo, inside);
                } else {
                    prepend(&mut todo, &target);
                }
            }
            MetaKind::Dir if !is_last && stack.len() == MAX_WALK_DEPTH => {
                return Err(Error::path(&shown, Cause::Refused("too deep")));
            }
            MetaKind::Dir if !is_last => {
                // O_NOFOLLOW: a link swapped in since the stat fails here
                // (ELOOP) instead of being followed.
                let fd = sys::open_at(here, &name, Open::Dir).map_err(fail)?;
                stack.push(Dir(fd));
            }
            _ if !is_last => return Err(Error::path(&shown, Cause::NotDir)),
            _ => {
                let parent = match stack.pop() {
                    Some(d) => d,
                    None => dup(root.as_fd(), &shown)?,
                };
                return Ok(Found {
                    at: At::Named(parent, name),
                    meta,
                });
            }
        }
    }
    // The path ended on a directory reached through `..` or `.`.
    let dir = match stack.pop() {
        Some(d) => d,
        None => dup(root.as_fd(), &shown)?,
    };
    let meta = sys::stat_fd(dir.as_fd()).map_err(fail)?;
    Ok(Found {
        at: At::Opened(dir),
        meta,
    })
}

/// The part of an absolute link target below the root, if it is below it.
fn strip_root<'a>(real: &Path, target: &'a [u8]) -> Option<&'a [u8]> {
    use std::os::unix::ffi::OsStrExt;
    let root = real.as_os_str().as_bytes();
    let root = root.strip_suffix(b"/").unwrap_or(root);
    let rest = target.strip_prefix(root)?;
    match rest.first() {
        None => Some(rest),
        Some(b'/') => Some(rest),
        Some(_) => None,
    }
}

/// Put the names of `path` in front of the names still to walk.
fn prepend(todo: &mut VecDeque<Vec<u8>>, path: &[u8]) {
    for part in path.split(|&b| b == b'/').rev() {
        todo.push_front(part.to_vec());
    }
}

/// A second handle on an open directory.
fn dup(fd: BorrowedFd<'_>, shown: &[u8]) -> Result<Dir, Error> {
    fd.try_clone_to_owned()
        .map(Dir)
        .map_err(|e| Error::io_path(shown, &e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::Root;
    use std::os::unix::fs::symlink;

    /// What the walk by hand finds for `path` in a tree made for the test.
    fn walked(dir: &Path, path: &[u8]) -> Result<Meta, Error> {
        let root_fd = sys::open_dir(dir).unwrap();
        let real = std::fs::canonicalize(dir).unwrap();
        let v = crate::fs::resolve_path(&VPath::root(), path).unwrap();
        walk(&root_fd, &real, &v).map(|f| f.meta)
    }

    #[test]
    fn the_walk_by_hand_follows_links_inside_and_refuses_the_rest() {
        let dir = std::env::temp_dir().join(format!("rftp-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("a/b")).unwrap();
        std::fs::write(dir.join("a/b/f"), b"12345").unwrap();
        symlink("b", dir.join("a/rel")).unwrap();
        symlink("../a/b/f", dir.join("a/up")).unwrap();
        symlink(dir.join("a"), dir.join("abs")).unwrap();
        symlink("..", dir.join("a/b/top")).unwrap();
        symlink("../..", dir.join("out")).unwrap();
        symlink("/etc", dir.join("etc")).unwrap();
        symlink("loop2", dir.join("loop1")).unwrap();
        symlink("loop1", dir.join("loop2")).unwrap();
        let size = |p: &[u8]| walked(&dir, p).map(|m| m.size);
        assert_eq!(size(b"a/rel/f").unwrap(), 5);
        assert_eq!(size(b"a/up").unwrap(), 5);
        assert_eq!(size(b"abs/b/f").unwrap(), 5);
        assert_eq!(size(b"abs/rel/top/b/f").unwrap(), 5);
        assert_eq!(walked(&dir, b"a/b/top").unwrap().kind, MetaKind::Dir);
        let cause = |p: &[u8]| match walked(&dir, p) {
            Err(Error::Path { cause, .. }) => Some(cause),
            _ => None,
        };
        assert_eq!(cause(b"out"), Some(Cause::Outside));
        assert_eq!(cause(b"out/x"), Some(Cause::Outside));
        assert_eq!(cause(b"etc/passwd"), Some(Cause::Outside));
        assert_eq!(cause(b"loop1"), Some(Cause::Refused("too many links")));
        assert_eq!(cause(b"a/b/f/x"), Some(Cause::NotDir));
        assert_eq!(cause(b"a/none"), Some(Cause::NotFound));
        // The fast path agrees.
        let root = Root::open(&dir).unwrap();
        let v = |p: &[u8]| root.resolve(&VPath::root(), p).unwrap();
        assert_eq!(root.stat(&v(b"abs/rel/top/b/f")).unwrap().size, 5);
        assert!(root.stat(&v(b"out/x")).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn absolute_targets_count_only_below_the_root() {
        let real = Path::new("/srv/data");
        assert_eq!(strip_root(real, b"/srv/data/a/b"), Some(&b"/a/b"[..]));
        assert_eq!(strip_root(real, b"/srv/data"), Some(&b""[..]));
        assert_eq!(strip_root(real, b"/srv/database/x"), None);
        assert_eq!(strip_root(real, b"/etc/passwd"), None);
        assert_eq!(strip_root(Path::new("/"), b"/etc"), Some(&b"/etc"[..]));
    }
}
