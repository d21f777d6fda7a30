//! The server as a library: [`serve`] runs on a listener the test bound
//! itself, in this process, and returns when the test's [`Shutdown`] is
//! requested. For tests where a real binary adds nothing.

mod common;

use chatroom::server::{bind, serve, Shutdown};
use chatroom::settings::server::ServerConfig;
use common::Client;
use std::thread;

#[test]
fn a_server_in_this_process_serves_and_shuts_down_when_asked() {
    let config = ServerConfig {
        host: "127.0.0.1".into(),
        port: 0,
        history: false,
        ..ServerConfig::default()
    };
    let listener = bind(&config).expect("bind a free port");
    let addr = listener.local_addr().expect("the bound address");
    let shutdown = Shutdown::new();
    let server = {
        let shutdown = shutdown.clone();
        thread::spawn(move || serve(listener, config, shutdown))
    };
    let mut alice = Client::connect(addr);
    alice.send("USERNAME alice");
    alice.read_until(|line| line.starts_with("OK Welcome"));
    alice.send("JOIN #lab");
    alice.expect("OK Joined #lab (0 users)");
    let mut bob = Client::connect(addr);
    bob.send("USERNAME bob");
    bob.read_until(|line| line.starts_with("OK Welcome"));
    bob.send("JOIN #lab");
    bob.read_until(|line| line.starts_with("OK Joined #lab"));
    alice.read_until(|line| line == "JOIN #lab bob");
    bob.send("hello from the same process");
    alice.expect("ROOM #lab bob hello from the same process");

    shutdown.request();
    let said = alice.read_to_close();
    assert!(
        said.iter().any(|line| line.contains("shutting down")),
        "{said:?}"
    );
    let served = server.join().expect("the server thread ends");
    assert_eq!(served, Ok(()));
}
