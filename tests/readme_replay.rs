//! The README's transcripts, replayed against the real programs, so the
//! tutorial cannot drift from the code (the idea of rust-csv's tutorial).
//!
//! A transcript the tests replay is marked in README.md with a comment on the
//! line before its code block: `<!-- replay: step1-nc -->`. Each test here
//! takes one or more marked blocks, runs the commands they show (the real
//! binaries, the real `nc` and `telnet`), types the lines they show as typed
//! (`> text`, or the text after a client's own prompt such as `send: `), and
//! compares every other line with what the programs print, line by line.
//!
//! Only what must vary between runs is normalised, on both sides: times and
//! dates, `ip:port` addresses (every test server runs on `--port 0`), and the
//! operator password, which the test reads from the server's banner and types
//! wherever the README types the one it shows.
//!
//! When a transcript no longer matches, the failure prints what the programs
//! really showed, written the README's way: check it is right, paste it over
//! the block, and run the test again (the README's developer section says so).

mod common;

use common::TempDir;
use common::{bin, lines_of, Server, TIMEOUT};
use std::io::Write;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

const README: &str = include_str!("../README.md");

/// The lines of the code block that follows `<!-- replay: name -->`.
fn block(name: &str) -> Vec<String> {
    let marker = format!("<!-- replay: {name} -->");
    let start = README
        .find(&marker)
        .unwrap_or_else(|| panic!("README.md has no {marker}"));
    let mut lines = README[start + marker.len()..].lines();
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

/// One line of an interactive transcript.
#[derive(Clone, Debug)]
enum Item {
    /// A line the person typed: shown as `> text` in the README, or after a
    /// client's prompt (`send: text`), in which case `prompt` is that prompt.
    Typed {
        text: String,
        prompt: Option<String>,
    },
    /// A line the program printed.
    Shown(String),
}

/// An interactive transcript: the `$ command` line, then what was typed and
/// shown. `prompts` are the client's own prompts (`name: `, `send: `).
fn session(lines: &[String], prompts: &[&str]) -> (String, Vec<Item>) {
    let command = lines
        .first()
        .and_then(|line| line.strip_prefix("$ "))
        .unwrap_or_else(|| panic!("a replayed session starts with `$ command`: {lines:?}"))
        .to_string();
    let items = lines[1..]
        .iter()
        .map(|line| {
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
            Item::Shown(line.clone())
        })
        .collect();
    (command, items)
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

/// The program and arguments a README command runs: `cargo run [--release]
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

/// The path to run for a README program name.
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

/// A program a person types into: its stdin is the keyboard, its stdout the
/// screen. Killed when dropped.
struct Terminal {
    label: String,
    child: Child,
    keyboard: Option<ChildStdin>,
    screen: Receiver<String>,
    errors: Receiver<String>,
    /// The client's prompt that is still in front of the next screen line.
    prompt: Option<String>,
    /// What happened so far, written the README's way, for failure messages.
    shown: Vec<String>,
}

impl Terminal {
    /// Starts a README command against a server at `port` (0: none).
    fn start(command: &str, port: u16, env: &[(&str, &str)], cwd: &Path) -> Terminal {
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
            .envs(call.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(env.iter().copied())
            .env_remove("CHATROOM_PASSWORD")
            .env("XDG_CONFIG_HOME", cwd)
            .env("HOME", cwd)
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some((_, password)) = call.env.iter().find(|(k, _)| k == "CHATROOM_PASSWORD") {
            process.env("CHATROOM_PASSWORD", password);
        }
        let mut child = process
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command}: {e}"));
        Terminal {
            label: command.to_string(),
            keyboard: child.stdin.take(),
            screen: lines_of(child.stdout.take().expect("stdout piped")),
            errors: lines_of(child.stderr.take().expect("stderr piped")),
            child,
            prompt: None,
            shown: vec![format!("$ {command}")],
        }
    }

    fn fail(&mut self, why: &str) -> ! {
        let errors: Vec<String> = self.errors.try_iter().collect();
        let rest: Vec<String> = self.screen.try_iter().collect();
        panic!(
            "{}: {why}\n--- what the programs showed, the README's way ---\n{}\n{}\n--- stderr ---\n{}",
            self.label,
            self.shown.join("\n"),
            rest.join("\n"),
            errors.join("\n")
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
                        "showed {line:?} where the README shows {wanted:?}"
                    ));
                }
            }
            None => self.fail(&format!("ended where the README shows {wanted:?}")),
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
                        "showed {line:?} after the README's transcript ends"
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

/// One person's window in a replay: its name in the schedule, the README
/// command that opens it, what it shows, and the program once started.
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
/// client starts after alice's first line), and `.a` makes alice's window
/// show just its next line (to wait for a reply before someone else acts).
/// Before typing, a window shows
/// everything the README shows before that line; at the end, each shows the
/// rest of its transcript. `typed` replaces README text in typed lines (the
/// operator password of this run).
fn play(
    windows: &mut [Window],
    schedule: &str,
    open: &dyn Fn(&str) -> Terminal,
    typed: &[(&str, &str)],
) {
    let mut one_line = false;
    for turn in schedule.chars().filter(|c| !c.is_whitespace()) {
        if turn == '.' {
            one_line = true;
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
        if std::mem::take(&mut one_line) {
            match window.items.get(window.next).cloned() {
                Some(Item::Shown(line)) => terminal.expect(&line),
                _ => terminal.fail("the schedule waits for a line the README does not show next"),
            }
            window.next += 1;
            continue;
        }
        loop {
            let item = window.items.get(window.next).cloned();
            window.next += 1;
            match item {
                Some(Item::Shown(line)) => terminal.expect(&line),
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
                Item::Typed { text, .. } => {
                    terminal.fail(&format!("the schedule never typed {text:?}"))
                }
            }
        }
        terminal.finish();
    }
}

/// The windows for `(name, block)` pairs.
fn windows(sessions: &[(char, &str)], prompts: &[&str]) -> Vec<Window> {
    sessions
        .iter()
        .map(|(name, block_name)| {
            let (command, items) = session(&block(block_name), prompts);
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
fn replay(
    sessions: &[(char, &str)],
    prompts: &[&str],
    port: u16,
    cwd: &Path,
    schedule: &str,
    typed: &[(&str, &str)],
) {
    let mut windows = windows(sessions, prompts);
    play(
        &mut windows,
        schedule,
        &|command| Terminal::start(command, port, &[], cwd),
        typed,
    );
}

/// Are the real `nc` and `telnet` installed? Outside CI a missing one skips
/// the test loudly (like tests/real_clients.rs); with `CI=true` it fails.
fn have(program: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false);
    if !found {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "{program} is not installed"
        );
        let _ = writeln!(
            std::io::stderr(),
            "\n!!!!! SKIPPED: {program} not installed; a README replay did not run !!!!!\n"
        );
    }
    found
}

/// A chat server for a chapter, started the way the chapter starts it (the
/// `$` line of `start_block`), on port 0 of 127.0.0.1, in `cwd`.
fn chat_server(start_command: &str, cwd: &Path) -> Server {
    let call = invocation(start_command);
    let mut command = Command::new(executable(&call.program));
    command
        .args(&call.args)
        .args(["--host", "127.0.0.1", "--port", "0"])
        .envs(call.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env_remove("CHATROOM_ADMIN_PASSWORD")
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
/// README shows under its `$` command (times and addresses normalised).
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

/// Runs every `$ command` of a block to its end and compares its output
/// (stdout, then stderr) with the lines under it, up to the next `$` line.
fn replay_commands(block_name: &str, cwd: &Path) {
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
            .envs(call.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(cwd)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {command}: {e}"));
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let printed: Vec<String> = printed.lines().map(normalise).collect();
        let wanted: Vec<String> = expected.iter().map(|l| normalise(l)).collect();
        assert!(
            printed == wanted,
            "{block_name}: `{command}` printed something else.\n--- it printed ---\n{}\n--- the README shows ---\n{}",
            String::from_utf8_lossy(&[output.stdout, output.stderr].concat()),
            expected.join("\n")
        );
    }
}

/// Step 1: the echo server's first log line, and a person on `nc`.
#[test]
fn step1_echo_with_nc() {
    if !have("nc") {
        return;
    }
    let cwd = TempDir::new("readme-step1");
    let mut server = chat_server(&start_command("step1-server"), cwd.path());
    expect_start_log(&mut server, "step1-server", 1);
    replay(
        &[('n', "step1-nc")],
        &[],
        server.addr.port(),
        cwd.path(),
        "nnn",
        &[],
    );
}

/// Step 1: a mistyped flag and `--help`.
#[test]
fn step1_flags() {
    replay_commands("step1-flags", TempDir::new("readme-step1-flags").path());
}

/// Step 2: the line client against the echo server, ending with `quit` and
/// with Ctrl-D.
#[test]
fn step2_client_against_echo() {
    let cwd = TempDir::new("readme-step2");
    let server = chat_server(&start_command("step1-server"), cwd.path());
    for name in ["step2-quit", "step2-eof"] {
        let (_, items) = session(&block(name), &["send: "]);
        let typed = items
            .iter()
            .filter(|item| matches!(item, Item::Typed { .. }))
            .count();
        let schedule = "c".repeat(typed);
        replay(
            &[('c', name)],
            &["send: "],
            server.addr.port(),
            cwd.path(),
            &schedule,
            &[],
        );
    }
}

/// Step 3: the chat client against the echo server shows the protocol.
#[test]
fn step3_client_against_echo() {
    let cwd = TempDir::new("readme-step3-echo");
    let server = chat_server(&start_command("step1-server"), cwd.path());
    replay(
        &[('j', "step3-echo")],
        &["name: "],
        server.addr.port(),
        cwd.path(),
        "jjjjj",
        &[],
    );
}

/// Step 3: alice and bob in two chat clients, through the step 4 server.
#[test]
fn step3_clients_through_step4() {
    let cwd = TempDir::new("readme-step3-chat");
    let server = chat_server(&start_command("step4-server"), cwd.path());
    // alice names herself; bob arrives; they talk; bob whispers; alice asks
    // who is here, bob moves to #rust, alice lists the rooms; both quit.
    replay(
        &[('a', "step3-alice"), ('b', "step3-bob")],
        &["name: "],
        server.addr.port(),
        cwd.path(),
        "a .a.a.a.a.a B a b a b a .a b a a b",
        &[],
    );
}

/// Step 4: the server's start-up log, and alice and bob on `nc`, in chat mode.
#[test]
fn step4_two_people_on_nc() {
    if !have("nc") {
        return;
    }
    let cwd = TempDir::new("readme-step4");
    let mut server = chat_server(&start_command("step4-server"), cwd.path());
    expect_start_log(&mut server, "step4-server", 2);
    replay(
        &[('a', "step4-alice"), ('b', "step4-bob")],
        &[],
        server.addr.port(),
        cwd.path(),
        "a .a.a b a b a b a a a b b b",
        &[],
    );
}

/// Step 4: the same server in its protocol dialect, alice and bob on `nc`.
#[test]
fn step4_protocol_dialect_on_nc() {
    if !have("nc") {
        return;
    }
    let cwd = TempDir::new("readme-step4-protocol");
    let server = chat_server(&start_command("step4-server"), cwd.path());
    replay(
        &[('a', "step4-protocol-alice"), ('b', "step4-protocol-bob")],
        &[],
        server.addr.port(),
        cwd.path(),
        "a a a .a b b b a b b b b",
        &[],
    );
}

/// Who types when in the class replay: lee opens the room, bob arrives and
/// gets carried away, lee mutes, unmutes, announces and kicks.
const CLASS_SCHEDULE: &str = "t t t t .t  b b b b b b b  t .t  b b  t  b b .b  t t";

/// Running a class: the teacher keeps order (password, operator, topic,
/// mute, announce, kick), seen from both windows.
#[test]
fn class_teacher_and_student() {
    if !have("nc") {
        return;
    }
    let cwd = TempDir::new("readme-class");
    let mut server = chat_server(&start_command("class-server"), cwd.path());
    let banner = server.wait_stdout("Operator password for this run: ");
    let password = banner
        .split("Operator password for this run: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the banner names the operator password")
        .to_string();
    let shown_password = block("class-server")
        .iter()
        .find_map(|line| line.strip_prefix("Operator password for this run: "))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the README's banner names an operator password")
        .to_string();
    replay(
        &[('t', "class-lee"), ('b', "class-bob")],
        &[],
        server.addr.port(),
        cwd.path(),
        CLASS_SCHEDULE,
        &[(shown_password.as_str(), password.as_str())],
    );
}

/// Message history: the README's history file, and every `transcript` and
/// `attendance` example read from it.
#[test]
fn history_transcript_and_attendance() {
    let cwd = TempDir::new("readme-history");
    let file = block("history-file");
    assert_eq!(
        file.first().map(String::as_str),
        Some("$ cat chatroom-data/history.tsv")
    );
    let records: String = file[1..].iter().map(|line| format!("{line}\n")).collect();
    std::fs::create_dir_all(cwd.join("chatroom-data")).expect("create data dir");
    std::fs::write(cwd.join("chatroom-data/history.tsv"), records).expect("write history");
    for name in [
        "history-transcript",
        "history-private",
        "history-narrow",
        "history-attendance",
    ] {
        replay_commands(name, cwd.path());
    }
}

#[test]
fn normalise_keeps_words_and_hides_times_and_addresses() {
    assert_eq!(
        normalise("2026-11-21T10:43:27.975Z Accepted connection from: 127.0.0.1:58614"),
        "… Accepted connection from: …"
    );
    assert_eq!(
        normalise("[10:43:01] alice: hi (2 users)"),
        "[…] alice: hi (2 users)"
    );
    assert_eq!(normalise("2026-11-21 10:42:59 #general"), "… … #general");
}
