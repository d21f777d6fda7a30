//! `chat_bench suite`: the standard measurements, each run three times,
//! judged by their medians against the project's targets, written to
//! BENCHMARKS.md with the machine and the exact commands.
//!
//! Why medians of three: on a shared two-core machine one run can be unlucky
//! (another process wakes up), and the median throws away one outlier in
//! either direction without hiding a real change. Loss and disconnection are
//! judged on every run, not the median: one lost message is one too many.
//!
//! Each measurement is described by its command-line arguments and run
//! through the same parser as a single run, so the commands printed in the
//! report are exactly what ran.

use crate::report::{
    at_least, at_most, clean, machine, median_of, min_of, show, verdict, verdict_word, Verdict,
};
use crate::scenarios::{Figures, Run, Settings};
use chatroom::log;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

/// One line of the report.
struct Item {
    what: &'static str,
    /// The command line after `chat_bench`, words separated by spaces.
    args: &'static str,
    target: &'static str,
    judge: fn(&[Run]) -> (String, Verdict),
}

const ITEMS: &[Item] = &[
    Item {
        what: "fanout: 1,000 clients, 10 senders, as fast as possible",
        args: "fanout --clients 1000 --senders 10 --messages 500",
        target: "≥ 2,000,000 deliveries/s, zero loss",
        judge: |runs| at_least(runs, "deliveries_per_sec", 2_000_000.0, "deliveries/s"),
    },
    Item {
        what: "fanout: 100 clients, 10 senders, as fast as possible",
        args: "fanout --clients 100 --senders 10 --messages 5000",
        target: "≥ 3,500,000 deliveries/s, zero loss",
        judge: |runs| at_least(runs, "deliveries_per_sec", 3_500_000.0, "deliveries/s"),
    },
    Item {
        what: "fanout: 1,000 clients, 200 messages/s in total",
        args: "fanout --clients 1000 --senders 10 --messages 200 --rate 200",
        target: "p99 ≤ 20 ms, zero loss",
        judge: |runs| at_most(runs, "p99_ms", 20.0, "ms p99"),
    },
    Item {
        what: "fanout: 1,000 clients, 20 messages/s in total",
        args: "fanout --clients 1000 --senders 10 --messages 20 --rate 20",
        target: "(none here: `chat_bench peers` holds its CPU against ngIRCd's and InspIRCd's)",
        judge: |runs| {
            let text = format!(
                "p99 {} ms, server CPU {} % of a core",
                show(median_of(runs, "p99_ms"), 2),
                show(median_of(runs, "server_cpu_pct"), 0)
            );
            (text, Verdict::Info)
        },
    },
    Item {
        what: "fanout: 100 clients, 200 messages/s in total",
        args: "fanout --clients 100 --senders 10 --messages 200 --rate 200",
        target: "p99 ≤ 2 ms, zero loss",
        judge: |runs| at_most(runs, "p99_ms", 2.0, "ms p99"),
    },
    Item {
        what: "a class: 200 students, each sending 1 message/s",
        args: "fanout --clients 200 --senders 200 --messages 5 --rate 200",
        target: "(none: the README's answer)",
        judge: |runs| {
            let p99 = median_of(runs, "p99_ms");
            let cpu = median_of(runs, "server_cpu_pct");
            (
                format!(
                    "p99 {} ms, server CPU {} % of a core",
                    show(p99, 2),
                    show(cpu, 0)
                ),
                Verdict::Info,
            )
        },
    },
    Item {
        what: "idle: 5,000 clients joined and silent",
        args: "idle --clients 5000",
        target: "≤ 20 KiB server RSS per connection",
        judge: |runs| at_most(runs, "rss_per_client_kib", 20.0, "KiB per connection"),
    },
    Item {
        what: "idle: 10,000 clients, then one broadcast",
        args: "idle --clients 10000",
        target: "all 10,000 connected and the broadcast reaches all",
        judge: |runs| {
            let reached = min_of(runs, "broadcast_reached");
            let took = median_of(runs, "broadcast_ms");
            let verdict = verdict(clean(runs) && reached == Some(10_000.0));
            let text = format!(
                "reached {} (fewest of the runs) in {} ms",
                show(reached, 0),
                show(took, 1)
            );
            (text, verdict)
        },
    },
    Item {
        what: "slow: 50 clients, 1,000 messages/s of 900 bytes, plus one that never reads",
        args: "slow",
        target:
            "slow client disconnected, server RSS growth it causes ≤ 2 MiB, others' p99 within 10%",
        judge: |runs| {
            let all_disconnected = runs
                .iter()
                .all(|run| run.figures.get_text("slow_disconnected") == Some("yes"));
            let growth = median_of(runs, "rss_growth_extra_kib");
            let change = median_of(runs, "p99_change_pct");
            let pass = clean(runs)
                && all_disconnected
                && growth.is_some_and(|g| g <= 2048.0)
                && change.is_some_and(|c| c <= 10.0);
            let text = format!(
                "disconnected: {}; RSS growth {} KiB; p99 {} → {} ms ({}%)",
                if all_disconnected {
                    "every run"
                } else {
                    "NOT every run"
                },
                show(growth, 0),
                show(median_of(runs, "p99_without_ms"), 2),
                show(median_of(runs, "p99_ms"), 2),
                show(change, 1)
            );
            (text, verdict(pass))
        },
    },
    Item {
        what: "churn: 2,000 connect/register/quit cycles",
        args: "churn --cycles 2000",
        target: "fds and threads back to their starting counts",
        judge: |runs| {
            let back = runs.iter().all(|run| {
                let figures = &run.figures;
                figures.get("fds_before").is_some()
                    && figures.get("fds_after") == figures.get("fds_before")
                    && figures.get("threads_after") == figures.get("threads_before")
            });
            let first = runs.first().map(|run| &run.figures);
            let text = format!(
                "fds {} → {}, threads {} → {} (first run); {} cycles/s",
                show(first.and_then(|f| f.get("fds_before")), 0),
                show(first.and_then(|f| f.get("fds_after")), 0),
                show(first.and_then(|f| f.get("threads_before")), 0),
                show(first.and_then(|f| f.get("threads_after")), 0),
                show(median_of(runs, "cycles_per_sec"), 0)
            );
            (text, verdict(clean(runs) && back))
        },
    },
];

/// Runs every item `runs` times and writes the report to `out`.
pub fn run(settings: &Settings, out: &Path, runs: usize) -> Result<(), String> {
    // Flags given to the suite that every run inherits.
    let mut inherited: Vec<String> = Vec::new();
    if settings.threads != 2 {
        inherited.extend(["--threads".into(), settings.threads.to_string()]);
    }
    if !settings.fast_path {
        inherited.push("--no-direct-send".into());
    }
    if settings.timeout.as_secs() != 120 {
        inherited.extend(["--timeout".into(), settings.timeout.as_secs().to_string()]);
    }
    let started = chatroom::support::timestamp::now_millis();
    let mut rows = Vec::new();
    let mut details = String::new();
    let mut commands = String::new();
    for item in ITEMS {
        let mut args: Vec<String> = item.args.split_whitespace().map(String::from).collect();
        args.extend(inherited.iter().cloned());
        let command = format!("./target/release/chat_bench {}", args.join(" "));
        let _ = writeln!(commands, "{command}");
        let (scenario, flags) = args.split_first().ok_or("empty suite item")?; // ok: never empty
        let parsed = crate::COMMAND
            .parse(flags.iter().cloned())
            .map_err(|e| format!("suite item {command}: {e:?}"))?;
        let crate::Job::One(scenario, item_settings) =
            crate::job(scenario, &parsed).map_err(|e| format!("suite item {command}: {e:?}"))?
        else {
            return Err(format!("suite item {command} is not a single scenario"));
        };
        let mut results = Vec::new();
        for round in 1..=runs {
            log!("suite: {} (run {round} of {runs})", item.what);
            let run = crate::run_scenario(&scenario, &item_settings).unwrap_or_else(|e| Run {
                figures: Figures::default(),
                problems: vec![e],
            });
            for problem in &run.problems {
                log!("suite: problem: {problem}");
            }
            println!("{}", run.figures.key_values());
            results.push(run);
        }
        let (mut measured, verdict) = (item.judge)(&results);
        // What each delivery cost the server: the figure that shows a
        // writer's cost following the work (or not) at every rate.
        if let Some(cost) = median_of(&results, "server_cpu_us_per_delivery") {
            measured.push_str(&format!("; server CPU {cost:.2} µs per delivery"));
        }
        log!("suite: {}: {measured}", item.what);
        rows.push((item, measured, verdict));
        let _ = writeln!(details, "\n`{command}`\n");
        for (round, run) in results.iter().enumerate() {
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
    let mut report = report(&rows, &commands, &details, started, runs);
    // Keep the side-by-side section `chat_bench peers` wrote, and the
    // hand-written notes, if the old file has them.
    let old = fs::read_to_string(out).unwrap_or_default();
    if let Some(notes) = crate::report::notes_section(&old) {
        report = format!("{}\n\n{notes}", report.trim_end());
    }
    if let Some(peers) = crate::report::peers_section(&old) {
        report = crate::report::with_section(&report, peers);
    }
    fs::write(out, report).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("wrote {}", out.display());
    for (item, measured, verdict) in &rows {
        println!("{:<5} {}: {measured}", verdict_word(*verdict), item.what);
    }
    Ok(())
}

fn report(
    rows: &[(&Item, String, Verdict)],
    commands: &str,
    details: &str,
    started: u64,
    runs: usize,
) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "# chatroom benchmarks\n");
    let _ = writeln!(
        text,
        "Written by `chat_bench suite` (`make bench`), started {} UTC. Every figure is the \
median of {runs} runs; every run started a fresh release `step4_server` with \
`--rate-per-sec 0 --max-clients 20000` (the default `queue_len`), the per-address limits off and history on, in a temporary \
data directory. Loss and errors are judged on every run, not the median.\n",
        chatroom::support::timestamp::human(started)
    );
    let _ = writeln!(text, "{}\n", machine());
    let _ = writeln!(
        text,
        "| Measurement | Target | Measured (median) | Result |"
    );
    let _ = writeln!(text, "|---|---|---|---|");
    for (item, measured, verdict) in rows {
        let _ = writeln!(
            text,
            "| {} | {} | {measured} | {} |",
            item.what,
            item.target,
            verdict_word(*verdict)
        );
    }
    let _ = writeln!(
        text,
        "\n## Commands\n\nBuilt with `cargo build --release --bins`; each ran {runs} times:\n"
    );
    let _ = writeln!(text, "```\n{commands}```");
    let _ = writeln!(text, "\n## Every run's figures\n{details}");
    text
}
