//! The IRC wire format: one client line ↔ one [`Message`], and the lines the
//! server sends back, each at most 512 bytes.
//!
//! IRC (RFC 1459, RFC 2812, and today's practice at
//! <https://modern.ircdocs.horse/>) is the protocol the tutorial's own
//! dialects were modelled on, so real clients (irssi, WeeChat, HexChat) can sit
//! in the same rooms as `nc` users. A line looks like
//!
//! ```text
//! @tags :prefix VERB param param :trailing param with spaces
//! ```
//!
//! Tags and prefix are optional (a client never needs them, so we skip
//! them); the verb is case-insensitive; at most 15 parameters, the last of
//! which may start with `:` and then runs to the end of the line.
//!
//! Everything here is pure text in, text out, so every rule is tested with
//! strings. The parser never panics: a hostile client can send anything, and
//! the worst it gets is a [`ParseError`]. The pieces that know about the chat
//! live in the submodules: [`numeric`] (reply codes and their standard
//! texts), [`register`] (the handshake before a client may chat),
//! [`map`] (IRC messages → the chat's commands) and [`outbound`] (the
//! chat's events → IRC lines).

#[path = "irc/map.rs"]
pub mod map;
#[path = "irc/numeric.rs"]
pub mod numeric;
#[path = "irc/outbound.rs"]
pub mod outbound;
#[path = "irc/register.rs"]
pub mod register;

/// The longest line either side may send, CRLF included (RFC 1459 §2.3).
pub const MAX_LINE_BYTES: usize = 512;
/// The longest message-tags section a client may send, `@` and the space
/// after it included (IRCv3 message-tags).
pub const MAX_TAGS_BYTES: usize = 8191;
/// The most parameters a message may carry (RFC 1459 §2.3.1).
pub const MAX_PARAMS: usize = 15;
/// The end of every IRC line.
pub const CRLF: &str = "\r\n";

/// One line from a client, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The command in upper case (`PRIVMSG`), or a three-digit numeric.
    pub verb: String,
    /// Its parameters, the trailing one (after `:`) last and whole.
    pub params: Vec<String>,
}

impl Message {
    /// Parameter `i`, or `None` when the client did not send it.
    pub fn param(&self, i: usize) -> Option<&str> {
        self.params.get(i).map(String::as_str)
    }
}

/// Why a line is not a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// Nothing but spaces (or tags and a prefix with no verb): ignored, as
    /// servers do with empty lines.
    Empty,
    /// Longer than [`MAX_LINE_BYTES`] (or tags longer than
    /// [`MAX_TAGS_BYTES`]); answered with `417`.
    TooLong,
}

/// Parses one line (with or without its `\r\n`).
pub fn parse(line: &str) -> Result<Message, ParseError> {
    let mut rest = line.trim_end_matches(['\r', '\n']);
    if let Some(tagged) = rest.strip_prefix('@') {
        let (tags, after) = tagged.split_once(' ').unwrap_or((tagged, ""));
        // `@` + tags + the space: the limit counts all of it.
        if tags.len() + 2 > MAX_TAGS_BYTES {
            return Err(ParseError::TooLong);
        }
        rest = after;
    }
    // The rest of the line must fit in 512 bytes with its CRLF.
    if rest.len() + CRLF.len() > MAX_LINE_BYTES {
        return Err(ParseError::TooLong);
    }
    rest = rest.trim_start_matches(' ');
    if rest.starts_with(':') {
        // A prefix from a client names itself; servers ignore it.
        rest = rest.split_once(' ').map_or("", |(_, after)| after);
    }
    let (verb, mut rest) = next_word(rest);
    if verb.is_empty() {
        return Err(ParseError::Empty);
    }
    let mut params = Vec::new();
    while !rest.is_empty() && params.len() < MAX_PARAMS {
        if let Some(trailing) = rest.strip_prefix(':') {
            params.push(trailing.to_string());
            break;
        }
        if params.len() == MAX_PARAMS - 1 {
            // RFC 1459: the 15th parameter is the rest of the line, colon or not.
            params.push(rest.to_string());
            break;
        }
        let (word, after) = next_word(rest);
        params.push(word.to_string());
        rest = after;
    }
    Ok(Message {
        verb: verb.to_ascii_uppercase(),
        params,
    })
}

/// The next space-separated word and what follows it (spaces skipped, since
/// several clients send doubled spaces).
fn next_word(text: &str) -> (&str, &str) {
    let text = text.trim_start_matches(' ');
    match text.split_once(' ') {
        Some((word, rest)) => (word, rest.trim_start_matches(' ')),
        None => (text, ""),
    }
}

/// The `nick!user@host` prefix of a chat user. Events name users only, so
/// the user part is the nick and the host is one fixed word: a classroom
/// server has no reason to show everyone's IP address.
pub fn user_prefix(nick: &str) -> String {
    format!("{nick}!{nick}@{USER_HOST}")
}

/// The host shown for every user (see [`user_prefix`]).
pub const USER_HOST: &str = "chatroom";

/// `:<source> <verb> <params…>\r\n`, where the last parameter is written as
/// a trailing one (`:…`) when it has to be: empty, holding a space, or
/// starting with `:`. `source` is the server's name or a [`user_prefix`].
pub fn line(source: &str, verb: &str, params: &[&str]) -> String {
    // Sized once: ':', the two words, each parameter with its space (and
    // perhaps ':'), CRLF.
    let size = 2 + source.len() + verb.len() + params.iter().map(|p| p.len() + 2).sum::<usize>();
    let mut out = String::with_capacity(size + CRLF.len());
    out.push(':');
    out.push_str(source);
    out.push(' ');
    out.push_str(verb);
    if let Some((last, middle)) = params.split_last() {
        for param in middle {
            out.push(' ');
            out.push_str(param);
        }
        out.push(' ');
        if needs_trailing(last) {
            out.push(':');
        }
        out.push_str(last);
    }
    out.push_str(CRLF);
    out
}

/// `ERROR :<text>`, the last line before the server closes a connection.
/// Servers send it without a prefix (RFC 2812 §3.7.4), and clients and the
/// benchmark look for it at the start of the line.
pub fn error_line(text: &str) -> String {
    format!("ERROR :{text}{CRLF}")
}

/// A numeric reply: `:server 433 <nick> <params…>` (`nick` is `*` before
/// the client has one).
pub fn numeric_line(server: &str, code: &str, nick: &str, params: &[&str]) -> String {
    let mut all = Vec::with_capacity(params.len() + 1);
    all.push(nick);
    all.extend_from_slice(params);
    line(server, code, &all)
}

/// Must this parameter be sent as the trailing one?
pub fn needs_trailing(param: &str) -> bool {
    param.is_empty() || param.contains(' ') || param.starts_with(':')
}

/// The text of a CTCP ACTION (`\x01ACTION waves\x01` → `waves`), or `None`
/// for ordinary text. The closing `\x01` is optional, as clients differ.
pub fn ctcp_action(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("\x01ACTION")?;
    let inner = inner.strip_suffix('\x01').unwrap_or(inner);
    match inner.strip_prefix(' ') {
        Some(action) => Some(action),
        None if inner.is_empty() => Some(""),
        None => None, // `\x01ACTIONS…` is some other CTCP
    }
}

/// A CTCP request's body: `\x01VERSION\x01` → `VERSION`, `\x01PING 17\x01`
/// → `PING 17`; `None` for ordinary text and for actions (they are
/// messages, see [`ctcp_action`]).
pub fn ctcp_body(text: &str) -> Option<&str> {
    if ctcp_action(text).is_some() {
        return None;
    }
    let body = text.strip_prefix('\x01')?;
    Some(body.strip_suffix('\x01').unwrap_or(body))
}

/// The reply a client would give to the CTCP query `body`, for those the
/// server can answer truthfully itself: `VERSION` (this server's, with
/// `note` after it, such as who is really on the other end), `PING` (the
/// token back), `TIME` (`now`, already formatted) and `CLIENTINFO`. `None`
/// for any other query.
pub fn ctcp_answer(body: &str, note: &str, now: &str) -> Option<String> {
    let (query, rest) = body.split_once(' ').unwrap_or((body, ""));
    let reply = match query.to_ascii_uppercase().as_str() {
        "VERSION" => format!(
            "VERSION chatroom {}{}{note}",
            env!("CARGO_PKG_VERSION"),
            if note.is_empty() { "" } else { " " }
        ),
        "PING" => format!("PING {rest}").trim_end().to_string(),
        "TIME" => format!("TIME {now}"),
        "CLIENTINFO" => "CLIENTINFO ACTION CLIENTINFO PING TIME VERSION".to_string(),
        _ => return None,
    };
    // Whatever the query carried, the reply holds no CTCP delimiter or
    // control character, and stays short enough for one line.
    let reply: String = reply
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    Some(format!("\x01{reply}\x01"))
}

/// `PRIVMSG` (or `NOTICE`) lines carrying `text` from `source` to `target`,
/// as many as needed so that each is at most [`MAX_LINE_BYTES`] with its
/// CRLF. `action` wraps every piece in `\x01ACTION …\x01`, so each line is a
/// whole action a client can show.
pub fn text_lines(source: &str, verb: &str, target: &str, text: &str, action: bool) -> Vec<String> {
    let (open, close) = if action {
        ("\x01ACTION ", "\x01")
    } else {
        ("", "")
    };
    // `:` source ` ` verb ` ` target ` :` open … close CRLF
    let overhead = 1 + source.len() + 1 + verb.len() + 1 + target.len() + 2;
    let overhead = overhead + open.len() + close.len() + CRLF.len();
    split_text(text, MAX_LINE_BYTES.saturating_sub(overhead))
        .into_iter()
        .map(|piece| format!(":{source} {verb} {target} :{open}{piece}{close}{CRLF}"))
        .collect()
}

/// How far back from the cut a space may be and still be preferred to
/// cutting a word: far enough to keep most words whole, near enough that
/// lines stay nearly full.
const SPACE_WINDOW: usize = 40;

/// Splits `text` into pieces of at most `budget` bytes each, at UTF-8
/// character boundaries, at a space (which is dropped) when one lies within
/// [`SPACE_WINDOW`] bytes of the cut. A budget under 4 bytes still lets one
/// character through per piece, so the loop always ends.
pub fn split_text(text: &str, budget: usize) -> Vec<&str> {
    let budget = budget.max(4);
    let mut pieces = Vec::new();
    let mut rest = text;
    while rest.len() > budget {
        let mut cut = budget;
        while !rest.is_char_boundary(cut) {
            cut -= 1; // terminates: 0 is always a boundary, and budget ≥ 4
        }
        let window_start = cut.saturating_sub(SPACE_WINDOW);
        // `cut` is on a boundary and a space is one byte, so `rest[..=cut]`
        // would be wrong; search `rest[..cut + 1]` only when that is a
        // boundary too (the byte at `cut` may itself be the space).
        let search_end = if rest.as_bytes().get(cut) == Some(&b' ') {
            cut + 1
        } else {
            cut
        };
        match rest[..search_end].rfind(' ') {
            Some(space) if space > window_start && space > 0 => {
                pieces.push(&rest[..space]);
                rest = &rest[space + 1..];
            }
            _ => {
                pieces.push(&rest[..cut]);
                rest = &rest[cut..];
            }
        }
    }
    pieces.push(rest);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(verb: &str, params: &[&str]) -> Message {
        Message {
            verb: verb.into(),
            params: params.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn parses_the_usual_shapes() {
        assert_eq!(parse("NICK alice\r\n"), Ok(msg("NICK", &["alice"])));
        assert_eq!(
            parse("privmsg #general :hello there"),
            Ok(msg("PRIVMSG", &["#general", "hello there"]))
        );
        assert_eq!(
            parse("USER alice 0 * :Alice Liddell"),
            Ok(msg("USER", &["alice", "0", "*", "Alice Liddell"]))
        );
        assert_eq!(
            parse(":alice!a@h JOIN #general"),
            Ok(msg("JOIN", &["#general"]))
        );
        assert_eq!(
            parse("@time=2026-01-01T00:00:00Z;+x=y :alice PING :tok en"),
            Ok(msg("PING", &["tok en"]))
        );
        assert_eq!(parse("TOPIC #a :"), Ok(msg("TOPIC", &["#a", ""])));
        assert_eq!(parse("  JOIN   #a  "), Ok(msg("JOIN", &["#a"])));
        assert_eq!(parse("PRIVMSG #a ::-)"), Ok(msg("PRIVMSG", &["#a", ":-)"])));
    }

    #[test]
    fn hostile_lines_never_panic() {
        for empty in [
            "",
            " ",
            "   \r\n",
            ":prefix",
            ":prefix   ",
            "@tags",
            "@a=b :p ",
        ] {
            assert_eq!(parse(empty), Err(ParseError::Empty), "{empty:?}");
        }
        let long = format!("PRIVMSG #a :{}", "x".repeat(500));
        assert_eq!(parse(&long), Err(ParseError::TooLong));
        // Exactly 510 bytes + CRLF is allowed; 511 is not.
        let fits = format!("PRIVMSG #a :{}", "x".repeat(510 - 12));
        assert_eq!(fits.len(), 510);
        assert!(parse(&fits).is_ok());
        assert_eq!(parse(&format!("{fits}x")), Err(ParseError::TooLong));
        // Tags have their own, larger, allowance.
        let tags = format!("@{} PING x", "t".repeat(8189));
        assert_eq!(parse(&tags), Ok(msg("PING", &["x"])));
        let tags = format!("@{} PING x", "t".repeat(8190));
        assert_eq!(parse(&tags), Err(ParseError::TooLong));
        for odd in ["\u{1}\u{0}", "é é é", ":", "@", "@ ", ": :", "X :", "X ::"] {
            let _ = parse(odd);
        }
    }

    #[test]
    fn at_most_fifteen_params_the_last_takes_the_rest() {
        let words: Vec<String> = (1..=20).map(|n| n.to_string()).collect();
        let parsed = parse(&format!("X {}", words.join(" "))).unwrap();
        assert_eq!(parsed.params.len(), 15);
        assert_eq!(parsed.params[13], "14");
        assert_eq!(parsed.params[14], "15 16 17 18 19 20");
    }

    #[test]
    fn formats_with_a_trailing_only_when_needed() {
        assert_eq!(
            numeric_line("srv", "001", "alice", &["Welcome to chatroom"]),
            ":srv 001 alice :Welcome to chatroom\r\n"
        );
        assert_eq!(
            line("alice!alice@chatroom", "JOIN", &["#general"]),
            ":alice!alice@chatroom JOIN #general\r\n"
        );
        assert_eq!(line("s", "TOPIC", &["#a", ""]), ":s TOPIC #a :\r\n");
        assert_eq!(line("s", "X", &[":)"]), ":s X ::)\r\n");
        assert_eq!(line("s", "PING", &[]), ":s PING\r\n");
        assert_eq!(
            numeric_line("s", "333", "*", &["#a", "bob", "17"]),
            ":s 333 * #a bob 17\r\n"
        );
    }

    #[test]
    fn ctcp_action_both_ways() {
        assert_eq!(ctcp_action("\x01ACTION waves\x01"), Some("waves"));
        assert_eq!(ctcp_action("\x01ACTION waves"), Some("waves"));
        assert_eq!(ctcp_action("\x01ACTION\x01"), Some(""));
        assert_eq!(ctcp_action("\x01ACTIONS x\x01"), None);
        assert_eq!(ctcp_action("\x01VERSION\x01"), None);
        assert_eq!(ctcp_action("ACTION waves"), None);
        let lines = text_lines("bob!bob@chatroom", "PRIVMSG", "#a", "waves", true);
        assert_eq!(
            lines,
            [":bob!bob@chatroom PRIVMSG #a :\x01ACTION waves\x01\r\n"]
        );
    }

    #[test]
    fn ctcp_queries_and_the_answers_the_server_can_give() {
        assert_eq!(ctcp_body("\x01VERSION\x01"), Some("VERSION"));
        assert_eq!(ctcp_body("\x01PING 123"), Some("PING 123"));
        assert_eq!(ctcp_body("\x01ACTION waves\x01"), None);
        assert_eq!(ctcp_body("hello"), None);
        let version = ctcp_answer("VERSION", "", "now").unwrap();
        assert_eq!(
            version,
            format!("\x01VERSION chatroom {}\x01", env!("CARGO_PKG_VERSION"))
        );
        let noted = ctcp_answer("version", "(bob is on nc)", "now").unwrap();
        assert!(noted.ends_with(" (bob is on nc)\x01"), "{noted:?}");
        assert_eq!(
            ctcp_answer("PING 1712 x", "", "").as_deref(),
            Some("\x01PING 1712 x\x01")
        );
        assert_eq!(
            ctcp_answer("PING \x01\x02evil", "", "").as_deref(),
            Some("\x01PING evil\x01")
        );
        assert_eq!(
            ctcp_answer("TIME", "", "2026-12-02 10:00:00").as_deref(),
            Some("\x01TIME 2026-12-02 10:00:00\x01")
        );
        assert_eq!(ctcp_answer("FINGER", "", ""), None);
        assert_eq!(ctcp_answer("", "", ""), None);
    }

    /// Every piece fits, nothing is lost but the spaces split at, and every
    /// piece is whole UTF-8 (guaranteed by `&str`, checked by the rebuild).
    fn check_split(text: &str, budget: usize) {
        let pieces = split_text(text, budget);
        for piece in &pieces {
            assert!(piece.len() <= budget.max(4), "{} > {budget}", piece.len());
        }
        let no_spaces: String = text.chars().filter(|c| *c != ' ').collect();
        let rebuilt: String = pieces.concat().chars().filter(|c| *c != ' ').collect();
        assert_eq!(rebuilt, no_spaces, "budget {budget}");
        if !text.contains(' ') {
            assert_eq!(pieces.concat(), text);
        }
    }

    #[test]
    fn split_at_every_boundary_for_every_character_width() {
        for ch in ["a", "é", "€", "🎉"] {
            for len in 1..40 {
                let text = ch.repeat(len);
                for budget in 4..30 {
                    check_split(&text, budget);
                }
            }
        }
        // Mixed widths straddling the limit at every offset.
        let mixed = "aé€🎉".repeat(30);
        for budget in 4..60 {
            check_split(&mixed, budget);
        }
    }

    #[test]
    fn split_prefers_a_nearby_space() {
        let text = format!("{} {}", "a".repeat(90), "b".repeat(20));
        assert_eq!(split_text(&text, 100), ["a".repeat(90), "b".repeat(20)]);
        // A space far from the cut would waste the line: cut the word.
        let text = format!("a {}", "b".repeat(200));
        assert_eq!(split_text(&text, 100)[0].len(), 100);
        // A space exactly at the cut is used and dropped.
        let text = format!("{} {}", "a".repeat(100), "b".repeat(5));
        assert_eq!(split_text(&text, 100), ["a".repeat(100), "b".repeat(5)]);
        assert_eq!(split_text("", 100), [""]);
    }

    #[test]
    fn every_relayed_line_is_at_most_512_bytes() {
        let texts = [
            "x".repeat(1200),
            "é".repeat(700),
            "€".repeat(500),
            "🎉".repeat(400),
            "word ".repeat(300),
            format!("a{}", "🎉".repeat(300)),
        ];
        for nick_len in 1..=20 {
            let source = user_prefix(&"n".repeat(nick_len));
            for target in ["#a", "#abcdefghijklmnopqrst", "bob"] {
                for text in &texts {
                    for action in [false, true] {
                        let lines = text_lines(&source, "PRIVMSG", target, text, action);
                        assert!(lines.len() > 1);
                        for line in lines {
                            assert!(line.len() <= MAX_LINE_BYTES, "{}", line.len());
                            assert!(line.ends_with(CRLF));
                            // And each is a line a client parses back.
                            let parsed = parse(&line).unwrap();
                            assert_eq!(parsed.param(0), Some(target));
                        }
                    }
                }
            }
        }
    }
}
