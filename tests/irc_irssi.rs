//! irssi, a real IRC client, driven through tmux (see `tests/common/irssi.rs`).
//!
//! For now this proves the harness against ngIRCd; the tests against
//! `step4_server` join it once the server speaks IRC.

mod common;

use common::irssi::{Irssi, Ngircd};

/// TEMPORARY SCAFFOLDING: delete once a test drives irssi against
/// `step4_server`. Proves that irssi starts, connects and that its screen
/// can be read and typed into.
#[test]
fn irssi_connects_to_ngircd_and_shows_the_welcome() {
    let server = Ngircd::start();
    let irssi = Irssi::connect("alice", server.addr);
    irssi.wait_screen("Welcome to the Internet Relay Network");
    irssi.wait_screen("hello from ngircd"); // the MOTD
    irssi.type_line("/join #general");
    irssi.wait_screen("alice [~alice@127.0.0.1] has joined #general");
}
