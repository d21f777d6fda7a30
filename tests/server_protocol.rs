//! The chat server in protocol mode (clients that register with `USERNAME`):
//! the command table of issue #3 line by line, every error included, and the
//! alice-and-bob session of seed 002 §3.5 replayed exactly.
//!
//! Each test starts its own `step4_server` on port 0 with `--no-history`
//! (history then lives in memory only, so replay on joining still works and
//! nothing is written to disk). Clients are plain TCP sockets with a read
//! timeout; a test waits for the lines it expects and proves that a line was
//! *not* sent by asking a question and checking that the answer comes next
//! ([`common::Client::assert_nothing_pending`]).

mod common;

use common::{assert_greeting, untimed, Client, Server, TempDir, GREETING};
use std::thread;

const CHOOSE_NAME_FIRST: &str = "ERROR Choose a name first: /nick <name> or USERNAME <name>";
const INVALID_USERNAME: &str =
    "ERROR Invalid username: use 1-20 letters (any alphabet), digits 0-9, - or _, starting with a letter";
const INVALID_ROOM: &str =
    "ERROR Invalid room name: use # and 1-20 of a-z, A-Z, 0-9, - or _ (no accents, no spaces)";

/// Proves nothing is queued for a protocol-mode client.
fn assert_quiet(client: &mut Client) {
    client.assert_nothing_pending("ROOMS", "ROOMLIST");
}

#[test]
fn greeting_comes_first_whether_or_not_the_client_speaks() {
    let server = Server::start_chat(&[]);
    // Silent client: the greeting arrives after the short delay.
    let mut silent = server.connect();
    silent.expect_lines(&GREETING);

    // A client that speaks at once gets the greeting first, then its reply.
    let mut eager = server.connect();
    eager.send("USERNAME eager");
    eager.expect_lines(&GREETING);
    eager.expect_next("OK Welcome, eager!");

    let custom = Server::start_chat(&["--motd", "Week 3: sockets"]);
    let mut client = custom.connect();
    client.expect_next("NOTICE Week 3: sockets");
    client.expect_lines(&GREETING[1..]);
}

/// Seed 002 §3.5, "Example Usage / Output", line for line. The only lines
/// the seed does not show are the greeting's NOTICE lines, which come first.
#[test]
fn seed_002_alice_and_bob_session() {
    // History on: in the seed's session bob is replayed alice's message.
    let data = TempDir::new("seed-002");
    let server = with_history(&data, &[]);
    let mut alice = server.connect();
    alice.send("USERNAME alice");
    assert_greeting(&alice.expect("OK Welcome, alice!"));
    alice.send("JOIN #general");
    alice.expect_next("OK Joined #general (0 users)");
    alice.send("Hello everyone!");
    alice.expect_next("ROOM #general alice Hello everyone!");

    let mut bob = server.connect();
    bob.send("USERNAME bob");
    assert_greeting(&bob.expect("OK Welcome, bob!"));
    bob.send("JOIN #general");
    // Seed 002 §3.5, line for line: the earlier message as a `ROOM` line.
    let joined: Vec<String> = (0..3).map(|_| bob.line()).collect();
    assert_eq!(
        joined,
        [
            "OK Joined #general (1 users)",
            "JOIN #general alice",
            "ROOM #general alice Hello everyone!",
        ]
    );
    bob.send("Hi alice!");
    bob.expect_next("ROOM #general bob Hi alice!");

    alice.expect_lines(&["JOIN #general bob", "ROOM #general bob Hi alice!"]);

    alice.send("PRIVMSG bob Hey, private message!");
    alice.expect_next("OK Sent");
    bob.expect_next("PRIVMSG alice Hey, private message!");

    alice.send("USERS");
    alice.expect_next("USERLIST alice bob");
    alice.send("ROOMS");
    alice.expect_next("ROOMLIST #general");
    alice.send("LEAVE");
    alice.expect_next("OK Left #general");
    alice.send("QUIT");
    alice.expect_next("OK Goodbye!");
    assert_eq!(alice.read_to_close(), Vec::<String>::new());

    bob.expect_next("LEAVE #general alice");
    assert_quiet(&mut bob);
}

#[test]
fn before_a_name_only_username_help_quit_and_pass_work() {
    let server = Server::start_chat(&[]);
    let mut client = server.connect();
    client.expect_lines(&GREETING);
    for line in [
        "JOIN #general",
        "/join general",
        "LEAVE",
        "MSG hello",
        "hello there",
        "PRIVMSG bob hi",
        "ROOMS",
        "USERS",
        "/users",
    ] {
        // Before registering, a `/command` or plain words are answered in
        // the chat dialect (a person typed them), a verb in the protocol
        // dialect.
        let expected = if line.starts_with('/') || line == "hello there" {
            "[error] Choose a name first: type /nick and a name, for example /nick lee".to_string()
        } else {
            CHOOSE_NAME_FIRST.to_string()
        };
        assert_eq!(client.ask(line), expected, "after {line:?}");
    }
    assert_eq!(client.ask("PASS anything"), "OK Password accepted");
    client.send("HELP");
    client.send("USERNAME first");
    let help = client.expect("OK Welcome, first!");
    assert!(help.len() > 5 && help.iter().all(|l| l.starts_with("NOTICE ")));

    let mut quitter = server.connect();
    quitter.send("QUIT");
    let lines = quitter.read_to_close();
    assert_eq!(lines.last().map(String::as_str), Some("OK Goodbye!"));
    assert_greeting(&lines[..lines.len() - 1]);
}

#[test]
fn username_rules_and_uniqueness_ignoring_case() {
    let server = Server::start_chat(&[]);
    let mut client = server.connect();
    client.expect_lines(&GREETING);
    for bad in [
        "2pac",
        "_x",
        "-x",
        "al ice!",
        "ａlice",
        "abcdefghijklmnopqrstu",
    ] {
        let reply = client.ask(&format!("USERNAME {bad}"));
        if bad.contains(' ') {
            let rule = INVALID_USERNAME.trim_start_matches("ERROR Invalid username: ");
            assert_eq!(
                reply,
                format!("ERROR A name cannot contain spaces: {rule}"),
                "USERNAME {bad}"
            );
        } else {
            // Every refusal says why, then what is allowed.
            let rule = INVALID_USERNAME.trim_start_matches("ERROR Invalid username: ");
            assert!(
                reply.starts_with("ERROR Invalid username: ") && reply.ends_with(rule),
                "USERNAME {bad}: {reply}"
            );
        }
    }
    assert_eq!(client.ask("USERNAME"), "ERROR Usage: USERNAME <name>");
    assert_eq!(
        client.ask("USERNAME John Smith"),
        "ERROR A name cannot contain spaces: try USERNAME John_Smith"
    );
    assert_eq!(
        client.ask("USERNAME Abcdefghij-klmnop_19"),
        "OK Welcome, Abcdefghij-klmnop_19!"
    );

    let mut other = server.connect();
    other.send("USERNAME ABCDEFGHIJ-KLMNOP_19");
    assert_greeting(&other.expect("ERROR Username taken"));
    // Still unregistered after the refusal.
    assert_eq!(other.ask("USERS"), CHOOSE_NAME_FIRST);

    // The name is free again once its owner has gone.
    client.send("QUIT");
    client.expect_next("OK Goodbye!");
    client.read_to_close();
    assert_eq!(
        other.ask("USERNAME abcdefghij-klmnop_19"),
        "OK Welcome, abcdefghij-klmnop_19!"
    );
}

#[test]
fn join_rules_members_and_switching_rooms() {
    let server = Server::start_chat(&[]);
    let mut alice = server.login("alice");
    // `#` is added when missing.
    assert_eq!(alice.ask("JOIN general"), "OK Joined #general (0 users)");
    assert_eq!(alice.ask("JOIN #general"), "ERROR Already in #general");
    assert_eq!(alice.ask("JOIN #GENERAL"), "ERROR Already in #general");
    for bad in ["#", "#bad!", "#two words", "#abcdefghijklmnopqrstu", "#é"] {
        let reply = alice.ask(&format!("JOIN {bad}"));
        let expected = if bad.contains(' ') {
            "ERROR Usage: JOIN <room>"
        } else {
            INVALID_ROOM
        };
        assert_eq!(reply, expected, "JOIN {bad}");
    }
    assert_eq!(alice.ask("JOIN"), "ERROR Usage: JOIN <room>");

    // One room, whatever the case; its name stays as first typed.
    let mut bob = server.login("bob");
    bob.send("JOIN #GENERAL");
    bob.expect_lines(&["OK Joined #general (1 users)", "JOIN #general alice"]);
    alice.expect_next("JOIN #general bob");

    let mut carol = server.login("carol");
    carol.send("JOIN #General");
    carol.expect_lines(&[
        "OK Joined #general (2 users)",
        "JOIN #general alice",
        "JOIN #general bob",
    ]);
    alice.expect_next("JOIN #general carol");
    bob.expect_next("JOIN #general carol");

    // Joining another room leaves the current one first.
    assert_eq!(bob.ask("JOIN #Lab_2-b"), "OK Joined #Lab_2-b (0 users)");
    alice.expect_next("LEAVE #general bob");
    carol.expect_next("LEAVE #general bob");
    // A 20-character room name is fine.
    assert_eq!(
        carol.ask("JOIN abcdefghijklmnopqrst"),
        "OK Joined #abcdefghijklmnopqrst (0 users)"
    );
    alice.expect_next("LEAVE #general carol");
    assert_eq!(
        alice.ask("ROOMS"),
        "ROOMLIST #abcdefghijklmnopqrst #general #Lab_2-b"
    );
    assert_quiet(&mut bob);
}

#[test]
fn recent_history_is_replayed_on_joining() {
    let data = TempDir::new("protocol-replay");
    let server = with_history(&data, &["--history-replay", "2"]);
    let mut alice = server.login("alice");
    alice.ask("JOIN #general");
    for text in ["one", "two", "three"] {
        assert_eq!(alice.ask(text), format!("ROOM #general alice {text}"));
    }
    let mut bob = server.login("bob");
    bob.timed_history();
    bob.send("JOIN #general");
    let joined: Vec<String> = (0..6).map(|_| untimed(&bob.line())).collect();
    assert_eq!(
        joined,
        [
            "OK Joined #general (1 users)",
            "JOIN #general alice",
            "HISTORY BEGIN #general 2",
            "HISTORY #general <time> alice two",
            "HISTORY #general <time> alice three",
            "HISTORY END #general",
        ]
    );
    assert_quiet(&mut bob);
}

#[test]
fn leave_and_empty_rooms_disappearing() {
    let server = Server::start_chat(&[]);
    let mut alice = server.login("alice");
    let mut bob = server.login("bob");
    assert_eq!(alice.ask("LEAVE"), "ERROR Not in a room");
    assert_eq!(alice.ask("ROOMS"), "ROOMLIST");
    alice.ask("JOIN #general");
    bob.ask("JOIN #general");
    bob.expect_next("JOIN #general alice");
    alice.expect_next("JOIN #general bob");
    assert_eq!(alice.ask("JOIN #side"), "OK Joined #side (0 users)");
    bob.expect_next("LEAVE #general alice");
    assert_eq!(alice.ask("ROOMS"), "ROOMLIST #general #side");

    assert_eq!(alice.ask("LEAVE"), "OK Left #side");
    assert_eq!(alice.ask("ROOMS"), "ROOMLIST #general");
    assert_eq!(bob.ask("LEAVE"), "OK Left #general");
    assert_eq!(alice.ask("ROOMS"), "ROOMLIST");
    assert_eq!(bob.ask("LEAVE"), "ERROR Not in a room");
}

#[test]
fn room_messages_reach_the_room_and_the_protocol_sender() {
    let server = Server::start_chat(&[]);
    let mut alice = server.login("alice");
    let mut bob = server.login("bob");
    let mut outsider = server.login("outsider");
    assert_eq!(alice.ask("MSG hi"), "ERROR Not in a room");
    assert_eq!(alice.ask("hi"), "ERROR Not in a room");
    alice.ask("JOIN #general");
    bob.ask("JOIN #general");
    bob.expect_next("JOIN #general alice");
    alice.expect_next("JOIN #general bob");
    outsider.ask("JOIN #elsewhere");

    assert_eq!(alice.ask("MSG"), "ERROR Empty message");
    assert_eq!(
        alice.ask("MSG  two  spaces"),
        "ROOM #general alice two  spaces"
    );
    bob.expect_next("ROOM #general alice two  spaces");
    // Lines that are not a command are messages, even if they start with
    // something that looks like a verb.
    for text in [
        "JOINED the club",
        "join us",
        "QUITTING is hard",
        "Hello everyone!",
    ] {
        assert_eq!(alice.ask(text), format!("ROOM #general alice {text}"));
        bob.expect_next(&format!("ROOM #general alice {text}"));
    }
    // A line of spaces is an empty line: ignored, no reply.
    alice.send("   ");
    assert_quiet(&mut alice);
    assert_quiet(&mut bob);
    assert_quiet(&mut outsider);
}

#[test]
fn private_messages() {
    let server = Server::start_chat(&[]);
    let mut alice = server.login("alice");
    let mut bob = server.login("Bob");
    // Works without being in a room, names ignore case.
    assert_eq!(alice.ask("PRIVMSG bob Hey, private  message!"), "OK Sent");
    bob.expect_next("PRIVMSG alice Hey, private  message!");
    assert_eq!(bob.ask("PRIVMSG ALICE back"), "OK Sent");
    alice.expect_next("PRIVMSG Bob back");
    assert_eq!(alice.ask("PRIVMSG nobody hi"), "ERROR User not found");
    assert_eq!(
        alice.ask("PRIVMSG bob"),
        "ERROR Usage: PRIVMSG <user> <text>"
    );
    assert_eq!(alice.ask("PRIVMSG"), "ERROR Usage: PRIVMSG <user> <text>");

    bob.send("QUIT");
    bob.expect_next("OK Goodbye!");
    bob.read_to_close();
    assert_eq!(
        alice.ask("PRIVMSG bob still there?"),
        "ERROR User not found"
    );
}

#[test]
fn rooms_and_users_lists_are_sorted() {
    let server = Server::start_chat(&[]);
    let mut zed = server.login("zed");
    let mut amy = server.login("Amy");
    let mut bea = server.login("bea");
    // Nobody in a room: everyone online, sorted ignoring case.
    assert_eq!(zed.ask("USERS"), "USERLIST Amy bea zed");
    assert_eq!(zed.ask("ROOMS"), "ROOMLIST");
    zed.ask("JOIN #zeta");
    amy.ask("JOIN #Alpha");
    bea.ask("JOIN #mid");
    assert_eq!(zed.ask("ROOMS"), "ROOMLIST #Alpha #mid #zeta");
    // In a room: that room's members only.
    assert_eq!(zed.ask("USERS"), "USERLIST zed");
    bea.ask("JOIN #zeta");
    zed.expect_next("JOIN #zeta bea");
    amy.ask("JOIN #zeta");
    zed.expect_next("JOIN #zeta Amy");
    assert_eq!(zed.ask("USERS"), "USERLIST Amy bea zed");
    assert_eq!(zed.ask("/users"), "USERLIST Amy bea zed");
    let _ = server.login("outside");
    assert_eq!(zed.ask("USERS"), "USERLIST Amy bea zed");
}

#[test]
fn help_lists_the_protocol_commands() {
    let server = Server::start_chat(&[]);
    let mut client = server.login("alice");
    client.send("HELP");
    client.send("ROOMS");
    let help = client.expect("ROOMLIST");
    assert!(
        help.iter().all(|line| line.starts_with("NOTICE ")),
        "{help:#?}"
    );
    let text = help.join("\n");
    for command in [
        "USERNAME <name>",
        "JOIN <room>",
        "LEAVE",
        "MSG <text>",
        "PRIVMSG <user> <text>",
        "ROOMS",
        "USERS",
        "HELP",
        "QUIT",
    ] {
        assert!(
            help.iter()
                .any(|line| line.starts_with(&format!("NOTICE {command} "))),
            "HELP does not list {command:?}:\n{text}"
        );
    }
    assert!(
        !text.contains("/join"),
        "chat-mode commands in HELP:\n{text}"
    );
}

#[test]
fn quit_says_goodbye_closes_and_tells_the_room() {
    let server = Server::start_chat(&[]);
    let mut alice = server.login("alice");
    let mut bob = server.login("bob");
    alice.ask("JOIN #general");
    bob.ask("JOIN #general");
    bob.expect_next("JOIN #general alice");
    alice.send("QUIT");
    assert_eq!(alice.read_to_close(), ["JOIN #general bob", "OK Goodbye!"]);
    bob.expect_next("LEAVE #general alice");
    assert_eq!(bob.ask("USERS"), "USERLIST bob");
}

#[test]
fn disconnecting_without_quit_is_like_leaving() {
    let server = Server::start_chat(&[]);
    let mut bob = server.login("bob");
    bob.ask("JOIN #general");
    let mut alice = server.login("alice");
    alice.ask("JOIN #general");
    bob.expect_next("JOIN #general alice");
    drop(alice); // closes the socket, no QUIT
    bob.expect_next("LEAVE #general alice");

    // Only our sending side closed (what `nc` does at the end of its input).
    let mut carol = server.login("carol");
    carol.ask("JOIN #general");
    bob.expect_next("JOIN #general carol");
    carol.shutdown_write();
    bob.expect_next("LEAVE #general carol");
    assert_eq!(carol.read_to_close(), ["JOIN #general bob"]);
    assert_eq!(bob.ask("USERS"), "USERLIST bob");
    // Their names are free again.
    let _ = server.login("alice");
    let _ = server.login("carol");
}

#[test]
fn renaming_tells_the_room() {
    let server = Server::start_chat(&[]);
    let mut alice = server.login("alice");
    let mut bob = server.login("bob");
    alice.ask("JOIN #general");
    bob.ask("JOIN #general");
    bob.expect_next("JOIN #general alice");
    alice.expect_next("JOIN #general bob");

    assert_eq!(alice.ask("USERNAME alicia"), "NICK alice alicia");
    bob.expect_next("NICK alice alicia");
    assert_eq!(bob.ask("USERS"), "USERLIST alicia bob");
    assert_eq!(alice.ask("USERNAME BOB"), "ERROR Username taken");
    assert_eq!(alice.ask("USERNAME 9lives"), INVALID_USERNAME);
    // Changing only the case of one's own name is allowed.
    assert_eq!(alice.ask("USERNAME Alicia"), "NICK alicia Alicia");
    bob.expect_next("NICK alicia Alicia");
    // Messages carry the new name; the old name is free and unknown.
    assert_eq!(alice.ask("hi"), "ROOM #general Alicia hi");
    bob.expect_next("ROOM #general Alicia hi");
    assert_eq!(bob.ask("PRIVMSG alice hi"), "ERROR User not found");
    assert_eq!(bob.ask("PRIVMSG alicia hi"), "OK Sent");
    alice.expect_next("PRIVMSG bob hi");
    let _ = server.login("alice");
}

#[test]
fn unknown_slash_commands_are_errors_and_slash_commands_work() {
    let server = Server::start_chat(&[]);
    let mut alice = server.login("alice");
    assert_eq!(
        alice.ask("/dance now"),
        "ERROR Unknown command /dance (try /help)"
    );
    assert_eq!(alice.ask("/join lab"), "OK Joined #lab (0 users)");
    assert_eq!(alice.ask("/rooms"), "ROOMLIST #lab");
    // `//text` is a message starting with a slash.
    assert_eq!(alice.ask("//etc/hosts"), "ROOM #lab alice /etc/hosts");
}

/// Ten clients in one room, five of them sending at the same time: every
/// member receives every message, all in the same order, and each sender's
/// own messages in the order it sent them.
#[test]
fn ten_clients_receive_all_messages_in_the_same_order() {
    const CLIENTS: usize = 10;
    const SENDERS: usize = 5;
    const PER_SENDER: usize = 60;
    let server = Server::start_chat(&["--rate-per-sec", "0"]);
    let mut clients: Vec<Client> = (0..CLIENTS)
        .map(|i| {
            let mut client = server.login(&format!("user{i}"));
            assert!(client.ask("JOIN #busy").starts_with("OK Joined #busy"));
            client
        })
        .collect();
    // Everyone sends in a burst, on its own thread; the readers below start
    // only afterwards, which the queues (1024 lines) easily absorb.
    let senders: Vec<_> = clients
        .drain(..SENDERS)
        .enumerate()
        .map(|(i, mut client)| {
            thread::spawn(move || {
                let mut burst = String::new();
                for n in 0..PER_SENDER {
                    burst.push_str(&format!("MSG from {i} number {n}\r\n"));
                    if n % 10 == 9 {
                        client.send_raw(burst.as_bytes());
                        burst.clear();
                    }
                }
                client
            })
        })
        .collect();
    let mut all: Vec<Client> = senders.into_iter().map(|h| h.join().unwrap()).collect();
    all.extend(clients);

    let total = SENDERS * PER_SENDER;
    let readers: Vec<_> = all
        .into_iter()
        .map(|mut client| {
            thread::spawn(move || {
                let mut messages = Vec::new();
                while messages.len() < total {
                    let line = client.line();
                    if line.starts_with("ROOM ") {
                        messages.push(line);
                    } else {
                        assert!(line.starts_with("JOIN #busy "), "unexpected {line:?}");
                    }
                }
                (messages, client)
            })
        })
        .collect();
    // The clients stay connected until every reader is done: a closed one
    // would send LEAVE lines to the others.
    let (received, mut clients): (Vec<Vec<String>>, Vec<Client>) =
        readers.into_iter().map(|h| h.join().unwrap()).unzip();
    for client in &mut clients {
        assert_quiet(client);
    }
    for (i, messages) in received.iter().enumerate() {
        assert_eq!(messages, &received[0], "client {i} saw another order");
    }
    for sender in 0..SENDERS {
        let own: Vec<&String> = received[0]
            .iter()
            .filter(|line| line.starts_with(&format!("ROOM #busy user{sender} ")))
            .collect();
        let expected: Vec<String> = (0..PER_SENDER)
            .map(|n| format!("ROOM #busy user{sender} from {sender} number {n}"))
            .collect();
        assert_eq!(own, expected.iter().collect::<Vec<_>>());
    }
}

/// A server on 127.0.0.1 with its history in `data` (most tests here run
/// with `--no-history`, which also turns replay off).
fn with_history(data: &TempDir, extra: &[&str]) -> Server {
    let mut args = vec![
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--data-dir",
        data.path_str(),
    ];
    args.extend_from_slice(extra);
    Server::start("step4_server", &args)
}

/// `MULTIROOM`: a program asks to be in several rooms at once; `JOIN` then
/// adds a room and makes it current, every room-scoped command acts on the
/// current room, `SWITCH` and `LEAVE <room>` name one, and every line it
/// receives names its room. Without it (seed 002, above) nothing changes.
#[test]
fn multiroom_joins_beside_and_commands_act_on_the_current_room() {
    let server = Server::start_chat(&["--max-rooms-per-person", "2"]);
    let mut bob = server.login("bob");
    bob.ask("JOIN #general");
    let mut alice = server.login("alice");
    assert_eq!(alice.ask("SWITCH #general"), "ERROR Not in #general");
    alice.send("MULTIROOM");
    let on = alice.line();
    assert!(on.starts_with("OK Multi-room: JOIN adds a room"), "{on}");
    alice.send("JOIN #general");
    alice.expect_lines(&["OK Joined #general (1 users)", "JOIN #general bob"]);
    bob.expect_next("JOIN #general alice");
    assert_eq!(alice.ask("JOIN #lab"), "OK Joined #lab (0 users)");
    // Still in #general: bob hears no LEAVE, and alice hears #general.
    bob.send("MSG hi general");
    bob.expect_next("ROOM #general bob hi general");
    alice.expect_next("ROOM #general bob hi general");
    // Plain lines go to the current room (#lab, joined last).
    assert_eq!(alice.ask("MSG in the lab"), "ROOM #lab alice in the lab");
    assert_eq!(alice.ask("USERS"), "USERLIST alice");
    assert_eq!(
        alice.ask("JOIN #third"),
        "ERROR Already in 2 rooms, the most at once: LEAVE one first"
    );
    assert_eq!(alice.ask("SWITCH general"), "OK Current room #general");
    assert_eq!(alice.ask("USERS"), "USERLIST alice bob");
    assert_eq!(alice.ask("MSG back"), "ROOM #general alice back");
    bob.expect_next("ROOM #general alice back");
    // JOIN of a room you are in switches to it too.
    assert_eq!(alice.ask("JOIN #lab"), "OK Current room #lab");
    // LEAVE <room> leaves that one; the current room stays.
    assert_eq!(alice.ask("LEAVE #general"), "OK Left #general");
    bob.expect_next("LEAVE #general alice");
    assert_eq!(alice.ask("LEAVE #general"), "ERROR Not in #general");
    assert_eq!(
        alice.ask("LEAVE #nowhere"),
        "ERROR Not in #nowhere (no such room)"
    );
    assert_eq!(alice.ask("LEAVE now"), "ERROR Usage: LEAVE [room]");
    assert_eq!(alice.ask("LEAVE"), "OK Left #lab");
    assert_eq!(alice.ask("MSG anyone?"), "ERROR Not in a room");
    assert_quiet(&mut bob);
}

/// Only a holder whose client has gone is waited for: a name held by
/// someone still connected is refused at once, not after the newcomer's
/// two-second wait (`server/departures.rs`).
#[test]
fn a_name_held_by_someone_still_there_is_refused_at_once() {
    let server = Server::start_chat(&["--connect-rate-per-ip", "0"]);
    let _amy = server.login("amy");
    for _ in 0..5 {
        let mut again = server.connect();
        let asked = std::time::Instant::now();
        again.send("USERNAME amy");
        let mut answer = again.line(); // after the greeting
        while !answer.starts_with("ERROR") && !answer.starts_with("OK") {
            answer = again.line();
        }
        assert_eq!(answer, "ERROR Username taken");
        let took = asked.elapsed();
        assert!(
            took < std::time::Duration::from_secs(1),
            "refused after {took:?}"
        );
    }
}

/// A program that sends its last lines and closes at once, then connects
/// again under the same name, loses none of them and is never told the
/// name is taken: the newcomer waits until the old connection's reader has
/// acted on every line and seen the close (`server/departures.rs`).
/// (Letting the name go as soon as the old socket was closed lost 6 of these
/// 100: `docs/design.md`, "A name reused at once"; before the wait, a few
/// visits in a hundred were told `ERROR Username taken`.)
#[test]
fn lines_sent_just_before_a_close_count_and_the_name_is_free_again_at_once() {
    let server = Server::start_chat(&["--connect-rate-per-ip", "0", "--rate-per-sec", "0"]);
    let mut watcher = server.login("watcher");
    assert!(watcher.ask("JOIN #x").starts_with("OK Joined"));
    const VISITS: usize = 100;
    for n in 0..VISITS {
        let mut bot = server.connect();
        bot.send("USERNAME bot");
        let mut answer = bot.line(); // after the greeting
        while !answer.starts_with("OK Welcome") && !answer.starts_with("ERROR") {
            answer = bot.line();
        }
        assert_eq!(answer, "OK Welcome, bot!", "visit {n}");
        // The last lines, and the socket closes (`bot` is dropped).
        bot.send_raw(format!("JOIN #x\r\nMSG last words {n}\r\n").as_bytes());
    }
    let mut said = Vec::new();
    while said.len() < VISITS {
        let line = watcher.line();
        if line.starts_with("ROOM #x bot ") {
            said.push(line);
        }
    }
    let expected: Vec<String> = (0..VISITS)
        .map(|n| format!("ROOM #x bot last words {n}"))
        .collect();
    assert_eq!(said, expected);
}
