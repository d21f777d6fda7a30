//! Encoding the server's frames: text, close and pong.
//!
//! A server's frames are never masked and never fragmented: each one is a
//! whole message with FIN set, its length, and its payload as it is. A
//! chat line is one text frame, so [`push_text_frames`] appends a frame per
//! line to a buffer that the writer sends with one `write()`, however many
//! lines were queued. Control frames carry at most 125 bytes: a close
//! reason is cut to fit at a character boundary, and a pong echoes the
//! ping's payload (which the decoder has already held to that limit).

use super::{MAX_CONTROL_PAYLOAD, OP_CLOSE, OP_PONG, OP_TEXT};

/// Appends one unmasked frame (the server's kind) to `out`.
fn push_frame(opcode: u8, payload: &[u8], out: &mut Vec<u8>) {
    out.push(0x80 | opcode); // FIN: the server never fragments
    push_length(0, payload.len(), out);
    out.extend_from_slice(payload);
}

/// The length field, with `mask_bit` (0x80 for a client) in its first byte.
pub(super) fn push_length(mask_bit: u8, length: usize, out: &mut Vec<u8>) {
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
