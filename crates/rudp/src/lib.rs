//! Reliable transport over UDP, built the way a textbook teaches it.
//!
//! UDP may lose, duplicate and reorder datagrams. This crate earns back what
//! TCP promises — every byte, in order, once — in three stages:
//!
//! 1. [`stop_and_wait`]: one segment in flight, a sequence number, an ACK and
//!    a retransmission timer.
//! 2. [`go_back_n`]: a window of segments in flight, cumulative ACKs, and on a
//!    timeout everything from the oldest unacknowledged segment is resent.
//! 3. [`selective_repeat`]: the receiver keeps out-of-order segments in a
//!    reorder buffer and reports them (SACK), so only what was lost is resent;
//!    optionally a congestion window (slow start, AIMD).
//!
//! All three share what is not specific to them: the wire format ([`wire`]),
//! sequence numbers that wrap ([`seq`]), the retransmission timeout estimated
//! from round trips ([`rtt`], RFC 6298), and the connection's life — set-up
//! (SYN, SYN-ACK), flow control (the receiver's advertised window), teardown
//! (FIN, ACK, the receiver's linger) and ABORT ([`Sender`] and [`Receiver`]).
//!
//! The protocol logic does no I/O: a [`Sender`] or [`Receiver`] is a state
//! machine fed with datagrams and the current time, which hands back the
//! datagrams to send and the time of its next timer ([`Endpoint`]). That is
//! what lets [`sim`] run thousands of lossy transfers deterministically in
//! milliseconds, and [`socket`] drive the same code over a real UDP socket.
//!
//! ```
//! use rudp::sim::{Link, Simulation};
//! use rudp::{Config, Protocol};
//!
//! let data: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
//! let link = Link { loss: 0.2, ..Link::default() };
//! let outcome = Simulation::new(Config::new(Protocol::SelectiveRepeat), link, 7).run(&data);
//! assert_eq!(outcome.delivered, data); // every byte, in order, once
//! assert!(outcome.sender_stats.retransmissions > 0);
//! ```
use std::fmt;
use std::time::Duration;

mod bytes;
mod receiver;
mod sender;

pub mod go_back_n;
pub mod rtt;
pub mod selective_repeat;
pub mod seq;
pub mod sim;
pub mod socket;
pub mod stop_and_wait;
pub mod wire;

pub use receiver::Receiver;
pub use sender::Sender;

/// Which of the three protocols a connection runs (the SYN's `flags` byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    StopAndWait = 0,
    GoBackN = 1,
    SelectiveRepeat = 2,
}

impl Protocol {
    /// The protocol a SYN's flags byte names.
    pub fn from_flags(flags: u8) -> Option<Self> {
        match flags {
            0 => Some(Self::StopAndWait),
            1 => Some(Self::GoBackN),
            2 => Some(Self::SelectiveRepeat),
            _ => None,
        }
    }

    /// The short name used on the command line: `sw`, `gbn` or `sr`.
    pub fn short_name(self) -> &'static str {
        match self {
            Self::StopAndWait => "sw",
            Self::GoBackN => "gbn",
            Self::SelectiveRepeat => "sr",
        }
    }
}

impl std::str::FromStr for Protocol {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "sw" | "stop-and-wait" => Ok(Self::StopAndWait),
            "gbn" | "go-back-n" => Ok(Self::GoBackN),
            "sr" | "selective-repeat" => Ok(Self::SelectiveRepeat),
            _ => Err(format!("unknown protocol {text:?} (expected sw, gbn or sr)")),
        }
    }
}

// ANCHOR: config
/// Everything a connection can be tuned with. [`Config::new`] gives defaults.
#[derive(Clone, Debug)]
pub struct Config {
    /// The protocol (the sender's choice; a receiver learns it from the SYN).
    pub protocol: Protocol,
    /// Segments in flight at most (go-back-N, selective repeat; stop-and-wait
    /// always has one), and at the receiver, segments it can buffer.
    pub window: u16,
    /// Payload bytes per DATA segment, at most [`wire::MAX_PAYLOAD`].
    pub segment_size: usize,
    /// The RTO before the first round trip is measured (RFC 6298: 1 s).
    pub initial_rto: Duration,
    /// The smallest RTO. RFC 6298 asks for 1 s, a value from 1988 networks
    /// and coarse clocks; Linux's TCP uses 200 ms, as we do by default: with
    /// a 1 s floor a single loss on a 10 ms path stalls the transfer for a
    /// hundred round trips, which hides the differences between the
    /// protocols that the course wants to show. Our timers are precise, and
    /// spurious retransmissions only cost a duplicate the receiver drops.
    pub min_rto: Duration,
    /// The largest RTO, where back-off stops doubling. RFC 6298 allows a
    /// cap of 60 s or more; ours is 1 s by default, fitting the loopback and
    /// LAN paths of the course: a vanished peer is noticed within about 12 s,
    /// and a receiver's [`Config::linger`] outlasts the sender's longest wait.
    pub max_rto: Duration,
    /// Give up after this many retransmission timeouts in a row with no
    /// answer from the peer in between ("the peer stopped answering").
    pub max_retries: u32,
    /// How long a receiver stays after acknowledging the FIN (or sending an
    /// ABORT), to answer a retransmitted FIN whose ACK was lost; each
    /// datagram heard meanwhile starts it again. Longer than `max_rto`, so
    /// that the sender's next try arrives before the receiver is gone.
    pub linger: Duration,
    /// A receiver that hears nothing from the sender for this long, before
    /// the FIN, fails ("the sender stopped sending").
    pub idle_timeout: Duration,
    /// Selective repeat only: limit the segments in flight by a congestion
    /// window (slow start, additive increase, back to 1 on a timeout).
    pub congestion_control: bool,
    /// The initial sequence number; the first DATA segment is `isn + 1`.
    pub isn: u32,
}
// ANCHOR_END: config

impl Config {
    /// The defaults: a 64-segment window, full 1460-byte segments, RTO from
    /// 1 s, between 200 ms and 1 s, 12 retries, a 2 s linger, a 30 s idle
    /// timeout, no congestion control and a random initial sequence number.
    pub fn new(protocol: Protocol) -> Self {
        Self {
            protocol,
            window: if protocol == Protocol::StopAndWait { 1 } else { 64 },
            segment_size: wire::MAX_PAYLOAD,
            initial_rto: Duration::from_secs(1),
            min_rto: Duration::from_millis(200),
            max_rto: Duration::from_secs(1),
            max_retries: 12,
            linger: Duration::from_secs(2),
            idle_timeout: Duration::from_secs(30),
            congestion_control: false,
            isn: random_u32(),
        }
    }
}

/// A random number from the standard library's randomly keyed hasher: no
/// dependency needed for an initial sequence number.
fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(u64::from(std::process::id()));
    hasher.finish() as u32 // keeps the low 32 bits: any of them is as random as the others
}

/// Where a connection is in its life.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Sender: SYN sent, no SYN-ACK yet. Receiver: waiting for a SYN.
    Connecting,
    /// Data flows.
    Open,
    /// Sender: closed by the application, sending what is left and the FIN.
    /// Receiver: the FIN arrived (or the application gave its verdict).
    Closing,
    /// Finished cleanly: every byte acknowledged and the FIN too.
    Done,
    /// Finished badly, and why.
    Failed(Failure),
}

/// Why a connection failed. The message of each says what happened, not a
/// guess: a peer that aborted is not a peer that stopped answering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The peer sent an ABORT with this reason.
    PeerAborted(String),
    /// This side aborted, with this reason.
    Aborted(String),
    /// No answer after `tries` transmissions of `waiting_for`.
    NoAnswer { waiting_for: Waiting, tries: u32 },
    /// A receiver heard nothing from the sender for this long.
    SenderSilent(Duration),
}

/// What a sender was waiting to have acknowledged when it gave up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// The SYN: the connection was never set up.
    Syn,
    /// A DATA segment, with its sequence number.
    Data(u32),
    /// The FIN: all data was acknowledged, only the end was not.
    Fin,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PeerAborted(reason) => write!(f, "the peer aborted the transfer: {reason}"),
            Self::Aborted(reason) => write!(f, "transfer aborted: {reason}"),
            Self::NoAnswer { waiting_for: Waiting::Syn, tries } => write!(
                f,
                "no answer to the connection request (SYN) after {tries} tries (is a receiver running there?)"
            ),
            Self::NoAnswer { waiting_for: Waiting::Data(seq), tries } => write!(
                f,
                "the peer stopped answering: segment {seq} unacknowledged after {tries} tries"
            ),
            Self::NoAnswer { waiting_for: Waiting::Fin, tries } => write!(
                f,
                "all data was acknowledged, but not the end of the transfer (FIN) after {tries} tries: \
                 the receiver may have gone"
            ),
            Self::SenderSilent(idle) => {
                write!(f, "the sender stopped sending: nothing heard for {} s", idle.as_secs_f64())
            }
        }
    }
}

impl std::error::Error for Failure {}

/// Counters a connection keeps, for the programs' reports and the tests.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    /// Payload bytes sent and acknowledged (sender) or delivered in order (receiver).
    pub bytes: u64,
    /// DATA segments: sent for the first time (sender), accepted as new (receiver).
    pub segments: u64,
    /// DATA segments sent again (sender).
    pub retransmissions: u64,
    /// Retransmission timer expiries (sender).
    pub timeouts: u64,
    /// ACKs received (sender) or sent (receiver).
    pub acks: u64,
    /// DATA segments received that were already there (receiver).
    pub duplicates: u64,
    /// DATA segments received ahead of a gap: held (selective repeat) or
    /// discarded (stop-and-wait, go-back-N) (receiver).
    pub out_of_order: u64,
    /// Datagrams that were not rudp segments, or not from this connection.
    pub ignored: u64,
    /// The most segments in flight at once (sender).
    pub max_in_flight: u64,
    /// Smoothed round-trip time (sender, once measured).
    pub srtt: Option<Duration>,
    /// The retransmission timeout at the end (sender).
    pub rto: Duration,
    /// The congestion window in segments at the end (selective repeat with
    /// congestion control).
    pub cwnd: Option<f64>,
}

// ANCHOR: endpoint
/// What a driver (a socket loop, or the simulator) does with a sender or a
/// receiver: feed it datagrams and timer expiries, send what it hands back.
pub trait Endpoint {
    /// A datagram arrived from the peer at time `now`.
    fn on_datagram(&mut self, now: Duration, datagram: &[u8]);
    /// Call when `now >= next_timer()`.
    fn on_timer(&mut self, now: Duration);
    /// The next datagram to send, written into `out` (cleared first);
    /// `false` when there is nothing to send now. Call until `false`.
    fn poll_transmit(&mut self, now: Duration, out: &mut Vec<u8>) -> bool;
    /// When [`Endpoint::on_timer`] should be called next, if ever.
    fn next_timer(&self) -> Option<Duration>;
    /// Where the connection is.
    fn state(&self) -> State;
    /// Its counters.
    fn stats(&self) -> Stats;
}
// ANCHOR_END: endpoint
