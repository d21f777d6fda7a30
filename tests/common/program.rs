//! Helpers for testing the client programs (steps 2 and 3): run one with its
//! stdin, stdout and stderr piped, type lines into it, read what it prints
//! with a timeout; and a [`ScriptedServer`], a listening socket inside the
//! test that plays the server's part line by line.

use super::{bin, lines_of, wait_for_exit, Client, TIMEOUT};
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::Instant;

/// A running client program. Killed when dropped.
pub struct Program {
    pub child: Child,
    stdin: Option<ChildStdin>,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    /// Every stdout line read so far, for failure messages.
    pub seen: Vec<String>,
}

impl Program {
    /// Starts binary `name` with `args`.
    pub fn start(name: &str, args: &[&str]) -> Program {
        Program::start_with(Command::new(bin(name)).args(args))
    }

    /// Starts a command the test has prepared (env, args), all pipes captured.
    pub fn start_with(command: &mut Command) -> Program {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn client program");
        let stdin = child.stdin.take();
        let stdout = lines_of(child.stdout.take().expect("stdout piped"));
        let stderr = lines_of(child.stderr.take().expect("stderr piped"));
        Program {
            child,
            stdin,
            stdout,
            stderr,
            seen: Vec::new(),
        }
    }

    /// Types one line (a "\n" is added) into the program's stdin.
    pub fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .expect("write to the program's stdin");
        stdin.flush().expect("flush stdin");
    }

    /// Closes stdin: the program sees the end of its input (Ctrl-D).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The next stdout line; panics after [`TIMEOUT`] or at the end of output.
    pub fn line(&mut self) -> String {
        match self.stdout.recv_timeout(TIMEOUT) {
            Ok(line) => {
                self.seen.push(line.clone());
                line
            }
            Err(RecvTimeoutError::Timeout) => panic!(
                "no stdout line within {TIMEOUT:?}; stdout so far: {:#?}",
                self.seen
            ),
            Err(RecvTimeoutError::Disconnected) => panic!(
                "stdout ended; stdout so far: {:#?}; stderr: {:?}",
                self.seen,
                self.stderr_rest()
            ),
        }
    }

    /// Reads stdout lines until one contains `needle`; returns the lines
    /// before it.
    pub fn lines_until(&mut self, needle: &str) -> Vec<String> {
        let mut before = Vec::new();
        loop {
            let line = self.line();
            if line.contains(needle) {
                return before;
            }
            before.push(line);
        }
    }

    /// The rest of stdout, up to the program closing it (its exit).
    pub fn stdout_rest(&mut self) -> Vec<String> {
        let rest = rest_of(&self.stdout);
        self.seen.extend(rest.iter().cloned());
        rest
    }

    /// The rest of stderr, up to the program closing it (its exit).
    pub fn stderr_rest(&self) -> Vec<String> {
        rest_of(&self.stderr)
    }

    /// Waits for the program to exit, failing the test after [`TIMEOUT`].
    pub fn wait_exit(&mut self) -> ExitStatus {
        let seen = &self.seen;
        wait_for_exit(&mut self.child, || {
            format!("program did not exit (stdout so far: {seen:#?})")
        })
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every line until the sender side closes, waiting at most [`TIMEOUT`].
fn rest_of(lines: &Receiver<String>) -> Vec<String> {
    let deadline = Instant::now() + TIMEOUT;
    let mut rest = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => rest.push(line),
            Err(RecvTimeoutError::Disconnected) => return rest,
            Err(RecvTimeoutError::Timeout) => {
                panic!("output did not end within {TIMEOUT:?}; got: {rest:#?}")
            }
        }
    }
}

/// A listening socket in the test, standing in for a server: the test accepts
/// the client program's connection and then reads and writes lines itself.
pub struct ScriptedServer {
    listener: TcpListener,
    pub addr: SocketAddr,
}

impl ScriptedServer {
    pub fn new() -> ScriptedServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        ScriptedServer { listener, addr }
    }

    pub fn port(&self) -> String {
        self.addr.port().to_string()
    }

    /// Accepts one connection, failing the test after [`TIMEOUT`]. (accept()
    /// has no timeout, so it runs on a thread and we wait on a channel.)
    pub fn accept(&self) -> Client {
        let listener = self.listener.try_clone().expect("clone listener");
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            let _ = sender.send(listener.accept());
        });
        let (stream, _) = receiver
            .recv_timeout(TIMEOUT)
            .expect("the client connected within the timeout")
            .expect("accept");
        stream
            .set_read_timeout(Some(TIMEOUT))
            .expect("read timeout");
        stream
            .set_write_timeout(Some(TIMEOUT))
            .expect("write timeout");
        let reader = BufReader::new(stream.try_clone().expect("clone"));
        Client { stream, reader }
    }
}

/// A port nobody listens on: bind one, then close it again.
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}
