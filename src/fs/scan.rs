//! A directory listing in order, in bounded memory: the directory is read
//! in passes, each keeping only the next `LIST_WINDOW_ENTRIES` names after
//! the last one produced, so a listing of any size costs the same few MiB.
//! Entries are looked at (`stat`) only as they are produced. No sockets.

use std::collections::{BinaryHeap, VecDeque};
use std::os::fd::AsFd;

use super::{Dir, Entry, Root, VPath, is_partial_name};
use crate::sys::{self, MetaKind};

/// Most names one pass over a directory keeps: the bound on a listing's
/// memory (each name is at most 255 bytes, kept twice with its sort key).
pub const LIST_WINDOW_ENTRIES: usize = 4096;

/// The order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// `ls` order: by name, case-insensitive, ties by byte order.
    Name,
    /// `dir` order: directories first, each group by name as in `Name`.
    DirsFirst,
}

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
}

/// The case-folded form of a name that `listing::compare` sorts by.
#[cfg(test)]
fn fold(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    fold_into(name, &mut out);
    out
}

/// Write the case-folded form of `name` into `out` (reused between names,
/// so that most names of a pass cost no allocation).
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
/// while it runs may or may not appear; none appears twice.
pub struct Listing(Inner);

enum Inner {
    One(Option<Entry>),
    Dir(Box<Scan>),
}

struct Scan {
    root: Root,
    v: VPath,
    dir: Dir,
    order: Order,
    window: VecDeque<Key>,
    after: Option<Key>,
    last_pass: bool,
}

impl Listing {
    /// A listing of one entry (a path that is not a directory).
    pub(super) fn one(e: Entry) -> Listing {
        Listing(Inner::One(Some(e)))
    }

    /// The listing of the open directory `dir`, which is `v` in `root`.
    pub(super) fn new(root: Root, v: VPath, dir: Dir, order: Order) -> Listing {
        Listing(Inner::Dir(Box::new(Scan {
            root,
            v,
            dir,
            order,
            window: VecDeque::new(),
            after: None,
            last_pass: false,
        })))
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
        loop {
            if let Some(key) = self.window.pop_front() {
                let name = key.name.clone();
                self.after = Some(key);
                // A name removed since the pass is skipped.
                if let Some(e) = self.root.entry_in(&self.v, &self.dir, &name) {
                    return Some(e);
                }
                continue;
            }
            if self.last_pass {
                return None;
            }
            self.pass();
        }
    }

    /// Read the whole directory once, keeping the next window of names.
    fn pass(&mut self) {
        let mut heap: BinaryHeap<Key> = BinaryHeap::new();
        let mut folded = Vec::new();
        let read = sys::read_dir(self.dir.as_fd(), |item| {
            if is_partial_name(&item.name) {
                return Ok(());
            }
            let group = self.group(&item);
            fold_into(&item.name, &mut folded);
            let probe = (group, folded.as_slice(), item.name.as_slice());
            if self.after.as_ref().is_some_and(|a| probe <= a.parts()) {
                return Ok(());
            }
            if heap.len() == LIST_WINDOW_ENTRIES {
                if heap.peek().is_some_and(|top| probe >= top.parts()) {
                    return Ok(());
                }
                heap.pop();
            }
            heap.push(Key {
                group,
                folded: folded.clone(),
                name: item.name,
            });
            Ok(())
        });
        // A directory that cannot be read any more ends the listing.
        self.last_pass = read.is_err() || heap.len() < LIST_WINDOW_ENTRIES;
        self.window = heap.into_sorted_vec().into();
    }

    /// The sort group of an entry: 0, or 1 for what is not a directory when
    /// directories come first.
    fn group(&self, item: &sys::DirEntry) -> u8 {
        match self.order {
            Order::Name => 0,
            Order::DirsFirst => u8::from(!self.is_dir(item)),
        }
    }

    /// Whether an entry is (or links, inside the tree, to) a directory.
    fn is_dir(&self, item: &sys::DirEntry) -> bool {
        match item.hint {
            Some(MetaKind::Dir) => true,
            Some(MetaKind::File | MetaKind::Special) => false,
            Some(MetaKind::Link) | None => self
                .root
                .entry_in(&self.v, &self.dir, &item.name)
                .is_some_and(|e| e.kind == super::Kind::Dir),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::listing;

    #[test]
    fn folding_sorts_as_listing_compare() {
        let names: [&[u8]; 6] = [b"b", b"A", b"a", "é".as_bytes(), "É".as_bytes(), b"_x"];
        let mut by_key: Vec<&[u8]> = names.to_vec();
        by_key.sort_by_key(|n| (fold(n), n.to_vec()));
        let mut by_compare = names.to_vec();
        by_compare.sort_by(|a, b| listing::compare(a, b));
        assert_eq!(by_key, by_compare);
    }

    #[test]
    fn a_listing_longer_than_the_window_comes_whole_and_in_order() {
        let dir = std::env::temp_dir().join(format!("rftp-scan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("d")).unwrap();
        let n = LIST_WINDOW_ENTRIES * 2 + 7;
        for i in 0..n {
            std::fs::write(dir.join(format!("f{i}")), b"").unwrap();
        }
        std::fs::write(dir.join(".rftp-part.x"), b"").unwrap();
        let root = Root::open(&dir).unwrap();
        let names: Vec<Vec<u8>> = root
            .list(&VPath::root(), Order::DirsFirst)
            .unwrap()
            .map(|e| e.name)
            .collect();
        assert_eq!(names.len(), n + 1);
        assert_eq!(names[0], b"d", "directories first");
        let mut sorted = names[1..].to_vec();
        sorted.sort_by(|a, b| listing::compare(a, b));
        assert_eq!(names[1..], sorted[..]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
