//! The chat client's settings file, `client.toml`: defaults for `--host`,
//! `--port`, `--name` and `--room`, so a student types
//! `step3_chat_client` instead of the whole command line every time.
//!
//! The file lives where each OS keeps per-user settings:
//! `$XDG_CONFIG_HOME/chatroom/client.toml`, else
//! `~/.config/chatroom/client.toml` on Linux and macOS, and
//! `%APPDATA%\chatroom\client.toml` on Windows. Paths are joined with
//! `std::path`, never by gluing strings with `/`, so the separator is right on
//! every system. A missing file is normal and means "no defaults"; flags
//! always win over the file.
//!
//! ```toml
//! host = "chat.example.org"
//! port = 7007
//! name = "alice"
//! room = "#general"
//! ```
//!
//! A file that is there but wrong is an error, never silently ignored: the
//! student would otherwise wonder why their name is not used. The error names
//! the file and the line, `…/client.toml:3: unknown key "nmae" (did you mean
//! "name"?)`, so it can be fixed in one go. The syntax is read by
//! [`super::toml`]; this module knows which keys exist and their types. The
//! error type and the typo suggestions are the server settings' own
//! ([`ConfigError`], `suggest`), so both programs word the same
//! slip the same way.

use std::path::{Path, PathBuf};

use super::suggest::closest;
use super::toml::{self, Entry, Value};
pub use super::ConfigError;

/// The file's name inside the `chatroom` settings folder.
pub const FILE_NAME: &str = "client.toml";

/// The keys the file may set.
const KEYS: [&str; 4] = ["host", "port", "name", "room"];

/// What the file sets; `None` for each key it leaves out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientConfig {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub name: Option<String>,
    pub room: Option<String>,
}

/// Where `client.toml` is looked for on this system, or `None` when the
/// environment names no settings folder at all (no `HOME`, no `APPDATA`).
pub fn default_path() -> Option<PathBuf> {
    settings_folder().map(|folder| folder.join("chatroom").join(FILE_NAME))
}

/// The per-user settings folder, following the XDG rule that a relative
/// `$XDG_CONFIG_HOME` is ignored.
#[cfg(not(windows))]
fn settings_folder() -> Option<PathBuf> {
    let absolute = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    absolute("XDG_CONFIG_HOME").or_else(|| absolute("HOME").map(|home| home.join(".config")))
}

#[cfg(windows)]
fn settings_folder() -> Option<PathBuf> {
    std::env::var_os("APPDATA").map(PathBuf::from)
}

/// Reads the settings file from [`default_path`]. No folder or no file: all
/// defaults, not an error.
pub fn load() -> Result<ClientConfig, ConfigError> {
    match default_path() {
        Some(path) => load_from(&path),
        None => Ok(ClientConfig::default()),
    }
}

/// Reads and checks the settings file at `path`; a missing file gives the
/// defaults.
pub fn load_from(path: &Path) -> Result<ClientConfig, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, path),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(ClientConfig::default()),
        Err(error) => Err(ConfigError::Unreadable {
            path: path.to_path_buf(),
            reason: error.to_string(),
        }),
    }
}

/// Checks the text of a settings file; `path` is only used in errors.
pub fn parse(text: &str, path: &Path) -> Result<ClientConfig, ConfigError> {
    let error_at = |line: usize, message: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        line,
        message,
    };
    let document = toml::parse(text).map_err(|error| {
        // `port = seven` is not a string missing its quotes.
        let expected = |key: &str| (key == "port").then(|| "an integer from 1 to 65535".into());
        error_at(error.line, super::syntax_message(&error, expected))
    })?;
    if let Some(section) = document.sections.first() {
        return Err(error_at(
            section.line,
            format!(
                "client.toml has no sections; remove [{}] and keep its keys at the top",
                section.name
            ),
        ));
    }
    let mut config = ClientConfig::default();
    for entry in document.entries {
        apply(&mut config, &entry).map_err(|message| error_at(entry.line, message))?;
    }
    Ok(config)
}

/// Stores one `key = value` line in `config`, or says what is wrong with it.
fn apply(config: &mut ClientConfig, entry: &Entry) -> Result<(), String> {
    match entry.key.as_str() {
        "host" => config.host = Some(non_empty_string(entry)?),
        "name" => config.name = Some(non_empty_string(entry)?),
        "room" => config.room = Some(non_empty_string(entry)?),
        "port" => match &entry.value {
            Value::Integer(number) => match u16::try_from(*number) {
                Ok(port) if port > 0 => config.port = Some(port),
                _ => return Err(format!("port must be from 1 to 65535, not {number}")),
            },
            other => {
                return Err(format!(
                    "port must be an integer (port = 7007), not {}",
                    other.type_name()
                ))
            }
        },
        unknown => {
            let hint = match closest(unknown, KEYS) {
                Some(key) => format!(" (did you mean \"{key}\"?)"),
                None => format!(" (the keys are {})", KEYS.join(", ")),
            };
            return Err(format!("unknown key \"{unknown}\"{hint}"));
        }
    }
    Ok(())
}

fn non_empty_string(entry: &Entry) -> Result<String, String> {
    match &entry.value {
        Value::String(text) if !text.trim().is_empty() => Ok(text.clone()),
        Value::String(_) => Err(format!("{} must not be empty", entry.key)),
        other => Err(format!(
            "{} must be a string in quotes ({} = \"…\"), not {}",
            entry.key,
            entry.key,
            other.type_name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<ClientConfig, ConfigError> {
        parse(text, Path::new("/home/x/.config/chatroom/client.toml"))
    }

    #[test]
    fn every_key() {
        let config = parse_text(
            "# my defaults\nhost = \"chat.example.org\"\nport = 7008\nname = \"alice\"\nroom = '#lab'\n",
        )
        .unwrap();
        assert_eq!(
            config,
            ClientConfig {
                host: Some("chat.example.org".into()),
                port: Some(7008),
                name: Some("alice".into()),
                room: Some("#lab".into()),
            }
        );
        assert_eq!(parse_text("").unwrap(), ClientConfig::default());
    }

    #[test]
    fn errors_name_file_and_line() {
        let cases = [
            (
                "port = 1\n\nnmae = \"x\"",
                3,
                "unknown key \"nmae\" (did you mean \"name\"?)",
            ),
            (
                "colour = \"red\"",
                1,
                "unknown key \"colour\" (the keys are host, port, name, room)",
            ),
            (
                "port = \"7007\"",
                1,
                "port must be an integer (port = 7007), not a string",
            ),
            ("port = 70000", 1, "port must be from 1 to 65535, not 70000"),
            ("port = 0", 1, "port must be from 1 to 65535, not 0"),
            (
                "name = 3",
                1,
                "name must be a string in quotes (name = \"…\"), not an integer",
            ),
            ("room = \"\"", 1, "room must not be empty"),
            ("\nport 7007", 2, "expected key = value"),
            ("name = alice", 1, "strings need quotes: \"alice\""),
            (
                "port = seven",
                1,
                "invalid value \"seven\" (\"port\" must be an integer from 1 to 65535)",
            ),
            ("[server]\nhost = \"x\"", 1, "client.toml has no sections"),
            ("host = \"x\"\n[empty]", 2, "client.toml has no sections"),
        ];
        for (text, line, message) in cases {
            let error = parse_text(text).expect_err(text);
            let ConfigError::Invalid {
                line: error_line,
                message: error_message,
                ..
            } = &error
            else {
                panic!("{text:?}: {error:?}");
            };
            assert_eq!(*error_line, line, "{text:?}");
            assert!(error_message.contains(message), "{text:?}: {error_message}");
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("/home/x/.config/chatroom/client.toml:{line}: ")),
                "{error}"
            );
        }
    }

    #[test]
    fn typos_suggest_the_nearest_key() {
        let error = parse_text("rooms = \"#lab\"").expect_err("typo");
        assert!(error
            .to_string()
            .ends_with("unknown key \"rooms\" (did you mean \"room\"?)"));
    }

    #[test]
    fn missing_file_means_defaults() {
        let path = std::env::temp_dir().join("chatroom-no-such-folder-4711/client.toml");
        assert_eq!(load_from(&path).unwrap(), ClientConfig::default());
    }
}
