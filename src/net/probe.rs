//! The discovery datagrams, as bytes: a client's probe and a server's
//! answer. Pure functions, no sockets. The format (also in rftp-protocol(5)):
//!
//! ```text
//! probe:  "RFTP-FIND 1 " NONCE "\n", padded with spaces to PROBE_BYTES
//! answer: "RFTP-HERE 1 " NONCE " " ID " " PORT " " NAME "\n"
//! ```
//!
//! NONCE: 16 lowercase hex digits chosen by the client, echoed so that it
//! takes only answers to its own probe; ID: 16 hex digits a server picks at
//! start (one server heard over IPv4 and IPv6 is listed once); PORT: its TCP
//! port; NAME: its host name, at most `MAX_NAME_BYTES` of `[A-Za-z0-9._-]`.
//! An answer is never longer than the probe it answers times
//! `REPLY_SIZE_FACTOR`, and probes shorter than `MIN_PROBE_BYTES` get none,
//! so the answer cannot amplify a forged probe. It holds no user name, no
//! path, nothing of the files.

/// What a probe starts with.
const PROBE_MAGIC: &[u8] = b"RFTP-FIND 1 ";
/// What an answer starts with.
const ANSWER_MAGIC: &str = "RFTP-HERE 1 ";
/// Size of the probes the client sends, in bytes.
pub const PROBE_BYTES: usize = 128;
/// Shortest probe answered, in bytes.
pub const MIN_PROBE_BYTES: usize = 128;
/// Longest probe answered, in bytes.
pub const MAX_PROBE_BYTES: usize = 512;
/// An answer is at most this many times the size of its probe.
pub const REPLY_SIZE_FACTOR: usize = 1;
/// Longest server name in an answer, in bytes.
pub const MAX_NAME_BYTES: usize = 48;
/// Hex digits of a nonce or server id.
const TOKEN_HEX_DIGITS: usize = 16;

/// A server's answer, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The server's id, random per run.
    pub id: String,
    /// Its TCP port.
    pub port: u16,
    /// The name it gives (its host name).
    pub name: String,
}

/// 16 hex digits from 8 random bytes.
pub fn token(random: [u8; 8]) -> String {
    crate::wire::number::to_hex(&random)
}

/// A probe carrying `nonce`, `PROBE_BYTES` long.
pub fn probe(nonce: &str) -> Vec<u8> {
    let mut p = PROBE_MAGIC.to_vec();
    p.extend_from_slice(nonce.as_bytes());
    p.push(b'\n');
    p.resize(PROBE_BYTES.max(p.len()), b' ');
    p
}

fn is_token(t: &str) -> bool {
    t.len() == TOKEN_HEX_DIGITS && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The nonce of a probe that deserves an answer, or `None`.
pub fn parse_probe(datagram: &[u8]) -> Option<&str> {
    if !(MIN_PROBE_BYTES..=MAX_PROBE_BYTES).contains(&datagram.len()) {
        return None;
    }
    let rest = datagram.strip_prefix(PROBE_MAGIC)?;
    let nonce = std::str::from_utf8(rest.get(..TOKEN_HEX_DIGITS)?).ok()?;
    (is_token(nonce) && rest.get(TOKEN_HEX_DIGITS) == Some(&b'\n')).then_some(nonce)
}

/// A name fit for an answer: safe bytes only, bounded.
pub fn clean_name(name: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
    let mut out: String = name
        .trim()
        .chars()
        .map(|c| if safe(c) { c } else { '_' })
        .take(MAX_NAME_BYTES)
        .collect();
    if out.is_empty() {
        out.push_str("rftp");
    }
    out
}

/// The answer to a probe of `probe_len` bytes; the name is cut so that the
/// answer is never longer than `probe_len * REPLY_SIZE_FACTOR`.
pub fn answer(nonce: &str, id: &str, port: u16, name: &str, probe_len: usize) -> Vec<u8> {
    let head = format!("{ANSWER_MAGIC}{nonce} {id} {port} ");
    let room = (probe_len * REPLY_SIZE_FACTOR).saturating_sub(head.len() + 1);
    let name = clean_name(name);
    let mut a = head.into_bytes();
    a.extend_from_slice(&name.as_bytes()[..name.len().min(room)]);
    a.push(b'\n');
    a.truncate(probe_len * REPLY_SIZE_FACTOR);
    a
}

/// An answer to our probe `nonce`, decoded; `None` for anything else.
pub fn parse_answer(datagram: &[u8], nonce: &str) -> Option<Answer> {
    let text = std::str::from_utf8(datagram).ok()?;
    let rest = text.strip_prefix(ANSWER_MAGIC)?.strip_suffix('\n')?;
    let mut words = rest.splitn(4, ' ');
    let (n, id, port) = (words.next()?, words.next()?, words.next()?);
    let name = words.next().unwrap_or("");
    if n != nonce || !is_token(id) {
        return None;
    }
    Some(Answer {
        id: id.to_string(),
        port: port.parse().ok()?,
        name: clean_name(name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: &str = "0123456789abcdef";

    #[test]
    fn probe_round_trip() {
        let p = probe(NONCE);
        assert_eq!(p.len(), PROBE_BYTES);
        assert_eq!(parse_probe(&p), Some(NONCE));
    }

    #[test]
    fn short_long_or_odd_probes_are_ignored() {
        let p = probe(NONCE);
        assert_eq!(parse_probe(&p[..MIN_PROBE_BYTES - 1]), None);
        let mut long = p.clone();
        long.resize(MAX_PROBE_BYTES + 1, b' ');
        assert_eq!(parse_probe(&long), None);
        let mut odd = p.clone();
        odd[PROBE_MAGIC.len()] = b'x';
        assert_eq!(parse_probe(&odd), None);
        assert_eq!(parse_probe(&[b' '; PROBE_BYTES]), None);
    }

    #[test]
    fn answer_round_trip_and_never_larger_than_the_probe() {
        let id = "fedcba9876543210";
        let a = answer(NONCE, id, 2121, "laptop", PROBE_BYTES);
        let got = parse_answer(&a, NONCE).unwrap();
        assert_eq!(
            (got.id.as_str(), got.port, got.name.as_str()),
            (id, 2121, "laptop")
        );
        assert_eq!(parse_answer(&a, "ffffffffffffffff"), None);
        let huge = "n".repeat(1000);
        for len in [MIN_PROBE_BYTES, 60] {
            assert!(answer(NONCE, id, 65535, &huge, len).len() <= len * REPLY_SIZE_FACTOR);
        }
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("a b/\u{1b}[31m"), "a_b___31m");
        assert_eq!(clean_name(""), "rftp");
        assert_eq!(clean_name(&"x".repeat(100)).len(), MAX_NAME_BYTES);
    }
}
