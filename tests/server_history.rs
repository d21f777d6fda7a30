//! Issue #4, the server's side of history: the real `step4_server` records
//! what is said in `<data-dir>/history.tsv` and replays a room's last
//! messages to whoever joins it, across restarts and even across a
//! `kill -9`.
//!
//! What each test pins down:
//! - the replay a newcomer gets, in both dialects: how many lines, in which
//!   order, where in the join's answer, and what is never replayed (private
//!   messages, joins and leaves);
//! - `--history-replay N` (0 turns replay off), also when set in a settings
//!   file, with the flag beating the file;
//! - history surviving a graceful restart (SIGTERM) and a `kill -9` in the
//!   middle of heavy traffic: every message any client received is in the
//!   file, because the server writes before it delivers;
//! - the failure modes a teacher meets: a data directory that cannot be
//!   created ends the server with one line naming it; `--no-history` writes
//!   nothing at all.
//!
//! - a write error while running (a full disk): simulated with the shell's
//!   file-size limit (`ulimit -f`), the message is refused with
//!   `ERROR Could not store message`, reaches no one, and the log says why.
//!
//! Every server gets its own temporary directory as data directory *and* as
//! current directory, so a `chatroom.toml` lying around where the tests run
//! cannot change them, and nothing is ever written into the source tree.

mod common;

use common::{chat_user, protocol_user, untimed, Client, Server, TempDir};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// `step4_server` on a free port of 127.0.0.1, run inside `dir`, with no
/// password variables inherited from whoever runs the tests.
fn server_command(dir: &TempDir, args: &[&str]) -> Command {
    let mut command = Command::new(common::bin("step4_server"));
    command
        .args(["--host", "127.0.0.1", "--port", "0"])
        .args(args)
        .current_dir(dir.path())
        .env_remove("CHATROOM_PASSWORD")
        .env_remove("CHATROOM_ADMIN_PASSWORD");
    command
}

/// A server keeping its history in `dir/data`.
fn start(dir: &TempDir, args: &[&str]) -> Server {
    let data = dir.arg("data");
    let mut all = vec!["--data-dir", data.as_str()];
    all.extend_from_slice(args);
    Server::start_with(&mut server_command(dir, &all))
}

/// Says `text` in the current room and waits for the server's echo, so the
/// message is recorded before the test goes on (protocol mode only).
fn say(client: &mut Client, room: &str, name: &str, text: &str) {
    client.send(text);
    client.expect(&format!("ROOM {room} {name} {text}"));
}

/// The next `count` lines, exactly as received.
/// The next `count` lines, replayed ones with their time written `<time>`.
fn lines(client: &mut Client, count: usize) -> Vec<String> {
    (0..count).map(|_| untimed(&client.line())).collect()
}

/// One record of `history.tsv`: `time kind session place sender text check`.
#[derive(Debug)]
struct Record {
    time: String,
    kind: String,
    session: u64,
    place: String,
    sender: String,
    text: String,
}

/// The complete records of `dir/data/history.tsv`. A last line without its
/// newline (a `kill -9` can cut a write short) is not a record yet and is
/// left out, as the server itself does when it starts.
fn records(dir: &TempDir) -> Vec<Record> {
    let text = std::fs::read_to_string(dir.path().join("data").join("history.tsv"))
        .expect("read history.tsv");
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => "",
    };
    complete
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 7, "not seven tab-separated fields: {line:?}");
            Record {
                time: fields[0].to_string(),
                kind: fields[1].to_string(),
                session: fields[2].parse().expect("a session number"),
                place: fields[3].to_string(),
                sender: fields[4].to_string(),
                text: fields[5].to_string(),
            }
        })
        .collect()
}

/// The room of the replay tests: alice says m1…m5 in #general, with a
/// private message, and dave joining and leaving, between them. Returns
/// alice (still in the room) and bob (registered, in no room).
fn room_with_five_messages(server: &Server) -> (Client, Client) {
    let mut alice = protocol_user(server, "alice");
    let mut bob = protocol_user(server, "bob");
    alice.send("JOIN #general");
    alice.expect("OK Joined #general (0 users)");
    say(&mut alice, "#general", "alice", "m1");
    say(&mut alice, "#general", "alice", "m2");
    say(&mut alice, "#general", "alice", "m3");
    alice.send("PRIVMSG bob a secret between m3 and m4");
    alice.expect("OK Sent");
    bob.expect("PRIVMSG alice a secret between m3 and m4");
    say(&mut alice, "#general", "alice", "m4");
    let mut dave = protocol_user(server, "dave");
    dave.send("JOIN #general");
    alice.expect("JOIN #general dave");
    dave.send("LEAVE");
    alice.expect("LEAVE #general dave");
    say(&mut alice, "#general", "alice", "m5");
    (alice, bob)
}

#[test]
fn protocol_join_replays_the_last_n_messages_in_order_and_nothing_else() {
    let dir = TempDir::new("replay-protocol");
    let server = start(&dir, &["--history-replay", "3"]);
    let (mut alice, _bob) = room_with_five_messages(&server);

    let mut carol = protocol_user(&server, "carol");
    carol.timed_history();
    carol.send("JOIN #general");
    assert_eq!(
        lines(&mut carol, 7),
        [
            "OK Joined #general (1 users)",
            "JOIN #general alice",
            "HISTORY BEGIN #general 3",
            "HISTORY #general <time> alice m3",
            "HISTORY #general <time> alice m4",
            "HISTORY #general <time> alice m5",
            "HISTORY END #general",
        ]
    );
    // The next line carol gets is live: no private message, no join or
    // leave, no older message was replayed after m5, and the fence says
    // where the replay ends.
    alice.expect("JOIN #general carol");
    say(&mut alice, "#general", "alice", "live");
    assert_eq!(carol.line(), "ROOM #general alice live");
}

#[test]
fn chat_join_shows_history_marked_with_its_times() {
    let dir = TempDir::new("replay-chat");
    let server = start(&dir, &["--history-replay", "3"]);
    let (mut alice, _bob) = room_with_five_messages(&server);

    // A chat user is put into #general on arrival and gets the replay there.
    let mut carol = chat_user(&server, "carol");
    let got = lines(&mut carol, 6);
    assert_eq!(got[0], "*** You joined #general. Here: alice");
    assert_eq!(got[1], "*** Recent messages in #general:");
    assert_eq!(got[5], "*** (end of recent messages)");
    // Each replayed line shows the time (UTC, HH:MM:SS) the server stored.
    let stored: Vec<Record> = records(&dir)
        .into_iter()
        .filter(|r| r.kind == "msg")
        .collect();
    for (shown, record) in got[2..5].iter().zip(&stored[2..5]) {
        let clock = &record.time[11..19];
        assert_eq!(*shown, format!("[{clock}] alice: {}", record.text));
    }
    assert_eq!(
        stored.iter().map(|r| r.text.as_str()).collect::<Vec<_>>(),
        ["m1", "m2", "m3", "m4", "m5"]
    );

    alice.expect("JOIN #general carol");
    say(&mut alice, "#general", "alice", "live");
    assert_eq!(carol.line(), "alice: live");
}

#[test]
fn history_replay_zero_turns_replay_off_but_still_records() {
    let dir = TempDir::new("replay-off");
    let server = start(&dir, &["--history-replay", "0"]);
    let (mut alice, _bob) = room_with_five_messages(&server);

    let mut carol = protocol_user(&server, "carol");
    carol.send("JOIN #general");
    carol.expect("OK Joined #general (1 users)");
    assert_eq!(carol.line(), "JOIN #general alice");
    alice.expect("JOIN #general carol");
    say(&mut alice, "#general", "alice", "live");
    assert_eq!(carol.line(), "ROOM #general alice live");

    let kinds: Vec<String> = records(&dir)
        .iter()
        .map(|r| format!("{} {} {} {}", r.kind, r.place, r.sender, r.text))
        .collect();
    assert_eq!(
        kinds,
        [
            "join #general alice ",
            "msg #general alice m1",
            "msg #general alice m2",
            "msg #general alice m3",
            "pm @bob alice a secret between m3 and m4",
            "msg #general alice m4",
            "join #general dave ",
            "leave #general dave ",
            "msg #general alice m5",
            "join #general carol ",
            "msg #general alice live",
        ]
    );
    // Each connection's records carry its own session number.
    let stored = records(&dir);
    let sessions_of = |name: &str| -> HashSet<u64> {
        stored
            .iter()
            .filter(|r| r.sender == name)
            .map(|r| r.session)
            .collect()
    };
    assert_eq!(sessions_of("alice").len(), 1);
    assert_eq!(sessions_of("dave").len(), 1);
    assert_ne!(sessions_of("alice"), sessions_of("dave"));
}

#[test]
fn history_survives_a_restart() {
    let dir = TempDir::new("restart");
    let mut server = start(&dir, &[]);
    let mut alice = protocol_user(&server, "alice");
    alice.send("JOIN #lab");
    alice.expect("OK Joined #lab (0 users)");
    for n in 1..=3 {
        say(&mut alice, "#lab", "alice", &format!("before restart {n}"));
    }
    server.signal("TERM");
    alice.expect("NOTICE Server shutting down");
    assert!(server.wait_exit().success(), "SIGTERM should exit 0");
    drop(server);

    let server = start(&dir, &[]);
    let mut bob = protocol_user(&server, "bob");
    bob.timed_history();
    bob.send("JOIN #Lab"); // rooms are matched ignoring case
    assert_eq!(
        lines(&mut bob, 6),
        [
            "OK Joined #Lab (0 users)",
            "HISTORY BEGIN #Lab 3",
            "HISTORY #Lab <time> alice before restart 1",
            "HISTORY #Lab <time> alice before restart 2",
            "HISTORY #Lab <time> alice before restart 3",
            "HISTORY END #Lab",
        ]
    );
    say(&mut bob, "#Lab", "bob", "after restart");
}

/// Reads protocol lines until the connection ends (or fails: the server was
/// killed), keeping `ROOM` lines and counting them in `count`.
fn collect_room_lines(stream: TcpStream, count: &AtomicUsize) -> Vec<String> {
    let mut got = Vec::new();
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { break };
        if line.starts_with("ROOM ") {
            got.push(line);
            count.fetch_add(1, Ordering::SeqCst);
        }
    }
    got
}

#[test]
fn kill_9_during_traffic_loses_nothing_anyone_received() {
    let dir = TempDir::new("kill9");
    // No flood control, so the senders go as fast as the server takes them;
    // fsync never: even without asking the disk, what was delivered was in
    // the kernel before delivery, and a killed process cannot lose that.
    let mut server = start(&dir, &["--rate-per-sec", "0", "--fsync", "never"]);
    let names = ["watcher", "s0", "s1", "s2"];
    let mut clients = Vec::new();
    for name in names {
        let mut client = protocol_user(&server, name);
        client.send("JOIN #load");
        client.read_until(|line| line.starts_with("OK Joined #load"));
        clients.push(client);
    }
    // Wait until the watcher saw everyone arrive, so it is in the room
    // before the first message.
    clients[0].expect("JOIN #load s2");

    // Every client receives every message, and the server rightly cuts off
    // a client whose queue fills. The readers here share a test process that
    // may be starved of CPU, so the senders keep at most WINDOW messages in
    // flight beyond the slowest reader: traffic as fast as the readers go.
    const WINDOW: usize = 200;
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let counts: Arc<Vec<AtomicUsize>> =
        Arc::new(names.iter().map(|_| AtomicUsize::new(0)).collect());
    let mut readers = Vec::new();
    let mut writers = Vec::new();
    for (i, client) in clients.iter().enumerate() {
        let stream = client.stream.try_clone().expect("clone stream");
        let counts_for_reader = Arc::clone(&counts);
        readers.push(thread::spawn(move || {
            collect_room_lines(stream, &counts_for_reader[i])
        }));
        if i == 0 {
            continue;
        }
        let mut stream = client.stream.try_clone().expect("clone stream");
        let (stop, sent, counts) = (Arc::clone(&stop), Arc::clone(&sent), Arc::clone(&counts));
        let name = names[i];
        writers.push(thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) && n < 1_000_000 {
                let slowest = counts.iter().map(|c| c.load(Ordering::SeqCst)).min();
                if sent.load(Ordering::SeqCst) >= slowest.unwrap_or(0) + WINDOW {
                    thread::yield_now();
                    continue;
                }
                n += 1;
                sent.fetch_add(1, Ordering::SeqCst);
                if stream
                    .write_all(format!("{name} says {n}\r\n").as_bytes())
                    .is_err()
                {
                    break; // the server is gone
                }
            }
        }));
    }
    let watcher_count = || counts[0].load(Ordering::SeqCst);

    // Kill it in the middle of the traffic: once the watcher has received
    // a few hundred messages, while the senders are still sending.
    let deadline = std::time::Instant::now() + common::TIMEOUT;
    while watcher_count() < 300 {
        if std::time::Instant::now() >= deadline {
            panic!(
                "the watcher received only {} messages; server log:\n{}",
                watcher_count(),
                server.log_so_far().join("\n")
            );
        }
        thread::sleep(Duration::from_millis(5));
    }
    server.signal("KILL");
    server.wait_exit();
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.join().expect("writer thread");
    }
    let received: Vec<String> = readers
        .into_iter()
        .flat_map(|reader| reader.join().expect("reader thread"))
        .collect();

    let stored: HashSet<String> = records(&dir)
        .iter()
        .filter(|r| r.kind == "msg")
        .map(|r| format!("ROOM {} {} {}", r.place, r.sender, r.text))
        .collect();
    let missing: Vec<&String> = received.iter().filter(|l| !stored.contains(*l)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} received messages are not in history.tsv, e.g. {:?}",
        missing.len(),
        received.len(),
        &missing[..missing.len().min(5)]
    );
    assert!(received.len() >= 300);

    // And the server starts again on what the crash left.
    let server = start(&dir, &["--history-replay", "1"]);
    let mut late = protocol_user(&server, "late");
    late.timed_history();
    late.send("JOIN #load");
    late.expect("OK Joined #load (0 users)");
    late.expect("HISTORY BEGIN #load 1");
    assert!(
        untimed(&late.line()).starts_with("HISTORY #load <time> s"),
        "replay after a crash"
    );
}

#[test]
fn an_unusable_data_directory_is_one_clear_error() {
    let dir = TempDir::new("bad-data-dir");
    std::fs::write(dir.path().join("a-file"), "not a directory").expect("write file");
    let bad = dir.arg("a-file/data");
    let output = assert_cmd::Command::from_std(server_command(&dir, &["--data-dir", &bad]))
        .timeout(common::TIMEOUT)
        .output()
        .expect("run step4_server");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line, got: {stderr}");
    assert!(
        stderr.starts_with("error: cannot use the data directory ")
            && stderr.contains(&bad)
            && stderr.contains("Not a directory"),
        "got: {stderr}"
    );
    assert!(!stderr.contains("panicked"));
    assert!(
        output.stdout.is_empty(),
        "no banner for a server that never ran"
    );
}

#[test]
fn no_history_writes_nothing_and_replays_nothing() {
    let dir = TempDir::new("no-history");
    let mut server = start(&dir, &["--no-history"]);
    server.wait_log("History: off");
    let (mut alice, _bob) = room_with_five_messages(&server);
    let mut carol = protocol_user(&server, "carol");
    carol.send("JOIN #general");
    carol.expect("OK Joined #general (1 users)");
    assert_eq!(carol.line(), "JOIN #general alice");
    alice.expect("JOIN #general carol");
    say(&mut alice, "#general", "alice", "live");
    assert_eq!(carol.line(), "ROOM #general alice live");

    server.signal("TERM");
    assert!(server.wait_exit().success());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read temp dir")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "--no-history wrote {left:?}");
}

#[test]
fn fsync_always_records_before_delivery_and_replays_after_restart() {
    let dir = TempDir::new("fsync-always");
    let mut server = start(&dir, &["--fsync", "always"]);
    server.wait_log("(fsync: always)");
    let mut alice = protocol_user(&server, "alice");
    alice.send("JOIN #general");
    alice.expect("OK Joined #general (0 users)");
    say(&mut alice, "#general", "alice", "kept on disk");
    // Delivered, so already in the file (read while the server runs).
    let last = records(&dir).pop().expect("a record");
    assert_eq!(
        (
            last.kind.as_str(),
            last.place.as_str(),
            last.sender.as_str()
        ),
        ("msg", "#general", "alice")
    );
    assert_eq!(last.text, "kept on disk");
    server.signal("TERM");
    assert!(server.wait_exit().success());
    drop(server);

    let server = start(&dir, &["--fsync", "always"]);
    let mut bob = protocol_user(&server, "bob");
    bob.timed_history();
    bob.send("JOIN #general");
    bob.expect("OK Joined #general (0 users)");
    assert_eq!(
        lines(&mut bob, 3),
        [
            "HISTORY BEGIN #general 1",
            "HISTORY #general <time> alice kept on disk",
            "HISTORY END #general",
        ]
    );
}

#[test]
fn settings_file_sets_data_dir_and_replay_and_flags_beat_it() {
    let dir = TempDir::new("config-file");
    let data = dir.arg("from-file");
    let config = dir.path().join("class.toml");
    std::fs::write(
        &config,
        format!("[history]\ndata_dir = \"{data}\"\nhistory_replay = 2\n"),
    )
    .expect("write settings file");
    let config = config.display().to_string();

    let mut server = Server::start_with(&mut server_command(&dir, &["--config", &config]));
    server.wait_log(&format!("History: {data}/"));
    let mut alice = protocol_user(&server, "alice");
    alice.send("JOIN #general");
    alice.expect("OK Joined #general (0 users)");
    for text in ["one", "two", "three", "four"] {
        say(&mut alice, "#general", "alice", text);
    }
    let mut bob = protocol_user(&server, "bob");
    bob.timed_history();
    bob.send("JOIN #general");
    assert_eq!(
        lines(&mut bob, 6),
        [
            "OK Joined #general (1 users)",
            "JOIN #general alice",
            "HISTORY BEGIN #general 2",
            "HISTORY #general <time> alice three",
            "HISTORY #general <time> alice four",
            "HISTORY END #general",
        ]
    );
    assert!(std::path::Path::new(&data).join("history.tsv").exists());
    server.signal("TERM");
    assert!(server.wait_exit().success());
    drop(server);

    // Same file, but the flag says 3: the flag wins; the history is the one
    // the file's data_dir points to.
    let args = ["--config", config.as_str(), "--history-replay", "3"];
    let server = Server::start_with(&mut server_command(&dir, &args));
    let mut carol = protocol_user(&server, "carol");
    carol.timed_history();
    carol.send("JOIN #general");
    assert_eq!(
        lines(&mut carol, 6),
        [
            "OK Joined #general (0 users)",
            "HISTORY BEGIN #general 3",
            "HISTORY #general <time> alice two",
            "HISTORY #general <time> alice three",
            "HISTORY #general <time> alice four",
            "HISTORY END #general",
        ]
    );
}

/// A full disk, simulated: `ulimit -f 4` lets the server's files grow to
/// 2 KiB (4 blocks of 512 bytes) and then makes writes fail with "File too
/// large", as a full disk would with "No space left on device". `trap ''
/// XFSZ` ignores the signal that would otherwise kill the process instead.
#[test]
#[cfg(target_os = "linux")]
fn a_failing_history_write_refuses_the_message_and_delivers_nothing() {
    let dir = TempDir::new("disk-full");
    let data = dir.arg("data");
    let server_bin = common::bin("step4_server");
    let server_bin = server_bin.display().to_string();
    let mut command = Command::new("sh");
    command
        .args(["-c", "trap '' XFSZ; ulimit -f 4; exec \"$0\" \"$@\""])
        .arg(&server_bin)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
            data.as_str(),
        ])
        .current_dir(dir.path())
        .env_remove("CHATROOM_PASSWORD")
        .env_remove("CHATROOM_ADMIN_PASSWORD");
    let mut server = Server::start_with(&mut command);
    let mut alice = protocol_user(&server, "alice");
    alice.send("JOIN #general");
    alice.expect("OK Joined #general (0 users)");
    let mut bob = protocol_user(&server, "bob");
    bob.send("JOIN #general");
    bob.expect("JOIN #general alice");
    alice.expect("JOIN #general bob");

    // About 100 bytes a record: the 2 KiB are gone after some twenty.
    let mut refused_at = None;
    for n in 0..100 {
        let text = format!("message {n:03} {}", "x".repeat(60));
        alice.send(&text);
        let reply = alice.line();
        if reply == "ERROR Could not store message" {
            refused_at = Some(n);
            break;
        }
        assert_eq!(reply, format!("ROOM #general alice {text}"));
        bob.expect(&format!("ROOM #general alice {text}"));
    }
    let refused_at = refused_at.expect("a write should fail once the file is 2 KiB");
    assert!(refused_at > 5, "refused too early: {refused_at}");

    // The refused message reached nobody: bob's next line is the next thing
    // that happens (alice leaving), not the message.
    alice.send("LEAVE");
    alice.expect("OK Left #general");
    assert_eq!(bob.line(), "LEAVE #general alice");
    server.wait_log("could not write to the history file");
    // At most a torn fragment of it reached the file (the write stopped at
    // the limit); never a whole record, which is what a reader would keep.
    let refused = format!("message {refused_at:03} {}\n", "x".repeat(60));
    let history = std::fs::read_to_string(dir.path().join("data/history.tsv")).expect("history");
    assert!(!history.contains(&refused), "refused message stored whole");
}
