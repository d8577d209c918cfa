//! The same client written the everyday std way: `UdpSocket::bind` on port 0
//! lets the OS pick the client's port, as `sendto` does implicitly.
use std::net::UdpSocket;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    eprintln!("error: {error:#}");
    ExitCode::FAILURE
}

// ANCHOR: all
fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let server = args.next().unwrap_or_else(|| "127.0.0.1:5678".into());
    let message = args.next().unwrap_or_else(|| "Hello, UDP Server!".into());
    let socket = UdpSocket::bind("127.0.0.1:0").context("cannot bind a local port")?;
    socket
        .send_to(message.as_bytes(), &server)
        .with_context(|| format!("cannot send to {server}"))?;
    socket.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reply = [0u8; 1024];
    let (received, _from) = socket
        .recv_from(&mut reply)
        .with_context(|| format!("no reply from {server} within 5 s"))?;
    println!("Received: {}", String::from_utf8_lossy(&reply[..received]));
    Ok(())
}
// ANCHOR_END: all
