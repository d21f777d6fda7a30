//! The chat server's sockets and threads: binding and shutting down
//! ([`run`], [`serve`]), readers that wait in `accept()` (`readers`), one
//! reader and one writer thread per connection (`connection`, reading
//! through `input`, with what the server shares with them in `context`),
//! what a refused connection
//! hears (`refusal`), the reader's side of a browser (`websocket_conn`, `web`,
//! `http_page`) and of an IRC client (`irc_conn`), flood control
//! (`limits`), the door a full server keeps open for an operator
//! (`reserve`), how many connections the machine allows (`capacity`), the
//! machine's addresses for "how to connect" (`addresses`), the addresses
//! with a browser, whose spare connections are not greeted (`browsers`), a
//! name's newcomer waiting for its old holder to leave (`departures`), and
//! the socket as the outbox's [`Sink`](crate::outbox::Sink) (`socket`).

mod accept;
mod addresses;
mod browsers;
mod capacity;
mod connection;
mod context;
mod departures;
mod http_page;
mod input;
mod irc_conn;
mod limits;
mod readers;
mod refusal;
mod reserve;
mod socket;
pub mod web;

pub use accept::{bind, run, serve, Shutdown, DRAIN_TIMEOUT};
