//! Exercise bounded-pool: an echo server that serves at most 4 clients at
//! once; the fifth waits until one of them leaves.
//! Check your work with `cargo lab check bounded-pool`; stuck? `cargo lab hint bounded-pool`.
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;

use anyhow::{Context, Result};

fn main() -> Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7003".into());
    let listener = TcpListener::bind(&address).with_context(|| format!("cannot bind {address}"))?;
    println!("Listening on {}", listener.local_addr()?);
    // TODO: a thread per client means no limit at all: 1000 clients, 1000 threads.
    // Serve at most 4 clients at once: start 4 worker threads that take the
    // connections from a channel, and let this loop only send them into it.
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("error: cannot accept a connection: {error}");
                continue;
            }
        };
        println!("Connected by {peer}");
        // TODO: hand the connection to a worker instead of starting a thread for it.
        let spawned = thread::Builder::new().spawn(move || serve(stream, peer));
        if let Err(error) = spawned {
            eprintln!("error: client {peer}: cannot start a thread: {error}"); // closed with `stream`
        }
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
