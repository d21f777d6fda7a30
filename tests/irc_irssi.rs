//! irssi, a real IRC client, in the same room as an `nc` user on
//! `step4_server` (irssi runs in tmux: see `tests/common/irssi.rs`). Each
//! step checks what both sides show: irssi's screen and the chat-mode lines.
//! An operator's `/stats` is checked on irssi's screen too.

mod common;

use common::irssi::Irssi;
use common::Server;

#[test]
fn irssi_and_an_nc_user_chat_in_general() {
    let server = Server::start_chat_env(&[], &[("CHATROOM_ADMIN_PASSWORD", "admin-Secret-77")]);
    let mut bob = server.nick("bob"); // chat mode: joins #general
    bob.expect("*** You joined #general. Nobody else is here yet.");

    let Some(irssi) = Irssi::connect("alice", server.addr) else {
        return;
    };
    let screen = irssi.wait_screen("Welcome to the chatroom Network, alice");
    assert!(
        !screen.contains("Pick a name"),
        "the greeting reached irssi:\n{screen}"
    );
    irssi.wait_screen("Welcome to chatroom!"); // the MOTD

    irssi.type_line("/join #general");
    irssi.wait_screen("alice [alice@chatroom] has joined #general");
    bob.expect("* alice joined #general");

    bob.send("hello from nc");
    let screen = irssi.wait_screen("hello from nc");
    assert!(screen.contains("bob"), "{screen}");
    irssi.type_line("hi bob, from irssi");
    bob.expect("alice: hi bob, from irssi");
    irssi.type_line("/me waves");
    bob.expect("alice *waves*");
    bob.send("/me bows");
    irssi.wait_screen("* bob bows");

    irssi.type_line("/msg bob psst");
    bob.expect("[private] alice: psst");

    irssi.type_line("/names");
    irssi.wait_screen("Total of 2 nicks");

    bob.send("/op admin-Secret-77");
    bob.expect("*** You are an operator now. /help lists your commands.");
    // Told the IRC way, so irssi's nick list shows bob as `@bob`.
    irssi.wait_screen("ServerMode/#general [+o bob] by chatroom.local");
    irssi.type_line("/names");
    irssi.wait_screen("Total of 2 nicks [1 ops, 0 halfops, 0 voices, 1 normal]");
    bob.send("/topic Week 3: sockets");
    irssi.wait_screen("bob changed the topic of #general to: Week 3: sockets");
    irssi.type_line("/topic");
    irssi.wait_screen("Topic for #general: Week 3: sockets");

    bob.send("/msg alice see you later");
    irssi.type_line("/window goto bob");
    irssi.wait_screen("see you later");
    // Private actions, both ways, and CTCP answered for the nc user.
    irssi.type_line("/me nods");
    bob.expect("[private] alice *nods*");
    bob.send("/msg alice /me tips his hat");
    irssi.wait_screen("* bob tips his hat");
    irssi.type_line("/ctcp bob version");
    irssi.wait_screen("CTCP VERSION reply from bob: chatroom");

    irssi.type_line("/quit off to lunch");
    bob.expect("* alice left #general");
}

#[test]
fn an_irssi_operator_reads_stats_as_server_notices() {
    let server = Server::start_chat_env(&[], &[("CHATROOM_ADMIN_PASSWORD", "admin-Secret-77")]);
    let Some(irssi) = Irssi::connect("alice", server.addr) else {
        return;
    };
    irssi.wait_screen("Welcome to chatroom!"); // the MOTD
    irssi.type_line("/stats");
    irssi.wait_screen("Permission Denied");
    irssi.type_line("/oper alice admin-Secret-77");
    irssi.wait_screen("You are now an IRC operator");
    irssi.type_line("/stats");
    // Server NOTICEs: irssi shows each as a line of its own, `!chatroom.local …`.
    let screen = irssi.wait_screen("End of /STATS report");
    for figure in [
        "Stats: 1 connection (1 named, 0 choosing a name), ",
        "Queued lines: ",
        "Traffic since start: ",
        "Deliveries: ",
        "History: off",
    ] {
        assert!(
            screen.contains(&format!("!chatroom.local {figure}")),
            "no {figure:?} on:\n{screen}"
        );
    }
}

/// irssi and WeeChat, each with two channels in its autojoin list, stay in
/// both (nothing is PARTed), and what is said in either reaches them; a
/// kick from one channel sticks when WeeChat rejoins.
#[test]
fn irssi_and_weechat_autojoin_two_channels_and_stay_in_both() {
    if !common::programs::installed(&["tmux", "irssi", "weechat"]) {
        return;
    }
    let mut server = Server::start_chat_env(&[], &[("CHATROOM_ADMIN_PASSWORD", "admin-Secret-77")]);
    let mut bob = server.nick("bob"); // chat mode: joins #general
    bob.expect("*** You joined #general. Nobody else is here yet.");
    bob.send("/join #lab");
    bob.expect("*** You joined #lab. Nobody else is here yet.");

    let irssi = Irssi::autojoin("alice", server.addr, &["#general", "#lab"]);
    bob.expect("* alice joined #general");
    bob.expect("* alice joined #lab");
    let weechat = Irssi::weechat("carol", server.addr, &["#general", "#lab"]);
    bob.expect("* carol joined #general");
    bob.expect("* carol joined #lab");
    bob.send("/switch #general");
    bob.expect("*** Plain lines now go to #general");
    assert_eq!(bob.ask("/users"), "*** In #general: alice, bob, carol");
    bob.send("/switch #lab");
    bob.expect("*** Plain lines now go to #lab");
    assert_eq!(bob.ask("/users"), "*** In #lab: alice, bob, carol");

    bob.send("hello lab");
    irssi.type_line("/window goto #lab");
    irssi.wait_screen("hello lab");
    weechat.type_line("/buffer #lab");
    weechat.wait_screen("hello lab");
    irssi.type_line("/join #general");
    irssi.type_line("hi general, from irssi");
    bob.expect("[#general] alice: hi general, from irssi");
    for screen in [irssi.screen(), weechat.screen()] {
        assert!(!screen.contains("has left"), "{screen}");
    }

    // An IRC teacher kicks carol from #lab; rejoining (by hand here, as
    // WeeChat's autorejoin would 10 s later) is refused, so the kick holds.
    let mut teacher = server.connect();
    teacher.send("NICK ms_t");
    teacher.send("USER t 0 * :Teacher");
    teacher.expect(":chatroom.local 376 ms_t :End of /MOTD command.");
    teacher.send("OPER ms_t admin-Secret-77");
    teacher.expect(":chatroom.local 381 ms_t :You are now an IRC operator");
    teacher.send("JOIN #lab");
    teacher.expect(":chatroom.local 366 ms_t #lab :End of /NAMES list");
    teacher.send("KICK #lab carol :take a break");
    teacher.expect(":ms_t!ms_t@chatroom KICK #lab carol :take a break");
    weechat.wait_screen("has kicked carol");
    weechat.type_line("/join #lab");
    let refused = server.wait_log("may not rejoin #lab for");
    assert!(refused.contains(" carol (127.0.0.1:"), "{refused}");
    teacher.send("NAMES #lab");
    teacher.expect(":chatroom.local 353 ms_t = #lab :alice bob @ms_t");
    // Still in #general.
    teacher.send("NAMES #general");
    teacher.expect(":chatroom.local 353 ms_t = #general :alice bob carol");
}
