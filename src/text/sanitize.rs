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
//! join emoji (👨‍👩‍👧 shows as three faces); safety wins. It also keeps at
//! most [`MAX_MARKS_PER_CHAR`] combining marks on one character, so "Zalgo"
//! text cannot draw over the lines around it.
//!
//! **[`blanks_collapsed`]** is for raw terminals only (chat mode): a run of
//! spaces, tabs or blank-looking letters (U+3164, U+2800) becomes one space,
//! so padding cannot push the end of a message onto a row of its own, where
//! it would read as the server's line.
//!
//! **[`clean_typed_line`]** runs earlier, on every line before it is parsed,
//! because a person at a terminal sends more than they see. The up arrow sends
//! `ESC [ A`, Ctrl-L sends byte 12, a click with mouse reporting on sends
//! `ESC [ M` and three bytes, a paste can start with a BOM, a zero-width
//! space or a blank-looking U+3164, and a stray space before `/op secret` used to turn the
//! command into chat, password and all. So it removes *whole* terminal
//! sequences (not just their ESC: `[A/op` would still not be a command),
//! everything [`is_unsafe`] lists, and the blanks before a leading `/`, and it
//! obeys the two line-editing keys a raw terminal sends as bytes: Ctrl-U
//! (0x15) erases everything typed before it, Ctrl-W (0x17) the word before
//! it, as a cooked terminal would have done on the person's screen.
//! Backspace, DEL, telnet negotiation and line endings are byte-level and are
//! handled before UTF-8 decoding, by the wire layer's framing (`wire/framing.rs`); this works on text.

use super::width::is_combining;
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

/// `text` without its unsafe characters, and with at most
/// [`MAX_MARKS_PER_CHAR`] combining marks on one character. Borrows when
/// there is nothing to remove, which is nearly always, so clean text costs
/// no allocation.
pub fn clean(text: &str) -> Cow<'_, str> {
    let mut marks = 0;
    let needs_work = text.chars().any(|c| {
        marks = if is_combining(c) { marks + 1 } else { 0 };
        is_unsafe(c) || marks > MAX_MARKS_PER_CHAR
    });
    if !needs_work {
        return Cow::Borrowed(text);
    }
    let mut marks = 0;
    let kept = text.chars().filter(|&c| {
        marks = if is_combining(c) { marks + 1 } else { 0 };
        !is_unsafe(c) && marks <= MAX_MARKS_PER_CHAR
    });
    Cow::Owned(kept.collect())
}

/// The most combining marks kept on one character. Vietnamese typed in
/// decomposed form needs two; "Zalgo" text piles forty on one letter, and
/// a terminal draws them over the lines above and below.
pub const MAX_MARKS_PER_CHAR: usize = 4;

/// Does `c` look blank on a screen? Unicode's white space, and the
/// characters that are letters or symbols to Unicode but draw nothing: the
/// Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), the blank braille
/// pattern (U+2800) and the Mongolian vowel separator (U+180E).
pub fn is_blank_looking(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}' | '\u{2800}' | '\u{180e}'
        )
}

/// `text` as a raw terminal (`nc`, `telnet`) should show it: every run of
/// blank-looking characters (spaces, tabs, Hangul fillers) becomes one
/// space. Otherwise 73 spaces push the rest of a message to a row of its
/// own on an 80-column screen, where `*** Connection closed by the
/// server…` reads as the server's own line. Programs and IRC clients get
/// the text as it was sent; their screens show who said each line.
pub fn blanks_collapsed(text: &str) -> Cow<'_, str> {
    let mut previous_blank = false;
    let needs_work = text.chars().any(|c| {
        let blank = is_blank_looking(c);
        let collapse = blank && (previous_blank || c != ' ');
        previous_blank = blank;
        collapse
    });
    if !needs_work {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut previous_blank = false;
    for c in text.chars() {
        let blank = is_blank_looking(c);
        if !blank {
            out.push(c);
        } else if !previous_blank {
            out.push(' ');
        }
        previous_blank = blank;
    }
    Cow::Owned(out)
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
    // Blanks include the ones that draw nothing but are not white space to
    // Unicode: a paste that starts with U+3164 is still `/op …`.
    let start = out.trim_start_matches(is_blank_looking);
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
        // X10 mouse reporting (a click in a terminal that turned it on):
        // `ESC [ M` and three bytes, which may be any printable character.
        '[' if chars.clone().nth(1) == Some('M') => {
            chars.next();
            chars.next();
            for _ in 0..3 {
                chars.next();
            }
        }
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

    #[test]
    fn a_mouse_click_or_a_blank_looking_paste_before_a_command_keeps_it_a_command() {
        for typed in [
            "\u{1b}[M !!/op secret",
            "\u{1b}[M#a8/op secret",
            "\u{3164}/op secret",
            "\u{2800} /op secret",
            "\u{ffa0}\u{115f}/op secret",
        ] {
            assert_eq!(clean_typed_line(typed), "/op secret", "{typed:?}");
        }
        // Other CSI sequences ending in M are not mouse clicks.
        assert_eq!(clean_typed_line("\u{1b}[2Mhi"), "hi");
    }

    #[test]
    fn runs_of_blanks_collapse_for_terminals() {
        let padded = format!("hi{}*** Connection closed by the server", " ".repeat(73));
        assert_eq!(
            blanks_collapsed(&padded),
            "hi *** Connection closed by the server"
        );
        assert_eq!(
            blanks_collapsed("a\t\tb\u{3164}\u{3164}c\u{2800}d"),
            "a b c d"
        );
        assert!(matches!(
            blanks_collapsed("one space each"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn combining_marks_are_capped_per_character() {
        let zalgo = format!("a{}b", "\u{301}".repeat(40));
        let kept = clean(&zalgo);
        assert_eq!(kept.chars().count(), 2 + MAX_MARKS_PER_CHAR);
        // Vietnamese in decomposed form keeps its two marks.
        assert!(matches!(clean("e\u{302}\u{301}"), Cow::Borrowed(_)));
    }
}
