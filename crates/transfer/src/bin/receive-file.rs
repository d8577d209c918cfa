//! `receive-file`: accepts files sent by `send-file`, one client at a time,
//! into one directory, and keeps serving after any single bad client.
//!
//! Every file is checked before a byte is written (name, size, existence),
//! written to a hidden temporary file, verified against the sender's BLAKE3,
//! synced, and only then renamed to its name. The log is on stdout (one line
//! per event), errors on stderr; a progress bar on stderr when it is a terminal.
use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use transfer::cli::{BUFFER_SIZE, parse_size, parse_timeout, summary};
use transfer::protocol::Header;
use transfer::store::Policy;
use transfer::tcp::TcpReceiver;
use transfer::transport::{NotStored, ServeOptions, Stored, Transport, serve_one};
use transfer::udp::UdpReceiver;

const USAGE: &str = "usage: receive-file [--over tcp|udp] [--dir DIR] [--max-size SIZE] [--overwrite] [--once] [--timeout SECONDS] [--discard] [--no-verify] [ADDRESS]\n\
    Receive files from send-file into DIR, one client at a time, on ADDRESS (default 127.0.0.1:9000).\n  \
    --over tcp|udp     the transport: TCP or our reliable UDP (default tcp)\n  \
    --dir DIR          where files go (default .); nothing is ever written outside it\n  \
    --max-size SIZE    refuse larger files before writing, e.g. 10M, 4GiB (default 4GiB)\n  \
    --overwrite        replace an existing file of the same name (default: refuse)\n  \
    --once             receive one transfer, then exit (0 only if it was stored)\n  \
    --timeout SECONDS  drop a sender that sends nothing for this long (default 30)\n\
    To measure the transport alone (the benchmark does):\n  \
    --discard          read each file and keep nothing (no file is created)\n  \
    --no-verify        do not hash the content (the sender must use --no-verify too)";

#[derive(Debug)]
struct Config {
    over: Transport,
    address: SocketAddr,
    policy: Policy,
    once: bool,
    timeout: Duration,
    verify: bool,
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
    let dir = &config.policy.dir;
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => bail!("--dir {}: not a directory", dir.display()),
        Err(error) => bail!("--dir {}: {error} (create it first?)", dir.display()),
    }
    match config.over {
        Transport::Tcp => serve_tcp(&config),
        Transport::Udp => serve_udp(&config),
    }
}

fn serve_tcp(config: &Config) -> Result<()> {
    let listener = TcpListener::bind(config.address).with_context(|| {
        format!(
            "cannot bind {} (is another receive-file running? try another port)",
            config.address
        )
    })?;
    log(format_args!("Listening on {}", listener.local_addr()?));
    let mut buffer = vec![0u8; BUFFER_SIZE]; // one buffer for every transfer
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(connection) => connection,
            Err(error) => {
                log_error(format_args!("error: cannot accept a connection: {error}"));
                thread::sleep(Duration::from_millis(100)); // e.g. out of descriptors: pause, not spin
                continue;
            }
        };
        log(format_args!("Connected by {peer}"));
        let started = Instant::now();
        let served = match TcpReceiver::new(stream, config.timeout) {
            Ok(side) => serve(side, peer, config, &mut buffer),
            Err(error) => Err(format!("cannot set up the connection: {error}")),
        };
        let reported = report(peer, served, started);
        if config.once {
            return reported;
        }
        if let Err(error) = reported {
            log_error(format_args!("error: {error}")); // and on to the next client
        }
    }
}

/// One transfer on any transport, its progress bar, its log line.
fn serve<R: transfer::transport::ReceiveSide>(
    side: R,
    peer: SocketAddr,
    config: &Config,
    buffer: &mut [u8],
) -> Result<Stored, String> {
    let options = ServeOptions {
        policy: &config.policy,
        timeout: Some(config.timeout),
        verify: config.verify,
    };
    serve_one(side, &options, buffer, |header| accepted(header, peer))
        .map_err(|not_stored: NotStored| not_stored.describe())
}

/// Logs a stored transfer; a failed one is the error, naming the client.
fn report(peer: SocketAddr, served: Result<Stored, String>, started: Instant) -> Result<()> {
    let stored = served.map_err(|reason| anyhow::anyhow!("client {peer}: {reason}"))?;
    let line = summary(stored.header.size, stored.stored_at - started, stored.hash.as_ref());
    log(format_args!("Received {:?} from {peer}: {line}", stored.header.name));
    Ok(())
}

// ANCHOR: progress
/// Logs an accepted header and returns its progress bar: drawn on stderr
/// when stderr is a terminal, hidden otherwise (pipes, CI logs, tests).
fn accepted(header: &Header, peer: SocketAddr) -> ProgressBar {
    log(format_args!("Receiving {:?} ({} bytes) from {peer}", header.name, header.size));
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(header.size), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} {eta}")
    {
        bar.set_style(style);
    }
    bar
}
// ANCHOR_END: progress

fn serve_udp(config: &Config) -> Result<()> {
    let socket = UdpSocket::bind(config.address).with_context(|| {
        format!(
            "cannot bind {} (is another receive-file running? try another port)",
            config.address
        )
    })?;
    log(format_args!("Listening on {}", socket.local_addr()?));
    // The protocol is the sender's choice (it comes in the SYN); a sender
    // silent for --timeout is given up on.
    let mut rudp_config = rudp::Config::new(rudp::Protocol::SelectiveRepeat);
    rudp_config.idle_timeout = config.timeout;
    let mut buffer = vec![0u8; BUFFER_SIZE];
    loop {
        let incoming = match rudp::socket::accept(&socket, rudp_config.clone()) {
            Ok(incoming) => incoming,
            Err(error) => {
                log_error(format_args!("error: cannot accept a transfer: {error:#}"));
                thread::sleep(Duration::from_millis(100)); // pause, not spin
                continue;
            }
        };
        let peer = incoming.peer();
        let protocol = incoming.protocol().map_or("?", rudp::Protocol::short_name);
        log(format_args!("Connected by {peer} (rudp, protocol {protocol})"));
        let started = Instant::now();
        let served = serve(UdpReceiver::new(incoming), peer, config, &mut buffer);
        let reported = report(peer, served, started);
        if config.once {
            return reported;
        }
        if let Err(error) = reported {
            log_error(format_args!("error: {error}"));
        }
    }
}

/// Prints one line of the log on stdout. When stdout is gone (`receive-file
/// | head -1`) nobody can see the log any more: the receiver stops, with one
/// line on stderr and exit code 1, instead of panicking as `println!` would.
fn log(line: fmt::Arguments) {
    let mut stdout = io::stdout().lock();
    if let Err(error) = writeln!(stdout, "{line}") {
        log_error(format_args!("error: cannot write to standard output: {error}"));
        std::process::exit(1);
    }
}

/// Prints one line on stderr; if stderr is closed too, there is nobody left to tell.
fn log_error(line: fmt::Arguments) {
    let _ = writeln!(io::stderr(), "{line}");
}

/// `Ok(None)` means: print the usage and stop.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Config>> {
    let mut config = Config {
        over: Transport::Tcp,
        address: SocketAddr::from(([127, 0, 0, 1], 9000)),
        policy: Policy {
            dir: PathBuf::from("."),
            max_size: 4 << 30,
            overwrite: false,
            discard: false,
        },
        once: false,
        timeout: Duration::from_secs(30),
        verify: true,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--over" => {
                let value = args.next().context("--over needs tcp or udp")?;
                config.over = Transport::parse(&value)
                    .with_context(|| format!("invalid --over {value:?} (expected tcp or udp)"))?;
            }
            "--dir" => {
                config.policy.dir = PathBuf::from(args.next().context("--dir needs a directory")?)
            }
            "--max-size" => {
                let value = args.next().context("--max-size needs a size")?;
                config.policy.max_size = parse_size(&value).with_context(|| {
                    format!(
                        "invalid --max-size {value:?} (expected bytes, e.g. 1048576, 10M or 4GiB)"
                    )
                })?;
            }
            "--overwrite" => config.policy.overwrite = true,
            "--once" => config.once = true,
            "--discard" => config.policy.discard = true,
            "--no-verify" => config.verify = false,
            "--timeout" => {
                let value = args.next().context("--timeout needs a number of seconds")?;
                config.timeout = parse_timeout(&value).with_context(|| {
                    format!(
                        "invalid --timeout {value:?} (expected seconds from 0.001 to 3600, e.g. 30)"
                    )
                })?;
            }
            _ if arg.starts_with('-') => bail!("unknown option {arg:?} (try --help)"),
            _ => {
                config.address = arg.parse().with_context(|| {
                    format!("invalid address {arg:?} (expected IP:PORT, e.g. 127.0.0.1:9000 or [::1]:9000)")
                })?;
            }
        }
    }
    Ok(Some(config))
}
