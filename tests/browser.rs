//! Browsers on the real `step4_server`: the chat page in headless Chromium
//! chatting with an `nc`-protocol user (a plain TCP client), and the
//! WebSocket and HTTP answers checked byte by byte over TCP.

mod common;

use chatroom::wire::websocket::{client_frame, parse_server_frames, Opcode, ServerFrame};
use common::browser::{Browser, Json, Tab};
use common::{Client, Server, TIMEOUT};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::TcpStream;

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A protocol user in `#general`, its join answer read.
fn nc_user(server: &Server, name: &str) -> Client {
    let mut client = server.login(name);
    client.send("JOIN #general");
    client.expect("OK Joined #general (0 users)");
    client
}

/// Opens the page, picks `name`, and waits until the page is in `#general`.
///
/// Under a heavy load (the whole suite on two cores) Chromium has once in a
/// while shown its own "invalid response" page instead of the chat: its
/// request came later than the server's greeting delay, so the server took
/// it for a person and greeted it (the server log then shows two
/// connections from Chromium, greeted and closed without "Answered a web
/// browser"). A person would reload; so does this, up to four times,
/// saying so on stderr.
fn browser_user(browser: &mut Browser, server: &mut Server, name: &str) -> Tab {
    let url = format!("http://{}/", server.addr);
    let mut tab = browser.open(&url);
    for _ in 0..4 {
        let is_chat = "document.getElementById('status') !== null";
        if browser.evaluate(&tab, is_chat) == Json::Bool(true) {
            break;
        }
        let said = browser.evaluate(&tab, "document.body.innerText.slice(0, 200)");
        eprintln!(
            "chromium did not show the chat ({}); reloading. Server log: {:#?}",
            said.to_text(),
            server.log_so_far()
        );
        browser.close(tab);
        tab = browser.open(&url);
    }
    browser.wait_for(
        &tab,
        "document.getElementById('status').dataset.state === 'open'",
    );
    browser.evaluate(
        &tab,
        &format!(
            "document.getElementById('name').value = {}; \
             document.getElementById('login-button').click()",
            Json::from(name).to_text()
        ),
    );
    browser.wait_for(&tab, "document.body.dataset.room === '#general'");
    tab
}

fn type_and_send(browser: &mut Browser, tab: &Tab, text: &str) {
    let script = format!(
        "document.getElementById('input').value = {}; document.getElementById('send').click()",
        Json::from(text).to_text()
    );
    browser.evaluate(tab, &script);
}

/// JavaScript: is there a chat message from `from` whose text is exactly `text`?
fn shows_message(from: &str, text: &str) -> String {
    format!(
        "[...document.querySelectorAll('#messages > li[data-kind=message]')].some(li => \
         li.dataset.from === {} && li.querySelector('.text').textContent === {})",
        Json::from(from).to_text(),
        Json::from(text).to_text()
    )
}

#[test]
fn a_browser_user_and_an_nc_user_chat_and_the_tab_closing_is_a_leave() {
    let mut server = Server::start_chat(&[]);
    let mut bob = nc_user(&server, "bob");
    let Some(mut browser) = Browser::start() else {
        return;
    };
    let tab = browser_user(&mut browser, &mut server, "alice");
    bob.expect("JOIN #general alice");
    server.wait_log("WebSocket connection from 127.0.0.1:");

    type_and_send(&mut browser, &tab, "hello from the browser, bob");
    assert_eq!(
        bob.line(),
        "ROOM #general alice hello from the browser, bob"
    );

    bob.send("MSG hi alice, this is nc");
    assert_eq!(bob.line(), "ROOM #general bob hi alice, this is nc"); // its echo
    browser.wait_for(&tab, &shows_message("bob", "hi alice, this is nc"));

    browser.close(tab);
    assert_eq!(bob.line(), "LEAVE #general alice");
    server.wait_log("Disconnected alice (127.0.0.1:");
}

#[test]
fn markup_and_terminal_codes_from_nc_are_plain_text_in_the_page() {
    let mut server = Server::start_chat(&[]);
    let mut bob = nc_user(&server, "bob");
    let Some(mut browser) = Browser::start() else {
        return;
    };
    let tab = browser_user(&mut browser, &mut server, "alice");
    bob.expect("JOIN #general alice");

    bob.send("MSG <b>x</b>");
    bob.send_raw(b"MSG clear\x1b[2Jscreen\r\n");
    browser.wait_for(&tab, &shows_message("bob", "<b>x</b>"));
    // The server strips the escape byte (see sanitize); what is left is text.
    browser.wait_for(
        &tab,
        "[...document.querySelectorAll('#messages .text')].some(t => \
         t.textContent.startsWith('clear') && t.textContent.endsWith('screen'))",
    );
    assert_eq!(
        browser.evaluate(&tab, "document.querySelectorAll('#messages b').length"),
        Json::Number(0.0),
        "the <b> became an element"
    );
    assert_eq!(
        browser.evaluate(
            &tab,
            "[...document.querySelectorAll('#messages .text')].some(t => t.textContent.includes('\\u001b'))"
        ),
        Json::Bool(false),
        "an escape byte reached the page"
    );
    browser.close(tab);
}

// ---- Over TCP: the upgrade and the frames, byte by byte ---------------------

/// An upgrade request for `/chat` with these extra header lines.
fn upgrade_request(server: &Server, extra: &str) -> String {
    format!(
        "GET /chat HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n",
        server.addr
    )
}

/// Sends `request` and reads the whole answer until the server closes.
fn http(server: &Server, request: &str) -> String {
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    stream.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read to close");
    String::from_utf8_lossy(&answer).into_owned()
}

/// A WebSocket opened by hand: the 101 read, frames collected as they come.
struct Socket {
    stream: TcpStream,
    received: Vec<u8>,
    pending: VecDeque<ServerFrame>,
}

impl Socket {
    /// Opens the chat's WebSocket as the server's own page would.
    fn open(server: &Server) -> Socket {
        Socket::open_from(server, &format!("Origin: http://{}\r\n", server.addr))
    }

    fn open_from(server: &Server, extra: &str) -> Socket {
        let mut stream = TcpStream::connect(server.addr).expect("connect");
        stream.set_read_timeout(Some(TIMEOUT)).expect("timeout");
        stream
            .write_all(upgrade_request(server, extra).as_bytes())
            .expect("send");
        let mut socket = Socket {
            stream,
            received: Vec::new(),
            pending: VecDeque::new(),
        };
        let head = loop {
            if let Some(end) = socket.received.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&socket.received[..end]).into_owned();
                socket.received.drain(..end + 4);
                break head;
            }
            assert!(socket.read_more(), "closed during the handshake");
        };
        assert!(
            head.starts_with("HTTP/1.1 101 Switching Protocols\r\n")
                && head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            "{head}"
        );
        socket
    }

    fn read_more(&mut self) -> bool {
        let mut buffer = [0u8; 4096];
        match self.stream.read(&mut buffer) {
            Ok(0) => false,
            Ok(n) => {
                self.received.extend_from_slice(&buffer[..n]);
                true
            }
            Err(e) => panic!("nothing within {TIMEOUT:?}: {e}"),
        }
    }

    /// The next frame from the server.
    fn frame(&mut self) -> ServerFrame {
        loop {
            if let Some(frame) = self.pending.pop_front() {
                return frame;
            }
            let (frames, used) = parse_server_frames(&self.received);
            self.received.drain(..used);
            self.pending.extend(frames);
            if self.pending.is_empty() {
                assert!(self.read_more(), "closed while a frame was expected");
            }
        }
    }

    /// The next text frame's text, which must be a text frame.
    fn text(&mut self) -> String {
        let frame = self.frame();
        assert_eq!(frame.opcode, 1, "{frame:?}");
        String::from_utf8(frame.payload).expect("UTF-8")
    }

    /// Reads text frames until one equals `expected`.
    fn expect(&mut self, expected: &str) {
        let mut seen = Vec::new();
        loop {
            let text = self.text();
            if text == expected {
                return;
            }
            seen.push(text);
            assert!(seen.len() < 50, "never got {expected:?}: {seen:#?}");
        }
    }

    fn send(&mut self, opcode: Opcode, payload: &[u8]) {
        self.stream
            .write_all(&client_frame(opcode, true, payload, MASK))
            .expect("send a frame");
    }

    /// The close frame's status, after any text frames before it.
    fn close_status(&mut self) -> u16 {
        loop {
            let frame = self.frame();
            if frame.opcode == 8 {
                return u16::from_be_bytes([frame.payload[0], frame.payload[1]]);
            }
        }
    }
}

#[test]
fn a_websocket_is_a_chat_connection_with_frames_for_lines() {
    let server = Server::start_chat(&[]);
    let mut bob = nc_user(&server, "bob");
    let mut socket = Socket::open(&server);
    assert_eq!(socket.text(), "NOTICE Welcome to chatroom!");
    socket.send(Opcode::Text, b"USERNAME carol");
    socket.expect("OK Welcome, carol!");
    socket.send(Opcode::Ping, b"are you there");
    let pong = socket.frame();
    assert_eq!((pong.opcode, pong.payload), (10, b"are you there".to_vec()));
    // A message in two fragments is one line.
    socket
        .stream
        .write_all(
            &[
                client_frame(Opcode::Text, false, b"JOIN #gen", MASK),
                client_frame(Opcode::Continuation, true, b"eral", MASK),
            ]
            .concat(),
        )
        .expect("send");
    socket.expect("OK Joined #general (1 users)");
    bob.expect("JOIN #general carol");
    socket.send(Opcode::Text, b"MSG hi bob");
    assert_eq!(bob.line(), "ROOM #general carol hi bob");
    bob.send("MSG hi carol");
    assert_eq!(bob.line(), "ROOM #general bob hi carol"); // its echo
    socket.expect("ROOM #general bob hi carol");
    // The browser closes: its status is echoed and bob sees carol leave.
    socket.send(Opcode::Close, &1000u16.to_be_bytes());
    assert_eq!(socket.close_status(), 1000);
    assert_eq!(bob.line(), "LEAVE #general carol");
}

#[test]
fn a_foreign_origin_is_refused_with_403_and_a_half_handshake_with_400() {
    let server = Server::start_chat(&["--allowed-origins", "http://teacher.example:8080"]);
    let foreign = http(
        &server,
        &upgrade_request(&server, "Origin: http://evil.example\r\n"),
    );
    assert!(
        foreign.starts_with("HTTP/1.1 403 Forbidden\r\n"),
        "{foreign}"
    );
    assert!(foreign.ends_with(&format!(
        "Pages from http://evil.example may not open this chat (only pages from {}).\n",
        server.addr
    )));
    // The setting lets the teacher's own site in.
    let mut allowed = Socket::open_from(&server, "Origin: http://teacher.example:8080\r\n");
    assert_eq!(allowed.text(), "NOTICE Welcome to chatroom!");

    let half = format!(
        "GET /chat HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n\r\n",
        server.addr
    );
    let refused = http(&server, &half);
    assert!(
        refused.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{refused}"
    );
    let body = refused.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    assert_eq!(body, "The upgrade request needs Connection: Upgrade.\n");
}

/// A message over `max_line_bytes` is answered like an over-long `nc`
/// line and the connection stays; one beyond the frame bound (64 KiB) is
/// refused with 1009 from its length alone, before it is read.
#[test]
fn a_long_message_is_an_error_and_only_a_huge_one_is_closed_with_1009() {
    let mut server = Server::start_chat(&["--max-line-bytes", "64"]);
    let mut socket = Socket::open(&server);
    assert_eq!(socket.text(), "NOTICE Welcome to chatroom!");
    socket.send(Opcode::Text, b"USERNAME carol");
    socket.expect("OK Welcome, carol!");
    socket.send(Opcode::Text, &[b'x'; 2000]);
    socket.expect("ERROR Line too long (max 64 bytes)");
    // Still connected, and a paste of lines is lines, each held to the limit.
    let paste = format!("MSG short one\n{}\nUSERS", "y".repeat(100));
    socket.send(Opcode::Text, paste.as_bytes());
    socket.expect("ERROR Not in a room");
    socket.expect("ERROR Line too long (max 64 bytes)");
    socket.expect("USERLIST carol");
    // Only the header of a 1 MB message: refused from the length alone.
    let header = &client_frame(Opcode::Text, true, &vec![b'x'; 1 << 20], MASK)[..14];
    socket.stream.write_all(header).expect("send");
    assert_eq!(socket.close_status(), 1009);
    server.wait_log("a message longer than the server's limit");
}

#[test]
fn the_page_the_help_and_the_http_errors() {
    let server = Server::start_chat(&[]);
    let host = format!("Host: {}\r\n", server.addr);
    let page = http(&server, &format!("GET / HTTP/1.1\r\n{host}\r\n"));
    assert!(
        page.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"),
        "{page}"
    );
    assert!(page.ends_with("</html>\n"));
    let index = http(&server, &format!("GET /index.html HTTP/1.1\r\n{host}\r\n"));
    assert_eq!(index, page);
    let help = http(&server, &format!("GET /help.txt HTTP/1.1\r\n{host}\r\n"));
    assert!(help.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/plain"));
    let port = server.addr.port();
    assert!(help.contains(&format!(
        "\r\n\r\nHow to join this chat.\n\nStudents: open http://127.0.0.1:{port} in a browser, or nc 127.0.0.1 {port}\n"
    )), "{help}");
    assert!(help.contains(&format!("\n    telnet 127.0.0.1 {port}\n")));
    // The page declares it has no icon, so browsers do not ask for
    // /favicon.ico (issue 21, item 9).
    assert!(page.contains("<link rel=\"icon\" href=\"data:,\">"));
    // The page links to the help.
    assert!(
        page.contains("href=\"/help.txt\""),
        "the page has no link to /help.txt"
    );

    let head = http(&server, &format!("HEAD / HTTP/1.1\r\n{host}\r\n"));
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"));
    let missing = http(&server, &format!("GET /favicon.ico HTTP/1.1\r\n{host}\r\n"));
    assert!(
        missing.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{missing}"
    );
    let post = http(&server, &format!("POST / HTTP/1.1\r\n{host}\r\n"));
    assert!(
        post.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
        "{post}"
    );
}

#[test]
fn quit_closes_with_1000_a_binary_message_with_1003_and_shutdown_with_1001() {
    let mut server = Server::start_chat(&[]);
    let mut quitter = Socket::open(&server);
    quitter.send(Opcode::Text, b"USERNAME dave");
    quitter.expect("OK Welcome, dave!");
    quitter.send(Opcode::Text, b"QUIT");
    quitter.expect("OK Goodbye!");
    assert_eq!(quitter.close_status(), 1000);

    let mut binary = Socket::open(&server);
    binary.send(Opcode::Binary, b"\x00\x01");
    assert_eq!(binary.close_status(), 1003);

    let mut stayer = Socket::open(&server);
    stayer.send(Opcode::Text, b"USERNAME erin");
    stayer.expect("OK Welcome, erin!");
    server.signal("TERM");
    stayer.expect("NOTICE Server shutting down");
    assert_eq!(stayer.close_status(), 1001);
    assert!(server.wait_exit().success());
}

#[test]
fn flood_control_and_name_rules_apply_to_a_websocket_as_to_a_line() {
    let server = Server::start_chat(&["--rate-per-sec", "1", "--rate-burst", "2"]);
    let mut socket = Socket::open(&server);
    socket.expect("NOTICE /help lists the commands");
    socket.send(Opcode::Text, b"USERNAME no spaces allowed");
    let refused = socket.text();
    assert!(refused.starts_with("ERROR "), "{refused}");
    socket.send(Opcode::Text, b"USERNAME frank");
    socket.expect("OK Welcome, frank!");
    // Three lines in one message: the third is over the burst.
    socket.send(Opcode::Text, b"ROOMS\nROOMS\nROOMS");
    socket.expect("ERROR Slow down (max 1 lines/s)");
}

#[test]
fn a_browser_that_stops_reading_is_cut_off_as_a_slow_client() {
    let mut server = Server::start_chat(&["--rate-per-sec", "0", "--queue-len", "16"]);
    let mut slowpoke = Socket::open(&server);
    slowpoke.send(Opcode::Text, b"USERNAME slowpoke");
    slowpoke.expect("OK Welcome, slowpoke!");
    slowpoke.send(Opcode::Text, b"JOIN #general");
    slowpoke.expect("OK Joined #general (0 users)");
    // A person on nc (no echo of their own lines) talks; slowpoke reads
    // nothing more, so the kernel's buffers fill, then its queue.
    let mut talker = server.nick("talker");
    talker.send("/join #general");
    let filler = "x".repeat(900);
    for burst in 0..40 {
        let lines: String = (0..250)
            .map(|n| format!("{filler} {burst} {n}\r\n"))
            .collect();
        talker.send_raw(lines.as_bytes());
        if server
            .log_so_far()
            .iter()
            .any(|l| l.contains("Disconnected slowpoke (") && l.ends_with("send queue full"))
        {
            eprintln!("slowpoke was cut off during burst {burst}");
            return;
        }
    }
    let cut = server.wait_log("send queue full");
    assert!(cut.contains("Disconnected slowpoke ("), "{cut}");
}

#[test]
fn a_registered_websocket_is_closed_by_the_idle_timeout_and_pings_do_not_count() {
    let server = Server::start_chat(&["--idle-timeout-secs", "2"]);
    let mut socket = Socket::open(&server);
    socket.send(Opcode::Text, b"USERNAME gina");
    socket.expect("OK Welcome, gina!");
    // Pings keep coming (each answered), but only text counts as activity:
    // the idle clock runs from "USERNAME gina".
    let started = std::time::Instant::now();
    loop {
        socket.send(Opcode::Ping, b"tick");
        let frame = socket.frame();
        if frame.opcode == 1 {
            let text = String::from_utf8(frame.payload).expect("UTF-8");
            assert_eq!(text, "ERROR Idle for 2 s: closing the connection");
            break;
        }
        assert_eq!((frame.opcode, frame.payload), (10, b"tick".to_vec()));
        assert!(started.elapsed() < TIMEOUT, "never closed for idling");
        std::thread::sleep(std::time::Duration::from_millis(300)); // pacing only
    }
    assert!(started.elapsed() >= std::time::Duration::from_millis(1500));
    assert_eq!(socket.close_status(), 1000);
    // A text message, on the other hand, keeps a browser in.
    let mut busy = Socket::open(&server);
    busy.send(Opcode::Text, b"USERNAME hugo");
    busy.expect("OK Welcome, hugo!");
    for _ in 0..6 {
        std::thread::sleep(std::time::Duration::from_millis(500)); // pacing only
        busy.send(Opcode::Text, b"ROOMS");
        busy.expect("ROOMLIST");
    }
}

/// The page joins several rooms, each in its own tab: lines of the room
/// not shown wait behind an unread count, a plain line goes to the room
/// shown, rejoining does not append the replay again, and the browser
/// tab's title counts lines that came while it was hidden.
#[test]
fn the_page_shows_each_room_in_its_own_tab_with_unread_counts() {
    let mut server = Server::start_chat(&[]);
    let mut bob = nc_user(&server, "bob");
    let Some(mut browser) = Browser::start() else {
        return; // skipped: chromium is not installed (see common::programs)
    };
    let tab = browser_user(&mut browser, &mut server, "alice");
    bob.expect("JOIN #general alice");

    type_and_send(&mut browser, &tab, "/join #lab");
    browser.wait_for(&tab, "document.body.dataset.room === '#lab'");
    let tabs = "[...document.querySelectorAll('#room-tabs button')]\
                .map(b => b.dataset.room + '=' + b.getAttribute('aria-current')).join(' ')";
    browser.wait_for(&tab, &format!("{tabs} === '#general=false #lab=true'"));
    // Still in #general (bob hears no LEAVE), whose lines wait unseen.
    bob.send("MSG while you are in the lab");
    assert_eq!(bob.line(), "ROOM #general bob while you are in the lab");
    let unread = |room: &str| {
        format!("document.querySelector('#room-tabs button[data-room=\"{room}\"] .unread').dataset.count")
    };
    browser.wait_for(&tab, &format!("{} === '1'", unread("#general")));
    let hidden = "[...document.querySelectorAll('#messages > li')]\
                  .find(li => li.textContent.includes('while you are in the lab')).hidden";
    assert_eq!(browser.evaluate(&tab, hidden), Json::Bool(true));

    // A plain line goes to the room shown: not to bob's #general.
    type_and_send(&mut browser, &tab, "said in the lab");
    browser.wait_for(&tab, &shows_message("alice", "said in the lab"));
    bob.send("USERS");
    assert_eq!(bob.line(), "USERLIST alice bob");

    // The #general tab: its line shows, its count goes.
    browser.evaluate(
        &tab,
        "document.querySelector('#room-tabs button[data-room=\"#general\"]').click()",
    );
    browser.wait_for(&tab, "document.body.dataset.room === '#general'");
    browser.wait_for(&tab, &format!("{} === '0'", unread("#general")));
    assert_eq!(browser.evaluate(&tab, hidden), Json::Bool(false));
    type_and_send(&mut browser, &tab, "back in general");
    assert_eq!(bob.line(), "ROOM #general alice back in general");

    // Leaving #lab and joining it again replays its history: nothing that
    // is already on the page is added twice.
    type_and_send(&mut browser, &tab, "/leave #lab");
    browser.wait_for(&tab, &format!("{tabs} === '#general=true'"));
    type_and_send(&mut browser, &tab, "/join #lab");
    browser.wait_for(&tab, &format!("{tabs} === '#general=false #lab=true'"));
    type_and_send(&mut browser, &tab, "/users");
    browser.wait_for(&tab, "document.body.innerText.includes('In #lab: alice')");
    let copies = "[...document.querySelectorAll('#messages > li')]\
                  .filter(li => li.textContent.includes('said in the lab')).length";
    assert_eq!(browser.evaluate(&tab, copies), Json::Number(1.0));

    // While the browser tab is hidden, its title counts what came in.
    browser.evaluate(
        &tab,
        "Object.defineProperty(document, 'hidden', { configurable: true, get: () => true }); \
         document.dispatchEvent(new Event('visibilitychange'))",
    );
    bob.send("MSG are you there?");
    assert_eq!(bob.line(), "ROOM #general bob are you there?");
    browser.wait_for(&tab, "document.title === '(1) chatroom'");
}

/// Chromium's spare connections: opened beside a page load, silent, and
/// used for a later `GET /` (a reload, a second tab). Once a browser has
/// spoken from an address, a silent connection from there is not greeted
/// after the quarter second a terminal gets, so its request is answered
/// as HTTP; a person typing on it is greeted at once.
#[test]
fn a_silent_connection_from_a_browsers_address_is_not_greeted_and_gets_http() {
    let server = Server::start_chat(&[]);
    let host = format!("Host: {}\r\n", server.addr);
    // Before any browser: a silent connection is greeted, as nc users are.
    let mut person = server.connect();
    person.expect(common::GREETING[0]);

    let page = http(&server, &format!("GET / HTTP/1.1\r\n{host}\r\n"));
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    let mut spare = TcpStream::connect(server.addr).expect("connect");
    // Well past the greeting delay (250 ms), as Chromium's spares wait.
    spare
        .set_read_timeout(Some(std::time::Duration::from_millis(1500)))
        .expect("timeout");
    let mut byte = [0u8; 1];
    match spare.read(&mut byte) {
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) => {}
        other => panic!("a browser's spare connection was sent something: {other:?}"),
    }
    spare.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    spare
        .write_all(format!("GET / HTTP/1.1\r\n{host}\r\n").as_bytes())
        .expect("send");
    let mut answer = Vec::new();
    spare.read_to_end(&mut answer).expect("read to close");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");

    // A person at the browser's computer who types is greeted at once.
    let mut typist = server.connect();
    typist.send("/nick dora");
    let lines = typist.read_until(|line| line.contains("dora"));
    assert_eq!(lines[0], common::GREETING[0], "{lines:#?}");
}

/// Does the tab show the chat page (not Chromium's "This page isn't
/// working"), connected?
fn shows_the_chat(browser: &mut Browser, tab: &Tab) -> bool {
    let deadline = std::time::Instant::now() + TIMEOUT;
    while std::time::Instant::now() < deadline {
        let state = browser.evaluate(
            tab,
            "document.readyState === 'complete' ? \
             (document.getElementById('status') ? document.getElementById('status').dataset.state : 'not the chat') : 'loading'",
        );
        match state.as_str() {
            Some("open") => return true,
            Some("not the chat") => return false,
            _ => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    false
}

/// Issue 21, item 3: reload, a second tab, and reopening after a kick, 20
/// times each within a minute of the first visit, in real Chromium. Each
/// must show the chat; before the browser's spare connections were left
/// ungreeted, about half showed "This page isn't working".
#[test]
fn reload_second_tab_and_reopen_after_a_kick_show_the_chat_20_times_each() {
    // Sixty page loads in half a minute are ~200 connections: more than
    // the per-address rate allows (a refusal's own page is tested apart).
    let mut server = Server::start_chat_env(
        &[
            "--connect-rate-per-ip",
            "1000",
            "--connect-burst-per-ip",
            "1000",
        ],
        &[("CHATROOM_ADMIN_PASSWORD", "teach")],
    );
    let mut teacher = server.login("miss_k");
    teacher.send("OPER teach");
    teacher.expect("OK You are an operator");
    let Some(mut browser) = Browser::start() else {
        return;
    };
    let url = format!("http://{}/", server.addr);
    let tab = browser.open(&url);
    let mut failed = Vec::new();
    for n in 0..20 {
        browser.evaluate(&tab, "location.reload()");
        std::thread::sleep(std::time::Duration::from_millis(100));
        if !shows_the_chat(&mut browser, &tab) {
            failed.push(format!("reload {n}"));
        }
    }
    for n in 0..20 {
        let second = browser.open(&url);
        if !shows_the_chat(&mut browser, &second) {
            failed.push(format!("second tab {n}"));
        }
        browser.close(second);
    }
    browser.close(tab);
    for n in 0..20 {
        let name = format!("pat{n}");
        let tab = browser_user(&mut browser, &mut server, &name);
        teacher.send(&format!("KICK {name} testing"));
        browser.wait_for(
            &tab,
            "document.getElementById('status').dataset.state === 'closed'",
        );
        browser.evaluate(&tab, "location.reload()");
        std::thread::sleep(std::time::Duration::from_millis(100));
        if !shows_the_chat(&mut browser, &tab) {
            failed.push(format!("reopen after kick {n}"));
        }
        browser.close(tab);
    }
    assert!(
        failed.is_empty(),
        "the page did not open: {failed:?}\n{:#?}",
        server.log_so_far()
    );
}

/// Issue 21, item 6: a browser refused at the door (here: too many new
/// connections from its address) gets an HTTP answer with a page saying
/// why, not a bare `ERROR` line (`nc` still gets the line:
/// tests/attacks.rs), and a browser's
/// silent spare connection is closed with nothing said.
#[test]
fn a_refused_browser_gets_an_http_page_and_nc_the_error_line() {
    let mut server =
        Server::start_chat(&["--connect-rate-per-ip", "1", "--connect-burst-per-ip", "1"]);
    let host = format!("Host: {}\r\n", server.addr);
    let page = http(&server, &format!("GET / HTTP/1.1\r\n{host}\r\n"));
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    // A connection closed at once, nameless, gives its token back (see
    // tests/attacks.rs, issue 22): one held open spends it. Several
    // readers accept at once, so the next connection could be admitted
    // first: wait until the server says it took this one in.
    let held = TcpStream::connect(server.addr).expect("connect");
    let port = held.local_addr().expect("local address").port();
    server.wait_log(&format!("Accepted connection from: 127.0.0.1:{port}"));
    let refused = http(&server, &format!("GET / HTTP/1.1\r\n{host}\r\n"));
    assert!(
        refused.starts_with("HTTP/1.1 429 Too Many Requests\r\n"),
        "{refused}"
    );
    assert!(
        refused.contains("Content-Type: text/html; charset=utf-8\r\n")
            && refused.contains("<h1>The chat server cannot take you in</h1>")
            && refused.contains("<p>Too many new connections from your address")
            && refused.contains("<p>For about a minute; then reload this page.</p>"),
        "{refused}"
    );
    let mut spare = TcpStream::connect(server.addr).expect("connect");
    spare.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    let mut said = Vec::new();
    spare.read_to_end(&mut said).expect("closed");
    assert_eq!(
        String::from_utf8_lossy(&said),
        "",
        "a spare connection was sent bytes"
    );
}

/// A CTCP VERSION from an IRC user to someone in the chat page is answered
/// by the server, saying they use the web page (not "a program").
#[test]
fn a_ctcp_version_to_a_page_user_says_they_use_the_web_page() {
    let server = Server::start_chat(&[]);
    let mut socket = Socket::open(&server);
    socket.send(Opcode::Text, b"USERNAME carol");
    socket.expect("OK Welcome, carol!");
    let mut alice = server.connect();
    alice.send("NICK alice");
    alice.send("USER alice 0 * :Alice");
    alice.expect(":chatroom.local 376 alice :End of /MOTD command.");
    alice.send("PRIVMSG carol :\x01VERSION\x01");
    let version = env!("CARGO_PKG_VERSION");
    alice.expect_next(&format!(
        ":carol!carol@chatroom NOTICE alice :\x01VERSION chatroom {version} \
         (carol uses the web page; answered by the server)\x01"
    ));
    alice.send("PRIVMSG carol :\x01FINGER\x01");
    alice.expect_next(
        ":chatroom.local NOTICE alice :carol uses the web page, which cannot answer CTCP FINGER",
    );
}

/// Pastes `text` into the page's input the way a browser does (a `paste`
/// event carrying the clipboard's text).
fn paste(browser: &mut Browser, tab: &Tab, text: &str) {
    let script = format!(
        "(() => {{ const data = new DataTransfer(); data.setData('text/plain', {}); \
         const input = document.getElementById('input'); input.focus(); \
         input.dispatchEvent(new ClipboardEvent('paste', \
           {{clipboardData: data, bubbles: true, cancelable: true}})); }})()",
        Json::from(text).to_text()
    );
    browser.evaluate(tab, &script);
}

/// A long line and a multi-line paste in the real page: the long line is
/// held back with its byte count (é is 2 bytes) and the connection and the
/// text stay; 25 pasted lines (more than the flood burst) all reach the
/// room as separate messages, paced under the limit; a paste that cannot
/// be sent says why.
#[test]
fn a_long_line_and_a_multi_line_paste_never_lose_the_connection_or_the_text() {
    let mut server = Server::start_chat(&[]);
    let mut bob = nc_user(&server, "bob");
    let Some(mut browser) = Browser::start() else {
        return;
    };
    let tab = browser_user(&mut browser, &mut server, "alice");
    bob.expect("JOIN #general alice");

    let long = "é".repeat(600); // 600 characters, 1,200 bytes
    browser.evaluate(
        &tab,
        &format!(
            "const input = document.getElementById('input'); input.value = {}; \
             input.dispatchEvent(new Event('input')); document.getElementById('send').click()",
            Json::from(long.as_str()).to_text()
        ),
    );
    assert_eq!(
        browser.evaluate(&tab, "document.getElementById('input-note').textContent"),
        Json::from(
            "1200 of 1024 bytes: too long to send as one line. \
             Shorten it, or split it into several lines."
        )
    );
    assert_eq!(
        browser.evaluate(&tab, "document.getElementById('input').value"),
        Json::from(long.as_str()),
        "the text stays to be shortened"
    );

    let lines: Vec<String> = (1..=25)
        .map(|n| format!("    line {n} of the code"))
        .collect();
    browser.evaluate(&tab, "document.getElementById('input').value = ''");
    paste(&mut browser, &tab, &lines.join("\n"));
    assert_eq!(
        browser.evaluate(&tab, "document.getElementById('input-note').textContent"),
        Json::from(
            "Pasted 25 lines: Send sends them as 25 messages, a few a second (Esc cancels)."
        )
    );
    browser.evaluate(&tab, "document.getElementById('send').click()");
    for n in 1..=25 {
        assert_eq!(
            bob.line(),
            format!("ROOM #general alice line {n} of the code")
        );
    }
    assert!(
        !server
            .log_so_far()
            .iter()
            .any(|l| l.contains("Flood control")),
        "the paste tripped flood control"
    );
    assert_eq!(
        browser.evaluate(&tab, "document.getElementById('status').dataset.state"),
        Json::from("open")
    );

    // Too many lines, or one too long: not sent, and the page says why.
    let many: Vec<String> = (1..=60).map(|n| format!("row {n}")).collect();
    paste(&mut browser, &tab, &many.join("\n"));
    assert_eq!(
        browser.evaluate(&tab, "document.getElementById('input-note').textContent"),
        Json::from(
            "That paste has 60 lines; the chat takes at most 50 at once (the server \
             limits lines a second). Share it as a file or a link instead."
        )
    );
    paste(&mut browser, &tab, &format!("short\n{}", "x".repeat(1100)));
    assert_eq!(
        browser.evaluate(&tab, "document.getElementById('input-note').textContent"),
        Json::from(
            "Line 2 of that paste is 1100 bytes; the limit is 1024 bytes a line. \
             Shorten it and paste again."
        )
    );
    bob.assert_nothing_pending("USERS", "USERLIST");
}

/// JavaScript: is the state banner shown, inside the window, with `text`?
fn banner_in_view(text: &str) -> String {
    format!(
        "(() => {{ const b = document.getElementById('state-banner'); \
         const r = b.getBoundingClientRect(); \
         return !b.hidden && b.textContent === {} && r.top >= 0 && r.bottom <= window.innerHeight \
           && r.height > 0; }})()",
        Json::from(text).to_text()
    )
}

fn input_disabled(browser: &mut Browser, tab: &Tab) -> bool {
    browser.evaluate(tab, "document.getElementById('input').disabled") == Json::Bool(true)
}

/// Issue 21, item 7: muted, kicked (with a ban) and shut down, on a phone
/// (390×844) and a laptop (1280×800), under a long conversation: the reason
/// is in view, in plain words, the member list is emptied and the input is
/// disabled until it can be used again (the typed text kept).
#[test]
fn muted_kicked_and_shut_down_are_said_in_view_and_the_input_is_disabled() {
    let Some(mut browser) = Browser::start() else {
        return;
    };
    for (width, height) in [(390, 844), (1280, 800)] {
        let mut server = Server::start_chat_env(
            &["--rate-per-sec", "0"],
            &[("CHATROOM_ADMIN_PASSWORD", "teach")],
        );
        let mut teacher = server.login("miss_k");
        teacher.send("OPER teach");
        teacher.expect("OK You are an operator");
        teacher.send("JOIN #general");
        teacher.expect("OK Joined #general (0 users)");
        let tab = browser_user(&mut browser, &mut server, "pat");
        browser.viewport(&tab, width, height);
        teacher.expect("JOIN #general pat");
        for n in 1..=60 {
            teacher.send(&format!("MSG line {n} of a long lesson"));
        }
        browser.wait_for(&tab, &shows_message("miss_k", "line 60 of a long lesson"));
        browser.evaluate(
            &tab,
            "document.getElementById('input').value = 'half typed'",
        );

        teacher.send("MUTE pat");
        let muted =
            "You are muted by miss_k: your messages reach nobody until a teacher unmutes you.";
        browser.wait_for(&tab, &banner_in_view(muted));
        assert!(
            input_disabled(&mut browser, &tab),
            "{width}: muted, input on"
        );
        teacher.send("UNMUTE pat");
        browser.wait_for(
            &tab,
            "document.getElementById('state-banner').hidden && \
             !document.getElementById('input').disabled",
        );
        assert_eq!(
            browser.evaluate(&tab, "document.getElementById('input').value"),
            Json::from("half typed")
        );

        teacher.send("KICK pat 10m talking over the teacher");
        let kicked = "You were kicked out by miss_k: talking over the teacher. Your address \
                      is banned for 10 minutes; reload the page after that to come back.";
        browser.wait_for(&tab, &banner_in_view(kicked));
        browser.wait_for(
            &tab,
            "document.getElementById('status').dataset.state === 'closed'",
        );
        assert!(
            input_disabled(&mut browser, &tab),
            "{width}: kicked, input on"
        );
        assert_eq!(
            browser.evaluate(
                &tab,
                "document.querySelectorAll('#members li').length + ' ' + \
                 document.body.innerText.includes('You left the chat')"
            ),
            Json::from("0 false"),
            "{width}: a stale member list, or 'You left the chat' after a kick"
        );
        browser.close(tab);

        // The server goes away: said in view, input off until it is back.
        let mut server = Server::start_chat(&[]);
        let tab = browser_user(&mut browser, &mut server, "sam");
        browser.viewport(&tab, width, height);
        server.signal("INT");
        let gone = "The server shut down. The page reconnects by itself when it is back; \
                    what you typed is kept.";
        browser.wait_for(&tab, &banner_in_view(gone));
        assert!(
            input_disabled(&mut browser, &tab),
            "{width}: server gone, input on"
        );
        server.wait_exit();
        browser.close(tab);
    }
}

/// Issue 21, item 8: a teacher in the page, the server restarted. With the
/// same teacher password the page asks again and the buttons come back;
/// with another, the buttons are hidden and the teacher is told, never
/// left with buttons that answer "Not an operator".
#[test]
fn after_a_restart_the_page_shows_the_role_the_connection_really_has() {
    let Some(mut browser) = Browser::start() else {
        return;
    };
    let start = |port: &str, password: &str| {
        Server::start_chat_env(&["--port", port], &[("CHATROOM_ADMIN_PASSWORD", password)])
    };
    let mut server = start("0", "teach-one");
    let port = server.addr.port().to_string();
    let tab = browser_user(&mut browser, &mut server, "miss_k");
    type_and_send(&mut browser, &tab, "/op teach-one");
    let tools_shown = "document.body.dataset.operator === 'yes' && \
                       !document.getElementById('operator-tools').hidden";
    browser.wait_for(&tab, tools_shown);

    // Restarted with the same password: operator again, by itself.
    server.signal("INT");
    server.wait_exit();
    let mut server = start(&port, "teach-one");
    browser.wait_for(
        &tab,
        "document.body.innerText.includes('You are an operator again (the server restarted)')",
    );
    browser.wait_for(&tab, tools_shown);
    server.wait_log("miss_k (127.0.0.1:");

    // Restarted with another password: the buttons go, and the page says why.
    server.signal("INT");
    server.wait_exit();
    let server = start(&port, "teach-two");
    browser.wait_for(
        &tab,
        "document.getElementById('error').textContent === 'You are no longer an operator: \
         the server restarted with another teacher password. Type /op <password> with the new one.'",
    );
    assert_eq!(
        browser.evaluate(
            &tab,
            "document.body.dataset.operator + '|' + document.getElementById('operator-tools').hidden"
        ),
        Json::from("|true")
    );
    drop(server);
}

/// Issue 21, item 6: a banned address and a full server, asked for the
/// page, get an HTML page saying why and until when, under 403 and 503.
#[test]
fn a_banned_address_gets_403_and_a_full_server_503_with_a_page_saying_until_when() {
    let server = Server::start_chat_env(&[], &[("CHATROOM_ADMIN_PASSWORD", "teach")]);
    let host = format!("Host: {}\r\n", server.addr);
    let mut teacher = server.login("miss_k");
    teacher.send("OPER teach");
    teacher.expect("OK You are an operator");
    let _bob = server.login("bob");
    teacher.send("KICK bob 10m testing the ban");
    teacher.expect("OK Kicked bob");
    let banned = http(&server, &format!("GET / HTTP/1.1\r\n{host}\r\n"));
    assert!(banned.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{banned}");
    assert!(
        banned.contains("Content-Type: text/html; charset=utf-8\r\n"),
        "{banned}"
    );
    assert!(banned.contains("Retry-After: 6"), "{banned}"); // 600 s, or a second less
    assert!(
        banned.contains("<p>Your address is banned from this server for another 6"),
        "{banned}"
    );
    let until = banned
        .split("<p>Until ")
        .nth(1)
        .unwrap_or_else(|| panic!("no 'Until' in {banned}"));
    assert!(
        until.contains(" UTC (in ") && until.contains(" s); then reload this page."),
        "{until}"
    );

    let server = Server::start_chat(&["--max-clients", "1"]);
    let host = format!("Host: {}\r\n", server.addr);
    let _alice = server.login("alice");
    let full = http(&server, &format!("GET / HTTP/1.1\r\n{host}\r\n"));
    assert!(
        full.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{full}"
    );
    assert!(full.contains("<p>Server full.</p>"), "{full}");
    assert!(
        full.contains(
            "<p>Until someone leaves: every place is taken. Reload this page in a minute.</p>"
        ),
        "{full}"
    );
}
