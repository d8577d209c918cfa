//! Runs the real `udp-client` binary (and its std twin) against servers written
//! here with std sockets, against the Python server, and against silence.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::thread::{self, JoinHandle};

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin;
use testkit::{Server, TIMEOUT, assert_clean_failure};

/// A one-shot server: receives one datagram, answers it with `reply`, and
/// returns what it received.
fn peer(reply: &'static [u8]) -> (SocketAddr, JoinHandle<Vec<u8>>) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(TIMEOUT)).unwrap();
    let address = socket.local_addr().unwrap();
    let thread = thread::spawn(move || {
        let mut datagram = [0u8; 2048];
        let (received, from) = socket.recv_from(&mut datagram).unwrap();
        socket.send_to(reply, from).unwrap();
        datagram[..received].to_vec()
    });
    (address, thread)
}

fn client(program: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(program);
    command.args(args).timeout(TIMEOUT);
    command
}

#[test]
fn sends_hello_and_prints_the_reply() {
    let (address, server) = peer(b"Hello, UDP!");
    client(cargo_bin!("udp-client"), &[&address.to_string()])
        .assert()
        .success()
        .stdout("Received: Hello, UDP!\n")
        .stderr("");
    assert_eq!(server.join().unwrap(), b"Hello, UDP Server!");
}

#[test]
fn second_argument_is_the_message() {
    let (address, server) = peer(b"Hello, UDP!");
    client(cargo_bin!("udp-client"), &[&address.to_string(), "数据报"]).assert().success();
    assert_eq!(server.join().unwrap(), "数据报".as_bytes());
}

#[test]
fn std_example_behaves_the_same() {
    let (address, server) = peer(b"Hello, UDP!");
    client(&testkit::example("std-udp-client"), &[&address.to_string()])
        .assert()
        .success()
        .stdout("Received: Hello, UDP!\n");
    assert_eq!(server.join().unwrap(), b"Hello, UDP Server!");
}

#[test]
fn oversized_reply_is_reported_as_truncated() {
    static BIG: [u8; 1500] = [b'z'; 1500];
    let (address, _server) = peer(&BIG);
    let assert = client(cargo_bin!("udp-client"), &[&address.to_string()]).assert();
    if cfg!(windows) {
        // Windows refuses to deliver a partial datagram: the client fails with WSAEMSGSIZE.
        assert.failure();
    } else {
        let expected = format!("Received: {} (truncated to 1024 bytes)\n", "z".repeat(1024));
        assert.success().stdout(expected);
    }
}

#[test]
fn talks_to_the_python_server() {
    let Some(python) = testkit::python3() else { return };
    let script = testkit::python_script("udp_server.py");
    let server = Server::start(python, [script.as_os_str(), "127.0.0.1:0".as_ref()]);
    client(cargo_bin!("udp-client"), &[&server.address().to_string()])
        .assert()
        .success()
        .stdout("Received: Hello, UDP!\n");
    assert!(server.stdout_line().ends_with(": Hello, UDP Server!"));
}

#[test]
fn silent_server_is_given_up_on_after_5_seconds() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap(); // receives, never answers
    let address = silent.local_addr().unwrap();
    let output = client(cargo_bin!("udp-client"), &[&address.to_string()]).output().unwrap();
    assert_clean_failure(&output, &[&format!("no reply from {address} within 5 s"), "udp-server"]);
    let mut datagram = [0u8; 64];
    silent.set_read_timeout(Some(TIMEOUT)).unwrap();
    let (received, _) = silent.recv_from(&mut datagram).unwrap();
    assert_eq!(&datagram[..received], b"Hello, UDP Server!", "the datagram did arrive");
}

#[test]
fn nobody_listening_fails_cleanly() {
    // Linux and macOS: a timeout. Windows: the ICMP error arrives as ConnectionReset.
    let unused = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap(); // now closed
    let output = client(cargo_bin!("udp-client"), &[&unused.to_string()]).output().unwrap();
    assert_clean_failure(&output, &[&format!("no reply from {unused}")]);
}

#[test]
fn bad_addresses_are_rejected() {
    testkit::assert_rejects_bad_addresses(
        cargo_bin!("udp-client"),
        &["abc", "127.0.0.1:99999", "localhost:5678"],
    );
}

#[test]
fn help_prints_two_lines_of_usage() {
    testkit::assert_usage(cargo_bin!("udp-client"), "usage: udp-client [ADDRESS] [MESSAGE]");
}
