//! The protocol, and nothing else: both halves of it. Requests and the
//! command table (`request`), reply lines (`reply`), the replies that carry
//! values as types (`answer`), the upload trailer (`trailer`), listing
//! entries and their order (`entry`), reply codes (`code`), bounded line
//! reading (`line`), word quoting (`words`), numbers (`number`, digits only),
//! file stamps (`stamp`) and payload framing (`payload`). It works on
//! `Read`/`Write` and bytes; it never touches a socket, a file or a terminal.
//! `man/rftp-protocol.5` documents it; `docs_tests` checks that it does.

pub mod answer;
pub mod code;
pub mod entry;
mod line;
pub mod number;
pub mod payload;
mod reply;
mod request;
pub mod stamp;
mod trailer;
pub mod words;

pub use answer::{Announce, Checksum, Delivered, Directory, Extra, Packed, Sums, Working};
pub use entry::{Entry, Kind, ListOrder};
pub use line::{Line, MAX_LINE_BYTES, read_line};
pub use payload::{Copied, PayloadReader, PayloadWriter};
pub use reply::Reply;
pub use request::{
    COMMANDS, CommandSpec, MAX_WORDS, ParseError, Request, StoreMode, announces_payload,
};
pub use stamp::Stamp;
pub use trailer::Trailer;
pub use words::{escape, quote};

/// Protocol version, announced in the greeting (`220 rftp 1 …`).
pub const PROTOCOL_VERSION: u32 = 1;
