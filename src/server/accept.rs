//! The chat server's front door: bind, announce, accept, and shut down
//! cleanly.
//!
//! [`run`] is everything `step4_server` does after reading its settings:
//! [`bind`], then [`serve`] until SIGINT or SIGTERM. Tests that need no
//! separate process call `bind` and `serve` themselves, with a [`Shutdown`]
//! of their own. `serve`:
//!
//! 1. Opens the history file, failing with one clear line if it cannot
//!    (`bind` does the same for the port: in use, not allowed).
//! 2. Log `Chat server started on <ip>:<port> (pid <pid>)` — always the
//!    first log line, so scripts and tests can read the real port after
//!    `--port 0`, and a person the process id of *this* server (for `kill`,
//!    `/proc/<pid>/`: on a shared machine `pgrep` may find another's) — and print,
//!    on stdout, how students connect and the operator password if the server
//!    made one up.
//! 3. Start the first reader thread, which waits in `accept()` (see
//!    `readers`: each reader admits and serves the client it accepted, and
//!    waits again), and watch for a shutdown.
//! 4. On a shutdown (SIGINT/SIGTERM, [`crate::support::signal`]): tell every client
//!    the server is shutting down, stop accepting, give the writers up to
//!    [`DRAIN_TIMEOUT`] to deliver what is queued, flush the history to
//!    disk, and return.
//!
//! `accept()` blocks and a signal does not interrupt it (see
//! [`crate::support::signal`]), so this thread, which sees the flag, wakes
//! a reader waiting in `accept()` by connecting to the server's own port;
//! that reader sees the flag, wakes the next, and leaves.

use crate::chat::state::{self, AccountBook, State};
use crate::history::{History, Retention};
use crate::log;
use crate::server::context::ServerContext;
use crate::server::readers::{self, Readers};
use crate::server::{addresses, capacity, http_page};
use crate::settings::server::ServerConfig;
use crate::support::secret;
use crate::support::{cli, signal};
use std::io;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long shutdown waits for writers to deliver what is already queued.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

/// A request to stop serving, shared by whoever may ask for it (the
/// signal watcher, a test) and the server, which watches it.
#[derive(Clone, Default)]
pub struct Shutdown(Arc<AtomicBool>);

impl Shutdown {
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// Asks the server to shut down (it tells everyone, drains, returns).
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Runs the server until a shutdown signal. `Err` is one line for the
/// person who started it: `cannot listen on 0.0.0.0:7007: Address already in use:
/// another program holds port 7007 (…). Stop it, or pick another port: …`.
pub fn run(config: ServerConfig) -> Result<(), String> {
    signal::install().map_err(|e| format!("cannot install the signal handler: {e}"))?;
    let listener = bind(&config)?;
    let shutdown = Shutdown::new();
    let on_signal = shutdown.clone();
    signal::spawn_watcher(move || on_signal.request())
        .map_err(|e| format!("cannot start the signal watcher thread: {e}"))?;
    serve(listener, config, shutdown)
}

/// The listening socket for `config`'s host and port, or one line saying
/// why not.
pub fn bind(config: &ServerConfig) -> Result<TcpListener, String> {
    let bind_addr = format!("{}:{}", config.host, config.port);
    TcpListener::bind(&bind_addr)
        .map_err(|e| cli::listen_error("step4_server", &config.host, config.port, &e))
}

/// Serves connections on `listener` until `shutdown` is requested, then
/// tells everyone, lets the writers drain and returns.
pub fn serve(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: Shutdown,
) -> Result<(), String> {
    let local = listener.local_addr().map_err(|e| {
        format!(
            "cannot read the listening address: {}",
            cli::describe_io_error(&e)
        )
    })?;

    let (history, mut warnings) = if config.history {
        let retention = Retention {
            keep_days: config.history_keep_days,
            keep_mb: config.history_keep_mb,
        };
        History::open(&config.data_dir, config.fsync, config.history_replay, retention).map_err(|e| {
            format!(
                "cannot use the data directory {}: {} (choose another with --data-dir, or run with --no-history)",
                config.data_dir.display(),
                cli::describe_io_error(&e)
            )
        })?
    } else {
        // `--no-history` promises "neither record nor replay" (its --help
        // line and the `history` setting's meaning): replaying what was
        // said before someone arrived is history too, so no window either.
        (History::in_memory(0), Vec::new())
    };
    // A damaged accounts file stops the server here, named, and is left
    // as it is (see `src/accounts/file.rs`).
    let accounts = AccountBook::open(&config.data_dir, config.guests)?;
    let accounts_line = (!accounts.is_empty() || !config.guests).then(|| {
        format!(
            "Accounts: {} in {} ({})",
            accounts.len(),
            crate::accounts::file::path_in(&config.data_dir).display(),
            if config.guests {
                "guests may join too"
            } else {
                "accounts only"
            }
        )
    });
    let (admin_password, generated) = match &config.admin_password {
        Some(password) if !password.is_empty() => (password.clone(), false),
        _ => {
            let password = secret::random_password().map_err(|e| {
                format!(
                    "cannot make an operator password: {e} (set admin_password in the config file)"
                )
            })?;
            (password, true)
        }
    };

    // Never accept more connections than the machine can give threads to:
    // see `capacity` for why running out would crash the whole server.
    let mut config = config;
    capacity::raise_open_file_limit();
    let limit = capacity::connection_limit(config.direct_send);
    if let Some(limit) = &limit {
        if config.max_clients > limit.connections {
            warnings.push(format!(
                "max_clients lowered from {} to {}: {}",
                config.max_clients, limit.connections, limit.reason
            ));
            config.max_clients = limit.connections;
        }
    }
    let capacity_line = limit.as_ref().map(|limit| {
        format!(
            "Capacity: {} connections at most on this machine ({})",
            limit.connections, limit.reason
        )
    });
    // Not Linux: nothing known, nothing limited.
    let thread_budget = limit.map_or(usize::MAX / 2, |limit| limit.threads);
    let (budget, writers, live_writers, start_writer) =
        ServerContext::threads(thread_budget, config.direct_send);
    let lan = addresses::lan_ipv4_addresses();
    let how_to_connect = addresses::connect_lines(local, &lan);
    let student_lines = addresses::student_lines(local, &lan);
    let banner = banner(
        &student_lines,
        &how_to_connect,
        generated.then_some(admin_password.as_str()),
        &config,
    );
    let history_line = match config.history {
        true => format!(
            "History: {}/ (fsync: {})",
            config.data_dir.display(),
            config.fsync.as_str()
        ),
        false => "History: off (nothing is written to disk)".to_string(),
    };
    let context = Arc::new(ServerContext {
        state: Arc::new(Mutex::new({
            let mut state = State::new(&config, history, admin_password);
            state.use_accounts(accounts);
            state
        })),
        help_text: http_page::help_text(&student_lines, &how_to_connect),
        config,
        live_writers,
        writers,
        start_writer,
        log_summary: Default::default(),
        at_the_door: Default::default(),
        browsers: Default::default(),
        departures: Default::default(),
    });
    // The first reader waits for a client before the first log line, so
    // whoever reads that line (a test, the benchmark) sees the server's
    // baseline of threads.
    let readers = Arc::new(Readers::new(listener, budget));
    readers::start_reader(&readers, &context)
        .map_err(|e| format!("cannot start a reader thread: {e}"))?;

    log!(
        "Chat server started on {local} (pid {})",
        std::process::id()
    );
    if let Some(line) = accounts_line {
        log!("{line}");
    }
    if let Some(file) = &context.config.settings_file {
        log!("Settings file: {}", file.display());
    }
    if let Some(line) = capacity_line {
        log!("{line}");
    }
    for warning in warnings {
        log!("Warning: {warning}");
    }
    log!("{history_line}");
    print!("{banner}");
    let _ = io::Write::flush(&mut io::stdout());

    // The readers accept and serve; this thread watches for a shutdown.
    while !shutdown.requested() {
        thread::sleep(signal::WATCH_INTERVAL);
    }
    let mut state = state::lock(&context.state);
    let open = state.connection_count();
    let s = if open == 1 { "" } else { "s" };
    log!("Shutting down ({open} connection{s} open)");
    state.shut_down_all();
    // Unlocked unwritten: the goodbyes go to every writer thread, which
    // writes them and closes its connection.
    drop(state);
    // Readers blocked in accept() are woken, one by the next, and leave.
    readers.stop();
    let deadline = Instant::now() + DRAIN_TIMEOUT;
    while context.live_writers.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    let unfinished = context.live_writers.load(Ordering::SeqCst);
    if unfinished > 0 {
        let s = if unfinished == 1 { "" } else { "s" };
        log!(
            "{unfinished} connection{s} did not take their last lines in time; closing them anyway"
        );
    }
    log!("Server stopped");
    Ok(())
}

/// What the teacher sees on stdout at start: how students connect (the
/// browser address first, the line to write on the board), and the
/// operator password when the server made one up (it appears nowhere else).
fn banner(
    student_lines: &[String],
    how_to_connect: &[String],
    generated_password: Option<&str>,
    config: &ServerConfig,
) -> String {
    let mut text = String::new();
    for line in student_lines {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str("In a terminal, students connect with:\n");
    for line in how_to_connect {
        text.push_str(&format!("    {line}\n"));
    }
    text.push_str("then type /nick <name>.\n");
    if config.password.as_deref().is_some_and(|p| !p.is_empty()) {
        text.push_str("This server has a password: students type /pass <password> first.\n");
    }
    if let Some(password) = generated_password {
        text.push_str(&format!(
            "Operator password for this run: {password}  (type /op {password} to get teacher controls)\n"
        ));
    }
    text
}
