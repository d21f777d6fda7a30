//! Rendering: an [`Event`] becomes the exact bytes a client receives, in the
//! client's dialect.
//!
//! **Protocol mode** follows the protocol table to the letter, one keyword per
//! line kind (`OK`, `ERROR`, `ROOM`, `PRIVMSG`, `JOIN`, …), so programs can
//! parse it. **Chat mode** is written for a person at a bare terminal, and each
//! kind of line is recognisable at a glance without knowing any keyword:
//!
//! | looks like | means |
//! |---|---|
//! | `alice: hi` | someone spoke in your room |
//! | `* bob joined #general` | something happened in your room |
//! | `[private] alice: psst` | a private message to you |
//! | `[error] Username taken` | your command did not work |
//! | `*** You joined #general` | the server talking to you |
//!
//! **IRC** lines are made in [`crate::wire::irc::map`], because each names
//! its recipient (a numeric starts with your nick): the state renders them
//! per recipient, and [`render`] only covers a client with no nick yet.
//!
//! Two kinds of line have a file of their own, because they are long lists
//! used from several places: what each refusal says ([`refusal`], also a
//! refused browser's HTTP answer) and the server's figures in words
//! ([`stats`], `STATS` and `CONNS`).
//!
//! Every line ends in `\r\n`, which every terminal and telnet client shows
//! correctly (a bare `\n` would make some telnet clients draw a staircase).
//!
//! Text that came from other clients was cleaned of control characters before
//! it reached an event ([`crate::text::sanitize`]); names were checked against
//! [`crate::text::names`], so nothing here needs escaping.

mod refusal;
mod stats;

pub use refusal::{refusal_http, refusal_text};
pub use stats::{connections_text, stats_sentences};

use crate::support::timestamp;
use crate::wire::command::{Dialect, Who, COMMANDS};
use crate::wire::event::{private_action, Event, More, Refusal, Yours};
use stats::stats_protocol;

/// The server's line ending on the wire.
pub const CRLF: &str = "\r\n";

/// Renders `event` for a client in `dialect` (before registering, the
/// dialect of the client's latest line: the reader guesses it from the
/// line's shape, a `/command` or a protocol verb).
pub fn render(event: &Event, dialect: Dialect) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push_str(CRLF);
    };
    match dialect {
        Dialect::Protocol => protocol(event, &mut line),
        Dialect::Chat => chat(event, &mut line),
        // IRC lines name their recipient, so the state renders them with
        // [`crate::wire::irc::map::event_lines`] and the recipient's nick;
        // this is the same text for a client with no nick yet.
        Dialect::Irc => {
            let info = crate::wire::irc::map::ServerInfo::new(
                crate::wire::irc::map::SERVER_NAME,
                "",
                "",
                1,
            );
            let ctx = crate::wire::irc::map::Ctx::anonymous(&info);
            return crate::wire::irc::map::event_lines(event, &ctx).concat();
        }
    }
    out
}

fn protocol(event: &Event, line: &mut impl FnMut(String)) {
    match event {
        Event::Greeting {
            motd,
            password_required,
        } => greeting(motd, *password_required, line),
        Event::Welcome { name } => line(format!("OK Welcome, {name}!")),
        Event::Renamed { old, new } => line(format!("NICK {old} {new}")),
        Event::PasswordAccepted => line("OK Password accepted".into()),
        Event::Joined { room, members } => {
            line(format!("OK Joined {room} ({} users)", members.len()));
            for member in members {
                line(format!("JOIN {room} {member}"));
            }
        }
        Event::TopicIs { room, topic, .. } => match topic {
            Some(topic) => line(format!("TOPIC {room} {topic}")),
            None => line(format!("TOPIC {room}")),
        },
        // Fenced and timed, and never `ROOM`: a program (the step 3
        // client, the browser page) must not take an old line for a live
        // one, and can show when it was said.
        // Seed 002 draws a newcomer getting the room's earlier lines as
        // the `ROOM` lines they were; a program that asked for
        // `HISTORY TIMED` gets them fenced and timed instead.
        Event::Recent {
            room,
            records,
            timed: false,
        } => {
            for record in records {
                let (verb, who, text) = ("ROOM", &record.sender, &record.text);
                match record.action {
                    true => line(format!("ACTION {room} {who} {text}")),
                    false => line(format!("{verb} {room} {who} {text}")),
                }
            }
        }
        Event::HistoryTimed => line("OK History timed".into()),
        Event::Recent { room, records, .. } => {
            line(format!("HISTORY BEGIN {room} {}", records.len()));
            for record in records {
                let time = timestamp::rfc3339(record.time_ms);
                line(format!(
                    "HISTORY {room} {time} {} {}",
                    record.sender, record.text
                ));
            }
            line(format!("HISTORY END {room}"));
        }
        Event::Left { room, .. } => line(format!("OK Left {room}")),
        Event::Current { room } => line(format!("OK Current room {room}")),
        Event::MultiRoom => line(
            "OK Multi-room: JOIN adds a room and makes it current; SWITCH <room> makes another current; \
             MSG, ACTION, TOPIC, USERS and KICK act on the current room; LEAVE [room]"
                .into(),
        ),
        Event::Sent { .. } => line("OK Sent".into()),
        Event::UserList { users, more, .. } => {
            line(list("USERLIST", users));
            if let Some(more) = more {
                line(format!("NOTICE {}", more_text(more, "USERS")));
            }
        }
        Event::RoomList(rooms, more, _) => {
            line(list("ROOMLIST", &room_names(rooms)));
            if let Some(more) = more {
                line(format!("NOTICE {}", more_text(more, "ROOMS")));
            }
        }
        Event::Help { operator } => {
            for (command, meaning) in help_rows(Dialect::Protocol, *operator) {
                line(format!("NOTICE {command:<22} {meaning}"));
            }
        }
        Event::Goodbye => line("OK Goodbye!".into()),
        Event::Operator => line("OK You are an operator".into()),
        Event::LoggedIn {
            name,
            operator,
            with_code,
        } => {
            line(format!("OK Logged in as {name}"));
            if *operator {
                line("OK You are an operator".into());
            }
            if *with_code {
                line("NOTICE That was a one-time code: choose your password now with PASSWORD <new password>".into());
            }
        }
        Event::PasswordChanged => line("OK Password changed".into()),
        Event::SessionIssued { token, secs } => line(format!("OK Session {token} {secs}")),
        Event::LoggedOut => line("OK Logged out".into()),
        Event::Stats(snapshot) => {
            for text in stats_protocol(snapshot) {
                line(text);
            }
        }
        Event::Done { action, user } => line(format!("OK {} {user}", action.verb())),
        Event::WhoIs {
            user,
            room,
            operator,
            away,
            ..
        } => line(format!(
            "WHOIS {user} {} {}{}",
            room.as_deref().unwrap_or("-"),
            if *operator { "operator" } else { "user" },
            away.as_ref().map(|a| format!(" {a}")).unwrap_or_default()
        )),
        Event::AwaySet(true) => line("OK You are away".into()),
        Event::AwaySet(false) => line("OK You are back".into()),
        Event::IsAway { user, text } => line(format!("NOTICE {user} is away: {text}")),
        Event::Refused(refusal) => line(format!(
            "ERROR {}",
            refusal_text(refusal, Dialect::Protocol)
        )),
        Event::RoomMessage {
            room, from, text, ..
        } => line(format!("ROOM {room} {from} {text}")),
        Event::Private { from, text } => line(format!("PRIVMSG {from} {text}")),
        Event::UserJoined { room, user } => line(format!("JOIN {room} {user}")),
        Event::UserLeft { room, user, .. } => line(format!("LEAVE {room} {user}")),
        Event::NickChanged { old, new } => line(format!("NICK {old} {new}")),
        Event::Action { room, user, text } => line(format!("ACTION {room} {user} {text}")),
        Event::TopicSet { room, text, .. } => line(format!("TOPIC {room} {text}")),
        Event::Kicked {
            room,
            user,
            by,
            reason,
        } => match reason {
            Some(reason) => line(format!("KICK {room} {user} {by} {reason}")),
            None => line(format!("KICK {room} {user} {by}")),
        },
        Event::YouWereKicked { by, reason } => line(format!(
            "NOTICE You were kicked by {by}{}",
            reason_suffix(reason)
        )),
        Event::YouWereMuted { by, muted: true } => line(format!("NOTICE You were muted by {by}")),
        Event::YouWereMuted { by, muted: false } => {
            line(format!("NOTICE You were unmuted by {by}"))
        }
        Event::Announcement(text) => line(format!("NOTICE [announcement] {text}")),
        Event::ServerWarning(text) => line(format!("NOTICE [server] {text}")),
        Event::Connections { rows, addresses } => {
            for (address, count, nameless, oldest) in rows {
                line(format!("CONNS {address} {count} {nameless} {oldest}"));
            }
            line(format!("CONNS END {addresses}"));
        }
        Event::AddressKicked {
            address,
            connections,
            ban_secs,
        } => line(format!(
            "OK Kicked {connections} from {address}, banned for {ban_secs} s"
        )),
        Event::ShuttingDown => line("NOTICE Server shutting down".into()),
    }
}

fn chat(event: &Event, line: &mut impl FnMut(String)) {
    // What people typed, as a raw terminal should show it (see
    // `blanks_collapsed`: padding cannot fake a server line).
    let blanks = crate::text::sanitize::blanks_collapsed;
    match event {
        Event::Greeting {
            motd,
            password_required,
        } => greeting(motd, *password_required, line),
        Event::Welcome { name } => line(format!(
            "*** Welcome, {name}! Type a message and press Enter to send it. /help lists commands."
        )),
        Event::Renamed { new, .. } => line(format!("*** You are now known as {new}")),
        Event::HistoryTimed => line("*** History will be shown with times".into()),
        Event::PasswordAccepted => line("*** Password accepted. Now pick a name: /nick <name>".into()),
        Event::Joined { room, members } if members.is_empty() => {
            line(format!("*** You joined {room}. Nobody else is here yet."))
        }
        Event::Joined { room, members } => {
            line(format!("*** You joined {room}. Here: {}", members.join(", ")))
        }
        Event::TopicIs {
            room,
            topic: Some(topic),
            ..
        } => line(format!("*** Topic of {room}: {topic}")),
        Event::TopicIs {
            room, topic: None, ..
        } => line(format!("*** {room} has no topic")),
        Event::Recent { room, records, .. } => {
            line(format!("*** Recent messages in {room}:"));
            for record in records {
                let time = timestamp::clock(record.time_ms);
                line(format!("[{time}] {}: {}", record.sender, record.text));
            }
            line("*** (end of recent messages)".into());
        }
        Event::Left { room, .. } => line(format!("*** You left {room}")),
        Event::Current { room } => line(format!("*** Plain lines now go to {room}")),
        Event::MultiRoom => line("*** You can be in several rooms: /join adds one".into()),
        Event::Sent { to, text } => match private_action(text) {
            Some(action) => line(format!("[private to {to}] *{action}*")),
            None => line(format!("[private to {to}] {text}")),
        },
        Event::UserList { room, users, more } => {
            match room {
                Some(room) => line(format!("*** In {room}: {}", users.join(", "))),
                None => line(format!("*** Online: {}", users.join(", "))),
            }
            if let Some(more) = more {
                line(format!("*** {}", more_text(more, "/users")));
            }
        }
        Event::RoomList(rooms, _, _) if rooms.is_empty() => {
            line("*** No rooms yet. Make one: /join #name".into())
        }
        Event::RoomList(rooms, more, yours) => {
            line(format!("*** Rooms: {}", marked_rooms(rooms, yours).join(", ")));
            if let Some(more) = more {
                line(format!("*** {}", more_text(more, "/rooms")));
            }
        }
        Event::Help { operator } => {
            line("*** Commands:".into());
            for (command, meaning) in help_rows(Dialect::Chat, *operator) {
                line(format!("***   {command:<22} {meaning}"));
            }
        }
        Event::Goodbye => {
            line("*** Goodbye!".into());
            line(closed("you typed /quit"));
        }
        Event::Operator => line("*** You are an operator now. /help lists your commands.".into()),
        Event::LoggedIn { name, operator, with_code } => {
            line(format!("*** Logged in as {name}."));
            if *operator {
                line("*** You are an operator now. /help lists your commands.".into());
            }
            if *with_code {
                line("*** That was a one-time code: choose your own password now with /password <new password>".into());
            }
        }
        Event::PasswordChanged => line("*** Password changed: use it the next time you /login.".into()),
        Event::SessionIssued { token, secs } => {
            line(format!("*** Session {token} (good for {secs} s)"))
        }
        Event::LoggedOut => {
            line("*** Logged out.".into());
            line(closed("you typed /logout"));
        }
        Event::Done { action, user } => line(format!("*** {} {user}", action.verb())),
        Event::Stats(snapshot) => {
            for sentence in stats_sentences(snapshot) {
                line(format!("*** {sentence}"));
            }
        }
        Event::WhoIs {
            user,
            room,
            operator,
            away,
            ..
        } => line(format!(
            "*** {user}{} is {}{}",
            if *operator { " (operator)" } else { "" },
            room.as_ref()
                .map(|r| format!("in {r}"))
                .unwrap_or_else(|| "in no room".into()),
            away.as_ref().map(|a| format!(", away: {a}")).unwrap_or_default()
        )),
        Event::AwaySet(true) => line("*** You are marked as away".into()),
        Event::AwaySet(false) => line("*** You are back".into()),
        Event::IsAway { user, text } => line(format!("*** {user} is away: {}", blanks(text))),
        // The refusals that end the connection say so, in the last line.
        Event::Refused(Refusal::RegistrationTimeout) => {
            line(closed("no name was chosen in time"))
        }
        Event::Refused(Refusal::IdleTimeout(secs)) => {
            line(closed(&format!("nothing was typed for {secs} s")))
        }
        Event::Refused(Refusal::TooManyWrongPasswords(tries)) => {
            line(closed(&format!("{tries} wrong passwords")))
        }
        Event::Refused(refusal) => line(format!("[error] {}", refusal_text(refusal, Dialect::Chat))),
        Event::RoomMessage { from, text, .. } => line(format!("{from}: {}", blanks(text))),
        // A private action reads like a room action, in the private form.
        Event::Private { from, text } => match private_action(&blanks(text)) {
            Some(action) => line(format!("[private] {from} *{action}*")),
            None => line(format!("[private] {from}: {}", blanks(text))),
        },
        Event::UserJoined { room, user } => line(format!("* {user} joined {room}")),
        Event::UserLeft { room, user, .. } => line(format!("* {user} left {room}")),
        Event::NickChanged { old, new } => line(format!("* {old} is now known as {new}")),
        // Not `* alice waves`: every line that starts with `*` is the
        // server's, so `/me was kicked by teach` must not look like one. An
        // action starts with its author's name, like everything people say
        // (a name can never start with `*` or `[`).
        Event::Action { user, text, .. } => line(format!("{user} *{}*", blanks(text))),
        Event::TopicSet { room, by, text } => {
            line(format!("* {by} set the topic of {room}: {}", blanks(text)))
        }
        Event::Kicked {
            user, by, reason, ..
        } => line(format!("* {user} was kicked by {by}{}", reason_suffix(reason))),
        Event::YouWereKicked { by, reason } => line(closed(&format!(
            "you were kicked out by {by}{}",
            reason_suffix(reason)
        ))),
        Event::YouWereMuted { by, muted: true } => line(format!(
            "*** {by} muted you: your messages reach nobody (private messages to operators still work)"
        )),
        Event::YouWereMuted { by, muted: false } => {
            line(format!("*** {by} unmuted you: you can talk again"))
        }
        Event::Announcement(text) => line(format!("*** Announcement: {text}")),
        Event::ServerWarning(text) => line(format!("*** Server warning: {text}")),
        Event::Connections { rows, addresses } => {
            for text in connections_text(rows, *addresses) {
                line(format!("*** {text}"));
            }
        }
        Event::AddressKicked {
            address,
            connections,
            ban_secs,
        } => line(format!(
            "*** Disconnected {connections} connections from {address}, banned for {} minutes",
            ban_secs / 60
        )),
        Event::ShuttingDown => line(closed("the server is shutting down")),
    }
}

/// The last line for a person in chat mode who was dropped as too slow
/// (their queue was full), with its line ending: it does not go through the
/// queue, which is full (see `Outbox::farewell` in `src/outbox/`).
pub fn too_slow_farewell() -> String {
    let why = "too slow: your connection was not taking the lines sent to it, so some were never delivered";
    format!("{}{CRLF}", closed(why))
}

/// The last line a person on `nc` gets when the server ends the
/// connection. It says so in words, and what to do, because `nc` does not
/// notice a closed connection until it tries to send: it sits there until
/// Enter (or Ctrl-C), and without this line a student thinks they are
/// still in the chat. Protocol mode keeps its one-keyword lines (`OK
/// Goodbye!`, `NOTICE Server shutting down`): a program sees the close.
fn closed(why: &str) -> String {
    format!("*** Connection closed by the server ({why}). Press Enter or Ctrl-C to return to your shell.")
}

/// The greeting is sent before the client has chosen a dialect, so it is the
/// same for both, and says how to choose.
fn greeting(motd: &str, password_required: bool, line: &mut impl FnMut(String)) {
    // The motd comes from the settings file, which may hold several lines
    // (`\n`) or stray control characters: one NOTICE per line, cleaned, so
    // it can never fake a protocol line or drive a terminal.
    for motd_line in motd.lines() {
        let motd_line = crate::text::sanitize::clean(motd_line);
        if !motd_line.trim().is_empty() {
            line(format!("NOTICE {motd_line}"));
        }
    }
    if password_required {
        line(
            "NOTICE This server needs a password first: /pass <password> (or PASS <password>)"
                .into(),
        );
    }
    line("NOTICE Pick a name: type /nick <name> (people) or USERNAME <name> (programs)".into());
    line("NOTICE /help lists the commands".into());
}

/// What follows one page of a longer list: how many more, and exactly what
/// to type for the next page (`730 more: USERS 2`).
pub fn more_text(more: &More, command: &str) -> String {
    format!("{} more: {command} {}", more.left, more.next_page)
}

/// Chat mode's room list: `#general (current)`, `#lab (yours)`, `#quiet`.
fn marked_rooms(rooms: &[(String, usize)], yours: &Yours) -> Vec<String> {
    let mark = |name: &String| {
        if yours.current.as_ref() == Some(name) {
            format!("{name} (current)")
        } else if yours.rooms.contains(name) {
            format!("{name} (yours)")
        } else {
            name.clone()
        }
    };
    rooms.iter().map(|(name, _)| mark(name)).collect()
}

/// The names of a room list, without their sizes.
fn room_names(rooms: &[(String, usize)]) -> Vec<String> {
    rooms.iter().map(|(name, _)| name.clone()).collect()
}

fn list(keyword: &str, items: &[String]) -> String {
    let mut text = keyword.to_string();
    for item in items {
        text.push(' ');
        text.push_str(item);
    }
    text
}

fn reason_suffix(reason: &Option<String>) -> String {
    match reason {
        Some(reason) => format!(": {reason}"),
        None => String::new(),
    }
}

/// The `HELP` listing: (command, what it does), in the caller's dialect,
/// straight from the command table; operator rows for operators only.
fn help_rows(dialect: Dialect, operator: bool) -> Vec<(&'static str, &'static str)> {
    COMMANDS
        .iter()
        .filter(|spec| operator || spec.who == Who::Anyone)
        // A command a dialect has no spelling for (`MULTIROOM` in chat mode).
        .filter(|spec| !spec.usage.in_dialect(dialect).is_empty())
        .map(|spec| (spec.usage.in_dialect(dialect), spec.help))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::event::{Snapshot, Threads};

    fn both(event: Event) -> (String, String) {
        (
            render(&event, Dialect::Protocol),
            render(&event, Dialect::Chat),
        )
    }

    #[test]
    fn seed_protocol_lines() {
        let joined = Event::Joined {
            room: "#general".into(),
            members: vec!["alice".into()],
        };
        assert_eq!(
            render(&joined, Dialect::Protocol),
            "OK Joined #general (1 users)\r\nJOIN #general alice\r\n"
        );
        let (p, c) = both(Event::RoomMessage {
            room: "#general".into(),
            from: "bob".into(),
            text: "Hi alice!".into(),
            notice: true, // a person or a program reads a message all the same
        });
        assert_eq!(p, "ROOM #general bob Hi alice!\r\n");
        assert_eq!(c, "bob: Hi alice!\r\n");
        let (p, c) = both(Event::Refused(Refusal::UsernameTaken));
        assert_eq!(p, "ERROR Username taken\r\n");
        assert_eq!(c, "[error] Username taken\r\n");
        assert_eq!(
            render(
                &Event::UserList {
                    room: None,
                    users: vec![],
                    more: None,
                },
                Dialect::Protocol
            ),
            "USERLIST\r\n"
        );
    }

    fn snapshot() -> Snapshot {
        Snapshot {
            named: 30,
            unnamed: 1,
            threads: Threads::Counted(64),
            queued: 120,
            fullest: Some(("bob".into(), 37)),
            bytes_in: 12_345,
            bytes_out: 5 * 1024 * 1024,
            deliveries: 20_000,
            last_minute: 12_003,
            window_secs: 60,
            history_bytes: Some(1536),
        }
    }

    #[test]
    fn stats_for_a_program_are_key_value_lines() {
        let text = render(&Event::Stats(Box::new(snapshot())), Dialect::Protocol);
        assert_eq!(
            text,
            "STATS connections=31 named=30 unnamed=1\r\n\
             STATS threads=64 threads_from=proc\r\n\
             STATS queued=120 fullest=37 fullest_queue=bob\r\n\
             STATS bytes_in=12345 bytes_out=5242880\r\n\
             STATS deliveries=20000 last_minute=12003 window_secs=60 per_second=200.0\r\n\
             STATS history=on history_bytes=1536\r\n\
             OK Stats\r\n"
        );
        // Every figure line splits into key=value words.
        for line in text.lines().filter(|l| l.starts_with("STATS ")) {
            for word in line["STATS ".len()..].split(' ') {
                assert!(word.split_once('=').is_some(), "{word} in {line}");
            }
        }
    }

    #[test]
    fn stats_for_a_person_are_sentences() {
        let text = render(&Event::Stats(Box::new(snapshot())), Dialect::Chat);
        assert_eq!(
            text,
            "*** Stats: 31 connections (30 named, 1 choosing a name), 64 threads\r\n\
             *** Queued lines: 120 in all; the fullest queue is bob's, 37 lines\r\n\
             *** Traffic since start: 12.1 KiB in, 5.0 MiB out\r\n\
             *** Deliveries: 200.0 a second over the last minute (20000 since start)\r\n\
             *** History file: 1.5 KiB\r\n"
        );
        let quiet = Snapshot {
            named: 1,
            unnamed: 0,
            threads: Threads::Estimated(4),
            queued: 0,
            fullest: None,
            window_secs: 7,
            last_minute: 7,
            history_bytes: None,
            ..snapshot()
        };
        let text = render(&Event::Stats(Box::new(quiet.clone())), Dialect::Chat);
        assert!(text.starts_with(
            "*** Stats: 1 connection (1 named, 0 choosing a name), about 4 threads (estimated)\r\n\
             *** Queued lines: none"
        ), "{text}");
        assert!(
            text.contains("*** Deliveries: 1.0 a second over the last 7 s"),
            "{text}"
        );
        assert!(text.ends_with("*** History: off\r\n"), "{text}");
        let text = render(&Event::Stats(Box::new(quiet)), Dialect::Protocol);
        assert!(
            text.contains("STATS threads=4 threads_from=estimate\r\n"),
            "{text}"
        );
        assert!(
            text.contains("STATS queued=0 fullest=0 fullest_queue=-\r\n"),
            "{text}"
        );
        assert!(text.contains("STATS history=off\r\n"), "{text}");
    }

    #[test]
    fn a_long_list_says_how_many_more_and_what_to_type() {
        let more = Some(More {
            left: 104,
            next_page: 2,
        });
        let users = Event::UserList {
            room: None,
            users: vec!["al".into(), "bo".into()],
            more,
        };
        assert_eq!(
            render(&users, Dialect::Protocol),
            "USERLIST al bo\r\nNOTICE 104 more: USERS 2\r\n"
        );
        assert_eq!(
            render(&users, Dialect::Chat),
            "*** Online: al, bo\r\n*** 104 more: /users 2\r\n"
        );
        let rooms = Event::RoomList(vec![("#a".into(), 1)], more, Yours::default());
        assert_eq!(
            render(&rooms, Dialect::Chat),
            "*** Rooms: #a\r\n*** 104 more: /rooms 2\r\n"
        );
        let past = Event::Refused(Refusal::NoSuchPage(9, 2));
        assert_eq!(
            render(&past, Dialect::Protocol),
            "ERROR No page 9: the list has 2 pages\r\n"
        );
    }

    #[test]
    fn a_multi_line_motd_becomes_clean_notice_lines() {
        let greeting = Event::Greeting {
            motd: "Hi class!\nROOM #general teacher fake\u{1b}[2J".into(),
            password_required: false,
        };
        let text = render(&greeting, Dialect::Protocol);
        assert!(
            text.starts_with("NOTICE Hi class!\r\nNOTICE ROOM #general teacher fake[2J\r\n"),
            "{text}"
        );
    }

    #[test]
    fn chat_lines_carry_no_protocol_keywords() {
        let events = [
            Event::Welcome { name: "al".into() },
            Event::Joined {
                room: "#g".into(),
                members: vec!["b".into()],
            },
            Event::Left {
                room: "#g".into(),
                reason: None,
            },
            Event::Sent {
                to: "b".into(),
                text: "x".into(),
            },
            Event::Private {
                from: "b".into(),
                text: "x".into(),
            },
            Event::UserJoined {
                room: "#g".into(),
                user: "b".into(),
            },
            Event::UserLeft {
                room: "#g".into(),
                user: "b".into(),
                quit: None,
                part: None,
            },
            Event::RoomList(vec![("#g".into(), 1)], None, Yours::default()),
            Event::UserList {
                room: Some("#g".into()),
                users: vec!["b".into()],
                more: Some(More {
                    left: 3,
                    next_page: 2,
                }),
            },
            Event::Goodbye,
            Event::Refused(Refusal::NotInRoom),
            Event::Announcement("x".into()),
            Event::ServerWarning("x".into()),
            Event::ShuttingDown,
        ];
        for event in events {
            let text = render(&event, Dialect::Chat);
            for keyword in [
                "OK ", "ERROR", "ROOM ", "PRIVMSG", "JOIN ", "LEAVE ", "USERLIST", "ROOMLIST",
                "NOTICE",
            ] {
                assert!(!text.starts_with(keyword), "{event:?} renders as {text:?}");
            }
        }
    }

    #[test]
    fn every_close_ends_with_words_in_chat_mode_and_keywords_in_protocol_mode() {
        let closing = [
            Event::Goodbye,
            Event::YouWereKicked {
                by: "lee".into(),
                reason: Some("spam".into()),
            },
            Event::ShuttingDown,
            Event::Refused(Refusal::IdleTimeout(60)),
            Event::Refused(Refusal::RegistrationTimeout),
            Event::Refused(Refusal::TooManyWrongPasswords(3)),
        ];
        let press = ". Press Enter or Ctrl-C to return to your shell.\r\n";
        for event in closing {
            let (protocol, chat) = both(event.clone());
            let last = chat.rsplit_terminator("\r\n").next().unwrap_or_default();
            assert!(
                last.starts_with("*** Connection closed by the server (") && chat.ends_with(press),
                "{event:?}: {chat:?}"
            );
            assert!(!protocol.contains("Press Enter"), "{event:?}: {protocol:?}");
        }
        assert!(too_slow_farewell().ends_with(press));
    }

    #[test]
    fn an_action_cannot_pass_for_a_server_notice() {
        let fake = Event::Action {
            room: "#general".into(),
            user: "mallory".into(),
            text: "was kicked by teach: cheating".into(),
        };
        let real = Event::Kicked {
            room: "#general".into(),
            user: "mallory".into(),
            by: "teach".into(),
            reason: Some("cheating".into()),
        };
        let (fake_protocol, fake_chat) = both(fake);
        let (real_protocol, real_chat) = both(real);
        assert_eq!(fake_chat, "mallory *was kicked by teach: cheating*\r\n");
        assert!(real_chat.starts_with('*'), "{real_chat}");
        // Every chat line from the server starts with `*` or `[`; an action
        // starts with its author's name.
        assert!(!fake_chat.starts_with(['*', '[']));
        assert!(fake_protocol.starts_with("ACTION "));
        assert!(!real_protocol.starts_with("ACTION "));
    }

    #[test]
    fn a_private_action_reads_as_an_action_in_the_private_form() {
        let private = Event::Private {
            from: "alice".into(),
            text: "/me waves".into(),
        };
        assert_eq!(
            render(&private, Dialect::Chat),
            "[private] alice *waves*\r\n"
        );
        assert_eq!(
            render(&private, Dialect::Protocol),
            "PRIVMSG alice /me waves\r\n"
        );
        let sent = Event::Sent {
            to: "bob".into(),
            text: "/me waves".into(),
        };
        assert_eq!(render(&sent, Dialect::Chat), "[private to bob] *waves*\r\n");
    }
}
