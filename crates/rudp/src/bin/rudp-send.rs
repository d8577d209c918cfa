//! Sends bytes reliably over UDP to `rudp-recv`: generated ones, or a file,
//! followed by their BLAKE3 so that the receiver can check them; then prints
//! what it took (segments, retransmissions, timeouts, RTT, RTO).
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use rudp::sim::Rng;
use rudp::socket::{self, DriverConfig};
use rudp::{Config, Protocol};

const USAGE: &str = "usage: rudp-send [--protocol sw|gbn|sr] [--window N] [--cc] [--batch] [--bytes N | --file FILE] [--seed N] [ADDRESS]\n\
    Send N bytes (default 1 MiB, generated from the seed) or FILE, then their BLAKE3, to rudp-recv at ADDRESS (default 127.0.0.1:7000); --batch: many datagrams per system call (UDP GSO/GRO) where the OS has them.";
const STDOUT: &str = "cannot write to standard output (was it closed, e.g. by `| head`?)";
const CHUNK: usize = 64 * 1024;

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    let _ = writeln!(io::stderr(), "error: {error:#}"); // eprintln! panics on a closed pipe
    ExitCode::FAILURE
}

struct Options {
    config: Config,
    driving: DriverConfig,
    bytes: u64,
    file: Option<String>,
    seed: u64,
    address: SocketAddr,
}

fn value<T: std::str::FromStr>(args: &mut impl Iterator<Item = String>, flag: &str) -> Result<T> {
    let Some(text) = args.next() else { bail!("{flag} needs a value (see --help)") };
    text.parse().map_err(|_| anyhow::anyhow!("invalid value {text:?} for {flag} (see --help)"))
}

/// `None` for `--help`.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Options>> {
    let (mut protocol, mut window, mut cc) = (Protocol::SelectiveRepeat, None, false);
    let mut driving = DriverConfig::default();
    let (mut bytes, mut file, mut seed, mut address) = (1 << 20, None, None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--protocol" => {
                let name: String = value(&mut args, "--protocol")?;
                protocol = name.parse().map_err(anyhow::Error::msg)?;
            }
            "--window" => window = Some(value::<u16>(&mut args, "--window")?.max(1)),
            "--cc" => cc = true,
            "--batch" => driving.batch = true,
            "--bytes" => bytes = value(&mut args, "--bytes")?,
            "--file" => file = Some(value(&mut args, "--file")?),
            "--seed" => seed = Some(value(&mut args, "--seed")?),
            flag if flag.starts_with("--") => bail!("unknown option {flag} (see --help)"),
            _ if address.is_some() => bail!("more than one address: {arg:?} (see --help)"),
            _ => {
                let parsed: SocketAddr = arg.parse().with_context(|| {
                    format!("invalid address {arg:?} (expected IP:PORT, e.g. 127.0.0.1:7000 or [::1]:7000)")
                })?;
                address = Some(parsed);
            }
        }
    }
    let mut config = Config::new(protocol);
    if let Some(window) = window {
        config.window = window;
    }
    config.congestion_control = cc;
    if let Some(seed) = seed {
        config.isn = Rng::new(seed).next_u64() as u32; // the same run twice: same ISN, same bytes
    }
    let address = address.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 7000)));
    Ok(Some(Options { config, driving, bytes, file, seed: seed.unwrap_or(0), address }))
}

fn run() -> Result<()> {
    let mut out = io::stdout();
    let Some(options) = parse(std::env::args().skip(1))? else {
        return writeln!(out, "{USAGE}").context(STDOUT);
    };
    let mut source: Box<dyn Read> = match &options.file {
        Some(path) => Box::new(File::open(path).with_context(|| format!("cannot open {path}"))?),
        None => Box::new(Generated { rng: Rng::new(options.seed), left: options.bytes }),
    };
    let (protocol, window) = (options.config.protocol, options.config.window);
    let peer = options.address;
    let socket =
        UdpSocket::bind(socket::local_address_for(peer)).context("cannot bind a UDP socket")?;
    let started = Instant::now();
    let hint = "is rudp-recv running there? start it with: cargo run -p rudp --bin rudp-recv";
    let mut connection = socket::connect_with(socket, peer, options.config, options.driving)
        .map_err(|error| anyhow::anyhow!("{error:#} ({hint})"))?;
    // ANCHOR: send_loop
    let (mut hasher, mut buf, mut total) = (blake3::Hasher::new(), vec![0u8; CHUNK], 0u64);
    loop {
        let count = match source.read(&mut buf) {
            Ok(0) => break,
            Ok(count) => count,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => {
                let _ = connection.abort("the sender cannot read its data");
                return Err(error).context("cannot read the data to send");
            }
        };
        hasher.update(&buf[..count]);
        connection.write_all(&buf[..count]).context("the transfer failed")?;
        total += count as u64;
    }
    let hash = hasher.finalize();
    connection.write_all(hash.as_bytes()).context("the transfer failed")?; // the receiver checks it
    let batching = connection.batching_summary(); // `finish` gives the connection up
    let stats = connection.finish().context("the transfer failed")?;
    // ANCHOR_END: send_loop
    let seconds = started.elapsed().as_secs_f64();
    let name = match protocol {
        Protocol::StopAndWait => "stop-and-wait".to_owned(),
        Protocol::GoBackN => format!("go-back-N (window {window})"),
        Protocol::SelectiveRepeat => format!("selective repeat (window {window})"),
    };
    let rate = total as f64 / seconds.max(1e-9) / 1e6;
    writeln!(out, "Sent {total} bytes to {peer} with {name} in {seconds:.3} s: {rate:.2} MB/s")
        .context(STDOUT)?;
    let srtt =
        stats.srtt.map_or("-".to_owned(), |srtt| format!("{:.3} ms", srtt.as_secs_f64() * 1e3));
    writeln!(
        out,
        "Segments {}, retransmissions {}, timeouts {}, RTT {srtt}, RTO {} ms",
        stats.segments,
        stats.retransmissions,
        stats.timeouts,
        stats.rto.as_millis()
    )
    .context(STDOUT)?;
    writeln!(out, "BLAKE3 {hash} verified by the receiver").context(STDOUT)?;
    if let Some(line) = batching {
        writeln!(out, "{line}").context(STDOUT)?;
    }
    Ok(())
}

/// `left` pseudo-random bytes from a seed: the same seed, the same bytes.
struct Generated {
    rng: Rng,
    left: u64,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let count = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        // Whole 8-byte words first: a fixed-size copy the compiler turns into
        // one store (a copy of variable length is a `memcpy` call per word,
        // and made this generator cost as much as the protocol).
        let mut words = buf[..count].chunks_exact_mut(8);
        for word in &mut words {
            word.copy_from_slice(&self.rng.next_u64().to_le_bytes());
        }
        let rest = words.into_remainder();
        if !rest.is_empty() {
            rest.copy_from_slice(&self.rng.next_u64().to_le_bytes()[..rest.len()]);
        }
        self.left -= count as u64;
        Ok(count)
    }
}
