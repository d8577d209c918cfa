//! The textbook formulas, checked in simulated time at 0 % loss: these are
//! deterministic computations, not timed tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use rudp::sim::{Direction, Link, Simulation};
use rudp::wire::{HEADER_LEN, Kind, Segment};
use rudp::{Config, Protocol, State};

const SEGMENT: usize = 1460;
const RTT: Duration = Duration::from_millis(20);

fn link() -> Link {
    Link { delay: RTT / 2, ..Link::default() }
}

fn config(protocol: Protocol, window: u16) -> Config {
    let mut config = Config::new(protocol);
    config.window = window;
    config.isn = 42;
    config
}

fn goodput(config: Config, link: Link, segments: usize) -> f64 {
    let data = vec![7u8; segments * SEGMENT];
    let outcome = Simulation::new(config, link, 1).run(&data);
    assert_eq!(outcome.sender, State::Done);
    assert_eq!(outcome.delivered.len(), data.len());
    assert_eq!(outcome.sender_stats.retransmissions, 0);
    outcome.goodput().unwrap()
}

fn assert_close(measured: f64, predicted: f64, tolerance: f64, what: &str) {
    let ratio = measured / predicted;
    assert!(
        (1.0 - ratio).abs() <= tolerance,
        "{what}: measured {measured:.0} B/s, predicted {predicted:.0} B/s"
    );
}

// ANCHOR: stop_and_wait_formula
#[test]
fn stop_and_wait_moves_one_segment_per_round_trip() {
    let predicted = SEGMENT as f64 / RTT.as_secs_f64(); // 73 kB/s over a 20 ms round trip
    let measured = goodput(config(Protocol::StopAndWait, 1), link(), 200);
    assert_close(measured, predicted, 0.02, "stop-and-wait");
}
// ANCHOR_END: stop_and_wait_formula

#[test]
fn a_window_of_w_segments_moves_w_segments_per_round_trip() {
    for protocol in [Protocol::GoBackN, Protocol::SelectiveRepeat] {
        for window in [2u16, 8, 32] {
            let predicted = f64::from(window) * SEGMENT as f64 / RTT.as_secs_f64();
            let measured = goodput(config(protocol, window), link(), usize::from(window) * 50);
            assert_close(measured, predicted, 0.03, &format!("{protocol:?} window {window}"));
        }
    }
}

#[test]
fn a_window_larger_than_the_link_is_capped_by_the_link() {
    let rate = 1_000_000; // bytes per second; the path holds 20 kB, 14 segments
    let capped = Link { rate: Some(rate), ..link() };
    let predicted = rate as f64 * SEGMENT as f64 / (SEGMENT + HEADER_LEN) as f64; // headers take their share
    for protocol in [Protocol::GoBackN, Protocol::SelectiveRepeat] {
        let measured = goodput(config(protocol, 64), capped.clone(), 2000);
        assert_close(measured, predicted, 0.03, &format!("{protocol:?} capped"));
    }
}

#[test]
fn the_receivers_window_limits_what_is_in_flight() {
    for protocol in [Protocol::GoBackN, Protocol::SelectiveRepeat] {
        let data = vec![1u8; 300 * SEGMENT];
        let outcome = Simulation::new(config(protocol, 64), link(), 2)
            .receiver_config(config(protocol, 4))
            .run(&data);
        assert_eq!(outcome.sender, State::Done);
        assert_eq!(outcome.delivered, data);
        assert_eq!(outcome.sender_stats.max_in_flight, 4, "{protocol:?}");
        let predicted = 4.0 * SEGMENT as f64 / RTT.as_secs_f64();
        assert_close(outcome.goodput().unwrap(), predicted, 0.03, "flow control");
    }
}

#[test]
fn a_reader_that_stalls_closes_the_window_and_the_transfer_resumes() {
    for protocol in [Protocol::StopAndWait, Protocol::GoBackN, Protocol::SelectiveRepeat] {
        let data: Vec<u8> = (0..100 * SEGMENT).map(|i| i as u8).collect();
        let outcome = Simulation::new(config(protocol, 8), link(), 3)
            .stall_reader(Duration::from_millis(30), Duration::from_secs(5))
            .run(&data);
        assert_eq!(outcome.sender, State::Done, "{protocol:?}");
        assert_eq!(outcome.delivered, data);
        assert!(outcome.sender_stats.max_in_flight <= 8);
        assert!(outcome.all_acked_at.unwrap() > Duration::from_secs(5), "it waited for the reader");
    }
}

#[test]
fn slow_start_costs_round_trips_and_a_timeout_shrinks_the_window() {
    let data = vec![3u8; 640 * SEGMENT];
    let mut with_cc = config(Protocol::SelectiveRepeat, 64);
    with_cc.congestion_control = true;
    let plain = Simulation::new(config(Protocol::SelectiveRepeat, 64), link(), 4).run(&data);
    let slow = Simulation::new(with_cc.clone(), link(), 4).run(&data);
    assert_eq!(slow.delivered, data);
    // Without congestion control: 10 round trips of 64. With it: 1, 2, 4 … 64 first.
    let extra = slow.all_acked_at.unwrap() - plain.all_acked_at.unwrap();
    assert!(extra >= RTT * 5 && extra <= RTT * 8, "slow start took {extra:?} more");
    assert!(slow.sender_stats.cwnd.unwrap() >= 64.0);
    // Lose DATA segment 142's first copy: a timeout, cwnd back to 1, then up again.
    let mut lost = false;
    let hit = Simulation::new(with_cc, link(), 4)
        .drop_when(move |direction, datagram| {
            let segment = Segment::decode(datagram).unwrap();
            let drop = !lost
                && direction == Direction::Up
                && segment.kind == Kind::Data
                && segment.seq == 142;
            lost |= drop;
            drop
        })
        .run(&data);
    assert_eq!(hit.delivered, data);
    assert_eq!(hit.sender_stats.timeouts, 1);
    assert_eq!(hit.sender_stats.retransmissions, 1, "selective repeat resends only the lost one");
    assert!(hit.sender_stats.cwnd.unwrap() < 64.0, "{:?}", hit.sender_stats.cwnd);
}

#[test]
fn go_back_n_resends_the_window_selective_repeat_only_the_loss() {
    let data = vec![5u8; 200 * SEGMENT];
    let mut resent = Vec::new();
    for protocol in [Protocol::GoBackN, Protocol::SelectiveRepeat] {
        let mut lost = false;
        let outcome = Simulation::new(config(protocol, 16), link(), 5)
            .drop_when(move |direction, datagram| {
                let segment = Segment::decode(datagram).unwrap();
                let drop = !lost
                    && direction == Direction::Up
                    && segment.kind == Kind::Data
                    && segment.seq == 100;
                lost |= drop;
                drop
            })
            .run(&data);
        assert_eq!(outcome.delivered, data);
        resent.push(outcome.sender_stats.retransmissions);
    }
    assert_eq!(resent, [16, 1], "go-back-N resends its whole window of 16");
}
