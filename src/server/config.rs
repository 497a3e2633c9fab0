//! The server's settings, decided before it starts, and its log: one line
//! per event (time, peer, what), never a failure of its own.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::fs::Root;
use crate::out::{self, Verbosity};

/// Everything a server needs, decided before it starts.
pub struct Config {
    /// Address to listen on; `None` means every interface, IPv4 and IPv6.
    pub addr: Option<IpAddr>,
    /// Scope id (interface index) of a link-local `addr`; 0 for none.
    pub scope_id: u32,
    /// Answer discovery probes on UDP `port` (off with `--no-announce`).
    pub announce: bool,
    /// Port to listen on; 0 asks the OS for one.
    pub port: u16,
    /// The served tree.
    pub root: Root,
    /// The one user name.
    pub user: Vec<u8>,
    /// Its password.
    pub password: Vec<u8>,
    /// Whether the password was made up at start (and so is printed).
    pub password_generated: bool,
    /// Refuse every command that writes.
    pub read_only: bool,
    /// Most connections served at once.
    pub max_clients: usize,
    /// Idle time after which a connection is closed.
    pub idle_timeout: Duration,
    /// How much to log.
    pub verbosity: Verbosity,
    /// `--limit`: most payload bytes per second, per session.
    pub limit: Option<u64>,
    /// Speak protocol 1 (clear text) instead of protocol 2.
    pub plain: bool,
}

impl Config {
    /// Whether `log` writes anything (not `-q`): a line costs nothing to
    /// make when it would be dropped.
    pub fn logs(&self) -> bool {
        self.verbosity >= Verbosity::Normal
    }

    /// Write one log line: time, peer, what happened. Never fails: a line
    /// that cannot be written is dropped (see `out`).
    pub fn log(&self, peer: &SocketAddr, what: &str) {
        if self.logs() {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            // An IPv4 client of a dual-stack socket is shown as IPv4.
            let peer = SocketAddr::new(peer.ip().to_canonical(), peer.port());
            out::err_line(&format!("{} {peer} {what}", out::timestamp(now as i64)));
        }
    }
}
