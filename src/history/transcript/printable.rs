//! Text from the history made safe to print on a terminal.
//!
//! The text came from other people's keyboards. Control characters (an
//! escape sequence could recolour or clear the reader's terminal) are
//! removed before printing; tabs and line breaks inside a message become
//! spaces, so every record stays one line. The server's own sanitiser
//! ([`sanitize::clean`]) runs last, because records written by an older
//! server may still hold what it removes today.
//!
//! Both readers, the transcript and the attendance table, print names and
//! text only through [`printable`].

use crate::text::sanitize;

/// Text that is safe to put on a terminal: tabs and line breaks become
/// spaces (they separated words), every other control character is dropped,
/// and so is everything else the server's sanitiser removes today (line
/// and paragraph separators, zero-width characters, direction marks):
/// records written by an older server may still hold them.
pub(super) fn printable(text: &str) -> String {
    let spaced: String = text
        .chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect();
    sanitize::clean(&spaced).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(
            printable("red \u{1b}[31mtext\u{7}\u{0}\u{9b}2J two\nlines\tand tab é"),
            "red [31mtext2J two lines and tab é"
        );
        // What older servers let through: separators, zero-width, marks.
        assert_eq!(
            printable("a\u{2028}b\u{2029}c\u{200b}d\u{200f}e\u{feff}f\u{61c}g\u{2060}h"),
            "abcdefgh"
        );
    }
}
