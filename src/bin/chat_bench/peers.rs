//! The peer servers chat_bench compares step4_server with: ngIRCd and
//! InspIRCd, started fresh for every run on a free loopback port with a
//! configuration generated here, in a temporary directory, and stopped by
//! their pid afterwards (SIGTERM, like step4_server; see `server.rs`).
//!
//! chat_bench installs nothing: a peer that is not on the machine is
//! reported as missing (Debian packages `ngircd` and `inspircd`).
//!
//! The configurations switch off everything that would measure a policy
//! instead of the server: flood penalties (ngIRCd `MaxPenaltyTime = 0`,
//! InspIRCd `threshold`/`commandrate` out of reach and `fakelag="no"`),
//! connection limits (above the client count), DNS and ident look-ups, and
//! ping timeouts (an hour, longer than any run). A one-line MOTD keeps
//! registration short. Each server runs in the foreground under
//! `sh -c 'ulimit -n …; exec …'`, so the pid we hold is the server's own and
//! its open-file limit is the hard limit (5,000 clients need 5,000 fds):
//! `ulimit` in a shell is the smallest documented way to do that without a
//! `setrlimit` binding.
//!
//! The free port is found by binding port 0 and letting it go again; another
//! program could take it in between, in which case the start fails with a
//! clear message rather than measuring the wrong server.

use crate::server::{self, Target};
use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The IRC servers chat_bench knows how to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    Ngircd,
    Inspircd,
}

/// Ping interval and timeout for the peers: longer than any run.
const PING_SECS: u32 = 3600;

/// The most connections any scenario opens, plus room for probes.
const CONNECTION_LIMIT: usize = 20_000;

impl Peer {
    pub fn parse(name: &str) -> Option<Peer> {
        match name {
            "ngircd" => Some(Peer::Ngircd),
            "inspircd" => Some(Peer::Inspircd),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Peer::Ngircd => "ngircd",
            Peer::Inspircd => "inspircd",
        }
    }

    /// Where Debian installs it.
    pub fn binary(self) -> &'static Path {
        match self {
            Peer::Ngircd => Path::new("/usr/sbin/ngircd"),
            Peer::Inspircd => Path::new("/usr/sbin/inspircd"),
        }
    }

    pub fn is_installed(self) -> bool {
        self.binary().is_file()
    }

    /// The configuration file for a server on `port` with scratch files in
    /// `dir`.
    pub fn config(self, port: u16, dir: &Path) -> String {
        match self {
            Peer::Ngircd => ngircd_config(port, dir),
            Peer::Inspircd => inspircd_config(port, dir),
        }
    }

    /// The arguments that run it in the foreground with `config_file`.
    fn arguments(self, config_file: &Path) -> Vec<String> {
        let config = config_file.display().to_string();
        match self {
            Peer::Ngircd => vec!["--nodaemon".into(), "--config".into(), config],
            Peer::Inspircd => {
                let mut args = vec!["--nofork".into(), format!("--config={config}")];
                // InspIRCd refuses to start as root unless told it may.
                if running_as_root() {
                    args.push("--runasroot".into());
                }
                args
            }
        }
    }

    /// Starts a fresh server; the returned target stops it when done.
    pub fn start(self) -> Result<Target, String> {
        if !self.is_installed() {
            return Err(format!(
                "{} is not installed (Debian package {})",
                self.binary().display(),
                self.name()
            ));
        }
        let dir = server::unique_temp_dir()?;
        let port = free_port()?;
        let config_file = dir.join(format!("{}.conf", self.name()));
        let written = fs::write(&config_file, self.config(port, &dir))
            .and_then(|()| fs::write(dir.join("motd.txt"), "chat_bench\n"));
        if let Err(e) = written {
            let _ = fs::remove_dir_all(&dir);
            return Err(format!("cannot write {}: {e}", config_file.display()));
        }
        let child = Command::new("sh")
            .arg("-c")
            .arg(RAISE_FD_LIMIT_THEN_EXEC)
            .arg(self.binary())
            .args(self.arguments(&config_file))
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(e) => {
                let _ = fs::remove_dir_all(&dir);
                return Err(format!("cannot start {}: {e}", self.name()));
            }
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        Target::adopt(self.name(), child, addr, dir)
    }
}

/// `sh -c` script: raise the soft open-file limit to the hard one, then
/// become the program in `$0` with the arguments after it.
const RAISE_FD_LIMIT_THEN_EXEC: &str = r#"ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@""#;

fn running_as_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("Uid:"))?;
            line.split_whitespace().nth(1).map(|uid| uid == "0")
        })
        .unwrap_or(false)
}

/// A loopback port nobody listens on right now.
fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot find a free port: {e}"))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|e| format!("cannot find a free port: {e}"))
}

fn path_in(dir: &Path, file: &str) -> PathBuf {
    dir.join(file)
}

/// ngIRCd 26: see ngircd.conf(5).
fn ngircd_config(port: u16, dir: &Path) -> String {
    format!(
        "\
[Global]
\tName = bench.ngircd
\tInfo = chat_bench peer
\tListen = 127.0.0.1
\tPorts = {port}
\tMotdFile = {motd}
\tMotdPhrase = chat_bench
\tPidFile = {pid}

[Limits]
\tMaxConnections = 0
\tMaxConnectionsIP = 0
\tMaxJoins = 0
\tMaxNickLength = 30
\tMaxPenaltyTime = 0
\tPingTimeout = {PING_SECS}
\tPongTimeout = {PING_SECS}

[Options]
\tDNS = no
\tIdent = no
\tPAM = no
",
        motd = path_in(dir, "no-motd-file").display(),
        pid = path_in(dir, "ngircd.pid").display(),
    )
}

/// InspIRCd 3: see <https://docs.inspircd.org/3/configuration/>.
fn inspircd_config(port: u16, dir: &Path) -> String {
    let limit = CONNECTION_LIMIT;
    format!(
        r#"<server name="bench.inspircd" description="chat_bench peer" network="bench">
<admin name="chat_bench" nick="bench" email="bench@localhost">
<bind address="127.0.0.1" port="{port}" type="clients">
<connect name="bench" allow="*" timeout="600" pingfreq="{PING_SECS}"
         hardsendq="1048576" softsendq="1048576" recvq="1048576"
         threshold="1000000000" commandrate="1000000000" fakelag="no"
         localmax="{limit}" globalmax="{limit}" limit="{limit}"
         maxchans="20" useident="no" resolvehostnames="no">
<performance somaxconn="4096" softlimit="{limit}" clonesonconnect="no">
<files motd="{motd}">
<pid file="{pid}">
<limits maxnick="30" maxchan="64">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="{log}">
"#,
        motd = path_in(dir, "motd.txt").display(),
        pid = path_in(dir, "inspircd.pid").display(),
        log = path_in(dir, "inspircd.log").display(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting<'a>(config: &'a str, key: &str) -> Option<&'a str> {
        config.lines().find_map(|line| {
            let (name, value) = line.trim().split_once(" = ")?;
            (name == key).then_some(value)
        })
    }

    #[test]
    fn ngircd_measures_the_server_not_its_policies() {
        let config = Peer::Ngircd.config(40123, Path::new("/tmp/x"));
        assert_eq!(setting(&config, "Ports"), Some("40123"));
        assert_eq!(setting(&config, "Listen"), Some("127.0.0.1"));
        for (key, value) in [
            ("MaxPenaltyTime", "0"),
            ("MaxConnectionsIP", "0"),
            ("MaxConnections", "0"),
            ("DNS", "no"),
            ("Ident", "no"),
            ("PAM", "no"),
            ("MotdPhrase", "chat_bench"),
        ] {
            assert_eq!(setting(&config, key), Some(value), "{key}");
        }
        let ping: u32 = setting(&config, "PingTimeout").unwrap().parse().unwrap();
        assert!(ping >= 3600);
        // Every run names its clients with up to 10 characters and more.
        let nick: u32 = setting(&config, "MaxNickLength").unwrap().parse().unwrap();
        assert!(nick >= 20);
        assert!(config.contains("PidFile = /tmp/x/ngircd.pid"));
    }

    #[test]
    fn inspircd_limits_are_out_of_reach() {
        let config = Peer::Inspircd.config(40124, Path::new("/tmp/y"));
        assert!(config.contains(r#"port="40124""#));
        assert!(config.contains(r#"address="127.0.0.1""#));
        assert!(config.contains(r#"fakelag="no""#));
        assert!(config.contains(r#"hardsendq="1048576""#));
        assert!(config.contains(r#"somaxconn="4096""#));
        for key in ["threshold", "commandrate"] {
            assert!(config.contains(&format!(r#"{key}="1000000000""#)), "{key}");
        }
        for key in ["localmax", "globalmax", "limit"] {
            let value = format!(r#" {key}="{CONNECTION_LIMIT}""#);
            assert!(config.contains(&value), "{key}");
        }
        const { assert!(CONNECTION_LIMIT > 5_000 + 1) };
        assert!(config.contains(r#"<pid file="/tmp/y/inspircd.pid">"#));
    }

    #[test]
    fn names_round_trip() {
        for peer in [Peer::Ngircd, Peer::Inspircd] {
            assert_eq!(Peer::parse(peer.name()), Some(peer));
        }
        assert_eq!(Peer::parse("ircd"), None);
    }
}
