//! Line framing: turning the bytes of a TCP stream into lines.
//!
//! TCP is a byte stream, not a message stream: one `read()` may return half a
//! line, or three lines and the start of a fourth. So a connection's bytes go
//! through a [`LineFramer`], which keeps the unfinished tail between reads and
//! hands out complete lines. It is also where the real world's clients are
//! made to look alike, because they all end and edit lines differently:
//!
//! - **Line endings.** `nc` sends `\n`, Windows programs `\r\n`, old Macs and
//!   some terminals a bare `\r`, and telnet in its default mode `\r\0`. All
//!   four end a line. Any other NUL byte is dropped.
//! - **Telnet negotiation.** A telnet client starts by sending option
//!   negotiation: `IAC` (byte 255) followed by a command, `IAC WILL/WONT/DO/
//!   DONT <option>`, or a sub-negotiation `IAC SB … IAC SE`. None of it is
//!   text, so it is removed here. (255 never occurs in UTF-8 text, so this
//!   cannot eat a real character. `IAC IAC` is telnet's escaped 255: it is
//!   kept as the byte 255, and the line then fails the UTF-8 check.)
//! - **Backspace and DEL.** Windows telnet sends every keystroke as typed,
//!   corrections included. Byte 8 or 127 deletes the whole UTF-8 character
//!   before it, as the person saw it happen on their screen.
//! - **Length.** A line may hold at most `max_line_bytes` bytes (its ending not
//!   counted). A longer one is reported once as [`Frame::TooLong`] and the
//!   rest of it is thrown away as it arrives, up to its end: memory stays
//!   bounded whatever a client sends, and the connection stays usable.
//!
//! Empty lines are dropped here too: pressing Enter twice means nothing.
//!
//! The framer is a small state machine fed one byte at a time. That is simple
//! to read and, at chat speeds, far from being the bottleneck.

/// What the framer hands out.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete, non-empty line without its ending (may not be UTF-8 yet).
    Line(Vec<u8>),
    /// A line went over the limit; the rest of it is being discarded.
    TooLong,
}

/// Telnet's "interpret as command" byte and the commands that matter here.
const IAC: u8 = 255;
const SB: u8 = 250; // sub-negotiation begins
const SE: u8 = 240; // sub-negotiation ends
const WILL: u8 = 251;
const DONT: u8 = 254;
const BACKSPACE: u8 = 0x08;
const DELETE: u8 = 0x7f;

/// Where in the byte stream the framer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// Ordinary text.
    Text,
    /// Just after a `\r`: a following `\n` or `\0` belongs to the same ending.
    AfterCr,
    /// Just after `IAC`.
    Command,
    /// After `IAC WILL/WONT/DO/DONT`: one option byte follows.
    Option,
    /// Inside `IAC SB …`, waiting for `IAC SE`.
    SubNegotiation,
    /// Inside a sub-negotiation, just after an `IAC`.
    SubNegotiationCommand,
}

/// Splits one connection's incoming bytes into [`Frame`]s.
#[derive(Debug)]
pub struct LineFramer {
    line: Vec<u8>,
    max_line_bytes: usize,
    position: Position,
    /// True while throwing away the rest of an over-long line.
    discarding: bool,
}

impl LineFramer {
    pub fn new(max_line_bytes: usize) -> LineFramer {
        LineFramer {
            line: Vec::new(),
            max_line_bytes,
            position: Position::Text,
            discarding: false,
        }
    }

    /// Feeds the bytes of one `read()`; complete frames are appended to `frames`.
    pub fn push(&mut self, bytes: &[u8], frames: &mut Vec<Frame>) {
        for &byte in bytes {
            self.push_byte(byte, frames);
        }
    }

    fn push_byte(&mut self, byte: u8, frames: &mut Vec<Frame>) {
        match self.position {
            Position::Command => {
                self.position = match byte {
                    IAC => {
                        self.text_byte(IAC, frames);
                        Position::Text
                    }
                    SB => Position::SubNegotiation,
                    WILL..=DONT => Position::Option,
                    _ => Position::Text, // a two-byte command such as IAC NOP
                };
                return;
            }
            Position::Option => {
                self.position = Position::Text;
                return;
            }
            Position::SubNegotiation => {
                if byte == IAC {
                    self.position = Position::SubNegotiationCommand;
                }
                return;
            }
            Position::SubNegotiationCommand => {
                self.position = if byte == SE {
                    Position::Text
                } else {
                    Position::SubNegotiation
                };
                return;
            }
            Position::AfterCr => {
                self.position = Position::Text;
                if byte == b'\n' || byte == 0 {
                    return; // the second half of `\r\n` or `\r\0`
                }
            }
            Position::Text => {}
        }
        match byte {
            IAC => self.position = Position::Command,
            b'\n' => self.end_line(frames),
            b'\r' => {
                self.end_line(frames);
                self.position = Position::AfterCr;
            }
            0 => {}
            BACKSPACE | DELETE => self.delete_last_char(),
            _ => self.text_byte(byte, frames),
        }
    }

    fn text_byte(&mut self, byte: u8, frames: &mut Vec<Frame>) {
        if self.discarding {
            return;
        }
        if self.line.len() >= self.max_line_bytes {
            // Report once, forget what we had, and skip to the line's end.
            self.discarding = true;
            self.line = Vec::new();
            frames.push(Frame::TooLong);
            return;
        }
        self.line.push(byte);
    }

    fn end_line(&mut self, frames: &mut Vec<Frame>) {
        if self.discarding {
            self.discarding = false;
        } else if !self.line.is_empty() {
            frames.push(Frame::Line(std::mem::take(&mut self.line)));
        }
    }

    /// Removes the last UTF-8 character: its continuation bytes (`10xxxxxx`)
    /// and the byte that started it.
    fn delete_last_char(&mut self) {
        while let Some(byte) = self.line.pop() {
            if byte & 0b1100_0000 != 0b1000_0000 {
                break;
            }
        }
    }
}

/// A line as a client program reads it, without its `"\n"` or `"\r\n"`
/// (telnet and Windows send `"\r\n"`). The clients in steps 2 and 3 read
/// whole lines with `read_until`; the server uses [`LineFramer`] instead.
pub fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_line_end_removes_one_line_ending() {
        assert_eq!(trim_line_end(b"hi\r\n"), b"hi");
        assert_eq!(trim_line_end(b"hi\n"), b"hi");
        assert_eq!(trim_line_end(b"hi"), b"hi");
        assert_eq!(trim_line_end(b"hi\n\n"), b"hi\n");
    }

    fn frames(max: usize, chunks: &[&[u8]]) -> Vec<Frame> {
        let mut framer = LineFramer::new(max);
        let mut out = Vec::new();
        for chunk in chunks {
            framer.push(chunk, &mut out);
        }
        out
    }

    fn line(text: &str) -> Frame {
        Frame::Line(text.as_bytes().to_vec())
    }

    #[test]
    fn all_four_line_endings() {
        let out = frames(100, &[b"a\nb\r\nc\rd\r\0e\n"]);
        assert_eq!(out, [line("a"), line("b"), line("c"), line("d"), line("e")]);
    }

    #[test]
    fn lines_split_across_reads_and_cr_lf_split_too() {
        let out = frames(100, &[b"hel", b"lo\r", b"\nwor", b"ld\n"]);
        assert_eq!(out, [line("hello"), line("world")]);
    }

    #[test]
    fn empty_lines_and_stray_nuls_vanish() {
        assert_eq!(frames(100, &[b"\n\r\n\r\0\na\0b\n"]), [line("ab")]);
    }

    #[test]
    fn backspace_and_delete_remove_whole_characters() {
        assert_eq!(frames(100, &[b"helo\x08lo\n"]), [line("hello")]);
        // "é" is two bytes, "€" three: one DEL each.
        assert_eq!(
            frames(100, &["caf\u{e9}\x7fe \u{20ac}\x7f!\n".as_bytes()]),
            [line("cafe !")]
        );
        assert_eq!(frames(100, &[b"\x08\x08ok\n"]), [line("ok")]);
    }

    #[test]
    fn telnet_negotiation_is_removed() {
        // IAC DO ECHO, IAC WILL NAWS, IAC SB NAWS 0 80 0 24 IAC SE, IAC NOP.
        let input: &[u8] = &[
            255, 253, 1, b'h', 255, 251, 31, b'i', 255, 250, 31, 0, 80, 0, 24, 255, 240, 255, 241,
            b'!', b'\r', 0,
        ];
        assert_eq!(frames(100, &[input]), [line("hi!")]);
        // Split in the middle of a sequence.
        assert_eq!(
            frames(100, &[&[b'a', 255], &[253], &[1, b'b', b'\n']]),
            [line("ab")]
        );
        // IAC IAC is a literal 255 byte.
        assert_eq!(
            frames(100, &[&[b'x', 255, 255, b'\n']]),
            [Frame::Line(vec![b'x', 255])]
        );
    }

    #[test]
    fn long_lines_are_reported_once_and_discarded_to_their_end() {
        let mut long = vec![b'x'; 5000];
        long.extend_from_slice(b"\nshort\n");
        let out = frames(1024, &[&long[..3000], &long[3000..]]);
        assert_eq!(out, [Frame::TooLong, line("short")]);
        // Exactly at the limit is fine.
        let exact = [vec![b'y'; 8], b"\n".to_vec()].concat();
        assert_eq!(frames(8, &[&exact]), [Frame::Line(vec![b'y'; 8])]);
    }
}
