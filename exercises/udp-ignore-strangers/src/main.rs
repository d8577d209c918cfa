//! Exercise udp-ignore-strangers: on an unconnected socket, print only the server's reply.
//! Check your work with `cargo lab check udp-ignore-strangers`; stuck? `cargo lab hint udp-ignore-strangers`.
use std::io::{ErrorKind, Write};
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};

const TIMEOUT: Duration = Duration::from_secs(5);

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
    // No connect(): this socket takes datagrams from anyone who knows its port.
    let socket = UdpSocket::bind("127.0.0.1:0").context("cannot bind a local port")?;
    socket
        .send_to(message.as_bytes(), server)
        .with_context(|| format!("cannot send to {server}"))?;
    socket.set_read_timeout(Some(TIMEOUT))?;
    let mut reply = vec![0u8; 65_535]; // room for any datagram, on every OS
    // TODO: a datagram whose sender `_from` is not `server` is not the reply: ignore it and
    // wait for the next one, but never longer than TIMEOUT in all.
    let (received, _from) = socket.recv_from(&mut reply).map_err(|error| match error.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => {
            anyhow!("no reply from {server} within {} s", TIMEOUT.as_secs())
        }
        _ => anyhow!(error).context(format!("cannot receive the reply from {server}")),
    })?;
    let text = String::from_utf8_lossy(&reply[..received.min(1024)]);
    println!("Received: {}", text.replace(char::is_control, "\u{FFFD}"));
    Ok(())
}
