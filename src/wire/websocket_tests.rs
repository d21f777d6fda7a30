//! Unit tests of [`super`]: the handshake, every decoder rule (fed whole,
//! split at every byte position, and a byte at a time), and the encoders.

use super::*;
use crate::wire::http_request::parse;
use crate::wire::http_request::Request;

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn text(payload: &str) -> Vec<u8> {
    client_frame(Opcode::Text, true, payload.as_bytes(), MASK)
}

/// Everything the decoder hands out for `bytes` fed in one piece.
fn decode(max: usize, bytes: &[u8]) -> Vec<Received> {
    let mut decoder = Decoder::new(max);
    let mut events = Vec::new();
    decoder.push(bytes, &mut events);
    events
}

fn closed(status: u16) -> impl Fn(&[Received]) -> bool {
    move |events| matches!(events.last(), Some(Received::Close { status: s, .. }) if *s == status)
}

fn request(lines: &[&str]) -> Request {
    parse(lines.join("\r\n").as_bytes()).expect("a well-formed head")
}

fn browser_upgrade(extra: &[&str]) -> Vec<String> {
    let mut lines: Vec<String> = [
        "GET /chat HTTP/1.1",
        "Host: 10.0.0.5:7007",
        "Upgrade: websocket",
        "Connection: keep-alive, Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    lines.extend(extra.iter().map(|s| s.to_string()));
    lines
}

fn handshake_of(lines: &[String], allowed: &[String]) -> Result<String, String> {
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    handshake(&request(&lines), allowed)
}

#[test]
fn rfc_6455_sample_key() {
    assert_eq!(
        accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

#[test]
fn a_browser_upgrade_is_switched() {
    let origin = "Origin: http://10.0.0.5:7007";
    let response = handshake_of(&browser_upgrade(&[origin]), &[]).unwrap();
    assert_eq!(
        response,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
    );
    // No Origin: not a browser, and no cross-site risk.
    assert!(handshake_of(&browser_upgrade(&[]), &[]).is_ok());
}

#[test]
fn half_handshakes_get_400_with_one_line() {
    let full = browser_upgrade(&[]);
    for (drop, says) in [
        ("Host", "Host"),
        ("Upgrade", "Upgrade: websocket"),
        ("Connection", "Connection: Upgrade"),
        ("Sec-WebSocket-Key", "16 bytes"),
        ("Sec-WebSocket-Version", "version 13"),
    ] {
        let lines: Vec<String> = full
            .iter()
            .filter(|line| !line.starts_with(&format!("{drop}:")))
            .cloned()
            .collect();
        let response = handshake_of(&lines, &[]).unwrap_err();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{drop}");
        assert!(body.contains(says), "{drop}: {body}");
        assert_eq!(body.lines().count(), 1, "{body}");
    }
    let mut post = full.clone();
    post[0] = "POST /chat HTTP/1.1".into();
    assert!(handshake_of(&post, &[]).unwrap_err().contains("GET"));
    let mut short_key = full.clone();
    short_key[4] = "Sec-WebSocket-Key: Zm9v".into();
    assert!(handshake_of(&short_key, &[])
        .unwrap_err()
        .contains("16 bytes"));
    let mut old = full;
    old[5] = "Sec-WebSocket-Version: 8".into();
    assert!(handshake_of(&old, &[])
        .unwrap_err()
        .contains("\r\nSec-WebSocket-Version: 13\r\n"));
}

#[test]
fn pages_from_other_sites_are_refused() {
    for origin in [
        "http://evil.example",
        "http://10.0.0.5:7007.evil.example",
        "http://10.0.0.5",
        "null",
    ] {
        let response =
            handshake_of(&browser_upgrade(&[&format!("Origin: {origin}")]), &[]).unwrap_err();
        assert!(
            response.starts_with("HTTP/1.1 403 Forbidden\r\n"),
            "{origin}"
        );
        assert!(
            response.ends_with("(only pages from 10.0.0.5:7007).\n"),
            "{response}"
        );
    }
    let allowed = vec!["http://teacher.example:8080".to_string()];
    let teacher = browser_upgrade(&["Origin: HTTP://Teacher.example:8080"]);
    assert!(handshake_of(&teacher, &allowed).is_ok());
    assert!(origin_allowed(
        "https://10.0.0.5:7007",
        "10.0.0.5:7007",
        &[]
    ));
    assert!(origin_allowed(
        "http://Chat.School:7007",
        "chat.school:7007",
        &[]
    ));
}

#[test]
fn rfc_6455_masked_hello() {
    // RFC 6455 §5.7: "A single-frame masked text message".
    let frame = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    assert_eq!(decode(100, &frame), vec![Received::Text("Hello".into())]);
    assert_eq!(text("Hello"), frame);
}

/// A conversation that uses every kind of frame the decoder accepts: a
/// one-frame message, a fragmented one with a ping between its fragments and
/// an "é" split across them, a 16-bit length, an empty message (dropped),
/// a pong (ignored), and the close.
fn conversation() -> (Vec<u8>, Vec<Received>) {
    let long = "x".repeat(300);
    let e_acute = "é".as_bytes();
    let bytes = [
        text("hi"),
        client_frame(Opcode::Text, false, b"caf", MASK),
        client_frame(Opcode::Continuation, false, &e_acute[..1], MASK),
        client_frame(Opcode::Ping, true, b"are you there", MASK),
        client_frame(Opcode::Continuation, true, &[e_acute[1], b'!'], MASK),
        text(&long),
        text(""),
        client_frame(Opcode::Pong, true, b"", MASK),
        client_frame(Opcode::Close, true, &[0x03, 0xe8, b'b', b'y', b'e'], MASK),
        text("after the close"),
    ]
    .concat();
    let expected = vec![
        Received::Text("hi".into()),
        Received::Ping(b"are you there".to_vec()),
        Received::Text("café!".into()),
        Received::Text(long),
        Received::Close {
            status: 1000,
            reason: "bye".into(),
        },
    ];
    (bytes, expected)
}

#[test]
fn a_conversation_decodes_at_every_split() {
    let (bytes, expected) = conversation();
    assert_eq!(decode(1024, &bytes), expected);
    for split in 0..=bytes.len() {
        let mut decoder = Decoder::new(1024);
        let mut events = Vec::new();
        decoder.push(&bytes[..split], &mut events);
        decoder.push(&bytes[split..], &mut events);
        assert_eq!(events, expected, "split at {split}");
    }
    let mut decoder = Decoder::new(1024);
    let mut events = Vec::new();
    for byte in &bytes {
        decoder.push(std::slice::from_ref(byte), &mut events);
    }
    assert_eq!(events, expected, "a byte at a time");
}

#[test]
fn broken_rules_close_with_their_status() {
    use status::*;
    let unmasked = [0x81, 0x02, b'h', b'i'];
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("unmasked", unmasked.to_vec(), PROTOCOL_ERROR),
        (
            "binary",
            client_frame(Opcode::Binary, true, b"\x00", MASK),
            UNSUPPORTED_DATA,
        ),
        (
            "rsv1",
            {
                let mut f = text("hi");
                f[0] |= 0x40;
                f
            },
            PROTOCOL_ERROR,
        ),
        (
            "opcode 3",
            client_frame(Opcode::Other(3), true, b"", MASK),
            PROTOCOL_ERROR,
        ),
        (
            "opcode 11",
            client_frame(Opcode::Other(11), true, b"", MASK),
            PROTOCOL_ERROR,
        ),
        (
            "long ping",
            client_frame(Opcode::Ping, true, &[0; 126], MASK),
            PROTOCOL_ERROR,
        ),
        (
            "fragmented ping",
            client_frame(Opcode::Ping, false, b"", MASK),
            PROTOCOL_ERROR,
        ),
        (
            "lone continuation",
            client_frame(Opcode::Continuation, true, b"x", MASK),
            PROTOCOL_ERROR,
        ),
        (
            "text inside a fragmented text",
            [client_frame(Opcode::Text, false, b"a", MASK), text("b")].concat(),
            PROTOCOL_ERROR,
        ),
        ("too long", text(&"x".repeat(17)), TOO_BIG),
        (
            "too long across fragments",
            [
                client_frame(Opcode::Text, false, &[b'x'; 10], MASK),
                client_frame(Opcode::Continuation, true, &[b'x'; 7], MASK),
            ]
            .concat(),
            TOO_BIG,
        ),
        (
            "not utf-8",
            client_frame(Opcode::Text, true, b"\xff", MASK),
            INVALID_TEXT,
        ),
        (
            "a character cut short at the end",
            client_frame(Opcode::Text, true, &"é".as_bytes()[..1], MASK),
            INVALID_TEXT,
        ),
        (
            "a split character continued wrongly",
            [
                client_frame(Opcode::Text, false, &"é".as_bytes()[..1], MASK),
                client_frame(Opcode::Continuation, true, b"x", MASK),
            ]
            .concat(),
            INVALID_TEXT,
        ),
        (
            "one-byte close",
            client_frame(Opcode::Close, true, &[3], MASK),
            PROTOCOL_ERROR,
        ),
        (
            "close 1005",
            client_frame(Opcode::Close, true, &[0x03, 0xed], MASK),
            PROTOCOL_ERROR,
        ),
        (
            "close 999",
            client_frame(Opcode::Close, true, &[0x03, 0xe7], MASK),
            PROTOCOL_ERROR,
        ),
        (
            "close reason not utf-8",
            client_frame(Opcode::Close, true, &[0x03, 0xe8, 0xff], MASK),
            INVALID_TEXT,
        ),
    ];
    for (name, bytes, status) in cases {
        let events = decode(16, &bytes);
        assert!(closed(status)(&events), "{name}: {events:?}");
        assert_eq!(events.len(), 1, "{name}: {events:?}");
        // The same a byte at a time: the rules do not depend on the reads.
        let mut decoder = Decoder::new(16);
        let mut events = Vec::new();
        for byte in &bytes {
            decoder.push(std::slice::from_ref(byte), &mut events);
        }
        assert!(
            closed(status)(&events),
            "{name}, a byte at a time: {events:?}"
        );
        // Nothing after the close, whatever follows.
        let mut decoder = Decoder::new(16);
        let mut events = Vec::new();
        decoder.push(&bytes, &mut events);
        decoder.push(&text("more"), &mut events);
        assert_eq!(events.len(), 1, "{name}");
    }
}

#[test]
fn a_too_long_message_is_refused_from_its_header_alone() {
    // The header of a 1 GiB text frame, and no payload: refused at once,
    // so nothing of it was ever waited for or stored.
    let mut header = vec![0x81, 0x80 | 127];
    header.extend_from_slice(&(1u64 << 30).to_be_bytes());
    header.extend_from_slice(&MASK);
    let events = decode(1024, &header);
    assert!(closed(status::TOO_BIG)(&events), "{events:?}");
    // The largest message allowed passes.
    assert_eq!(
        decode(1024, &text(&"y".repeat(1024))),
        vec![Received::Text("y".repeat(1024))]
    );
}

#[test]
fn bad_utf8_is_refused_before_the_frame_ends() {
    let frame = client_frame(Opcode::Text, true, b"ok \xc3\x28 and more", MASK);
    let events = decode(100, &frame[..6 + 5]); // header + "ok \xc3("
    assert!(closed(status::INVALID_TEXT)(&events), "{events:?}");
}

#[test]
fn closes_echo_the_client_status() {
    let empty = client_frame(Opcode::Close, true, b"", MASK);
    assert_eq!(
        decode(100, &empty),
        vec![Received::Close {
            status: 1000,
            reason: String::new()
        }]
    );
    let going = client_frame(Opcode::Close, true, &[0x03, 0xe9], MASK);
    assert!(closed(1001)(&decode(100, &going)));
    let app = client_frame(Opcode::Close, true, &[0x0f, 0xa0], MASK); // 4000
    assert!(closed(4000)(&decode(100, &app)));
}

#[test]
fn server_frames_are_unmasked_one_per_line() {
    let mut out = Vec::new();
    push_text_frames(
        "OK Joined #general (1 users)\r\nJOIN #general alice\r\n",
        &mut out,
    );
    push_text_frames("ROOM #general alice hi\r\n", &mut out);
    let (frames, used) = parse_server_frames(&out);
    assert_eq!(used, out.len());
    let lines: Vec<(bool, u8, &[u8])> = frames
        .iter()
        .map(|f| (f.fin, f.opcode, f.payload.as_slice()))
        .collect();
    assert_eq!(
        lines,
        [
            (true, 1, &b"OK Joined #general (1 users)"[..]),
            (true, 1, b"JOIN #general alice"),
            (true, 1, b"ROOM #general alice hi"),
        ]
    );
    // The browser chapter's hexdump: "hi" in one frame, FIN + text, length 2.
    let mut hi = Vec::new();
    push_text_frames("hi\r\n", &mut hi);
    assert_eq!(hi, [0x81, 0x02, b'h', b'i']);
}

#[test]
fn lengths_take_7_16_or_64_bits() {
    for (length, header) in [(125, 2), (126, 4), (65535, 4), (65536, 10)] {
        let mut out = Vec::new();
        push_text_frames(&"z".repeat(length), &mut out);
        assert_eq!(out.len(), header + length, "{length}");
        let (frames, used) = parse_server_frames(&out);
        assert_eq!((frames[0].payload.len(), used), (length, out.len()));
        // A frame cut short is left for the next read.
        assert_eq!(parse_server_frames(&out[..out.len() - 1]), (vec![], 0));
        // And the decoder reads a client's frame of the same length.
        let client = client_frame(Opcode::Text, true, "z".repeat(length).as_bytes(), MASK);
        assert_eq!(
            decode(65536, &client),
            vec![Received::Text("z".repeat(length))]
        );
    }
}

#[test]
fn control_frames() {
    let close = close_frame(status::TOO_BIG, &"é".repeat(100));
    assert_eq!(&close[..4], &[0x88, 124, 0x03, 0xf1]);
    assert!(std::str::from_utf8(&close[4..]).is_ok()); // cut at a character
    assert_eq!(close_frame(1000, ""), [0x88, 0x02, 0x03, 0xe8]);
    assert_eq!(pong_frame(b"hi"), [0x8a, 0x02, b'h', b'i']);
}

#[test]
fn the_readme_hexdumps() {
    // The browser sends "MSG hi", masked with the key 37 fa 21 3d.
    assert_eq!(
        text("MSG hi"),
        [0x81, 0x86, 0x37, 0xfa, 0x21, 0x3d, 0x7a, 0xa9, 0x66, 0x1d, 0x5f, 0x93]
    );
    // The server answers with one unmasked frame.
    let mut out = Vec::new();
    push_text_frames("ROOM #general bob hi\r\n", &mut out);
    assert_eq!(&out[..2], [0x81, 0x14]);
    assert_eq!(&out[2..], b"ROOM #general bob hi");
}

#[test]
fn a_browser_must_reach_the_server_by_address_localhost_or_an_allowed_name() {
    // DNS rebinding: the hostile name, in Host and Origin alike.
    assert!(!host_allowed("evil.example:7007", &[]));
    assert!(!host_allowed("EVIL.example.:7007", &[]));
    assert!(!host_allowed("10.0.0.5.evil.example:7007", &[]));
    for host in [
        "10.0.0.5:7007",
        "10.0.0.5",
        "[::1]:7007",
        "localhost:7007",
        "a.localhost",
    ] {
        assert!(host_allowed(host, &[]), "{host}");
    }
    let allowed = vec!["http://chat.school:7007".to_string()];
    assert!(host_allowed("Chat.School:7007", &allowed));
    assert!(!host_allowed("chat.school:8080", &allowed));
}
