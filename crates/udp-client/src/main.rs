//! The tutorial's UDP client: send "Hello, UDP Server!" and print the reply.
use std::io::{ErrorKind, Write};
use std::net::{SocketAddr, UdpSocket};
use std::{process::ExitCode, time::Duration};

use anyhow::{Context, Result, anyhow};
use socket2::{Domain, Protocol, Socket, Type};

const USAGE: &str = "usage: udp-client [ADDRESS] [MESSAGE]\n\
    Send MESSAGE (default \"Hello, UDP Server!\") to ADDRESS (default 127.0.0.1:5678), print the reply.";
const MAX_SHOWN: usize = 1024; // like the tutorial's recvfrom(1024)
const TIMEOUT: Duration = Duration::from_secs(5);
const STDOUT: &str = "cannot write to standard output (was it closed, e.g. by `| head`?)";

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    let _ = writeln!(std::io::stderr(), "error: {error:#}"); // eprintln! panics on a closed pipe
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    // ANCHOR: address
    let mut out = std::io::stdout(); // println! would panic if stdout were closed
    let mut args = std::env::args().skip(1);
    let arg = args.next().unwrap_or_else(|| "127.0.0.1:5678".into());
    if arg == "--help" || arg == "-h" {
        return writeln!(out, "{USAGE}").context(STDOUT);
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
    // connect() sends nothing: it fixes the peer, so the OS drops datagrams from anyone
    // else and reports an ICMP "port unreachable" to us instead of hiding it.
    socket.connect(server).with_context(|| format!("cannot use {server} as the peer"))?;
    // ANCHOR_END: create
    // ANCHOR: send
    socket.send(message.as_bytes()).with_context(|| format!("cannot send to {server}"))?;
    // ANCHOR_END: send
    // ANCHOR: recv
    socket.set_read_timeout(Some(TIMEOUT))?;
    let mut reply = vec![0u8; 65_535]; // larger than any datagram: no OS truncates the reply
    let received = socket.recv(&mut reply).map_err(|error| match error.kind() {
        // Linux and macOS say ConnectionRefused, Windows ConnectionReset (WSAECONNRESET)
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset => anyhow!(
            "nothing is listening on {server} (the port is unreachable; start the server with: cargo run -p udp-server)"
        ),
        // a timeout is WouldBlock on Unix, TimedOut on Windows: UDP itself never says "no"
        ErrorKind::WouldBlock | ErrorKind::TimedOut => anyhow!(
            "no reply from {server} within {} s (is udp-server running there? the datagram or its reply may be lost)",
            TIMEOUT.as_secs()
        ),
        _ => anyhow!(error).context(format!("cannot receive the reply from {server}")),
    })?;
    // Invalid UTF-8 and control characters (\n, ESC…: no terminal tricks) are shown as �.
    let shown = received.min(MAX_SHOWN);
    let text = String::from_utf8_lossy(&reply[..shown]).replace(char::is_control, "\u{FFFD}");
    if received > MAX_SHOWN {
        writeln!(out, "Received: {text} (truncated to {MAX_SHOWN} of {received} bytes)")
    } else {
        writeln!(out, "Received: {text}")
    }
    .context(STDOUT)?;
    // ANCHOR_END: recv
    Ok(()) // the socket is closed when it goes out of scope
}
