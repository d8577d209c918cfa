//! The tutorial's UDP client: send "Hello, UDP Server!" and print the reply.
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use socket2::{Domain, Protocol, Socket, Type};

const USAGE: &str = "usage: udp-client [ADDRESS] [MESSAGE]\n\
    Send MESSAGE (default \"Hello, UDP Server!\") to ADDRESS (default 127.0.0.1:5678), print the reply.";
const MAX_DATAGRAM: usize = 1024;
const TIMEOUT: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let Err(error) = run() else {
        return ExitCode::SUCCESS;
    };
    eprintln!("error: {error:#}");
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    // ANCHOR: address
    let mut args = std::env::args().skip(1);
    let arg = args.next().unwrap_or_else(|| "127.0.0.1:5678".into());
    if arg == "--help" || arg == "-h" {
        println!("{USAGE}");
        return Ok(());
    }
    let server: SocketAddr = arg.parse().with_context(|| {
        format!("invalid address {arg:?} (expected IP:PORT, e.g. 127.0.0.1:5678 or [::1]:5678)")
    })?;
    let message = args.next().unwrap_or_else(|| "Hello, UDP Server!".into());
    // ANCHOR_END: address
    // ANCHOR: create
    let socket = Socket::new(Domain::for_address(server), Type::DGRAM, Some(Protocol::UDP))
        .context("cannot create a UDP socket")?;
    let socket = UdpSocket::from(socket);
    // ANCHOR_END: create
    // ANCHOR: send
    socket
        .send_to(message.as_bytes(), server)
        .with_context(|| format!("cannot send to {server}"))?;
    // ANCHOR_END: send
    // ANCHOR: recv
    socket.set_read_timeout(Some(TIMEOUT))?;
    let mut reply = [0u8; MAX_DATAGRAM + 1]; // one spare byte reveals an oversized reply
    let (received, _from) = socket.recv_from(&mut reply).with_context(|| {
        format!(
            "no reply from {server} within {} s (is udp-server running? start it with: cargo run -p udp-server)",
            TIMEOUT.as_secs()
        )
    })?;
    let text = String::from_utf8_lossy(&reply[..received.min(MAX_DATAGRAM)]);
    if received > MAX_DATAGRAM {
        println!("Received: {text} (truncated to {MAX_DATAGRAM} bytes)");
    } else {
        println!("Received: {text}");
    }
    // ANCHOR_END: recv
    Ok(()) // the socket is closed when it goes out of scope
}
