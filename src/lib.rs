//! # chatroom
//!
//! The library behind the tutorial's programs. The step binaries in `steps/`
//! are thin: they parse flags and call into these modules, so that tests and
//! the benchmark can drive the same code, and so each module can be read on
//! its own. Every module does one thing:
//!
//! Shared by all steps:
//! - [`cli`]: command-line flags, `--help`, usage errors and exit codes.
//! - [`log`]: timestamped log lines on stderr.
//! - [`timestamp`]: UTC time as text, both ways (std has no calendar).
//! - [`signal`]: SIGINT/SIGTERM → a clean shutdown (std has no signal API).
//! - [`toml`]: the small TOML subset the settings files are written in.
//!
//! The chat server (step 4), in the order a line travels through it:
//! - [`server`]: bind, announce, the accept loop, graceful shutdown.
//! - [`connection`]: one connection's reader and writer threads and cleanup.
//! - [`capacity`]: how many connections the machine's limits allow.
//! - [`framing`]: bytes → lines (line endings, telnet, backspace, length cap).
//! - [`ratelimit`]: flood control, a token bucket per connection.
//! - [`command`]: a line → a [`command::Command`], in either dialect.
//! - [`state`]: users and rooms behind one lock; acting on commands.
//! - [`names`]: the rules for user and room names.
//! - [`sanitize`]: no control characters reach another person's terminal.
//! - [`event`]: what happened, before it is words.
//! - [`render`]: events → the exact lines each dialect receives.
//! - [`history`]: the message history file, and replay on join.
//! - [`transcript`]: `step4_server transcript` and `attendance`.
//! - [`config`]: settings from defaults, file, environment and flags.
//! - [`secret`]: random operator password, constant-time comparison.
//! - [`addresses`]: the machine's LAN addresses, for "how to connect".
//! - [`http_page`]: the page a web browser gets instead of chat.
//! - [`irc`]: the IRC dialect: wire format, numerics, registration, mapping.
//!
//! The chat client (step 3):
//! - [`client_config`]: defaults from `client.toml` in the config folder.

pub mod cli;
pub mod log;
pub mod signal;
pub mod timestamp;
pub mod toml;

// The chat server (step 4).
pub mod addresses;
pub mod capacity;
pub mod command;
pub mod config;
pub mod connection;
pub mod event;
pub mod framing;
pub mod history;
pub mod http_page;
#[path = "wire/irc.rs"]
pub mod irc;
pub mod names;
pub mod ratelimit;
pub mod render;
pub mod sanitize;
pub mod secret;
pub mod server;
pub mod state;
pub mod transcript;

// The chat client (step 3).
pub mod client_config;
