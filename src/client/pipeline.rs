//! Pipelining: many transfers on one connection without a round trip each.
//! Requests go out ahead of their answers, up to a window, and answers are
//! read in order — the wire promises replies in command order. The window
//! keeps unread requests small enough that neither side can block the other.

use std::collections::VecDeque;

use super::commands::Client;
use super::transfer::{GetJob, PutJob};
use crate::error::Error;
use crate::wire::{Request, code};

/// Most requests sent ahead of their answers.
const WINDOW_REQUESTS: usize = 64;
/// Most bytes of request lines sent ahead of their answers: well under any
/// socket buffer, so the server can always take them while we read.
const WINDOW_REQUEST_BYTES: usize = 64 * 1024;

/// One step of a many-file command.
pub enum Job {
    /// Download a file.
    Get(GetJob),
    /// Upload a file.
    Put(PutJob),
    /// Make a remote directory; one that exists already is fine.
    Mkdir(Vec<u8>),
}

impl Job {
    /// Send the request (for an upload, its payload too); returns the bytes
    /// of request line sent. A local failure sends nothing.
    fn send(&mut self, cl: &mut Client) -> Result<usize, Error> {
        match self {
            Job::Get(job) => job.send(cl),
            Job::Put(job) => job.send(cl),
            Job::Mkdir(path) => {
                let req = Request::Mkdir(path.clone());
                cl.conn.send(&req)?;
                Ok(req.to_line().len())
            }
        }
    }

    /// Read the answer to what `send` sent.
    fn finish(&mut self, cl: &mut Client) -> Result<(), Error> {
        match self {
            Job::Get(job) => job.finish(cl),
            Job::Put(job) => job.finish(cl),
            Job::Mkdir(_) => {
                let reply = cl.conn.reply()?;
                // An existing directory is what we wanted; an existing file
                // there makes the uploads into it fail, each with its reason.
                if reply.is_ok() || reply.code == code::EXISTS {
                    return Ok(());
                }
                Err(Error::Remote(reply))
            }
        }
    }
}

/// Whether an error means the connection is gone, so nothing more can run.
fn is_fatal(e: &Error) -> bool {
    matches!(e, Error::Protocol(_))
}

/// Run `jobs` pipelined. Returns the errors of the jobs that failed, in
/// order; an error that ends the connection ends the run and is returned.
pub fn run(cl: &mut Client, jobs: Vec<Job>) -> Result<Vec<Error>, Error> {
    let mut failed = Vec::new();
    let mut waiting: VecDeque<(Job, usize)> = VecDeque::new();
    let mut unanswered_bytes = 0;
    let mut jobs = jobs.into_iter();
    loop {
        while waiting.len() < WINDOW_REQUESTS
            && (waiting.is_empty() || unanswered_bytes < WINDOW_REQUEST_BYTES)
        {
            let Some(mut job) = jobs.next() else { break };
            match job.send(cl) {
                Ok(bytes) => {
                    unanswered_bytes += bytes;
                    waiting.push_back((job, bytes));
                }
                Err(e) if is_fatal(&e) => return Err(e),
                Err(e) => failed.push(e),
            }
        }
        cl.conn.flush()?;
        let Some((mut job, bytes)) = waiting.pop_front() else {
            return Ok(failed);
        };
        unanswered_bytes -= bytes;
        match job.finish(cl) {
            Ok(()) => {}
            Err(e) if is_fatal(&e) => return Err(e),
            Err(e) => failed.push(e),
        }
    }
}

/// Run jobs for a many-file command: each failure is reported on its own
/// line as it comes, and the command fails at the end if any did.
pub fn run_reporting(
    cl: &mut Client,
    command: &str,
    jobs: Vec<Job>,
    mut failures: Vec<Error>,
) -> Result<(), Error> {
    for e in &failures {
        crate::out::err_line(&format!("rftp: {command}: {e}"));
    }
    let files = jobs.iter().filter(|j| !matches!(j, Job::Mkdir(_))).count();
    let total = files + failures.len();
    let failed = run(cl, jobs)?;
    for e in &failed {
        crate::out::err_line(&format!("rftp: {command}: {e}"));
    }
    failures.extend(failed);
    if failures.is_empty() {
        return Ok(());
    }
    let failed = failures.len();
    Err(Error::Transfer(format!(
        "{failed} of {} failed",
        total.max(failed)
    )))
}
