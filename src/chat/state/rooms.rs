//! The room commands: joining and leaving a room, saying something there
//! (`MSG`, `/me`), private messages, and the room and user lists. Every
//! message is recorded in the history before it is queued to anyone (see
//! the state's module notes for why under the lock).

use super::{ConnId, Flow, Room, Speech, State};
use crate::chat::{names, sanitize};
use crate::history::RecordKind;
use crate::wire::command::Dialect;
use crate::wire::event::{Event, Refusal};

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
        let records = self.history.recent(&shown);
        if !records.is_empty() {
            self.send(
                id,
                &Event::Recent {
                    room: shown.clone(),
                    records,
                },
            );
        }
        self.broadcast_about(id, &key, &Event::UserJoined { room: shown, user }, Some(id));
        self.tell_irc_operator(id, Some(id));
        Flow::Continue
    }

    pub(super) fn say(&mut self, id: ConnId, text: &str) -> Flow {
        let speech = match self.speech(id, text) {
            Ok(speech) => speech,
            Err(flow) => return flow,
        };
        // Stored before it is delivered: whatever anyone received is on disk.
        if !self.record(
            id,
            RecordKind::Message,
            &speech.room,
            &speech.user,
            &speech.text,
        ) {
            return self.reply_refusal(id, Refusal::CouldNotStore);
        }
        let event = Event::RoomMessage {
            room: speech.room,
            from: speech.user,
            text: speech.text,
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
            return self.reply_refusal(id, Refusal::UserNotFound);
        };
        let (Some(conn), Some(target_conn)) = (self.conns.get(&id), self.conns.get(&target)) else {
            return self.reply_refusal(id, Refusal::UserNotFound);
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

    pub(super) fn list_rooms(&mut self, id: ConnId) -> Flow {
        let mut keys: Vec<&String> = self.rooms.keys().collect();
        keys.sort();
        let rooms = keys
            .into_iter()
            .filter_map(|key| self.rooms.get(key))
            .map(|room| (room.name.clone(), room.members.len()))
            .collect();
        self.reply(id, Event::RoomList(rooms))
    }

    pub(super) fn list_users(&mut self, id: ConnId) -> Flow {
        let room_key = self.conns.get(&id).and_then(|conn| conn.room.clone());
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
        self.reply(id, Event::UserList { room, users })
    }

    pub(super) fn action(&mut self, id: ConnId, text: &str) -> Flow {
        let speech = match self.speech(id, text) {
            Ok(speech) => speech,
            Err(flow) => return flow,
        };
        if !self.record(
            id,
            RecordKind::Action,
            &speech.room,
            &speech.user,
            &speech.text,
        ) {
            return self.reply_refusal(id, Refusal::CouldNotStore);
        }
        let event = Event::Action {
            room: speech.room,
            user: speech.user,
            text: speech.text,
        };
        self.broadcast(&speech.room_key, &event, speech.except);
        Flow::Continue
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
