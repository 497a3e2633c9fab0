//! Protocol 1's login (`--plain`): USER and PASS checked in constant time,
//! the failure delay and limit that `secure_login` shares, and nothing but
//! login before it.

use std::io::{self, Write};
use std::thread;
use std::time::Duration;

use super::session::Session;
use crate::wire::{Reply, Request, code, escape};

/// Wait before answering a failed login, so that guessing is slow.
pub const LOGIN_FAILURE_DELAY: Duration = Duration::from_secs(1);
/// Failed logins allowed on one connection before it is closed.
pub const MAX_LOGIN_ATTEMPTS: u32 = 3;

/// Run protocol 1's login exchange (`--plain`); `true` once logged in.
pub fn login(s: &mut Session) -> io::Result<bool> {
    let mut user: Option<Vec<u8>> = None;
    let mut failures = 0;
    while let Some(line) = s.next_line("login timeout")? {
        match Request::parse(&line) {
            Ok(Request::User(name)) => {
                user = Some(name);
                s.reply(&Reply::new(code::NEED_PASSWORD, "password required"))?;
            }
            Ok(Request::Pass(password)) => {
                let Some(name) = user.take() else {
                    s.reply(&Reply::new(code::BAD_SEQUENCE, "send USER first"))?;
                    continue;
                };
                if check_login(s, &name, &password) {
                    s.cfg.log(&s.peer, &format!("login '{}' ok", escape(&name)));
                    s.reply(&Reply::new(code::LOGGED_IN, "logged in"))?;
                    return Ok(true);
                }
                failures += 1;
                s.cfg
                    .log(&s.peer, &format!("login '{}' failed", escape(&name)));
                s.writer.flush()?;
                thread::sleep(LOGIN_FAILURE_DELAY);
                if failures >= MAX_LOGIN_ATTEMPTS {
                    s.reply(&Reply::new(
                        code::CLOSING,
                        "too many failed logins, closing",
                    ))?;
                    return Ok(false);
                }
                s.reply(&Reply::new(code::LOGIN_FAILED, "login incorrect"))?;
            }
            Ok(Request::Quit) => {
                s.reply(&Reply::new(code::BYE, "bye"))?;
                return Ok(false);
            }
            Ok(Request::Stor { .. }) => {
                // Its payload would follow; rather than read it, close.
                s.reply(&Reply::new(code::CLOSING, "log in first, closing"))?;
                return Ok(false);
            }
            Ok(_) => s.reply(&Reply::new(code::LOGIN_FAILED, "log in first"))?,
            Err(e) => {
                if s.refuse_line(&line, e)? {
                    return Ok(false);
                }
            }
        }
    }
    Ok(false)
}

/// Compare user and password with the configured ones in constant time.
fn check_login(s: &Session, user: &[u8], password: &[u8]) -> bool {
    let user_ok = same_bytes(user, &s.cfg.user);
    let password_ok = same_bytes(password, &s.cfg.password);
    user_ok & password_ok
}

/// Compare two byte strings in time that depends only on their lengths.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::same_bytes;

    #[test]
    fn same_bytes_compares_whole_strings() {
        assert!(same_bytes(b"secret", b"secret"));
        assert!(!same_bytes(b"secret", b"secreT"));
        assert!(!same_bytes(b"secret", b"secret1"));
        assert!(!same_bytes(b"", b"x"));
        assert!(same_bytes(b"", b""));
    }
}
