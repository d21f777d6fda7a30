//! Sessions: how the browser page stays logged in across a reload without
//! keeping the password.
//!
//! After a login the page asks for a session (`SESSION`) and gets a random
//! token: 32 bytes from the kernel's randomness, as 64 hex digits. The page
//! keeps it in the browser's `localStorage` and sends it (`SESSION <token>`)
//! when it loads again. The server keeps only the token's SHA-256, so a
//! look at the server's memory (or a future file of sessions) does not hand
//! out logins; a token has 256 bits, so no guessing rate matters and a fast
//! hash is enough (a password needs a slow one because people choose short
//! ones).
//!
//! A session ends:
//! - after [`LIFETIME`] (a school day: the page logs in again the next
//!   morning);
//! - on `LOGOUT` (that session);
//! - when the account's secret changes — `accounts reset` or a new password
//!   — because each session remembers the stored hash it was made under and
//!   is only good while the account still has it;
//! - when the server restarts (sessions live in memory).

use super::password::Stored;
use crate::support::secret::read_random_bytes;
use crate::support::sha256::{from_hex, hex, sha256};
use std::collections::HashMap;
use std::io;
use std::time::{Duration, Instant};

/// How long a session lasts.
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// How many bytes of randomness a token has.
const TOKEN_BYTES: usize = 32;

/// The SHA-256 of a token: what the server keeps.
pub type TokenHash = [u8; 32];

/// One session.
#[derive(Debug, Clone)]
struct Session {
    account: String,
    /// The account's stored secret when the session began.
    secret: String,
    expires: Instant,
}

/// Every live session.
#[derive(Debug, Default)]
pub struct Sessions {
    by_hash: HashMap<TokenHash, Session>,
}

impl Sessions {
    /// A new session for `account` (whose stored secret is `secret`): the
    /// token to hand to the page once, and its hash to remember for logout.
    pub fn start(
        &mut self,
        account: &str,
        secret: &Stored,
        now: Instant,
    ) -> io::Result<(String, TokenHash)> {
        let mut bytes = [0u8; TOKEN_BYTES];
        read_random_bytes(&mut bytes)?;
        let token = hex(&bytes);
        let hash = sha256(token.as_bytes());
        self.by_hash.retain(|_, s| s.expires > now);
        self.by_hash.insert(
            hash,
            Session {
                account: account.to_string(),
                secret: secret.to_text(),
                expires: now + LIFETIME,
            },
        );
        Ok((token, hash))
    }

    /// The account a token logs in to, if the session is live and the
    /// account (looked up with `secret_of`) still has the secret it began
    /// under. A dead session is forgotten. Also returns the token's hash.
    pub fn check(
        &mut self,
        token: &str,
        now: Instant,
        secret_of: impl Fn(&str) -> Option<String>,
    ) -> Option<(String, TokenHash)> {
        // Only well-formed tokens are hashed and looked up.
        from_hex(token).filter(|b| b.len() == TOKEN_BYTES)?;
        let hash = sha256(token.as_bytes());
        let session = self.by_hash.get(&hash)?;
        let live =
            session.expires > now && secret_of(&session.account).as_ref() == Some(&session.secret);
        if !live {
            self.by_hash.remove(&hash);
            return None;
        }
        Some((session.account.clone(), hash))
    }

    /// Ends one session (`LOGOUT`).
    pub fn end(&mut self, hash: &TokenHash) {
        self.by_hash.remove(hash);
    }

    /// Ends every session of `account` (a new password).
    pub fn end_all(&mut self, account: &str) {
        self.by_hash
            .retain(|_, s| !s.account.eq_ignore_ascii_case(account));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_hash.len()
    }
}

#[cfg(test)]
mod tests {
    use super::super::password::MIN_ITERATIONS;
    use super::*;

    #[test]
    fn a_token_logs_in_until_it_expires_is_ended_or_the_secret_changes() {
        let mut sessions = Sessions::default();
        let secret = Stored::new("pw", MIN_ITERATIONS).unwrap();
        let text = secret.to_text();
        let now = Instant::now();
        let (token, hash) = sessions.start("alice", &secret, now).unwrap();
        assert_eq!(token.len(), 64);
        let same = |_: &str| Some(text.clone());
        assert_eq!(
            sessions.check(&token, now, same).map(|s| s.0),
            Some("alice".into())
        );
        assert_eq!(sessions.check(&token, now, same).map(|s| s.1), Some(hash));
        // Another token, a malformed one: nothing.
        assert!(sessions.check(&"0".repeat(64), now, same).is_none());
        assert!(sessions.check("alice", now, same).is_none());
        // Expired.
        assert!(sessions.check(&token, now + LIFETIME, same).is_none());
        assert_eq!(sessions.len(), 0);
        // A new secret (reset, new password) ends it.
        let (token, _) = sessions.start("alice", &secret, now).unwrap();
        assert!(sessions
            .check(&token, now, |_| Some("other".into()))
            .is_none());
        // The account removed.
        let (token, _) = sessions.start("alice", &secret, now).unwrap();
        assert!(sessions.check(&token, now, |_| None).is_none());
        // Logout, and every session of an account.
        let (token, hash) = sessions.start("alice", &secret, now).unwrap();
        sessions.end(&hash);
        assert!(sessions.check(&token, now, same).is_none());
        let (token, _) = sessions.start("alice", &secret, now).unwrap();
        sessions.end_all("Alice");
        assert!(sessions.check(&token, now, same).is_none());
    }

    #[test]
    fn the_token_itself_is_never_kept() {
        let mut sessions = Sessions::default();
        let secret = Stored::new("pw", MIN_ITERATIONS).unwrap();
        let (token, _) = sessions.start("alice", &secret, Instant::now()).unwrap();
        assert!(!format!("{sessions:?}").contains(&token));
    }
}
