//! The message history: every message the server accepts is written to a
//! file in the data directory *before* anyone receives it, the last few
//! messages of each room are replayed to whoever joins, and a teacher reads
//! it all back afterwards with `step4_server transcript` and `attendance`.
//!
//! What a teacher can rely on, and where each promise is kept:
//! - [`record`]: one record is one line of text with a session number and a
//!   check, so every word is attributed to the connection that said it, and
//!   no piece of a record can ever pass for one.
//! - [`file`](mod@file): which history files there are (`history.tsv` and the dated
//!   ones rotated out of the way), and reading them back without changing them.
//! - [`store`]: the live history — written before delivery, cut back after a
//!   failed write so a refused message leaves no trace, replay windows kept
//!   in bounded memory, and the `fsync` policy.
//! - [`retention`]: rotation into dated files and deleting the oldest.
//! - [`lock`]: one server per data directory, and session numbers unique
//!   across restarts.
//! - [`transcript`]: the `transcript` and `attendance` subcommands.
//! - [`crc32`]: the check (std has none).

mod crc32;
pub(crate) mod file;
pub(crate) mod lock;
pub(crate) mod record;
pub(crate) mod retention;
mod store;
pub mod transcript;

pub use file::{read_records, ReadReport, FILE_NAME};
pub use record::{ParsedLine, Record, RecordKind};
pub use retention::Retention;
pub use store::{FsyncPolicy, History, IDLE_WINDOWS, START_SCAN_BYTES, SYNC_INTERVAL};

/// Where the history lives unless the settings say otherwise: the server's
/// `data_dir` default, and where `transcript` and `attendance` look.
pub const DEFAULT_DATA_DIR: &str = "chatroom-data";
