//! How many threads a connection holds, and whether they are reused
//! (`src/support/pool.rs`, `src/outbox/`): with the fast path on, an idle
//! connection holds one thread, its reader; with it off, two (reader and
//! writer). A connection's threads come from pools of parked threads, so
//! connections coming and going one after another are served by the same
//! few threads, which retire once the server is idle, and
//! a client whose socket fills gets a writer and still every line, in order.
//! The server's log says at start what it can hold and why.

mod common;

use common::{eventually, fd_count, thread_count, Client, Server};
use std::process::Command;

/// A server with `direct_send` as given, whatever the environment says.
fn start(direct_send: bool) -> Server {
    Server::start_with(
        Command::new(common::bin("step4_server"))
            .args(["--host", "127.0.0.1", "--port", "0", "--no-history"])
            .args(["--rate-per-sec", "0", "--connect-rate-per-ip", "0"])
            .args(["--max-unregistered-per-ip", "0"])
            .env("CHATROOM_DIRECT_SEND", direct_send.to_string())
            .current_dir(std::env::temp_dir()),
    )
}

/// `n` clients registered, in one room, then silent: the server's threads
/// before and after.
fn threads_for_idle_clients(direct_send: bool, n: usize) -> (usize, usize, Vec<Client>) {
    let server = start(direct_send);
    let pid = server.pid();
    let before = thread_count(pid);
    let mut clients = Vec::new();
    for i in 0..n {
        let mut client = server.login(&format!("idle{i}"));
        client.send("JOIN #quiet");
        client.read_until(|line| line.starts_with("OK Joined #quiet"));
        clients.push(client);
    }
    // Registered and joined: every reader is running. Wait for the count to
    // settle (a lazy writer started for the join burst would leave).
    let mut last = thread_count(pid);
    assert!(eventually(|| {
        std::thread::sleep(std::time::Duration::from_millis(300));
        let now = thread_count(pid);
        let settled = now == last;
        last = now;
        settled
    }));
    // `server` is dropped here, after counting: keep the clients' ends.
    let after = thread_count(pid);
    drop(server);
    (before, after, clients)
}

#[test]
fn an_idle_connection_holds_one_thread_with_the_fast_path() {
    let (before, after, _clients) = threads_for_idle_clients(true, 40);
    eprintln!("fast path: {before} threads, then {after} with 40 idle clients");
    assert!(
        after >= before + 40 && after <= before + 42,
        "40 idle clients: {before} threads before, {after} after (one each expected)"
    );
}

#[test]
fn an_idle_connection_holds_two_threads_without_the_fast_path() {
    let (before, after, _clients) = threads_for_idle_clients(false, 40);
    eprintln!("direct_send off: {before} threads, then {after} with 40 idle clients");
    assert!(
        after >= before + 80 && after <= before + 82,
        "40 idle clients: {before} threads before, {after} after (two each expected)"
    );
}

/// The ids of a process's threads now (the entries of /proc/<pid>/task).
fn thread_ids(pid: u32) -> Vec<u32> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn connections_one_after_another_reuse_the_parked_threads() {
    let server = start(std::env::var("CHATROOM_DIRECT_SEND").as_deref() != Ok("false"));
    let pid = server.pid();
    let before = thread_count(pid);
    let fds_before = fd_count(pid);
    // Every thread that ever served a visit, by its id: a server that
    // started threads per visit would show a new one (or two) each time.
    let mut seen = std::collections::HashSet::new();
    for i in 0..200 {
        let mut client = server.login(&format!("visitor{i}"));
        seen.extend(thread_ids(pid));
        client.send("QUIT");
        let lines = client.read_to_close();
        assert_eq!(lines.last().map(String::as_str), Some("OK Goodbye!"));
    }
    eprintln!(
        "200 visits one after another: {before} threads before, {} thread ids seen",
        seen.len()
    );
    // How many are kept depends on timing, not on the count of visits: a
    // visit may arrive while the last one's reader is still on its way back
    // to accept(), and then one more is started and kept for a while.
    assert!(
        seen.len() <= before + 12,
        "{} different threads over 200 visits one at a time (started from {before})",
        seen.len()
    );
    // Idle, the kept threads retire: back to where the server started.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while thread_count(pid) > before && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(thread_count(pid), before, "the kept threads did not retire");
    assert!(eventually(|| fd_count(pid) <= fds_before));
}

#[test]
fn a_client_whose_socket_fills_gets_a_writer_and_every_line_in_order() {
    let server = start(true);
    let mut alice = server.login("alice");
    let mut bob = server.login("bob");
    alice.send("JOIN #fill");
    alice.read_until(|line| line.starts_with("OK Joined #fill"));
    bob.send("JOIN #fill");
    bob.read_until(|line| line.starts_with("OK Joined #fill"));
    alice.read_until(|line| line == "JOIN #fill bob");
    // Bob stops reading while alice sends lines of 900 bytes: within a few
    // megabytes his socket fills, a writer is started for him, and his
    // queue holds what does not fit. Alice stops as soon as it has (well
    // before bob's queue_len lines are queued: he is only behind).
    let filler = "y".repeat(900);
    let mut sent = 0;
    let mut writer_seen = false;
    while !writer_seen && sent < 20_000 {
        alice.send(&format!("MSG {filler} {sent}"));
        alice.read_until(|line| line.ends_with(&format!(" {sent}")));
        sent += 1;
        if sent % 20 == 0 {
            writer_seen = writer_threads(server.pid()) > 0;
        }
    }
    assert!(
        writer_seen,
        "no writer thread after {sent} lines to a full socket"
    );
    // Now bob reads: every line, in order, none twice.
    let mut next = 0;
    while next < sent {
        let line = bob.line();
        if let Some(n) = line.strip_prefix(&format!("ROOM #fill alice {filler} ")) {
            assert_eq!(n.parse::<usize>().ok(), Some(next), "out of order: {n}");
            next += 1;
        }
    }
    eprintln!("a writer was started after {sent} lines of 900 bytes; bob got them all");
}

/// How many of the server's threads are writers.
fn writer_threads(pid: u32) -> usize {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm")).is_ok_and(|n| n.trim() == "writer")
        })
        .count()
}

#[test]
fn the_log_says_what_the_machine_can_hold_and_why() {
    let mut server = start(true);
    let line = server.wait_log("Capacity: ");
    eprintln!("{line}");
    assert!(line.contains("connections at most"), "{line}");
    if std::path::Path::new("/proc/sys/vm/max_map_count").exists() {
        assert!(line.contains("a connection holds 1 thread"), "{line}");
    }
    let mut off = start(false);
    let line = off.wait_log("Capacity: ");
    if std::path::Path::new("/proc/sys/vm/max_map_count").exists() {
        assert!(line.contains("a connection holds 2 threads"), "{line}");
    }
}
