//! The two AEADs of rftp's record layer behind one concrete, non-generic
//! type. It is a crate of its own only so that the release profile can build
//! it at opt-level 3 while the rest of rftp is built for size: the RustCrypto
//! code is instantiated here, so it is optimised here. No I/O, no record
//! format (that is `rftp::secure::record`); never a primitive of our own.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit};
use chacha20poly1305::ChaCha20Poly1305;

/// A key, in bytes (both suites).
pub const KEY_BYTES: usize = 32;
/// A nonce, in bytes (both suites).
pub const NONCE_BYTES: usize = 12;
/// A tag, in bytes (both suites).
pub const TAG_BYTES: usize = 16;

/// Which AEAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// AES-256-GCM.
    Aes256Gcm,
    /// ChaCha20-Poly1305.
    ChaCha20Poly1305,
}

/// A keyed AEAD.
pub enum Aead {
    /// AES-256-GCM with its key schedule.
    Aes(Box<Aes256Gcm>),
    /// ChaCha20-Poly1305 with its key.
    ChaCha(Box<ChaCha20Poly1305>),
}

/// Sealing failed (the input is too long for the AEAD), or opening did
/// (the ciphertext, associated data, nonce or tag is not what was sealed).
#[derive(Debug, PartialEq, Eq)]
pub struct Failed;

impl Aead {
    /// `algorithm` keyed with `key`.
    pub fn new(algorithm: Algorithm, key: &[u8; KEY_BYTES]) -> Aead {
        match algorithm {
            Algorithm::Aes256Gcm => Aead::Aes(Box::new(Aes256Gcm::new(key.into()))),
            Algorithm::ChaCha20Poly1305 => {
                Aead::ChaCha(Box::new(ChaCha20Poly1305::new(key.into())))
            }
        }
    }

    /// Encrypt `buf` in place under `nonce` and `aad`; returns the tag.
    #[inline(never)]
    pub fn seal(
        &self,
        nonce: &[u8; NONCE_BYTES],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_BYTES], Failed> {
        let tag = match self {
            Aead::Aes(c) => c.encrypt_inout_detached(nonce.into(), aad, buf.into()),
            Aead::ChaCha(c) => c.encrypt_inout_detached(nonce.into(), aad, buf.into()),
        }
        .map_err(|_| Failed)?;
        Ok(tag.into())
    }

    /// Check `tag` and decrypt `buf` in place under `nonce` and `aad`.
    #[inline(never)]
    pub fn open(
        &self,
        nonce: &[u8; NONCE_BYTES],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_BYTES],
    ) -> Result<(), Failed> {
        match self {
            Aead::Aes(c) => c.decrypt_inout_detached(nonce.into(), aad, buf.into(), tag.into()),
            Aead::ChaCha(c) => c.decrypt_inout_detached(nonce.into(), aad, buf.into(), tag.into()),
        }
        .map_err(|_| Failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_algorithms_round_trip_and_refuse_a_changed_byte() {
        for alg in [Algorithm::Aes256Gcm, Algorithm::ChaCha20Poly1305] {
            let a = Aead::new(alg, &[1; KEY_BYTES]);
            let mut buf = *b"sixteen bytes..!";
            let tag = a.seal(&[2; NONCE_BYTES], b"ad", &mut buf).unwrap();
            assert_ne!(&buf, b"sixteen bytes..!");
            let mut bad = buf;
            bad[3] ^= 1;
            assert_eq!(
                a.open(&[2; NONCE_BYTES], b"ad", &mut bad, &tag),
                Err(Failed)
            );
            a.open(&[2; NONCE_BYTES], b"ad", &mut buf, &tag).unwrap();
            assert_eq!(&buf, b"sixteen bytes..!");
        }
    }
}
