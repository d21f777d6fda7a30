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
//! rule is tested with byte strings. It is one file per job, and this one
//! holds what they share: the opcodes, the control frames' limit and the
//! close [`status`] codes.
//! - [`handshake`] (in `upgrade.rs`) answers the HTTP upgrade request, with
//!   the cross-site and DNS-rebinding rules that decide who may connect.
//! - [`Decoder`] (in `decoder.rs`) is fed the bytes of each `read()`, split
//!   anywhere, and hands out [`Received`] events: text messages (one chat
//!   line each), pings to answer, and the close that ends the connection,
//!   with its status code.
//! - The encoders (in `encode.rs`) build server frames: [`push_text_frames`]
//!   appends one text frame per chat line, so a busy writer can send many
//!   frames with one `write()`; [`close_frame`] and [`pong_frame`].
//! - The client's side (in `client.rs`), for tests and test clients:
//!   [`client_frame`] builds the masked frames a browser sends, and
//!   [`parse_server_frames`] reads the server's.

mod client;
mod decoder;
mod encode;
mod upgrade;

pub use client::{client_frame, parse_server_frames, Opcode, ServerFrame};
pub use decoder::{Decoder, Received};
pub use encode::{close_frame, pong_frame, push_text_frames};
pub use upgrade::{accept_key, handshake, host_allowed, origin_allowed};

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

#[cfg(test)]
#[path = "websocket_tests.rs"]
mod tests;
