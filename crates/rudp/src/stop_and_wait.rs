//! Stage 1: stop-and-wait.
//!
//! The sender sends one DATA segment and waits: for its ACK (then the next
//! segment goes), or for the retransmission timer (then the same segment
//! goes again). Sequence numbers let the receiver tell a new segment from a
//! copy of the last one — whose ACK was lost — and it acknowledges both, but
//! delivers only the new one.
//!
//! Simple and slow: one segment per round trip, so a 1460-byte segment over
//! a 10 ms round trip moves at most 146 kB/s, whatever the link's speed.
//!
//! The connection's set-up and teardown, the RTO and the give-up are shared
//! by all protocols (see [`crate::Sender`], [`crate::Receiver`]); here is
//! only what is specific to stop-and-wait.
use std::time::Duration;

use crate::Stats;
use crate::receiver::{Inbox, Reassembly};
use crate::sender::{Flight, Sent, Strategy};
use crate::seq;

// ANCHOR: sender
/// The stop-and-wait sender: a window of one segment.
#[derive(Debug)]
pub(crate) struct StopAndWait;

impl Strategy for StopAndWait {
    fn window(&self) -> usize {
        1 // stop and wait: one segment in flight
    }

    fn on_ack(&mut self, _: &mut Flight, _: u32, _: &[u8], _: Duration) -> Option<Sent> {
        None // the shared code has removed the segment: the next one may go
    }

    // ANCHOR: timer
    fn deadline(&self, flight: &Flight, rto: Duration) -> Option<Duration> {
        flight.oldest().map(|segment| segment.last_sent + rto)
    }

    fn on_timeout(&mut self, flight: &mut Flight, _: Duration, _: Duration) {
        flight.resend(flight.base()); // the one segment in flight, again
    }
    // ANCHOR_END: timer
}
// ANCHOR_END: sender

// ANCHOR: receiver
/// The in-order receiver: it accepts only the segment it expects next, if it
/// has room for it, and drops everything else. Go-back-N's receiver is the
/// same one: its sender resends everything after a gap anyway.
#[derive(Debug)]
pub(crate) struct InOrder;

impl Reassembly for InOrder {
    fn on_data(&mut self, seq: u32, payload: &[u8], inbox: &mut Inbox, stats: &mut Stats) {
        if seq == inbox.expected() && inbox.room() > 0 {
            inbox.deliver(payload, stats);
        } else if seq::before(seq, inbox.expected()) {
            stats.duplicates += 1; // a copy: its ACK was lost, the next ACK says so
        } else {
            stats.out_of_order += 1; // after a gap (or no room): dropped
        }
    }
}
// ANCHOR_END: receiver
