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

pub mod cli;
pub mod log;
pub mod signal;
pub mod timestamp;
pub mod toml;

// The chat server (step 4).
pub mod addresses;
pub mod config;
pub mod history;
pub mod http_page;
pub mod names;
pub mod secret;
pub mod transcript;

// The chat client (step 3).
pub mod client_config;
