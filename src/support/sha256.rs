//! SHA-256 (FIPS 180-4 §6.2), the hash under the account passwords.
//!
//! std has no hash functions, and the design card allows no crates, so here
//! is the smallest clear version. Passwords are never hashed with this alone:
//! one SHA-256 takes under a microsecond, so a stolen accounts file could be
//! tried against billions of guesses a second. [`super::hmac`] turns it into
//! a keyed function and [`super::pbkdf2`] repeats that thousands of times with
//! a salt, which is what makes each guess slow.
//!
//! The algorithm has the same shape as SHA-1 (see [`super::sha1`]): pad the
//! message to a multiple of 64 bytes (a `1` bit, zeros, the length in bits as
//! a 64-bit big-endian number), then stir each 64-byte block into eight 32-bit
//! words with 64 rounds. The constants are the first 32 bits of the
//! fractional parts of the square roots (start) and cube roots (rounds) of the
//! first primes, so nobody could have chosen them to hide a weakness.
//!
//! [`Sha256`] takes the message in pieces (HMAC hashes a key block and then
//! the message without copying them together); [`sha256`] is the one-call
//! form.

/// The eight starting words (FIPS 180-4 §5.3.3).
const INITIAL: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// One constant per round (FIPS 180-4 §4.2.2).
const ROUND: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// How many bytes a digest has.
pub const DIGEST_BYTES: usize = 32;

/// How many bytes the hash reads at a time (HMAC pads its key to this).
pub const BLOCK_BYTES: usize = 64;

/// A SHA-256 computation fed in pieces: `new`, `update`…, `finish`.
#[derive(Clone)]
pub struct Sha256 {
    state: [u32; 8],
    /// Bytes not yet making a whole block.
    pending: Vec<u8>,
    /// How many bytes were fed in all (for the padding's length field).
    length: u64,
}

impl Default for Sha256 {
    fn default() -> Self {
        Self::new()
    }
}

impl Sha256 {
    pub fn new() -> Sha256 {
        Sha256 {
            state: INITIAL,
            pending: Vec::with_capacity(BLOCK_BYTES),
            length: 0,
        }
    }

    /// Feeds more of the message.
    pub fn update(&mut self, mut bytes: &[u8]) {
        self.length = self.length.wrapping_add(bytes.len() as u64);
        // Top up a partial block first, then whole blocks straight from
        // `bytes`, then keep the rest for later.
        if !self.pending.is_empty() {
            let wanted = (BLOCK_BYTES - self.pending.len()).min(bytes.len());
            self.pending.extend_from_slice(&bytes[..wanted]);
            bytes = &bytes[wanted..];
            if self.pending.len() == BLOCK_BYTES {
                let block = std::mem::take(&mut self.pending);
                compress(&mut self.state, &block);
                self.pending = block;
                self.pending.clear();
            }
        }
        let whole = bytes.len() / BLOCK_BYTES * BLOCK_BYTES;
        for block in bytes[..whole].chunks_exact(BLOCK_BYTES) {
            compress(&mut self.state, block);
        }
        self.pending.extend_from_slice(&bytes[whole..]);
    }

    /// Pads the message and returns its digest.
    pub fn finish(mut self) -> [u8; DIGEST_BYTES] {
        let bit_length = self.length.wrapping_mul(8);
        let mut tail = std::mem::take(&mut self.pending);
        tail.push(0x80);
        while tail.len() % BLOCK_BYTES != 56 {
            tail.push(0);
        }
        tail.extend_from_slice(&bit_length.to_be_bytes());
        for block in tail.chunks_exact(BLOCK_BYTES) {
            compress(&mut self.state, block);
        }
        let mut digest = [0u8; DIGEST_BYTES];
        for (bytes, word) in digest.chunks_exact_mut(4).zip(self.state) {
            bytes.copy_from_slice(&word.to_be_bytes());
        }
        digest
    }
}

/// The SHA-256 digest of `message`.
pub fn sha256(message: &[u8]) -> [u8; DIGEST_BYTES] {
    let mut hash = Sha256::new();
    hash.update(message);
    hash.finish()
}

/// Stirs one 64-byte block into the state (FIPS 180-4 §6.2.2).
fn compress(state: &mut [u32; 8], block: &[u8]) {
    // The message schedule: 16 words from the block, 48 more derived.
    let mut w = [0u32; 64];
    for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    for t in 16..64 {
        let s0 = w[t - 15].rotate_right(7) ^ w[t - 15].rotate_right(18) ^ (w[t - 15] >> 3);
        let s1 = w[t - 2].rotate_right(17) ^ w[t - 2].rotate_right(19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16]
            .wrapping_add(s0)
            .wrapping_add(w[t - 7])
            .wrapping_add(s1);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for t in 0..64 {
        let big_s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let choose = (e & f) ^ (!e & g);
        let t1 = h
            .wrapping_add(big_s1)
            .wrapping_add(choose)
            .wrapping_add(ROUND[t])
            .wrapping_add(w[t]);
        let big_s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let majority = (a & b) ^ (a & c) ^ (b & c);
        let t2 = big_s0.wrapping_add(majority);
        h = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
    }
    for (word, add) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *word = word.wrapping_add(add);
    }
}

/// Lower-case hexadecimal, for the accounts file and the tests.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of lower- or upper-case hexadecimal text, or `None` when the text
/// is not an even number of hex digits.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples published with FIPS 180-4 (NIST's "SHA256.pdf" and
    /// "SHA2_Additional.pdf").
    #[test]
    fn fips_180_examples() {
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha256(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        assert_eq!(
            hex(&sha256(&vec![b'a'; 1_000_000])),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // SHA2_Additional: one byte 0xbd; four bytes c98c8e55.
        assert_eq!(
            hex(&sha256(&[0xbd])),
            "68325720aabd7c82f30f554b313d0570c95accbb7dc4b5aae11204c08ffe732b"
        );
        assert_eq!(
            hex(&sha256(&[0xc9, 0x8c, 0x8e, 0x55])),
            "7abc22c0ae5af26ce93dbb94433a0e0b2e119d014f8e7f65bd56c61ccccd9504"
        );
    }

    #[test]
    fn pieces_give_the_same_digest_as_one_call() {
        let message: Vec<u8> = (0..200u8).collect();
        for split in [0, 1, 55, 56, 63, 64, 65, 128, 199, 200] {
            let mut hash = Sha256::new();
            hash.update(&message[..split]);
            hash.update(&message[split..]);
            assert_eq!(hash.finish(), sha256(&message), "split at {split}");
        }
        let mut bytewise = Sha256::new();
        for byte in &message {
            bytewise.update(&[*byte]);
        }
        assert_eq!(bytewise.finish(), sha256(&message));
    }

    #[test]
    fn hex_round_trips_and_rejects_junk() {
        assert_eq!(from_hex("00ff10Ab"), Some(vec![0, 255, 16, 0xab]));
        assert_eq!(from_hex(&hex(&[1, 2, 254])), Some(vec![1, 2, 254]));
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
        assert_eq!(from_hex("é1"), None);
        assert_eq!(from_hex(""), Some(vec![]));
    }
}
