//! Protocol 2's login on the server: the greeting with its nonce and
//! suites, then AUTH and CONFIRM (`secure::handshake`), the failure delay
//! and limit, and the switch of both halves of the session to records.
//! The login deadline of `session` covers the whole exchange.

use std::io::{self, Write};
use std::thread;

use super::login::{LOGIN_FAILURE_DELAY, MAX_LOGIN_ATTEMPTS};
use super::session::Session;
use crate::secure::handshake::{self, Failed, NONCE_BYTES};
use crate::secure::record::Suite;
use crate::wire::{self, Reply, code};

/// What one line before login asks for.
enum Step {
    /// Go on reading lines.
    Next,
    /// Logged in: records from here on.
    Done,
    /// Close the connection.
    Close,
}

/// Greet and run protocol 2's login; `true` once logged in.
pub fn login(s: &mut Session) -> io::Result<bool> {
    let nonce: [u8; NONCE_BYTES] = handshake::random()?;
    let greeting = handshake::greeting(&Suite::offered(), &nonce);
    s.reply(&Reply::new(code::GREETING, greeting.clone()))?;
    let mut failures = 0;
    while let Some(line) = s.next_line("login timeout")? {
        let text = String::from_utf8_lossy(&line).into_owned();
        let (word, args) = text.split_once(' ').unwrap_or((&text, ""));
        let step = match word.to_ascii_uppercase().as_str() {
            "AUTH" => authenticate(s, &greeting, args, &mut failures)?,
            "QUIT" => {
                s.reply(&Reply::new(code::BYE, "bye"))?;
                Step::Close
            }
            "USER" | "PASS" => {
                let why = "this server speaks rftp protocol 2 (CPace login, encrypted); \
                           USER and PASS are protocol 1: use --plain on both ends for it";
                s.reply(&Reply::new(code::LOGIN_FAILED, why))?;
                Step::Next
            }
            _ if wire::announces_payload(&line) => {
                // Its payload would follow; rather than read it, close.
                s.refuse_upload_before_login(&line)?;
                Step::Close
            }
            _ => {
                s.reply(&Reply::new(code::LOGIN_FAILED, "log in first (AUTH)"))?;
                Step::Next
            }
        };
        match step {
            Step::Next => {}
            Step::Done => return Ok(true),
            Step::Close => return Ok(false),
        }
    }
    Ok(false)
}

/// One attempt: AUTH's share answered, CONFIRM checked. A failure waits
/// `LOGIN_FAILURE_DELAY` before its answer and counts toward the limit.
fn authenticate(
    s: &mut Session,
    greeting: &str,
    args: &str,
    failures: &mut u32,
) -> io::Result<Step> {
    let random = handshake::random()?;
    let cfg = s.cfg;
    let server = match handshake::Server::respond(greeting, &cfg.user, &cfg.password, args, random)
    {
        Ok(server) => server,
        Err(Failed(why)) => return fail(s, failures, why),
    };
    s.reply(&Reply::new(code::SHARE, server.reply.clone()))?;
    let Some(line) = s.next_line("login timeout")? else {
        return Ok(Step::Close);
    };
    let text = String::from_utf8_lossy(&line);
    let Some(tag) = text.strip_prefix("CONFIRM ") else {
        return fail(s, failures, "CONFIRM expected after the share");
    };
    match server.finish(tag) {
        Ok((tag, channel)) => {
            s.reply(&Reply::new(code::CONFIRMED, tag))?;
            s.writer.flush()?;
            s.writer.secure(channel.send);
            s.reader.secure(channel.receive);
            let user = wire::escape(&cfg.user);
            let suite = channel.suite.name();
            cfg.log(&s.peer, &format!("login '{user}' ok ({suite})"));
            Ok(Step::Done)
        }
        Err(Failed(why)) => fail(s, failures, why),
    }
}

/// Count a failed attempt, wait, and answer it; close after the last.
fn fail(s: &mut Session, failures: &mut u32, why: &str) -> io::Result<Step> {
    *failures += 1;
    // The user name never crosses the wire, so only the outcome is logged.
    s.cfg.log(&s.peer, &format!("login failed ({why})"));
    s.writer.flush()?;
    thread::sleep(LOGIN_FAILURE_DELAY);
    if *failures >= MAX_LOGIN_ATTEMPTS {
        s.reply(&Reply::new(
            code::CLOSING,
            "too many failed logins, closing",
        ))?;
        return Ok(Step::Close);
    }
    s.reply(&Reply::new(code::LOGIN_FAILED, why))?;
    Ok(Step::Next)
}
