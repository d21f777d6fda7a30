//! `chat_bench peers` (`make bench-peers`): issue 25's workloads against
//! step4_server, ngIRCd and InspIRCd, side by side, judged by ratios to the
//! best peer, written into BENCHMARKS.md as its own section.
//!
//! step4_server runs every workload four times over: in its line protocol
//! (chat_bench's `--profile chatroom`) and in its IRC dialect (`--profile
//! irc`, exactly the peers' wire work), each with its fast path on (the
//! default) and off (`--no-direct-send`, every line through its client's
//! writer thread). Verdicts are given on the fast path on only, and a row
//! passes only when *both* chatroom columns, line and IRC, meet its target;
//! the fast-path-off figures are reported beside them, so the design chapter
//! can say what the fast path buys at each row.
//!
//! Why back to back in each repetition (the six servers one after the
//! other, then again): a shared machine's speed drifts over minutes, and a
//! ratio is only fair when both sides saw the same machine. Every run starts
//! a fresh server (see `server.rs`, `peers.rs`) and stops it by its pid, and
//! the medians of 3 are taken per server. Every server gets the same
//! workload: the same clients, messages, rate, window and line length. Only
//! the connect concurrency differs: ngIRCd's listen backlog is 10, so its
//! clients connect 8 at once; the others 64 at once (chat_bench's default),
//! which if anything lengthens their join latency. The churn row measures
//! every server at 1, 4, 8 and 64 cycles in flight and judges each at its
//! best (`peer_rows.rs`).
//!
//! `--rows` and `--only` run a part (the lead's quiet machine is not always
//! free for an hour); a part is printed rather than written over the whole
//! comparison in BENCHMARKS.md, unless `--out` says where.
//!
//! A target is never tuned here: each row's target is the issue's, and a
//! column with any unclean run (loss, timeout, disconnection) is a MISS.

use crate::peer_report;
use crate::peer_rows::{Check, Goal, Reference, Row, ROWS};
use crate::peers::Peer;
use crate::profile::Profile;
use crate::report::{clean, median_of, verdict_word, Verdict};
use crate::scenarios::{Figures, Run, Settings};
use chatroom::log;
use std::fs;
use std::path::Path;

/// Connections opening at once for ngIRCd, whose listen backlog is 10;
/// step4_server and InspIRCd (backlog 4096 here) get chat_bench's default.
pub const NGIRCD_CONNECT_AT_ONCE: usize = 8;

/// How long one run may take: InspIRCd completes a registration about a
/// second after it starts (a timer of its own), so its 5,000 joins take
/// over a minute at 64 at once.
const RUN_TIMEOUT_SECS: &str = "600";

/// One column of the comparison: a server, and for step4_server the
/// protocol its clients speak and whether its fast path is on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Contender {
    Chatroom { profile: Profile, fast_path: bool },
    Peer(Peer),
}

/// The columns, in the order they run in each repetition.
pub const CONTENDERS: [Contender; 6] = [
    Contender::Chatroom {
        profile: Profile::Chatroom,
        fast_path: true,
    },
    Contender::Chatroom {
        profile: Profile::Irc,
        fast_path: true,
    },
    Contender::Peer(Peer::Ngircd),
    Contender::Peer(Peer::Inspircd),
    Contender::Chatroom {
        profile: Profile::Chatroom,
        fast_path: false,
    },
    Contender::Chatroom {
        profile: Profile::Irc,
        fast_path: false,
    },
];

/// Where ngIRCd is in [`CONTENDERS`] (the churn and join rows' reference).
const NGIRCD: usize = 2;
const PEERS: [usize; 2] = [2, 3];
/// The judged chatroom columns (fast path on): line, IRC.
pub const JUDGED: [usize; 2] = [0, 1];
/// The same columns with the fast path off, in the same order.
pub const FAST_PATH_OFF: [usize; 2] = [4, 5];

impl Contender {
    /// The name `--only` takes.
    pub fn name(self) -> &'static str {
        match self {
            Contender::Chatroom {
                profile: Profile::Chatroom,
                fast_path: true,
            } => "line",
            Contender::Chatroom {
                profile: Profile::Irc,
                fast_path: true,
            } => "irc",
            Contender::Chatroom {
                profile: Profile::Chatroom,
                fast_path: false,
            } => "line-off",
            Contender::Chatroom {
                profile: Profile::Irc,
                fast_path: false,
            } => "irc-off",
            Contender::Peer(peer) => peer.name(),
        }
    }

    /// The report's column heading.
    pub fn label(self) -> &'static str {
        match self.name() {
            "line" => "chatroom line",
            "irc" => "chatroom IRC",
            "line-off" => "chatroom line, fast path off",
            "irc-off" => "chatroom IRC, fast path off",
            "ngircd" => "ngIRCd",
            _ => "InspIRCd",
        }
    }

    fn is_chatroom(self) -> bool {
        matches!(self, Contender::Chatroom { .. })
    }
}

/// Which rows and columns to run (`--rows`, `--only`).
pub struct Selection {
    /// Indices into [`ROWS`], in table order.
    pub rows: Vec<usize>,
    /// Indices into [`CONTENDERS`], in running order.
    pub contenders: Vec<usize>,
}

impl Selection {
    /// `rows`: ids or 1-based numbers; `only`: contender names or the groups
    /// `step4` (the four chatroom columns), `peers` and `fast-path-off`.
    pub fn parse(rows: Option<&str>, only: Option<&str>) -> Result<Selection, String> {
        let mut row_set = vec![false; ROWS.len()];
        match rows {
            None => row_set.fill(true),
            Some(list) => {
                for word in list.split(',').map(str::trim) {
                    let index = match word.parse::<usize>() {
                        Ok(n) if (1..=ROWS.len()).contains(&n) => Some(n - 1),
                        _ => ROWS.iter().position(|row| row.id == word),
                    };
                    let Some(index) = index else {
                        let ids: Vec<&str> = ROWS.iter().map(|row| row.id).collect();
                        return Err(format!(
                            "invalid value \"{word}\" for --rows: expected 1 to {} or one of {}",
                            ROWS.len(),
                            ids.join(", ")
                        ));
                    };
                    row_set[index] = true;
                }
            }
        }
        let mut column_set = [false; CONTENDERS.len()];
        match only {
            None => column_set.fill(true),
            Some(list) => {
                for word in list.split(',').map(str::trim) {
                    let group: &[usize] = match word {
                        "step4" => &[0, 1, 4, 5],
                        "peers" => &PEERS,
                        "fast-path-off" => &FAST_PATH_OFF,
                        _ => match CONTENDERS.iter().position(|c| c.name() == word) {
                            Some(index) => &[index][..],
                            None => {
                                return Err(format!(
                                    "invalid value \"{word}\" for --only: expected line, irc, \
line-off, irc-off, ngircd, inspircd, step4, peers or fast-path-off"
                                ))
                            }
                        },
                    };
                    for &index in group {
                        column_set[index] = true;
                    }
                }
            }
        }
        Ok(Selection {
            rows: (0..ROWS.len()).filter(|&i| row_set[i]).collect(),
            contenders: (0..CONTENDERS.len()).filter(|&i| column_set[i]).collect(),
        })
    }

    pub fn is_everything(&self) -> bool {
        self.rows.len() == ROWS.len() && self.contenders.len() == CONTENDERS.len()
    }

    pub fn has(&self, contender: usize) -> bool {
        self.contenders.contains(&contender)
    }

    /// The contenders that run `row`.
    fn columns_of<'a>(&'a self, row: &'a Row) -> impl Iterator<Item = usize> + 'a {
        self.contenders
            .iter()
            .copied()
            .filter(move |&c| row.peers_too || CONTENDERS[c].is_chatroom())
    }
}

/// The connect concurrencies a row runs at: its sweep, or `None` for each
/// server's usual one.
pub fn levels(row: &Row) -> Vec<Option<usize>> {
    if row.sweep.is_empty() {
        vec![None]
    } else {
        row.sweep.iter().copied().map(Some).collect()
    }
}

/// The command line of one run: the workload, the server, the profile, the
/// fast path, the concurrency.
pub fn command_line(row: &Row, contender: Contender, level: Option<usize>) -> Vec<String> {
    let mut args: Vec<String> = row.args.split_whitespace().map(String::from).collect();
    let (server, profile) = match contender {
        Contender::Chatroom { profile, .. } => ("step4", profile),
        Contender::Peer(peer) => (peer.name(), Profile::Irc),
    };
    args.extend(["--server".into(), server.into()]);
    args.extend(["--profile".into(), profile.name().into()]);
    if let Contender::Chatroom {
        fast_path: false, ..
    } = contender
    {
        args.push("--no-direct-send".into());
    }
    let paced = contender.is_chatroom() && row.paced_like_ngircd;
    let at_once = match level {
        Some(level) => Some(level),
        None if contender == Contender::Peer(Peer::Ngircd) || paced => Some(NGIRCD_CONNECT_AT_ONCE),
        None => None,
    };
    if let Some(at_once) = at_once {
        args.extend(["--connect-at-once".into(), at_once.to_string()]);
    }
    args.extend(["--timeout".into(), RUN_TIMEOUT_SECS.into()]);
    args
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
                (best, all_clean, !ran.is_empty())
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
        "not judged (no peer ran)"
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

/// Runs the selected rows `runs` times on each selected server and writes
/// the section into `out` (or prints it).
pub fn run(out: Option<&Path>, runs: usize, selection: &Selection) -> Result<(), String> {
    let missing: Vec<String> = PEERS
        .into_iter()
        .filter(|&p| selection.has(p))
        .filter_map(|p| match CONTENDERS[p] {
            Contender::Peer(peer) if !peer.is_installed() => Some(format!(
                "{} (Debian package {})",
                peer.binary().display(),
                peer.name()
            )),
            _ => None,
        })
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the peers suite needs {}; install it, or leave it out with --only",
            missing.join(" and ")
        ));
    }
    // The suite sets the fast path itself, per column; an inherited
    // setting would silently turn the "on" columns off.
    if std::env::var_os(chatroom::settings::server::DIRECT_SEND_VAR).is_some() {
        return Err(format!(
            "{} is set: the peers suite runs step4_server with its fast path on and off \
itself; unset it and run again",
            chatroom::settings::server::DIRECT_SEND_VAR
        ));
    }
    // Every run's command line, parsed before the first one starts: a
    // mistake or a too-low `ulimit -n` stops the suite now, not after an hour.
    let mut plans = Vec::new();
    for &r in &selection.rows {
        let row = &ROWS[r];
        let mut row_plans = Vec::new();
        for c in selection.columns_of(row) {
            for (l, level) in levels(row).into_iter().enumerate() {
                let args = command_line(row, CONTENDERS[c], level);
                let (scenario, settings) = settings_for(&args)?;
                crate::enough_open_files(&scenario, &settings)?;
                row_plans.push((c, l, args.join(" "), scenario, settings));
            }
        }
        plans.push((r, row_plans));
    }
    let started = chatroom::support::timestamp::now_millis();
    let mut measured = Vec::new();
    for (r, row_plans) in &plans {
        let row = &ROWS[*r];
        let mut results = RowRuns::empty(row);
        for round in 1..=runs {
            for (c, l, command, scenario, settings) in row_plans {
                log!("peers: {} ({round} of {runs}): {command}", row.id);
                let run = crate::run_scenario(scenario, settings).unwrap_or_else(|e| Run {
                    figures: Figures::default(),
                    problems: vec![e],
                });
                for problem in &run.problems {
                    log!("peers: problem: {problem}");
                }
                println!("{}", run.figures.key_values());
                results.runs[*c][*l].push(run);
            }
        }
        let commands: Vec<(usize, usize, String)> = row_plans
            .iter()
            .map(|(c, l, command, _, _)| (*c, *l, command.clone()))
            .collect();
        let judged = judge_row(row, &results);
        log!(
            "peers: {}: {} {}",
            row.id,
            judged.verdict_text,
            verdict_word(judged.verdict)
        );
        measured.push((row, results, commands, judged));
    }
    let section = peer_report::section(&measured, selection, started, runs);
    match out {
        Some(out) => {
            let existing = fs::read_to_string(out).unwrap_or_default();
            let text = crate::report::with_section(&existing, &section);
            fs::write(out, text).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            println!("wrote {}", out.display());
        }
        None => println!("{section}"),
    }
    for (row, _, _, judged) in &measured {
        println!(
            "{:<5} {}: {}",
            verdict_word(judged.verdict),
            row.id,
            judged.verdict_text
        );
    }
    Ok(())
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

    #[test]
    fn every_run_names_its_server_profile_fast_path_and_concurrency() {
        let fast = row("fast1000");
        let line = command_line(fast, CONTENDERS[NGIRCD], None).join(" ");
        assert!(
            line.ends_with("--server ngircd --profile irc --connect-at-once 8 --timeout 600"),
            "{line}"
        );
        let line = command_line(fast, CONTENDERS[5], None).join(" ");
        assert!(
            line.ends_with("--server step4 --profile irc --no-direct-send --timeout 600"),
            "{line}"
        );
        let line = command_line(fast, CONTENDERS[0], None).join(" ");
        assert!(
            line.ends_with("--server step4 --profile chatroom --timeout 600"),
            "{line}"
        );
        let line = command_line(row("churn"), CONTENDERS[3], Some(64)).join(" ");
        assert!(line.contains("--connect-at-once 64"), "{line}");
        for row in ROWS {
            for c in Selection::parse(None, None).unwrap().columns_of(row) {
                for level in levels(row) {
                    let args = command_line(row, CONTENDERS[c], level);
                    settings_for(&args).unwrap_or_else(|e| panic!("{e}"));
                }
            }
        }
        // The 10,000-client row is chatroom's alone.
        let all = Selection::parse(None, None).unwrap();
        let columns: Vec<usize> = all.columns_of(row("idle10000")).collect();
        assert_eq!(columns, vec![0, 1, 4, 5]);
    }

    #[test]
    fn selections_name_rows_and_servers() {
        let s = Selection::parse(Some("churn,1"), Some("step4,ngircd")).unwrap();
        assert_eq!(s.rows.len(), 2);
        assert_eq!(s.contenders, vec![0, 1, 2, 4, 5]);
        assert!(!s.is_everything());
        assert!(Selection::parse(None, None).unwrap().is_everything());
        let s = Selection::parse(None, Some("line,fast-path-off")).unwrap();
        assert_eq!(s.contenders, vec![0, 4, 5]);
        let e = Selection::parse(Some("nope"), None).err().unwrap();
        assert!(e.contains("--rows") && e.contains("churn"), "{e}");
        let e = Selection::parse(None, Some("unreal")).err().unwrap();
        assert!(e.contains("--only"), "{e}");
    }
}
