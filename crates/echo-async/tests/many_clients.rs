//! Many clients at once, alone in its test binary (its own process), with
//! the server in a process of its own: 200 connections are 400 open
//! descriptors (both ends), and macOS's default limit is 256 per process.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;

use testkit::{Server, connect, round_trip};

#[test]
fn serves_many_clients_at_once() {
    let server = Server::start(env!("CARGO_BIN_EXE_echo-async"), ["127.0.0.1:0"]);
    // 200: more than the 128 workers of echo-pool, all connected together.
    let mut clients: Vec<TcpStream> = (0..200).map(|_| connect(server.address())).collect();
    for (number, client) in clients.iter_mut().enumerate() {
        round_trip(client, format!("client {number}").as_bytes());
    }
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    // Write and read at the same time: 300 kB do not fit in the socket buffers.
    let mut writer = clients[0].try_clone().unwrap();
    let sent = big.clone();
    let writing = thread::spawn(move || writer.write_all(&sent).unwrap());
    let mut reply = vec![0; big.len()];
    clients[0].read_exact(&mut reply).unwrap();
    writing.join().unwrap();
    assert!(reply == big, "a large message came back changed");
    // The server's log: each of the 200 connected, each once.
    let ports: BTreeSet<String> = (0..200)
        .map(|_| {
            let line = server.stdout_line();
            let port = line.strip_prefix("Connected by 127.0.0.1:");
            port.unwrap_or_else(|| panic!("expected `Connected by`, got {line:?}")).to_string()
        })
        .collect();
    let expected: BTreeSet<String> =
        clients.iter().map(|client| client.local_addr().unwrap().port().to_string()).collect();
    assert_eq!(ports, expected);
}
