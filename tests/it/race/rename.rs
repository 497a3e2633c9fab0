//! A rename never replaces anything: two clients renaming two entries onto
//! one missing name at the same moment never both succeed and both
//! entries survive; a rename onto an existing directory or file fails and
//! leaves both as they were.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use super::fixture::connect;
use crate::fixture::still_serves;
use crate::raw::{ask, in_step};
use crate::util::Server;

/// Rounds of the two-client race (each a fresh pair of sources and target).
const ROUNDS: usize = 5000;
/// Longest the race may run, whatever the rounds left.
const RACE_TIME_CAP: Duration = Duration::from_secs(6);

/// What is being renamed in a race.
#[derive(Clone, Copy, Debug)]
enum What {
    Dirs,
    Files,
}

/// Make round `r`'s two sources `s{r}-{i}` and return their inode
/// numbers, which tell them apart wherever they end up: files, or
/// directories, empty in even rounds (which a plain rename(2) replaces) and
/// holding a file in odd rounds.
fn make_sources(server: &Server, what: What, r: usize) -> [u64; 2] {
    [0, 1].map(|i| {
        let name = format!("s{r}-{i}");
        match what {
            What::Dirs if r.is_multiple_of(2) => fs::create_dir(server.root.join(&name)).unwrap(),
            What::Dirs => {
                server
                    .root
                    .write(format!("{name}/mark"), format!("{name}\n"));
            }
            What::Files => {
                server.root.write(&name, format!("{name}\n"));
            }
        }
        inode(server, &name).expect("a source just made")
    })
}

/// The inode number of `name` in the root, if it exists.
fn inode(server: &Server, name: &str) -> Option<u64> {
    fs::symlink_metadata(server.root.join(name))
        .ok()
        .map(|m| m.ino())
}

/// Two clients send `RENAME s{r}-{i} t{r}` at the same moment, round after
/// round; returns each round's two replies.
fn race(server: &Server, rounds: usize) -> Vec<[String; 2]> {
    let barrier = Arc::new(Barrier::new(2));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let replies: Vec<Vec<String>> = thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|i| {
                let (barrier, stop) = (Arc::clone(&barrier), Arc::clone(&stop));
                let mut raw = connect(server);
                scope.spawn(move || {
                    let mut got = Vec::new();
                    for r in 0..rounds {
                        // One decides for both whether time is up.
                        if barrier.wait().is_leader() && started.elapsed() > RACE_TIME_CAP {
                            stop.store(true, Ordering::SeqCst);
                        }
                        barrier.wait();
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        got.push(ask(&mut raw, format!("RENAME s{r}-{i} t{r}")));
                    }
                    in_step(&mut raw, "the rename race");
                    got
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    replies[0]
        .iter()
        .zip(&replies[1])
        .map(|(a, b)| [a.clone(), b.clone()])
        .collect()
}

/// Run the race on `what` and check every round.
fn race_onto_a_missing_name(what: What) {
    let server = Server::start(&[]);
    let inodes: Vec<[u64; 2]> = (0..ROUNDS)
        .map(|r| make_sources(&server, what, r))
        .collect();
    let results = race(&server, ROUNDS);
    let mut failures = Vec::new();
    let mut wins = [0; 2];
    for (r, replies) in results.iter().enumerate() {
        let ok: Vec<bool> = replies.iter().map(|l| l.starts_with("250 ")).collect();
        let target = format!("t{r}");
        if ok[0] && ok[1] {
            let lost = (0..2)
                .filter(|&i| {
                    inode(&server, &target) != Some(inodes[r][i])
                        && inode(&server, &format!("s{r}-{i}")).is_none()
                })
                .map(|i| format!("s{r}-{i}"))
                .collect::<Vec<_>>();
            failures.push(format!(
                "round {r}: both renames got 250 {replies:?}; lost: {lost:?}"
            ));
            continue;
        }
        let Some(winner) = ok.iter().position(|&w| w) else {
            failures.push(format!("round {r}: neither rename succeeded: {replies:?}"));
            continue;
        };
        wins[winner] += 1;
        let loser = 1 - winner;
        if !replies[loser].starts_with("552 ") {
            failures.push(format!(
                "round {r}: the loser got {:?}, want 552",
                replies[loser]
            ));
        }
        if inode(&server, &target) != Some(inodes[r][winner]) {
            failures.push(format!("round {r}: {target} is not the winner's source"));
        }
        if inode(&server, &format!("s{r}-{loser}")) != Some(inodes[r][loser]) {
            failures.push(format!(
                "round {r}: the loser's source s{r}-{loser} is lost"
            ));
        }
    }
    eprintln!(
        "rename race ({what:?}): {} rounds, wins {wins:?}, {} failures",
        results.len(),
        failures.len()
    );
    assert!(!results.is_empty(), "no round ran");
    assert!(
        failures.is_empty(),
        "{} of {} rounds broke the no-replace rule:\n{}",
        failures.len(),
        results.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    still_serves(&server);
}

/// Pins: `RENAME d1 T` and `RENAME d2 T` at the same moment onto a missing
/// T never both get 250, and both directories survive (issue 8: today both
/// succeed in about 1 of 10 tries and d1 is gone: check, then rename).
#[test]
fn racing_directory_renames_onto_one_missing_name_never_both_win() {
    race_onto_a_missing_name(What::Dirs);
}

/// Pins: the same race with files: one wins, the other file survives.
#[test]
fn racing_file_renames_onto_one_missing_name_never_both_win() {
    race_onto_a_missing_name(What::Files);
}

/// Pins: a rename onto any existing entry is refused with 552, whatever the
/// two are, and both are left exactly as they were.
#[test]
fn rename_onto_an_existing_entry_is_refused() {
    let server = Server::start(&[]);
    let root = server.root.path();
    server.root.write("d/mark", b"d's mark\n");
    server.root.write("f", b"file f\n");
    server.root.write("g", b"file g\n");
    fs::create_dir(root.join("empty")).unwrap();
    fs::create_dir(root.join("empty2")).unwrap();
    let before = crate::util::snapshot(root);
    let mut raw = connect(&server);
    let mut failures = Vec::new();
    for line in [
        "RENAME d empty",
        "RENAME empty2 empty",
        "RENAME f g",
        "RENAME f empty",
        "RENAME d f",
        "RENAME empty f",
    ] {
        let reply = ask(&mut raw, line);
        if !reply.starts_with("552 ") {
            failures.push(format!("{line} -> {reply:?}, want 552"));
        }
    }
    in_step(&mut raw, "renames onto existing entries");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        crate::util::snapshot(root),
        before,
        "a rename changed the tree"
    );
    still_serves(&server);
}
