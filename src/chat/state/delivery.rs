//! How the state reaches people: rendering an event once per dialect,
//! queueing it without ever waiting, disconnecting whoever's queue is full
//! (the slow-client policy in the module notes of [`super`]), and storing a
//! message in the history before it is delivered.

use super::{Conn, ConnId, Flow, State};
use crate::history::{Record, RecordKind};
use crate::log;
use crate::server::outbox::{Doorbell, Item, Sent};
use crate::support::timestamp;
use crate::wire::command::Dialect;
use crate::wire::event::{Event, Refusal};
use crate::wire::render::render;
use std::sync::Arc;

impl State {
    /// Disconnects everyone whose queue overflowed. Their leaving is itself
    /// broadcast and may overflow someone else, hence the loop.
    pub(super) fn drop_overflowed(&mut self) {
        while let Some(id) = self.overflowed.pop() {
            if let Some(conn) = self.conns.get(&id) {
                log!("Disconnected {}: send queue full", conn.who());
                // Its writer may be stuck in write() to a client that reads
                // nothing: shutting the socket down unblocks it.
                (conn.hangup)();
                self.remove(id, true);
            }
        }
    }

    /// Appends a record to the history. `false` (after logging loudly) if it
    /// could not be stored; the caller then refuses the message.
    pub(super) fn record(
        &mut self,
        id: ConnId,
        kind: RecordKind,
        place: &str,
        sender: &str,
        text: &str,
    ) -> bool {
        let record = Record {
            time_ms: timestamp::now_millis(),
            kind,
            session: Some(id),
            place: place.to_string(),
            sender: sender.to_string(),
            text: text.to_string(),
        };
        match self.history.append(&record) {
            Ok(()) => true,
            Err(error) => {
                log!("ERROR: could not write to the history file: {error}; refusing messages until it works again");
                false
            }
        }
    }

    pub(super) fn reply_refusal(&mut self, id: ConnId, refusal: Refusal) -> Flow {
        self.send(id, &Event::Refused(refusal));
        Flow::Continue
    }

    pub(super) fn reply(&mut self, id: ConnId, event: Event) -> Flow {
        self.send(id, &event);
        Flow::Continue
    }

    /// Queues `event` for one client, rendered in its dialect.
    pub(super) fn send(&mut self, id: ConnId, event: &Event) {
        if let Some(conn) = self.conns.get(&id) {
            let line: Arc<str> = Arc::from(render(event, conn.dialect));
            if let Some((acting, bytes)) = &mut self.acting {
                if *acting == id {
                    *bytes += line.len();
                }
            }
            queue(id, conn, &line, &mut self.overflowed, &mut self.doorbells);
        }
    }

    /// Queues `event` for every member of a room (but `except`). The event is
    /// rendered at most once per dialect, and every recipient's queue gets a
    /// pointer to the same text.
    pub(super) fn broadcast(&mut self, room_key: &str, event: &Event, except: Option<ConnId>) {
        self.broadcast_to(room_key, event, except, false);
    }

    /// A broadcast of something `about` did (joined, left, renamed): a
    /// muted person's comings and goings reach operators only, so hopping
    /// rooms or choosing a name like `ExamAnswerIsC` says nothing to the class.
    pub(super) fn broadcast_about(
        &mut self,
        about: ConnId,
        room_key: &str,
        event: &Event,
        except: Option<ConnId>,
    ) {
        let muted = self.conns.get(&about).is_some_and(|c| c.muted);
        self.broadcast_to(room_key, event, except, muted);
    }

    fn broadcast_to(
        &mut self,
        room_key: &str,
        event: &Event,
        except: Option<ConnId>,
        operators_only: bool,
    ) {
        let Some(room) = self.rooms.get(room_key) else {
            return;
        };
        let mut rendered = [None, None];
        for &member in &room.members {
            if Some(member) == except {
                continue;
            }
            if let Some(conn) = self.conns.get(&member) {
                if operators_only && !conn.operator {
                    continue;
                }
                let line = rendered_for(&mut rendered, event, conn.dialect);
                queue(
                    member,
                    conn,
                    line,
                    &mut self.overflowed,
                    &mut self.doorbells,
                );
            }
        }
    }
}

/// The event's text in `dialect`, rendered on first use.
pub(super) fn rendered_for<'a>(
    rendered: &'a mut [Option<Arc<str>>; 2],
    event: &Event,
    dialect: Dialect,
) -> &'a Arc<str> {
    let slot = match dialect {
        Dialect::Protocol => 0,
        Dialect::Chat => 1,
    };
    rendered[slot].get_or_insert_with(|| Arc::from(render(event, dialect)))
}

/// Puts a line in a client's queue without ever waiting. A full queue marks
/// the client for disconnection (the slow-client policy in the module notes).
pub(super) fn queue(
    id: ConnId,
    conn: &Conn,
    line: &Arc<str>,
    overflowed: &mut Vec<ConnId>,
    doorbells: &mut Vec<Arc<Doorbell>>,
) {
    queue_item(
        id,
        conn,
        Item::Line(Arc::clone(line)),
        overflowed,
        doorbells,
    );
}

/// [`queue`] for any item, a line or a raw one.
pub(super) fn queue_item(
    id: ConnId,
    conn: &Conn,
    item: Item,
    overflowed: &mut Vec<ConnId>,
    doorbells: &mut Vec<Arc<Doorbell>>,
) {
    match conn.outbox.send_item(item) {
        Sent::Queued => {}
        Sent::Asleep(doorbell) => doorbells.push(doorbell),
        Sent::Full => overflowed.push(id),
        // The writer already stopped (the socket failed); the reader's
        // cleanup is about to remove this connection.
        Sent::Gone => {}
    }
}
