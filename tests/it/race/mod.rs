//! Races and special files against the jail, as a hostile client and a
//! hostile local user would try them: a success reply stays true whatever
//! other clients do to the partial file (`published`), special files are
//! never opened (`special`), a rename never replaces anything however
//! clients race (`rename`), and a directory swapped for a link out of the
//! root, over and over, never lets a byte, name or metadata from outside
//! through, with or without `/proc` (`swap`).
//!
//! These pin the promises of issue 8, not today's behaviour: several fail
//! until the jail resolves every path relative to open directory handles.
//! This file only lists the modules; helpers live in `fixture`.

mod fixture;
mod published;
mod rename;
mod special;
mod swap;
