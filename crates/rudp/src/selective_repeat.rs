//! Stage 3: selective repeat, and a congestion window.
//!
//! Go-back-N's receiver throws away every segment after a gap, so one loss
//! costs a window of retransmissions. Selective repeat's receiver keeps them
//! in a *reorder buffer* and delivers them once the gap is filled; its ACK
//! still carries the cumulative `ack`, plus a bitmap of the segments it holds
//! beyond it (a SACK). The sender keeps a timer per segment and resends only
//! the segments that are neither acknowledged nor reported held.
//!
//! **Flow control** is the receiver's advertised window (free slots in its
//! buffer, in every ACK): the sender never has more in flight.
//! **Congestion control** (optional, [`crate::Config::congestion_control`])
//! guesses what the *network* can hold: a congestion window `cwnd` starts at
//! one segment, grows by one per acknowledged segment (slow start: it
//! doubles every round trip) up to `ssthresh`, then by one per round trip
//! (additive increase); a timeout halves `ssthresh` (multiplicative
//! decrease) and puts `cwnd` back to one.
use std::collections::VecDeque;
use std::time::Duration;

use crate::Stats;
use crate::receiver::{Inbox, Reassembly};
use crate::sender::{Flight, Sent, Strategy};
use crate::seq;

/// The selective-repeat sender.
#[derive(Debug)]
pub(crate) struct SelectiveRepeat {
    window: usize,
    congestion: Option<Congestion>,
}

impl SelectiveRepeat {
    pub(crate) fn new(window: usize, congestion_control: bool) -> Self {
        let congestion = congestion_control.then(|| Congestion::new(window));
        Self { window, congestion }
    }
}

impl Strategy for SelectiveRepeat {
    fn window(&self) -> usize {
        match &self.congestion {
            Some(congestion) => self.window.min(congestion.segments()),
            None => self.window,
        }
    }

    // ANCHOR: sack
    /// Marks the segments the receiver reports holding: bit `i` of the SACK
    /// bitmap stands for segment `ack + 1 + i`.
    fn on_ack(
        &mut self,
        flight: &mut Flight,
        acked: u32,
        sack: &[u8],
        _: Duration,
    ) -> Option<Sent> {
        let (mut newest, mut newly) = (None, acked);
        let first = flight.base().wrapping_add(1);
        for (index, byte) in sack.iter().enumerate() {
            for bit in (0..8).filter(|bit| byte & (1 << bit) != 0) {
                let seq = first.wrapping_add((index * 8 + bit) as u32);
                if let Some(segment) = flight.get_mut(seq)
                    && !segment.sacked
                {
                    segment.sacked = true;
                    newly += 1;
                    newest = Sent::latest(newest, Some(segment.sent()));
                }
            }
        }
        if let Some(congestion) = &mut self.congestion {
            congestion.on_acked(newly);
        }
        newest
    }
    // ANCHOR_END: sack

    // ANCHOR: timers
    /// A timer per segment: the earliest deadline of those still unreported.
    fn deadline(&self, flight: &Flight, rto: Duration) -> Option<Duration> {
        let waiting = flight.iter().filter(|(_, segment)| !segment.sacked && !segment.queued);
        waiting.map(|(_, segment)| segment.last_sent + rto).min()
    }

    /// Resends only the segments whose own timer expired.
    fn on_timeout(&mut self, flight: &mut Flight, now: Duration, rto: Duration) {
        let expired: Vec<u32> = flight
            .iter()
            .filter(|(_, segment)| !segment.sacked && segment.last_sent + rto <= now)
            .map(|(seq, _)| seq)
            .collect();
        for seq in expired {
            flight.resend(seq);
        }
        if let Some(congestion) = &mut self.congestion {
            congestion.on_timeout();
        }
    }
    // ANCHOR_END: timers

    fn cwnd(&self) -> Option<f64> {
        self.congestion.as_ref().map(|congestion| congestion.cwnd)
    }
}

// ANCHOR: congestion
/// The congestion window, in segments.
#[derive(Debug)]
struct Congestion {
    cwnd: f64,
    ssthresh: f64,
}

impl Congestion {
    fn new(window: usize) -> Self {
        Self { cwnd: 1.0, ssthresh: window as f64 }
    }

    fn segments(&self) -> usize {
        (self.cwnd as usize).max(1) // whole segments only
    }

    /// `acked` segments arrived.
    fn on_acked(&mut self, acked: u32) {
        for _ in 0..acked {
            if self.cwnd < self.ssthresh {
                self.cwnd += 1.0; // slow start: +1 per ACKed segment, ×2 per round trip
            } else {
                self.cwnd += 1.0 / self.cwnd; // congestion avoidance: +1 per round trip
            }
        }
    }

    /// A timeout: the network is congested.
    fn on_timeout(&mut self) {
        self.ssthresh = (self.cwnd / 2.0).max(2.0); // multiplicative decrease
        self.cwnd = 1.0; // and start again slowly
    }
}
// ANCHOR_END: congestion

// ANCHOR: reorder_buffer
/// The selective-repeat receiver: segments after a gap wait in `held`,
/// where `held[i]` is segment `expected + i`, until the gap is filled.
#[derive(Debug, Default)]
pub(crate) struct ReorderBuffer {
    held: VecDeque<Option<Vec<u8>>>,
    spare: Vec<Vec<u8>>,
}

impl Reassembly for ReorderBuffer {
    fn on_data(&mut self, seq: u32, payload: &[u8], inbox: &mut Inbox, stats: &mut Stats) {
        if seq::before(seq, inbox.expected()) {
            stats.duplicates += 1; // delivered already
            return;
        }
        if !seq::in_window(seq, inbox.expected(), inbox.room()) {
            stats.out_of_order += 1; // beyond the window we advertised: no room
            return;
        }
        let offset = seq.wrapping_sub(inbox.expected()) as usize; // < room, a small number
        if offset == 0 && self.held.is_empty() {
            return inbox.deliver(payload, stats); // the usual case: in order, nothing held
        }
        if self.held.len() <= offset {
            self.held.resize(offset + 1, None);
        }
        if self.held[offset].is_some() {
            stats.duplicates += 1; // held already
            return;
        }
        if offset > 0 {
            stats.out_of_order += 1;
        }
        let mut copy = self.spare.pop().unwrap_or_default();
        copy.clear();
        copy.extend_from_slice(payload);
        self.held[offset] = Some(copy);
        // The gap at the front is filled: deliver everything now in order.
        while let Some(Some(_)) = self.held.front() {
            if let Some(Some(segment)) = self.held.pop_front() {
                inbox.deliver(&segment, stats);
                self.spare.push(segment);
            }
        }
    }

    /// Bit `i` set: segment `expected + 1 + i` is held (`held[i + 1]`).
    fn sack(&self, out: &mut Vec<u8>) {
        for (i, slot) in self.held.iter().enumerate().skip(1) {
            let (byte, bit) = ((i - 1) / 8, (i - 1) % 8);
            if out.len() <= byte {
                out.resize(byte + 1, 0);
            }
            if slot.is_some() {
                out[byte] |= 1 << bit;
            }
        }
        while out.last() == Some(&0) {
            out.pop(); // no trailing empty bytes
        }
    }
}
// ANCHOR_END: reorder_buffer
