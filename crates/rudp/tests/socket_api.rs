//! The socket driver's API, two threads on loopback: what the file transfer builds on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::UdpSocket;
use std::thread;
use std::time::{Duration, Instant};

use rudp::socket::{accept, connect};
use rudp::{Config, Failure, Protocol};

const PROTOCOLS: [Protocol; 3] =
    [Protocol::StopAndWait, Protocol::GoBackN, Protocol::SelectiveRepeat];

fn bound() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").unwrap()
}

/// Short timers, so that failures show in well under a second of real time.
fn quick(protocol: Protocol) -> Config {
    let mut config = Config::new(protocol);
    config.min_rto = Duration::from_millis(20);
    config.initial_rto = Duration::from_millis(100);
    config.max_rto = Duration::from_millis(100);
    config.max_retries = 4;
    config.linger = Duration::from_millis(300);
    config.idle_timeout = Duration::from_secs(2);
    config
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 253) as u8).collect()
}

#[test]
fn bytes_written_are_read_in_order_and_the_verdict_ok_finishes_both() {
    for protocol in PROTOCOLS {
        let listener = bound();
        let address = listener.local_addr().unwrap();
        let reading = thread::spawn(move || {
            let mut incoming = accept(&listener, quick(protocol)).unwrap();
            assert_eq!(incoming.protocol(), Some(protocol));
            let mut received = Vec::new();
            incoming.read_to_end(&mut received).unwrap();
            let stats = incoming.finish(Ok(())).unwrap();
            (received, stats)
        });
        let mut outgoing = connect(bound(), address, quick(protocol)).unwrap();
        assert_eq!(outgoing.peer(), address);
        let sent = data(500_000);
        for chunk in sent.chunks(10_000) {
            outgoing.write_all(chunk).unwrap();
        }
        let stats = outgoing.finish().unwrap();
        assert_eq!(stats.bytes, 500_000);
        let (received, receiver_stats) = reading.join().unwrap();
        assert!(received == sent, "{protocol:?}");
        assert_eq!(receiver_stats.bytes, 500_000);
    }
}

#[test]
fn the_receivers_refusal_is_the_senders_error_with_its_reason() {
    for protocol in PROTOCOLS {
        let listener = bound();
        let address = listener.local_addr().unwrap();
        let reading = thread::spawn(move || {
            let mut incoming = accept(&listener, quick(protocol)).unwrap();
            let mut received = Vec::new();
            incoming.read_to_end(&mut received).unwrap();
            incoming.finish(Err("checksum mismatch".into())).unwrap();
        });
        let mut outgoing = connect(bound(), address, quick(protocol)).unwrap();
        outgoing.write_all(b"some bytes and a wrong checksum").unwrap();
        let error = outgoing.finish().unwrap_err();
        assert_eq!(
            error.downcast_ref::<Failure>(),
            Some(&Failure::PeerAborted("checksum mismatch".into()))
        );
        assert_eq!(error.to_string(), "the peer aborted the transfer: checksum mismatch");
        reading.join().unwrap();
    }
}

#[test]
fn a_sender_dropped_mid_transfer_makes_the_read_fail_with_the_reason() {
    let listener = bound();
    let address = listener.local_addr().unwrap();
    let reading = thread::spawn(move || {
        let mut incoming = accept(&listener, quick(Protocol::SelectiveRepeat)).unwrap();
        let mut received = Vec::new();
        let error = incoming.read_to_end(&mut received).unwrap_err();
        let failure = error.get_ref().and_then(|inner| inner.downcast_ref::<Failure>()).cloned();
        (failure, received.len())
    });
    let mut outgoing = connect(bound(), address, quick(Protocol::SelectiveRepeat)).unwrap();
    outgoing.write_all(&data(50_000)).unwrap();
    outgoing.flush().unwrap();
    drop(outgoing); // like a sending program that fails
    let (failure, received) = reading.join().unwrap();
    let reason = "the sender stopped before the end of the transfer".to_owned();
    assert_eq!(failure, Some(Failure::PeerAborted(reason)));
    assert!(received <= 50_000);
}

#[test]
fn a_vanished_receiver_fails_the_sender_in_bounded_time() {
    if testkit::under_wine("Wine does not report ICMP port unreachable on UDP sockets") {
        return;
    }
    let listener = bound();
    let address = listener.local_addr().unwrap();
    let reading = thread::spawn(move || {
        let mut incoming = accept(&listener, quick(Protocol::GoBackN)).unwrap();
        let mut first = [0u8; 1000];
        incoming.read_exact(&mut first).unwrap();
        std::mem::forget(incoming); // vanishes without a word (no ABORT from a drop)
        drop(listener);
    });
    let mut outgoing = connect(bound(), address, quick(Protocol::GoBackN)).unwrap();
    outgoing.write_all(&data(1000)).unwrap();
    reading.join().unwrap();
    let started = Instant::now();
    let result = outgoing.write_all(&data(5_000_000)).map_err(anyhow::Error::from);
    let error = result.and_then(|()| outgoing.finish().map(drop)).unwrap_err();
    let message = format!("{error:#}");
    // On Linux and macOS the closed port is reported (ICMP); elsewhere the tries run out.
    assert!(
        message.contains("nothing is listening") || message.contains("stopped answering"),
        "{message}"
    );
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}

#[test]
fn a_second_sender_hears_that_the_receiver_is_busy() {
    let listener = bound();
    let address = listener.local_addr().unwrap();
    let (ready, wait) = std::sync::mpsc::channel();
    let reading = thread::spawn(move || {
        let mut incoming = accept(&listener, quick(Protocol::SelectiveRepeat)).unwrap();
        ready.send(()).unwrap();
        let mut received = Vec::new();
        incoming.read_to_end(&mut received).unwrap();
        incoming.finish(Ok(())).unwrap();
        received
    });
    let mut first = connect(bound(), address, quick(Protocol::SelectiveRepeat)).unwrap();
    wait.recv_timeout(Duration::from_secs(10)).unwrap();
    let second = thread::spawn(move || {
        connect(bound(), address, quick(Protocol::SelectiveRepeat)).map(drop)
    });
    // The first transfer goes on meanwhile: its reads are what answer the second SYN.
    for _ in 0..100 {
        first.write_all(&data(10_000)).unwrap();
    }
    let error = second.join().unwrap().unwrap_err();
    assert!(format!("{error:#}").contains("busy"), "{error:#}");
    first.finish().unwrap();
    assert_eq!(reading.join().unwrap().len(), 1_000_000);
}
