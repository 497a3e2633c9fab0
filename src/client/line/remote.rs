//! The client's side of `Remote`: a remote directory's names for Tab
//! completion, from a LIST on the session's connection. Errors are not
//! shown (a Tab that finds nothing rings the bell); one that leaves the
//! stream out of step ends the connection as any command's would.

use super::complete::{MAX_CANDIDATES, Name, Remote};
use crate::client::conn::ListItem;
use crate::client::session::Client;
use crate::error::Error;
use crate::wire::Kind;

/// Most entries read from one listing for completion; past them the
/// listing is left unread (and so the connection closed), since a server
/// could send one that never ends.
const MAX_ENTRIES_READ: usize = 1_000_000;

impl Remote for Client {
    fn list_dir(&mut self, dir: &[u8]) -> Vec<Name> {
        let path = match dir {
            [] => None,
            b"/" => Some(dir),
            _ => Some(dir.strip_suffix(b"/").unwrap_or(dir)),
        };
        let mut names = Vec::new();
        let mut read = 0;
        let listed = self.conn.list_each(path, false, &mut |item| {
            if let ListItem::Entry(e) = item {
                read += 1;
                if read > MAX_ENTRIES_READ {
                    return Err(Error::Protocol("listing too long to complete".into()));
                }
                if names.len() < MAX_CANDIDATES {
                    names.push(Name {
                        dir: e.kind == Kind::Dir,
                        name: e.name,
                    });
                }
            }
            Ok(())
        });
        match listed {
            Ok(_) => names,
            Err(Error::Protocol(why)) => {
                self.conn.break_off(&why);
                Vec::new()
            }
            Err(_) => Vec::new(),
        }
    }
}
