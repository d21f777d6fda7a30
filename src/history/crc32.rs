//! CRC-32 (the one zip, gzip and PNG use), which std does not have: the
//! check at the end of every history record.
//!
//! Why a CRC and not a cryptographic hash? The check only has to catch
//! accidents — a record cut short by a full disk or a crash, a line mangled
//! by an editor — not forgery: anyone who can write the file can also
//! recompute the check. A CRC-32 catches every cut and every error of up to
//! 32 bits in a row, and misses random damage once in four billion.
//!
//! The table is computed at compile time (`const fn`), so there is no
//! start-up cost and no global state.

/// The reflected polynomial of CRC-32 (IEEE 802.3).
const POLYNOMIAL: u32 = 0xEDB8_8320;

/// The CRC of every byte value, so each input byte costs one lookup.
const TABLE: [u32; 256] = make_table();

const fn make_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut crc = byte as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLYNOMIAL
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[byte] = crc;
        byte += 1;
    }
    table
}

/// The CRC-32 of `bytes`.
pub fn checksum(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc = TABLE[((crc ^ byte as u32) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_check_values() {
        // The "check" value of the CRC catalogue (reveng.sourceforge.io):
        // CRC-32/ISO-HDLC of the ASCII digits 1 to 9.
        assert_eq!(checksum(b"123456789"), 0xCBF4_3926);
        assert_eq!(checksum(b""), 0);
        assert_eq!(
            checksum(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }
}
