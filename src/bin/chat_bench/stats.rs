//! Latency percentiles and medians, in the small amount of code they need.
//!
//! Why a histogram instead of a list of samples: a fanout run of 1,000
//! clients makes ten million deliveries. Keeping every latency would cost
//! 80 MB and a sort at the end; a log-linear histogram keeps 16,384 counters,
//! records in a few instructions, merges by adding counters (each worker
//! thread keeps its own, so no locks), and answers percentiles to within
//! 0.2%. Latencies below about one millisecond get one bucket per
//! microsecond; above that, each power of two is cut into 512 buckets.

/// Values below this many microseconds have a bucket each.
const EXACT_BELOW: u64 = 1024;
/// log2(EXACT_BELOW).
const EXACT_BITS: u32 = 10;
/// Each power of two above EXACT_BELOW is split into 2^SUB_BITS buckets.
const SUB_BITS: u32 = 9;
/// Values are clamped below 2^MAX_BITS µs (about 12 days).
const MAX_BITS: u32 = 40;
const BUCKETS: usize = EXACT_BELOW as usize + ((MAX_BITS - EXACT_BITS) as usize) * (1 << SUB_BITS);

/// Counts of latencies in microseconds.
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

impl Histogram {
    pub fn new() -> Histogram {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }

    pub fn record(&mut self, micros: u64) {
        self.counts[bucket_of(micros)] += 1;
        self.total += 1;
        self.max = self.max.max(micros);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    /// The smallest recorded value such that `percent`% of all values are at
    /// or below it (to the bucket's lower edge); 0 when empty.
    pub fn percentile(&self, percent: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((percent / 100.0) * self.total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return bucket_low(index).min(self.max);
            }
        }
        self.max
    }
}

fn bucket_of(micros: u64) -> usize {
    if micros < EXACT_BELOW {
        return micros as usize;
    }
    let value = micros.min((1 << MAX_BITS) - 1);
    let top_bit = 63 - value.leading_zeros(); // at least EXACT_BITS
    let sub = (value >> (top_bit - SUB_BITS)) & ((1 << SUB_BITS) - 1);
    EXACT_BELOW as usize + (((top_bit - EXACT_BITS) as usize) << SUB_BITS) + sub as usize
}

fn bucket_low(index: usize) -> u64 {
    if index < EXACT_BELOW as usize {
        return index as u64;
    }
    let above = index - EXACT_BELOW as usize;
    let top_bit = (above >> SUB_BITS) as u32 + EXACT_BITS;
    let sub = (above & ((1 << SUB_BITS) - 1)) as u64;
    ((1 << SUB_BITS) | sub) << (top_bit - SUB_BITS)
}

/// The median of some numbers (the mean of the middle two for an even
/// count); `None` for none.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[middle]
    } else {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_ordered_and_tight() {
        let mut previous = 0;
        for value in (0..5_000_000u64).step_by(997) {
            let index = bucket_of(value);
            assert!(index >= previous && index < BUCKETS);
            previous = index;
            let low = bucket_low(index);
            assert!(
                low <= value && value - low <= value / 500 + 1,
                "{value} → {low}"
            );
        }
    }

    #[test]
    fn percentiles_and_median() {
        let mut histogram = Histogram::new();
        for value in 1..=1000 {
            histogram.record(value);
        }
        assert_eq!(histogram.percentile(50.0), 500);
        assert_eq!(histogram.percentile(99.0), 990);
        assert_eq!(histogram.percentile(100.0), 1000);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}
