//! Partial files: where a transfer's data waits, locked, until it is
//! complete and checked, and where an interrupted transfer's data stays for
//! `-c`, and the names they go by. A small new file waits in a file with no
//! name at all, which needs neither lock nor checks and so costs fewer
//! system calls. Used by both ends; no sockets.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use super::dir::Dir;
use super::path::MAX_NAME_BYTES;
use crate::error::Unfit;
use crate::sys::{self, Meta, MetaKind, Open};
use crate::wire::Stamp;

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

/// Where a transfer's data waits until it is complete: `.rftp-part.NAME` in
/// the destination directory (or `.rftp-long.…` when the name is too long),
/// locked while a transfer uses it. Published under the real name when
/// complete and checked; removed by `discard` when the data is bad; kept
/// when the transfer is interrupted, so that `-c` can continue it.
pub struct Partial {
    dir: Arc<Dir>,
    name: Vec<u8>,
    part: Vec<u8>,
    file: File,
    /// The data has no name yet (`O_TMPFILE`): publishing links the file
    /// itself; dropped unpublished, it gets the partial name if it can.
    anonymous: bool,
    /// What `stamp` gave, for when anonymous data must be copied after all.
    stamp: Option<Stamp>,
    /// The permission bits the data was made with, where known: `stamp`
    /// leaves them alone when they are already the wanted ones.
    made_mode: Option<u32>,
    /// Published or discarded: nothing for `drop` to keep.
    settled: bool,
}

/// New files smaller than this (one copy buffer) wait in an anonymous
/// file: for them the system calls cost more than the bytes, and one lost
/// in a crash costs little to send again.
const ANONYMOUS_MAX_BYTES: u64 = 256 * 1024;
/// Largest file either end holds whole in memory, checked, to publish it
/// behind the connection (`write_whole` on a `Backlog`'s thread); larger
/// ones go into their partial file as they arrive.
pub const WHOLE_MAX_BYTES: u64 = 64 * 1024;

/// Cleared the first time this kernel refuses to link an anonymous file
/// (before Linux 6.10 that takes `CAP_DAC_READ_SEARCH`); from then on every
/// partial file has a name.
static ANONYMOUS_LINKS: AtomicBool = AtomicBool::new(true);

/// The process's umask, once `note_umask` read it.
static UMASK: OnceLock<u32> = OnceLock::new();
/// The permission bits an anonymous file is made with, before the umask.
const ANONYMOUS_MODE: u32 = 0o666;

/// Read the umask, before any thread that makes files starts (reading it
/// sets it): anonymous data then needs no chmod to get the bits it was
/// made with.
pub fn note_umask() {
    UMASK.get_or_init(sys::umask);
}

/// The umask `note_umask` read, if it did.
pub fn umask() -> Option<u32> {
    UMASK.get().copied()
}

/// Tries at opening and locking a partial file before giving up, when other
/// transfers keep replacing it under our feet.
const PARTIAL_OPEN_TRIES: u32 = 5;

impl Partial {
    /// The name of the partial file for `name`.
    pub fn name_for(name: &[u8]) -> Vec<u8> {
        if PARTIAL_PREFIX.len() + name.len() <= MAX_NAME_BYTES {
            return [PARTIAL_PREFIX.as_bytes(), name].concat();
        }
        // Two CRCs (of the name and of it reversed) and the length: two long
        // names that still meet share only resumability, never data, since
        // every transfer is checked end to end.
        let reversed: Vec<u8> = name.iter().rev().copied().collect();
        let (a, b) = (crc32fast::hash(name), crc32fast::hash(&reversed));
        format!("{LONG_PARTIAL_PREFIX}{a:08x}{b:08x}-{}", name.len()).into_bytes()
    }

    /// Open and lock the partial file for `name` in `dir`. With `resume`
    /// its kept data stays and writing continues at its end; otherwise any
    /// old one is removed and a new, empty one made (`O_EXCL`, so nothing
    /// already there is opened or truncated). Fails with `ResourceBusy`
    /// while another transfer holds it, and with `Unfit` when its name holds
    /// something other than a regular file, or kept data that has other
    /// names too (writing there would change another file).
    pub fn open(dir: impl Into<Arc<Dir>>, name: &[u8], resume: bool) -> io::Result<Partial> {
        let dir = dir.into();
        let part = Partial::name_for(name);
        for _ in 0..PARTIAL_OPEN_TRIES {
            let Some(file) = open_or_make(&dir, &part, resume)? else {
                continue;
            };
            sys::try_lock(&file)?;
            // The name may have been removed or replaced between open and
            // lock; only the file still under the name is ours to use.
            let Some(meta) = holding(&dir, &part, &file) else {
                continue;
            };
            if meta.links != 1 {
                return Err(io::Error::other(Unfit("kept data has other names")));
            }
            let mut partial = Partial {
                dir,
                name: name.to_vec(),
                part,
                file,
                anonymous: false,
                stamp: None,
                made_mode: None,
                settled: false,
            };
            if meta.size > 0 {
                partial.file.seek(SeekFrom::End(0))?;
            }
            return Ok(partial);
        }
        Err(io::Error::other("partial file keeps changing"))
    }

    /// `open` in a local directory named by path (the client's side).
    pub fn open_local(dir: &Path, name: &[u8], resume: bool) -> io::Result<Partial> {
        Partial::open(Dir::open_local(dir)?, name, resume)
    }

    /// A new, empty partial file for `name` in `dir`, for about `expected`
    /// bytes, to be published with `replace`: `anonymous` where it can be
    /// (told `none_left`), else `open` without resuming.
    pub fn create(
        dir: impl Into<Arc<Dir>>,
        name: &[u8],
        expected: u64,
        replace: bool,
        none_left: bool,
    ) -> io::Result<Partial> {
        let dir = dir.into();
        match Partial::anonymous(Arc::clone(&dir), name, expected, replace, none_left)? {
            Some(partial) => Ok(partial),
            None => Partial::open(dir, name, false),
        }
    }

    /// An anonymous partial file for `name` in `dir`, for a small file
    /// (about `expected` bytes) that may not replace another: no lock, no
    /// name to check. `None` where it cannot be: for a large file, one
    /// that may replace, where this kernel or file system cannot link one,
    /// and when a partial file is already there (another transfer may hold
    /// the name: `open` says so, and takes over one left behind). That
    /// last look is skipped when the caller knows `none_left`: no partial
    /// file was left in `dir` (a running transfer's can still be, and is
    /// not harmed: the first to publish gets the name).
    pub fn anonymous(
        dir: Arc<Dir>,
        name: &[u8],
        expected: u64,
        replace: bool,
        none_left: bool,
    ) -> io::Result<Option<Partial>> {
        let part = Partial::name_for(name);
        if replace
            || expected >= ANONYMOUS_MAX_BYTES
            || !ANONYMOUS_LINKS.load(Ordering::Relaxed)
            || (!none_left && dir.stat(&part).is_ok())
        {
            return Ok(None);
        }
        let fd = match sys::open_anonymous(dir.as_fd()) {
            Ok(fd) => fd,
            Err(e) if e.kind() == io::ErrorKind::Unsupported => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(Partial {
            dir,
            name: name.to_vec(),
            part,
            file: File::from(fd),
            anonymous: true,
            stamp: None,
            made_mode: umask().map(|u| ANONYMOUS_MODE & !u),
            settled: false,
        }))
    }

    /// The file `name` in `dir`, all of `bytes` at once: written into a new
    /// partial file (`create`), given `stamp`, and published (`publish`);
    /// on failure nothing of it is left. For a small file held whole in
    /// memory (at most `WHOLE_MAX_BYTES`), checked already.
    pub fn write_whole(
        dir: Arc<Dir>,
        name: &[u8],
        bytes: &[u8],
        stamp: Option<Stamp>,
        replace: bool,
        none_left: bool,
    ) -> io::Result<()> {
        let mut partial = Partial::create(dir, name, bytes.len() as u64, replace, none_left)?;
        let written = partial
            .file
            .write_all(bytes)
            .and_then(|()| stamp.map_or(Ok(()), |st| partial.stamp(st)));
        if let Err(e) = written {
            partial.discard();
            return Err(e);
        }
        partial.publish(replace)
    }

    /// Whether the partial file of `name` exists in `dir`.
    pub fn exists(dir: &Dir, name: &[u8]) -> bool {
        dir.stat(&Partial::name_for(name)).is_ok()
    }

    /// Remove the partial file named `part` from `dir`, unless a transfer
    /// holds it (`ResourceBusy`): the lock is taken first, so no transfer can
    /// start on it in between.
    pub fn remove(dir: &Dir, part: &[u8]) -> io::Result<()> {
        if dir.stat(part)?.kind != MetaKind::File {
            return sys::unlink_at(dir.as_fd(), part, false);
        }
        let file = File::from(sys::open_at(dir.as_fd(), part, Open::Read)?);
        sys::try_lock(&file)?;
        if !holds(dir, part, &file) {
            return Err(io::ErrorKind::ResourceBusy.into());
        }
        sys::unlink_at(dir.as_fd(), part, false)
    }

    /// Bytes held so far.
    pub fn kept(&self) -> io::Result<u64> {
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

    /// Give the data the time and permission bits it is to be published
    /// with; call after the last write, which would change the time again.
    /// The publish step keeps both, so the file never shows another mode.
    pub fn stamp(&mut self, stamp: Stamp) -> io::Result<()> {
        if self.made_mode != Some(stamp.mode) {
            sys::set_mode(&self.file, stamp.mode)?;
        }
        sys::set_mtime(&self.file, stamp.mtime, stamp.nsec)?;
        self.stamp = Some(stamp);
        Ok(())
    }

    /// Give the data its real name: replacing an existing file atomically
    /// when `replace`, failing with `AlreadyExists` otherwise. What gets the
    /// name is the file this transfer wrote (linked by its descriptor where
    /// the kernel allows), and `Ok` means the name holds it now. Data that
    /// cannot be published is removed: it is complete, so no `-c` wants it.
    pub fn publish(mut self, replace: bool) -> io::Result<()> {
        self.settled = true;
        if self.anonymous {
            return self.publish_anonymous(replace);
        }
        let published = self.link_or_rename(replace);
        if (published.is_err() || !replace) && holds(&self.dir, &self.part, &self.file) {
            // Published by a link, the partial name is a leftover; not
            // published, the data is complete but unwanted.
            let _ = sys::unlink_at(self.dir.as_fd(), &self.part, false);
        }
        published?;
        if !holds(&self.dir, &self.name, &self.file) {
            return Err(io::Error::other("replaced while being published"));
        }
        Ok(())
    }

    /// `publish` for data with no name: the link makes the name hold it,
    /// or fails because the name is taken. Where the kernel refuses such
    /// links, the data is copied to a named partial file and published
    /// from there, and later partial files get names from the start.
    fn publish_anonymous(&mut self, replace: bool) -> io::Result<()> {
        match sys::link_fd(&self.file, self.dir.as_fd(), &self.name) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                ANONYMOUS_LINKS.store(false, Ordering::Relaxed);
                let mut named = Partial::open(Arc::clone(&self.dir), &self.name, false)?;
                self.file.seek(SeekFrom::Start(0))?;
                io::copy(&mut self.file, named.file())?;
                if let Some(stamp) = self.stamp {
                    named.stamp(stamp)?;
                }
                named.publish(replace)
            }
            Err(e) => Err(e),
        }
    }

    fn link_or_rename(&self, replace: bool) -> io::Result<()> {
        let dir = self.dir.as_fd();
        if !replace {
            match sys::link_fd(&self.file, dir, &self.name) {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(e),
                // Not allowed (an old kernel) or no hard links here: by name.
                Err(_) => {}
            }
        }
        // By name: safe while the lock is held, since every client command
        // that could remove or replace a held partial file waits for it.
        if !holds(&self.dir, &self.part, &self.file) {
            return Err(io::Error::other("partial file was replaced"));
        }
        match sys::rename_at(dir, &self.part, dir, &self.name, replace) {
            // No RENAME_NOREPLACE on this file system: a hard link also
            // refuses a taken name.
            Err(e) if e.kind() == io::ErrorKind::Unsupported => {
                sys::link_at(dir, &self.part, dir, &self.name)
            }
            done => done,
        }
    }

    /// Remove the partial data: it is bad or no longer wanted.
    pub fn discard(mut self) {
        self.settled = true;
        if !self.anonymous && holds(&self.dir, &self.part, &self.file) {
            let _ = sys::unlink_at(self.dir.as_fd(), &self.part, false);
        }
    }
}

impl Drop for Partial {
    /// Anonymous data of a transfer that ended unpublished (cut, failed)
    /// gets the partial name, as named data would have kept it, for `-c`;
    /// where that cannot be, it is gone with the descriptor.
    fn drop(&mut self) {
        if self.anonymous && !self.settled && self.kept().is_ok_and(|n| n > 0) {
            let _ = sys::link_fd(&self.file, self.dir.as_fd(), &self.part);
        }
    }
}

/// One try at the partial file `part`: the kept one opened (`resume`), or
/// the old one removed and a new one made. `None`: something changed under
/// our feet, try again.
fn open_or_make(dir: &Dir, part: &[u8], resume: bool) -> io::Result<Option<File>> {
    match dir.stat(part) {
        Ok(m) if m.kind != MetaKind::File => Err(io::Error::other(Unfit("not a regular file"))),
        Ok(_) if resume => match sys::open_at(dir.as_fd(), part, Open::ReadWrite) {
            Ok(fd) => Ok(Some(File::from(fd))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        },
        // Waits for no transfer: one that holds it makes this ResourceBusy.
        Ok(_) => Partial::remove(dir, part).map(|()| None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            match sys::open_at(dir.as_fd(), part, Open::CreateNew) {
                Ok(fd) => Ok(Some(File::from(fd))),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(None),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// Whether `name` in `dir` is the open `file` right now.
fn holds(dir: &Dir, name: &[u8], file: &File) -> bool {
    holding(dir, name, file).is_some()
}

/// What the open `file` is, if `name` in `dir` is it right now.
fn holding(dir: &Dir, name: &[u8], file: &File) -> Option<Meta> {
    match (dir.stat(name), sys::stat_fd(file)) {
        (Ok(a), Ok(b)) if a.id == b.id => Some(b),
        _ => None,
    }
}

/// Whether `file` still has the size and modification time of `before`.
pub fn unchanged(file: &File, before: &Meta) -> bool {
    sys::stat_fd(file).is_ok_and(|now| {
        now.size == before.size && now.mtime == before.mtime && now.mtime_nsec == before.mtime_nsec
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
    use std::fs;
    use std::path::PathBuf;

    fn dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "rftp-partial-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("sub")).unwrap();
        dir
    }

    #[test]
    fn publish_never_clobbers_without_replace() {
        let dir = dir();
        let dest = dir.join("f");
        fs::write(&dest, b"old").unwrap();
        let mut p = Partial::open_local(&dir, b"f", false).unwrap();
        io::Write::write_all(p.file(), b"new").unwrap();
        let err = p.publish(false).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&dest).unwrap(), b"old");
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            2,
            "unpublishable data removed"
        );
        let mut p = Partial::open_local(&dir, b"f", false).unwrap();
        io::Write::write_all(p.file(), b"new").unwrap();
        drop(p);
        let mut p = Partial::open_local(&dir, b"f", true).unwrap();
        assert_eq!(p.kept().unwrap(), 3, "kept for resuming");
        io::Write::write_all(p.file(), b"er").unwrap();
        assert_eq!(p.crc().unwrap(), crc32fast::hash(b"newer"));
        p.publish(true).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"newer");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 2, "partial gone");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_partial_in_use_is_locked() {
        let dir = dir();
        let p = Partial::open_local(&dir, b"x", false).unwrap();
        let err = Partial::open_local(&dir, b"x", true).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::ResourceBusy);
        let d = Dir::open_local(&dir).unwrap();
        let err = Partial::remove(&d, b".rftp-part.x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ResourceBusy, "held: not removed");
        p.discard();
        Partial::open_local(&dir, b"x", false).unwrap().discard();
        let long = Partial::name_for(&[b'n'; 250]);
        assert!(long.starts_with(LONG_PARTIAL_PREFIX.as_bytes()) && long.ends_with(b"-250"));
        assert_eq!(Partial::name_for(b"x"), b".rftp-part.x");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_partial_file_with_another_name_is_never_written_through() {
        // What a crash between publishing's link and unlink leaves, or a
        // local user's `ln x .rftp-part.x`.
        let dir = dir();
        fs::write(dir.join("x"), b"precious").unwrap();
        fs::hard_link(dir.join("x"), dir.join(".rftp-part.x")).unwrap();
        let err = Partial::open_local(&dir, b"x", true).err().unwrap();
        assert_eq!(err.to_string(), "kept data has other names");
        let mut p = Partial::open_local(&dir, b"x", false).unwrap();
        assert_eq!(p.kept().unwrap(), 0);
        io::Write::write_all(p.file(), b"new").unwrap();
        drop(p);
        assert_eq!(fs::read(dir.join("x")).unwrap(), b"precious");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn publishing_links_the_file_written_not_the_name() {
        // Another file put under the partial name behind the transfer's back
        // must not be what gets published.
        let dir = dir();
        let mut p = Partial::open_local(&dir, b"f", false).unwrap();
        io::Write::write_all(p.file(), b"mine").unwrap();
        fs::rename(dir.join(".rftp-part.f"), dir.join("moved")).unwrap();
        fs::write(dir.join(".rftp-part.f"), b"theirs").unwrap();
        p.publish(false).unwrap();
        assert_eq!(fs::read(dir.join("f")).unwrap(), b"mine");
        assert_eq!(fs::read(dir.join(".rftp-part.f")).unwrap(), b"theirs");
        // Removed outright, the data cannot be published: an error, never
        // a success for bytes that are not there.
        let mut p = Partial::open_local(&dir, b"g", false).unwrap();
        io::Write::write_all(p.file(), b"gone").unwrap();
        fs::remove_file(dir.join(".rftp-part.g")).unwrap();
        assert!(p.publish(false).is_err());
        assert!(!dir.join("g").exists());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_small_new_file_waits_without_a_name() {
        let dir = dir();
        let create = |name: &[u8], len, replace| {
            Partial::create(Dir::open_local(&dir).unwrap(), name, len, replace, false)
        };
        let names = || {
            let mut v: Vec<_> = fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            v.sort();
            v
        };
        let mut p = create(b"f", 4, false).unwrap();
        assert!(p.anonymous);
        io::Write::write_all(p.file(), b"data").unwrap();
        assert_eq!(names(), ["sub"], "nothing shows");
        p.publish(false).unwrap();
        assert_eq!(fs::read(dir.join("f")).unwrap(), b"data");
        assert_eq!(names(), ["f", "sub"]);
        // Never over a taken name, and nothing left behind.
        let mut p = create(b"f", 4, false).unwrap();
        io::Write::write_all(p.file(), b"more").unwrap();
        let err = p.publish(false).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(dir.join("f")).unwrap(), b"data");
        assert_eq!(names(), ["f", "sub"]);
        // Dropped unpublished (a cut transfer), the data is kept for -c.
        let mut p = create(b"g", 10, false).unwrap();
        io::Write::write_all(p.file(), b"half").unwrap();
        drop(p);
        assert_eq!(fs::read(dir.join(".rftp-part.g")).unwrap(), b"half");
        let mut p = Partial::open_local(&dir, b"g", true).unwrap();
        assert_eq!(p.kept().unwrap(), 4);
        p.restart().unwrap();
        p.discard();
        // Discarded, it leaves nothing.
        let mut p = create(b"h", 10, false).unwrap();
        io::Write::write_all(p.file(), b"bad").unwrap();
        p.discard();
        assert_eq!(names(), ["f", "sub"]);
        // Large files, files that may replace another, and files whose
        // partial name is taken (maybe held) get a name.
        let held = Partial::open_local(&dir, b"k", false).unwrap();
        let err = create(b"k", 4, false).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::ResourceBusy);
        // Unless told none was left: the first to publish gets the name.
        let d = Dir::open_local(&dir).unwrap();
        let mut p = Partial::create(d, b"k", 4, false, true).unwrap();
        assert!(p.anonymous);
        io::Write::write_all(p.file(), b"kkkk").unwrap();
        p.publish(false).unwrap();
        assert_eq!(fs::read(dir.join("k")).unwrap(), b"kkkk");
        fs::remove_file(dir.join("k")).unwrap();
        held.discard();
        for (len, replace) in [(ANONYMOUS_MAX_BYTES, false), (4, true)] {
            let p = create(b"k", len, replace).unwrap();
            assert!(!p.anonymous);
            assert!(dir.join(".rftp-part.k").exists());
            p.discard();
        }
        fs::remove_dir_all(dir).unwrap();
    }
}
