//! Thread per connection: clients no longer wait for each other.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use echo_threaded::{Config, Shutdown, run_with};
use testkit::{Server, TIMEOUT, connect, round_trip};

fn start(config: Config) -> (SocketAddr, Shutdown, thread::JoinHandle<anyhow::Result<()>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let stopper = shutdown.clone();
    (address, shutdown, thread::spawn(move || run_with(listener, stopper, config)))
}

fn quiet() -> Config {
    Config { log: false, ..Config::default() }
}

#[test]
fn a_connected_client_does_not_stall_the_next_one() {
    let (address, shutdown, server) = start(quiet());
    let mut first = connect(address);
    round_trip(&mut first, b"first");
    let mut second = connect(address);
    round_trip(&mut second, b"second"); // answered while `first` is still connected
    round_trip(&mut first, b"first again");
    drop((first, second));
    shutdown.request();
    server.join().unwrap().unwrap();
}

#[test]
fn a_silent_client_times_out_and_others_are_unaffected() {
    let (address, shutdown, server) =
        start(Config { idle_timeout: Duration::from_millis(300), ..quiet() });
    let mut silent = connect(address);
    let waiting = thread::spawn(move || silent.read(&mut [0u8; 1]).unwrap());
    // A busy client keeps talking while the silent one waits to be dropped.
    let mut busy = connect(address);
    let mut round_trips = 0;
    while !waiting.is_finished() {
        round_trip(&mut busy, b"busy");
        round_trips += 1;
    }
    assert_eq!(waiting.join().unwrap(), 0, "the server should close a silent client");
    assert!(round_trips > 0);
    round_trip(&mut busy, b"still served");
    drop(busy);
    shutdown.request();
    server.join().unwrap().unwrap();
}

#[test]
fn shutdown_lets_connected_clients_finish() {
    let (address, shutdown, server) = start(quiet());
    let mut client = connect(address);
    round_trip(&mut client, b"before");
    shutdown.request();
    // The accept loop is gone, but this client's thread still serves it.
    round_trip(&mut client, b"after shutdown was requested");
    drop(client);
    server.join().unwrap().unwrap();
    assert!(TcpStream::connect_timeout(&address, TIMEOUT).is_err(), "no longer listening");
}

#[test]
fn a_reset_mid_stream_is_reported_and_the_server_goes_on() {
    let server = Server::start(env!("CARGO_BIN_EXE_echo-threaded"), ["127.0.0.1:0"]);
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.connect(&server.address().into()).unwrap();
    let mut rude = TcpStream::from(socket);
    rude.set_read_timeout(Some(TIMEOUT)).unwrap();
    round_trip(&mut rude, b"half");
    socket2::SockRef::from(&rude).set_linger(Some(Duration::ZERO)).unwrap();
    rude.write_all(b"and then").unwrap();
    drop(rude); // RST instead of FIN
    let line = server.stderr_line_containing("error: client 127.0.0.1:");
    assert!(!line.contains('\n'));
    let mut client = connect(server.address());
    round_trip(&mut client, b"still there");
}

#[test]
fn port_in_use_and_bad_address_are_one_line_errors() {
    let program = std::path::Path::new(env!("CARGO_BIN_EXE_echo-threaded"));
    testkit::assert_port_in_use(program, "echo-threaded");
    testkit::assert_rejects_bad_addresses(program, &["300.0.0.1:7"]);
    testkit::assert_usage(program, "usage: echo-threaded");
}

#[test]
fn shutdown_during_load_lets_every_connected_client_finish() {
    // In-process, so graceful shutdown is tested on every OS.
    let (address, shutdown, server) = start(quiet());
    let clients = testkit::BusyClients::connect(address, 10);
    shutdown.request();
    clients.finish(); // every round trip after the request succeeded
    server.join().unwrap().unwrap();
    assert!(TcpStream::connect_timeout(&address, TIMEOUT).is_err(), "no longer listening");
}

#[test]
fn a_closed_stdout_stops_the_server_with_one_error_line() {
    // `echo-threaded | head -1`: `Connected by` cannot be printed any more.
    testkit::assert_server_stops_on_closed_stdout(
        env!("CARGO_BIN_EXE_echo-threaded"),
        &["127.0.0.1:0"],
    );
}

#[test]
fn usage_and_listening_line_on_a_closed_stdout_are_one_error_line() {
    testkit::assert_first_line_on_closed_stdout_is_one_error(
        env!("CARGO_BIN_EXE_echo-threaded"),
        &[&["--help"], &["127.0.0.1:0"]],
    );
}

#[cfg(unix)]
#[test]
fn out_of_file_descriptors_the_accept_loop_pauses_instead_of_spinning() {
    // 16 descriptors, 24 clients: a dozen accepted, the rest wait in vain.
    testkit::assert_accept_loop_pauses_out_of_descriptors(
        env!("CARGO_BIN_EXE_echo-threaded"),
        16,
        24,
        true,
    );
}
