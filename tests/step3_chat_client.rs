//! Step 3, the chat client, driven through its stdin and stdout against a
//! scripted server inside the test (which records the protocol lines the
//! client sends and sends it scripted lines), and against the step 1 echo
//! server.
//!
//! Every run gets its own empty settings folder (XDG_CONFIG_HOME), so the
//! machine's real `client.toml` cannot change what a test sees.

mod common;

use assert_cmd::Command as TestCommand;
use common::program::{closed_port, Program, ScriptedServer};
use common::TempDir;
use common::{Client, Server, TIMEOUT};
use predicates::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Starts the chat client with `args`, settings from `config_home`, and no
/// password in its environment.
fn chat_client(args: &[&str], config_home: &Path) -> Program {
    Program::start_with(
        Command::new(common::bin("step3_chat_client"))
            .args(args)
            .env("XDG_CONFIG_HOME", config_home)
            .env_remove("CHATROOM_PASSWORD"),
    )
}

/// A scripted server and a client connected to it as alice in #general, with
/// the two introduction lines already read.
fn connected_alice() -> (Program, Client, TempDir) {
    let server = ScriptedServer::new();
    let config_home = TempDir::new("step3");
    let client = chat_client(
        &["--port", &server.port(), "--name", "alice"],
        config_home.path(),
    );
    let mut connection = server.accept();
    assert_eq!(connection.line(), "HISTORY TIMED");
    assert_eq!(connection.line(), "USERNAME alice");
    assert_eq!(connection.line(), "JOIN #general");
    (client, connection, config_home)
}

/// Writes `client.toml` into a fresh settings folder; returns the folder and
/// the file's path.
fn settings_with(text: &str) -> (TempDir, PathBuf) {
    let config_home = TempDir::new("step3-config");
    let folder = config_home.join("chatroom");
    std::fs::create_dir_all(&folder).expect("create settings folder");
    let file = folder.join("client.toml");
    std::fs::write(&file, text).expect("write client.toml");
    (config_home, file)
}

#[test]
fn renders_every_kind_of_server_line_for_people() {
    let (mut client, mut connection, _config_home) = connected_alice();
    let script: &[(&str, &[&str])] = &[
        // The greeting's instructions for choosing a name, and answers to
        // what the client sent by itself, are not shown (issue 21, item 2).
        ("NOTICE Welcome to chatroom!", &[]),
        (
            "NOTICE Pick a name: type /nick <name> (people) or USERNAME <name> (programs)",
            &[],
        ),
        ("NOTICE /help lists the commands", &[]),
        ("OK History timed", &[]),
        // The first join is seed 000's welcome; later ones say the room.
        (
            "OK Joined #general (2 users)",
            &["Welcome to the chatroom!"],
        ),
        // The two members already there are listed, not announced as new...
        ("JOIN #general bob", &["* bob is here"]),
        ("JOIN #general alice", &["* alice is here"]),
        // ...but the third JOIN is someone arriving.
        ("JOIN #general carol", &["* carol joined #general"]),
        // Replayed history is fenced and timed: it never looks live.
        (
            "HISTORY BEGIN #general 2",
            &["--- recent messages in #general ---"],
        ),
        (
            "HISTORY #general 2026-12-02T10:02:03.114Z bob from before",
            &["[10:02:03] bob: from before"],
        ),
        (
            "HISTORY #general 2026-12-02T10:05:00.000Z carol  two  spaces",
            &["[10:05:00] carol:  two  spaces"],
        ),
        ("HISTORY END #general", &["--- end of recent messages ---"]),
        ("ROOM #general bob hi there", &["bob: hi there"]),
        ("PRIVMSG bob psst, alice", &["[private] bob: psst, alice"]),
        ("LEAVE #general carol", &["* carol left #general"]),
        (
            "ERROR Unknown command: /dance",
            &["! Unknown command: /dance"],
        ),
        ("USERLIST alice bob", &["Users: alice, bob"]),
        ("ROOMLIST #general #rust", &["Rooms: #general, #rust"]),
        ("ROOMLIST", &["Rooms: none"]),
        (
            "NOTICE The server restarts at noon",
            &["The server restarts at noon"],
        ),
        ("NICK bob robert", &["* bob is now known as robert"]),
        (
            "TOPIC #general Lunch at noon",
            &["* Topic for #general: Lunch at noon"],
        ),
        ("ACTION #general robert waves", &["robert *waves*"]),
        (
            "KICK #general mallory teacher spamming",
            &["* mallory was kicked out by teacher: spamming"],
        ),
        (
            "KICK #general mallory teacher",
            &["* mallory was kicked out by teacher"],
        ),
        ("OK Left #general", &["Left #general"]),
        // The listing ends early when another line comes in between.
        (
            "OK Joined #rust (3 users)",
            &["You joined #rust (3 people here)"],
        ),
        ("JOIN #rust dave", &["* dave is here"]),
        ("ROOM #rust dave hello", &["dave: hello"]),
        ("JOIN #rust erin", &["* erin joined #rust"]),
        // Lines the client does not know are shown as they are.
        (
            "SOMETHING from a newer server",
            &["SOMETHING from a newer server"],
        ),
        // Control characters never reach the terminal.
        (
            "ROOM #general mallory \u{1b}[2J\u{1b}[31mred\u{7}\ttab",
            &["mallory: [2J[31mred tab"],
        ),
        ("NOTICE end of script", &["end of script"]),
    ];
    for (line, _) in script {
        connection.send(line);
    }
    let expected: Vec<&str> = script
        .iter()
        .flat_map(|(_, shown)| shown.iter().copied())
        .collect();
    let mut shown = client.lines_until("end of script");
    shown.push("end of script".into());
    assert_eq!(shown, expected);
}

#[test]
fn maps_every_typed_line_to_a_protocol_line() {
    let (mut client, mut connection, _config_home) = connected_alice();
    let typed_and_sent = [
        ("hello world", "MSG hello world"),
        // A plain line is always a message, even if it looks like a command.
        ("JOIN us for lunch", "MSG JOIN us for lunch"),
        ("/join #rust", "JOIN #rust"),
        ("/leave", "LEAVE"),
        ("/msg bob hi there", "PRIVMSG bob hi there"),
        ("/users", "USERS"),
        ("/rooms", "ROOMS"),
        // A rename stays in the protocol dialect (as typed, `/nick` would
        // switch the connection to chat mode).
        ("/nick robert", "USERNAME robert"),
        // Other /commands go to the server as typed.
        ("/me waves", "/me waves"),
        ("/topic Lunch at noon", "/topic Lunch at noon"),
        ("/kick bob", "/kick bob"),
    ];
    for (typed, sent) in typed_and_sent {
        client.type_line(typed);
        assert_eq!(connection.line(), sent, "typed {typed:?}");
    }
    client.type_line(""); // an empty line sends nothing...
    client.type_line("/quit"); // ...so the next line the server reads is QUIT
    assert_eq!(connection.line(), "QUIT");
    drop(connection);
    assert_eq!(client.wait_exit().code(), Some(0));
    // Nothing was echoed locally: the server, not the client, shows your
    // messages (it sent none here).
    assert_eq!(client.stdout_rest(), Vec::<String>::new());
    assert_eq!(client.stderr_rest(), Vec::<String>::new());
}

#[test]
fn quit_exit_and_end_of_input_send_quit_and_exit_0() {
    for ending in ["quit", "exit", "/quit", "<end of input>"] {
        let (mut client, mut connection, _config_home) = connected_alice();
        if ending == "<end of input>" {
            client.close_stdin();
        } else {
            client.type_line(ending);
        }
        assert_eq!(connection.line(), "QUIT", "after {ending}");
        connection.send("OK Goodbye");
        if ending == "exit" {
            // A server that does not hang up after QUIT: the client leaves
            // anyway, after a short grace period.
            assert_eq!(client.line(), "Goodbye");
            assert_eq!(client.wait_exit().code(), Some(0), "after {ending}");
            drop(connection);
        } else {
            drop(connection);
            assert_eq!(client.wait_exit().code(), Some(0), "after {ending}");
            assert_eq!(client.stdout_rest(), ["Goodbye"], "after {ending}");
        }
        assert_eq!(client.stderr_rest(), Vec::<String>::new(), "after {ending}");
    }
}

#[test]
fn password_from_the_environment_is_sent_first() {
    let server = ScriptedServer::new();
    let config_home = TempDir::new("step3-pass");
    let mut client = Program::start_with(
        Command::new(common::bin("step3_chat_client"))
            .args([
                "--port",
                &server.port(),
                "--name",
                "alice",
                "--room",
                "#lab",
            ])
            .env("XDG_CONFIG_HOME", config_home.path())
            .env("CHATROOM_PASSWORD", "s3cret"),
    );
    let mut connection = server.accept();
    assert_eq!(connection.line(), "PASS s3cret");
    assert_eq!(connection.line(), "HISTORY TIMED");
    assert_eq!(connection.line(), "USERNAME alice");
    assert_eq!(connection.line(), "JOIN #lab");
    client.close_stdin();
    assert_eq!(connection.line(), "QUIT");
}

#[test]
fn server_gone_exits_1_without_waiting_for_input() {
    let (mut client, mut connection, _config_home) = connected_alice();
    connection.send("NOTICE The server is going away");
    assert_eq!(client.line(), "The server is going away");
    drop(connection);
    // stdin stays open: the socket thread must end the program by itself.
    assert_eq!(client.wait_exit().code(), Some(1));
    assert_eq!(
        client.stderr_rest(),
        ["error: the server closed the connection"]
    );
}

#[test]
fn asks_for_a_name_when_none_is_given() {
    let server = ScriptedServer::new();
    let config_home = TempDir::new("step3-name");
    let mut client = chat_client(&["--port", &server.port()], config_home.path());
    client.type_line("");
    client.type_line("carol");
    let mut connection = server.accept();
    assert_eq!(connection.line(), "HISTORY TIMED");
    assert_eq!(connection.line(), "USERNAME carol");
    assert_eq!(connection.line(), "JOIN #general");
    connection.send("NOTICE hello carol");
    // The prompts have no newline, so they share a line with the first output.
    assert_eq!(client.line(), "name: name: hello carol");
}

#[test]
fn a_refused_name_asks_for_another_and_the_next_line_is_that_name() {
    let server = ScriptedServer::new();
    let config_home = TempDir::new("step3-renamed");
    let mut client = chat_client(
        &["--port", &server.port(), "--name", "alice smith"],
        config_home.path(),
    );
    let mut connection = server.accept();
    assert_eq!(connection.line(), "HISTORY TIMED");
    assert_eq!(connection.line(), "USERNAME alice smith");
    assert_eq!(connection.line(), "JOIN #general");
    connection.send("ERROR Usage: USERNAME <name>");
    // The JOIN sent with the refused name is refused too; that is no news.
    connection.send("ERROR Choose a name first: /nick <name> or USERNAME <name>");
    assert_eq!(client.line(), "! Usage: /nick <name>");
    assert_eq!(client.line(), "Type another name:");
    client.type_line("alice");
    assert_eq!(connection.line(), "USERNAME alice");
    assert_eq!(connection.line(), "JOIN #general");
    connection.send("OK Welcome, alice!");
    connection.send("OK Joined #general (0 users)");
    assert_eq!(client.line(), "Welcome to the chatroom!");
    // Named now: what is typed is a message again.
    client.type_line("hi");
    assert_eq!(connection.line(), "MSG hi");
}

#[test]
fn quitting_ends_at_the_goodbye_without_waiting_for_the_hang_up() {
    let (mut client, mut connection, _config_home) = connected_alice();
    client.type_line("/quit");
    assert_eq!(connection.line(), "QUIT");
    let asked = std::time::Instant::now();
    connection.send("OK Goodbye!");
    // The server keeps the connection open: the client leaves anyway, at
    // once, not after its grace period.
    assert_eq!(client.wait_exit().code(), Some(0));
    assert!(
        asked.elapsed() < std::time::Duration::from_millis(1500),
        "took {:?}",
        asked.elapsed()
    );
    assert_eq!(client.stdout_rest(), ["Goodbye!"]);
    drop(connection);
}

#[test]
fn against_the_echo_server_it_shows_the_raw_protocol() {
    let server = Server::start("step1_echo", &["--host", "127.0.0.1", "--port", "0"]);
    let config_home = TempDir::new("step3-echo");
    let port = server.addr.port().to_string();
    let mut client = chat_client(&["--port", &port, "--name", "John"], config_home.path());
    client.type_line("Hi");
    assert_eq!(client.line(), "HISTORY TIMED");
    assert_eq!(client.line(), "USERNAME John");
    assert_eq!(client.line(), "JOIN #general");
    assert_eq!(client.line(), "MSG Hi");
    client.type_line("/join #rust");
    assert_eq!(client.line(), "JOIN #rust");
    client.type_line("/users");
    assert_eq!(client.line(), "USERS");
    // Leaving: the echo server sends our QUIT back, and that is the answer
    // the client waits for, so it exits at once instead of waiting out its
    // grace period (2 s) for a goodbye that an echo server never sends.
    let started = std::time::Instant::now();
    client.type_line("/quit");
    assert_eq!(client.line(), "QUIT");
    assert_eq!(client.wait_exit().code(), Some(0));
    assert!(
        started.elapsed() < std::time::Duration::from_millis(1500),
        "took {:?} to exit after /quit",
        started.elapsed()
    );
}

#[test]
fn settings_file_supplies_the_defaults() {
    let server = ScriptedServer::new();
    let (config_home, _) = settings_with(&format!(
        "# my chat defaults\nhost = \"127.0.0.1\"\nport = {}\nname = \"dora\"\nroom = \"#lab\"\n",
        server.port()
    ));
    let mut client = chat_client(&[], config_home.path());
    let mut connection = server.accept();
    assert_eq!(connection.line(), "HISTORY TIMED");
    assert_eq!(connection.line(), "USERNAME dora");
    assert_eq!(connection.line(), "JOIN #lab");
    client.close_stdin();
    assert_eq!(connection.line(), "QUIT");
}

#[test]
fn flags_win_over_the_settings_file() {
    let server = ScriptedServer::new();
    let (config_home, _) = settings_with(&format!(
        "port = {}\nname = \"dora\"\nroom = \"#lab\"\n",
        closed_port()
    ));
    let mut client = chat_client(
        &["--port", &server.port(), "--name", "erin"],
        config_home.path(),
    );
    let mut connection = server.accept();
    assert_eq!(connection.line(), "HISTORY TIMED");
    assert_eq!(connection.line(), "USERNAME erin");
    assert_eq!(
        connection.line(),
        "JOIN #lab",
        "the file still gives the room"
    );
    client.close_stdin();
    assert_eq!(connection.line(), "QUIT");
}

#[test]
fn a_broken_settings_file_is_an_error_naming_file_and_line() {
    let cases = [
        (
            "host = \"127.0.0.1\"\nport = 7007\nnmae = \"dora\"\n",
            "3: unknown key \"nmae\" (did you mean \"name\"?)",
        ),
        (
            "name = \"dora\"\nport = \"7007\"\n",
            "2: port must be an integer (port = 7007), not a string",
        ),
        (
            "port 7007\n",
            "1: expected key = value, found \"port 7007\"",
        ),
    ];
    for (text, message) in cases {
        let (config_home, file) = settings_with(text);
        TestCommand::cargo_bin("step3_chat_client")
            .expect("binary")
            .args(["--name", "alice"])
            .env("XDG_CONFIG_HOME", config_home.path())
            .timeout(TIMEOUT)
            .assert()
            .code(2)
            .stdout("")
            .stderr(format!("error: {}:{message}\n", file.display()));
    }
}

#[test]
fn connection_refused_is_one_clear_error() {
    let port = closed_port();
    let config_home = TempDir::new("step3-refused");
    TestCommand::cargo_bin("step3_chat_client")
        .expect("binary")
        .args(["--port", &port.to_string(), "--name", "alice"])
        .env("XDG_CONFIG_HOME", config_home.path())
        .timeout(TIMEOUT)
        .assert()
        .code(1)
        .stderr(format!(
            "error: cannot connect to 127.0.0.1:{port}: Connection refused\n"
        ));
}

#[test]
fn help_and_bad_flags() {
    TestCommand::cargo_bin("step3_chat_client")
        .expect("binary")
        .arg("--help")
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("--name NAME")
                .and(predicate::str::contains("(default #general)"))
                .and(predicate::str::contains("client.toml"))
                .and(predicate::str::contains("CHATROOM_PASSWORD")),
        );
    TestCommand::cargo_bin("step3_chat_client")
        .expect("binary")
        .arg("--nmae")
        .timeout(TIMEOUT)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error: unknown flag --nmae"));
}

/// `/help` is answered by the client, listing exactly what it takes in its
/// own syntax (never `USERS` or `PRIVMSG`, which typed here are messages);
/// the server's errors come in that syntax too.
#[test]
fn help_and_errors_are_in_this_clients_syntax() {
    let (mut client, mut connection, _config_home) = connected_alice();
    connection.send("OK Welcome, alice!");
    connection.send("OK Joined #general (0 users)");
    assert_eq!(client.line(), "Welcome to the chatroom!");
    client.type_line("/help");
    // The last row of the command table (the teacher's) ends the list.
    let mut help = client.lines_until("/kickaddr");
    help.push("  /kickaddr".into());
    assert_eq!(
        help[0],
        "Commands (a line without / is a message to your room):"
    );
    for wanted in [
        "  /nick <name>           choose or change your name",
        "  <text>                 say something to your room",
        "  /msg <user> <text>     private message",
        "  /users [page]          who is in your room (or online), a page at a time",
    ] {
        assert!(
            help.iter().any(|line| line == wanted),
            "{wanted:?} in {help:#?}"
        );
    }
    assert!(
        help.contains(&"After /op <password>, for the teacher:".to_string()),
        "{help:#?}"
    );
    for line in help.iter().skip(1).filter(|line| line.starts_with("  ")) {
        let typed = line.trim_start().split(' ').next().unwrap_or_default();
        assert!(
            typed.starts_with('/') || typed == "<text>",
            "a command this client cannot take: {line:?}"
        );
    }
    // Nothing went to the server: the next line it reads is the message.
    client.type_line("USERS");
    assert_eq!(connection.line(), "MSG USERS");

    client.type_line("/nick");
    assert_eq!(connection.line(), "USERNAME");
    connection.send("ERROR Usage: USERNAME <name>");
    assert_eq!(client.line(), "! Usage: /nick <name>");
    connection.send("ERROR A name cannot contain spaces: try USERNAME John_Smith");
    assert_eq!(
        client.line(),
        "! A name cannot contain spaces: try /nick John_Smith"
    );
    connection.send("ERROR Usage: PRIVMSG <user> <text>");
    assert_eq!(client.line(), "! Usage: /msg <user> <text>");
    connection.send("NOTICE 730 more: USERS 2");
    assert_eq!(client.line(), "730 more: /users 2");
    connection.send("ERROR Choose a name first: /nick <name> or USERNAME <name>");
    assert_eq!(client.line(), "! Choose a name first: /nick <name>");
    // Seed 002's `User not found` names nobody; the client knows who.
    client.type_line("/msg ghost are you there");
    assert_eq!(connection.line(), "PRIVMSG ghost are you there");
    connection.send("ERROR User not found");
    assert_eq!(
        client.line(),
        "! ghost is not connected (/users lists who is here)"
    );
}
