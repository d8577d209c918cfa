//! The driver's opt-in batching (`--batch`: UDP GSO/GRO through quinn-udp)
//! on real loopback sockets: on both ends, on one end only (the protocol is
//! the same, so either end may batch alone), and through the lossy link.
//! Where the OS has no GSO/GRO, the same runs go one datagram per call, and
//! the "Batching:" line says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::thread;

use common::{lossy_link, receiver, verified_transfer};
use testkit::Server;

/// The `Batching:` line a program printed last, checked for what it must say.
fn assert_batching_line(line: &str) {
    assert!(line.starts_with("Batching: "), "{line}");
    assert!(
        line.contains("GSO up to ") || line.contains("GSO: not available here"),
        "says what GSO does: {line}"
    );
    assert!(
        line.contains("GRO up to ") || line.contains("GRO: not available here"),
        "says what GRO does: {line}"
    );
}

/// A verified transfer of `bytes` with `recv_args` on rudp-recv and
/// `send_args` on rudp-send; returns (the sender's stdout, the receiver's last line).
fn transfer(recv_args: &[&str], send_args: &[&str], bytes: &str) -> (String, String) {
    let mut recv = receiver(recv_args);
    let address = recv.address().to_string();
    let mut all = send_args.to_vec();
    all.extend(["--bytes", bytes, &address]);
    let output = common::send(&all);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{all:?}: {output:?}");
    assert!(stdout.starts_with(&format!("Sent {bytes} bytes to {address}")), "{stdout}");
    assert!(recv.stdout_line().starts_with("Receiving from 127.0.0.1:"));
    let received = recv.stdout_line();
    assert!(received.starts_with(&format!("Received {bytes} bytes in")), "{received}");
    let verified = recv.stdout_line();
    assert!(verified.ends_with(" verified"), "{verified}");
    let sent = stdout.lines().find(|line| line.starts_with("BLAKE3")).unwrap();
    assert_eq!(sent.split(' ').nth(1), verified.split(' ').nth(1), "both ends hash the same");
    assert!(recv.wait_for_exit().success(), "the receiver exits 0 when verified");
    let last = if recv_args.contains(&"--batch") { recv.stdout_line() } else { String::new() };
    (stdout, last)
}

#[test]
fn batching_on_both_ends_delivers_every_byte() {
    let args = ["--protocol", "sr", "--window", "256", "--seed", "11", "--batch"];
    let (sent, received) = transfer(&["--window", "256", "--batch"], &args, "4000000");
    let line = sent.lines().last().unwrap();
    assert_batching_line(line);
    assert_batching_line(&received);
    // "sent D datagrams in C calls": with GSO, runs of datagrams share a call
    // (a full window of 256 alone makes runs of 44).
    if testkit::under_wine(
        "quinn-udp cannot prepare a UDP socket under Wine (WSAEOPNOTSUPP, 10045: a Windows \
         socket option Wine lacks): the transfer above went on unbatched; no call counts to check",
    ) {
        assert!(line.contains("quinn-udp cannot prepare this socket"), "{line}");
        return;
    }
    let after = |text: &str| -> u64 {
        line.split(text).nth(1).unwrap().split(' ').next().unwrap().parse().unwrap()
    };
    let (datagrams, calls) = (after("; sent "), after(" datagrams in "));
    assert!(datagrams > 2700, "4 MB are about 2740 DATA segments: {line}");
    if line.contains("GSO up to ") {
        assert!(calls < datagrams, "GSO should need fewer calls than datagrams: {line}");
    } else {
        assert_eq!(calls, datagrams, "without GSO one call per datagram: {line}");
    }
}

#[test]
fn batching_on_one_end_only_still_talks_to_the_other() {
    let runs = [
        (vec!["--batch"], vec!["--window", "128", "--seed", "12"]),
        (vec![], vec!["--window", "128", "--seed", "13", "--batch"]),
    ]
    .map(|(recv_args, send_args)| {
        thread::spawn(move || {
            let (sent, received) = transfer(&recv_args, &send_args, "2000000");
            let sender_batches = send_args.contains(&"--batch");
            assert_eq!(sent.lines().last().unwrap().starts_with("Batching: "), sender_batches);
            if sender_batches {
                assert_batching_line(sent.lines().last().unwrap());
            } else {
                assert_batching_line(&received);
                assert!(!sent.contains("Batching"), "no batching unless asked for: {sent}");
            }
        })
    });
    for run in runs {
        run.join().unwrap();
    }
}

#[test]
fn without_the_flag_nothing_is_batched() {
    let (sent, received) = transfer(&[], &["--seed", "14"], "300000");
    assert!(!sent.contains("Batching"), "{sent}");
    assert_eq!(sent.lines().count(), 3, "the three lines of before: {sent}");
    assert_eq!(received, "");
}

#[test]
fn batching_through_10_percent_loss() {
    // Runs of GSO datagrams reach the proxy as separate datagrams, and it
    // drops each on its own: the retransmissions must still fill every gap.
    let Some(proxy) = lossy_link() else { return };
    let mut recv = receiver(&["--batch"]);
    let upstream = recv.address().to_string();
    let args =
        ["--loss", "10%", "--seed", "5", "--idle", "30s", "--quiet", "127.0.0.1:0", &upstream];
    let link = Server::start(proxy, args);
    let options = ["--protocol", "sr", "--window", "64", "--seed", "5", "--batch"];
    let stats = verified_transfer(&mut recv, &link.address().to_string(), "300000", &options);
    assert!(!stats.contains("retransmissions 0,"), "10 % loss must cost retransmissions: {stats}");
    assert_batching_line(&recv.stdout_line());
}
