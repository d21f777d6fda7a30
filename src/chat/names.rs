//! The rules for user names and room names, in one place.
//!
//! Names travel inside protocol lines separated by spaces (`ROOM #general
//! alice hi`), so they must never contain a space, and they reach other
//! people's terminals, so they must be plain, printable ASCII. Both rules are
//! deliberately strict and short; a name that breaks them is rejected with the
//! rule spelled out, not silently "fixed".
//!
//! Uniqueness ignores case (`Alice` and `alice` are the same person, as in
//! IRC), so lookups use [`key`], while the name as the person typed it is what
//! everybody sees.

/// The most characters a user name or a room name (without its `#`) may have.
pub const MAX_NAME_CHARS: usize = 20;

/// The user-name rule as people read it in `ERROR Invalid username: …`.
pub const USERNAME_RULE: &str = "use 1-20 letters, digits, - or _, starting with a letter";

/// The room-name rule as people read it in `ERROR Invalid room name: …`.
pub const ROOM_RULE: &str = "use # and 1-20 letters, digits, - or _";

/// Is `name` a valid user name? 1–20 ASCII letters, digits, `-`, `_`,
/// starting with a letter.
pub fn is_valid_username(name: &str) -> bool {
    name.len() <= MAX_NAME_CHARS
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && name.bytes().all(is_name_byte)
}

/// Turns what a person typed into a room name: `general` and `#general` both
/// become `#general`. `None` when it breaks [`ROOM_RULE`].
pub fn normalize_room(typed: &str) -> Option<String> {
    let bare = typed.strip_prefix('#').unwrap_or(typed);
    let valid = !bare.is_empty() && bare.len() <= MAX_NAME_CHARS && bare.bytes().all(is_name_byte);
    valid.then(|| format!("#{bare}"))
}

/// The case-insensitive key a user or room is filed under.
pub fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for good in ["a", "alice", "Bob_2", "x-y", "abcdefghijklmnopqrst"] {
            assert!(is_valid_username(good), "{good}");
        }
        for bad in [
            "",
            "2pac",
            "_x",
            "-x",
            "al ice",
            "élise",
            "abcdefghijklmnopqrstu",
            "a#b",
        ] {
            assert!(!is_valid_username(bad), "{bad}");
        }
    }

    #[test]
    fn rooms() {
        assert_eq!(normalize_room("general").as_deref(), Some("#general"));
        assert_eq!(normalize_room("#Lab-1").as_deref(), Some("#Lab-1"));
        for bad in ["", "#", "##x", "a b", "#abcdefghijklmnopqrstu", "#é"] {
            assert_eq!(normalize_room(bad), None, "{bad}");
        }
        assert_eq!(key("#Lab-1"), "#lab-1");
    }
}
