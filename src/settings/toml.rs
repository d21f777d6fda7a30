//! A small TOML subset parser for the server's and the client's settings files.
//!
//! The design card allows no crates, and a settings file needs only a little
//! of TOML, so this module reads exactly that little, line by line:
//!
//! ```toml
//! # a comment
//! port = 7007            # integers (with optional _ separators)
//! motd = "Hi \"class\"!" # double-quoted strings with \" \\ \n \t \r \u00e9 escapes
//! history = true         # booleans
//! [history]              # section headers
//! fsync = 'interval'     # single-quoted literal strings, no escapes
//! ```
//!
//! Anything else (arrays, tables inline, dates, multi-line strings, floats) is
//! rejected with the line number, never guessed at: a settings file that means
//! something other than what its author thinks is worse than an error.
//! This module only knows syntax; which keys exist and what types they must
//! have is the business of the code that reads the entries
//! ([`super::server`] for the server, [`super::client`] for `client.toml`).
//! When it cannot read a value because it is an unquoted word (`history =
//! yes`), it says so in [`ParseError::unquoted`], so that the reader, which
//! knows what type the key needs, can give the right hint.

use std::fmt;

/// A value on the right of `=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    String(String),
    Integer(i64),
    Boolean(bool),
}

impl Value {
    /// "a string", "an integer", "a boolean": for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Boolean(_) => "a boolean",
        }
    }
}

impl fmt::Display for Value {
    /// Writes the value back in TOML syntax, so `--print-config` output can be
    /// read again by [`parse`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Integer(n) => write!(f, "{n}"),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::String(s) => {
                f.write_str("\"")?;
                for c in s.chars() {
                    match c {
                        '"' => f.write_str("\\\"")?,
                        '\\' => f.write_str("\\\\")?,
                        '\n' => f.write_str("\\n")?,
                        '\t' => f.write_str("\\t")?,
                        '\r' => f.write_str("\\r")?,
                        c if c.is_control() => write!(f, "\\u{:04x}", c as u32)?,
                        c => write!(f, "{c}")?,
                    }
                }
                f.write_str("\"")
            }
        }
    }
}

/// One `key = value` line, with the section it stands in and its line number
/// (1-based) so that the reader of the entries can point at it in errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `None` before the first `[section]` header.
    pub section: Option<String>,
    pub key: String,
    pub value: Value,
    pub line: usize,
}

/// A `[section]` header and its line, listed even when no key follows it, so
/// that the reader can reject a section it does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub line: usize,
}

/// A parsed file: its section headers and its `key = value` lines, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    pub sections: Vec<Section>,
    pub entries: Vec<Entry>,
}

/// A syntax error and the line (1-based) it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
    /// Set when the value was an unquoted word that is neither an integer
    /// nor `true`/`false`. `message` then says strings need quotes, which is
    /// wrong for `history = yes`: only the reader knows the key wants a
    /// boolean.
    pub unquoted: Option<Unquoted>,
}

/// `key = word`, with `word` neither quoted nor a number nor a boolean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unquoted {
    pub key: String,
    pub word: String,
}

/// Parses a whole file. Stops at the first error: one clear message beats a
/// cascade of confused ones.
pub fn parse(text: &str) -> Result<Document, ParseError> {
    let mut sections: Vec<Section> = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut section: Option<String> = None;
    for (index, raw_line) in text.lines().enumerate() {
        let line_number = index + 1;
        let error = |message: String| ParseError {
            line: line_number,
            message,
            unquoted: None,
        };
        let line = raw_line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let (name, after) = rest
                .split_once(']')
                .ok_or_else(|| error("a section header needs a closing \"]\"".into()))?;
            let name = name.trim();
            if !is_bare_key(name) {
                return Err(error(format!("invalid section name \"{name}\"")));
            }
            expect_end(after).map_err(error)?;
            section = Some(name.to_string());
            sections.push(Section {
                name: name.to_string(),
                line: line_number,
            });
            continue;
        }
        let (key, rest) = line
            .split_once('=')
            .ok_or_else(|| error(format!("expected key = value, found \"{line}\"")))?;
        let key = key.trim();
        if !is_bare_key(key) {
            return Err(error(format!(
                "invalid key \"{key}\" (use letters, digits, _ and -)"
            )));
        }
        if entries.iter().any(|e| e.key == key && e.section == section) {
            return Err(error(format!("\"{key}\" is set twice")));
        }
        let rest = rest.trim_start();
        let (value, after) = parse_value(rest).map_err(|message| ParseError {
            unquoted: unquoted_word(rest).map(|word| Unquoted {
                key: key.to_string(),
                word: word.to_string(),
            }),
            ..error(message)
        })?;
        expect_end(after).map_err(error)?;
        entries.push(Entry {
            section: section.clone(),
            key: key.to_string(),
            value,
            line: line_number,
        });
    }
    Ok(Document { sections, entries })
}

fn is_bare_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// After a value or header only white space and a comment may follow.
fn expect_end(after: &str) -> Result<(), String> {
    let after = after.trim_start();
    if after.is_empty() || after.starts_with('#') {
        Ok(())
    } else {
        Err(format!("unexpected text after the value: \"{after}\""))
    }
}

/// Parses the value at the start of `text`; returns it and what follows.
fn parse_value(text: &str) -> Result<(Value, &str), String> {
    if let Some(rest) = text.strip_prefix('"') {
        return parse_basic_string(rest);
    }
    if let Some(rest) = text.strip_prefix('\'') {
        let (literal, after) = rest
            .split_once('\'')
            .ok_or("a string needs a closing ' on the same line")?;
        return Ok((Value::String(literal.to_string()), after));
    }
    let end = text.find([' ', '\t', '#']).unwrap_or(text.len());
    let (word, after) = text.split_at(end);
    let value = match word {
        "" => return Err("missing value after \"=\"".into()),
        "true" => Value::Boolean(true),
        "false" => Value::Boolean(false),
        _ => Value::Integer(parse_integer(word).ok_or_else(|| {
            format!("invalid value \"{word}\" (strings need quotes: \"{word}\")")
        })?),
    };
    Ok((value, after))
}

/// The word at the start of `text` if it is unquoted and neither a boolean
/// nor an integer: the value [`parse_value`] refuses with "strings need quotes".
fn unquoted_word(text: &str) -> Option<&str> {
    let end = text.find([' ', '\t', '#']).unwrap_or(text.len());
    let word = &text[..end];
    let is_other_value = word.is_empty()
        || word.starts_with(['"', '\''])
        || ["true", "false"].contains(&word)
        || parse_integer(word).is_some();
    (!is_other_value).then_some(word)
}

/// `7007`, `-1`, `+3`, `10_000`. Underscores only between digits, as TOML says.
fn parse_integer(word: &str) -> Option<i64> {
    let digits = word.strip_prefix(['+', '-']).unwrap_or(word);
    let well_formed = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    if !well_formed {
        return None;
    }
    word.replace('_', "").parse().ok()
}

/// The part of a `"…"` string after its opening quote.
fn parse_basic_string(text: &str) -> Result<(Value, &str), String> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => return Ok((Value::String(value), &text[index + 1..])),
            '\\' => {
                let escaped = match chars.next() {
                    Some((_, '"')) => '"',
                    Some((_, '\\')) => '\\',
                    Some((_, 'n')) => '\n',
                    Some((_, 't')) => '\t',
                    Some((_, 'r')) => '\r',
                    Some((_, 'u')) => {
                        let hex: String = chars.by_ref().take(4).map(|(_, c)| c).collect();
                        u32::from_str_radix(&hex, 16)
                            .ok()
                            .filter(|_| hex.len() == 4)
                            .and_then(char::from_u32)
                            .ok_or_else(|| format!("invalid escape \"\\u{hex}\""))?
                    }
                    Some((_, other)) => return Err(format!("invalid escape \"\\{other}\"")),
                    None => break,
                };
                value.push(escaped);
            }
            c => value.push(c),
        }
    }
    Err("a string needs a closing \" on the same line".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Value {
        let entries = parse(text).expect("parses").entries;
        assert_eq!(entries.len(), 1);
        entries[0].value.clone()
    }

    #[test]
    fn every_type_and_comments() {
        let document = parse(
            "# settings\n\nport = 7_007 # trailing comment\nname = \"A \\\"b\\\" \\u00e9\\n\"\n\
             [history]\nhistory = false\nfsync = 'a\\b'\nneg = -3\n[empty]\n",
        )
        .unwrap();
        assert_eq!(
            document.sections,
            [
                Section {
                    name: "history".into(),
                    line: 5
                },
                Section {
                    name: "empty".into(),
                    line: 9
                },
            ]
        );
        let entries = document.entries;
        assert_eq!(entries.len(), 5);
        assert_eq!(entries[0].section, None);
        assert_eq!(entries[0].value, Value::Integer(7007));
        assert_eq!(entries[0].line, 3);
        assert_eq!(entries[1].value, Value::String("A \"b\" é\n".into()));
        assert_eq!(entries[2].section.as_deref(), Some("history"));
        assert_eq!(entries[2].value, Value::Boolean(false));
        assert_eq!(entries[3].value, Value::String("a\\b".into()));
        assert_eq!(entries[4].value, Value::Integer(-3));
    }

    #[test]
    fn hash_inside_a_string_is_not_a_comment() {
        assert_eq!(
            one("room = \"#general\" # comment"),
            Value::String("#general".into())
        );
    }

    #[test]
    fn errors_name_their_line() {
        let cases = [
            ("a = 1\nport 7007", 2, "expected key = value"),
            ("\n\nname = hello", 3, "strings need quotes"),
            ("name = \"open", 1, "closing \""),
            ("[server\nport = 1", 1, "closing \"]\""),
            ("port = 1 2", 1, "unexpected text"),
            ("port = 1\nport = 2", 2, "set twice"),
            ("bad key = 1", 1, "invalid key"),
            ("n = 1__0", 1, "invalid value"),
            ("s = \"\\q\"", 1, "invalid escape"),
            ("x =", 1, "missing value"),
            ("n = 99999999999999999999", 1, "invalid value"),
        ];
        for (text, line, needle) in cases {
            let error = parse(text).expect_err(text);
            assert_eq!(error.line, line, "{text:?}");
            assert!(
                error.message.contains(needle),
                "{text:?}: {}",
                error.message
            );
        }
    }

    #[test]
    fn unquoted_words_are_reported_with_their_key() {
        let error = parse("\nhistory = yes # on").expect_err("unquoted");
        assert_eq!(
            error.unquoted,
            Some(Unquoted {
                key: "history".into(),
                word: "yes".into()
            })
        );
        assert_eq!(error.line, 2);
        for text in ["s = \"open", "x =", "port = 1 2"] {
            assert_eq!(parse(text).expect_err(text).unquoted, None, "{text}");
        }
    }

    #[test]
    fn display_round_trips_strings() {
        for s in [
            "plain",
            "quote \" backslash \\ tab \t newline \n",
            "é ☃",
            "\u{1b}[31m",
        ] {
            let text = format!("k = {}", Value::String(s.into()));
            assert_eq!(one(&text), Value::String(s.into()), "{text}");
        }
    }
}
