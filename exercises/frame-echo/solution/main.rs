//! Exercise frame-echo: answer each length-prefixed frame with the same frame.
//! Reference solution.
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

use anyhow::{Context, Result};

/// Bytes in a frame's header: the payload's length as a big-endian `u32`.
const HEADER_LEN: usize = 4;

fn main() -> Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7100".into());
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
        // One thread per client (chapter 11): a slow client holds up only itself.
        thread::spawn(move || match serve(stream) {
            Ok(()) => println!("Closed by {peer}"),
            Err(error) => eprintln!("error: client {peer}: {error:#}"),
        });
    }
}

/// Echoes frames until the client closes the connection.
fn serve(mut stream: TcpStream) -> Result<()> {
    loop {
        // `read_exact` calls `read` until the buffer is full, however the bytes arrive.
        let mut header = [0u8; HEADER_LEN];
        match stream.read_exact(&mut header) {
            Ok(()) => {}
            // The connection ended before a whole header: nothing more will come.
            Err(error) if error.kind() == ErrorKind::UnexpectedEof => return Ok(()),
            Err(error) => return Err(error).context("cannot read a header"),
        }
        let length = u32::from_be_bytes(header) as usize;
        let mut payload = vec![0u8; length]; // frame-limit: check `length` before this
        stream.read_exact(&mut payload).context("cannot read a payload")?;
        // The header and the payload go back together, in one write.
        let mut frame = Vec::with_capacity(HEADER_LEN + length);
        frame.extend_from_slice(&header);
        frame.extend_from_slice(&payload);
        stream.write_all(&frame)?;
    }
}
