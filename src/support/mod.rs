//! What std lacks and the programs here need: command-line flags, log
//! lines (and a summary of the ones a stranger can cause), signals,
//! calendar time, giving idle stack pages back, a pool of parked threads,
//! glibc's per-thread caches turned off, options of the listening socket,
//! a socket write that never waits
//! and a look at whether a client has hung up, a cheap hash for the
//! server's own counters; SHA-1 and base64 for the
//! WebSocket handshake; SHA-256, HMAC and PBKDF2 for account passwords; a
//! temporary directory for tests.
//! Nothing in this folder knows about chat.

pub mod base64;
pub mod cli;
pub(crate) mod counter_hash;
pub(crate) mod hmac;
pub(crate) mod hung_up;
pub(crate) mod listener_options;
pub mod log;
pub mod malloc;
pub(crate) mod pbkdf2;
pub(crate) mod pool;
pub(crate) mod secret;
pub(crate) mod send_now;
pub(crate) mod sha1;
pub(crate) mod sha256;
pub mod signal;
pub mod stack;
pub mod summary;
pub mod tempdir;
pub mod timestamp;
pub(crate) mod traffic;
