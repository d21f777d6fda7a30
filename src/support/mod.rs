//! What std lacks and every program here needs: command-line flags, log
//! lines, signals and calendar time. Nothing in this folder knows about chat.

pub mod cli;
pub mod log;
pub mod signal;
pub mod timestamp;
