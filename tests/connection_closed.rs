//! When the server ends a chat-mode connection, the last line says so in
//! words and says what to do: `nc` does not notice a closed connection until
//! it tries to send, so without that line a student on `nc` thinks they are
//! still in the chat. Each way the server closes a connection (`/quit`, a
//! kick, the idle and registration timeouts, a shutdown) is driven over real
//! TCP against `step4_server`; protocol mode keeps its one-keyword lines.
//! (tests/typed_commands.rs does one of them through a real `nc`.)

mod common;

use common::{chat_user, protocol_user, Server};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

/// How every chat-mode close ends.
const PRESS_ENTER: &str = ". Press Enter or Ctrl-C to return to your shell.";

fn closed(why: &str) -> String {
    format!("*** Connection closed by the server ({why}){PRESS_ENTER}")
}

/// The last line a client got before the server closed the connection.
fn last_line(client: &mut common::Client) -> String {
    client.read_to_close().pop().unwrap_or_default()
}

#[test]
fn quit_ends_with_goodbye_and_the_closed_line() {
    let server = Server::start_chat(&[]);
    let mut lee = chat_user(&server, "lee");
    lee.expect("*** You joined #general. Nobody else is here yet.");
    lee.send("/quit");
    assert_eq!(
        lee.read_to_close(),
        ["*** Goodbye!".to_string(), closed("you typed /quit")]
    );
    // A program gets the protocol's answer and nothing more.
    let mut program = protocol_user(&server, "bot");
    program.send("QUIT");
    assert_eq!(program.read_to_close(), ["OK Goodbye!"]);
}

#[test]
fn a_kick_says_who_why_and_that_the_connection_is_closed() {
    let server = Server::start_chat_env(&[], &[("CHATROOM_ADMIN_PASSWORD", "teach-pw")]);
    let mut lee = protocol_user(&server, "lee");
    lee.send("OPER teach-pw");
    lee.expect("OK You are an operator");
    let mut bob = chat_user(&server, "bob");
    let mut carl = protocol_user(&server, "carl");
    lee.send("KICK bob see you after the break");
    lee.expect("OK Kicked bob");
    assert_eq!(
        last_line(&mut bob),
        closed("you were kicked out by lee: see you after the break")
    );
    lee.send("KICK carl");
    lee.expect("OK Kicked carl");
    assert_eq!(last_line(&mut carl), "NOTICE You were kicked by lee");
}

#[test]
fn the_idle_timeout_says_how_long_and_closes() {
    let server = Server::start_chat(&["--idle-timeout-secs", "1"]);
    let mut lee = chat_user(&server, "lee");
    assert_eq!(last_line(&mut lee), closed("nothing was typed for 1 s"));
    let mut program = protocol_user(&server, "bot");
    assert_eq!(
        last_line(&mut program),
        "ERROR Idle for 1 s: closing the connection"
    );
}

#[test]
fn the_registration_timeout_speaks_the_dialect_of_the_last_line() {
    let server = Server::start_chat(&["--register-timeout-secs", "1"]);
    // A person who typed a command but never chose a name.
    let mut person = server.connect();
    person.send("/help");
    assert_eq!(last_line(&mut person), closed("no name was chosen in time"));
    let mut program = server.connect();
    program.send("HELP");
    assert_eq!(last_line(&mut program), "ERROR Registration timeout");
}

#[test]
fn a_shutdown_tells_chat_mode_in_words() {
    let mut server = Server::start_chat(&[]);
    let mut lee = chat_user(&server, "lee");
    lee.expect("*** You joined #general. Nobody else is here yet.");
    let mut program = protocol_user(&server, "bot");
    server.signal("TERM");
    assert_eq!(last_line(&mut lee), closed("the server is shutting down"));
    assert_eq!(last_line(&mut program), "NOTICE Server shutting down");
    assert!(server.wait_exit().success());
}

#[test]
fn a_person_dropped_as_too_slow_is_told_once_they_read_on() {
    /// Give up after this many ~1000-byte lines: the kernel's socket
    /// buffers take a few megabytes before the queue can fill.
    const MAX_LINES: usize = 20_000;
    let mut server = Server::start_chat(&["--queue-len", "64", "--rate-per-sec", "0"]);
    let mut lee = chat_user(&server, "lee");
    lee.expect("*** You joined #general. Nobody else is here yet.");
    // bob is in chat mode too, so the server sends him nothing to read.
    let mut bob = chat_user(&server, "bob");
    bob.expect("*** You joined #general. Here: lee");
    lee.expect("* bob joined #general");
    // lee stops reading while bob floods the room, from a thread of its
    // own, so that lee can start reading the moment the log says it was
    // dropped (it has FAREWELL_GRACE, 2 s, to do so).
    let stop = Arc::new(AtomicBool::new(false));
    let flooding = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let filler = "x".repeat(990);
            let mut sent = 0;
            while !stop.load(Ordering::SeqCst) && sent < MAX_LINES {
                let burst: String = (sent..sent + 50)
                    .map(|n| format!("{filler} {n:05}\r\n"))
                    .collect();
                bob.send_raw(burst.as_bytes());
                sent += 50;
            }
            sent
        })
    };
    let dropped = server.wait_log("send queue full");
    assert!(dropped.contains("Disconnected lee ("), "{dropped}");
    // lee reads on: what was already on its way (however much that was:
    // the queue may fill before the socket does), then why it ended.
    let lines = lee.read_to_close();
    stop.store(true, Ordering::SeqCst);
    let sent = flooding.join().expect("flooding thread");
    eprintln!("bob sent {sent} lines; lee read {}", lines.len());
    assert!(lines[..lines.len() - 1]
        .iter()
        .all(|line| line.starts_with("bob: xxx")));
    assert_eq!(
        lines.last().map(String::as_str),
        Some(closed(
            "too slow: your connection was not taking the lines sent to it, so some were never delivered"
        ))
        .as_deref()
    );
}

#[test]
fn the_third_wrong_password_says_the_connection_is_closed() {
    let server = Server::start_chat_env(&[], &[("CHATROOM_PASSWORD", "sesame")]);
    let mut person = server.connect();
    person.expect("NOTICE Welcome to chatroom!");
    person
        .expect("NOTICE This server needs a password first: /pass <password> (or PASS <password>)");
    person.expect_lines(&common::GREETING[1..]);
    for _ in 0..2 {
        person.send("/pass nope");
        person.expect("[error] Wrong password");
    }
    person.send("/pass nope");
    // (A program gets `ERROR Wrong password`, then the close.)
    assert_eq!(
        person.read_to_close(),
        [
            "[error] Wrong password".to_string(),
            closed("3 wrong passwords")
        ]
    );
}
