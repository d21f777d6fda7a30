//! A short plain-text web page for people who open the chat port in a browser.
//!
//! In a classroom the server's address is written on the board as
//! `192.168.1.20:7007`, and somebody always pastes it into a web browser. The
//! browser then sends `GET / HTTP/1.1` and a dozen header lines; a chat server
//! that took those for chat input would answer with a screen of protocol
//! errors, or with nothing the browser can show. Instead, when the first line
//! of a connection looks like an HTTP request, the server answers it as HTTP
//! ([`crate::server::web`]): with the chat page, the WebSocket the page
//! opens, or [`help_text`], a plain-text page saying how to connect with
//! `nc` and `telnet`.
//!
//! How the server can tell a browser from a person: browsers speak first,
//! people don't. A browser sends its request the moment it connects; `nc` and
//! `telnet` send nothing until somebody types. So the server holds its
//! greeting back for about 250 ms after accepting a connection. If a line
//! arrives in that time and [`looks_like_http_request`] says yes, the visitor
//! is a browser and gets an HTTP answer; otherwise the visitor is greeted as a chat
//! user. A person cannot type a whole HTTP request line in a quarter of a
//! second, and even pasted text is checked strictly (method, target and
//! `HTTP/1.x` version, nothing else), so `GET out of here` stays chat.
//!
//! The help page is plain text, not HTML, because it is meant to be read
//! once and copied from: a command in a `<pre>` block invites nothing that
//! plain text does not do better, and plain text cannot be broken by a stray
//! `<` in a command line.

/// The request methods a browser or an HTTP tool may start with. Matching the
/// full list (not just `GET`) means `curl -X POST` or a proxy's `CONNECT` is
/// answered as HTTP too, rather than becoming a confused chat line.
const HTTP_METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT",
];

/// Does `first_line` look like the request line of an HTTP/1.x request
/// (`GET /path HTTP/1.1`)? A trailing `\r\n` or `\n` is allowed.
///
/// Exactly three parts separated by single spaces: a known method in capitals,
/// a target of visible ASCII, and `HTTP/1.0` or `HTTP/1.1`. HTTP/2 and HTTP/3
/// never start on a plain-text port with a request line, so they need no case.
pub fn looks_like_http_request(first_line: &[u8]) -> bool {
    let line = first_line.strip_suffix(b"\n").unwrap_or(first_line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let known_method = HTTP_METHODS.iter().any(|m| m.as_bytes() == method);
    let plausible_target = !target.is_empty() && target.iter().all(|b| b.is_ascii_graphic());
    let http_1 = version == b"HTTP/1.0" || version == b"HTTP/1.1";
    known_method && plausible_target && http_1
}

/// The plain-text help page a browser gets at `/help.txt` (the chat page
/// links to it), given the lines the server printed at start: the browser
/// address first (`Students: open http://192.168.1.20:7007 in a browser, or
/// nc 192.168.1.20 7007`), then the terminal commands (`nc 192.168.1.20
/// 7007`, `telnet 192.168.1.20 7007`, …). [`crate::server::web`] puts it in
/// an HTTP response.
pub fn help_text(student_lines: &[String], how_to_connect: &[String]) -> String {
    let mut body = String::new();
    body.push_str("How to join this chat.\n");
    body.push('\n');
    for line in student_lines {
        body.push_str(line);
        body.push('\n');
    }
    body.push('\n');
    body.push_str("From a terminal, connect with one of these commands:\n");
    body.push('\n');
    for line in how_to_connect {
        body.push_str("    ");
        body.push_str(line);
        body.push('\n');
    }
    body.push('\n');
    body.push_str(
        "Then type /nick yourname to choose your name, and /help for the other commands.\n",
    );
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_request_lines_are_http() {
        for line in [
            "GET / HTTP/1.1\r\n",
            "GET / HTTP/1.1",
            "GET /favicon.ico HTTP/1.1\n",
            "HEAD / HTTP/1.0\r\n",
            "POST /login?x=1 HTTP/1.1\r\n",
            "PUT /a HTTP/1.1",
            "DELETE /a HTTP/1.1",
            "OPTIONS * HTTP/1.1",
            "PATCH /a HTTP/1.1",
            "CONNECT 192.168.1.20:7007 HTTP/1.1",
            "GET http://192.168.1.20:7007/ HTTP/1.1",
        ] {
            assert!(looks_like_http_request(line.as_bytes()), "{line:?}");
        }
    }

    #[test]
    fn chat_lines_are_not_http() {
        for line in [
            "GET out of here",
            "GET /x",
            "GET /x\r\n",
            "GET / HTTP/2.0",
            "GET / HTTP/1.1 please",
            "GET  / HTTP/1.1",
            "get / HTTP/1.1",
            "FETCH / HTTP/1.1",
            "/nick alice",
            "/join #lab",
            "hello HTTP/1.1",
            "GET / http/1.1",
            "",
            "\r\n",
        ] {
            assert!(!looks_like_http_request(line.as_bytes()), "{line:?}");
        }
    }

    #[test]
    fn non_utf8_first_lines_are_not_http() {
        assert!(!looks_like_http_request(b"\xff\xfd\x18 / HTTP/1.1"));
        assert!(!looks_like_http_request(b"GET /\xe9 HTTP/1.1"));
    }

    #[test]
    fn the_help_names_the_browser_first_then_the_terminal() {
        let students = vec![
            "Students: open http://192.168.1.20:7007 in a browser, or nc 192.168.1.20 7007"
                .to_string(),
        ];
        let terminal = vec![
            "nc 192.168.1.20 7007".to_string(),
            "telnet 192.168.1.20 7007".to_string(),
        ];
        let body = help_text(&students, &terminal);
        let browser = body.find("http://192.168.1.20:7007").unwrap();
        let telnet = body.find("    telnet 192.168.1.20 7007\n").unwrap();
        assert!(browser < telnet, "{body}");
        assert!(body.contains("\n    nc 192.168.1.20 7007\n"));
        assert!(body.contains("/nick yourname"));
    }
}
