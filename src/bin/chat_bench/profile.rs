//! The two wire profiles chat_bench speaks: `chatroom` (this project's own
//! line protocol, the default) and `irc` (RFC 1459/2812 as ngIRCd and
//! InspIRCd speak it), so that one scenario can drive any of the servers.
//!
//! A profile only knows the words on the wire; the swarm decides when to
//! send them. Each message's payload is the same in both profiles,
//! `<tag> <sender> <seq> <sent_micros> xxxx…`, so everything that judges a
//! delivery (latency, loss, order) is shared.
//!
//! The two differ in three ways that matter to a measurement:
//! - chatroom accepts `USERNAME` and `JOIN` together; an IRC server answers
//!   `JOIN` before registration with `451`, so the IRC profile sends `JOIN`
//!   only after `001` (welcome), and a client has joined at `366` (end of
//!   the names list), the last line a server sends for a join.
//! - chatroom sends every message back to its sender; IRC never does. So an
//!   IRC run expects one delivery fewer per message, and a sender's window
//!   is confirmed by another member (see `swarm.rs`).
//! - an IRC server sends `PING :token` now and then and drops a client that
//!   does not answer `PONG :token`.

/// Which protocol the simulated clients speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Chatroom,
    Irc,
}

/// What one received line means to a simulated client.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming<'a> {
    /// A relayed chat message: its payload (`<tag> <sender> <seq> …`).
    Message(&'a [u8]),
    /// Registration is complete (IRC `001`); time to join.
    Registered,
    /// The join is complete (`OK Joined`, IRC `366`).
    Joined,
    /// The server asks for this reply now (IRC `PING` → `PONG`).
    Reply(Vec<u8>),
    /// The server refused something or is closing the connection.
    Error,
    /// Anything else: notices, names lists, the MOTD.
    Other,
}

/// The longest payload line an IRC run may use: a server relays at most 512
/// bytes with the sender's `:nick!user@host` prefix and CRLF, so leave room
/// for a prefix of up to 100 bytes.
pub const IRC_MAX_LINE: usize = 400;

impl Profile {
    pub fn parse(name: &str) -> Option<Profile> {
        match name {
            "chatroom" => Some(Profile::Chatroom),
            "irc" => Some(Profile::Irc),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Profile::Chatroom => "chatroom",
            Profile::Irc => "irc",
        }
    }

    /// Whether the server sends a message back to its own sender.
    pub fn echoes_to_sender(self) -> bool {
        self == Profile::Chatroom
    }

    /// The lines that register a name.
    pub fn register(self, name: &str) -> String {
        match self {
            Profile::Chatroom => format!("USERNAME {name}\r\n"),
            Profile::Irc => format!("NICK {name}\r\nUSER {name} 0 * :{name}\r\n"),
        }
    }

    /// What a new connection sends first. For chatroom that includes the
    /// JOIN (the server handles lines in order); for IRC the JOIN waits for
    /// [`Incoming::Registered`].
    pub fn hello(self, name: &str, room: &str) -> String {
        match self {
            Profile::Chatroom => format!("{}JOIN {room}\r\n", self.register(name)),
            Profile::Irc => self.register(name),
        }
    }

    /// The JOIN an IRC client sends once registered (chatroom: none).
    pub fn join(self, room: &str) -> Option<String> {
        match self {
            Profile::Chatroom => None,
            Profile::Irc => Some(format!("JOIN {room}\r\n")),
        }
    }

    /// The start of a chat message line; the payload and CRLF follow.
    pub fn message_start(self, room: &str) -> String {
        match self {
            Profile::Chatroom => "MSG ".to_string(),
            Profile::Irc => format!("PRIVMSG {room} :"),
        }
    }

    /// The lines that end a session politely.
    pub fn quit(self) -> &'static str {
        match self {
            Profile::Chatroom => "QUIT\r\n",
            Profile::Irc => "QUIT :bye\r\n",
        }
    }

    /// What the server says when it has seen the QUIT (before it closes).
    pub fn goodbye_seen(self, received: &str) -> bool {
        match self {
            Profile::Chatroom => received.contains("OK Goodbye"),
            // Every IRC server answers QUIT with `ERROR :Closing link …`.
            Profile::Irc => received.contains("ERROR"),
        }
    }

    /// Classifies one line (without its line ending).
    pub fn read(self, line: &[u8]) -> Incoming<'_> {
        match self {
            Profile::Chatroom => read_chatroom(line),
            Profile::Irc => read_irc(line),
        }
    }
}

fn read_chatroom(line: &[u8]) -> Incoming<'_> {
    if let Some(rest) = line.strip_prefix(b"ROOM ") {
        // `ROOM #bench <name> <payload>`: skip the room and the name.
        let mut words = rest.splitn(3, |&b| b == b' ');
        let (_room, _name) = (words.next(), words.next());
        return words.next().map_or(Incoming::Other, Incoming::Message);
    }
    if line.starts_with(b"OK Joined") {
        Incoming::Joined
    } else if line.starts_with(b"ERROR") {
        Incoming::Error
    } else {
        Incoming::Other
    }
}

fn read_irc(line: &[u8]) -> Incoming<'_> {
    if let Some(token) = line.strip_prefix(b"PING ") {
        let mut reply = b"PONG ".to_vec();
        reply.extend_from_slice(token);
        reply.extend_from_slice(b"\r\n");
        return Incoming::Reply(reply);
    }
    if line.starts_with(b"ERROR") {
        return Incoming::Error;
    }
    // `:prefix COMMAND params…`; without a prefix the command comes first.
    let without_prefix = match line.strip_prefix(b":") {
        Some(rest) => match rest.iter().position(|&b| b == b' ') {
            Some(space) => &rest[space + 1..],
            None => return Incoming::Other,
        },
        None => line,
    };
    let mut words = without_prefix.splitn(2, |&b| b == b' ');
    let command = words.next().unwrap_or_default();
    let params = words.next().unwrap_or_default();
    match command {
        // A PING with a prefix (step4_server sends `:chatroom.local PING …`).
        b"PING" => {
            let mut reply = b"PONG ".to_vec();
            reply.extend_from_slice(params);
            reply.extend_from_slice(b"\r\n");
            Incoming::Reply(reply)
        }
        b"PRIVMSG" => match params.windows(2).position(|pair| pair == b" :") {
            Some(at) => Incoming::Message(&params[at + 2..]),
            None => Incoming::Other,
        },
        b"001" => Incoming::Registered,
        b"366" => Incoming::Joined,
        // 4xx and 5xx are error replies (a nick in use, a full channel…).
        [b'4' | b'5', b'0'..=b'9', b'0'..=b'9'] => Incoming::Error,
        _ => Incoming::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chatroom_lines() {
        let p = Profile::Chatroom;
        assert_eq!(
            p.read(b"ROOM #bench alice t 1 2 3 xx"),
            Incoming::Message(b"t 1 2 3 xx")
        );
        assert_eq!(p.read(b"OK Joined #bench"), Incoming::Joined);
        assert_eq!(p.read(b"ERROR Name taken"), Incoming::Error);
        assert_eq!(p.read(b"NOTICE hi"), Incoming::Other);
        assert_eq!(p.hello("bob", "#bench"), "USERNAME bob\r\nJOIN #bench\r\n");
        assert!(p.join("#bench").is_none());
    }

    #[test]
    fn irc_lines() {
        let p = Profile::Irc;
        assert_eq!(
            p.read(b":alice!a@127.0.0.1 PRIVMSG #bench :t 1 2 3 xx"),
            Incoming::Message(b"t 1 2 3 xx")
        );
        assert_eq!(p.read(b":irc.local 001 bob :Welcome"), Incoming::Registered);
        assert_eq!(
            p.read(b":irc.local 366 bob #bench :End of NAMES list"),
            Incoming::Joined
        );
        assert_eq!(
            p.read(b":irc.local 433 * bob :Nickname already in use"),
            Incoming::Error
        );
        assert_eq!(
            p.read(b"PING :irc.local"),
            Incoming::Reply(b"PONG :irc.local\r\n".to_vec())
        );
        assert_eq!(
            p.read(b":chatroom.local PING chatroom.local"),
            Incoming::Reply(b"PONG chatroom.local\r\n".to_vec())
        );
        assert_eq!(p.read(b"ERROR :Closing link"), Incoming::Error);
        assert_eq!(p.read(b":bob!b@h JOIN :#bench"), Incoming::Other);
        assert_eq!(p.read(b":irc.local 353 bob = #bench :bob"), Incoming::Other);
        assert_eq!(
            p.hello("bob", "#bench"),
            "NICK bob\r\nUSER bob 0 * :bob\r\n"
        );
        assert_eq!(p.join("#bench").as_deref(), Some("JOIN #bench\r\n"));
        assert_eq!(p.message_start("#bench"), "PRIVMSG #bench :");
    }
}
