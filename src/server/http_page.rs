//! A short plain-text web page for people who open the chat port in a browser.
//!
//! In a classroom the server's address is written on the board as
//! `192.168.1.20:7007`, and somebody always pastes it into a web browser. The
//! browser then sends `GET / HTTP/1.1` and a dozen header lines; a chat server
//! that took those for chat input would answer with a screen of protocol
//! errors, or with nothing the browser can show. Instead, when the first line
//! of a connection looks like an HTTP request, the server answers it as HTTP
//! with [`response`] — a page saying that this is a chat server and which
//! commands to type — and closes the connection.
//!
//! How the server can tell a browser from a person: browsers speak first,
//! people don't. A browser sends its request the moment it connects; `nc` and
//! `telnet` send nothing until somebody types. So the server holds its
//! greeting back for about 250 ms after accepting a connection. If a line
//! arrives in that time and [`looks_like_http_request`] says yes, the visitor
//! is a browser and gets the page; otherwise the visitor is greeted as a chat
//! user. A person cannot type a whole HTTP request line in a quarter of a
//! second, and even pasted text is checked strictly (method, target and
//! `HTTP/1.x` version, nothing else), so `GET out of here` stays chat.
//!
//! The page is plain text, not HTML, because it is meant to be read once and
//! copied from: a command in a `<pre>` block invites nothing that plain text
//! does not do better, and plain text cannot be broken by a stray `<` in a
//! command line.

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

/// The complete HTTP response (status line, headers, blank line, body) that
/// tells a browser's user how to connect, given the lines the server printed
/// at start (`nc 192.168.1.20 7007`, `telnet 192.168.1.20 7007`, …).
///
/// `Connection: close` and an exact `Content-Length` let the browser show the
/// page at once and know it is complete; the server closes the connection
/// right after writing it, so no further requests are expected.
pub fn response(how_to_connect: &[String]) -> String {
    let mut body = String::new();
    body.push_str("This is a chat server, not a web page.\n");
    body.push('\n');
    body.push_str("Connect from a terminal with one of these commands:\n");
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
    // Content-Length counts bytes, not characters: `String::len` is bytes.
    format!(
        "HTTP/1.1 200 OK\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Connection: close\r\n\
         \r\n\
         {body}",
        body.len()
    )
}

/// The answer to one request line: the whole [`response`], or only its
/// headers for `HEAD`, which asks for the headers without the page.
pub fn answer<'a>(request_line: &[u8], full_response: &'a str) -> &'a str {
    if !request_line.starts_with(b"HEAD ") {
        return full_response;
    }
    match full_response.find("\r\n\r\n") {
        Some(end) => &full_response[..end + 4],
        None => full_response,
    }
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
    fn response_is_complete_http_with_exact_length() {
        let lines = vec![
            "nc 192.168.1.20 7007".to_string(),
            "telnet 192.168.1.20 7007".to_string(),
        ];
        let text = response(&lines);
        let (head, body) = text
            .split_once("\r\n\r\n")
            .expect("blank line after headers");
        let head_lines: Vec<&str> = head.split("\r\n").collect();
        assert_eq!(head_lines[0], "HTTP/1.1 200 OK");
        assert!(head_lines.contains(&"Content-Type: text/plain; charset=utf-8"));
        assert!(head_lines.contains(&"Connection: close"));
        let length = head_lines
            .iter()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .expect("Content-Length header");
        assert_eq!(length.parse::<usize>().unwrap(), body.len());
        assert!(body.contains("chat server, not a web page"));
        assert!(body.contains("    nc 192.168.1.20 7007\n"));
        assert!(body.contains("    telnet 192.168.1.20 7007\n"));
        assert!(body.contains("/nick yourname"));
    }

    #[test]
    fn content_length_counts_bytes_not_characters() {
        let text = response(&["nc café 7007".to_string()]);
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert_ne!(body.len(), body.chars().count());
        assert!(head.contains(&format!("Content-Length: {}\r\n", body.len())));
    }

    #[test]
    fn head_gets_the_headers_only() {
        let full = response(&["nc 192.0.2.2 7007".to_string()]);
        assert_eq!(answer(b"GET / HTTP/1.1", &full), full);
        let head = answer(b"HEAD / HTTP/1.1", &full);
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"));
        assert!(head.contains("Content-Length:") && !head.contains("nc 192.0.2.2"));
    }
}
