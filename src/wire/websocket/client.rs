//! The client's side of the framing, for tests and test clients.
//!
//! The server never masks and never reads its own frames, but its tests
//! must play the browser: [`client_frame`] builds the masked frames a
//! browser sends (any opcode, FIN or not, so every rule of the decoder can
//! be broken on purpose), and [`parse_server_frames`] reads what the server
//! sends back. They are public so the integration tests use the same
//! code; they trust the server and so check no rules.

use super::encode::push_length;
use super::{OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT};

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
