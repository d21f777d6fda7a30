//! Which strings a text setting accepts: the [`Rule`] a text row names,
//! and the one check ([`accept`]) that a text value passes whichever way
//! it was given: in the file, in the environment or as a flag.
//!
//! A rule is a name rather than a function in the row so that the row can
//! also say, in words, what it accepts (`Setting::expected` matches on the
//! rule), and so that the secret rule can be recognised: passwords are
//! never printed and have no flag. Checking is kept apart from the rows
//! because it is code with cases to test (what an origin is, which room
//! names are allowed), while the rows are data.
//!
//! A value that passes is returned as it is to be stored: a room name gains
//! its `#` here, so `lab` in the file is stored as `#lab`.

use std::net::IpAddr;

use crate::settings::server::FsyncPolicy;
use crate::text::names;

/// Which strings a text setting accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Any string.
    Any,
    /// An IP address: `0.0.0.0`, `127.0.0.1`, `::1`.
    Address,
    /// A directory name; not empty.
    Directory,
    /// A room name ([`names::normalize_room`]), stored with its `#`, or "" for none.
    Room,
    /// `always`, `interval` or `never`.
    Fsync,
    /// A password: any string, "" means none. Never printed, and no flag.
    Secret,
    /// A server name as IRC shows it: 1-63 ASCII letters, digits, `.`, `-`.
    ServerName,
    /// Web origins separated by spaces, each `http://…` or `https://…`
    /// with no path (what browsers send in `Origin`); "" for none.
    Origins,
}

/// The string as stored if `rule` allows it.
pub(super) fn accept(rule: Rule, text: String) -> Option<String> {
    let allowed = match rule {
        Rule::Any | Rule::Secret => true,
        Rule::Address => text.parse::<IpAddr>().is_ok(),
        Rule::Directory => !text.is_empty(),
        Rule::ServerName => {
            (1..=63).contains(&text.len())
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        }
        Rule::Fsync => text.parse::<FsyncPolicy>().is_ok(),
        Rule::Room if text.is_empty() => true,
        Rule::Room => return names::normalize_room(&text),
        Rule::Origins => text.split_whitespace().all(is_origin),
    };
    allowed.then_some(text)
}

/// Is `text` an origin as a browser sends it: a scheme, `://`, a host (and
/// port), nothing after? `http://10.0.0.5:7007/` with its slash would never
/// match what a browser sends, so it is refused rather than ignored.
fn is_origin(text: &str) -> bool {
    let host = text
        .strip_prefix("http://")
        .or_else(|| text.strip_prefix("https://"));
    host.is_some_and(|host| !host.is_empty() && !host.contains(['/', '?', '#']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked_word_by_word() {
        assert!(accept(Rule::Origins, String::new()).is_some());
        assert!(accept(Rule::Origins, "http://a:8080  https://b.example".into()).is_some());
        for wrong in [
            "a.example",
            "http://",
            "http://a/",
            "ftp://a",
            "http://a http://b/x",
        ] {
            assert!(accept(Rule::Origins, wrong.into()).is_none(), "{wrong}");
        }
    }
}
