//! The same server written the everyday std way: `UdpSocket::bind` does
//! socket + bind in one call.
use std::io::Write;
use std::net::UdpSocket;
use std::process::ExitCode;

use anyhow::{Context, Result};

const STDOUT: &str = "cannot write to standard output (was it closed, e.g. by `| head`?)";

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    let _ = writeln!(std::io::stderr(), "error: {error:#}"); // eprintln! panics on a closed pipe
    ExitCode::FAILURE
}

// ANCHOR: all
fn run() -> Result<()> {
    let (mut out, mut log) = (std::io::stdout(), std::io::stderr()); // println! panics when closed
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:5678".into());
    let socket = UdpSocket::bind(&address).with_context(|| format!("cannot bind {address}"))?;
    writeln!(out, "Listening on {}", socket.local_addr()?).context(STDOUT)?;
    let mut datagram = vec![0u8; 65_535]; // room for any datagram, on every OS
    loop {
        match socket.recv_from(&mut datagram) {
            Ok((received, peer)) => {
                let text = String::from_utf8_lossy(&datagram[..received.min(1024)]);
                let text = text.replace(char::is_control, "\u{FFFD}");
                writeln!(out, "Received from {peer}: {text}").context(STDOUT)?;
                if let Err(error) = socket.send_to(b"Hello, UDP!", peer) {
                    let _ = writeln!(log, "error: cannot reply to {peer}: {error}");
                }
            }
            Err(error) => {
                let _ = writeln!(log, "error: cannot receive a datagram: {error}");
            }
        }
    }
}
// ANCHOR_END: all
