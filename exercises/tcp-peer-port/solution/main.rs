//! Exercise tcp-peer-port: answer each client with the port it connects from.
//! Reference solution.
use std::io::{Read, Write};
use std::net::TcpListener;

use anyhow::{Context, Result};

fn main() -> Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:12345".into());
    let listener = TcpListener::bind(&address).with_context(|| format!("cannot bind {address}"))?;
    println!("Listening on {}", listener.local_addr()?);
    loop {
        let (mut stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("error: cannot accept a connection: {error}");
                continue;
            }
        };
        println!("Connected by {peer}");
        let mut request = [0u8; 1024];
        let received = match stream.read(&mut request) {
            Ok(received) => received,
            Err(error) => {
                eprintln!("error: client {peer}: cannot read the request: {error}");
                continue;
            }
        };
        println!("Received: {}", String::from_utf8_lossy(&request[..received]));
        // `peer` is the client's end of the connection: its IP address and its (ephemeral) port.
        let reply = format!("Your port is {}", peer.port());
        if let Err(error) = stream.write_all(reply.as_bytes()) {
            eprintln!("error: client {peer}: cannot send the reply: {error}");
        }
    } // `stream` is dropped here, at the end of each turn: that closes the connection
}
