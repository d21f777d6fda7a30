//! The server's settings: defaults, the settings file, environment variables
//! and flags, merged in that order of increasing precedence.
//!
//! A teacher starts the server in front of a class, so a wrong setting must
//! stop it at once with the place and the fix (`error: chatroom.toml:7:
//! unknown key "prot" (did you mean "port"?)`), never start a server that
//! does something nobody asked for. Every setting is one row of
//! `table`; this module only walks the rows: to make the defaults,
//! to read the file, the environment and the flags, and to write `--help`
//! and `--print-config`. So no two of these can disagree about a setting.
//!
//! Where each layer comes from:
//! - defaults: each row's default, gathered by [`ServerConfig::default`];
//! - the file: `--config FILE`, or `./chatroom.toml` if it exists (a missing
//!   `--config FILE` is an error, a missing `./chatroom.toml` is not);
//! - the environment: `CHATROOM_PASSWORD` and `CHATROOM_ADMIN_PASSWORD`
//!   (passwords have no flags on purpose: any user on the machine can read
//!   another user's command line with `ps`, but not their environment), and
//!   `CHATROOM_DIRECT_SEND`, so a whole test suite can run without the fast
//!   path;
//! - flags, last, so `step4_server --port 0` overrides whatever a file says.

use std::io;
use std::path::{Path, PathBuf};
use std::process;
use std::sync::OnceLock;

use super::suggest::closest;
use super::table::{Field, Rejected, Setting, SettingFlag, SECTIONS, SETTINGS};
use super::toml::{self, Value};
use crate::support::cli::{CliError, CommandLine, Flag};

pub use super::ConfigError;

pub use crate::history::FsyncPolicy;

/// Every setting of the chat server, as the rest of the server reads them.
/// Each field is one row of `table::SETTINGS`, which says what it
/// means and what it accepts; `settings_file` alone is not a setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    pub host: String,
    pub port: u16,
    pub data_dir: PathBuf,
    pub history: bool,
    pub history_replay: usize,
    pub history_keep_days: u64,
    pub history_keep_mb: u64,
    pub fsync: FsyncPolicy,
    pub max_clients: usize,
    pub max_per_ip: usize,
    pub max_unregistered_per_ip: usize,
    pub connect_rate_per_ip: u32,
    pub connect_burst_per_ip: u32,
    pub idle_timeout_secs: u64,
    pub max_line_bytes: usize,
    pub queue_len: usize,
    /// The fast path (see `src/outbox/`): senders write for clients
    /// who keep up; `false`: every line goes through the writer thread.
    pub direct_send: bool,
    pub rate_per_sec: u32,
    pub rate_burst: u32,
    pub default_room: String,
    /// Most rooms one person may be in at once (see `State::join`).
    pub max_rooms_per_person: usize,
    /// The server's name on IRC, the prefix of its own lines.
    pub irc_server_name: String,
    pub motd: String,
    pub password: Option<String>,
    pub admin_password: Option<String>,
    /// May people without an account join? (See `src/accounts/`.)
    pub guests: bool,
    pub register_timeout_secs: u64,
    /// Origins (`http://host:port`) of web pages besides the server's own
    /// that may open the chat's WebSocket (see
    /// [`origin_allowed`](crate::wire::websocket::origin_allowed)).
    pub allowed_origins: Vec<String>,
    /// The settings file these settings were read from (as a path from
    /// the directory the server was started in, or absolute), for the
    /// start-up log; `None` when there was none.
    pub settings_file: Option<PathBuf>,
}

impl Default for ServerConfig {
    /// Each setting's default from its row of the table.
    fn default() -> Self {
        let mut config = ServerConfig::blank();
        for setting in SETTINGS {
            setting.store_default(&mut config);
        }
        config
    }
}

impl ServerConfig {
    /// Placeholders that [`ServerConfig::default`] overwrites from the table
    /// at once. A struct must be built whole before its fields can be set
    /// one by one; these values are never seen (the test
    /// `every_field_has_a_row` catches a field the table does not set).
    fn blank() -> ServerConfig {
        ServerConfig {
            host: String::new(),
            port: 0,
            data_dir: PathBuf::new(),
            history: false,
            history_replay: 0,
            history_keep_days: 0,
            history_keep_mb: 0,
            fsync: FsyncPolicy::Interval,
            max_clients: 0,
            max_per_ip: 0,
            max_unregistered_per_ip: 0,
            connect_rate_per_ip: 0,
            connect_burst_per_ip: 0,
            idle_timeout_secs: 0,
            max_line_bytes: 0,
            queue_len: 0,
            direct_send: true,
            rate_per_sec: 0,
            rate_burst: 0,
            max_rooms_per_person: 0,
            irc_server_name: String::new(),
            default_room: String::new(),
            motd: String::new(),
            password: None,
            admin_password: None,
            guests: true,
            register_timeout_secs: 0,
            allowed_origins: Vec::new(),
            settings_file: None,
        }
    }
}

/// The file read when no `--config FILE` is given, from the current directory.
pub const DEFAULT_CONFIG_FILE: &str = "chatroom.toml";
/// The environment variable that sets `password` (and beats the file).
pub const PASSWORD_VAR: &str = "CHATROOM_PASSWORD";
/// The environment variable that sets `direct_send` (and beats the file):
/// `CHATROOM_DIRECT_SEND=false cargo test` runs the whole suite on the
/// design card's path, every line through a writer thread.
pub const DIRECT_SEND_VAR: &str = "CHATROOM_DIRECT_SEND";

/// The environment variable that sets `admin_password` (and beats the file).
pub const ADMIN_PASSWORD_VAR: &str = "CHATROOM_ADMIN_PASSWORD";

const USAGE: &str =
    "step4_server [--config FILE] [--host HOST] [--port PORT] [options...]\n       \
                     step4_server transcript [...]\n       \
                     step4_server attendance [...]";

const ABOUT: &str =
    "The chat server (step 4). Settings come from flags, then CHATROOM_PASSWORD and \
                     CHATROOM_ADMIN_PASSWORD,\nthen the settings file (--config FILE, or \
                     ./chatroom.toml if it exists), then the defaults below.\nRun with \
                     --print-config to see the result as a settings file.";

/// The command line of `step4_server`: a flag for each row of the table
/// that has one, plus `--config` and `--print-config`. Each flag's help is
/// the row's meaning and its default, formatted at run time, so the command
/// is built on first use and kept for the life of the program (the
/// `cli::Flag` table wants `&'static str`, so its few strings are leaked
/// once, on purpose).
pub fn server_command() -> &'static CommandLine {
    static COMMAND: OnceLock<CommandLine> = OnceLock::new();
    COMMAND.get_or_init(|| {
        let mut flags = vec![Flag {
            name: "config",
            value: Some("FILE"),
            help: "settings file (default ./chatroom.toml, if it exists)",
        }];
        for setting in SETTINGS {
            let (name, value, help) = match setting.flag {
                SettingFlag::NoFlag => continue,
                SettingFlag::Takes(name, placeholder) => (
                    name,
                    Some(placeholder),
                    format!("{} (default {})", setting.meaning, setting.default_text()),
                ),
                SettingFlag::TurnsOff(name) => (
                    name,
                    None,
                    format!(
                        "sets {} = false (default {}): {}",
                        setting.key,
                        setting.default_text(),
                        setting.meaning
                    ),
                ),
            };
            flags.push(Flag {
                name,
                value,
                help: help.leak(),
            });
        }
        flags.push(Flag {
            name: "print-config",
            value: None,
            help: "print the settings in chatroom.toml format and exit",
        });
        CommandLine {
            usage: USAGE,
            about: ABOUT,
            flags: flags.leak(),
        }
    })
}

/// What `step4_server` should do once its settings are known.
// Made once per run, so the size of its larger variant costs nothing;
// boxing it would only add noise where it is used.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, PartialEq, Eq)]
pub enum Startup {
    /// Run the server with these settings.
    Serve(ServerConfig),
    /// `--print-config`: print this text to stdout and exit 0.
    PrintConfig(String),
}

/// Prints the error the way the user expects and exits: `--help` exits 0,
/// every mistake exits 2 (a usage error: the server has not started, and
/// the person has to fix what they wrote).
pub fn exit_on_error(error: ConfigError) -> ! {
    match error {
        ConfigError::Cli(error) => server_command().exit_with(error),
        error => {
            eprintln!("error: {error}");
            process::exit(2);
        }
    }
}

/// Works out the server's settings from its command line (`args`, without
/// the program name), the environment (`env` looks up a variable) and the
/// settings file (`--config FILE`, or `chatroom.toml` in `cwd`).
/// `env` and `cwd` are parameters so tests can supply their own.
pub fn load(
    args: Vec<String>,
    env: &dyn Fn(&str) -> Option<String>,
    cwd: &Path,
) -> Result<Startup, ConfigError> {
    let flags = server_command()
        .parse(args)
        .map_err(|error| ConfigError::Cli(explain_password_flag(error)))?;
    let mut config = ServerConfig::default();

    // The file and line if rate_burst was last set by the file, for the one
    // check that needs two settings at once (see the end of this function).
    // `None` means the default or --rate-burst; the default is never 0, so
    // a 0 found there came from the flag.
    let mut rate_burst_place: Option<(PathBuf, usize)> = None;

    if let Some((file_name, text)) = read_settings_file(flags.value("config"), cwd)? {
        let lines = apply_file(&mut config, &file_name, &text)?;
        if let Some((_, line)) = lines.iter().find(|(key, _)| *key == "rate_burst") {
            rate_burst_place = Some((file_name.clone(), *line));
        }
        // Relative to `cwd`; an absolute path stays as it is.
        config.settings_file = Some(cwd.join(file_name));
    }

    for setting in SETTINGS {
        let Some(var) = setting.env else { continue };
        if let Some(text) = env(var) {
            store_text(&mut config, setting, &text).map_err(|expected| {
                ConfigError::Cli(CliError::Usage(format!(
                    "invalid value \"{text}\" in the environment variable {var}: expected {expected}"
                )))
            })?;
        }
    }

    for setting in SETTINGS {
        match setting.flag {
            SettingFlag::NoFlag => {}
            SettingFlag::TurnsOff(flag) => {
                if flags.switch(flag) {
                    let _ = setting.store(&mut config, Value::Boolean(false));
                }
            }
            SettingFlag::Takes(flag, _) => {
                if let Some(text) = flags.value(flag) {
                    store_flag(&mut config, setting, flag, text).map_err(ConfigError::Cli)?;
                    if setting.key == "rate_burst" {
                        rate_burst_place = None;
                    }
                }
            }
        }
    }

    // A burst of 0 with a non-zero rate would let nobody say anything. It
    // can only be checked now that both values are final, and the error
    // names wherever the 0 came from (the default is never 0).
    if config.rate_per_sec > 0 && config.rate_burst == 0 {
        return Err(match rate_burst_place {
            Some((path, line)) => ConfigError::Invalid {
                path,
                line,
                message: "\"rate_burst\" must be at least 1 while rate_per_sec is above 0 \
                          (rate_per_sec = 0 turns flood control off)"
                    .into(),
            },
            None => ConfigError::Cli(CliError::Usage(
                "--rate-burst must be at least 1 while the rate is above 0 \
                 (--rate-per-sec 0 turns flood control off)"
                    .into(),
            )),
        });
    }

    if flags.switch("print-config") {
        Ok(Startup::PrintConfig(to_toml(&config)))
    } else {
        Ok(Startup::Serve(config))
    }
}

/// The settings file's name (as the user should see it in errors) and text,
/// or `None` when no file was asked for and `./chatroom.toml` does not exist.
fn read_settings_file(
    config_flag: Option<&str>,
    cwd: &Path,
) -> Result<Option<(PathBuf, String)>, ConfigError> {
    let (file_name, required) = match config_flag {
        Some(path) => (path, true),
        None => (DEFAULT_CONFIG_FILE, false),
    };
    // Relative to `cwd`, not to the process's directory, so that tests can
    // point it anywhere; an absolute path ignores `cwd` in `join`.
    match std::fs::read_to_string(cwd.join(file_name)) {
        Ok(text) => Ok(Some((PathBuf::from(file_name), text))),
        Err(error) if error.kind() == io::ErrorKind::NotFound && !required => Ok(None),
        Err(error) => Err(ConfigError::Unreadable {
            path: PathBuf::from(file_name),
            reason: error.to_string(),
        }),
    }
}

/// Applies a settings file's text to `config`. Returns each key that was
/// set with its line, or the first mistake with its line.
fn apply_file(
    config: &mut ServerConfig,
    path: &Path,
    text: &str,
) -> Result<Vec<(&'static str, usize)>, ConfigError> {
    let at_line = |line: usize, message: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        line,
        message,
    };
    let document = toml::parse(text).map_err(|error| {
        // Only integers and booleans have something better to say about an
        // unquoted word than "strings need quotes".
        let expected = |key: &str| {
            Setting::find(key)
                .filter(|setting| !matches!(setting.field, Field::Text { .. }))
                .map(Setting::expected)
        };
        at_line(error.line, super::syntax_message(&error, expected))
    })?;
    // Every header is checked, even one with no keys under it: a
    // misspelt section must not be silently ignored.
    for section in &document.sections {
        if !SECTIONS.contains(&section.name.as_str()) {
            let hint = match closest(&section.name, SECTIONS) {
                Some(known) => format!("did you mean [{known}]?"),
                None => "the sections are [server], [limits], [history] and [chat]".into(),
            };
            return Err(at_line(
                section.line,
                format!("unknown section [{}] ({hint})", section.name),
            ));
        }
    }
    let mut set_on_line: Vec<(&'static str, usize)> = Vec::new();
    for entry in document.entries {
        let Some(setting) = Setting::find(&entry.key) else {
            let hint = match closest(&entry.key, SETTINGS.iter().map(|s| s.key)) {
                Some(known) => format!("did you mean \"{known}\"?"),
                None => "step4_server --print-config lists every key".into(),
            };
            return Err(at_line(
                entry.line,
                format!("unknown key \"{}\" ({hint})", entry.key),
            ));
        };

        if let Some(section) = &entry.section {
            if section != setting.section {
                return Err(at_line(
                    entry.line,
                    format!(
                        "\"{}\" belongs in [{}] (or at the top of the file), not in [{section}]",
                        setting.key, setting.section
                    ),
                ));
            }
        }

        // The parser only catches a key repeated in one section; the same
        // key at the top and in its section is just as ambiguous.
        if let Some((_, first)) = set_on_line.iter().find(|(key, _)| *key == setting.key) {
            return Err(at_line(
                entry.line,
                format!("\"{}\" is already set on line {first}", setting.key),
            ));
        }

        let found = entry.value.to_string();
        let found_type = entry.value.type_name();
        setting.store(config, entry.value).map_err(|rejected| {
            let message = match rejected {
                Rejected::WrongType => format!(
                    "\"{}\" must be {}, found {found_type}",
                    setting.key,
                    setting.type_name()
                ),
                Rejected::OutOfRange => format!(
                    "\"{}\" must be {}, found {found}",
                    setting.key,
                    setting.expected()
                ),
            };
            at_line(entry.line, message)
        })?;
        set_on_line.push((setting.key, entry.line));
    }
    Ok(set_on_line)
}

/// `--password x` is an unknown flag on purpose (see [`SettingFlag::NoFlag`]):
/// instead of a bare "unknown flag", say why and where the password goes.
fn explain_password_flag(error: CliError) -> CliError {
    let CliError::Usage(message) = &error else {
        return error;
    };
    let Some(name) = message.strip_prefix("unknown flag --") else {
        return error;
    };
    let secret = SETTINGS.iter().find(|setting| {
        matches!(setting.flag, SettingFlag::NoFlag) && setting.key.replace('_', "-") == name
    });
    match secret.and_then(|setting| setting.env.map(|var| (setting.key, var))) {
        Some((key, var)) => CliError::Usage(format!(
            "there is no --{name} flag, on purpose: a command line shows in `ps` to everyone \
             on this machine. Set the environment variable instead: \
             `{var}=<password> cargo run --bin step4_server` (or `export {var}=<password>` \
             once in this terminal), or `{key} = \"<password>\"` under [chat] in chatroom.toml"
        )),
        None => error,
    }
}

/// Stores a flag's text. Every flag mistake is a usage error naming the
/// flag and what it accepts.
fn store_flag(
    config: &mut ServerConfig,
    setting: &Setting,
    flag: &str,
    text: &str,
) -> Result<(), CliError> {
    store_text(config, setting, text).map_err(|expected| {
        CliError::Usage(format!(
            "invalid value \"{text}\" for --{flag}: expected {expected}"
        ))
    })
}

/// Stores a setting given as text (a flag's value, an environment
/// variable), or says what it expects.
fn store_text(config: &mut ServerConfig, setting: &Setting, text: &str) -> Result<(), String> {
    let value = match setting.field {
        Field::Integer { .. } => text.parse().ok().map(Value::Integer),
        Field::Boolean { .. } => match text {
            "true" => Some(Value::Boolean(true)),
            "false" => Some(Value::Boolean(false)),
            _ => None,
        },
        Field::Text { .. } => Some(Value::String(text.to_string())),
    };
    value
        .and_then(|value| setting.store(config, value).ok())
        .ok_or_else(|| setting.expected())
}

/// The settings as a `chatroom.toml` file, every key with a comment saying
/// what it means and its default: what `--print-config` prints. Reading it
/// back gives the same settings, except that passwords are never written
/// (they would end up in terminals, logs and shared files).
pub fn to_toml(config: &ServerConfig) -> String {
    let mut text = String::from(
        "# chatroom server settings, as printed by `step4_server --print-config`.\n\
         # Save as ./chatroom.toml or pass --config FILE. Flags override this file;\n\
         # CHATROOM_PASSWORD, CHATROOM_ADMIN_PASSWORD and CHATROOM_DIRECT_SEND\n\
         # override this file too.\n",
    );
    for section in SECTIONS {
        text.push_str(&format!("\n[{section}]\n"));
        for setting in SETTINGS.iter().filter(|s| s.section == section) {
            let key = setting.key;
            let value = setting.value(config);
            if setting.is_secret() {
                let shown = match value {
                    Value::String(s) if s.is_empty() => "(not set)",
                    _ => "(set, not shown)",
                };
                text.push_str(&format!("# {} (default: not set)\n", setting.meaning));
                text.push_str(&format!("# {key} = {shown}\n"));
            } else {
                text.push_str(&format!(
                    "# {} (default {})\n",
                    setting.meaning,
                    setting.default_text()
                ));
                text.push_str(&format!("{key} = {value}\n"));
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::tempdir::TempDir;

    /// The settings a file's text gives, starting from the defaults.
    fn from_file(text: &str) -> Result<ServerConfig, String> {
        let mut config = ServerConfig::default();
        apply_file(&mut config, Path::new("chatroom.toml"), text)
            .map_err(|error| error.to_string())?;
        Ok(config)
    }

    fn file_error(text: &str) -> String {
        from_file(text).expect_err(text)
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn serve(result: Result<Startup, ConfigError>) -> ServerConfig {
        match result {
            Ok(Startup::Serve(config)) => config,
            other => panic!("expected settings, got {other:?}"),
        }
    }

    fn usage_error(result: Result<Startup, ConfigError>) -> String {
        match result {
            Err(ConfigError::Cli(CliError::Usage(message))) => message,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    fn invalid(result: Result<Startup, ConfigError>) -> String {
        match result {
            Err(error @ (ConfigError::Invalid { .. } | ConfigError::Unreadable { .. })) => {
                error.to_string()
            }
            other => panic!("expected an invalid-settings error, got {other:?}"),
        }
    }

    /// Settings with every field away from its default (and, for those
    /// with a row, from its placeholder in `blank`).
    fn unusual() -> ServerConfig {
        ServerConfig {
            host: "::1".into(),
            port: 1,
            data_dir: PathBuf::from("/var/lib/chat room"),
            history: false,
            history_replay: 10_000,
            history_keep_days: 1,
            history_keep_mb: 1,
            fsync: FsyncPolicy::Always,
            max_clients: 1,
            max_per_ip: 3,
            max_unregistered_per_ip: 5,
            connect_rate_per_ip: 7,
            connect_burst_per_ip: 8,
            idle_timeout_secs: 9,
            max_line_bytes: 16,
            queue_len: 1,
            direct_send: false,
            rate_per_sec: 3,
            rate_burst: 4,
            max_rooms_per_person: 3,
            irc_server_name: "irc.example".into(),
            default_room: "#lab".into(),
            motd: "Hi \"class\" \\ é\nline two\t#not a comment".into(),
            password: Some("pw".into()),
            admin_password: Some("admin pw".into()),
            guests: false,
            register_timeout_secs: 86_400,
            allowed_origins: vec![
                "http://teacher.example:8080".into(),
                "https://school.example".into(),
            ],
            settings_file: None,
        }
    }

    /// `unusual` with what `--print-config` does not write left at the defaults.
    fn unusual_printable() -> ServerConfig {
        ServerConfig {
            password: None,
            admin_password: None,
            rate_per_sec: 0,
            rate_burst: 0,
            max_rooms_per_person: 10,
            irc_server_name: "chatroom.local".into(),
            default_room: String::new(),
            ..unusual()
        }
    }

    #[test]
    fn fsync_policy_words() {
        for policy in [
            FsyncPolicy::Always,
            FsyncPolicy::Interval,
            FsyncPolicy::Never,
        ] {
            assert_eq!(policy.as_str().parse::<FsyncPolicy>(), Ok(policy));
        }
        assert!("Always".parse::<FsyncPolicy>().is_err());
        assert!("".parse::<FsyncPolicy>().is_err());
    }

    #[test]
    fn nothing_given_means_the_defaults() {
        let dir = TempDir::new("defaults");
        assert_eq!(
            serve(load(vec![], &no_env, dir.path())),
            ServerConfig::default()
        );
    }

    #[test]
    fn every_type_comments_and_sections() {
        let config = from_file(
            "# class settings\n\
             port = 7_100            # top level works\n\
             \n\
             [server]\n\
             host = '127.0.0.1'\n\
             max_clients = 30\n\
             [limits]\n\
             rate_per_sec = 0  # off\n\
             rate_burst = 0\n\
             [history]\n\
             history = false\n\
             data_dir = \"/tmp/chat\"\n\
             fsync = \"never\"\n\
             [chat]\n\
             default_room = \"lab\"\n\
             motd = \"Hello \\\"CS101\\\" # not a comment\"\n\
             password = \"s3cret\"\n\
             admin_password = \"\"\n",
        )
        .unwrap();
        let expected = ServerConfig {
            port: 7100,
            host: "127.0.0.1".into(),
            max_clients: 30,
            rate_per_sec: 0,
            rate_burst: 0,
            history: false,
            data_dir: PathBuf::from("/tmp/chat"),
            fsync: FsyncPolicy::Never,
            max_rooms_per_person: 10,
            irc_server_name: "chatroom.local".into(),
            default_room: "#lab".into(),
            motd: "Hello \"CS101\" # not a comment".into(),
            password: Some("s3cret".into()),
            admin_password: None,
            ..ServerConfig::default()
        };
        assert_eq!(config, expected);
    }

    #[test]
    fn print_config_reads_back_as_the_same_settings() {
        for config in [ServerConfig::default(), unusual_printable()] {
            let text = to_toml(&config);
            assert_eq!(from_file(&text), Ok(config.clone()), "{text}");
        }
    }

    #[test]
    fn print_config_lists_every_key_with_its_meaning_and_default() {
        let text = to_toml(&ServerConfig::default());
        for setting in SETTINGS {
            assert!(
                text.contains(&format!("{} = ", setting.key)),
                "{}",
                setting.key
            );
            assert!(text.contains(setting.meaning), "{}", setting.key);
            assert!(
                text.contains(&format!("(default {})", setting.default_text()))
                    || setting.is_secret(),
                "{}",
                setting.key
            );
        }
        for section in SECTIONS {
            assert!(text.contains(&format!("\n[{section}]\n")));
        }
        assert!(text.contains("# TCP port to listen on; 0 = any free port"));
        assert!(text.contains("(default 7007)\nport = 7007\n"));
        assert!(text.contains("(default \"#general\")\ndefault_room = \"#general\"\n"));
    }

    #[test]
    fn print_config_never_shows_passwords() {
        let mut config = ServerConfig::default();
        let text = to_toml(&config);
        assert!(text.contains("\n# password = (not set)\n"));
        assert!(text.contains("\n# admin_password = (not set)\n"));
        config.password = Some("hunter2".into());
        config.admin_password = Some("root-pw".into());
        let text = to_toml(&config);
        assert!(!text.contains("hunter2") && !text.contains("root-pw"));
        assert!(text.contains("\n# password = (set, not shown)\n"));
        assert!(text.contains("\n# admin_password = (set, not shown)\n"));
    }

    #[test]
    fn every_field_has_a_row() {
        // Copy `unusual` into the defaults row by row: a field no row
        // reaches keeps its default and the copy differs.
        let source = unusual();
        let mut copy = ServerConfig::default();
        for setting in SETTINGS {
            assert_eq!(setting.store(&mut copy, setting.value(&source)), Ok(()));
        }
        assert_eq!(copy, source);
    }

    #[test]
    fn every_key_is_accepted_at_the_top_and_in_its_section() {
        let config = unusual_printable();
        for setting in SETTINGS.iter().filter(|s| !s.is_secret()) {
            let line = format!("{} = {}\n", setting.key, setting.value(&config));
            for text in [line.clone(), format!("[{}]\n{line}", setting.section)] {
                let read = from_file(&text).unwrap();
                assert_eq!(setting.value(&read), setting.value(&config), "{text}");
            }
        }
    }

    #[test]
    fn mistakes_name_the_file_and_line() {
        let cases = [
            // Syntax, from the parser.
            ("port = 7007\nmotd = hello", "chatroom.toml:2: invalid value \"hello\" (strings need quotes: \"hello\")"),
            ("history = yes", "chatroom.toml:1: invalid value \"yes\" (\"history\" must be true or false)"),
            ("\nport = seven", "chatroom.toml:2: invalid value \"seven\" (\"port\" must be an integer from 0 to 65535)"),
            ("colour = red", "chatroom.toml:1: invalid value \"red\" (strings need quotes: \"red\")"),
            // Unknown keys and sections, with and without a suggestion.
            ("\n\nprot = 1", "chatroom.toml:3: unknown key \"prot\" (did you mean \"port\"?)"),
            ("[limits]\nmax-line-bytes = 10", "chatroom.toml:2: unknown key \"max-line-bytes\" (did you mean \"max_line_bytes\"?)"),
            ("colour = \"red\"", "chatroom.toml:1: unknown key \"colour\" (step4_server --print-config lists every key)"),
            ("# x\n[sever]\n\nport = 1", "chatroom.toml:2: unknown section [sever] (did you mean [server]?)"),
            ("[network]\nport = 1", "chatroom.toml:1: unknown section [network] (the sections are [server], [limits], [history] and [chat])"),
            ("port = 1\n[sever]", "chatroom.toml:2: unknown section [sever] (did you mean [server]?)"),
            // A known key in another key's section.
            ("[limits]\nport = 1", "chatroom.toml:2: \"port\" belongs in [server] (or at the top of the file), not in [limits]"),
            ("port = 1\n[server]\nport = 2", "chatroom.toml:3: \"port\" is already set on line 1"),
            // Wrong types.
            ("\n\nport = \"7007\"", "chatroom.toml:3: \"port\" must be an integer, found a string"),
            ("history = 1", "chatroom.toml:1: \"history\" must be a boolean (true or false), found an integer"),
            ("motd = true", "chatroom.toml:1: \"motd\" must be a string, found a boolean"),
            ("password = 1234", "chatroom.toml:1: \"password\" must be a string, found an integer"),
            // Values out of range.
            ("port = 65536", "chatroom.toml:1: \"port\" must be an integer from 0 to 65535, found 65536"),
            ("fsync = \"sometimes\"", "chatroom.toml:1: \"fsync\" must be always, interval or never, found \"sometimes\""),
            ("host = \"localhost\"", "chatroom.toml:1: \"host\" must be an IP address such as 0.0.0.0, 127.0.0.1 or ::1, found \"localhost\""),
            ("default_room = \"a b\"", "chatroom.toml:1: \"default_room\" must be a room name (use # and 1-20 of a-z, A-Z, 0-9, - or _ (no accents, no spaces)) or \"\" for none, found \"a b\""),
            ("max_clients = 0", "chatroom.toml:1: \"max_clients\" must be an integer of at least 1, found 0"),
        ];
        for (text, expected) in cases {
            assert_eq!(file_error(text), expected, "{text:?}");
        }
    }

    #[test]
    fn range_limits() {
        let good = [
            "port = 0",
            "port = 65535",
            "max_line_bytes = 16",
            "max_line_bytes = 1_048_576",
            "queue_len = 1",
            "max_clients = 1",
            "max_per_ip = 0",
            "history_replay = 0",
            "history_replay = 10_000",
            "rate_per_sec = 0",
            "register_timeout_secs = 1",
            "default_room = \"\"",
            "default_room = \"#Lab-1\"",
            "host = \"::\"",
            "fsync = \"always\"",
        ];
        for text in good {
            assert!(from_file(text).is_ok(), "{text}: {:?}", from_file(text));
        }
        let bad = [
            "port = -1",
            "max_line_bytes = 15",
            "max_line_bytes = 1048577",
            "queue_len = 0",
            "queue_len = 1000001",
            "max_clients = 0",
            "max_per_ip = -1",
            "history_replay = 10001",
            "rate_per_sec = -1",
            "rate_burst = 4294967296",
            "register_timeout_secs = 0",
            "register_timeout_secs = 86401",
            "default_room = \"#\"",
            "host = \"1.2.3\"",
            "fsync = \"Always\"",
            "data_dir = \"\"",
        ];
        for text in bad {
            let error = file_error(text);
            assert!(error.contains(" must be "), "{text}: {error}");
        }
    }

    #[test]
    fn default_room_is_stored_with_its_hash() {
        assert_eq!(
            from_file("default_room = \"lab\"").unwrap().default_room,
            "#lab"
        );
        let dir = TempDir::new("room");
        let config = serve(load(args(&["--default-room", "lab"]), &no_env, dir.path()));
        assert_eq!(config.default_room, "#lab");
        let config = serve(load(args(&["--default-room", ""]), &no_env, dir.path()));
        assert_eq!(config.default_room, "");
    }

    #[test]
    fn the_file_is_found_in_cwd_or_named_by_config() {
        let dir = TempDir::new("file");
        dir.write("chatroom.toml", "port = 7100\n");
        dir.write("other.toml", "port = 7200\n");
        let config = serve(load(vec![], &no_env, dir.path()));
        assert_eq!(config.port, 7100);
        assert_eq!(config.settings_file, Some(dir.join("chatroom.toml")));
        let config = serve(load(args(&["--config", "other.toml"]), &no_env, dir.path()));
        assert_eq!(config.port, 7200);
        assert_eq!(config.settings_file, Some(dir.join("other.toml")));
        let absolute = dir.join("other.toml").to_string_lossy().into_owned();
        let elsewhere = TempDir::new("file-elsewhere");
        assert_eq!(
            serve(load(
                args(&["--config", &absolute]),
                &no_env,
                elsewhere.path()
            ))
            .port,
            7200
        );

        let error = invalid(load(
            args(&["--config", "missing.toml"]),
            &no_env,
            dir.path(),
        ));
        assert!(
            error.starts_with("cannot read settings file missing.toml: "),
            "{error}"
        );
        std::fs::write(dir.join("chatroom.toml"), "port = 7100\nprot = 1\n").unwrap();
        let error = invalid(load(vec![], &no_env, dir.path()));
        assert_eq!(
            error,
            "chatroom.toml:2: unknown key \"prot\" (did you mean \"port\"?)"
        );
        std::fs::write(dir.join("other.toml"), "port = 'x'\n").unwrap();
        let error = invalid(load(args(&["--config", "other.toml"]), &no_env, dir.path()));
        assert_eq!(
            error,
            "other.toml:1: \"port\" must be an integer, found a string"
        );
    }

    #[test]
    fn environment_passwords_beat_the_file() {
        let dir = TempDir::new("env");
        std::fs::write(
            dir.join("chatroom.toml"),
            "[chat]\npassword = \"from-file\"\nadmin_password = \"admin-file\"\n",
        )
        .unwrap();
        let config = serve(load(vec![], &no_env, dir.path()));
        assert_eq!(config.password.as_deref(), Some("from-file"));
        assert_eq!(config.admin_password.as_deref(), Some("admin-file"));

        let env = |name: &str| match name {
            "CHATROOM_PASSWORD" => Some("from-env".to_string()),
            "CHATROOM_ADMIN_PASSWORD" => Some(String::new()),
            _ => None,
        };
        let config = serve(load(vec![], &env, dir.path()));
        assert_eq!(config.password.as_deref(), Some("from-env"));
        assert_eq!(
            config.admin_password, None,
            "an empty variable switches it off"
        );
    }

    #[test]
    fn flags_beat_the_file_and_environment() {
        let dir = TempDir::new("flags");
        std::fs::write(
            dir.join("chatroom.toml"),
            "port = 7100\nhost = \"127.0.0.1\"\nmotd = \"file\"\n[history]\nfsync = \"never\"\n",
        )
        .unwrap();
        let env = |name: &str| (name == "CHATROOM_PASSWORD").then(|| "pw".to_string());
        let config = serve(load(
            args(&[
                "--port=0",
                "--motd",
                "flag",
                "--fsync",
                "always",
                "--no-history",
                "--max-clients",
                "5",
                "--max-per-ip",
                "2",
                "--max-line-bytes",
                "2048",
                "--queue-len",
                "8",
                "--no-direct-send",
                "--rate-per-sec",
                "3",
                "--rate-burst",
                "4",
                "--history-replay",
                "0",
                "--data-dir",
                "d",
                "--register-timeout-secs",
                "9",
                "--default-room",
                "#x",
                "--host",
                "::1",
            ]),
            &env,
            dir.path(),
        ));
        let expected = ServerConfig {
            settings_file: Some(dir.join("chatroom.toml")),
            host: "::1".into(),
            port: 0,
            data_dir: PathBuf::from("d"),
            history: false,
            history_replay: 0,
            history_keep_days: 365,
            history_keep_mb: 2000,
            fsync: FsyncPolicy::Always,
            max_clients: 5,
            max_per_ip: 2,
            max_unregistered_per_ip: 100,
            connect_rate_per_ip: 60,
            connect_burst_per_ip: 120,
            idle_timeout_secs: 10_800,
            max_line_bytes: 2048,
            queue_len: 8,
            direct_send: false,
            rate_per_sec: 3,
            rate_burst: 4,
            max_rooms_per_person: 10,
            irc_server_name: "chatroom.local".into(),
            default_room: "#x".into(),
            motd: "flag".into(),
            password: Some("pw".into()),
            admin_password: None,
            guests: true,
            register_timeout_secs: 9,
            allowed_origins: Vec::new(),
        };
        assert_eq!(config, expected);
    }

    #[test]
    fn flag_mistakes_are_usage_errors_naming_the_flag() {
        let dir = TempDir::new("flag-errors");
        let cases = [
            (vec!["--port", "70000"], "invalid value \"70000\" for --port: expected an integer from 0 to 65535"),
            (vec!["--port", "seven"], "invalid value \"seven\" for --port: expected an integer from 0 to 65535"),
            (vec!["--fsync", "sometimes"], "invalid value \"sometimes\" for --fsync: expected always, interval or never"),
            (vec!["--host", "example.org"], "invalid value \"example.org\" for --host: expected an IP address such as 0.0.0.0, 127.0.0.1 or ::1"),
            (vec!["--queue-len", "0"], "invalid value \"0\" for --queue-len: expected an integer from 1 to 1000000"),
            (vec!["--default-room", "a b"], "invalid value \"a b\" for --default-room: expected a room name (use # and 1-20 of a-z, A-Z, 0-9, - or _ (no accents, no spaces)) or \"\" for none"),
            (vec!["--password", "x"], "there is no --password flag, on purpose: a command line shows in `ps` to everyone on this machine. Set the environment variable instead: `CHATROOM_PASSWORD=<password> cargo run --bin step4_server` (or `export CHATROOM_PASSWORD=<password>` once in this terminal), or `password = \"<password>\"` under [chat] in chatroom.toml"),
            (vec!["--admin-password=x"], "there is no --admin-password flag, on purpose: a command line shows in `ps` to everyone on this machine. Set the environment variable instead: `CHATROOM_ADMIN_PASSWORD=<password> cargo run --bin step4_server` (or `export CHATROOM_ADMIN_PASSWORD=<password>` once in this terminal), or `admin_password = \"<password>\"` under [chat] in chatroom.toml"),
            (vec!["--pasword", "x"], "unknown flag --pasword"),
            (vec!["--no-history=1"], "--no-history takes no value"),
        ];
        for (list, expected) in cases {
            assert_eq!(
                usage_error(load(args(&list), &no_env, dir.path())),
                expected,
                "{list:?}"
            );
        }
        assert_eq!(
            load(args(&["--help"]), &no_env, dir.path()),
            Err(ConfigError::Cli(CliError::Help))
        );
    }

    #[test]
    fn a_burst_of_zero_needs_the_rate_off() {
        let dir = TempDir::new("burst");
        let config = serve(load(
            args(&["--rate-per-sec", "0", "--rate-burst", "0"]),
            &no_env,
            dir.path(),
        ));
        assert_eq!((config.rate_per_sec, config.rate_burst), (0, 0));
        let error = usage_error(load(args(&["--rate-burst", "0"]), &no_env, dir.path()));
        assert!(
            error.starts_with("--rate-burst must be at least 1"),
            "{error}"
        );

        std::fs::write(
            dir.join("chatroom.toml"),
            "[limits]\nrate_per_sec = 0\nrate_burst = 0\n",
        )
        .unwrap();
        assert_eq!(serve(load(vec![], &no_env, dir.path())).rate_burst, 0);
        let error = invalid(load(args(&["--rate-per-sec", "5"]), &no_env, dir.path()));
        assert!(
            error.starts_with("chatroom.toml:3: \"rate_burst\" must be at least 1"),
            "{error}"
        );
        // A flag that fixes the burst fixes the error.
        let config = serve(load(
            args(&["--rate-per-sec", "5", "--rate-burst", "2"]),
            &no_env,
            dir.path(),
        ));
        assert_eq!((config.rate_per_sec, config.rate_burst), (5, 2));
    }

    #[test]
    fn print_config_shows_the_merged_settings() {
        let dir = TempDir::new("print");
        std::fs::write(dir.join("chatroom.toml"), "port = 7100\nmotd = \"file\"\n").unwrap();
        let env = |name: &str| (name == "CHATROOM_PASSWORD").then(|| "pw".to_string());
        let result = load(
            args(&["--print-config", "--motd", "flag"]),
            &env,
            dir.path(),
        );
        let Ok(Startup::PrintConfig(text)) = result else {
            panic!("expected printed settings, got {result:?}");
        };
        let read = from_file(&text).unwrap();
        assert_eq!((read.port, read.motd.as_str()), (7100, "flag"));
        assert!(text.contains("# password = (set, not shown)") && !text.contains("pw\""));
    }

    #[test]
    fn help_lists_every_flag_with_its_meaning_and_default() {
        let command = server_command();
        let help = command.help_text();
        for setting in SETTINGS {
            let flag = match setting.flag {
                SettingFlag::NoFlag => {
                    assert!(setting.is_secret(), "only passwords lack a flag");
                    continue;
                }
                SettingFlag::Takes(flag, placeholder) => {
                    assert!(
                        help.contains(&format!("--{flag} {placeholder} ")),
                        "--{flag}"
                    );
                    flag
                }
                SettingFlag::TurnsOff(flag) => flag,
            };
            let entry = command.flags.iter().find(|f| f.name == flag).unwrap();
            assert!(entry.help.contains(setting.meaning), "--{flag}");
            assert!(
                entry
                    .help
                    .contains(&format!("(default {})", setting.default_text())),
                "--{flag}: {:?}",
                entry.help
            );
        }
        assert!(help.contains("(default 7007)"));
        assert!(help.contains("--no-history  ") && help.contains("sets history = false"));
        assert!(help.contains("--config FILE") && help.contains("--print-config"));
        assert!(command.usage.contains("step4_server transcript"));
        assert!(command.usage.contains("step4_server attendance"));
    }
}
