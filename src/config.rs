//! The server's settings: defaults, the settings file, environment variables
//! and flags, merged in that order of increasing precedence.
//!
//! (Being written: loading from file/env/flags and `--print-config`.)

use std::path::PathBuf;

/// When the history file is flushed from the OS's cache to the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// After every record: survives power loss, costs a disk flush per message.
    Always,
    /// Once a second in the background and at shutdown (the default).
    Interval,
    /// Never explicitly: the OS flushes when it likes.
    Never,
}

/// Every setting of the chat server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    pub host: String,
    pub port: u16,
    pub data_dir: PathBuf,
    pub history: bool,
    pub history_replay: usize,
    pub fsync: FsyncPolicy,
    pub max_clients: usize,
    pub max_per_ip: usize,
    pub max_line_bytes: usize,
    pub queue_len: usize,
    pub rate_per_sec: u32,
    pub rate_burst: u32,
    pub default_room: String,
    pub motd: String,
    pub password: Option<String>,
    pub admin_password: Option<String>,
    pub register_timeout_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            host: "0.0.0.0".into(),
            port: 7007,
            data_dir: PathBuf::from("chatroom-data"),
            history: true,
            history_replay: 20,
            fsync: FsyncPolicy::Interval,
            max_clients: 1000,
            max_per_ip: 0,
            max_line_bytes: 1024,
            queue_len: 1024,
            rate_per_sec: 10,
            rate_burst: 20,
            default_room: "#general".into(),
            motd: "Welcome to chatroom!".into(),
            password: None,
            admin_password: None,
            register_timeout_secs: 120,
        }
    }
}
