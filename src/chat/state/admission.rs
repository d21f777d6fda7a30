//! Who may come in: a new connection is taken into the state, or told
//! why not, before it has said anything.
//!
//! The checks, in the order they run, each answer one attack on a
//! class: a full server ([`Refusal::ServerFull`], though the teacher still
//! gets in at the door kept for operators, [`OPERATOR_RESERVE`]); an address
//! banned by `KICKADDR`; one address holding too many connections; one
//! address holding too many without a name (the oldest nameless one makes
//! way after [`NAMELESS_EVICT_AFTER`], so a prankster behind the school's
//! address cannot keep the class out); and connecting too fast
//! ([`crate::chat::guard`]). A connection let in gets its number, which is
//! also its history session.

use super::{Conn, ConnId, Hangup, Outbox, State};
use crate::chat::guard::seconds_to_wait;
use crate::chat::passwords::{Secret, Verdict};
use crate::log;
use crate::support::secret::constant_time_eq;
use crate::wire::command::Dialect;
use crate::wire::event::{Event, Refusal};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// When an address has `max_unregistered_per_ip` connections without a
/// name, a new one closes the oldest of them if it is at least this old
/// (see [`State::admit`]): a class arriving at once fits in the limit, and
/// nameless connections held on purpose make way for classmates.
pub const NAMELESS_EVICT_AFTER: Duration = Duration::from_secs(20);

/// Connections an operator may still open when `max_clients` are taken,
/// like PostgreSQL's `superuser_reserved_connections`: a server filled by a
/// flood still lets the teacher in to see it and kick it.
pub const OPERATOR_RESERVE: usize = 5;

impl State {
    /// Takes in a new connection, or says why not (server full, too many
    /// from one address, too many nameless ones from it, or arriving too
    /// fast from it: see [`Guard`](crate::chat::guard::Guard)).
    pub fn admit(
        &mut self,
        addr: SocketAddr,
        outbox: Outbox,
        hangup: Hangup,
    ) -> Result<ConnId, Refusal> {
        if self.conns.len() >= self.settings.max_clients {
            return Err(Refusal::ServerFull);
        }
        let ip = addr.ip();
        let now = Instant::now();
        if let Some(left) = self.guard.banned(ip, now) {
            return Err(Refusal::Banned(seconds_to_wait(left)));
        }
        let from_ip = self.connections_per_ip.get(&ip).copied().unwrap_or(0);
        if self.settings.max_per_ip > 0 && from_ip >= self.settings.max_per_ip {
            return Err(Refusal::TooManyFromAddress);
        }
        // A scan, not a counter: it is only needed when someone connects,
        // and it can never fall out of step with the connections.
        let limit = self.settings.max_unregistered_per_ip;
        let mut evict = None;
        if limit > 0 {
            let nameless: Vec<(ConnId, Instant)> = self
                .conns
                .iter()
                .filter(|(_, c)| c.name.is_none() && c.addr.ip() == ip)
                .map(|(&id, c)| (id, c.since))
                .collect();
            if nameless.len() >= limit {
                // Behind a school's address, refusing the newcomer would let
                // one prankster holding nameless connections keep the class
                // out; the oldest of them has had its chance to choose a name.
                let oldest = nameless.iter().min_by_key(|(_, since)| *since);
                match oldest {
                    Some(&(old, since))
                        if now.saturating_duration_since(since) >= NAMELESS_EVICT_AFTER =>
                    {
                        evict = Some(old)
                    }
                    _ => return Err(Refusal::TooManyUnregisteredFromAddress(limit)),
                }
            }
        }
        if self.guard.connect(ip, now).is_err() {
            return Err(Refusal::ConnectingTooFast(
                self.settings.connect_rate_per_ip,
            ));
        }
        if let Some(old) = evict {
            self.send(old, &Event::Refused(Refusal::RegistrationTimeout));
            self.disconnect(
                old,
                "nameless for too long, and its address needed the place",
            );
        }
        Ok(self.insert_conn(addr, outbox, hangup, false))
    }

    /// A connection at a full server that gave `password` as its first
    /// line: let in beyond `max_clients` (at most [`OPERATOR_RESERVE`]
    /// more), as an operator, if it is the operator password. The password
    /// goes through the guard like every other, so this door is no faster
    /// to guess at than `/op`.
    pub fn admit_operator(
        &mut self,
        addr: SocketAddr,
        outbox: Outbox,
        hangup: Hangup,
        password: &str,
    ) -> Result<ConnId, Refusal> {
        if self.conns.len() >= self.settings.max_clients + OPERATOR_RESERVE {
            return Err(Refusal::ServerFull);
        }
        let expected = self.settings.admin_password.as_bytes();
        let verdict = self
            .passwords
            .present(addr.ip(), &Secret::Operator, Instant::now(), || {
                constant_time_eq(password.as_bytes(), expected)
            });
        match verdict {
            Verdict::Right => {}
            Verdict::Wrong(line) => {
                if let Some(line) = line {
                    log!("{line} (at a full server's door)");
                }
                return Err(Refusal::ServerFull);
            }
            Verdict::Locked(wait) => return Err(Refusal::TooManyGuesses(seconds_to_wait(wait))),
        }
        let id = self.insert_conn(addr, outbox, hangup, true);
        log!("An operator came in at {addr} although the server is full");
        Ok(id)
    }

    fn insert_conn(
        &mut self,
        addr: SocketAddr,
        outbox: Outbox,
        hangup: Hangup,
        operator: bool,
    ) -> ConnId {
        *self.connections_per_ip.entry(addr.ip()).or_insert(0) += 1;
        // The connection's number is its history session: unique across
        // restarts, so the history can tell people apart.
        let id = self.history.new_session();
        self.conns.insert(
            id,
            Conn {
                addr,
                since: Instant::now(),
                hangup,
                outbox,
                name: None,
                dialect: Dialect::Protocol,
                rooms: Vec::new(),
                current: None,
                multi: false,
                // An operator is past the door password too.
                authenticated: operator || self.settings.password.is_none(),
                wrong_passwords: 0,
                operator,
                account: None,
                session: None,
                must_choose_password: false,
                next_login: None,
                muted: false,
                away: None,
                quit_reason: None,
                part_reason: None,
                irc_user: None,
                timed_history: false,
                web_page: false,
            },
        );
        id
    }
}
