//! A second real IRC client under test: WeeChat in a detached tmux session,
//! like [`super::irssi`]. WeeChat is the client that reconnects and rejoins
//! on its own, so it is what shows whether a kick keeps someone out.
//!
//! `weechat -t` runs with a temporary home that it deletes on exit: no user
//! config, nothing autoconnects but the one server the test adds with
//! `-r`. Everything is torn down on drop, even when the test fails.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(100);

/// WeeChat connected (or connecting) to one server, inside its own tmux.
pub struct Weechat {
    socket: String,
}

impl Weechat {
    /// Starts WeeChat as `nick`, logging in to the account `nick` with SASL
    /// PLAIN and `password`, joining `#general`, and reconnecting by itself
    /// one second after a disconnection (doubling each time, WeeChat's
    /// default growth).
    pub fn connect_with_sasl(nick: &str, password: &str, addr: SocketAddr) -> Weechat {
        let socket = format!("chatroom-weechat-{}-{}", std::process::id(), addr.port());
        let server = format!(
            "/server add class {}/{} -notls -nicks={nick} -username={nick} \
             -sasl_mechanism=plain -sasl_username={nick} -sasl_password={password} \
             -autoreconnect -autoreconnect_delay=1 -autorejoin -autorejoin_delay=1 \
             -autojoin=#general;/connect class",
            addr.ip(),
            addr.port()
        );
        let status = tmux(&socket)
            .args([
                "new-session",
                "-d",
                "-s",
                "weechat",
                "-x",
                "160",
                "-y",
                "50",
            ])
            .args(["weechat", "-t", "-a", "-r", &server])
            .status()
            .expect("run tmux");
        assert!(status.success(), "tmux new-session failed: {status}");
        Weechat { socket }
    }

    /// What the terminal shows now, as text.
    pub fn screen(&self) -> String {
        tmux(&self.socket)
            .args(["capture-pane", "-p", "-t", "weechat"])
            .output()
            .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
            .unwrap_or_default()
    }

    /// Types `text` and presses Enter.
    pub fn type_line(&self, text: &str) {
        let typed = tmux(&self.socket)
            .args(["send-keys", "-t", "weechat", "-l", text])
            .status();
        let enter = tmux(&self.socket)
            .args(["send-keys", "-t", "weechat", "Enter"])
            .status();
        assert!(
            typed.is_ok_and(|s| s.success()) && enter.is_ok_and(|s| s.success()),
            "tmux send-keys failed"
        );
    }

    /// Waits until the screen shows `needle`; fails with the last screen
    /// after [`super::TIMEOUT`].
    pub fn wait_screen(&self, needle: &str) -> String {
        let deadline = Instant::now() + super::TIMEOUT;
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("WeeChat never showed {needle:?}; its screen:\n{screen}");
            }
            thread::sleep(POLL);
        }
    }
}

impl Drop for Weechat {
    fn drop(&mut self) {
        let _ = tmux(&self.socket)
            .arg("kill-server")
            .stderr(Stdio::null())
            .status();
    }
}

fn tmux(socket: &str) -> Command {
    let mut command = Command::new("tmux");
    command.args(["-L", socket, "-f", "/dev/null"]);
    command.stdin(Stdio::null());
    command
}
