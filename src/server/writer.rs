//! One connection's writer thread, and how queued items become bytes on the
//! wire: the thread that waits on this client's socket when it is full, so
//! that no other thread ever does.
//!
//! **When it runs.** Most lines never meet this thread: the sender that
//! queued them writes them itself, without waiting, while the socket has
//! room (see [`super::outbox`], "Who writes", and [`super::write_now`]). The
//! writer is handed the turn when a socket is full, when the connection
//! ends, or when a client is dropped as too slow; then it writes with
//! blocking `write()`s, everything queued by that moment at a time, until
//! the queue is empty and it can give the turn back. The batch size comes
//! from the work (lines pile up while it sits in a `write()` to a slow
//! client), not from a timer.
//!
//! **Two framings.** A line client gets the lines as they are. A browser's
//! connection switches to WebSocket frames when [`add`] meets
//! [`Raw::SwitchToWebSocket`]: from then on each line goes out as one text
//! frame (many frames in one `write()`, batched the same way), pings are
//! answered and the conversation ends with a close frame: the status the
//! reader asked for, 1001 ("going away") when the server is shutting down,
//! or 1000 ("normal") when the chat ended it (`QUIT`, a kick). The framing
//! lives with the queue ([`Queue::framing`]), because whoever holds the turn
//! frames: a sender or this thread. [`gather`] is shared by both.
//!
//! Tried and rejected (the measurements are in [`super::outbox`]): a writer
//! that slept a 15 ms window between writes (66,000 wake-ups a second at
//! 1,000 connections whatever the message rate); writers woken for every
//! line, under the state lock or after it; writers in a lower scheduling
//! class (`SCHED_IDLE`, nice 19, `SCHED_BATCH`: three clients flooding with
//! flood control off starved them and members were dropped as slow
//! clients); releasing the writer's unused stack pages after a second of
//! quiet (a timer on every park, and an idle writer had nothing to give
//! back: two pages, both live).
//!
//! **Memory.** An idle writer keeps no heap: its batch buffer goes when it
//! gives the turn back, and starts at [`FIRST_BATCH_BYTES`] so that growing it never
//! leaves small blocks in glibc's per-thread cache (the start size alone
//! saved 5.5 KiB per idle connection: 43.9 against 38.4 KiB, 1,000 members
//! of one room, measured 2026-12-02).

use crate::chat::stats;
use crate::server::outbox::{Doorbell, GivenBack, Holder, Inbox, Item, Line, Queue, Queued, Raw};
use crate::support::signal;
use crate::wire::websocket::{self, status};
use std::io::Write;
use std::net::{Shutdown, TcpStream};

/// The most bytes a writer puts into one `write()`: enough to amortise the
/// system call over hundreds of lines, small enough not to hoard memory.
const MAX_BATCH_BYTES: usize = 64 * 1024;

/// A batch buffer that grew past this is freed after its write, so a
/// connection that had one burst does not keep a burst-sized buffer for ever.
const KEEP_BATCH_BYTES: usize = 4 * 1024;

/// The capacity a batch buffer starts with: above the largest block
/// (1,032 bytes) that glibc's allocator keeps in a thread's own cache of
/// freed blocks (`tcache`). Grown from nothing, a batch went through blocks
/// of 8, 16, … 1,024 bytes, and every one freed on the way stayed in that
/// writer's cache, unusable by any other thread, for the connection's life.
const FIRST_BATCH_BYTES: usize = 2048;

/// How items become bytes on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Lines as they are (nc, telnet, programs; a browser's HTTP answer).
    Lines,
    /// One WebSocket text frame per line.
    WebSocket,
    /// A close frame was sent: nothing more may follow it.
    Closed,
}

/// Writes this connection's backlog whenever a sender hands it the turn (its
/// client was slow to read), until the queue's sender is dropped (the
/// connection was removed from the state) or the socket fails; then closes
/// the socket, which also wakes this connection's reader.
///
/// **Cost follows the work.** The writer is parked for as long as senders
/// manage to write for it (see [`super::outbox`], "Who writes"): an idle
/// connection, or one that keeps up, costs no wake-up at all. Woken, it
/// writes what the sender could not, then everything queued by then, with
/// one `write()` per batch of up to [`MAX_BATCH_BYTES`]: while it waits for
/// a slow client's socket, lines pile up, and the next batch carries them
/// all. No timer decides the batch size; the work does.
///
/// **Memory.** The batch buffer is freed after every write larger than
/// [`KEEP_BATCH_BYTES`], and whenever the writer gives the turn back, so a
/// parked writer keeps no buffer at all. An idle writer's whole cost is its
/// two stack pages: see `READER_STACK_BYTES` in `connection.rs` for the list.
pub(super) fn writer_loop(stream: &TcpStream, inbox: Inbox) {
    let doorbell = inbox.doorbell();
    let mut batch: Vec<u8> = Vec::new();
    let mut socket_works = true;
    let framing = 'life: loop {
        inbox.wait_for_turn();
        let mut queue = doorbell.lock_queue();
        loop {
            let written = match gather(doorbell, &mut queue, &mut batch) {
                Gathered::One(line) => {
                    let written = (&*stream).write_all(line.as_bytes());
                    count_out(&written, line.len());
                    written
                }
                Gathered::Batch => {
                    let written = (&*stream).write_all(&batch);
                    count_out(&written, batch.len());
                    batch.clear();
                    if batch.capacity() > KEEP_BATCH_BYTES {
                        batch = Vec::new();
                    }
                    written
                }
                Gathered::Nothing => match doorbell.give_back(&mut queue, Holder::Writer) {
                    GivenBack::Kept => continue,
                    GivenBack::ToNobody | GivenBack::Taken => {
                        // Parked from here on: no heap of its own (after a
                        // join burst each writer held its last batch for ever).
                        batch = Vec::new();
                        continue 'life;
                    }
                },
                Gathered::Closed => break 'life queue.framing,
            };
            if written.is_err() {
                socket_works = false;
                break 'life queue.framing;
            }
            // Dropped as too slow: the rest of the queue is never sent.
            if doorbell.saying_farewell() {
                break 'life queue.framing;
            }
        }
    };
    // The last words of a client dropped as too slow, after the last whole
    // batch (so on a line of their own). The state shuts the socket down a
    // little later in any case, so a client that reads nothing at all
    // cannot keep this thread here.
    if let (true, Some(farewell)) = (socket_works, doorbell.farewell()) {
        let _ = (&*stream).write_all(farewell.as_bytes());
    }
    if socket_works && framing == Framing::WebSocket {
        // The chat is over, and nobody asked for another status.
        let status = match signal::shutdown_requested() {
            true => status::GOING_AWAY,
            false => status::NORMAL,
        };
        let _ = (&*stream).write_all(&websocket::close_frame(status, ""));
    }
    inbox.close();
    let _ = stream.shutdown(Shutdown::Both);
}

/// What [`gather`] found to write.
pub(super) enum Gathered {
    /// A single line for a line client, and nothing else queued: written
    /// straight from its `Arc<str>`, without being copied.
    One(Line),
    /// Bytes in the batch buffer.
    Batch,
    /// Nothing is queued.
    Nothing,
    /// Nothing is queued, and the state has dropped the connection.
    Closed,
}

/// Takes what is queued for writing: first the bytes a sender could not
/// write, then items up to [`MAX_BATCH_BYTES`], turned into bytes as the
/// connection's framing says. For the holder of the turn only.
pub(super) fn gather(doorbell: &Doorbell, queue: &mut Queue, batch: &mut Vec<u8>) -> Gathered {
    if !queue.unsent.is_empty() {
        batch.append(&mut queue.unsent);
        drain(doorbell, queue, batch);
        return Gathered::Batch;
    }
    let first = match doorbell.take(queue) {
        Queued::Item(item) => item,
        Queued::Empty => return Gathered::Nothing,
        Queued::Closed => return Gathered::Closed,
    };
    // Anything more to batch with it? The queue's count answers without
    // touching the channel, which for a message to 1,000 members is a
    // cache miss per member saved. The count can be a line behind; that
    // only costs batching, never a line: whoever gives the turn back looks
    // at the channel itself (see `Doorbell::give_back`).
    let second = match doorbell.queued_now() {
        0 => None,
        _ => match doorbell.take(queue) {
            Queued::Item(item) => Some(item),
            // A closed queue stays closed: the next gather says so.
            Queued::Empty | Queued::Closed => None,
        },
    };
    match (first, second, queue.framing) {
        // The common case on a quiet server: one line, no copy.
        (Item::Line(line), None, Framing::Lines) => Gathered::One(line),
        (first, second, _) => {
            // Started big enough that it is never one of the small blocks
            // glibc keeps in a per-thread cache (see FIRST_BATCH_BYTES).
            batch.reserve(FIRST_BATCH_BYTES);
            add(first, &mut queue.framing, batch);
            if let Some(second) = second {
                add(second, &mut queue.framing, batch);
                drain(doorbell, queue, batch);
            }
            Gathered::Batch
        }
    }
}

/// Adds a finished write to the server's bytes out (see [`stats`]). A
/// failed write may have sent part of it; the connection is over then, and
/// the part is not counted.
fn count_out(written: &std::io::Result<()>, bytes: usize) {
    if written.is_ok() {
        stats::count_out(bytes);
    }
}

/// Appends one item to `batch`, as `framing` says, and follows a switch of
/// framing.
fn add(item: Item, framing: &mut Framing, batch: &mut Vec<u8>) {
    match (item, *framing) {
        (_, Framing::Closed) => {} // after a close frame, nothing
        (Item::Line(line), Framing::Lines) => batch.extend_from_slice(line.as_bytes()),
        (Item::Line(line), Framing::WebSocket) => websocket::push_text_frames(&line, batch),
        (Item::Raw(raw), _) => match *raw {
            Raw::SwitchToWebSocket(switching) => {
                batch.extend_from_slice(switching.as_bytes());
                *framing = Framing::WebSocket;
            }
            Raw::Pong(payload) => batch.extend_from_slice(&websocket::pong_frame(&payload)),
            Raw::Close(status) => {
                batch.extend_from_slice(&websocket::close_frame(status, ""));
                *framing = Framing::Closed;
            }
        },
    }
}

/// Moves what is queued into `batch`, up to [`MAX_BATCH_BYTES`] (a closed
/// queue is found by the next [`gather`]).
fn drain(doorbell: &Doorbell, queue: &mut Queue, batch: &mut Vec<u8>) {
    while batch.len() < MAX_BATCH_BYTES {
        match doorbell.take(queue) {
            Queued::Item(item) => add(item, &mut queue.framing, batch),
            Queued::Empty | Queued::Closed => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::outbox::outbox;
    use crate::wire::websocket::{parse_server_frames, ServerFrame};
    use std::io::Read;
    use std::net::TcpListener;
    use std::sync::Arc;

    /// Everything a writer sends for `items` (queued before it starts, so
    /// they make one batch), read until it closes the socket.
    fn written(items: Vec<Item>) -> Vec<u8> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let (outbox, inbox) = outbox(16, None);
        for item in items {
            assert!(matches!(
                outbox.send_item(item),
                crate::server::outbox::Sent::Queued
            ));
        }
        drop(outbox);
        writer_loop(&server, inbox);
        let mut bytes = Vec::new();
        client.read_to_end(&mut bytes).unwrap();
        bytes
    }

    fn line(text: &str) -> Item {
        Item::Line(Arc::from(text))
    }

    fn raw(raw: Raw) -> Item {
        Item::Raw(Box::new(raw))
    }

    fn frame(opcode: u8, payload: &[u8]) -> ServerFrame {
        ServerFrame {
            fin: true,
            opcode,
            payload: payload.to_vec(),
        }
    }

    #[test]
    fn a_farewell_ends_the_writing_after_the_current_batch() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let (outbox, inbox) = outbox(16, None);
        let _ = outbox.send(Arc::from("a\r\n"));
        outbox.farewell(Arc::from("bye\r\n"));
        let _ = outbox.send(Arc::from("b\r\n"));
        // The writer takes a and b as one batch, then sees the farewell and
        // stops, though the state has not dropped the queue yet.
        writer_loop(&server, inbox);
        let mut bytes = Vec::new();
        client.read_to_end(&mut bytes).unwrap();
        assert_eq!(bytes, b"a\r\nb\r\nbye\r\n");
        drop(outbox);
    }

    #[test]
    fn a_line_client_gets_the_lines_as_they_are() {
        assert_eq!(written(vec![line("a\r\n"), line("b\r\n")]), b"a\r\nb\r\n");
    }

    #[test]
    fn after_the_switch_lines_are_text_frames_and_the_end_is_a_close() {
        let bytes = written(vec![
            line("NOTICE before\r\n"), // not framed: sent before the switch
            raw(Raw::SwitchToWebSocket("HTTP/1.1 101 x\r\n\r\n".into())),
            line("NOTICE a\r\n"),
            line("ROOM #g b one\r\nROOM #g b two\r\n"),
            raw(Raw::Pong(b"ping".to_vec())),
        ]);
        let head = b"NOTICE before\r\nHTTP/1.1 101 x\r\n\r\n";
        assert!(bytes.starts_with(head));
        let (frames, used) = parse_server_frames(&bytes[head.len()..]);
        assert_eq!(used, bytes.len() - head.len());
        assert_eq!(
            frames,
            [
                frame(1, b"NOTICE a"),
                frame(1, b"ROOM #g b one"),
                frame(1, b"ROOM #g b two"),
                frame(10, b"ping"),
                frame(8, &status::NORMAL.to_be_bytes()),
            ]
        );
    }

    #[test]
    fn a_queued_close_is_the_last_frame() {
        let bytes = written(vec![
            raw(Raw::SwitchToWebSocket("101\r\n\r\n".into())),
            raw(Raw::Close(status::TOO_BIG)),
            line("NOTICE too late\r\n"),
        ]);
        let (frames, _) = parse_server_frames(&bytes[b"101\r\n\r\n".len()..]);
        assert_eq!(frames, [frame(8, &status::TOO_BIG.to_be_bytes())]);
    }
}
