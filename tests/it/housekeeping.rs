//! The remote housekeeping as a user meets it: `ls`, `dir` and `rm` take
//! patterns as `mget` does (a pattern that matches nothing is an error
//! naming it, a partial file is never matched, `rm` reports each failure),
//! `ls` prints one name per line on a pipe, and the server logs every
//! change (rm, mkdir, rmdir, rename) without `-v`, done or refused.

use std::fs;

use crate::util::{Server, TempDir};

/// A server whose root holds logs, a text file, a dot-file, a directory,
/// a log in a subdirectory, and the partial file of an interrupted upload.
fn logs_server(args: &[&str]) -> Server {
    let root = TempDir::new();
    for name in ["a.log", "b.log", "keep.txt", ".hidden.log", "sub/x.log"] {
        root.write(name, name);
    }
    fs::create_dir(root.join("dir.log")).unwrap();
    root.write(".rftp-part.c.log", "partial data");
    Server::start_with(root, args, Some(crate::util::PASSWORD))
}

#[test]
fn ls_and_dir_list_what_a_pattern_matches() {
    let server = logs_server(&[]);
    let local = TempDir::new();
    let run = server.client(
        local.path(),
        "ls *.log\nls sub/*.log\nls .*.log\nls -l k*\n",
    );
    run.expect(0);
    let out = run.out();
    let mut lines = out.lines();
    // Directories match too, marked as ls marks them; dot-files only by
    // a pattern that starts with a dot; never a partial file.
    assert_eq!(
        lines.by_ref().take(3).collect::<Vec<_>>(),
        ["a.log", "b.log", "dir.log/"]
    );
    assert_eq!(lines.next(), Some("x.log"));
    assert_eq!(lines.next(), Some(".hidden.log"));
    let long = lines.next().unwrap_or_default();
    assert!(
        long.starts_with("-rw") && long.ends_with(" keep.txt"),
        "{}",
        run.dump()
    );
    assert_eq!(lines.next(), None, "{}", run.dump());

    let run = server.client(local.path(), "dir *.txt\n");
    run.expect(0);
    let out = run.out();
    assert!(out.starts_with(" Directory of /\n\n"), "{out}");
    assert!(
        out.contains(" keep.txt\n") && !out.contains("a.log"),
        "{out}"
    );
    assert!(
        out.contains("       1 File(s)              8 bytes\n"),
        "{out}"
    );
}

#[test]
fn a_pattern_that_matches_nothing_is_an_error_naming_it() {
    let server = logs_server(&[]);
    let local = TempDir::new();
    for (script, said) in [
        ("ls *.zip\n", "rftp: ls: '*.zip': nothing matches"),
        ("dir *.zip\n", "rftp: dir: '*.zip': nothing matches"),
        ("rm *.zip\n", "rftp: rm: '*.zip': no file matches"),
        // The partial file is there, but no pattern ever takes it.
        (
            "rm .rftp-part.*\n",
            "rftp: rm: '.rftp-part.*': no file matches",
        ),
        ("ls .rftp*\n", "rftp: ls: '.rftp*': nothing matches"),
    ] {
        let run = server.client(local.path(), script);
        run.expect(1).stderr_has(said);
        assert_eq!(run.out(), "", "{}", run.dump());
    }
    assert!(server.root.join(".rftp-part.c.log").exists());
}

#[test]
fn rm_removes_the_files_a_pattern_matches() {
    let server = logs_server(&[]);
    let local = TempDir::new();
    let run = server.client(local.path(), "rm *.log sub/*.log\nls -a\n");
    run.expect(0);
    assert_eq!(
        run.out(),
        ".hidden.log\ndir.log/\nkeep.txt\nsub/\n",
        "{}",
        run.dump()
    );
    assert!(!server.root.join("sub/x.log").exists());
    // The directory that matched stays (rm removes files), and so does
    // the partial file: `rm` by pattern never removes one.
    assert!(server.root.join("dir.log").is_dir());
    assert!(server.root.join(".rftp-part.c.log").exists());
    // A plain name is still a plain name: the partial file goes when named.
    let run = server.client(local.path(), "rm .rftp-part.c.log\n");
    run.expect(0);
    assert!(!server.root.join(".rftp-part.c.log").exists());
}

#[test]
fn rm_reports_each_file_it_could_not_remove() {
    let server = logs_server(&["--read-only"]);
    let local = TempDir::new();
    let run = server.client(local.path(), "rm *.log nope\n");
    run.expect(1)
        .stderr_has("rftp: rm: 'a.log': the server is read-only")
        .stderr_has("rftp: rm: 'b.log': the server is read-only")
        .stderr_has("rftp: rm: 'nope': the server is read-only")
        .stderr_has("rftp: rm: 3 of 3 failed");
    assert!(server.root.join("a.log").exists() && server.root.join("b.log").exists());
    // One name that fails is just its error, as before.
    let run = server.client(local.path(), "rm a.log\n");
    run.expect(1);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.dump());
}

#[test]
fn ls_prints_one_name_per_line_on_a_pipe() {
    let root = TempDir::new();
    let names: Vec<String> = (0..40).map(|i| format!("file-{i:02}.txt")).collect();
    for n in &names {
        root.write(n, "x");
    }
    let server = Server::start_with(root, &[], Some(crate::util::PASSWORD));
    let local = TempDir::new();
    let run = server.client(local.path(), "ls\nls f*\n");
    run.expect(0);
    let once = names.join("\n") + "\n";
    assert_eq!(run.out(), once.repeat(2));
}

#[test]
fn the_server_logs_every_change_without_v() {
    let server = Server::start(&[]);
    server.root.write("old.txt", "x");
    server.root.write("gone.txt", "x");
    let local = TempDir::new();
    let run = server.client(
        local.path(),
        "mkdir d\nrename old.txt d/new.txt\nrm gone.txt\nrm d/new.txt\nrmdir d\n-rmdir nope\n",
    );
    run.expect(0);
    let log = server.log();
    for line in [
        " mkdir '/d' ok",
        " rename '/old.txt' '/d/new.txt' ok",
        " rm '/gone.txt' ok",
        " rm '/d/new.txt' ok",
        " rmdir '/d' ok",
        " rmdir '/nope' failed 550 ",
    ] {
        assert!(
            log.lines()
                .any(|l| l.contains(line) && l.contains(" 127.0.0.1:")),
            "no {line:?} in the log:\n{log}"
        );
    }
    // Every command is logged only with -v.
    assert!(!log.contains("command "), "{log}");
}

#[test]
fn a_quiet_server_logs_no_change() {
    let server = Server::start(&["-q"]);
    server.root.write("gone.txt", "x");
    let local = TempDir::new();
    server
        .client(local.path(), "rm gone.txt\nmkdir d\n")
        .expect(0);
    let log = server.log();
    assert!(!log.contains(" rm ") && !log.contains(" mkdir "), "{log}");
}
