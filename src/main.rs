//! rftp: one binary, both ends of a file transfer. This file only parses the
//! command line, checks option conflicts, and hands over to the server or the
//! client; it owns the exit status and the `rftp: …` error line.

use std::ffi::OsString;
use std::io::{self, BufRead, Read};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use rftp::error::Error;
use rftp::out::Verbosity;
use rftp::{DEFAULT_PORT, client, fs, out, server};
/// User name used when none is given, on both ends.
const DEFAULT_USER: &str = "rftp";
/// Default `--max-clients`.
const DEFAULT_MAX_CLIENTS: usize = 64;
/// Default `--idle-timeout`, in seconds.
const DEFAULT_IDLE_TIMEOUT_SECS: u64 = 300;
/// Longest password file read, in bytes.
const MAX_PASSWORD_FILE_BYTES: u64 = 4096;

const USAGE: &str = "\
usage: rftp -l [ADDR:]PORT [-r DIR] [-u NAME] [--password-file FILE] [--read-only]
                [--max-clients N] [--idle-timeout SECS] [--limit RATE] [--no-announce]
                [--plain] [-q | -v]
       rftp -c [HOST[:PORT]] [-u NAME] [--password-file FILE] [-b FILE] [--limit RATE]
                [--no-keep] [--plain] [-q | -v] [COMMAND...]
       rftp --find
       rftp -h | --help
       rftp -V | --version

Serve:
  -l, --listen [ADDR:]PORT  listen (default port 2121; no ADDR: every interface, IPv4 and IPv6;
                            a link-local ADDR takes its zone: '[fe80::1%eth0]:2121')
  -r, --root DIR            directory to serve (default: the current directory)
  -u, --user NAME           the user name clients log in with (default: rftp)
  --password-file FILE      read the password from the first line of FILE
                            (default: $RFTP_PASSWORD, else a random one, printed)
  --read-only               refuse every command that writes
  --max-clients N           most clients at once; more are refused (default: 64)
  --idle-timeout SECS       close connections idle this long (default: 300)
  --limit RATE              cap each session's payloads at RATE bytes/s
                            (K, M, G: powers of 1024; default: no cap)
  --no-announce             do not answer discovery probes (UDP, same port)
  --plain                   protocol 1: no encryption, the password in clear
                            (default: protocol 2, CPace login and AEAD records)
  -q, --quiet               no log on stderr
  -v, --verbose             log every command too

Connect:
  -c, --connect HOST[:PORT] log in to the server at HOST (default port 2121); HOST may be
                            fe80::1%eth0 or [fe80::1%eth0]:PORT; no HOST, 'auto' or :PORT:
                            find the server on the directly attached links
  --find                    list the servers on the directly attached links (port 2121)
  -u, --user NAME           user name (default: rftp)
  --password-file FILE      read the password from the first line of FILE
                            (default: $RFTP_PASSWORD, else asked for)
  -b, --batch FILE          read commands from FILE instead of standard input
  --limit RATE              cap payloads both ways at RATE bytes/s (e.g. 10M, 500K)
  --no-keep                 do not keep modification times and permission bits
  --plain                   protocol 1, for a server started with --plain
                            (default: protocol 2; never falls back by itself)
  -q, --quiet               no transfer summaries
  -v, --verbose             show every reply from the server
  COMMAND...                run this one command and exit

  -h, --help                print this help
  -V, --version             print the version

Exit status of the client: 0 success, 1 a command failed, 2 bad usage,
3 could not connect or log in. See rftp(1).
";

/// What the command line asked for.
enum Mode {
    Help,
    Version,
    Serve(server::Config),
    Connect(client::Options),
    /// `--find`: list the servers on the directly attached links.
    Find,
}

fn main() -> ExitCode {
    let outcome = parse_args().and_then(|mode| match mode {
        Mode::Help => print_data(USAGE),
        Mode::Version => print_data(&format!(
            "rftp {} ({})\n",
            env!("CARGO_PKG_VERSION"),
            target()
        )),
        Mode::Serve(cfg) => server::run(cfg).map(|()| 0),
        Mode::Connect(opts) => Ok(client::run(opts)),
        Mode::Find => Ok(client::list_servers(rftp::DEFAULT_PORT)),
    });
    match outcome {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            out::err_line(&format!("rftp: {e}"));
            if matches!(e, Error::Usage(_)) {
                out::err_line("rftp: try 'rftp --help'");
            }
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// Print help or version text: a reader that closed the pipe early
/// (`rftp -h | head -1`) is not an error.
fn print_data(text: &str) -> Result<i32, Error> {
    match out::data(text.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(Error::Io("cannot write to standard output".into(), e))
        }
        _ => Ok(0),
    }
}

/// The target this binary was built for, e.g. `x86_64-linux-musl`.
fn target() -> String {
    let env = if cfg!(target_env = "musl") {
        "musl"
    } else if cfg!(target_env = "gnu") {
        "gnu"
    } else {
        ""
    };
    format!("{}-{}-{env}", std::env::consts::ARCH, std::env::consts::OS)
}

/// Parse the command line, then check option conflicts in one place.
fn parse_args() -> Result<Mode, Error> {
    use lexopt::prelude::*;
    let mut listen: Option<String> = None;
    let mut connect: Option<String> = None;
    let mut root: Option<PathBuf> = None;
    let mut user: Option<Vec<u8>> = None;
    let mut password_file: Option<PathBuf> = None;
    let mut read_only = false;
    let mut announce = true;
    let mut find = false;
    let mut max_clients: Option<usize> = None;
    let mut idle_timeout: Option<u64> = None;
    let mut batch: Option<PathBuf> = None;
    let mut limit: Option<u64> = None;
    let mut no_keep = false;
    let mut quiet = false;
    let mut verbose = false;
    let mut plain = false;
    let mut command: Vec<OsString> = Vec::new();
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(Mode::Help),
            Short('V') | Long("version") => return Ok(Mode::Version),
            Short('l') | Long("listen") => listen = Some(optional_port_value(&mut parser)?),
            Short('c') | Long("connect") => connect = Some(optional_host_value(&mut parser)?),
            Long("find") => find = true,
            Long("no-announce") => announce = false,
            Short('r') | Long("root") => root = Some(parser.value()?.into()),
            Short('u') | Long("user") => user = Some(os_bytes(parser.value()?)),
            Long("password-file") => password_file = Some(parser.value()?.into()),
            Long("read-only") => read_only = true,
            Long("max-clients") => max_clients = Some(parser.value()?.parse()?),
            Long("idle-timeout") => idle_timeout = Some(parser.value()?.parse()?),
            Short('b') | Long("batch") => batch = Some(parser.value()?.into()),
            Long("limit") => limit = Some(rate_value(parser.value()?)?),
            Long("no-keep") => no_keep = true,
            Short('q') | Long("quiet") => quiet = true,
            Short('v') | Long("verbose") => verbose = true,
            Long("plain") => plain = true,
            Value(v) if connect.is_some() => {
                command.push(v);
                command.extend(parser.raw_args()?);
            }
            _ => return Err(arg.unexpected().into()),
        }
    }
    let usage = |text: &str| Err(Error::Usage(text.to_string()));
    if quiet && verbose {
        return usage("-q and -v cannot be used together");
    }
    let verbosity = match (quiet, verbose) {
        (true, _) => Verbosity::Quiet,
        (_, true) => Verbosity::Verbose,
        _ => Verbosity::Normal,
    };
    if find {
        if listen.is_some() || connect.is_some() {
            return usage("--find cannot be used with -l or -c");
        }
        return Ok(Mode::Find);
    }
    match (listen, connect) {
        (Some(_), Some(_)) => usage("-l and -c cannot be used together"),
        (None, None) => usage("give -l to serve or -c to connect"),
        (Some(spec), None) => {
            if batch.is_some() || no_keep {
                return usage("-b and --no-keep are client options (use them with -c)");
            }
            let (addr, scope_id, port) = parse_listen(&spec)?;
            if max_clients == Some(0) {
                return usage("--max-clients must be at least 1");
            }
            if idle_timeout == Some(0) {
                return usage("--idle-timeout must be at least 1 second");
            }
            let password = read_password(password_file.as_deref())
                .map_err(|e| Error::Usage(format!("cannot read the password: {e}")))?;
            let (password, password_generated) = match password {
                Some(p) => (p, false),
                None => (server::generate_password()?, true),
            };
            let root = root.unwrap_or_else(|| PathBuf::from("."));
            Ok(Mode::Serve(server::Config {
                addr,
                scope_id,
                port,
                announce,
                root: fs::Root::open(&root)?,
                user: user.unwrap_or_else(|| DEFAULT_USER.as_bytes().to_vec()),
                password,
                password_generated,
                read_only,
                max_clients: max_clients.unwrap_or(DEFAULT_MAX_CLIENTS),
                idle_timeout: Duration::from_secs(
                    idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT_SECS),
                ),
                verbosity,
                limit,
                plain,
            }))
        }
        (None, Some(host)) => {
            let server_only = root.is_some() || read_only || !announce;
            if server_only || max_clients.is_some() || idle_timeout.is_some() {
                return usage(
                    "-r, --read-only, --max-clients, --idle-timeout and --no-announce are server options (use them with -l)",
                );
            }
            if batch.is_some() && !command.is_empty() {
                return usage("-b and a command on the command line cannot be used together");
            }
            let (host, port) = client::parse_host(&host).map_err(Error::Usage)?;
            Ok(Mode::Connect(client::Options {
                host,
                port,
                user: user.unwrap_or_else(|| DEFAULT_USER.as_bytes().to_vec()),
                password: read_password(password_file.as_deref())
                    .map_err(|e| Error::Usage(format!("cannot read the password: {e}")))?,
                batch,
                command: command.into_iter().map(os_bytes).collect(),
                verbosity,
                limit,
                keep: !no_keep,
                plain,
            }))
        }
    }
}

/// The value of `--limit`: a rate in bytes per second (`10M`, `500K`).
fn rate_value(value: OsString) -> Result<u64, Error> {
    let text = value.to_string_lossy().into_owned();
    rftp::rate::parse_rate(&text).ok_or_else(|| {
        Error::Usage(format!(
            "invalid rate '{text}' (want bytes per second, at least 1K, like 500K or 10M)"
        ))
    })
}

/// The value of `-l`: the next argument unless it is missing or an option,
/// in which case the default port.
fn optional_port_value(parser: &mut lexopt::Parser) -> Result<String, Error> {
    Ok(optional_value(parser)?.unwrap_or_else(|| DEFAULT_PORT.to_string()))
}

/// The value of `-c`: the next argument unless it is missing or an option,
/// in which case "" (find the server).
fn optional_host_value(parser: &mut lexopt::Parser) -> Result<String, Error> {
    Ok(optional_value(parser)?.unwrap_or_default())
}

/// An option's value given with `=` or as the next argument when that is no
/// option; `None` when there is none.
fn optional_value(parser: &mut lexopt::Parser) -> Result<Option<String>, Error> {
    use lexopt::ValueExt;
    if let Some(v) = parser.optional_value() {
        return Ok(Some(v.string()?));
    }
    let mut raw = parser.raw_args()?;
    match raw.peek().and_then(|a| a.to_str()) {
        Some(next) if !next.starts_with('-') => {
            let next = next.to_string();
            raw.next();
            Ok(Some(next))
        }
        _ => Ok(None),
    }
}

/// `PORT`, `ADDR:PORT` or `[V6ADDR[%ZONE]]:PORT`: the address, its scope id
/// (the zone's interface index, 0 for none) and the port.
fn parse_listen(spec: &str) -> Result<(Option<IpAddr>, u32, u16), Error> {
    use rftp::net::{addr, ifaces};
    let (host, port) = addr::parse_listen(spec).map_err(Error::Usage)?;
    let Some(host) = host else {
        return Ok((None, 0, port));
    };
    let (addrs, note) = addr::resolve(&host, &ifaces::list()).map_err(Error::Usage)?;
    if let Some(n) = note {
        out::err_line(&format!("rftp: {n}"));
    }
    let Some(a) = addrs.first() else {
        return Err(Error::Usage(format!("invalid listen address '{spec}'")));
    };
    let scope = match a {
        std::net::SocketAddr::V6(v6) => v6.scope_id(),
        std::net::SocketAddr::V4(_) => 0,
    };
    Ok((Some(a.ip()), scope, port))
}

/// The password from `--password-file` (its first line) or `RFTP_PASSWORD`;
/// `None` when neither is given.
fn read_password(file: Option<&std::path::Path>) -> Result<Option<Vec<u8>>, Error> {
    use std::os::unix::ffi::OsStrExt;
    let password = if let Some(path) = file {
        let shown = path.as_os_str().as_bytes();
        let f = std::fs::File::open(path).map_err(|e| Error::io_path(shown, &e))?;
        let mut line = Vec::new();
        io::BufReader::new(f.take(MAX_PASSWORD_FILE_BYTES))
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io_path(shown, &e))?;
        rftp::wire::words::strip_line_end(&mut line);
        line
    } else if let Some(p) = std::env::var_os("RFTP_PASSWORD") {
        os_bytes(p)
    } else {
        return Ok(None);
    };
    if password.is_empty() {
        return Err(Error::Usage("the password is empty".into()));
    }
    Ok(Some(password))
}

fn os_bytes(s: OsString) -> Vec<u8> {
    use std::os::unix::ffi::OsStringExt;
    s.into_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_specs() {
        assert_eq!(parse_listen("2121").unwrap(), (None, 0, 2121));
        assert_eq!(
            parse_listen("127.0.0.1:0").unwrap(),
            (Some("127.0.0.1".parse().unwrap()), 0, 0)
        );
        assert_eq!(
            parse_listen("[::1]:99").unwrap(),
            (Some("::1".parse().unwrap()), 0, 99)
        );
        assert_eq!(
            parse_listen("[::1%1]:99").unwrap(),
            (Some("::1".parse().unwrap()), 1, 99)
        );
        assert!(parse_listen("x:1").is_err());
        assert!(parse_listen("70000").is_err());
    }
}
