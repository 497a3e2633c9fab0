//! Work done behind the caller: items handed to one thread of their own in
//! batches, done there in order, the results collected in order. Both ends
//! publish small files this way, so that the file system's calls run on a
//! second core beside the connection's. A batch wakes the thread once for
//! all its items (one wake per item costs more than a small file takes),
//! and at most `QUEUE_BATCHES` wait, so memory stays bounded. Where no
//! thread can start, or nothing is in flight when results are wanted, the
//! work is done on the caller's thread. No sockets.

use std::mem;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{self, JoinHandle};

/// Batches handed over and not yet taken up by the thread, at most.
const QUEUE_BATCHES: usize = 1;

/// Items of at most `batch_bytes` in all, or `batch_items`, make a batch.
pub struct Behind<T: Send + 'static, R: Send + 'static> {
    work: fn(T) -> R,
    name: &'static str,
    batch_items: usize,
    batch_bytes: usize,
    batch: Vec<T>,
    bytes: usize,
    /// Batches handed over whose results are not collected yet.
    in_flight: usize,
    thread: Option<Worker<T, R>>,
    /// A thread was tried (and is `thread`, unless it could not start).
    tried: bool,
}

struct Worker<T, R> {
    queue: SyncSender<Vec<T>>,
    done: Receiver<Vec<R>>,
    handle: JoinHandle<()>,
}

impl<T: Send + 'static, R: Send + 'static> Behind<T, R> {
    /// Do `work` on each item, on a thread called `name` once a batch is full.
    pub fn new(
        work: fn(T) -> R,
        name: &'static str,
        batch_items: usize,
        batch_bytes: usize,
    ) -> Self {
        Behind {
            work,
            name,
            batch_items: batch_items.max(1),
            batch_bytes,
            batch: Vec::new(),
            bytes: 0,
            in_flight: 0,
            thread: None,
            tried: false,
        }
    }

    /// Nothing handed over is waiting for its result.
    pub fn is_idle(&self) -> bool {
        self.batch.is_empty() && self.in_flight == 0
    }

    /// Add `item`, of `bytes`; a full batch goes to the thread. Returns the
    /// results done by now, in order (when nothing could go to the thread,
    /// the batch was done here).
    pub fn push(&mut self, item: T, bytes: usize) -> Vec<R> {
        self.batch.push(item);
        self.bytes += bytes;
        if self.batch.len() < self.batch_items && self.bytes < self.batch_bytes {
            return Vec::new();
        }
        let mut results = self.ready();
        results.append(&mut self.hand_over());
        results
    }

    /// Every result still to come, in order, waiting for them.
    pub fn settle(&mut self) -> Vec<R> {
        let mut results = Vec::new();
        // With nothing in flight the last batch is done here: a thread's
        // wake-up would only be waited for.
        if self.in_flight == 0 {
            let batch = self.take_batch();
            results.extend(batch.into_iter().map(self.work));
            return results;
        }
        results.append(&mut self.hand_over());
        while self.in_flight > 0 {
            let Some(done) = self.thread.as_ref().and_then(|w| w.done.recv().ok()) else {
                // The thread is gone; what it held is lost (it cannot be:
                // `work` does not panic).
                self.in_flight = 0;
                self.thread = None;
                break;
            };
            self.in_flight -= 1;
            results.extend(done);
        }
        results
    }

    /// The results done by now, in order, without waiting.
    fn ready(&mut self) -> Vec<R> {
        let mut results = Vec::new();
        while self.in_flight > 0 {
            match self.thread.as_ref().map(|w| w.done.try_recv()) {
                Some(Ok(mut done)) => {
                    self.in_flight -= 1;
                    results.append(&mut done);
                }
                _ => break,
            }
        }
        results
    }

    fn take_batch(&mut self) -> Vec<T> {
        self.bytes = 0;
        mem::take(&mut self.batch)
    }

    /// Hand the batch to the thread (started the first time), or do it here.
    fn hand_over(&mut self) -> Vec<R> {
        let batch = self.take_batch();
        if batch.is_empty() {
            return Vec::new();
        }
        if !self.tried {
            self.tried = true;
            self.thread = Worker::start(self.work, self.name);
        }
        let batch = match &self.thread {
            Some(worker) => match worker.queue.send(batch) {
                Ok(()) => {
                    self.in_flight += 1;
                    return Vec::new();
                }
                Err(mpsc::SendError(batch)) => batch,
            },
            None => batch,
        };
        batch.into_iter().map(self.work).collect()
    }
}

impl<T: Send + 'static, R: Send + 'static> Worker<T, R> {
    fn start(work: fn(T) -> R, name: &str) -> Option<Worker<T, R>> {
        let (queue, batches) = mpsc::sync_channel::<Vec<T>>(QUEUE_BATCHES);
        let (results, done) = mpsc::channel();
        let handle = thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                for batch in batches {
                    let out: Vec<R> = batch.into_iter().map(work).collect();
                    if results.send(out).is_err() {
                        return;
                    }
                }
            })
            .ok()?;
        Some(Worker {
            queue,
            done,
            handle,
        })
    }
}

impl<T: Send + 'static, R: Send + 'static> Drop for Behind<T, R> {
    /// The thread finishes what it holds and ends.
    fn drop(&mut self) {
        if let Some(worker) = self.thread.take() {
            drop(worker.queue);
            let _ = worker.handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(n: u64) -> u64 {
        n * n
    }

    #[test]
    fn results_come_in_order_whatever_the_batches() {
        for (items, bytes) in [
            (1, usize::MAX),
            (3, usize::MAX),
            (16, 40),
            (1000, usize::MAX),
        ] {
            let mut b = Behind::new(square, "test", items, bytes);
            let mut got = Vec::new();
            for n in 0..100 {
                got.append(&mut b.push(n, 8));
            }
            got.append(&mut b.settle());
            assert!(b.is_idle());
            assert_eq!(
                got,
                (0..100).map(square).collect::<Vec<_>>(),
                "{items} {bytes}"
            );
            // And again after settling.
            got.clear();
            for n in 0..5 {
                got.append(&mut b.push(n, 8));
            }
            got.append(&mut b.settle());
            assert_eq!(got, vec![0, 1, 4, 9, 16]);
        }
    }

    #[test]
    fn a_batch_never_handed_over_is_done_on_the_callers_thread() {
        fn which(_: ()) -> thread::ThreadId {
            thread::current().id()
        }
        let mut b = Behind::new(which, "test", 16, usize::MAX);
        assert!(b.push((), 0).is_empty());
        assert_eq!(b.settle(), vec![thread::current().id()]);
        assert!(!b.tried, "no thread for one item");
        for _ in 0..16 {
            b.push((), 0);
        }
        let ids = b.settle();
        assert_eq!(ids.len(), 16);
        assert!(ids.iter().all(|id| *id != thread::current().id()));
    }
}
