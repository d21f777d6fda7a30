//! `churn`: clients that connect, register and quit, over and over, from a
//! few plain threads with blocking sockets (no swarm: each cycle is short and
//! on its own). Afterwards the server's file descriptors and threads must be
//! back where they started; if they are not, connections leak.
//!
//! The connect concurrency is the number of those threads, each with one
//! cycle in flight: `--connect-at-once N` (default: `--threads`, 2). Why it
//! is a setting: a server's accept queue decides how many connects may wait
//! at once (ngIRCd's listen backlog is 10: beyond it, connects cost SYN
//! retransmits of a second each), so `chat_bench peers` measures every
//! server at several concurrencies and judges each at its best.
//!
//! `--duration SECS` stops starting cycles after SECS, which is not a failure:
//! a server that registers a client a second after it connects (InspIRCd)
//! would otherwise take half an hour for 2,000 cycles one at a time. The
//! cycles per second are those completed over the time they took.

use super::{kib, open_target, run_tag, sample, stop, Figures, Run, Settings, READ_TIMEOUT};
use crate::profile::Profile;
use chatroom::log;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// How long the server's fds and threads may take to settle after churn:
/// step4_server's parked threads retire after 5 s with nothing to do.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

/// What one churn thread did.
#[derive(Default)]
struct ChurnTally {
    done: u64,
    failed: u64,
    /// It stopped because `--duration` ran out.
    cut_short: bool,
    first_error: Option<String>,
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
    let threads = settings.max_joining.max(1);
    log!(
        "churn: {} connect/register/quit cycles on {addr}, {threads} at once",
        settings.cycles
    );
    let started = Instant::now();
    let stop_starting = settings.churn_for.map(|duration| started + duration);
    let workers: Vec<_> = (0..threads)
        .map(|worker| {
            let cycles: Vec<usize> = (worker..settings.cycles).step_by(threads).collect();
            let tag = tag.clone();
            thread::spawn(move || {
                let mut tally = ChurnTally::default();
                for index in cycles {
                    if stop_starting.is_some_and(|at| Instant::now() >= at) {
                        tally.cut_short = true;
                        break;
                    }
                    if Instant::now() >= deadline {
                        tally
                            .first_error
                            .get_or_insert_with(|| "timed out".to_string());
                        break;
                    }
                    match churn_cycle(addr, profile, &format!("c{tag}_{index}")) {
                        Ok(()) => tally.done += 1,
                        Err(e) => {
                            tally.failed += 1;
                            tally.first_error.get_or_insert(e);
                        }
                    }
                }
                tally
            })
        })
        .collect();
    let mut total = ChurnTally::default();
    let mut problems = Vec::new();
    for worker in workers {
        match worker.join() {
            Ok(tally) => {
                total.done += tally.done;
                total.failed += tally.failed;
                total.cut_short |= tally.cut_short;
                problems.extend(tally.first_error);
            }
            Err(_) => problems.push("a churn thread panicked".to_string()),
        }
    }
    let done = total.done;
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
    // Cycles that were never started because `--duration` ran out are not a
    // failure; cycles that failed, or never started for a timeout, are.
    let cut_short = total.cut_short;
    let missing = if cut_short {
        total.failed
    } else {
        settings.cycles as u64 - done
    };
    if missing > 0 {
        problems.insert(0, format!("{missing} of {} cycles failed", done + missing));
    }
    let mut figures = Figures::default();
    figures.text("scenario", "scenario", "churn");
    figures.count("cycles", "cycles", settings.cycles as u64);
    figures.count("completed", "cycles completed", done);
    figures.count("connect_at_once", "cycles in flight", threads as u64);
    figures.text(
        "cut_short",
        "stopped by --duration",
        if cut_short { "yes" } else { "no" },
    );
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
