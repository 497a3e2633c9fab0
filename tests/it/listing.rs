//! ls and dir: exact output on a tree of mixed-case names, directories,
//! dot-files and ties, with fixed times so the expected text is exact.

use std::fs::{self, File, Permissions};
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, UNIX_EPOCH};

use crate::util::{Server, TempDir};

/// 2026-11-20 14:02:00 UTC.
const MTIME_SECS: u64 = 1_795_183_320;

fn fixture() -> Server {
    let root = TempDir::new();
    let files: [(&str, usize); 8] = [
        ("alpha.txt", 1234),
        ("beta.md", 5),
        ("README", 1),
        ("Readme", 2),
        ("readme", 3),
        ("Zeta.txt", 10),
        (".hidden", 3),
        ("Beta/inner.txt", 4),
    ];
    for (name, size) in files {
        let p = root.write(name, vec![b'x'; size]);
        fs::set_permissions(&p, Permissions::from_mode(0o644)).unwrap();
    }
    for dir in ["gamma", ".config"] {
        fs::create_dir(root.join(dir)).unwrap();
    }
    for name in [
        "alpha.txt",
        "beta.md",
        "README",
        "Readme",
        "readme",
        "Zeta.txt",
        ".hidden",
        "Beta/inner.txt",
        "Beta",
        "gamma",
        ".config",
    ] {
        let p = root.join(name);
        if p.is_dir() {
            fs::set_permissions(&p, Permissions::from_mode(0o755)).unwrap();
        }
        File::open(&p)
            .unwrap()
            .set_modified(UNIX_EPOCH + Duration::from_secs(MTIME_SECS))
            .unwrap();
    }
    Server::start_with(root, &[], Some(crate::util::PASSWORD))
}

#[test]
fn ls_orders_case_insensitively_and_marks_directories() {
    let server = fixture();
    let local = TempDir::new();
    let run = server.client(local.path(), "ls\n");
    run.expect(0);
    assert_eq!(
        run.out(),
        "alpha.txt\nBeta/\nbeta.md\ngamma/\nREADME\nReadme\nreadme\nZeta.txt\n"
    );
}

#[test]
fn ls_a_shows_dot_files() {
    let server = fixture();
    let local = TempDir::new();
    let run = server.client(local.path(), "ls -a\n");
    run.expect(0);
    assert_eq!(
        run.out(),
        ".config/\n.hidden\nalpha.txt\nBeta/\nbeta.md\ngamma/\nREADME\nReadme\nreadme\nZeta.txt\n"
    );
}

#[test]
fn ls_l_has_type_permissions_size_and_utc_time() {
    let server = fixture();
    let local = TempDir::new();
    let run = server.client(local.path(), "ls -l\nls -l Beta\nls -l Beta/inner.txt\n");
    run.expect(0);
    let expected = "\
-rw-r--r--         1234 2026-11-20 14:02 alpha.txt
drwxr-xr-x            0 2026-11-20 14:02 Beta/
-rw-r--r--            5 2026-11-20 14:02 beta.md
drwxr-xr-x            0 2026-11-20 14:02 gamma/
-rw-r--r--            1 2026-11-20 14:02 README
-rw-r--r--            2 2026-11-20 14:02 Readme
-rw-r--r--            3 2026-11-20 14:02 readme
-rw-r--r--           10 2026-11-20 14:02 Zeta.txt
-rw-r--r--            4 2026-11-20 14:02 inner.txt
-rw-r--r--            4 2026-11-20 14:02 inner.txt
";
    assert_eq!(run.out(), expected);
}

#[test]
fn dir_puts_directories_first_and_sums_up() {
    let server = fixture();
    let local = TempDir::new();
    let run = server.client(local.path(), "dir\ncd Beta\ndir\ndir /gamma\n");
    run.expect(0);
    let expected = " Directory of /

2026-11-20  14:02    <DIR>          Beta
2026-11-20  14:02    <DIR>          gamma
2026-11-20  14:02             1,234 alpha.txt
2026-11-20  14:02                 5 beta.md
2026-11-20  14:02                 1 README
2026-11-20  14:02                 2 Readme
2026-11-20  14:02                 3 readme
2026-11-20  14:02                10 Zeta.txt
               6 File(s)          1,255 bytes
               2 Dir(s)
 Directory of /Beta

2026-11-20  14:02                 4 inner.txt
               1 File(s)              4 bytes
               0 Dir(s)
 Directory of /gamma

               0 File(s)              0 bytes
               0 Dir(s)
";
    assert_eq!(run.out(), expected);
}

#[test]
fn listings_are_stable_byte_for_byte() {
    let server = fixture();
    let local = TempDir::new();
    let first = server.client(local.path(), "ls -la\ndir\n");
    let second = server.client(local.path(), "ls -la\ndir\n");
    assert_eq!(first.expect(0).stdout, second.expect(0).stdout);
}

#[test]
fn ls_of_a_missing_path_fails() {
    let server = fixture();
    let local = TempDir::new();
    server
        .client(local.path(), "ls nope\n")
        .expect(1)
        .stderr_has("rftp: ls: '/nope': no such file or directory");
}

#[test]
fn local_listing_uses_the_same_layout() {
    let server = fixture();
    let local = TempDir::new();
    local.write("b.txt", b"b");
    local.write("A.txt", b"a");
    local.write(".dot", b"d");
    fs::create_dir(local.join("dir")).unwrap();
    let run = server.client(local.path(), "lls\nlcd dir\nlpwd\n");
    run.expect(0);
    let canonical = fs::canonicalize(local.join("dir")).unwrap();
    assert_eq!(
        run.out(),
        format!("A.txt\nb.txt\ndir/\n{}\n", canonical.display())
    );
}
