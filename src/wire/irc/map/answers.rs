//! What the server answers by itself, without a chat command: `MODE`
//! (read-only: the channel modes are fixed), `LUSERS`, `USERHOST` and
//! `HELP`. Each is a few numerics addressed to the asker's nick, made from
//! the counts or the command table the caller passes in.

use super::{answer, reply, Ctx, Inbound};
use crate::wire::command;
use crate::wire::irc::numeric;
use crate::wire::irc::{self, numeric_line, Message};

/// `MODE`: read-only answers that clients accept (they ask on every join).
pub(super) fn mode(message: &Message, ctx: &Ctx) -> Inbound {
    let name = &ctx.info.name;
    match (message.param(0), message.param(1)) {
        (None, _) => answer(ctx, &numeric::ERR_NEEDMOREPARAMS, &["MODE"]),
        (Some(room), None) if room.starts_with('#') => Inbound::Answer(vec![numeric_line(
            name,
            numeric::RPL_CHANNELMODEIS.code,
            ctx.nick,
            &[room, "+nt"],
        )]),
        // `MODE #room b` (the ban list, asked by irssi on join): empty.
        (Some(room), Some("b")) if room.starts_with('#') => Inbound::Answer(vec![numeric_line(
            name,
            "368",
            ctx.nick,
            &[room, "End of channel ban list"],
        )]),
        // Channel modes are fixed (+nt). A ban (`+b`) is this server's
        // KICK with a time, so the teacher is told what to type instead.
        (Some(room), Some(change)) if room.starts_with('#') => {
            let text = if change.contains('b') {
                "No +b here: this server bans with a kick for a time, \
                 /kick <name> 10m <reason> (30s, 2h, 1d also work)"
            } else {
                "This server's channel modes are fixed (+nt); operators are made with /oper"
            };
            Inbound::Answer(vec![reply(
                ctx,
                &numeric::ERR_CHANOPRIVSNEEDED,
                &[room],
                text,
            )])
        }
        // Own user modes cannot be changed here: irssi's automatic `+i`
        // on connecting is let pass in silence, rather than answered with
        // a `221` that irssi prints as a puzzling "Your user mode is [+]".
        (Some(_), Some(_)) => Inbound::Nothing,
        // Asked: `+o` for the teacher, otherwise none.
        (Some(_), None) => Inbound::Answer(vec![numeric_line(
            name,
            numeric::RPL_UMODEIS.code,
            ctx.nick,
            &[if ctx.operator { "+o" } else { "+" }],
        )]),
    }
}

/// `LUSERS`' answer from the counts: people (registered), operators,
/// connections without a name yet, rooms. One server, nobody invisible.
pub fn lusers_lines(
    ctx: &Ctx,
    people: usize,
    operators: usize,
    nameless: usize,
    rooms: usize,
) -> Vec<String> {
    let (people, operators) = (people.to_string(), operators.to_string());
    let (nameless, rooms) = (nameless.to_string(), rooms.to_string());
    vec![
        reply(
            ctx,
            &numeric::RPL_LUSERCLIENT,
            &[],
            &format!("There are {people} users and 0 invisible on 1 servers"),
        ),
        reply(
            ctx,
            &numeric::RPL_LUSEROP,
            &[&operators],
            numeric::RPL_LUSEROP.text,
        ),
        reply(
            ctx,
            &numeric::RPL_LUSERUNKNOWN,
            &[&nameless],
            numeric::RPL_LUSERUNKNOWN.text,
        ),
        reply(
            ctx,
            &numeric::RPL_LUSERCHANNELS,
            &[&rooms],
            numeric::RPL_LUSERCHANNELS.text,
        ),
        reply(
            ctx,
            &numeric::RPL_LUSERME,
            &[],
            &format!("I have {people} clients and 1 servers"),
        ),
        reply(
            ctx,
            &numeric::RPL_LOCALUSERS,
            &[],
            &format!("Current local users: {people}"),
        ),
        reply(
            ctx,
            &numeric::RPL_GLOBALUSERS,
            &[],
            &format!("Current global users: {people}"),
        ),
    ]
}

/// `USERHOST`'s one line: `nick=+user@host` for each person found (`*`
/// after an operator's nick, `-` for someone away), in the order asked.
pub fn userhost_line(ctx: &Ctx, found: &[(String, bool, bool)]) -> String {
    let entries: Vec<String> = found
        .iter()
        .map(|(nick, operator, away)| {
            let star = if *operator { "*" } else { "" };
            let here = if *away { "-" } else { "+" };
            format!("{nick}{star}={here}{nick}@{}", irc::USER_HOST)
        })
        .collect();
    reply(ctx, &numeric::RPL_USERHOST, &[], &entries.join(" "))
}

/// `HELP [subject]`: the command table's IRC rows (an operator's too, for
/// an operator), between `704` and `706`; a subject is one verb's usage and
/// meaning, or `524` when no row has it.
pub(super) fn help(subject: Option<&str>, ctx: &Ctx) -> Vec<String> {
    let rows = command::COMMANDS
        .iter()
        .filter(|spec| ctx.operator || spec.who == command::Who::Anyone)
        .filter(|spec| !spec.usage.irc.is_empty());
    let (shown, lines): (String, Vec<String>) = match subject {
        None => (
            "*".into(),
            rows.map(|spec| format!("{:<28} {}", spec.usage.irc, spec.help))
                .collect(),
        ),
        Some(subject) => {
            let verb = subject.to_ascii_uppercase();
            let mut found = rows.filter(|spec| spec.irc.contains(&verb.as_str()));
            match found.next() {
                Some(spec) => (
                    subject.to_string(),
                    vec![spec.usage.irc.to_string(), spec.help.to_string()],
                ),
                None => {
                    let text = numeric::ERR_HELPNOTFOUND.text;
                    return vec![reply(ctx, &numeric::ERR_HELPNOTFOUND, &[subject], text)];
                }
            }
        }
    };
    let mut out = vec![reply(
        ctx,
        &numeric::RPL_HELPSTART,
        &[&shown],
        "chatroom help",
    )];
    for text in &lines {
        out.push(reply(ctx, &numeric::RPL_HELPTXT, &[&shown], text));
    }
    out.push(reply(
        ctx,
        &numeric::RPL_ENDOFHELP,
        &[&shown],
        numeric::RPL_ENDOFHELP.text,
    ));
    out
}
