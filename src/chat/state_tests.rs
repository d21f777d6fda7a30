//! The chat rules, tested without sockets or files: each test builds a
//! [`State`] whose connections are in-memory queues (the server's own
//! [`outbox`](crate::outbox), read without a writer thread) and
//! whose history is [`History::in_memory`], sends lines the
//! way a connection's reader does, and checks the exact lines each member
//! receives.

use super::state::{Applied, ConnId, Flow, State};
use crate::history::History;
use crate::outbox::sink::MemorySink;
use crate::outbox::{outbox, Inbox, Item, Queued};
use crate::settings::server::ServerConfig;
use crate::wire::command::{self, Dialect};
use std::cell::Cell;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const ADMIN: &str = "opsecret";

/// One member: its connection number, its queue, and whether the state hung
/// up on it.
struct Member {
    id: ConnId,
    inbox: Inbox,
    hung_up: Arc<AtomicBool>,
    /// Its socket, in memory: [`MemorySink::hang_up`] is the client closing.
    sink: Arc<MemorySink>,
    /// What the last `apply` said, as the reader keeps it.
    registered: Cell<Option<Dialect>>,
}

fn state_with(config: ServerConfig) -> State {
    State::new(
        &config,
        History::in_memory(config.history_replay),
        ADMIN.into(),
    )
}

fn state() -> State {
    state_with(ServerConfig::default())
}

/// Admits a connection with a queue of `queue_len` lines.
fn connect_with_queue(state: &mut State, port: u16, queue_len: usize) -> Member {
    connect_at(state, SocketAddr::from(([127, 0, 0, 1], port)), queue_len)
}

/// Admits a connection from `addr`.
fn connect_at(state: &mut State, addr: SocketAddr, queue_len: usize) -> Member {
    let sink = Arc::new(MemorySink::new(0));
    let (outbox, inbox) = outbox(queue_len, Arc::clone(&sink) as _, true);
    let hung_up = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&hung_up);
    let hangup = Box::new(move || flag.store(true, Ordering::SeqCst));
    let Ok(id) = state.admit(addr, outbox, hangup) else {
        panic!("connection refused");
    };
    Member {
        id,
        inbox,
        hung_up,
        sink,
        registered: Cell::new(None),
    }
}

fn connect(state: &mut State, port: u16) -> Member {
    connect_with_queue(state, port, 64)
}

/// Sends one line as the connection's reader does.
/// Sends one line as the connection's reader does, with the dialect the
/// reader would have: `registered` if the client has a name, else guessed
/// from the line.
fn send_in(state: &mut State, member: &Member, registered: Option<Dialect>, line: &str) -> Applied {
    let line_dialect = registered.unwrap_or(if line.starts_with('/') {
        Dialect::Chat
    } else {
        Dialect::Protocol
    });
    let parsed = command::parse(line, registered);
    state.apply(member.id, line_dialect, parsed)
}

/// Sends one line; the dialect is remembered per member, like a reader does.
fn send(state: &mut State, member: &Member, line: &str) -> Flow {
    let applied = send_in(state, member, member.registered.get(), line);
    member.registered.set(applied.registered);
    applied.flow
}

/// Everything queued for `member` since the last call, one entry per line.
fn lines(member: &Member) -> Vec<String> {
    let mut text = String::new();
    while let Queued::Item(Item::Line(line)) = member.inbox.try_next() {
        text.push_str(&line);
    }
    text.split_terminator("\r\n").map(str::to_string).collect()
}

/// A registered protocol client, with its welcome read.
fn program(state: &mut State, port: u16, name: &str) -> Member {
    let member = connect(state, port);
    send(state, &member, &format!("USERNAME {name}"));
    assert_eq!(lines(&member), [format!("OK Welcome, {name}!")]);
    member
}

/// A program that joined `room`, with the join lines read.
fn in_room(state: &mut State, port: u16, name: &str, room: &str) -> Member {
    let member = program(state, port, name);
    send(state, &member, &format!("JOIN {room}"));
    lines(&member);
    member
}

/// The command table and the handlers agree: every row's command reaches a
/// handler (an arm of `State::act`) that answers its sender, never a
/// silent nothing, and none is taken for unknown or misused.
#[test]
fn every_command_in_the_table_is_answered_by_its_handler() {
    for spec in command::COMMANDS {
        let mut state = state();
        let lee = in_room(&mut state, 1, "lee", "#general");
        send(&mut state, &lee, &format!("OPER {ADMIN}"));
        let bob = in_room(&mut state, 2, "bob", "#general"); // whom the examples name
        lines(&lee);
        let applied = state.apply(lee.id, Dialect::Protocol, spec.example());
        // `LOGIN`'s hash runs outside the lock, as the reader does it.
        if let Some(work) = applied.slow {
            state.slow_done(lee.id, work.run());
        }
        let answer = lines(&lee);
        let Some(first) = answer.first() else {
            panic!("{spec:?}: no answer");
        };
        assert!(
            !first.starts_with("ERROR Usage") && !first.starts_with("ERROR Unknown"),
            "{spec:?}: {first}"
        );
        drop(bob);
    }
}

#[test]
fn join_leave_and_switch_rooms() {
    let mut state = state();
    let alice = in_room(&mut state, 1, "alice", "#general");
    let bob = program(&mut state, 2, "bob");
    send(&mut state, &bob, "JOIN #general");
    assert_eq!(
        lines(&bob),
        ["OK Joined #general (1 users)", "JOIN #general alice"]
    );
    assert_eq!(lines(&alice), ["JOIN #general bob"]);

    send(&mut state, &bob, "JOIN #lab");
    assert_eq!(lines(&bob), ["OK Joined #lab (0 users)"]);
    assert_eq!(lines(&alice), ["LEAVE #general bob"]);

    send(&mut state, &bob, "LEAVE");
    assert_eq!(lines(&bob), ["OK Left #lab"]);
    send(&mut state, &bob, "LEAVE");
    assert_eq!(lines(&bob), ["ERROR Not in a room"]);
    assert_eq!(lines(&alice), Vec::<String>::new());
}

#[test]
fn room_messages_reach_members_only_and_programs_get_their_own_back() {
    let mut state = state();
    let alice = in_room(&mut state, 1, "alice", "#general");
    let bob = in_room(&mut state, 2, "bob", "#general");
    let carol = in_room(&mut state, 3, "carol", "#lab");
    lines(&alice);
    send(&mut state, &alice, "MSG hello all");
    assert_eq!(lines(&alice), ["ROOM #general alice hello all"]);
    assert_eq!(lines(&bob), ["ROOM #general alice hello all"]);
    assert_eq!(lines(&carol), Vec::<String>::new());
}

#[test]
fn a_person_in_chat_mode_does_not_get_their_own_line_back() {
    let mut state = state();
    let alice = in_room(&mut state, 1, "alice", "#general");
    let dave = connect(&mut state, 4);
    send(&mut state, &dave, "/nick dave");
    assert_eq!(
        lines(&dave),
        [
            "*** Welcome, dave! Type a message and press Enter to send it. /help lists commands.",
            "*** You joined #general. Here: alice",
        ]
    );
    assert_eq!(lines(&alice), ["JOIN #general dave"]);
    send(&mut state, &dave, "hi there");
    assert_eq!(lines(&dave), Vec::<String>::new());
    assert_eq!(lines(&alice), ["ROOM #general dave hi there"]);
    send(&mut state, &alice, "MSG hello dave");
    assert_eq!(lines(&dave), ["alice: hello dave"]);
}

#[test]
fn private_messages_go_to_one_person() {
    let mut state = state();
    let alice = in_room(&mut state, 1, "alice", "#general");
    let bob = in_room(&mut state, 2, "bob", "#general");
    lines(&alice);
    send(&mut state, &alice, "PRIVMSG Bob psst");
    assert_eq!(lines(&alice), ["OK Sent"]);
    assert_eq!(lines(&bob), ["PRIVMSG alice psst"]);
    send(&mut state, &alice, "PRIVMSG nobody psst");
    assert_eq!(lines(&alice), ["ERROR User not found"]);
}

/// A client that closes and at once comes back under the same name may
/// ask for it before its old connection's reader has seen the close: the
/// state names that holder and hands out its socket, for the reader to ask
/// whether its client has gone and wait for it (see `server::departures`),
/// and leaves it be: its last lines are its own.
#[test]
fn a_name_held_by_another_names_the_holder_and_its_socket() {
    let mut state = state();
    let old = in_room(&mut state, 1, "foo", "#general");
    let again = connect(&mut state, 2);
    let holder = |state: &State, id, name| {
        state
            .name_holder(id, name)
            .map(|(holder, far_end)| (holder, far_end.hung_up_within(Duration::ZERO)))
    };
    assert_eq!(holder(&state, again.id, "foo"), Some((old.id, false)));
    old.sink.hang_up();
    assert_eq!(holder(&state, again.id, "foo"), Some((old.id, true)));
    assert_eq!(holder(&state, again.id, "FOO"), Some((old.id, true)));
    assert_eq!(
        holder(&state, again.id, "f0o"),
        Some((old.id, true)),
        "a look-alike"
    );
    assert_eq!(holder(&state, old.id, "foo"), None, "not its own");
    assert_eq!(holder(&state, again.id, "bar"), None);
    // Nothing was let go: the old connection still acts on its lines.
    assert!(!old.hung_up.load(Ordering::SeqCst));
    assert_eq!(send(&mut state, &old, "MSG last words"), Flow::Continue);
    send(&mut state, &again, "USERNAME foo");
    assert_eq!(lines(&again), ["ERROR Username taken"]);
    state.disconnect(old.id, "connection closed");
    send(&mut state, &again, "USERNAME foo");
    assert_eq!(lines(&again), ["OK Welcome, foo!"]);
}

#[test]
fn renaming_tells_the_room_and_frees_the_old_name() {
    let mut state = state();
    let alice = in_room(&mut state, 1, "alice", "#general");
    let bob = in_room(&mut state, 2, "bob", "#general");
    lines(&alice);
    send(&mut state, &alice, "USERNAME alicia");
    assert_eq!(lines(&alice), ["NICK alice alicia"]);
    assert_eq!(lines(&bob), ["NICK alice alicia"]);
    send(&mut state, &bob, "USERNAME alicia");
    assert_eq!(lines(&bob), ["ERROR Username taken"]);
    send(&mut state, &bob, "USERNAME alice");
    assert_eq!(lines(&bob), ["NICK bob alice"]);
}

#[test]
fn a_client_whose_queue_is_full_is_hung_up_on_and_leaves() {
    let mut state = state();
    let alice = in_room(&mut state, 1, "alice", "#general");
    let slow = connect_with_queue(&mut state, 2, 3);
    send(&mut state, &slow, "USERNAME slow");
    send(&mut state, &slow, "JOIN #general");
    lines(&alice);
    // Welcome and the two join lines are still queued: one more fills it.
    send(&mut state, &alice, "MSG one");
    assert!(!slow.hung_up.load(Ordering::SeqCst));
    send(&mut state, &alice, "MSG two");
    assert!(slow.hung_up.load(Ordering::SeqCst));
    assert_eq!(
        lines(&alice),
        [
            "ROOM #general alice one",
            "ROOM #general alice two",
            "LEAVE #general slow"
        ]
    );
    assert_eq!(send(&mut state, &slow, "MSG still here?"), Flow::Close);
}

#[test]
fn the_door_password_comes_before_a_name() {
    let mut state = state_with(ServerConfig {
        password: Some("door".into()),
        ..ServerConfig::default()
    });
    let alice = connect(&mut state, 1);
    send(&mut state, &alice, "USERNAME alice");
    assert_eq!(
        lines(&alice),
        ["ERROR Password required: /pass <password> or PASS <password>"]
    );
    send(&mut state, &alice, "PASS wrong");
    assert_eq!(lines(&alice), ["ERROR Wrong password"]);
    send(&mut state, &alice, "PASS door");
    assert_eq!(lines(&alice), ["OK Password accepted"]);
    send(&mut state, &alice, "USERNAME alice");
    assert_eq!(lines(&alice), ["OK Welcome, alice!"]);

    let mallory = connect(&mut state, 2);
    send(&mut state, &mallory, "PASS a");
    send(&mut state, &mallory, "PASS b");
    assert_eq!(send(&mut state, &mallory, "PASS c"), Flow::Close);
    assert_eq!(lines(&mallory), ["ERROR Wrong password"; 3]);
}

#[test]
fn operators_need_the_admin_password_and_guessing_is_locked_out() {
    let mut state = state();
    let alice = in_room(&mut state, 1, "alice", "#general");
    let bob = in_room(&mut state, 2, "bob", "#general");
    send(&mut state, &bob, "KICK alice");
    assert_eq!(lines(&bob), ["ERROR Not an operator"]);
    // Nothing sleeps: a wrong try is answered at once.
    assert_eq!(send(&mut state, &bob, "OPER guess"), Flow::Continue);
    assert_eq!(lines(&bob), ["ERROR Wrong password"]);
    for _ in 0..crate::chat::passwords::FREE_TRIES {
        send(&mut state, &bob, "OPER guess");
    }
    // Locked out: even the right password is not checked for a while.
    send(&mut state, &bob, &format!("OPER {ADMIN}"));
    let said = lines(&bob);
    assert_eq!(
        said.last().map(String::as_str),
        Some("ERROR Too many wrong passwords from your address: try again in 5 s")
    );
    // The delay is per address, so a new connection does not escape it.
    let carol = in_room(&mut state, 3, "carol", "#general");
    send(&mut state, &carol, &format!("OPER {ADMIN}"));
    assert!(lines(&carol)
        .iter()
        .any(|l| l.starts_with("ERROR Too many wrong passwords")));
    assert_eq!(lines(&alice), ["JOIN #general bob", "JOIN #general carol"]);
}

#[test]
fn mute_and_unmute() {
    let mut state = state();
    let alice = in_room(&mut state, 1, "alice", "#general");
    let op = in_room(&mut state, 2, "lee", "#general");
    send(&mut state, &op, &format!("OPER {ADMIN}"));
    lines(&op);
    lines(&alice);
    send(&mut state, &op, "MUTE alice");
    assert_eq!(lines(&op), ["OK Muted alice"]);
    assert_eq!(lines(&alice), ["NOTICE You were muted by lee"]);
    send(&mut state, &alice, "MSG can you hear me");
    assert_eq!(lines(&alice), ["ERROR You are muted"]);
    assert_eq!(lines(&op), Vec::<String>::new());
    // A muted user may still ask an operator for help.
    send(&mut state, &alice, "PRIVMSG lee help");
    assert_eq!(lines(&op), ["PRIVMSG alice help"]);
    lines(&alice);
    send(&mut state, &op, "UNMUTE alice");
    assert_eq!(lines(&op), ["OK Unmuted alice"]);
    assert_eq!(lines(&alice), ["NOTICE You were unmuted by lee"]);
}

/// A program from another machine (`10.0.0.<host>`) in `room`.
fn in_room_from(state: &mut State, host: u8, name: &str, room: &str) -> Member {
    let member = connect_at(state, SocketAddr::from(([10, 0, 0, host], 5000)), 64);
    send(state, &member, &format!("USERNAME {name}"));
    send(state, &member, &format!("JOIN {room}"));
    lines(&member);
    member
}

#[test]
fn a_mute_holds_the_person_not_the_name() {
    let mut state = state();
    let op = in_room(&mut state, 1, "lee", "#general");
    send(&mut state, &op, &format!("OPER {ADMIN}"));
    let alice = in_room_from(&mut state, 2, "alice", "#general");
    let mallory = in_room_from(&mut state, 3, "mallory", "#general");
    lines(&op);
    lines(&alice);
    send(&mut state, &op, "MUTE mallory");
    lines(&op);
    lines(&mallory);
    // A new name would show in every member list: refused. Room changes
    // reach operators only.
    send(&mut state, &mallory, "USERNAME ExamAnswerIsC");
    assert_eq!(lines(&mallory), ["ERROR You are muted"]);
    send(&mut state, &mallory, "JOIN #other");
    send(&mut state, &mallory, "JOIN #general");
    assert_eq!(lines(&alice), Vec::<String>::new());
    assert_eq!(
        lines(&op),
        ["LEAVE #general mallory", "JOIN #general mallory"]
    );
    // Their AWAY text would be sent to whoever messages them: not theirs.
    lines(&mallory);
    let away = command::Command::Away(Some("the answer is C".into()));
    state.apply(mallory.id, Dialect::Irc, away);
    send(&mut state, &alice, "PRIVMSG mallory hi");
    let told = lines(&alice);
    assert!(
        told.iter().any(|l| l.contains("mallory is away")),
        "{told:?}"
    );
    assert!(!told.concat().contains("answer"), "{told:?}");
    // Reconnecting under a new name from the same address: still muted.
    state.disconnect(mallory.id, "test");
    lines(&op);
    let again = in_room_from(&mut state, 3, "m4llory", "#general");
    send(&mut state, &again, "MSG hello class");
    assert_eq!(lines(&again), ["ERROR You are muted"]);
    assert_eq!(lines(&alice), Vec::<String>::new());
    state.disconnect(again.id, "test");
    // An innocent person taking the muted name from elsewhere is not muted.
    let innocent = in_room_from(&mut state, 4, "mallory", "#general");
    lines(&alice);
    send(&mut state, &innocent, "MSG hi, I am new");
    assert_eq!(lines(&alice), ["ROOM #general mallory hi, I am new"]);
    // Only someone online can be unmuted: their address stays muted.
    send(&mut state, &op, "UNMUTE m4llory");
    assert_eq!(
        lines(&op).last().map(String::as_str),
        Some(
            "ERROR m4llory is not online; a mute holds a person, so unmute them when they are here"
        )
    );
}

#[test]
fn kick_may_ban_the_address_for_a_while() {
    let mut state = state();
    let op = in_room(&mut state, 1, "lee", "#general");
    send(&mut state, &op, &format!("OPER {ADMIN}"));
    let bob = in_room_from(&mut state, 9, "bob", "#general");
    lines(&op);
    send(&mut state, &op, "KICK bob 10m spamming");
    assert_eq!(
        lines(&bob),
        ["NOTICE You were kicked by lee: spamming (banned for 10m)"]
    );
    let (queue, _inbox) = outbox(4, Arc::new(MemorySink::new(0)), true);
    let again = state.admit(
        SocketAddr::from(([10, 0, 0, 9], 6000)),
        queue,
        Box::new(|| {}),
    );
    assert!(matches!(
        again,
        Err(crate::wire::event::Refusal::Banned(600))
    ));
    // Another address is not banned.
    let carol = in_room_from(&mut state, 10, "carol", "#general");
    send(&mut state, &op, "KICK carol");
    assert_eq!(lines(&carol), ["NOTICE You were kicked by lee"]);
    let (queue, _inbox) = outbox(4, Arc::new(MemorySink::new(0)), true);
    let back = state.admit(
        SocketAddr::from(([10, 0, 0, 10], 6000)),
        queue,
        Box::new(|| {}),
    );
    assert!(back.is_ok());
}

#[test]
fn kick_tells_the_room_and_removes_the_user() {
    let mut state = state();
    let alice = in_room(&mut state, 1, "alice", "#general");
    let bob = in_room(&mut state, 2, "bob", "#general");
    let op = in_room(&mut state, 3, "lee", "#general");
    send(&mut state, &op, &format!("OPER {ADMIN}"));
    lines(&op);
    lines(&alice);
    lines(&bob);
    send(&mut state, &op, "KICK bob spamming");
    assert_eq!(lines(&bob), ["NOTICE You were kicked by lee: spamming"]);
    assert_eq!(lines(&alice), ["KICK #general bob lee spamming"]);
    assert_eq!(
        lines(&op),
        ["KICK #general bob lee spamming", "OK Kicked bob"]
    );
    assert_eq!(send(&mut state, &bob, "MSG back?"), Flow::Close);
}

#[test]
fn announcements_reach_everyone_registered_in_their_dialect() {
    let mut state = state();
    let alice = in_room(&mut state, 1, "alice", "#general");
    let bob = program(&mut state, 2, "bob");
    let dave = connect(&mut state, 4);
    send(&mut state, &dave, "/nick dave");
    let op = program(&mut state, 3, "lee");
    lines(&alice);
    lines(&dave);
    send(&mut state, &op, "ANNOUNCE class ends at 5");
    assert_eq!(lines(&op), ["ERROR Not an operator"]);
    send(&mut state, &op, &format!("OPER {ADMIN}"));
    lines(&op);
    send(&mut state, &op, "ANNOUNCE class ends at 5");
    for member in [&alice, &bob, &op] {
        assert_eq!(lines(member), ["NOTICE [announcement] class ends at 5"]);
    }
    assert_eq!(lines(&dave), ["*** Announcement: class ends at 5"]);
}

#[test]
fn anyone_reads_the_topic_and_operators_set_it() {
    let mut state = state();
    let alice = in_room(&mut state, 1, "alice", "#general");
    let op = in_room(&mut state, 2, "lee", "#general");
    lines(&alice);
    send(&mut state, &alice, "TOPIC");
    assert_eq!(lines(&alice), ["TOPIC #general"]);
    send(&mut state, &alice, "TOPIC homework");
    assert_eq!(lines(&alice), ["ERROR Not an operator"]);
    send(&mut state, &op, &format!("OPER {ADMIN}"));
    lines(&op);
    send(&mut state, &op, "TOPIC homework");
    assert_eq!(lines(&alice), ["TOPIC #general homework"]);
    assert_eq!(lines(&op), ["TOPIC #general homework"]);
    let bob = program(&mut state, 3, "bob");
    send(&mut state, &bob, "JOIN #general");
    assert_eq!(
        lines(&bob),
        [
            "OK Joined #general (2 users)",
            "JOIN #general alice",
            "JOIN #general lee",
            "TOPIC #general homework",
        ]
    );
}

#[test]
fn joining_replays_the_rooms_recent_messages() {
    let mut state = state_with(ServerConfig {
        history_replay: 2,
        ..ServerConfig::default()
    });
    let alice = in_room(&mut state, 1, "alice", "#general");
    for text in ["one", "two", "three"] {
        send(&mut state, &alice, &format!("MSG {text}"));
    }
    // Seed 002's shape by default: the earlier lines as `ROOM` lines.
    let carol = program(&mut state, 3, "carol");
    send(&mut state, &carol, "JOIN #general");
    assert_eq!(
        lines(&carol),
        [
            "OK Joined #general (1 users)",
            "JOIN #general alice",
            "ROOM #general alice two",
            "ROOM #general alice three",
        ]
    );
    // Fenced and timed for a program that asks (the step 3 client, the page).
    let bob = program(&mut state, 2, "bob");
    send(&mut state, &bob, "HISTORY TIMED");
    assert_eq!(lines(&bob), ["OK History timed"]);
    send(&mut state, &bob, "JOIN #general");
    let got = lines(&bob);
    assert_eq!(
        got[..4],
        [
            "OK Joined #general (2 users)",
            "JOIN #general alice",
            "JOIN #general carol",
            "HISTORY BEGIN #general 2",
        ]
    );
    assert_eq!(got[6], "HISTORY END #general");
    // Each replayed line carries the time it was said, so it never passes
    // for a live `ROOM` line.
    for (line, text) in got[4..6].iter().zip(["two", "three"]) {
        let time = line
            .strip_prefix("HISTORY #general ")
            .and_then(|rest| rest.strip_suffix(&format!(" alice {text}")))
            .unwrap_or_else(|| panic!("{line}"));
        assert!(crate::support::timestamp::parse(time).is_ok(), "{line}");
    }
    assert_eq!(got.len(), 7);
}

#[test]
fn commands_before_a_name_are_refused_and_quit_closes() {
    let mut state = state();
    let eve = connect(&mut state, 1);
    send(&mut state, &eve, "JOIN #general");
    assert_eq!(
        lines(&eve),
        ["ERROR Choose a name first: /nick <name> or USERNAME <name>"]
    );
    assert_eq!(send(&mut state, &eve, "QUIT"), Flow::Close);
    assert_eq!(lines(&eve), ["OK Goodbye!"]);
}

// ---- What the IRC dialect needs from the rules --------------------------

/// A client registered in the IRC dialect, as the IRC reader registers it.
fn irc_user(state: &mut State, port: u16, name: &str) -> Member {
    let member = connect(state, port);
    state.speaks_irc(member.id);
    let register = command::Command::Register {
        name: name.into(),
        dialect: Dialect::Irc,
    };
    let applied = state.apply_irc(member.id, register, "NICK", name);
    assert_eq!(applied.registered, Some(Dialect::Irc));
    let burst = lines(&member);
    assert_eq!(
        burst[0],
        format!(":chatroom.local 001 {name} :Welcome to the chatroom Network, {name}")
    );
    member
}

#[test]
fn whois_says_where_someone_is_and_whether_they_are_an_operator() {
    let mut state = state();
    let bob = in_room(&mut state, 1, "bob", "#lab");
    let alice = program(&mut state, 2, "alice");
    send(&mut state, &alice, &format!("OPER {ADMIN}"));
    lines(&alice);
    let whois = |state: &mut State, user: &str| {
        state.apply_irc(bob.id, command::Command::Whois(user.into()), "WHOIS", user);
        lines(&bob)
    };
    assert_eq!(whois(&mut state, "ALICE"), ["WHOIS alice - operator"]);
    assert_eq!(whois(&mut state, "bob"), ["WHOIS bob #lab user"]);
    assert_eq!(whois(&mut state, "nobody"), ["ERROR User not found"]);
}

#[test]
fn away_is_set_cleared_and_told_to_whoever_messages() {
    let mut state = state();
    let bob = program(&mut state, 1, "bob");
    let alice = irc_user(&mut state, 2, "alice");
    let away = |text: Option<&str>| command::Command::Away(text.map(str::to_string));
    state.apply_irc(alice.id, away(Some("lunch")), "AWAY", "");
    assert_eq!(
        lines(&alice),
        [":chatroom.local 306 alice :You have been marked as being away"]
    );
    send(&mut state, &bob, "PRIVMSG alice are you there?");
    assert_eq!(lines(&bob), ["NOTICE alice is away: lunch", "OK Sent"]);
    assert_eq!(
        lines(&alice),
        [":bob!bob@chatroom PRIVMSG alice :are you there?"]
    );
    state.apply_irc(alice.id, away(None), "AWAY", "");
    lines(&alice);
    send(&mut state, &bob, "PRIVMSG alice back?");
    assert_eq!(lines(&bob), ["OK Sent"]);
}

#[test]
fn irc_lines_name_their_recipient_and_the_request() {
    let mut state = state();
    let alice = irc_user(&mut state, 1, "alice");
    let bob = irc_user(&mut state, 2, "bob");
    let private = command::Command::Private {
        to: "carol".into(),
        text: "hi".into(),
    };
    state.apply_irc(alice.id, private, "PRIVMSG", "carol");
    assert_eq!(
        lines(&alice),
        [":chatroom.local 401 alice carol :No such nick/channel"]
    );
    // A room message is the same line for every IRC member; the sender
    // does not get it back (IRC clients show what they typed).
    for member in [&alice, &bob] {
        state.apply_irc(member.id, command::Command::Join("#a".into()), "JOIN", "#a");
    }
    lines(&alice);
    lines(&bob);
    state.apply_irc(
        alice.id,
        command::Command::Say("hello".into()),
        "PRIVMSG",
        "#a",
    );
    assert!(lines(&alice).is_empty());
    assert_eq!(lines(&bob), [":alice!alice@chatroom PRIVMSG #a :hello"]);
}

#[test]
fn the_irc_handshake_asks_the_state_about_nicks_and_the_password() {
    // The password itself is presented as `PASS` (the guard counts it).
    use crate::wire::irc::register::Lookup;
    let mut state = state_with(ServerConfig {
        password: Some("door".into()),
        ..ServerConfig::default()
    });
    let member = connect(&mut state, 1);
    assert!(!state.authenticated(member.id));
    send(&mut state, &member, "PASS door");
    assert!(state.authenticated(member.id));
    send(&mut state, &member, "USERNAME Bob");
    assert!(state.nick_taken("bob") && !state.nick_taken("alice"));
}

#[test]
fn stats_count_queued_lines_names_the_fullest_queue_and_counts_deliveries() {
    let mut state = state();
    let teacher = in_room(&mut state, 1, "lee", "#lab");
    send(&mut state, &teacher, &format!("OPER {ADMIN}"));
    lines(&teacher);
    let alice = in_room(&mut state, 2, "alice", "#lab");
    let bob = in_room(&mut state, 3, "bob", "#lab");
    let _nameless = connect(&mut state, 4);
    lines(&teacher);
    lines(&alice);
    // Nobody reads now: alice's 3 messages wait in three queues (her own
    // come back, protocol mode), and bob's queue also has bob's 2.
    for text in ["one", "two", "three"] {
        send(&mut state, &alice, &format!("MSG {text}"));
    }
    for text in ["four", "five"] {
        send(&mut state, &bob, &format!("MSG {text}"));
    }
    lines(&teacher);
    send(&mut state, &bob, "STATS");
    send(&mut state, &teacher, "STATS");
    let stats = lines(&teacher);
    assert_eq!(
        stats[0], "STATS connections=4 named=3 unnamed=1",
        "{stats:#?}"
    );
    // alice has 5 lines waiting; bob 5 + his refusal: his is the fullest.
    assert_eq!(
        stats[2], "STATS queued=11 fullest=6 fullest_queue=bob",
        "{stats:#?}"
    );
    let deliveries = stats[4]
        .split(' ')
        .find_map(|w| w.strip_prefix("deliveries="));
    let deliveries: u64 = deliveries.and_then(|n| n.parse().ok()).unwrap_or(0);
    // At least the 5 messages to 3 members, the refusal and the joins.
    assert!(deliveries >= 16, "{stats:#?}");
    assert_eq!(stats[5], "STATS history=off");
    assert_eq!(stats[6], "OK Stats");
    assert_eq!(
        lines(&bob).last().map(String::as_str),
        Some("ERROR Not an operator")
    );
    lines(&alice);
    send(&mut state, &teacher, "STATS");
    assert_eq!(
        lines(&teacher)[2],
        "STATS queued=0 fullest=0 fullest_queue=-"
    );
}

/// A program in several rooms (`MULTIROOM`): a rename reaches someone who
/// shares two rooms with it once; leaving the server leaves every room,
/// each told; the limit holds.
#[test]
fn several_rooms_rename_once_leave_all_and_the_limit() {
    let mut state = state_with(ServerConfig {
        max_rooms_per_person: 2,
        ..ServerConfig::default()
    });
    let amy = program(&mut state, 1, "amy");
    send(&mut state, &amy, "MULTIROOM");
    send(&mut state, &amy, "JOIN #a");
    send(&mut state, &amy, "JOIN #b");
    lines(&amy);
    let bob = program(&mut state, 2, "bob");
    send(&mut state, &bob, "MULTIROOM");
    send(&mut state, &bob, "JOIN #a");
    send(&mut state, &bob, "JOIN #b");
    send(&mut state, &bob, "JOIN #c");
    assert_eq!(
        lines(&bob).last().map(String::as_str),
        Some("ERROR Already in 2 rooms, the most at once: LEAVE one first")
    );
    assert_eq!(lines(&amy), ["JOIN #a bob", "JOIN #b bob"]);
    send(&mut state, &bob, "USERNAME robert");
    assert_eq!(lines(&amy), ["NICK bob robert"]);
    state.disconnect(bob.id, "test");
    assert_eq!(lines(&amy), ["LEAVE #a robert", "LEAVE #b robert"]);
    send(&mut state, &amy, "ROOMS");
    assert_eq!(lines(&amy), ["ROOMLIST #a #b"]);
}

/// Without `MULTIROOM` a program keeps seed 002's one room: `JOIN` leaves.
#[test]
fn one_room_is_the_protocol_default() {
    let mut state = state();
    let amy = in_room(&mut state, 1, "amy", "#a");
    let bob = in_room(&mut state, 2, "bob", "#a");
    lines(&amy);
    send(&mut state, &bob, "JOIN #b");
    assert_eq!(lines(&bob), ["OK Joined #b (0 users)"]);
    assert_eq!(lines(&amy), ["LEAVE #a bob"]);
    send(&mut state, &bob, "SWITCH #a");
    assert_eq!(lines(&bob), ["ERROR Not in #a"]);
}

/// A kick that names its room takes the person out of that room only, and
/// keeps the name and the address out of it; other rooms stay open.
#[test]
fn a_kick_from_one_room_keeps_them_out_of_it() {
    let mut state = state();
    let lee = in_room(&mut state, 1, "lee", "#a");
    send(&mut state, &lee, &format!("OPER {ADMIN}"));
    let bob = program(&mut state, 2, "bob");
    send(&mut state, &bob, "MULTIROOM");
    send(&mut state, &bob, "JOIN #a");
    send(&mut state, &bob, "JOIN #b");
    lines(&bob);
    lines(&lee);
    let kick = command::Command::In(
        "#a".into(),
        Box::new(command::Command::Kick {
            user: "bob".into(),
            reason: None,
        }),
    );
    state.apply(lee.id, Dialect::Protocol, kick);
    assert_eq!(lines(&lee), ["KICK #a bob lee", "OK Kicked bob"]);
    assert_eq!(lines(&bob), ["KICK #a bob lee"]);
    assert!(!bob.hung_up.load(Ordering::SeqCst));
    send(&mut state, &bob, "JOIN #a");
    assert_eq!(
        lines(&bob),
        ["ERROR Kicked from #a: you may join it again in 120 s"]
    );
    // Another name from the same address is kept out too.
    let eve = program(&mut state, 2, "eve");
    send(&mut state, &eve, "JOIN #a");
    assert_eq!(
        lines(&eve),
        ["ERROR Kicked from #a: you may join it again in 120 s"]
    );
    send(&mut state, &bob, "SWITCH #b");
    assert_eq!(lines(&bob), ["OK Current room #b"]);
}
