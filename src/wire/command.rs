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
//! A third dialect, **IRC** (irssi, WeeChat, HexChat), is told apart by a
//! connection's first line (`NICK`, `USER`, `CAP`) and read by
//! [`crate::wire::irc`], whose IRC messages become these same [`Command`]s;
//! the table's `irc` column says which IRC verb means which command.
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
    /// Registered with IRC's `NICK` and `USER` (see [`crate::wire::irc`]):
    /// lines an IRC client such as irssi understands.
    Irc,
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
    /// `ROOMS [page]` / `/rooms [page]`: the page of the room list, from 1.
    Rooms(usize),
    /// `USERS [page]` / `/users [page]`: the page of the user list, from 1.
    Users(usize),
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
    /// `STATS` / `/stats`: what the server is costing (see
    /// [`crate::chat::stats`]).
    Stats,
    /// `TOPIC [text]` / `/topic [text]`: show or set the current room's topic.
    Topic(Option<String>),
    /// `ACTION <text>` / `/me <text>`: "* alice waves".
    Action(String),
    /// IRC's `WHOIS <nick>`: who they are, where, whether operator or away.
    Whois(String),
    /// IRC's `AWAY [text]`: set (or, without text, clear) an away message.
    Away(Option<String>),
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

/// What a command is, whatever the dialect spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Register,
    Pass,
    Join,
    Leave,
    Say,
    Private,
    Action,
    Users,
    Rooms,
    Topic,
    Oper,
    Help,
    Quit,
    Kick,
    Mute,
    Unmute,
    Announce,
    Stats,
}

/// The shape of a command's arguments, checked by [`parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Args {
    None,
    /// Exactly one word: a name, a room.
    Word,
    /// The rest of the line, not empty.
    Text,
    /// A password: everything after the one space that follows the
    /// command, exactly as sent, outer spaces included, so a password with
    /// spaces can match and `OPER pw ` is not `OPER pw`.
    Secret,
    /// A user, then text (`PRIVMSG bob hi`).
    UserAndText,
    /// A user, then an optional reason (`KICK bob spamming`).
    UserAndReason,
    /// Optional text (`TOPIC` shows, `TOPIC text` sets).
    OptionalText,
    /// An optional page number, 1 or more (`USERS` is `USERS 1`); anything
    /// else (`USERS all`, `USERS 0`) is a usage error, not page 1.
    Page,
}

/// Who may use a command; `/help` lists operator commands to operators only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Anyone,
    Operator,
}

/// One row of the command table: everything about one command, once.
///
/// The dialects are the columns: each has its names (`verbs` for the
/// protocol, `slash` for chat, `irc` for IRC) and its usage (a field of
/// [`Usage`]). A new dialect adds a names column, a [`Usage`] field and a
/// [`Dialect`] variant; [`CommandSpec::names`] and [`lookup`] then find a
/// command by its name in any dialect, and usage errors and `/help` follow.
#[derive(Debug, PartialEq, Eq)]
pub struct CommandSpec {
    pub kind: Kind,
    pub args: Args,
    pub who: Who,
    /// What `/help` says it does.
    pub help: &'static str,
    /// Protocol dialect: upper-case verbs, exact.
    pub verbs: &'static [&'static str],
    /// Chat dialect: `/names`, case-insensitive; the first is the usual one.
    pub slash: &'static [&'static str],
    /// IRC dialect: the IRC verbs that mean this command (their arguments
    /// are IRC's, read by [`crate::wire::irc::map`]); empty when IRC spells
    /// it differently or not at all.
    pub irc: &'static [&'static str],
    pub usage: Usage,
}

impl CommandSpec {
    /// This command's names in `dialect`: one column of the table.
    pub fn names(&self, dialect: Dialect) -> &'static [&'static str] {
        match dialect {
            Dialect::Protocol => self.verbs,
            Dialect::Chat => self.slash,
            Dialect::Irc => self.irc,
        }
    }
}

/// The first row whose `dialect` column holds `name` (exact: callers fold
/// case as their dialect does).
pub fn lookup(dialect: Dialect, name: &str) -> Option<&'static CommandSpec> {
    COMMANDS
        .iter()
        .find(|spec| spec.names(dialect).contains(&name))
}

/// How a command is written in each dialect, for `ERROR Usage: …` and
/// `/help`.
#[derive(Debug, PartialEq, Eq)]
pub struct Usage {
    pub protocol: &'static str,
    pub chat: &'static str,
    /// What an IRC user types in a client such as irssi.
    pub irc: &'static str,
}

impl Usage {
    /// This dialect's column.
    pub fn in_dialect(&self, dialect: Dialect) -> &'static str {
        match dialect {
            Dialect::Protocol => self.protocol,
            Dialect::Chat => self.chat,
            Dialect::Irc => self.irc,
        }
    }
}

#[allow(clippy::too_many_arguments)] // one argument per column of the table
const fn row(
    kind: Kind,
    args: Args,
    who: Who,
    verbs: &'static [&'static str],
    slash: &'static [&'static str],
    irc: &'static [&'static str],
    usage: (&'static str, &'static str, &'static str),
    help: &'static str,
) -> CommandSpec {
    CommandSpec {
        kind,
        args,
        who,
        help,
        verbs,
        slash,
        irc,
        usage: Usage {
            protocol: usage.0,
            chat: usage.1,
            irc: usage.2,
        },
    }
}

use Args as A;
use Kind as K;
use Who::{Anyone, Operator};

/// Every command, in `/help` order. `TOPIC` has two rows: reading the topic
/// is for anyone, setting it for operators; both parse the same way, and
/// parsing uses the first.
#[rustfmt::skip]
pub const COMMANDS: &[CommandSpec] = &[
    row(K::Register, A::Word, Anyone, &["USERNAME"], &["nick"], &["NICK"],
        ("USERNAME <name>", "/nick <name>", "/nick <name>"), "choose or change your name"),
    row(K::Join, A::Word, Anyone, &["JOIN"], &["join"], &["JOIN"],
        ("JOIN <room>", "/join <room>", "/join #room"), "join a room (made if new); leaves your current one"),
    row(K::Leave, A::None, Anyone, &["LEAVE"], &["leave", "part"], &["PART"],
        ("LEAVE", "/leave", "/part"), "leave your room"),
    // In chat, a message is any line that is not a command: no slash name.
    // In IRC it is a PRIVMSG to the room, told apart by its target.
    row(K::Say, A::Text, Anyone, &["MSG"], &[], &[],
        ("MSG <text>", "<text>", "<text>"), "say something to your room"),
    row(K::Private, A::UserAndText, Anyone, &["PRIVMSG"], &["msg"], &["PRIVMSG", "NOTICE"],
        ("PRIVMSG <user> <text>", "/msg <user> <text>", "/msg <nick> <text>"), "private message"),
    // IRC's action is a CTCP inside a PRIVMSG, not a verb of its own.
    row(K::Action, A::Text, Anyone, &["ACTION"], &["me"], &[],
        ("ACTION <text>", "/me <text>", "/me <text>"), "act: shown as you *<text>*"),
    row(K::Users, A::Page, Anyone, &["USERS"], &["users", "who"], &["NAMES", "WHO"],
        ("USERS [page]", "/users [page]", "/names"), "who is in your room (or online), a page at a time"),
    row(K::Rooms, A::Page, Anyone, &["ROOMS"], &["rooms"], &["LIST"],
        ("ROOMS [page]", "/rooms [page]", "/list [page]"), "list rooms, a page at a time"),
    row(K::Topic, A::OptionalText, Anyone, &["TOPIC"], &["topic"], &["TOPIC"],
        ("TOPIC [text]", "/topic", "/topic"), "show the room's topic"),
    row(K::Pass, A::Secret, Anyone, &["PASS"], &["pass"], &["PASS"],
        ("PASS <password>", "/pass <password>", "/connect <host> <port> <password>"),
        "the server's password, if it has one"),
    row(K::Oper, A::Secret, Anyone, &["OPER"], &["op"], &["OPER"],
        ("OPER <password>", "/op <password>", "/oper <name> <password>"), "become an operator (teacher)"),
    row(K::Help, A::None, Anyone, &["HELP"], &["help"], &["HELP"],
        ("HELP", "/help", "/quote HELP"), "this list"),
    row(K::Quit, A::None, Anyone, &["QUIT"], &["quit", "exit"], &["QUIT"],
        ("QUIT", "/quit", "/quit [reason]"), "leave the chat"),
    row(K::Topic, A::OptionalText, Operator, &["TOPIC"], &["topic"], &["TOPIC"],
        ("TOPIC <text>", "/topic <text>", "/topic <text>"), "(operator) set the room's topic"),
    row(K::Kick, A::UserAndReason, Operator, &["KICK"], &["kick"], &["KICK"],
        ("KICK <user> [reason]", "/kick <user> [reason]", "/kick <nick> [reason]"),
        "(operator) disconnect a user; a reason that starts 10m (or 30s, 2h, 1d) also bans their address that long"),
    row(K::Mute, A::Word, Operator, &["MUTE"], &["mute"], &["MUTE"],
        ("MUTE <user>", "/mute <user>", "/quote MUTE <nick>"), "(operator) silence a user"),
    row(K::Unmute, A::Word, Operator, &["UNMUTE"], &["unmute"], &["UNMUTE"],
        ("UNMUTE <user>", "/unmute <user>", "/quote UNMUTE <nick>"), "(operator) let them talk again"),
    row(K::Announce, A::Text, Operator, &["ANNOUNCE"], &["announce"], &["ANNOUNCE"],
        ("ANNOUNCE <text>", "/announce <text>", "/quote ANNOUNCE <text>"), "(operator) message everyone"),
    row(K::Stats, A::None, Operator, &["STATS"], &["stats"], &["STATS"],
        ("STATS", "/stats", "/stats"), "(operator) connections, threads, queues, bytes, deliveries/s, history size"),
];

/// Parses one line. `dialect` is the sender's dialect: `None` before
/// registering, when both dialects are understood.
pub fn parse(line: &str, dialect: Option<Dialect>) -> Command {
    let raw = line;
    let line = line.trim_end();
    if let Some(rest) = line.strip_prefix('/') {
        if rest.starts_with('/') {
            return Command::Say(rest.to_string()); // `//text` → "/text"
        }
        let (name, args) = split_word(rest);
        let lower = name.to_ascii_lowercase();
        return match lookup(Dialect::Chat, &lower) {
            Some(spec) => build(spec, args, exact_rest(&raw[1..]), Dialect::Chat),
            None => Command::Invalid(Mistake::Unknown(format!("/{name}"))),
        };
    }
    if dialect == Some(Dialect::Chat) {
        return Command::Say(line.to_string());
    }
    let (verb, args) = split_word(line);
    match lookup(Dialect::Protocol, verb) {
        Some(spec) if spec.kind == Kind::Say && args.is_empty() => {
            Command::Invalid(Mistake::EmptyMessage)
        }
        Some(spec) => build(spec, args, exact_rest(raw), Dialect::Protocol),
        // Any line that does not start with a verb is a room message.
        None => Command::Say(line.to_string()),
    }
}

/// Checks `args` against the row's shape and builds its [`Command`].
/// `dialect` is the one the line was written in (registering fixes it).
/// `exact` is the text after the command word and one separator, untouched
/// (for [`Args::Secret`]).
fn build(spec: &'static CommandSpec, args: &str, exact: &str, dialect: Dialect) -> Command {
    let wrong = || Command::Invalid(Mistake::Usage(&spec.usage));
    let (first, rest) = split_word(args);
    let one = match spec.args {
        // Trailing words are a mistake, not ignored: `QUIT later` must not
        // half-obey (quit, dropping "later").
        A::None if !args.is_empty() => return wrong(),
        A::None | A::OptionalText => String::new(),
        A::Page if args.is_empty() => "1".to_string(),
        A::Page if !rest.is_empty() || !matches!(first.parse::<usize>(), Ok(1..)) => {
            return wrong()
        }
        A::Page => first.to_string(),
        A::Secret if exact.is_empty() => return wrong(),
        A::Secret => exact.to_string(),
        A::Word if first.is_empty() || !rest.is_empty() => return wrong(),
        A::Word => first.to_string(),
        A::Text if args.is_empty() => return wrong(),
        A::Text => args.to_string(),
        A::UserAndText if first.is_empty() || rest.is_empty() => return wrong(),
        A::UserAndReason if first.is_empty() => return wrong(),
        A::UserAndText | A::UserAndReason => first.to_string(),
    };
    let optional = |text: &str| (!text.is_empty()).then(|| text.to_string());
    match spec.kind {
        K::Register => Command::Register { name: one, dialect },
        K::Pass => Command::Pass(one),
        K::Join => Command::Join(one),
        K::Leave => Command::Leave,
        K::Say => Command::Say(one),
        K::Private => Command::Private {
            to: one,
            text: rest.to_string(),
        },
        K::Action => Command::Action(one),
        // `one` is a number of at least 1: checked above.
        K::Users => Command::Users(one.parse().unwrap_or(1)),
        K::Rooms => Command::Rooms(one.parse().unwrap_or(1)),
        K::Topic => Command::Topic(optional(args)),
        K::Oper => Command::Oper(one),
        K::Help => Command::Help,
        K::Quit => Command::Quit,
        K::Kick => Command::Kick {
            user: one,
            reason: optional(rest),
        },
        K::Mute => Command::Mute(one),
        K::Unmute => Command::Unmute(one),
        K::Announce => Command::Announce(one),
        K::Stats => Command::Stats,
    }
}

/// What follows the first word and the one space or tab after it, exactly.
fn exact_rest(text: &str) -> &str {
    let text = text.trim_start();
    text.split_once([' ', '\t']).map_or("", |(_, rest)| rest)
}

/// Splits off the first word; the rest keeps its inner spacing.
fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.split_once([' ', '\t']) {
        Some((word, rest)) => (word, rest.trim_start()),
        None => (text, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Option<Dialect> = Some(Dialect::Protocol);

    #[test]
    fn each_name_belongs_to_one_kind_of_command() {
        for (i, a) in COMMANDS.iter().enumerate() {
            for b in &COMMANDS[i + 1..] {
                let shared = [Dialect::Protocol, Dialect::Chat, Dialect::Irc]
                    .iter()
                    .any(|&d| a.names(d).iter().any(|n| b.names(d).contains(n)));
                assert!(!shared || a.kind == b.kind, "{a:?} and {b:?} share a name");
            }
        }
    }

    #[test]
    fn help_lists_operator_rows_after_everyone_elses() {
        let first_operator = COMMANDS.iter().position(|s| s.who == Who::Operator);
        let Some(first_operator) = first_operator else {
            panic!("no operator commands");
        };
        assert!(COMMANDS[first_operator..]
            .iter()
            .all(|s| s.who == Who::Operator));
    }

    /// The usage of the table row with this protocol verb.
    fn usage_of(verb: &str) -> &'static Usage {
        match COMMANDS.iter().find(|spec| spec.verbs.contains(&verb)) {
            Some(spec) => &spec.usage,
            None => panic!("no command {verb}"),
        }
    }
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
        // Passwords are exact: inner and outer spaces count.
        assert_eq!(
            parse("PASS open  sesame ", None),
            Command::Pass("open  sesame ".into())
        );
        assert_eq!(parse("OPER  pw", P), Command::Oper(" pw".into()));
        assert_eq!(parse("/op adminpw ", P), Command::Oper("adminpw ".into()));
        assert!(matches!(
            parse("PASS", None),
            Command::Invalid(Mistake::Usage(_))
        ));
        assert_eq!(parse("/op teach me", P), Command::Oper("teach me".into()));
        assert_eq!(parse("QUIT\t", P), Command::Quit);
        assert_eq!(parse("STATS", P), Command::Stats);
        assert_eq!(parse("/Stats", C), Command::Stats);
        assert_eq!(parse("stats please", C), say("stats please"));
        // Trailing words are a usage error, not half-obeyed.
        for line in [
            "QUIT later",
            "/quit later",
            "LEAVE now",
            "USERS all",
            "USERS 0",
            "ROOMS 2 3",
        ] {
            let Command::Invalid(Mistake::Usage(usage)) = parse(line, P) else {
                panic!("{line} was obeyed");
            };
            let verb = usage.protocol.split(' ').next().unwrap_or_default();
            assert!(line.to_ascii_uppercase().contains(verb), "{line}");
        }
        // Long lists come a page at a time.
        assert_eq!(parse("USERS", P), Command::Users(1));
        assert_eq!(parse("USERS 2", P), Command::Users(2));
        assert_eq!(parse("/rooms 3", C), Command::Rooms(3));
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
        assert_eq!(parse("/users", P), Command::Users(1));
    }

    #[test]
    fn mistakes() {
        assert_eq!(parse("MSG", P), Command::Invalid(Mistake::EmptyMessage));
        assert_eq!(
            parse("JOIN", P),
            Command::Invalid(Mistake::Usage(usage_of("JOIN")))
        );
        assert_eq!(
            parse("/join a b", C),
            Command::Invalid(Mistake::Usage(usage_of("JOIN")))
        );
        assert_eq!(
            parse("/msg bob", C),
            Command::Invalid(Mistake::Usage(usage_of("PRIVMSG")))
        );
        assert_eq!(
            parse("/nick", C),
            Command::Invalid(Mistake::Usage(usage_of("USERNAME")))
        );
        assert_eq!(
            parse("/dance now", C),
            Command::Invalid(Mistake::Unknown("/dance".into()))
        );
        assert_eq!(
            parse("/me", C),
            Command::Invalid(Mistake::Usage(usage_of("ACTION")))
        );
    }
}
