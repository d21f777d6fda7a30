//! Issue 24, accounts for a class, against the real `step4_server` over
//! real TCP: the `accounts` subcommand and its file, logging in (protocol
//! and chat mode), names that belong to accounts, `--no-guests`, moderation
//! that follows the account (two students behind one address, the kick that
//! keeps an account out), and how fast guessing may go.
//!
//! Accounts here are made with `--iterations 1000`: the tests run a debug
//! build, where the default work factor takes seconds per check.

mod common;

use common::{Client, Server, TempDir};
use std::fs;
use std::net::SocketAddr;
use std::process::{Command, Output};

/// `step4_server accounts …` on `dir/data`.
fn accounts(dir: &TempDir, args: &[&str]) -> Output {
    Command::new(common::bin("step4_server"))
        .arg("accounts")
        .args(args)
        .args(["--iterations", "1000", "--data-dir"])
        .arg(dir.join("data"))
        .output()
        .expect("run step4_server accounts")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Adds accounts and returns each name's one-time code.
fn add(dir: &TempDir, args: &[&str]) -> Vec<(String, String)> {
    let output = accounts(dir, &[&["add"], args].concat());
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
        .lines()
        .map(|line| {
            let (name, code) = line.split_once("  one-time code: ").expect(line);
            (name.trim().to_string(), code.to_string())
        })
        .collect()
}

fn code_of(codes: &[(String, String)], name: &str) -> String {
    codes.iter().find(|(n, _)| n == name).unwrap().1.clone()
}

fn server_command(dir: &TempDir, args: &[&str]) -> Command {
    let mut command = Command::new(common::bin("step4_server"));
    command
        .args(["--port", "0", "--data-dir"])
        .arg(dir.join("data"))
        .args(args)
        .current_dir(dir.path())
        .env_remove("CHATROOM_PASSWORD")
        .env("CHATROOM_ADMIN_PASSWORD", "teach");
    command
}

fn start(dir: &TempDir, args: &[&str]) -> Server {
    let mut command = server_command(dir, args);
    if !args.contains(&"--host") {
        command.args(["--host", "127.0.0.1"]);
    }
    Server::start_with(&mut command)
}

/// Logs in with `LOGIN` in protocol mode and reads up to the welcome.
fn protocol_login(server: &Server, name: &str, password: &str) -> Client {
    let mut client = server.connect();
    client.send(&format!("LOGIN {name} {password}"));
    client.expect(&format!("OK Logged in as {name}"));
    client.expect(&format!("OK Welcome, {name}!"));
    client
}

/// Each student's first login: with the code, then a password of their
/// own (`<name>-password`), as the server requires before they say
/// anything. Returns the passwords, shaped like the codes.
fn choose_passwords(server: &Server, codes: &[(String, String)]) -> Vec<(String, String)> {
    codes
        .iter()
        .map(|(name, code)| {
            let mut client = protocol_login(server, name, code);
            let password = format!("{name}-password");
            client.send(&format!("PASSWORD {password}"));
            client.expect("OK Password changed");
            client.send("QUIT");
            client.read_to_close();
            (name.clone(), password)
        })
        .collect()
}

/// Sends `line` and returns the first `ERROR` line after it (greeting
/// lines may come first).
fn error_after(client: &mut Client, line: &str) -> String {
    client.send(line);
    let mut error = String::new();
    client.read_until(|l| {
        error = l.to_string();
        l.starts_with("ERROR")
    });
    error
}

#[test]
fn the_teacher_makes_lists_resets_and_removes_accounts() {
    let dir = TempDir::new("accounts-cli");
    let codes = add(&dir, &["alice", "bob"]);
    assert_eq!(codes.len(), 2);
    assert_ne!(codes[0].1, codes[1].1);
    let teacher = add(&dir, &["--operator", "lee"]);
    assert_eq!(teacher[0].0, "lee");
    let list = stdout(&accounts(&dir, &["list"]));
    assert_eq!(
        list,
        "name   role      password\n\
         alice  student   one-time code not used yet\n\
         bob    student   one-time code not used yet\n\
         lee    operator  one-time code not used yet\n"
    );
    // The file holds hashes, never a code, and only its owner may read it.
    let file = dir.join("data").join("accounts.tsv");
    let text = fs::read_to_string(&file).unwrap();
    for (_, code) in &codes {
        assert!(!text.contains(code.as_str()));
    }
    assert!(text.contains("pbkdf2-sha256$1000$"));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // A taken name or a look-alike changes nothing, with one line.
    for name in ["Alice", "aIice"] {
        let output = accounts(&dir, &["add", "carol", name]);
        assert_eq!(output.status.code(), Some(1));
        let error = stderr(&output);
        assert!(
            error.starts_with("error: ") && error.lines().count() == 1,
            "{error}"
        );
        assert!(error.contains("nothing was changed"), "{error}");
    }
    assert_eq!(fs::read_to_string(&file).unwrap(), text);

    // A roster file: a mistake names its line, and nothing changes.
    let roster = dir.join("class.txt");
    fs::write(&roster, "# class 3b\ncarol\n\ndave operator\ned wood\n").unwrap();
    let output = accounts(&dir, &["add", "--from", roster.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let error = stderr(&output);
    assert!(error.contains("class.txt:5: expected a name"), "{error}");
    assert_eq!(fs::read_to_string(&file).unwrap(), text);
    fs::write(&roster, "# class 3b\ncarol\n\ndave operator\nAlice\n").unwrap();
    let error = stderr(&accounts(
        &dir,
        &["add", "--from", roster.to_str().unwrap()],
    ));
    assert!(
        error.contains("class.txt:5: \"alice\" is already an account"),
        "{error}"
    );
    fs::write(&roster, "# class 3b\ncarol\n\ndave operator\n").unwrap();
    let added = add(&dir, &["--from", roster.to_str().unwrap()]);
    assert_eq!(
        added.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["carol", "dave"]
    );
    let list = stdout(&accounts(&dir, &["list"]));
    assert!(list.contains("dave   operator"), "{list}");

    let reset = stdout(&accounts(&dir, &["reset", "alice"]));
    assert!(reset.starts_with("alice  one-time code: "), "{reset}");
    assert!(accounts(&dir, &["remove", "bob"]).status.success());
    let list = stdout(&accounts(&dir, &["list"]));
    assert!(!list.contains("bob"), "{list}");
    let missing = accounts(&dir, &["remove", "zed"]);
    assert_eq!(
        stderr(&missing),
        "error: no account \"zed\"; nothing was changed\n"
    );
    let usage = accounts(&dir, &["add"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn a_damaged_accounts_file_stops_the_server_and_is_left_alone() {
    let dir = TempDir::new("accounts-damaged");
    add(&dir, &["alice"]);
    let file = dir.join("data").join("accounts.tsv");
    let damaged = fs::read_to_string(&file).unwrap() + "bob\tstudent\tcode\n";
    fs::write(&file, &damaged).unwrap();
    let output = server_command(&dir, &["--host", "127.0.0.1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let error = stderr(&output);
    assert_eq!(error.lines().count(), 1, "{error}");
    assert!(error.contains(&file.display().to_string()), "{error}");
    assert!(error.contains("line 3"), "{error}");
    assert_eq!(fs::read_to_string(&file).unwrap(), damaged);
    // The accounts command refuses it the same way.
    let list = accounts(&dir, &["list"]);
    assert_eq!(list.status.code(), Some(1));
    assert!(stderr(&list).contains("line 3"));
}

#[test]
fn a_student_logs_in_with_the_code_chooses_a_password_and_uses_it() {
    let dir = TempDir::new("accounts-login");
    let codes = add(&dir, &["alice"]);
    let code = code_of(&codes, "alice");
    let mut server = start(&dir, &[]);
    let mut alice = server.connect();
    alice.send(&format!("LOGIN alice {code}"));
    alice.expect("OK Logged in as alice");
    alice.expect_lines(&[
        "NOTICE That was a one-time code: choose your password now with PASSWORD <new password>",
        "OK Welcome, alice!",
    ]);
    // A code is for choosing a password: nothing is said, no session given.
    for line in ["MSG hi", "PRIVMSG alice hi", "SESSION"] {
        assert_eq!(
            alice.ask(line),
            "ERROR Choose your own password first: PASSWORD <new password> (8 characters or more)"
        );
    }
    assert_eq!(
        alice.ask("PASSWORD short"),
        "ERROR Password not changed: choose a password of at least 8 characters"
    );
    assert_eq!(alice.ask("PASSWORD correct horse"), "OK Password changed");
    server.wait_log("alice chose a new password");
    drop(alice);
    let list = stdout(&accounts(&dir, &["list"]));
    assert!(list.contains("alice  student  set"), "{list}");

    // The code is spent; the new password works, in chat mode too.
    let mut again = server.connect();
    let wrong = error_after(&mut again, &format!("LOGIN alice {code}"));
    assert_eq!(wrong, "ERROR Wrong name or password");
    // A wrong login makes its connection wait 2 s; a new one need not.
    let paused = error_after(&mut again, "LOGIN alice correct horse");
    assert_eq!(paused, "ERROR Too many failed logins: try again in 2 s");
    let mut again = server.connect();
    again.send("/login alice correct horse");
    again.expect("*** Logged in as alice.");
    again.expect(
        "*** Welcome, alice! Type a message and press Enter to send it. /help lists commands.",
    );
}

#[test]
fn the_password_never_reaches_anyone_else_or_the_history() {
    let dir = TempDir::new("accounts-secret");
    let codes = add(&dir, &["alice", "bob"]);
    let mut server = start(&dir, &[]);
    let mut bob = server.connect();
    bob.send(&format!("/login bob {}", code_of(&codes, "bob")));
    bob.expect("*** Logged in as bob.");
    bob.read_until(|l| l.contains("joined #general") || l.starts_with("*** You joined"));
    let code = code_of(&codes, "alice");
    let mut alice = server.connect();
    // Ctrl-L, a leading space, an arrow key in front: still a command.
    alice.send(&format!("\x0c \x1b[A/login alice {code}"));
    alice.expect("*** Logged in as alice.");
    // Nothing goes out before she chooses her own password.
    alice.send("too early");
    alice.expect(
        "[error] Choose your own password first: /password <new password> (8 characters or more)",
    );
    alice.send(" /password my own secret");
    alice.expect("*** Password changed: use it the next time you /login.");
    alice.send("hello");
    let seen = bob.read_until(|l| l.contains("hello"));
    for line in &seen {
        assert!(
            !line.contains(&code) && !line.contains("my own secret"),
            "{line}"
        );
        assert!(!line.contains("too early"), "{line}");
    }
    drop(alice);
    drop(bob);
    server.signal("TERM");
    server.wait_exit();
    let history = fs::read_to_string(dir.join("data").join("history.tsv")).unwrap();
    assert!(history.contains("hello"));
    assert!(!history.contains(&code) && !history.contains("my own secret"));
    let log = server.whole_log().join("\n");
    assert!(
        !log.contains(&code) && !log.contains("my own secret"),
        "{log}"
    );
}

/// irssi logs in with SASL PLAIN (`CAP LS 302`, `CAP REQ :sasl`,
/// `AUTHENTICATE`), and chooses its password with `/quote PASSWORD`.
#[test]
fn irssi_logs_in_with_sasl() {
    if !common::programs::installed(&["tmux", "irssi"]) {
        return;
    }
    let dir = TempDir::new("accounts-irssi");
    let codes = add(&dir, &["alice"]);
    let mut server = start(&dir, &[]);
    let irssi =
        common::irssi::Irssi::connect_with_sasl("alice", &code_of(&codes, "alice"), server.addr);
    irssi.wait_screen("SASL authentication succeeded");
    server.wait_log("logged in to account alice");
    server.wait_log("Registered alice (");
    irssi.type_line("/quote PASSWORD correcthorse");
    server.wait_log("alice chose a new password");
    irssi.wait_screen("Password changed");
    // A wrong password: SASL fails, and the name stays the account's.
    drop(irssi);
    let wrong = common::irssi::Irssi::connect_with_sasl("alice", "not it", server.addr);
    wrong.wait_screen("SASL authentication failed");
}

/// IRC `PASS account:password` (irssi's `/connect host port alice:pw`).
#[test]
fn an_irc_client_logs_in_with_pass() {
    let dir = TempDir::new("accounts-irc-pass");
    let codes = add(&dir, &["alice"]);
    let mut server = start(&dir, &[]);
    let mut irc = server.connect();
    irc.send(&format!("PASS alice:{}", code_of(&codes, "alice")));
    irc.send("NICK somebody");
    irc.send("USER a 0 * :Alice");
    // The name is the account's, whatever the NICK.
    irc.read_until(|l| l.starts_with(":chatroom.local 001 alice "));
    server.wait_log("logged in to account alice");
    let mut wrong = server.connect();
    wrong.send("PASS alice:not-it");
    wrong.send("NICK alice2");
    wrong.send("USER a 0 * :Alice");
    let lines = wrong.read_to_close();
    assert!(lines.iter().any(|l| l.contains(" 904 ")), "{lines:#?}");
    assert_eq!(
        lines.last().map(String::as_str),
        Some("ERROR :Closing link (login failed)")
    );
}

#[test]
fn a_guest_cannot_take_an_account_name_or_a_look_alike() {
    let dir = TempDir::new("accounts-names");
    add(&dir, &["alice"]);
    let server = start(&dir, &[]);
    let mut guest = server.connect();
    assert_eq!(
        error_after(&mut guest, "USERNAME alice"),
        "ERROR The name alice belongs to an account: LOGIN alice <password>, or choose another name"
    );
    guest.send("USERNAME aIice");
    guest.expect("ERROR The name alice belongs to an account: LOGIN alice <password>, or choose another name");
    guest.send("/nick ALICE");
    guest.expect("[error] The name alice belongs to an account: /login alice <password>, or choose another name");
    // Any other name is a guest's, as before.
    guest.send("USERNAME carol");
    guest.expect("OK Welcome, carol!");
}

#[test]
fn without_guests_only_accounts_may_join() {
    let dir = TempDir::new("accounts-no-guests");
    let codes = add(&dir, &["alice"]);
    let server = start(&dir, &["--no-guests"]);
    let mut guest = server.connect();
    guest.send("USERNAME carol");
    guest.expect("ERROR This server is for accounts only: LOGIN <name> <password>");
    protocol_login(&server, "alice", &code_of(&codes, "alice"));
}

/// Two students behind one address (both on 127.0.0.1): muting one leaves
/// the other free, a newcomer from that address is not muted, and the mute
/// can be lifted when the student is offline.
#[test]
fn muting_one_of_two_students_behind_one_address() {
    let dir = TempDir::new("accounts-mute");
    let codes = add(&dir, &["alice", "bob"]);
    let teacher = add(&dir, &["--operator", "lee"]);
    let mut server = start(&dir, &[]);
    let codes = choose_passwords(&server, &codes);
    let mut lee = server.connect();
    lee.send(&format!("LOGIN lee {}", code_of(&teacher, "lee")));
    lee.expect("OK Logged in as lee");
    lee.expect("OK You are an operator");
    lee.expect("OK Welcome, lee!");
    let mut alice = protocol_login(&server, "alice", &code_of(&codes, "alice"));
    let mut bob = protocol_login(&server, "bob", &code_of(&codes, "bob"));
    for client in [&mut lee, &mut alice, &mut bob] {
        client.send("JOIN #class");
        client.read_until(|l| l.starts_with("OK Joined #class"));
    }
    lee.send("MUTE alice");
    lee.expect("OK Muted alice");
    server.wait_log("lee muted the account alice");
    alice.expect("NOTICE You were muted by lee");
    alice.send("MSG let me talk");
    alice.expect("ERROR You are muted");
    bob.send("MSG I still can");
    lee.expect("ROOM #class bob I still can");
    // A newcomer from the same address is not muted.
    let mut carol = common::protocol_user(&server, "carol");
    carol.send("JOIN #class");
    carol.read_until(|l| l.starts_with("OK Joined #class"));
    carol.send("MSG hi all");
    lee.read_until(|l| l == "ROOM #class carol hi all");
    // Alice leaves; the mute waits for her, and UNMUTE works offline.
    alice.send("QUIT");
    alice.read_to_close();
    let mut alice = protocol_login(&server, "alice", &code_of(&codes, "alice"));
    alice.send("JOIN #class");
    alice.read_until(|l| l.starts_with("OK Joined #class"));
    alice.send("MSG still muted?");
    alice.expect("ERROR You are muted");
    alice.send("QUIT");
    alice.read_to_close();
    lee.read_until(|l| l.contains("alice") && (l.starts_with("LEAVE") || l.contains("QUIT")));
    lee.send("UNMUTE alice");
    lee.expect("OK Unmuted alice");
    lee.send("UNMUTE alice");
    lee.expect("ERROR alice was not muted");
    let mut alice = protocol_login(&server, "alice", &code_of(&codes, "alice"));
    alice.send("JOIN #class");
    alice.read_until(|l| l.starts_with("OK Joined #class"));
    alice.send("MSG free again");
    lee.read_until(|l| l == "ROOM #class alice free again");
}

/// A kicked account stays out for the kick's length whatever its client
/// does, and its classmates at the same address are not banned.
#[test]
fn a_kicked_account_stays_out_for_the_kick() {
    let dir = TempDir::new("accounts-kick");
    let codes = add(&dir, &["alice", "bob"]);
    let mut server = start(&dir, &[]);
    let mut lee = common::protocol_user(&server, "lee");
    lee.send("OPER teach");
    lee.expect("OK You are an operator");
    let mut alice = protocol_login(&server, "alice", &code_of(&codes, "alice"));
    lee.send("KICK alice 3s go outside");
    lee.expect("OK Kicked alice");
    alice.read_to_close();
    server.wait_log("lee kicked the account alice out for 3 s");
    // Coming straight back (as an auto-rejoining client would) fails…
    let mut back = server.connect();
    let refused = error_after(
        &mut back,
        &format!("LOGIN alice {}", code_of(&codes, "alice")),
    );
    assert!(
        refused.starts_with("ERROR This account was kicked: it may come back in "),
        "{refused}"
    );
    // …and taking the name as a guest fails too.
    back.send("USERNAME alice");
    back.expect("ERROR The name alice belongs to an account: LOGIN alice <password>, or choose another name");
    // Bob, at the same address, is not banned.
    protocol_login(&server, "bob", &code_of(&codes, "bob"));
    // After the kick's length, alice may come back.
    std::thread::sleep(std::time::Duration::from_millis(3100));
    protocol_login(&server, "alice", &code_of(&codes, "alice"));
}

/// Guessing a chosen password: three wrong tries free, then locks that
/// double from 5 s, counted per account and address like the door
/// password; a wrong login makes its connection wait 2 s before the next;
/// the refused tries are answered at once and logged once. Nobody else is
/// held by it: bob at the same address, alice from another address, and
/// carol, whose one-time code is never locked (58 bits: no rate makes
/// guessing it feasible), all get in.
#[test]
fn guessing_is_limited_and_the_others_still_get_in() {
    let dir = TempDir::new("accounts-guess");
    let codes = add(&dir, &["alice", "bob", "carol"]);
    // Listening on `::` takes both 127.0.0.1 and ::1: two addresses.
    let mut server = start(&dir, &["--host", "::"]);
    let port = server.addr.port();
    let v4: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let v6: SocketAddr = format!("[::1]:{port}").parse().unwrap();
    let passwords = choose_passwords(&server, &codes[..2]);
    let login_v4 = |name: &str, password: &str| {
        let mut client = Client::connect(v4);
        client.send(&format!("LOGIN {name} {password}"));
        client.expect(&format!("OK Logged in as {name}"));
    };
    let started = std::time::Instant::now();
    let wrong = "ERROR Wrong name or password";
    let mut guesser = Client::connect(v4);
    assert_eq!(error_after(&mut guesser, "LOGIN alice guess0"), wrong);
    // The same connection waits before its next try.
    let paused = error_after(&mut guesser, "LOGIN alice guess1");
    assert_eq!(paused, "ERROR Too many failed logins: try again in 2 s");
    // A connection per guess: three free, the fourth locks for 5 s.
    for n in 1..4 {
        let mut guesser = Client::connect(v4);
        assert_eq!(
            error_after(&mut guesser, &format!("LOGIN alice guess{n}")),
            wrong
        );
    }
    let mut guesser = Client::connect(v4);
    let refused = error_after(&mut guesser, "LOGIN alice guess4");
    assert!(
        refused == "ERROR Too many failed logins: try again in 5 s"
            || refused == "ERROR Too many failed logins: try again in 4 s",
        "{refused}"
    );
    // The refused try was answered without being checked (no hash).
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    // One log line for the storm, not one per try.
    server.wait_log("Wrong password for the account alice from 127.0.0.1");
    let lines = server.log_so_far();
    let logged = lines
        .iter()
        .filter(|l| l.contains("for the account alice"))
        .count();
    assert_eq!(logged, 1, "{lines:?}");
    // bob, at the same address, is not held by the guesser's lock.
    login_v4("bob", &code_of(&passwords, "bob"));
    // carol has a one-time code: wrong tries are answered, never locked.
    for n in 0..6 {
        let mut guesser = Client::connect(v4);
        assert_eq!(
            error_after(&mut guesser, &format!("LOGIN carol x{n}")),
            wrong
        );
    }
    login_v4("carol", &code_of(&codes, "carol"));
    // alice, from another address, gets in with her password.
    let mut alice = Client::connect(v6);
    alice.send(&format!("LOGIN alice {}", code_of(&passwords, "alice")));
    alice.expect("OK Logged in as alice");
}

/// Types `text` into the page's input and sends it.
fn type_in_page(browser: &mut common::browser::Browser, tab: &common::browser::Tab, text: &str) {
    let script = format!(
        "document.getElementById('input').value = {}; document.getElementById('send').click()",
        common::browser::Json::from(text).to_text()
    );
    browser.evaluate(tab, &script);
}

/// Opens the chat page and waits for its connection. Under a heavy load
/// Chromium's request may come after the server's greeting delay, so it
/// shows an "invalid response" page, or its WebSocket is greeted as a
/// person and retried with growing delays (see tests/browser.rs): a person
/// would reload, and so does this, up to four times.
fn open_page(browser: &mut common::browser::Browser, server: &Server) -> common::browser::Tab {
    let url = format!("http://{}/", server.addr);
    let open = "document.getElementById('status') !== null && \
                document.getElementById('status').dataset.state === 'open'";
    let mut tab = browser.open(&url);
    for _ in 0..4 {
        let deadline = std::time::Instant::now() + common::TIMEOUT;
        while std::time::Instant::now() < deadline {
            if browser.evaluate(&tab, open) == common::browser::Json::Bool(true) {
                return tab;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        eprintln!("the page did not connect; reloading");
        browser.close(tab);
        tab = browser.open(&url);
    }
    browser.wait_for(&tab, open);
    tab
}

/// The page: the form logs in with a password, a session token is kept
/// (only its hash on the server), a reload enters without asking, `accounts
/// reset` ends the session, and logging out forgets it.
#[test]
fn the_page_logs_in_and_keeps_a_session_until_reset_or_logout() {
    use common::browser::{Browser, Json};
    let dir = TempDir::new("accounts-page");
    let codes = add(&dir, &["alice"]);
    let mut server = start(&dir, &[]);
    let Some(mut browser) = Browser::start() else {
        return; // skipped: chromium is not installed (see common::programs)
    };
    let tab = open_page(&mut browser, &server);
    let fill = format!(
        "document.getElementById('name').value = 'alice'; \
         document.getElementById('account-password').value = {}; \
         document.getElementById('login-button').click()",
        Json::from(code_of(&codes, "alice").as_str()).to_text()
    );
    browser.evaluate(&tab, &fill);
    browser.wait_for(&tab, "document.body.dataset.room === '#general'");
    server.wait_log("logged in to account alice");
    // No session for a one-time code: the student chooses a password first.
    assert_eq!(
        browser.evaluate(&tab, "localStorage.getItem('chatroom-session')"),
        Json::Null
    );
    type_in_page(&mut browser, &tab, "/password alice-password");
    server.wait_log("alice chose a new password");
    browser.wait_for(&tab, "localStorage.getItem('chatroom-session') !== null");
    let kept = browser.evaluate(&tab, "localStorage.getItem('chatroom-session')");
    let kept = kept.as_str().unwrap_or_default().to_string();
    assert!(
        !kept.contains(&code_of(&codes, "alice")),
        "the password is never kept: {kept}"
    );
    browser.close(tab);

    // A reload: in, without the form.
    let tab = open_page(&mut browser, &server);
    browser.wait_for(&tab, "document.body.dataset.room === '#general'");
    assert_eq!(
        browser.evaluate(&tab, "document.getElementById('login').hidden"),
        Json::Bool(true)
    );
    let logins = server
        .log_so_far()
        .iter()
        .filter(|l| l.contains("logged in to account alice"))
        .count();
    assert_eq!(logins, 2);
    browser.close(tab);

    // The teacher resets the account: the kept session is no good.
    let reset = stdout(&accounts(&dir, &["reset", "alice"]));
    let new_code = reset.trim().rsplit(' ').next().unwrap().to_string();
    let tab = open_page(&mut browser, &server);
    browser.wait_for(
        &tab,
        "document.getElementById('login-error').textContent === 'Session expired or ended: log in again'",
    );
    assert_eq!(
        browser.evaluate(&tab, "localStorage.getItem('chatroom-session')"),
        Json::Null
    );
    let fill = format!(
        "document.getElementById('name').value = 'alice'; \
         document.getElementById('account-password').value = {}; \
         document.getElementById('login-button').click()",
        Json::from(new_code.as_str()).to_text()
    );
    browser.evaluate(&tab, &fill);
    browser.wait_for(&tab, "document.body.dataset.room === '#general'");
    type_in_page(&mut browser, &tab, "/password alice-password-2");
    browser.wait_for(&tab, "localStorage.getItem('chatroom-session') !== null");

    // Logging out forgets the session, here and on the server.
    let token = browser.evaluate(
        &tab,
        "JSON.parse(localStorage.getItem('chatroom-session')).token",
    );
    let token = token.as_str().unwrap_or_default().to_string();
    browser.evaluate(&tab, "document.getElementById('logout').click()");
    browser.wait_for(&tab, "localStorage.getItem('chatroom-session') === null");
    server.wait_log("logged out");
    let mut old = server.connect();
    let refused = error_after(&mut old, &format!("SESSION {token}"));
    assert_eq!(refused, "ERROR Session expired or ended: log in again");
}

/// The history records which account spoke: `attendance` has one row per
/// account over its sessions, and `transcript` marks account names.
#[test]
fn attendance_and_transcript_follow_the_account() {
    let dir = TempDir::new("accounts-attendance");
    let codes = add(&dir, &["alice"]);
    let mut server = start(&dir, &[]);
    let codes = choose_passwords(&server, &codes);
    for text in ["morning", "afternoon"] {
        let mut alice = protocol_login(&server, "alice", &code_of(&codes, "alice"));
        alice.send("JOIN #general");
        alice.read_until(|l| l.starts_with("OK Joined #general"));
        alice.send(&format!("MSG {text}"));
        alice.expect(&format!("ROOM #general alice {text}"));
        alice.send("QUIT");
        alice.read_to_close();
    }
    let mut bob = common::protocol_user(&server, "bob");
    bob.send("JOIN #general");
    bob.read_until(|l| l.starts_with("OK Joined #general"));
    bob.send("MSG hello");
    bob.expect("ROOM #general bob hello");
    drop(bob);
    server.signal("TERM");
    server.wait_exit();
    let read = |subcommand: &str| {
        let output = Command::new(common::bin("step4_server"))
            .args([subcommand, "--data-dir"])
            .arg(dir.join("data"))
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let attendance = read("attendance");
    let rows: Vec<Vec<&str>> = attendance
        .lines()
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert_eq!(
        rows[0],
        ["person", "names", "from", "to", "messages", "sessions"]
    );
    assert_eq!(rows[1][0], "alice✓");
    // Three sessions: choosing the password, the morning, the afternoon.
    assert_eq!(rows[1][4..], ["2", "3"], "{attendance}");
    assert_eq!(rows[2][0], "bob");
    assert_eq!(rows[2][4..], ["1", "1"], "{attendance}");
    let transcript = read("transcript");
    assert!(
        transcript.contains("#general alice✓: morning"),
        "{transcript}"
    );
    assert!(
        transcript.contains("#general alice✓: afternoon"),
        "{transcript}"
    );
    assert!(transcript.contains("#general bob: hello"), "{transcript}");
}

/// An IRC client that logs in with SASL, the way WeeChat does, and comes
/// straight back after a kick (WeeChat rejoins 10 s after a kick, and
/// reconnects on its own after a disconnection): it stays out for the
/// kick's length, by SASL or by taking the nick as a guest.
#[test]
fn an_irc_client_that_comes_straight_back_after_a_kick_stays_out() {
    let dir = TempDir::new("accounts-irc-kick");
    let codes = add(&dir, &["alice"]);
    let code = code_of(&codes, "alice");
    let mut server = start(&dir, &[]);
    let sasl_login = |server: &Server| {
        let mut irc = server.connect();
        let payload = chatroom::support::base64::encode(format!("\0alice\0{code}").as_bytes());
        for line in [
            "CAP LS 302",
            "NICK alice",
            "USER alice 0 * :Alice",
            "CAP REQ :sasl",
            "AUTHENTICATE PLAIN",
        ] {
            irc.send(line);
        }
        irc.expect(":chatroom.local AUTHENTICATE +");
        irc.send(&format!("AUTHENTICATE {payload}"));
        let mut answer = String::new();
        let before = irc.read_until(|l| {
            answer = l.to_string();
            l.contains(" 903 ") || l.contains(" 904 ")
        });
        (irc, before.join("\n") + "\n" + &answer)
    };
    let (mut alice, answer) = sasl_login(&server);
    assert!(answer.contains(" 903 "), "{answer}");
    alice.send("CAP END");
    alice.read_until(|l| l.starts_with(":chatroom.local 001 alice "));
    alice.send("JOIN #general");
    alice.read_until(|l| l.contains(" 366 "));
    let mut lee = common::protocol_user(&server, "lee");
    lee.send("OPER teach");
    lee.expect("OK You are an operator");
    lee.send("KICK alice");
    lee.expect("OK Kicked alice");
    alice.read_to_close();
    server.wait_log("lee kicked the account alice out for 60 s");
    // Straight back, by SASL: refused, with how long to wait.
    let (_again, answer) = sasl_login(&server);
    assert!(answer.contains(" 904 "), "{answer}");
    assert!(
        answer.contains("NOTICE * :This account was kicked: it may come back in "),
        "{answer}"
    );
    // Without the account, the nick is not free either.
    let mut guest = server.connect();
    guest.send("NICK alice");
    guest.send("USER alice 0 * :Alice");
    guest.read_until(|l| l.contains(" 433 "));
}

/// WeeChat, logged in with SASL and set to reconnect one second after a
/// disconnection: kicked for 3 s, it is refused ("This account was
/// kicked") until the 3 s are over, then comes back by itself.
#[test]
fn weechat_reconnecting_by_itself_stays_out_for_the_kick() {
    if !common::programs::installed(&["tmux", "weechat"]) {
        return;
    }
    let dir = TempDir::new("accounts-weechat");
    let codes = add(&dir, &["alice"]);
    let mut server = start(&dir, &[]);
    let weechat =
        common::irssi::Irssi::weechat_with_sasl("alice", &code_of(&codes, "alice"), server.addr);
    server.wait_log("Registered alice (");
    let mut lee = common::protocol_user(&server, "lee");
    lee.send("OPER teach");
    lee.expect("OK You are an operator");
    lee.send("KICK alice 3s stretch your legs");
    lee.expect("OK Kicked alice");
    let kicked = server.wait_log("lee kicked the account alice out for 3 s");
    // Back by itself once the kick is over, and not a moment before.
    let back = server.wait_log("Registered alice (");
    // Its server window shows why it was refused in between.
    weechat.type_line("/buffer 1");
    weechat.wait_screen("This account was kicked: it may come back in");
    let time = |line: &str| chatroom::support::timestamp::parse(&line[..24]).unwrap();
    assert!(time(&back) >= time(&kicked) + 3000, "{kicked}\n{back}");
}
