//! `STATS` (`/stats`) over real TCP: an operator gets every figure in each
//! dialect, the numbers move as traffic flows (deliveries, bytes in and
//! out, the history file), and anyone else is refused.

mod common;

use common::{Client, Server, TempDir};
use std::collections::HashMap;
use std::process::Command;

/// `step4_server` keeping its history in `dir`, operator password `teach`.
fn start(dir: &TempDir) -> Server {
    Server::start_with(
        Command::new(common::bin("step4_server"))
            .args(["--host", "127.0.0.1", "--port", "0", "--data-dir"])
            .arg(dir.join("data"))
            .current_dir(dir.path())
            .env_remove("CHATROOM_PASSWORD")
            .env("CHATROOM_ADMIN_PASSWORD", "teach"),
    )
}

/// Asks for `STATS` in protocol mode; every `key=value` of the answer.
fn stats(client: &mut Client) -> HashMap<String, String> {
    client.send("STATS");
    let lines = client.expect("OK Stats");
    let mut figures = HashMap::new();
    for line in &lines {
        let Some(words) = line.strip_prefix("STATS ") else {
            panic!("not a STATS line: {line:?} in {lines:#?}");
        };
        for word in words.split(' ') {
            let Some((key, value)) = word.split_once('=') else {
                panic!("not key=value: {word:?} in {line:?}");
            };
            figures.insert(key.to_string(), value.to_string());
        }
    }
    figures
}

/// A figure as a number.
fn number(figures: &HashMap<String, String>, key: &str) -> f64 {
    match figures.get(key).and_then(|value| value.parse().ok()) {
        Some(value) => value,
        None => panic!("no number {key} in {figures:#?}"),
    }
}

/// A protocol client in `room`, the join's lines read.
fn member(server: &Server, name: &str, room: &str) -> Client {
    let mut client = server.login(name);
    client.send(&format!("JOIN {room}"));
    client.read_until(|line| line.starts_with("OK Joined"));
    client
}

#[test]
fn an_operator_sees_every_figure_grow_with_the_traffic() {
    let dir = TempDir::new("stats");
    let server = start(&dir);
    let mut teacher = member(&server, "lee", "#lab");
    teacher.send("OPER teach");
    teacher.expect("OK You are an operator");
    let mut alice = member(&server, "alice", "#lab");
    let mut bob = member(&server, "bob", "#lab");
    teacher.expect("JOIN #lab bob");
    alice.expect("JOIN #lab bob");
    // One connection still choosing a name (its greeting read: admitted).
    let mut nameless = server.connect();
    nameless.expect("NOTICE /help lists the commands");

    let before = stats(&mut teacher);
    assert_eq!(before["connections"], "4", "{before:#?}");
    assert_eq!(before["named"], "3");
    assert_eq!(before["unnamed"], "1");
    // A reader per connection (and a writer too with the fast path off,
    // or while a client has a backlog), and the server's own.
    assert!(number(&before, "threads") >= 5.0, "{before:#?}");
    assert_eq!(before["threads_from"], "proc");
    // Everyone has read everything sent to them.
    assert_eq!(before["queued"], "0", "{before:#?}");
    assert_eq!(before["fullest_queue"], "-");
    assert_eq!(before["history"], "on");
    assert!(
        number(&before, "history_bytes") > 0.0,
        "the joins are stored"
    );
    assert!(number(&before, "window_secs") >= 1.0);

    // 10 messages to a room of 3: 30 deliveries (programs get their own back).
    let messages = 10;
    let mut sent_bytes = 0;
    for i in 0..messages {
        let line = format!("MSG counting the cost {i}");
        sent_bytes += line.len() + 2;
        alice.send(&line);
    }
    for client in [&mut teacher, &mut alice, &mut bob] {
        client.expect(&format!(
            "ROOM #lab alice counting the cost {}",
            messages - 1
        ));
    }

    let after = stats(&mut teacher);
    let grew = |key: &str| number(&after, key) - number(&before, key);
    // The first STATS answer itself counts too (7 lines), so at least.
    assert!(grew("deliveries") >= (3 * messages) as f64, "{after:#?}");
    assert!(
        number(&after, "last_minute") >= (3 * messages) as f64,
        "{after:#?}"
    );
    assert!(number(&after, "per_second") > 0.0, "{after:#?}");
    assert!(grew("bytes_in") >= (sent_bytes + "STATS\r\n".len()) as f64);
    // Each message went out three times, "ROOM #lab alice " in front.
    assert!(grew("bytes_out") >= (3 * sent_bytes) as f64, "{after:#?}");
    assert!(grew("history_bytes") >= sent_bytes as f64, "{after:#?}");
    assert_eq!(after["queued"], "0", "{after:#?}");

    // Not for anyone else, in either dialect; nothing else happens.
    bob.send("STATS");
    bob.expect_next("ERROR Not an operator");
    nameless.send("/nick sam");
    nameless.read_until(|line| line.starts_with("*** Welcome, sam!"));
    nameless.expect_next("*** You joined #general. Nobody else is here yet.");
    nameless.send("/stats");
    nameless.expect_next("[error] Not an operator");
}

#[test]
fn a_person_gets_sentences_and_history_off_says_so() {
    let server = Server::start_chat_env(&[], &[("CHATROOM_ADMIN_PASSWORD", "teach")]);
    let mut teacher = server.nick("lee");
    teacher.send("/op teach");
    teacher.read_until(|line| line.starts_with("*** You are an operator now."));
    teacher.send("/help");
    let help = teacher.read_until(|line| line.starts_with("***   /kickaddr"));
    assert!(
        help.iter().any(|line| line.contains("/announce")),
        "{help:#?}"
    );
    teacher.send("/stats");
    let lines: Vec<String> = (0..5).map(|_| teacher.line()).collect();
    assert!(
        lines[0].starts_with("*** Stats: 1 connection (1 named, 0 choosing a name), "),
        "{lines:#?}"
    );
    assert!(lines[0].ends_with(" threads"), "{lines:#?}");
    assert_eq!(
        lines[1],
        "*** Queued lines: none (every client has read all it was sent)"
    );
    assert!(
        lines[2].starts_with("*** Traffic since start: "),
        "{lines:#?}"
    );
    assert!(lines[2].ends_with(" out"), "{lines:#?}");
    assert!(lines[3].starts_with("*** Deliveries: "), "{lines:#?}");
    assert!(lines[3].contains(" a second over the last "), "{lines:#?}");
    assert_eq!(lines[4], "*** History: off");
    // The report is over: the next line answers the next command.
    teacher.assert_nothing_pending("/rooms", "*** ");
}

#[test]
fn irc_operators_get_notices_and_219_and_others_481() {
    let server = Server::start_chat_env(&[], &[("CHATROOM_ADMIN_PASSWORD", "teach")]);
    let irc = |nick: &str| {
        let mut client = server.connect();
        client.send(&format!("NICK {nick}"));
        client.send(&format!("USER {nick} 0 * :{nick}"));
        client.expect(&format!(
            ":chatroom.local 376 {nick} :End of /MOTD command."
        ));
        client
    };
    let mut bob = irc("bob");
    bob.send("STATS u");
    bob.expect_next(":chatroom.local 481 bob :Permission Denied- You're not an IRC operator");
    let mut lee = irc("lee");
    lee.send("OPER lee teach");
    lee.expect(":chatroom.local 381 lee :You are now an IRC operator");
    lee.expect_next(":lee!lee@chatroom MODE lee +o"); // in no room: no channel MODE
    lee.send("STATS u");
    let report = lee.expect(":chatroom.local 219 lee u :End of /STATS report");
    assert_eq!(report.len(), 5, "{report:#?}");
    assert!(
        report[0].starts_with(
            ":chatroom.local NOTICE lee :Stats: 2 connections (2 named, 0 choosing a name), "
        ),
        "{report:#?}"
    );
    for (line, start) in report.iter().zip([
        "Stats: ",
        "Queued lines: ",
        "Traffic since start: ",
        "Deliveries: ",
        "History: off",
    ]) {
        let prefix = format!(":chatroom.local NOTICE lee :{start}");
        assert!(line.starts_with(&prefix), "{line:?}");
    }
    // irssi's plain `/stats` sends no query letter.
    lee.send("STATS");
    lee.expect(":chatroom.local 219 lee * :End of /STATS report");
}
