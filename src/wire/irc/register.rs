//! The IRC handshake: what happens between connecting and being allowed to
//! chat, as a pure state machine fed one [`Message`] at a time.
//!
//! A client sends `PASS`, `NICK` and `USER` in whatever order it likes, and
//! modern clients start with `CAP LS 302`, which holds registration until
//! `CAP END` so capabilities can be negotiated first. We implement no
//! capabilities, so the honest answer is an empty list (`CAP * LS :`), and
//! every `CAP REQ` is refused with `NAK`. Registration is complete once a
//! valid, free nick and a `USER` have both arrived and no CAP negotiation is
//! open; then [`Step::ready`] carries the names and the caller registers the
//! user in the shared state (which may still find the nick taken by a racing
//! connection: [`Registration::nick_lost`]).
//!
//! The state knows nothing of the server: whether a nick is taken is asked
//! through [`Lookup`], so tests use a list and the server uses its shared
//! state. The `PASS` is only kept here ([`Registration::password`]): the
//! caller presents it to the shared state like every other way of giving a
//! password, so one guard counts the tries (`chat::guard`).
//!
//! **SASL PLAIN** (logging in to an account, see `src/accounts/`): on a
//! server with accounts, `CAP LS` offers `sasl` (`sasl=PLAIN` to `302`
//! clients); after `CAP REQ :sasl` is acknowledged, `AUTHENTICATE PLAIN` is
//! answered `AUTHENTICATE +` and the next `AUTHENTICATE <base64>` carries
//! `authzid NUL account NUL password`. The handshake only decodes it:
//! [`Step::login`] hands the account and password to the caller, which
//! checks them (slowly, outside the state's lock) and answers `900`/`903`
//! or `904`. Registration waits for `CAP END`, so it follows the answer.

use super::numeric::{self, Numeric};
use super::{numeric_line, Message};

/// What registration needs to ask the server.
pub trait Lookup {
    /// Is someone (in any dialect) already called `nick`, ignoring case?
    fn nick_taken(&self, nick: &str) -> bool;
    /// Does the server have accounts to log in to with SASL?
    fn sasl_offered(&self) -> bool {
        false
    }
}

/// The names a client registered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ready {
    pub nick: String,
    /// `USER`'s first parameter (what clients call the ident or username).
    pub user: String,
    pub realname: String,
}

/// What to do after one message.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct Step {
    /// Lines to send back, in order.
    pub replies: Vec<String>,
    /// Registration is complete: register this user, then send the welcome.
    pub ready: Option<Ready>,
    /// Close the connection after sending `replies` (QUIT).
    pub close: bool,
    /// SASL PLAIN gave an account and a password to check (see the module
    /// notes).
    pub login: Option<(String, String)>,
}

/// One connection's handshake so far.
#[derive(Debug, Default)]
pub struct Registration {
    server: String,
    pass: Option<String>,
    nick: Option<String>,
    user: Option<(String, String)>,
    /// `CAP LS`/`CAP REQ` was seen and `CAP END` not yet.
    negotiating: bool,
    /// `CAP REQ :sasl` was acknowledged.
    sasl: bool,
    /// `AUTHENTICATE PLAIN` was answered; the credentials come next.
    sasl_plain: bool,
    /// The credentials so far: a client sends them in lines of 400
    /// characters, and a shorter line (or `+`) ends them.
    sasl_payload: String,
    done: bool,
}

impl Registration {
    /// A new handshake on a server called `server` (the prefix of replies).
    pub fn new(server: &str) -> Registration {
        Registration {
            server: server.to_string(),
            ..Registration::default()
        }
    }

    /// The user name and real name the client gave in `USER`, if any.
    pub fn user(&self) -> Option<(&str, &str)> {
        self.user
            .as_ref()
            .map(|(user, real)| (user.as_str(), real.as_str()))
    }

    /// The `PASS` the client gave, if any.
    pub fn password(&self) -> Option<&str> {
        self.pass.as_deref()
    }

    /// Has the client registered?
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Feeds one message from the client.
    pub fn feed(&mut self, message: &Message, lookup: &dyn Lookup) -> Step {
        let mut step = Step::default();
        let nick = self.nick.clone().unwrap_or_else(|| "*".into());
        let p = |i: usize| message.param(i).filter(|p| !p.is_empty());
        match message.verb.as_str() {
            "CAP" => {
                let offered = lookup.sasl_offered() && !self.done;
                step.replies = cap_replies(&self.server, &nick, message, offered);
                match p(0).map(str::to_ascii_uppercase).as_deref() {
                    Some("LS") if !self.done => self.negotiating = true,
                    Some("REQ") if !self.done => {
                        self.negotiating = true;
                        self.sasl |= offered && requests_only_sasl(message);
                    }
                    Some("END") => self.negotiating = false,
                    _ => {}
                }
            }
            "AUTHENTICATE" if self.sasl && !self.done => self.authenticate(&mut step, &nick, p(0)),
            _ if self.done && matches!(message.verb.as_str(), "PASS" | "USER") => {
                self.reply(&mut step, &numeric::ERR_ALREADYREGISTERED, &nick, &[]);
            }
            "PASS" => match p(0) {
                Some(given) => self.pass = Some(given.to_string()),
                None => self.reply(&mut step, &numeric::ERR_NEEDMOREPARAMS, &nick, &["PASS"]),
            },
            "NICK" => match p(0) {
                None => self.reply(&mut step, &numeric::ERR_NONICKNAMEGIVEN, &nick, &[]),
                Some(wanted) if !crate::text::names::is_valid_username(wanted) => {
                    // The RFC's words, then why: irssi shows the trailing text.
                    let why = match crate::text::names::check_username(wanted) {
                        Err(why) => format!("{}: {why}", numeric::ERR_ERRONEUSNICKNAME.text),
                        Ok(()) => numeric::ERR_ERRONEUSNICKNAME.text.to_string(),
                    };
                    let code = numeric::ERR_ERRONEUSNICKNAME.code;
                    step.replies
                        .push(numeric_line(&self.server, code, &nick, &[wanted, &why]));
                }
                Some(wanted) if lookup.nick_taken(wanted) => {
                    self.reply(&mut step, &numeric::ERR_NICKNAMEINUSE, &nick, &[wanted])
                }
                Some(wanted) => self.nick = Some(wanted.to_string()),
            },
            // An empty real name is a missing parameter (461), as servers say.
            "USER" => match (p(0), p(3)) {
                (Some(user), Some(realname)) => {
                    self.user = Some((user.to_string(), realname.to_string()))
                }
                _ => self.reply(&mut step, &numeric::ERR_NEEDMOREPARAMS, &nick, &["USER"]),
            },
            "PING" => match message.param(0) {
                Some(token) => {
                    step.replies
                        .push(super::line(&self.server, "PONG", &[&self.server, token]))
                }
                None => self.reply(&mut step, &numeric::ERR_NEEDMOREPARAMS, &nick, &["PING"]),
            },
            "PONG" => {}
            "QUIT" => {
                step.replies.push(super::error_line("Closing link"));
                step.close = true;
            }
            _ => self.reply(&mut step, &numeric::ERR_NOTREGISTERED, &nick, &[]),
        }
        if !self.done && !self.negotiating && !step.close {
            if let (Some(nick), Some((user, realname))) = (&self.nick, &self.user) {
                self.done = true;
                step.ready = Some(Ready {
                    nick: nick.clone(),
                    user: user.clone(),
                    realname: realname.clone(),
                });
            }
        }
        step
    }

    /// One `AUTHENTICATE` line (see the module notes).
    fn authenticate(&mut self, step: &mut Step, nick: &str, param: Option<&str>) {
        match param {
            Some("*") => {
                self.sasl_plain = false;
                self.reply(step, &numeric::ERR_SASLABORTED, nick, &[]);
            }
            Some(mechanism) if !self.sasl_plain => {
                if mechanism.eq_ignore_ascii_case("PLAIN") {
                    self.sasl_plain = true;
                    step.replies
                        .push(super::line(&self.server, "AUTHENTICATE", &["+"]));
                } else {
                    self.reply(step, &numeric::RPL_SASLMECHS, nick, &["PLAIN"]);
                    self.reply(step, &numeric::ERR_SASLFAIL, nick, &[]);
                }
            }
            Some(chunk) => {
                // One line longer than a chunk was not split as it must be
                // (905); lines of a chunk each past the most a login
                // needs are a failed login (904), not memory to fill.
                let failure = if chunk.len() > SASL_CHUNK {
                    Some(&numeric::ERR_SASLTOOLONG)
                } else if self.sasl_payload.len() + chunk.len() > MAX_SASL_PAYLOAD {
                    Some(&numeric::ERR_SASLFAIL)
                } else {
                    None
                };
                if let Some(numeric) = failure {
                    self.sasl_plain = false;
                    self.sasl_payload.clear();
                    self.reply(step, numeric, nick, &[]);
                    return;
                }
                if chunk != "+" {
                    self.sasl_payload.push_str(chunk);
                }
                if chunk.len() == SASL_CHUNK {
                    return; // more to come
                }
                self.sasl_plain = false;
                let payload = std::mem::take(&mut self.sasl_payload);
                match decode_plain(&payload) {
                    Some(login) => step.login = Some(login),
                    None => self.reply(step, &numeric::ERR_SASLFAIL, nick, &[]),
                }
            }
            None => self.reply(step, &numeric::ERR_NEEDMOREPARAMS, nick, &["AUTHENTICATE"]),
        }
    }

    /// The shared state refused the nick after all (another connection took
    /// it between [`Lookup::nick_taken`] and registering): back to waiting
    /// for a `NICK`, with the `433` to send.
    pub fn nick_lost(&mut self) -> String {
        let lost = self.nick.take().unwrap_or_default();
        self.done = false;
        let mut step = Step::default();
        self.reply(&mut step, &numeric::ERR_NICKNAMEINUSE, "*", &[&lost]);
        step.replies.concat()
    }

    fn reply(&self, step: &mut Step, numeric: &Numeric, nick: &str, params: &[&str]) {
        let mut all = params.to_vec();
        all.push(numeric.text);
        step.replies
            .push(numeric_line(&self.server, numeric.code, nick, &all));
    }
}

/// The length of a full `AUTHENTICATE` line's payload: a line this long
/// says more follows (IRCv3 SASL 3.1).
const SASL_CHUNK: usize = 400;
/// The longest credentials accepted: a name and a password fit many times.
const MAX_SASL_PAYLOAD: usize = 4 * SASL_CHUNK;

/// Does this `CAP REQ` ask for `sasl` and nothing else? (A request is
/// acknowledged or refused whole.)
fn requests_only_sasl(message: &Message) -> bool {
    let list = message.param(1).unwrap_or("");
    let mut caps = list.split_whitespace();
    caps.next()
        .is_some_and(|cap| cap.eq_ignore_ascii_case("sasl"))
        && caps.next().is_none()
}

/// `AUTHENTICATE`'s PLAIN payload: base64 of `authzid NUL authcid NUL
/// password`; the account is the authcid (an authzid, if given, must be the
/// same: nobody logs in as someone else).
fn decode_plain(payload: &str) -> Option<(String, String)> {
    let bytes = crate::support::base64::decode(payload)?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.split('\0');
    let (authzid, authcid, password) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || authcid.is_empty() {
        return None;
    }
    if !authzid.is_empty() && authzid != authcid {
        return None;
    }
    Some((authcid.to_string(), password.to_string()))
}

impl std::fmt::Debug for Step {
    /// Without the password a SASL login carried.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Step")
            .field("replies", &self.replies)
            .field("ready", &self.ready)
            .field("close", &self.close)
            .field("login", &self.login.as_ref().map(|(name, _)| name))
            .finish()
    }
}

/// The answer to a `CAP` command, before or after registration. The one
/// capability offered is `sasl`, and only while registering on a server
/// with accounts (`sasl`); every other `REQ` is refused.
pub fn cap_replies(server: &str, nick: &str, message: &Message, sasl: bool) -> Vec<String> {
    let sub = message.param(0).unwrap_or("").to_ascii_uppercase();
    let cap = |sub: &str, list: &str| super::line(server, "CAP", &[nick, sub, list]);
    let offer = match (sasl, message.param(1)) {
        (false, _) => "",
        (true, Some(version)) if version.parse::<u32>().is_ok_and(|v| v >= 302) => "sasl=PLAIN",
        (true, _) => "sasl",
    };
    match sub.as_str() {
        "LS" => vec![cap("LS", offer)],
        "LIST" => vec![cap("LIST", "")],
        "REQ" if sasl && requests_only_sasl(message) => {
            vec![cap("ACK", message.param(1).unwrap_or(""))]
        }
        "REQ" => vec![cap("NAK", message.param(1).unwrap_or(""))],
        "END" => Vec::new(),
        "" => vec![numeric_line(
            server,
            numeric::ERR_NEEDMOREPARAMS.code,
            nick,
            &["CAP", numeric::ERR_NEEDMOREPARAMS.text],
        )],
        other => vec![numeric_line(
            server,
            numeric::ERR_INVALIDCAPCMD.code,
            nick,
            &[other, numeric::ERR_INVALIDCAPCMD.text],
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    /// A server where `taken` are online.
    struct Fake {
        taken: Vec<&'static str>,
    }

    impl Lookup for Fake {
        fn nick_taken(&self, nick: &str) -> bool {
            self.taken.iter().any(|t| t.eq_ignore_ascii_case(nick))
        }
    }

    const OPEN: Fake = Fake { taken: Vec::new() };

    /// Feeds `lines` and returns every reply and the last step.
    fn run(lines: &[&str], lookup: &Fake) -> (Vec<String>, Step) {
        let mut reg = Registration::new("srv");
        let mut replies = Vec::new();
        let mut last = Step::default();
        for line in lines {
            last = reg.feed(&parse(line).unwrap(), lookup);
            replies.extend(last.replies.clone());
        }
        (replies, last)
    }

    fn ready(nick: &str) -> Option<Ready> {
        Some(Ready {
            nick: nick.into(),
            user: "u".into(),
            realname: "Real Name".into(),
        })
    }

    /// A server with accounts: SASL is offered.
    struct WithAccounts;

    impl Lookup for WithAccounts {
        fn nick_taken(&self, _: &str) -> bool {
            false
        }
        fn sasl_offered(&self) -> bool {
            true
        }
    }

    fn feed_all(reg: &mut Registration, lines: &[&str], lookup: &dyn Lookup) -> Vec<Step> {
        lines
            .iter()
            .map(|line| reg.feed(&parse(line).unwrap(), lookup))
            .collect()
    }

    #[test]
    fn sasl_plain_hands_over_the_login_and_waits_for_cap_end() {
        let mut reg = Registration::new("srv");
        // base64 of "\0alice\0pass word"
        let payload = crate::support::base64::encode(b"\0alice\0pass word");
        let steps = feed_all(
            &mut reg,
            &[
                "CAP LS 302",
                "NICK alice",
                "USER u 0 * :Real Name",
                "CAP REQ :sasl",
                "AUTHENTICATE PLAIN",
                &format!("AUTHENTICATE {payload}"),
            ],
            &WithAccounts,
        );
        assert_eq!(steps[0].replies, [":srv CAP * LS sasl=PLAIN\r\n"]);
        assert_eq!(steps[3].replies, [":srv CAP alice ACK sasl\r\n"]);
        assert_eq!(steps[4].replies, [":srv AUTHENTICATE +\r\n"]);
        assert_eq!(steps[5].login, Some(("alice".into(), "pass word".into())));
        assert!(steps.iter().all(|step| step.ready.is_none()));
        // The password never shows in a debug print.
        assert!(!format!("{:?}", steps[5]).contains("pass word"));
        let end = reg.feed(&parse("CAP END").unwrap(), &WithAccounts);
        assert_eq!(end.ready, ready("alice"));
    }

    #[test]
    fn sasl_credentials_may_come_in_400_character_lines() {
        let long = "bar".repeat(100);
        let payload = crate::support::base64::encode(format!("foo\0foo\0{long}").as_bytes());
        assert!(payload.len() > 400);
        let mut reg = Registration::new("srv");
        let steps = feed_all(
            &mut reg,
            &[
                "CAP REQ :sasl",
                "AUTHENTICATE PLAIN",
                &format!("AUTHENTICATE {}", &payload[..400]),
                &format!("AUTHENTICATE {}", &payload[400..]),
            ],
            &WithAccounts,
        );
        assert!(steps[2].replies.is_empty() && steps[2].login.is_none());
        assert_eq!(steps[3].login, Some(("foo".into(), long)));
        // An exact multiple of 400 ends with `AUTHENTICATE +`.
        let exact = "a".repeat(297);
        let payload = crate::support::base64::encode(format!("\0u\0{exact}").as_bytes());
        assert_eq!(payload.len(), 400);
        let mut reg = Registration::new("srv");
        let steps = feed_all(
            &mut reg,
            &[
                "CAP REQ :sasl",
                "AUTHENTICATE PLAIN",
                &format!("AUTHENTICATE {payload}"),
                "AUTHENTICATE +",
            ],
            &WithAccounts,
        );
        assert!(steps[2].login.is_none());
        assert_eq!(steps[3].login, Some(("u".into(), exact)));
        // Endless lines of 400 are cut off.
        let mut reg = Registration::new("srv");
        let chunk = format!("AUTHENTICATE {}", "A".repeat(400));
        let mut lines = vec!["CAP REQ :sasl", "AUTHENTICATE PLAIN"];
        lines.extend(std::iter::repeat_n(chunk.as_str(), 5));
        let steps = feed_all(&mut reg, &lines, &WithAccounts);
        assert_eq!(
            steps[6].replies,
            [":srv 904 * :SASL authentication failed\r\n"]
        );
        // One line longer than a chunk: 905.
        let mut reg = Registration::new("srv");
        let long = format!("AUTHENTICATE {}", "A".repeat(450));
        let steps = feed_all(
            &mut reg,
            &["CAP REQ :sasl", "AUTHENTICATE PLAIN", &long],
            &WithAccounts,
        );
        assert_eq!(steps[2].replies, [":srv 905 * :SASL message too long\r\n"]);
    }

    #[test]
    fn sasl_refuses_other_mechanisms_bad_payloads_and_servers_without_accounts() {
        let mut reg = Registration::new("srv");
        let steps = feed_all(
            &mut reg,
            &[
                "CAP LS",
                "CAP REQ :sasl",
                "AUTHENTICATE EXTERNAL",
                "AUTHENTICATE PLAIN",
                "AUTHENTICATE !!!",
            ],
            &WithAccounts,
        );
        assert_eq!(steps[0].replies, [":srv CAP * LS sasl\r\n"]);
        assert_eq!(
            steps[2].replies,
            [
                ":srv 908 * PLAIN :are available SASL mechanisms\r\n",
                ":srv 904 * :SASL authentication failed\r\n"
            ]
        );
        assert_eq!(
            steps[4].replies,
            [":srv 904 * :SASL authentication failed\r\n"]
        );
        // Someone else's authzid is refused.
        assert_eq!(
            decode_plain(&crate::support::base64::encode(b"bob\0alice\0pw")),
            None
        );
        assert_eq!(
            decode_plain(&crate::support::base64::encode(b"alice\0alice\0pw")),
            Some(("alice".into(), "pw".into()))
        );
        // Without accounts: nothing offered, REQ refused, AUTHENTICATE unknown.
        let (replies, _) = run(
            &["CAP LS 302", "CAP REQ :sasl", "AUTHENTICATE PLAIN"],
            &OPEN,
        );
        assert_eq!(replies[0], ":srv CAP * LS :\r\n");
        assert_eq!(replies[1], ":srv CAP * NAK sasl\r\n");
        assert!(replies[2].contains(" 451 "), "{}", replies[2]);
    }

    #[test]
    fn nick_then_user_or_user_then_nick() {
        let (replies, step) = run(&["NICK alice", "USER u 0 * :Real Name"], &OPEN);
        assert!(replies.is_empty());
        assert_eq!(step.ready, ready("alice"));
        let (_, step) = run(&["USER u 0 * :Real Name", "NICK alice"], &OPEN);
        assert_eq!(step.ready, ready("alice"));
    }

    #[test]
    fn cap_negotiation_holds_registration_until_end() {
        let mut reg = Registration::new("srv");
        let step = reg.feed(&parse("CAP LS 302").unwrap(), &OPEN);
        assert_eq!(step.replies, [":srv CAP * LS :\r\n"]);
        reg.feed(&parse("NICK alice").unwrap(), &OPEN);
        let step = reg.feed(&parse("USER u 0 * :Real Name").unwrap(), &OPEN);
        assert_eq!(step.ready, None);
        let step = reg.feed(&parse("CAP REQ :multi-prefix sasl").unwrap(), &OPEN);
        assert_eq!(step.replies, [":srv CAP alice NAK :multi-prefix sasl\r\n"]);
        let step = reg.feed(&parse("CAP LIST").unwrap(), &OPEN);
        assert_eq!(step.replies, [":srv CAP alice LIST :\r\n"]);
        let step = reg.feed(&parse("CAP END").unwrap(), &OPEN);
        assert_eq!(step.ready, ready("alice"));
        assert!(reg.is_done());
        let step = reg.feed(&parse("CAP FOO").unwrap(), &OPEN);
        assert_eq!(
            step.replies,
            [":srv 410 alice FOO :Invalid CAP command\r\n"]
        );
    }

    #[test]
    fn taken_nick_then_a_new_one() {
        let fake = Fake {
            taken: vec!["Alice"],
        };
        let (replies, step) = run(&["NICK alice", "USER u 0 * :Real Name"], &fake);
        assert_eq!(
            replies,
            [":srv 433 * alice :Nickname is already in use\r\n"]
        );
        assert_eq!(step.ready, None);
        let (_, step) = run(
            &["NICK alice", "USER u 0 * :Real Name", "NICK alice_"],
            &fake,
        );
        assert_eq!(step.ready, ready("alice_"));
    }

    #[test]
    fn a_nick_lost_to_a_race_is_asked_for_again() {
        let mut reg = Registration::new("srv");
        reg.feed(&parse("NICK bob").unwrap(), &OPEN);
        assert!(reg
            .feed(&parse("USER u 0 * :Real Name").unwrap(), &OPEN)
            .ready
            .is_some());
        assert_eq!(
            reg.nick_lost(),
            ":srv 433 * bob :Nickname is already in use\r\n"
        );
        let step = reg.feed(&parse("NICK bob2").unwrap(), &OPEN);
        assert_eq!(step.ready.map(|r| r.nick), Some("bob2".into()));
    }

    #[test]
    fn mistakes_get_their_numerics() {
        let (replies, _) = run(
            &["NICK", "NICK 9lives", "USER u 0", "JOIN #a", "PASS"],
            &OPEN,
        );
        assert_eq!(
            replies,
            [
                ":srv 431 * :No nickname given\r\n",
                ":srv 432 * 9lives :Erroneus nickname: use 1-20 letters (any alphabet), digits 0-9, - or _, starting with a letter\r\n",
                ":srv 461 * USER :Not enough parameters\r\n",
                ":srv 451 * :You have not registered\r\n",
                ":srv 461 * PASS :Not enough parameters\r\n",
            ]
        );
        let (replies, _) = run(
            &["NICK a", "USER u 0 * :Real Name", "USER u 0 * :x", "PASS x"],
            &OPEN,
        );
        assert_eq!(
            replies,
            [
                ":srv 462 a :You may not reregister\r\n",
                ":srv 462 a :You may not reregister\r\n"
            ]
        );
    }

    #[test]
    fn the_password_is_kept_for_the_caller_to_present() {
        let mut reg = Registration::new("srv");
        for line in ["PASS sesame", "NICK a"] {
            reg.feed(&parse(line).unwrap(), &OPEN);
        }
        let step = reg.feed(&parse("USER u 0 * :Real Name").unwrap(), &OPEN);
        assert!(step.ready.is_some() && !step.close);
        assert_eq!(reg.password(), Some("sesame"));
    }

    #[test]
    fn ping_and_quit_before_registering() {
        let (replies, step) = run(&["PING :abc", "QUIT :bye"], &OPEN);
        assert_eq!(
            replies,
            [":srv PONG srv abc\r\n", "ERROR :Closing link\r\n"]
        );
        assert!(step.close);
    }
}
