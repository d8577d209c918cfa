//! The tutorial's TCP server: serve one client at a time, answer "Hello, Client!".
use std::io::{ErrorKind::TimedOut, ErrorKind::WouldBlock, Read, Write}; // timeouts: Windows, Unix
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::{process::ExitCode, time::Duration};

use anyhow::{Context, Result, bail};
use socket2::{Domain, Protocol, Socket, Type};

const USAGE: &str = "usage: tcp-server [ADDRESS]\n\
    Listen on ADDRESS (default 127.0.0.1:12345) and answer each client with \"Hello, Client!\".";
const STDOUT: &str = "cannot write to standard output (was it closed, e.g. by `| head`?)";

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    let _ = writeln!(std::io::stderr(), "error: {error:#}"); // eprintln! panics on a closed pipe
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    // ANCHOR: address
    let (mut out, mut log) = (std::io::stdout(), std::io::stderr()); // println! panics when closed
    let arg = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:12345".into());
    if arg == "--help" || arg == "-h" {
        return writeln!(out, "{USAGE}").context(STDOUT);
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
    writeln!(out, "Listening on {}", listener.local_addr()?).context(STDOUT)?;
    // ANCHOR_END: listen
    // ANCHOR: accept
    loop {
        let accepted = listener.accept().map_err(|error| {
            let _ = writeln!(log, "error: cannot accept a connection: {error}");
            std::thread::sleep(Duration::from_millis(100)); // e.g. no descriptors left: don't spin
        });
        let Ok((mut stream, peer)) = accepted else { continue };
        writeln!(out, "Connected by {peer}").context(STDOUT)?;
        let read = receive(&mut stream).map_err(|e| writeln!(log, "error: client {peer}: {e:#}"));
        let Ok(request) = read else { continue }; // dropping `stream` closes the connection
        writeln!(out, "Received: {request}").context(STDOUT)?;
        // ANCHOR_END: accept
        // ANCHOR: reply_close
        if let Err(error) = stream.write_all(b"Hello, Client!") {
            let _ = writeln!(log, "error: client {peer}: cannot send the reply: {error}");
        }
        drop(stream); // closes the connection, like Python's close()
        // ANCHOR_END: reply_close
    }
}

fn receive(stream: &mut TcpStream) -> Result<String> {
    // ANCHOR: recv
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut request = [0u8; 1024];
    let received = match stream.read(&mut request) {
        Ok(0) => bail!("closed the connection without sending anything"),
        Ok(received) => received,
        Err(e) if matches!(e.kind(), WouldBlock | TimedOut) => bail!("sent nothing for 5 s"),
        Err(error) => return Err(error).context("cannot read the request"), // e.g. a reset
    };
    // Invalid UTF-8 and control characters (\n, ESC…: no terminal tricks) are shown as �.
    Ok(String::from_utf8_lossy(&request[..received]).replace(char::is_control, "\u{FFFD}"))
    // ANCHOR_END: recv
}
