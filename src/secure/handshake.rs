//! Protocol 2's login: the text of its clear messages and the key schedule
//! around CPace. Pure functions over strings and bytes; the server session
//! and the client connection send and receive the lines.
//!
//! ```text
//! S: 220 rftp 2 ready cpace-ristretto255-sha512 suites=S1,S2 nonce=NS
//! C: AUTH SUITE NC YA          (NC 16 random bytes, YA the client's share; hex)
//! S: 334 YB                    (the server's share)
//! C: CONFIRM TA                (HMAC-SHA512 tag: the client knows the password)
//! S: 235 TB                    (the server's tag), or 530/421 after a delay
//! ```
//! then AEAD records both ways. CPace runs with PRS = the password,
//! CI = lv_cat("rftp 2", user, greeting text), sid = NS || NC,
//! ADa = lv_cat("client", SUITE), ADb = "server". From the ISK, HKDF-SHA512
//! (salt sid) gives the two confirmation keys and the two record keys; the
//! tags are HMACs of `transcript_ir(YA, ADa, YB, ADb)`. The user name never
//! crosses: a wrong one, like a wrong password, only makes the keys differ.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha512;

use super::cpace::{self, Party, SHARE_BYTES};
use super::record::{KEY_BYTES, Keys, Suite};

/// The protocol version a secure greeting names.
pub const PROTOCOL_VERSION: u32 = 2;
/// Random bytes in each side's nonce.
pub const NONCE_BYTES: usize = 16;
/// A confirmation tag (HMAC-SHA512), in bytes.
pub const TAG_BYTES: usize = 64;
/// The PAKE a greeting names.
const PAKE_NAME: &str = "cpace-ristretto255-sha512";
/// CI's first field: the protocol.
const CI_LABEL: &[u8] = b"rftp 2";

/// A handshake step that cannot go on, with a short reason for the peer.
#[derive(Debug, PartialEq, Eq)]
pub struct Failed(pub &'static str);

/// The greeting's text (after the code): version, PAKE, suites, nonce.
pub fn greeting(suites: &[Suite], nonce: &[u8; NONCE_BYTES]) -> String {
    let names: Vec<&str> = suites.iter().map(|s| s.name()).collect();
    format!(
        "rftp {PROTOCOL_VERSION} ready {PAKE_NAME} suites={} nonce={}",
        names.join(","),
        to_hex(nonce)
    )
}

/// What a secure greeting offers.
struct Offer {
    suites: Vec<Suite>,
    nonce: [u8; NONCE_BYTES],
}

fn parse_greeting(text: &str) -> Result<Offer, Failed> {
    let bad = Failed("bad protocol 2 greeting");
    let mut words = text.split(' ');
    let head = [words.next(), words.next(), words.next(), words.next()];
    if head != [Some("rftp"), Some("2"), Some("ready"), Some(PAKE_NAME)] {
        return Err(bad);
    }
    let suites = words
        .next()
        .and_then(|w| w.strip_prefix("suites="))
        .ok_or(Failed("bad greeting"))?;
    let nonce = words
        .next()
        .and_then(|w| w.strip_prefix("nonce="))
        .ok_or(Failed("bad greeting"))?;
    let suites: Vec<Suite> = suites.split(',').filter_map(Suite::from_name).collect();
    let nonce = from_hex(nonce).and_then(|n| n.try_into().ok()).ok_or(bad)?;
    Ok(Offer { suites, nonce })
}

/// Everything both sides derive from one CPace run.
struct Schedule {
    client_mac: [u8; 64],
    server_mac: [u8; 64],
    client_key: [u8; KEY_BYTES],
    server_key: [u8; KEY_BYTES],
    transcript: Vec<u8>,
}

impl Schedule {
    fn derive(isk: &[u8], sid: &[u8], transcript: Vec<u8>) -> Schedule {
        let kdf = Hkdf::<Sha512>::new(Some(sid), isk);
        let mut s = Schedule {
            client_mac: [0; 64],
            server_mac: [0; 64],
            client_key: [0; KEY_BYTES],
            server_key: [0; KEY_BYTES],
            transcript,
        };
        let lengths_ok = [
            kdf.expand(b"rftp 2 client confirmation", &mut s.client_mac),
            kdf.expand(b"rftp 2 server confirmation", &mut s.server_mac),
            kdf.expand(b"rftp 2 client to server records", &mut s.client_key),
            kdf.expand(b"rftp 2 server to client records", &mut s.server_key),
        ];
        assert!(
            lengths_ok.iter().all(Result::is_ok),
            "HKDF-SHA512 gives outputs of up to 255 blocks"
        );
        s
    }

    fn mac(key: &[u8], transcript: &[u8]) -> Hmac<Sha512> {
        let mut m = <Hmac<Sha512> as hmac::KeyInit>::new_from_slice(key)
            .expect("HMAC takes keys of any length");
        m.update(transcript);
        m
    }

    fn tag(key: &[u8], transcript: &[u8]) -> String {
        to_hex(&Schedule::mac(key, transcript).finalize().into_bytes())
    }

    /// Check a peer's tag in constant time.
    fn check(key: &[u8], transcript: &[u8], hex: &str) -> bool {
        match from_hex(hex) {
            Some(tag) if tag.len() == TAG_BYTES => {
                Schedule::mac(key, transcript).verify_slice(&tag).is_ok()
            }
            _ => false,
        }
    }
}

/// The two record directions' keys, as each side uses them.
pub struct Channel {
    /// The agreed suite.
    pub suite: Suite,
    /// Keys for what this side sends.
    pub send: Keys,
    /// Keys for what this side receives.
    pub receive: Keys,
}

fn ci(user: &[u8], greeting: &str) -> Vec<u8> {
    cpace::lv_cat(&[CI_LABEL, user, greeting.as_bytes()])
}

fn ad_client(suite: Suite) -> Vec<u8> {
    cpace::lv_cat(&[b"client", suite.name().as_bytes()])
}

const AD_SERVER: &[u8] = b"server";

/// The client's half-done handshake, between AUTH and the server's share.
pub struct Client {
    party: Party,
    suite: Suite,
    sid: Vec<u8>,
}

/// Pending client state after the server's share: the CONFIRM line to send
/// and what the server must answer.
pub struct ClientConfirm {
    /// `CONFIRM TA`, without the newline.
    pub line: String,
    schedule: Schedule,
    suite: Suite,
}

impl Client {
    /// Read the greeting's text and make the AUTH line (without newline).
    /// `random` gives the nonce and the scalar.
    pub fn start(
        greeting: &str,
        user: &[u8],
        password: &[u8],
        random: [u8; NONCE_BYTES + cpace::SCALAR_BYTES],
    ) -> Result<(Client, String), Failed> {
        let offer = parse_greeting(greeting)?;
        let suite = [Suite::Aes256Gcm, Suite::ChaCha20Poly1305]
            .into_iter()
            .find(|s| offer.suites.contains(s) && Suite::offered().contains(s))
            .ok_or(Failed("the server offers no record suite this client has"))?;
        let (nonce, scalar) = random.split_at(NONCE_BYTES);
        let sid = [&offer.nonce[..], nonce].concat();
        let scalar: [u8; cpace::SCALAR_BYTES] =
            scalar.try_into().expect("the split leaves 32 bytes");
        let party = Party::start(password, &ci(user, greeting), &sid, scalar);
        let line = format!(
            "AUTH {} {} {}",
            suite.name(),
            to_hex(nonce),
            to_hex(&party.share)
        );
        Ok((Client { party, suite, sid }, line))
    }

    /// Take the server's `334 YB` text: derive the keys, make CONFIRM.
    pub fn confirm(self, yb_hex: &str) -> Result<ClientConfirm, Failed> {
        let yb = from_hex(yb_hex)
            .filter(|y| y.len() == SHARE_BYTES)
            .ok_or(Failed("bad server share"))?;
        let transcript =
            cpace::transcript_ir(&self.party.share, &ad_client(self.suite), &yb, AD_SERVER);
        let isk = self
            .party
            .finish(&yb, &self.sid, &transcript)
            .map_err(|_| Failed("invalid server share"))?;
        let schedule = Schedule::derive(&isk, &self.sid, transcript);
        let line = format!(
            "CONFIRM {}",
            Schedule::tag(&schedule.client_mac, &schedule.transcript)
        );
        Ok(ClientConfirm {
            line,
            schedule,
            suite: self.suite,
        })
    }
}

impl ClientConfirm {
    /// Check the server's `235 TB` text: the channel, once the server has
    /// shown that it knows the password.
    pub fn finish(self, tb_hex: &str) -> Result<Channel, Failed> {
        let s = &self.schedule;
        if !Schedule::check(&s.server_mac, &s.transcript, tb_hex) {
            return Err(Failed(
                "the server did not prove that it knows the password",
            ));
        }
        Ok(Channel {
            suite: self.suite,
            send: Keys::new(self.suite, &s.client_key),
            receive: Keys::new(self.suite, &s.server_key),
        })
    }
}

/// The server's half-done handshake, after it answered AUTH.
pub struct Server {
    schedule: Schedule,
    suite: Suite,
    /// `334 YB`'s text.
    pub reply: String,
}

impl Server {
    /// Answer AUTH's arguments (after the word AUTH) for the configured user
    /// and password, under the greeting text this server sent.
    pub fn respond(
        greeting: &str,
        user: &[u8],
        password: &[u8],
        auth_args: &str,
        random: [u8; cpace::SCALAR_BYTES],
    ) -> Result<Server, Failed> {
        let offer = parse_greeting(greeting)?;
        let mut words = auth_args.split(' ');
        let (Some(suite), Some(nonce), Some(ya), None) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            return Err(Failed("AUTH takes a suite, a nonce and a share"));
        };
        let suite = Suite::from_name(suite)
            .filter(|s| offer.suites.contains(s))
            .ok_or(Failed("AUTH names a suite this server does not offer"))?;
        let nonce = from_hex(nonce)
            .filter(|n| n.len() == NONCE_BYTES)
            .ok_or(Failed("bad AUTH nonce"))?;
        let ya = from_hex(ya)
            .filter(|y| y.len() == SHARE_BYTES)
            .ok_or(Failed("bad AUTH share"))?;
        let sid = [&offer.nonce[..], &nonce].concat();
        let party = Party::start(password, &ci(user, greeting), &sid, random);
        let transcript = cpace::transcript_ir(&ya, &ad_client(suite), &party.share, AD_SERVER);
        let isk = party
            .finish(&ya, &sid, &transcript)
            .map_err(|_| Failed("invalid AUTH share"))?;
        Ok(Server {
            schedule: Schedule::derive(&isk, &sid, transcript),
            suite,
            reply: to_hex(&party.share),
        })
    }

    /// Check CONFIRM's tag: on success the `235 TB` text and the channel.
    /// A failure is a failed login (wrong password or user name).
    pub fn finish(self, ta_hex: &str) -> Result<(String, Channel), Failed> {
        let s = &self.schedule;
        if !Schedule::check(&s.client_mac, &s.transcript, ta_hex) {
            return Err(Failed("login incorrect"));
        }
        let channel = Channel {
            suite: self.suite,
            send: Keys::new(self.suite, &s.server_key),
            receive: Keys::new(self.suite, &s.client_key),
        };
        Ok((Schedule::tag(&s.server_mac, &s.transcript), channel))
    }
}

pub use crate::wire::number::{from_hex, to_hex};

pub use crate::sys::random;

#[cfg(test)]
#[path = "handshake_tests.rs"]
mod tests;
