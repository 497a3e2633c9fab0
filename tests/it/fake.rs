//! A fake, malicious rftp server for testing the client's defences: it
//! speaks protocol 2's login with the test password (or another one) and
//! answers with its own tag whatever the client proved, lists whatever names
//! it was given, and serves whatever bytes it was given for RETR. It counts
//! the command lines it got after login. Runs on 127.0.0.1 port 0 in a
//! thread, bounded in time.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use rftp::secure::handshake;
use rftp::secure::record::Suite;
use rftp::secure::{RecordReader, RecordWriter};

use crate::util::{PASSWORD, crc32};

/// Socket buffers of a fake connection, in bytes.
const FAKE_BUFFER_BYTES: usize = 64 * 1024;

/// How long a fake server keeps accepting connections.
const LIFETIME: Duration = Duration::from_secs(60);

/// What RETR of a name answers.
#[derive(Clone)]
pub enum Serve {
    /// Announce and send these bytes honestly.
    Bytes(Vec<u8>),
    /// Send this raw text (announcement, payload, final reply) as it is.
    Raw(Vec<u8>),
}

/// A fake server: `listing` is the LIST payload for every directory.
pub struct Fake {
    pub port: u16,
    /// Command lines received after login, on every connection.
    pub commands: Arc<AtomicUsize>,
}

impl Fake {
    /// Start a fake server that knows the test password.
    pub fn start(listing: Vec<(char, Vec<u8>, u64)>, files: HashMap<Vec<u8>, Serve>) -> Fake {
        Fake::start_with_password(PASSWORD, listing, files)
    }

    /// Start a fake server that plays the login with `password`.
    pub fn start_with_password(
        password: &'static str,
        listing: Vec<(char, Vec<u8>, u64)>,
        files: HashMap<Vec<u8>, Serve>,
    ) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let commands = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&commands);
        thread::spawn(move || {
            let until = Instant::now() + LIFETIME;
            while Instant::now() < until {
                match listener.accept() {
                    Ok((s, _)) => {
                        let (listing, files) = (listing.clone(), files.clone());
                        let counter = Arc::clone(&counter);
                        thread::spawn(move || serve(s, password, &listing, &files, &counter));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Fake { port, commands }
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// A payload in 2048-byte chunks, each with a two-byte length.
pub fn framed(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in bytes.chunks(2048) {
        out.extend_from_slice(&(c.len() as u16).to_be_bytes());
        out.extend_from_slice(c);
    }
    // A payload of whole chunks ends with an empty one.
    if bytes.len().is_multiple_of(2048) {
        out.extend_from_slice(&[0, 0]);
    }
    out
}

/// Quote a name the way the wire does (double quotes, escapes).
fn quote(name: &[u8]) -> String {
    let mut s = String::from("\"");
    for &b in name {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b' '..=b'~' => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

/// Play protocol 2's login with `password`: the server's tag is sent
/// whatever the client's was. The two record halves, or `None`.
fn login(
    stream: TcpStream,
    password: &str,
) -> Option<(RecordReader<TcpStream>, RecordWriter<TcpStream>)> {
    let mut out = RecordWriter::with_capacity(FAKE_BUFFER_BYTES, stream.try_clone().ok()?);
    let mut reader = RecordReader::with_capacity(FAKE_BUFFER_BYTES, stream);
    let greeting = handshake::greeting(&Suite::offered(), &handshake::random().ok()?);
    out.write_all(format!("220 {greeting}\n").as_bytes()).ok()?;
    out.flush().ok()?;
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let args = line.trim_end().strip_prefix("AUTH ")?;
    let random = handshake::random().ok()?;
    let server =
        handshake::Server::respond(&greeting, b"rftp", password.as_bytes(), args, random).ok()?;
    out.write_all(format!("334 {}\n", server.reply).as_bytes())
        .ok()?;
    out.flush().ok()?;
    line.clear();
    reader.read_line(&mut line).ok()?;
    let tag = line.trim_end().strip_prefix("CONFIRM ")?;
    // A wrong client tag is ignored: this server logs anyone in.
    let correct = server.finish(tag).ok();
    let (tb, channel) = match correct {
        Some(pair) => pair,
        None => (
            handshake::to_hex(&[0x5a; handshake::TAG_BYTES]),
            fake_channel(),
        ),
    };
    out.write_all(format!("235 {tb}\n").as_bytes()).ok()?;
    out.flush().ok()?;
    out.secure(channel.send);
    reader.secure(channel.receive);
    Some((reader, out))
}

/// Keys for a fake server whose password was wrong: any will do, since the
/// client must never get as far as using them.
fn fake_channel() -> handshake::Channel {
    let g = handshake::greeting(&[Suite::ChaCha20Poly1305], &[0; handshake::NONCE_BYTES]);
    let (client, auth) = handshake::Client::start(&g, b"x", b"x", [1; 48]).expect("own greeting");
    let server =
        handshake::Server::respond(&g, b"x", b"x", &auth[5..], [2; 32]).expect("own share");
    let confirm = client.confirm(&server.reply).expect("own share");
    server.finish(&confirm.line[8..]).expect("own tag").1
}

fn serve(
    stream: TcpStream,
    password: &str,
    listing: &[(char, Vec<u8>, u64)],
    files: &HashMap<Vec<u8>, Serve>,
    commands: &AtomicUsize,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
    let Some((mut reader, mut out)) = login(stream, password) else {
        return;
    };
    let mut line = String::new();
    for _ in 0..10_000 {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        commands.fetch_add(1, Ordering::SeqCst);
        let words: Vec<&str> = line.trim_end().splitn(2, ' ').collect();
        let reply: Vec<u8> = match words[0] {
            "USER" => b"331 password required\n".to_vec(),
            "PASS" => b"230 logged in\n".to_vec(),
            "PWD" => b"257 /\n".to_vec(),
            "STAT" => b"213 d 755 0 0 dir\n".to_vec(),
            "LIST" => {
                let text: String = listing
                    .iter()
                    .map(|(k, n, size)| format!("{k} 644 {size} 0 {}\n", quote(n)))
                    .collect();
                let mut r = b"150 * \"/\"\n".to_vec();
                r.extend(framed(text.as_bytes()));
                r.extend(
                    format!("226 {} {:08x} \"/\"\n", text.len(), crc32(text.as_bytes()))
                        .into_bytes(),
                );
                r
            }
            "RETR" => {
                let arg = words.get(1).copied().unwrap_or("");
                let path = arg.split(' ').next().unwrap_or("").trim_matches('"');
                let name = path.rsplit('/').next().unwrap_or("").as_bytes().to_vec();
                match files.get(&name) {
                    Some(Serve::Bytes(b)) => {
                        let mut r = format!("150 {}\n", b.len()).into_bytes();
                        r.extend(framed(b));
                        r.extend(format!("226 {} {:08x}\n", b.len(), crc32(b)).into_bytes());
                        r
                    }
                    Some(Serve::Raw(raw)) => raw.clone(),
                    None => b"550 no such file\n".to_vec(),
                }
            }
            // A long compress: two "still working" lines before the answer.
            "COMPRESS" => b"110 1000\n110 2000\n250 4000 1000\n".to_vec(),
            "QUIT" => {
                let _ = out.write_all(b"221 bye\n");
                let _ = out.close();
                return;
            }
            _ => b"200 ok\n".to_vec(),
        };
        if out.write_all(&reply).and_then(|()| out.flush()).is_err() {
            return;
        }
    }
}
