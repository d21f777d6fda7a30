//! How `chat_bench peers` judges a row: which concurrency a server is
//! judged at, which runs count, and each chatroom column's verdict against
//! the row's targets (`peer_rows.rs`), then the row's.
//!
//! The rule, in one place so the report can state it: each chatroom column
//! with the fast path on (line, IRC) is judged on its own, and the row is
//! PASS only when both pass. A chatroom column needs every one of its runs
//! clean; a ratio to a peer also needs that peer's runs clean (a ratio to a
//! broken run measures nothing); a peer is judged at its best clean connect
//! concurrency, which only the churn sweep has more than one of. Where the
//! reference did not run (a part of the comparison; "the best peer" needs
//! both peers), the column is "not judged", never PASS.

use crate::peer_rows::{Check, Goal, Reference, Row};
use crate::peer_suite::{levels, Contender, CONTENDERS, JUDGED, NGIRCD, PEERS};
use crate::profile::Profile;
use crate::report::{clean, median_of, verdict_word, Verdict};
use crate::scenarios::Run;

/// Every run of one row: `runs[contender][level]`, empty where it did not run.
pub struct RowRuns {
    pub runs: Vec<Vec<Vec<Run>>>,
}

impl RowRuns {
    pub fn empty(row: &Row) -> RowRuns {
        let levels = levels(row).len();
        RowRuns {
            runs: (0..CONTENDERS.len())
                .map(|_| (0..levels).map(|_| Vec::new()).collect())
                .collect(),
        }
    }

    pub fn ran(&self, contender: usize) -> bool {
        self.runs[contender].iter().any(|runs| !runs.is_empty())
    }

    /// The level a contender is judged at: its best clean one by the row's
    /// first judged figure (the only level, without a sweep).
    pub fn best_level(&self, row: &Row, contender: usize) -> usize {
        let Some(first) = row.measures.iter().find(|m| m.goal != Goal::Shown) else {
            return 0;
        };
        let higher = first.goal.higher_is_better();
        let candidates = self.runs[contender]
            .iter()
            .enumerate()
            .filter_map(|(level, runs)| Some((level, median_of(runs, first.key)?, clean(runs))));
        let mut best: Option<(usize, f64, bool)> = None;
        for (level, value, is_clean) in candidates {
            let better = match best {
                None => true,
                Some((_, best_value, best_clean)) => {
                    (is_clean && !best_clean)
                        || (is_clean == best_clean
                            && if higher {
                                value > best_value
                            } else {
                                value < best_value
                            })
                }
            };
            if better {
                best = Some((level, value, is_clean));
            }
        }
        best.map_or(0, |(level, _, _)| level)
    }

    /// A contender's median of `key` at its best level.
    pub fn value(&self, row: &Row, contender: usize, key: &str) -> Option<f64> {
        median_of(&self.runs[contender][self.best_level(row, contender)], key)
    }

    /// Whether a contender's runs count: a chatroom column needs every run
    /// at every level clean; a peer its best level's (it is judged there).
    pub fn is_clean(&self, row: &Row, contender: usize) -> bool {
        if CONTENDERS[contender].is_chatroom() {
            self.runs[contender].iter().all(|runs| clean(runs))
        } else {
            clean(&self.runs[contender][self.best_level(row, contender)])
        }
    }
}

/// One chatroom column's verdict on a row, and the words that explain it.
pub struct ColumnVerdict {
    pub verdict: Verdict,
    pub text: String,
}

/// Judges a chatroom column (fast path on) against the row's targets.
/// `Info` when a reference did not run (a part of the comparison).
pub fn judge_column(row: &Row, results: &RowRuns, column: usize) -> ColumnVerdict {
    let mut notes = Vec::new();
    let mut missed = false;
    let mut unjudged = false;
    for measure in row.measures {
        let Some(reference) = measure.goal.reference() else {
            continue;
        };
        let mine = results.value(row, column, measure.key);
        let (theirs, peers_clean, ran) = match reference {
            Reference::Fixed => (None, true, true),
            Reference::Ngircd => (
                results.value(row, NGIRCD, measure.key),
                results.is_clean(row, NGIRCD),
                results.ran(NGIRCD),
            ),
            Reference::BestPeer => {
                let ran: Vec<usize> = PEERS.into_iter().filter(|&p| results.ran(p)).collect();
                let values = ran
                    .iter()
                    .filter_map(|&p| results.value(row, p, measure.key));
                let best = if measure.goal.higher_is_better() {
                    values.reduce(f64::max)
                } else {
                    values.reduce(f64::min)
                };
                let all_clean = ran.iter().all(|&p| results.is_clean(row, p));
                (best, all_clean, ran.len() == PEERS.len())
            }
        };
        if !ran {
            unjudged = true;
            continue;
        }
        let (shown, pass) = match (measure.goal, reference) {
            (Goal::AtLeast(_, limit), Reference::Fixed) => (
                mine.map_or("n/a".into(), measure.show),
                mine.is_some_and(|v| v >= limit),
            ),
            (Goal::AtMost(_, limit), Reference::Fixed) => (
                mine.map_or("n/a".into(), measure.show),
                mine.is_some_and(|v| v <= limit),
            ),
            (goal, _) => {
                let ratio = Some(mine.unwrap_or(f64::NAN) / theirs.unwrap_or(f64::NAN))
                    .filter(|r| r.is_finite());
                let pass = peers_clean
                    && ratio.is_some_and(|r| match goal {
                        Goal::AtLeast(_, factor) => r >= factor,
                        Goal::AtMost(_, factor) => r <= factor,
                        Goal::Shown => true,
                    });
                (ratio.map_or("n/a".into(), |r| format!("{r:.2} ×")), pass)
            }
        };
        missed |= !pass;
        notes.push(shown);
        if !peers_clean {
            notes.push("a reference's runs were not clean".to_string());
        }
    }
    if !results.is_clean(row, column) {
        missed = true;
        notes.push("not every run clean".into());
    }
    if let Some(failed) = check_failed(row.check, &results.runs[column]) {
        missed = true;
        notes.push(failed.into());
    }
    let verdict = if missed {
        Verdict::Miss
    } else if unjudged {
        Verdict::Info
    } else {
        Verdict::Pass
    };
    let word = if verdict == Verdict::Info {
        "not judged (a server it is compared with did not run)"
    } else {
        verdict_word(verdict)
    };
    ColumnVerdict {
        verdict,
        text: format!("{} {word}", notes.join(", ")).trim().to_string(),
    }
}

/// What a row's extra condition found wrong in these runs, if anything.
fn check_failed(check: Check, levels: &[Vec<Run>]) -> Option<&'static str> {
    let mut runs = levels.iter().flatten().peekable();
    runs.peek()?;
    match check {
        Check::Nothing => None,
        Check::SlowClientDisconnected => runs
            .any(|run| run.figures.get_text("slow_disconnected") != Some("yes"))
            .then_some("the client that never reads was NOT disconnected"),
        Check::FdsAndThreadsBack => runs
            .any(|run| {
                let f = &run.figures;
                f.get("fds_before").is_none()
                    || f.get("fds_after") != f.get("fds_before")
                    || f.get("threads_after") != f.get("threads_before")
            })
            .then_some("fds or threads NOT back to their start"),
    }
}

/// The row's verdict: PASS only when every judged chatroom column that ran
/// passes; MISS when any misses.
pub fn row_verdict(columns: &[ColumnVerdict]) -> Verdict {
    if columns.iter().any(|c| c.verdict == Verdict::Miss) {
        Verdict::Miss
    } else if !columns.is_empty() && columns.iter().all(|c| c.verdict == Verdict::Pass) {
        Verdict::Pass
    } else {
        Verdict::Info
    }
}

/// A row's judgement: each judged chatroom column's, and the row's.
pub struct Judged {
    pub verdict: Verdict,
    /// "line: 1.86 × PASS; IRC: 1.82 × PASS"
    pub verdict_text: String,
}

/// Judges the fast-path-on chatroom columns that ran.
pub fn judge_row(row: &Row, results: &RowRuns) -> Judged {
    let mut columns = Vec::new();
    let mut texts = Vec::new();
    for column in JUDGED {
        if !results.ran(column) {
            continue;
        }
        let judged = judge_column(row, results, column);
        let short = match CONTENDERS[column] {
            Contender::Chatroom {
                profile: Profile::Irc,
                ..
            } => "IRC",
            _ => "line",
        };
        texts.push(format!("{short}: {}", judged.text));
        columns.push(judged);
    }
    Judged {
        verdict: row_verdict(&columns),
        verdict_text: if texts.is_empty() {
            "not judged (no chatroom column with the fast path on ran)".into()
        } else {
            texts.join("; ")
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peer_rows::ROWS;
    use crate::scenarios::Figures;

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

    fn row(id: &str) -> &'static Row {
        ROWS.iter().find(|row| row.id == id).unwrap()
    }

    /// One value per contender (line, IRC, ngIRCd, InspIRCd, and off).
    fn results(row: &Row, key: &'static str, values: [f64; 6]) -> RowRuns {
        let mut results = RowRuns::empty(row);
        for (c, value) in values.into_iter().enumerate() {
            results.runs[c][0] = runs_with(key, value);
        }
        results
    }

    #[test]
    fn both_chatroom_columns_must_beat_the_best_peer() {
        let fast = row("fast100");
        let m = results(fast, "deliveries_per_sec", [4e6, 3e6, 2e6, 2.5e6, 1e6, 1e6]);
        let line = judge_column(fast, &m, 0);
        let irc = judge_column(fast, &m, 1);
        assert!(line.verdict == Verdict::Pass, "{}", line.text);
        assert!(irc.verdict == Verdict::Miss, "{}", irc.text);
        assert!(line.text.contains("1.60 ×"), "{}", line.text);
        assert!(row_verdict(&[line, irc]) == Verdict::Miss);
    }

    #[test]
    fn latency_is_judged_against_the_lowest_peer_and_loss_is_a_miss() {
        let rate = row("rate1000");
        let m = results(rate, "p99_ms", [38.0, 40.0, 38.0, 49.0, 1.0, 1.0]);
        assert!(judge_column(rate, &m, 0).verdict == Verdict::Pass);
        assert!(judge_column(rate, &m, 1).verdict == Verdict::Miss);
        let mut m = results(rate, "p99_ms", [1.0, 1.0, 38.0, 49.0, 1.0, 1.0]);
        m.runs[0][0][1].problems.push("1 deliveries lost".into());
        assert!(judge_column(rate, &m, 0).verdict == Verdict::Miss);
    }

    #[test]
    fn without_the_peers_a_relative_row_is_not_judged() {
        let fast = row("fast100");
        let mut m = results(fast, "deliveries_per_sec", [4e6, 4e6, 0.0, 0.0, 1e6, 1e6]);
        m.runs[2][0].clear();
        m.runs[3][0].clear();
        let line = judge_column(fast, &m, 0);
        assert!(line.verdict == Verdict::Info, "{}", line.text);
        // "The best peer" needs both peers: one alone is not judged either.
        m.runs[2][0] = runs_with("deliveries_per_sec", 1e6);
        assert!(judge_column(fast, &m, 0).verdict == Verdict::Info);
        // A fixed target needs no peer.
        let idle = row("idle1000");
        let m = results(idle, "rss_per_client_kib", [19.0, 21.0, 5.0, 7.0, 0.0, 0.0]);
        assert!(judge_column(idle, &m, 0).verdict == Verdict::Pass);
        assert!(judge_column(idle, &m, 1).verdict == Verdict::Miss);
    }

    #[test]
    fn churn_judges_each_server_at_its_best_concurrency() {
        let churn = row("churn");
        let mut m = RowRuns::empty(churn);
        let back = |value: f64| {
            let mut runs = runs_with("cycles_per_sec", value);
            for run in &mut runs {
                for key in ["fds_before", "fds_after", "threads_before", "threads_after"] {
                    run.figures.add(key, key, "8".into(), Some(8.0));
                }
            }
            runs
        };
        // ngIRCd: best at 8 (index 2), slow at 64 from SYN retransmits.
        for (level, value) in [2_000.0, 8_000.0, 10_000.0, 1_050.0]
            .into_iter()
            .enumerate()
        {
            m.runs[NGIRCD][level] = runs_with("cycles_per_sec", value);
            m.runs[0][level] = back(value * 1.6);
            m.runs[1][level] = back(value * 1.4);
        }
        assert_eq!(m.best_level(churn, NGIRCD), 2);
        assert!(judge_column(churn, &m, 0).verdict == Verdict::Pass);
        assert!(judge_column(churn, &m, 1).verdict == Verdict::Miss);
        // A leak at any concurrency is a miss.
        m.runs[0][0][0]
            .figures
            .rows
            .retain(|f| f.key != "fds_after");
        let line = judge_column(churn, &m, 0);
        assert!(line.verdict == Verdict::Miss && line.text.contains("NOT back"));
    }
}
