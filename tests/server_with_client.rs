//! The whole system end to end: two `step3_chat_client` programs (what a
//! student runs) talking through a real `step4_server`, with a person on a
//! bare TCP connection in chat mode in the same room.
//!
//! The clients are driven through their stdin and stdout, as a person would
//! use them; each gets its own empty settings folder so the machine's real
//! `client.toml` cannot change what the test sees.

mod common;

use common::program::Program;
use common::Server;
use common::TempDir;
use std::path::Path;
use std::process::Command;

/// Starts `step3_chat_client --name <name>` against `server`.
fn chat_client(server: &Server, name: &str, config_home: &Path) -> Program {
    Program::start_with(
        Command::new(common::bin("step3_chat_client"))
            .args(["--port", &server.addr.port().to_string(), "--name", name])
            .env("XDG_CONFIG_HOME", config_home)
            .env_remove("CHATROOM_PASSWORD"),
    )
}

#[test]
fn two_step3_clients_chat_through_the_server() {
    let server = Server::start_chat(&[]);
    let config_home = TempDir::new("server-with-client");

    let mut alice = chat_client(&server, "alice", config_home.path());
    // Seed 000's screen: the greeting's name instructions are hidden and
    // the first join is "Welcome to the chatroom!" (issue 21, item 2).
    let before = alice.lines_until("Welcome to the chatroom!");
    assert!(before.is_empty(), "{before:#?}");

    let mut bob = chat_client(&server, "bob", config_home.path());
    bob.lines_until("Welcome to the chatroom!");
    assert_eq!(bob.line(), "* alice is here");
    assert_eq!(alice.line(), "* bob joined #general");

    // A person on nc, in chat mode, joins the same room.
    let mut carol = server.nick("carol");
    carol.expect_next("*** You joined #general. Here: alice, bob");
    assert_eq!(alice.line(), "* carol joined #general");
    assert_eq!(bob.line(), "* carol joined #general");

    // A room message: everyone sees it, its sender too (the server echoes it).
    alice.type_line("Hello bob!");
    assert_eq!(alice.line(), "alice: Hello bob!");
    assert_eq!(bob.line(), "alice: Hello bob!");
    carol.expect_next("alice: Hello bob!");

    carol.send("hi both");
    assert_eq!(alice.line(), "carol: hi both");
    assert_eq!(bob.line(), "carol: hi both");

    // A private message, and the lists.
    bob.type_line("/msg alice psst");
    assert_eq!(bob.line(), "Sent");
    assert_eq!(alice.line(), "[private] bob: psst");
    alice.type_line("/users");
    assert_eq!(alice.line(), "Users: alice, bob, carol");
    bob.type_line("/rooms");
    assert_eq!(bob.line(), "Rooms: #general");

    // alice leaves with /quit; bob with the end of his input (Ctrl-D).
    alice.type_line("/quit");
    assert_eq!(alice.line(), "Goodbye!");
    assert_eq!(alice.wait_exit().code(), Some(0));
    assert_eq!(bob.line(), "* alice left #general");
    carol.expect_next("* alice left #general");
    bob.close_stdin();
    assert_eq!(bob.wait_exit().code(), Some(0));
    carol.expect_next("* bob left #general");
    assert_eq!(carol.ask("/users"), "*** In #general: carol");
}

#[test]
fn the_step3_client_fences_replayed_history_and_shows_its_time() {
    let config_home = TempDir::new("server-with-client-history");
    let data = config_home.join("data");
    let server = Server::start(
        "step4_server",
        &["--host", "127.0.0.1", "--port", "0", "--data-dir"]
            .into_iter()
            .chain(data.to_str())
            .collect::<Vec<_>>(),
    );
    let mut lee = server.login("lee");
    lee.send("JOIN #general");
    lee.expect("OK Joined #general (0 users)");
    lee.send("MSG said before you came");
    lee.expect("ROOM #general lee said before you came");

    let mut alice = chat_client(&server, "alice", config_home.path());
    alice.lines_until("Welcome to the chatroom!");
    assert_eq!(alice.line(), "* lee is here");
    assert_eq!(alice.line(), "--- recent messages in #general ---");
    let replayed = alice.line();
    let (time, text) = replayed
        .strip_prefix('[')
        .and_then(|rest| rest.split_once("] "))
        .unwrap_or_else(|| panic!("no [time] in {replayed:?}"));
    assert_eq!(text, "lee: said before you came");
    assert!(
        time.len() == 8 && time.chars().filter(|&c| c == ':').count() == 2,
        "{replayed:?}"
    );
    assert_eq!(alice.line(), "--- end of recent messages ---");
    // A live line has no time and comes after the fence.
    lee.expect("JOIN #general alice");
    lee.send("MSG said now");
    assert_eq!(alice.line(), "lee: said now");
}

#[test]
fn a_name_the_real_server_refuses_gets_a_new_prompt() {
    let server = Server::start_chat(&[]);
    let config_home = TempDir::new("server-with-client-renamed");
    let mut alice = chat_client(&server, "alice smith", config_home.path());
    let before = alice.lines_until("Type another name:");
    assert!(
        before.last().is_some_and(|line| line.starts_with("! ")),
        "{before:#?}"
    );
    alice.type_line("alice");
    alice.lines_until("Welcome to the chatroom!");
    alice.type_line("hello");
    assert_eq!(alice.line(), "alice: hello");
    // A rename stays in the client's dialect, so her own lines keep coming
    // back: messages and actions alike.
    alice.type_line("/nick zoe");
    assert_eq!(alice.line(), "* alice is now known as zoe");
    alice.type_line("still me");
    assert_eq!(alice.line(), "zoe: still me");
    alice.type_line("/me waves");
    assert_eq!(alice.line(), "zoe *waves*");
}
