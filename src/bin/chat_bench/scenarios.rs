//! The four measurements chat_bench knows: `fanout`, `idle`, `slow` and
//! `churn`. Each one starts (or finds) a server, drives a [`Swarm`] or a few
//! plain clients, reads the server's figures from `/proc`, and returns them
//! as [`Figures`]: named values that print both as a table for people and as
//! one `key=value` line for scripts and the suite.
//!
//! What counts as a failure: anything that makes the figures meaningless (a
//! lost message, a timeout, a client the server disconnected) is a
//! *problem*, printed after the figures and turned into exit status 1. A
//! figure that merely misses a target is not a problem here; judging targets
//! is the suite's job.

use crate::peers::Peer;
use crate::profile::Profile;
use crate::server::{self, Target};
use crate::swarm::{Outcome, Plan, Swarm};
use chatroom::log;
use std::fmt::Write as _;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// How long the room must be silent after the joins before measuring.
const QUIET_AFTER_JOIN: Duration = Duration::from_millis(300);

/// How long the server's fds and threads may take to settle after churn.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// Clients connecting or joining at once, at most.
    pub max_joining: usize,
}

/// One measured value.
pub struct Figure {
    pub key: &'static str,
    pub label: &'static str,
    pub text: String,
    pub number: Option<f64>,
}

/// The values a run measured, in the order they are shown.
#[derive(Default)]
pub struct Figures {
    pub rows: Vec<Figure>,
}

impl Figures {
    pub fn add(
        &mut self,
        key: &'static str,
        label: &'static str,
        text: String,
        number: Option<f64>,
    ) {
        self.rows.push(Figure {
            key,
            label,
            text,
            number,
        });
    }

    fn text(&mut self, key: &'static str, label: &'static str, text: impl ToString) {
        self.add(key, label, text.to_string(), None);
    }

    fn count(&mut self, key: &'static str, label: &'static str, value: u64) {
        self.add(key, label, value.to_string(), Some(value as f64));
    }

    /// A number with `decimals` places; "n/a" when unknown (no server pid).
    fn number(
        &mut self,
        key: &'static str,
        label: &'static str,
        value: Option<f64>,
        decimals: usize,
    ) {
        match value.filter(|v| v.is_finite()) {
            Some(v) => self.add(key, label, format!("{v:.decimals$}"), Some(v)),
            None => self.add(key, label, "n/a".into(), None),
        }
    }

    /// A latency in milliseconds from microseconds.
    fn millis(&mut self, key: &'static str, label: &'static str, micros: u64) {
        self.number(key, label, Some(micros as f64 / 1000.0), 3);
    }

    pub fn get(&self, key: &str) -> Option<f64> {
        self.rows.iter().find(|row| row.key == key)?.number
    }

    pub fn get_text(&self, key: &str) -> Option<&str> {
        Some(self.rows.iter().find(|row| row.key == key)?.text.as_str())
    }

    /// `scenario=fanout clients=1000 …`
    pub fn key_values(&self) -> String {
        let pairs: Vec<String> = self
            .rows
            .iter()
            .map(|row| format!("{}={}", row.key, row.text.replace(' ', "_")))
            .collect();
        pairs.join(" ")
    }

    /// Two aligned columns: what, value.
    pub fn table(&self) -> String {
        let width = self
            .rows
            .iter()
            .map(|row| row.label.len())
            .max()
            .unwrap_or(0);
        let mut table = String::new();
        for row in &self.rows {
            let _ = writeln!(table, "  {:<width$}  {}", row.label, row.text);
        }
        table
    }
}

/// A finished run: its figures, and what went wrong (empty when all is well).
pub struct Run {
    pub figures: Figures,
    pub problems: Vec<String>,
}

fn open_target(settings: &Settings) -> Result<Target, String> {
    match &settings.server {
        Server::Local => Target::start_local(),
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

/// What one fanout measurement found, before it becomes figures.
struct FanoutResult {
    outcome: Outcome,
    connect_s: f64,
    server_cpu_s: Option<f64>,
    /// Server CPU from the first connect until all had joined and it was quiet.
    join_cpu_s: Option<f64>,
    bench_cpu_s: Option<f64>,
    rss_at_start_kib: Option<u64>,
    rss_peak_during_kib: Option<u64>,
    server_peak_rss_kib: Option<u64>,
    server_threads: Option<u64>,
    /// For the silent client: was it disconnected, and how much it had buffered.
    silent: Option<(bool, u64)>,
    queue_full_lines: Option<u64>,
    problems: Vec<String>,
}

/// Connects, joins, sends, and measures; the core of `fanout` and `slow`.
fn measure_fanout(settings: &Settings, silent_client: bool) -> Result<FanoutResult, String> {
    let target = open_target(settings)?;
    let pid = target.proc_name();
    let pid = pid.as_deref();
    let at_start = sample(pid);
    log!(
        "{} clients ({} senders{}) joining {} on {}",
        settings.clients,
        settings.senders,
        if silent_client {
            ", plus one that never reads"
        } else {
            ""
        },
        crate::swarm::ROOM,
        target.addr
    );
    let swarm = Swarm::start(plan(
        settings,
        target.addr,
        silent_client,
        settings.messages,
    ));
    let mut problems = Vec::new();
    let mut connect_s = f64::NAN;
    match swarm
        .wait_joined()
        .and_then(|took| swarm.wait_quiet(QUIET_AFTER_JOIN).map(|()| took))
    {
        Ok(took) => connect_s = took.as_secs_f64(),
        Err(e) => problems.push(e),
    }
    let before = sample(pid);
    let join_cpu_s = difference(before.cpu_s, at_start.cpu_s);
    let bench_cpu_before = server::cpu_seconds("self");
    let mut rss_peak = before.rss_kib;
    if problems.is_empty() {
        log!("joined in {connect_s:.2} s; sending");
        swarm.begin_sending();
        let waited = swarm.wait_delivered(|| {
            let now = pid.and_then(|pid| server::status_number(pid, "VmRSS"));
            rss_peak = rss_peak.max(now);
        });
        if let Err(e) = waited {
            problems.push(e);
        }
    }
    let after = sample(pid);
    let bench_cpu_after = server::cpu_seconds("self");
    let server_peak_rss_kib = pid.and_then(|pid| server::status_number(pid, "VmHWM"));
    let mut outcome = swarm.finish();
    if let Some(failure) = outcome.failure.take() {
        if !problems.contains(&failure) {
            problems.push(failure);
        }
    }
    let silent = outcome.silent_stream.take().map(read_until_closed);
    let queue_full_lines = target.queue_full_lines();
    stop(target, &mut problems);
    if outcome.lost + outcome.duplicates + outcome.reordered > 0 {
        problems.push(format!(
            "{} deliveries lost, {} duplicated, {} reordered",
            outcome.lost, outcome.duplicates, outcome.reordered
        ));
    }
    if let Some(error) = &outcome.first_error {
        problems.push(format!(
            "{} ERROR lines from the server, first: {error}",
            outcome.errors
        ));
    }
    Ok(FanoutResult {
        outcome,
        connect_s,
        server_cpu_s: difference(after.cpu_s, before.cpu_s),
        join_cpu_s,
        bench_cpu_s: difference(bench_cpu_after, bench_cpu_before),
        rss_at_start_kib: before.rss_kib,
        rss_peak_during_kib: rss_peak,
        server_peak_rss_kib,
        server_threads: after.threads,
        silent,
        queue_full_lines,
        problems,
    })
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

/// Reads the silent client's socket until the server's close shows (EOF or
/// reset: it was disconnected) or nothing more comes (it was not). Returns
/// that, and how many bytes had piled up in the kernel's buffers.
fn read_until_closed(mut stream: TcpStream) -> (bool, u64) {
    let mut bytes = 0u64;
    let mut chunk = vec![0u8; 64 * 1024];
    if stream.set_nonblocking(false).is_err()
        || stream.set_read_timeout(Some(READ_TIMEOUT)).is_err()
    {
        return (false, 0);
    }
    let give_up = Instant::now() + Duration::from_secs(30);
    while Instant::now() < give_up && bytes < 1 << 30 {
        match stream.read(&mut chunk) {
            Ok(0) => return (true, bytes),
            Ok(n) => bytes += n as u64,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                return (false, bytes)
            }
            Err(_) => return (true, bytes), // reset by the server
        }
    }
    (false, bytes)
}

/// The figures every fanout-like run reports.
fn fanout_figures(figures: &mut Figures, settings: &Settings, result: &FanoutResult) {
    let outcome = &result.outcome;
    figures.text("profile", "wire profile", settings.profile.name());
    figures.count("clients", "clients", settings.clients as u64);
    figures.count("senders", "senders", settings.senders as u64);
    figures.count("messages", "messages per sender", settings.messages);
    match settings.rate {
        Some(rate) => figures.number("rate", "rate (messages/s, total)", Some(rate), 0),
        None => figures.count("window", "window (unconfirmed per sender)", settings.window),
    }
    figures.count("threads", "load threads", settings.threads as u64);
    figures.number("connect_s", "connect + join (s)", Some(result.connect_s), 3);
    let join = &outcome.join_latency;
    figures.millis("join_p50_ms", "one join: p50 (ms)", join.percentile(50.0));
    figures.millis("join_p99_ms", "one join: p99 (ms)", join.percentile(99.0));
    figures.number(
        "join_cpu_s",
        "server CPU for the joins (s)",
        result.join_cpu_s,
        2,
    );
    figures.count("deliveries", "deliveries", outcome.delivered);
    let seconds = outcome.send_seconds();
    figures.number("send_s", "first send → last delivery (s)", Some(seconds), 3);
    let per_sec = (seconds > 0.0).then(|| outcome.delivered as f64 / seconds);
    figures.number("deliveries_per_sec", "deliveries per second", per_sec, 0);
    let latency = &outcome.latency;
    figures.millis("p50_ms", "latency p50 (ms)", latency.percentile(50.0));
    figures.millis("p90_ms", "latency p90 (ms)", latency.percentile(90.0));
    figures.millis("p99_ms", "latency p99 (ms)", latency.percentile(99.0));
    figures.millis("max_ms", "latency max (ms)", latency.max());
    figures.count("lost", "lost", outcome.lost);
    figures.count("dup", "duplicated", outcome.duplicates);
    figures.count("reordered", "reordered", outcome.reordered);
    figures.count("errors", "ERROR lines", outcome.errors);
    figures.number(
        "server_cpu_s",
        "server CPU while sending (s)",
        result.server_cpu_s,
        2,
    );
    let percent = |cpu: Option<f64>| {
        cpu.filter(|_| seconds > 0.0)
            .map(|cpu| cpu / seconds * 100.0)
    };
    figures.number(
        "server_cpu_pct",
        "server CPU (% of one core)",
        percent(result.server_cpu_s),
        0,
    );
    let per_delivery = result
        .server_cpu_s
        .filter(|_| outcome.delivered > 0)
        .map(|cpu| cpu * 1e6 / outcome.delivered as f64);
    figures.number(
        "server_cpu_us_per_delivery",
        "server CPU per delivery (µs)",
        per_delivery,
        3,
    );
    figures.number(
        "server_peak_rss_kib",
        "server peak RSS (KiB)",
        kib(result.server_peak_rss_kib),
        0,
    );
    figures.number(
        "server_threads",
        "server threads",
        kib(result.server_threads),
        0,
    );
    figures.number(
        "bench_cpu_s",
        "chat_bench CPU while sending (s)",
        result.bench_cpu_s,
        2,
    );
    figures.number(
        "bench_cpu_pct",
        "chat_bench CPU (% of one core)",
        percent(result.bench_cpu_s),
        0,
    );
}

/// `fanout`: N clients in one room, S senders, M messages each.
pub fn fanout(settings: &Settings) -> Result<Run, String> {
    let result = measure_fanout(settings, false)?;
    let mut figures = Figures::default();
    figures.text("scenario", "scenario", "fanout");
    fanout_figures(&mut figures, settings, &result);
    Ok(Run {
        figures,
        problems: result.problems,
    })
}

/// `slow`: the fanout twice, without and with a client that never reads.
pub fn slow(settings: &Settings) -> Result<Run, String> {
    log!("slow: first the run without the slow client");
    let baseline = measure_fanout(settings, false)?;
    log!("slow: now the same run with a client that never reads");
    let with_slow = measure_fanout(settings, true)?;
    let mut figures = Figures::default();
    figures.text("scenario", "scenario", "slow");
    fanout_figures(&mut figures, settings, &with_slow);
    let p99_without = baseline.outcome.latency.percentile(99.0);
    let p99_with = with_slow.outcome.latency.percentile(99.0);
    figures.millis(
        "p99_without_ms",
        "p99 without the slow client (ms)",
        p99_without,
    );
    let change = (p99_without > 0).then(|| (p99_with as f64 / p99_without as f64 - 1.0) * 100.0);
    figures.number("p99_change_pct", "p99 change with it (%)", change, 1);
    let growth = |result: &FanoutResult| {
        let peak = result.rss_peak_during_kib? as f64;
        Some(peak - result.rss_at_start_kib? as f64)
    };
    figures.number(
        "rss_growth_without_kib",
        "server RSS growth without (KiB)",
        growth(&baseline),
        0,
    );
    figures.number(
        "rss_growth_kib",
        "server RSS growth with it (KiB)",
        growth(&with_slow),
        0,
    );
    // What the slow client itself cost: the growth beyond the run without it.
    let extra = difference(growth(&with_slow), growth(&baseline));
    figures.number(
        "rss_growth_extra_kib",
        "server RSS growth due to it (KiB)",
        extra,
        0,
    );
    let (disconnected, buffered) = with_slow.silent.unwrap_or((false, 0));
    figures.text(
        "slow_disconnected",
        "slow client disconnected",
        if disconnected { "yes" } else { "no" },
    );
    figures.count(
        "slow_buffered_bytes",
        "bytes waiting in its socket",
        buffered,
    );
    figures.number(
        "queue_full_logs",
        "server log lines \"send queue full\"",
        with_slow.queue_full_lines.map(|n| n as f64),
        0,
    );
    let mut problems = baseline.problems;
    problems.extend(with_slow.problems);
    Ok(Run { figures, problems })
}

/// `idle`: N silent members; memory and threads per connection, then one
/// broadcast to all of them.
pub fn idle(settings: &Settings) -> Result<Run, String> {
    let target = open_target(settings)?;
    let pid = target.proc_name();
    let pid = pid.as_deref();
    let before = sample(pid);
    log!(
        "idle: {} clients joining on {}",
        settings.clients,
        target.addr
    );
    // One room of 10,000 would cost 10,000² JOIN notices before anything is
    // measured, so the clients sit in rooms of `room_size`, and "one
    // broadcast" is one message sent into every room at the same moment.
    let mut one_broadcast = settings.clone();
    one_broadcast.senders = settings.clients.div_ceil(settings.room_size);
    one_broadcast.rate = None;
    let mut idle_plan = plan(&one_broadcast, target.addr, false, 1);
    idle_plan.room_size = Some(settings.room_size);
    let swarm = Swarm::start(idle_plan);
    let mut problems = Vec::new();
    let mut connect_s = f64::NAN;
    match swarm
        .wait_joined()
        .and_then(|took| swarm.wait_quiet(QUIET_AFTER_JOIN).map(|()| took))
    {
        Ok(took) => connect_s = took.as_secs_f64(),
        Err(e) => problems.push(e),
    }
    let after = sample(pid);
    if problems.is_empty() {
        log!("joined in {connect_s:.2} s; one broadcast");
        swarm.begin_sending();
        if let Err(e) = swarm.wait_delivered(|| {}) {
            problems.push(e);
        }
    }
    let mut outcome = swarm.finish();
    if let Some(failure) = outcome.failure.take() {
        if !problems.contains(&failure) {
            problems.push(failure);
        }
    }
    stop(target, &mut problems);
    let clients = settings.clients as f64;
    let mut figures = Figures::default();
    figures.text("scenario", "scenario", "idle");
    figures.count("clients", "clients", settings.clients as u64);
    figures.count("room_size", "members per room", settings.room_size as u64);
    figures.count("threads", "load threads", settings.threads as u64);
    figures.number("connect_s", "connect + join (s)", Some(connect_s), 3);
    figures.number(
        "rss_before_kib",
        "server RSS before (KiB)",
        kib(before.rss_kib),
        0,
    );
    figures.number(
        "rss_after_kib",
        "server RSS with all joined (KiB)",
        kib(after.rss_kib),
        0,
    );
    let growth = difference(kib(after.rss_kib), kib(before.rss_kib));
    figures.number(
        "rss_per_client_kib",
        "server RSS per connection (KiB)",
        growth.map(|g| g / clients),
        1,
    );
    figures.number(
        "threads_before",
        "server threads before",
        kib(before.threads),
        0,
    );
    figures.number(
        "threads_after",
        "server threads with all joined",
        kib(after.threads),
        0,
    );
    let added = difference(kib(after.threads), kib(before.threads));
    figures.number(
        "threads_per_client",
        "server threads per connection",
        added.map(|t| t / clients),
        2,
    );
    figures.count(
        "broadcast_reached",
        "clients the broadcast reached",
        outcome.delivered - outcome.duplicates,
    );
    figures.millis(
        "broadcast_ms",
        "broadcast: send → last client (ms)",
        outcome.latency.max(),
    );
    figures.millis(
        "broadcast_p50_ms",
        "broadcast: send → half the clients (ms)",
        outcome.latency.percentile(50.0),
    );
    if outcome.lost > 0 {
        problems.push(format!("the broadcast missed {} clients", outcome.lost));
    }
    Ok(Run { figures, problems })
}

/// `churn`: K connect/register/quit cycles, then the server's fds and
/// threads must return to where they started.
pub fn churn(settings: &Settings) -> Result<Run, String> {
    let target = open_target(settings)?;
    let pid = target.proc_name();
    let pid = pid.as_deref();
    let before = sample(pid);
    let deadline = Instant::now() + settings.timeout;
    let tag = run_tag();
    let addr = target.addr;
    let profile = settings.profile;
    let threads = settings.threads.max(1);
    log!(
        "churn: {} connect/register/quit cycles on {addr} from {threads} threads",
        settings.cycles
    );
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|worker| {
            let cycles: Vec<usize> = (worker..settings.cycles).step_by(threads).collect();
            let tag = tag.clone();
            thread::spawn(move || {
                let mut done = 0u64;
                let mut first_error = None;
                for index in cycles {
                    if Instant::now() >= deadline {
                        first_error.get_or_insert_with(|| "timed out".to_string());
                        break;
                    }
                    match churn_cycle(addr, profile, &format!("c{tag}_{index}")) {
                        Ok(()) => done += 1,
                        Err(e) => {
                            first_error.get_or_insert(e);
                        }
                    }
                }
                (done, first_error)
            })
        })
        .collect();
    let mut done = 0;
    let mut problems = Vec::new();
    for worker in workers {
        match worker.join() {
            Ok((count, first_error)) => {
                done += count;
                problems.extend(first_error);
            }
            Err(_) => problems.push("a churn thread panicked".to_string()),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    // The server notices each close on its own threads; give it a moment.
    let settle_started = Instant::now();
    let mut after = sample(pid);
    while pid.is_some()
        && (after.fds != before.fds || after.threads != before.threads)
        && settle_started.elapsed() < SETTLE_TIMEOUT
        && Instant::now() < deadline
    {
        thread::sleep(Duration::from_millis(50));
        after = sample(pid);
    }
    let settle_s = settle_started.elapsed().as_secs_f64();
    stop(target, &mut problems);
    if done < settings.cycles as u64 {
        problems.insert(
            0,
            format!(
                "{} of {} cycles failed",
                settings.cycles as u64 - done,
                settings.cycles
            ),
        );
    }
    let mut figures = Figures::default();
    figures.text("scenario", "scenario", "churn");
    figures.count("cycles", "cycles", settings.cycles as u64);
    figures.count("completed", "cycles completed", done);
    figures.count("threads", "load threads", threads as u64);
    figures.number(
        "cycles_per_sec",
        "cycles per second",
        Some(done as f64 / elapsed),
        0,
    );
    figures.number("fds_before", "server fds before", kib(before.fds), 0);
    figures.number("fds_after", "server fds after", kib(after.fds), 0);
    figures.number(
        "threads_before",
        "server threads before",
        kib(before.threads),
        0,
    );
    figures.number(
        "threads_after",
        "server threads after",
        kib(after.threads),
        0,
    );
    figures.number("settle_s", "time to settle (s)", Some(settle_s), 2);
    Ok(Run { figures, problems })
}

/// One connect → register → QUIT → goodbye (`OK Goodbye!`, IRC `ERROR`) →
/// close, with blocking reads that time out. IRC clients register with
/// NICK/USER and QUIT at once: a server handles a connection's lines in
/// order, so the QUIT comes after the registration.
fn churn_cycle(addr: SocketAddr, profile: Profile, name: &str) -> Result<(), String> {
    let mut stream = TcpStream::connect_timeout(&addr, READ_TIMEOUT)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(READ_TIMEOUT))
        .map_err(|e| format!("cannot set a read timeout: {e}"))?;
    stream
        .write_all((profile.register(name) + profile.quit()).as_bytes())
        .map_err(|e| format!("{name}: cannot send: {e}"))?;
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) if received.len() < 64 * 1024 => received.extend_from_slice(&chunk[..n]),
            Ok(_) => return Err(format!("{name}: the server kept talking after QUIT")),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("{name}: no end of connection after QUIT: {e}")),
        }
    }
    let text = String::from_utf8_lossy(&received);
    if profile.goodbye_seen(&text) {
        Ok(())
    } else {
        Err(format!(
            "{name}: no goodbye after QUIT; got {:?}",
            text.trim_end()
        ))
    }
}
