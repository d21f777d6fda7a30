//! # chatroom
//!
//! The library behind the tutorial's programs. Steps 1 and 2 use only its
//! support code (flags, log lines, signals); step 3 adds the client settings
//! and the line helpers; `step4_server` is thin: it reads its settings and
//! calls [`server::run`]. Tests and the benchmark drive the same code.
//!
//! The folders are the layers, from the bytes on a socket inwards:
//! - [`support`]: what std lacks — flags and `--help` ([`support::cli`]),
//!   log lines, SIGINT/SIGTERM, UTC time as text.
//! - [`server`]: the accept loop, one reader and one writer thread per
//!   connection, capacity limits, the page a browser gets, LAN addresses,
//!   the operator password.
//! - `wire`: bytes → lines ([`wire::framing`]), lines → commands, and events
//!   → the exact lines each dialect receives. Pure code, tested with strings.
//! - `chat`: the rules — users and rooms behind one lock, names, sanitising
//!   ([`chat::sanitize`]), flood control. No sockets, no files: a connection
//!   is its outbox plus a way to hang up.
//! - [`history`]: the message history file, and replay on join;
//!   [`transcript`]: `step4_server transcript` and `attendance`.
//! - [`config`], [`client_config`], [`toml`]: server and client settings.
//!
//! Modules are private unless a step, a test or the benchmark uses them.

pub mod chat;
pub mod support;
pub mod wire;

pub mod server;

pub mod history;
pub mod transcript;

pub mod client_config;
pub mod config;
pub mod toml;

// history.rs and transcript.rs reach these by their old top-level paths; they
// are about to move into src/history/, and will name the new paths then.
use chat::names;
use support::{cli, timestamp};
