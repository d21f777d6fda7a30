//! chat_bench smoke tests: tiny scenarios against the real step4_server
//! (which chat_bench starts itself, on port 0), checking the `key=value`
//! line a script would read and that nothing was lost.
//!
//! The sizes are tiny on purpose: these tests prove the tool works, not how
//! fast the server is, and they must not disturb other tests running in
//! parallel on a small machine.

mod common;

use assert_cmd::Command;

/// Runs chat_bench with `args`; returns (exit code, stdout, stderr).
fn chat_bench(args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("chat_bench")
        .expect("chat_bench is built")
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run chat_bench");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The value of `key` in the stdout line that starts with `scenario=`.
fn value<'a>(stdout: &'a str, key: &str) -> &'a str {
    let line = stdout
        .lines()
        .find(|line| line.starts_with("scenario="))
        .unwrap_or_else(|| panic!("no key=value line in:\n{stdout}"));
    line.split(' ')
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no {key}= in {line}"))
}

#[test]
fn fanout_delivers_every_message_once_in_order() {
    let (code, stdout, stderr) = chat_bench(&[
        "fanout",
        "--clients",
        "6",
        "--senders",
        "2",
        "--messages",
        "50",
        "--timeout",
        "30",
    ]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    // 2 senders × 50 messages, each to all 6 clients (senders included).
    assert_eq!(value(&stdout, "deliveries"), "600");
    for key in ["lost", "dup", "reordered", "errors"] {
        assert_eq!(value(&stdout, key), "0", "{key}");
    }
    assert!(value(&stdout, "deliveries_per_sec").parse::<f64>().unwrap() > 0.0);
    assert!(
        value(&stdout, "server_peak_rss_kib")
            .parse::<u64>()
            .unwrap()
            > 0
    );
    assert!(
        stdout.contains("latency p99 (ms)"),
        "the table is missing:\n{stdout}"
    );
}

#[test]
fn fanout_at_a_fixed_rate_takes_the_expected_time() {
    // 20 messages at 100/s: the last one is due after 0.19 s.
    let (code, stdout, stderr) = chat_bench(&[
        "fanout",
        "--clients",
        "3",
        "--senders",
        "2",
        "--messages",
        "10",
        "--rate",
        "100",
    ]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(value(&stdout, "deliveries"), "60");
    assert_eq!(value(&stdout, "lost"), "0");
    let seconds: f64 = value(&stdout, "send_s").parse().unwrap();
    assert!((0.18..5.0).contains(&seconds), "send_s={seconds}");
}

#[test]
fn idle_broadcast_reaches_everyone() {
    let (code, stdout, stderr) = chat_bench(&["idle", "--clients", "20"]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(value(&stdout, "broadcast_reached"), "20");
    assert!(value(&stdout, "threads_after").parse::<u64>().unwrap() > 0);
}

#[test]
fn churn_leaves_no_fds_behind() {
    let (code, stdout, stderr) = chat_bench(&["churn", "--cycles", "30"]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(value(&stdout, "completed"), "30");
    assert_eq!(value(&stdout, "fds_after"), value(&stdout, "fds_before"));
    // The visits' readers wait in `accept()` for the next visit, not
    // ended: a few stay until they retire (5 s; `tests/server_robustness.rs`
    // waits for that). Two connections at once need at most a reader and a
    // writer each, plus readers waiting for the next.
    let before: u64 = value(&stdout, "threads_before").parse().unwrap();
    let after: u64 = value(&stdout, "threads_after").parse().unwrap();
    assert!(
        (before..=before + 6).contains(&after),
        "{before} threads before, {after} after"
    );
}

#[test]
fn mistakes_are_usage_errors() {
    let (code, _, stderr) = chat_bench(&["stampede"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown scenario \"stampede\""), "{stderr}");
    let (code, _, stderr) = chat_bench(&["fanout", "--host", "127.0.0.1"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--host and --port go together"), "{stderr}");
    let (code, _, stderr) = chat_bench(&["fanout", "--clients", "2", "--senders", "5"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("senders are some of the clients"),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_server_is_one_line_and_exit_1() {
    // Port 1 on localhost: nothing listens there without root.
    let (code, _, stderr) = chat_bench(&[
        "fanout",
        "--host",
        "127.0.0.1",
        "--port",
        "1",
        "--clients",
        "2",
        "--senders",
        "1",
        "--timeout",
        "10",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("error: cannot connect to 127.0.0.1:1"),
        "{stderr}"
    );
}

/// The peer's binary, or `None` after saying plainly why the test is skipped.
fn peer_binary(path: &str, package: &str) -> Option<&'static str> {
    if std::path::Path::new(path).is_file() {
        Some(if package == "ngircd" {
            "ngircd"
        } else {
            "inspircd"
        })
    } else {
        println!("SKIPPED: {path} is not installed (Debian package {package})");
        None
    }
}

#[test]
fn the_irc_profile_drives_a_real_ngircd() {
    let Some(server) = peer_binary("/usr/sbin/ngircd", "ngircd") else {
        return;
    };
    let (code, stdout, stderr) = chat_bench(&[
        "fanout",
        "--server",
        server,
        "--profile",
        "irc",
        "--clients",
        "6",
        "--senders",
        "2",
        "--messages",
        "50",
        "--connect-at-once",
        "8",
        "--timeout",
        "30",
    ]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(value(&stdout, "profile"), "irc");
    // An IRC server does not echo: 2 senders × 50 messages × 5 others.
    assert_eq!(value(&stdout, "deliveries"), "500");
    for key in ["lost", "dup", "reordered", "errors"] {
        assert_eq!(value(&stdout, key), "0", "{key}");
    }
    // The server's own process was measured (it runs under `sh -c … exec`).
    assert!(
        value(&stdout, "server_peak_rss_kib")
            .parse::<u64>()
            .unwrap()
            > 0
    );
}

#[test]
fn the_irc_profile_churns_ngircd_without_leaks() {
    let Some(server) = peer_binary("/usr/sbin/ngircd", "ngircd") else {
        return;
    };
    let (code, stdout, stderr) = chat_bench(&[
        "churn",
        "--server",
        server,
        "--profile",
        "irc",
        "--cycles",
        "20",
    ]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(value(&stdout, "completed"), "20");
    // No leak: ngIRCd ends with no more open files than it started with.
    // Sometimes it ends with one fewer (seen 9 after 10): something ngIRCd
    // had open before the run closed during it, which is not a leak.
    let fds = |key: &str| value(&stdout, key).parse::<u64>().unwrap();
    assert!(fds("fds_after") <= fds("fds_before"), "{stdout}");
}

#[test]
fn the_irc_profile_drives_a_real_inspircd() {
    let Some(server) = peer_binary("/usr/sbin/inspircd", "inspircd") else {
        return;
    };
    let (code, stdout, stderr) = chat_bench(&[
        "fanout",
        "--server",
        server,
        "--profile",
        "irc",
        "--clients",
        "4",
        "--senders",
        "2",
        "--messages",
        "20",
        "--timeout",
        "30",
    ]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(value(&stdout, "deliveries"), "120");
    assert_eq!(value(&stdout, "lost"), "0");
}

#[test]
fn connect_measures_a_running_server() {
    let server = common::Server::start_chat(&["--rate-per-sec", "0"]);
    let address = server.addr.to_string();
    let pid = server.pid().to_string();
    let (code, stdout, stderr) = chat_bench(&[
        "fanout",
        "--connect",
        &address,
        "--server-pid",
        &pid,
        "--clients",
        "3",
        "--senders",
        "1",
        "--messages",
        "10",
        "--timeout",
        "30",
    ]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains(&address), "{stderr}");
    assert_eq!(value(&stdout, "deliveries"), "30");
    assert_eq!(value(&stdout, "lost"), "0");
    // With its pid, the running server's own figures are read.
    assert_ne!(value(&stdout, "server_peak_rss_kib"), "n/a");
}

#[test]
fn profile_and_connect_mistakes_are_usage_errors() {
    for (args, expected) in [
        (
            &["fanout", "--profile", "xmpp"][..],
            "expected chatroom or irc",
        ),
        (
            &["fanout", "--connect", "localhost"][..],
            "expected HOST:PORT",
        ),
        (
            &["fanout", "--server", "unrealircd"][..],
            "expected step4, ngircd or inspircd",
        ),
        (
            &[
                "fanout",
                "--connect",
                "127.0.0.1:6667",
                "--server",
                "ngircd",
            ][..],
            "give one",
        ),
        (&["slow", "--profile", "irc"][..], "too long for IRC"),
        (
            &["suite", "--server", "ngircd"][..],
            "starts its own servers",
        ),
        (&["peers", "--clients", "5"][..], "--clients is not for it"),
        (&["peers", "--rows", "everything"][..], "for --rows"),
        (&["peers", "--only", "unrealircd"][..], "for --only"),
        (&["fanout", "--rows", "churn"][..], "--rows is for peers"),
        (
            &["fanout", "--duration", "5"][..],
            "--duration is for churn",
        ),
        (
            &["fanout", "--server", "ngircd", "--no-direct-send"][..],
            "--no-direct-send is a flag of the step4_server",
        ),
    ] {
        let (code, _, stderr) = chat_bench(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

/// `chat_bench floor`, the design card's shape with no chat in it, answers
/// churn visits each way it keeps its threads and in both profiles, so
/// `churn --connect` measures it like any server (the design chapter's
/// floor figures come from it).
#[test]
fn the_floor_serves_churn_visits_every_way() {
    for (way, profile) in [
        ("accept", "chatroom"),
        ("hand-over", "irc"),
        ("spawn", "irc"),
    ] {
        let floor = common::Server::start_with(
            std::process::Command::new(common::bin("chat_bench")).args([
                "floor",
                "--profile",
                profile,
                "--way",
                way,
            ]),
        );
        let address = floor.addr.to_string();
        let pid = floor.pid().to_string();
        let (code, stdout, stderr) = chat_bench(&[
            "churn",
            "--connect",
            &address,
            "--server-pid",
            &pid,
            "--profile",
            profile,
            "--cycles",
            "40",
            "--connect-at-once",
            "4",
        ]);
        assert_eq!(code, 0, "{way} {profile}: {stdout}\n{stderr}");
        assert_eq!(value(&stdout, "completed"), "40", "{way} {profile}");
    }
    let (code, _, stderr) = chat_bench(&["floor", "--way", "epoll"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--way is accept, hand-over or spawn"),
        "{stderr}"
    );
}
