//! Step 1, the echo server, driven as a real program over real sockets: every
//! behaviour the tutorial promises for it has a test here that fails without it.

mod common;

use assert_cmd::Command;
use common::{Server, TIMEOUT};
use predicates::prelude::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};

fn start_echo() -> Server {
    Server::start("step1_echo", &["--host", "127.0.0.1", "--port", "0"])
}

/// A plain socket (no line buffering) with timeouts, for byte-exact checks.
fn raw_connect(server: &Server) -> TcpStream {
    let stream = TcpStream::connect_timeout(&server.addr, TIMEOUT).expect("connect");
    stream
        .set_read_timeout(Some(TIMEOUT))
        .expect("read timeout");
    stream
        .set_write_timeout(Some(TIMEOUT))
        .expect("write timeout");
    stream
}

#[test]
fn first_log_line_names_the_real_address() {
    let server = start_echo();
    assert!(
        server
            .first_line
            .contains(&format!("Echo server listening on {} (tcp)", server.addr)),
        "{}",
        server.first_line
    );
    assert_ne!(
        server.addr.port(),
        0,
        "--port 0 must report the port it got"
    );
    // The line starts with the log timestamp, e.g. 2024-05-01T12:00:00.000Z.
    assert!(server.first_line.starts_with("20"), "{}", server.first_line);
}

#[test]
fn echoes_several_lines() {
    let server = start_echo();
    let mut client = server.connect();
    client.send_raw(b"one\ntwo\nthree\n");
    assert_eq!(client.line(), "one");
    assert_eq!(client.line(), "two");
    assert_eq!(client.line(), "three");
    client.send("Hello Coding Challenges!");
    assert_eq!(client.line(), "Hello Coding Challenges!");
}

#[test]
fn echoes_every_byte_value_unchanged() {
    let server = start_echo();
    let mut stream = raw_connect(&server);
    // All 256 byte values, several times over so it takes more than one read.
    let sent: Vec<u8> = (0..=255u8).cycle().take(256 * 40).collect();
    stream.write_all(&sent).expect("send");
    let mut received = vec![0u8; sent.len()];
    stream
        .read_exact(&mut received)
        .expect("echo of every byte");
    assert!(received == sent, "the echo differs from what was sent");
}

#[test]
fn serves_two_clients_at_once() {
    let server = start_echo();
    let mut first = server.connect();
    let mut second = server.connect();
    // The second client is answered while the first is still connected and
    // silent: a server that served one connection at a time would time out.
    second.send("from the second");
    assert_eq!(second.line(), "from the second");
    first.send("from the first");
    assert_eq!(first.line(), "from the first");
    second.send("second again");
    assert_eq!(second.line(), "second again");
}

#[test]
fn logs_accept_and_disconnect_with_the_client_address() {
    let mut server = start_echo();
    let client = server.connect();
    let client_address = client.stream.local_addr().expect("local address");
    server.wait_log(&format!("Accepted connection from: {client_address}"));
    drop(client);
    server.wait_log(&format!("Client disconnected: {client_address}"));
}

#[test]
fn udp_echoes_each_datagram_to_its_sender() {
    let server = Server::start(
        "step1_echo",
        &["--udp", "--host", "127.0.0.1", "--port", "0"],
    );
    assert!(
        server
            .first_line
            .contains(&format!("Echo server listening on {} (udp)", server.addr)),
        "{}",
        server.first_line
    );
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    let mut buffer = [0u8; 2048];
    for datagram in [&b"Hi Coding Challenges"[..], &[0u8, 255, 10, 13, 1][..]] {
        socket.send_to(datagram, server.addr).expect("send");
        let (count, from) = socket.recv_from(&mut buffer).expect("echo within timeout");
        assert_eq!(&buffer[..count], datagram);
        assert_eq!(from, server.addr);
    }
}

/// Sends data, signals at once, then reads: the echo must still arrive,
/// followed by the end of the stream, and the server must exit 0.
fn signal_with_echo_in_flight(signal: &str) {
    let mut server = start_echo();
    let mut client = server.connect();
    let client_address = client.stream.local_addr().expect("local address");
    server.wait_log(&format!("Accepted connection from: {client_address}"));
    client.send_raw(b"last words\nand more");
    server.signal(signal);
    assert_eq!(client.line(), "last words");
    assert_eq!(client.try_line().as_deref(), Some("and more"));
    assert_eq!(client.try_line(), None, "the server closes the connection");
    let status = server.wait_exit();
    assert_eq!(status.code(), Some(0), "exit status after SIG{signal}");
    server.wait_log(&format!(
        "Closed connection to {client_address} (server shutting down)"
    ));
    server.wait_log("Echo server stopped");
}

#[test]
fn sigterm_finishes_the_echo_in_flight_and_exits_0() {
    signal_with_echo_in_flight("TERM");
}

#[test]
fn sigint_finishes_the_echo_in_flight_and_exits_0() {
    signal_with_echo_in_flight("INT");
}

#[test]
fn sigterm_with_no_clients_exits_0() {
    let mut server = start_echo();
    server.signal("TERM");
    assert_eq!(server.wait_exit().code(), Some(0));
    server.wait_log("Echo server stopped");
    let log = server.log_so_far().join("\n");
    assert!(!log.contains("failed"), "a signal is not a failure:\n{log}");
}

#[test]
fn sigterm_stops_the_udp_server() {
    let mut server = Server::start(
        "step1_echo",
        &["--udp", "--host", "127.0.0.1", "--port", "0"],
    );
    server.signal("TERM");
    assert_eq!(server.wait_exit().code(), Some(0));
    server.wait_log("Echo server stopped");
    let log = server.log_so_far().join("\n");
    assert!(!log.contains("failed"), "a signal is not a failure:\n{log}");
}

#[test]
fn port_in_use_is_one_clear_error() {
    // Hold a port on every address, then ask the server for the same one.
    let holder = TcpListener::bind("0.0.0.0:0").expect("bind");
    let port = holder.local_addr().expect("address").port();
    Command::cargo_bin("step1_echo")
        .expect("binary")
        .args(["--port", &port.to_string()])
        .timeout(TIMEOUT)
        .assert()
        .code(1)
        .stdout("")
        .stderr(format!(
            "error: cannot listen on 0.0.0.0:{port}: Address already in use: another program \
             holds port {port} (`ss -ltnp 'sport = :{port}'` shows which; maybe a server you \
             started earlier). Stop it, or pick another port: cargo run --bin step1_echo -- \
             --port {}\n",
            port + 1
        ));
}

#[test]
fn help_shows_flags_and_defaults() {
    Command::cargo_bin("step1_echo")
        .expect("binary")
        .arg("--help")
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("usage: step1_echo")
                .and(predicate::str::contains("--port PORT"))
                .and(predicate::str::contains("(default 7007)"))
                .and(predicate::str::contains("(default 0.0.0.0"))
                .and(predicate::str::contains("--udp")),
        );
}

#[test]
fn bad_flag_is_a_usage_error() {
    Command::cargo_bin("step1_echo")
        .expect("binary")
        .arg("--bogus")
        .timeout(TIMEOUT)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("error: unknown flag --bogus")
                .and(predicate::str::contains("usage: step1_echo")),
        );
    Command::cargo_bin("step1_echo")
        .expect("binary")
        .args(["--port", "seventy"])
        .timeout(TIMEOUT)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value \"seventy\" for --port",
        ));
}
