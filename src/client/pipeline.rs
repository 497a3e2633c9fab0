//! Pipelining: the jobs of a many-file command run on one connection without
//! a round trip each. Requests go out ahead of their answers, up to a
//! window, and answers are read in order — the wire promises replies in
//! command order. The window keeps unread requests small enough that
//! neither side can block the other. Also the plan a planner hands over,
//! and the live line and summary line of its run.

use std::collections::VecDeque;
use std::io::{self, IsTerminal};
use std::time::Instant;

use super::get::GetJob;
use super::progress::{self, human};
use super::put::PutJob;
use super::session::Client;
use super::show::thousands;
use crate::error::Error;
use crate::wire::{Reply, Request, code};

/// Most requests sent ahead of their answers. The bytes below are the real
/// bound; this one only caps the memory the waiting jobs take.
const WINDOW_REQUESTS: usize = 4096;
/// Most bytes of request lines, and of the replies they will get, ahead of
/// their answers: well under any socket buffer, so that the server can
/// always take our requests and we can always take its replies while
/// neither side reads. That is about 1,500 downloads in flight, which
/// covers the bandwidth-delay product of any link for small files (4 KiB
/// files at 1 GB/s and 5 ms: 1,220), so no file waits for a round trip.
const WINDOW_REQUEST_BYTES: usize = 64 * 1024;
/// What a request's reply is counted as beyond the request line's length
/// (a 226 holds the path, the length, the CRC and a stamp).
const REPLY_BYTES: usize = 64;
/// Requests held back before one flush (one record, one system call) sends
/// them all; sent at once, whatever their number, when fewer than this are
/// left for the server to work on.
const FLUSH_REQUESTS: usize = 32;

/// One step of a many-file command.
pub enum Job {
    /// Download a file.
    Get(GetJob),
    /// Upload a file.
    Put(PutJob),
    /// Make a remote directory; one that exists already is fine.
    Mkdir(Vec<u8>),
    /// Set a remote directory's modification time (after its contents).
    Mtime(Vec<u8>, i64, u32),
}

impl Job {
    /// Send the request (for an upload, its payload too); returns the bytes
    /// of request line sent. A local failure sends nothing.
    fn send(&mut self, cl: &mut Client) -> Result<usize, Error> {
        match self {
            Job::Get(job) => job.send(cl),
            Job::Put(job) => job.send(cl),
            Job::Mkdir(path) => send_request(cl, Request::Mkdir(path.clone())),
            Job::Mtime(path, secs, nsec) => send_request(
                cl,
                Request::Mtime {
                    path: path.clone(),
                    secs: *secs,
                    nsec: *nsec,
                },
            ),
        }
    }

    /// Whether it moves a file (and so counts in a summary).
    fn is_file(&self) -> bool {
        matches!(self, Job::Get(_) | Job::Put(_))
    }

    /// Bytes it expects to move.
    fn to_move(&self) -> u64 {
        match self {
            Job::Get(job) => job.to_move(),
            Job::Put(job) => job.to_move(),
            Job::Mkdir(_) | Job::Mtime(..) => 0,
        }
    }

    /// Bytes it moved, once finished.
    fn moved(&self) -> u64 {
        match self {
            Job::Get(job) => job.moved(),
            Job::Put(job) => job.moved(),
            Job::Mkdir(_) | Job::Mtime(..) => 0,
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
            Job::Mtime(..) => match cl.conn.reply()? {
                reply if reply.is_ok() => Ok(()),
                reply => Err(Error::Remote(reply)),
            },
        }
    }
}

fn send_request(cl: &mut Client, req: Request) -> Result<usize, Error> {
    cl.conn.send(&req)
}

/// What a pipelined run did.
#[derive(Default)]
pub struct Outcome {
    /// The errors of the jobs that failed, in order (those of files
    /// published behind the connection last).
    pub failed: Vec<Error>,
    /// Files moved.
    pub files: usize,
    /// Bytes moved.
    pub bytes: u64,
}

/// Whether an error means the connection is gone (or Ctrl-C stopped the
/// command), so nothing more can run.
fn is_fatal(e: &Error) -> bool {
    e.ends_session()
}

/// Run `jobs` pipelined. Returns what moved and the errors of the jobs that
/// failed; an error that ends the connection ends the run and is returned.
pub fn run(cl: &mut Client, jobs: Vec<Job>) -> Result<Outcome, Error> {
    cl.start_landing();
    let ran = run_jobs(cl, jobs);
    let not_landed = cl.finish_landing();
    cl.forget_local_dir();
    let mut out = ran?;
    let not_landed = not_landed?;
    // Counted as moved when they arrived whole; they did not land.
    for (e, bytes) in not_landed {
        out.files = out.files.saturating_sub(1);
        out.bytes = out.bytes.saturating_sub(bytes);
        out.failed.push(e);
    }
    Ok(out)
}

fn run_jobs(cl: &mut Client, jobs: Vec<Job>) -> Result<Outcome, Error> {
    let mut out = Outcome::default();
    let failed = &mut out.failed;
    let mut waiting: VecDeque<(Job, usize)> = VecDeque::new();
    let mut unanswered_bytes = 0;
    // The newest of `waiting` not flushed yet: the server has the others.
    let mut unflushed = 0;
    let mut jobs = jobs.into_iter();
    loop {
        while waiting.len() < WINDOW_REQUESTS
            && (waiting.is_empty() || unanswered_bytes < WINDOW_REQUEST_BYTES)
        {
            let Some(mut job) = jobs.next() else { break };
            match job.send(cl) {
                Ok(bytes) => {
                    unanswered_bytes += bytes + REPLY_BYTES;
                    waiting.push_back((job, bytes + REPLY_BYTES));
                    unflushed += 1;
                    // A server with little to do gets a batch at once, not
                    // after the whole window is made.
                    if unflushed >= FLUSH_REQUESTS && waiting.len() - unflushed < FLUSH_REQUESTS {
                        cl.conn.flush()?;
                        unflushed = 0;
                    }
                }
                Err(e) if is_fatal(&e) => return Err(e),
                Err(e) => failed.push(e),
            }
        }
        // Requests go out in batches, but never so late that the server
        // runs dry, and the one whose answer comes next is always out.
        let the_server_has = waiting.len() - unflushed;
        if unflushed > 0 && (unflushed >= FLUSH_REQUESTS || the_server_has < FLUSH_REQUESTS) {
            cl.conn.flush()?;
            unflushed = 0;
        }
        let Some((mut job, bytes)) = waiting.pop_front() else {
            cl.conn.flush()?;
            return Ok(out);
        };
        unanswered_bytes -= bytes;
        match job.finish(cl) {
            Ok(()) if job.is_file() => {
                out.files += 1;
                out.bytes += job.moved();
            }
            Ok(()) => {}
            Err(e) if is_fatal(&e) => return Err(e),
            Err(e) => failed.push(e),
        }
    }
}

/// Send `requests` pipelined and read their replies, in order: checks of
/// many files without a round trip each.
pub fn exchange_all(cl: &mut Client, requests: &[Request]) -> Result<Vec<Reply>, Error> {
    let mut replies = Vec::with_capacity(requests.len());
    let mut sent = 0;
    while replies.len() < requests.len() {
        let mut ahead_bytes = 0;
        while sent < requests.len()
            && sent - replies.len() < WINDOW_REQUESTS
            && ahead_bytes < WINDOW_REQUEST_BYTES
        {
            ahead_bytes += send_request(cl, requests[sent].clone())?;
            sent += 1;
        }
        cl.conn.flush()?;
        while replies.len() < sent {
            replies.push(cl.conn.reply()?);
        }
    }
    Ok(replies)
}

/// A many-file command's work, planned before anything moves.
#[derive(Default)]
pub struct Plan {
    /// What to send.
    pub jobs: Vec<Job>,
    /// Files that failed before anything was sent.
    pub failures: Vec<Error>,
    /// Files already right at the destination, left alone.
    pub current: usize,
    /// Whether `current` is worth saying (with `-c` or `-u`).
    pub checked: bool,
}

/// Run a many-file command's plan: each failure is reported on its own line
/// as it comes, then one summary line (moved, up to date, failed, bytes,
/// time, rate) unless quiet; the command fails at the end if any file did.
pub fn run_reporting(cl: &mut Client, command: &str, plan: Plan) -> Result<Outcome, Error> {
    let started = Instant::now();
    let Plan {
        jobs,
        mut failures,
        current,
        checked,
    } = plan;
    for e in &failures {
        crate::out::err_line(&format!("rftp: {command}: {e}"));
    }
    let files = jobs.iter().filter(|j| j.is_file()).count();
    let total = files + failures.len() + current;
    // More than one file: one live line for the whole job, on a terminal.
    let line = (files > 1 && !cl.quiet && io::stderr().is_terminal()).then(|| {
        let bytes = jobs.iter().map(Job::to_move).fold(0, u64::saturating_add);
        progress::start_job(files as u64, bytes)
    });
    let run = run(cl, jobs);
    drop(line);
    let mut out = run?;
    for e in &out.failed {
        crate::out::err_line(&format!("rftp: {command}: {e}"));
    }
    failures.append(&mut out.failed);
    if !cl.quiet {
        let mut line = format!(
            "rftp: {command}: {} of {} files moved",
            thousands(out.files as u64),
            thousands(total as u64)
        );
        if checked {
            line.push_str(&format!(", {} up to date", thousands(current as u64)));
        }
        if !failures.is_empty() {
            line.push_str(&format!(", {} failed", thousands(failures.len() as u64)));
        }
        let secs = started.elapsed().as_secs_f64();
        line.push_str(&format!(
            ", {} bytes in {secs:.2}s ({}/s)",
            thousands(out.bytes),
            human(out.bytes as f64 / secs.max(1e-3))
        ));
        crate::out::err_line(&line);
    }
    if failures.is_empty() {
        return Ok(out);
    }
    let failed = failures.len();
    Err(Error::Transfer(format!(
        "{failed} of {} failed",
        total.max(failed)
    )))
}
