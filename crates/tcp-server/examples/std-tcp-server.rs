//! The same server written the everyday std way: `TcpListener::bind` does
//! socket + bind + listen in one call and picks the backlog for you.
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    eprintln!("error: {error:#}");
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:12345".into());
    // ANCHOR: bind
    let listener =
        TcpListener::bind(&address).with_context(|| format!("cannot listen on {address}"))?;
    println!("Listening on {}", listener.local_addr()?);
    // ANCHOR_END: bind
    // ANCHOR: accept
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(stream) => stream,
            Err(error) => {
                eprintln!("error: cannot accept a connection: {error}");
                continue;
            }
        };
        if let Err(error) = serve(stream) {
            eprintln!("error: {error:#}");
        }
    }
    // ANCHOR_END: accept
    Ok(())
}

// ANCHOR: serve
fn serve(mut stream: TcpStream) -> Result<()> {
    let peer = stream.peer_addr()?;
    println!("Connected by {peer}");
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut request = [0u8; 1024];
    let received =
        stream.read(&mut request).with_context(|| format!("client {peer}: no request"))?;
    println!("Received: {}", String::from_utf8_lossy(&request[..received]));
    stream.write_all(b"Hello, Client!").with_context(|| format!("client {peer}: cannot reply"))?;
    Ok(()) // `stream` is dropped here, which closes the connection
}
// ANCHOR_END: serve
