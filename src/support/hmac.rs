//! HMAC-SHA-256 (RFC 2104, tested with RFC 4231's vectors): a hash with a
//! key, the building block of [`super::pbkdf2`].
//!
//! Why not `sha256(key ‖ message)`? Because SHA-256 lets anyone who knows
//! that digest compute the digest of `key ‖ message ‖ padding ‖ more`
//! without the key (a *length-extension*). HMAC hashes twice with the key
//! folded in both times:
//!
//! ```text
//! HMAC(K, m) = H((K' ⊕ opad) ‖ H((K' ⊕ ipad) ‖ m))
//! ```
//!
//! where `K'` is the key padded with zeros to one 64-byte block (a longer key
//! is hashed first), `ipad` is 64 bytes of 0x36 and `opad` 64 bytes of 0x5c.
//!
//! PBKDF2 calls HMAC thousands of times with the same key (the password), so
//! [`HmacKey`] hashes the two padded key blocks once and each call continues
//! from those saved states: the same result, half the work.

use super::sha256::{Sha256, BLOCK_BYTES, DIGEST_BYTES};

/// A key ready for many HMAC computations.
#[derive(Clone)]
pub struct HmacKey {
    /// SHA-256 after the block `K' ⊕ ipad`.
    inner: Sha256,
    /// SHA-256 after the block `K' ⊕ opad`.
    outer: Sha256,
}

impl HmacKey {
    pub fn new(key: &[u8]) -> HmacKey {
        let mut block = [0u8; BLOCK_BYTES];
        if key.len() > BLOCK_BYTES {
            block[..DIGEST_BYTES].copy_from_slice(&super::sha256::sha256(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let mut inner = Sha256::new();
        inner.update(&block.map(|b| b ^ 0x36));
        let mut outer = Sha256::new();
        outer.update(&block.map(|b| b ^ 0x5c));
        HmacKey { inner, outer }
    }

    /// HMAC of `message` under this key.
    pub fn mac(&self, message: &[u8]) -> [u8; DIGEST_BYTES] {
        let mut inner = self.inner.clone();
        inner.update(message);
        let mut outer = self.outer.clone();
        outer.update(&inner.finish());
        outer.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::super::sha256::{from_hex, hex};
    use super::*;

    fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; DIGEST_BYTES] {
        HmacKey::new(key).mac(message)
    }

    fn bytes(text: &str) -> Vec<u8> {
        from_hex(text).unwrap()
    }

    /// RFC 4231 §4.2–4.8, test cases 1–7 (case 5's output is truncated to
    /// 128 bits by the RFC, so only its first 16 bytes are compared).
    #[test]
    fn rfc_4231_vectors() {
        let cases: [(Vec<u8>, Vec<u8>, &str); 7] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                bytes("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0x0c; 20],
                b"Test With Truncation".to_vec(),
                "a3b6167473100ee06e0c796c2955552b",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".to_vec(),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (number, (key, message, expected)) in cases.iter().enumerate() {
            let mac = hex(&hmac_sha256(key, message));
            assert_eq!(
                &mac[..expected.len()],
                *expected,
                "test case {}",
                number + 1
            );
        }
    }

    #[test]
    fn a_saved_key_gives_the_same_mac_every_time() {
        let key = HmacKey::new(b"key");
        assert_eq!(key.mac(b"one"), hmac_sha256(b"key", b"one"));
        assert_eq!(key.mac(b"two"), hmac_sha256(b"key", b"two"));
        assert_ne!(key.mac(b"one"), key.mac(b"two"));
    }
}
