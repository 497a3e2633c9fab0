//! The served tree: a client's path resolved inside the root and the
//! operations on it, all relative to open directory handles. Paths before
//! any file is touched live in `path`, open directories in `dir`, the
//! operations in `root`, lookups in `walk`, ordered listings in bounded
//! memory in `scan`, patterns in `glob`, partial files (both ends use them)
//! and their atomic publishing in `partial`, gzip and deflate in
//! `compress`, whole-file checksums in `digest`; OS calls go through
//! `crate::sys`. No sockets and no terminal.

pub mod compress;
pub mod digest;
mod dir;
pub mod glob;
mod partial;
mod path;
mod root;
mod scan;
mod walk;

pub use dir::Dir;
pub use partial::{
    LONG_PARTIAL_PREFIX, PARTIAL_PREFIX, Partial, WHOLE_MAX_BYTES, crc_of, is_partial_name,
    note_umask, umask, unchanged,
};
pub use path::{MAX_NAME_BYTES, VPath, check_name, resolve_path};
pub use root::{LastDir, Root};
pub use scan::Listing;
