//! The tutorial's TCP client: send "Hello, Server!" and print the reply.
use std::io::{ErrorKind::TimedOut, ErrorKind::WouldBlock, Read, Write}; // timeouts: Windows, Unix
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use socket2::{Domain, Protocol, Socket, Type};

const USAGE: &str = "usage: tcp-client [ADDRESS] [MESSAGE]\n\
    Send MESSAGE (default \"Hello, Server!\") to ADDRESS (default 127.0.0.1:12345), print the reply.";
const TIMEOUT: Duration = Duration::from_secs(5);
const STDOUT: &str = "cannot write to standard output (was it closed, e.g. by `| head`?)";

// ANCHOR: main
fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    let _ = writeln!(std::io::stderr(), "error: {error:#}"); // eprintln! panics on a closed pipe
    ExitCode::FAILURE
}
// ANCHOR_END: main

fn run() -> Result<()> {
    // ANCHOR: address
    let mut out = std::io::stdout(); // println! would panic if stdout were closed
    let mut args = std::env::args().skip(1);
    let arg = args.next().unwrap_or_else(|| "127.0.0.1:12345".into());
    if arg == "--help" || arg == "-h" {
        return writeln!(out, "{USAGE}").context(STDOUT);
    }
    let address: SocketAddr = arg.parse().with_context(|| {
        format!("invalid address {arg:?} (expected IP:PORT, e.g. 127.0.0.1:12345 or [::1]:12345)")
    })?;
    let message = args.next().unwrap_or_else(|| "Hello, Server!".into());
    // ANCHOR_END: address
    // ANCHOR: create
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, Some(Protocol::TCP))
        .context("cannot create a TCP socket")?;
    // ANCHOR_END: create
    // ANCHOR: connect
    socket.connect_timeout(&address.into(), TIMEOUT).with_context(|| {
        format!("cannot connect to {address} (is the server running? start it with: cargo run -p tcp-server)")
    })?;
    let mut stream = TcpStream::from(socket);
    // ANCHOR_END: connect
    // ANCHOR: send
    stream.write_all(message.as_bytes()).context("cannot send the message")?;
    // ANCHOR_END: send
    // ANCHOR: recv
    stream.set_read_timeout(Some(TIMEOUT))?;
    let mut reply = [0u8; 1024];
    let received = match stream.read(&mut reply) {
        Ok(0) => bail!("{address} closed the connection without replying"),
        Ok(received) => received,
        Err(e) if matches!(e.kind(), WouldBlock | TimedOut) => {
            bail!("no reply from {address} within {} s", TIMEOUT.as_secs())
        }
        Err(error) => return Err(error).context(format!("cannot read the reply from {address}")),
    };
    // Invalid UTF-8 and control characters (\n, ESC…: no terminal tricks) are shown as �.
    let text = String::from_utf8_lossy(&reply[..received]).replace(char::is_control, "\u{FFFD}");
    writeln!(out, "Received: {text}").context(STDOUT)?;
    // ANCHOR_END: recv
    // ANCHOR: close
    drop(stream); // closes the connection, like Python's close()
    Ok(())
    // ANCHOR_END: close
}
