//! The chat server in chat mode (people on `nc` or `telnet`, who register
//! with `/nick`): the same command table as protocol mode, with every reply in
//! words instead of keywords, no echo of one's own messages, an automatic
//! `#general`, and only `/commands` counted as commands.
//!
//! Chat-mode and protocol-mode clients share rooms, so several tests put one
//! of each in a room and check that each gets the same event in its own
//! dialect.

mod common;

use common::{Client, Server, TempDir};

const NOT_IN_ROOM: &str = "[error] Not in a room (join one: /join #name)";

/// Proves nothing is queued for a chat-mode client.
fn assert_quiet(client: &mut Client) {
    client.assert_nothing_pending("/help", "*** Commands:");
    // Skip the rest of the help listing.
    client.read_until(|line| line.starts_with("***   /quit"));
}

/// `/nick name` on a server whose default room is `#general`, with the
/// auto-join's first line read. Returns the client.
fn arrive(server: &Server, name: &str) -> Client {
    let mut client = server.nick(name);
    let joined = client.line();
    assert!(
        joined.starts_with("*** You joined #general."),
        "no auto-join: {joined:?}"
    );
    client
}

#[test]
fn nick_welcomes_and_joins_the_default_room() {
    // History on (in a temp dir): the newcomer gets the recent messages.
    let data = TempDir::new("chat-replay");
    let server = Server::start(
        "step4_server",
        &[
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
            data.path_str(),
        ],
    );
    let mut alice = server.nick("alice");
    alice.expect_next("*** You joined #general. Nobody else is here yet.");
    alice.send("hi there");
    // No echo in chat mode: a probe proves the message was handled.
    assert_quiet(&mut alice);
    let mut bob = server.nick("bob");
    bob.expect_lines(&[
        "*** You joined #general. Here: alice",
        "*** Recent messages in #general:",
    ]);
    let replayed = bob.line();
    assert!(
        is_clock(&replayed[..10]) && &replayed[10..] == " alice: hi there",
        "replayed line: {replayed:?}"
    );
    bob.expect_next("*** (end of recent messages)");
    alice.expect_next("* bob joined #general");
    assert_quiet(&mut alice);
    assert_quiet(&mut bob);
}

/// `[hh:mm:ss]`.
fn is_clock(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes[0] == b'['
        && bytes[9] == b']'
        && bytes[3] == b':'
        && bytes[6] == b':'
        && [1, 2, 4, 5, 7, 8]
            .iter()
            .all(|&i| bytes[i].is_ascii_digit())
}

#[test]
fn default_room_can_be_changed_or_turned_off() {
    let none = Server::start_chat(&["--default-room", ""]);
    let mut alice = none.nick("alice");
    assert_eq!(alice.ask("/users"), "*** Online: alice");
    assert_eq!(
        alice.ask("/rooms"),
        "*** No rooms yet. Make one: /join #name"
    );

    let lab = Server::start_chat(&["--default-room", "lab"]);
    let mut bob = lab.nick("bob");
    bob.expect_next("*** You joined #lab. Nobody else is here yet.");
    assert_eq!(bob.ask("/rooms"), "*** Rooms: #lab (current)");
}

#[test]
fn join_and_leave_in_words() {
    let server = Server::start_chat(&[]);
    let mut alice = arrive(&server, "alice");
    let mut bob = arrive(&server, "bob");
    let mut carol = server.login("carol"); // protocol mode, for comparison
    carol.ask("JOIN #general");
    carol.read_until(|line| line == "JOIN #general bob");
    alice.expect_next("* bob joined #general");
    alice.expect_next("* carol joined #general");
    bob.expect_next("* carol joined #general");

    // `/join` of a room you are in makes it the current one.
    assert_eq!(
        alice.ask("/join #general"),
        "*** Plain lines now go to #general"
    );
    assert_eq!(
        alice.ask("/JOIN General"),
        "*** Plain lines now go to #general"
    );
    assert_eq!(
        alice.ask("/join bad!"),
        "[error] Invalid room name: use # and 1-20 of a-z, A-Z, 0-9, - or _ (no accents, no spaces)"
    );
    assert_eq!(alice.ask("/join"), "[error] Usage: /join <room>");
    // A second room is joined beside the first, and becomes the current one.
    assert_eq!(
        alice.ask("/join lab"),
        "*** You joined #lab. Nobody else is here yet."
    );
    assert_eq!(bob.ask("/join #LAB"), "*** You joined #lab. Here: alice");
    alice.expect_next("* bob joined #lab");
    assert_eq!(
        alice.ask("/rooms"),
        "*** Rooms: #general (yours), #lab (current)"
    );
    // Plain lines go to the current room; lines from another say their room.
    bob.send("hello lab");
    alice.expect_next("bob: hello lab");
    carol.send("MSG hello general");
    carol.expect_next("ROOM #general carol hello general");
    alice.expect_next("[#general] carol: hello general");
    bob.expect_next("[#general] carol: hello general");
    assert_eq!(
        bob.ask("/switch #general"),
        "*** Plain lines now go to #general"
    );
    bob.send("back here");
    carol.expect_next("ROOM #general bob back here");
    alice.expect_next("[#general] bob: back here");
    assert_eq!(bob.ask("/switch #nowhere"), "[error] Not in #nowhere");
    // `/leave #room` leaves that one; the current room stays.
    assert_eq!(bob.ask("/leave #lab"), "*** You left #lab");
    alice.expect_next("* bob left #lab");
    // `/leave` leaves the current room; another becomes current, and says so.
    alice.send("/leave");
    alice.expect_next("*** You left #lab");
    alice.expect_next("*** Plain lines now go to #general");
    alice.send("/leave");
    alice.expect_next("*** You left #general");
    bob.expect_next("* alice left #general");
    carol.expect_next("LEAVE #general alice");
    assert_eq!(alice.ask("/leave"), NOT_IN_ROOM);
    assert_eq!(alice.ask("anyone here?"), NOT_IN_ROOM);
    assert_eq!(alice.ask("/part"), NOT_IN_ROOM);
    assert_quiet(&mut bob);
}

#[test]
fn messages_are_relayed_without_echo_and_every_line_is_chat() {
    let server = Server::start_chat(&[]);
    let mut alice = arrive(&server, "alice");
    let mut bob = arrive(&server, "bob");
    let mut carol = server.login("carol");
    carol.ask("JOIN #general");
    alice.read_until(|line| line == "* carol joined #general");
    bob.expect_next("* carol joined #general");
    carol.read_until(|line| line == "JOIN #general bob");

    // Protocol verbs are plain words in chat mode.
    for text in [
        "hello",
        "QUIT smoking",
        "MSG",
        "JOIN the club",
        "USERNAME mallory",
        "LEAVE me alone",
    ] {
        alice.send(text);
        bob.expect_next(&format!("alice: {text}"));
        carol.expect_next(&format!("ROOM #general alice {text}"));
    }
    alice.send("//etc/hosts is a file");
    bob.expect_next("alice: /etc/hosts is a file");
    carol.expect_next("ROOM #general alice /etc/hosts is a file");
    carol.send("Hi from a program");
    carol.expect_next("ROOM #general carol Hi from a program");
    alice.expect_next("carol: Hi from a program");
    bob.expect_next("carol: Hi from a program");
    // alice never got her own lines back, and is still alice.
    assert_quiet(&mut alice);
    assert_eq!(alice.ask("/users"), "*** In #general: alice, bob, carol");
}

#[test]
fn private_messages_in_words() {
    let server = Server::start_chat(&["--default-room", ""]);
    let mut alice = server.nick("alice");
    let mut bob = server.nick("bob");
    let mut carol = server.login("carol");
    assert_eq!(
        alice.ask("/msg BOB psst  hey"),
        "[private to bob] psst  hey"
    );
    // A person's screen shows a run of blanks as one (padding could
    // otherwise push text onto a row of its own and fake a server line).
    bob.expect_next("[private] alice: psst hey");
    assert_eq!(alice.ask("/msg carol hi"), "[private to carol] hi");
    carol.expect_next("PRIVMSG alice hi");
    assert_eq!(carol.ask("PRIVMSG alice back"), "OK Sent");
    alice.expect_next("[private] carol: back");
    // Named, and why: protocol mode keeps seed 002's `ERROR User not found`.
    assert_eq!(
        alice.ask("/msg nobody hi"),
        "[error] nobody is not connected (/users lists who is here)"
    );
    assert_eq!(alice.ask("/msg bob"), "[error] Usage: /msg <user> <text>");
    assert_quiet(&mut bob);
}

#[test]
fn rooms_users_and_help_in_words() {
    let server = Server::start_chat(&["--default-room", ""]);
    let mut zed = server.nick("zed");
    let mut amy = server.nick("Amy");
    assert_eq!(zed.ask("/rooms"), "*** No rooms yet. Make one: /join #name");
    assert_eq!(zed.ask("/users"), "*** Online: Amy, zed");
    zed.ask("/join #zeta");
    amy.ask("/join Alpha");
    assert_eq!(zed.ask("/rooms"), "*** Rooms: #Alpha, #zeta (current)");
    assert_eq!(zed.ask("/users"), "*** In #zeta: zed");
    assert_eq!(zed.ask("/who"), "*** In #zeta: zed");

    zed.send("/help");
    zed.expect_next("*** Commands:");
    let rows = zed.read_until(|line| line.starts_with("***   /quit "));
    assert!(
        rows.iter().all(|row| row.starts_with("***   ")),
        "{rows:#?}"
    );
    for command in [
        "/nick <name>",
        "/join <room>",
        "/leave",
        "<text>",
        "/msg <user> <text>",
        "/users",
        "/rooms",
        "/help",
    ] {
        assert!(
            rows.iter()
                .any(|row| row.starts_with(&format!("***   {command} "))),
            "/help does not list {command:?}: {rows:#?}"
        );
    }
    for keyword in ["USERNAME", "JOIN", "PRIVMSG", "QUIT"] {
        assert!(
            !rows.iter().any(|row| row.contains(keyword)),
            "protocol keyword {keyword} in /help: {rows:#?}"
        );
    }
}

#[test]
fn quit_says_goodbye_in_words_and_tells_the_room() {
    let server = Server::start_chat(&[]);
    let mut alice = arrive(&server, "alice");
    let mut bob = arrive(&server, "bob");
    let mut carol = server.login("carol");
    carol.ask("JOIN #general");
    alice.send("/quit");
    assert_eq!(
        alice.read_to_close(),
        [
            "* bob joined #general",
            "* carol joined #general",
            "*** Goodbye!",
            "*** Connection closed by the server (you typed /quit). Press Enter or Ctrl-C to return to your shell."
        ]
    );
    bob.expect_next("* carol joined #general");
    bob.expect_next("* alice left #general");
    carol.read_until(|line| line == "LEAVE #general alice");

    // Leaving without /quit looks the same to the room.
    drop(carol);
    bob.expect_next("* carol left #general");
    assert_eq!(bob.ask("/users"), "*** In #general: bob");
}

#[test]
fn renaming_in_words() {
    let server = Server::start_chat(&[]);
    let mut alice = arrive(&server, "alice");
    let mut bob = arrive(&server, "bob");
    let mut carol = server.login("carol");
    carol.ask("JOIN #general");
    alice.read_until(|line| line == "* carol joined #general");
    bob.expect_next("* carol joined #general");
    carol.read_until(|line| line == "JOIN #general bob");

    assert_eq!(alice.ask("/nick alicia"), "*** You are now known as alicia");
    bob.expect_next("* alice is now known as alicia");
    carol.expect_next("NICK alice alicia");
    assert_eq!(alice.ask("/nick BOB"), "[error] Username taken");
    assert_eq!(
        alice.ask("/nick 9lives"),
        "[error] Invalid username: use 1-20 letters (any alphabet), digits 0-9, - or _, starting with a letter"
    );
    assert_eq!(alice.ask("/nick"), "[error] Usage: /nick <name>");
    // A name in two words: the way out, not just the usage.
    assert_eq!(
        alice.ask("/nick John Smith"),
        "[error] A name cannot contain spaces: try /nick John_Smith"
    );
    assert_eq!(
        alice.ask("/nick 9 lives"),
        "[error] A name cannot contain spaces: use 1-20 letters (any alphabet), digits 0-9, - or _, starting with a letter"
    );
    // Room names are ASCII, and the error says exactly that.
    assert_eq!(
        alice.ask("/join #café"),
        "[error] Invalid room name: use # and 1-20 of a-z, A-Z, 0-9, - or _ (no accents, no spaces)"
    );
    alice.send("still me");
    bob.expect_next("alicia: still me");
    carol.expect_next("ROOM #general alicia still me");
    // Renaming does not switch dialects.
    assert_eq!(carol.ask("USERNAME caroline"), "NICK carol caroline");
    bob.expect_next("* carol is now known as caroline");
    alice.expect_next("* carol is now known as caroline");
    assert_quiet(&mut alice);
}

#[test]
fn unknown_commands_and_case_insensitive_commands() {
    let server = Server::start_chat(&[]);
    let mut alice = arrive(&server, "alice");
    assert_eq!(
        alice.ask("/dance wildly"),
        "[error] Unknown command /dance (try /help)"
    );
    assert_eq!(alice.ask("/USERS"), "*** In #general: alice");
    assert_eq!(alice.ask("/Rooms"), "*** Rooms: #general (current)");
}

/// Chat mode never shows a person a protocol keyword: every line after the
/// greeting, for every command in the table and every error, is in words.
#[test]
fn chat_mode_lines_are_words_not_keywords() {
    // Forty lines in a burst: more than flood control allows by default.
    let server = Server::start_chat(&["--rate-per-sec", "0"]);
    let mut bob = server.login("bob");
    bob.ask("JOIN #general");
    let mut alice = server.connect();
    alice.send("/nick alice");
    let mut everything = Vec::new();
    for line in [
        "hello",
        "/join general",
        "/msg bob hi",
        "/msg nobody hi",
        "/msg bob",
        "/users",
        "/rooms",
        "/leave",
        "/leave",
        "/users",
        "/rooms",
        "text outside a room",
        "/join #bad!",
        "/join #lab",
        "/join #general",
        "/nick alicia",
        "/nick bob",
        "/nick 9",
        "/dance",
        "/help",
    ] {
        alice.send(line);
        // /help is the probe: everything before its reply belongs to `line`.
        alice.send("/help");
        everything.extend(alice.read_until(|l| l == "*** Commands:"));
        alice.read_until(|l| l.starts_with("***   /quit "));
    }
    // A private message, someone joining, leaving and renaming, as seen by alice.
    bob.send("PRIVMSG alicia psst");
    bob.expect("OK Sent");
    let mut carol = server.login("carol");
    carol.ask("JOIN #general");
    carol.send("USERNAME caroline");
    carol.send("QUIT");
    carol.read_to_close();
    alice.send("/quit");
    everything.extend(alice.read_to_close());

    let after_greeting: Vec<&String> = everything
        .iter()
        .skip_while(|line| line.starts_with("NOTICE "))
        .collect();
    assert!(after_greeting.len() > 20, "{after_greeting:#?}");
    for line in &after_greeting {
        let first_word = line.split(' ').next().unwrap_or_default();
        assert!(
            !first_word.chars().all(|c| c.is_ascii_uppercase()),
            "chat mode got a protocol line: {line:?}"
        );
    }
    for expected in [
        "*** You joined #general. Here: bob",
        "[private to bob] hi",
        "[private] bob: psst",
        "[error] nobody is not connected (/users lists who is here)",
        "[error] Usage: /msg <user> <text>",
        "*** In #general: alice, bob",
        "*** Rooms: #general",
        "*** You left #general",
        NOT_IN_ROOM,
        "*** Online: alice, bob",
        "[error] Invalid room name: use # and 1-20 of a-z, A-Z, 0-9, - or _ (no accents, no spaces)",
        "*** You joined #lab. Nobody else is here yet.",
        "*** You are now known as alicia",
        "[error] Username taken",
        "[error] Unknown command /dance (try /help)",
        "* carol joined #general",
        "* carol is now known as caroline",
        "* caroline left #general",
        "*** Goodbye!",
    ] {
        assert!(
            after_greeting.iter().any(|line| *line == expected),
            "missing {expected:?} in {after_greeting:#?}"
        );
    }
}

/// A person pastes 30 lines: the first 20 (the burst) reach the room, and
/// without typing anything more they are told, within about a second of the
/// paste, how many were not sent and which (the first and last one).
#[test]
fn a_pasted_burst_is_summed_up_within_a_second_naming_the_dropped_lines() {
    let server = Server::start_chat(&[]);
    let mut alice = server.nick("alice");
    alice.expect("*** You joined #general. Nobody else is here yet.");
    let mut bob = server.nick("bob");
    bob.expect("*** You joined #general. Here: alice");
    alice.expect("* bob joined #general");

    let paste: String = (1..=30).map(|n| format!("pasted line {n}\n")).collect();
    let pasted_at = std::time::Instant::now();
    alice.send_raw(paste.as_bytes());
    alice.expect_next("[error] Slow down (max 10 lines/s)");
    // The burst is about 20 lines: /nick took one token, waiting for bob
    // gave a few back. The summary names exactly the lines that were lost.
    let summary = alice.line();
    let took = pasted_at.elapsed();
    let sent = (1..30)
        .find(|n| {
            summary
                == format!(
                    "[error] Slow down: {} lines were not sent (max 10 lines/s), \
                     from \"pasted line {}\" to \"pasted line 30\"",
                    30 - n,
                    n + 1
                )
        })
        .unwrap_or_else(|| panic!("not the summary of the paste: {summary:?}"));
    assert!((18..=22).contains(&sent), "{summary}");
    assert!(
        took < std::time::Duration::from_millis(1500),
        "the summary came {took:?} after the paste"
    );
    for n in 1..=sent {
        bob.expect_next(&format!("alice: pasted line {n}"));
    }
    bob.assert_nothing_pending("/users", "*** In #general");
}
