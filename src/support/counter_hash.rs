//! A hash for numbers the server hands out itself, such as connection ids.
//!
//! std's `HashMap` hashes with SipHash, which is built so that someone who
//! chooses the keys (a client's names, for instance) cannot make every key
//! land in the same bucket and turn each lookup into a scan. A connection
//! id is a counter the server picks, so nobody chooses those keys, and the
//! state looks one up for every line it delivers: twice per member for a
//! message to a room. There one multiplication is hash enough: by an odd
//! constant (2⁶⁴ divided by the golden ratio, Knuth's multiplicative
//! hashing), it maps consecutive numbers to words whose low bits (the
//! bucket) and high bits (the table's tag) both differ. What it saved:
//! `docs/design.md`, "Who writes".
//!
//! Names, rooms and anything else a client can choose keep std's hasher.

use std::hash::{BuildHasherDefault, Hasher};

/// 2⁶⁴ / φ, rounded to odd.
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// A `HashMap`'s hasher for keys the server counts out itself.
pub type CounterHash = BuildHasherDefault<CounterHasher>;

/// See the module notes.
#[derive(Default, Clone, Copy)]
pub struct CounterHasher(u64);

impl Hasher for CounterHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(GOLDEN);
    }

    /// Any other key type: each byte folded in the same way (not used by
    /// the server's own keys, which are `u64`; here so the type is whole).
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};
    use std::hash::BuildHasher;

    #[test]
    fn consecutive_ids_spread_over_buckets_and_tags() {
        let hash = |n: u64| CounterHash::default().hash_one(n);
        // 4,096 consecutive ids in a table of 4,096 buckets: every bucket
        // used once (the low 12 bits are a bijection of the id's), and the
        // top 7 bits (the tag a bucket's group is searched by) all used.
        let buckets: HashSet<u64> = (1_000..5_096).map(|n| hash(n) & 4_095).collect();
        assert_eq!(buckets.len(), 4_096);
        let tags: HashSet<u64> = (1_000..5_096).map(|n| hash(n) >> 57).collect();
        assert_eq!(tags.len(), 128);
    }

    #[test]
    fn a_map_keyed_by_ids_finds_what_it_holds() {
        let mut map: HashMap<u64, u64, CounterHash> = HashMap::default();
        for n in 0..10_000 {
            map.insert(n * 3, n);
        }
        assert!((0..10_000).all(|n| map.get(&(n * 3)) == Some(&n)));
        assert_eq!(map.get(&1), None);
    }
}
