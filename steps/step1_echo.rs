//! # Step 1: an echo server (RFC 862)
//!
//! The "Hello, World!" of network programming: a server that sends back every
//! byte it receives, unchanged, until the client hangs up. RFC 862 says
//! exactly that and nothing more, so it is the smallest complete server there
//! is, and everything a bigger server needs is already here:
//!
//! - a **listening socket**: `TcpListener::bind` claims an address and port,
//!   and the OS queues up connections for us (the "backlog");
//! - the **accept loop**: `accept()` blocks until a client has connected and
//!   hands us a new socket that talks to that one client;
//! - a **thread per connection**: each client gets its own thread, so one
//!   client that goes quiet cannot stop the server from serving the others;
//! - **bytes, not messages**: TCP delivers a stream of bytes. We echo whatever
//!   each `read()` returns, so the echo is right however the bytes were split
//!   up on the way (binary data too; nothing here knows about lines);
//! - a **clean shutdown** on Ctrl-C (SIGINT) or `kill` (SIGTERM).
//!
//! How the clean shutdown works. std has no signal API, so
//! [`chatroom::support::signal`] installs a handler that only sets a flag. Then the
//! program has to notice it:
//! 1. The accept loop sleeps inside `accept()`, and a signal does not wake it
//!    (the C library restarts the call). So a watcher thread waits for the
//!    flag and then connects to our own listening socket: `accept()` returns,
//!    the loop sees the flag and stops accepting. The main thread then sets a
//!    second flag, [`CLOSE_CONNECTIONS`], for the connection threads.
//! 2. Each connection thread reads with a short timeout
//!    ([`SHUTDOWN_CHECK_INTERVAL`]), so at least every tenth of a second it
//!    looks at that flag. When it is set, the thread takes whatever the client
//!    sent that is still waiting in the socket (nonblocking reads, so it does
//!    not wait for more), echoes it, and closes the connection. Usually there
//!    is nothing left; the last look catches bytes that arrived in the
//!    instant between the thread's last read and its look at the flag.
//! 3. The main thread waits for every connection thread, then exits with
//!    status 0.
//!
//! So a client gets the echo of everything it sent before the signal, and
//! then the end of the stream. (Within limits: [`MAX_DRAIN_BYTES`] and
//! [`WRITE_TIMEOUT`] keep a client that floods or never reads from holding
//! the shutdown up.) On non-Unix systems this compiles, but Ctrl-C ends the
//! process at once, without the clean shutdown (see [`chatroom::support::signal`]).
//!
//! `--udp` serves the UDP flavour of RFC 862 instead: there are no
//! connections, each datagram is simply sent back to whoever sent it.
//!
//! ## What it still gets wrong, on purpose
//! - A thread per connection is simple, but each costs memory (a stack) and
//!   nothing limits how many there are: a flood of connections could exhaust
//!   the machine. The chat server (step 4) caps the number of clients.
//! - Each connection is alone: nothing one client sends reaches another.
//!   That is step 4's job.
//! - Connections still waiting in the OS's queue when the signal arrives are
//!   closed without an answer: "stop accepting" means exactly that.
//!
//! ## Try it
//! ```text
//! # terminal 1
//! cargo run --bin step1_echo
//! # terminal 2: type a line, see it come back
//! nc localhost 7007
//! ```
//! To leave: Ctrl-C in `nc`. (Ctrl-D ends your input, but netcat-openbsd
//! keeps the connection open and waits for the server, which has nothing
//! to say: start it as `nc -N localhost 7007` and Ctrl-D leaves too.) In
//! `telnet localhost 7007`: Ctrl-], then `quit`.
//! Then press Ctrl-C in terminal 1 and watch it close the connection cleanly.
//! `cargo run --bin step1_echo -- --udp` with `nc -u 127.0.0.1 7007` tries UDP.

use chatroom::log;
use chatroom::support::{cli, signal};
use std::io::{self, ErrorKind, Read, Write};
use std::net::UdpSocket;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// RFC 862 says port 7, but ports below 1024 need root on most systems.
const DEFAULT_PORT: u16 = 7007;
/// All of this machine's IPv4 addresses, so other machines can connect too.
const DEFAULT_HOST: &str = "0.0.0.0";
/// How much one `read()` may return. Any size works: a bigger message simply
/// takes several reads, which is the point of treating TCP as a byte stream.
const READ_BUFFER_BYTES: usize = 4096;
/// The largest UDP datagram; a smaller buffer would cut big datagrams short.
const MAX_DATAGRAM_BYTES: usize = 65_535;
/// How often a waiting connection thread (or the UDP loop) looks at the
/// shutdown flag: the longest a shutdown waits for an idle client.
const SHUTDOWN_CHECK_INTERVAL: Duration = Duration::from_millis(100);
/// How long a write may wait for a client that sends but never reads its
/// echoes. Without a limit such a client would pin its thread forever, and a
/// shutdown that waits for every thread would never finish.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// At shutdown, the most bytes echoed from what a client still has waiting:
/// a client that keeps sending must not keep the server alive.
const MAX_DRAIN_BYTES: usize = 1024 * 1024;

/// Set by the main thread once it has stopped accepting: the signal for
/// connection threads to send their last echo and close. (Not the signal flag
/// itself, so the log tells the story in order: first "Shutting down", then
/// each connection closing.)
static CLOSE_CONNECTIONS: AtomicBool = AtomicBool::new(false);

const COMMAND: cli::CommandLine = cli::CommandLine {
    usage: "step1_echo [--host HOST] [--port PORT] [--udp]",
    about: "Step 1: an echo server (RFC 862). Sends back every byte it receives.",
    flags: &[
        cli::Flag {
            name: "host",
            value: Some("HOST"),
            help: "address to listen on (default 0.0.0.0, every IPv4 address)",
        },
        cli::Flag {
            name: "port",
            value: Some("PORT"),
            help: "port to listen on, 0 for any free port (default 7007)",
        },
        cli::Flag {
            name: "udp",
            value: None,
            help: "echo UDP datagrams instead of TCP connections",
        },
    ],
};

fn main() {
    let flags = COMMAND.parse_env_or_exit();
    let host = flags.value("host").unwrap_or(DEFAULT_HOST).to_string();
    let port = match flags.parse_value::<u16>("port", "a port number from 0 to 65535") {
        Ok(port) => port.unwrap_or(DEFAULT_PORT),
        Err(error) => COMMAND.exit_with(error),
    };
    if let Err(error) = signal::install() {
        log!("warning: cannot catch Ctrl-C ({error}); it will stop the server abruptly");
    }
    if flags.switch("udp") {
        serve_udp(&host, port);
    } else {
        serve_tcp(&host, port);
    }
}

/// Binds, then runs the accept loop until a shutdown signal; then waits for
/// every connection to finish its last echo.
fn serve_tcp(host: &str, port: u16) {
    let listener = TcpListener::bind((host, port))
        .unwrap_or_else(|error| cli::fail(cli::listen_error("step1_echo", host, port, &error)));
    // With --port 0 the OS picks the port: ask which one we got, and say it
    // first, so people (and the tests) know where to connect.
    let address = match listener.local_addr() {
        Ok(address) => address,
        Err(error) => cli::fail(format!("cannot read the listening address: {error}")),
    };
    log!("Echo server listening on {address} (tcp)");

    let watcher = signal::spawn_watcher(move || {
        // Connecting is enough to make the blocked accept() return; the
        // connection is closed again at once.
        if let Err(error) = signal::wake_accept_loop(address) {
            log!("cannot wake the accept loop ({error}); exiting without waiting");
            std::process::exit(1);
        }
    });
    if let Err(error) = watcher {
        log!("warning: no shutdown watcher ({error}); Ctrl-C will stop the server abruptly");
    }

    let connection_handles = accept_loop(&listener);
    drop(listener); // nobody can connect any more
    log!("Shutting down: no new connections; open ones get their last echo");
    CLOSE_CONNECTIONS.store(true, Ordering::SeqCst);
    for handle in connection_handles {
        // A connection thread that panicked has already printed why.
        let _ = handle.join();
    }
    log!("Echo server stopped");
}

/// Accepts connections until the shutdown flag is set, starting one thread per
/// connection. Returns the handles of the threads that are still running.
fn accept_loop(listener: &TcpListener) -> Vec<JoinHandle<()>> {
    let mut connection_handles: Vec<JoinHandle<()>> = Vec::new();
    for incoming in listener.incoming() {
        if signal::shutdown_requested() {
            // This is the watcher's wake-up call (or a client that came too
            // late): dropping `incoming` closes it.
            break;
        }
        let stream = match incoming {
            Ok(stream) => stream,
            Err(error) => {
                // For example "Too many open files". Pause a moment, so an
                // error that persists does not spin this loop at full speed.
                log!("accept failed: {error}");
                thread::sleep(SHUTDOWN_CHECK_INTERVAL);
                continue;
            }
        };
        let peer = match stream.peer_addr() {
            Ok(peer) => peer,
            Err(_) => continue, // it hung up already: nothing to echo
        };
        log!("Accepted connection from: {peer}");
        let spawned = thread::Builder::new()
            .name(format!("echo {peer}"))
            .spawn(move || connection_thread(stream, peer));
        match spawned {
            Ok(handle) => connection_handles.push(handle),
            Err(error) => log!("cannot start a thread for {peer} ({error}); closing it"),
        }
        // Forget threads that have finished, so the list does not grow with
        // every client the server has ever had.
        connection_handles.retain(|handle| !handle.is_finished());
    }
    connection_handles
}

/// How a connection ended without an error.
enum Ended {
    ClientClosed,
    ServerShutdown,
}

/// The body of one connection's thread: echo, then log how it ended.
fn connection_thread(mut stream: TcpStream, peer: SocketAddr) {
    match echo_until_closed(&mut stream) {
        Ok(Ended::ClientClosed) => log!("Client disconnected: {peer}"),
        Ok(Ended::ServerShutdown) => log!("Closed connection to {peer} (server shutting down)"),
        // One client's failure ends that connection only.
        Err(error) => log!("Connection to {peer} failed: {error}"),
    }
}

/// RFC 862 itself: send back whatever arrives, until the client closes.
fn echo_until_closed(stream: &mut TcpStream) -> io::Result<Ended> {
    // The timeout is not for the client's sake: it lets this thread look at
    // the shutdown flag regularly instead of sleeping in read() for ever.
    stream.set_read_timeout(Some(SHUTDOWN_CHECK_INTERVAL))?;
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    let mut buffer = [0u8; READ_BUFFER_BYTES];
    loop {
        if CLOSE_CONNECTIONS.load(Ordering::SeqCst) {
            echo_what_is_waiting(stream)?;
            return Ok(Ended::ServerShutdown);
        }
        match stream.read(&mut buffer) {
            // Zero bytes means the client closed its side: we are done.
            Ok(0) => return Ok(Ended::ClientClosed),
            // However many bytes arrived, send exactly those back.
            Ok(count) => stream.write_all(&buffer[..count])?,
            // The timeout expired (Unix says WouldBlock, Windows TimedOut):
            // nothing arrived; go round and look at the flag.
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
}

/// At shutdown: echo what the client sent that we have not read yet, then
/// close our side so the client reads the end of the stream after its echo.
fn echo_what_is_waiting(stream: &mut TcpStream) -> io::Result<()> {
    // Nonblocking: take what is already here, but never wait for more.
    stream.set_nonblocking(true)?;
    let mut waiting = Vec::new();
    let mut buffer = [0u8; READ_BUFFER_BYTES];
    while waiting.len() < MAX_DRAIN_BYTES {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(count) => waiting.extend_from_slice(&buffer[..count]),
            Err(error) if error.kind() == ErrorKind::WouldBlock => break,
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    // Blocking again for the write, so a full send buffer makes us wait (up
    // to WRITE_TIMEOUT) instead of failing with WouldBlock.
    stream.set_nonblocking(false)?;
    stream.write_all(&waiting)?;
    stream.shutdown(Shutdown::Write)
}

/// The UDP flavour of RFC 862: every datagram goes back to its sender.
fn serve_udp(host: &str, port: u16) {
    let socket = UdpSocket::bind((host, port))
        .unwrap_or_else(|error| cli::fail(cli::listen_error("step1_echo", host, port, &error)));
    let address = match socket.local_addr() {
        Ok(address) => address,
        Err(error) => cli::fail(format!("cannot read the listening address: {error}")),
    };
    log!("Echo server listening on {address} (udp)");
    // UDP has no accept() to wake up: a receive timeout is all the shutdown
    // needs. And no datagram is ever half-answered, so nothing is in flight.
    if let Err(error) = socket.set_read_timeout(Some(SHUTDOWN_CHECK_INTERVAL)) {
        cli::fail(format!("cannot set a receive timeout: {error}"));
    }
    let mut buffer = vec![0u8; MAX_DATAGRAM_BYTES];
    while !signal::shutdown_requested() {
        match socket.recv_from(&mut buffer) {
            Ok((count, sender)) => {
                if let Err(error) = socket.send_to(&buffer[..count], sender) {
                    log!("cannot echo to {sender}: {error}");
                }
            }
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            // The signal itself interrupts a receive that has a timeout (the
            // C library does not restart those): the loop condition handles it.
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            // Some systems report an earlier datagram's "port unreachable"
            // here; it concerns that one sender only, so keep serving.
            Err(error) => log!("receive failed: {error}"),
        }
    }
    log!("Echo server stopped");
}
