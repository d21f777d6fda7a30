//! Hostile-text hygiene: what one client types must never control another
//! client's terminal, and a command typed at a terminal must be read as one.
//!
//! A chat server copies one person's bytes onto other people's screens. Raw
//! terminals (`nc`, `telnet`) obey control characters: `ESC [ 2 J` clears the
//! screen, others move the cursor, change colours or the window title, or beep.
//! Unicode's bidirectional overrides can make text display in a different order
//! from how it reads, so a line can pretend to say something it does not, and
//! invisible characters can hide inside a line or split it in a viewer.
//!
//! **[`clean`]**, for everything relayed to others (messages, topics,
//! announcements, kick reasons, the transcript), removes what [`is_unsafe`]
//! lists: the C0 control characters except TAB, DEL, the C1 controls
//! (U+0080–U+009F), the bidi overrides and isolates (U+202A–U+202E,
//! U+2066–U+2069) and the other directional marks (U+200E, U+200F, U+061C),
//! the line and paragraph separators (U+2028, U+2029; some viewers start a
//! new line there), and the zero-width and invisible characters (U+200B–U+200D,
//! U+2060–U+2064, U+FEFF). Removing the control characters is enough for
//! safety: without its ESC, the printable rest of an escape sequence (`[2J`)
//! is harmless text. The cost: U+200C/U+200D also shape Persian words and
//! join emoji (👨‍👩‍👧 shows as three faces); safety wins.
//!
//! **[`clean_typed_line`]** runs earlier, on every line before it is parsed,
//! because a person at a terminal sends more than they see. The up arrow sends
//! `ESC [ A`, Ctrl-L sends byte 12, a paste can start with a BOM or a
//! zero-width space, and a stray space before `/op secret` used to turn the
//! command into chat, password and all. So it removes *whole* terminal
//! sequences (not just their ESC: `[A/op` would still not be a command),
//! everything [`is_unsafe`] lists, and the blanks before a leading `/`, and it
//! obeys the two line-editing keys a raw terminal sends as bytes: Ctrl-U
//! (0x15) erases everything typed before it, Ctrl-W (0x17) the word before
//! it, as a cooked terminal would have done on the person's screen.
//! Backspace, DEL, telnet negotiation and line endings are byte-level and are
//! handled before UTF-8 decoding, by the wire layer's framing (`wire/framing.rs`); this works on text.

use std::borrow::Cow;

/// Is `c` a character that must not reach another person's terminal?
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{a}'..='\u{1f}' | '\u{7f}'..='\u{9f}' // controls
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' // bidi overrides, isolates
        | '\u{200e}' | '\u{200f}' | '\u{61c}' // directional marks
        | '\u{2028}' | '\u{2029}' // line and paragraph separators
        | '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{feff}') // zero-width
}

/// `text` without its unsafe characters. Borrows when there is nothing to
/// remove, which is nearly always, so clean text costs no allocation.
pub fn clean(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_unsafe) {
        Cow::Owned(text.chars().filter(|&c| !is_unsafe(c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

const ESC: char = '\u{1b}';
const BEL: char = '\u{7}';
/// Ctrl-U, "kill line" in a cooked terminal.
const ERASE_LINE: char = '\u{15}';
/// Ctrl-W, "erase word" in a cooked terminal.
const ERASE_WORD: char = '\u{17}';
/// The single-character (C1) forms of CSI, of the string sequences (DCS,
/// SOS, OSC, PM, APC), of their terminator ST, and of SS2/SS3.
const C1_CSI: char = '\u{9b}';
const C1_ST: char = '\u{9c}';

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// A typed line made ready for parsing: terminal sequences, line-editing
/// keys and invisible characters done with, and the blanks before a leading
/// `/` (or a fullwidth `／`, which CJK keyboards type) removed, so that
/// `ESC [ A /op x`, `^L/op x` and `  /quit` are the commands they look like.
/// Other lines keep their leading blanks: indentation in pasted code is
/// meant. The result may be empty (a line of arrow keys).
///
/// Which sequences (ECMA-48, what terminals send):
/// - `ESC [` (or U+009B) parameters and intermediates, then one final byte
///   `@`–`~`: CSI, the arrow keys, `ESC [ 1 ; 5 A`, bracketed paste
///   `ESC [ 200 ~`;
/// - `ESC ]`, `ESC P`, `ESC X`, `ESC ^`, `ESC _` (or U+009D, U+0090, U+0098,
///   U+009E, U+009F) up to BEL or ST (`ESC \`, U+009C), or the line's end:
///   OSC (window titles) and the other string sequences;
/// - `ESC O x` and `ESC N x` (or U+008F, U+008E): SS3, SS2, the keypad and
///   F1–F4;
/// - `ESC`, intermediates (space to `/`), a final byte: `ESC ( B`;
/// - `ESC` and any other printable ASCII character: `ESC 7`, Alt+key.
pub fn clean_typed_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ESC => skip_escape(&mut chars),
            C1_CSI => skip_csi(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\u{8e}' | '\u{8f}' => {
                chars.next_if(is_printable_ascii);
            }
            ERASE_LINE => out.clear(),
            ERASE_WORD => {
                let kept = out
                    .trim_end()
                    .trim_end_matches(|c: char| !c.is_whitespace());
                out.truncate(kept.len());
            }
            c if is_unsafe(c) => {}
            c => out.push(c),
        }
    }
    let start = out.trim_start();
    if let Some(rest) = start.strip_prefix('\u{ff0f}') {
        format!("/{rest}")
    } else if start.starts_with('/') {
        start.to_string()
    } else {
        out
    }
}

fn is_printable_ascii(c: &char) -> bool {
    (' '..='~').contains(c)
}

/// After an ESC: skips the rest of its sequence.
fn skip_escape(chars: &mut Chars) {
    let Some(&next) = chars.peek() else {
        return; // a lone ESC at the end
    };
    match next {
        '[' => {
            chars.next();
            skip_csi(chars);
        }
        ']' | 'P' | 'X' | '^' | '_' => {
            chars.next();
            skip_string(chars);
        }
        'O' | 'N' => {
            chars.next();
            chars.next_if(is_printable_ascii);
        }
        ' '..='/' => {
            while chars.next_if(|c| (' '..='/').contains(c)).is_some() {}
            chars.next_if(|c| ('0'..='~').contains(c));
        }
        '0'..='~' => {
            chars.next();
        }
        _ => {} // ESC before a control or non-ASCII character: just the ESC
    }
}

/// A CSI's parameters (`0`–`?`) and intermediates (space–`/`), then its
/// final character (`@`–`~`).
fn skip_csi(chars: &mut Chars) {
    while chars.next_if(|c| (' '..='?').contains(c)).is_some() {}
    chars.next_if(|c| ('@'..='~').contains(c));
}

/// An OSC-like string, up to and including its terminator.
fn skip_string(chars: &mut Chars) {
    while let Some(c) = chars.next() {
        match c {
            BEL | C1_ST => return,
            ESC => {
                chars.next_if(|&c| c == '\\');
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_escape_sequences_controls_and_bidi() {
        assert_eq!(clean("\u{1b}[2Jhi\u{7}"), "[2Jhi");
        assert_eq!(clean("a\u{9b}31mb\u{85}c\u{7f}"), "a31mbc");
        assert_eq!(clean("\u{202e}olleh\u{2066}x\u{2069}"), "ollehx");
    }

    #[test]
    fn keeps_tabs_and_ordinary_unicode() {
        assert!(matches!(clean("tab\there é ☃ 你好"), Cow::Borrowed(_)));
    }

    #[test]
    fn removes_separators_zero_width_and_directional_marks() {
        let hidden = "a\u{2028}b\u{2029}c\u{200b}d\u{200c}e\u{200d}f\u{2060}g\u{feff}h";
        assert_eq!(clean(hidden), "abcdefgh");
        assert_eq!(clean("\u{200e}x\u{200f}y\u{61c}z"), "xyz");
    }

    /// Issue 15, row 0: each of these must come out as the command typed.
    #[test]
    fn typed_commands_survive_terminal_keys() {
        let cases = [
            ("\u{1b}[A/op secret", "/op secret"),               // up arrow
            ("\u{1b}[A\u{1b}[A\u{1b}[B/mute bob", "/mute bob"), // several arrows
            ("\u{1b}[1;5D/op secret", "/op secret"),            // Ctrl+left, parameters
            ("\u{1b}OA/op secret", "/op secret"),               // up arrow, application mode
            ("\u{1b}OP/op secret", "/op secret"),               // F1 (SS3)
            ("\u{9b}A/op secret", "/op secret"),                // C1 CSI
            ("\u{8f}A/op secret", "/op secret"),                // C1 SS3
            ("\u{c}/op secret", "/op secret"),                  // Ctrl-L
            (" /quit", "/quit"),                                // a leading space
            ("  \t /quit", "/quit"),                            // spaces and a tab
            ("\u{3000}/quit", "/quit"),                         // ideographic space
            ("hello\u{15}/op secret", "/op secret"),            // Ctrl-U after typing
            ("oops \u{15} /quit", "/quit"),                     // Ctrl-U, then a space
            ("\u{1b}]0;title\u{7}/op secret", "/op secret"),    // OSC ended by BEL
            ("\u{1b}]0;title\u{1b}\\/op secret", "/op secret"), // OSC ended by ST
            ("\u{1b}P1$r\u{9c}/op secret", "/op secret"),       // DCS ended by C1 ST
            ("\u{1b}7/op secret", "/op secret"),                // two-byte ESC 7
            ("\u{1b}(B/op secret", "/op secret"),               // ESC ( B, an intermediate
            ("\u{1b}[200~/op secret\u{1b}[201~", "/op secret"), // bracketed paste
            ("\u{feff}/op secret", "/op secret"),               // a BOM from a paste
            ("\u{200b} /op secret", "/op secret"),              // zero-width space
            ("\u{ff0f}nick 李", "/nick 李"),                    // fullwidth solidus
            ("/op wrong\u{17}secret", "/op secret"),            // Ctrl-W erases a word
            ("/op wrong  \u{17}secret", "/op secret"),
        ];
        for (typed, expected) in cases {
            assert_eq!(clean_typed_line(typed), expected, "{typed:?}");
        }
    }

    #[test]
    fn typed_messages_lose_sequences_but_keep_their_text() {
        assert_eq!(clean_typed_line("a\u{1b}[31mred\u{1b}[0m!"), "ared!");
        assert_eq!(clean_typed_line("hi\u{1b}"), "hi"); // a lone ESC at the end
        assert_eq!(clean_typed_line("\u{1b}é"), "é"); // ESC before non-ASCII
        assert_eq!(clean_typed_line("\u{1b}]0;never ended"), "");
        assert_eq!(clean_typed_line("\u{1b}[A\u{1b}[B"), "");
        // Indentation of a message is kept; only a command's blanks go.
        assert_eq!(clean_typed_line("    fn main() {}"), "    fn main() {}");
        assert_eq!(clean_typed_line("tab\there é ☃ 你好"), "tab\there é ☃ 你好");
        assert_eq!(clean_typed_line("//not a command"), "//not a command");
    }
}
