//! # Step 4, first reading: the chat server's core
//!
//! Step 3 built the client; this is the other end. Not yet the classroom
//! server, `step4_server`, but the design card it is built on, end to end,
//! in one file of plain std. Read it top to bottom, before the library:
//! - the **accept loop** ([`accept_loop`]) gives each connection a **reader
//!   thread** ([`reader_loop`]), as in step 1;
//! - who is online and who is in which room is one [`State`] behind one
//!   `Arc<Mutex<_>>`, locked in one place ([`with_state`]), one command at a
//!   time; under the lock nothing waits: lines are only `try_send`-ed;
//! - each connection has a bounded queue drained by its own **writer
//!   thread** ([`writer_loop`]), the only one that writes to its socket. A
//!   client that stops reading fills only its own queue, and is cut off
//!   ([`QUEUE_LEN`]);
//! - a line is formatted once ([`Line`]), however many receive it;
//! - a `Drop` guard ([`Cleanup`]) tidies up on every way out, panics too.
//!
//! ## The protocol (lines end in `\r\n`; a bare `\n` is fine too)
//! ```text
//! you send               you get (and what others get)
//! USERNAME <name>        OK Welcome, <name>!        (first, before anything else)
//! JOIN <room>            OK Joined <room> (<n> users), then JOIN <room> <member>
//!                        for each of the n there; they get JOIN <room> <you>
//! MSG <text>             your room, you too, gets ROOM <room> <you> <text>;
//!                        a line that starts with no command word is a MSG too
//! PRIVMSG <user> <text>  OK Sent; <user> gets PRIVMSG <you> <text>
//! LEAVE                  OK Left <room>; the room gets LEAVE <room> <you>
//! USERS                  USERLIST <name> ...   (your room's, or everyone online)
//! ROOMS                  ROOMLIST <room> ...
//! QUIT                   OK Goodbye!, and the end; your room gets LEAVE <room> <you>
//! a mistake              ERROR <what went wrong>: <what to do instead>
//! ```
//!
//! ## Try it, in three terminals
//! ```text
//! cargo run --bin step4_core                        # 1 (--port N for another port, 0: any)
//! nc localhost 7007                                 # 2: USERNAME alice, JOIN #general, hi
//! cargo run --bin step3_chat_client -- --name bob   # 3: the step 3 client works too
//! ```
//!
//! ## What it still gets wrong, on purpose
//! `cargo run --bin step4_server` is the whole classroom server; `src/lib.rs`
//! maps its modules, each named by its topic. What they add to this core:
//! - **history**, replayed on joining: `src/history/`;
//! - **defences**: flood limits, caps per address and in all, look-alike
//!   names, control characters stripped (`src/chat/ratelimit.rs`, `guard.rs`;
//!   `src/text/`; `src/server/limits.rs`, `capacity.rs`). Having none, this
//!   one listens on 127.0.0.1 only;
//! - **passwords, operators, dialects**: `src/support/secret.rs`,
//!   `src/chat/state/operator.rs`; a chat mode for people on `nc`, HELP,
//!   renames, the browser, IRC (`src/wire/`, `src/server/web.rs`);
//! - **the fast path**: a sender writes for a client that keeps up, so its
//!   writer sleeps (`src/outbox/`; `direct_send = false` turns it off). Here
//!   every line wakes a writer thread, and each client costs two threads;
//! - **a clean Ctrl-C**: `src/support/signal.rs`.
//!
//! Both keep the one lock: one command at a time, however many cores.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

/// The challenge's port.
const DEFAULT_PORT: u16 = 7007;
/// Only this machine can connect: see "What it still gets wrong".
const HOST: &str = "127.0.0.1";
/// The longest line a client may send, without its `\r\n`. With no cap, a
/// client that never sends `\n` would have us buffer its bytes forever.
const MAX_LINE_BYTES: usize = 1024;
/// How many lines may wait in one client's queue. **The slow-client
/// policy:** lines are only queued with `try_send`, which never waits, and
/// a full queue (the socket's buffers are full too, or the writer would
/// have emptied it into them) means the client stopped reading: it is
/// disconnected. A blocking `send` would wait with the lock held and freeze
/// everyone behind one stalled client; an unbounded queue would let it eat
/// our memory; dropping lines would leave it holes it cannot see. 1,024 is
/// the full server's default, chosen by the measurements in
/// `docs/design.md` ("The queue's length").
const QUEUE_LEN: usize = 1024;

/// A line to send, `\r\n` included, formatted once. Each recipient's queue
/// gets a clone of the `Arc`: a pointer and a count, not a copy of the text.
type Line = Arc<str>;
/// A connection's number, never reused, so a stale one can't hit a newcomer.
type ConnId = u64;
/// The state every thread shares; only [`with_state`] locks it.
type Shared = Arc<Mutex<State>>;

/// Writes one line to stderr, like `eprintln!`, which would panic if stderr
/// were closed: a server must not die because nobody reads its log.
macro_rules! log {
    ($($arg:tt)*) => {{
        let _ = writeln!(io::stderr().lock(), $($arg)*);
    }};
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => DEFAULT_PORT,
        ["--port", port] => port.parse().unwrap_or_else(|_| usage(2)),
        ["--help"] => usage(0),
        _ => usage(2),
    };
    let listener = TcpListener::bind((HOST, port)).unwrap_or_else(|error| {
        eprintln!("error: cannot listen on {HOST}:{port}: {error} (try --port 0: any free port)");
        process::exit(1);
    });
    // With --port 0 the OS chose: say what. (Tests read this first line.)
    match listener.local_addr() {
        Ok(address) => log!("Listening on {address}"),
        Err(error) => log!("Listening, but on what? {error}"),
    }
    accept_loop(listener, Arc::new(Mutex::new(State::default())));
}

/// Explains the command line and exits: status 0 when asked (`--help`),
/// 2 after a mistake, as in the other steps.
fn usage(status: i32) -> ! {
    let text = "usage: step4_core [--port PORT]  (default 7007; 0: any free port)";
    match status {
        0 => println!("Step 4, first reading: the chat server's core.\n{text}"),
        _ => eprintln!("{text}"),
    }
    process::exit(status);
}

/// The main thread, forever: each new connection gets a reader thread.
fn accept_loop(listener: TcpListener, shared: Shared) {
    for incoming in listener.incoming() {
        let stream = match incoming {
            Ok(stream) => stream,
            Err(error) => {
                // Out of file descriptors, say. Pause, or this loop spins.
                log!("Cannot accept a connection: {error}");
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let shared = Arc::clone(&shared);
        let reader = thread::Builder::new().name("reader".into());
        if let Err(error) = reader.spawn(move || serve(stream, shared)) {
            // The closure, and the stream in it, are dropped: a closed socket.
            log!("Cannot start a thread for a new connection: {error}");
        }
    }
}

/// One connection's life, on its reader thread, from its queue to cleanup.
fn serve(stream: TcpStream, shared: Shared) {
    let peer = stream
        .peer_addr()
        .map_or("?".to_string(), |a| a.to_string());
    // A chat line is small and wanted now: don't let Nagle's algorithm hold
    // it back waiting for an ACK (up to 40 ms; more in a burst).
    let _ = stream.set_nodelay(true);
    // Three share the socket (`&TcpStream` reads and writes): this thread
    // reads, the writer writes, the state keeps it to hang up if too slow.
    let stream = Arc::new(stream);
    let (outbox, queue) = sync_channel::<Line>(QUEUE_LEN);
    let for_writer = Arc::clone(&stream);
    let writer = thread::Builder::new().name("writer".into());
    if let Err(error) = writer.spawn(move || writer_loop(queue, &for_writer)) {
        log!("Cannot start a writer for {peer}: {error}");
        return;
    }
    let id = with_state(&shared, |state| state.connect(outbox, Arc::clone(&stream)));
    log!("Connection {id} from {peer}");
    // From here on, however this function is left, the guard cleans up.
    let mut cleanup = Cleanup {
        shared: Arc::clone(&shared),
        id,
        why: "its thread panicked".to_string(),
    };
    cleanup.why = reader_loop(&stream, id, &shared);
}

/// A connection's reader thread: reads a line, acts on it, and again, until
/// the client quits or goes away. Returns why it ended, for the log.
fn reader_loop(stream: &TcpStream, id: ConnId, shared: &Shared) -> String {
    let mut reader = BufReader::new(stream);
    let mut raw = Vec::new();
    loop {
        match read_line(&mut reader, &mut raw) {
            Ok(true) => {}
            Ok(false) => return "the connection closed".to_string(),
            Err(error) => return format!("cannot read: {error}"),
        }
        let text = String::from_utf8_lossy(&raw);
        // Parsing needs no lock; acting on the command does.
        let command = if raw.len() > MAX_LINE_BYTES {
            Err(Refusal::TooLong)
        } else if text.trim().is_empty() {
            continue;
        } else {
            parse(&text)
        };
        let quit = matches!(command, Ok(Command::Quit));
        with_state(shared, |state| state.handle(id, command));
        if quit {
            return "quit".to_string();
        }
    }
}

/// Reads the next line into `line`, without its `\r\n`; `false` at the end
/// of the stream. TCP carries bytes, not lines (step 2): the `BufReader`
/// keeps what follows the `\n` for next time. `take` stops `read_until` at
/// the longest line allowed; the rest of a longer one is skipped.
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<bool> {
    line.clear();
    let limit = MAX_LINE_BYTES as u64 + 2;
    if reader.by_ref().take(limit).read_until(b'\n', line)? == 0 {
        return Ok(false);
    }
    if !line.ends_with(b"\n") && line.len() as u64 == limit {
        reader.skip_until(b'\n')?;
    }
    while line.ends_with(b"\n") || line.ends_with(b"\r") {
        line.pop();
    }
    Ok(true)
}

/// A connection's writer thread, the only one that writes to its socket (so
/// lines never interleave) or waits for its client: writes the queued lines
/// until the queue's sender is gone (the connection left the state).
fn writer_loop(queue: Receiver<Line>, mut stream: &TcpStream) {
    for line in queue {
        if stream.write_all(line.as_bytes()).is_err() {
            break;
        }
    }
    // The client sees the end of the stream after the last line (`OK
    // Goodbye!`). If a write failed, this also wakes our reader thread.
    let _ = stream.shutdown(Shutdown::Both);
}

/// The one place the lock is taken. `work` runs with the state locked, and
/// only changes maps and `try_send`s; the slow clients it cut off are hung
/// up after the lock is released.
fn with_state<T>(shared: &Shared, work: impl FnOnce(&mut State) -> T) -> T {
    // The guard lives in this block, not in a `match` or `if let` on the
    // lock, which would hold it to the end of the whole statement. Poisoned:
    // a thread panicked holding it, and its `Cleanup` needs it: carry on.
    let (result, cut) = {
        let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
        let result = work(&mut state);
        (result, std::mem::take(&mut state.cut))
    };
    for (id, stream) in cut {
        log!("Connection {id} is too slow ({QUEUE_LEN} lines waiting): hanging up");
        // Wakes its writer (stuck in a write) and its reader, whose
        // `Cleanup` takes it out of the state and tells its room.
        let _ = stream.shutdown(Shutdown::Both);
    }
    result
}

/// Takes a connection out of the state when its reader thread ends,
/// however it ends: `QUIT`, a closed socket, a cut-off, a panic. Keyed by
/// the connection's id, not its name, so it only ever removes its own.
struct Cleanup {
    shared: Shared,
    id: ConnId,
    why: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let name = with_state(&self.shared, |state| state.disconnect(self.id));
        let name = name.as_deref().unwrap_or("no name yet");
        log!("Connection {} ({name}) closed: {}", self.id, self.why);
    }
}

/// One command from a client, parsed before the lock is taken.
enum Command<'a> {
    Username(&'a str),
    Join(String),
    Leave,
    Msg(&'a str),
    Privmsg(&'a str, &'a str),
    Users,
    Rooms,
    Quit,
}

/// Turns a line into a command: a row per form allowed, then per mistake. A
/// line with no command word is a message, as in the challenge's example,
/// where typing `Hello everyone!` into `nc` says it.
fn parse(line: &str) -> Result<Command<'_>, Refusal> {
    let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
    let rest = rest.trim();
    Ok(match (verb, rest.split_whitespace().count()) {
        ("USERNAME", 1) => Command::Username(rest),
        // `JOIN general` means #general.
        ("JOIN", 1) => Command::Join(format!("#{}", rest.trim_start_matches('#'))),
        ("LEAVE", 0) => Command::Leave,
        ("MSG", _) => Command::Msg(rest),
        ("PRIVMSG", 2..) => {
            let (to, text) = rest.split_once(' ').unwrap_or_default();
            Command::Privmsg(to, text.trim())
        }
        ("USERS", 0) => Command::Users,
        ("ROOMS", 0) => Command::Rooms,
        ("QUIT", 0) => Command::Quit,
        ("USERNAME", _) => return Err(Refusal::Usage("USERNAME <name>".into())),
        ("JOIN", _) => return Err(Refusal::Usage("JOIN <room>".into())),
        ("PRIVMSG", _) => return Err(Refusal::Usage("PRIVMSG <user> <text>".into())),
        ("LEAVE" | "USERS" | "ROOMS" | "QUIT", _) => return Err(Refusal::Usage(verb.into())),
        _ => Command::Msg(line.trim()),
    })
}

/// Why a command was refused: part of normal running, not a failure. Each
/// is one `ERROR` line: what went wrong (in the challenge's words, where it
/// has some), and what to do instead.
enum Refusal {
    Usage(String),
    NameFirst,
    Named,
    BadName,
    NameTaken,
    BadRoom,
    AlreadyIn(String),
    NotInRoom,
    Empty,
    NoSuchUser,
    TooLong,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let text = match self {
            Refusal::Usage(usage) => return write!(f, "Usage: {usage}"),
            Refusal::AlreadyIn(room) => return write!(f, "Already in {room}"),
            Refusal::TooLong => return write!(f, "Line too long (max {MAX_LINE_BYTES} bytes)"),
            Refusal::NameFirst => "Choose a name first: USERNAME <name>",
            Refusal::Named => "You have a name: to change it, QUIT and connect again",
            Refusal::BadName => "Invalid username: 1-20 letters, digits, - or _, letter first",
            Refusal::NameTaken => "Username taken: choose another",
            Refusal::BadRoom => "Invalid room name: # and 1-20 letters, digits, - or _",
            Refusal::NotInRoom => "Not in a room: JOIN <room> first",
            Refusal::Empty => "Empty message: MSG <text>",
            Refusal::NoSuchUser => "User not found: USERS lists who is here",
        };
        f.write_str(text)
    }
}

/// Everything the connections share. Lines are formatted and queued in
/// here, under the lock; the writers write them, outside it.
#[derive(Default)]
struct State {
    /// Every open connection, named or not.
    conns: HashMap<ConnId, Conn>,
    /// Names in use, lowercased (`Alice` and `alice` are one name): whose.
    users: HashMap<String, ConnId>,
    /// Rooms with someone in them, by lowercased name, sorted for `ROOMS`.
    /// The first `JOIN` makes a room; the last one out removes it.
    rooms: BTreeMap<String, Room>,
    /// Cut off as too slow under this lock; [`with_state`] hangs up on them.
    cut: Vec<(ConnId, Arc<TcpStream>)>,
    /// The last id given to a connection.
    last_id: ConnId,
}

/// One connection, as the state sees it.
struct Conn {
    /// `None` until `USERNAME` succeeds.
    name: Option<String>,
    /// The lowercased name of its room: one room at a time.
    room: Option<String>,
    /// The sending end of its writer's queue, and the only one: when the
    /// `Conn` is removed, the writer sends what is left and closes.
    outbox: SyncSender<Line>,
    /// A handle on its socket, to hang up if it is too slow; taken once used.
    hangup: Option<Arc<TcpStream>>,
}

struct Room {
    /// As its first member wrote it: `#General`.
    name: String,
    members: BTreeSet<ConnId>,
}

impl State {
    fn connect(&mut self, outbox: SyncSender<Line>, hangup: Arc<TcpStream>) -> ConnId {
        self.last_id += 1;
        let conn = Conn {
            name: None,
            room: None,
            outbox,
            hangup: Some(hangup),
        };
        self.conns.insert(self.last_id, conn);
        self.last_id
    }

    /// Queues a line for one connection, never waiting. The slow-client
    /// policy of [`QUEUE_LEN`] is these few lines.
    fn send(&mut self, id: ConnId, line: &Line) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        if let Err(TrySendError::Full(_)) = conn.outbox.try_send(Arc::clone(line)) {
            if let Some(stream) = conn.hangup.take() {
                self.cut.push((id, stream));
            }
        }
        // `Disconnected` needs nothing: the writer stopped because the
        // client is gone, and the reader is about to notice and clean up.
    }

    /// Formats a line once and queues it for one connection.
    fn reply(&mut self, id: ConnId, text: impl fmt::Display) {
        self.send(id, &line(text));
    }

    /// Queues one line for every member of a room (a copy of the set of
    /// members, as `send` needs the whole state to itself).
    fn send_to_room(&mut self, room: &str, line: &Line) {
        let members = self.rooms.get(room).map(|room| room.members.clone());
        for id in members.unwrap_or_default() {
            self.send(id, line);
        }
    }

    /// Acts on one command, or sends the `ERROR` line that refuses it.
    fn handle(&mut self, id: ConnId, command: Result<Command, Refusal>) {
        if let Err(refusal) = command.and_then(|command| self.apply(id, command)) {
            self.reply(id, format_args!("ERROR {refusal}"));
        }
    }

    fn apply(&mut self, id: ConnId, command: Command) -> Result<(), Refusal> {
        let Some(conn) = self.conns.get(&id) else {
            return Ok(());
        };
        let room = conn.room.clone();
        // Only USERNAME and QUIT come before a name: `name?` refuses the rest.
        let name = conn.name.clone().ok_or(Refusal::NameFirst);
        match command {
            // The room hears `LEAVE` from the `Cleanup`, as on every way out.
            Command::Quit => self.reply(id, "OK Goodbye!"),
            Command::Username(_) if name.is_ok() => return Err(Refusal::Named),
            Command::Username(wanted) => self.register(id, wanted)?,
            Command::Join(wanted) => self.join(id, &name?, &wanted)?,
            Command::Leave => {
                let left = self.leave_room(id, &name?).ok_or(Refusal::NotInRoom)?;
                self.reply(id, format_args!("OK Left {left}"));
            }
            Command::Msg(text) => {
                let name = name?;
                let key = room.ok_or(Refusal::NotInRoom)?;
                let room = self.rooms.get(&key).ok_or(Refusal::NotInRoom)?;
                if text.is_empty() {
                    return Err(Refusal::Empty);
                }
                let said = line(format_args!("ROOM {} {name} {text}", room.name));
                self.send_to_room(&key, &said);
            }
            Command::Privmsg(to, text) => {
                let name = name?;
                let target = self.users.get(&to.to_lowercase());
                let &target = target.ok_or(Refusal::NoSuchUser)?;
                self.reply(target, format_args!("PRIVMSG {name} {text}"));
                self.reply(id, "OK Sent");
            }
            Command::Users => {
                name?;
                let ids: Vec<ConnId> = match room.and_then(|key| self.rooms.get(&key)) {
                    Some(room) => room.members.iter().copied().collect(),
                    None => self.conns.keys().copied().collect(),
                };
                let mut names: Vec<&str> = ids.iter().filter_map(|&id| self.name_of(id)).collect();
                names.sort_unstable();
                self.reply(id, listing("USERLIST", &names));
            }
            Command::Rooms => {
                name?;
                let names: Vec<&str> = self.rooms.values().map(|room| &*room.name).collect();
                self.reply(id, listing("ROOMLIST", &names));
            }
        }
        Ok(())
    }

    fn name_of(&self, id: ConnId) -> Option<&str> {
        self.conns.get(&id)?.name.as_deref()
    }

    fn register(&mut self, id: ConnId, wanted: &str) -> Result<(), Refusal> {
        if !wanted.starts_with(char::is_alphabetic) || !valid_word(wanted) {
            return Err(Refusal::BadName);
        }
        let key = wanted.to_lowercase();
        if self.users.contains_key(&key) {
            return Err(Refusal::NameTaken);
        }
        self.users.insert(key, id);
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.name = Some(wanted.to_string());
        }
        self.reply(id, format_args!("OK Welcome, {wanted}!"));
        Ok(())
    }

    /// Moves `id` into the room `wanted`, out of the one it was in.
    fn join(&mut self, id: ConnId, name: &str, wanted: &str) -> Result<(), Refusal> {
        if !wanted.strip_prefix('#').is_some_and(valid_word) {
            return Err(Refusal::BadRoom);
        }
        let key = wanted.to_lowercase();
        if let Some(room) = self.rooms.get(&key) {
            if room.members.contains(&id) {
                return Err(Refusal::AlreadyIn(room.name.clone()));
            }
        }
        self.leave_room(id, name);
        let room = self.rooms.entry(key.clone()).or_insert_with(|| Room {
            name: wanted.to_string(),
            members: BTreeSet::new(),
        });
        let shown = room.name.clone();
        let already: Vec<ConnId> = room.members.iter().copied().collect();
        room.members.insert(id);
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.room = Some(key);
        }
        // Those there hear who came; the newcomer, how many were there, and who.
        let arrival = line(format_args!("JOIN {shown} {name}"));
        for &member in &already {
            self.send(member, &arrival);
        }
        let count = already.len();
        self.reply(id, format_args!("OK Joined {shown} ({count} users)"));
        for member in already {
            let member = self.name_of(member).unwrap_or_default().to_string();
            self.reply(id, format_args!("JOIN {shown} {member}"));
        }
        Ok(())
    }

    /// Takes `id` out of its room, if it is in one, and tells those who
    /// stay; the last one out removes the room. Returns the room's name.
    fn leave_room(&mut self, id: ConnId, name: &str) -> Option<String> {
        let key = self.conns.get_mut(&id)?.room.take()?;
        let room = self.rooms.get_mut(&key)?;
        room.members.remove(&id);
        let shown = room.name.clone();
        if room.members.is_empty() {
            self.rooms.remove(&key);
        }
        self.send_to_room(&key, &line(format_args!("LEAVE {shown} {name}")));
        Some(shown)
    }

    /// Forgets a connection, for its [`Cleanup`]. Removing the `Conn` drops the
    /// only sender of its queue: the writer sends what is left, and closes.
    fn disconnect(&mut self, id: ConnId) -> Option<String> {
        let name = self.conns.get(&id)?.name.clone();
        if let Some(name) = &name {
            self.leave_room(id, name);
            self.users.remove(&name.to_lowercase());
        }
        self.conns.remove(&id);
        name
    }
}

/// 1-20 letters (any alphabet), digits, `-` or `_`: one word, in every
/// line it is part of. A user name starts with a letter; a room with `#`.
fn valid_word(word: &str) -> bool {
    let allowed = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    (1..=20).contains(&word.chars().count()) && word.chars().all(allowed)
}

/// A line to send: the text and `\r\n`, formatted once, ready to share.
fn line(text: impl fmt::Display) -> Line {
    Arc::from(format!("{text}\r\n"))
}

/// `USERLIST alice bob`, or just `USERLIST` when there is nobody.
fn listing(kind: &str, items: &[&str]) -> String {
    [&[kind], items].concat().join(" ")
}
