//! Exercise round-trips: a mini load generator, N timed round trips on one connection.
//! Reference solution.
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};

/// Bytes in each message, and in each echo.
const SIZE: usize = 64;

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    eprintln!("error: {error:#}");
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let address = args.next().unwrap_or_else(|| "127.0.0.1:7004".into());
    let text = args.next().unwrap_or_else(|| "1000".into());
    let count: u64 = text.parse().with_context(|| format!("invalid count {text:?}"))?;
    let mut stream =
        TcpStream::connect(&address).with_context(|| format!("cannot connect to {address}"))?;
    let message = [b'x'; SIZE];
    let mut echo = [0u8; SIZE];
    let started = Instant::now();
    for _ in 0..count {
        stream.write_all(&message).context("cannot send a message")?;
        // The echo may come in pieces: wait for all 64 bytes before the next message.
        stream.read_exact(&mut echo).context("cannot read an echo")?;
    }
    let elapsed = started.elapsed();
    println!("{count} round trips in {:.3} ms", elapsed.as_secs_f64() * 1000.0);
    Ok(())
}
