//! A web browser's connection: its HTTP request, and after a WebSocket
//! upgrade, its frames turned into the lines the line reader handles.
//!
//! The line reader ([`super`]) hands a connection over here when its first
//! line is an HTTP request line. From then on:
//!
//! 1. The rest of the request head is read (with the bytes that came before
//!    the hand-over: the framer has already eaten them as lines, and lines
//!    lose the empty line that ends a head). A head longer than
//!    [`MAX_HEAD_BYTES`], or one not finished by the registration deadline,
//!    ends the connection.
//! 2. [`web::answer`] decides what the request gets. A page, the help, or an
//!    error is queued like a line and the connection closes.
//! 3. An upgrade queues the `101` answer and the greeting, in that order,
//!    in the connection's one queue: the writer switches to frames when it
//!    meets the `101` ([`Raw::SwitchToWebSocket`]). The reader then feeds
//!    every `read()` to a [`Decoder`] and gives each text message to the
//!    same [`Reader::handle`] a line client's lines go through: flood
//!    control, cleaning, parsing, the state. So nothing about chatting
//!    differs between a browser and `nc`; only the framing does.
//!
//! Pings and closes come back through the queue too ([`Raw::Pong`],
//! [`Raw::Close`]): only the holder of the queue's turn writes to the
//! socket (see [`crate::outbox`]), so a frame can never be cut into by
//! another thread's bytes.
//!
//! **Long messages.** A text message longer than `max_line_bytes` is
//! answered like an over-long `nc` line, `ERROR Line too long (max N
//! bytes)`, and the connection stays: the page's person keeps their place
//! (and their text). Only a message beyond [`MAX_MESSAGE_BYTES`] (or
//! `max_line_bytes`, if that is larger) is refused from its length alone,
//! before any of it is read, with close status 1009: that is no paste, and
//! the bound is what one connection's decoder may hold in memory.
//!
//! A registered browser is under the same idle timeout as everyone
//! (`idle_timeout_secs`): closed once it has sent no text message for that
//! long. Control frames (a ping, a pong) do not count, as IRC's `PING` and
//! `PONG` do not: they show that a browser is still there, not that anyone
//! is using the tab, and a forgotten tab must not hold a place for ever.

use super::Reader;
use crate::log;
use crate::outbox::Raw;
use crate::server::input::READ_CHUNK_BYTES;
use crate::server::web::{self, WebAnswer};
use crate::wire::event::Refusal;
use crate::wire::framing::Frame;
use crate::wire::http_request::{self, text_response, HeadProgress, HeadReader, MAX_HEAD_BYTES};
use crate::wire::websocket::{status, Decoder, Received};

/// The longest WebSocket message read at all: 64 KiB, room for a long
/// multi-line paste (each line still held to `max_line_bytes`), and the
/// most one connection's decoder holds in memory. See the module header.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Why reading stopped.
enum Ended {
    /// The browser closed the connection.
    Closed,
    /// The registration deadline (or, once registered, the idle timeout)
    /// passed.
    TimedOut,
    /// The socket failed.
    Failed,
}

impl Ended {
    fn reason(&self) -> &'static str {
        match self {
            Ended::Closed => "connection closed",
            Ended::TimedOut => "registration timeout",
            Ended::Failed => "connection reset",
        }
    }
}

/// Serves a connection whose first line was an HTTP request line; `early` is
/// every byte read so far. Returns the reason the connection ended, for the
/// cleanup's log line.
pub(super) fn serve(
    reader: &mut Reader,
    addr: SocketAddr,
    stream: &TcpStream,
    early: &[u8],
    register_deadline: Instant,
) -> &'static str {
    let context = reader.context;
    // A browser is here: its spare connections must not be greeted (see
    // `server/browsers.rs`); remembered again when its page closes.
    context.browsers.saw(addr.ip(), Instant::now());
    let mut timeout = None;
    let head = read_head(stream, early, register_deadline, &mut timeout);
    let (head, rest) = match head {
        Ok(head) => head,
        Err(None) => {
            let response = text_response(
                "431 Request Header Fields Too Large",
                "",
                &format!("The request head is longer than {MAX_HEAD_BYTES} bytes.\n"),
            );
            return respond(reader, addr, "an over-long request", &response);
        }
        Err(Some(ended)) => return ended.reason(),
    };
    let request = match http_request::parse(&head) {
        Ok(request) => request,
        Err(reason) => {
            let response = text_response("400 Bad Request", "", &format!("{reason}\n"));
            return respond(reader, addr, "a malformed request", &response);
        }
    };
    // For the log: the framer already edited the first line (a backspace
    // deletes), the raw request may still hold control characters.
    let asked: String = format!("{} {}", request.method, request.path())
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    let answer = web::answer(
        &request,
        &context.help_text,
        &context.config.allowed_origins,
    );
    match answer {
        WebAnswer::Respond(response) => respond(reader, addr, &asked, &response),
        WebAnswer::Upgrade(switching) => {
            log!("WebSocket connection from {addr}");
            let id = reader.id;
            reader.state.with(|state| {
                state.send_raw(id, Raw::SwitchToWebSocket(switching));
                state.mark_web_page(id);
                state.greet(id);
            });
            reader.state.write_queued();
            let ended = read_frames(reader, addr, stream, &rest, register_deadline, timeout);
            context.browsers.saw(addr.ip(), Instant::now());
            ended
        }
    }
}

/// Queues a complete HTTP response; the connection closes once it is sent.
fn respond(reader: &mut Reader, addr: SocketAddr, asked: &str, response: &str) -> &'static str {
    let status_line = response.lines().next().unwrap_or_default();
    let status = status_line.strip_prefix("HTTP/1.1 ").unwrap_or(status_line);
    log!("Answered a web browser at {addr}: {asked} ({status})");
    let id = reader.id;
    reader
        .state
        .with(|state| state.answer_and_close(id, response));
    reader.state.write_queued();
    "web browser"
}

/// The request head and the bytes after it. `Err(None)`: the head is too
/// long; `Err(Some(…))`: reading stopped first.
fn read_head(
    stream: &TcpStream,
    early: &[u8],
    deadline: Instant,
    timeout: &mut Option<Duration>,
) -> Result<(Vec<u8>, Vec<u8>), Option<Ended>> {
    let mut head_reader = HeadReader::new();
    let mut progress = head_reader.push(early);
    let mut buffer = [0u8; READ_CHUNK_BYTES];
    loop {
        match progress {
            HeadProgress::Complete { head, rest } => return Ok((head, rest)),
            HeadProgress::TooLong => return Err(None),
            HeadProgress::More => {}
        }
        let n = read_some(stream, &mut buffer, Some(deadline), timeout).map_err(Some)?;
        progress = head_reader.push(&buffer[..n]);
    }
}

/// The WebSocket's life: frames in, lines handled, until a close.
fn read_frames(
    reader: &mut Reader,
    addr: SocketAddr,
    stream: &TcpStream,
    rest: &[u8],
    register_deadline: Instant,
    mut timeout: Option<Duration>,
) -> &'static str {
    let context = reader.context;
    let id = reader.id;
    let idle_secs = context.config.idle_timeout_secs;
    let idle_limit = (idle_secs > 0).then(|| Duration::from_secs(idle_secs));
    // When the browser last sent a text message (see the module notes).
    let mut last_active = Instant::now();
    let max_line = context.config.max_line_bytes;
    let mut decoder = Decoder::new(MAX_MESSAGE_BYTES.max(max_line));
    let mut events = Vec::new();
    decoder.push(rest, &mut events);
    let mut buffer = [0u8; READ_CHUNK_BYTES];
    loop {
        for event in events.drain(..) {
            match event {
                Received::Text(text) => {
                    last_active = Instant::now();
                    // One message is one line; a message with line breaks
                    // in it is the lines a line client would have sent.
                    // A line over the limit is answered as on `nc`.
                    let lines = text.split(['\r', '\n']).filter(|line| !line.is_empty());
                    for (n, line) in lines.enumerate() {
                        // As for a line client's read.
                        reader.state.before_line(n);
                        let frame = match line.len() > max_line {
                            true => Frame::TooLong,
                            false => Frame::Line(line.as_bytes().to_vec()),
                        };
                        if let Some(ended) = reader.handle(frame) {
                            return ended;
                        }
                    }
                }
                Received::Ping(payload) => {
                    reader
                        .state
                        .with(|state| state.send_raw(id, Raw::Pong(payload)));
                }
                Received::Close { status, reason } => {
                    // Echo the status (RFC 6455 §5.5.1), or say which rule
                    // the browser broke; the writer sends it after what is
                    // already queued, and then closes.
                    reader
                        .state
                        .with(|state| state.send_raw(id, Raw::Close(status)));
                    if !reason.is_empty() {
                        log!("WebSocket from {addr} closed ({status}): {reason}");
                    }
                    return close_reason(status);
                }
            }
        }
        // This read's messages are acted on: write what they queued.
        reader.state.write_queued();
        let deadline = match reader.registered {
            Some(_) => idle_limit.map(|limit| last_active + limit),
            None => Some(register_deadline),
        };
        match read_some(stream, &mut buffer, deadline, &mut timeout) {
            Ok(n) => decoder.push(&buffer[..n], &mut events),
            Err(Ended::TimedOut) if reader.registered.is_some() => {
                reader
                    .state
                    .with(|state| state.refuse(id, Refusal::IdleTimeout(idle_secs)));
                return "idle timeout";
            }
            Err(Ended::TimedOut) => {
                reader
                    .state
                    .with(|state| state.refuse(id, Refusal::RegistrationTimeout));
                return Ended::TimedOut.reason();
            }
            Err(ended) => return ended.reason(),
        }
    }
}

/// What the log says about a WebSocket that ended with `status`.
fn close_reason(code: u16) -> &'static str {
    match code {
        status::NORMAL => "browser closed the chat",
        status::GOING_AWAY => "browser tab closed",
        status::PROTOCOL_ERROR => "WebSocket protocol error",
        status::UNSUPPORTED_DATA => "WebSocket binary message",
        status::INVALID_TEXT => "WebSocket text not UTF-8",
        status::TOO_BIG => "WebSocket message too long",
        _ => "WebSocket closed",
    }
}

/// One `read()` that returns some bytes, waiting at most until `deadline`
/// (no limit when `None`). `timeout` is the socket's current read timeout,
/// so it is only changed when it must be.
fn read_some(
    stream: &TcpStream,
    buffer: &mut [u8],
    deadline: Option<Instant>,
    timeout: &mut Option<Duration>,
) -> Result<usize, Ended> {
    loop {
        let wanted = match deadline {
            None => None,
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(Ended::TimedOut);
                }
                Some(left)
            }
        };
        // Setting the timeout is a system call: it is only lowered when the
        // deadline is nearer than it, or lifted once registered. A timeout
        // that fires early just comes back round this loop.
        let needs_change = match (*timeout, wanted) {
            (None, None) => false,
            (Some(current), Some(wanted)) => current > wanted,
            _ => true,
        };
        if needs_change {
            if stream.set_read_timeout(wanted).is_err() {
                return Err(Ended::Failed);
            }
            *timeout = wanted;
        }
        match (&*stream).read(buffer) {
            Ok(0) => return Err(Ended::Closed),
            Ok(n) => {
                crate::support::traffic::count_in(n);
                return Ok(n);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return Err(Ended::Failed),
        }
    }
}
