//! Raw-socket attackers and racing clients. The basic protocol gets garbage,
//! overlong lines, lying uploads, broken framing, and clients that vanish,
//! stall, trickle or come too many at once; the newer commands (CRC, PARTIAL,
//! STOR with an offset, the partial-file lock, COMPRESS and RETR's encoding)
//! get paths out of the root, special files, bad arguments and races. After
//! each attack the server must still serve an ordinary client, nothing
//! outside the root may be read, written or revealed, and no real name may
//! hold what should not be there.
//!
//! This file only lists the modules; the helpers are `crate::raw` (speaking
//! the wire by hand) and `crate::fixture` (a root with ways out of it).

mod compress;
mod crc;
mod crowds;
mod lines;
mod locking;
mod partial;
mod partial_names;
mod stor_offset;
mod uploads;
