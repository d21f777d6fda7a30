//! The commands a client may use before it has a name: the door password
//! (`PASS`), choosing or changing a name (`USERNAME` / `/nick`), which also
//! fixes the client's dialect for good, `HELP` and `QUIT`.

use super::{ConnId, Flow, State, MAX_WRONG_PASSWORDS};
use crate::chat::guard::seconds_to_wait;
use crate::chat::passwords::{Secret, Verdict};
use crate::history::RecordKind;
use crate::log;
use crate::outbox::Sink;
use crate::support::secret::constant_time_eq;
use crate::text::names;
use crate::wire::command::Dialect;
use crate::wire::event::{Event, Refusal};
use std::sync::Arc;
use std::time::Instant;

impl State {
    /// The name of someone else online whose name looks like `name` (the
    /// same skeleton: `aIice` and `alice`), so nobody can pass for them.
    /// Looked up, not scanned: a thousand arriving at once would otherwise
    /// cost a million skeletons under the lock.
    fn look_alike_online(&self, id: ConnId, name: &str) -> Option<String> {
        let owner = self.looks.get(&names::skeleton(name))?;
        (*owner != id).then(|| self.conns.get(owner)?.name.clone())?
    }

    /// Someone else holding `name` (or a look-alike of it), and their
    /// socket, to ask with the lock released whether their client has
    /// closed its end though their reader has not yet seen it: a client that
    /// reconnects at once under its old name should wait for that connection
    /// to leave rather than be told the name is taken (see
    /// `server::departures`). Their unread lines are still theirs to act on.
    pub fn name_holder(&self, id: ConnId, name: &str) -> Option<(ConnId, Arc<dyn Sink>)> {
        let owner = *self.looks.get(&names::skeleton(name))?;
        let conn = self.conns.get(&owner)?;
        (owner != id).then(|| (owner, conn.outbox.far_end()))
    }

    pub(super) fn register(&mut self, id: ConnId, name: String, dialect: Dialect) -> Flow {
        let Some(conn) = self.conns.get(&id) else {
            return Flow::Close;
        };
        if !conn.authenticated {
            return self.reply_refusal(id, Refusal::PasswordRequired);
        }
        // A new name shows in every member list: a muted person keeps theirs.
        if conn.name.is_some() && conn.muted {
            return self.reply_refusal(id, Refusal::Muted);
        }
        if let Err(why) = names::check_username(&name) {
            return self.reply_refusal(id, Refusal::InvalidUsername(why));
        }
        if let Err(refusal) = self.name_allowed(id, &name) {
            return self.reply_refusal(id, refusal);
        }
        let Some(conn) = self.conns.get(&id) else {
            return Flow::Close;
        };
        let key = names::key(&name);
        if self.names.get(&key).is_some_and(|&owner| owner != id) {
            return self.reply_refusal(id, Refusal::UsernameTaken);
        }
        if let Some(online) = self.look_alike_online(id, &name) {
            let why = names::NameError::LooksLike(online);
            return self.reply_refusal(id, Refusal::InvalidUsername(why));
        }
        let old_name = conn.name.clone();
        // IRC answers a change to the nick you already have with nothing.
        if conn.dialect == Dialect::Irc && old_name.as_deref() == Some(name.as_str()) {
            return Flow::Continue;
        }
        self.names.insert(key.clone(), id);
        if let Some(old) = &old_name {
            let old_look = names::skeleton(old);
            if self.looks.get(&old_look) == Some(&id) {
                self.looks.remove(&old_look);
            }
        }
        self.looks.insert(names::skeleton(&name), id);
        // An account's mute is the account's; a guest's is their address'.
        let muted = match &conn.account {
            Some(account) => self.account_muted(account),
            None => self.muted_addresses.contains(&conn.addr.ip()),
        };
        let Some(conn) = self.conns.get_mut(&id) else {
            return Flow::Close;
        };
        conn.name = Some(name.clone());
        match old_name {
            None => {
                conn.dialect = dialect;
                // Seed 002's programs expect one room at a time; people and
                // IRC clients may be in several (see `rooms.rs`).
                conn.multi = dialect != Dialect::Protocol;
                conn.muted = muted;
                if muted {
                    log!("{} is muted: a muted person used this address", conn.who());
                }
                let dialect_name = match dialect {
                    Dialect::Protocol => "protocol",
                    Dialect::Chat => "chat",
                    Dialect::Irc => "IRC",
                };
                // A class behind one address is logged in full; a loop of
                // registrations from one address is counted, not listed.
                let line = || format!("Registered {} in {dialect_name} mode", conn.who());
                let (ip, now) = (conn.addr.ip(), Instant::now());
                let free = super::FREE_LOG_LINES;
                self.log_summary
                    .log_after(ip, "registrations", free, now, line);
                self.send(id, &Event::Welcome { name });
                if dialect == Dialect::Chat {
                    if let Some(room) = self.settings.default_room.clone() {
                        return self.join(id, &room);
                    }
                }
            }
            Some(old) => {
                let room = conn.current.clone();
                let rooms = conn.rooms.clone();
                let old_key = names::key(&old);
                if old_key != key {
                    self.names.remove(&old_key);
                }
                log!("{old} is now known as {name}");
                let place = room.as_ref().map_or("-".into(), |key| self.room_name(key));
                self.record(id, RecordKind::Rename, &place, &old, &name);
                let nick = Event::NickChanged {
                    old: old.clone(),
                    new: name.clone(),
                };
                self.send(id, &Event::Renamed { old, new: name });
                // Once to each person, however many rooms they share.
                let mut told = std::collections::HashSet::from([id]);
                for room in rooms {
                    let reached = self.broadcast_about_except(id, &room, &nick, &told);
                    told.extend(reached);
                }
            }
        }
        Flow::Continue
    }

    /// The door password presented by `id`, in any dialect: counted by the
    /// password book (see [`crate::chat::passwords`]), checked only if the
    /// address is not locked out, and on a wrong try logged when due and
    /// counted on the connection. A right one lets the connection in. Callers answer.
    pub fn present_password(&mut self, id: ConnId, password: &str) -> Verdict {
        let Some(ip) = self.conns.get(&id).map(|c| c.addr.ip()) else {
            return Verdict::Locked(std::time::Duration::ZERO);
        };
        let verdict = match &self.settings.password {
            None => Verdict::Right,
            Some(expected) => self
                .passwords
                .present(ip, &Secret::Server, Instant::now(), || {
                    constant_time_eq(password.as_bytes(), expected.as_bytes())
                }),
        };
        let Some(conn) = self.conns.get_mut(&id) else {
            return verdict;
        };
        match &verdict {
            Verdict::Right => conn.authenticated = true,
            Verdict::Wrong(log_line) => {
                conn.wrong_passwords += 1;
                if let Some(line) = log_line {
                    log!("{line}");
                }
            }
            Verdict::Locked(_) => {}
        }
        verdict
    }

    /// `PASS`: see [`State::present_password`]; a locked-out try is
    /// answered and the connection closed, so waiting never holds a slot.
    pub(super) fn pass(&mut self, id: ConnId, password: &str) -> Flow {
        match self.present_password(id, password) {
            Verdict::Locked(wait) => {
                let refusal = Refusal::TooManyGuesses(seconds_to_wait(wait));
                self.send(id, &Event::Refused(refusal));
                self.disconnect(id, "locked out for wrong passwords");
                return Flow::Close;
            }
            Verdict::Right => return self.reply(id, Event::PasswordAccepted),
            Verdict::Wrong(_) => {}
        }
        let Some(tries) = self.conns.get(&id).map(|conn| conn.wrong_passwords) else {
            return Flow::Close;
        };
        self.send(id, &Event::Refused(Refusal::WrongPassword));
        if tries >= MAX_WRONG_PASSWORDS {
            // A person on `nc` is told the connection is over (it would not
            // notice otherwise); a program sees the close after its ERROR.
            if self
                .conns
                .get(&id)
                .is_some_and(|c| c.dialect == Dialect::Chat)
            {
                let last_words = Refusal::TooManyWrongPasswords(MAX_WRONG_PASSWORDS);
                self.send(id, &Event::Refused(last_words));
            }
            self.disconnect(id, "too many wrong passwords");
            return Flow::Close;
        }
        Flow::Continue
    }

    /// `HELP`: the commands of the sender's dialect, the operator's too if
    /// they are one.
    pub(super) fn help(&mut self, id: ConnId) -> Flow {
        let operator = self.conns.get(&id).is_some_and(|conn| conn.operator);
        self.reply(id, Event::Help { operator })
    }

    /// `HISTORY TIMED`: from now on, a join replays the room's history as
    /// `HISTORY BEGIN` … `HISTORY END`, with times (see `Event::Recent`).
    pub(super) fn history_format(&mut self, id: ConnId, word: &str) -> Flow {
        if !word.eq_ignore_ascii_case("TIMED") {
            let row = crate::wire::command::lookup(Dialect::Protocol, "HISTORY");
            if let Some(row) = row {
                return self.reply_refusal(id, Refusal::Usage(&row.usage));
            }
        }
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.timed_history = true;
        }
        self.reply(id, Event::HistoryTimed)
    }

    /// `QUIT`: a goodbye, then the connection is removed.
    pub(super) fn quit(&mut self, id: ConnId) -> Flow {
        self.send(id, &Event::Goodbye);
        self.disconnect(id, "quit");
        Flow::Close
    }
}
