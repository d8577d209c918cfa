//! The floor server echoes correctly, including when its send buffer fills.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use echo_floor::{Shutdown, run};
use testkit::{connect, round_trip};

fn start() -> (SocketAddr, Shutdown, thread::JoinHandle<anyhow::Result<()>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let stopper = shutdown.clone();
    (address, shutdown, thread::spawn(move || run(listener, stopper)))
}

#[test]
fn echoes_many_clients_from_one_thread() {
    let (address, shutdown, server) = start();
    let mut clients: Vec<TcpStream> = (0..50).map(|_| connect(address)).collect();
    for round in 0..3 {
        for (number, client) in clients.iter_mut().enumerate() {
            round_trip(client, format!("client {number} round {round}").as_bytes());
        }
    }
    drop(clients);
    shutdown.request();
    server.join().unwrap().unwrap();
}

#[test]
fn a_full_send_buffer_is_flushed_later_not_lost() {
    let (address, shutdown, server) = start();
    let mut client = connect(address);
    // Send 4 MB before reading anything: the server's send buffer fills,
    // so it must keep the rest and finish when the socket is writable again.
    let message: Vec<u8> = (0..4_000_000u32).map(|i| (i % 253) as u8).collect();
    let mut writer = client.try_clone().unwrap();
    let sent = message.clone();
    let writing = thread::spawn(move || writer.write_all(&sent).unwrap());
    let mut reply = vec![0; message.len()];
    client.read_exact(&mut reply).unwrap();
    writing.join().unwrap();
    assert!(reply == message, "bytes lost or reordered");
    drop(client);
    shutdown.request();
    server.join().unwrap().unwrap();
}

#[test]
fn a_reset_client_does_not_disturb_the_others() {
    let (address, shutdown, server) = start();
    let mut other = connect(address);
    let mut rude = connect(address);
    round_trip(&mut rude, b"half");
    socket2::SockRef::from(&rude).set_linger(Some(Duration::ZERO)).unwrap();
    rude.write_all(&[1; 10_000]).unwrap();
    drop(rude);
    round_trip(&mut other, b"unaffected");
    let mut fresh = connect(address);
    round_trip(&mut fresh, b"and new clients are served");
    shutdown.request();
    server.join().unwrap().unwrap();
}

#[test]
fn a_half_closed_client_gets_its_echo_then_the_end_of_stream() {
    let (address, shutdown, server) = start();
    for _ in 0..200 {
        let mut client = connect(address);
        client.write_all(b"Hello, Server!").unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap(); // data and FIN together
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).unwrap(); // ends only if the server closes
        assert_eq!(reply, b"Hello, Server!");
    }
    shutdown.request();
    server.join().unwrap().unwrap();
}

#[test]
fn a_closed_stdout_does_not_disturb_it() {
    // `echo-floor | head -1`: after `Listening on` it prints nothing, so it
    // never learns that stdout is gone, and goes on echoing without a panic.
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_echo-floor"));
    command.arg("127.0.0.1:0");
    let mut server = testkit::Server::spawn_closing_stdout(command);
    for _ in 0..3 {
        let mut client = connect(server.address());
        round_trip(&mut client, b"still echoing");
    }
    server.assert_running();
}

#[test]
fn usage_and_listening_line_on_a_closed_stdout_are_one_error_line() {
    testkit::assert_first_line_on_closed_stdout_is_one_error(
        env!("CARGO_BIN_EXE_echo-floor"),
        &[&["--help"], &["127.0.0.1:0"]],
    );
}

#[cfg(unix)] // Windows has no per-process descriptor limit to lower
#[test]
fn out_of_file_descriptors_it_retries_accept_without_spinning() {
    // 16 descriptors, 24 clients: a dozen accepted, the rest wait.
    testkit::assert_accept_loop_pauses_out_of_descriptors(
        env!("CARGO_BIN_EXE_echo-floor"),
        16,
        24,
        true,
    );
}
