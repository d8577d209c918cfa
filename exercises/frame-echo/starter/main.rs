//! Exercise frame-echo: answer each length-prefixed frame with the same frame.
//! Check your work with `cargo lab check frame-echo`; stuck? `cargo lab hint frame-echo`.
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

use anyhow::{Context, Result, bail};

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
    let mut buffer = [0u8; 1024];
    loop {
        // TODO: one `read` is not one frame. It may return part of a frame (even
        // part of its header), or several frames at once, and a frame may be
        // larger than 1024 bytes. Read the 4-byte header, then exactly its payload.
        let received = stream.read(&mut buffer)?;
        if received == 0 {
            return Ok(()); // the client closed the connection
        }
        if received < HEADER_LEN {
            bail!("got {received} bytes, not a whole header");
        }
        let length = u32::from_be_bytes([buffer[0], buffer[1], buffer[2], buffer[3]]) as usize;
        let end = received.min(HEADER_LEN + length);
        // The header and the payload go back as they came, in one write.
        stream.write_all(&buffer[..end])?;
    }
}
