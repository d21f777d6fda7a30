//! Parsing: one line of text from a client becomes one [`Command`].
//!
//! The server speaks two dialects on the same port, and the line's first word
//! decides which command it is:
//!
//! - **Protocol mode** (programs, and people who like the protocol in `docs/step4-2-protocol.md`):
//!   upper-case verbs such as `JOIN #general` or `PRIVMSG bob hi`. Any line
//!   that does not start with a verb is a room message, so `Hello everyone!`
//!   works as the protocol chapter's transcript shows. `/commands` are understood too.
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
//! free is decided later, by `src/chat/state.rs`, so this module can be tested
//! with plain strings.
//!
//! **Adding a command** takes a variant, its row here, its arm in
//! `State::act` and its handler, and render arms only if it says something
//! new: the exact list is in `docs/developers.md`, "Adding a command". The
//! compiler refuses a row whose shape does not fit its variant, and an
//! `act` without an arm for it.

/// Which dialect a registered client speaks; chosen by how they registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Registered with `USERNAME`: exact protocol lines, own messages echoed.
    Protocol,
    /// Registered with `/nick`: lines written for a person.
    Chat,
    /// Registered with IRC's `NICK` and `USER` (see wire::irc):
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
    /// `LEAVE` / `/leave`: leaves the current room (`LEAVE #lab`: that
    /// one, as [`Command::In`]).
    Leave,
    /// `SWITCH <room>` / `/switch <room>`: makes a room you are in the
    /// current one, where plain lines go.
    Switch(String),
    /// `MULTIROOM`: a protocol client asks to be in several rooms at once
    /// (chat mode and IRC always are); from then on `JOIN` adds a room.
    MultiRoom,
    /// A room-scoped command (`Leave`, `Say`, `Action`, `Topic`, `Users`,
    /// `Kick`) aimed at a named room the sender is in, rather than at their
    /// current room: `/leave #lab`, IRC's `PRIVMSG #lab :hi`.
    In(String, Box<Command>),
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
    /// `HISTORY TIMED`: a program asks for a room's history on joining as
    /// fenced, timed `HISTORY` lines instead of seed 002's plain `ROOM`
    /// lines (the step 3 client and the page ask; the word as sent).
    History(String),
    /// `QUIT` / `/quit`.
    Quit,
    /// `OPER <password>` / `/op <password>`: become an operator.
    Oper(String),
    /// `LOGIN <name> <password>` / `/login <name> <password>`: log in to an
    /// account (see `src/accounts/`); the password is everything after the
    /// name and one space, exactly as sent.
    Login { name: String, password: String },
    /// `PASSWORD <new>` / `/password <new>`: choose a new password for the
    /// account you are logged in to.
    Password(String),
    /// `SESSION`: a session token for the logged-in account (the browser
    /// page keeps it); `SESSION <token>`: log in with one.
    Session(Option<String>),
    /// `LOGOUT` / `/logout`: end this session and leave.
    Logout,
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
    /// `src/chat/stats.rs`).
    Stats,
    /// `CONNS`: connections by address (the biggest first), for a teacher
    /// looking at a flood.
    Conns,
    /// `KICKADDR 127.0.0.5`: every connection from an address, and a ban.
    KickAddr(String),
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
    /// A name typed as several words (`/nick John Smith`): the words
    /// joined with `_`, to suggest (`John_Smith`).
    NameWithSpaces(String),
}

/// The shape of a command's arguments, checked by [`parse`], holding the
/// [`Command`] they make: a constructor that takes exactly what the shape
/// yields (`Word(Command::Join)`), so a row cannot pair a command with
/// arguments it does not take, and [`build`] needs no list of commands.
#[derive(Debug)]
pub enum Args {
    /// No arguments: the command itself.
    None(Command),
    /// Exactly one word: a room, a user.
    Word(fn(String) -> Command),
    /// One word, a name to go by, with the dialect it was typed in
    /// (registering fixes the dialect).
    Name(fn(String, Dialect) -> Command),
    /// The rest of the line, not empty.
    Text(fn(String) -> Command),
    /// A room message: the rest of the line; an empty one is
    /// [`Mistake::EmptyMessage`], not a usage error.
    Message(fn(String) -> Command),
    /// A password: everything after the one space that follows the
    /// command, exactly as sent, outer spaces included, so a password with
    /// spaces can match and `OPER pw ` is not `OPER pw`.
    Secret(fn(String) -> Command),
    /// A user, then text (`PRIVMSG bob hi`).
    UserAndText(fn(String, String) -> Command),
    /// A name, then a password exactly as sent after one space
    /// (`LOGIN alice pass word`).
    NameAndSecret(fn(String, String) -> Command),
    /// A user, then an optional reason (`KICK bob spamming`).
    UserAndReason(fn(String, Option<String>) -> Command),
    /// Nothing, or one room (`LEAVE`, `LEAVE #lab`): the command itself,
    /// or the command [`Command::In`] that room. A word that is not a
    /// room (`LEAVE now`) is a usage error.
    OptionalRoom(Command),
    /// Optional text (`TOPIC` shows, `TOPIC text` sets).
    OptionalText(fn(Option<String>) -> Command),
    /// An optional page number, 1 or more (`USERS` is `USERS 1`); anything
    /// else (`USERS all`, `USERS 0`) is a usage error, not page 1.
    Page(fn(usize) -> Command),
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
#[derive(Debug)]
pub struct CommandSpec {
    /// The arguments, and the command they make.
    pub args: Args,
    pub who: Who,
    /// What `/help` says it does.
    pub help: &'static str,
    /// Protocol dialect: upper-case verbs, exact.
    pub verbs: &'static [&'static str],
    /// Chat dialect: `/names`, case-insensitive; the first is the usual one.
    pub slash: &'static [&'static str],
    /// IRC dialect: the IRC verbs that mean this command. Their arguments
    /// are laid out the IRC way for the row's shape (`KICK #room nick
    /// :reason`), read by wire::irc::map::inbound, which keeps an
    /// arm of its own only for verbs whose arguments mean more (`JOIN 0`);
    /// empty when IRC spells the command differently or not at all.
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

    /// The command this row makes from arguments that fit its shape, for
    /// tests that hold the table to the code that reads it and acts on it.
    #[cfg(test)]
    pub(crate) fn example(&'static self) -> Command {
        // A usage that spells its word in capitals (`HISTORY TIMED`) takes
        // that word, not a name.
        let literal = self.usage.protocol.split(' ').nth(1);
        let literal = literal.filter(|word| word.chars().all(|c| c.is_ascii_uppercase()));
        let args = match self.args {
            A::Word(_) if literal.is_some() => literal.unwrap_or_default(),
            A::None(_) | A::OptionalRoom(_) => "",
            A::Page(_) => "2",
            A::Word(_) | A::Name(_) => "bob",
            _ => "bob hi",
        };
        build(self, args, args, Dialect::Protocol)
    }
}

/// Do `a` and `b` ask for the same command, whatever their arguments?
#[cfg(test)]
pub(crate) fn same_command(a: &Command, b: &Command) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
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
    args: Args,
    who: Who,
    verbs: &'static [&'static str],
    slash: &'static [&'static str],
    irc: &'static [&'static str],
    usage: (&'static str, &'static str, &'static str),
    help: &'static str,
) -> CommandSpec {
    CommandSpec {
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
use Command as C;
use Who::{Anyone, Operator};

/// Every command, in `/help` order. `TOPIC` has two rows: reading the topic
/// is for anyone, setting it for operators; both parse the same way, and
/// parsing uses the first.
#[rustfmt::skip]
pub const COMMANDS: &[CommandSpec] = &[
    row(A::Name(|name, dialect| C::Register { name, dialect }), Anyone, &["USERNAME"], &["nick"], &["NICK"],
        ("USERNAME <name>", "/nick <name>", "/nick <name>"), "choose or change your name"),
    row(A::Word(C::Join), Anyone, &["JOIN"], &["join"], &["JOIN"],
        ("JOIN <room>", "/join <room>", "/join #room"), "join a room (made if new) and make it your current one"),
    row(A::OptionalRoom(C::Leave), Anyone, &["LEAVE"], &["leave", "part"], &["PART"],
        ("LEAVE [room]", "/leave [room]", "/part [#room]"), "leave your current room (or the one named)"),
    row(A::Word(C::Switch), Anyone, &["SWITCH"], &["switch"], &[],
        ("SWITCH <room>", "/switch <room>", ""), "make a room you are in the current one: plain lines go there"),
    row(A::None(C::MultiRoom), Anyone, &["MULTIROOM"], &[], &[],
        ("MULTIROOM", "", ""), "be in several rooms at once (chat mode and IRC always are)"),
    // In chat, a message is any line that is not a command: no slash name.
    // In IRC it is a PRIVMSG to the room, told apart by its target.
    row(A::Message(C::Say), Anyone, &["MSG"], &[], &[],
        ("MSG <text>", "<text>", "<text>"), "say something to your room"),
    row(A::UserAndText(|to, text| C::Private { to, text }), Anyone, &["PRIVMSG"], &["msg"], &["PRIVMSG", "NOTICE"],
        ("PRIVMSG <user> <text>", "/msg <user> <text>", "/msg <nick> <text>"), "private message"),
    // IRC's action is a CTCP inside a PRIVMSG, not a verb of its own.
    row(A::Text(C::Action), Anyone, &["ACTION"], &["me"], &[],
        ("ACTION <text>", "/me <text>", "/me <text>"), "act: shown as you *<text>*"),
    row(A::Page(C::Users), Anyone, &["USERS"], &["users", "who"], &["NAMES", "WHO"],
        ("USERS [page]", "/users [page]", "/names"), "who is in your room (or online), a page at a time"),
    row(A::Page(C::Rooms), Anyone, &["ROOMS"], &["rooms"], &["LIST"],
        ("ROOMS [page]", "/rooms [page]", "/list [page]"), "list rooms, a page at a time"),
    row(A::OptionalText(C::Topic), Anyone, &["TOPIC"], &["topic"], &["TOPIC"],
        ("TOPIC [text]", "/topic", "/topic"), "show the room's topic"),
    row(A::Secret(C::Pass), Anyone, &["PASS"], &["pass"], &["PASS"],
        ("PASS <password>", "/pass <password>", "/connect <host> <port> <password>"),
        "the server's password, if it has one"),
    row(A::Secret(C::Oper), Anyone, &["OPER"], &["op"], &["OPER"],
        ("OPER <password>", "/op <password>", "/oper <name> <password>"), "become an operator (teacher)"),
    row(A::NameAndSecret(|name, password| C::Login { name, password }), Anyone, &["LOGIN"], &["login"], &[],
        ("LOGIN <name> <password>", "/login <name> <password>", "/connect <host> <port> <name>:<password>"),
        "log in to your account (or with the one-time code from your teacher)"),
    row(A::Secret(C::Password), Anyone, &["PASSWORD"], &["password"], &["PASSWORD"],
        ("PASSWORD <new password>", "/password <new password>", "/quote PASSWORD <new password>"),
        "choose a new password for your account"),
    row(A::OptionalText(C::Session), Anyone, &["SESSION"], &[], &[],
        ("SESSION [token]", "SESSION [token]", "SESSION [token]"),
        "(the browser page) keep the login across a reload, or log in with a kept one"),
    row(A::None(C::Logout), Anyone, &["LOGOUT"], &["logout"], &[],
        ("LOGOUT", "/logout", "/quit"), "log out: end this session and leave"),
    row(A::None(C::Help), Anyone, &["HELP"], &["help"], &[],
        ("HELP", "/help", "/quote HELP"), "this list"),
    row(A::Word(C::History), Anyone, &["HISTORY"], &[], &[],
        ("HISTORY TIMED", "HISTORY TIMED", "HISTORY TIMED"),
        "(programs) replay a room's history as HISTORY lines with times"),
    row(A::None(C::Quit), Anyone, &["QUIT"], &["quit", "exit"], &["QUIT"],
        ("QUIT", "/quit", "/quit [reason]"), "leave the chat"),
    row(A::OptionalText(C::Topic), Operator, &["TOPIC"], &["topic"], &["TOPIC"],
        ("TOPIC <text>", "/topic <text>", "/topic <text>"), "(operator) set the room's topic"),
    row(A::UserAndReason(|user, reason| C::Kick { user, reason }), Operator, &["KICK"], &["kick"], &["KICK"],
        ("KICK <user> [reason]", "/kick <user> [reason]", "/kick <nick> [reason]"),
        "(operator) disconnect a user; a reason that starts 10m (or 30s, 2h, 1d) also bans their address that long"),
    row(A::Word(C::Mute), Operator, &["MUTE"], &["mute"], &["MUTE"],
        ("MUTE <user>", "/mute <user>", "/quote MUTE <nick>"), "(operator) silence a user"),
    row(A::Word(C::Unmute), Operator, &["UNMUTE"], &["unmute"], &["UNMUTE"],
        ("UNMUTE <user>", "/unmute <user>", "/quote UNMUTE <nick>"), "(operator) let them talk again"),
    row(A::Text(C::Announce), Operator, &["ANNOUNCE"], &["announce"], &["ANNOUNCE"],
        ("ANNOUNCE <text>", "/announce <text>", "/quote ANNOUNCE <text>"), "(operator) message everyone"),
    row(A::None(C::Stats), Operator, &["STATS"], &["stats"], &["STATS"],
        ("STATS", "/stats", "/stats"), "(operator) connections, threads, queues, bytes, deliveries/s, history size"),
    row(A::None(C::Conns), Operator, &["CONNS"], &["conns"], &["CONNS"],
        ("CONNS", "/conns", "/quote CONNS"), "(operator) connections by address: how many, how many without a name, the oldest's age"),
    row(A::Word(C::KickAddr), Operator, &["KICKADDR"], &["kickaddr"], &["KICKADDR"],
        ("KICKADDR <address>", "/kickaddr <address>", "/quote KICKADDR <address>"),
        "(operator) disconnect every connection from an address (or a user's name: theirs), yours excepted, and ban it for 10 minutes"),
];

/// One command as a client program spells it, from its row: the step 3
/// client shows its own `/help` and turns the server's protocol words
/// into its slash commands with these, so neither can drift from the table.
#[derive(Debug, Clone, Copy)]
pub struct Spelling {
    /// Protocol verbs (`USERNAME`).
    pub verbs: &'static [&'static str],
    /// Chat names without the slash (`nick`); empty for `MSG`, `HISTORY`.
    pub slash: &'static [&'static str],
    pub protocol_usage: &'static str,
    pub chat_usage: &'static str,
    pub help: &'static str,
}

/// Every row of [`COMMANDS`] as a [`Spelling`], in `/help` order.
pub fn spellings() -> impl Iterator<Item = Spelling> {
    COMMANDS.iter().map(|row| Spelling {
        verbs: row.verbs,
        slash: row.slash,
        protocol_usage: row.usage.protocol,
        chat_usage: row.usage.chat,
        help: row.help,
    })
}

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
        Some(spec) => build(spec, args, exact_rest(raw), Dialect::Protocol),
        // Any line that does not start with a verb is a room message.
        None => Command::Say(line.to_string()),
    }
}

/// Checks `args` against the row's shape and builds its [`Command`], or
/// the [`Mistake`] it is.
/// `dialect` is the one the line was written in (registering fixes it).
/// `exact` is the text after the command word and one separator, untouched
/// (for [`Args::Secret`]).
fn build(spec: &'static CommandSpec, args: &str, exact: &str, dialect: Dialect) -> Command {
    let (first, rest) = split_word(args);
    let one_word = !first.is_empty() && rest.is_empty();
    let optional = |text: &str| (!text.is_empty()).then(|| text.to_string());
    match &spec.args {
        // Trailing words are a mistake, not ignored: `QUIT later` must not
        // half-obey (quit, dropping "later").
        A::None(command) if args.is_empty() => command.clone(),
        A::OptionalRoom(command) if args.is_empty() => command.clone(),
        A::OptionalRoom(command) if one_word && first.starts_with('#') => {
            Command::In(first.to_string(), Box::new(command.clone()))
        }
        A::Word(make) if one_word => make(first.to_string()),
        A::Name(make) if one_word => make(first.to_string(), dialect),
        A::Name(_) if !first.is_empty() => {
            let words: Vec<&str> = args.split_whitespace().collect();
            Command::Invalid(Mistake::NameWithSpaces(words.join("_")))
        }
        A::Text(make) if !args.is_empty() => make(args.to_string()),
        A::Message(_) if args.is_empty() => Command::Invalid(Mistake::EmptyMessage),
        A::Message(make) => make(args.to_string()),
        A::Secret(make) if !exact.is_empty() => make(exact.to_string()),
        A::UserAndText(make) if !first.is_empty() && !rest.is_empty() => {
            make(first.to_string(), rest.to_string())
        }
        A::NameAndSecret(make) if !first.is_empty() && !exact_rest(exact).is_empty() => {
            make(first.to_string(), exact_rest(exact).to_string())
        }
        A::UserAndReason(make) if !first.is_empty() => make(first.to_string(), optional(rest)),
        A::OptionalText(make) => make(optional(args)),
        A::Page(make) if args.is_empty() => make(1),
        A::Page(make) => match first.parse::<usize>() {
            Ok(page @ 1..) if rest.is_empty() => make(page),
            _ => Command::Invalid(Mistake::Usage(&spec.usage)),
        },
        // Missing words, or too many: the row's usage says how to write it.
        _ => Command::Invalid(Mistake::Usage(&spec.usage)),
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
    fn every_row_makes_a_command_and_each_name_belongs_to_one_command() {
        for spec in COMMANDS {
            let made = spec.example();
            assert!(!matches!(made, Command::Invalid(_)), "{spec:?}: {made:?}");
        }
        for (i, a) in COMMANDS.iter().enumerate() {
            for b in &COMMANDS[i + 1..] {
                let shared = [Dialect::Protocol, Dialect::Chat, Dialect::Irc]
                    .iter()
                    .any(|&d| a.names(d).iter().any(|n| b.names(d).contains(n)));
                let same = same_command(&a.example(), &b.example());
                assert!(!shared || same, "{a:?} and {b:?} share a name");
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
