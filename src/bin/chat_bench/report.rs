//! What the two suites share: how runs become a verdict (the medians,
//! PASS or MISS), how numbers are shown, and the machine line of a report.
//!
//! A verdict is PASS only when every run was clean (nothing lost,
//! duplicated, reordered, timed out or refused) *and* the median meets the
//! target; anything else is a MISS. There is no "close enough": a figure a
//! hair over its target misses, so a regression cannot hide in rounding.

use crate::scenarios::Run;
use crate::stats::median;
use std::fs;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Miss,
    /// No target: a figure for the design chapter's "Will it hold my class?".
    Info,
}

pub fn verdict(pass: bool) -> Verdict {
    if pass {
        Verdict::Pass
    } else {
        Verdict::Miss
    }
}

/// Every run finished without problems (no loss, no timeout, no errors).
pub fn clean(runs: &[Run]) -> bool {
    !runs.is_empty() && runs.iter().all(|run| run.problems.is_empty())
}

pub fn values(runs: &[Run], key: &str) -> Vec<f64> {
    runs.iter().filter_map(|run| run.figures.get(key)).collect()
}

pub fn median_of(runs: &[Run], key: &str) -> Option<f64> {
    median(&values(runs, key))
}

pub fn min_of(runs: &[Run], key: &str) -> Option<f64> {
    values(runs, key).into_iter().reduce(f64::min)
}

pub fn show(value: Option<f64>, decimals: usize) -> String {
    match value {
        Some(v) => format!("{v:.decimals$}"),
        None => "n/a".to_string(),
    }
}

/// "1234567" → "1,234,567", for the big numbers in the report.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The median of `key` at least `target`, every run clean.
pub fn at_least(runs: &[Run], key: &str, target: f64, unit: &str) -> (String, Verdict) {
    let value = median_of(runs, key);
    let each: Vec<String> = values(runs, key).into_iter().map(thousands).collect();
    let text = format!(
        "{} {unit} (runs: {})",
        value.map(thousands).unwrap_or("n/a".into()),
        each.join(", ")
    );
    (
        text,
        verdict(clean(runs) && value.is_some_and(|v| v >= target)),
    )
}

/// The median of `key` at most `target`, every run clean.
pub fn at_most(runs: &[Run], key: &str, target: f64, unit: &str) -> (String, Verdict) {
    let value = median_of(runs, key);
    let each: Vec<String> = values(runs, key)
        .into_iter()
        .map(|v| format!("{v:.2}"))
        .collect();
    let text = format!("{} {unit} (runs: {})", show(value, 2), each.join(", "));
    (
        text,
        verdict(clean(runs) && value.is_some_and(|v| v <= target)),
    )
}

pub fn verdict_word(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "PASS",
        Verdict::Miss => "MISS",
        Verdict::Info => "info",
    }
}

/// "Machine: 2 cores (nproc), AMD EPYC …, Linux 6.x, vm.max_map_count …."
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| {
                line.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, m)| m.trim().to_string())
            })
        })
        .unwrap_or_else(|| "unknown".into());
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|text| text.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    // The idle 10,000 run needs more memory mappings than Linux allows by
    // default (see `docs/design.md`), so the report says what this machine had.
    let max_map_count = fs::read_to_string("/proc/sys/vm/max_map_count")
        .map(|text| text.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    format!(
        "Machine: {cores} cores (nproc), {cpu}, Linux {kernel}, vm.max_map_count {max_map_count}."
    )
}

/// Where the peers suite's section starts in BENCHMARKS.md; it runs to the
/// end of the file, so each suite can rewrite its own part and keep the
/// other's.
pub const PEERS_HEADING: &str = "## Side by side: step4_server, ngIRCd, InspIRCd";

/// The hand-written last section of BENCHMARKS.md (how the benchmark works
/// and how to read it). Neither suite writes it; both keep it, at the end.
pub const NOTES_HEADING: &str = "## How chat_bench works, and what the figures mean";

/// `existing` with its peers section (if any) replaced by `section`; the
/// hand-written notes stay last.
pub fn with_section(existing: &str, section: &str) -> String {
    let notes = notes_section(existing);
    let before = match existing.find(PEERS_HEADING) {
        Some(at) => &existing[..at],
        None => existing
            .find(NOTES_HEADING)
            .map_or(existing, |at| &existing[..at]),
    };
    let before = before.trim_end();
    let mut text = if before.is_empty() {
        section.trim_end().to_string()
    } else {
        format!("{before}\n\n{}", section.trim_end())
    };
    text.push('\n');
    if let Some(notes) = notes {
        text = format!("{text}\n{notes}");
    }
    text
}

/// The peers section of `existing`, if it has one (up to the notes).
pub fn peers_section(existing: &str) -> Option<&str> {
    let from = existing.find(PEERS_HEADING)?;
    let rest = &existing[from..];
    Some(rest.find(NOTES_HEADING).map_or(rest, |to| &rest[..to]))
}

/// The hand-written notes at the end of `existing`, if any.
pub fn notes_section(existing: &str) -> Option<&str> {
    existing.find(NOTES_HEADING).map(|at| &existing[at..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::Figures;

    fn run(value: f64, problem: Option<&str>) -> Run {
        let mut figures = Figures::default();
        figures.add("p99_ms", "p99", value.to_string(), Some(value));
        Run {
            figures,
            problems: problem.into_iter().map(String::from).collect(),
        }
    }

    #[test]
    fn a_median_over_its_target_is_a_miss() {
        // Today's machine: p99 4 s at 1,000 clients × 200 msg/s.
        let runs = [run(4050.0, None), run(3900.0, None), run(4100.0, None)];
        let (_, v) = at_most(&runs, "p99_ms", 20.0, "ms p99");
        assert!(v == Verdict::Miss);
        assert_eq!(verdict_word(v), "MISS");
        let runs = [run(19.0, None), run(20.0, None), run(25.0, None)];
        assert!(at_most(&runs, "p99_ms", 20.0, "ms p99").1 == Verdict::Pass);
        let runs = [run(20.01, None), run(20.01, None), run(20.01, None)];
        assert!(at_most(&runs, "p99_ms", 20.0, "ms p99").1 == Verdict::Miss);
        assert!(at_least(&runs, "p99_ms", 21.0, "x").1 == Verdict::Miss);
    }

    #[test]
    fn an_unclean_run_is_a_miss_even_when_the_median_passes() {
        let runs = [
            run(1.0, None),
            run(1.0, Some("3 deliveries lost")),
            run(1.0, None),
        ];
        assert!(at_most(&runs, "p99_ms", 20.0, "ms p99").1 == Verdict::Miss);
        assert!(at_least(&[], "p99_ms", 0.0, "x").1 == Verdict::Miss);
    }

    #[test]
    fn the_peers_section_is_replaced_not_repeated() {
        let first = with_section(
            "# chatroom benchmarks\n\ntable\n",
            &format!("{PEERS_HEADING}\n\nold\n"),
        );
        let second = with_section(&first, &format!("{PEERS_HEADING}\n\nnew\n"));
        assert!(second.starts_with("# chatroom benchmarks\n\ntable\n\n"));
        assert!(second.contains("new") && !second.contains("old"));
        assert_eq!(second.matches(PEERS_HEADING).count(), 1);
        assert_eq!(
            peers_section(&second),
            Some(&second[second.find(PEERS_HEADING).unwrap()..])
        );
        assert_eq!(with_section("", "s\n"), "s\n");
    }

    #[test]
    fn the_hand_written_notes_stay_last() {
        let notes = format!("{NOTES_HEADING}\n\nhow it works\n");
        let first = with_section(
            &format!("# chatroom benchmarks\n\ntable\n\n{notes}"),
            &format!("{PEERS_HEADING}\n\nold\n"),
        );
        assert!(first.ends_with(&notes), "{first}");
        let second = with_section(&first, &format!("{PEERS_HEADING}\n\nnew\n"));
        assert!(
            second.ends_with(&notes) && !second.contains("old"),
            "{second}"
        );
        assert_eq!(
            peers_section(&second),
            Some(&format!("{PEERS_HEADING}\n\nnew\n\n")[..])
        );
    }
}
