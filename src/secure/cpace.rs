//! CPace, suite CPACE-RISTR255-SHA512, as draft-irtf-cfrg-cpace-21 defines
//! it: the generator from the password, the shares, the verified scalar
//! multiplication and the intermediate session key (ISK), initiator-responder
//! transcript. Group arithmetic is curve25519-dalek's, hashing is sha2's;
//! nothing here does I/O, and nothing here knows rftp's messages
//! (`handshake` does). The secret point K never leaves this module.

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

/// The group's domain-separation identifier, G_Ristretto255.DSI.
const DSI: &[u8] = b"CPaceRistretto255";
/// The ISK's domain separator, G.DSI || b"_ISK".
const DSI_ISK: &[u8] = b"CPaceRistretto255_ISK";
/// SHA-512's input block size, H.s_in_bytes.
const HASH_BLOCK_BYTES: usize = 128;
/// An encoded group element (a share), in bytes.
pub const SHARE_BYTES: usize = 32;
/// The ISK, in bytes (SHA-512's output).
pub const ISK_BYTES: usize = 64;
/// A scalar's random bytes, of which the top bits beyond 252 are cleared.
pub const SCALAR_BYTES: usize = 32;

/// Why a peer's share was refused: the protocol must abort.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The bytes are not the canonical encoding of a group element.
    InvalidEncoding,
    /// The share, or the shared point K, is the identity element.
    Identity,
}

/// `prepend_len`: the LEB128 length of `data`, then `data`.
fn prepend_len(out: &mut Vec<u8>, data: &[u8]) {
    let mut len = data.len();
    loop {
        let low = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            out.push(low);
            break;
        }
        out.push(low | 0x80);
    }
    out.extend_from_slice(data);
}

/// `lv_cat`: each part with its length prepended.
pub fn lv_cat(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        prepend_len(&mut out, p);
    }
    out
}

/// The LEB128-prefixed length of `data` alone, `len(prepend_len(data))`.
fn prepended_len(data: &[u8]) -> usize {
    let mut n = data.len();
    let mut digits = 1;
    while n >= 0x80 {
        n >>= 7;
        digits += 1;
    }
    digits + data.len()
}

/// `generator_string(DSI, PRS, CI, sid, s_in_bytes)`: zero padding fills the
/// first hash block after DSI and PRS.
fn generator_string(prs: &[u8], ci: &[u8], sid: &[u8]) -> Vec<u8> {
    let zpad = HASH_BLOCK_BYTES
        .saturating_sub(1)
        .saturating_sub(prepended_len(prs))
        .saturating_sub(prepended_len(DSI));
    lv_cat(&[DSI, prs, &vec![0u8; zpad], ci, sid])
}

/// `calculate_generator(H, PRS, CI, sid)`: RFC 9496's element derivation of
/// the 64-byte SHA-512 of the generator string.
pub fn calculate_generator(prs: &[u8], ci: &[u8], sid: &[u8]) -> RistrettoPoint {
    let hash: [u8; 64] = Sha512::digest(generator_string(prs, ci, sid)).into();
    RistrettoPoint::from_uniform_bytes(&hash)
}

/// `sample_scalar` from 32 random bytes: the bits above 252 cleared, read
/// little-endian (the draft's recommended sampling).
pub fn scalar_from_random(mut bytes: [u8; SCALAR_BYTES]) -> Scalar {
    bytes[SCALAR_BYTES - 1] &= 0x0f;
    Scalar::from_bytes_mod_order(bytes)
}

/// `scalar_mult(y, g)`: the encoded share y·g.
pub fn scalar_mult(y: &Scalar, g: &RistrettoPoint) -> [u8; SHARE_BYTES] {
    (y * g).compress().to_bytes()
}

/// `scalar_mult_vfy(y, X)`: the encoded y·decode(X), refusing an invalid
/// encoding and the identity (for X and for the result).
pub fn scalar_mult_vfy(y: &Scalar, x: &[u8]) -> Result<[u8; SHARE_BYTES], Refused> {
    let point = CompressedRistretto::from_slice(x)
        .ok()
        .and_then(|c| c.decompress())
        .ok_or(Refused::InvalidEncoding)?;
    let k = (y * point).compress().to_bytes();
    // The identity encodes as 32 zero bytes (G.I).
    if k == [0u8; SHARE_BYTES] {
        return Err(Refused::Identity);
    }
    Ok(k)
}

/// `transcript_ir(Ya, ADa, Yb, ADb)`: the initiator's message, then the
/// responder's.
pub fn transcript_ir(ya: &[u8], ada: &[u8], yb: &[u8], adb: &[u8]) -> Vec<u8> {
    let mut t = lv_cat(&[ya, ada]);
    t.extend_from_slice(&lv_cat(&[yb, adb]));
    t
}

/// ISK = H(lv_cat(DSI_ISK, sid, K) || transcript).
pub fn isk(sid: &[u8], k: &[u8], transcript: &[u8]) -> [u8; ISK_BYTES] {
    let mut h = Sha512::new();
    h.update(lv_cat(&[DSI_ISK, sid, k]));
    h.update(transcript);
    h.finalize().into()
}

/// One party's run: its scalar and generator-derived share.
pub struct Party {
    y: Scalar,
    /// This party's share, to send.
    pub share: [u8; SHARE_BYTES],
}

impl Party {
    /// Start a run over password `prs`, channel identifier `ci` and session
    /// id `sid`, with 32 fresh random bytes for the scalar.
    pub fn start(prs: &[u8], ci: &[u8], sid: &[u8], random: [u8; SCALAR_BYTES]) -> Party {
        let g = calculate_generator(prs, ci, sid);
        let y = scalar_from_random(random);
        Party {
            share: scalar_mult(&y, &g),
            y,
        }
    }

    /// The ISK from the peer's share; `transcript` is `transcript_ir` over
    /// both messages. Refuses an invalid or identity share.
    pub fn finish(
        &self,
        peer_share: &[u8],
        sid: &[u8],
        transcript: &[u8],
    ) -> Result<[u8; ISK_BYTES], Refused> {
        let k = scalar_mult_vfy(&self.y, peer_share)?;
        Ok(isk(sid, &k, transcript))
    }
}

#[cfg(test)]
mod tests {
    //! Vectors from draft-irtf-cfrg-cpace-21, appendix "Test vector for
    //! CPace using group ristretto255 and hash SHA-512", and its string
    //! utility vectors.
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("test hex is valid"))
            .collect()
    }

    fn arr32(s: &str) -> [u8; 32] {
        hex(s).try_into().expect("test vector is 32 bytes")
    }

    const CI: &str = "0b415f696e69746961746f720b425f726573706f6e646572";
    const SID: &str = "7e4b4791d6a8ef019b936c79fb7f2c57";
    const YA_SCALAR: &str = "da3d23700a9e5699258aef94dc060dfda5ebb61f02a5ea77fad53f4ff0976d08";
    const YB_SCALAR: &str = "d2316b454718c35362d83d69df6320f38578ed5984651435e2949762d900b80d";
    const YA: &str = "d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b9157";
    const YB: &str = "3ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f7258";
    const K: &str = "80b69a8a76457ab6a4d7f887a4bf6b55a2f80ac19c333f917a05fc9887c8b40f";

    #[test]
    fn string_utilities_match_the_draft() {
        assert_eq!(lv_cat(&[b""]), hex("00"));
        assert_eq!(lv_cat(&[b"1234"]), hex("0431323334"));
        let r127: Vec<u8> = (0..127).collect();
        assert_eq!(lv_cat(&[&r127])[..1], [0x7f]);
        let r128: Vec<u8> = (0..128).collect();
        assert_eq!(lv_cat(&[&r128])[..3], [0x80, 0x01, 0x00]);
        assert_eq!(prepended_len(&r128), 130);
        assert_eq!(
            lv_cat(&[b"1234", b"5", b"", b"678"]),
            hex("043132333401350003363738")
        );
        assert_eq!(
            transcript_ir(b"123", b"PartyA", b"234", b"PartyB"),
            hex("03313233065061727479410332333406506172747942")
        );
    }

    #[test]
    fn generator_matches_the_draft() {
        let gs = generator_string(b"Password", &hex(CI), &hex(SID));
        assert_eq!(gs.len(), 170);
        assert_eq!(
            Sha512::digest(&gs)[..],
            hex("da6d3ddc8802fca9058755ffd3ebde08a9c2c74945901a258482a288
                 b6663af06bf645c93cd1c51512307199c80e84908916d983b34af772
                 05f90851a657ee27")[..]
        );
        let g = calculate_generator(b"Password", &hex(CI), &hex(SID));
        assert_eq!(
            g.compress().to_bytes().to_vec(),
            hex("222b6b195fe84b1652badb6f6a3ae3d24341e7306967f0b8115b40d5698c7e56")
        );
    }

    #[test]
    fn shares_secret_point_and_isk_match_the_draft() {
        let g = calculate_generator(b"Password", &hex(CI), &hex(SID));
        let ya = Scalar::from_bytes_mod_order(arr32(YA_SCALAR));
        let yb = Scalar::from_bytes_mod_order(arr32(YB_SCALAR));
        assert_eq!(scalar_mult(&ya, &g).to_vec(), hex(YA));
        assert_eq!(scalar_mult(&yb, &g).to_vec(), hex(YB));
        assert_eq!(
            scalar_mult_vfy(&ya, &hex(YB)).map(|k| k.to_vec()),
            Ok(hex(K))
        );
        assert_eq!(
            scalar_mult_vfy(&yb, &hex(YA)).map(|k| k.to_vec()),
            Ok(hex(K))
        );
        let t = transcript_ir(&hex(YA), b"ADa", &hex(YB), b"ADb");
        assert_eq!(t.len(), 74);
        assert_eq!(
            isk(&hex(SID), &hex(K), &t).to_vec(),
            hex("b69effbf61b51d56401c0f65601abe428de8206feaaf0e32198896dc
                 ae7b35cd2b38950a39dfd5d4a79164614c2984f7daa460b588c1e80c
                 3fa2068af7900447")
        );
    }

    #[test]
    fn scalar_mult_vfy_matches_the_draft_and_refuses_bad_points() {
        let s = Scalar::from_bytes_mod_order(arr32(
            "7cd0e075fa7955ba52c02759a6c90dbbfc10e6d40aea8d283e407d88cf538a05",
        ));
        let x = hex("2c3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c");
        assert_eq!(
            scalar_mult_vfy(&s, &x).map(|k| k.to_vec()),
            Ok(hex(
                "7c13645fe790a468f62c39beb7388e541d8405d1ade69d1778c5fe3e7f6b600e"
            ))
        );
        let y_i1 = hex("2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c");
        assert_eq!(scalar_mult_vfy(&s, &y_i1), Err(Refused::InvalidEncoding));
        assert_eq!(scalar_mult_vfy(&s, &[0u8; 32]), Err(Refused::Identity));
        assert_eq!(
            scalar_mult_vfy(&s, &[0u8; 31]),
            Err(Refused::InvalidEncoding)
        );
        assert_eq!(
            scalar_mult_vfy(&s, &[0xffu8; 32]),
            Err(Refused::InvalidEncoding)
        );
    }

    #[test]
    fn two_parties_agree_only_on_the_same_password() {
        let (ci, sid) = (b"ci".as_slice(), b"sid".as_slice());
        let a = Party::start(b"pw", ci, sid, [7; 32]);
        let b = Party::start(b"pw", ci, sid, [9; 32]);
        let t = transcript_ir(&a.share, b"", &b.share, b"");
        assert_eq!(a.finish(&b.share, sid, &t), b.finish(&a.share, sid, &t));
        let wrong = Party::start(b"pW", ci, sid, [9; 32]);
        let t2 = transcript_ir(&a.share, b"", &wrong.share, b"");
        assert_ne!(
            a.finish(&wrong.share, sid, &t2),
            wrong.finish(&a.share, sid, &t2)
        );
    }
}
