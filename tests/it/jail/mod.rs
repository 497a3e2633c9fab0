//! The jail: no client path reads, writes, lists or creates anything outside
//! the served root — not with `..`, absolute paths, backslashes, NUL bytes or
//! symbolic links that point out — and special files are never opened.
//!
//! Every test serves a root with a sibling directory "outside" next to it
//! (holding `secret`), and checks after each attack that the outside tree,
//! the client's local directory and the root are exactly as they were.
//!
//! This file only lists the modules; the fixture is `crate::fixture`.

mod links;
mod paths;
