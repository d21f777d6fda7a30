//! The Markdown section `chat_bench peers` writes into BENCHMARKS.md: the
//! verdict table (fast path on: chatroom line, chatroom IRC, ngIRCd,
//! InspIRCd), what the fast path buys at each row (the same columns with it
//! off), the churn sweep, every command and every run's figures.
//!
//! Why it says how verdicts are given, in the section itself: the table is
//! read without the code, and "PASS" must mean the same to every reader:
//! both chatroom columns meet the issue's target, every run clean.

use crate::peer_judge::{Judged, RowRuns};
use crate::peer_rows::{Row, ROWS};
use crate::peer_suite::{
    levels, Selection, CONTENDERS, FAST_PATH_OFF, JUDGED, NGIRCD_CONNECT_AT_ONCE,
};
use crate::report::{machine, median_of, thousands, verdict_word, PEERS_HEADING};
use std::fmt::Write as _;

/// One measured row: its runs, each run's command (contender, level,
/// command line) and its judgement.
pub type Measured<'a> = (&'a Row, RowRuns, Vec<(usize, usize, String)>, Judged);

/// The longest problem quoted in a table cell; the full text is under
/// "Every run's figures".
const PROBLEM_IN_CELL: usize = 160;

/// What one contender measured on a row, as a table cell.
pub fn cell(row: &Row, results: &RowRuns, contender: usize) -> String {
    if !results.ran(contender) {
        return "—".into();
    }
    let level = results.best_level(row, contender);
    let figures: Vec<String> = row
        .measures
        .iter()
        .map(|m| median_of(&results.runs[contender][level], m.key).map_or("n/a".into(), m.show))
        .collect();
    let mut text = figures.join(" / ");
    if let Some(at) = levels(row)[level] {
        let _ = write!(text, " (at {at})");
    }
    if !results.is_clean(row, contender) {
        let problem = results.runs[contender]
            .iter()
            .flatten()
            .find_map(|run| run.problems.first())
            .map(|p| p.chars().take(PROBLEM_IN_CELL).collect::<String>())
            .unwrap_or_default();
        let _ = write!(text, " (not clean: {})", problem.replace('|', "/"));
    }
    text
}

/// `on ÷ off` for each figure of a row, e.g. "1.63 × / 0.36 ×".
fn on_off(row: &Row, results: &RowRuns, on: usize, off: usize) -> String {
    let ratios: Vec<String> = row
        .measures
        .iter()
        .map(|m| {
            let ratio = Some(
                results.value(row, on, m.key).unwrap_or(f64::NAN)
                    / results.value(row, off, m.key).unwrap_or(f64::NAN),
            )
            .filter(|r| r.is_finite());
            ratio.map_or("n/a".into(), |r| format!("{r:.2} ×"))
        })
        .collect();
    ratios.join(" / ")
}

fn number(row: &Row) -> usize {
    ROWS.iter()
        .position(|other| other.id == row.id)
        .map_or(0, |i| i + 1)
}

pub fn section(measured: &[Measured], selection: &Selection, started: u64, runs: usize) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "{PEERS_HEADING}\n");
    let _ = writeln!(
        text,
        "Written by `chat_bench peers` (`make bench-peers`), started {} UTC. Medians of {runs} \
runs per server; in every repetition the servers ran back to back, each a fresh process: \
step4_server (flood control off, history on) driven over its line protocol (`--profile \
chatroom`) and over its IRC dialect (`--profile irc`, exactly the peers' wire work), each with \
its fast path on (the default) and off (`--no-direct-send`), then ngIRCd and InspIRCd with the \
configurations in `src/bin/chat_bench/peers.rs` (flood penalties off, limits out of reach), \
always over IRC. Clients connect at most 64 at once ({NGIRCD_CONNECT_AT_ONCE} for ngIRCd, whose \
listen backlog is 10, and for step4_server in the join row, which is judged against ngIRCd's \
join latency); the churn row runs every server at 1, 4, 8 and 64 cycles in flight and takes \
each server's best.\n",
        chatroom::support::timestamp::human(started)
    );
    let _ = writeln!(
        text,
        "How a row is judged: each chatroom column with the fast path on, line and IRC, is \
compared with the target on its own (a ratio to the better of ngIRCd and InspIRCd, to ngIRCd \
alone where the target says so, or a fixed number); its verdict and ratio are in the Verdict \
column. The row is PASS only when **both** chatroom columns pass, every one of their runs was \
clean (nothing lost, duplicated, reordered, timed out or refused) and the peers compared \
with ran clean too; otherwise MISS. The fast-path-off columns are reported, not judged.\n"
    );
    if !selection.is_everything() {
        let rows: Vec<&str> = selection.rows.iter().map(|&r| ROWS[r].id).collect();
        let servers: Vec<&str> = selection
            .contenders
            .iter()
            .map(|&c| CONTENDERS[c].name())
            .collect();
        let _ = writeln!(
            text,
            "**A part of the comparison** (`--rows {} --only {}`): a verdict that needs a \
server that did not run says \"not judged\".\n",
            rows.join(","),
            servers.join(", ")
        );
    }
    let _ = writeln!(text, "{}\n", machine());
    let shown: Vec<usize> = (0..4).filter(|&c| selection.has(c)).collect();
    let headings: Vec<&str> = shown.iter().map(|&c| CONTENDERS[c].label()).collect();
    let _ = writeln!(
        text,
        "| # | Workload | {} | Target | Verdict | Result |",
        headings.join(" | ")
    );
    let _ = writeln!(text, "|---|---|{}---|---|---|", "---|".repeat(shown.len()));
    for (row, results, _, judged) in measured {
        let cells: Vec<String> = shown.iter().map(|&c| cell(row, results, c)).collect();
        let _ = writeln!(
            text,
            "| {} `{}` | {} | {} | {} | {} | {} |",
            number(row),
            row.id,
            row.what,
            cells.join(" | "),
            row.target,
            judged.verdict_text,
            verdict_word(judged.verdict)
        );
    }
    fast_path_table(&mut text, measured, selection);
    sweep_table(&mut text, measured, selection);
    let _ = writeln!(text, "\n### Commands\n\n```");
    for (_, _, commands, _) in measured {
        for (_, _, command) in commands {
            let _ = writeln!(text, "./target/release/chat_bench {command}");
        }
    }
    let _ = writeln!(text, "```\n\n### Every run's figures");
    for (_, results, commands, _) in measured {
        for (c, l, command) in commands {
            let _ = writeln!(text, "\n`chat_bench {command}`\n");
            for (round, run) in results.runs[*c][*l].iter().enumerate() {
                let _ = writeln!(text, "- run {}: `{}`", round + 1, run.figures.key_values());
                for problem in &run.problems {
                    let _ = writeln!(text, "  - problem: {problem}");
                }
            }
        }
    }
    text
}

/// "What the fast path buys": each chatroom column with it on and off.
fn fast_path_table(text: &mut String, measured: &[Measured], selection: &Selection) {
    let pairs: Vec<(usize, usize)> = JUDGED
        .into_iter()
        .zip(FAST_PATH_OFF)
        .filter(|&(on, off)| selection.has(on) || selection.has(off))
        .collect();
    if !FAST_PATH_OFF.iter().any(|&off| selection.has(off)) || pairs.is_empty() {
        return;
    }
    let _ = writeln!(
        text,
        "\n### What the fast path buys\n\nThe same runs' chatroom columns with the fast path \
on (the default, judged above) and off (`--no-direct-send`: every line through its client's \
writer thread, the design card's path), and on ÷ off for each figure.\n"
    );
    let mut heading = String::from("| # | Workload |");
    for &(on, off) in &pairs {
        let _ = write!(
            heading,
            " {} | {} | on ÷ off |",
            CONTENDERS[on].label(),
            CONTENDERS[off].label()
        );
    }
    let _ = writeln!(text, "{heading}");
    let _ = writeln!(text, "|---|---|{}", "---|---|---|".repeat(pairs.len()));
    for (row, results, _, _) in measured {
        let mut line = format!("| {} `{}` | {} |", number(row), row.id, row.what);
        for &(on, off) in &pairs {
            let _ = write!(
                line,
                " {} | {} | {} |",
                cell(row, results, on),
                cell(row, results, off),
                on_off(row, results, on, off)
            );
        }
        let _ = writeln!(text, "{line}");
    }
}

/// The churn row at every concurrency, for every server that ran it.
fn sweep_table(text: &mut String, measured: &[Measured], selection: &Selection) {
    for (row, results, _, _) in measured.iter().filter(|m| !m.0.sweep.is_empty()) {
        let Some(first) = row.measures.first() else {
            continue;
        };
        let _ = writeln!(
            text,
            "\n### `{}` at each connect concurrency\n\nMedian {} per server and cycles in \
flight; **bold** is the one the server is judged at (its best clean one); \"not clean\" marks a \
concurrency with a failed run.\n",
            row.id, first.key
        );
        let header: Vec<String> = row.sweep.iter().map(|n| n.to_string()).collect();
        let _ = writeln!(text, "| server | {} |", header.join(" | "));
        let _ = writeln!(text, "|---|{}", "---|".repeat(row.sweep.len()));
        for &c in &selection.contenders {
            if !results.ran(c) {
                continue;
            }
            let best = results.best_level(row, c);
            let cells: Vec<String> = results.runs[c]
                .iter()
                .enumerate()
                .map(|(level, runs)| {
                    let value = median_of(runs, first.key).map_or("n/a".into(), thousands);
                    let value = if crate::report::clean(runs) {
                        value
                    } else {
                        format!("{value} (not clean)")
                    };
                    if level == best {
                        format!("**{value}**")
                    } else {
                        value
                    }
                })
                .collect();
            let _ = writeln!(
                text,
                "| {} | {} |",
                CONTENDERS[c].label(),
                cells.join(" | ")
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peer_judge::judge_row;
    use crate::scenarios::{Figures, Run};

    fn run(key: &'static str, value: f64, problem: Option<&str>) -> Run {
        let mut figures = Figures::default();
        figures.add(key, key, value.to_string(), Some(value));
        Run {
            figures,
            problems: problem.into_iter().map(String::from).collect(),
        }
    }

    #[test]
    fn the_section_shows_both_chatroom_columns_their_verdicts_and_the_fast_path() {
        let row = &ROWS[1];
        let mut results = RowRuns::empty(row);
        for (c, value) in [5e6, 3e6, 2e6, 2.5e6, 3e6, 2e6].into_iter().enumerate() {
            results.runs[c][0] = vec![run("deliveries_per_sec", value, None)];
        }
        results.runs[3][0] = vec![run("deliveries_per_sec", 2.5e6, Some("1 lost | x"))];
        let judged = judge_row(row, &results);
        let all = Selection::parse(None, None).unwrap();
        let measured = vec![(row, results, vec![(0, 0, "fanout x".to_string())], judged)];
        let text = section(&measured, &all, 0, 3);
        assert!(text.starts_with(PEERS_HEADING));
        assert!(
            text.contains("| chatroom line | chatroom IRC | ngIRCd | InspIRCd | Target |"),
            "{text}"
        );
        assert!(text.contains("**both** chatroom columns"), "{text}");
        // InspIRCd lost a message: no fair ratio, so both columns miss.
        assert!(text.contains("(not clean: 1 lost / x)"), "{text}");
        assert!(text.contains("| MISS |"), "{text}");
        assert!(text.contains("### What the fast path buys"), "{text}");
        assert!(text.contains("| 5.00 M | 3.00 M | 1.67 × |"), "{text}");
        assert!(!text.contains("A part of the comparison"));
        let part = Selection::parse(Some("fast100"), Some("line,ngircd")).unwrap();
        let text = section(&measured, &part, 0, 1);
        assert!(text.contains("A part of the comparison"), "{text}");
        assert!(!text.contains("What the fast path buys"), "{text}");
    }
}
