//! `loadgen [ADDRESS] [-c N] [-n N] [-s BYTES] [--hello | --checksum] [--max-seconds S]
//! [--arrival burst|spread] [--rate R]`
use anyhow::{Context, Result, bail};

use crate::{Arrival, Mode, Options};

pub const USAGE: &str = "\
usage: loadgen [ADDRESS] [-c CONNECTIONS] [-n REQUESTS] [-s BYTES] [--hello | --checksum] [--max-seconds S]
               [--arrival burst|spread] [--rate R]
Load the echo server at loopback ADDRESS (default 127.0.0.1:7004): CONNECTIONS at once (default 10),
each making REQUESTS round trips (default 1000) of BYTES-byte messages (default 64), stopping after
S seconds at most (default 30). --hello: one connection per request, sending \"Hello, Server!\".
--checksum: framed messages answered with a checksum (servers started with --checksum).
--arrival burst (default): every connection a task on one thread, requests leave in bursts;
--arrival spread: every connection its own thread with a blocking socket, requests arrive independently.
--rate R: open loop, R requests per second in all, spread evenly over the connections; each request
is due at its scheduled time and its latency counts from then, so waiting for a slow server shows.
Without --rate: closed loop, each connection sends its next request as soon as the answer is in.
Prints a summary, then one JSON line.";

/// Parses the arguments after the program name; `None` means `--help` was
/// asked for (the caller prints [`USAGE`]: a closed stdout is its error to report).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Options>> {
    let mut options = Options::default();
    let mut address = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value =
            |name: &str| args.next().with_context(|| format!("{name} needs a value (try --help)"));
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "-c" | "--connections" => options.connections = number(&value(&arg)?, &arg)?,
            "-n" | "--requests" => options.requests = number(&value(&arg)?, &arg)?,
            "-s" | "--size" => options.size = number(&value(&arg)?, &arg)?,
            "--max-seconds" => options.max_seconds = number(&value(&arg)?, &arg)?,
            "--arrival" => {
                options.arrival = match value(&arg)?.as_str() {
                    "burst" => Arrival::Burst,
                    "spread" => Arrival::Spread,
                    other => bail!("--arrival expects burst or spread, got {other:?}"),
                }
            }
            "--rate" => options.rate = Some(number(&value(&arg)?, &arg)?),
            "--hello" => options.mode = Mode::Hello,
            "--checksum" => options.mode = Mode::Checksum,
            flag if flag.starts_with('-') => bail!("unknown option {flag:?} (try --help)"),
            _ if address.is_some() => bail!("unexpected argument {arg:?} (try --help)"),
            _ => address = Some(arg),
        }
    }
    if let Some(arg) = address {
        options.address = arg.parse().with_context(|| {
            format!("invalid address {arg:?} (expected IP:PORT, e.g. 127.0.0.1:7004 or [::1]:7004)")
        })?;
    }
    crate::validate(&options)?;
    Ok(Some(options))
}

fn number<T: std::str::FromStr>(text: &str, name: &str) -> Result<T> {
    text.parse().ok().with_context(|| format!("{name} expects a number, got {text:?}"))
}
