//! The receiving side, shared by the three protocols.
//!
//! A receiver waits for a SYN (which names the protocol and the sender's
//! first sequence number), answers it with a SYN-ACK, then accepts DATA into
//! its buffer — the protocol's [`Reassembly`] decides what it keeps — and
//! answers with cumulative ACKs that advertise its free room (flow control).
//! When the FIN arrives, the application reads what is left and gives its
//! verdict ([`Receiver::finish`]): the FIN's ACK, or an ABORT with a reason.
//! Then the receiver lingers, to answer again if its last word was lost.
use std::fmt;
use std::time::Duration;

use crate::bytes::ByteQueue;
use crate::wire::{Kind, MAX_PAYLOAD, Segment};
use crate::{Config, Endpoint, Failure, Protocol, State, Stats};

/// The longest ABORT reason kept from the network, in characters.
const MAX_REASON: usize = 200;

/// How often a lingering receiver repeats its last word unasked, per linger.
const REPEATS: u32 = 4;

/// An ABORT's payload as one line of text: invalid UTF-8 and control
/// characters (no terminal tricks from the network) become `�`, and it is cut short.
pub(crate) fn printable_reason(payload: &[u8]) -> String {
    let text = String::from_utf8_lossy(payload);
    text.chars().take(MAX_REASON).map(|c| if c.is_control() { '\u{FFFD}' } else { c }).collect()
}

// ANCHOR: inbox
/// The bytes received in order and not yet read by the application, and the
/// sequence number of the next segment that can join them.
#[derive(Debug)]
pub(crate) struct Inbox {
    bytes: ByteQueue,
    expected: u32,
    capacity: usize,
}

impl Inbox {
    /// The next sequence number expected.
    pub(crate) fn expected(&self) -> u32 {
        self.expected
    }

    /// Free room, in full segments: what the ACKs advertise.
    pub(crate) fn room(&self) -> u32 {
        (self.capacity.saturating_sub(self.bytes.len()) / MAX_PAYLOAD) as u32
    }

    /// The segment `expected` is here: its bytes join the others.
    pub(crate) fn deliver(&mut self, payload: &[u8], stats: &mut Stats) {
        self.bytes.push(payload);
        self.expected = self.expected.wrapping_add(1);
        stats.segments += 1;
        stats.bytes += payload.len() as u64;
    }
}
// ANCHOR_END: inbox

/// What makes the receivers of the protocols different: which DATA they keep.
pub(crate) trait Reassembly: fmt::Debug + Send {
    /// A DATA segment arrived: deliver it to the inbox, hold it, or drop it.
    fn on_data(&mut self, seq: u32, payload: &[u8], inbox: &mut Inbox, stats: &mut Stats);
    /// The SACK bitmap for the next ACK (selective repeat), appended to `out`.
    fn sack(&self, _out: &mut Vec<u8>) {}
}

#[derive(Debug)]
enum Phase {
    Listen,
    Open,
    /// The FIN arrived, everything before it is in the inbox: waiting for the verdict.
    FinReceived,
    /// FIN acknowledged: answering retransmitted FINs until `linger` ends.
    Lingering,
    /// ABORT sent: answering everything with it again until `linger` ends.
    Aborting(String),
    Done,
    Failed(Failure),
}

/// The receiving end of a connection. Build it with [`Receiver::new`], feed
/// it as an [`Endpoint`], take the bytes with [`Receiver::read`].
#[derive(Debug)]
pub struct Receiver {
    config: Config,
    phase: Phase,
    protocol: Option<Protocol>,
    isn: u32,
    inbox: Inbox,
    reassembly: Box<dyn Reassembly>,
    fin_seq: u32,
    synack_due: bool,
    ack_due: bool,
    abort_due: bool,
    advertised: u32,
    last_heard: Duration,
    linger_until: Option<Duration>,
    /// During the linger, our last word (FIN-ACK or ABORT) goes again at this time.
    repeat_at: Option<Duration>,
    sack: Vec<u8>,
    stats: Stats,
}

impl Receiver {
    /// A receiver waiting for a SYN. Its buffer holds `config.window` segments.
    pub fn new(config: Config) -> Self {
        let capacity = usize::from(config.window.max(1)) * MAX_PAYLOAD;
        Self {
            phase: Phase::Listen,
            protocol: None,
            isn: 0,
            inbox: Inbox { bytes: ByteQueue::with_capacity(capacity), expected: 0, capacity },
            reassembly: Box::new(crate::stop_and_wait::InOrder),
            fin_seq: 0,
            synack_due: false,
            ack_due: false,
            abort_due: false,
            advertised: 0,
            last_heard: Duration::ZERO,
            linger_until: None,
            repeat_at: None,
            sack: Vec::new(),
            stats: Stats::default(),
            config,
        }
    }

    /// The protocol the sender asked for, once its SYN has arrived.
    pub fn protocol(&self) -> Option<Protocol> {
        self.protocol
    }

    /// Copies in-order bytes into `buf`; returns how many (0: none yet, or
    /// the end: see [`Receiver::at_end`]).
    pub fn read(&mut self, buf: &mut [u8]) -> usize {
        let count = buf.len().min(self.inbox.bytes.len());
        buf[..count].copy_from_slice(self.inbox.bytes.front(count));
        self.inbox.bytes.consume(count);
        // ANCHOR: window_update
        // Room came back: tell the sender, if it was told of little room.
        let room = self.inbox.room();
        let window = u32::from(self.config.window.max(1));
        if matches!(self.phase, Phase::Open)
            && room > self.advertised
            && self.advertised < window / 2
        {
            self.ack_due = true;
        }
        // ANCHOR_END: window_update
        count
    }

    /// In-order bytes waiting to be read.
    pub fn available(&self) -> usize {
        self.inbox.bytes.len()
    }

    /// Whether the FIN has arrived and every byte before it has been read.
    pub fn at_end(&self) -> bool {
        matches!(self.phase, Phase::FinReceived | Phase::Lingering) && self.inbox.bytes.is_empty()
    }

    /// The application's verdict on the transfer, after the end: `Ok`
    /// acknowledges the FIN (the sender's `finish` succeeds); `Err(reason)`
    /// sends an ABORT with the reason. Before the end, `Ok` is an abort too:
    /// the receiver stops before the sender has finished.
    pub fn finish(&mut self, verdict: Result<(), String>) {
        match (&self.phase, verdict) {
            (Phase::FinReceived, Ok(())) => {
                self.phase = Phase::Lingering;
                self.ack_due = true;
            }
            (Phase::Open | Phase::Listen, Ok(())) => {
                self.abort("the receiver stopped before the end of the transfer");
            }
            (Phase::Open | Phase::Listen | Phase::FinReceived, Err(reason)) => self.abort(&reason),
            _ => {}
        }
    }

    /// Gives up: an ABORT with `reason` goes to the sender (and again to
    /// anything it sends during the linger).
    pub fn abort(&mut self, reason: &str) {
        match self.phase {
            Phase::Listen => self.phase = Phase::Failed(Failure::Aborted(reason.to_owned())),
            Phase::Open | Phase::FinReceived => {
                self.phase = Phase::Aborting(reason.to_owned());
                self.abort_due = true;
            }
            _ => {}
        }
    }

    // ANCHOR: on_syn
    fn on_syn(&mut self, segment: &Segment<'_>) {
        if let Phase::Listen = self.phase {
            let Some(protocol) = Protocol::from_flags(segment.flags) else {
                let reason = format!("unknown protocol {} in the SYN", segment.flags);
                self.phase = Phase::Aborting(reason);
                self.abort_due = true;
                return;
            };
            self.protocol = Some(protocol);
            self.isn = segment.seq;
            self.inbox.expected = segment.seq.wrapping_add(1); // the first DATA
            if protocol == Protocol::SelectiveRepeat {
                self.reassembly = Box::<crate::selective_repeat::ReorderBuffer>::default();
            }
            self.phase = Phase::Open;
        }
        if segment.seq == self.isn {
            self.synack_due = true; // the first SYN, or a copy: our SYN-ACK was lost
        }
    }
    // ANCHOR_END: on_syn

    // ANCHOR: on_fin
    fn on_fin(&mut self, segment: &Segment<'_>) {
        match self.phase {
            // Every segment before the FIN has arrived: the stream is complete.
            Phase::Open if segment.seq == self.inbox.expected => {
                self.fin_seq = segment.seq;
                self.phase = Phase::FinReceived; // the FIN's ACK waits for the verdict
            }
            Phase::Lingering => self.ack_due = true, // our FIN-ACK was lost: again
            _ => self.ack_due = true,                // data is missing: the ACK says what we expect
        }
    }
    // ANCHOR_END: on_fin

    fn ack_number(&self) -> u32 {
        match self.phase {
            Phase::Lingering => self.fin_seq.wrapping_add(1),
            _ => self.inbox.expected,
        }
    }

    // ANCHOR: linger
    /// Our last word just went: stay for the linger, and say it again a few
    /// times meanwhile, unasked (each copy is one more chance to arrive).
    fn linger(&mut self, now: Duration) {
        if self.linger_until.is_none() {
            self.linger_until = Some(now + self.config.linger);
        }
        self.repeat_at = Some(now + self.config.linger / REPEATS);
    }
    // ANCHOR_END: linger
}

impl Endpoint for Receiver {
    fn on_datagram(&mut self, now: Duration, datagram: &[u8]) {
        let Ok(segment) = Segment::decode(datagram) else {
            self.stats.ignored += 1;
            return;
        };
        if matches!(self.phase, Phase::Done | Phase::Failed(_)) {
            return;
        }
        if matches!(self.phase, Phase::Listen) && segment.kind != Kind::Syn {
            self.stats.ignored += 1; // not for a connection we know
            return;
        }
        self.last_heard = now;
        if matches!(self.phase, Phase::Lingering | Phase::Aborting(_))
            && self.linger_until.is_some()
        {
            self.linger_until = Some(now + self.config.linger); // the sender is still there
        }
        if let Phase::Aborting(_) = self.phase {
            self.abort_due = segment.kind != Kind::Abort; // say it again
            return;
        }
        match segment.kind {
            Kind::Syn => self.on_syn(&segment),
            Kind::Data => {
                self.reassembly.on_data(
                    segment.seq,
                    segment.payload,
                    &mut self.inbox,
                    &mut self.stats,
                );
                self.ack_due = true;
            }
            Kind::Fin => self.on_fin(&segment),
            Kind::Abort => {
                let reason = printable_reason(segment.payload);
                self.phase = Phase::Failed(Failure::PeerAborted(reason));
            }
            Kind::SynAck | Kind::Ack => self.stats.ignored += 1, // a sender never sends these
        }
    }

    fn on_timer(&mut self, now: Duration) {
        let Some(deadline) = self.next_timer() else { return };
        if now < deadline {
            return;
        }
        if self.linger_until.is_some_and(|until| now < until) {
            match self.phase {
                Phase::Aborting(_) => self.abort_due = true,
                _ => self.ack_due = true,
            }
            self.repeat_at = None; // set again when the repeat goes
            return;
        }
        self.phase = match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Open => Phase::Failed(Failure::SenderSilent(self.config.idle_timeout)),
            Phase::Aborting(reason) => Phase::Failed(Failure::Aborted(reason)),
            _ => Phase::Done, // the linger is over
        };
    }

    // ANCHOR: send_ack
    fn poll_transmit(&mut self, now: Duration, out: &mut Vec<u8>) -> bool {
        out.clear();
        let window = self.inbox.room().min(u32::from(u16::MAX)) as u16;
        if self.abort_due {
            self.abort_due = false;
            let Phase::Aborting(reason) = &self.phase else { return false };
            Segment::new(Kind::Abort, 0, 0, 0).with_payload(reason.as_bytes()).encode_into(out);
            self.linger(now);
        } else if self.synack_due {
            self.synack_due = false;
            Segment::new(Kind::SynAck, 0, self.inbox.expected, window).encode_into(out);
            self.advertised = u32::from(window);
        } else if self.ack_due {
            self.ack_due = false;
            // One cumulative ACK for everything that arrived since the last one.
            self.sack.clear();
            self.reassembly.sack(&mut self.sack);
            let ack = Segment::new(Kind::Ack, 0, self.ack_number(), window);
            ack.with_payload(&self.sack).encode_into(out);
            self.advertised = u32::from(window);
            self.stats.acks += 1;
            if let Phase::Lingering = self.phase {
                self.linger(now);
            }
        } else {
            return false;
        }
        true
    }
    // ANCHOR_END: send_ack

    fn next_timer(&self) -> Option<Duration> {
        match self.phase {
            Phase::Open => Some(self.last_heard + self.config.idle_timeout),
            Phase::Lingering | Phase::Aborting(_) => match (self.linger_until, self.repeat_at) {
                (Some(until), Some(repeat)) => Some(until.min(repeat)),
                (until, _) => until,
            },
            _ => None,
        }
    }

    fn state(&self) -> State {
        match &self.phase {
            Phase::Listen => State::Connecting,
            Phase::Open => State::Open,
            Phase::FinReceived | Phase::Lingering | Phase::Aborting(_) => State::Closing,
            Phase::Done => State::Done,
            Phase::Failed(failure) => State::Failed(failure.clone()),
        }
    }

    fn stats(&self) -> Stats {
        self.stats.clone()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn receiver(protocol: Protocol, window: u16) -> Receiver {
        let mut config = Config::new(protocol);
        config.window = window;
        let mut receiver = Receiver::new(config);
        let mut syn = Segment::new(Kind::Syn, u32::MAX, 0, 8);
        syn.flags = protocol as u8;
        receiver.on_datagram(ms(0), &syn.encode());
        receiver
    }

    fn data(receiver: &mut Receiver, seq: u32, payload: &[u8]) {
        receiver.on_datagram(
            ms(1),
            &Segment::new(Kind::Data, seq, 0, 0).with_payload(payload).encode(),
        );
    }

    /// The segments the receiver sends now, decoded to (kind, ack, window, payload).
    fn sent(receiver: &mut Receiver) -> Vec<(Kind, u32, u16, Vec<u8>)> {
        let (mut out, mut all) = (Vec::new(), Vec::new());
        while receiver.poll_transmit(ms(2), &mut out) {
            let s = Segment::decode(&out).unwrap();
            all.push((s.kind, s.ack, s.window, s.payload.to_vec()));
        }
        all
    }

    fn read_all(receiver: &mut Receiver) -> Vec<u8> {
        let mut buf = [0u8; 100];
        let count = receiver.read(&mut buf);
        buf[..count].to_vec()
    }

    #[test]
    fn the_syn_is_answered_with_the_first_expected_number_even_across_the_wrap() {
        let mut receiver = receiver(Protocol::GoBackN, 4);
        assert_eq!(sent(&mut receiver), [(Kind::SynAck, 0, 4, vec![])]); // u32::MAX + 1 = 0
    }

    #[test]
    fn in_order_receivers_drop_what_follows_a_gap_and_say_what_they_expect() {
        for protocol in [Protocol::StopAndWait, Protocol::GoBackN] {
            let mut receiver = receiver(protocol, 4);
            sent(&mut receiver);
            data(&mut receiver, 1, b"b"); // 0 is missing
            assert_eq!(sent(&mut receiver), [(Kind::Ack, 0, 4, vec![])]);
            data(&mut receiver, 0, b"a");
            data(&mut receiver, 0, b"a"); // a duplicate
            assert_eq!(sent(&mut receiver), [(Kind::Ack, 1, 3, vec![])], "one ACK for the batch");
            assert_eq!(read_all(&mut receiver), b"a");
            assert_eq!((receiver.stats().duplicates, receiver.stats().out_of_order), (1, 1));
        }
    }

    #[test]
    fn the_reorder_buffer_holds_reports_and_delivers_once_the_gap_fills() {
        let mut receiver = receiver(Protocol::SelectiveRepeat, 8);
        sent(&mut receiver);
        data(&mut receiver, 2, b"c");
        data(&mut receiver, 4, b"e");
        data(&mut receiver, 4, b"e");
        // ack 0; bit 1 = segment 2, bit 3 = segment 4
        assert_eq!(sent(&mut receiver), [(Kind::Ack, 0, 8, vec![0b1010])]);
        assert_eq!(read_all(&mut receiver), b"");
        data(&mut receiver, 0, b"a");
        data(&mut receiver, 1, b"b");
        assert_eq!(sent(&mut receiver), [(Kind::Ack, 3, 7, vec![0b1])]);
        data(&mut receiver, 3, b"d");
        assert_eq!(read_all(&mut receiver), b"abcde");
        assert_eq!(receiver.stats().duplicates, 1);
        data(&mut receiver, 20, b"z"); // beyond the window
        assert_eq!(receiver.stats().out_of_order, 3);
    }

    #[test]
    fn a_full_buffer_advertises_zero_and_reading_sends_a_window_update() {
        let mut receiver = receiver(Protocol::GoBackN, 2);
        sent(&mut receiver);
        data(&mut receiver, 0, &[1; MAX_PAYLOAD]);
        data(&mut receiver, 1, &[2; MAX_PAYLOAD]);
        data(&mut receiver, 2, &[3; MAX_PAYLOAD]); // no room: dropped
        assert_eq!(sent(&mut receiver), [(Kind::Ack, 2, 0, vec![])]);
        let mut buf = vec![0u8; 2 * MAX_PAYLOAD];
        assert_eq!(receiver.read(&mut buf), 2 * MAX_PAYLOAD);
        assert_eq!(sent(&mut receiver), [(Kind::Ack, 2, 2, vec![])]);
    }

    #[test]
    fn the_fins_ack_waits_for_the_verdict_and_comes_again_while_lingering() {
        let mut receiver = receiver(Protocol::StopAndWait, 4);
        sent(&mut receiver);
        let fin = Segment::new(Kind::Fin, 1, 0, 0).encode();
        receiver.on_datagram(ms(1), &fin); // segment 0 is missing: not the end yet
        assert!(!receiver.at_end());
        data(&mut receiver, 0, b"x");
        receiver.on_datagram(ms(1), &fin);
        sent(&mut receiver);
        assert_eq!(read_all(&mut receiver), b"x");
        assert!(receiver.at_end());
        receiver.finish(Ok(()));
        assert_eq!(sent(&mut receiver), [(Kind::Ack, 2, 4, vec![])]);
        receiver.on_datagram(ms(3), &fin); // our ACK was lost
        assert_eq!(sent(&mut receiver), [(Kind::Ack, 2, 4, vec![])]);
        let linger = receiver.next_timer().unwrap();
        receiver.on_timer(ms(10_000).max(linger));
        while receiver.state() != State::Done {
            let next = receiver.next_timer().unwrap();
            receiver.on_timer(next);
            sent(&mut receiver);
        }
    }

    #[test]
    fn a_refusal_is_an_abort_with_its_reason() {
        let mut receiver = receiver(Protocol::SelectiveRepeat, 4);
        sent(&mut receiver);
        receiver.finish(Err("disk full".into()));
        assert_eq!(sent(&mut receiver), [(Kind::Abort, 0, 0, b"disk full".to_vec())]);
        data(&mut receiver, 0, b"late");
        assert_eq!(sent(&mut receiver), [(Kind::Abort, 0, 0, b"disk full".to_vec())]);
    }

    #[test]
    fn a_syn_for_an_unknown_protocol_is_refused() {
        let mut receiver = Receiver::new(Config::new(Protocol::GoBackN));
        let mut syn = Segment::new(Kind::Syn, 5, 0, 8);
        syn.flags = 9;
        receiver.on_datagram(ms(0), &syn.encode());
        let abort = sent(&mut receiver);
        assert_eq!(abort[0].0, Kind::Abort);
        assert!(String::from_utf8_lossy(&abort[0].3).contains("unknown protocol 9"));
    }

    #[test]
    fn reasons_from_the_network_are_printable_and_short() {
        assert_eq!(printable_reason(b"bad\x1b[2Jthing\n"), "bad\u{FFFD}[2Jthing\u{FFFD}");
        assert_eq!(printable_reason(&[b'x'; 1000]).len(), MAX_REASON);
    }

    proptest! {
        #[test]
        fn no_datagram_sequence_makes_either_end_panic(
            datagrams in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..40),
            kinds in proptest::collection::vec(1u8..=6, 0..40),
        ) {
            let mut receiver = receiver(Protocol::SelectiveRepeat, 4);
            let mut sender = crate::Sender::new(Config::new(Protocol::SelectiveRepeat));
            sender.write(&[1; 5000]);
            let mut out = Vec::new();
            for (i, mut datagram) in datagrams.into_iter().enumerate() {
                if let (Some(kind), true) = (kinds.get(i), datagram.len() >= 12) {
                    datagram[0] = *kind; // mostly valid headers, random fields
                }
                let now = ms(i as u64 * 300);
                receiver.on_datagram(now, &datagram);
                sender.on_datagram(now, &datagram);
                receiver.on_timer(now);
                sender.on_timer(now);
                while receiver.poll_transmit(now, &mut out) {}
                while sender.poll_transmit(now, &mut out) {}
                receiver.read(&mut [0; 64]);
            }
        }
    }
}
