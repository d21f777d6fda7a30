//! Hostile-text hygiene: what one client types must never control another
//! client's terminal.
//!
//! A chat server copies one person's bytes onto other people's screens. Raw
//! terminals (`nc`, `telnet`) obey control characters: `ESC [ 2 J` clears the
//! screen, others move the cursor, change colours or the window title, or beep.
//! Unicode's bidirectional overrides can make text display in a different order
//! from how it reads, so a line can pretend to say something it does not.
//!
//! The rule is short: from everything relayed to others, remove the C0 control
//! characters except TAB, DEL, the C1 controls (U+0080–U+009F) and the bidi
//! overrides and isolates (U+202A–U+202E, U+2066–U+2069). Removing the control
//! characters is enough: without its ESC, the printable rest of an escape
//! sequence (`[2J`) is harmless text.

use std::borrow::Cow;

/// Is `c` a character that must not reach another person's terminal?
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{a}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
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
}
