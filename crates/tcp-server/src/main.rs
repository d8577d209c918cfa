//! The tutorial's TCP server: serve one client at a time, answer "Hello, Client!".
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use socket2::{Domain, Protocol, Socket, Type};

const USAGE: &str = "usage: tcp-server [ADDRESS]\n\
    Listen on ADDRESS (default 127.0.0.1:12345) and answer each client with \"Hello, Client!\".";

fn main() -> ExitCode {
    let Err(error) = run() else {
        return ExitCode::SUCCESS;
    };
    eprintln!("error: {error:#}");
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    // ANCHOR: address
    let arg = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:12345".into());
    if arg == "--help" || arg == "-h" {
        println!("{USAGE}");
        return Ok(());
    }
    let address: SocketAddr = arg.parse().with_context(|| {
        format!("invalid address {arg:?} (expected IP:PORT, e.g. 127.0.0.1:12345 or [::1]:12345)")
    })?;
    // ANCHOR_END: address
    // ANCHOR: create
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, Some(Protocol::TCP))
        .context("cannot create a TCP socket")?;
    #[cfg(unix)] // Windows lets a new server reuse a TIME_WAIT port without it
    socket.set_reuse_address(true).context("cannot set SO_REUSEADDR")?;
    // ANCHOR_END: create
    // ANCHOR: bind
    socket.bind(&address.into()).with_context(|| {
        format!("cannot bind {address} (is another tcp-server running? try another port)")
    })?;
    // ANCHOR_END: bind
    // ANCHOR: listen
    socket.listen(1).with_context(|| format!("cannot listen on {address}"))?;
    let listener = TcpListener::from(socket);
    println!("Listening on {}", listener.local_addr()?);
    // ANCHOR_END: listen
    // ANCHOR: accept
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(connection) => connection,
            Err(error) => {
                eprintln!("error: cannot accept a connection: {error}");
                continue;
            }
        };
        println!("Connected by {peer}");
        if let Err(error) = serve(stream) {
            eprintln!("error: client {peer}: {error:#}");
        }
    }
    // ANCHOR_END: accept
}

fn serve(mut stream: TcpStream) -> Result<()> {
    // ANCHOR: recv
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut request = [0u8; 1024];
    let received = stream.read(&mut request).context("cannot read request (read timeout 5 s)")?;
    if received == 0 {
        bail!("closed the connection without sending anything");
    }
    println!("Received: {}", String::from_utf8_lossy(&request[..received]));
    // ANCHOR_END: recv
    // ANCHOR: reply_close
    stream.write_all(b"Hello, Client!").context("cannot send the reply")?;
    drop(stream); // closes the connection, like Python's close()
    Ok(())
    // ANCHOR_END: reply_close
}
