//! Step 2, the line client, driven through its stdin and stdout against the
//! real step 1 echo server and against small scripted servers in the test.

mod common;

use assert_cmd::Command;
use common::program::{closed_port, Program, ScriptedServer};
use common::{Server, TIMEOUT};
use predicates::prelude::*;
use std::thread;
use std::time::Duration;

fn start_echo() -> Server {
    Server::start("step1_echo", &["--host", "127.0.0.1", "--port", "0"])
}

fn client_for(port: u16) -> Program {
    Program::start("step2_client", &["--port", &port.to_string()])
}

// The prompt "send: " has no newline (you type on the same line), so each
// stdout line the test reads is the prompt followed by the reply.

#[test]
fn send_and_recv_transcript_against_the_echo_server() {
    let server = start_echo();
    let mut client = client_for(server.addr.port());
    client.type_line("test");
    assert_eq!(client.line(), "send: recv: test");
    client.type_line("Hello, Coding Challenges");
    assert_eq!(client.line(), "send: recv: Hello, Coding Challenges");
    client.type_line("quit");
    assert_eq!(client.wait_exit().code(), Some(0));
    assert_eq!(client.stdout_rest(), ["send: "]);
}

#[test]
fn quit_exit_and_end_of_input_end_with_status_0() {
    let server = start_echo();
    for ending in ["quit", "exit", "<end of input>"] {
        let mut client = client_for(server.addr.port());
        client.type_line("ping");
        assert_eq!(client.line(), "send: recv: ping");
        if ending == "<end of input>" {
            client.close_stdin();
        } else {
            client.type_line(ending);
        }
        assert_eq!(client.wait_exit().code(), Some(0), "after {ending}");
        assert_eq!(client.stderr_rest(), Vec::<String>::new(), "after {ending}");
    }
}

#[test]
fn replies_are_framed_by_newlines_not_by_reads() {
    let server = ScriptedServer::new();
    let mut client = client_for(server.addr.port());
    let mut connection = server.accept();

    // Two replies in one write: a client that took one read() as one reply
    // would print both at once.
    client.type_line("first");
    assert_eq!(connection.line(), "first");
    connection.send_raw(b"reply one\nreply two\n");
    assert_eq!(client.line(), "send: recv: reply one");
    client.type_line("second");
    assert_eq!(connection.line(), "second");
    assert_eq!(client.line(), "send: recv: reply two");

    // One reply in two pieces. The pause only makes the split likely; the
    // test passes either way when the client reads up to the newline.
    client.type_line("third");
    assert_eq!(connection.line(), "third");
    connection.send_raw(b"in two ");
    thread::sleep(Duration::from_millis(100));
    connection.send_raw(b"pieces\n");
    assert_eq!(client.line(), "send: recv: in two pieces");
}

#[test]
fn connection_refused_is_one_clear_error() {
    let port = closed_port();
    Command::cargo_bin("step2_client")
        .expect("binary")
        .args(["--port", &port.to_string()])
        .write_stdin("hello\n")
        .timeout(TIMEOUT)
        .assert()
        .code(1)
        .stdout("")
        .stderr(format!(
            "error: cannot connect to 127.0.0.1:{port}: Connection refused\n"
        ));
}

#[test]
fn server_closing_mid_session_is_reported() {
    let server = ScriptedServer::new();
    let mut client = client_for(server.addr.port());
    let mut connection = server.accept();
    client.type_line("hello");
    assert_eq!(connection.line(), "hello");
    connection.send("hello");
    assert_eq!(client.line(), "send: recv: hello");
    client.type_line("anyone there?");
    assert_eq!(connection.line(), "anyone there?");
    drop(connection); // the server hangs up instead of answering
    assert_eq!(client.wait_exit().code(), Some(1));
    assert_eq!(
        client.stderr_rest(),
        ["error: the server closed the connection"]
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = ScriptedServer::new();
    let mut client = client_for(server.addr.port());
    let mut connection = server.accept();
    client.type_line("hello?");
    assert_eq!(connection.line(), "hello?");
    // No answer, and the connection stays open: the client must give up by
    // itself (after 5 seconds) and say why.
    assert_eq!(client.wait_exit().code(), Some(1));
    assert_eq!(
        client.stderr_rest(),
        [format!(
            "error: no reply from 127.0.0.1:{} within 5 seconds",
            server.addr.port()
        )]
    );
    drop(connection);
}

#[test]
fn help_and_bad_flags() {
    Command::cargo_bin("step2_client")
        .expect("binary")
        .arg("--help")
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("usage: step2_client")
                .and(predicate::str::contains("(default 127.0.0.1)"))
                .and(predicate::str::contains("(default 7007)")),
        );
    Command::cargo_bin("step2_client")
        .expect("binary")
        .arg("--udp")
        .timeout(TIMEOUT)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error: unknown flag --udp"));
}
