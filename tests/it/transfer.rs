//! get and put: byte-identical at chunk edges and beyond, odd names, the
//! no-clobber rule, and interrupted uploads that leave nothing behind.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{PASSWORD, Server, TempDir, bin, crc32, data};

const SIZES: [usize; 5] = [0, 1, 2047, 2048, 2049];

#[test]
fn get_is_byte_identical_at_chunk_edges() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    let mut script = String::new();
    for (i, size) in SIZES.iter().enumerate() {
        server.root.write(format!("f{size}"), data(*size, i as u64));
        script.push_str(&format!("get f{size}\n"));
    }
    server.client(local.path(), &script).expect(0);
    for (i, size) in SIZES.iter().enumerate() {
        assert_eq!(
            fs::read(local.join(format!("f{size}"))).unwrap(),
            data(*size, i as u64),
            "size {size}"
        );
    }
}

#[test]
fn put_is_byte_identical_at_chunk_edges() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    let mut script = String::new();
    for (i, size) in SIZES.iter().enumerate() {
        local.write(format!("f{size}"), data(*size, 10 + i as u64));
        script.push_str(&format!("put f{size}\n"));
    }
    let run = server.client(local.path(), &script);
    run.expect(0);
    for (i, size) in SIZES.iter().enumerate() {
        let got = fs::read(server.root.join(format!("f{size}"))).unwrap();
        assert_eq!(got, data(*size, 10 + i as u64), "size {size}");
    }
    assert_eq!(
        run.stderr.matches("rftp: put ").count(),
        SIZES.len(),
        "one summary per file\n{}",
        run.dump()
    );
}

#[test]
fn large_file_round_trips() {
    // Several MiB: many records and copy buffers, not a whole number of chunks.
    const SIZE: usize = 6 * 1024 * 1024 + 7;
    let server = Server::start(&[]);
    let local = TempDir::new();
    let content = data(SIZE, 99);
    local.write("big.bin", &content);
    server
        .client(local.path(), "put big.bin up.bin\nget up.bin down.bin\n")
        .expect(0);
    assert!(
        fs::read(server.root.join("up.bin")).unwrap() == content,
        "upload differs"
    );
    assert!(
        fs::read(local.join("down.bin")).unwrap() == content,
        "download differs"
    );
}

#[test]
fn odd_names_survive_the_round_trip() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    let names: [(&[u8], &str); 5] = [
        (b"two words.txt", "\"two words.txt\""),
        ("smile \u{1F600}.txt".as_bytes(), "\"smile \u{1F600}.txt\""),
        (b"line\nbreak", "\"line\\nbreak\""),
        (b"\xe9t\xe9.txt", "\"\\xe9t\\xe9.txt\""),
        (b"it's", "\"it's\""),
    ];
    for (i, (raw, typed)) in names.iter().enumerate() {
        let name = OsStr::from_bytes(raw);
        let content = data(3000, i as u64);
        local.write(name, &content);
        server
            .client(local.path(), &format!("put {typed}\n"))
            .expect(0);
        assert_eq!(
            fs::read(server.root.join(name)).unwrap(),
            content,
            "put {typed}"
        );
        fs::remove_file(local.join(name)).unwrap();
        server
            .client(local.path(), &format!("get {typed}\n"))
            .expect(0);
        assert_eq!(fs::read(local.join(name)).unwrap(), content, "get {typed}");
    }
    let run = server.client(local.path(), "ls\n");
    run.expect(0);
    assert_eq!(
        run.out(),
        "it's\nline\\nbreak\nsmile \u{1F600}.txt\ntwo words.txt\n\\xe9t\\xe9.txt\n"
    );
}

#[test]
fn listing_cannot_be_forged_by_a_newline_in_a_name() {
    let server = Server::start(&[]);
    server.root.write("evil\nf 644 1 1 forged", b"x");
    let local = TempDir::new();
    let run = server.client(local.path(), "ls\n");
    run.expect(0);
    assert_eq!(run.out(), "evil\\nf 644 1 1 forged\n");
}

#[test]
fn existing_files_are_not_replaced_without_f() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    server.root.write("r.txt", b"remote new");
    local.write("r.txt", b"local old");
    server
        .client(local.path(), "get r.txt\n")
        .expect(1)
        .stderr_has("'r.txt': already exists");
    assert_eq!(fs::read(local.join("r.txt")).unwrap(), b"local old");
    server.client(local.path(), "get -f r.txt\n").expect(0);
    assert_eq!(fs::read(local.join("r.txt")).unwrap(), b"remote new");

    local.write("p.txt", b"local new");
    server.root.write("p.txt", b"remote old");
    server
        .client(local.path(), "put p.txt\n")
        .expect(1)
        .stderr_has("already exists");
    assert_eq!(fs::read(server.root.join("p.txt")).unwrap(), b"remote old");
    server.client(local.path(), "put -f p.txt\n").expect(0);
    assert_eq!(fs::read(server.root.join("p.txt")).unwrap(), b"local new");
    assert_eq!(local.names().len(), 2, "no temp files left locally");
}

#[test]
fn server_refuses_to_clobber_even_without_the_client_check() {
    let server = Server::start(&[]);
    server.root.write("taken", b"old");
    let mut raw = server.raw();
    raw.login();
    // Payload of 3 bytes in one short chunk, then the trailer.
    let crc = format!("{:08x}", crc32(b"new"));
    raw.send(b"STOR taken 3 new\n");
    raw.send(&[0, 3]);
    raw.send(b"new");
    raw.send(format!("DONE 3 {crc}\nPWD\n").as_bytes());
    assert!(raw.line().unwrap().starts_with("552 "));
    assert_eq!(raw.line().unwrap(), "257 /");
    assert_eq!(fs::read(server.root.join("taken")).unwrap(), b"old");
}

#[test]
fn get_into_a_directory_and_put_into_one() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    fs::create_dir(local.join("down")).unwrap();
    fs::create_dir(server.root.join("up")).unwrap();
    server.root.write("a.txt", b"aaa");
    local.write("b.txt", b"bbb");
    server
        .client(local.path(), "get a.txt down\nput b.txt up\n")
        .expect(0);
    assert_eq!(fs::read(local.join("down/a.txt")).unwrap(), b"aaa");
    assert_eq!(fs::read(server.root.join("up/b.txt")).unwrap(), b"bbb");
}

#[test]
fn missing_files_are_clear_errors() {
    let server = Server::start(&[]);
    let local = TempDir::new();
    server
        .client(local.path(), "get nope.txt\n")
        .expect(1)
        .stderr_has("rftp: get: '/nope.txt': no such file or directory");
    server
        .client(local.path(), "put nope.txt\n")
        .expect(1)
        .stderr_has("rftp: put: 'nope.txt': no such file or directory");
    assert!(local.names().is_empty(), "{:?}", local.names());
}

#[test]
fn killed_upload_leaves_no_file_and_keeps_the_old_one() {
    let server = Server::start(&[]);
    server.root.write("victim.bin", b"precious");
    let local = TempDir::new();
    // Paced so that the upload (4 s) is still running when it is killed.
    local.write("victim.bin", data(8 * 1024 * 1024, 5));
    let mut child = Command::new(bin())
        .args(["-c", &server.addr(), "-q", "--limit", "2M"])
        .args(["put", "-f", "victim.bin"])
        .current_dir(local.path())
        .env("RFTP_PASSWORD", PASSWORD)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once the server holds a partial temp file.
    let until = Instant::now() + Duration::from_secs(30);
    let partial = loop {
        let temp = fs::read_dir(server.root.path())
            .unwrap()
            .filter_map(Result::ok)
            .find(|e| {
                e.file_name().as_bytes().starts_with(b".rftp-")
                    && e.metadata().map(|m| m.len() > 0).unwrap_or(false)
            });
        if temp.is_some() || Instant::now() > until {
            break temp.is_some();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(partial, "the upload never started");
    assert!(
        server.wait_log("put '/victim.bin'", Duration::from_secs(10)),
        "{}",
        server.log()
    );
    assert_eq!(
        fs::read(server.root.join("victim.bin")).unwrap(),
        b"precious"
    );
    // The partial data is kept out of sight for `put -c`, never under the name.
    let names = server.root.names();
    assert_eq!(
        names,
        [b".rftp-part.victim.bin".to_vec(), b"victim.bin".to_vec()]
    );
    // And the server goes on serving.
    server.client(local.path(), "pwd\n").expect(0);
}
