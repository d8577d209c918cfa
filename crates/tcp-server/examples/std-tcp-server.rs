//! The same server written the everyday std way: `TcpListener::bind` does
//! socket + bind + listen in one call and picks the backlog for you.
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};

const STDOUT: &str = "cannot write to standard output (was it closed, e.g. by `| head`?)";

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    let _ = writeln!(std::io::stderr(), "error: {error:#}"); // eprintln! panics on a closed pipe
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let (mut out, mut log) = (std::io::stdout(), std::io::stderr()); // println! panics when closed
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:12345".into());
    // ANCHOR: bind
    let listener =
        TcpListener::bind(&address).with_context(|| format!("cannot listen on {address}"))?;
    writeln!(out, "Listening on {}", listener.local_addr()?).context(STDOUT)?;
    // ANCHOR_END: bind
    // ANCHOR: accept
    for stream in listener.incoming() {
        let mut stream = match stream {
            Ok(stream) => stream,
            Err(error) => {
                let _ = writeln!(log, "error: cannot accept a connection: {error}");
                std::thread::sleep(Duration::from_millis(100)); // e.g. no descriptors left
                continue;
            }
        };
        let Ok(peer) = stream.peer_addr() else { continue }; // the client is already gone
        writeln!(out, "Connected by {peer}").context(STDOUT)?;
        match receive(&mut stream) {
            Ok(request) => writeln!(out, "Received: {request}").context(STDOUT)?,
            Err(error) => {
                let _ = writeln!(log, "error: client {peer}: {error:#}");
                continue;
            }
        }
        if let Err(error) = stream.write_all(b"Hello, Client!") {
            let _ = writeln!(log, "error: client {peer}: cannot send the reply: {error}");
        }
    } // each `stream` is dropped at the end of its turn, which closes the connection
    // ANCHOR_END: accept
    Ok(())
}

// ANCHOR: receive
fn receive(stream: &mut TcpStream) -> Result<String> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut request = [0u8; 1024];
    let received = match stream.read(&mut request) {
        Ok(0) => bail!("closed the connection without sending anything"),
        Ok(received) => received,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            bail!("sent nothing for 5 s")
        }
        Err(error) => return Err(error).context("cannot read the request"),
    };
    Ok(String::from_utf8_lossy(&request[..received]).replace(char::is_control, "\u{FFFD}"))
}
// ANCHOR_END: receive
