//! Decoding a client's frames: bytes of each `read()` in, [`Received`]
//! events out.
//!
//! The bytes may be split anywhere, one frame across many reads or many
//! frames in one, so the [`Decoder`] keeps its place inside the current
//! frame ([`Position`]) and takes only as many bytes as the next step
//! needs. Every rule of RFC 6455 that a client can break is checked here,
//! as early as it can be: an unmasked frame, reserved bits, a fragmented
//! or oversized control frame, a binary message, text that is not UTF-8
//! (checked as it arrives, a character split between fragments allowed),
//! a message over the server's limit (refused from its header, before any
//! of its payload is stored). A broken rule ends the connection with the
//! close status that names it, and nothing more is decoded after a close.

use super::status;
use super::MAX_CONTROL_PAYLOAD;
use super::{OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT};

/// What the decoder found in the bytes it was fed.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    /// A complete, non-empty text message: one chat line, valid UTF-8.
    Text(String),
    /// A ping: answer it with [`pong_frame`](super::pong_frame) of this payload.
    Ping(Vec<u8>),
    /// The connection is over: send [`close_frame`](super::close_frame) with this status, then
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
