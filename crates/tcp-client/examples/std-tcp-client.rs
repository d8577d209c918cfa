//! The same client written the everyday std way: `TcpStream::connect` does
//! socket + connect in one call.
use std::io::{Read, Write};
use std::net::TcpStream;
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
    let address = args.next().unwrap_or_else(|| "127.0.0.1:12345".into());
    let message = args.next().unwrap_or_else(|| "Hello, Server!".into());
    let mut stream =
        TcpStream::connect(&address).with_context(|| format!("cannot connect to {address}"))?;
    stream.write_all(message.as_bytes()).context("cannot send the message")?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).context("cannot read the reply")?;
    let text = String::from_utf8_lossy(&reply).replace(char::is_control, "\u{FFFD}");
    writeln!(std::io::stdout(), "Received: {text}").context("cannot write to standard output")?;
    Ok(())
}
// ANCHOR_END: all
