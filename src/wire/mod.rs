//! The wire format, as pure code tested with strings: bytes become lines
//! ([`framing`]), a new connection's first lines say what kind of client
//! it is ([`opening`]), lines become commands (`command`), and what
//! happened (`event`) becomes the exact lines each dialect receives
//! (`render`). The browser's and IRC's framings live here too
//! ([`http_request`], [`websocket`], `irc`: the IRC dialect's line format,
//! handshake and mapping, which the server's IRC reader uses).
//!
//! Nothing in this folder knows about sockets, connections or the shared
//! state: an event carries everything its lines need.

pub(crate) mod command;
pub(crate) mod event;
pub mod framing;
pub mod http_request;
pub(crate) mod irc;
pub(crate) mod opening;
pub(crate) mod render;
pub mod websocket;

/// The command table's spellings, for client programs (the step 3 client).
pub use command::{spellings, Spelling};
