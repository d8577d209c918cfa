//! Runs the real `udp-server` binary (and its std twin) on 127.0.0.1:0 and sends
//! it datagrams the way the tutorial's client, Python and careless clients do.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
use std::net::{SocketAddr, UdpSocket};
use std::process::Command;

use assert_cmd::cargo::cargo_bin;
use testkit::{Server, TIMEOUT, assert_clean_failure};

fn server() -> Server {
    Server::start(cargo_bin!("udp-server"), ["127.0.0.1:0"])
}

/// Sends one datagram from a fresh socket and returns (our address, the reply).
fn exchange(server: SocketAddr, datagram: &[u8]) -> (SocketAddr, Vec<u8>) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(TIMEOUT)).unwrap();
    socket.send_to(datagram, server).unwrap();
    let mut reply = [0u8; 64];
    let (received, from) = socket.recv_from(&mut reply).expect("a reply");
    assert_eq!(from, server, "the reply should come from the server's address");
    (socket.local_addr().unwrap(), reply[..received].to_vec())
}

fn assert_serves_hello(server: &Server) {
    let (client, reply) = exchange(server.address(), b"Hello, UDP Server!");
    assert_eq!(reply, b"Hello, UDP!");
    assert_eq!(server.stdout_line(), format!("Received from {client}: Hello, UDP Server!"));
}

#[test]
fn answers_hello() {
    assert_serves_hello(&server());
}

#[test]
fn one_socket_serves_many_clients() {
    let server = server();
    assert_serves_hello(&server);
    assert_serves_hello(&server);
    let (client, reply) = exchange(server.address(), "第三个".as_bytes());
    assert_eq!(reply, b"Hello, UDP!");
    assert_eq!(server.stdout_line(), format!("Received from {client}: 第三个"));
}

#[test]
fn std_example_behaves_the_same() {
    assert_serves_hello(&Server::start(testkit::example("std-udp-server"), ["127.0.0.1:0"]));
}

#[test]
fn listens_on_ipv6_loopback() {
    if testkit::has_ipv6_loopback() {
        let server = Server::start(cargo_bin!("udp-server"), ["[::1]:0"]);
        let socket = UdpSocket::bind("[::1]:0").unwrap();
        socket.set_read_timeout(Some(TIMEOUT)).unwrap();
        socket.send_to(b"over IPv6", server.address()).unwrap();
        let mut reply = [0u8; 64];
        let (received, _) = socket.recv_from(&mut reply).unwrap();
        assert_eq!(&reply[..received], b"Hello, UDP!");
        assert!(server.stdout_line().ends_with(": over IPv6"));
    }
}

#[test]
fn invalid_utf8_is_shown_lossily() {
    let server = server();
    let (client, reply) = exchange(server.address(), b"caf\xe9");
    assert_eq!(reply, b"Hello, UDP!");
    assert_eq!(server.stdout_line(), format!("Received from {client}: caf\u{FFFD}"));
}

#[test]
fn a_full_1024_byte_datagram_is_not_truncated() {
    let server = server();
    let (client, reply) = exchange(server.address(), &[b'x'; 1024]);
    assert_eq!(reply, b"Hello, UDP!");
    assert_eq!(server.stdout_line(), format!("Received from {client}: {}", "x".repeat(1024)));
}

#[test]
fn oversized_datagram_is_answered_and_reported_the_same_on_every_os() {
    // Into a 1024-byte buffer, Linux and macOS would cut this datagram silently and
    // Windows would fail the receive (WSAEMSGSIZE, os error 10040: Wine does the
    // same, so this runs for real there) and never answer.
    let server = server();
    let (client, reply) = exchange(server.address(), &[b'y'; 2000]);
    assert_eq!(reply, b"Hello, UDP!");
    let shown = "y".repeat(1024);
    assert_eq!(
        server.stdout_line(),
        format!("Received from {client}: {shown} (truncated to 1024 of 2000 bytes)")
    );
    assert_serves_hello(&server);
}

#[test]
fn the_largest_datagram_fits() {
    let server = server();
    // 65 507 bytes is the most IPv4 can carry; macOS sends at most 9216 unless
    // `sysctl net.inet.udp.maxdgram` is raised.
    let size = if cfg!(target_os = "macos") { 9216 } else { 65_507 };
    let (client, reply) = exchange(server.address(), &vec![b'z'; size]);
    assert_eq!(reply, b"Hello, UDP!");
    assert!(server.stdout_line().starts_with(&format!("Received from {client}: zzz")));
}

#[test]
fn control_characters_are_shown_as_replacement_characters() {
    let server = server();
    let (client, reply) = exchange(server.address(), b"\x1b[2J\x1b[Hgotcha\n");
    assert_eq!(reply, b"Hello, UDP!");
    let expected = format!("Received from {client}: \u{FFFD}[2J\u{FFFD}[Hgotcha\u{FFFD}");
    assert_eq!(server.stdout_line(), expected);
}

#[test]
fn closed_stdout_stops_the_server_with_one_line_not_a_panic() {
    for program in [cargo_bin!("udp-server").to_path_buf(), testkit::example("std-udp-server")] {
        let mut command = Command::new(&program);
        command.arg("127.0.0.1:0");
        let mut server = Server::spawn_closing_stdout(command); // like `udp-server | head -1`
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let address = server.address();
        server.assert_stops_on_closed_stdout(|| {
            let _ = socket.send_to(b"anyone reading?", address);
        });
    }
}

#[test]
fn client_gone_before_the_reply_does_not_stop_the_server() {
    let mut server = server();
    let gone = UdpSocket::bind("127.0.0.1:0").unwrap();
    let gone_addr = gone.local_addr().unwrap();
    gone.send_to(b"bye", server.address()).unwrap();
    drop(gone); // the reply hits a closed port: ICMP "port unreachable"
    assert_eq!(server.stdout_line(), format!("Received from {gone_addr}: bye"));
    // Windows reports that ICMP error on the next recv_from; the server logs it and goes on.
    server.assert_running();
    assert_serves_hello(&server);
    assert_serves_hello(&server);
}

#[test]
fn python_client_talks_to_our_server() {
    let Some(python) = testkit::python3() else { return };
    let server = server();
    let output = assert_cmd::Command::new(python)
        .arg(testkit::python_script("udp_client.py"))
        .arg(server.address().to_string())
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(testkit::text(&output.stdout), "Received: Hello, UDP!\n");
    assert!(server.stdout_line().ends_with(": Hello, UDP Server!"));
}

#[test]
fn port_in_use_is_one_clear_line() {
    let holder = UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = holder.local_addr().unwrap().to_string();
    let output = Command::new(cargo_bin!("udp-server")).arg(&address).output().unwrap();
    assert_clean_failure(&output, &[&format!("cannot bind {address}"), "another udp-server"]);
}

#[test]
fn bad_addresses_are_rejected() {
    testkit::assert_rejects_bad_addresses(
        cargo_bin!("udp-server"),
        &["abc", "127.0.0.1:99999", "localhost:5678"],
    );
}

#[test]
fn help_prints_two_lines_of_usage() {
    testkit::assert_usage(cargo_bin!("udp-server"), "usage: udp-server [ADDRESS]");
}
