//! chat_bench: measured answers to "will it hold my class?" and "what does a
//! thread per connection cost, and where does it break?".
//!
//! ```text
//! cargo build --release --bins
//! ./target/release/chat_bench fanout --clients 1000 --senders 10
//! ./target/release/chat_bench fanout --clients 200 --senders 200 --messages 5 --rate 200
//! ./target/release/chat_bench idle --clients 5000
//! ./target/release/chat_bench slow
//! ./target/release/chat_bench churn --cycles 2000
//! ./target/release/chat_bench suite --out BENCHMARKS.md
//! ./target/release/chat_bench fanout --server ngircd --profile irc
//! ./target/release/chat_bench peers --out BENCHMARKS.md
//! ./target/release/chat_bench peers --rows churn --only step4,ngircd --runs 1
//! ./target/release/chat_bench floor --profile irc   # then churn --connect it
//! ```
//!
//! Without `--connect` (or `--host`/`--port`) every run starts its own
//! release `step4_server` (the one next to this program) on a free port with
//! a temporary data directory and no rate limit, and stops it afterwards;
//! `--server ngircd` or `--server inspircd` starts that peer instead (see
//! `peers.rs`). With `--connect HOST:PORT` it measures a server that is
//! already running (its CPU, memory and thread figures then need
//! `--server-pid`). `--profile irc` speaks IRC instead of chatroom's own
//! protocol (see `profile.rs`).
//!
//! Each run prints a table for people and one `key=value` line for scripts.
//! The load comes from a few threads that each drive many nonblocking
//! sockets (see `swarm.rs`): one thread per simulated client would make the
//! tool as costly as the server it measures. Its own CPU use is printed
//! (`bench_cpu_pct`) so anyone can check it was not the limit.
//!
//! std only, like the rest of the project: `/proc` gives the server's
//! figures, and the `kill` program sends SIGTERM.

mod floor;
mod peer_judge;
mod peer_report;
mod peer_rows;
mod peer_suite;
mod peers;
mod profile;
mod report;
mod scenarios;
mod server;
mod stats;
mod suite;
mod swarm;

use chatroom::support::cli::{self, CliError, CommandLine, Flag, Parsed};
use peers::Peer;
use profile::Profile;
use scenarios::{Run, Server, Settings};
use std::path::PathBuf;
use std::time::Duration;

const USAGE: &str = "chat_bench <fanout|idle|slow|churn|suite|peers> [options]";

const SCENARIOS: [&str; 6] = ["fanout", "idle", "slow", "churn", "suite", "peers"];

const COMMAND: CommandLine = CommandLine {
    usage: USAGE,
    about: "Measures the chat server: fanout throughput and latency, memory per idle \
connection, what a client that never reads costs, and whether connections leak.\n\
Scenarios: fanout, idle, slow, churn, suite (all of them, 3 times, into BENCHMARKS.md), \
and peers (the same workloads against step4_server over its line protocol and over IRC, \
with its fast path on and off, ngIRCd and InspIRCd, side by side). \
`chat_bench floor [--profile chatroom|irc] [--way accept|hand-over|spawn]` serves churn \
visits and nothing else, for churn --connect to measure the floor of a thread per connection.",
    flags: &[
        Flag {
            name: "connect",
            value: Some("HOST:PORT"),
            help: "measure a running server there (default: start a fresh one)",
        },
        Flag {
            name: "server",
            value: Some("NAME"),
            help: "which server to start: step4 (default), ngircd or inspircd",
        },
        Flag {
            name: "profile",
            value: Some("NAME"),
            help: "wire protocol: chatroom (default) or irc",
        },
        Flag {
            name: "connect-at-once",
            value: Some("N"),
            help: "clients connecting or joining at once, at most (default 64); \
churn: cycles in flight (default --threads)",
        },
        Flag {
            name: "no-direct-send",
            value: None,
            help: "start step4_server with its fast path off (--no-direct-send)",
        },
        Flag {
            name: "host",
            value: Some("HOST"),
            help: "measure a running server here (the same as --connect HOST:PORT)",
        },
        Flag {
            name: "port",
            value: Some("PORT"),
            help: "its port (with --host)",
        },
        Flag {
            name: "server-pid",
            value: Some("PID"),
            help: "its process id, for CPU/memory/thread figures (with --host)",
        },
        Flag {
            name: "clients",
            value: Some("N"),
            help: "clients in the room (default 100; idle 1000, slow 50)",
        },
        Flag {
            name: "senders",
            value: Some("N"),
            help: "how many of them send (default 10)",
        },
        Flag {
            name: "room-size",
            value: Some("N"),
            help: "idle: members per room; one message goes into every room (default 100)",
        },
        Flag {
            name: "messages",
            value: Some("N"),
            help: "messages per sender (default 1000; slow 800)",
        },
        Flag {
            name: "window",
            value: Some("N"),
            help: "a sender's unconfirmed messages at most (default 16)",
        },
        Flag {
            name: "rate",
            value: Some("R"),
            help: "send R messages/s in total instead of as fast as possible (slow: 1000)",
        },
        Flag {
            name: "threads",
            value: Some("N"),
            help: "load-generating threads (default 2)",
        },
        Flag {
            name: "cycles",
            value: Some("N"),
            help: "churn: connect/register/quit cycles (default 2000)",
        },
        Flag {
            name: "duration",
            value: Some("SECS"),
            help: "churn: start no new cycle after SECS (default: run all --cycles)",
        },
        Flag {
            name: "line-bytes",
            value: Some("N"),
            help: "length of each MSG line (default 100; slow 900)",
        },
        Flag {
            name: "timeout",
            value: Some("SECS"),
            help: "give up on a run after SECS (default 120)",
        },
        Flag {
            name: "out",
            value: Some("FILE"),
            help: "suite, peers: where to write the report (default BENCHMARKS.md; peers with \
--rows or --only: printed)",
        },
        Flag {
            name: "runs",
            value: Some("N"),
            help: "suite, peers: runs per measurement (default 3)",
        },
        Flag {
            name: "rows",
            value: Some("IDS"),
            help: "peers: only these rows, by id or number, comma-separated (default all)",
        },
        Flag {
            name: "only",
            value: Some("NAMES"),
            help: "peers: only these servers: line, irc, line-off, irc-off, ngircd, \
inspircd, or step4, peers, fast-path-off (default all)",
        },
    ],
};

/// The scenario and the settings for it.
enum Job {
    One(String, Settings),
    Suite {
        settings: Settings,
        out: PathBuf,
        runs: usize,
    },
    Peers {
        /// `None`: print the section instead of writing it into a file.
        out: Option<PathBuf>,
        runs: usize,
        selection: peer_suite::Selection,
    },
}

fn main() {
    let mut args = std::env::args().skip(1);
    let scenario = match args.next() {
        Some(arg) if arg == "-h" || arg == "--help" => COMMAND.exit_with(CliError::Help),
        Some(arg) => arg,
        None => COMMAND.exit_with(CliError::Usage(
            "which scenario? fanout, idle, slow, churn, suite or peers".into(),
        )),
    };
    if scenario == "floor" {
        let (profile, way) = floor_options(args).unwrap_or_else(|e| COMMAND.exit_with(e));
        floor::serve(profile, way).unwrap_or_else(|e| cli::fail(e));
        return;
    }
    let job = COMMAND
        .parse(args)
        .and_then(|parsed| job(&scenario, &parsed))
        .unwrap_or_else(|error| COMMAND.exit_with(error));
    match job {
        Job::One(scenario, settings) => {
            let run = run_scenario(&scenario, &settings).unwrap_or_else(|e| cli::fail(e));
            print!("{}", run.figures.table());
            println!("{}", run.figures.key_values());
            if let Some(first) = run.problems.first() {
                for problem in &run.problems[1..] {
                    eprintln!("error: {problem}");
                }
                cli::fail(first);
            }
        }
        Job::Suite {
            settings,
            out,
            runs,
        } => {
            if let Err(e) = suite::run(&settings, &out, runs) {
                cli::fail(e);
            }
        }
        Job::Peers {
            out,
            runs,
            selection,
        } => {
            if let Err(e) = peer_suite::run(out.as_deref(), runs, &selection) {
                cli::fail(e);
            }
        }
    }
}

/// `floor [--profile chatroom|irc] [--way accept|hand-over|spawn]`: a
/// server of the design card's shape that does nothing but answer a churn
/// visit (see `floor.rs`); not a measurement, so not in the shared flags.
fn floor_options(args: impl Iterator<Item = String>) -> Result<(Profile, floor::Way), CliError> {
    let (mut profile, mut way) = (Profile::Chatroom, floor::Way::Accept);
    let mut args = args;
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match flag.as_str() {
            "--profile" => {
                profile = Profile::parse(&value).ok_or_else(|| {
                    CliError::Usage(format!(
                        "floor: --profile is chatroom or irc, not \"{value}\""
                    ))
                })?
            }
            "--way" => {
                way = floor::Way::parse(&value).ok_or_else(|| {
                    CliError::Usage(format!(
                        "floor: --way is accept, hand-over or spawn, not \"{value}\""
                    ))
                })?
            }
            other => {
                return Err(CliError::Usage(format!(
                    "floor takes --profile and --way, not {other}"
                )))
            }
        }
    }
    Ok((profile, way))
}

/// Runs one scenario by name (the suite calls this too).
fn run_scenario(scenario: &str, settings: &Settings) -> Result<Run, String> {
    enough_open_files(scenario, settings)?;
    match scenario {
        "fanout" => scenarios::fanout(settings),
        "idle" => scenarios::idle(settings),
        "slow" => scenarios::slow(settings),
        "churn" => scenarios::churn(settings),
        other => Err(format!("unknown scenario {other}")),
    }
}

/// Every simulated client is a socket of this process: a run that needs more
/// than `ulimit -n` allows would fail half-way with "Too many open files", so
/// it stops before it starts, saying how to raise the limit (std cannot call
/// `setrlimit`; the Makefile's targets raise it to the hard limit).
fn enough_open_files(scenario: &str, settings: &Settings) -> Result<(), String> {
    // Sockets in flight, plus the silent client, the server's pipes and
    // chat_bench's own files.
    let sockets = if scenario == "churn" {
        settings.max_joining
    } else {
        settings.clients + 1
    };
    let needed = sockets as u64 + 64;
    match server::open_file_limit() {
        Some(limit) if limit < needed => Err(format!(
            "{scenario} with {sockets} connections needs {needed} open files and `ulimit -n` is \
{limit}: raise it first with ulimit -n \"$(ulimit -Hn)\" (the make targets do)"
        )),
        _ => Ok(()),
    }
}

/// Turns a scenario name and its flags into settings, with that scenario's
/// defaults.
fn job(scenario: &str, parsed: &Parsed) -> Result<Job, CliError> {
    if !SCENARIOS.contains(&scenario) {
        return Err(CliError::Usage(format!(
            "unknown scenario \"{scenario}\": expected fanout, idle, slow, churn, suite or peers"
        )));
    }
    let count = |name: &str, default: u64, low: u64, high: u64| -> Result<u64, CliError> {
        let value = parsed
            .parse_value::<u64>(name, &format!("a whole number from {low} to {high}"))?
            .unwrap_or(default);
        if (low..=high).contains(&value) {
            Ok(value)
        } else {
            Err(CliError::Usage(format!(
                "invalid value \"{value}\" for --{name}: expected a whole number from {low} to {high}"
            )))
        }
    };
    if scenario == "peers" {
        // Its workloads are the issue's, fixed: nothing else may change them.
        const PEERS_FLAGS: [&str; 4] = ["out", "runs", "rows", "only"];
        let other = COMMAND.flags.iter().find(|flag| {
            !PEERS_FLAGS.contains(&flag.name)
                && (parsed.value(flag.name).is_some() || parsed.switch(flag.name))
        });
        if let Some(flag) = other {
            return Err(CliError::Usage(format!(
                "peers runs fixed workloads: --{} is not for it (only --out, --runs, --rows \
and --only)",
                flag.name
            )));
        }
        let selection = peer_suite::Selection::parse(parsed.value("rows"), parsed.value("only"))
            .map_err(CliError::Usage)?;
        // A part of the comparison must not replace the whole one in
        // BENCHMARKS.md by accident: it is printed unless --out is given.
        let out = match parsed.value("out") {
            Some(file) => Some(PathBuf::from(file)),
            None if selection.is_everything() => Some(PathBuf::from("BENCHMARKS.md")),
            None => None,
        };
        let runs = count("runs", 3, 1, 100)? as usize;
        return Ok(Job::Peers {
            out,
            runs,
            selection,
        });
    }
    let pid = parsed.parse_value::<u32>("server-pid", "a process id")?;
    let started = match parsed.value("server") {
        None | Some("step4") => Server::Local,
        Some(name) => match Peer::parse(name) {
            Some(peer) => Server::Peer(peer),
            None => {
                return Err(CliError::Usage(format!(
                    "invalid value \"{name}\" for --server: expected step4, ngircd or inspircd"
                )))
            }
        },
    };
    let server = match (
        parsed.value("connect"),
        parsed.value("host"),
        parsed.value("port"),
    ) {
        (None, None, None) => started,
        (Some(address), None, None) => {
            let (host, port) = address.rsplit_once(':').ok_or_else(|| {
                CliError::Usage(format!(
                    "invalid value \"{address}\" for --connect: expected HOST:PORT"
                ))
            })?;
            let port = port.parse::<u16>().ok().filter(|&p| p > 0).ok_or_else(|| {
                CliError::Usage(format!(
                    "invalid value \"{address}\" for --connect: expected HOST:PORT"
                ))
            })?;
            Server::Remote {
                host: host.trim_matches(['[', ']']).to_string(),
                port,
                pid,
            }
        }
        (Some(_), _, _) => {
            return Err(CliError::Usage(
                "--connect replaces --host and --port: give one or the other".into(),
            ))
        }
        (None, Some(host), Some(_)) => Server::Remote {
            host: host.to_string(),
            port: count("port", 0, 1, 65535)? as u16,
            pid,
        },
        _ => return Err(CliError::Usage("--host and --port go together".into())),
    };
    if !matches!(server, Server::Remote { .. }) && pid.is_some() {
        return Err(CliError::Usage("--server-pid needs --connect".into()));
    }
    if parsed.value("server").is_some() && matches!(server, Server::Remote { .. }) {
        return Err(CliError::Usage(
            "--server starts a server; --connect measures a running one: give one".into(),
        ));
    }
    let profile = match parsed.value("profile") {
        None => Profile::Chatroom,
        Some(name) => Profile::parse(name).ok_or_else(|| {
            CliError::Usage(format!(
                "invalid value \"{name}\" for --profile: expected chatroom or irc"
            ))
        })?,
    };
    let rate = match parsed.parse_value::<f64>("rate", "messages per second, e.g. 200")? {
        Some(rate) if rate.is_finite() && rate > 0.0 && rate <= 10_000_000.0 => Some(rate),
        Some(rate) => {
            return Err(CliError::Usage(format!(
                "invalid value \"{rate}\" for --rate: expected messages per second above 0"
            )))
        }
        None if scenario == "slow" => Some(1_000.0),
        None => None,
    };
    let default_clients = match scenario {
        "idle" => 1000,
        "slow" => 50,
        _ => 100,
    };
    let default_messages = if scenario == "slow" { 800 } else { 1000 };
    // The slow scenario must push more than the kernel's socket buffers
    // (about 4 MB) plus the server's queue past the client that never reads,
    // at a rate the server can sustain: long lines do that in seconds.
    let default_line_bytes = if scenario == "slow" { 900 } else { 100 };
    let threads = count("threads", 2, 1, 64)? as usize;
    // churn's concurrency was its thread count before it had its own flag.
    let default_at_once = if scenario == "churn" {
        threads as u64
    } else {
        swarm::MAX_JOINING as u64
    };
    let settings = Settings {
        server,
        clients: count("clients", default_clients, 1, 15_000)? as usize,
        senders: count("senders", 10, 1, 10_000)? as usize,
        room_size: count("room-size", 100, 1, 15_000)? as usize,
        messages: count("messages", default_messages, 1, 100_000_000)?,
        window: count("window", 16, 1, 1_000_000)?,
        rate,
        threads,
        cycles: count("cycles", 2000, 1, 1_000_000)? as usize,
        line_bytes: count("line-bytes", default_line_bytes, 60, 900)? as usize,
        timeout: Duration::from_secs(count("timeout", 120, 1, 86_400)?),
        profile,
        max_joining: count("connect-at-once", default_at_once, 1, 10_000)? as usize,
        fast_path: !parsed.switch("no-direct-send"),
        churn_for: match parsed.value("duration") {
            None => None,
            Some(_) => Some(Duration::from_secs(count("duration", 0, 1, 86_400)?)),
        },
    };
    if scenario != "churn" && settings.churn_for.is_some() {
        return Err(CliError::Usage("--duration is for churn".into()));
    }
    if !settings.fast_path && !matches!(settings.server, Server::Local) {
        return Err(CliError::Usage(
            "--no-direct-send is a flag of the step4_server chat_bench starts: drop \
--server/--connect"
                .into(),
        ));
    }
    if profile == Profile::Irc && settings.line_bytes > profile::IRC_MAX_LINE {
        return Err(CliError::Usage(format!(
            "--line-bytes {} is too long for IRC (at most {}: a relayed line is at most 512 bytes)",
            settings.line_bytes,
            profile::IRC_MAX_LINE
        )));
    }
    if profile == Profile::Irc && settings.clients < 2 && scenario != "churn" {
        return Err(CliError::Usage(
            "--profile irc needs --clients 2 or more: an IRC server does not echo a \
             message to its sender, so another client must receive it"
                .into(),
        ));
    }
    if settings.senders > settings.clients && scenario != "idle" {
        return Err(CliError::Usage(format!(
            "--senders {} is more than --clients {}: senders are some of the clients",
            settings.senders, settings.clients
        )));
    }
    if scenario == "suite" {
        if !matches!(settings.server, Server::Local) {
            return Err(CliError::Usage(
                "suite starts its own servers: drop --connect/--host/--port/--server".into(),
            ));
        }
        let out = PathBuf::from(parsed.value("out").unwrap_or("BENCHMARKS.md"));
        let runs = count("runs", 3, 1, 100)? as usize;
        return Ok(Job::Suite {
            settings,
            out,
            runs,
        });
    }
    for suite_only in ["out", "runs"] {
        if parsed.value(suite_only).is_some() {
            return Err(CliError::Usage(format!("--{suite_only} is for the suites")));
        }
    }
    for peers_only in ["rows", "only"] {
        if parsed.value(peers_only).is_some() {
            return Err(CliError::Usage(format!("--{peers_only} is for peers")));
        }
    }
    Ok(Job::One(scenario.to_string(), settings))
}
