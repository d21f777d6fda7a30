//! The chat rules: who is connected, who is called what, who is in which
//! room (`state`), and the small rules they use: valid names (`names`) and
//! which letters look alike ([`confusables`]),
//! text that is safe to show ([`sanitize`]), flood control
//! (`ratelimit`), per-address limits on connecting and guessing (`guard`),
//! and the counters behind an operator's `STATS` ([`stats`]). Nothing in this folder touches a socket; a connection is
//! only its outbox and a way to hang up, so the rules are unit-tested with
//! in-memory queues.

pub mod confusables;
pub(crate) mod guard;
pub(crate) mod names;
pub(crate) mod ratelimit;
pub mod sanitize;
pub(crate) mod state;
pub mod stats;

#[cfg(test)]
mod state_tests;
