//! A logged-in client: its connection and the settings every command and
//! every job reads. State only; what runs on it is above it.

use super::conn::Conn;

/// A logged-in client.
pub struct Client {
    /// The connection.
    pub conn: Conn,
    /// `-q`: no summaries.
    pub quiet: bool,
    /// Keep modification times and permission bits (off: `--no-keep`).
    pub keep: bool,
}

impl Client {
    /// A client on a logged-in connection.
    pub fn new(conn: Conn, quiet: bool) -> Client {
        Client {
            conn,
            quiet,
            keep: true,
        }
    }
}
