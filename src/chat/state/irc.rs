//! What the IRC dialect needs from the rules: the handshake's questions
//! ([`Lookup`]: is this nick taken, is the password right), a way to queue
//! the lines IRC answers without the rules (`PONG`, `CAP`, `MODE`), the
//! request being answered (so a `401` names the nick that was asked for),
//! and the two commands only IRC has today, `WHOIS` and `AWAY`.
//!
//! The rules stay the same for everyone: an IRC client registers through
//! [`State::register`] like the other dialects, so names are checked,
//! made unique and refused as look-alikes in one place.

use super::delivery::queue;
use super::{Applied, ConnId, Flow, State};
use crate::chat::names;
use crate::server::constant_time_eq;
use crate::wire::command::{Command, Dialect};
use crate::wire::event::{Event, Refusal};
use crate::wire::irc::map::ServerInfo;
use crate::wire::irc::register::Lookup;
use std::sync::Arc;

impl Lookup for State {
    fn nick_taken(&self, nick: &str) -> bool {
        self.names.contains_key(&names::key(nick))
    }

    fn password_ok(&self, given: Option<&str>) -> bool {
        match (&self.settings.password, given) {
            (None, _) => true,
            (Some(expected), Some(given)) => {
                constant_time_eq(given.as_bytes(), expected.as_bytes())
            }
            (Some(_), None) => false,
        }
    }
}

impl State {
    /// What IRC clients are told about this server.
    pub fn irc_info(&self) -> Arc<ServerInfo> {
        Arc::clone(&self.settings.irc)
    }

    /// This connection speaks IRC from now on (its first line said so), so
    /// even refusals before it registers are IRC lines.
    pub fn speaks_irc(&mut self, id: ConnId) {
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.dialect = Dialect::Irc;
        }
    }

    /// The connection's nick (if registered) and the name of its room.
    pub fn irc_view(&self, id: ConnId) -> Option<(Option<String>, Option<String>)> {
        let conn = self.conns.get(&id)?;
        let room = conn.room.as_ref().map(|key| self.room_name(key));
        Some((conn.name.clone(), room))
    }

    /// Queues lines already formatted (IRC answers that need no rules).
    pub fn send_lines(&mut self, id: ConnId, lines: &str) {
        if lines.is_empty() {
            return;
        }
        if let Some(conn) = self.conns.get(&id) {
            let line = Arc::from(lines);
            queue(
                id,
                conn,
                &line,
                &mut self.overflowed,
                &mut self.doorbells,
                &mut self.deliveries,
            );
        }
        self.drop_overflowed();
    }

    /// [`State::apply`] for an IRC request: `verb` and `target` are what
    /// was asked, so that the replies can name them.
    pub fn apply_irc(&mut self, id: ConnId, command: Command, verb: &str, target: &str) -> Applied {
        self.irc_request = Some((id, verb.to_string(), target.to_string()));
        let applied = self.apply(id, Dialect::Irc, command);
        self.irc_request = None;
        applied
    }

    pub(super) fn whois(&mut self, id: ConnId, user: &str) -> Flow {
        let found = self
            .names
            .get(&names::key(user))
            .and_then(|o| self.conns.get(o));
        let Some(conn) = found else {
            return self.reply_refusal(id, Refusal::UserNotFound);
        };
        let event = Event::WhoIs {
            user: conn.name.clone().unwrap_or_default(),
            room: conn.room.as_ref().map(|key| self.room_name(key)),
            operator: conn.operator,
            away: conn.away.clone(),
        };
        self.reply(id, event)
    }

    pub(super) fn away(&mut self, id: ConnId, text: Option<String>) -> Flow {
        let Some(conn) = self.conns.get_mut(&id) else {
            return Flow::Close;
        };
        let text = text.map(|t| crate::chat::sanitize::clean(&t).into_owned());
        let away = text.as_ref().is_some_and(|t| !t.trim().is_empty());
        conn.away = text.filter(|_| away);
        self.reply(id, Event::AwaySet(away))
    }

    /// Remembers why `id` is about to quit (IRC's `QUIT :reason`), so the
    /// room is told.
    pub fn set_quit_reason(&mut self, id: ConnId, reason: &str) {
        if let Some(conn) = self.conns.get_mut(&id) {
            let reason = crate::chat::sanitize::clean(reason).into_owned();
            conn.quit_reason = Some(reason).filter(|r| !r.trim().is_empty());
        }
    }

    /// The IRC request being answered for `id`: (verb, target), or empty.
    pub(super) fn irc_request_of(&self, id: ConnId) -> (&str, &str) {
        match &self.irc_request {
            Some((asker, verb, target)) if *asker == id => (verb, target),
            _ => ("", ""),
        }
    }
}
