//! Exercise fail-survive: a TCP server that survives every misbehaving client
//! (a hang-up, silence, a reset, bytes that are not UTF-8) and serves the next.
//! Check your work with `cargo lab check fail-survive`; stuck? `cargo lab hint fail-survive`.
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:12345".into());
    let listener = TcpListener::bind(&address).with_context(|| format!("cannot bind {address}"))?;
    println!("Listening on {}", listener.local_addr()?);
    loop {
        // TODO: every `?` in this loop ends the whole server when ONE client
        // misbehaves. Log one `error: …` line for that client and go on with the next.
        let (mut stream, peer) = listener.accept()?;
        println!("Connected by {peer}");
        let request = receive(&mut stream)?;
        println!("Received: {request}");
        stream.write_all(b"Hello, Client!")?;
    } // `stream` is dropped here, at the end of each turn: that closes the connection
}

/// Reads one request (at most 1024 bytes) from the client.
fn receive(stream: &mut TcpStream) -> Result<String> {
    // TODO: a client that connects and says nothing holds the server for ever:
    // give up on it after 2 seconds.
    let mut request = [0u8; 1024];
    let received = stream.read(&mut request).context("cannot read the request")?;
    if received == 0 {
        bail!("closed the connection without sending anything");
    }
    // TODO: bytes that are not UTF-8 are no reason to fail: show them as �.
    let text = std::str::from_utf8(&request[..received]).context("the request is not UTF-8")?;
    Ok(text.to_string())
}
