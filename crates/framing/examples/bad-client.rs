//! A client that breaks the frame protocol on purpose, to watch the frame
//! server cope: `cargo run -p framing --example bad-client -- ADDRESS MODE`.
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use socket2::SockRef;

const USAGE: &str = "usage: bad-client ADDRESS MODE\n\
    MODE is one of:\n  \
    oversized  declare a 4 GiB frame and send nothing more\n  \
    half       send half a frame, then close the connection\n  \
    stall      send half a frame, then wait for the server to give up\n  \
    reset      send half a frame, then reset the connection (RST)\n  \
    garbage    speak HTTP to the frame server";
/// Longer than any server timeout used in the book or the tests.
const PATIENCE: Duration = Duration::from_secs(15);

/// `println!`, except that a closed stdout (`bad-client | head -1`) is an
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [address, mode] = args.as_slice() else {
        say!("{USAGE}")?;
        return Ok(());
    };
    let address: SocketAddr =
        address.parse().with_context(|| format!("invalid address {address:?}"))?;
    let mut stream = TcpStream::connect_timeout(&address, PATIENCE)
        .with_context(|| format!("cannot connect to {address}"))?;
    // Half a frame: a header that promises 10 bytes, then only 3 of them.
    let half_frame = [&10u32.to_be_bytes()[..], b"Hel"].concat();
    match mode.as_str() {
        "oversized" => {
            stream.write_all(&u32::MAX.to_be_bytes())?;
            say!("Sent a header declaring {} bytes, and nothing else", u32::MAX)?;
        }
        "half" => {
            stream.write_all(&half_frame)?;
            stream.shutdown(Shutdown::Write)?;
            say!("Sent 3 of 10 promised bytes, then closed the sending side")?;
        }
        "stall" => {
            stream.write_all(&half_frame)?;
            say!("Sent 3 of 10 promised bytes, now waiting")?;
        }
        "reset" => {
            stream.write_all(&half_frame)?;
            // Linger 0: closing now sends RST instead of the FIN of a normal close.
            SockRef::from(&stream).set_linger(Some(Duration::ZERO))?;
            drop(stream);
            say!("Sent 3 of 10 promised bytes, then reset the connection")?;
            return Ok(());
        }
        "garbage" => {
            stream.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")?;
            say!("Sent an HTTP request instead of a frame")?;
        }
        _ => bail!("unknown mode {mode:?} (run without arguments for the list)"),
    }
    wait_for_close(&mut stream)
}

/// Reads until the server ends the connection, and says how it ended.
fn wait_for_close(stream: &mut TcpStream) -> Result<()> {
    stream.set_read_timeout(Some(PATIENCE))?;
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => {
                say!("The server closed the connection")?;
                return Ok(());
            }
            Ok(count) => say!("The server sent {count} bytes")?,
            Err(error) if error.kind() == ErrorKind::ConnectionReset => {
                say!("The server reset the connection")?;
                return Ok(());
            }
            Err(error) => {
                return Err(error).context("the server kept the connection open too long");
            }
        }
    }
}
