//! Events: everything the server can tell a client, before it becomes text.
//!
//! Acting on the shared state (`src/chat/state.rs`) produces events, not strings:
//! "bob joined #general", "your name is taken". Only then are they turned into
//! lines by [`crate::wire::render`], once per dialect, because the same event reads
//! `JOIN #general bob` for a program and `* bob joined #general` for a person
//! on `nc`. Keeping the two steps apart means the wording can be read (and
//! tested) in one place. The exceptions, made where the state has the facts:
//! a kick's note (`kicked by lee: spam`), which the history stores as it
//! is, and the answers to IRC's CTCP requests (`state/irc.rs`).

use crate::wire::command::Usage;

/// How a private action (`/me` in a private window) travels: as a private
/// message whose text starts with `/me `. A chat user types `/msg bob /me
/// waves`, a program sends `PRIVMSG bob /me waves`, irssi sends a CTCP
/// ACTION to `bob`; all three are the same private message, stored as one,
/// and each dialect shows it as an action: `[private] alice *waves*` in a
/// chat window, `PRIVMSG alice /me waves` to a program (what it would send),
/// `\x01ACTION waves\x01` to an IRC client. A marker in the text, rather
/// than a second kind of private message, keeps the rules and the history
/// as they are: only the last step, the wording, knows.
pub const PRIVATE_ACTION: &str = "/me ";

/// The action in a private message's text (`/me waves` → `waves`), or
/// `None` for an ordinary one.
pub fn private_action(text: &str) -> Option<&str> {
    text.strip_prefix(PRIVATE_ACTION)
}

/// Something that happened, addressed to one or more clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    // ---- Replies to the client who asked -------------------------------
    /// The first lines on a new connection.
    Greeting {
        motd: String,
        password_required: bool,
    },
    /// Registration worked.
    Welcome {
        name: String,
    },
    /// A registered user changed their own name.
    Renamed {
        old: String,
        new: String,
    },
    /// `PASS` was right.
    PasswordAccepted,
    /// You are now in `room`; `members` were there before you.
    Joined {
        room: String,
        members: Vec<String>,
    },
    /// The room's topic, on join (only when set) and when asked for.
    TopicIs {
        room: String,
        topic: Option<String>,
        /// Who set it and when (Unix milliseconds), for IRC's `333`.
        set: Option<(String, u64)>,
    },
    /// The room's recent messages, replayed to someone who just joined.
    /// `timed`: as `HISTORY` lines (asked for with `HISTORY TIMED`); a
    /// protocol client that did not ask gets seed 002's plain `ROOM` lines.
    Recent {
        room: String,
        records: Vec<Recalled>,
        timed: bool,
    },
    /// `HISTORY TIMED` was understood.
    HistoryTimed,
    /// You left `room` (saying why, on IRC).
    Left {
        room: String,
        reason: Option<String>,
    },
    /// Your private message to `to` was delivered.
    Sent {
        to: String,
        text: String,
    },
    /// Answer to `USERS`: a room's members, or everyone when `room` is `None`;
    /// one page of them when `more` says there are others.
    UserList {
        room: Option<String>,
        users: Vec<String>,
        more: Option<More>,
    },
    /// Answer to `ROOMS`: each room's name and how many are in it; one page
    /// of them when the second field says there are others; the third
    /// says which are the asker's (chat mode marks them).
    RoomList(Vec<(String, usize)>, Option<More>, Yours),
    /// Plain lines (and room commands that name no room) now go to `room`:
    /// after `SWITCH`, a `JOIN` of a room you are in, or leaving the
    /// current room while in others.
    Current {
        room: String,
    },
    /// `MULTIROOM` is on: `JOIN` adds a room from now on.
    MultiRoom,
    /// Answer to `HELP`.
    Help {
        operator: bool,
    },
    /// Answer to `QUIT`; the connection closes after it.
    Goodbye,
    /// `OPER` was right.
    Operator,
    /// `LOGIN` was right: logged in to the account `name` (an operator if
    /// the account is a teacher's); `with_code`: a one-time code was used,
    /// so the student must choose a password now.
    LoggedIn {
        name: String,
        operator: bool,
        with_code: bool,
    },
    /// `PASSWORD` worked: the account has its new password.
    PasswordChanged,
    /// `SESSION`: the token to keep, and for how many seconds it is good.
    SessionIssued {
        token: String,
        secs: u64,
    },
    /// `LOGOUT`: the session is over; the connection closes after this.
    LoggedOut,
    /// Answer to `STATS` (operators only).
    Stats(Box<Snapshot>),
    /// An operator command worked: "Kicked bob", "Muted bob".
    Done {
        action: OperatorAction,
        user: String,
    },
    /// A command was refused; nothing happened.
    Refused(Refusal),
    /// Answer to `WHOIS`.
    WhoIs {
        user: String,
        room: Option<String>,
        operator: bool,
        away: Option<String>,
        /// The user name and real name an IRC client gave in `USER`.
        ident: Option<(String, String)>,
    },
    /// `AWAY` worked: now away (`true`) or back.
    AwaySet(bool),
    /// Your private message reached `user`, who is away.
    IsAway {
        user: String,
        text: String,
    },

    // ---- Things other people did ---------------------------------------
    RoomMessage {
        room: String,
        from: String,
        text: String,
        /// Sent as IRC's `NOTICE` to the channel: relayed to IRC clients as
        /// a `NOTICE`; the other dialects show it as a message.
        notice: bool,
    },
    /// A private message; one whose text starts with `/me ` is a private
    /// action (see [`private_action`]).
    Private {
        from: String,
        text: String,
    },
    UserJoined {
        room: String,
        user: String,
    },
    UserLeft {
        room: String,
        user: String,
        /// Left the server, not just the room: why (`Quit` when not said).
        quit: Option<String>,
        /// Left just the room, saying why (IRC's `PART #room :reason`).
        part: Option<String>,
    },
    NickChanged {
        old: String,
        new: String,
    },
    Action {
        room: String,
        user: String,
        text: String,
    },
    TopicSet {
        room: String,
        by: String,
        text: String,
    },
    /// `user` was kicked out of the server by `by`; sent to their room.
    Kicked {
        room: String,
        user: String,
        by: String,
        reason: Option<String>,
    },
    /// Sent to the one being kicked, just before the connection closes.
    YouWereKicked {
        by: String,
        reason: Option<String>,
    },
    /// An operator muted (`true`) or unmuted you.
    YouWereMuted {
        by: String,
        muted: bool,
    },
    /// An operator's message to everyone connected.
    Announcement(String),
    /// `CONNS`: per address, the connections, how many have no name, and
    /// the oldest one's age in seconds; and how many addresses in all.
    Connections {
        rows: Vec<(String, usize, usize, u64)>,
        addresses: usize,
    },
    /// `KICKADDR`: this many connections from `address` were closed, and it
    /// is banned for `ban_secs`.
    AddressKicked {
        address: String,
        connections: usize,
        ban_secs: u64,
    },
    /// Something the operators online must know about the server itself
    /// (the history is over its size limit): only they are sent it.
    ServerWarning(String),
    /// The server is stopping; the connection closes after this.
    ShuttingDown,
}

/// One message of a room's recent history, as a replay shows it. The wire
/// has its own type for it (the history's records carry sessions, places
/// and checks that no dialect shows), so the wire needs nothing from the
/// history layer above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recalled {
    /// When the server accepted it, in milliseconds since 1970 (UTC).
    pub time_ms: u64,
    pub sender: String,
    pub text: String,
    /// `/me` (an action) rather than a plain message.
    pub action: bool,
}

/// What an operator did to a user, for [`Event::Done`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorAction {
    Kicked,
    Muted,
    Unmuted,
}

impl OperatorAction {
    /// The word both dialects use: `OK Kicked bob`, `*** Kicked bob`.
    pub fn verb(self) -> &'static str {
        match self {
            OperatorAction::Kicked => "Kicked",
            OperatorAction::Muted => "Muted",
            OperatorAction::Unmuted => "Unmuted",
        }
    }
}

/// A list was cut to one page: how many come after it, and which page
/// shows them (`USERS 2`, `/rooms 2`), so the reply can say exactly that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct More {
    pub left: usize,
    pub next_page: usize,
}

/// The rooms a `ROOMS` list marks as the asker's, and the current one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Yours {
    pub rooms: Vec<String>,
    pub current: Option<String>,
}

/// Why a command was refused. These are part of normal running (a taken
/// name, a typo), so each becomes an `ERROR …` line saying what to do
/// instead, never a dropped connection or a silent nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    UsernameTaken,
    /// Why, in words that end with what is allowed.
    InvalidUsername(crate::text::names::NameError),
    /// A name typed as several words; the words joined with `_`.
    NameWithSpaces(String),
    InvalidRoom,
    ChooseNameFirst,
    AlreadyIn(String),
    NotInRoom,
    /// A command named a room the sender is not in.
    NotIn(String),
    /// A command named a room that does not exist (no one is in it).
    NoSuchRoom(String),
    /// Joining one more would pass `max_rooms_per_person` (the number).
    TooManyRooms(usize),
    /// Kicked from this room lately: may join it again in this many seconds.
    KeptOut(String, u64),
    EmptyMessage,
    /// Nobody of this name is connected (the name as typed).
    UserNotFound(String),
    UnknownCommand(String),
    Usage(&'static Usage),
    LineTooLong(usize),
    NotUtf8,
    SlowDown(u32),
    /// The sender's address wrote its hourly share of the history (in MB);
    /// try again in this many seconds.
    HistoryShareUsed {
        mb: u64,
        wait_secs: u64,
    },
    /// Chat mode, after a refused burst: how many lines were dropped, the
    /// lines/s allowed, and the first and last dropped line's opening words
    /// (the same text when one line was dropped).
    LinesDropped {
        lines: u32,
        rate: u32,
        first: String,
        last: String,
    },
    ServerFull,
    PasswordRequired,
    WrongPassword,
    RegistrationTimeout,
    TooManyFromAddress,
    /// More than `max_unregistered_per_ip` nameless connections from one address.
    TooManyUnregisteredFromAddress(usize),
    /// More than `connect_rate_per_ip` new connections a minute (after the burst).
    ConnectingTooFast(u32),
    /// The last wrong `PASS` a connection may send (this many): it is closed.
    TooManyWrongPasswords(u32),
    /// A registered connection sent nothing for `idle_timeout_secs`.
    IdleTimeout(u64),
    /// `KICK` banned this address: seconds left.
    Banned(u64),
    /// Too many wrong passwords from this address: seconds until the next try.
    TooManyGuesses(u64),
    NotOperator,
    Muted,
    /// `UNMUTE` of someone who is not muted (the name as shown).
    NotMuted(String),
    /// `MUTE` of someone who already is.
    AlreadyMuted(String),
    /// `MUTE`/`UNMUTE` (`muting`) of a name nobody online has: a mute holds
    /// a person (their address), and an offline name has none to hold.
    MuteNotOnline {
        user: String,
        muting: bool,
    },
    CouldNotStore,
    /// `USERS 9` or `ROOMS 9` past the end: (page asked for, pages there are).
    NoSuchPage(usize, usize),
    /// Something about accounts and logging in.
    Account(AccountRefusal),
}

/// Why a login, a name or a password change was refused (see
/// `src/chat/state/accounts.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountRefusal {
    /// No such account, or the wrong password: the two are not told apart,
    /// so a guesser cannot learn which names are accounts.
    WrongLogin,
    /// The name (or one that looks like it) belongs to this account.
    NameBelongs(String),
    /// `guests = false`: only accounts may join.
    AccountsOnly,
    /// Logged in as this account: the name is the account's.
    NameIsAccount(String),
    /// This account was kicked: seconds until it may come back.
    Kicked(u64),
    /// Too many failed logins (for this account from this address, or on
    /// this connection just now): seconds until the next try.
    TooManyTries(u64),
    /// `PASSWORD` without being logged in.
    NotLoggedIn,
    /// The new password is not acceptable: why.
    WeakPassword(String),
    /// The accounts file could not be written: the password is unchanged.
    NotSaved,
    /// `SESSION <token>` with a token that expired, was ended or never was.
    NoSession,
    /// Logged in with a one-time code: a password must be chosen before
    /// saying anything.
    ChoosePasswordFirst,
}

/// How many threads the process has, and whether that was counted or guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// Read from the operating system (`Threads:` in `/proc/self/status`).
    Counted(usize),
    /// Estimated where there is no `/proc` (not Linux): two per connection
    /// plus a reader waiting for the next client and the main thread.
    Estimated(usize),
}

/// Everything `STATS` reports, gathered under the state lock in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Connections with a name.
    pub named: usize,
    /// Connections still choosing a name (or a browser that has not yet).
    pub unnamed: usize,
    pub threads: Threads,
    /// Lines waiting in every queue together.
    pub queued: usize,
    /// The fullest queue: whose (a name, or an address before there is
    /// one) and how many lines; `None` when every queue is empty.
    pub fullest: Option<(String, usize)>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Deliveries since the start.
    pub deliveries: u64,
    /// Deliveries over the last `window_secs` seconds (60, or less in the
    /// server's first minute).
    pub last_minute: u64,
    pub window_secs: u64,
    /// The history file's size in bytes; `None` when history is off.
    pub history_bytes: Option<u64>,
}

impl Snapshot {
    /// Deliveries per second over the window, in tenths (so the snapshot
    /// stays plain integers): 12345 is 1234.5 a second.
    pub fn per_second_tenths(&self) -> u64 {
        self.last_minute * 10 / self.window_secs.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_second_in_tenths() {
        let mut snapshot = Snapshot {
            named: 0,
            unnamed: 0,
            threads: Threads::Counted(1),
            queued: 0,
            fullest: None,
            bytes_in: 0,
            bytes_out: 0,
            deliveries: 0,
            last_minute: 123,
            window_secs: 60,
            history_bytes: None,
        };
        assert_eq!(snapshot.per_second_tenths(), 20); // 2.05 → 2.0
        snapshot.window_secs = 0; // never divides by zero
        assert_eq!(snapshot.per_second_tenths(), 1230);
    }
}
