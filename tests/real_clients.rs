//! Real sessions through the real `nc` (netcat-openbsd) and `telnet`
//! programs against the real server, the way students will use it.
//!
//! The other tests talk to the server through a Rust socket, which sends
//! exactly the bytes the test wrote. Real clients do not: `nc` sends a bare
//! `\n` at the end of a line, `telnet` sends `\r\n` and, once negotiation
//! starts, option bytes (`IAC DO ECHO`, …) mixed in with what is typed; both
//! show whatever the server sends, byte for byte, to a person. So these tests
//! start the programs as child processes, type into their stdin as a person
//! would, and read what they print. What they check is what a person sees.
//!
//! The programs must be installed (`.ci/run` installs them). When one is
//! missing, a test outside CI is skipped with a line naming the program and
//! its install command; with `CI=true` it fails, so CI can never pass by
//! silently testing nothing (see tests/common/programs.rs).

mod common;

use common::{lines_of, Server, TIMEOUT};
use std::io::Write;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::thread;
use std::time::{Duration, Instant};

/// A real terminal program (`nc` or `telnet`) connected to the server, with
/// a person's keyboard (its stdin) and screen (its stdout) in the test's hands.
struct Terminal {
    /// How the failure messages name it: `nc (alice)`.
    label: String,
    child: Child,
    /// `None` once closed, as a person pressing Ctrl-D.
    keyboard: Option<ChildStdin>,
    screen: Receiver<String>,
    /// What the program printed on stderr (telnet's "Connection closed…").
    errors: Receiver<String>,
    /// Every screen line read so far, for failure messages.
    seen: Vec<String>,
}

impl Terminal {
    /// Starts `program 127.0.0.1 <port>` against `server`.
    fn open(program: &str, who: &str, server: &Server) -> Terminal {
        Terminal::open_with(Command::new(program), who, server)
    }

    /// Like [`Terminal::open`], for a command the test has prepared (env).
    fn open_with(mut command: Command, who: &str, server: &Server) -> Terminal {
        let program = command.get_program().to_string_lossy().into_owned();
        let mut child = command
            .arg(server.addr.ip().to_string())
            .arg(server.addr.port().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let keyboard = child.stdin.take();
        let screen = lines_of(child.stdout.take().expect("stdout piped"));
        let errors = lines_of(child.stderr.take().expect("stderr piped"));
        Terminal {
            label: format!("{program} ({who})"),
            child,
            keyboard,
            screen,
            errors,
            seen: Vec::new(),
        }
    }

    /// Types `text` and presses Enter.
    fn type_line(&mut self, text: &str) {
        self.type_raw(format!("{text}\n").as_bytes());
    }

    /// Sends keystrokes exactly as given (for telnet's escape character).
    fn type_raw(&mut self, bytes: &[u8]) {
        let keyboard = self.keyboard.as_mut().expect("keyboard still open");
        keyboard
            .write_all(bytes)
            .and_then(|()| keyboard.flush())
            .unwrap_or_else(|e| panic!("{} stopped reading its input: {e}", self.label));
    }

    /// Reads screen lines until one equals `wanted`; fails after [`TIMEOUT`]
    /// with everything the program printed.
    fn expect(&mut self, wanted: &str) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.screen.recv_timeout(left) {
                Ok(line) => {
                    // nc passes the server's `\r\n` through; telnet turns it
                    // into a plain newline. A person sees the same either way.
                    let line = line.trim_end_matches('\r').to_string();
                    let found = line == wanted;
                    self.seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(_) => panic!(
                    "{} never showed {wanted:?} (within {TIMEOUT:?})\nscreen so far:\n{}\nstderr:\n{}",
                    self.label,
                    self.seen.join("\n"),
                    self.errors.try_iter().collect::<Vec<_>>().join("\n")
                ),
            }
        }
    }

    /// Closes stdin (Ctrl-D) and waits for the program to end.
    fn close_and_wait_exit(&mut self) {
        self.keyboard = None;
        self.wait_exit();
    }

    /// Waits for the program to end by itself, failing after [`TIMEOUT`].
    fn wait_exit(&mut self) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(_status) = self.child.try_wait().expect("try_wait") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit within {TIMEOUT:?}; screen:\n{}",
                self.label,
                self.seen.join("\n")
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Server {
    Server::start(
        "step4_server",
        &["--host", "127.0.0.1", "--port", "0", "--no-history"],
    )
}

/// The whole classroom session: alice on `nc`, bob on `telnet`; name, the
/// default room, a room of their own, chat both ways, a private message, quit.
#[test]
fn nc_and_telnet_chat_with_each_other() {
    if !common::programs::installed(&["nc", "telnet"]) {
        return;
    }
    let mut server = start_server();

    let mut alice = Terminal::open("nc", "alice", &server);
    alice.expect("NOTICE Pick a name: type /nick <name> (people) or USERNAME <name> (programs)");
    alice.type_line("/nick alice");
    alice.expect(
        "*** Welcome, alice! Type a message and press Enter to send it. /help lists commands.",
    );
    alice.expect("*** You joined #general. Nobody else is here yet.");

    let mut bob = Terminal::open("telnet", "bob", &server);
    // telnet talks first, then shows the server's greeting.
    bob.expect("Escape character is '^]'.");
    bob.expect("NOTICE /help lists the commands");
    bob.type_line("/nick bob");
    bob.expect(
        "*** Welcome, bob! Type a message and press Enter to send it. /help lists commands.",
    );
    bob.expect("*** You joined #general. Here: alice");
    alice.expect("* bob joined #general");

    // A second room: alice stays in #general, and a line from there says
    // its room.
    alice.type_line("/join #lab");
    alice.expect("*** You joined #lab. Nobody else is here yet.");
    bob.type_line("still here?");
    alice.expect("[#general] bob: still here?");
    bob.type_line("/join #lab");
    bob.expect("*** You joined #lab. Here: alice");
    alice.expect("* bob joined #lab");

    alice.type_line("hi bob, this is nc");
    bob.expect("alice: hi bob, this is nc");
    bob.type_line("hello alice, this is telnet");
    alice.expect("bob: hello alice, this is telnet");

    alice.type_line("/msg bob psst");
    alice.expect("[private to bob] psst");
    bob.expect("[private] alice: psst");

    // telnet ends by itself when the server closes the connection.
    bob.type_line("/quit");
    bob.expect("*** Goodbye!");
    bob.wait_exit();
    alice.expect("* bob left #lab");
    server.wait_log("Disconnected bob");

    // netcat-openbsd keeps running after the server closes until its input
    // ends (or the next line fails to send), so the "person" presses Ctrl-D.
    alice.type_line("/quit");
    alice.expect("*** Goodbye!");
    alice.close_and_wait_exit();
    let line = server.wait_log("Disconnected alice");
    assert!(line.ends_with(": quit"), "{line}");
}

/// telnet in character mode negotiates: its first bytes are `IAC DO SGA`,
/// `IAC DO ECHO`, sent in the same packet as the first line typed. The server
/// must strip them, or the name it registers would carry them and the others
/// would see garbage. It must also not mistake a client that speaks first
/// for a web browser.
#[test]
fn telnet_negotiation_never_reaches_the_chat() {
    if !common::programs::installed(&["nc", "telnet"]) {
        return;
    }
    let mut server = start_server();

    let mut alice = Terminal::open("nc", "alice", &server);
    alice.expect("NOTICE /help lists the commands");
    alice.type_line("/nick alice");
    alice.expect("*** You joined #general. Nobody else is here yet.");

    // telnet runs the commands in ~/.telnetrc on connecting, before it reads
    // any input; `mode character` makes it start the option negotiation. A
    // HOME of the test's own keeps the real ~/.telnetrc out of it.
    let home = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("telnet-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).expect("create telnet home");
    std::fs::write(home.join(".telnetrc"), "DEFAULT\n  mode character\n").expect("write .telnetrc");
    let mut telnet = Command::new("telnet");
    telnet.env("HOME", &home);
    let mut eve = Terminal::open_with(telnet, "eve", &server);
    eve.type_line("/nick eve");
    alice.expect("* eve joined #general");
    let registered = server.wait_log("Registered eve");
    assert!(
        registered.contains("Registered eve (127.0.0.1:"),
        "{registered}"
    );
    eve.type_line("hello from character mode");
    alice.expect("eve: hello from character mode");
    eve.expect("*** You joined #general. Here: alice");
    let _ = std::fs::remove_dir_all(&home);
}

/// A web browser asking for the help page (linked from the chat page) gets
/// plain text with the browser address and the connect commands, and the
/// connection is closed. This is the request Firefox sends, byte for byte
/// apart from the address and path.
#[test]
fn a_web_browser_gets_the_how_to_connect_page() {
    let server = start_server();
    let port = server.addr.port();
    let mut browser = server.connect();
    browser.send_raw(
        format!(
            "GET /help.txt HTTP/1.1\r\n\
             Host: 127.0.0.1:{port}\r\n\
             User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
             Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
             Accept-Language: en-US,en;q=0.5\r\n\
             Accept-Encoding: gzip, deflate\r\n\
             Connection: keep-alive\r\n\
             Upgrade-Insecure-Requests: 1\r\n\
             \r\n"
        )
        .as_bytes(),
    );
    let page = browser.read_to_close();
    assert_eq!(page[0], "HTTP/1.1 200 OK", "{page:#?}");
    assert!(page.contains(&"Content-Type: text/plain; charset=utf-8".to_string()));
    assert!(page.contains(&"Connection: close".to_string()));
    assert!(page.contains(&"How to join this chat.".to_string()));
    assert!(
        page.contains(&format!(
            "Students: open http://127.0.0.1:{port} in a browser, or nc 127.0.0.1 {port}"
        )),
        "{page:#?}"
    );
    // Bound to 127.0.0.1: that address, and the note that only this machine
    // can use it.
    assert!(
        page.contains(&format!("    nc 127.0.0.1 {port}")),
        "{page:#?}"
    );
    assert!(
        page.contains(&format!("    telnet 127.0.0.1 {port}")),
        "{page:#?}"
    );
    assert!(page
        .iter()
        .any(|l| l.contains("only this machine can connect")));
    // Nothing of the chat leaked into the page.
    assert!(!page
        .iter()
        .any(|l| l.starts_with("NOTICE") || l.starts_with("ERROR")));
}

/// A laptop without `nc` and `telnet`: this very test program, run again
/// with an empty PATH, skips the real-client test with one line naming the
/// program and its install command, and says under its summary how many
/// passed tests were skipped. With `CI=true` the same run fails.
#[test]
fn a_missing_program_skips_with_its_install_command_and_fails_in_ci() {
    let empty = common::TempDir::new("empty-path");
    let run = |ci: &str| {
        Command::new(std::env::current_exe().expect("this test program"))
            .args(["--exact", "nc_and_telnet_chat_with_each_other"])
            .env("PATH", empty.path())
            .env("CI", ci)
            .output()
            .expect("run this test program again")
    };

    let laptop = run("false");
    let stderr = String::from_utf8_lossy(&laptop.stderr);
    assert!(laptop.status.success(), "{laptop:?}");
    assert!(
        stderr.contains(
            "SKIPPED nc_and_telnet_chat_with_each_other: nc is not installed \
             (sudo apt-get install -y netcat-openbsd); telnet is not installed \
             (sudo apt-get install -y telnet)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 of these passed tests was SKIPPED: nc, telnet not installed"),
        "{stderr}"
    );

    let ci = run("true");
    let output = String::from_utf8_lossy(&ci.stdout);
    assert!(!ci.status.success(), "{ci:?}");
    assert!(
        output.contains("with CI=true a missing program is a failure, not a skip"),
        "{output}"
    );
}

/// What step 1 says about leaving `nc` is true of netcat-openbsd: Ctrl-D
/// (the end of its input) does not end a plain `nc`, which waits for the
/// echo server; `nc -N` closes its side, the server closes back, `nc` exits.
#[test]
fn ctrl_d_leaves_nc_only_with_dash_n() {
    if !common::programs::installed(&["nc"]) {
        return;
    }
    let server = Server::start("step1_echo", &["--host", "127.0.0.1", "--port", "0"]);
    let port = server.addr.port().to_string();
    let run = |flags: &[&str]| {
        let mut nc = Command::new("nc")
            .args(flags)
            .args(["127.0.0.1", &port])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start nc");
        let mut stdin = nc.stdin.take().expect("stdin");
        stdin.write_all(b"hello\n").expect("type");
        drop(stdin); // Ctrl-D
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = nc.try_wait() {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = nc.kill(); // Ctrl-C
        let _ = nc.wait();
        None
    };
    assert!(
        run(&["-N"]).is_some_and(|s| s.success()),
        "nc -N did not leave at Ctrl-D"
    );
    assert!(
        run(&[]).is_none(),
        "plain nc left at Ctrl-D: step 1's header is wrong"
    );
}
