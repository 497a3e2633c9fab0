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

/// Whether `tool` runs here; under `CI=true` a missing one fails the test,
/// elsewhere the test says why it skips.
fn have(tool: &str, test: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let why = format!("{tool} is not installed");
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: cannot run under CI=true: {why}"
        );
        eprintln!("{test}: SKIPPED: {why}");
    }
    ok
}

/// The deflate body of a gzip file, inflated by rftp's own inflater.
fn inflate_gzip(gz: &[u8], len: u64) -> Vec<u8> {
    use std::io::Read;
    assert_eq!(&gz[..4], &[0x1f, 0x8b, 8, 8], "gzip magic, deflate, FNAME");
    let name_end = 10 + gz[10..].iter().position(|&b| b == 0).unwrap();
    let body = &gz[name_end + 1..gz.len() - 8];
    let mut out = Vec::new();
    rftp::fs::compress::Inflater::new(body, len)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// The threads the server's log says the last compress used.
fn compress_threads(server: &Server, name: &str) -> usize {
    // The reply can come before the log line is read from the server.
    let needle = format!(" compress '/{name}' ");
    assert!(
        server.wait_log(&needle, std::time::Duration::from_secs(10)),
        "no log line for {name}: {}",
        server.log()
    );
    let log = server.log();
    let line = log.lines().rfind(|l| l.contains(&needle)).unwrap();
    let n = line.rsplit('(').next().unwrap().split(' ').next().unwrap();
    n.parse()
        .unwrap_or_else(|_| panic!("no thread count in {line:?}"))
}

#[test]
fn parallel_compress_is_one_gzip_file_no_larger_than_gzip_6() {
    let test = "parallel_compress_is_one_gzip_file_no_larger_than_gzip_6";
    if !(have("gzip", test) && have("zcat", test)) {
        return;
    }
    let server = Server::start(&[]);
    // Many blocks, and a length that ends in the middle of one.
    let content = text(9 * rftp::fs::compress::BLOCK_BYTES + 12_345, 9);
    server.root.write("log.txt", &content);
    let local = TempDir::new();
    server.client(local.path(), "compress log.txt\n").expect(0);
    let gz = server.root.join("log.txt.gz");
    let packed = fs::read(&gz).unwrap();
    let cores = rftp::fs::compress::cores();
    assert_eq!(
        compress_threads(&server, "log.txt"),
        if cores >= 2 { cores } else { 1 }
    );
    let test = Command::new("gzip").arg("-t").arg(&gz).status().unwrap();
    assert!(test.success(), "gzip -t log.txt.gz");
    let zcat = Command::new("zcat").arg(&gz).output().unwrap();
    assert!(zcat.status.success() && zcat.stdout == content, "zcat");
    assert!(inflate_gzip(&packed, content.len() as u64) == content);
    let n = packed.len();
    assert_eq!(&packed[n - 8..n - 4], &crc32(&content).to_le_bytes());
    let plain = local.write("log.txt", &content);
    let gzip6 = Command::new("gzip")
        .arg("-6")
        .arg("-c")
        .arg(&plain)
        .output()
        .unwrap();
    assert!(gzip6.status.success());
    assert!(
        n <= gzip6.stdout.len(),
        "compress made {n} bytes, gzip -6 {}",
        gzip6.stdout.len()
    );
}

#[test]
fn every_level_is_no_larger_than_gzip_at_that_level() {
    let test = "every_level_is_no_larger_than_gzip_at_that_level";
    if !have("gzip", test) {
        return;
    }
    let server = Server::start(&[]);
    // Text, and machine code (the first MiB of rftp itself).
    let code = fs::read(env!("CARGO_BIN_EXE_rftp")).unwrap();
    let samples = [
        ("text.log", text(700_000, 21)),
        ("code.bin", code[..code.len().min(1 << 20)].to_vec()),
    ];
    let local = TempDir::new();
    for (name, content) in &samples {
        server.root.write(name, content);
        let plain = local.write(name, content);
        for level in 1..=9 {
            let line = format!("compress -f -{level} {name}\n");
            server.client(local.path(), &line).expect(0);
            let gz = server.root.join(format!("{name}.gz"));
            let ours = fs::metadata(&gz).unwrap().len();
            assert!(gunzip(&gz) == *content, "{name} at level {level}");
            let theirs = Command::new("gzip")
                .arg(format!("-{level}"))
                .arg("-c")
                .arg(&plain)
                .output()
                .unwrap();
            assert!(theirs.status.success());
            // Text at 8 and 9 may be up to 0.1% larger (see rftp(1)).
            let allowed = match level {
                8 | 9 => theirs.stdout.len() as u64 * 1001 / 1000,
                _ => theirs.stdout.len() as u64,
            };
            assert!(
                ours <= allowed,
                "{name} at level {level}: compress made {ours} bytes, gzip {}",
                theirs.stdout.len()
            );
        }
    }
}

#[test]
fn compress_threads_stay_within_max_clients() {
    let content = text(3 * rftp::fs::compress::BLOCK_BYTES, 10);
    let local = TempDir::new();
    let one = Server::start(&["--max-clients", "1"]);
    one.root.write("a.txt", &content);
    one.client(local.path(), "compress a.txt\n").expect(0);
    assert_eq!(compress_threads(&one, "a.txt"), 1, "{}", one.log());
    assert!(gunzip(&one.root.join("a.txt.gz")) == content);
    // A second compress while a first holds the server's threads (two,
    // with --max-clients 2) runs on its session's own thread alone.
    let two = Server::start(&["--max-clients", "2"]);
    let big = text(80 * rftp::fs::compress::BLOCK_BYTES, 11);
    two.root.write("big.txt", &big);
    two.root.write("a.txt", &content);
    let (addr, dir) = (two.addr(), local.path().to_path_buf());
    let first = std::thread::spawn(move || {
        Run::new(&["-c", &addr], Some(PASSWORD), &dir, b"compress big.txt\n")
    });
    let partial = two.root.join(".rftp-part.big.txt.gz");
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !partial.exists() && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(partial.exists(), "the first compress never started");
    two.client(local.path(), "compress a.txt\n").expect(0);
    assert_eq!(compress_threads(&two, "a.txt"), 1, "{}", two.log());
    first.join().unwrap().expect(0);
    let cores = rftp::fs::compress::cores();
    assert_eq!(
        compress_threads(&two, "big.txt"),
        cores.min(2),
        "{}",
        two.log()
    );
    assert!(gunzip(&two.root.join("a.txt.gz")) == content);
    assert!(gunzip(&two.root.join("big.txt.gz")) == big);
}

/// The bytes on the wire that the summary line of a `get -z` reports.
fn on_the_wire(run: &Run) -> u64 {
    let dump = run.dump();
    let at = dump
        .find(" on the wire")
        .unwrap_or_else(|| panic!("{dump}"));
    let digits: String = dump[..at]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .collect();
    digits
        .chars()
        .rev()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

#[test]
fn get_z_sends_random_bytes_stored_and_text_deflated_on_a_slow_link() {
    let server = Server::start(&[]);
    let random = data(3 << 20, 12);
    let words = text(3 << 20, 13);
    server.root.write("random.bin", &random);
    let local = TempDir::new();
    let run = server.client(local.path(), "get -z random.bin\n");
    run.expect(0);
    assert!(fs::read(local.join("random.bin")).unwrap() == random);
    // Stored blocks: 5 bytes in 65,535, and no deflated block larger still.
    let wire = on_the_wire(&run);
    assert!(
        wire >= random.len() as u64 && wire < random.len() as u64 + 1024,
        "random: {wire} bytes on the wire"
    );
    // On a slow link (the server's --limit) text goes deflated.
    let slow = Server::start(&["--limit", "4M"]);
    slow.root.write("text.txt", &words);
    let run = slow.client(local.path(), "get -z text.txt\n");
    run.expect(0);
    assert!(fs::read(local.join("text.txt")).unwrap() == words);
    let wire = on_the_wire(&run);
    assert!(
        wire < words.len() as u64 / 2,
        "text: {wire} bytes on the wire"
    );
    // A plain get says nothing of the wire.
    let run = server.client(local.path(), "get -f random.bin\n");
    run.expect(0);
    assert!(!run.dump().contains("on the wire"), "{}", run.dump());
}
