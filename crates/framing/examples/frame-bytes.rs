//! Prints the bytes `write_frame` produces, to see the length prefix and the
//! byte order with your own eyes. No network needed.
use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use framing::write_frame;

/// `println!`, except that a closed stdout (`frame-bytes | head -1`) is an
/// error the caller returns, instead of a panic.
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(io::stdout(), $($arg)*).context("cannot write to standard output")
    };
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect::<Vec<_>>().join(" ")
}

fn main() -> ExitCode {
    let Err(error) = run() else {
        return ExitCode::SUCCESS;
    };
    let _ = writeln!(io::stderr(), "error: {error:#}"); // with stderr closed, nobody is left to tell
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let payloads: [&[u8]; 3] = [b"Hello", b"", &[b'x'; 300]];
    for payload in payloads {
        let mut wire = Vec::new();
        write_frame(&mut wire, payload).context("cannot encode a frame")?;
        let (header, body) = wire.split_at(framing::HEADER_LEN);
        let body = match body.len() {
            0 => "(no payload)".to_string(),
            1..=8 => hex(body),
            _ => format!("{} …", hex(&body[..8])),
        };
        say!(
            "payload of {:>3} bytes -> frame of {:>3} bytes: [{}] {body}",
            payload.len(),
            wire.len(),
            hex(header)
        )?;
    }
    // ANCHOR: byte_order
    let length: u32 = 300;
    say!("300 big-endian    (to_be_bytes): {}", hex(&length.to_be_bytes()))?;
    say!("300 little-endian (to_le_bytes): {}", hex(&length.to_le_bytes()))?;
    // What a frame reader makes of a client that speaks another protocol:
    let length = u32::from_be_bytes(*b"GET ");
    say!("\"GET \" read as a big-endian length: {length}")?;
    // ANCHOR_END: byte_order
    Ok(())
}
