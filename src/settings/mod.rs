//! Settings: what the server and the chat client read from their settings
//! files, the environment and their flags.
//!
//! - `table`: every server setting described once (key, section, flag,
//!   type, default, range, meaning); everything else is made from it.
//! - [`server`]: the server's settings, [`server::ServerConfig`], merged
//!   from defaults, file, environment and flags; `--help`, `--print-config`.
//! - [`client`]: the chat client's `client.toml`.
//! - [`toml`]: the small TOML subset both files are written in.
//! - `suggest`: "did you mean …?" for a misspelt key, section or flag.
//!
//! Both programs report a broken setting with the one [`ConfigError`] below,
//! so a student sees the same shape of message from either: the file, the
//! line, what is wrong and, when it is a typo, what was probably meant.

pub mod client;
pub mod server;
mod suggest;
mod table;
pub(crate) mod toml;

use std::fmt;
use std::path::PathBuf;

use crate::support::cli::CliError;

/// Why settings could not be used. Its `Display` is the whole message after
/// `error: `.
#[derive(Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A flag mistake, or `--help`: the program's command prints it
    /// (see [`server::exit_on_error`]).
    Cli(CliError),
    /// The settings file is there (or was asked for) but cannot be read.
    Unreadable { path: PathBuf, reason: String },
    /// A mistake on one line of the file: `chatroom.toml:3: "port" must be
    /// an integer, found a string`.
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Cli(CliError::Help) => f.write_str("--help was asked for"),
            ConfigError::Cli(CliError::Usage(message)) => f.write_str(message),
            ConfigError::Unreadable { path, reason } => {
                write!(f, "cannot read settings file {}: {reason}", path.display())
            }
            ConfigError::Invalid {
                path,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", path.display()),
        }
    }
}

/// The message for a syntax error. An unquoted word is refused by the parser
/// as "strings need quotes", which is right for a string key and wrong for
/// `history = yes`: `expected(key)` says what a non-string key accepts
/// ("true or false"), and `None` for a string key or an unknown one.
fn syntax_message(error: &toml::ParseError, expected: impl Fn(&str) -> Option<String>) -> String {
    match &error.unquoted {
        Some(unquoted) => match expected(&unquoted.key) {
            Some(values) => format!(
                "invalid value \"{}\" (\"{}\" must be {values})",
                unquoted.word, unquoted.key
            ),
            None => error.message.clone(),
        },
        None => error.message.clone(),
    }
}
