//! Local destinations as a careful user expects: `get FILE -` writes to
//! standard output and `put - NAME` uploads standard input; `/dev/null`, a
//! FIFO and `/dev/stdout` (a link to a pipe) are written as streams, with no
//! partial file beside them; a link or special file in a download's way is
//! never replaced, with or without `-f`; and a destination directory that
//! is missing fails before the server is asked for a byte.

use std::fs;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, symlink};
use std::process::Command;
use std::thread;

use crate::util::{PASSWORD, Run, Server, TempDir, data};

/// A server whose root holds `files`.
fn serve(files: &[(&str, &[u8])]) -> Server {
    let root = TempDir::new();
    for (name, bytes) in files {
        root.write(name, bytes);
    }
    Server::start_with(root, &[], Some(PASSWORD))
}

/// `rftp -c ADDR WORDS...` in `local`, with `stdin`.
fn once(server: &Server, local: &TempDir, words: &[&str], stdin: &[u8]) -> Run {
    let addr = server.addr();
    let mut args = vec!["-c", addr.as_str()];
    args.extend_from_slice(words);
    Run::new(&args, Some(PASSWORD), local.path(), stdin)
}

#[test]
fn get_to_dash_writes_standard_output() {
    let content = data(3 << 20, 1);
    let server = serve(&[("big.bin", &content), ("small", b"tiny\n")]);
    let local = TempDir::new();
    let run = once(&server, &local, &["get", "big.bin", "-"], b"");
    run.expect(0);
    assert!(
        run.stdout == content,
        "{} bytes on stdout",
        run.stdout.len()
    );
    let run = server.client(local.path(), "get small -\npwd\n");
    run.expect(0);
    assert_eq!(run.out(), "tiny\n/\n");
    assert!(local.names().is_empty(), "{:?}", local.names());
    // A stream cannot be continued.
    let run = once(&server, &local, &["get", "-c", "small", "-"], b"");
    run.expect(1).stderr_has("'-': -c, -u and -r need");
}

#[test]
fn put_dash_uploads_standard_input() {
    let content = data((2 << 20) + 1, 2);
    let server = serve(&[]);
    let local = TempDir::new();
    let run = once(&server, &local, &["put", "-", "in.bin"], &content);
    run.expect(0).stderr_has("put 'in.bin'");
    assert!(fs::read(server.root.join("in.bin")).unwrap() == content);
    assert!(local.names().is_empty(), "{:?}", local.names());
    // An existing name needs -f; a directory is never a target.
    let run = once(&server, &local, &["put", "-", "in.bin"], b"x");
    run.expect(1).stderr_has("already exists");
    let run = once(&server, &local, &["put", "-f", "-", "in.bin"], b"new\n");
    run.expect(0);
    assert_eq!(fs::read(server.root.join("in.bin")).unwrap(), b"new\n");
    fs::create_dir(server.root.join("d")).unwrap();
    once(&server, &local, &["put", "-", "d"], b"x")
        .expect(1)
        .stderr_has("'d': is a directory");
    // When standard input holds the script, it is not a file too.
    let run = server.client(local.path(), "put - x\nls\n");
    run.expect(1)
        .stderr_has("standard input holds the commands");
    assert!(!server.root.join("x").exists());
}

#[test]
fn dev_null_a_fifo_and_dev_stdout_are_written_as_streams() {
    let content = data(1 << 20, 3);
    let server = serve(&[("f.bin", &content)]);
    let local = TempDir::new();
    once(&server, &local, &["get", "f.bin", "/dev/null"], b"").expect(0);
    assert!(
        fs::symlink_metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    assert!(!std::path::Path::new("/dev/.rftp-part.null").exists());
    // A FIFO with a reader gets the bytes; one with none fails at once.
    let fifo = local.join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    once(&server, &local, &["get", "f.bin", "pipe"], b"")
        .expect(1)
        .stderr_has("'pipe': a FIFO that no process reads");
    let reader = {
        let fifo = fifo.clone();
        thread::spawn(move || {
            let mut got = Vec::new();
            fs::File::open(fifo).unwrap().read_to_end(&mut got).unwrap();
            got
        })
    };
    // The reader opens first: then the FIFO has one when the client looks.
    thread::sleep(std::time::Duration::from_millis(200));
    once(&server, &local, &["get", "f.bin", "pipe"], b"").expect(0);
    assert!(reader.join().unwrap() == content);
    assert_eq!(local.names(), [b"pipe".to_vec()]);
    // /dev/stdout is a link; here it leads to a pipe, which is written into.
    let run = once(&server, &local, &["get", "-f", "f.bin", "/dev/stdout"], b"");
    run.expect(0);
    assert!(run.stdout == content);
    assert!(
        fs::symlink_metadata("/dev/stdout")
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_link_in_the_way_is_never_replaced() {
    let server = serve(&[("a.txt", b"new"), ("b.txt", b"new")]);
    let local = TempDir::new();
    local.write("target", "old");
    symlink("target", local.join("a.txt")).unwrap();
    symlink("nowhere", local.join("b.txt")).unwrap();
    for words in [
        &["get", "-f", "a.txt"][..],
        &["get", "a.txt"],
        &["get", "-f", "b.txt"],
        &["get", "-c", "a.txt"],
    ] {
        once(&server, &local, words, b"")
            .expect(1)
            .stderr_has("a symbolic link, never replaced");
    }
    let run = once(&server, &local, &["mget", "-f", "*.txt"], b"");
    run.expect(1)
        .stderr_has("'a.txt': a link or special file, never replaced")
        .stderr_has("'b.txt': a link or special file, never replaced");
    assert_eq!(
        fs::read_link(local.join("a.txt")).unwrap().as_os_str(),
        "target"
    );
    assert_eq!(
        fs::read_link(local.join("b.txt")).unwrap().as_os_str(),
        "nowhere"
    );
    assert_eq!(fs::read(local.join("target")).unwrap(), b"old");
}

#[test]
fn a_missing_destination_directory_fails_before_any_byte_moves() {
    let content = data(2 << 20, 4);
    let server = serve(&[("big.bin", &content)]);
    let local = TempDir::new();
    once(&server, &local, &["get", "big.bin", "nodir/big.bin"], b"")
        .expect(1)
        .stderr_has("rftp: get: 'nodir': no such file or directory");
    once(&server, &local, &["get", "big.bin", "nodir/"], b"")
        .expect(1)
        .stderr_has("rftp: get: 'nodir/': no such file or directory");
    local.write("file", "x");
    once(&server, &local, &["get", "big.bin", "file/"], b"")
        .expect(1)
        .stderr_has("'file/': not a directory");
    // A directory that is there takes the file under its remote name.
    fs::create_dir(local.join("d")).unwrap();
    once(&server, &local, &["get", "big.bin", "d/"], b"").expect(0);
    assert!(fs::read(local.join("d/big.bin")).unwrap() == content);
    // The server was asked for the file once: by the get that could land.
    let log = server.log();
    assert_eq!(log.matches("get '/big.bin'").count(), 1, "{log}");
    assert!(!local.join("nodir").exists());
}
