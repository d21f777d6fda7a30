//! The text rules every layer above shares: which names are valid and
//! which look alike ([`names`], [`confusables`]), which characters may
//! reach another person's screen ([`sanitize`]), and how many columns
//! they take there ([`width`]).
//!
//! They sit below the wire format because the wire, the history's
//! transcript, the settings and the chat rules all apply them, and a rule
//! about text must be the same wherever it is applied: a name refused at
//! `/nick` is refused in a settings file's `default_room` too, and what the
//! transcript prints is cleaned exactly as what the room saw. Pure
//! functions on strings, tested with strings; nothing here knows about
//! connections, rooms or files.

pub(crate) mod confusables;
pub(crate) mod names;
pub mod sanitize;
pub(crate) mod width;
