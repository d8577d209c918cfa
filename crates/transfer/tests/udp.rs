//! send-file and receive-file over our reliable UDP (`--over udp`, crate
//! rudp) on loopback: round trips with each protocol, refusals, a sender
//! that stops or goes silent mid-transfer, a wrong checksum. Same promises
//! as over TCP: a clear line in the log, nothing under the final name, no
//! temporary file, and the receiver still serving.
//!
//! rudp's receiver lingers about 2 s after each verdict (to repeat its last
//! word if it was lost) and tells other senders meanwhile that it is busy;
//! send-file then retries (as a TCP client waits in the listen queue).
//! So the refusal rows each get their own receiver, run side by side.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use std::io::Write;
use std::net::SocketAddr;
use std::thread;

use common::{TempDir, pattern, send_file, stderr, stdout};
use testkit::{Server, TIMEOUT, assert_clean_failure};
use transfer::protocol::{Header, Verdict};
use transfer::transport::SendSide;
use transfer::udp::UdpSender;

fn receiver(dir: &TempDir, extra: &[&str]) -> Server {
    let mut args = vec!["--over", "udp", "--dir", dir.arg(), "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Server::start(common::RECEIVER, args)
}

fn connect(address: SocketAddr) -> UdpSender {
    let config = rudp::Config::new(rudp::Protocol::SelectiveRepeat);
    UdpSender::connect(address, config, TIMEOUT).unwrap()
}

/// A hand-made transfer: `declared` in the header, then `content` and
/// `trailer`; returns the receiver's verdict however it came (an ABORT in
/// the middle of the writes, or at the end).
fn hand_transfer(
    address: SocketAddr,
    name: &str,
    declared: u64,
    content: &[u8],
    trailer: &[u8],
) -> Verdict {
    let mut side = connect(address);
    for part in [&Header { name: name.to_string(), size: declared }.encode()[..], content, trailer]
    {
        if let Err(error) = side.write_all(part) {
            return side.verdict_after(&error).unwrap_or_else(|| panic!("no verdict in {error}"));
        }
    }
    side.finish().unwrap()
}

fn assert_still_serving(server: &mut Server, dir: &TempDir) {
    server.assert_running();
    let source = TempDir::new("udp-still-src");
    let output = send_file(&source.file("after.bin", 5000), server.address(), &["--over", "udp"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(std::fs::read(dir.path().join("after.bin")).unwrap(), pattern(5000));
    std::fs::remove_file(dir.path().join("after.bin")).unwrap();
}

#[test]
fn a_file_arrives_whole_over_each_protocol() {
    let source = TempDir::new("udp-round-src");
    thread::scope(|scope| {
        for (protocol, size) in [("sr", 3 * 1024 * 1024 + 17), ("gbn", 300_001), ("sw", 50_000)] {
            let source = &source;
            scope.spawn(move || {
                let target = TempDir::new(&format!("udp-round-{protocol}"));
                let server = receiver(&target, &[]);
                let name = format!("{protocol}.bin");
                let file = source.file(&name, size);
                let output =
                    send_file(&file, server.address(), &["--over", "udp", "--protocol", protocol]);
                assert!(output.status.success(), "{protocol}: {}", stderr(&output));
                let hash = blake3::hash(&pattern(size)).to_hex().to_string();
                assert!(stdout(&output).trim_end().ends_with(&hash), "{}", stdout(&output));
                assert_eq!(std::fs::read(target.path().join(&name)).unwrap(), pattern(size));
                assert_eq!(target.entries(), std::slice::from_ref(&name));
                let connected = server.stdout_line_containing("Connected by");
                assert!(
                    connected.ends_with(&format!("(rudp, protocol {protocol})")),
                    "{connected}"
                );
                assert!(server.stdout_line_containing("Received").ends_with(&hash));
            });
        }
    });
}

#[test]
fn refusals_arrive_as_the_abort_reason_and_nothing_is_written() {
    let source = TempDir::new("udp-refuse-src");
    let rows: [(&str, u64, &[&str], &str); 5] = [
        ("../x", 10, &[], "refused: the file name contains '/'"),
        ("nul.txt", 10, &[], "refused: the file name is the Windows device name NUL"),
        ("C:x", 10, &[], "refused: the file name contains ':'"),
        (
            "big.bin",
            10 << 20,
            &["--max-size", "1M"],
            "refused: big.bin is 10485760 bytes, more than",
        ),
        ("old.txt", 10, &[], "refused: old.txt already exists"),
    ];
    thread::scope(|scope| {
        for (name, size, extra, expected) in rows {
            scope.spawn(move || {
                let target = TempDir::new("udp-refuse");
                std::fs::write(target.path().join("old.txt"), b"precious").unwrap();
                let mut server = receiver(&target, extra);
                // Content keeps coming while the receiver refuses: the ABORT stops it.
                let verdict =
                    hand_transfer(server.address(), name, size, &pattern(200_000), &[0; 32]);
                assert!(verdict.to_line().starts_with(expected), "{name:?}: {verdict:?}");
                assert!(server.stderr_line_containing("refused: ").contains(expected), "{name:?}");
                assert_eq!(target.entries(), ["old.txt"], "{name:?}: nothing written");
                assert_eq!(std::fs::read(target.path().join("old.txt")).unwrap(), b"precious");
                if name == "old.txt" {
                    assert_still_serving(&mut server, &target);
                }
            });
        }
        let source = &source;
        scope.spawn(move || {
            let target = TempDir::new("udp-refuse-sender");
            std::fs::write(target.path().join("old.txt"), b"precious").unwrap();
            let server = receiver(&target, &[]);
            let output =
                send_file(&source.file("old.txt", 100), server.address(), &["--over", "udp"]);
            assert_clean_failure(&output, &["refused the file", "old.txt already exists"]);
        });
    });
}

#[test]
fn a_sender_that_stops_mid_transfer_leaves_no_file() {
    let target = TempDir::new("udp-stop");
    let mut server = receiver(&target, &[]);
    let mut side = connect(server.address());
    side.write_all(&Header { name: "partial.bin".into(), size: 10 << 20 }.encode()).unwrap();
    side.write_all(&pattern(1 << 20)).unwrap();
    drop(side); // the program ends without finishing: rudp sends an ABORT
    let logged = server.stderr_line_containing("vanished");
    assert!(
        logged.contains(" of 10485760 bytes: the peer aborted the transfer: the sender stopped"),
        "{logged}"
    );
    assert!(target.entries().is_empty(), "{:?}", target.entries());
    assert_still_serving(&mut server, &target);
}

#[test]
fn a_silent_sender_times_out_and_leaves_no_file() {
    let target = TempDir::new("udp-silent");
    let mut server = receiver(&target, &["--timeout", "0.5"]);
    let mut side = connect(server.address());
    side.write_all(&Header { name: "partial.bin".into(), size: 10 << 20 }.encode()).unwrap();
    side.write_all(&pattern(100_000)).unwrap();
    side.flush().unwrap();
    // Now silent (like a killed process, whose socket says nothing): the
    // receiver's idle timeout must end the transfer.
    let logged = server.stderr_line_containing("vanished");
    assert!(
        logged.contains(" of 10485760 bytes: the sender stopped sending: nothing heard for 0.5 s"),
        "{logged}"
    );
    assert!(target.entries().is_empty(), "{:?}", target.entries());
    drop(side);
    assert_still_serving(&mut server, &target);
}

/// A send-file process killed in the middle says nothing more (no ABORT:
/// no code of it runs): the receiver's --timeout ends the transfer.
#[cfg(unix)]
#[test]
fn a_killed_send_file_times_out_and_leaves_no_file() {
    let (source, target) = (TempDir::new("udp-killed-src"), TempDir::new("udp-killed-dst"));
    let mut server = receiver(&target, &["--timeout", "0.5"]);
    common::kill_sender_mid_transfer(&server, &source, &["--over", "udp"]);
    let logged = server.stderr_line_containing("vanished");
    assert!(
        logged
            .contains(" of 2147483648 bytes: the sender stopped sending: nothing heard for 0.5 s"),
        "{logged}"
    );
    assert!(target.entries().is_empty(), "{:?}", target.entries());
    assert_still_serving(&mut server, &target);
}

#[test]
fn a_wrong_checksum_is_detected_and_nothing_is_kept() {
    let target = TempDir::new("udp-checksum");
    let mut server = receiver(&target, &[]);
    let content = pattern(300_000);
    let mut wrong = *blake3::hash(&content).as_bytes();
    wrong[0] ^= 0x80;
    let verdict =
        hand_transfer(server.address(), "damaged.bin", content.len() as u64, &content, &wrong);
    assert!(
        verdict.to_line().starts_with("error: checksum mismatch: the sender's BLAKE3 is "),
        "{verdict:?}"
    );
    assert!(server.stderr_line_containing("damaged.bin").contains("checksum mismatch"));
    assert!(target.entries().is_empty(), "{:?}", target.entries());
    let right = *blake3::hash(&content).as_bytes();
    let verdict =
        hand_transfer(server.address(), "damaged.bin", content.len() as u64, &content, &right);
    assert_eq!(verdict, Verdict::Ok);
    assert_eq!(std::fs::read(target.path().join("damaged.bin")).unwrap(), content);
    assert_still_serving(&mut server, &target);
}

#[test]
fn more_bytes_than_announced_are_an_error() {
    let target = TempDir::new("udp-overrun");
    let server = receiver(&target, &[]);
    let content = pattern(1000);
    let mut trailer = blake3::hash(&content).as_bytes().to_vec();
    trailer.extend_from_slice(b"and then some");
    let verdict = hand_transfer(server.address(), "a.bin", 1000, &content, &trailer);
    let expected = "the sender sent more bytes than its header announced (nothing was kept)";
    assert_eq!(verdict, Verdict::Error(expected.into()));
    assert!(server.stderr_line_containing("a.bin").contains(expected));
    assert!(target.entries().is_empty(), "{:?}", target.entries());
}

#[test]
fn the_sender_fails_cleanly_when_nobody_listens() {
    let source = TempDir::new("udp-nobody");
    let unused = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = unused.local_addr().unwrap();
    drop(unused);
    let output = send_file(&source.file("a.txt", 10), address, &["--over", "udp"]);
    assert_clean_failure(
        &output,
        &["cannot connect to", "is receive-file --over udp running there?"],
    );
}
