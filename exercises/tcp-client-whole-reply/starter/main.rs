//! Exercise tcp-client-whole-reply: print the server's whole reply, however long.
//! Check your work with `cargo lab check tcp-client-whole-reply`; stuck? `cargo lab hint tcp-client-whole-reply`.
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
    // TODO: one `read` returns what has arrived so far, at most 1024 bytes. Read the whole
    // reply: the server closes the connection when it has sent everything.
    let mut reply = [0u8; 1024];
    let received = match stream.read(&mut reply) {
        Ok(0) => bail!("{address} closed the connection without replying"),
        Ok(received) => received,
        Err(error) => return Err(error).context(format!("cannot read the reply from {address}")),
    };
    println!("Received: {}", String::from_utf8_lossy(&reply[..received]));
    Ok(())
}
