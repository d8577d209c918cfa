//! Exercise fail-bad-address: a wrong address or a port in use ends the server
//! with one `error: …` line and exit code 1, not a panic.
//! Reference solution.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;

use anyhow::{Context, Result};

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    // `{error:#}`: our context and the system's cause, on one line.
    let _ = writeln!(std::io::stderr(), "error: {error:#}");
    ExitCode::FAILURE // exit code 1
}

fn run() -> Result<()> {
    let arg = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:12345".into());
    let address: SocketAddr = arg.parse().with_context(|| {
        format!("invalid address {arg:?} (expected IP:PORT, e.g. 127.0.0.1:12345)")
    })?;
    let listener = TcpListener::bind(address).with_context(|| {
        format!("cannot bind {address} (is another server running? try another port)")
    })?;
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
        if let Err(error) = stream.write_all(b"Hello, Client!") {
            eprintln!("error: client {peer}: cannot send the reply: {error}");
        }
    }
}
