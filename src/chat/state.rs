//! The shared state: who is connected, who is called what, who is in which
//! room, and how to reach each of them.
//!
//! One [`State`] lives behind one `Mutex` (see [`SharedState`]), and every
//! connection's reader thread locks it to act on a command. That is the whole
//! concurrency story, on purpose: one lock is easy to reason about, and it is
//! held for in-memory work — looking people up and putting already-formatted
//! lines into queues with `try_send`, which never waits — and for one thing
//! that is not in memory: appending the message to the history (a write to
//! the file, and with `fsync = always` a wait for the disk), because a
//! message is stored before it is delivered, in delivery order. No socket is
//! ever written while the lock is held: queueing a line may hand the
//! queueing thread the turn to see it written ([`crate::outbox`]), and
//! [`Locked::unlock`] gives those turns back as a [`Turns`] that the thread
//! writes once the lock is released.
//!
//! Holding the lock while queueing is also what gives the ordering guarantee:
//! because a message is queued for all recipients before the next message can
//! be, every member of a room receives the room's messages in the same order.
//!
//! **The slow-client policy.** A client whose queue is full (it stopped reading,
//! and its socket buffers and `queue_len` queued lines are used up) is
//! disconnected on the spot, with a log line (a person in chat mode gets a
//! last line saying why, if they read on within two seconds: see
//! `drop_overflowed`). The alternative policies are
//! worse: blocking would let one stalled laptop freeze the whole class, and
//! dropping lines silently would break "a member that keeps reading receives
//! every message".
//!
//! **A panic while the lock is held** poisons the mutex. [`lock`] takes the
//! state anyway rather than letting every other thread panic in turn: the
//! methods here change the maps in small steps that each leave them usable, and
//! no input can make them panic in the first place (no `unwrap`, no indexing
//! that could fail). A panic in one connection's thread ends that connection
//! only; its cleanup guard still removes it from the state.

use crate::chat::guard::Guard;
use crate::chat::passwords::Passwords;
use crate::history::History;
use crate::log;
use crate::settings::server::ServerConfig;
use crate::support::counter_hash::CounterHash;
use crate::support::summary::LogSummary;
use crate::text::names;
mod accounts;
mod admission;
mod delivery;
mod irc;
mod operator;
mod registration;
mod rooms;

use crate::wire::command::{Command, Dialect, Mistake};
use crate::wire::event::{Event, Refusal};
pub use accounts::{AccountBook, SlowWork, KICK_HOLD};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// A connection's number, unique across restarts on one data directory (it
/// is the session number of its history records). Cleanup is keyed by it (not by name), so a user who reconnects under the same name can never
/// be removed by the old connection's late cleanup.
pub type ConnId = u64;

use crate::chat::stats::Deliveries;
/// The sending end of a connection's queue. A line is formatted once and the
/// same `Arc<str>` is shared by every recipient's queue, never copied.
pub use crate::outbox::Outbox;
use crate::outbox::{Item, Raw, Sent, Turns};

/// How the server cuts a connection off, given by the server layer when it
/// admits the connection (it shuts the socket down). The state never holds a
/// socket: to the rules a connection is its outbox plus this handle, so they
/// can be tested with in-memory queues.
pub type Hangup = Box<dyn Fn() + Send>;

/// The state as every thread holds it.
pub type SharedState = Arc<Mutex<State>>;

/// How many wrong `PASS` tries end the connection.
pub const MAX_WRONG_PASSWORDS: u32 = 3;

/// Locks the state, recovering it if another thread panicked while holding it
/// (see the module notes for why that is safe here).
///
/// Unlock it with [`Locked::unlock`], which returns the turns to write
/// that the locked work was given: the caller writes them, lock released.
pub fn lock(state: &SharedState) -> Locked<'_> {
    let guard = state.lock().unwrap_or_else(|poisoned| {
        log!("Warning: a connection thread panicked while holding the state lock; carrying on");
        poisoned.into_inner()
    });
    Locked { guard: Some(guard) }
}

/// The locked state; see [`lock`].
pub struct Locked<'a> {
    guard: Option<MutexGuard<'a, State>>,
}

impl std::ops::Deref for Locked<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        // ok: `guard` is only taken in `drop`, after the last deref.
        self.guard.as_deref().expect("the guard lives until drop")
    }
}

impl std::ops::DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut State {
        let guard = self.guard.as_deref_mut();
        guard.expect("the guard lives until drop") // ok: only taken in `drop`, after the last deref
    }
}

impl Locked<'_> {
    /// Releases the lock, and returns the turns to write that queueing
    /// gave this thread (see [`crate::outbox`]): the caller writes them
    /// with [`Turns::write`], now that no one waits for the lock.
    pub fn unlock(mut self) -> Turns {
        self.release()
    }

    fn release(&mut self) -> Turns {
        let Some(mut guard) = self.guard.take() else {
            return Turns::default();
        };
        let turns = std::mem::take(&mut guard.out.turns);
        guard.out.deliveries.tick(); // files this section's deliveries under their second
        turns
    }
}

impl Drop for Locked<'_> {
    /// Unlocked without [`Locked::unlock`] (a short call such as
    /// `lock(&state).disconnect(id, …)`, or a panic): the turns are dropped
    /// unwritten, which hands each to its writer thread. Nothing is lost;
    /// only the fast path is skipped.
    fn drop(&mut self) {
        drop(self.release());
    }
}

/// What the connection's reader should do after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Stop reading: the connection is over (its writer closes the socket once
    /// it has written what is queued).
    Close,
}

/// What the reader needs to know after [`State::apply`].
#[derive(Debug)]
pub struct Applied {
    pub flow: Flow,
    /// The dialect the client registered in; `None` while it has no name
    /// (the reader then keeps the registration deadline and guesses each
    /// line's dialect).
    pub registered: Option<Dialect>,
    /// Bytes the command queued for its own sender (a `USERS` list, a
    /// `JOIN`'s replay): the reader charges flood control for them (see
    /// `src/server/limits.rs`).
    pub reply_bytes: usize,
    /// Work too slow to do under the lock (a password hash): the reader
    /// runs it unlocked and gives the answer to [`State::slow_done`].
    pub slow: Option<SlowWork>,
}

/// One connection, registered or not.
struct Conn {
    addr: SocketAddr,
    /// When it connected (`CONNS` shows the oldest's age).
    since: Instant,
    /// Cuts the client off even while its writer is blocked in `write()`
    /// (used when its queue is full).
    hangup: Hangup,
    outbox: Outbox,
    /// `None` until registered.
    name: Option<String>,
    /// Until registration, the dialect of the client's latest line (the
    /// reader guesses it, [`State::apply`] stores it); registering fixes it.
    dialect: Dialect,
    /// Keys of the rooms they are in, in joining order.
    rooms: Vec<String>,
    /// Key of the room a plain line goes to (and that room-scoped
    /// commands act on when they name none): the room joined or switched
    /// to last. `None` only when `rooms` is empty.
    current: Option<String>,
    /// May be in several rooms at once: chat mode and IRC always; a
    /// protocol client after `MULTIROOM` (seed 002's programs expect
    /// `JOIN` to leave the room they were in).
    multi: bool,
    /// Passed the door password (or none is needed).
    authenticated: bool,
    wrong_passwords: u32,
    operator: bool,
    /// The account logged in to, by its name in the accounts file.
    account: Option<String>,
    /// The page's session this connection logged in with or was given
    /// (its token's hash), for `LOGOUT`.
    session: Option<crate::accounts::session::TokenHash>,
    /// Logged in with the teacher's one-time code: nothing they say goes
    /// out until they choose their own password (`PASSWORD`).
    must_choose_password: bool,
    /// After a wrong login, no other try on this connection until then
    /// (see `state/accounts.rs`).
    next_login: Option<Instant>,
    muted: bool,
    /// `AWAY` message, if set (IRC: answered with `301` when messaged).
    away: Option<String>,
    /// Why they are leaving the server, if they said (IRC's `QUIT :reason`).
    quit_reason: Option<String>,
    /// The user name and real name an IRC client gave in `USER` (`WHOIS`
    /// shows them), cleaned.
    irc_user: Option<(String, String)>,
    /// Why they are leaving the room their current command leaves, if they
    /// said (IRC's `PART #room :reason`).
    part_reason: Option<String>,
    /// Asked for `HISTORY TIMED`: a join's history comes fenced and timed,
    /// not as seed 002's plain `ROOM` lines.
    timed_history: bool,
    /// Came through the chat page's WebSocket: a person in a browser, for
    /// words like "uses the web page" (a CTCP VERSION from IRC).
    web_page: bool,
}

impl Conn {
    /// Closed at once ([`crate::chat::guard::QUICK_CLOSE`]), without a
    /// name or a password tried: its connection token is given back, and
    /// its log line summarised.
    fn held_nothing(&self) -> bool {
        self.name.is_none()
            && self.wrong_passwords == 0
            && !self.operator
            && self.since.elapsed() < crate::chat::guard::QUICK_CLOSE
    }

    /// "alice (127.0.0.1:50412)" or just the address, for log lines.
    fn who(&self) -> String {
        match &self.name {
            Some(name) => format!("{name} ({})", self.addr),
            None => self.addr.to_string(),
        }
    }
}

/// A room message or action about to be sent: see `State::speech`.
struct Speech {
    room_key: String,
    /// The room's name as shown.
    room: String,
    user: String,
    /// Cleaned of control characters.
    text: String,
    /// Who does not get it back (a chat-mode sender).
    except: Option<ConnId>,
}

struct Room {
    /// As first typed, e.g. `#Lab-1`; the key is its lower-case form.
    name: String,
    /// In joining order, which is the order `JOIN` lines list them.
    members: Vec<ConnId>,
    topic: Option<String>,
    /// Who set the topic and when (Unix milliseconds).
    topic_set: Option<(String, u64)>,
}

/// The settings the state needs, copied out of [`ServerConfig`].
struct Settings {
    motd: String,
    password: Option<String>,
    admin_password: String,
    default_room: Option<String>,
    /// Most rooms one person may be in at once (see `State::join`).
    max_rooms_per_person: usize,
    max_clients: usize,
    max_per_ip: usize,
    max_unregistered_per_ip: usize,
    connect_rate_per_ip: u32,
    /// What IRC clients are told about the server (its name, the MOTD).
    irc: Arc<crate::wire::irc::map::ServerInfo>,
}

/// What queueing lines under the lock leaves to do after it.
struct Outgoing {
    /// Connections whose queue was full during the current command; they
    /// are disconnected once the command is done (see `drop_overflowed`).
    overflowed: Vec<ConnId>,
    /// Clients the current command queued a line for while nobody was
    /// writing for them: this thread now has their turn, and [`Locked::unlock`]
    /// hands them to it to write once the lock is released.
    turns: Turns,
    /// Lines queued, for `STATS` (see [`crate::chat::stats`]).
    deliveries: Deliveries,
}

impl Outgoing {
    /// Puts an item in a client's queue without ever waiting. A full queue
    /// marks the client for disconnection (the slow-client policy in the
    /// module notes); a turn given goes on the list to write. Each item
    /// queued counts as a delivery (`STATS`): a plain add, under the lock
    /// already held.
    fn queue(&mut self, id: ConnId, outbox: &mut Outbox, item: Item) {
        match outbox.send_item(item) {
            Sent::Queued => self.deliveries.one(),
            Sent::YourTurn(doorbell) => {
                self.deliveries.one();
                self.turns.push(doorbell)
            }
            Sent::Full => self.overflowed.push(id),
            // The writer already stopped (the socket failed); the reader's
            // cleanup is about to remove this connection.
            Sent::Gone => {}
        }
    }
}

/// Log lines of each kind a class also causes (connections opened,
/// registrations, departures, connections closed at once: a class opening
/// the page in its browsers) that one address may have written in a
/// minute, before the rest are only counted (`support::summary`): a class
/// of 60 behind one school address is logged in full, a loop is not.
pub const FREE_LOG_LINES: u64 = 60;

/// Users and rooms. See the module notes.
pub struct State {
    /// Keyed by a number the server counts out: a cheap hash will do
    /// (looked up twice per delivery; see `support::counter_hash`).
    conns: HashMap<ConnId, Conn, CounterHash>,
    /// name key → connection, for registered users.
    names: HashMap<String, ConnId>,
    /// The same people by their names' skeletons (`aIice` → `alice`), to
    /// refuse a look-alike of someone online.
    looks: HashMap<String, ConnId>,
    /// room key → room. A room exists while it has members.
    rooms: HashMap<String, Room>,
    connections_per_ip: HashMap<IpAddr, usize>,
    /// Per-address connection rates, history shares, bans (see [`Guard`]).
    guard: Guard,
    /// Wrong passwords per secret and address, every door's (see
    /// [`Passwords`]).
    passwords: Passwords,
    /// Log lines a stranger can cause, summarised per address and minute.
    log_summary: LogSummary,
    /// Addresses of muted people: a mute holds the person, not the name,
    /// so reconnecting under another name does not unmute, and an innocent
    /// person who later takes a muted name is not muted (unless they come
    /// from the same address, which behind a school NAT can happen: the log
    /// says so, and `UNMUTE` fixes it).
    muted_addresses: HashSet<IpAddr>,
    /// The class list, and what moderation remembers of accounts.
    accounts: AccountBook,
    /// The slow work the current command left for its reader (see
    /// `state/accounts.rs`).
    slow: Option<(ConnId, SlowWork)>,
    history: History,
    settings: Settings,
    /// What queueing under this lock left to do: see [`Outgoing`].
    out: Outgoing,
    /// While a command is applied: its sender, and the bytes queued for
    /// them so far (see [`Applied::reply_bytes`]).
    acting: Option<(ConnId, usize)>,
    /// The IRC request being answered (connection, verb, target), so that
    /// its replies name what was asked (`401 alice bob :No such nick`).
    irc_request: Option<(ConnId, String, String)>,
    /// While a command that named its room is applied (`Command::In`):
    /// that room's key, which room-scoped commands then act on instead of
    /// the sender's current room (see `State::room_of`).
    scope: Option<String>,
    /// Who was kicked out of which room lately (see `State::kept_out`).
    kicked: rooms::Kicked,
}

impl State {
    pub fn new(config: &ServerConfig, history: History, admin_password: String) -> State {
        State {
            conns: HashMap::default(),
            names: HashMap::new(),
            looks: HashMap::new(),
            rooms: HashMap::new(),
            connections_per_ip: HashMap::new(),
            guard: Guard::new(config.connect_rate_per_ip, config.connect_burst_per_ip)
                .with_history_share(match config.history {
                    true => crate::chat::guard::history_share(config.history_keep_mb),
                    false => 0,
                }),
            passwords: Passwords::default(),
            muted_addresses: HashSet::new(),
            accounts: AccountBook::fixed(Default::default(), config.guests),
            slow: None,
            log_summary: LogSummary::default(),
            history,
            settings: Settings {
                motd: config.motd.clone(),
                password: config.password.clone().filter(|p| !p.is_empty()),
                admin_password,
                default_room: names::normalize_room(&config.default_room),
                max_rooms_per_person: config.max_rooms_per_person,
                max_clients: config.max_clients,
                max_per_ip: config.max_per_ip,
                max_unregistered_per_ip: config.max_unregistered_per_ip,
                connect_rate_per_ip: config.connect_rate_per_ip,
                irc: Arc::new(crate::wire::irc::map::ServerInfo::new(
                    &config.irc_server_name,
                    &config.motd,
                    &crate::support::timestamp::human(crate::support::timestamp::now_millis()),
                    config.max_rooms_per_person,
                )),
            },
            irc_request: None,
            scope: None,
            kicked: rooms::Kicked::default(),
            out: Outgoing {
                overflowed: Vec::new(),
                turns: Turns::default(),
                deliveries: Deliveries::new(Instant::now()),
            },
            acting: None,
        }
    }

    /// How many connections, registered or not.
    /// Is connection `id` still here (not removed, or never admitted)?
    pub fn is_connected(&self, id: ConnId) -> bool {
        self.conns.contains_key(&id)
    }

    pub fn connection_count(&self) -> usize {
        self.conns.len()
    }

    /// Sends the greeting.
    pub fn greet(&mut self, id: ConnId) {
        let greeting = Event::Greeting {
            motd: self.settings.motd.clone(),
            password_required: self.settings.password.is_some(),
        };
        self.send(id, &greeting);
    }

    /// The dialect to parse this client's lines in: `None` before registering.
    fn registered_dialect(&self, id: ConnId) -> Option<Dialect> {
        let conn = self.conns.get(&id)?;
        conn.name.as_ref().map(|_| conn.dialect)
    }

    /// Who a connection is, for log lines: "alice (127.0.0.1:50412)", or
    /// only the address before it has a name.
    pub fn describe(&self, id: ConnId) -> String {
        self.conns
            .get(&id)
            .map_or_else(|| format!("connection {id}"), Conn::who)
    }

    /// Tells one client its command was refused.
    pub fn refuse(&mut self, id: ConnId, refusal: Refusal) {
        self.send(id, &Event::Refused(refusal));
        self.drop_overflowed();
    }

    /// Notes that `id` is the chat page in a browser (its WebSocket opened).
    pub fn mark_web_page(&mut self, id: ConnId) {
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.web_page = true;
        }
    }

    /// Answers a web browser with `response` and closes the connection.
    pub fn answer_and_close(&mut self, id: ConnId, response: &str) {
        if let Some(conn) = self.conns.get_mut(&id) {
            let line = Item::Line(Arc::from(response));
            self.out.queue(id, &mut conn.outbox, line);
        }
        self.remove(id, false);
    }

    /// Queues something other than a chat line for `id`'s writer alone: a
    /// WebSocket connection's `101` answer, a pong, a close frame (see
    /// [`Raw`]). It waits in the same queue as the lines, so it is sent in
    /// its place among them.
    pub fn send_raw(&mut self, id: ConnId, raw: Raw) {
        if let Some(conn) = self.conns.get_mut(&id) {
            self.out
                .queue(id, &mut conn.outbox, Item::Raw(Box::new(raw)));
        }
        self.drop_overflowed();
    }

    /// Acts on one command from `id`. The heart of the server: every protocol
    /// rule in the protocol chapter's command table (`docs/step4-2-protocol.md`) is in the `match` of
    /// [`State::act`] and the handlers it calls.
    ///
    /// `line_dialect` is the dialect the reader read the line in. Before
    /// registering, replies follow it: someone typing `/pass` on `nc` is a
    /// person and gets `*** Password accepted…`, a program sending `PASS`
    /// gets `OK …`. Registering fixes the dialect for good.
    pub fn apply(&mut self, id: ConnId, line_dialect: Dialect, command: Command) -> Applied {
        self.acting = Some((id, 0));
        let flow = self.act(id, line_dialect, command);
        let reply_bytes = self.acting.take().map_or(0, |(_, bytes)| bytes);
        self.drop_overflowed();
        Applied {
            flow,
            registered: self.registered_dialect(id),
            reply_bytes,
            slow: self.take_slow(id),
        }
    }

    /// The handler of each [`Command`]: one arm per variant, so the
    /// compiler refuses a command without one (a new command: see the list
    /// at the top of [`crate::wire::command`]). The commands above the
    /// `!registered` arm may be used before choosing a name.
    fn act(&mut self, id: ConnId, line_dialect: Dialect, command: Command) -> Flow {
        let Some(conn) = self.conns.get_mut(&id) else {
            return Flow::Close; // kicked or dropped while this line was in flight
        };
        let registered = conn.name.is_some();
        if !registered {
            conn.dialect = line_dialect;
        }
        // A one-time code is for choosing a password: no word reaches
        // anyone, and no session is given, until one is chosen.
        let speaks = matches!(
            command,
            Command::Say(_)
                | Command::Private { .. }
                | Command::Action(_)
                | Command::Announce(_)
                | Command::Topic(Some(_))
                | Command::Session(None)
        );
        if conn.must_choose_password && speaks {
            let refusal = crate::wire::event::AccountRefusal::ChoosePasswordFirst;
            return self.reply_refusal(id, Refusal::Account(refusal));
        }
        match command {
            Command::Invalid(mistake) => self.reply_refusal(id, mistake_refusal(mistake)),
            Command::Register { name, dialect } => self.register(id, name, dialect),
            Command::Pass(password) => self.pass(id, &password),
            Command::Help => self.help(id),
            Command::History(word) => self.history_format(id, &word),
            Command::Quit => self.quit(id),
            Command::Login { name, password } => self.login(id, &name, password),
            Command::Password(password) => self.password(id, password),
            Command::Session(token) => self.session(id, token),
            Command::Logout => self.logout(id),
            _ if !registered => self.reply_refusal(id, Refusal::ChooseNameFirst),
            Command::In(room, command) => self.act_in(id, line_dialect, &room, *command),
            Command::Join(room) => self.join(id, &room),
            Command::Switch(room) => self.switch(id, &room),
            Command::MultiRoom => self.multi_room(id),
            Command::Leave => self.leave(id),
            Command::Say(text) => self.say(id, &text),
            Command::Private { to, text } => self.private(id, &to, &text),
            Command::Rooms(page) => self.list_rooms(id, page),
            Command::Users(page) => self.list_users(id, page),
            Command::Oper(password) => self.oper(id, &password),
            Command::Kick { user, reason } => self.kick(id, &user, reason),
            Command::Mute(user) => self.mute(id, &user, true),
            Command::Unmute(user) => self.mute(id, &user, false),
            Command::Announce(text) => self.announce(id, &text),
            Command::Stats => self.stats(id),
            Command::Conns => self.conns_by_address(id),
            Command::KickAddr(address) => self.kick_address(id, &address),
            Command::Topic(text) => self.topic(id, text),
            Command::Action(text) => self.action(id, &text),
            Command::Whois(user) => self.whois(id, &user),
            Command::Away(text) => self.away(id, text),
        }
    }

    /// The slow work `id`'s command left, if any.
    pub(crate) fn take_slow(&mut self, id: ConnId) -> Option<SlowWork> {
        match self.slow.take() {
            Some((owner, work)) if owner == id => Some(work),
            _ => None,
        }
    }

    /// Removes a connection for good and tells its room (the cleanup guard of
    /// every connection ends here; a second call for the same id does nothing).
    pub fn disconnect(&mut self, id: ConnId, reason: &str) {
        if let Some(conn) = self.conns.get(&id) {
            let line = || format!("Disconnected {}: {reason}", conn.who());
            // A connection that held nothing (see `remove`) is what a
            // connect-and-close loop makes; a loop that registers first
            // is counted as departures. Either way, not one line each.
            let kind = match conn.held_nothing() {
                true => "connections closed at once",
                false => "departures",
            };
            let now = Instant::now();
            self.log_summary
                .log_after(conn.addr.ip(), kind, FREE_LOG_LINES, now, line);
            self.remove(id, true);
            self.drop_overflowed();
        }
    }

    /// Graceful shutdown: tell everyone, then let every writer finish its
    /// queue and close (removing a connection drops its queue's sender).
    pub fn shut_down_all(&mut self) {
        let ids: Vec<ConnId> = self.conns.keys().copied().collect();
        for &id in &ids {
            self.send(id, &Event::ShuttingDown);
            // A browser's tab is told why the socket closes (1001, "going
            // away"); a line client's writer skips this.
            self.send_raw(id, Raw::Close(crate::wire::websocket::status::GOING_AWAY));
        }
        for id in ids {
            self.remove(id, false);
        }
        self.out.overflowed.clear();
        if let Err(error) = self.history.sync() {
            log!("Warning: could not flush the history file to disk: {error}");
        }
    }

    /// Forgets a connection. Dropping its `Conn` drops the only sender of its
    /// queue, so its writer thread writes what is still queued and then
    /// closes the socket, which in turn ends its reader.
    fn remove(&mut self, id: ConnId, announce_leave: bool) {
        let quit = self
            .conns
            .get(&id)
            .map(|conn| (conn.quit_reason.clone()).unwrap_or_else(|| "Quit".to_string()));
        self.leave_all_rooms(id, announce_leave, quit, "");
        let Some(conn) = self.conns.remove(&id) else {
            return;
        };
        if let Some(name) = &conn.name {
            self.names.remove(&names::key(name));
            let look = names::skeleton(name);
            if self.looks.get(&look) == Some(&id) {
                self.looks.remove(&look);
            }
        }
        if conn.held_nothing() {
            self.guard.refund(conn.addr.ip());
        }
        if let Some(count) = self.connections_per_ip.get_mut(&conn.addr.ip()) {
            *count -= 1;
            if *count == 0 {
                self.connections_per_ip.remove(&conn.addr.ip());
            }
        }
    }
}

fn mistake_refusal(mistake: Mistake) -> Refusal {
    match mistake {
        Mistake::EmptyMessage => Refusal::EmptyMessage,
        Mistake::Usage(usage) => Refusal::Usage(usage),
        Mistake::Unknown(command) => Refusal::UnknownCommand(command),
        Mistake::NameWithSpaces(joined) => Refusal::NameWithSpaces(joined),
    }
}
