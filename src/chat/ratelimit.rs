//! Flood control: a token bucket per connection.
//!
//! A bucket holds up to `burst` tokens and refills at `rate` tokens a second;
//! every line a client sends takes one. A person typing never notices (they
//! rarely send more than a line a second, and a pasted paragraph fits in the
//! burst), while a script pouring out lines is held to `rate` lines a second.
//! The bucket lives in the connection's own reader thread, so checking it
//! takes no lock and one flooding client costs nobody else anything.

use std::time::Instant;

#[derive(Debug, Clone)]
pub struct TokenBucket {
    /// Tokens added per second; 0 turns flood control off.
    rate: f64,
    burst: f64,
    tokens: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    /// A full bucket. `rate_per_sec == 0` means "no limit".
    pub fn new(rate_per_sec: u32, burst: u32, now: Instant) -> TokenBucket {
        TokenBucket {
            rate: f64::from(rate_per_sec),
            burst: f64::from(burst.max(1)),
            tokens: f64::from(burst.max(1)),
            refilled_at: now,
        }
    }

    /// Takes `tokens` more for work already done (a long reply), even into
    /// debt: the lines after it wait until the bucket has refilled. The whole
    /// reply is charged, however long: capping the debt at one burst let an
    /// IRC `WHO` of a 900-member channel (111 KB for 10 B) cost 2 s, so 50
    /// bots pulled 2.9 MB/s. Now it costs what it weighs, 22 s.
    pub fn charge(&mut self, tokens: f64) {
        if self.rate == 0.0 {
            return;
        }
        self.tokens -= tokens;
    }

    /// Takes a token if there is one. `false` means "over the limit".
    pub fn try_take(&mut self, now: Instant) -> bool {
        if self.rate == 0.0 {
            return true;
        }
        let elapsed = now
            .saturating_duration_since(self.refilled_at)
            .as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.refilled_at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10, 20, start);
        assert!((0..20).all(|_| bucket.try_take(start)));
        assert!(!bucket.try_take(start));
        // 10 lines/s: after 0.25 s two more lines are allowed, not three.
        let later = start + Duration::from_millis(250);
        assert!(bucket.try_take(later) && bucket.try_take(later));
        assert!(!bucket.try_take(later));
    }

    #[test]
    fn a_charge_is_paid_back_before_the_next_line() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10, 20, start);
        bucket.charge(25.0); // 20 in the bucket: 5 in debt
        assert!(!bucket.try_take(start));
        // Debt of 5 and one token for the line: 0.6 s at 10 a second.
        assert!(!bucket.try_take(start + Duration::from_millis(550)));
        assert!(bucket.try_take(start + Duration::from_millis(650)));
        // The whole charge is paid, not one burst of it: 218 tokens (a
        // 111 KB reply) wait 21.8 s at 10 a second.
        bucket.charge(218.0);
        assert!(!bucket.try_take(start + Duration::from_millis(650 + 21_000)));
        assert!(bucket.try_take(start + Duration::from_millis(650 + 22_000)));
    }

    #[test]
    fn zero_rate_disables() {
        let now = Instant::now();
        let mut bucket = TokenBucket::new(0, 1, now);
        assert!((0..10_000).all(|_| bucket.try_take(now)));
    }
}
