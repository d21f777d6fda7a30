//! Parsing: one line of text from a client becomes one [`Command`].
//!
//! The server speaks two dialects on the same port, and the line's first word
//! decides which command it is:
//!
//! - **Protocol mode** (programs, and people who like the protocol spec in the README):
//!   upper-case verbs such as `JOIN #general` or `PRIVMSG bob hi`. Any line
//!   that does not start with a verb is a room message, so `Hello everyone!`
//!   works as the README's protocol transcript shows. `/commands` are understood too.
//! - **Chat mode** (people on `nc` or `telnet`): only `/commands` are
//!   commands; every other line is a message. Someone typing "QUIT smoking"
//!   is chatting, not leaving. `//text` sends a message that starts with `/`.
//!
//! Parsing knows nothing about users or rooms: it only checks the shape of a
//! line (which verb, how many words). Whether the room exists or the name is
//! free is decided later, by [`crate::chat::state`], so this module can be tested
//! with plain strings.

/// Which dialect a registered client speaks; chosen by how they registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Registered with `USERNAME`: exact protocol lines, own messages echoed.
    Protocol,
    /// Registered with `/nick`: lines written for a person.
    Chat,
}

/// Everything a client can ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `USERNAME <name>` (mode Protocol) or `/nick <name>` (mode Chat):
    /// registers, or renames a registered user.
    Register { name: String, dialect: Dialect },
    /// `PASS <password>` / `/pass <password>`: the server's door password.
    Pass(String),
    /// `JOIN <room>` / `/join <room>`, the room as typed.
    Join(String),
    /// `LEAVE` / `/leave`.
    Leave,
    /// A message to the current room.
    Say(String),
    /// `PRIVMSG <user> <text>` / `/msg <user> <text>`.
    Private { to: String, text: String },
    /// `ROOMS` / `/rooms`.
    Rooms,
    /// `USERS` / `/users`.
    Users,
    /// `HELP` / `/help`.
    Help,
    /// `QUIT` / `/quit`.
    Quit,
    /// `OPER <password>` / `/op <password>`: become an operator.
    Oper(String),
    /// `KICK <user> [reason]` / `/kick`.
    Kick {
        user: String,
        reason: Option<String>,
    },
    /// `MUTE <user>` / `/mute`.
    Mute(String),
    /// `UNMUTE <user>` / `/unmute`.
    Unmute(String),
    /// `ANNOUNCE <text>` / `/announce`: to everyone connected.
    Announce(String),
    /// `TOPIC [text]` / `/topic [text]`: show or set the current room's topic.
    Topic(Option<String>),
    /// `ACTION <text>` / `/me <text>`: "* alice waves".
    Action(String),
    /// The line was a command, but not a well-formed one.
    Invalid(Mistake),
}

/// What was wrong with a line that looked like a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mistake {
    /// `MSG` with no text.
    EmptyMessage,
    /// A known command with missing arguments; the payload is its usage.
    Usage(&'static Usage),
    /// A `/command` nobody knows, as typed (`/dance`).
    Unknown(String),
}

/// How a command is written in each dialect, for `ERROR Usage: …`.
#[derive(Debug, PartialEq, Eq)]
pub struct Usage {
    pub protocol: &'static str,
    pub chat: &'static str,
}

macro_rules! usage {
    ($name:ident, $protocol:literal, $chat:literal) => {
        pub const $name: Usage = Usage {
            protocol: $protocol,
            chat: $chat,
        };
    };
}

/// The usage line of every command that takes arguments.
pub mod usage {
    use super::Usage;
    usage!(USERNAME, "USERNAME <name>", "/nick <name>");
    usage!(PASS, "PASS <password>", "/pass <password>");
    usage!(JOIN, "JOIN <room>", "/join <room>");
    usage!(PRIVMSG, "PRIVMSG <user> <text>", "/msg <user> <text>");
    usage!(OPER, "OPER <password>", "/op <password>");
    usage!(KICK, "KICK <user> [reason]", "/kick <user> [reason]");
    usage!(MUTE, "MUTE <user>", "/mute <user>");
    usage!(UNMUTE, "UNMUTE <user>", "/unmute <user>");
    usage!(ANNOUNCE, "ANNOUNCE <text>", "/announce <text>");
    usage!(ACTION, "ACTION <text>", "/me <text>");
}

/// Parses one line. `dialect` is the sender's dialect: `None` before
/// registering, when both dialects are understood.
pub fn parse(line: &str, dialect: Option<Dialect>) -> Command {
    let line = line.trim_end();
    if let Some(rest) = line.strip_prefix('/') {
        if rest.starts_with('/') {
            return Command::Say(rest.to_string()); // `//text` → "/text"
        }
        return parse_slash(rest);
    }
    if dialect == Some(Dialect::Chat) {
        return Command::Say(line.to_string());
    }
    let (verb, args) = split_word(line);
    match verb {
        "USERNAME" => register(args, Dialect::Protocol),
        // Passwords are the rest of the line: the settings allow any text,
        // and a teacher who picks a phrase must not lock the class out.
        "PASS" => text_arg(args, &usage::PASS, Command::Pass),
        "JOIN" => one_arg(args, &usage::JOIN, Command::Join),
        "LEAVE" => Command::Leave,
        "MSG" if args.is_empty() => Command::Invalid(Mistake::EmptyMessage),
        "MSG" => Command::Say(args.to_string()),
        "PRIVMSG" => private(args, &usage::PRIVMSG),
        "ROOMS" => Command::Rooms,
        "USERS" => Command::Users,
        "HELP" => Command::Help,
        "QUIT" => Command::Quit,
        "OPER" => text_arg(args, &usage::OPER, Command::Oper),
        "KICK" => kick(args, &usage::KICK),
        "MUTE" => one_arg(args, &usage::MUTE, Command::Mute),
        "UNMUTE" => one_arg(args, &usage::UNMUTE, Command::Unmute),
        "ANNOUNCE" => text_arg(args, &usage::ANNOUNCE, Command::Announce),
        "TOPIC" => topic(args),
        "ACTION" => text_arg(args, &usage::ACTION, Command::Action),
        _ => Command::Say(line.to_string()),
    }
}

/// A `/command` (without its slash); names are case-insensitive for people.
fn parse_slash(rest: &str) -> Command {
    let (name, args) = split_word(rest);
    match name.to_ascii_lowercase().as_str() {
        "nick" => register(args, Dialect::Chat),
        "pass" => text_arg(args, &usage::PASS, Command::Pass), // see PASS above
        "join" => one_arg(args, &usage::JOIN, Command::Join),
        "leave" | "part" => Command::Leave,
        "msg" => private(args, &usage::PRIVMSG),
        "rooms" => Command::Rooms,
        "users" | "who" => Command::Users,
        "help" => Command::Help,
        "quit" | "exit" => Command::Quit,
        "op" => text_arg(args, &usage::OPER, Command::Oper),
        "kick" => kick(args, &usage::KICK),
        "mute" => one_arg(args, &usage::MUTE, Command::Mute),
        "unmute" => one_arg(args, &usage::UNMUTE, Command::Unmute),
        "announce" => text_arg(args, &usage::ANNOUNCE, Command::Announce),
        "topic" => topic(args),
        "me" => text_arg(args, &usage::ACTION, Command::Action),
        _ => Command::Invalid(Mistake::Unknown(format!("/{name}"))),
    }
}

/// Splits off the first word; the rest keeps its inner spacing.
fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.split_once([' ', '\t']) {
        Some((word, rest)) => (word, rest.trim_start()),
        None => (text, ""),
    }
}

fn register(args: &str, dialect: Dialect) -> Command {
    one_arg(args, &usage::USERNAME, |name| Command::Register {
        name,
        dialect,
    })
}

/// Commands taking exactly one word (a name, a room).
fn one_arg(args: &str, usage: &'static Usage, make: impl FnOnce(String) -> Command) -> Command {
    let (word, rest) = split_word(args);
    if word.is_empty() || !rest.is_empty() {
        return Command::Invalid(Mistake::Usage(usage));
    }
    make(word.to_string())
}

/// Commands whose argument is free text.
fn text_arg(args: &str, usage: &'static Usage, make: impl FnOnce(String) -> Command) -> Command {
    if args.is_empty() {
        return Command::Invalid(Mistake::Usage(usage));
    }
    make(args.to_string())
}

fn private(args: &str, usage: &'static Usage) -> Command {
    match split_word(args) {
        (to, text) if !to.is_empty() && !text.is_empty() => Command::Private {
            to: to.to_string(),
            text: text.to_string(),
        },
        _ => Command::Invalid(Mistake::Usage(usage)),
    }
}

fn kick(args: &str, usage: &'static Usage) -> Command {
    match split_word(args) {
        ("", _) => Command::Invalid(Mistake::Usage(usage)),
        (user, reason) => Command::Kick {
            user: user.to_string(),
            reason: (!reason.is_empty()).then(|| reason.to_string()),
        },
    }
}

fn topic(args: &str) -> Command {
    Command::Topic((!args.is_empty()).then(|| args.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Option<Dialect> = Some(Dialect::Protocol);
    const C: Option<Dialect> = Some(Dialect::Chat);

    fn say(text: &str) -> Command {
        Command::Say(text.into())
    }

    #[test]
    fn protocol_verbs() {
        assert_eq!(
            parse("USERNAME alice", None),
            Command::Register {
                name: "alice".into(),
                dialect: Dialect::Protocol
            }
        );
        assert_eq!(parse("JOIN #general", P), Command::Join("#general".into()));
        assert_eq!(parse("MSG  hi  there ", P), say("hi  there"));
        assert_eq!(
            parse("PRIVMSG bob Hey, private message!", P),
            Command::Private {
                to: "bob".into(),
                text: "Hey, private message!".into()
            }
        );
        assert_eq!(parse("LEAVE", P), Command::Leave);
        assert_eq!(
            parse("PASS open  sesame ", None),
            Command::Pass("open  sesame".into())
        );
        assert_eq!(parse("/op teach me", P), Command::Oper("teach me".into()));
        assert_eq!(parse("QUIT\t", P), Command::Quit);
        assert_eq!(parse("TOPIC", P), Command::Topic(None));
        assert_eq!(
            parse("TOPIC Week 3: sockets", P),
            Command::Topic(Some("Week 3: sockets".into()))
        );
        assert_eq!(
            parse("KICK bob spamming the room", P),
            Command::Kick {
                user: "bob".into(),
                reason: Some("spamming the room".into())
            }
        );
    }

    #[test]
    fn lines_that_are_not_verbs_are_messages() {
        assert_eq!(parse("Hello everyone!", P), say("Hello everyone!"));
        assert_eq!(parse("JOINED the club", P), say("JOINED the club"));
        assert_eq!(parse("join us", P), say("join us"));
    }

    #[test]
    fn chat_mode_only_knows_slash_commands() {
        assert_eq!(parse("QUIT smoking", C), say("QUIT smoking"));
        assert_eq!(parse("/quit", C), Command::Quit);
        assert_eq!(parse("/JOIN lab", C), Command::Join("lab".into()));
        assert_eq!(parse("/me waves", C), Command::Action("waves".into()));
        assert_eq!(
            parse("//etc/passwd is a file", C),
            say("/etc/passwd is a file")
        );
        assert_eq!(
            parse("/nick bob", C),
            Command::Register {
                name: "bob".into(),
                dialect: Dialect::Chat
            }
        );
        // Protocol mode understands /commands too.
        assert_eq!(parse("/users", P), Command::Users);
    }

    #[test]
    fn mistakes() {
        assert_eq!(parse("MSG", P), Command::Invalid(Mistake::EmptyMessage));
        assert_eq!(
            parse("JOIN", P),
            Command::Invalid(Mistake::Usage(&usage::JOIN))
        );
        assert_eq!(
            parse("/join a b", C),
            Command::Invalid(Mistake::Usage(&usage::JOIN))
        );
        assert_eq!(
            parse("/msg bob", C),
            Command::Invalid(Mistake::Usage(&usage::PRIVMSG))
        );
        assert_eq!(
            parse("/nick", C),
            Command::Invalid(Mistake::Usage(&usage::USERNAME))
        );
        assert_eq!(
            parse("/dance now", C),
            Command::Invalid(Mistake::Unknown("/dance".into()))
        );
        assert_eq!(
            parse("/me", C),
            Command::Invalid(Mistake::Usage(&usage::ACTION))
        );
    }
}
