//! Across architectures: the static aarch64 binary that `make static` builds,
//! run under qemu user-mode emulation, against the x86_64 binary under test —
//! as the client of an x86_64 server and as the server of an x86_64 client —
//! with listings and files byte-identical to what the x86_64 client sees.
//! Where qemu-user or the aarch64 binary is missing the tests skip with a
//! reason printed past the harness's capture, unless `RFTP_CROSS_REQUIRED`
//! is set or `CI=true` (CI sets both): there a missing piece is a failure,
//! so CI cannot pass by skipping.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use crate::util::{PASSWORD, Run, Server, TempDir, data, skip_unless_ci};

/// Emulators looked for on `PATH`, in order (Debian's qemu-user and
/// qemu-user-static).
const QEMU_NAMES: [&str; 2] = ["qemu-aarch64", "qemu-aarch64-static"];
/// Where `make static` leaves the aarch64 binary, under the crate root.
const AARCH64_BIN: &str = "target/static/aarch64-unknown-linux-musl/release/rftp";
/// Environment variable naming another aarch64 binary to test.
const BIN_VAR: &str = "RFTP_AARCH64_BIN";
/// Environment variable that turns a skip into a failure.
const REQUIRED_VAR: &str = "RFTP_CROSS_REQUIRED";
/// Sizes at the 2048-byte chunk edges.
const EDGE_BYTES: [usize; 5] = [0, 1, 2047, 2048, 2049];
/// A file of several MiB, not a whole number of chunks.
const BIG_BYTES: usize = 3 * 1024 * 1024 + 5;
/// The file the client uploads.
const UP_BYTES: usize = 1024 * 1024 + 3;
/// What the client does, in one session.
const SCRIPT: &str = "ls\nls -l\ndir\nget big.bin\nput up.bin\nmget *.dat\n";
/// The listing part of `SCRIPT`, run by the x86_64 client for reference.
const LISTINGS: &str = "ls\nls -l\ndir\n";

/// The aarch64 binary and the emulator that runs it.
struct Aarch64 {
    qemu: PathBuf,
    bin: PathBuf,
}

impl Aarch64 {
    /// Both found, or `None` after printing why the test skips (or a panic
    /// when `RFTP_CROSS_REQUIRED` is set).
    fn find() -> Option<Aarch64> {
        let Some(qemu) = find_qemu() else {
            return skip(&format!(
                "none of {QEMU_NAMES:?} on PATH (apt-get install qemu-user)"
            ));
        };
        let bin = env::var_os(BIN_VAR)
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(AARCH64_BIN));
        if !bin.is_file() {
            return skip(&format!("{} is missing (make static)", bin.display()));
        }
        warn_if_stale(&bin);
        Some(Aarch64 { qemu, bin })
    }

    /// `qemu-aarch64 rftp`, ready for more arguments.
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.qemu);
        cmd.arg(&self.bin);
        cmd
    }

    /// Run the aarch64 client against `server` in `local` with `script`.
    fn client(&self, server: &Server, local: &Path, script: &str) -> Run {
        let mut cmd = self.command();
        cmd.args(["-c", &server.addr()])
            .current_dir(local)
            .env("RFTP_PASSWORD", PASSWORD);
        Run::spawn(cmd, script.as_bytes())
    }
}

/// The first emulator of `QEMU_NAMES` found on `PATH`.
fn find_qemu() -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    QEMU_NAMES.iter().find_map(|name| {
        env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Print why the test does not run and give up, or fail when it must run
/// (`RFTP_CROSS_REQUIRED` set, or `CI=true`).
#[track_caller]
fn skip(reason: &str) -> Option<Aarch64> {
    if env::var_os(REQUIRED_VAR).is_some() {
        panic!("cross-architecture test cannot run ({REQUIRED_VAR} is set): {reason}");
    }
    skip_unless_ci(&format!("cross-architecture test: {reason}"));
    None
}

/// Say so when the binary is older than the sources it was built from: it
/// still tests the wire across architectures, but not today's code.
fn warn_if_stale(bin: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let built = fs::metadata(bin).and_then(|m| m.modified()).ok();
    let newest = newest_mtime(&root.join("src"));
    if let (Some(built), Some(newest)) = (built, newest)
        && newest > built
    {
        eprintln!(
            "warning: {} is older than src/; `make static` rebuilds it",
            bin.display()
        );
    }
}

/// Latest modification time of any file under `dir`.
fn newest_mtime(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    for entry in fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let t = if path.is_dir() {
            newest_mtime(&path)
        } else {
            entry.metadata().and_then(|m| m.modified()).ok()
        };
        newest = newest.max(t);
    }
    newest
}

/// Remote files: every chunk edge, a name with a space and an emoji, one of
/// several MiB, and a directory (which `mget` must pass over).
fn fill_remote(root: &TempDir) {
    for (i, size) in EDGE_BYTES.iter().enumerate() {
        root.write(format!("edge{size}.dat"), data(*size, i as u64));
    }
    root.write("two words 🦀.dat", data(5000, 20));
    root.write("big.bin", data(BIG_BYTES, 21));
    root.write("sub/inner.dat", b"not taken by mget\n");
}

/// Names `mget *.dat` takes from the remote root.
fn dat_names() -> Vec<String> {
    let mut names: Vec<String> = EDGE_BYTES.iter().map(|s| format!("edge{s}.dat")).collect();
    names.push("two words 🦀.dat".into());
    names
}

/// Check what `SCRIPT` did: the listings on stdout equal `reference`, and
/// every file that crossed is byte-identical on both sides.
#[track_caller]
fn check_exchange(run: &Run, reference: &Run, remote: &Path, local: &TempDir) {
    run.expect(0);
    reference.expect(0);
    assert!(
        reference.out().contains("two words 🦀.dat"),
        "reference listing lacks the fixture\n{}",
        reference.dump()
    );
    assert_eq!(
        run.out(),
        reference.out(),
        "listings differ across architectures\n{}",
        run.dump()
    );
    let same = |name: &str, a: &Path, b: &Path| {
        let (a, b) = (fs::read(a.join(name)), fs::read(b.join(name)));
        assert!(
            matches!((&a, &b), (Ok(a), Ok(b)) if a == b),
            "{name:?} differs or is missing\n{}",
            run.dump()
        );
    };
    same("big.bin", remote, local.path());
    same("up.bin", remote, local.path());
    for name in dat_names() {
        same(&name, remote, local.path());
    }
    assert!(
        !local.join("inner.dat").exists(),
        "mget took a file below sub/"
    );
}

#[test]
fn version_names_the_aarch64_musl_target() {
    let Some(arm) = Aarch64::find() else { return };
    let mut cmd = arm.command();
    cmd.arg("-V");
    let run = Run::spawn(cmd, b"");
    run.expect(0);
    assert_eq!(
        run.out(),
        format!("rftp {} (aarch64-linux-musl)\n", env!("CARGO_PKG_VERSION")),
        "{}",
        run.dump()
    );
}

#[test]
fn aarch64_client_and_x86_64_server_move_identical_bytes() {
    let Some(arm) = Aarch64::find() else { return };
    let server = Server::start(&[]);
    fill_remote(&server.root);
    let reference = server.client(TempDir::new().path(), LISTINGS);
    let local = TempDir::new();
    local.write("up.bin", data(UP_BYTES, 22));
    let run = arm.client(&server, local.path(), SCRIPT);
    check_exchange(&run, &reference, server.root.path(), &local);
}

#[test]
fn x86_64_client_and_aarch64_server_move_identical_bytes() {
    let Some(arm) = Aarch64::find() else { return };
    let root = TempDir::new();
    fill_remote(&root);
    let server = Server::start_as(arm.command(), root, &[], Some(PASSWORD));
    // The reference listing comes from the aarch64 client, so the x86_64 one
    // is checked against another architecture in this direction too.
    let reference = arm.client(&server, TempDir::new().path(), LISTINGS);
    let local = TempDir::new();
    local.write("up.bin", data(UP_BYTES, 23));
    let run = server.client(local.path(), SCRIPT);
    check_exchange(&run, &reference, server.root.path(), &local);
}
