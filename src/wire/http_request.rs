//! The head of an HTTP/1.1 request (request line and headers), read from a
//! connection's first bytes and taken apart.
//!
//! A browser that opens the chat port sends a request head and then waits:
//! `GET /chat HTTP/1.1`, header lines, and an empty line that ends the head.
//! [`HeadReader`] collects bytes until that empty line, with a size cap, since
//! a visitor who never sends it must not make the server buffer forever;
//! [`parse`] then splits the head into a [`Request`]. The server uses it to
//! choose between the chat page, the plain-text help, an error, and the
//! WebSocket upgrade ([`crate::wire::websocket::handshake`]).
//!
//! Only what a request head needs is here: no bodies (GET and HEAD have none),
//! no chunked encoding, no keep-alive. Header names are compared ignoring
//! case, as HTTP says; a header line folded onto the next (obsolete since
//! RFC 7230) is refused rather than guessed at.

/// The largest request head accepted, in bytes. Browsers send well under
/// 2 KiB to a server that has never set a cookie; 8 KiB is what many servers
/// allow.
pub const MAX_HEAD_BYTES: usize = 8 * 1024;

/// Collects a request head from bytes as they arrive.
#[derive(Debug, Default)]
pub struct HeadReader {
    head: Vec<u8>,
}

/// What [`HeadReader::push`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum HeadProgress {
    /// The head is not complete yet: read more.
    More,
    /// The head is complete (without its empty line); `rest` is what came
    /// after it in the same bytes (for a WebSocket, the first frames).
    Complete { head: Vec<u8>, rest: Vec<u8> },
    /// The head went over [`MAX_HEAD_BYTES`].
    TooLong,
}

impl HeadReader {
    pub fn new() -> HeadReader {
        HeadReader::default()
    }

    /// Feeds the bytes of one `read()`. The head ends at the first empty
    /// line (`\r\n\r\n`, or `\n\n` from hand-typed requests).
    pub fn push(&mut self, bytes: &[u8]) -> HeadProgress {
        // Search from a little before the new bytes: the end marker may be
        // split between two reads.
        let search_from = self.head.len().saturating_sub(3);
        self.head.extend_from_slice(bytes);
        let end =
            find_blank_line(&self.head[search_from..]).map(|(at, len)| (search_from + at, len));
        match end {
            Some((at, len)) if at <= MAX_HEAD_BYTES => {
                let rest = self.head.split_off(at + len);
                self.head.truncate(at);
                HeadProgress::Complete {
                    head: std::mem::take(&mut self.head),
                    rest,
                }
            }
            _ if self.head.len() > MAX_HEAD_BYTES => HeadProgress::TooLong,
            _ => HeadProgress::More,
        }
    }
}

/// Where the first empty line starts, and how long its marker is.
fn find_blank_line(bytes: &[u8]) -> Option<(usize, usize)> {
    (0..bytes.len()).find_map(|i| {
        if bytes[i..].starts_with(b"\r\n\r\n") {
            Some((i, 4))
        } else if bytes[i..].starts_with(b"\n\n") {
            Some((i, 2))
        } else if bytes[i..].starts_with(b"\n\r\n") {
            Some((i, 3))
        } else {
            None
        }
    })
}

/// A request head, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `HEAD`, …
    pub method: String,
    /// The path as sent, query string included (`/chat`, `/?x=1`).
    pub target: String,
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub version: String,
    /// Header names and values in the order sent, values trimmed.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The value of header `name` (any case), if it was sent. A header sent
    /// twice gives both values joined by ", ", which is what HTTP says a
    /// repeated header means.
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// Is `token` one of the comma-separated words of header `name`, ignoring
    /// case? (`Connection: keep-alive, Upgrade` contains `upgrade`.)
    pub fn header_has_token(&self, name: &str, token: &str) -> bool {
        self.header(name).is_some_and(|value| {
            value
                .split(',')
                .any(|word| word.trim().eq_ignore_ascii_case(token))
        })
    }

    /// The target without its query string: `/chat?x=1` → `/chat`.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// Takes a complete head apart, or says in one line what is wrong with it.
pub fn parse(head: &[u8]) -> Result<Request, String> {
    let text = std::str::from_utf8(head).map_err(|_| "The request is not text.".to_string())?;
    let mut lines = text
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line));
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("The request line must be: METHOD /path HTTP/1.1".into());
    };
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(format!(
            "Only HTTP/1.0 and HTTP/1.1 are spoken here, not {version}."
        ));
    }
    let mut headers = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            return Err("Folded header lines are not accepted.".into());
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("A header line has no colon: {}", shorten(line)));
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("A header has an invalid name: {}", shorten(name)));
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    Ok(Request {
        method: method.to_string(),
        target: target.to_string(),
        version: version.to_string(),
        headers,
    })
}

/// A piece of the request for an error message: short, and printable.
fn shorten(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(40).collect()
}

/// A complete plain-text HTTP response that ends the connection: the status
/// line, the headers a browser needs, `extra_headers` (each ending in
/// `\r\n`), and `body`.
pub fn text_response(status: &str, extra_headers: &str, body: &str) -> String {
    response(status, "text/plain", extra_headers, body)
}

/// A response that ends the connection, with `body` of type `kind`.
fn response(status: &str, kind: &str, extra_headers: &str, body: &str) -> String {
    // Content-Length counts bytes, not characters: `String::len` is bytes.
    format!(
        "HTTP/1.1 {status}\r\n\
         Content-Type: {kind}; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         {extra_headers}\
         Connection: close\r\n\
         \r\n\
         {body}",
        body.len()
    )
}

/// A complete HTTP/1.1 response with a short HTML page of a title and
/// paragraphs (plain text, escaped here): what a person's browser shows
/// when the server cannot serve it, instead of "This page isn't working".
pub fn html_response(
    status: &str,
    extra_headers: &str,
    title: &str,
    paragraphs: &[&str],
) -> String {
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"icon\" href=\"data:,\"><title>{}</title></head>\n\
         <body style=\"font: 18px/1.5 system-ui, sans-serif; max-width: 34em; margin: 2em auto; padding: 0 1em\">\n\
         <h1>{}</h1>\n",
        escape(title),
        escape(title)
    );
    for paragraph in paragraphs {
        body.push_str(&format!("<p>{}</p>\n", escape(paragraph)));
    }
    body.push_str("</body></html>\n");
    response(status, "text/html", extra_headers, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BROWSER: &[u8] = b"GET /chat HTTP/1.1\r\nHost: 10.0.0.5:7007\r\n\
Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x80";

    #[test]
    fn an_html_answer_escapes_its_text_and_counts_bytes() {
        let answer = html_response(
            "503 Service Unavailable",
            "Retry-After: 60\r\n",
            "Full",
            &["a <b> & é"],
        );
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
        assert!(head.contains(&format!("Content-Length: {}\r\n", body.len())));
        assert!(head.contains("Retry-After: 60\r\n"));
        assert!(body.contains("<p>a &lt;b&gt; &amp; é</p>"), "{body}");
    }

    #[test]
    fn the_head_ends_at_the_empty_line_at_any_split() {
        let head_end = BROWSER.len() - 2; // the two frame bytes follow the head
        for split in 0..=BROWSER.len() {
            let mut reader = HeadReader::new();
            let (head, rest) = match reader.push(&BROWSER[..split]) {
                HeadProgress::Complete { head, rest } => {
                    assert!(split >= head_end, "complete too early at {split}");
                    // The bytes of the next read go straight to the frames.
                    (head, [rest, BROWSER[split..].to_vec()].concat())
                }
                HeadProgress::More => match reader.push(&BROWSER[split..]) {
                    HeadProgress::Complete { head, rest } => (head, rest),
                    other => panic!("not complete at split {split}: {other:?}"),
                },
                HeadProgress::TooLong => panic!("too long at {split}"),
            };
            assert!(head.ends_with(b"Connection: Upgrade"), "{split}");
            assert_eq!(rest, b"\x81\x80", "{split}");
        }
    }

    #[test]
    fn a_head_without_end_is_refused_past_the_cap() {
        let mut reader = HeadReader::new();
        assert_eq!(reader.push(b"GET / HTTP/1.1\r\n"), HeadProgress::More);
        let filler = vec![b'x'; MAX_HEAD_BYTES];
        assert_eq!(reader.push(&filler), HeadProgress::TooLong);
    }

    #[test]
    fn headers_are_found_ignoring_case() {
        let head = b"GET /chat?room=lab HTTP/1.1\r\nHOST: a:1\r\nconnection: keep-alive, Upgrade\r\nX: 1\r\nx: 2";
        let request = parse(head).unwrap();
        assert_eq!(request.method, "GET");
        assert_eq!(request.path(), "/chat");
        assert_eq!(request.header("Host").as_deref(), Some("a:1"));
        assert_eq!(request.header("x").as_deref(), Some("1, 2"));
        assert!(request.header_has_token("Connection", "upgrade"));
        assert!(!request.header_has_token("Connection", "close"));
        assert_eq!(request.header("Origin"), None);
    }

    #[test]
    fn malformed_heads_are_explained() {
        for (head, says) in [
            (&b"GET /"[..], "request line"),
            (b"GET / HTTP/2", "HTTP/1.0"),
            (b"GET / HTTP/1.1\r\nno colon here", "no colon"),
            (b"GET / HTTP/1.1\r\nA: b\r\n  folded", "Folded"),
            (b"GET / HTTP/1.1\r\nbad name: x", "invalid name"),
            (b"GET / HTTP/1.1\r\n\xff: x", "not text"),
        ] {
            let error = parse(head).unwrap_err();
            assert!(error.contains(says), "{error}");
            assert!(!error.contains('\n'));
        }
    }

    #[test]
    fn text_responses_have_exact_lengths() {
        let response = text_response("404 Not Found", "", "No such page: café\n");
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 404 Not Found\r\n"));
        assert!(head.contains(&format!("Content-Length: {}\r\n", body.len())));
    }
}
