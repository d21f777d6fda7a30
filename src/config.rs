//! The server's settings: defaults, the settings file, environment variables
//! and flags, merged in that order of increasing precedence.
//!
//! A teacher starts the server in front of a class, so a wrong setting must
//! stop it at once with the place and the fix (`error: chatroom.toml:7:
//! unknown key "prot" (did you mean "port"?)`), never start a server that
//! does something nobody asked for. Every setting is described once, in the
//! `SETTINGS` table: its key, the section it belongs in, the values it
//! accepts, its flag and what it means. The file reader, the flag reader,
//! `--print-config` and the tests all work from that one table, so they
//! cannot disagree about a setting. The flag table [`SERVER_COMMAND`] must be
//! a `const` of literal strings, so it repeats the defaults in its help text;
//! a test checks that it still matches [`ServerConfig::default`].
//!
//! Where each layer comes from:
//! - defaults: [`ServerConfig::default`];
//! - the file: `--config FILE`, or `./chatroom.toml` if it exists (a missing
//!   `--config FILE` is an error, a missing `./chatroom.toml` is not);
//! - the environment: only `CHATROOM_PASSWORD` and `CHATROOM_ADMIN_PASSWORD`.
//!   Passwords have no flags on purpose: any user on the machine can read
//!   another user's command line with `ps`, but not their environment;
//! - flags, last, so `step4_server --port 0` overrides whatever a file says.

use std::fmt;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process;
use std::str::FromStr;

use crate::cli::{CliError, Command, Flag};
use crate::names;
use crate::toml::{self, Value};

/// When the history file is flushed from the OS's cache to the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// After every record: survives power loss, costs a disk flush per message.
    Always,
    /// Once a second in the background and at shutdown (the default).
    Interval,
    /// Never explicitly: the OS flushes when it likes.
    Never,
}

impl FsyncPolicy {
    /// The word used in the settings file and for `--fsync`.
    pub fn as_str(self) -> &'static str {
        match self {
            FsyncPolicy::Always => "always",
            FsyncPolicy::Interval => "interval",
            FsyncPolicy::Never => "never",
        }
    }
}

impl FromStr for FsyncPolicy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "always" => Ok(FsyncPolicy::Always),
            "interval" => Ok(FsyncPolicy::Interval),
            "never" => Ok(FsyncPolicy::Never),
            _ => Err(format!(
                "unknown fsync policy \"{text}\" (use always, interval or never)"
            )),
        }
    }
}

/// Every setting of the chat server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    pub host: String,
    pub port: u16,
    pub data_dir: PathBuf,
    pub history: bool,
    pub history_replay: usize,
    pub fsync: FsyncPolicy,
    pub history_keep_days: u64,
    pub history_keep_mb: u64,
    pub max_clients: usize,
    pub max_per_ip: usize,
    pub max_line_bytes: usize,
    pub queue_len: usize,
    pub rate_per_sec: u32,
    pub rate_burst: u32,
    pub default_room: String,
    pub motd: String,
    pub password: Option<String>,
    pub admin_password: Option<String>,
    pub register_timeout_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            host: "0.0.0.0".into(),
            port: 7007,
            data_dir: PathBuf::from("chatroom-data"),
            history: true,
            history_replay: 20,
            fsync: FsyncPolicy::Interval,
            history_keep_days: 365,
            history_keep_mb: 2000,
            max_clients: 1000,
            max_per_ip: 0,
            max_line_bytes: 1024,
            queue_len: 1024,
            rate_per_sec: 10,
            rate_burst: 20,
            default_room: "#general".into(),
            motd: "Welcome to chatroom!".into(),
            password: None,
            admin_password: None,
            register_timeout_secs: 120,
        }
    }
}

/// The file read when no `--config FILE` is given, from the current directory.
pub const DEFAULT_CONFIG_FILE: &str = "chatroom.toml";
/// The environment variable that sets `password` (and beats the file).
pub const PASSWORD_VAR: &str = "CHATROOM_PASSWORD";
/// The environment variable that sets `admin_password` (and beats the file).
pub const ADMIN_PASSWORD_VAR: &str = "CHATROOM_ADMIN_PASSWORD";

/// The `[sections]` a settings file may use, in the order `--print-config`
/// writes them. Sections only group keys for the reader; `port` means the
/// same at the top of the file as under `[server]`.
pub const SECTIONS: [&str; 4] = ["server", "limits", "history", "chat"];

/// The upper end of integer settings that have no natural maximum. It is
/// small enough to fit every field's type (even `usize` on 32-bit machines),
/// so converting a checked value can never truncate it.
const NO_MAX: i64 = u32::MAX as i64;

/// Which values a setting accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Any string.
    Text,
    /// A string that parses as an IP address: `0.0.0.0`, `127.0.0.1`, `::1`.
    Address,
    /// A string naming a directory; not empty.
    Directory,
    /// A room name ([`names::normalize_room`]), stored with its `#`, or "" for none.
    Room,
    /// `always`, `interval` or `never`.
    Fsync,
    /// `true` or `false`. Its flag is a switch that turns it off (`--no-history`),
    /// since the default is on.
    Boolean,
    /// An integer from `min` to `max`.
    Integer { min: i64, max: i64 },
    /// A password: any string, "" means none. Never printed, and no flag.
    Secret,
}

/// One setting: the single description everything else is made from.
struct Setting {
    /// The key in the file and the field of [`ServerConfig`].
    key: &'static str,
    /// The section the key may also stand under.
    section: &'static str,
    kind: Kind,
    /// The flag without dashes, if the setting has one.
    flag: Option<&'static str>,
    /// What it does, for the comments `--print-config` writes.
    meaning: &'static str,
}

/// Every setting, grouped by section in the order `--print-config` writes them.
const SETTINGS: &[Setting] = &[
    Setting {
        key: "host",
        section: "server",
        kind: Kind::Address,
        flag: Some("host"),
        meaning: "IP address to listen on: 0.0.0.0 = every interface, 127.0.0.1 = this machine only",
    },
    Setting {
        key: "port",
        section: "server",
        kind: Kind::Integer { min: 0, max: 65535 },
        flag: Some("port"),
        meaning: "TCP port to listen on; 0 = any free port, named in the first log line",
    },
    Setting {
        key: "max_clients",
        section: "server",
        kind: Kind::Integer { min: 1, max: NO_MAX },
        flag: Some("max-clients"),
        meaning: "most connections at once; more are turned away",
    },
    Setting {
        key: "max_per_ip",
        section: "server",
        kind: Kind::Integer { min: 0, max: NO_MAX },
        flag: Some("max-per-ip"),
        meaning: "most connections from one IP address; 0 = no limit",
    },
    Setting {
        key: "register_timeout_secs",
        section: "server",
        // At least a second (a zero read timeout is an error in std), at
        // most a day (so adding it to a clock can never overflow).
        kind: Kind::Integer { min: 1, max: 86_400 },
        flag: Some("register-timeout-secs"),
        meaning: "seconds a new connection has to choose a name before it is closed",
    },
    Setting {
        key: "max_line_bytes",
        section: "limits",
        kind: Kind::Integer {
            min: 16,
            max: 1_048_576,
        },
        flag: Some("max-line-bytes"),
        meaning: "longest line a client may send, in bytes, 16 to 1048576",
    },
    Setting {
        key: "queue_len",
        section: "limits",
        // The queue's slots are allocated up front, per client: a million
        // is already generous, and a typo of 10^12 must not abort the server.
        kind: Kind::Integer {
            min: 1,
            max: 1_000_000,
        },
        flag: Some("queue-len"),
        meaning: "lines waiting to be sent to one client before it counts as too slow",
    },
    Setting {
        key: "rate_per_sec",
        section: "limits",
        kind: Kind::Integer { min: 0, max: NO_MAX },
        flag: Some("rate-per-sec"),
        meaning: "messages per second one client may send in the long run; 0 = no flood control",
    },
    Setting {
        key: "rate_burst",
        section: "limits",
        // At least 1 when rate_per_sec > 0: checked after merging, see `load`.
        kind: Kind::Integer { min: 0, max: NO_MAX },
        flag: Some("rate-burst"),
        meaning: "messages one client may send in a quick burst before the rate applies",
    },
    Setting {
        key: "data_dir",
        section: "history",
        kind: Kind::Directory,
        flag: Some("data-dir"),
        meaning: "directory for the history files, created if missing",
    },
    Setting {
        key: "history",
        section: "history",
        kind: Kind::Boolean,
        flag: Some("no-history"),
        meaning: "record every message in data_dir/history.tsv and replay recent ones on join (false: neither)",
    },
    Setting {
        key: "history_replay",
        section: "history",
        kind: Kind::Integer {
            min: 0,
            max: 10_000,
        },
        flag: Some("history-replay"),
        meaning: "how many recent messages of a room are shown on joining it, 0 to 10000",
    },
    Setting {
        key: "fsync",
        section: "history",
        kind: Kind::Fsync,
        flag: Some("fsync"),
        meaning: "when history reaches the disk: always = every message, interval = every second, never = when the OS likes",
    },
    Setting {
        key: "history_keep_days",
        section: "history",
        kind: Kind::Integer { min: 0, max: 36_500 },
        flag: Some("history-keep-days"),
        meaning: "delete rotated history files older than this many days; 0 = keep them forever",
    },
    Setting {
        key: "history_keep_mb",
        section: "history",
        kind: Kind::Integer { min: 0, max: NO_MAX },
        flag: Some("history-keep-mb"),
        meaning: "delete the oldest rotated history files while all of them take more MB than this; 0 = no limit",
    },
    Setting {
        key: "default_room",
        section: "chat",
        kind: Kind::Room,
        flag: Some("default-room"),
        meaning: "room a person (registering with /nick) joins on arrival; \"\" = none",
    },
    Setting {
        key: "motd",
        section: "chat",
        kind: Kind::Text,
        flag: Some("motd"),
        meaning: "message of the day: the greeting each new connection gets",
    },
    Setting {
        key: "password",
        section: "chat",
        kind: Kind::Secret,
        flag: None,
        meaning: "password needed to join (/pass); better set in CHATROOM_PASSWORD; \"\" = none",
    },
    Setting {
        key: "admin_password",
        section: "chat",
        kind: Kind::Secret,
        flag: None,
        meaning: "operator password for /op; better set in CHATROOM_ADMIN_PASSWORD; \"\" = make a random one at start",
    },
];

/// The command line of `step4_server`. The defaults in the help text are
/// written out by hand (a `const` cannot format strings); the test
/// `help_shows_the_real_defaults` keeps them honest.
pub const SERVER_COMMAND: Command = Command {
    usage: "step4_server [--config FILE] [--host HOST] [--port PORT] [options...]\n       \
            step4_server transcript [...]\n       \
            step4_server attendance [...]",
    about: "The chat server (step 4). Settings come from flags, then CHATROOM_PASSWORD and \
            CHATROOM_ADMIN_PASSWORD,\nthen the settings file (--config FILE, or ./chatroom.toml \
            if it exists), then the defaults below.\nRun with --print-config to see the result \
            as a settings file.",
    flags: &[
        Flag {
            name: "config",
            value: Some("FILE"),
            help: "settings file (default ./chatroom.toml, if it exists)",
        },
        Flag {
            name: "host",
            value: Some("HOST"),
            help: "IP address to listen on (default 0.0.0.0)",
        },
        Flag {
            name: "port",
            value: Some("PORT"),
            help: "TCP port; 0 = any free port (default 7007)",
        },
        Flag {
            name: "data-dir",
            value: Some("DIR"),
            help: "directory for the history files (default chatroom-data)",
        },
        Flag {
            name: "no-history",
            value: None,
            help: "neither record nor replay history (default: history on)",
        },
        Flag {
            name: "history-replay",
            value: Some("N"),
            help: "messages replayed on joining a room (default 20)",
        },
        Flag {
            name: "fsync",
            value: Some("always|interval|never"),
            help: "when history reaches the disk (default interval)",
        },
        Flag {
            name: "history-keep-days",
            value: Some("N"),
            help: "delete history files older than N days; 0 = never (default 365)",
        },
        Flag {
            name: "history-keep-mb",
            value: Some("N"),
            help: "keep at most N MB of history files; 0 = no limit (default 2000)",
        },
        Flag {
            name: "max-clients",
            value: Some("N"),
            help: "most connections at once (default 1000)",
        },
        Flag {
            name: "max-per-ip",
            value: Some("N"),
            help: "most connections per IP address; 0 = no limit (default 0)",
        },
        Flag {
            name: "max-line-bytes",
            value: Some("N"),
            help: "longest line a client may send, 16 to 1048576 (default 1024)",
        },
        Flag {
            name: "queue-len",
            value: Some("N"),
            help: "lines queued per client before it counts as too slow (default 1024)",
        },
        Flag {
            name: "rate-per-sec",
            value: Some("N"),
            help: "messages per second per client; 0 disables flood control (default 10)",
        },
        Flag {
            name: "rate-burst",
            value: Some("N"),
            help: "messages per client in a quick burst (default 20)",
        },
        Flag {
            name: "default-room",
            value: Some("ROOM"),
            help: "room a /nick user joins on arrival; \"\" = none (default #general)",
        },
        Flag {
            name: "motd",
            value: Some("TEXT"),
            help: "greeting for each new connection (default \"Welcome to chatroom!\")",
        },
        Flag {
            name: "register-timeout-secs",
            value: Some("N"),
            help: "seconds to choose a name before being disconnected (default 120)",
        },
        Flag {
            name: "print-config",
            value: None,
            help: "print the settings in chatroom.toml format and exit",
        },
    ],
};

/// What `step4_server` should do once its settings are known.
#[derive(Debug, PartialEq, Eq)]
pub enum Startup {
    /// Run the server with these settings.
    Serve(ServerConfig),
    /// `--print-config`: print this text to stdout and exit 0.
    PrintConfig(String),
}

/// Why the settings could not be loaded. Every mistake ends the program with
/// exit 2 (a usage error: the server has not started, and the person has to
/// fix what they wrote); `--help` ends it with exit 0.
#[derive(Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A flag mistake, or `--help`: [`Command::exit_with`] prints it.
    Cli(CliError),
    /// A mistake in the file (or an unreadable file): the whole message
    /// after `error: `, e.g. `chatroom.toml:3: "port" must be an integer, found a string`.
    Invalid(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Cli(CliError::Help) => f.write_str("--help was asked for"),
            ConfigError::Cli(CliError::Usage(message)) | ConfigError::Invalid(message) => {
                f.write_str(message)
            }
        }
    }
}

/// Prints the error the way the user expects and exits: `--help` exits 0,
/// every mistake exits 2.
pub fn exit_on_error(error: ConfigError) -> ! {
    match error {
        ConfigError::Cli(error) => SERVER_COMMAND.exit_with(error),
        ConfigError::Invalid(message) => {
            eprintln!("error: {message}");
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
    let flags = SERVER_COMMAND.parse(args).map_err(ConfigError::Cli)?;
    let mut config = ServerConfig::default();

    // `file:line` if rate_burst was last set by the file, for the one check
    // that needs two settings at once (see the end of this function). `None`
    // means the default or --rate-burst; the default is never 0, so a 0
    // found there came from the flag.
    let mut rate_burst_place: Option<String> = None;

    if let Some((file_name, text)) = read_settings_file(flags.value("config"), cwd)? {
        let lines = apply_file(&mut config, &file_name, &text).map_err(ConfigError::Invalid)?;
        if let Some((_, line)) = lines.iter().find(|(key, _)| *key == "rate_burst") {
            rate_burst_place = Some(format!("{file_name}:{line}"));
        }
    }

    for (variable, key) in [
        (PASSWORD_VAR, "password"),
        (ADMIN_PASSWORD_VAR, "admin_password"),
    ] {
        if let Some(value) = env(variable) {
            assign(&mut config, key, Value::String(value));
        }
    }

    for setting in SETTINGS {
        let Some(flag) = setting.flag else { continue };
        if setting.kind == Kind::Boolean {
            if flags.switch(flag) {
                assign(&mut config, setting.key, Value::Boolean(false));
            }
        } else if let Some(text) = flags.value(flag) {
            let value = flag_value(setting, flag, text).map_err(ConfigError::Cli)?;
            assign(&mut config, setting.key, value);
            if setting.key == "rate_burst" {
                rate_burst_place = None;
            }
        }
    }

    // A burst of 0 with a non-zero rate would let nobody say anything. It
    // can only be checked now that both values are final, and the error
    // names wherever the 0 came from (the default is never 0).
    if config.rate_per_sec > 0 && config.rate_burst == 0 {
        return Err(match rate_burst_place {
            Some(place) => ConfigError::Invalid(format!(
                "{place}: \"rate_burst\" must be at least 1 while rate_per_sec is above 0 \
                 (rate_per_sec = 0 turns flood control off)"
            )),
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
) -> Result<Option<(String, String)>, ConfigError> {
    let (file_name, required) = match config_flag {
        Some(path) => (path, true),
        None => (DEFAULT_CONFIG_FILE, false),
    };
    // Relative to `cwd`, not to the process's directory, so that tests can
    // point it anywhere; an absolute path ignores `cwd` in `join`.
    match std::fs::read_to_string(cwd.join(file_name)) {
        Ok(text) => Ok(Some((file_name.to_string(), text))),
        Err(error) if error.kind() == io::ErrorKind::NotFound && !required => Ok(None),
        Err(error) => Err(ConfigError::Invalid(format!(
            "cannot read settings file {file_name}: {error}"
        ))),
    }
}

/// Applies a settings file's text to `config`. Returns each key that was
/// set with its line, or the first mistake as `file:line: what is wrong`.
fn apply_file(
    config: &mut ServerConfig,
    file_name: &str,
    text: &str,
) -> Result<Vec<(&'static str, usize)>, String> {
    let document = toml::parse(text)
        .map_err(|error| format!("{file_name}:{}: {}", error.line, error.message))?;
    let at_line = |line: usize, message: String| format!("{file_name}:{line}: {message}");
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
        let Some(setting) = SETTINGS.iter().find(|s| s.key == entry.key) else {
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
        let value = check(setting.kind, entry.value).map_err(|rejected| {
            let message = match rejected {
                Rejected::WrongType => format!(
                    "\"{}\" must be {}, found {found_type}",
                    setting.key,
                    type_name(setting.kind)
                ),
                Rejected::OutOfRange => format!(
                    "\"{}\" must be {}, found {found}",
                    setting.key,
                    expected(setting.kind)
                ),
            };
            at_line(entry.line, message)
        })?;
        assign(config, setting.key, value);
        set_on_line.push((setting.key, entry.line));
    }
    Ok(set_on_line)
}

/// Turns a flag's text into a checked value. Every flag mistake is a usage
/// error naming the flag and what it accepts.
fn flag_value(setting: &Setting, flag: &str, text: &str) -> Result<Value, CliError> {
    let raw = match setting.kind {
        Kind::Integer { .. } => text.parse().ok().map(Value::Integer),
        _ => Some(Value::String(text.to_string())),
    };
    raw.and_then(|value| check(setting.kind, value).ok())
        .ok_or_else(|| {
            CliError::Usage(format!(
                "invalid value \"{text}\" for --{flag}: expected {}",
                expected(setting.kind)
            ))
        })
}

/// Why [`check`] refused a value.
enum Rejected {
    /// A string where an integer belongs, and so on.
    WrongType,
    /// The right type but not an allowed value.
    OutOfRange,
}

/// Checks a value against what its setting accepts, and returns it in the
/// form it is stored in (room names gain their `#`).
fn check(kind: Kind, value: Value) -> Result<Value, Rejected> {
    let allowed = |ok: bool, value: Value| {
        if ok {
            Ok(value)
        } else {
            Err(Rejected::OutOfRange)
        }
    };
    match (kind, value) {
        (Kind::Integer { min, max }, Value::Integer(n)) => {
            allowed((min..=max).contains(&n), Value::Integer(n))
        }
        (Kind::Boolean, Value::Boolean(b)) => Ok(Value::Boolean(b)),
        (Kind::Address, Value::String(s)) => allowed(s.parse::<IpAddr>().is_ok(), Value::String(s)),
        (Kind::Directory, Value::String(s)) => allowed(!s.is_empty(), Value::String(s)),
        (Kind::Fsync, Value::String(s)) => {
            allowed(s.parse::<FsyncPolicy>().is_ok(), Value::String(s))
        }
        (Kind::Room, Value::String(s)) if s.is_empty() => Ok(Value::String(s)),
        (Kind::Room, Value::String(s)) => names::normalize_room(&s)
            .map(Value::String)
            .ok_or(Rejected::OutOfRange),
        (Kind::Text | Kind::Secret, Value::String(s)) => Ok(Value::String(s)),
        _ => Err(Rejected::WrongType),
    }
}

/// "an integer", "a string", "a boolean": the type a setting needs.
fn type_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Integer { .. } => "an integer",
        Kind::Boolean => "a boolean (true or false)",
        _ => "a string",
    }
}

/// The values a setting accepts, for error messages.
fn expected(kind: Kind) -> String {
    match kind {
        Kind::Integer { min, max } if max == NO_MAX => format!("an integer of at least {min}"),
        Kind::Integer { min, max } => format!("an integer from {min} to {max}"),
        Kind::Boolean => "true or false".into(),
        Kind::Address => "an IP address such as 0.0.0.0, 127.0.0.1 or ::1".into(),
        Kind::Directory => "a directory name (not empty)".into(),
        Kind::Fsync => "always, interval or never".into(),
        Kind::Room => format!("a room name ({}) or \"\" for none", names::ROOM_RULE),
        Kind::Text | Kind::Secret => "a string".into(),
    }
}

/// Stores a value that [`check`] has accepted for `key`.
fn assign(config: &mut ServerConfig, key: &str, value: Value) {
    // The `as` conversions cannot truncate: `check` kept each integer inside
    // its setting's range, and every range fits its field's type (the test
    // `every_range_fits_its_field` sets each integer to its bounds).
    match (key, value) {
        ("host", Value::String(s)) => config.host = s,
        ("port", Value::Integer(n)) => config.port = n as u16,
        ("data_dir", Value::String(s)) => config.data_dir = PathBuf::from(s),
        ("history", Value::Boolean(b)) => config.history = b,
        ("history_replay", Value::Integer(n)) => config.history_replay = n as usize,
        ("history_keep_days", Value::Integer(n)) => config.history_keep_days = n as u64,
        ("history_keep_mb", Value::Integer(n)) => config.history_keep_mb = n as u64,
        ("fsync", Value::String(s)) => {
            if let Ok(policy) = s.parse() {
                config.fsync = policy;
            }
        }
        ("max_clients", Value::Integer(n)) => config.max_clients = n as usize,
        ("max_per_ip", Value::Integer(n)) => config.max_per_ip = n as usize,
        ("max_line_bytes", Value::Integer(n)) => config.max_line_bytes = n as usize,
        ("queue_len", Value::Integer(n)) => config.queue_len = n as usize,
        ("rate_per_sec", Value::Integer(n)) => config.rate_per_sec = n as u32,
        ("rate_burst", Value::Integer(n)) => config.rate_burst = n as u32,
        ("default_room", Value::String(s)) => config.default_room = s,
        ("motd", Value::String(s)) => config.motd = s,
        // An empty password means "no password", so that
        // `CHATROOM_PASSWORD= step4_server` can switch off the file's one.
        ("password", Value::String(s)) => config.password = Some(s).filter(|s| !s.is_empty()),
        ("admin_password", Value::String(s)) => {
            config.admin_password = Some(s).filter(|s| !s.is_empty())
        }
        ("register_timeout_secs", Value::Integer(n)) => config.register_timeout_secs = n as u64,
        // ok: SETTINGS and this match list the same keys with the same
        // types, and `check` enforced the type; the test `every_key_round_trips`
        // sets every key through here.
        (key, value) => unreachable!("no field for {key} = {value}"),
    }
}

/// A setting's current value, as it would be written in the file.
fn value_of(config: &ServerConfig, key: &str) -> Value {
    match key {
        "host" => Value::String(config.host.clone()),
        "port" => Value::Integer(config.port.into()),
        "data_dir" => Value::String(config.data_dir.to_string_lossy().into_owned()),
        "history" => Value::Boolean(config.history),
        "history_replay" => Value::Integer(config.history_replay as i64),
        "history_keep_days" => Value::Integer(config.history_keep_days as i64),
        "history_keep_mb" => Value::Integer(config.history_keep_mb as i64),
        "fsync" => Value::String(config.fsync.as_str().into()),
        "max_clients" => Value::Integer(config.max_clients as i64),
        "max_per_ip" => Value::Integer(config.max_per_ip as i64),
        "max_line_bytes" => Value::Integer(config.max_line_bytes as i64),
        "queue_len" => Value::Integer(config.queue_len as i64),
        "rate_per_sec" => Value::Integer(config.rate_per_sec.into()),
        "rate_burst" => Value::Integer(config.rate_burst.into()),
        "default_room" => Value::String(config.default_room.clone()),
        "motd" => Value::String(config.motd.clone()),
        "password" => Value::String(config.password.clone().unwrap_or_default()),
        "admin_password" => Value::String(config.admin_password.clone().unwrap_or_default()),
        "register_timeout_secs" => Value::Integer(config.register_timeout_secs as i64),
        // ok: only called with keys from SETTINGS, all listed above.
        _ => unreachable!("no field for {key}"),
    }
}

/// The settings as a `chatroom.toml` file, every key with a comment saying
/// what it means and its default: what `--print-config` prints. Reading it
/// back gives the same settings, except that passwords are never written
/// (they would end up in terminals, logs and shared files).
pub fn to_toml(config: &ServerConfig) -> String {
    let defaults = ServerConfig::default();
    let mut text = String::from(
        "# chatroom server settings, as printed by `step4_server --print-config`.\n\
         # Save as ./chatroom.toml or pass --config FILE. Flags override this file;\n\
         # CHATROOM_PASSWORD and CHATROOM_ADMIN_PASSWORD override its passwords.\n",
    );
    for section in SECTIONS {
        text.push_str(&format!("\n[{section}]\n"));
        for setting in SETTINGS.iter().filter(|s| s.section == section) {
            let key = setting.key;
            if setting.kind == Kind::Secret {
                let is_set = !matches!(value_of(config, key), Value::String(s) if s.is_empty());
                let shown = if is_set {
                    "(set, not shown)"
                } else {
                    "(not set)"
                };
                text.push_str(&format!("# {} (default: not set)\n", setting.meaning));
                text.push_str(&format!("# {key} = {shown}\n"));
            } else {
                let default = value_of(&defaults, key);
                text.push_str(&format!("# {} (default {default})\n", setting.meaning));
                text.push_str(&format!("{key} = {}\n", value_of(config, key)));
            }
        }
    }
    text
}

/// The known name closest to `typed`, if it is close enough to be a typo:
/// at most one edit per three characters (at least one edit).
fn closest<'a>(typed: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let typed = typed.to_ascii_lowercase();
    known
        .into_iter()
        .map(|name| (edit_distance(&typed, name), name))
        .filter(|(distance, name)| *distance <= (typed.len().max(name.len()) / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// The number of single-character insertions, deletions, substitutions and
/// swaps of neighbours that turn `a` into `b` ("optimal string alignment"):
/// swaps count as one edit, since `prot` for `port` is one slip of the hand.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // distance[i][j]: from the first i chars of a to the first j chars of b.
    let mut distance = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in distance.iter_mut().enumerate() {
        row[0] = i;
    }
    distance[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let substitution = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (distance[i - 1][j] + 1)
                .min(distance[i][j - 1] + 1)
                .min(distance[i - 1][j - 1] + substitution);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(distance[i - 2][j - 2] + 1);
            }
            distance[i][j] = best;
        }
    }
    distance[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings a file's text gives, starting from the defaults.
    fn from_file(text: &str) -> Result<ServerConfig, String> {
        let mut config = ServerConfig::default();
        apply_file(&mut config, "chatroom.toml", text)?;
        Ok(config)
    }

    fn file_error(text: &str) -> String {
        from_file(text).expect_err(text)
    }

    /// A fresh directory for one test, so tests can run in parallel;
    /// removed when the test ends.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let dir = std::env::temp_dir().join(format!(
                "chatroom-config-unit-{}-{name}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("create temp dir");
            TempDir(dir)
        }
    }

    impl std::ops::Deref for TempDir {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
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
            Err(ConfigError::Invalid(message)) => message,
            other => panic!("expected an invalid-settings error, got {other:?}"),
        }
    }

    /// Settings with every field away from its default.
    fn unusual() -> ServerConfig {
        ServerConfig {
            host: "::1".into(),
            port: 0,
            data_dir: PathBuf::from("/var/lib/chat room"),
            history: false,
            history_replay: 10_000,
            fsync: FsyncPolicy::Always,
            history_keep_days: 0,
            history_keep_mb: 1,
            max_clients: 1,
            max_per_ip: 3,
            max_line_bytes: 16,
            queue_len: 1,
            rate_per_sec: 0,
            rate_burst: 0,
            default_room: String::new(),
            motd: "Hi \"class\" \\ é\nline two\t#not a comment".into(),
            password: None,
            admin_password: None,
            register_timeout_secs: 86_400,
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
        assert_eq!(serve(load(vec![], &no_env, &dir)), ServerConfig::default());
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
        for config in [ServerConfig::default(), unusual()] {
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
    fn every_range_fits_its_field() {
        for setting in SETTINGS {
            if let Kind::Integer { min, max } = setting.kind {
                for n in [min, max] {
                    let mut config = ServerConfig::default();
                    assign(&mut config, setting.key, Value::Integer(n));
                    assert_eq!(
                        value_of(&config, setting.key),
                        Value::Integer(n),
                        "{}",
                        setting.key
                    );
                }
            }
        }
    }

    #[test]
    fn every_key_is_accepted_at_the_top_and_in_its_section() {
        let config = unusual();
        for setting in SETTINGS.iter().filter(|s| s.kind != Kind::Secret) {
            let line = format!("{} = {}\n", setting.key, value_of(&config, setting.key));
            for text in [line.clone(), format!("[{}]\n{line}", setting.section)] {
                let read = from_file(&text).unwrap();
                assert_eq!(
                    value_of(&read, setting.key),
                    value_of(&config, setting.key),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn mistakes_name_the_file_and_line() {
        let cases = [
            // Syntax, from the parser.
            ("port = 7007\nmotd = hello", "chatroom.toml:2: invalid value \"hello\" (strings need quotes: \"hello\")"),
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
            ("default_room = \"a b\"", "chatroom.toml:1: \"default_room\" must be a room name (use # and 1-20 letters, digits, - or _) or \"\" for none, found \"a b\""),
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
        let config = serve(load(args(&["--default-room", "lab"]), &no_env, &dir));
        assert_eq!(config.default_room, "#lab");
        let config = serve(load(args(&["--default-room", ""]), &no_env, &dir));
        assert_eq!(config.default_room, "");
    }

    #[test]
    fn did_you_mean() {
        let keys = || SETTINGS.iter().map(|s| s.key);
        assert_eq!(closest("prot", keys()), Some("port"));
        assert_eq!(closest("hots", keys()), Some("host"));
        assert_eq!(closest("max_client", keys()), Some("max_clients"));
        assert_eq!(closest("Histroy_Replay", keys()), Some("history_replay"));
        assert_eq!(closest("datadir", keys()), Some("data_dir"));
        assert_eq!(closest("colour", keys()), None);
        assert_eq!(closest("x", keys()), None);
        assert_eq!(closest("limit", SECTIONS), Some("limits"));
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("ab", "ba"), 1);
    }

    #[test]
    fn the_file_is_found_in_cwd_or_named_by_config() {
        let dir = TempDir::new("file");
        std::fs::write(dir.join("chatroom.toml"), "port = 7100\n").unwrap();
        std::fs::write(dir.join("other.toml"), "port = 7200\n").unwrap();
        assert_eq!(serve(load(vec![], &no_env, &dir)).port, 7100);
        let config = serve(load(args(&["--config", "other.toml"]), &no_env, &dir));
        assert_eq!(config.port, 7200);
        let absolute = dir.join("other.toml").to_string_lossy().into_owned();
        let elsewhere = TempDir::new("file-elsewhere");
        assert_eq!(
            serve(load(args(&["--config", &absolute]), &no_env, &elsewhere)).port,
            7200
        );

        let error = invalid(load(args(&["--config", "missing.toml"]), &no_env, &dir));
        assert!(
            error.starts_with("cannot read settings file missing.toml: "),
            "{error}"
        );
        std::fs::write(dir.join("chatroom.toml"), "port = 7100\nprot = 1\n").unwrap();
        let error = invalid(load(vec![], &no_env, &dir));
        assert_eq!(
            error,
            "chatroom.toml:2: unknown key \"prot\" (did you mean \"port\"?)"
        );
        std::fs::write(dir.join("other.toml"), "port = 'x'\n").unwrap();
        let error = invalid(load(args(&["--config", "other.toml"]), &no_env, &dir));
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
        let config = serve(load(vec![], &no_env, &dir));
        assert_eq!(config.password.as_deref(), Some("from-file"));
        assert_eq!(config.admin_password.as_deref(), Some("admin-file"));

        let env = |name: &str| match name {
            "CHATROOM_PASSWORD" => Some("from-env".to_string()),
            "CHATROOM_ADMIN_PASSWORD" => Some(String::new()),
            _ => None,
        };
        let config = serve(load(vec![], &env, &dir));
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
            &dir,
        ));
        let expected = ServerConfig {
            host: "::1".into(),
            port: 0,
            data_dir: PathBuf::from("d"),
            history: false,
            history_replay: 0,
            fsync: FsyncPolicy::Always,
            history_keep_days: 365,
            history_keep_mb: 2000,
            max_clients: 5,
            max_per_ip: 2,
            max_line_bytes: 2048,
            queue_len: 8,
            rate_per_sec: 3,
            rate_burst: 4,
            default_room: "#x".into(),
            motd: "flag".into(),
            password: Some("pw".into()),
            admin_password: None,
            register_timeout_secs: 9,
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
            (vec!["--default-room", "a b"], "invalid value \"a b\" for --default-room: expected a room name (use # and 1-20 letters, digits, - or _) or \"\" for none"),
            (vec!["--password", "x"], "unknown flag --password"),
            (vec!["--no-history=1"], "--no-history takes no value"),
        ];
        for (list, expected) in cases {
            assert_eq!(
                usage_error(load(args(&list), &no_env, &dir)),
                expected,
                "{list:?}"
            );
        }
        assert_eq!(
            load(args(&["--help"]), &no_env, &dir),
            Err(ConfigError::Cli(CliError::Help))
        );
    }

    #[test]
    fn a_burst_of_zero_needs_the_rate_off() {
        let dir = TempDir::new("burst");
        let config = serve(load(
            args(&["--rate-per-sec", "0", "--rate-burst", "0"]),
            &no_env,
            &dir,
        ));
        assert_eq!((config.rate_per_sec, config.rate_burst), (0, 0));
        let error = usage_error(load(args(&["--rate-burst", "0"]), &no_env, &dir));
        assert!(
            error.starts_with("--rate-burst must be at least 1"),
            "{error}"
        );

        std::fs::write(
            dir.join("chatroom.toml"),
            "[limits]\nrate_per_sec = 0\nrate_burst = 0\n",
        )
        .unwrap();
        assert_eq!(serve(load(vec![], &no_env, &dir)).rate_burst, 0);
        let error = invalid(load(args(&["--rate-per-sec", "5"]), &no_env, &dir));
        assert!(
            error.starts_with("chatroom.toml:3: \"rate_burst\" must be at least 1"),
            "{error}"
        );
        // A flag that fixes the burst fixes the error.
        let config = serve(load(
            args(&["--rate-per-sec", "5", "--rate-burst", "2"]),
            &no_env,
            &dir,
        ));
        assert_eq!((config.rate_per_sec, config.rate_burst), (5, 2));
    }

    #[test]
    fn print_config_shows_the_merged_settings() {
        let dir = TempDir::new("print");
        std::fs::write(dir.join("chatroom.toml"), "port = 7100\nmotd = \"file\"\n").unwrap();
        let env = |name: &str| (name == "CHATROOM_PASSWORD").then(|| "pw".to_string());
        let result = load(args(&["--print-config", "--motd", "flag"]), &env, &dir);
        let Ok(Startup::PrintConfig(text)) = result else {
            panic!("expected printed settings, got {result:?}");
        };
        let read = from_file(&text).unwrap();
        assert_eq!((read.port, read.motd.as_str()), (7100, "flag"));
        assert!(text.contains("# password = (set, not shown)") && !text.contains("pw\""));
    }

    #[test]
    fn help_lists_every_flag_with_the_real_defaults() {
        let defaults = ServerConfig::default();
        let help = SERVER_COMMAND.help_text();
        for setting in SETTINGS {
            let Some(flag) = setting.flag else {
                assert_eq!(setting.kind, Kind::Secret, "only passwords lack a flag");
                continue;
            };
            let entry = SERVER_COMMAND
                .flags
                .iter()
                .find(|f| f.name == flag)
                .unwrap_or_else(|| panic!("--{flag} is not in SERVER_COMMAND"));
            assert!(help.contains(&format!("--{flag}")));
            let default = match value_of(&defaults, setting.key) {
                Value::String(s) if setting.key == "motd" => format!("\"{s}\""),
                Value::String(s) => s,
                Value::Integer(n) => n.to_string(),
                Value::Boolean(_) => continue, // a switch: its help says what it turns off
            };
            assert!(
                entry.help.ends_with(&format!("(default {default})")),
                "--{flag}: {:?} does not show the default {default}",
                entry.help
            );
        }
        for flag in SERVER_COMMAND.flags {
            let known = SETTINGS.iter().any(|s| s.flag == Some(flag.name))
                || ["config", "print-config"].contains(&flag.name);
            assert!(known, "--{} sets nothing", flag.name);
        }
        assert!(SERVER_COMMAND.usage.contains("step4_server transcript"));
        assert!(SERVER_COMMAND.usage.contains("step4_server attendance"));
    }
}
