//! Names on both sides of a transfer: the local path of raw bytes, the last
//! name of a path, a remote path joined from a directory and a name, and the
//! checks a destination or a name from the server must pass before anything
//! touches the local disk.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::{Cause, Error};
use crate::fs::check_name;

/// The last component of a `/`-separated path, checked to be a file name.
pub fn last_name(path: &[u8]) -> Result<&[u8], Error> {
    let name = path
        .split(|&b| b == b'/')
        .rev()
        .find(|p| !p.is_empty())
        .unwrap_or(b"");
    check_name(name).map_err(|why| Error::path(path, Cause::BadName(why)))?;
    Ok(name)
}

/// A path from raw bytes.
pub fn os_path(bytes: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(bytes))
}

/// `dir/name` on the remote side (`name` alone when `dir` is empty).
pub fn remote_join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut out = dir.to_vec();
    if !out.is_empty() && !out.ends_with(b"/") {
        out.push(b'/');
    }
    out.extend_from_slice(name);
    out
}

/// Refuse to overwrite `dest` unless `force`; a directory is never overwritten.
pub fn check_destination(dest: &Path, force: bool) -> Result<(), Error> {
    let shown = dest.as_os_str().as_bytes();
    match std::fs::symlink_metadata(dest) {
        Ok(m) if m.is_dir() => Err(Error::path(shown, Cause::IsDir)),
        Ok(_) if !force => Err(Error::path(shown, Cause::Exists)),
        _ => Ok(()),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::escape;

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

    #[test]
    fn remote_paths_join_and_end_in_a_name() {
        assert_eq!(remote_join(b"", b"a"), b"a");
        assert_eq!(remote_join(b"d", b"a"), b"d/a");
        assert_eq!(remote_join(b"d/", b"a"), b"d/a");
        assert_eq!(last_name(b"/x/y/").unwrap(), b"y");
        assert!(last_name(b"/").is_err());
        assert!(last_name(b"a/..").is_err());
    }
}
