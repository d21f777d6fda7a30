//! The chat server against slow, silly and hostile clients, and as a process:
//! a client that never reads, over-long lines, bytes that are not text,
//! terminal escape sequences, telnet's negotiation and line endings, a full
//! server, flooding, thousands of connections coming and going, a clean
//! shutdown on SIGTERM, mistakes on the command line, and a connection
//! that went idle long enough to give its stack pages back.
//!
//! Everything here runs the real `step4_server` over real TCP. Where a test
//! needs to know the server has released something (threads, descriptors), it
//! polls `/proc/<pid>` with a deadline rather than sleeping a fixed time.

mod common;

use assert_cmd::Command;
use common::{eventually, fd_count, thread_count, Client, Server, GREETING, TIMEOUT};
use std::thread;
use std::time::{Duration, Instant};

/// Proves nothing is queued for a protocol-mode client.
fn assert_quiet(client: &mut Client) {
    client.assert_nothing_pending("ROOMS", "ROOMLIST");
}

/// alice and bob, protocol mode, both in #general, with all join lines read.
fn alice_and_bob(server: &Server) -> (Client, Client) {
    let mut alice = server.login("alice");
    assert_eq!(alice.ask("JOIN #general"), "OK Joined #general (0 users)");
    let mut bob = server.login("bob");
    bob.send("JOIN #general");
    bob.expect_lines(&["OK Joined #general (1 users)", "JOIN #general alice"]);
    alice.expect_next("JOIN #general bob");
    (alice, bob)
}

/// A client that stops reading is cut off once its queue is full; the others
/// keep receiving every message, promptly.
#[test]
fn a_client_that_never_reads_is_disconnected() {
    /// Lines per burst: the reader confirms each burst before the next, so a
    /// reader that keeps up never has more than this many lines queued.
    const BURST: usize = 10;
    /// Give up if the stalled client has not been cut off after this many
    /// (~1000-byte) lines: the kernel's socket buffers take a few megabytes.
    const MAX_LINES: usize = 20_000;
    let mut server = Server::start_chat(&["--queue-len", "16", "--rate-per-sec", "0"]);
    let mut reader = server.login("reader");
    reader.ask("JOIN #general");
    let mut stalled = server.login("stalled");
    stalled.ask("JOIN #general");
    reader.expect_next("JOIN #general stalled");
    // The sender is in chat mode, so it gets no echo it would have to read.
    let mut sender = server.nick("sender");
    sender.expect_next("*** You joined #general. Here: reader, stalled");
    reader.expect_next("JOIN #general sender");

    // The reader reports on a channel how many messages it has received.
    let (progress, received) = std::sync::mpsc::channel();
    let reading = thread::spawn(move || {
        let mut count = 0;
        loop {
            let line = reader.line();
            if line == "LEAVE #general stalled" {
                let _ = progress.send(None);
                continue;
            }
            if line == "ROOM #general sender done" {
                return reader;
            }
            assert!(
                line.starts_with("ROOM #general sender ")
                    && line.ends_with(&format!(" {count:05}")),
                "message {count} missing or out of order: {:.40}",
                line
            );
            count += 1;
            let _ = progress.send(Some(count));
        }
    });
    let filler = "x".repeat(990);
    let mut sent = 0;
    let mut confirmed = 0;
    let mut saw_leave = false;
    let mut slowest = Duration::ZERO;
    let mut cut_off_after = None;
    while sent < cut_off_after.map_or(MAX_LINES, |n: usize| n + 500) {
        let burst: String = (sent..sent + BURST)
            .map(|n| format!("{filler} {n:05}\r\n"))
            .collect();
        let started = Instant::now();
        sender.send_raw(burst.as_bytes());
        sent += BURST;
        while confirmed < sent {
            match received
                .recv_timeout(TIMEOUT)
                .expect("reader stopped receiving")
            {
                Some(count) => confirmed = count,
                None => saw_leave = true,
            }
        }
        slowest = slowest.max(started.elapsed());
        if cut_off_after.is_none()
            && server
                .log_so_far()
                .iter()
                .any(|l| l.contains("send queue full"))
        {
            cut_off_after = Some(sent);
        }
    }
    sender.send("done");
    let mut reader = reading.join().expect("reader thread");
    assert!(cut_off_after.is_some(), "stalled was never disconnected");
    let log = server.log_so_far();
    let cut = log.iter().find(|l| l.contains("send queue full"));
    assert!(
        cut.is_some_and(|l| l.contains("Disconnected stalled (")),
        "{log:#?}"
    );
    eprintln!("stalled was cut off after {cut_off_after:?} lines");
    while !saw_leave {
        saw_leave = received
            .recv_timeout(TIMEOUT)
            .expect("no LEAVE line")
            .is_none();
    }
    assert!(
        slowest < Duration::from_secs(2),
        "a burst took {slowest:?} to reach the reader"
    );
    assert_quiet(&mut reader);
    // The stalled client's connection was closed before it got everything.
    let mut got = 0;
    while let Some(line) = stalled.try_line() {
        got += usize::from(line.starts_with("ROOM "));
    }
    assert!(got < sent, "stalled got all {sent} lines");
}

#[test]
fn over_long_lines_are_refused_and_the_connection_stays_usable() {
    let server = Server::start_chat(&[]);
    let (mut alice, mut bob) = alice_and_bob(&server);
    // 1024 bytes is the limit, the line ending not counted.
    let exact = format!("MSG {}", "a".repeat(1020));
    assert_eq!(exact.len(), 1024);
    assert_eq!(
        alice.ask(&exact),
        format!("ROOM #general alice {}", &exact[4..])
    );
    bob.expect_next(&format!("ROOM #general alice {}", &exact[4..]));
    let over = format!("MSG {}", "b".repeat(1021));
    assert_eq!(alice.ask(&over), "ERROR Line too long (max 1024 bytes)");
    // A huge line is reported once, and what follows it still works.
    alice.send(&format!("MSG {}", "c".repeat(200_000)));
    alice.expect_next("ERROR Line too long (max 1024 bytes)");
    assert_eq!(
        alice.ask("MSG still here"),
        "ROOM #general alice still here"
    );
    bob.expect_next("ROOM #general alice still here");
    assert_quiet(&mut bob);

    let small = Server::start_chat(&["--max-line-bytes", "16"]);
    let mut carol = small.login("carol");
    carol.ask("JOIN #general");
    assert_eq!(
        carol.ask("MSG 123456789012"),
        "ROOM #general carol 123456789012"
    );
    assert_eq!(
        carol.ask("MSG 1234567890123"),
        "ERROR Line too long (max 16 bytes)"
    );
    let mut dave = small.nick("dave");
    dave.expect_next("*** You joined #general. Here: carol");
    dave.send("this line is too long");
    dave.expect_next("[error] Line too long (max 16 bytes)");
}

/// A reader idle for a second gives back its deep stack pages and then
/// waits with a small read buffer (`support::stack`, `server/connection.rs`):
/// what comes after that still works, however deep it goes or however long
/// the line: a maximal line (read in pieces), a refused one, a join.
#[test]
fn a_connection_that_went_idle_still_handles_everything() {
    let server = Server::start_chat(&[]);
    let (mut alice, mut bob) = alice_and_bob(&server);
    let mut carols = Vec::new();
    for round in 0..2 {
        // Nothing to synchronise on: the release happens after a second of
        // silence, so the test is silent for longer than that.
        thread::sleep(Duration::from_millis(1500));
        let exact = format!("MSG {round}{}", "a".repeat(1019));
        assert_eq!(
            alice.ask(&exact),
            format!("ROOM #general alice {}", &exact[4..])
        );
        bob.expect_next(&format!("ROOM #general alice {}", &exact[4..]));
        thread::sleep(Duration::from_millis(1500));
        let over = format!("MSG {}", "b".repeat(1021));
        assert_eq!(alice.ask(&over), "ERROR Line too long (max 1024 bytes)");
        thread::sleep(Duration::from_millis(1500));
        let mut carol = server.login(&format!("carol{round}"));
        assert_eq!(
            carol.ask("JOIN #general"),
            format!("OK Joined #general ({} users)", round + 2)
        );
        alice.expect_next(&format!("JOIN #general carol{round}"));
        bob.expect_next(&format!("JOIN #general carol{round}"));
        carols.push(carol);
    }
    assert_quiet(&mut bob);
}

#[test]
fn invalid_utf8_is_refused_and_not_relayed() {
    let server = Server::start_chat(&[]);
    let (mut alice, mut bob) = alice_and_bob(&server);
    alice.send_raw(b"MSG caf\xe9 latin-1\r\n");
    alice.expect_next("ERROR Message must be UTF-8 text");
    // telnet's escaped 255 (IAC IAC) is the byte 255: not UTF-8 either.
    alice.send_raw(b"MSG \xff\xff\r\n");
    alice.expect_next("ERROR Message must be UTF-8 text");
    alice.send_raw(b"PRIVMSG bob \xc3\x28\r\n");
    alice.expect_next("ERROR Message must be UTF-8 text");
    assert_quiet(&mut bob);
    assert_eq!(
        alice.ask("MSG caf\u{e9} ok"),
        "ROOM #general alice caf\u{e9} ok"
    );

    let mut carol = server.nick("carol");
    carol.expect_next("*** You joined #general. Here: alice, bob");
    carol.send_raw(b"\xfe\xfe\r\n");
    carol.expect_next("[error] Message must be UTF-8 text");
}

#[test]
fn control_characters_and_bidi_overrides_never_reach_others() {
    let server = Server::start_chat(&[]);
    let (mut alice, mut bob) = alice_and_bob(&server);
    let mut carol = server.nick("carol");
    carol.line(); // joined #general
    alice.expect_next("JOIN #general carol");
    bob.expect_next("JOIN #general carol");

    // ESC sequences (clear screen, set title), BEL, a C1 CSI, bidi overrides
    // and isolates: each terminal sequence goes whole, its parameters too; a
    // TAB is kept for programs, and is one space on a person's terminal
    // (where runs of blanks are collapsed, so padding cannot fake a line).
    let hostile = "a\u{1b}[2Jb\u{7}c\u{9b}31md\u{202e}e\u{2066}f\u{2069}g\u{1b}]0;owned\u{7}h\ti";
    let cleaned = "abcdefgh\ti";
    alice.send(&format!("MSG {hostile}"));
    alice.expect_next(&format!("ROOM #general alice {cleaned}"));
    bob.expect_next(&format!("ROOM #general alice {cleaned}"));
    carol.expect_next(&format!("alice: {}", cleaned.replace('\t', " ")));
    carol.send(hostile);
    alice.expect_next(&format!("ROOM #general carol {cleaned}"));
    bob.expect_next(&format!("ROOM #general carol {cleaned}"));
    // Private messages are cleaned too.
    assert_eq!(alice.ask("PRIVMSG bob \u{1b}[31mred\u{1b}[0m"), "OK Sent");
    bob.expect_next("PRIVMSG alice red");
    // Nothing left is nothing to say.
    assert_eq!(alice.ask("MSG \u{1b}\u{7}\u{202e}"), "ERROR Empty message");
    assert_quiet(&mut bob);
}

#[test]
fn telnet_negotiation_line_endings_and_editing() {
    let server = Server::start_chat(&[]);
    let (mut alice, mut bob) = alice_and_bob(&server);
    // IAC DO ECHO, IAC WILL NAWS, IAC SB NAWS 0 80 0 24 IAC SE, IAC NOP,
    // then a telnet line ending `\r\0`.
    let mut bytes = vec![255, 253, 1];
    bytes.extend_from_slice(b"MSG h");
    bytes.extend_from_slice(&[255, 251, 31, b'i', 255, 250, 31, 0, 80, 0, 24, 255, 240]);
    bytes.extend_from_slice(&[255, 241, b'!', b'\r', 0]);
    alice.send_raw(&bytes);
    alice.expect_next("ROOM #general alice hi!");
    bob.expect_next("ROOM #general alice hi!");

    // Bare `\r`, `\r\0`, `\n` and `\r\n` all end a line.
    alice.send_raw(b"MSG one\rMSG two\r\0MSG three\nMSG four\r\n");
    for text in ["one", "two", "three", "four"] {
        bob.expect_next(&format!("ROOM #general alice {text}"));
    }
    // Backspace and DEL delete the character before them, whole.
    alice.send_raw(b"MSG helo\x08lo\r\n");
    bob.expect_next("ROOM #general alice hello");
    alice.send_raw("MSG caf\u{e9}\x7fe \u{20ac}\x7f!\r\n".as_bytes());
    bob.expect_next("ROOM #general alice cafe !");
    // A stray NUL is dropped.
    alice.send_raw(b"MSG n\0ul\r\n");
    bob.expect_next("ROOM #general alice nul");
    // A telnet user registering in chat mode.
    let mut carol = server.connect();
    carol.send_raw(b"\xff\xfd\x01\xff\xfb\x1f/nick carol\r\0");
    carol.expect_lines(&GREETING);
    carol.expect_next(
        "*** Welcome, carol! Type a message and press Enter to send it. /help lists commands.",
    );
}

#[test]
fn a_full_server_says_so_and_closes() {
    let mut server = Server::start_chat(&["--max-clients", "2"]);
    let mut alice = server.login("alice");
    let _bob = server.login("bob");
    // Full: only an operator's password is let in (see src/server/reserve.rs).
    // A person says nothing at first, and is told how the door works (a
    // browser, which speaks at once, gets a 503 page instead).
    let mut refused = server.connect();
    refused.expect_next(
        "NOTICE Server full: only an operator may come in now (/op <password> as your first line, within 10 s)",
    );
    refused.send("hello");
    assert_eq!(refused.read_to_close(), ["ERROR Server full"]);
    server.wait_log("Server full");
    // A place frees up when someone leaves.
    alice.send("QUIT");
    alice.read_to_close();
    let _carol = server.login("carol");
    let mut refused = server.connect();
    refused.send("/nick dave");
    assert_eq!(
        refused.read_to_close().last().map(String::as_str),
        Some("ERROR Server full")
    );
}

/// Sends `count` numbered messages in one write; returns the numbers that
/// were relayed (the sender's echoes) and every other line it got.
fn burst(alice: &mut Client, count: usize) -> (Vec<usize>, Vec<String>) {
    let lines: String = (0..count).map(|n| format!("MSG m{n}\r\n")).collect();
    alice.send_raw(lines.as_bytes());
    // Once the bucket has refilled, a probe gets through: every line of the
    // burst was handled before it (a reader handles lines in order).
    // Waiting here is the point of the test: flood control is about time.
    thread::sleep(Duration::from_millis(250));
    alice.send("ROOMS");
    let mut relayed = Vec::new();
    let mut other = Vec::new();
    for line in alice.read_until(|line| line.starts_with("ROOMLIST")) {
        match line.strip_prefix("ROOM #general alice m") {
            Some(n) => relayed.push(n.parse().expect("message number")),
            None => other.push(line),
        }
    }
    (relayed, other)
}

#[test]
fn flood_control_refuses_lines_over_the_rate() {
    let mut server = Server::start_chat(&[]);
    let (mut alice, mut bob) = alice_and_bob(&server);
    let (relayed, other) = burst(&mut alice, 60);
    // A program hears about every line it lost, so it can count them.
    assert!(
        other
            .iter()
            .all(|l| l == "ERROR Slow down (max 10 lines/s)"),
        "{other:?}"
    );
    assert_eq!(relayed.len() + other.len(), 60, "a line went unanswered");
    // What is left of the burst allowance of 20 lines (USERNAME and JOIN
    // took two) passes, then about 10 lines a second; the burst is handled
    // in well under a second.
    assert!(
        (18..28).contains(&relayed.len()),
        "{} of 60 lines relayed: {relayed:?}",
        relayed.len()
    );
    assert_eq!(relayed[..18], (0..18).collect::<Vec<_>>());
    // The log names the person, not a connection number.
    server.wait_log("Flood control: alice (127.0.0.1:");
    // Refused lines were not relayed.
    for n in &relayed {
        bob.expect_next(&format!("ROOM #general alice m{n}"));
    }
    assert_quiet(&mut bob);

    let unlimited = Server::start_chat(&["--rate-per-sec", "0"]);
    let (mut alice, _bob) = alice_and_bob(&unlimited);
    let (relayed, other) = burst(&mut alice, 200);
    assert!(other.is_empty(), "{other:?}");
    assert_eq!(relayed, (0..200).collect::<Vec<_>>());
}

/// Waits until `count(pid)` is the same five polls in a row; returns it.
fn settled(pid: u32, count: fn(u32) -> usize) -> usize {
    let mut last = count(pid);
    let mut same = 0;
    let deadline = Instant::now() + TIMEOUT;
    while same < 5 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
        let now = count(pid);
        same = if now == last { same + 1 } else { 0 };
        last = now;
    }
    last
}

/// Thousands of connections come and go in every way a connection can end;
/// afterwards the server holds no more threads or file descriptors than
/// before.
#[test]
fn connections_coming_and_going_leave_nothing_behind() {
    const WORKERS: usize = 4;
    const CYCLES: usize = 500; // per worker: 2000 in all
    let server = Server::start_chat(&[
        "--rate-per-sec",
        "0",
        // Hundreds of connections from 127.0.0.1 in a second.
        "--connect-rate-per-ip",
        "0",
    ]);
    let pid = server.pid();
    let threads_before = settled(pid, thread_count);
    let fds_before = settled(pid, fd_count);
    let addr = server.addr;

    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            thread::spawn(move || {
                let mut half_open = Vec::new();
                for i in 0..CYCLES {
                    let mut client = Client::connect(addr);
                    let name = format!("u{w}x{i}");
                    match i % 5 {
                        // Connect and hang up at once.
                        0 => {}
                        // Register and join, then hang up.
                        1 => {
                            client.login(&name);
                            assert!(client.ask("JOIN #churn").starts_with("OK Joined"));
                        }
                        // Send commands without reading a single reply.
                        2 => client.send(&format!("USERNAME {name}\r\nJOIN #churn\r\nMSG hi")),
                        // Half-open: stop sending but keep the socket open.
                        3 => {
                            if i % 2 == 1 {
                                client.login(&name);
                            }
                            client.shutdown_write();
                            half_open.push(client);
                            continue;
                        }
                        // The polite way.
                        _ => {
                            client.login(&name);
                            client.send("QUIT");
                            let lines = client.read_to_close();
                            assert_eq!(lines.last().map(String::as_str), Some("OK Goodbye!"));
                        }
                    }
                }
                half_open
            })
        })
        .collect();
    let half_open: Vec<Vec<Client>> = workers.into_iter().map(|w| w.join().unwrap()).collect();

    // The server must let go even while the half-open clients keep their
    // end: every socket closed, and no thread beyond those parked in the
    // pools for the next connections (at most 64 readers and 64 writers),
    // which retire once parked for 5 s.
    let threads_ok = eventually(|| thread_count(pid) <= threads_before + 2 * 64);
    let fds_ok = eventually(|| fd_count(pid) <= fds_before);
    assert!(
        threads_ok && fds_ok,
        "after 2000 connections: {} threads (before: {threads_before}), {} fds (before: {fds_before})",
        thread_count(pid),
        fd_count(pid)
    );
    let retire_by = Instant::now() + Duration::from_secs(20);
    while thread_count(pid) > threads_before && Instant::now() < retire_by {
        thread::sleep(Duration::from_millis(200));
    }
    assert!(
        thread_count(pid) <= threads_before,
        "the parked threads did not retire: {} threads (before: {threads_before})",
        thread_count(pid)
    );
    // The half-open ones were closed by the server, after their greeting or
    // welcome.
    for mut client in half_open.into_iter().flatten() {
        assert!(client
            .read_to_close()
            .iter()
            .all(|line| line.starts_with("NOTICE ") || line.starts_with("OK Welcome")));
    }
    // Nobody is left behind in the state either.
    let mut last = server.login("last");
    assert_eq!(last.ask("USERS"), "USERLIST last");
    assert_eq!(last.ask("ROOMS"), "ROOMLIST");
}

/// A loop of visits from one address (connect, register, quit) writes at
/// most 60 registrations and 60 departures a minute to the teacher's log;
/// the rest are counted, not listed. A class of 60 behind one school
/// address is still logged in full.
#[test]
fn a_loop_of_visits_from_one_address_is_counted_not_listed() {
    let mut server = Server::start_chat(&["--rate-per-sec", "0", "--connect-rate-per-ip", "0"]);
    for i in 0..100 {
        let mut client = server.login(&format!("visit{i}"));
        client.send("QUIT");
        let lines = client.read_to_close();
        assert_eq!(lines.last().map(String::as_str), Some("OK Goodbye!"));
    }
    // Each visit's lines were logged before its goodbye was written.
    let log = server.log_so_far();
    let count = |what: &str| log.iter().filter(|l| l.contains(what)).count();
    let (registered, departed) = (count("Registered visit"), count("Disconnected visit"));
    eprintln!(
        "100 visits from one address: {registered} registrations and {departed} departures logged"
    );
    assert_eq!((registered, departed), (60, 60), "{log:#?}");
    assert!(log.iter().any(|l| l.contains("Registered visit59 ")));
    assert!(!log.iter().any(|l| l.contains("Registered visit60 ")));
    assert!(count("Accepted connection from") <= 60);
}

#[test]
fn sigterm_tells_everyone_and_exits_cleanly() {
    let mut server = Server::start_chat(&[]);
    let mut alice = server.login("alice");
    alice.ask("JOIN #general");
    let mut bob = server.nick("bob");
    bob.expect_next("*** You joined #general. Here: alice");
    let mut lurker = server.connect();
    lurker.expect_lines(&GREETING);
    bob.send("last words");
    bob.assert_nothing_pending("/rooms", "*** Rooms:");

    server.signal("TERM");
    // What was queued before the notice arrives before it.
    assert_eq!(
        alice.read_to_close(),
        [
            "JOIN #general bob",
            "ROOM #general bob last words",
            "NOTICE Server shutting down"
        ]
    );
    assert_eq!(
        bob.read_to_close(),
        ["*** Connection closed by the server (the server is shutting down). Press Enter or Ctrl-C to return to your shell."]
    );
    assert_eq!(lurker.read_to_close(), ["NOTICE Server shutting down"]);
    let status = server.wait_exit();
    assert_eq!(status.code(), Some(0), "exit status {status:?}");
    server.wait_log("Server stopped");
}

#[test]
fn sigint_on_an_idle_server_exits_cleanly() {
    let mut server = Server::start_chat(&[]);
    server.signal("INT");
    assert_eq!(server.wait_exit().code(), Some(0));
    server.wait_log("Server stopped");
}

#[test]
fn a_port_in_use_is_one_clear_error() {
    let server = Server::start_chat(&[]);
    let port = server.addr.port().to_string();
    let output = Command::cargo_bin("step4_server")
        .unwrap()
        .args(["--host", "127.0.0.1", "--port", &port, "--no-history"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!(
            "error: cannot listen on 127.0.0.1:{port}: Address already in use: another program \
             holds port {port} (`ss -ltnp 'sport = :{port}'` shows which; maybe a server you \
             started earlier). Stop it, or pick another port: cargo run --bin step4_server -- \
             --port {}\n",
            server.addr.port() + 1
        )
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    for args in [
        &["--bogus"][..],
        &["--port", "seven"],
        &["--max-line-bytes", "8"],
        &["--port"],
    ] {
        let output = Command::cargo_bin("step4_server")
            .unwrap()
            .args(args)
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
}

#[test]
fn not_choosing_a_name_in_time_ends_the_connection() {
    let server = Server::start_chat(&["--register-timeout-secs", "1"]);
    let mut client = server.connect();
    client.send("HELP");
    let lines = client.read_to_close();
    assert_eq!(
        lines.last().map(String::as_str),
        Some("ERROR Registration timeout")
    );
    // A registered client is not timed out.
    let mut alice = server.login("alice");
    let mut bob = server.login("bob");
    // The rule is about time, so this waits past the deadline.
    thread::sleep(Duration::from_millis(1200));
    assert_eq!(alice.ask("PRIVMSG bob still here"), "OK Sent");
    bob.expect_next("PRIVMSG alice still here");
}

/// A client that reads nothing cannot hold up a shutdown: the server gives
/// writers a short while to deliver, then exits anyway.
#[test]
fn shutdown_does_not_wait_forever_for_a_client_that_never_reads() {
    // A long queue, so the stalled client stays connected.
    let mut server = Server::start_chat(&["--rate-per-sec", "0", "--queue-len", "100000"]);
    let mut alice = server.nick("alice");
    alice.line(); // joined #general
    let mut stalled = server.login("stalled");
    stalled.ask("JOIN #general");
    alice.expect_next("* stalled joined #general");
    // 8 MB: more than the kernel's socket buffers hold (about 4 MB here),
    // so the stalled client's writer ends up stuck in write().
    let filler = "y".repeat(1000);
    let burst: String = (0..100).map(|_| format!("{filler}\r\n")).collect();
    for _ in 0..80 {
        alice.send_raw(burst.as_bytes());
    }
    alice.assert_nothing_pending("/rooms", "*** Rooms:");
    let mut bob = server.login("bob");
    let started = Instant::now();
    server.signal("TERM");
    assert_eq!(bob.read_to_close(), ["NOTICE Server shutting down"]);
    assert_eq!(server.wait_exit().code(), Some(0));
    server.wait_log("did not take their last lines in time");
    server.wait_log("Server stopped");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    drop(stalled);
}

/// With a data directory, the room's recent messages survive a restart.
#[test]
fn history_in_a_data_dir_is_replayed_after_a_restart() {
    let dir = common::TempDir::new("srv-history");
    let args = [
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--data-dir",
        dir.path_str(),
    ];
    let mut server = Server::start("step4_server", &args);
    let mut alice = server.login("alice");
    alice.ask("JOIN #general");
    assert_eq!(
        alice.ask("before the restart"),
        "ROOM #general alice before the restart"
    );
    server.signal("TERM");
    alice.read_to_close();
    assert_eq!(server.wait_exit().code(), Some(0));

    let server = Server::start("step4_server", &args);
    let mut bob = server.login("bob");
    bob.timed_history();
    bob.send("JOIN #general");
    let joined: Vec<String> = (0..4).map(|_| common::untimed(&bob.line())).collect();
    assert_eq!(
        joined,
        [
            "OK Joined #general (0 users)",
            "HISTORY BEGIN #general 1",
            "HISTORY #general <time> alice before the restart",
            "HISTORY END #general",
        ]
    );
}

/// A browser pointed at the chat port gets a page saying how to connect,
/// not a screen of protocol errors, and is not counted as a chat user.
#[test]
fn a_web_browser_gets_a_page_and_the_connection_closes() {
    let server = Server::start_chat(&[]);
    let mut browser = server.connect();
    browser.send_raw(b"GET / HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n");
    let page = browser.read_to_close();
    assert!(page[0].starts_with("HTTP/1.1 200"), "{page:#?}");
    assert!(
        !page.iter().any(|line| line.starts_with("ERROR")),
        "{page:#?}"
    );
    let mut alice = server.login("alice");
    assert_eq!(alice.ask("USERS"), "USERLIST alice");
}

/// The first log line names the server's own pid, which the chapters'
/// exercises use (`kill -9 <pid>`, `/proc/<pid>/status`) instead of
/// `pgrep`, which on a shared machine may find another person's server.
#[test]
fn the_first_log_line_names_the_servers_pid() {
    let server = Server::start_chat(&[]);
    assert!(
        server.first_line.ends_with(&format!(
            "Chat server started on {} (pid {})",
            server.addr,
            server.pid()
        )),
        "{}",
        server.first_line
    );
}
