//! How many terminal columns a piece of text takes, and how to cut it to a
//! number of columns: what std lacks to line up a table of names.
//!
//! `str::len` counts bytes and `chars().count()` counts code points, but a
//! terminal draws a Chinese character or an emoji in *two* columns and a
//! combining accent in *none*. A table padded by `chars().count()` is
//! crooked as soon as a name is `李雷`. This is the smallest version of
//! POSIX `wcwidth` that does the job: the wide ranges are the East Asian
//! Wide and Fullwidth blocks of Unicode's `EastAsianWidth.txt` (CJK,
//! Hangul, kana, fullwidth forms, the emoji blocks), the zero-width ones
//! the combining-mark blocks and the zero-width characters; everything
//! else is one column. It is what Markus Kuhn's reference `wcwidth.c`
//! does, with its table cut to the blocks a chat name can use; a character
//! it gets wrong costs one column of alignment, never a panic.
//!
//! [`is_combining`] is also what the sanitiser uses to cap the marks
//! piled on one character ("Zalgo" text).

/// Combining marks: drawn on top of the character before them.
pub fn is_combining(c: char) -> bool {
    matches!(u32::from(c),
        0x0300..=0x036F   // Combining Diacritical Marks
        | 0x0483..=0x0489 // Cyrillic combining
        | 0x0591..=0x05BD // Hebrew points
        | 0x0610..=0x061A | 0x064B..=0x065F // Arabic marks
        | 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E // Thai
        | 0x1AB0..=0x1AFF // Combining Diacritical Marks Extended
        | 0x1DC0..=0x1DFF // Combining Diacritical Marks Supplement
        | 0x20D0..=0x20FF // Combining Marks for Symbols
        | 0xFE20..=0xFE2F // Combining Half Marks
    )
}

/// Columns one character takes: 0, 1 or 2.
pub fn char_width(c: char) -> usize {
    let code = u32::from(c);
    if is_combining(c) || matches!(code, 0x200B..=0x200F | 0x2060..=0x2064 | 0xFEFF) {
        return 0;
    }
    if c.is_control() {
        return 0;
    }
    let wide = matches!(code,
        0x1100..=0x115F       // Hangul Jamo initials
        | 0x2E80..=0x303E     // CJK radicals, punctuation
        | 0x3041..=0x33FF     // kana, Bopomofo, Hangul compatibility jamo, CJK symbols
        | 0x3400..=0x4DBF     // CJK Extension A
        | 0x4E00..=0x9FFF     // CJK Unified Ideographs
        | 0xA000..=0xA4CF     // Yi
        | 0xAC00..=0xD7A3     // Hangul syllables
        | 0xF900..=0xFAFF     // CJK compatibility ideographs
        | 0xFE30..=0xFE4F     // CJK compatibility forms
        | 0xFF00..=0xFF60     // fullwidth forms
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F   // pictographs, emoticons
        | 0x1F900..=0x1F9FF   // supplemental symbols and pictographs
        | 0x20000..=0x2FFFD   // CJK Extensions B…
        | 0x30000..=0x3FFFD
    );
    if wide {
        2
    } else {
        1
    }
}

/// Columns `text` takes on a terminal.
pub fn width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

/// `text` cut to at most `columns` columns, ending in `…` if it was cut.
pub fn truncate(text: &str, columns: usize) -> String {
    if width(text) <= columns {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = char_width(c);
        // Keep one column for the `…`.
        if used + w + 1 > columns {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// `text` followed by spaces up to `columns` columns.
pub fn pad(text: &str, columns: usize) -> String {
    let mut out = text.to_string();
    out.extend(std::iter::repeat_n(
        ' ',
        columns.saturating_sub(width(text)),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Widths that `wcwidth(3)` in glibc gives (checked with Python's
    /// `wcwidth` package, which follows Unicode 15's tables).
    #[test]
    fn widths_as_wcwidth_gives_them() {
        for (text, columns) in [
            ("alice", 5),
            ("李雷", 4),
            ("한국어", 6),
            ("ｆｕｌｌ", 8),
            ("カナ", 4),
            ("e\u{301}", 1),
            ("zoë", 3),
            ("😀", 2),
            ("a\u{200b}b", 2),
            ("ㅤ", 2), // U+3164 Hangul filler: blank, but two columns
            ("асе", 3),
        ] {
            assert_eq!(width(text), columns, "{text:?}");
        }
    }

    #[test]
    fn truncating_counts_columns_and_marks_the_cut() {
        assert_eq!(truncate("alice", 5), "alice");
        assert_eq!(truncate("alice", 4), "ali…");
        assert_eq!(truncate("李雷韩梅", 5), "李雷…");
        assert_eq!(truncate("李雷韩梅", 4), "李…");
        assert!(width(&truncate(&"x".repeat(65_536), 40)) <= 40);
        assert_eq!(truncate("", 0), "");
        assert_eq!(pad("李", 4), "李  ");
        assert_eq!(pad("toolong", 3), "toolong");
    }
}
