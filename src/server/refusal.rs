//! What a connection refused at the door hears (server full, banned, too
//! many from its address), in its own language: a browser's request gets an
//! HTTP page saying why and until when, anyone else the protocol's `ERROR`
//! line, and a browser's silent spare connection nothing at all.

use crate::wire::command::Dialect;
use crate::wire::event::{Event, Refusal};
use crate::wire::http_request::html_response;
use crate::wire::opening;
use crate::wire::render::{self, render};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};

/// A refused connection hears why in its own language: a browser's request
/// gets an HTTP answer with a short page (a bare `ERROR` line would be
/// "This page isn't working"), anyone else the `ERROR` line. So the refusal
/// waits [`GREETING_DELAY`](crate::wire::opening::GREETING_DELAY) for a
/// first line, on the reader thread that accepted it (another waits for
/// the next client meanwhile: see `readers`). A
/// silent connection from a browser's address is one of its spare ones:
/// it is closed with nothing said, which Chromium sees before using it.
pub(super) fn refuse(stream: &TcpStream, refusal: &Refusal, browser: bool) {
    let _ = stream.set_read_timeout(Some(opening::GREETING_DELAY));
    let mut first = [0u8; 512];
    let said = match (&*stream).read(&mut first) {
        Ok(n) => &first[..n],
        Err(_) => &[][..],
    };
    let first_line = said.split(|&b| b == b'\n').next().unwrap_or_default();
    let answer = if opening::looks_like_http_request(first_line) {
        refusal_page(refusal)
    } else if said.is_empty() && browser {
        String::new()
    } else {
        render(&Event::Refused(refusal.clone()), Dialect::Protocol)
    };
    // A fresh socket's send buffer is empty: this short write cannot block.
    let _ = (&*stream).write_all(answer.as_bytes());
    let _ = stream.shutdown(Shutdown::Both);
}

/// The HTTP answer to a browser refused at the door: a short page saying
/// why and until when, with `Retry-After`.
pub(super) fn refusal_page(refusal: &Refusal) -> String {
    let now = crate::support::timestamp::now_millis();
    let answer = render::refusal_http(refusal, now);
    html_response(
        answer.status,
        &format!("Retry-After: {}\r\n", answer.retry_after_secs),
        "The chat server cannot take you in",
        &[&format!("{}.", answer.why), &answer.until],
    )
}
