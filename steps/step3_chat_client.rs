//! # Step 3: a chat client
//!
//! Step 2 took turns: read a line from you, then wait for one reply. A chat
//! does not take turns. Someone else's message can arrive while you are still
//! typing, so the client has to **wait for two things at once**: the keyboard
//! and the network.
//!
//! In C you would ask the OS to watch both with `select()` (or `poll()`), and
//! the challenge suggests exactly that. Rust's std has no `select`: it offers
//! threads instead, and for two inputs they are the simplest answer. So this
//! client has two threads, each blocked on one input:
//! - the **socket thread** ([`reader_loop`]) reads lines from the server and
//!   prints them for people;
//! - the **main thread** ([`keyboard_loop`]) reads what you type and sends it.
//!
//! Only the main thread writes to the socket and only the socket thread
//! prints conversation lines, so nothing they do can interleave mid-line.
//!
//! It speaks the chat server's protocol (step 4), one line per message:
//! after connecting it sends `PASS <password>` (only if the environment
//! variable `CHATROOM_PASSWORD` is set), `USERNAME <name>` and
//! `JOIN <room>`. What you type becomes `MSG <text>`, and the slash commands
//! become protocol commands (`/join #rust` → `JOIN #rust`, `/msg bob hi` →
//! `PRIVMSG bob hi`, `/nick zoe` → `USERNAME zoe`, `/users`, `/rooms`,
//! `/leave`; others such as `/me` go to the server as typed). `/help` is
//! answered here, in this client's syntax, and the server's `ERROR`s are
//! shown in it too (`Usage: /nick <name>`, not `USERNAME <name>`). If
//! the server refuses the name, the client asks for another. Lines from the server are
//! turned into something a person reads: `ROOM #general bob hi` is shown as
//! `bob: hi`; the recent messages replayed on joining (`HISTORY` lines)
//! are shown between `--- recent messages in #general ---` and `--- end of
//! recent messages ---`, each with the time it was said, so an old line
//! never looks like a new one. Your own messages are not printed here as you send them: the
//! server sends them back to you like everyone else's, so what you see is
//! what everyone saw, in the same order.
//!
//! Defaults for `--host`, `--port`, `--name` and `--room` can live in
//! `client.toml` in your settings folder (see [`chatroom::settings::client`]);
//! flags win over the file.
//!
//! ## What it still gets wrong, on purpose
//! - It has no idea what the server thinks of what you typed until the answer
//!   comes back: a bad command is only reported by the server's `ERROR` line.
//! - Messages arriving while you type are printed in the middle of your
//!   half-typed line (the terminal does not know the two belong apart). A
//!   full-screen interface would fix that; it is beyond std.
//!
//! ## Try it
//! ```text
//! # terminal 1: the chat server
//! cargo run --bin step4_server
//! # terminals 2 and 3: one client each
//! cargo run --bin step3_chat_client -- --name alice
//! cargo run --bin step3_chat_client -- --name bob
//! ```
//! Pointed at the step 1 echo server instead (`cargo run --bin step1_echo`),
//! it shows the raw protocol lines it sends, echoed back unchanged: a good
//! look at what actually travels on the wire.

use chatroom::settings::client as client_config;
use chatroom::settings::server::PASSWORD_VAR;
use chatroom::support::cli;
use chatroom::text::sanitize;
use chatroom::wire::framing::trim_line_end;
use chatroom::wire::spellings;
use std::io::{self, BufRead, BufReader, ErrorKind, Write};
use std::net::{Shutdown, TcpStream};
use std::process;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::thread;
use std::time::Duration;

const DEFAULT_HOST: &str = "127.0.0.1";
const DEFAULT_PORT: u16 = 7007;
const DEFAULT_ROOM: &str = "#general";
/// The longest line from the server we keep; the rest of a longer one is
/// dropped. Without a cap, a server that never sends "\n" could fill memory.
const MAX_LINE_BYTES: usize = 64 * 1024;
/// After sending `QUIT`, how long to wait for the server's goodbye (and its
/// closing of the connection) before leaving anyway.
const QUIT_GRACE: Duration = Duration::from_secs(2);

/// Set when we are leaving on purpose, so the socket thread knows that the
/// server closing the connection is the expected answer, not a failure.
static QUITTING: AtomicBool = AtomicBool::new(false);

/// Set by the socket thread when the server refused the name we sent (taken,
/// invalid): the next line typed is then a new name, not a message. The two
/// threads share only this flag; the prompt is printed by the socket thread,
/// which is the one that knows.
static NEED_NAME: AtomicBool = AtomicBool::new(false);

/// Set once the server has welcomed us by name.
static NAMED: AtomicBool = AtomicBool::new(false);

/// Set once we are in a first room: that join is shown as the challenge's
/// `Welcome to the chatroom!`, later ones as `You joined #lab …`.
static JOINED_ONCE: AtomicBool = AtomicBool::new(false);

/// What this client hides from the server's greeting: the instructions for
/// choosing a name (it asked for yours and sent it already), and the
/// server's default welcome (it says its own on joining). A teacher's own
/// `--motd` is shown.
const HIDDEN_GREETING: [&str; 3] = [
    "Welcome to chatroom!",
    "Pick a name: ",
    "/help lists the commands",
];

/// The person named by the last command that names one (`/msg bob …`,
/// `/kick bob`), so the server's `ERROR User not found` (seed 002's words,
/// which name nobody) can be shown as `bob is not connected`. Written by
/// the main thread, read by the socket thread.
static LAST_NAMED: Mutex<String> = Mutex::new(String::new());

const COMMAND: cli::CommandLine = cli::CommandLine {
    usage: "step3_chat_client [--host HOST] [--port PORT] [--name NAME] [--room ROOM]",
    about: "Step 3: a chat client. Type to talk; /join #room, /msg user text, /users, \
/rooms, /leave, /help, /quit.\nDefaults may be set in client.toml in your settings folder \
(e.g. ~/.config/chatroom/client.toml); flags win. Set CHATROOM_PASSWORD if the server has a password.",
    flags: &[
        cli::Flag {
            name: "host",
            value: Some("HOST"),
            help: "server to connect to (default 127.0.0.1)",
        },
        cli::Flag {
            name: "port",
            value: Some("PORT"),
            help: "server's port (default 7007)",
        },
        cli::Flag {
            name: "name",
            value: Some("NAME"),
            help: "your name in the chat (default: asked for)",
        },
        cli::Flag {
            name: "room",
            value: Some("ROOM"),
            help: "room to join first (default #general)",
        },
    ],
};

fn main() {
    let flags = COMMAND.parse_env_or_exit();
    // A broken settings file is a usage mistake, like a bad flag: exit 2.
    let file = client_config::load().unwrap_or_else(|error| {
        eprintln!("error: {error}");
        process::exit(2);
    });
    // Each setting: the flag if given, else the file, else the default.
    let host = flags
        .value("host")
        .map(String::from)
        .or(file.host)
        .unwrap_or_else(|| DEFAULT_HOST.to_string());
    let port = match flags.parse_value::<u16>("port", "a port number from 1 to 65535") {
        Ok(port) => port.or(file.port).unwrap_or(DEFAULT_PORT),
        Err(error) => COMMAND.exit_with(error),
    };
    let room = flags
        .value("room")
        .map(String::from)
        .or(file.room)
        .unwrap_or_else(|| DEFAULT_ROOM.to_string());

    let stdin = io::stdin();
    let mut keyboard = stdin.lock();
    let name = match flags.value("name").map(String::from).or(file.name) {
        Some(name) => name,
        None => ask_name(&mut keyboard),
    };

    let mut server = TcpStream::connect((host.as_str(), port)).unwrap_or_else(|error| {
        cli::fail(format!(
            "cannot connect to {host}:{port}: {}",
            cli::describe_io_error(&error)
        ))
    });
    let reading_handle = match server.try_clone() {
        Ok(handle) => handle,
        Err(error) => cli::fail(format!("cannot use the connection: {error}")),
    };
    // The socket thread keeps `finished_sender` until it ends; when it is
    // dropped, `finished` hears about it. That is how the main thread waits
    // for the socket thread with a time limit (JoinHandle::join has none).
    let (finished_sender, finished) = mpsc::channel::<()>();
    let spawned = thread::Builder::new()
        .name("socket reader".into())
        .spawn(move || {
            reader_loop(reading_handle);
            drop(finished_sender);
        });
    if let Err(error) = spawned {
        cli::fail(format!("cannot start the socket thread: {error}"));
    }

    // Introduce ourselves. Everything goes through `send`, from this thread.
    // The password comes from an environment variable, not a flag, so it
    // does not show up in `ps`.
    if let Some(password) = std::env::var(PASSWORD_VAR).ok().filter(|p| !p.is_empty()) {
        send(&mut server, &format!("PASS {password}"));
    }
    // History comes timed (`HISTORY BEGIN` … `HISTORY END`), so an old
    // line can be shown with its time; without this line the server
    // replays it as plain `ROOM` lines, as seed 002 draws.
    send(&mut server, "HISTORY TIMED");
    send(&mut server, &format!("USERNAME {name}"));
    send(&mut server, &format!("JOIN {room}"));

    keyboard_loop(&mut keyboard, &mut server, &room);

    // Leaving: say so, then give the server a moment to answer and close.
    QUITTING.store(true, Ordering::SeqCst);
    send(&mut server, "QUIT");
    let _ = finished.recv_timeout(QUIT_GRACE);
    let _ = server.shutdown(Shutdown::Both);
    process::exit(0);
}

/// Prompts `name: ` until a non-empty name is typed. End of input: leave.
fn ask_name(keyboard: &mut impl BufRead) -> String {
    loop {
        print!("name: ");
        let _ = io::stdout().flush();
        let mut typed = Vec::new();
        match keyboard.read_until(b'\n', &mut typed) {
            Ok(0) => {
                println!();
                process::exit(0);
            }
            Ok(_) => {}
            Err(error) => cli::fail(format!("cannot read the keyboard: {error}")),
        }
        let name = String::from_utf8_lossy(&typed).trim().to_string();
        if !name.is_empty() {
            return name;
        }
    }
}

/// The socket thread: prints every line from the server until the connection
/// ends. If we did not ask to leave, the server went away: say so and end the
/// whole program, without waiting for you to type another line.
fn reader_loop(stream: TcpStream) {
    // No read timeout here, unlike step 2: a chat can be quiet for hours, and
    // waiting is all this thread is for.
    let mut reader = BufReader::new(stream);
    let mut listing: Option<MemberListing> = None;
    let mut raw = Vec::new();
    loop {
        raw.clear();
        match read_line_capped(&mut reader, &mut raw, MAX_LINE_BYTES) {
            Ok(0) => break,
            Ok(_) => {
                let line = printable(&String::from_utf8_lossy(trim_line_end(&raw)));
                // Before we have a name, "choose a name first" answers a line
                // sent with a refused name, or `HISTORY TIMED` to a server
                // that does not know it (step4_core): already handled.
                if !NAMED.load(Ordering::SeqCst) && line.starts_with("ERROR Choose a name first") {
                    continue;
                }
                note_registration(&line);
                let mut stdout = io::stdout().lock();
                for shown in render(&line, &mut listing) {
                    // Nobody reading our output is no reason to stop chatting.
                    let _ = writeln!(stdout, "{shown}");
                }
                let _ = stdout.flush();
                // After our QUIT, the goodbye (or, from the echo server, our
                // own QUIT coming back) is the last thing worth waiting for.
                if QUITTING.load(Ordering::SeqCst) && (line == "OK Goodbye!" || line == "QUIT") {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    if !QUITTING.load(Ordering::SeqCst) {
        server_gone();
    }
}

/// Watches for the server's answer to our name: a welcome, or a refusal that
/// means the next typed line should be a new name.
fn note_registration(line: &str) {
    if line.starts_with("OK Welcome, ") {
        NAMED.store(true, Ordering::SeqCst);
        NEED_NAME.store(false, Ordering::SeqCst);
    } else if !NAMED.load(Ordering::SeqCst)
        && (line.starts_with("ERROR Invalid username")
            || line.starts_with("ERROR Username taken")
            || line.starts_with("ERROR Usage: USERNAME")
            || line.starts_with("ERROR A name cannot contain spaces"))
    {
        NEED_NAME.store(true, Ordering::SeqCst);
    }
}

/// After `OK Joined #room (3 users)` the server lists who is already there,
/// one `JOIN #room <member>` line each. Those are not people arriving now,
/// so while this is set they are shown as "is here".
struct MemberListing {
    room: String,
    lines_left: usize,
}

/// Turns one protocol line from the server into the line(s) a person reads.
/// A line that does not have the expected shape is shown as it is, which is
/// also what happens with lines this client does not know.
fn render(line: &str, listing: &mut Option<MemberListing>) -> Vec<String> {
    let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
    // Any line other than the next member of the listing ends the listing.
    if let Some(current) = listing.take() {
        if let ("JOIN", [room, member]) = (kind, words(rest, 2).as_slice()) {
            if *room == current.room {
                if current.lines_left > 1 {
                    *listing = Some(MemberListing {
                        room: current.room,
                        lines_left: current.lines_left - 1,
                    });
                }
                return vec![format!("* {member} is here")];
            }
        }
    }
    let shown = match kind {
        "ROOM" => match words(rest, 3).as_slice() {
            [_room, user, text] => format!("{user}: {text}"),
            _ => line.to_string(),
        },
        // Recent messages, replayed on joining: fenced, each with the time
        // it was said, so an old line never looks like one said just now.
        "HISTORY" => match words(rest, 4).as_slice() {
            ["BEGIN", room, ..] => format!("--- recent messages in {room} ---"),
            ["END", ..] => "--- end of recent messages ---".to_string(),
            [_room, time, user, text] => format!("[{}] {user}: {text}", clock(time)),
            _ => line.to_string(),
        },
        "PRIVMSG" => match words(rest, 2).as_slice() {
            [from, text] => format!("[private] {from}: {text}"),
            _ => line.to_string(),
        },
        "JOIN" => match words(rest, 2).as_slice() {
            [room, user] => format!("* {user} joined {room}"),
            _ => line.to_string(),
        },
        "LEAVE" => match words(rest, 2).as_slice() {
            [room, user] => format!("* {user} left {room}"),
            _ => line.to_string(),
        },
        "NICK" => match words(rest, 2).as_slice() {
            [old, new] => format!("* {old} is now known as {new}"),
            _ => line.to_string(),
        },
        "TOPIC" => match words(rest, 2).as_slice() {
            [room, text] => format!("* Topic for {room}: {text}"),
            _ => line.to_string(),
        },
        "ACTION" => match words(rest, 3).as_slice() {
            // Like the server's chat mode: an action starts with its author,
            // so it never looks like one of the `*` lines about the room.
            [_room, user, text] => format!("{user} *{text}*"),
            _ => line.to_string(),
        },
        "KICK" => match words(rest, 4).as_slice() {
            [_room, user, by] => format!("* {user} was kicked out by {by}"),
            [_room, user, by, reason] => format!("* {user} was kicked out by {by}: {reason}"),
            _ => line.to_string(),
        },
        // Answers to what the client sent by itself: it knows already.
        "OK" if rest == "History timed" || rest.starts_with("Welcome, ") => return Vec::new(),
        "NOTICE"
            if !NAMED.load(Ordering::SeqCst)
                && HIDDEN_GREETING
                    .iter()
                    .any(|hidden| rest.starts_with(hidden)) =>
        {
            return Vec::new();
        }
        "OK" => match rest.strip_prefix("Joined ") {
            Some(joined) => {
                // "#general (3 users)": remember to show the next lines as
                // the list of who is here.
                if let Some((room, count)) = joined.split_once(" (") {
                    let members: Option<usize> =
                        count.split(' ').next().and_then(|n| n.parse().ok());
                    if let Some(lines_left) = members.filter(|&n| n > 0) {
                        *listing = Some(MemberListing {
                            room: room.to_string(),
                            lines_left,
                        });
                    }
                }
                if !JOINED_ONCE.swap(true, Ordering::SeqCst) {
                    return vec!["Welcome to the chatroom!".to_string()];
                }
                return vec![joined_text(joined)];
            }
            None => rest.to_string(),
        },
        "ERROR" if NEED_NAME.load(Ordering::SeqCst) => {
            let error = format!("! {}", in_client_syntax(rest));
            return vec![error, "Type another name:".to_string()];
        }
        "ERROR" if rest == "User not found" => {
            let named = LAST_NAMED.lock().map(|n| n.clone()).unwrap_or_default();
            match named.is_empty() {
                true => "! User not found".to_string(),
                false => format!("! {named} is not connected (/users lists who is here)"),
            }
        }
        "ERROR" => format!("! {}", in_client_syntax(rest)),
        // `730 more: USERS 2`: what to type next, in this client's words.
        "NOTICE" if rest.contains(" more: ") => in_client_syntax(rest),
        "NOTICE" => rest.to_string(),
        "USERLIST" => format!("Users: {}", list_or_none(rest)),
        "ROOMLIST" => format!("Rooms: {}", list_or_none(rest)),
        _ => line.to_string(),
    };
    vec![shown]
}

/// An `ERROR` (or a "more:" `NOTICE`) in this client's syntax. The server
/// writes to a `USERNAME` client in the protocol's words (`Usage: USERNAME
/// <name>`, `try USERNAME John_Smith`, `USERS 2`); here a person types
/// `/nick`, `/users`, so each protocol verb becomes its slash command, from
/// the server's own command table (chatroom::wire::spellings).
fn in_client_syntax(text: &str) -> String {
    if let Some(usage) = text.strip_prefix("Usage: ") {
        if let Some(row) = spellings().find(|row| row.protocol_usage == usage) {
            return format!("Usage: {}", row.chat_usage);
        }
    }
    let words: Vec<String> = text
        .split(' ')
        .map(|word| {
            spellings()
                .find(|row| row.verbs.contains(&word) && !row.slash.is_empty())
                .map_or_else(|| word.to_string(), |row| format!("/{}", row.slash[0]))
        })
        .collect();
    let text = words.join(" ");
    // `/nick <name> or USERNAME <name>` said one thing twice, here.
    match text.split_once(" or ") {
        Some((first, second)) if first.ends_with(second) => first.to_string(),
        _ => text,
    }
}

/// `/help`: the commands this client takes, as they are typed here. Made
/// from the server's command table (its chat column: this client sends
/// `/nick`, `/join`, `/msg`, `/users`, `/rooms`, `/leave` as protocol lines
/// and every other slash command as typed), so it cannot list one the
/// server does not know.
fn help_text() -> String {
    let mut everyone = String::from("Commands (a line without / is a message to your room):\n");
    let mut teacher = String::from("After /op <password>, for the teacher:\n");
    for row in spellings() {
        let usage = row.chat_usage;
        // `HISTORY TIMED` is for programs; this client sends it itself.
        if !usage.starts_with('/') && !usage.starts_with('<') {
            continue;
        }
        match usage {
            "/quit" => everyone
                .push_str("  /quit                  leave the chat (also quit, exit or Ctrl-D)\n"),
            _ => match row.help.strip_prefix("(operator) ") {
                Some(help) => teacher.push_str(&format!("  {usage:<22} {help}\n")),
                None => everyone.push_str(&format!("  {usage:<22} {}\n", row.help)),
            },
        }
    }
    everyone + &teacher
}

/// `#general (2 users)` (how many were already there) in words:
/// `You joined #general (2 people here)`.
fn joined_text(joined: &str) -> String {
    let Some((room, count)) = joined.split_once(" (") else {
        return format!("You joined {joined}");
    };
    match count
        .split(' ')
        .next()
        .and_then(|n| n.parse::<usize>().ok())
    {
        Some(0) => format!("You joined {room} (nobody else here yet)"),
        Some(1) => format!("You joined {room} (1 person here)"),
        Some(n) => format!("You joined {room} ({n} people here)"),
        None => format!("You joined {joined}"),
    }
}

/// `2026-12-02T10:02:03.114Z` → `10:02:03` (UTC), the way the server
/// shows replayed lines to people on `nc`. Anything else is shown as it is.
fn clock(time: &str) -> String {
    match time.get(11..19) {
        Some(hms) if time.as_bytes().get(10) == Some(&b'T') => hms.to_string(),
        _ => time.to_string(),
    }
}

/// Splits off the first `count - 1` words; the last part is the rest of the
/// line (the message text, which has spaces of its own).
fn words(text: &str, count: usize) -> Vec<&str> {
    text.splitn(count, ' ').filter(|w| !w.is_empty()).collect()
}

/// "a b c" → "a, b, c"; nothing → "none".
fn list_or_none(names: &str) -> String {
    let names: Vec<&str> = names.split_whitespace().collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// The main thread: each line you type becomes one protocol line. Returns
/// when you ask to leave or your input ends.
fn keyboard_loop(keyboard: &mut impl BufRead, server: &mut TcpStream, room: &str) {
    let mut typed = Vec::new();
    loop {
        typed.clear();
        match keyboard.read_until(b'\n', &mut typed) {
            Ok(0) => return, // end of input (Ctrl-D): leave as if /quit
            Ok(_) => {}
            Err(error) => cli::fail(format!("cannot read the keyboard: {error}")),
        }
        let line = String::from_utf8_lossy(trim_line_end(&typed)).into_owned();
        if NEED_NAME.load(Ordering::SeqCst) && !line.trim().is_empty() {
            // The server refused our name: this line is the next try.
            send(server, &format!("USERNAME {}", line.trim()));
            send(server, &format!("JOIN {room}"));
            continue;
        }
        match to_protocol(&line) {
            Typed::Send(protocol_line) => {
                note_named(&protocol_line);
                send(server, &protocol_line);
            }
            // One print!, so it cannot be cut by a line the socket thread
            // prints at the same moment (stdout is locked per call).
            Typed::Help => print!("{}", help_text()),
            Typed::Quit => return,
            Typed::Nothing => {}
        }
    }
}

/// Remembers who a line about to be sent names, if it names someone.
fn note_named(line: &str) {
    let mut words = line.split_whitespace();
    let verb = words.next().unwrap_or_default();
    if matches!(verb, "PRIVMSG" | "/kick" | "/mute" | "/unmute") {
        if let (Some(name), Ok(mut named)) = (words.next(), LAST_NAMED.lock()) {
            *named = name.to_string();
        }
    }
}

/// What a typed line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Typed {
    /// Send this protocol line.
    Send(String),
    /// Show this client's own command list (the server's would be in the
    /// protocol's words).
    Help,
    Quit,
    /// An empty line: nothing to say.
    Nothing,
}

/// Turns what you typed into a protocol line. A plain line is always a room
/// message, even one that starts with a protocol word ("JOIN us for lunch"):
/// only a leading `/` makes a command.
fn to_protocol(line: &str) -> Typed {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return Typed::Nothing;
    }
    if trimmed == "quit" || trimmed == "exit" {
        return Typed::Quit;
    }
    let Some(command_line) = trimmed.strip_prefix('/') else {
        return Typed::Send(format!("MSG {line}"));
    };
    let (command, arguments) = command_line.split_once(' ').unwrap_or((command_line, ""));
    let verb = match command.to_ascii_lowercase().as_str() {
        "quit" => return Typed::Quit,
        "help" => return Typed::Help,
        // A rename in this client's own dialect: `/nick` as typed would
        // switch the connection to chat mode, and the client would stop
        // seeing its own messages come back.
        "nick" => "USERNAME",
        "join" => "JOIN",
        "leave" => "LEAVE",
        "msg" => "PRIVMSG",
        "users" => "USERS",
        "rooms" => "ROOMS",
        // The server understands the other /commands itself (/nick, /me,
        // /topic, ...): send them as typed.
        _ => return Typed::Send(trimmed.to_string()),
    };
    let arguments = arguments.trim();
    if arguments.is_empty() {
        Typed::Send(verb.to_string())
    } else {
        Typed::Send(format!("{verb} {arguments}"))
    }
}

/// Sends one protocol line, ending it with "\n" (the framing both sides
/// agree on). A failed write means the server is gone.
fn send(server: &mut TcpStream, line: &str) {
    let framed = format!("{line}\n");
    if server.write_all(framed.as_bytes()).is_err() && !QUITTING.load(Ordering::SeqCst) {
        server_gone();
    }
}

/// Says the server is gone and ends the program. Both threads can find out
/// at the same moment; only the first one prints.
fn server_gone() -> ! {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    if !REPORTED.swap(true, Ordering::SeqCst) {
        eprintln!("error: the server closed the connection");
    }
    process::exit(1);
}

/// Reads one line (up to and including "\n") into `line`, keeping at most
/// `max` bytes of it; the rest of a longer line is read and thrown away.
/// Returns how many bytes were consumed: 0 means the connection ended.
fn read_line_capped(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    max: usize,
) -> io::Result<usize> {
    let mut consumed = 0;
    loop {
        let (used, found_newline) = {
            let available = match reader.fill_buf() {
                Ok(available) => available,
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if available.is_empty() {
                return Ok(consumed);
            }
            let (chunk, found_newline) = match available.iter().position(|&b| b == b'\n') {
                Some(end) => (&available[..=end], true),
                None => (available, false),
            };
            let room = max.saturating_sub(line.len());
            line.extend_from_slice(&chunk[..chunk.len().min(room)]);
            (chunk.len(), found_newline)
        };
        reader.consume(used);
        consumed += used;
        if found_newline {
            return Ok(consumed);
        }
    }
}

/// The line without control characters. A server line is shown on your
/// terminal, and escape sequences in it could recolour, clear or rewrite the
/// screen; so the library's sanitizer drops them, along with the Unicode
/// controls that reverse the direction of text, and a tab becomes a space.
fn printable(line: &str) -> String {
    sanitize::clean(line).replace('\t', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_lines() {
        let send = |s: &str| Typed::Send(s.to_string());
        assert_eq!(
            to_protocol("JOIN us for lunch"),
            send("MSG JOIN us for lunch")
        );
        assert_eq!(to_protocol("/join  #rust "), send("JOIN #rust"));
        assert_eq!(
            to_protocol("/msg bob hi there"),
            send("PRIVMSG bob hi there")
        );
        assert_eq!(to_protocol("/me waves"), send("/me waves"));
        assert_eq!(to_protocol("  "), Typed::Nothing);
        assert_eq!(to_protocol("/QUIT"), Typed::Quit);
    }

    #[test]
    fn capped_lines() {
        let mut input: &[u8] = b"abcdef\nxy\n";
        let mut line = Vec::new();
        assert_eq!(read_line_capped(&mut input, &mut line, 3).unwrap(), 7);
        assert_eq!(line, b"abc");
        line.clear();
        assert_eq!(read_line_capped(&mut input, &mut line, 3).unwrap(), 3);
        assert_eq!(line, b"xy\n");
        line.clear();
        assert_eq!(read_line_capped(&mut input, &mut line, 3).unwrap(), 0);
    }
}
