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
//! The state knows nothing of the server: whether a nick is taken and whether
//! the password is right are asked through [`Lookup`], so tests use a closure
//! over a list and the server uses its shared state.

use super::numeric::{self, Numeric};
use super::{numeric_line, Message};

/// What registration needs to ask the server.
pub trait Lookup {
    /// Is someone (in any dialect) already called `nick`, ignoring case?
    fn nick_taken(&self, nick: &str) -> bool;
    /// Is `given` (the `PASS` parameter, if any) right? Always true on a
    /// server without a password.
    fn password_ok(&self, given: Option<&str>) -> bool;
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
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Step {
    /// Lines to send back, in order.
    pub replies: Vec<String>,
    /// Registration is complete: register this user, then send the welcome.
    pub ready: Option<Ready>,
    /// Close the connection after sending `replies` (wrong password, QUIT).
    pub close: bool,
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
                step.replies = cap_replies(&self.server, &nick, message);
                match p(0).map(str::to_ascii_uppercase).as_deref() {
                    Some("LS") | Some("REQ") if !self.done => self.negotiating = true,
                    Some("END") => self.negotiating = false,
                    _ => {}
                }
            }
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
            "USER" => match (p(0), message.param(3)) {
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
                if lookup.password_ok(self.pass.as_deref()) {
                    self.done = true;
                    step.ready = Some(Ready {
                        nick: nick.clone(),
                        user: user.clone(),
                        realname: realname.clone(),
                    });
                } else {
                    let nick = nick.clone();
                    self.reply(&mut step, &numeric::ERR_PASSWDMISMATCH, &nick, &[]);
                    step.replies.push(super::error_line("Closing link"));
                    step.close = true;
                }
            }
        }
        step
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

/// The answer to a `CAP` command, before or after registration. We offer no
/// capabilities, so `LS` and `LIST` are empty and every `REQ` is refused.
pub fn cap_replies(server: &str, nick: &str, message: &Message) -> Vec<String> {
    let sub = message.param(0).unwrap_or("").to_ascii_uppercase();
    let cap = |sub: &str, list: &str| super::line(server, "CAP", &[nick, sub, list]);
    match sub.as_str() {
        "LS" => vec![cap("LS", "")],
        "LIST" => vec![cap("LIST", "")],
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

    /// A server where `taken` are online and the password is `password`.
    struct Fake {
        taken: Vec<&'static str>,
        password: Option<&'static str>,
    }

    impl Lookup for Fake {
        fn nick_taken(&self, nick: &str) -> bool {
            self.taken.iter().any(|t| t.eq_ignore_ascii_case(nick))
        }
        fn password_ok(&self, given: Option<&str>) -> bool {
            self.password.is_none() || self.password == given
        }
    }

    const OPEN: Fake = Fake {
        taken: Vec::new(),
        password: None,
    };

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
            password: None,
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
    fn the_password_is_checked_when_registration_completes() {
        let locked = Fake {
            taken: Vec::new(),
            password: Some("sesame"),
        };
        let (_, step) = run(&["PASS sesame", "NICK a", "USER u 0 * :Real Name"], &locked);
        assert!(step.ready.is_some());
        let (_, step) = run(&["PASS wrong", "NICK a", "USER u 0 * :Real Name"], &locked);
        assert_eq!(
            step.replies,
            [
                ":srv 464 a :Password incorrect\r\n",
                "ERROR :Closing link\r\n"
            ]
        );
        assert!(step.close && step.ready.is_none());
        let (_, step) = run(&["NICK a", "USER u 0 * :Real Name"], &locked);
        assert!(step.close);
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
