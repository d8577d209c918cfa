//! Exercise threaded-echo: an echo server that serves each client on a thread
//! of its own, so that a slow client no longer makes the others wait.
//! Check your work with `cargo lab check threaded-echo`; stuck? `cargo lab hint threaded-echo`.
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

use anyhow::{Context, Result};

fn main() -> Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7002".into());
    let listener = TcpListener::bind(&address).with_context(|| format!("cannot bind {address}"))?;
    println!("Listening on {}", listener.local_addr()?);
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("error: cannot accept a connection: {error}");
                continue;
            }
        };
        println!("Connected by {peer}");
        // TODO: until `serve` returns, this loop cannot accept anybody else.
        // Serve the client on a new thread instead, and go straight back to `accept`.
        serve(stream, peer);
    }
}

/// Serves one client to the end, then closes its connection.
fn serve(mut stream: TcpStream, peer: SocketAddr) {
    match echo(&mut stream) {
        Ok(()) => println!("Closed {peer}"),
        Err(error) => eprintln!("error: client {peer}: {error}"),
    }
}

/// Sends back every byte the client sends, until it closes its side.
fn echo(stream: &mut TcpStream) -> std::io::Result<()> {
    let mut buffer = [0u8; 1024];
    loop {
        let received = match stream.read(&mut buffer) {
            Ok(0) => return Ok(()), // the client closed its side
            Ok(received) => received,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        stream.write_all(&buffer[..received])?;
    }
}
