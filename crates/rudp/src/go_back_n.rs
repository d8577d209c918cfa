//! Stage 2: go-back-N.
//!
//! Stop-and-wait leaves the link idle while it waits. Go-back-N keeps up to
//! N segments in flight: a *sliding window* over the sequence numbers. The
//! receiver is stop-and-wait's (it accepts only the next segment in order)
//! and its ACKs are *cumulative*: "I have everything before `ack`". One
//! timer runs for the oldest unacknowledged segment; when it expires, the
//! sender goes back and resends every segment in flight.
//!
//! A window of N segments moves N segments per round trip (until the link is
//! full), but one loss costs N retransmissions.
use std::time::Duration;

use crate::sender::{Flight, Sent, Strategy};

/// The go-back-N sender.
#[derive(Debug)]
pub(crate) struct GoBackN {
    window: usize,
    /// When the single timer was last restarted.
    restarted: Duration,
}

impl GoBackN {
    pub(crate) fn new(window: usize) -> Self {
        Self { window, restarted: Duration::ZERO }
    }
}

impl Strategy for GoBackN {
    fn window(&self) -> usize {
        self.window
    }

    // ANCHOR: cumulative_ack
    /// A cumulative ACK slid the window (the shared code removed the
    /// acknowledged segments): restart the timer for the new oldest segment.
    fn on_ack(&mut self, _: &mut Flight, acked: u32, _: &[u8], now: Duration) -> Option<Sent> {
        if acked > 0 {
            self.restarted = now;
        }
        None
    }
    // ANCHOR_END: cumulative_ack

    // ANCHOR: go_back
    fn deadline(&self, flight: &Flight, rto: Duration) -> Option<Duration> {
        let oldest = flight.oldest()?;
        Some(oldest.last_sent.max(self.restarted) + rto)
    }

    /// The oldest segment timed out: go back and resend the whole window.
    fn on_timeout(&mut self, flight: &mut Flight, now: Duration, _: Duration) {
        flight.resend_all();
        self.restarted = now;
    }
    // ANCHOR_END: go_back
}
