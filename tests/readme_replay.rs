//! The tutorial's transcripts, replayed against the real programs, so the
//! chapters cannot drift from the code (the idea of rust-csv's tutorial).
//!
//! The transcripts live in README.md and the chapters in `docs/`. One the
//! tests replay is marked with a comment on the line before its code block:
//! `<!-- replay: step1-nc -->`; a marker names one block in all those files.
//! Each test here takes one or more marked blocks, runs the commands they
//! show (the real binaries, the real `nc`, `telnet` and `curl`), types the
//! lines they show as typed (`> text`, or the text after a client's own
//! prompt such as `send: `), and compares every other line with what the
//! programs print, line by line. A window can be shown in several blocks,
//! as a chapter follows it in reading order: the first starts with the `$`
//! command, the others go on where the last one stopped.
//!
//! Only what must vary between runs is masked, on both sides:
//! - times and dates, and `ip:port` and IP addresses (every test server
//!   listens on port 0 of 127.0.0.1);
//! - a server's port where it stands alone (`nc 192.0.2.2 7007`): the
//!   test server's real port is written as the chapters' 7007;
//! - the operator password, which the test reads from the server's banner
//!   and types wherever a chapter types the one it shows;
//! - the line `(only this machine can connect: …)`, which a server that
//!   listens on 127.0.0.1 adds to its banner and its help page, and a
//!   classroom server does not;
//! - an HTTP answer's `Content-Length`, once it is checked against the body
//!   the test really received;
//! - the directory the test runs in, shown as the chapters' `/home/lee/class`.
//! - a one-time code of an account (`one-time code: 7hQm2KdxPz`), which is
//!   random;
//! - the home folder the step 3 client reads its settings from, shown as
//!   the chapters' `/home/lee`.
//!
//! When a transcript no longer matches, the failure prints what the programs
//! really showed, written the chapters' way: check it is right, paste it over
//! the block, and run the test again (docs/developers.md says so).

mod common;

use common::TempDir;
use common::{bin, eventually, lines_of, Server, TIMEOUT};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The port the chapters show; a test server's real port is written so.
const SHOWN_PORT: &str = "7007";

/// The directory the chapters show a server started in.
const SHOWN_DIR: &str = "/home/lee/class";

/// The note a server on 127.0.0.1 adds to its banner and help page.
const LOOPBACK_NOTE: &str = "(only this machine can connect:";

/// Every marked transcript, by the test that replays it. docs/developers.md
/// shows this table, and `every_marked_transcript_is_replayed` holds the
/// chapters and that table to it.
const REPLAYED: &[(&str, &[&str])] = &[
    ("step1_echo_with_nc", &["step1-server", "step1-nc"]),
    ("step1_flags", &["step1-flags"]),
    ("step1_port_in_use", &["step1-in-use"]),
    ("step2_client_against_echo", &["step2-quit", "step2-eof"]),
    ("step2_no_server", &["step2-refused"]),
    ("step3_client_against_echo", &["step3-echo"]),
    ("step3_server_goes_away", &["step3-gone"]),
    (
        "step3_clients_through_step4",
        &["step3-two-clients", "step3-alice", "step3-bob"],
    ),
    (
        "step3_settings_file",
        &["step3-settings", "step3-settings-error"],
    ),
    (
        "step4_two_people_on_nc",
        &["step4-server", "step4-alice", "step4-bob", "step4-log"],
    ),
    (
        "step4_protocol_dialect_on_nc",
        &["step4-protocol-alice", "step4-protocol-bob"],
    ),
    (
        "running_a_class_in_reading_order",
        &[
            "class-server",
            "class-lee",
            "class-alice",
            "class-lee-2",
            "class-bob",
            "class-curl",
            "class-bob-2",
            "class-lee-3",
            "class-alice-2",
            "class-lee-4",
            "class-log",
            "class-transcript",
            "class-attendance",
            "class-toml",
            "class-restart",
            "class-timeout",
            "class-refused",
            "class-restart-log",
        ],
    ),
    (
        "history_transcript_and_attendance",
        &[
            "history-file",
            "history-transcript",
            "history-private",
            "history-narrow",
            "history-attendance",
        ],
    ),
    (
        "configuration_print_config",
        &["config-file", "config-print"],
    ),
    ("configuration_bad_flags", &["config-bad-flags"]),
    ("configuration_wrong_settings", &["config-errors"]),
    ("history_damaged_lines", &["history-damaged"]),
    ("class_accounts", &["class-accounts"]),
    ("step1_udp_echo", &["step1-udp-server", "step1-udp-nc"]),
    ("browser_server_start", &["browser-server"]),
];

/// README.md and every `docs/*.md`, as `(path from the repository, text)`.
fn chapters() -> &'static [(String, String)] {
    static CHAPTERS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    CHAPTERS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut names = vec!["README.md".to_string()];
        let mut docs: Vec<String> = std::fs::read_dir(root.join("docs"))
            .expect("read docs/")
            .map(|entry| entry.expect("a docs/ entry").file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".md"))
            .map(|name| format!("docs/{name}"))
            .collect();
        docs.sort();
        names.extend(docs);
        names
            .into_iter()
            .map(|name| {
                let text = std::fs::read_to_string(root.join(&name))
                    .unwrap_or_else(|e| panic!("read {name}: {e}"));
                (name, text)
            })
            .collect()
    })
}

/// The lines of the code block that follows `<!-- replay: name -->`, in
/// whichever chapter it is (it must be in exactly one).
fn block(name: &str) -> Vec<String> {
    let marker = format!("<!-- replay: {name} -->");
    let found: Vec<(&str, &str)> = chapters()
        .iter()
        .flat_map(|(file, text)| {
            markers(text)
                .filter(|(name_here, _)| *name_here == name)
                .map(move |(_, after)| (file.as_str(), after))
        })
        .collect();
    let after = match found.as_slice() {
        [(_, after)] => *after,
        [] => panic!("no chapter has {marker}"),
        several => panic!(
            "{marker} is in several places: {:?}",
            several.iter().map(|(file, _)| file).collect::<Vec<_>>()
        ),
    };
    let mut lines = after.lines();
    let fence = lines
        .by_ref()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or_default();
    assert!(
        fence.starts_with("```"),
        "{marker} must be followed by a code block, found {fence:?}"
    );
    lines
        .take_while(|line| line.trim() != "```")
        .map(|line| line.trim_end_matches(' ').to_string())
        .collect()
}

/// The markers of a chapter, each with the text after it: a marker is a
/// line of its own, `<!-- replay: name -->` (one quoted inside a sentence,
/// as docs/developers.md does, is not).
fn markers(text: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut at = 0;
    text.split_inclusive('\n').filter_map(move |line| {
        at += line.len();
        let name = line
            .trim()
            .strip_prefix("<!-- replay: ")?
            .strip_suffix(" -->")?;
        Some((name, &text[at..]))
    })
}

/// One line of an interactive transcript.
#[derive(Clone, Debug)]
enum Item {
    /// A line the person typed: shown as `> text` in a chapter, or after a
    /// client's prompt (`send: text`), in which case `prompt` is that prompt.
    Typed {
        text: String,
        prompt: Option<String>,
    },
    /// A line the program printed.
    Shown(String),
    /// The end of one of the window's blocks (the schedule's `|`).
    End,
}

/// A window's transcript, from its blocks: the `$ command` that opens it
/// (the first line of the first block), then what was typed and shown, with
/// an [`Item::End`] after each block. `prompts` are the client's own prompts
/// (`name: `, `send: `).
fn session(blocks: &[&str], prompts: &[&str]) -> (String, Vec<Item>) {
    let mut command = None;
    let mut items = Vec::new();
    for name in blocks {
        let mut lines = block(name);
        if command.is_none() {
            let first = lines.first().and_then(|line| line.strip_prefix("$ "));
            command = Some(
                first
                    .unwrap_or_else(|| panic!("{name}: a window starts with `$ command`"))
                    .to_string(),
            );
            lines.remove(0);
        }
        items.extend(lines.iter().map(|line| item(line, prompts)));
        items.push(Item::End);
    }
    (command.expect("a window has a block"), items)
}

fn item(line: &str, prompts: &[&str]) -> Item {
    if let Some(text) = line.strip_prefix("> ") {
        return Item::Typed {
            text: text.to_string(),
            prompt: None,
        };
    }
    for prompt in prompts {
        if let Some(text) = line.strip_prefix(prompt.trim_end()) {
            return Item::Typed {
                text: text.trim_start().to_string(),
                prompt: Some(prompt.to_string()),
            };
        }
    }
    Item::Shown(line.to_string())
}

/// Splits a shell command line into words: spaces separate, '…' and "…"
/// quote, and a `#` after a space starts a comment.
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '#') if !in_word => break,
            (None, ' ') => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The program and arguments a chapter command runs: `cargo run [--release]
/// --bin X [-- args]` and a bare `X args` both mean this package's binary X;
/// `nc`/`telnet` are the real programs. Leading `NAME=value` words become
/// environment variables.
struct Invocation {
    env: Vec<(String, String)>,
    program: String,
    args: Vec<String>,
}

fn invocation(command: &str) -> Invocation {
    let mut words = words(command).into_iter().peekable();
    let mut env = Vec::new();
    while let Some(word) = words.peek() {
        match word.split_once('=') {
            Some((key, value)) if key.chars().all(|c| c.is_ascii_uppercase() || c == '_') => {
                env.push((key.to_string(), value.to_string()));
                words.next();
            }
            _ => break,
        }
    }
    let words: Vec<String> = words.collect();
    if words.first().map(String::as_str) == Some("cargo") {
        let at = words
            .iter()
            .position(|w| w == "--bin")
            .expect("cargo run --bin NAME");
        let program = words[at + 1].clone();
        let args = match words.iter().position(|w| w == "--") {
            Some(dashes) => words[dashes + 1..].to_vec(),
            None => Vec::new(),
        };
        return Invocation { env, program, args };
    }
    Invocation {
        env,
        program: words[0].clone(),
        args: words[1..].to_vec(),
    }
}

/// The path to run for a program name in a chapter.
fn executable(program: &str) -> std::path::PathBuf {
    match program {
        "nc" | "telnet" => program.into(),
        name => bin(name),
    }
}

/// Replaces what varies from run to run with `…`: every token that starts
/// with a digit and holds a `:` (times, `ip:port`), two `.` (addresses) or
/// two `-` (dates).
fn normalise(line: &str) -> String {
    // What this machine can hold depends on its limits and on the fast
    // path (`CHATROOM_DIRECT_SEND`): the chapters show one machine's line.
    if let Some(at) = line.find("Capacity: ") {
        return format!("{}Capacity: …", normalise(&line[..at]));
    }
    // A one-time code (`alice  one-time code: 7hQm2KdxPz`) is random.
    let line = match line.split_once("one-time code: ") {
        Some((before, code)) if !code.contains(' ') && code.chars().all(char::is_alphanumeric) => {
            format!("{before}one-time code: …")
        }
        _ => line.to_string(),
    };
    // The server's pid (`… (pid 4242)`) differs on every run.
    let line = match line.find("(pid ") {
        Some(at) => {
            let digits = line[at + 5..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            format!("{}(pid …{}", &line[..at], &line[at + 5 + digits..])
        }
        None => line.to_string(),
    };
    let chars: Vec<char> = line.trim_end_matches('\r').trim_end().chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_token = chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_alphanumeric());
        if !starts_token {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut end = i;
        while end < chars.len() && (chars[end].is_ascii_digit() || ":.-TZ".contains(chars[end])) {
            end += 1;
        }
        let token: String = chars[i..end].iter().collect();
        let token = token.trim_end_matches(['.', '-', ':']);
        let count = |c| token.matches(c).count();
        if count(':') > 0 || count('.') >= 2 || count('-') >= 2 {
            out.push('…');
        } else {
            out.push_str(token);
        }
        i += token.chars().count();
    }
    out
}

/// What a run shows that a chapter shows otherwise: the test server's port,
/// the password it made up, the directory the test runs in. Applied to what
/// the programs print before it is compared.
#[derive(Clone, Default)]
struct Masks {
    /// The test server's real port, written as [`SHOWN_PORT`].
    port: Option<u16>,
    /// `(real, shown)`: the operator password of this run, and the chapter's.
    password: Option<(String, String)>,
    /// The directory the programs run in, written as [`SHOWN_DIR`].
    dir: Option<String>,
}

impl Masks {
    fn for_port(port: u16) -> Masks {
        Masks {
            port: Some(port),
            ..Masks::default()
        }
    }

    /// A printed line, the chapters' way; `None` for the loopback note.
    fn apply(&self, line: &str) -> Option<String> {
        if line.contains(LOOPBACK_NOTE) {
            return None;
        }
        let mut line = line.to_string();
        if let Some((real, shown)) = &self.password {
            line = line.replace(real.as_str(), shown);
        }
        if let Some(dir) = &self.dir {
            line = line.replace(dir.as_str(), SHOWN_DIR);
        }
        if let Some(port) = self.port {
            line = replace_word(&line, &port.to_string(), SHOWN_PORT);
        }
        Some(line)
    }
}

/// `text` with every `word` that stands alone (no digit or letter either
/// side) replaced by `by`.
fn replace_word(text: &str, word: &str, by: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + word.len()..].chars().next();
        let alone =
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric);
        out.push_str(&rest[..at]);
        out.push_str(if alone { by } else { word });
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

/// The operator password a banner line names (`Operator password for this
/// run: X  (type /op X …)`).
fn password_in(line: &str) -> Option<String> {
    line.split("Operator password for this run: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_string)
}

/// Is this a log line (it starts with an RFC 3339 time)? A `^C` in front,
/// as a terminal shows Ctrl-C, is allowed.
fn is_log_line(line: &str) -> bool {
    let bytes = line.trim_start_matches("^C").as_bytes();
    bytes.len() > 24 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[10] == b'T'
}

/// A program a person types into: its stdin is the keyboard, its stdout
/// and stderr the screen. Killed when dropped.
struct Terminal {
    label: String,
    child: Child,
    keyboard: Option<ChildStdin>,
    screen: Receiver<String>,
    /// The client's prompt that is still in front of the next screen line.
    prompt: Option<String>,
    /// What happened so far, written the chapters' way, for failure messages.
    shown: Vec<String>,
}

impl Terminal {
    /// Starts a chapter's command against a server at `port` (0: none).
    fn start(command: &str, port: u16, cwd: &Path) -> Terminal {
        let call = invocation(command);
        let mut process = Command::new(executable(&call.program));
        let mut args = call.args.clone();
        match call.program.as_str() {
            "nc" | "telnet" => {
                args = vec!["127.0.0.1".to_string(), port.to_string()];
            }
            _ if port != 0 => {
                args.extend(["--host".into(), "127.0.0.1".into()]);
                args.extend(["--port".into(), port.to_string()]);
            }
            _ => {}
        }
        process
            .args(&args)
            .env_remove("CHATROOM_PASSWORD")
            .env_remove("CHATROOM_ADMIN_PASSWORD")
            .envs(call.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("XDG_CONFIG_HOME", cwd)
            .env("HOME", cwd)
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = process
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command}: {e}"));
        // One screen for both streams, as a terminal shows them. (Only the
        // clients' last words, `error: …`, come on stderr, after the rest.)
        let screen = lines_of(child.stdout.take().expect("stdout piped"));
        let errors = lines_of(child.stderr.take().expect("stderr piped"));
        let (to_screen, merged) = std::sync::mpsc::channel();
        for source in [screen, errors] {
            let to_screen = to_screen.clone();
            std::thread::spawn(move || {
                for line in source {
                    if to_screen.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Terminal {
            label: command.to_string(),
            keyboard: child.stdin.take(),
            screen: merged,
            child,
            prompt: None,
            shown: vec![format!("$ {command}")],
        }
    }

    fn fail(&mut self, why: &str) -> ! {
        let rest: Vec<String> = self.screen.try_iter().collect();
        panic!(
            "{}: {why}\n--- what the programs showed, the chapters' way ---\n{}\n{}",
            self.label,
            self.shown.join("\n"),
            rest.join("\n"),
        );
    }

    fn type_line(&mut self, text: &str, as_shown: &str, prompt: &Option<String>) {
        self.shown.push(match prompt {
            Some(prompt) => format!("{prompt}{as_shown}"),
            None => format!("> {as_shown}"),
        });
        self.prompt = prompt.clone();
        if text.is_empty() && prompt.is_some() {
            self.keyboard = None; // Ctrl-D at the prompt
            return;
        }
        let written = match self.keyboard.as_mut() {
            Some(keyboard) => keyboard
                .write_all(format!("{text}\n").as_bytes())
                .and_then(|()| keyboard.flush()),
            None => Ok(()),
        };
        if let Err(e) = written {
            self.fail(&format!(
                "stopped reading its input before {as_shown:?}: {e}"
            ));
        }
    }

    /// The next screen line, without a prompt in front of it; `None` at the
    /// end of the program's output.
    fn next_line(&mut self, deadline: Duration) -> Option<String> {
        loop {
            let line = match self.screen.recv_timeout(deadline) {
                Ok(line) => line,
                Err(RecvTimeoutError::Disconnected) => return None,
                Err(RecvTimeoutError::Timeout) => self.fail("nothing more within the timeout"),
            };
            let mut line = line.trim_end_matches('\r').to_string();
            if let Some(prompt) = self.prompt.take() {
                if let Some(rest) = line.strip_prefix(&prompt) {
                    line = rest.to_string();
                }
                if line.is_empty() {
                    continue;
                }
            }
            return Some(line);
        }
    }

    fn expect(&mut self, wanted: &str) {
        match self.next_line(TIMEOUT) {
            Some(line) => {
                self.shown.push(line.clone());
                if normalise(&line) != normalise(wanted) {
                    self.fail(&format!(
                        "showed {line:?} where the chapter shows {wanted:?}"
                    ));
                }
            }
            None => self.fail(&format!("ended where the chapter shows {wanted:?}")),
        }
    }

    /// Closes the keyboard and checks nothing more is shown: waits a moment
    /// for the program to end (nc ends once both its keyboard and the
    /// connection are closed), then kills it.
    fn finish(&mut self) {
        self.keyboard = None;
        let deadline = Instant::now() + Duration::from_secs(2);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.screen.recv_timeout(left) {
                Ok(line) => {
                    let line = line.trim_end_matches('\r').to_string();
                    let line = match self.prompt.take() {
                        Some(prompt) => line.strip_prefix(&prompt).unwrap_or(&line).to_string(),
                        None => line,
                    };
                    if line.trim().is_empty() {
                        continue;
                    }
                    self.shown.push(line.clone());
                    self.fail(&format!(
                        "showed {line:?} after the chapter's transcript ends"
                    ));
                }
                Err(_) => break,
            }
        }
        let _ = self.child.kill();
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One person's window in a replay: its name in the schedule, the command
/// that opens it, what it shows, and the program once started.
struct Window {
    name: char,
    command: String,
    items: Vec<Item>,
    next: usize,
    terminal: Option<Terminal>,
}

/// Several windows at once, each started when the schedule first names it.
/// `schedule` names, in order, whose next typed line is typed (`"aab"`: a,
/// a, then b); an upper-case letter only opens that window (`"aBa"`: bob's
/// client starts after alice's first line); `.a` makes alice's window show
/// just its next line, and `|a` the rest of its current block (to wait for
/// a reply before someone else acts); a digit calls `act` with it (to stop
/// the server, or run a command, at that point of the story). Before typing,
/// a window shows everything the chapter shows before that line; at the
/// end, each shows the rest of its transcript. `typed` replaces chapter
/// text in typed lines (the operator password of this run).
fn play(
    windows: &mut [Window],
    schedule: &str,
    open: &dyn Fn(&str) -> Terminal,
    typed: &[(&str, &str)],
    act: &mut dyn FnMut(char),
) {
    let mut wait: Option<char> = None;
    for turn in schedule.chars().filter(|c| !c.is_whitespace()) {
        if turn == '.' || turn == '|' {
            wait = Some(turn);
            continue;
        }
        if turn.is_ascii_digit() {
            act(turn);
            continue;
        }
        let who = turn.to_ascii_lowercase();
        let window = windows
            .iter_mut()
            .find(|window| window.name == who)
            .unwrap_or_else(|| panic!("no window {who:?} in the schedule"));
        let terminal = window.terminal.get_or_insert_with(|| open(&window.command));
        if turn.is_ascii_uppercase() {
            continue;
        }
        match wait.take() {
            Some('.') => {
                while matches!(window.items.get(window.next), Some(Item::End)) {
                    window.next += 1;
                }
                match window.items.get(window.next).cloned() {
                    Some(Item::Shown(line)) => terminal.expect(&line),
                    _ => terminal
                        .fail("the schedule waits for a line the chapter does not show next"),
                }
                window.next += 1;
                continue;
            }
            Some(_) => {
                loop {
                    let item = window.items.get(window.next).cloned();
                    window.next += 1;
                    match item {
                        Some(Item::Shown(line)) => terminal.expect(&line),
                        Some(Item::End) => break,
                        _ => terminal.fail("the schedule waits for the end of a block, but a typed line comes first"),
                    }
                }
                continue;
            }
            None => {}
        }
        loop {
            let item = window.items.get(window.next).cloned();
            window.next += 1;
            match item {
                Some(Item::Shown(line)) => terminal.expect(&line),
                Some(Item::End) => {}
                Some(Item::Typed { text, prompt }) => {
                    let mut to_type = text.clone();
                    for (from, to) in typed {
                        to_type = to_type.replace(from, to);
                    }
                    terminal.type_line(&to_type, &text, &prompt);
                    break;
                }
                None => terminal.fail(&format!("has no more typed lines for turn {who:?}")),
            }
        }
    }
    for window in windows.iter_mut() {
        let terminal = window.terminal.get_or_insert_with(|| open(&window.command));
        for item in &window.items[window.next..] {
            match item {
                Item::Shown(line) => terminal.expect(line),
                Item::End => {}
                Item::Typed { text, .. } => {
                    terminal.fail(&format!("the schedule never typed {text:?}"))
                }
            }
        }
        terminal.finish();
    }
}

/// The windows for `(name, blocks)` pairs.
fn windows(sessions: &[(char, &[&str])], prompts: &[&str]) -> Vec<Window> {
    sessions
        .iter()
        .map(|(name, blocks)| {
            let (command, items) = session(blocks, prompts);
            Window {
                name: *name,
                command,
                items,
                next: 0,
                terminal: None,
            }
        })
        .collect()
}

/// Replays `sessions` against a server at `port`, following `schedule`.
fn replay(sessions: &[(char, &[&str])], prompts: &[&str], port: u16, cwd: &Path, schedule: &str) {
    let mut windows = windows(sessions, prompts);
    play(
        &mut windows,
        schedule,
        &|command| Terminal::start(command, port, cwd),
        &[],
        &mut |turn| panic!("no action {turn:?} in this replay"),
    );
}

/// A server for a chapter, started the way the chapter starts it (the `$`
/// line of its block), on port 0 of 127.0.0.1, in `cwd`.
fn chat_server(start_command: &str, cwd: &Path) -> Server {
    let call = invocation(start_command);
    let mut command = Command::new(executable(&call.program));
    command
        .args(&call.args)
        .args(["--host", "127.0.0.1", "--port", "0"])
        .env_remove("CHATROOM_PASSWORD")
        .env_remove("CHATROOM_ADMIN_PASSWORD")
        .envs(call.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .current_dir(cwd);
    Server::start_with(&mut command)
}

/// The `$` command of a block that starts a server.
fn start_command(block_name: &str) -> String {
    block(block_name)
        .iter()
        .find_map(|line| line.strip_prefix("$ ").map(str::to_string))
        .unwrap_or_else(|| panic!("block {block_name} has no `$ command`"))
}

/// Checks that the server's log starts with the first `lines` log lines the
/// chapter shows under its `$` command (times and addresses normalised).
fn expect_start_log(server: &mut Server, block_name: &str, lines: usize) {
    let shown = block(block_name);
    let wanted = &shown[1..=lines];
    let mut got = vec![server.first_line.clone()];
    for line in &wanted[1..] {
        // Wait for the line by its words after the time stamp.
        let words = line.split_once(' ').map_or(line.as_str(), |(_, rest)| rest);
        got.push(server.wait_log(words));
    }
    let got: Vec<String> = got.iter().map(|l| normalise(l)).collect();
    let wanted: Vec<String> = wanted.iter().map(|l| normalise(l)).collect();
    assert_eq!(got, wanted, "{block_name}: the server's first log lines");
}

/// Starts the server of a block that shows everything a server prints at
/// start, its first log lines and its banner, and checks both. Returns the
/// server, the masks for its run (its port, and its operator password
/// written as the chapter's) and how many log lines the block showed.
fn start_and_check(block_name: &str, cwd: &Path) -> (Server, Masks, usize) {
    let shown = block(block_name);
    let command = shown[0]
        .strip_prefix("$ ")
        .unwrap_or_else(|| panic!("{block_name} starts with `$ command`"));
    let mut server = chat_server(command, cwd);
    let (log, banner): (Vec<&String>, Vec<&String>) =
        shown[1..].iter().partition(|line| is_log_line(line));
    let mut masks = Masks::for_port(server.addr.port());
    masks.dir = Some(canonical(cwd));
    let real_banner = stdout_lines(&mut server, banner.len());
    let shown_password = banner.iter().find_map(|line| password_in(line));
    let real_password = real_banner.iter().find_map(|line| password_in(line));
    if let (Some(real), Some(shown)) = (real_password, shown_password) {
        masks.password = Some((real, shown));
    }
    let mut real_log = vec![server.first_line.clone()];
    while real_log.len() < log.len() {
        let line = server.wait_log("");
        real_log.push(line);
    }
    compare(
        block_name,
        &format!("{command} (its log)"),
        &masked(&masks, &real_log),
        &log,
    );
    compare(
        block_name,
        &format!("{command} (its output)"),
        &masked(&masks, &real_banner),
        &banner,
    );
    (server, masks, log.len())
}

/// The first `count` lines the server printed on stdout that the chapters
/// show (the loopback note does not count).
fn stdout_lines(server: &mut Server, count: usize) -> Vec<String> {
    let shown = |lines: &[String]| lines.iter().filter(|l| !l.contains(LOOPBACK_NOTE)).count();
    let arrived = eventually(|| shown(&server.stdout_so_far()) >= count);
    let lines = server.stdout_so_far();
    assert!(
        arrived,
        "the server printed only {lines:?}, not {count} lines"
    );
    let mut kept = Vec::new();
    for line in lines {
        if kept
            .iter()
            .filter(|l: &&String| !l.contains(LOOPBACK_NOTE))
            .count()
            == count
        {
            break;
        }
        kept.push(line);
    }
    kept
}

/// Stops the server as a person does (Ctrl-C), and checks that the log
/// lines after the first `skip` are the ones the chapter's `block_name`
/// shows (a `^C` in front of a line is the terminal's echo of Ctrl-C).
fn stop_and_check_log(server: &mut Server, masks: &Masks, skip: usize, block_name: &str) {
    server.signal("INT");
    let status = server.wait_exit();
    assert!(status.success(), "the server exited with {status}");
    let log = server.whole_log();
    let shown: Vec<String> = block(block_name)
        .iter()
        .map(|line| line.trim_start_matches("^C").to_string())
        .collect();
    compare(
        block_name,
        "the server's log",
        &masked(masks, &log[skip.min(log.len())..]),
        &shown,
    );
}

/// Lines a program printed, with `masks` applied (the loopback note gone).
fn masked(masks: &Masks, lines: &[String]) -> Vec<String> {
    lines.iter().filter_map(|line| masks.apply(line)).collect()
}

/// Compares what a program printed with what a chapter shows, normalised,
/// and fails with both written out.
fn compare(block_name: &str, what: &str, printed: &[String], shown: &[impl AsRef<str>]) {
    let got: Vec<String> = printed.iter().map(|l| normalise(l)).collect();
    let wanted: Vec<String> = shown.iter().map(|l| normalise(l.as_ref())).collect();
    assert!(
        got == wanted,
        "{block_name}: {what} differs.\n--- the programs printed (masked) ---\n{}\n--- the chapter shows ---\n{}",
        printed.join("\n"),
        shown.iter().map(AsRef::as_ref).collect::<Vec<_>>().join("\n")
    );
}

/// A directory as the programs see it (no symbolic links), for masking.
fn canonical(dir: &Path) -> String {
    std::fs::canonicalize(dir)
        .unwrap_or_else(|_| dir.to_path_buf())
        .display()
        .to_string()
}

/// Runs every `$ command` of a block to its end and compares its output
/// (stdout, then stderr) with the lines under it, up to the next `$` line.
fn replay_commands(block_name: &str, cwd: &Path) {
    replay_commands_with(block_name, cwd, &[])
}

/// [`replay_commands`], with `extra` arguments after each command's own.
fn replay_commands_with(block_name: &str, cwd: &Path, extra: &[String]) {
    replay_commands_on(block_name, cwd, extra, None)
}

/// [`replay_commands_with`]; with `port`, that port is written as the
/// chapter's 7007 and the one after it as 7008 (a suggested other port).
fn replay_commands_on(block_name: &str, cwd: &Path, extra: &[String], port: Option<u16>) {
    let unmask = |line: &str| match port {
        Some(port) => {
            let line = replace_word(line, &port.to_string(), SHOWN_PORT);
            replace_word(&line, &(port + 1).to_string(), "7008")
        }
        None => line.to_string(),
    };
    let lines = block(block_name);
    let mut at = 0;
    while at < lines.len() {
        let command = lines[at].strip_prefix("$ ").unwrap_or_else(|| {
            panic!(
                "{block_name}: expected a `$ command`, found {:?}",
                lines[at]
            )
        });
        let mut expected: Vec<&str> = lines[at + 1..]
            .iter()
            .take_while(|line| !line.starts_with("$ "))
            .map(String::as_str)
            .collect();
        at += 1 + expected.len();
        while expected.last().is_some_and(|line| line.is_empty()) {
            expected.pop();
        }
        let call = invocation(command);
        let output = Command::new(executable(&call.program))
            .args(&call.args)
            .args(extra)
            .env_remove("CHATROOM_PASSWORD")
            .env_remove("CHATROOM_ADMIN_PASSWORD")
            .env_remove("CHATROOM_DIRECT_SEND") // the fast path as a reader has it
            .envs(call.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("XDG_CONFIG_HOME", cwd)
            .env("HOME", cwd)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {command}: {e}"));
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let printed: Vec<String> = printed.lines().map(|l| normalise(&unmask(l))).collect();
        let wanted: Vec<String> = expected.iter().map(|l| normalise(l)).collect();
        assert!(
            printed == wanted,
            "{block_name}: `{command}` printed something else.\n--- it printed ---\n{}\n--- the chapter shows ---\n{}",
            String::from_utf8_lossy(&[output.stdout, output.stderr].concat()),
            expected.join("\n")
        );
    }
}

/// Writes a block that shows a file (a settings file, a history) to
/// `path`: every line of the block, or, when the block starts with
/// `$ cat FILE`, the lines under that command.
fn write_block(block_name: &str, path: &Path) {
    let lines = block(block_name);
    let lines = match lines.first() {
        Some(first) if first.starts_with("$ cat ") => &lines[1..],
        _ => &lines[..],
    };
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create the file's directory");
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Runs a block's `curl -i URL` against the server at `port` and compares
/// the answer, headers and body, with the block (see the masks above).
fn replay_curl(block_name: &str, masks: &Masks) {
    let lines = block(block_name);
    let command = lines[0]
        .strip_prefix("$ ")
        .unwrap_or_else(|| panic!("{block_name} starts with `$ curl …`"));
    let port = masks.port.expect("curl needs the server's port");
    let args: Vec<String> = invocation(command)
        .args
        .iter()
        .map(|arg| match arg.strip_prefix("http://") {
            Some(rest) => {
                let path = rest.find('/').map_or("/", |at| &rest[at..]);
                format!("http://127.0.0.1:{port}{path}")
            }
            None => arg.clone(),
        })
        .collect();
    let output = Command::new("curl")
        .arg("--silent")
        .arg("--max-time")
        .arg(TIMEOUT.as_secs().to_string())
        .args(&args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run curl: {e}"));
    assert!(
        output.status.success(),
        "{command}: curl failed: {output:?}"
    );
    let answer = String::from_utf8_lossy(&output.stdout).into_owned();
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("{command}: no end of headers in {answer:?}"));
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("Content-Length: "))
        .map(|n| n.trim().parse::<usize>().expect("a number"));
    assert_eq!(
        length,
        Some(body.len()),
        "{command}: Content-Length and the body disagree"
    );
    let hide_length = |line: &str| match line.strip_prefix("Content-Length: ") {
        Some(_) => "Content-Length: …".to_string(),
        None => line.to_string(),
    };
    let printed: Vec<String> = answer
        .lines()
        .map(|line| line.trim_end_matches('\r'))
        .filter_map(|line| masks.apply(line))
        .map(|line| hide_length(&line))
        .collect();
    let shown: Vec<String> = lines[1..].iter().map(|line| hide_length(line)).collect();
    compare(block_name, command, &printed, &shown);
}

/// Step 1: the echo server's first log line, and a person on `nc`.
#[test]
fn step1_echo_with_nc() {
    if !common::programs::installed(&["nc"]) {
        return;
    }
    let cwd = TempDir::new("readme-step1");
    let mut server = chat_server(&start_command("step1-server"), cwd.path());
    expect_start_log(&mut server, "step1-server", 1);
    replay(
        &[('n', &["step1-nc"])],
        &[],
        server.addr.port(),
        cwd.path(),
        "nnn",
    );
}

/// Step 1: the echo server on UDP, and a person on `nc -u` (the test sends
/// the datagrams `nc -u` would, from a socket of its own).
#[test]
fn step1_udp_echo() {
    let cwd = TempDir::new("readme-step1-udp");
    let shown = block("step1-udp-server");
    let mut server = chat_server(&start_command("step1-udp-server"), cwd.path());
    expect_start_log(&mut server, "step1-udp-server", 1);
    let port = server.addr.port();
    let lines = block("step1-udp-nc");
    let command = lines[0]
        .strip_prefix("$ ")
        .expect("step1-udp-nc starts with `$ nc -u …`");
    let call = invocation(command);
    assert_eq!(
        (call.program.as_str(), call.args.as_slice()),
        (
            "nc",
            &["-u".to_string(), "127.0.0.1".into(), SHOWN_PORT.into()][..]
        ),
        "step1-udp-nc: the command the test stands in for"
    );
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("a UDP socket");
    socket
        .set_read_timeout(Some(TIMEOUT))
        .expect("a read timeout");
    socket
        .connect(("127.0.0.1", port))
        .expect("the echo server's address");
    let mut printed = Vec::new();
    for line in &lines[1..] {
        if let Some(typed) = line.strip_prefix("> ") {
            printed.push(line.clone());
            socket
                .send(format!("{typed}\n").as_bytes())
                .expect("send a datagram");
            let mut buffer = [0u8; 2048];
            let n = socket.recv(&mut buffer).expect("the echo, in time");
            let echo = String::from_utf8_lossy(&buffer[..n]);
            printed.extend(echo.lines().map(str::to_string));
        } else if line == "^C" {
            printed.push(line.clone());
        }
    }
    compare("step1-udp-nc", command, &printed, &lines[1..]);
    server.signal("INT");
    let status = server.wait_exit();
    assert!(status.success(), "the echo server exited with {status}");
    let log = server.whole_log();
    let wanted: Vec<String> = shown[2..]
        .iter()
        .map(|line| line.trim_start_matches("^C").to_string())
        .collect();
    compare(
        "step1-udp-server",
        "the server's log",
        &masked(&Masks::for_port(port), &log[1..]),
        &wanted,
    );
}

/// Running a class: making the accounts and listing them (the codes are
/// random; the test's accounts use fewer hash iterations, to be quick).
#[test]
fn class_accounts() {
    let cwd = TempDir::new("readme-accounts");
    replay_commands_with(
        "class-accounts",
        cwd.path(),
        &["--iterations".to_string(), "1000".to_string()],
    );
}

/// The browser chapter's server: what it prints at start.
#[test]
fn browser_server_start() {
    let cwd = TempDir::new("readme-browser");
    let (mut server, _, _) = start_and_check("browser-server", cwd.path());
    server.signal("INT");
    let status = server.wait_exit();
    assert!(status.success(), "the server exited with {status}");
}

/// Step 3: the client's settings file (`$ cat` shows it), the sessions run
/// with it against the echo server, a flag winning over it (that session
/// ends with Ctrl-D, as the chapter says), and a mistake in it.
#[test]
fn step3_settings_file() {
    let cwd = TempDir::new("readme-step3-settings");
    let server = chat_server(&start_command("step1-server"), cwd.path());
    let lines = block("step3-settings");
    let mut segments: Vec<(String, Vec<String>)> = Vec::new();
    for line in &lines {
        match line.strip_prefix("$ ") {
            Some(command) => segments.push((command.to_string(), Vec::new())),
            None => segments
                .last_mut()
                .expect("step3-settings starts with `$ cat`")
                .1
                .push(line.clone()),
        }
    }
    let (cat, file) = &segments[0];
    assert_eq!(cat, "cat ~/.config/chatroom/client.toml");
    // The test's terminals have XDG_CONFIG_HOME set to their directory.
    let path = cwd.join("chatroom/client.toml");
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("the settings folder");
    let text: String = file.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(&path, text).expect("write client.toml");
    for (command, shown) in &segments[1..] {
        let mut terminal = Terminal::start(command, server.addr.port(), cwd.path());
        let typed_quit = shown.iter().any(|line| line == "> /quit");
        for (at, line) in shown.iter().enumerate() {
            match line.strip_prefix("> ") {
                Some(text) => terminal.type_line(text, text, &None),
                None => {
                    if !typed_quit && at + 1 == shown.len() {
                        terminal.keyboard = None; // Ctrl-D
                    }
                    terminal.expect(line);
                }
            }
        }
        terminal.finish();
    }

    // A mistake in the file: the path is shown under the chapters' home.
    let lines = block("step3-settings-error");
    assert_eq!(lines[0], "$ cat ~/.config/chatroom/client.toml");
    let at = lines
        .iter()
        .position(|line| line.starts_with("$ cargo"))
        .expect("the command after the file");
    let home = cwd.join("home");
    let path = home.join(".config/chatroom/client.toml");
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("the settings folder");
    let text: String = lines[1..at]
        .iter()
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&path, text).expect("write client.toml");
    let call = invocation(&lines[at][2..]);
    let output = Command::new(executable(&call.program))
        .args(&call.args)
        .env_remove("XDG_CONFIG_HOME")
        .env("HOME", &home)
        .current_dir(cwd.path())
        .stdin(Stdio::null())
        .output()
        .expect("run the step 3 client");
    assert_eq!(
        output.status.code(),
        Some(2),
        "step3-settings-error: exit status"
    );
    let printed: Vec<String> = String::from_utf8_lossy(&[output.stdout, output.stderr].concat())
        .lines()
        .map(|line| line.replace(&home.display().to_string(), "/home/lee"))
        .collect();
    compare(
        "step3-settings-error",
        &lines[at],
        &printed,
        &lines[at + 1..],
    );
}

/// Step 1: a mistyped flag and `--help`.
#[test]
fn step1_flags() {
    replay_commands("step1-flags", TempDir::new("readme-step1-flags").path());
}

/// Step 1: a second echo server on a port that is taken.
#[test]
fn step1_port_in_use() {
    let cwd = TempDir::new("readme-step1-in-use");
    let server = chat_server(&start_command("step1-server"), cwd.path());
    let port = server.addr.port();
    replay_commands_on(
        "step1-in-use",
        cwd.path(),
        &[
            "--host".into(),
            "127.0.0.1".into(),
            "--port".into(),
            port.to_string(),
        ],
        Some(port),
    );
}

/// Step 2: the line client against the echo server, ending with `quit` and
/// with Ctrl-D.
#[test]
fn step2_client_against_echo() {
    let cwd = TempDir::new("readme-step2");
    let server = chat_server(&start_command("step1-server"), cwd.path());
    for name in ["step2-quit", "step2-eof"] {
        let (_, items) = session(&[name], &["send: "]);
        let typed = items
            .iter()
            .filter(|item| matches!(item, Item::Typed { .. }))
            .count();
        let schedule = "c".repeat(typed);
        replay(
            &[('c', &[name])],
            &["send: "],
            server.addr.port(),
            cwd.path(),
            &schedule,
        );
    }
}

/// Step 2: the client with nobody listening on its port.
#[test]
fn step2_no_server() {
    let cwd = TempDir::new("readme-step2-refused");
    // A port that was free a moment ago: bound, then let go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    replay_commands_with(
        "step2-refused",
        cwd.path(),
        &["--port".into(), port.to_string()],
    );
}

/// Step 3: the chat client against the echo server shows the protocol.
#[test]
fn step3_client_against_echo() {
    let cwd = TempDir::new("readme-step3-echo");
    let server = chat_server(&start_command("step1-server"), cwd.path());
    replay(
        &[('j', &["step3-echo"])],
        &["name: "],
        server.addr.port(),
        cwd.path(),
        "jjjjj",
    );
}

/// Step 3: the echo server stops while the chat client waits for a line.
#[test]
fn step3_server_goes_away() {
    let cwd = TempDir::new("readme-step3-gone");
    let server = chat_server(&start_command("step1-server"), cwd.path());
    let port = server.addr.port();
    let mut server = Some(server);
    let mut windows = windows(&[('j', &["step3-gone"])], &["name: "]);
    play(
        &mut windows,
        "j .j 1",
        &|command| Terminal::start(command, port, cwd.path()),
        &[],
        &mut |_| {
            // Ctrl-C in the echo server's terminal.
            let mut stopped = server.take().expect("the server runs once");
            stopped.signal("INT");
            stopped.wait_exit();
        },
    );
}

/// Step 3: alice and bob in two chat clients, through the step 4 server.
#[test]
fn step3_clients_through_step4() {
    let cwd = TempDir::new("readme-step3-chat");
    let server = chat_server(&start_command("step4-server"), cwd.path());
    // The two commands the chapter gives first are the windows' commands.
    let commands: Vec<String> = block("step3-two-clients")
        .iter()
        .map(|line| words(line.strip_prefix("$ ").expect("a `$ command`")).join(" "))
        .collect();
    let windows: Vec<String> = ["step3-alice", "step3-bob"]
        .iter()
        .map(|name| words(&start_command(name)).join(" "))
        .collect();
    assert_eq!(
        commands, windows,
        "step3-two-clients: alice's and bob's commands"
    );
    // alice names herself; bob arrives; they talk; bob whispers; alice asks
    // who is here, bob moves to #rust, alice lists the rooms; both quit.
    replay(
        &[('a', &["step3-alice"]), ('b', &["step3-bob"])],
        &["name: "],
        server.addr.port(),
        cwd.path(),
        "a .a B a b a b a .a b a a b",
    );
}

/// Step 4: everything the server prints at start, alice and bob on `nc`
/// in chat mode, and the server's log until Ctrl-C.
#[test]
fn step4_two_people_on_nc() {
    if !common::programs::installed(&["nc"]) {
        return;
    }
    let cwd = TempDir::new("readme-step4");
    let (mut server, masks, start_lines) = start_and_check("step4-server", cwd.path());
    replay(
        &[('a', &["step4-alice"]), ('b', &["step4-bob"])],
        &[],
        server.addr.port(),
        cwd.path(),
        "a .a.a b a b a b a a a b b b",
    );
    stop_and_check_log(&mut server, &masks, start_lines, "step4-log");
}

/// Step 4: the same server in its protocol dialect, alice and bob on `nc`.
#[test]
fn step4_protocol_dialect_on_nc() {
    if !common::programs::installed(&["nc"]) {
        return;
    }
    let cwd = TempDir::new("readme-step4-protocol");
    let server = chat_server(&start_command("step4-server"), cwd.path());
    replay(
        &[
            ('a', &["step4-protocol-alice"]),
            ('b', &["step4-protocol-bob"]),
        ],
        &[],
        server.addr.port(),
        cwd.path(),
        "a a a .a b b b a b b b b",
    );
}

/// Who types when in "Running a class", in the chapter's order: lee opens
/// the room (`t`), alice arrives (`a`) and lee answers her, bob arrives
/// late (`b`), someone fetches the help page (`1`), bob gets carried away
/// and lee mutes, unmutes, announces and kicks, alice leaves, and the
/// server is stopped (`2`).
const CLASS_SCHEDULE: &str = "t t t t |t  a a a  t |a  b b b |b  1  \
    b b b b  t  b b  t  b b .b  t t |t |b  a |a .t  2";

/// Running a class, top to bottom, as the chapter tells it: one fresh data
/// directory, one server for the class (its start, three windows, the help
/// page, its whole log), the transcript and attendance of that class, then
/// the next class's settings file on the same data directory.
#[test]
fn running_a_class_in_reading_order() {
    if !common::programs::installed(&["nc", "curl"]) {
        return;
    }
    let cwd = TempDir::new("readme-class");
    let (mut server, masks, start_lines) = start_and_check("class-server", cwd.path());
    let port = server.addr.port();
    let (real_password, shown_password) = masks.password.clone().expect("an operator password");
    let mut class = windows(
        &[
            (
                't',
                &["class-lee", "class-lee-2", "class-lee-3", "class-lee-4"],
            ),
            ('a', &["class-alice", "class-alice-2"]),
            ('b', &["class-bob", "class-bob-2"]),
        ],
        &[],
    );
    let stopping = std::cell::Cell::new(false);
    play(
        &mut class,
        CLASS_SCHEDULE,
        &|command| Terminal::start(command, port, cwd.path()),
        &[(shown_password.as_str(), real_password.as_str())],
        &mut |turn| match turn {
            '1' => replay_curl("class-curl", &masks),
            '2' => {
                server.signal("INT");
                stopping.set(true);
            }
            _ => panic!("no action {turn:?}"),
        },
    );
    assert!(stopping.get(), "the schedule stops the server");
    drop(class);
    let status = server.wait_exit();
    assert!(status.success(), "the class server exited with {status}");
    let log = server.whole_log();
    let shown: Vec<String> = block("class-log")
        .iter()
        .map(|line| line.trim_start_matches("^C").to_string())
        .collect();
    compare(
        "class-log",
        "the server's log",
        &masked(&masks, &log[start_lines..]),
        &shown,
    );

    // After class: what the history says about it.
    replay_commands("class-transcript", cwd.path());
    replay_commands("class-attendance", cwd.path());

    // The next class: a settings file, the same data directory.
    write_block("class-toml", &cwd.join("class.toml"));
    let (mut server, masks, start_lines) = start_and_check("class-restart", cwd.path());
    let port = server.addr.port();
    let mut next_class = windows(
        &[
            ('x', &["class-timeout"]),
            ('y', &["class-timeout"]),
            ('z', &["class-refused"]),
        ],
        &[],
    );
    play(
        &mut next_class,
        "X .x Y .y Z .z",
        &|command| Terminal::start(command, port, cwd.path()),
        &[],
        &mut |turn| panic!("no action {turn:?}"),
    );
    drop(next_class);
    stop_and_check_log(&mut server, &masks, start_lines, "class-restart-log");
}

/// Message history: the chapter's history file, and every `transcript` and
/// `attendance` example read from it.
#[test]
fn history_transcript_and_attendance() {
    let cwd = TempDir::new("readme-history");
    let file = block("history-file");
    assert_eq!(
        file.first().map(String::as_str),
        Some("$ cat chatroom-data/history.tsv")
    );
    write_block("history-file", &cwd.join("chatroom-data/history.tsv"));
    for name in [
        "history-transcript",
        "history-private",
        "history-narrow",
        "history-attendance",
    ] {
        replay_commands(name, cwd.path());
    }
}

/// Configuration: `--print-config` with the chapter's example file in the
/// current directory prints every setting, exactly as the chapter shows.
#[test]
fn configuration_print_config() {
    let cwd = TempDir::new("readme-config");
    write_block("config-file", &cwd.join("chatroom.toml"));
    replay_commands("config-print", cwd.path());
    // Byte for byte, too: nothing in it varies, so nothing is normalised.
    let shown = block("config-print");
    let call = invocation(shown[0].strip_prefix("$ ").expect("a `$` command"));
    let output = Command::new(executable(&call.program))
        .args(&call.args)
        .env_remove("CHATROOM_ADMIN_PASSWORD")
        .env_remove("CHATROOM_DIRECT_SEND") // the fast path as a reader has it
        .envs(call.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .current_dir(cwd.path())
        .output()
        .expect("run step4_server --print-config");
    let printed = String::from_utf8(output.stdout).expect("UTF-8");
    let wanted: String = shown[1..].iter().map(|line| format!("{line}\n")).collect();
    assert_eq!(printed, wanted, "config-print, byte for byte");
}

/// Configuration: flags the server does not take.
#[test]
fn configuration_bad_flags() {
    replay_commands("config-bad-flags", TempDir::new("readme-bad-flags").path());
}

/// The settings file behind each error of the chapter's `config-errors`,
/// by the comment after its command (the line numbers in the errors are
/// these files' lines). A command without a comment runs with none.
const WRONG_SETTINGS: &[(&str, &str)] = &[
    (
        "chatroom.toml has \"prot = 7007\" on line 4",
        "# the class's server\n[server]\nhost = \"0.0.0.0\"\nprot = 7007\n",
    ),
    ("port = \"7007\"", "[server]\nport = \"7007\"\n"),
    ("port under [limits]", "[limits]\nport = 7007\n"),
    (
        "a section header [sever], even with nothing under it",
        "[sever]\n",
    ),
    ("max_line_bytes = 8", "max_line_bytes = 8\n"),
    (
        "default_room = \"general room\"",
        "default_room = \"general room\"\n",
    ),
    ("motd = Welcome", "motd = Welcome\n"),
    ("[history] history = yes", "[history]\nhistory = yes\n"),
];

/// Runs a chapter command in `cwd` with a time limit, as the reader types
/// it; returns its exit code and what it printed (stdout, then stderr).
fn run_briefly(command: &str, cwd: &Path) -> (Option<i32>, Vec<String>) {
    let call = invocation(command);
    let mut child = Command::new(executable(&call.program))
        .args(&call.args)
        .env_remove("CHATROOM_PASSWORD")
        .env_remove("CHATROOM_ADMIN_PASSWORD")
        .envs(call.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("XDG_CONFIG_HOME", cwd)
        .env("HOME", cwd)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command}: {e}"));
    let deadline = Instant::now() + TIMEOUT;
    while child.try_wait().expect("wait for the command").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{command}` was still running after {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().expect("the command's output");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (
        output.status.code(),
        printed.lines().map(str::to_string).collect(),
    )
}

/// Configuration: each wrong settings file the chapter describes, and the
/// one line the server refuses it with (exit status 2).
#[test]
fn configuration_wrong_settings() {
    let cwd = TempDir::new("readme-wrong-settings");
    let file = cwd.join("chatroom.toml");
    let lines = block("config-errors");
    let mut at = 0;
    while at < lines.len() {
        let command = lines[at].strip_prefix("$ ").unwrap_or_else(|| {
            panic!(
                "config-errors: expected a `$ command`, found {:?}",
                lines[at]
            )
        });
        let shown: Vec<&String> = lines[at + 1..]
            .iter()
            .take_while(|line| !line.starts_with("$ "))
            .collect();
        at += 1 + shown.len();
        let comment = command.split_once("  #").map(|(_, c)| c.trim());
        match comment {
            Some(comment) => {
                let text = WRONG_SETTINGS
                    .iter()
                    .find(|(said, _)| *said == comment)
                    .unwrap_or_else(|| panic!("no settings file in WRONG_SETTINGS for {comment:?}"))
                    .1;
                std::fs::write(&file, text).expect("write chatroom.toml");
            }
            None => {
                let _ = std::fs::remove_file(&file);
            }
        }
        let (code, printed) = run_briefly(command, cwd.path());
        compare("config-errors", command, &printed, &shown);
        assert_eq!(code, Some(2), "config-errors: `{command}` exit status");
    }
}

/// Message history: `transcript` on the chapter's history file with a
/// damaged line and a half-written record added to its end.
#[test]
fn history_damaged_lines() {
    let cwd = TempDir::new("readme-history-damaged");
    let path = cwd.join("chatroom-data/history.tsv");
    write_block("history-file", &path);
    let mut text = std::fs::read_to_string(&path).expect("the history file");
    // An editor's spaces for tabs, then a record cut off before its end.
    text.push_str("2026-11-21T10:07:00.000Z msg 3 #general alice bye 00000000\n");
    text.push_str("2026-11-21T10:07:10.000Z\tmsg\t3\t#gen");
    std::fs::write(&path, text).expect("write the history file");
    replay_commands("history-damaged", cwd.path());
}

/// Every marker in the chapters is replayed by the test [`REPLAYED`] names,
/// and docs/developers.md lists exactly [`REPLAYED`].
#[test]
fn every_marked_transcript_is_replayed() {
    let mut marked = Vec::new();
    for (file, text) in chapters() {
        for (name, _) in markers(text) {
            marked.push((name.to_string(), file.clone()));
        }
    }
    let listed: Vec<&str> = REPLAYED
        .iter()
        .flat_map(|(_, markers)| markers.iter().copied())
        .collect();
    for (name, file) in &marked {
        assert!(
            listed.contains(&name.as_str()),
            "{file} marks {name:?}, which no test replays (add it to REPLAYED and a test)"
        );
    }
    for name in &listed {
        let times = marked.iter().filter(|(marker, _)| marker == name).count();
        assert_eq!(times, 1, "marker {name:?} is in the chapters {times} times");
    }
    // The table in docs/developers.md: `| marker, marker | test |`.
    let developers = &chapters()
        .iter()
        .find(|(file, _)| file == "docs/developers.md")
        .expect("docs/developers.md")
        .1;
    let rows: Vec<(Vec<String>, String)> = developers
        .lines()
        .filter(|line| line.starts_with("| `") && line.ends_with("` |"))
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            match cells.as_slice() {
                [markers, test] if test.starts_with('`') && !test.contains(' ') => Some((
                    markers
                        .split(", ")
                        .map(|m| m.trim_matches('`').to_string())
                        .collect(),
                    test.trim_matches('`').to_string(),
                )),
                _ => None,
            }
        })
        .collect();
    let expected: Vec<(Vec<String>, String)> = REPLAYED
        .iter()
        .map(|(test, markers)| {
            (
                markers.iter().map(|m| m.to_string()).collect(),
                test.to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows, expected,
        "docs/developers.md's table of replayed transcripts should list REPLAYED, in order"
    );
}

/// Every relative link in README.md and docs/ leads to a file that exists,
/// and every `#anchor` to a heading of that file, as a forge renders them.
#[test]
fn links_between_chapters_work() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (file, text) in chapters() {
        let dir = root.join(file).parent().expect("a folder").to_path_buf();
        for target in links(text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let linked: PathBuf = match path {
                "" => root.join(file),
                path => dir.join(path),
            };
            assert!(
                linked.exists(),
                "{file}: the link ({target}) leads to no file"
            );
            if let Some(anchor) = anchor {
                let text = std::fs::read_to_string(&linked)
                    .unwrap_or_else(|e| panic!("{file}: read {}: {e}", linked.display()));
                assert!(
                    anchors(&text).iter().any(|a| a == anchor),
                    "{file}: the link ({target}) names no heading of {}; its anchors are {:?}",
                    linked.display(),
                    anchors(&text)
                );
            }
        }
    }
}

/// The targets of the Markdown links `[text](target)` outside code.
fn links(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for line in prose_lines(text) {
        let line = without_code_spans(line);
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            match after.find(')') {
                Some(end) => targets.push(after[..end].to_string()),
                None => break,
            }
            rest = &after[1..];
        }
    }
    targets
}

/// The anchors a forge makes of a file's headings: lower case, letters,
/// digits, `-` and `_` kept, spaces made `-`, everything else dropped.
fn anchors(text: &str) -> Vec<String> {
    prose_lines(text)
        .filter_map(|line| {
            let title = line.trim_start_matches('#');
            (line.starts_with('#') && title.starts_with(' ')).then(|| {
                title
                    .trim()
                    .chars()
                    .filter_map(|c| match c {
                        ' ' => Some('-'),
                        '-' | '_' => Some(c),
                        c if c.is_alphanumeric() => Some(c.to_lowercase().next().unwrap_or(c)),
                        _ => None,
                    })
                    .collect()
            })
        })
        .collect()
}

/// The lines of a Markdown text outside fenced code blocks.
fn prose_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut in_code = false;
    text.lines().filter(move |line| {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            return false;
        }
        !in_code
    })
}

/// A line with its `code spans` removed.
fn without_code_spans(line: &str) -> String {
    line.split('`').step_by(2).collect::<Vec<_>>().join("")
}

#[test]
fn normalise_keeps_words_and_hides_times_and_addresses() {
    assert_eq!(
        normalise("bob    one-time code: c9RtvW4aYe"),
        "bob    one-time code: …"
    );
    assert_eq!(
        normalise("alice  student   one-time code not used yet"),
        "alice  student   one-time code not used yet"
    );
    assert_eq!(
        normalise("2026-11-21T10:43:27.975Z Accepted connection from: 127.0.0.1:58614"),
        "… Accepted connection from: …"
    );
    assert_eq!(
        normalise("[10:43:01] alice: hi (2 users)"),
        "[…] alice: hi (2 users)"
    );
    assert_eq!(normalise("2026-11-21 10:42:59 #general"), "… … #general");
    assert_eq!(
        normalise("2026-11-21T10:42:58.248Z Chat server started on 0.0.0.0:7007 (pid 4242)"),
        "… Chat server started on … (pid …)"
    );
}

#[test]
fn masks_write_a_run_the_chapters_way() {
    let masks = Masks {
        port: Some(41523),
        password: Some(("Real".into(), "Shown".into())),
        dir: Some("/tmp/x".into()),
    };
    assert_eq!(
        masks.apply("nc 127.0.0.1 41523 or port 415230").as_deref(),
        Some("nc 127.0.0.1 7007 or port 415230")
    );
    assert_eq!(
        masks
            .apply("type /op Real; file /tmp/x/class.toml")
            .as_deref(),
        Some("type /op Shown; file /home/lee/class/class.toml")
    );
    assert_eq!(
        masks
            .apply("    (only this machine can connect: the server listens on a loopback address)"),
        None
    );
}
