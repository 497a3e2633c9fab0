//! The record layer: after login every byte travels in AEAD records, one key
//! and one nonce counter per direction. This module holds the format, the
//! suites and the keys; `stream`'s `RecordWriter` and `RecordReader` (from
//! `secure`) wrap the two halves of a connection. No sockets here.
//!
//! A record is `type (1 byte) || length (2 bytes, big-endian) || ciphertext`,
//! where the ciphertext is the sealed plaintext and its 16-byte tag, the
//! three header bytes are the AEAD's associated data, and the nonce is four
//! zero bytes then the direction's record counter (8 bytes, big-endian,
//! from 0). A record that fails to open ends the stream with `InvalidData`:
//! no byte of it is handed on, and every later read fails too. A stream cut
//! before the close record ends with `UnexpectedEof`.

use std::io;

use rftp_aead::{Aead, Algorithm};

/// Most plaintext bytes in one record.
pub const MAX_PLAINTEXT_BYTES: usize = 16 * 1024;
/// The AEAD tag after each record's ciphertext, in bytes.
pub const TAG_BYTES: usize = rftp_aead::TAG_BYTES;
/// The record header: type and length, in bytes.
pub const HEADER_BYTES: usize = 3;
/// A record key, in bytes (both suites).
pub const KEY_BYTES: usize = rftp_aead::KEY_BYTES;
/// Record type: data.
pub(super) const TYPE_DATA: u8 = 0x17;
/// Record type: the sender's last record (empty); a stream that ends
/// without it was cut.
pub(super) const TYPE_CLOSE: u8 = 0x15;

/// An AEAD suite of the record layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// AES-256-GCM: where both ends have AES hardware.
    Aes256Gcm,
    /// ChaCha20-Poly1305: everywhere else.
    ChaCha20Poly1305,
}

impl Suite {
    /// The suite's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Aes256Gcm => "aes-256-gcm",
            Suite::ChaCha20Poly1305 => "chacha20-poly1305",
        }
    }

    /// The suite a wire name names.
    pub fn from_name(name: &str) -> Option<Suite> {
        [Suite::Aes256Gcm, Suite::ChaCha20Poly1305]
            .into_iter()
            .find(|s| s.name() == name)
    }

    /// The suites this machine offers, best first: AES-256-GCM only with
    /// AES hardware (software AES is slow and not constant-time).
    pub fn offered() -> Vec<Suite> {
        if aes_hardware() {
            vec![Suite::Aes256Gcm, Suite::ChaCha20Poly1305]
        } else {
            vec![Suite::ChaCha20Poly1305]
        }
    }
}

/// Whether this CPU has AES and carry-less multiply instructions (detected
/// at run time; the binary is built for any CPU of its architecture).
pub fn aes_hardware() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("aes")
            && std::arch::is_x86_feature_detected!("pclmulqdq")
    }
    #[cfg(target_arch = "aarch64")]
    {
        // The ARMv8 crypto extension's "aes" includes PMULL.
        std::arch::is_aarch64_feature_detected!("aes")
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// One direction's cipher and record counter.
pub struct Keys {
    aead: Aead,
    counter: u64,
}

impl Keys {
    /// Keys of `suite` with `key`, counting records from 0.
    pub fn new(suite: Suite, key: &[u8; KEY_BYTES]) -> Keys {
        let algorithm = match suite {
            Suite::Aes256Gcm => Algorithm::Aes256Gcm,
            Suite::ChaCha20Poly1305 => Algorithm::ChaCha20Poly1305,
        };
        Keys {
            aead: Aead::new(algorithm, key),
            counter: 0,
        }
    }

    /// The next record's nonce; the counter never wraps.
    fn next_nonce(&mut self) -> io::Result<[u8; 12]> {
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&self.counter.to_be_bytes());
        self.counter = self
            .counter
            .checked_add(1)
            .ok_or_else(|| io::Error::other("record counter exhausted"))?;
        Ok(nonce)
    }

    /// Seal `buf` in place under `aad`; returns the tag.
    pub(super) fn seal(&mut self, aad: &[u8], buf: &mut [u8]) -> io::Result<[u8; TAG_BYTES]> {
        let nonce = self.next_nonce()?;
        self.aead
            .seal(&nonce, aad, buf)
            .map_err(|_| io::Error::other("cannot seal a record"))
    }

    /// Open `buf` in place under `aad` and `tag`; an error means the
    /// record is not the next one the peer sealed.
    pub(super) fn open(&mut self, aad: &[u8], buf: &mut [u8], tag: &[u8]) -> io::Result<()> {
        let nonce = self.next_nonce()?;
        let tag: &[u8; TAG_BYTES] = tag.try_into().map_err(|_| refused("bad record tag"))?;
        self.aead.open(&nonce, aad, buf, tag).map_err(|_| {
            refused("a record failed to authenticate (changed, replayed, reordered or forged)")
        })
    }
}

/// Why the record layer ended a stream, inside the `io::Error` it returns.
#[derive(Debug)]
pub struct ChannelError(&'static str);

impl std::fmt::Display for ChannelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "secure channel: {}", self.0)
    }
}

impl std::error::Error for ChannelError {}

/// Whether `e` is the record layer's own (its text says what happened).
pub fn is_channel_error(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<ChannelError>())
}

/// The error that ends a channel whose peer sent a bad record
/// (`InvalidData`: what came under it must not be kept).
pub(super) fn refused(why: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, ChannelError(why))
}

/// The error of a stream that ended before the close record
/// (`UnexpectedEof`: what came before it was authentic, though incomplete).
pub(super) fn truncated(why: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, ChannelError(why))
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
