//! Command-line flags for every program in the project, in about a hundred
//! lines of std.
//!
//! Each program describes its flags as a table of [`Flag`]s; this module
//! turns `std::env::args()` into a [`Parsed`] set of values, writes the
//! `--help` text from the same table (so help and behaviour cannot drift
//! apart), and turns mistakes into one actionable line plus the usage. The
//! exit codes follow Unix custom: `--help` exits 0, a usage mistake exits 2,
//! and a runtime failure (port in use, server unreachable) exits 1 through
//! [`fail`].
//!
//! Flags look like `--port 7007` or `--port=7007`; switches like `--udp`
//! take no value. A flag given twice keeps its last value, as most Unix tools
//! do, so a script can override an earlier flag by appending one.

use std::fmt::Display;
use std::process;
use std::str::FromStr;

/// One flag a program accepts.
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    /// The name without dashes: `"port"` for `--port`.
    pub name: &'static str,
    /// The placeholder shown in help (`"PORT"`), or `None` for a switch.
    pub value: Option<&'static str>,
    /// One line for `--help`, including the default: "port to listen on (default 7007)".
    pub help: &'static str,
}

/// A program's command line: what it is called, what it does, which flags.
#[derive(Debug, Clone, Copy)]
pub struct CommandLine {
    /// The synopsis after `usage: `, e.g. `"step1_echo [--host HOST] [--port PORT] [--udp]"`.
    pub usage: &'static str,
    /// One or two sentences for the top of `--help`.
    pub about: &'static str,
    pub flags: &'static [Flag],
}

/// Why parsing stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum CliError {
    /// `--help` or `-h` was given: print the help and exit 0.
    Help,
    /// A mistake: print it with the usage and exit 2.
    Usage(String),
}

/// The flags found on a command line.
#[derive(Debug, Default)]
pub struct Parsed {
    values: Vec<(&'static str, String)>,
    switches: Vec<&'static str>,
}

impl CommandLine {
    /// The text `--help` prints, made from the flag table.
    pub fn help_text(&self) -> String {
        let mut text = format!("{}\n\nusage: {}\n\noptions:\n", self.about, self.usage);
        let rows: Vec<(String, &str)> = self
            .flags
            .iter()
            .map(|flag| match flag.value {
                Some(placeholder) => (format!("--{} {placeholder}", flag.name), flag.help),
                None => (format!("--{}", flag.name), flag.help),
            })
            .chain([("-h, --help".to_string(), "print this help and exit")])
            .collect();
        let width = rows.iter().map(|(left, _)| left.len()).max().unwrap_or(0);
        for (left, help) in rows {
            text.push_str(&format!("  {left:<width$}  {help}\n"));
        }
        text
    }

    /// Parses arguments (without the program name).
    pub fn parse<I>(&self, args: I) -> Result<Parsed, CliError>
    where
        I: IntoIterator<Item = String>,
    {
        let mut parsed = Parsed::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "-h" || arg == "--help" {
                return Err(CliError::Help);
            }
            let Some(body) = arg.strip_prefix("--") else {
                return Err(CliError::Usage(format!("unexpected argument \"{arg}\"")));
            };
            let (name, inline_value) = match body.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (body, None),
            };
            let Some(flag) = self.flags.iter().find(|flag| flag.name == name) else {
                return Err(CliError::Usage(format!("unknown flag --{name}")));
            };
            match (flag.value, inline_value) {
                (None, None) => parsed.switches.push(flag.name),
                (None, Some(_)) => {
                    return Err(CliError::Usage(format!("--{name} takes no value")));
                }
                (Some(_), Some(value)) => parsed.values.push((flag.name, value)),
                (Some(placeholder), None) => match args.next() {
                    Some(value) => parsed.values.push((flag.name, value)),
                    None => {
                        return Err(CliError::Usage(format!(
                            "--{name} needs a value: --{name} {placeholder}"
                        )));
                    }
                },
            }
        }
        Ok(parsed)
    }

    /// Parses `std::env::args()`; prints help or a usage error and exits when
    /// that is the right answer.
    pub fn parse_env_or_exit(&self) -> Parsed {
        self.parse(std::env::args().skip(1))
            .unwrap_or_else(|error| self.exit_with(error))
    }

    /// Prints `--help` (exit 0) or a usage mistake (exit 2) and exits.
    pub fn exit_with(&self, error: CliError) -> ! {
        match error {
            CliError::Help => {
                print!("{}", self.help_text());
                process::exit(0);
            }
            CliError::Usage(message) => {
                eprintln!("error: {message}\nusage: {}\n(try --help)", self.usage);
                process::exit(2);
            }
        }
    }
}

impl Parsed {
    /// The value of `--name`, if given (the last one wins).
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(flag, _)| *flag == name)
            .map(|(_, value)| value.as_str())
    }

    /// Was the switch `--name` given?
    pub fn switch(&self, name: &str) -> bool {
        self.switches.contains(&name)
    }

    /// The value of `--name` converted with `FromStr`; `expected` says what a
    /// good value looks like, for the error: "a port number from 0 to 65535".
    pub fn parse_value<T: FromStr>(
        &self,
        name: &str,
        expected: &str,
    ) -> Result<Option<T>, CliError> {
        match self.value(name) {
            None => Ok(None),
            Some(text) => text.parse().map(Some).map_err(|_| {
                CliError::Usage(format!(
                    "invalid value \"{text}\" for --{name}: expected {expected}"
                ))
            }),
        }
    }
}

/// An I/O error as a person reads it: "Address already in use (os error
/// 98)" → "Address already in use". The error number means nothing to them.
pub fn describe_io_error(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error ") {
        Some(end) => text[..end].to_string(),
        None => text,
    }
}

/// Why `program` (run as `cargo run --bin <program>`) cannot listen on
/// `host:port`, and what to do about it, in one line: the port is taken
/// (by whom, and how to pick another), a low port needs root, or the
/// address is not this computer's.
pub fn listen_error(program: &str, host: &str, port: u16, error: &std::io::Error) -> String {
    let what = describe_io_error(error);
    let other = port.checked_add(1).unwrap_or(7007);
    let another = format!("cargo run --bin {program} -- --port {other}");
    match error.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "cannot listen on {host}:{port}: {what}: another program holds port {port} \
             (`ss -ltnp 'sport = :{port}'` shows which; maybe a server you started earlier). \
             Stop it, or pick another port: {another}"
        ),
        std::io::ErrorKind::PermissionDenied if port < 1024 => format!(
            "cannot listen on {host}:{port}: {what}: ports below 1024 need root; \
             pick one above: cargo run --bin {program} -- --port 7007"
        ),
        std::io::ErrorKind::AddrNotAvailable => format!(
            "cannot listen on {host}:{port}: {what}: {host} is not an address of this \
             computer; use --host 0.0.0.0 (every address) or --host 127.0.0.1 (this computer only)"
        ),
        _ => format!("cannot listen on {host}:{port}: {what}"),
    }
}

/// Ends the program after a runtime failure: `error: <message>`, exit 1.
pub fn fail(message: impl Display) -> ! {
    eprintln!("error: {message}");
    process::exit(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: CommandLine = CommandLine {
        usage: "demo [--port PORT] [--udp]",
        about: "A demo.",
        flags: &[
            Flag {
                name: "port",
                value: Some("PORT"),
                help: "port (default 7007)",
            },
            Flag {
                name: "udp",
                value: None,
                help: "use UDP",
            },
        ],
    };

    fn parse(args: &[&str]) -> Result<Parsed, CliError> {
        DEMO.parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn values_switches_and_last_one_wins() {
        let parsed = parse(&["--port", "1", "--udp", "--port=2"]).unwrap();
        assert_eq!(parsed.value("port"), Some("2"));
        assert!(parsed.switch("udp"));
        assert_eq!(parsed.parse_value::<u16>("port", "a port"), Ok(Some(2)));
    }

    #[test]
    fn mistakes_are_usage_errors() {
        assert_eq!(
            parse(&["--nope"]).unwrap_err(),
            CliError::Usage("unknown flag --nope".into())
        );
        assert!(
            matches!(parse(&["--port"]), Err(CliError::Usage(m)) if m.contains("needs a value"))
        );
        assert!(matches!(parse(&["--udp=1"]), Err(CliError::Usage(_))));
        assert!(matches!(parse(&["stray"]), Err(CliError::Usage(_))));
        assert_eq!(parse(&["-h"]).unwrap_err(), CliError::Help);
        let parsed = parse(&["--port", "seventy"]).unwrap();
        assert!(
            matches!(parsed.parse_value::<u16>("port", "a port"), Err(CliError::Usage(m)) if m.contains("\"seventy\""))
        );
    }

    #[test]
    fn help_lists_every_flag() {
        let help = DEMO.help_text();
        assert!(help.contains("--port PORT") && help.contains("(default 7007)"));
        assert!(help.contains("--udp") && help.contains("--help"));
    }
}
