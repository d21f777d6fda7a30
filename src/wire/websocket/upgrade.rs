//! The opening handshake: the HTTP request that turns into a WebSocket.
//!
//! A browser opens a chat connection with `GET /chat`, `Upgrade: websocket`
//! and a random `Sec-WebSocket-Key`; [`handshake`] checks the request and
//! answers `101 Switching Protocols` with the key's proof
//! ([`accept_key`]), after which both sides send frames. A request that is
//! wrong gets a complete HTTP error whose body says, in one line, what to
//! do instead.
//!
//! Two rules decide which browsers may connect, because a browser carries
//! its user's trust to any page it shows: [`origin_allowed`] (no other
//! site's page may chat in a student's name) and [`host_allowed`] (no other
//! site may pass for this one by pointing its name at the server's
//! address). Programs that are not browsers send no `Origin` and skip both.

use crate::support::{base64, sha1};
use crate::wire::http_request::{text_response, Request};

/// The constant RFC 6455 §1.3 appends to the client's key before hashing.
const HANDSHAKE_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`: base64 of the
/// SHA-1 of the key followed by the GUID. It proves to the browser that the
/// server read this request as a WebSocket upgrade, not as any HTTP request.
pub fn accept_key(key: &str) -> String {
    base64::encode(&sha1::sha1(format!("{key}{HANDSHAKE_GUID}").as_bytes()))
}

/// Answers an upgrade request: `Ok` with the `101 Switching Protocols`
/// response to write before the first frame, or `Err` with a complete HTTP
/// error response (400, or 403 for another site's page) whose body is one
/// line saying what was wrong.
///
/// `allowed_origins` are the origins besides the server's own that may open
/// a chat connection (`http://teacher.example:8080`), compared ignoring case.
pub fn handshake(request: &Request, allowed_origins: &[String]) -> Result<String, String> {
    let bad = |reason: &str| Err(text_response("400 Bad Request", "", &format!("{reason}\n")));
    if request.method != "GET" || request.version != "HTTP/1.1" {
        return bad("A WebSocket upgrade must be a GET request in HTTP/1.1.");
    }
    let Some(host) = request.header("Host") else {
        return bad("The upgrade request has no Host header.");
    };
    if !request.header_has_token("Upgrade", "websocket") {
        return bad("This address is a WebSocket: the request needs Upgrade: websocket.");
    }
    if !request.header_has_token("Connection", "Upgrade") {
        return bad("The upgrade request needs Connection: Upgrade.");
    }
    if request.header("Sec-WebSocket-Version").as_deref() != Some("13") {
        // RFC 6455 §4.4: say which version we speak.
        return Err(text_response(
            "400 Bad Request",
            "Sec-WebSocket-Version: 13\r\n",
            "Only WebSocket version 13 is spoken here.\n",
        ));
    }
    let key = request.header("Sec-WebSocket-Key").unwrap_or_default();
    if base64::decode(&key).map(|bytes| bytes.len()) != Some(16) {
        return bad("Sec-WebSocket-Key must be 16 bytes in base64.");
    }
    if let Some(origin) = request.header("Origin") {
        if !host_allowed(&host, allowed_origins) {
            return Err(text_response(
                "403 Forbidden",
                "",
                &format!(
                    "Open this chat by the server's address, not by the name {0} (a name \
                     can be another site's in disguise), or add http://{0} to allowed_origins.\n",
                    printable(&host)
                ),
            ));
        }
        if !origin_allowed(&origin, &host, allowed_origins) {
            return Err(text_response(
                "403 Forbidden",
                "",
                &format!(
                    "Pages from {} may not open this chat (only pages from {host}).\n",
                    printable(&origin)
                ),
            ));
        }
    }
    Ok(format!(
        "HTTP/1.1 101 Switching Protocols\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\
         \r\n",
        accept_key(&key)
    ))
}

/// The cross-site rule. A browser sends `Origin` with every WebSocket
/// request: the site of the page that opened it. Without this check, any web
/// page a student visits could open a chat connection from their browser and
/// chat in their name, from inside the school network. A page the server
/// itself served has the origin `http://<Host>`; programs that are not
/// browsers send no `Origin` and are no such risk (they could connect with
/// TCP anyway).
pub fn origin_allowed(origin: &str, host: &str, allowed_origins: &[String]) -> bool {
    if allowed_origins
        .iter()
        .any(|allowed| allowed.eq_ignore_ascii_case(origin))
    {
        return true;
    }
    // "http://10.0.0.5:7007" → "10.0.0.5:7007", compared with Host.
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    authority.is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

/// The DNS-rebinding rule, checked before [`origin_allowed`] for every
/// browser (every request with an `Origin`). A hostile site can make its
/// own name resolve to the chat server's address after its page loaded;
/// the page's `Origin` and the request's `Host` are then *both* the
/// hostile name, and agree. So a browser is accepted only when it reached
/// the server by an IP address (the address it listens on, or a LAN one:
/// no other site's page has that origin), by `localhost`, or by a name the
/// teacher listed in `allowed_origins`. A teacher who shares a name
/// (`chat.school:7007`) lists it there; the refusal says so.
pub fn host_allowed(host: &str, allowed_origins: &[String]) -> bool {
    let name = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or(""),
        None => match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        },
    };
    if name.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    allowed_origins.iter().any(|allowed| {
        let authority = allowed
            .strip_prefix("http://")
            .or_else(|| allowed.strip_prefix("https://"));
        authority.is_some_and(|authority| authority.eq_ignore_ascii_case(host))
    })
}

/// Text from a request, made safe to echo in a one-line error.
fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(80).collect()
}
