//! irssi, a real IRC client, driven through tmux (see `tests/common/irssi.rs`).
//!
//! For now this proves the harness against ngIRCd; the tests against
//! `step4_server` join it once the server speaks IRC.

mod common;

use common::irssi::{Irssi, Ngircd};

/// TEMPORARY SCAFFOLDING: delete once a test drives irssi against
/// `step4_server`. Proves that irssi starts, connects and that its screen
/// can be read and typed into.
#[test]
fn irssi_connects_to_ngircd_and_shows_the_welcome() {
    let server = Ngircd::start();
    let irssi = Irssi::connect("alice", server.addr);
    irssi.wait_screen("Welcome to the Internet Relay Network");
    irssi.wait_screen("hello from ngircd"); // the MOTD
    irssi.type_line("/join #general");
    irssi.wait_screen("alice [~alice@127.0.0.1] has joined #general");
}

/// The dialect's pure pieces, driven by irssi before the server uses them: a
/// one-connection stand-in server built from `chatroom::irc` (registration,
/// welcome burst, JOIN mapping) shows that a real client accepts our
/// handshake. (Today's greeting is left out: irssi reads `NOTICE Pick a
/// name…` as a notice to "Pick"; see the integration notes.) Temporary, like
/// the ngIRCd test: it goes when `step4_server` speaks IRC.
#[test]
fn irssi_accepts_our_handshake_and_join() {
    use chatroom::wire::command::Command;
    use chatroom::wire::event::Event;
    use chatroom::wire::irc::{map, numeric, register};
    use std::io::{BufRead, BufReader, Write};

    struct Open;
    impl register::Lookup for Open {
        fn nick_taken(&self, nick: &str) -> bool {
            nick == "taken"
        }
        fn password_ok(&self, _: Option<&str>) -> bool {
            true
        }
    }

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(common::TIMEOUT)).unwrap();
        let mut out = stream.try_clone().unwrap();
        let info = map::ServerInfo {
            name: "chatroom.test".into(),
            version: "chatroom-test".into(),
            created: "today".into(),
            motd: "Be kind to each other.".into(),
            limits: numeric::Limits {
                network: "chatroom".into(),
                nick_len: 20,
                channel_len: 21,
                topic_len: 300,
            },
        };
        let mut registration = register::Registration::new(&info.name);
        let mut nick = String::new();
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            let Ok(message) = chatroom::wire::irc::parse(&line) else {
                continue;
            };
            if !registration.is_done() {
                let step = registration.feed(&message, &Open);
                out.write_all(step.replies.concat().as_bytes()).unwrap();
                if let Some(ready) = step.ready {
                    nick = ready.nick;
                    let ctx = map::Ctx {
                        info: &info,
                        nick: &nick,
                        room: None,
                        answering: "",
                        target: "",
                    };
                    out.write_all(map::welcome_lines(&ctx).concat().as_bytes())
                        .unwrap();
                }
                continue;
            }
            let ctx = map::Ctx {
                info: &info,
                nick: &nick,
                room: None,
                answering: "",
                target: "",
            };
            match map::inbound(&message, &ctx) {
                map::Inbound::Chat(Command::Join(room)) => {
                    let joined = Event::Joined {
                        room: room.clone(),
                        members: vec!["bob".into()],
                    };
                    let said = Event::RoomMessage {
                        room,
                        from: "bob".into(),
                        text: "hi alice".into(),
                    };
                    for event in [joined, said] {
                        out.write_all(map::event_lines(&event, &ctx).concat().as_bytes())
                            .unwrap();
                    }
                }
                map::Inbound::Chat(Command::Quit) => break,
                map::Inbound::Answer(lines) => out.write_all(lines.concat().as_bytes()).unwrap(),
                _ => {}
            }
        }
    });
    let irssi = Irssi::connect("alice", addr);
    irssi.wait_screen("Welcome to the chatroom Network, alice");
    irssi.wait_screen("Be kind to each other.");
    irssi.type_line("/join #general");
    irssi.wait_screen("alice [alice@chatroom] has joined #general");
    let screen = irssi.wait_screen("hi alice");
    assert!(screen.contains("bob"), "{screen}");
    drop(irssi);
    let _ = server.join();
}
