//! The operator's commands: `OPER`, `KICK`, `MUTE`/`UNMUTE`, `ANNOUNCE`,
//! `STATS` and setting a `TOPIC` (anyone may read it). Each checks first
//! that its sender is an operator, so the rule lives in
//! [`State::operator_name`].

use super::delivery::Rendered;
use super::{ConnId, Flow, State};
use crate::chat::guard::{seconds_to_wait, split_ban, Secret};
use crate::chat::stats;
use crate::log;
use crate::support::secret::constant_time_eq;
use crate::support::traffic;
use crate::text::{names, sanitize};
use crate::wire::event::Snapshot;
use crate::wire::event::{Event, OperatorAction, Refusal};
use std::time::Instant;

impl State {
    /// `OPER`: checked only if the sender's address is not locked out for
    /// guessing (see [`crate::chat::guard`]). Nothing sleeps: a locked-out
    /// try is answered at once with how long to wait.
    pub(super) fn oper(&mut self, id: ConnId, password: &str) -> Flow {
        let Some(ip) = self.conns.get(&id).map(|c| c.addr.ip()) else {
            return Flow::Close;
        };
        let now = Instant::now();
        if let Err(wait) = self.guard.may_try(ip, Secret::Operator, now) {
            return self.reply_refusal(id, Refusal::TooManyGuesses(seconds_to_wait(wait)));
        }
        let right = constant_time_eq(password.as_bytes(), self.settings.admin_password.as_bytes());
        let Some(conn) = self.conns.get_mut(&id) else {
            return Flow::Close;
        };
        if right {
            conn.operator = true;
            self.guard.right(ip, Secret::Operator);
            log!("{} is now an operator", conn.who());
            self.reply(id, Event::Operator);
            self.tell_irc_operator(id, None);
            return Flow::Continue;
        }
        let who = conn.who();
        if let Some(line) = self.guard.wrong(ip, Secret::Operator, now) {
            log!("{line} (latest: {who})");
        }
        self.reply_refusal(id, Refusal::WrongPassword)
    }

    pub(super) fn kick(&mut self, id: ConnId, user: &str, reason: Option<String>) -> Flow {
        let Some((by, target)) = self.operator_and_target(id, user) else {
            return Flow::Continue;
        };
        let reason = reason.map(|r| sanitize::clean(&r).into_owned());
        let (target_name, room_key, ip) = match self.conns.get(&target) {
            Some(conn) => (
                conn.name.clone().unwrap_or_default(),
                conn.room.clone(),
                conn.addr.ip(),
            ),
            None => return self.reply_refusal(id, Refusal::UserNotFound(user.to_string())),
        };
        // `KICK bob 10m spamming`: the ban is said in the reason, so the
        // room and bob both read how long it is.
        let reason = match reason.as_deref().map(split_ban) {
            Some((Some(ban), rest)) => {
                self.guard.ban(ip, Instant::now() + ban);
                log!("{by} banned {ip} for {} s", ban.as_secs());
                let typed = reason.as_deref().and_then(|r| r.split(' ').next());
                let banned = format!("banned for {}", typed.unwrap_or_default());
                Some(match rest {
                    "" => banned,
                    rest => format!("{rest} ({banned})"),
                })
            }
            _ => reason,
        };
        log!(
            "{by} kicked {target_name}{}",
            reason
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        );
        self.send(
            target,
            &Event::YouWereKicked {
                by: by.clone(),
                reason: reason.clone(),
            },
        );
        let note = match &reason {
            Some(reason) => format!("kicked by {by}: {reason}"),
            None => format!("kicked by {by}"),
        };
        if let Some(key) = room_key {
            let kicked = Event::Kicked {
                room: self.room_name(&key),
                user: target_name.clone(),
                by,
                reason,
            };
            self.broadcast(&key, &kicked, Some(target));
        }
        // The KICK line already told the room; no separate LEAVE. The
        // history records the leave as a kick, with its reason, so the
        // transcript shows what happened rather than `* bob left`.
        self.leave_room_noted(target, false, None, &note);
        self.remove(target, false);
        if target != id {
            self.send(
                id,
                &Event::Done {
                    action: OperatorAction::Kicked,
                    user: target_name,
                },
            );
        }
        Flow::Continue
    }

    /// `MUTE`/`UNMUTE`. A mute holds the person (their address, see the
    /// state's `muted_addresses`), so it needs them online: an offline name
    /// has no address to hold, and holding the *name* would mute whoever
    /// takes it next. The refusal says so, and a mute that changes nothing
    /// (already muted, not muted) says that instead of pretending it worked.
    pub(super) fn mute(&mut self, id: ConnId, user: &str, muted: bool) -> Flow {
        let Some(by) = self.operator_name(id) else {
            return self.reply_refusal(id, Refusal::NotOperator);
        };
        let target = self.names.get(&names::key(user)).copied();
        let found = target.and_then(|target| Some((target, self.conns.get_mut(&target)?)));
        let Some((target, conn)) = found else {
            let user = sanitize::clean(user).into_owned();
            let refusal = Refusal::MuteNotOnline {
                user,
                muting: muted,
            };
            return self.reply_refusal(id, refusal);
        };
        let name = conn.name.clone().unwrap_or_default();
        match (conn.muted, muted) {
            (true, true) => return self.reply_refusal(id, Refusal::AlreadyMuted(name)),
            (false, false) => return self.reply_refusal(id, Refusal::NotMuted(name)),
            _ => {}
        }
        conn.muted = muted;
        let ip = conn.addr.ip();
        if muted {
            self.muted_addresses.insert(ip);
            log!("{by} muted {name} ({ip}) until UNMUTE");
        } else {
            self.muted_addresses.remove(&ip);
            log!("{by} unmuted {name} ({ip})");
        }
        self.send(target, &Event::YouWereMuted { by, muted });
        let action = if muted {
            OperatorAction::Muted
        } else {
            OperatorAction::Unmuted
        };
        self.reply(id, Event::Done { action, user: name })
    }

    pub(super) fn announce(&mut self, id: ConnId, text: &str) -> Flow {
        let Some(by) = self.operator_name(id) else {
            return self.reply_refusal(id, Refusal::NotOperator);
        };
        log!("{by} announced to everyone");
        let event = Event::Announcement(sanitize::clean(text).into_owned());
        let everyone: Vec<ConnId> = self.names.values().copied().collect();
        let mut rendered = Rendered::default();
        let mut queued = Vec::with_capacity(everyone.len());
        for member in everyone {
            if let Some(conn) = self.conns.get(&member) {
                queued.push((
                    member,
                    self.rendered_for(&mut rendered, member, conn, &event),
                ));
            }
        }
        self.queue_all(queued);
        Flow::Continue
    }

    pub(super) fn topic(&mut self, id: ConnId, text: Option<String>) -> Flow {
        let Some(key) = self.conns.get(&id).and_then(|conn| conn.room.clone()) else {
            return self.reply_refusal(id, Refusal::NotInRoom);
        };
        let room = self.room_name(&key);
        let Some(text) = text else {
            let topic = self.rooms.get(&key).and_then(|r| r.topic.clone());
            let set = self.rooms.get(&key).and_then(|r| r.topic_set.clone());
            return self.reply(id, Event::TopicIs { room, topic, set });
        };
        let Some(by) = self.operator_name(id) else {
            return self.reply_refusal(id, Refusal::NotOperator);
        };
        let text = sanitize::clean(&text).into_owned();
        if let Some(room) = self.rooms.get_mut(&key) {
            room.topic = Some(text.clone());
            room.topic_set = Some((by.clone(), crate::support::timestamp::now_millis()));
        }
        log!("{by} set the topic of {room}");
        self.broadcast(&key, &Event::TopicSet { room, by, text }, None);
        Flow::Continue
    }

    /// `STATS`: what the server costs right now (see [`crate::chat::stats`]).
    /// Walking every connection for its queue costs the operator who asked,
    /// under the lock, about a microsecond per hundred connections.
    pub(super) fn stats(&mut self, id: ConnId) -> Flow {
        if self.operator_name(id).is_none() {
            return self.reply_refusal(id, Refusal::NotOperator);
        }
        let snapshot = self.snapshot(Instant::now());
        self.reply(id, Event::Stats(Box::new(snapshot)))
    }

    /// Every figure of `STATS`, at `now`.
    fn snapshot(&mut self, now: Instant) -> Snapshot {
        let named = self.conns.values().filter(|c| c.name.is_some()).count();
        let queued = self.conns.values().map(|c| c.outbox.queued()).sum();
        let fullest = self
            .conns
            .values()
            .map(|c| (c.outbox.queued(), c))
            .filter(|(lines, _)| *lines > 0)
            .max_by_key(|(lines, _)| *lines)
            .map(|(lines, c)| (c.name.clone().unwrap_or_else(|| c.addr.to_string()), lines));
        let (bytes_in, bytes_out) = traffic::bytes();
        let (last_minute, window_secs) = self.out.deliveries.last_minute(now);
        Snapshot {
            named,
            unnamed: self.conns.len() - named,
            threads: stats::threads(self.conns.len()),
            queued,
            fullest,
            bytes_in,
            bytes_out,
            deliveries: self.out.deliveries.total(),
            last_minute,
            window_secs,
            history_bytes: self.history.file_bytes(),
        }
    }

    /// The operator's name, or `None` (after telling them) if they are not one.
    pub(super) fn operator_name(&self, id: ConnId) -> Option<String> {
        let conn = self.conns.get(&id)?;
        if conn.operator {
            conn.name.clone()
        } else {
            None
        }
    }

    /// For operator commands on a user: (operator's name, target), or `None`
    /// after refusing (not an operator, no such user).
    pub(super) fn operator_and_target(
        &mut self,
        id: ConnId,
        user: &str,
    ) -> Option<(String, ConnId)> {
        let Some(by) = self.operator_name(id) else {
            self.reply_refusal(id, Refusal::NotOperator);
            return None;
        };
        let Some(&target) = self.names.get(&names::key(user)) else {
            self.reply_refusal(id, Refusal::UserNotFound(user.to_string()));
            return None;
        };
        Some((by, target))
    }
}
