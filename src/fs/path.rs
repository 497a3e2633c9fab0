//! Client paths, before any file is touched: the path inside the served
//! tree as normal components (`VPath`), resolving what a client typed
//! against its current directory, and the check of a single name a peer
//! gave. Pure functions; the jail's pure half.

use crate::error::{Cause, Error};

/// Longest single name in a path, in bytes (the common file-system limit).
pub const MAX_NAME_BYTES: usize = 255;

/// A path inside the served tree, as normal components from the root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VPath(pub(super) Vec<Vec<u8>>);

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_peers_are_checked() {
        for bad in [&b""[..], b".", b"..", b"a/b", b"a\0", b"a\\b", &[b'x'; 256]] {
            assert!(check_name(bad).is_err());
        }
        assert!(check_name("é 😀\n.txt".as_bytes()).is_ok());
    }

    #[test]
    fn resolving_never_climbs_above_the_root() {
        let sub = resolve_path(&VPath::root(), b"sub").unwrap();
        assert_eq!(
            resolve_path(&sub, b"../a/./b//c").unwrap().to_bytes(),
            b"/a/b/c"
        );
        assert_eq!(resolve_path(&sub, b"/x").unwrap().to_bytes(), b"/x");
        assert_eq!(resolve_path(&sub, b"..").unwrap(), VPath::root());
        for bad in [&b"../.."[..], b"/..", b"a\\b", b"a\0b", b""] {
            assert!(resolve_path(&sub, bad).is_err(), "{bad:?}");
        }
    }
}
