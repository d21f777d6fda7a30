//! The first moments of a connection: what kind of client is this?
//!
//! One port serves four kinds of client, and none of them says which it
//! is. What tells them apart is who speaks first, and how:
//!
//! - **A browser** speaks at once: `GET / HTTP/1.1`. The first line is
//!   checked strictly ([`looks_like_http_request`]: a method, a target, an
//!   HTTP/1.x version, nothing else), so `GET out of here` stays chat.
//! - **An IRC client** speaks at once too, and never waits for a greeting:
//!   irssi sends `CAP LS 302`, `NICK` and `USER` the moment it connects. A
//!   first `CAP`, `NICK` or `USER` means IRC. A first `PASS` is ambiguous
//!   (IRC's, or the chat's door password), so it is held until the next
//!   line says which.
//! - **A person** on `nc` or `telnet` says nothing until they type, and a
//!   **program** such as `step3_chat_client` may do either. So the server
//!   holds its greeting back for [`GREETING_DELAY`]; silence until then
//!   means "greet them" ([`Opening::silence`]). From an address where a
//!   browser is open, it waits [`BROWSER_GREETING_DELAY`] instead: a
//!   browser's spare connections are silent too, and one that was greeted
//!   would show the greeting as a broken web page
//!   ([`greeting_delay`]; the memory is in `server/browsers.rs`).
//!
//! This module is only the decision, as a state machine fed with frames
//! and tested with byte strings: the reader (`server/connection.rs`) does
//! the reading and the timing, and acts on each [`Step`].

use crate::wire::framing::Frame;
use std::time::Duration;

/// How long a new connection's greeting is held back. Browsers and IRC
/// clients speak first, people and `nc` do not: a quarter of a second
/// tells them apart, and a person never notices it.
pub const GREETING_DELAY: Duration = Duration::from_millis(250);

/// How long a silent connection's greeting waits when a browser is open at
/// its address: longer than Chromium keeps an unused spare connection
/// (10 s, swept every 10 s), so a spare one is used or closed first.
pub const BROWSER_GREETING_DELAY: Duration = Duration::from_secs(30);

/// How long after accepting a silent connection the server greets it.
pub fn greeting_delay(browser_at_address: bool) -> Duration {
    match browser_at_address {
        true => BROWSER_GREETING_DELAY,
        false => GREETING_DELAY,
    }
}

/// What the reader does next.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing yet: read on (a `PASS` is held).
    Wait,
    /// A browser: the web code takes the connection (with the raw bytes).
    Http,
    /// IRC: no greeting; these frames go to the IRC reader, in order.
    Irc(Vec<Frame>),
    /// A person or a program: greet, then handle these frames, in order.
    Greet(Vec<Frame>),
}

/// What is known before the dialect is: only a held `PASS` line.
#[derive(Debug, Default)]
pub struct Opening {
    held_pass: Option<Frame>,
}

impl Opening {
    pub fn new() -> Opening {
        Opening::default()
    }

    /// A frame that arrived before the dialect was known.
    pub fn frame(&mut self, frame: Frame) -> Step {
        let held = self.held_pass.take();
        let line = match &frame {
            Frame::Line(line) => line,
            Frame::TooLong => return Step::Greet(held.into_iter().chain([frame]).collect()),
        };
        if held.is_none() && looks_like_http_request(line) {
            return Step::Http;
        }
        match first_word(line) {
            Word::Irc => Step::Irc(held.into_iter().chain([frame]).collect()),
            Word::Pass if held.is_none() => {
                self.held_pass = Some(frame);
                Step::Wait
            }
            Word::Pass | Word::Other => Step::Greet(held.into_iter().chain([frame]).collect()),
        }
    }

    /// [`GREETING_DELAY`] passed with no decision: greet, then act on a
    /// held `PASS`, if any (a person typed `/pass`-less `PASS secret`).
    pub fn silence(&mut self) -> Step {
        Step::Greet(self.held_pass.take().into_iter().collect())
    }
}

/// What a first line's first word says.
#[derive(Debug, PartialEq, Eq)]
enum Word {
    Irc,
    /// `PASS`: IRC if the next line is `CAP`, `NICK` or `USER`.
    Pass,
    Other,
}

/// IRC verbs are case-insensitive; the other dialects have no `CAP`,
/// `NICK` or `USER`.
fn first_word(line: &[u8]) -> Word {
    let word = line.split(|&b| b == b' ').next().unwrap_or_default();
    let is = |verb: &[u8]| word.eq_ignore_ascii_case(verb);
    if is(b"CAP") || is(b"NICK") || is(b"USER") {
        Word::Irc
    } else if is(b"PASS") {
        Word::Pass
    } else {
        Word::Other
    }
}

/// The request methods a browser or an HTTP tool may start with. Matching the
/// full list (not just `GET`) means `curl -X POST` or a proxy's `CONNECT` is
/// answered as HTTP too, rather than becoming a confused chat line.
const HTTP_METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT",
];

/// Does `first_line` look like the request line of an HTTP/1.x request
/// (`GET /path HTTP/1.1`)? A trailing `\r\n` or `\n` is allowed.
///
/// Exactly three parts separated by single spaces: a known method in capitals,
/// a target of visible ASCII, and `HTTP/1.0` or `HTTP/1.1`. HTTP/2 and HTTP/3
/// never start on a plain-text port with a request line, so they need no case.
pub fn looks_like_http_request(first_line: &[u8]) -> bool {
    let line = first_line.strip_suffix(b"\n").unwrap_or(first_line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let known_method = HTTP_METHODS.iter().any(|m| m.as_bytes() == method);
    let plausible_target = !target.is_empty() && target.iter().all(|b| b.is_ascii_graphic());
    let http_1 = version == b"HTTP/1.0" || version == b"HTTP/1.1";
    known_method && plausible_target && http_1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Frame {
        Frame::Line(text.as_bytes().to_vec())
    }

    #[test]
    fn a_browser_is_known_by_its_request_line() {
        assert_eq!(Opening::new().frame(line("GET / HTTP/1.1")), Step::Http);
    }

    #[test]
    fn an_irc_client_is_known_by_cap_nick_or_user() {
        for first in ["CAP LS 302", "nick alice", "USER a 0 * :A"] {
            assert_eq!(
                Opening::new().frame(line(first)),
                Step::Irc(vec![line(first)])
            );
        }
    }

    #[test]
    fn a_pass_is_held_until_the_next_line_says_which_dialect() {
        let mut opening = Opening::new();
        assert_eq!(opening.frame(line("PASS secret")), Step::Wait);
        assert_eq!(
            opening.frame(line("NICK alice")),
            Step::Irc(vec![line("PASS secret"), line("NICK alice")])
        );
        let mut opening = Opening::new();
        assert_eq!(opening.frame(line("PASS secret")), Step::Wait);
        assert_eq!(
            opening.frame(line("USERNAME alice")),
            Step::Greet(vec![line("PASS secret"), line("USERNAME alice")])
        );
    }

    #[test]
    fn after_a_held_pass_a_request_line_is_chat_not_http() {
        let mut opening = Opening::new();
        assert_eq!(opening.frame(line("PASS x")), Step::Wait);
        assert_eq!(
            opening.frame(line("GET / HTTP/1.1")),
            Step::Greet(vec![line("PASS x"), line("GET / HTTP/1.1")])
        );
    }

    #[test]
    fn silence_greets_and_then_acts_on_a_held_pass() {
        assert_eq!(Opening::new().silence(), Step::Greet(vec![]));
        let mut opening = Opening::new();
        assert_eq!(opening.frame(line("PASS secret")), Step::Wait);
        assert_eq!(opening.silence(), Step::Greet(vec![line("PASS secret")]));
    }

    #[test]
    fn people_and_programs_are_greeted_before_their_first_line() {
        for first in [
            "/nick alice",
            "USERNAME alice",
            "hello",
            "NICKEL is a metal",
        ] {
            assert_eq!(
                Opening::new().frame(line(first)),
                Step::Greet(vec![line(first)])
            );
        }
        assert_eq!(
            Opening::new().frame(Frame::TooLong),
            Step::Greet(vec![Frame::TooLong])
        );
    }

    #[test]
    fn a_browsers_address_is_greeted_after_its_spare_connections_are_gone() {
        assert_eq!(greeting_delay(false), GREETING_DELAY);
        assert!(greeting_delay(true) > Duration::from_secs(20));
    }

    #[test]
    fn browser_request_lines_are_http() {
        for line in [
            "GET / HTTP/1.1\r\n",
            "GET / HTTP/1.1",
            "GET /favicon.ico HTTP/1.1\n",
            "HEAD / HTTP/1.0\r\n",
            "POST /login?x=1 HTTP/1.1\r\n",
            "PUT /a HTTP/1.1",
            "DELETE /a HTTP/1.1",
            "OPTIONS * HTTP/1.1",
            "PATCH /a HTTP/1.1",
            "CONNECT 192.168.1.20:7007 HTTP/1.1",
            "GET http://192.168.1.20:7007/ HTTP/1.1",
        ] {
            assert!(looks_like_http_request(line.as_bytes()), "{line:?}");
        }
    }

    #[test]
    fn chat_lines_are_not_http() {
        for line in [
            "GET out of here",
            "GET /x",
            "GET /x\r\n",
            "GET / HTTP/2.0",
            "GET / HTTP/1.1 please",
            "GET  / HTTP/1.1",
            "get / HTTP/1.1",
            "FETCH / HTTP/1.1",
            "/nick alice",
            "/join #lab",
            "hello HTTP/1.1",
            "GET / http/1.1",
            "",
            "\r\n",
        ] {
            assert!(!looks_like_http_request(line.as_bytes()), "{line:?}");
        }
    }

    #[test]
    fn non_utf8_first_lines_are_not_http() {
        assert!(!looks_like_http_request(b"\xff\xfd\x18 / HTTP/1.1"));
        assert!(!looks_like_http_request(b"GET /\xe9 HTTP/1.1"));
    }
}
