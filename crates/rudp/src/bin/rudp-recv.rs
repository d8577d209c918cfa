//! Receives one transfer from `rudp-send`, checks the BLAKE3 that ends it,
//! and prints what arrived: bytes, segments, duplicates, the hash.
use std::io::{self, Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use rudp::socket::{self, DriverConfig};
use rudp::{Config, Protocol};

const USAGE: &str = "usage: rudp-recv [--window N] [--batch] [ADDRESS]\n\
    Listen on ADDRESS (default 127.0.0.1:7000), receive one transfer from rudp-send, check its BLAKE3 and print what arrived; --batch: many datagrams per system call (UDP GSO/GRO) where the OS has them.";
const STDOUT: &str = "cannot write to standard output (was it closed, e.g. by `| head`?)";
const HASH_LEN: usize = 32;

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    let _ = writeln!(io::stderr(), "error: {error:#}"); // eprintln! panics on a closed pipe
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let mut out = io::stdout();
    let (mut window, mut address, mut driving) = (None, None, DriverConfig::default());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" => return writeln!(out, "{USAGE}").context(STDOUT),
            "--window" => {
                let text = args.next().unwrap_or_default();
                let parsed: u16 =
                    text.parse().with_context(|| format!("invalid --window {text:?}"))?;
                window = Some(parsed.max(1));
            }
            "--batch" => driving.batch = true,
            flag if flag.starts_with("--") => bail!("unknown option {flag} (see --help)"),
            _ => {
                let parsed: SocketAddr = arg.parse().with_context(|| {
                    format!("invalid address {arg:?} (expected IP:PORT, e.g. 127.0.0.1:7000 or [::1]:7000)")
                })?;
                address = Some(parsed);
            }
        }
    }
    let address = address.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 7000)));
    let socket = UdpSocket::bind(address).with_context(|| {
        format!("cannot bind {address} (is another rudp-recv running? try another port)")
    })?;
    writeln!(out, "Listening on {}", socket.local_addr()?).context(STDOUT)?;
    let mut config = Config::new(Protocol::SelectiveRepeat); // the sender's SYN chooses
    if let Some(window) = window {
        config.window = window;
    }
    let mut incoming = socket::accept_with(&socket, config, driving)?;
    let started = Instant::now();
    let peer = incoming.peer();
    let protocol = incoming.protocol().map_or("?", Protocol::short_name);
    writeln!(out, "Receiving from {peer} ({protocol})").context(STDOUT)?;
    // ANCHOR: receive_loop
    // The last 32 bytes are the sender's BLAKE3 of the others: hash all but
    // the 32 most recent bytes, which may turn out to be the checksum.
    let (mut hasher, mut tail, mut buf) = (blake3::Hasher::new(), Vec::new(), vec![0u8; 64 * 1024]);
    loop {
        let count = match incoming.read(&mut buf) {
            Ok(0) => break,
            Ok(count) => count,
            Err(error) => return Err(error).context(format!("the transfer from {peer} failed")),
        };
        tail.extend_from_slice(&buf[..count]);
        if tail.len() > HASH_LEN {
            let settled = tail.len() - HASH_LEN;
            hasher.update(&tail[..settled]);
            tail.drain(..settled);
        }
    }
    let hash = hasher.finalize();
    let stats = incoming.stats();
    let verdict = if tail.len() < HASH_LEN {
        Err(format!("the transfer ended after {} bytes, before its checksum", stats.bytes))
    } else if hash.as_bytes()[..] != tail[..] {
        Err("checksum mismatch: the data is not what was sent".to_owned())
    } else {
        Ok(())
    };
    // ANCHOR_END: receive_loop
    let seconds = started.elapsed().as_secs_f64();
    let data = stats.bytes.saturating_sub(HASH_LEN as u64);
    writeln!(
        out,
        "Received {data} bytes in {} segments ({} duplicates, {} out of order) in {seconds:.3} s",
        stats.segments, stats.duplicates, stats.out_of_order
    )
    .context(STDOUT)?;
    if let Err(reason) = &verdict {
        let reason = reason.clone();
        let _ = incoming.finish(verdict);
        bail!("{reason} (the sender was told so)");
    }
    writeln!(out, "BLAKE3 {hash} verified").context(STDOUT)?;
    let batching = incoming.batching_summary(); // `finish` gives the connection up
    incoming.finish(verdict).context("cannot confirm the end of the transfer")?; // and linger
    if let Some(line) = batching {
        writeln!(out, "{line}").context(STDOUT)?;
    }
    Ok(())
}
