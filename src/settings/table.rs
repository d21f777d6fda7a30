//! The server's settings table: each setting described once, in one row.
//!
//! A row ([`Setting`]) holds a setting's key, its section, its flag, its
//! environment variable, its meaning and its [`Field`]: the type, the
//! default, the range and two plain functions that read and write the
//! matching field of [`ServerConfig`]. Everything else is made from these
//! rows: the struct's defaults ([`ServerConfig::default`] stores each row's
//! default), the flags and `--help`, the keys the file accepts,
//! `--print-config`, the error messages, the typo suggestions, and the
//! settings table of `docs/configuration.md` (a test below compares them).
//!
//! This file says what a row is and what can be done with one (find it,
//! read its value, check and store a new one, describe what it accepts).
//! The rows themselves are in [`rows`] (one [`SETTINGS`] entry per
//! setting), and the checks of text values in [`rule`].
//!
//! Why getter and setter functions in the row rather than a `match` on the
//! key elsewhere: a setting then lives in exactly two places, its field in
//! [`ServerConfig`] and its row, and the compiler checks that the two
//! agree on the type (an integer row can only hold `fn(&ServerConfig) ->
//! i64`). There is no second list of keys that could fall out of step. To
//! add a setting: add the field (and its placeholder in
//! `ServerConfig::blank`, which the compiler demands), add a row in
//! [`rows`], and add a line for it in that table (the test
//! `readme_table_matches` says exactly what to write).

mod rows;
mod rule;

pub use rows::SETTINGS;
pub use rule::Rule;

use rule::accept;

use super::server::ServerConfig;
use super::toml::Value;
use crate::text::names;

/// The `[sections]` a settings file may use, in the order `--print-config`
/// writes them. Sections only group keys for the reader; `port` means the
/// same at the top of the file as under `[server]`.
pub const SECTIONS: [&str; 4] = ["server", "limits", "history", "chat"];

/// The upper end of integer settings that have no natural maximum. It is
/// small enough to fit every field's type (even `usize` on 32-bit machines),
/// so storing a checked value can never truncate it.
pub const NO_MAX: i64 = u32::MAX as i64;

/// One setting.
pub struct Setting {
    /// The key in the file.
    pub key: &'static str,
    /// The section the key may also stand under.
    pub section: &'static str,
    pub flag: SettingFlag,
    /// The environment variable that sets it, beating the file.
    pub env: Option<&'static str>,
    pub field: Field,
    /// What it does: for `--help`, `--print-config` and the configuration chapter.
    pub meaning: &'static str,
}

/// How a setting is given on the command line.
pub enum SettingFlag {
    /// No flag: passwords, since anyone on the machine can read another
    /// user's command line with `ps`, but not their environment.
    NoFlag,
    /// `--name VALUE`: the name without dashes, and the placeholder for help.
    Takes(&'static str, &'static str),
    /// `--name` alone switches a boolean off (`--no-history`): its default is on.
    TurnsOff(&'static str),
}

/// A setting's type, default and range, and how it reaches its field.
pub enum Field {
    /// An integer from `min` to `max`.
    Integer {
        default: i64,
        min: i64,
        max: i64,
        get: fn(&ServerConfig) -> i64,
        set: fn(&mut ServerConfig, i64),
    },
    /// `true` or `false`.
    Boolean {
        default: bool,
        get: fn(&ServerConfig) -> bool,
        set: fn(&mut ServerConfig, bool),
    },
    /// A string that follows `rule`.
    Text {
        default: &'static str,
        rule: Rule,
        get: fn(&ServerConfig) -> String,
        set: fn(&mut ServerConfig, String),
    },
}

/// Why [`Setting::store`] refused a value.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejected {
    /// A string where an integer belongs, and so on.
    WrongType,
    /// The right type but not an allowed value.
    OutOfRange,
}

impl Setting {
    /// The row for a key of the file.
    pub fn find(key: &str) -> Option<&'static Setting> {
        SETTINGS.iter().find(|setting| setting.key == key)
    }

    /// Passwords: never printed, no flag.
    pub fn is_secret(&self) -> bool {
        matches!(
            self.field,
            Field::Text {
                rule: Rule::Secret,
                ..
            }
        )
    }

    /// The setting's current value in `config`, as the file writes it.
    pub fn value(&self, config: &ServerConfig) -> Value {
        match self.field {
            Field::Integer { get, .. } => Value::Integer(get(config)),
            Field::Boolean { get, .. } => Value::Boolean(get(config)),
            Field::Text { get, .. } => Value::String(get(config)),
        }
    }

    /// The default, as the file writes it.
    pub fn default_value(&self) -> Value {
        match self.field {
            Field::Integer { default, .. } => Value::Integer(default),
            Field::Boolean { default, .. } => Value::Boolean(default),
            Field::Text { default, .. } => Value::String(default.into()),
        }
    }

    /// The default as `--help`, `--print-config` and the configuration chapter show it.
    pub fn default_text(&self) -> String {
        match self.is_secret() {
            true => "not set".into(),
            false => self.default_value().to_string(),
        }
    }

    /// Puts the default into `config`, unchecked: the test
    /// `every_default_is_allowed` checks each default against its own row.
    pub fn store_default(&self, config: &mut ServerConfig) {
        match self.field {
            Field::Integer { default, set, .. } => set(config, default),
            Field::Boolean { default, set, .. } => set(config, default),
            Field::Text { default, set, .. } => set(config, default.into()),
        }
    }

    /// Checks `value` against the row and stores it in `config` (room names
    /// gain their `#`), or says why not and leaves `config` alone.
    pub fn store(&self, config: &mut ServerConfig, value: Value) -> Result<(), Rejected> {
        match (&self.field, value) {
            (Field::Integer { min, max, set, .. }, Value::Integer(n)) => {
                if !(*min..=*max).contains(&n) {
                    return Err(Rejected::OutOfRange);
                }
                set(config, n);
            }
            (Field::Boolean { set, .. }, Value::Boolean(b)) => set(config, b),
            (Field::Text { rule, set, .. }, Value::String(s)) => {
                set(config, accept(*rule, s).ok_or(Rejected::OutOfRange)?)
            }
            _ => return Err(Rejected::WrongType),
        }
        Ok(())
    }

    /// "an integer", "a string", "a boolean (true or false)": the type the
    /// setting needs.
    pub fn type_name(&self) -> &'static str {
        match self.field {
            Field::Integer { .. } => "an integer",
            Field::Boolean { .. } => "a boolean (true or false)",
            Field::Text { .. } => "a string",
        }
    }

    /// The values the setting accepts, for error messages.
    pub fn expected(&self) -> String {
        match self.field {
            Field::Integer { min, max, .. } if max == NO_MAX => {
                format!("an integer of at least {min}")
            }
            Field::Integer { min, max, .. } => format!("an integer from {min} to {max}"),
            Field::Boolean { .. } => "true or false".into(),
            Field::Text { rule, .. } => match rule {
                Rule::Address => "an IP address such as 0.0.0.0, 127.0.0.1 or ::1".into(),
                Rule::ServerName => {
                    "a server name of 1-63 letters, digits, . or - (such as chatroom.local)".into()
                }
                Rule::Directory => "a directory name (not empty)".into(),
                Rule::Fsync => "always, interval or never".into(),
                Rule::Room => format!("a room name ({}) or \"\" for none", names::ROOM_RULE),
                Rule::Origins => {
                    "origins separated by spaces, such as http://teacher.example:8080".into()
                }
                Rule::Any | Rule::Secret => "a string".into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chapter's row for a setting, except that the chapter may put
    /// backticks around code in the meaning.
    fn readme_row(setting: &Setting) -> [String; 5] {
        let flag = match setting.flag {
            SettingFlag::Takes(name, placeholder) => {
                format!("`--{name} {}`", placeholder.replace('|', "\\|"))
            }
            SettingFlag::TurnsOff(name) => format!("`--{name}`"),
            SettingFlag::NoFlag => match setting.env {
                Some(variable) => format!("(none: `{variable}`)"),
                None => "(none)".into(),
            },
        };
        let default = match setting.is_secret() {
            true => setting.default_text(),
            false => format!("`{}`", setting.default_text()),
        };
        [
            format!("`{}`", setting.key),
            format!("`[{}]`", setting.section),
            flag,
            default,
            setting.meaning.to_string(),
        ]
    }

    #[test]
    fn readme_table_matches() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/configuration.md");
        let readme = std::fs::read_to_string(path).expect("read docs/configuration.md");
        let header = "| Key | Section | Flag | Default | Meaning |\n|---|---|---|---|---|\n";
        let start = readme
            .find(header)
            .expect("docs/configuration.md has the settings table")
            + header.len();
        let rows: Vec<Vec<String>> = readme[start..]
            .lines()
            .take_while(|line| line.starts_with('|'))
            .map(|line| {
                // Split on `|` but not on the `\|` inside a cell.
                let cells = line.trim_matches('|').replace("\\|", "\u{0}");
                cells
                    .split('|')
                    .map(|cell| cell.trim().replace('\u{0}', "\\|"))
                    .collect()
            })
            .collect();
        for (i, setting) in SETTINGS.iter().enumerate() {
            let expected = readme_row(setting);
            let write = format!("| {} |", expected.join(" | "));
            let Some(row) = rows.get(i) else {
                panic!("the settings table in docs/configuration.md ends early; row {i} should be\n{write}");
            };
            let meaning = row.get(4).map(|m| m.replace('`', "").replace("\\|", "|"));
            assert!(
                row[..4.min(row.len())] == expected[..4] && meaning.as_ref() == Some(&expected[4]),
                "docs/configuration.md settings row {i} is\n{}\nand should be (backticks in the meaning allowed)\n{write}",
                row.join(" | ")
            );
        }
        assert_eq!(
            rows.len(),
            SETTINGS.len(),
            "docs/configuration.md lists more settings"
        );
    }
}
