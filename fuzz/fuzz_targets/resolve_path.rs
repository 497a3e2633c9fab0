//! Fuzz target: `fs::resolve_path`, the pure part of the jail, and
//! `fs::check_name`. Input: a cwd (resolved from the root), a NUL, then the
//! client's path. Checks that a result has only normal components, is
//! already resolved, and never climbed above the root.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rftp::fs::{MAX_NAME_BYTES, VPath, check_name, resolve_path};

fuzz_target!(|data: &[u8]| {
    let (cwd, path) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b""[..], data),
    };
    let root = VPath::root();
    let cwd = resolve_path(&root, cwd).unwrap_or_else(|_| VPath::root());
    assert_normal(&cwd);
    if let Ok(v) = resolve_path(&cwd, path) {
        assert_normal(&v);
        assert!(!path.contains(&0) && !path.contains(&b'\\'));
        assert!(depth_never_negative(&cwd, path), "climbed out: {path:?}");
        if path.starts_with(b"/") {
            assert_eq!(resolve_path(&root, path).ok(), Some(v.clone()));
        }
    }
    if check_name(path).is_ok() {
        let v = resolve_path(&root, path).expect("a good name resolves");
        assert_eq!(v.name(), Some(path));
        assert_eq!(v.to_bytes(), [b"/", path].concat());
    }
});

/// Every component is a name a directory can hold: shown as a path and
/// resolved again, the path gives back the same components.
fn assert_normal(v: &VPath) {
    let shown = v.to_bytes();
    assert!(shown.starts_with(b"/"));
    if shown != b"/" {
        for part in shown[1..].split(|&b| b == b'/') {
            assert!(
                !part.is_empty() && part != b"." && part != b"..",
                "{shown:?}"
            );
            assert!(!part.contains(&0) && !part.contains(&b'\\'), "{shown:?}");
            assert!(part.len() <= MAX_NAME_BYTES, "{shown:?}");
        }
    }
    let again = resolve_path(&VPath::root(), &shown).expect("a resolved path resolves");
    assert_eq!(&again, v, "components hold a slash or are not normal");
    if let Some(name) = v.name() {
        assert!(check_name(name).is_ok(), "{name:?}");
    }
}

/// Walking `path` from `cwd` never goes above the root.
fn depth_never_negative(cwd: &VPath, path: &[u8]) -> bool {
    let shown = cwd.to_bytes();
    let mut depth: i64 = if path.starts_with(b"/") || shown == b"/" {
        0
    } else {
        shown.iter().filter(|&&b| b == b'/').count() as i64
    };
    for part in path.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => depth -= 1,
            _ => depth += 1,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}
