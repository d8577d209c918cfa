//! What the link does to each datagram: pure decisions, no socket, no clock.
//!
//! A [`Link`] is one direction of the proxy. It is handed each datagram with
//! the time it arrived ([`Link::decide`]) and answers with a [`Verdict`]: its
//! [`Fate`] and the times at which its copies leave (none when it is dropped,
//! two when it is duplicated). The socket loop only carries the verdict out.
//!
//! # What is replayable, and what is not
//!
//! The random numbers behind the *independent* faults (loss, duplication,
//! reordering, the jitter of the delay) are not taken from a generator that
//! advances with every call: they are a keyed BLAKE3 hash of the seed, the
//! direction, the datagram's bytes and how many times the very same bytes
//! already passed in this direction ([`draws`]). So the same seed makes the
//! same decision for the same datagram, whatever the timing, however the
//! operating system interleaves the two directions, even when a sender's
//! retransmission timer fires a little earlier in one run than in another:
//! the first copy of segment 7 meets the same fate in every run, and so does
//! its first retransmission (the same bytes a second time).
//!
//! Three faults cannot be replayable in that sense, and the proxy does not
//! pretend they are:
//!
//! - the explicit drop list counts datagrams in the order they arrive (`--drop
//!   3` drops the third one, whichever that is);
//! - the Gilbert–Elliott channel has a *state* (good or bad) that each datagram
//!   moves along: its random numbers come from the datagram, but whether a
//!   datagram finds the channel bad depends on the ones that came before it;
//! - the rate limiter's queue holds what arrived and has not left yet, which
//!   depends on when datagrams arrive, that is on timing.
//!
//! With none of these three, a rerun with the same seed and the same traffic
//! drops exactly the same datagrams.
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// Which way a datagram travels through the proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// From a client to the server ("up").
    Up,
    /// From the server back to a client ("down").
    Down,
}

impl Direction {
    /// Both directions, `up` first.
    pub const BOTH: [Direction; 2] = [Direction::Up, Direction::Down];

    /// `"up"` or `"down"`, as in the log.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }

    /// The byte that stands for the direction in the hash.
    fn tag(self) -> u8 {
        match self {
            Direction::Up => b'u',
            Direction::Down => b'd',
        }
    }
}

/// What happened to one datagram. Each datagram has exactly one fate, chosen
/// in this order: listed, burst, dropped, queue, then duplicated, reordered or
/// delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fate {
    /// Delivered once (possibly after a delay).
    Delivered,
    /// Lost at random, independently of every other datagram (`--loss`).
    Dropped,
    /// Lost in the Gilbert–Elliott channel's bad state (`--burst`).
    Burst,
    /// Dropped because its index is in the explicit list (`--drop`).
    Listed,
    /// Dropped because the rate limiter's queue was full (tail drop).
    Queue,
    /// Delivered twice (`--duplicate`).
    Duplicated,
    /// Held back so that later datagrams overtake it (`--reorder`).
    Reordered,
}

impl Fate {
    /// The word the log uses.
    pub fn name(self) -> &'static str {
        match self {
            Fate::Delivered => "delivered",
            Fate::Dropped => "dropped",
            Fate::Burst => "burst",
            Fate::Listed => "listed",
            Fate::Queue => "queue",
            Fate::Duplicated => "duplicated",
            Fate::Reordered => "reordered",
        }
    }

    /// Every fate a datagram can have.
    pub const ALL: [Fate; 7] = [
        Fate::Delivered,
        Fate::Dropped,
        Fate::Burst,
        Fate::Listed,
        Fate::Queue,
        Fate::Duplicated,
        Fate::Reordered,
    ];

    /// The fate a log word names.
    pub fn from_name(name: &str) -> Option<Fate> {
        Fate::ALL.into_iter().find(|fate| fate.name() == name)
    }

    /// Whether no copy of the datagram leaves the proxy.
    pub fn is_drop(self) -> bool {
        matches!(self, Fate::Dropped | Fate::Burst | Fate::Listed | Fate::Queue)
    }
}

/// The parameters of the Gilbert–Elliott model of bursty loss.
///
/// The channel is either *good* (nothing lost here) or *bad* (each datagram
/// lost with probability `loss_in_bad`). Before each datagram leaves a state,
/// the channel may switch: good → bad with probability `enter`, bad → good
/// with probability `leave`. Bursts therefore last `1 / leave` datagrams on
/// average, and the channel is bad `enter / (enter + leave)` of the time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GilbertElliott {
    /// Probability of going from good to bad after a datagram.
    pub enter: f64,
    /// Probability of going from bad back to good after a datagram.
    pub leave: f64,
    /// Probability that a datagram is lost while the channel is bad.
    pub loss_in_bad: f64,
}

/// The Gilbert–Elliott channel's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Channel {
    /// Nothing is lost by the burst model (independent `--loss` still applies).
    #[default]
    Good,
    /// Datagrams are lost with probability `loss_in_bad`.
    Bad,
}

// ANCHOR: gilbert_elliott
impl GilbertElliott {
    /// One datagram through the two-state channel: whether the channel loses
    /// it, and the state the next datagram finds. `lose` and `switch` are two
    /// random numbers in [0, 1).
    pub fn step(&self, state: Channel, lose: f64, switch: f64) -> (bool, Channel) {
        match state {
            Channel::Good => {
                let next = if switch < self.enter { Channel::Bad } else { Channel::Good };
                (false, next)
            }
            Channel::Bad => {
                let next = if switch < self.leave { Channel::Good } else { Channel::Bad };
                (lose < self.loss_in_bad, next)
            }
        }
    }

    /// The share of datagrams the channel loses in the long run.
    pub fn mean_loss(&self) -> f64 {
        if self.enter + self.leave == 0.0 {
            return 0.0; // it stays good forever
        }
        self.enter / (self.enter + self.leave) * self.loss_in_bad
    }
}
// ANCHOR_END: gilbert_elliott

/// One direction's faults. [`Settings::default`] is a perfect link: nothing
/// lost, nothing delayed.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Independent loss probability (0 to 1).
    pub loss: f64,
    /// Bursty loss, if any.
    pub burst: Option<GilbertElliott>,
    /// Probability that a datagram is delivered twice.
    pub duplicate: f64,
    /// Probability that a datagram is held back for [`Settings::reorder_hold`].
    pub reorder: f64,
    /// How much longer a reordered datagram waits than the others.
    pub reorder_hold: Duration,
    /// The delay every datagram gets.
    pub delay: Duration,
    /// Up to this much more or less delay, uniformly at random.
    pub jitter: Duration,
    /// The bottleneck's rate in bytes per second, if any.
    pub rate: Option<u64>,
    /// How many datagrams the bottleneck holds (waiting or being sent).
    pub queue: usize,
    /// Datagram indexes (1-based, inclusive ranges) to drop.
    pub drop: Vec<(u64, u64)>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            loss: 0.0,
            burst: None,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_hold: Duration::from_millis(10),
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            rate: None,
            queue: 100,
            drop: Vec::new(),
        }
    }
}

impl Settings {
    /// Whether datagram `n` (1-based) is in the explicit drop list.
    pub fn listed(&self, n: u64) -> bool {
        self.drop.iter().any(|&(first, last)| (first..=last).contains(&n))
    }

    /// The delay for a datagram whose jitter draw is `u` in [0, 1): uniform
    /// in [delay - jitter, delay + jitter], never below zero.
    pub fn delay_for(&self, u: f64) -> Duration {
        let offset = (2.0 * u - 1.0) * self.jitter.as_nanos() as f64;
        let nanos = self.delay.as_nanos() as f64 + offset;
        Duration::from_nanos(nanos.max(0.0).round() as u64)
    }

    /// Whether this direction does anything at all to datagrams.
    pub fn is_perfect(&self) -> bool {
        *self
            == Settings {
                reorder_hold: self.reorder_hold,
                queue: self.queue,
                ..Settings::default()
            }
    }
}

/// The random numbers one datagram's decisions use, each in [0, 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Draws {
    /// Compared with `--loss`.
    pub loss: f64,
    /// Compared with the burst model's `loss_in_bad`.
    pub burst_loss: f64,
    /// Compared with the burst model's `enter` or `leave`.
    pub switch: f64,
    /// Compared with `--duplicate`.
    pub duplicate: f64,
    /// Compared with `--reorder`.
    pub reorder: f64,
    /// Places the delay within the jitter.
    pub jitter: f64,
    /// Places the second copy's delay within the jitter.
    pub jitter_copy: f64,
}

/// The hash key for a seed: every seed gives an unrelated key.
pub fn key(seed: u64) -> [u8; 32] {
    blake3::derive_key("lossy-link 2025 decisions", &seed.to_le_bytes())
}

// ANCHOR: draws
/// The random numbers for one datagram: a keyed hash (the key comes from the
/// seed) of the direction, the number of times these same bytes already
/// passed in this direction, and the bytes themselves (their BLAKE3 hash,
/// `fingerprint`). Nothing else goes in: no time, no counter of all datagrams.
pub fn draws(key: &[u8; 32], direction: Direction, occurrence: u64, fingerprint: &[u8]) -> Draws {
    let mut hasher = blake3::Hasher::new_keyed(key);
    hasher.update(&[direction.tag()]);
    hasher.update(&occurrence.to_le_bytes());
    hasher.update(fingerprint);
    let mut bytes = [0u8; 56];
    hasher.finalize_xof().fill(&mut bytes); // as many random bytes as we ask for
    let mut next = bytes.chunks_exact(8).map(|chunk| {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        unit(u64::from_le_bytes(word))
    });
    let mut take = || next.next().unwrap_or(0.0); // seven chunks of eight bytes: never empty
    Draws {
        loss: take(),
        burst_loss: take(),
        switch: take(),
        duplicate: take(),
        reorder: take(),
        jitter: take(),
        jitter_copy: take(),
    }
}
// ANCHOR_END: draws

/// A uniform number in [0, 1) from 64 random bits: the top 53 bits, the
/// precision of an `f64`.
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

// ANCHOR: queue
/// A bottleneck: datagrams leave one after the other at `rate` bytes per
/// second, and at most `capacity` of them wait (counting the one being sent).
/// A datagram that finds the queue full is dropped: a *tail drop*, what a
/// router's simplest queue does.
#[derive(Clone, Debug)]
pub struct RateQueue {
    rate: u64,
    capacity: usize,
    /// When each datagram in the queue has finished leaving, oldest first.
    departures: VecDeque<Duration>,
}

impl RateQueue {
    /// A bottleneck of `rate` bytes per second (at least 1) holding `capacity` datagrams.
    pub fn new(rate: u64, capacity: usize) -> Self {
        RateQueue { rate: rate.max(1), capacity, departures: VecDeque::new() }
    }

    /// A datagram of `size` bytes arrives at `now`: returns when it has
    /// finished leaving the bottleneck, or `None` if the queue is full.
    pub fn offer(&mut self, now: Duration, size: usize) -> Option<Duration> {
        while self.departures.front().is_some_and(|&done| done <= now) {
            self.departures.pop_front(); // gone already
        }
        if self.departures.len() >= self.capacity {
            return None; // tail drop
        }
        let start = self.departures.back().map_or(now, |&last| last.max(now));
        let done = start + self.transmission(size);
        self.departures.push_back(done);
        Some(done)
    }

    /// How long `size` bytes take to leave at the queue's rate.
    pub fn transmission(&self, size: usize) -> Duration {
        let nanos = size as u128 * 1_000_000_000 / u128::from(self.rate);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// Datagrams waiting or being sent at `now`.
    pub fn len_at(&self, now: Duration) -> usize {
        self.departures.iter().filter(|&&done| done > now).count()
    }
}
// ANCHOR_END: queue

/// The decision about one datagram.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// Its 1-based index in its direction.
    pub n: u64,
    /// What happens to it.
    pub fate: Fate,
    /// When each copy leaves the proxy (in the proxy's time, like `now`),
    /// earliest first: empty when dropped, two when duplicated.
    pub out: Vec<Duration>,
}

/// One direction of the link: the settings, and the little state the
/// decisions need (how many datagrams came, how often each content came, the
/// burst channel's state, the bottleneck's queue).
#[derive(Debug)]
pub struct Link {
    direction: Direction,
    settings: Settings,
    key: [u8; 32],
    received: u64,
    /// How many times each content passed, by the first 16 bytes of its BLAKE3
    /// hash. It grows by about 40 bytes per distinct datagram.
    seen: HashMap<[u8; 16], u64>,
    channel: Channel,
    queue: Option<RateQueue>,
}

impl Link {
    /// One direction of the link with these faults and this seed.
    pub fn new(direction: Direction, settings: Settings, seed: u64) -> Self {
        let queue = settings.rate.map(|rate| RateQueue::new(rate, settings.queue));
        Link {
            direction,
            settings,
            key: key(seed),
            received: 0,
            seen: HashMap::new(),
            channel: Channel::Good,
            queue,
        }
    }

    /// The settings this link applies.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// How many datagrams it has been handed.
    pub fn received(&self) -> u64 {
        self.received
    }

    // ANCHOR: decide
    /// Decides the fate of `datagram`, which arrived at `now`.
    pub fn decide(&mut self, now: Duration, datagram: &[u8]) -> Verdict {
        self.received += 1;
        let n = self.received;
        let fingerprint = blake3::hash(datagram);
        let mut short = [0u8; 16];
        short.copy_from_slice(&fingerprint.as_bytes()[..16]);
        let passed = self.seen.entry(short).or_insert(0);
        let occurrence = *passed; // 0 the first time these bytes pass
        *passed += 1;
        let draw = draws(&self.key, self.direction, occurrence, fingerprint.as_bytes());
        let settings = &self.settings;

        // The burst channel moves on with every datagram, whatever its fate.
        let mut burst_lost = false;
        if let Some(model) = settings.burst {
            (burst_lost, self.channel) = model.step(self.channel, draw.burst_loss, draw.switch);
        }
        let dropped = if settings.listed(n) {
            Some(Fate::Listed)
        } else if burst_lost {
            Some(Fate::Burst)
        } else if draw.loss < settings.loss {
            Some(Fate::Dropped)
        } else {
            None
        };
        if let Some(fate) = dropped {
            return Verdict { n, fate, out: Vec::new() };
        }
        // Through the bottleneck (if any), then down the wire (the delay).
        let sent = match &mut self.queue {
            Some(queue) => match queue.offer(now, datagram.len()) {
                Some(done) => done,
                None => return Verdict { n, fate: Fate::Queue, out: Vec::new() },
            },
            None => now,
        };
        let first = sent + settings.delay_for(draw.jitter);
        if draw.duplicate < settings.duplicate {
            let second = sent + settings.delay_for(draw.jitter_copy);
            let out = vec![first.min(second), first.max(second)];
            Verdict { n, fate: Fate::Duplicated, out }
        } else if draw.reorder < settings.reorder {
            Verdict { n, fate: Fate::Reordered, out: vec![first + settings.reorder_hold] }
        } else {
            Verdict { n, fate: Fate::Delivered, out: vec![first] }
        }
    }
    // ANCHOR_END: decide
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn datagrams(count: usize) -> Vec<Vec<u8>> {
        (0..count).map(|i| format!("datagram {i}").into_bytes()).collect()
    }

    fn fates(settings: &Settings, seed: u64, direction: Direction, count: usize) -> Vec<Fate> {
        let mut link = Link::new(direction, settings.clone(), seed);
        datagrams(count).iter().map(|d| link.decide(Duration::ZERO, d).fate).collect()
    }

    fn share(fates: &[Fate], fate: Fate) -> f64 {
        fates.iter().filter(|&&f| f == fate).count() as f64 / fates.len() as f64
    }

    #[test]
    fn a_perfect_link_delivers_everything_at_once() {
        let mut link = Link::new(Direction::Up, Settings::default(), 0);
        for (i, datagram) in datagrams(100).iter().enumerate() {
            let now = MS * i as u32;
            let verdict = link.decide(now, datagram);
            assert_eq!(verdict, Verdict { n: i as u64 + 1, fate: Fate::Delivered, out: vec![now] });
        }
        assert!(Settings::default().is_perfect());
    }

    #[test]
    fn no_loss_never_drops_and_full_loss_always_does() {
        let none = Settings { loss: 0.0, ..Settings::default() };
        assert!(fates(&none, 1, Direction::Up, 1000).iter().all(|&f| f == Fate::Delivered));
        let all = Settings { loss: 1.0, ..Settings::default() };
        assert!(fates(&all, 1, Direction::Up, 1000).iter().all(|&f| f == Fate::Dropped));
    }

    #[test]
    fn thirty_percent_loss_loses_about_thirty_percent() {
        let settings = Settings { loss: 0.3, ..Settings::default() };
        let lost = share(&fates(&settings, 42, Direction::Up, 10_000), Fate::Dropped);
        assert!((0.28..0.32).contains(&lost), "lost {lost}");
    }

    #[test]
    fn the_same_seed_makes_the_same_decisions() {
        let settings = Settings { loss: 0.3, duplicate: 0.1, reorder: 0.1, ..Settings::default() };
        let first = fates(&settings, 42, Direction::Up, 500);
        assert_eq!(first, fates(&settings, 42, Direction::Up, 500));
        assert_ne!(first, fates(&settings, 43, Direction::Up, 500), "another seed, other fates");
        assert_ne!(first, fates(&settings, 42, Direction::Down, 500), "each direction its own");
    }

    #[test]
    fn a_decision_does_not_depend_on_timing_or_on_other_datagrams() {
        let settings = Settings {
            loss: 0.3,
            duplicate: 0.2,
            reorder: 0.2,
            delay: 5 * MS,
            jitter: MS,
            ..Settings::default()
        };
        let all = datagrams(200);
        let mut steady = Link::new(Direction::Up, settings.clone(), 7);
        let reference: Vec<Verdict> =
            all.iter().map(|d| steady.decide(Duration::ZERO, d)).collect();
        // Every other datagram, at other times: each one's fate and delay are unchanged.
        let mut sparse = Link::new(Direction::Up, settings, 7);
        for (i, datagram) in all.iter().enumerate().step_by(2) {
            let now = MS * (i as u32 * 37);
            let verdict = sparse.decide(now, datagram);
            assert_eq!(verdict.fate, reference[i].fate, "datagram {i}");
            let delays: Vec<Duration> = verdict.out.iter().map(|&out| out - now).collect();
            assert_eq!(delays, reference[i].out, "datagram {i}");
        }
    }

    #[test]
    fn the_same_bytes_again_get_a_fresh_decision() {
        // A retransmission carries the same bytes: it must not share the first copy's fate.
        let settings = Settings { loss: 0.5, ..Settings::default() };
        let mut link = Link::new(Direction::Up, settings.clone(), 3);
        let repeats: Vec<Fate> =
            (0..200).map(|_| link.decide(Duration::ZERO, b"DATA 7").fate).collect();
        let lost = share(&repeats, Fate::Dropped);
        assert!((0.35..0.65).contains(&lost), "lost {lost} of 200 copies");
        // …and the k-th copy meets the same fate in every run.
        let mut again = Link::new(Direction::Up, settings, 3);
        let replay: Vec<Fate> =
            (0..200).map(|_| again.decide(Duration::ZERO, b"DATA 7").fate).collect();
        assert_eq!(repeats, replay);
    }

    #[test]
    fn draws_are_uniform_and_independent_of_each_other() {
        let key = key(9);
        let (mut sum, mut below) = ([0.0f64; 7], 0);
        let count = 20_000;
        for i in 0..count {
            let d = draws(&key, Direction::Up, 0, &u64::to_le_bytes(i));
            let all =
                [d.loss, d.burst_loss, d.switch, d.duplicate, d.reorder, d.jitter, d.jitter_copy];
            for (total, value) in sum.iter_mut().zip(all) {
                assert!((0.0..1.0).contains(&value));
                *total += value;
            }
            if d.loss < 0.5 && d.duplicate < 0.5 {
                below += 1;
            }
        }
        for total in sum {
            let mean = total / count as f64;
            assert!((0.49..0.51).contains(&mean), "mean {mean}");
        }
        let both = f64::from(below) / count as f64; // independent: 0.5 × 0.5
        assert!((0.24..0.26).contains(&both), "both below one half: {both}");
    }

    #[test]
    fn the_drop_list_drops_exactly_those() {
        let settings = Settings { drop: vec![(2, 3), (7, 7)], ..Settings::default() };
        let dropped: Vec<usize> = fates(&settings, 0, Direction::Down, 10)
            .iter()
            .enumerate()
            .filter(|(_, f)| **f == Fate::Listed)
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(dropped, [2, 3, 7]);
    }

    #[test]
    fn the_drop_list_counts_repeated_bytes_too() {
        let settings = Settings { drop: vec![(2, 2)], ..Settings::default() };
        let mut link = Link::new(Direction::Up, settings, 0);
        let got: Vec<Fate> = (0..3).map(|_| link.decide(Duration::ZERO, b"same").fate).collect();
        assert_eq!(got, [Fate::Delivered, Fate::Listed, Fate::Delivered]);
    }

    #[test]
    fn gilbert_elliott_steps() {
        let model = GilbertElliott { enter: 0.1, leave: 0.5, loss_in_bad: 1.0 };
        assert_eq!(model.step(Channel::Good, 0.0, 0.05), (false, Channel::Bad));
        assert_eq!(model.step(Channel::Good, 0.0, 0.5), (false, Channel::Good));
        assert_eq!(model.step(Channel::Bad, 0.99, 0.2), (true, Channel::Good));
        assert_eq!(model.step(Channel::Bad, 0.3, 0.7), (true, Channel::Bad));
        let half = GilbertElliott { loss_in_bad: 0.5, ..model };
        assert_eq!(half.step(Channel::Bad, 0.7, 0.7), (false, Channel::Bad));
        assert!((model.mean_loss() - 0.1 / 0.6).abs() < 1e-12);
        let never = GilbertElliott { enter: 0.0, leave: 0.0, loss_in_bad: 1.0 };
        assert_eq!(never.mean_loss(), 0.0);
    }

    #[test]
    fn gilbert_elliott_loses_in_bursts_of_the_expected_length() {
        let model = GilbertElliott { enter: 0.02, leave: 0.25, loss_in_bad: 1.0 };
        let settings = Settings { burst: Some(model), ..Settings::default() };
        let got = fates(&settings, 5, Direction::Up, 50_000);
        let lost = share(&got, Fate::Burst);
        let expected = model.mean_loss(); // 0.074
        assert!((lost - expected).abs() < 0.015, "lost {lost}, expected {expected}");
        // Bursts: runs of consecutive losses, 1 / leave = 4 datagrams on average.
        let (mut runs, mut in_run) = (0, false);
        for fate in &got {
            let now = *fate == Fate::Burst;
            if now && !in_run {
                runs += 1;
            }
            in_run = now;
        }
        let mean_run = lost * got.len() as f64 / f64::from(runs);
        assert!((3.4..4.6).contains(&mean_run), "mean burst {mean_run}");
        // Independent loss of the same average has short runs: the contrast the chapter shows.
        let independent = Settings { loss: expected, ..Settings::default() };
        let flat = fates(&independent, 5, Direction::Up, 50_000);
        let flat_runs = flat.windows(2).filter(|w| w[0] != Fate::Dropped && w[1] == Fate::Dropped);
        let flat_mean = share(&flat, Fate::Dropped) * flat.len() as f64 / flat_runs.count() as f64;
        assert!(flat_mean < 1.2, "independent losses come alone: {flat_mean}");
    }

    #[test]
    fn the_queue_sends_at_its_rate_and_drops_its_tail() {
        let mut queue = RateQueue::new(1000, 2); // 1000 B/s: 100 bytes take 100 ms
        assert_eq!(queue.transmission(100), 100 * MS);
        assert_eq!(queue.offer(Duration::ZERO, 100), Some(100 * MS));
        assert_eq!(queue.offer(MS, 100), Some(200 * MS), "waits for the first");
        assert_eq!(queue.offer(2 * MS, 100), None, "two in the queue: full");
        assert_eq!(queue.len_at(2 * MS), 2);
        assert_eq!(queue.offer(100 * MS, 100), Some(300 * MS), "the first has left");
        assert_eq!(queue.offer(500 * MS, 50), Some(550 * MS), "an idle link starts at once");
        assert_eq!(queue.len_at(600 * MS), 0);
    }

    #[test]
    fn the_rate_limit_drops_a_burst_beyond_the_queue() {
        let settings = Settings { rate: Some(1000), queue: 3, ..Settings::default() };
        let mut link = Link::new(Direction::Up, settings, 0);
        let got: Vec<Verdict> =
            datagrams(5).iter().map(|d| link.decide(Duration::ZERO, &d[..10])).collect();
        let fates: Vec<Fate> = got.iter().map(|v| v.fate).collect();
        use Fate::*;
        assert_eq!(fates, [Delivered, Delivered, Delivered, Queue, Queue]);
        assert_eq!(got[2].out, [30 * MS], "the third leaves after three times 10 ms");
    }

    #[test]
    fn delays_stay_within_the_jitter_and_vary() {
        let settings = Settings { delay: 5 * MS, jitter: MS, ..Settings::default() };
        let mut link = Link::new(Direction::Up, settings, 11);
        let delays: Vec<Duration> =
            datagrams(1000).iter().map(|d| link.decide(Duration::ZERO, d).out[0]).collect();
        assert!(delays.iter().all(|d| (4 * MS..=6 * MS).contains(d)), "{delays:?}");
        let (low, high) = (delays.iter().min().unwrap(), delays.iter().max().unwrap());
        assert!(*low < 4200 * Duration::from_micros(1) && *high > 5800 * Duration::from_micros(1));
    }

    #[test]
    fn jitter_never_makes_a_negative_delay() {
        let settings = Settings { delay: MS, jitter: 10 * MS, ..Settings::default() };
        assert_eq!(settings.delay_for(0.0), Duration::ZERO);
        assert_eq!(settings.delay_for(0.5), MS);
        assert_eq!(settings.delay_for(1.0), 11 * MS);
    }

    #[test]
    fn duplicates_have_two_copies_and_reordered_ones_wait_longer() {
        let settings =
            Settings { duplicate: 1.0, delay: 2 * MS, jitter: MS, ..Settings::default() };
        let mut link = Link::new(Direction::Up, settings, 0);
        let verdict = link.decide(10 * MS, b"twice");
        assert_eq!(verdict.fate, Fate::Duplicated);
        assert_eq!(verdict.out.len(), 2);
        assert!(verdict.out[0] <= verdict.out[1]);
        let settings = Settings { reorder: 1.0, reorder_hold: 50 * MS, ..Settings::default() };
        let mut link = Link::new(Direction::Up, settings, 0);
        let verdict = link.decide(10 * MS, b"late");
        assert_eq!(verdict, Verdict { n: 1, fate: Fate::Reordered, out: vec![60 * MS] });
    }

    #[test]
    fn a_held_back_datagram_is_overtaken() {
        let settings = Settings { reorder: 0.3, reorder_hold: 10 * MS, ..Settings::default() };
        let mut link = Link::new(Direction::Up, settings, 1);
        let verdicts: Vec<Verdict> =
            datagrams(100).iter().enumerate().map(|(i, d)| link.decide(MS * i as u32, d)).collect();
        let held = verdicts
            .windows(2)
            .position(|w| w[0].fate == Fate::Reordered && w[1].fate == Fate::Delivered)
            .unwrap();
        assert!(verdicts[held + 1].out[0] < verdicts[held].out[0], "the next one goes first");
    }

    #[test]
    fn fates_are_dropped_in_the_documented_order() {
        // Listed beats everything, loss beats the queue: a dropped datagram takes no queue slot.
        let settings = Settings { loss: 1.0, drop: vec![(1, 1)], ..Settings::default() };
        assert_eq!(fates(&settings, 0, Direction::Up, 2), [Fate::Listed, Fate::Dropped]);
        let settings = Settings { loss: 1.0, rate: Some(1), queue: 1, ..Settings::default() };
        assert_eq!(fates(&settings, 0, Direction::Up, 2), [Fate::Dropped, Fate::Dropped]);
    }

    #[test]
    fn fate_names_round_trip() {
        for fate in Fate::ALL {
            assert_eq!(Fate::from_name(fate.name()), Some(fate));
        }
        assert_eq!(Fate::from_name("lost"), None);
        assert!(Fate::Queue.is_drop() && !Fate::Reordered.is_drop());
    }
}
