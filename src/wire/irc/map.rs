//! IRC ↔ the chat: an IRC [`Message`] becomes one of the chat's
//! [`Command`]s, and each chat event becomes the IRC lines a client
//! expects ([`event_lines`], in [`super::outbound`]), so irssi users and
//! `nc` users share the same rooms.
//!
//! A verb in the command table's `irc` column needs no code here: its row
//! says which command it is, and [`from_row`] reads its arguments the IRC
//! way for the row's shape. [`inbound`] has arms of its own only for verbs
//! whose IRC arguments mean more than that (`JOIN 0`, `PRIVMSG` to a room or
//! a person, `NAMES` of another room) and for what only IRC has (`WHOIS`,
//! `MODE`, `PING`). Saying something (`PRIVMSG`, `NOTICE`, CTCP) is in
//! [`say`](mod@say), and what the server answers by itself (`MODE`, `LUSERS`,
//! `USERHOST`, `HELP`) in [`answers`].
//!
//! IRC names people by `nick!user@host` ([`super::user_prefix`]) and the
//! server by its name; numerics go to the recipient's nick (see
//! [`super::numeric`]). Text from other dialects can be longer than an IRC
//! line, so messages go through [`super::text_lines`], which splits them.

#[path = "map/answers.rs"]
mod answers;
#[path = "map/say.rs"]
mod say;

pub use super::outbound::event_lines;
use answers::{help, mode};
pub use answers::{lusers_lines, userhost_line};
pub use say::ctcp_verb;
use say::say;

use super::numeric::{self, Numeric};
use super::{line, numeric_line, Message};
use crate::wire::command::{self, Args, Command, CommandSpec, Dialect as Mode};
use std::sync::OnceLock;

/// What this server tells IRC clients about itself.
#[derive(Debug, Clone)]
pub struct ServerInfo {
    /// The server's name, the prefix of its own lines (`chatroom.local`).
    pub name: String,
    pub version: String,
    /// When the server started, as text for `003`.
    pub created: String,
    pub motd: String,
    pub limits: numeric::Limits,
    /// The welcome burst for each length of nick, rendered on first use
    /// (see [`super::outbound::welcome_text`]).
    pub welcomes: Vec<OnceLock<String>>,
}

/// The server's name on IRC, the prefix of its own lines, unless the
/// `irc_server_name` setting gives another (every user shows one fixed host,
/// [`super::USER_HOST`]).
pub const SERVER_NAME: &str = "chatroom.local";

impl ServerInfo {
    /// This server's description, with its name (`irc_server_name`),
    /// `motd`, start time and the most rooms one person may be in.
    pub fn new(name: &str, motd: &str, created: &str, chan_limit: usize) -> ServerInfo {
        ServerInfo {
            name: name.to_string(),
            version: format!("chatroom-{}", env!("CARGO_PKG_VERSION")),
            created: created.to_string(),
            motd: motd.to_string(),
            limits: numeric::Limits {
                network: "chatroom".into(),
                nick_len: crate::text::names::MAX_NAME_CHARS,
                channel_len: crate::text::names::MAX_NAME_CHARS + 1,
                topic_len: TOPIC_LEN,
                chan_limit,
            },
            welcomes: welcome_slots(),
        }
    }
}

/// One empty slot for each length a nick may have, in bytes.
pub fn welcome_slots() -> Vec<OnceLock<String>> {
    (0..=crate::text::names::MAX_NAME_BYTES)
        .map(|_| OnceLock::new())
        .collect()
}

/// The longest topic we promise in `005` (the chat cleans but does not cut
/// topics; a longer one is split like any text).
pub const TOPIC_LEN: usize = 300;

impl<'a> Ctx<'a> {
    /// A client that has no nick yet and asked nothing.
    pub fn anonymous(info: &'a ServerInfo) -> Ctx<'a> {
        Ctx {
            info,
            nick: "*",
            room: None,
            rooms: &[],
            operator: false,
            answering: "",
            target: "",
        }
    }
}

/// The connection a line is for.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub info: &'a ServerInfo,
    /// This client's nick.
    pub nick: &'a str,
    /// The room a reply is about: the one the request named, else the
    /// client's current room, if the caller knows it.
    pub room: Option<&'a str>,
    /// Every room this client is in, to check a request against; empty
    /// where no request is being mapped (rendering an event).
    pub rooms: &'a [String],
    /// Whether this client is an operator (the teacher): its user mode is
    /// `+o`.
    pub operator: bool,
    /// The IRC verb of the request being answered (`WHO`, `NAMES`, …), so
    /// an answer shared by several requests takes the form that was asked
    /// for; empty for events nobody asked for.
    pub answering: &'a str,
    /// That request's target (a nick or a room), for error numerics that
    /// name it.
    pub target: &'a str,
}

/// What an IRC message asks of the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A chat command, acted on by the shared state like any other.
    Chat(Command),
    /// Answered at once, without the shared state (PONG, MODE, errors).
    Answer(Vec<String>),
    /// Nothing to do (a PONG, a CTCP reply to the server).
    Nothing,
    /// `USERHOST nick…` (at most 5): who each is and whether away, which
    /// only the state knows (see `State::irc_userhost`).
    Userhost(Vec<String>),
    /// `LUSERS`: how many people, operators, nameless connections and
    /// rooms, which only the state knows (see `State::irc_lusers`).
    Lusers,
    /// One request for several channels (`JOIN #a,#b`, `PART #a,#b`): each
    /// in turn, as if sent one by one.
    Several(Vec<Inbound>),
    /// A question about a room the client is not in (`NAMES #lab`), which
    /// only the state can answer.
    About(RoomQuery, String),
    /// A CTCP query or reply (`\x01VERSION\x01`) to a user: relayed as it
    /// is to an IRC user, answered by the server for the others (see
    /// `State::irc_ctcp`).
    Ctcp {
        to: String,
        /// Sent as a `NOTICE` (a CTCP reply), not a `PRIVMSG` (a query).
        notice: bool,
        body: String,
    },
}

/// What [`Inbound::About`] asks about a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomQuery {
    /// `NAMES #room`: `353` and `366`.
    Names,
    /// `WHO #room`: `352` and `315`.
    Who,
    /// `TOPIC #room`: `332`/`333` or `331`, `403` if there is no such room.
    Topic,
    /// `LIST #room`: that room's `322` (none if it does not exist), `323`.
    List,
}

/// Maps one message from a registered client: the arms below for verbs
/// whose arguments need more than their table row, the table for the rest.
pub fn inbound(message: &Message, ctx: &Ctx) -> Inbound {
    let p = |i: usize| message.param(i).filter(|p| !p.is_empty());
    let chat = Inbound::Chat;
    let needs_params = || answer(ctx, &numeric::ERR_NEEDMOREPARAMS, &[&message.verb]);
    match message.verb.as_str() {
        // ---- Verbs of the table whose IRC arguments say more -----------
        // `JOIN #a,#b key1,key2`: each channel in turn (the chat's rooms
        // have no keys, so keys are accepted and ignored, as servers do for
        // a channel without `+k`); `JOIN 0` is IRC for "leave all channels".
        "JOIN" => match p(0) {
            Some("0") => several(
                (ctx.rooms.iter())
                    .map(|room| chat(in_room_command(room, Command::Leave)))
                    .collect(),
            ),
            Some(rooms) => several(
                (rooms.split(',').filter(|room| !room.is_empty()))
                    .map(|room| match room.starts_with('#') {
                        // CHANTYPES=#: the chat would add the `#`, IRC says
                        // no such channel.
                        false => answer(ctx, &numeric::ERR_NOSUCHCHANNEL, &[room]),
                        true => chat(Command::Join(room.to_string())),
                    })
                    .collect(),
            ),
            None => needs_params(),
        },
        // `PART #a,#b [:reason]`: each channel in turn; the state answers
        // 442 or 403 for one you are not in.
        "PART" => match p(0) {
            Some(rooms) => several(
                (rooms.split(',').filter(|room| !room.is_empty()))
                    .map(|room| chat(in_room_command(room, Command::Leave)))
                    .collect(),
            ),
            None => needs_params(),
        },
        "PRIVMSG" | "NOTICE" => match (p(0), p(1)) {
            (None, _) => answer_with(
                ctx,
                &numeric::ERR_NORECIPIENT,
                &[],
                &format!("No recipient given ({})", message.verb),
            ),
            (Some(_), None) => answer(ctx, &numeric::ERR_NOTEXTTOSEND, &[]),
            (Some(to), Some(text)) => say(to, text, message.verb == "NOTICE", ctx),
        },
        // A channel you are in is the chat's `USERS` there, never paged
        // (see `State::list_users`); another is asked of the state, since
        // it may not exist; no channel: your current room (or everyone).
        "NAMES" | "WHO" => match p(0) {
            Some(room) if room.starts_with('#') && in_room(ctx, room) => {
                chat(in_room_command(&first(room), Command::Users(1)))
            }
            // "There is no error reply for bad channel names": the end of
            // an empty list, naming what was asked.
            Some(other) if !other.starts_with('#') && message.verb == "NAMES" => {
                let end = numeric::RPL_ENDOFNAMES;
                answer_with(ctx, &end, &[&first(other)], end.text)
            }
            Some(room) if room.starts_with('#') => {
                let query = match message.verb.as_str() {
                    "NAMES" => RoomQuery::Names,
                    _ => RoomQuery::Who,
                };
                Inbound::About(query, first(room))
            }
            _ => chat(Command::Users(1)),
        },
        "TOPIC" => match p(0) {
            // Anyone may read another room's topic; setting it needs you in it.
            Some(room) if !in_room(ctx, room) && message.param(1).is_none() => {
                Inbound::About(RoomQuery::Topic, room.to_string())
            }
            Some(room) if !in_room(ctx, room) => answer(ctx, &numeric::ERR_NOTONCHANNEL, &[room]),
            Some(room) => chat(in_room_command(
                room,
                Command::Topic(message.param(1).map(str::to_string)),
            )),
            None => needs_params(),
        },
        // `KICK #room nick [:reason]`: out of that room (see `State::kick`);
        // `KICK nick [:reason]` (typed as `/quote KICK`): off the server,
        // as the other dialects' `KICK`.
        "KICK" => match (p(0), p(1)) {
            (Some(user), reason) if !user.starts_with('#') => chat(Command::Kick {
                user: user.to_string(),
                reason: reason.map(str::to_string),
            }),
            (Some(room), Some(user)) => chat(in_room_command(
                &first(room),
                Command::Kick {
                    user: first(user),
                    reason: p(2).map(str::to_string),
                },
            )),
            _ => needs_params(),
        },
        // `LIST #a`: that channel only (`LIST` and `LIST 2` are the table's
        // pages of every room).
        "LIST" => match p(0) {
            Some(room) if room.starts_with('#') => Inbound::About(RoomQuery::List, first(room)),
            _ => match command::lookup(Mode::Irc, "LIST") {
                Some(spec) => from_row(spec, message, ctx),
                None => answer(ctx, &numeric::ERR_UNKNOWNCOMMAND, &["LIST"]),
            },
        },
        // `PASS` and `USER` belong to the handshake (see `super::register`);
        // once registered, IRC says 462.
        "PASS" | "USER" => answer(ctx, &numeric::ERR_ALREADYREGISTERED, &[]),
        // ---- What only IRC has -----------------------------------------
        "WHOIS" => match message.params.last().filter(|p| !p.is_empty()) {
            Some(nick) => chat(Command::Whois(nick.clone())),
            None => answer(ctx, &numeric::ERR_NONICKNAMEGIVEN, &[]),
        },
        "AWAY" => chat(Command::Away(p(0).map(str::to_string))),
        "MODE" => mode(message, ctx),
        "PING" => match message.param(0) {
            Some(token) => {
                Inbound::Answer(vec![line(&ctx.info.name, "PONG", &[&ctx.info.name, token])])
            }
            None => needs_params(),
        },
        "PONG" => Inbound::Nothing,
        "CAP" => Inbound::Answer(super::register::cap_replies(
            &ctx.info.name,
            ctx.nick,
            message,
            false, // SASL is for registering only
        )),
        // IRC's own help numerics (704-706, 524), from the command table.
        "HELP" | "HELPOP" => Inbound::Answer(help(p(0), ctx)),
        "LUSERS" => Inbound::Lusers,
        "USERHOST" if message.params.is_empty() => needs_params(),
        "USERHOST" => Inbound::Userhost(message.params.iter().take(5).cloned().collect()),
        "INFO" => Inbound::Answer(vec![
            reply(ctx, &numeric::RPL_INFO, &[], &ctx.info.version),
            reply(
                ctx,
                &numeric::RPL_INFO,
                &[],
                "chatroom: a Rust teaching chat server (docs/irc.md)",
            ),
            reply(
                ctx,
                &numeric::RPL_ENDOFINFO,
                &[],
                numeric::RPL_ENDOFINFO.text,
            ),
        ]),
        "VERSION" => Inbound::Answer(vec![numeric_line(
            &ctx.info.name,
            "351",
            ctx.nick,
            &[
                &ctx.info.version,
                &ctx.info.name,
                "no channel modes, no CTCP relay to non-IRC users",
            ],
        )]),
        // ---- Every other verb: the table's `irc` column ----------------
        verb => match command::lookup(Mode::Irc, verb) {
            Some(spec) => from_row(spec, message, ctx),
            None => answer(ctx, &numeric::ERR_UNKNOWNCOMMAND, &[verb]),
        },
    }
}

/// A verb of the table's `irc` column with no arm in [`inbound`]: the
/// command its row makes, from IRC's usual layout for the row's shape, or
/// `461` (`431` for a missing nick) when a needed parameter is missing.
fn from_row(spec: &CommandSpec, message: &Message, ctx: &Ctx) -> Inbound {
    let p = |i: usize| Some(message.param(i)?.to_string()).filter(|p| !p.is_empty());
    let command = match &spec.args {
        // Extra parameters are ignored: `QUIT :reason` (the server reads
        // the reason), `STATS u` (whatever the query letter, the answer is
        // the chat's own figures, ended by `219`: see `outbound`).
        Args::None(command) | Args::OptionalRoom(command) => Some(command.clone()),
        // `MUTE bob`: chatroom's own operator commands are typed as
        // `/quote MUTE bob`.
        Args::Word(make) => p(0).map(make),
        Args::Name(make) => match p(0) {
            Some(name) => Some(make(name, Mode::Irc)),
            None => return answer(ctx, &numeric::ERR_NONICKNAMEGIVEN, &[]),
        },
        // `ANNOUNCE :break time`, or the words without the colon: every
        // parameter, joined.
        Args::Text(make) | Args::Message(make) => {
            (!message.params.is_empty()).then(|| make(message.params.join(" ")))
        }
        // IRC's OPER is `OPER <name> <password>`; the chat has one operator
        // password, so the name is ignored.
        Args::Secret(make) => message
            .params
            .last()
            .filter(|p| !p.is_empty())
            .map(|p| make(p.clone())),
        // `LIST 2` asks for page 2; any other argument (a channel mask) is
        // ignored: page 1.
        Args::Page(make) => Some(make(p(0).and_then(|a| a.parse().ok()).unwrap_or(1).max(1))),
        // `KICK #room nick [:reason]`: the room is the kicker's own.
        Args::UserAndReason(make) => match (p(0), p(1)) {
            (Some(_), Some(user)) => Some(make(user, p(2))),
            _ => None,
        },
        Args::UserAndText(make) | Args::NameAndSecret(make) => {
            p(0).zip(p(1)).map(|(user, text)| make(user, text))
        }
        Args::OptionalText(make) => Some(make(p(0))),
    };
    match command {
        Some(command) => Inbound::Chat(command),
        None => answer(ctx, &numeric::ERR_NEEDMOREPARAMS, &[&message.verb]),
    }
}

fn first(list: &str) -> String {
    list.split(',').next().unwrap_or(list).to_string()
}

/// Is `room` one of this client's rooms? Unknown (no rooms in `ctx`)
/// counts as no.
fn in_room(ctx: &Ctx, room: &str) -> bool {
    let room = first(room);
    ctx.rooms
        .iter()
        .any(|mine| mine.eq_ignore_ascii_case(&room))
}

/// The parts of a request for several channels; one part is itself.
fn several(mut parts: Vec<Inbound>) -> Inbound {
    match parts.len() {
        1 => parts.remove(0),
        _ => Inbound::Several(parts),
    }
}

/// `command`, acted on in `room` (see `Command::In`).
fn in_room_command(room: &str, command: Command) -> Command {
    Command::In(room.to_string(), Box::new(command))
}

fn answer(ctx: &Ctx, numeric: &Numeric, params: &[&str]) -> Inbound {
    answer_with(ctx, numeric, params, numeric.text)
}

fn answer_with(ctx: &Ctx, numeric: &Numeric, params: &[&str], text: &str) -> Inbound {
    Inbound::Answer(vec![reply(ctx, numeric, params, text)])
}

/// A numeric reply to the client in `ctx`, `text` last unless empty.
pub(super) fn reply(ctx: &Ctx, numeric: &Numeric, params: &[&str], text: &str) -> String {
    let mut all = params.to_vec();
    if !text.is_empty() {
        all.push(text);
    }
    numeric_line(&ctx.info.name, numeric.code, ctx.nick, &all)
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;
    use crate::wire::event::Recalled;
    use crate::wire::event::{Event, Refusal};

    fn info() -> ServerInfo {
        ServerInfo {
            name: "srv".into(),
            version: "chatroom-1".into(),
            created: "today".into(),
            motd: "Be kind.\nNo spam.".into(),
            limits: numeric::Limits {
                network: "chatroom".into(),
                nick_len: 20,
                channel_len: 21,
                topic_len: 300,
                chan_limit: 10,
            },
            welcomes: welcome_slots(),
        }
    }

    /// The welcome from its template (see `welcome_text`) is the one
    /// rendered line by line for that nick, whatever its length in bytes,
    /// with a MOTD long enough to be cut where the nick's length decides.
    #[test]
    fn the_welcome_from_its_template_is_the_welcome_rendered_for_the_nick() {
        use super::super::outbound::{welcome_lines, welcome_text};
        let mut info = info();
        info.motd = format!("Be kind.\n{}", "many words ".repeat(60));
        let nicks = [
            "a",
            "bob",
            "zoë",
            "Ωmega",
            "abcdefghijklmnopqrst",
            &"é".repeat(20),
        ];
        for nick in nicks {
            let ctx = Ctx {
                nick,
                ..Ctx::anonymous(&info)
            };
            let expected = welcome_lines(&ctx).concat();
            assert!(expected.contains(&format!(
                " 001 {nick} :Welcome to the chatroom Network, {nick}\r\n"
            )));
            // The first renders the template, the second only uses it.
            assert_eq!(welcome_text(&ctx), expected, "{nick}");
            assert_eq!(welcome_text(&ctx), expected, "{nick}");
        }
        assert!(info.welcomes[3]
            .get()
            .is_some_and(|t| t.contains(" 001 \0\0\0 ")));
    }

    /// A line that fitted in 512 bytes is relayed as one line, cut to fit
    /// our longer prefix, never split, and never inside a character.
    #[test]
    fn a_relayed_line_is_cut_to_one_line() {
        let long = format!("{}😃", "a".repeat(490));
        let Inbound::Chat(Command::Private { to, text }) = inb(&format!("PRIVMSG bob :{long}"))
        else {
            panic!("not a private message");
        };
        let relayed = super::super::text_lines(
            &super::super::user_prefix("alice"),
            "PRIVMSG",
            &to,
            &text,
            false,
        );
        assert_eq!(relayed.len(), 1, "{relayed:?}");
        assert_eq!(relayed[0].len(), 512);
        let Inbound::Chat(Command::In(_, said)) =
            inb(&format!("PRIVMSG #general :{}", &long[10..]))
        else {
            panic!("not a room message");
        };
        let Command::Say(text) = *said else {
            panic!("not said");
        };
        assert!(text.len() < 500 && text.chars().all(|c| c == 'a'), "{text}");
    }

    /// The rooms `alice` is in (a test's one leak).
    fn rooms() -> &'static [String] {
        Box::leak(Box::new(["#general".to_string()]))
    }

    fn ctx<'a>(info: &'a ServerInfo, answering: &'a str, target: &'a str) -> Ctx<'a> {
        Ctx {
            info,
            nick: "alice",
            room: Some("#general"),
            rooms: rooms(),
            operator: false,
            answering,
            target,
        }
    }

    fn inb(text: &str) -> Inbound {
        let info = info();
        inbound(&parse(text).unwrap(), &ctx(&info, "", ""))
    }

    fn chat(command: Command) -> Inbound {
        Inbound::Chat(command)
    }

    fn answer1(text: &str) -> Inbound {
        Inbound::Answer(vec![text.to_string()])
    }

    #[test]
    fn irc_commands_become_chat_commands() {
        let general = |command| chat(in_room_command("#general", command));
        assert_eq!(
            inb("JOIN #lab,#x key"),
            Inbound::Several(vec![
                chat(Command::Join("#lab".into())),
                chat(Command::Join("#x".into()))
            ])
        );
        assert_eq!(inb("JOIN #lab key"), chat(Command::Join("#lab".into())));
        assert_eq!(inb("JOIN 0"), general(Command::Leave));
        assert_eq!(
            inb("PART #General :bye"),
            chat(in_room_command("#General", Command::Leave))
        );
        assert_eq!(
            inb("PRIVMSG #general :hi all"),
            general(Command::Say("hi all".into()))
        );
        assert_eq!(
            inb("NOTICE #general :hi"),
            general(Command::Say("hi".into()))
        );
        assert_eq!(
            inb("PRIVMSG #general :\x01ACTION waves\x01"),
            general(Command::Action("waves".into()))
        );
        assert_eq!(
            inb("PRIVMSG bob :psst"),
            chat(Command::Private {
                to: "bob".into(),
                text: "psst".into()
            })
        );
        assert_eq!(
            inb("PRIVMSG bob :\x01ACTION waves\x01"),
            chat(Command::Private {
                to: "bob".into(),
                text: "/me waves".into()
            })
        );
        assert_eq!(
            inb("PRIVMSG bob :\x01VERSION\x01"),
            Inbound::Ctcp {
                to: "bob".into(),
                notice: false,
                body: "VERSION".into()
            }
        );
        assert_eq!(
            inb("NOTICE alice :\x01VERSION irssi 1.4\x01"),
            Inbound::Ctcp {
                to: "alice".into(),
                notice: true,
                body: "VERSION irssi 1.4".into()
            }
        );
        assert_eq!(inb("NOTICE srv :\x01VERSION x\x01"), Inbound::Nothing);
        assert_eq!(
            inb("PRIVMSG bob :\x01ACTION \x01"),
            answer1(":srv 412 alice :No text to send\r\n")
        );
        assert_eq!(inb("NAMES #general"), general(Command::Users(1)));
        assert_eq!(inb("NAMES"), chat(Command::Users(1)));
        assert_eq!(inb("WHO #general"), general(Command::Users(1)));
        assert_eq!(
            inb("NAMES #Lab,#x"),
            Inbound::About(RoomQuery::Names, "#Lab".into())
        );
        assert_eq!(
            inb("WHO #lab"),
            Inbound::About(RoomQuery::Who, "#lab".into())
        );
        assert_eq!(
            inb("TOPIC #lab"),
            Inbound::About(RoomQuery::Topic, "#lab".into())
        );
        assert_eq!(inb("LIST"), chat(Command::Rooms(1)));
        assert_eq!(inb("LIST 2"), chat(Command::Rooms(2)));
        assert_eq!(
            inb("LIST #general,#x"),
            Inbound::About(RoomQuery::List, "#general".into())
        );
        assert_eq!(inb("TOPIC #general"), general(Command::Topic(None)));
        assert_eq!(
            inb("TOPIC #general :Week 3"),
            general(Command::Topic(Some("Week 3".into())))
        );
        assert_eq!(inb("QUIT :off to lunch"), chat(Command::Quit));
        assert_eq!(
            inb("OPER teacher s3cret"),
            chat(Command::Oper("s3cret".into()))
        );
        assert_eq!(
            inb("KICK #general bob :spam"),
            general(Command::Kick {
                user: "bob".into(),
                reason: Some("spam".into())
            })
        );
        assert_eq!(inb("MUTE bob"), chat(Command::Mute("bob".into())));
        assert_eq!(inb("unmute bob"), chat(Command::Unmute("bob".into())));
        assert_eq!(
            inb("ANNOUNCE :break time"),
            chat(Command::Announce("break time".into()))
        );
        assert_eq!(inb("WHOIS bob"), chat(Command::Whois("bob".into())));
        assert_eq!(
            inb("AWAY :lunch"),
            chat(Command::Away(Some("lunch".into())))
        );
        assert_eq!(inb("PONG srv"), Inbound::Nothing);
    }

    /// The table's `irc` column is true: each of its verbs reaches the chat
    /// as its row's command, whether [`inbound`] has an arm for it or reads
    /// it by the row's shape.
    #[test]
    fn every_irc_verb_in_the_table_becomes_its_rows_command() {
        use crate::wire::command::{same_command, COMMANDS};
        for spec in COMMANDS {
            for verb in spec.irc {
                // A PRIVMSG to a room is a room message (`Say`); to a
                // person it is this row's private message.
                let line = match spec.args {
                    Args::UserAndText(_) => format!("{verb} bob :hi there"),
                    // `LIST #general` asks about one channel (see `inbound`).
                    Args::Page(_) => verb.to_string(),
                    _ => format!("{verb} #general bob :hi there"),
                };
                let mapped = inb(&line);
                if *verb == "PASS" {
                    // The handshake's; see `register`.
                    let refused = ":srv 462 alice :You may not reregister\r\n";
                    assert_eq!(mapped, answer1(refused));
                    continue;
                }
                let Inbound::Chat(command) = mapped else {
                    panic!("{line} is not a chat command: {mapped:?}");
                };
                // A verb that names its channel acts there.
                let command = match command {
                    Command::In(_, inner) => *inner,
                    command => command,
                };
                assert!(
                    same_command(&command, &spec.example()),
                    "{line}: {command:?}"
                );
            }
        }
    }

    /// IRC's layout for each shape, as [`from_row`] reads it: parameters a
    /// shape has no use for are ignored, a missing one is `461`.
    #[test]
    fn table_verbs_read_by_the_rows_shape() {
        assert_eq!(inb("LIST 0"), chat(Command::Rooms(1)));
        assert_eq!(inb("STATS u"), chat(Command::Stats));
        assert_eq!(
            inb("HELP me"),
            answer1(":srv 524 alice me :No help available on this topic\r\n")
        );
        let Inbound::Answer(help) = inb("HELP part") else {
            panic!("HELP part is answered at once");
        };
        assert_eq!(
            help,
            [
                ":srv 704 alice part :chatroom help\r\n",
                ":srv 705 alice part :/part [#room]\r\n",
                ":srv 705 alice part :leave your current room (or the one named)\r\n",
                ":srv 706 alice part :End of /HELP\r\n",
            ]
        );
        assert_eq!(
            inb("NICK bob"),
            chat(Command::Register {
                name: "bob".into(),
                dialect: Mode::Irc
            })
        );
        assert_eq!(
            inb("NICK"),
            answer1(":srv 431 alice :No nickname given\r\n")
        );
        assert_eq!(
            inb("ANNOUNCE break time"),
            chat(Command::Announce("break time".into()))
        );
        assert_eq!(
            inb("KICK #general bob"),
            chat(in_room_command(
                "#general",
                Command::Kick {
                    user: "bob".into(),
                    reason: None
                }
            ))
        );
        for line in ["MUTE", "ANNOUNCE", "OPER", "KICK #general"] {
            let verb = line.split(' ').next().unwrap_or(line);
            let missing = format!(":srv 461 alice {verb} :Not enough parameters\r\n");
            assert_eq!(inb(line), answer1(&missing), "{line}");
        }
    }

    #[test]
    fn answered_at_once() {
        assert_eq!(inb("PING :123"), answer1(":srv PONG srv 123\r\n"));
        assert_eq!(
            inb("MODE #general"),
            answer1(":srv 324 alice #general +nt\r\n")
        );
        assert_eq!(inb("MODE alice +i"), Inbound::Nothing);
        assert_eq!(inb("MODE alice"), answer1(":srv 221 alice +\r\n"));
        assert_eq!(
            inb("MODE #general +o bob"),
            answer1(":srv 482 alice #general :This server's channel modes are fixed (+nt); operators are made with /oper\r\n")
        );
        assert_eq!(
            inb("MODE #general +b x"),
            answer1(":srv 482 alice #general :No +b here: this server bans with a kick for a time, /kick <name> 10m <reason> (30s, 2h, 1d also work)\r\n")
        );
        assert_eq!(
            inb("FOO"),
            answer1(":srv 421 alice FOO :Unknown command\r\n")
        );
        assert_eq!(
            inb("PRIVMSG"),
            answer1(":srv 411 alice :No recipient given (PRIVMSG)\r\n")
        );
        assert_eq!(
            inb("PRIVMSG bob"),
            answer1(":srv 412 alice :No text to send\r\n")
        );
        assert_eq!(
            inb("PRIVMSG #lab :hi"),
            answer1(":srv 404 alice #lab :Cannot send to channel\r\n")
        );
        assert_eq!(
            inb("JOIN"),
            answer1(":srv 461 alice JOIN :Not enough parameters\r\n")
        );
        assert_eq!(
            inb("USER a 0 * :b"),
            answer1(":srv 462 alice :You may not reregister\r\n")
        );
        assert_eq!(inb("CAP LS 302"), answer1(":srv CAP alice LS :\r\n"));
        assert_eq!(
            inb("TOPIC #lab :mine now"),
            answer1(":srv 442 alice #lab :You're not on that channel\r\n")
        );
        assert_eq!(
            inb("PRIVMSG SRV :\x01PING 42\x01"),
            answer1(":srv NOTICE alice :\x01PING 42\x01\r\n")
        );
        let Inbound::Answer(version) = inb("PRIVMSG srv :\x01VERSION\x01") else {
            panic!("no answer")
        };
        let expected = format!(
            ":srv NOTICE alice :\x01VERSION chatroom {}\x01\r\n",
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(version, [expected]);
        let Inbound::Answer(refused) = inb("PRIVMSG #general :\x01VERSION\x01") else {
            panic!("no answer")
        };
        assert!(refused[0].starts_with(":srv NOTICE alice :CTCP to a channel"));
        assert!(!refused[0].contains('\x01'));
    }

    fn out(event: Event, answering: &str, target: &str) -> Vec<String> {
        let info = info();
        event_lines(&event, &ctx(&info, answering, target))
    }

    #[test]
    fn events_become_irc_lines() {
        assert_eq!(
            out(
                Event::RoomMessage {
                    room: "#general".into(),
                    from: "bob".into(),
                    text: "hello".into(),
                    notice: false,
                },
                "",
                ""
            ),
            [":bob!bob@chatroom PRIVMSG #general :hello\r\n"]
        );
        assert_eq!(
            out(
                Event::Action {
                    room: "#general".into(),
                    user: "bob".into(),
                    text: "waves".into()
                },
                "",
                ""
            ),
            [":bob!bob@chatroom PRIVMSG #general :\x01ACTION waves\x01\r\n"]
        );
        assert_eq!(
            out(
                Event::Joined {
                    room: "#general".into(),
                    members: vec!["bob".into()]
                },
                "JOIN",
                "#general"
            ),
            [
                ":alice!alice@chatroom JOIN #general\r\n",
                ":srv 353 alice = #general :bob alice\r\n",
                ":srv 366 alice #general :End of /NAMES list\r\n"
            ]
        );
        assert_eq!(
            out(
                Event::UserList {
                    room: Some("#general".into()),
                    users: vec!["bob".into()],
                    more: None,
                },
                "WHO",
                ""
            ),
            [
                ":srv 352 alice #general bob chatroom srv bob H :0 bob\r\n",
                ":srv 315 alice #general :End of WHO list\r\n"
            ]
        );
        assert_eq!(
            out(
                Event::Kicked {
                    room: "#general".into(),
                    user: "bob".into(),
                    by: "teach".into(),
                    reason: Some("spam".into())
                },
                "",
                ""
            ),
            [":teach!teach@chatroom KICK #general bob spam\r\n"]
        );
        assert_eq!(
            out(
                Event::Refused(Refusal::UserNotFound("carol".into())),
                "PRIVMSG",
                "carol"
            ),
            [":srv 401 alice carol :No such nick/channel\r\n"]
        );
        assert_eq!(
            out(Event::Refused(Refusal::NotOperator), "KICK", "bob"),
            [":srv 482 alice #general :You're not channel operator\r\n"]
        );
        assert_eq!(
            out(Event::Refused(Refusal::SlowDown(5)), "", ""),
            [":srv NOTICE alice :Slow down (max 5 lines/s)\r\n"]
        );
        assert_eq!(
            out(Event::Refused(Refusal::Muted), "PRIVMSG", "#general"),
            [":srv 404 alice #general :Cannot send to channel\r\n"]
        );
    }

    #[test]
    fn history_is_fenced_notices_with_the_time() {
        let record = Recalled {
            time_ms: 36_120_000, // 10:02 on 1 January 1970
            sender: "bob".into(),
            text: "earlier".into(),
            action: false,
        };
        let lines = out(
            Event::Recent {
                room: "#general".into(),
                records: vec![record],
                timed: true,
            },
            "",
            "",
        );
        assert_eq!(
            lines,
            [
                ":srv NOTICE #general :*** Recent messages:\r\n",
                ":srv NOTICE #general :[10:02] <bob> earlier\r\n",
                ":srv NOTICE #general :*** End of recent messages\r\n"
            ]
        );
    }

    #[test]
    fn the_welcome_burst() {
        // One text (see `welcome_text`), its lines in order.
        let text = out(
            Event::Welcome {
                name: "alice".into(),
            },
            "",
            "",
        )
        .concat();
        let lines: Vec<&str> = text.split_inclusive("\r\n").collect();
        assert_eq!(
            lines[0],
            ":srv 001 alice :Welcome to the chatroom Network, alice\r\n"
        );
        assert_eq!(lines[3], ":srv 004 alice srv chatroom-1 o nt\r\n");
        assert!(lines[4].starts_with(":srv 005 alice CASEMAPPING=ascii "));
        assert_eq!(lines[5], ":srv 375 alice :- srv Message of the day - \r\n");
        assert_eq!(lines[6], ":srv 372 alice :- Be kind.\r\n");
        assert_eq!(
            lines.last().copied(),
            Some(":srv 376 alice :End of /MOTD command.\r\n")
        );
    }
}
