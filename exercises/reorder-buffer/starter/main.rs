//! Exercise reorder-buffer: a UDP receiver that prints the texts of `SEQ:TEXT`
//! segments in sequence order, whatever order they arrive in, answering each
//! datagram with a cumulative `ACK n`.
//! Check your work with `cargo lab check reorder-buffer`; stuck? `cargo lab hint reorder-buffer`.
use std::io::Write;
use std::net::UdpSocket;
use std::process::ExitCode;

use anyhow::{Context, Result};

const STDOUT: &str = "cannot write to standard output";

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    let _ = writeln!(std::io::stderr(), "error: {error:#}");
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7000".into());
    let socket = UdpSocket::bind(&address).with_context(|| format!("cannot bind {address}"))?;
    let mut out = std::io::stdout();
    writeln!(out, "Listening on {}", socket.local_addr()?).context(STDOUT)?;
    let mut next: u64 = 0; // the sequence number printed next
    // TODO: a place for segments that came early, at most WINDOW = 8 of them.
    let mut datagram = vec![0u8; 65_535];
    loop {
        let (received, peer) = match socket.recv_from(&mut datagram) {
            Ok(received) => received,
            Err(error) => {
                eprintln!("error: cannot receive a datagram: {error}");
                continue;
            }
        };
        let Some((seq, text)) = parse(&datagram[..received]) else {
            eprintln!("ignored a datagram from {peer} that is not SEQ:TEXT");
            continue;
        };
        // TODO: print a text only when its turn comes: hold the segments that
        // came early (within the window), drop duplicates and those beyond it.
        writeln!(out, "{text}").context(STDOUT)?;
        next = next.max(seq + 1);
        if let Err(error) = socket.send_to(format!("ACK {next}").as_bytes(), peer) {
            eprintln!("error: cannot answer {peer}: {error}");
        }
    }
}

/// `SEQ:TEXT`, SEQ a whole number, TEXT the rest (it may contain `:`).
fn parse(datagram: &[u8]) -> Option<(u64, String)> {
    let (seq, text) = std::str::from_utf8(datagram).ok()?.split_once(':')?;
    Some((seq.parse().ok()?, text.to_string()))
}
