//! Exercise tcp-read-to-eof: read until the client half-closes, answer `Received N bytes`.
//! Check your work with `cargo lab check tcp-read-to-eof`; stuck? `cargo lab hint tcp-read-to-eof`.
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
        // TODO: one `read` returns what has arrived so far, at most 1024 bytes. Keep reading
        // until `read` returns 0: the client has half-closed, and its message is complete.
        let mut request = [0u8; 1024];
        let received = match stream.read(&mut request) {
            Ok(received) => received,
            Err(error) => {
                eprintln!("error: client {peer}: cannot read the request: {error}");
                continue;
            }
        };
        println!("Received {received} bytes from {peer}");
        let reply = format!("Received {received} bytes");
        if let Err(error) = stream.write_all(reply.as_bytes()) {
            eprintln!("error: client {peer}: cannot send the reply: {error}");
        }
    } // `stream` is dropped here, at the end of each turn: that closes the connection
}
