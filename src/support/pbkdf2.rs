//! PBKDF2-HMAC-SHA-256 (RFC 8018 §5.2, tested with RFC 7914 §11's vectors):
//! how an account's password becomes what the accounts file stores.
//!
//! A password hash must be *slow* and *salted*:
//!
//! - Slow, because a stolen accounts file lets an attacker try guesses at
//!   the speed of their own machines. PBKDF2 runs HMAC `iterations` times in
//!   a chain, each round's output the next round's input, so one guess costs
//!   as much as one honest login. The count the server uses,
//!   [`ITERATIONS`], was measured on the class machine to take about 50–100
//!   ms (docs/design.md, "Account passwords"): unnoticed by a student who
//!   logs in once, a wall for someone trying a dictionary.
//! - Salted, because without a salt two students with the same password have
//!   the same hash, and one precomputed table of common passwords cracks
//!   every file at once. Each account gets 16 random bytes of salt.
//!
//! The algorithm: for each 32-byte block `i` of output,
//! `U1 = HMAC(P, S ‖ i)`, `Uj = HMAC(P, Uj-1)`, and the block is
//! `U1 ⊕ U2 ⊕ … ⊕ Uc`. A stronger scheme (scrypt, Argon2) also costs memory;
//! PBKDF2 is the one the issue asked for and the smallest to read.

use super::hmac::HmacKey;
use super::sha256::DIGEST_BYTES;

/// The iteration count new password hashes use. Each stored hash carries its
/// own count, so raising this later does not lock anyone out.
pub const ITERATIONS: u32 = 100_000;

/// Fills `output` with PBKDF2-HMAC-SHA-256 of `password` and `salt`.
pub fn pbkdf2_hmac_sha256(password: &[u8], salt: &[u8], iterations: u32, output: &mut [u8]) {
    let key = HmacKey::new(password);
    for (index, block) in output.chunks_mut(DIGEST_BYTES).enumerate() {
        // Block numbers count from 1, as a 32-bit big-endian number.
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let mut first = salt.to_vec();
        first.extend_from_slice(&number.to_be_bytes());
        let mut u = key.mac(&first);
        let mut sum = u;
        for _ in 1..iterations {
            u = key.mac(&u);
            for (s, b) in sum.iter_mut().zip(u) {
                *s ^= b;
            }
        }
        block.copy_from_slice(&sum[..block.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::super::sha256::hex;
    use super::*;

    /// RFC 7914 §11: PBKDF2-HMAC-SHA256 with P="passwd", S="salt", c=1,
    /// dkLen=64.
    #[test]
    fn rfc_7914_vector_one_iteration() {
        let mut output = [0u8; 64];
        pbkdf2_hmac_sha256(b"passwd", b"salt", 1, &mut output);
        assert_eq!(
            hex(&output),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc\
             49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        );
    }

    /// RFC 7914 §11: P="Password", S="NaCl", c=80000, dkLen=64. The vector
    /// that proves the chaining; about a second in a debug build.
    #[test]
    fn rfc_7914_vector_80000_iterations() {
        let mut output = [0u8; 64];
        pbkdf2_hmac_sha256(b"Password", b"NaCl", 80_000, &mut output);
        assert_eq!(
            hex(&output),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56\
             a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"
        );
    }

    #[test]
    fn a_short_output_is_the_start_of_a_long_one() {
        let mut long = [0u8; 40];
        let mut short = [0u8; 20];
        pbkdf2_hmac_sha256(b"pw", b"salt", 3, &mut long);
        pbkdf2_hmac_sha256(b"pw", b"salt", 3, &mut short);
        assert_eq!(long[..20], short);
    }
}
