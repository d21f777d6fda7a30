//! `idle`: many members that only listen, to measure what one connection
//! costs the server when nothing happens (memory and threads per client),
//! sampled once the joins are over and the connections have been idle for
//! a moment, and then how long one broadcast takes to reach all of them.

use super::{
    difference, kib, open_target, plan, sample, stop, Figures, Run, Settings, QUIET_AFTER_JOIN,
};
use crate::swarm::Swarm;
use chatroom::log;
use std::time::Duration;

/// How long the clients sit idle, after the room went quiet, before the
/// server's memory is sampled: the server's idle delay plus half a second.
const SETTLE_AFTER_QUIET: Duration =
    Duration::from_millis(chatroom::support::stack::IDLE_BEFORE_RELEASE.as_millis() as u64 + 500);

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
    // An idle connection's threads give back the stack pages the join burst
    // touched once they have been quiet for a second (see
    // `chatroom::support::stack`); the figure is what an idle connection
    // keeps, so it is taken after that.
    if problems.is_empty() {
        std::thread::sleep(SETTLE_AFTER_QUIET);
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
    // A server that cannot hold `--max-clients` on this machine says so at
    // start and turns the rest away with `ERROR Server full`; when the run
    // failed, its own words are the first thing to read.
    let capacity_warning = target.capacity_warning();
    if let Some(warning) = &capacity_warning {
        log!("the server said: {warning}");
        if !problems.is_empty() {
            problems.insert(0, format!("the server said: {}", after_timestamp(warning)));
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
        "server_max_clients",
        "max_clients the server lowered itself to",
        capacity_warning.as_deref().and_then(lowered_to),
        0,
    );
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
    // IRC never sends a PRIVMSG back to its sender: the broadcast's
    // senders (one a room) hold it already and count as reached; the line
    // protocol echoes, and its senders are counted by delivery.
    let senders_unechoed = match settings.profile.echoes_to_sender() {
        true => 0,
        false => one_broadcast.senders as u64,
    };
    figures.count(
        "broadcast_reached",
        "clients the broadcast reached",
        outcome.delivered - outcome.duplicates + senders_unechoed,
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

/// The message of a log line, without the timestamp step4_server puts first.
fn after_timestamp(line: &str) -> &str {
    match line.split_once(' ') {
        Some((first, rest)) if first.ends_with('Z') => rest,
        _ => line,
    }
}

/// N in `… max_clients lowered from 20000 to N: …`.
fn lowered_to(warning: &str) -> Option<f64> {
    let (_, rest) = warning.split_once(" to ")?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lowered_limit_is_read_from_the_warning() {
        let line = "2026-12-07T12:58:20.507Z Warning: max_clients lowered from 20000 to 8066: \
vm.max_map_count is 65530 and each connection needs 8 memory mappings";
        assert_eq!(lowered_to(line), Some(8066.0));
        assert!(after_timestamp(line).starts_with("Warning: max_clients"));
        assert_eq!(lowered_to("nothing here"), None);
    }
}
