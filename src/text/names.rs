//! The rules for user names and room names, in one place.
//!
//! A class can be international, so a user name may be written in any
//! script: `Zoë`, `李`, `Łukasz`, `Ольга`. What a name must never do is break
//! a line or fool a reader, so the rules are:
//!
//! - **Letters of any script, digits `0-9`, `-` and `_`, starting with a
//!   letter.** No spaces (names travel inside space-separated protocol lines,
//!   `ROOM #general alice hi`), no punctuation (IRC prefixes use `!`, `@`,
//!   `:`, `#`, `,`, `*`, `?`), no control, format or zero-width characters.
//! - **No styled or compatibility letters**: fullwidth `ａ`, mathematical
//!   `𝐚`, circled `ⓐ`, superscript `ⁱ`, the Kelvin sign, ligatures, small
//!   capitals. They pass for plain letters; the plain letter is always there.
//! - **No free-floating accents.** Accented letters are single characters as
//!   every keyboard types them (`ë`, not `e` + a combining diaeresis). Scripts
//!   that need their joining signs (the virama of Devanagari, Thai tone marks)
//!   may use the ones in [`JOINING_MARKS`], after a letter.
//! - **One look-alike script**: Latin, Greek, Cyrillic (and Armenian, Cherokee,
//!   Lisu) do not mix in one name, because `аlice` with a Cyrillic `а` looks
//!   exactly like `alice` ([`crate::text::confusables`]).
//! - **1–20 characters and at most 60 bytes of UTF-8.** Characters are what
//!   people count; bytes are what lines cost (`USERS` lists every name). 60
//!   bytes fit 20 characters of any script in Unicode's first plane (at most 3
//!   bytes each), so the byte limit only bites on rare 4-byte scripts.
//! - **Not the server, nor a role**: [`RESERVED`] names are refused whatever
//!   their case or look-alike spelling (`Adm1n`, `SERVER`, `ЅҮЅТЕМ`).
//! - **Not a look-alike of someone online**: that needs the list of who is
//!   online, so the state compares [`skeleton`]s and reports
//!   [`NameError::LooksLike`].
//!
//! Uniqueness ignores case (`Alice` and `alice` are the same person, as in
//! IRC), so lookups use [`key`], while the name as the person typed it is what
//! everybody sees. Room names stay ASCII: they are typed by everyone, often.

use std::fmt;

pub use super::confusables::skeleton;
use super::confusables::{script_of, Script};

/// The most characters a user name or a room name (without its `#`) may have.
pub const MAX_NAME_CHARS: usize = 20;

/// The most bytes (UTF-8) a user name may have.
pub const MAX_NAME_BYTES: usize = 60;

/// The user-name rule as people read it in `ERROR Invalid username: …`.
pub const USERNAME_RULE: &str =
    "use 1-20 letters (any alphabet), digits 0-9, - or _, starting with a letter";

/// The room-name rule as people read it in `ERROR Invalid room name: …`.
pub const ROOM_RULE: &str = "use # and 1-20 of a-z, A-Z, 0-9, - or _ (no accents, no spaces)";

/// Names that would pass for the server, a role, or a protocol keyword.
/// Compared by [`skeleton`], so case and look-alike spellings are covered,
/// and with any `-`/`_` at either end ignored (`admin_`).
pub const RESERVED: &[&str] = &[
    // The server and the people in charge.
    "server",
    "system",
    "chatroom",
    "teacher",
    "admin",
    "administrator",
    "operator",
    "moderator",
    "root",
    // IRC services and server-wide senders, which IRC users trust.
    "nickserv",
    "chanserv",
    "operserv",
    "memoserv",
    "hostserv",
    "botserv",
    "global",
    "services",
    "irc",
    // The protocol's line kinds and verbs (src/command.rs, src/render.rs).
    "ok",
    "error",
    "notice",
    "username",
    // Not `nick`: it is a protocol verb too, but it is also Nick, a student's
    // name, and no line reads differently for it (a name is never where a
    // verb is).
    "pass",
    "join",
    "leave",
    "part",
    "msg",
    "privmsg",
    "room",
    "rooms",
    "users",
    "who",
    "help",
    "quit",
    "exit",
    "oper",
    "op",
    "kick",
    "mute",
    "unmute",
    "announce",
    "topic",
    "action",
    "me",
    "ping",
    "pong",
];

/// Marks that are not letters in Unicode's tables but belong inside words of
/// their script: viramas, nuktas, tone marks. Allowed after a letter only.
pub const JOINING_MARKS: &[(u32, u32)] = &[
    (0x0951, 0x0954), // Devanagari stress signs
    (0x1037, 0x103A), // Myanmar dot below, virama, asat
    (0x0E47, 0x0E4E), // Thai tone marks, thanthakhat
    (0x0EC8, 0x0ECE), // Lao tone marks
    (0x0F82, 0x0F87), // Tibetan marks
    (0x17C9, 0x17D3), // Khmer signs, coeng
    (0x17DD, 0x17DD), // Khmer atthacan
];

/// Each Indic block (Devanagari U+0900 … Malayalam U+0D00, 128 code points
/// each) has its nukta at offset 0x3C and its virama at 0x4D; Sinhala's
/// al-lakuna is U+0DCA. Checked by offset rather than listed nine times.
fn is_indic_sign(code: u32) -> bool {
    ((0x0900..=0x0DFF).contains(&code) && matches!(code & 0x7F, 0x3C | 0x4D))
        || matches!(code, 0x0D3B | 0x0D3C | 0x0DCA)
}

/// Letters that are letters to Unicode but must not be in a name: styled and
/// compatibility forms that pass for plain letters, and invisible fillers.
const REFUSED_LETTERS: &[(u32, u32)] = &[
    (0x02B0, 0x02FF),   // spacing modifier letters: ʰ ʼ
    (0x0300, 0x036F),   // combining diacritics (some count as letters)
    (0x115F, 0x1160),   // Hangul fillers: invisible
    (0x1AB0, 0x1AFF),   // combining diacritics extended
    (0x1D00, 0x1DBF),   // phonetic extensions: small capitals ᴀ
    (0x1DC0, 0x1DFF),   // combining diacritics supplement
    (0x2070, 0x209F),   // superscripts and subscripts: ⁱ ⁿ
    (0x20D0, 0x20FF),   // combining marks for symbols
    (0x2100, 0x218F),   // letterlike symbols and number forms: K ℓ Ⅻ
    (0x2460, 0x24FF),   // enclosed alphanumerics: ⓐ
    (0x2DE0, 0x2DFF),   // Cyrillic combining letters
    (0x3164, 0x3164),   // Hangul filler: invisible
    (0xFB00, 0xFDFF),   // presentation forms: ligatures ﬁ, Arabic forms
    (0xFE20, 0xFE2F),   // combining half marks
    (0xFE70, 0xFEFF),   // Arabic presentation forms-B
    (0xFF00, 0xFFEF),   // fullwidth and halfwidth forms: ａ
    (0x1D400, 0x1D7FF), // mathematical letters: 𝐚 𝔞 𝒶
    (0x1F100, 0x1F1FF), // enclosed letters: 🄰 🅐
];

fn in_ranges(ranges: &[(u32, u32)], c: char) -> bool {
    let code = u32::from(c);
    ranges
        .iter()
        .any(|&(first, last)| (first..=last).contains(&code))
}

/// What kind of thing a character is, as far as names are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Letter,
    /// A mark from [`JOINING_MARKS`]: fine after a letter, never first.
    Mark,
    /// `0-9`, `-`, `_`.
    Other,
    Refused,
}

fn kind(c: char) -> Kind {
    if c.is_ascii_alphabetic() {
        Kind::Letter
    } else if c.is_ascii_digit() || c == '-' || c == '_' {
        Kind::Other
    } else if c.is_ascii() || in_ranges(REFUSED_LETTERS, c) {
        Kind::Refused
    } else if in_ranges(JOINING_MARKS, c) || is_indic_sign(u32::from(c)) {
        Kind::Mark
    } else if c.is_alphabetic() {
        Kind::Letter
    } else {
        Kind::Refused
    }
}

/// Why a user name was refused. [`fmt::Display`] gives the words that follow
/// `Invalid username: `, always ending with what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    Empty,
    /// Over [`MAX_NAME_CHARS`] characters or [`MAX_NAME_BYTES`] bytes.
    TooLong,
    /// The first character is not a letter (`2pac`, `_x`).
    FirstNotLetter,
    /// A space or another blank character.
    Space,
    /// A character names may not hold.
    Character(char),
    /// Letters of two look-alike scripts.
    MixedScripts(Script, Script),
    /// One of the [`RESERVED`] names, as it is written there.
    Reserved(&'static str),
    /// Looks like the name of someone online (the state fills it in).
    LooksLike(String),
}

/// A character as it can be shown safely: visible ASCII as itself, anything
/// else as its code point (it may be invisible, or move the cursor).
fn shown(c: char) -> String {
    if c.is_ascii_graphic() {
        format!("'{c}'")
    } else {
        format!("U+{:04X}", u32::from(c))
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Empty => write!(f, "{USERNAME_RULE}"),
            NameError::TooLong => write!(
                f,
                "too long (at most {MAX_NAME_CHARS} characters and {MAX_NAME_BYTES} bytes); \
                 {USERNAME_RULE}"
            ),
            NameError::FirstNotLetter => write!(f, "{USERNAME_RULE}"),
            NameError::Space => write!(f, "no spaces; {USERNAME_RULE}"),
            NameError::Character(c) if in_ranges(REFUSED_LETTERS, *c) => write!(
                f,
                "{} is a styled or combining form, type the plain letter; {USERNAME_RULE}",
                shown(*c)
            ),
            NameError::Character(c) => {
                write!(f, "{} is not allowed; {USERNAME_RULE}", shown(*c))
            }
            NameError::MixedScripts(first, second) => write!(
                f,
                "it mixes {} and {} letters, which look alike; use one alphabet: {USERNAME_RULE}",
                first.name(),
                second.name()
            ),
            NameError::Reserved(word) => write!(
                f,
                "\"{word}\" is reserved, it could pass for the server or a role; choose another name"
            ),
            NameError::LooksLike(online) => write!(
                f,
                "it looks like the online name {online}; choose a name that cannot be mistaken for it"
            ),
        }
    }
}

/// Checks a user name against every rule except "looks like someone online"
/// (see the module header).
pub fn check_username(name: &str) -> Result<(), NameError> {
    let Some(first) = name.chars().next() else {
        return Err(NameError::Empty);
    };
    if name.chars().count() > MAX_NAME_CHARS || name.len() > MAX_NAME_BYTES {
        return Err(NameError::TooLong);
    }
    let mut look_alike_script: Option<Script> = None;
    let mut previous = Kind::Other;
    for c in name.chars() {
        let this = kind(c);
        match this {
            Kind::Refused if c.is_whitespace() => return Err(NameError::Space),
            Kind::Refused => return Err(NameError::Character(c)),
            Kind::Mark if previous == Kind::Other => return Err(NameError::Character(c)),
            Kind::Letter => match (look_alike_script, script_of(c)) {
                (_, Script::Other) => {}
                (None, script) => look_alike_script = Some(script),
                (Some(seen), script) if seen != script => {
                    return Err(NameError::MixedScripts(seen, script))
                }
                (Some(_), _) => {}
            },
            Kind::Mark | Kind::Other => {}
        }
        previous = this;
    }
    if kind(first) != Kind::Letter {
        return Err(NameError::FirstNotLetter);
    }
    let bare = skeleton(name.trim_matches(['-', '_']));
    // The reserved words' skeletons, worked out once.
    static RESERVED_LOOKS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let looks = RESERVED_LOOKS.get_or_init(|| RESERVED.iter().map(|w| skeleton(w)).collect());
    if let Some(at) = looks.iter().position(|look| *look == bare) {
        return Err(NameError::Reserved(RESERVED[at]));
    }
    Ok(())
}

/// Is `name` a valid user name? See [`check_username`].
pub fn is_valid_username(name: &str) -> bool {
    check_username(name).is_ok()
}

/// Turns what a person typed into a room name: `general` and `#general` both
/// become `#general`. `None` when it breaks [`ROOM_RULE`].
pub fn normalize_room(typed: &str) -> Option<String> {
    let bare = typed.strip_prefix('#').unwrap_or(typed);
    let valid = !bare.is_empty() && bare.len() <= MAX_NAME_CHARS && bare.bytes().all(is_room_byte);
    valid.then(|| format!("#{bare}"))
}

/// The case-insensitive key a user or room is filed under. Full Unicode
/// lower case, so `ZOË` and `zoë` are one person; for ASCII it is the same
/// as ASCII lower case, so keys in existing history files still match.
pub fn key(name: &str) -> String {
    name.to_lowercase()
}

fn is_room_byte(b: u8) -> bool {
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
            "abcdefghijklmnopqrstu",
            "a#b",
        ] {
            assert!(!is_valid_username(bad), "{bad}");
        }
    }

    #[test]
    fn letters_of_any_script() {
        for good in [
            "Zoë",
            "élise",
            "李",
            "李Wei",
            "Łukasz",
            "Ольга",
            "Αθηνά",
            "محمد",
            "अमित",
            "कृष्ण",
            "น้ำ",
            "김민준",
            "さくら",
            "Nguyễn",
            "Əli",
            "Ñandú",
        ] {
            assert_eq!(check_username(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn length_in_characters_and_bytes() {
        // 20 Han characters: 20 characters, 60 bytes.
        assert_eq!(check_username(&"李".repeat(20)), Ok(()));
        assert_eq!(check_username(&"李".repeat(21)), Err(NameError::TooLong));
        // 16 four-byte characters (CJK Extension B): 16 characters, 64 bytes.
        assert_eq!(check_username(&"𠀀".repeat(15)), Ok(()));
        assert_eq!(check_username(&"𠀀".repeat(16)), Err(NameError::TooLong));
    }

    #[test]
    fn mixed_look_alike_scripts_are_refused() {
        assert_eq!(
            check_username("аlice"), // Cyrillic а
            Err(NameError::MixedScripts(Script::Cyrillic, Script::Latin))
        );
        assert_eq!(
            check_username("alicε"), // Greek ε
            Err(NameError::MixedScripts(Script::Latin, Script::Greek))
        );
        assert!(check_username("Ольгаα").is_err());
        assert!(check_username("aօ").is_err()); // Armenian օ
    }

    #[test]
    fn invisible_styled_and_combining_characters_are_refused() {
        let cases = [
            ("a\u{200b}b", '\u{200b}'), // zero-width space
            ("a\u{200d}b", '\u{200d}'), // zero-width joiner
            ("a\u{feff}b", '\u{feff}'), // BOM
            ("a\u{202e}b", '\u{202e}'), // bidi override
            ("a\u{7}b", '\u{7}'),
            ("alice\u{ff41}", '\u{ff41}'), // fullwidth a
            ("ａlice", '\u{ff41}'),
            ("a\u{1d41a}", '\u{1d41a}'), // mathematical bold a
            ("a\u{24d0}", '\u{24d0}'),   // circled a
            ("a\u{212a}", '\u{212a}'),   // Kelvin sign
            ("Zoe\u{308}", '\u{308}'),   // combining diaeresis
            ("a\u{3164}", '\u{3164}'),   // Hangul filler
            ("a\u{1d00}", '\u{1d00}'),   // small capital A
            ("a!", '!'),
            ("a@b", '@'),
            ("a:b", ':'),
            ("a,b", ','),
            ("a*b", '*'),
            ("a?b", '?'),
            ("a٣", '٣'), // Arabic-Indic digit three
        ];
        for (name, bad) in cases {
            assert_eq!(
                check_username(name),
                Err(NameError::Character(bad)),
                "{name}"
            );
        }
        // A joining mark must follow a letter.
        assert!(check_username("\u{94d}").is_err());
        assert!(check_username("a-\u{94d}").is_err());
        assert_eq!(check_username("a b"), Err(NameError::Space));
        assert_eq!(check_username("a\u{3000}b"), Err(NameError::Space));
    }

    #[test]
    fn irc_prefixes_cannot_start_a_name() {
        for bad in [
            "!a", "@a", ":a", "#a", ",a", "*a", "?a", " a", "&a", "+a", "~a",
        ] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reserved_names_whatever_their_spelling() {
        for bad in [
            "OperServ",
            "MemoServ",
            "Global",
            "services",
            "irc",
            "IRC_",
            "server",
            "SERVER",
            "Teacher",
            "admin",
            "Adm1n",
            "ADMIN",
            "admin_",
            "Admin-",
            "operator",
            "Moderator",
            "rnoderator",
            "system",
            "ЅҮЅТЕМ",
            "root",
            "R00T",
            "chatroom",
            "NickServ",
            "chanserv",
            "OK",
            "ERROR",
            "NOTICE",
            "PRIVMSG",
            "quit",
            "me",
            "administrator",
        ] {
            assert!(
                matches!(check_username(bad), Err(NameError::Reserved(_))),
                "{bad}"
            );
        }
        for good in ["teach", "admins_fan", "serverus", "mel", "okay"] {
            assert_eq!(check_username(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn messages_say_what_is_allowed() {
        let rule = USERNAME_RULE;
        assert_eq!(NameError::Empty.to_string(), rule);
        assert_eq!(
            NameError::Character('\u{200b}').to_string(),
            format!("U+200B is not allowed; {rule}")
        );
        assert_eq!(
            NameError::Character('!').to_string(),
            format!("'!' is not allowed; {rule}")
        );
        assert_eq!(
            check_username("аlice").map_err(|e| e.to_string()),
            Err(format!(
                "it mixes Cyrillic and Latin letters, which look alike; use one alphabet: {rule}"
            ))
        );
        assert_eq!(
            NameError::LooksLike("alice".into()).to_string(),
            "it looks like the online name alice; choose a name that cannot be mistaken for it"
        );
        assert_eq!(
            check_username("Adm1n").map_err(|e| e.to_string()),
            Err(
                "\"admin\" is reserved, it could pass for the server or a role; \
                 choose another name"
                    .to_string()
            )
        );
    }

    #[test]
    fn look_alikes_are_found_by_skeleton() {
        assert_eq!(skeleton("aIice"), skeleton("alice"));
        assert_ne!(skeleton("alicia"), skeleton("alice"));
    }

    #[test]
    fn keys_fold_case_in_every_script() {
        assert_eq!(key("ZOË"), key("zoë"));
        assert_eq!(key("Alice"), "alice");
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

    #[test]
    fn nick_is_a_name_a_student_may_have() {
        assert_eq!(check_username("Nick"), Ok(()));
        assert_eq!(check_username("nick"), Ok(()));
    }
}
