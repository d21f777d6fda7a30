//! The room commands: joining and leaving a room, saying something there
//! (`MSG`, `/me`), private messages, and the room and user lists. Every
//! message is recorded in the history before it is queued to anyone (see
//! the state's module notes for why under the lock).

use super::{ConnId, Flow, Room, Speech, State};
use crate::history::RecordKind;
use crate::text::{names, sanitize};
use crate::wire::command::Dialect;
use crate::wire::event::{Event, More, Recalled, Refusal};

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

impl State {
    pub(super) fn join(&mut self, id: ConnId, typed: &str) -> Flow {
        let Some(room_name) = names::normalize_room(typed) else {
            return self.reply_refusal(id, Refusal::InvalidRoom);
        };
        let key = names::key(&room_name);
        let Some(conn) = self.conns.get(&id) else {
            return Flow::Close;
        };
        if conn.room.as_deref() == Some(key.as_str()) {
            let shown = self.room_name(&key);
            return self.reply_refusal(id, Refusal::AlreadyIn(shown));
        }
        let user = conn.name.clone().unwrap_or_default();
        self.leave_room(id, true);

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
            conn.room = Some(key.clone());
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
        self.tell_irc_operator(id, Some(id));
        Flow::Continue
    }

    /// `LEAVE`: out of the room, which is told.
    pub(super) fn leave(&mut self, id: ConnId) -> Flow {
        match self.leave_room(id, true) {
            Some(room) => self.reply(id, Event::Left { room }),
            None => self.reply_refusal(id, Refusal::NotInRoom),
        }
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
        let event = match action {
            true => Event::Action { room, user, text },
            false => Event::RoomMessage {
                room,
                from: user,
                text,
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
        let Some(room_key) = conn.room.clone() else {
            return Err(self.reply_refusal(id, Refusal::NotInRoom));
        };
        let text = sanitize::clean(text).into_owned();
        if text.trim().is_empty() {
            return Err(self.reply_refusal(id, Refusal::EmptyMessage));
        }
        Ok(Speech {
            room: self.room_name(&room_key),
            room_key,
            user: conn.name.clone().unwrap_or_default(),
            text,
            // A program wants its own line back, in the room's true order;
            // a person (and an IRC client) already shows what was typed.
            except: (conn.dialect != Dialect::Protocol).then_some(id),
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
        match one_page(rooms, page, ROOMS_PER_PAGE) {
            Ok((rooms, more)) => self.reply(id, Event::RoomList(rooms, more)),
            Err(refusal) => self.reply_refusal(id, refusal),
        }
    }

    pub(super) fn list_users(&mut self, id: ConnId, page: usize) -> Flow {
        let Some(conn) = self.conns.get(&id) else {
            return Flow::Close;
        };
        let room_key = conn.room.clone();
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

    /// Takes `id` out of its room and tells the others. Returns the room's
    /// name, or `None` if they were in no room. Empty rooms disappear.
    pub(super) fn leave_room(&mut self, id: ConnId, announce: bool) -> Option<String> {
        self.leave_room_quitting(id, announce, None)
    }

    /// [`State::leave_room`]; `quit` is the reason when they are leaving
    /// the server, not just the room (IRC shows `QUIT :reason`).
    pub(super) fn leave_room_quitting(
        &mut self,
        id: ConnId,
        announce: bool,
        quit: Option<String>,
    ) -> Option<String> {
        self.leave_room_noted(id, announce, quit, "")
    }

    /// [`State::leave_room_quitting`], with `note` as the text of the
    /// history's leave record: empty for a plain leave, `kicked by lee:
    /// reason` for a kick (see [`crate::history::record`]), so the
    /// transcript can tell the two apart.
    pub(super) fn leave_room_noted(
        &mut self,
        id: ConnId,
        announce: bool,
        quit: Option<String>,
        note: &str,
    ) -> Option<String> {
        let conn = self.conns.get_mut(&id)?;
        let key = conn.room.take()?;
        let user = conn.name.clone().unwrap_or_default();
        let room = self.rooms.get_mut(&key)?;
        room.members.retain(|&member| member != id);
        let shown = room.name.clone();
        if room.members.is_empty() {
            self.rooms.remove(&key);
        } else if announce {
            let left = Event::UserLeft {
                room: shown.clone(),
                user: user.clone(),
                quit,
            };
            self.broadcast_about(id, &key, &left, None);
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
