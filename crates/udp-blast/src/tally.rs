//! Counting what arrived: from the sequence numbers alone, the receiver
//! learns which datagrams were lost, reordered or duplicated.

/// Sequence numbers at or above this are not tracked (counted as foreign):
/// the table of seen numbers stays under 32 MiB whatever a stray datagram says.
pub const MAX_TRACKED: u64 = 1 << 28;

/// What a receiver has seen so far.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// One bit per sequence number: set once that datagram has arrived.
    seen: Vec<u64>,
    /// Different datagrams received (a duplicate counts once here).
    pub distinct: u64,
    /// Bytes of those distinct datagrams (what a goodput counts).
    pub bytes: u64,
    /// Datagrams that arrived a second (third…) time.
    pub duplicated: u64,
    /// Datagrams that arrived after one with a higher number.
    pub reordered: u64,
    /// Datagrams that were not ours (see [`crate::wire::Datagram::Foreign`]).
    pub foreign: u64,
    /// One more than the highest sequence number seen (0: none yet).
    pub next_highest: u64,
}

impl Tally {
    // ANCHOR: record
    /// Counts data datagram `seq` of `len` bytes.
    pub fn record(&mut self, seq: u64, len: usize) {
        if seq >= MAX_TRACKED {
            self.foreign += 1;
            return;
        }
        let (word, bit) = ((seq / 64) as usize, 1u64 << (seq % 64));
        if word >= self.seen.len() {
            self.seen.resize(word + 1, 0);
        }
        if self.seen[word] & bit != 0 {
            self.duplicated += 1; // seen before: UDP may deliver a datagram twice
            return;
        }
        self.seen[word] |= bit;
        self.distinct += 1;
        self.bytes += len as u64;
        if seq < self.next_highest {
            self.reordered += 1; // a higher number came first
        } else {
            self.next_highest = seq + 1;
        }
    }
    // ANCHOR_END: record

    /// Datagrams lost, when the sender told us how many it sent: every number
    /// below `sent` that never arrived.
    pub fn lost(&self, sent: u64) -> u64 {
        sent.saturating_sub(self.distinct)
    }

    /// Without the sender's count: the gaps below the highest number seen.
    /// A lower bound, since datagrams lost after the last one that arrived
    /// leave no gap.
    pub fn lost_at_least(&self) -> u64 {
        self.next_highest - self.distinct
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(sequence: &[u64]) -> Tally {
        let mut tally = Tally::default();
        for &seq in sequence {
            tally.record(seq, 100);
        }
        tally
    }

    #[test]
    fn in_order_nothing_lost() {
        let tally = tally(&[0, 1, 2, 3]);
        assert_eq!((tally.distinct, tally.bytes, tally.lost(4)), (4, 400, 0));
        assert_eq!((tally.reordered, tally.duplicated, tally.lost_at_least()), (0, 0, 0));
    }

    #[test]
    fn gaps_are_losses_and_late_ones_are_reordered() {
        let tally = tally(&[0, 2, 1, 5, 1]);
        assert_eq!(tally.distinct, 4);
        assert_eq!(tally.reordered, 1, "1 came after 2");
        assert_eq!(tally.duplicated, 1, "1 came twice");
        assert_eq!(tally.lost_at_least(), 2, "3 and 4 never came");
        assert_eq!(tally.lost(8), 4, "3, 4, 6 and 7");
        assert_eq!(tally.distinct + tally.lost(8), 8);
    }

    #[test]
    fn numbers_across_table_words_and_huge_ones() {
        let tally = tally(&[63, 64, 65, 127, 128, MAX_TRACKED, u64::MAX]);
        assert_eq!((tally.distinct, tally.foreign), (5, 2));
        assert_eq!(tally.next_highest, 129);
    }
}
