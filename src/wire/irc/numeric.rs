//! IRC's numeric replies: each three-digit code with its name and the
//! standard text clients expect, and the `005` ISUPPORT lines.
//!
//! Clients act on the code (irssi marks a nick taken on `433` and offers
//! another); the text is for people, so it is the wording of
//! <https://modern.ircdocs.horse/> where one is given. The parameters before
//! the text differ per numeric and are filled in by [`super::map`] and
//! [`super::register`]; each const's comment shows them.

/// A numeric reply: its code and its standard closing text (empty when the
/// reply has none, e.g. `004`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numeric {
    pub code: &'static str,
    pub text: &'static str,
}

macro_rules! numerics {
    ($($(#[$doc:meta])* $name:ident = $code:literal, $text:literal;)*) => {
        $($(#[$doc])* pub const $name: Numeric = Numeric { code: $code, text: $text };)*
        /// Every numeric above, for tests and for looking one up by code.
        #[cfg(test)]
        pub const ALL: &[Numeric] = &[$($name),*];
    };
}

numerics! {
    /// `<nick> :Welcome to the <network> Network, <nick>`
    RPL_WELCOME = "001", "Welcome to the Internet Relay Network";
    /// `<nick> :Your host is <server>, running version <version>`
    RPL_YOURHOST = "002", "Your host is";
    /// `<nick> :This server was created <when>`
    RPL_CREATED = "003", "This server was created";
    /// `<nick> <server> <version> <user modes> <channel modes>`
    RPL_MYINFO = "004", "";
    /// `<nick> <token>… :are supported by this server`
    RPL_ISUPPORT = "005", "are supported by this server";
    /// `<nick> :There are <n> users and 0 invisible on 1 servers`
    RPL_LUSERCLIENT = "251", "";
    /// `<nick> <n> :operator(s) online`
    RPL_LUSEROP = "252", "operator(s) online";
    /// `<nick> <n> :unknown connection(s)`
    RPL_LUSERUNKNOWN = "253", "unknown connection(s)";
    /// `<nick> <n> :channels formed`
    RPL_LUSERCHANNELS = "254", "channels formed";
    /// `<nick> :I have <n> clients and 1 servers`
    RPL_LUSERME = "255", "";
    /// `<nick> :Current local users: <n>`
    RPL_LOCALUSERS = "265", "";
    /// `<nick> :Current global users: <n>`
    RPL_GLOBALUSERS = "266", "";
    /// `<nick> <stats letter> :End of /STATS report`
    RPL_ENDOFSTATS = "219", "End of /STATS report";
    /// `<nick> <user modes>`
    RPL_UMODEIS = "221", "";
    /// `<nick> :<nick>[*]=<+ or - (away)><user>@<host> …`
    RPL_USERHOST = "302", "";
    /// `<nick> <away nick> :<away message>`
    RPL_AWAY = "301", "";
    /// `<nick> :You are no longer marked as being away`
    RPL_UNAWAY = "305", "You are no longer marked as being away";
    /// `<nick> :You have been marked as being away`
    RPL_NOWAWAY = "306", "You have been marked as being away";
    /// `<nick> <nick> <user> <host> * :<realname>`
    RPL_WHOISUSER = "311", "";
    /// `<nick> <nick> <server> :<server info>`
    RPL_WHOISSERVER = "312", "";
    /// `<nick> <nick> :is an IRC operator`
    RPL_WHOISOPERATOR = "313", "is an IRC operator";
    /// `<nick> <nick> :[@]<channel>`
    RPL_WHOISCHANNELS = "319", "";
    /// `<nick> <mask> :End of WHO list`
    RPL_ENDOFWHO = "315", "End of WHO list";
    /// `<nick> <nick> :End of /WHOIS list`
    RPL_ENDOFWHOIS = "318", "End of /WHOIS list";
    /// `<nick> Channel :Users  Name`
    RPL_LISTSTART = "321", "Users  Name";
    /// `<nick> <channel> <count> :<topic>`
    RPL_LIST = "322", "";
    /// `<nick> :End of /LIST`
    RPL_LISTEND = "323", "End of /LIST";
    /// `<nick> <channel> <modes>`
    RPL_CHANNELMODEIS = "324", "";
    /// `<nick> <channel> :No topic is set`
    RPL_NOTOPIC = "331", "No topic is set";
    /// `<nick> <channel> :<topic>`
    RPL_TOPIC = "332", "";
    /// `<nick> <channel> <setter> <unix time>`
    RPL_TOPICWHOTIME = "333", "";
    /// `<nick> <channel> <user> <host> <server> <nick> <H|G>[*][@] :0 <realname>`
    RPL_WHOREPLY = "352", "";
    /// `<nick> = <channel> :[@]<nick> [@]<nick>…`
    RPL_NAMREPLY = "353", "";
    /// `<nick> <channel> :End of /NAMES list`
    RPL_ENDOFNAMES = "366", "End of /NAMES list";
    /// `<nick> :- <motd line>`
    RPL_MOTD = "372", "";
    /// `<nick> :- <server> Message of the day - `
    RPL_MOTDSTART = "375", "Message of the day - ";
    /// `<nick> :End of /MOTD command.`
    RPL_ENDOFMOTD = "376", "End of /MOTD command.";
    /// `<nick> :You are now an IRC operator`
    RPL_YOUREOPER = "381", "You are now an IRC operator";
    /// `<nick> <target> :No such nick/channel`
    ERR_NOSUCHNICK = "401", "No such nick/channel";
    /// `<nick> <channel> :No such channel`
    ERR_NOSUCHCHANNEL = "403", "No such channel";
    /// `<nick> <channel> :Cannot send to channel`
    ERR_CANNOTSENDTOCHAN = "404", "Cannot send to channel";
    /// `<nick> <channel> :You have joined too many channels`
    ERR_TOOMANYCHANNELS = "405", "You have joined too many channels";
    /// `<nick> <channel> :Cannot join channel (+b)`: kicked lately.
    ERR_BANNEDFROMCHAN = "474", "Cannot join channel (+b)";
    /// `<nick> <subject> :<first line>`
    RPL_HELPSTART = "704", "";
    /// `<nick> <subject> :<line>`
    RPL_HELPTXT = "705", "";
    /// `<nick> <subject> :<last line>`
    RPL_ENDOFHELP = "706", "End of /HELP";
    /// `<nick> <subject> :No help available on this topic`
    ERR_HELPNOTFOUND = "524", "No help available on this topic";
    /// `<nick> :<line>` of `INFO`
    RPL_INFO = "371", "";
    /// `<nick> :End of /INFO list`
    RPL_ENDOFINFO = "374", "End of /INFO list";
    /// `<nick> :No recipient given (<command>)`
    ERR_NORECIPIENT = "411", "No recipient given";
    /// `<nick> :No text to send`
    ERR_NOTEXTTOSEND = "412", "No text to send";
    /// `<nick> :Input line was too long`
    ERR_INPUTTOOLONG = "417", "Input line was too long";
    /// `<nick> <command> :Unknown command`
    ERR_UNKNOWNCOMMAND = "421", "Unknown command";
    /// `<nick> :No nickname given`
    ERR_NONICKNAMEGIVEN = "431", "No nickname given";
    /// `<nick> <bad nick> :Erroneus nickname` (sic: the RFC's spelling,
    /// which some clients match on)
    ERR_ERRONEUSNICKNAME = "432", "Erroneus nickname";
    /// `<nick> <taken nick> :Nickname is already in use`
    ERR_NICKNAMEINUSE = "433", "Nickname is already in use";
    /// `<nick> <channel> :You're not on that channel`
    ERR_NOTONCHANNEL = "442", "You're not on that channel";
    /// `<nick> :You have not registered`
    ERR_NOTREGISTERED = "451", "You have not registered";
    /// `<nick> <command> :Not enough parameters`
    ERR_NEEDMOREPARAMS = "461", "Not enough parameters";
    /// `<nick> :You may not reregister`
    ERR_ALREADYREGISTERED = "462", "You may not reregister";
    /// `<nick> :Password incorrect`
    ERR_PASSWDMISMATCH = "464", "Password incorrect";
    /// `<nick> :Permission Denied- You're not an IRC operator`
    ERR_NOPRIVILEGES = "481", "Permission Denied- You're not an IRC operator";
    /// `<nick> <channel> :You're not channel operator`
    ERR_CHANOPRIVSNEEDED = "482", "You're not channel operator";
    /// `<nick> <subcommand> :Invalid CAP command`
    ERR_INVALIDCAPCMD = "410", "Invalid CAP command";
    /// `<nick> <nick>!<user>@<host> <account> :You are now logged in as <account>`
    RPL_LOGGEDIN = "900", "You are now logged in";
    /// `<nick> :SASL authentication successful`
    RPL_SASLSUCCESS = "903", "SASL authentication successful";
    /// `<nick> :SASL authentication failed`
    ERR_SASLFAIL = "904", "SASL authentication failed";
    /// `<nick> :SASL message too long`
    ERR_SASLTOOLONG = "905", "SASL message too long";
    /// `<nick> :SASL authentication aborted`
    ERR_SASLABORTED = "906", "SASL authentication aborted";
    /// `<nick> <mechanisms> :are available SASL mechanisms`
    RPL_SASLMECHS = "908", "are available SASL mechanisms";
}

/// What the server tells a client about itself in `005`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The network's name (`NETWORK=`), shown by clients as the window title.
    pub network: String,
    pub nick_len: usize,
    /// Room names with their `#`.
    pub channel_len: usize,
    pub topic_len: usize,
    /// Most channels one client may be in (`max_rooms_per_person`).
    pub chan_limit: usize,
}

/// The ISUPPORT tokens, in the order they are sent.
///
/// `CASEMAPPING=ascii` because that is the server's rule: [`crate::text::names::key`]
/// lower-cases ASCII letters only. (`rfc1459` would also fold `[]\~` into
/// `{}|^`; names cannot hold those characters, so the two never disagree
/// here, but `ascii` is the one that describes the code.) `CHANLIMIT=#:N`
/// is the `max_rooms_per_person` setting; `PREFIX=(o)@` because the
/// teacher (an operator) is the only rank there is.
pub fn isupport_tokens(limits: &Limits) -> Vec<String> {
    vec![
        "CASEMAPPING=ascii".into(),
        "CHANTYPES=#".into(),
        format!("CHANLIMIT=#:{}", limits.chan_limit),
        format!("NICKLEN={}", limits.nick_len),
        format!("CHANNELLEN={}", limits.channel_len),
        format!("TOPICLEN={}", limits.topic_len),
        "PREFIX=(o)@".into(),
        format!("NETWORK={}", limits.network),
    ]
}

/// Most clients and servers send at most this many tokens per `005` line.
const TOKENS_PER_LINE: usize = 13;

/// The `005` lines for `nick`: as many as needed so that none has more than
/// [`TOKENS_PER_LINE`] tokens or more than 512 bytes.
pub fn isupport_lines(server: &str, nick: &str, tokens: &[String]) -> Vec<String> {
    let line = |batch: &[&str]| {
        let mut params = batch.to_vec();
        params.push(RPL_ISUPPORT.text);
        super::numeric_line(server, RPL_ISUPPORT.code, nick, &params)
    };
    // A line's length without tokens; each token adds itself and a space
    // (a token never holds a space, so it is never the trailing part).
    let bare = line(&[]).len();
    let mut lines = Vec::new();
    let mut batch: Vec<&str> = Vec::new();
    let mut length = bare;
    for token in tokens {
        let too_long = length + 1 + token.len() > super::MAX_LINE_BYTES;
        if !batch.is_empty() && (too_long || batch.len() == TOKENS_PER_LINE) {
            lines.push(line(&batch));
            batch.clear();
            length = bare;
        }
        batch.push(token);
        length += 1 + token.len();
    }
    if !batch.is_empty() {
        lines.push(line(&batch));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_three_digits_and_unique() {
        let mut codes: Vec<&str> = ALL.iter().map(|n| n.code).collect();
        for code in &codes {
            assert!(code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()));
        }
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), ALL.len());
    }

    #[test]
    fn isupport_for_this_server() {
        let limits = Limits {
            network: "chatroom".into(),
            nick_len: 20,
            channel_len: 21,
            topic_len: 300,
            chan_limit: 10,
        };
        let lines = isupport_lines("srv", "alice", &isupport_tokens(&limits));
        assert_eq!(
            lines,
            [
                ":srv 005 alice CASEMAPPING=ascii CHANTYPES=# CHANLIMIT=#:10 NICKLEN=20 \
              CHANNELLEN=21 TOPICLEN=300 PREFIX=(o)@ NETWORK=chatroom \
              :are supported by this server\r\n"
            ]
        );
    }

    #[test]
    fn isupport_splits_into_several_lines() {
        let many: Vec<String> = (0..30).map(|n| format!("TOKEN{n}")).collect();
        let lines = isupport_lines("srv", "alice", &many);
        assert_eq!(lines.len(), 3);
        assert!(
            lines[0].contains("TOKEN12 :are") && lines[1].starts_with(":srv 005 alice TOKEN13 ")
        );
        let long: Vec<String> = (0..10)
            .map(|n| format!("T{n}={}", "x".repeat(100)))
            .collect();
        for line in isupport_lines("srv", "alice", &long) {
            assert!(line.len() <= 512);
        }
    }
}
