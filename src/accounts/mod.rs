//! Accounts: the class list a teacher makes before class, so that a name
//! belongs to its student and moderation can follow the person.
//!
//! - [`password`]: how a password is stored — PBKDF2-HMAC-SHA-256 with a
//!   per-account random salt, checked in constant time — and one-time codes.
//! - [`file`](mod@file): the accounts file (`accounts.tsv` in the data
//!   directory): read strictly (a damaged file stops the server with one line
//!   naming the file and line, and is never overwritten), written atomically
//!   (temporary file, `fsync`, rename) and readable only by its owner.
//! - [`session`]: the page's sessions — random tokens kept only as hashes,
//!   ended by time, `LOGOUT`, `accounts reset` and a new password.
//! - [`command`]: `step4_server accounts add|list|remove|reset`, the teacher's
//!   way to make the list without editing a file by hand.
//!
//! This layer sits between the history and the settings: it uses only
//! `support` (the hashes, randomness) and `text` (what a valid name is, and
//! look-alikes), and knows nothing of connections.

pub mod command;
pub mod file;
pub mod password;
pub mod session;

pub use file::{Account, Accounts, Role, FILE_NAME};
