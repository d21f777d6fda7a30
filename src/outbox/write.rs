//! Writing a connection's queue: the writer thread's loop, which may wait
//! on a slow client, and a sender's write, which never waits.
//!
//! **The writer thread** ([`writer_loop`]) is the design card's writer: it
//! parks until the turn is its own, then takes everything queued and writes
//! it with blocking writes, in batches of up to [`MAX_BATCH_BYTES`], until
//! the queue is empty and it can give the turn back. While it sits in a
//! write to a slow client, lines pile up and the next batch carries them
//! all: the work decides the batch size, no timer does. When the state
//! drops the connection the channel closes, and the writer writes what is
//! left and closes the socket, which also ends the reader. A writer started
//! lazily for a backlog (see [`crate::outbox::inbox`]) may
//! instead go back to the pool once its backlog has been written
//! ([`Ended::Left`]); the same loop, run by the connection's reader at its
//! end, writes a lazy connection's last lines.
//!
//! **A sender** given the turn ([`write_turns`], after the state lock is
//! released) writes the same queue with [`Sink::send_now`](super::Sink::send_now). Usually the
//! socket takes it all and the turn goes back to nobody: no other thread
//! ran. What does not fit is left in [`Queue::unsent`] and the turn goes
//! to the writer thread, so a slow client costs its own writer's time,
//! never the sender's. Before writing, the sender yields the CPU once: on
//! a busy server the other readers run first and queue more lines to the
//! same clients, and one `send()` then carries them too.
//!
//! **Two framings.** A line client gets the lines as they are; a browser's
//! connection switches to WebSocket frames at [`Raw::SwitchToWebSocket`],
//! and ends with a close frame. The framing lives with the queue, because
//! whoever holds the turn frames. Measurements: `docs/design.md`.

use super::{Doorbell, GivenBack, Holder, Inbox, Item, Line, Queue, Queued, Raw};
use crate::support::traffic;
use crate::wire::websocket::{self, status};
use std::sync::Arc;

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

/// Why [`writer_loop`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The connection is closed: its last lines are written (or its socket
    /// failed).
    Finished,
    /// A lazy writer with nothing left to do: the thread may go back to the
    /// pool; the connection goes on without a writer.
    Left,
}

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

/// The writer thread's life: writes this connection's backlog whenever the
/// turn is handed to it (a full socket, or every line without
/// `direct_send`), until the queue's sender is dropped (the state removed
/// the connection) or the socket fails; then closes the connection.
///
/// An idle writer keeps no heap: its batch buffer is freed after a write
/// larger than [`KEEP_BATCH_BYTES`] and whenever it gives the turn back.
pub fn writer_loop(inbox: Inbox) -> Ended {
    let doorbell = inbox.doorbell();
    let sink = doorbell.sink();
    let mut batch: Vec<u8> = Vec::new();
    let mut socket_works = true;
    inbox.register();
    let framing = 'life: loop {
        if !inbox.wait_for_turn() {
            return Ended::Left;
        }
        let mut queue = doorbell.lock_queue();
        loop {
            let written = match gather(doorbell, &mut queue, &mut batch) {
                Gathered::One(line) => {
                    let written = sink.write_all(line.as_bytes());
                    count_out(&written, line.len());
                    written
                }
                Gathered::Batch => {
                    let written = sink.write_all(&batch);
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
                        batch = Vec::new(); // parked from here on: no heap of its own
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
        let _ = sink.write_all(farewell.as_bytes());
    }
    if socket_works && framing == Framing::WebSocket {
        // The chat is over (`QUIT`, a kick), and nobody asked for another
        // status: a shutdown queues its own close (1001) before this.
        let _ = sink.write_all(&websocket::close_frame(status::NORMAL, ""));
    }
    inbox.close();
    sink.close();
    inbox.done();
    Ended::Finished
}

/// Sees to every client in `turns` once the state lock is released: with
/// `direct_send`, writes its queue without waiting ([`write_queue`]);
/// without, wakes its writer thread, which the turn already belongs to.
/// One buffer serves the whole list.
pub fn write_turns(turns: &[Arc<Doorbell>]) {
    // When the CPU is busy, the threads that run first are readers
    // queueing more lines to the same clients, and each `send()` below
    // then carries them too; when nothing else is ready, this returns at
    // once. Only a broadcast gains: a reply to one client (a greeting, a
    // `USERNAME`'s answer, what a visit mostly is) would pay a switch of
    // threads for nothing.
    if turns.len() > 1 {
        std::thread::yield_now();
    }
    let mut batch = Vec::new();
    for doorbell in turns {
        match doorbell.direct() {
            true => write_queue(doorbell, &mut batch),
            false => Doorbell::wake_writer(doorbell),
        }
    }
}

/// Writes what is queued for one client without waiting, until the queue is
/// empty (the turn goes back to nobody) or the socket is full (the turn goes
/// to the writer thread, with what did not fit).
fn write_queue(doorbell: &Arc<Doorbell>, batch: &mut Vec<u8>) {
    let Some(mut queue) = doorbell.try_lock_queue() else {
        // The previous holder is still letting go of it: not worth a wait.
        return Doorbell::hand_to_writer(doorbell);
    };
    loop {
        // A client being dropped as too slow gets its last words from its
        // writer.
        if doorbell.saying_farewell() {
            break;
        }
        // `One` means nothing else was queued: after it, the turn goes back
        // at once, without a look at the channel that would find it empty.
        let (all_sent, nothing_left) = match gather(doorbell, &mut queue, batch) {
            Gathered::One(line) => (send_or_keep(doorbell, line.as_bytes(), &mut queue), true),
            Gathered::Batch => {
                let all_sent = send_or_keep(doorbell, batch, &mut queue);
                batch.clear();
                (all_sent, false)
            }
            Gathered::Nothing => (true, true),
            // The state dropped the connection: the writer closes it.
            Gathered::Closed => break,
        };
        if !all_sent {
            break;
        }
        if nothing_left {
            match doorbell.give_back(&mut queue, Holder::Sender) {
                GivenBack::Kept => continue,
                GivenBack::ToNobody | GivenBack::Taken => return,
            }
        }
    }
    drop(queue);
    Doorbell::hand_to_writer(doorbell);
}

/// Sends what the socket takes now; keeps the rest in the queue's
/// [`Queue::unsent`], for the writer. True if everything went. A failing
/// socket keeps everything too: the writer's next write meets the error and
/// ends the connection.
fn send_or_keep(doorbell: &Doorbell, bytes: &[u8], queue: &mut Queue) -> bool {
    let mut sent = 0;
    while sent < bytes.len() {
        match doorbell.sink().send_now(&bytes[sent..]) {
            Ok(0) | Err(_) => break,
            Ok(more) => sent += more,
        }
    }
    traffic::count_out(sent);
    queue.unsent.extend_from_slice(&bytes[sent..]);
    sent == bytes.len()
}

/// What [`gather`] found to write.
enum Gathered {
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
fn gather(doorbell: &Doorbell, queue: &mut Queue, batch: &mut Vec<u8>) -> Gathered {
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

/// Adds a finished write to the server's bytes out (`STATS`). A failed
/// write may have sent part of it; the connection is over then, and the
/// part is not counted.
fn count_out(written: &std::io::Result<()>, bytes: usize) {
    if written.is_ok() {
        traffic::count_out(bytes);
    }
}

/// Appends one item to `batch`, as `framing` says, and follows a switch of
/// framing.
fn add(item: Item, framing: &mut Framing, batch: &mut Vec<u8>) {
    match (item, *framing) {
        (_, Framing::Closed) => {} // after a close frame, nothing
        // `Doorbell::take` opens batches, so none comes here; if one did,
        // its items would go out in order all the same.
        (Item::Batch(items), _) => {
            for item in items.take_all() {
                add(item, framing, batch);
            }
        }
        (Item::Line(line), Framing::Lines) => batch.extend_from_slice(line.as_bytes()),
        (Item::Line(line), Framing::WebSocket) => websocket::push_text_frames(&line, batch),
        (Item::Raw(raw), _) => match *raw {
            Raw::SwitchToWebSocket(switching) => {
                batch.extend_from_slice(switching.as_bytes());
                *framing = Framing::WebSocket;
            }
            Raw::Pong(payload) => batch.extend_from_slice(&websocket::pong_frame(&payload)),
            // Only a WebSocket has a close frame; a line client just sees
            // the connection close.
            Raw::Close(status) if *framing == Framing::WebSocket => {
                batch.extend_from_slice(&websocket::close_frame(status, ""));
                *framing = Framing::Closed;
            }
            Raw::Close(_) => {}
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
    use crate::outbox::sink::MemorySink;
    use crate::outbox::{outbox, Outbox, Sent, Sink, Turns};
    use crate::wire::websocket::{parse_server_frames, ServerFrame};
    use std::sync::Mutex;
    use std::thread;

    /// A queue writing into memory with room for `room` bytes at a time,
    /// and its writer thread (the shipped [`writer_loop`]), which has let
    /// go of its first turn as it does when it starts with nothing to write.
    fn connection(
        capacity: usize,
        room: usize,
        direct: bool,
    ) -> (Outbox, Arc<MemorySink>, thread::JoinHandle<()>) {
        let sink = Arc::new(MemorySink::new(room));
        let (outbox, inbox) = outbox(capacity, Arc::clone(&sink) as Arc<dyn Sink>, direct);
        let doorbell = inbox.doorbell();
        let mut queue = doorbell.lock_queue();
        assert_eq!(
            doorbell.give_back(&mut queue, Holder::Writer),
            GivenBack::ToNobody
        );
        drop(queue);
        let writer = thread::Builder::new()
            .name("writer".into())
            .spawn(move || {
                writer_loop(inbox);
            })
            .unwrap();
        (outbox, sink, writer)
    }

    /// Everything a writer sends for `items` (queued before it starts, so
    /// they make one batch) once the state drops the queue.
    fn written(items: Vec<Item>) -> Vec<u8> {
        let sink = Arc::new(MemorySink::new(usize::MAX));
        let (mut outbox, inbox) = outbox(16, Arc::clone(&sink) as Arc<dyn Sink>, true);
        for item in items {
            assert!(matches!(outbox.send_item(item), Sent::Queued));
        }
        drop(outbox);
        writer_loop(inbox);
        assert!(sink.is_closed());
        sink.written()
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

    /// Sends `text`, which must find the turn free, and the turn it gives.
    fn first_turn(outbox: &mut Outbox, text: &str) -> Turns {
        let Sent::YourTurn(doorbell) = outbox.send(Arc::from(text)) else {
            panic!("nobody was writing: the sender must get the turn");
        };
        let mut turns = Turns::default();
        turns.push(doorbell);
        turns
    }

    /// A reader keeps its list of turns for as long as its connection:
    /// taking over another list takes that list itself, and a written list
    /// keeps no room, or one broadcast to a big room would leave every
    /// idle reader holding room for all its members.
    #[test]
    fn a_list_of_turns_is_taken_over_whole_and_keeps_no_room_once_written() {
        let (mut outbox, sink, writer) = connection(16, 1024, true);
        let mut mine = Turns::default();
        let given = first_turn(&mut outbox, "a\n");
        let room = given.room();
        mine.append(given);
        assert_eq!(mine.room(), room);
        mine.write();
        assert_eq!(sink.written(), b"a\n");
        assert_eq!(mine.room(), 0);
        drop(outbox);
        writer.join().unwrap();
    }

    #[test]
    fn a_sender_given_the_turn_writes_at_once_and_gives_it_back() {
        let (mut outbox, sink, writer) = connection(16, 1024, true);
        first_turn(&mut outbox, "a\n").write();
        assert_eq!(sink.written(), b"a\n");
        // Given back: the next line's sender gets the turn again.
        first_turn(&mut outbox, "b\n").write();
        assert_eq!(sink.written(), b"a\nb\n");
        // And the writer thread never wrote.
        assert!(sink.writers().iter().all(|name| name != "writer"));
        drop(outbox);
        writer.join().unwrap();
    }

    #[test]
    fn without_direct_send_the_writer_thread_writes_every_line() {
        let (mut outbox, sink, writer) = connection(16, 1024, false);
        for text in ["a\n", "b\n", "c\n"] {
            match outbox.send(Arc::from(text)) {
                // The turn went to the writer: the sender only wakes it.
                Sent::YourTurn(doorbell) => {
                    let mut turns = Turns::default();
                    turns.push(doorbell);
                    turns.write();
                }
                Sent::Queued => {}
                Sent::Full | Sent::Gone => panic!("the queue must take it"),
            }
        }
        drop(outbox);
        writer.join().unwrap();
        assert_eq!(sink.written(), b"a\nb\nc\n");
        assert!(sink.writers().iter().all(|name| name == "writer"));
    }

    #[test]
    fn a_full_socket_hands_the_rest_to_the_writer() {
        // Room for 4 bytes: the sender writes "abcd" and leaves the rest.
        let (mut outbox, sink, writer) = connection(16, 4, true);
        first_turn(&mut outbox, "abcdefgh\n").write();
        assert_eq!(sink.written(), b"abcd");
        // The client reads; the writer, woken with the turn, finishes.
        sink.drain();
        drop(outbox);
        while !sink.is_closed() {
            sink.drain();
            thread::yield_now();
        }
        writer.join().unwrap();
        assert_eq!(sink.written(), b"abcdefgh\n");
    }

    #[test]
    fn an_unwritten_list_of_turns_hands_them_to_the_writers() {
        let (mut outbox, sink, writer) = connection(16, 1024, true);
        drop(first_turn(&mut outbox, "kept\n"));
        drop(outbox);
        writer.join().unwrap();
        assert_eq!(sink.written(), b"kept\n");
    }

    /// Four senders, 5,000 lines each (`"<sender> <n>"`), taking turns at
    /// the outbox as the state's lock makes them, each writing the turns it
    /// is given after letting go; with `pauses`, each stops for 2 ms every 500
    /// lines, so a lazy writer may leave meanwhile. Returns when all sent.
    fn send_from_four(outbox: &Arc<Mutex<Outbox>>, pauses: bool) {
        let senders: Vec<_> = (0..4)
            .map(|sender| {
                let outbox = Arc::clone(outbox);
                thread::spawn(move || {
                    let mut sent = 0;
                    let mut turns = Turns::default();
                    while sent < 5_000 {
                        let line = Arc::from(format!("{sender} {sent}\n"));
                        let result = outbox.lock().unwrap().send(line);
                        match result {
                            Sent::YourTurn(doorbell) => {
                                turns.push(doorbell);
                                turns.write();
                                sent += 1
                            }
                            Sent::Queued => sent += 1,
                            Sent::Full => thread::yield_now(),
                            Sent::Gone => unreachable!(),
                        }
                        if pauses && sent % 500 == 0 {
                            thread::sleep(std::time::Duration::from_millis(2));
                        }
                    }
                })
            })
            .collect();
        for sender in senders {
            sender.join().unwrap();
        }
    }

    /// Every one of [`send_from_four`]'s 20,000 lines, each sender's in order.
    fn assert_all_in_order(written: &[u8]) {
        let written = String::from_utf8(written.to_vec()).unwrap();
        let lines: Vec<&str> = written.lines().collect();
        assert_eq!(lines.len(), 20_000);
        let mut next = [0; 4];
        for line in lines {
            let (sender, n) = line.split_once(' ').unwrap();
            let sender: usize = sender.parse().unwrap();
            assert_eq!(n.parse::<i32>().unwrap(), next[sender], "out of order");
            next[sender] += 1;
        }
    }

    #[test]
    fn no_line_is_stranded_lost_or_reordered_whoever_writes() {
        // Four senders race the writer thread, on the shipped code: each
        // sender given the turn writes with `Turns::write`, into a sink
        // with room for 64 bytes that a fifth thread drains, so writes are
        // cut short and handed to the writer again and again. If the
        // handshake could lose a line, the count would be short or the
        // last hand-over would never come (the test would hang); if two
        // threads ever wrote at once, a sender's lines could come out of
        // order.
        let (outbox, sink, writer) = connection(64, 64, true);
        let outbox = Arc::new(Mutex::new(outbox));
        let reading = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let reader = {
            let (sink, reading) = (Arc::clone(&sink), Arc::clone(&reading));
            thread::spawn(move || {
                while reading.load(std::sync::atomic::Ordering::Relaxed) {
                    sink.drain();
                    thread::yield_now();
                }
            })
        };
        send_from_four(&outbox, false);
        drop(Arc::into_inner(outbox));
        writer.join().unwrap();
        reading.store(false, std::sync::atomic::Ordering::Relaxed);
        reader.join().unwrap();
        assert_all_in_order(&sink.written());
    }

    /// A lazy connection whose writers are started on demand, each on a
    /// new thread (the server's pool, without the pool), counting starts.
    fn lazy_connection(
        capacity: usize,
        room: usize,
    ) -> (
        Outbox,
        Inbox,
        Arc<MemorySink>,
        Arc<std::sync::atomic::AtomicUsize>,
    ) {
        let sink = Arc::new(MemorySink::new(room));
        let started = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&started);
        let start: crate::outbox::StartWriter = Arc::new(move |inbox| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            thread::Builder::new()
                .name("writer".into())
                .spawn(move || {
                    writer_loop(inbox);
                })
                .map(drop)
        });
        let (outbox, inbox) =
            crate::outbox::lazy_outbox(capacity, Arc::clone(&sink) as Arc<dyn Sink>, start);
        inbox.mark_reader();
        (outbox, inbox, sink, started)
    }

    /// What a lazy connection's reader does at its end (see
    /// `server/connection.rs`): writes the last lines if no writer is there.
    fn reader_ends(inbox: Inbox) {
        if inbox.claim() {
            assert_eq!(writer_loop(inbox), Ended::Finished);
        }
    }

    #[test]
    fn a_lazy_connection_starts_no_writer_while_the_client_keeps_up() {
        let (mut outbox, inbox, sink, started) = lazy_connection(16, 1024);
        for text in ["a\n", "b\n", "c\n"] {
            first_turn(&mut outbox, text).write();
        }
        assert_eq!(sink.written(), b"a\nb\nc\n");
        assert_eq!(started.load(std::sync::atomic::Ordering::SeqCst), 0);
        // The state drops it: its reader is woken, and it closes it.
        drop(outbox);
        assert!(sink.reader_woken());
        reader_ends(inbox);
        assert!(sink.is_closed());
        assert_eq!(started.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    #[test]
    fn a_connection_dropped_before_its_reader_runs_is_closed_by_it() {
        // The window between admitting a connection and running its reader
        // (`server/connection.rs`, `serve_admitted`): the state may drop it
        // there (a `/kickaddr`, a shutdown). Nobody is woken then, since
        // no reader waits yet; the reader, once it runs, is woken at once,
        // and closes the socket.
        let sink = Arc::new(MemorySink::new(1024));
        let start: crate::outbox::StartWriter =
            Arc::new(|_inbox| panic!("no writer is needed: the socket has room"));
        let (mut outbox, inbox) =
            crate::outbox::lazy_outbox(16, Arc::clone(&sink) as Arc<dyn Sink>, start);
        first_turn(&mut outbox, "bye\n").write();
        drop(outbox);
        assert!(!sink.reader_woken());
        inbox.mark_reader();
        assert!(sink.reader_woken(), "a reader starting late must not wait");
        reader_ends(inbox);
        assert!(sink.is_closed());
        assert_eq!(sink.written(), b"bye\n");
    }

    #[test]
    fn a_full_socket_starts_a_writer_which_finishes_and_leaves() {
        let (mut outbox, inbox, sink, started) = lazy_connection(16, 4);
        first_turn(&mut outbox, "abcdefgh\n").write();
        assert_eq!(sink.written(), b"abcd");
        assert_eq!(started.load(std::sync::atomic::Ordering::SeqCst), 1);
        // The client reads; the writer writes the rest, then goes back to
        // the pool: the next line is a sender's to write again.
        let mut waited = 0;
        while sink.written() != b"abcdefgh\n" {
            sink.drain();
            thread::sleep(std::time::Duration::from_millis(1));
            waited += 1;
            assert!(waited < 5_000, "the writer never finished");
        }
        sink.drain();
        let mut next = None;
        for _ in 0..5_000 {
            if let Sent::YourTurn(doorbell) = outbox.send(Arc::from("i\n")) {
                next = Some(doorbell);
                break;
            }
            thread::sleep(std::time::Duration::from_millis(1));
        }
        let mut turns = Turns::default();
        turns.push(next.expect("the writer gave the turn back"));
        turns.write();
        drop(outbox);
        reader_ends(inbox);
        while !sink.is_closed() {
            sink.drain();
            thread::yield_now();
        }
        assert!(sink.written().ends_with(b"i\n"));
    }

    #[test]
    fn no_line_is_lost_while_lazy_writers_come_and_go() {
        // The race above, on a lazy connection: writers are started when
        // the 64-byte socket fills and leave after a millisecond without a
        // turn, thousands of times, while four senders race them. At the
        // end the "reader" claims the last lines if no writer is there.
        let (outbox, inbox, sink, started) = lazy_connection(64, 64);
        let outbox = Arc::new(Mutex::new(outbox));
        let reading = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let reader = {
            let (sink, reading) = (Arc::clone(&sink), Arc::clone(&reading));
            thread::spawn(move || {
                while reading.load(std::sync::atomic::Ordering::Relaxed) {
                    sink.drain();
                    thread::sleep(std::time::Duration::from_micros(50));
                }
            })
        };
        send_from_four(&outbox, true);
        drop(Arc::into_inner(outbox));
        reader_ends(inbox);
        while !sink.is_closed() {
            thread::yield_now();
        }
        reading.store(false, std::sync::atomic::Ordering::Relaxed);
        reader.join().unwrap();
        assert_all_in_order(&sink.written());
        let started = started.load(std::sync::atomic::Ordering::SeqCst);
        eprintln!("writers started: {started}");
        assert!(started >= 1);
    }

    #[test]
    fn dropping_a_lazy_outbox_at_any_moment_leaves_someone_to_finish() {
        // The state drops the connection while a writer may be leaving; the
        // reader's claim and the writer's finish must together close the
        // socket exactly once, every time (a lost hand-over would hang).
        for round in 0..500 {
            let (mut outbox, inbox, sink, _) = lazy_connection(16, 4);
            first_turn(&mut outbox, "abcdefgh\n").write();
            sink.drain();
            if round % 2 == 0 {
                thread::sleep(std::time::Duration::from_millis(1));
            }
            drop(outbox);
            reader_ends(inbox);
            while !sink.is_closed() {
                sink.drain();
                thread::yield_now();
            }
            assert_eq!(sink.written(), b"abcdefgh\n");
        }
    }

    #[test]
    fn dropping_the_outbox_ends_a_parked_writer() {
        // Many times, so that the writer is caught at every point of giving
        // its turn back; a lost hand-over would hang here.
        for _ in 0..2_000 {
            let (outbox, _sink, writer) = connection(4, 1024, true);
            drop(outbox);
            writer.join().unwrap();
        }
    }

    #[test]
    fn a_farewell_ends_the_writing_after_the_current_batch() {
        let sink = Arc::new(MemorySink::new(usize::MAX));
        let (mut outbox, inbox) = outbox(16, Arc::clone(&sink) as Arc<dyn Sink>, true);
        let _ = outbox.send(Arc::from("a\r\n"));
        outbox.farewell(Arc::from("bye\r\n"));
        let _ = outbox.send(Arc::from("b\r\n"));
        // The writer takes a and b as one batch, then sees the farewell and
        // stops, though the state has not dropped the queue yet.
        writer_loop(inbox);
        assert_eq!(sink.written(), b"a\r\nb\r\nbye\r\n");
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
    fn a_close_queued_for_a_line_client_is_not_sent() {
        let bytes = written(vec![line("bye\r\n"), raw(Raw::Close(status::GOING_AWAY))]);
        assert_eq!(bytes, b"bye\r\n");
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
