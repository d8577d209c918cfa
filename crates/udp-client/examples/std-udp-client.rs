//! The same client written the everyday std way: `UdpSocket::bind` on port 0
//! lets the OS pick the client's port, as `sendto` does implicitly, and
//! `connect` makes the server the only peer whose datagrams we accept.
use std::io::Write;
use std::net::UdpSocket;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    let _ = writeln!(std::io::stderr(), "error: {error:#}"); // eprintln! panics on a closed pipe
    ExitCode::FAILURE
}

// ANCHOR: all
fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let server = args.next().unwrap_or_else(|| "127.0.0.1:5678".into());
    let message = args.next().unwrap_or_else(|| "Hello, UDP Server!".into());
    let socket = UdpSocket::bind("127.0.0.1:0").context("cannot bind a local port")?;
    socket.connect(&server).with_context(|| format!("cannot use {server} as the peer"))?;
    socket.send(message.as_bytes()).with_context(|| format!("cannot send to {server}"))?;
    socket.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reply = vec![0u8; 65_535]; // room for any datagram, on every OS
    let received = socket
        .recv(&mut reply)
        .with_context(|| format!("no reply from {server} (nothing listening, or 5 s passed)"))?;
    let text = String::from_utf8_lossy(&reply[..received.min(1024)]);
    let text = text.replace(char::is_control, "\u{FFFD}");
    writeln!(std::io::stdout(), "Received: {text}").context("cannot write to standard output")?;
    Ok(())
}
// ANCHOR_END: all
