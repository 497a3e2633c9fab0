//! Paths that try to leave the root: `..` in cd, get, put and the rest,
//! absolute paths (which start at the root), NUL bytes and backslashes, from
//! the client and raw on the wire.

use std::fs;

use crate::fixture::{A_CONTENT, Fixture, ROOT_LS, SECRET};
use crate::raw::ask;
use crate::util::{crc32, snapshot};

#[test]
fn cd_up_from_the_root_stays_at_the_root() {
    let j = Fixture::new(&[]);
    for script in [
        "cd ..\npwd\nls\n",
        "cd ../..\npwd\nls\n",
        "cd /..\npwd\nls\n",
    ] {
        let run = j.client(script);
        run.expect(0);
        assert_eq!(
            run.out(),
            format!("/\n{ROOT_LS}"),
            "{script:?} must stay at the root and list the root's own files\n{}",
            run.dump()
        );
    }
    let run = j.client("cd sub\ncd ../..\npwd\n");
    run.expect(0);
    assert_eq!(run.out(), "/\n", "{}", run.dump());
}

#[test]
fn cd_up_and_over_into_a_sibling_is_refused() {
    let j = Fixture::new(&[]);
    let o = &j.out_name;
    j.refuse(&format!("cd ../{o}\n"), "outside the served tree");
    j.refuse(
        &format!("cd sub/../../{o}/dir\n"),
        "outside the served tree",
    );
    // A refused cd leaves the directory where it was.
    let run = j.client(&format!("cd sub\n-cd ../../{o}\npwd\n"));
    run.expect(0).stderr_has("outside the served tree");
    assert_eq!(run.out(), "/sub\n", "{}", run.dump());
}

#[test]
fn get_with_dot_dot_is_refused() {
    let j = Fixture::new(&[]);
    let o = &j.out_name;
    // In `down`, where no local `x` is in the way.
    j.refuse(
        "lcd down\nget ../x\n",
        "rftp: get: '../x': outside the served tree",
    );
    j.refuse(
        &format!("get ../{o}/secret\n"),
        &format!("rftp: get: '../{o}/secret': outside the served tree"),
    );
    j.refuse(
        &format!("get sub/../../{o}/secret\n"),
        "outside the served tree",
    );
    j.refuse(&format!("get /../{o}/secret\n"), "outside the served tree");
    j.refuse(&format!("ls ../{o}\n"), "outside the served tree");
    j.refuse("ls ..\n", "outside the served tree");
    j.refuse("dir ../..\n", "outside the served tree");
}

#[test]
fn absolute_paths_are_inside_the_root() {
    let j = Fixture::new(&[]);
    j.refuse(
        "get /etc/passwd\n",
        "rftp: get: '/etc/passwd': no such file or directory",
    );
    j.refuse("get /../etc/passwd\n", "outside the served tree");
    j.refuse("ls /etc\n", "no such file or directory");
    // `/` is the root itself.
    let run = j.client("ls /\nget /a got-a\n");
    run.expect(0);
    assert_eq!(run.out(), ROOT_LS, "{}", run.dump());
    assert_eq!(
        fs::read(j.local.join("got-a")).ok().as_deref(),
        Some(A_CONTENT)
    );
}

#[test]
fn writes_with_dot_dot_are_refused() {
    let j = Fixture::new(&[]);
    let o = &j.out_name;
    j.refuse("put x ../x\n", "rftp: put: '../x': outside the served tree");
    j.refuse("put -f x ../x\n", "outside the served tree");
    j.refuse(&format!("put x ../{o}/x\n"), "outside the served tree");
    j.refuse(
        &format!("put -f x ../{o}/secret\n"),
        "outside the served tree",
    );
    j.refuse(
        "mkdir ../d\n",
        "rftp: mkdir: '../d': outside the served tree",
    );
    j.refuse(&format!("mkdir ../{o}/d\n"), "outside the served tree");
    j.refuse(
        "rename a ../a\n",
        "rftp: rename: '../a': outside the served tree",
    );
    j.refuse(&format!("rename a ../{o}/a\n"), "outside the served tree");
    j.refuse(
        &format!("rename ../{o}/secret stolen\n"),
        "outside the served tree",
    );
    j.refuse(
        &format!("rm ../{o}/secret\n"),
        &format!("rftp: rm: '../{o}/secret': outside the served tree"),
    );
    j.refuse("rmdir ..\n", "rftp: rmdir: '..': outside the served tree");
    j.refuse(&format!("rmdir ../{o}/dir\n"), "outside the served tree");
    j.refuse("rmdir /\n", "rftp: rmdir: '/': not a file name");
}

#[test]
fn nul_bytes_are_refused() {
    let j = Fixture::new(&[]);
    // The client refuses a NUL in a name it would create locally.
    j.refuse("get \"a\\x00b\"\n", "NUL");
    j.refuse("get \"../x\\x00\"\n", "NUL");
    // These reach the server, which refuses them.
    j.refuse(
        "cd \"sub\\x00\"\n",
        "rftp: cd: 'sub\\x00': path contains a NUL byte",
    );
    j.refuse("ls \"a\\x00/../..\"\n", "NUL byte");
    j.refuse("put f \"f\\x00\"\n", "NUL byte");
    j.refuse("mkdir \"d\\x00x\"\n", "NUL byte");
    j.refuse("rm \"a\\x00\"\n", "NUL byte");
    j.refuse("rename a \"b\\x00\"\n", "NUL byte");
    let mut raw = j.raw();
    for line in [
        &b"RETR \"a\\x00\""[..],
        b"RETR a\x00b",
        b"LIST \"..\\x00\"",
        b"DELE \"a\\x00\"",
    ] {
        let reply = ask(&mut raw, line);
        assert!(
            reply.starts_with("553 ") && reply.contains("NUL byte"),
            "{:?} -> {reply}",
            String::from_utf8_lossy(line)
        );
    }
    assert_eq!(ask(&mut raw, b"PWD"), "257 /");
}

#[test]
fn backslashes_are_refused() {
    let j = Fixture::new(&[]);
    let o = &j.out_name;
    j.refuse("get \"..\\\\x\"\n", "backslash");
    j.refuse(&format!("get \"..\\\\{o}\\\\secret\"\n"), "backslash");
    j.refuse("cd \"..\\\\..\"\n", "path contains a backslash");
    j.refuse(&format!("ls \"..\\\\{o}\"\n"), "path contains a backslash");
    j.refuse("put f \"..\\\\f\"\n", "backslash");
    j.refuse("mkdir \"..\\\\d\"\n", "backslash");
    let mut raw = j.raw();
    for line in [
        &b"RETR \"..\\\\x\""[..],
        b"LIST \"..\\\\..\"",
        b"CWD ..\\\\..",
    ] {
        let reply = ask(&mut raw, line);
        assert!(
            reply.starts_with("553 ") && reply.contains("backslash"),
            "{:?} -> {reply}",
            String::from_utf8_lossy(line)
        );
    }
    assert_eq!(ask(&mut raw, b"PWD"), "257 /");
}

#[test]
fn raw_absolute_and_dot_dot_paths_are_refused() {
    let j = Fixture::new(&[]);
    let o = j.out_name.clone();
    let outside_before = snapshot(&j.outside);
    let mut raw = j.raw();
    let refused: Vec<String> = vec![
        "RETR /../../etc/passwd".into(),
        "RETR ../../etc/passwd".into(),
        format!("RETR ../{o}/secret"),
        "RETR link/secret".into(),
        "RETR filelink".into(),
        "LIST ../..".into(),
        "LIST /..".into(),
        "LIST link".into(),
        format!("STAT ../{o}/secret"),
        "STAT filelink".into(),
        format!("CWD ../{o}"),
        "CWD link".into(),
        "MKDIR ../d".into(),
        "MKDIR link/d".into(),
        format!("DELE ../{o}/secret"),
        "DELE link/secret".into(),
        "RMDIR ..".into(),
        "RMDIR link/dir".into(),
        "RENAME a ../a".into(),
        "RENAME link/secret stolen".into(),
    ];
    for cmd in &refused {
        let reply = ask(&mut raw, cmd);
        assert!(
            reply.starts_with("554 ") && reply.contains("outside the served tree"),
            "{cmd} -> {reply}"
        );
        assert!(
            !reply.contains(&*j.outside.to_string_lossy()),
            "{cmd} leaks a real path: {reply}"
        );
    }
    // `/etc/passwd` is ROOT/etc/passwd.
    let reply = ask(&mut raw, b"RETR /etc/passwd");
    assert!(reply.starts_with("550 "), "RETR /etc/passwd -> {reply}");
    // Uploads outside are refused, the payload is read whole, and the stream
    // keeps its place.
    let root_name = j
        .server
        .root
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let escape_beside = format!("../{root_name}-escape");
    for (target, mode) in [
        ("../escape".to_string(), "new"),
        (escape_beside.clone(), "replace"),
        (format!("../{o}/escape"), "new"),
        (format!("/../{o}/secret"), "replace"),
        ("link/escape".to_string(), "new"),
        ("link/secret".to_string(), "replace"),
    ] {
        raw.send(format!("STOR {target} 5 {mode}\n").as_bytes());
        raw.send(&[0, 5]);
        raw.send(b"owned");
        raw.send(format!("DONE 5 {:08x}\n", crc32(b"owned")).as_bytes());
        let reply = raw.line();
        assert!(
            reply
                .as_deref()
                .is_some_and(|r| r.starts_with("554 ") && r.contains("outside")),
            "STOR {target} -> {reply:?}"
        );
        assert_eq!(
            ask(&mut raw, b"PWD"),
            "257 /",
            "the stream lost its place after STOR {target}"
        );
    }
    let parent = j.server.root.path().parent().unwrap();
    assert!(
        !parent.join(format!("{root_name}-escape")).exists(),
        "STOR {escape_beside} created a file beside the root"
    );
    assert_eq!(
        snapshot(&j.outside),
        outside_before,
        "the outside tree changed"
    );
    assert_eq!(
        fs::read(j.outside.join("secret")).ok().as_deref(),
        Some(SECRET)
    );
    // CWD of nothing but `..` is the chosen exception: it stays at the root.
    assert_eq!(ask(&mut raw, b"CWD /../.."), "250 /");
    assert_eq!(ask(&mut raw, b"PWD"), "257 /");
}
