//! The wire format, as pure code tested with strings: bytes become lines
//! ([`framing`]), lines become commands (`command`), and what happened
//! (`event`) becomes the exact lines each dialect receives (`render`).
//! Nothing in this folder knows about sockets, users or rooms.

pub(crate) mod command;
pub(crate) mod event;
pub mod framing;
pub(crate) mod render;
