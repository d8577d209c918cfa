//! Client for the frame echo server: sends each message as one frame, all of
//! them back to back, then reads the echoes and prints them.
use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use framing::{DEFAULT_MAX_FRAME, is_timeout, read_frame, write_frame};

const USAGE: &str = "usage: frame-client [ADDRESS] [MESSAGE]...\n\
    Send each MESSAGE as one frame to ADDRESS (default 127.0.0.1:7100) and print the echoes.\n\
    Without messages it sends three samples.";
const SAMPLES: [&str; 3] = ["Hello, Server!", "Two writes can arrive as one read.", "Bye!"];
const TIMEOUT: Duration = Duration::from_secs(5);

/// `println!`, except that a closed stdout (`frame-client | head -1`) is an
/// error the caller returns, instead of a panic.
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(io::stdout(), $($arg)*).context("cannot write to standard output")
    };
}

fn main() -> ExitCode {
    let Err(error) = run() else {
        return ExitCode::SUCCESS;
    };
    let _ = writeln!(io::stderr(), "error: {error:#}"); // with stderr closed, nobody is left to tell
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let arg = args.next().unwrap_or_else(|| "127.0.0.1:7100".into());
    if arg == "--help" || arg == "-h" {
        say!("{USAGE}")?;
        return Ok(());
    }
    let address: SocketAddr = arg.parse().with_context(|| {
        format!("invalid address {arg:?} (expected IP:PORT, e.g. 127.0.0.1:7100 or [::1]:7100)")
    })?;
    let mut messages: Vec<String> = args.collect();
    if messages.is_empty() {
        messages = SAMPLES.map(String::from).to_vec();
    }
    // ANCHOR: connect
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT).with_context(|| {
        format!("cannot connect to {address} (is the server running? start it with: cargo run -p framing --bin frame-server)")
    })?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    // ANCHOR_END: connect
    // ANCHOR: send
    // All frames leave back to back, before any echo is read: on the wire they
    // are one run of bytes, and only the length prefixes tell them apart.
    for message in &messages {
        write_frame(&mut stream, message.as_bytes()).context("cannot send a frame")?;
        say!("Sent: {}", printable(message.as_bytes()))?;
    }
    // ANCHOR_END: send
    // ANCHOR: receive
    for message in &messages {
        let echo = match read_frame(&mut stream, DEFAULT_MAX_FRAME) {
            Ok(Some(echo)) => echo,
            Ok(None) => bail!("{address} closed the connection before echoing {message:?}"),
            Err(error) if is_timeout(&error) => {
                bail!("no echo from {address} within {} s", TIMEOUT.as_secs())
            }
            Err(error) => return Err(error).context("cannot read an echo"),
        };
        say!("Received: {}", printable(&echo))?;
    }
    Ok(()) // dropping `stream` closes the connection: the server reads a clean end
    // ANCHOR_END: receive
}

/// Bytes as text for the terminal, with control characters escaped (`\u{1b}`,
/// `\n`, …): bytes from the network must not be able to move the cursor,
/// recolour or clear the terminal, or retitle its window.
fn printable(bytes: &[u8]) -> String {
    let mut text = String::new();
    for character in String::from_utf8_lossy(bytes).chars() {
        if character.is_control() {
            text.extend(character.escape_default());
        } else {
            text.push(character);
        }
    }
    text
}
