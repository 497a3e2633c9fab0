//! The one error type of rftp, its lowercase one-line messages, the exit
//! status each kind maps to, and the reply a server sends for each; and
//! `Unfit`, the cause a partial file's I/O error carries. Touches no files or
//! sockets.

use std::fmt;
use std::io;

use crate::wire::{Reply, code, escape};

/// Client exit status: a command failed.
pub const EXIT_FAILED: i32 = 1;
/// Client exit status: bad usage.
pub const EXIT_USAGE: i32 = 2;
/// Client exit status: could not connect or log in.
pub const EXIT_CONNECT: i32 = 3;

/// The error inside an `io::Error` for a partial file's name that holds
/// what no transfer may write to; says why (`Cause::of` makes it `Refused`).
#[derive(Debug)]
pub struct Unfit(pub &'static str);

impl fmt::Display for Unfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Unfit {}

/// Why an operation on a path was refused or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Nothing by that name.
    NotFound,
    /// The destination exists and overwriting was not asked for.
    Exists,
    /// A directory was needed.
    NotDir,
    /// A file was needed.
    IsDir,
    /// The directory is not empty.
    NotEmpty,
    /// The path leads out of the served tree.
    Outside,
    /// The name is not acceptable (the text says why).
    BadName(&'static str),
    /// Refused for another reason (the text says why).
    Refused(&'static str),
    /// The destination exists and the command has no way to overwrite.
    Taken,
    /// A FIFO, device, socket or dangling link: never opened.
    Special,
    /// The server is read-only.
    ReadOnly,
    /// The OS refused access.
    Denied,
    /// No space left on the device.
    NoSpace,
    /// The file changed while it was being read.
    Changed,
    /// Another transfer is using the name right now.
    Busy,
    /// The peer made no progress for the idle timeout (a socket's
    /// `WouldBlock` or `TimedOut`).
    TimedOut,
    /// Any other I/O failure.
    Io(io::ErrorKind),
}

impl Cause {
    /// The cause of an I/O error, by kind only (never raw OS text).
    pub fn of(err: &io::Error) -> Cause {
        if let Some(unfit) = err.get_ref().and_then(|e| e.downcast_ref::<Unfit>()) {
            return Cause::Refused(unfit.0);
        }
        match err.kind() {
            io::ErrorKind::NotFound => Cause::NotFound,
            io::ErrorKind::AlreadyExists => Cause::Taken,
            io::ErrorKind::PermissionDenied => Cause::Denied,
            io::ErrorKind::NotADirectory => Cause::NotDir,
            io::ErrorKind::IsADirectory => Cause::IsDir,
            io::ErrorKind::DirectoryNotEmpty => Cause::NotEmpty,
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Cause::NoSpace,
            // The partial-file lock reports a holder as ResourceBusy; a
            // socket timeout is WouldBlock or TimedOut, never "busy".
            io::ErrorKind::ResourceBusy => Cause::Busy,
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Cause::TimedOut,
            kind => Cause::Io(kind),
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::NotFound => f.write_str("no such file or directory"),
            Cause::Exists => f.write_str("already exists (use -f to overwrite)"),
            Cause::NotDir => f.write_str("not a directory"),
            Cause::IsDir => f.write_str("is a directory"),
            Cause::NotEmpty => f.write_str("directory not empty"),
            Cause::Outside => f.write_str("outside the served tree"),
            Cause::BadName(why) | Cause::Refused(why) => f.write_str(why),
            Cause::Taken => f.write_str("already exists"),
            Cause::Special => f.write_str("not a regular file or directory"),
            Cause::ReadOnly => f.write_str("the server is read-only"),
            Cause::Denied => f.write_str("permission denied"),
            Cause::NoSpace => f.write_str("no space left on device"),
            Cause::Changed => f.write_str("changed while being read"),
            Cause::Busy => f.write_str("another transfer of this name is in progress"),
            Cause::TimedOut => f.write_str("timed out"),
            Cause::Io(kind) => write!(f, "{}", kind.to_string().to_lowercase()),
        }
    }
}

/// Everything that can go wrong in rftp.
#[derive(Debug)]
pub enum Error {
    /// Bad command-line usage or a bad interactive command (exit 2 at start).
    Usage(String),
    /// An operation on a path failed; the path is shown escaped.
    Path { path: String, cause: Cause },
    /// Could not reach the server (exit 3).
    Connect(String),
    /// Login refused (exit 3).
    Login(String),
    /// The peer broke the protocol or closed the connection.
    Protocol(String),
    /// The server refused a command; its reply text.
    Remote(Reply),
    /// A transfer arrived damaged or incomplete.
    Transfer(String),
    /// A local I/O failure, with what was being done.
    Io(String, io::Error),
    /// Standard output was closed by its reader (`rftp … ls | head -1`):
    /// the client stops quietly, with status 0, as ripgrep does.
    StdoutClosed,
}

impl Error {
    /// A path error for the raw bytes `path`.
    pub fn path(path: &[u8], cause: Cause) -> Error {
        Error::Path {
            path: escape(path),
            cause,
        }
    }

    /// A path error from an I/O error.
    pub fn io_path(path: &[u8], err: &io::Error) -> Error {
        Error::path(path, Cause::of(err))
    }

    /// The error for publishing a finished transfer under `path`: a name
    /// taken meanwhile is the no-clobber refusal.
    pub fn publish(path: &[u8], err: &io::Error) -> Error {
        match err.kind() {
            io::ErrorKind::AlreadyExists => Error::path(path, Cause::Exists),
            _ => Error::io_path(path, err),
        }
    }

    /// The client exit status for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => EXIT_USAGE,
            Error::Connect(_) | Error::Login(_) => EXIT_CONNECT,
            Error::StdoutClosed => 0,
            _ => EXIT_FAILED,
        }
    }

    /// The reply a server sends for this error: one place maps causes to codes.
    pub fn reply(&self) -> Reply {
        let code = match self {
            Error::Path { cause, .. } => match cause {
                Cause::NotFound => code::NOT_FOUND,
                Cause::Exists | Cause::Taken => code::EXISTS,
                Cause::BadName(_) => code::NAME_REFUSED,
                Cause::NoSpace => code::NO_SPACE,
                Cause::Busy => code::BUSY,
                Cause::Changed | Cause::TimedOut | Cause::Io(_) => code::TRANSFER_FAILED,
                _ => code::REFUSED,
            },
            Error::Usage(_) => code::BAD_ARGS,
            Error::Remote(r) => r.code,
            Error::Login(_) => code::LOGIN_FAILED,
            Error::Transfer(_) | Error::Io(..) | Error::StdoutClosed => code::TRANSFER_FAILED,
            Error::Connect(_) | Error::Protocol(_) => code::CLOSING,
        };
        Reply::new(code, self.to_string())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(text) | Error::Connect(text) | Error::Login(text) => f.write_str(text),
            Error::Path { path, cause } => write!(f, "'{path}': {cause}"),
            Error::Protocol(text) => write!(f, "protocol error: {text}"),
            Error::Remote(reply) => f.write_str(&reply.text),
            Error::Transfer(text) => f.write_str(text),
            Error::Io(what, err) => write!(f, "{what}: {}", Cause::of(err)),
            Error::StdoutClosed => f.write_str("standard output was closed"),
        }
    }
}

impl From<lexopt::Error> for Error {
    fn from(err: lexopt::Error) -> Error {
        Error::Usage(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_object_then_the_cause() {
        let e = Error::path(b"a\nb.txt", Cause::NotFound);
        assert_eq!(e.to_string(), "'a\\nb.txt': no such file or directory");
        assert_eq!(e.reply().code, code::NOT_FOUND);
        assert_eq!(Error::path(b"x", Cause::Exists).reply().code, code::EXISTS);
    }

    #[test]
    fn a_held_lock_is_busy_and_a_socket_timeout_timed_out() {
        let cause = |kind: io::ErrorKind| Cause::of(&kind.into());
        assert_eq!(cause(io::ErrorKind::ResourceBusy), Cause::Busy);
        assert_eq!(cause(io::ErrorKind::WouldBlock), Cause::TimedOut);
        assert_eq!(cause(io::ErrorKind::TimedOut), Cause::TimedOut);
        assert_eq!(Cause::TimedOut.to_string(), "timed out");
        assert_eq!(Error::path(b"x", Cause::Busy).reply().code, code::BUSY);
    }

    #[test]
    fn exit_codes() {
        assert_eq!(Error::Usage(String::new()).exit_code(), EXIT_USAGE);
        assert_eq!(Error::Login(String::new()).exit_code(), EXIT_CONNECT);
        assert_eq!(Error::Transfer(String::new()).exit_code(), EXIT_FAILED);
    }
}
