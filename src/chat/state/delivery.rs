//! How the state reaches people: rendering an event once per dialect,
//! queueing it without ever waiting, disconnecting whoever's queue is full
//! (the slow-client policy in the module notes of [`super`]), and storing a
//! message in the history before it is delivered.

use super::{Conn, ConnId, Flow, State};
use crate::history::{Record, RecordKind};
use crate::log;
use crate::outbox::Item;
use crate::support::timestamp;
use crate::wire::command::Dialect;
use crate::wire::event::{Event, Refusal};
use crate::wire::irc::map::{event_lines, Ctx};
use crate::wire::render::{render, too_slow_farewell};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

impl State {
    /// Disconnects everyone whose queue overflowed. Their leaving is itself
    /// broadcast and may overflow someone else, hence the loop.
    pub(super) fn drop_overflowed(&mut self) {
        while let Some(id) = self.out.overflowed.pop() {
            if let Some(conn) = self.conns.get_mut(&id) {
                log!("Disconnected {}: send queue full", conn.who());
                // Its writer may be stuck in write() to a client that reads
                // nothing: shutting the socket down unblocks it. A person in
                // chat mode who is only behind gets a moment to read on and
                // be told why (`nc` would otherwise just stop, and wait for
                // Enter); a program sees the connection close.
                if conn.dialect == Dialect::Chat {
                    conn.outbox.farewell(Arc::from(too_slow_farewell()));
                    let hangup = std::mem::replace(&mut conn.hangup, Box::new(|| {}));
                    hang_up_later(hangup);
                } else {
                    (conn.hangup)();
                }
                self.remove(id, true);
            }
        }
    }

    /// Appends a record to the history. `false` (after logging loudly) if it
    /// could not be stored; the caller then refuses the message.
    pub(super) fn record(
        &mut self,
        id: ConnId,
        kind: RecordKind,
        place: &str,
        sender: &str,
        text: &str,
    ) -> bool {
        let record = Record {
            time_ms: timestamp::now_millis(),
            kind,
            session: Some(id),
            place: place.to_string(),
            sender: sender.to_string(),
            text: text.to_string(),
        };
        match self.history.append(&record) {
            Ok(()) => {
                if self.history.over_limit_pending() {
                    self.warn_operators();
                }
                true
            }
            Err(error) => {
                log!("ERROR: could not write to the history file: {error}; refusing messages until it works again");
                false
            }
        }
    }

    /// Takes `bytes` of the sender's address's history share (see
    /// [`crate::chat::guard`]), or refuses the message with a wait.
    pub(super) fn charge_history(&mut self, id: ConnId, bytes: usize) -> Result<(), Flow> {
        let Some(ip) = self.conns.get(&id).map(|conn| conn.addr.ip()) else {
            return Err(Flow::Close);
        };
        match self.guard.store(ip, bytes, std::time::Instant::now()) {
            Ok(()) => Ok(()),
            Err(wait) => {
                let refusal = Refusal::HistoryShareUsed {
                    mb: self.guard.history_share_mb(),
                    wait_secs: crate::chat::guard::seconds_to_wait(wait),
                };
                Err(self.reply_refusal(id, refusal))
            }
        }
    }

    /// Tells every operator online what the history has to say about
    /// itself (over its size limit), if anything; it waits while nobody is.
    pub(super) fn warn_operators(&mut self) {
        let operators: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, conn)| conn.operator)
            .map(|(&id, _)| id)
            .collect();
        if operators.is_empty() {
            return;
        }
        let Some(text) = self.history.take_over_limit() else {
            return;
        };
        let warning = Event::ServerWarning(text);
        for id in operators {
            self.send(id, &warning);
        }
    }

    pub(super) fn reply_refusal(&mut self, id: ConnId, refusal: Refusal) -> Flow {
        self.send(id, &Event::Refused(refusal));
        Flow::Continue
    }

    pub(super) fn reply(&mut self, id: ConnId, event: Event) -> Flow {
        self.send(id, &event);
        Flow::Continue
    }

    /// Queues `event` for one client, rendered in its dialect.
    pub(super) fn send(&mut self, id: ConnId, event: &Event) {
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        let line: Arc<str> = Arc::from(self.text_for(id, conn, event));
        if let Some((acting, bytes)) = &mut self.acting {
            if *acting == id {
                *bytes += line.len();
            }
        }
        if let Some(conn) = self.conns.get_mut(&id) {
            self.out.queue(id, &mut conn.outbox, Item::Line(line));
        }
    }

    /// `event` as `conn` receives it. IRC lines name their recipient (a
    /// numeric starts with your nick) and may answer a request, so they are
    /// rendered with the connection's nick, room and request.
    pub(super) fn text_for(&self, id: ConnId, conn: &Conn, event: &Event) -> String {
        if conn.dialect == Dialect::Chat {
            let text = match self.mark_teachers(event) {
                Some(marked) => render(&marked, Dialect::Chat),
                None => render(event, Dialect::Chat),
            };
            return match self.said_elsewhere(conn, event) {
                Some(room) => format!("[{room}] {text}"),
                None => text,
            };
        }
        if conn.dialect != Dialect::Irc {
            return render(event, conn.dialect);
        }
        let marked;
        let event = match event {
            Event::Joined { .. } | Event::UserList { .. } => {
                marked = self.mark_operators(event, conn);
                &marked
            }
            _ => event,
        };
        let (answering, target) = self.irc_request_of(id);
        // The room a numeric is about: the one the command named, else
        // the current one.
        let in_question = self.scope.as_ref().or(conn.current.as_ref());
        let room = in_question.and_then(|key| self.rooms.get(key));
        let ctx = Ctx {
            info: &self.settings.irc,
            nick: conn.name.as_deref().unwrap_or("*"),
            room: room.map(|room| room.name.as_str()),
            rooms: &[], // read only when a request is mapped

            operator: conn.operator,
            answering,
            target,
        };
        event_lines(event, &ctx).concat()
    }

    /// Queues `event` for every member of a room (but `except`). The event is
    /// rendered at most once per dialect, and every recipient's queue gets a
    /// pointer to the same text.
    pub(super) fn broadcast(&mut self, room_key: &str, event: &Event, except: Option<ConnId>) {
        self.broadcast_to(
            room_key,
            event,
            |member| Some(member) == except,
            false,
            None,
        );
    }

    /// A broadcast of something `about` did (joined, left, renamed): a
    /// muted person's comings and goings reach operators only, so hopping
    /// rooms or choosing a name like `ExamAnswerIsC` says nothing to the class.
    pub(super) fn broadcast_about(
        &mut self,
        about: ConnId,
        room_key: &str,
        event: &Event,
        except: Option<ConnId>,
    ) {
        let muted = self.conns.get(&about).is_some_and(|c| c.muted);
        self.broadcast_to(
            room_key,
            event,
            |member| Some(member) == except,
            muted,
            None,
        );
    }

    /// [`State::broadcast_about`] to the members not in `except` (those
    /// already told of a quit in another room); returns who was reached.
    pub(super) fn broadcast_about_except(
        &mut self,
        about: ConnId,
        room_key: &str,
        event: &Event,
        except: &HashSet<ConnId>,
    ) -> Vec<ConnId> {
        let muted = self.conns.get(&about).is_some_and(|c| c.muted);
        let mut reached = Vec::new();
        let skip = |member| except.contains(&member);
        self.broadcast_to(room_key, event, skip, muted, Some(&mut reached));
        reached
    }

    fn broadcast_to(
        &mut self,
        room_key: &str,
        event: &Event,
        skip: impl Fn(ConnId) -> bool,
        operators_only: bool,
        reached: Option<&mut Vec<ConnId>>,
    ) {
        let Some(room) = self.rooms.get(room_key) else {
            return;
        };
        let mut rendered = Rendered::default();
        let mut queued = Vec::with_capacity(room.members.len());
        for &member in &room.members {
            if skip(member) {
                continue;
            }
            if let Some(conn) = self.conns.get(&member) {
                if operators_only && !conn.operator {
                    continue;
                }
                queued.push((
                    member,
                    self.rendered_for(&mut rendered, member, conn, event),
                ));
            }
        }
        // Only a quit or a rename needs to know who was told (so that
        // nobody is told twice); a message does not pay for the list.
        if let Some(reached) = reached {
            reached.extend(queued.iter().map(|(member, _)| *member));
        }
        self.queue_all(queued);
    }

    /// The event's text for `conn`, rendered once per dialect (IRC lines
    /// that name their recipient once per recipient).
    pub(super) fn rendered_for(
        &self,
        rendered: &mut Rendered,
        id: ConnId,
        conn: &Conn,
        event: &Event,
    ) -> Arc<str> {
        let slot = match conn.dialect {
            Dialect::Protocol => 0,
            Dialect::Chat if self.said_elsewhere(conn, event).is_some() => 3,
            Dialect::Chat => 1,
            Dialect::Irc if same_for_every_irc_client(event) => 2,
            Dialect::Irc => return Arc::from(self.text_for(id, conn, event)),
        };
        let text = rendered[slot].get_or_insert_with(|| Arc::from(self.text_for(id, conn, event)));
        Arc::clone(text)
    }

    /// Queues each (connection, line).
    pub(super) fn queue_all(&mut self, queued: Vec<(ConnId, Arc<str>)>) {
        // Most of them will be turns to write: one allocation, instead of a
        // list grown through every size up to a room's (each size left
        // behind in this thread's cache of freed blocks).
        self.out.turns.reserve(queued.len());
        for (member, line) in queued {
            if let Some(conn) = self.conns.get_mut(&member) {
                self.out.queue(member, &mut conn.outbox, Item::Line(line));
            }
        }
    }
}

impl State {
    /// Is the person called `name` online an operator?
    fn is_operator(&self, name: &str) -> bool {
        self.names
            .get(&crate::text::names::key(name))
            .and_then(|id| self.conns.get(id))
            .is_some_and(|conn| conn.operator)
    }

    /// For a person's screen (chat mode): what operators say, and their
    /// names in member lists, marked `lee (teacher)`, so a student who took
    /// the name `lee` first cannot pass for her (a name has no spaces, so
    /// nobody can be called that). `None` when nothing needs a mark. The
    /// protocol's lines stay as they are: programs read the names in them.
    fn mark_teachers(&self, event: &Event) -> Option<Event> {
        let mark = |name: &String| match self.is_operator(name) {
            true => format!("{name} (teacher)"),
            false => name.clone(),
        };
        let marked = match event {
            Event::RoomMessage {
                room,
                from,
                text,
                notice,
            } if self.is_operator(from) => Event::RoomMessage {
                room: room.clone(),
                from: mark(from),
                text: text.clone(),
                notice: *notice,
            },
            Event::Action { room, user, text } if self.is_operator(user) => Event::Action {
                room: room.clone(),
                user: mark(user),
                text: text.clone(),
            },
            Event::Private { from, text } if self.is_operator(from) => Event::Private {
                from: mark(from),
                text: text.clone(),
            },
            Event::Joined { room, members } if members.iter().any(|m| self.is_operator(m)) => {
                Event::Joined {
                    room: room.clone(),
                    members: members.iter().map(mark).collect(),
                }
            }
            Event::UserList { room, users, more } if users.iter().any(|u| self.is_operator(u)) => {
                Event::UserList {
                    room: room.clone(),
                    users: users.iter().map(mark).collect(),
                    more: *more,
                }
            }
            _ => return None,
        };
        Some(marked)
    }

    /// A name list with operators as IRC shows them, `@teacher` (the
    /// `PREFIX=(o)@` of `005`); `me` is added to a join's list, marked too.
    fn mark_operators(&self, event: &Event, me: &Conn) -> Event {
        let mark = |name: &String| {
            let operator = self
                .names
                .get(&crate::text::names::key(name))
                .and_then(|id| self.conns.get(id))
                .is_some_and(|conn| conn.operator);
            if operator {
                format!("@{name}")
            } else {
                name.clone()
            }
        };
        match event {
            Event::Joined { room, members } => {
                let mut members: Vec<String> = members.iter().map(mark).collect();
                if let Some(name) = &me.name {
                    members.push(mark(name));
                }
                Event::Joined {
                    room: room.clone(),
                    members,
                }
            }
            Event::UserList { room, users, more } => Event::UserList {
                room: room.clone(),
                users: users.iter().map(mark).collect(),
                more: *more,
            },
            other => other.clone(),
        }
    }
}

/// How long a person dropped as too slow has to take in the batch being
/// written and the farewell before the socket is shut down anyway.
const FAREWELL_GRACE: Duration = Duration::from_secs(2);

/// Calls `hangup` after [`FAREWELL_GRACE`], from a short-lived thread (the
/// state lock must never wait); at once if no thread can be started.
fn hang_up_later(hangup: super::Hangup) {
    let shared = Arc::new(Mutex::new(Some(hangup)));
    let later = Arc::clone(&shared);
    let started = thread::Builder::new().name("hangup".into()).spawn(move || {
        thread::sleep(FAREWELL_GRACE);
        call_once(&later);
    });
    if started.is_err() {
        call_once(&shared);
    }
}

/// Takes the hangup out of its slot and calls it (a poisoned slot only
/// means a panic elsewhere; the hangup in it is still good).
fn call_once(slot: &Mutex<Option<super::Hangup>>) {
    let taken = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(hangup) = taken {
        hangup();
    }
}

/// An event's text per dialect slot (protocol, chat, IRC, and chat for
/// someone whose current room is another: `[#lab] bob: hi`), made on
/// first use.
pub(super) type Rendered = [Option<Arc<str>>; 4];

impl State {
    /// A chat-mode person reads the lines of their current room as they
    /// are, and those said in their other rooms marked with the room:
    /// `[#lab] bob: hi`. The room to mark, if any.
    fn said_elsewhere<'e>(&self, conn: &Conn, event: &'e Event) -> Option<&'e str> {
        if conn.dialect != Dialect::Chat {
            return None;
        }
        let room = match event {
            Event::RoomMessage { room, .. } | Event::Action { room, .. } => room,
            _ => return None,
        };
        // Room names are ASCII, and a key is the name in lower case.
        let current = conn.current.as_deref();
        let here = current.is_some_and(|key| key.eq_ignore_ascii_case(room));
        (!here).then_some(room.as_str())
    }
}

/// Events whose IRC lines do not depend on who receives them: they come
/// from a user's prefix and name a room, never the recipient.
fn same_for_every_irc_client(event: &Event) -> bool {
    matches!(
        event,
        Event::RoomMessage { .. }
            | Event::Action { .. }
            | Event::UserJoined { .. }
            | Event::UserLeft { .. }
            | Event::NickChanged { .. }
            | Event::TopicSet { .. }
            | Event::Kicked { .. }
    )
}
