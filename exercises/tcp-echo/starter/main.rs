//! Exercise tcp-echo: answer each client with exactly the bytes it sent.
//! Check your work with `cargo lab check tcp-echo`; stuck? `cargo lab hint tcp-echo`.
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
        // TODO: answer with exactly the bytes the client sent, not a fixed greeting.
        if let Err(error) = stream.write_all(b"Hello, Client!") {
            eprintln!("error: client {peer}: cannot send the reply: {error}");
        }
    } // `stream` is dropped here, at the end of each turn: that closes the connection
}
