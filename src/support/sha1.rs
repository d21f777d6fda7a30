//! SHA-1 (FIPS 180-4), for the one place the chat needs it: the WebSocket
//! handshake's `Sec-WebSocket-Accept` (RFC 6455 §4.2.2).
//!
//! std has no hash functions beyond `Hasher` (which is not SHA-1), and the
//! design card allows no crates, so here is the smallest clear version. SHA-1
//! is broken for collision resistance, and that does not matter here: the
//! handshake uses it only to prove that the server understood the upgrade
//! request, not to protect anything. Do not use this module for passwords or
//! signatures.
//!
//! The algorithm, as FIPS 180-4 §6.1 writes it: pad the message to a multiple
//! of 64 bytes (a `1` bit, zeros, then the message length in bits as a 64-bit
//! big-endian number), then stir each 64-byte block into five 32-bit words
//! with 80 rounds of additions, rotations and bit functions.

/// The five starting words (FIPS 180-4 §5.3.1).
const INITIAL: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// The SHA-1 digest (20 bytes) of `message`.
pub fn sha1(message: &[u8]) -> [u8; 20] {
    let mut state = INITIAL;
    // Every whole block of the message, then the padded tail (one or two
    // blocks): padding never needs more than 1 + 8 extra bytes.
    let whole = message.len() / 64 * 64;
    for block in message[..whole].chunks_exact(64) {
        compress(&mut state, block);
    }
    let mut tail = message[whole..].to_vec();
    tail.push(0x80);
    while tail.len() % 64 != 56 {
        tail.push(0);
    }
    let bit_length = (message.len() as u64).wrapping_mul(8);
    tail.extend_from_slice(&bit_length.to_be_bytes());
    for block in tail.chunks_exact(64) {
        compress(&mut state, block);
    }
    let mut digest = [0u8; 20];
    for (bytes, word) in digest.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

/// Stirs one 64-byte block into the state (FIPS 180-4 §6.1.2).
fn compress(state: &mut [u32; 5], block: &[u8]) {
    // The message schedule: 16 words from the block, 64 more derived.
    let mut w = [0u32; 80];
    for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    for t in 16..80 {
        w[t] = (w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]).rotate_left(1);
    }
    let [mut a, mut b, mut c, mut d, mut e] = *state;
    for (t, &word) in w.iter().enumerate() {
        // Four groups of 20 rounds, each with its own function and constant.
        let (f, k) = match t {
            0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
            20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
            40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
            _ => (b ^ c ^ d, 0xCA62_C1D6),
        };
        let next = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(word);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = next;
    }
    for (word, add) in state.iter_mut().zip([a, b, c, d, e]) {
        *word = word.wrapping_add(add);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The examples published with FIPS 180 (and in NIST's example files).
    #[test]
    fn fips_180_examples() {
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&sha1(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            hex(&sha1(&vec![b'a'; 1_000_000])),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }

    #[test]
    fn empty_and_block_boundaries() {
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        // 55, 56 and 64 bytes: the tail needs one block, two blocks, one block.
        assert_eq!(
            hex(&sha1(&[b'a'; 55])),
            "c1c8bbdc22796e28c0e15163d20899b65621d65a"
        );
        assert_eq!(
            hex(&sha1(&[b'a'; 56])),
            "c2db330f6083854c99d4b5bfb6e8f29f201be699"
        );
        assert_eq!(
            hex(&sha1(&[b'a'; 64])),
            "0098ba824b5c16427bd7a1122a5a442a25ec644d"
        );
    }
}
