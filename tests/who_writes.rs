//! Who writes a line to a client's socket (`src/outbox/`): with
//! `direct_send` on, the sender that queued it, while the client keeps up,
//! and the client's own writer thread once its socket is full (started
//! then, from the pool: a client who keeps up has none); with it off,
//! always the writer thread, there from the start. Seen from outside
//! through the kernel's count of how often each writer thread went to
//! sleep and was woken (`voluntary_ctxt_switches` in
//! `/proc/<pid>/task/<tid>/status`; the server names its threads `reader`
//! and `writer`).

mod common;

use common::{protocol_user, Client, Server};
use std::process::Command;
use std::time::{Duration, Instant};

/// A server with `direct_send` as given, whatever the environment the
/// suite runs in says (CI runs it once with `CHATROOM_DIRECT_SEND=false`).
fn start(direct_send: bool) -> Server {
    Server::start_with(
        Command::new(common::bin("step4_server"))
            .args(["--port", "0", "--no-history", "--rate-per-sec", "0"])
            .env("CHATROOM_DIRECT_SEND", direct_send.to_string())
            .current_dir(std::env::temp_dir()),
    )
}

/// Alice says 200 lines, one at a time as people type, to a room where bob
/// and carol read: 600 deliveries. How many times were the writers woken?
fn writer_wake_ups_for_600_deliveries(server: &Server, direct_send: bool) -> u64 {
    // With the fast path, writers are started for a backlog only.
    let writers_expected = match direct_send {
        true => 0,
        false => 3,
    };
    let mut alice = member(server, "alice");
    let mut bob = member(server, "bob");
    let mut carol = member(server, "carol");
    alice.read_until(|line| line == "JOIN #lab carol");
    bob.read_until(|line| line == "JOIN #lab carol");
    // Each writer parks once at its start; wait until all have.
    assert!(common::eventually(|| {
        let (wake_ups, writers) = writer_wake_ups(server.pid());
        writers == writers_expected && wake_ups >= writers_expected as u64
    }));
    let (before, _) = writer_wake_ups(server.pid());
    for n in 0..200 {
        alice.send(&format!("MSG line {n}"));
        alice.expect(&format!("ROOM #lab alice line {n}"));
    }
    bob.read_until(|line| line == "ROOM #lab alice line 199");
    carol.read_until(|line| line == "ROOM #lab alice line 199");
    let (after, writers) = writer_wake_ups(server.pid());
    assert_eq!(writers, writers_expected);
    after - before
}

/// How many times the server's writer threads have been put to sleep and
/// woken, all together, and how many writer threads there are.
fn writer_wake_ups(pid: u32) -> (u64, usize) {
    let mut wake_ups = 0;
    let mut writers = 0;
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return (0, 0);
    };
    for task in tasks.flatten() {
        let path = task.path();
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if name.trim() != "writer" {
            continue;
        }
        writers += 1;
        let status = std::fs::read_to_string(path.join("status")).unwrap_or_default();
        wake_ups += status
            .lines()
            .find_map(|line| line.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .unwrap_or(0);
    }
    (wake_ups, writers)
}

fn member(server: &Server, name: &str) -> Client {
    let mut client = protocol_user(server, name);
    client.send("JOIN #lab");
    client.read_until(|line| line.starts_with("OK Joined #lab"));
    client
}

#[test]
fn lines_to_members_who_keep_up_never_wake_their_writers() {
    let server = start(true);
    let woken = writer_wake_ups_for_600_deliveries(&server, true);
    eprintln!("direct_send on: 600 deliveries; no writer thread, {woken} wake-ups");
    // Waking the writers for each line would be 600 wake-ups here.
    assert!(
        woken <= 3,
        "the writers were woken {woken} times for 600 deliveries to members who read"
    );
}

#[test]
fn without_direct_send_every_line_goes_through_a_writer_thread() {
    let server = start(false);
    let woken = writer_wake_ups_for_600_deliveries(&server, false);
    eprintln!("direct_send off: 600 deliveries; the 3 writers were woken {woken} times");
    // One line at a time: each of the 600 deliveries wakes its writer,
    // unless a writer is still awake from the line before.
    assert!(
        woken >= 300,
        "the writers were woken only {woken} times for 600 deliveries"
    );
}

#[test]
fn a_member_who_stops_reading_gets_their_writer_and_the_others_go_on() {
    let server = start(true);
    let mut alice = member(&server, "alice");
    let _stalled = member(&server, "stalled"); // never reads again
    let mut carol = member(&server, "carol");
    alice.read_until(|line| line == "JOIN #lab carol");
    // Nobody has a backlog yet: no writer threads at all.
    assert!(common::eventually(|| writer_wake_ups(server.pid()).1 == 0));
    let threads_before = common::thread_count(server.pid());
    let filler = "x".repeat(900);
    let deadline = Instant::now() + common::TIMEOUT;
    let mut sent = 0;
    // The stalled member's socket fills within a few megabytes; a writer
    // thread is then started for it (and only for it).
    let woken = loop {
        for _ in 0..100 {
            alice.send(&format!("MSG {filler} {sent}"));
            sent += 1;
        }
        // Alice reads her own lines back too: only the stalled one stalls.
        let last = format!(" {}", sent - 1);
        alice.read_until(|line| line.ends_with(&last));
        carol.read_until(|line| line.ends_with(&last));
        let (_, writers) = writer_wake_ups(server.pid());
        if writers == 1 {
            assert_eq!(common::thread_count(server.pid()), threads_before + 1);
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    assert!(
        woken,
        "no writer was woken after {sent} lines to a member who never reads"
    );
    eprintln!("the stalled member's writer took over after {sent} lines of 900 bytes");
}
