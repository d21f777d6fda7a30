//! The room commands: joining and leaving rooms, choosing the current one,
//! saying something there (`MSG`, `/me`), private messages, and the room
//! and user lists.
//!
//! A person may be in several rooms at once (up to `max_rooms_per_person`):
//! chat mode and IRC always, a protocol program after `MULTIROOM` (seed
//! 002's programs expect `JOIN` to leave the room they were in, so that
//! stays the default). One of a person's rooms is the *current* one: where
//! a plain line goes, and what `LEAVE`, `TOPIC`, `USERS` and `KICK` act on
//! when they name no room; a command that names its room arrives as
//! `Command::In` and acts there ([`State::act_in`]). Every
//! message is recorded in the history before it is queued to anyone (see
//! the state's module notes for why under the lock).

use super::{ConnId, Flow, Room, Speech, State};
use crate::history::RecordKind;
use crate::log;
use crate::text::{names, sanitize};
use crate::wire::command::{Command, Dialect};
use crate::wire::event::{Event, More, Recalled, Refusal, Yours};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Names on one page of `USERS`. 100: a whole class (the defaults are
/// chosen for about 60) fits on the first page, so nobody in class ever
/// needs a second one, and the browser page's member list is complete;
/// 100 names are about 800 bytes (2 KB at most), which costs a line or two
/// of output charge (`OUTPUT_BYTES_PER_TOKEN`). A lecture of 800 is 8
/// pages, each asked for on purpose.
pub const USERS_PER_PAGE: usize = 100;

/// Rooms on one page of `ROOMS`. Room names are longer than user names
/// (up to 32 characters with the `#`), so 30 keep a page near 500 bytes too.
pub const ROOMS_PER_PAGE: usize = 30;

/// How long a kick keeps the kicked name and address out of the room it
/// was kicked from. Two minutes: WeeChat rejoins 10 s after a kick and
/// irssi can be told to at once, so without it a kick would undo itself;
/// long enough for the teacher to see the point made, short enough that a
/// person who reconnects under a new name is not locked out of the class
/// for the lesson (a longer ban is `KICK bob 10m reason`). Once people
/// have accounts, the kick follows the account instead.
pub const KICK_KEEPS_OUT: Duration = Duration::from_secs(120);

/// Who was kicked from which room, until when: room key → (name key,
/// address, until). Old entries are dropped whenever the room is checked.
pub(super) type Kicked = HashMap<String, Vec<(String, IpAddr, Instant)>>;

impl State {
    /// `JOIN`: into the room (made if new), which becomes the current one.
    /// In one-room mode (seed 002's protocol) the room you were in is left
    /// first; otherwise it is added, up to `max_rooms_per_person`. Joining
    /// a room you are in makes it the current one (one-room: refused).
    pub(super) fn join(&mut self, id: ConnId, typed: &str) -> Flow {
        let Some(room_name) = names::normalize_room(typed) else {
            return self.reply_refusal(id, Refusal::InvalidRoom);
        };
        let key = names::key(&room_name);
        let Some(conn) = self.conns.get(&id) else {
            return Flow::Close;
        };
        if conn.rooms.contains(&key) {
            let shown = self.room_name(&key);
            if !conn.multi {
                return self.reply_refusal(id, Refusal::AlreadyIn(shown));
            }
            return self.switch(id, &shown);
        }
        if conn.multi && conn.rooms.len() >= self.settings.max_rooms_per_person {
            let max = self.settings.max_rooms_per_person;
            return self.reply_refusal(id, Refusal::TooManyRooms(max));
        }
        let user = conn.name.clone().unwrap_or_default();
        let (user_key, ip, multi) = (names::key(&user), conn.addr.ip(), conn.multi);
        if let Some(wait) = self.kept_out(&key, &user_key, ip) {
            let shown = self.room_name(&key);
            log!(
                "{} may not rejoin {shown} for {wait} s (kicked)",
                self.describe(id)
            );
            return self.reply_refusal(id, Refusal::KeptOut(shown, wait));
        }
        if !multi {
            self.leave_all_rooms(id, true, None, "");
        }

        let room = self.rooms.entry(key.clone()).or_insert_with(|| Room {
            name: room_name,
            members: Vec::new(),
            topic: None,
            topic_set: None,
        });
        let members: Vec<String> = room
            .members
            .iter()
            .filter_map(|member| self.conns.get(member)?.name.clone())
            .collect();
        room.members.push(id);
        let shown = room.name.clone();
        let topic = room.topic.clone();
        let set = room.topic_set.clone();
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.rooms.push(key.clone());
            conn.current = Some(key.clone());
        }
        self.record(id, RecordKind::Join, &shown, &user, "");

        self.send(
            id,
            &Event::Joined {
                room: shown.clone(),
                members,
            },
        );
        if topic.is_some() {
            self.send(
                id,
                &Event::TopicIs {
                    room: shown.clone(),
                    topic,
                    set,
                },
            );
        }
        let records: Vec<Recalled> = (self.history.recent(&shown).into_iter())
            .map(|record| Recalled {
                time_ms: record.time_ms,
                action: record.kind == RecordKind::Action,
                sender: record.sender,
                text: record.text,
            })
            .collect();
        if !records.is_empty() {
            let timed = self.conns.get(&id).is_some_and(|conn| conn.timed_history);
            self.send(
                id,
                &Event::Recent {
                    room: shown.clone(),
                    records,
                    timed,
                },
            );
        }
        self.broadcast_about(id, &key, &Event::UserJoined { room: shown, user }, Some(id));
        self.tell_irc_operator(id, &[key], Some(id));
        Flow::Continue
    }

    /// `SWITCH`: a room you are in becomes the current one. IRC clients
    /// name a channel on every line, so they are told nothing.
    pub(super) fn switch(&mut self, id: ConnId, typed: &str) -> Flow {
        let Some(room_name) = names::normalize_room(typed) else {
            return self.reply_refusal(id, Refusal::InvalidRoom);
        };
        let key = names::key(&room_name);
        let Some(conn) = self.conns.get_mut(&id) else {
            return Flow::Close;
        };
        if !conn.rooms.contains(&key) {
            return self.reply_refusal(id, Refusal::NotIn(room_name));
        }
        conn.current = Some(key.clone());
        if conn.dialect == Dialect::Irc {
            return Flow::Continue;
        }
        let room = self.room_name(&key);
        self.reply(id, Event::Current { room })
    }

    /// `MULTIROOM`: from now on `JOIN` adds a room (see [`State::join`]).
    pub(super) fn multi_room(&mut self, id: ConnId) -> Flow {
        let Some(conn) = self.conns.get_mut(&id) else {
            return Flow::Close;
        };
        conn.multi = true;
        self.reply(id, Event::MultiRoom)
    }

    /// A room-scoped command that named its room (`Command::In`): acted on
    /// in that room, which the sender must be in.
    pub(super) fn act_in(
        &mut self,
        id: ConnId,
        line_dialect: Dialect,
        typed: &str,
        command: Command,
    ) -> Flow {
        let Some(room_name) = names::normalize_room(typed) else {
            return self.reply_refusal(id, Refusal::InvalidRoom);
        };
        let key = names::key(&room_name);
        let inside = self.conns.get(&id).is_some_and(|c| c.rooms.contains(&key));
        if !inside {
            let refusal = match self.rooms.get(&key) {
                Some(room) => Refusal::NotIn(room.name.clone()),
                None => Refusal::NoSuchRoom(room_name),
            };
            return self.reply_refusal(id, refusal);
        }
        let outer = self.scope.replace(key);
        let flow = self.act(id, line_dialect, command);
        self.scope = outer;
        flow
    }

    /// The key of the room a room-scoped command acts on: the one it named
    /// (see [`State::act_in`]), else the sender's current room.
    pub(super) fn room_of(&self, id: ConnId) -> Option<String> {
        if let Some(key) = &self.scope {
            return Some(key.clone());
        }
        self.conns.get(&id)?.current.clone()
    }

    /// Seconds left before a person kicked from `room_key` under this name
    /// or from this address may join it again, if any.
    fn kept_out(&mut self, room_key: &str, user_key: &str, ip: IpAddr) -> Option<u64> {
        let now = Instant::now();
        let list = self.kicked.get_mut(room_key)?;
        list.retain(|(_, _, until)| *until > now);
        let left = list
            .iter()
            .filter(|(name, addr, _)| name == user_key || *addr == ip)
            .map(|(_, _, until)| *until - now)
            .max();
        if list.is_empty() {
            self.kicked.remove(room_key);
        }
        left.map(crate::chat::guard::seconds_to_wait)
    }

    /// Keeps `id`'s name and address out of `room_key` for
    /// [`KICK_KEEPS_OUT`].
    pub(super) fn keep_out(&mut self, id: ConnId, room_key: &str) {
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        let name = names::key(conn.name.as_deref().unwrap_or_default());
        let until = Instant::now() + KICK_KEEPS_OUT;
        let list = self.kicked.entry(room_key.to_string()).or_default();
        list.push((name, conn.addr.ip(), until));
    }

    /// `LEAVE`: out of the current room (or the one named), which is told.
    /// Another room you are in becomes the current one, and you are told
    /// which (except on IRC, where every line names its channel).
    pub(super) fn leave(&mut self, id: ConnId) -> Flow {
        let Some(key) = self.room_of(id) else {
            return self.reply_refusal(id, Refusal::NotInRoom);
        };
        let was_current = self.conns.get(&id).and_then(|c| c.current.clone()) == Some(key.clone());
        let reason = self.conns.get(&id).and_then(|c| c.part_reason.clone());
        let Some(room) = self.leave_one_room(id, &key, true, None, "") else {
            return self.reply_refusal(id, Refusal::NotInRoom);
        };
        self.reply(id, Event::Left { room, reason });
        let Some(conn) = self.conns.get(&id) else {
            return Flow::Close;
        };
        if let (Some(now), true) = (conn.current.clone(), conn.dialect != Dialect::Irc) {
            if was_current {
                let room = self.room_name(&now);
                return self.reply(id, Event::Current { room });
            }
        }
        Flow::Continue
    }

    /// A message to the speaker's room.
    pub(super) fn say(&mut self, id: ConnId, text: &str) -> Flow {
        self.speak(id, text, RecordKind::Message)
    }

    /// `/me waves`: an action in the speaker's room.
    pub(super) fn action(&mut self, id: ConnId, text: &str) -> Flow {
        self.speak(id, text, RecordKind::Action)
    }

    /// What `say` and `action` share: check, store, then deliver. Stored
    /// before it is delivered, so whatever anyone received is on disk.
    fn speak(&mut self, id: ConnId, text: &str, kind: RecordKind) -> Flow {
        let speech = match self.speech(id, text) {
            Ok(speech) => speech,
            Err(flow) => return flow,
        };
        let action = kind == RecordKind::Action;
        if !self.record(id, kind, &speech.room, &speech.user, &speech.text) {
            return self.reply_refusal(id, Refusal::CouldNotStore);
        }
        let (room, user, text) = (speech.room, speech.user, speech.text);
        // IRC's `NOTICE #room :text` stays a notice for IRC members.
        let notice = self.irc_request_of(id).0 == "NOTICE";
        let event = match action {
            true => Event::Action { room, user, text },
            false => Event::RoomMessage {
                room,
                from: user,
                text,
                notice,
            },
        };
        self.broadcast(&speech.room_key, &event, speech.except);
        Flow::Continue
    }

    /// What `say` and `action` both check first: the speaker is not muted,
    /// is in a room, and has something to say once cleaned.
    pub(super) fn speech(&mut self, id: ConnId, text: &str) -> Result<Speech, Flow> {
        let Some(conn) = self.conns.get(&id) else {
            return Err(Flow::Close);
        };
        if conn.muted {
            return Err(self.reply_refusal(id, Refusal::Muted));
        }
        let Some(room_key) = self.room_of(id) else {
            return Err(self.reply_refusal(id, Refusal::NotInRoom));
        };
        let text = sanitize::clean(text).into_owned();
        if text.trim().is_empty() {
            return Err(self.reply_refusal(id, Refusal::EmptyMessage));
        }
        let user = conn.name.clone().unwrap_or_default();
        // A program wants its own line back, in the room's true order;
        // a person (and an IRC client) already shows what was typed.
        let except = (conn.dialect != Dialect::Protocol).then_some(id);
        self.charge_history(id, text.len())?;
        Ok(Speech {
            room: self.room_name(&room_key),
            room_key,
            user,
            text,
            except,
        })
    }

    pub(super) fn private(&mut self, id: ConnId, to: &str, text: &str) -> Flow {
        let Some(&target) = self.names.get(&names::key(to)) else {
            return self.reply_refusal(id, Refusal::UserNotFound(to.to_string()));
        };
        let (Some(conn), Some(target_conn)) = (self.conns.get(&id), self.conns.get(&target)) else {
            return self.reply_refusal(id, Refusal::UserNotFound(to.to_string()));
        };
        // Muted users may still ask an operator for help.
        if conn.muted && !target_conn.operator {
            return self.reply_refusal(id, Refusal::Muted);
        }
        let text = sanitize::clean(text).into_owned();
        if text.trim().is_empty() {
            return self.reply_refusal(id, Refusal::EmptyMessage);
        }
        let from = conn.name.clone().unwrap_or_default();
        let to = target_conn.name.clone().unwrap_or_default();
        let away = target_conn.away.clone();
        if let Err(flow) = self.charge_history(id, text.len()) {
            return flow;
        }
        if !self.record(id, RecordKind::Private, &format!("@{to}"), &from, &text) {
            return self.reply_refusal(id, Refusal::CouldNotStore);
        }
        self.send(
            target,
            &Event::Private {
                from,
                text: text.clone(),
            },
        );
        if let Some(away) = away {
            let user = to.clone();
            self.send(id, &Event::IsAway { user, text: away });
        }
        self.reply(id, Event::Sent { to, text })
    }

    pub(super) fn list_rooms(&mut self, id: ConnId, page: usize) -> Flow {
        let mut keys: Vec<&String> = self.rooms.keys().collect();
        keys.sort();
        let rooms: Vec<(String, usize)> = keys
            .into_iter()
            .filter_map(|key| self.rooms.get(key))
            .map(|room| (room.name.clone(), room.members.len()))
            .collect();
        let yours = match self.conns.get(&id) {
            Some(conn) => Yours {
                rooms: conn.rooms.iter().map(|key| self.room_name(key)).collect(),
                current: conn.current.as_ref().map(|key| self.room_name(key)),
            },
            None => Yours::default(),
        };
        match one_page(rooms, page, ROOMS_PER_PAGE) {
            Ok((rooms, more)) => self.reply(id, Event::RoomList(rooms, more, yours)),
            Err(refusal) => self.reply_refusal(id, refusal),
        }
    }

    pub(super) fn list_users(&mut self, id: ConnId, page: usize) -> Flow {
        let Some(conn) = self.conns.get(&id) else {
            return Flow::Close;
        };
        let room_key = self.room_of(id);
        // IRC's NAMES is never cut: irssi fills its nick list from it and
        // has no way to ask for the rest. It is still charged by its size.
        let per_page = match conn.dialect {
            Dialect::Irc => usize::MAX,
            _ => USERS_PER_PAGE,
        };
        let mut users: Vec<String> = match &room_key {
            Some(key) => self
                .rooms
                .get(key)
                .map(|room| {
                    room.members
                        .iter()
                        .filter_map(|member| self.conns.get(member)?.name.clone())
                        .collect()
                })
                .unwrap_or_default(),
            None => self
                .conns
                .values()
                .filter_map(|conn| conn.name.clone())
                .collect(),
        };
        users.sort_by_key(|name| names::key(name));
        let room = room_key.map(|key| self.room_name(&key));
        match one_page(users, page, per_page) {
            Ok((users, more)) => self.reply(id, Event::UserList { room, users, more }),
            Err(refusal) => self.reply_refusal(id, refusal),
        }
    }

    // ---- Helpers ---------------------------------------------------------
    /// A room's name as shown, from its key.
    pub(super) fn room_name(&self, key: &str) -> String {
        self.rooms
            .get(key)
            .map(|room| room.name.clone())
            .unwrap_or_else(|| key.to_string())
    }

    /// Takes `id` out of every room it is in (leaving the server, or
    /// joining in one-room mode), telling each. A quit (`quit` is the
    /// reason) reaches an IRC client once, however many rooms it shares
    /// with the one leaving: IRC's `QUIT` names no channel.
    pub(super) fn leave_all_rooms(
        &mut self,
        id: ConnId,
        announce: bool,
        quit: Option<String>,
        note: &str,
    ) {
        let keys = self
            .conns
            .get(&id)
            .map(|c| c.rooms.clone())
            .unwrap_or_default();
        let mut told = HashSet::new();
        for key in keys {
            self.leave_room_telling(id, &key, announce, quit.clone(), note, &mut told);
        }
    }

    /// Takes `id` out of the room `key` and tells the others. Returns the
    /// room's name, or `None` if they were not in it. Empty rooms
    /// disappear. `note` is the text of the history's leave record: empty
    /// for a plain leave, `kicked by lee: reason` for a kick (see
    /// [`crate::history::record`]), so the transcript can tell them apart.
    pub(super) fn leave_one_room(
        &mut self,
        id: ConnId,
        key: &str,
        announce: bool,
        quit: Option<String>,
        note: &str,
    ) -> Option<String> {
        self.leave_room_telling(id, key, announce, quit, note, &mut HashSet::new())
    }

    fn leave_room_telling(
        &mut self,
        id: ConnId,
        key: &str,
        announce: bool,
        quit: Option<String>,
        note: &str,
        told: &mut HashSet<ConnId>,
    ) -> Option<String> {
        let conn = self.conns.get_mut(&id)?;
        let at = conn.rooms.iter().position(|room| room == key)?;
        conn.rooms.remove(at);
        if conn.current.as_deref() == Some(key) {
            // The room joined last of those left becomes the current one.
            conn.current = conn.rooms.last().cloned();
        }
        let user = conn.name.clone().unwrap_or_default();
        let part = conn.part_reason.take().filter(|_| quit.is_none());
        let room = self.rooms.get_mut(key)?;
        room.members.retain(|&member| member != id);
        let shown = room.name.clone();
        if room.members.is_empty() {
            self.rooms.remove(key);
        } else if announce {
            let quitting = quit.is_some();
            let left = Event::UserLeft {
                room: shown.clone(),
                user: user.clone(),
                quit,
                part,
            };
            let except: HashSet<ConnId> = match quitting {
                true => told.clone(),
                false => HashSet::new(),
            };
            let reached = self.broadcast_about_except(id, key, &left, &except);
            if quitting {
                // Only IRC clients must not hear a quit twice.
                told.extend(reached.into_iter().filter(|member| {
                    self.conns
                        .get(member)
                        .is_some_and(|c| c.dialect == Dialect::Irc)
                }));
            }
        }
        self.record(id, RecordKind::Leave, &shown, &user, note);
        Some(shown)
    }
}

/// Page `page` (from 1) of `items`, `per_page` to a page, and what is left
/// after it. Page 1 of an empty list is an empty page; a page past the end
/// is refused, saying how many pages there are.
fn one_page<T>(
    items: Vec<T>,
    page: usize,
    per_page: usize,
) -> Result<(Vec<T>, Option<More>), Refusal> {
    let pages = items.len().div_ceil(per_page).max(1);
    if page == 0 || page > pages {
        return Err(Refusal::NoSuchPage(page, pages));
    }
    let mut items = { items }.split_off((page - 1) * per_page);
    let left = items.len().saturating_sub(per_page);
    items.truncate(per_page);
    let more = (left > 0).then_some(More {
        left,
        next_page: page + 1,
    });
    Ok((items, more))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_list_comes_a_page_at_a_time() {
        let names: Vec<usize> = (0..120).collect();
        let (page, more) = one_page(names.clone(), 1, 50).unwrap();
        assert_eq!(page, (0..50).collect::<Vec<_>>());
        assert_eq!(
            more,
            Some(More {
                left: 70,
                next_page: 2
            })
        );
        let (page, more) = one_page(names.clone(), 3, 50).unwrap();
        assert_eq!(page, (100..120).collect::<Vec<_>>());
        assert_eq!(more, None);
        assert_eq!(one_page(names, 4, 50), Err(Refusal::NoSuchPage(4, 3)));
        assert_eq!(one_page(Vec::<usize>::new(), 1, 50), Ok((vec![], None)));
        assert_eq!(
            one_page(vec![1], 2, usize::MAX),
            Err(Refusal::NoSuchPage(2, 1))
        );
    }
}
