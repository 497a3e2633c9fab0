//! Ctrl-C at the prompt while a command runs: it stops the command, not the
//! client. Neither std nor rustix can catch `SIGINT` without `unsafe`, which
//! rftp does not write, so while a command runs at the prompt the terminal's
//! signal keys arrive as bytes instead (`sys::signal_keys_off`: termios
//! `ISIG` off) and a thread watches the terminal for them. Ctrl-C sets the
//! client's interrupt flag and cuts the connection: the protocol has no
//! abort, and a payload in flight can only be stopped by closing it, which
//! also wakes the command wherever it waits on the server. Ctrl-Z and
//! Ctrl-\ still stop and quit the client. Other keys typed meanwhile are
//! kept for the prompt (up to `MAX_TYPED_AHEAD`), as a terminal keeps them;
//! Ctrl-C throws away those typed before it. The terminal is put back when the command ends, also when it
//! panics.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use super::session::Client;
use crate::sys::{self, OwnSignal, TermState};

/// The bytes the terminal sends for the keys the watcher acts on.
const CTRL_C: u8 = 0x03;
const CTRL_Z: u8 = 0x1a;
const CTRL_BACKSLASH: u8 = 0x1c;

/// Most bytes typed ahead while a command runs that the prompt gets.
const MAX_TYPED_AHEAD: usize = 4096;

/// The terminal watched for Ctrl-C while one command runs; dropping it
/// stops the watch and puts the terminal back.
pub struct Watch {
    /// Written to when the command is over: the watcher leaves.
    wake: UnixStream,
    thread: Option<JoinHandle<Vec<u8>>>,
}

impl Watch {
    /// Watch standard input, a terminal, for Ctrl-C while a command runs on
    /// `cl`; `None` when it is no terminal or cannot be watched (then
    /// Ctrl-C is the usual signal).
    pub fn start(cl: &Client) -> Option<Watch> {
        let tty = io::stdin().as_fd().try_clone_to_owned().ok()?;
        let (wake, woken) = UnixStream::pair().ok()?;
        let saved = sys::signal_keys_off(tty.as_fd())?;
        let flag = Arc::clone(&cl.interrupt);
        flag.store(false, Ordering::SeqCst);
        let cutter = cl.conn.cutter();
        let watcher = Watcher {
            tty: File::from(tty),
            saved,
            woken,
            flag,
            cutter,
        };
        let thread = std::thread::Builder::new()
            .name("ctrl-c".into())
            .spawn(move || watcher.run());
        // Without a thread the watcher is dropped, and the terminal put back.
        Some(Watch {
            wake,
            thread: Some(thread.ok()?),
        })
    }
}

impl Watch {
    /// End the watch (the terminal put back); returns the keys typed
    /// meanwhile, for the prompt.
    pub fn finish(mut self) -> Vec<u8> {
        self.stop()
    }

    fn stop(&mut self) -> Vec<u8> {
        let _ = self.wake.write_all(&[0]);
        match self.thread.take() {
            Some(thread) => thread.join().unwrap_or_default(),
            None => Vec::new(),
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The watching thread's side.
struct Watcher {
    tty: File,
    /// The terminal's settings before the watch, put back on drop.
    saved: TermState,
    woken: UnixStream,
    flag: Arc<AtomicBool>,
    /// The connection to cut on Ctrl-C (none when not connected).
    cutter: Option<TcpStream>,
}

impl Watcher {
    /// Read keys until woken: act on the three signal keys, keep the rest
    /// (returned).
    fn run(mut self) -> Vec<u8> {
        let mut keys = [0u8; 64];
        let mut typed = Vec::new();
        loop {
            let Ok((key, woken)) = sys::wait_readable(self.tty.as_fd(), self.woken.as_fd()) else {
                return typed;
            };
            if woken {
                return typed;
            }
            if !key {
                continue;
            }
            let n = match self.tty.read(&mut keys) {
                Ok(0) | Err(_) => return typed,
                Ok(n) => n,
            };
            for &k in keys.get(..n).unwrap_or_default() {
                match k {
                    CTRL_C => {
                        typed.clear();
                        self.interrupt();
                    }
                    CTRL_Z => self.as_usual(OwnSignal::Stop),
                    CTRL_BACKSLASH => self.as_usual(OwnSignal::Quit),
                    _ if typed.len() < MAX_TYPED_AHEAD => typed.push(k),
                    _ => {}
                }
            }
        }
    }

    /// Ctrl-C: flag the command and cut its connection.
    fn interrupt(&self) {
        self.flag.store(true, Ordering::SeqCst);
        if let Some(socket) = &self.cutter {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }

    /// Ctrl-Z or Ctrl-\: the terminal as it was, then what the key does
    /// there; back to watching if the client goes on (`fg`).
    fn as_usual(&self, signal: OwnSignal) {
        sys::restore(self.tty.as_fd(), &self.saved);
        sys::raise(signal);
        let _ = sys::signal_keys_off(self.tty.as_fd());
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        sys::restore(self.tty.as_fd(), &self.saved);
    }
}
