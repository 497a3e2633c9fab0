//! An open directory, the handle every name is created, opened and removed
//! relative to: the served tree's own, or a local one on the client's side.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use crate::sys;

/// An open directory: the served tree's own (from `Root`) or a local one
/// (`Dir::open_local`). Names are created, opened and removed relative to it,
/// so they stay in that directory whatever is renamed around it meanwhile.
pub struct Dir(pub(super) OwnedFd);

impl Dir {
    /// Open a local directory by path (the client's own destination; links
    /// followed, as the user named it).
    pub fn open_local(path: &Path) -> io::Result<Dir> {
        sys::open_dir(path).map(Dir)
    }

    /// What `name` in this directory is, links not followed.
    pub fn stat(&self, name: &[u8]) -> io::Result<sys::Meta> {
        sys::stat_at(self.0.as_fd(), name)
    }
}

impl AsFd for Dir {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}
