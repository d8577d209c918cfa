//! A simulated network: a fake clock and a seeded lossy link, to run a
//! [`Sender`] and a [`Receiver`] against each other with no socket at all.
//!
//! Because the protocol code does no I/O and reads no clock (it is handed
//! `now`), the simulator can jump from one event to the next: a transfer
//! that takes minutes of simulated time through a lossy, slow link runs in
//! milliseconds, and the same seed gives exactly the same run, every time.
//! That is how the tests try thousands of loss patterns per protocol.
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use crate::{Config, Endpoint, Receiver, Sender, State, Stats};

/// Which way a datagram travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Direction {
    /// Sender to receiver: SYN, DATA, FIN.
    Up,
    /// Receiver to sender: SYN-ACK, ACK.
    Down,
}

// ANCHOR: link
/// What the link does to each datagram (the same in both directions).
#[derive(Clone, Debug, Default)]
pub struct Link {
    /// Probability that a datagram is lost.
    pub loss: f64,
    /// Probability that a datagram arrives twice.
    pub duplicate: f64,
    /// Probability that a datagram is held back and overtaken.
    pub reorder: f64,
    /// One-way delay.
    pub delay: Duration,
    /// Extra random delay, uniform in `0..jitter`.
    pub jitter: Duration,
    /// Bandwidth in bytes per second (`None`: infinite); datagrams queue for it.
    pub rate: Option<u64>,
    /// At this time the receiver vanishes: nothing reaches it or comes from it.
    pub vanish_at: Option<Duration>,
}
// ANCHOR_END: link

/// A small, fast, seeded random number generator (SplitMix64): the
/// simulation needs repeatable randomness, not a cryptographic one.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator that always gives the same numbers for the same seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0.0..1.0`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `true` with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }
}

/// A datagram on its way: ordered by arrival time, then by when it was sent.
type InFlight = Reverse<(Duration, u64, Direction, Vec<u8>)>;

/// Decides which datagrams to drop on purpose, e.g. "the first ACK of the FIN".
pub type DropRule = Box<dyn FnMut(Direction, &[u8]) -> bool>;

/// What happened in a run.
#[derive(Debug)]
pub struct Outcome {
    /// The bytes the receiving application read, in order.
    pub delivered: Vec<u8>,
    /// How the sender ended.
    pub sender: State,
    /// How the receiver ended (its state when it vanished, if it did).
    pub receiver: State,
    /// The sender's counters at the end.
    pub sender_stats: Stats,
    /// The receiver's counters at the end.
    pub receiver_stats: Stats,
    /// When the sender's connection was open (SYN-ACK received).
    pub opened_at: Option<Duration>,
    /// When the last data byte was acknowledged.
    pub all_acked_at: Option<Duration>,
    /// When the run ended (both sides finished, or the time limit).
    pub ended_at: Duration,
    /// Datagrams handed to the link in each direction.
    pub datagrams: [u64; 2],
}

impl Outcome {
    /// Goodput in bytes per second of simulated time, from the opening of the
    /// connection to the acknowledgment of the last byte.
    pub fn goodput(&self) -> Option<f64> {
        let span = self.all_acked_at?.checked_sub(self.opened_at?)?;
        Some(self.sender_stats.bytes as f64 / span.as_secs_f64())
    }
}

// ANCHOR: simulation
/// A sender and a receiver joined by a simulated [`Link`].
pub struct Simulation {
    sender: Sender,
    receiver: Receiver,
    link: Link,
    rng: Rng,
    queue: BinaryHeap<InFlight>,
    busy_until: [Duration; 2],
    sent: u64,
    datagrams: [u64; 2],
    drop_rule: Option<DropRule>,
    abort_after: Option<(usize, String)>,
    stall: Option<(Duration, Duration)>,
    time_limit: Duration,
}
// ANCHOR_END: simulation

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulation").field("link", &self.link).finish_non_exhaustive()
    }
}

impl Simulation {
    /// A sender with `config` and a receiver with the same window, over `link`,
    /// with randomness from `seed`.
    pub fn new(config: Config, link: Link, seed: u64) -> Self {
        Self {
            receiver: Receiver::new(config.clone()),
            sender: Sender::new(config),
            link,
            rng: Rng::new(seed),
            queue: BinaryHeap::new(),
            busy_until: [Duration::ZERO; 2],
            sent: 0,
            datagrams: [0; 2],
            drop_rule: None,
            abort_after: None,
            stall: None,
            time_limit: Duration::from_secs(3600),
        }
    }

    /// The receiver gets its own configuration (e.g. a smaller window).
    pub fn receiver_config(mut self, config: Config) -> Self {
        self.receiver = Receiver::new(config);
        self
    }

    /// Drops every datagram for which `rule` returns `true`, besides the random losses.
    pub fn drop_when(mut self, rule: impl FnMut(Direction, &[u8]) -> bool + 'static) -> Self {
        self.drop_rule = Some(Box::new(rule));
        self
    }

    /// The receiving application aborts with `reason` once it has read `bytes`.
    pub fn abort_after(mut self, bytes: usize, reason: &str) -> Self {
        self.abort_after = Some((bytes, reason.to_owned()));
        self
    }

    /// The receiving application reads nothing from `from` until `until`.
    pub fn stall_reader(mut self, from: Duration, until: Duration) -> Self {
        self.stall = Some((from, until));
        self
    }

    /// Stops the run at this simulated time, finished or not (default: an hour).
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = limit;
        self
    }

    fn vanished(&self, now: Duration) -> bool {
        self.link.vanish_at.is_some_and(|at| now >= at)
    }

    // ANCHOR: transmit
    /// Puts a datagram on the link: maybe lost, maybe twice, maybe late.
    fn transmit(&mut self, now: Duration, direction: Direction, datagram: &[u8]) {
        self.datagrams[direction as usize] += 1;
        let dropped = self.drop_rule.as_mut().is_some_and(|rule| rule(direction, datagram));
        if dropped || self.vanished(now) || self.rng.chance(self.link.loss) {
            return;
        }
        // The link's rate: a datagram waits for the ones before it to leave.
        let mut departure = now;
        if let Some(rate) = self.link.rate {
            let busy = &mut self.busy_until[direction as usize];
            let transmission = Duration::from_secs_f64(datagram.len() as f64 / rate.max(1) as f64);
            *busy = (*busy).max(now) + transmission;
            departure = *busy;
        }
        let copies = if self.rng.chance(self.link.duplicate) { 2 } else { 1 };
        for _ in 0..copies {
            let mut arrival =
                departure + self.link.delay + self.link.jitter.mul_f64(self.rng.unit());
            if self.rng.chance(self.link.reorder) {
                arrival += (self.link.delay + self.link.jitter) * 2 + Duration::from_millis(1);
            }
            self.sent += 1;
            self.queue.push(Reverse((arrival, self.sent, direction, datagram.to_vec())));
        }
    }
    // ANCHOR_END: transmit

    // ANCHOR: run
    /// Writes `data` into the sender, closes it, reads everything at the
    /// receiver, and runs until both ends are finished.
    pub fn run(mut self, data: &[u8]) -> Outcome {
        let (mut now, mut written, mut delivered) = (Duration::ZERO, 0, Vec::new());
        let (mut opened_at, mut all_acked_at, mut verdict_given) = (None, None, false);
        let (mut out, mut buf) = (Vec::new(), vec![0u8; 64 * 1024]);
        loop {
            // The applications: the sender's writes all it can, the receiver's reads all there is.
            loop {
                written += self.sender.write(&data[written..]);
                if written == data.len() {
                    self.sender.close();
                }
                let mut sent_any = false;
                while self.sender.poll_transmit(now, &mut out) {
                    self.transmit(now, Direction::Up, &out);
                    sent_any = true;
                }
                if !sent_any || written == data.len() {
                    break;
                }
            }
            if !self.vanished(now) {
                let stalled = self.stall.is_some_and(|(from, until)| from <= now && now < until);
                if !stalled {
                    loop {
                        let count = self.receiver.read(&mut buf);
                        delivered.extend_from_slice(&buf[..count]);
                        if count == 0 {
                            break;
                        }
                    }
                }
                if let Some((bytes, reason)) = &self.abort_after
                    && delivered.len() >= *bytes
                    && !verdict_given
                {
                    self.receiver.finish(Err(reason.clone()));
                    verdict_given = true;
                }
                if self.receiver.at_end() && !verdict_given {
                    self.receiver.finish(Ok(()));
                    verdict_given = true;
                }
                while self.receiver.poll_transmit(now, &mut out) {
                    self.transmit(now, Direction::Down, &out);
                }
            }
            // Bookkeeping for the goodput.
            let sender_state = self.sender.state();
            if opened_at.is_none() && matches!(sender_state, State::Open | State::Closing) {
                opened_at = Some(now);
            }
            if all_acked_at.is_none() && self.sender.stats().bytes == data.len() as u64 {
                all_acked_at = Some(now);
            }
            let receiver_finished = self.vanished(now)
                || matches!(self.receiver.state(), State::Done | State::Failed(_));
            let sender_finished = matches!(sender_state, State::Done | State::Failed(_));
            if sender_finished && receiver_finished {
                break;
            }
            // Jump to the next event: an arrival or a timer.
            let mut next = self.queue.peek().map(|Reverse((at, ..))| *at);
            for timer in [self.sender.next_timer(), self.receiver.next_timer()] {
                next = match (next, timer) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            if let Some((from, until)) = self.stall
                && from <= now
                && now < until
            {
                next = Some(next.map_or(until, |next| next.min(until)));
            }
            let Some(next) = next.filter(|next| *next <= self.time_limit) else { break };
            now = now.max(next);
            while let Some(Reverse((at, ..))) = self.queue.peek()
                && *at <= now
            {
                let Some(Reverse((_, _, direction, datagram))) = self.queue.pop() else { break };
                match direction {
                    Direction::Up if !self.vanished(now) => {
                        self.receiver.on_datagram(now, &datagram)
                    }
                    Direction::Up => {}
                    Direction::Down => self.sender.on_datagram(now, &datagram),
                }
            }
            self.sender.on_timer(now);
            if !self.vanished(now) {
                self.receiver.on_timer(now);
            }
        }
        Outcome {
            delivered,
            sender: self.sender.state(),
            receiver: self.receiver.state(),
            sender_stats: self.sender.stats(),
            receiver_stats: self.receiver.stats(),
            opened_at,
            all_acked_at,
            ended_at: now,
            datagrams: self.datagrams,
        }
    }
    // ANCHOR_END: run
}
