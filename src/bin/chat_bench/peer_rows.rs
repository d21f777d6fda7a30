//! The rows of `chat_bench peers`: issue 25's workloads and their targets,
//! one row each, as data. A row says what runs (the same command line for
//! every server), which figures are read from it, and what each figure must
//! be against what: the best peer, ngIRCd alone, or a fixed number.
//!
//! Why a table: the targets are the issue's and are read by people deciding
//! whether the server is done, so each must be one line that can be checked
//! against the issue's text, not a judgement spread over a function. The
//! judging itself (`peer_suite.rs`) is the same for every row.
//!
//! A target is never tuned here: it is the issue's, and a moonshot is only
//! named in the row's text.

use crate::report::thousands;

/// What one figure of a row is judged against.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reference {
    /// The better of ngIRCd's and InspIRCd's medians.
    BestPeer,
    /// ngIRCd's median alone.
    Ngircd,
    /// The number in the goal itself.
    Fixed,
}

/// The target of one figure.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Goal {
    /// Higher is better: at least `factor` × the reference's (with
    /// [`Reference::Fixed`], at least `factor`).
    AtLeast(Reference, f64),
    /// Lower is better: at most `factor` × the reference's (or `factor`).
    AtMost(Reference, f64),
    /// Reported, not judged; lower is better.
    Shown,
}

impl Goal {
    pub fn higher_is_better(self) -> bool {
        matches!(self, Goal::AtLeast(..))
    }

    pub fn reference(self) -> Option<Reference> {
        match self {
            Goal::AtLeast(reference, _) | Goal::AtMost(reference, _) => Some(reference),
            Goal::Shown => None,
        }
    }
}

/// One figure of a row: the `key=value` key a run prints, how to show it,
/// and its goal.
pub struct Measure {
    pub key: &'static str,
    pub show: fn(f64) -> String,
    pub goal: Goal,
}

/// A condition on every run of a chatroom column, beyond its figures.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Nothing,
    /// The client that never reads was disconnected in every run.
    SlowClientDisconnected,
    /// The server's fds and threads were back to their start after churn.
    FdsAndThreadsBack,
}

/// One row of the comparison.
pub struct Row {
    /// For `--rows` and the report: short and stable.
    pub id: &'static str,
    pub what: &'static str,
    /// The command line after `chat_bench`, without server, profile,
    /// concurrency and timeout (`peer_suite.rs` adds those).
    pub args: &'static str,
    pub target: &'static str,
    pub measures: &'static [Measure],
    pub check: Check,
    /// Connect concurrencies every server is measured at, each judged at
    /// its best; empty: each server's usual one (see
    /// `peer_suite::NGIRCD_CONNECT_AT_ONCE`).
    pub sweep: &'static [usize],
    /// step4_server's clients connect as few at once as ngIRCd's: for the
    /// row judged against ngIRCd alone on a latency that depends on it.
    pub paced_like_ngircd: bool,
    /// Whether ngIRCd and InspIRCd run it too (the 10,000-client row is a
    /// target for chatroom alone: no peer is compared).
    pub peers_too: bool,
}

pub fn millions(v: f64) -> String {
    format!("{:.2} M", v / 1e6)
}

pub fn ms(v: f64) -> String {
    format!("{v:.2} ms")
}

pub fn pct(v: f64) -> String {
    format!("{v:.0} %")
}

pub fn kib(v: f64) -> String {
    format!("{v:.1} KiB")
}

pub fn seconds(v: f64) -> String {
    format!("{v:.1} s")
}

pub fn count(v: f64) -> String {
    thousands(v)
}

const DELIVERIES_AT_LEAST_1_5: &[Measure] = &[Measure {
    key: "deliveries_per_sec",
    show: millions,
    goal: Goal::AtLeast(Reference::BestPeer, 1.5),
}];

const IDLE_RSS: &[Measure] = &[Measure {
    key: "rss_per_client_kib",
    show: kib,
    goal: Goal::AtMost(Reference::Fixed, 20.0),
}];

/// The churn row's connect concurrencies (issue 25, item 2).
pub const CHURN_SWEEP: &[usize] = &[1, 4, 8, 64];

pub const ROWS: &[Row] = &[
    Row {
        id: "fast1000",
        what: "1,000 clients, 10 senders, as fast as possible (16 unconfirmed each): deliveries/s",
        args: "fanout --clients 1000 --senders 10 --messages 500 --window 16",
        target: "≥ 1.5 × the best peer",
        measures: DELIVERIES_AT_LEAST_1_5,
        check: Check::Nothing,
        sweep: &[],
        paced_like_ngircd: false,
        peers_too: true,
    },
    Row {
        id: "fast100",
        what: "100 clients, 10 senders, as fast as possible (16 unconfirmed each): deliveries/s",
        args: "fanout --clients 100 --senders 10 --messages 5000 --window 16",
        target: "≥ 1.5 × the best peer (moonshot 2.5 ×)",
        measures: DELIVERIES_AT_LEAST_1_5,
        check: Check::Nothing,
        sweep: &[],
        paced_like_ngircd: false,
        peers_too: true,
    },
    Row {
        id: "rate1000",
        what: "1,000 clients, 200 msg/s: p99",
        args: "fanout --clients 1000 --senders 10 --messages 200 --rate 200",
        target: "p99 ≤ the best peer's",
        measures: &[Measure {
            key: "p99_ms",
            show: ms,
            goal: Goal::AtMost(Reference::BestPeer, 1.0),
        }],
        check: Check::Nothing,
        sweep: &[],
        paced_like_ngircd: false,
        peers_too: true,
    },
    Row {
        id: "rate100",
        what: "100 clients, 200 msg/s: p99 / server CPU",
        args: "fanout --clients 100 --senders 10 --messages 200 --rate 200",
        target: "p99 ≤ the best peer's, server CPU ≤ 1.5 × the best peer's",
        measures: &[
            Measure {
                key: "p99_ms",
                show: ms,
                goal: Goal::AtMost(Reference::BestPeer, 1.0),
            },
            Measure {
                key: "server_cpu_pct",
                show: pct,
                goal: Goal::AtMost(Reference::BestPeer, 1.5),
            },
        ],
        check: Check::Nothing,
        sweep: &[],
        paced_like_ngircd: false,
        peers_too: true,
    },
    Row {
        id: "cpu1000",
        what: "1,000 clients, 20 msg/s: server CPU",
        args: "fanout --clients 1000 --senders 10 --messages 20 --rate 20",
        target: "server CPU ≤ the best peer's",
        measures: &[Measure {
            key: "server_cpu_pct",
            show: pct,
            goal: Goal::AtMost(Reference::BestPeer, 1.0),
        }],
        check: Check::Nothing,
        sweep: &[],
        paced_like_ngircd: false,
        peers_too: true,
    },
    Row {
        id: "join1000",
        what: "1,000 clients join one room: join p50 / server CPU for the joins",
        args: "fanout --clients 1000 --senders 1 --messages 1",
        target: "no more than ngIRCd's (both)",
        measures: &[
            Measure {
                key: "join_p50_ms",
                show: ms,
                goal: Goal::AtMost(Reference::Ngircd, 1.0),
            },
            Measure {
                key: "join_cpu_s",
                show: |v| format!("{v:.2} s"),
                goal: Goal::AtMost(Reference::Ngircd, 1.0),
            },
        ],
        check: Check::Nothing,
        sweep: &[],
        // A join's latency is mostly waiting behind the joins already under
        // way (64 at once for 64 ms each is 1,000 joins a second, 8 at once
        // for 8 ms is the same speed): compared with ngIRCd's 8 at once,
        // step4_server's clients join 8 at once too.
        paced_like_ngircd: true,
        peers_too: true,
    },
    Row {
        id: "slow100",
        what: "100 clients at 5,000 msg/s of 400 bytes, plus one that never reads: the others' p99",
        args: "slow --clients 100 --senders 10 --messages 2000 --rate 5000 --line-bytes 400",
        target: "it is disconnected; the others' p99 ≤ the best peer's",
        measures: &[Measure {
            key: "p99_ms",
            show: ms,
            goal: Goal::AtMost(Reference::BestPeer, 1.0),
        }],
        check: Check::SlowClientDisconnected,
        sweep: &[],
        paced_like_ngircd: false,
        peers_too: true,
    },
    Row {
        id: "idle1000",
        what: "idle, 1,000 joined in one room: server RSS per connection",
        args: "idle --clients 1000 --room-size 1000",
        target: "≤ 20 KiB per connection (moonshot 12 KiB)",
        measures: IDLE_RSS,
        check: Check::Nothing,
        sweep: &[],
        paced_like_ngircd: false,
        peers_too: true,
    },
    Row {
        id: "idle5000",
        what: "idle, 5,000 joined (rooms of 100): server RSS per connection / time to set up",
        args: "idle --clients 5000 --room-size 100",
        target: "≤ 20 KiB per connection (moonshot 12 KiB); the time is shown",
        measures: &[
            Measure {
                key: "rss_per_client_kib",
                show: kib,
                goal: Goal::AtMost(Reference::Fixed, 20.0),
            },
            Measure {
                key: "connect_s",
                show: seconds,
                goal: Goal::Shown,
            },
        ],
        check: Check::Nothing,
        sweep: &[],
        paced_like_ngircd: false,
        peers_too: true,
    },
    Row {
        id: "churn",
        what: "churn (connect, register, quit), 2,000 cycles or 10 s, at each server's best \
connect concurrency of 1, 4, 8 and 64: cycles/s",
        args: "churn --cycles 2000 --duration 10",
        target: "≥ 1.5 × ngIRCd's (moonshot 3 ×); fds and threads back to their start",
        measures: &[Measure {
            key: "cycles_per_sec",
            show: count,
            goal: Goal::AtLeast(Reference::Ngircd, 1.5),
        }],
        check: Check::FdsAndThreadsBack,
        sweep: CHURN_SWEEP,
        paced_like_ngircd: false,
        peers_too: true,
    },
    Row {
        id: "idle10000",
        what: "10,000 idle clients on stock limits (rooms of 100), then one broadcast: \
clients it reached / the max_clients the server lowered itself to (n/a: not lowered) / time \
to set up",
        args: "idle --clients 10000 --room-size 100",
        target: "10,000 reached (moonshot 15,000); chatroom only",
        measures: &[
            Measure {
                key: "broadcast_reached",
                show: count,
                goal: Goal::AtLeast(Reference::Fixed, 10_000.0),
            },
            Measure {
                key: "server_max_clients",
                show: count,
                goal: Goal::Shown,
            },
            Measure {
                key: "connect_s",
                show: seconds,
                goal: Goal::Shown,
            },
        ],
        check: Check::Nothing,
        sweep: &[],
        paced_like_ngircd: false,
        peers_too: false,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_row_has_a_judged_figure() {
        for (i, row) in ROWS.iter().enumerate() {
            assert!(
                ROWS[i + 1..].iter().all(|other| other.id != row.id),
                "{}",
                row.id
            );
            assert!(
                row.measures.iter().any(|m| m.goal != Goal::Shown),
                "{}",
                row.id
            );
        }
    }

    #[test]
    fn the_issues_targets_are_all_here_and_none_is_relaxed() {
        let goal = |id: &str, key: &str| {
            let row = ROWS.iter().find(|row| row.id == id).unwrap();
            row.measures.iter().find(|m| m.key == key).unwrap().goal
        };
        use Reference::*;
        assert_eq!(
            goal("fast1000", "deliveries_per_sec"),
            Goal::AtLeast(BestPeer, 1.5)
        );
        assert_eq!(
            goal("fast100", "deliveries_per_sec"),
            Goal::AtLeast(BestPeer, 1.5)
        );
        assert_eq!(goal("rate1000", "p99_ms"), Goal::AtMost(BestPeer, 1.0));
        assert_eq!(goal("rate100", "p99_ms"), Goal::AtMost(BestPeer, 1.0));
        assert_eq!(
            goal("rate100", "server_cpu_pct"),
            Goal::AtMost(BestPeer, 1.5)
        );
        assert_eq!(
            goal("cpu1000", "server_cpu_pct"),
            Goal::AtMost(BestPeer, 1.0)
        );
        assert_eq!(goal("slow100", "p99_ms"), Goal::AtMost(BestPeer, 1.0));
        for id in ["idle1000", "idle5000"] {
            assert_eq!(goal(id, "rss_per_client_kib"), Goal::AtMost(Fixed, 20.0));
        }
        assert_eq!(goal("churn", "cycles_per_sec"), Goal::AtLeast(Ngircd, 1.5));
        assert_eq!(
            goal("idle10000", "broadcast_reached"),
            Goal::AtLeast(Fixed, 10_000.0)
        );
        let churn = ROWS.iter().find(|row| row.id == "churn").unwrap();
        assert_eq!(churn.sweep, &[1, 4, 8, 64]);
    }
}
