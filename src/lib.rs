//! rftp as a library: the modules behind the `rftp` binary (`main.rs`), kept
//! in a library so that the fuzz targets under `fuzz/` can reach the parsers.
//! Nothing here is a stable API for other crates. `docs_tests` checks the
//! manual and the README against the tables here.

pub mod backlog;
pub mod client;
#[cfg(test)]
mod docs_tests;
pub mod error;
pub mod fs;
pub mod net;
pub mod out;
pub mod rate;
pub mod secure;
pub mod server;
pub mod sys;
pub mod wire;

/// Port used when none is given, on both ends.
pub const DEFAULT_PORT: u16 = 2121;
