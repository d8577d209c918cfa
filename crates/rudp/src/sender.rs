//! The sending side, shared by the three protocols.
//!
//! Whatever the protocol, a sender sets the connection up (SYN, answered by a
//! SYN-ACK), cuts the application's bytes into numbered DATA segments, keeps
//! every segment until it is acknowledged (the *flight*), respects the
//! receiver's advertised window, and at the end sends a FIN and waits for its
//! ACK. What differs between stop-and-wait, go-back-N and selective repeat is
//! small, and each protocol module supplies only that, as a [`Strategy`]:
//! how many segments may be in flight, when the retransmission timer goes
//! off, and what to resend then.
use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use crate::bytes::ByteQueue;
use crate::rtt::RttEstimator;
use crate::seq;
use crate::wire::{Kind, MAX_PAYLOAD, Segment};
use crate::{Config, Endpoint, Failure, Protocol, State, Stats, Waiting};

/// One DATA segment sent and not yet acknowledged.
#[derive(Debug)]
pub(crate) struct Outstanding {
    pub(crate) payload: Vec<u8>,
    /// When its latest copy left.
    pub(crate) last_sent: Duration,
    /// How many copies have left (Karn's rule: a sample only when 1).
    pub(crate) transmissions: u32,
    /// Selective repeat: the receiver reported holding it (SACK).
    pub(crate) sacked: bool,
    /// Waiting in the retransmission queue.
    pub(crate) queued: bool,
}

// ANCHOR: flight
/// The segments in flight, oldest first: `segments[i]` has sequence number
/// `base + i`. Acknowledged segments leave at the front, new ones join at
/// the back, and their buffers are kept for reuse (no allocation per
/// segment once the window is full).
#[derive(Debug)]
pub(crate) struct Flight {
    segments: VecDeque<Outstanding>,
    base: u32,
    retransmit: VecDeque<u32>,
    spare: Vec<Vec<u8>>,
}
// ANCHOR_END: flight

impl Outstanding {
    /// When its latest copy left, and how many did.
    pub(crate) fn sent(&self) -> Sent {
        Sent { at: self.last_sent, transmissions: self.transmissions }
    }
}

/// When a segment's latest copy left and how many copies did: what an RTT
/// sample needs to know about it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sent {
    pub(crate) at: Duration,
    pub(crate) transmissions: u32,
}

impl Sent {
    /// The one of `a` and `b` sent last.
    pub(crate) fn latest(a: Option<Sent>, b: Option<Sent>) -> Option<Sent> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.at >= a.at { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

/// What a cumulative ACK removed from the flight.
pub(crate) struct Acked {
    pub(crate) segments: u32,
    pub(crate) bytes: u64,
    /// The most recently sent of the segments it acknowledged for the first
    /// time (not reported before by a SACK).
    pub(crate) newest: Option<Sent>,
}

impl Flight {
    fn new(base: u32) -> Self {
        Self { segments: VecDeque::new(), base, retransmit: VecDeque::new(), spare: Vec::new() }
    }

    /// The oldest unacknowledged sequence number.
    pub(crate) fn base(&self) -> u32 {
        self.base
    }

    /// Segments in flight.
    pub(crate) fn len(&self) -> usize {
        self.segments.len()
    }

    /// The sequence number the next new segment gets.
    pub(crate) fn next_seq(&self) -> u32 {
        self.base.wrapping_add(self.segments.len() as u32) // a window is far below u32::MAX
    }

    /// The oldest segment in flight.
    pub(crate) fn oldest(&self) -> Option<&Outstanding> {
        self.segments.front()
    }

    /// Every segment in flight with its sequence number.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &Outstanding)> {
        (0u32..).zip(&self.segments).map(|(i, segment)| (self.base.wrapping_add(i), segment))
    }

    /// The segment numbered `seq`, if in flight.
    pub(crate) fn get_mut(&mut self, seq: u32) -> Option<&mut Outstanding> {
        self.segments.get_mut(seq.wrapping_sub(self.base) as usize)
    }

    /// Queues `seq` to be sent again (once, however often it is asked).
    pub(crate) fn resend(&mut self, seq: u32) {
        if let Some(segment) = self.get_mut(seq)
            && !segment.queued
            && !segment.sacked
        {
            segment.queued = true;
            self.retransmit.push_back(seq);
        }
    }

    /// Queues every segment in flight, oldest first.
    pub(crate) fn resend_all(&mut self) {
        for i in 0..self.segments.len() as u32 {
            self.resend(self.base.wrapping_add(i));
        }
    }

    // ANCHOR: ack_through
    /// A cumulative ACK: the receiver has every segment before `ack`, so
    /// they leave the flight. It also says which of them was sent last
    /// (segments a SACK reported before do not count: this ACK is not news
    /// about them).
    fn ack_through(&mut self, ack: u32) -> Acked {
        let mut acked = Acked { segments: 0, bytes: 0, newest: None };
        while seq::before(self.base, ack) {
            let Some(segment) = self.segments.pop_front() else { break };
            if !segment.sacked {
                acked.newest = Sent::latest(acked.newest, Some(segment.sent()));
            }
            acked.segments += 1;
            acked.bytes += segment.payload.len() as u64;
            self.spare.push(segment.payload);
            self.base = self.base.wrapping_add(1);
        }
        acked
    }
    // ANCHOR_END: ack_through
}

// ANCHOR: strategy
/// What makes stop-and-wait, go-back-N and selective repeat different.
pub(crate) trait Strategy: fmt::Debug + Send {
    /// How many segments may be in flight (the receiver's window limits further).
    fn window(&self) -> usize;
    /// A valid ACK arrived: `acked` segments left the flight, `sack` is the
    /// ACK's payload. Returns the most recently sent of the segments the
    /// SACK reports held for the first time, if any.
    fn on_ack(
        &mut self,
        flight: &mut Flight,
        acked: u32,
        sack: &[u8],
        now: Duration,
    ) -> Option<Sent>;
    /// When the retransmission timer goes off, with the current RTO.
    fn deadline(&self, flight: &Flight, rto: Duration) -> Option<Duration>;
    /// The timer went off: queue what to resend ([`Flight::resend`]).
    fn on_timeout(&mut self, flight: &mut Flight, now: Duration, rto: Duration);
    /// The congestion window, for the statistics.
    fn cwnd(&self) -> Option<f64> {
        None
    }
}
// ANCHOR_END: strategy

#[derive(Debug)]
enum Phase {
    Connecting,
    Open,
    FinWait,
    Done,
    Failed(Failure),
}

/// A SYN or FIN: one control segment, resent on its own timer until answered.
#[derive(Debug, Default)]
struct Control {
    due: bool,
    sent_at: Duration,
    tries: u32,
}

/// The sending end of a connection. Build it with [`Sender::new`], give it
/// bytes with [`Sender::write`], and drive it as an [`Endpoint`].
#[derive(Debug)]
pub struct Sender {
    config: Config,
    phase: Phase,
    strategy: Box<dyn Strategy>,
    flight: Flight,
    rtt: RttEstimator,
    pending: ByteQueue,
    buffer_limit: usize,
    closed: bool,
    peer_window: u16,
    control: Control,
    /// Timeouts in a row without a word from the peer.
    silent: u32,
    /// Timeouts before this time belong to the same round: one back-off.
    quiet_until: Duration,
    abort: Option<String>,
    stats: Stats,
}

impl Sender {
    /// A sender about to connect: its first [`Endpoint::poll_transmit`] is the SYN.
    pub fn new(config: Config) -> Self {
        let window = usize::from(config.window.max(1));
        let strategy: Box<dyn Strategy> = match config.protocol {
            Protocol::StopAndWait => Box::new(crate::stop_and_wait::StopAndWait),
            Protocol::GoBackN => Box::new(crate::go_back_n::GoBackN::new(window)),
            Protocol::SelectiveRepeat => Box::new(crate::selective_repeat::SelectiveRepeat::new(
                window,
                config.congestion_control,
            )),
        };
        let mut config = config;
        config.segment_size = config.segment_size.clamp(1, MAX_PAYLOAD);
        Self {
            rtt: RttEstimator::new(config.initial_rto, config.min_rto, config.max_rto),
            flight: Flight::new(config.isn.wrapping_add(1)),
            buffer_limit: window.max(16) * config.segment_size,
            phase: Phase::Connecting,
            strategy,
            pending: ByteQueue::default(),
            closed: false,
            peer_window: 1,
            control: Control { due: true, ..Control::default() },
            silent: 0,
            quiet_until: Duration::ZERO,
            abort: None,
            stats: Stats::default(),
            config,
        }
    }

    /// Takes as much of `data` as the send buffer has room for, and returns
    /// how much: 0 when the buffer is full (drive the connection, then try
    /// again), or after [`Sender::close`] or a failure.
    pub fn write(&mut self, data: &[u8]) -> usize {
        if self.closed || matches!(self.phase, Phase::Done | Phase::Failed(_)) {
            return 0;
        }
        let taken = data.len().min(self.buffer_limit.saturating_sub(self.pending.len()));
        self.pending.push(&data[..taken]);
        taken
    }

    /// No more data: once everything is acknowledged, the FIN goes.
    pub fn close(&mut self) {
        self.closed = true;
    }

    /// Gives up at once: an ABORT with `reason` goes to the peer.
    pub fn abort(&mut self, reason: &str) {
        if !matches!(self.phase, Phase::Done | Phase::Failed(_)) {
            self.abort = Some(reason.to_owned());
        }
    }

    /// Bytes written and not yet acknowledged.
    pub fn unacknowledged(&self) -> usize {
        self.pending.len() + self.flight.segments.iter().map(|s| s.payload.len()).sum::<usize>()
    }

    fn fail(&mut self, failure: Failure) {
        self.phase = Phase::Failed(failure);
    }

    // ANCHOR: on_ack
    /// An ACK: the receiver has everything before `ack`, and `window` free slots.
    fn on_ack(&mut self, now: Duration, segment: &Segment<'_>) {
        self.silent = 0; // the peer is alive
        self.stats.acks += 1;
        self.peer_window = segment.window;
        if matches!(self.phase, Phase::FinWait) {
            if segment.ack == self.flight.next_seq().wrapping_add(1) {
                self.phase = Phase::Done; // the FIN is acknowledged
            }
            return;
        }
        let (base, next) = (self.flight.base(), self.flight.next_seq());
        if !seq::before_or_at(base, segment.ack) || !seq::before_or_at(segment.ack, next) {
            return; // an old ACK that arrived late, or nonsense
        }
        let acked = self.flight.ack_through(segment.ack);
        self.stats.bytes += acked.bytes;
        let sacked = self.strategy.on_ack(&mut self.flight, acked.segments, segment.payload, now);
        // ANCHOR: rtt_sample
        // The RTT sample. This ACK answers, most likely, the latest copy of
        // the newest segment it is news about. Not an older one: that may
        // have waited in the receiver's reorder buffer for a resent segment,
        // or its own ACK was lost. And only if that newest segment was sent
        // once (Karn's rule: the ACK of a resent segment may answer either copy).
        let newest = Sent::latest(acked.newest, sacked);
        if let Some(sent) = newest.filter(|sent| sent.transmissions == 1) {
            self.rtt.sample(now.saturating_sub(sent.at));
        }
        // ANCHOR_END: rtt_sample
    }
    // ANCHOR_END: on_ack

    // ANCHOR: data_timeout
    /// The data timer went off: the strategy picks what to resend. The RTO
    /// doubles once per round of timeouts (selective repeat's timers may
    /// expire one after the other), and too many rounds with no word from
    /// the peer in between end the connection.
    fn on_data_timeout(&mut self, now: Duration) {
        self.strategy.on_timeout(&mut self.flight, now, self.rtt.rto());
        self.stats.timeouts += 1;
        if now >= self.quiet_until {
            self.silent += 1;
            if self.silent > self.config.max_retries {
                let waiting_for = Waiting::Data(self.flight.base());
                return self.fail(Failure::NoAnswer { waiting_for, tries: self.silent });
            }
            self.quiet_until = now + self.rtt.rto();
            self.rtt.back_off();
        }
    }
    // ANCHOR_END: data_timeout

    /// Cuts the next new segment from the pending bytes, if the windows allow.
    fn new_segment(&mut self, now: Duration) -> Option<u32> {
        // ANCHOR: window_limit
        // The strategy's window, and the receiver's: never more in flight
        // than it said it can hold, but always one, to probe a full receiver.
        let limit = self.strategy.window().min(usize::from(self.peer_window).max(1));
        // ANCHOR_END: window_limit
        let size = self.config.segment_size;
        // Like Nagle's algorithm: a short segment only when nothing is in flight.
        let ready = self.pending.len() >= size
            || (!self.pending.is_empty() && (self.closed || self.flight.len() == 0));
        if self.flight.len() >= limit || !ready {
            return None;
        }
        let take = self.pending.len().min(size);
        let mut payload = self.flight.spare.pop().unwrap_or_default();
        payload.clear();
        payload.extend_from_slice(self.pending.front(take));
        self.pending.consume(take);
        let seq = self.flight.next_seq();
        self.flight.segments.push_back(Outstanding {
            payload,
            last_sent: now,
            transmissions: 1,
            sacked: false,
            queued: false,
        });
        self.stats.segments += 1;
        self.stats.max_in_flight = self.stats.max_in_flight.max(self.flight.len() as u64);
        Some(seq)
    }

    /// The next DATA to send: a queued retransmission first, then new data.
    fn next_data(&mut self, now: Duration) -> Option<u32> {
        while let Some(seq) = self.flight.retransmit.pop_front() {
            let Some(segment) = self.flight.get_mut(seq) else { continue };
            segment.queued = false;
            if segment.sacked {
                continue;
            }
            segment.transmissions += 1;
            segment.last_sent = now;
            self.stats.retransmissions += 1;
            return Some(seq);
        }
        self.new_segment(now)
    }

    fn control_segment(&mut self, now: Duration, kind: Kind, out: &mut Vec<u8>) -> bool {
        if !self.control.due {
            return false;
        }
        self.control.due = false;
        self.control.sent_at = now;
        self.control.tries += 1;
        let mut segment = Segment::new(kind, self.flight.next_seq(), 0, self.config.window);
        if kind == Kind::Syn {
            segment.seq = self.config.isn;
            segment.flags = self.config.protocol as u8;
        }
        segment.encode_into(out);
        true
    }
}

impl Endpoint for Sender {
    fn on_datagram(&mut self, now: Duration, datagram: &[u8]) {
        let Ok(segment) = Segment::decode(datagram) else {
            self.stats.ignored += 1;
            return;
        };
        match (&self.phase, segment.kind) {
            (Phase::Done | Phase::Failed(_), _) => {}
            (_, Kind::Abort) => {
                let reason = crate::receiver::printable_reason(segment.payload);
                self.fail(Failure::PeerAborted(reason));
            }
            (Phase::Connecting, Kind::SynAck) if segment.ack == self.flight.base() => {
                if self.control.tries == 1 {
                    self.rtt.sample(now.saturating_sub(self.control.sent_at)); // Karn
                }
                self.phase = Phase::Open;
                self.peer_window = segment.window;
                self.silent = 0;
            }
            (Phase::Open | Phase::FinWait, Kind::Ack) => self.on_ack(now, &segment),
            _ => self.stats.ignored += 1, // e.g. a duplicate SYN-ACK
        }
    }

    fn on_timer(&mut self, now: Duration) {
        let Some(deadline) = self.next_timer() else { return };
        if now < deadline {
            return;
        }
        match self.phase {
            Phase::Connecting | Phase::FinWait => {
                if self.control.tries > self.config.max_retries {
                    let waiting_for = if matches!(self.phase, Phase::Connecting) {
                        Waiting::Syn
                    } else {
                        Waiting::Fin
                    };
                    return self.fail(Failure::NoAnswer { waiting_for, tries: self.control.tries });
                }
                self.stats.timeouts += 1;
                self.rtt.back_off();
                self.control.due = true;
            }
            Phase::Open => self.on_data_timeout(now),
            Phase::Done | Phase::Failed(_) => {}
        }
    }

    fn poll_transmit(&mut self, now: Duration, out: &mut Vec<u8>) -> bool {
        out.clear();
        if let Some(reason) = self.abort.take() {
            Segment::new(Kind::Abort, 0, 0, 0).with_payload(reason.as_bytes()).encode_into(out);
            self.fail(Failure::Aborted(reason));
            return true;
        }
        match self.phase {
            Phase::Connecting => self.control_segment(now, Kind::Syn, out),
            Phase::Open => {
                if let Some(seq) = self.next_data(now) {
                    let payload = self.flight.get_mut(seq).map(|s| &s.payload[..]).unwrap_or(&[]);
                    Segment::new(Kind::Data, seq, 0, 0).with_payload(payload).encode_into(out);
                    return true;
                }
                if self.closed && self.pending.is_empty() && self.flight.len() == 0 {
                    self.phase = Phase::FinWait;
                    self.control = Control { due: true, ..Control::default() };
                    return self.control_segment(now, Kind::Fin, out);
                }
                false
            }
            Phase::FinWait => self.control_segment(now, Kind::Fin, out),
            Phase::Done | Phase::Failed(_) => false,
        }
    }

    fn next_timer(&self) -> Option<Duration> {
        let rto = self.rtt.rto();
        match self.phase {
            Phase::Connecting | Phase::FinWait if !self.control.due => {
                Some(self.control.sent_at + rto)
            }
            Phase::Open if self.flight.retransmit.is_empty() => {
                self.strategy.deadline(&self.flight, rto)
            }
            _ => None,
        }
    }

    fn state(&self) -> State {
        match &self.phase {
            Phase::Connecting => State::Connecting,
            Phase::Open if !self.closed => State::Open,
            Phase::Open | Phase::FinWait => State::Closing,
            Phase::Done => State::Done,
            Phase::Failed(failure) => State::Failed(failure.clone()),
        }
    }

    fn stats(&self) -> Stats {
        Stats {
            srtt: self.rtt.srtt(),
            rto: self.rtt.rto(),
            cwnd: self.strategy.cwnd(),
            ..self.stats.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn transmit(sender: &mut Sender, now: Duration) -> Vec<Vec<u8>> {
        let (mut out, mut all) = (Vec::new(), Vec::new());
        while sender.poll_transmit(now, &mut out) {
            all.push(out.clone());
        }
        all
    }

    fn ack(ack: u32, window: u16) -> Vec<u8> {
        Segment::new(Kind::Ack, 0, ack, window).encode()
    }

    /// A sender with ISN 9 whose SYN was answered after 10 ms.
    fn open(protocol: Protocol) -> Sender {
        let mut config = Config::new(protocol);
        config.isn = 9;
        let mut sender = Sender::new(config);
        let syn = transmit(&mut sender, ms(0));
        assert_eq!(Segment::decode(&syn[0]).unwrap().kind, Kind::Syn);
        sender.on_datagram(ms(10), &Segment::new(Kind::SynAck, 0, 10, 64).encode());
        assert_eq!(sender.state(), State::Open);
        sender
    }

    #[test]
    fn karns_rule_no_sample_from_a_retransmitted_segment() {
        let mut sender = open(Protocol::StopAndWait);
        assert_eq!(sender.stats().srtt, Some(ms(10))); // from the SYN
        sender.write(b"hello");
        assert_eq!(transmit(&mut sender, ms(10)).len(), 1);
        let deadline = sender.next_timer().unwrap();
        assert_eq!(deadline, ms(10) + sender.stats().rto);
        sender.on_timer(deadline);
        assert_eq!(transmit(&mut sender, deadline).len(), 1, "the segment again");
        // An ACK that may answer either copy: no sample, the RTO stays backed off.
        let backed_off = sender.stats().rto;
        sender.on_datagram(deadline + ms(1), &ack(11, 64));
        assert_eq!(sender.stats().srtt, Some(ms(10)));
        assert_eq!(sender.stats().rto, backed_off);
        assert_eq!(sender.stats().bytes, 5);
    }

    #[test]
    fn stop_and_wait_sends_one_segment_at_a_time() {
        let mut sender = open(Protocol::StopAndWait);
        sender.write(&[1; 3000]);
        assert_eq!(transmit(&mut sender, ms(10)).len(), 1);
        sender.on_datagram(ms(20), &ack(11, 64));
        let next = transmit(&mut sender, ms(20));
        assert_eq!(next.len(), 1);
        assert_eq!(Segment::decode(&next[0]).unwrap().seq, 11);
    }

    #[test]
    fn old_and_impossible_acks_are_ignored() {
        let mut sender = open(Protocol::GoBackN);
        sender.write(&[1; 3 * 1460]);
        assert_eq!(transmit(&mut sender, ms(10)).len(), 3); // 10, 11, 12
        sender.on_datagram(ms(20), &ack(12, 64));
        sender.on_datagram(ms(21), &ack(11, 64)); // late, older
        sender.on_datagram(ms(22), &ack(99, 64)); // beyond what was sent
        assert_eq!(sender.stats().bytes, 2 * 1460);
        assert_eq!(sender.unacknowledged(), 1460);
    }

    #[test]
    fn a_zero_window_still_lets_one_probe_segment_through() {
        let mut sender = open(Protocol::SelectiveRepeat);
        sender.write(&[1; 10 * 1460]);
        sender.on_datagram(ms(11), &ack(10, 0));
        assert_eq!(transmit(&mut sender, ms(11)).len(), 1);
    }

    #[test]
    fn the_fin_follows_the_last_data_and_its_ack_ends_the_connection() {
        let mut sender = open(Protocol::SelectiveRepeat);
        sender.write(b"bye");
        sender.close();
        assert_eq!(transmit(&mut sender, ms(10)).len(), 1); // DATA 10
        sender.on_datagram(ms(20), &ack(11, 64));
        let fin = transmit(&mut sender, ms(20));
        let fin = Segment::decode(&fin[0]).unwrap();
        assert_eq!((fin.kind, fin.seq), (Kind::Fin, 11));
        assert_eq!(sender.state(), State::Closing);
        sender.on_datagram(ms(30), &ack(12, 64));
        assert_eq!(sender.state(), State::Done);
        assert_eq!(sender.next_timer(), None);
    }
}
