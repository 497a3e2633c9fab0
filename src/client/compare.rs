//! Deciding what each file of a transfer needs, before anything moves: the
//! flags a transfer command gives, and with `-c` and `-u` the destination's
//! state (one listing of it, or a local stat) compared with the source's
//! here; CRC checks of equal-sized files and PARTIAL questions go out
//! pipelined, and only the transfers needed become jobs. No payload is read
//! or written here.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fs::{self, File};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::get::GetJob;
use super::pipeline::{Job, Plan, exchange_all};
use super::put::PutJob;
use super::session::Client;
use crate::error::{Cause, Error};
use crate::fs::{Partial, crc_of};
use crate::wire::{Entry, Kind, Request, Sums, code};

/// What a transfer command's flags ask for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags {
    /// `-f`: overwrite an existing destination.
    pub force: bool,
    /// `-c`: continue from kept partial data; skip complete files.
    pub resume: bool,
    /// `-u`: move only what is missing or different.
    pub update: bool,
    /// `--checksum` (with `-u`): equal-sized files compared by CRC-32.
    pub checksum: bool,
    /// `-z`: deflate on the wire.
    pub deflate: bool,
    /// `-r`: a directory and everything in it.
    pub recursive: bool,
}

/// A file's size and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Side {
    /// Size in bytes.
    pub size: u64,
    /// Seconds since 1970 UTC.
    pub mtime: i64,
    /// Nanoseconds within `mtime` (0: unknown).
    pub nsec: u32,
}

impl Side {
    /// A listing entry's size and time.
    pub fn of_entry(e: &Entry) -> Side {
        Side {
            size: e.size,
            mtime: e.mtime,
            nsec: e.mtime_nsec,
        }
    }

    /// A local file's size and time.
    pub fn of_meta(m: &fs::Metadata) -> Side {
        Side {
            size: m.len(),
            mtime: m.mtime(),
            nsec: u32::try_from(m.mtime_nsec()).unwrap_or(0),
        }
    }

    /// Same time: to the second, and to the nanosecond where both have it.
    fn same_time(&self, other: &Side) -> bool {
        self.mtime == other.mtime && (self.nsec == other.nsec || self.nsec == 0 || other.nsec == 0)
    }
}

/// What the destination holds under a file's name.
#[derive(Debug, Clone, Copy)]
pub enum Dest {
    /// Nothing.
    Missing,
    /// A directory (never replaced).
    Dir,
    /// A file (or, on the server, something else that is not a directory).
    File(Side),
    /// A local symbolic link or special file: never replaced by a file.
    Special,
}

impl Dest {
    /// What a remote listing says of a name (`None`: not listed).
    pub fn of_entry(e: Option<&Entry>) -> Dest {
        match e {
            None => Dest::Missing,
            Some(e) if e.kind == Kind::Dir => Dest::Dir,
            Some(e) => Dest::File(Side::of_entry(e)),
        }
    }

    /// What is at a local path now.
    pub fn of_path(path: &Path) -> Dest {
        match fs::symlink_metadata(path) {
            Err(_) => Dest::Missing,
            Ok(m) if m.is_dir() => Dest::Dir,
            Ok(m) if m.is_file() => Dest::File(Side::of_meta(&m)),
            Ok(_) => Dest::Special,
        }
    }
}

/// Why a local link or special file in a download's way stays.
const SPECIAL_REFUSED: Cause = Cause::Refused("a link or special file, never replaced");

/// Where many files go, the names their directories hold, each directory
/// read once: a name it does not hold is `Missing` without a lookup of its
/// own (thousands of them cost more than one read of the directory).
struct LocalDirs {
    /// Per directory, its names; `None` where it could not be read (then
    /// each name is looked up).
    names: RefCell<HashMap<PathBuf, Option<HashSet<OsString>>>>,
    /// Most names to read of one directory.
    most: usize,
}

impl LocalDirs {
    /// What is at `path` now, as `Dest::of_path` says.
    fn dest(&self, path: &Path) -> Dest {
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            return Dest::of_path(path);
        };
        let mut names = self.names.borrow_mut();
        let held = names
            .entry(dir.to_path_buf())
            .or_insert_with(|| read_names(dir, self.most));
        match held {
            Some(held) if !held.contains(name) => Dest::Missing,
            _ => Dest::of_path(path),
        }
    }

    /// Whether the directory of `path`, as read, held no partial file of it.
    fn none_left(&self, path: &Path) -> bool {
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            return false;
        };
        let part = Partial::name_for(name.as_bytes());
        match self.names.borrow().get(dir) {
            Some(Some(held)) => !held.contains(std::ffi::OsStr::from_bytes(&part)),
            _ => false,
        }
    }
}

/// The names in the directory `dir` ("" is "."): an empty set when there is
/// no such directory yet, `None` when it cannot be read or holds more than
/// `most` names (reading a huge one would cost more than the lookups).
fn read_names(dir: &Path, most: usize) -> Option<HashSet<OsString>> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Some(HashSet::new()),
        Err(_) => return None,
    };
    let mut names = HashSet::new();
    for entry in entries {
        if names.len() == most {
            return None;
        }
        names.insert(entry.ok()?.file_name());
    }
    Some(names)
}

/// Fewer files than this look their names up one by one.
const READ_DIR_FROM_FILES: usize = 16;

/// What one file needs.
enum Verdict {
    /// A transfer; `replace` when a file at the destination gives way.
    Move { replace: bool },
    /// Nothing: the destination is already right.
    Current,
    /// The CRC-32 of both sides decides.
    Compare,
    /// Refused (the destination is in the way).
    Refuse(Cause),
}

/// The rule: `-c`/`-u` skip a file of the same size and time (`--checksum`:
/// the same CRC-32 instead); `-c` also takes the same size and CRC-32 as
/// complete; `-u` and `-f` replace what differs; otherwise an existing file
/// is never replaced.
fn judge(src: &Side, dest: &Dest, f: Flags) -> Verdict {
    let d = match dest {
        Dest::Missing => return Verdict::Move { replace: false },
        Dest::Dir => return Verdict::Refuse(Cause::IsDir),
        Dest::Special => return Verdict::Refuse(SPECIAL_REFUSED),
        Dest::File(d) => d,
    };
    if (f.resume || f.update) && d.size == src.size {
        if f.checksum || (f.resume && !src.same_time(d)) {
            return Verdict::Compare;
        }
        if src.same_time(d) {
            return Verdict::Current;
        }
    }
    if f.update || f.force {
        Verdict::Move { replace: true }
    } else {
        Verdict::Refuse(Cause::Exists)
    }
}

/// One download a plan considers.
pub struct GetItem {
    /// The remote file.
    pub remote: Vec<u8>,
    /// Its size and time, from the listing.
    pub src: Side,
    /// Where it goes.
    pub dest: PathBuf,
}

/// One upload a plan considers.
pub struct PutItem {
    /// The local file.
    pub local: PathBuf,
    /// Its size and time.
    pub src: Side,
    /// Where it goes.
    pub target: Vec<u8>,
    /// What the remote listing showed there.
    pub dest: Dest,
}

/// Whether the pipelined CRC answers match the local files' CRC-32.
fn same_crcs(cl: &mut Client, pairs: &[(Vec<u8>, &Path, u64)]) -> Result<Vec<bool>, Error> {
    let requests: Vec<Request> = pairs
        .iter()
        .map(|(remote, _, size)| Request::Crc {
            path: remote.clone(),
            length: *size,
        })
        .collect();
    let replies = exchange_all(cl, &requests)?;
    Ok(pairs
        .iter()
        .zip(replies)
        .map(|((_, local, size), reply)| {
            let mine = File::open(local).and_then(|mut f| crc_of(&mut f, u64::MAX));
            reply.code == code::STAT
                && matches!((Sums::parse(&reply.text), mine), (Some(s), Ok(l)) if s.length == *size && s.crc == l)
        })
        .collect())
}

/// Sort items into `plan` by verdict; returns the ones to move, with
/// whether each replaces, after the CRC comparisons.
fn sort_out<T>(
    cl: &mut Client,
    items: Vec<T>,
    flags: Flags,
    plan: &mut Plan,
    facts: impl Fn(&T) -> (Side, Dest, Vec<u8>, &Path),
) -> Result<Vec<(T, bool)>, Error> {
    plan.checked |= flags.resume || flags.update;
    let mut moves = Vec::new();
    let mut compare = Vec::new();
    for item in items {
        let (src, dest, remote, local) = facts(&item);
        match judge(&src, &dest, flags) {
            Verdict::Move { replace } => moves.push((item, replace)),
            Verdict::Current => plan.current += 1,
            Verdict::Compare => compare.push(item),
            Verdict::Refuse(cause) => {
                let shown = if matches!(dest, Dest::Dir | Dest::Special) || remote.is_empty() {
                    local.as_os_str().as_bytes().to_vec()
                } else {
                    remote
                };
                plan.failures.push(Error::path(&shown, cause));
            }
        }
    }
    let pairs: Vec<_> = compare
        .iter()
        .map(|i| {
            let (src, _, remote, local) = facts(i);
            (remote, local, src.size)
        })
        .collect();
    let same = same_crcs(cl, &pairs)?;
    drop(pairs);
    for (item, same) in compare.into_iter().zip(same) {
        if same {
            plan.current += 1;
        } else if flags.update || flags.force {
            moves.push((item, true));
        } else {
            let (_, _, remote, _) = facts(&item);
            plan.failures.push(Error::path(&remote, Cause::Exists));
        }
    }
    Ok(moves)
}

/// Plan downloads: skip what is current, continue kept partial files (`-c`),
/// move the rest.
pub fn plan_gets(
    cl: &mut Client,
    items: Vec<GetItem>,
    flags: Flags,
    plan: &mut Plan,
) -> Result<(), Error> {
    // A directory of up to four times as many names as there are files is
    // read whole.
    let dirs = (items.len() >= READ_DIR_FROM_FILES).then(|| LocalDirs {
        names: RefCell::default(),
        most: items.len().saturating_mul(4),
    });
    let moves = sort_out(cl, items, flags, plan, |i| {
        let dest = match &dirs {
            Some(dirs) => dirs.dest(&i.dest),
            None => Dest::of_path(&i.dest),
        };
        (i.src, dest, i.remote.clone(), i.dest.as_path())
    })?;
    for (item, replace) in moves {
        let kept = flags.resume && has_partial(&item.dest);
        let none_left = dirs.as_ref().is_some_and(|d| d.none_left(&item.dest));
        let mut job = GetJob::new(item.remote, item.dest, replace)
            .compressed(flags.deflate)
            .sized(item.src.size)
            .none_left(none_left);
        if kept && let Err(e) = job.resume(cl) {
            if e.ends_session() {
                return Err(e);
            }
            plan.failures.push(e);
            continue;
        }
        plan.jobs.push(Job::Get(job));
    }
    Ok(())
}

/// Whether an interrupted download left partial data for `dest`.
fn has_partial(dest: &Path) -> bool {
    let name = dest.file_name().map_or(&b""[..], |n| n.as_bytes());
    let part = Partial::name_for(name);
    let dir = dest.parent().unwrap_or(Path::new("."));
    fs::symlink_metadata(dir.join(std::ffi::OsStr::from_bytes(&part))).is_ok()
}

/// Plan uploads: skip what is current, ask (pipelined) what the server kept
/// of the missing ones (`-c`), move the rest.
pub fn plan_puts(
    cl: &mut Client,
    items: Vec<PutItem>,
    flags: Flags,
    plan: &mut Plan,
) -> Result<(), Error> {
    let moves = sort_out(cl, items, flags, plan, |i| {
        (i.src, i.dest, i.target.clone(), i.local.as_path())
    })?;
    let mut jobs: Vec<(PutJob, bool)> = moves
        .into_iter()
        .map(|(item, replace)| {
            let missing = matches!(item.dest, Dest::Missing);
            let local = item.local.as_os_str().as_bytes().to_vec();
            let job = PutJob::new(local, item.target, replace).sized(item.src.size);
            (job, missing)
        })
        .collect();
    if flags.resume {
        let asks: Vec<Request> = jobs
            .iter()
            .filter(|(_, missing)| *missing)
            .map(|(j, _)| j.partial_request())
            .collect();
        let mut replies = exchange_all(cl, &asks)?.into_iter();
        let mut kept = Vec::with_capacity(jobs.len());
        for (mut job, missing) in jobs {
            let reply = if missing { replies.next() } else { None };
            match reply.map(|r| job.resume_from(&r)) {
                Some(Err(e)) => plan.failures.push(e),
                _ => kept.push((job, missing)),
            }
        }
        jobs = kept;
    }
    plan.jobs
        .extend(jobs.into_iter().map(|(job, _)| Job::Put(job)));
    Ok(())
}
