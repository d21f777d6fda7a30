//! The rows of the settings table: every server setting, one [`Setting`]
//! each, grouped by section in the order `--print-config` writes them.
//!
//! This file is data: a key, a section, a flag, an environment variable, a
//! [`Field`] (type, default, range, getter and setter) and a meaning per
//! setting. What a row is and what can be done with one is in the parent
//! module, [`super`]. A default that needs a reason (why 100 unregistered
//! connections per address, why a queue of 1,024 lines) has it in a comment
//! beside the row, where the next person to change it will look.
//!
//! The tests below hold every row to the table's rules: each default is
//! allowed by its own row, each range fits its field, keys and flags are
//! unique, booleans can only be turned off, passwords have no flag, and a
//! meaning that states a range states the enforced one.

use std::path::PathBuf;

use super::{Field, Rule, Setting, SettingFlag, NO_MAX};
use crate::settings::server::{FsyncPolicy, ADMIN_PASSWORD_VAR, DIRECT_SEND_VAR, PASSWORD_VAR};

/// Every setting, grouped by section in the order `--print-config` writes them.
//
// The `as` conversions in the setters cannot truncate: a value reaches a
// setter only through `Setting::store`, which keeps it inside the row's
// range, and every range fits its field's type (the test
// `every_range_fits_its_field` stores each bound and reads it back).
pub const SETTINGS: &[Setting] = &[
    Setting {
        key: "host",
        section: "server",
        flag: SettingFlag::Takes("host", "HOST"),
        env: None,
        field: Field::Text {
            default: "0.0.0.0",
            rule: Rule::Address,
            get: |c| c.host.clone(),
            set: |c, s| c.host = s,
        },
        meaning: "IP address to listen on: 0.0.0.0 = every interface, 127.0.0.1 = this machine only (an IP address, not a host name)",
    },
    Setting {
        key: "port",
        section: "server",
        flag: SettingFlag::Takes("port", "PORT"),
        env: None,
        field: Field::Integer {
            default: 7007,
            min: 0,
            max: 65535,
            get: |c| c.port.into(),
            set: |c, n| c.port = n as u16,
        },
        meaning: "TCP port to listen on; 0 = any free port, named in the first log line (0 to 65535)",
    },
    Setting {
        key: "max_clients",
        section: "server",
        flag: SettingFlag::Takes("max-clients", "N"),
        env: None,
        field: Field::Integer {
            default: 1000,
            min: 1,
            max: NO_MAX,
            get: |c| c.max_clients as i64,
            set: |c, n| c.max_clients = n as usize,
        },
        meaning: "most connections at once, registered or not (at least 1); one more gets ERROR Server full, unless its first line is the operator password (5 places beyond this are kept for operators)",
    },
    Setting {
        key: "max_per_ip",
        section: "server",
        flag: SettingFlag::Takes("max-per-ip", "N"),
        env: None,
        field: Field::Integer {
            default: 0,
            min: 0,
            max: NO_MAX,
            get: |c| c.max_per_ip as i64,
            set: |c, n| c.max_per_ip = n as usize,
        },
        meaning: "most connections from one IP address; 0 = no limit",
    },
    Setting {
        key: "max_unregistered_per_ip",
        section: "server",
        flag: SettingFlag::Takes("max-unregistered-per-ip", "N"),
        env: None,
        // 100: a class of 60 behind one school NAT, all connecting at once
        // and slow to type a name, fits with room to spare; one address
        // still cannot fill a server of 1000 with connections that never
        // register.
        field: Field::Integer {
            default: 100,
            min: 0,
            max: NO_MAX,
            get: |c| c.max_unregistered_per_ip as i64,
            set: |c, n| c.max_unregistered_per_ip = n as usize,
        },
        meaning: "most connections from one IP address that have not chosen a name yet (one more closes the oldest of them if it is 20 s old, so a class behind one address is not kept out by connections held on purpose); 0 = no limit",
    },
    Setting {
        key: "connect_rate_per_ip",
        section: "server",
        flag: SettingFlag::Takes("connect-rate-per-ip", "N"),
        env: None,
        // 60 a minute in the long run, after the burst below: a class
        // reconnecting now and then never notices it, while refilling a
        // server of 1000 from one address takes a quarter of an hour.
        field: Field::Integer {
            default: 60,
            min: 0,
            max: NO_MAX,
            get: |c| c.connect_rate_per_ip.into(),
            set: |c, n| c.connect_rate_per_ip = n as u32,
        },
        meaning: "new connections per minute one IP address may open in the long run (one closed within 2 s without a name or a password is given back, so a connect-and-close loop does not spend the class's share); 0 = no limit",
    },
    Setting {
        key: "connect_burst_per_ip",
        section: "server",
        flag: SettingFlag::Takes("connect-burst-per-ip", "N"),
        env: None,
        // 120: a class of 60 behind one NAT arriving at once, each perhaps
        // trying twice (a typo in the address, a second window).
        field: Field::Integer {
            default: 120,
            min: 0,
            max: NO_MAX,
            get: |c| c.connect_burst_per_ip.into(),
            set: |c, n| c.connect_burst_per_ip = n as u32,
        },
        meaning: "new connections one IP address may open at once before connect_rate_per_ip applies; 0 = no limit",
    },
    Setting {
        key: "idle_timeout_secs",
        section: "server",
        flag: SettingFlag::Takes("idle-timeout-secs", "N"),
        env: None,
        // Three hours: longer than any lesson a quiet student sits through
        // without typing, short enough that registered bots cannot hold
        // the server for a day. At most a day, so adding it to a clock can
        // never overflow.
        field: Field::Integer {
            default: 10_800,
            min: 0,
            max: 86_400,
            get: |c| c.idle_timeout_secs as i64,
            set: |c, n| c.idle_timeout_secs = n as u64,
        },
        meaning: "seconds a registered connection may send nothing before it is closed (any byte counts as something, an empty line too; an IRC client's PING and PONG do not); 0 = never (0 to 86400)",
    },
    Setting {
        key: "register_timeout_secs",
        section: "server",
        flag: SettingFlag::Takes("register-timeout-secs", "N"),
        env: None,
        // At least a second (a zero read timeout is an error in std), at
        // most a day (so adding it to a clock can never overflow).
        field: Field::Integer {
            default: 120,
            min: 1,
            max: 86_400,
            get: |c| c.register_timeout_secs as i64,
            set: |c, n| c.register_timeout_secs = n as u64,
        },
        meaning: "seconds a new connection has to choose a name before it is closed (1 to 86400)",
    },
    Setting {
        key: "allowed_origins",
        section: "server",
        flag: SettingFlag::Takes("allowed-origins", "ORIGINS"),
        env: None,
        // Stored as a list, written as one string so the file needs no arrays.
        field: Field::Text {
            default: "",
            rule: Rule::Origins,
            get: |c| c.allowed_origins.join(" "),
            set: |c, s| c.allowed_origins = s.split_whitespace().map(str::to_string).collect(),
        },
        meaning: "web pages from these sites (space-separated, like http://teacher.example:8080), besides the chat's own page, may open a chat connection; others get 403, so no other site can make a student's browser chat in their name",
    },
    Setting {
        key: "max_line_bytes",
        section: "limits",
        flag: SettingFlag::Takes("max-line-bytes", "N"),
        env: None,
        field: Field::Integer {
            default: 1024,
            min: 16,
            max: 1_048_576,
            get: |c| c.max_line_bytes as i64,
            set: |c, n| c.max_line_bytes = n as usize,
        },
        meaning: "longest line a client may send, in bytes (16 to 1048576)",
    },
    Setting {
        key: "queue_len",
        section: "limits",
        flag: SettingFlag::Takes("queue-len", "N"),
        env: None,
        // The queue's slots are allocated up front, per client: a million
        // is already generous, and a typo of 10^12 must not abort the server.
        // 1,024 slots are 24 KiB per connection; 512 once dropped a member
        // who was reading, on a saturated machine, and 128 dropped nine (see
        // `docs/design.md`, "The queue's length").
        field: Field::Integer {
            default: 1024,
            min: 1,
            max: 1_000_000,
            get: |c| c.queue_len as i64,
            set: |c, n| c.queue_len = n as usize,
        },
        meaning: "lines waiting to be sent to one client; when they are full the client is disconnected as too slow (1 to 1000000)",
    },
    Setting {
        key: "direct_send",
        section: "limits",
        flag: SettingFlag::TurnsOff("no-direct-send"),
        env: Some(DIRECT_SEND_VAR),
        field: Field::Boolean {
            default: true,
            get: |c| c.direct_send,
            set: |c, b| c.direct_send = b,
        },
        meaning: "the thread that queues a line for a client nobody is writing for sends it itself, without waiting; false: every line goes through the client's writer thread (set CHATROOM_DIRECT_SEND=false to compare)",
    },
    Setting {
        key: "rate_per_sec",
        section: "limits",
        flag: SettingFlag::Takes("rate-per-sec", "N"),
        env: None,
        field: Field::Integer {
            default: 10,
            min: 0,
            max: NO_MAX,
            get: |c| c.rate_per_sec.into(),
            set: |c, n| c.rate_per_sec = n as u32,
        },
        meaning: "messages per second one client may send in the long run; 0 = no flood control",
    },
    Setting {
        key: "rate_burst",
        section: "limits",
        flag: SettingFlag::Takes("rate-burst", "N"),
        env: None,
        // At least 1 when rate_per_sec > 0: checked after merging, in `load`.
        field: Field::Integer {
            default: 20,
            min: 0,
            max: NO_MAX,
            get: |c| c.rate_burst.into(),
            set: |c, n| c.rate_burst = n as u32,
        },
        meaning: "messages one client may send in a quick burst (at least 1 unless rate_per_sec is 0)",
    },
    Setting {
        key: "data_dir",
        section: "history",
        flag: SettingFlag::Takes("data-dir", "DIR"),
        env: None,
        field: Field::Text {
            default: crate::history::DEFAULT_DATA_DIR,
            rule: Rule::Directory,
            get: |c| c.data_dir.to_string_lossy().into_owned(),
            set: |c, s| c.data_dir = PathBuf::from(s),
        },
        meaning: "directory for the history files, created if missing",
    },
    Setting {
        key: "history",
        section: "history",
        flag: SettingFlag::TurnsOff("no-history"),
        env: None,
        field: Field::Boolean {
            default: true,
            get: |c| c.history,
            set: |c, b| c.history = b,
        },
        meaning: "record every message in data_dir/history.tsv and replay recent ones on join; false: neither",
    },
    Setting {
        key: "history_replay",
        section: "history",
        flag: SettingFlag::Takes("history-replay", "N"),
        env: None,
        field: Field::Integer {
            default: 20,
            min: 0,
            max: 10_000,
            get: |c| c.history_replay as i64,
            set: |c, n| c.history_replay = n as usize,
        },
        meaning: "how many recent messages of a room are shown on joining it (0 to 10000)",
    },
    Setting {
        key: "fsync",
        section: "history",
        flag: SettingFlag::Takes("fsync", "always|interval|never"),
        env: None,
        field: Field::Text {
            default: "interval",
            rule: Rule::Fsync,
            get: |c| c.fsync.as_str().into(),
            // `store` has checked the word, so it always parses.
            set: |c, s| c.fsync = s.parse().unwrap_or(FsyncPolicy::Interval),
        },
        meaning: "when history reaches the disk: always = every message, interval = every second, never = when the OS likes",
    },
    Setting {
        key: "history_keep_days",
        section: "history",
        flag: SettingFlag::Takes("history-keep-days", "N"),
        env: None,
        field: Field::Integer {
            default: 365,
            min: 0,
            max: 36_500,
            get: |c| c.history_keep_days as i64,
            set: |c, n| c.history_keep_days = n as u64,
        },
        meaning: "delete rotated history files older than this many days; 0 = keep them forever (0 to 36500)",
    },
    Setting {
        key: "history_keep_mb",
        section: "history",
        flag: SettingFlag::Takes("history-keep-mb", "N"),
        env: None,
        field: Field::Integer {
            default: 2000,
            min: 0,
            max: 1_000_000,
            get: |c| c.history_keep_mb as i64,
            set: |c, n| c.history_keep_mb = n as u64,
        },
        meaning: "delete the oldest rotated history files while all of them take more MB than this, but never one younger than 7 days; one address may store this divided by 168 MB an hour (at least 1 MB), so a small limit also slows a class behind one address; 0 = no limit (0 to 1000000)",
    },
    Setting {
        key: "default_room",
        section: "chat",
        flag: SettingFlag::Takes("default-room", "ROOM"),
        env: None,
        field: Field::Text {
            default: "#general",
            rule: Rule::Room,
            get: |c| c.default_room.clone(),
            set: |c, s| c.default_room = s,
        },
        meaning: "room a person registering with /nick joins on arrival (a USERNAME client joins nothing until it sends JOIN); \"\" = none; lab means #lab",
    },
    Setting {
        key: "max_rooms_per_person",
        section: "chat",
        flag: SettingFlag::Takes("max-rooms-per-person", "N"),
        env: None,
        field: Field::Integer {
            default: 10,
            min: 1,
            max: 1000,
            get: |c| c.max_rooms_per_person as i64,
            set: |c, n| c.max_rooms_per_person = n as usize,
        },
        meaning: "most rooms one person may be in at once: chat mode, IRC, and programs after MULTIROOM (1 to 1000)",
    },
    Setting {
        key: "irc_server_name",
        section: "chat",
        flag: SettingFlag::Takes("irc-server-name", "NAME"),
        env: None,
        field: Field::Text {
            default: "chatroom.local",
            rule: Rule::ServerName,
            get: |c| c.irc_server_name.clone(),
            set: |c, s| c.irc_server_name = s,
        },
        meaning: "the server's name in IRC lines (:chatroom.local 001 …): 1-63 letters, digits, . or -",
    },
    Setting {
        key: "motd",
        section: "chat",
        flag: SettingFlag::Takes("motd", "TEXT"),
        env: None,
        field: Field::Text {
            default: "Welcome to chatroom!",
            rule: Rule::Any,
            get: |c| c.motd.clone(),
            set: |c, s| c.motd = s,
        },
        meaning: "message of the day: the greeting each new connection gets",
    },
    Setting {
        key: "password",
        section: "chat",
        flag: SettingFlag::NoFlag,
        env: Some(PASSWORD_VAR),
        // An empty password means "no password", so that
        // `CHATROOM_PASSWORD= step4_server` can switch off the file's one.
        field: Field::Text {
            default: "",
            rule: Rule::Secret,
            get: |c| c.password.clone().unwrap_or_default(),
            set: |c, s| c.password = Some(s).filter(|s| !s.is_empty()),
        },
        meaning: "password needed to join (/pass); \"\" = none",
    },
    Setting {
        key: "admin_password",
        section: "chat",
        flag: SettingFlag::NoFlag,
        env: Some(ADMIN_PASSWORD_VAR),
        field: Field::Text {
            default: "",
            rule: Rule::Secret,
            get: |c| c.admin_password.clone().unwrap_or_default(),
            set: |c, s| c.admin_password = Some(s).filter(|s| !s.is_empty()),
        },
        meaning: "operator password for /op; not set or \"\": the server makes a random one at start and prints it once",
    },
    Setting {
        key: "guests",
        section: "chat",
        flag: SettingFlag::TurnsOff("no-guests"),
        env: None,
        field: Field::Boolean {
            default: true,
            get: |c| c.guests,
            set: |c, b| c.guests = b,
        },
        meaning: "people without an account may join (under a name no account has); false: /login only",
    },
];

#[cfg(test)]
mod tests {
    use super::super::{Rejected, SECTIONS};
    use super::*;
    use crate::settings::server::ServerConfig;
    use crate::settings::toml::Value;

    #[test]
    fn every_default_is_allowed() {
        for setting in SETTINGS {
            let mut config = ServerConfig::default();
            assert_eq!(
                setting.store(&mut config, setting.default_value()),
                Ok(()),
                "{}",
                setting.key
            );
            assert_eq!(setting.value(&config), setting.default_value());
        }
    }

    #[test]
    fn every_range_fits_its_field() {
        for setting in SETTINGS {
            if let Field::Integer { min, max, .. } = setting.field {
                for n in [min, max] {
                    let mut config = ServerConfig::default();
                    assert_eq!(setting.store(&mut config, Value::Integer(n)), Ok(()));
                    assert_eq!(setting.value(&config), Value::Integer(n), "{}", setting.key);
                }
                let mut config = ServerConfig::default();
                for n in [min - 1, max + 1] {
                    let refused = setting.store(&mut config, Value::Integer(n));
                    assert_eq!(refused, Err(Rejected::OutOfRange), "{}", setting.key);
                }
            }
        }
    }

    #[test]
    fn keys_and_flags_are_unique_and_sections_known() {
        for (i, setting) in SETTINGS.iter().enumerate() {
            assert!(SECTIONS.contains(&setting.section), "{}", setting.key);
            for other in &SETTINGS[i + 1..] {
                assert_ne!(setting.key, other.key);
                if let (SettingFlag::Takes(a, _), SettingFlag::Takes(b, _)) =
                    (&setting.flag, &other.flag)
                {
                    assert_ne!(a, b);
                }
            }
            // A boolean's flag turns it off, so its default must be on.
            if let Field::Boolean { default, .. } = setting.field {
                assert!(default && matches!(setting.flag, SettingFlag::TurnsOff(_)));
            }
            // Passwords never on the command line.
            assert_eq!(
                setting.is_secret(),
                matches!(setting.flag, SettingFlag::NoFlag),
                "{}",
                setting.key
            );
        }
    }

    /// A meaning that states a range in words states the enforced one.
    #[test]
    fn meanings_state_the_real_range() {
        for setting in SETTINGS {
            if let Field::Integer { min, max, .. } = setting.field {
                if max != NO_MAX {
                    let range = format!("({min} to {max})");
                    assert!(setting.meaning.contains(&range), "{}: {range}", setting.key);
                }
            }
        }
    }
}
