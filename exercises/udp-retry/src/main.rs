//! Exercise udp-retry: resend when no reply comes, at most 3 datagrams, 1 s apart.
//! Check your work with `cargo lab check udp-retry`; stuck? `cargo lab hint udp-retry`.
use std::io::{ErrorKind, Write};
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};

const TIMEOUT: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    let _ = writeln!(std::io::stderr(), "error: {error:#}");
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let arg = args.next().unwrap_or_else(|| "127.0.0.1:5678".into());
    let server: SocketAddr =
        arg.parse().with_context(|| format!("invalid address {arg:?} (expected IP:PORT)"))?;
    let message = args.next().unwrap_or_else(|| "Hello, UDP Server!".into());
    let socket = UdpSocket::bind("127.0.0.1:0").context("cannot bind a local port")?;
    socket.connect(server).with_context(|| format!("cannot use {server} as the peer"))?;
    socket.set_read_timeout(Some(TIMEOUT))?;
    let mut reply = vec![0u8; 65_535]; // room for any datagram, on every OS
    // TODO: when no reply comes within TIMEOUT, send the message again: 3 sends at most.
    socket.send(message.as_bytes()).with_context(|| format!("cannot send to {server}"))?;
    let received = match socket.recv(&mut reply) {
        Ok(received) => received,
        Err(error) => match error.kind() {
            ErrorKind::WouldBlock | ErrorKind::TimedOut => {
                bail!("no reply from {server} within {} s", TIMEOUT.as_secs())
            }
            // Linux and macOS say ConnectionRefused, Windows ConnectionReset (10054)
            ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset => {
                bail!("nothing is listening on {server}")
            }
            _ => return Err(error).with_context(|| format!("cannot receive from {server}")),
        },
    };
    let text = String::from_utf8_lossy(&reply[..received.min(1024)]);
    println!("Received: {}", text.replace(char::is_control, "\u{FFFD}"));
    Ok(())
}
