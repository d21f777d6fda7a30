//! A typed command is never broadcast: the keys a person really presses in
//! `nc` and `telnet` (Ctrl-L, the up arrow, a leading space, Ctrl-U), typed
//! into a real terminal.
//!
//! A pipe would not do: what reaches the server depends on the terminal. In
//! a cooked terminal Ctrl-L and the arrow keys travel *inside* the line
//! (`^L/op pw`, `ESC [ A/mute bob`), while Ctrl-U is handled by the terminal
//! itself and erases what was typed before it. So each program runs inside
//! its own tmux server (`tmux -L <unique socket> -f /dev/null`), keys are
//! sent with `send-keys`, and the screen is read with `capture-pane`. A
//! watcher (`bob`, a Rust socket in the same room) and the history file show
//! that none of it was relayed as chat.

mod common;

use common::{protocol_user, Server, TempDir, TIMEOUT};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const ADMIN: &str = "s3cret-Op";

/// What the shell prints once the program in the terminal has exited.
const ENDED: &str = "[the-program-ended]";

/// A terminal program running in its own tmux server.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(program: &str, server: &Server) -> Tmux {
        let socket = format!("chatroom-typed-{}-{program}", std::process::id());
        // The shell waits after the program ends (telnet exits when the
        // server closes), so its last screen can still be read; the tmux
        // server is killed on drop either way.
        let line = format!(
            "{program} {} {}; echo {ENDED}; sleep 60",
            server.addr.ip(),
            server.addr.port()
        );
        let status = tmux(&socket)
            .args([
                "new-session",
                "-d",
                "-s",
                "t",
                "-x",
                "150",
                "-y",
                "50",
                &line,
            ])
            .status()
            .expect("run tmux");
        assert!(status.success(), "tmux new-session failed");
        Tmux { socket }
    }

    /// Presses `keys` (tmux key names: `C-l`, `Up`, `Enter`).
    fn keys(&self, keys: &[&str]) {
        let status = tmux(&self.socket)
            .args(["send-keys", "-t", "t"])
            .args(keys)
            .status();
        assert!(status.is_ok_and(|s| s.success()), "send-keys failed");
    }

    /// Types `text` literally.
    fn text(&self, text: &str) {
        let status = tmux(&self.socket)
            .args(["send-keys", "-t", "t", "-l", text])
            .status();
        assert!(status.is_ok_and(|s| s.success()), "send-keys failed");
    }

    fn screen(&self) -> String {
        tmux(&self.socket)
            .args(["capture-pane", "-p", "-t", "t", "-S", "-200"])
            .output()
            .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
            .unwrap_or_default()
    }

    /// Waits until `needle` has appeared `count` times on the screen.
    fn wait_for(&self, needle: &str, count: usize) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let screen = self.screen();
            if screen.matches(needle).count() >= count {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the terminal never showed {needle:?} ({count}×):\n{screen}"
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = tmux(&self.socket)
            .arg("kill-server")
            .stderr(Stdio::null())
            .status();
    }
}

fn tmux(socket: &str) -> Command {
    let mut command = Command::new("tmux");
    command
        .args(["-L", socket, "-f", "/dev/null"])
        .stdin(Stdio::null());
    command
}

/// Types each terminal case into `program` as the teacher and proves that
/// each command ran and nothing reached bob or the history.
fn typed_commands_run_and_are_never_relayed(program: &str) {
    if !common::programs::installed(&[program, "tmux"]) {
        return;
    }
    let dir = TempDir::new(&format!("typed-{program}"));
    let data = dir.path().join("data");
    let mut server = Server::start_with(
        Command::new(common::bin("step4_server"))
            .args(["--host", "127.0.0.1", "--port", "0", "--data-dir"])
            .arg(&data)
            .current_dir(dir.path())
            .env_remove("CHATROOM_PASSWORD")
            .env("CHATROOM_ADMIN_PASSWORD", ADMIN),
    );
    let mut bob = protocol_user(&server, "bob");
    bob.send("JOIN #general");
    bob.expect("OK Joined #general (0 users)");

    let teacher = Tmux::start(program, &server);
    teacher.wait_for("/nick", 1);
    teacher.text("/nick teach");
    teacher.keys(&["Enter"]);
    teacher.wait_for("Welcome, teach", 1);
    bob.expect("JOIN #general teach");

    // Ctrl-L, then the operator password.
    teacher.keys(&["C-l"]);
    teacher.text(&format!("/op {ADMIN}"));
    teacher.keys(&["Enter"]);
    teacher.wait_for("You are an operator", 1);
    // The up arrow (a cooked terminal puts `ESC [ A` into the line).
    teacher.keys(&["Up"]);
    teacher.text("/mute bob");
    teacher.keys(&["Enter"]);
    teacher.wait_for("Muted bob", 1);
    bob.expect("NOTICE You were muted by teach");
    // Ctrl-U erases a half-typed line; what follows is the command.
    teacher.text("oops, not this");
    teacher.keys(&["C-u"]);
    teacher.text("/unmute bob");
    teacher.keys(&["Enter"]);
    teacher.wait_for("Unmuted bob", 1);
    bob.expect("NOTICE You were unmuted by teach");
    // A leading space.
    teacher.text(" /users");
    teacher.keys(&["Enter"]);
    teacher.wait_for("In #general:", 1);
    // Nothing the teacher typed reached bob as a message.
    bob.assert_nothing_pending("ROOMS", "ROOMLIST");
    teacher.text(" /quit");
    teacher.keys(&["Enter"]);
    teacher.wait_for("Goodbye", 1);
    bob.expect("LEAVE #general teach");
    // The last line says the connection is closed and what to do; `nc`
    // really does wait for Enter (telnet has exited already), then ends.
    teacher.wait_for(
        "Connection closed by the server (you typed /quit). Press Enter or Ctrl-C to return to your shell.",
        1,
    );
    teacher.keys(&["Enter"]);
    teacher.wait_for(ENDED, 1);

    server.signal("TERM");
    assert!(server.wait_exit().success());
    let history = std::fs::read_to_string(data.join("history.tsv")).unwrap_or_default();
    for typed in [ADMIN, "/op", "/mute", "/unmute", "/users", "/quit", "oops"] {
        assert!(
            !history.contains(typed),
            "{typed:?} is in the history:\n{history}"
        );
    }
    let log = server.whole_log().join("\n");
    assert!(!log.contains(ADMIN), "the password is in the log");
}

#[test]
fn keys_typed_in_nc_never_turn_a_command_into_chat() {
    typed_commands_run_and_are_never_relayed("nc");
}

#[test]
fn keys_typed_in_telnet_never_turn_a_command_into_chat() {
    typed_commands_run_and_are_never_relayed("telnet");
}
