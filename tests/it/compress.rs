//! compress (a gzip file beside the original, on the server) and get -z
//! (deflate on the wire): byte-identical results, refusals, and a client that
//! stops a deflate bomb.

use std::collections::HashMap;
use std::fs;
use std::process::Command;

use crate::fake::{Fake, Serve, framed};
use crate::util::{PASSWORD, Run, Server, TempDir, crc32, data, gunzip};

/// Text-like data: words from a small vocabulary, lines of varying length.
fn text(len: usize, seed: u64) -> Vec<u8> {
    const WORDS: [&str; 12] = [
        "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "rftp", "file", "transfer",
        "2026",
    ];
    let noise = data(len / 3 + 16, seed);
    let mut out = Vec::with_capacity(len + 16);
    let mut i = 0;
    while out.len() < len {
        let r = noise[i % noise.len()] as usize;
        out.extend_from_slice(WORDS[r % WORDS.len()].as_bytes());
        out.push(if r.is_multiple_of(9) { b'\n' } else { b' ' });
        i += 1;
    }
    out.truncate(len);
    out
}

#[test]
fn compress_makes_gzip_files_that_gzip_restores() {
    let server = Server::start(&[]);
    let mixed: Vec<u8> = text(3 << 20, 1)
        .into_iter()
        .chain(data(2 << 20, 2))
        .collect();
    let cases: [(&str, Vec<u8>); 4] = [
        ("zero", Vec::new()),
        ("one", b"x".to_vec()),
        ("odd", text(2049, 3)),
        ("mixed", mixed),
    ];
    let local = TempDir::new();
    for (name, content) in &cases {
        server.root.write(name, content);
        let run = server.client(local.path(), &format!("compress {name}\n"));
        run.expect(0);
        let gz = server.root.join(format!("{name}.gz"));
        let packed = fs::metadata(&gz).unwrap().len();
        let line = run.out();
        assert!(line.starts_with(&format!("{name}.gz: ")), "{}", run.dump());
        assert!(
            line.contains(&format!("-> {} bytes", crate::util::thousands(packed))),
            "{}",
            run.dump()
        );
        assert!(gunzip(&gz) == *content, "{name}.gz does not restore {name}");
        let test = Command::new("gzip").arg("-t").arg(&gz).status().unwrap();
        assert!(test.success(), "gzip -t {name}.gz");
        // gzip -l / -N would show the stored name: check the header has it.
        let head = fs::read(&gz).unwrap();
        assert_eq!(&head[10..10 + name.len()], name.as_bytes());
    }
    // The text half shrinks; the random half cannot.
    let mixed = fs::metadata(server.root.join("mixed.gz")).unwrap().len();
    assert!(
        mixed < 4 << 20 && mixed > 2 << 20,
        "mixed.gz is {mixed} bytes"
    );
}

#[test]
fn compress_levels_and_no_clobber() {
    let server = Server::start(&[]);
    let content = text(500_000, 4);
    server.root.write("a.txt", &content);
    let local = TempDir::new();
    server.client(local.path(), "compress -1 a.txt\n").expect(0);
    let fast = fs::metadata(server.root.join("a.txt.gz")).unwrap().len();
    server
        .client(local.path(), "compress a.txt\n")
        .expect(1)
        .stderr_has("rftp: compress: '/a.txt.gz': already exists (use -f to overwrite)");
    assert_eq!(
        fs::metadata(server.root.join("a.txt.gz")).unwrap().len(),
        fast
    );
    server
        .client(local.path(), "compress -f -9 a.txt\n")
        .expect(0);
    let best = fs::metadata(server.root.join("a.txt.gz")).unwrap().len();
    assert!(
        best < fast,
        "level 9 ({best}) not smaller than level 1 ({fast})"
    );
    assert!(gunzip(&server.root.join("a.txt.gz")) == content);
    assert_eq!(
        server.root.names(),
        [b"a.txt".to_vec(), b"a.txt.gz".to_vec()],
        "no partial left"
    );
}

#[test]
fn compress_refusals_are_clear() {
    let server = Server::start(&["--read-only"]);
    server.root.write("a.txt", b"aaaa");
    fs::create_dir(server.root.join("dir")).unwrap();
    let local = TempDir::new();
    server
        .client(local.path(), "compress a.txt\n")
        .expect(1)
        .stderr_has("the server is read-only");
    let writable = Server::start(&[]);
    fs::create_dir(writable.root.join("dir")).unwrap();
    writable
        .client(local.path(), "compress dir\n")
        .expect(1)
        .stderr_has("rftp: compress: '/dir': is a directory");
    writable
        .client(local.path(), "compress nope\n")
        .expect(1)
        .stderr_has("rftp: compress: '/nope': no such file or directory");
    writable
        .client(local.path(), "compress -x nope\n")
        .expect(1)
        .stderr_has("unknown option '-x'");
    assert_eq!(writable.root.names(), [b"dir".to_vec()]);
    assert_eq!(server.root.names(), [b"a.txt".to_vec(), b"dir".to_vec()]);
}

#[test]
fn get_z_is_byte_identical() {
    let server = Server::start(&[]);
    let compressible = text(3 << 20, 5);
    let random = data(1 << 20, 6);
    server.root.write("text.txt", &compressible);
    server.root.write("random.bin", &random);
    server.root.write("empty", b"");
    server.root.write("dir/one.txt", b"one");
    server.root.write("dir/sub/two.txt", text(70_000, 7));
    let local = TempDir::new();
    let run = server.client(
        local.path(),
        "get -z text.txt\nget -z random.bin\nget -z empty\nmget -z *.txt\nget -r -z dir\n",
    );
    // mget *.txt collides with the get above: that one file is refused.
    run.expect(1)
        .stderr_has("rftp: mget: 'text.txt': already exists");
    assert!(fs::read(local.join("text.txt")).unwrap() == compressible);
    assert!(fs::read(local.join("random.bin")).unwrap() == random);
    assert_eq!(fs::read(local.join("empty")).unwrap(), b"");
    let run = server.client(local.path(), "get -r -z dir\n");
    run.expect(0);
    assert_eq!(fs::read(local.join("dir/one.txt")).unwrap(), b"one");
    assert!(fs::read(local.join("dir/sub/two.txt")).unwrap() == text(70_000, 7));
}

#[test]
fn get_z_continues_with_c() {
    let server = Server::start(&[]);
    let content = text(1 << 20, 8);
    server.root.write("t.txt", &content);
    let local = TempDir::new();
    local.write(".rftp-part.t.txt", &content[..300_000]);
    let run = server.client(local.path(), "get -c -z t.txt\n");
    run.expect(0).stderr_has("continued from byte 300,000");
    assert!(fs::read(local.join("t.txt")).unwrap() == content);
}

/// A fake server's RETR answer: `announced` bytes promised, a deflate
/// stream of `actual` sent, and a final reply that matches `actual`.
fn deflate_answer(announced: usize, actual: &[u8]) -> Vec<u8> {
    let stream = miniz_oxide::deflate::compress_to_vec(actual, 9);
    let mut raw = format!("150 {announced} deflate\n").into_bytes();
    raw.extend(framed(&stream));
    raw.extend(format!("226 {} {:08x}\n", actual.len(), crc32(actual)).into_bytes());
    raw
}

#[test]
fn a_deflate_bomb_is_cut_off_and_leaves_nothing() {
    let bomb = vec![0u8; 64 << 20];
    let mut files = HashMap::new();
    files.insert(b"bomb".to_vec(), Serve::Raw(deflate_answer(1000, &bomb)));
    let fake = Fake::start(vec![('f', b"bomb".to_vec(), 1000)], files);
    let local = TempDir::new();
    let run = Run::new(
        &["-c", &fake.addr(), "get", "-z", "bomb"],
        Some(PASSWORD),
        local.path(),
        b"",
    );
    run.expect(1).stderr_has("inflates past its announced size");
    assert!(local.names().is_empty(), "{:?}", local.names());
}

#[test]
fn a_deflate_stream_that_ends_short_leaves_nothing() {
    let content = text(100_000, 9);
    let mut files = HashMap::new();
    files.insert(
        b"short".to_vec(),
        Serve::Raw(deflate_answer(200_000, &content)),
    );
    let fake = Fake::start(vec![('f', b"short".to_vec(), 200_000)], files);
    let local = TempDir::new();
    let run = Run::new(
        &["-c", &fake.addr(), "get", "-z", "short"],
        Some(PASSWORD),
        local.path(),
        b"",
    );
    run.expect(1).stderr_has("length or checksum mismatch");
    assert!(
        local.names().is_empty(),
        "{:?}\n{}",
        local.names(),
        run.dump()
    );
}

#[test]
fn working_lines_during_a_long_compress_are_waited_through() {
    let fake = Fake::start(Vec::new(), HashMap::new());
    let local = TempDir::new();
    let run = Run::new(
        &["-c", &fake.addr()],
        Some(PASSWORD),
        local.path(),
        b"compress big.log\npwd\n",
    );
    run.expect(0);
    assert_eq!(run.out(), "big.log.gz: 4,000 -> 1,000 bytes (25.0%)\n/\n");
}

#[test]
fn after_a_protocol_error_the_connection_is_not_used_again() {
    // A deflate stream with a byte after its end, then a final reply: the
    // client stops mid-answer, so nothing after it can be trusted.
    let content = text(10_000, 10);
    let mut stream = miniz_oxide::deflate::compress_to_vec(&content, 6);
    stream.push(0);
    let mut raw = format!("150 {} deflate\n", content.len()).into_bytes();
    raw.extend(framed(&stream));
    raw.extend(format!("226 {} {:08x}\n", content.len(), crc32(&content)).into_bytes());
    let mut files = HashMap::new();
    files.insert(b"f".to_vec(), Serve::Raw(raw));
    let fake = Fake::start(vec![('f', b"f".to_vec(), 10_000)], files);
    let local = TempDir::new();
    let run = Run::new(
        &["-c", &fake.addr()],
        Some(PASSWORD),
        local.path(),
        b"-get -z f\nrm x\n",
    );
    run.expect(1)
        .stderr_has("data after the end of the compressed stream")
        .stderr_has("rftp: rm: protocol error: no connection to the server any more");
    assert!(local.names().is_empty(), "{:?}", local.names());
}
