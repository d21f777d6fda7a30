//! WebSocket (RFC 6455, version 13): the browser's way to hold a chat
//! connection open, and the tutorial's second kind of framing.
//!
//! A browser cannot open a plain TCP connection; it can open a WebSocket. The
//! connection starts as an HTTP request (`GET /chat` with `Upgrade:
//! websocket`), which [`handshake`] answers with `101 Switching Protocols`.
//! From then on both sides send **frames** instead of lines. Where `nc`
//! marks the end of a message with `\n`, a frame says how long it is before
//! the message starts:
//!
//! ```text
//!  byte 0   FIN (last frame of the message), 3 reserved bits, 4-bit opcode
//!           (1 text, 2 binary, 0 continuation, 8 close, 9 ping, 10 pong)
//!  byte 1   MASK bit, 7-bit length: 0-125 the length itself,
//!           126: a 16-bit length follows, 127: a 64-bit length follows
//!  [2 or 8 bytes of extended length, big-endian]
//!  [4 bytes of mask key, if MASK is set]
//!  payload  (from a client: each byte XORed with key[i % 4])
//! ```
//!
//! Frames from a browser are always **masked** with a fresh random key. That
//! is not secrecy (the key travels in the frame): it stops a hostile page
//! from choosing the exact bytes on the wire, bytes that a confused proxy
//! between the browser and the server might otherwise take for an HTTP
//! request of its own (RFC 6455 §10.3). So a server must refuse unmasked
//! client frames, and server frames are never masked.
//!
//! This module is pure: bytes in, bytes or events out, no sockets, so every
//! rule is tested with byte strings. [`Decoder`] is fed the bytes of each
//! `read()`, split anywhere, and hands out [`Received`] events: text
//! messages (one chat line each), pings to answer, and the close that ends
//! the connection, with its status code. The encoders build server frames
//! ([`push_text_frames`] appends one text frame per chat line, so a busy
//! writer can send many frames with one `write()`), close frames, and the
//! masked frames of a client ([`client_frame`], for tests).

use crate::support::{base64, sha1};
use crate::wire::http_request::{text_response, Request};

/// The constant RFC 6455 §1.3 appends to the client's key before hashing.
const HANDSHAKE_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The status codes this server sends in close frames (RFC 6455 §7.4.1).
pub mod status {
    /// The conversation is over, as asked.
    pub const NORMAL: u16 = 1000;
    /// The server is shutting down.
    pub const GOING_AWAY: u16 = 1001;
    /// A frame broke the protocol (unmasked, reserved bits, bad opcode, …).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A binary message: this chat only takes text.
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// A text message that is not UTF-8.
    pub const INVALID_TEXT: u16 = 1007;
    /// A message longer than the server will read at all (see
    /// `server::websocket_conn::MAX_MESSAGE_BYTES`).
    pub const TOO_BIG: u16 = 1009;
}

const OP_CONTINUATION: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;
/// Control frames (close, ping, pong) may carry at most this much.
const MAX_CONTROL_PAYLOAD: usize = 125;

// ---------------------------------------------------------------------------
// The handshake
// ---------------------------------------------------------------------------

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`: base64 of the
/// SHA-1 of the key followed by the GUID. It proves to the browser that the
/// server read this request as a WebSocket upgrade, not as any HTTP request.
pub fn accept_key(key: &str) -> String {
    base64::encode(&sha1::sha1(format!("{key}{HANDSHAKE_GUID}").as_bytes()))
}

/// Answers an upgrade request: `Ok` with the `101 Switching Protocols`
/// response to write before the first frame, or `Err` with a complete HTTP
/// error response (400, or 403 for another site's page) whose body is one
/// line saying what was wrong.
///
/// `allowed_origins` are the origins besides the server's own that may open
/// a chat connection (`http://teacher.example:8080`), compared ignoring case.
pub fn handshake(request: &Request, allowed_origins: &[String]) -> Result<String, String> {
    let bad = |reason: &str| Err(text_response("400 Bad Request", "", &format!("{reason}\n")));
    if request.method != "GET" || request.version != "HTTP/1.1" {
        return bad("A WebSocket upgrade must be a GET request in HTTP/1.1.");
    }
    let Some(host) = request.header("Host") else {
        return bad("The upgrade request has no Host header.");
    };
    if !request.header_has_token("Upgrade", "websocket") {
        return bad("This address is a WebSocket: the request needs Upgrade: websocket.");
    }
    if !request.header_has_token("Connection", "Upgrade") {
        return bad("The upgrade request needs Connection: Upgrade.");
    }
    if request.header("Sec-WebSocket-Version").as_deref() != Some("13") {
        // RFC 6455 §4.4: say which version we speak.
        return Err(text_response(
            "400 Bad Request",
            "Sec-WebSocket-Version: 13\r\n",
            "Only WebSocket version 13 is spoken here.\n",
        ));
    }
    let key = request.header("Sec-WebSocket-Key").unwrap_or_default();
    if base64::decode(&key).map(|bytes| bytes.len()) != Some(16) {
        return bad("Sec-WebSocket-Key must be 16 bytes in base64.");
    }
    if let Some(origin) = request.header("Origin") {
        if !host_allowed(&host, allowed_origins) {
            return Err(text_response(
                "403 Forbidden",
                "",
                &format!(
                    "Open this chat by the server's address, not by the name {0} (a name \
                     can be another site's in disguise), or add http://{0} to allowed_origins.\n",
                    printable(&host)
                ),
            ));
        }
        if !origin_allowed(&origin, &host, allowed_origins) {
            return Err(text_response(
                "403 Forbidden",
                "",
                &format!(
                    "Pages from {} may not open this chat (only pages from {host}).\n",
                    printable(&origin)
                ),
            ));
        }
    }
    Ok(format!(
        "HTTP/1.1 101 Switching Protocols\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\
         \r\n",
        accept_key(&key)
    ))
}

/// The cross-site rule. A browser sends `Origin` with every WebSocket
/// request: the site of the page that opened it. Without this check, any web
/// page a student visits could open a chat connection from their browser and
/// chat in their name, from inside the school network. A page the server
/// itself served has the origin `http://<Host>`; programs that are not
/// browsers send no `Origin` and are no such risk (they could connect with
/// TCP anyway).
pub fn origin_allowed(origin: &str, host: &str, allowed_origins: &[String]) -> bool {
    if allowed_origins
        .iter()
        .any(|allowed| allowed.eq_ignore_ascii_case(origin))
    {
        return true;
    }
    // "http://10.0.0.5:7007" → "10.0.0.5:7007", compared with Host.
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    authority.is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

/// The DNS-rebinding rule, checked before [`origin_allowed`] for every
/// browser (every request with an `Origin`). A hostile site can make its
/// own name resolve to the chat server's address after its page loaded;
/// the page's `Origin` and the request's `Host` are then *both* the
/// hostile name, and agree. So a browser is accepted only when it reached
/// the server by an IP address (the address it listens on, or a LAN one:
/// no other site's page has that origin), by `localhost`, or by a name the
/// teacher listed in `allowed_origins`. A teacher who shares a name
/// (`chat.school:7007`) lists it there; the refusal says so.
pub fn host_allowed(host: &str, allowed_origins: &[String]) -> bool {
    let name = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or(""),
        None => match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        },
    };
    if name.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    allowed_origins.iter().any(|allowed| {
        let authority = allowed
            .strip_prefix("http://")
            .or_else(|| allowed.strip_prefix("https://"));
        authority.is_some_and(|authority| authority.eq_ignore_ascii_case(host))
    })
}

/// Text from a request, made safe to echo in a one-line error.
fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(80).collect()
}

// ---------------------------------------------------------------------------
// Decoding client frames
// ---------------------------------------------------------------------------

/// What the decoder found in the bytes it was fed.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    /// A complete, non-empty text message: one chat line, valid UTF-8.
    Text(String),
    /// A ping: answer it with [`pong_frame`] of this payload.
    Ping(Vec<u8>),
    /// The connection is over: send [`close_frame`] with this status, then
    /// close. Either the client closed (its status, or 1000 when it gave
    /// none, echoed as RFC 6455 §5.5.1 asks) or it broke a rule (the status
    /// says which, and `reason` says it in words, for the log).
    Close { status: u16, reason: String },
}

/// Where the decoder is inside the current frame.
#[derive(Debug)]
enum Position {
    /// Reading the 2 to 14 header bytes.
    Header,
    /// Reading `left` payload bytes of a frame with this opcode.
    Payload {
        opcode: u8,
        fin: bool,
        mask: [u8; 4],
        /// How many payload bytes were unmasked so far (for `mask[i % 4]`).
        done: usize,
        left: usize,
    },
    /// A close was handed out: everything after it is ignored.
    Closed,
}

/// Turns a client's bytes into [`Received`] events, whatever way the bytes
/// are split across reads.
///
/// Memory stays bounded by `max_message_bytes` (plus 14 header bytes and a
/// control frame's 125): a frame's length is known from its header, so a
/// message that would be too long is refused before any of its payload is
/// stored.
#[derive(Debug)]
pub struct Decoder {
    max_message_bytes: usize,
    position: Position,
    header: Vec<u8>,
    /// The text message being assembled, across fragments.
    message: Vec<u8>,
    /// True between a text frame without FIN and its last continuation.
    in_message: bool,
    /// How much of `message` is known to be valid UTF-8 (a character may be
    /// split between fragments, so the last 1-3 bytes may wait for more).
    valid_up_to: usize,
    /// The payload of the control frame being read.
    control: Vec<u8>,
}

impl Decoder {
    pub fn new(max_message_bytes: usize) -> Decoder {
        Decoder {
            max_message_bytes,
            position: Position::Header,
            header: Vec::with_capacity(14),
            message: Vec::new(),
            in_message: false,
            valid_up_to: 0,
            control: Vec::new(),
        }
    }

    /// Feeds the bytes of one `read()`; what they complete is appended to
    /// `events`. After a [`Received::Close`], nothing more is ever appended.
    pub fn push(&mut self, mut bytes: &[u8], events: &mut Vec<Received>) {
        while !bytes.is_empty() {
            let used = match self.position {
                Position::Closed => return,
                Position::Header => self.header_bytes(bytes, events),
                Position::Payload { .. } => self.payload_bytes(bytes, events),
            };
            bytes = &bytes[used..];
        }
    }

    /// Takes header bytes; returns how many of `bytes` were used.
    fn header_bytes(&mut self, bytes: &[u8], events: &mut Vec<Received>) -> usize {
        // Take one byte at a time until the header's length is known, then
        // the rest of it at once.
        let wanted = header_length(&self.header).saturating_sub(self.header.len());
        let used = wanted.min(bytes.len());
        self.header.extend_from_slice(&bytes[..used]);
        if self.header.len() == header_length(&self.header) {
            if let Err((status, reason)) = self.start_frame() {
                self.fail(status, reason, events);
            } else if let Position::Payload { left: 0, .. } = self.position {
                self.end_frame(events); // an empty frame has no payload to wait for
            }
        }
        used
    }

    /// Checks a complete header against the rules and starts its payload.
    fn start_frame(&mut self) -> Result<(), (u16, &'static str)> {
        use status::*;
        let h = std::mem::take(&mut self.header);
        let fin = h[0] & 0x80 != 0;
        let opcode = h[0] & 0x0F;
        if h[0] & 0x70 != 0 {
            return Err((
                PROTOCOL_ERROR,
                "reserved bits set (no extension was agreed)",
            ));
        }
        if h[1] & 0x80 == 0 {
            return Err((PROTOCOL_ERROR, "an unmasked frame from a client"));
        }
        let length = match h[1] & 0x7F {
            126 => u64::from(u16::from_be_bytes([h[2], h[3]])),
            127 => u64::from_be_bytes([h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9]]),
            short => u64::from(short),
        };
        let mask = [
            h[h.len() - 4],
            h[h.len() - 3],
            h[h.len() - 2],
            h[h.len() - 1],
        ];
        match opcode {
            OP_CLOSE | OP_PING | OP_PONG => {
                if !fin {
                    return Err((PROTOCOL_ERROR, "a fragmented control frame"));
                }
                if length > MAX_CONTROL_PAYLOAD as u64 {
                    return Err((PROTOCOL_ERROR, "a control frame over 125 bytes"));
                }
            }
            OP_TEXT | OP_CONTINUATION => {
                if opcode == OP_TEXT && self.in_message {
                    return Err((PROTOCOL_ERROR, "a new message inside a fragmented one"));
                }
                if opcode == OP_CONTINUATION && !self.in_message {
                    return Err((PROTOCOL_ERROR, "a continuation with no message to continue"));
                }
                let room = self.max_message_bytes - self.message.len().min(self.max_message_bytes);
                if length > room as u64 {
                    return Err((TOO_BIG, "a message longer than the server's limit"));
                }
                self.in_message = !fin;
            }
            OP_BINARY => return Err((UNSUPPORTED_DATA, "a binary message (only text is chat)")),
            _ => return Err((PROTOCOL_ERROR, "an unknown opcode")),
        }
        // Within the limits checked above, so it fits in usize.
        let left = usize::try_from(length).unwrap_or(usize::MAX);
        self.position = Position::Payload {
            opcode,
            fin,
            mask,
            done: 0,
            left,
        };
        Ok(())
    }

    /// Takes payload bytes; returns how many of `bytes` were used.
    fn payload_bytes(&mut self, bytes: &[u8], events: &mut Vec<Received>) -> usize {
        let Position::Payload {
            opcode,
            mask,
            done,
            left,
            ..
        } = &mut self.position
        else {
            return 0;
        };
        let used = (*left).min(bytes.len());
        let target = if *opcode == OP_TEXT || *opcode == OP_CONTINUATION {
            &mut self.message
        } else {
            &mut self.control
        };
        target.extend(
            bytes[..used]
                .iter()
                .enumerate()
                .map(|(i, byte)| byte ^ mask[(*done + i) % 4]),
        );
        *done += used;
        *left -= used;
        let finished = *left == 0;
        let is_text = *opcode != OP_CLOSE && *opcode != OP_PING && *opcode != OP_PONG;
        // Check the UTF-8 as it arrives, so a bad byte is refused at once.
        if is_text && !self.check_utf8(false) {
            self.fail(
                status::INVALID_TEXT,
                "a text message that is not UTF-8",
                events,
            );
            return used;
        }
        if finished {
            self.end_frame(events);
        }
        used
    }

    /// Is `message` valid UTF-8 so far? At the `end` of a message, an
    /// unfinished character is invalid too.
    fn check_utf8(&mut self, end: bool) -> bool {
        match std::str::from_utf8(&self.message[self.valid_up_to..]) {
            Ok(_) => {
                self.valid_up_to = self.message.len();
                true
            }
            // `error_len() == None`: the bytes so far are the start of a
            // character that may be finished by the next bytes.
            Err(error) if error.error_len().is_none() && !end => {
                self.valid_up_to += error.valid_up_to();
                true
            }
            Err(_) => false,
        }
    }

    /// A whole frame has been read: act on it.
    fn end_frame(&mut self, events: &mut Vec<Received>) {
        let Position::Payload { opcode, fin, .. } = self.position else {
            return;
        };
        self.position = Position::Header;
        match opcode {
            OP_PING => events.push(Received::Ping(std::mem::take(&mut self.control))),
            OP_PONG => self.control.clear(), // an answer to nothing we sent: ignored
            OP_CLOSE => self.close_received(events),
            _ if !fin => {} // more fragments to come
            _ => {
                if !self.check_utf8(true) {
                    self.fail(
                        status::INVALID_TEXT,
                        "a text message that is not UTF-8",
                        events,
                    );
                    return;
                }
                let message = std::mem::take(&mut self.message);
                self.valid_up_to = 0;
                // Checked just above; an empty message is dropped, as the
                // line framer drops empty lines.
                if let Ok(text) = String::from_utf8(message) {
                    if !text.is_empty() {
                        events.push(Received::Text(text));
                    }
                }
            }
        }
    }

    /// The client's close frame: its status (if valid) is echoed.
    fn close_received(&mut self, events: &mut Vec<Received>) {
        let payload = std::mem::take(&mut self.control);
        let (status, reason) = match payload.as_slice() {
            [] => (status::NORMAL, String::new()),
            [_] => return self.fail(status::PROTOCOL_ERROR, "a close frame of one byte", events),
            [high, low, reason @ ..] => {
                let code = u16::from_be_bytes([*high, *low]);
                if !valid_close_status(code) {
                    return self.fail(status::PROTOCOL_ERROR, "an invalid close status", events);
                }
                match std::str::from_utf8(reason) {
                    Ok(reason) => (code, reason.to_string()),
                    Err(_) => {
                        return self.fail(
                            status::INVALID_TEXT,
                            "a close reason not in UTF-8",
                            events,
                        )
                    }
                }
            }
        };
        self.position = Position::Closed;
        events.push(Received::Close { status, reason });
    }

    /// The client broke a rule: the connection ends with `status`.
    fn fail(&mut self, status: u16, reason: &str, events: &mut Vec<Received>) {
        self.position = Position::Closed;
        self.message = Vec::new();
        self.control = Vec::new();
        events.push(Received::Close {
            status,
            reason: format!("the client sent {reason}"),
        });
    }
}

/// How long a header is, given its first bytes (2 until byte 1 is known).
fn header_length(start: &[u8]) -> usize {
    let Some(&second) = start.get(1) else {
        return 2;
    };
    let mask = if second & 0x80 != 0 { 4 } else { 0 };
    let length_bytes = match second & 0x7F {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    2 + length_bytes + mask
}

/// May a close frame carry this status? (RFC 6455 §7.4: 1004-1006 and 1015
/// are reserved for reports that never travel in a frame; 3000-4999 are for
/// applications.)
fn valid_close_status(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1011 | 3000..=4999)
}

// ---------------------------------------------------------------------------
// Encoding frames
// ---------------------------------------------------------------------------

/// Appends one unmasked frame (the server's kind) to `out`.
fn push_frame(opcode: u8, payload: &[u8], out: &mut Vec<u8>) {
    out.push(0x80 | opcode); // FIN: the server never fragments
    push_length(0, payload.len(), out);
    out.extend_from_slice(payload);
}

/// The length field, with `mask_bit` (0x80 for a client) in its first byte.
fn push_length(mask_bit: u8, length: usize, out: &mut Vec<u8>) {
    match length {
        0..=125 => out.push(mask_bit | length as u8),
        126..=0xFFFF => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(length as u16).to_be_bytes());
        }
        _ => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(length as u64).to_be_bytes());
        }
    }
}

/// Appends one text frame per line of `lines` to `out`. The server renders
/// chat lines ending in `\r\n`, sometimes several at once; in a WebSocket
/// the frame is the line, so the line endings are left out and empty lines
/// make no frame. Call it for every queued line and `write()` `out` once.
pub fn push_text_frames(lines: &str, out: &mut Vec<u8>) {
    for line in lines.split("\r\n").filter(|line| !line.is_empty()) {
        push_frame(OP_TEXT, line.as_bytes(), out);
    }
}

/// A close frame with `status` and a short reason (cut to fit the 125
/// bytes a control frame may hold, at a character boundary).
pub fn close_frame(status: u16, reason: &str) -> Vec<u8> {
    let mut payload = status.to_be_bytes().to_vec();
    for c in reason.chars() {
        if payload.len() + c.len_utf8() > MAX_CONTROL_PAYLOAD {
            break;
        }
        let mut buffer = [0u8; 4];
        payload.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
    }
    let mut frame = Vec::new();
    push_frame(OP_CLOSE, &payload, &mut frame);
    frame
}

/// The pong that answers a ping with this payload (at most 125 bytes, as
/// the decoder guarantees).
pub fn pong_frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::new();
    push_frame(
        OP_PONG,
        &payload[..payload.len().min(MAX_CONTROL_PAYLOAD)],
        &mut frame,
    );
    frame
}

/// The opcodes a client frame can have, for [`client_frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opcode {
    Continuation,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
    /// Any other value, to test that it is refused.
    Other(u8),
}

/// A client's frame, masked with `mask`: what a browser sends. For tests and
/// test clients; the server never masks.
pub fn client_frame(opcode: Opcode, fin: bool, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
    let opcode = match opcode {
        Opcode::Continuation => OP_CONTINUATION,
        Opcode::Text => OP_TEXT,
        Opcode::Binary => OP_BINARY,
        Opcode::Close => OP_CLOSE,
        Opcode::Ping => OP_PING,
        Opcode::Pong => OP_PONG,
        Opcode::Other(value) => value & 0x0F,
    };
    let mut frame = vec![if fin { 0x80 } else { 0 } | opcode];
    push_length(0x80, payload.len(), &mut frame);
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

/// A frame from the server, as a test client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFrame {
    /// The last frame of its message.
    pub fin: bool,
    /// 1 text, 0 continuation, 8 close, 9 ping, 10 pong.
    pub opcode: u8,
    pub payload: Vec<u8>,
}

/// The *client* side's reader of the server's unmasked frames: the frames
/// complete at the start of `bytes`, and how many bytes they used (the rest
/// waits for the next read). For test clients, which trust the server and
/// so check no rules.
pub fn parse_server_frames(bytes: &[u8]) -> (Vec<ServerFrame>, usize) {
    let mut frames = Vec::new();
    let mut at = 0;
    while let Some(&first) = bytes.get(at) {
        let Some(&second) = bytes.get(at + 1) else {
            break;
        };
        let (length, start) = match second & 0x7F {
            126 if bytes.len() >= at + 4 => (
                usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]])),
                at + 4,
            ),
            127 if bytes.len() >= at + 10 => {
                let mut long = [0u8; 8];
                long.copy_from_slice(&bytes[at + 2..at + 10]);
                (
                    usize::try_from(u64::from_be_bytes(long)).unwrap_or(usize::MAX),
                    at + 10,
                )
            }
            126 | 127 => break,
            short => (usize::from(short), at + 2),
        };
        if bytes.len() - start < length {
            break;
        }
        frames.push(ServerFrame {
            fin: first & 0x80 != 0,
            opcode: first & 0x0F,
            payload: bytes[start..start + length].to_vec(),
        });
        at = start + length;
    }
    (frames, at)
}

#[cfg(test)]
#[path = "websocket_tests.rs"]
mod tests;
