//! The wire format, as pure code tested with strings: bytes become lines
//! ([`framing`]), lines become commands (`command`), and what happened
//! (`event`) becomes the exact lines each dialect receives (`render`). The
//! browser's and IRC's framings live here too ([`http_request`],
//! [`websocket`], [`irc`]: the IRC dialect's line format, handshake and
//! mapping, which the server's IRC reader uses).
//! Nothing in this folder knows about sockets, users or rooms.

pub mod command;
pub mod event;
pub mod framing;
pub mod http_request;
pub mod irc;
pub(crate) mod render;
pub mod websocket;
