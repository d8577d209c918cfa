//! Echo server for length-prefixed frames: each frame a client sends comes
//! back to it, unchanged, as one frame. One thread per connection, so a slow
//! client cannot hold up the others; a read timeout drops a client that stops
//! in the middle of a frame, and `--max-clients` bounds how many threads run.
use std::fmt;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use framing::{DEFAULT_MAX_FRAME, is_timeout, read_frame, write_frame};

const USAGE: &str = "usage: frame-server [ADDRESS] [--timeout SECONDS] [--max BYTES] [--max-clients N]\n\
    Echo length-prefixed frames on ADDRESS (default 127.0.0.1:7100).\n  \
    --timeout SECONDS  drop a client that sends no complete frame for this long (default 5)\n  \
    --max BYTES        reject frames longer than this (default 1048576)\n  \
    --max-clients N    serve at most N clients at once, refuse more (default 128)";

/// Timeouts from 1 ms to an hour. The standard library refuses a zero timeout
/// (to the OS it would mean "wait forever"), Windows counts in whole
/// milliseconds, and more than an hour is surely a typo.
const TIMEOUT_RANGE_MS: std::ops::RangeInclusive<f64> = 1.0..=3_600_000.0;
/// One thread per client costs a stack (2 MiB reserved), a descriptor and up
/// to `--max` bytes of frame each: past a few thousand, a thread pool or an
/// async server (Part II) is the better design, not a bigger number.
const MAX_CLIENTS_LIMIT: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Config {
    address: SocketAddr,
    timeout: Duration,
    max: usize,
    max_clients: usize,
}

fn main() -> ExitCode {
    let Err(error) = run() else {
        return ExitCode::SUCCESS;
    };
    log_error(format_args!("error: {error:#}"));
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let Some(config) = parse_args(std::env::args().skip(1))? else {
        log(format_args!("{USAGE}"));
        return Ok(());
    };
    // ANCHOR: listen
    let listener = TcpListener::bind(config.address).with_context(|| {
        format!(
            "cannot listen on {} (is another frame-server running? try another port)",
            config.address
        )
    })?;
    log(format_args!("Listening on {}", listener.local_addr()?));
    // ANCHOR_END: listen
    // ANCHOR: accept
    // How many clients are being served; each client thread holds a `Slot`.
    let active = Arc::new(AtomicUsize::new(0));
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(connection) => connection,
            Err(error) => {
                log_error(format_args!("error: cannot accept a connection: {error}"));
                // e.g. out of file descriptors: pause instead of spinning
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        // One thread per client, but not without end: past --max-clients a new
        // client is refused at once (the connection closes) instead of costing
        // one more thread, stack and buffer.
        let Some(slot) = Slot::take(&active, config.max_clients) else {
            log_error(format_args!(
                "error: client {peer}: refused, the server is full (--max-clients {})",
                config.max_clients
            ));
            continue; // dropping `stream` closes the connection
        };
        log(format_args!("Connected by {peer}"));
        // A client that stalls blocks only its own thread.
        let spawned = thread::Builder::new().spawn(move || {
            let served = serve(stream, peer, config);
            drop(slot); // the connection is closed: its place is free for the next client
            match served {
                Ok(()) => log(format_args!("Closed by {peer}")),
                Err(error) => log_error(format_args!("error: client {peer}: {error:#}")),
            }
        });
        if let Err(error) = spawned {
            log_error(format_args!("error: client {peer}: cannot start a thread: {error}"));
        }
    }
    // ANCHOR_END: accept
}

// ANCHOR: serve
/// Echoes frames until the client closes the connection (`Ok`) or fails.
fn serve(mut stream: TcpStream, peer: SocketAddr, config: Config) -> Result<()> {
    // Every read and write gets a deadline: a client that stops in the middle
    // of a frame, or never reads its echoes, is dropped instead of kept forever.
    stream.set_read_timeout(Some(config.timeout))?;
    stream.set_write_timeout(Some(config.timeout))?;
    loop {
        let frame = match read_frame(&mut stream, config.max) {
            Ok(Some(frame)) => frame,
            Ok(None) => return Ok(()), // closed cleanly, between two frames
            Err(error) if is_timeout(&error) => {
                bail!("no complete frame within {:?}, dropping the connection", config.timeout)
            }
            Err(error) => return Err(error).context("cannot read a frame"),
        };
        log(format_args!("Received from {peer}: {} ({} bytes)", preview(&frame), frame.len()));
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

// ANCHOR: log
/// Prints one line of the log on stdout. When stdout is gone (`frame-server
/// | head -1`) nobody can see the log any more: the server stops, with one
/// line on stderr and exit code 1, instead of panicking in a client thread
/// as `println!` would.
fn log(line: fmt::Arguments) {
    let mut stdout = io::stdout().lock();
    if let Err(error) = writeln!(stdout, "{line}") {
        log_error(format_args!("error: cannot write to standard output: {error}"));
        // Still holding the lock: no other thread prints (or exits) meanwhile.
        std::process::exit(1);
    }
}

/// Prints one line on stderr; if stderr is closed too, there is nobody left to tell.
fn log_error(line: fmt::Arguments) {
    let _ = writeln!(io::stderr(), "{line}");
}
// ANCHOR_END: log

/// One of the `--max-clients` places, given back when dropped.
#[derive(Debug)]
struct Slot(Arc<AtomicUsize>);

impl Slot {
    /// A place if fewer than `max` are taken, `None` if all are.
    fn take(active: &Arc<AtomicUsize>, max: usize) -> Option<Slot> {
        active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |taken| {
                (taken < max).then_some(taken + 1)
            })
            .ok()?;
        Some(Slot(Arc::clone(active)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The payload as text for the log: at most 40 characters, quoted, with
/// control characters escaped so that garbage cannot mess up the terminal.
fn preview(frame: &[u8]) -> String {
    let text = String::from_utf8_lossy(frame);
    let shown: String = text.chars().take(40).collect();
    let more = if text.chars().count() > 40 { "…" } else { "" };
    format!("{shown:?}{more}")
}

/// Seconds as a socket timeout: whole milliseconds, from 1 ms to an hour.
fn parse_timeout(text: &str) -> Result<Duration> {
    let seconds: f64 = text.parse()?;
    let millis = (seconds * 1000.0).round();
    if seconds.is_nan() {
        bail!("not a number");
    } else if seconds <= 0.0 {
        bail!("a timeout must be more than 0");
    } else if millis < *TIMEOUT_RANGE_MS.start() {
        bail!("{seconds} s rounds to 0 ms, and sockets count timeouts in milliseconds");
    } else if millis > *TIMEOUT_RANGE_MS.end() {
        bail!("longer than an hour");
    }
    Ok(Duration::from_millis(millis as u64)) // lossless: a whole number from 1 to 3 600 000
}

/// `Ok(None)` means: print the usage and stop.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Config>> {
    let mut config = Config {
        address: SocketAddr::from(([127, 0, 0, 1], 7100)),
        timeout: Duration::from_secs(5),
        max: DEFAULT_MAX_FRAME,
        max_clients: 128,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--timeout" => {
                let value = args.next().context("--timeout needs a number of seconds")?;
                config.timeout = parse_timeout(&value).with_context(|| {
                    format!(
                        "invalid --timeout {value:?} (expected seconds from 0.001 to 3600, e.g. 5 or 0.5)"
                    )
                })?;
            }
            "--max" => {
                let value = args.next().context("--max needs a number of bytes")?;
                config.max = value.parse().with_context(|| {
                    format!("invalid --max {value:?} (expected a number of bytes, e.g. 1048576)")
                })?;
            }
            "--max-clients" => {
                let value = args.next().context("--max-clients needs a number of clients")?;
                config.max_clients = value
                    .parse()
                    .ok()
                    .filter(|clients| (1..=MAX_CLIENTS_LIMIT).contains(clients))
                    .with_context(|| {
                        format!(
                            "invalid --max-clients {value:?} (expected 1 to {MAX_CLIENTS_LIMIT}, e.g. 128)"
                        )
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
