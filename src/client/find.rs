//! The client's use of discovery: `rftp -c` with no host picks the one
//! server that answers (or asks which, on a terminal), and `rftp --find`
//! lists them on stdout, one `ADDRESS NAME` line per server.

use std::io::{self, BufRead};

use crate::error::{EXIT_CONNECT, Error};
use crate::net::{self, find::Found};
use crate::out;

/// The host to connect to: `host` itself, or when it is empty the server
/// discovery finds on `port` (asking which on a terminal when several answer).
pub fn pick_host(host: &str, port: u16, interactive: bool) -> Result<String, Error> {
    if !host.is_empty() {
        return Ok(host.to_string());
    }
    let mut ask = |found: &[Found]| if interactive { ask_which(found) } else { None };
    let f = net::choose(port, &mut ask).map_err(Error::Connect)?;
    out::err_line(&format!("rftp: found {} at {}", f.name, f.shown));
    // The zone by name, as messages show it; the interface the answer came in on.
    Ok(match f.addr {
        std::net::SocketAddr::V6(v6) if v6.scope_id() != 0 => {
            let ifs = net::ifaces::list();
            format!("{}%{}", v6.ip(), net::ifaces::name_of(&ifs, v6.scope_id()))
        }
        a => a.ip().to_string(),
    })
}

/// Ask on the terminal which of several servers to use.
fn ask_which(found: &[Found]) -> Option<usize> {
    for (i, f) in found.iter().enumerate() {
        out::err_line(&format!("  {}) {} ({})", i + 1, f.shown, f.name));
    }
    out::err_text("which one? ");
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line).ok()?;
    line.trim().parse::<usize>().ok()?.checked_sub(1)
}

/// `rftp --find`: list the servers that answer on `port`; exit status 0 when
/// any did, 3 (could not connect) when none did.
pub fn list_servers(port: u16) -> i32 {
    let s = net::find::search(port);
    let mut text = String::new();
    for f in &s.found {
        text.push_str(&format!("{} {}\n", f.shown, f.name));
    }
    if out::data(text.as_bytes()).is_err() {
        return crate::error::EXIT_FAILED;
    }
    if s.found.is_empty() {
        out::err_line(&format!(
            "rftp: no rftp server answered on UDP port {port} (asked {})",
            if s.asked.is_empty() {
                "nowhere: no interface is up".into()
            } else {
                s.asked.join(", ")
            }
        ));
        return EXIT_CONNECT;
    }
    0
}
