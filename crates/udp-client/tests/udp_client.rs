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
fn oversized_reply_is_reported_as_truncated_on_every_os() {
    // Into a 1024-byte buffer, Windows would fail the receive (WSAEMSGSIZE, os
    // error 10040; Wine too) and Linux would cut the reply silently.
    static BIG: [u8; 1500] = [b'z'; 1500];
    let (address, _server) = peer(&BIG);
    let expected = format!("Received: {} (truncated to 1024 of 1500 bytes)\n", "z".repeat(1024));
    client(cargo_bin!("udp-client"), &[&address.to_string()]).assert().success().stdout(expected);
}

#[test]
fn a_stranger_cannot_answer_for_the_server() {
    for program in [cargo_bin!("udp-client").to_path_buf(), testkit::example("std-udp-client")] {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        server.set_read_timeout(Some(TIMEOUT)).unwrap();
        let address = server.local_addr().unwrap();
        let thread = thread::spawn(move || {
            let mut datagram = [0u8; 64];
            let (_, client) = server.recv_from(&mut datagram).unwrap();
            // Another process learns the client's port and answers first.
            let stranger = UdpSocket::bind("127.0.0.1:0").unwrap();
            stranger.send_to(b"I am the server, trust me", client).unwrap();
            server.send_to(b"Hello, UDP!", client).unwrap();
        });
        let output = client(&program, &[&address.to_string()]).output().unwrap();
        thread.join().unwrap();
        assert!(output.status.success(), "{}: {output:?}", program.display());
        assert_eq!(
            testkit::text(&output.stdout),
            "Received: Hello, UDP!\n",
            "{}",
            program.display()
        );
    }
}

#[test]
fn closed_stdout_is_one_clear_line_not_a_panic() {
    for program in [cargo_bin!("udp-client").to_path_buf(), testkit::example("std-udp-client")] {
        let (address, server) = peer(b"Hello, UDP!");
        let mut command = std::process::Command::new(&program);
        command.arg(address.to_string());
        let output = testkit::output_with_closed_stdout(command); // like `udp-client | true`
        assert_eq!(server.join().unwrap(), b"Hello, UDP Server!");
        assert_clean_failure(&output, &["cannot write to standard output"]);
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
fn nobody_listening_fails_at_once_and_says_so() {
    let unused = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap(); // now closed
    let output = client(cargo_bin!("udp-client"), &[&unused.to_string()]).output().unwrap();
    if testkit::under_wine("Wine does not pass ICMP port-unreachable to UDP sockets") {
        return assert_clean_failure(&output, &[&format!("no reply from {unused} within 5 s")]);
    }
    // The ICMP "port unreachable" reaches our connected socket: ConnectionRefused
    // on Linux and macOS, ConnectionReset (WSAECONNRESET, 10054) on Windows.
    assert_clean_failure(
        &output,
        &[&format!("nothing is listening on {unused}"), "cargo run -p udp-server"],
    );
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
