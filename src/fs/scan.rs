//! A directory listing in order, in bounded memory: the directory is read
//! in passes, each keeping only the names that sort next after the last one
//! produced, up to `LIST_WINDOW_BYTES`, so a listing of any size costs the
//! same few MiB (and a pass over the directory per window). Entries are
//! looked at (`stat`) only as they are produced. No sockets.

use std::collections::{BinaryHeap, VecDeque};
use std::io;
use std::os::fd::AsFd;
use std::sync::Arc;

use super::dir::Dir;
use super::partial::is_partial_name;
use super::path::VPath;
use super::walk::Tree;
use crate::error::Error;
use crate::sys::{DirEntry, DirStream, MetaKind};
use crate::wire::{Entry, Kind, ListOrder as Order};

/// Most bytes of names (each kept with its sort key) that one pass over a
/// directory keeps: the bound on a listing's memory.
pub const LIST_WINDOW_BYTES: usize = 4 * 1024 * 1024;
/// What keeping one name costs beyond its bytes, for `LIST_WINDOW_BYTES`.
const KEY_OVERHEAD_BYTES: usize = 64;

/// Where a name sorts: its group (directories first in `DirsFirst`), its
/// case-folded form, then its bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    group: u8,
    folded: Vec<u8>,
    name: Vec<u8>,
}

impl Key {
    /// The key as borrowed parts, to compare with a name not yet kept.
    fn parts(&self) -> (u8, &[u8], &[u8]) {
        (self.group, &self.folded, &self.name)
    }

    /// What keeping it costs, in bytes.
    fn cost(&self) -> usize {
        self.folded.len() + self.name.len() + KEY_OVERHEAD_BYTES
    }
}

/// Write the case-folded form of `name` that `wire::entry::compare` sorts by
/// into `out` (reused between names, so ASCII names cost no allocation).
fn fold_into(name: &[u8], out: &mut Vec<u8>) {
    out.clear();
    if name.is_ascii() {
        out.extend(name.iter().map(u8::to_ascii_lowercase));
        return;
    }
    // std's own lowering is the fastest at the rest (measured).
    out.extend_from_slice(String::from_utf8_lossy(name).to_lowercase().as_bytes());
}

/// A directory's entries in order, produced one at a time. Entries made
/// while it runs may or may not appear, and none appears twice unless it
/// changes between a directory and a file meanwhile (with `DirsFirst`). A
/// failure to read the directory ends it early; `error` then says why.
pub struct Listing(Inner);

enum Inner {
    One(Option<Entry>),
    Dir(Box<Scan>),
}

struct Scan {
    root: Arc<Tree>,
    v: VPath,
    dir: Dir,
    stream: DirStream,
    order: Order,
    window: VecDeque<Key>,
    after: Option<Key>,
    last_pass: bool,
    error: Option<io::Error>,
}

impl Listing {
    /// A listing of one entry (a path that is not a directory).
    pub(super) fn one(e: Entry) -> Listing {
        Listing(Inner::One(Some(e)))
    }

    /// The listing of the open directory `dir`, which is `v` in `root`;
    /// `dir` must be a handle of its own (reading moves its position).
    pub(super) fn new(root: Arc<Tree>, v: VPath, dir: Dir, order: Order) -> Result<Listing, Error> {
        let stream = DirStream::new(dir.as_fd()).map_err(|e| Error::io_path(&v.to_bytes(), &e))?;
        Ok(Listing(Inner::Dir(Box::new(Scan {
            root,
            v,
            dir,
            stream,
            order,
            window: VecDeque::new(),
            after: None,
            last_pass: false,
            error: None,
        }))))
    }

    /// Why the listing ended early, if it did: the entries produced are then
    /// not the whole directory.
    pub fn error(&mut self) -> Option<Error> {
        match &mut self.0 {
            Inner::One(_) => None,
            Inner::Dir(scan) => {
                let shown = scan.v.to_bytes();
                scan.error.take().map(|e| Error::io_path(&shown, &e))
            }
        }
    }
}

impl Iterator for Listing {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        match &mut self.0 {
            Inner::One(e) => e.take(),
            Inner::Dir(scan) => scan.next(),
        }
    }
}

impl Scan {
    fn next(&mut self) -> Option<Entry> {
        while self.error.is_none() {
            let Some(key) = self.window.pop_front() else {
                if self.last_pass {
                    return None;
                }
                self.pass();
                continue;
            };
            let found = self.root.entry_in(&self.v, &self.dir, &key.name);
            self.after = Some(key);
            match found {
                Ok(Some(e)) => return Some(e),
                // Removed since the pass: skipped.
                Ok(None) => {}
                Err(e) => self.error = Some(e),
            }
        }
        None
    }

    /// Read the whole directory once, keeping the names that sort next
    /// after the last one produced, as many as the window holds.
    fn pass(&mut self) {
        let mut heap: BinaryHeap<Key> = BinaryHeap::new();
        let (mut kept, mut dropped) = (0usize, false);
        let mut folded = Vec::new();
        let (root, v, dir, order, after) =
            (&self.root, &self.v, &self.dir, self.order, &self.after);
        let read = self.stream.each(|item| {
            if is_partial_name(&item.name) {
                return Ok(());
            }
            let group = group(root, v, dir, order, &item);
            fold_into(&item.name, &mut folded);
            let probe = (group, folded.as_slice(), item.name.as_slice());
            if after.as_ref().is_some_and(|a| probe <= a.parts()) {
                return Ok(());
            }
            if dropped && heap.peek().is_some_and(|top| probe >= top.parts()) {
                return Ok(());
            }
            let key = Key {
                group,
                folded: folded.clone(),
                name: item.name,
            };
            kept += key.cost();
            heap.push(key);
            while kept > LIST_WINDOW_BYTES && heap.len() > 1 {
                if let Some(top) = heap.pop() {
                    kept -= top.cost();
                    dropped = true;
                }
            }
            Ok(())
        });
        if let Err(e) = read {
            self.error = Some(e);
        }
        self.last_pass = !dropped;
        self.window = heap.into_sorted_vec().into();
    }
}

/// The sort group of an entry: 0, or 1 for what is not a directory when
/// directories come first.
fn group(root: &Tree, v: &VPath, dir: &Dir, order: Order, item: &DirEntry) -> u8 {
    if order == Order::Name {
        return 0;
    }
    let is_dir = match item.hint {
        Some(MetaKind::Dir) => true,
        Some(MetaKind::File | MetaKind::Special) => false,
        // A link, or a file system that does not say: look.
        Some(MetaKind::Link) | None => root
            .entry_in(v, dir, &item.name)
            .is_ok_and(|e| e.is_some_and(|e| e.kind == Kind::Dir)),
    };
    u8::from(!is_dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::Root;
    use crate::wire::entry::compare;

    #[test]
    fn folding_sorts_as_listing_compare() {
        let names: [&[u8]; 7] = [
            b"b",
            b"A",
            b"a",
            "é".as_bytes(),
            "É".as_bytes(),
            b"_x",
            b"\xff",
        ];
        let fold = |n: &[u8]| {
            let mut out = Vec::new();
            fold_into(n, &mut out);
            (out, n.to_vec())
        };
        let mut by_key: Vec<&[u8]> = names.to_vec();
        by_key.sort_by_key(|n| fold(n));
        let mut by_compare = names.to_vec();
        by_compare.sort_by(|a, b| compare(a, b));
        assert_eq!(by_key, by_compare);
    }

    #[test]
    fn a_listing_longer_than_the_window_comes_whole_and_in_order() {
        let dir = std::env::temp_dir().join(format!("rftp-scan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("d")).unwrap();
        // Long names, so that the directory needs several windows.
        let stem = "n".repeat(240);
        let n = 2 * LIST_WINDOW_BYTES / (2 * 250 + KEY_OVERHEAD_BYTES) + 7;
        for i in 0..n {
            std::fs::write(dir.join(format!("{stem}{i:06}")), b"").unwrap();
        }
        std::fs::write(dir.join(".rftp-part.x"), b"").unwrap();
        let root = Root::open(&dir).unwrap();
        let mut listing = root.list(&VPath::root(), Order::DirsFirst).unwrap();
        let names: Vec<Vec<u8>> = listing.by_ref().map(|e| e.name).collect();
        assert!(listing.error().is_none());
        assert_eq!(names.len(), n + 1);
        assert_eq!(names[0], b"d", "directories first");
        let mut sorted = names[1..].to_vec();
        sorted.sort_by(|a, b| compare(a, b));
        assert_eq!(names[1..], sorted[..]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
