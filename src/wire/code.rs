//! Reply codes, one table: each code's name, number and meaning. 1xx: not
//! final (a payload follows, or still working); 2xx done; 4xx try again
//! later; 5xx refused. `ALL` lists them for the man-page check; numbers only,
//! the texts that carry values are built and parsed in `answer`.

/// The codes as constants, and `ALL` holding every one of them in order, so
/// that a code cannot be added without being listed.
macro_rules! codes {
    ($( $(#[$doc:meta])* $name:ident = $value:literal; )*) => {
        $( $(#[$doc])* pub const $name: u16 = $value; )*
        /// Every reply code of protocol 1, in order (the login codes of
        /// protocol 2 are `LOGIN`).
        pub const ALL: &[u16] = &[$($name),*];
    };
}

codes! {
    /// Still working (COMPRESS): the text is the bytes done so far. Not a
    /// final reply; it keeps a long command from looking like a dead server.
    WORKING = 110;
    /// A payload follows; the text starts with its exact length (for
    /// `deflate`, the length once inflated) and names its encoding.
    PAYLOAD = 150;
    /// Plain success.
    OK = 200;
    /// STAT result (`KIND MODE SIZE MTIME NAME`), CRC/PARTIAL's `LENGTH
    /// CRC32`, or SUM's `ALGO HEX`.
    STAT = 213;
    /// Greeting: `rftp VERSION ready`.
    GREETING = 220;
    /// Goodbye, the server closes the connection.
    BYE = 221;
    /// Payload complete: `LENGTH CRC32` (RETR adds the file's stamp, LIST
    /// the quoted path listed).
    TRANSFER_OK = 226;
    /// Logged in.
    LOGGED_IN = 230;
    /// Directory changed or file action done; CWD's text is the new
    /// directory, COMPRESS's the two sizes.
    DONE = 250;
    /// PWD result: the quoted remote directory.
    PWD = 257;
    /// User name taken, password next.
    NEED_PASSWORD = 331;
    /// The server is closing the connection (limits, timeouts, login failures).
    CLOSING = 421;
    /// Busy: another transfer is using that name; try again later.
    BUSY = 450;
    /// The transfer failed on the sender's side (read error, file changed).
    TRANSFER_FAILED = 451;
    /// No room left on the server.
    NO_SPACE = 452;
    /// Syntax error: unknown command, bad quoting, overlong line.
    SYNTAX = 500;
    /// Wrong arguments for a known command.
    BAD_ARGS = 501;
    /// Command out of sequence (anything but login before login).
    BAD_SEQUENCE = 503;
    /// Login incorrect.
    LOGIN_FAILED = 530;
    /// No such file or directory.
    NOT_FOUND = 550;
    /// Refused: the destination exists (and overwriting was not asked for).
    EXISTS = 552;
    /// Refused: the name is not acceptable.
    NAME_REFUSED = 553;
    /// Refused: not allowed (outside the root, read-only, permissions, wrong type).
    REFUSED = 554;
}

/// Protocol 2's login: the server's CPace share, the answer to AUTH.
pub const SHARE: u16 = 334;
/// Protocol 2's login: the server's confirmation tag, the answer to CONFIRM;
/// records from here on.
pub const CONFIRMED: u16 = 235;
/// The replies of protocol 2's login, documented with its handshake.
pub const LOGIN: &[u16] = &[SHARE, CONFIRMED];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_three_digits_in_order_and_distinct() {
        assert!(ALL.windows(2).all(|w| w[0] < w[1]), "{ALL:?}");
        for c in ALL.iter().chain(LOGIN) {
            assert!((100..600).contains(c), "{c}");
        }
        assert!(LOGIN.iter().all(|c| !ALL.contains(c)));
    }
}
