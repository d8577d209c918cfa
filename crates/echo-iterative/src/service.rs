//! What a server does with one connection, whatever runs it.
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::cli;

/// The protocol a server speaks on each connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Service {
    /// Send every byte back until the client closes.
    #[default]
    Echo,
    /// The benchmark's CPU-bound workload: read frames (4-byte big-endian
    /// length, then that many bytes) and answer each with the 8-byte
    /// big-endian FNV-1a checksum of its payload. A stand-in for "real work".
    Checksum,
}

/// Settings for one connection.
#[derive(Clone, Debug)]
pub struct Config {
    /// Close a client that sends nothing (or reads nothing) for this long,
    /// so a silent client cannot hold the server (or a worker) forever.
    pub idle_timeout: Duration,
    /// Echo or checksum.
    pub service: Service,
    /// Print `Connected by …` / `Closed …` lines (off for benchmarks).
    pub log: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self { idle_timeout: Duration::from_secs(10), service: Service::Echo, log: true }
    }
}

/// The largest checksum frame accepted; a bigger length prefix is a bad client.
pub const MAX_FRAME: usize = 1 << 20;

// ANCHOR: handle
/// Serves one connection to the end and reports how it went, never panicking:
/// whatever this client does, the server goes on. The one error is the
/// server's own: stdout is gone, and the caller stops the server.
pub fn handle(mut stream: TcpStream, peer: SocketAddr, config: &Config) -> anyhow::Result<()> {
    if config.log {
        cli::say(format_args!("Connected by {peer}"))?;
    }
    let result = stream
        .set_read_timeout(Some(config.idle_timeout))
        .and_then(|()| stream.set_write_timeout(Some(config.idle_timeout)))
        .and_then(|()| stream.set_nodelay(true)) // answer at once, don't batch
        .and_then(|()| match config.service {
            Service::Echo => echo(&mut stream),
            Service::Checksum => checksum_frames(&mut stream),
        });
    match result {
        Ok(_) if config.log => cli::say(format_args!("Closed {peer}"))?,
        Ok(_) => {}
        Err(error) if is_timeout(&error) => {
            let idle = config.idle_timeout;
            cli::warn(format_args!("error: client {peer}: idle for {idle:?}, closing"));
        }
        Err(error) => cli::warn(format_args!("error: client {peer}: {error}")),
    }
    Ok(())
}
// ANCHOR_END: handle

// ANCHOR: echo
/// Sends back every byte received until the client closes; returns the byte count.
pub fn echo(stream: &mut TcpStream) -> io::Result<u64> {
    let mut buffer = [0u8; 16 * 1024];
    let mut total = 0;
    loop {
        let received = match stream.read(&mut buffer) {
            Ok(0) => return Ok(total), // the client closed its side
            Ok(received) => received,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        stream.write_all(&buffer[..received])?; // may take several send() calls
        total += received as u64;
    }
}
// ANCHOR_END: echo

/// The checksum service (see [`Service::Checksum`]); returns the frame count.
/// Frames are read with the `framing` crate (length prefix, size checked
/// before anything is allocated).
pub fn checksum_frames(stream: &mut TcpStream) -> io::Result<u64> {
    let mut frames = 0;
    while let Some(payload) = framing::read_frame(stream, MAX_FRAME)? {
        stream.write_all(&fnv1a64(&payload).to_be_bytes())?;
        frames += 1;
    }
    Ok(frames)
}

/// 64-bit FNV-1a: one xor and one multiply per byte, so its cost grows with
/// the payload and is the same in every language (the Python peer does the same loop).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// A read or write timeout: `WouldBlock` on Unix, `TimedOut` on Windows.
pub fn is_timeout(error: &io::Error) -> bool {
    matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}
