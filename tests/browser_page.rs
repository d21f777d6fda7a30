//! The chat page (`src/server/chat.html`) in a real headless Chromium,
//! against a scripted server built from the library's HTTP, routing and WebSocket
//! code: the test plays the chat server's part line by line, so it can check
//! exactly which protocol lines the page sends and how it shows each reply.
//! (The tests against the real `step4_server` come once the server serves
//! the page; this one pins the page's side of the protocol.)

mod common;

use chatroom::server::web::{self, WebAnswer};
use chatroom::wire::http_request::{self, HeadProgress, HeadReader};
use chatroom::wire::websocket::{self, push_text_frames, Decoder, Received};
use common::browser::{Browser, Json, Tab};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

/// A WebSocket connection the page opened, seen from the scripted server.
struct PageSocket {
    stream: TcpStream,
    /// Every text message the page sent on it, in order.
    lines: Receiver<String>,
}

impl PageSocket {
    /// Sends protocol lines to the page, one text frame each.
    fn say(&mut self, lines: &[&str]) {
        let mut frames = Vec::new();
        for line in lines {
            push_text_frames(&format!("{line}\r\n"), &mut frames);
        }
        self.stream.write_all(&frames).expect("write to the page");
    }

    /// The next line the page sends, which must be `expected`.
    fn expect(&mut self, expected: &str) {
        match self.lines.recv_timeout(WAIT) {
            Ok(line) => assert_eq!(line, expected),
            Err(_) => panic!("the page did not send {expected:?}"),
        }
    }
}

/// Serves the page at `/` and hands every `/chat` WebSocket to the test.
fn scripted_server() -> (SocketAddr, Receiver<PageSocket>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let (sockets, accepted) = mpsc::channel();
    thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let sockets = sockets.clone();
            thread::spawn(move || serve(stream, sockets));
        }
    });
    (addr, accepted)
}

fn serve(mut stream: TcpStream, sockets: Sender<PageSocket>) {
    let mut head_reader = HeadReader::new();
    let mut buffer = [0u8; 4096];
    let (head, rest) = loop {
        let n = match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        match head_reader.push(&buffer[..n]) {
            HeadProgress::More => continue,
            HeadProgress::Complete { head, rest } => break (head, rest),
            HeadProgress::TooLong => return,
        }
    };
    let Ok(request) = http_request::parse(&head) else {
        return;
    };
    // The library's own routing: the page with its headers (its security
    // policy must let it connect back), or the upgrade.
    match web::answer(&request, "use nc\n", &[]) {
        WebAnswer::Respond(response) => {
            let _ = stream.write_all(response.as_bytes());
            return;
        }
        WebAnswer::Upgrade(switching) => {
            if stream.write_all(switching.as_bytes()).is_err() {
                return;
            }
        }
    }
    let (lines_sender, lines) = mpsc::channel();
    let Ok(writer) = stream.try_clone() else {
        return;
    };
    let _ = sockets.send(PageSocket {
        stream: writer,
        lines,
    });
    let mut decoder = Decoder::new(1024);
    let mut events = Vec::new();
    decoder.push(&rest, &mut events);
    loop {
        for event in events.drain(..) {
            match event {
                Received::Text(line) => {
                    let _ = lines_sender.send(line);
                }
                Received::Ping(_) => {}
                Received::Close { status, .. } => {
                    let _ = stream.write_all(&websocket::close_frame(status, ""));
                    return;
                }
            }
        }
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => decoder.push(&buffer[..n], &mut events),
        }
    }
}

/// JavaScript giving the `data-kind`s and texts of the page's lines.
fn lines_script() -> &'static str {
    "[...document.querySelectorAll('#messages > li')].map(li => li.dataset.kind + '|' + \
     (li.dataset.from || '') + '|' + li.querySelector('.text').textContent).join('\\n')"
}

fn page_lines(browser: &mut Browser, tab: &Tab) -> String {
    browser
        .evaluate(tab, lines_script())
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn type_and_send(browser: &mut Browser, tab: &Tab, text: &str) {
    let script = format!(
        "document.getElementById('input').value = {}; document.getElementById('send').click()",
        Json::from(text).to_text()
    );
    browser.evaluate(tab, &script);
}

#[test]
fn the_page_speaks_the_protocol_and_shows_text_as_text() {
    let (addr, sockets) = scripted_server();
    let Some(mut browser) = Browser::start() else {
        return;
    };
    let tab = browser.open(&format!("http://{addr}/"));
    let mut socket = sockets.recv_timeout(WAIT).expect("the page opened /chat");
    browser.wait_for(
        &tab,
        "document.getElementById('status').dataset.state === 'open'",
    );

    // The greeting: the MOTD is shown; the terminal instructions are not.
    socket.say(&[
        "NOTICE Welcome to class 3B!",
        "NOTICE Pick a name: type /nick <name> (people) or USERNAME <name> (programs)",
        "NOTICE /help lists the commands",
    ]);
    browser.wait_for(
        &tab,
        "document.getElementById('login-motd').textContent === 'Welcome to class 3B!'",
    );
    browser.evaluate(
        &tab,
        "document.getElementById('name').value = 'alice'; \
         document.getElementById('login-button').click()",
    );
    socket.expect("HISTORY TIMED");
    socket.expect("USERNAME alice");
    socket.say(&["OK Welcome, alice!"]);
    socket.expect("MULTIROOM"); // one tab per room
    socket.expect("JOIN #general");
    socket.expect("USERS");
    socket.expect("ROOMS");
    socket.say(&[
        "OK Joined #general (1 users)",
        "JOIN #general bob",
        "HISTORY BEGIN #general 1",
        "HISTORY #general 2026-12-02T10:02:00.114Z bob from before",
        "HISTORY END #general",
        "USERLIST alice bob",
        "ROOMLIST #general #lab",
        "ROOM #general bob <b>x</b>\u{1b}[2J",
    ]);
    browser.wait_for(
        &tab,
        "document.querySelector('#messages [data-kind=message]') !== null",
    );
    let lines = page_lines(&mut browser, &tab);
    assert!(
        lines.contains(
            "replay-start||Recent messages in #general\nreplay|bob|from before\n\
             replay-end||End of recent messages\nmessage|bob|<b>x</b>\u{1b}[2J"
        ),
        "{lines}"
    );
    // A replayed line shows when it was said, not when it arrived.
    assert_eq!(
        browser.evaluate(
            &tab,
            "document.querySelector('#messages [data-kind=replay] time').dateTime"
        ),
        Json::from("2026-12-02T10:02:00.114Z")
    );
    // Text from the network stayed text: no element was made of it.
    assert_eq!(
        browser.evaluate(&tab, "document.querySelectorAll('#messages b').length"),
        Json::Number(0.0)
    );
    assert_eq!(
        browser.evaluate(
            &tab,
            "[...document.querySelectorAll('#members li')].map(li => li.dataset.user).join(' ') + \
             ' / ' + [...document.querySelectorAll('#rooms li')].map(li => li.dataset.room).join(' ') + \
             ' / ' + document.body.dataset.room"
        ),
        Json::from("alice bob / #general #lab / #general")
    );

    // What the person types becomes protocol lines.
    type_and_send(&mut browser, &tab, "hello everyone");
    socket.expect("MSG hello everyone");
    type_and_send(&mut browser, &tab, "/msg bob psst");
    socket.expect("PRIVMSG bob psst");
    type_and_send(&mut browser, &tab, "/me waves");
    socket.expect("ACTION waves");
    type_and_send(&mut browser, &tab, "/nick alicia");
    socket.expect("USERNAME alicia");
    // The page's help is the page's own, in its own syntax, and asks the
    // server nothing: the next line the server gets is the message after it.
    type_and_send(&mut browser, &tab, "/help");
    type_and_send(&mut browser, &tab, "PRIVMSG bob is a message here");
    socket.expect("MSG PRIVMSG bob is a message here");
    let help: Vec<String> = page_lines(&mut browser, &tab)
        .lines()
        .filter_map(|line| line.strip_prefix("help||").map(str::to_string))
        .collect();
    for wanted in [
        "/msg <user> <text>     private message (or click a name in the list)",
        "/me <text>             act: shown as you *text*",
        "<text>                 say something to your room",
        "/kick <user> [reason]  disconnect a user; a reason that starts 10m (or 30s, 2h, 1d) also bans their address that long",
    ] {
        assert!(help.iter().any(|line| line == wanted), "{wanted:?} in {help:#?}");
    }
    for line in &help {
        let first = line.split(' ').next().unwrap_or_default();
        assert!(
            !(first.len() > 1 && first.chars().all(|c| c.is_ascii_uppercase())),
            "a protocol verb in the page's help: {line:?}"
        );
    }
    socket.say(&[
        "OK Sent",
        "PRIVMSG bob back at you",
        "ERROR You are muted",
        "NOTICE [announcement] Pencils down",
    ]);
    browser.wait_for(
        &tab,
        "document.getElementById('error').textContent === 'You are muted'",
    );
    let lines = page_lines(&mut browser, &tab);
    assert!(
        lines.ends_with(
            "private-sent|bob|psst\nprivate|bob|back at you\nerror||You are muted\n\
             announcement||Pencils down"
        ),
        "{lines}"
    );

    // A private message to someone offline: who, and that it was not sent.
    type_and_send(&mut browser, &tab, "/msg ghost are you there");
    socket.expect("PRIVMSG ghost are you there");
    socket.say(&["ERROR User not found"]);
    browser.wait_for(
        &tab,
        "document.getElementById('error').textContent === \
         'ghost is not connected (the list shows who is here); your message was not sent'",
    );

    if let Ok(dir) = std::env::var("CHATROOM_SCREENSHOTS") {
        for (width, height) in [(1000, 700), (380, 700)] {
            let png = browser.screenshot(&tab, width, height);
            let _ = std::fs::write(format!("{dir}/chat-{width}.png"), png);
        }
    }

    // The server goes away while something is half typed: the page says so,
    // comes back by itself with the same name and room, and keeps the text.
    browser.evaluate(
        &tab,
        "document.getElementById('input').value = 'half typed'",
    );
    let _ = socket.stream.shutdown(std::net::Shutdown::Both);
    browser.wait_for(
        &tab,
        "document.getElementById('status').dataset.state === 'reconnecting'",
    );
    let mut again = sockets.recv_timeout(WAIT).expect("the page reconnected");
    again.expect("HISTORY TIMED");
    again.expect("USERNAME alice");
    again.say(&["OK Welcome, alice!"]);
    again.expect("MULTIROOM");
    again.expect("JOIN #general");
    assert_eq!(
        browser.evaluate(&tab, "document.getElementById('input').value"),
        Json::from("half typed")
    );
    browser.close(tab);
}

#[test]
fn password_operator_tools_and_a_kick() {
    let (addr, sockets) = scripted_server();
    let Some(mut browser) = Browser::start() else {
        return;
    };
    let tab = browser.open(&format!("http://{addr}/"));
    let mut socket = sockets.recv_timeout(WAIT).expect("the page opened /chat");
    browser.wait_for(
        &tab,
        "document.getElementById('status').dataset.state === 'open'",
    );
    assert_eq!(
        browser.evaluate(&tab, "document.getElementById('password-row').hidden"),
        Json::Bool(true)
    );
    socket
        .say(&["NOTICE This server needs a password first: /pass <password> (or PASS <password>)"]);
    browser.wait_for(&tab, "!document.getElementById('password-row').hidden");
    browser.evaluate(
        &tab,
        "document.getElementById('name').value = 'teacher'; \
         document.getElementById('password').value = 'open sesame'; \
         document.getElementById('login-button').click()",
    );
    socket.expect("HISTORY TIMED");
    socket.expect("PASS open sesame");
    socket.expect("USERNAME teacher");
    // A refusal before registering is shown on the form.
    socket.say(&["OK Password accepted", "ERROR Username taken"]);
    browser.wait_for(
        &tab,
        "document.getElementById('login-error').textContent === 'Username taken'",
    );
    browser.evaluate(
        &tab,
        "document.getElementById('name').value = 'miss_k'; \
         document.getElementById('login-button').click()",
    );
    socket.expect("PASS open sesame");
    socket.expect("USERNAME miss_k");
    socket.say(&["OK Welcome, miss_k!"]);
    socket.expect("MULTIROOM");
    socket.expect("JOIN #general");
    socket.expect("USERS");
    socket.expect("ROOMS");
    assert_eq!(
        browser.evaluate(&tab, "document.getElementById('operator-tools').hidden"),
        Json::Bool(true)
    );
    type_and_send(&mut browser, &tab, "/op teach");
    socket.expect("OPER teach");
    socket.say(&["OK You are an operator"]);
    browser.wait_for(&tab, "!document.getElementById('operator-tools').hidden");
    // The teacher's buttons start a command in the input; Enter sends it.
    browser.evaluate(
        &tab,
        "document.querySelector('#operator-tools [data-fill=\"/mute \"]').click()",
    );
    assert_eq!(
        browser.evaluate(&tab, "document.getElementById('input').value"),
        Json::from("/mute ")
    );
    type_and_send(&mut browser, &tab, "/mute bob");
    socket.expect("MUTE bob");
    type_and_send(&mut browser, &tab, "/announce Pencils down");
    socket.expect("ANNOUNCE Pencils down");
    type_and_send(&mut browser, &tab, "/kick bob spamming");
    socket.expect("KICK bob spamming");

    // Kicked: the page says so and does not come back by itself.
    socket.say(&["NOTICE You were kicked by admin"]);
    let _ = socket.stream.shutdown(std::net::Shutdown::Both);
    browser.wait_for(
        &tab,
        "document.getElementById('status').dataset.state === 'closed'",
    );
    assert!(
        sockets.recv_timeout(Duration::from_secs(3)).is_err(),
        "the page reconnected after a kick"
    );
    browser.close(tab);
}
