//! The attack suite: each row of issue 15's table, tried against the real
//! server, with the number that shows the defence holds.
//!
//! Two source addresses are needed to tell the attacker from an innocent
//! student, and a test machine has one: so the server listens on `::` (both
//! IPv4 and IPv6), the attacker connects to `127.0.0.1` (the server sees
//! `::ffff:127.0.0.1`) and the innocent student to `::1`, which the server
//! counts as another address. Each test takes a few seconds at most; the
//! numbers are printed (`cargo test --test attacks -- --nocapture`) for
//! docs/design.md ("What one student (or one script) cannot do, measured")
//! and the issue.
//!
//! Row 0 (a typed command relayed as chat) is proven with real terminals in
//! `tests/typed_commands.rs`; here its bytes are sent straight from a socket.

mod common;

use common::{Client, Server};
use std::net::{Ipv6Addr, SocketAddr};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ADMIN: &str = "teach";

/// `step4_server` on `::`, no history, operator password [`ADMIN`].
fn start(args: &[&str]) -> Server {
    Server::start_with(
        Command::new(common::bin("step4_server"))
            .args(["--host", "::", "--port", "0", "--no-history"])
            .args(args)
            .current_dir(std::env::temp_dir())
            .env_remove("CHATROOM_PASSWORD")
            .env("CHATROOM_ADMIN_PASSWORD", ADMIN),
    )
}

/// The attacker's address (`server.addr` is 127.0.0.1).
fn attacker(server: &Server) -> Client {
    Client::connect(server.addr)
}

/// An innocent student's address: `::1`.
fn student(server: &Server) -> Client {
    Client::connect(SocketAddr::from((Ipv6Addr::LOCALHOST, server.addr.port())))
}

fn register(client: &mut Client, name: &str) {
    client.send(&format!("USERNAME {name}"));
    client.expect(&format!("OK Welcome, {name}!"));
}

fn join(client: &mut Client, room: &str) {
    client.send(&format!("JOIN {room}"));
    client.read_until(|l| l.starts_with(&format!("OK Joined {room}")));
}

/// The first line the server says to a new connection: the greeting, or why
/// it was refused.
fn first_line(client: &mut Client) -> String {
    client.try_line().unwrap_or_default()
}

// ---- 0: a typed command is never broadcast --------------------------------

#[test]
fn row0_terminal_keys_before_a_command_never_make_it_chat() {
    let server = start(&[]);
    let mut bob = student(&server);
    register(&mut bob, "bob");
    join(&mut bob, "#general");
    let mut teacher = attacker(&server);
    teacher.send("/nick teach");
    teacher.read_until(|l| l.starts_with("*** You joined #general"));
    bob.expect("JOIN #general teach");
    for (typed, answer) in [
        (format!("\x0c/op {ADMIN}"), "*** You are an operator now."),
        ("\x1b[A/mute bob".to_string(), "*** Muted bob"),
        ("oops\x15/unmute bob".to_string(), "*** Unmuted bob"),
        ("\u{200b} /users".to_string(), "*** In #general: "),
    ] {
        teacher.send(&typed);
        teacher.read_until(|l| l.starts_with(answer));
    }
    bob.expect("NOTICE You were muted by teach");
    bob.expect("NOTICE You were unmuted by teach");
    // The last guard: a line that still starts with `/` is a command or an
    // error, never chat.
    teacher.send("/opp typo");
    teacher.expect("[error] Unknown command /opp (try /help)");
    bob.assert_nothing_pending("ROOMS", "ROOMLIST");
}

// ---- 1: fair shares --------------------------------------------------------

#[test]
fn row1_one_address_cannot_fill_the_server_with_nameless_connections() {
    let server = start(&[]);
    let started = Instant::now();
    let mut held = Vec::new();
    let mut refusals = Vec::new();
    let mut tries: Vec<Client> = (0..150).map(|_| attacker(&server)).collect();
    for mut client in tries.drain(..) {
        let line = first_line(&mut client);
        if line.starts_with("NOTICE") {
            held.push(client);
        } else {
            refusals.push(line);
        }
    }
    eprintln!(
        "row 1: one address opened 150 connections in {:?}: {} held, {} refused",
        started.elapsed(),
        held.len(),
        refusals.len()
    );
    assert_eq!(held.len(), 100, "max_unregistered_per_ip is 100");
    assert!(refusals.iter().all(|l| l
        == "ERROR Too many connections without a name from your address (max 100): choose a name in the ones you have"));
    // A student from another address gets in and talks at once.
    let mut alice = student(&server);
    register(&mut alice, "alice");
    assert_eq!(alice.ask("ROOMS"), "ROOMLIST");
}

#[test]
fn row1_a_class_behind_one_address_gets_in_and_a_flood_does_not() {
    let server = start(&[]);
    // 60 students behind one school NAT arrive within a second and register.
    let mut class: Vec<Client> = (0..60).map(|_| attacker(&server)).collect();
    for (n, client) in class.iter_mut().enumerate() {
        register(client, &format!("student{n}"));
    }
    assert_eq!(class[59].ask("ROOMS"), "ROOMLIST");
    // Bots, ten at a time, get the rest of the burst of 120 (and the one a
    // second it refills at), then are refused in words.
    let started = Instant::now();
    let mut bots = 0;
    let mut refused = None;
    while refused.is_none() {
        let batch: Vec<Client> = (0..10).map(|_| attacker(&server)).collect();
        for mut bot in batch {
            let line = first_line(&mut bot);
            if line.starts_with("NOTICE") {
                register(&mut bot, &format!("bot{bots}"));
                class.push(bot);
                bots += 1;
            } else {
                refused = Some(line);
            }
        }
    }
    assert_eq!(
        refused.as_deref(),
        Some("ERROR Too many new connections from your address (max 60 a minute): wait a little")
    );
    eprintln!(
        "row 1: after a class of 60, one address got {bots} more connections in {:?}",
        started.elapsed()
    );
    let refills = started.elapsed().as_secs() as usize + 1;
    assert!((60..=60 + refills).contains(&bots), "{bots}");
}

#[test]
fn row1_a_registered_connection_that_says_nothing_is_closed() {
    let server = start(&["--idle-timeout-secs", "1"]);
    let mut bot = attacker(&server);
    register(&mut bot, "bot");
    let started = Instant::now();
    assert_eq!(
        bot.read_to_close(),
        ["ERROR Idle for 1 s: closing the connection"]
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
}

// ---- 2 and 3: guessing passwords --------------------------------------------

/// Guesses the operator password with a fresh connection per guess for
/// `length`; returns (guesses the server checked, guesses refused unchecked).
fn oper_storm(server: &Server, length: Duration) -> (usize, usize) {
    let (mut checked, mut refused) = (0, 0);
    let started = Instant::now();
    let mut n = 0;
    while started.elapsed() < length {
        n += 1;
        let mut bot = attacker(server);
        register(&mut bot, &format!("g{n}"));
        bot.send(&format!("OPER guess{n}"));
        let answer = bot.line();
        if answer == "ERROR Wrong password" {
            checked += 1;
        } else {
            assert!(
                answer
                    .starts_with("ERROR Too many wrong passwords from your address: try again in "),
                "{answer}"
            );
            refused += 1;
        }
        bot.send("QUIT");
    }
    (checked, refused)
}

#[test]
fn row2_operator_guesses_are_a_few_a_minute_and_hold_no_slot() {
    // New connections are not limited here: this is about the guesses (with
    // the defaults, an address may also open only 60 connections a minute).
    let mut server = start(&["--max-clients", "20", "--connect-rate-per-ip", "0"]);
    let (checked, refused) = oper_storm(&server, Duration::from_secs(2));
    eprintln!("row 2: in 2 s, {checked} OPER guesses checked, {refused} refused unchecked");
    // Three are free, the fourth locks the address for 5 s, then 10, 20, …:
    // 7 in the first minute (see the guard's unit tests).
    assert_eq!(checked, 4);
    assert!(refused > 0);
    // Nothing waits while locked: the storm never filled the 20 slots, and
    // the teacher at another address becomes an operator at once.
    let mut teacher = student(&server);
    register(&mut teacher, "teacher1");
    teacher.send(&format!("OPER {ADMIN}"));
    teacher.expect("OK You are an operator");
    // Logged once per address per minute, not once per try.
    let log = server.log_so_far();
    let wrong = log
        .iter()
        .filter(|l| l.contains("Wrong operator password"))
        .count();
    assert_eq!(wrong, 1, "{log:#?}");
}

#[test]
fn row3_server_password_guesses_are_a_few_a_minute() {
    let mut server = Server::start_with(
        Command::new(common::bin("step4_server"))
            .args(["--host", "::", "--port", "0", "--no-history"])
            .current_dir(std::env::temp_dir())
            .env("CHATROOM_PASSWORD", "door")
            .env("CHATROOM_ADMIN_PASSWORD", ADMIN),
    );
    let (mut checked, mut locked_out) = (0, 0);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        let mut bot = attacker(&server);
        bot.send_raw(b"PASS a\r\nPASS b\r\nPASS c\r\n");
        for line in bot.read_to_close() {
            if line == "ERROR Wrong password" {
                checked += 1;
            } else if line.starts_with("ERROR Too many wrong passwords") {
                locked_out += 1;
            }
        }
    }
    eprintln!("row 3: in 2 s, {checked} PASS guesses checked, {locked_out} connections locked out");
    assert_eq!(checked, 4);
    // Passwords compare exactly: a trailing space is a different password.
    let mut alice = student(&server);
    alice.send("PASS door ");
    alice.read_until(|l| l == "ERROR Wrong password");
    alice.send("PASS door");
    alice.expect("OK Password accepted");
    // The server logs before it answers, but the log arrives through a
    // pipe: wait for alice's line rather than read what has come so far.
    let alices_line = "Wrong server password from ::1";
    if !server.log_so_far().iter().any(|l| l.contains(alices_line)) {
        server.wait_log(alices_line);
    }
    let log = server.log_so_far();
    let wrong = log
        .iter()
        .filter(|l| l.contains("Wrong server password"))
        .count();
    assert_eq!(wrong, 2, "one line per address: {log:#?}");
}

// ---- 4: output costs like input --------------------------------------------

/// Milliseconds for one private message from `from` to reach `to`.
fn round_trip(from: &mut Client, to: &mut Client, to_name: &str, n: usize) -> f64 {
    // Under ten a second: the sender is held to flood control too.
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    from.send(&format!("PRIVMSG {to_name} ping{n}"));
    to.read_until(|l| l.ends_with(&format!(" ping{n}")));
    started.elapsed().as_secs_f64() * 1000.0
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// The bots of row 4: how many, and the room whose replay they ask for.
const BOTS: usize = 200;
const REPLAY_ROOM: &str = "#replay";

/// What one bot did: bytes sent and received, commands the server took,
/// and lines it refused.
#[derive(Default)]
struct BotLoad {
    bytes_in: usize,
    bytes_out: usize,
    taken: usize,
    refused: usize,
}

/// Sends `command` until the server takes it (its reply starts with
/// `answer`), waiting 50 ms after each `Slow down`. The rest of a long reply
/// (and whatever else arrives) is read on the way to the next answer, and
/// counted in `load`.
fn until_taken(client: &mut Client, command: &str, answer: &str, load: &mut BotLoad) {
    loop {
        client.send(command);
        load.bytes_in += command.len() + 2;
        let line = loop {
            let line = client.line();
            load.bytes_out += line.len() + 2;
            if line.starts_with(answer) || line.starts_with("ERROR") {
                break line;
            }
        };
        if line.starts_with(answer) {
            load.taken += 1;
            return;
        }
        assert!(line.starts_with("ERROR Slow down"), "{line}");
        load.refused += 1;
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One bot doing the heaviest thing the limits allow, at exactly the rate
/// they allow: `LEAVE` (the others in the room hear it), `USERS` (everyone
/// online, as it is in no room), `ROOMS`, `JOIN room` (its replay, and the
/// others there hear it), over and over until `stop`. Each command is sent
/// again after `Slow down` until the server takes it, so the bot is held to
/// its allowance and no further.
fn heavy_bot(mut bot: Client, room: String, stop: &AtomicBool) -> BotLoad {
    let mut load = BotLoad::default();
    let join = format!("JOIN {room}");
    let cycle = [
        ("LEAVE", "OK Left"),
        ("USERS", "USERLIST"),
        ("ROOMS", "ROOMLIST"),
        (join.as_str(), "OK Joined"),
    ];
    while !stop.load(Ordering::Relaxed) {
        for (command, answer) in cycle {
            until_taken(&mut bot, command, answer, &mut load);
        }
    }
    load
}

/// Row 4 at full size: [`BOTS`] bots, each in a cycle of [`heavy_bot`]
/// whose `JOIN` goes to `room(bot)`, while alice sends bob private
/// messages. Checks what each list costs, exactly, and returns the
/// innocent round trip's median (ms) quiet and once the bots are held to
/// their rate; the figures while they spend their first bursts are printed.
fn row4_attack(room: fn(usize) -> String) -> (f64, f64) {
    let dir = common::TempDir::new("attack-row4");
    let server = Server::start_with(
        Command::new(common::bin("step4_server"))
            .args(["--host", "::", "--port", "0", "--fsync", "never"])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args([
                "--connect-rate-per-ip",
                "0",
                "--max-unregistered-per-ip",
                "0",
            ])
            .current_dir(dir.path())
            .env_remove("CHATROOM_PASSWORD")
            .env("CHATROOM_ADMIN_PASSWORD", ADMIN),
    );
    // The room the bots join: 20 messages of 1 KB to replay (the default
    // history_replay), the most a JOIN can make the server send.
    let mut seeder = attacker(&server);
    register(&mut seeder, "seeder");
    join(&mut seeder, REPLAY_ROOM);
    let kilobyte = "x".repeat(1000);
    let mut seeding = BotLoad::default();
    for n in 0..20 {
        let echo = format!("ROOM {REPLAY_ROOM} seeder {n:02}");
        until_taken(
            &mut seeder,
            &format!("MSG {n:02}{kilobyte}"),
            &echo,
            &mut seeding,
        );
    }
    until_taken(&mut seeder, "LEAVE", "OK Left", &mut seeding);

    let mut alice = student(&server);
    register(&mut alice, "alice");
    let mut bob = student(&server);
    register(&mut bob, "bob");
    let bots: Vec<Client> = (0..BOTS)
        .map(|b| {
            let mut bot = attacker(&server);
            register(&mut bot, &format!("bot{b:03}"));
            join(&mut bot, &format!("#b{b:03}")); // 200 rooms for ROOMS
            bot
        })
        .collect();

    // What each heavy command costs, exactly: bytes out per byte in.
    let mut probe = attacker(&server);
    register(&mut probe, "probe");
    probe.timed_history(); // the fenced replay, to measure it whole
    probe.send("USERS");
    let users = probe.line();
    let users_more = probe.line();
    let users_out = users.len() + users_more.len() + 4;
    probe.send("ROOMS");
    let rooms = probe.line();
    let rooms_more = probe.line();
    let rooms_out = rooms.len() + rooms_more.len() + 4;
    join(&mut probe, REPLAY_ROOM);
    let last = format!("HISTORY END {REPLAY_ROOM}");
    let replayed = probe.read_until(|l| l == last);
    // (`join` has read the `OK Joined` line; it is part of the answer too.)
    let join_out = replayed.iter().map(|l| l.len() + 2).sum::<usize>()
        + format!("OK Joined {REPLAY_ROOM} (0 users)\r\n{last}\r\n").len();
    drop(probe);
    eprintln!(
        "row 4: {} online; USERS: 7 bytes in, {users_out} out ({}×): {users_more:?}; \
         ROOMS: 7 in, {rooms_out} out ({}×): {rooms_more:?}; \
         JOIN {REPLAY_ROOM}: 14 in, {join_out} out ({}×)",
        BOTS + 4,
        users_out / 7,
        rooms_out / 7,
        join_out / 14
    );
    // One page of 100 names, and where the rest are.
    assert_eq!(users.split(' ').count(), 1 + 100, "{users}");
    let more = format!("NOTICE {} more: USERS 2", BOTS + 4 - 100);
    assert_eq!(users_more, more);
    // USERLIST alice bob bot000 … bot097: 706 bytes, and the 26 of the note.
    assert_eq!(users_out, 8 + 6 + 4 + 98 * 7 + 2 + 26, "one USERS");
    assert_eq!(rooms.split(' ').count(), 1 + 30, "{rooms}");
    assert_eq!(rooms_more, format!("NOTICE {} more: ROOMS 2", BOTS - 30));
    // ROOMLIST #b000 … #b029: 190 bytes, and the 26 of the note.
    assert_eq!(rooms_out, 8 + 30 * 6 + 2 + 26, "one ROOMS");
    // 20 replayed messages of 1 KB: each costs its length in tokens, so the
    // bot pays for it in time.
    // `OK Joined #replay (0 users)`, `HISTORY BEGIN #replay 20`, 20 lines
    // `HISTORY #replay <time> seeder NNxx…` (each 1 KB of chat plus 28 bytes
    // of keyword and time) and `HISTORY END #replay`.
    assert_eq!(join_out, 29 + 26 + 20 * (1024 + 28) + 21, "JOIN's replay");

    let quiet: Vec<f64> = (0..30)
        .map(|n| round_trip(&mut alice, &mut bob, "bob", n))
        .collect();
    // The bots run until every sample is taken: first while they all spend
    // their burst of 20 at once (2 s), then once they are held to their rate.
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = bots
        .into_iter()
        .enumerate()
        .map(|(b, bot)| {
            let (room, stop) = (room(b), Arc::clone(&stop));
            std::thread::spawn(move || heavy_bot(bot, room, &stop))
        })
        .collect();
    let bursting: Vec<f64> = (30..60)
        .map(|n| round_trip(&mut alice, &mut bob, "bob", n))
        .collect();
    let held: Vec<f64> = (60..90)
        .map(|n| round_trip(&mut alice, &mut bob, "bob", n))
        .collect();
    stop.store(true, Ordering::Relaxed);
    let loads: Vec<BotLoad> = workers
        .into_iter()
        .map(|w| w.join().expect("bot"))
        .collect();
    let seconds = started.elapsed().as_secs_f64();
    let bytes_in: usize = loads.iter().map(|l| l.bytes_in).sum();
    let bytes_out: usize = loads.iter().map(|l| l.bytes_out).sum();
    let taken: usize = loads.iter().map(|l| l.taken).sum();
    let refused: usize = loads.iter().map(|l| l.refused).sum();
    let worst = |samples: &[f64]| samples.iter().copied().fold(0.0, f64::max);
    let (bursting_worst, held_worst) = (worst(&bursting), worst(&held));
    let (quiet, bursting, loaded) = (median(quiet), median(bursting), median(held));
    eprintln!(
        "row 4: {BOTS} bots for {seconds:.1} s: {taken} commands taken, {refused} refused; \
         {bytes_in} bytes in, {bytes_out} out ({:.0}×, {:.1} MB/s); an innocent private \
         message (median; worst): {quiet:.2} ms quiet; {bursting:.2} ms; {bursting_worst:.1} ms \
         while the bots spend their bursts; {loaded:.2} ms; {held_worst:.1} ms once they are \
         held to their rate",
        bytes_out as f64 / bytes_in as f64,
        bytes_out as f64 / seconds / 1e6,
    );
    // Each bot is held to its allowance: the burst of 20 and 10 a second,
    // less what the long replies cost.
    for load in &loads {
        let allowed = 20.0 + 10.0 * seconds + 1.0;
        assert!(load.taken as f64 <= allowed, "{} taken", load.taken);
    }
    (quiet, loaded)
}

/// The target is 2 × quiet. A loopback round trip is well under a
/// millisecond, where one scheduling hiccup on a shared 2-core machine (the
/// bots run on it too) is more; so the bound is on the median of 30
/// samples, with 2 ms of slack.
fn assert_within_twice(quiet: f64, loaded: f64) {
    assert!(
        loaded <= 2.0 * quiet + 2.0,
        "{loaded:.2} ms loaded, {quiet:.2} ms quiet"
    );
}

/// The heaviest cycle: every bot hops in and out of one room with a 20 KB
/// replay, so each JOIN also sends it the replay and tells the 200 others,
/// and each LEAVE tells them too; its USERS lists everyone online.
#[test]
fn row4_two_hundred_bots_hopping_through_a_replayed_room_do_not_slow_a_private_message() {
    let (quiet, loaded) = row4_attack(|_| REPLAY_ROOM.to_string());
    assert_within_twice(quiet, loaded);
}

/// The same with a room of its own for each bot: no replay and nobody to
/// tell, but 200 rooms for every ROOMS. Lighter than the test above, so
/// not run by default (two of them at once would be 400 bots on the
/// machine): `cargo test --test attacks -- --include-ignored`.
#[test]
#[ignore = "a lighter variant of the test above; run with --include-ignored"]
fn row4_two_hundred_bots_asking_for_the_longest_lists_do_not_slow_a_private_message() {
    let (quiet, loaded) = row4_attack(|b| format!("#b{b:03}"));
    assert_within_twice(quiet, loaded);
}

// ---- 5: a mute holds the person; KICK can ban ---------------------------------

#[test]
fn row5_a_mute_survives_reconnecting_and_renaming() {
    let server = start(&[]);
    let mut teacher = student(&server);
    register(&mut teacher, "lee");
    teacher.send(&format!("OPER {ADMIN}"));
    teacher.expect("OK You are an operator");
    let mut bob = student(&server);
    register(&mut bob, "bob");
    join(&mut bob, "#general");
    let mut mallory = attacker(&server);
    register(&mut mallory, "mallory");
    join(&mut mallory, "#general");
    bob.expect("JOIN #general mallory");
    teacher.send("MUTE mallory");
    teacher.expect("OK Muted mallory");
    // Renaming and room hopping reach nobody but operators.
    mallory.send("USERNAME ExamAnswerIsC");
    mallory.send("JOIN #other");
    mallory.send("JOIN #general");
    mallory.read_until(|l| l.starts_with("OK Joined #general"));
    // Reconnecting under a new name: still muted.
    mallory.send("QUIT");
    mallory.read_to_close();
    let mut again = attacker(&server);
    register(&mut again, "m4llory");
    join(&mut again, "#general");
    again.send("MSG the answer is C");
    again.expect("ERROR You are muted");
    // An innocent person taking the muted name, from elsewhere, may talk.
    let mut innocent = student(&server);
    register(&mut innocent, "mallory");
    join(&mut innocent, "#general");
    innocent.send("MSG hello");
    bob.expect("JOIN #general mallory");
    bob.expect("ROOM #general mallory hello");
    bob.assert_nothing_pending("ROOMS", "ROOMLIST");
    // KICK with a time bans the address.
    teacher.send("KICK m4llory 10m spamming");
    teacher.expect("OK Kicked m4llory");
    let mut back = attacker(&server);
    assert_eq!(
        first_line(&mut back),
        "ERROR Your address is banned from this server for another 600 s"
    );
}

/// Behind one school NAT every student has the muted person's address, and
/// the server cannot tell him reconnecting under a new name from a
/// classmate arriving late (docs/running-a-class.md, "A mute behind a
/// school NAT"). What it does: those online stay as they were, whoever
/// registers from the address afterwards is muted, and `UNMUTE` of one of
/// them lifts the address's mute while the muted person stays muted.
#[test]
fn row5_behind_one_address_a_mute_catches_later_arrivals_until_unmute() {
    let server = start(&[]);
    let mut teacher = student(&server);
    register(&mut teacher, "lee");
    teacher.send(&format!("OPER {ADMIN}"));
    teacher.expect("OK You are an operator");
    join(&mut teacher, "#general");
    // bob and dana share the school's address.
    let mut bob = attacker(&server);
    register(&mut bob, "bob");
    let mut dana = attacker(&server);
    register(&mut dana, "dana");
    join(&mut dana, "#general");
    teacher.send("MUTE bob");
    teacher.expect("OK Muted bob");
    // Online before the mute: dana still talks.
    dana.send("MSG still here");
    teacher.expect("ROOM #general dana still here");
    // Arriving after it, under another name: muted, like bob would be.
    let mut carol = attacker(&server);
    register(&mut carol, "carol");
    join(&mut carol, "#general");
    carol.send("MSG hi");
    carol.expect("ERROR You are muted");
    teacher.send("UNMUTE carol");
    teacher.expect("OK Unmuted carol");
    carol.send("MSG hi again");
    teacher.expect("ROOM #general carol hi again");
    // bob stays muted; the next arrival from the address is not.
    bob.send("PRIVMSG dana psst");
    bob.expect("ERROR You are muted");
    let mut erin = attacker(&server);
    register(&mut erin, "erin");
    join(&mut erin, "#general");
    erin.send("MSG hello");
    teacher.expect("ROOM #general erin hello");
}

// ---- 6: nothing can pass for the server -----------------------------------------

#[test]
fn row6_an_action_cannot_pass_for_a_kick() {
    let server = start(&[]);
    let mut bob = student(&server);
    bob.send("/nick bob");
    bob.read_until(|l| l.starts_with("*** You joined #general"));
    let mut mallory = attacker(&server);
    mallory.send("/nick mallory");
    mallory.read_until(|l| l.starts_with("*** You joined #general"));
    bob.expect("* mallory joined #general");
    mallory.send("/me was kicked by teach: cheating");
    assert_eq!(bob.line(), "mallory *was kicked by teach: cheating*");
    for name in ["server", "Teacher", "ADMIN", "operator", "NOTICE", "ERROR"] {
        mallory.send(&format!("/nick {name}"));
        assert!(
            mallory.line().starts_with("[error] Invalid username"),
            "{name}"
        );
    }
}

// ---- 9: small things -------------------------------------------------------------

#[test]
fn row9_every_dropped_line_is_answered_and_trailing_words_are_errors() {
    let server = start(&[]);
    let mut bot = attacker(&server);
    register(&mut bot, "bot");
    join(&mut bot, "#general");
    let burst: String = (0..60).map(|n| format!("MSG m{n}\r\n")).collect();
    bot.send_raw(burst.as_bytes());
    let (mut relayed, mut slow) = (0, 0);
    for _ in 0..60 {
        match bot.line().as_str() {
            "ERROR Slow down (max 10 lines/s)" => slow += 1,
            line if line.starts_with("ROOM #general bot m") => relayed += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    eprintln!("row 9: a burst of 60 lines: {relayed} relayed, {slow} answered Slow down");
    assert_eq!(relayed + slow, 60);
    std::thread::sleep(Duration::from_millis(1500)); // let the bucket refill
    bot.send("QUIT later");
    assert_eq!(bot.line(), "ERROR Usage: QUIT");
    bot.send(&format!("OPER {ADMIN} "));
    assert_eq!(bot.line(), "ERROR Wrong password");
}

// ---- Issue 22: round two ----------------------------------------------------

/// `step4_server` on `::` with the door password `door`.
fn start_with_door(args: &[&str]) -> Server {
    Server::start_with(
        Command::new(common::bin("step4_server"))
            .args(["--host", "::", "--port", "0", "--no-history"])
            .args(args)
            .current_dir(std::env::temp_dir())
            .env("CHATROOM_PASSWORD", "door")
            .env("CHATROOM_ADMIN_PASSWORD", ADMIN),
    )
}

/// One IRC handshake with `PASS guess`: what the server answered, to the
/// close.
fn irc_handshake(client: &mut Client, guess: &str, n: usize) -> Vec<String> {
    client.send_raw(format!("PASS {guess}\r\nNICK g{n}\r\nUSER g 0 * :g\r\n").as_bytes());
    client.read_to_close()
}

#[test]
fn i22_1_irc_pass_guesses_go_through_the_same_guard_and_tell_nothing_when_locked() {
    let mut server = start_with_door(&["--connect-rate-per-ip", "0"]);
    let (mut checked, mut locked_out) = (0, 0);
    let started = Instant::now();
    let mut n = 0;
    while started.elapsed() < Duration::from_secs(3) {
        n += 1;
        let answer = irc_handshake(&mut attacker(&server), &format!("guess{n}"), n);
        if answer.iter().any(|l| l.contains(" 464 ")) {
            checked += 1;
        } else {
            assert!(
                answer
                    .iter()
                    .any(|l| l.contains("Too many wrong passwords from your address")),
                "{answer:#?}"
            );
            locked_out += 1;
        }
    }
    eprintln!(
        "issue 22 item 1: IRC PASS in 3 s from one address: {checked} checked, \
         {locked_out} refused unchecked"
    );
    // The same rate as `/pass`: three free, the fourth locks for 5 s.
    assert_eq!(checked, 4);
    assert!(locked_out > 0);
    // No oracle: while locked, the right password gets the same answer.
    let right = irc_handshake(&mut attacker(&server), "door", 0);
    assert!(!right.iter().any(|l| l.contains(" 001 ")), "{right:#?}");
    assert!(right
        .iter()
        .any(|l| l.contains("Too many wrong passwords from your address")));
    // `/pass` on nc shares the count: it is locked too.
    let mut nc = attacker(&server);
    nc.send("PASS door");
    let line = nc.read_until(|l| l.starts_with("ERROR Too many wrong passwords"));
    assert!(!line.iter().any(|l| l.contains("accepted")));
    // Another address is not locked, and gets in with IRC.
    let mut alice = student(&server);
    alice.send_raw(b"PASS door\r\nNICK alice\r\nUSER a 0 * :Alice\r\n");
    alice.read_until(|l| l.contains(" 001 alice "));
    // Logged once per address and minute, not once per guess.
    let log = server.log_so_far();
    let wrong = log
        .iter()
        .filter(|l| l.contains("Wrong server password"))
        .count();
    assert_eq!(wrong, 1, "{log:#?}");
}

#[test]
fn i22_10_an_irc_line_over_512_bytes_is_answered_with_417() {
    let server = start(&[]);
    let mut client = attacker(&server);
    client.send_raw(b"NICK long\r\nUSER l 0 * :L\r\n");
    client.read_until(|l| l.contains(" 001 long "));
    for size in [513, 800, 1_000] {
        let line = format!("PRIVMSG #a :{}", "x".repeat(size - 14));
        client.send(&line);
        let answer = client.read_until(|l| l.contains(" 417 "));
        assert!(answer.iter().all(|l| !l.contains("PRIVMSG")), "{answer:#?}");
    }
    client.send("PING :still-here");
    client.read_until(|l| l.contains("still-here"));
}

#[test]
fn i22_7_padding_blanks_and_zalgo_cannot_fake_a_server_line() {
    let server = start(&[]);
    let mut bob = student(&server);
    bob.send("/nick bob");
    bob.read_until(|l| l.starts_with("*** You joined #general"));
    let mut mallory = attacker(&server);
    register(&mut mallory, "mallory");
    join(&mut mallory, "#general");
    bob.expect("* mallory joined #general");
    let fake = "*** Connection closed by the server (you were kicked out by lee: cheating).";
    for pad in [
        " ".repeat(73),
        "\t".repeat(20),
        "\u{3164}".repeat(40),
        "\u{2800}".repeat(80),
    ] {
        mallory.send(&format!("MSG {pad}{fake}"));
        // One row: the padding is (at most) one space.
        let line = bob.line();
        assert!(
            line.starts_with("mallory: ") && line.ends_with(fake),
            "{line}"
        );
        assert!(line.len() <= "mallory:  ".len() + fake.len(), "{line}");
    }
    let zalgo = format!("h{}i", "\u{301}".repeat(40));
    mallory.send(&format!("MSG {zalgo}"));
    let line = bob.line();
    assert_eq!(
        line.chars().filter(|&c| c == '\u{301}').count(),
        4,
        "{line}"
    );
}

#[test]
fn i22_11_quit_reasons_services_names_and_pasted_commands() {
    let server = start(&[]);
    let mut watcher = student(&server);
    watcher.send_raw(b"NICK watcher\r\nUSER w 0 * :W\r\nJOIN #general\r\n");
    watcher.read_until(|l| l.contains(" 366 "));
    let mut mallory = attacker(&server);
    mallory.send_raw(b"NICK mallory\r\nUSER m 0 * :M\r\nJOIN #general\r\n");
    mallory.read_until(|l| l.contains(" 366 "));
    watcher.read_until(|l| l.contains("JOIN"));
    mallory.send("QUIT :Killed (chatroom.local (cheating, banned by lee))");
    let quit = loop {
        let line = watcher.line();
        if line.contains(" QUIT ") {
            break line;
        }
    };
    assert!(
        quit.starts_with(":mallory!")
            && quit.ends_with(" QUIT :Quit: Killed (chatroom.local (cheating, banned by lee))"),
        "{quit}"
    );
    for name in ["OperServ", "MemoServ", "Global", "services", "irc"] {
        let mut bot = attacker(&server);
        bot.send(&format!("USERNAME {name}"));
        let answer = loop {
            let line = bot.line();
            if !line.starts_with("NOTICE") {
                break line;
            }
        };
        assert!(
            answer.starts_with("ERROR Invalid username"),
            "{name}: {answer}"
        );
    }
    // A click with mouse reporting on, or a paste that starts with a
    // blank-looking letter, before `/op`: still the command, never chat.
    let mut teacher = attacker(&server);
    teacher.send("/nick lee");
    teacher.read_until(|l| l.starts_with("*** You joined #general"));
    for typed in [
        format!("\x1b[M !!/op {ADMIN}"),
        format!("\u{3164}/op {ADMIN}"),
        format!("\u{2800}/op {ADMIN}"),
    ] {
        teacher.send(&typed);
        teacher.read_until(|l| l.starts_with("*** You are an operator now"));
    }
    watcher.send("PING :end");
    let seen = watcher.read_until(|l| l.contains("PONG") && l.contains("end"));
    assert!(!seen.concat().contains(ADMIN), "{seen:#?}");
}

/// A WebSocket upgrade with `Host` and `Origin` as given; the status line.
fn upgrade_status(server: &Server, host: &str, origin: &str) -> String {
    let mut client = attacker(server);
    client.send_raw(
        format!(
            "GET /chat HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
        .as_bytes(),
    );
    client.line()
}

#[test]
fn i22_8_dns_rebinding_cannot_open_the_chat() {
    let server = start(&[]);
    let port = server.addr.port();
    let rebound = format!("evil.example:{port}");
    let status = upgrade_status(&server, &rebound, &format!("http://{rebound}"));
    eprintln!("issue 22 item 8: a rebound name gets {status:?}");
    assert_eq!(status, "HTTP/1.1 403 Forbidden");
    // The page the server served, by its address or by localhost: let in.
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        let status = upgrade_status(&server, &host, &format!("http://{host}"));
        assert_eq!(status, "HTTP/1.1 101 Switching Protocols", "{host}");
    }
}

/// The UTC day `days` ago, as history file names have it.
fn day_ago(days: u64) -> String {
    let ms = chatroom::support::timestamp::now_millis() - days * 86_400_000;
    chatroom::support::timestamp::rfc3339(ms)[..10].to_string()
}

#[test]
fn i22_4_spam_cannot_erase_recent_history_and_one_address_has_a_share() {
    let dir = chatroom::support::tempdir::TempDir::new("attack-history");
    let record = "2026-01-01T00:00:00.000Z\tmsg\t#a\talice\tmy answer is mine\n";
    let mb = |n: usize| record.repeat(n * 1024 * 1024 / record.len());
    dir.write(&format!("history-{}.tsv", day_ago(30)), &mb(1));
    dir.write(&format!("history-{}.tsv", day_ago(3)), &mb(5));
    dir.write(&format!("history-{}.tsv", day_ago(0)), &mb(5));
    let mut server = Server::start_with(
        Command::new(common::bin("step4_server"))
            .args(["--host", "::", "--port", "0", "--history-keep-mb", "8"])
            .args(["--data-dir", dir.path_str()])
            .current_dir(std::env::temp_dir())
            .env_remove("CHATROOM_PASSWORD")
            .env("CHATROOM_ADMIN_PASSWORD", ADMIN),
    );
    // The month-old file goes; the young ones stay although 10 MB > 8 MB,
    // and the operator is told.
    server.wait_log("over history_keep_mb (8 MB)");
    assert!(!dir.join(format!("history-{}.tsv", day_ago(30))).exists());
    assert!(dir.join(format!("history-{}.tsv", day_ago(3))).exists());
    assert!(dir.join(format!("history-{}.tsv", day_ago(0))).exists());
    let mut teacher = student(&server);
    register(&mut teacher, "lee");
    teacher.send(&format!("OPER {ADMIN}"));
    teacher.expect("OK You are an operator");
    let warning = teacher.line();
    assert!(
        warning.starts_with("NOTICE [server] History: "),
        "{warning}"
    );
    // 50 bots at one address, each in its own room, write 1,000-byte lines
    // as fast as flood control lets them, until the address's share is used.
    let started = Instant::now();
    let stored = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let bots: Vec<_> = (0..50)
        .map(|n| {
            let mut bot = attacker(&server);
            let stored = Arc::clone(&stored);
            std::thread::spawn(move || {
                register(&mut bot, &format!("bot{n}"));
                join(&mut bot, &format!("#spam{n}"));
                let line = "x".repeat(1000);
                loop {
                    bot.send(&format!("MSG {line}"));
                    let answer = bot.line();
                    if answer.starts_with("ROOM ") {
                        stored.fetch_add(1000, Ordering::SeqCst);
                    } else if answer.starts_with("ERROR Slow down (max") {
                        std::thread::sleep(Duration::from_millis(100));
                    } else {
                        return answer;
                    }
                }
            })
        })
        .collect();
    let answers: Vec<String> = bots.into_iter().map(|b| b.join().unwrap()).collect();
    let stored = stored.load(Ordering::SeqCst);
    eprintln!(
        "issue 22 item 4: one address stored {stored} bytes in {:?}, then: {}",
        started.elapsed(),
        answers[0]
    );
    assert!(answers.iter().all(|a| a.starts_with(
        "ERROR Slow down: your address wrote its share of the history (1 MB an hour)"
    )));
    assert!(stored <= 1024 * 1024, "{stored}");
    // The student at another address still talks and is stored.
    join(&mut teacher, "#class");
    teacher.send("MSG still here");
    teacher.expect("ROOM #class lee still here");
    for name in [day_ago(3), day_ago(0)] {
        assert!(dir.join(format!("history-{name}.tsv")).exists());
    }
}

#[test]
fn i22_9_a_long_who_reply_costs_its_full_size() {
    let server = start(&[
        "--connect-rate-per-ip",
        "0",
        "--max-unregistered-per-ip",
        "0",
    ]);
    let mut members: Vec<Client> = (0..400)
        .map(|n| {
            let mut member = attacker(&server);
            member.send_raw(format!("USERNAME member{n}\r\nJOIN #big\r\n").as_bytes());
            member
        })
        .collect();
    for (n, member) in members.iter_mut().enumerate() {
        member.read_until(|l| {
            l == format!("OK Joined #big ({} users)", n + 1) || l.starts_with("OK Joined #big")
        });
    }
    let mut bot = student(&server);
    bot.send_raw(b"NICK asker\r\nUSER w 0 * :W\r\n");
    bot.read_until(|l| l.contains(" 376 asker "));
    let started = Instant::now();
    let (mut lists, mut bytes) = (0, 0);
    let sender = bot.stream.try_clone().expect("clone");
    let stop = Arc::new(AtomicBool::new(false));
    let stop_sending = Arc::clone(&stop);
    let asker = std::thread::spawn(move || {
        let mut sender = sender;
        while !stop_sending.load(Ordering::SeqCst) {
            use std::io::Write;
            if sender.write_all(b"WHO #big\r\n").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    while started.elapsed() < Duration::from_secs(6) {
        let line = bot.line();
        bytes += line.len() + 2;
        if line.contains(" 315 ") {
            lists += 1;
        }
    }
    stop.store(true, Ordering::SeqCst);
    asker.join().expect("asker");
    let rate = bytes as f64 / started.elapsed().as_secs_f64();
    eprintln!(
        "issue 22 item 9: WHO of 400 members asked every 50 ms for 6 s: {lists} lists, \
         {bytes} bytes, {rate:.0} B/s"
    );
    // 400 members are about 34 KB, 67 lines' worth: after the first, one
    // list every 6.7 s at 10 lines a second.
    assert!(lists <= 2, "{lists} lists");
    drop(members);
}

#[test]
fn i22_6_a_connection_loop_writes_one_log_line_a_minute() {
    let mut server = start(&["--connect-burst-per-ip", "5"]);
    // Five held connections spend the burst (a connection closed at once
    // would give its token back); then every new one is refused.
    let held: Vec<Client> = (0..5).map(|_| attacker(&server)).collect();
    let started = Instant::now();
    let mut refused = 0;
    while started.elapsed() < Duration::from_secs(2) {
        let mut bot = attacker(&server);
        // A bot that speaks at once: a silent one is answered only after
        // the quarter second a refusal waits to tell a browser from nc.
        bot.send("USERNAME bot");
        if first_line(&mut bot).starts_with("ERROR Too many new connections") {
            refused += 1;
        }
    }
    // Another address's refusal still gets its own line.
    let mut student = student(&server);
    register(&mut student, "alice");
    let log = server.log_so_far();
    let refusals = log
        .iter()
        .filter(|l| l.contains("Refused connection"))
        .count();
    let bytes: usize = log.iter().map(|l| l.len() + 1).sum();
    eprintln!(
        "issue 22 item 6: {refused} refused connections in 2 s from one address: \
         {refusals} log line(s), {bytes} bytes of log in all"
    );
    assert!(refused > 100, "{refused}");
    assert_eq!(refusals, 1, "{log:#?}");
    drop(held);
}

#[test]
fn i22_3_a_full_server_lets_the_teacher_in_to_see_and_kick_the_flood() {
    let server = start(&["--max-clients", "50"]);
    let started = Instant::now();
    let mut flood: Vec<Client> = (0..50).map(|_| attacker(&server)).collect();
    for bot in &mut flood {
        assert!(first_line(bot).starts_with("NOTICE"));
    }
    // The server is full: a student is told, and refused.
    let mut late = student(&server);
    let knock = late.line();
    assert!(
        knock.starts_with("NOTICE Server full: only an operator"),
        "{knock}"
    );
    late.send("/nick carol");
    assert_eq!(late.read_to_close(), ["ERROR Server full"]);
    // A wrong password at the door is refused too (and counted).
    let mut guess = student(&server);
    guess.line();
    guess.send("/op guess");
    assert_eq!(guess.read_to_close(), ["ERROR Server full"]);
    // The teacher comes in with the operator password as the first line.
    let mut teacher = student(&server);
    teacher.line();
    teacher.send(&format!("/op {ADMIN}"));
    teacher.send("/nick lee");
    teacher.read_until(|l| l.starts_with("*** Welcome, lee!"));
    teacher.send("/conns");
    let conns = teacher.read_until(|l| l.contains("addresses in all"));
    assert!(
        conns
            .iter()
            .any(|l| l.contains("127.0.0.1: 50 connections, 50 without a name")),
        "{conns:#?}"
    );
    teacher.send("/kickaddr 127.0.0.1");
    teacher.read_until(|l| l.starts_with("*** Disconnected 50 connections from 127.0.0.1"));
    eprintln!(
        "issue 22 item 3: full with 50 nameless connections; the teacher got in, saw and kicked \
         them in {:?}",
        started.elapsed()
    );
    // Places are free again for the class (the flooder's address is banned).
    let mut carol = student(&server);
    register(&mut carol, "carol");
    let mut again = attacker(&server);
    let banned = first_line(&mut again);
    assert!(
        banned.starts_with("ERROR Your address is banned"),
        "{banned}"
    );
    drop(flood);
}

/// A classmate behind the prankster's address: connects, chooses a name,
/// and says whether the server let them in within 10 s.
fn classmate_gets_in(server: &Server, n: usize) -> bool {
    let started = Instant::now();
    let mut client = attacker(server);
    client.send(&format!("USERNAME classmate{n}"));
    loop {
        match client.try_line() {
            Some(line) if line.starts_with("OK Welcome") => {
                return started.elapsed() < Duration::from_secs(10)
            }
            Some(line) if line.starts_with("ERROR") => return false,
            Some(_) => {}
            None => return false,
        }
    }
}

#[test]
fn i22_2_connecting_and_closing_in_a_loop_does_not_lock_the_class_out() {
    let mut server = start(&[]);
    let stop = Arc::new(AtomicBool::new(false));
    let prankster_stop = Arc::clone(&stop);
    let addr = server.addr;
    let prankster = std::thread::spawn(move || {
        let mut loops = 0;
        while !prankster_stop.load(Ordering::SeqCst) {
            drop(Client::connect(addr));
            loops += 1;
        }
        loops
    });
    let mut admitted = 0;
    for n in 0..20 {
        std::thread::sleep(Duration::from_millis(500));
        admitted += usize::from(classmate_gets_in(&server, n));
    }
    stop.store(true, Ordering::SeqCst);
    let loops = prankster.join().expect("prankster");
    // Nor does it fill the log: a line a minute, not two a turn.
    std::thread::sleep(Duration::from_millis(200));
    let log = server.log_so_far();
    let bytes: usize = log.iter().map(|l| l.len() + 1).sum();
    eprintln!(
        "issue 22 item 2: {loops} connect-and-close loops from the class's address in 10 s; \
         {admitted} of 20 classmates got in within 10 s; {} log lines ({bytes} bytes)",
        log.len()
    );
    assert!(admitted >= 19, "{admitted} of 20");
    // 60 a minute of each kind, and the classmates' own lines.
    assert!(log.len() < 200, "{} log lines", log.len());
}

#[test]
fn i22_2_nameless_connections_held_on_purpose_make_way_for_the_class() {
    let server = start(&[]);
    let held: Vec<Client> = (0..100).map(|_| attacker(&server)).collect();
    // Once they are older than 20 s, each classmate closes the oldest.
    std::thread::sleep(Duration::from_secs(21));
    let admitted: usize = (0..20)
        .map(|n| usize::from(classmate_gets_in(&server, n)))
        .sum();
    eprintln!(
        "issue 22 item 2: 100 nameless connections held at the class's address; \
         {admitted} of 20 classmates got in"
    );
    assert_eq!(admitted, 20);
    drop(held);
}

#[test]
fn i22_12_the_teacher_is_marked_on_a_persons_screen() {
    let server = start(&[]);
    let mut fake = attacker(&server);
    fake.send("/nick lee");
    fake.read_until(|l| l.starts_with("*** You joined #general"));
    let mut teacher = attacker(&server);
    teacher.send("/nick lee_");
    teacher.read_until(|l| l.starts_with("*** You joined #general"));
    teacher.send(&format!("/op {ADMIN}"));
    teacher.read_until(|l| l.starts_with("*** You are an operator now"));
    let mut student = student(&server);
    student.send("/nick alice");
    let joined = student.read_until(|l| l.starts_with("*** You joined #general"));
    drop(joined);
    teacher.send("the test is moved to Friday");
    assert_eq!(
        student.line(),
        "lee_ (teacher): the test is moved to Friday"
    );
    fake.send("no, the test is cancelled");
    assert_eq!(student.line(), "lee: no, the test is cancelled");
    student.send("/users");
    let users = student.line();
    assert!(
        users.contains("lee_ (teacher)") && users.contains("lee,"),
        "{users}"
    );
}

/// What one prankster's thread counted: tries the server checked (and
/// found wrong), and tries refused unchecked.
#[derive(Default, Debug, Clone, Copy)]
struct Tally {
    checked: usize,
    refused: usize,
}

/// Runs `attempt` on its own thread until `stop`, as fast as the server
/// answers (with a 20 ms breath so two cores still serve the class).
fn prankster(
    stop: &Arc<AtomicBool>,
    mut attempt: impl FnMut(usize, &mut Tally) + Send + 'static,
) -> std::thread::JoinHandle<Tally> {
    let stop = Arc::clone(stop);
    std::thread::spawn(move || {
        let mut tally = Tally::default();
        let mut n = 0;
        while !stop.load(Ordering::SeqCst) {
            n += 1;
            attempt(n, &mut tally);
            std::thread::sleep(Duration::from_millis(20));
        }
        tally
    })
}

/// The first `ERROR` or `OK` line after `line` (the greeting comes first).
fn answer_to(client: &mut Client, line: &str) -> String {
    client.send(line);
    let mut answer = String::new();
    client.read_until(|l| {
        answer = l.to_string();
        l.starts_with("ERROR") || l.starts_with("OK")
    });
    answer
}

/// Issue 22 item 2 with accounts: 20 classmates and the teacher behind the
/// prankster's address log in (their one-time codes, one every 2 s) while
/// he, from that address, guesses the door password, guesses `/op`, sprays
/// wrong logins at every account of the class, and connects and closes in
/// a loop, all at once and as fast as the server lets him.
#[test]
fn i22_2_with_accounts_a_prankster_behind_the_class_address_keeps_nobody_out() {
    let dir = chatroom::support::tempdir::TempDir::new("attack-accounts");
    let names: Vec<String> = (0..20).map(|n| format!("classmate{n}")).collect();
    let add = |args: &[&str]| -> Vec<(String, String)> {
        let output = Command::new(common::bin("step4_server"))
            .args(["accounts", "add", "--iterations", "1000", "--data-dir"])
            .arg(dir.join("data"))
            .args(args)
            .output()
            .expect("step4_server accounts add");
        assert!(output.status.success());
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|l| l.split_once("  one-time code: "))
            .map(|(name, code)| (name.trim().to_string(), code.to_string()))
            .collect()
    };
    let codes = add(&names.iter().map(String::as_str).collect::<Vec<_>>());
    let teacher_code = add(&["--operator", "lee"])[0].1.clone();
    let server = Server::start_with(
        Command::new(common::bin("step4_server"))
            .args(["--host", "::", "--port", "0", "--data-dir"])
            .arg(dir.join("data"))
            .current_dir(dir.path())
            .env("CHATROOM_PASSWORD", "door")
            .env("CHATROOM_ADMIN_PASSWORD", ADMIN),
    );
    let addr = server.addr;
    let stop = Arc::new(AtomicBool::new(false));
    let door = prankster(&stop, move |n, tally| {
        let mut client = Client::connect(addr);
        match answer_to(&mut client, &format!("PASS wrong{n}")).as_str() {
            "ERROR Wrong password" => tally.checked += 1,
            _ => tally.refused += 1,
        }
    });
    let mut op_client = Client::connect(addr);
    op_client.send("PASS door");
    op_client.send("USERNAME prankster");
    op_client.expect("OK Welcome, prankster!");
    let op = prankster(&stop, move |n, tally| {
        let answer = answer_to(&mut op_client, &format!("OPER wrong{n}"));
        match answer.as_str() {
            "ERROR Wrong password" => tally.checked += 1,
            _ => tally.refused += 1,
        }
    });
    let sprayers: Vec<_> = (0..4)
        .map(|k| {
            let names = names.clone();
            let mut client = Client::connect(addr);
            prankster(&stop, move |n, tally| {
                let name = &names[(n * 4 + k) % names.len()];
                match answer_to(&mut client, &format!("LOGIN {name} guess{n}")).as_str() {
                    "ERROR Wrong name or password" => tally.checked += 1,
                    _ => tally.refused += 1,
                }
            })
        })
        .collect();
    let looper = prankster(&stop, move |_, tally| {
        drop(Client::connect(addr));
        tally.refused += 1;
    });

    let started = Instant::now();
    let log_in = |name: &str, code: &str, expect: &[&str]| -> bool {
        let arrived = Instant::now();
        let mut client = Client::connect(addr);
        client.send(&format!("LOGIN {name} {code}"));
        let mut seen = Vec::new();
        client.read_until(|l| {
            seen.push(l.to_string());
            l.starts_with("OK Welcome") || l.starts_with("ERROR")
        });
        let all = expect.iter().all(|e| seen.iter().any(|l| l == e));
        all && arrived.elapsed() < Duration::from_secs(10)
    };
    let mut admitted = 0;
    for (n, (name, code)) in codes.iter().enumerate() {
        // One every 2 s, whatever the last one took.
        let due = started + Duration::from_secs(2) * n as u32;
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        admitted += usize::from(log_in(name, code, &[&format!("OK Logged in as {name}")]));
    }
    let teacher_in = log_in(
        "lee",
        &teacher_code,
        &["OK Logged in as lee", "OK You are an operator"],
    );
    let seconds = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::SeqCst);
    let door = door.join().expect("door");
    let op = op.join().expect("op");
    let spray = sprayers
        .into_iter()
        .map(|s| s.join().expect("sprayer"))
        .fold(Tally::default(), |a, b| Tally {
            checked: a.checked + b.checked,
            refused: a.refused + b.refused,
        });
    let loops = looper.join().expect("looper").refused;
    eprintln!(
        "issue 22 item 2, with accounts, {seconds:.0} s: {admitted} of 20 classmates logged in \
         within 10 s each, the teacher {}; the prankster's door guesses {} checked / {} refused, \
         /op {} checked / {} refused, logins sprayed over the class's one-time codes {} checked / \
         {} refused (4 connections), {loops} connect-and-close loops",
        if teacher_in {
            "too, as operator"
        } else {
            "NOT"
        },
        door.checked,
        door.refused,
        op.checked,
        op.refused,
        spray.checked,
        spray.refused,
    );
    assert_eq!(admitted, 20);
    assert!(teacher_in);
    // Guessing the shared secrets stays as slow as ever: 3 free, then
    // locks of 5, 10, 20 s: at most 7 checked in the first minute.
    assert!(door.checked <= 7, "{door:?}");
    assert!(op.checked <= 7, "{op:?}");
    // Each spraying connection gets one check every 2 s at most.
    let per_connection = (seconds / 2.0).ceil() as usize + 1;
    assert!(spray.checked <= 4 * per_connection, "{spray:?}");
}
