//! Helpers shared by the integration tests: start a real binary on port 0,
//! learn its address from its first log line, and talk to it over real TCP
//! with a timeout on every read.
//!
//! Rules these helpers enforce so that tests pass in parallel and repeatedly:
//! - servers are started with `--port 0`; the tests never pick a port;
//! - every read has a timeout ([`TIMEOUT`]), so a broken server fails a test
//!   instead of hanging it;
//! - tests wait for what a program *says* (a log line, a reply), never sleep;
//! - on failure the message shows what was received, so the reason is visible.
#![allow(dead_code)] // each test file uses a different part of this module

/// Headless Chromium driven through its DevTools protocol.
pub mod browser;
/// Client programs (steps 2 and 3) with piped stdin/stdout, and a scripted server.
pub mod program;

/// irssi and WeeChat in tmux, for tests with real IRC clients.
pub mod irssi;
/// Programs a test needs (nc, telnet, curl, tmux, irssi, chromium): skip
/// with the install command when one is missing, fail under `CI=true`.
pub mod programs;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// The longest any single wait in a test may take before it fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The path of one of this package's binaries, built by cargo for the tests.
pub fn bin(name: &str) -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin(name)
}

/// A running server process. Killed when dropped, so a failing test never
/// leaves a server behind.
pub struct Server {
    pub child: Child,
    /// Where to connect (an unspecified bind address becomes 127.0.0.1).
    pub addr: SocketAddr,
    /// The first log line, e.g. `… Chat server started on 127.0.0.1:41523`.
    pub first_line: String,
    log_lines: Receiver<String>,
    /// Every log line seen so far, for failure messages and `log_so_far`.
    seen: Vec<String>,
    /// The program's real output (stdout), line by line: the server's banner.
    stdout_lines: Receiver<String>,
    /// Every stdout line seen so far, for `wait_stdout` and `stdout_so_far`.
    stdout_seen: Vec<String>,
}

impl Server {
    /// Starts `bin_name` with `args` (which should include `--port 0`), reads
    /// its first stderr line and takes the address after " on ".
    pub fn start(bin_name: &str, args: &[&str]) -> Server {
        // Run from the temp dir, so a developer's own ./chatroom.toml in the
        // repository can never change what a test sees.
        Server::start_with(
            Command::new(bin(bin_name))
                .args(args)
                .current_dir(std::env::temp_dir()),
        )
    }

    /// Like [`Server::start`], for a command the test has prepared (env, cwd).
    pub fn start_with(command: &mut Command) -> Server {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn server");
        let log_lines = lines_of(child.stderr.take().expect("stderr piped"));
        // Read stdout too (on its own thread, so a chatty server never blocks
        // on a full pipe); tests look at it with `wait_stdout`.
        let stdout_lines = lines_of(child.stdout.take().expect("stdout piped"));
        let first_line = match log_lines.recv_timeout(TIMEOUT) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().ok();
                panic!("server printed no first log line (exit status: {status:?})");
            }
        };
        let addr = address_in(&first_line)
            .unwrap_or_else(|| panic!("no address in first log line: {first_line:?}"));
        Server {
            child,
            addr,
            first_line: first_line.clone(),
            log_lines,
            seen: vec![first_line],
            stdout_lines,
            stdout_seen: Vec::new(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until a log line contains `needle`; returns that line.
    pub fn wait_log(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.log_lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no log line containing {needle:?} within {TIMEOUT:?}; log so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// All log lines read so far plus any already waiting.
    pub fn log_so_far(&mut self) -> Vec<String> {
        while let Ok(line) = self.log_lines.try_recv() {
            self.seen.push(line);
        }
        self.seen.clone()
    }

    /// Waits until a stdout line contains `needle` (lines already seen count
    /// too: the banner is printed once); returns that line.
    pub fn wait_stdout(&mut self, needle: &str) -> String {
        if let Some(line) = self.stdout_seen.iter().find(|line| line.contains(needle)) {
            return line.clone();
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout_lines.recv_timeout(left) {
                Ok(line) => {
                    self.stdout_seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no stdout line containing {needle:?} within {TIMEOUT:?}; stdout so far:\n{}",
                    self.stdout_seen.join("\n")
                ),
            }
        }
    }

    /// All stdout lines read so far plus any already waiting.
    pub fn stdout_so_far(&mut self) -> Vec<String> {
        while let Ok(line) = self.stdout_lines.try_recv() {
            self.stdout_seen.push(line);
        }
        self.stdout_seen.clone()
    }

    /// Every log line the server printed, read until its stderr closes (it
    /// exited): for checks on the whole log, such as "no password in it".
    /// Call after [`Server::wait_exit`] or a signal that ends the server.
    pub fn whole_log(&mut self) -> Vec<String> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.log_lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(RecvTimeoutError::Disconnected) => return self.seen.clone(),
                Err(RecvTimeoutError::Timeout) => {
                    panic!("server's stderr still open after {TIMEOUT:?}; did it exit?")
                }
            }
        }
    }

    /// Sends a signal by name ("TERM", "INT", "KILL") with the `kill` program.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the process to exit, failing the test after [`TIMEOUT`].
    pub fn wait_exit(&mut self) -> ExitStatus {
        wait_for_exit(&mut self.child, || "server did not exit".to_string())
    }

    /// A client connected to this server.
    pub fn connect(&self) -> Client {
        Client::connect(self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for `child` to exit, polling (std has no wait with a timeout);
/// after [`TIMEOUT`] the test fails with `failure()` as its message.
pub fn wait_for_exit(child: &mut Child, failure: impl Fn() -> String) -> ExitStatus {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "{} within {TIMEOUT:?}",
            failure()
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// Reads lines from a child's pipe on a thread, so tests can wait with a timeout.
pub fn lines_of<R: Read + Send + 'static>(pipe: R) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            match line {
                Ok(line) => {
                    if sender.send(line).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    });
    receiver
}

/// The first `ip:port` after " on " in a log line; 0.0.0.0 → 127.0.0.1.
pub fn address_in(line: &str) -> Option<SocketAddr> {
    let after = line.split(" on ").nth(1)?;
    let token = after.split_whitespace().next()?;
    let mut addr: SocketAddr = token.parse().ok()?;
    if addr.ip().is_unspecified() {
        addr.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    Some(addr)
}

/// A raw TCP client for tests: line-oriented, every read with a timeout.
pub struct Client {
    pub stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect");
        stream
            .set_read_timeout(Some(TIMEOUT))
            .expect("read timeout");
        stream
            .set_write_timeout(Some(TIMEOUT))
            .expect("write timeout");
        let reader = BufReader::new(stream.try_clone().expect("clone"));
        Client { stream, reader }
    }

    /// Sends raw bytes exactly as given.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    /// Sends one line ending in `\r\n`.
    pub fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\r\n").as_bytes());
    }

    /// The next line without its `\r\n`; panics on timeout or end of stream.
    pub fn line(&mut self) -> String {
        match self.try_line() {
            Some(line) => line,
            None => panic!("connection closed while a line was expected"),
        }
    }

    /// The next line, or `None` at end of stream. Panics on timeout.
    pub fn try_line(&mut self) -> Option<String> {
        let mut bytes = Vec::new();
        match self.reader.read_until(b'\n', &mut bytes) {
            Ok(0) => None,
            Ok(_) => {
                let text = String::from_utf8_lossy(&bytes);
                Some(text.trim_end_matches(['\r', '\n']).to_string())
            }
            Err(e) => panic!("no line within {TIMEOUT:?}: {e}"),
        }
    }

    /// Reads lines until one equals `expected`; returns the lines skipped.
    pub fn expect(&mut self, expected: &str) -> Vec<String> {
        self.read_until(|line| line == expected)
    }

    /// Reads lines until `done(line)` is true; returns the lines before it.
    pub fn read_until(&mut self, mut done: impl FnMut(&str) -> bool) -> Vec<String> {
        let mut skipped = Vec::new();
        loop {
            match self.try_line() {
                Some(line) if done(&line) => return skipped,
                Some(line) => skipped.push(line),
                None => panic!("connection closed; received before that: {skipped:#?}"),
            }
        }
    }

    /// Reads until the server closes the connection; returns what came.
    pub fn read_to_close(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(line) = self.try_line() {
            lines.push(line);
        }
        lines
    }

    /// Closes our sending side, as `nc` does at the end of its input.
    pub fn shutdown_write(&self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }
}

// ---- Helpers for the step 4 server tests -----------------------------------

/// The greeting a new connection gets with the default `--motd`, line by line.
pub const GREETING: [&str; 3] = [
    "NOTICE Welcome to chatroom!",
    "NOTICE Pick a name: type /nick <name> (people) or USERNAME <name> (programs)",
    "NOTICE /help lists the commands",
];

impl Server {
    /// `step4_server` on 127.0.0.1, port 0, history kept in memory only,
    /// plus `extra` flags (a later flag overrides an earlier one).
    pub fn start_chat(extra: &[&str]) -> Server {
        let mut args = vec!["--host", "127.0.0.1", "--port", "0", "--no-history"];
        args.extend_from_slice(extra);
        Server::start("step4_server", &args)
    }

    /// [`Server::start_chat`] with environment variables set (the
    /// passwords, `CHATROOM_PASSWORD` and `CHATROOM_ADMIN_PASSWORD`, which
    /// are otherwise removed so that the caller's own never leak in).
    pub fn start_chat_env(extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(bin("step4_server"));
        command
            .args(["--host", "127.0.0.1", "--port", "0", "--no-history"])
            .args(extra)
            .current_dir(std::env::temp_dir())
            .env_remove("CHATROOM_PASSWORD")
            .env_remove("CHATROOM_ADMIN_PASSWORD")
            .envs(env.iter().copied());
        Server::start_with(&mut command)
    }

    /// A client registered in protocol mode (`USERNAME name`), greeting read.
    pub fn login(&self, name: &str) -> Client {
        let mut client = self.connect();
        client.login(name);
        client
    }

    /// A client registered in chat mode (`/nick name`), welcome line read
    /// (an auto-join's lines, if any, are still to be read).
    pub fn nick(&self, name: &str) -> Client {
        let mut client = self.connect();
        client.nick(name);
        client
    }
}

impl Client {
    /// Registers in protocol mode; checks that only greeting lines came first.
    pub fn login(&mut self, name: &str) {
        self.send(&format!("USERNAME {name}"));
        let before = self.expect(&format!("OK Welcome, {name}!"));
        assert_greeting(&before);
    }

    /// Registers in chat mode; checks that only greeting lines came first.
    pub fn nick(&mut self, name: &str) {
        self.send(&format!("/nick {name}"));
        let before = self.expect(&format!(
            "*** Welcome, {name}! Type a message and press Enter to send it. /help lists commands."
        ));
        assert_greeting(&before);
    }

    /// Asks for the fenced, timed history replay (`HISTORY BEGIN` …) that
    /// the step 3 client and the page ask for; without it a join replays
    /// seed 002's plain `ROOM` lines.
    pub fn timed_history(&mut self) {
        self.send("HISTORY TIMED");
        self.expect("OK History timed");
    }

    /// Reads the next line and checks it is exactly `expected`.
    pub fn expect_next(&mut self, expected: &str) {
        let line = self.line();
        assert_eq!(line, expected, "unexpected line from the server");
    }

    /// Reads `expected.len()` lines and checks them one by one.
    pub fn expect_lines(&mut self, expected: &[&str]) {
        let got: Vec<String> = (0..expected.len()).map(|_| self.line()).collect();
        assert_eq!(got, expected, "unexpected lines from the server");
    }

    /// Sends `line` and returns the first line of the reply.
    pub fn ask(&mut self, line: &str) -> String {
        self.send(line);
        self.line()
    }

    /// Proves that nothing is waiting for this client: sends `probe` (a
    /// command whose reply starts with `reply_prefix`) and checks that the
    /// reply is the very next line. Everything the server did for other
    /// clients before this call is already in this client's queue, so a line
    /// that should not have been sent would show up here.
    pub fn assert_nothing_pending(&mut self, probe: &str, reply_prefix: &str) {
        self.send(probe);
        let line = self.line();
        assert!(
            line.starts_with(reply_prefix),
            "expected nothing before the reply to {probe:?}, got {line:?}"
        );
    }
}

/// Checks that `lines` are greeting lines (all or some of them: the greeting
/// may be sent before or after the first line the client sends).
pub fn assert_greeting(lines: &[String]) {
    assert!(
        lines.iter().all(|line| line.starts_with("NOTICE ")),
        "expected only greeting lines, got {lines:#?}"
    );
}

/// Counts a process's threads (`Threads:` in /proc/<pid>/status).
pub fn thread_count(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("Threads: line")
}

/// Counts a process's open file descriptors (entries of /proc/<pid>/fd).
pub fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("read fd dir")
        .count()
}

/// Polls `check` every 20 ms until it returns true, for at most [`TIMEOUT`].
/// Returns whether it did.
pub fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// A fresh, empty directory for one test, removed when dropped: the
/// library's one temp-dir helper.
#[allow(unused_imports)] // not every test program writes files
pub use chatroom::support::tempdir::TempDir;

/// A client of `step4_server` registered in protocol mode (as a program
/// would): `USERNAME <name>`, answered by `OK Welcome, <name>!`.
pub fn protocol_user(server: &Server, name: &str) -> Client {
    let mut client = server.connect();
    client.send(&format!("USERNAME {name}"));
    client.expect(&format!("OK Welcome, {name}!"));
    client
}

/// A client of `step4_server` registered in chat mode (as a person on `nc`
/// would): `/nick <name>`, answered by `*** Welcome, <name>! …`. The server
/// then puts them into its default room; the lines saying so are left unread.
pub fn chat_user(server: &Server, name: &str) -> Client {
    let mut client = server.connect();
    client.send(&format!("/nick {name}"));
    let welcome = format!("*** Welcome, {name}!");
    client.read_until(|line| line.starts_with(&welcome));
    client
}

/// A protocol `HISTORY <room> <time> <from> <text>` line with its time
/// (checked to be an RFC 3339 time) written `<time>`, so tests can compare
/// replayed lines exactly; any other line comes back as it is.
#[allow(dead_code)] // not every test program replays history
pub fn untimed(line: &str) -> String {
    let parts: Vec<&str> = line.splitn(4, ' ').collect();
    match parts.as_slice() {
        ["HISTORY", room, time, rest] if room.starts_with('#') => {
            assert!(
                time.len() == 24 && chatroom::support::timestamp::parse(time).is_ok(),
                "not an RFC 3339 time in {line:?}"
            );
            format!("HISTORY {room} <time> {rest}")
        }
        _ => line.to_string(),
    }
}
