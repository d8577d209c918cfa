//! Exercise tcp-client-whole-reply: print the server's whole reply, however long.
//! Reference solution.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    eprintln!("error: {error:#}");
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let arg = args.next().unwrap_or_else(|| "127.0.0.1:12345".into());
    let address: SocketAddr = arg.parse().with_context(|| format!("invalid address {arg:?}"))?;
    let message = args.next().unwrap_or_else(|| "Hello, Server!".into());
    let mut stream =
        TcpStream::connect(address).with_context(|| format!("cannot connect to {address}"))?;
    stream.write_all(message.as_bytes()).context("cannot send the message")?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    // `read_to_end` calls `read` until it returns 0 (the server has closed the connection),
    // collecting every piece; the bytes become text only once they are all in.
    let mut reply = Vec::new();
    match stream.read_to_end(&mut reply) {
        Ok(0) => bail!("{address} closed the connection without replying"),
        Ok(_) => {}
        Err(error) => return Err(error).context(format!("cannot read the reply from {address}")),
    }
    println!("Received: {}", String::from_utf8_lossy(&reply));
    Ok(())
}
