//! Integration tests: each drives the real `rftp` binary — a server on
//! 127.0.0.1 port 0 and clients fed commands on stdin — and checks what a user
//! would see: files, bytes, stdout, stderr and exit codes.

mod bigdir;
mod cable;
mod compress;
mod copies;
mod cross;
mod defence;
mod docs;
mod fake;
mod fixture;
mod hostile;
mod housekeeping;
mod jail;
mod limits;
mod listing;
mod lls;
mod login;
mod many;
mod mitm;
mod outputs;
mod progress;
mod prompt;
mod pty;
mod race;
mod raw;
mod resume;
mod scripts;
mod secure;
mod stalls;
mod strict;
mod transfer;
mod util;
