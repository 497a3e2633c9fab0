//! A fake, malicious rftp server for testing the client's defences: it logs
//! anyone in, lists whatever names it was given, and serves whatever bytes it
//! was given for RETR. Runs on 127.0.0.1 port 0 in a thread, bounded in time.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crate::util::crc32;

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
}

impl Fake {
    /// Start a fake server.
    pub fn start(listing: Vec<(char, Vec<u8>, u64)>, files: HashMap<Vec<u8>, Serve>) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        thread::spawn(move || {
            let until = Instant::now() + LIFETIME;
            while Instant::now() < until {
                match listener.accept() {
                    Ok((s, _)) => {
                        let (listing, files) = (listing.clone(), files.clone());
                        thread::spawn(move || serve(s, &listing, &files));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Fake { port }
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

fn serve(stream: TcpStream, listing: &[(char, Vec<u8>, u64)], files: &HashMap<Vec<u8>, Serve>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
    let mut out = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let _ = out.write_all(b"220 rftp 1 ready\n");
    let mut line = String::new();
    for _ in 0..10_000 {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
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
                return;
            }
            _ => b"200 ok\n".to_vec(),
        };
        if out.write_all(&reply).is_err() {
            return;
        }
    }
}
