//! Many-file commands: mget and mput by pattern, get -r and put -r by tree.
//! Each works out its list of transfers first (`plan` compares the two
//! sides for `-c` and `-u`), then runs them pipelined, and times the
//! directories a recursive get or put made once their contents are in.
//! Names a server sends back are checked before they touch the local disk:
//! nothing lands outside the local destination, whatever the server says.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::commands::{Client, Flags};
use super::pipeline::{self, Job, Plan};
use super::plan::{Dest, GetItem, PutItem, Side, plan_gets, plan_puts};
use super::transfer::{last_name, os_path, remote_join, stat};
use crate::error::{Cause, Error};
use crate::fs::check_name;
use crate::fs::glob::{self, Pattern};
use crate::sys;
use crate::wire::entry::compare;
use crate::wire::{Entry, Kind, escape};

/// Deepest directory tree a recursive transfer walks (links can make loops).
const MAX_TREE_DEPTH: usize = 64;
/// Most files and directories one recursive transfer takes on.
const MAX_TREE_ENTRIES: usize = 1_000_000;

/// Check a name the server sent for a file in a listing: a plain name, no
/// separator, no `..`, no control bytes. Refused with an error naming it.
pub fn check_peer_name(name: &[u8]) -> Result<(), Error> {
    check_name(name).map_err(|why| Error::path(name, Cause::BadName(why)))?;
    if name.iter().any(|&b| b < 0x20 || b == 0x7f) {
        return Err(Error::path(
            name,
            Cause::BadName("name from the server has a control byte"),
        ));
    }
    Ok(())
}

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
        let (entries, _) = cl.list_names(dir, MAX_TREE_ENTRIES, too_many, |e| {
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
    match cl.list_names(dir, MAX_TREE_ENTRIES, too_many, |_| true) {
        Ok((entries, _)) => Ok(entries.into_iter().map(|e| (e.name.clone(), e)).collect()),
        Err(Error::Remote(_)) => Ok(HashMap::new()),
        Err(e) => Err(e),
    }
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
pub fn get_tree(
    cl: &mut Client,
    remote: &[u8],
    local: Option<&[u8]>,
    flags: Flags,
) -> Result<(), Error> {
    let Some(top) = stat(cl, remote)? else {
        return Err(Error::path(remote, Cause::NotFound));
    };
    if top.kind != Kind::Dir {
        return super::transfer::get(cl, remote, local, flags);
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
        let (entries, _) = cl.list_names(Some(&dir), room, too_large, |_| true)?;
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
pub fn put_tree(
    cl: &mut Client,
    local: &[u8],
    remote: Option<&[u8]>,
    flags: Flags,
) -> Result<(), Error> {
    let top = os_path(local);
    let meta = fs::symlink_metadata(&top).map_err(|e| Error::io_path(local, &e))?;
    if !meta.is_dir() {
        return super::transfer::put(cl, local, remote, flags);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_names_are_checked() {
        for bad in [
            &b"../x"[..],
            b"/abs",
            b"a/b",
            b"..",
            b".",
            b"",
            b"ctl\x01",
            b"nl\n",
            b"del\x7f",
        ] {
            assert!(check_peer_name(bad).is_err(), "{}", escape(bad));
        }
        assert!(check_peer_name("ok \u{1F600}.txt".as_bytes()).is_ok());
        assert!(check_peer_name(b"\xe9t\xe9").is_ok());
    }
}
