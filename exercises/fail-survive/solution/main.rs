//! Exercise fail-survive: a TCP server that survives every misbehaving client
//! (a hang-up, silence, a reset, bytes that are not UTF-8) and serves the next.
//! Reference solution.
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:12345".into());
    let listener = TcpListener::bind(&address).with_context(|| format!("cannot bind {address}"))?;
    println!("Listening on {}", listener.local_addr()?);
    loop {
        // A failure here concerns one client only: log one line, serve the next.
        let (mut stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("error: cannot accept a connection: {error}");
                std::thread::sleep(Duration::from_millis(100)); // e.g. no descriptors left: don't spin
                continue;
            }
        };
        println!("Connected by {peer}");
        let request = match receive(&mut stream) {
            Ok(request) => request,
            Err(error) => {
                eprintln!("error: client {peer}: {error:#}");
                continue; // dropping `stream` closes the connection
            }
        };
        println!("Received: {request}");
        if let Err(error) = stream.write_all(b"Hello, Client!") {
            eprintln!("error: client {peer}: cannot send the reply: {error}");
        }
    } // `stream` is dropped here, at the end of each turn: that closes the connection
}

/// Reads one request (at most 1024 bytes) from the client.
fn receive(stream: &mut TcpStream) -> Result<String> {
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut request = [0u8; 1024];
    let received = match stream.read(&mut request) {
        Ok(received) => received,
        // Unix says WouldBlock when the timeout is over, Windows TimedOut.
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            bail!("sent nothing for 2 s")
        }
        Err(error) => return Err(error).context("cannot read the request"), // e.g. a reset
    };
    if received == 0 {
        bail!("closed the connection without sending anything");
    }
    // Bytes that are not UTF-8 are shown as �: the client still gets its answer.
    Ok(String::from_utf8_lossy(&request[..received]).into_owned())
}
