//! The tutorial's UDP server: answer every datagram with "Hello, UDP!".
use std::io::Write;
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;

use anyhow::{Context, Result};
use socket2::{Domain, Protocol, Socket, Type};

const USAGE: &str = "usage: udp-server [ADDRESS]\n\
    Listen on ADDRESS (default 127.0.0.1:5678) and answer each datagram with \"Hello, UDP!\".";
const MAX_SHOWN: usize = 1024; // like the tutorial's recvfrom(1024)
const STDOUT: &str = "cannot write to standard output (was it closed, e.g. by `| head`?)";

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    let _ = writeln!(std::io::stderr(), "error: {error:#}"); // eprintln! panics on a closed pipe
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    // ANCHOR: address
    let (mut out, mut log) = (std::io::stdout(), std::io::stderr()); // println! panics when closed
    let arg = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:5678".into());
    if arg == "--help" || arg == "-h" {
        return writeln!(out, "{USAGE}").context(STDOUT);
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
    writeln!(out, "Listening on {}", socket.local_addr()?).context(STDOUT)?;
    // ANCHOR_END: bind
    // ANCHOR: recv
    // Larger than any datagram, so no OS cuts one short (Linux would truncate it silently,
    // Windows would fail with WSAEMSGSIZE); we show at most 1024 bytes, the same everywhere.
    let mut datagram = vec![0u8; 65_535];
    loop {
        let received = socket.recv_from(&mut datagram).map_err(|error| {
            // e.g. Windows reports an ICMP "port unreachable" from an earlier reply here
            let _ = writeln!(log, "error: cannot receive a datagram: {error}");
        });
        let Ok((received, peer)) = received else { continue };
        // Invalid UTF-8 and control characters (\n, ESC…: no terminal tricks) are shown as �.
        let shown = &datagram[..received.min(MAX_SHOWN)];
        let text = String::from_utf8_lossy(shown).replace(char::is_control, "\u{FFFD}");
        if received > MAX_SHOWN {
            writeln!(
                out,
                "Received from {peer}: {text} (truncated to {MAX_SHOWN} of {received} bytes)"
            )
        } else {
            writeln!(out, "Received from {peer}: {text}")
        }
        .context(STDOUT)?;
        // ANCHOR_END: recv
        // ANCHOR: reply
        if let Err(error) = socket.send_to(b"Hello, UDP!", peer) {
            let _ = writeln!(log, "error: cannot reply to {peer}: {error}");
        }
        // ANCHOR_END: reply
    }
}
