//! # Step 2: a line client for the echo server
//!
//! Step 1 was the server; this is the other end of the connection. It prompts
//! `send: `, sends the line you type, waits for the reply and prints it as
//! `recv: …`. `quit`, `exit` or the end of input (Ctrl-D) ends it.
//!
//! What it adds over step 1 is the client side of a socket
//! (`TcpStream::connect`) and the first real lesson of network programming:
//! **TCP is a byte stream, not a stream of messages.** The server may send a
//! reply back in several pieces, or glue two replies together, so "one
//! `read()` = one reply" is wrong, even if it seems to work on your machine.
//! We need *framing*: an agreed way to tell where a message ends. Here a
//! message is a line, so the client sends each line with its `\n` and reads
//! the reply with `BufRead::read_line`, which keeps reading until the `\n`.
//!
//! A server that never answers would leave us waiting for ever, so every read
//! has a timeout ([`REPLY_TIMEOUT`]) and the client says what happened.
//!
//! ## What it still gets wrong, on purpose
//! - It takes turns: it waits for your line, then for one reply. A server that
//!   speaks without being asked (a chat server!) would not be heard until you
//!   typed something. Step 3 waits for both at once.
//! - It prints whatever the server sends, control characters included, and
//!   reads a reply of any length. Fine for your own echo server; step 3 does
//!   not trust the server that far.
//!
//! ## Try it
//! ```text
//! # terminal 1
//! cargo run --bin step1_echo
//! # terminal 2
//! cargo run --bin step2_client
//! send: hello
//! recv: hello
//! send: quit
//! ```

use chatroom::support::cli;
use chatroom::wire::framing::trim_line_end;
use std::io::{self, BufRead, BufReader, ErrorKind, Write};
use std::net::TcpStream;
use std::time::Duration;

const DEFAULT_HOST: &str = "127.0.0.1";
const DEFAULT_PORT: u16 = 7007;
/// How long to wait for a reply. An echo on a working network takes a few
/// milliseconds; five seconds means something is wrong.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

const COMMAND: cli::CommandLine = cli::CommandLine {
    usage: "step2_client [--host HOST] [--port PORT]",
    about: "Step 2: sends each line you type to the echo server and prints the reply.",
    flags: &[
        cli::Flag {
            name: "host",
            value: Some("HOST"),
            help: "server to connect to (default 127.0.0.1)",
        },
        cli::Flag {
            name: "port",
            value: Some("PORT"),
            help: "server's port (default 7007)",
        },
    ],
};

fn main() {
    let flags = COMMAND.parse_env_or_exit();
    let host = flags.value("host").unwrap_or(DEFAULT_HOST).to_string();
    let port = match flags.parse_value::<u16>("port", "a port number from 1 to 65535") {
        Ok(port) => port.unwrap_or(DEFAULT_PORT),
        Err(error) => COMMAND.exit_with(error),
    };

    let stream = TcpStream::connect((host.as_str(), port)).unwrap_or_else(|error| {
        cli::fail(format!(
            "cannot connect to {host}:{port}: {}",
            cli::describe_io_error(&error)
        ))
    });
    if let Err(error) = stream.set_read_timeout(Some(REPLY_TIMEOUT)) {
        cli::fail(format!("cannot set a read timeout: {error}"));
    }
    // Two handles on one socket: one to write to, one wrapped in a BufReader
    // to read lines from. They share the connection; only the buffering differs.
    let mut replies = match stream.try_clone() {
        Ok(reading_handle) => BufReader::new(reading_handle),
        Err(error) => cli::fail(format!("cannot use the connection: {error}")),
    };
    let mut server = stream;

    let stdin = io::stdin();
    let mut keyboard = stdin.lock();
    loop {
        print!("send: ");
        // print! does not end the line, and stdout only flushes at the end of
        // a line: flush, or the prompt appears after you have typed.
        let _ = io::stdout().flush();

        let mut typed = Vec::new();
        match keyboard.read_until(b'\n', &mut typed) {
            Ok(0) => {
                println!(); // end of input: finish the prompt's line
                return;
            }
            Ok(_) => {}
            Err(error) => cli::fail(format!("cannot read the keyboard: {error}")),
        }
        let line = trim_line_end(&typed);
        if line == b"quit" || line == b"exit" {
            return;
        }

        // Send the line with its "\n": the newline is what tells the other
        // end where this message stops.
        let mut message = line.to_vec();
        message.push(b'\n');
        if let Err(error) = server.write_all(&message) {
            fail_connection(&host, port, error);
        }

        let mut reply = Vec::new();
        match replies.read_until(b'\n', &mut reply) {
            Ok(0) => cli::fail("the server closed the connection"),
            Ok(_) => println!("recv: {}", String::from_utf8_lossy(trim_line_end(&reply))),
            Err(error) => fail_connection(&host, port, error),
        }
    }
}

/// Ends the program with a sentence about what went wrong on the connection.
fn fail_connection(host: &str, port: u16, error: io::Error) -> ! {
    match error.kind() {
        // The read timeout expired (Unix says WouldBlock, Windows TimedOut).
        ErrorKind::WouldBlock | ErrorKind::TimedOut => cli::fail(format!(
            "no reply from {host}:{port} within {} seconds",
            REPLY_TIMEOUT.as_secs()
        )),
        ErrorKind::BrokenPipe
        | ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::UnexpectedEof => cli::fail("the server closed the connection"),
        _ => cli::fail(format!(
            "connection to {host}:{port} failed: {}",
            cli::describe_io_error(&error)
        )),
    }
}
