//! Each room's replay window: the last few messages shown to whoever joins,
//! in bounded memory.
//!
//! A room's window (`history_replay` messages) is kept while the room has
//! members, plus the windows of the [`IDLE_WINDOWS`] rooms that emptied
//! most recently, so a class that leaves and comes back still sees its last
//! messages, and a crowd hopping through new rooms does not grow memory.
//! Who is in which room is counted from the join and leave records passed
//! to [`History::append`]; the least recently used idle window is the one
//! dropped.

use super::History;
use crate::history::record::{Record, RecordKind};
use crate::text::names;
use std::collections::VecDeque;

/// How many replay windows of rooms without members are kept.
pub const IDLE_WINDOWS: usize = 64;

/// One room's replay window.
#[derive(Default)]
pub(super) struct Window {
    /// The last `replay` messages, oldest first.
    pub(super) records: VecDeque<Record>,
    /// How many people are in the room (from join and leave records).
    members: usize,
    /// When it was last used ([`History::ticks`]), for evicting idle windows.
    used: u64,
}

impl History {
    pub(super) fn count_members(&mut self, record: &Record) {
        if self.replay == 0 || !matches!(record.kind, RecordKind::Join | RecordKind::Leave) {
            return;
        }
        self.ticks += 1;
        let window = self.windows.entry(names::key(&record.place)).or_default();
        window.used = self.ticks;
        if record.kind == RecordKind::Join {
            window.members += 1;
        } else {
            window.members = window.members.saturating_sub(1);
            self.evict_idle();
        }
    }

    /// Adds a message to its room's window, dropping the oldest beyond `replay`.
    pub(super) fn remember(&mut self, record: Record) {
        if self.replay == 0 {
            return;
        }
        self.ticks += 1;
        let window = self.windows.entry(names::key(&record.place)).or_default();
        window.used = self.ticks;
        if window.records.len() >= self.replay {
            window.records.pop_front();
        }
        window.records.push_back(record);
        if window.members == 0 {
            self.evict_idle();
        }
    }

    /// Drops the least recently used window of a room without members
    /// while there are more than [`IDLE_WINDOWS`] of them.
    fn evict_idle(&mut self) {
        loop {
            let idle = self.windows.iter().filter(|(_, w)| w.members == 0);
            if idle.clone().count() <= IDLE_WINDOWS {
                return;
            }
            let oldest = idle.min_by_key(|(_, w)| w.used).map(|(key, _)| key.clone());
            if let Some(key) = oldest {
                self.windows.remove(&key);
            }
        }
    }
}
