//! The lock on a name in transfer: a second STOR, PARTIAL or COMPRESS of a
//! name being uploaded gets 450 while the first goes on untouched, and two
//! clients putting one name at once leave exactly one whole file.

use std::fs;
use std::thread;

use crate::fixture::{SERVER_COPY_BYTES, root_names, start_upload, still_serves, text};
use crate::raw::{ask, in_step, logged_in, stor};
use crate::util::{PASSWORD, Run, Server, TempDir, crc32, data};

#[test]
fn a_second_transfer_of_a_name_in_progress_gets_450() {
    let server = Server::start(&[]);
    server.root.write("s", text(100_000, 4));
    let first = data(3 * SERVER_COPY_BYTES + 123, 5);
    let (mut a, rest) = start_upload(&server, "s.gz", &first);
    let mut b = logged_in(&server);
    let mut failures = Vec::new();
    for (what, reply) in [
        ("STOR new", stor(&mut b, "STOR s.gz 5 new", b"other")),
        (
            "STOR replace",
            stor(&mut b, "STOR s.gz 5 replace", b"other"),
        ),
        (
            "STOR with an offset",
            stor(
                &mut b,
                &format!("STOR s.gz 5 new {SERVER_COPY_BYTES}"),
                b"other",
            ),
        ),
        ("PARTIAL", ask(&mut b, "PARTIAL s.gz")),
        ("COMPRESS", ask(&mut b, "COMPRESS s 6 replace")),
        ("COMPRESS new", ask(&mut b, "COMPRESS s 1 new")),
    ] {
        if !reply.starts_with("450 ") {
            failures.push(format!("{what} while an upload holds s.gz -> {reply}"));
        }
    }
    in_step(&mut b, "450 replies");
    // The first upload goes on as if nothing happened.
    a.send(&rest);
    let reply = ask(
        &mut a,
        format!("DONE {} {:08x}", first.len(), crc32(&first)),
    );
    assert_eq!(reply, format!("226 {} {:08x}", first.len(), crc32(&first)));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(root_names(&server), ["s", "s.gz"]);
    assert!(
        fs::read(server.root.join("s.gz")).unwrap() == first,
        "s.gz does not hold the first upload's bytes"
    );
    // Now the name is taken.
    let reply = stor(&mut b, "STOR s.gz 5 new", b"other");
    assert!(reply.starts_with("552 "), "{reply}");
    in_step(&mut b, "552");
    assert_eq!(root_names(&server), ["s", "s.gz"]);
    still_serves(&server);
}

#[test]
fn two_clients_putting_one_name_at_once_one_wins_whole() {
    const ROUNDS: u64 = 3;
    const SIZE: usize = 1 << 20;
    // Both uploads paced to a second each, so that they overlap.
    const RATE: &str = "1M";
    let server = Server::start(&[]);
    let mut names = Vec::new();
    for round in 0..ROUNDS {
        let name = format!("race{round}.bin");
        let dirs = [TempDir::new(), TempDir::new()];
        let sources: Vec<Vec<u8>> = (0..2).map(|i| data(SIZE, 100 + 2 * round + i)).collect();
        for (dir, source) in dirs.iter().zip(&sources) {
            dir.write(&name, source);
        }
        let runs: Vec<Run> = thread::scope(|scope| {
            let handles: Vec<_> = dirs
                .iter()
                .map(|dir| {
                    let (addr, name) = (server.addr(), name.clone());
                    scope.spawn(move || {
                        Run::new(
                            &["-c", &addr, "-q", "--limit", RATE, "put", &name],
                            Some(PASSWORD),
                            dir.path(),
                            b"",
                        )
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners: Vec<usize> = (0..2).filter(|&i| runs[i].code() == 0).collect();
        let dumps = || {
            runs.iter()
                .map(Run::dump)
                .collect::<Vec<_>>()
                .join("\n---\n")
        };
        assert_eq!(
            winners.len(),
            1,
            "round {round}: want exactly one winner\n{}\nserver log:\n{}",
            dumps(),
            server.log()
        );
        let (win, lose) = (winners[0], 1 - winners[0]);
        runs[lose].expect(1);
        assert!(
            runs[lose].stderr.contains("already exists")
                || runs[lose].stderr.contains("in progress"),
            "round {round}: the loser's error\n{}",
            runs[lose].dump()
        );
        let got = fs::read(server.root.join(&name)).unwrap();
        assert!(
            got == sources[win],
            "round {round}: {name} is not the winner's file ({} bytes; matches loser: {})",
            got.len(),
            got == sources[lose]
        );
        names.push(name);
        assert_eq!(root_names(&server), names, "round {round}");
    }
    still_serves(&server);
}
