//! The four measurements chat_bench knows: `fanout`, `idle`, `slow` and
//! `churn`. Each one starts (or finds) a server, drives a [`Swarm`](crate::swarm::Swarm) or a few
//! plain clients, reads the server's figures from `/proc`, and returns them
//! as [`Figures`]: named values that print both as a table for people and as
//! one `key=value` line for scripts and the suite.
//!
//! What counts as a failure: anything that makes the figures meaningless (a
//! lost message, a timeout, a client the server disconnected) is a
//! *problem*, printed after the figures and turned into exit status 1. A
//! figure that merely misses a target is not a problem here; judging targets
//! is the suite's job.
//!
//! The parts: this file holds what every scenario shares (the settings, the
//! server to measure, sampling its `/proc` figures, the swarm plan);
//! `figures.rs` is the named values and how they print; `fanout.rs` is
//! `fanout` and `slow`, which share one measurement; `idle.rs` and
//! `churn.rs` are the other two.

mod churn;
mod fanout;
mod figures;
mod idle;

use crate::peers::Peer;
use crate::profile::Profile;
use crate::server::{self, Target};
use crate::swarm::Plan;
use chatroom::log;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

pub use churn::churn;
pub use fanout::{fanout, slow};
pub use figures::Figures;
pub use idle::idle;

/// How long the room must be silent after the joins before measuring.
const QUIET_AFTER_JOIN: Duration = Duration::from_millis(300);

/// How long a churn client or the slow client's final read may wait.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Which server to measure.
#[derive(Debug, Clone)]
pub enum Server {
    /// Start a fresh release step4_server for every run.
    Local,
    /// Start a fresh peer IRC server for every run.
    Peer(Peer),
    /// Measure one that is already running.
    Remote {
        host: String,
        port: u16,
        pid: Option<u32>,
    },
}

/// Everything a scenario needs to know, from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    pub server: Server,
    pub clients: usize,
    pub senders: usize,
    /// `idle` only: members per room.
    pub room_size: usize,
    pub messages: u64,
    pub window: u64,
    pub rate: Option<f64>,
    pub threads: usize,
    pub cycles: usize,
    pub line_bytes: usize,
    pub timeout: Duration,
    pub profile: Profile,
    /// Clients connecting or joining at once, at most; for `churn`, the
    /// cycles in flight (one blocking thread each).
    pub max_joining: usize,
    /// step4_server's fast path (`direct_send`); `false` starts it with
    /// `--no-direct-send`. Only for the step4_server chat_bench starts.
    pub fast_path: bool,
    /// `churn`: start no new cycle after this long (`None`: run them all).
    pub churn_for: Option<Duration>,
}

/// A finished run: its figures, and what went wrong (empty when all is well).
pub struct Run {
    pub figures: Figures,
    pub problems: Vec<String>,
}

fn open_target(settings: &Settings) -> Result<Target, String> {
    match &settings.server {
        Server::Local => Target::start_local(settings.fast_path),
        Server::Peer(peer) => peer.start(),
        Server::Remote { host, port, pid } => Target::remote(host, *port, *pid),
    }
}

/// A tag unique to this run, for client names and payloads: four base-36
/// characters from the clock and the process id.
fn run_tag() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64 ^ d.as_secs())
        .unwrap_or(0);
    let mut value = nanos ^ (u64::from(std::process::id()) << 20);
    let mut tag = String::new();
    for _ in 0..4 {
        let digit = (value % 36) as u32;
        tag.push(char::from_digit(digit, 36).unwrap_or('x')); // ok: digit < 36
        value /= 36;
    }
    tag
}

/// Server figures sampled at one moment (`None` without a pid).
struct ServerSample {
    cpu_s: Option<f64>,
    rss_kib: Option<u64>,
    threads: Option<u64>,
    fds: Option<u64>,
}

fn sample(pid: Option<&str>) -> ServerSample {
    ServerSample {
        cpu_s: pid.and_then(server::cpu_seconds),
        rss_kib: pid.and_then(|pid| server::status_number(pid, "VmRSS")),
        threads: pid.and_then(|pid| server::status_number(pid, "Threads")),
        fds: pid.and_then(server::fd_count),
    }
}

fn difference(after: Option<f64>, before: Option<f64>) -> Option<f64> {
    Some(after? - before?)
}

fn kib(value: Option<u64>) -> Option<f64> {
    value.map(|v| v as f64)
}

/// Stops the server; when something went wrong, first shows its last log
/// lines, which usually say why (a panic, a refused connection).
fn stop(target: Target, problems: &mut Vec<String>) {
    if !problems.is_empty() {
        let tail = target.log_tail();
        if !tail.is_empty() {
            log!("the server's last log lines:\n{tail}");
        }
    }
    if let Some(warning) = target.stop() {
        problems.push(warning);
    }
}

fn plan(settings: &Settings, addr: SocketAddr, silent_client: bool, messages: u64) -> Plan {
    Plan {
        addr,
        clients: settings.clients,
        senders: settings.senders,
        room_size: None,
        messages,
        window: settings.window,
        rate: settings.rate,
        threads: settings.threads,
        silent_client,
        line_bytes: settings.line_bytes,
        profile: settings.profile,
        max_joining: settings.max_joining,
        tag: run_tag(),
        deadline: Instant::now() + settings.timeout,
    }
}
