//! Exercise tcp-client-timeout: give up on a silent server after 2 s.
//! Check your work with `cargo lab check tcp-client-timeout`; stuck? `cargo lab hint tcp-client-timeout`.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;

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
    // TODO: a server that accepts the connection and never answers keeps this `read`
    // waiting for ever. Give up after 2 s, with one error line that says it timed out.
    let mut reply = [0u8; 1024];
    let received = match stream.read(&mut reply) {
        Ok(0) => bail!("{address} closed the connection without replying"),
        Ok(received) => received,
        Err(error) => return Err(error).context(format!("cannot read the reply from {address}")),
    };
    println!("Received: {}", String::from_utf8_lossy(&reply[..received]));
    Ok(())
}
