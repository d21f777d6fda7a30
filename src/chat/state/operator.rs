//! The operator's commands: `OPER`, `KICK`, `MUTE`/`UNMUTE`, `ANNOUNCE`,
//! `STATS` and setting a `TOPIC` (anyone may read it). Each checks first
//! that its sender is an operator, so the rule lives in
//! [`State::operator_name`].

use super::delivery::Rendered;
use super::{ConnId, Flow, State};
use crate::chat::guard::{seconds_to_wait, split_ban};
use crate::chat::passwords::{Secret, Verdict};
use crate::chat::stats;
use crate::log;
use crate::support::secret::constant_time_eq;
use crate::support::traffic;
use crate::text::{names, sanitize};
use crate::wire::event::Snapshot;
use crate::wire::event::{Event, OperatorAction, Refusal};
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

/// The most addresses `CONNS` lists.
pub const CONNS_ROWS: usize = 20;
/// How long `KICKADDR` bans the address.
pub const KICKADDR_BAN: std::time::Duration = std::time::Duration::from_secs(600);

impl State {
    /// `OPER`: checked only if the sender's address is not locked out for
    /// guessing (see [`crate::chat::passwords`]). Nothing sleeps: a locked-out
    /// try is answered at once with how long to wait.
    pub(super) fn oper(&mut self, id: ConnId, password: &str) -> Flow {
        let Some(ip) = self.conns.get(&id).map(|c| c.addr.ip()) else {
            return Flow::Close;
        };
        let expected = self.settings.admin_password.as_bytes();
        let verdict = self
            .passwords
            .present(ip, &Secret::Operator, Instant::now(), || {
                constant_time_eq(password.as_bytes(), expected)
            });
        let Some(conn) = self.conns.get_mut(&id) else {
            return Flow::Close;
        };
        match verdict {
            Verdict::Locked(wait) => {
                return self.reply_refusal(id, Refusal::TooManyGuesses(seconds_to_wait(wait)));
            }
            Verdict::Right => {
                conn.operator = true;
                log!("{} is now an operator", conn.who());
                let rooms = conn.rooms.clone();
                self.reply(id, Event::Operator);
                self.tell_irc_operator(id, &rooms, None);
                self.warn_operators();
                return Flow::Continue;
            }
            Verdict::Wrong(Some(line)) => log!("{line} (latest: {})", conn.who()),
            Verdict::Wrong(None) => {}
        }
        self.reply_refusal(id, Refusal::WrongPassword)
    }

    pub(super) fn kick(&mut self, id: ConnId, user: &str, reason: Option<String>) -> Flow {
        let Some((by, target)) = self.operator_and_target(id, user) else {
            return Flow::Continue;
        };
        let reason = reason.map(|r| sanitize::clean(&r).into_owned());
        // A kick that names its room (IRC's `KICK #lab bob`) takes them
        // out of that room only, and the room keeps them out a while (see
        // `KICK_KEEPS_OUT`), so a client that rejoins on its own does not
        // undo the kick; `KICK bob` disconnects them (a ban, `KICK bob 10m
        // reason`, is what keeps them off the server).
        let scoped = self.scope.clone();
        let (target_name, room_keys, ip, account) = match self.conns.get(&target) {
            Some(conn) => (
                conn.name.clone().unwrap_or_default(),
                match &scoped {
                    Some(key) => vec![key.clone()],
                    None => conn.rooms.clone(),
                },
                conn.addr.ip(),
                conn.account.clone(),
            ),
            None => return self.reply_refusal(id, Refusal::UserNotFound(user.to_string())),
        };
        if let Some(key) = &scoped {
            let inside = self
                .conns
                .get(&target)
                .is_some_and(|c| c.rooms.contains(key));
            if !inside {
                return self.reply_refusal(id, Refusal::UserNotFound(user.to_string()));
            }
        }
        let ban = reason.as_deref().and_then(|r| split_ban(r).0);
        // An account is held out, not its address (behind a school's NAT
        // that is the whole class): for the ban, or KICK_HOLD without one,
        // so a client that rejoins by itself stays out. (A kick from one
        // room keeps them out of that room only: see `KICK_KEEPS_OUT`.)
        if let (Some(account), None) = (&account, &scoped) {
            let hold = ban.unwrap_or(super::KICK_HOLD);
            self.hold_out(account, Instant::now() + hold);
            log!(
                "{by} kicked the account {account} out for {} s",
                hold.as_secs()
            );
        }
        // `KICK bob 10m spamming`: the ban is said in the reason, so the
        // room and bob both read how long it is.
        let reason = match reason.as_deref().map(split_ban) {
            Some((Some(ban), rest)) => {
                if account.is_none() {
                    self.guard.ban(ip, Instant::now() + ban);
                    log!("{by} banned {ip} for {} s", ban.as_secs());
                }
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
        let note = match &reason {
            Some(reason) => format!("kicked by {by}: {reason}"),
            None => format!("kicked by {by}"),
        };
        let kicked = |room: String| Event::Kicked {
            room,
            user: target_name.clone(),
            by: by.clone(),
            reason: reason.clone(),
        };
        if scoped.is_none() {
            self.send(
                target,
                &Event::YouWereKicked {
                    by: by.clone(),
                    reason: reason.clone(),
                },
            );
        }
        for key in &room_keys {
            let event = kicked(self.room_name(key));
            // Kicked from one room, they see the KICK line with the room.
            let except = scoped.is_none().then_some(target);
            self.broadcast(key, &event, except);
            if scoped.is_some() {
                self.keep_out(target, key);
            }
            // The KICK line already told the room; no separate LEAVE. The
            // history records the leave as a kick, with its reason, so the
            // transcript shows what happened rather than `* bob left`.
            self.leave_one_room(target, key, false, None, &note);
        }
        if scoped.is_none() {
            self.remove(target, false);
        }
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

    /// `MUTE`/`UNMUTE`. A mute holds the person: for someone logged in,
    /// their account (kept while they are offline, so `UNMUTE alice` works
    /// then too, and a classmate behind the same address is not touched);
    /// for a guest, their address (see the state's `muted_addresses`), so it
    /// needs them online: an offline guest's name has no address to hold,
    /// and holding the *name* would mute whoever takes it next. A mute that
    /// changes nothing (already muted, not muted) says so.
    pub(super) fn mute(&mut self, id: ConnId, user: &str, muted: bool) -> Flow {
        let Some(by) = self.operator_name(id) else {
            return self.reply_refusal(id, Refusal::NotOperator);
        };
        let target = self.names.get(&names::key(user)).copied();
        let online = target.and_then(|target| {
            let conn = self.conns.get(&target)?;
            Some((
                target,
                conn.name.clone().unwrap_or_default(),
                conn.account.clone(),
                conn.addr.ip(),
                conn.muted,
            ))
        });
        let account = match &online {
            Some((_, _, account, _, _)) => account.clone(),
            None => self.account_named(user),
        };
        let refuse_unchanged = |name: String| match muted {
            true => Refusal::AlreadyMuted(name),
            false => Refusal::NotMuted(name),
        };
        if let Some(account) = account {
            if !self.mute_account(&account, muted) {
                return self.reply_refusal(id, refuse_unchanged(account));
            }
            let verb = if muted { "muted" } else { "unmuted" };
            log!("{by} {verb} the account {account}");
            if let Some((target, _, _, _, _)) = online {
                if let Some(conn) = self.conns.get_mut(&target) {
                    conn.muted = muted;
                }
                self.send(target, &Event::YouWereMuted { by, muted });
            }
            return self.reply(
                id,
                Event::Done {
                    action: mute_action(muted),
                    user: account,
                },
            );
        }
        let Some((target, name, _, ip, was_muted)) = online else {
            let user = sanitize::clean(user).into_owned();
            let refusal = Refusal::MuteNotOnline {
                user,
                muting: muted,
            };
            return self.reply_refusal(id, refusal);
        };
        if was_muted == muted {
            return self.reply_refusal(id, refuse_unchanged(name));
        }
        if let Some(conn) = self.conns.get_mut(&target) {
            conn.muted = muted;
        }
        if muted {
            self.muted_addresses.insert(ip);
            log!("{by} muted {name} ({ip}) until UNMUTE");
        } else {
            self.muted_addresses.remove(&ip);
            log!("{by} unmuted {name} ({ip})");
        }
        self.send(target, &Event::YouWereMuted { by, muted });
        self.reply(
            id,
            Event::Done {
                action: mute_action(muted),
                user: name,
            },
        )
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
        let Some(key) = self.room_of(id) else {
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

    /// `CONNS`: the [`CONNS_ROWS`] addresses with most connections.
    pub(super) fn conns_by_address(&mut self, id: ConnId) -> Flow {
        if self.operator_name(id).is_none() {
            return self.reply_refusal(id, Refusal::NotOperator);
        }
        let now = Instant::now();
        let mut by_address: HashMap<IpAddr, (usize, usize, u64)> = HashMap::new();
        for conn in self.conns.values() {
            let row = by_address.entry(conn.addr.ip().to_canonical()).or_default();
            row.0 += 1;
            row.1 += usize::from(conn.name.is_none());
            row.2 = row
                .2
                .max(now.saturating_duration_since(conn.since).as_secs());
        }
        let addresses = by_address.len();
        let mut rows: Vec<(String, usize, usize, u64)> = by_address
            .into_iter()
            .map(|(ip, (count, nameless, oldest))| (ip.to_string(), count, nameless, oldest))
            .collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        rows.truncate(CONNS_ROWS);
        self.reply(id, Event::Connections { rows, addresses })
    }

    /// `KICKADDR`: every connection from `address` but the operator's own is
    /// closed, and the address banned for [`KICKADDR_BAN`] (or it would be
    /// back at once). Behind a school NAT the address is the whole class.
    pub(super) fn kick_address(&mut self, id: ConnId, address: &str) -> Flow {
        let Some(by) = self.operator_name(id) else {
            return self.reply_refusal(id, Refusal::NotOperator);
        };
        // An address, or the name of someone online to take theirs.
        let named = self.names.get(&names::key(address));
        let ip = match address.trim_matches(['[', ']']).parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) => match named.and_then(|owner| self.conns.get(owner)) {
                Some(conn) => conn.addr.ip(),
                None => return self.reply_refusal(id, Refusal::UserNotFound(address.to_string())),
            },
        };
        // `::ffff:127.0.0.5` and `127.0.0.5` are one address to a person.
        let same = |other: IpAddr| other.to_canonical() == ip.to_canonical();
        let targets: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|&(&other, conn)| other != id && same(conn.addr.ip()))
            .map(|(&other, _)| other)
            .collect();
        self.guard.ban(ip, Instant::now() + KICKADDR_BAN);
        for &target in &targets {
            self.send(
                target,
                &Event::YouWereKicked {
                    by: by.clone(),
                    reason: Some("every connection from your address".into()),
                },
            );
            self.disconnect(target, "kicked with every connection from its address");
        }
        log!(
            "{by} kicked {} connections from {ip} and banned it for {} s",
            targets.len(),
            KICKADDR_BAN.as_secs()
        );
        self.reply(
            id,
            Event::AddressKicked {
                address: ip.to_canonical().to_string(),
                connections: targets.len(),
                ban_secs: KICKADDR_BAN.as_secs(),
            },
        )
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

fn mute_action(muted: bool) -> OperatorAction {
    match muted {
        true => OperatorAction::Muted,
        false => OperatorAction::Unmuted,
    }
}
