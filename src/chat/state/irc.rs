//! What the IRC dialect needs from the rules: the handshake's questions
//! ([`Lookup`]: is this nick taken; has this connection given the password), a way to queue
//! the lines IRC answers without the rules (`PONG`, `CAP`, `MODE`), the
//! request being answered (so a `401` names the nick that was asked for),
//! the commands only IRC has today (`WHOIS`, `AWAY`, `NAMES`/`WHO`/`TOPIC`
//! of a room you are not in, CTCP between people), and the `MODE +o` that
//! tells IRC clients who the teacher is.
//!
//! The rules stay the same for everyone: an IRC client registers through
//! [`State::register`] like the other dialects, so names are checked,
//! made unique and refused as look-alikes in one place.

use super::{Applied, ConnId, Flow, State};
use crate::outbox::Item;
use crate::text::names;
use crate::wire::command::{Command, Dialect};
use crate::wire::event::{Event, Refusal};
use crate::wire::irc::map::{ctcp_verb, RoomQuery, ServerInfo};
use crate::wire::irc::register::Lookup;
use crate::wire::irc::{self as wire_irc, user_prefix};
use std::sync::Arc;

impl Lookup for State {
    fn nick_taken(&self, nick: &str) -> bool {
        self.names.contains_key(&names::key(nick))
    }

    fn sasl_offered(&self) -> bool {
        self.has_accounts()
    }
}

impl State {
    /// Has this connection given the door password (or is there none)?
    /// IRC's handshake asks before it registers a nick.
    pub fn authenticated(&self, id: ConnId) -> bool {
        self.conns.get(&id).is_some_and(|conn| conn.authenticated)
    }

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

    /// The connection's nick (if registered), the names of its rooms
    /// (the current one first), and whether it is an operator.
    pub fn irc_view(&self, id: ConnId) -> Option<(Option<String>, Vec<String>, bool)> {
        let conn = self.conns.get(&id)?;
        let current = conn.current.iter();
        let others = conn
            .rooms
            .iter()
            .filter(|key| Some(*key) != conn.current.as_ref());
        let rooms = current.chain(others).map(|key| self.room_name(key));
        Some((conn.name.clone(), rooms.collect(), conn.operator))
    }

    /// Queues lines already formatted (IRC answers that need no rules).
    pub fn send_lines(&mut self, id: ConnId, lines: &str) {
        if lines.is_empty() {
            return;
        }
        if let Some(conn) = self.conns.get_mut(&id) {
            let line = Item::Line(Arc::from(lines));
            self.out.queue(id, &mut conn.outbox, line);
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
            return self.reply_refusal(id, Refusal::UserNotFound(user.to_string()));
        };
        let event = Event::WhoIs {
            user: conn.name.clone().unwrap_or_default(),
            // Every room, space-separated (IRC's `319` lists them so).
            room: Some(conn.rooms.iter().map(|key| self.room_name(key)))
                .map(|rooms| rooms.collect::<Vec<_>>().join(" "))
                .filter(|rooms| !rooms.is_empty()),
            operator: conn.operator,
            away: conn.away.clone(),
            ident: conn.irc_user.clone(),
        };
        self.reply(id, event)
    }

    pub(super) fn away(&mut self, id: ConnId, text: Option<String>) -> Flow {
        let Some(conn) = self.conns.get_mut(&id) else {
            return Flow::Close;
        };
        let text = text.map(|t| crate::text::sanitize::clean(&t).into_owned());
        let away = text.as_ref().is_some_and(|t| !t.trim().is_empty());
        // The text is sent as `301` to whoever messages them: a muted
        // person's would be a way round the mute, so theirs says only that.
        let muted = conn.muted;
        conn.away = text
            .filter(|_| away)
            .map(|text| if muted { "Away".to_string() } else { text });
        self.reply(id, Event::AwaySet(away))
    }

    /// Remembers why `id` is about to quit (IRC's `QUIT :reason`), so the
    /// room is told. Shown as `Quit: reason`, as ngIRCd and InspIRCd do:
    /// the server's own quit messages (`Killed (…)`, `Ping timeout`) have no
    /// prefix, so a reason someone typed cannot pass for one. A muted
    /// person's reason is not passed on at all (it is text to the room).
    pub fn set_quit_reason(&mut self, id: ConnId, reason: &str) {
        if let Some(conn) = self.conns.get_mut(&id) {
            let reason = crate::text::sanitize::clean(reason).into_owned();
            conn.quit_reason = Some(format!("Quit: {reason}"))
                .filter(|_| !reason.trim().is_empty() && !conn.muted);
        }
    }

    /// Keeps the user name and real name an IRC client gave in `USER`, for
    /// `WHOIS`: cleaned of control characters, the user name cut to one
    /// word of at most 20 characters and the real name to 50.
    pub fn set_irc_user(&mut self, id: ConnId, username: &str, realname: &str) {
        if let Some(conn) = self.conns.get_mut(&id) {
            let clean = |text: &str, most: usize| -> String {
                crate::text::sanitize::clean(text)
                    .chars()
                    .take(most)
                    .collect()
            };
            let username: String = clean(username, 20).split(' ').next().unwrap_or("").into();
            conn.irc_user =
                Some((username, clean(realname, 50))).filter(|(username, _)| !username.is_empty());
        }
    }

    /// Remembers why `id` is about to leave a room (IRC's `PART #room
    /// :reason`), so the room is told; forgotten once it has left.
    pub fn set_part_reason(&mut self, id: ConnId, reason: Option<&str>) {
        if let Some(conn) = self.conns.get_mut(&id) {
            let reason = reason.map(|r| crate::text::sanitize::clean(r).into_owned());
            conn.part_reason = reason.filter(|r| !r.trim().is_empty());
        }
    }

    /// `USERHOST`: each nick found, with operator and away marks.
    pub fn irc_userhost(&mut self, id: ConnId, nicks: &[String]) {
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        let found: Vec<(String, bool, bool)> = nicks
            .iter()
            .filter_map(|nick| self.conns.get(self.names.get(&names::key(nick))?))
            .filter_map(|c| Some((c.name.clone()?, c.operator, c.away.is_some())))
            .collect();
        let ctx = crate::wire::irc::map::Ctx {
            nick: conn.name.as_deref().unwrap_or("*"),
            ..crate::wire::irc::map::Ctx::anonymous(&self.settings.irc)
        };
        let line = crate::wire::irc::map::userhost_line(&ctx, &found);
        self.send_lines(id, &line);
    }

    /// `LUSERS`: the counts, as IRC's `251`-`255`, `265`, `266`.
    pub fn irc_lusers(&mut self, id: ConnId) {
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        let people = self.conns.values().filter(|c| c.name.is_some());
        let operators = people.clone().filter(|c| c.operator).count();
        let people = people.count();
        let nameless = self.conns.len() - people;
        let ctx = crate::wire::irc::map::Ctx {
            nick: conn.name.as_deref().unwrap_or("*"),
            ..crate::wire::irc::map::Ctx::anonymous(&self.settings.irc)
        };
        let lines = crate::wire::irc::map::lusers_lines(
            &ctx,
            people,
            operators,
            nameless,
            self.rooms.len(),
        );
        self.send_lines(id, &lines.concat());
    }

    /// The IRC request being answered for `id`: (verb, target), or empty.
    pub(super) fn irc_request_of(&self, id: ConnId) -> (&str, &str) {
        match &self.irc_request {
            Some((asker, verb, target)) if *asker == id => (verb, target),
            _ => ("", ""),
        }
    }

    /// `NAMES`, `WHO` or `TOPIC` of a room `id` may not be in: its members
    /// (none, so just `366`/`315`, when it does not exist) or its topic
    /// (`403` when it does not exist). `verb` and `typed` are the request.
    /// Returns the bytes queued, for flood control (see
    /// [`Applied::reply_bytes`]).
    pub fn irc_about(&mut self, id: ConnId, query: RoomQuery, verb: &str, typed: &str) -> usize {
        self.irc_request = Some((id, verb.to_string(), typed.to_string()));
        self.acting = Some((id, 0));
        let key = names::normalize_room(typed).map(|room| names::key(&room));
        let room = key.as_ref().and_then(|key| self.rooms.get(key));
        let event = match (query, room) {
            (RoomQuery::Topic, None) => Event::Refused(Refusal::InvalidRoom),
            (RoomQuery::Topic, Some(room)) => Event::TopicIs {
                room: room.name.clone(),
                topic: room.topic.clone(),
                set: room.topic_set.clone(),
            },
            (RoomQuery::List, room) => {
                let rooms = room.map(|room| (room.name.clone(), room.members.len()));
                Event::RoomList(rooms.into_iter().collect(), None, Default::default())
            }
            (_, room) => {
                let mut users: Vec<String> = room
                    .iter()
                    .flat_map(|room| &room.members)
                    .filter_map(|member| self.conns.get(member)?.name.clone())
                    .collect();
                users.sort_by_key(|name| names::key(name));
                let shown = room.map_or_else(|| typed.to_string(), |room| room.name.clone());
                // IRC's NAMES of another room is whole, like its own (irssi).
                Event::UserList {
                    room: Some(shown),
                    users,
                    more: None,
                }
            }
        };
        self.send(id, &event);
        self.irc_request = None;
        self.drop_overflowed();
        self.acting.take().map_or(0, |(_, bytes)| bytes)
    }

    /// A CTCP query or reply from `id` (an IRC client) to the person `to`.
    /// Between IRC users it is relayed as it is, since only their clients
    /// know their version or clock. The other dialects have no CTCP and
    /// would show `\x01` as garbage, so they never see it: the server
    /// answers `VERSION`, `PING`, `TIME` and `CLIENTINFO` for them, saying
    /// so in the `VERSION`, and says with a notice that any other query
    /// cannot be answered. A reply (`notice`) to someone not on IRC is
    /// dropped: they asked nothing.
    pub fn irc_ctcp(&mut self, id: ConnId, to: &str, notice: bool, body: &str) {
        let found = self.names.get(&names::key(to)).copied();
        let (Some(conn), Some(target)) = (self.conns.get(&id), found) else {
            if !notice {
                self.irc_request = Some((id, "PRIVMSG".into(), to.to_string()));
                self.reply_refusal(id, Refusal::UserNotFound(to.to_string()));
                self.irc_request = None;
            }
            return;
        };
        let Some(target_conn) = self.conns.get(&target) else {
            return;
        };
        // A muted person reaches no one but operators, CTCP included.
        if conn.muted && !target_conn.operator {
            return;
        }
        let from = conn.name.clone().unwrap_or_default();
        let to = target_conn.name.clone().unwrap_or_default();
        let verb = if notice { "NOTICE" } else { "PRIVMSG" };
        if target_conn.dialect == Dialect::Irc {
            // The client's own line fitted in 512 bytes, but our prefix may
            // be longer than what it sent: cut the body to what fits.
            let overhead = user_prefix(&from).len() + verb.len() + to.len() + 8;
            let budget = wire_irc::MAX_LINE_BYTES.saturating_sub(overhead);
            // Cleaning also drops any `\x01` inside, which would end the CTCP.
            let body = crate::text::sanitize::clean(body);
            let body = wire_irc::split_text(&body, budget)
                .first()
                .copied()
                .unwrap_or("")
                .to_string();
            let text = format!("\x01{body}\x01");
            let line = wire_irc::text_lines(&user_prefix(&from), verb, &to, &text, false);
            self.send_lines(target, &line.concat());
            return;
        }
        if notice {
            return;
        }
        let uses = match (target_conn.web_page, target_conn.dialect) {
            (true, _) => "uses the web page",
            (false, Dialect::Protocol) => "uses a program",
            (false, _) => "uses nc or telnet",
        };
        let note = format!("({to} {uses}; answered by the server)");
        let now = crate::support::timestamp::human(crate::support::timestamp::now_millis());
        let line = match wire_irc::ctcp_answer(body, &note, &now) {
            Some(reply) => {
                wire_irc::text_lines(&user_prefix(&to), "NOTICE", &from, &reply, false).concat()
            }
            None => {
                let text = format!("{to} {uses}, which cannot answer CTCP {}", ctcp_verb(body));
                let server = &self.settings.irc.name;
                wire_irc::text_lines(server, "NOTICE", &from, &text, false).concat()
            }
        };
        self.send_lines(id, &line);
    }

    /// Tells the IRC members of `rooms` (keys) that `id` is an operator,
    /// the way IRC does: `:server MODE #room +o nick`, so clients show
    /// `@nick` (the `PREFIX=(o)@` of `005`). Called when someone becomes
    /// operator (in any dialect: all their rooms) and when an operator
    /// joins a room; `except` is who already knows (a joiner sees `@` in
    /// its own `353`).
    pub(super) fn tell_irc_operator(
        &mut self,
        id: ConnId,
        rooms: &[String],
        except: Option<ConnId>,
    ) {
        for key in rooms {
            self.tell_irc_operator_in(id, key, except);
        }
    }

    fn tell_irc_operator_in(&mut self, id: ConnId, key: &str, except: Option<ConnId>) {
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        let Some(name) = conn.name.clone() else {
            return;
        };
        if !conn.operator {
            return;
        }
        let Some(room) = self.rooms.get(key) else {
            return;
        };
        let line: Arc<str> = Arc::from(wire_irc::line(
            &self.settings.irc.name,
            "MODE",
            &[&room.name, "+o", &name],
        ));
        let queued: Vec<(ConnId, Arc<str>)> = room
            .members
            .iter()
            .copied()
            .filter(|&member| Some(member) != except)
            .filter(|member| {
                self.conns
                    .get(member)
                    .is_some_and(|c| c.dialect == Dialect::Irc)
            })
            .map(|member| (member, Arc::clone(&line)))
            .collect();
        self.queue_all(queued); // `apply` drops the overflowed after
    }
}
