//! The operator password: made from the operating system's randomness, and
//! checked in a way that does not give it away through timing.
//!
//! The server prints a fresh password once at start, so only the person at
//! the server's terminal (the teacher) can become operator. Two things make
//! such a password worth having:
//!
//! - It must be unguessable. std has no random number generator, and the
//!   clock or the process id are guessable, so [`random_password`] reads the
//!   kernel's cryptographic randomness from `/dev/urandom`. Each character is
//!   drawn from an alphabet without look-alikes (no `0`/`O`/`o`, `1`/`l`/`I`),
//!   because the password is read off a projector and typed by hand.
//! - Checking it must not leak it. The obvious `typed == password` stops at
//!   the first byte that differs, so a wrong guess with a correct first byte
//!   takes a little longer than one without. Over many tries an attacker can
//!   measure that and find the password one byte at a time (a *timing
//!   attack*). [`constant_time_eq`] looks at every byte whatever it finds.

use std::io;

/// How many characters a password has. 16 characters from a 56-character
/// alphabet are about 93 bits of randomness: far beyond guessing over a
/// network, still short enough to type from the board.
pub const PASSWORD_CHARS: usize = 16;

/// The characters a password is made of: digits, upper and lower case letters,
/// minus the ones people confuse when reading them (`0 O o 1 l I`).
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz";

/// A random byte is used only below this bound, the largest multiple of the
/// alphabet's size that fits in a byte (4 × 56 = 224). Taking `byte % 56` of
/// every byte would make the first 32 characters (256 − 224) a little more
/// likely than the rest; rejecting the bytes from 224 up keeps every
/// character exactly equally likely (*rejection sampling*).
const USABLE_BYTES_BELOW: usize = 256 - 256 % ALPHABET.len();

/// A new random password of [`PASSWORD_CHARS`] characters.
///
/// Unix only: it reads `/dev/urandom`. Elsewhere it returns an error of kind
/// `Unsupported`, and the caller reports it as one line, because a server must
/// not invent a weak password silently.
pub fn random_password() -> io::Result<String> {
    random_text(PASSWORD_CHARS)
}

/// `chars` random characters from the same alphabet (an account's one-time
/// code is one of these, shorter than the operator password because it
/// lives only until the student's first login).
pub fn random_text(chars: usize) -> io::Result<String> {
    let mut password = String::with_capacity(chars);
    // Reading a batch at a time: most bytes are usable, so one read of 32
    // bytes is nearly always enough, and the loop handles the rare rest.
    let mut random = [0u8; 32];
    while password.len() < chars {
        read_random_bytes(&mut random)?;
        for &byte in &random {
            if password.len() == chars {
                break;
            }
            if let Some(c) = alphabet_char(byte) {
                password.push(c);
            }
        }
    }
    Ok(password)
}

/// The alphabet character for a random byte, or `None` when the byte must be
/// rejected to keep all characters equally likely.
fn alphabet_char(byte: u8) -> Option<char> {
    let value = usize::from(byte);
    if value < USABLE_BYTES_BELOW {
        Some(char::from(ALPHABET[value % ALPHABET.len()]))
    } else {
        None
    }
}

/// Fills `buffer` from the kernel's cryptographic random source (salts and
/// session tokens use it directly).
/// `read_exact`, not `read`: a short read would leave zeros in the buffer,
/// and zeros are not random.
#[cfg(unix)]
pub fn read_random_bytes(buffer: &mut [u8]) -> io::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(buffer)
}

#[cfg(not(unix))]
pub fn read_random_bytes(_buffer: &mut [u8]) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no random source: /dev/urandom exists on Unix only",
    ))
}

/// Are `a` and `b` equal? Takes the same time wherever they differ.
///
/// Every byte position up to the longer length is compared and the
/// differences are collected with `|`, so the loop never ends early. The
/// lengths are folded into the same result instead of being compared first,
/// so a guess of the wrong length runs the same loop too. What the time still
/// depends on is the longer of the two lengths — and since the attacker picks
/// the length of the guess, a guess at least as long as the password reveals
/// nothing about it.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut difference = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        // black_box keeps the optimiser from turning the loop back into one
        // that stops as soon as `difference` is non-zero.
        difference = std::hint::black_box(difference | usize::from(x ^ y));
    }
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_has_no_look_alikes_and_no_repeats() {
        for confusable in b"0Oo1lI" {
            assert!(
                !ALPHABET.contains(confusable),
                "{}",
                char::from(*confusable)
            );
        }
        let mut sorted = ALPHABET.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ALPHABET.len());
        assert_eq!(ALPHABET.len(), 56);
    }

    #[test]
    fn every_character_is_equally_likely_over_all_bytes() {
        let mut counts = [0usize; 256];
        for byte in 0..=255u8 {
            if let Some(c) = alphabet_char(byte) {
                counts[c as usize] += 1;
            }
        }
        for &c in ALPHABET {
            assert_eq!(counts[usize::from(c)], 4, "{}", char::from(c));
        }
        assert_eq!(alphabet_char(223), Some('z'));
        assert_eq!(alphabet_char(224), None);
        assert_eq!(alphabet_char(255), None);
    }

    #[cfg(unix)]
    #[test]
    fn passwords_have_the_length_and_alphabet_and_differ() {
        let first = random_password().unwrap();
        let second = random_password().unwrap();
        for password in [&first, &second] {
            assert_eq!(password.len(), PASSWORD_CHARS);
            assert!(
                password.bytes().all(|b| ALPHABET.contains(&b)),
                "{password}"
            );
        }
        // Two equal 93-bit passwords would mean the randomness is broken.
        assert_ne!(first, second);
    }

    #[test]
    fn equal_only_when_bytes_and_lengths_match() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"hunter2", b"hunter2"));
        assert!(!constant_time_eq(b"hunter2", b"hunter3"));
        assert!(!constant_time_eq(b"hunter2", b"Hunter2"));
        assert!(!constant_time_eq(b"hunter2", b"hunter"));
        assert!(!constant_time_eq(b"hunter", b"hunter2"));
        assert!(!constant_time_eq(b"", b"x"));
        // Padding the shorter one with zeros must not make them equal.
        assert!(!constant_time_eq(b"ab", b"ab\0"));
        assert!(!constant_time_eq(b"ab\0", b"ab"));
    }
}
