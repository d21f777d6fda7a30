//! A real IRC client under test: irssi (or WeeChat, see [`Irssi::weechat`])
//! running in a detached tmux session, typed at with `send-keys` and read
//! with `capture-pane`.
//!
//! irssi is a full-screen terminal program, so a pipe is not enough: it needs
//! a terminal, and tmux gives it one that a test can both type into and read
//! back as plain text. Each [`Irssi`] gets its own tmux server (`tmux -L
//! <unique socket>`, no user config) and its own irssi home in a temp folder
//! with a config written here: no networks to autoconnect to, no DCC, no
//! logging, so a test never touches the user's irssi or tmux and never
//! reaches the internet. Everything is torn down on drop, even when the test
//! fails. Waiting is always [`Irssi::wait_screen`]: poll the screen until the
//! text appears or [`super::TIMEOUT`] passes, then fail showing the screen.

use chatroom::support::tempdir::TempDir;
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use std::thread;
use std::time::{Duration, Instant};

/// How often the screen is polled while waiting.
const POLL: Duration = Duration::from_millis(100);

/// irssi connected (or connecting) to one server, inside its own tmux.
pub struct Irssi {
    socket: String,
    /// irssi's home; dropped (removed) after tmux is killed.
    _home: TempDir,
}

impl Irssi {
    /// Starts irssi as `nick`, connecting to `addr`; `None` when irssi or
    /// tmux is not installed (the test is skipped, or fails under `CI=true`:
    /// see [`super::programs`]).
    pub fn connect(nick: &str, addr: SocketAddr) -> Option<Irssi> {
        if !super::programs::installed(&["tmux", "irssi"]) {
            return None;
        }
        Some(Irssi::start(nick, addr, config(nick, "")))
    }

    /// Starts irssi as `nick`, logging in to the account `nick` with SASL
    /// PLAIN and `password` (irssi's own `sasl_*` settings of a network).
    pub fn connect_with_sasl(nick: &str, password: &str, addr: SocketAddr) -> Irssi {
        // One network, `class`, holding the login, with the test server's
        // address in it (irssi finds the network by the address `-c` names).
        let network = format!(
            "servers = ( {{ address = \"{}\"; chatnet = \"class\"; port = \"{}\"; use_tls = \"no\"; }} );\n\
             chatnets = {{ class = {{ type = \"IRC\"; sasl_mechanism = \"PLAIN\"; sasl_username = \"{nick}\"; sasl_password = \"{password}\"; }}; }};\n\
             channels = ( );\n",
            addr.ip(),
            addr.port()
        );
        Irssi::start(nick, addr, config(nick, &network))
    }

    fn start(nick: &str, addr: SocketAddr, config: String) -> Irssi {
        let home = TempDir::new("irssi");
        std::fs::write(home.join("config"), config).expect("write irssi config");
        let irssi = format!(
            "irssi --home={} -n {nick} -c {} -p {}",
            home.path().display(),
            addr.ip(),
            addr.port()
        );
        Irssi::run(home, irssi)
    }

    /// Starts irssi as `nick` with `addr` as an autoconnecting server and
    /// `channels` in its autojoin list, as a student's config would have.
    pub fn autojoin(nick: &str, addr: SocketAddr, channels: &[&str]) -> Irssi {
        let home = TempDir::new("irssi");
        let mut network = format!(
            "servers = ( {{ address = \"{}\"; port = \"{}\"; chatnet = \"class\"; autoconnect = \"yes\"; use_tls = \"no\"; }} );\n\
             chatnets = {{ class = {{ type = \"IRC\"; }}; }};\nchannels = (\n",
            addr.ip(),
            addr.port()
        );
        for channel in channels {
            network.push_str(&format!(
                "  {{ name = \"{channel}\"; chatnet = \"class\"; autojoin = \"yes\"; }},\n"
            ));
        }
        network.push_str(");\n");
        std::fs::write(home.join("config"), config(nick, &network)).expect("write irssi config");
        let irssi = format!("irssi --home={} -n {nick}", home.path().display());
        Irssi::run(home, irssi)
    }

    /// Starts WeeChat as `nick`, connecting to `addr` and autojoining
    /// `channels` (the same tmux harness: typing and reading the screen
    /// work the same way).
    pub fn weechat(nick: &str, addr: SocketAddr, channels: &[&str]) -> Irssi {
        let home = TempDir::new("weechat");
        let commands = format!(
            "/set irc.server_default.autorejoin on;\
             /server add class {}/{} -notls -nicks={nick} -autojoin={};/connect class",
            addr.ip(),
            addr.port(),
            channels.join(",")
        );
        let weechat = format!(
            "weechat --dir {} --run-command '{commands}'",
            home.path().display()
        );
        Irssi::run(home, weechat)
    }

    /// Starts WeeChat as `nick`, logging in to the account `nick` with SASL
    /// PLAIN and `password`, joining `#general`, and reconnecting and
    /// rejoining by itself one second after a disconnection (doubling each
    /// time, WeeChat's default growth): the client that shows whether a kick
    /// keeps someone out.
    pub fn weechat_with_sasl(nick: &str, password: &str, addr: SocketAddr) -> Irssi {
        let home = TempDir::new("weechat");
        let commands = format!(
            "/server add class {}/{} -notls -nicks={nick} -username={nick} \
             -sasl_mechanism=plain -sasl_username={nick} -sasl_password={password} \
             -autoreconnect -autoreconnect_delay=1 -autorejoin -autorejoin_delay=1 \
             -autojoin=#general;/connect class",
            addr.ip(),
            addr.port()
        );
        let weechat = format!(
            "weechat --dir {} --run-command '{commands}'",
            home.path().display()
        );
        Irssi::run(home, weechat)
    }

    fn run(home: TempDir, program: String) -> Irssi {
        let socket = format!("chatroom-test-{}", home.path().display()).replace(['/', '.'], "-");
        let status = tmux(&socket)
            .args(["new-session", "-d", "-s", "irssi", "-x", "160", "-y", "40"])
            .arg(program)
            .status()
            .expect("run tmux");
        assert!(status.success(), "tmux new-session failed: {status}");
        Irssi {
            socket,
            _home: home,
        }
    }

    /// Types `text` and presses Enter (`-l`: the text is literal, never key
    /// names, so a message saying "Enter" stays a message).
    pub fn type_line(&self, text: &str) {
        let typed = tmux(&self.socket)
            .args(["send-keys", "-t", "irssi", "-l", text])
            .status();
        let enter = tmux(&self.socket)
            .args(["send-keys", "-t", "irssi", "Enter"])
            .status();
        assert!(
            typed.is_ok_and(|s| s.success()) && enter.is_ok_and(|s| s.success()),
            "tmux send-keys failed"
        );
    }

    /// What the terminal shows now, as text.
    pub fn screen(&self) -> String {
        tmux(&self.socket)
            .args(["capture-pane", "-p", "-t", "irssi"])
            .output()
            .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
            .unwrap_or_default()
    }

    /// Waits until the screen shows `needle`; returns the screen. Fails with
    /// the last screen after [`super::TIMEOUT`].
    pub fn wait_screen(&self, needle: &str) -> String {
        let deadline = Instant::now() + super::TIMEOUT;
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("irssi never showed {needle:?}; its screen:\n{screen}");
            }
            thread::sleep(POLL);
        }
    }
}

impl Drop for Irssi {
    fn drop(&mut self) {
        // Killing this tmux server ends irssi with it; the home goes next.
        let _ = tmux(&self.socket)
            .arg("kill-server")
            .stderr(Stdio::null())
            .status();
    }
}

/// A tmux command on this test's own server, ignoring any user config.
fn tmux(socket: &str) -> Command {
    let mut command = Command::new("tmux");
    command.args(["-L", socket, "-f", "/dev/null"]);
    command.stdin(Stdio::null());
    command
}

/// An irssi config with nothing in it that could reach elsewhere or write
/// files: no networks or servers to autoconnect, no DCC, no logs.
/// `network` replaces the empty servers, chatnets and channels.
fn config(nick: &str, network: &str) -> String {
    let network = match network {
        "" => "servers = ( );\nchatnets = { };\nchannels = ( );\n",
        network => network,
    };
    format!(
        r#"settings = {{
  core = {{ real_name = "{nick} test"; user_name = "{nick}"; nick = "{nick}"; }};
  "fe-common/core" = {{ autolog = "no"; }};
  "irc/dcc" = {{ dcc_autoget = "no"; dcc_autoresume = "no"; }};
  "fe-text" = {{ actlist_sort = "refnum"; }};
}};
{network}"#
    )
}
