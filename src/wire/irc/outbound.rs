//! The chat's events as IRC lines: the welcome burst, one or more lines per
//! [`Event`], and each refusal as its standard numeric.
//!
//! Every line is addressed to the client in the [`Ctx`] (a numeric starts
//! with its nick) and stays within 512 bytes: text goes through
//! [`super::text_lines`], which splits it at character boundaries, and
//! single parameters such as a topic are cut to [`TOPIC_LEN`]. The other
//! direction, IRC messages to chat commands, is [`super::map`].

use super::map::{reply, Ctx, TOPIC_LEN};
use super::numeric::{self, Numeric};
use super::{line, text_lines, user_prefix};
use crate::wire::command::Dialect as Mode;
use crate::wire::event::{AccountRefusal, Event, Refusal};

/// The burst after registration as one text. It is the same for everyone
/// but the nick, and only the nick's length changes where the `005` tokens
/// and the MOTD are cut into lines; so it is rendered once for each
/// length, with NUL bytes (never part of a line) where the nick goes, and
/// each registration puts its nick in their place: a class arriving, or a
/// script reconnecting, costs one copy each instead of a dozen lines built.
/// (The server's name is letters, digits, dots and dashes, a rule of the
/// settings, and the MOTD is cleaned of control characters, so a NUL is
/// only ever where the nick goes.)
pub fn welcome_text(ctx: &Ctx) -> String {
    let nick = ctx.nick;
    match ctx.info.welcomes.get(nick.len()) {
        Some(slot) if !nick.is_empty() => {
            let blank = "\0".repeat(nick.len());
            let template = slot.get_or_init(|| {
                welcome_lines(&Ctx {
                    nick: &blank,
                    ..*ctx
                })
                .concat()
            });
            template.replace(&blank, nick)
        }
        _ => welcome_lines(ctx).concat(),
    }
}

/// The burst after registration: `001`–`005` and the MOTD.
pub fn welcome_lines(ctx: &Ctx) -> Vec<String> {
    let info = ctx.info;
    let nick = ctx.nick;
    let welcome = format!("Welcome to the {} Network, {nick}", info.limits.network);
    let host = format!(
        "Your host is {}, running version {}",
        info.name, info.version
    );
    let created = format!("This server was created {}", info.created);
    let mut out = vec![
        reply(ctx, &numeric::RPL_WELCOME, &[], &welcome),
        reply(ctx, &numeric::RPL_YOURHOST, &[], &host),
        reply(ctx, &numeric::RPL_CREATED, &[], &created),
        // No user modes, channel modes n and t, as MODE answers.
        reply(
            ctx,
            &numeric::RPL_MYINFO,
            &[&info.name, &info.version, "o", "nt"],
            "",
        ),
    ];
    let tokens = numeric::isupport_tokens(&info.limits);
    out.extend(numeric::isupport_lines(&info.name, nick, &tokens));
    let start = format!("- {} Message of the day - ", info.name);
    out.push(reply(ctx, &numeric::RPL_MOTDSTART, &[], &start));
    for motd_line in info.motd.lines() {
        let motd_line = crate::text::sanitize::clean(motd_line);
        // A 512-byte budget: long settings lines are split, not cut.
        let overhead = info.name.len() + nick.len() + 16;
        for piece in super::split_text(&motd_line, super::MAX_LINE_BYTES.saturating_sub(overhead)) {
            out.push(reply(ctx, &numeric::RPL_MOTD, &[], &format!("- {piece}")));
        }
    }
    out.push(reply(
        ctx,
        &numeric::RPL_ENDOFMOTD,
        &[],
        numeric::RPL_ENDOFMOTD.text,
    ));
    out
}

/// The IRC lines for one chat event, for the client in `ctx`.
pub fn event_lines(event: &Event, ctx: &Ctx) -> Vec<String> {
    let me = user_prefix(ctx.nick);
    let server = ctx.info.name.as_str();
    let notice = |text: &str| text_lines(server, "NOTICE", ctx.nick, text, false);
    match event {
        // IRC clients get the welcome burst instead of the greeting.
        Event::Greeting { .. }
        | Event::PasswordAccepted
        | Event::HistoryTimed
        | Event::Sent { .. } => Vec::new(),
        // Every IRC line names its channel: there is no current room to
        // announce, and many rooms at once is IRC's normal.
        Event::Current { .. } | Event::MultiRoom => Vec::new(),
        Event::Welcome { .. } => vec![welcome_text(ctx)],
        Event::Renamed { old, new } | Event::NickChanged { old, new } => {
            vec![line(&user_prefix(old), "NICK", &[new])]
        }
        Event::Joined { room, members } => {
            let mut out = vec![line(&me, "JOIN", &[room])];
            let mut everyone = members.clone();
            // The state lists the joiner too (marked `@` if operator).
            if !everyone
                .iter()
                .any(|m| m.trim_start_matches('@') == ctx.nick)
            {
                everyone.push(ctx.nick.to_string());
            }
            out.extend(names_lines(ctx, room, &everyone));
            out
        }
        Event::TopicIs {
            room,
            topic: Some(topic),
            set,
        } => {
            let mut out = vec![reply(ctx, &numeric::RPL_TOPIC, &[room], fit(topic))];
            if let Some((by, at_ms)) = set {
                let at = (at_ms / 1000).to_string();
                out.push(reply(ctx, &numeric::RPL_TOPICWHOTIME, &[room, by, &at], ""));
            }
            out
        }
        Event::TopicIs {
            room, topic: None, ..
        } => {
            vec![reply(
                ctx,
                &numeric::RPL_NOTOPIC,
                &[room],
                numeric::RPL_NOTOPIC.text,
            )]
        }
        Event::Recent { room, records, .. } => {
            let mut out = text_lines(server, "NOTICE", room, "*** Recent messages:", false);
            for record in records {
                let time = crate::support::timestamp::clock(record.time_ms);
                let clock = time.get(..5).unwrap_or(&time);
                let text = match record.action {
                    true => format!("[{clock}] * {} {}", record.sender, record.text),
                    false => format!("[{clock}] <{}> {}", record.sender, record.text),
                };
                out.extend(text_lines(server, "NOTICE", room, &text, false));
            }
            out.extend(text_lines(
                server,
                "NOTICE",
                room,
                "*** End of recent messages",
                false,
            ));
            out
        }
        Event::Left { room, reason } => match reason {
            Some(reason) => vec![line(&me, "PART", &[room, fit(reason)])],
            None => vec![line(&me, "PART", &[room])],
        },
        Event::UserList { room, users, .. } => {
            let room = room.as_deref().unwrap_or("*");
            if ctx.answering == "WHO" {
                who_lines(ctx, room, users)
            } else {
                names_lines(ctx, room, users)
            }
        }
        Event::RoomList(rooms, more, _) => {
            let mut out = vec![reply(
                ctx,
                &numeric::RPL_LISTSTART,
                &["Channel"],
                "Users  Name",
            )];
            for (room, members) in rooms {
                let count = members.to_string();
                out.push(reply(ctx, &numeric::RPL_LIST, &[room, &count], ""));
            }
            if let Some(more) = more {
                out.extend(notice(&crate::wire::render::more_text(more, "/list")));
            }
            out.push(reply(
                ctx,
                &numeric::RPL_LISTEND,
                &[],
                numeric::RPL_LISTEND.text,
            ));
            out
        }
        Event::Help { .. } => notice(
            "Commands: /join #room, /part, /msg nick text, /me, /names, /topic, /list, \
             /quit; teachers: /oper name password, /kick, /quote MUTE|UNMUTE nick, \
             /quote ANNOUNCE text, /stats",
        ),
        Event::Goodbye => vec![super::error_line("Closing link (Quit)")],
        // `381`, then the new user mode the standard way; the room's
        // `MODE #room +o` follows from the state, to every IRC member.
        Event::Operator => vec![
            reply(
                ctx,
                &numeric::RPL_YOUREOPER,
                &[],
                numeric::RPL_YOUREOPER.text,
            ),
            line(&me, "MODE", &[ctx.nick, "+o"]),
        ],
        Event::Done { action, user } => notice(&format!("{} {user}", action.verb())),
        // SASL's answers (a `PASSWORD` change is a notice, below).
        Event::LoggedIn {
            name,
            operator,
            with_code,
        } => {
            let mask = format!("{}!{}@{}", ctx.nick, ctx.nick, server);
            let text = format!("You are now logged in as {name}");
            let mut lines = vec![
                reply(ctx, &numeric::RPL_LOGGEDIN, &[&mask, name], &text),
                reply(
                    ctx,
                    &numeric::RPL_SASLSUCCESS,
                    &[],
                    numeric::RPL_SASLSUCCESS.text,
                ),
            ];
            if *operator {
                lines.extend(notice("You are an operator (a teacher's account)"));
            }
            if *with_code {
                lines.extend(notice(
                    "That was a one-time code: choose your own password now with /quote PASSWORD <new password>",
                ));
            }
            lines
        }
        Event::SessionIssued { .. } => Vec::new(), // the page's, not IRC's
        Event::LoggedOut => vec![super::error_line("Closing link (logged out)")],
        Event::PasswordChanged => {
            let mut lines = Vec::new();
            for text in crate::wire::render::render(event, Mode::Chat).lines() {
                lines.extend(notice(text.trim_start_matches("*** ")));
            }
            lines
        }
        // One NOTICE per figure, in the chat's words (irssi shows a server
        // NOTICE as a line of its own, where 2xx numerics would come out as
        // bare numbers), then `219` so a client knows the report is over.
        Event::Stats(snapshot) => {
            let mut out: Vec<String> = crate::wire::render::stats_sentences(snapshot)
                .iter()
                .flat_map(|sentence| notice(sentence))
                .collect();
            let letter = if ctx.target.is_empty() {
                "*"
            } else {
                ctx.target
            };
            let end = numeric::RPL_ENDOFSTATS.text;
            out.push(reply(ctx, &numeric::RPL_ENDOFSTATS, &[letter], end));
            out
        }
        Event::Refused(refusal) => refusal_lines(refusal, ctx),
        Event::WhoIs {
            user,
            room,
            operator,
            away,
            ident,
        } => {
            let host = super::USER_HOST;
            // The user name and real name from `USER`; the nick for both
            // for someone who is not on IRC.
            let (username, realname) = match ident {
                Some((username, realname)) => (username.as_str(), realname.as_str()),
                None => (user.as_str(), user.as_str()),
            };
            let mut out = vec![
                reply(
                    ctx,
                    &numeric::RPL_WHOISUSER,
                    &[user, username, host, "*"],
                    fit(realname),
                ),
                reply(ctx, &numeric::RPL_WHOISSERVER, &[user, server], "chatroom"),
            ];
            if let Some(rooms) = room {
                // Every room (space-separated), each marked `@` for the teacher.
                let mark = if *operator { "@" } else { "" };
                let shown: Vec<String> = rooms
                    .split(' ')
                    .map(|room| format!("{mark}{room}"))
                    .collect();
                let shown = shown.join(" ");
                out.push(reply(ctx, &numeric::RPL_WHOISCHANNELS, &[user], &shown));
            }
            if *operator {
                let text = numeric::RPL_WHOISOPERATOR.text;
                out.push(reply(ctx, &numeric::RPL_WHOISOPERATOR, &[user], text));
            }
            if let Some(away) = away {
                out.push(reply(ctx, &numeric::RPL_AWAY, &[user], fit(away)));
            }
            let end = numeric::RPL_ENDOFWHOIS.text;
            out.push(reply(ctx, &numeric::RPL_ENDOFWHOIS, &[user], end));
            out
        }
        Event::AwaySet(true) => {
            let text = numeric::RPL_NOWAWAY.text;
            vec![reply(ctx, &numeric::RPL_NOWAWAY, &[], text)]
        }
        Event::AwaySet(false) => {
            let text = numeric::RPL_UNAWAY.text;
            vec![reply(ctx, &numeric::RPL_UNAWAY, &[], text)]
        }
        Event::IsAway { user, text } => {
            vec![reply(ctx, &numeric::RPL_AWAY, &[user], fit(text))]
        }
        Event::RoomMessage {
            room,
            from,
            text,
            notice,
        } => {
            let verb = if *notice { "NOTICE" } else { "PRIVMSG" };
            text_lines(&user_prefix(from), verb, room, text, false)
        }
        Event::Private { from, text } => match crate::wire::event::private_action(text) {
            Some(action) => text_lines(&user_prefix(from), "PRIVMSG", ctx.nick, action, true),
            None => text_lines(&user_prefix(from), "PRIVMSG", ctx.nick, text, false),
        },
        Event::UserJoined { room, user } => vec![line(&user_prefix(user), "JOIN", &[room])],
        Event::UserLeft {
            room,
            user,
            quit: None,
            part,
        } => match part {
            Some(reason) => vec![line(&user_prefix(user), "PART", &[room, fit(reason)])],
            None => vec![line(&user_prefix(user), "PART", &[room])],
        },
        Event::UserLeft {
            user,
            quit: Some(reason),
            ..
        } => vec![line(&user_prefix(user), "QUIT", &[fit(reason)])],
        Event::Action { room, user, text } => {
            text_lines(&user_prefix(user), "PRIVMSG", room, text, true)
        }
        Event::TopicSet { room, by, text } => {
            vec![line(&user_prefix(by), "TOPIC", &[room, fit(text)])]
        }
        Event::Kicked {
            room,
            user,
            by,
            reason,
        } => {
            let reason = reason.as_deref().unwrap_or(by);
            vec![line(&user_prefix(by), "KICK", &[room, user, fit(reason)])]
        }
        Event::YouWereKicked { by, reason } => {
            let reason = reason.as_deref().unwrap_or("no reason given");
            let mut out = notice(&format!("You were kicked by {by}: {reason}"));
            out.push(super::error_line(&format!("Kicked by {by}: {reason}")));
            out
        }
        Event::YouWereMuted { by, muted: true } => notice(&format!(
            "{by} muted you: your messages reach nobody (private messages to operators still work)"
        )),
        Event::YouWereMuted { by, muted: false } => {
            notice(&format!("{by} unmuted you: you can talk again"))
        }
        Event::Announcement(text) => notice(&format!("[announcement] {text}")),
        Event::ServerWarning(text) => notice(&format!("[server] {text}")),
        Event::Connections { rows, addresses } => {
            crate::wire::render::connections_text(rows, *addresses)
                .iter()
                .flat_map(|text| notice(text))
                .collect()
        }
        Event::AddressKicked {
            address,
            connections,
            ban_secs,
        } => notice(&format!(
            "Disconnected {connections} connections from {address}, banned for {ban_secs} s"
        )),
        Event::ShuttingDown => vec![super::error_line("Server shutting down")],
    }
}

/// A topic, kick reason or away message as one IRC parameter: at most
/// [`TOPIC_LEN`] bytes (cut at a character boundary), so that its line stays
/// within 512 bytes whatever the other dialects allowed.
fn fit(text: &str) -> &str {
    super::split_text(text, TOPIC_LEN)
        .into_iter()
        .next()
        .unwrap_or("")
}

/// `353` and `366`; the names are split over several `353`s if need be.
fn names_lines(ctx: &Ctx, room: &str, users: &[String]) -> Vec<String> {
    let names = users.join(" ");
    let overhead = ctx.info.name.len() + ctx.nick.len() + room.len() + 16;
    let mut out: Vec<String> =
        super::split_text(&names, super::MAX_LINE_BYTES.saturating_sub(overhead))
            .into_iter()
            .filter(|piece| !piece.is_empty())
            .map(|piece| reply(ctx, &numeric::RPL_NAMREPLY, &["=", room], piece))
            .collect();
    let end = numeric::RPL_ENDOFNAMES.text;
    out.push(reply(ctx, &numeric::RPL_ENDOFNAMES, &[room], end));
    out
}

/// `352` per user and `315`.
fn who_lines(ctx: &Ctx, room: &str, users: &[String]) -> Vec<String> {
    let host = super::USER_HOST;
    let server = ctx.info.name.as_str();
    let mut out: Vec<String> = users
        .iter()
        .map(|user| {
            // An operator comes marked `@teacher` (see `PREFIX`): here the
            // mark goes in the flags, `H@`.
            let (flags, user) = match user.strip_prefix('@') {
                Some(user) => ("H@", user),
                None => ("H", user.as_str()),
            };
            let real = format!("0 {user}");
            reply(
                ctx,
                &numeric::RPL_WHOREPLY,
                &[room, user, host, server, user, flags],
                &real,
            )
        })
        .collect();
    let end = numeric::RPL_ENDOFWHO.text;
    out.push(reply(ctx, &numeric::RPL_ENDOFWHO, &[room], end));
    out
}

/// A refusal as the standard numeric, or a NOTICE where IRC has none.
pub fn refusal_lines(refusal: &Refusal, ctx: &Ctx) -> Vec<String> {
    let target = if ctx.target.is_empty() {
        "*"
    } else {
        ctx.target
    };
    let std = |numeric: &Numeric, params: &[&str]| vec![reply(ctx, numeric, params, numeric.text)];
    let notice = |text: String| text_lines(&ctx.info.name, "NOTICE", ctx.nick, &text, false);
    match refusal {
        Refusal::UsernameTaken => std(&numeric::ERR_NICKNAMEINUSE, &[target]),
        Refusal::InvalidUsername(why) => vec![reply(
            ctx,
            &numeric::ERR_ERRONEUSNICKNAME,
            &[target],
            &format!("{}: {why}", numeric::ERR_ERRONEUSNICKNAME.text),
        )],
        Refusal::NameWithSpaces(_) => std(&numeric::ERR_ERRONEUSNICKNAME, &[target]),
        Refusal::InvalidRoom => std(&numeric::ERR_NOSUCHCHANNEL, &[target]),
        Refusal::ChooseNameFirst | Refusal::PasswordRequired => {
            std(&numeric::ERR_NOTREGISTERED, &[])
        }
        Refusal::AlreadyIn(_) => Vec::new(), // IRC ignores joining your own channel
        Refusal::NotInRoom => std(&numeric::ERR_NOTONCHANNEL, &[target]),
        Refusal::NotIn(room) => std(&numeric::ERR_NOTONCHANNEL, &[room]),
        Refusal::NoSuchRoom(room) => std(&numeric::ERR_NOSUCHCHANNEL, &[room]),
        Refusal::TooManyRooms(_) => std(&numeric::ERR_TOOMANYCHANNELS, &[target]),
        Refusal::KeptOut(room, _) => std(&numeric::ERR_BANNEDFROMCHAN, &[room]),
        Refusal::EmptyMessage => std(&numeric::ERR_NOTEXTTOSEND, &[]),
        // A WHOIS always ends with its 318, found or not.
        Refusal::UserNotFound(_) if ctx.answering == "WHOIS" => {
            let mut lines = std(&numeric::ERR_NOSUCHNICK, &[target]);
            let end = numeric::RPL_ENDOFWHOIS;
            lines.push(reply(ctx, &end, &[target], end.text));
            lines
        }
        Refusal::UserNotFound(_) => std(&numeric::ERR_NOSUCHNICK, &[target]),
        Refusal::UnknownCommand(command) => std(&numeric::ERR_UNKNOWNCOMMAND, &[command]),
        Refusal::Usage(usage) => {
            let verb = usage.protocol.split(' ').next().unwrap_or(usage.protocol);
            std(&numeric::ERR_NEEDMOREPARAMS, &[verb])
        }
        Refusal::LineTooLong(_) => std(&numeric::ERR_INPUTTOOLONG, &[]),
        Refusal::WrongPassword => std(&numeric::ERR_PASSWDMISMATCH, &[]),
        Refusal::NotOperator if ctx.answering == "KICK" || ctx.answering == "TOPIC" => std(
            &numeric::ERR_CHANOPRIVSNEEDED,
            &[ctx.room.unwrap_or(target)],
        ),
        Refusal::NotOperator => std(&numeric::ERR_NOPRIVILEGES, &[]),
        // A wrong SASL login: `904` first (a client waiting for the
        // answer reads it first), then the words.
        Refusal::Account(AccountRefusal::WrongLogin) => {
            let mut lines = std(&numeric::ERR_SASLFAIL, &[]);
            lines.extend(notice(crate::wire::render::refusal_text(
                refusal,
                Mode::Irc,
            )));
            lines
        }
        // A right one that must wait: the wait first, because a client
        // such as WeeChat hangs up on `904` and would never show it.
        Refusal::Account(AccountRefusal::TooManyTries(_) | AccountRefusal::Kicked(_)) => {
            let mut lines = notice(crate::wire::render::refusal_text(refusal, Mode::Irc));
            lines.extend(std(&numeric::ERR_SASLFAIL, &[]));
            lines
        }
        // A nick that is an account's: taken, to the client (`433`).
        Refusal::Account(AccountRefusal::NameBelongs(_)) => {
            let mut lines = notice(crate::wire::render::refusal_text(refusal, Mode::Irc));
            lines.extend(std(&numeric::ERR_NICKNAMEINUSE, &[target]));
            lines
        }
        Refusal::Account(_) => notice(crate::wire::render::refusal_text(refusal, Mode::Irc)),
        Refusal::Muted => std(
            &numeric::ERR_CANNOTSENDTOCHAN,
            &[ctx.room.unwrap_or(target)],
        ),
        Refusal::ServerFull
        | Refusal::RegistrationTimeout
        | Refusal::TooManyFromAddress
        | Refusal::TooManyUnregisteredFromAddress(_)
        | Refusal::ConnectingTooFast(_)
        | Refusal::IdleTimeout(_)
        | Refusal::TooManyWrongPasswords(_)
        | Refusal::Banned(_) => {
            let text = crate::wire::render::refusal_text(refusal, Mode::Protocol);
            vec![super::error_line(&text)]
        }
        // Flood control and the rest: a NOTICE, never silence.
        Refusal::NotUtf8
        | Refusal::SlowDown(_)
        | Refusal::HistoryShareUsed { .. }
        | Refusal::LinesDropped { .. }
        | Refusal::CouldNotStore
        | Refusal::NotMuted(_)
        | Refusal::AlreadyMuted(_)
        | Refusal::MuteNotOnline { .. }
        | Refusal::TooManyGuesses(_)
        | Refusal::NoSuchPage(..) => {
            notice(crate::wire::render::refusal_text(refusal, Mode::Protocol))
        }
    }
}
