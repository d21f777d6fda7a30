//! Timestamped log lines on stderr, shared by every program in the project.
//!
//! Every step and the server log to **stderr**, so stdout stays free for a
//! program's real output (the chat client's conversation, a transcript), and a
//! teacher can send one to a file and keep the other on screen. Each line
//! starts with a UTC RFC 3339 time from [`crate::support::timestamp`].
//!
//! Why not `eprintln!`? It panics when stderr is gone (a closed terminal, a
//! broken pipe). A server must not die because nobody reads its log, so a
//! failed log write is ignored here.

use std::fmt;
use std::io::Write;

/// Writes one log line: `<time> <message>`. Use the [`log!`](crate::log!)
/// macro rather than calling this directly.
pub fn write(message: fmt::Arguments) {
    let now = crate::support::timestamp::rfc3339(crate::support::timestamp::now_millis());
    // One `write_all` of one finished line while holding stderr's lock, so
    // lines from different threads never interleave mid-line.
    let line = format!("{now} {message}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// `log!("Accepted connection from: {addr}")` writes a timestamped line to
/// stderr. Same arguments as `format!`.
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => {
        $crate::support::log::write(format_args!($($arg)*))
    };
}
