//! The server's side of MTIME (a directory's time, set after a recursive
//! upload filled it) and SUM (a file's checksum, computed here so that the
//! file need not cross the wire). Files are reached only through `fs::Root`.

use super::session::Session;
use crate::error::Error;
use crate::fs::digest::{self, Algo};
use crate::sys;
use crate::wire::{Checksum, Reply, code, escape};

/// MTIME: set the modification time of the directory `path`.
pub fn mtime(s: &Session, path: &[u8], secs: i64, nsec: u32) -> Result<Reply, Error> {
    s.refuse_if_read_only(path)?;
    let v = s.resolve(path)?;
    let dir = s.cfg.root.dir(&v)?;
    sys::set_mtime(&dir, secs, nsec).map_err(|e| Error::io_path(&v.to_bytes(), &e))?;
    Ok(Reply::new(code::DONE, "done"))
}

/// SUM: `213 ALGO HEX`, the checksum of the whole file `path`.
pub fn sum(s: &Session, path: &[u8], algo: &[u8]) -> Result<Reply, Error> {
    let Some(algo) = Algo::parse(algo) else {
        let text = format!("unknown algorithm '{}' (crc32, sha256)", escape(algo));
        return Ok(Reply::new(code::BAD_ARGS, text));
    };
    let v = s.resolve(path)?;
    let (mut file, _) = s.cfg.root.open_file(&v)?;
    let hex = digest::digest(&mut file, algo).map_err(|e| Error::io_path(&v.to_bytes(), &e))?;
    let algo = algo.name().to_string();
    Ok(Checksum { algo, hex }.reply())
}
