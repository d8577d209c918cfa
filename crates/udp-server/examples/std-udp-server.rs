//! The same server written the everyday std way: `UdpSocket::bind` does
//! socket + bind in one call.
use std::net::UdpSocket;
use std::process::ExitCode;

use anyhow::{Context, Result};

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    eprintln!("error: {error:#}");
    ExitCode::FAILURE
}

// ANCHOR: all
fn run() -> Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:5678".into());
    let socket = UdpSocket::bind(&address).with_context(|| format!("cannot bind {address}"))?;
    println!("Listening on {}", socket.local_addr()?);
    let mut datagram = [0u8; 1024];
    loop {
        match socket.recv_from(&mut datagram) {
            Ok((received, peer)) => {
                println!(
                    "Received from {peer}: {}",
                    String::from_utf8_lossy(&datagram[..received])
                );
                if let Err(error) = socket.send_to(b"Hello, UDP!", peer) {
                    eprintln!("error: cannot reply to {peer}: {error}");
                }
            }
            Err(error) => eprintln!("error: cannot receive a datagram: {error}"),
        }
    }
}
// ANCHOR_END: all
