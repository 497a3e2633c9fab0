//! The server: listening sockets, the banner, the accept loop and the client
//! limit. Each connection runs in its own thread (`connection`, on a
//! `session`); a panic there ends that connection only. Settings and the log
//! are `config`'s. Files are reached only through `fs::Root`.

mod config;
mod connection;
mod land;
mod login;
mod meta;
mod secure_login;
mod session;
mod timed;
mod transfer;

use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

pub use config::Config;

use crate::error::{Cause, Error};
use crate::out::{self, Verbosity};
use crate::wire::{Reply, code};

/// How long a refused connection may take to receive its refusal.
const REFUSAL_WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// Pause after a failed `accept` (out of descriptors, say) before the next.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

/// Bind, print where the server listens, and serve until killed.
pub fn run(cfg: Config) -> Result<(), Error> {
    // stdout carries only the banner, so it may say that the log broke.
    out::notices_on_stdout();
    crate::fs::note_umask();
    // All compresses together: about a thread per core, and no more threads
    // than there may be clients.
    crate::fs::compress::set_helper_budget(crate::fs::compress::cores().min(cfg.max_clients));
    let listeners = bind(cfg.addr, cfg.scope_id, cfg.port)?;
    if cfg.plain {
        out::err_line(crate::secure::PLAIN_WARNING);
    }
    let announced = announce(&cfg, &listeners);
    print_banner(&cfg, &listeners, announced);
    let cfg = Arc::new(cfg);
    let active = Arc::new(AtomicUsize::new(0));
    let mut threads = Vec::new();
    for listener in listeners {
        let (cfg, active) = (Arc::clone(&cfg), Arc::clone(&active));
        threads.push(thread::spawn(move || accept_loop(&listener, &cfg, &active)));
    }
    for t in threads {
        let _ = t.join();
    }
    Ok(())
}

/// Listen on `addr:port`, or on every interface when `addr` is `None`: the
/// IPv6 wildcard (dual-stack where the OS allows), plus the IPv4 wildcard
/// when the OS keeps the two apart or has no IPv6.
fn bind(addr: Option<IpAddr>, scope_id: u32, port: u16) -> Result<Vec<TcpListener>, Error> {
    let fail = |a: SocketAddr, e: io::Error| Error::Io(format!("cannot listen on {a}"), e);
    if let Some(ip) = addr {
        let mut a = SocketAddr::new(ip, port);
        if let SocketAddr::V6(v6) = &mut a {
            v6.set_scope_id(scope_id);
        }
        return Ok(vec![TcpListener::bind(a).map_err(|e| fail(a, e))?]);
    }
    let v6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port);
    let v4 = |port| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port);
    match TcpListener::bind(v6) {
        Ok(l6) => {
            let real_port = l6.local_addr().map_or(port, |a| a.port());
            let mut all = vec![l6];
            // Succeeds only where IPv6 sockets do not also take IPv4.
            if let Ok(l4) = TcpListener::bind(v4(real_port)) {
                all.push(l4);
            }
            Ok(all)
        }
        Err(_) => Ok(vec![
            TcpListener::bind(v4(port)).map_err(|e| fail(v4(port), e))?,
        ]),
    }
}

/// Start answering discovery probes when asked to and listening on every
/// interface (a probe to the wildcard cannot reach one address); whether it
/// did. A port taken by another program is said, not fatal.
fn announce(cfg: &Config, listeners: &[TcpListener]) -> bool {
    let port = listeners
        .first()
        .and_then(|l| l.local_addr().ok())
        .map_or(cfg.port, |a| a.port());
    if !cfg.announce || cfg.addr.is_some_and(|a| !a.is_unspecified()) {
        return false;
    }
    match crate::net::announce::start(port) {
        Ok(_) => true,
        Err(e) => {
            out::err_line(&format!(
                "rftp: not answering discovery on UDP port {port}: {}",
                Cause::of(&e)
            ));
            false
        }
    }
}

/// Tell the person who started the server where it is and how to log in.
/// A banner that cannot be written is dropped (said once on stderr).
fn print_banner(cfg: &Config, listeners: &[TcpListener], announced: bool) {
    let mut listen = None;
    for l in listeners {
        if let Ok(a) = l.local_addr() {
            let both = a.ip().is_unspecified() && a.is_ipv6() && listeners.len() == 1;
            let note = if both { " (IPv6 and IPv4)" } else { "" };
            out::out_line(&format!("listening on {}{note}", show_addr(&a)));
            listen = Some(listen.unwrap_or(a));
        }
    }
    let port = listen.map_or(cfg.port, |a| a.port());
    let listen = listen.filter(|_| cfg.addr.is_some());
    let ifs = crate::net::ifaces::list();
    for line in crate::net::banner::lines(listen, port, announced, &ifs) {
        out::out_line(&line);
    }
    out::out_line(&format!("root {}", cfg.root.real().display()));
    out::out_line(&format!("user {}", crate::wire::escape(&cfg.user)));
    if cfg.password_generated {
        out::out_line(&format!(
            "password {}",
            String::from_utf8_lossy(&cfg.password)
        ));
    }
}

/// `[fe80::1%eth0]:2121`: std prints the zone as a number.
fn show_addr(a: &SocketAddr) -> String {
    match a {
        SocketAddr::V6(v6) if v6.scope_id() != 0 => format!(
            "[{}%{}]:{}",
            v6.ip(),
            crate::net::ifaces::name_of(&crate::net::ifaces::list(), v6.scope_id()),
            v6.port()
        ),
        a => a.to_string(),
    }
}

/// Accept connections forever; each gets a thread, or a refusal past the limit.
fn accept_loop(listener: &TcpListener, cfg: &Arc<Config>, active: &Arc<AtomicUsize>) {
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(pair) => pair,
            Err(e) => {
                if cfg.verbosity >= Verbosity::Normal {
                    out::err_line(&format!("rftp: accept failed: {}", Cause::of(&e)));
                }
                thread::sleep(ACCEPT_RETRY_DELAY);
                continue;
            }
        };
        if active.fetch_add(1, Ordering::SeqCst) >= cfg.max_clients {
            active.fetch_sub(1, Ordering::SeqCst);
            refuse(stream, cfg.max_clients);
            cfg.log(&peer, "refused: too many clients");
            continue;
        }
        let guard = ActiveGuard(Arc::clone(active));
        let cfg = Arc::clone(cfg);
        let spawned = thread::Builder::new().spawn(move || {
            let _guard = guard;
            connection::serve(stream, peer, &cfg);
        });
        if spawned.is_err() {
            out::err_line(&format!(
                "rftp: {peer}: cannot start a thread for the connection"
            ));
        }
    }
}

/// Counts a connection as active until dropped, even when its thread panics.
struct ActiveGuard(Arc<AtomicUsize>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Answer a connection past the limit with a reply, then close it.
fn refuse(mut stream: TcpStream, max: usize) {
    let _ = stream.set_write_timeout(Some(REFUSAL_WRITE_TIMEOUT));
    let reply = Reply::new(
        code::CLOSING,
        format!("too many clients (at most {max}), try again later"),
    );
    let _ = reply.write_to(&mut stream);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    // Take what the client already sent, without waiting for more (this runs
    // on the accept loop), so that closing does not reset the connection
    // before the reply is read.
    if stream.set_nonblocking(true).is_ok() {
        let _ = stream.read(&mut [0; 4096]);
    }
}

/// Make a password of 16 letters and digits from the OS's random source.
pub fn generate_password() -> Result<Vec<u8>, Error> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    const LEN: usize = 16;
    let random: [u8; LEN * 4] =
        crate::sys::random().map_err(|e| Error::Io("cannot read /dev/urandom".into(), e))?;
    // Rejection sampling keeps every letter equally likely.
    let limit = 256 - 256 % ALPHABET.len();
    let out: Vec<u8> = random
        .iter()
        .filter(|&&b| usize::from(b) < limit)
        .take(LEN)
        .map(|&b| ALPHABET[usize::from(b) % ALPHABET.len()])
        .collect();
    if out.len() < LEN {
        return Err(Error::Usage("not enough randomness for a password".into()));
    }
    Ok(out)
}
