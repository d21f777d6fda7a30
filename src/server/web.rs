//! What the chat port answers to a web browser: the chat page, the
//! plain-text help, the WebSocket upgrade, or a short error.
//!
//! The server already recognises a browser by its first line (see
//! [`crate::server::http_page`]); once the whole request head is read
//! ([`crate::wire::http_request`]), [`answer`] decides, as a pure function of the
//! request, so every path and method is tested without a socket:
//!
//! | request | answer |
//! |---|---|
//! | `GET /`, `GET /index.html` | the chat page (`chat.html`, built in) |
//! | `GET /help.txt` | the plain-text "how to connect" page |
//! | `GET /chat` + `Upgrade: websocket` | `101`, then WebSocket frames |
//! | `HEAD` of a page | its headers only |
//! | another path | `404` |
//! | another method | `405` |
//!
//! The page is sent with a Content-Security-Policy that allows only its own
//! inline script and style and connections back to this server: even if a
//! bug ever let network text become HTML, it could load nothing and send
//! nothing anywhere else.

use crate::wire::http_request::{text_response, Request};
use crate::wire::websocket;

/// The browser client, kept as a real HTML file so it can be opened and
/// edited as a web page, and built into the server so it needs no files.
pub const CHAT_PAGE: &str = include_str!("chat.html");

/// The path the page opens its WebSocket on.
pub const CHAT_SOCKET_PATH: &str = "/chat";

/// The page's security policy (see the module comment).
const PAGE_POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; \
style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
form-action 'none'; frame-ancestors 'none'";

/// What to do with a browser's request.
#[derive(Debug, PartialEq, Eq)]
pub enum WebAnswer {
    /// Write this complete response, then close the connection.
    Respond(String),
    /// Write this `101 Switching Protocols`; the connection is a WebSocket
    /// from now on.
    Upgrade(String),
}

/// The answer to `request`. `help_text` is the body of the plain-text page;
/// `allowed_origins` are the other sites whose pages may open the chat.
pub fn answer(request: &Request, help_text: &str, allowed_origins: &[String]) -> WebAnswer {
    let path = request.path();
    if path == CHAT_SOCKET_PATH && request.header("Upgrade").is_some() {
        return match websocket::handshake(request, allowed_origins) {
            Ok(switching) => WebAnswer::Upgrade(switching),
            Err(refusal) => WebAnswer::Respond(refusal),
        };
    }
    if request.method != "GET" && request.method != "HEAD" {
        return WebAnswer::Respond(text_response(
            "405 Method Not Allowed",
            "Allow: GET, HEAD\r\n",
            &format!(
                "{} is not something this chat server does.\n",
                request.method
            ),
        ));
    }
    let response = match path {
        "/" | "/index.html" => page_response(),
        "/help.txt" => text_response("200 OK", "", help_text),
        CHAT_SOCKET_PATH => text_response(
            "400 Bad Request",
            "",
            "This address is the chat's WebSocket: open / in a browser instead.\n",
        ),
        _ => text_response(
            "404 Not Found",
            "",
            "No such page here. The chat is at /, and how to connect at /help.txt.\n",
        ),
    };
    if request.method == "HEAD" {
        // The same headers, without the body.
        let end = response
            .find("\r\n\r\n")
            .map_or(response.len(), |at| at + 4);
        return WebAnswer::Respond(response[..end].to_string());
    }
    WebAnswer::Respond(response)
}

/// The chat page with its headers.
fn page_response() -> String {
    format!(
        "HTTP/1.1 200 OK\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Content-Security-Policy: {PAGE_POLICY}\r\n\
         X-Content-Type-Options: nosniff\r\n\
         Cache-Control: no-cache\r\n\
         Connection: close\r\n\
         \r\n\
         {CHAT_PAGE}",
        CHAT_PAGE.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::http_request::parse;

    fn ask(head: &str) -> WebAnswer {
        answer(&parse(head.as_bytes()).unwrap(), "use nc\n", &[])
    }

    fn respond(head: &str) -> String {
        match ask(head) {
            WebAnswer::Respond(text) => text,
            other => panic!("{head}: {other:?}"),
        }
    }

    #[test]
    fn the_page_and_the_help() {
        for path in ["/", "/index.html", "/?from=board"] {
            let page = respond(&format!("GET {path} HTTP/1.1\r\nHost: a"));
            assert!(page.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/html"));
            assert!(page.contains("Content-Security-Policy: default-src 'none'"));
            assert!(page.ends_with("</html>\n"));
            let (head, body) = page.split_once("\r\n\r\n").unwrap();
            assert!(head.contains(&format!("Content-Length: {}\r\n", body.len())));
        }
        let help = respond("GET /help.txt HTTP/1.1");
        assert!(help.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/plain"));
        assert!(help.ends_with("\r\n\r\nuse nc\n"));
    }

    #[test]
    fn head_unknown_paths_and_methods() {
        let head = respond("HEAD / HTTP/1.1");
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"));
        assert!(head.contains(&format!("Content-Length: {}\r\n", CHAT_PAGE.len())));
        assert!(respond("GET /favicon.ico HTTP/1.1").starts_with("HTTP/1.1 404 Not Found\r\n"));
        assert!(respond("HEAD /x HTTP/1.1").ends_with("\r\n\r\n"));
        let post = respond("POST / HTTP/1.1");
        assert!(post.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        assert!(post.contains("\r\nAllow: GET, HEAD\r\n"));
        assert!(respond("GET /chat HTTP/1.1").starts_with("HTTP/1.1 400 Bad Request\r\n"));
    }

    #[test]
    fn the_upgrade() {
        let upgrade = "GET /chat HTTP/1.1\r\nHost: a:1\r\nUpgrade: websocket\r\n\
                       Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                       Sec-WebSocket-Version: 13";
        assert!(matches!(ask(upgrade), WebAnswer::Upgrade(s) if s.starts_with("HTTP/1.1 101")));
        let elsewhere = format!("{upgrade}\r\nOrigin: http://elsewhere.example");
        assert!(respond(&elsewhere).starts_with("HTTP/1.1 403 Forbidden\r\n"));
        let half = "GET /chat HTTP/1.1\r\nHost: a:1\r\nUpgrade: websocket";
        assert!(respond(half).starts_with("HTTP/1.1 400 Bad Request\r\n"));
    }
}
