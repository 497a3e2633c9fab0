//! Requests: the command table (name, argument shape, one-line help and the
//! function that reads the arguments), the typed request it yields, and the
//! line a client sends for each. The parser, HELP and the man-page check all
//! read the one table. Bytes only.

use super::code;
use super::entry::ListOrder;
use super::number;
use super::stamp::{self, time_word};
use super::words::{self, escape, quote};

/// Most words on one command line, the command name included.
pub const MAX_WORDS: usize = 8;

/// A command's arguments, taken in order; a missing optional one is empty
/// (the table's counts were checked before).
struct Args(std::vec::IntoIter<Vec<u8>>);

impl Args {
    fn next(&mut self) -> Vec<u8> {
        self.0.next().unwrap_or_default()
    }

    /// The next argument, `None` when it was not given.
    fn optional(&mut self) -> Option<Vec<u8>> {
        Some(self.next()).filter(|a| !a.is_empty())
    }
}

/// What reads a command's arguments into its request.
type ReadArgs = fn(&mut Args) -> Result<Request, ParseError>;

/// One wire command: name, argument shape, one-line help, and how its
/// arguments become a request.
pub struct CommandSpec {
    /// Upper-case command name.
    pub name: &'static str,
    /// Argument synopsis as shown in HELP and the man page.
    pub args: &'static str,
    /// Fewest arguments.
    pub min: usize,
    /// Most arguments.
    pub max: usize,
    /// One line of help.
    pub help: &'static str,
    read: ReadArgs,
}

const fn cmd(
    name: &'static str,
    args: &'static str,
    min: usize,
    max: usize,
    help: &'static str,
    read: ReadArgs,
) -> CommandSpec {
    CommandSpec {
        name,
        args,
        min,
        max,
        help,
        read,
    }
}

/// Every command the server knows.
#[rustfmt::skip]
pub const COMMANDS: &[CommandSpec] = &[
    cmd("USER", "NAME", 1, 1, "give the user name", |a| Ok(Request::User(a.next()))),
    cmd("PASS", "PASSWORD", 1, 1, "give the password", |a| Ok(Request::Pass(a.next()))),
    cmd("PWD", "", 0, 0, "print the current directory", |_| Ok(Request::Pwd)),
    cmd("CWD", "[PATH]", 0, 1, "change directory (none: the root)", |a| Ok(Request::Cwd(a.optional()))),
    cmd("LIST", "[PATH [name|dirs]]", 0, 2, "list a directory or one file (dirs: directories first)", read_list),
    cmd("STAT", "PATH", 1, 1, "type, size and time of one path", |a| Ok(Request::Stat(a.next()))),
    cmd("RETR", "PATH [OFFSET [ENCODING]]", 1, 3, "download a file (raw or deflate)", read_retr),
    cmd("STOR", "PATH LENGTH MODE [OFFSET]", 3, 4, "upload a file", read_stor),
    cmd("CRC", "PATH LENGTH", 2, 2, "CRC-32 of a file's first bytes", read_crc),
    cmd("PARTIAL", "PATH", 1, 1, "what an interrupted upload kept", |a| Ok(Request::Partial(a.next()))),
    cmd("MTIME", "PATH TIME", 2, 2, "set a directory's modification time", read_mtime),
    cmd("SUM", "PATH ALGO", 2, 2, "checksum of a file (crc32 or sha256)", read_sum),
    cmd("COMPRESS", "PATH LEVEL MODE", 3, 3, "write PATH.gz beside PATH", read_compress),
    cmd("MKDIR", "PATH", 1, 1, "make a directory", |a| Ok(Request::Mkdir(a.next()))),
    cmd("RMDIR", "PATH", 1, 1, "remove an empty directory", |a| Ok(Request::Rmdir(a.next()))),
    cmd("DELE", "PATH", 1, 1, "remove a file", |a| Ok(Request::Dele(a.next()))),
    cmd("RENAME", "OLD NEW", 2, 2, "rename, never over an existing name", read_rename),
    cmd("HELP", "", 0, 0, "list the commands", |_| Ok(Request::Help)),
    cmd("NOOP", "", 0, 0, "do nothing", |_| Ok(Request::Noop)),
    cmd("QUIT", "", 0, 0, "close the connection", |_| Ok(Request::Quit)),
];

fn read_list(a: &mut Args) -> Result<Request, ParseError> {
    let path = a.optional();
    let order = match a.optional() {
        None => None,
        Some(word) => Some(
            ListOrder::from_word(&word)
                .ok_or_else(|| parse_error(code::BAD_ARGS, "order must be name or dirs"))?,
        ),
    };
    Ok(Request::List { path, order })
}

fn read_retr(a: &mut Args) -> Result<Request, ParseError> {
    let path = a.next();
    let offset = a.optional().map_or(Ok(0), |o| number(&o))?;
    let deflate = match &a.next()[..] {
        b"" | b"raw" => false,
        b"deflate" => true,
        _ => {
            return Err(parse_error(
                code::BAD_ARGS,
                "encoding must be raw or deflate",
            ));
        }
    };
    Ok(Request::Retr {
        path,
        offset,
        deflate,
    })
}

fn read_stor(a: &mut Args) -> Result<Request, ParseError> {
    let path = a.next();
    let length = number(&a.next())?;
    let mode = store_mode(&a.next())?;
    let offset = a.optional().map(|o| number(&o)).transpose()?;
    Ok(Request::Stor {
        path,
        length,
        mode,
        offset,
    })
}

fn read_crc(a: &mut Args) -> Result<Request, ParseError> {
    let path = a.next();
    let length = number(&a.next())?;
    Ok(Request::Crc { path, length })
}

fn read_mtime(a: &mut Args) -> Result<Request, ParseError> {
    let path = a.next();
    let time = a.next();
    let (secs, nsec) = std::str::from_utf8(&time)
        .ok()
        .and_then(stamp::parse_time)
        .ok_or_else(|| parse_error(code::BAD_ARGS, "bad time"))?;
    Ok(Request::Mtime { path, secs, nsec })
}

fn read_sum(a: &mut Args) -> Result<Request, ParseError> {
    let path = a.next();
    Ok(Request::Sum {
        path,
        algo: a.next(),
    })
}

fn read_compress(a: &mut Args) -> Result<Request, ParseError> {
    let path = a.next();
    let level = match number(&a.next())? {
        n @ 1..=9 => n as u8,
        _ => return Err(parse_error(code::BAD_ARGS, "level must be 1 to 9")),
    };
    let mode = store_mode(&a.next())?;
    Ok(Request::Compress { path, level, mode })
}

fn read_rename(a: &mut Args) -> Result<Request, ParseError> {
    let old = a.next();
    Ok(Request::Rename(old, a.next()))
}

/// How STOR treats an existing destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    /// Fail if the destination exists (`new`).
    New,
    /// Replace the destination atomically (`replace`).
    Replace,
}

impl StoreMode {
    /// The mode for a command's `-f`: replace with it, new without.
    pub fn forced(force: bool) -> StoreMode {
        if force {
            StoreMode::Replace
        } else {
            StoreMode::New
        }
    }

    /// The word for this mode on the wire.
    pub fn word(self) -> &'static str {
        match self {
            StoreMode::New => "new",
            StoreMode::Replace => "replace",
        }
    }
}

/// A parsed command line. Paths are raw bytes, as the OS allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `USER NAME`
    User(Vec<u8>),
    /// `PASS PASSWORD`
    Pass(Vec<u8>),
    /// `PWD`
    Pwd,
    /// `CWD [PATH]`
    Cwd(Option<Vec<u8>>),
    /// `LIST [PATH [name|dirs]]`: the listing streams in a payload of no
    /// announced length (`150 * PATH`), in name order unless `dirs`.
    List {
        path: Option<Vec<u8>>,
        order: Option<ListOrder>,
    },
    /// `STAT PATH`
    Stat(Vec<u8>),
    /// `RETR PATH [OFFSET [ENCODING]]`; `deflate` sends a raw deflate stream.
    Retr {
        path: Vec<u8>,
        offset: u64,
        deflate: bool,
    },
    /// `COMPRESS PATH LEVEL MODE`: write PATH.gz on the server.
    Compress {
        path: Vec<u8>,
        level: u8,
        mode: StoreMode,
    },
    /// `STOR PATH LENGTH MODE [OFFSET]`, payload and trailer follow at once;
    /// with an offset the payload continues the kept partial data.
    Stor {
        path: Vec<u8>,
        length: u64,
        mode: StoreMode,
        offset: Option<u64>,
    },
    /// `CRC PATH LENGTH`
    Crc { path: Vec<u8>, length: u64 },
    /// `PARTIAL PATH`
    Partial(Vec<u8>),
    /// `MTIME PATH SECS[.NNNNNNNNN]`: a directory's modification time, set
    /// once a recursive upload has filled it.
    Mtime { path: Vec<u8>, secs: i64, nsec: u32 },
    /// `SUM PATH ALGO`: a file's checksum, computed on the server.
    Sum { path: Vec<u8>, algo: Vec<u8> },
    /// `MKDIR PATH`
    Mkdir(Vec<u8>),
    /// `RMDIR PATH`
    Rmdir(Vec<u8>),
    /// `DELE PATH`
    Dele(Vec<u8>),
    /// `RENAME OLD NEW`
    Rename(Vec<u8>, Vec<u8>),
    /// `HELP`
    Help,
    /// `NOOP`
    Noop,
    /// `QUIT`
    Quit,
}

/// Why a command line was not understood; becomes a 500 or 501 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Reply code to answer with.
    pub code: u16,
    /// Short lowercase text.
    pub text: String,
}

fn parse_error(code: u16, text: impl Into<String>) -> ParseError {
    ParseError {
        code,
        text: text.into(),
    }
}

impl Request {
    /// Parse one command line (without its newline).
    pub fn parse(line: &[u8]) -> Result<Request, ParseError> {
        let words =
            words::split(line, MAX_WORDS).map_err(|e| parse_error(code::SYNTAX, e.to_string()))?;
        let mut words = words.into_iter();
        let name = words
            .next()
            .ok_or_else(|| parse_error(code::SYNTAX, "empty command"))?;
        // The name is a bare word, as `announces_payload` reads it: a quoted
        // `"STOR"` refused for its arguments would leave its payload unread.
        if name != first_word(line) {
            return Err(parse_error(code::SYNTAX, "quoted command name"));
        }
        let name = String::from_utf8_lossy(&name).to_ascii_uppercase();
        let spec = COMMANDS.iter().find(|c| c.name == name).ok_or_else(|| {
            parse_error(
                code::SYNTAX,
                format!("unknown command '{}'", escape(name.as_bytes())),
            )
        })?;
        let args: Vec<Vec<u8>> = words.collect();
        if args.len() < spec.min || args.len() > spec.max {
            let usage = format!("usage: {} {}", spec.name, spec.args);
            return Err(parse_error(code::BAD_ARGS, usage.trim_end().to_string()));
        }
        (spec.read)(&mut Args(args.into_iter()))
    }

    /// The command line for this request, newline included.
    pub fn to_line(&self) -> String {
        let (name, args): (&str, Vec<String>) = match self {
            Request::User(n) => ("USER", vec![quote(n)]),
            Request::Pass(p) => ("PASS", vec![quote(p)]),
            Request::Pwd => ("PWD", vec![]),
            Request::Cwd(p) => ("CWD", p.iter().map(|p| quote(p)).collect()),
            Request::List { path, order } => {
                let mut args = Vec::new();
                if path.is_some() || order.is_some() {
                    args.push(quote(path.as_deref().unwrap_or(b".")));
                }
                args.extend(order.map(|o| o.word().to_string()));
                ("LIST", args)
            }
            Request::Stat(p) => ("STAT", vec![quote(p)]),
            Request::Retr {
                path,
                offset,
                deflate,
            } => {
                let mut args = vec![quote(path), offset.to_string()];
                if *deflate {
                    args.push("deflate".to_string());
                }
                ("RETR", args)
            }
            Request::Compress { path, level, mode } => (
                "COMPRESS",
                vec![quote(path), level.to_string(), mode.word().to_string()],
            ),
            Request::Stor {
                path,
                length,
                mode,
                offset,
            } => {
                let mut args = vec![quote(path), length.to_string(), mode.word().to_string()];
                args.extend(offset.map(|o| o.to_string()));
                ("STOR", args)
            }
            Request::Crc { path, length } => ("CRC", vec![quote(path), length.to_string()]),
            Request::Mtime { path, secs, nsec } => {
                ("MTIME", vec![quote(path), time_word(*secs, *nsec)])
            }
            Request::Sum { path, algo } => ("SUM", vec![quote(path), quote(algo)]),
            Request::Partial(p) => ("PARTIAL", vec![quote(p)]),
            Request::Mkdir(p) => ("MKDIR", vec![quote(p)]),
            Request::Rmdir(p) => ("RMDIR", vec![quote(p)]),
            Request::Dele(p) => ("DELE", vec![quote(p)]),
            Request::Rename(a, b) => ("RENAME", vec![quote(a), quote(b)]),
            Request::Help => ("HELP", vec![]),
            Request::Noop => ("NOOP", vec![]),
            Request::Quit => ("QUIT", vec![]),
        };
        let mut line = name.to_string();
        for arg in args {
            line.push(' ');
            line.push_str(&arg);
        }
        line.push('\n');
        line
    }
}

/// Whether a command line starts with STOR, whose payload follows at once:
/// when such a line cannot be parsed, nobody knows where the payload ends.
pub fn announces_payload(line: &[u8]) -> bool {
    first_word(line).eq_ignore_ascii_case(b"STOR")
}

/// The bytes of a line's first word, as they stand (no quotes undone).
fn first_word(line: &[u8]) -> &[u8] {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = line.iter().position(|b| !blank(b)).unwrap_or(line.len());
    let rest = &line[start..];
    let end = rest.iter().position(blank).unwrap_or(rest.len());
    &rest[..end]
}

fn store_mode(word: &[u8]) -> Result<StoreMode, ParseError> {
    match word {
        b"new" => Ok(StoreMode::New),
        b"replace" => Ok(StoreMode::Replace),
        _ => Err(parse_error(code::BAD_ARGS, "mode must be new or replace")),
    }
}

fn number(word: &[u8]) -> Result<u64, ParseError> {
    number::decimal(word)
        .ok_or_else(|| parse_error(code::BAD_ARGS, format!("bad number '{}'", escape(word))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_round_trips() {
        let name = b"odd \"name\"\n\xff".to_vec();
        let requests = [
            Request::User(b"rftp".to_vec()),
            Request::Pass(b"p a\"ss".to_vec()),
            Request::Pwd,
            Request::Cwd(None),
            Request::Cwd(Some(name.clone())),
            Request::List {
                path: Some(b"/a".to_vec()),
                order: Some(ListOrder::Name),
            },
            Request::List {
                path: Some(name.clone()),
                order: Some(ListOrder::DirsFirst),
            },
            Request::List {
                path: None,
                order: None,
            },
            Request::List {
                path: Some(b"/a".to_vec()),
                order: None,
            },
            Request::Stat(name.clone()),
            Request::Retr {
                path: name.clone(),
                offset: 7,
                deflate: false,
            },
            Request::Retr {
                path: name.clone(),
                offset: 0,
                deflate: true,
            },
            Request::Compress {
                path: name.clone(),
                level: 9,
                mode: StoreMode::New,
            },
            Request::Stor {
                path: name.clone(),
                length: 1 << 40,
                mode: StoreMode::Replace,
                offset: Some(5),
            },
            Request::Crc {
                path: name.clone(),
                length: 9,
            },
            Request::Partial(name.clone()),
            Request::Mtime {
                path: name.clone(),
                secs: -3,
                nsec: 42,
            },
            Request::Sum {
                path: name.clone(),
                algo: b"sha256".to_vec(),
            },
            Request::Stor {
                path: b"x".to_vec(),
                length: 0,
                mode: StoreMode::New,
                offset: None,
            },
            Request::Mkdir(name.clone()),
            Request::Rmdir(name.clone()),
            Request::Dele(name.clone()),
            Request::Rename(name.clone(), b"b".to_vec()),
            Request::Help,
            Request::Noop,
            Request::Quit,
        ];
        for req in requests {
            let line = req.to_line();
            assert_eq!(line.matches('\n').count(), 1, "{line}");
            assert_eq!(Request::parse(line.trim_end().as_bytes()), Ok(req));
        }
    }

    #[test]
    fn bad_commands_get_stable_codes() {
        let code_of = |line: &str| Request::parse(line.as_bytes()).unwrap_err().code;
        assert_eq!(code_of(""), code::SYNTAX);
        assert_eq!(code_of("FROB x"), code::SYNTAX);
        assert_eq!(code_of("RETR \"open"), code::SYNTAX);
        assert_eq!(code_of("RETR"), code::BAD_ARGS);
        assert_eq!(code_of("PWD extra"), code::BAD_ARGS);
        assert_eq!(code_of("STOR a -1 new"), code::BAD_ARGS);
        assert_eq!(code_of("STOR a +1 new"), code::BAD_ARGS);
        assert_eq!(code_of("RETR a +0"), code::BAD_ARGS);
        assert_eq!(code_of("CRC a +1"), code::BAD_ARGS);
        assert_eq!(code_of("COMPRESS a +9 new"), code::BAD_ARGS);
        assert_eq!(
            code_of("STOR a 99999999999999999999999 new"),
            code::BAD_ARGS
        );
        assert_eq!(code_of("STOR a 1 maybe"), code::BAD_ARGS);
        assert_eq!(code_of("a b c d e f g h i"), code::SYNTAX);
        assert_eq!(Request::parse(b"pwd"), Ok(Request::Pwd));
        assert!(announces_payload(b"  stor \"x 1 new") && announces_payload(b"STOR"));
        assert!(!announces_payload(b"STORE x") && !announces_payload(b"RETR stor"));
    }

    #[test]
    fn quoted_command_names_are_refused() {
        // Found by the `request` fuzz target: `""""STOR` split to `STOR`, got
        // 501 for its arguments, yet did not count as announcing a payload.
        for line in [
            "\"\"\"\"STOR",
            "\"STOR\" x 1 new",
            "S\\TOR x 1 new",
            "'PWD'",
        ] {
            let err = Request::parse(line.as_bytes()).unwrap_err();
            assert_eq!(err.code, code::SYNTAX, "{line}");
            assert!(!announces_payload(line.as_bytes()));
        }
        assert!(announces_payload(b"\tstor x 1 new"));
    }
}
