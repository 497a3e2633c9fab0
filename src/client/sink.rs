//! Local ends that are not a plain file in a directory: where `get` writes
//! when the user names standard output (`-`), a FIFO or a character device
//! (written as a stream, as the bytes come: no partial file, no rename),
//! the rules that keep a download from replacing a link or a special file,
//! the check that its directory takes new files before the server is asked
//! for a byte, and the anonymous temporary file that holds standard input
//! for `put -` (the protocol announces an upload's length before its bytes).

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::compare::Flags;
use super::names::os_path;
use crate::error::{Cause, Error};
use crate::sys::{self, Open};

/// Bytes read from standard input at a time for `put -`.
const SPOOL_BUFFER_BYTES: usize = 64 * 1024;

/// The word that names standard input or output.
pub const STDIO: &[u8] = b"-";

/// Why a link at the destination is refused.
const LINK_REFUSED: Cause =
    Cause::Refused("a symbolic link, never replaced (name its target, or '-' for standard output)");

/// Where a single `get` writes.
pub enum Target {
    /// A regular file, new or replaced: through a partial file beside it.
    File(PathBuf),
    /// A stream written as the data comes: standard output, or the FIFO or
    /// character device at `shown`, open.
    Stream {
        /// What messages call it.
        shown: Vec<u8>,
        /// The open stream.
        file: File,
    },
}

/// The destination of `get REMOTE [LOCAL]`, where `name` is the last name
/// of REMOTE: `-` (standard output); a directory, which receives `name`
/// (a LOCAL ending in `/` must be one); or a path. An existing FIFO or
/// character device there, or a link to one, is opened as a stream; any
/// other link, a block device or a socket is refused, with or without
/// `-f`; an existing file needs `-f` (or `-c`, `-u`, which the planner
/// weighs). A new file's directory must take new files. Nothing is asked
/// of the server before this passes.
pub fn get_target(local: Option<&[u8]>, name: &[u8], flags: Flags) -> Result<Target, Error> {
    let path = match local {
        Some(STDIO) => return stdout_stream(flags),
        Some(l) if l.ends_with(b"/") || os_path(l).is_dir() => match fs::metadata(os_path(l)) {
            Ok(m) if m.is_dir() => os_path(l).join(std::ffi::OsStr::from_bytes(name)),
            Ok(_) => return Err(Error::path(l, Cause::NotDir)),
            Err(e) => return Err(Error::io_path(l, &e)),
        },
        Some(l) => os_path(l),
        None => os_path(name),
    };
    let shown = path.as_os_str().as_bytes().to_vec();
    match fs::symlink_metadata(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io_path(&shown, &e)),
        Ok(m) if m.is_dir() => return Err(Error::path(&shown, Cause::IsDir)),
        Ok(m) if m.is_file() => {
            if !(flags.force || flags.resume || flags.update) {
                return Err(Error::path(&shown, Cause::Exists));
            }
        }
        Ok(m) => return special(path, shown, m.file_type().is_symlink(), flags),
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    check_dir(dir)?;
    Ok(Target::File(path))
}

/// An existing link or special file named as a download's destination: a
/// FIFO or character device, or a link to one, is written into; anything
/// else is never replaced.
fn special(path: PathBuf, shown: Vec<u8>, link: bool, flags: Flags) -> Result<Target, Error> {
    if !sys::is_stream(&path).unwrap_or(false) {
        let cause = if link { LINK_REFUSED } else { Cause::Special };
        return Err(Error::path(&shown, cause));
    }
    no_resume(&shown, flags)?;
    match sys::open_stream(&path) {
        Ok(file) => Ok(Target::Stream { shown, file }),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(Error::path(
            &shown,
            Cause::Refused("a FIFO that no process reads"),
        )),
        Err(e) if e.kind() == io::ErrorKind::Unsupported => {
            Err(Error::path(&shown, Cause::Special))
        }
        Err(e) => Err(Error::io_path(&shown, &e)),
    }
}

/// Standard output as a download's stream.
fn stdout_stream(flags: Flags) -> Result<Target, Error> {
    no_resume(b"-", flags)?;
    let fd = io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| Error::Io("cannot write to standard output".into(), e))?;
    Ok(Target::Stream {
        shown: b"standard output".to_vec(),
        file: File::from(fd),
    })
}

/// A stream cannot be continued or compared.
fn no_resume(shown: &[u8], flags: Flags) -> Result<(), Error> {
    if flags.resume || flags.update || flags.recursive {
        return Err(Error::path(
            shown,
            Cause::Refused("-c, -u and -r need a file or directory to write"),
        ));
    }
    Ok(())
}

/// The directory downloads go in must exist and take new files, so that
/// they fail before any byte moves rather than after.
pub fn check_dir(dir: &Path) -> Result<(), Error> {
    sys::check_writable_dir(dir).map_err(|e| Error::io_path(dir.as_os_str().as_bytes(), &e))
}

/// Standard input read to its end into a file with no name in the
/// temporary directory (`$TMPDIR`, else `/tmp`), positioned at its start:
/// an upload's length goes before its bytes, and memory stays small
/// whatever comes. Where the file system has no nameless files, a new one
/// is made and its name removed at once.
pub fn spool_stdin() -> Result<File, Error> {
    let tmp = std::env::temp_dir();
    let shown = tmp.as_os_str().as_bytes().to_vec();
    let fail = |e: io::Error| {
        Error::Io(
            format!(
                "cannot hold standard input in '{}'",
                crate::wire::escape(&shown)
            ),
            e,
        )
    };
    let dir = sys::open_dir(&tmp).map_err(fail)?;
    let fd = match sys::open_anonymous(dir.as_fd()) {
        Ok(fd) => fd,
        Err(e) if e.kind() == io::ErrorKind::Unsupported => {
            let random: [u8; 8] = sys::random().map_err(fail)?;
            let name: String = random.iter().map(|b| format!("{b:02x}")).collect();
            let name = format!(".rftp-stdin.{name}");
            let fd = sys::open_at(dir.as_fd(), name.as_bytes(), Open::CreateNew).map_err(fail)?;
            sys::unlink_at(dir.as_fd(), name.as_bytes(), false).map_err(fail)?;
            fd
        }
        Err(e) => return Err(fail(e)),
    };
    let mut file = File::from(fd);
    // A plain loop: io::copy's kernel-copy machinery costs kilobytes.
    let mut buf = vec![0u8; SPOOL_BUFFER_BYTES];
    let mut stdin = io::stdin().lock();
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::Io("cannot read standard input".into(), e)),
        };
        file.write_all(buf.get(..n).unwrap_or_default())
            .map_err(fail)?;
    }
    file.seek(SeekFrom::Start(0)).map_err(fail)?;
    Ok(file)
}
