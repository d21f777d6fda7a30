//! The reader's side of an IRC connection: telling an IRC client from the
//! others by its first line, the handshake, and turning each later line into
//! a chat command or an immediate answer.
//!
//! An IRC client speaks first and never waits for a greeting: irssi sends
//! `CAP LS 302`, `NICK` and `USER` the moment it connects. So the first line
//! decides: `CAP`, `NICK` or `USER` (or `PASS` followed by one of them) means
//! IRC, and the greeting the reader holds back for a quarter of a second is
//! never sent (irssi would show `NOTICE Pick a name…` as a notice from a
//! user called "Pick").
//!
//! Everything here runs on the reader thread. The handshake is the pure
//! state machine in [`crate::wire::irc::register`], asking the shared state
//! whether a nick is taken; once it completes, the client registers through
//! the same [`State::apply`](crate::chat::state::State::apply) as everyone,
//! so the name rules, mute, kick and history are the same for all dialects.

use crate::chat::guard::seconds_to_wait;
use crate::chat::passwords::Verdict;
use crate::chat::state::{Applied, ConnId, Flow, State};
use crate::wire::command::{Command, Dialect};
use crate::wire::event::Refusal;
use crate::wire::irc;
use crate::wire::irc::map::{self, Ctx, Inbound};
use crate::wire::irc::numeric;
use crate::wire::irc::register::{Ready, Registration};
use crate::wire::render;
use std::time::{Duration, Instant};

/// How long a registered IRC client may be silent before the server sends
/// `PING`; as long again without an answer and it is disconnected. IRC
/// clients answer at once, so this finds a dead laptop within minutes.
pub(super) const PING_INTERVAL: Duration = Duration::from_secs(120);

/// One IRC connection's reading state.
pub(super) struct IrcConn {
    /// The handshake, until the client is registered; then `None`. Boxed
    /// and dropped, so a registered connection that idles for hours keeps
    /// neither the handshake's strings on the heap nor its bytes in the
    /// reader's frame: an idle reader's stack depth decides how many pages
    /// it keeps (`docs/design.md`, "Two pages of stack, and how near a
    /// third").
    handshake: Option<Box<Handshake>>,
    /// A `PING` was sent and nothing has come back yet.
    pinged: bool,
    /// `idle_timeout_secs`, if not 0: how long a registered client may send
    /// nothing but `PING` and `PONG`.
    idle_limit: Option<Duration>,
    /// When the client last sent a line other than `PING` or `PONG`.
    last_active: Instant,
}

/// What an IRC connection needs only until it is registered.
struct Handshake {
    registration: Registration,
    /// Registration waits for an account login given as `PASS
    /// <account>:<password>` (checked outside the lock: see
    /// [`IrcConn::after_slow`]).
    waiting_for_login: Option<Ready>,
}

impl IrcConn {
    /// Marks the connection as IRC in the state. `idle_secs` is the
    /// server's `idle_timeout_secs` (0: never).
    pub(super) fn start(state: &mut State, id: ConnId, idle_secs: u64) -> IrcConn {
        state.speaks_irc(id);
        IrcConn {
            handshake: Some(Box::new(Handshake {
                registration: Registration::new(&state.irc_info().name),
                waiting_for_login: None,
            })),
            pinged: false,
            idle_limit: (idle_secs > 0).then(|| Duration::from_secs(idle_secs)),
            last_active: Instant::now(),
        }
    }

    /// The slow work of a login has been answered ([`State::slow_done`]
    /// returned `applied`): a registration that waited for a `PASS
    /// account:password` login goes on, or ends if the login failed (as a
    /// wrong `PASS` does).
    pub(super) fn after_slow(
        &mut self,
        state: &mut State,
        id: ConnId,
        applied: Applied,
    ) -> Applied {
        let waiting = self.handshake.as_mut();
        let Some(ready) = waiting.and_then(|handshake| handshake.waiting_for_login.take()) else {
            return applied;
        };
        if state.account_of(id).is_none() {
            state.send_lines(id, &irc::error_line("Closing link (login failed)"));
            state.disconnect(id, "IRC login with PASS failed");
            return Applied {
                flow: Flow::Close,
                registered: None,
                reply_bytes: 0,
                slow: None,
            };
        }
        self.register(state, id, &ready)
    }

    /// Registers a client whose handshake is complete.
    fn register(&mut self, state: &mut State, id: ConnId, ready: &Ready) -> Applied {
        // Logged in: the name is the account's, whatever the NICK (the
        // welcome tells the client its name).
        let name = state.account_of(id).unwrap_or_else(|| ready.nick.clone());
        let register = Command::Register {
            name: name.clone(),
            dialect: Dialect::Irc,
        };
        let applied = state.apply_irc(id, register, "NICK", &name);
        let Some(handshake) = self.handshake.as_mut() else {
            return applied;
        };
        if let Some((username, realname)) = handshake.registration.user() {
            state.set_irc_user(id, username, realname);
        }
        match applied.registered {
            // The handshake is over for good.
            Some(_) => self.handshake = None,
            // The state said why (433, 432); wait for another NICK.
            None => {
                handshake.registration.nick_lost();
            }
        }
        applied
    }

    /// Whether the handshake is complete (the client may still be waiting
    /// for the state to register it).
    fn handshake_done(&self) -> bool {
        self.handshake
            .as_ref()
            .is_none_or(|handshake| handshake.registration.is_done())
    }

    /// How long the reader may wait for a line before calling [`idle`]:
    /// [`PING_INTERVAL`], or the idle timeout if that is shorter.
    ///
    /// [`idle`]: IrcConn::idle
    pub(super) fn read_timeout(&self) -> Duration {
        self.idle_limit
            .map_or(PING_INTERVAL, |idle| idle.min(PING_INTERVAL))
    }

    /// The idle timeout has passed since the client last said something:
    /// keepalives (`PING`, `PONG`) show that a client is alive, not that
    /// anyone is using it, so they do not count. This is the rule for every
    /// dialect: a line typed on `nc`, a text message from a browser, any
    /// IRC command but `PING`/`PONG`. Without it an IRC bot, which answers
    /// pings for ever, could hold a place on the server for ever.
    fn idle_too_long(&self) -> bool {
        self.handshake_done()
            && self
                .idle_limit
                .is_some_and(|limit| self.last_active.elapsed() >= limit)
    }

    /// Closes the connection for being idle (see [`IrcConn::idle_too_long`]).
    fn close_idle(&self, state: &mut State, id: ConnId) -> Flow {
        let secs = self.idle_limit.map_or(0, |limit| limit.as_secs());
        state.refuse(id, Refusal::IdleTimeout(secs));
        state.disconnect(id, "idle timeout");
        Flow::Close
    }

    fn registered(&self) -> Option<Dialect> {
        self.handshake_done().then_some(Dialect::Irc)
    }

    /// A registered client was silent for [`PING_INTERVAL`]: ping it, or
    /// close if the last ping got no answer.
    pub(super) fn idle(&mut self, state: &mut State, id: ConnId) -> Flow {
        if self.idle_too_long() {
            return self.close_idle(state, id);
        }
        if self.pinged {
            state.disconnect(id, "ping timeout");
            return Flow::Close;
        }
        self.pinged = true;
        let server = state.irc_info();
        state.send_lines(id, &irc::line(&server.name, "PING", &[&server.name]));
        Flow::Continue
    }

    /// One line from the client.
    pub(super) fn handle(&mut self, state: &mut State, id: ConnId, text: &str) -> Applied {
        self.pinged = false;
        let unchanged = Applied {
            flow: Flow::Continue,
            registered: self.registered(),
            reply_bytes: 0,
            slow: None,
        };
        // IRC servers ignore empty lines (or a lone `:prefix`), but a line
        // over 512 bytes is answered with `417`: silence would lose it.
        let message = match irc::parse(text) {
            Ok(message) => message,
            Err(irc::ParseError::Empty) => return unchanged,
            Err(irc::ParseError::TooLong) => {
                state.refuse(id, Refusal::LineTooLong(irc::MAX_LINE_BYTES));
                return unchanged;
            }
        };
        if matches!(message.verb.as_str(), "PING" | "PONG") {
            if self.idle_too_long() {
                return Applied {
                    flow: self.close_idle(state, id),
                    registered: None,
                    reply_bytes: 0,
                    slow: None,
                };
            }
        } else {
            self.last_active = Instant::now();
        }
        if let Some(handshake) = self
            .handshake
            .as_mut()
            .filter(|handshake| !handshake.registration.is_done())
        {
            if message.verb == "CAP" {
                // Whether SASL is offered depends on the accounts file,
                // which `step4_server accounts` may have changed.
                state.refresh_accounts();
            }
            let step = handshake.registration.feed(&message, &*state);
            state.send_lines(id, &step.replies.concat());
            if let Some((name, password)) = step.login {
                // SASL PLAIN: the check runs outside the lock (the reader
                // runs the returned slow work), answered 903 or 904.
                let login = Command::Login { name, password };
                return state.apply_irc(id, login, "AUTHENTICATE", "");
            }
            if step.close {
                state.disconnect(id, "IRC handshake ended (wrong password or QUIT)");
                return Applied {
                    flow: Flow::Close,
                    registered: None,
                    reply_bytes: 0,
                    slow: None,
                };
            }
            let Some(ready) = step.ready else {
                return unchanged;
            };
            if let Some(pass) = handshake.registration.password() {
                // `PASS alice:secret` (irssi: `/connect host port
                // alice:secret`) logs in to an account; registering waits.
                if let Some((name, password)) = state.account_login_form(pass) {
                    handshake.waiting_for_login = Some(ready);
                    let login = Command::Login { name, password };
                    return state.apply_irc(id, login, "PASS", "");
                }
            }
            // The `PASS` is presented like `/pass` on `nc`: through the
            // guard, so one rate holds however a password arrives, and a
            // locked-out address gets the same answer whatever it sent.
            if !state.authenticated(id) {
                let close = Applied {
                    flow: Flow::Close,
                    registered: None,
                    reply_bytes: 0,
                    slow: None,
                };
                let given = handshake.registration.password().unwrap_or("");
                let verdict = if given.is_empty() {
                    // No `PASS` at all: nothing to check, nothing to count.
                    Verdict::Wrong(None)
                } else {
                    state.present_password(id, given)
                };
                let server = state.irc_info();
                let answer = match verdict {
                    Verdict::Right => None,
                    Verdict::Wrong(_) => Some(
                        irc::numeric_line(
                            &server.name,
                            numeric::ERR_PASSWDMISMATCH.code,
                            &ready.nick,
                            &[numeric::ERR_PASSWDMISMATCH.text],
                        ) + &irc::error_line("Closing link"),
                    ),
                    Verdict::Locked(wait) => {
                        let refusal = Refusal::TooManyGuesses(seconds_to_wait(wait));
                        let text = render::refusal_text(&refusal, Dialect::Protocol);
                        Some(irc::error_line(&text))
                    }
                };
                if let Some(answer) = answer {
                    state.send_lines(id, &answer);
                    state.disconnect(id, "wrong or missing password in the IRC handshake");
                    return close;
                }
            }
            return self.register(state, id, &ready);
        }

        let info = state.irc_info();
        let Some((nick, rooms, operator)) = state.irc_view(id) else {
            return Applied {
                flow: Flow::Close,
                registered: None,
                reply_bytes: 0,
                slow: None,
            };
        };
        let nick = nick.unwrap_or_default();
        let target = match message.verb.as_str() {
            "KICK" => message.param(1),
            "WHOIS" => message.params.last().map(String::as_str),
            _ => message.param(0),
        }
        .unwrap_or("");
        let ctx = Ctx {
            info: &info,
            nick: &nick,
            room: rooms.first().map(String::as_str),
            rooms: &rooms,
            operator,
            answering: &message.verb,
            target,
        };
        let inbound = map::inbound(&message, &ctx);
        carry_out(state, id, inbound, &message, target, unchanged)
    }
}

/// The nick a `NICK` line asks for, if the line is one (the reader first
/// waits for a departing holder of it: `server::departures`). Other lines
/// are told apart by their first word, without a parse.
pub(super) fn wanted_nick(text: &str) -> Option<String> {
    let mut words = text.split(' ').filter(|word| !word.is_empty());
    let verb = words.find(|word| !word.starts_with(['@', ':']))?;
    if !verb.eq_ignore_ascii_case("NICK") {
        return None;
    }
    irc::parse(text).ok()?.param(0).map(str::to_string)
}

/// Does what an IRC request asks: a chat command through the state, an
/// answer queued as it is, or each part of a request for several channels
/// in turn (stopping if one ends the connection).
fn carry_out(
    state: &mut State,
    id: ConnId,
    inbound: Inbound,
    message: &irc::Message,
    target: &str,
    unchanged: Applied,
) -> Applied {
    match inbound {
        Inbound::Chat(command) => {
            if let (Command::Quit, Some(reason)) = (&command, message.param(0)) {
                state.set_quit_reason(id, reason);
            }
            if message.verb == "PART" {
                state.set_part_reason(id, message.param(1));
            }
            // A request for several channels names each in its replies.
            let target = match &command {
                Command::In(_, inner) if matches!(**inner, Command::Kick { .. }) => {
                    target.to_string()
                }
                Command::Join(room) | Command::In(room, _) => room.clone(),
                _ => target.to_string(),
            };
            state.apply_irc(id, command, &message.verb, &target)
        }
        Inbound::Answer(lines) => {
            state.send_lines(id, &lines.concat());
            unchanged
        }
        Inbound::About(query, room) => {
            let reply_bytes = state.irc_about(id, query, &message.verb, &room);
            Applied {
                reply_bytes,
                ..unchanged
            }
        }
        Inbound::Ctcp { to, notice, body } => {
            state.irc_ctcp(id, &to, notice, &body);
            unchanged
        }
        Inbound::Nothing => unchanged,
        Inbound::Userhost(nicks) => {
            state.irc_userhost(id, &nicks);
            unchanged
        }
        Inbound::Lusers => {
            state.irc_lusers(id);
            unchanged
        }
        Inbound::Several(parts) => {
            // Channel commands only: no part has slow work (a login) to carry.
            let (flow, registered) = (unchanged.flow, unchanged.registered);
            let fresh = || Applied {
                flow,
                registered,
                reply_bytes: 0,
                slow: None,
            };
            let mut all = fresh();
            for part in parts {
                let applied = carry_out(state, id, part, message, target, fresh());
                all.reply_bytes += applied.reply_bytes;
                all.registered = applied.registered;
                all.flow = applied.flow;
                if applied.flow == Flow::Close {
                    break;
                }
            }
            all
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::History;
    use crate::outbox::sink::MemorySink;
    use crate::outbox::{outbox, Item, Queued};
    use crate::settings::server::ServerConfig;
    use std::sync::Arc;

    #[test]
    fn the_nick_a_line_asks_for_is_found_without_parsing_other_lines() {
        assert_eq!(wanted_nick("NICK foo").as_deref(), Some("foo"));
        assert_eq!(wanted_nick("nick :foo").as_deref(), Some("foo"));
        assert_eq!(
            wanted_nick("@label=1 :me NICK  foo").as_deref(),
            Some("foo")
        );
        assert_eq!(wanted_nick("NICK"), None);
        assert_eq!(wanted_nick("PRIVMSG #a :NICK foo"), None);
        assert_eq!(wanted_nick("NICKNAME foo"), None);
        assert_eq!(wanted_nick(""), None);
        assert_eq!(wanted_nick("@only-tags"), None);
    }

    #[test]
    fn a_silent_client_is_pinged_and_then_dropped_unless_it_answers() {
        let config = ServerConfig::default();
        let mut state = State::new(&config, History::in_memory(0), "op".into());
        let (outbox, inbox) = outbox(16, Arc::new(MemorySink::new(1024)), true);
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 1));
        let admitted = state.admit(addr, outbox, Box::new(|| {}));
        let Ok(id) = admitted else { panic!("refused") };
        let mut irc = IrcConn::start(&mut state, id, 0);
        for line in ["NICK alice", "USER a 0 * :A"] {
            irc.handle(&mut state, id, line);
        }
        while let Queued::Item(_) = inbox.try_next() {} // the welcome
        assert_eq!(irc.idle(&mut state, id), Flow::Continue);
        let Queued::Item(Item::Line(ping)) = inbox.try_next() else {
            panic!("no PING")
        };
        assert_eq!(&*ping, ":chatroom.local PING chatroom.local\r\n");
        irc.handle(&mut state, id, "PONG chatroom.local"); // answered: pinged again later
        assert_eq!(irc.idle(&mut state, id), Flow::Continue);
        assert!(matches!(inbox.try_next(), Queued::Item(_)));
        assert_eq!(irc.idle(&mut state, id), Flow::Close); // not answered
        assert_eq!(state.connection_count(), 0);
    }

    /// The handshake's state is dropped once the client has a name, and
    /// not before: a nick refused by the state (433) keeps it going.
    #[test]
    fn the_handshake_is_kept_until_the_client_is_registered_and_then_let_go() {
        let config = ServerConfig::default();
        let mut state = State::new(&config, History::in_memory(0), "op".into());
        let start = |state: &mut State| {
            let (outbox, _inbox) = outbox(16, Arc::new(MemorySink::new(1 << 16)), true);
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 1));
            let Ok(id) = state.admit(addr, outbox, Box::new(|| {})) else {
                panic!("refused")
            };
            (id, IrcConn::start(state, id, 0))
        };
        let (alice, mut first) = start(&mut state);
        first.handle(&mut state, alice, "NICK alice");
        assert!(first.handshake.is_some());
        first.handle(&mut state, alice, "USER a 0 * :A");
        assert!(first.handshake.is_none());
        assert_eq!(first.registered(), Some(Dialect::Irc));

        let (again, mut second) = start(&mut state);
        for line in ["NICK alice", "USER b 0 * :B"] {
            second.handle(&mut state, again, line);
        }
        assert!(second.handshake.is_some(), "433: it picks another nick");
        assert_eq!(second.registered(), None);
        let applied = second.handle(&mut state, again, "NICK bob");
        assert_eq!(applied.registered, Some(Dialect::Irc));
        assert!(second.handshake.is_none());
    }
}
