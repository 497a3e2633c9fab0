//! The secure channel of protocol 2: CPace login (`cpace`, `handshake`) and
//! the AEAD record layer (`record`) that carries everything after it. Bytes
//! and `Read`/`Write` only; sockets, files and the terminal are elsewhere.

pub mod cpace;
pub mod handshake;
pub mod record;
mod stream;

pub use stream::{RecordReader, RecordWriter};

/// Said once on each side that runs with `--plain`.
pub const PLAIN_WARNING: &str = "rftp: warning: --plain: protocol 1, nothing is encrypted; \
the password and every file cross the wire in clear";
