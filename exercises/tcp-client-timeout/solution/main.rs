//! Exercise tcp-client-timeout: give up on a silent server after 2 s.
//! Reference solution.
use std::io::{ErrorKind, Read, Write};
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
    // A read that waits longer than this fails: WouldBlock on Linux and macOS, TimedOut on Windows.
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut reply = [0u8; 1024];
    let received = match stream.read(&mut reply) {
        Ok(0) => bail!("{address} closed the connection without replying"),
        Ok(received) => received,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            bail!("no reply from {address}: timed out after 2 s")
        }
        Err(error) => return Err(error).context(format!("cannot read the reply from {address}")),
    };
    println!("Received: {}", String::from_utf8_lossy(&reply[..received]));
    Ok(())
}
