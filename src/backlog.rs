//! A backlog: work handed to one thread of its own in batches, done there
//! in order, its results collected in order. Both ends publish small files
//! this way, so that the file system's calls run on a second core beside
//! the connection's. A batch wakes the thread once for all its items (a
//! wake per item costs more than a small file takes), and at most one
//! batch waits while another is worked on, so memory stays bounded. Where
//! no thread can start, or when results are wanted and nothing is in
//! flight, the work is done on the caller's thread. No sockets.

use std::collections::VecDeque;
use std::io;
use std::mem;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};

/// Items that make a batch.
const BATCH_ITEMS: usize = 16;
/// Bytes that make a batch (of items that say their size), at most about:
/// an item may take it past this by its own size.
const BATCH_BYTES: usize = 256 * 1024;
/// Batches handed over and not yet taken up by the thread, at most.
const QUEUE_BATCHES: usize = 1;

/// The work, and the batches handed over whose results are still to come.
pub struct Backlog<T: Send + 'static, R: Send + 'static> {
    work: fn(T) -> R,
    name: &'static str,
    batch: Vec<T>,
    bytes: usize,
    in_flight: usize,
    worker: Option<Worker<T, R>>,
    /// A thread was tried (and is `worker`, unless it could not start).
    tried: bool,
    /// Results done and not yet returned.
    ready: Vec<R>,
}

/// What the two threads share: batches to do, results done, and whether
/// either side has gone. (A mutex and a condition variable: far less code
/// than channels.)
struct Shared<T, R> {
    state: Mutex<State<T, R>>,
    changed: Condvar,
}

struct State<T, R> {
    todo: VecDeque<Vec<T>>,
    done: VecDeque<Vec<R>>,
    /// No more batches come.
    closed: bool,
    /// The thread has ended.
    gone: bool,
}

struct Worker<T, R> {
    shared: Arc<Shared<T, R>>,
    handle: JoinHandle<()>,
}

/// The thread is gone with work it held: what became of that work is not
/// known, so nothing after it can be answered either.
fn lost() -> io::Error {
    io::Error::other("the thread publishing files failed")
}

impl<T, R> Shared<T, R> {
    fn lock(&self) -> io::Result<MutexGuard<'_, State<T, R>>> {
        self.state.lock().map_err(|_| lost())
    }

    /// Wait on `state` until something changes.
    fn wait<'a>(
        &self,
        state: MutexGuard<'a, State<T, R>>,
    ) -> io::Result<MutexGuard<'a, State<T, R>>> {
        self.changed.wait(state).map_err(|_| lost())
    }
}

impl<T: Send + 'static, R: Send + 'static> Backlog<T, R> {
    /// A backlog that does `work`, on a thread called `name` once a batch
    /// is full.
    pub fn new(work: fn(T) -> R, name: &'static str) -> Self {
        Backlog {
            work,
            name,
            batch: Vec::new(),
            bytes: 0,
            in_flight: 0,
            worker: None,
            tried: false,
            ready: Vec::new(),
        }
    }

    /// Nothing handed over is waiting for its result.
    pub fn is_idle(&self) -> bool {
        self.batch.is_empty() && self.in_flight == 0
    }

    /// Add `item`, of `bytes`; a full batch goes to the thread. Returns the
    /// results done by now, in order; after an error, `take_done` has them.
    pub fn push(&mut self, item: T, bytes: usize) -> io::Result<Vec<R>> {
        self.batch.push(item);
        self.bytes += bytes;
        if self.batch.len() < BATCH_ITEMS && self.bytes < BATCH_BYTES {
            return Ok(Vec::new());
        }
        self.collect(false)?;
        self.hand_over()?;
        Ok(self.take_done())
    }

    /// Every result still to come, in order, waiting for them; after an
    /// error, `take_done` has those done before it.
    pub fn settle(&mut self) -> io::Result<Vec<R>> {
        if self.in_flight == 0 {
            // The last batch is done here: a thread's wake would only be
            // waited for.
            let batch = self.take_batch();
            self.ready.extend(batch.into_iter().map(self.work));
            return Ok(self.take_done());
        }
        self.hand_over()?;
        self.collect(true)?;
        Ok(self.take_done())
    }

    /// The results done and not returned yet, in order: after an error,
    /// those of the work done before it.
    pub fn take_done(&mut self) -> Vec<R> {
        mem::take(&mut self.ready)
    }

    /// Take the results done by now into `ready`, in order; with `all`,
    /// waiting for every one.
    fn collect(&mut self, all: bool) -> io::Result<()> {
        if self.in_flight == 0 {
            return Ok(());
        }
        let shared = &self.worker.as_ref().ok_or_else(lost)?.shared;
        let mut state = shared.lock()?;
        loop {
            while let Some(mut done) = state.done.pop_front() {
                self.in_flight -= 1;
                self.ready.append(&mut done);
            }
            if !all || self.in_flight == 0 {
                return Ok(());
            }
            if state.gone {
                return Err(lost());
            }
            state = shared.wait(state)?;
        }
    }

    fn take_batch(&mut self) -> Vec<T> {
        self.bytes = 0;
        mem::take(&mut self.batch)
    }

    /// Hand the batch to the thread (started the first time), waiting while
    /// `QUEUE_BATCHES` wait already; where no thread could start, do it
    /// here.
    fn hand_over(&mut self) -> io::Result<()> {
        let batch = self.take_batch();
        if batch.is_empty() {
            return Ok(());
        }
        if !self.tried {
            self.tried = true;
            self.worker = Worker::start(self.work, self.name);
        }
        let Some(worker) = &self.worker else {
            self.ready.extend(batch.into_iter().map(self.work));
            return Ok(());
        };
        let shared = &worker.shared;
        let mut state = shared.lock()?;
        while state.todo.len() >= QUEUE_BATCHES && !state.gone {
            state = shared.wait(state)?;
        }
        if state.gone {
            return Err(lost());
        }
        state.todo.push_back(batch);
        shared.changed.notify_all();
        self.in_flight += 1;
        Ok(())
    }
}

impl<T: Send + 'static, R: Send + 'static> Worker<T, R> {
    fn start(work: fn(T) -> R, name: &str) -> Option<Worker<T, R>> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                todo: VecDeque::new(),
                done: VecDeque::new(),
                closed: false,
                gone: false,
            }),
            changed: Condvar::new(),
        });
        let theirs = Arc::clone(&shared);
        let handle = thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                // However it ends, a panic included, the other side hears.
                let _gone = Gone(&theirs);
                while let Some(batch) = next_batch(&theirs) {
                    let out: Vec<R> = batch.into_iter().map(work).collect();
                    let Ok(mut state) = theirs.state.lock() else {
                        return;
                    };
                    state.done.push_back(out);
                    theirs.changed.notify_all();
                }
            })
            .ok()?;
        Some(Worker { shared, handle })
    }
}

/// The next batch to do, waiting for one; `None` once closed and empty.
fn next_batch<T, R>(shared: &Shared<T, R>) -> Option<Vec<T>> {
    let mut state = shared.state.lock().ok()?;
    loop {
        if let Some(batch) = state.todo.pop_front() {
            // The caller may wait for room.
            shared.changed.notify_all();
            return Some(batch);
        }
        if state.closed {
            return None;
        }
        state = shared.changed.wait(state).ok()?;
    }
}

/// Marks the thread gone when dropped.
struct Gone<'a, T, R>(&'a Shared<T, R>);

impl<T, R> Drop for Gone<'_, T, R> {
    fn drop(&mut self) {
        let mut state = match self.0.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        state.gone = true;
        self.0.changed.notify_all();
    }
}

impl<T: Send + 'static, R: Send + 'static> Drop for Backlog<T, R> {
    /// The thread finishes what it was handed and ends; the batch not
    /// handed over is dropped undone.
    fn drop(&mut self) {
        if let Some(worker) = self.worker.take() {
            let mut state = match worker.shared.state.lock() {
                Ok(state) => state,
                Err(poisoned) => poisoned.into_inner(),
            };
            state.closed = true;
            worker.shared.changed.notify_all();
            drop(state);
            let _ = worker.handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn square(n: u64) -> u64 {
        n * n
    }

    #[test]
    fn results_come_in_order_whatever_the_batches() {
        for size in [1, 8, 100_000] {
            let mut b = Backlog::new(square, "test");
            let mut got = Vec::new();
            for n in 0..100 {
                got.append(&mut b.push(n, size).unwrap());
            }
            got.append(&mut b.settle().unwrap());
            assert!(b.is_idle());
            assert_eq!(got, (0..100).map(square).collect::<Vec<_>>(), "{size}");
            // And again after settling.
            got.clear();
            for n in 0..5 {
                got.append(&mut b.push(n, size).unwrap());
            }
            got.append(&mut b.settle().unwrap());
            assert_eq!(got, vec![0, 1, 4, 9, 16]);
        }
    }

    #[test]
    fn a_batch_never_handed_over_is_done_on_the_callers_thread() {
        fn which(_: ()) -> thread::ThreadId {
            thread::current().id()
        }
        let mut b = Backlog::new(which, "test");
        assert!(b.push((), 0).unwrap().is_empty());
        assert_eq!(b.settle().unwrap(), vec![thread::current().id()]);
        assert!(!b.tried, "no thread for one item");
        let mut ids = Vec::new();
        for _ in 0..BATCH_ITEMS {
            ids.append(&mut b.push((), 0).unwrap());
        }
        ids.append(&mut b.settle().unwrap());
        assert_eq!(ids.len(), BATCH_ITEMS);
        assert!(ids.iter().all(|id| *id != thread::current().id()));
    }

    #[test]
    fn dropped_it_finishes_what_it_handed_over() {
        static DONE: AtomicUsize = AtomicUsize::new(0);
        fn count(_: ()) {
            DONE.fetch_add(1, Ordering::SeqCst);
        }
        let mut b = Backlog::new(count, "test");
        for _ in 0..BATCH_ITEMS * 3 {
            b.push((), 0).unwrap();
        }
        drop(b);
        assert_eq!(DONE.load(Ordering::SeqCst), BATCH_ITEMS * 3);
    }

    #[test]
    fn a_thread_that_dies_is_an_error_after_the_results_it_had() {
        fn fragile(n: usize) -> usize {
            assert!(n != BATCH_ITEMS + 4, "the work failed");
            n
        }
        let mut b = Backlog::new(fragile, "test");
        let mut got = Vec::new();
        let mut failed = false;
        for n in 0..BATCH_ITEMS * 6 {
            match b.push(n, 0) {
                Ok(mut done) => got.append(&mut done),
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        if !failed {
            failed = b.settle().is_err();
        }
        got.append(&mut b.take_done());
        assert!(failed, "the second batch never came back");
        assert_eq!(
            got,
            (0..BATCH_ITEMS).collect::<Vec<_>>(),
            "the first did, whole"
        );
        assert!(b.settle().is_err(), "and it stays failed");
    }
}
