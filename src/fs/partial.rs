//! Partial files: where a transfer's data waits, locked, until it is
//! complete and checked, and where an interrupted transfer's data stays for
//! `-c`. Used by both ends; no sockets.

use std::ffi::OsStr;
use std::fs::{self, File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::{
    LONG_PARTIAL_PREFIX, MAX_NAME_BYTES, O_NOFOLLOW, O_NONBLOCK, PARTIAL_PREFIX, link_no_clobber,
};

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

    /// Open and lock the partial file for `name` in `dir`, creating it. With
    /// `resume` its data is kept and writing continues at its end; otherwise
    /// it starts empty. Fails with `WouldBlock` while another transfer holds it.
    pub fn open(dir: &Path, name: &[u8], resume: bool) -> io::Result<Partial> {
        let path = dir.join(OsStr::from_bytes(&Partial::name_for(name)));
        for _ in 0..PARTIAL_OPEN_TRIES {
            // Never through a link, never blocking on a FIFO left there.
            let file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .custom_flags(O_NOFOLLOW | O_NONBLOCK)
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
        assert_eq!(p.kept().unwrap(), 3, "kept for resuming");
        io::Write::write_all(p.file(), b"er").unwrap();
        assert_eq!(p.crc().unwrap(), crc32fast::hash(b"newer"));
        p.publish(&dest, true).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"newer");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 2, "partial gone");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_partial_in_use_is_locked() {
        let dir = dir();
        let p = Partial::open(&dir, b"x", false).unwrap();
        let err = Partial::open(&dir, b"x", true).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        p.discard();
        Partial::open(&dir, b"x", false).unwrap().discard();
        let long = Partial::name_for(&[b'n'; 250]);
        assert!(long.starts_with(LONG_PARTIAL_PREFIX.as_bytes()) && long.ends_with(b"-250"));
        assert_eq!(Partial::name_for(b"x"), b".rftp-part.x");
        fs::remove_dir_all(dir).unwrap();
    }
}
