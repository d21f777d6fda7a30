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
//!
//! The parts: this file holds the columns, the selection and the running;
//! `peer_rows.rs` the rows and their targets; `peer_judge.rs` the verdicts;
//! `peer_report.rs` the Markdown.

use crate::peer_judge::{judge_row, RowRuns};
use crate::peer_report;
use crate::peer_rows::{Row, ROWS};
use crate::peers::Peer;
use crate::profile::Profile;
use crate::report::verdict_word;
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
pub const NGIRCD: usize = 2;
pub const PEERS: [usize; 2] = [2, 3];
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

    pub fn is_chatroom(self) -> bool {
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

    fn row(id: &str) -> &'static Row {
        ROWS.iter().find(|row| row.id == id).unwrap()
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
