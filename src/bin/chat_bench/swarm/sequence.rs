//! Per (receiver, sender) bookkeeping of sequence numbers: which messages
//! arrived, which are still missing, and whether an arrival was in order,
//! late (it filled a gap) or a duplicate. It is its own file because it is a
//! pure rule with its own test, and the loss, duplicate and reordering
//! figures of every run rest on it.

/// Arrivals from one sender at one receiver, in sequence-number terms.
#[derive(Default)]
pub(super) struct Sequence {
    /// One more than the highest sequence number seen.
    next: u64,
    /// Numbers below `next` not seen yet: lost, or overtaken and still coming.
    missing: Vec<u64>,
}

/// How a message arrived, compared with the ones before it.
pub(super) enum Arrival {
    InOrder,
    /// It filled a gap: an earlier-sent message arrived later than a newer one.
    Late,
    Duplicate,
}

impl Sequence {
    pub(super) fn arrive(&mut self, seq: u64) -> Arrival {
        if seq >= self.next {
            // A jump forward leaves a gap; bounded, so a broken server cannot
            // make the tool allocate without limit.
            let gap_start = self.next.max(seq.saturating_sub(10_000));
            self.missing.extend(gap_start..seq);
            self.next = seq + 1;
            Arrival::InOrder
        } else if let Some(at) = self.missing.iter().position(|&m| m == seq) {
            self.missing.swap_remove(at);
            Arrival::Late
        } else {
            Arrival::Duplicate
        }
    }

    pub(super) fn unique(&self) -> u64 {
        self.next - self.missing.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_tell_late_from_duplicate() {
        let mut sequence = Sequence::default();
        assert!(matches!(sequence.arrive(0), Arrival::InOrder));
        assert!(matches!(sequence.arrive(2), Arrival::InOrder)); // 1 is missing
        assert_eq!(sequence.unique(), 2);
        assert!(matches!(sequence.arrive(1), Arrival::Late));
        assert!(matches!(sequence.arrive(1), Arrival::Duplicate));
        assert_eq!(sequence.unique(), 3);
    }
}
