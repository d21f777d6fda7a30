//! The server under test: a release `step4_server` that chat_bench starts
//! for one run, a peer IRC server started the same way (its configuration is
//! `peers.rs`'s business), or a server someone else runs (`--connect`), and
//! the figures Linux keeps about it in `/proc`.
//!
//! Why start a fresh server for every run: each run then begins from the same
//! state (no members, no history, no memory left over from the last run), so
//! three runs of a scenario are three samples of the same thing and their
//! median means something. The server gets a temporary data directory that
//! is removed afterwards, and its rate limit is switched off, because the
//! benchmark sends far faster than any person types.
//!
//! The server logs every accept, registration and disconnect on stderr. A
//! pipe holds only 64 KiB, and a server blocked on a full log pipe would look
//! like a slow server, so two threads read its stderr and stdout to the end
//! for as long as it runs.
//!
//! `/proc/<pid>/stat` counts CPU time in clock ticks. The tick length comes
//! from `sysconf(_SC_CLK_TCK)`, which std does not offer; Linux has used 100
//! ticks per second on every common architecture for decades, so
//! [`CLOCK_TICKS_PER_SEC`] is that constant.

use std::collections::VecDeque;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Linux's USER_HZ: the unit of utime and stime in `/proc/<pid>/stat`.
pub const CLOCK_TICKS_PER_SEC: f64 = 100.0;

/// How long the server may take to print its first log line.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the server may take to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// How many of the server's last log lines to keep for error messages.
const LOG_TAIL_LINES: usize = 20;

/// The words the server logs when it disconnects a client that stopped
/// reading (its send queue of `--queue-len` lines filled up).
pub const QUEUE_FULL_LOG: &str = "send queue full";

/// The words step4_server logs at start when the machine's limits (memory
/// mappings, open files) hold fewer connections than `--max-clients` asks
/// for: `Warning: max_clients lowered from 20000 to 8066: …`.
pub const CAPACITY_LOG: &str = "max_clients lowered";

/// The server a run talks to.
pub struct Target {
    /// Where the clients connect.
    pub addr: SocketAddr,
    /// The process to read figures from, when known.
    pub pid: Option<u32>,
    /// Set when chat_bench started the server itself.
    local: Option<LocalServer>,
}

/// A server process started by chat_bench, stopped when dropped.
struct LocalServer {
    /// For messages: `step4_server`, `ngircd`, `inspircd`.
    name: &'static str,
    child: Child,
    data_dir: PathBuf,
    log: Arc<ServerLog>,
    stopped: bool,
}

/// What the log-draining thread learned from the server's stderr.
#[derive(Default)]
struct ServerLog {
    queue_full_lines: AtomicU64,
    /// The line where step4_server says it lowered `max_clients` (see
    /// [`CAPACITY_LOG`]), kept whole so a report can quote it.
    capacity_warning: Mutex<Option<String>>,
    tail: Mutex<VecDeque<String>>,
}

/// The flags that turn off the server's per-address limits (connections
/// without a name, new connections a minute, idle time).
const PER_ADDRESS_LIMITS_OFF: [&str; 8] = [
    "--max-unregistered-per-ip",
    "0",
    "--connect-rate-per-ip",
    "0",
    "--connect-burst-per-ip",
    "0",
    "--idle-timeout-secs",
    "0",
];

impl Target {
    /// A server somebody else runs; `pid` (from `--server-pid`) enables the
    /// server-side figures.
    pub fn remote(host: &str, port: u16, pid: Option<u32>) -> Result<Target, String> {
        let addr = (host, port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {host}:{port}: {e}"))?
            .next()
            .ok_or_else(|| format!("cannot resolve {host}:{port}: no address"))?;
        Ok(Target {
            addr,
            pid,
            local: None,
        })
    }

    /// Starts the release `step4_server` that sits next to this program, on
    /// a free port of 127.0.0.1, and waits for it to say where it listens.
    /// `fast_path: false` starts it with `--no-direct-send` (every line
    /// through its client's writer thread); `true` passes nothing, so the
    /// server runs its default unless `CHATROOM_DIRECT_SEND` says otherwise.
    pub fn start_local(fast_path: bool) -> Result<Target, String> {
        let exe =
            std::env::current_exe().map_err(|e| format!("cannot find my own executable: {e}"))?;
        let binary = exe.with_file_name("step4_server");
        if !binary.exists() {
            return Err(format!(
                "cannot find {}: build it with `cargo build --release --bins`, \
                 or measure a running server with --host and --port",
                binary.display()
            ));
        }
        let data_dir = unique_temp_dir()?;
        let fast_path_flag: &[&str] = if fast_path {
            &[]
        } else {
            &["--no-direct-send"]
        };
        let child = Command::new(&binary)
            .args(["--host", "127.0.0.1", "--port", "0", "--data-dir"])
            .arg(&data_dir)
            .args(["--rate-per-sec", "0", "--max-clients", "20000"])
            // The server's own `queue_len`: what a class gets is measured.
            .args(["--register-timeout-secs", "600"])
            // Every benchmark client connects from 127.0.0.1: the per-address
            // limits are off, as the peers' are (see `peers.rs`).
            .args(PER_ADDRESS_LIMITS_OFF)
            .args(fast_path_flag)
            // Run it in its empty data directory, so a `chatroom.toml` in
            // the directory chat_bench was started from is not read: the
            // server measured is the one these flags describe.
            .current_dir(&data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(child) => child,
            Err(e) => {
                let _ = fs::remove_dir_all(&data_dir);
                return Err(format!("cannot start {}: {e}", binary.display()));
            }
        };
        let log = Arc::new(ServerLog::default());
        let first_line = drain_output(&mut child, &log);
        let mut local = LocalServer {
            name: "step4_server",
            child,
            data_dir,
            log,
            stopped: false,
        };
        let pid = local.child.id();
        let line = match first_line.recv_timeout(START_TIMEOUT) {
            Ok(line) => line,
            Err(_) => {
                local.stop();
                return Err(format!(
                    "{} printed no start line within {} s",
                    binary.display(),
                    START_TIMEOUT.as_secs()
                ));
            }
        };
        let Some(addr) = address_in(&line) else {
            local.stop();
            return Err(format!("step4_server did not start: {line}"));
        };
        Ok(Target {
            addr,
            pid: Some(pid),
            local: Some(local),
        })
    }

    /// Adopts a server process chat_bench has spawned (a peer IRC server)
    /// with `data_dir` as its scratch directory, and waits until `addr`
    /// accepts a connection: such servers print no start line we could read.
    /// The probe connection is closed at once, before it registers.
    pub fn adopt(
        name: &'static str,
        mut child: Child,
        addr: SocketAddr,
        data_dir: PathBuf,
    ) -> Result<Target, String> {
        let log = Arc::new(ServerLog::default());
        let _ = drain_output(&mut child, &log);
        let pid = child.id();
        let mut local = LocalServer {
            name,
            child,
            data_dir,
            log,
            stopped: false,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
                break;
            }
            if let Ok(Some(status)) = local.child.try_wait() {
                let tail = log_tail(&local.log);
                local.stop();
                return Err(format!("{name} exited at start ({status}): {tail}"));
            }
            if Instant::now() >= deadline {
                let tail = log_tail(&local.log);
                local.stop();
                return Err(format!(
                    "{name} did not listen on {addr} within {} s: {tail}",
                    START_TIMEOUT.as_secs()
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
        Ok(Target {
            addr,
            pid: Some(pid),
            local: Some(local),
        })
    }

    /// The pid as the name of its `/proc` directory.
    pub fn proc_name(&self) -> Option<String> {
        self.pid.map(|pid| pid.to_string())
    }

    /// How many `send queue full` lines the server has logged (local only).
    pub fn queue_full_lines(&self) -> Option<u64> {
        let local = self.local.as_ref()?;
        Some(local.log.queue_full_lines.load(Ordering::Relaxed))
    }

    /// What step4_server said when it lowered `max_clients`, if it did.
    pub fn capacity_warning(&self) -> Option<String> {
        let local = self.local.as_ref()?;
        local.log.capacity_warning.lock().ok()?.clone()
    }

    /// The server's last log lines, for an error message.
    pub fn log_tail(&self) -> String {
        self.local
            .as_ref()
            .map(|local| log_tail(&local.log))
            .unwrap_or_default()
    }

    /// Stops a server we started (SIGTERM, then wait); nothing for a remote
    /// one. Returns a warning when the server had to be killed.
    pub fn stop(mut self) -> Option<String> {
        self.local.as_mut().and_then(LocalServer::stop)
    }
}

impl LocalServer {
    /// SIGTERM through the `kill` program (std can only send SIGKILL), wait
    /// for a clean exit, kill it if it does not come, remove the data dir.
    fn stop(&mut self) -> Option<String> {
        if self.stopped {
            return None;
        }
        self.stopped = true;
        let mut warning = None;
        let pid = self.child.id().to_string();
        let _ = Command::new("kill")
            .args(["-TERM", &pid])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                _ => {
                    warning = Some(format!(
                        "{} (pid {pid}) did not exit within {} s of SIGTERM; killed it",
                        self.name,
                        STOP_TIMEOUT.as_secs()
                    ));
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
            }
        }
        let _ = fs::remove_dir_all(&self.data_dir);
        warning
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn log_tail(log: &ServerLog) -> String {
    match log.tail.lock() {
        Ok(tail) => tail.iter().cloned().collect::<Vec<_>>().join("\n"),
        Err(_) => String::new(),
    }
}

/// Starts the threads that read the server's stdout and stderr until they
/// close; the first stderr line is sent on the returned channel. (stdout is
/// only kept in the tail: step4_server writes nothing there, the peers their
/// log.)
fn drain_output(child: &mut Child, log: &Arc<ServerLog>) -> mpsc::Receiver<String> {
    if let Some(stdout) = child.stdout.take() {
        let log = Arc::clone(log);
        let (unused, _) = mpsc::channel();
        thread::spawn(move || read_log(stdout, &log, unused));
    }
    let (first_line_sender, first_line) = mpsc::channel();
    if let Some(stderr) = child.stderr.take() {
        let log = Arc::clone(log);
        thread::spawn(move || read_log(stderr, &log, first_line_sender));
    }
    first_line
}

fn read_log(stderr: impl Read, log: &ServerLog, first_line: mpsc::Sender<String>) {
    let mut reader = BufReader::new(stderr);
    let mut bytes = Vec::new();
    let mut first = Some(first_line);
    loop {
        bytes.clear();
        match reader.read_until(b'\n', &mut bytes) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&bytes).trim_end().to_string();
        if line.contains(QUEUE_FULL_LOG) {
            log.queue_full_lines.fetch_add(1, Ordering::Relaxed);
        }
        if line.contains(CAPACITY_LOG) {
            if let Ok(mut warning) = log.capacity_warning.lock() {
                warning.get_or_insert_with(|| line.clone());
            }
        }
        if let Ok(mut tail) = log.tail.lock() {
            if tail.len() == LOG_TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line.clone());
        }
        if let Some(sender) = first.take() {
            let _ = sender.send(line);
        }
    }
}

/// The `ip:port` after " on " in `… Chat server started on 127.0.0.1:41523`.
fn address_in(line: &str) -> Option<SocketAddr> {
    let after = line.split(" on ").nth(1)?;
    after.split_whitespace().next()?.parse().ok()
}

/// A new empty directory under the system's temp dir, named after this
/// process and the time so that parallel runs never share one.
pub fn unique_temp_dir() -> Result<PathBuf, String> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("chat_bench-{}-{nanos}", std::process::id()));
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// CPU time (user + system, all threads) a process has used, in seconds.
/// `pid` is a number or `"self"`.
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 2 is the command name in parentheses and may contain spaces, so
    // count from the last ')': the next field is field 3 (the state).
    let after_name = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let user_ticks: u64 = fields.get(11)?.parse().ok()?; // field 14, utime
    let system_ticks: u64 = fields.get(12)?.parse().ok()?; // field 15, stime
    Some((user_ticks + system_ticks) as f64 / CLOCK_TICKS_PER_SEC)
}

/// A number from `/proc/<pid>/status`, e.g. `VmRSS` (KiB), `VmHWM` (KiB,
/// the peak of VmRSS) or `Threads`.
pub fn status_number(pid: &str, field: &str) -> Option<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// How many file descriptors a process has open.
pub fn fd_count(pid: &str) -> Option<u64> {
    Some(fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64)
}

/// This process's soft limit on open files (`ulimit -n`), from
/// `/proc/self/limits`; `None` when unknown or unlimited.
pub fn open_file_limit() -> Option<u64> {
    let text = fs::read_to_string("/proc/self/limits").ok()?;
    let line = text
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
