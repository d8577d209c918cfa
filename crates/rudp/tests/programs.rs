//! rudp-send and rudp-recv as processes, on real loopback sockets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::thread;

use assert_cmd::cargo::cargo_bin;
use common::{receiver, send, verified_transfer};
use testkit::{Server, assert_clean_failure, assert_rejects_bad_addresses, assert_usage};

#[test]
fn each_protocol_transfers_and_both_ends_agree_on_the_checksum() {
    let runs =
        [("sw", "300000"), ("gbn", "3000000"), ("sr", "3000000")].map(|(protocol, bytes)| {
            thread::spawn(move || {
                let mut recv = receiver(&[]);
                let address = recv.address().to_string();
                verified_transfer(
                    &mut recv,
                    &address,
                    bytes,
                    &["--protocol", protocol, "--seed", "7"],
                )
            })
        });
    for run in runs {
        let stats = run.join().unwrap();
        assert!(stats.starts_with("Segments "), "{stats}");
    }
}

fn hash_in(line: &str) -> String {
    line.split_whitespace().nth(1).unwrap().to_owned()
}

#[test]
fn a_file_is_sent_with_its_checksum() {
    let dir = std::env::temp_dir().join(format!("rudp-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("data.bin");
    let content: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    let mut recv = receiver(&["--window", "8"]);
    let output =
        send(&["--protocol", "gbn", "--file", path.to_str().unwrap(), &recv.address().to_string()]);
    assert!(output.status.success(), "{output:?}");
    let expected = blake3::hash(&content).to_string();
    assert!(String::from_utf8_lossy(&output.stdout).contains(&expected));
    recv.stdout_line();
    recv.stdout_line();
    assert_eq!(hash_in(&recv.stdout_line()), expected);
    assert!(recv.wait_for_exit().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn nothing_listening_is_reported_as_such() {
    if testkit::under_wine("Wine does not report ICMP port unreachable on UDP sockets") {
        return;
    }
    let closed = UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap().to_string();
    drop(closed); // nothing listens there now
    let output = send(&["--bytes", "1000", &address]);
    assert_clean_failure(&output, &[&format!("cannot connect to {address}"), "rudp-recv"]);
}

#[test]
fn the_receivers_bad_input_gets_one_line_errors() {
    let program = cargo_bin!("rudp-recv");
    assert_usage(program, "usage: rudp-recv");
    assert_rejects_bad_addresses(program, &["nonsense", "127.0.0.1", "localhost:7000"]);
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = Command::new(program).arg(&address).stdin(Stdio::null()).output().unwrap();
    assert_clean_failure(&output, &[&format!("cannot bind {address}"), "another rudp-recv"]);
}

#[test]
fn the_senders_bad_input_gets_one_line_errors() {
    let program = cargo_bin!("rudp-send");
    assert_usage(program, "usage: rudp-send");
    assert_rejects_bad_addresses(program, &["nonsense", "127.0.0.1"]);
    assert_clean_failure(&send(&["--protocol", "tcp"]), &["unknown protocol \"tcp\""]);
    assert_clean_failure(&send(&["--window", "many"]), &["invalid value \"many\" for --window"]);
    assert_clean_failure(&send(&["--bytes"]), &["--bytes needs a value"]);
    assert_clean_failure(
        &send(&["--file", "/no/such/file", "127.0.0.1:9"]),
        &["cannot open /no/such/file"],
    );
}

#[test]
fn a_receiver_whose_stdout_closes_stops_cleanly_and_the_sender_hears_why() {
    let mut command = Command::new(cargo_bin!("rudp-recv"));
    command.arg("127.0.0.1:0");
    let mut recv = Server::spawn_closing_stdout(command);
    let address = recv.address().to_string();
    let mut output = None;
    recv.assert_stops_on_closed_stdout(|| {
        if output.is_none() {
            output = Some(send(&["--bytes", "100000", &address]));
        }
    });
    let output = output.unwrap();
    assert_clean_failure(&output, &["the peer aborted the transfer", "the receiver stopped"]);
}
