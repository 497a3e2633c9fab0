//! Connecting and logging in as a person expects: the password from
//! `--password-file` or `RFTP_PASSWORD` (one try), else asked on the
//! terminal (`term::PasswordPrompt`), up to three tries on one connection,
//! as the server allows. The server's login deadline runs from its accept,
//! so a person slower than it would be cut off: when the connection ends
//! before the server judged the password, a new one tries the same password
//! (once), so nobody has to type faster than a timer. With no password given
//! and no terminal to ask on, it fails at once, before connecting; a
//! script's line is never taken as the password.

use super::conn::{Conn, Login};
use super::term::{Answer, PasswordPrompt};
use crate::error::Error;

/// Passwords asked for at most, as many as the server allows on one
/// connection.
const MAX_PASSWORD_TRIES: usize = 3;
/// What the prompt says.
const PROMPT: &str = "Password: ";

/// Where the server is and who logs in.
pub struct Target<'a> {
    /// Host name or address.
    pub host: &'a str,
    /// Port.
    pub port: u16,
    /// User name.
    pub user: &'a [u8],
    /// Say more on stderr (`-v`).
    pub verbose: bool,
    /// Protocol 1 (`--plain`).
    pub plain: bool,
}

/// Connect to `target` and log in with `given`, or with passwords asked on
/// the terminal when `given` is `None`.
pub fn connect(target: &Target<'_>, given: Option<&[u8]>) -> Result<Conn, Error> {
    let mut prompt = match given {
        Some(_) => None,
        None => Some(PasswordPrompt::open().ok_or_else(|| {
            Error::Login(
                "no password given and no terminal to ask on: use --password-file FILE \
                 or the environment variable RFTP_PASSWORD"
                    .into(),
            )
        })?),
    };
    let mut conn = open(target)?;
    let tries = if given.is_some() {
        1
    } else {
        MAX_PASSWORD_TRIES
    };
    let mut why = String::new();
    for try_number in 1..=tries {
        let password = match (given, prompt.as_mut()) {
            (Some(p), _) => p.to_vec(),
            (None, Some(prompt)) => ask(prompt)?,
            (None, None) => return Err(Error::Login("no password given".into())),
        };
        let mut reconnected = false;
        loop {
            match conn.login(target.user, &password)? {
                Login::In => return Ok(conn),
                Login::Refused(text) => {
                    why = text;
                    break;
                }
                Login::Lost(_) if !reconnected => {
                    reconnected = true;
                    conn = open(target)?;
                }
                Login::Lost(text) => return Err(Error::Login(format!("login failed: {text}"))),
            }
        }
        if try_number < tries {
            crate::out::err_line(&format!("rftp: login failed: {why}; try again"));
        }
    }
    Err(Error::Login(format!("login failed: {why}")))
}

fn open(target: &Target<'_>) -> Result<Conn, Error> {
    Conn::connect(target.host, target.port, target.verbose, target.plain)
}

/// One password from the terminal. Ctrl-C there ends the program (status
/// 130) with the terminal's echo back on; Ctrl-D gives up the login.
fn ask(prompt: &mut PasswordPrompt) -> Result<Vec<u8>, Error> {
    let cannot = |e: std::io::Error| {
        Error::Login(format!(
            "cannot read the password: {}",
            crate::error::Cause::of(&e)
        ))
    };
    match prompt.ask(PROMPT) {
        Ok(Answer::Typed(password)) => Ok(password),
        Ok(Answer::Cancelled) => Err(Error::Login("no password given".into())),
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
            // SIGINT was ignored (a background job, say): end as it would.
            std::process::exit(130)
        }
        Err(e) => Err(cannot(e)),
    }
}
