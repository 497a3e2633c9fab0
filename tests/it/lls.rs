//! lls lists the local tree as it is, not through the server's jail: the
//! partial files of interrupted downloads show with `-a`, and a local link
//! is listed as what it points to, wherever that is.

use std::fs::{self, File, Permissions};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::time::{Duration, UNIX_EPOCH};

use crate::util::{Server, TempDir};

/// 2026-11-20 14:02:00 UTC.
const MTIME_SECS: u64 = 1_795_183_320;

/// A local file of `size` bytes, mode 0644, dated `MTIME_SECS`.
fn fixed_file(dir: &TempDir, name: &str, size: usize) {
    let p = dir.write(name, vec![b'x'; size]);
    fs::set_permissions(&p, Permissions::from_mode(0o644)).unwrap();
    let when = UNIX_EPOCH + Duration::from_secs(MTIME_SECS);
    File::options()
        .write(true)
        .open(&p)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

#[test]
fn lls_a_shows_the_partial_files_of_interrupted_downloads() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    local.write("big.iso", b"");
    local.write(".rftp-part.big.iso", b"kept so far");
    local.write(format!(".rftp-long.{}-300", "0".repeat(16)), b"k");
    local.write(".profile", b"p");
    let run = server.client(local.path(), "lls -a\nlls\n");
    run.expect(0);
    assert_eq!(
        run.out(),
        format!(
            ".profile\n.rftp-long.{}-300\n.rftp-part.big.iso\nbig.iso\nbig.iso\n",
            "0".repeat(16)
        )
    );
}

#[test]
fn lls_of_a_local_link_shows_what_it_points_to() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    let elsewhere = TempDir::new();
    fixed_file(&elsewhere, "target.txt", 1234);
    fixed_file(&local, "top.txt", 5);
    fs::create_dir(local.join("sub")).unwrap();
    symlink(elsewhere.join("target.txt"), local.join("link")).unwrap();
    symlink("../top.txt", local.join("sub/up")).unwrap();
    symlink("nowhere", local.join("dangling")).unwrap();
    let run = server.client(
        local.path(),
        "lls link\nlls -l link\nlls -l sub/up\nlls dangling\nlls sub\n",
    );
    run.expect(0);
    assert_eq!(
        run.out(),
        "link\n\
         -rw-r--r--         1234 2026-11-20 14:02 link\n\
         -rw-r--r--            5 2026-11-20 14:02 up\n\
         dangling\n\
         up\n"
    );
    assert!(!run.stderr.contains("outside"), "{}", run.dump());
}
