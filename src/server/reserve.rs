//! A full server keeps a door open for the teacher.
//!
//! Ten addresses can fill a thousand places with idle connections in a few
//! seconds, and refill them as soon as the registration deadline frees
//! them; then everyone, the teacher included, got `ERROR Server full`, and
//! the one person who could stop the flood could not get in to see it.
//! PostgreSQL keeps `superuser_reserved_connections` for exactly this.
//!
//! So a connection that finds the server full is not refused at once: it
//! is told so, and it may give the operator password as its first line
//! (`/op secret` on `nc`, `OPER secret` from a program, `PASS secret` from
//! an IRC client set up with it as the server password). Right, and it is
//! let in beyond `max_clients` (up to `OPERATOR_RESERVE` more, see
//! `chat/state/admission.rs`), already an operator, to choose a name and
//! `/conns` and `/kickaddr` the flood.
//! Anything else, or nothing within [`DOOR_WAIT`], gets `ERROR Server full`.
//!
//! Waiting at the door holds a reader thread, so it is bounded: one connection per
//! address at a time, and at most [`DOOR_PLACES`] in all; beyond those the
//! refusal is immediate, as before. A flood from fewer than 64 addresses
//! cannot shut the door; the password goes through the chat guard like
//! every other, so the door is no faster to guess at than `/op`.

use crate::chat::state;
use crate::log;
use crate::outbox;
use crate::server::connection;
use crate::server::context::ServerContext;
use crate::server::refusal;
use crate::wire::command::Dialect;
use crate::wire::event::{Event, Refusal};
use crate::wire::opening::{looks_like_http_request, GREETING_DELAY};
use crate::wire::render::{self, render};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a connection at the door may take to give the password.
pub const DOOR_WAIT: Duration = Duration::from_secs(10);
/// Connections that may wait at the door at once (each holds a thread).
pub const DOOR_PLACES: usize = 64;
/// The longest first line read at the door.
const MAX_DOOR_LINE: usize = 512;

/// What a connection at a full server is told first.
pub const KNOCK_NOTICE: &str = "NOTICE Server full: only an operator may come in now \
     (/op <password> as your first line, within 10 s)\r\n";

/// A connection found the server full: takes a place at the door for it
/// and returns `true` if there is one (the caller, its reader thread, then
/// waits there: [`wait_at_the_door`]); `false` leaves the refusal to the
/// caller.
pub fn knock(context: &ServerContext, addr: SocketAddr) -> bool {
    let mut door = context
        .at_the_door
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    door.len() < DOOR_PLACES && door.insert(addr.ip())
}

fn leave_the_door(context: &ServerContext, addr: SocketAddr) {
    let mut door = context
        .at_the_door
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    door.remove(&addr.ip());
}

/// At the door, on the connection's reader thread: read one line; let an
/// operator in, refuse the rest.
pub fn wait_at_the_door(context: &Arc<ServerContext>, stream: Arc<TcpStream>, addr: SocketAddr) {
    // A browser speaks first: its request gets a page saying the server is
    // full (the notice would read as a broken HTTP answer). Whoever is
    // silent for the greeting delay is told how the door works.
    let early = first_line(&stream, GREETING_DELAY);
    if early
        .as_deref()
        .is_some_and(|line| looks_like_http_request(line.as_bytes()))
    {
        leave_the_door(context, addr);
        let page = refusal::refusal_page(&Refusal::ServerFull);
        let _ = (&*stream).write_all(page.as_bytes());
        let _ = stream.shutdown(Shutdown::Both);
        return;
    }
    if early.is_none() {
        let _ = (&*stream).write_all(KNOCK_NOTICE.as_bytes());
    }
    // An IRC client may open with `CAP LS 302` before its `PASS`.
    let line = early
        .into_iter()
        .chain((0..3).map_while(|_| first_line(&stream, DOOR_WAIT)))
        .find(|line| !line.to_ascii_uppercase().starts_with("CAP "));
    leave_the_door(context, addr);
    let password = line.as_deref().and_then(operator_password);
    let refusal = match password {
        None => Refusal::ServerFull,
        Some(password) => {
            let sink: Arc<dyn outbox::Sink> = Arc::clone(&stream) as _;
            let (outbox, inbox) = context.outbox(sink);
            let hangup_stream = Arc::clone(&stream);
            let hangup: state::Hangup = Box::new(move || {
                let _ = hangup_stream.shutdown(Shutdown::Both);
            });
            let admitted =
                state::lock(&context.state).admit_operator(addr, outbox, hangup, password);
            match admitted {
                Ok(id) => {
                    log!("Accepted connection from: {addr} (an operator, beyond max_clients)");
                    connection::serve_admitted(context, stream, addr, id, inbox);
                    return;
                }
                Err(refusal) => refusal,
            }
        }
    };
    let said = render::refusal_text(&refusal, Dialect::Protocol);
    context.log_summarised(addr.ip(), "refused connections", || {
        format!("Refused connection from {addr}: {said} (at the door)")
    });
    let refused = render(&Event::Refused(refusal), Dialect::Protocol);
    let _ = (&*stream).write_all(refused.as_bytes());
    let _ = stream.shutdown(Shutdown::Both);
}

/// The first line, read a byte at a time so that nothing after it is taken
/// from the reader that follows; `None` on silence, a close or a line too
/// long.
fn first_line(stream: &TcpStream, wait: Duration) -> Option<String> {
    let deadline = Instant::now() + wait;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || line.len() > MAX_DOOR_LINE {
            return None;
        }
        stream.set_read_timeout(Some(left)).ok()?;
        match (&*stream).read(&mut byte) {
            Ok(1) if byte[0] == b'\n' => break,
            Ok(1) => line.push(byte[0]),
            _ => return None,
        }
    }
    let _ = stream.set_read_timeout(None);
    let text = String::from_utf8(line).ok()?;
    Some(text.trim_end_matches(['\r', '\0']).to_string())
}

/// The password in `/op secret`, `OPER secret` or `PASS secret`
/// (IRC's `PASS :secret` too).
fn operator_password(line: &str) -> Option<&str> {
    let (verb, rest) = line.trim_start().split_once(' ')?;
    let known = ["/op", "OPER", "PASS"]
        .iter()
        .any(|v| v.eq_ignore_ascii_case(verb));
    let password = rest.strip_prefix(':').unwrap_or(rest);
    (known && !password.is_empty()).then_some(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_in_each_dialect() {
        assert_eq!(operator_password("/op s3cret"), Some("s3cret"));
        assert_eq!(operator_password("OPER s3cret"), Some("s3cret"));
        assert_eq!(operator_password("oper s3cret"), Some("s3cret"));
        assert_eq!(operator_password("PASS :s3cret"), Some("s3cret"));
        assert_eq!(operator_password("PASS "), None);
        assert_eq!(operator_password("NICK lee"), None);
        assert_eq!(operator_password("hello"), None);
        assert_eq!(operator_password("CAP LS 302"), None);
    }
}
