//! Every operating-system call that std lacks, on `rustix`: opening and
//! inspecting names relative to open directories (`openat2`, `openat`,
//! `fstatat`, `mkdirat`, `unlinkat`, `renameat2`, `linkat`, `readlinkat`,
//! `getdents`), times and modes (`futimens`, `fchmod`, `umask`), file locks,
//! the terminal (key-at-a-time mode, echo, width; Ctrl-C and Ctrl-Z sent to
//! ourselves), and the netlink dump that lists interface addresses. The only module
//! that names `rustix`; callers get std types (`OwnedFd`, `File`,
//! `io::Error`) and `Meta`. No policy here: the jail lives in `fs`.
//! Also, for the client: the terminal's signal keys turned into bytes while
//! a command runs, waiting on two descriptors (`poll`), signals sent to
//! ourselves, and the streams and directories a download may be written to.

#[cfg(not(any(target_os = "linux", target_os = "android")))]
compile_error!("rftp supports Linux only (openat2, renameat2 and linkat by descriptor)");

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags, RenameFlags, ResolveFlags};
use rustix::io::Errno;

/// What `fstatat` says of a name, in the parts rftp uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// What the name is.
    pub kind: MetaKind,
    /// Permission bits (`0o7777` at most).
    pub mode: u32,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, seconds since 1970 UTC.
    pub mtime: i64,
    /// Nanoseconds within `mtime`.
    pub mtime_nsec: u32,
    /// Device and inode: the file's identity.
    pub id: (u64, u64),
    /// How many names the file has (hard links).
    pub links: u64,
}

/// The type of a file as `Meta` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaKind {
    /// A directory.
    Dir,
    /// A regular file.
    File,
    /// A symbolic link (only when links are not followed).
    Link,
    /// A FIFO, socket or device node.
    Special,
}

impl Meta {
    fn from_stat(st: &rustix::fs::Stat) -> Meta {
        let kind = match FileType::from_raw_mode(st.st_mode) {
            FileType::Directory => MetaKind::Dir,
            FileType::RegularFile => MetaKind::File,
            FileType::Symlink => MetaKind::Link,
            _ => MetaKind::Special,
        };
        Meta {
            kind,
            mode: st.st_mode & 0o7777,
            size: u64::try_from(st.st_size).unwrap_or(0),
            mtime: st.st_mtime,
            mtime_nsec: u32::try_from(st.st_mtime_nsec).unwrap_or(0),
            #[allow(clippy::useless_conversion)] // u64 on some targets only
            id: (u64::from(st.st_dev), u64::from(st.st_ino)),
            #[allow(clippy::useless_conversion)] // u64 on some targets only
            links: u64::from(st.st_nlink),
        }
    }
}

/// How `open_at` opens a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// An existing directory, for reading its entries and as a base.
    Dir,
    /// An existing file, read-only.
    Read,
    /// An existing file, for reading and writing.
    ReadWrite,
    /// A new file for reading and writing, mode 0666 less the umask; fails
    /// with `AlreadyExists` when the name is taken, so nothing that is there
    /// already is ever opened.
    CreateNew,
}

impl Open {
    fn flags(self) -> OFlags {
        // Never through a link at the last step, never blocking on a FIFO,
        // never taking a terminal as the controlling one.
        let always = OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY;
        always
            | match self {
                Open::Dir => OFlags::RDONLY | OFlags::DIRECTORY,
                Open::Read => OFlags::RDONLY,
                Open::ReadWrite => OFlags::RDWR,
                Open::CreateNew => OFlags::RDWR | OFlags::CREATE | OFlags::EXCL,
            }
    }
}

/// Open `name` in `dir`, never following a link at the last step.
pub fn open_at(dir: BorrowedFd<'_>, name: &[u8], how: Open) -> io::Result<OwnedFd> {
    Ok(rustix::fs::openat(
        dir,
        name,
        how.flags(),
        Mode::from_raw_mode(0o666),
    )?)
}

/// A new file in `dir` with no name (`O_TMPFILE`), for reading and
/// writing, mode 0666 less the umask, until `link_fd` gives it one. Fails
/// with `Unsupported` where the file system or kernel has no such files.
pub fn open_anonymous(dir: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    let flags = OFlags::CLOEXEC | OFlags::RDWR | OFlags::TMPFILE | OFlags::NOCTTY;
    match rustix::fs::openat(dir, c".", flags, Mode::from_raw_mode(0o666)) {
        Ok(fd) => Ok(fd),
        // EOPNOTSUPP: not on this file system; EISDIR: a kernel before 3.11.
        Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => {
            Err(io::ErrorKind::Unsupported.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Open the directory at `path`, following links (a path the user gave).
pub fn open_dir(path: &std::path::Path) -> io::Result<OwnedFd> {
    let flags = OFlags::CLOEXEC | OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NONBLOCK;
    Ok(rustix::fs::open(path, flags, Mode::empty())?)
}

/// The outcome of `open_dir_beneath`.
pub enum Beneath {
    /// The directory, opened.
    Opened(OwnedFd),
    /// The kernel refused to resolve it beneath `dir` (a link out of it, an
    /// absolute link, or `openat2` unavailable): walk it by hand instead.
    Walk,
}

/// Open the directory `path` (a relative path) beneath `dir` with `openat2`:
/// `RESOLVE_BENEATH` keeps every step, links included, inside `dir`, and
/// `RESOLVE_NO_MAGICLINKS` refuses `/proc`-style links.
pub fn open_dir_beneath(dir: BorrowedFd<'_>, path: &[u8]) -> io::Result<Beneath> {
    let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
    let flags = OFlags::CLOEXEC | OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NONBLOCK;
    match rustix::fs::openat2(dir, path, flags, Mode::empty(), resolve) {
        Ok(fd) => Ok(Beneath::Opened(fd)),
        // EXDEV: a step would leave `dir`; ENOSYS, EPERM (seccomp), E2BIG:
        // no usable openat2; EAGAIN: a rename raced the lookup.
        Err(Errno::XDEV | Errno::NOSYS | Errno::PERM | Errno::TOOBIG | Errno::AGAIN) => {
            Ok(Beneath::Walk)
        }
        Err(e) => Err(e.into()),
    }
}

/// What `name` in `dir` is, without following a link.
pub fn stat_at(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<Meta> {
    let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
    Ok(Meta::from_stat(&st))
}

/// What an open file is.
pub fn stat_fd(fd: impl AsFd) -> io::Result<Meta> {
    Ok(Meta::from_stat(&rustix::fs::fstat(fd)?))
}

/// The target of the link `name` in `dir`.
pub fn read_link_at(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<Vec<u8>> {
    Ok(rustix::fs::readlinkat(dir, name, Vec::new())?.into_bytes())
}

/// Make the directory `name` in `dir` (mode 0777 less the umask).
pub fn mkdir_at(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    Ok(rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o777))?)
}

/// Remove `name` from `dir`: an empty directory when `is_dir`, else a
/// file or link.
pub fn unlink_at(dir: BorrowedFd<'_>, name: &[u8], is_dir: bool) -> io::Result<()> {
    let flags = if is_dir {
        AtFlags::REMOVEDIR
    } else {
        AtFlags::empty()
    };
    Ok(rustix::fs::unlinkat(dir, name, flags)?)
}

/// Rename `from` in `from_dir` to `to` in `to_dir`. Without `replace` it
/// fails with `AlreadyExists` when `to` exists, atomically
/// (`RENAME_NOREPLACE`); a file system without that flag gets
/// `Unsupported`.
pub fn rename_at(
    from_dir: BorrowedFd<'_>,
    from: &[u8],
    to_dir: BorrowedFd<'_>,
    to: &[u8],
    replace: bool,
) -> io::Result<()> {
    let flags = if replace {
        RenameFlags::empty()
    } else {
        RenameFlags::NOREPLACE
    };
    match rustix::fs::renameat_with(from_dir, from, to_dir, to, flags) {
        Ok(()) => Ok(()),
        Err(Errno::INVAL) if !replace => Err(io::ErrorKind::Unsupported.into()),
        Err(e) => Err(e.into()),
    }
}

/// Give the open file `file` the name `name` in `dir`, failing with
/// `AlreadyExists` when it is taken: the file itself, never whatever holds
/// some name by now (`linkat` with `AT_EMPTY_PATH`). Kernels before 6.10
/// allow that only with `CAP_DAC_READ_SEARCH`; they get `PermissionDenied`.
pub fn link_fd(file: &File, dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    match rustix::fs::linkat(file, c"", dir, name, AtFlags::EMPTY_PATH) {
        Ok(()) => Ok(()),
        // ENOENT is what a kernel says when AT_EMPTY_PATH is not allowed.
        Err(Errno::NOENT | Errno::PERM) => Err(io::ErrorKind::PermissionDenied.into()),
        Err(e) => Err(e.into()),
    }
}

/// Hard-link `from` in `from_dir` as `to` in `to_dir`, failing when `to`
/// exists; links are not followed.
pub fn link_at(
    from_dir: BorrowedFd<'_>,
    from: &[u8],
    to_dir: BorrowedFd<'_>,
    to: &[u8],
) -> io::Result<()> {
    Ok(rustix::fs::linkat(
        from_dir,
        from,
        to_dir,
        to,
        AtFlags::empty(),
    )?)
}

/// One entry of a directory read by `DirStream`.
pub struct DirEntry {
    /// Its name (never `.` or `..`).
    pub name: Vec<u8>,
    /// Whether the directory says it is a directory (`d_type`), a link, or
    /// something to `stat_at` to learn.
    pub hint: Option<MetaKind>,
}

/// The entries of an open directory, read again from the start by each
/// `each` (`getdents` on the directory's own descriptor: give it one that no
/// one else reads, since they share the position).
pub struct DirStream(rustix::fs::Dir);

impl DirStream {
    /// Read the directory `dir` is open on, through a second descriptor.
    pub fn new(dir: BorrowedFd<'_>) -> io::Result<DirStream> {
        Ok(DirStream(rustix::fs::Dir::new(dir.try_clone_to_owned()?)?))
    }

    /// Call `each` for every entry from the start, skipping `.` and `..`;
    /// stops at the first error, of reading or of `each`.
    pub fn each(&mut self, mut each: impl FnMut(DirEntry) -> io::Result<()>) -> io::Result<()> {
        self.0.rewind();
        while let Some(item) = self.0.read() {
            let item = item?;
            let name = item.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let hint = match item.file_type() {
                FileType::Directory => Some(MetaKind::Dir),
                FileType::RegularFile => Some(MetaKind::File),
                FileType::Symlink => Some(MetaKind::Link),
                FileType::Unknown => None,
                _ => Some(MetaKind::Special),
            };
            each(DirEntry {
                name: name.to_vec(),
                hint,
            })?;
        }
        Ok(())
    }
}

/// `N` bytes from the OS's random source (`/dev/urandom`): the one place
/// rftp takes randomness from (nonces, CPace scalars, passwords, ids).
pub fn random<const N: usize>() -> io::Result<[u8; N]> {
    use std::io::Read;
    let mut out = [0u8; N];
    File::open("/dev/urandom")?.read_exact(&mut out)?;
    Ok(out)
}

/// Take an exclusive lock on `file` without waiting; `ResourceBusy` when
/// another open file holds it.
pub fn try_lock(file: &File) -> io::Result<()> {
    match rustix::fs::flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(()),
        Err(Errno::WOULDBLOCK) => Err(io::ErrorKind::ResourceBusy.into()),
        Err(e) => Err(e.into()),
    }
}

/// Set a file's (or directory's) modification time to `secs`.`nsec`,
/// leaving its access time alone (`futimens`).
pub fn set_mtime(fd: impl AsFd, secs: i64, nsec: u32) -> io::Result<()> {
    let omit = rustix::fs::Timespec {
        tv_sec: 0,
        tv_nsec: rustix::fs::UTIME_OMIT,
    };
    let times = rustix::fs::Timestamps {
        last_access: omit,
        last_modification: rustix::fs::Timespec {
            tv_sec: secs,
            tv_nsec: rustix::fs::Nsecs::from(nsec),
        },
    };
    Ok(rustix::fs::futimens(fd, &times)?)
}

/// Set a file's permission bits exactly (`fchmod`: no umask applies).
pub fn set_mode(fd: impl AsFd, mode: u32) -> io::Result<()> {
    Ok(rustix::fs::fchmod(fd, Mode::from_raw_mode(mode))?)
}

/// The CPUs this process may run on (its affinity mask), at least 1.
/// Lighter than `std::thread::available_parallelism`, which also reads
/// cgroup quotas (10 KB of code); callers bound what they do with it.
pub fn cpus() -> usize {
    rustix::thread::sched_getaffinity(None).map_or(1, |set| (set.count() as usize).max(1))
}

/// The process's umask. Reading it means setting it, so call this once,
/// before any thread that creates files starts.
pub fn umask() -> u32 {
    let old = rustix::process::umask(Mode::from_raw_mode(0o077));
    rustix::process::umask(old);
    old.as_raw_mode()
}

/// A terminal's settings, saved by `keys_mode` for `restore`.
pub struct TermState(rustix::termios::Termios);

/// Put the terminal `fd` in key-at-a-time mode, for a line editor or a
/// password: no echo, no line editing by the kernel, no signal keys (Ctrl-C,
/// Ctrl-Z and Ctrl-\ arrive as bytes), no flow control, Return not turned
/// into a newline; output is still processed (`\n` moves to the next line's
/// start). Reads wait for one byte. `None` when `fd` is no terminal.
pub fn keys_mode(fd: BorrowedFd<'_>) -> Option<TermState> {
    use rustix::termios::{InputModes, LocalModes, SpecialCodeIndex};
    let saved = rustix::termios::tcgetattr(fd).ok()?;
    let mut keys = saved.clone();
    keys.local_modes
        .remove(LocalModes::ECHO | LocalModes::ICANON | LocalModes::ISIG | LocalModes::IEXTEN);
    keys.input_modes
        .remove(InputModes::ICRNL | InputModes::INLCR | InputModes::IXON | InputModes::ISTRIP);
    keys.special_codes[SpecialCodeIndex::VMIN] = 1;
    keys.special_codes[SpecialCodeIndex::VTIME] = 0;
    rustix::termios::tcsetattr(fd, rustix::termios::OptionalActions::Now, &keys).ok()?;
    Some(TermState(saved))
}

/// Make reads of the terminal `fd`, in `keys_mode`, give up after `tenths`
/// of a second without a byte (a read of 0 bytes), or with `None` wait for
/// one again.
pub fn key_timeout(fd: BorrowedFd<'_>, tenths: Option<u8>) -> io::Result<()> {
    use rustix::termios::SpecialCodeIndex;
    let mut t = rustix::termios::tcgetattr(fd)?;
    t.special_codes[SpecialCodeIndex::VMIN] = u8::from(tenths.is_none());
    t.special_codes[SpecialCodeIndex::VTIME] = tenths.unwrap_or(0);
    Ok(rustix::termios::tcsetattr(
        fd,
        rustix::termios::OptionalActions::Now,
        &t,
    )?)
}

/// Put back the settings `keys_mode` saved.
pub fn restore(fd: BorrowedFd<'_>, state: &TermState) {
    let _ = rustix::termios::tcsetattr(fd, rustix::termios::OptionalActions::Now, &state.0);
}

/// Whether the terminal `fd` echoes what is typed (`None`: no terminal).
pub fn echoes(fd: BorrowedFd<'_>) -> Option<bool> {
    let t = rustix::termios::tcgetattr(fd).ok()?;
    Some(t.local_modes.contains(rustix::termios::LocalModes::ECHO))
}

/// The width of the terminal `fd` in columns (`TIOCGWINSZ`); `None` when
/// it is no terminal or does not say.
pub fn columns(fd: BorrowedFd<'_>) -> Option<usize> {
    let size = rustix::termios::tcgetwinsize(fd).ok()?;
    (size.ws_col > 0).then_some(usize::from(size.ws_col))
}

/// Stop this process as Ctrl-Z does (`SIGTSTP` to itself); returns once it
/// is continued (`fg`).
pub fn suspend() {
    use rustix::process::{Signal, getpid, kill_process};
    let _ = kill_process(getpid(), Signal::TSTP);
}

/// End this process as Ctrl-C does (`SIGINT` to itself), so that a parent
/// shell sees an interrupt; returns only when `SIGINT` is ignored.
pub fn interrupt() {
    use rustix::process::{Signal, getpid, kill_process};
    let _ = kill_process(getpid(), Signal::INT);
}

/// Longest wait for one netlink reply datagram.
const NETLINK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);
/// Most datagrams one netlink dump may take (a bound, never reached).
const MAX_NETLINK_DATAGRAMS: usize = 1024;
/// Size of the netlink receive buffer, in bytes (the kernel's page-sized
/// dump messages fit).
const NETLINK_BUFFER_BYTES: usize = 32 * 1024;

/// Send `request` to the kernel on a `NETLINK_ROUTE` socket and hand each
/// reply datagram to `take` until it returns true (the dump is over).
pub fn netlink_dump(request: &[u8], mut take: impl FnMut(&[u8]) -> bool) -> io::Result<()> {
    use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketType};
    let fd = rustix::net::socket(AddressFamily::NETLINK, SocketType::RAW, None)?;
    rustix::net::sockopt::set_socket_timeout(
        &fd,
        rustix::net::sockopt::Timeout::Recv,
        Some(NETLINK_TIMEOUT),
    )?;
    // Unbound and unconnected, a netlink socket sends to the kernel.
    rustix::net::send(&fd, request, SendFlags::empty())?;
    let mut buf = vec![0u8; NETLINK_BUFFER_BYTES];
    for _ in 0..MAX_NETLINK_DATAGRAMS {
        let (n, _) = rustix::net::recv(&fd, &mut buf[..], RecvFlags::empty())?;
        if n == 0 || take(buf.get(..n).unwrap_or_default()) {
            return Ok(());
        }
    }
    Ok(())
}

/// Turn the signal keys of the terminal `fd` into bytes while a command
/// runs: Ctrl-C, Ctrl-Z and Ctrl-\\ arrive as 0x03, 0x1a and 0x1c instead of
/// signals, keys are not echoed and each is readable at once (no line
/// mode); output is processed as before. `None` when `fd` is no terminal.
/// `restore` puts the settings back.
pub fn signal_keys_off(fd: BorrowedFd<'_>) -> Option<TermState> {
    use rustix::termios::{LocalModes, SpecialCodeIndex};
    let saved = rustix::termios::tcgetattr(fd).ok()?;
    let mut keys = saved.clone();
    keys.local_modes
        .remove(LocalModes::ECHO | LocalModes::ICANON | LocalModes::ISIG | LocalModes::IEXTEN);
    keys.special_codes[SpecialCodeIndex::VMIN] = 1;
    keys.special_codes[SpecialCodeIndex::VTIME] = 0;
    rustix::termios::tcsetattr(fd, rustix::termios::OptionalActions::Now, &keys).ok()?;
    Some(TermState(saved))
}

/// Wait until `a` or `b` can be read (or has hung up); says which.
pub fn wait_readable(a: BorrowedFd<'_>, b: BorrowedFd<'_>) -> io::Result<(bool, bool)> {
    use rustix::event::{PollFd, PollFlags, poll};
    let ready = PollFlags::IN | PollFlags::HUP | PollFlags::ERR;
    let mut fds = [
        PollFd::from_borrowed_fd(a, PollFlags::IN),
        PollFd::from_borrowed_fd(b, PollFlags::IN),
    ];
    loop {
        match poll(&mut fds, None) {
            Ok(_) => break,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok((
        fds[0].revents().intersects(ready),
        fds[1].revents().intersects(ready),
    ))
}

/// A signal the client sends itself for a key that the terminal, with its
/// signal keys off, no longer turns into one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnSignal {
    /// Ctrl-Z: stop (`SIGTSTP`); returns once continued.
    Stop,
    /// Ctrl-\\: quit (`SIGQUIT`).
    Quit,
}

/// Send `signal` to this process.
pub fn raise(signal: OwnSignal) {
    use rustix::process::{Signal, getpid, kill_process};
    let sig = match signal {
        OwnSignal::Stop => Signal::TSTP,
        OwnSignal::Quit => Signal::QUIT,
    };
    let _ = kill_process(getpid(), sig);
}

/// Open the FIFO or character device at `path` (links followed: the user
/// named it) for writing as a stream: nothing created or truncated, never
/// becoming the controlling terminal. A FIFO with no reader fails at once
/// (`BrokenPipe`, from `ENXIO`) instead of waiting for one; writes then
/// block as usual. Anything else found there, by the time it is open, is
/// refused (`Unsupported`).
pub fn open_stream(path: &std::path::Path) -> io::Result<File> {
    let flags = OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
    let fd = match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NXIO) => return Err(io::ErrorKind::BrokenPipe.into()),
        Err(e) => return Err(e.into()),
    };
    match FileType::from_raw_mode(rustix::fs::fstat(&fd)?.st_mode) {
        FileType::Fifo | FileType::CharacterDevice => {}
        _ => return Err(io::ErrorKind::Unsupported.into()),
    }
    let flags = rustix::fs::fcntl_getfl(&fd)?;
    rustix::fs::fcntl_setfl(&fd, flags - OFlags::NONBLOCK)?;
    Ok(File::from(fd))
}

/// What `path` is, following links: a FIFO or character device (a stream
/// to write into), or something else.
pub fn is_stream(path: &std::path::Path) -> io::Result<bool> {
    let st = rustix::fs::stat(path)?;
    Ok(matches!(
        FileType::from_raw_mode(st.st_mode),
        FileType::Fifo | FileType::CharacterDevice
    ))
}

/// Whether this process may make files in the directory `path`: `Ok` when
/// it may, else the reason (`NotFound`, `PermissionDenied`, a read-only
/// file system, not a directory).
pub fn check_writable_dir(path: &std::path::Path) -> io::Result<()> {
    use rustix::fs::Access;
    let st = rustix::fs::stat(path)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::Directory {
        return Err(io::ErrorKind::NotADirectory.into());
    }
    Ok(rustix::fs::access(
        path,
        Access::WRITE_OK | Access::EXEC_OK,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn rename_without_replace_refuses_an_existing_target() {
        let dir = std::env::temp_dir().join(format!("rftp-sys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("a")).unwrap();
        std::fs::create_dir_all(dir.join("b")).unwrap();
        let d = File::open(&dir).unwrap();
        let err = rename_at(d.as_fd(), b"a", d.as_fd(), b"b", false).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        rename_at(d.as_fd(), b"a", d.as_fd(), b"c", false).unwrap();
        assert!(dir.join("c").is_dir() && dir.join("b").is_dir());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
