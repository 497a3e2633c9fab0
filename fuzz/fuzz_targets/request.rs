//! Fuzz target: `Request::parse`, the server's reading of a command line.
//! Checks that every accepted line means what it re-serializes to, and that
//! the server's "a payload follows" test agrees with the parser.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rftp::wire::words::split;
use rftp::wire::{self, Request};

fuzz_target!(|line: &[u8]| {
    let parsed = Request::parse(line);
    if matches!(parsed, Ok(Request::Stor { .. })) {
        assert!(wire::announces_payload(line), "STOR not seen as one");
    }
    let first = split(line, wire::MAX_WORDS)
        .ok()
        .and_then(|w| w.into_iter().next());
    if first.is_some_and(|w| w.eq_ignore_ascii_case(b"STOR")) && !wire::announces_payload(line) {
        // A STOR whose arguments are refused (501) would have its payload
        // run as commands: the name itself must be refused instead.
        let code = parsed.as_ref().err().map(|e| e.code);
        assert_eq!(
            code,
            Some(wire::code::SYNTAX),
            "a STOR the server does not see"
        );
    }
    match parsed {
        Ok(req) => {
            let out = req.to_line();
            assert!(out.ends_with('\n') && out.matches('\n').count() == 1);
            assert!(out.len() <= wire::MAX_LINE_BYTES * 4 + 64);
            let body = out.strip_suffix('\n').expect("checked above");
            assert_eq!(Request::parse(body.as_bytes()), Ok(req));
        }
        Err(e) => {
            assert!(e.code == wire::code::SYNTAX || e.code == wire::code::BAD_ARGS);
            assert!(!e.text.chars().any(char::is_control), "{:?}", e.text);
        }
    }
});
