//! A test network made of Linux network namespaces: one client namespace
//! joined to N server namespaces by veth pairs (`c0`, `c1`, … on the client
//! side, `s0` on each server side), IPv6 link-local only, no IPv4 address
//! anywhere, duplicate address detection off. Names carry the test's PID and
//! a counter; the namespaces are deleted on `Drop`, also after a panic.
//! Needs root and iproute2: without them `Lab::new` says why and returns
//! `None`, unless `CI=true`, where it fails.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::util::{PASSWORD, Run, bin};

/// Longest wait for a link-local address to appear and lose `tentative`.
const ADDRESS_DEADLINE: Duration = Duration::from_secs(5);
/// How often the address is looked for.
const ADDRESS_POLL: Duration = Duration::from_millis(50);
/// Longest a server may take to print its start lines.
const START_DEADLINE: Duration = Duration::from_secs(10);

/// The namespaces of one test, deleted on drop.
pub struct Lab {
    /// The client's namespace.
    pub client: String,
    /// One namespace per server, each behind the client's `c{i}`.
    pub servers: Vec<String>,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
            .unwrap_or(false)
    })
}

/// Skip (say why, return `None`) or, under `CI=true`, fail.
#[track_caller]
fn skip(why: &str) -> Option<Lab> {
    crate::util::skip_unless_ci(&format!("namespace test: {why}"));
    None
}

impl Lab {
    /// A client namespace cabled to `servers` server namespaces.
    pub fn new(servers: usize) -> Option<Lab> {
        if !is_root() {
            return skip("needs root (ip netns)");
        }
        if Command::new("ip").arg("-V").output().is_err() {
            return skip("needs iproute2 (the ip command)");
        }
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let tag = format!("{}x{n}", std::process::id());
        let lab = Lab {
            client: format!("rftpc{tag}"),
            servers: (0..servers).map(|i| format!("rftps{tag}x{i}")).collect(),
        };
        if let Err(e) = ip(&["netns", "add", &lab.client]) {
            return skip(&e);
        }
        lab.cable()
            .unwrap_or_else(|e| panic!("cannot build the test network: {e}"));
        Some(lab)
    }

    fn cable(&self) -> Result<(), String> {
        for s in &self.servers {
            ip(&["netns", "add", s])?;
        }
        for ns in self.all() {
            for key in ["all", "default"] {
                let k = format!("net.ipv6.conf.{key}.accept_dad=0");
                ip(&["netns", "exec", ns, "sysctl", "-qw", &k])?;
            }
        }
        for (i, s) in self.servers.iter().enumerate() {
            let c = format!("c{i}");
            ip(&[
                "link",
                "add",
                &c,
                "netns",
                &self.client,
                "type",
                "veth",
                "peer",
                "name",
                "s0",
                "netns",
                s,
            ])?;
            ip(&["-n", &self.client, "link", "set", &c, "up"])?;
            ip(&["-n", s, "link", "set", "s0", "up"])?;
        }
        for (i, s) in self.servers.iter().enumerate() {
            self.link_local(&self.client, &format!("c{i}"))?;
            self.link_local(s, "s0")?;
        }
        Ok(())
    }

    fn all(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.client).chain(&self.servers)
    }

    /// The link-local address of `dev` in `ns`, once usable (bounded wait).
    pub fn link_local(&self, ns: &str, dev: &str) -> Result<String, String> {
        let until = Instant::now() + ADDRESS_DEADLINE;
        while Instant::now() < until {
            let out = Command::new("ip")
                .args(["-n", ns, "-6", "addr", "show", "dev", dev])
                .output()
                .map_err(|e| e.to_string())?;
            let text = String::from_utf8_lossy(&out.stdout);
            let line = text.lines().find(|l| l.contains("inet6 fe80"));
            if let Some(l) = line.filter(|l| !l.contains("tentative")) {
                let a = l.split_whitespace().nth(1).unwrap_or("");
                return Ok(a.split('/').next().unwrap_or("").to_string());
            }
            thread::sleep(ADDRESS_POLL);
        }
        Err(format!("no usable link-local address on {dev} in {ns}"))
    }

    /// Start `rftp -l ARGS` in server namespace `i`, serving `root`.
    pub fn serve(&self, i: usize, root: &Path, args: &[&str]) -> NsServer {
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.servers[i], bin(), "-l", "-r"])
            .arg(root)
            .args(args)
            .env("RFTP_PASSWORD", PASSWORD)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("ip netns exec starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut banner = String::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                banner.push_str(&line);
                banner.push('\n');
                if line.starts_with("user ") {
                    let _ = tx.send(banner.clone());
                }
            }
        });
        let banner = rx.recv_timeout(START_DEADLINE).unwrap_or_default();
        let server = NsServer { child, banner };
        assert!(
            server.banner.contains("user "),
            "server did not start: {:?}",
            server.banner
        );
        server
    }

    /// Run `rftp ARGS` in the client namespace, in `cwd`, with `stdin`.
    pub fn client(&self, cwd: &Path, args: &[&str], stdin: &str) -> Run {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.client, bin()])
            .args(args)
            .current_dir(cwd)
            .env("RFTP_PASSWORD", PASSWORD);
        Run::spawn(cmd, stdin.as_bytes())
    }
}

impl Lab {
    /// Run the client in the client namespace on a pseudo-terminal (through
    /// `script`), so that it behaves as at a prompt; `stdin` is what is
    /// typed. Stdout and stderr both come out on stdout.
    pub fn client_tty(&self, cwd: &Path, args: &[&str], stdin: &str) -> Run {
        let line = std::iter::once(bin())
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        let mut cmd = Command::new("ip");
        cmd.args([
            "netns",
            "exec",
            &self.client,
            "script",
            "-qec",
            &line,
            "/dev/null",
        ])
        .current_dir(cwd)
        .env("RFTP_PASSWORD", PASSWORD);
        Run::spawn(cmd, stdin.as_bytes())
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // Deleting a namespace deletes the veth pairs in it too.
        for ns in self.all() {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}

/// A server in a namespace (`ip netns exec` execs it: the PID is rftp's),
/// killed by PID on drop.
pub struct NsServer {
    child: Child,
    /// What it printed at start, up to its `user` line.
    pub banner: String,
}

impl Drop for NsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
