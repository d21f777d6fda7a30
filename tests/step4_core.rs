//! Step 4's first reading, `step4_core`, driven as a real program over real
//! TCP: the challenge's protocol line by line, the slow-client policy, the
//! port-in-use error, and the step 3 client chatting through it.
//!
//! Every server binds port 0 and says its address first; every read has a
//! timeout; tests wait for what the server says, never for a while.

mod common;

use assert_cmd::Command as TestCommand;
use common::program::Program;
use common::{Client, Server, TempDir, TIMEOUT};
use predicates::prelude::*;
use std::io::{ErrorKind, Read};
use std::net::TcpListener;
use std::process::Command;

fn start() -> Server {
    Server::start("step4_core", &["--port", "0"])
}

/// A client that has sent `USERNAME name` and read the welcome.
fn user(server: &Server, name: &str) -> Client {
    let mut client = server.connect();
    client.send(&format!("USERNAME {name}"));
    client.expect_next(&format!("OK Welcome, {name}!"));
    client
}

/// Sends `JOIN room`, checks the reply says `OK Joined`, and returns the
/// member lines that follow it (one per member already there).
fn join(client: &mut Client, room: &str) -> Vec<String> {
    client.send(&format!("JOIN {room}"));
    let reply = client.line();
    let count = reply
        .strip_prefix("OK Joined ")
        .and_then(|rest| rest.split(" (").nth(1))
        .and_then(|rest| rest.strip_suffix(" users)"))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or_else(|| panic!("not a join reply: {reply:?}"));
    (0..count).map(|_| client.line()).collect()
}

/// Checks that nothing is waiting for `client`: the answer to `ROOMS` is
/// the very next line. Everything the server did for others before this
/// call is already in this client's queue, so a stray line would show here.
fn nothing_pending(client: &mut Client) {
    client.assert_nothing_pending("ROOMS", "ROOMLIST");
}

#[test]
fn first_log_line_names_the_address() {
    let server = start();
    assert_eq!(server.first_line, format!("Listening on {}", server.addr));
    assert_ne!(server.addr.port(), 0);
}

/// The challenge's example session (its section 3.5), reply for reply,
/// where it is consistent: with no history, bob does not see what alice
/// said before he came, only that she is there.
#[test]
fn two_users_chat_in_a_room() {
    let server = start();
    let mut alice = user(&server, "alice");
    alice.send("JOIN #general");
    alice.expect_next("OK Joined #general (0 users)");
    alice.send("Hello everyone!"); // no command word: a message
    alice.expect_next("ROOM #general alice Hello everyone!");

    let mut bob = user(&server, "bob");
    bob.send("JOIN #general");
    bob.expect_lines(&["OK Joined #general (1 users)", "JOIN #general alice"]);
    alice.expect_next("JOIN #general bob");
    bob.send("MSG Hi alice!");
    bob.expect_next("ROOM #general bob Hi alice!");
    alice.expect_next("ROOM #general bob Hi alice!");

    alice.send("USERS");
    alice.expect_next("USERLIST alice bob");
    alice.send("ROOMS");
    alice.expect_next("ROOMLIST #general");
    alice.send("LEAVE");
    alice.expect_next("OK Left #general");
    bob.expect_next("LEAVE #general alice");
    alice.send("QUIT");
    assert_eq!(alice.read_to_close(), ["OK Goodbye!"]);
    // Nobody got a line twice, or a line meant for someone else.
    nothing_pending(&mut bob);
}

#[test]
fn a_private_message_reaches_only_its_addressee() {
    let server = start();
    let mut alice = user(&server, "alice");
    let mut bob = user(&server, "bob");
    let mut carol = user(&server, "carol");
    join(&mut alice, "#general");
    join(&mut bob, "#general");
    alice.expect_next("JOIN #general bob");
    join(&mut carol, "#general");
    alice.expect_next("JOIN #general carol");
    bob.expect_next("JOIN #general carol");

    alice.send("PRIVMSG Bob Hey, private message!"); // names ignore case
    alice.expect_next("OK Sent");
    bob.expect_next("PRIVMSG alice Hey, private message!");
    alice.send("PRIVMSG nobody hi");
    alice.expect_next("ERROR User not found: USERS lists who is here");
    alice.send("PRIVMSG bob");
    alice.expect_next("ERROR Usage: PRIVMSG <user> <text>");
    for client in [&mut alice, &mut bob, &mut carol] {
        nothing_pending(client);
    }
}

#[test]
fn a_name_comes_first_and_is_taken_once() {
    let server = start();
    let mut alice = user(&server, "alice");
    let mut other = server.connect();
    other.send("JOIN #general");
    other.expect_next("ERROR Choose a name first: USERNAME <name>");
    other.send("USERNAME ALICE");
    other.expect_next("ERROR Username taken: choose another");
    other.send("USERNAME al ice");
    other.expect_next("ERROR Usage: USERNAME <name>");
    other.send("USERNAME 9lives");
    other.expect_next("ERROR Invalid username: 1-20 letters, digits, - or _, letter first");
    other.send("USERNAME zoë");
    other.expect_next("OK Welcome, zoë!");
    other.send("USERNAME zed");
    other.expect_next("ERROR You have a name: to change it, QUIT and connect again");
    nothing_pending(&mut alice);
}

#[test]
fn leaving_and_quitting_are_announced_and_free_the_name() {
    let server = start();
    let mut alice = user(&server, "alice");
    let mut bob = user(&server, "bob");
    let mut carol = user(&server, "carol");
    join(&mut alice, "#general");
    assert_eq!(join(&mut bob, "general"), ["JOIN #general alice"]); // # added
    alice.expect_next("JOIN #general bob");
    join(&mut carol, "#GENERAL"); // room names ignore case
    alice.expect_next("JOIN #general carol");
    bob.expect_next("JOIN #general carol");

    bob.send("LEAVE");
    bob.expect_next("OK Left #general");
    alice.expect_next("LEAVE #general bob");
    carol.expect_next("LEAVE #general bob");
    bob.send("LEAVE");
    bob.expect_next("ERROR Not in a room: JOIN <room> first");
    bob.send("MSG anyone?");
    bob.expect_next("ERROR Not in a room: JOIN <room> first");

    // Joining another room leaves the old one.
    carol.send("JOIN #other");
    carol.expect_next("OK Joined #other (0 users)");
    alice.expect_next("LEAVE #general carol");
    carol.send("JOIN #Other");
    carol.expect_next("ERROR Already in #other");
    // QUIT: a goodbye, the end of the stream, and the room is told.
    join(&mut bob, "#other");
    carol.expect_next("JOIN #other bob");
    carol.send("QUIT");
    assert_eq!(carol.read_to_close(), ["OK Goodbye!"]);
    bob.expect_next("LEAVE #other carol");

    // A client that just goes away is announced too, and its name is free
    // again at once. #other went with its last member.
    assert_eq!(join(&mut bob, "#general"), ["JOIN #general alice"]);
    alice.expect_next("JOIN #general bob");
    drop(bob);
    alice.expect_next("LEAVE #general bob");
    let mut bob = user(&server, "bob");
    bob.send("ROOMS");
    bob.expect_next("ROOMLIST #general");
    nothing_pending(&mut alice);
}

#[test]
fn a_line_too_long_is_refused_and_the_connection_goes_on() {
    let server = start();
    let mut alice = user(&server, "alice");
    let mut bob = user(&server, "bob");
    join(&mut alice, "#r");
    join(&mut bob, "#r");
    alice.expect_next("JOIN #r bob");
    // 1,024 bytes without the "\r\n" is the most a line may be...
    let longest = format!("MSG {}", "a".repeat(1020));
    let said = format!("ROOM #r alice {}", "a".repeat(1020));
    alice.send(&longest);
    alice.expect_next(&said);
    bob.expect_next(&said);
    // ...one more is refused, and so is a line ten times that.
    for long in [format!("{longest}b"), "c".repeat(10_240)] {
        alice.send(&long);
        alice.expect_next("ERROR Line too long (max 1024 bytes)");
    }
    alice.send("MSG still here");
    alice.expect_next("ROOM #r alice still here");
    bob.expect_next("ROOM #r alice still here");
}

/// The slow-client policy: bob never reads, so his queue fills up and he is
/// cut off; alice and carol, who read, get every message, before and after.
#[test]
fn a_client_that_never_reads_is_cut_off_and_nobody_else_misses_a_line() {
    let mut server = start();
    let mut alice = user(&server, "alice");
    let mut carol = user(&server, "carol");
    join(&mut alice, "#busy");
    join(&mut carol, "#busy");
    alice.expect_next("JOIN #busy carol");
    let mut bob = server.connect();
    bob.send("USERNAME bob");
    bob.send("JOIN #busy");
    alice.expect_next("JOIN #busy bob");
    carol.expect_next("JOIN #busy bob");

    // Alice talks in rounds; after each, she and carol read what came, so
    // neither is ever more than a round behind. Bob reads nothing.
    const ROUND: usize = 50;
    const MOST: usize = 40_000; // far more than bob's queue and socket hold
    let padding = "x".repeat(1000);
    let text = |i: usize| format!("{i:06} {padding}");
    let mut readers = [(alice, 0, false), (carol, 0, false)];
    let mut sent = 0;
    let mut rounds_after_the_cut = 0;
    while rounds_after_the_cut < 3 {
        assert!(sent < MOST, "bob was not cut off after {sent} messages");
        let round: String = (sent..sent + ROUND)
            .map(|i| format!("MSG {}\r\n", text(i)))
            .collect();
        readers[0].0.send_raw(round.as_bytes());
        sent += ROUND;
        for (client, received, saw_bob_go) in readers.iter_mut() {
            while *received < sent {
                let line = client.line();
                if line == "LEAVE #busy bob" {
                    *saw_bob_go = true;
                    continue;
                }
                assert_eq!(line, format!("ROOM #busy alice {}", text(*received)));
                *received += 1;
            }
        }
        if readers.iter().all(|(_, _, saw_bob_go)| *saw_bob_go) {
            rounds_after_the_cut += 1;
        }
    }
    server.wait_log("Connection 3 is too slow (1024 lines waiting): hanging up");
    server.wait_log("Connection 3 (bob) closed");
    for (client, _, _) in readers.iter_mut() {
        nothing_pending(client);
    }

    // Bob's end: what the kernel still held for him, then the end of the
    // stream (or a reset), without the messages sent after his cut-off.
    let mut rest = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        match bob.stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => rest.extend_from_slice(&chunk[..n]),
            Err(error) if error.kind() == ErrorKind::ConnectionReset => break,
            Err(error) => panic!("bob's connection did not end: {error}"),
        }
    }
    let rest = String::from_utf8_lossy(&rest);
    assert!(rest.starts_with("OK Welcome, bob!\r\nOK Joined #busy (2 users)\r\n"));
    assert!(
        !rest.contains(&text(sent - 1)),
        "bob got a line after his cut-off"
    );
}

#[test]
fn a_port_in_use_is_one_clear_error() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("address").port().to_string();
    TestCommand::new(common::bin("step4_core"))
        .args(["--port", &port])
        .timeout(TIMEOUT)
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            predicate::str::starts_with(format!("error: cannot listen on 127.0.0.1:{port}: "))
                .and(predicate::str::contains("in use"))
                .and(predicate::str::contains("--port 0"))
                .and(predicate::str::ends_with(")\n")),
        );
}

#[test]
fn bad_arguments_exit_2_and_help_exits_0() {
    let run = |args: &[&str]| {
        TestCommand::new(common::bin("step4_core"))
            .args(args)
            .timeout(TIMEOUT)
            .assert()
    };
    run(&["--port", "seventy"])
        .code(2)
        .stderr(predicate::str::contains("usage: step4_core [--port PORT]"));
    run(&["--host", "0.0.0.0"])
        .code(2)
        .stderr(predicate::str::contains("usage: step4_core [--port PORT]"));
    run(&["--help"])
        .code(0)
        .stdout(predicate::str::contains("usage: step4_core [--port PORT]"));
}

/// The step 3 client, unchanged, as a person would use it, with bob on a
/// raw connection on the other side.
#[test]
fn the_step3_client_chats_through_it() {
    let server = start();
    let mut bob = user(&server, "bob");
    bob.send("JOIN #general");
    bob.expect_next("OK Joined #general (0 users)");

    let config_home = TempDir::new("step4-core");
    let mut alice = Program::start_with(
        Command::new(common::bin("step3_chat_client"))
            .args(["--port", &server.addr.port().to_string(), "--name", "bob"])
            .env("XDG_CONFIG_HOME", config_home.path())
            .env_remove("CHATROOM_PASSWORD"),
    );
    // The name is taken: the client asks for another.
    let before = alice.lines_until("Type another name:");
    assert_eq!(before, ["! Username taken: choose another"]);
    alice.type_line("alice");
    alice.lines_until("Welcome to the chatroom!");
    assert_eq!(alice.line(), "* bob is here");
    bob.expect_next("JOIN #general alice");

    bob.send("MSG hi alice");
    bob.expect_next("ROOM #general bob hi alice");
    assert_eq!(alice.line(), "bob: hi alice");
    alice.type_line("hello bob");
    bob.expect_next("ROOM #general alice hello bob");
    assert_eq!(alice.line(), "alice: hello bob");
    alice.type_line("/msg bob psst");
    bob.expect_next("PRIVMSG alice psst");
    assert_eq!(alice.line(), "Sent");
    alice.type_line("/users");
    assert_eq!(alice.line(), "Users: alice, bob");

    alice.type_line("/quit");
    assert_eq!(alice.wait_exit().code(), Some(0));
    assert_eq!(alice.stdout_rest(), ["Goodbye!"]);
    bob.expect_next("LEAVE #general alice");
    nothing_pending(&mut bob);
}
