//! `send-file`: sends one file to `receive-file` over TCP or our reliable
//! UDP, and succeeds only when the receiver says it stored it, verified.
//!
//! On success one line on stdout: bytes, time, rate and the BLAKE3 of what
//! was sent; a progress bar on stderr while it runs, when stderr is a terminal.
//! On any failure one `error:` line on stderr (the receiver's own reason
//! when it gave one) and exit code 1.
use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use transfer::cli::{BUFFER_SIZE, parse_size, parse_timeout, summary};
use transfer::protocol::Header;
use transfer::tcp::TcpSender;
use transfer::transport::{Transport, describe_peer_error, send};
use transfer::udp::UdpSender;

const USAGE: &str = "usage: send-file [--over tcp|udp] [--protocol sr|gbn|sw] [--timeout SECONDS] [--no-verify] FILE|--bytes N [ADDRESS]\n\
    Send FILE to receive-file on ADDRESS (default 127.0.0.1:9000), verified with BLAKE3.\n  \
    --over tcp|udp        the transport: TCP or our reliable UDP (default tcp)\n  \
    --protocol sr|gbn|sw  over udp: selective repeat, go-back-N or stop-and-wait (default sr)\n  \
    --timeout SECONDS     give up when the receiver does not answer for this long (default 30)\n\
    To measure the transport alone (the benchmark does):\n  \
    --bytes N             send N bytes from memory instead of a file (named bytes-N.bin)\n  \
    --no-verify           do not hash (the receiver must use --no-verify too)";

#[derive(Debug)]
struct Config {
    over: Transport,
    protocol: Option<String>,
    /// A file, or `--bytes N` from memory.
    source: Source,
    address: SocketAddr,
    timeout: Duration,
    verify: bool,
}

#[derive(Debug)]
enum Source {
    File(PathBuf),
    Bytes(u64),
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(io::stderr(), "error: {error:#}"); // stderr closed: nobody to tell
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let Some(config) = parse_args(std::env::args().skip(1))? else {
        return print(USAGE);
    };
    let (header, mut file) = match &config.source {
        Source::File(path) => open(path)?,
        Source::Bytes(size) => {
            let content: Box<dyn Read> = Box::new(io::repeat(b'x').take(*size));
            (Header { name: format!("bytes-{size}.bin"), size: *size }, content)
        }
    };
    let name = &header.name;
    let progress = progress_bar(header.size);
    let mut buffer = vec![0u8; BUFFER_SIZE];
    let started = Instant::now();
    let failed = |error: &dyn std::fmt::Display| {
        anyhow::anyhow!("cannot send {name:?} to {}: {error}", config.address)
    };
    let hash = match config.over {
        Transport::Tcp => {
            let side = TcpSender::connect(config.address, config.timeout).map_err(|error| {
                failed(&format!(
                    "cannot connect: {} (is receive-file running there?)",
                    describe_peer_error(&error)
                ))
            })?;
            send(side, &mut file, &header, &mut buffer, &progress, config.verify)
                .map_err(|error| failed(&error))?
        }
        Transport::Udp => {
            let protocol = config.protocol.as_deref().unwrap_or("sr");
            let protocol: rudp::Protocol =
                protocol.parse().map_err(|error: String| anyhow::anyhow!(error))?;
            let side =
                UdpSender::connect(config.address, rudp::Config::new(protocol), config.timeout)
                    .map_err(|error| {
                        failed(&format!("{error:#} (is receive-file --over udp running there?)"))
                    })?;
            send(side, &mut file, &header, &mut buffer, &progress, config.verify)
                .map_err(|error| failed(&error))?
        }
    };
    progress.finish_and_clear();
    let line = summary(header.size, started.elapsed(), hash.as_ref());
    print(&format!("Sent {name:?} to {}: {line}", config.address))
}

/// Opens the file to send and makes its header: only the base name travels
/// (where the file goes is the receiver's business).
fn open(path: &Path) -> Result<(Header, Box<dyn Read>)> {
    let shown = path.display();
    // The kind first: Windows refuses to open a directory ("Access denied"),
    // which would hide the real problem.
    let meta = std::fs::metadata(path).with_context(|| format!("cannot open {shown}"))?;
    if !meta.is_file() {
        bail!("{shown} is not a regular file");
    }
    let file = File::open(path).with_context(|| format!("cannot open {shown}"))?;
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .with_context(|| format!("{shown}: the file name is not UTF-8 (rename it first)"))?;
    Ok((Header { name: name.to_string(), size: meta.len() }, Box::new(file)))
}

/// A progress bar on stderr if it is a terminal, else nothing (the summary line says it all).
fn progress_bar(size: u64) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} {eta}")
    {
        bar.set_style(style);
    }
    bar
}

/// Writes `text` and a newline to stdout. A closed stdout (a pipe whose
/// reader is gone) is an error, reported like any other, not a panic.
fn print(text: &str) -> Result<()> {
    writeln!(io::stdout(), "{text}").context("cannot write to standard output")
}

/// `Ok(None)` means: print the usage and stop.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Config>> {
    let mut over = Transport::Tcp;
    let mut protocol = None;
    let mut timeout = Duration::from_secs(30);
    let mut verify = true;
    let mut bytes = None;
    let mut positional = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--over" => {
                let value = args.next().context("--over needs tcp or udp")?;
                over = Transport::parse(&value)
                    .with_context(|| format!("invalid --over {value:?} (expected tcp or udp)"))?;
            }
            "--protocol" => {
                let value = args.next().context("--protocol needs sr, gbn or sw")?;
                if !["sr", "gbn", "sw"].contains(&value.as_str()) {
                    bail!("invalid --protocol {value:?} (expected sr, gbn or sw)");
                }
                protocol = Some(value);
            }
            "--timeout" => {
                let value = args.next().context("--timeout needs a number of seconds")?;
                timeout = parse_timeout(&value).with_context(|| {
                    format!(
                        "invalid --timeout {value:?} (expected seconds from 0.001 to 3600, e.g. 30)"
                    )
                })?;
            }
            "--no-verify" => verify = false,
            "--bytes" => {
                let value = args.next().context("--bytes needs a size")?;
                bytes = Some(parse_size(&value).with_context(|| {
                    format!("invalid --bytes {value:?} (expected bytes, e.g. 1048576, 10M or 4GiB)")
                })?);
            }
            "--" => positional.extend(args.by_ref()),
            _ if arg.starts_with('-') => bail!("unknown option {arg:?} (try --help)"),
            _ => positional.push(arg),
        }
    }
    if protocol.is_some() && over != Transport::Udp {
        bail!("--protocol chooses a reliable-UDP protocol: it needs --over udp");
    }
    let mut positional = positional.into_iter();
    let source = match bytes {
        Some(size) => Source::Bytes(size),
        None => Source::File(PathBuf::from(
            positional.next().context("which file? (usage: send-file FILE [ADDRESS])")?,
        )),
    };
    let address = match positional.next() {
        None => SocketAddr::from(([127, 0, 0, 1], 9000)),
        Some(text) => text.parse().with_context(|| {
            format!(
                "invalid address {text:?} (expected IP:PORT, e.g. 127.0.0.1:9000 or [::1]:9000)"
            )
        })?,
    };
    if let Some(extra) = positional.next() {
        bail!("unexpected argument {extra:?} (usage: send-file FILE [ADDRESS])");
    }
    Ok(Some(Config { over, protocol, source, address, timeout, verify }))
}
