//! Checksums of whole files for `sum` and `lsum`: CRC-32 and SHA-256,
//! computed by streaming the file through a fixed buffer. Readers only; the
//! caller opens the file (through `Root` on the server).

use std::io::{self, Read};

use sha2::Digest;

use crate::wire::number::to_hex;

/// Bytes read at a time while summing.
const SUM_BUFFER_BYTES: usize = 256 * 1024;

/// A checksum algorithm `sum -a` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algo {
    /// CRC-32 (IEEE), 8 hex digits.
    Crc32,
    /// SHA-256, 64 hex digits.
    Sha256,
}

impl Algo {
    /// The algorithm named `word` (`crc32`, `sha256`), if known.
    pub fn parse(word: &[u8]) -> Option<Algo> {
        match word {
            b"crc32" => Some(Algo::Crc32),
            b"sha256" => Some(Algo::Sha256),
            _ => None,
        }
    }

    /// Its name on the wire and after `-a`.
    pub fn name(self) -> &'static str {
        match self {
            Algo::Crc32 => "crc32",
            Algo::Sha256 => "sha256",
        }
    }
}

/// The checksum of everything `r` yields, in lowercase hex.
pub fn digest(r: &mut impl Read, algo: Algo) -> io::Result<String> {
    if algo == Algo::Crc32 {
        return Ok(format!("{:08x}", super::partial::crc_of(r, u64::MAX)?));
    }
    let mut buf = vec![0; SUM_BUFFER_BYTES];
    let mut sha = sha2::Sha256::new();
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(to_hex(&sha.finalize())),
            Ok(n) => sha.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        let sum = |data: &[u8], a| digest(&mut &data[..], a).unwrap();
        assert_eq!(sum(b"123456789", Algo::Crc32), "cbf43926");
        assert_eq!(
            sum(b"abc", Algo::Sha256),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Algo::parse(b"md5"), None);
    }
}
