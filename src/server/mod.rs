//! The chat server's sockets and threads: the accept loop ([`run`]), one
//! reader and one writer thread per connection, the queue between them and
//! whose turn it is to write ([`outbox`]; a sender writing for clients who
//! keep up, [`write_now`]), the reader's side of an IRC client (`irc_conn`), what a
//! browser's request gets ([`web`]) and its WebSocket (`websocket_conn.rs`,
//! part of the reader), how many connections the machine allows, the
//! plain-text help page, the machine's addresses for
//! "how to connect", and the operator password.

mod accept;
mod addresses;
mod capacity;
mod connection;
mod http_page;
mod irc_conn;
mod limits;
pub mod outbox;
mod secret;
pub mod web;
pub mod write_now;
mod writer;

pub use accept::{run, DRAIN_TIMEOUT};
pub(crate) use secret::constant_time_eq;
