//! `sum` and `lsum`: checksums of remote files (computed on the server by
//! SUM, asked for pipelined) and of local files, printed on stdout as
//! `sha256sum` prints them (`HEX  NAME`), so that `sha256sum -c` can check a
//! copy. `-a crc32` prints CRC-32s in the same layout.

use std::fs::File;

use super::names::os_path;
use super::pipeline::exchange_all;
use super::session::Client;
use super::show::print_out;
use crate::error::{Cause, Error};
use crate::fs::digest::{self, Algo};
use crate::wire::{Checksum, Request, code, escape};

/// The algorithm `-a` names; SHA-256 without it.
fn algo(name: Option<&[u8]>) -> Result<Algo, Error> {
    let Some(name) = name else {
        return Ok(Algo::Sha256);
    };
    Algo::parse(name).ok_or_else(|| {
        Error::Usage(format!(
            "unknown algorithm '{}' (crc32, sha256)",
            escape(name)
        ))
    })
}

/// One output line, `HEX  NAME`.
fn line(hex: &str, name: &[u8]) -> String {
    format!("{hex}  {}\n", escape(name))
}

/// `sum [-a ALGO] FILE...`: every file's checksum from the server.
pub fn sum(cl: &mut Client, algo_name: Option<&[u8]>, paths: &[&[u8]]) -> Result<(), Error> {
    let algo = algo(algo_name)?;
    let requests: Vec<Request> = paths
        .iter()
        .map(|p| Request::Sum {
            path: p.to_vec(),
            algo: algo.name().as_bytes().to_vec(),
        })
        .collect();
    let mut failed = None;
    for (path, reply) in paths.iter().zip(exchange_all(cl, &requests)?) {
        match Checksum::parse(&reply.text) {
            Some(c) if reply.code == code::STAT && c.algo == algo.name() => {
                print_out(line(&c.hex, path).as_bytes())?
            }
            _ => {
                crate::out::err_line(&format!("rftp: sum: {}", Error::Remote(reply)));
                failed = Some(Error::path(path, Cause::Refused("no checksum")));
            }
        }
    }
    failed.map_or(Ok(()), Err)
}

/// `lsum [-a ALGO] FILE...`: every local file's checksum.
pub fn lsum(algo_name: Option<&[u8]>, paths: &[&[u8]]) -> Result<(), Error> {
    let algo = algo(algo_name)?;
    let mut failed = None;
    for path in paths {
        let hex = File::open(os_path(path)).and_then(|mut f| digest::digest(&mut f, algo));
        match hex {
            Ok(hex) => print_out(line(&hex, path).as_bytes())?,
            Err(e) => {
                let e = Error::io_path(path, &e);
                crate::out::err_line(&format!("rftp: lsum: {e}"));
                failed = Some(e);
            }
        }
    }
    failed.map_or(Ok(()), Err)
}
