//! `PRIVMSG` and `NOTICE` from an IRC client: to a room, to a person, or a
//! CTCP request (`\x01VERSION\x01`) to the server, a person or a room.
//!
//! The text is cut to what a relayed line can carry: an IRC client fitted
//! its line in 512 bytes with no prefix, and relayed with ours it may not
//! fit, so it is cut (as IRC servers do) rather than split in two, and
//! every IRC recipient gets the one line that was sent. An action
//! (`\x01ACTION waves\x01`) becomes the chat's action, and a private one
//! a private message marked as an action, so every dialect shows it.
//! Other CTCP requests to the server are answered here; to a person they
//! are relayed for the state to answer; to a room, refused.

use super::{answer, in_room, in_room_command, Ctx, Inbound};
use crate::wire::command::Command;
use crate::wire::event::PRIVATE_ACTION;
use crate::wire::irc::{self, numeric};

/// The longest text a relayed `PRIVMSG` from `ctx.nick` to `to` can carry
/// in one 512-byte line (less the `\x01ACTION \x01` around an action).
fn relay_budget(to: &str, ctx: &Ctx, action: bool) -> usize {
    // `:<prefix> PRIVMSG <to> :<text>\r\n`
    let overhead = irc::user_prefix(ctx.nick).len() + "PRIVMSG".len() + to.len() + 7;
    let wrap = if action { "\x01ACTION \x01".len() } else { 0 };
    irc::MAX_LINE_BYTES.saturating_sub(overhead + wrap)
}

/// `text` cut (at a character boundary) to at most `budget` bytes. An IRC
/// client's line fitted in 512 bytes with no prefix; relayed with ours it
/// may not, and IRC servers then cut it rather than split it in two, so
/// every IRC recipient gets the one line that was sent, as one line.
fn cut_to(text: &str, budget: usize) -> &str {
    let mut end = budget.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `PRIVMSG`/`NOTICE` to a room or a person.
pub(super) fn say(to: &str, text: &str, notice: bool, ctx: &Ctx) -> Inbound {
    if let Some(body) = irc::ctcp_body(text) {
        return ctcp(to, body, notice, ctx);
    }
    let action = irc::ctcp_action(text);
    let text = match action {
        Some(action) => cut_to(action, relay_budget(to, ctx, true)),
        None => cut_to(text, relay_budget(to, ctx, false)),
    };
    let action = action.map(|_| text);
    if to.starts_with('#') {
        // A NOTICE is never answered automatically (RFC 2812 3.3.2).
        if !in_room(ctx, to) && notice {
            return Inbound::Nothing;
        }
        if !in_room(ctx, to) {
            return answer(ctx, &numeric::ERR_CANNOTSENDTOCHAN, &[to]);
        }
        return Inbound::Chat(in_room_command(
            to,
            match action {
                Some(action) => Command::Action(action.to_string()),
                None => Command::Say(text.to_string()),
            },
        ));
    }
    // A private action is a private message marked `/me ` (see
    // `event::private_action`), shown as an action in every dialect.
    let text = match action {
        Some(action) if action.trim().is_empty() => {
            return answer(ctx, &numeric::ERR_NOTEXTTOSEND, &[]);
        }
        Some(action) => format!("{PRIVATE_ACTION}{action}"),
        None => text.to_string(),
    };
    Inbound::Chat(Command::Private {
        to: to.to_string(),
        text,
    })
}

/// A CTCP request other than an action. To the server: answered at once
/// (`VERSION`, `PING`, `TIME`, `CLIENTINFO`); to a person: for the state
/// to relay or answer; to a room: refused with a notice, since half its
/// members could not answer and the other half would flood the asker.
fn ctcp(to: &str, body: &str, notice: bool, ctx: &Ctx) -> Inbound {
    let server = ctx.info.name.as_str();
    if to.eq_ignore_ascii_case(server) {
        if notice {
            return Inbound::Nothing; // a reply to nothing we asked
        }
        let now = crate::support::timestamp::human(crate::support::timestamp::now_millis());
        return match irc::ctcp_answer(body, "", &now) {
            Some(reply) => {
                Inbound::Answer(irc::text_lines(server, "NOTICE", ctx.nick, &reply, false))
            }
            None => Inbound::Nothing,
        };
    }
    if to.starts_with('#') {
        if notice {
            return Inbound::Nothing;
        }
        let text = format!(
            "CTCP to a channel is not relayed here; ask one person: /ctcp <nick> {}",
            ctcp_verb(body)
        );
        return Inbound::Answer(irc::text_lines(server, "NOTICE", ctx.nick, &text, false));
    }
    Inbound::Ctcp {
        to: to.to_string(),
        notice,
        body: body.to_string(),
    }
}

/// The query word of a CTCP body (`PING 17` → `PING`), cleaned for a notice.
pub fn ctcp_verb(body: &str) -> String {
    let word = body.split(' ').next().unwrap_or(body);
    word.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(20)
        .collect()
}
