//! The client's link to its server over a session: what it takes to log in
//! (`Account`, the password held in memory only, never written anywhere),
//! logging in again by itself at a terminal once the connection ended
//! (Ctrl-C, the server's idle timeout, a restart) and going back to the
//! remote directory it was in, and the `open` and `close` commands. The
//! connection itself is `conn`'s.

use super::conn::{Conn, Gone};
use super::login;
use super::session::Client;
use crate::error::{Cause, Error};
use crate::wire::{Request, escape};

/// Where and as whom to log in.
pub struct Account {
    /// Server host name or address, as the user gave it or discovery found it.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// User name.
    pub user: Vec<u8>,
    /// The password that logged in.
    password: Vec<u8>,
    /// The password was typed at the terminal, so `open` asks again; one
    /// from `--password-file`, `RFTP_PASSWORD` or a script serves every
    /// server.
    pub typed: bool,
    /// `-v`.
    pub verbose: bool,
    /// Protocol 1 (`--plain`).
    pub plain: bool,
    /// `--limit`.
    pub limit: Option<u64>,
}

impl Account {
    /// An account for `user` at `host`, `port`, with the `password` that
    /// logged in; the other fields default to protocol 2, quiet, no limit.
    pub fn new(host: String, port: u16, user: Vec<u8>, password: Vec<u8>) -> Account {
        Account {
            host,
            port,
            user,
            password,
            typed: false,
            verbose: false,
            plain: false,
            limit: None,
        }
    }

    /// `HOST port PORT`, as messages say it.
    fn shown(&self) -> String {
        format!("{} port {}", self.host, self.port)
    }
}

impl Drop for Account {
    /// The password does not outlive its use in this process's memory.
    fn drop(&mut self) {
        self.password.fill(0);
        std::hint::black_box(&self.password);
    }
}

/// Connect to the account's server and log in, with `password`, or with
/// passwords asked at the terminal when `None` (`login::connect`); returns
/// the connection, ready for commands, and the password that logged in.
fn log_in(account: &Account, password: Option<&[u8]>) -> Result<(Conn, Vec<u8>), Error> {
    let target = login::Target {
        host: &account.host,
        port: account.port,
        user: &account.user,
        verbose: account.verbose,
        plain: account.plain,
    };
    let (mut conn, password) = login::connect(&target, password)?;
    conn.limit(account.limit);
    conn.start_session();
    Ok((conn, password))
}

/// Log in again on a new connection and go back to the remote directory
/// the old one was in (the root, with a warning, if it is gone now).
fn connect_again(cl: &mut Client) -> Result<(), Error> {
    let Some(account) = &cl.account else {
        return Err(Error::Lost("not connected (use 'open HOST')".into()));
    };
    let (mut conn, _) = log_in(account, Some(&account.password))?;
    conn.set_interrupt(std::sync::Arc::clone(&cl.interrupt));
    if let Some(dir) = cl.conn.cwd().map(<[u8]>::to_vec)
        && let Err(e) = conn.call(&Request::Cwd(Some(dir.clone())))
    {
        if e.ends_session() {
            return Err(e);
        }
        crate::out::err_line(&format!(
            "rftp: cannot go back to '{}': {e}; now in /",
            escape(&dir)
        ));
    }
    cl.conn = conn;
    Ok(())
}

/// Before a command that needs the server, at a terminal: when the server
/// closed the connection meanwhile, or it ended otherwise, say why (once)
/// and log in again, saying so. After `close` nothing happens: the command
/// then says it is not connected. In a script, nothing is done.
pub fn ensure_connected(cl: &mut Client) -> Result<(), Error> {
    if !cl.interactive {
        return Ok(());
    }
    if let Some(why) = cl.conn.closed_by_server() {
        crate::out::err_line(&format!("rftp: {why}"));
    }
    match cl.conn.gone() {
        None | Some(Gone::Closed) => return Ok(()),
        Some(Gone::Broken(_) | Gone::Lost(_)) => {}
    }
    connect_again(cl)?;
    let mut line = match &cl.account {
        Some(a) => format!("rftp: logged in again to {}", a.shown()),
        None => "rftp: logged in again".to_string(),
    };
    if let Some(dir) = cl.conn.cwd() {
        line.push_str(&format!(", in '{}'", escape(dir)));
    }
    crate::out::err_line(&line);
    Ok(())
}

/// After Ctrl-C cut the connection: log in again at once, quietly, so that
/// the prompt comes back with a working session; a failure is said, and
/// the next command tries again.
pub fn after_interrupt(cl: &mut Client) {
    cl.conn.lose("interrupted");
    if let Err(e) = connect_again(cl) {
        crate::out::err_line(&format!("rftp: cannot log in again: {e}"));
    }
}

/// `open HOST[:PORT]`: log in to a server (another, or the same again),
/// as the user given at start, then leave the old connection. The password
/// is asked at the terminal when it was typed at start (up to three tries),
/// else the one given is used.
pub fn open(cl: &mut Client, spec: &[u8]) -> Result<(), Error> {
    let spec = std::str::from_utf8(spec)
        .map_err(|_| Error::path(spec, Cause::BadName("not a host name")))?;
    let (host, port) = super::parse_host(spec).map_err(Error::Usage)?;
    let host = super::find::pick_host(&host, port, cl.interactive)?;
    let Some(old) = &cl.account else {
        return Err(Error::Usage("no account to log in with".into()));
    };
    let mut account = Account::new(host, port, old.user.clone(), Vec::new());
    (account.typed, account.verbose) = (old.typed, old.verbose);
    (account.plain, account.limit) = (old.plain, old.limit);
    let given = (!old.typed).then_some(old.password.as_slice());
    let (mut conn, password) = log_in(&account, given)?;
    account.password = password;
    conn.set_interrupt(std::sync::Arc::clone(&cl.interrupt));
    close(cl);
    cl.conn = conn;
    cl.account = Some(account);
    Ok(())
}

/// `close`: log out and hang up, staying in the client; commands that need
/// a server then say so until `open`.
pub fn close(cl: &mut Client) {
    if cl.conn.gone().is_none() {
        cl.conn.quit();
    }
    cl.conn.close();
}
