//! Issue #5, running a class: every rule a teacher relies on, checked against
//! the real `step4_server` over real TCP.
//!
//! - The door password (settings file `password`, or `CHATROOM_PASSWORD`):
//!   announced in the greeting, required before a name, three wrong tries
//!   close the connection, never written to the log or the history.
//! - The limits on strangers: `--register-timeout-secs`, `--max-per-ip`.
//! - The operator (teacher): `CHATROOM_ADMIN_PASSWORD`, or a password made up
//!   at start and printed once on stdout; wrong tries are slowed down; `KICK`,
//!   `MUTE`/`UNMUTE`, `ANNOUNCE` and `TOPIC` work for operators only, and each
//!   is logged with who did what. `/me` in both dialects.
//! - What a newcomer meets: a browser gets a page and no chat; a silent `nc`
//!   gets the greeting after a quarter of a second; the banner lists `nc`
//!   commands that other machines can use.
//! - Afterwards: `transcript` and `attendance` on the history file that a real
//!   session wrote.
//!
//! Every server runs inside its own temporary directory (its current
//! directory and data directory), with the password variables removed unless a
//! test sets them, so nothing around the test run can change what it sees.

mod common;

use common::{chat_user, protocol_user, untimed, Client, Server, TempDir};
use std::process::Command;
use std::time::{Duration, Instant};

/// `step4_server` on a free port of 127.0.0.1 inside `dir`, history in
/// `dir/data`, without inherited password variables.
fn server_command(dir: &TempDir, args: &[&str]) -> Command {
    let mut command = Command::new(common::bin("step4_server"));
    command
        .args(["--host", "127.0.0.1", "--port", "0", "--data-dir"])
        .arg(dir.path().join("data"))
        .args(args)
        .current_dir(dir.path())
        .env_remove("CHATROOM_PASSWORD")
        .env_remove("CHATROOM_ADMIN_PASSWORD");
    command
}

/// A server with the operator password `teach`.
fn start(dir: &TempDir, args: &[&str]) -> Server {
    Server::start_with(server_command(dir, args).env("CHATROOM_ADMIN_PASSWORD", "teach"))
}

/// A protocol-mode operator called `name`.
fn operator(server: &Server, name: &str) -> Client {
    let mut client = protocol_user(server, name);
    client.send("OPER teach");
    client.expect("OK You are an operator");
    client
}

/// Joins `room` in protocol mode and reads the server's answer: `OK Joined
/// <room> (<n> users)` and the n `JOIN` lines naming who is there.
fn join(client: &mut Client, room: &str) {
    client.send(&format!("JOIN {room}"));
    let ok = client.line();
    let members: usize = ok
        .strip_prefix(&format!("OK Joined {room} ("))
        .and_then(|rest| rest.strip_suffix(" users)"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not the answer to JOIN {room}: {ok:?}"));
    for _ in 0..members {
        let line = client.line();
        assert!(line.starts_with(&format!("JOIN {room} ")), "{line}");
    }
}

/// A person (chat mode) who has arrived in #general; returns once the line
/// saying so was read.
fn person(server: &Server, name: &str) -> Client {
    let mut client = chat_user(server, name);
    client.read_until(|line| line.starts_with("*** You joined #general"));
    client
}

/// The greeting every connection gets first (no password, default motd).
const GREETING: [&str; 3] = [
    "NOTICE Welcome to chatroom!",
    "NOTICE Pick a name: type /nick <name> (people) or USERNAME <name> (programs)",
    "NOTICE /help lists the commands",
];

/// Stops the server with SIGTERM and returns its whole log.
fn stop(server: &mut Server) -> Vec<String> {
    server.signal("TERM");
    assert!(server.wait_exit().success(), "SIGTERM should exit 0");
    server.whole_log()
}

// ---- The door password -------------------------------------------------

#[test]
fn password_from_the_environment_guards_the_door_and_is_never_logged() {
    let dir = TempDir::new("password-env");
    let mut server = Server::start_with(
        server_command(&dir, &[])
            .env("CHATROOM_PASSWORD", "door-Secret-42")
            .env("CHATROOM_ADMIN_PASSWORD", "admin-Secret-77"),
    );
    server.wait_stdout("This server has a password: students type /pass <password> first.");

    let mut alice = server.connect();
    alice.send("USERNAME alice");
    assert_eq!(
        alice.expect("ERROR Password required: /pass <password> or PASS <password>"),
        [
            "NOTICE Welcome to chatroom!",
            "NOTICE This server needs a password first: /pass <password> (or PASS <password>)",
            "NOTICE Pick a name: type /nick <name> (people) or USERNAME <name> (programs)",
            "NOTICE /help lists the commands",
        ]
    );
    alice.send("PASS guess-Wrong-1");
    assert_eq!(alice.line(), "ERROR Wrong password");
    alice.send("PASS door-Secret-42");
    assert_eq!(alice.line(), "OK Password accepted");
    alice.send("USERNAME alice");
    assert_eq!(alice.line(), "OK Welcome, alice!");
    join(&mut alice, "#general");
    alice.send("OPER admin-Wrong-2");
    assert_eq!(alice.line(), "ERROR Wrong password");
    alice.send("OPER admin-Secret-77");
    assert_eq!(alice.line(), "OK You are an operator");
    alice.send("the password is hidden");
    assert_eq!(alice.line(), "ROOM #general alice the password is hidden");

    // A person on nc uses /pass: even before registering, a /command gets
    // its answer in words (the dialect of the latest line).
    let mut bob = server.connect();
    bob.send("/pass door-Secret-42");
    bob.expect("*** Password accepted. Now pick a name: /nick <name>");
    bob.send("/nick bob");
    assert!(bob.line().starts_with("*** Welcome, bob!"));

    let log = stop(&mut server).join("\n");
    let history = std::fs::read_to_string(dir.path().join("data/history.tsv")).expect("history");
    let stdout = server.stdout_so_far().join("\n");
    for secret in [
        "door-Secret-42",
        "guess-Wrong-1",
        "admin-Secret-77",
        "admin-Wrong-2",
    ] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
        assert!(!history.contains(secret), "{secret} in the history");
        assert!(!stdout.contains(secret), "{secret} on stdout:\n{stdout}");
    }
    assert!(log.contains("Wrong server password from 127.0.0.1: 1 tries"));
    assert!(log.contains("Wrong operator password from 127.0.0.1: 1 tries"));
    assert!(log.contains("(latest: alice (127.0.0.1:"));
}

#[test]
fn a_chatroom_toml_found_in_the_current_directory_is_logged() {
    let dir = TempDir::new("cwd-settings");
    std::fs::write(
        dir.path().join("chatroom.toml"),
        "[chat]\nmotd = \"Hi 3B\"\n",
    )
    .expect("write");
    let mut server = Server::start_with(
        Command::new(common::bin("step4_server"))
            .args(["--host", "127.0.0.1", "--port", "0", "--no-history"])
            .current_dir(dir.path())
            .env_remove("CHATROOM_PASSWORD"),
    );
    // Found without --config, so the teacher may not know it was read: the
    // log says which file it was.
    let named = server.wait_log("Settings file:");
    assert!(named.ends_with("/chatroom.toml"), "{named}");
    let mut lee = server.connect();
    lee.expect("NOTICE Hi 3B");
}

#[test]
fn password_from_the_settings_file_and_three_wrong_tries_close() {
    let dir = TempDir::new("password-file");
    let config = dir.path().join("class.toml");
    std::fs::write(&config, "[chat]\npassword = \"from-the-file\"\n").expect("write");
    let mut server = start(&dir, &["--config", &config.display().to_string()]);
    // The log names the file that was read, right after the address line.
    let named = server.wait_log("Settings file:");
    assert!(named.ends_with("class.toml"), "{named}");

    let mut eve = server.connect();
    eve.send("/nick eve");
    eve.expect("[error] Password required: /pass <password> or PASS <password>");
    for _ in 0..3 {
        eve.send("PASS nope");
    }
    assert_eq!(
        eve.read_to_close(),
        [
            "ERROR Wrong password",
            "ERROR Wrong password",
            "ERROR Wrong password"
        ]
    );
    server.wait_log("Disconnected 127.0.0.1:");

    let mut ann = server.connect();
    ann.send("PASS from-the-file");
    ann.expect("OK Password accepted");
    ann.send("USERNAME ann");
    assert_eq!(ann.line(), "OK Welcome, ann!");
    let log = stop(&mut server).join("\n");
    assert!(!log.contains("from-the-file"), "{log}");
    // Three wrong tries, one log line (wrong tries are logged once a minute).
    let wrong: Vec<_> = log
        .lines()
        .filter(|l| l.contains("Wrong server password"))
        .collect();
    assert_eq!(wrong.len(), 1, "{wrong:?}");
    assert!(log.contains("too many wrong passwords"));
}

// ---- Limits on strangers -------------------------------------------------

#[test]
fn registration_timeout_closes_silent_connections_only() {
    let dir = TempDir::new("register-timeout");
    let mut server = start(&dir, &["--register-timeout-secs", "1"]);
    let mut alice = protocol_user(&server, "alice");
    join(&mut alice, "#general");
    let started = Instant::now();
    let mut silent = server.connect();
    let mut got = silent.read_to_close();
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(got.pop().as_deref(), Some("ERROR Registration timeout"));
    assert_eq!(got, GREETING);
    server.wait_log("registration timeout");

    // Registered well before the deadline: not affected, even after it.
    alice.send("still here");
    assert_eq!(alice.line(), "ROOM #general alice still here");
}

#[test]
fn max_per_ip_turns_away_the_third_connection() {
    let dir = TempDir::new("max-per-ip");
    let mut server = start(&dir, &["--max-per-ip", "2"]);
    let first = protocol_user(&server, "one");
    let _second = protocol_user(&server, "two");
    let mut third = server.connect();
    assert_eq!(
        third.read_to_close(),
        ["ERROR Too many connections from your address"]
    );
    server.wait_log("Refused connection from 127.0.0.1:");

    // A place frees up when someone leaves.
    drop(first);
    server.wait_log("Disconnected one");
    let _again = protocol_user(&server, "three");
}

// ---- The operator --------------------------------------------------------

#[test]
fn generated_operator_password_is_printed_once_on_stdout_and_works() {
    let dir = TempDir::new("oper-generated");
    let mut server = Server::start_with(&mut server_command(&dir, &[]));
    let line = server.wait_stdout("Operator password for this run: ");
    let password = line
        .split("Operator password for this run: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a password after the colon")
        .to_string();
    assert!(password.len() >= 12, "weak password {password:?}");
    assert!(line.contains(&format!("(type /op {password} to get teacher controls)")));

    let mut teacher = chat_user(&server, "lee");
    teacher.send("/op wrong");
    teacher.expect("[error] Wrong password");
    teacher.send(&format!("/op {password}"));
    teacher.expect("*** You are an operator now. /help lists your commands.");
    server.wait_log("lee (127.0.0.1:");

    let log = stop(&mut server).join("\n");
    assert!(
        !log.contains(&password),
        "operator password in the log:\n{log}"
    );
    let stdout = server.stdout_so_far();
    assert_eq!(
        stdout.iter().filter(|l| l.contains(&password)).count(),
        1,
        "printed once: {stdout:#?}"
    );
}

#[test]
fn admin_password_from_the_environment_is_not_printed() {
    let dir = TempDir::new("oper-env");
    let mut server = start(&dir, &[]);
    let _teacher = operator(&server, "lee");
    server.wait_log("lee (127.0.0.1:");
    let log = stop(&mut server);
    assert!(log.iter().any(|l| l.contains("is now an operator")));
    let stdout = server.stdout_so_far().join("\n");
    assert!(!stdout.contains("Operator password"), "{stdout}");
    assert!(stdout.contains("In a terminal, students connect with:"));
}

#[test]
fn wrong_operator_passwords_lock_the_address_out_without_waiting() {
    let dir = TempDir::new("oper-wrong");
    let mut server = start(&dir, &[]);
    let mut mallory = protocol_user(&server, "mallory");
    // Nothing sleeps: the second line is answered at once.
    let started = Instant::now();
    mallory.send_raw(b"OPER guess\r\nOPER teach\r\n");
    assert_eq!(mallory.line(), "ERROR Wrong password");
    assert_eq!(mallory.line(), "OK You are an operator");
    assert!(started.elapsed() < Duration::from_millis(900));
    server.wait_log("Wrong operator password from 127.0.0.1: 1 tries");
    // Three wrong tries are free; the fourth locks the address, and from
    // then on not even the right password is checked.
    let mut eve = protocol_user(&server, "eve");
    for _ in 0..4 {
        eve.send("OPER guess");
        assert_eq!(eve.line(), "ERROR Wrong password");
    }
    eve.send("OPER teach");
    assert_eq!(
        eve.line(),
        "ERROR Too many wrong passwords from your address: try again in 5 s"
    );
}

/// The cast of the operator tests, all in `#general`: an operator
/// (`teacher`, protocol mode), a student program (`bob`, protocol mode) and
/// a student person (`carol`, chat mode, who joined last).
fn class_in_general(server: &Server) -> (Client, Client, Client) {
    let mut teacher = operator(server, "lee");
    join(&mut teacher, "#general");
    let mut bob = protocol_user(server, "bob");
    join(&mut bob, "#general");
    let carol = person(server, "carol");
    teacher.expect("JOIN #general carol");
    bob.expect("JOIN #general carol");
    (teacher, bob, carol)
}

#[test]
fn kick_disconnects_with_a_reason_and_tells_the_room() {
    let dir = TempDir::new("kick");
    let mut server = start(&dir, &[]);
    let (mut teacher, mut bob, mut carol) = class_in_general(&server);

    bob.send("KICK carol");
    assert_eq!(bob.line(), "ERROR Not an operator");
    carol.send("/kick bob");
    carol.expect("[error] Not an operator");

    teacher.send("KICK bob spamming the room");
    assert_eq!(
        bob.read_to_close(),
        ["NOTICE You were kicked by lee: spamming the room"]
    );
    assert_eq!(teacher.line(), "KICK #general bob lee spamming the room");
    assert_eq!(teacher.line(), "OK Kicked bob");
    carol.expect("* bob was kicked by lee: spamming the room");
    server.wait_log("lee kicked bob (spamming the room)");

    // A kick without a reason; the room is told in both dialects.
    let mut dan = protocol_user(&server, "dan");
    join(&mut dan, "#general");
    teacher.expect("JOIN #general dan");
    teacher.send("/kick dan");
    assert_eq!(dan.read_to_close(), ["NOTICE You were kicked by lee"]);
    assert_eq!(teacher.line(), "KICK #general dan lee");
    carol.expect("* dan was kicked by lee");
    server.wait_log("lee kicked dan");

    // The transcript shows each kick as a kick, with its reason, not as a
    // plain `* bob left`.
    stop(&mut server);
    let output = Command::new(common::bin("step4_server"))
        .args(["transcript", "--room", "#general", "--data-dir"])
        .arg(dir.path().join("data"))
        .output()
        .expect("run step4_server transcript");
    assert!(output.status.success(), "{output:?}");
    let transcript = String::from_utf8_lossy(&output.stdout);
    let kicks: Vec<&str> = transcript
        .lines()
        .filter_map(|line| line.split_once(" #general * ").map(|(_, what)| what))
        .filter(|what| what.starts_with("bob ") || what.starts_with("dan "))
        .collect();
    assert_eq!(
        kicks,
        [
            "bob joined",
            "bob was kicked by lee: spamming the room",
            "dan joined",
            "dan was kicked by lee",
        ],
        "{transcript}"
    );
}

#[test]
fn mute_and_unmute_say_when_they_change_nothing_or_cannot_hold_anyone() {
    let dir = TempDir::new("mute-words");
    let server = start(&dir, &[]);
    let (mut teacher, mut bob, _carol) = class_in_general(&server);
    // Not muted: unmuting says so, and bob hears nothing. (The teacher is
    // a program here, so the slash forms answer in the protocol too.)
    teacher.send("UNMUTE bob");
    assert_eq!(teacher.line(), "ERROR bob was not muted");
    teacher.send("MUTE bob");
    assert_eq!(teacher.line(), "OK Muted bob");
    assert_eq!(bob.line(), "NOTICE You were muted by lee");
    teacher.send("/mute Bob");
    assert_eq!(teacher.line(), "ERROR bob is already muted");
    // A name nobody online has: a mute holds a person, so there is nobody
    // to hold (and holding the name would mute whoever takes it next).
    teacher.send("MUTE ghost");
    assert_eq!(
        teacher.line(),
        "ERROR ghost is not online; a mute holds a person, so mute them when they are here"
    );
    teacher.send("/unmute ghost");
    assert_eq!(
        teacher.line(),
        "ERROR ghost is not online; a mute holds a person, so unmute them when they are here"
    );
    // Bob, who is online, is still muted; unmuting him works once.
    bob.send("still here?");
    assert_eq!(bob.line(), "ERROR You are muted");
    teacher.send("UNMUTE bob");
    assert_eq!(teacher.line(), "OK Unmuted bob");
    assert_eq!(bob.line(), "NOTICE You were unmuted by lee");
    teacher.send("UNMUTE bob");
    assert_eq!(teacher.line(), "ERROR bob was not muted");
    // None of the refusals reached bob.
    bob.assert_nothing_pending("ROOMS", "ROOMLIST");
}

#[test]
fn muted_users_reach_nobody_but_operators() {
    let dir = TempDir::new("mute");
    let mut server = start(&dir, &[]);
    let (mut teacher, mut bob, mut carol) = class_in_general(&server);

    carol.send("/mute bob");
    carol.expect("[error] Not an operator");
    teacher.send("MUTE bob");
    assert_eq!(bob.line(), "NOTICE You were muted by lee");
    assert_eq!(teacher.line(), "OK Muted bob");
    server.wait_log("lee muted bob");

    bob.send("can anyone hear me");
    assert_eq!(bob.line(), "ERROR You are muted");
    bob.send("ACTION shouts");
    assert_eq!(bob.line(), "ERROR You are muted");
    bob.send("PRIVMSG carol psst");
    assert_eq!(bob.line(), "ERROR You are muted");
    bob.send("PRIVMSG lee may I speak?");
    assert_eq!(bob.line(), "OK Sent");
    teacher.expect("PRIVMSG bob may I speak?");
    // Nothing of bob's reached carol: her next line is the teacher's.
    teacher.send("sync");
    assert_eq!(carol.line(), "lee (teacher): sync");

    // Muting sticks to the person (their address), so reconnecting does
    // not help; their leaving and coming back reach operators only.
    drop(bob);
    teacher.expect("LEAVE #general bob");
    let mut bob = protocol_user(&server, "bob");
    bob.timed_history();
    join(&mut bob, "#general");
    // The replay holds the room's only stored message; bob's were not stored.
    assert_eq!(bob.line(), "HISTORY BEGIN #general 1");
    assert_eq!(untimed(&bob.line()), "HISTORY #general <time> lee sync");
    assert_eq!(bob.line(), "HISTORY END #general");
    bob.send("back again");
    assert_eq!(bob.line(), "ERROR You are muted");

    bob.send("UNMUTE bob");
    assert_eq!(bob.line(), "ERROR Not an operator");
    teacher.send("/unmute bob");
    assert_eq!(bob.line(), "NOTICE You were unmuted by lee");
    teacher.expect("OK Unmuted bob");
    server.wait_log("lee unmuted bob");
    bob.send("thanks");
    assert_eq!(bob.line(), "ROOM #general bob thanks");
    // Between "sync" and this, carol saw nothing of bob: not even his
    // leaving and coming back, which only operators see while he is muted.
    assert_eq!(carol.expect("bob: thanks"), Vec::<String>::new());

    let history = std::fs::read_to_string(dir.path().join("data/history.tsv")).expect("history");
    for muted in ["can anyone hear me", "psst", "back again", "shouts"] {
        assert!(!history.contains(muted), "muted text stored: {muted}");
    }
    // time, pm, bob's session, @lee, bob, the text, the record's check.
    assert!(history
        .lines()
        .any(|l| l.contains("\tpm\t") && l.contains("\t@lee\tbob\tmay I speak?\t")));
}

#[test]
fn announce_reaches_everyone_in_every_room_and_in_none() {
    let dir = TempDir::new("announce");
    let mut server = start(&dir, &[]);
    let mut teacher = operator(&server, "lee");
    let mut nowhere = protocol_user(&server, "nowhere");
    let mut lab = protocol_user(&server, "lab");
    join(&mut lab, "#lab");
    let mut chatter = person(&server, "carol");

    nowhere.send("ANNOUNCE hello");
    assert_eq!(nowhere.line(), "ERROR Not an operator");
    teacher.send("ANNOUNCE Break until 10:15");
    for client in [&mut teacher, &mut nowhere, &mut lab] {
        assert_eq!(client.line(), "NOTICE [announcement] Break until 10:15");
    }
    assert_eq!(chatter.line(), "*** Announcement: Break until 10:15");
    server.wait_log("lee announced to everyone");
}

#[test]
fn topic_is_set_by_operators_shown_to_anyone_and_sent_on_join() {
    let dir = TempDir::new("topic");
    let mut server = start(&dir, &[]);
    let (mut teacher, mut bob, mut carol) = class_in_general(&server);

    bob.send("TOPIC");
    assert_eq!(bob.line(), "TOPIC #general");
    carol.send("/topic");
    carol.expect("*** #general has no topic");
    bob.send("TOPIC my topic");
    assert_eq!(bob.line(), "ERROR Not an operator");

    teacher.send("TOPIC Week 3: sockets");
    assert_eq!(teacher.line(), "TOPIC #general Week 3: sockets");
    assert_eq!(bob.line(), "TOPIC #general Week 3: sockets");
    assert_eq!(
        carol.line(),
        "* lee set the topic of #general: Week 3: sockets"
    );
    server.wait_log("lee set the topic of #general");

    bob.send("TOPIC");
    assert_eq!(bob.line(), "TOPIC #general Week 3: sockets");
    carol.send("/topic");
    assert_eq!(carol.line(), "*** Topic of #general: Week 3: sockets");

    // A newcomer gets it right after the members, before any history.
    teacher.send("before you came");
    // Stored (and so replayed, not sent live) before dave arrives.
    teacher.expect("ROOM #general lee before you came");
    let mut dave = protocol_user(&server, "dave");
    dave.timed_history();
    dave.send("JOIN #general");
    assert_eq!(
        (0..8).map(|_| untimed(&dave.line())).collect::<Vec<_>>(),
        [
            "OK Joined #general (3 users)",
            "JOIN #general lee",
            "JOIN #general bob",
            "JOIN #general carol",
            "TOPIC #general Week 3: sockets",
            "HISTORY BEGIN #general 1",
            "HISTORY #general <time> lee before you came",
            "HISTORY END #general",
        ]
    );
    let mut erin = person(&server, "erin");
    assert_eq!(erin.line(), "*** Topic of #general: Week 3: sockets");
}

#[test]
fn me_is_an_action_in_both_dialects() {
    let dir = TempDir::new("action");
    let server = start(&dir, &[]);
    let mut bob = protocol_user(&server, "bob");
    join(&mut bob, "#general");
    let mut alice = person(&server, "alice");
    bob.expect("JOIN #general alice");

    alice.send("/me waves");
    assert_eq!(bob.line(), "ACTION #general alice waves");
    bob.send("ACTION waves back");
    // A program gets its own action back, like its messages; a person
    // already sees what they typed.
    assert_eq!(bob.line(), "ACTION #general bob waves back");
    assert_eq!(alice.line(), "bob *waves back*");
    bob.send("/me nods");
    assert_eq!(bob.line(), "ACTION #general bob nods");
    assert_eq!(alice.line(), "bob *nods*");
}

// ---- What a newcomer meets ---------------------------------------------

#[test]
fn a_web_browser_gets_a_page_and_no_chat() {
    let dir = TempDir::new("browser");
    let mut server = start(&dir, &[]);
    let mut browser = server.connect();
    browser.send_raw(b"GET / HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
    let page = browser.read_to_close();
    assert_eq!(page[0], "HTTP/1.1 200 OK");
    assert!(page.contains(&"Content-Type: text/html; charset=utf-8".to_string()));
    assert!(page.iter().all(|line| !line.starts_with("NOTICE")));
    server.wait_log("Answered a web browser at 127.0.0.1:");
    // The plain-text help, linked from the page, has the commands.
    let mut browser = server.connect();
    browser.send_raw(b"GET /help.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    let page = browser.read_to_close();
    assert_eq!(page[0], "HTTP/1.1 200 OK");
    assert!(page.contains(&"Content-Type: text/plain; charset=utf-8".to_string()));
    assert!(page.contains(&"Connection: close".to_string()));
    let port = server.addr.port();
    assert!(
        page.contains(&format!("    nc 127.0.0.1 {port}")),
        "{page:#?}"
    );
    assert!(page.iter().all(|line| !line.starts_with("NOTICE")));
    server.wait_log("Answered a web browser at 127.0.0.1:");
}

#[test]
fn a_silent_connection_is_greeted_after_a_quarter_second() {
    let dir = TempDir::new("greeting");
    let server = start(&dir, &[]);
    let started = Instant::now();
    let mut quiet = server.connect();
    let first = quiet.line();
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "greeted after {:?}",
        started.elapsed()
    );
    assert_eq!([first, quiet.line(), quiet.line()], GREETING);
    quiet.send("/nick quiet");
    assert!(quiet.line().starts_with("*** Welcome, quiet!"));
}

#[test]
fn the_banner_lists_connect_commands_others_can_use() {
    let dir = TempDir::new("banner-any");
    // Bound to every address, as in class (the port is still chosen freely).
    let mut command = server_command(&dir, &["--host", "0.0.0.0"]);
    let mut server = Server::start_with(command.env("CHATROOM_ADMIN_PASSWORD", "teach"));
    server.wait_stdout("then type /nick <name>.");
    let stdout = server.stdout_so_far();
    let port = server.addr.port();
    // The browser address first, one line per address, then the terminal.
    let browser_lines: Vec<&String> = stdout
        .iter()
        .take_while(|l| l.starts_with("Students: open http://"))
        .collect();
    assert!(!browser_lines.is_empty(), "{stdout:#?}");
    for line in &browser_lines {
        assert!(line.contains(" in a browser, or nc "), "{line}");
        assert!(
            line.ends_with(&format!(" {port}")) && !line.contains("0.0.0.0"),
            "{line}"
        );
    }
    assert!(stdout.contains(&"In a terminal, students connect with:".to_string()));
    let commands: Vec<&String> = stdout
        .iter()
        .filter(|l| l.starts_with("    nc ") || l.starts_with("    telnet "))
        .collect();
    assert!(!commands.is_empty(), "{stdout:#?}");
    for line in &commands {
        assert!(line.ends_with(&format!(" {port}")), "{line}");
        assert!(!line.contains(" 0.0.0.0 "), "{line}");
    }
    // Loopback is only offered, with a warning, when the machine has no
    // other address.
    if commands.iter().any(|l| l.contains(" 127.")) {
        assert!(
            stdout
                .iter()
                .any(|l| l.contains("only this machine can connect")),
            "{stdout:#?}"
        );
    }

    // Bound to loopback: exactly that, with the warning.
    let dir = TempDir::new("banner-loopback");
    let mut server = start(&dir, &[]);
    server.wait_stdout("then type /nick <name>.");
    let port = server.addr.port();
    assert_eq!(
        server.stdout_so_far(),
        [
            format!("Students: open http://127.0.0.1:{port} in a browser, or nc 127.0.0.1 {port}"),
            "In a terminal, students connect with:".to_string(),
            format!("    nc 127.0.0.1 {port}"),
            format!("    telnet 127.0.0.1 {port}"),
            "    (only this machine can connect: the server listens on a loopback address)"
                .to_string(),
            "then type /nick <name>.".to_string(),
        ]
    );
}

// ---- Afterwards ----------------------------------------------------------

#[test]
fn transcript_and_attendance_read_a_real_session() {
    let dir = TempDir::new("transcript");
    let mut server = start(&dir, &[]);
    let mut alice = person(&server, "alice");
    let mut bob = protocol_user(&server, "bob");
    join(&mut bob, "#general");
    alice.expect("* bob joined #general");
    alice.send("hello bob");
    bob.expect("ROOM #general alice hello bob");
    bob.send("PRIVMSG alice see you at 11");
    bob.expect("OK Sent");
    alice.expect("[private] bob: see you at 11");
    bob.send("QUIT");
    bob.expect("OK Goodbye!");
    alice.expect("* bob left #general");
    stop(&mut server);

    let history = std::fs::read_to_string(dir.path().join("data/history.tsv")).expect("history");
    // "2026-11-21T10:02:03.123Z" → "2026-11-21 10:02:03", per record.
    let times: Vec<String> = history
        .lines()
        .map(|line| format!("{} {}", &line[..10], &line[11..19]))
        .collect();
    assert_eq!(times.len(), 6, "{history}");

    let run = |args: &[&str]| {
        let output = Command::new(common::bin("step4_server"))
            .args(args)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .output()
            .expect("run step4_server");
        assert!(output.status.success(), "{output:?}");
        assert!(output.stderr.is_empty(), "{output:?}");
        String::from_utf8(output.stdout).expect("utf-8")
    };
    assert_eq!(
        run(&["transcript"]),
        format!(
            "{} #general * alice joined\n\
             {} #general * bob joined\n\
             {} #general alice: hello bob\n\
             {} #general * bob left\n\
             {} #general * alice left\n",
            times[0], times[1], times[2], times[4], times[5]
        )
    );
    assert!(run(&["transcript", "--private"]).contains(&format!(
        "{} bob → alice (private): see you at 11\n",
        times[3]
    )));
    // The server records alice leaving when it shut down with her still in.
    assert_eq!(
        run(&["attendance"]),
        format!(
            "person  names  from                 to                   messages\n\
             alice   alice  {}  {}  1\n\
             bob     bob    {}  {}  1\n",
            times[0], times[5], times[1], times[4]
        )
    );
}

#[test]
fn passwords_with_spaces_can_be_typed() {
    // The settings accept any string as a password; a lee who picks a
    // phrase must not lock the class out.
    let dir = TempDir::new("password-spaces");
    let server = Server::start_with(
        server_command(&dir, &[])
            .env("CHATROOM_PASSWORD", "open sesame")
            .env("CHATROOM_ADMIN_PASSWORD", "teach  me please"),
    );
    let mut alice = server.connect();
    alice.send("PASS open sesame");
    alice.expect("OK Password accepted");
    alice.send("USERNAME alice");
    assert_eq!(alice.line(), "OK Welcome, alice!");
    alice.send("OPER teach me please");
    assert_eq!(alice.line(), "ERROR Wrong password");
    alice.send("/op teach  me please");
    alice.expect("OK You are an operator");
}
