//! Runs the real `tcp-client` binary (and its std twin) against servers written
//! here with std sockets, against the Python server, and against nobody.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::thread::{self, JoinHandle};

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin;
use testkit::{Server, TIMEOUT, assert_clean_failure};

/// A one-shot server: accepts one client, hands the connection to `handle`,
/// and returns what `handle` returns (e.g. the request it read).
fn peer<T: Send + 'static>(
    handle: impl FnOnce(TcpStream) -> T + Send + 'static,
) -> (SocketAddr, JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let thread = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        handle(stream)
    });
    (address, thread)
}

/// Reads one request (a single read, like the tutorial's server) and answers it.
fn tutorial_server(mut stream: TcpStream) -> Vec<u8> {
    let mut request = [0u8; 1024];
    let received = stream.read(&mut request).unwrap();
    stream.write_all(b"Hello, Client!").unwrap();
    request[..received].to_vec()
}

fn client(program: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(program);
    command.args(args).timeout(TIMEOUT);
    command
}

#[test]
fn sends_hello_and_prints_the_reply() {
    let (address, server) = peer(tutorial_server);
    client(cargo_bin!("tcp-client"), &[&address.to_string()])
        .assert()
        .success()
        .stdout("Received: Hello, Client!\n")
        .stderr("");
    assert_eq!(server.join().unwrap(), b"Hello, Server!");
}

#[test]
fn second_argument_is_the_message() {
    let (address, server) = peer(tutorial_server);
    client(cargo_bin!("tcp-client"), &[&address.to_string(), "你好, server"]).assert().success();
    assert_eq!(server.join().unwrap(), "你好, server".as_bytes());
}

#[test]
fn std_example_behaves_the_same() {
    let (address, server) = peer(tutorial_server);
    client(&testkit::example("std-tcp-client"), &[&address.to_string()])
        .assert()
        .success()
        .stdout("Received: Hello, Client!\n");
    assert_eq!(server.join().unwrap(), b"Hello, Server!");
}

#[test]
fn invalid_utf8_reply_is_shown_lossily() {
    let (address, _server) = peer(|mut stream| {
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request);
        stream.write_all(b"caf\xe9").unwrap();
    });
    client(cargo_bin!("tcp-client"), &[&address.to_string()])
        .assert()
        .success()
        .stdout("Received: caf\u{FFFD}\n");
}

#[test]
fn talks_to_the_python_server() {
    let Some(python) = testkit::python3() else { return };
    let server = Server::start(
        python,
        [testkit::python_script("tcp_server.py").as_os_str(), "127.0.0.1:0".as_ref()],
    );
    client(cargo_bin!("tcp-client"), &[&server.address().to_string()])
        .assert()
        .success()
        .stdout("Received: Hello, Client!\n");
    server.stdout_line_containing("Connected by");
    assert_eq!(server.stdout_line(), "Received: Hello, Server!");
}

#[test]
fn the_python_server_prints_chinese_even_where_stdout_is_not_utf8() {
    let Some(python) = testkit::python3() else { return };
    // What a Windows pipe gives Python: a legacy code page. ASCII is the strictest.
    let mut command = std::process::Command::new(python);
    command.arg(testkit::python_script("tcp_server.py")).arg("127.0.0.1:0");
    command.env("PYTHONIOENCODING", "ascii");
    let server = Server::spawn(command);
    client(cargo_bin!("tcp-client"), &[&server.address().to_string(), "你好"]).assert().success();
    server.stdout_line_containing("Connected by");
    assert_eq!(server.stdout_line(), "Received: 你好");
}

#[test]
fn refused_connection_names_the_address_and_the_fix() {
    let unused = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap(); // now closed
    let output = client(cargo_bin!("tcp-client"), &[&unused.to_string()]).output().unwrap();
    assert_clean_failure(
        &output,
        &[&format!("cannot connect to {unused}"), "cargo run -p tcp-server"],
    );
}

#[test]
fn server_that_never_replies_is_given_up_on() {
    let (address, server) = peer(|mut stream| {
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request);
        stream // keep the connection open, answer nothing
    });
    let output = client(cargo_bin!("tcp-client"), &[&address.to_string()]).output().unwrap();
    assert_clean_failure(&output, &[&format!("no reply from {address} within 5 s")]);
    drop(server.join().unwrap());
}

#[test]
fn a_reset_is_not_reported_as_a_timeout() {
    let (address, _server) = peer(|mut stream| {
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request);
        socket2::SockRef::from(&stream).set_linger(Some(std::time::Duration::ZERO)).unwrap();
        drop(stream); // with linger 0, close sends RST instead of FIN
    });
    let output = client(cargo_bin!("tcp-client"), &[&address.to_string()]).output().unwrap();
    // ECONNRESET; WSAECONNRESET (os error 10054) on Windows.
    assert_clean_failure(&output, &[&format!("cannot read the reply from {address}: ")]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("5 s") && !stderr.contains("no reply"), "{stderr}");
}

#[test]
fn control_characters_in_the_reply_are_shown_as_replacement_characters() {
    let (address, _server) = peer(|mut stream| {
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request);
        stream.write_all(b"\x1b]0;pwned\x07ok\n").unwrap();
    });
    client(cargo_bin!("tcp-client"), &[&address.to_string()])
        .assert()
        .success()
        .stdout("Received: \u{FFFD}]0;pwned\u{FFFD}ok\u{FFFD}\n");
}

#[test]
fn closed_stdout_is_one_clear_line_not_a_panic() {
    for program in [cargo_bin!("tcp-client").to_path_buf(), testkit::example("std-tcp-client")] {
        let (address, server) = peer(tutorial_server);
        let mut command = std::process::Command::new(&program);
        command.arg(address.to_string());
        let output = testkit::output_with_closed_stdout(command); // like `tcp-client | true`
        assert_eq!(server.join().unwrap(), b"Hello, Server!");
        assert_clean_failure(&output, &["cannot write to standard output"]);
    }
}

#[test]
fn server_that_closes_without_replying_is_reported() {
    let (address, _server) = peer(|mut stream| {
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request);
    });
    let output = client(cargo_bin!("tcp-client"), &[&address.to_string()]).output().unwrap();
    assert_clean_failure(&output, &[&format!("{address} closed the connection without replying")]);
}

#[test]
fn bad_addresses_are_rejected() {
    testkit::assert_rejects_bad_addresses(
        cargo_bin!("tcp-client"),
        &["abc", "127.0.0.1:99999", "localhost:12345"],
    );
}

#[test]
fn help_prints_two_lines_of_usage() {
    testkit::assert_usage(cargo_bin!("tcp-client"), "usage: tcp-client [ADDRESS] [MESSAGE]");
}
