//! Runs the real `tcp-server` binary (and its std twin) on 127.0.0.1:0 and talks
//! to it the way the tutorial's client, Python and misbehaving clients do.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use assert_cmd::cargo::cargo_bin;
use socket2::SockRef;
use testkit::{Server, TIMEOUT};

fn server() -> Server {
    Server::start(cargo_bin!("tcp-server"), ["127.0.0.1:0"])
}

/// Connects, sends `request`, and returns the whole reply (until the server closes).
fn exchange(address: SocketAddr, request: &[u8]) -> (SocketAddr, Vec<u8>) {
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT).expect("connect");
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.write_all(request).unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).expect("read the reply until the server closes");
    (stream.local_addr().unwrap(), reply)
}

fn assert_serves_hello(server: &Server) {
    let (client, reply) = exchange(server.address(), b"Hello, Server!");
    assert_eq!(reply, b"Hello, Client!");
    assert_eq!(server.stdout_line(), format!("Connected by {client}"));
    assert_eq!(server.stdout_line(), "Received: Hello, Server!");
}

#[test]
fn answers_hello_and_closes() {
    assert_serves_hello(&server());
}

#[test]
fn serves_two_clients_in_a_row() {
    let server = server();
    assert_serves_hello(&server);
    let (_, reply) = exchange(server.address(), "second, 第二".as_bytes());
    assert_eq!(reply, b"Hello, Client!");
    server.stdout_line_containing("Connected by");
    assert_eq!(server.stdout_line(), "Received: second, 第二");
}

#[test]
fn std_example_behaves_the_same() {
    assert_serves_hello(&Server::start(testkit::example("std-tcp-server"), ["127.0.0.1:0"]));
}

#[test]
fn listens_on_ipv6_loopback() {
    if testkit::has_ipv6_loopback() {
        let server = Server::start(cargo_bin!("tcp-server"), ["[::1]:0"]);
        assert!(server.address().is_ipv6());
        assert_serves_hello(&server);
    }
}

#[test]
fn reads_at_most_1024_bytes() {
    let server = server();
    let mut stream = TcpStream::connect(server.address()).unwrap();
    stream.write_all(&[b'a'; 1024]).unwrap();
    let mut reply = [0u8; 14];
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"Hello, Client!");
    server.stdout_line_containing("Connected by");
    assert_eq!(server.stdout_line(), format!("Received: {}", "a".repeat(1024)));
}

#[test]
fn invalid_utf8_is_shown_lossily_and_the_server_goes_on() {
    let server = server();
    let (_, reply) = exchange(server.address(), b"caf\xe9");
    assert_eq!(reply, b"Hello, Client!");
    server.stdout_line_containing("Connected by");
    assert_eq!(server.stdout_line(), "Received: caf\u{FFFD}");
    assert_serves_hello(&server);
}

#[test]
fn silent_client_is_timed_out_and_the_next_one_is_served() {
    let mut server = server();
    let silent = TcpStream::connect(server.address()).unwrap();
    let silent_addr = silent.local_addr().unwrap();
    server.stdout_line_containing(&format!("Connected by {silent_addr}"));
    // This client waits in the backlog until the server gives up on the silent one.
    let (_, reply) = exchange(server.address(), b"Hello, Server!");
    assert_eq!(reply, b"Hello, Client!");
    assert_eq!(server.stderr_line(), format!("error: client {silent_addr}: sent nothing for 5 s"));
    server.assert_running();
    drop(silent);
}

#[test]
fn client_that_closes_without_sending_is_logged() {
    let mut server = server();
    let early = TcpStream::connect(server.address()).unwrap();
    let early_addr = early.local_addr().unwrap();
    server.stdout_line_containing(&format!("Connected by {early_addr}"));
    drop(early);
    let line = server.stderr_line();
    assert!(line.contains(&format!("client {early_addr}")), "{line}");
    assert!(line.contains("closed the connection without sending anything"), "{line}");
    server.assert_running();
    assert_serves_hello(&server);
}

#[test]
fn client_reset_is_logged_and_the_server_goes_on() {
    let mut server = server();
    let rude = TcpStream::connect(server.address()).unwrap();
    let rude_addr = rude.local_addr().unwrap();
    server.stdout_line_containing(&format!("Connected by {rude_addr}"));
    SockRef::from(&rude).set_linger(Some(Duration::ZERO)).unwrap(); // close now sends RST
    drop(rude);
    let line = server.stderr_line();
    // A reset is not a timeout: the line names the read and the OS's cause
    // (ECONNRESET; WSAECONNRESET, os error 10054, on Windows), never "5 s".
    let expected = format!("error: client {rude_addr}: cannot read the request: ");
    assert!(line.starts_with(&expected), "{line}");
    assert!(!line.contains("5 s") && !line.contains("timed out"), "{line}");
    server.assert_running();
    assert_serves_hello(&server);
}

#[test]
fn control_characters_are_shown_as_replacement_characters() {
    let server = server();
    let (_, reply) = exchange(server.address(), b"red \x1b[31malert\x07\r\nConnected by 6.6.6.6");
    assert_eq!(reply, b"Hello, Client!");
    server.stdout_line_containing("Connected by");
    // One line, and no escape sequence reaches the terminal.
    assert_eq!(
        server.stdout_line(),
        "Received: red \u{FFFD}[31malert\u{FFFD}\u{FFFD}\u{FFFD}Connected by 6.6.6.6"
    );
}

#[test]
fn closed_stdout_stops_the_server_with_one_line_not_a_panic() {
    for program in [cargo_bin!("tcp-server").to_path_buf(), testkit::example("std-tcp-server")] {
        testkit::assert_server_stops_on_closed_stdout(&program, &["127.0.0.1:0"]);
    }
}

#[test]
fn closed_stderr_does_not_stop_the_server() {
    for program in [cargo_bin!("tcp-server").to_path_buf(), testkit::example("std-tcp-server")] {
        let mut command = std::process::Command::new(&program);
        command.arg("127.0.0.1:0");
        let mut server = Server::spawn_closing_stderr(command); // like `2>&1 | head -1`
        for _ in 0..3 {
            // Each one makes the server log an error line into the closed pipe.
            drop(TcpStream::connect_timeout(&server.address(), TIMEOUT).unwrap());
            server.stdout_line_containing("Connected by");
        }
        server.assert_running();
        let (_, reply) = exchange(server.address(), b"still there?");
        assert_eq!(reply, b"Hello, Client!");
        assert_eq!(server.stdout_line_containing("Received"), "Received: still there?");
    }
}

/// With no descriptor left for a new connection, `accept` fails again at once
/// every time it is called; a server that retries without a pause prints
/// hundreds of thousands of lines a second at 100 % CPU.
#[cfg(unix)] // Windows has no small per-process limit to run into
#[test]
fn accept_failing_again_and_again_does_not_spin() {
    for program in [cargo_bin!("tcp-server").to_path_buf(), testkit::example("std-tcp-server")] {
        // 0, 1, 2 and the listener fill a limit of 4: each accept fails with EMFILE.
        let server = testkit::start_with_file_limit(&program, 4, &["127.0.0.1:0"]);
        let _waiting = TcpStream::connect_timeout(&server.address(), TIMEOUT).unwrap();
        let first = server.stderr_line();
        assert!(first.starts_with("error: cannot accept a connection: "), "{first}");
        assert!(first.contains("os error 24"), "EMFILE expected: {first}");
        // A bound, not a speed target: about 10 with the pause, over 100 000 without.
        let repeated = server.count_stderr_lines("cannot accept", Duration::from_secs(1));
        assert!(repeated <= 30, "{repeated} accept errors in one second: the loop spins");
    }
}

#[test]
fn port_in_use_is_one_clear_line() {
    testkit::assert_port_in_use(cargo_bin!("tcp-server"), "tcp-server");
}

#[test]
fn bad_addresses_are_rejected() {
    testkit::assert_rejects_bad_addresses(
        cargo_bin!("tcp-server"),
        &["abc", "127.0.0.1:99999", "localhost:12345"],
    );
}

#[test]
fn help_prints_two_lines_of_usage() {
    testkit::assert_usage(cargo_bin!("tcp-server"), "usage: tcp-server [ADDRESS]");
}

#[test]
fn python_client_talks_to_our_server() {
    let Some(python) = testkit::python3() else { return };
    let server = server();
    let client = testkit::python_script("tcp_client.py");
    let output = run_python(&python, &client, &server.address().to_string());
    assert_eq!(output, "Received: Hello, Client!\n");
    server.stdout_line_containing("Connected by");
    assert_eq!(server.stdout_line(), "Received: Hello, Server!");
}

fn run_python(python: &Path, script: &Path, address: &str) -> String {
    let output = assert_cmd::Command::new(python)
        .arg(script)
        .arg(address)
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(output.status.success(), "python failed: {}", String::from_utf8_lossy(&output.stderr));
    testkit::text(&output.stdout)
}
