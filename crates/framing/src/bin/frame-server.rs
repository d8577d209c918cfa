//! Echo server for length-prefixed frames: each frame a client sends comes
//! back to it, unchanged, as one frame. One thread per connection, so a slow
//! client cannot hold up the others; a read timeout drops a client that stops
//! in the middle of a frame.
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use framing::{DEFAULT_MAX_FRAME, is_timeout, read_frame, write_frame};

const USAGE: &str = "usage: frame-server [ADDRESS] [--timeout SECONDS] [--max BYTES]\n\
    Echo length-prefixed frames on ADDRESS (default 127.0.0.1:7100).\n  \
    --timeout SECONDS  drop a client that sends no complete frame for this long (default 5)\n  \
    --max BYTES        reject frames longer than this (default 1048576)";

#[derive(Debug, Clone, Copy)]
struct Config {
    address: SocketAddr,
    timeout: Duration,
    max: usize,
}

fn main() -> ExitCode {
    let Err(error) = run() else {
        return ExitCode::SUCCESS;
    };
    eprintln!("error: {error:#}");
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let Some(config) = parse_args(std::env::args().skip(1))? else {
        println!("{USAGE}");
        return Ok(());
    };
    // ANCHOR: listen
    let listener = TcpListener::bind(config.address).with_context(|| {
        format!(
            "cannot listen on {} (is another frame-server running? try another port)",
            config.address
        )
    })?;
    println!("Listening on {}", listener.local_addr()?);
    // ANCHOR_END: listen
    // ANCHOR: accept
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(connection) => connection,
            Err(error) => {
                eprintln!("error: cannot accept a connection: {error}");
                // e.g. out of file descriptors: pause instead of spinning
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        println!("Connected by {peer}");
        // One thread per client: a client that stalls blocks only its own thread.
        let spawned = thread::Builder::new().spawn(move || {
            if let Err(error) = serve(stream, peer, config) {
                eprintln!("error: client {peer}: {error:#}");
            }
        });
        if let Err(error) = spawned {
            eprintln!("error: client {peer}: cannot start a thread: {error}");
        }
    }
    // ANCHOR_END: accept
}

// ANCHOR: serve
fn serve(mut stream: TcpStream, peer: SocketAddr, config: Config) -> Result<()> {
    // Every read and write gets a deadline: a client that stops in the middle
    // of a frame, or never reads its echoes, is dropped instead of kept forever.
    stream.set_read_timeout(Some(config.timeout))?;
    stream.set_write_timeout(Some(config.timeout))?;
    loop {
        let frame = match read_frame(&mut stream, config.max) {
            Ok(Some(frame)) => frame,
            Ok(None) => {
                println!("Closed by {peer}");
                return Ok(());
            }
            Err(error) if is_timeout(&error) => {
                bail!("no complete frame within {:?}, dropping the connection", config.timeout)
            }
            Err(error) => return Err(error).context("cannot read a frame"),
        };
        println!("Received from {peer}: {} ({} bytes)", preview(&frame), frame.len());
        match write_frame(&mut stream, &frame) {
            Ok(()) => {}
            Err(error) if is_timeout(&error) => {
                bail!("echo not taken within {:?}, dropping the connection", config.timeout)
            }
            Err(error) => return Err(error).context("cannot send the echo"),
        }
    }
}
// ANCHOR_END: serve

/// The payload as text for the log: at most 40 characters, quoted, with
/// control characters escaped so that garbage cannot mess up the terminal.
fn preview(frame: &[u8]) -> String {
    let text = String::from_utf8_lossy(frame);
    let shown: String = text.chars().take(40).collect();
    let more = if text.chars().count() > 40 { "…" } else { "" };
    format!("{shown:?}{more}")
}

/// `Ok(None)` means: print the usage and stop.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Config>> {
    let mut config = Config {
        address: SocketAddr::from(([127, 0, 0, 1], 7100)),
        timeout: Duration::from_secs(5),
        max: DEFAULT_MAX_FRAME,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--timeout" => {
                let value = args.next().context("--timeout needs a number of seconds")?;
                config.timeout = value
                    .parse()
                    .ok()
                    .filter(|seconds: &f64| *seconds > 0.0)
                    .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
                    .with_context(|| {
                        format!("invalid --timeout {value:?} (expected seconds, e.g. 5 or 0.5)")
                    })?;
            }
            "--max" => {
                let value = args.next().context("--max needs a number of bytes")?;
                config.max = value.parse().with_context(|| {
                    format!("invalid --max {value:?} (expected a number of bytes, e.g. 1048576)")
                })?;
            }
            _ if arg.starts_with('-') => bail!("unknown option {arg:?} (try --help)"),
            _ => {
                config.address = arg.parse().with_context(|| {
                    format!(
                        "invalid address {arg:?} (expected IP:PORT, e.g. 127.0.0.1:7100 or [::1]:7100)"
                    )
                })?;
            }
        }
    }
    Ok(Some(config))
}
