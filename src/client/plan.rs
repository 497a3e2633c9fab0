//! The planner: get, put, mget, mput and the recursive get -r and put -r
//! turned into a plan of jobs. mget and mput work by pattern, -r by tree;
//! `compare` weighs each file against the destination for `-c` and `-u`,
//! then the pipeline runs the plan, and a recursive get or put times the
//! directories it made once their contents are in. Names a server sends
//! back are checked before they touch the local disk: nothing lands outside
//! the local destination, whatever the server says.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::compare::{Dest, Flags, GetItem, PutItem, Side, plan_gets, plan_puts};
use super::conn::{Conn, ListItem};
use super::get::GetJob;
use super::names::{check_destination, check_peer_name, last_name, os_path, remote_join};
use super::pipeline::{self, Job, Plan};
use super::put::PutJob;
use super::session::Client;
use crate::error::{Cause, Error};
use crate::fs::glob::{self, Pattern};
use crate::sys;
use crate::wire::entry::compare;
use crate::wire::{Entry, Kind, escape};

/// Deepest directory tree a recursive transfer walks (links can make loops).
const MAX_TREE_DEPTH: usize = 64;
/// Most files and directories one recursive transfer takes on.
const MAX_TREE_ENTRIES: usize = 1_000_000;

/// `mget [-f] [-c] [-u] PATTERN...`: every regular file of the remote
/// directory that a pattern matches, each once, into the local directory.
pub fn mget(cl: &mut Client, patterns: &[&[u8]], flags: Flags) -> Result<(), Error> {
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    let mut plan = Plan::default();
    for &raw in patterns {
        let (dir, name_pattern) = glob::split_dir(raw);
        let pattern = Pattern::new(name_pattern)?;
        let too_many = || too_many_entries(dir.unwrap_or(b"."));
        let (entries, _) = list_names(&mut cl.conn, dir, MAX_TREE_ENTRIES, too_many, |e| {
            e.kind == Kind::File && pattern.matches(&e.name)
        })?;
        if entries.is_empty() {
            plan.failures.push(no_match(raw));
        }
        for e in &entries {
            if let Err(err) = check_peer_name(&e.name) {
                plan.failures.push(err);
                continue;
            }
            let remote = remote_join(dir.unwrap_or(b""), &e.name);
            if seen.insert(remote.clone()) {
                items.push(GetItem {
                    remote,
                    src: Side::of_entry(e),
                    dest: os_path(&e.name),
                });
            }
        }
    }
    plan_gets(cl, items, flags, &mut plan)?;
    pipeline::run_reporting(cl, "mget", plan).map(drop)
}

/// The entries of a remote directory by name (none when it does not exist).
fn remote_entries(cl: &mut Client, dir: Option<&[u8]>) -> Result<HashMap<Vec<u8>, Entry>, Error> {
    let too_many = || too_many_entries(dir.unwrap_or(b"."));
    match list_names(&mut cl.conn, dir, MAX_TREE_ENTRIES, too_many, |_| true) {
        Ok((entries, _)) => Ok(entries.into_iter().map(|e| (e.name.clone(), e)).collect()),
        Err(Error::Remote(_)) => Ok(HashMap::new()),
        Err(e) => Err(e),
    }
}

/// The entries of a remote directory that `keep` takes, at most `most`
/// of them (more is the error `too_many` makes: a server cannot make us
/// hold an endless listing), and the path the server listed.
fn list_names(
    conn: &mut Conn,
    path: Option<&[u8]>,
    most: usize,
    too_many: impl Fn() -> Error,
    keep: impl Fn(&Entry) -> bool,
) -> Result<(Vec<Entry>, Vec<u8>), Error> {
    let mut kept = Vec::new();
    let listed = conn.list_each(path, false, &mut |item| {
        if let ListItem::Entry(e) = item
            && keep(&e)
        {
            if kept.len() == most {
                return Err(too_many());
            }
            kept.push(e);
        }
        Ok(())
    })?;
    Ok((kept, listed))
}

/// A directory's listing that ran past `MAX_TREE_ENTRIES`.
fn too_many_entries(dir: &[u8]) -> Error {
    Error::path(dir, Cause::Refused("too many entries"))
}

fn no_match(pattern: &[u8]) -> Error {
    Error::path(pattern, Cause::Refused("no file matches"))
}

/// `mput [-f] [-c] [-u] PATTERN...`: every regular file of the local
/// directory that a pattern matches, each once, into the remote directory.
pub fn mput(cl: &mut Client, patterns: &[&[u8]], flags: Flags) -> Result<(), Error> {
    let existing = remote_entries(cl, None)?;
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    let mut plan = Plan::default();
    for &raw in patterns {
        let (dir, name_pattern) = glob::split_dir(raw);
        let pattern = Pattern::new(name_pattern)?;
        let local_dir = dir.map_or_else(|| PathBuf::from("."), os_path);
        let mut matched = false;
        for (name, meta) in local_files(&local_dir)?
            .into_iter()
            .filter(|(n, _)| pattern.matches(n))
        {
            matched = true;
            let local = local_dir.join(OsStr::from_bytes(&name));
            if seen.insert(local.clone()) {
                items.push(PutItem {
                    local,
                    src: Side::of_meta(&meta),
                    dest: Dest::of_entry(existing.get(&name)),
                    target: name,
                });
            }
        }
        if !matched {
            plan.failures.push(no_match(raw));
        }
    }
    plan_puts(cl, items, flags, &mut plan)?;
    pipeline::run_reporting(cl, "mput", plan).map(drop)
}

/// The regular files (not links) in a local directory, sorted by name.
fn local_files(dir: &Path) -> Result<Vec<(Vec<u8>, fs::Metadata)>, Error> {
    let shown = dir.as_os_str().as_bytes();
    let mut files = Vec::new();
    for item in fs::read_dir(dir).map_err(|e| Error::io_path(shown, &e))? {
        let item = item.map_err(|e| Error::io_path(shown, &e))?;
        if let Ok(meta) = item.metadata()
            && meta.is_file()
        {
            files.push((item.file_name().as_bytes().to_vec(), meta));
        }
    }
    files.sort_by(|a, b| compare(&a.0, &b.0));
    Ok(files)
}

/// Give local directories their remote times, deepest first (each one's
/// contents are in, and timing a child changes no parent's time).
fn time_local_dirs(mut dirs: Vec<(PathBuf, i64, u32, usize)>) -> Vec<Error> {
    dirs.sort_by_key(|d| std::cmp::Reverse(d.3));
    let mut failures = Vec::new();
    for (dir, secs, nsec, _) in dirs {
        let set = fs::File::open(&dir).and_then(|d| sys::set_mtime(&d, secs, nsec));
        if let Err(e) = set {
            failures.push(Error::io_path(dir.as_os_str().as_bytes(), &e));
        }
    }
    failures
}

/// `get -r [-f] [-c] [-u] REMOTE [LOCAL]`: a remote tree into LOCAL
/// (default: the remote directory's name here), directories made, files
/// planned against what is here already, directories timed at the end.
fn get_tree(
    cl: &mut Client,
    remote: &[u8],
    local: Option<&[u8]>,
    flags: Flags,
) -> Result<(), Error> {
    let Some(top) = cl.conn.stat(remote)? else {
        return Err(Error::path(remote, Cause::NotFound));
    };
    if top.kind != Kind::Dir {
        return get_file(cl, remote, local, flags);
    }
    let dest = match local {
        Some(l) => os_path(l),
        None => os_path(last_name(remote)?),
    };
    let mut plan = Plan::default();
    let mut items = Vec::new();
    let mut dirs = Vec::new();
    let mut pending = vec![(remote.to_vec(), dest, 0, top)];
    let mut count = 0;
    while let Some((dir, local_dir, depth, entry)) = pending.pop() {
        fs::create_dir_all(&local_dir)
            .map_err(|e| Error::io_path(local_dir.as_os_str().as_bytes(), &e))?;
        let room = MAX_TREE_ENTRIES.saturating_sub(count);
        let too_large = || Error::path(remote, Cause::Refused("tree too large"));
        let (entries, _) = list_names(&mut cl.conn, Some(&dir), room, too_large, |_| true)?;
        dirs.push((local_dir.clone(), entry.mtime, entry.mtime_nsec, depth));
        count += entries.len();
        if count > MAX_TREE_ENTRIES {
            return Err(Error::path(remote, Cause::Refused("tree too large")));
        }
        for e in entries {
            if let Err(err) = check_peer_name(&e.name) {
                plan.failures.push(err);
                continue;
            }
            let remote_path = remote_join(&dir, &e.name);
            let local_path = local_dir.join(OsStr::from_bytes(&e.name));
            match e.kind {
                Kind::Dir if depth + 1 >= MAX_TREE_DEPTH => {
                    let too_deep = Error::path(&remote_path, Cause::Refused("too deep"));
                    plan.failures.push(too_deep);
                }
                Kind::Dir => pending.push((remote_path, local_path, depth + 1, e)),
                Kind::File => items.push(GetItem {
                    remote: remote_path,
                    src: Side::of_entry(&e),
                    dest: local_path,
                }),
                Kind::Link | Kind::Other => skipped(cl, &remote_path),
            }
        }
    }
    plan_gets(cl, items, flags, &mut plan)?;
    let result = pipeline::run_reporting(cl, "get", plan).map(drop);
    if cl.keep {
        for e in time_local_dirs(dirs) {
            crate::out::err_line(&format!("rftp: get: {e}"));
        }
    }
    result
}

/// Say that a link or special file was left out (not a failure).
fn skipped(cl: &Client, path: &[u8]) {
    if !cl.quiet {
        crate::out::err_line(&format!(
            "rftp: skipping '{}': not a regular file or directory",
            escape(path)
        ));
    }
}

/// `put -r [-f] [-c] [-u] LOCAL [REMOTE]`: a local tree into REMOTE
/// (default: the local directory's name there). Links are not followed.
/// One LIST per remote directory that exists already tells what is there.
fn put_tree(
    cl: &mut Client,
    local: &[u8],
    remote: Option<&[u8]>,
    flags: Flags,
) -> Result<(), Error> {
    let top = os_path(local);
    let meta = fs::symlink_metadata(&top).map_err(|e| Error::io_path(local, &e))?;
    if !meta.is_dir() {
        return put_file(cl, local, remote, flags);
    }
    let target = match remote {
        Some(r) => r.to_vec(),
        None => last_name(local)?.to_vec(),
    };
    let mut plan = Plan::default();
    plan.jobs.push(Job::Mkdir(target.clone()));
    let mut times = Vec::new();
    let mut items = Vec::new();
    let mut pending = vec![(top, target, 0, meta)];
    let mut count = 0;
    while let Some((dir, remote_dir, depth, dir_meta)) = pending.pop() {
        let shown = dir.as_os_str().as_bytes().to_vec();
        let mut found: Vec<_> = fs::read_dir(&dir)
            .map_err(|e| Error::io_path(&shown, &e))?
            .filter_map(Result::ok)
            .filter_map(|i| i.metadata().ok().map(|m| (i.file_name(), i.path(), m)))
            .collect();
        found.sort_by(|a, b| compare(a.0.as_bytes(), b.0.as_bytes()));
        count += found.len();
        if count > MAX_TREE_ENTRIES {
            return Err(Error::path(local, Cause::Refused("tree too large")));
        }
        let side = Side::of_meta(&dir_meta);
        times.push((depth, Job::Mtime(remote_dir.clone(), side.mtime, side.nsec)));
        let there = remote_entries(cl, Some(&remote_dir))?;
        for (name, path, m) in found {
            let name = name.as_bytes().to_vec();
            let remote_path = remote_join(&remote_dir, &name);
            if m.is_dir() && depth + 1 >= MAX_TREE_DEPTH {
                let shown = path.as_os_str().as_bytes();
                plan.failures
                    .push(Error::path(shown, Cause::Refused("too deep")));
            } else if m.is_dir() {
                plan.jobs.push(Job::Mkdir(remote_path.clone()));
                pending.push((path, remote_path, depth + 1, m));
            } else if m.is_file() {
                items.push(PutItem {
                    local: path,
                    src: Side::of_meta(&m),
                    dest: Dest::of_entry(there.get(&name)),
                    target: remote_path,
                });
            } else {
                skipped(cl, path.as_os_str().as_bytes());
            }
        }
    }
    plan_puts(cl, items, flags, &mut plan)?;
    if cl.keep {
        times.sort_by_key(|t| std::cmp::Reverse(t.0));
        plan.jobs.extend(times.into_iter().map(|(_, job)| job));
    }
    pipeline::run_reporting(cl, "put", plan).map(drop)
}

/// `get [-f] [-c] [-u] [-r] [-z] REMOTE [LOCAL]`: one file, or with `-r` a
/// tree (`get_tree`).
pub fn get(
    cl: &mut Client,
    remote: &[u8],
    local: Option<&[u8]>,
    flags: Flags,
) -> Result<(), Error> {
    if flags.recursive {
        return get_tree(cl, remote, local, flags);
    }
    get_file(cl, remote, local, flags)
}

/// `get` of one file.
fn get_file(
    cl: &mut Client,
    remote: &[u8],
    local: Option<&[u8]>,
    flags: Flags,
) -> Result<(), Error> {
    let name = last_name(remote)?;
    let dest = match local {
        Some(l) if os_path(l).is_dir() => os_path(l).join(OsStr::from_bytes(name)),
        Some(l) => os_path(l),
        None => os_path(name),
    };
    if flags.resume || flags.update {
        let Some(entry) = cl.conn.stat(remote)? else {
            return Err(Error::path(remote, Cause::NotFound));
        };
        let item = GetItem {
            remote: remote.to_vec(),
            src: Side::of_entry(&entry),
            dest,
        };
        let mut plan = Plan::default();
        plan_gets(cl, vec![item], flags, &mut plan)?;
        return pipeline::run_reporting(cl, "get", plan).map(drop);
    }
    check_destination(&dest, flags.force)?;
    let job = GetJob::new(remote.to_vec(), dest, flags.force).compressed(flags.deflate);
    run_one(cl, Job::Get(job))
}

/// `put [-f] [-c] [-u] [-r] LOCAL [REMOTE]`: one file, or with `-r` a tree
/// (`put_tree`).
pub fn put(
    cl: &mut Client,
    local: &[u8],
    remote: Option<&[u8]>,
    flags: Flags,
) -> Result<(), Error> {
    if flags.recursive {
        return put_tree(cl, local, remote, flags);
    }
    put_file(cl, local, remote, flags)
}

/// `put` of one file.
fn put_file(
    cl: &mut Client,
    local: &[u8],
    remote: Option<&[u8]>,
    flags: Flags,
) -> Result<(), Error> {
    let name = last_name(local)?;
    let checked = flags.resume || flags.update;
    let target = remote_target(cl, remote.unwrap_or(name), name, flags.force || checked)?;
    let job = PutJob::new(local.to_vec(), target.clone(), flags.force);
    let (_, meta) = job.open()?;
    if checked {
        let existing = cl.conn.stat(&target)?;
        let item = PutItem {
            local: os_path(local),
            src: Side {
                size: meta.size,
                mtime: meta.mtime,
                nsec: meta.mtime_nsec,
            },
            target,
            dest: Dest::of_entry(existing.as_ref()),
        };
        let mut plan = Plan::default();
        plan_puts(cl, vec![item], flags, &mut plan)?;
        return pipeline::run_reporting(cl, "put", plan).map(drop);
    }
    run_one(cl, Job::Put(job))
}

/// Run one job; its failure is the command's.
fn run_one(cl: &mut Client, job: Job) -> Result<(), Error> {
    match pipeline::run(cl, vec![job])?.failed.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
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
    let mut existing = cl.conn.stat(&target)?;
    if existing.as_ref().is_some_and(|e| e.kind == Kind::Dir) {
        target = remote_join(&target, name);
        existing = cl.conn.stat(&target)?;
    }
    match existing {
        Some(e) if e.kind == Kind::Dir => Err(Error::path(&target, Cause::IsDir)),
        Some(_) if !force => Err(Error::path(&target, Cause::Exists)),
        _ => Ok(target),
    }
}
