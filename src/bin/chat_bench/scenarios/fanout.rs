//! `fanout` and `slow`: clients in one room, some of them sending, every
//! message to every member; `slow` runs it twice, the second time with one
//! more client that joins and never reads. They share one measurement
//! (connect and join, go quiet, send, wait for every delivery, sample the
//! server before and after), so they live together, with the figures
//! every fanout-like run reports.

use super::{
    difference, kib, open_target, plan, sample, stop, Figures, Run, Settings, QUIET_AFTER_JOIN,
    READ_TIMEOUT,
};
use crate::server;
use crate::swarm::{Outcome, Swarm};
use chatroom::log;
use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

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
