//! The tutorial's UDP server: answer every datagram with "Hello, UDP!".
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;

use anyhow::{Context, Result};
use socket2::{Domain, Protocol, Socket, Type};

const USAGE: &str = "usage: udp-server [ADDRESS]\n\
    Listen on ADDRESS (default 127.0.0.1:5678) and answer each datagram with \"Hello, UDP!\".";
const MAX_DATAGRAM: usize = 1024;

fn main() -> ExitCode {
    let Err(error) = run() else {
        return ExitCode::SUCCESS;
    };
    eprintln!("error: {error:#}");
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    // ANCHOR: address
    let arg = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:5678".into());
    if arg == "--help" || arg == "-h" {
        println!("{USAGE}");
        return Ok(());
    }
    let address: SocketAddr = arg.parse().with_context(|| {
        format!("invalid address {arg:?} (expected IP:PORT, e.g. 127.0.0.1:5678 or [::1]:5678)")
    })?;
    // ANCHOR_END: address
    // ANCHOR: create
    let socket = Socket::new(Domain::for_address(address), Type::DGRAM, Some(Protocol::UDP))
        .context("cannot create a UDP socket")?;
    // ANCHOR_END: create
    // ANCHOR: bind
    socket.bind(&address.into()).with_context(|| {
        format!("cannot bind {address} (is another udp-server running? try another port)")
    })?;
    let socket = UdpSocket::from(socket);
    println!("Listening on {}", socket.local_addr()?);
    // ANCHOR_END: bind
    // ANCHOR: recv
    let mut datagram = [0u8; MAX_DATAGRAM + 1]; // one spare byte reveals an oversized datagram
    loop {
        let (received, peer) = match socket.recv_from(&mut datagram) {
            Ok(pair) => pair,
            Err(error) => {
                // e.g. Windows reports an ICMP "port unreachable" from an earlier reply here
                eprintln!("error: cannot receive a datagram: {error}");
                continue;
            }
        };
        let text = String::from_utf8_lossy(&datagram[..received.min(MAX_DATAGRAM)]);
        if received > MAX_DATAGRAM {
            println!("Received from {peer}: {text} (truncated to {MAX_DATAGRAM} bytes)");
        } else {
            println!("Received from {peer}: {text}");
        }
        // ANCHOR_END: recv
        // ANCHOR: reply
        if let Err(error) = socket.send_to(b"Hello, UDP!", peer) {
            eprintln!("error: cannot reply to {peer}: {error}");
        }
        // ANCHOR_END: reply
    }
}
