//! A password as the accounts file stores it, and the one-time codes a
//! teacher hands out.
//!
//! Stored form, one field of the accounts file:
//!
//! ```text
//! pbkdf2-sha256$100000$<salt, 32 hex digits>$<hash, 64 hex digits>
//! ```
//!
//! - The scheme and its iteration count are stored with each hash, so the
//!   count can be raised later and old hashes still check (the count a new
//!   hash gets is [`crate::support::pbkdf2::ITERATIONS`] unless the caller
//!   chose another; the measurement that chose it is in docs/design.md).
//! - The salt is 16 bytes from the kernel's randomness, new for every
//!   password, so equal passwords have different hashes.
//! - [`Stored::check`] compares with `constant_time_eq`
//!   (`src/support/secret.rs`), so the time a wrong guess takes says nothing
//!   about how close it was.
//!
//! A one-time code is stored the same way (only its hash is kept), and the
//! teacher sees it once, when `accounts add` or `accounts reset` prints it.

use crate::support::pbkdf2::pbkdf2_hmac_sha256;
use crate::support::secret::{constant_time_eq, random_text, read_random_bytes};
use crate::support::sha256::{from_hex, hex};
use std::io;

/// The scheme's name in the stored form.
const SCHEME: &str = "pbkdf2-sha256";
const SALT_BYTES: usize = 16;
const HASH_BYTES: usize = 32;
/// Characters in a one-time code: 10 from a 56-character alphabet is about
/// 58 bits, far beyond guessing at three tries a minute, and quick to copy.
pub const CODE_CHARS: usize = 10;
/// The fewest iterations a stored hash may have: below this a hash is too
/// fast to protect anything, so the file is treated as damaged.
pub const MIN_ITERATIONS: u32 = 1_000;
/// The shortest password a student may choose.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// A salted, slow hash of a password or code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub iterations: u32,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

impl Stored {
    /// Hashes `password` with a fresh random salt.
    pub fn new(password: &str, iterations: u32) -> io::Result<Stored> {
        let mut salt = vec![0u8; SALT_BYTES];
        read_random_bytes(&mut salt)?;
        Ok(Stored::with_salt(password, salt, iterations))
    }

    fn with_salt(password: &str, salt: Vec<u8>, iterations: u32) -> Stored {
        let mut hash = vec![0u8; HASH_BYTES];
        pbkdf2_hmac_sha256(password.as_bytes(), &salt, iterations, &mut hash);
        Stored {
            iterations,
            salt,
            hash,
        }
    }

    /// Is `password` the one this was made from? Takes the same time
    /// whatever it is (the hash work, then a constant-time compare).
    pub fn check(&self, password: &str) -> bool {
        let mut hash = vec![0u8; self.hash.len()];
        pbkdf2_hmac_sha256(password.as_bytes(), &self.salt, self.iterations, &mut hash);
        constant_time_eq(&hash, &self.hash)
    }

    /// The stored form (see the module notes).
    pub fn to_text(&self) -> String {
        format!(
            "{SCHEME}${}${}${}",
            self.iterations,
            hex(&self.salt),
            hex(&self.hash)
        )
    }

    /// Reads the stored form; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Stored, String> {
        let parts: Vec<&str> = text.split('$').collect();
        let [scheme, iterations, salt, hash] = parts[..] else {
            return Err(format!(
                "a password hash has four parts, {SCHEME}$ITERATIONS$SALT$HASH"
            ));
        };
        if scheme != SCHEME {
            return Err(format!(
                "unknown password scheme \"{scheme}\" (expected {SCHEME})"
            ));
        }
        let iterations: u32 = iterations
            .parse()
            .ok()
            .filter(|n| *n >= MIN_ITERATIONS)
            .ok_or(format!(
                "the iteration count must be a number of at least {MIN_ITERATIONS}"
            ))?;
        let salt = from_hex(salt)
            .filter(|s| s.len() == SALT_BYTES)
            .ok_or(format!("the salt must be {} hex digits", SALT_BYTES * 2))?;
        let hash = from_hex(hash)
            .filter(|h| h.len() == HASH_BYTES)
            .ok_or(format!("the hash must be {} hex digits", HASH_BYTES * 2))?;
        Ok(Stored {
            iterations,
            salt,
            hash,
        })
    }
}

/// A new one-time code.
pub fn new_code() -> io::Result<String> {
    random_text(CODE_CHARS)
}

/// Is `password` acceptable as a student's own password? `Err` says why, in
/// words for the student.
pub fn check_new_password(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "choose a password of at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if password.chars().any(char::is_control) {
        return Err("a password cannot contain control characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_right_password_checks_and_others_do_not() {
        let stored = Stored::new("correct horse", MIN_ITERATIONS).unwrap();
        assert!(stored.check("correct horse"));
        assert!(!stored.check("correct hors"));
        assert!(!stored.check("Correct horse"));
        assert!(!stored.check(""));
    }

    #[test]
    fn equal_passwords_get_different_salts_and_hashes() {
        let a = Stored::new("same", MIN_ITERATIONS).unwrap();
        let b = Stored::new("same", MIN_ITERATIONS).unwrap();
        assert_ne!(a.to_text(), b.to_text());
    }

    #[test]
    fn the_stored_form_round_trips_and_matches_pbkdf2() {
        let stored = Stored::with_salt("passwd", b"0123456789abcdef".to_vec(), 1000);
        let text = stored.to_text();
        assert!(text.starts_with("pbkdf2-sha256$1000$30313233343536373839616263646566$"));
        let mut expected = [0u8; 32];
        pbkdf2_hmac_sha256(b"passwd", b"0123456789abcdef", 1000, &mut expected);
        assert!(text.ends_with(&hex(&expected)));
        assert_eq!(Stored::parse(&text), Ok(stored));
    }

    #[test]
    fn damaged_stored_forms_say_what_is_wrong() {
        let good = Stored::new("x", MIN_ITERATIONS).unwrap().to_text();
        let parts: Vec<&str> = good.split('$').collect();
        let cases = [
            ("md5$1$2$3".to_string(), "unknown password scheme"),
            ("pbkdf2-sha256$1000$ab".to_string(), "four parts"),
            (good.replace("$1000$", "$10$"), "at least 1000"),
            (good.replace(parts[2], "zz"), "salt"),
            (format!("{}0", good), "hash"),
        ];
        for (text, words) in cases {
            let error = Stored::parse(&text).unwrap_err();
            assert!(error.contains(words), "{text}: {error}");
        }
    }

    #[test]
    fn new_passwords_are_long_enough_and_printable() {
        assert!(check_new_password("eight ch").is_ok());
        assert!(check_new_password("seven c").is_err());
        assert!(check_new_password("with\ttab!").is_err());
        let code = new_code().unwrap();
        assert_eq!(code.len(), CODE_CHARS);
    }
}
