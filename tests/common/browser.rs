//! A real web browser for the tests: headless Chromium, driven through its
//! DevTools protocol (CDP), with std only.
//!
//! CDP is JSON messages over a WebSocket: `{"id":1,"method":"Runtime.evaluate",
//! "params":{…}}` out, `{"id":1,"result":{…}}` back (and events, which have no
//! `id`, in between). So this module holds the three small pieces that needs:
//! a JSON writer and reader ([`Json`]), a WebSocket client (using the
//! library's own frame encoder and decoder, the same code the server runs),
//! and the handful of CDP calls the tests use: open a tab on a URL, evaluate
//! JavaScript in it (to read the DOM, type and click), close it.
//!
//! Chromium is started with `--remote-debugging-port=0`, so it picks a free
//! port itself and says which on stderr (`DevTools listening on ws://…`);
//! like the servers' first log line, that is read with a timeout. Each
//! browser gets its own temporary profile directory, removed on drop, so
//! tests can run in parallel and leave nothing behind.

use chatroom::support::tempdir::TempDir;
use chatroom::wire::websocket::{client_frame, parse_server_frames, Opcode};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long Chromium may take to start: longer than a server's start,
/// because a browser loads much more, and the test machine is busy.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest one CDP call, or one wait for the page, may take.
pub const BROWSER_TIMEOUT: Duration = Duration::from_secs(15);

/// A JSON value. Objects keep their keys in order (a `Vec`, not a map):
/// tests look keys up by name, and the order helps when printing.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// `object["key"]`, or `Null` when it is missing or this is no object.
    pub fn get(&self, key: &str) -> &Json {
        match self {
            Json::Object(fields) => fields
                .iter()
                .find(|(k, _)| k == key)
                .map_or(&Json::Null, |(_, v)| v),
            _ => &Json::Null,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// Writes the value as JSON text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => {
                let _ = write!(out, "{n}");
            }
            Json::String(s) => write_string(s, out),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, out);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }

    /// Reads JSON text; `Err` says where it went wrong.
    pub fn parse(text: &str) -> Result<Json, String> {
        let mut reader = JsonReader {
            bytes: text.as_bytes(),
            at: 0,
        };
        let value = reader.value()?;
        reader.skip_space();
        if reader.at != reader.bytes.len() {
            return Err(format!("trailing text at byte {}", reader.at));
        }
        Ok(value)
    }
}

/// Shorthand for building objects: `object(&[("id", 1.into())])`.
pub fn object(fields: &[(&str, Json)]) -> Json {
    Json::Object(
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

impl From<&str> for Json {
    fn from(s: &str) -> Json {
        Json::String(s.to_string())
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Json {
        Json::Bool(b)
    }
}

impl From<u64> for Json {
    fn from(n: u64) -> Json {
        Json::Number(n as f64)
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

struct JsonReader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl JsonReader<'_> {
    fn skip_space(&mut self) {
        while matches!(self.bytes.get(self.at), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.at += 1;
        }
    }

    fn error<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at byte {}", self.at))
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, String> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            self.error("unknown word")
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.skip_space();
        match self.bytes.get(self.at) {
            None => self.error("unexpected end"),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.skip_space();
                if self.bytes.get(self.at) == Some(&b']') {
                    self.at += 1;
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value()?);
                    self.skip_space();
                    match self.bytes.get(self.at) {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return Ok(Json::Array(items));
                        }
                        _ => return self.error("expected , or ]"),
                    }
                }
            }
            Some(b'{') => {
                self.at += 1;
                let mut fields = Vec::new();
                self.skip_space();
                if self.bytes.get(self.at) == Some(&b'}') {
                    self.at += 1;
                    return Ok(Json::Object(fields));
                }
                loop {
                    self.skip_space();
                    let key = self.string()?;
                    self.skip_space();
                    if self.bytes.get(self.at) != Some(&b':') {
                        return self.error("expected :");
                    }
                    self.at += 1;
                    fields.push((key, self.value()?));
                    self.skip_space();
                    match self.bytes.get(self.at) {
                        Some(b',') => self.at += 1,
                        Some(b'}') => {
                            self.at += 1;
                            return Ok(Json::Object(fields));
                        }
                        _ => return self.error("expected , or }"),
                    }
                }
            }
            Some(_) => {
                let start = self.at;
                while matches!(
                    self.bytes.get(self.at),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.at += 1;
                }
                let number = std::str::from_utf8(&self.bytes[start..self.at]).unwrap_or("");
                match number.parse() {
                    Ok(n) => Ok(Json::Number(n)),
                    Err(_) => self.error("bad value"),
                }
            }
        }
    }

    fn string(&mut self) -> Result<String, String> {
        if self.bytes.get(self.at) != Some(&b'"') {
            return self.error("expected a string");
        }
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while !matches!(self.bytes.get(self.at), None | Some(b'"' | b'\\')) {
                self.at += 1;
            }
            match std::str::from_utf8(&self.bytes[start..self.at]) {
                Ok(text) => out.push_str(text),
                Err(_) => return self.error("not UTF-8"),
            }
            match self.bytes.get(self.at) {
                None => return self.error("unterminated string"),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                _ => {}
            }
            self.at += 1; // the backslash
            let escaped = self.bytes.get(self.at).copied();
            self.at += 1;
            match escaped {
                Some(b'"') => out.push('"'),
                Some(b'\\') => out.push('\\'),
                Some(b'/') => out.push('/'),
                Some(b'b') => out.push('\u{8}'),
                Some(b'f') => out.push('\u{c}'),
                Some(b'n') => out.push('\n'),
                Some(b'r') => out.push('\r'),
                Some(b't') => out.push('\t'),
                Some(b'u') => {
                    let mut code = self.hex4()?;
                    // A UTF-16 surrogate pair: \ud83d\ude00.
                    if (0xD800..0xDC00).contains(&code) && self.bytes[self.at..].starts_with(b"\\u")
                    {
                        self.at += 2;
                        let low = self.hex4()?;
                        code =
                            0x10000 + ((code - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF);
                    }
                    out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                }
                _ => return self.error("bad escape"),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .bytes
            .get(self.at..self.at + 4)
            .and_then(|d| std::str::from_utf8(d).ok());
        match digits.and_then(|d| u32::from_str_radix(d, 16).ok()) {
            Some(code) => {
                self.at += 4;
                Ok(code)
            }
            None => self.error("bad \\u escape"),
        }
    }
}

/// A minimal WebSocket client: text messages out (masked, as every client
/// must), text messages in.
struct WebSocketClient {
    stream: TcpStream,
    received: Vec<u8>,
    /// A fragmented message being put together.
    partial: Vec<u8>,
    /// Whole messages read but not yet asked for.
    messages: VecDeque<String>,
    next_mask: u32,
}

impl WebSocketClient {
    /// Opens `ws://host:port/path`.
    fn connect(url: &str) -> Result<WebSocketClient, String> {
        let rest = url.strip_prefix("ws://").ok_or("not a ws:// URL")?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let stream =
            TcpStream::connect(authority).map_err(|e| format!("connect {authority}: {e}"))?;
        stream
            .set_read_timeout(Some(BROWSER_TIMEOUT))
            .map_err(|e| e.to_string())?;
        let mut client = WebSocketClient {
            stream,
            received: Vec::new(),
            partial: Vec::new(),
            messages: VecDeque::new(),
            next_mask: 0x1234_5678,
        };
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        );
        client.write(request.as_bytes())?;
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            match client.stream.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => {
                    return Err(format!(
                        "no handshake answer: {:?}",
                        String::from_utf8_lossy(&head)
                    ))
                }
            }
        }
        let head = String::from_utf8_lossy(&head);
        if !head.starts_with("HTTP/1.1 101") || !head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") {
            return Err(format!("bad handshake answer: {head}"));
        }
        Ok(client)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.stream
            .write_all(bytes)
            .map_err(|e| format!("write: {e}"))
    }

    fn send_text(&mut self, text: &str) -> Result<(), String> {
        self.next_mask = self.next_mask.wrapping_mul(2_654_435_761).wrapping_add(1);
        let frame = client_frame(
            Opcode::Text,
            true,
            text.as_bytes(),
            self.next_mask.to_be_bytes(),
        );
        self.write(&frame)
    }

    /// The next complete text message (fragments put together).
    fn receive_text(&mut self) -> Result<String, String> {
        loop {
            let (frames, used) = parse_server_frames(&self.received);
            self.received.drain(..used);
            for frame in frames {
                match frame.opcode {
                    0 | 1 => {
                        self.partial.extend_from_slice(&frame.payload);
                        if frame.fin {
                            let message = std::mem::take(&mut self.partial);
                            self.messages
                                .push_back(String::from_utf8(message).map_err(|e| e.to_string())?);
                        }
                    }
                    8 => return Err("the browser closed the DevTools connection".into()),
                    _ => {} // ping/pong: not used by the DevTools server
                }
            }
            if let Some(message) = self.messages.pop_front() {
                return Ok(message);
            }
            let mut buffer = [0u8; 64 * 1024];
            match self.stream.read(&mut buffer) {
                Ok(0) => return Err("the browser closed the DevTools connection".into()),
                Ok(n) => self.received.extend_from_slice(&buffer[..n]),
                Err(e) => return Err(format!("reading from the browser: {e}")),
            }
        }
    }
}

/// A headless Chromium with its own profile, killed and cleaned up on drop.
pub struct Browser {
    child: Child,
    /// Removed after the browser is killed (fields drop after `drop` runs).
    _profile: TempDir,
    devtools: WebSocketClient,
    next_id: u64,
    /// Held while this browser lives: one Chromium at a time per test
    /// program. Two starting at once on two loaded cores is how a start or
    /// a page load misses its deadline, and the tests gain nothing from
    /// running browsers side by side.
    _one_at_a_time: std::sync::MutexGuard<'static, ()>,
}

/// Lets one [`Browser`] run at a time (see its `_one_at_a_time`).
static ONE_BROWSER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// One open tab, driven through its own CDP session.
pub struct Tab {
    target_id: String,
    session_id: String,
}

impl Browser {
    /// Starts headless Chromium; `None` when it is not installed (the test
    /// is skipped with the install command, or fails under `CI=true`: see
    /// [`super::programs`]).
    pub fn start() -> Option<Browser> {
        if !super::programs::installed(&["chromium"]) {
            return None;
        }
        // A test that failed while holding it poisons it; the next may go on.
        let one_at_a_time = ONE_BROWSER
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let profile = TempDir::new("browser");
        let spawned = Command::new(super::programs::path_of("chromium"))
            .args([
                "--headless=new",
                "--remote-debugging-port=0",
                "--no-sandbox", // tests may run as root in CI containers
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-dev-shm-usage", // small /dev/shm in containers
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(error) => panic!(
                "cannot start chromium ({error}): {} (or set CHROMIUM to its path)",
                super::programs::install_command("chromium")
            ),
        };
        let url = match child.stderr.take() {
            Some(stderr) => devtools_url(stderr),
            None => Err("no stderr".to_string()),
        };
        let url = url.unwrap_or_else(|error| {
            let _ = child.kill();
            panic!("chromium did not start: {error}")
        });
        let devtools = WebSocketClient::connect(&url).unwrap_or_else(|error| {
            let _ = child.kill();
            panic!("cannot reach chromium's DevTools at {url}: {error}")
        });
        Some(Browser {
            child,
            _profile: profile,
            devtools,
            next_id: 1,
            _one_at_a_time: one_at_a_time,
        })
    }

    /// Sends one CDP command (to a tab's session, or to the browser) and
    /// returns its `result`, skipping the events that arrive meanwhile. An
    /// error answer fails the test.
    pub fn call(&mut self, session: Option<&str>, method: &str, params: Json) -> Json {
        self.try_call(session, method, params)
            .unwrap_or_else(|error| panic!("{method} failed: {error}"))
    }

    /// [`Browser::call`], but an error answer from the browser is returned
    /// (a lost connection or no answer still fails the test).
    pub fn try_call(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Json,
    ) -> Result<Json, String> {
        let id = self.next_id;
        self.next_id += 1;
        let mut fields = vec![
            ("id", Json::from(id)),
            ("method", Json::from(method)),
            ("params", params),
        ];
        if let Some(session) = session {
            fields.push(("sessionId", Json::from(session)));
        }
        let message = object(&fields).to_text();
        if let Err(error) = self.devtools.send_text(&message) {
            panic!("{method}: {error}");
        }
        let deadline = Instant::now() + BROWSER_TIMEOUT;
        while Instant::now() < deadline {
            let text = self
                .devtools
                .receive_text()
                .unwrap_or_else(|error| panic!("{method}: {error}"));
            let reply =
                Json::parse(&text).unwrap_or_else(|error| panic!("{method}: {error}: {text}"));
            if reply.get("id") != &Json::from(id) {
                continue; // an event, or an answer to an earlier call
            }
            if reply.get("error") != &Json::Null {
                return Err(reply.get("error").to_text());
            }
            return Ok(reply.get("result").clone());
        }
        panic!("{method}: no answer within {BROWSER_TIMEOUT:?}");
    }

    /// Opens a new tab on `url`.
    pub fn open(&mut self, url: &str) -> Tab {
        let created = self.call(None, "Target.createTarget", object(&[("url", url.into())]));
        let target_id = created
            .get("targetId")
            .as_str()
            .unwrap_or_default()
            .to_string();
        let attached = self.call(
            None,
            "Target.attachToTarget",
            object(&[
                ("targetId", target_id.as_str().into()),
                ("flatten", true.into()),
            ]),
        );
        let session_id = attached
            .get("sessionId")
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(!session_id.is_empty(), "no CDP session for the new tab");
        let tab = Tab {
            target_id,
            session_id,
        };
        // A new tab starts as about:blank (already "complete") and only then
        // navigates: wait for the real page, or a test could read the blank
        // one. Evaluating while the page is replaced may throw, or find no
        // page to run in at all ("Cannot find default execution context"):
        // that is "not yet" too.
        let deadline = Instant::now() + BROWSER_TIMEOUT;
        let loaded = "location.href !== 'about:blank' && document.readyState === 'complete'";
        loop {
            let result = self.try_call(
                Some(&tab.session_id),
                "Runtime.evaluate",
                object(&[
                    ("expression", loaded.into()),
                    ("returnByValue", true.into()),
                ]),
            );
            if let Ok(result) = result {
                if result.get("result").get("value") == &Json::Bool(true) {
                    return tab;
                }
            }
            assert!(Instant::now() < deadline, "the tab never loaded {url}");
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Runs JavaScript in `tab` (awaiting it if it is a promise) and returns
    /// its value. A script that throws fails the test with the exception.
    pub fn evaluate(&mut self, tab: &Tab, script: &str) -> Json {
        let result = self.call(
            Some(&tab.session_id),
            "Runtime.evaluate",
            object(&[
                ("expression", script.into()),
                ("returnByValue", true.into()),
                ("awaitPromise", true.into()),
            ]),
        );
        if result.get("exceptionDetails") != &Json::Null {
            panic!(
                "the script threw: {script}\n{}",
                result.get("exceptionDetails").to_text()
            );
        }
        result.get("result").get("value").clone()
    }

    /// Evaluates `script` until it gives `true`, or fails after
    /// [`BROWSER_TIMEOUT`] saying what it waited for. The page changes on its
    /// own (network messages arrive), so tests wait for the DOM to show a
    /// thing, never for a fixed time.
    pub fn wait_for(&mut self, tab: &Tab, script: &str) {
        let deadline = Instant::now() + BROWSER_TIMEOUT;
        while Instant::now() < deadline {
            if self.evaluate(tab, script) == Json::Bool(true) {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        panic!("the page never showed: {script}");
    }

    /// A PNG of what `tab` shows at `width` × `height` CSS pixels: for
    /// looking at a failing page (write it to a file and open it).
    pub fn screenshot(&mut self, tab: &Tab, width: u64, height: u64) -> Vec<u8> {
        self.viewport(tab, width, height);
        let shot = self.call(Some(&tab.session_id), "Page.captureScreenshot", object(&[]));
        chatroom::support::base64::decode(shot.get("data").as_str().unwrap_or_default())
            .unwrap_or_else(|| panic!("the screenshot is not base64"))
    }

    /// Shows `tab` at `width` × `height` CSS pixels (a phone below 700).
    pub fn viewport(&mut self, tab: &Tab, width: u64, height: u64) {
        self.call(
            Some(&tab.session_id),
            "Emulation.setDeviceMetricsOverride",
            object(&[
                ("width", width.into()),
                ("height", height.into()),
                ("deviceScaleFactor", 1u64.into()),
                ("mobile", (width < 700).into()),
            ]),
        );
    }

    /// Closes `tab`, as a person closing it would: its connections end.
    pub fn close(&mut self, tab: Tab) {
        self.call(
            None,
            "Target.closeTarget",
            object(&[("targetId", tab.target_id.as_str().into())]),
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads Chromium's stderr until `DevTools listening on ws://…`, with a
/// timeout; the rest of its stderr is drained in the background so the
/// browser never blocks on a full pipe.
fn devtools_url(stderr: impl Read + Send + 'static) -> Result<String, String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut found = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !found {
                if let Some(at) = line.find("ws://") {
                    found = true;
                    let _ = sender.send(Ok(line[at..].trim().to_string()));
                } else {
                    let _ = sender.send(Err(line));
                }
            }
        }
    });
    let deadline = Instant::now() + START_TIMEOUT;
    let mut said = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(left) {
            Ok(Ok(url)) => return Ok(url),
            Ok(Err(line)) => said.push(line),
            Err(_) => {
                return Err(format!(
                    "no DevTools address within {START_TIMEOUT:?}; it said: {said:?}"
                ))
            }
        }
    }
}

/// A `data:` URL holding `html`, for pages made up by a test.
pub fn data_url(html: &str) -> String {
    let mut url = String::from("data:text/html;charset=utf-8,");
    for byte in html.bytes() {
        if byte.is_ascii_alphanumeric() {
            url.push(char::from(byte));
        } else {
            let _ = write!(url, "%{byte:02X}");
        }
    }
    url
}
