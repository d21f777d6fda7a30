//! The chat rules: who is connected, who is called what, who is in which
//! room (`state`), flood control (`ratelimit`), per-address limits on
//! connecting (`guard`), wrong passwords per secret and address, every
//! door's the same (`passwords`), and the counters behind an
//! operator's `STATS` (`stats`).
//!
//! The state knows no socket and no thread: a connection is its outbox
//! (the bounded queue, [`crate::outbox`]) plus a way to hang up. The rules
//! queue lines and hand back the turns to write that queueing gave them
//! ([`crate::outbox::Turns`]); the server writes them once the lock is
//! released. So the rules are unit-tested with in-memory queues.

pub(crate) mod guard;
pub(crate) mod passwords;
pub(crate) mod ratelimit;
pub(crate) mod state;
pub(crate) mod stats;

#[cfg(test)]
mod state_tests;
