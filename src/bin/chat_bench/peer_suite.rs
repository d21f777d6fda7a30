//! `chat_bench peers` (`make bench-peers`): the issue's workloads against
//! step4_server, ngIRCd and InspIRCd, side by side, judged by ratios to the
//! best peer, written into BENCHMARKS.md as its own section.
//!
//! Why back to back in each repetition (step4_server, ngIRCd, InspIRCd,
//! then again): a shared machine's speed drifts over minutes, and a ratio
//! is only fair when both sides saw the same machine. Every run starts a
//! fresh server (see `server.rs`, `peers.rs`) and stops it by its pid, and
//! the medians of 3 are taken per server. Every server gets the same
//! workload: the same clients, messages, rate, window and line length. Only
//! the connection concurrency differs: ngIRCd's listen backlog is 10, so its
//! clients connect 8 at once; the others 64 at once (chat_bench's default),
//! which if anything lengthens their join latency.
//!
//! The wire profile: the peers speak IRC. step4_server speaks IRC once its
//! IRC dialect exists (issue 14); the suite tries one IRC registration
//! first and uses `--profile irc` for all three when it gets `001`.
//! Otherwise step4_server runs the same workloads in its own protocol and
//! the report says so.
//!
//! A target is never tuned here: each row's target is the issue's, and a
//! row with any unclean run (loss, timeout, disconnection) is a MISS.

use crate::peers::Peer;
use crate::profile::Profile;
use crate::report::{clean, machine, median_of, show, thousands, verdict, verdict_word, Verdict};
use crate::scenarios::{Figures, Run, Settings};
use crate::server::Target;
use chatroom::log;
use std::fmt::Write as _;
use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// Connections opening at once for ngIRCd, whose listen backlog is 10;
/// step4_server and InspIRCd (backlog 4096 here) get chat_bench's default.
const NGIRCD_CONNECT_AT_ONCE: &str = "8";

/// How long one run may take: InspIRCd completes a registration about a
/// second after it starts (a timer of its own), so its 5,000 joins take
/// over a minute at 64 at once.
const RUN_TIMEOUT_SECS: &str = "600";

/// The servers of one comparison, in the order they run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Contender {
    Step4,
    Peer(Peer),
}

const CONTENDERS: [Contender; 3] = [
    Contender::Step4,
    Contender::Peer(Peer::Ngircd),
    Contender::Peer(Peer::Inspircd),
];

impl Contender {
    fn label(self) -> &'static str {
        match self {
            Contender::Step4 => "step4_server",
            Contender::Peer(Peer::Ngircd) => "ngIRCd",
            Contender::Peer(Peer::Inspircd) => "InspIRCd",
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Contender::Step4 => "step4",
            Contender::Peer(peer) => peer.name(),
        }
    }
}

/// One row of the comparison.
struct Workload {
    what: &'static str,
    /// The command line after `chat_bench`, without server and profile.
    args: &'static str,
    target: &'static str,
    /// step4_server's clients connect as few at once as ngIRCd's: for the
    /// row judged against ngIRCd alone on a latency that depends on it.
    paced_like_ngircd: bool,
    /// The row's figures for step4_server and the peers, and the verdict.
    judge: fn(&Medians) -> (String, Verdict),
}

/// The runs of one workload, per contender (step4, ngIRCd, InspIRCd).
struct Medians {
    runs: [Vec<Run>; 3],
}

impl Medians {
    fn of(&self, index: usize, key: &str) -> Option<f64> {
        median_of(&self.runs[index], key)
    }

    /// `key` for step4_server and for each peer.
    fn each(&self, key: &str) -> (Option<f64>, Option<f64>, Option<f64>) {
        (self.of(0, key), self.of(1, key), self.of(2, key))
    }

    fn all_clean(&self) -> bool {
        self.runs.iter().all(|runs| clean(runs))
    }
}

/// The best of the peers' medians, where higher is better or lower is.
fn best(a: Option<f64>, b: Option<f64>, higher_is_better: bool) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if higher_is_better => Some(a.max(b)),
        (Some(a), Some(b)) => Some(a.min(b)),
        (one, None) | (None, one) => one,
    }
}

fn ratio(mine: Option<f64>, theirs: Option<f64>) -> Option<f64> {
    Some(mine? / theirs?).filter(|r| r.is_finite())
}

/// "1.23 M / 1.10 M / 1.20 M; 1.02 × the best peer"
fn trio(values: (Option<f64>, Option<f64>, Option<f64>), show_one: fn(f64) -> String) -> String {
    let one = |v: Option<f64>| v.map(show_one).unwrap_or("n/a".into());
    format!("{} / {} / {}", one(values.0), one(values.1), one(values.2))
}

fn millions(v: f64) -> String {
    format!("{:.2} M", v / 1e6)
}

fn ms(v: f64) -> String {
    format!("{v:.2} ms")
}

fn pct(v: f64) -> String {
    format!("{v:.0} %")
}

fn kib(v: f64) -> String {
    format!("{v:.1} KiB")
}

/// Deliveries/s at least `factor` × the best peer's.
fn throughput(medians: &Medians, factor: f64) -> (String, Verdict) {
    let values = medians.each("deliveries_per_sec");
    let r = ratio(values.0, best(values.1, values.2, true));
    let text = format!("{}; {} × the best peer", trio(values, millions), show(r, 2));
    let pass = medians.all_clean() && r.is_some_and(|r| r >= factor);
    (text, verdict(pass))
}

/// `key` at most `factor` × the best (lowest) peer's, every run clean (a
/// ratio to a broken run measures nothing).
fn at_most_peer(
    medians: &Medians,
    key: &str,
    factor: f64,
    unit: fn(f64) -> String,
) -> (String, Verdict) {
    let values = medians.each(key);
    let r = ratio(values.0, best(values.1, values.2, false));
    let text = format!("{}; {} × the best peer", trio(values, unit), show(r, 2));
    (
        text,
        verdict(medians.all_clean() && r.is_some_and(|r| r <= factor)),
    )
}

fn both(a: (String, Verdict), b: (String, Verdict), clean: bool) -> (String, Verdict) {
    let pass = clean && a.1 == Verdict::Pass && b.1 == Verdict::Pass;
    (format!("{}; {}", a.0, b.0), verdict(pass))
}

const WORKLOADS: &[Workload] = &[
    Workload {
        what: "1,000 clients, 10 senders, as fast as possible (16 unconfirmed each): deliveries/s",
        args: "fanout --clients 1000 --senders 10 --messages 500 --window 16",
        target: "≥ 1.0 × the best peer (moonshot 1.5 ×)",
        paced_like_ngircd: false,
        judge: |m| throughput(m, 1.0),
    },
    Workload {
        what: "100 clients, 10 senders, as fast as possible (16 unconfirmed each): deliveries/s",
        args: "fanout --clients 100 --senders 10 --messages 5000 --window 16",
        target: "≥ 1.5 × the best peer",
        paced_like_ngircd: false,
        judge: |m| throughput(m, 1.5),
    },
    Workload {
        what: "1,000 clients, 200 msg/s: p99",
        args: "fanout --clients 1000 --senders 10 --messages 200 --rate 200",
        target: "p99 ≤ the best peer's",
        paced_like_ngircd: false,
        judge: |m| at_most_peer(m, "p99_ms", 1.0, ms),
    },
    Workload {
        what: "100 clients, 200 msg/s: p99 / server CPU",
        args: "fanout --clients 100 --senders 10 --messages 200 --rate 200",
        target: "p99 ≤ the best peer's, server CPU ≤ 1.5 × the best peer's",
        paced_like_ngircd: false,
        judge: |m| {
            both(
                at_most_peer(m, "p99_ms", 1.0, ms),
                at_most_peer(m, "server_cpu_pct", 1.5, pct),
                m.all_clean(),
            )
        },
    },
    Workload {
        what: "1,000 clients, 20 msg/s: server CPU",
        args: "fanout --clients 1000 --senders 10 --messages 20 --rate 20",
        target: "server CPU ≤ the best peer's",
        paced_like_ngircd: false,
        judge: |m| at_most_peer(m, "server_cpu_pct", 1.0, pct),
    },
    Workload {
        what: "1,000 clients join one room: join p50 / server CPU for the joins",
        args: "fanout --clients 1000 --senders 1 --messages 1",
        target: "no more than ngIRCd's (both)",
        // A join's latency is mostly waiting behind the joins already under
        // way (64 at once for 64 ms each is 1,000 joins a second, 8 at once
        // for 8 ms is the same speed): compared with ngIRCd's 8 at once,
        // step4_server's clients join 8 at once too.
        paced_like_ngircd: true,
        judge: |m| {
            let against_ngircd = |key: &str, unit: fn(f64) -> String| {
                let values = m.each(key);
                let r = ratio(values.0, values.1);
                let text = format!("{}; {} × ngIRCd", trio(values, unit), show(r, 2));
                (text, verdict(r.is_some_and(|r| r <= 1.0)))
            };
            let seconds = |v: f64| format!("{v:.2} s");
            both(
                against_ngircd("join_p50_ms", ms),
                against_ngircd("join_cpu_s", seconds),
                m.all_clean(),
            )
        },
    },
    Workload {
        what: "idle, 1,000 joined in one room: server RSS per connection",
        args: "idle --clients 1000 --room-size 1000",
        target: "≤ 20 KiB per connection",
        paced_like_ngircd: false,
        judge: |m| idle_rss(m),
    },
    Workload {
        what: "idle, 5,000 joined (rooms of 100): server RSS per connection",
        args: "idle --clients 5000 --room-size 100",
        target: "≤ 20 KiB per connection",
        paced_like_ngircd: false,
        judge: |m| idle_rss(m),
    },
    Workload {
        what: "100 clients at 5,000 msg/s of 400 bytes, plus one that never reads: the others' p99",
        args: "slow --clients 100 --senders 10 --messages 2000 --rate 5000 --line-bytes 400",
        target: "it is disconnected; the others' p99 ≤ the best peer's",
        paced_like_ngircd: false,
        judge: |m| {
            let disconnected = m.runs[0]
                .iter()
                .all(|run| run.figures.get_text("slow_disconnected") == Some("yes"));
            let (text, v) = at_most_peer(m, "p99_ms", 1.0, ms);
            let peers_cut = |i: usize| {
                let all = m.runs[i]
                    .iter()
                    .all(|run| run.figures.get_text("slow_disconnected") == Some("yes"));
                if all {
                    "yes"
                } else {
                    "no"
                }
            };
            let text = format!(
                "disconnected: {} / {} / {}; {text}",
                if disconnected { "yes" } else { "NO" },
                peers_cut(1),
                peers_cut(2)
            );
            let pass = disconnected && v == Verdict::Pass;
            (text, verdict(pass))
        },
    },
    Workload {
        what: "churn, 2,000 connect/register/quit cycles: cycles/s",
        args: "churn --cycles 2000",
        target: "≥ 3 × ngIRCd, fds and threads back to their start",
        paced_like_ngircd: false,
        judge: |m| {
            let values = m.each("cycles_per_sec");
            let r = ratio(values.0, values.1);
            let back = !m.runs[0].is_empty()
                && m.runs[0].iter().all(|run| {
                    let f = &run.figures;
                    f.get("fds_before").is_some()
                        && f.get("fds_after") == f.get("fds_before")
                        && f.get("threads_after") == f.get("threads_before")
                });
            let text = format!(
                "{}; {} × ngIRCd; step4_server's fds and threads back: {}",
                trio(values, thousands),
                show(r, 2),
                if back { "yes" } else { "NO" }
            );
            let pass = m.all_clean() && back && r.is_some_and(|r| r >= 3.0);
            (text, verdict(pass))
        },
    },
];

fn idle_rss(m: &Medians) -> (String, Verdict) {
    let values = m.each("rss_per_client_kib");
    let pass = clean(&m.runs[0]) && values.0.is_some_and(|v| v <= 20.0);
    (trio(values, kib), verdict(pass))
}

/// The command line of one run: the workload, the server, the profile.
fn command_line(workload: &Workload, contender: Contender, profile: Profile) -> Vec<String> {
    let mut args: Vec<String> = workload.args.split_whitespace().map(String::from).collect();
    args.extend(["--server".into(), contender.flag().into()]);
    args.extend(["--profile".into(), profile.name().into()]);
    let paced = contender == Contender::Step4 && workload.paced_like_ngircd;
    if contender == Contender::Peer(Peer::Ngircd) || paced {
        args.extend(["--connect-at-once".into(), NGIRCD_CONNECT_AT_ONCE.into()]);
    }
    args.extend(["--timeout".into(), RUN_TIMEOUT_SECS.into()]);
    args
}

/// Whether step4_server answers an IRC registration with `001` (issue 14).
fn step4_speaks_irc() -> Result<bool, String> {
    let target = Target::start_local()?;
    let answer = irc_welcome(&target);
    let _ = target.stop();
    Ok(answer)
}

fn irc_welcome(target: &Target) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&target.addr, Duration::from_secs(5)) else {
        return false;
    };
    if stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .and_then(|()| stream.write_all(b"NICK probe\r\nUSER probe 0 * :probe\r\n"))
        .is_err()
    {
        return false;
    }
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    let give_up = Instant::now() + Duration::from_secs(3);
    while Instant::now() < give_up && received.len() < 64 * 1024 {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
        if String::from_utf8_lossy(&received).contains(" 001 ") {
            return true;
        }
    }
    false
}

/// Parses one run's command line with the same parser as a single run.
fn settings_for(args: &[String]) -> Result<(String, Settings), String> {
    let command = args.join(" ");
    let (scenario, flags) = args.split_first().ok_or("empty workload")?;
    let parsed = crate::COMMAND
        .parse(flags.iter().cloned())
        .map_err(|e| format!("workload {command}: {e:?}"))?;
    match crate::job(scenario, &parsed).map_err(|e| format!("workload {command}: {e:?}"))? {
        crate::Job::One(scenario, settings) => Ok((scenario, settings)),
        _ => Err(format!("workload {command} is not a single scenario")),
    }
}

/// Runs every workload `runs` times on each server and writes the section.
pub fn run(out: &Path, runs: usize) -> Result<(), String> {
    let missing: Vec<String> = Peer::ALL
        .iter()
        .filter(|peer| !peer.is_installed())
        .map(|peer| {
            format!(
                "{} (Debian package {})",
                peer.binary().display(),
                peer.name()
            )
        })
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the peers suite needs {}; install it and run again",
            missing.join(" and ")
        ));
    }
    let irc_everywhere = step4_speaks_irc()?;
    let step4_profile = if irc_everywhere {
        Profile::Irc
    } else {
        Profile::Chatroom
    };
    log!(
        "peers: step4_server speaks {} in this comparison",
        step4_profile.name()
    );
    let started = chatroom::support::timestamp::now_millis();
    let mut rows = Vec::new();
    let mut commands = String::new();
    let mut details = String::new();
    for workload in WORKLOADS {
        let mut medians = Medians {
            runs: [Vec::new(), Vec::new(), Vec::new()],
        };
        let mut plans = Vec::new();
        for contender in CONTENDERS {
            let profile = match contender {
                Contender::Step4 => step4_profile,
                Contender::Peer(_) => Profile::Irc,
            };
            let args = command_line(workload, contender, profile);
            let _ = writeln!(commands, "./target/release/chat_bench {}", args.join(" "));
            plans.push((contender, args.join(" "), settings_for(&args)?));
        }
        for round in 1..=runs {
            for (index, (contender, _, (scenario, settings))) in plans.iter().enumerate() {
                log!(
                    "peers: {} on {} (run {round} of {runs})",
                    workload.what,
                    contender.label()
                );
                let run = crate::run_scenario(scenario, settings).unwrap_or_else(|e| Run {
                    figures: Figures::default(),
                    problems: vec![e],
                });
                for problem in &run.problems {
                    log!("peers: problem: {problem}");
                }
                println!("{}", run.figures.key_values());
                medians.runs[index].push(run);
            }
        }
        for (index, (_, command, _)) in plans.iter().enumerate() {
            let _ = writeln!(details, "\n`chat_bench {command}`\n");
            for (round, run) in medians.runs[index].iter().enumerate() {
                let _ = writeln!(
                    details,
                    "- run {}: `{}`",
                    round + 1,
                    run.figures.key_values()
                );
                for problem in &run.problems {
                    let _ = writeln!(details, "  - problem: {problem}");
                }
            }
        }
        let (measured, verdict) = (workload.judge)(&medians);
        log!(
            "peers: {}: {measured} {}",
            workload.what,
            verdict_word(verdict)
        );
        rows.push((workload, measured, verdict));
    }
    let section = section(&rows, &commands, &details, started, runs, irc_everywhere);
    let existing = fs::read_to_string(out).unwrap_or_default();
    let text = crate::report::with_section(&existing, &section);
    fs::write(out, text).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("wrote {}", out.display());
    for (workload, measured, verdict) in &rows {
        println!(
            "{:<5} {}: {measured}",
            verdict_word(*verdict),
            workload.what
        );
    }
    Ok(())
}

fn section(
    rows: &[(&Workload, String, Verdict)],
    commands: &str,
    details: &str,
    started: u64,
    runs: usize,
    irc_everywhere: bool,
) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "## Side by side: step4_server, ngIRCd, InspIRCd\n");
    let _ = writeln!(
        text,
        "Written by `chat_bench peers` (`make bench-peers`), started {} UTC. Medians of {runs} \
runs per server; in every repetition the three servers ran back to back, each a fresh process \
(step4_server with flood control off and history on; ngIRCd and InspIRCd with the \
configurations in `src/bin/chat_bench/peers.rs`: flood penalties off, limits out of reach), \
clients connecting at most 64 at once ({NGIRCD_CONNECT_AT_ONCE} for ngIRCd, whose listen \
backlog is 10, and for step4_server in the join row, which is judged against ngIRCd's join \
latency). Each figure cell reads step4_server / ngIRCd / InspIRCd.\n",
        chatroom::support::timestamp::human(started)
    );
    let profile_note = if irc_everywhere {
        "All three servers were driven with the identical IRC workload (`--profile irc`)."
    } else {
        "step4_server does not speak IRC yet (issue 14), so it ran every row in its own \
protocol (`--profile chatroom`: the same clients, messages, sizes and rates, and it echoes \
each message to its sender, one delivery more per message); ngIRCd and InspIRCd ran \
`--profile irc`."
    };
    let _ = writeln!(text, "{profile_note}\n\n{}\n", machine());
    let _ = writeln!(text, "| Workload | Target | Measured | Result |");
    let _ = writeln!(text, "|---|---|---|---|");
    for (workload, measured, verdict) in rows {
        let _ = writeln!(
            text,
            "| {} | {} | {measured} | {} |",
            workload.what,
            workload.target,
            verdict_word(*verdict)
        );
    }
    let _ = writeln!(text, "\n### Commands\n\n```\n{commands}```");
    let _ = writeln!(text, "\n### Every run's figures\n{details}");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs_with(key: &'static str, value: f64) -> Vec<Run> {
        (0..3)
            .map(|_| {
                let mut figures = Figures::default();
                figures.add(key, key, value.to_string(), Some(value));
                Run {
                    figures,
                    problems: Vec::new(),
                }
            })
            .collect()
    }

    fn medians(key: &'static str, step4: f64, ngircd: f64, inspircd: f64) -> Medians {
        Medians {
            runs: [
                runs_with(key, step4),
                runs_with(key, ngircd),
                runs_with(key, inspircd),
            ],
        }
    }

    #[test]
    fn throughput_below_the_best_peer_is_a_miss() {
        let m = medians("deliveries_per_sec", 180_000.0, 1_110_000.0, 1_290_000.0);
        let (text, v) = throughput(&m, 1.0);
        assert!(v == Verdict::Miss, "{text}");
        assert_eq!(verdict_word(v), "MISS");
        assert!(text.contains("0.14 × the best peer"), "{text}");
        let m = medians("deliveries_per_sec", 1_300_000.0, 1_110_000.0, 1_290_000.0);
        assert!(throughput(&m, 1.0).1 == Verdict::Pass);
        assert!(throughput(&m, 1.5).1 == Verdict::Miss);
    }

    #[test]
    fn latency_is_judged_against_the_lowest_peer() {
        let m = medians("p99_ms", 40.0, 38.0, 49.0);
        assert!(at_most_peer(&m, "p99_ms", 1.0, ms).1 == Verdict::Miss);
        let m = medians("p99_ms", 38.0, 38.0, 49.0);
        assert!(at_most_peer(&m, "p99_ms", 1.0, ms).1 == Verdict::Pass);
    }

    #[test]
    fn a_lost_message_is_a_miss_whatever_the_figures() {
        let mut m = medians("deliveries_per_sec", 9e9, 1.0, 1.0);
        m.runs[0][1].problems.push("1 deliveries lost".into());
        assert!(throughput(&m, 1.0).1 == Verdict::Miss);
    }

    #[test]
    fn the_section_shows_each_verdict_and_which_protocol_step4_spoke() {
        let rows = vec![
            (
                &WORKLOADS[0],
                "0.18 M / 1.11 M / 1.29 M".to_string(),
                Verdict::Miss,
            ),
            (
                &WORKLOADS[1],
                "2.9 M / 1.38 M / 1.66 M".to_string(),
                Verdict::Pass,
            ),
        ];
        let text = section(&rows, "cmd\n", "", 0, 3, false);
        assert!(text.starts_with(crate::report::PEERS_HEADING));
        assert!(
            text.contains("| 0.18 M / 1.11 M / 1.29 M | MISS |"),
            "{text}"
        );
        assert!(text.contains("| PASS |"), "{text}");
        assert!(text.contains("`--profile chatroom`"), "{text}");
        let text = section(&rows, "cmd\n", "", 0, 3, true);
        assert!(text.contains("identical IRC workload"), "{text}");
    }

    #[test]
    fn every_run_names_its_server_profile_and_concurrency() {
        let args = command_line(&WORKLOADS[0], Contender::Peer(Peer::Ngircd), Profile::Irc);
        let line = args.join(" ");
        assert!(
            line.ends_with("--server ngircd --profile irc --connect-at-once 8 --timeout 600"),
            "{line}"
        );
        // The join row paces step4_server like ngIRCd; the others do not.
        let paced = |workload: &Workload| {
            command_line(workload, Contender::Step4, Profile::Irc)
                .join(" ")
                .contains("--connect-at-once 8")
        };
        assert!(WORKLOADS
            .iter()
            .filter(|w| paced(w))
            .all(|w| w.what.contains("join")));
        assert_eq!(WORKLOADS.iter().filter(|w| paced(w)).count(), 1);
        for workload in WORKLOADS {
            for contender in CONTENDERS {
                let args = command_line(workload, contender, Profile::Irc);
                settings_for(&args).unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
}
