//! Many-file commands: mget and mput by pattern, get -r and put -r by tree.
//! Each works out its list of transfers first, then runs them pipelined.
//! Names a server sends back are checked before they touch the local disk:
//! nothing lands outside the local destination, whatever the server says.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::commands::{Client, Flags};
use super::conn::ListItem;
use super::pipeline::{self, Job};
use super::transfer::{GetJob, PutJob, check_destination, last_name, os_path, remote_join, stat};
use crate::error::{Cause, Error};
use crate::fs::glob::{self, Pattern};
use crate::fs::{Kind, check_name};
use crate::wire::escape;

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

/// `mget [-f] PATTERN...`: every regular file of the remote directory that a
/// pattern matches, each once, into the local directory.
pub fn mget(cl: &mut Client, patterns: &[&[u8]], flags: Flags) -> Result<(), Error> {
    let force = flags.force;
    let mut seen = HashSet::new();
    let mut jobs = Vec::new();
    let mut failures = Vec::new();
    for &raw in patterns {
        let (dir, name_pattern) = glob::split_dir(raw);
        let pattern = Pattern::new(name_pattern)?;
        let (entries, _) = cl.list_names(dir, MAX_TREE_ENTRIES, |e| {
            e.kind == Kind::File && pattern.matches(&e.name)
        })?;
        let mut matched = false;
        for e in &entries {
            matched = true;
            if let Err(err) = check_peer_name(&e.name) {
                failures.push(err);
                continue;
            }
            let remote = remote_join(dir.unwrap_or(b""), &e.name);
            if !seen.insert(remote.clone()) {
                continue;
            }
            let dest = os_path(&e.name);
            match check_destination(&dest, force) {
                Ok(()) => jobs.push(Job::Get(
                    GetJob::new(remote, dest, force).compressed(flags.deflate),
                )),
                Err(err) => failures.push(err),
            }
        }
        if !matched {
            failures.push(no_match(raw));
        }
    }
    pipeline::run_reporting(cl, "mget", jobs, failures)
}

/// The names in a remote directory.
fn remote_names(cl: &mut Client, dir: Option<&[u8]>) -> Result<HashSet<Vec<u8>>, Error> {
    let mut names = HashSet::new();
    let shown = dir.unwrap_or(b".").to_vec();
    cl.list_each(dir, false, &mut |item| {
        if let ListItem::Entry(e) = item {
            if names.len() == MAX_TREE_ENTRIES {
                return Err(Error::path(&shown, Cause::Refused("too many entries")));
            }
            names.insert(e.name);
        }
        Ok(())
    })?;
    Ok(names)
}

/// A tree's listing that ran past `MAX_TREE_ENTRIES`, said of the tree.
fn too_large(tree: &[u8], e: Error) -> Error {
    match e {
        Error::Path {
            cause: Cause::Refused("too many entries"),
            ..
        } => Error::path(tree, Cause::Refused("tree too large")),
        e => e,
    }
}

fn no_match(pattern: &[u8]) -> Error {
    Error::path(pattern, Cause::Refused("no file matches"))
}

/// `mput [-f] PATTERN...`: every regular file of the local directory that a
/// pattern matches, each once, into the remote directory.
pub fn mput(cl: &mut Client, patterns: &[&[u8]], flags: Flags) -> Result<(), Error> {
    let force = flags.force;
    let existing: HashSet<Vec<u8>> = if force {
        HashSet::new()
    } else {
        remote_names(cl, None)?
    };
    let mut seen = HashSet::new();
    let mut jobs = Vec::new();
    let mut failures = Vec::new();
    for &raw in patterns {
        let (dir, name_pattern) = glob::split_dir(raw);
        let pattern = Pattern::new(name_pattern)?;
        let local_dir = dir.map_or_else(|| PathBuf::from("."), os_path);
        let mut matched = false;
        for name in local_files(&local_dir)?
            .into_iter()
            .filter(|n| pattern.matches(n))
        {
            matched = true;
            let local = local_dir.join(OsStr::from_bytes(&name));
            if !seen.insert(local.clone()) {
                continue;
            }
            if existing.contains(&name) {
                failures.push(Error::path(&name, Cause::Exists));
                continue;
            }
            jobs.push(Job::Put(PutJob::new(
                local.as_os_str().as_bytes().to_vec(),
                name,
                force,
            )));
        }
        if !matched {
            failures.push(no_match(raw));
        }
    }
    pipeline::run_reporting(cl, "mput", jobs, failures)
}

/// Names of the regular files (not links) in a local directory, sorted.
fn local_files(dir: &Path) -> Result<Vec<Vec<u8>>, Error> {
    let shown = dir.as_os_str().as_bytes();
    let mut names = Vec::new();
    for item in fs::read_dir(dir).map_err(|e| Error::io_path(shown, &e))? {
        let item = item.map_err(|e| Error::io_path(shown, &e))?;
        if item.file_type().is_ok_and(|t| t.is_file()) {
            names.push(item.file_name().as_bytes().to_vec());
        }
    }
    names.sort_by(|a, b| crate::fs::listing::compare(a, b));
    Ok(names)
}

/// `get -r [-f] REMOTE [LOCAL]`: a remote tree into LOCAL (default: the
/// remote directory's name here), directories made, files each checked.
pub fn get_tree(
    cl: &mut Client,
    remote: &[u8],
    local: Option<&[u8]>,
    flags: Flags,
) -> Result<(), Error> {
    let force = flags.force;
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
    let mut jobs = Vec::new();
    let mut failures = Vec::new();
    let mut pending = vec![(remote.to_vec(), dest, 0)];
    let mut count = 0;
    while let Some((dir, local_dir, depth)) = pending.pop() {
        fs::create_dir_all(&local_dir)
            .map_err(|e| Error::io_path(local_dir.as_os_str().as_bytes(), &e))?;
        let room = MAX_TREE_ENTRIES.saturating_sub(count);
        let (entries, _) = cl
            .list_names(Some(&dir), room, |_| true)
            .map_err(|e| too_large(remote, e))?;
        count += entries.len();
        if count > MAX_TREE_ENTRIES {
            return Err(Error::path(remote, Cause::Refused("tree too large")));
        }
        for e in entries {
            if let Err(err) = check_peer_name(&e.name) {
                failures.push(err);
                continue;
            }
            let remote_path = remote_join(&dir, &e.name);
            let local_path = local_dir.join(OsStr::from_bytes(&e.name));
            match e.kind {
                Kind::Dir if depth + 1 >= MAX_TREE_DEPTH => {
                    failures.push(Error::path(&remote_path, Cause::Refused("too deep")));
                }
                Kind::Dir => pending.push((remote_path, local_path, depth + 1)),
                Kind::File => match check_destination(&local_path, force) {
                    Ok(()) => jobs.push(Job::Get(
                        GetJob::new(remote_path, local_path, force).compressed(flags.deflate),
                    )),
                    Err(err) => failures.push(err),
                },
                Kind::Link | Kind::Other => skipped(cl, &remote_path),
            }
        }
    }
    pipeline::run_reporting(cl, "get", jobs, failures)
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

/// `put -r [-f] LOCAL [REMOTE]`: a local tree into REMOTE (default: the
/// local directory's name there). Links are not followed.
pub fn put_tree(
    cl: &mut Client,
    local: &[u8],
    remote: Option<&[u8]>,
    flags: Flags,
) -> Result<(), Error> {
    let force = flags.force;
    let top = os_path(local);
    let meta = fs::symlink_metadata(&top).map_err(|e| Error::io_path(local, &e))?;
    if !meta.is_dir() {
        return super::transfer::put(cl, local, remote, flags);
    }
    let target = match remote {
        Some(r) => r.to_vec(),
        None => last_name(local)?.to_vec(),
    };
    let mut jobs = vec![Job::Mkdir(target.clone())];
    let mut pending = vec![(top, target, 0)];
    let mut count = 0;
    let mut failures = Vec::new();
    while let Some((dir, remote_dir, depth)) = pending.pop() {
        let shown = dir.as_os_str().as_bytes().to_vec();
        let mut items: Vec<_> = fs::read_dir(&dir)
            .map_err(|e| Error::io_path(&shown, &e))?
            .filter_map(Result::ok)
            .collect();
        items.sort_by(|a, b| {
            crate::fs::listing::compare(a.file_name().as_bytes(), b.file_name().as_bytes())
        });
        count += items.len();
        if count > MAX_TREE_ENTRIES {
            return Err(Error::path(local, Cause::Refused("tree too large")));
        }
        // Without -f, files already there are refused before their bytes
        // are sent (one LIST per directory that exists already).
        let taken: HashSet<Vec<u8>> = if force {
            HashSet::new()
        } else {
            remote_names(cl, Some(&remote_dir)).unwrap_or_default()
        };
        for item in items {
            let name = item.file_name().as_bytes().to_vec();
            let path = item.path();
            let remote_path = remote_join(&remote_dir, &name);
            match item.file_type() {
                Ok(t) if t.is_dir() && depth + 1 >= MAX_TREE_DEPTH => {
                    failures.push(Error::path(
                        path.as_os_str().as_bytes(),
                        Cause::Refused("too deep"),
                    ));
                }
                Ok(t) if t.is_dir() => {
                    jobs.push(Job::Mkdir(remote_path.clone()));
                    pending.push((path, remote_path, depth + 1));
                }
                Ok(t) if t.is_file() && taken.contains(&name) => {
                    failures.push(Error::path(&remote_path, Cause::Exists));
                }
                Ok(t) if t.is_file() => {
                    jobs.push(Job::Put(PutJob::new(
                        path.as_os_str().as_bytes().to_vec(),
                        remote_path,
                        force,
                    )));
                }
                _ => skipped(cl, path.as_os_str().as_bytes()),
            }
        }
    }
    pipeline::run_reporting(cl, "put", jobs, failures)
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
