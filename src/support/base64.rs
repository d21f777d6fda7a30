//! Base64 (RFC 4648 §4, the standard alphabet with `=` padding), both ways.
//!
//! The WebSocket handshake needs it twice: the browser's `Sec-WebSocket-Key`
//! is 16 random bytes in base64 (the server checks that it decodes to 16
//! bytes), and the server's `Sec-WebSocket-Accept` is a SHA-1 digest in
//! base64. std has no base64, so here it is.
//!
//! Base64 writes every 3 bytes (24 bits) as 4 characters of 6 bits each, from
//! a 64-letter alphabet. A last group of 1 or 2 bytes becomes 2 or 3
//! characters, and `=` fills the group up to 4.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `bytes` in base64, padded.
pub fn encode(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let b = [
            group[0],
            *group.get(1).unwrap_or(&0),
            *group.get(2).unwrap_or(&0),
        ];
        let bits = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        // A group of n bytes fills n + 1 characters; the rest are padding.
        for i in 0..4 {
            if i <= group.len() {
                let index = (bits >> (18 - 6 * i)) & 0x3F;
                text.push(char::from(ALPHABET[index as usize]));
            } else {
                text.push('=');
            }
        }
    }
    text
}

/// The bytes that `text` encodes, or `None` if it is not padded base64
/// (wrong length, a letter outside the alphabet, misplaced `=`, or stray
/// bits in the last character, which RFC 4648 §3.5 lets a decoder refuse).
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let mut bytes = Vec::with_capacity(text.len() / 4 * 3);
    for (n, group) in text.chunks_exact(4).enumerate() {
        let last = n == text.len() / 4 - 1;
        let padding = group.iter().rev().take_while(|&&c| c == b'=').count();
        if padding > 2 || (padding > 0 && !last) {
            return None;
        }
        let mut bits = 0u32;
        for &c in &group[..4 - padding] {
            bits = bits << 6 | u32::from(value(c)?);
        }
        bits <<= 6 * padding;
        let group_bytes = [(bits >> 16) as u8, (bits >> 8) as u8, bits as u8];
        let kept = 3 - padding;
        // Bits beyond the kept bytes must be zero, or two texts would decode
        // to the same bytes.
        if group_bytes[kept..].iter().any(|&b| b != 0) {
            return None;
        }
        bytes.extend_from_slice(&group_bytes[..kept]);
    }
    Some(bytes)
}

/// A letter's 6-bit value, or `None` for anything outside the alphabet.
fn value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4648 §10's test vectors.
    const VECTORS: [(&str, &str); 7] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn rfc_4648_vectors_both_ways() {
        for (plain, encoded) in VECTORS {
            assert_eq!(encode(plain.as_bytes()), encoded);
            assert_eq!(decode(encoded).as_deref(), Some(plain.as_bytes()));
        }
    }

    #[test]
    fn every_byte_value_round_trips() {
        let bytes: Vec<u8> = (0..=255).collect();
        for len in 0..bytes.len() {
            assert_eq!(decode(&encode(&bytes[..len])), Some(bytes[..len].to_vec()));
        }
    }

    #[test]
    fn malformed_text_is_refused() {
        for bad in [
            "Zg", "Zg=", "Z===", "Zg==Zm8=", "Zm9v!A==", "Zh==", "Zm9=", " Zm9v",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
